//! Recorded vs now: the Authentication-Results (RFC 8601), Received-SPF (RFC 7208 §9.1) and
//! ARC-Authentication-Results (RFC 8617) found in the message, which of them to trust, and how
//! each compares with our re-verification.
//!
//! The parser is our own: mail-auth only writes these headers, and the one Rust parser found
//! (msg-auth-status 0.2) knows neither dmarc nor arc methods, Received-SPF, nor ARC-A-R. Real
//! headers stray from the grammar (Microsoft writes no authserv-id, Yahoo puts key=value pairs in
//! the authserv-id part), so it reads tolerantly and reports what it could not read.

use super::hops::same_server;
use super::model::{
    Agreement, ArcCheck, AuthResult, DkimCheck, DmarcCheck, Envelope, Header, RecordedResult,
    SpfCheck, SpfChecks,
};

/// One parsed Authentication-Results header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthResultsHeader {
    /// Empty when the header has none (Microsoft writes results straight away).
    pub authserv_id: String,
    pub version: Option<u32>,
    pub results: Vec<MethodResult>,
}

/// One `method=result` with its reason and properties.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MethodResult {
    /// Lower case, without a `/version`.
    pub method: String,
    /// Lower case, as written (not necessarily an RFC 8601 word).
    pub result: String,
    pub reason: Option<String>,
    /// `ptype.property` (lower case) → value.
    pub properties: Vec<(String, String)>,
    /// The comments, joined with `; `.
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Atom(String),
    Quoted(String),
    Comment(String),
    Semi,
    Eq,
}

fn tokenize(value: &str) -> Result<Vec<Tok>, String> {
    let mut toks = Vec::new();
    let mut atom = String::new();
    let mut chars = value.chars();
    fn flush(atom: &mut String, toks: &mut Vec<Tok>) {
        if !atom.is_empty() {
            toks.push(Tok::Atom(std::mem::take(atom)));
        }
    }
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                flush(&mut atom, &mut toks);
                toks.push(Tok::Semi);
            }
            '=' => {
                flush(&mut atom, &mut toks);
                toks.push(Tok::Eq);
            }
            '"' => {
                flush(&mut atom, &mut toks);
                let mut q = String::new();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                q.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        _ => q.push(c),
                    }
                }
                if !closed {
                    return Err("unterminated quoted string".into());
                }
                toks.push(Tok::Quoted(q));
            }
            '(' => {
                flush(&mut atom, &mut toks);
                let mut depth = 1usize;
                let mut text = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                text.push(n);
                            }
                        }
                        '(' => {
                            depth += 1;
                            text.push(c);
                        }
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                            text.push(c);
                        }
                        _ => text.push(c),
                    }
                }
                if depth != 0 {
                    return Err("unterminated comment".into());
                }
                toks.push(Tok::Comment(text.trim().to_string()));
            }
            c if c.is_whitespace() => flush(&mut atom, &mut toks),
            _ => atom.push(c),
        }
    }
    flush(&mut atom, &mut toks);
    Ok(toks)
}

fn value_text(t: &Tok) -> Option<&str> {
    match t {
        Tok::Atom(a) | Tok::Quoted(a) => Some(a),
        _ => None,
    }
}

