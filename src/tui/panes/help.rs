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
    let lines = lines(app);
    let total = lines.len();
    let popup = popup(area, total);
    let visible = usize::from(popup.height.saturating_sub(2));
    let scroll = usize::from(app.help_scroll).min(total.saturating_sub(visible));
    let title = if total > visible {
        format!(
            "Help — ? or Esc closes · j/k scroll · {}–{} of {total}",
            scroll + 1,
            (scroll + visible).min(total)
        )
    } else {
        "Help — ? or Esc closes".to_string()
    };
    Clear.render(popup, buf);
    Paragraph::new(lines)
        .scroll((scroll as u16, 0))
        .block(pane_block(title, true, theme))
        .render(popup, buf);
}

/// How far the help can scroll in a terminal of `area`.
pub fn max_scroll(app: &App, area: Rect) -> u16 {
    let total = lines(app).len();
    let visible = usize::from(popup(area, total).height.saturating_sub(2));
    total.saturating_sub(visible) as u16
}

fn popup(area: Rect, lines: usize) -> Rect {
    let height = (lines as u16 + 2).min(area.height);
    area.centered(
        Constraint::Length(area.width.min(76)),
        Constraint::Length(height),
    )
}

fn lines(app: &App) -> Vec<Line<'static>> {
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
        " Esc also closes this help, cancels a prompt, clears a header search",
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
    lines
}
