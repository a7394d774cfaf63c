//! DMARC: policy discovery, the record and its tags, which policy applies, the verdict and the
//! disposition (RFC 9989, with RFC 7489 differences shown).
//!
//! Discovery is the DMARCbis DNS tree walk from the RFC 5322 From domain (as mail-auth 0.13 does
//! it): `_dmarc.<from-domain>` first, then up the tree; the record used is the From domain's own,
//! else the organizational domain's, else a public suffix domain's. RFC 7489's discovery
//! (`_dmarc.<from-domain>`, then the PSL organizational domain) is shown beside it. mail-auth's own
//! `verify_dmarc` runs on the same SPF/DKIM results; a different verdict is flagged, never hidden.

use mail_auth::MessageAuthenticator;

use super::authors;

use crate::dns::{Dns, DnsOutcome, QueryKey, RecordType};

use super::align::{self, Identifier, LevelRecord, OrgDomains, TreeWalk};
use super::model::{
    Alignment, AlignmentMode, AlignmentSide, AuthResult, AuthorDomainResult, DkimCheck, DmarcCheck,
    Header, SpfChecks, Tag,
};
use super::step::{Outcome, Step};

/// A `p`, `sp` or `np` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    None,
    Quarantine,
    Reject,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::None => "none",
            Policy::Quarantine => "quarantine",
            Policy::Reject => "reject",
        }
    }

    fn parse(value: &str) -> Option<Policy> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// One level less strict (t=y, and the messages pct= leaves out).
    fn one_level_down(self) -> Policy {
        match self {
            Policy::Reject => Policy::Quarantine,
            _ => Policy::None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordErrorKind {
    /// No `p` tag (RFC 9989 §4.10.1: p=none if `rua` holds a valid URI, else no DMARC).
    MissingP,
    /// A known tag with a value its grammar does not allow.
    BadValue,
    /// A tag that is not `name=value`.
    Malformed,
    /// A tag given twice (the last one is used, as mail-auth does).
    Duplicate,
}

/// A problem in a DMARC record, naming the tag at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordError {
    pub tag: String,
    pub kind: RecordErrorKind,
    pub message: String,
}

impl RecordError {
    /// Errors that make the record unusable (permerror): a bad value in a tag the policy or the
    /// alignment depends on. mail-auth rejects the same records. Bad values in tags RFC 9989 made
    /// historic (pct, rf, ri) or advisory (psd, t, rua, ruf) are shown, and the default is used.
    pub fn is_fatal(&self) -> bool {
        self.kind == RecordErrorKind::BadValue
            && matches!(
                self.tag.as_str(),
                "p" | "sp" | "np" | "adkim" | "aspf" | "fo"
            )
    }
}

/// Why a TXT record is not a DMARC record at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotDmarc {
    Empty,
    /// The first tag is not `v=DMARC1` (what was there instead).
    BadVersion(String),
}

/// A parsed DMARC record: the tags as written and their typed values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DmarcRecord {
    pub raw: String,
    /// Tags in order: lower-cased name, trimmed value.
    pub tags: Vec<(String, String)>,
    pub p: Option<Policy>,
    pub sp: Option<Policy>,
    pub np: Option<Policy>,
    pub adkim: Option<AlignmentMode>,
    pub aspf: Option<AlignmentMode>,
    pub pct: Option<u8>,
    pub rua: Vec<String>,
    pub ruf: Vec<String>,
    pub fo: Option<String>,
    pub ri: Option<u32>,
    pub rf: Option<String>,
    /// `y`, `n` or `u`.
    pub psd: Option<char>,
    pub t: Option<bool>,
    pub errors: Vec<RecordError>,
}

impl DmarcRecord {
    /// The error that makes the record unusable (permerror). A bad `p` is not one when `rua`
    /// holds a valid URI: RFC 7489 §6.6.3 (and RFC 9989 §4.10.1) then read the record as p=none.
    pub fn fatal_error(&self) -> Option<&RecordError> {
        self.errors
            .iter()
            .find(|e| e.is_fatal() && (e.tag != "p" || self.rua.is_empty()))
    }

    /// The bad `p` value that [`fatal_error`](Self::fatal_error) forgives because of `rua`.
    pub fn forgiven_p_error(&self) -> Option<&RecordError> {
        self.errors
            .iter()
            .find(|e| e.tag == "p" && e.kind == RecordErrorKind::BadValue && !self.rua.is_empty())
    }

    pub fn adkim(&self) -> AlignmentMode {
        self.adkim.unwrap_or_default()
    }

    pub fn aspf(&self) -> AlignmentMode {
        self.aspf.unwrap_or_default()
    }

    pub fn testing(&self) -> bool {
        self.t.unwrap_or(false)
    }

    fn tag_value(&self, name: &str) -> Option<&str> {
        self.tags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// True when the TXT record starts with `v=DMARC1` (spaces allowed around `=`; the version value
/// is case-sensitive, as RFC 7489's ABNF writes it with %x codes).
pub fn is_dmarc_record(txt: &str) -> bool {
    let first = txt.split(';').next().unwrap_or("");
    match first.split_once('=') {
        Some((name, value)) => name.trim().eq_ignore_ascii_case("v") && value.trim() == "DMARC1",
        None => false,
    }
}

/// Parses a DMARC record. Never fails on a record that starts with `v=DMARC1`: every problem is
/// listed in `errors`, naming its tag.
pub fn parse_record(txt: &str) -> Result<DmarcRecord, NotDmarc> {
    if txt.trim().is_empty() {
        return Err(NotDmarc::Empty);
    }
    if !is_dmarc_record(txt) {
        let first = txt.split(';').next().unwrap_or("").trim().to_string();
        return Err(NotDmarc::BadVersion(first));
    }
    let mut rec = DmarcRecord {
        raw: txt.to_string(),
        ..Default::default()
    };
    for segment in txt.split(';').skip(1) {
        let segment = segment.trim();
        if segment.is_empty() {
            continue;
        }
        let Some((name, value)) = segment.split_once('=') else {
            rec.errors.push(RecordError {
                tag: segment.to_string(),
                kind: RecordErrorKind::Malformed,
                message: format!("{segment:?} is not a tag=value pair; ignored"),
            });
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim().to_string();
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            rec.errors.push(RecordError {
                tag: name.clone(),
                kind: RecordErrorKind::Malformed,
                message: format!("{name:?} is not a valid tag name; ignored"),
            });
            continue;
        }
        if rec.tags.iter().any(|(n, _)| *n == name) {
            rec.errors.push(RecordError {
                tag: name.clone(),
                kind: RecordErrorKind::Duplicate,
                message: format!("{name} appears more than once; the last value is used"),
            });
        }
        read_tag(&mut rec, &name, &value);
        rec.tags.push((name, value));
    }
    if rec.tag_value("p").is_none() {
        rec.errors.push(RecordError {
            tag: "p".into(),
            kind: RecordErrorKind::MissingP,
            message: "the required p tag is missing".into(),
        });
    }
    Ok(rec)
}

fn bad(rec: &mut DmarcRecord, tag: &str, value: &str, allowed: &str) {
    rec.errors.push(RecordError {
        tag: tag.to_string(),
        kind: RecordErrorKind::BadValue,
        message: format!("{tag}={value} is not valid: {allowed}"),
    });
}

fn read_tag(rec: &mut DmarcRecord, name: &str, value: &str) {
    let lower = value.to_ascii_lowercase();
    match name {
        "p" | "sp" | "np" => match Policy::parse(value) {
            Some(p) => match name {
                "p" => rec.p = Some(p),
                "sp" => rec.sp = Some(p),
                _ => rec.np = Some(p),
            },
            None => bad(rec, name, value, "expected none, quarantine or reject"),
        },
        "adkim" | "aspf" => {
            let mode = match lower.as_str() {
                "r" => Some(AlignmentMode::Relaxed),
                "s" => Some(AlignmentMode::Strict),
                _ => None,
            };
            match mode {
                Some(m) if name == "adkim" => rec.adkim = Some(m),
                Some(m) => rec.aspf = Some(m),
                None => bad(rec, name, value, "expected r (relaxed) or s (strict)"),
            }
        }
        "pct" => match value.parse::<u8>() {
            Ok(n) if n <= 100 => rec.pct = Some(n),
            _ => bad(rec, name, value, "expected a whole number from 0 to 100"),
        },
        "ri" => match value.parse::<u32>() {
            Ok(n) => rec.ri = Some(n),
            Err(_) => bad(rec, name, value, "expected a number of seconds"),
        },
        "fo" => {
            let ok = !lower.is_empty()
                && lower
                    .split(':')
                    .all(|o| matches!(o.trim(), "0" | "1" | "d" | "s"));
            if ok {
                rec.fo = Some(value.to_string());
            } else {
                bad(
                    rec,
                    name,
                    value,
                    "expected 0, 1, d or s, separated by colons",
                );
            }
        }
        "rf" => {
            if !lower.is_empty() && lower.split(':').all(|f| f.trim() == "afrf") {
                rec.rf = Some(value.to_string());
            } else {
                bad(
                    rec,
                    name,
                    value,
                    "the only registered report format is afrf",
                );
            }
        }
        "psd" => match lower.as_str() {
            "y" | "n" | "u" => rec.psd = lower.chars().next(),
            _ => bad(rec, name, value, "expected y, n or u"),
        },
        "t" => match lower.as_str() {
            "y" => rec.t = Some(true),
            "n" => rec.t = Some(false),
            _ => bad(rec, name, value, "expected y or n"),
        },
        "rua" | "ruf" => {
            let mut uris = Vec::new();
            for uri in value.split(',').map(str::trim) {
                if is_valid_report_uri(uri) {
                    uris.push(uri.to_string());
                } else {
                    bad(rec, name, uri, "not a URI (scheme:address)");
                }
            }
            if name == "rua" {
                rec.rua = uris;
            } else {
                rec.ruf = uris;
            }
        }
        _ => {}
    }
}

/// `scheme:rest` with an optional `!size[kmgt]` suffix (RFC 7489 §6.4 dmarc-uri).
fn is_valid_report_uri(uri: &str) -> bool {
    let uri = match uri.rsplit_once('!') {
        Some((u, size)) => {
            let digits = size.trim_end_matches(['k', 'm', 'g', 't', 'K', 'M', 'G', 'T']);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            u
        }
        None => uri,
    };
    match uri.split_once(':') {
        Some((scheme, rest)) => {
            let mut bytes = scheme.bytes();
            matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic())
                && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
                && !rest.trim().is_empty()
                && !rest.contains(char::is_whitespace)
        }
        None => false,
    }
}

const TAG_MEANINGS: &[(&str, &str)] = &[
    ("v", "version: must be DMARC1 and come first"),
    (
        "p",
        "policy for the domain itself: none, quarantine or reject",
    ),
    (
        "sp",
        "policy for existing subdomains (default: the p value)",
    ),
    (
        "np",
        "policy for non-existent subdomains (default: the sp value) (RFC 9091, RFC 9989)",
    ),
    (
        "adkim",
        "DKIM alignment: r relaxed (same organizational domain) or s strict (same name)",
    ),
    (
        "aspf",
        "SPF alignment: r relaxed (same organizational domain) or s strict (same name)",
    ),
    (
        "pct",
        "percentage of failing mail the policy is applied to (RFC 7489; historic in RFC 9989)",
    ),
    ("rua", "where aggregate reports go"),
    ("ruf", "where failure reports go"),
    (
        "fo",
        "when failure reports are wanted: 0 all fail, 1 any fails, d DKIM fails, s SPF fails",
    ),
    (
        "ri",
        "aggregate report interval in seconds (RFC 7489; removed in RFC 9989)",
    ),
    (
        "rf",
        "failure report format (RFC 7489; removed in RFC 9989)",
    ),
    (
        "psd",
        "public suffix domain: y it is one, n it is an organizational domain, u unknown",
    ),
    (
        "t",
        "testing mode: y means apply the policy one level less strictly (RFC 9989)",
    ),
];

/// Every DMARC tag with its value, the defaults shown for absent ones, then unknown tags.
pub fn record_tags(rec: &DmarcRecord) -> Vec<Tag> {
    let p_default = rec.p.map(Policy::as_str).unwrap_or("none");
    let sp_default = rec.sp.or(rec.p).map(Policy::as_str).unwrap_or("none");
    let mut tags = Vec::new();
    for (name, meaning) in TAG_MEANINGS {
        let written = if *name == "v" {
            Some("DMARC1".to_string())
        } else {
            rec.tag_value(name).map(str::to_string)
        };
        let (value, default) = match written {
            Some(v) => (v, false),
            None => {
                let d = match *name {
                    "p" => p_default.to_string(),
                    "sp" => p_default.to_string(),
                    "np" => sp_default.to_string(),
                    "adkim" | "aspf" => "r".into(),
                    "pct" => "100".into(),
                    "fo" => "0".into(),
                    "ri" => "86400".into(),
                    "rf" => "afrf".into(),
                    "psd" => "u".into(),
                    "t" => "n".into(),
                    _ => String::new(),
                };
                (d, true)
            }
        };
        let mut meaning = meaning.to_string();
        if *name == "p" && default {
            meaning.push_str(
                "; absent here, so the record counts as p=none if rua holds a valid URI, \
                 otherwise DMARC is not applied",
            );
        }
        if let Some(e) = rec
            .errors
            .iter()
            .find(|e| e.tag == *name && e.kind == RecordErrorKind::BadValue)
        {
            meaning.push_str(&format!(" — ERROR: {}", e.message));
        }
        tags.push(Tag {
            name: name.to_string(),
            value,
            meaning,
            default,
        });
    }
    for (name, value) in &rec.tags {
        if !TAG_MEANINGS.iter().any(|(n, _)| n == name) {
            tags.push(Tag {
                name: name.clone(),
                value: value.clone(),
                meaning: "unknown tag: ignored".into(),
                default: false,
            });
        }
    }
    tags
}

/// Whether the From domain exists (RFC 9989 §4.10.1 / RFC 9091: NXDOMAIN for A, AAAA and MX).
#[derive(Debug, Clone, PartialEq)]
pub struct Existence {
    /// `None` when a query failed temporarily and none answered.
    pub exists: Option<bool>,
    pub outcomes: Vec<(RecordType, DnsOutcome)>,
    pub queries: Vec<QueryKey>,
}

async fn check_existence(dns: &Dns, domain: &str) -> Existence {
    let (a, aaaa, mx) = tokio::join!(
        dns.query(domain, RecordType::A),
        dns.query(domain, RecordType::AAAA),
        dns.query(domain, RecordType::MX)
    );
    let outcomes = vec![
        (RecordType::A, a.outcome),
        (RecordType::AAAA, aaaa.outcome),
        (RecordType::MX, mx.outcome),
    ];
    let exists = if outcomes.iter().all(|(_, o)| *o == DnsOutcome::NxDomain) {
        Some(false)
    } else if outcomes
        .iter()
        .any(|(_, o)| matches!(o, DnsOutcome::Answers | DnsOutcome::NoData))
    {
        Some(true)
    } else if outcomes.iter().any(|(_, o)| o.is_temporary_error()) {
        None
    } else {
        Some(true)
    };
    Existence {
        exists,
        outcomes,
        queries: [RecordType::A, RecordType::AAAA, RecordType::MX]
            .into_iter()
            .map(|t| QueryKey::new(domain, t))
            .collect(),
    }
}

/// Which record policy discovery settled on.
#[derive(Debug, Clone, PartialEq)]
pub enum Discovery {
    /// No DMARC record for the From domain, its organizational domain or a public suffix domain.
    NoRecord,
    /// A query failed temporarily (the name is given).
    TempError { name: String },
    /// Several DMARC records at the name the policy would come from: DMARC is not applied.
    Multiple { domain: String, count: usize },
    Found {
        domain: String,
        record: Box<DmarcRecord>,
        /// True when the record is the From domain's own.
        is_author: bool,
        /// How it was found, in words.
        via: String,
    },
}

/// The policy that applies and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyChoice {
    /// `None` when the record has neither a valid p nor a valid rua: DMARC is not applied.
    pub policy: Option<Policy>,
    /// `p`, `sp`, `np`, or `rua` (p=none because of rua).
    pub tag: &'static str,
    /// The full reasoning, for the step.
    pub why: String,
    /// A short phrase starting with the tag, for `DmarcCheck::policy_source` (shown in
    /// parentheses after the policy: "p tag: the From domain publishes its own record").
    pub source: String,
}

