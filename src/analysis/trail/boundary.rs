//! The trust boundary: which Received header the receiving organisation wrote when it accepted
//! the message from outside, and the SMTP envelope (client IP, HELO, MAIL FROM) read from it.
//!
//! Wording used throughout: headers *above* the boundary in the file were added later, by
//! servers after the receiver (or by the receiver itself). Headers *below* it were written before
//! the receiver got the message, by the sender or intermediaries, and can be forged by the sender.

use std::net::IpAddr;

use super::authres::{
    AuthResultsHeader, authserv_id_of, parse_authentication_results, parse_received_spf,
    recorded_client_ip,
};
use super::received::{human_duration, ip_range};
use super::recorded::receivers_arc_results_agree;
use crate::analysis::Options;
use crate::analysis::model::{Envelope, Header, Hop, Severity, Source, Warning};

fn normalize_host(s: &str) -> String {
    s.trim()
        .trim_matches(|c| c == '[' || c == ']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// How closely a host name matches a receiver name, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum HostMatch {
    Exact,
    Subdomain,
    RegistrableDomain,
    /// Different registrable domains of one operator ([`MULTI_DOMAIN_OPERATORS`]).
    SameOperator,
}

impl HostMatch {
    fn words(self) -> &'static str {
        match self {
            HostMatch::Exact => "is exactly",
            HostMatch::Subdomain => "is a subdomain (or parent) of",
            HostMatch::RegistrableDomain => "shares the registrable domain of",
            HostMatch::SameOperator => "belongs to the same mail operator as",
        }
    }
}

fn host_match(a: &str, b: &str) -> Option<HostMatch> {
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
        (Some(x), Some(y)) if operator_of(x).is_some() && operator_of(x) == operator_of(y) => {
            Some(HostMatch::SameOperator)
        }
        _ => None,
    }
}

/// Mail operators that name their own servers under several registrable domains: a message
/// handed between them stays with one operator (Microsoft 365 passes mail from
/// `*.mail.protection.outlook.com` to `*.outlook.office365.com` to `*.prod.outlook.com`).
const MULTI_DOMAIN_OPERATORS: &[(&str, &[&str])] = &[
    ("Microsoft", &["outlook.com", "office365.com"]),
    ("Google", &["google.com", "gmail.com", "googlemail.com"]),
];

/// IPv6 /32 networks an operator's servers use between themselves only: Exchange Online's
/// internal hops (`from X.namprd12.prod.outlook.com (2603:10b6:…)`). Its internet-facing outbound
/// uses other networks, so an outside sender is never in these.
const OPERATOR_INTERNAL_V6_32: &[(&str, [u16; 2])] = &[
    ("Microsoft", [0x2603, 0x10a6]),
    ("Microsoft", [0x2603, 0x10b6]),
    ("Microsoft", [0x2603, 0x1096]),
];

/// The operator a registrable domain belongs to, per [`MULTI_DOMAIN_OPERATORS`].
fn operator_of(registrable_domain: &str) -> Option<&'static str> {
    MULTI_DOMAIN_OPERATORS
        .iter()
        .find(|(_, domains)| {
            domains
                .iter()
                .any(|d| registrable_domain.eq_ignore_ascii_case(d))
        })
        .map(|(name, _)| *name)
}

/// The operator running `host`, per [`MULTI_DOMAIN_OPERATORS`].
fn operator_of_host(host: &str) -> Option<&'static str> {
    operator_of(psl::domain_str(&normalize_host(host))?)
}

fn same_v6_32(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..2] == b.segments()[..2],
        _ => false,
    }
}

/// Whether two names denote the same receiving organisation's server: equal, one a subdomain of
/// the other, the same registrable domain (Public Suffix List), or two domains of one operator
/// ([`MULTI_DOMAIN_OPERATORS`]). IP literals only match equal.
pub fn same_server(a: &str, b: &str) -> bool {
    host_match(a, b).is_some()
}

