//! The hop timeline: each Received hop with from/by/IP/HELO/TLS, a delay bar, anomalies, and the
//! trust boundary. The boundary key re-runs the analysis from the selected hop.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use super::{no_analysis_note, note_line, pane_block, render_list};
use crate::analysis::{Analysis, Hop};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::sanitize::sanitize;

pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let key = app.keymap.first_key(Action::MoveBoundary).unwrap_or("?");
    let Some(a) = &app.analysis else {
        let block = pane_block("Hops", focused, theme);
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(no_analysis_note(app, "analysing…")).render(inner, buf);
        return;
    };
    let block = pane_block(
        format!(
            "Hops — {} Received, newest first · {key}: boundary here",
            a.hops.len()
        ),
        focused,
        theme,
    );
    if a.hops.is_empty() {
        let inner = block.inner(area);
        block.render(area, buf);
        Paragraph::new(note_line("No Received headers.", theme)).render(inner, buf);
        return;
    }
    // The client IPs in one column, as wide as the longest (the field that matters most here).
    let ip_width = a
        .hops
        .iter()
        .map(|h| or_q(&h.from_ip).chars().count())
        .max()
        .unwrap_or(1)
        .min(39);
    let width = usize::from(area.width.saturating_sub(2));
    let items = a
        .hops
        .iter()
        .enumerate()
        .map(|(i, hop)| hop_lines(app, i, hop, ip_width, width))
        .collect();
    render_list(items, Some(app.hop), focused, block, area, buf, theme);
}

fn or_q<S: AsRef<str>>(value: &Option<S>) -> String {
    value
        .as_ref()
        .map(|v| sanitize(v.as_ref()).into_owned())
        .unwrap_or_else(|| "?".into())
}

/// Two lines per hop. The first leads with the client IP (what the boundary is about), then
/// the delay bar, then who handed it to whom; on a narrow pane the labels shrink first (the
/// boundary marker to its glyph, the bar to half), never the IP.
fn hop_lines(app: &App, i: usize, hop: &Hop, ip_width: usize, width: usize) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let narrow = width < 70;
    let marker = match (hop.is_boundary, hop.below_boundary, narrow) {
        (true, _, false) => Span::styled("◆ boundary  ", theme.key()),
        (true, _, true) => Span::styled("◆ ", theme.key()),
        (false, true, false) => Span::styled("  untrusted ", theme.dim()),
        (false, true, true) => Span::styled("· ", theme.dim()),
        (false, false, false) => Span::raw("            "),
        (false, false, true) => Span::raw("  "),
    };
    let from = hop.from_rdns.as_ref().or(hop.from_host.as_ref());
    let bar_width = if narrow { 6 } else { 12 };
    let bar: String = delay_bar(hop.delay_seconds)
        .chars()
        .take(bar_width)
        .collect();
    let first = Line::from(vec![
        marker,
        Span::styled(format!("#{:<2} ", i + 1), theme.dim()),
        Span::styled(format!("{:<ip_width$} ", or_q(&hop.from_ip)), theme.title()),
        Span::styled(format!("{:>8}", delay_text(hop.delay_seconds)), theme.dim()),
        Span::styled(format!("{bar:<bar_width$}"), theme.pending()),
        Span::raw(format!(
            " {} → {}",
            or_q(&from.cloned()),
            or_q(&hop.by_host),
        )),
    ]);
    let indent = if narrow { "     " } else { "                " };
    let mut second = vec![Span::raw(format!(
        "{indent}helo {}  with {}",
        or_q(&hop.helo),
        or_q(&hop.with)
    ))];
    for anomaly in &hop.anomalies {
        second.push(Span::styled(
            format!("  ▲ {}", sanitize(anomaly)),
            theme.warning(),
        ));
    }
    if let Some(tls) = &hop.tls {
        second.push(Span::raw(format!("  TLS {}", sanitize(tls))));
    }
    vec![first, Line::from(second)]
}

/// `+3s`, `+2m05s`, `-40s` (clock skew), or `?` when either date is missing.
pub fn delay_text(delay: Option<i64>) -> String {
    match delay {
        None => "  ? ".into(),
        Some(d) if d < 0 => format!("{d}s ◀ "),
        Some(d) if d < 60 => format!("+{d}s "),
        Some(d) if d < 3600 => format!("+{}m{:02}s ", d / 60, d % 60),
        Some(d) => format!("+{}h{:02}m ", d / 3600, (d % 3600) / 60),
    }
}

/// Logarithmic, so a 2-second hop and a 2-hour hop both read at a glance.
pub fn delay_bar(delay: Option<i64>) -> String {
    match delay {
        Some(d) if d > 0 => {
            let len = (64 - (d as u64).leading_zeros()).clamp(1, 12) as usize;
            "█".repeat(len)
        }
        _ => String::new(),
    }
}

