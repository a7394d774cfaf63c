//! One file per pane, plus the two widgets they share: a bordered pane block and a selectable
//! list that keeps its selection in view.

pub mod banner;
pub mod dns_log;
pub mod evidence;
pub mod headers;
pub mod help;
pub mod hops;
pub mod mailbox;
pub mod navigator;
pub mod start;
pub mod status;
pub mod steps;
pub mod too_small;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::theme::Theme;
use super::ui::list_offset;

/// A pane's frame: its title, with focus shown by a bold border (and colour when allowed) and a
/// `▸` before the title, so focus reads without colour too.
pub fn pane_block<'a>(title: impl Into<String>, focused: bool, theme: &Theme) -> Block<'a> {
    let marker = if focused { "▸ " } else { "" };
    Block::bordered()
        .border_style(theme.border(focused))
        .title(Span::styled(
            format!(" {marker}{} ", title.into()),
            theme.title(),
        ))
}

/// Draws `items` (each `height` lines tall) inside `block`, the selected one styled as selection.
pub fn render_list(
    items: Vec<Vec<Line<'_>>>,
    selected: Option<usize>,
    focused: bool,
    block: Block<'_>,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let inner = block.inner(area);
    block.render(area, buf);
    let per_item = items.first().map_or(1, |i| i.len().max(1));
    let visible = (inner.height as usize / per_item).max(1);
    let offset = list_offset(selected.unwrap_or(0), items.len(), visible);
    let mut lines = Vec::new();
    for (i, item) in items.into_iter().enumerate().skip(offset).take(visible) {
        for line in item {
            if Some(i) == selected {
                lines.push(pad(line, inner.width).patch_style(theme.selection(focused)));
            } else {
                lines.push(line);
            }
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

/// Pads a line with spaces to the full width, so a selection bar spans the pane.
fn pad(mut line: Line<'_>, width: u16) -> Line<'_> {
    let missing = (width as usize).saturating_sub(line.width());
    if missing > 0 {
        line.spans.push(Span::raw(" ".repeat(missing)));
    }
    line
}

/// A placeholder line (empty lists, "analysing…").
pub fn note_line(text: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.into(), theme.dim()))
}

/// Cuts text to at most `width` columns (by characters; wide glyphs may end a column short),
/// adding `…` when it had to cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Cuts text to at most `width` columns keeping its end (a path's file name), with `…` first
/// when it had to cut.
pub fn truncate_start(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let tail: String = text.chars().skip(count - width.saturating_sub(1)).collect();
    format!("…{tail}")
}

/// What a pane shows while it has no analysis: a spinner with `waiting` while a run is in
/// flight, else why there is none (a failed run never leaves a spinner behind).
pub fn no_analysis_note(app: &crate::tui::app::App, waiting: &str) -> Line<'static> {
    if app.is_running() {
        note_line(
            format!("{} {waiting}", super::theme::spinner(app.frame)),
            &app.theme,
        )
    } else {
        let why = app.failure.as_deref().unwrap_or("nothing was analysed");
        Line::styled(
            format!("No analysis: {}", super::sanitize::sanitize(why)),
            app.theme.error(),
        )
    }
}

/// A query's outcome in words. A query still pending once the run is over was abandoned (the
/// analysis stopped waiting for it): it says so instead of spinning forever.
pub fn outcome_text(app: &crate::tui::app::App, e: &crate::dns::DnsEvidence) -> String {
    match e.outcome {
        crate::dns::DnsOutcome::Pending if app.is_running() => {
            format!("{} pending", super::theme::spinner(app.frame))
        }
        crate::dns::DnsOutcome::Pending => "unanswered".into(),
        other => other.as_str().to_string(),
    }
}

/// Greedy word wrap to `width` columns in at most `max_lines` lines; a word wider than a line is
/// split, and text that does not fit ends in `…`.
pub fn wrap_words(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let width = width.max(1);
    let cols = |s: &str| Span::raw(s).width();
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let sep = usize::from(!current.is_empty());
        if cols(&current) + sep + cols(word) <= width {
            if sep == 1 {
                current.push(' ');
            }
            current.push_str(word);
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            if cols(&current) + cols(c.encode_utf8(&mut [0; 4])) > width {
                lines.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            let mut cut: String = last.clone();
            while cols(&cut) + 1 > width {
                cut.pop();
            }
            *last = format!("{}…", cut.trim_end());
        }
    }
    lines
}

/// Hard-wraps styled text at `width` columns, continuation lines indented by `indent` spaces (so
/// a long header stays readable in a narrow column instead of being cut).
pub fn wrap_spans(spans: Vec<Span<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let indent = indent.min(width.saturating_sub(1));
    let mut lines = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = Span::raw(c.encode_utf8(&mut [0; 4]).to_string()).width();
            if used + w > width && used > indent {
                if !piece.is_empty() {
                    current.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                lines.push(Line::from(std::mem::take(&mut current)));
                current.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            current.push(Span::styled(piece, span.style));
        }
    }
    lines.push(Line::from(current));
    lines
}

/// Gives lines that start indented (facts, DNS answers) a hanging indent when they wrap: the
/// continuation lines start two columns right of the line's own indent, at word boundaries
/// where possible, so a long value still reads as one item. Other lines are left to the pane.
pub fn hang(lines: Vec<Line<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let text = line.to_string();
        let leading = text.chars().take_while(|c| *c == ' ').count();
        if leading == 0 || line.width() <= width || width <= leading + 4 {
            out.push(line);
            continue;
        }
        let style = line.style;
        for wrapped in wrap_words_spans(line.spans, width, leading + 2) {
            out.push(wrapped.style(style));
        }
    }
    out
}

