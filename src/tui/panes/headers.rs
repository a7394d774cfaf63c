//! The headers view: trace/envelope headers and message headers, side by side or one kind at a
//! time, raw (as received, folding kept) or unfolded. Lines the last step used are marked `▶`;
//! search matches are marked `*` and highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{no_analysis_note, note_line, pane_block, wrap_spans};
use crate::analysis::{Header, HeaderKind};
use crate::tui::app::App;
use crate::tui::sanitize::{sanitize, sanitize_lines};
use crate::tui::theme::Theme;
use crate::tui::ui::{Pane, list_offset};

/// Marks a header whose bytes were not UTF-8 (shown lossily).
pub const EIGHT_BIT_TAG: &str = "[8-bit] ";

pub fn render(app: &App, pane: Pane, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let kind = if pane == Pane::Trace {
        HeaderKind::Trace
    } else {
        HeaderKind::Message
    };
    let indexes = app.header_indexes(kind);
    let mode = if app.headers_raw { "raw" } else { "unfolded" };
    let what = match kind {
        HeaderKind::Trace => "Trace headers",
        HeaderKind::Message => "Message headers",
    };
    let search = app
        .search
        .as_deref()
        .map(|s| format!(" · /{}", sanitize(s)))
        .unwrap_or_default();
    let block = pane_block(
        format!("{what} ({}, {mode}){search}", indexes.len()),
        focused,
        theme,
    );
    let inner = block.inner(area);
    block.render(area, buf);
    let Some(a) = &app.analysis else {
        Paragraph::new(no_analysis_note(app, "analysing…")).render(inner, buf);
        return;
    };
    if indexes.is_empty() {
        Paragraph::new(note_line("None.", theme)).render(inner, buf);
        return;
    }
    let matches = app.search_matches();
    let mut lines = Vec::new();
    let mut selected_line = 0;
    let mut selected_end = 0;
    for header in indexes.iter().filter_map(|&i| a.headers.get(i)) {
        let selected = header.index == app.header;
        let is_match = matches.contains(&header.index);
        let (own, text_end) = header_lines(app, header, inner, is_match, selected, focused);
        if selected {
            selected_line = lines.len();
            selected_end = lines.len() + text_end;
        }
        lines.extend(own);
    }
    // The selected header in view whole when it fits (its note about cut characters too).
    let height = inner.height as usize;
    let mut offset = list_offset(selected_line, lines.len(), height);
    if selected_end > offset + height {
        offset = selected_line.min(selected_end - height);
    }
    Paragraph::new(lines)
        .scroll((offset.min(u16::MAX as usize) as u16, 0))
        .render(inner, buf);
}

/// One header's lines: the marker (`▶` used by the last step, `*` a search match), the text
/// wrapped and clipped to the pane, a note on what was cut, then the header's errors. Also
/// where its text ends (before the errors), to keep a selected header in view.
fn header_lines(
    app: &App,
    header: &Header,
    inner: Rect,
    is_match: bool,
    selected: bool,
    focused: bool,
) -> (Vec<Line<'static>>, usize) {
    let theme = &app.theme;
    let mut lines = Vec::new();
    let marker = if app.highlighted.contains(&header.index) {
        ("▶", theme.used_line())
    } else if is_match {
        ("*", theme.key())
    } else {
        (" ", Style::new())
    };
    let base = if app.highlighted.contains(&header.index) {
        theme.used_line()
    } else {
        Style::new()
    };
    // A header gets at most the pane's height less two rows (a megabyte header would bury
    // the others and slow every frame); `y` copies it whole.
    let rows = usize::from(inner.height.saturating_sub(2)).max(3);
    let mut budget = rows * usize::from(inner.width.saturating_sub(3)).max(1);
    let mut cut = 0;
    for (n, text) in display_lines(header, app.headers_raw)
        .into_iter()
        .enumerate()
    {
        let count = text.chars().count();
        if budget == 0 {
            cut += count;
            continue;
        }
        let text = if count > budget {
            cut += count - budget;
            let kept: String = text.chars().take(budget).collect();
            budget = 0;
            kept
        } else {
            budget -= count;
            text
        };
        let mut spans = vec![Span::styled(if n == 0 { marker.0 } else { " " }, marker.1)];
        if n == 0 && header.invalid_utf8 {
            // Lossy text (U+FFFD) must not pass for what was sent: say so up front.
            spans.push(Span::styled(EIGHT_BIT_TAG, theme.warning()));
        }
        spans.extend(highlight(&text, app.search.as_deref(), base, theme));
        // Wrapped under the text (past the marker column and the folding indent).
        for mut line in wrap_spans(spans, usize::from(inner.width), 3) {
            if selected {
                let missing = (inner.width as usize).saturating_sub(line.width());
                line.spans.push(Span::raw(" ".repeat(missing)));
                line = line.patch_style(theme.selection(focused));
            }
            lines.push(line);
        }
    }
    if cut > 0 {
        lines.push(note_line(format!(" … +{cut} chars; y copies all"), theme));
    }
    let text_end = lines.len();
    for error in &header.errors {
        lines.extend(wrap_spans(
            vec![Span::styled(
                format!("  ! {}", sanitize(error)),
                theme.error(),
            )],
            usize::from(inner.width),
            4,
        ));
    }
    (lines, text_end)
}

fn display_lines(header: &Header, raw: bool) -> Vec<String> {
    let mut lines = if raw {
        sanitize_lines(&header.raw)
    } else {
        vec![format!(
            "{}: {}",
            sanitize(&header.name),
            sanitize(&header.value)
        )]
    };
    // Encoded words as a mail client shows them, beside the raw text (display names are what
    // phishing dresses up).
    if let Some(d) = &header.decoded {
        lines.push(format!("  = decoded: {}", sanitize(d)));
    }
    lines
}

/// Splits a line into spans, highlighting case-insensitive occurrences of the search text.
fn highlight(text: &str, needle: Option<&str>, base: Style, theme: &Theme) -> Vec<Span<'static>> {
    let Some(needle) = needle.filter(|n| !n.is_empty()) else {
        return vec![Span::styled(text.to_string(), base)];
    };
    let mut spans = Vec::new();
    let mut rest = text;
    while let Some(at) = find_ignore_ascii_case(rest, needle) {
        let end = at + needle.len();
        spans.push(Span::styled(rest[..at].to_string(), base));
        spans.push(Span::styled(
            rest[at..end].to_string(),
            theme.search_match(),
        ));
        rest = &rest[end..];
    }
    spans.push(Span::styled(rest.to_string(), base));
    spans
}

/// Byte offset of `needle` in `haystack`, ASCII case-insensitive. Both are UTF-8, so a match
/// starts and ends on character boundaries.
fn find_ignore_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() || n.len() > h.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_highlight_is_case_insensitive_and_safe_on_non_ascii() {
        let theme = Theme::MONO;
        let spans = highlight(
            "Grüße DKIM-Signature dkim",
            Some("dkim"),
            Style::new(),
            &theme,
        );
        let texts: Vec<&str> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(texts, vec!["Grüße ", "DKIM", "-Signature ", "dkim", ""]);
        assert_eq!(find_ignore_ascii_case("ü", "x"), None);
        assert_eq!(find_ignore_ascii_case("aüb", "üB"), Some(1));
    }
}
