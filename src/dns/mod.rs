//! The DNS layer. Every lookup any verifier makes goes through one [`Dns`] handle, which logs it
//! as evidence: our own traced evaluations call [`Dns::query`] directly, and mail-auth's hickory
//! resolver is pointed at an in-process responder on 127.0.0.1 (`responder.rs`) that answers
//! through the same handle. The evidence shown is therefore exactly what decided each verdict.
//!
//! Backends: snapshot replay (`snapshot.rs`, no packet leaves the machine), live (`live.rs`,
//! hickory-resolver) and recording (live, with the answers saved as a snapshot afterwards).

use std::collections::HashMap;
use std::future::Future;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub mod live;
pub mod responder;
pub mod snapshot;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The record types the verifiers ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum RecordType {
    A,
    AAAA,
    TXT,
    MX,
    PTR,
    CNAME,
}

impl RecordType {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::AAAA => "AAAA",
            RecordType::TXT => "TXT",
            RecordType::MX => "MX",
            RecordType::PTR => "PTR",
            RecordType::CNAME => "CNAME",
        }
    }

    pub fn parse(s: &str) -> Option<RecordType> {
        Some(match s.to_ascii_uppercase().as_str() {
            "A" => RecordType::A,
            "AAAA" => RecordType::AAAA,
            "TXT" | "SPF" => RecordType::TXT,
            "MX" => RecordType::MX,
            "PTR" => RecordType::PTR,
            "CNAME" => RecordType::CNAME,
            _ => return None,
        })
    }
}

impl std::fmt::Display for RecordType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query: a normalized name (lowercase, no trailing dot) and a type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QueryKey {
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: RecordType,
}

impl QueryKey {
    pub fn new(name: &str, rtype: RecordType) -> Self {
        QueryKey {
            name: normalize_name(name),
            rtype,
        }
    }
}

/// Lowercase, without the trailing root dot. Names compare case-insensitively everywhere.
pub fn normalize_name(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// One resource record's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "UPPERCASE")]
pub enum Record {
    A {
        address: Ipv4Addr,
    },
    Aaaa {
        address: Ipv6Addr,
    },
    /// One TXT record: its character-strings, in order (joined with no separator when read).
    Txt {
        strings: Vec<String>,
    },
    Mx {
        preference: u16,
        exchange: String,
    },
    Ptr {
        name: String,
    },
    Cname {
        target: String,
    },
}

impl Record {
    /// Presentation form used in evidence (`answers`): TXT strings joined, MX as `10 mx.example.`.
    pub fn display(&self) -> String {
        match self {
            Record::A { address } => address.to_string(),
            Record::Aaaa { address } => address.to_string(),
            Record::Txt { strings } => strings.concat(),
            Record::Mx {
                preference,
                exchange,
            } => format!("{preference} {exchange}"),
            Record::Ptr { name } => name.clone(),
            Record::Cname { target } => target.clone(),
        }
    }
}

/// How a query ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsOutcome {
    /// Still waiting for an answer (only seen while an analysis runs).
    Pending,
    Answers,
    NxDomain,
    NoData,
    ServFail,
    Timeout,
    /// Any other failure (refused, malformed answer, no resolver configured …).
    Error,
}

impl DnsOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsOutcome::Pending => "pending",
            DnsOutcome::Answers => "answers",
            DnsOutcome::NxDomain => "nxdomain",
            DnsOutcome::NoData => "nodata",
            DnsOutcome::ServFail => "servfail",
            DnsOutcome::Timeout => "timeout",
            DnsOutcome::Error => "error",
        }
    }

    /// NXDOMAIN and NODATA are "void lookups" in SPF terms (RFC 7208 §4.6.4).
    pub fn is_void(self) -> bool {
        matches!(self, DnsOutcome::NxDomain | DnsOutcome::NoData)
    }

    /// Errors that make SPF/DKIM/DMARC return temperror.
    pub fn is_temporary_error(self) -> bool {
        matches!(
            self,
            DnsOutcome::ServFail | DnsOutcome::Timeout | DnsOutcome::Error
        )
    }
}

