//! What the receiving server decided: the verdict headers spam filters and mailbox providers
//! write (Microsoft's compauth, SCL and delivery folder, SpamAssassin, rspamd, gateways),
//! decoded with their documented meanings from `assets/receivers.toml`, and trusted by the
//! receiver's own markers rather than by their position alone.
//!
//! Pure functions over the headers, the reconstructed envelope and the hops: no DNS.

mod decode;
mod gateways;
mod microsoft;
mod rspamd;
mod spamassassin;

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::model::{Envelope, Header, Hop, ReceiverVerdict, VerdictField, VerdictItem};

const DEFAULT_TABLE: &str = include_str!("../../../assets/receivers.toml");

/// The receivers table: which headers each vendor writes and what their codes mean.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ReceiverTable {
    #[serde(default)]
    pub vendor: BTreeMap<String, Vendor>,
}

/// How a vendor's verdict is trusted and summed up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Exchange's own markers and a boundary at Microsoft make its headers the receiver's.
    Microsoft,
    SpamAssassin,
    Rspamd,
    /// Trusted when written after receipt; summed up by the fields in `line`.
    #[default]
    Generic,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Vendor {
    pub label: String,
    #[serde(default)]
    pub kind: Kind,
    #[serde(default)]
    pub order: i32,
    #[serde(default)]
    pub source: Vec<String>,
    #[serde(default)]
    pub line: Vec<String>,
    #[serde(default)]
    pub host_header: Option<String>,
    #[serde(default)]
    pub host_after: Option<String>,
    #[serde(default)]
    pub receiver_hosts: Vec<String>,
    #[serde(default)]
    pub markers: Vec<String>,
    #[serde(default)]
    pub tenant_header: Option<String>,
    #[serde(default)]
    pub consumer_tenants: Vec<String>,
    #[serde(default)]
    pub consumer_label: Option<String>,
    #[serde(default)]
    pub tenant_label: Option<String>,
    #[serde(default)]
    pub header: BTreeMap<String, HeaderSpec>,
}

