//! Snapshot replay and the snapshot file format.
//!
//! A snapshot is a JSON object keyed by query name, then record type, in the shape of mailauth's
//! `--dns-cache` file (values as Node's `dns.resolve*` returns them), so mailauth can replay ours
//! and we can replay theirs:
//!
//! ```json
//! {
//!   "_meta": { "captured_at": "2026-11-26T09:00:00Z", "resolver": "192.0.2.53:53",
//!              "default_ttl": 300, "ttl": { "example.com": { "TXT": 3600 } } },
//!   "example.com": {
//!     "TXT": [["v=spf1 ip4:192.0.2.0/24 -all"]],
//!     "MX": [{ "priority": 10, "exchange": "mx.example.com" }],
//!     "A": ["192.0.2.1"],
//!     "AAAA": "NXDOMAIN"
//!   },
//!   "www.example.com": { "CNAME": ["example.com"] }
//! }
//! ```
//!
//! Answering rules (see [`Snapshot::lookup`]): an absent name is NXDOMAIN; a present name without
//! the asked type, or with an empty list for it, is NODATA; "NXDOMAIN", "SERVFAIL" and "TIMEOUT"
//! in place of a list are those errors (TIMEOUT answers at once, it never sleeps); a CNAME at a
//! name is followed for the other types. A null MX (RFC 7505) is `{"priority": 0, "exchange": ""}`,
//! as Node returns it (`"."` is read too). Nothing here touches the network.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use super::{
    BoxFuture, Dns, DnsAnswer, DnsBackend, DnsEvidence, DnsOutcome, DnsSource, QueryKey, Record,
    RecordType, normalize_name,
};

/// The reserved top-level key holding capture details; never a query name.
pub const META_KEY: &str = "_meta";

/// Longest CNAME chain followed before answering SERVFAIL (resolvers stop at a similar depth).
pub(crate) const MAX_CNAME_HOPS: usize = 16;

/// Real DNS types we do not model: accepted in a snapshot (e.g. from a mailauth cache) and
/// ignored, since no verifier asks for them. SPF (type 99) is obsolete (RFC 7208 §3.1); verifiers
/// only read TXT, so an "SPF" list must not shadow it.
const IGNORED_TYPES: &[&str] = &[
    "SPF",
    "NS",
    "SOA",
    "SRV",
    "CAA",
    "DS",
    "DNSKEY",
    "RRSIG",
    "NSEC",
    "NSEC3",
    "TLSA",
    "NAPTR",
    "HTTPS",
    "SVCB",
    "SSHFP",
    "OPENPGPKEY",
    "HINFO",
    "LOC",
    "URI",
    "ANY",
];

/// What a snapshot says about one (name, type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotEntry {
    /// The records (an empty list is NODATA).
    Records(Vec<Record>),
    NxDomain,
    ServFail,
    Timeout,
}

/// Capture details from `"_meta"`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SnapshotMeta {
    /// When the answers were captured (RFC 3339 text, kept as written).
    pub captured_at: Option<String>,
    /// Which resolver answered (free text, e.g. `192.0.2.53:53` or `system`).
    pub resolver: Option<String>,
    /// TTL for every answer without a specific one.
    pub default_ttl: Option<u32>,
    /// TTL per name (normalized) and type.
    pub ttl: BTreeMap<String, BTreeMap<RecordType, u32>>,
    /// Any other `_meta` keys, kept so a rewrite does not lose them.
    pub extra: BTreeMap<String, Value>,
}

impl SnapshotMeta {
    fn is_empty(&self) -> bool {
        self.captured_at.is_none()
            && self.resolver.is_none()
            && self.default_ttl.is_none()
            && self.ttl.is_empty()
            && self.extra.is_empty()
    }
}

/// A loaded snapshot: normalized name → record type → entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Snapshot {
    names: BTreeMap<String, BTreeMap<RecordType, SnapshotEntry>>,
    pub meta: SnapshotMeta,
}

/// A snapshot that could not be read: which file, where in it, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    pub file: Option<PathBuf>,
    /// Where in the document, e.g. `example.com / TXT / record 2`.
    pub location: Option<String>,
    pub message: String,
}