/// The DMARC record lookup for one From domain, with its steps. Made by [`fetch_dmarc_policy`]
/// while SPF and DKIM run; [`evaluate`] finishes the job.
#[derive(Debug, Clone, PartialEq)]
pub struct DmarcLookup {
    pub from_domain: String,
    pub walk: TreeWalk,
    /// Organizational domain of the From domain by the tree walk (`None` after a DNS error).
    pub org_domain_tree_walk: Option<String>,
    pub org_domain_reason: String,
    pub org_domain_psl: Option<String>,
    pub discovery: Discovery,
    /// The domain whose record RFC 7489 discovery (From domain, then PSL organizational domain)
    /// would use, when it finds one.
    pub psl_record_domain: Option<String>,
    pub existence: Option<Existence>,
    pub choice: Option<PolicyChoice>,
    pub steps: Vec<Step>,
}

/// Fetches `_dmarc.<from-domain>` and walks up to the organizational domain (RFC 9989 §4.10),
/// checks the RFC 7489 (PSL) discovery beside it, and, for a subdomain, whether the From domain
/// exists (for `np`). Every query is a step with its evidence.
pub async fn fetch_dmarc_policy(dns: &Dns, from_domain: &str) -> DmarcLookup {
    let from = align::normalize_domain(from_domain).unwrap_or_else(|| from_domain.to_string());
    let walk = align::tree_walk(dns, &from).await;
    let mut steps = walk.query_steps();
    if walk.levels.is_empty() {
        steps.push(Step::new(
            "No DMARC lookup",
            Outcome::Error,
            format!("{from:?} is a single label or not a domain name: there is no _dmarc record to look up."),
        ));
    }
    let org = walk.organizational_domain();
    let org_psl = align::org_domain_psl(&from);
    let (org_tw, org_reason) = match &org {
        Some((o, why)) => (Some(o.clone()), why.clone()),
        None => (None, "temporary DNS error during the tree walk".to_string()),
    };

    // RFC 7489: the From domain's record, else the PSL organizational domain's.
    let mut psl_record_domain = None;
    let mut psl_queries = Vec::new();
    if let Some(first) = walk.levels.first() {
        psl_queries.push(first.query.clone());
        match &first.record {
            LevelRecord::One(_) => psl_record_domain = Some(first.name.clone()),
            LevelRecord::Multiple(_) => {}
            LevelRecord::None if first.outcome.is_temporary_error() => {}
            LevelRecord::None => {
                if let Some(psl_org) = org_psl.as_ref().filter(|o| **o != first.name) {
                    let record = match walk.level(psl_org) {
                        Some(level) => {
                            psl_queries.push(level.query.clone());
                            level.record.clone()
                        }
                        None if walk.temp_error.is_none() => {
                            // The walk stopped before reaching it (psd= or the query cap).
                            let qname = format!("_dmarc.{psl_org}");
                            let answer = dns.query(&qname, RecordType::TXT).await;
                            psl_queries.push(QueryKey::new(&qname, RecordType::TXT));
                            if answer.outcome == DnsOutcome::Answers {
                                align::classify_txt(&answer.txt())
                            } else {
                                LevelRecord::None
                            }
                        }
                        None => LevelRecord::None,
                    };
                    if matches!(record, LevelRecord::One(_)) {
                        psl_record_domain = Some(psl_org.clone());
                    }
                }
            }
        }
    }

    steps.push(
        Step::new(
            format!(
                "Organizational domain of {from}: {} (DNS tree walk), {} (Public Suffix List)",
                org_tw.as_deref().unwrap_or("unknown"),
                org_psl.as_deref().unwrap_or("none")
            ),
            if org_tw.is_none() {
                Outcome::Error
            } else if org_tw != org_psl {
                Outcome::Warning
            } else {
                Outcome::Info
            },
            {
                let mut e = format!("Tree walk (RFC 9989, what mail-auth uses): {org_reason}. ");
                e.push_str(&match &org_psl {
                    Some(p) => format!("Public Suffix List (RFC 7489): {p}."),
                    None => format!("Public Suffix List (RFC 7489): {from} is itself a public suffix, so it has none."),
                });
                if org_tw.is_some() && org_tw != org_psl {
                    e.push_str(" The two methods disagree.");
                }
                e
            },
        )
        .queries(walk.queries())
        .fact("org_domain_tree_walk", org_tw.clone().unwrap_or_default())
        .fact("org_domain_psl", org_psl.clone().unwrap_or_default()),
    );

    let discovery = discover(&walk, org_tw.as_deref());
    let mut existence = None;
    let mut choice = None;
    match &discovery {
        Discovery::Found {
            domain,
            record,
            is_author,
            via,
        } => {
            let errors: Vec<String> = record.errors.iter().map(|e| e.message.clone()).collect();
            steps.push(
                Step::new(
                    format!("DMARC record used: _dmarc.{domain}"),
                    if record.fatal_error().is_some() {
                        Outcome::Error
                    } else if errors.is_empty() {
                        Outcome::Pass
                    } else {
                        Outcome::Warning
                    },
                    {
                        let mut e = format!("The record comes from {via}: {}", record.raw);
                        if let Some(f) = record.fatal_error() {
                            e.push_str(&format!(
                                ". The record is broken — {} — so DMARC evaluation ends in a \
                                 permanent error (permerror). (RFC 7489 §6.3 lets a receiver use the \
                                 default instead; mail-auth and most receivers reject the record.)",
                                f.message
                            ));
                        } else if !errors.is_empty() {
                            e.push_str(&format!(". Problems (defaults used): {}.", errors.join("; ")));
                        } else {
                            e.push('.');
                        }
                        e
                    },
                )
                .query(QueryKey::new(&format!("_dmarc.{domain}"), RecordType::TXT))
                .fact("record_domain", domain.clone()),
            );
            steps.push(tags_step(&record_tags(record), domain));
            if record.fatal_error().is_none() {
                let needs_existence = !*is_author
                    && record.p.is_some()
                    && record.np.is_some()
                    && record.np != record.sp.or(record.p);
                if needs_existence {
                    existence = Some(check_existence(dns, &from).await);
                }
                let c = choose_policy(record, *is_author, &from, domain, existence.as_ref());
                let mut step = Step::new(
                    format!(
                        "Policy that applies: {} (from the {} tag)",
                        c.policy.map(Policy::as_str).unwrap_or("no DMARC"),
                        c.tag
                    ),
                    if c.policy.is_none() {
                        Outcome::Skipped
                    } else if c.tag == "rua" {
                        // p is missing or invalid: the record's owner should fix it.
                        Outcome::Warning
                    } else {
                        Outcome::Info
                    },
                    c.why.clone(),
                )
                .fact("tag", c.tag);
                if let Some(ex) = &existence {
                    step = step.queries(ex.queries.clone());
                }
                steps.push(step);
                choice = Some(c);
            }
        }
        Discovery::NoRecord if !walk.levels.is_empty() => steps.push(
            Step::new(
                "No DMARC record",
                Outcome::Skipped,
                format!(
                    "Neither {from} nor any domain above it publishes a DMARC record: DMARC does \
                     not apply (result none)."
                ),
            )
            .queries(walk.queries()),
        ),
        Discovery::NoRecord => {}
        Discovery::TempError { name } => steps.push(
            Step::new(
                "DMARC record lookup failed",
                Outcome::Error,
                format!(
                    "The query for _dmarc.{name} failed temporarily, so the policy (and the \
                     organizational domain) cannot be known: DMARC temperror. Trying again later \
                     may succeed."
                ),
            )
            .query(QueryKey::new(&format!("_dmarc.{name}"), RecordType::TXT)),
        ),
        Discovery::Multiple { domain, count } => steps.push(
            Step::new(
                format!("{count} DMARC records at _dmarc.{domain}"),
                Outcome::Error,
                format!(
                    "_dmarc.{domain} publishes {count} records starting with v=DMARC1. A domain \
                     must publish exactly one; with several, policy discovery ends and DMARC is not \
                     applied (RFC 7489 §6.6.3, RFC 9989 §4.10): result none. This is a \
                     configuration error of the domain."
                ),
            )
            .query(QueryKey::new(&format!("_dmarc.{domain}"), RecordType::TXT)),
        ),
    }

    let tw_record_domain = match &discovery {
        Discovery::Found { domain, .. } => Some(domain.clone()),
        _ => None,
    };
    if walk.temp_error.is_none() && tw_record_domain != psl_record_domain {
        steps.push(
            Step::new(
                "RFC 7489 (Public Suffix List) discovery would use another record",
                Outcome::Warning,
                format!(
                    "The tree walk uses {}; a receiver following RFC 7489 (From domain, then the \
                     PSL organizational domain {}) would use {}.",
                    tw_record_domain
                        .as_deref()
                        .map(|d| format!("_dmarc.{d}"))
                        .unwrap_or_else(|| "no record".into()),
                    org_psl.as_deref().unwrap_or("(none)"),
                    psl_record_domain
                        .as_deref()
                        .map(|d| format!("_dmarc.{d}"))
                        .unwrap_or_else(|| "no record".into()),
                ),
            )
            .queries(psl_queries),
        );
    }

    DmarcLookup {
        from_domain: from,
        walk,
        org_domain_tree_walk: org_tw,
        org_domain_reason: org_reason,
        org_domain_psl: org_psl,
        discovery,
        psl_record_domain,
        existence,
        choice,
        steps,
    }
}

