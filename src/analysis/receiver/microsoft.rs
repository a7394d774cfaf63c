//! Microsoft (Outlook.com, Microsoft 365 / Exchange Online Protection): compauth, SCL, BCL, PCL,
//! the delivery folder. Microsoft writes these at the very bottom of the header block, below the
//! sender's own headers, so position proves nothing: they are the receiver's when Exchange's own
//! organisation headers are present (Exchange strips inbound X-MS-Exchange-Organization-*) and
//! the receiving hop is at a Microsoft host.

use super::{Family, HeaderSpec, Receipt, Vendor, WrittenAt};
use crate::analysis::model::VerdictItem;
use crate::analysis::trail::authres::parse_authentication_results;

/// The methods of an Authentication-Results header the table describes (compauth), each as a
/// field with its `reason=` as a field of its own. None when none of them is there.
pub(super) fn auth_results_fields(spec: &HeaderSpec, value: &str) -> Option<Vec<(String, String)>> {
    let ar = parse_authentication_results(value).ok()?;
    let mut out = Vec::new();
    for r in &ar.results {
        if spec.field_spec(&r.method).is_some() {
            out.push((r.method.clone(), r.result.clone()));
            if let Some(reason) = &r.reason {
                out.push(("reason".to_string(), reason.clone()));
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Trusts the items by Exchange's markers and the receiving hop; of several copies of one
/// header, only the bottom-most (where Microsoft writes its own) is taken.
pub(super) fn judge<'t>(
    vendor: &'t Vendor,
    receipt: &Receipt,
    mut items: Vec<VerdictItem>,
) -> Family<'t> {
    let marker = receipt.headers.iter().find(|h| {
        vendor
            .markers
            .iter()
            .any(|m| starts_with_ignore_case(&h.name, m))
    });
    let host = receipt.boundary_host.as_deref();
    let at_microsoft = host.is_some_and(|h| is_microsoft_host(vendor, h));
    let verdict: Result<String, String> = match (host, at_microsoft, marker) {
        (None, _, _) => Err(
            "untrusted: no receiving hop was found, so whether Microsoft received it or the sender wrote it cannot be decided".into(),
        ),
        (Some(h), false, _) => Err(format!(
            "could have come from the sender: the receiving hop is {h}, not a Microsoft host, so nothing shows Microsoft wrote it as the receiver"
        )),
        (Some(_), true, None) => Err(format!(
            "untrusted: the receiving hop is at Microsoft, but no {} header is present (Exchange writes them for the mail it receives), so it could have come from the sender",
            vendor.markers.iter().map(|m| format!("{m}*")).collect::<Vec<_>>().join(" or ")
        )),
        (Some(h), true, Some(m)) => Ok(format!(
            "Microsoft's own: {} (#{}) is present, which Exchange strips from inbound mail, and the receiving hop is {h}, a Microsoft host",
            m.name, m.index
        )),
    };
    for i in 0..items.len() {
        let name = items[i].header_name.clone();
        let top = vendor
            .header_spec(&name)
            .is_some_and(|s| s.written_at == WrittenAt::Top);
        let same = |o: &&VerdictItem| o.header_name.eq_ignore_ascii_case(&name);
        // Of several copies, the one nearest where Microsoft writes its own is the receiver's.
        let nearer = if top {
            items[..i].iter().find(same)
        } else {
            items[i + 1..].iter().find(same)
        }
        .map(|o| o.header_index);
        let (trusted, reason) = match (&verdict, nearer) {
            (Ok(_), Some(other)) => (
                false,
                format!(
                    "could have come from the sender: another {name} sits {} it (#{other}); Microsoft writes its own {}",
                    if top { "above" } else { "below" },
                    if top {
                        "under its own Received lines"
                    } else {
                        "at the bottom of the header block"
                    }
                ),
            ),
            (Ok(why), None) => (true, why.clone()),
            (Err(why), _) => (false, why.clone()),
        };
        items[i].trusted = trusted;
        items[i].trust_reason = reason;
    }
    let label = if verdict.is_ok() {
        tenant_label(vendor, receipt)
    } else {
        vendor.label.clone()
    };
    Family {
        vendor,
        items,
        label,
    }
}

fn starts_with_ignore_case(name: &str, prefix: &str) -> bool {
    // `get`: a name cut inside a multi-byte character is simply not a match.
    name.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Whether a host name ends in one of the vendor's receiver host suffixes.
fn is_microsoft_host(vendor: &Vendor, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    vendor.receiver_hosts.iter().any(|suffix| {
        let suffix = suffix.trim_start_matches('.').to_ascii_lowercase();
        host == suffix || host.ends_with(&format!(".{suffix}"))
    })
}

/// `Outlook.com` for the consumer tenant, else the tenant label (the bottom-most tenant header
/// is the receiver's).
fn tenant_label(vendor: &Vendor, receipt: &Receipt) -> String {
    let tenant = vendor.tenant_header.as_deref().and_then(|name| {
        receipt
            .headers
            .iter()
            .rfind(|h| h.name.eq_ignore_ascii_case(name))
    });
    match (tenant, &vendor.consumer_label, &vendor.tenant_label) {
        (Some(t), Some(consumer), _)
            if vendor
                .consumer_tenants
                .iter()
                .any(|c| c.eq_ignore_ascii_case(t.value.trim())) =>
        {
            consumer.clone()
        }
        (Some(_), _, Some(tenant)) => tenant.clone(),
        _ => vendor.label.clone(),
    }
}

const AR: &str = "Authentication-Results";
const FOREFRONT: &str = "X-Forefront-Antispam-Report";
const MAILBOX: &str = "X-Microsoft-Antispam-Mailbox-Delivery";

/// `compauth=fail (001: …)`, `SCL 9`, `BCL 7`, `delivered to Junk` — from trusted items only.
pub(super) fn line_parts(f: &Family) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(c) = f.trusted_field(AR, "compauth") {
        let reason = f
            .trusted_field(AR, "reason")
            .map(|r| match f.short(AR, "reason", &r.value) {
                Some(s) => format!(" ({}: {s})", r.value),
                None => format!(" (reason {})", r.value),
            });
        parts.push(format!(
            "compauth={}{}",
            c.value,
            reason.unwrap_or_default()
        ));
    }
    let scl = f
        .trusted_field("X-MS-Exchange-Organization-SCL", "SCL")
        .or_else(|| f.trusted_field(FOREFRONT, "SCL"))
        .or_else(|| f.trusted_field("X-Message-Delivery", "SCL"));
    if let Some(s) = scl {
        parts.push(format!("SCL {}", s.value));
    }
    if let Some(b) = f.trusted_field("X-Microsoft-Antispam", "BCL") {
        parts.push(format!("BCL {}", b.value));
    }
    if let Some(p) = f.trusted_field(FOREFRONT, "CAT")
        && !p.value.eq_ignore_ascii_case("NONE")
    {
        parts.push(format!("category {}", p.value));
    }
    if let Some(v) = f.trusted_field(FOREFRONT, "SFV")
        && let Some(words) = ["SFE", "SKA"]
            .iter()
            .any(|c| v.value.eq_ignore_ascii_case(c))
            .then(|| f.short(FOREFRONT, "SFV", &v.value))
            .flatten()
    {
        // A safe-sender or allow list overrides the spam confidence level.
        parts.push(format!("{words} (SFV:{})", v.value));
    }
    if let Some(folder) = folder(f) {
        parts.push(format!("delivered to {folder}"));
    }
    parts
}

/// The folder the mailbox put the message in: `dest:`, else `RF:`.
fn folder(f: &Family) -> Option<String> {
    ["dest", "RF"].iter().find_map(|field| {
        let v = f.trusted_field(MAILBOX, field)?;
        f.short(MAILBOX, field, &v.value)
    })
}
