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
                Span::raw(truncate(&sanitize(&step.title), title_width)),
            ])]
        })
        .collect();
    render_list(items, Some(app.step), focused, block, area, buf, theme);
}