impl SnapshotError {
    fn at(location: impl Into<String>, message: impl Into<String>) -> Self {
        SnapshotError {
            file: None,
            location: Some(location.into()),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DNS snapshot")?;
        if let Some(file) = &self.file {
            write!(
                f,
                " {}",
                crate::report::visible(&file.display().to_string())
            )?;
        }
        if let Some(location) = &self.location {
            write!(f, ", at {}", crate::report::visible(location))?;
        }
        write!(f, ": {}", crate::report::visible(&self.message))
    }
}

impl std::error::Error for SnapshotError {}

impl Snapshot {
    pub fn new() -> Self {
        Snapshot::default()
    }

    /// Parses snapshot text. The error says which name, type and entry is bad.
    pub fn parse(text: &str) -> Result<Snapshot, SnapshotError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // JSON maps keep the last of two equal keys: a name (or type) given twice must be an
        // error naming it, not a silent choice.
        if let Err(e) = serde_json::from_str::<NoDuplicateKeys>(text)
            && e.is_data()
        {
            return Err(SnapshotError {
                file: None,
                location: Some(format!("line {}, column {}", e.line(), e.column())),
                message: e
                    .to_string()
                    .split(" at line ")
                    .next()
                    .unwrap_or("")
                    .to_string(),
            });
        }
        let root: Value = serde_json::from_str(text).map_err(|e| SnapshotError {
            file: None,
            location: Some(format!("line {}, column {}", e.line(), e.column())),
            message: format!("not valid JSON: {e}"),
        })?;
        let Value::Object(root) = root else {
            return Err(SnapshotError {
                file: None,
                location: None,
                message: format!(
                    "the top level must be an object keyed by query name, found {}",
                    kind(&root)
                ),
            });
        };
        let mut snapshot = Snapshot::new();
        // Names that differ only by case or a trailing dot are one name; remember the spelling
        // that first defined each type, to report a clash.
        let mut spelled: BTreeMap<(String, RecordType), String> = BTreeMap::new();
        for (raw_name, types) in &root {
            if raw_name == META_KEY {
                snapshot.meta = parse_meta(types)?;
                continue;
            }
            let name = normalize_name(raw_name);
            let Value::Object(types) = types else {
                return Err(SnapshotError::at(
                    format!("{raw_name:?}"),
                    format!(
                        "expected an object keyed by record type, found {}",
                        kind(types)
                    ),
                ));
            };
            snapshot.names.entry(name.clone()).or_default();
            for (raw_type, value) in types {
                let upper = raw_type.trim().to_ascii_uppercase();
                if IGNORED_TYPES.contains(&upper.as_str()) {
                    continue;
                }
                let rtype = match upper.as_str() {
                    "A" => RecordType::A,
                    "AAAA" => RecordType::AAAA,
                    "TXT" => RecordType::TXT,
                    "MX" => RecordType::MX,
                    "PTR" => RecordType::PTR,
                    "CNAME" => RecordType::CNAME,
                    _ => {
                        return Err(SnapshotError::at(
                            format!("{raw_name:?} / {raw_type:?}"),
                            "unknown record type (expected A, AAAA, TXT, MX, PTR or CNAME)",
                        ));
                    }
                };
                let location = format!("{raw_name:?} / {rtype}");
                let entry = parse_entry(rtype, value, &location)?;
                if let Some(first) = spelled.get(&(name.clone(), rtype)) {
                    return Err(SnapshotError::at(
                        location,
                        format!("{rtype} for this name is already given under {first:?}"),
                    ));
                }
                spelled.insert((name.clone(), rtype), raw_name.clone());
                snapshot.insert(&name, rtype, entry);
            }
        }
        Ok(snapshot)
    }