/// The topmost Authentication-Results header with its index, parsed (or, when it does not parse,
/// with only the authserv-id that could be read: a lower header is never taken in its place).
fn topmost_auth_results(headers: &[Header]) -> Option<(usize, AuthResultsHeader)> {
    let h = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("authentication-results"))?;
    let ar = parse_authentication_results(&h.value).unwrap_or_else(|_| AuthResultsHeader {
        authserv_id: authserv_id_of(&h.value).unwrap_or_default(),
        ..Default::default()
    });
    Some((h.index, ar))
}

/// The client IP the topmost A-R or Received-SPF recorded (for receivers, like Microsoft's, whose
/// A-R carries no authserv-id to match a `by` host against), with the header it came from.
fn recorded_ip(
    headers: &[Header],
    ar: Option<(usize, &AuthResultsHeader)>,
) -> Option<(IpAddr, String, usize)> {
    if let Some((index, ip)) = ar.and_then(|(i, ar)| {
        ar.results
            .iter()
            .find_map(recorded_client_ip)
            .map(|ip| (i, ip))
    }) {
        return Some((
            ip,
            format!("Authentication-Results (header {index})"),
            index,
        ));
    }
    let spf = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("received-spf"))?;
    let ip = parse_received_spf(&spf.value)
        .ok()
        .and_then(|mr| recorded_client_ip(&mr))?;
    Some((
        ip,
        format!("Received-SPF (header {})", spf.index),
        spf.index,
    ))
}

/// The hop a receiver name points at, and how it was reached.
#[derive(Debug, Clone)]
struct ReceiverHop {
    /// The topmost hop whose `by` host matches (at the best level, for an explicit name).
    topmost: usize,
    /// The boundary: `topmost`, or a lower hop reached by walking past the receiver's own relays.
    chosen: usize,
    level: HostMatch,
    /// Header index and reason of every hop walked past.
    walked: Vec<(usize, String)>,
}

impl ReceiverHop {
    /// The exact words for `Source::how`.
    fn explain(&self, hops: &[Hop], receiver: &str) -> String {
        let top = &hops[self.topmost];
        let mut s = format!(
            "the topmost Received whose `by` host {} {} {receiver} is header {}",
            top.by_host.as_deref().unwrap_or(""),
            self.level.words(),
            top.header_index
        );
        for (header, why) in &self.walked {
            s.push_str(&format!("; header {header} is passed over because {why}"));
        }
        if self.chosen != self.topmost {
            s.push_str(&format!(
                "; the boundary is header {} (by {}), where the message came in",
                hops[self.chosen].header_index,
                hops[self.chosen].by_host.as_deref().unwrap_or("")
            ));
        } else {
            s.push_str(", and it is the boundary");
        }
        s
    }
}

/// The hop where the message entered the receiver: the topmost Received whose `by` host belongs
/// to `receiver`, then down through the older hops the receiver also wrote (content filters,
/// internal relays, `from localhost` re-injections), so the client is the outside sender and not
/// the receiver's own relay. With `best_level_only` (an explicit --receiver), an exact `by` host
/// beats a subdomain, which beats the same registrable domain; the walk stays at that level.
fn receiver_hop(hops: &[Hop], receiver: &str, best_level_only: bool) -> Option<ReceiverHop> {
    let level_of = |h: &Hop| h.by_host.as_deref().and_then(|b| host_match(b, receiver));
    let level = if best_level_only {
        hops.iter().filter_map(level_of).min()?
    } else {
        HostMatch::SameOperator
    };
    let owned = |h: &Hop| level_of(h).is_some_and(|l| l <= level);
    let topmost = hops.iter().position(owned)?;
    let mut pick = ReceiverHop {
        topmost,
        chosen: topmost,
        level: if best_level_only {
            level
        } else {
            level_of(&hops[topmost]).unwrap_or(level)
        },
        walked: Vec::new(),
    };
    // Only walk past a hop whose client the receiver itself recorded as its own: a public client
    // is the boundary, whatever Received lines (forgeable) lie below it.
    // Into a hop of another domain of the same operator only on address evidence: Google's
    // outbound (`mail-sor-f41.google.com`) hands Gmail-to-Gmail mail to `mx.google.com`, and the
    // `smtp.gmail.com` submission below it is the sender's side, not a relay of the receiver.
    let may_step = |hop: &Hop, next: &Hop| {
        loopback_step(hop, next)
            || (owned(next)
                && (level_of(next) != Some(HostMatch::SameOperator)
                    || internal_network_client(hop).is_some()))
    };
    while hops
        .get(pick.chosen + 1)
        .is_some_and(|next| may_step(&hops[pick.chosen], next))
        && let Some(why) = internal_client(&hops[pick.chosen], receiver)
    {
        pick.walked.push((hops[pick.chosen].header_index, why));
        pick.chosen += 1;
    }
    Some(pick)
}

