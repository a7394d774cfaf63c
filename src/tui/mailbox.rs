//! The message list of a mailbox: an mbox, a Maildir or a folder of messages opened in the TUI.
//! The messages are read and analysed in the background with `scan`'s own reading
//! (`scan::sources::messages`) and analysis (`scan::run::analyse_message`), a bounded number at
//! once, so the list is usable at once and each row's verdict is drawn when its analysis lands.
//! A file or message that cannot be read or analysed is one row with an error badge. Enter
//! opens a message in the analysis view (analysed again there, its lookups shown as they land);
//! Esc there comes back to the list, with the selection where it was.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::time::{Duration, Instant};

use super::worker::RecordRun;
use crate::analysis::Options;
use crate::analysis::model::AuthResult;
use crate::dns::{DnsBackend, DnsMode, DnsSource};
use crate::input::Message;
use crate::scan::output::{Row, listing_time, message_name};

/// The order of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortBy {
    /// Newest first; messages without a date last.
    Date,
    /// By the From domain, then newest first.
    Domain,
    /// Failures first (then broken messages, errors, … passes), then newest first.
    Verdict,
}

impl SortBy {
    /// The next order, for the sort key.
    pub fn next(self) -> SortBy {
        match self {
            SortBy::Date => SortBy::Domain,
            SortBy::Domain => SortBy::Verdict,
            SortBy::Verdict => SortBy::Date,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SortBy::Date => "date, newest first",
            SortBy::Domain => "From domain",
            SortBy::Verdict => "verdict, failures first",
        }
    }
}

/// Where a message's analysis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pending,
    /// Analysed: the DMARC result (for the badge) and the row `scan --format table` prints.
    Analysed {
        dmarc: AuthResult,
        row: Box<Row>,
    },
    /// The file could not be read, is not an email, or the message could not be analysed.
    Broken(String),
}

/// One message of the mailbox (or one file that gave none).
#[derive(Debug, Clone)]
pub struct Entry {
    /// The file it is in.
    pub source: String,
    /// Its number in the file, from 1 (None for a file that could not be read as a whole).
    pub index: Option<usize>,
    /// The message, to open it (None when the file gave none).
    pub message: Option<Arc<Message>>,
    pub verdict: Verdict,
    /// Its Date, as unix seconds.
    pub time: Option<i64>,
}

impl Entry {
    fn new(source: String, index: Option<usize>, message: Result<Message, String>) -> Entry {
        match message {
            Ok(m) => Entry {
                source,
                index,
                time: listing_time(&m.listing.date),
                message: Some(Arc::new(m)),
                verdict: Verdict::Pending,
            },
            Err(why) => Entry {
                source,
                index,
                time: None,
                message: None,
                verdict: Verdict::Broken(why),
            },
        }
    }

    /// `path#3` for the third message of an mbox, the path for a file of its own.
    pub fn name(&self) -> String {
        let in_mbox = self.message.as_ref().is_some_and(|m| m.prep.mbox.is_some());
        message_name(&self.source, self.index.filter(|_| in_mbox))
    }

    /// The name inside the mailbox `opened` (`sub/file.eml`, `box.mbox#3`).
    pub fn name_in(&self, opened: &str) -> String {
        let name = self.name();
        match name.strip_prefix(opened) {
            Some(rest) if !rest.is_empty() => rest.trim_start_matches('/').to_string(),
            _ => name,
        }
    }

    /// The verdict in a few words (what the filter matches): `dmarc fail → reject`, `error`,
    /// `analysing`.
    pub fn label(&self) -> &str {
        match &self.verdict {
            Verdict::Pending => "analysing",
            Verdict::Analysed { row, .. } => &row.verdict,
            Verdict::Broken(_) => "error",
        }
    }