    /// Reads and parses a snapshot file; the error names the file.
    pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
        let text = std::fs::read_to_string(path).map_err(|e| SnapshotError {
            file: Some(path.to_path_buf()),
            location: None,
            message: format!("cannot read: {e}"),
        })?;
        Snapshot::parse(&text).map_err(|mut e| {
            e.file = Some(path.to_path_buf());
            e
        })
    }

    /// Pretty, deterministic JSON: `_meta` first, then names and types in sorted order.
    ///
    /// A name whose only entries are NXDOMAIN is written by omission (an absent name is
    /// NXDOMAIN), so mailauth, which treats a missing name as "not found" but would take the
    /// string "NXDOMAIN" for data, reads the file the same way we do.
    pub fn to_json(&self) -> String {
        let mut out = serde_json::to_string_pretty(&SnapshotDocument(self))
            .unwrap_or_else(|e| format!("{{\"_meta\": {{\"error\": {:?}}}}}", e.to_string()));
        out.push('\n');
        out
    }

    /// Sets what the snapshot answers for (name, type), replacing any earlier entry.
    pub fn insert(&mut self, name: &str, rtype: RecordType, entry: SnapshotEntry) {
        self.names
            .entry(normalize_name(name))
            .or_default()
            .insert(rtype, entry);
    }

    /// Marks a name as existing without records: NODATA for every type not otherwise given.
    pub fn insert_name(&mut self, name: &str) {
        self.names.entry(normalize_name(name)).or_default();
    }

    /// Sets the TTL the snapshot reports for (name, type).
    pub fn set_ttl(&mut self, name: &str, rtype: RecordType, ttl: u32) {
        self.meta
            .ttl
            .entry(normalize_name(name))
            .or_default()
            .insert(rtype, ttl);
    }

    /// The entry for (name, type) exactly as stored (no CNAME following).
    pub fn entry(&self, name: &str, rtype: RecordType) -> Option<&SnapshotEntry> {
        self.names.get(&normalize_name(name))?.get(&rtype)
    }

    /// Whether the name is present (with or without records).
    pub fn contains_name(&self, name: &str) -> bool {
        self.names.contains_key(&normalize_name(name))
    }

    /// The names present, normalized and sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Builds a snapshot from an evidence log (recording mode, `--save-dns`). Each answered query
    /// becomes its entry; a CNAME chain becomes the CNAME records along it with the answer at its
    /// end; SERVFAIL and other errors become "SERVFAIL", timeouts "TIMEOUT"; pending entries
    /// (never answered) are left out. Evidence read back from a JSON report (where the typed
    /// records are not kept) is rebuilt from its presentation-form `answers`.
    pub fn from_evidence(evidence: &[DnsEvidence]) -> Snapshot {
        let mut snapshot = Snapshot::new();
        for e in evidence {
            let entry = match e.outcome {
                DnsOutcome::Pending => continue,
                DnsOutcome::Answers | DnsOutcome::NoData => {
                    let records = if e.records.is_empty() && !e.answers.is_empty() {
                        e.answers
                            .iter()
                            .filter_map(|a| record_from_display(e.rtype, a))
                            .collect()
                    } else {
                        e.records.clone()
                    };
                    SnapshotEntry::Records(records)
                }
                DnsOutcome::NxDomain => SnapshotEntry::NxDomain,
                DnsOutcome::ServFail | DnsOutcome::Error => SnapshotEntry::ServFail,
                DnsOutcome::Timeout => SnapshotEntry::Timeout,
            };
            // The chain: name → chain[0] → … → chain[last], which holds the answer.
            let mut owner = e.name.clone();
            let mut visited = HashSet::from([normalize_name(&owner)]);
            let mut looped = false;
            for target in &e.cname_chain {
                if snapshot.entry(&owner, RecordType::CNAME).is_none() {
                    snapshot.insert(
                        &owner,
                        RecordType::CNAME,
                        SnapshotEntry::Records(vec![Record::Cname {
                            target: target.clone(),
                        }]),
                    );
                }
                owner = target.clone();
                looped |= !visited.insert(normalize_name(target));
            }
            // A CNAME loop answers for itself once its records are in; an entry at the end
            // would cut it short. A query answered earlier keeps its first answer, as the
            // evidence log does.
            if !looped && snapshot.entry(&owner, e.rtype).is_none() {
                snapshot.insert(&owner, e.rtype, entry);
                if let Some(ttl) = e.ttl {
                    snapshot.set_ttl(&owner, e.rtype, ttl);
                }
            }
        }
        snapshot
    }

    /// Answers a query from the snapshot. Never touches the network and never waits.
    pub fn lookup(&self, key: &QueryKey) -> DnsAnswer {
        let mut name = normalize_name(&key.name);
        let mut chain: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut ttl: Option<u32> = None;
        loop {
            seen.insert(name.clone());
            let Some(types) = self.names.get(&name) else {
                let mut answer = DnsAnswer::outcome(DnsOutcome::NxDomain, None);
                answer.cname_chain = chain;
                answer.ttl = min_ttl(ttl, self.ttl_for(&name, key.rtype));
                return answer;
            };
            let entry = match types.get(&key.rtype) {
                Some(entry) => entry,
                None => {
                    // A CNAME stands for every other type at its name (RFC 1034 §3.6.2).
                    let target = match types.get(&RecordType::CNAME) {
                        Some(SnapshotEntry::Records(records)) => {
                            records.iter().find_map(|r| match r {
                                Record::Cname { target } => Some(normalize_name(target)),
                                _ => None,
                            })
                        }
                        _ => None,
                    };
                    match target {
                        Some(target) if key.rtype != RecordType::CNAME => {
                            ttl = min_ttl(ttl, self.ttl_for(&name, RecordType::CNAME));
                            chain.push(target.clone());
                            if seen.contains(&target) {
                                return cname_failure(
                                    chain,
                                    format!("CNAME loop: {} points back to {target}", name),
                                );
                            }
                            if chain.len() > MAX_CNAME_HOPS {
                                return cname_failure(
                                    chain,
                                    format!("CNAME chain longer than {MAX_CNAME_HOPS} hops"),
                                );
                            }
                            name = target;
                            continue;
                        }
                        _ => {
                            let mut answer = DnsAnswer::records(Vec::new(), None);
                            answer.ttl = min_ttl(ttl, self.ttl_for(&name, key.rtype));
                            answer.cname_chain = chain;
                            return answer;
                        }
                    }
                }
            };
            let mut answer = match entry {
                SnapshotEntry::Records(records) => {
                    DnsAnswer::records(records.clone(), self.ttl_for(&name, key.rtype))
                }
                SnapshotEntry::NxDomain => DnsAnswer::outcome(DnsOutcome::NxDomain, None),
                SnapshotEntry::ServFail => DnsAnswer::outcome(
                    DnsOutcome::ServFail,
                    Some("the snapshot records a server failure (SERVFAIL)".to_string()),
                ),
                SnapshotEntry::Timeout => DnsAnswer::outcome(
                    DnsOutcome::Timeout,
                    Some("no answer: the snapshot records a timeout".to_string()),
                ),
            };
            if !answer.outcome.is_temporary_error() {
                answer.ttl = min_ttl(ttl, self.ttl_for(&name, key.rtype));
            }
            answer.cname_chain = chain;
            return answer;
        }
    }

    fn ttl_for(&self, name: &str, rtype: RecordType) -> Option<u32> {
        self.meta
            .ttl
            .get(name)
            .and_then(|types| types.get(&rtype))
            .copied()
            .or(self.meta.default_ttl)
    }
}

