//! Whether two host names belong to one receiving organisation, and which address ranges only an
//! organisation's own network can deliver from.

use std::net::IpAddr;

use super::operators::Operators;
use super::received::ip_range;

pub(crate) fn normalize_host(s: &str) -> String {
    s.trim()
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// How closely a host name matches a receiver name, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum HostMatch {
    Exact,
    Subdomain,
    RegistrableDomain,
    /// Different registrable domains of one operator (`assets/operators.toml`).
    SameOperator,
}

impl HostMatch {
    pub(crate) fn words(self) -> &'static str {
        match self {
            HostMatch::Exact => "is exactly",
            HostMatch::Subdomain => "is a subdomain (or parent) of",
            HostMatch::RegistrableDomain => "shares the registrable domain of",
            HostMatch::SameOperator => "belongs to the same mail operator as",
        }
    }
}

/// How `a` and `b` match as names of one organisation's servers, if they do.
pub(crate) fn host_match(a: &str, b: &str, ops: &Operators) -> Option<HostMatch> {
    let (a, b) = (normalize_host(a), normalize_host(b));
    if a.is_empty() || b.is_empty() {
        return None;
    }
    if a == b {
        return Some(HostMatch::Exact);
    }
    if a.parse::<IpAddr>().is_ok() || b.parse::<IpAddr>().is_ok() {
        return None;
    }
    if a.ends_with(&format!(".{b}")) || b.ends_with(&format!(".{a}")) {
        return Some(HostMatch::Subdomain);
    }
    match (psl::domain_str(&a), psl::domain_str(&b)) {
        (Some(x), Some(y)) if x == y => Some(HostMatch::RegistrableDomain),
        (Some(x), Some(y)) => {
            let (ox, oy) = (ops.of_domain(x)?, ops.of_domain(y)?);
            (ox.name == oy.name).then_some(HostMatch::SameOperator)
        }
        _ => None,
    }
}

/// Whether two names denote the same receiving organisation's server: equal, one a subdomain of
/// the other, the same registrable domain (Public Suffix List), or two domains of one operator
/// (`assets/operators.toml`). IP literals only match equal.
pub fn same_server(a: &str, b: &str, ops: &Operators) -> bool {
    host_match(a, b, ops).is_some()
}

/// The address ranges that only the receiver's own network can deliver from: loopback, private,
/// shared (RFC 6598), unique-local and link-local.
pub(crate) fn internal_ip(ip: IpAddr) -> Option<&'static str> {
    let (code, words) = ip_range(ip)?;
    (code == "hop-private-ip"
        && (words.starts_with("private")
            || words == "loopback"
            || words == "link-local"
            || words.starts_with("shared")
            || words.starts_with("unique-local")))
    .then_some(words)
}

/// Whether a host name is one no outside server can be reached by: `localhost`, a single label
/// (`EXCH01`), or a name under a suffix reserved for internal use (`.local`, `.lan`,
/// `.internal`, `.localdomain`, `.corp`, `.home.arpa`).
pub(crate) fn internal_name(host: &str) -> bool {
    let h = normalize_host(host);
    if h.is_empty() || h.parse::<IpAddr>().is_ok() {
        return false;
    }
    !h.contains('.')
        || [
            ".local",
            ".lan",
            ".internal",
            ".localdomain",
            ".corp",
            ".home.arpa",
            ".intranet",
        ]
        .iter()
        .any(|s| h.ends_with(s))
}

pub(crate) fn same_v6_32(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..2] == b.segments()[..2],
        _ => false,
    }
}
