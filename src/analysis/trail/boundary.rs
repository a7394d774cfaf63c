//! The trust boundary: which Received header the receiving organisation wrote when it accepted
//! the message from outside, and the SMTP envelope (client IP, HELO, MAIL FROM) read from it.
//!
//! Wording used throughout: headers *above* the boundary in the file were added later, by
//! servers after the receiver (or by the receiver itself). Headers *below* it were written before
//! the receiver got the message, by the sender or intermediaries, and can be forged by the sender.

use std::net::IpAddr;

use super::authres::received_spf_receiver;
use super::authres::{
    AuthResultsHeader, authserv_id_of, parse_authentication_results, parse_received_spf,
    recorded_client_ip,
};
use super::headers::clipped;
use super::hosts::{HostMatch, host_match, internal_name, same_server};
use super::operators::Operators;
use super::received::{human_duration, ip_range};
use super::recorded::below_boundary_trust;
use super::walk::{
    Org, ReceiverHop, internal_network_client, local_step, receiver_hop, walk_from_top,
};
use crate::analysis::Options;
use crate::analysis::model::{Envelope, Header, Hop, Severity, Source, Warning};

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

/// Hops above hop `b` (written later) that the receiver's own servers did not write: a `by` host
/// outside `receiver` taking the message from a client that is not internal.
/// With `named_by_results` (the receiver is the writer of the receiver's own recorded results), a
/// hop whose client is the receiver itself is its gateway handing the message inward.
fn foreign_hops_above(
    hops: &[Hop],
    b: usize,
    receiver: &str,
    ops: &Operators,
    named_by_results: bool,
) -> Vec<usize> {
    hops.iter()
        .take(b)
        .enumerate()
        .filter(|(_, h)| {
            let ours = h
                .by_host
                .as_deref()
                .is_some_and(|by| same_server(by, receiver, ops));
            let no_outside_client =
                local_step(h).is_some() || internal_network_client(h, ops).is_some();
            // The receiver's own server handing the message inward (a gateway to the mailbox
            // servers): the hop's client is the receiver itself.
            let from_receiver = named_by_results
                && [h.helo.as_deref(), h.from_rdns.as_deref()]
                    .into_iter()
                    .flatten()
                    .any(|n| host_match(n, receiver, ops) == Some(HostMatch::Exact));
            !ours && !no_outside_client && !from_receiver
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
fn boundary_checks(
    headers: &[Header],
    hops: &mut [Hop],
    b: usize,
    receiver: &str,
    ops: &Operators,
    named_by_results: bool,
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let Some(boundary_header) = hops.get(b).map(|h| h.header_index) else {
        return warnings;
    };
    let foreign = foreign_hops_above(hops, b, receiver, ops, named_by_results);
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
        let placed = Envelope {
            receiver: Some(receiver.to_string()),
            boundary_hop: Some(b),
            boundary_header: Some(boundary_header),
            ..Default::default()
        };
        if let Some(id) = authserv_id_of(&h.value)
            && same_server(&id, receiver, ops)
            && below_boundary_trust(headers, hops, &placed, h, ops).is_err()
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
            .and_then(|by| host_match(by, receiver, ops))
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
    ops: &Operators,
) -> Result<usize, Option<String>> {
    let ip_text = ip.to_string();
    let i = hops
        .iter()
        .position(|h| h.header_index > recorded_index && h.from_ip.as_deref() == Some(&ip_text))
        .ok_or(None)?;
    let Some(by) = hops[i].by_host.as_deref() else {
        return Err(None);
    };
    let foreign = foreign_hops_above(hops, i, by, ops, false);
    if !foreign.is_empty() {
        return Err(Some(format!(
            "{} above the Received header from it (header {}) {} the message arriving at other \
             servers later",
            hop_list_words(hops, &foreign),
            hops[i].header_index,
            if foreign.len() == 1 { "shows" } else { "show" }
        )));
    }
    let mut org = Org {
        ops,
        receiver: Some(by),
        level: HostMatch::SameOperator,
        result_writers: Vec::new(),
    };
    match receiver_hop(hops, &mut org, false) {
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
    let mut warnings = future_dates(hops, opts.now);

    let decision = decide_boundary(headers, hops, opts);
    warnings.extend(decision.warnings.iter().cloned());
    env.sources.extend(decision.source);
    env.receiver = decision.receiver;
    let boundary = decision.hop;
    for (header, why) in &decision.walked {
        if let Some(hop) = hops.iter_mut().find(|h| h.header_index == *header) {
            hop.internal = Some(why.as_str().into());
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
        warnings.extend(boundary_checks(
            headers,
            hops,
            b,
            &receiver,
            &opts.operators,
            decision.named_by_results,
        ));
    }
    let boundary_hop = boundary.and_then(|b| hops.get(b));
    client_ip(&mut env, &mut warnings, headers, boundary_hop, opts);
    helo(&mut env, headers, boundary_hop, opts);
    mail_from(&mut env, &mut warnings, headers, opts);
    // A source quotes its header; the header itself is in the analysis once, whole.
    for source in &mut env.sources {
        clip_quote(&mut source.text);
    }
    (env, warnings)
}

/// Longest quotation of a header kept in a derived value.
const MAX_QUOTE: usize = 1000;

/// Cuts `text` to [`MAX_QUOTE`] characters, saying how many more the header has.
fn clip_quote(text: &mut String) {
    if let std::borrow::Cow::Owned(cut) = clipped(text, MAX_QUOTE) {
        *text = cut;
    }
}

/// Flags hop dates later than `now` (a little clock skew allowed).
fn future_dates(hops: &mut [Hop], now: i64) -> Vec<Warning> {
    const SKEW: i64 = 15 * 60;
    let mut warnings = Vec::new();
    for hop in hops.iter_mut() {
        if let Some(ts) = hop.timestamp
            && now > 0
            && ts > now + SKEW
        {
            hop.anomalies.push(format!(
                "date is {} in the future of the analysis time",
                human_duration(ts - now)
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
    warnings
}

/// The trust boundary and the receiver, with how they were found.
#[derive(Default)]
struct Decision {
    hop: Option<usize>,
    receiver: Option<String>,
    source: Option<Source>,
    walked: Vec<(usize, String)>,
    warnings: Vec<Warning>,
    /// The receiver was named by its own recorded results (an authserv-id).
    named_by_results: bool,
}

impl Decision {
    fn at(pick: &ReceiverHop, receiver: &str, how: String, header: Option<usize>) -> Decision {
        Decision {
            hop: Some(pick.chosen),
            receiver: Some(receiver.to_string()),
            source: Some(Source {
                field: "receiver".into(),
                header_index: header,
                text: receiver.to_string(),
                how,
            }),
            walked: pick.walked.clone(),
            warnings: Vec::new(),
            named_by_results: false,
        }
    }
}

/// In order: `--receiver`; the authserv-id of the topmost Authentication-Results; the client IP
/// a recorded result names; else the walk from the topmost Received.
fn decide_boundary(headers: &[Header], hops: &[Hop], opts: &Options) -> Decision {
    let writers = result_writers(headers, hops);
    if let Some(receiver) = opts.receiver.as_deref().filter(|r| !r.trim().is_empty()) {
        return boundary_from_option(hops, receiver, opts, writers);
    }
    let mut warnings = Vec::new();
    let ar = topmost_auth_results(headers);
    let (decision, ar_usable) = boundary_from_auth_results(hops, ar.as_ref(), opts, &writers);
    if let Some(d) = decision {
        if d.hop.is_some() {
            return d;
        }
        warnings.extend(d.warnings);
    }
    let ar_for_ip = ar.as_ref().filter(|_| ar_usable).map(|(i, ar)| (*i, ar));
    if let Some((ip, from, recorded_index)) = recorded_ip(headers, ar_for_ip) {
        match recorded_ip_hop(hops, ip, recorded_index, &opts.operators) {
            Ok(i) => {
                let by = hops[i].by_host.as_deref().unwrap_or_default().to_string();
                return Decision {
                    hop: Some(i),
                    receiver: hops[i].by_host.as_deref().map(str::to_string),
                    source: Some(Source {
                        field: "receiver".into(),
                        header_index: Some(hops[i].header_index),
                        text: by,
                        how: format!(
                            "the {from} records client IP {ip}; the topmost Received from that \
                             IP below it (header {}) is the boundary",
                            hops[i].header_index
                        ),
                    }),
                    walked: Vec::new(),
                    warnings,
                    named_by_results: false,
                };
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
    let mut d = boundary_from_walk(hops, opts, writers);
    d.warnings.splice(0..0, warnings);
    d
}

/// Hosts named as the writer of a recorded result that sits above every Received header, so was
/// added after the last hop, by the receiving side: (host, header index).
fn result_writers(headers: &[Header], hops: &[Hop]) -> Vec<(String, usize)> {
    let top = hops.first().map_or(usize::MAX, |h| h.header_index);
    headers
        .iter()
        .filter(|h| h.index < top)
        .filter_map(|h| {
            let name = h.name.to_ascii_lowercase();
            let id = match name.as_str() {
                "authentication-results" => authserv_id_of(&h.value),
                "received-spf" => parse_received_spf(&h.value)
                    .ok()
                    .and_then(|mr| received_spf_receiver(&mr)),
                _ => None,
            }?;
            (id.contains('.')).then_some((id, h.index))
        })
        .collect()
}

fn boundary_from_option(
    hops: &[Hop],
    receiver: &str,
    opts: &Options,
    writers: Vec<(String, usize)>,
) -> Decision {
    let mut org = Org {
        ops: &opts.operators,
        receiver: Some(receiver),
        level: HostMatch::SameOperator,
        result_writers: writers,
    };
    if let Some(pick) = receiver_hop(hops, &mut org, true) {
        let how = format!("--receiver given; {}", pick.explain(hops, receiver));
        let header = Some(hops[pick.chosen].header_index);
        return Decision::at(&pick, receiver, how, header);
    }
    let mut d = boundary_from_walk(hops, opts, org.result_writers);
    d.receiver = Some(receiver.to_string());
    d.warnings.push(Warning::new(
        Severity::Warning,
        "receiver-not-found",
        format!(
            "No Received header was added by the receiver {receiver:?}; the boundary is where \
             the walk from the topmost Received stops."
        ),
        None,
    ));
    d.source = Some(Source {
        field: "receiver".into(),
        header_index: None,
        text: receiver.to_string(),
        how: "--receiver given, but no Received `by` host matches it".into(),
    });
    d
}

/// The receiver named by the topmost Authentication-Results' authserv-id, when a hop's `by` host
/// matches it and no hop above shows the message arriving at somebody else's server later.
/// Returns whether that A-R may still be read for its client IP.
fn boundary_from_auth_results(
    hops: &[Hop],
    ar: Option<&(usize, AuthResultsHeader)>,
    opts: &Options,
    writers: &[(String, usize)],
) -> (Option<Decision>, bool) {
    let Some((ar_index, authserv_id)) = ar
        .filter(|(_, ar)| !ar.authserv_id.is_empty())
        .map(|(i, ar)| (*i, ar.authserv_id.as_str()))
    else {
        return (None, true);
    };
    let mut org = Org {
        ops: &opts.operators,
        receiver: Some(authserv_id),
        level: HostMatch::SameOperator,
        result_writers: writers.to_vec(),
    };
    let Some(pick) = receiver_hop(hops, &mut org, false) else {
        let w = Warning::new(
            Severity::Info,
            "receiver-not-matched",
            format!(
                "The topmost Authentication-Results (header {ar_index}) was written by \
                 {authserv_id:?}, which matches no Received `by` host."
            ),
            Some(ar_index),
        );
        return (
            Some(Decision {
                warnings: vec![w],
                ..Default::default()
            }),
            true,
        );
    };
    let foreign = foreign_hops_above(hops, pick.topmost, authserv_id, &opts.operators, true);
    if foreign.is_empty() {
        let how = format!(
            "authserv-id of the topmost Authentication-Results (header {ar_index}); {}",
            pick.explain(hops, authserv_id)
        );
        let mut d = Decision::at(&pick, authserv_id, how, Some(ar_index));
        d.named_by_results = true;
        return (Some(d), true);
    }
    let w = Warning::new(
        Severity::Warning,
        "auth-results-ignored",
        format!(
            "The topmost Authentication-Results (header {ar_index}) names {authserv_id:?}, but \
             {} above the hop it points at {} the message arriving at other servers later: it \
             was written before the receiver got the message, and is not used to find the \
             receiver.",
            hop_list_words(hops, &foreign),
            if foreign.len() == 1 { "shows" } else { "show" }
        ),
        Some(ar_index),
    );
    (
        Some(Decision {
            warnings: vec![w],
            ..Default::default()
        }),
        false,
    )
}

/// No recorded result names the receiver: walk from the topmost Received, and name the receiver
/// after the server that wrote the boundary hop.
fn boundary_from_walk(hops: &[Hop], opts: &Options, writers: Vec<(String, usize)>) -> Decision {
    // The organisation is named by the first real server name from the top (not `localhost`,
    // an internal-only name or an address literal).
    let first_name = hops
        .iter()
        .filter_map(|h| h.by_host.as_deref())
        .find(|b| b.contains('.') && b.parse::<IpAddr>().is_err() && !internal_name(b));
    let org = Org {
        ops: &opts.operators,
        receiver: first_name,
        level: HostMatch::SameOperator,
        result_writers: writers,
    };
    let Some(pick) = walk_from_top(hops, &org) else {
        return Decision::default();
    };
    let hop = &hops[pick.chosen];
    // `by localhost` (a content filter's own hop) names no organisation: the first real name
    // from the top does.
    let named = |b: &&str| b.contains('.') && b.parse::<IpAddr>().is_err() && !internal_name(b);
    let receiver = hop
        .by_host
        .as_deref()
        .filter(named)
        .or(first_name)
        .or(hop.by_host.as_deref())
        .map(str::to_string);
    let mut d = Decision::at(
        &pick,
        receiver.as_deref().unwrap_or_default(),
        String::new(),
        Some(hop.header_index),
    );
    d.receiver = receiver;
    if let Some(s) = d.source.as_mut() {
        s.how = if pick.walked.is_empty() {
            format!(
                "`by` host of the topmost Received (header {}); no Authentication-Results \
                 matched",
                hop.header_index
            )
        } else {
            format!(
                "{}; {}",
                if hop.by_host.as_deref() == Some(s.text.as_str()) {
                    "`by` host of the boundary hop"
                } else {
                    "the first server named from the top (the boundary hop's `by` names no \
                     organisation)"
                },
                pick.explain(hops, s.text.as_str())
            )
        };
    }
    d
}

/// The client IP: `--ip`, else what the boundary hop recorded.
fn client_ip(
    env: &mut Envelope,
    warnings: &mut Vec<Warning>,
    headers: &[Header],
    boundary_hop: Option<&Hop>,
    opts: &Options,
) {
    // Client IP.
    if let Some(ip) = opts.client_ip {
        env.client_ip = Some(ip.to_string());
        env.sources
            .push(option_source("client_ip", &ip.to_string(), "--ip"));
    } else if let Some(hop) = boundary_hop {
        match &hop.from_ip {
            Some(ip) => {
                env.client_ip = Some(ip.to_string());
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
}

/// The HELO: `--helo`, else what the boundary hop recorded.
fn helo(env: &mut Envelope, headers: &[Header], boundary_hop: Option<&Hop>, opts: &Options) {
    if let Some(helo) = opts.helo.as_deref() {
        env.helo = Some(helo.to_string());
        env.sources.push(option_source("helo", helo, "--helo"));
    } else if let Some(hop) = boundary_hop
        && let Some(helo) = &hop.helo
    {
        env.helo = Some(helo.to_string());
        env.sources.push(Source {
            field: "helo".into(),
            header_index: Some(hop.header_index),
            text: from_clause_text(headers, hop.header_index),
            how: "the HELO/EHLO name the boundary hop recorded".into(),
        });
    }
}

/// The MAIL FROM: `--mail-from`, else the topmost Return-Path; and the identity SPF checks.
/// Longest Return-Path read as a reverse-path (RFC 5321 allows 256 octets; some slack for
/// comments and folding).
const MAX_REVERSE_PATH: usize = 1024;

fn mail_from(env: &mut Envelope, warnings: &mut Vec<Warning>, headers: &[Header], opts: &Options) {
    if let Some(mf) = opts.mail_from.as_deref() {
        let mf = strip_angle(mf);
        env.mail_from = Some(mf.to_string());
        env.sources
            .push(option_source("mail_from", mf, "--mail-from"));
    } else if let Some(rp) = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("return-path"))
        && rp.value.len() > MAX_REVERSE_PATH
    {
        // RFC 5321 §4.5.3.1.3 caps a reverse-path at 256 octets: megabytes here are an attack
        // on the reader (copied into every place that quotes the MAIL FROM), not an address.
        warnings.push(Warning::new(
            Severity::Warning,
            "mail-from-too-long",
            format!(
                "The Return-Path (header {}) is {} bytes long, longer than any reverse-path \
                 (RFC 5321 §4.5.3.1.3: 256 octets): the MAIL FROM is taken as unknown (give it \
                 with --mail-from).",
                rp.index,
                rp.value.len()
            ),
            Some(rp.index),
        ));
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
