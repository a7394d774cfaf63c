//! Reports: views of one [`Analysis`] that never re-evaluate anything.
//!
//! - JSON is the `Analysis` value serialized (`json`), the contract outside scripts use.
//! - Markdown (`markdown`, `markdown_step`) is ticket-ready and is what the TUI copies.
//! - Text (`text`) is the terminal summary of `mailsleuth report`.
//!
//! None of them emits ANSI codes, and every string that came from the message is passed through
//! [`visible`] so an attacker's escape sequences cannot reach the reader's terminal.

mod markdown;
mod text;

use std::borrow::Cow;

use crate::analysis::{Analysis, AuthResult, Outcome};

pub use crate::analysis::dmarc::policy_tag;
pub use markdown::{markdown, markdown_step};
pub use text::text;

/// The `Analysis` as pretty JSON (the documented, versioned schema).
///
/// serde_json already escapes C0 controls (ESC becomes `\u001b`); DEL, C1 controls and the bidi
/// overrides/isolates that could reorder what a reader sees are escaped here too, as `\uXXXX`,
/// which every JSON reader decodes back to the same string.
pub fn json(analysis: &Analysis) -> String {
    // Serializing plain data cannot fail; fall back to an error object rather than panic.
    let text = serde_json::to_string_pretty(analysis)
        .unwrap_or_else(|e| format!("{{\"error\": \"serialization failed: {e}\"}}"));
    escape_json_text(text)
}

