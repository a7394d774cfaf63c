//! The status bar: an open prompt, else the last message, else key hints taken from the keymap;
//! at the right, the DNS state.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::analysis::DnsMode;
use crate::tui::action::Action;
use crate::tui::app::{App, Prompt, PromptKind};
use crate::tui::check::{Check, MainView};
use crate::tui::sanitize::sanitize;
use crate::tui::theme::spinner;

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    // An open prompt, or a message too long to share the line, gets the whole line: the DNS
    // state is always there again on the next key.
    let message_cols = app
        .status
        .as_deref()
        .map_or(0, |m| sanitize(m).chars().count());
    let right = dns_state(app);
    let crowded = message_cols + right.chars().count() + 2 > usize::from(area.width);
    let right = if app.prompt.is_some() || crowded {
        String::new()
    } else {
        right
    };
    let [left_area, right_area] = area.layout(&Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(if right.is_empty() {
            0
        } else {
            right.chars().count() as u16 + 1
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
    Paragraph::new(Line::styled(right, theme.dim()).right_aligned()).render(right_area, buf);
}

/// Key hints from the same command list and keymap as the help overlay, as many whole hints as
/// fit in `width` columns; the help key is always among them.
pub fn hints(app: &App, width: usize) -> Line<'static> {
    let theme = &app.theme;
    let mut actions = vec![Action::NextStep, Action::FocusNext];
    if app.selected_check().main_view() == MainView::Hops {
        actions.push(Action::MoveBoundary);
    }
    if matches!(
        app.selected_check(),
        Check::Summary | Check::Recorded | Check::Receiver
    ) {
        actions.push(Action::Select);
    }
    actions.extend([
        Action::Copy,
        Action::CopyAll,
        Action::Search,
        Action::WriteReport,
        Action::Help,
        Action::Quit,
    ]);
    let hint = |action: Action| {
        app.keymap
            .first_key(action)
            .map(|key| (key.to_string(), format!(" {}  ", action.hint())))
    };
    let cols =
        |(key, text): &(String, String)| key.chars().count() + text.trim_end().chars().count();
    let help = hint(Action::Help);
    let mut room = width.saturating_sub(help.as_ref().map_or(0, |h| cols(h) + 2));
    let mut spans = Vec::new();
    for action in actions {
        let Some(h) = hint(action) else {
            continue;
        };
        if action != Action::Help {
            if cols(&h) > room {
                continue;
            }
            room = room.saturating_sub(cols(&h) + 2);
        }
        spans.push(Span::styled(h.0, theme.key()));
        spans.push(Span::raw(h.1));
    }
    Line::from(spans)
}

fn dns_state(app: &App) -> String {
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