fn min_ttl(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A JSON document in which no object gives the same key twice (checked, then dropped).
struct NoDuplicateKeys;

impl<'de> serde::Deserialize<'de> for NoDuplicateKeys {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NoDuplicateKeysVisitor)
    }
}

struct NoDuplicateKeysVisitor;

impl<'de> serde::de::Visitor<'de> for NoDuplicateKeysVisitor {
    type Value = NoDuplicateKeys;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(NoDuplicateKeys)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<NoDuplicateKeys>()?.is_some() {}
        Ok(NoDuplicateKeys)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "{key:?} is given twice (a JSON object keeps only the last; remove one)"
                )));
            }
            map.next_value::<NoDuplicateKeys>()?;
        }
        Ok(NoDuplicateKeys)
    }
}

pub(crate) fn cname_failure(chain: Vec<String>, error: String) -> DnsAnswer {
    let mut answer = DnsAnswer::outcome(DnsOutcome::ServFail, Some(error));
    answer.cname_chain = chain;
    answer
}

/// A name inside record data, as evidence shows it: without the trailing root dot, except the
/// root itself (`.`, e.g. a null MX, RFC 7505).
pub(crate) fn record_name(s: &str) -> String {
    let s = s.trim();
    if s == "." || s.is_empty() {
        ".".to_string()
    } else {
        s.trim_end_matches('.').to_string()
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn parse_entry(
    rtype: RecordType,
    value: &Value,
    location: &str,
) -> Result<SnapshotEntry, SnapshotError> {
    let items = match value {
        Value::String(s) => {
            return match s.trim().to_ascii_uppercase().as_str() {
                "NXDOMAIN" => Ok(SnapshotEntry::NxDomain),
                "SERVFAIL" => Ok(SnapshotEntry::ServFail),
                "TIMEOUT" => Ok(SnapshotEntry::Timeout),
                "NODATA" => Ok(SnapshotEntry::Records(Vec::new())),
                _ => Err(SnapshotError::at(
                    location,
                    format!(
                        "expected a list of records or one of \"NXDOMAIN\", \"SERVFAIL\", \"TIMEOUT\", found the string {s:?}"
                    ),
                )),
            };
        }
        Value::Array(items) => items,
        Value::Null => return Ok(SnapshotEntry::Records(Vec::new())),
        other => {
            return Err(SnapshotError::at(
                location,
                format!("expected a list of records, found {}", kind(other)),
            ));
        }
    };
    let mut records = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = format!("{location} / record {}", i + 1);
        match rtype {
            RecordType::TXT => records.push(parse_txt(item, &at)?),
            RecordType::MX => records.push(parse_mx(item, &at)?),
            // Node's resolve4 gives plain strings, but mailauth's own example file nests them
            // (`[["1.2.3.1"]]`): accept both.
            _ => {
                for s in flatten_strings(item, &at)? {
                    records.push(parse_simple(rtype, &s, &at)?);
                }
            }
        }
    }
    Ok(SnapshotEntry::Records(records))
}

fn flatten_strings(item: &Value, at: &str) -> Result<Vec<String>, SnapshotError> {
    match item {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(inner) => inner
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(SnapshotError::at(
                    at,
                    format!("expected a string, found {}", kind(other)),
                )),
            })
            .collect(),
        other => Err(SnapshotError::at(
            at,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

fn parse_simple(rtype: RecordType, s: &str, at: &str) -> Result<Record, SnapshotError> {
    let s = s.trim();
    match rtype {
        RecordType::A => s
            .parse::<Ipv4Addr>()
            .map(|address| Record::A { address })
            .map_err(|_| SnapshotError::at(at, format!("{s:?} is not an IPv4 address"))),
        RecordType::AAAA => s
            .parse::<Ipv6Addr>()
            .map(|address| Record::Aaaa { address })
            .map_err(|_| SnapshotError::at(at, format!("{s:?} is not an IPv6 address"))),
        RecordType::PTR | RecordType::CNAME => {
            check_domain(s, at)?;
            let name = record_name(s);
            Ok(if rtype == RecordType::PTR {
                Record::Ptr { name }
            } else {
                Record::Cname { target: name }
            })
        }
        // TXT and MX have their own parsers.
        RecordType::TXT => Ok(Record::Txt {
            strings: vec![s.to_string()],
        }),
        RecordType::MX => Err(SnapshotError::at(at, "expected an MX object")),
    }
}

/// A domain name that can go on the wire: labels of 1..=63 bytes, 255 bytes in all.
fn check_domain(s: &str, at: &str) -> Result<(), SnapshotError> {
    let trimmed = s.trim_end_matches('.');
    if trimmed.is_empty() {
        return if s.is_empty() {
            Err(SnapshotError::at(at, "empty domain name"))
        } else {
            Ok(())
        };
    }
    if trimmed.len() > 253 {
        return Err(SnapshotError::at(
            at,
            format!("domain name longer than 253 bytes: {s:?}"),
        ));
    }
    if trimmed.split('.').any(|l| l.is_empty() || l.len() > 63) {
        return Err(SnapshotError::at(
            at,
            format!("{s:?} is not a domain name (empty label or label over 63 bytes)"),
        ));
    }
    if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(SnapshotError::at(at, format!("{s:?} is not a domain name")));
    }
    Ok(())
}

fn parse_txt(item: &Value, at: &str) -> Result<Record, SnapshotError> {
    match item {
        // A plain string is a record of one character-string.
        Value::String(s) => Ok(Record::Txt {
            strings: vec![s.clone()],
        }),
        Value::Array(parts) => {
            let mut strings = Vec::with_capacity(parts.len());
            for (j, part) in parts.iter().enumerate() {
                match part {
                    Value::String(s) => strings.push(s.clone()),
                    other => {
                        return Err(SnapshotError::at(
                            format!("{at} / string {}", j + 1),
                            format!("expected a string, found {}", kind(other)),
                        ));
                    }
                }
            }
            Ok(Record::Txt { strings })
        }
        other => Err(SnapshotError::at(
            at,
            format!(
                "expected a TXT record (a list of strings, or one string), found {}",
                kind(other)
            ),
        )),
    }
}

fn parse_mx(item: &Value, at: &str) -> Result<Record, SnapshotError> {
    let Value::Object(fields) = item else {
        return Err(SnapshotError::at(
            at,
            format!(
                "expected an MX object {{\"priority\": N, \"exchange\": \"host\"}}, found {}",
                kind(item)
            ),
        ));
    };
    let priority = fields
        .get("priority")
        .or_else(|| fields.get("preference"))
        .ok_or_else(|| SnapshotError::at(at, "MX without \"priority\""))?;
    let preference = priority
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| {
            SnapshotError::at(
                at,
                format!("MX priority must be an integer 0..65535, found {priority}"),
            )
        })?;
    let exchange = match fields.get("exchange") {
        Some(Value::String(s)) => s,
        Some(other) => {
            return Err(SnapshotError::at(
                at,
                format!("MX exchange must be a string, found {}", kind(other)),
            ));
        }
        None => return Err(SnapshotError::at(at, "MX without \"exchange\"")),
    };
    // Node's resolveMx (and so mailauth's `--dns-cache`) gives a null MX (RFC 7505) as `""`:
    // its exchange is the root, `.`.
    if !exchange.trim().is_empty() {
        check_domain(exchange.trim(), at)?;
    }
    Ok(Record::Mx {
        preference,
        exchange: record_name(exchange),
    })
}

fn parse_meta(value: &Value) -> Result<SnapshotMeta, SnapshotError> {
    let Value::Object(fields) = value else {
        return Err(SnapshotError::at(
            META_KEY,
            format!("expected an object, found {}", kind(value)),
        ));
    };
    let mut meta = SnapshotMeta::default();
    for (key, v) in fields {
        let at = format!("{META_KEY} / {key}");
        match key.as_str() {
            "captured_at" | "resolver" => {
                let s = match v {
                    Value::String(s) => s.clone(),
                    Value::Null => continue,
                    other => {
                        return Err(SnapshotError::at(
                            at,
                            format!("expected a string, found {}", kind(other)),
                        ));
                    }
                };
                if key == "captured_at" {
                    meta.captured_at = Some(s);
                } else {
                    meta.resolver = Some(s);
                }
            }
            "default_ttl" => meta.default_ttl = Some(parse_ttl(v, &at)?),
            "ttl" => {
                let Value::Object(names) = v else {
                    return Err(SnapshotError::at(
                        at,
                        format!(
                            "expected an object {{\"name\": {{\"TYPE\": seconds}}}}, found {}",
                            kind(v)
                        ),
                    ));
                };
                for (name, types) in names {
                    let at = format!("{META_KEY} / ttl / {name:?}");
                    let Value::Object(types) = types else {
                        return Err(SnapshotError::at(
                            at,
                            format!(
                                "expected an object {{\"TYPE\": seconds}}, found {}",
                                kind(types)
                            ),
                        ));
                    };
                    for (t, secs) in types {
                        if IGNORED_TYPES.contains(&t.trim().to_ascii_uppercase().as_str()) {
                            continue;
                        }
                        let at = format!("{at} / {t}");
                        let rtype = RecordType::parse(t.trim())
                            .ok_or_else(|| SnapshotError::at(&at, "unknown record type"))?;
                        let secs = parse_ttl(secs, &at)?;
                        meta.ttl
                            .entry(normalize_name(name))
                            .or_default()
                            .insert(rtype, secs);
                    }
                }
            }
            _ => {
                meta.extra.insert(key.clone(), v.clone());
            }
        }
    }
    Ok(meta)
}

fn parse_ttl(v: &Value, at: &str) -> Result<u32, SnapshotError> {
    v.as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            SnapshotError::at(
                at,
                format!("a TTL must be a whole number of seconds, found {v}"),
            )
        })
}