    /// The RFC 5322.From domain the analysis found.
    pub fn from_domain(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Analysed { row, .. } => row.from_domain.as_deref(),
            _ => None,
        }
    }

    /// Where the verdict sorts: what needs a look first.
    fn rank(&self) -> u8 {
        match &self.verdict {
            Verdict::Analysed { dmarc, .. } => match dmarc {
                AuthResult::Fail => 0,
                AuthResult::PermError => 2,
                AuthResult::TempError => 3,
                AuthResult::SoftFail => 4,
                AuthResult::Policy => 5,
                AuthResult::Neutral => 6,
                AuthResult::None => 7,
                AuthResult::Pass => 8,
            },
            Verdict::Broken(_) => 1,
            Verdict::Pending => 9,
        }
    }

    /// Every term (lowercase) is in the verdict words or the From domain.
    fn matches(&self, terms: &[String]) -> bool {
        if terms.is_empty() {
            return true;
        }
        let label = self.label().to_lowercase();
        let domain = self.from_domain().unwrap_or_default().to_lowercase();
        terms
            .iter()
            .all(|t| label.contains(t.as_str()) || domain.contains(t.as_str()))
    }
}

/// Files larger than this are read and split in the background (the list shows at once, with a
/// spinner); smaller ones before the first frame.
pub const READ_IN_BACKGROUND: u64 = 16 * 1024 * 1024;

/// Whether `path` opens as a list read in the background: a folder (a Maildir), or a file too
/// large to split before the first frame — unless `--message N` (`pick`) names one message.
pub fn opens_in_background(path: &str, pick: Option<usize>) -> bool {
    let path = std::path::Path::new(path);
    // A file that cannot be opened is read the usual way, to fail as `report` does (exit 2).
    path.is_dir()
        || (pick.is_none()
            && std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > READ_IN_BACKGROUND)
            && std::fs::File::open(path).is_ok())
}

/// How often the order is rebuilt while results land (sorting a large list on every result
/// would cost more than drawing it).
const RESORT_EVERY: Duration = Duration::from_millis(50);

/// How long one poll may spend taking results, so a flood of them never holds up a frame.
const POLL_BUDGET: Duration = Duration::from_millis(8);

/// The list: every message found so far, its verdict, and the order and filter in force.
pub struct Mailbox {
    /// What was opened (a path, `-`, `paste`).
    pub source: String,
    pub entries: Vec<Entry>,
    pub sort: SortBy,
    /// Words each shown message's verdict or From domain contains (empty: every message).
    pub filter: String,
    /// The selected message (an index into `entries`): it stays selected while the order
    /// changes.
    pub selected: Option<usize>,
    /// The user moved the selection: from then on it stays on its message as the order
    /// changes. Until then it stays on the first row, so messages that land later (newer ones
    /// sorted above) never leave it on whatever happened to arrive first.
    chosen: bool,
    /// The entries shown, in order.
    order: Vec<usize>,
    stale: bool,
    sorted_at: Instant,
    /// Entries whose analysis is over (analysed or broken).
    pub done: usize,
    /// Every message has been found (the reader is through).
    pub listed: bool,
    /// One file was opened (not a folder): when it holds a single message, that message opens
    /// as any file of one does.
    pub single_file: bool,
    /// Files a folder walk passed over because their names say they are not mail (`.json`,
    /// `.md` …; `scan::sources::NOT_MAIL_EXTENSIONS`).
    pub skipped: usize,
    loader: Option<Loader>,
}

impl Mailbox {
    /// Reads `path` (a folder, a Maildir, an mbox) in the background as `scan` reads it, and
    /// analyses each message with `backend` (shared by all of them).
    pub fn open(
        path: &str,
        backend: Arc<dyn DnsBackend>,
        options: Options,
        record: Option<RecordRun>,
    ) -> Mailbox {
        let root = std::path::PathBuf::from(path);
        let single_file = root.is_file();
        let read: Reader =
            Box::new(move |each| crate::scan::sources::messages(&root, each).skipped.len());
        Mailbox {
            single_file,
            ..Mailbox::start(path, read, backend, options, record)
        }
    }

