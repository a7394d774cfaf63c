//! `/` search in the headers view: matches by name or value, `n`/`N` between them.

use super::app::{App, HeaderLayout};
use super::ui::Pane;
use crate::analysis::HeaderKind;

impl App {
    /// Headers whose name or value contains the search text (case-insensitive).
    pub fn search_matches(&self) -> Vec<usize> {
        let (Some(needle), Some(a)) = (self.search.as_deref(), self.analysis.as_ref()) else {
            return Vec::new();
        };
        let needle = needle.to_lowercase();
        a.headers
            .iter()
            .filter(|h| {
                h.name.to_lowercase().contains(&needle)
                    || h.value.to_lowercase().contains(&needle)
                    || h.raw.to_lowercase().contains(&needle)
            })
            .map(|h| h.index)
            .collect()
    }

    pub(crate) fn set_search(&mut self, text: String) {
        if text.is_empty() {
            self.search = None;
            self.status = Some("search cleared".into());
            return;
        }
        self.search = Some(text);
        let matches = self.search_matches();
        if let Some(&h) = matches
            .iter()
            .find(|&&h| h >= self.header)
            .or(matches.first())
        {
            self.select_header(h);
        }
        self.search_status();
    }

    pub(crate) fn jump_match(&mut self, forward: bool) {
        let matches = self.search_matches();
        if matches.is_empty() {
            self.search_status();
            return;
        }
        let next = if forward {
            matches
                .iter()
                .find(|&&h| h > self.header)
                .or(matches.first())
        } else {
            matches
                .iter()
                .rev()
                .find(|&&h| h < self.header)
                .or(matches.last())
        };
        if let Some(&h) = next {
            self.select_header(h);
        }
        self.search_status();
    }

    pub(crate) fn select_header(&mut self, index: usize) {
        self.header = index;
        let kind = self
            .analysis
            .as_ref()
            .and_then(|a| a.headers.get(index))
            .map(|h| h.kind);
        match (kind, self.header_layout) {
            (Some(HeaderKind::Trace), HeaderLayout::MessageOnly) => {
                self.header_layout = HeaderLayout::TraceOnly
            }
            (Some(HeaderKind::Message), HeaderLayout::TraceOnly) => {
                self.header_layout = HeaderLayout::MessageOnly
            }
            _ => {}
        }
        self.focus = match kind {
            Some(HeaderKind::Message) => Pane::Message,
            _ => Pane::Trace,
        };
    }

    pub(crate) fn search_status(&mut self) {
        let Some(needle) = &self.search else {
            return;
        };
        let matches = self.search_matches();
        self.status = Some(match matches.iter().position(|&h| h == self.header) {
            Some(i) => format!("/{needle}: match {} of {}", i + 1, matches.len()),
            None if matches.is_empty() => format!("/{needle}: no header matches"),
            None => format!("/{needle}: {} matches", matches.len()),
        });
    }
}
