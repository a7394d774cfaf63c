//! Partial results as they land: a view shows the headers and the hop timeline at once, and
//! each check as soon as its lookups are answered.

use std::sync::{Mutex, MutexGuard};

use super::evidence::attach_evidence;
use super::model::Analysis;
use crate::dns::Dns;

/// The parts of an analysis that wait on DNS, in the order a view may show them filling in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Spf,
    Dkim,
    Arc,
    /// Alignment, DMARC, the recorded-vs-now comparison and the summary (they need the rest).
    Dmarc,
}

impl Part {
    /// Every part, as pending before any lookup is answered.
    pub const ALL: [Part; 4] = [Part::Spf, Part::Dkim, Part::Arc, Part::Dmarc];
}

/// Called with the analysis so far and the parts still pending: once before any lookup (headers,
/// hops and envelope are complete), then as each part lands. Not called with the final value.
pub type Progress<'a> = &'a (dyn Fn(&Analysis, &[Part]) + Send + Sync);

/// No one listening (`analyze`): no partial copy is kept or reported. The partial copies cost
/// several times a message's header section, which for 5,000 Received headers is megabytes.
pub const NO_PROGRESS: Progress<'static> = &NOBODY;
static NOBODY: fn(&Analysis, &[Part]) = |_, _| {};

/// The partial view: its own copy of the analysis, updated as each part lands, with the parts
/// still pending (none of it when the progress is [`NO_PROGRESS`]).
pub(super) struct Partial<'a> {
    state: Mutex<Option<(Analysis, Vec<Part>)>>,
    dns: &'a Dns,
    progress: Progress<'a>,
}

impl<'a> Partial<'a> {
    /// Reports `analysis` as it is before any lookup, every part pending.
    pub(super) fn start(analysis: &Analysis, dns: &'a Dns, progress: Progress<'a>) -> Self {
        let listening = !std::ptr::addr_eq(progress, NO_PROGRESS);
        let partial = Partial {
            state: Mutex::new(listening.then(|| (analysis.clone(), Part::ALL.to_vec()))),
            dns,
            progress,
        };
        if let Some(state) = &*partial.lock() {
            partial.emit(state);
        }
        partial
    }

    /// One part landed: `apply` it to the copy and report.
    pub(super) fn publish(&self, part: Part, apply: &dyn Fn(&mut Analysis)) {
        if let Some(state) = &mut *self.lock() {
            apply(&mut state.0);
            state.1.retain(|p| *p != part);
            self.emit(state);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<(Analysis, Vec<Part>)>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn emit(&self, state: &(Analysis, Vec<Part>)) {
        let mut view = state.0.clone();
        attach_evidence(&mut view, self.dns.evidence());
        (self.progress)(&view, &state.1);
    }
}