    /// The messages of one file already read (an mbox opened at start, stdin, a paste).
    pub fn of_messages(
        source: &str,
        messages: Vec<Message>,
        backend: Arc<dyn DnsBackend>,
        options: Options,
        record: Option<RecordRun>,
    ) -> Mailbox {
        let name = source.to_string();
        let read: Reader = Box::new(move |each| {
            for (i, m) in messages.into_iter().enumerate() {
                if !each(name.clone(), Some(i + 1), Ok(m)) {
                    break;
                }
            }
            0
        });
        Mailbox::start(source, read, backend, options, record)
    }

    fn start(
        source: &str,
        read: Reader,
        backend: Arc<dyn DnsBackend>,
        options: Options,
        record: Option<RecordRun>,
    ) -> Self {
        Mailbox::with_loader(source, Some(Loader::spawn(read, backend, options, record)))
    }

    /// An empty list of `source`, filled by `loader` (None: nothing more will land).
    fn with_loader(source: &str, loader: Option<Loader>) -> Self {
        Mailbox {
            source: source.to_string(),
            entries: Vec::new(),
            sort: SortBy::Date,
            filter: String::new(),
            selected: None,
            chosen: false,
            order: Vec::new(),
            stale: false,
            sorted_at: Instant::now(),
            done: 0,
            listed: false,
            single_file: false,
            skipped: 0,
            loader,
        }
    }

    /// Whether messages are still being read or analysed.
    pub fn loading(&self) -> bool {
        self.loader.is_some()
    }

    /// The entries shown, in order.
    pub fn shown(&self) -> &[usize] {
        &self.order
    }

    /// The selected entry's place in the order shown.
    pub fn position(&self) -> Option<usize> {
        let selected = self.selected?;
        self.order.iter().position(|&i| i == selected)
    }

    pub fn selected_entry(&self) -> Option<&Entry> {
        self.selected.and_then(|i| self.entries.get(i))
    }

    /// Takes what the background work has found and analysed; whether anything changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        if let Some(loader) = &self.loader {
            let until = Instant::now() + POLL_BUDGET;
            loop {
                match loader.rx.try_recv() {
                    Ok(Landed::Found(entry)) => {
                        if entry.verdict != Verdict::Pending {
                            self.done += 1;
                        }
                        self.entries.push(entry);
                    }
                    Ok(Landed::Listed(skipped)) => {
                        self.listed = true;
                        self.skipped = skipped;
                    }
                    Ok(Landed::Analysed(id, result)) => {
                        if let Some(e) = self.entries.get_mut(id) {
                            e.verdict = match result {
                                Ok((dmarc, row)) => Verdict::Analysed { dmarc, row },
                                Err(why) => Verdict::Broken(why),
                            };
                            self.done += 1;
                        }
                    }
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        self.loader = None;
                        self.listed = true;
                        changed = true;
                        break;
                    }
                }
                changed = true;
                self.stale = true;
                if Instant::now() >= until {
                    break;
                }
            }
        }
        let due = self.loader.is_none()
            || self.order.len() < 100
            || self.sorted_at.elapsed() >= RESORT_EVERY;
        if self.stale && due {
            self.refresh();
            changed = true;
        }
        changed
    }

    /// Rebuilds the order from the filter and sort in force; the selection stays on its
    /// message when it is still shown, else moves to the first one shown.
    pub fn refresh(&mut self) {
        let terms: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let entries = &self.entries;
        let mut order: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].matches(&terms))
            .collect();
        // Newest first, undated last (`Reverse(None)` sorts after every date); a stable sort
        // keeps the mailbox order among equals. Keys are computed once per entry: the list is
        // re-sorted while results land, and may hold many thousands.
        let newest = |e: &Entry| std::cmp::Reverse(e.time);
        match self.sort {
            SortBy::Date => order.sort_by_key(|&i| newest(&entries[i])),
            SortBy::Domain => order.sort_by_cached_key(|&i| {
                let e = &entries[i];
                let domain = e.from_domain().map(str::to_lowercase);
                (domain.is_none(), domain, newest(e))
            }),
            SortBy::Verdict => order.sort_by_key(|&i| (entries[i].rank(), newest(&entries[i]))),
        }
        self.order = order;
        self.stale = false;
        self.sorted_at = Instant::now();
        if !self.chosen || self.position().is_none() {
            self.selected = self.order.first().copied();
        }
    }

    /// Moves the selection by `delta` rows of the order shown (clamped).
    pub fn move_by(&mut self, delta: isize) {
        let Some(last) = self.order.len().checked_sub(1) else {
            return;
        };
        let at = self.position().unwrap_or(0) as isize;
        let next = at.saturating_add(delta).clamp(0, last as isize) as usize;
        self.selected = Some(self.order[next]);
        self.chosen = true;
    }

    pub fn set_sort(&mut self, sort: SortBy) {
        self.sort = sort;
        self.refresh();
    }

    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.trim().to_string();
        self.refresh();
    }
}