/// The address ranges that only the receiver's own network can deliver from.
fn internal_ip(ip: IpAddr) -> Option<&'static str> {
    let (code, words) = ip_range(ip)?;
    (code == "hop-private-ip"
        && (words.starts_with("private")
            || words == "loopback"
            || words == "link-local"
            || words.starts_with("unique-local")))
    .then_some(words)
}

/// Whether `next` (the older hop) is a step on the same machine as `hop`: `hop` took the message
/// from a loopback client, and `next` was written `by localhost` or by a loopback address (a
/// content filter such as amavis re-injecting into Postfix).
fn loopback_step(hop: &Hop, next: &Hop) -> bool {
    let loopback = |ip: Option<&str>| {
        ip.and_then(|s| s.parse::<IpAddr>().ok())
            .is_some_and(|ip| internal_ip(ip) == Some("loopback"))
    };
    loopback(hop.from_ip.as_deref())
        && (next
            .by_host
            .as_deref()
            .is_some_and(|b| b.eq_ignore_ascii_case("localhost"))
            || loopback(next.by_host.as_deref().map(normalize_host).as_deref())
            || loopback(next.by_ip.as_deref()))
}

/// Why a hop's client is the receiver's own relay, if the receiver itself recorded evidence of
/// it: a private/loopback/link-local client address; for a known multi-domain operator, an IPv6
/// client in the same /32 as the address its server recorded for itself; a client in the internal relay network of
/// the operator running the `by` host ([`OPERATOR_INTERNAL_V6_32`]); or the client's reverse DNS
/// name (as the receiving server looked it up, not the HELO, which the client chooses) under the
/// receiver's domain. Nothing the sender wrote can prove a hop is internal.
fn internal_client(hop: &Hop, receiver: &str) -> Option<String> {
    if let Some(why) = internal_network_client(hop) {
        return Some(why);
    }
    let forged_rdns = hop.anomalies.iter().any(|a| a.contains("may be forged"));
    match hop.from_rdns.as_deref() {
        Some(rdns) if !forged_rdns && same_server(rdns, receiver) => Some(format!(
            "its client's reverse DNS name {rdns}, as the receiving server recorded it, belongs \
             to {receiver}"
        )),
        _ => None,
    }
}

/// The address evidence of [`internal_client`]: the client is inside the network of the server
/// that wrote the hop (whoever that server is).
fn internal_network_client(hop: &Hop) -> Option<String> {
    let client = hop
        .from_ip
        .as_deref()
        .and_then(|s| s.parse::<IpAddr>().ok());
    if let Some(ip) = client
        && let Some(words) = internal_ip(ip)
    {
        return Some(format!("its client {ip} is {words}"));
    }
    // Same /32 as the server's own address counts only for the known multi-domain operators:
    // elsewhere a /32 can be a shared cloud network that an attacker can rent into.
    if let Some(ip) = client
        && let Some(own) = hop.by_ip.as_deref().and_then(|s| s.parse::<IpAddr>().ok())
        && hop.by_host.as_deref().and_then(operator_of_host).is_some()
        && same_v6_32(ip, own)
    {
        return Some(format!(
            "its client {ip} is in the same /32 as the address the receiving server recorded \
             for itself ({own})"
        ));
    }
    if let Some(IpAddr::V6(v6)) = client
        && let Some(op) = hop.by_host.as_deref().and_then(operator_of_host)
        && let Some((_, net)) = OPERATOR_INTERNAL_V6_32
            .iter()
            .find(|(o, net)| *o == op && v6.segments()[..2] == net[..])
    {
        return Some(format!(
            "its client {ip} is in {op}'s internal relay network {:x}:{:x}::/32",
            net[0],
            net[1],
            ip = v6
        ));
    }
    None
}

