//! The evidence pane: for the current step, its explanation, facts, the DNS evidence it relied on
//! (query, type, answer or error, TTL, live/snapshot) and the header lines it used. In the hop
//! timeline it details the selected hop; in the DNS log, the selected query.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::{hang, headers, hops, no_analysis_note, note_line, outcome_text, pane_block};
use crate::analysis::{Analysis, Step};
use crate::dns::{DnsEvidence, DnsSource};
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::check::{MainView, jump_target, step_evidence};
use crate::tui::sanitize::{sanitize, sanitize_lines};
use crate::tui::theme::{Theme, outcome_word};
use crate::tui::ui::Pane;

pub fn render(app: &App, area: Rect, buf: &mut Buffer, focused: bool) {
    let theme = &app.theme;
    let inner = Block::bordered().inner(area);
    let (title, lines) = content(app);
    let lines = hang(lines, usize::from(inner.width));
    let total = wrapped_height(&lines, inner.width);
    let visible = usize::from(inner.height);
    // Clamped here too: a resize can leave the stored offset past the end.
    let scroll = usize::from(app.evidence_scroll).min(total.saturating_sub(visible));
    let title = if total > visible {
        format!(
            "{title} · {}–{} of {total}",
            scroll + 1,
            (scroll + visible).min(total)
        )
    } else {
        title.to_string()
    };
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll.min(u16::MAX as usize) as u16, 0))
        .block(pane_block(title, focused, theme))
        .render(area, buf);
}

/// How far the evidence can scroll in a pane of `area`: its wrapped height less what fits.
pub fn max_scroll(app: &App, area: Rect) -> u16 {
    let inner = Block::bordered().inner(area);
    let lines = hang(content(app).1, usize::from(inner.width));
    let total = wrapped_height(&lines, inner.width);
    total
        .saturating_sub(usize::from(inner.height))
        .min(u16::MAX as usize) as u16
}

/// The pane title and its lines for what is selected.
fn content(app: &App) -> (&'static str, Vec<Line<'static>>) {
    let theme = &app.theme;
    match (app.selected_check().main_view(), &app.analysis) {
        (MainView::Hops, Some(a)) => ("Hop detail", hops::detail_lines(app, a)),
        (MainView::DnsLog, _) => (
            "Query",
            app.dns_log()
                .get(app.dns_entry)
                .map(|e| dns_lines(e, app))
                .unwrap_or_else(|| vec![note_line("No DNS queries.", theme)]),
        ),
        (MainView::Steps, Some(a)) => (
            "Evidence",
            match app.current_step() {
                Some(step) => {
                    let mut lines = step_lines(app, a, &step);
                    // Summary and recorded rows lead somewhere: say where, and with which key.
                    if let Some((check, header)) = jump_target(a, app.selected_check(), app.step) {
                        let key = app.keymap.first_key(Action::Select).unwrap_or("enter");
                        let place = match header.and_then(|h| a.headers.get(h)) {
                            Some(h) => format!("header #{} {} in Headers", h.index, h.name),
                            None => check.title(Some(a)),
                        };
                        lines.push(Line::default());
                        // From the navigator, Enter first moves into the steps.
                        let twice = if app.focus == Pane::Navigator {
                            " twice"
                        } else {
                            ""
                        };
                        lines.push(note_line(
                            format!("press {key}{twice} to open {}", sanitize(&place)),
                            theme,
                        ));
                    }
                    lines
                }
                None => vec![note_line("Nothing selected.", theme)],
            },
        ),
        _ => (
            "Evidence",
            vec![no_analysis_note(app, "waiting for the analysis…")],
        ),
    }
}

/// Rows the lines take once word-wrapped to `width`, measured by rendering them (the same wrap
/// as the pane; trailing blank rows do not count). Huge content (an attacker's megabyte header)
/// is estimated instead, generously: scrolling a little past its end is harmless, measuring it
/// on every frame is not.
fn wrapped_height(lines: &[Line<'static>], width: u16) -> usize {
    /// Above this many rows (by a character count) the height is estimated.
    const MEASURED: usize = 500;
    if width == 0 || lines.is_empty() {
        return 0;
    }
    let estimate: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(usize::from(width)).max(1))
        .sum();
    if estimate > MEASURED {
        return estimate.saturating_add(estimate / 4);
    }
    // Word wrap fills each pair of rows past the width, so a line takes at most twice its
    // character-wrap rows plus one: 3 × the estimate bounds it.
    let h = (estimate * 3 + 2) as u16;
    let rect = Rect::new(0, 0, width, h);
    let mut scratch = Buffer::empty(rect);
    Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .render(rect, &mut scratch);
    (0..h)
        .rev()
        .find(|&y| (0..width).any(|x| scratch[(x, y)].symbol() != " "))
        .map_or(0, |y| usize::from(y) + 1)
}