/// Walks the input, handing each message (or unreadable file) to the callback; it returns false
/// to stop. Returns how many files a folder walk passed over by name (not mail).
type Reader = Box<
    dyn FnOnce(&mut dyn FnMut(String, Option<usize>, Result<Message, String>) -> bool) -> usize
        + Send,
>;

/// What the background work sends, in this order for each entry: found, then analysed; and
/// once every entry was found, listed.
enum Landed {
    Found(Entry),
    /// Every entry was found; the count of files passed over by name.
    Listed(usize),
    Analysed(usize, Result<(AuthResult, Box<Row>), String>),
}

/// The background work: a reader thread, and the analyses on a runtime of their own. Dropping
/// it stops both at their next message.
struct Loader {
    rx: Receiver<Landed>,
    stop: Arc<AtomicBool>,
}

impl Drop for Loader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The thread names (the panic hook leaves the terminal alone for them).
const THREAD_NAME: &str = "mailsleuth-mailbox";

/// One analysis to run: the entry's index, its file and the message.
type Job = (usize, String, Arc<Message>);

impl Loader {
    fn spawn(
        read: Reader,
        backend: Arc<dyn DnsBackend>,
        options: Options,
        record: Option<RecordRun>,
    ) -> Loader {
        let (tx, rx) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let mut loader = Loader {
            rx,
            stop: stop.clone(),
        };
        // One core is left to the UI; the rest analyse.
        let jobs = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .saturating_sub(1)
            .max(1);
        let mode = match backend.source() {
            DnsSource::Snapshot => DnsMode::Snapshot,
            DnsSource::Live => DnsMode::Live,
        };
        let in_flight = crate::scan::run::in_flight(mode, jobs);
        let spawned = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                let (job_tx, job_rx) = tokio::sync::mpsc::unbounded_channel::<Job>();
                let (reader_tx, reader_stop) = (tx.clone(), stop.clone());
                let reader = std::thread::Builder::new()
                    .name(THREAD_NAME.into())
                    .spawn(move || read_all(read, &reader_tx, &job_tx, &reader_stop));
                if let Err(e) = &reader {
                    let why = format!("cannot start reading: {e}");
                    let _ = tx.send(Landed::Found(Entry::new(String::new(), None, Err(why))));
                }
                let analyses = Analyses {
                    backend,
                    options: Arc::new(options),
                    tx,
                    stop,
                    record,
                };
                match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(jobs)
                    .thread_name(THREAD_NAME)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime.block_on(analyses.run(job_rx, in_flight)),
                    Err(e) => analyses.refuse(job_rx, &format!("cannot start the analyses: {e}")),
                }
            });
        if let Err(e) = spawned {
            // The receiver is gone with the thread: the list shows this one row.
            let (tx, rx) = mpsc::channel();
            let why = format!("cannot start reading: {e}");
            let _ = tx.send(Landed::Found(Entry::new(String::new(), None, Err(why))));
            loader.rx = rx;
        }
        loader
    }
}

