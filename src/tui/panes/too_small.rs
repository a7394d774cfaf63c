//! Shown instead of the layout when the terminal is below 80×24.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget, Wrap};

use crate::tui::app::App;
use crate::tui::ui::{MIN_HEIGHT, MIN_WIDTH};

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let lines = vec![
        Line::styled("Terminal too small", app.theme.title()),
        Line::from(format!(
            "{}×{} — mailsleuth needs at least {MIN_WIDTH}×{MIN_HEIGHT}",
            area.width, area.height
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    let body = area.centered(
        Constraint::Percentage(100),
        Constraint::Length(area.height.min(6)),
    );
    Paragraph::new(lines)
        .centered()
        .wrap(Wrap { trim: true })
        .render(body, buf);
}
