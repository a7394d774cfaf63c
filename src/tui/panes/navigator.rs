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

/// At most this many columns for the badge at the right (the label shrinks first).
const BADGE_WIDTH: usize = 14;

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
            let label = fit_label(check, a, label_width);
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

/// The label in `width` columns: the full one, else a shorter word, else (DKIM) the domain alone
/// when no other signature has it, else the domain shortened from the left so the selector
/// stays (`DKIM …ple.com s=sel1`), else cut.
pub fn fit_label(check: Check, a: Option<&crate::analysis::Analysis>, width: usize) -> String {
    let full = sanitize(&check.label(a)).into_owned();
    if full.chars().count() <= width {
        return full;
    }
    if let Some(short) = check.short_label() {
        return truncate(short, width);
    }
    let Some((domain, selector)) = check.dkim_ids(a) else {
        return truncate(&full, width);
    };
    // A domain no other signature shares says enough: it keeps the room (a lookalike domain is
    // the point); the selector tells apart signatures of one domain.
    let shared = a.is_some_and(|a| {
        a.dkim
            .iter()
            .filter(|d| d.domain.as_deref() == Some(domain.as_str()))
            .count()
            > 1
    });
    if !shared {
        return truncate(&format!("DKIM {}", sanitize(&domain)), width);
    }
    let (domain, selector) = (sanitize(&domain), sanitize(&selector));
    let tail = format!(" s={selector}");
    for prefix in ["DKIM ", ""] {
        let room = width.saturating_sub(prefix.len() + tail.chars().count());
        if room >= 4 {
            return format!("{prefix}{}{tail}", shorten_left(&domain, room));
        }
    }
    truncate(&full, width)
}

/// The end of `text` in `width` columns, with `…` for what was cut (a domain's registrable part
/// is at its end).
fn shorten_left(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    let kept: String = text.chars().skip(count + 1 - width).collect();
    format!("…{kept}")
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