pub fn detail_lines(app: &App, a: &Analysis) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let mut lines = Vec::new();
    if let Some(hop) = a.hops.get(app.hop) {
        let field = |name: &str, value: &Option<Box<str>>| {
            Line::from(vec![
                Span::styled(format!("{name:<9}"), theme.dim()),
                Span::raw(or_q(value)),
            ])
        };
        // Anomalies first: they are why one looks at a hop, and the pane may not show it all.
        for anomaly in &hop.anomalies {
            lines.push(Line::styled(
                format!("▲ {}", sanitize(anomaly)),
                theme.warning(),
            ));
        }
        // Where the trust-boundary walk stands on this hop, and why.
        let walk = if hop.is_boundary {
            Some((
                "◆ trust boundary: accepted from outside here".to_string(),
                theme.title(),
            ))
        } else if let Some(why) = &hop.internal {
            Some((
                format!("the receiving organisation's own hop, passed over because {why}"),
                theme.dim(),
            ))
        } else if hop.below_boundary {
            Some((
                "below the boundary: written before the receiver got the message (could be \
                 forged by the sender)"
                    .to_string(),
                theme.dim(),
            ))
        } else {
            None
        };
        if let Some((text, style)) = walk {
            lines.push(Line::styled(sanitize(&text).into_owned(), style));
        }
        lines.push(field("by", &hop.by_host));
        lines.push(field("from", &hop.from_host));
        lines.push(field("rDNS", &hop.from_rdns));
        lines.push(field("IP", &hop.from_ip));
        lines.push(field("HELO", &hop.helo));
        lines.push(field("with", &hop.with));
        lines.push(field("TLS", &hop.tls));
        lines.push(field("id", &hop.id));
        lines.push(field("for", &hop.for_addr));
        lines.push(field("date", &hop.date));
        lines.push(Line::default());
    }
    let env = &a.envelope;
    lines.push(Line::styled("Envelope used for the checks", theme.title()));
    let boundary = env
        .boundary_hop
        .map(|b| format!("hop #{}", b + 1))
        .unwrap_or_else(|| "none".into());
    lines.push(Line::from(format!(
        "client {} · HELO {} · MAIL FROM {} · receiver {} · boundary {boundary}",
        or_q(&env.client_ip),
        or_q(&env.helo),
        env.mail_from
            .as_deref()
            .map(|m| if m.is_empty() {
                "<>".to_string()
            } else {
                sanitize(m).into_owned()
            })
            .unwrap_or_else(|| "?".into()),
        or_q(&env.receiver),
    )));
    for source in &env.sources {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}: ", sanitize(&source.field)), theme.dim()),
            Span::raw(format!(
                "{} — {}",
                sanitize(&source.text),
                sanitize(&source.how)
            )),
        ]));
    }
    lines
}

/// A hop as Markdown, for copying.
pub fn hop_markdown(i: usize, total: usize, hop: &Hop) -> String {
    let v = |o: &Option<Box<str>>| o.as_deref().unwrap_or("?").to_string();
    // The TUI numbers hops newest first, the reports oldest first: a copied hop names both.
    let mut out = format!(
        "### Hop #{} of {total}, newest first (#{} in the reports, oldest first) {}\n\n- by: {}\n- from: {} ({}) [{}]\n- HELO: {}\n- with: {}\n- TLS: {}\n- date: {}\n- delay: {}\n",
        i + 1,
        total.saturating_sub(i),
        if hop.is_boundary {
            "(trust boundary)"
        } else {
            ""
        },
        v(&hop.by_host),
        v(&hop.from_host),
        v(&hop.from_rdns),
        v(&hop.from_ip),
        v(&hop.helo),
        v(&hop.with),
        v(&hop.tls),
        v(&hop.date),
        delay_text(hop.delay_seconds).trim(),
    );
    if let Some(why) = &hop.internal {
        out.push_str(&format!(
            "- the receiving organisation's own hop, passed over because {why}\n"
        ));
    }
    for anomaly in &hop.anomalies {
        out.push_str(&format!("- anomaly: {anomaly}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_read_in_units() {
        assert_eq!(delay_text(Some(3)), "+3s ");
        assert_eq!(delay_text(Some(125)), "+2m05s ");
        assert_eq!(delay_text(Some(7260)), "+2h01m ");
        assert_eq!(delay_text(Some(-40)), "-40s ◀ ");
        assert_eq!(delay_text(None), "  ? ");
    }

    #[test]
    fn delay_bars_grow_logarithmically() {
        assert_eq!(delay_bar(Some(1)).chars().count(), 1);
        assert_eq!(delay_bar(Some(60)).chars().count(), 6);
        assert_eq!(delay_bar(Some(i64::MAX)).chars().count(), 12);
        assert_eq!(delay_bar(Some(-5)), "");
    }

    #[test]
    fn a_copied_hop_says_why_the_walk_passed_it() {
        let hop = Hop {
            by_host: Some("store.receiver.example".into()),
            internal: Some("its client 10.20.0.12 is private (RFC 1918)".into()),
            ..Default::default()
        };
        let md = hop_markdown(0, 1, &hop);
        assert!(
            md.contains(
                "- the receiving organisation's own hop, passed over because its client \
                 10.20.0.12 is private (RFC 1918)"
            ),
            "{md}"
        );
        assert!(!hop_markdown(0, 1, &Hop::default()).contains("passed over"));
    }
}
