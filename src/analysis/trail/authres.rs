//! The grammar of recorded results: Authentication-Results (RFC 8601), Received-SPF (RFC 7208
//! §9.1) and ARC-Authentication-Results (RFC 8617).
//!
//! The parser is our own: mail-auth only writes these headers, and the one Rust parser found
//! (msg-auth-status 0.2) knows neither dmarc nor arc methods, Received-SPF, nor ARC-A-R. Real
//! headers stray from the grammar (Microsoft writes no authserv-id, Yahoo puts key=value pairs in
//! the authserv-id part), so it reads tolerantly and reports what it could not read.

/// One parsed Authentication-Results header.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthResultsHeader {
    /// Empty when the header has none (Microsoft writes results straight away).
    pub authserv_id: String,
    pub version: Option<u32>,
    pub results: Vec<MethodResult>,
    /// Results after the first [`MAX_RESULTS`], counted and not read.
    pub unread: usize,
}

/// Results read from one header (budget): real receivers write a handful; a header with 40,000
/// is an attack on the reader, and the rest are counted, not parsed.
pub const MAX_RESULTS: usize = 50;

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
    // After `=`, the value runs to whitespace or `;` and may itself hold `=` (an SRS or VERP
    // local-part in smtp.mailfrom, base64 padding in header.b).
    let mut in_value = false;
    while let Some(c) = chars.next() {
        match c {
            ';' => {
                flush(&mut atom, &mut toks);
                toks.push(Tok::Semi);
                in_value = false;
            }
            '=' if in_value => atom.push(c),
            '=' => {
                flush(&mut atom, &mut toks);
                toks.push(Tok::Eq);
                in_value = true;
            }
            '"' => {
                in_value = false;
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
                in_value = false;
                let (text, depth) = crate::analysis::lex::read_comment(&mut chars);
                if depth != 0 {
                    return Err("unterminated comment".into());
                }
                toks.push(Tok::Comment(text.trim().to_string()));
            }
            c if c.is_whitespace() => {
                if !atom.is_empty() {
                    flush(&mut atom, &mut toks);
                    in_value = false;
                }
            }
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
///
/// One message's headers are read by several parts of the analysis (the boundary walk, the
/// recorded results and their budget, the receiver's verdict), each from the same text: the
/// last few values parsed on this thread are kept, and a value seen again is a copy of its
/// first parse (the parse is a pure function of the text). Long values are never kept.
pub fn parse_authentication_results(value: &str) -> Result<AuthResultsHeader, String> {
    type Parsed = Result<AuthResultsHeader, String>;
    const KEPT: usize = 8;
    const LONGEST_KEPT: usize = 4096;
    thread_local! {
        static RECENT: std::cell::RefCell<std::collections::VecDeque<(Box<str>, Parsed)>> =
            const { std::cell::RefCell::new(std::collections::VecDeque::new()) };
    }
    if value.len() > LONGEST_KEPT {
        return parse_authentication_results_text(value);
    }
    let seen = RECENT.with(|r| {
        r.borrow()
            .iter()
            .find(|(text, _)| **text == *value)
            .map(|(_, parsed)| parsed.clone())
    });
    if let Some(parsed) = seen {
        return parsed;
    }
    let parsed = parse_authentication_results_text(value);
    RECENT.with(|r| {
        let mut recent = r.borrow_mut();
        if recent.len() == KEPT {
            recent.pop_front();
        }
        recent.push_back((value.into(), parsed.clone()));
    });
    parsed
}

fn parse_authentication_results_text(value: &str) -> Result<AuthResultsHeader, String> {
    // Microsoft sometimes writes the whole header as RFC 2047 encoded words: decode, then parse.
    let decoded = super::headers::decode_unstructured(value);
    let toks = tokenize(decoded.as_deref().unwrap_or(value))?;
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
        if out.results.len() >= MAX_RESULTS {
            out.unread += 1;
            continue;
        }
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

/// The authserv-id alone, read even when the rest of the header does not parse: the first word
/// before `;`, unless it is already a `method=result`.
pub fn authserv_id_of(value: &str) -> Option<String> {
    if let Ok(ar) = parse_authentication_results(value) {
        return (!ar.authserv_id.is_empty()).then_some(ar.authserv_id);
    }
    let toks = tokenize(value.split(';').next().unwrap_or("")).ok()?;
    let mut words = toks.iter().filter(|t| !matches!(t, Tok::Comment(_)));
    match (words.next(), words.next()) {
        (Some(first), next) if next != Some(&Tok::Eq) => {
            value_text(first).map(|v| v.to_ascii_lowercase())
        }
        _ => None,
    }
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

pub(crate) fn prop<'a>(props: &'a [(String, String)], key: &str) -> Option<&'a str> {
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
pub(crate) fn received_spf_receiver(mr: &MethodResult) -> Option<String> {
    if let Some(r) = prop(&mr.properties, "receiver") {
        return Some(r.to_ascii_lowercase());
    }
    let c = mr.comment.as_deref()?;
    let (host, _) = c.split_once(':')?;
    let host = host.trim();
    (!host.is_empty() && !host.contains(' ')).then(|| host.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_seen_again_parses_as_it_did_the_first_time() {
        let values = [
            "mx.example.net; spf=pass smtp.mailfrom=a@example.com; dkim=fail (bad) header.d=x",
            "mx.example.net; dmarc=pass header.from=example.com",
            "spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; dmarc=bestguesspass",
            "broken ; = ;",
            "=?us-ascii?Q?mx=2Eexample=2Enet=3B_spf=3Dpass?=",
        ];
        // More distinct values than are kept, interleaved, each asked several times.
        let many: Vec<String> = (0..20)
            .map(|i| format!("mx{i}.example.net; spf=pass smtp.mailfrom=s{i}.example"))
            .collect();
        for round in 0..3 {
            for v in values
                .iter()
                .copied()
                .chain(many.iter().map(String::as_str))
            {
                assert_eq!(
                    parse_authentication_results(v),
                    parse_authentication_results_text(v),
                    "round {round}: {v}"
                );
            }
        }
        // Different texts never share a parse.
        let a = parse_authentication_results(&many[0]).unwrap();
        let b = parse_authentication_results(&many[1]).unwrap();
        assert_ne!(a.authserv_id, b.authserv_id);
        // A long value is parsed every time, and the same.
        let long = format!("mx.example.net; {}", "spf=pass; ".repeat(600));
        assert_eq!(
            parse_authentication_results(&long),
            parse_authentication_results_text(&long)
        );
    }
}
