//! The walk down the receiving organisation's own hops: from the topmost Received it wrote, down
//! through every hop it added after accepting the message (local delivery, content filters,
//! internal relays and hubs, its own gateway), to the hop where the client is the outside sender.
//!
//! Each step needs evidence the receiving organisation itself recorded: a hop written above the
//! boundary is the receiver's text, a hop below it may be the sender's. So only what a hop says
//! about its *client* (an address in an internal range, the reverse DNS name the server looked
//! up, a queue id the receiver assigned, the server that wrote the receiver's own results) lets
//! the walk go below it; the client's HELO never can on its own.

use std::net::IpAddr;

use super::hosts::{HostMatch, host_match, internal_ip, internal_name, same_server, same_v6_32};
use super::operators::{OperatorKind, Operators};
use crate::analysis::model::Hop;

/// What the walk knows about the receiving organisation.
pub(crate) struct Org<'a> {
    pub ops: &'a Operators,
    /// The receiver's name (authserv-id, `--receiver`), when one is known.
    pub receiver: Option<&'a str>,
    /// For an explicit `--receiver`: the match level its hops were found at; the walk's
    /// "written by the receiver" stays at that level.
    pub level: HostMatch,
    /// Hosts that wrote the receiver's own recorded results (A-R / Received-SPF above every
    /// Received header, so written after the last hop).
    pub result_writers: Vec<(String, usize)>,
}

/// The hop a receiver name points at, and how it was reached.
#[derive(Debug, Clone)]
pub(crate) struct ReceiverHop {
    /// The topmost hop the walk started from.
    pub topmost: usize,
    /// The boundary: `topmost`, or a lower hop reached by walking past the receiver's own hops.
    pub chosen: usize,
    /// How the topmost hop's `by` host matched the receiver name, when one was given.
    pub level: Option<HostMatch>,
    /// Header index and reason of every hop walked past.
    pub walked: Vec<(usize, String)>,
}

impl ReceiverHop {
    /// The exact words for `Source::how`.
    pub fn explain(&self, hops: &[Hop], receiver: &str) -> String {
        let top = &hops[self.topmost];
        let mut s = match self.level {
            Some(level) => format!(
                "the topmost Received whose `by` host {} {} {receiver} is header {}",
                top.by_host.as_deref().unwrap_or(""),
                level.words(),
                top.header_index
            ),
            None => format!(
                "no recorded result names the receiver; the walk starts at the topmost Received \
                 (header {})",
                top.header_index
            ),
        };
        for (header, why) in &self.walked {
            s.push_str(&format!("; header {header} is passed over because {why}"));
        }
        if self.chosen != self.topmost {
            s.push_str(&format!(
                "; the boundary is header {} (by {}), where the message came in",
                hops[self.chosen].header_index,
                hops[self.chosen]
                    .by_host
                    .as_deref()
                    .unwrap_or("an unnamed server")
            ));
        } else {
            s.push_str(", and it is the boundary");
        }
        s
    }
}

impl Org<'_> {
    fn level_of(&self, hop: &Hop) -> Option<HostMatch> {
        host_match(hop.by_host.as_deref()?, self.receiver?, self.ops)
    }

    /// Whether `hop` was written by the receiver, at the level the walk allows.
    pub fn owns(&self, hop: &Hop) -> bool {
        self.level_of(hop).is_some_and(|l| l <= self.level)
    }
}

/// The hop a receiver name points at: the topmost Received whose `by` host belongs to the
/// receiver, then down through the older hops the organisation also wrote. With
/// `best_level_only` (an explicit --receiver), an exact `by` host beats a subdomain, which beats
/// the same registrable domain; the walk stays at that level.
pub(crate) fn receiver_hop(
    hops: &[Hop],
    org: &mut Org<'_>,
    best_level_only: bool,
) -> Option<ReceiverHop> {
    org.level = if best_level_only {
        hops.iter().filter_map(|h| org.level_of(h)).min()?
    } else {
        HostMatch::SameOperator
    };
    let topmost = hops.iter().position(|h| org.owns(h))?;
    let level = org.level_of(&hops[topmost]);
    let (chosen, walked) = walk(hops, topmost, org);
    Some(ReceiverHop {
        topmost,
        chosen,
        level,
        walked,
    })
}

/// The walk when no recorded result names the receiver: from the topmost Received down.
pub(crate) fn walk_from_top(hops: &[Hop], org: &Org<'_>) -> Option<ReceiverHop> {
    if hops.is_empty() {
        return None;
    }
    let (chosen, walked) = walk(hops, 0, org);
    Some(ReceiverHop {
        topmost: 0,
        chosen,
        level: None,
        walked,
    })
}

/// From hop `start` down while each hop's client is the organisation's own.
fn walk(hops: &[Hop], start: usize, org: &Org<'_>) -> (usize, Vec<(usize, String)>) {
    let mut i = start;
    let mut walked = Vec::new();
    while let Some(next) = hops.get(i + 1) {
        let Some(why) = inside(&hops[i], next, org) else {
            break;
        };
        walked.push((hops[i].header_index, why));
        i += 1;
    }
    (i, walked)
}