/// Word-wraps styled text at `width` columns, continuation lines indented by `indent`; a word
/// longer than a line is split.
fn wrap_words_spans(spans: Vec<Span<'static>>, width: usize, indent: usize) -> Vec<Line<'static>> {
    let cells: Vec<(char, ratatui::style::Style, usize)> = spans
        .iter()
        .flat_map(|s| {
            s.content.chars().map(move |c| {
                let w = Span::raw(c.encode_utf8(&mut [0; 4]).to_string()).width();
                (c, s.style, w)
            })
        })
        .collect();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut first = true;
    while start < cells.len() {
        let room = if first { width } else { width - indent };
        // How many cells fit.
        let mut used = 0;
        let mut end = start;
        while end < cells.len() && used + cells[end].2 <= room {
            used += cells[end].2;
            end += 1;
        }
        if end < cells.len() {
            // Break after the last space that leaves something on this line.
            // (not inside the line's own leading indent, which would leave it blank).
            let text_from = (start..end).find(|&i| cells[i].0 != ' ').unwrap_or(end);
            if let Some(space) = (text_from + 1..end).rev().find(|&i| cells[i].0 == ' ') {
                end = space + 1;
            }
        }
        let end = end.max(start + 1);
        let mut line_spans = Vec::new();
        if !first {
            line_spans.push(Span::raw(" ".repeat(indent)));
        }
        let mut run = String::new();
        let mut run_style = cells[start].1;
        for &(c, style, _) in &cells[start..end] {
            if style != run_style && !run.is_empty() {
                line_spans.push(Span::styled(std::mem::take(&mut run), run_style));
            }
            run_style = style;
            run.push(c);
        }
        // The space a line broke at ends it; the next line does not start with it.
        line_spans.push(Span::styled(run.trim_end().to_string(), run_style));
        lines.push(Line::from(line_spans));
        start = end;
        while start < cells.len() && cells[start].0 == ' ' {
            start += 1;
        }
        first = false;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_words_wraps_splits_and_marks_what_does_not_fit() {
        assert_eq!(wrap_words("a bb ccc", 4, 3), vec!["a bb", "ccc"]);
        assert_eq!(wrap_words("abcdefgh", 3, 3), vec!["abc", "def", "gh"]);
        assert_eq!(
            wrap_words("one two three four", 8, 2),
            vec!["one two", "three…"]
        );
        assert_eq!(wrap_words("", 5, 2), vec![""]);
        assert_eq!(wrap_words("ü ✓ grüße", 5, 2), vec!["ü ✓", "grüße"]);
    }

    #[test]
    fn wrap_spans_keeps_styles_and_indents_continuations() {
        use ratatui::style::Style;
        let bold = Style::new().bold();
        let lines = wrap_spans(vec![Span::raw("ab"), Span::styled("cdéf", bold)], 4, 1);
        let texts: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(texts, vec!["abcd", " éf"]);
        assert_eq!(lines[1].spans[1].style, bold);
        assert_eq!(wrap_spans(vec![Span::raw("")], 4, 1).len(), 1);
        // A zero-width column never loops forever.
        assert_eq!(wrap_spans(vec![Span::raw("abc")], 0, 3).len(), 3);
    }

    #[test]
    fn hang_indents_continuations_of_indented_lines_only() {
        let text = |lines: &[Line]| lines.iter().map(|l| l.to_string()).collect::<Vec<_>>();
        let lines = hang(
            vec![
                Line::from(vec![Span::raw("  a: "), Span::raw("one two three four")]),
                Line::from("no indent at all here, left to the pane"),
                Line::from("  short"),
            ],
            14,
        );
        assert_eq!(
            text(&lines),
            vec![
                "  a: one two",
                "    three four",
                "no indent at all here, left to the pane",
                "  short",
            ]
        );
        // A word longer than the line is split, never lost.
        let lines = hang(vec![Line::from("  k: abcdefghijklmnop")], 10);
        assert_eq!(
            text(&lines),
            vec!["  k:", "    abcdef", "    ghijkl", "    mnop"]
        );
        let lines = hang(vec![Line::from("  abcdefghijkl")], 10);
        assert_eq!(text(&lines), vec!["  abcdefgh", "    ijkl"]);
    }
}
