//! The start screen, when no message was given: open a path (Tab completes) or paste one.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

use super::pane_block;
use crate::tui::app::{App, Screen, StartScreen};
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
        Line::from("Open a message file (.eml), an mbox, a Maildir or a folder:"),
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
        if start.confirm_quit {
            Line::from(vec![
                Span::styled("Quit mailsleuth? ", theme.warning()),
                Span::styled("y", theme.key()),
                Span::raw(" quits · "),
                Span::styled("n", theme.key()),
                Span::raw(" or "),
                Span::styled("Esc", theme.key()),
                Span::raw(" stays"),
            ])
        } else if let Some(target) = app.back_target() {
            let back = if target == Screen::List {
                " goes back to the message list · "
            } else {
                " goes back to the message on screen · "
            };
            Line::from(vec![
                Span::styled("Esc", theme.key()),
                Span::raw(back),
                Span::styled("Ctrl-C", theme.key()),
                Span::raw(" quits"),
            ])
        } else {
            Line::from(vec![
                Span::styled("Ctrl-C", theme.key()),
                Span::raw(" quits ("),
                Span::styled("Esc", theme.key()),
                Span::raw(" asks first)"),
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
