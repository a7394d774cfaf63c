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
    /// How many times verifiers asked this (name, type) during the analysis.
    pub count: u32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cname_chain: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The typed records (kept for `--save-dns`; the JSON shows `answers`).
    #[serde(skip)]
    pub records: Vec<Record>,
}

impl DnsEvidence {
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

#[derive(Clone)]
pub struct Dns {
    backend: Arc<dyn DnsBackend>,
    log: Arc<Mutex<Log>>,
    answers: Arc<Mutex<HashMap<QueryKey, Arc<tokio::sync::OnceCell<DnsAnswer>>>>>,
    budget: usize,
    /// Questions asked later than this after the first one are not sent (message deadline).
    deadline: Option<Duration>,
    started: Arc<std::sync::OnceLock<Instant>>,
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
    /// with `count` raised on every ask. Only the first ask reaches the backend.
    pub async fn query(&self, name: &str, rtype: RecordType) -> DnsAnswer {
        let key = QueryKey::new(name, rtype);
        let source = self.backend.source();
        let refused = {
            let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            match log.index.get(&key).copied() {
                Some(i) => {
                    log.entries[i].count += 1;
                    matches!(
                        log.entries[i].error.as_deref(),
                        Some(BUDGET_ERROR | DEADLINE_ERROR)
                    )
                }
                None => {
                    let asked = log.entries.len() - log.refused - log.late;
                    let late = self.past_deadline();
                    let refuse = asked >= self.budget || late;
                    let why = if late { DEADLINE_ERROR } else { BUDGET_ERROR };
                    let id = log.entries.len();
                    log.entries.push(DnsEvidence {
                        id,
                        name: key.name.clone(),
                        rtype,
                        outcome: match (refuse, late) {
                            (false, _) => DnsOutcome::Pending,
                            (true, true) => DnsOutcome::Timeout,
                            (true, false) => DnsOutcome::Error,
                        },
                        answers: Vec::new(),
                        ttl: None,
                        source,
                        elapsed_ms: 0.0,
                        count: 1,
                        cname_chain: Vec::new(),
                        error: refuse.then(|| why.to_string()),
                        records: Vec::new(),
                    });
                    log.index.insert(key.clone(), id);
                    log.refused += usize::from(refuse && !late);
                    log.late += usize::from(late);
                    refuse
                }
            }
        };
        if refused {
            let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
            let entry = log.index.get(&key).map(|&i| &log.entries[i]);
            return DnsAnswer::outcome(
                entry.map_or(DnsOutcome::Error, |e| e.outcome),
                entry.and_then(|e| e.error.clone()),
            );
        }
        let cell = self
            .answers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default()
            .clone();
        // If the first asker gives up mid-way (its future dropped), the next one asks instead.
        cell.get_or_init(|| self.ask_backend(&key)).await.clone()
    }

    /// The one backend lookup of a question, recorded in its evidence entry.
    async fn ask_backend(&self, key: &QueryKey) -> DnsAnswer {
        let started = Instant::now();
        let answer = self.backend.lookup(key).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = log.index.get(key).copied() {
            let entry = &mut log.entries[i];
            entry.outcome = answer.outcome;
            entry.answers = answer.records.iter().map(Record::display).collect();
            entry.records = answer.records.clone();
            entry.ttl = answer.ttl;
            entry.elapsed_ms = elapsed_ms;
            entry.cname_chain = answer.cname_chain.clone();
            entry.error = answer.error.clone();
        }
        answer
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
        let Some(path) = &self.save else {
            return Ok(None);
        };
        let evidence = dns.evidence();
        let mut snapshot = snapshot::Snapshot::from_evidence(&evidence);
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

    #[test]
    fn capture_time_is_rfc3339_utc() {
        let t = std::time::UNIX_EPOCH + Duration::from_secs(1_795_651_200 + 3_723);
        assert_eq!(rfc3339_utc(t), "2026-11-26T01:02:03Z");
        assert_eq!(rfc3339_utc(std::time::UNIX_EPOCH), "1970-01-01T00:00:00Z");
        let leap = std::time::UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339_utc(leap), "2000-02-29T00:00:00Z");
    }
}
