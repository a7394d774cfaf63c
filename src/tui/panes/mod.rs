//! One file per pane, plus the two widgets they share: a bordered pane block and a selectable
//! list that keeps its selection in view.

pub mod banner;
pub mod dns_log;
pub mod evidence;
pub mod headers;
pub mod help;
pub mod hops;
pub mod navigator;
pub mod start;
pub mod status;
pub mod steps;
pub mod too_small;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::theme::Theme;
use super::ui::list_offset;

/// A pane's frame: its title, with focus shown by a bold border (and colour when allowed) and a
/// `▸` before the title, so focus reads without colour too.
pub fn pane_block<'a>(title: impl Into<String>, focused: bool, theme: &Theme) -> Block<'a> {
    let marker = if focused { "▸ " } else { "" };
    Block::bordered()
        .border_style(theme.border(focused))
        .title(Span::styled(
            format!(" {marker}{} ", title.into()),
            theme.title(),
        ))
}

/// Draws `items` (each `height` lines tall) inside `block`, the selected one styled as selection.
pub fn render_list(
    items: Vec<Vec<Line<'_>>>,
    selected: Option<usize>,
    focused: bool,
    block: Block<'_>,
    area: Rect,
    buf: &mut Buffer,
    theme: &Theme,
) {
    let inner = block.inner(area);
    block.render(area, buf);
    let per_item = items.first().map_or(1, |i| i.len().max(1));
    let visible = (inner.height as usize / per_item).max(1);
    let offset = list_offset(selected.unwrap_or(0), items.len(), visible);
    let mut lines = Vec::new();
    for (i, item) in items.into_iter().enumerate().skip(offset).take(visible) {
        for line in item {
            if Some(i) == selected {
                lines.push(pad(line, inner.width).patch_style(theme.selection(focused)));
            } else {
                lines.push(line);
            }
        }
    }
    Paragraph::new(lines).render(inner, buf);
}

/// Pads a line with spaces to the full width, so a selection bar spans the pane.
fn pad(mut line: Line<'_>, width: u16) -> Line<'_> {
    let missing = (width as usize).saturating_sub(line.width());
    if missing > 0 {
        line.spans.push(Span::raw(" ".repeat(missing)));
    }
    line
}

/// A placeholder line (empty lists, "analysing…").
pub fn note_line(text: impl Into<String>, theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(text.into(), theme.dim()))
}

/// Cuts text to at most `width` columns (by characters; wide glyphs may end a column short),
/// adding `…` when it had to cut.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut out: String = text.chars().take(width.saturating_sub(1)).collect();
    out.push('…');
    out
}
