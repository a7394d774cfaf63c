//! The start screen, when no message was given: open a path (Tab completes) or paste one.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::pane_block;
use crate::tui::app::{App, PickScreen, StartScreen};
use crate::tui::sanitize::sanitize;

pub fn render(app: &App, start: &StartScreen, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let text = sanitize(&start.path.text).into_owned();
    let before: String = text.chars().take(start.path.cursor).collect();
    let mut rest = text.chars().skip(start.path.cursor);
    let under = rest.next().map(String::from).unwrap_or_else(|| " ".into());
    let mut lines = vec![
        Line::styled("mailsleuth — email header forensics", theme.title()),
        Line::default(),
        Line::from("Open a message file (.eml):"),
        Line::from(vec![
            Span::styled("› ", theme.key()),
            Span::raw(before),
            Span::styled(under, theme.selection(true)),
            Span::raw(rest.collect::<String>()),
        ]),
        Line::default(),
        Line::from(vec![
            Span::styled("Tab", theme.key()),
            Span::raw(" completes the path · "),
            Span::styled("Enter", theme.key()),
            Span::raw(" opens it"),
        ]),
        Line::from(vec![
            Span::raw("Or paste the whole email: "),
            Span::styled("Ctrl-V", theme.key()),
            Span::raw(" from the clipboard, or paste into the terminal"),
        ]),
        if app.analysis.is_some() {
            Line::from(vec![
                Span::styled("Esc", theme.key()),
                Span::raw(" goes back to the message on screen · "),
                Span::styled("Ctrl-C", theme.key()),
                Span::raw(" quits"),
            ])
        } else {
            Line::from(vec![
                Span::styled("Esc", theme.key()),
                Span::raw(" or "),
                Span::styled("Ctrl-C", theme.key()),
                Span::raw(" quits"),
            ])
        },
    ];
    if let Some(error) = &start.error {
        lines.push(Line::default());
        lines.push(Line::styled(sanitize(error).into_owned(), theme.error()));
    }
    if !start.candidates.is_empty() {
        lines.push(Line::default());
        let shown: Vec<String> = start
            .candidates
            .iter()
            .take(40)
            .map(|c| sanitize(c).into_owned())
            .collect();
        lines.push(Line::styled(shown.join("  "), theme.dim()));
    }
    let width = area.width.min(90);
    let height = (lines.len() as u16 + 6).min(area.height);
    let popup = area.centered(Constraint::Length(width), Constraint::Length(height));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(pane_block("Open or paste a message", true, theme))
        .render(popup, buf);
}

/// The pick list of a file holding several messages: number, date, From, Subject.
pub fn render_pick(app: &App, pick: &PickScreen, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let mut lines = vec![
        Line::styled(
            format!(
                "{} holds {} messages: pick one",
                sanitize(&pick.source),
                pick.messages.len()
            ),
            theme.title(),
        ),
        Line::from(vec![
            Span::styled("↑ ↓", theme.key()),
            Span::raw(" choose · "),
            Span::styled("Enter", theme.key()),
            Span::raw(" opens · "),
            Span::styled("q", theme.key()),
            Span::raw(" quits"),
        ]),
        Line::default(),
    ];
    let height = area.height.saturating_sub(7) as usize;
    let offset = crate::tui::ui::list_offset(pick.selected, pick.messages.len(), height);
    for (i, m) in pick.messages.iter().enumerate().skip(offset).take(height) {
        let l = &m.listing;
        let text = format!(
            "{:>3}. {:<20}  {:<30}  {}",
            i + 1,
            sanitize(&l.date),
            sanitize(&l.from),
            sanitize(&l.subject)
        );
        lines.push(Line::styled(text, theme.selection(i == pick.selected)));
    }
    Paragraph::new(lines)
        .block(pane_block("Messages in this file", true, theme))
        .render(area, buf);
}