/// The answer to one query, from any backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DnsAnswer {
    pub outcome: DnsOutcome,
    /// Records of the asked type (after following any CNAME chain).
    pub records: Vec<Record>,
    /// Smallest TTL of the answer, when known.
    pub ttl: Option<u32>,
    /// CNAME targets followed on the way, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cname_chain: Vec<String>,
    /// Error text for Timeout / ServFail / Error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DnsAnswer {
    pub fn records(records: Vec<Record>, ttl: Option<u32>) -> Self {
        let outcome = if records.is_empty() {
            DnsOutcome::NoData
        } else {
            DnsOutcome::Answers
        };
        DnsAnswer {
            outcome,
            records,
            ttl,
            cname_chain: Vec::new(),
            error: None,
        }
    }

    pub fn outcome(outcome: DnsOutcome, error: Option<String>) -> Self {
        DnsAnswer {
            outcome,
            records: Vec::new(),
            ttl: None,
            cname_chain: Vec::new(),
            error,
        }
    }

    /// TXT records as strings (each record's character-strings joined).
    pub fn txt(&self) -> Vec<String> {
        self.records
            .iter()
            .filter_map(|r| match r {
                Record::Txt { strings } => Some(strings.concat()),
                _ => None,
            })
            .collect()
    }
}

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsSource {
    Live,
    Snapshot,
}

/// One entry of the evidence log: one distinct (name, type) asked during the analysis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DnsEvidence {
    /// Index in `Analysis::dns` (steps refer to evidence by it).
    pub id: usize,
    pub name: String,
    #[serde(rename = "type")]
    pub rtype: RecordType,
    pub outcome: DnsOutcome,
    /// Answers in presentation form.
    pub answers: Vec<String>,
    pub ttl: Option<u32>,
    pub source: DnsSource,
    /// Wall time of the first lookup, in milliseconds (0 for snapshot answers is normal).
    pub elapsed_ms: f64,
    /// When the question was sent, in milliseconds since the message's first question: with
    /// `elapsed_ms`, the critical path of the lookups can be read from the evidence.
    #[serde(default)]
    pub started_ms: f64,
    /// How many times verifiers asked this (name, type) during the analysis (0: only prefetched).
    pub count: u32,
    /// A prefetch asked for it too ([`Dns::prefetch`]): ahead of need, so the answer was there
    /// (or on its way) when a check got to it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub prefetched: bool,
    /// False for a prefetched answer no check went on to read (it decided nothing and counts in
    /// no limit, e.g. SPF's ten lookups).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub used: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cname_chain: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The typed records (kept for `--save-dns`; the JSON shows `answers`).
    #[serde(skip)]
    pub records: Vec<Record>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_true(b: &bool) -> bool {
    *b
}

fn yes() -> bool {
    true
}

impl DnsEvidence {
    /// The entry of a question a verifier asks, pending its answer.
    pub fn asked(key: &QueryKey, source: DnsSource) -> Self {
        DnsEvidence {
            id: 0,
            name: key.name.clone(),
            rtype: key.rtype,
            outcome: DnsOutcome::Pending,
            answers: Vec::new(),
            ttl: None,
            source,
            elapsed_ms: 0.0,
            started_ms: 0.0,
            count: 1,
            prefetched: false,
            used: true,
            cname_chain: Vec::new(),
            error: None,
            records: Vec::new(),
        }
    }

    pub fn key(&self) -> QueryKey {
        QueryKey {
            name: self.name.clone(),
            rtype: self.rtype,
        }
    }
}

/// Something that answers queries. Implementations never panic and always return within their
/// timeout: a failure is an answer with an error outcome.
pub trait DnsBackend: Send + Sync {
    fn source(&self) -> DnsSource;
    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer>;
    /// The longest a lookup can take before it answers Timeout (None: answers at once). The
    /// responder gives mail-auth's resolver more than this, so our answer always arrives.
    fn timeout(&self) -> Option<Duration> {
        None
    }
}