/// Parses the value of an Authentication-Results header (RFC 8601 §2.2).
pub fn parse_authentication_results(value: &str) -> Result<AuthResultsHeader, String> {
    let toks = tokenize(value)?;
    let mut out = AuthResultsHeader::default();
    // Comments may appear anywhere; the grammar never needs them except as result comments.
    let mut i = 0;
    let skip_comments = |i: &mut usize| {
        while matches!(toks.get(*i), Some(Tok::Comment(_))) {
            *i += 1;
        }
    };
    skip_comments(&mut i);
    // authserv-id, unless the header starts straight with `method=result` (Microsoft).
    let starts_with_result = matches!(toks.get(i + 1), Some(Tok::Eq))
        || matches!(
            (toks.get(i + 1), toks.get(i + 2)),
            (Some(Tok::Comment(_)), Some(Tok::Eq))
        );
    if !starts_with_result {
        match toks.get(i).and_then(value_text) {
            Some(id) => {
                out.authserv_id = id.to_ascii_lowercase();
                i += 1;
            }
            None => return Err("no authserv-id".into()),
        }
        skip_comments(&mut i);
        if let Some(Tok::Atom(v)) = toks.get(i)
            && let Ok(n) = v.parse::<u32>()
        {
            out.version = Some(n);
            i += 1;
        }
        // Anything else before the first `;` (Yahoo's `from=…`) is not part of the grammar.
        while i < toks.len() && toks[i] != Tok::Semi {
            i += 1;
        }
    }
    // resinfo sequences, separated by `;`.
    let mut segments: Vec<&[Tok]> = Vec::new();
    let rest = &toks[i.min(toks.len())..];
    for seg in rest.split(|t| *t == Tok::Semi) {
        if seg.iter().any(|t| !matches!(t, Tok::Comment(_))) {
            segments.push(seg);
        }
    }
    for seg in segments {
        let words: Vec<&Tok> = seg
            .iter()
            .filter(|t| !matches!(t, Tok::Comment(_)))
            .collect();
        if let [Tok::Atom(none)] = words.as_slice()
            && none.eq_ignore_ascii_case("none")
        {
            continue; // `; none`: no authentication was done.
        }
        out.results.push(parse_resinfo(seg)?);
    }
    Ok(out)
}

/// `method[/version]=result [reason=value] [ptype.property=value …]` with comments.
fn parse_resinfo(seg: &[Tok]) -> Result<MethodResult, String> {
    let mut mr = MethodResult::default();
    let mut comments = Vec::new();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut i = 0;
    while i < seg.len() {
        match &seg[i] {
            Tok::Comment(c) => {
                if !c.is_empty() {
                    comments.push(c.clone());
                }
                i += 1;
            }
            Tok::Atom(key) => {
                // key [comments] = [comments] value
                let mut j = i + 1;
                while matches!(seg.get(j), Some(Tok::Comment(_))) {
                    j += 1;
                }
                if seg.get(j) != Some(&Tok::Eq) {
                    return Err(format!("expected `=` after {key:?}"));
                }
                j += 1;
                while let Some(Tok::Comment(c)) = seg.get(j) {
                    comments.push(c.clone());
                    j += 1;
                }
                let value = seg.get(j).and_then(value_text).unwrap_or("");
                if seg.get(j).and_then(value_text).is_some() {
                    j += 1;
                }
                pairs.push((key.clone(), value.to_string()));
                i = j;
            }
            other => return Err(format!("unexpected {other:?}")),
        }
    }
    let mut pairs = pairs.into_iter();
    let Some((method, result)) = pairs.next() else {
        return Err("empty result".into());
    };
    if result.is_empty() {
        return Err(format!("no result for method {method:?}"));
    }
    mr.method = method
        .split('/')
        .next()
        .unwrap_or(&method)
        .to_ascii_lowercase();
    mr.result = result.to_ascii_lowercase();
    for (k, v) in pairs {
        if k.eq_ignore_ascii_case("reason") {
            mr.reason = Some(v);
        } else {
            mr.properties.push((k.to_ascii_lowercase(), v));
        }
    }
    if !comments.is_empty() {
        mr.comment = Some(comments.join("; "));
    }
    Ok(mr)
}

/// Parses a Received-SPF value (RFC 7208 §9.1): `result (comment) key=value; key=value …`.
pub fn parse_received_spf(value: &str) -> Result<MethodResult, String> {
    let toks = tokenize(value)?;
    let mut it = toks.iter().peekable();
    let result = loop {
        match it.next() {
            Some(Tok::Atom(a)) => break a.to_ascii_lowercase(),
            Some(Tok::Comment(_)) => continue,
            _ => return Err("no result word".into()),
        }
    };
    let mut mr = MethodResult {
        method: "spf".into(),
        result,
        ..Default::default()
    };
    let mut comments = Vec::new();
    let rest: Vec<&Tok> = it.collect();
    let mut i = 0;
    while i < rest.len() {
        match rest[i] {
            Tok::Comment(c) => {
                comments.push(c.clone());
                i += 1;
            }
            Tok::Atom(k) if rest.get(i + 1) == Some(&&Tok::Eq) => {
                let v = rest.get(i + 2).and_then(|t| value_text(t));
                mr.properties
                    .push((k.to_ascii_lowercase(), v.unwrap_or("").to_string()));
                i += if v.is_some() { 3 } else { 2 };
            }
            _ => i += 1,
        }
    }
    if !comments.is_empty() {
        mr.comment = Some(comments.join("; "));
    }
    Ok(mr)
}

