//! Which recorded results (Authentication-Results, Received-SPF, ARC-Authentication-Results) the
//! receiving server wrote itself, and so can be trusted, and which came with the message.

use super::authres::MAX_RESULTS;
use super::authres::{
    MethodResult, parse_authentication_results, parse_received_spf, prop, received_spf_receiver,
    recorded_client_ip,
};
use super::hosts::same_server;
use super::operators::Operators;
use crate::analysis::model::{Agreement, Envelope, Header, Hop, RecordedResult, Severity, Warning};

/// A header's authserv-id and its results.
type Parsed = (String, Vec<MethodResult>);

/// What the trust decision knows about the receiving side.
pub struct Receiving<'a> {
    pub headers: &'a [Header],
    pub hops: &'a [Hop],
    pub envelope: &'a Envelope,
    pub ops: &'a Operators,
}

/// Every result recorded in the message, each marked trusted when the receiver wrote it: its
/// authserv-id belongs to the receiver (`envelope.receiver`, the same rule as the trust
/// boundary) and it sits where the receiver writes its results. `ours` is left empty for
/// `compare`.
pub fn recorded_results(rx: &Receiving<'_>) -> Vec<RecordedResult> {
    let mut out = Vec::new();
    let headers = rx.headers;
    let writer = unnamed_writer(rx);
    for h in recorded_headers(headers).take(MAX_RECORDED_HEADERS) {
        let lname = h.name.to_ascii_lowercase();
        let (parsed, instance): (Result<Parsed, String>, Option<String>) = match lname.as_str() {
            "authentication-results" | "x-ms-exchange-authentication-results" => (
                parse_authentication_results(&h.value).map(|ar| (ar.authserv_id, ar.results)),
                None,
            ),
            "arc-authentication-results" => {
                let (inst, rest) = split_arc_instance(&h.value);
                (
                    parse_authentication_results(rest).map(|ar| (ar.authserv_id, ar.results)),
                    inst,
                )
            }
            "received-spf" => (
                parse_received_spf(&h.value)
                    .map(|mr| (received_spf_receiver(&mr).unwrap_or_default(), vec![mr])),
                None,
            ),
            _ => continue,
        };
        let (authserv_id, results) = match parsed {
            Ok(p) => p,
            Err(e) => {
                out.push(RecordedResult {
                    header_index: h.index,
                    header_name: h.name.clone(),
                    authserv_id: None,
                    recorded_by: None,
                    trusted: false,
                    method: String::new(),
                    result: String::new(),
                    reason: None,
                    properties: Vec::new(),
                    comment: None,
                    ours: None,
                    agreement: Agreement::NotCompared,
                    note: Some(format!("could not be parsed: {e}")),
                    signature: None,
                    disposition: None,
                    also_in_headers: Vec::new(),
                });
                continue;
            }
        };
        let (trusted, trust_note) = trust(rx, h, &lname, &authserv_id);
        for mr in results {
            let signature = (mr.method == "dkim")
                .then(|| dkim_signature_words(&mr.properties))
                .flatten();
            let disposition = (mr.method == "dmarc")
                .then(|| recorded_disposition(&mr))
                .flatten();
            let mut properties = mr.properties;
            if let Some(i) = &instance {
                properties.insert(0, ("i".into(), i.clone()));
            }
            out.push(RecordedResult {
                header_index: h.index,
                header_name: h.name.clone(),
                authserv_id: (!authserv_id.is_empty()).then(|| authserv_id.clone()),
                recorded_by: authserv_id.is_empty().then(|| writer.clone()).flatten(),
                trusted,
                method: mr.method,
                result: mr.result,
                reason: mr.reason,
                properties,
                comment: mr.comment,
                ours: None,
                agreement: Agreement::NotCompared,
                note: trust_note.clone(),
                signature,
                disposition,
                also_in_headers: Vec::new(),
            });
        }
    }
    distrust_contradictions(&mut out, rx);
    merge_repeated_arc_results(out)
}

/// Recorded-result headers read from one message (budget): receivers write a handful; the
/// rest are counted in a warning, not read.
pub const MAX_RECORDED_HEADERS: usize = 100;