/// The logging handle every verifier uses. Cheap to clone; clones share the log.
///
/// Within one handle a question (name and type) is put to the backend once: repeats, also
/// concurrent ones, get that first answer and raise its count. Every verifier of an analysis
/// therefore sees the same data, and the evidence entry is exactly what each of them saw (a
/// live answer that changed between two asks could otherwise decide two verdicts differently
/// with only one of them shown). Build a new handle to ask afresh.
/// Distinct questions sent for one message (budget). Real mail needs a few dozen; a message
/// written to make the analyst's resolver send thousands (a From with 10,000 domains, 500 DKIM
/// signatures) gets the rest answered "not asked", and a warning.
pub const MAX_QUERIES: usize = 100;

/// The evidence log, with an index by question so a long log costs no scan per ask.
#[derive(Default)]
struct Log {
    entries: Vec<DnsEvidence>,
    index: HashMap<QueryKey, usize>,
    /// Distinct questions refused by the budget.
    refused: usize,
    /// Distinct questions not sent because the message deadline had passed.
    late: usize,
}

impl Log {
    /// Distinct questions sent (refused and late ones were not).
    fn asked(&self) -> usize {
        self.entries.len() - self.refused - self.late
    }

    fn push(&mut self, mut entry: DnsEvidence) {
        entry.id = self.entries.len();
        self.index.insert(entry.key(), entry.id);
        self.entries.push(entry);
    }

    /// The index again after entries left the log.
    fn reindex(&mut self) {
        self.index.clear();
        for (i, e) in self.entries.iter_mut().enumerate() {
            e.id = i;
            self.index.insert(e.key(), i);
        }
    }
}

#[derive(Clone)]
pub struct Dns {
    backend: Arc<dyn DnsBackend>,
    log: Arc<Mutex<Log>>,
    answers: Arc<Mutex<HashMap<QueryKey, Arc<tokio::sync::OnceCell<DnsAnswer>>>>>,
    budget: usize,
    /// Questions asked later than this after the first one are not sent (message deadline).
    deadline: Option<Duration>,
    started: Arc<std::sync::OnceLock<Instant>>,
    /// Prefetchers running beside the analysis ([`Dns::spawn_prefetch`]).
    prefetches: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

/// The overall time one message may spend on live DNS (budget): a message whose lookups chain
/// through silent servers ends in timeout evidence within this, never a hang.
pub const MESSAGE_DEADLINE: Duration = Duration::from_secs(30);

/// The error of a question asked after the message deadline: it was never sent.
pub const DEADLINE_ERROR: &str = "not asked: the message reached its DNS deadline";

impl Dns {
    pub fn new(backend: Arc<dyn DnsBackend>) -> Self {
        Dns {
            backend,
            log: Arc::new(Mutex::new(Log::default())),
            answers: Arc::new(Mutex::new(HashMap::new())),
            budget: MAX_QUERIES,
            deadline: None,
            started: Arc::new(std::sync::OnceLock::new()),
            prefetches: Arc::default(),
        }
    }

    /// The same backend with an overall deadline, counted from the first question.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    fn past_deadline(&self) -> bool {
        let started = *self.started.get_or_init(Instant::now);
        self.deadline.is_some_and(|d| started.elapsed() > d)
    }

    /// The same backend with another query budget (tests; a scan of trusted mail).
    pub fn with_budget(mut self, budget: usize) -> Self {
        self.budget = budget;
        self
    }