/// Hops above hop `b` (written later) that the receiver's own servers did not write: a `by` host
/// outside `receiver` taking the message from a client that is not internal.
fn foreign_hops_above(hops: &[Hop], b: usize, receiver: &str) -> Vec<usize> {
    hops.iter()
        .take(b)
        .enumerate()
        .filter(|(_, h)| {
            let ours = h
                .by_host
                .as_deref()
                .is_some_and(|by| same_server(by, receiver));
            let no_outside_client = match h.from_ip.as_deref() {
                None => h.from_rdns.is_none() && h.helo.is_none(),
                Some(_) => internal_network_client(h).is_some(),
            };
            !ours && !no_outside_client
        })
        .map(|(i, _)| i)
        .collect()
}

/// `Received header 3 (by mx.example.net)` for each hop, joined.
fn hop_list_words(hops: &[Hop], list: &[usize]) -> String {
    let words: Vec<String> = list
        .iter()
        .filter_map(|&i| hops.get(i))
        .map(|h| match h.by_host.as_deref() {
            Some(by) => format!("Received header {} (by {by})", h.header_index),
            None => format!("Received header {}", h.header_index),
        })
        .collect();
    words.join(", ")
}

/// What the chosen boundary leaves doubtful: hops written later by other servers, and headers
/// below it (written before the receiver got the message) that claim to be the receiver's.
fn boundary_checks(headers: &[Header], hops: &mut [Hop], b: usize, receiver: &str) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let Some(boundary_header) = hops.get(b).map(|h| h.header_index) else {
        return warnings;
    };
    let foreign = foreign_hops_above(hops, b, receiver);
    if !foreign.is_empty() {
        warnings.push(Warning::new(
            Severity::Warning,
            "hops-above-boundary",
            format!(
                "{} above the trust boundary (Received header {boundary_header}) {} added later \
                 by servers after {receiver}: the boundary may be wrong, and those servers' \
                 own results are what the recipient saw (see --receiver).",
                hop_list_words(hops, &foreign),
                if foreign.len() == 1 { "was" } else { "were" }
            ),
            hops.get(foreign[0]).map(|h| h.header_index),
        ));
    } else if b > 0 {
        let own: Vec<usize> = (0..b).collect();
        warnings.push(Warning::new(
            Severity::Info,
            "hops-above-boundary",
            format!(
                "{} above the trust boundary (Received header {boundary_header}) {} added later \
                 by {receiver}'s own servers.",
                hop_list_words(hops, &own),
                if b == 1 { "was" } else { "were" }
            ),
            hops.first().map(|h| h.header_index),
        ));
    }
    for h in headers.iter().filter(|h| {
        h.index > boundary_header && h.name.eq_ignore_ascii_case("authentication-results")
    }) {
        if let Some(id) = authserv_id_of(&h.value)
            && same_server(&id, receiver)
            && !receivers_arc_results_agree(headers, h, boundary_header)
        {
            warnings.push(Warning::new(
                Severity::Warning,
                "forged-auth-results",
                format!(
                    "Authentication-Results (header {}) claims to be from {id} but sits below \
                     its Received header (header {boundary_header}): written before the receiver \
                     got the message, so the sender could have forged it.",
                    h.index
                ),
                Some(h.index),
            ));
        }
    }
    for hop in hops.iter_mut().skip(b + 1) {
        if hop
            .by_host
            .as_deref()
            .and_then(|by| host_match(by, receiver))
            == Some(HostMatch::Exact)
        {
            hop.anomalies.push(format!(
                "claims to be written by the receiver {receiver} but sits below its Received \
                 header {boundary_header}: written before the receiver got the message (forged, \
                 or the message passed through {receiver} before)"
            ));
        }
    }
    warnings
}

