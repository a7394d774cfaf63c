//! The help overlay, generated from the command list and the keymap in force.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Widget};

use super::pane_block;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::keymap::user_keymap_path;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let mut lines: Vec<Line> = Action::ALL
        .iter()
        .map(|&action| {
            let keys = app.keymap.keys_for(action).join(" ");
            Line::from(vec![
                Span::styled(format!(" {keys:<20}"), theme.key()),
                Span::raw(action.description()),
            ])
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(
        " Esc first closes this help, cancels a prompt or clears a header search",
        theme.dim(),
    ));
    lines.push(Line::styled(
        " mouse: click focuses a pane and selects a row; the wheel scrolls",
        theme.dim(),
    ));
    if let Some(path) = user_keymap_path() {
        lines.push(Line::styled(
            format!(" keys can be changed in {}", path.display()),
            theme.dim(),
        ));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = area.centered(
        Constraint::Length(area.width.min(76)),
        Constraint::Length(height),
    );
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .scroll((app.help_scroll, 0))
        .block(pane_block("Help — ? or Esc closes", true, theme))
        .render(popup, buf);
}
