//! The verdict banner (two lines, three when the verdict needs them): what matters, in words.
//! The verdict wraps rather than being cut; the receiving server's own decision follows when it
//! recorded one, and when the verdict fits on one line, the most serious warning (a forged
//! Authentication-Results …), so the point is never hidden.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Widget};

use super::{truncate, wrap_words};
use crate::analysis::{Analysis, Part, Severity};
use crate::tui::app::App;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::spinner;

/// Rows the banner takes at least, and at most (a verdict that needs a third line gets it).
pub const HEIGHT: u16 = 2;
pub const MAX_HEIGHT: u16 = 3;

/// Rows the banner needs at this width.
pub fn height(app: &App, width: u16) -> u16 {
    (lines(app, width).len() as u16).clamp(HEIGHT, MAX_HEIGHT)
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    Paragraph::new(lines(app, area.width)).render(area, buf);
}

fn lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let width = usize::from(width);
    let mut lines = Vec::new();
    if app.is_running() {
        let pending = app.pending_queries();
        let doing = if app.before_run.is_some() {
            "Re-running"
        } else {
            "Analysing"
        };
        let text = format!(
            "{} {doing} {} — {pending} DNS quer{} pending",
            spinner(app.frame),
            sanitize(&app.options.source),
            if pending == 1 { "y" } else { "ies" }
        );
        lines.push(Line::styled(truncate(&text, width), theme.pending()));
    }
    if app.is_running() && !app.pending_parts.is_empty() {
        // A partial analysis has no verdict yet: say what it is waiting for.
        let parts: Vec<&str> = app
            .pending_parts
            .iter()
            .map(|p| match p {
                Part::Spf => "SPF",
                Part::Dkim => "DKIM",
                Part::Arc => "ARC",
                Part::Dmarc => "alignment and DMARC",
            })
            .collect();
        // With no query in flight the parts are computing (hashing a large body), not waiting.
        let text = if app.pending_queries() > 0 {
            format!("Waiting for DNS before a verdict: {}", parts.join(", "))
        } else {
            format!("Computing before a verdict: {}", parts.join(", "))
        };
        lines.push(Line::styled(truncate(&text, width), theme.dim()));
    } else if let Some(a) = &app.analysis {
        let (glyph, style) = theme.result(a.dmarc.result);
        let verdict = if a.summary.verdict.is_empty() {
            "No verdict".to_string()
        } else {
            sanitize(&a.summary.verdict).into_owned()
        };
        let room = usize::from(MAX_HEIGHT) - lines.len();
        let wrapped = wrap_words(&format!("{glyph} {verdict}"), width, room);
        lines.extend(wrapped.into_iter().map(|l| Line::styled(l, style)));
        let verdict_rows = lines.len();
        // What the receiving server decided, from its own trusted record.
        if let Some(line) = a.receiver_verdict.as_ref().and_then(|v| v.line.as_deref())
            && lines.len() < usize::from(MAX_HEIGHT)
        {
            lines.push(Line::styled(truncate(&sanitize(line), width), theme.dim()));
        }
        if verdict_rows < usize::from(HEIGHT)
            && lines.len() < usize::from(MAX_HEIGHT)
            && let Some(line) = warning_line(a, width)
        {
            lines.push(Line::styled(line, theme.warning()));
        }
    } else if let Some(failure) = &app.failure {
        lines.push(Line::styled(
            truncate(&format!("No analysis: {}", sanitize(failure)), width),
            theme.error(),
        ));
    }
    lines
}

/// The most serious warning, with how many more the Summary lists. Under a DMARC pass, a risk of
/// a passing signature comes first (an `l=` leaving bytes unsigned …): a pass is never shown
/// plain when a door is open.
fn warning_line(a: &Analysis, width: usize) -> Option<String> {
    let is_risk = |w: &&crate::analysis::Warning| w.code.starts_with("dkim-risk");
    let serious: Vec<_> = a
        .warnings
        .iter()
        .filter(|w| w.severity != Severity::Info || is_risk(w))
        .collect();
    let risk = (a.dmarc.result == crate::analysis::AuthResult::Pass)
        .then(|| {
            serious
                .iter()
                .find(|w| is_risk(w) && w.severity == Severity::Warning)
                .or_else(|| serious.iter().find(|w| is_risk(w)))
        })
        .flatten();
    let first = serious
        .iter()
        .find(|w| w.severity == Severity::Error)
        .or(risk)
        .or_else(|| {
            serious
                .iter()
                .find(|w| !is_risk(w) || w.severity != Severity::Info)
        })?;
    let more = match serious.len() - 1 {
        0 => String::new(),
        n => format!(" (+{n} more in Summary)"),
    };
    let room = width.saturating_sub(2 + more.chars().count());
    Some(format!(
        "▲ {}{more}",
        truncate(&sanitize(&first.message), room)
    ))
}
