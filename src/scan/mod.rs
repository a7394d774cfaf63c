//! `mailsleuth scan PATH…`: many messages in one run — mbox files, Maildir folders, folders of
//! `.eml`, lists of paths — analysed in parallel across the cores with one DNS cache (or one
//! snapshot) for the whole run, written as JSON lines, a table or a summary.
//!
//! - `sources.rs`: the paths expanded into files (Maildir, folders, `-` for a list on stdin);
//! - `shard.rs`: `--shard I/N`, which messages this process takes;
//! - `cache.rs`: the run's shared DNS cache (coalesced, TTL-honouring) in front of live DNS;
//! - `run.rs`: the reader thread, the analysis tasks, Ctrl-C;
//! - `output.rs`: the three formats, lines in input order.
//!
//! Each message is analysed by the same `analysis::analyze` as `report`, so a JSON line's
//! `analysis` is the report's JSON for that message.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::analysis::Options;
use crate::dns::live::LiveBackend;
use crate::dns::snapshot::{Snapshot, SnapshotBackend};
use crate::dns::{DnsBackend, DnsConfig, DnsMode};

pub mod cache;
pub mod output;
pub mod run;
pub mod shard;
pub mod sources;

pub use output::{Format, verdict_label};
pub use run::Outcome;
pub use shard::Shard;

/// A scan, as the command line describes it.
pub struct ScanConfig {
    /// Files and folders, with `-` already replaced by the list read from stdin.
    pub paths: Vec<String>,
    pub format: Format,
    pub shard: Shard,
    /// Worker threads (the cores to use).
    pub jobs: usize,
    /// How many of the most frequent IPs, domains and checks the summary lists.
    pub top: usize,
    /// The analysis options every message gets (its source and input changes are its own).
    pub options: Options,
    pub dns: DnsConfig,
    /// Draw a progress bar on stderr.
    pub progress: bool,
}

/// The DNS every message of the run asks: the snapshot, or live DNS behind one shared cache.
/// Errors (an unreadable snapshot) name the file at fault.
pub fn backend(config: &DnsConfig) -> Result<Arc<dyn DnsBackend>, String> {
    if config.mode == DnsMode::Snapshot {
        let path = config
            .snapshot
            .as_deref()
            .ok_or("snapshot mode needs a snapshot file (--dns-snapshot)")?;
        let snapshot = Snapshot::load(path).map_err(|e| e.to_string())?;
        return Ok(Arc::new(SnapshotBackend::new(snapshot)));
    }
    if let Some(save) = &config.save {
        let dir = match save.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => std::path::Path::new("."),
        };
        if !dir.is_dir() {
            return Err(format!(
                "cannot save DNS answers to {}: directory {} does not exist",
                save.display(),
                dir.display()
            ));
        }
    }
    let live = LiveBackend::new(config.server, config.timeout)?;
    Ok(shared(Arc::new(live)))
}

/// `backend` made fit to share between the messages of a run: live DNS behind one cache (a
/// snapshot answers at once and needs none).
pub fn shared(backend: Arc<dyn DnsBackend>) -> Arc<dyn DnsBackend> {
    match backend.source() {
        crate::dns::DnsSource::Live => Arc::new(cache::CachingBackend::new(backend)),
        crate::dns::DnsSource::Snapshot => backend,
    }
}

/// Runs the scan, writing to `out`. `Err` only for what stops the run before or after the
/// analyses (the runtime, the output, `--save-dns`); broken messages are lines of the output.
pub fn run(
    config: ScanConfig,
    backend: Arc<dyn DnsBackend>,
    out: &mut dyn std::io::Write,
) -> Result<Outcome, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.jobs.max(1))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let progress = progress_bar(config.progress);
    let shared = Arc::new(run::Shared {
        options: config.options,
        backend,
        recorded: config.dns.save.is_some().then(Default::default),
        format: config.format,
    });
    let in_flight = run::in_flight(config.dns.mode, config.jobs);
    let (tx, rx) = mpsc::channel(in_flight * 2);
    let (paths, shard, reader_progress) = (config.paths, config.shard, progress.clone());
    let reader = std::thread::Builder::new()
        .name("scan-reader".into())
        .spawn(move || run::read_inputs(&paths, shard, &tx, &reader_progress))
        .map_err(|e| format!("cannot start the reader thread: {e}"))?;
    let mut writer = output::Writer::new(config.format, out, progress.clone());
    let outcome = writer
        .start()
        .and_then(|()| runtime.block_on(run::drive(shared.clone(), rx, &mut writer, in_flight)))
        .and_then(|outcome| {
            if !outcome.closed {
                writer.finish(config.top, outcome.interrupted)?;
            }
            Ok(outcome)
        });
    progress.finish_and_clear();
    // After Ctrl-C the reader may be inside a large file: it stops at its next message.
    if outcome.as_ref().is_ok_and(|o| !o.interrupted) {
        let _ = reader.join();
    }
    let outcome = outcome.map_err(|e| format!("cannot write the output: {e}"))?;
    save_dns(&config.dns, &shared)?;
    Ok(outcome)
}

/// With `--save-dns`: every answer the run saw, as one snapshot (whole or not at all). A
/// warning (every answer a failure) goes to stderr.
fn save_dns(config: &DnsConfig, shared: &run::Shared) -> Result<(), String> {
    let Some(recorded) = &shared.recorded else {
        return Ok(());
    };
    if let Some(warning) = config.save_evidence(&recorded.evidence(), &[])? {
        eprintln!("mailsleuth: warning: {warning}");
    }
    Ok(())
}

fn progress_bar(visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {pos}/{len} messages  {rate}  {elapsed_precise}  {wide_bar}",
    ) {
        bar.set_style(style.with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0}/s", state.per_sec());
            },
        ));
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}