fn client_ip(hop: &Hop) -> Option<IpAddr> {
    hop.from_ip.as_deref().and_then(|s| s.parse().ok())
}

fn rdns_forged(hop: &Hop) -> bool {
    hop.anomalies.iter().any(|a| a.contains("may be forged"))
}

/// The reverse DNS name the server recorded for the client, unless flagged as possibly forged.
fn verified_rdns(hop: &Hop) -> Option<&str> {
    hop.from_rdns
        .as_deref()
        .filter(|r| !r.eq_ignore_ascii_case("unknown") && !rdns_forged(hop))
}

/// Why `hop`'s client is the receiving organisation's own, so the walk may go on to `next` (the
/// older hop, written by that client), or None: `hop` is the boundary.
pub(crate) fn inside(hop: &Hop, next: &Hop, org: &Org<'_>) -> Option<String> {
    if let Some(why) = local_step(hop) {
        return Some(why);
    }
    if let Some(why) = internal_network_client(hop, org.ops) {
        return internal_writer(hop, next, org).then_some(why);
    }
    if let Some(why) = same_machine(hop, next) {
        return Some(why);
    }
    if let Some(why) = unaddressed_client(hop, next, org) {
        return Some(why);
    }
    if let Some(why) = named_client(hop, next, org) {
        return Some(why);
    }
    None
}

/// A hop that records no client at all: local delivery (`(qmail 123 invoked from network)`,
/// `by imap.example.net with LMTP`), a hand-off inside one machine, or a line with neither
/// `from` nor `by` that only a later step can have added above the receiver's hop.
pub(crate) fn local_step(hop: &Hop) -> Option<String> {
    let ip = client_ip(hop);
    let local_protocol = hop.with.as_deref().is_some_and(|w| {
        let w = w.to_ascii_lowercase();
        w.starts_with("lmtp")
            || w.starts_with("utf8lmtp")
            || w == "local"
            || w.starts_with("local-")
            || w.contains("mailbox transport")
    });
    if local_protocol && ip.is_none_or(|ip| internal_ip(ip).is_some()) {
        return Some(format!(
            "it is a local delivery step (with {})",
            hop.with.as_deref().unwrap_or("")
        ));
    }
    if ip.is_none() && hop.from_rdns.is_none() && hop.helo.is_none() {
        return Some(if hop.by_host.is_some() {
            "it records no client: a local hand-off written after the message was accepted".into()
        } else {
            "it records neither a client nor a server: a local step (or an unreadable line) \
             added after the message was accepted"
                .into()
        });
    }
    None
}

/// The address evidence: the client is inside the network of the server that wrote the hop.
pub(crate) fn internal_network_client(hop: &Hop, ops: &Operators) -> Option<String> {
    let ip = client_ip(hop);
    if let Some(ip) = ip
        && let Some(words) = internal_ip(ip)
    {
        return Some(format!("its client {ip} is {words}"));
    }
    if let Some(r) = verified_rdns(hop)
        && (r.eq_ignore_ascii_case("localhost") || r.eq_ignore_ascii_case("localhost.localdomain"))
    {
        return Some(format!(
            "the receiving server looked up its client's name as {r}: a host of its own"
        ));
    }
    let ip = ip?;
    let op = hop.by_host.as_deref().and_then(|b| ops.of_host(b))?;
    if let Some(net) = op.internal_network(ip) {
        return Some(format!(
            "its client {ip} is in {}'s internal relay network {}",
            op.name, net.text
        ));
    }
    // Same /32 as the server's own address counts only for a listed operator: elsewhere a /32
    // can be a shared cloud network that an attacker can rent into.
    if let Some(own) = hop.by_ip.as_deref().and_then(|s| s.parse::<IpAddr>().ok())
        && same_v6_32(ip, own)
    {
        return Some(format!(
            "its client {ip} is in the same /32 as the address the receiving server recorded \
             for itself ({own})"
        ));
    }
    None
}

/// Whether `next` (the older hop) can have been written by the organisation whose internal
/// client `hop` recorded: a server of the receiver's, a name only an internal network resolves,
/// an internal address, or the very host `hop` took the message from.
fn internal_writer(hop: &Hop, next: &Hop, org: &Org<'_>) -> bool {
    let by = next.by_host.as_deref();
    let same_org = |b: &str| {
        org.owns(next)
            || hop
                .by_host
                .as_deref()
                .is_some_and(|own| same_server(b, own, org.ops))
    };
    let names_client = |b: &str| {
        [hop.helo.as_deref(), hop.from_rdns.as_deref()]
            .into_iter()
            .flatten()
            .any(|n| n.eq_ignore_ascii_case(b))
    };
    by.is_none()
        || by.is_some_and(|b| {
            internal_name(b)
                || names_client(b)
                || b.parse::<IpAddr>()
                    .is_ok_and(|ip| internal_ip(ip).is_some())
                || same_org(b)
        })
        || next
            .by_ip
            .as_deref()
            .and_then(|s| s.parse::<IpAddr>().ok())
            .is_some_and(|ip| internal_ip(ip).is_some())
}