/// The grammar of a verdict header's value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    #[default]
    Value,
    Pairs,
    Base64Pairs,
    AuthResults,
    SpamStatus,
    SpamReport,
    RspamdResult,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HeaderSpec {
    #[serde(default)]
    pub about: String,
    #[serde(default)]
    pub format: Format,
    #[serde(default)]
    pub separator: Option<String>,
    #[serde(default)]
    pub assign: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub all_fields: bool,
    /// (kind "microsoft") where the receiver writes its own copy: of several copies, the one
    /// nearest there is the receiver's.
    #[serde(default)]
    pub written_at: WrittenAt,
    #[serde(default)]
    pub field: BTreeMap<String, FieldSpec>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WrittenAt {
    /// Under the receiver's own Received lines (Authentication-Results).
    Top,
    /// At the very end of the header block (Exchange's verdict headers).
    #[default]
    Bottom,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FieldSpec {
    #[serde(default)]
    pub about: String,
    #[serde(default)]
    pub short: Option<String>,
    #[serde(default)]
    pub codes: BTreeMap<String, CodeText>,
}

/// A code's meaning, and optionally the few words the one-line summary uses for it.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum CodeText {
    Plain(String),
    Detailed {
        meaning: String,
        #[serde(default)]
        short: Option<String>,
    },
}

impl CodeText {
    pub fn meaning(&self) -> &str {
        match self {
            CodeText::Plain(m) | CodeText::Detailed { meaning: m, .. } => m,
        }
    }

    pub fn short(&self) -> Option<&str> {
        match self {
            CodeText::Plain(_) => None,
            CodeText::Detailed { short, .. } => short.as_deref(),
        }
    }
}

impl ReceiverTable {
    /// Parses a receivers file (the compiled-in one, or it merged with a user's).
    pub fn parse(text: &str) -> Result<ReceiverTable, String> {
        toml::from_str(text).map_err(|e| e.message().to_string())
    }

    /// The compiled-in table with a user file merged over it: tables merge key by key, any
    /// other value replaces ours.
    pub fn with_user_file(user_text: &str) -> Result<ReceiverTable, String> {
        let mut base: toml::Table = toml::from_str(DEFAULT_TABLE).map_err(|e| e.to_string())?;
        let user: toml::Table = toml::from_str(user_text).map_err(|e| e.message().to_string())?;
        merge(&mut base, user);
        toml::Value::Table(base)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().to_string())
    }

    /// Vendors in `order`, then by id.
    fn vendors(&self) -> Vec<&Vendor> {
        let mut v: Vec<(&String, &Vendor)> = self.vendor.iter().collect();
        v.sort_by(|a, b| a.1.order.cmp(&b.1.order).then(a.0.cmp(b.0)));
        v.into_iter().map(|(_, v)| v).collect()
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// The table an analysis uses: the compiled-in one unless the edge loaded a user file. Cheap to
/// clone; the compiled-in table is parsed once.
#[derive(Debug, Clone)]
pub struct Receivers(Arc<ReceiverTable>);

impl Default for Receivers {
    fn default() -> Self {
        static BUILTIN: OnceLock<Arc<ReceiverTable>> = OnceLock::new();
        let table = BUILTIN.get_or_init(|| {
            // The compiled-in table is tested; a mistake in it shows in every test.
            let parsed = ReceiverTable::parse(DEFAULT_TABLE);
            debug_assert!(parsed.is_ok(), "assets/receivers.toml: {parsed:?}");
            Arc::new(parsed.unwrap_or_default())
        });
        Receivers(table.clone())
    }
}

impl Receivers {
    pub fn new(table: ReceiverTable) -> Receivers {
        Receivers(Arc::new(table))
    }

    pub fn table(&self) -> &ReceiverTable {
        &self.0
    }
}

/// Where the receiver took the message over, as the trust rules need it.
pub(crate) struct Receipt<'a> {
    /// Index of the receiver's Received header (the trust boundary), if one was found.
    pub boundary_header: Option<usize>,
    /// The boundary hop's `by` host, else the envelope's receiver.
    pub boundary_host: Option<String>,
    /// Names of the receiver's own servers: the envelope's receiver, and the hosts of every hop
    /// at or above the boundary.
    pub receiver_hosts: Vec<String>,
    pub headers: &'a [Header],
}

impl<'a> Receipt<'a> {
    fn new(headers: &'a [Header], envelope: &Envelope, hops: &[Hop]) -> Receipt<'a> {
        let boundary = envelope.boundary_hop.and_then(|i| hops.get(i));
        let boundary_header = envelope
            .boundary_header
            .or(boundary.map(|h| h.header_index));
        let boundary_host = boundary
            .and_then(|h| h.by_host.as_deref().map(str::to_string))
            .or_else(|| envelope.receiver.clone());
        let mut receiver_hosts: Vec<String> = envelope.receiver.iter().cloned().collect();
        for h in hops.iter().filter(|h| !h.below_boundary) {
            receiver_hosts.extend(h.by_host.iter().map(|s| s.to_string()));
            if !h.is_boundary {
                receiver_hosts.extend(h.from_host.iter().map(|s| s.to_string()));
            }
        }
        Receipt {
            boundary_header,
            boundary_host,
            receiver_hosts,
            headers,
        }
    }

    /// Whether `host` is one of the receiver's servers: the same name, the same registrable
    /// domain, or a bare name that is the first label of one of them.
    pub fn is_receivers_host(&self, host: &str) -> bool {
        let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return false;
        }
        self.receiver_hosts.iter().any(|r| {
            let r = r.trim_end_matches('.').to_ascii_lowercase();
            if !host.contains('.') {
                return r.split('.').next() == Some(host.as_str());
            }
            r == host
                || matches!((psl::domain_str(&r), psl::domain_str(&host)), (Some(a), Some(b)) if a == b)
        })
    }
}

/// One vendor's headers, decoded and judged.
pub(crate) struct Family<'t> {
    pub vendor: &'t Vendor,
    pub items: Vec<VerdictItem>,
    /// Who decided, for this vendor (`Outlook.com`, `SpamAssassin on mx.example.net`).
    pub label: String,
}

impl Family<'_> {
    /// The first trusted field of that name (header order), with its value and short words.
    pub fn trusted_field(&self, header: &str, field: &str) -> Option<&VerdictField> {
        self.items
            .iter()
            .filter(|i| i.trusted && i.header_name.eq_ignore_ascii_case(header))
            .flat_map(|i| i.fields.iter())
            .find(|f| f.name.eq_ignore_ascii_case(field))
    }

    /// The short words the table gives for a field's value, if any.
    pub fn short(&self, header: &str, field: &str, value: &str) -> Option<String> {
        let spec = self.vendor.header_spec(header)?.field_spec(field)?;
        decode::lookup(spec, value)
            .and_then(|c| c.short().or(Some(c.meaning())))
            .map(str::to_string)
    }
}