/// Rebuilds a record from its presentation form (`Record::display`), for evidence that lost its
/// typed records (read back from JSON). TXT comes back as one string: the split into
/// character-strings is not in the presentation form.
fn record_from_display(rtype: RecordType, s: &str) -> Option<Record> {
    match rtype {
        RecordType::A => s.parse().ok().map(|address| Record::A { address }),
        RecordType::AAAA => s.parse().ok().map(|address| Record::Aaaa { address }),
        RecordType::TXT => Some(Record::Txt {
            strings: vec![s.to_string()],
        }),
        RecordType::MX => {
            let (pref, exchange) = s.trim().split_once(' ')?;
            Some(Record::Mx {
                preference: pref.parse().ok()?,
                exchange: record_name(exchange),
            })
        }
        RecordType::PTR => Some(Record::Ptr {
            name: record_name(s),
        }),
        RecordType::CNAME => Some(Record::Cname {
            target: record_name(s),
        }),
    }
}

/// Serializes a snapshot in file order: `_meta` first, then names sorted.
struct SnapshotDocument<'a>(&'a Snapshot);

impl Serialize for SnapshotDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let snapshot = self.0;
        let mut map = serializer.serialize_map(None)?;
        if !snapshot.meta.is_empty() {
            map.serialize_entry(META_KEY, &meta_value(&snapshot.meta))?;
        }
        for (name, types) in &snapshot.names {
            let only_nxdomain =
                !types.is_empty() && types.values().all(|e| matches!(e, SnapshotEntry::NxDomain));
            if only_nxdomain {
                continue;
            }
            map.serialize_entry(name, &TypesDocument(types))?;
        }
        map.end()
    }
}