/// Where discovery ends at `level`: its one record (found `via`), or its several records; None
/// when it has none.
fn discovered_at(level: &align::WalkLevel, is_author: bool, via: String) -> Option<Discovery> {
    match &level.record {
        LevelRecord::One(r) => Some(Discovery::Found {
            domain: level.name.clone(),
            record: Box::new(r.clone()),
            is_author,
            via,
        }),
        LevelRecord::Multiple(m) => Some(Discovery::Multiple {
            domain: level.name.clone(),
            count: m.len(),
        }),
        LevelRecord::None => None,
    }
}

/// RFC 9989 §4.10.1: the From domain's own record; else the organizational domain's; else the
/// record found closest to the root (a public suffix domain's).
fn discover(walk: &TreeWalk, org: Option<&str>) -> Discovery {
    let Some(first) = walk.levels.first() else {
        return Discovery::NoRecord;
    };
    if let Some(found) = discovered_at(
        first,
        true,
        format!("the From domain {} itself", first.name),
    ) {
        return found;
    }
    if let Some(name) = &walk.temp_error {
        return Discovery::TempError { name: name.clone() };
    }
    if let Some(org) = org
        && let Some(level) = walk.level(org)
        && let Some(found) = discovered_at(
            level,
            false,
            format!("the organizational domain {}", level.name),
        )
    {
        return found;
    }
    match walk
        .levels
        .iter()
        .rev()
        .find(|l| l.dmarc_record().is_some())
    {
        Some(level) => Discovery::Found {
            domain: level.name.clone(),
            record: Box::new(level.dmarc_record().cloned().unwrap_or_default()),
            is_author: false,
            via: format!(
                "the public suffix domain {} (no record at the organizational domain)",
                level.name
            ),
        },
        None => Discovery::NoRecord,
    }
}

/// Which of p, sp and np applies (RFC 9989 §4.10.1, RFC 9091).
pub fn choose_policy(
    record: &DmarcRecord,
    is_author: bool,
    from: &str,
    record_domain: &str,
    existence: Option<&Existence>,
) -> PolicyChoice {
    let Some(p) = record.p else {
        return if !record.rua.is_empty() {
            let what = match record.forgiven_p_error() {
                Some(e) => format!("The p tag is invalid ({})", e.message),
                None => "The p tag is missing".to_string(),
            };
            PolicyChoice {
                policy: Some(Policy::None),
                tag: "rua",
                why: format!(
                    "{what}, but rua holds a valid report address, so the record counts as \
                     p=none (monitoring only) and evaluation continues (RFC 7489 §6.6.3, \
                     RFC 9989 §4.10.1)."
                ),
                source: "rua: p is missing or invalid, but rua is valid, so p=none applies".into(),
            }
        } else {
            PolicyChoice {
                policy: None,
                tag: "p",
                why: "The record has no valid p tag and no valid rua: DMARC is not applied to \
                      this message (result none)."
                    .into(),
                source: "no valid p and no valid rua: no policy".into(),
            }
        };
    };
    if is_author {
        return PolicyChoice {
            policy: Some(p),
            tag: "p",
            why: format!(
                "The record is published by the From domain {from} itself, so p applies: p={}.",
                p.as_str()
            ),
            source: format!("p tag: {from} publishes its own record"),
        };
    }
    let sp = record.sp.unwrap_or(p);
    let sp_words = if record.sp.is_some() {
        format!("sp={}", sp.as_str())
    } else {
        format!("no sp tag, so p={}", p.as_str())
    };
    if let Some(np) = record.np {
        match existence.and_then(|e| e.exists) {
            Some(false) => {
                return PolicyChoice {
                    policy: Some(np),
                    tag: "np",
                    why: format!(
                        "{from} is a subdomain of {record_domain} that does not exist (NXDOMAIN for \
                         A, AAAA and MX), so np applies: np={}.",
                        np.as_str()
                    ),
                    source: format!(
                        "np tag: {from} is a non-existent subdomain of {record_domain}"
                    ),
                };
            }
            None if existence.is_some() => {
                return PolicyChoice {
                    policy: Some(sp),
                    tag: if record.sp.is_some() { "sp" } else { "p" },
                    why: format!(
                        "{from} is a subdomain of {record_domain}; whether it exists could not be \
                         told (DNS errors), so it is taken as existing: {sp_words}."
                    ),
                    source: format!(
                        "{} tag: {from} is a subdomain of {record_domain} (taken as existing after \
                         DNS errors)",
                        if record.sp.is_some() { "sp" } else { "p" }
                    ),
                };
            }
            _ => {}
        }
    }
    let tag = if record.sp.is_some() { "sp" } else { "p" };
    let kind = match existence.and_then(|e| e.exists) {
        Some(true) => "an existing subdomain",
        _ => "a subdomain",
    };
    PolicyChoice {
        policy: Some(sp),
        tag,
        why: format!(
            "{from} is {kind} of {record_domain}, whose record applies to it: {sp_words}."
        ),
        source: if record.sp.is_some() {
            format!("sp tag: {from} is {kind} of {record_domain}")
        } else {
            format!("p tag: {from} is {kind} of {record_domain}, which has no sp tag")
        },
    }
}

/// Alignment and the DMARC verdict, once SPF and DKIM are known. `lookup` is the result of
/// [`fetch_dmarc_policy`] for the same From domain (fetched now when absent). `raw` is the message,
/// for mail-auth's own DMARC verdict (run on the same SPF/DKIM results, through `auth`).
pub async fn evaluate(
    dns: &Dns,
    auth: &MessageAuthenticator,
    raw: &[u8],
    from_domain: Option<&str>,
    lookup: Option<DmarcLookup>,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let from = from_domain.and_then(align::normalize_domain);
    let ours = async {
        match (&from, from_domain) {
            (Some(from), _) => {
                let lookup = match lookup {
                    Some(l) if l.from_domain == *from => l,
                    _ => fetch_dmarc_policy(dns, from).await,
                };
                evaluate_with_lookup(dns, from, lookup, spf, dkim).await
            }
            (None, written) => no_from_domain(written),
        }
    };
    let (ours, theirs) = tokio::join!(ours, mail_auth_dmarc(auth, raw, spf, dkim));
    let (alignment, mut check) = ours;
    compare_with_mail_auth(&mut check, theirs);
    (alignment, check)
}

/// [`evaluate`] for every author domain of the message, with the From headers attached to the
/// steps that read them (callers need not call [`attach_from_header`]).
///
/// One author domain (the usual case, also several mailboxes of one domain): exactly
/// `evaluate` on `headers::from_domain`. Several (several From headers, or a From with mailboxes
/// of different domains): RFC 7489 §6.6.1 says such mail is typically rejected; otherwise each
/// author domain is evaluated and the strictest outcome applies. The check then carries the
/// strictest domain's record, policy and result, `author_domains` lists each one, and a warning
/// step at the top says several author domains were found. `lookup` is reused for the domain it
/// was fetched for.
pub async fn evaluate_with_headers(
    dns: &Dns,
    auth: &MessageAuthenticator,
    raw: &[u8],
    headers: &[Header],
    lookup: Option<DmarcLookup>,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let authors = authors::from_domains(headers);
    if authors.len() < 2 {
        // One author domain, or none at all (then permerror). from_domain reads every From
        // header, so an empty or broken one above the real one does not hide it.
        let from = super::trail::headers::from_domain(headers);
        let (mut alignment, mut check) =
            evaluate(dns, auth, raw, from.domain.as_deref(), lookup, spf, dkim).await;
        if let Some(i) = from.header_index {
            attach_from_header(&mut alignment, &mut check, i);
        }
        if let (Some(error), Some(_)) = (&from.error, &from.domain) {
            check
                .steps
                .insert(0, from_problem_step(error, &from, headers));
        }
        return (alignment, check);
    }

    let ours = async {
        let mut lookup = lookup;
        let mut per = Vec::new();
        for (index, domain) in &authors {
            let l = match lookup.take() {
                Some(l) if l.from_domain == *domain => l,
                other => {
                    lookup = other;
                    fetch_dmarc_policy(dns, domain).await
                }
            };
            let (mut alignment, mut check) = evaluate_with_lookup(dns, domain, l, spf, dkim).await;
            attach_from_header(&mut alignment, &mut check, *index);
            per.push((*index, domain.clone(), alignment, check));
        }
        per
    };
    let (per, theirs) = tokio::join!(ours, mail_auth_dmarc(auth, raw, spf, dkim));
    let (alignment, mut check) = strictest_of(per, headers);
    compare_several_authors(&mut check, theirs, authors.len());
    (alignment, check)
}

/// The From header problems found on the way to the one author domain (an empty From above the
/// real one, several mailboxes of one domain, obsolete syntax...): a warning step at the top, so
/// the verdict below is read knowing them. Points at every From header.
fn from_problem_step(
    error: &str,
    from: &super::trail::headers::FromDomain,
    headers: &[Header],
) -> Step {
    let mut step = Step::new(
        "From header problems",
        Outcome::Warning,
        format!(
            "{error}. RFC 7489 §6.6.1 expects one From header with one mailbox; receivers often \
             reject such messages. DMARC is evaluated below for the author domain {}.",
            from.domain.as_deref().unwrap_or("(none)")
        ),
    );
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
    {
        step = step.header(h.index);
    }
    step
}

/// Higher is stricter: the disposition first (what happens to the message), then the result.
fn strictness(check: &DmarcCheck) -> (u8, u8) {
    let disposition = match check.disposition.as_deref() {
        Some("reject") => 2,
        Some("quarantine") => 1,
        _ => 0,
    };
    let result = match check.result {
        AuthResult::Fail => 5,
        AuthResult::PermError => 4,
        AuthResult::TempError => 3,
        AuthResult::Pass => 0,
        _ => 1,
    };
    (disposition, result)
}