/// The headers that record results, in order.
fn recorded_headers(headers: &[Header]) -> impl Iterator<Item = &Header> {
    headers.iter().filter(|h| {
        [
            "authentication-results",
            "x-ms-exchange-authentication-results",
            "arc-authentication-results",
            "received-spf",
        ]
        .iter()
        .any(|n| h.name.eq_ignore_ascii_case(n))
    })
}

/// Warnings for the budgets the recorded results hit: headers beyond
/// [`MAX_RECORDED_HEADERS`], results beyond `authres::MAX_RESULTS` in one header.
pub fn budget_warnings(headers: &[Header]) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let all = recorded_headers(headers).count();
    if all > MAX_RECORDED_HEADERS {
        warnings.push(Warning::new(
            Severity::Warning,
            "budget-recorded-headers",
            format!(
                "The message carries {all} Authentication-Results / Received-SPF / ARC headers; \
                 the first {MAX_RECORDED_HEADERS} were read and {} were not (budget: recorded \
                 headers per message).",
                all - MAX_RECORDED_HEADERS
            ),
            None,
        ));
    }
    for h in recorded_headers(headers).take(MAX_RECORDED_HEADERS) {
        let value = if h.name.eq_ignore_ascii_case("arc-authentication-results") {
            split_arc_instance(&h.value).1
        } else {
            &h.value
        };
        if !h.name.eq_ignore_ascii_case("received-spf")
            && let Ok(ar) = parse_authentication_results(value)
            && ar.unread > 0
        {
            warnings.push(Warning::new(
                Severity::Warning,
                "budget-results-per-header",
                format!(
                    "{} (header {}) records {} results; the first {MAX_RESULTS} were read and {} \
                     were not (budget: results per header).",
                    h.name,
                    h.index,
                    ar.results.len() + ar.unread,
                    ar.unread
                ),
                Some(h.index),
            ));
        }
    }
    warnings
}

/// Who wrote results that carry no authserv-id (Microsoft writes none), from the receiver's
/// markers: a Received-SPF `receiver=`, an operator's header markers, or the operator of the
/// boundary hop's server.
fn unnamed_writer(rx: &Receiving<'_>) -> Option<String> {
    let spf_receiver = rx.headers.iter().find_map(|h| {
        h.name
            .eq_ignore_ascii_case("received-spf")
            .then(|| parse_received_spf(&h.value).ok())
            .flatten()
            .and_then(|mr| received_spf_receiver(&mr))
    });
    let op = rx
        .headers
        .iter()
        .find_map(|h| rx.ops.of_marker(&h.name))
        .or_else(|| {
            let hop = rx.hops.get(rx.envelope.boundary_hop?)?;
            rx.ops.of_host(hop.by_host.as_deref()?)
        })
        .or_else(|| rx.ops.of_host(spf_receiver.as_deref()?));
    match (op, spf_receiver) {
        (Some(op), Some(host)) => Some(format!("{} ({host})", op.name)),
        (Some(op), None) => Some(op.label().to_string()),
        (None, Some(host)) => Some(host),
        (None, None) => None,
    }
}

/// A trusted result below the boundary that another trusted result by the receiver contradicts
/// (the same method, another result, in a header above it) is not the receiver's: the receiver
/// decided once.
fn distrust_contradictions(rows: &mut [RecordedResult], rx: &Receiving<'_>) {
    let Some(boundary) = rx.envelope.boundary_header else {
        return;
    };
    // Per method, the first header of each result the receiver wrote (trusted, not ARC): one
    // lookup a row, whatever the number of results.
    let mut first: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for r in rows.iter().filter(|r| {
        r.trusted
            && !r
                .header_name
                .eq_ignore_ascii_case("arc-authentication-results")
    }) {
        let e = first
            .entry((r.method.to_ascii_lowercase(), r.result.to_ascii_lowercase()))
            .or_insert(r.header_index);
        *e = (*e).min(r.header_index);
    }
    for r in rows
        .iter_mut()
        .filter(|r| r.trusted && r.header_index > boundary)
    {
        let method = r.method.to_ascii_lowercase();
        let result = r.result.to_ascii_lowercase();
        let contradiction = first
            .iter()
            .filter(|((m, res), index)| *m == method && *res != result && **index < r.header_index)
            .min_by_key(|(_, index)| **index)
            .map(|((m, res), index)| (*index, m.clone(), res.clone()));
        if let Some((index, method, result)) = contradiction {
            r.trusted = false;
            r.add_note(format!(
                "contradicts the receiver's own {method}={result} in header {index} above it: \
                 the receiver decided once, so this one was not written by it"
            ));
        }
    }
}