struct TypesDocument<'a>(&'a BTreeMap<RecordType, SnapshotEntry>);

impl Serialize for TypesDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (rtype, entry) in self.0 {
            map.serialize_entry(rtype.as_str(), &EntryDocument(entry))?;
        }
        map.end()
    }
}

struct EntryDocument<'a>(&'a SnapshotEntry);

impl Serialize for EntryDocument<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            SnapshotEntry::NxDomain => serializer.serialize_str("NXDOMAIN"),
            SnapshotEntry::ServFail => serializer.serialize_str("SERVFAIL"),
            SnapshotEntry::Timeout => serializer.serialize_str("TIMEOUT"),
            SnapshotEntry::Records(records) => {
                let mut seq = serializer.serialize_seq(Some(records.len()))?;
                for record in records {
                    seq.serialize_element(&record_value(record))?;
                }
                seq.end()
            }
        }
    }
}

/// A record in mailauth's (Node `dns.resolve*`) shape.
fn record_value(record: &Record) -> Value {
    match record {
        Record::A { address } => Value::String(address.to_string()),
        Record::Aaaa { address } => Value::String(address.to_string()),
        Record::Txt { strings } => {
            Value::Array(strings.iter().cloned().map(Value::String).collect())
        }
        Record::Mx {
            preference,
            exchange,
        } => {
            let mut m = Map::new();
            m.insert("priority".into(), Value::from(*preference));
            // A null MX is written as Node writes it (`""`), which mailauth skips as it should.
            let exchange = if record_name(exchange) == "." {
                String::new()
            } else {
                exchange.clone()
            };
            m.insert("exchange".into(), Value::String(exchange));
            Value::Object(m)
        }
        Record::Ptr { name } => Value::String(name.clone()),
        Record::Cname { target } => Value::String(target.clone()),
    }
}

