//! Runs `analyze` on a background thread with its own tokio runtime, so the UI never waits on a
//! lookup. The UI polls the shared `Dns` log for queries in flight and the channel for the result.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Instant;

use crate::analysis::{Analysis, Options, Part};
use crate::dns::{Dns, DnsEvidence};

/// Makes a fresh `Dns` handle (a fresh evidence log) for each run.
pub type DnsFactory = Arc<dyn Fn() -> Result<Dns, String> + Send + Sync>;

/// Called with the handle after a run finished (e.g. `--save-dns`); returns a note for the status.
pub type AfterRun = Arc<dyn Fn(&Dns) -> Option<String> + Send + Sync>;

/// Called with the handle of each analysis of a message list (`--save-dns` keeps its answers).
pub type RecordRun = Arc<dyn Fn(&Dns) + Send + Sync>;

/// The name of the analysis thread (the panic hook leaves the terminal alone for it).
pub const THREAD_NAME: &str = "mailsleuth-analysis";

/// What the analysis thread sends: partial results as parts land, then the final value.
enum Msg {
    Partial(Box<Analysis>, Vec<Part>),
    Done(Box<Analysis>, Option<String>),
}

pub struct Running {
    pub dns: Dns,
    rx: Receiver<Msg>,
    pub started: Instant,
}

pub enum Poll {
    /// Still running: the evidence log so far, and the newest partial analysis if one landed
    /// since the last poll (with the parts still pending).
    Running(Vec<DnsEvidence>, Option<(Box<Analysis>, Vec<Part>)>),
    Done(Box<Analysis>, Option<String>),
    Failed(String),
}

impl Running {
    pub fn start(
        raw: Arc<Vec<u8>>,
        options: Options,
        dns: Dns,
        after: Option<AfterRun>,
    ) -> Result<Running, String> {
        let (tx, rx) = mpsc::channel();
        let handle = dns.clone();
        std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(_) => return,
                };
                let partial_tx = tx.clone();
                let progress = move |a: &Analysis, pending: &[Part]| {
                    let _ = partial_tx.send(Msg::Partial(Box::new(a.clone()), pending.to_vec()));
                };
                let analysis = runtime.block_on(crate::analysis::analyze_with_progress(
                    &raw, &options, &handle, &progress,
                ));
                let note = after.and_then(|f| f(&handle));
                let _ = tx.send(Msg::Done(Box::new(analysis), note));
            })
            .map_err(|e| format!("cannot start the analysis: {e}"))?;
        Ok(Running {
            dns,
            rx,
            started: Instant::now(),
        })
    }

    /// Drains what the thread sent: the final value wins; otherwise the newest partial.
    pub fn poll(&self) -> Poll {
        let mut newest = None;
        loop {
            match self.rx.try_recv() {
                Ok(Msg::Done(analysis, note)) => return Poll::Done(analysis, note),
                Ok(Msg::Partial(analysis, pending)) => newest = Some((analysis, pending)),
                Err(TryRecvError::Empty) => return Poll::Running(self.dns.evidence(), newest),
                Err(TryRecvError::Disconnected) => {
                    return Poll::Failed(
                        take_worker_panic()
                            .unwrap_or_else(|| "the analysis stopped unexpectedly".into()),
                    );
                }
            }
        }
    }
}

static WORKER_PANIC: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Records a panic of the analysis thread (from the panic hook) for the status bar.
pub fn record_worker_panic(message: String) {
    if let Ok(mut slot) = WORKER_PANIC.lock() {
        *slot = Some(message);
    }
}

fn take_worker_panic() -> Option<String> {
    WORKER_PANIC
        .lock()
        .ok()?
        .take()
        .map(|m| format!("the analysis failed: {m}"))
}