/// The hop a recorded client IP (from the header at `recorded_index`) points at: the topmost
/// Received below that header from that IP. A recorded result only speaks for hops written
/// before it (below it), and never moves the boundary below a receiver hop whose client is
/// public, whatever it says: `Err(Some(why))` when it points at such a hop, `Err(None)` when no
/// hop matches.
fn recorded_ip_hop(
    hops: &[Hop],
    ip: IpAddr,
    recorded_index: usize,
) -> Result<usize, Option<String>> {
    let ip_text = ip.to_string();
    let i = hops
        .iter()
        .position(|h| h.header_index > recorded_index && h.from_ip.as_deref() == Some(&ip_text))
        .ok_or(None)?;
    let Some(by) = hops[i].by_host.as_deref() else {
        return Err(None);
    };
    let foreign = foreign_hops_above(hops, i, by);
    if !foreign.is_empty() {
        return Err(Some(format!(
            "{} above the Received header from it (header {}) {} the message arriving at other \
             servers later",
            hop_list_words(hops, &foreign),
            hops[i].header_index,
            if foreign.len() == 1 { "shows" } else { "show" }
        )));
    }
    match receiver_hop(hops, by, false) {
        Some(pick) if pick.chosen < i => {
            let stop = &hops[pick.chosen];
            Err(Some(format!(
                "Received header {} above it (by {}) took the message from {}, which the \
                 receiver did not record as its own: Received header {} from that IP lies below \
                 the receiver's edge, where the sender could have written it",
                stop.header_index,
                stop.by_host.as_deref().unwrap_or(""),
                stop.from_ip.as_deref().unwrap_or("an outside client"),
                hops[i].header_index
            )))
        }
        _ => Ok(i),
    }
}