fn loopback_by(hop: &Hop) -> bool {
    hop.by_host
        .as_deref()
        .is_some_and(|b| b.eq_ignore_ascii_case("localhost"))
        || [hop.by_ip.as_deref(), hop.by_host.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(|s| s.trim_matches(['[', ']']).parse::<IpAddr>().ok())
            .any(|ip| ip.is_loopback())
}

/// Whether the server recorded that the client authenticated (`with ESMTPA`, `ESMTPSA`,
/// `LMTPA`, RFC 3848).
fn authenticated(hop: &Hop) -> bool {
    hop.with.as_deref().is_some_and(|w| {
        let w = w
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        w.ends_with("SMTPA")
            || w.ends_with("SMTPSA")
            || w.ends_with("LMTPA")
            || w.ends_with("LMTPSA")
    })
}

/// An authenticated client handed the message back to the server that had already received it:
/// the older hop carries the queue id this server assigned, written by the same machine (a list
/// manager or content filter re-injecting into the receiver's own system). The sender cannot know
/// the id the receiver will assign, so it cannot forge the match, and an unauthenticated client
/// never gets this far.
fn same_machine(hop: &Hop, next: &Hop) -> Option<String> {
    let id = hop.id.as_deref().filter(|id| id.len() >= 6)?;
    let same_writer = match (hop.by_host.as_deref(), next.by_host.as_deref()) {
        (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => true,
        _ => loopback_by(hop) && loopback_by(next),
    };
    (authenticated(hop)
        && same_writer
        && next
            .id
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(id)))
    .then(|| {
        format!(
            "its client authenticated ({}) and the hop below carries the same queue id {id}, \
                 assigned by the same server: the receiver's own system handed the message back \
                 to itself",
            hop.with.as_deref().unwrap_or("")
        )
    })
}

/// A hop that names its client but records no address for it (or an unspecified one), where the
/// hop below was written by this server again or by the client it names, under the receiving
/// server's own domain: an internal hand-off logged without addresses.
fn unaddressed_client(hop: &Hop, next: &Hop, org: &Org<'_>) -> Option<String> {
    if client_ip(hop).is_some_and(|ip| !ip.is_unspecified()) {
        return None;
    }
    let (own, below) = (hop.by_host.as_deref()?, next.by_host.as_deref()?);
    let client_names: Vec<&str> = [hop.helo.as_deref(), hop.from_rdns.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let in_org = |name: &str| {
        host_match(name, own, org.ops).is_some_and(|l| l <= HostMatch::RegistrableDomain)
    };
    // The client must be named under the receiving server's own domain: an outside client that
    // left no address is the boundary, whatever copies of the hop lie below it.
    let client_in_org = client_names.iter().any(|n| in_org(n));
    let names_next = client_names.iter().any(|n| n.eq_ignore_ascii_case(below));
    (client_in_org && (below.eq_ignore_ascii_case(own) || names_next) && in_org(below)).then(|| {
        format!(
            "it records no client address, and the hop below was written by {below}, a server \
             of the same organisation as {own}"
        )
    })
}

/// A public client the receiving organisation vouches for by name: its reverse DNS name (as the
/// receiving server looked it up) under the receiver's own domain; the host that wrote the
/// receiver's own recorded results; or the organisation's filtering gateway.
fn named_client(hop: &Hop, next: &Hop, org: &Org<'_>) -> Option<String> {
    let below = next.by_host.as_deref()?;
    let rdns = verified_rdns(hop);
    // Another domain of the same operator only on address evidence: Google's outbound hands
    // Gmail-to-Gmail mail to mx.google.com, and the submission below it is the sender's.
    let next_level = org.level_of(next);
    let next_is_org = org.owns(next) && next_level != Some(HostMatch::SameOperator);
    if let Some(r) = rdns
        && next_is_org
        && org.receiver.is_some_and(|rec| same_server(r, rec, org.ops))
    {
        return Some(format!(
            "its client's reverse DNS name {r}, as the receiving server recorded it, belongs to {}",
            org.receiver.unwrap_or_default()
        ));
    }
    let names = [hop.helo.as_deref(), rdns];
    if names
        .iter()
        .flatten()
        .any(|n| n.eq_ignore_ascii_case(below))
        && let Some((writer, header)) = org
            .result_writers
            .iter()
            .find(|(w, _)| w.eq_ignore_ascii_case(below))
    {
        return Some(format!(
            "its client {writer} wrote the receiver's own recorded result (header {header}) and \
             the hop below: the organisation's gateway"
        ));
    }
    let r = rdns?;
    let op = org.ops.of_host(r)?;
    (op.kind == OperatorKind::Gateway && org.ops.of_host(below).is_some_and(|o| o.name == op.name))
        .then(|| {
            format!(
                "its client {r} (reverse DNS, as the receiving server looked it up) is {}'s \
                 filtering gateway, which wrote the hop below",
                op.name
            )
        })
}