/// Characters of one used header shown in the evidence.
const HEADER_CHARS: usize = 4000;

fn heading(text: &str, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.to_string(), theme.title()))
}

fn step_lines(app: &App, a: &Analysis, step: &Step) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let (glyph, style) = theme.outcome(step.outcome);
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{glyph} {} ", outcome_word(step.outcome)), style),
        Span::styled(sanitize(&step.title).into_owned(), theme.title()),
    ])];
    if !step.explanation.is_empty() && step.explanation != step.title {
        lines.push(Line::from(sanitize(&step.explanation).into_owned()));
    }
    for fact in &step.facts {
        lines.push(Line::from(vec![
            Span::styled(format!("  {}: ", sanitize(&fact.name)), theme.dim()),
            Span::raw(sanitize(&fact.value).into_owned()),
        ]));
    }
    let evidence = step_evidence(step, app.dns_log());
    if !evidence.is_empty() {
        lines.push(Line::default());
        lines.push(heading("DNS evidence", theme));
        for e in evidence {
            lines.extend(dns_lines(e, app));
        }
    }
    if !step.headers.is_empty() {
        lines.push(Line::default());
        lines.push(heading("Header lines used (▶ in Headers)", theme));
        for &index in &step.headers {
            match a.headers.get(index) {
                Some(h) => {
                    // A few thousand characters say what the step used; a megabyte header
                    // would only bury the rest (the Headers view counts what is left out).
                    let mut budget = HEADER_CHARS;
                    let mut cut = 0;
                    for (n, l) in sanitize_lines(&h.raw).into_iter().enumerate() {
                        let count = l.chars().count();
                        if budget == 0 {
                            cut += count;
                            continue;
                        }
                        let l = if count > budget {
                            cut += count - budget;
                            l.chars().take(std::mem::take(&mut budget)).collect()
                        } else {
                            budget -= count;
                            l
                        };
                        let tag = if n == 0 && h.invalid_utf8 {
                            headers::EIGHT_BIT_TAG
                        } else {
                            ""
                        };
                        lines.push(Line::styled(format!("▶ {tag}{l}"), theme.used_line()));
                    }
                    if cut > 0 {
                        lines.push(note_line(format!("  … +{cut} chars"), theme));
                    }
                }
                None => lines.push(note_line(format!("header #{index} (not found)"), theme)),
            }
        }
    }
    lines
}

/// One query with its answer or error, TTL and where the answer came from.
pub fn dns_lines(e: &DnsEvidence, app: &App) -> Vec<Line<'static>> {
    let theme = &app.theme;
    let source = match e.source {
        DnsSource::Live => "live",
        DnsSource::Snapshot => "snapshot",
    };
    let outcome = outcome_text(app, e);
    let ttl = e.ttl.map(|t| format!("  TTL {t}")).unwrap_or_default();
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{:<5} ", e.rtype.as_str()), theme.key()),
        Span::raw(sanitize(&e.name).into_owned()),
        Span::raw(" → "),
        Span::styled(outcome, theme.dns_outcome(e.outcome)),
        Span::styled(format!("{ttl}  {source}"), theme.dim()),
    ])];
    for target in &e.cname_chain {
        lines.push(note_line(
            format!("      via CNAME {}", sanitize(target)),
            theme,
        ));
    }
    for answer in &e.answers {
        lines.push(Line::from(format!("      {}", sanitize(answer))));
    }
    if let Some(error) = &e.error {
        lines.push(Line::styled(
            format!("      error: {}", sanitize(error)),
            theme.error(),
        ));
    }
    lines
}

/// A query as Markdown, for copying from the DNS log.
pub fn dns_markdown(e: &DnsEvidence) -> String {
    let mut out = format!("- `{} {}` → {}", e.rtype, e.name, e.outcome.as_str());
    if let Some(ttl) = e.ttl {
        out.push_str(&format!(" (TTL {ttl})"));
    }
    out.push_str(match e.source {
        DnsSource::Live => ", live\n",
        DnsSource::Snapshot => ", snapshot\n",
    });
    for answer in &e.answers {
        out.push_str(&format!("  - `{answer}`\n"));
    }
    if let Some(error) = &e.error {
        out.push_str(&format!("  - error: {error}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_height_measures_word_wrap_and_estimates_huge_content() {
        assert_eq!(wrapped_height(&[Line::from("aaa bbb ccc")], 7), 2);
        assert_eq!(wrapped_height(&[Line::from("aaaa bbbb cccc")], 6), 3);
        assert_eq!(
            wrapped_height(&[Line::from("x"), Line::default(), Line::default()], 5),
            1
        );
        let started = std::time::Instant::now();
        let huge = wrapped_height(&[Line::from("x".repeat(400_000))], 80);
        assert!(huge >= 5000, "{huge}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
