//! The `Analysis` value and everything in it. Plain, serde-serializable data: the JSON report is
//! exactly this value, and every view (text, Markdown, TUI) only reads it.

use serde::{Deserialize, Serialize};

use super::step::Step;
use crate::dns::DnsEvidence;

/// Bumped whenever a contract path changes meaning or disappears (see README "JSON schema").
pub const SCHEMA_VERSION: u32 = 1;

/// Result words of RFC 8601 (`none` where a check had nothing to check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuthResult {
    Pass,
    Fail,
    SoftFail,
    Neutral,
    #[default]
    None,
    TempError,
    PermError,
    /// RFC 8601 `policy` (a DKIM signature valid but rejected by local policy).
    Policy,
}

impl AuthResult {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthResult::Pass => "pass",
            AuthResult::Fail => "fail",
            AuthResult::SoftFail => "softfail",
            AuthResult::Neutral => "neutral",
            AuthResult::None => "none",
            AuthResult::TempError => "temperror",
            AuthResult::PermError => "permerror",
            AuthResult::Policy => "policy",
        }
    }

    /// Parses an RFC 8601 result word (case-insensitive; `hardfail` is an old alias of fail).
    pub fn parse(word: &str) -> Option<AuthResult> {
        Some(match word.to_ascii_lowercase().as_str() {
            "pass" => AuthResult::Pass,
            "fail" | "hardfail" => AuthResult::Fail,
            "softfail" => AuthResult::SoftFail,
            "neutral" => AuthResult::Neutral,
            "none" => AuthResult::None,
            "temperror" => AuthResult::TempError,
            "permerror" => AuthResult::PermError,
            "policy" => AuthResult::Policy,
            _ => return None,
        })
    }
}

impl std::fmt::Display for AuthResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a header belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HeaderKind {
    /// Envelope / trace headers added by transfer agents (Received, Authentication-Results, ARC-*, …).
    Trace,
    /// Message headers written by the author's side (From, To, Subject, …).
    Message,
}

/// One header field, in message order (index 0 = topmost).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub index: usize,
    /// Field name as written.
    pub name: String,
    pub kind: HeaderKind,
    /// Byte offset of the field's first byte in the input.
    pub offset: usize,
    /// Length in bytes of the raw field, including folding and the final line break.
    pub length: usize,
    /// The raw field text (name, colon, value, folding), lossily decoded when not UTF-8.
    pub raw: String,
    /// The unfolded value (CRLF + WSP folded away, leading/trailing whitespace trimmed).
    pub value: String,
    /// True when the raw bytes were not valid UTF-8 (8-bit headers are kept, shown with U+FFFD).
    #[serde(default)]
    pub invalid_utf8: bool,
    /// Problems found while reading this header.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// The value with its RFC 2047 encoded words (`=?UTF-8?B?…?=`) decoded, as a mail client
    /// shows it: set only for address headers and Subject whose raw text contains `=?`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
}

/// Where a derived value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// Which envelope field this explains (`client_ip`, `helo`, `mail_from`, `receiver`).
    pub field: String,
    /// The header it was read from, if any.
    pub header_index: Option<usize>,
    /// The text it was read from, or the command-line option.
    pub text: String,
    /// How it was derived, in words.
    pub how: String,
}

/// The SMTP session the receiving server saw, reconstructed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Envelope {
    pub client_ip: Option<String>,
    pub helo: Option<String>,
    /// The MAIL FROM reverse-path; `""` is the null reverse-path.
    pub mail_from: Option<String>,
    /// The identity SPF checks for MAIL FROM (postmaster@HELO for the null reverse-path).
    pub spf_mail_from: Option<String>,
    /// The receiving server (authserv-id or `by` host) the trust boundary is set at.
    pub receiver: Option<String>,
    /// Index into `Analysis::hops` of the trust-boundary hop.
    pub boundary_hop: Option<usize>,
    /// Index into `Analysis::headers` of the trust-boundary Received header.
    #[serde(default)]
    pub boundary_header: Option<usize>,
    pub sources: Vec<Source>,
}