    /// How many distinct questions the budget refused.
    pub fn refused(&self) -> usize {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).refused
    }

    /// How many distinct questions were not sent because the message deadline had passed.
    pub fn late(&self) -> usize {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).late
    }

    /// The backend this handle asks (to share it with other handles, e.g. a mailbox's).
    pub fn backend(&self) -> Arc<dyn DnsBackend> {
        self.backend.clone()
    }

    pub fn source(&self) -> DnsSource {
        self.backend.source()
    }

    /// The backend's own lookup timeout (None when it answers at once).
    pub fn timeout(&self) -> Option<Duration> {
        self.backend.timeout()
    }

    /// Answers a question and logs it as evidence: one entry per distinct name and type,
    /// created as `pending` before the backend is asked (so a UI can show what is in flight),
    /// with `count` raised on every ask. Only the first ask reaches the backend; an answer a
    /// prefetch already has (or is waiting for) is shared, and the entry then counts as used.
    pub async fn query(&self, name: &str, rtype: RecordType) -> DnsAnswer {
        let key = QueryKey::new(name, rtype);
        if self.register(&key) {
            let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            let entry = log.index.get(&key).map(|&i| &log.entries[i]);
            return DnsAnswer::outcome(
                entry.map_or(DnsOutcome::Error, |e| e.outcome),
                entry.and_then(|e| e.error.clone()),
            );
        }
        self.answer(&key).await
    }

    /// Logs a verifier's ask of `key`: a new entry (refused past the budget or the deadline),
    /// or one more ask of a known one. True when the question is refused.
    fn register(&self, key: &QueryKey) -> bool {
        let source = self.backend.source();
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = log.index.get(key).copied() {
            let entry = &mut log.entries[i];
            entry.count += 1;
            entry.used = true;
            return matches!(entry.error.as_deref(), Some(BUDGET_ERROR | DEADLINE_ERROR));
        }
        let late = self.past_deadline();
        let refuse = log.asked() >= self.budget || late;
        let why = if late { DEADLINE_ERROR } else { BUDGET_ERROR };
        let outcome = match (refuse, late) {
            (false, _) => DnsOutcome::Pending,
            (true, true) => DnsOutcome::Timeout,
            (true, false) => DnsOutcome::Error,
        };
        let mut entry = DnsEvidence::asked(key, source);
        entry.outcome = outcome;
        entry.error = refuse.then(|| why.to_string());
        log.push(entry);
        log.refused += usize::from(refuse && !late);
        log.late += usize::from(late);
        refuse
    }

    /// The answer to a logged, unrefused question: the first asker asks the backend, everyone
    /// else shares its answer.
    async fn answer(&self, key: &QueryKey) -> DnsAnswer {
        let cell = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        // If the first asker gives up mid-way (its future dropped), the next one asks instead.
        cell.get_or_init(|| self.ask_backend(key)).await.clone()
    }

    /// Asks a question ahead of need, so its answer is in (or on its way) when a check gets to
    /// it; returns at once. The entry is marked `prefetched`, and counts as `used` only once a
    /// verifier asks it through [`Dns::query`]. Prefetches never starve real questions: they
    /// are sent only while the message has used less than half its budget, and none is sent
    /// past the deadline or outside a tokio runtime.
    pub fn prefetch(&self, name: &str, rtype: RecordType) {
        if tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        // Logged now, in the order asked; answered beside the caller.
        let key = QueryKey::new(name, rtype);
        if self.register_prefetch(&key) {
            let dns = self.clone();
            self.spawn_prefetch(async move {
                dns.answer(&key).await;
            });
        }
    }

    /// [`Dns::prefetch`], waiting for the answer (None when the prefetch was not sent): for a
    /// prefetcher that follows answers, like an SPF record's includes.
    pub async fn prefetch_answer(&self, name: &str, rtype: RecordType) -> Option<DnsAnswer> {
        let key = QueryKey::new(name, rtype);
        if self.register_prefetch(&key) {
            Some(self.answer(&key).await)
        } else {
            None
        }
    }

    /// Logs a prefetch of `key`: marks a known entry, or adds one while the message has used
    /// less than half its budget. True when the question is (or was) sent.
    fn register_prefetch(&self, key: &QueryKey) -> bool {
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        match log.index.get(key).copied() {
            Some(i) => {
                let entry = &mut log.entries[i];
                entry.prefetched = true;
                !matches!(entry.error.as_deref(), Some(BUDGET_ERROR | DEADLINE_ERROR))
            }
            None if log.asked() >= self.budget / 2 || self.past_deadline() => false,
            None => {
                let mut entry = DnsEvidence::asked(key, self.backend.source());
                entry.count = 0;
                entry.used = false;
                entry.prefetched = true;
                log.push(entry);
                true
            }
        }
    }

    /// Runs a prefetcher beside the analysis (nothing outside a tokio runtime);
    /// [`Dns::settle_prefetches`] ends what is left of it.
    pub fn spawn_prefetch(&self, task: impl Future<Output = ()> + Send + 'static) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let handle = runtime.spawn(task);
        self.prefetches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(handle);
    }

    /// Ends the prefetches of an analysis, before its evidence is taken. Instant answers
    /// (snapshot) are waited for, so the evidence is the same on every run; with a backend
    /// that waits on the network, what is still in flight is stopped — no check needs it any
    /// more — and its unanswered entries leave the log (they decided nothing).
    pub async fn settle_prefetches(&self) {
        let mut stopped = false;
        loop {
            let handles =
                std::mem::take(&mut *self.prefetches.lock().unwrap_or_else(|e| e.into_inner()));
            if handles.is_empty() {
                break;
            }
            for handle in handles {
                if self.backend.timeout().is_none() {
                    let _ = handle.await;
                } else {
                    handle.abort();
                    stopped = true;
                }
            }
        }
        if stopped {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            log.entries
                .retain(|e| e.used || e.outcome != DnsOutcome::Pending);
            log.reindex();
        }
    }

    /// The one backend lookup of a question, recorded in its evidence entry.
    async fn ask_backend(&self, key: &QueryKey) -> DnsAnswer {
        let first = *self.started.get_or_init(Instant::now);
        let started = Instant::now();
        let answer = self.backend.lookup(key).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let started_ms = started.saturating_duration_since(first).as_secs_f64() * 1000.0;
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = log.index.get(key).copied() {
            let entry = &mut log.entries[i];
            entry.outcome = answer.outcome;
            entry.answers = answer.records.iter().map(Record::display).collect();
            entry.records = answer.records.clone();
            entry.ttl = answer.ttl;
            entry.elapsed_ms = elapsed_ms;
            entry.started_ms = started_ms;
            entry.cname_chain = answer.cname_chain.clone();
            entry.error = answer.error.clone();
        }
        answer
    }

    /// `read` run on the evidence log as it stands (pending entries included), without copying
    /// it. The log is locked meanwhile: `read` must not ask this handle anything.
    pub fn with_evidence<R>(&self, read: impl FnOnce(&[DnsEvidence]) -> R) -> R {
        read(&self.log.lock().unwrap_or_else(|e| e.into_inner()).entries)
    }

    /// A copy of the evidence log as it stands (pending entries included).
    pub fn evidence(&self) -> Vec<DnsEvidence> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .clone()
    }
}