impl Vendor {
    pub fn header_spec(&self, name: &str) -> Option<&HeaderSpec> {
        self.header
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

impl HeaderSpec {
    pub fn field_spec(&self, name: &str) -> Option<&FieldSpec> {
        self.field
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// Decodes every verdict header the table knows, judges whether the receiver wrote it, and
/// sums up what the trusted ones say. None when the message carries no verdict header.
pub fn receiver_verdict(
    headers: &[Header],
    envelope: &Envelope,
    hops: &[Hop],
    table: &ReceiverTable,
) -> Option<ReceiverVerdict> {
    let receipt = Receipt::new(headers, envelope, hops);
    let families: Vec<Family> = table
        .vendors()
        .into_iter()
        .filter_map(|vendor| family(vendor, &receipt))
        .collect();
    if families.is_empty() {
        return None;
    }
    let lines: Vec<String> = families.iter().filter_map(family_line).collect();
    let receiver_label = families
        .iter()
        .find(|f| f.items.iter().any(|i| i.trusted))
        .or(families.first())
        .map(|f| f.label.clone())
        .unwrap_or_default();
    let mut items: Vec<VerdictItem> = families.into_iter().flat_map(|f| f.items).collect();
    items.sort_by_key(|i| i.header_index);
    Some(ReceiverVerdict {
        receiver_label,
        items,
        line: (!lines.is_empty()).then(|| lines.join("; ")),
    })
}

/// One vendor's items, trusted by its kind's rule, or None when it wrote nothing here.
fn family<'t>(vendor: &'t Vendor, receipt: &Receipt) -> Option<Family<'t>> {
    let items: Vec<VerdictItem> = receipt
        .headers
        .iter()
        .filter_map(|h| {
            let spec = vendor.header_spec(&h.name)?;
            decode::item(vendor, spec, h)
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some(match vendor.kind {
        Kind::Microsoft => microsoft::judge(vendor, receipt, items),
        _ => judge_after_receipt(vendor, receipt, items),
    })
}

/// The one-line summary of a vendor's trusted items.
fn family_line(f: &Family) -> Option<String> {
    if !f.items.iter().any(|i| i.trusted) {
        return None;
    }
    let parts = match f.vendor.kind {
        Kind::Microsoft => microsoft::line_parts(f),
        Kind::SpamAssassin => spamassassin::line_parts(f),
        Kind::Rspamd => rspamd::line_parts(f),
        Kind::Generic => gateways::line_parts(f),
    };
    (!parts.is_empty()).then(|| format!("{} decided: {}", f.label, parts.join(", ")))
}

/// Filters that run at the receiver (SpamAssassin, rspamd, gateways): a header above the
/// receiver's Received line was added after receipt; when the vendor names the host it ran on,
/// that host must be the receiver's.
fn judge_after_receipt<'t>(
    vendor: &'t Vendor,
    receipt: &Receipt,
    mut items: Vec<VerdictItem>,
) -> Family<'t> {
    let host = named_host(vendor, receipt);
    for item in &mut items {
        let (trusted, reason) = after_receipt_reason(item.header_index, host.as_deref(), receipt);
        item.trusted = trusted;
        item.trust_reason = reason;
    }
    let label = match &host {
        Some(h) if items.iter().any(|i| i.trusted) => format!("{} on {h}", vendor.label),
        _ => vendor.label.clone(),
    };
    Family {
        vendor,
        items,
        label,
    }
}

fn after_receipt_reason(index: usize, host: Option<&str>, receipt: &Receipt) -> (bool, String) {
    let Some(b) = receipt.boundary_header else {
        return (
            false,
            "untrusted: no receiving hop was found, so whether the receiver or the sender wrote it cannot be decided".into(),
        );
    };
    if index > b {
        return (
            false,
            format!(
                "could have come from the sender: it sits below the receiver's Received header (#{b}), so it was in the message before the receiver accepted it"
            ),
        );
    }
    match host {
        Some(h) if receipt.is_receivers_host(h) => (
            true,
            format!(
                "the receiver's: added after receipt (above its Received header #{b}) by {h}, one of the receiver's hosts"
            ),
        ),
        Some(h) => (
            false,
            format!(
                "could have come from the sender: it sits above the receiver's Received header (#{b}) but names {h}, which is none of the receiver's hosts ({})",
                receipt.receiver_hosts.join(", ")
            ),
        ),
        None => (
            true,
            format!(
                "the receiver's: added after receipt (above its Received header #{b}); it names no host"
            ),
        ),
    }
}

/// The host a filter says it ran on: from its host header nearest above the boundary.
fn named_host(vendor: &Vendor, receipt: &Receipt) -> Option<String> {
    let name = vendor.host_header.as_deref()?;
    let limit = receipt.boundary_header.unwrap_or(usize::MAX);
    let h = receipt
        .headers
        .iter()
        .rfind(|h| h.index < limit && h.name.eq_ignore_ascii_case(name))?;
    let text = match vendor.host_after.as_deref() {
        Some(after) => h.value.rsplit_once(after)?.1,
        None => h.value.as_str(),
    };
    let host = text
        .split_whitespace()
        .next()?
        .trim_matches(['(', ')', ';', ',']);
    (!host.is_empty()).then(|| host.to_string())
}

#[cfg(test)]
mod tests;
