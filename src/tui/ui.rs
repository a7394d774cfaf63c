//! The frame: layout and the top-level draw. Drawing is a pure function of `App`; the layout is
//! re-derived from the last terminal size for mouse hit-testing, so both always agree.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::widgets::Widget;

use super::app::{App, HeaderLayout, Screen};
use super::check::MainView;
use super::panes;

/// Below this the UI shows a "terminal too small" notice instead of a cramped layout.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Navigator,
    Steps,
    Evidence,
    Hops,
    DnsLog,
    /// Headers view, trace/envelope column.
    Trace,
    /// Headers view, message column.
    Message,
}

/// Where everything goes in one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Areas {
    pub banner: Rect,
    pub status: Rect,
    pub panes: Vec<(Pane, Rect)>,
}

impl Areas {
    pub fn compute(area: Rect, app: &App) -> Areas {
        let [banner, body, status] = area.layout(&Layout::vertical([
            Constraint::Length(panes::banner::height(app, area.width)),
            Constraint::Fill(1),
            Constraint::Length(1),
        ]));
        // Wide enough for "SPF MAIL FROM ! temperror" from 100 columns on; the DKIM labels
        // (which carry the signing domain and selector) get more room on wider terminals.
        let nav_width = match area.width {
            ..100 => 24,
            100..120 => 27,
            _ => 40,
        };
        let [nav, main] = body.layout(&Layout::horizontal([
            Constraint::Length(nav_width),
            Constraint::Fill(1),
        ]));
        let mut panes = vec![(Pane::Navigator, nav)];
        let split = |top: u16| {
            main.layout::<2>(&Layout::vertical([
                Constraint::Percentage(top),
                Constraint::Fill(1),
            ]))
        };
        match app.selected_check().main_view() {
            MainView::Steps => {
                let [a, b] = split(45);
                panes.extend([(Pane::Steps, a), (Pane::Evidence, b)]);
            }
            MainView::Hops => {
                let [a, b] = split(55);
                panes.extend([(Pane::Hops, a), (Pane::Evidence, b)]);
            }
            MainView::DnsLog => {
                let [a, b] = split(55);
                panes.extend([(Pane::DnsLog, a), (Pane::Evidence, b)]);
            }
            MainView::Headers => match app.header_layout {
                HeaderLayout::SideBySide => {
                    let [a, b] = main.layout(&Layout::horizontal([
                        Constraint::Percentage(50),
                        Constraint::Fill(1),
                    ]));
                    panes.extend([(Pane::Trace, a), (Pane::Message, b)]);
                }
                HeaderLayout::TraceOnly => panes.push((Pane::Trace, main)),
                HeaderLayout::MessageOnly => panes.push((Pane::Message, main)),
            },
        }
        Areas {
            banner,
            status,
            panes,
        }
    }

    pub fn pane_at(&self, at: Position) -> Option<(Pane, Rect)> {
        self.panes.iter().copied().find(|(_, r)| r.contains(at))
    }
}

pub fn too_small(area: Rect) -> bool {
    area.width < MIN_WIDTH || area.height < MIN_HEIGHT
}

/// First visible row of a list so that the selection stays in view, centred when it can be.
pub fn list_offset(selected: usize, len: usize, height: usize) -> usize {
    if height == 0 || len <= height {
        return 0;
    }
    selected.saturating_sub(height / 2).min(len - height)
}

impl Widget for &App {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if too_small(area) {
            panes::too_small::render(self, area, buf);
            return;
        }
        match &self.screen {
            Screen::Start(start) => panes::start::render(self, start, area, buf),
            Screen::List => panes::mailbox::render(self, area, buf),
            Screen::Main => {
                let areas = Areas::compute(area, self);
                panes::banner::render(self, areas.banner, buf);
                for &(pane, rect) in &areas.panes {
                    let focused = self.focus == pane;
                    match pane {
                        Pane::Navigator => panes::navigator::render(self, rect, buf, focused),
                        Pane::Steps => panes::steps::render(self, rect, buf, focused),
                        Pane::Evidence => panes::evidence::render(self, rect, buf, focused),
                        Pane::Hops => panes::hops::render(self, rect, buf, focused),
                        Pane::DnsLog => panes::dns_log::render(self, rect, buf, focused),
                        Pane::Trace | Pane::Message => {
                            panes::headers::render(self, pane, rect, buf, focused)
                        }
                    }
                }
                panes::status::render(self, areas.status, buf);
            }
        }
        if self.help {
            panes::help::render(self, area, buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_offset_keeps_the_selection_visible() {
        assert_eq!(list_offset(0, 5, 10), 0);
        assert_eq!(list_offset(3, 100, 10), 0);
        assert_eq!(list_offset(50, 100, 10), 45);
        assert_eq!(list_offset(99, 100, 10), 90);
        assert_eq!(list_offset(7, 8, 0), 0);
    }
}
