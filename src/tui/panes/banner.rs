//! The one-line verdict banner: what matters, in words.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::tui::app::App;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::spinner;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let mut spans = Vec::new();
    if app.is_running() {
        let pending = app.pending_queries();
        let doing = if app.analysis.is_some() {
            "Re-running"
        } else {
            "Analysing"
        };
        spans.push(Span::styled(
            format!(
                "{} {doing} {} — {pending} DNS quer{} pending ",
                spinner(app.frame),
                sanitize(&app.options.source),
                if pending == 1 { "y" } else { "ies" }
            ),
            theme.pending(),
        ));
    }
    if let Some(a) = &app.analysis {
        let (glyph, style) = theme.result(a.dmarc.result);
        let verdict = if a.summary.verdict.is_empty() {
            "No verdict".to_string()
        } else {
            sanitize(&a.summary.verdict).into_owned()
        };
        spans.push(Span::styled(format!("{glyph} {verdict}"), style));
    }
    Paragraph::new(Line::from(spans)).render(area, buf);
}