/// One Received header, as a hop of the timeline. `hops[0]` is the topmost (last) hop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Hop {
    pub header_index: usize,
    pub from_host: Option<Box<str>>,
    /// HELO/EHLO name as the `by` server recorded it.
    pub helo: Option<Box<str>>,
    /// Reverse DNS name the `by` server recorded for the client.
    pub from_rdns: Option<Box<str>>,
    pub from_ip: Option<Box<str>>,
    pub by_host: Option<Box<str>>,
    /// The address the `by` server recorded for itself (`by host (10.1.2.3)`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by_ip: Option<Box<str>>,
    pub with: Option<Box<str>>,
    pub id: Option<Box<str>>,
    pub for_addr: Option<Box<str>>,
    /// The date after the `;`, as written.
    pub date: Option<Box<str>>,
    /// That date as unix seconds, when it parsed.
    pub timestamp: Option<i64>,
    /// Seconds between the previous (older) hop and this one.
    pub delay_seconds: Option<i64>,
    /// TLS version/cipher if the header records one.
    pub tls: Option<Box<str>>,
    pub anomalies: Vec<String>,
    /// Why the trust-boundary walk passed this hop as the receiving organisation's own (set only
    /// on hops walked past).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<Box<str>>,
    pub is_boundary: bool,
    /// True for hops older than the boundary hop, i.e. *below* it in the file: written before
    /// the receiver got the message, by servers it cannot vouch for (their text could be forged
    /// by the sender).
    pub below_boundary: bool,
}

