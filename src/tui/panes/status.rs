//! The status bar: an open prompt, else the last message, else key hints taken from the keymap;
//! at the right, the DNS state.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::analysis::DnsMode;
use crate::tui::action::Action;
use crate::tui::app::{App, Prompt, PromptKind, Screen};
use crate::tui::check::{Check, MainView};
use crate::tui::sanitize::sanitize;
use crate::tui::theme::spinner;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    // An open prompt gets the whole line. A message shares it with the essential keys (help and
    // quit, from the first frame on) and, when there is room, the DNS state.
    let message_cols = app
        .status
        .as_deref()
        .map_or(0, |m| sanitize(m).chars().count());
    let essentials = if app.status.is_some() && app.prompt.is_none() {
        essential_hints(app)
    } else {
        Vec::new()
    };
    let essentials_cols: usize = essentials.iter().map(|s| s.content.chars().count()).sum();
    let dns = dns_state(app);
    let crowded =
        message_cols + essentials_cols + dns.chars().count() + 4 > usize::from(area.width);
    let dns = if app.prompt.is_some() || crowded {
        String::new()
    } else {
        dns
    };
    let mut right_spans = essentials;
    if !dns.is_empty() {
        if !right_spans.is_empty() {
            right_spans.push(Span::raw("  "));
        }
        right_spans.push(Span::styled(dns, theme.dim()));
    }
    let right_cols: usize = right_spans.iter().map(|s| s.content.chars().count()).sum();
    let [left_area, right_area] = area.layout(&Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(if right_cols == 0 {
            0
        } else {
            right_cols as u16 + 1
        }),
    ]));
    let left = if let Some(Prompt {
        kind: PromptKind::Overwrite { path, instead },
        ..
    }) = &app.prompt
    {
        // The offered name is in the same directory: its file name says enough.
        let instead = std::path::Path::new(instead)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| instead.clone());
        Line::from(vec![
            Span::styled(format!("{} exists:", sanitize(path)), theme.warning()),
            Span::styled(" y", theme.key()),
            Span::raw(" overwrite  "),
            Span::styled("Esc", theme.key()),
            Span::raw(" cancel  "),
            // Last: the longest, so a narrow terminal cuts this and not the keys.
            Span::styled("n", theme.key()),
            Span::raw(format!(" write {} instead", sanitize(&instead))),
        ])
    } else if let Some(prompt) = &app.prompt {
        let label = match prompt.kind {
            PromptKind::Search => "/",
            PromptKind::Filter => "filter (verdict or From domain): ",
            PromptKind::WriteReport | PromptKind::Overwrite { .. } => "Write report to: ",
        };
        let text = sanitize(&prompt.input.text).into_owned();
        let (before, after): (String, String) = {
            let mut chars = text.chars();
            let before: String = chars.by_ref().take(prompt.input.cursor).collect();
            (before, chars.collect())
        };
        let mut after_chars = after.chars();
        let under = after_chars
            .next()
            .map(String::from)
            .unwrap_or_else(|| " ".into());
        Line::from(vec![
            Span::styled(label, theme.key()),
            Span::raw(before),
            Span::styled(under, theme.selection(true)),
            Span::raw(after_chars.collect::<String>()),
            Span::styled("  (Enter ok, Esc cancel)", theme.dim()),
        ])
    } else if let Some(status) = &app.status {
        Line::from(sanitize(status).into_owned())
    } else {
        hints(app, usize::from(left_area.width))
    };
    Paragraph::new(left).render(left_area, buf);
    Paragraph::new(Line::from(right_spans).right_aligned()).render(right_area, buf);
}

/// `? help  q quit`: beside a status message, so the way out is always on screen.
fn essential_hints(app: &App) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    for action in [Action::Help, Action::Quit] {
        if let Some(key) = app.keymap.first_key(action) {
            if !spans.is_empty() {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(key.to_string(), app.theme.key()));
            spans.push(Span::raw(format!(" {}", action.hint())));
        }
    }
    spans
}