/// `d=example.com s=sel1` (or `i=@example.com`) for a recorded dkim result.
fn dkim_signature_words(props: &[(String, String)]) -> Option<String> {
    let words: Vec<String> = [("header.d", "d"), ("header.s", "s"), ("header.i", "i")]
        .iter()
        .filter_map(|(k, short)| {
            prop(props, k)
                .filter(|v| !v.is_empty())
                .map(|v| format!("{short}={v}"))
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// What the receiver recorded it did with a dmarc result: `dis=` in the comment (Gmail, Yahoo),
/// `action=` (Microsoft), `policy.applied-disposition` / `policy.disposition` (DMARCbis-style).
fn recorded_disposition(mr: &MethodResult) -> Option<String> {
    let from_props = ["policy.applied-disposition", "policy.disposition", "action"]
        .iter()
        .find_map(|k| prop(&mr.properties, k).filter(|v| !v.is_empty()));
    let from_comment = || comment_value(mr.comment.as_deref()?, "dis");
    from_props
        .map(|v| v.to_ascii_lowercase())
        .or_else(from_comment)
}

/// `key=value` inside a result's comment (`p=REJECT sp=REJECT dis=NONE`), lower case.
fn comment_value(comment: &str, key: &str) -> Option<String> {
    comment
        .split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .find_map(|w| {
            let (k, v) = w.split_once('=')?;
            (k.eq_ignore_ascii_case(key) && !v.is_empty()).then(|| v.to_ascii_lowercase())
        })
}

/// The policy the receiver recorded for a dmarc result: `policy.dmarc=` or `p=` in the comment.
pub(crate) fn recorded_policy(r: &RecordedResult) -> Option<String> {
    prop(&r.properties, "policy.dmarc")
        .filter(|v| !v.is_empty())
        .map(|v| v.to_ascii_lowercase())
        .or_else(|| comment_value(r.comment.as_deref()?, "p"))
}

/// An intermediary records its results twice, in its own A-R and in its ARC-A-R: one row for
/// both, saying where else it is.
fn merge_repeated_arc_results(rows: Vec<RecordedResult>) -> Vec<RecordedResult> {
    type Key = (
        bool,
        Option<String>,
        String,
        String,
        Vec<(String, String)>,
        bool,
    );
    let is_arc = |r: &RecordedResult| {
        r.header_name
            .eq_ignore_ascii_case("arc-authentication-results")
    };
    let mergeable = |r: &RecordedResult| {
        r.authserv_id.is_some()
            && (is_arc(r) || r.header_name.eq_ignore_ascii_case("authentication-results"))
    };
    let key = |r: &RecordedResult, arc: bool| -> Key {
        (
            r.trusted,
            r.authserv_id.clone(),
            r.method.clone(),
            r.result.clone(),
            props_without_instance(r),
            arc,
        )
    };
    // The first kept row of each kind (A-R or ARC-A-R) by what it records: one lookup a row.
    let mut first: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    let mut out: Vec<RecordedResult> = Vec::with_capacity(rows.len());
    for row in rows {
        let twin = mergeable(&row)
            .then(|| first.get(&key(&row, !is_arc(&row))).copied())
            .flatten();
        match twin {
            Some(i) => {
                let kept = &mut out[i];
                kept.also_in_headers.push(row.header_index);
                let (arc_row, other) = if is_arc(&row) {
                    (&row, kept.header_index)
                } else {
                    (&*kept, row.header_index)
                };
                let instance = prop(&arc_row.properties, "i")
                    .map(|i| format!(" i={i}"))
                    .unwrap_or_default();
                let text = format!(
                    "carried by both Authentication-Results (header {other}) and \
                     ARC-Authentication-Results{instance} (header {})",
                    arc_row.header_index
                );
                kept.add_note(text);
            }
            None => {
                if mergeable(&row) {
                    first.entry(key(&row, is_arc(&row))).or_insert(out.len());
                }
                out.push(row);
            }
        }
    }
    out
}

fn props_without_instance(r: &RecordedResult) -> Vec<(String, String)> {
    let mut p: Vec<(String, String)> = r
        .properties
        .iter()
        .filter(|(k, _)| k != "i")
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
        .collect();
    p.sort();
    p
}

/// Whether an ARC-Authentication-Results above the boundary Received header `boundary_header`,
/// by the same authserv-id as the Authentication-Results `ar`, records exactly the same results:
/// each `method=result` with the same properties (`header.from`, `header.d`, `smtp.mailfrom`, …;
/// comments aside). Gmail writes its A-R just below its own Received and the same results in its
/// ARC-A-R above it: that A-R says nothing the receiver did not, whoever wrote it.
pub fn receivers_arc_results_agree(
    headers: &[Header],
    ar: &Header,
    boundary_header: usize,
) -> bool {
    type Entry = (String, String, Vec<(String, String)>);
    let set = |id: &str, results: &[MethodResult]| {
        let mut v: Vec<Entry> = results
            .iter()
            .map(|m| {
                let mut props: Vec<(String, String)> = m
                    .properties
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.to_ascii_lowercase()))
                    .collect();
                props.sort();
                (
                    m.method.to_ascii_lowercase(),
                    m.result.to_ascii_lowercase(),
                    props,
                )
            })
            .collect();
        v.sort();
        (id.to_string(), v)
    };
    let Ok(parsed) = parse_authentication_results(&ar.value) else {
        return false;
    };
    if parsed.authserv_id.is_empty() || parsed.results.is_empty() {
        return false;
    }
    let mine = set(&parsed.authserv_id, &parsed.results);
    headers
        .iter()
        .filter(|h| {
            h.index < boundary_header && h.name.eq_ignore_ascii_case("arc-authentication-results")
        })
        .filter_map(|h| parse_authentication_results(split_arc_instance(&h.value).1).ok())
        .any(|aar| set(&aar.authserv_id, &aar.results) == mine)
}

/// The MAIL FROM (or HELO) identity an spf result is about: `smtp.mailfrom`/`envelope-from`/
/// `smtp.helo`/`helo`, else the `domain of X designates` of the comment (Gmail).
fn spf_identity(mr: &MethodResult) -> Option<String> {
    for key in ["smtp.mailfrom", "envelope-from", "smtp.helo", "helo"] {
        if let Some(v) = prop(&mr.properties, key).filter(|v| !v.trim().is_empty()) {
            return Some(v.trim().trim_matches(['<', '>']).to_ascii_lowercase());
        }
    }
    let c = mr.comment.as_deref()?;
    let p = c.find("domain of ")?;
    let word = c[p + "domain of ".len()..].split_whitespace().next()?;
    Some(word.trim_matches(['<', '>']).to_ascii_lowercase())
}

/// Whether the receiver's own ARC-Authentication-Results above the boundary Received header (by
/// an authserv-id of the receiver's) records the same spf result as the Received-SPF `spf`: same
/// result, same client IP, same identity. Gmail writes its Received-SPF below its own Received
/// and the same result in its ARC-A-R above it.
fn receivers_arc_spf_agrees(
    headers: &[Header],
    spf: &MethodResult,
    receiver: &str,
    boundary_header: usize,
    ops: &Operators,
) -> bool {
    let (Some(ip), Some(identity)) = (recorded_client_ip(spf), spf_identity(spf)) else {
        return false;
    };
    headers
        .iter()
        .filter(|h| {
            h.index < boundary_header && h.name.eq_ignore_ascii_case("arc-authentication-results")
        })
        .filter_map(|h| parse_authentication_results(split_arc_instance(&h.value).1).ok())
        .filter(|aar| !aar.authserv_id.is_empty() && same_server(&aar.authserv_id, receiver, ops))
        .flat_map(|aar| aar.results)
        .any(|m| {
            m.method.eq_ignore_ascii_case("spf")
                && m.result.eq_ignore_ascii_case(&spf.result)
                && recorded_client_ip(&m) == Some(ip)
                && spf_identity(&m).as_deref() == Some(identity.as_str())
        })
}

/// `i=N; rest` of an ARC-Authentication-Results.
pub(crate) fn split_arc_instance(value: &str) -> (Option<String>, &str) {
    let t = value.trim_start();
    if let Some((first, rest)) = t.split_once(';') {
        let first = first.trim();
        if let Some(n) = first
            .strip_prefix("i=")
            .or_else(|| first.strip_prefix("I="))
        {
            return (Some(n.trim().to_string()), rest);
        }
    }
    (None, value)
}

/// An authserv-id that is not a host name (no dot): a local filter's label.
fn authserv_id_is_local_name(id: &str) -> bool {
    !id.is_empty() && !id.contains('.') && !id.eq_ignore_ascii_case("localhost")
}

/// Whether header `h` sits above every Received header, and every Received header from the top
/// down to the boundary was written by the receiver (its `by` host is the receiver's, or
/// `localhost`): nobody but the receiver handled the message after it got it.
fn above_receivers_hops(rx: &Receiving<'_>, h: &Header, receiver: &str) -> bool {
    let Some(boundary) = rx.envelope.boundary_header else {
        return false;
    };
    // The hops are the Received headers, top first, already read.
    let mut received = rx
        .hops
        .iter()
        .filter(|hop| hop.header_index <= boundary)
        .peekable();
    received
        .peek()
        .is_some_and(|top| h.index < top.header_index)
        && received.all(|hop| {
            hop.by_host.as_deref().is_some_and(|by| {
                by.eq_ignore_ascii_case("localhost") || same_server(by, receiver, rx.ops)
            })
        })
}

fn trust(rx: &Receiving<'_>, h: &Header, lname: &str, authserv_id: &str) -> (bool, Option<String>) {
    let envelope = rx.envelope;
    let below_boundary = envelope.boundary_header.is_some_and(|b| h.index > b);
    let Some(receiver) = envelope.receiver.as_deref() else {
        return (
            false,
            Some(
                "no receiving server could be determined, so no recorded result is trusted".into(),
            ),
        );
    };
    if authserv_id.is_empty() {
        // Microsoft writes no authserv-id: trust it only where the receiver put it, above (after)
        // the boundary Received header.
        return if envelope.boundary_header.is_some() && !below_boundary {
            (
                true,
                Some(
                    "no authserv-id; trusted because it sits above the receiving server's \
                     Received header (added by the receiver)"
                        .into(),
                ),
            )
        } else {
            (
                false,
                Some(
                    "no authserv-id, and it sits below the receiving server's Received header: \
                     written before the receiver got the message, so the sender could have \
                     forged it"
                        .into(),
                ),
            )
        };
    }
    if !below_boundary
        && authserv_id_is_local_name(authserv_id)
        && above_receivers_hops(rx, h, receiver)
    {
        // RFC 8601 §2.5 lets the authserv-id be any name the receiver chooses (`mailfilter`);
        // one that names no host can only be placed by where it sits.
        return (
            true,
            Some(format!(
                "authserv-id {authserv_id:?} names no host; trusted because it sits above every \
                 Received header, and those from the top down to the boundary were written by \
                 the receiver ({receiver})"
            )),
        );
    }
    if same_server(authserv_id, receiver, rx.ops) {
        if !below_boundary {
            return (true, None);
        }
        if lname == "arc-authentication-results" {
            return (false, Some(forged_words(authserv_id)));
        }
        return match below_boundary_trust(rx.headers, rx.hops, envelope, h, rx.ops) {
            Ok(why) => (true, Some(why)),
            Err(why) => (false, Some(why)),
        };
    }
    (
        false,
        Some(not_receiver_words(
            h,
            lname,
            authserv_id,
            receiver,
            below_boundary,
        )),
    )
}

fn forged_words(authserv_id: &str) -> String {
    format!(
        "names the receiver ({authserv_id}) but sits below its Received header: written before \
         the receiver got the message, so the sender could have forged it (RFC 8601 §5: \
         receivers should remove such headers)"
    )
}

fn not_receiver_words(
    h: &Header,
    lname: &str,
    authserv_id: &str,
    receiver: &str,
    below_boundary: bool,
) -> String {
    if lname == "arc-authentication-results" {
        format!(
            "recorded by an intermediary ({authserv_id}), not by the receiver: it counts only as \
             far as the ARC chain vouches for it"
        )
    } else if below_boundary {
        format!(
            "{} by {authserv_id}, not the receiver ({receiver}), below the receiver's Received \
             header: written before the receiver got the message (by an intermediary, or \
             forged by the sender)",
            h.name
        )
    } else {
        format!(
            "{} by {authserv_id}, not the receiver ({receiver}), above the receiver's Received \
             header: added after the receiver, by a later server or filter; not the receiver's \
             own verdict",
            h.name
        )
    }
}

/// For an Authentication-Results or Received-SPF below the boundary Received header that names
/// the receiver: why it is the receiver's own after all (`Ok`), or why the sender could have
/// written it (`Err`). Receivers write there: directly under their own Received (Postfix
/// milters, Gmail, kernel.org, FortiMail), or after every Received header (milters that append,
/// Proton exports), tied to this delivery by the client IP or the queue id it records. A result
/// that records another client than the boundary hop's, or below which the receiver also wrote
/// results above its Received, is not.
pub(crate) fn below_boundary_trust(
    headers: &[Header],
    hops: &[Hop],
    envelope: &Envelope,
    h: &Header,
    ops: &Operators,
) -> Result<String, String> {
    let (Some(b), Some(receiver)) = (envelope.boundary_hop, envelope.receiver.as_deref()) else {
        return Err("no receiving server could be determined".into());
    };
    let Some(hop) = hops.get(b) else {
        return Err("no receiving server could be determined".into());
    };
    let authserv_id = recorded_writer(h).unwrap_or_default();
    let forged = || forged_words(&authserv_id);
    let results = parsed_results(h);
    if let Some(why) = vouched_by_receivers_arc(headers, h, &results, hop, receiver, ops) {
        return Ok(why);
    }
    let recorded_ip = results.iter().find_map(recorded_client_ip);
    let boundary_ip: Option<std::net::IpAddr> = hop.from_ip.as_deref().and_then(|s| s.parse().ok());
    if let (Some(ip), Some(bip)) = (recorded_ip, boundary_ip)
        && ip != bip
    {
        return Err(format!(
            "{}; it records client IP {ip}, but the receiver's Received header {} took the \
             message from {bip}",
            forged(),
            hop.header_index
        ));
    }
    if let Some(above) = headers.iter().find(|x| {
        x.index < hop.header_index
            && (x.name.eq_ignore_ascii_case("authentication-results")
                || x.name.eq_ignore_ascii_case("arc-authentication-results")
                || x.name.eq_ignore_ascii_case("received-spf"))
            && recorded_writer(x).is_some_and(|id| same_server(&id, receiver, ops))
    }) {
        return Err(format!(
            "{}; the receiver wrote its own results above its Received header (header {})",
            forged(),
            above.index
        ));
    }
    let received_below = |i: usize| {
        headers
            .iter()
            .any(|x| x.index > i && x.name.eq_ignore_ascii_case("received"))
    };
    let next_received = headers
        .iter()
        .find(|x| x.index > hop.header_index && x.name.eq_ignore_ascii_case("received"))
        .map(|x| x.index);
    if next_received.is_none_or(|n| h.index < n) {
        return Ok(format!(
            "sits directly under the receiver's Received header (header {}), where its filters \
             write their results (as Postfix milters and Gmail do)",
            hop.header_index
        ));
    }
    if !received_below(h.index) {
        let block_ip = recorded_ip.or_else(|| sibling_block_ip(headers, h, &authserv_id));
        let tie = match (block_ip, hop.id.as_deref()) {
            (Some(ip), _) if recorded_ip.is_some() => {
                Some(format!("the client IP {ip} it records"))
            }
            (Some(ip), _) => Some(format!(
                "the client IP {ip} that the results written with it (by {authserv_id}) record"
            )),
            (None, Some(id)) if id.len() >= 6 && trailing_block_names(headers, h, id) => {
                Some(format!("the queue id {id} beside it"))
            }
            _ => None,
        };
        if let Some(tie) = tie {
            return Ok(format!(
                "sits after every Received header (where milters append and Proton exports put \
                 it), tied to the receiver's Received header {} by {tie}",
                hop.header_index
            ));
        }
    }
    Err(forged())
}

/// The client IP recorded by the run of results around `h` written by the same `writer`, one
/// header after another (Proton writes one Authentication-Results per method, and only its
/// `arc=` one records `smtp.remote-ip`).
fn sibling_block_ip(headers: &[Header], h: &Header, writer: &str) -> Option<std::net::IpAddr> {
    let same = |x: &Header| {
        x.name.eq_ignore_ascii_case(&h.name)
            && recorded_writer(x).is_some_and(|w| w.eq_ignore_ascii_case(writer))
    };
    let pos = headers.iter().position(|x| x.index == h.index)?;
    let start = headers[..pos]
        .iter()
        .rposition(|x| !same(x))
        .map_or(0, |p| p + 1);
    let end = headers[pos..]
        .iter()
        .position(|x| !same(x))
        .map_or(headers.len(), |p| pos + p);
    headers[start..end]
        .iter()
        .flat_map(parsed_results)
        .find_map(|mr| recorded_client_ip(&mr))
}

/// Gmail writes its A-R and Received-SPF below its Received and the same results in its
/// ARC-Authentication-Results above it: a result below that the receiver's ARC-A-R repeats.
fn vouched_by_receivers_arc(
    headers: &[Header],
    h: &Header,
    results: &[MethodResult],
    hop: &Hop,
    receiver: &str,
    ops: &Operators,
) -> Option<String> {
    let authserv_id = recorded_writer(h).unwrap_or_default();
    // Gmail writes its A-R below its Received and the same results in its ARC-A-R above it.
    if h.name.eq_ignore_ascii_case("authentication-results")
        && receivers_arc_results_agree(headers, h, hop.header_index)
    {
        return Some(format!(
            "sits below the receiver's Received header (as Gmail writes it), and the receiver's \
             own ARC-Authentication-Results above it ({authserv_id}) records the same results"
        ));
    }
    if h.name.eq_ignore_ascii_case("received-spf")
        && results.first().is_some_and(|mr| {
            receivers_arc_spf_agrees(headers, mr, receiver, hop.header_index, ops)
        })
    {
        return Some(format!(
            "sits below the receiver's Received header (as Gmail writes it), and the receiver's \
             own ARC-Authentication-Results above it records the same spf result for the same \
             client IP and identity ({authserv_id})"
        ));
    }
    None
}

/// Whether a header at or after `h` (the block a milter appends) carries the queue id `id`.
fn trailing_block_names(headers: &[Header], h: &Header, id: &str) -> bool {
    headers
        .iter()
        .filter(|x| x.index >= h.index && !x.name.eq_ignore_ascii_case("received"))
        .any(|x| x.value.contains(id))
}

/// The authserv-id of an A-R, or the receiver of a Received-SPF.
fn recorded_writer(h: &Header) -> Option<String> {
    if h.name.eq_ignore_ascii_case("received-spf") {
        parse_received_spf(&h.value)
            .ok()
            .and_then(|mr| received_spf_receiver(&mr))
    } else {
        let value = if h.name.eq_ignore_ascii_case("arc-authentication-results") {
            split_arc_instance(&h.value).1
        } else {
            &h.value
        };
        parse_authentication_results(value)
            .ok()
            .map(|ar| ar.authserv_id)
            .filter(|id| !id.is_empty())
    }
}

fn parsed_results(h: &Header) -> Vec<MethodResult> {
    if h.name.eq_ignore_ascii_case("received-spf") {
        parse_received_spf(&h.value)
            .map(|mr| vec![mr])
            .unwrap_or_default()
    } else {
        parse_authentication_results(&h.value)
            .map(|ar| ar.results)
            .unwrap_or_default()
    }
}