/// The error of a question the budget refused: it was never sent.
pub const BUDGET_ERROR: &str = "not asked: the message reached the budget of DNS queries";

/// Where answers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DnsMode {
    /// Ask real resolvers (`--dns-server` or the system's).
    #[default]
    Live,
    /// Replay `--dns-snapshot`; no packet leaves the machine.
    Snapshot,
    /// Ask real resolvers and write every answer seen to `--save-dns` afterwards.
    Recording,
}

/// The DNS options of a run, from the command line.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsConfig {
    pub mode: DnsMode,
    /// The snapshot to replay (Snapshot mode).
    pub snapshot: Option<std::path::PathBuf>,
    /// Where to write the answers seen (`--save-dns`).
    pub save: Option<std::path::PathBuf>,
    /// One server to ask instead of the system's (`--dns-server`).
    pub server: Option<std::net::SocketAddr>,
    /// Per-query timeout for live lookups (`--dns-timeout`).
    pub timeout: Duration,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            mode: DnsMode::Live,
            snapshot: None,
            save: None,
            server: None,
            timeout: Duration::from_secs(5),
        }
    }
}

impl DnsConfig {
    /// The logging handle for this configuration. Errors name the file at fault.
    pub fn build(&self) -> Result<Dns, String> {
        match self.mode {
            DnsMode::Snapshot => {
                let path = self
                    .snapshot
                    .as_deref()
                    .ok_or("snapshot mode needs a snapshot file (--dns-snapshot)")?;
                let snapshot = snapshot::Snapshot::load(path).map_err(|e| e.to_string())?;
                Ok(Dns::from_snapshot(snapshot))
            }
            DnsMode::Live | DnsMode::Recording => {
                if self.mode == DnsMode::Recording {
                    let path = self
                        .save
                        .as_deref()
                        .ok_or("recording mode needs a file to save to (--save-dns)")?;
                    // Fail before the lookups, not after them.
                    let dir = match path.parent() {
                        Some(d) if !d.as_os_str().is_empty() => d,
                        _ => std::path::Path::new("."),
                    };
                    if !dir.is_dir() {
                        return Err(format!(
                            "cannot save DNS answers to {}: directory {} does not exist",
                            path.display(),
                            dir.display()
                        ));
                    }
                }
                let backend = live::LiveBackend::new(self.server, self.timeout)?;
                Ok(Dns::new(Arc::new(backend)).with_deadline(MESSAGE_DEADLINE))
            }
        }
    }