/// JSON text (pretty or one line) with every character a terminal would misshow escaped as
/// `\uXXXX` (DEL, C1 controls, bidi overrides, invisible characters, line separators), which
/// every JSON reader decodes back to the same string. Raw newlines and spaces are the
/// pretty-printer's own layout; inside strings serde_json has escaped every C0 control already.
pub fn escape_json_text(text: String) -> String {
    // ASCII is decided by its byte (a whole report is mostly ASCII, and this runs over all of
    // it); the rest by `needs_escape`.
    let escape = |c: char| {
        if c.is_ascii() {
            (c < ' ' || c == '\x7f') && !c.is_ascii_whitespace()
        } else {
            needs_escape(c)
        }
    };
    let Some(first) = text.find(escape) else {
        return text;
    };
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        if escape(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` cut to `max` characters with an ellipsis, for one-line views of long values.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((i, _)) => Cow::Owned(format!("{}…", &text[..i])),
    }
}

/// Alignment of one side (SPF or DKIM) in words that never contradict the steps: DMARC counts an
/// identifier only when its check passed *and* its domain aligns with the From domain.
pub fn alignment_words(side: &crate::analysis::AlignmentSide, what: &str) -> String {
    let shown = |c: &crate::analysis::AlignmentCandidate| {
        if c.result == AuthResult::Pass {
            c.domain.clone()
        } else {
            format!("{} ({})", c.domain, c.result)
        }
    };
    if side.aligned {
        let via: Vec<String> = side
            .candidates
            .iter()
            .filter(|c| c.aligned && c.result == AuthResult::Pass)
            .map(shown)
            .collect();
        return format!("{what} aligned ({})", via.join(", "));
    }
    let matching: Vec<String> = side
        .candidates
        .iter()
        .filter(|c| c.aligned)
        .map(shown)
        .collect();
    if !matching.is_empty() {
        return format!(
            "{what}: domain matches but did not pass ({})",
            matching.join(", ")
        );
    }
    if side.candidates.is_empty() {
        return format!("{what}: no passing identifier");
    }
    let others: Vec<String> = side.candidates.iter().map(shown).collect();
    format!("{what} not aligned ({})", others.join(", "))
}

/// Who a hop's client was, as the receiving server recorded it: its reverse-DNS name (when the
/// server looked one up), the IP, and the HELO name the client chose — labelled, since a HELO is
/// the client's own claim.
pub fn hop_client(h: &crate::analysis::Hop) -> String {
    let name = h.from_rdns.as_deref().or(h.from_host.as_deref());
    let mut out = match (name, h.from_ip.as_deref()) {
        (Some(n), Some(ip)) => format!("{n} [{ip}]"),
        (Some(n), None) => n.to_string(),
        (None, Some(ip)) => format!("[{ip}]"),
        (None, None) => "?".to_string(),
    };
    if let Some(helo) = h.helo.as_deref()
        && Some(helo) != name
    {
        out.push_str(&format!(" HELO {helo}"));
    }
    out
}

/// A hop's delay after the previous one, in human units (`+1 min 30 s`), or `—`.
pub fn hop_delay(h: &crate::analysis::Hop) -> String {
    match h.delay_seconds {
        Some(d) if d >= 0 => format!("+{}", crate::analysis::trail::received::human_duration(d)),
        Some(d) => crate::analysis::trail::received::human_duration(d),
        None => "—".into(),
    }
}

/// The author-side headers a ticket needs, in this order, when present.
pub const MESSAGE_FIELDS: [&str; 7] = [
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
];

/// Makes control characters visible: ESC becomes `\x1b`, CR and LF `\r` and `\n`, other C0/C1
/// controls and DEL `\xNN`, bidi controls `\u{202e}`; tabs stay. Text that came from the message
/// goes through this before any output (the TUI's `sanitize` builds on it).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        // Directional formatting characters can reorder what a reader sees (Trojan Source).
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        // Invisible characters leave ghost text (a domain that reads "paypal.com" but is not)
        // and line separators break a line where the screen does not expect it.
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200d}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
        )
}

/// A glyph per step outcome, readable without colour.
pub fn outcome_glyph(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::Match => "→",
        Outcome::NoMatch => "·",
        Outcome::Warning => "!",
        Outcome::Error => "⚠",
        Outcome::Info => "i",
        Outcome::Skipped => "-",
    }
}

/// A glyph per verdict, readable without colour (one set for reports and the TUI).
pub fn result_glyph(result: AuthResult) -> &'static str {
    match result {
        AuthResult::Pass => "✓",
        AuthResult::Fail | AuthResult::PermError => "✗",
        AuthResult::SoftFail => "~",
        AuthResult::Neutral => "○",
        AuthResult::None => "–",
        AuthResult::TempError => "!",
        AuthResult::Policy => "?",
    }
}

/// Every check of an analysis with its steps, in the order reports and the TUI show them.
pub fn checks(analysis: &Analysis) -> Vec<CheckView<'_>> {
    let mut out = vec![
        CheckView {
            title: "SPF (MAIL FROM)".into(),
            result: Some(analysis.spf.mail_from.result),
            steps: &analysis.spf.mail_from.steps,
        },
        CheckView {
            title: "SPF (HELO)".into(),
            result: Some(analysis.spf.helo.result),
            steps: &analysis.spf.helo.steps,
        },
    ];
    for (i, d) in analysis.dkim.iter().enumerate() {
        out.push(CheckView {
            title: dkim_title(i, d.domain.as_deref(), d.selector.as_deref()),
            result: Some(d.result),
            steps: &d.steps,
        });
    }
    out.push(CheckView {
        title: "ARC".into(),
        result: Some(analysis.arc.result),
        steps: &analysis.arc.steps,
    });
    out.push(CheckView {
        title: "Alignment".into(),
        result: None,
        steps: &analysis.alignment.steps,
    });
    out.push(CheckView {
        title: "DMARC".into(),
        result: Some(analysis.dmarc.result),
        steps: &analysis.dmarc.steps,
    });
    out
}

/// `DKIM #1 d=example.com s=sel1`.
pub fn dkim_title(index: usize, domain: Option<&str>, selector: Option<&str>) -> String {
    format!(
        "DKIM #{} d={} s={}",
        index + 1,
        visible(domain.unwrap_or("?")),
        visible(selector.unwrap_or("?"))
    )
}

/// One check, as the views list it.
pub struct CheckView<'a> {
    pub title: String,
    pub result: Option<AuthResult>,
    pub steps: &'a [crate::analysis::Step],
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AlignmentCandidate, AlignmentSide};

    #[test]
    fn visible_escapes_controls_and_bidi_but_keeps_tabs_and_text() {
        assert_eq!(visible("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(visible("tab\there é"), "tab\there é");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn invisible_and_line_separator_characters_are_shown() {
        assert_eq!(visible("pay\u{200b}pal.com"), "pay\\u{200b}pal.com");
        assert_eq!(visible("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
        assert_eq!(visible("\u{feff}x\u{00ad}y"), "\\u{feff}x\\xady");
        assert_eq!(visible("\u{3164}"), "\\u{3164}");
    }

    #[test]
    fn json_escapes_bidi_overrides_and_reads_back_the_same() {
        let mut a = Analysis::default();
        a.summary.verdict = "evil\u{202e}txt.exe\u{7f}".into();
        let text = json(&a);
        assert!(!text.contains('\u{202e}') && !text.contains('\u{7f}'));
        assert!(text.contains("\\u202e"));
        let back: Analysis = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back.summary.verdict, a.summary.verdict);
    }

    #[test]
    fn clip_cuts_on_characters_with_an_ellipsis() {
        assert_eq!(clip("héllo wörld", 5), "héllo…");
        assert_eq!(clip("short", 10), "short");
    }

    fn candidate(domain: &str, aligned: bool, result: AuthResult) -> AlignmentCandidate {
        AlignmentCandidate {
            domain: domain.into(),
            aligned,
            result,
            ..Default::default()
        }
    }

    #[test]
    fn alignment_words_never_call_a_failed_matching_domain_unaligned() {
        let side = AlignmentSide {
            aligned: false,
            candidates: vec![candidate("example.org", true, AuthResult::TempError)],
            ..Default::default()
        };
        assert_eq!(
            alignment_words(&side, "SPF"),
            "SPF: domain matches but did not pass (example.org (temperror))"
        );
        let side = AlignmentSide {
            aligned: true,
            candidates: vec![candidate("example.com", true, AuthResult::Pass)],
            ..Default::default()
        };
        assert_eq!(alignment_words(&side, "DKIM"), "DKIM aligned (example.com)");
        let side = AlignmentSide::default();
        assert_eq!(
            alignment_words(&side, "DKIM"),
            "DKIM: no passing identifier"
        );
    }
}
