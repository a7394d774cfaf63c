//! The navigator: every check with its verdict badge (glyph + word + colour), or a spinner while
//! the DNS it waits for is in flight.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{pane_block, render_list, truncate};
use crate::dns::DnsOutcome;
use crate::tui::app::App;
use crate::tui::check::Check;
use crate::tui::sanitize::sanitize;
use crate::tui::theme::spinner;

/// Columns kept for the badge word at the right.
const BADGE_WIDTH: usize = 11;

pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let inner_width = area.width.saturating_sub(2) as usize;
    let a = app.analysis.as_ref();
    let items = app
        .checks()
        .into_iter()
        .map(|check| {
            let (badge, style) = badge(app, check);
            let label_width = inner_width.saturating_sub(badge.chars().count() + 1);
            let label = truncate(&sanitize(&check.label(a)), label_width);
            let gap = inner_width.saturating_sub(label.chars().count() + badge.chars().count());
            vec![Line::from(vec![
                Span::raw(label),
                Span::raw(" ".repeat(gap)),
                Span::styled(badge, style),
            ])]
        })
        .collect();
    render_list(
        items,
        Some(app.nav),
        focused,
        pane_block("Checks", focused, theme),
        area,
        buf,
        theme,
    );
}

/// The badge text and style: a spinner while this check's queries are in flight.
fn badge(app: &App, check: Check) -> (String, Style) {
    let theme = &app.theme;
    if app.is_running() {
        let waiting = app
            .live_dns
            .iter()
            .any(|q| q.outcome == DnsOutcome::Pending && check.waits_for(q));
        let pending = check.part().is_some_and(|p| app.pending_parts.contains(&p));
        if pending && waiting {
            return (format!("{} dns", spinner(app.frame)), theme.pending());
        }
        if pending || app.analysis.is_none() {
            return (format!("{} …", spinner(app.frame)), theme.dim());
        }
    }
    let Some(a) = &app.analysis else {
        return ("…".into(), theme.dim());
    };
    let badge = check.badge(a);
    let style = match badge.result {
        Some(result) => theme.result(result).1,
        None if badge.warn => theme.warning(),
        None => theme.dim(),
    };
    let text = format!("{} {}", badge.glyph, badge.word);
    (truncate(text.trim_end(), BADGE_WIDTH), style)
}