fn meta_value(meta: &SnapshotMeta) -> Value {
    let mut m = Map::new();
    for (k, v) in &meta.extra {
        m.insert(k.clone(), v.clone());
    }
    if let Some(c) = &meta.captured_at {
        m.insert("captured_at".into(), Value::String(c.clone()));
    }
    if let Some(r) = &meta.resolver {
        m.insert("resolver".into(), Value::String(r.clone()));
    }
    if let Some(t) = meta.default_ttl {
        m.insert("default_ttl".into(), Value::from(t));
    }
    if !meta.ttl.is_empty() {
        let mut names = Map::new();
        for (name, types) in &meta.ttl {
            let mut t = Map::new();
            for (rtype, secs) in types {
                t.insert(rtype.as_str().into(), Value::from(*secs));
            }
            names.insert(name.clone(), Value::Object(t));
        }
        m.insert("ttl".into(), Value::Object(names));
    }
    Value::Object(m)
}

/// Replays a snapshot: source Snapshot, answers at once.
pub struct SnapshotBackend {
    snapshot: Snapshot,
}

impl SnapshotBackend {
    pub fn new(snapshot: Snapshot) -> Self {
        SnapshotBackend { snapshot }
    }

    pub fn snapshot(&self) -> &Snapshot {
        &self.snapshot
    }
}