    /// Writes the answers in `dns`'s evidence log as a snapshot to `save` (nothing to do when
    /// `save` is None). The file is written whole or not at all.
    /// With `--save-dns`, writes every answer of the run to the snapshot file (never over one of
    /// `inputs` nor over the snapshot being replayed, through a temporary file renamed into
    /// place). `Ok(Some(warning))` when it saved only failures: replaying such a snapshot
    /// reproduces the failures, not the answers.
    pub fn save(&self, dns: &Dns, inputs: &[&Path]) -> Result<Option<String>, String> {
        self.save_evidence(&dns.evidence(), inputs)
    }

    /// [`DnsConfig::save`] for answers gathered from several analyses (a [`Recorder`]'s).
    pub fn save_evidence(
        &self,
        evidence: &[DnsEvidence],
        inputs: &[&Path],
    ) -> Result<Option<String>, String> {
        let Some(path) = &self.save else {
            return Ok(None);
        };
        let mut snapshot = snapshot::Snapshot::from_evidence(evidence);
        snapshot.meta.captured_at = Some(rfc3339_utc(std::time::SystemTime::now()));
        snapshot.meta.resolver = Some(match (self.mode, self.server) {
            (DnsMode::Snapshot, _) => match &self.snapshot {
                Some(p) => format!("snapshot {}", p.display()),
                None => "snapshot".to_string(),
            },
            (_, Some(server)) => server.to_string(),
            (_, None) => "system".to_string(),
        });
        let mut protected: Vec<&Path> = inputs.to_vec();
        protected.extend(self.snapshot.as_deref());
        crate::output::write_atomically(path, snapshot.to_json().as_bytes(), &protected)
            .map_err(|e| format!("cannot save DNS answers: {e}"))?;
        let failed = |e: &DnsEvidence| {
            matches!(
                e.outcome,
                DnsOutcome::Timeout | DnsOutcome::ServFail | DnsOutcome::Error
            )
        };
        Ok(
            (!evidence.is_empty() && evidence.iter().all(failed)).then(|| {
                format!(
                    "{}: saved {} queries, and every one timed out or failed: replaying this \
                 snapshot reproduces the failures, not the answers (is the resolver reachable?)",
                    crate::report::visible(&path.display().to_string()),
                    evidence.len()
                )
            }),
        )
    }
}

/// Every answer seen by the analyses of one run of the tool (a `scan`, a TUI session with its
/// message list), for `--save-dns`: the first settled answer to each question is kept, as a
/// replay of the snapshot would give it to every message.
#[derive(Default)]
pub struct Recorder {
    seen: Mutex<std::collections::BTreeMap<QueryKey, DnsEvidence>>,
}