/// Decides the trust boundary and reconstructs the SMTP envelope the receiving server saw.
/// Sets `is_boundary` / `below_boundary` on the hops, flags hop dates in the future of
/// `opts.now`, and records where every value came from.
pub fn reconstruct_envelope(
    headers: &[Header],
    hops: &mut [Hop],
    opts: &Options,
) -> (Envelope, Vec<Warning>) {
    let mut env = Envelope::default();
    let mut warnings = Vec::new();

    // Dates later than `now` (a little clock skew allowed).
    const SKEW: i64 = 15 * 60;
    for hop in hops.iter_mut() {
        if let Some(ts) = hop.timestamp
            && opts.now > 0
            && ts > opts.now + SKEW
        {
            hop.anomalies.push(format!(
                "date is {} in the future of the analysis time",
                human_duration(ts - opts.now)
            ));
            warnings.push(Warning::new(
                Severity::Warning,
                "hop-future-date",
                format!(
                    "Received header {} is dated after the analysis time.",
                    hop.header_index
                ),
                Some(hop.header_index),
            ));
        }
    }

    // The trust boundary.
    let mut boundary: Option<usize> = None;
    if let Some(receiver) = opts.receiver.as_deref().filter(|r| !r.trim().is_empty()) {
        env.receiver = Some(receiver.to_string());
        match receiver_hop(hops, receiver, true) {
            Some(pick) => {
                boundary = Some(pick.chosen);
                env.sources.push(Source {
                    field: "receiver".into(),
                    header_index: Some(hops[pick.chosen].header_index),
                    text: receiver.to_string(),
                    how: format!("--receiver given; {}", pick.explain(hops, receiver)),
                });
            }
            None => {
                warnings.push(Warning::new(
                    Severity::Warning,
                    "receiver-not-found",
                    format!(
                        "No Received header was added by the receiver {receiver:?}; the topmost \
                         Received is taken as the boundary."
                    ),
                    None,
                ));
                env.sources.push(Source {
                    field: "receiver".into(),
                    header_index: None,
                    text: receiver.to_string(),
                    how: "--receiver given, but no Received `by` host matches it".into(),
                });
            }
        }
    } else {
        let ar = topmost_auth_results(headers);
        // An A-R is the receiver's only if no hop above the one it points at shows the message
        // arriving at somebody else's server later: else it came with the message.
        let mut ar_usable = true;
        if let Some((ar_index, authserv_id)) = ar
            .as_ref()
            .filter(|(_, ar)| !ar.authserv_id.is_empty())
            .map(|(i, ar)| (*i, ar.authserv_id.clone()))
        {
            match receiver_hop(hops, &authserv_id, false) {
                Some(pick) => {
                    let foreign = foreign_hops_above(hops, pick.chosen, &authserv_id);
                    if foreign.is_empty() {
                        boundary = Some(pick.chosen);
                        env.receiver = Some(authserv_id.clone());
                        env.sources.push(Source {
                            field: "receiver".into(),
                            header_index: Some(ar_index),
                            text: authserv_id.clone(),
                            how: format!(
                                "authserv-id of the topmost Authentication-Results (header \
                                 {ar_index}); {}",
                                pick.explain(hops, &authserv_id)
                            ),
                        });
                    } else {
                        ar_usable = false;
                        warnings.push(Warning::new(
                            Severity::Warning,
                            "auth-results-ignored",
                            format!(
                                "The topmost Authentication-Results (header {ar_index}) names \
                                 {authserv_id:?}, but {} above the hop it points at {} the \
                                 message arriving at other servers later: it was written before \
                                 the receiver got the message, and is not used to find the \
                                 receiver.",
                                hop_list_words(hops, &foreign),
                                if foreign.len() == 1 { "shows" } else { "show" }
                            ),
                            Some(ar_index),
                        ));
                    }
                }
                None => warnings.push(Warning::new(
                    Severity::Info,
                    "receiver-not-matched",
                    format!(
                        "The topmost Authentication-Results (header {ar_index}) was written by \
                         {authserv_id:?}, which matches no Received `by` host."
                    ),
                    Some(ar_index),
                )),
            }
        }
        let ar_for_ip = ar.as_ref().filter(|_| ar_usable).map(|(i, ar)| (*i, ar));
        if boundary.is_none()
            && let Some((ip, from, recorded_index)) = recorded_ip(headers, ar_for_ip)
        {
            match recorded_ip_hop(hops, ip, recorded_index) {
                Ok(i) => {
                    boundary = Some(i);
                    env.receiver = hops[i].by_host.clone();
                    env.sources.push(Source {
                        field: "receiver".into(),
                        header_index: Some(hops[i].header_index),
                        text: hops[i].by_host.clone().unwrap_or_default(),
                        how: format!(
                            "the {from} records client IP {ip}; the topmost Received from that \
                             IP below it (header {}) is the boundary",
                            hops[i].header_index
                        ),
                    });
                }
                Err(Some(why)) => warnings.push(Warning::new(
                    Severity::Warning,
                    "recorded-ip-ignored",
                    format!(
                        "The {from} records client IP {ip}, but {why}; so it is not used to find \
                         the trust boundary."
                    ),
                    Some(recorded_index),
                )),
                Err(None) => {}
            }
        }
    }
    if boundary.is_none() && !hops.is_empty() {
        boundary = Some(0);
        if env.receiver.is_none() {
            env.receiver = hops[0].by_host.clone();
            env.sources.push(Source {
                field: "receiver".into(),
                header_index: Some(hops[0].header_index),
                text: hops[0].by_host.clone().unwrap_or_default(),
                how: format!(
                    "`by` host of the topmost Received (header {}); no Authentication-Results \
                     matched",
                    hops[0].header_index
                ),
            });
        }
    }
    env.boundary_hop = boundary;
    env.boundary_header = boundary.and_then(|b| hops.get(b)).map(|h| h.header_index);
    for (i, hop) in hops.iter_mut().enumerate() {
        hop.is_boundary = Some(i) == boundary;
        // Hops older than the boundary (below it in the file) were written before the receiver
        // got the message.
        hop.below_boundary = boundary.is_some_and(|b| i > b);
    }
    if let (Some(b), Some(receiver)) = (boundary, env.receiver.clone()) {
        warnings.extend(boundary_checks(headers, hops, b, &receiver));
    }
    let boundary_hop = boundary.and_then(|b| hops.get(b));

    // Client IP.
    if let Some(ip) = opts.client_ip {
        env.client_ip = Some(ip.to_string());
        env.sources
            .push(option_source("client_ip", &ip.to_string(), "--ip"));
    } else if let Some(hop) = boundary_hop {
        match &hop.from_ip {
            Some(ip) => {
                env.client_ip = Some(ip.clone());
                env.sources.push(Source {
                    field: "client_ip".into(),
                    header_index: Some(hop.header_index),
                    text: from_clause_text(headers, hop.header_index),
                    how: "the client IP the boundary hop recorded in its from-clause".into(),
                });
                if let Ok(addr) = ip.parse::<IpAddr>()
                    && let Some((code, words)) = ip_range(addr)
                    && code != "hop-documentation-ip"
                {
                    warnings.push(Warning::new(
                        Severity::Warning,
                        "client-ip-private",
                        format!(
                            "The client IP at the trust boundary, {ip}, is {words}: SPF against \
                             it says little about the real sender (is the boundary right? see \
                             --receiver)."
                        ),
                        Some(hop.header_index),
                    ));
                }
            }
            None => warnings.push(Warning::new(
                Severity::Warning,
                "client-ip-missing",
                format!(
                    "The boundary Received header {} records no client IP; SPF cannot be \
                     checked without one (give it with --ip).",
                    hop.header_index
                ),
                Some(hop.header_index),
            )),
        }
    } else {
        warnings.push(Warning::new(
            Severity::Warning,
            "no-received",
            "The message has no Received header: client IP and HELO are unknown (give them \
             with --ip and --helo)."
                .into(),
            None,
        ));
    }

    // HELO.
    if let Some(helo) = opts.helo.as_deref() {
        env.helo = Some(helo.to_string());
        env.sources.push(option_source("helo", helo, "--helo"));
    } else if let Some(hop) = boundary_hop
        && let Some(helo) = &hop.helo
    {
        env.helo = Some(helo.clone());
        env.sources.push(Source {
            field: "helo".into(),
            header_index: Some(hop.header_index),
            text: from_clause_text(headers, hop.header_index),
            how: "the HELO/EHLO name the boundary hop recorded".into(),
        });
    }

    // MAIL FROM.
    if let Some(mf) = opts.mail_from.as_deref() {
        let mf = strip_angle(mf);
        env.mail_from = Some(mf.to_string());
        env.sources
            .push(option_source("mail_from", mf, "--mail-from"));
    } else if let Some(rp) = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("return-path"))
    {
        let mf = strip_angle(&rp.value);
        env.mail_from = Some(mf.to_string());
        env.sources.push(Source {
            field: "mail_from".into(),
            header_index: Some(rp.index),
            text: rp.value.clone(),
            how: if mf.is_empty() {
                "the topmost Return-Path: <> is the null reverse-path (a bounce)".into()
            } else {
                "the reverse-path in the topmost Return-Path".into()
            },
        });
    } else {
        warnings.push(Warning::new(
            Severity::Warning,
            "mail-from-missing",
            "No Return-Path header: the MAIL FROM is unknown, SPF for MAIL FROM cannot be \
             checked (give it with --mail-from)."
                .into(),
            None,
        ));
    }
    env.spf_mail_from = match env.mail_from.as_deref() {
        Some("") => env.helo.as_ref().map(|h| {
            let id = format!("postmaster@{}", h.trim_end_matches('.'));
            env.sources.push(Source {
                field: "spf_mail_from".into(),
                header_index: None,
                text: id.clone(),
                how: "null reverse-path: RFC 7208 §2.4 checks postmaster@<HELO>".into(),
            });
            id
        }),
        Some(mf) if !mf.contains('@') => Some(format!("postmaster@{mf}")),
        Some(mf) => Some(mf.to_string()),
        None => None,
    };
    (env, warnings)
}

/// The address inside `<…>` (a Return-Path may carry a comment after it), else the trimmed text.
fn strip_angle(s: &str) -> &str {
    let t = s.trim();
    match t.strip_prefix('<') {
        Some(rest) => rest.split('>').next().unwrap_or(rest).trim(),
        None => t,
    }
}

fn option_source(field: &str, value: &str, option: &str) -> Source {
    Source {
        field: field.into(),
        header_index: None,
        text: format!("{option} {value}"),
        how: format!("given on the command line ({option}), overriding the headers"),
    }
}

/// The from-clause of a Received header as written (up to ` by `), for `Source::text`.
fn from_clause_text(headers: &[Header], index: usize) -> String {
    let Some(h) = headers.iter().find(|h| h.index == index) else {
        return String::new();
    };
    let v = &h.value;
    let lower = v.to_ascii_lowercase();
    match lower.find(" by ") {
        Some(p) => v[..p].to_string(),
        None => v.clone(),
    }
}

#[cfg(test)]
#[path = "boundary_tests.rs"]
mod tests;