impl DnsBackend for SnapshotBackend {
    fn source(&self) -> DnsSource {
        DnsSource::Snapshot
    }

    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
        let answer = self.snapshot.lookup(key);
        Box::pin(async move { answer })
    }
}

impl Dns {
    /// A logging handle that replays `snapshot` (no network).
    pub fn from_snapshot(snapshot: Snapshot) -> Dns {
        Dns::new(std::sync::Arc::new(SnapshotBackend::new(snapshot)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, rtype: RecordType) -> QueryKey {
        QueryKey::new(name, rtype)
    }

    #[test]
    fn meta_is_not_a_name() {
        let s = Snapshot::parse(r#"{"_meta": {"resolver": "x"}}"#).unwrap();
        assert!(!s.contains_name("_meta"));
        assert_eq!(s.meta.resolver.as_deref(), Some("x"));
    }

    #[test]
    fn record_names_drop_the_root_dot_but_keep_the_root() {
        assert_eq!(record_name("mx.example.com."), "mx.example.com");
        assert_eq!(record_name("."), ".");
    }

    #[test]
    fn display_forms_round_trip() {
        let mx = Record::Mx {
            preference: 10,
            exchange: "mx.example.com".into(),
        };
        assert_eq!(record_from_display(RecordType::MX, &mx.display()), Some(mx));
        assert_eq!(
            lookup_outcome(&Snapshot::new(), "x", RecordType::A),
            DnsOutcome::NxDomain
        );
    }

    #[test]
    fn mailauth_null_mx_with_empty_exchange_reads_as_the_root() {
        let s = Snapshot::parse(r#"{"example.com": {"MX": [{"exchange": "", "priority": 0}]}}"#)
            .unwrap();
        let answer = s.lookup(&key("example.com", RecordType::MX));
        assert_eq!(answer.outcome, DnsOutcome::Answers);
        assert_eq!(
            answer.records,
            vec![Record::Mx {
                preference: 0,
                exchange: ".".into()
            }]
        );
        assert_eq!(answer.records[0].display(), "0 .");
    }

    #[test]
    fn a_saved_null_mx_is_written_as_node_does_and_reads_back_the_same() {
        let mut s = Snapshot::new();
        s.insert(
            "example.com",
            RecordType::MX,
            SnapshotEntry::Records(vec![Record::Mx {
                preference: 0,
                exchange: ".".into(),
            }]),
        );
        let json = s.to_json();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["example.com"]["MX"][0]["exchange"], "");
        assert_eq!(Snapshot::parse(&json).unwrap(), s);
        // --save-dns from a JSON report's evidence, where only the presentation form is kept.
        let evidence = DnsEvidence {
            outcome: DnsOutcome::Answers,
            answers: vec!["0 .".into()],
            ..DnsEvidence::asked(&key("example.com", RecordType::MX), DnsSource::Live)
        };
        assert_eq!(Snapshot::from_evidence(&[evidence]), s);
    }

    #[test]
    fn a_blank_mx_exchange_is_a_null_mx_but_a_bad_name_is_still_refused() {
        let blank = r#"{"example.com": {"MX": [{"exchange": "  ", "priority": 0}]}}"#;
        assert!(Snapshot::parse(blank).is_ok());
        let bad = r#"{"example.com": {"MX": [{"exchange": "a..b", "priority": 0}]}}"#;
        assert!(Snapshot::parse(bad).is_err());
    }

    fn lookup_outcome(s: &Snapshot, name: &str, t: RecordType) -> DnsOutcome {
        s.lookup(&key(name, t)).outcome
    }
}
