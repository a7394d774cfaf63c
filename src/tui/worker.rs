//! Runs `analyze` on a background thread with its own tokio runtime, so the UI never waits on a
//! lookup. The UI polls the shared `Dns` log for queries in flight and the channel for the result.

use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Instant;

use crate::analysis::{Analysis, Options};
use crate::dns::{Dns, DnsEvidence};

/// Makes a fresh `Dns` handle (a fresh evidence log) for each run.
pub type DnsFactory = Arc<dyn Fn() -> Result<Dns, String> + Send + Sync>;

/// Called with the handle after a run finished (e.g. `--save-dns`); returns a note for the status.
pub type AfterRun = Arc<dyn Fn(&Dns) -> Option<String> + Send + Sync>;

/// The name of the analysis thread (the panic hook leaves the terminal alone for it).
pub const THREAD_NAME: &str = "mailsleuth-analysis";

pub struct Running {
    pub dns: Dns,
    rx: Receiver<(Analysis, Option<String>)>,
    pub started: Instant,
}

pub enum Poll {
    Running(Vec<DnsEvidence>),
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
                let analysis = runtime.block_on(crate::analysis::analyze(&raw, &options, &handle));
                let note = after.and_then(|f| f(&handle));
                let _ = tx.send((analysis, note));
            })
            .map_err(|e| format!("cannot start the analysis: {e}"))?;
        Ok(Running {
            dns,
            rx,
            started: Instant::now(),
        })
    }

    pub fn poll(&self) -> Poll {
        match self.rx.try_recv() {
            Ok((analysis, note)) => Poll::Done(Box::new(analysis), note),
            Err(TryRecvError::Empty) => Poll::Running(self.dns.evidence()),
            Err(TryRecvError::Disconnected) => Poll::Failed(
                take_worker_panic().unwrap_or_else(|| "the analysis stopped unexpectedly".into()),
            ),
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
