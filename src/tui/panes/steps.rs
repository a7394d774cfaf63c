//! The steps pane: the selected check's ordered decision steps.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{no_analysis_note, note_line, pane_block, render_list, truncate};
use crate::tui::app::App;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::outcome_word;

pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let a = app.analysis.as_ref();
    let check = app.selected_check();
    let steps = app.steps();
    let position = if steps.is_empty() {
        String::new()
    } else {
        format!(" {}/{}", app.step + 1, steps.len())
    };
    // The position first: a long check title is what gets cut.
    let block = pane_block(
        format!("Steps{position} — {}", check.title(a)),
        focused,
        theme,
    );
    if steps.is_empty() {
        let note = if a.is_none() {
            no_analysis_note(app, "analysing: the steps appear when DNS answers")
        } else {
            note_line("No steps: nothing to check here.", theme)
        };
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(note).render(inner, buf);
        return;
    }
    // Number and outcome take 14 columns; a cut title ends in `…` (the evidence pane has it all).
    let title_width = (area.width as usize).saturating_sub(2 + 14);
    let items = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (glyph, style) = theme.outcome(step.outcome);
            vec![Line::from(vec![
                Span::styled(format!("{:>2} ", i + 1), theme.dim()),
                Span::styled(format!("{glyph} {:<8} ", outcome_word(step.outcome)), style),
                Span::raw(fit_title(&sanitize(&step.title), title_width)),
            ])]
        })
        .collect();
    render_list(items, Some(app.step), focused, block, area, buf, theme);
}

/// A title cut to `width`. A nested path (`include:a › include:b › ip4:…`) loses its outer
/// segments first, since the innermost is what tells the rows apart.
pub fn fit_title(title: &str, width: usize) -> String {
    const SEP: &str = " › ";
    if title.chars().count() <= width || !title.contains(SEP) {
        return truncate(title, width);
    }
    let segments: Vec<&str> = title.split(SEP).collect();
    for skip in 1..segments.len() {
        let tail = format!("…{SEP}{}", segments[skip..].join(SEP));
        if tail.chars().count() <= width {
            return tail;
        }
    }
    truncate(&format!("…{SEP}{}", segments[segments.len() - 1]), width)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_titles_keep_their_innermost_segment() {
        assert_eq!(fit_title("a › b › c", 20), "a › b › c");
        assert_eq!(
            fit_title("include:one › include:two › ip4:1", 30),
            "… › include:two › ip4:1"
        );
        assert_eq!(
            fit_title("include:one › include:two › ip4:1", 10),
            "… › ip4:1"
        );
        assert_eq!(
            fit_title("include:one › include:two › ip4:12345", 9),
            "… › ip4:…"
        );
        assert_eq!(fit_title("plain words that are long", 10), "plain wor…");
    }
}