/// The reader: each message becomes an entry on the list, then a job for the analyses.
fn read_all(
    read: Reader,
    tx: &Sender<Landed>,
    jobs: &tokio::sync::mpsc::UnboundedSender<Job>,
    stop: &AtomicBool,
) {
    let mut id = 0usize;
    let skipped = read(&mut |source, index, message| {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let entry = Entry::new(source.clone(), index, message);
        let job = entry.message.clone().map(|m| (id, source, m));
        id += 1;
        if tx.send(Landed::Found(entry)).is_err() {
            return false;
        }
        job.is_none_or(|job| jobs.send(job).is_ok())
    });
    let _ = tx.send(Landed::Listed(skipped));
}

/// The analysis side: what every message's analysis shares.
struct Analyses {
    backend: Arc<dyn DnsBackend>,
    options: Arc<Options>,
    tx: Sender<Landed>,
    stop: Arc<AtomicBool>,
    /// Given each analysis's DNS handle (`--save-dns`).
    record: Option<RecordRun>,
}

impl Analyses {
    /// Analyses the jobs as they come, at most `in_flight` at once, until the reader is done
    /// and every analysis landed (or the list is closed).
    async fn run(self, mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>, in_flight: usize) {
        let permits = Arc::new(tokio::sync::Semaphore::new(in_flight));
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            // A closed list stops at once, also while analyses wait on slow lookups.
            let job = tokio::select! {
                job = jobs.recv() => job,
                () = self.stopped() => None,
            };
            let Some((id, source, message)) = job else {
                break;
            };
            let permit = tokio::select! {
                permit = permits.clone().acquire_owned() => permit.ok(),
                () = self.stopped() => None,
            };
            let Some(permit) = permit else {
                break;
            };
            let (backend, options, tx, record) = (
                self.backend.clone(),
                self.options.clone(),
                self.tx.clone(),
                self.record.clone(),
            );
            tasks.spawn(async move {
                // Its own task, so a panic is this row's error, not the end of the list.
                let analysed = tokio::spawn(async move {
                    let (analysis, dns) =
                        crate::scan::run::analyse_message(backend, &options, &source, &message)
                            .await;
                    if let Some(record) = &record {
                        record(&dns);
                    }
                    analysis.map(|a| (a.dmarc.result, Box::new(Row::of(&a, &message.listing))))
                })
                .await
                .unwrap_or_else(|e| Err(format!("internal error: the analysis failed ({e})")));
                drop(permit);
                let _ = tx.send(Landed::Analysed(id, analysed));
            });
            while tasks.try_join_next().is_some() {}
        }
        tokio::select! {
            () = async { while tasks.join_next().await.is_some() {} } => {}
            () = self.stopped() => tasks.abort_all(),
        }
    }

    /// Resolves once the list is closed.
    async fn stopped(&self) {
        while !self.stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Without a runtime, every message is an error row saying why.
    fn refuse(self, mut jobs: tokio::sync::mpsc::UnboundedReceiver<Job>, why: &str) {
        while let Some((id, _, _)) = jobs.blocking_recv() {
            let _ = self.tx.send(Landed::Analysed(id, Err(why.to_string())));
        }
    }
}