/// SPF for one identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SpfCheck {
    /// `mail_from` or `helo`.
    pub identity: String,
    /// The identity checked (`user@domain` or the HELO name).
    pub sender: Option<String>,
    /// The domain whose record is evaluated.
    pub domain: Option<String>,
    pub client_ip: Option<String>,
    pub result: AuthResult,
    /// The matching term (e.g. `-all`, `include:_spf.example.net`), if one matched.
    pub matched: Option<String>,
    /// The explanation string (exp=) on fail.
    pub explanation: Option<String>,
    pub dns_lookups: u32,
    pub void_lookups: u32,
    /// mail-auth's verdict on the same answers.
    pub mail_auth_result: Option<AuthResult>,
    /// True when the traced evaluation and mail-auth disagree.
    pub disagreement: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SpfChecks {
    pub mail_from: SpfCheck,
    pub helo: SpfCheck,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub name: String,
    pub value: String,
    /// What the tag means, in words.
    pub meaning: String,
    /// True when the value shown is the default because the tag was absent.
    #[serde(default)]
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DkimKey {
    /// `rsa` or `ed25519`.
    pub key_type: String,
    pub bits: Option<u32>,
    pub revoked: bool,
    pub testing: bool,
    pub record: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DkimCheck {
    pub header_index: usize,
    pub domain: Option<String>,
    pub selector: Option<String>,
    pub algorithm: Option<String>,
    pub result: AuthResult,
    pub reason: Option<String>,
    pub tags: Vec<Tag>,
    pub key: Option<DkimKey>,
    pub body_hash_expected: Option<String>,
    pub body_hash_computed: Option<String>,
    pub body_hash_matches: Option<bool>,
    pub header_signature_valid: Option<bool>,
    pub risks: Vec<String>,
    pub mail_auth_result: Option<AuthResult>,
    /// mail-auth's error text behind its verdict, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_auth_reason: Option<String>,
    pub disagreement: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ArcSet {
    pub instance: u32,
    /// cv= of the ARC-Seal.
    pub cv: Option<String>,
    pub seal_domain: Option<String>,
    pub seal_selector: Option<String>,
    pub ams_domain: Option<String>,
    pub ams_selector: Option<String>,
    pub ams_result: AuthResult,
    pub seal_result: AuthResult,
    /// The ARC-Authentication-Results text of this instance.
    pub aar: Option<String>,
    pub headers: Vec<usize>,
    /// The authserv-id the AAR names (who recorded these results).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authserv_id: Option<String>,
    /// Why the AMS did not pass (malformed, body changed, signature, key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ams_reason: Option<String>,
    /// Why the seal did not pass.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seal_reason: Option<String>,
    /// Whether the body still hashes to the AMS bh= (None when not computed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ams_body_hash_matches: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ArcCheck {
    pub result: AuthResult,
    pub sets: Vec<ArcSet>,
    /// The instance where the chain broke, if it did.
    pub broken_instance: Option<u32>,
    pub reason: Option<String>,
    /// The oldest instance from which every AMS up to the newest still verifies (RFC 8617
    /// oldest-pass): where the message was last unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_pass: Option<u32>,
    pub mail_auth_result: Option<AuthResult>,
    /// mail-auth's error text behind its verdict, when it gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_auth_reason: Option<String>,
    /// True when mail-auth's chain verdict differs from ours for a reason other than the clock.
    #[serde(default)]
    pub disagreement: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AlignmentMode {
    #[default]
    Relaxed,
    Strict,
}

/// One authenticated domain set against the From domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AlignmentCandidate {
    pub domain: String,
    /// Organizational domain by the DMARCbis DNS tree walk (what mail-auth uses).
    pub org_domain_tree_walk: Option<String>,
    /// Organizational domain by the Public Suffix List (RFC 7489).
    pub org_domain_psl: Option<String>,
    /// The domains match under the side's mode (strict: the same name; relaxed: the same
    /// organizational domain by the tree walk). Says nothing about the check itself: see
    /// `result` ("aligned, but SPF softfail" is `aligned: true, result: softfail`).
    pub aligned: bool,
    /// Whether the PSL method (RFC 7489) finds it aligned; differs from `aligned` only where the
    /// two ways of finding organizational domains disagree.
    pub aligned_by_psl: bool,
    /// The SPF or DKIM result for this identifier. Only `pass` can make DMARC pass; an aligned
    /// `temperror` makes it undecidable; any other result is shown but changes nothing.
    #[serde(default)]
    pub result: AuthResult,
    /// The DKIM-Signature header this `d=` came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_index: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AlignmentSide {
    pub mode: AlignmentMode,
    /// The DMARC meaning: some identifier of this method passed *and* is aligned (a candidate
    /// with `aligned && result == pass`).
    pub aligned: bool,
    /// Every identifier of this method with a usable domain, whatever its result.
    pub candidates: Vec<AlignmentCandidate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Alignment {
    /// The RFC 5322 From domain.
    pub from_domain: Option<String>,
    pub from_org_domain_tree_walk: Option<String>,
    pub from_org_domain_psl: Option<String>,
    pub spf: AlignmentSide,
    pub dkim: AlignmentSide,
    /// True when the PSL and the tree walk disagree on any organizational domain used here.
    pub psl_disagreement: bool,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DmarcCheck {
    pub result: AuthResult,
    /// The domain whose `_dmarc` record was used.
    pub record_domain: Option<String>,
    pub record: Option<String>,
    pub tags: Vec<Tag>,
    /// The policy that applies: `none`, `quarantine` or `reject`.
    pub policy: Option<String>,
    /// Which tag the policy came from (`p`, `sp` or `np`) and why.
    pub policy_source: Option<String>,
    /// The tag alone: `p`, `sp`, `np`, or `rua` (no valid p, so p=none because rua is valid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_tag: Option<String>,
    /// What a receiver following the record would do: `none`, `quarantine`, `reject`. The
    /// policy (one level less with t=y, RFC 9989), except with pct=0 on a failing message: no
    /// message is sampled, so it is what an RFC 7489 receiver certainly does — the next policy
    /// down (RFC 7489 §6.6.4) — and RFC 9989's reading (pct historic) is `disposition_rfc9989`.
    /// With pct between 1 and 99, RFC 7489's reading for the messages left out is
    /// `disposition_unsampled`.
    pub disposition: Option<String>,
    /// With pct below 100 on a failing message (and a policy other than none): what an RFC 7489
    /// receiver does with the messages pct= leaves out — one level less than the policy (it
    /// knows no t=). With pct=0 that is every failing message, so it equals `disposition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_unsampled: Option<String>,
    /// With pct=0 on a failing message: what a receiver following RFC 9989 does (it ignores pct,
    /// which it made historic), when that differs from `disposition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition_rfc9989: Option<String>,
    /// The tag whose bad value made the record unusable (permerror).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bad_tag: Option<String>,
    pub mail_auth_result: Option<AuthResult>,
    pub disagreement: bool,
    /// With several author domains (several From headers, or a From with mailboxes of different
    /// domains): each one evaluated on its own. The fields above are then the strictest one's
    /// (RFC 7489 §6.6.1). Empty for the usual single author domain.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub author_domains: Vec<AuthorDomainResult>,
    pub steps: Vec<Step>,
}

/// DMARC for one of several author domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuthorDomainResult {
    pub domain: String,
    /// The From header it was read from.
    pub header_index: usize,
    pub result: AuthResult,
    pub policy: Option<String>,
    pub disposition: Option<String>,
    /// True for the one whose result the message gets (the strictest).
    pub applied: bool,
}

/// How a recorded result compares with ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Agreement {
    Agree,
    Disagree,
    /// Nothing of ours to set it against (method we do not check, or untrusted header).
    NotCompared,
}

/// One result recorded in the message (Authentication-Results, Received-SPF, ARC-A-R).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResult {
    pub header_index: usize,
    /// `Authentication-Results`, `Received-SPF` or `ARC-Authentication-Results`.
    pub header_name: String,
    pub authserv_id: Option<String>,
    /// Who wrote it in words, when it carries no authserv-id (Microsoft writes none): from the
    /// receiver's markers, e.g. `Microsoft (protection.outlook.com)`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    /// Whether the result was written by the receiver (trusted), or before it got the message
    /// (below its Received header, or by another server) and so could be forged.
    pub trusted: bool,
    /// `spf`, `dkim`, `dmarc`, `arc`, `iprev`, `auth` …
    pub method: String,
    pub result: String,
    pub reason: Option<String>,
    /// `ptype.property=value` pairs, e.g. `header.d=example.com`.
    pub properties: Vec<(String, String)>,
    /// The comments the result carried, e.g. Gmail's `google.com: domain of … designates …`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// Our verdict for the same thing, if comparable.
    pub ours: Option<AuthResult>,
    pub agreement: Agreement,
    pub note: Option<String>,
    /// For a dkim result: the signature it is about, e.g. `d=example.com s=sel1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// For a dmarc result: what the receiver recorded it did (`none`, `quarantine`, `reject`),
    /// from `dis=`/`action=`/`policy.applied-disposition`, plus an override reason if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    /// Other headers carrying the same result (an intermediary's A-R repeated in its ARC-A-R).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub also_in_headers: Vec<usize>,
}

impl RecordedResult {
    /// Who wrote it, for display: the authserv-id, else who the receiver's markers say wrote it
    /// (`recorded_by`, e.g. "Microsoft (protection.outlook.com)"), else "an unnamed server".
    pub fn writer(&self) -> &str {
        self.authserv_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .or(self.recorded_by.as_deref().filter(|w| !w.trim().is_empty()))
            .unwrap_or("an unnamed server")
    }

    /// Appends `text` to the note, after what is there.
    pub fn add_note(&mut self, text: String) {
        self.note = Some(match self.note.take() {
            Some(n) => format!("{n}; {text}"),
            None => text,
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// Something a reader should know that is not a verdict: parse errors, anomalies, risks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub severity: Severity,
    /// Stable short code, e.g. `header-parse`, `hop-negative-delay`, `dkim-l-tag`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header_index: Option<usize>,
}

impl Warning {
    pub fn new(
        severity: Severity,
        code: &str,
        message: String,
        header_index: Option<usize>,
    ) -> Warning {
        Warning {
            severity,
            code: code.to_string(),
            message,
            header_index,
        }
    }
}

/// How DNS was answered for this analysis (one type for the core and the DNS layer).
pub use crate::dns::DnsMode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InputInfo {
    /// File path, or `-` for stdin, or `paste`.
    pub source: String,
    pub size_bytes: usize,
    /// `crlf`, `lf` or `mixed`: of the bytes analysed (after the changes in `prep`).
    pub line_endings: String,
    pub body_offset: Option<usize>,
    /// A header section with no body at all (no empty line after the headers), as Outlook's
    /// "message headers" box gives it. An empty body after an empty line is a body (it has a
    /// valid body hash); this is not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub headers_only: bool,
    /// What the input layer changed before the analysis, and why.
    #[serde(flatten)]
    pub prep: InputPrep,
}

/// What `input::prepare` did to the bytes before they were analysed. Offsets in the analysis
/// (headers, body) are into the bytes after these changes. Empty for a plain message file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InputPrep {
    /// Each change in words, e.g. line ends turned into CRLF, doubled line breaks undone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<InputChange>,
    /// Text above the message that was not part of it (a webmail page copied whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<SkippedText>,
    /// Which message of an mbox (or a file holding several) this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mbox: Option<MboxPosition>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct InputChange {
    /// `line-endings`, `doubled-line-breaks`, `mbox-separator`, `mbox-from-unquoted`.
    pub code: String,
    /// What was changed and why.
    pub note: String,
}

/// Text skipped before the first header field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SkippedText {
    pub bytes: usize,
    pub lines: usize,
    /// The first skipped line that is not blank, escaped (control characters as `\x..`).
    pub first_line: String,
}

/// One message's place in a file of several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MboxPosition {
    /// 1-based, as `--message N` takes it.
    pub number: usize,
    pub count: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Summary {
    /// One line saying what matters, e.g. "DMARC fail → p=reject: From paypa1.com not aligned …".
    pub verdict: String,
    /// Short findings, most important first.
    pub findings: Vec<String>,
}

/// Everything mailsleuth knows about one message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Analysis {
    pub schema_version: u32,
    pub tool_version: String,
    pub input: InputInfo,
    /// The moment the analysis evaluates as of (RFC 3339 UTC).
    pub now: String,
    pub dns_mode: DnsMode,
    pub summary: Summary,
    pub headers: Vec<Header>,
    pub envelope: Envelope,
    pub hops: Vec<Hop>,
    pub spf: SpfChecks,
    pub dkim: Vec<DkimCheck>,
    pub arc: ArcCheck,
    pub alignment: Alignment,
    pub dmarc: DmarcCheck,
    pub recorded: Vec<RecordedResult>,
    /// What the receiving server decided (its vendor verdict headers), when it wrote any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_verdict: Option<ReceiverVerdict>,
    pub dns: Vec<DnsEvidence>,
    pub warnings: Vec<Warning>,
}

/// The verdict headers a receiving server (or a filter of the sender's) wrote, decoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ReceiverVerdict {
    /// Who decided: `Outlook.com`, `Microsoft 365 (tenant)`, `SpamAssassin on mx.example.net`.
    pub receiver_label: String,
    /// Every verdict header found, in header order, trusted or not.
    pub items: Vec<VerdictItem>,
    /// One line, built only from trusted items: `Outlook.com decided: compauth=fail (…), SCL 9,
    /// delivered to Junk`. None when nothing trusted says anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
}

/// One verdict header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VerdictItem {
    pub header_index: usize,
    pub header_name: String,
    /// The vendor whose header this is (`Microsoft`, `SpamAssassin`, …).
    pub vendor: String,
    /// What the header is, in words.
    pub about: String,
    /// The value as written (unfolded).
    pub value: String,
    pub fields: Vec<VerdictField>,
    /// Whether the receiver wrote it (see `trust_reason`).
    pub trusted: bool,
    /// The marker that makes it the receiver's, or why it could have come from the sender.
    pub trust_reason: String,
}

/// One decoded field of a verdict header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct VerdictField {
    pub name: String,
    pub value: String,
    /// The documented meaning of the field and its value, when the receivers table has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meaning: Option<String>,
}