/// Combines the per-domain evaluations: the strictest one's fields, every domain's steps.
fn strictest_of(
    per: Vec<(usize, String, Alignment, DmarcCheck)>,
    headers: &[Header],
) -> (Alignment, DmarcCheck) {
    let mut worst = 0;
    for (i, (_, _, _, check)) in per.iter().enumerate() {
        if strictness(check) > strictness(&per[worst].3) {
            worst = i;
        }
    }
    let from_headers: Vec<usize> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
        .map(|h| h.index)
        .collect();
    let listed: Vec<String> = per
        .iter()
        .map(|(i, d, _, _)| format!("{d} (From header {i})"))
        .collect();
    let (_, worst_domain, worst_alignment, worst_check) = &per[worst];
    // Each From header's own problems (empty, several angle addresses...), named by header.
    let problems: Vec<String> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
        .flat_map(super::trail::headers::from_header_problems)
        .collect();
    let problems = if problems.is_empty() {
        String::new()
    } else {
        format!(" {}.", problems.join("; "))
    };
    let why = match from_headers.len() {
        1 => format!("The From header names addresses of different domains.{problems}"),
        n => format!("The message has {n} From headers; RFC 5322 allows exactly one.{problems}"),
    };
    let mut top = Step::new(
        format!("Several author domains: {}", per.len()),
        Outcome::Warning,
        format!(
            "{why} Author domains: {}. RFC 7489 §6.6.1: such messages are typically rejected; a \
             receiver that accepts them evaluates DMARC for each author domain and applies the \
             strictest result. Each is evaluated below; the message gets {worst_domain}'s: {}, \
             disposition {}.",
            listed.join(", "),
            worst_check.result,
            worst_check.disposition.as_deref().unwrap_or("none")
        ),
    )
    .fact(
        "author_domains",
        per.iter()
            .map(|p| p.1.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
    .fact("applied", worst_domain.clone());
    for i in &from_headers {
        top = top.header(*i);
    }

    let mut check = DmarcCheck {
        steps: vec![top.clone()],
        ..worst_check.clone()
    };
    let mut alignment = Alignment {
        steps: vec![top],
        ..worst_alignment.clone()
    };
    for (n, (index, domain, a, d)) in per.iter().enumerate() {
        let applied = n == worst;
        check.author_domains.push(AuthorDomainResult {
            domain: domain.clone(),
            header_index: *index,
            result: d.result,
            policy: d.policy.clone(),
            disposition: d.disposition.clone(),
            applied,
        });
        check.steps.push(
            Step::new(
                format!(
                    "Author domain {domain}: {}{}",
                    d.result,
                    if applied {
                        " (applied: the strictest)"
                    } else {
                        ""
                    }
                ),
                match d.result {
                    AuthResult::Pass => Outcome::Pass,
                    AuthResult::Fail => Outcome::Fail,
                    AuthResult::None => Outcome::Skipped,
                    _ => Outcome::Error,
                },
                format!(
                    "DMARC for {domain} (From header {index}): {}, policy {}, disposition {}.{}",
                    d.result,
                    d.policy.as_deref().unwrap_or("(none)"),
                    d.disposition.as_deref().unwrap_or("none"),
                    if applied {
                        " This is the strictest outcome, so it is the message's."
                    } else {
                        ""
                    }
                ),
            )
            .header(*index)
            .fact("domain", domain.clone()),
        );
        let prefix = |s: &Step| {
            let mut s = s.clone();
            s.title = format!("[{domain}] {}", s.title);
            s
        };
        check.steps.extend(d.steps.iter().map(prefix));
        alignment.steps.extend(a.steps.iter().map(prefix));
    }
    check.steps.push(
        Step::new(
            format!(
                "Result: {} (the strictest of {} author domains: {worst_domain})",
                check.result,
                per.len()
            ),
            match check.result {
                AuthResult::Pass => Outcome::Pass,
                AuthResult::Fail => Outcome::Fail,
                AuthResult::None => Outcome::Skipped,
                _ => Outcome::Error,
            },
            format!(
                "The message gets {worst_domain}'s DMARC outcome: {}, disposition {}.",
                check.result,
                check.disposition.as_deref().unwrap_or("none")
            ),
        )
        .fact("applied", worst_domain.clone()),
    );
    (alignment, check)
}

/// mail-auth exempts a message whose From holds several domains from DMARC (it returns none
/// without evaluating): that is not a disagreement with evaluating each domain, so say so.
fn compare_several_authors(
    check: &mut DmarcCheck,
    theirs: Result<MailAuthVerdict, String>,
    count: usize,
) {
    match theirs {
        Ok(t) if t.result == AuthResult::None && t.record_domain_hint.is_empty() => {
            check.mail_auth_result = Some(t.result);
            check.steps.push(Step::new(
                "mail-auth does not evaluate several author domains",
                Outcome::Info,
                format!(
                    "mail-auth's verify_dmarc returns none for this message without evaluating \
                     it ({}; we found {count} author domains). That is a different reading of RFC \
                     7489 §6.6.1, not a disagreement about any domain's result; the steps above \
                     evaluate each author domain.",
                    t.no_domain_reason()
                ),
            ));
        }
        Ok(t) => {
            let (result, froms, domain) =
                (t.result, t.quoted_froms(), t.record_domain_hint.clone());
            compare_with_mail_auth(check, Ok(t));
            // mail-auth read one domain where we found several: say so beside its verdict.
            if result != check.result
                && !domain.is_empty()
                && let Some(step) = check.steps.last_mut()
            {
                step.explanation.push_str(&format!(
                    " mail-auth read only {froms} from the From header, so it evaluated {domain} \
                     alone; this evaluation applies the strictest of the {count} author domains."
                ));
            }
        }
        Err(e) => compare_with_mail_auth(check, Err(e)),
    }
}

/// Points the steps that read the From domain at its header (`headers::from_domain` knows which
/// header it was): the From-domain alignment step, and every DMARC step until the verdict.
pub fn attach_from_header(alignment: &mut Alignment, check: &mut DmarcCheck, header_index: usize) {
    if !check.author_domains.is_empty() {
        // Several author domains: evaluate_with_headers attached each domain's own header.
        return;
    }
    if let Some(step) = alignment.steps.first_mut() {
        *step = step.clone().header(header_index);
    }
    for step in check.steps.iter_mut() {
        let is_verdict = step.title.starts_with("Result:");
        *step = step.clone().header(header_index);
        if is_verdict {
            break;
        }
    }
}

fn no_from_domain(written: Option<&str>) -> (Alignment, DmarcCheck) {
    let why = match written {
        Some(w) => format!("The From domain {w:?} is not a valid domain name."),
        None => "The message has no usable RFC 5322 From domain (the From header is missing, \
                 empty or unparsable)."
            .to_string(),
    };
    let alignment = Alignment {
        steps: vec![Step::new(
            "No From domain to align with",
            Outcome::Error,
            format!(
                "{why} Alignment compares identifiers with the From domain, so there is nothing to compare."
            ),
        )],
        ..Default::default()
    };
    // permerror, as authheaders reports it: the message itself makes DMARC impossible to
    // evaluate (mail-auth says none; the comparison step shows that).
    let check = DmarcCheck {
        result: AuthResult::PermError,
        disposition: Some("none".into()),
        steps: vec![Step::new(
            "DMARC cannot be evaluated: no From domain",
            Outcome::Error,
            format!(
                "{why} DMARC is defined for exactly one From domain, so it cannot be evaluated \
                 (permerror) and no policy applies. RFC 7489 §6.6.1 lets receivers reject such \
                 messages outright."
            ),
        )],
        ..Default::default()
    };
    (alignment, check)
}

async fn evaluate_with_lookup(
    dns: &Dns,
    from: &str,
    lookup: DmarcLookup,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let record = match &lookup.discovery {
        Discovery::Found { record, .. } if record.fatal_error().is_none() => Some(record.as_ref()),
        _ => None,
    };
    let aspf = record.map(DmarcRecord::aspf).unwrap_or_default();
    let adkim = record.map(DmarcRecord::adkim).unwrap_or_default();

    // Identifiers: the SPF-authenticated domain and each DKIM d=, whatever their result, so a
    // view can say "aligned, but SPF softfail". Only a pass can make DMARC pass; a temperror on
    // an aligned identifier leaves DMARC undecided.
    let mut alignment_steps = Vec::new();
    let mut spf_idents = Vec::new();
    let mut dkim_idents = Vec::new();
    let mut not_considered = Vec::new();
    match (&spf.mail_from.domain, spf.mail_from.result) {
        (Some(d), r) => match align::alignment_domain(d) {
            Some(domain) => spf_idents.push(Identifier {
                method: "spf",
                domain,
                result: r,
                header_index: None,
            }),
            None => not_considered.push(format!("SPF for {d:?} (not a valid domain name)")),
        },
        (None, r) => not_considered.push(format!("SPF (no MAIL FROM domain, {r})")),
    }
    for check in dkim {
        match (&check.domain, check.result) {
            (Some(d), r) => match align::alignment_domain(d) {
                Some(domain) => dkim_idents.push(Identifier {
                    method: "dkim",
                    domain,
                    result: r,
                    header_index: Some(check.header_index),
                }),
                None => not_considered.push(format!("DKIM d={d:?} (not a valid domain name)")),
            },
            (None, r) => not_considered.push(format!("a DKIM signature without d= ({r})")),
        }
    }
    alignment_steps.push(
        Step::new(
            format!("From domain {from}"),
            Outcome::Info,
            format!(
                "The RFC 5322 From domain is {from}. Its organizational domain is {} by the DNS \
                 tree walk (RFC 9989) and {} by the Public Suffix List (RFC 7489). SPF alignment is \
                 {}, DKIM alignment {}{}.",
                lookup.org_domain_tree_walk.as_deref().unwrap_or("unknown"),
                lookup.org_domain_psl.as_deref().unwrap_or("none (it is a public suffix)"),
                mode_word(aspf),
                mode_word(adkim),
                if record.is_some() {
                    " as the DMARC record says"
                } else {
                    " (the defaults: no usable DMARC record)"
                }
            ),
        )
        .queries(lookup.walk.queries()),
    );
    if !not_considered.is_empty() {
        alignment_steps.push(Step::new(
            "Identifiers not compared",
            Outcome::Skipped,
            format!(
                "These have no domain that can be compared with the From domain: {}.",
                not_considered.join(", ")
            ),
        ));
    }

    let mut orgs = OrgDomains::default();
    orgs.insert(from, &lookup.walk);
    // The candidates' tree walks do not depend on each other: run them side by side, so the time
    // to a verdict is one walk deep, not the sum of them.
    let mut walks = tokio::task::JoinSet::new();
    let mut to_walk: Vec<&str> = spf_idents
        .iter()
        .chain(dkim_idents.iter())
        .map(|i| i.domain.as_str())
        .filter(|d| *d != from)
        .collect();
    to_walk.sort_unstable();
    to_walk.dedup();
    for domain in to_walk {
        let (dns, domain) = (dns.clone(), domain.to_string());
        walks.spawn(async move {
            let walk = align::tree_walk(&dns, &domain).await;
            (domain, walk)
        });
    }
    // A walk that did not finish (a panicked task) is simply walked again below, in order.
    while let Some(joined) = walks.join_next().await {
        if let Ok((domain, walk)) = joined {
            orgs.insert(&domain, &walk);
        }
    }
    let from_org = lookup.org_domain_tree_walk.as_deref();
    let mut spf_side = AlignmentSide {
        mode: aspf,
        ..Default::default()
    };
    let mut dkim_side = AlignmentSide {
        mode: adkim,
        ..Default::default()
    };
    let mut walk_failed = lookup.org_domain_tree_walk.is_none();
    for (idents, side) in [(&spf_idents, &mut spf_side), (&dkim_idents, &mut dkim_side)] {
        for ident in idents.iter() {
            let (cand, step, failed) =
                align::align_candidate(dns, &mut orgs, ident, from, from_org, side.mode).await;
            // Only an identifier that can decide DMARC makes a failed walk matter.
            walk_failed |= failed && !cand.aligned && counts_for_dmarc(cand.result);
            side.aligned |= cand.aligned && cand.result == AuthResult::Pass;
            side.candidates.push(cand);
            alignment_steps.push(step);
        }
    }
    if !spf_idents
        .iter()
        .chain(dkim_idents.iter())
        .any(|i| counts_for_dmarc(i.result))
    {
        alignment_steps.push(Step::new(
            "No authenticated identifier",
            Outcome::NoMatch,
            "Neither SPF nor any DKIM signature passed, so no identifier can make DMARC pass, \
             aligned or not.",
        ));
    }

    // Where the PSL and the tree walk disagree on an organizational domain.
    let mut disagreements = Vec::new();
    if let Some(tw) = &lookup.org_domain_tree_walk
        && Some(tw) != lookup.org_domain_psl.as_ref()
    {
        disagreements.push(format!(
            "{from}: {tw} (tree walk) vs {} (PSL)",
            lookup.org_domain_psl.as_deref().unwrap_or("none")
        ));
    }
    let mut verdict_changes = Vec::new();
    for cand in spf_side
        .candidates
        .iter()
        .chain(dkim_side.candidates.iter())
    {
        if let Some(tw) = &cand.org_domain_tree_walk
            && Some(tw) != cand.org_domain_psl.as_ref()
        {
            let line = format!(
                "{}: {tw} (tree walk) vs {} (PSL)",
                cand.domain,
                cand.org_domain_psl.as_deref().unwrap_or("none")
            );
            if !disagreements.contains(&line) {
                disagreements.push(line);
            }
        }
        if cand.aligned != cand.aligned_by_psl && counts_for_dmarc(cand.result) {
            verdict_changes.push(format!(
                "{} is {} by the tree walk but {} by the PSL",
                cand.domain,
                if cand.aligned {
                    "aligned"
                } else {
                    "not aligned"
                },
                if cand.aligned_by_psl {
                    "aligned"
                } else {
                    "not aligned"
                }
            ));
        }
    }
    let psl_disagreement = !disagreements.is_empty() || !verdict_changes.is_empty();
    if psl_disagreement {
        alignment_steps.push(
            Step::new(
                "Tree walk and Public Suffix List disagree",
                Outcome::Warning,
                format!(
                    "Organizational domains differ — {}. {}",
                    if disagreements.is_empty() {
                        "none".to_string()
                    } else {
                        disagreements.join("; ")
                    },
                    if verdict_changes.is_empty() {
                        "No alignment verdict changes because of it.".to_string()
                    } else {
                        format!(
                            "This changes alignment: {}. A receiver using RFC 7489 would decide \
                             differently from one using RFC 9989.",
                            verdict_changes.join("; ")
                        )
                    }
                ),
            )
            .fact("domains", disagreements.join("; ")),
        );
    }

    let alignment = Alignment {
        from_domain: Some(from.to_string()),
        from_org_domain_tree_walk: lookup.org_domain_tree_walk.clone(),
        from_org_domain_psl: lookup.org_domain_psl.clone(),
        spf: spf_side,
        dkim: dkim_side,
        psl_disagreement,
        steps: alignment_steps,
    };
    let check = verdict(lookup, &alignment, walk_failed);
    (alignment, check)
}

/// Whether an identifier with this SPF/DKIM result can decide DMARC: a pass can make it pass, a
/// temperror can make it undecidable; any other result is shown but cannot change the verdict.
fn counts_for_dmarc(result: AuthResult) -> bool {
    matches!(result, AuthResult::Pass | AuthResult::TempError)
}

fn mode_word(mode: AlignmentMode) -> &'static str {
    match mode {
        AlignmentMode::Relaxed => "relaxed",
        AlignmentMode::Strict => "strict",
    }
}

/// The check when DMARC ends before any policy applies: `result`, the message left alone, and
/// `last` (the step saying why) after the steps so far.
fn no_policy_applied(
    mut check: DmarcCheck,
    mut steps: Vec<Step>,
    result: AuthResult,
    last: Option<Step>,
) -> DmarcCheck {
    check.result = result;
    check.disposition = Some("none".into());
    steps.extend(last);
    check.steps = steps;
    check
}

fn verdict(lookup: DmarcLookup, alignment: &Alignment, walk_failed: bool) -> DmarcCheck {
    let DmarcLookup {
        discovery,
        choice,
        mut steps,
        ..
    } = lookup;
    let mut check = DmarcCheck::default();
    let (domain, record) = match discovery {
        Discovery::Found { domain, record, .. } => (domain, record),
        Discovery::TempError { .. } => {
            let step = Step::new(
                "Result: temperror",
                Outcome::Error,
                "A DNS lookup DMARC needs failed temporarily. A receiver would typically accept the \
                 message or defer it (4xx) and retry; no policy is applied.",
            );
            return no_policy_applied(check, steps, AuthResult::TempError, Some(step));
        }
        Discovery::NoRecord | Discovery::Multiple { .. } => {
            let step = Step::new(
                "Result: none",
                Outcome::Skipped,
                "No DMARC policy applies to this From domain, so a receiver applies none.",
            );
            return no_policy_applied(check, steps, AuthResult::None, Some(step));
        }
    };
    check.record_domain = Some(domain.clone());
    check.record = Some(record.raw.clone());
    check.tags = record_tags(&record);
    if let Some(fatal) = record.fatal_error() {
        check.bad_tag = Some(fatal.tag.clone());
        let step = Step::new(
            format!("Result: permerror (bad {} tag)", fatal.tag),
            Outcome::Error,
            format!(
                "The DMARC record at _dmarc.{domain} is broken: {}. No policy can be read from it, \
                 so no policy is applied.",
                fatal.message
            ),
        );
        return no_policy_applied(check, steps, AuthResult::PermError, Some(step));
    }
    let Some(choice) = choice else {
        return no_policy_applied(check, steps, AuthResult::None, None);
    };
    let Some(policy) = choice.policy else {
        check.policy_tag = Some(choice.tag.into());
        check.policy_source = Some(choice.source);
        let step = Step::new(
            "Result: none",
            Outcome::Skipped,
            "The record gives no policy to apply, so DMARC is not applied.",
        );
        return no_policy_applied(check, steps, AuthResult::None, Some(step));
    };
    check.policy = Some(policy.as_str().into());
    check.policy_tag = Some(choice.tag.into());
    check.policy_source = Some(choice.source);

    let passing: Vec<&str> = alignment
        .spf
        .candidates
        .iter()
        .map(|c| ("SPF", c))
        .chain(alignment.dkim.candidates.iter().map(|c| ("DKIM", c)))
        .filter(|(_, c)| c.aligned && c.result == AuthResult::Pass)
        .map(|(m, _)| m)
        .collect();
    let aligned_temp = alignment
        .spf
        .candidates
        .iter()
        .chain(alignment.dkim.candidates.iter())
        .any(|c| c.aligned && c.result == AuthResult::TempError);
    let (result, outcome, why) = if !passing.is_empty() {
        let mut m = passing.clone();
        m.dedup();
        (
            AuthResult::Pass,
            Outcome::Pass,
            format!(
                "{} passed and {} aligned with the From domain.",
                m.join(" and "),
                if m.len() > 1 { "are" } else { "is" }
            ),
        )
    } else if aligned_temp {
        (
            AuthResult::TempError,
            Outcome::Error,
            "No aligned identifier passed, and an aligned one ended in a temporary error: DMARC \
             cannot tell pass from fail (temperror)."
                .to_string(),
        )
    } else if walk_failed {
        (
            AuthResult::TempError,
            Outcome::Error,
            "No identifier is aligned, but an organizational domain could not be found because of \
             a DNS error, so relaxed alignment is undecided (temperror)."
                .to_string(),
        )
    } else {
        (
            AuthResult::Fail,
            Outcome::Fail,
            "Neither SPF nor DKIM produced a passing identifier aligned with the From domain."
                .to_string(),
        )
    };
    check.result = result;
    steps.push(Step::new(format!("Result: {result}"), outcome, why));

    // Disposition: what a receiver following the record would do.
    let d = disposition(policy, &record, result);
    check.disposition = Some(d.applied.as_str().into());
    check.disposition_unsampled = d.unsampled.map(|p| p.as_str().into());
    check.disposition_rfc9989 = d.rfc9989.map(|p| p.as_str().into());
    steps.push(
        Step::new(
            d.title,
            match d.applied {
                Policy::None => Outcome::Info,
                _ => Outcome::Warning,
            },
            d.explanation,
        )
        .fact("policy", policy.as_str())
        .fact("pct", record.pct.unwrap_or(100).to_string())
        .fact("t", if record.testing() { "y" } else { "n" }),
    );
    check.steps = steps;
    check
}

/// The disposition of one verdict, as the step and the fields show it.
struct Disposition {
    /// `DmarcCheck::disposition`.
    applied: Policy,
    /// What RFC 7489 applies to the failing messages pct= leaves out (pct below 100 only).
    unsampled: Option<Policy>,
    /// RFC 9989's reading, when it differs from `applied` (pct=0 only).
    rfc9989: Option<Policy>,
    title: String,
    explanation: String,
}

/// What a receiver does with the message. RFC 9989 reads t= and made pct historic (a receiver
/// following it ignores pct); RFC 7489 reads pct (§6.6.4) and knows no t= (an unknown tag, ignored).
/// With pct between 1 and 99 the field is the policy (after t=y) and RFC 7489's unsampled reading
/// is beside it; with pct=0 no failing message is sampled, so what an RFC 7489 receiver does is
/// certain and is the field, with RFC 9989's reading beside it.
fn disposition(policy: Policy, record: &DmarcRecord, result: AuthResult) -> Disposition {
    let testing = record.testing();
    let rfc9989 = if testing {
        policy.one_level_down()
    } else {
        policy
    };
    let pct = record.pct.unwrap_or(100);
    let plain = |applied: Policy, explanation: String| Disposition {
        applied,
        unsampled: None,
        rfc9989: None,
        title: format!("Disposition: {}", applied.as_str()),
        explanation,
    };
    match result {
        AuthResult::Pass => plain(
            Policy::None,
            "DMARC passed: the policy is not applied; the message is delivered normally.".into(),
        ),
        AuthResult::Fail => {
            let mut e = match policy {
                Policy::None => "DMARC failed, but the policy is none: deliver normally \
                                 (monitoring only; the domain owner gets reports)"
                    .to_string(),
                Policy::Quarantine => "DMARC failed and the policy is quarantine: deliver to \
                                       spam or junk, or hold for review"
                    .to_string(),
                Policy::Reject => {
                    "DMARC failed and the policy is reject: refuse the message".to_string()
                }
            };
            if testing && rfc9989 != policy {
                e.push_str(&format!(
                    ". But t=y (testing mode) asks receivers to apply one level less: {}",
                    rfc9989.as_str()
                ));
            }
            e.push('.');
            if pct >= 100 || policy == Policy::None {
                return plain(rfc9989, e);
            }
            // RFC 7489 §6.6.4: what pct= leaves out gets the next policy down.
            let unsampled = policy.one_level_down();
            let left_out = match policy {
                Policy::Reject => "treated \"as though the 'quarantine' policy applies\"",
                _ => "given \"local message classification as normal\" (none)",
            };
            if pct == 0 {
                return pct0_disposition(rfc9989, unsampled, left_out, e);
            }
            e.push_str(&format!(
                " With pct={pct}, an RFC 7489 receiver \"MUST NOT enact the requested policy\" on \
                 more than {pct}% of failing messages (RFC 7489 §6.6.4): it applies {} to those it \
                 samples and the rest are {left_out}, so this one gets {} or {} \
                 (disposition_unsampled: {}). The disposition {} follows RFC 9989, which made pct \
                 historic and applies the policy to all failing mail.",
                policy.as_str(),
                policy.as_str(),
                unsampled.as_str(),
                unsampled.as_str(),
                rfc9989.as_str()
            ));
            Disposition {
                applied: rfc9989,
                unsampled: Some(unsampled),
                rfc9989: None,
                title: format!(
                    "Disposition: {} (RFC 9989; an RFC 7489 receiver: {} or {}, pct={pct})",
                    rfc9989.as_str(),
                    policy.as_str(),
                    unsampled.as_str()
                ),
                explanation: e,
            }
        }
        _ => plain(
            Policy::None,
            "DMARC could not be decided (temperror); a receiver would typically accept the \
             message or defer it with a 4xx and retry — no policy is applied."
                .into(),
        ),
    }
}

/// pct=0 on a failing message: RFC 7489 samples no message, so every one gets the next policy
/// down; RFC 9989 ignores pct (historic) and applies the policy (after t=y).
fn pct0_disposition(
    rfc9989: Policy,
    unsampled: Policy,
    left_out: &str,
    mut e: String,
) -> Disposition {
    e.push_str(&format!(
        " But pct=0: an RFC 7489 receiver \"MUST NOT enact the requested policy\" on more than 0% \
         of failing messages (RFC 7489 §6.3 pct, §6.6.4), and a message left out is {left_out}. \
         With pct=0 no message is sampled, so a receiver following RFC 7489 (most receivers \
         today) applies {} to this one: the disposition. RFC 9989 made pct historic: a receiver \
         following it ignores pct and applies {} (disposition_rfc9989); a domain owner testing a \
         policy publishes t=y there instead.",
        unsampled.as_str(),
        rfc9989.as_str()
    ));
    Disposition {
        applied: unsampled,
        unsampled: Some(unsampled),
        rfc9989: (rfc9989 != unsampled).then_some(rfc9989),
        title: format!(
            "Disposition: {} (RFC 7489, pct=0: no failing message is sampled; RFC 9989, pct \
             historic: {})",
            unsampled.as_str(),
            rfc9989.as_str()
        ),
        explanation: e,
    }
}

fn tags_step(tags: &[Tag], domain: &str) -> Step {
    let shown: Vec<String> = tags
        .iter()
        .map(|t| {
            format!(
                "{}={}{}",
                t.name,
                if t.value.is_empty() {
                    "(none)"
                } else {
                    &t.value
                },
                if t.default { " (default)" } else { "" }
            )
        })
        .collect();
    let mut step = Step::new(
        format!("Tags of _dmarc.{domain}"),
        Outcome::Info,
        format!(
            "The record's tags, with defaults for those absent: {}.",
            shown.join("; ")
        ),
    );
    for t in tags {
        step = step.fact(t.name.clone(), t.value.clone());
    }
    step
}

/// mail-auth's verdict on the same SPF/DKIM results: `Err` with the reason when it could not run.
struct MailAuthVerdict {
    result: AuthResult,
    /// Its policy after the t=y downgrade, when it used a record.
    policy: Option<String>,
    record_domain_hint: String,
    /// The From addresses mail-auth's own header parser read (lower case), to say what it saw
    /// when it found no single From domain.
    froms: Vec<String>,
}

impl MailAuthVerdict {
    /// What mail-auth evaluated, for the cross-check's wording: its From domain, or what it read
    /// instead.
    fn what_it_read(&self) -> String {
        if self.record_domain_hint.is_empty() {
            format!("the From header ({})", self.no_domain_reason())
        } else {
            format!("From domain {}", self.record_domain_hint)
        }
    }

    /// The From addresses as mail-auth read them, quoted: its parser can glue malformed ones
    /// together (`<a@x> <b@y>` reads as "a@xb@y").
    fn quoted_froms(&self) -> String {
        let quoted: Vec<String> = self.froms.iter().map(|f| format!("{f:?}")).collect();
        quoted.join(", ")
    }

    /// Why mail-auth had no From domain: verify_dmarc returns none without one when it reads no
    /// From address with a domain, or addresses of several domains.
    fn no_domain_reason(&self) -> String {
        let mut domains: Vec<&str> = self
            .froms
            .iter()
            .filter_map(|f| f.rsplit_once('@').map(|(_, d)| d))
            .collect();
        domains.sort_unstable();
        domains.dedup();
        let read = self.quoted_froms();
        match (self.froms.is_empty(), domains.len()) {
            (true, _) => "mail-auth's parser read no From address, so it had no From domain to \
                          evaluate"
                .to_string(),
            (false, 0) => {
                format!(
                    "mail-auth read {read}, without a domain, so it had no From domain to evaluate"
                )
            }
            (false, 1) => format!("mail-auth read {read} but reported no From domain"),
            (false, n) => format!(
                "mail-auth read {read}: {n} From domains, and it exempts a From with several \
                 domains from DMARC"
            ),
        }
    }
}

async fn mail_auth_dmarc(
    auth: &MessageAuthenticator,
    raw: &[u8],
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> Result<MailAuthVerdict, String> {
    use mail_auth::dkim::Signature;
    use mail_auth::dmarc::verify::DmarcParameters;
    use mail_auth::{DkimOutput, DmarcResult, DnsError, Error, SpfOutput, SpfResult};

    let message = mail_auth::AuthenticatedMessage::parse(raw)
        .ok_or_else(|| "mail-auth could not parse the message headers".to_string())?;
    let considered: Vec<(&DkimCheck, Signature)> = dkim
        .iter()
        .filter(|c| matches!(c.result, AuthResult::Pass | AuthResult::TempError))
        .filter_map(|c| {
            c.domain.as_ref().map(|d| {
                (
                    c,
                    Signature {
                        d: d.clone(),
                        s: c.selector.clone().unwrap_or_default(),
                        ..Default::default()
                    },
                )
            })
        })
        .collect();
    let outputs: Vec<DkimOutput<'_>> = considered
        .iter()
        .map(|(c, sig)| match c.result {
            AuthResult::Pass => DkimOutput::pass().with_signature(sig),
            _ => DkimOutput::temp_err(Error::Dns(DnsError::Resolver(
                c.reason.clone().unwrap_or_else(|| "temporary error".into()),
            )))
            .with_signature(sig),
        })
        .collect();
    let spf_result = match spf.mail_from.result {
        AuthResult::Pass => SpfResult::Pass,
        AuthResult::Fail => SpfResult::Fail,
        AuthResult::SoftFail => SpfResult::SoftFail,
        AuthResult::Neutral => SpfResult::Neutral,
        AuthResult::TempError => SpfResult::TempError,
        AuthResult::PermError => SpfResult::PermError,
        AuthResult::None | AuthResult::Policy => SpfResult::None,
    };
    let mail_from_domain = spf.mail_from.domain.clone().unwrap_or_default();
    let spf_output = SpfOutput::new(mail_from_domain.clone()).with_result(spf_result);
    let output = auth
        .verify_dmarc(DmarcParameters::new(
            &message,
            &outputs,
            &mail_from_domain,
            &spf_output,
        ))
        .await;
    let result = match output.result() {
        DmarcResult::Pass => AuthResult::Pass,
        DmarcResult::Fail(_) => AuthResult::Fail,
        DmarcResult::TempError(_) => AuthResult::TempError,
        DmarcResult::PermError(_) => AuthResult::PermError,
        DmarcResult::None => AuthResult::None,
    };
    let policy = output.dmarc_record().map(|_| output.policy().to_string());
    Ok(MailAuthVerdict {
        result,
        policy,
        record_domain_hint: output.domain().to_string(),
        froms: message.froms().to_vec(),
    })
}

fn compare_with_mail_auth(check: &mut DmarcCheck, theirs: Result<MailAuthVerdict, String>) {
    let theirs = match theirs {
        Ok(t) => t,
        Err(why) => {
            check.steps.push(Step::new(
                "mail-auth's DMARC verdict",
                Outcome::Skipped,
                format!("Not available: {why}."),
            ));
            return;
        }
    };
    check.mail_auth_result = Some(theirs.result);
    // Ours after t=y, to set beside mail-auth's (which folds t=y into its policy).
    let our_policy = check.policy.as_deref().map(|p| {
        let p = Policy::parse(p).unwrap_or(Policy::None);
        let testing = check
            .tags
            .iter()
            .any(|t| t.name == "t" && t.value.eq_ignore_ascii_case("y"));
        if testing { p.one_level_down() } else { p }
            .as_str()
            .to_string()
    });
    let policy_differs = matches!((&our_policy, &theirs.policy), (Some(a), Some(b)) if a != b);
    if theirs.result == check.result && !policy_differs {
        check.steps.push(Step::new(
            format!("mail-auth agrees: {}", theirs.result),
            Outcome::Pass,
            format!(
                "mail-auth's verify_dmarc, given the same SPF and DKIM results, also returns {}{}.",
                theirs.result,
                theirs
                    .policy
                    .as_deref()
                    .map(|p| format!(" with policy {p}"))
                    .unwrap_or_default()
            ),
        ));
        return;
    }
    check.disagreement = true;
    check.steps.push(
        Step::new(
            format!(
                "mail-auth disagrees: {} (ours {})",
                theirs.result, check.result
            ),
            Outcome::Warning,
            format!(
                "Given the same SPF and DKIM results for {}, mail-auth's verify_dmarc returns {} \
                 with policy {}, while this evaluation returns {} with policy {}. Both are shown; \
                 the steps above explain ours.{}",
                theirs.what_it_read(),
                theirs.result,
                theirs.policy.as_deref().unwrap_or("(no record)"),
                check.result,
                our_policy.as_deref().unwrap_or("(no record)"),
                if theirs.result == AuthResult::PermError
                    && check
                        .policy_source
                        .as_deref()
                        .is_some_and(|s| s.starts_with("rua:"))
                {
                    " mail-auth rejects a record whose p is missing or invalid outright; RFC 7489 \
                     §6.6.3 reads it as p=none when rua holds a valid address, as here."
                } else {
                    ""
                }
            ),
        )
        .fact("mail_auth_result", theirs.result.as_str())
        .fact("our_result", check.result.as_str()),
    );
}

/// An in-memory DNS for unit tests (names absent = NXDOMAIN).
#[cfg(test)]
pub(crate) mod test_dns {
    use std::collections::HashMap;
    use std::sync::Arc;

    use crate::dns::{
        BoxFuture, Dns, DnsAnswer, DnsBackend, DnsOutcome, DnsSource, QueryKey, Record, RecordType,
    };

    #[derive(Default, Clone)]
    pub struct MemDns {
        answers: HashMap<(String, RecordType), DnsAnswer>,
        names: Vec<String>,
    }

    impl MemDns {
        pub fn new() -> Self {
            Self::default()
        }

        pub fn txt(mut self, name: &str, text: &str) -> Self {
            let key = (name.to_ascii_lowercase(), RecordType::TXT);
            let entry = self
                .answers
                .entry(key)
                .or_insert_with(|| DnsAnswer::records(Vec::new(), Some(300)));
            entry.records.push(Record::Txt {
                strings: vec![text.to_string()],
            });
            entry.outcome = DnsOutcome::Answers;
            self.names.push(name.to_ascii_lowercase());
            self
        }

        pub fn a(mut self, name: &str) -> Self {
            self.answers.insert(
                (name.to_ascii_lowercase(), RecordType::A),
                DnsAnswer::records(
                    vec![Record::A {
                        address: [192, 0, 2, 1].into(),
                    }],
                    Some(300),
                ),
            );
            self.names.push(name.to_ascii_lowercase());
            self
        }

        pub fn timeout(mut self, name: &str) -> Self {
            for t in [
                RecordType::TXT,
                RecordType::A,
                RecordType::AAAA,
                RecordType::MX,
            ] {
                self.answers.insert(
                    (name.to_ascii_lowercase(), t),
                    DnsAnswer::outcome(DnsOutcome::Timeout, Some("timed out".into())),
                );
            }
            self
        }

        pub fn dns(self) -> Dns {
            Dns::new(Arc::new(self))
        }
    }

    impl DnsBackend for MemDns {
        fn source(&self) -> DnsSource {
            DnsSource::Snapshot
        }

        fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
            Box::pin(async move {
                if let Some(a) = self.answers.get(&(key.name.clone(), key.rtype)) {
                    return a.clone();
                }
                if self.names.contains(&key.name) {
                    DnsAnswer::records(Vec::new(), Some(300))
                } else {
                    DnsAnswer::outcome(DnsOutcome::NxDomain, None)
                }
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_dns::MemDns;
    use super::*;
    use crate::analysis::model::SpfCheck;

    fn spf_pass(domain: &str) -> SpfChecks {
        SpfChecks {
            mail_from: SpfCheck {
                identity: "mail_from".into(),
                domain: Some(domain.into()),
                result: AuthResult::Pass,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn dkim_pass(domain: &str) -> DkimCheck {
        DkimCheck {
            domain: Some(domain.into()),
            result: AuthResult::Pass,
            ..Default::default()
        }
    }

    async fn run(
        dns: &Dns,
        from: &str,
        spf: &SpfChecks,
        dkim: &[DkimCheck],
    ) -> (Alignment, DmarcCheck) {
        let lookup = fetch_dmarc_policy(dns, from).await;
        evaluate_with_lookup(dns, from, lookup, spf, dkim).await
    }

    #[test]
    fn parses_tags_and_names_bad_ones() {
        let r =
            parse_record("v=DMARC1; p=Reject; adkim=S; pct=50; rua=mailto:a@example.com").unwrap();
        assert_eq!(r.p, Some(Policy::Reject));
        assert_eq!(r.adkim, Some(AlignmentMode::Strict));
        assert_eq!(r.pct, Some(50));
        assert!(r.errors.is_empty());

        let r = parse_record("v=DMARC1; p=bob").unwrap();
        let e = r.fatal_error().expect("bad p is fatal");
        assert_eq!(e.tag, "p");

        let r = parse_record("v=DMARC1; p=none; pct=500").unwrap();
        assert!(
            r.fatal_error().is_none(),
            "pct is historic: shown, not fatal"
        );
        assert_eq!(r.errors[0].tag, "pct");

        assert_eq!(parse_record(""), Err(NotDmarc::Empty));
        assert!(matches!(
            parse_record("V=BOB"),
            Err(NotDmarc::BadVersion(_))
        ));
        assert!(
            !is_dmarc_record("v=dmarc1; p=reject"),
            "the version is case-sensitive"
        );
        assert!(is_dmarc_record("v = DMARC1; p=reject"));
        assert!(!is_dmarc_record("p=reject; v=DMARC1"), "v must come first");
    }

    #[test]
    fn absent_tags_show_their_defaults() {
        let r = parse_record("v=DMARC1; p=quarantine").unwrap();
        let tags = record_tags(&r);
        let tag = |n: &str| tags.iter().find(|t| t.name == n).unwrap().clone();
        assert!(!tag("p").default);
        assert_eq!(tag("sp").value, "quarantine");
        assert!(tag("sp").default);
        assert_eq!(tag("np").value, "quarantine");
        assert_eq!(tag("adkim").value, "r");
        assert_eq!(tag("aspf").value, "r");
        assert_eq!(tag("pct").value, "100");
        assert_eq!(tag("fo").value, "0");
        assert_eq!(tag("ri").value, "86400");
        assert_eq!(tag("rf").value, "afrf");
        assert_eq!(tag("psd").value, "u");
        assert_eq!(tag("t").value, "n");
        assert!(
            ["adkim", "aspf", "pct", "rua", "ruf", "fo", "t"]
                .iter()
                .all(|n| tag(n).default)
        );
    }

    #[tokio::test]
    async fn from_org_domain_uses_p() {
        let dns = MemDns::new()
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=reject; sp=none; np=quarantine",
            )
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.policy.as_deref(), Some("reject"));
        assert!(d.policy_source.unwrap().starts_with("p tag:"));
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.disposition.as_deref(), Some("reject"));
    }

    #[tokio::test]
    async fn existing_subdomain_uses_sp() {
        let dns = MemDns::new()
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=reject; sp=none; np=quarantine",
            )
            .a("sub.example.com")
            .dns();
        let (_, d) = run(&dns, "sub.example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.record_domain.as_deref(), Some("example.com"));
        assert_eq!(d.policy.as_deref(), Some("none"));
        assert!(d.policy_source.unwrap().starts_with("sp tag:"));
    }

    #[tokio::test]
    async fn non_existent_subdomain_uses_np() {
        let dns = MemDns::new()
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=reject; sp=none; np=quarantine",
            )
            .dns();
        let (_, d) = run(&dns, "ghost.example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.policy.as_deref(), Some("quarantine"));
        assert!(d.policy_source.unwrap().starts_with("np tag:"));
        let ev = dns.evidence();
        for t in [RecordType::A, RecordType::AAAA, RecordType::MX] {
            assert!(
                ev.iter()
                    .any(|e| e.name == "ghost.example.com" && e.rtype == t)
            );
        }
    }

    #[tokio::test]
    async fn subdomain_without_sp_falls_back_to_p() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .dns();
        let (_, d) = run(&dns, "ghost.example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.policy.as_deref(), Some("reject"));
        assert!(d.policy_source.unwrap().starts_with("p tag:"));
        assert!(
            !dns.evidence().iter().any(|e| e.rtype == RecordType::A),
            "without np the existence test cannot change anything"
        );
    }

    #[tokio::test]
    async fn relaxed_alignment_passes_on_the_org_domain() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .dns();
        let (a, d) = run(
            &dns,
            "example.com",
            &SpfChecks::default(),
            &[dkim_pass("mail.example.com")],
        )
        .await;
        assert!(a.dkim.aligned);
        assert_eq!(a.dkim.mode, AlignmentMode::Relaxed);
        assert_eq!(d.result, AuthResult::Pass);
        assert_eq!(d.disposition.as_deref(), Some("none"));
    }

    #[tokio::test]
    async fn strict_alignment_needs_the_same_name() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s; aspf=s")
            .dns();
        let (a, d) = run(
            &dns,
            "example.com",
            &spf_pass("bounce.example.com"),
            &[dkim_pass("mail.example.com")],
        )
        .await;
        assert_eq!(a.spf.mode, AlignmentMode::Strict);
        assert!(!a.spf.aligned);
        assert!(!a.dkim.aligned);
        assert_eq!(d.result, AuthResult::Fail);

        let (a, d) = run(&dns, "example.com", &spf_pass("example.com"), &[]).await;
        assert!(a.spf.aligned);
        assert_eq!(d.result, AuthResult::Pass);
    }

    #[tokio::test]
    async fn psl_and_tree_walk_disagreement_is_flagged() {
        // No record at example.net: the tree walk makes mail.example.net its own organizational
        // domain, the PSL says example.net.
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .dns();
        let (a, _) = run(&dns, "example.com", &spf_pass("mail.example.net"), &[]).await;
        assert!(a.psl_disagreement);
        let c = &a.spf.candidates[0];
        assert_eq!(c.org_domain_tree_walk.as_deref(), Some("mail.example.net"));
        assert_eq!(c.org_domain_psl.as_deref(), Some("example.net"));
        let step = a
            .steps
            .iter()
            .find(|s| s.outcome == Outcome::Warning)
            .expect("a warning step");
        assert!(step.explanation.contains("mail.example.net"));
    }

    #[tokio::test]
    async fn psd_record_changes_alignment_and_is_flagged() {
        // bank.example marks itself a public suffix domain; the PSL does not list it, so an RFC
        // 7489 receiver would align giant.bank.example with mega.bank.example.
        let dns = MemDns::new()
            .txt("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y")
            .txt("_dmarc.giant.bank.example", "v=DMARC1; p=quarantine")
            .dns();
        let (a, d) = run(
            &dns,
            "giant.bank.example",
            &spf_pass("mega.bank.example"),
            &[],
        )
        .await;
        let c = &a.spf.candidates[0];
        assert!(!c.aligned);
        assert!(c.aligned_by_psl);
        assert!(a.psl_disagreement);
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.policy.as_deref(), Some("quarantine"));
    }

    #[tokio::test]
    async fn bad_tag_is_permerror_naming_it() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=x")
            .dns();
        let (_, d) = run(&dns, "example.com", &spf_pass("example.com"), &[]).await;
        assert_eq!(d.result, AuthResult::PermError);
        assert_eq!(d.bad_tag.as_deref(), Some("adkim"));
        assert!(d.steps.iter().any(|s| s.title.contains("adkim")));
    }

    #[tokio::test]
    async fn multiple_records_mean_no_dmarc() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .txt("_dmarc.example.com", "v=DMARC1; p=none")
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.result, AuthResult::None);
        assert!(
            d.steps
                .iter()
                .any(|s| s.outcome == Outcome::Error && s.title.contains("2 DMARC records"))
        );
    }

    #[tokio::test]
    async fn non_dmarc_txt_records_are_ignored() {
        let dns = MemDns::new()
            .txt("_dmarc.mail.example.com", "some other txt record")
            .txt("_dmarc.example.com", "v=DMARC1; p=quarantine")
            .dns();
        let (_, d) = run(
            &dns,
            "mail.example.com",
            &SpfChecks::default(),
            &[dkim_pass("example.com")],
        )
        .await;
        assert_eq!(d.result, AuthResult::Pass);
        assert_eq!(d.policy.as_deref(), Some("quarantine"));
    }

    #[tokio::test]
    async fn no_p_with_rua_counts_as_none_without_rua_no_dmarc() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; rua=mailto:d@example.com")
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.policy.as_deref(), Some("none"));
        assert_eq!(d.result, AuthResult::Fail);

        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; adkim=s")
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.result, AuthResult::None);
    }

    #[tokio::test]
    async fn bad_p_with_valid_rua_counts_as_none() {
        let dns = MemDns::new()
            .txt(
                "_dmarc.example.com",
                "v=DMARC1; p=bogus; rua=mailto:x@example.com",
            )
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.result, AuthResult::Fail, "evaluated normally");
        assert_eq!(d.policy.as_deref(), Some("none"));
        assert_eq!(d.disposition.as_deref(), Some("none"));
        assert_eq!(d.record_domain.as_deref(), Some("example.com"));
        assert_eq!(d.bad_tag, None);
        let warn = d
            .steps
            .iter()
            .find(|s| s.outcome == Outcome::Warning && s.title.starts_with("Policy that applies"))
            .expect("a warning naming the bad p");
        assert!(warn.explanation.contains("p=bogus"), "{}", warn.explanation);

        // Without a valid rua the record is not applied.
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=bogus; rua=nonsense")
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_ne!(d.result, AuthResult::Fail);
        assert_eq!(d.policy, None);
        assert_eq!(d.bad_tag.as_deref(), Some("p"));
    }

    #[tokio::test]
    async fn policy_none_failure_reads_as_monitoring_only() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=none")
            .dns();
        let mut bad = dkim_pass("example.com");
        bad.result = AuthResult::Fail;
        let (a, d) = run(&dns, "example.com", &SpfChecks::default(), &[bad]).await;
        assert_eq!(d.result, AuthResult::Fail);
        let disposition = d.steps.last().unwrap();
        assert!(disposition.title.starts_with("Disposition: none"));
        assert!(
            disposition.explanation.contains("policy is none")
                && disposition.explanation.contains("deliver normally"),
            "{}",
            disposition.explanation
        );
        let source = d.policy_source.unwrap();
        assert!(
            source.starts_with("p tag: example.com") && !source.contains("p applies:"),
            "a short phrase, not the step's sentence: {source}"
        );
        assert!(
            a.steps
                .iter()
                .all(|s| !s.explanation.contains("could not tell")),
            "plain words"
        );
    }

    #[tokio::test]
    async fn dns_timeout_is_temperror() {
        let dns = MemDns::new().timeout("_dmarc.example.com").dns();
        let (_, d) = run(&dns, "example.com", &spf_pass("example.com"), &[]).await;
        assert_eq!(d.result, AuthResult::TempError);
        assert!(
            d.steps
                .iter()
                .any(|s| s.outcome == Outcome::Error && !s.queries.is_empty())
        );
    }

    #[tokio::test]
    async fn testing_mode_and_pct_soften_the_disposition() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; t=y")
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.policy.as_deref(), Some("reject"));
        assert_eq!(d.disposition.as_deref(), Some("quarantine"));

        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=20")
            .dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.disposition.as_deref(), Some("reject"));
        assert_eq!(d.disposition_unsampled.as_deref(), Some("quarantine"));
    }

    /// The Disposition step of a failing From example.com with `record` at _dmarc.example.com.
    async fn failing_disposition(record: &str) -> (DmarcCheck, Step) {
        let dns = MemDns::new().txt("_dmarc.example.com", record).dns();
        let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        assert_eq!(d.result, AuthResult::Fail);
        let step = d
            .steps
            .iter()
            .find(|s| s.title.starts_with("Disposition:"))
            .unwrap()
            .clone();
        (d, step)
    }

    #[tokio::test]
    async fn pct0_reject_is_quarantine_under_rfc7489_with_rfc9989_reject_beside() {
        let (d, step) = failing_disposition("v=DMARC1; p=reject; pct=0").await;
        assert_eq!(d.policy.as_deref(), Some("reject"));
        assert_eq!(d.disposition.as_deref(), Some("quarantine"));
        assert_eq!(d.disposition_unsampled.as_deref(), Some("quarantine"));
        assert_eq!(d.disposition_rfc9989.as_deref(), Some("reject"));
        assert_eq!(
            step.title,
            "Disposition: quarantine (RFC 7489, pct=0: no failing message is sampled; RFC 9989, \
             pct historic: reject)"
        );
        for words in [
            "RFC 7489 §6.3 pct, §6.6.4",
            "treated \"as though the 'quarantine' policy applies\"",
            "applies quarantine to this one",
            "RFC 9989 made pct historic",
            "applies reject (disposition_rfc9989)",
        ] {
            assert!(
                step.explanation.contains(words),
                "{words}: {}",
                step.explanation
            );
        }
    }

    #[tokio::test]
    async fn pct0_quarantine_is_none_under_rfc7489() {
        let (d, step) = failing_disposition("v=DMARC1; p=quarantine; pct=0").await;
        assert_eq!(d.disposition.as_deref(), Some("none"));
        assert_eq!(d.disposition_rfc9989.as_deref(), Some("quarantine"));
        assert_eq!(step.outcome, Outcome::Info);
        assert!(
            step.explanation
                .contains("\"local message classification as normal\" (none)"),
            "{}",
            step.explanation
        );
    }

    #[tokio::test]
    async fn pct0_with_t_y_agrees_under_both_rfcs() {
        // RFC 7489 ignores t= and samples nothing; RFC 9989 ignores pct and applies t=y.
        let (d, step) = failing_disposition("v=DMARC1; p=reject; pct=0; t=y").await;
        assert_eq!(d.disposition.as_deref(), Some("quarantine"));
        assert_eq!(d.disposition_rfc9989, None, "the same as the disposition");
        assert!(step.title.ends_with("RFC 9989, pct historic: quarantine)"));
    }

    #[tokio::test]
    async fn partial_pct_unsampled_reading_ignores_t_y() {
        // RFC 7489 knows no t=: it samples reject and leaves the rest to quarantine.
        let (d, step) = failing_disposition("v=DMARC1; p=reject; pct=20; t=y").await;
        assert_eq!(
            d.disposition.as_deref(),
            Some("quarantine"),
            "RFC 9989: t=y"
        );
        assert_eq!(d.disposition_unsampled.as_deref(), Some("quarantine"));
        assert_eq!(d.disposition_rfc9989, None);
        assert_eq!(
            step.title,
            "Disposition: quarantine (RFC 9989; an RFC 7489 receiver: reject or quarantine, pct=20)"
        );
    }

    #[tokio::test]
    async fn failed_identifiers_do_not_align() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .dns();
        let mut bad = dkim_pass("example.com");
        bad.result = AuthResult::Fail;
        let (a, d) = run(&dns, "example.com", &SpfChecks::default(), &[bad]).await;
        assert!(!a.dkim.aligned, "a failed signature never aligns for DMARC");
        assert_eq!(a.dkim.candidates.len(), 1);
        assert!(a.dkim.candidates[0].aligned, "but its domain matches");
        assert_eq!(a.dkim.candidates[0].result, AuthResult::Fail);
        assert_eq!(d.result, AuthResult::Fail);
    }

    #[tokio::test]
    async fn aligned_but_softfail_is_shown_as_such() {
        let dns = MemDns::new()
            .txt("_dmarc.example.org", "v=DMARC1; p=reject")
            .dns();
        let mut spf = spf_pass("example.org");
        spf.mail_from.result = AuthResult::SoftFail;
        let (a, d) = run(&dns, "example.org", &spf, &[]).await;
        assert!(!a.spf.aligned);
        let c = &a.spf.candidates[0];
        assert!(c.aligned);
        assert_eq!(c.result, AuthResult::SoftFail);
        let step = a
            .steps
            .iter()
            .find(|s| s.title.starts_with("SPF example.org vs From"))
            .unwrap();
        assert_eq!(step.outcome, Outcome::Warning, "not a match");
        assert!(
            step.title.ends_with("domains aligned, but SPF softfail"),
            "{}",
            step.title
        );
        assert_eq!(d.result, AuthResult::Fail);

        // A temperror: aligned, not a pass, DMARC undecided.
        spf.mail_from.result = AuthResult::TempError;
        let (a, d) = run(&dns, "example.org", &spf, &[]).await;
        assert!(!a.spf.aligned);
        assert!(a.spf.candidates[0].aligned);
        assert_eq!(d.result, AuthResult::TempError);
        assert!(
            a.steps
                .iter()
                .all(|s| !(s.outcome == Outcome::Match && s.title.starts_with("SPF")))
        );
    }

    #[tokio::test]
    async fn mail_auth_verdict_is_shown_and_a_difference_flagged() {
        use crate::dns::responder::Responder;
        /// From example.com with an aligned DKIM pass, `record` at _dmarc.example.com, and
        /// mail-auth asked through the responder.
        async fn evaluate_record(record: &str) -> DmarcCheck {
            let dns = MemDns::new().txt("_dmarc.example.com", record).dns();
            let responder = Responder::start(dns.clone()).await.expect("responder");
            let (_, d) = evaluate(
                &dns,
                &responder.authenticator(),
                b"From: a@example.com\r\n\r\n",
                Some("example.com"),
                None,
                &SpfChecks::default(),
                &[dkim_pass("example.com")],
            )
            .await;
            d
        }
        // Same verdict: a plain record and an aligned DKIM pass.
        let d = evaluate_record("v=DMARC1; p=reject").await;
        assert_eq!(d.result, AuthResult::Pass);
        assert_eq!(d.mail_auth_result, Some(AuthResult::Pass));
        assert!(!d.disagreement);

        // mail-auth reads the version case-insensitively; RFC 7489's ABNF does not: flagged.
        let d = evaluate_record("v=dmarc1; p=reject").await;
        assert_eq!(d.result, AuthResult::None);
        assert_eq!(d.mail_auth_result, Some(AuthResult::Pass));
        assert!(d.disagreement);
        let step = d.steps.last().unwrap();
        assert_eq!(step.outcome, Outcome::Warning);
        assert!(step.explanation.contains("pass") && step.explanation.contains("none"));
    }

    #[tokio::test]
    async fn from_header_is_attached_to_the_steps_that_read_it() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .dns();
        let (mut a, mut d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
        attach_from_header(&mut a, &mut d, 7);
        assert_eq!(a.steps[0].headers, [7]);
        assert!(d.steps[0].headers.contains(&7));
        assert!(
            d.steps.last().is_some_and(|s| s.headers.is_empty()),
            "not the disposition"
        );
    }

    #[tokio::test]
    async fn several_author_domains_are_each_evaluated_and_the_strictest_applies() {
        use crate::analysis::trail::headers::split_headers;
        use crate::dns::responder::Responder;
        let raw = b"From: Mallory <m@evil.example>\r\nSubject: pay\r\n\
                    From: CEO <ceo@bank.example>\r\n\r\nbody\r\n";
        let headers = split_headers(raw).headers;
        let dns = MemDns::new()
            .txt("_dmarc.evil.example", "v=DMARC1; p=none")
            .txt("_dmarc.bank.example", "v=DMARC1; p=reject")
            .dns();
        let responder = Responder::start(dns.clone()).await.expect("responder");
        // The attacker's own domain passes; the bank's does not.
        let (a, d) = evaluate_with_headers(
            &dns,
            &responder.authenticator(),
            raw,
            &headers,
            None,
            &SpfChecks::default(),
            &[dkim_pass("evil.example")],
        )
        .await;
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.disposition.as_deref(), Some("reject"));
        assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
        assert_eq!(a.from_domain.as_deref(), Some("bank.example"));
        let domains: Vec<(&str, AuthResult, bool)> = d
            .author_domains
            .iter()
            .map(|x| (x.domain.as_str(), x.result, x.applied))
            .collect();
        assert_eq!(
            domains,
            [
                ("evil.example", AuthResult::Pass, false),
                ("bank.example", AuthResult::Fail, true)
            ]
        );
        let top = &d.steps[0];
        assert_eq!(top.outcome, Outcome::Warning);
        assert!(top.title.starts_with("Several author domains"));
        assert_eq!(top.headers, [0, 2]);
        assert!(
            d.steps
                .iter()
                .any(|s| s.title.starts_with("[evil.example] Result: pass"))
        );
        assert!(
            d.steps
                .iter()
                .any(|s| s.title.starts_with("[bank.example] Result: fail") && s.headers == [2])
        );
        // Attaching the first From header again (the old call order) changes nothing.
        let (mut a2, mut d2) = (a.clone(), d.clone());
        attach_from_header(&mut a2, &mut d2, 0);
        assert_eq!((a2, d2), (a.clone(), d.clone()));
        // mail-auth exempts such messages (none): explained, not a disagreement.
        assert_eq!(d.mail_auth_result, Some(AuthResult::None));
        assert!(!d.disagreement);
        assert!(d.steps.last().unwrap().explanation.contains("exempts"));
        let n = d.steps.len();
        assert!(
            d.steps[n - 2]
                .title
                .starts_with("Result: fail (the strictest of 2 author domains: bank.example)")
        );

        // One author domain: the plain evaluation, no author list.
        let raw = b"From: a@bank.example, b@bank.example\r\n\r\nbody\r\n";
        let headers = split_headers(raw).headers;
        let (_, d) = evaluate_with_headers(
            &dns,
            &responder.authenticator(),
            raw,
            &headers,
            None,
            &SpfChecks::default(),
            &[dkim_pass("bank.example")],
        )
        .await;
        assert_eq!(d.result, AuthResult::Pass);
        assert!(d.author_domains.is_empty());
        assert!(d.steps[0].headers.contains(&0));
    }

    /// evaluate_with_headers on `raw` with bank.example at p=reject and evil.example at p=none,
    /// SPF passing for evil.example and the given DKIM results (the reviewer's spoofs).
    async fn spoof(raw: &[u8], dkim: &[DkimCheck]) -> (Alignment, DmarcCheck) {
        use crate::analysis::trail::headers::split_headers;
        use crate::dns::responder::Responder;
        let headers = split_headers(raw).headers;
        let dns = MemDns::new()
            .txt("_dmarc.evil.example", "v=DMARC1; p=none")
            .txt("_dmarc.bank.example", "v=DMARC1; p=reject")
            .dns();
        let responder = Responder::start(dns.clone()).await.expect("responder");
        evaluate_with_headers(
            &dns,
            &responder.authenticator(),
            raw,
            &headers,
            None,
            &spf_pass("evil.example"),
            dkim,
        )
        .await
    }

    #[tokio::test]
    async fn obs_from_above_a_signed_from_is_evaluated_too() {
        // Reviewer's c01: `From : ` (WSP before the colon, RFC 5322 §4.5.2) is a From header.
        let raw = b"Received: from x by mx.example.net; Wed, 04 Nov 2026 10:05:36 +0000\r\n\
                    From : CEO <ceo@bank.example>\r\n\
                    DKIM-Signature: v=1; d=evil.example; s=s1; h=from; bh=; b=\r\n\
                    From: Billing <billing@evil.example>\r\n\r\nPlease pay.\r\n";
        let (_, d) = spoof(raw, &[dkim_pass("evil.example")]).await;
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.disposition.as_deref(), Some("reject"));
        assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
        let applied: Vec<(&str, bool)> = d
            .author_domains
            .iter()
            .map(|a| (a.domain.as_str(), a.applied))
            .collect();
        assert_eq!(applied, [("bank.example", true), ("evil.example", false)]);
        // mail-auth reads both too, and exempts the message: its reading is quoted.
        let last = d.steps.last().unwrap();
        assert!(
            last.explanation
                .contains("\"ceo@bank.example\", \"billing@evil.example\""),
            "{}",
            last.explanation
        );
    }

    #[tokio::test]
    async fn empty_from_above_the_real_one_is_a_warning_not_the_verdict() {
        // Reviewer's fr-empty-then-bank: was permerror ("no usable From domain").
        let raw = b"From:\r\nFrom: ceo@bank.example\r\nTo: bob@example.net\r\n\r\nPay.\r\n";
        let (a, d) = spoof(raw, &[]).await;
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.disposition.as_deref(), Some("reject"));
        assert_eq!(a.from_domain.as_deref(), Some("bank.example"));
        let first = &d.steps[0];
        assert_eq!(first.title, "From header problems");
        assert_eq!(first.outcome, Outcome::Warning);
        assert!(
            first.explanation.contains("From header 0 is empty"),
            "{}",
            first.explanation
        );
        assert_eq!(first.headers, [0, 1]);
        // The steps that read the domain point at the From header it came from.
        assert!(d.steps[1].headers.contains(&1));

        // No From domain at all stays permerror.
        for raw in [
            &b"From:\r\nTo: b@x.example\r\n\r\nx"[..],
            b"To: b@x.example\r\n\r\nx",
        ] {
            let (_, d) = spoof(raw, &[]).await;
            assert_eq!(d.result, AuthResult::PermError);
        }
    }

    #[tokio::test]
    async fn two_angle_addresses_evaluate_every_domain() {
        // Reviewer's fr-two-angle: was read as evil.example alone, with no warning.
        let raw = b"From: CEO <ceo@bank.example> <x@evil.example>\r\nTo: bob@example.net\r\n\r\n\
                    Pay.\r\n";
        let (_, d) = spoof(raw, &[]).await;
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.disposition.as_deref(), Some("reject"));
        assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
        assert_eq!(d.author_domains.len(), 2);
        assert!(
            d.steps[0].explanation.contains("2 angle addresses"),
            "{}",
            d.steps[0].explanation
        );
        // mail-auth's parser glues the two together and evaluates evil.example: explained.
        assert!(d.disagreement);
        let last = d.steps.last().unwrap();
        assert!(
            last.explanation.contains("mail-auth read only"),
            "{}",
            last.explanation
        );
    }

    #[tokio::test]
    async fn several_from_headers_name_each_ones_problem() {
        let raw = b"From:\r\nFrom: ceo@bank.example\r\nFrom: m@evil.example\r\n\r\nx\r\n";
        let (_, d) = spoof(raw, &[]).await;
        assert_eq!(d.result, AuthResult::Fail);
        assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
        let top = &d.steps[0];
        assert!(
            top.explanation.contains("3 From headers")
                && top.explanation.contains("From header 0 is empty"),
            "{}",
            top.explanation
        );
        assert_eq!(top.headers, [0, 1, 2]);
    }

    #[test]
    fn mail_auth_without_a_from_domain_says_what_it_read() {
        let verdict = |froms: &[&str]| MailAuthVerdict {
            result: AuthResult::None,
            policy: None,
            record_domain_hint: String::new(),
            froms: froms.iter().map(|f| f.to_string()).collect(),
        };
        let w = verdict(&[]).what_it_read();
        assert!(w.contains("read no From address"), "{w}");
        let w = verdict(&["ceo@bank.example", "b@evil.example"]).what_it_read();
        assert!(
            w.contains("\"ceo@bank.example\", \"b@evil.example\"") && w.contains("2 From domains"),
            "{w}"
        );
        let w = verdict(&["undisclosed"]).what_it_read();
        assert!(w.contains("without a domain"), "{w}");
        assert!(!w.contains("none found"));
        let mut v = verdict(&["a@bank.example"]);
        v.record_domain_hint = "bank.example".into();
        assert_eq!(v.what_it_read(), "From domain bank.example");
    }

    #[test]
    fn missing_from_domain_is_explained() {
        let (a, d) = no_from_domain(None);
        assert_eq!(d.result, AuthResult::PermError);
        assert_eq!(a.from_domain, None);
        assert!(d.steps[0].explanation.contains("From"));
    }
}