/// Key hints from the same command list and keymap as the help overlay, as many whole hints as
/// fit in `width` columns, chosen by importance (help, quit, write, copy first) and shown in a
/// steady order.
pub fn hints(app: &App, width: usize) -> Line<'static> {
    if app.screen == Screen::List {
        let shown = [
            Action::Select,
            Action::Search,
            Action::Sort,
            Action::Open,
            Action::Help,
            Action::Quit,
        ];
        let priority = [
            Action::Help,
            Action::Quit,
            Action::Select,
            Action::Search,
            Action::Sort,
            Action::Open,
        ];
        return fitting_hints(app, &shown, &priority, width);
    }
    let mut shown = vec![Action::NextStep, Action::FocusNext];
    if app.selected_check().main_view() == MainView::Hops {
        shown.push(Action::MoveBoundary);
    }
    if matches!(
        app.selected_check(),
        Check::Summary | Check::Recorded | Check::Receiver
    ) {
        shown.push(Action::Select);
    }
    // Esc goes back inside the message, or from its top to the mailbox's list.
    if !app.history.is_empty() || app.mailbox.is_some() {
        shown.push(Action::Back);
    }
    shown.extend([
        Action::Copy,
        Action::CopyAll,
        Action::Search,
        Action::WriteReport,
        Action::Open,
        Action::Help,
        Action::Quit,
    ]);
    // Most important first: what gets room when not all fit.
    let priority = [
        Action::Help,
        Action::Quit,
        Action::WriteReport,
        Action::Copy,
        Action::Select,
        Action::MoveBoundary,
        Action::Back,
        Action::NextStep,
        Action::FocusNext,
        Action::CopyAll,
        Action::Search,
        Action::Open,
    ];
    fitting_hints(app, &shown, &priority, width)
}

/// The hints of `shown` that fit in `width`, chosen in `priority` order, shown in their order.
fn fitting_hints(app: &App, shown: &[Action], priority: &[Action], width: usize) -> Line<'static> {
    let theme = &app.theme;
    let hint = |action: Action| {
        // On the message list, `/` filters it.
        let word = match (action, &app.screen) {
            (Action::Search, Screen::List) => "filter",
            _ => action.hint(),
        };
        app.keymap
            .first_key(action)
            .map(|key| (key.to_string(), format!(" {word}")))
    };
    let cols = |(key, text): &(String, String)| key.chars().count() + text.chars().count();
    let mut room = width;
    let mut fits = Vec::new();
    for &action in priority.iter().filter(|a| shown.contains(a)) {
        let Some(h) = hint(action) else {
            continue;
        };
        let need = cols(&h) + if fits.is_empty() { 0 } else { 2 };
        if need <= room {
            room -= need;
            fits.push(action);
        }
    }
    let mut spans = Vec::new();
    for &action in shown.iter().filter(|a| fits.contains(a)) {
        if let Some((key, text)) = hint(action) {
            if !spans.is_empty() {
                spans.push(Span::raw("  "));
            }
            spans.push(Span::styled(key, theme.key()));
            spans.push(Span::raw(text));
        }
    }
    Line::from(spans)
}

fn dns_state(app: &App) -> String {
    if let (Screen::List, Some(mailbox)) = (&app.screen, &app.mailbox) {
        let count = mailbox.entries.len();
        return if mailbox.loading() {
            format!("{} analysed {}/{count}", spinner(app.frame), mailbox.done)
        } else {
            format!("{count} analysed")
        };
    }
    if app.is_running() {
        return format!(
            "{} DNS {} pending",
            spinner(app.frame),
            app.pending_queries()
        );
    }
    let mode = match app.analysis.as_ref().map(|a| a.dns_mode) {
        Some(DnsMode::Live) => "live",
        Some(DnsMode::Snapshot) => "snapshot",
        Some(DnsMode::Recording) => "recording",
        None => return String::new(),
    };
    format!("DNS {mode} · {} queries", app.dns_log().len())
}
