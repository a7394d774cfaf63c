//! The steps pane: the selected check's ordered decision steps.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{note_line, pane_block, render_list};
use crate::tui::app::App;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::{outcome_word, spinner};

pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let a = app.analysis.as_ref();
    let check = app.selected_check();
    let steps = app.steps();
    let position = if steps.is_empty() {
        String::new()
    } else {
        format!(" [{}/{}]", app.step + 1, steps.len())
    };
    let block = pane_block(
        format!("Steps — {}{position}", check.title(a)),
        focused,
        theme,
    );
    if steps.is_empty() {
        let note = if a.is_none() {
            format!(
                "{} analysing: the steps appear when DNS answers",
                spinner(app.frame)
            )
        } else {
            "No steps: nothing to check here.".to_string()
        };
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(note_line(note, theme)).render(inner, buf);
        return;
    }
    let items = steps
        .iter()
        .enumerate()
        .map(|(i, step)| {
            let (glyph, style) = theme.outcome(step.outcome);
            vec![Line::from(vec![
                Span::styled(format!("{:>2} ", i + 1), theme.dim()),
                Span::styled(format!("{glyph} {:<8} ", outcome_word(step.outcome)), style),
                Span::raw(sanitize(&step.title).into_owned()),
            ])]
        })
        .collect();
    render_list(items, Some(app.step), focused, block, area, buf, theme);
}
