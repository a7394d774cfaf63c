//! Header text comes from whoever sent the message. Before any of it reaches the terminal,
//! control characters become visible escapes (`\x1b[31m` shows as text, never as a colour), and
//! bidirectional overrides become `\u{202e}` so a line cannot pretend to read differently.

use std::borrow::Cow;

use crate::report::visible;

/// Makes one line of untrusted text safe and visible: [`visible`] (the reports' escaping), and
/// tabs become a space (they are folding whitespace, and a raw tab has no width on screen).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    match visible(text) {
        Cow::Borrowed(t) if !t.contains('\t') => Cow::Borrowed(t),
        v => Cow::Owned(v.replace('\t', " ")),
    }
}

/// Splits untrusted multi-line text (a raw header with folding) into sanitized display lines.
pub fn sanitize_lines(text: &str) -> Vec<String> {
    let trimmed = text.strip_suffix('\n').unwrap_or(text);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    trimmed
        .split('\n')
        .map(|line| sanitize(line.strip_suffix('\r').unwrap_or(line)).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            sanitize("From: a@example.com"),
            Cow::Borrowed("From: a@example.com")
        ));
    }

    #[test]
    fn escape_sequences_become_visible() {
        assert_eq!(
            sanitize("Subject: \x1b[31mred\x1b[0m"),
            "Subject: \\x1b[31mred\\x1b[0m"
        );
    }

    #[test]
    fn c1_controls_and_del_are_escaped() {
        assert_eq!(sanitize("a\u{9b}31mb\x7f"), "a\\x9b31mb\\x7f");
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(sanitize("paypal\u{202e}moc.x"), "paypal\\u{202e}moc.x");
    }

    #[test]
    fn tabs_become_spaces_and_stray_breaks_show() {
        assert_eq!(sanitize("a\tb\rc\nd"), "a b\\rc\\nd");
    }

    #[test]
    fn non_ascii_text_is_kept() {
        assert_eq!(sanitize("Grüße 日本 \u{fffd}"), "Grüße 日本 \u{fffd}");
    }

    #[test]
    fn folded_header_splits_into_lines() {
        assert_eq!(
            sanitize_lines("Subject: one\r\n\ttwo\x07\r\n"),
            vec!["Subject: one".to_string(), " two\\x07".to_string()]
        );
    }
}
