//! The run: a reader thread walks the inputs and splits them into messages (this shard's only),
//! the analyses run as tasks on one multi-thread runtime (one worker thread per core), and the
//! writer puts each finished message out in input order. Ctrl-C stops taking messages, abandons
//! those in flight and writes what is done.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::output::{Analysed, Done, Format, Row, Writer, json_line};
use super::shard::Shard;
use super::sources;
use crate::analysis::{Analysis, Options, Severity, analyze};
use crate::dns::{Dns, DnsBackend};
use crate::input::Message;

/// One unit of work from the reader: a message, or a file that gave none.
pub(crate) struct Item {
    seq: u64,
    source: String,
    index: Option<usize>,
    message: Result<Message, String>,
}

/// How a run ended.
#[derive(Debug, Default)]
pub struct Outcome {
    pub analysed: usize,
    pub errors: usize,
    pub interrupted: bool,
    /// Standard output closed early (`| head`): the run stopped, which is not a failure.
    pub closed: bool,
}

/// Everything the run shares between its tasks.
pub(crate) struct Shared {
    pub options: Options,
    pub backend: Arc<dyn DnsBackend>,
    /// With `--save-dns`: every answer the run saw, the first answer to each question.
    pub recorded: Option<crate::dns::Recorder>,
    pub format: Format,
}

/// Walks `paths` on this thread, sending this shard's messages in input order. Stops when the
/// receiver is gone (Ctrl-C, or output closed).
pub(crate) fn read_inputs(
    paths: &[String],
    shard: Shard,
    tx: &mpsc::Sender<Item>,
    progress: &indicatif::ProgressBar,
) {
    let mut seq = 0u64;
    let mut send = |source: String, index: Option<usize>, message: Result<Message, String>| {
        if !shard.owns(&source, index.unwrap_or(0)) {
            return true;
        }
        let item = Item {
            seq,
            source,
            index,
            message,
        };
        seq += 1;
        progress.inc_length(1);
        tx.blocking_send(item).is_ok()
    };
    for path in paths {
        let walked = sources::messages(Path::new(path), &mut send);
        if let Some(note) = walked.skipped_note(path) {
            // Above the progress bar when there is one; plain stderr otherwise.
            progress.suspend(|| eprintln!("mailsleuth scan: {note}"));
        }
        if !walked.completed {
            return;
        }
    }
}

/// Analyses one message of a run with its own DNS handle on the shared `backend` (its own
/// evidence, query budget and deadline; the backend, and so the cache, is shared): the analysis,
/// or why the message cannot be analysed — what `report` refuses with exit 2 (no header field
/// at all). The handle is returned for its evidence.
pub(crate) async fn analyse_message(
    backend: Arc<dyn DnsBackend>,
    options: &Options,
    source: &str,
    message: &Message,
) -> (Result<Analysis, String>, Dns) {
    let dns = Dns::new(backend).with_deadline(crate::dns::MESSAGE_DEADLINE);
    let mut opts = options.clone();
    opts.source = source.to_string();
    opts.prep = message.prep.clone();
    let analysis = analyze(&message.bytes, &opts, &dns).await;
    let unusable = analysis.warnings.iter().find(|w| {
        w.severity == Severity::Error && (w.code == "no-headers" || w.code == "empty-input")
    });
    match unusable {
        Some(w) => (Err(w.message.clone()), dns),
        None => (Ok(analysis), dns),
    }
}

/// How many messages a run keeps in flight on `jobs` threads. Live lookups wait on the network,
/// so more messages are kept in flight than there are cores; from a snapshot the work is CPU and
/// a few per core keep every core busy.
pub(crate) fn in_flight(mode: crate::dns::DnsMode, jobs: usize) -> usize {
    match mode {
        crate::dns::DnsMode::Snapshot => jobs * 2,
        _ => jobs * 16,
    }
    .max(1)
}

/// Analyses one message into what the writer needs (`item` names it; its result is filled in).
async fn analyse(shared: Arc<Shared>, item: Done, message: Message) -> Done {
    let (analysis, dns) = analyse_message(
        shared.backend.clone(),
        &shared.options,
        &item.source,
        &message,
    )
    .await;
    if let Some(recorded) = &shared.recorded {
        recorded.record(&dns);
    }
    let result = analysis.map(|analysis| Analysed {
        row: Row::of(&analysis, &message.listing),
        json: (shared.format == Format::Jsonl)
            .then(|| json_line(&item.source, item.index, &analysis)),
    });
    Done { result, ..item }
}

/// What the drive loop does with a write error: a closed pipe ends the run quietly.
enum Stop {
    Closed,
    Failed(std::io::Error),
}

fn written(r: std::io::Result<()>) -> Result<(), Stop> {
    r.map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Stop::Closed,
        _ => Stop::Failed(e),
    })
}

/// Runs the analyses of the items from `rx`, at most `in_flight` at once, until the input ends,
/// Ctrl-C is pressed or the output fails.
pub(crate) async fn drive(
    shared: Arc<Shared>,
    mut rx: mpsc::Receiver<Item>,
    writer: &mut Writer<'_>,
    in_flight: usize,
) -> Result<Outcome, std::io::Error> {
    let mut outcome = Outcome::default();
    let mut tasks = JoinSet::new();
    let mut names: HashMap<tokio::task::Id, (u64, String, Option<usize>)> = HashMap::new();
    let mut input_done = false;
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let result: Result<(), Stop> = loop {
        if input_done && tasks.is_empty() {
            break Ok(());
        }
        let done = tokio::select! {
            _ = &mut ctrl_c => {
                outcome.interrupted = true;
                break Ok(());
            }
            // Finished messages wait for a slow one before them (a lookup timing out): bounded,
            // so memory is too.
            item = rx.recv(), if !input_done && tasks.len() < in_flight
                && (tasks.is_empty() || writer.waiting() < in_flight * 32) => {
                let Some(Item { seq, source, index, message }) = item else {
                    input_done = true;
                    continue;
                };
                match message {
                    Err(error) => Done { seq, source, index, result: Err(error) },
                    Ok(message) => {
                        let name = (seq, source.clone(), index);
                        let task = analyse(shared.clone(), Done { seq, source, index, result: Err(String::new()) }, message);
                        names.insert(tasks.spawn(task).id(), name);
                        continue;
                    }
                }
            }
            joined = tasks.join_next_with_id(), if !tasks.is_empty() => match joined {
                Some(Ok((id, done))) => {
                    names.remove(&id);
                    done
                }
                Some(Err(e)) => {
                    let (seq, source, index) = names.remove(&e.id()).unwrap_or_default();
                    Done { seq, source, index, result: Err(format!("internal error: the analysis failed ({e})")) }
                }
                None => continue,
            },
        };
        if let Err(stop) = written(writer.push(done)) {
            break Err(stop);
        }
    };
    drop(rx);
    tasks.shutdown().await;
    finish(writer, result, outcome)
}

fn finish(
    writer: &mut Writer<'_>,
    result: Result<(), Stop>,
    mut outcome: Outcome,
) -> Result<Outcome, std::io::Error> {
    let flushed = match result {
        Ok(()) => written(writer.flush_waiting()),
        Err(stop) => Err(stop),
    };
    match flushed {
        Ok(()) => {}
        Err(Stop::Closed) => outcome.closed = true,
        Err(Stop::Failed(e)) => return Err(e),
    }
    outcome.analysed = writer.tally.analysed;
    outcome.errors = writer.tally.errors;
    Ok(outcome)
}
