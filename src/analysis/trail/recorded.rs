//! Which recorded results (Authentication-Results, Received-SPF, ARC-Authentication-Results) the
//! receiving server wrote itself, and so can be trusted, and which came with the message.

use super::authres::{
    MethodResult, parse_authentication_results, parse_received_spf, prop, received_spf_receiver,
    recorded_client_ip,
};
use super::boundary::same_server;
use super::received::received_by_host;
use crate::analysis::model::{Agreement, Envelope, Header, RecordedResult};

/// A header's authserv-id and its results.
type Parsed = (String, Vec<MethodResult>);

/// Every result recorded in the message, each marked trusted when its authserv-id belongs to the
/// receiver (`envelope.receiver`, the same rule as the trust boundary). `ours` is left empty for
/// [`compare`].
pub fn recorded_results(headers: &[Header], envelope: &Envelope) -> Vec<RecordedResult> {
    let mut out = Vec::new();
    let receiver = envelope.receiver.as_deref();
    for h in headers {
        let lname = h.name.to_ascii_lowercase();
        let (parsed, instance): (Result<Parsed, String>, Option<String>) = match lname.as_str() {
            "authentication-results" => (
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
        let (mut trusted, mut trust_note) =
            trust(headers, h, &lname, &authserv_id, receiver, envelope);
        if !trusted
            && lname == "authentication-results"
            && receiver.is_some_and(|r| !authserv_id.is_empty() && same_server(&authserv_id, r))
            && let Some(b) = envelope.boundary_header
            && receivers_arc_results_agree(headers, h, b)
        {
            trusted = true;
            trust_note = Some(format!(
                "sits below the receiver's Received header (as Gmail writes it), and the \
                 receiver's own ARC-Authentication-Results above it ({authserv_id}) records the \
                 same results"
            ));
        }
        if !trusted
            && lname == "received-spf"
            && let Some(r) = receiver
            && !authserv_id.is_empty()
            && same_server(&authserv_id, r)
            && let Some(b) = envelope.boundary_header
            && results
                .first()
                .is_some_and(|mr| receivers_arc_spf_agrees(headers, mr, r, b))
        {
            trusted = true;
            trust_note = Some(format!(
                "sits below the receiver's Received header (as Gmail writes it), and the \
                 receiver's own ARC-Authentication-Results above it records the same spf result \
                 for the same client IP and identity ({authserv_id})"
            ));
        }
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
    merge_repeated_arc_results(out)
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
    let mut out: Vec<RecordedResult> = Vec::with_capacity(rows.len());
    for row in rows {
        let same = |a: &RecordedResult| {
            a.authserv_id.is_some()
                && a.trusted == row.trusted
                && a.authserv_id == row.authserv_id
                && a.method == row.method
                && a.result == row.result
                && a.header_name != row.header_name
                && [a.header_name.as_str(), row.header_name.as_str()]
                    .iter()
                    .all(|n| {
                        n.eq_ignore_ascii_case("authentication-results")
                            || n.eq_ignore_ascii_case("arc-authentication-results")
                    })
                && props_without_instance(a) == props_without_instance(&row)
        };
        match out.iter_mut().find(|a| same(a)) {
            Some(kept) => {
                kept.also_in_headers.push(row.header_index);
                let (arc_row, other) = if row
                    .header_name
                    .eq_ignore_ascii_case("arc-authentication-results")
                {
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
            None => out.push(row),
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
        .filter(|aar| !aar.authserv_id.is_empty() && same_server(&aar.authserv_id, receiver))
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
fn above_receivers_hops(
    headers: &[Header],
    h: &Header,
    receiver: &str,
    envelope: &Envelope,
) -> bool {
    let Some(boundary) = envelope.boundary_header else {
        return false;
    };
    let mut received = headers
        .iter()
        .filter(|r| r.name.eq_ignore_ascii_case("received") && r.index <= boundary)
        .peekable();
    received.peek().is_some_and(|top| h.index < top.index)
        && received.all(|r| {
            received_by_host(&r.value).is_some_and(|by| {
                by.eq_ignore_ascii_case("localhost") || same_server(&by, receiver)
            })
        })
}

fn trust(
    headers: &[Header],
    h: &Header,
    lname: &str,
    authserv_id: &str,
    receiver: Option<&str>,
    envelope: &Envelope,
) -> (bool, Option<String>) {
    let below_boundary = envelope.boundary_header.is_some_and(|b| h.index > b);
    let Some(receiver) = receiver else {
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
        && above_receivers_hops(headers, h, receiver, envelope)
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
    if same_server(authserv_id, receiver) {
        if below_boundary {
            return (
                false,
                Some(format!(
                    "names the receiver ({authserv_id}) but sits below its Received header: \
                     written before the receiver got the message, so the sender could have \
                     forged it (RFC 8601 §5: receivers should remove such headers)"
                )),
            );
        }
        return (true, None);
    }
    let note = if lname == "arc-authentication-results" {
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
    };
    (false, Some(note))
}