fn prop<'a>(props: &'a [(String, String)], key: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.as_str())
}

/// The client IP a recorded result says it saw: `smtp.remote-ip`, `policy.iprev`, Received-SPF
/// `client-ip`, or a comment in Microsoft's `sender IP is …` / Gmail's `designates … as` form.
pub fn recorded_client_ip(mr: &MethodResult) -> Option<std::net::IpAddr> {
    for key in [
        "smtp.remote-ip",
        "policy.iprev",
        "client-ip",
        "smtp.client-ip",
    ] {
        if let Some(ip) = prop(&mr.properties, key).and_then(|v| v.trim().parse().ok()) {
            return Some(ip);
        }
    }
    let c = mr.comment.as_deref()?;
    for marker in ["sender IP is ", "designates "] {
        if let Some(p) = c.find(marker) {
            let word = c[p + marker.len()..].split_whitespace().next()?;
            if let Ok(ip) = word.trim_end_matches([')', ',', ';']).parse() {
                return Some(ip);
            }
        }
    }
    None
}

/// The authserv-id of a Received-SPF: its `receiver=`, else the `host:` at the start of its
/// comment (`(google.com: domain of …)`).
fn received_spf_receiver(mr: &MethodResult) -> Option<String> {
    if let Some(r) = prop(&mr.properties, "receiver") {
        return Some(r.to_ascii_lowercase());
    }
    let c = mr.comment.as_deref()?;
    let (host, _) = c.split_once(':')?;
    let host = host.trim();
    (!host.is_empty() && !host.contains(' ')).then(|| host.to_ascii_lowercase())
}

/// Every result recorded in the message, each marked trusted when its authserv-id belongs to the
/// receiver (`envelope.receiver`, the same rule as the trust boundary). `ours` is left empty for
/// [`compare`].
pub fn recorded_results(headers: &[Header], envelope: &Envelope) -> Vec<RecordedResult> {
    let mut out = Vec::new();
    let receiver = envelope.receiver.as_deref();
    for h in headers {
        let lname = h.name.to_ascii_lowercase();
        let (parsed, instance): (Result<(String, Vec<MethodResult>), String>, Option<String>) =
            match lname.as_str() {
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
                });
                continue;
            }
        };
        let (trusted, trust_note) = trust(h, &lname, &authserv_id, receiver, envelope);
        for mr in results {
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
            });
        }
    }
    out
}

/// `i=N; rest` of an ARC-Authentication-Results.
fn split_arc_instance(value: &str) -> (Option<String>, &str) {
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

fn trust(
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
                     Received header"
                        .into(),
                ),
            )
        } else {
            (
                false,
                Some(
                    "no authserv-id, and it sits below the trust boundary: could have come with \
                     the message"
                        .into(),
                ),
            )
        };
    }
    if same_server(authserv_id, receiver) {
        if below_boundary {
            return (
                true,
                Some(format!(
                    "written by the receiver ({authserv_id}) but placed below its Received \
                     header: trusted only if the receiver strips incoming {} headers",
                    h.name
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
    } else {
        format!(
            "{} by {authserv_id}, not the receiver ({receiver}): from above the trust boundary, \
             could be forged by the sender",
            h.name
        )
    };
    (false, Some(note))
}

fn spf_for<'a>(r: &RecordedResult, spf: &'a SpfChecks) -> &'a SpfCheck {
    let has = |k: &str| prop(&r.properties, k).is_some_and(|v| !v.is_empty());
    let helo_only = if r.header_name.eq_ignore_ascii_case("received-spf") {
        prop(&r.properties, "identity").is_some_and(|v| v.eq_ignore_ascii_case("helo"))
            || (!has("envelope-from") && has("helo"))
    } else {
        has("smtp.helo") && !has("smtp.mailfrom")
    };
    if helo_only { &spf.helo } else { &spf.mail_from }
}

/// The `b=` value of a checked signature, from its tags.
fn dkim_b_tag(c: &DkimCheck) -> Option<&str> {
    c.tags
        .iter()
        .find(|t| t.name == "b")
        .map(|t| t.value.as_str())
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The signature a recorded dkim result is about: by header.b (a prefix of b=), else
/// header.d (+ header.s), else header.i's domain.
fn dkim_for<'a>(r: &RecordedResult, dkim: &'a [DkimCheck]) -> Option<&'a DkimCheck> {
    let d = prop(&r.properties, "header.d").map(|v| v.to_ascii_lowercase());
    let s = prop(&r.properties, "header.s").map(|v| v.to_ascii_lowercase());
    let b = prop(&r.properties, "header.b")
        .map(compact)
        .filter(|b| !b.is_empty());
    let i_domain = prop(&r.properties, "header.i")
        .map(|v| v.rsplit('@').next().unwrap_or(v).to_ascii_lowercase());
    let eq = |a: &Option<String>, x: &Option<String>| match (a, x) {
        (Some(a), Some(x)) => a.eq_ignore_ascii_case(x),
        _ => false,
    };
    if let Some(b) = &b
        && let Some(c) = dkim
            .iter()
            .find(|c| dkim_b_tag(c).is_some_and(|sig| compact(sig).starts_with(b.as_str())))
    {
        return Some(c);
    }
    if d.is_some() {
        let mut m = dkim
            .iter()
            .filter(|c| eq(&c.domain, &d))
            .filter(|c| s.is_none() || eq(&c.selector, &s));
        return m.next();
    }
    let i = i_domain?;
    dkim.iter().find(|c| {
        c.domain.as_deref().is_some_and(|dd| {
            i == dd.to_ascii_lowercase() || i.ends_with(&format!(".{}", dd.to_ascii_lowercase()))
        })
    })
}