impl Recorder {
    /// Keeps the settled answers of `dns` not seen before; how many were new.
    pub fn record(&self, dns: &Dns) -> usize {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        let before = seen.len();
        dns.with_evidence(|evidence| {
            for e in evidence.iter().filter(|e| e.outcome != DnsOutcome::Pending) {
                seen.entry(e.key()).or_insert_with(|| e.clone());
            }
        });
        seen.len() - before
    }

    /// The answers kept, in name and type order.
    pub fn evidence(&self) -> Vec<DnsEvidence> {
        let seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.values().cloned().collect()
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a moment (the capture time in a saved snapshot).
fn rfc3339_utc(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    crate::input::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers NXDOMAIN at once, or never (a silent server), by name.
    struct Silent;

    impl DnsBackend for Silent {
        fn source(&self) -> DnsSource {
            DnsSource::Live
        }
        fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
            Box::pin(async move {
                if key.name.starts_with("silent.") {
                    std::future::pending::<()>().await;
                }
                DnsAnswer::outcome(DnsOutcome::NxDomain, None)
            })
        }
        fn timeout(&self) -> Option<Duration> {
            Some(Duration::from_secs(5))
        }
    }

    #[tokio::test]
    async fn a_prefetched_answer_counts_as_used_once_a_verifier_asks_it() {
        let dns = Dns::new(Arc::new(Silent));
        dns.prefetch("read.example", RecordType::TXT);
        dns.prefetch("unread.example", RecordType::TXT);
        tokio::task::yield_now().await;
        dns.query("read.example", RecordType::TXT).await;
        dns.settle_prefetches().await;
        let log = dns.evidence();
        let read = log.iter().find(|e| e.name == "read.example").unwrap();
        assert!(read.prefetched && read.used && read.count == 1);
        assert_eq!(read.outcome, DnsOutcome::NxDomain);
        let unread = log.iter().find(|e| e.name == "unread.example").unwrap();
        assert!(unread.prefetched && !unread.used && unread.count == 0);
    }

    #[tokio::test]
    async fn prefetches_still_in_flight_when_the_analysis_ends_leave_the_log() {
        let dns = Dns::new(Arc::new(Silent));
        dns.prefetch("silent.example", RecordType::TXT);
        dns.query("answered.example", RecordType::TXT).await;
        tokio::task::yield_now().await;
        assert_eq!(dns.evidence().len(), 2, "in flight, shown as pending");
        dns.settle_prefetches().await;
        let log = dns.evidence();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].id, log[0].name.as_str()), (0, "answered.example"));
    }

    #[tokio::test]
    async fn prefetches_stop_at_half_the_budget_and_questions_go_on_to_the_whole() {
        let dns = Dns::new(Arc::new(Silent)).with_budget(4);
        for name in ["a.example", "b.example", "c.example"] {
            dns.prefetch_answer(name, RecordType::TXT).await;
        }
        assert_eq!(dns.evidence().len(), 2, "the third prefetch was not sent");
        for name in ["c.example", "d.example"] {
            dns.query(name, RecordType::TXT).await;
        }
        assert_eq!(dns.refused(), 0);
        assert_eq!(dns.evidence().len(), 4);
    }

    #[tokio::test]
    async fn each_entry_says_when_its_question_was_sent() {
        let dns = Dns::new(Arc::new(Silent));
        dns.query("first.example", RecordType::TXT).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        dns.query("second.example", RecordType::TXT).await;
        let log = dns.evidence();
        // Counted from the first question; the second was sent at least 5 ms later.
        assert!(log[1].started_ms - log[0].started_ms >= 5.0, "{log:?}");
    }

    #[test]
    fn capture_time_is_rfc3339_utc() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_795_651_200 + 3_723);
        assert_eq!(rfc3339_utc(t), "2026-11-26T01:02:03Z");
        assert_eq!(rfc3339_utc(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = std::time::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }
}
