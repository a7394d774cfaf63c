//! The DMARC record: its grammar (RFC 7489 §6.3, RFC 9989 §4.7), the typed values and the tags
//! with their meanings and defaults.

use crate::analysis::model::{AlignmentMode, Tag};

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

    pub(super) fn parse(value: &str) -> Option<Policy> {
        match value.trim().to_ascii_lowercase().as_str() {
            "none" => Some(Policy::None),
            "quarantine" => Some(Policy::Quarantine),
            "reject" => Some(Policy::Reject),
            _ => None,
        }
    }

    /// One level less strict (t=y, and the messages pct= leaves out).
    pub(super) fn one_level_down(self) -> Policy {
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
