//! The message list of a mailbox: date, verdict badge, From and Subject, one line a message,
//! in the order and with the filter in force; the status bar below.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::{note_line, pane_block, render_list, truncate, truncate_start};
use crate::tui::app::App;
use crate::tui::mailbox::{Entry, Mailbox, Verdict};
use crate::tui::sanitize::sanitize;
use crate::tui::theme::spinner;
use crate::tui::ui::list_offset;

const DATE: usize = 16;
/// The widest verdict column (`✗ dmarc fail → quarantine`); it is as wide as the badges on
/// screen need, so narrow terminals keep room for From and Subject.
const VERDICT: usize = 25;

/// The frame's parts: the list pane and the status bar.
fn split(area: Rect) -> [Rect; 2] {
    area.layout(&Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(1),
    ]))
}

/// Where the rows are drawn in a frame of `area` (for mouse hit-testing): inside the pane's
/// border, below the column titles.
pub fn rows_area(area: Rect) -> Rect {
    let [body, _] = split(area);
    let inner = Block::bordered().inner(body);
    let [_, rows] = columns_and_rows(inner);
    rows
}

fn columns_and_rows(inner: Rect) -> [Rect; 2] {
    inner.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
    ]))
}

pub fn render(app: &App, area: Rect, buf: &mut Buffer) {
    let [body, status] = split(area);
    if let Some(mailbox) = &app.mailbox {
        render_list_pane(app, mailbox, body, buf);
    }
    super::status::render(app, status, buf);
}

fn render_list_pane(app: &App, mailbox: &Mailbox, area: Rect, buf: &mut Buffer) {
    let theme = &app.theme;
    let total = mailbox.entries.len();
    let shown = mailbox.shown();
    // What the list is first (the count, the filter, the order); the path gets what is left,
    // its end kept (the folder's own name).
    let mut title = format!("{total} message{}", if total == 1 { "" } else { "s" });
    if !mailbox.filter.is_empty() {
        title.push_str(&format!(
            ", {} match \"{}\"",
            shown.len(),
            sanitize(&mailbox.filter)
        ));
    }
    if mailbox.skipped > 0 {
        title.push_str(&format!(
            " ({} file{} skipped: not mail by name)",
            mailbox.skipped,
            if mailbox.skipped == 1 { "" } else { "s" }
        ));
    }
    title.push_str(&format!(" · by {}", mailbox.sort.name()));
    let room = usize::from(area.width)
        .saturating_sub(title.chars().count() + 9)
        .max(8);
    title.push_str(&format!(
        " — {}",
        truncate_start(&sanitize(&mailbox.source), room)
    ));
    let block = pane_block(title, true, theme);
    let inner = block.inner(area);
    block.render(area, buf);
    let [head, list] = columns_and_rows(inner);
    // Only the rows on screen are built: a mailbox may hold many thousands.
    let height = usize::from(list.height).max(1);
    let at = mailbox.position().unwrap_or(0);
    let offset = list_offset(at, shown.len(), height);
    let visible = &shown[offset..(offset + height).min(shown.len())];
    let verdict = visible
        .iter()
        .map(|&i| mailbox.entries[i].label().chars().count() + 2)
        .chain([VERDICT_TITLE.len()])
        .max()
        .unwrap_or(VERDICT)
        .min(VERDICT);
    let width = usize::from(inner.width);
    let rest = width.saturating_sub(DATE + verdict + 6);
    let from = (rest * 2 / 5).max(12);
    let columns = Columns {
        verdict,
        from,
        subject: rest.saturating_sub(from),
    };
    Paragraph::new(Line::styled(
        columns.line("DATE", VERDICT_TITLE, "FROM", "SUBJECT"),
        theme.dim(),
    ))
    .render(head, buf);

    if shown.is_empty() {
        let note = if mailbox.loading() {
            format!("{} reading…", spinner(app.frame))
        } else if total == 0 {
            "no messages found".to_string()
        } else {
            format!(
                "no message matches \"{}\" (Esc clears the filter)",
                sanitize(&mailbox.filter)
            )
        };
        Paragraph::new(note_line(note, theme)).render(list, buf);
        return;
    }
    let items: Vec<Vec<Line>> = visible
        .iter()
        .map(|&i| vec![row(app, &mailbox.entries[i], &mailbox.source, &columns)])
        .collect();
    render_list(
        items,
        Some(at - offset),
        true,
        Block::new(),
        list,
        buf,
        theme,
    );
}

const VERDICT_TITLE: &str = "VERDICT";

struct Columns {
    verdict: usize,
    from: usize,
    subject: usize,
}

impl Columns {
    fn line(&self, date: &str, verdict: &str, from: &str, subject: &str) -> String {
        format!(
            "{}  {}  {}  {}",
            pad(date, DATE),
            pad(verdict, self.verdict),
            pad(from, self.from),
            truncate(subject, self.subject)
        )
    }
}

fn pad(text: &str, width: usize) -> String {
    format!("{:<width$}", truncate(text, width))
}

fn row(app: &App, entry: &Entry, source: &str, columns: &Columns) -> Line<'static> {
    let theme = &app.theme;
    let listing = entry.message.as_ref().map(|m| &m.listing);
    let date = match entry.time {
        Some(t) => {
            let t = crate::input::rfc3339(t);
            format!("{} {}", &t[..10], &t[11..16])
        }
        None => listing.map(|l| l.date.clone()).unwrap_or_default(),
    };
    let (glyph, word, style): (&str, String, Style) = match &entry.verdict {
        Verdict::Pending => (spinner(app.frame), "analysing".into(), theme.pending()),
        Verdict::Analysed { dmarc, row } => {
            let (glyph, style) = theme.result(*dmarc);
            (glyph, row.verdict.clone(), style)
        }
        Verdict::Broken(_) => ("!", "error".into(), theme.error()),
    };
    let badge = pad(&format!("{glyph} {word}"), columns.verdict);
    let (from, subject) = match (&entry.verdict, listing) {
        // A broken message: which one, and why.
        (Verdict::Broken(why), _) => (entry.name_in(source), why.clone()),
        (_, Some(l)) => (l.from.clone(), l.subject.clone()),
        (_, None) => (entry.name_in(source), String::new()),
    };
    Line::from(vec![
        Span::raw(format!("{}  ", pad(&sanitize(&date), DATE))),
        Span::styled(badge, style),
        Span::raw(format!(
            "  {}  {}",
            pad(&sanitize(&from), columns.from),
            truncate(&sanitize(&subject), columns.subject)
        )),
    ])
}