/// Sets `ours`, `agreement` and `note` on each recorded result against our verdicts.
pub fn compare(
    recorded: &mut [RecordedResult],
    spf: &SpfChecks,
    dkim: &[DkimCheck],
    arc: &ArcCheck,
    dmarc: &DmarcCheck,
) {
    for r in recorded.iter_mut() {
        if r.method.is_empty() {
            continue; // unparsable header: the note already says so
        }
        let (ours, reason): (Option<AuthResult>, Option<String>) = match r.method.as_str() {
            "spf" => {
                let c = spf_for(r, spf);
                (Some(c.result), c.explanation.clone())
            }
            "dkim" => match dkim_for(r, dkim) {
                Some(c) => (Some(c.result), c.reason.clone()),
                None => {
                    let what = prop(&r.properties, "header.d")
                        .or_else(|| prop(&r.properties, "header.i"))
                        .unwrap_or("?");
                    add_note(
                        r,
                        format!("no DKIM-Signature for {what} was found to verify now"),
                    );
                    continue;
                }
            },
            "dmarc" => (Some(dmarc.result), None),
            "arc" => (Some(arc.result), arc.reason.clone()),
            _ => {
                continue; // iprev, auth, bimi, compauth …: nothing of ours to set against
            }
        };
        r.ours = ours;
        let Some(ours) = ours else { continue };
        let recorded = AuthResult::parse(&r.result);
        let words = match recorded {
            Some(rec) if rec == ours => None,
            Some(_) => Some(match (r.method.as_str(), r.result.as_str(), ours) {
                ("dkim", "pass", AuthResult::Fail | AuthResult::PermError) => format!(
                    "dkim=pass at receipt, does not verify now{}",
                    reason
                        .as_deref()
                        .map(|x| format!(" ({x}): the key may have been rotated or revoked"))
                        .unwrap_or_default()
                ),
                (_, _, AuthResult::TempError) => format!(
                    "{}={} at receipt, temperror now: DNS could not answer",
                    r.method, r.result
                ),
                _ => format!(
                    "{}={} at receipt, {} now{}",
                    r.method,
                    r.result,
                    ours,
                    reason
                        .as_deref()
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default()
                ),
            }),
            None => {
                add_note(
                    r,
                    format!("result word {:?} is not an RFC 8601 result", r.result),
                );
                continue;
            }
        };
        if !r.trusted {
            if let Some(w) = words {
                add_note(r, w);
            }
            continue; // an untrusted claim is shown, not judged
        }
        match words {
            None => r.agreement = Agreement::Agree,
            Some(w) => {
                r.agreement = Agreement::Disagree;
                add_note(r, w);
            }
        }
    }
}

fn add_note(r: &mut RecordedResult, text: String) {
    r.note = Some(match r.note.take() {
        Some(n) => format!("{n}; {text}"),
        None => text,
    });
}
