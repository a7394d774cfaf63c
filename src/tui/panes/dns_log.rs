//! The DNS log: every distinct query of the run, with a spinner on those still in flight.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{note_line, outcome_text, pane_block, render_list, truncate};
use crate::dns::{DnsOutcome, DnsSource};
use crate::tui::app::App;
use crate::tui::check::pending_count;
use crate::tui::sanitize::sanitize;

pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let log = app.dns_log();
    let pending = if app.is_running() {
        pending_count(log)
    } else {
        0
    };
    let title = if pending > 0 {
        format!("DNS log — {} queries, {pending} pending", log.len())
    } else {
        format!("DNS log — {} queries", log.len())
    };
    let block = pane_block(title, focused, theme);
    if log.is_empty() {
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(note_line("No DNS queries (yet).", theme)).render(inner, buf);
        return;
    }
    // Names padded to one column (at most half the pane), so outcomes line up and a
    // nxdomain or timeout stands out when scanning down.
    let inner_width = usize::from(area.width.saturating_sub(2));
    let name_width = log
        .iter()
        .map(|e| sanitize(&e.name).chars().count())
        .max()
        .unwrap_or(0)
        .min(inner_width / 2);
    let items = log
        .iter()
        .map(|e| {
            let outcome = outcome_text(app, e);
            let detail = match (e.answers.first(), e.answers.len()) {
                (Some(first), 1) => sanitize(first).into_owned(),
                (Some(first), n) => format!("{} (+{} more)", sanitize(first), n - 1),
                (None, _) => e
                    .error
                    .as_deref()
                    .map(|x| sanitize(x).into_owned())
                    .unwrap_or_default(),
            };
            // Asked ahead of need, read by no check: it decided nothing.
            let detail = match (e.used, detail.is_empty()) {
                (true, _) => detail,
                (false, true) => "prefetched, not used".to_string(),
                (false, false) => format!("{detail} (prefetched, not used)"),
            };
            let timing = match e.source {
                DnsSource::Live if e.outcome != DnsOutcome::Pending => {
                    format!("{:.0} ms ", e.elapsed_ms)
                }
                DnsSource::Live => String::new(),
                DnsSource::Snapshot => "snap ".into(),
            };
            vec![Line::from(vec![
                Span::styled(format!("{:<5} ", e.rtype.as_str()), theme.key()),
                Span::raw(format!(
                    "{:<name_width$} ",
                    truncate(&sanitize(&e.name), name_width)
                )),
                Span::styled(format!("{outcome:<10} "), theme.dns_outcome(e.outcome)),
                Span::styled(timing, theme.dim()),
                Span::raw(detail),
            ])]
        })
        .collect();
    render_list(items, Some(app.dns_entry), focused, block, area, buf, theme);
}