impl super::app::App {
    /// Keys on the message list: move, Enter opens, `/` filters, `s` sorts, Esc clears the
    /// filter (with none, it says `q` quits: the list is the top view).
    pub(crate) fn apply_in_list(&mut self, action: super::action::Action) {
        use super::action::Action;
        let Some(mailbox) = &mut self.mailbox else {
            return;
        };
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::Down => mailbox.move_by(1),
            Action::Up => mailbox.move_by(-1),
            Action::PageDown => mailbox.move_by(10),
            Action::PageUp => mailbox.move_by(-10),
            Action::Top => mailbox.move_by(isize::MIN / 2),
            Action::Bottom => mailbox.move_by(isize::MAX / 2),
            Action::Select => self.open_selected(),
            Action::Sort => {
                mailbox.set_sort(mailbox.sort.next());
                self.status = Some(format!("sorted by {}", mailbox.sort.name()));
            }
            Action::Search => {
                self.prompt = Some(super::app::Prompt {
                    kind: super::app::PromptKind::Filter,
                    // The filter in force, to refine it (Ctrl-U empties the line).
                    input: super::input::LineInput::with_text(mailbox.filter.clone()),
                });
            }
            Action::Back if !mailbox.filter.is_empty() => {
                mailbox.set_filter("");
                self.status = Some("filter cleared".into());
            }
            Action::Back => {
                let quit = self.keymap.first_key(Action::Quit).unwrap_or("q");
                self.status = Some(format!("nothing to go back to: {quit} quits"));
            }
            Action::Open => {
                self.open_another();
                self.opened_from_list = true;
            }
            _ => {}
        }
    }

    /// A file read in the background that turned out to hold one message: it opens as any file
    /// of one does (a file that is not an email: the start screen says why).
    pub(crate) fn open_lone_message(&mut self) {
        let Some(mailbox) = &self.mailbox else {
            return;
        };
        let lone = self.screen == super::app::Screen::List
            && mailbox.single_file
            && mailbox.listed
            && mailbox.entries.len() == 1;
        if !lone {
            return;
        }
        let entry = &mailbox.entries[0];
        match (&entry.message, &entry.verdict) {
            (Some(message), _) => {
                let (message, source) = ((**message).clone(), entry.source.clone());
                self.mailbox = None;
                self.load_message(message, &source);
            }
            (None, Verdict::Broken(why)) => {
                let error = format!("{}: {why}", entry.source);
                self.mailbox = None;
                self.screen = super::app::Screen::Start(super::app::StartScreen {
                    error: Some(crate::report::visible(&error).into_owned()),
                    ..Default::default()
                });
            }
            (None, _) => {}
        }
    }

    /// Enter in the filter prompt.
    pub(crate) fn set_list_filter(&mut self, filter: &str) {
        let Some(mailbox) = &mut self.mailbox else {
            return;
        };
        mailbox.set_filter(filter);
        let shown = mailbox.shown().len();
        self.status = Some(if mailbox.filter.is_empty() {
            "filter cleared".into()
        } else {
            format!(
                "{shown} of {} messages match \"{}\" (Esc clears the filter)",
                mailbox.entries.len(),
                mailbox.filter
            )
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(day: u32) -> Entry {
        let text = format!(
            "From: s{day}@example.org\r\nSubject: day {day}\r\nDate: {day} Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n"
        );
        let input = crate::input::Input {
            source: format!("m{day}"),
            bytes: text.into_bytes(),
        };
        let m = crate::input::prepare(input).expect("a message").remove(0);
        Entry::new(format!("m{day}"), None, Ok(m))
    }

    fn list() -> Mailbox {
        Mailbox::with_loader("box", None)
    }

    fn subject(m: &Mailbox) -> String {
        m.selected_entry().expect("a selection").source.clone()
    }

    #[test]
    fn the_selection_follows_the_first_row_until_the_user_moves_it() {
        let mut m = list();
        // The oldest message lands first, alone.
        m.entries.push(entry(1));
        m.refresh();
        assert_eq!(subject(&m), "m1");
        // Newer ones land and sort above it: the selection is the newest, not the first seen.
        m.entries.push(entry(2));
        m.entries.push(entry(3));
        m.refresh();
        assert_eq!(subject(&m), "m3");
        // Once the user moved, the selection stays on its message as others land above it.
        m.move_by(1);
        assert_eq!(subject(&m), "m2");
        m.entries.push(entry(4));
        m.refresh();
        assert_eq!(subject(&m), "m2");
        assert_eq!(m.position(), Some(2));
    }
}
