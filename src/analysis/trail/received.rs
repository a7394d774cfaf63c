//! The Received timeline (one hop per Received header, `hops[0]` = topmost = last added), its
//! delays and anomalies, and the trust boundary the envelope is reconstructed from.
//!
//! Received headers are free-form in practice (RFC 5321 §4.4 gives a grammar nobody follows
//! exactly), so the parser is a tolerant tokenizer: clauses start at the keywords
//! `from by via with id for`, comments are kept and mined for the client IP, HELO name, reverse DNS
//! name and TLS details in the forms Postfix, Sendmail, Exim, qmail, Microsoft and Google write.
//!
//! Wording used throughout: the trust boundary is the Received header the receiving server wrote
//! when the message came in from outside. Headers *above* it in the file were added later, by
//! servers after the receiver (or by the receiver itself). Headers *below* it were written before
//! the receiver got the message, by the sender or intermediaries, and can be forged by the sender.
//! Only what the receiver itself recorded (a private client address, the reverse DNS name it
//! looked up, a client in its own network) can move the boundary down past one of its own relays;
//! the HELO never can. A recorded result (Authentication-Results, Received-SPF) speaks only for
//! the hops below it, and never moves the boundary below a receiver hop whose client is public.

use std::net::IpAddr;

use mail_parser::DateTime;

use super::hosts::same_server;
use crate::analysis::model::{Header, Hop, Severity, Warning};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    /// The text inside one top-level comment, nested parentheses kept.
    Comment(String),
}

/// Splits `s` at the last `;` outside comments, quotes and angle brackets: clauses, then date.
fn split_date(s: &str) -> (&str, Option<&str>) {
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut angle = false;
    let mut escaped = false;
    let mut last = None;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' if depth == 0 => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => depth = depth.saturating_sub(1),
            '<' if !in_quote && depth == 0 => angle = true,
            '>' if !in_quote && depth == 0 => angle = false,
            ';' if !in_quote && depth == 0 && !angle => last = Some(i),
            _ => {}
        }
    }
    match last {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    }
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = s.chars().peekable();
    let flush = |word: &mut String, tokens: &mut Vec<Token>| {
        if !word.is_empty() {
            tokens.push(Token::Word(std::mem::take(word)));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '(' => {
                flush(&mut word, &mut tokens);
                let (text, _unclosed) = crate::analysis::lex::read_comment(&mut chars);
                tokens.push(Token::Comment(text));
            }
            '"' => {
                word.push(c);
                while let Some(c) = chars.next() {
                    word.push(c);
                    if c == '\\' {
                        if let Some(n) = chars.next() {
                            word.push(n);
                        }
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '<' => {
                word.push(c);
                for c in chars.by_ref() {
                    word.push(c);
                    if c == '>' {
                        break;
                    }
                }
            }
            c if c.is_whitespace() => flush(&mut word, &mut tokens),
            _ => word.push(c),
        }
    }
    flush(&mut word, &mut tokens);
    tokens
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Clause {
    Preamble,
    From,
    By,
    Via,
    With,
    Id,
    For,
}

fn keyword(word: &str) -> Option<Clause> {
    Some(match word.to_ascii_lowercase().as_str() {
        "from" => Clause::From,
        "by" => Clause::By,
        "via" => Clause::Via,
        "with" => Clause::With,
        "id" => Clause::Id,
        "for" => Clause::For,
        _ => return None,
    })
}

#[derive(Debug, Default)]
struct ClauseText {
    words: Vec<String>,
    comments: Vec<String>,
}

/// Reads an IP address as Received headers write it: bare, `[1.2.3.4]`, `[IPv6:…]`, `[…]:port`.
pub fn parse_ip_literal(text: &str) -> Option<IpAddr> {
    let t = text.trim().trim_end_matches([',', ';']);
    let inner = match t.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => t,
    };
    let inner = match inner.get(..5) {
        Some(p) if p.eq_ignore_ascii_case("ipv6:") => &inner[5..],
        _ => inner,
    };
    // A zone id (`fe80::1%6`, `fe80::1%eth0`) names the interface of a link-local address.
    let inner = match inner.split_once('%') {
        Some((addr, zone)) if addr.contains(':') && !zone.is_empty() => addr,
        _ => inner,
    };
    inner.parse::<IpAddr>().ok()
}

fn looks_like_hostname(t: &str) -> bool {
    !t.is_empty()
        && (t.contains('.') || t.eq_ignore_ascii_case("localhost"))
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        && t.chars().any(|c| c.is_ascii_alphabetic())
}

/// What the from-clause says about the client: (HELO, reverse DNS name, IP, address-like
/// comments that are not the server's own TCP-info).
///
/// RFC 5321 §4.4: the TCP-info comment is the server's, and it is the last comment before `by`;
/// anything before it that looks like `(name [address])` came in the HELO, which the client
/// chooses (`EHLO mail.bank.example (mail.bank.example [192.0.2.10])`).
fn read_from_clause(
    clause: &ClauseText,
) -> (Option<String>, Option<String>, Option<IpAddr>, Vec<String>) {
    let from_word = clause.words.first().cloned();
    let mut helo_kv: Option<String> = None;
    let mut rdns: Option<String> = None;
    let mut ip: Option<IpAddr> = None;
    let mut injected: Vec<String> = Vec::new();
    if let Some(w) = &from_word
        && w.starts_with('[')
    {
        ip = parse_ip_literal(w);
    }
    let tokens_of = |comment: &str| -> Vec<String> {
        comment
            .chars()
            .map(|c| if matches!(c, '(' | ')' | ',') { ' ' } else { c })
            .collect::<String>()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    let has_ip = |tokens: &[String]| tokens.iter().any(|t| parse_ip_literal(t).is_some());
    let names_helo = |tokens: &[String]| {
        tokens.iter().enumerate().any(|(i, t)| {
            t.to_ascii_lowercase().starts_with("helo=")
                || (i > 0
                    && (tokens[i - 1].eq_ignore_ascii_case("helo")
                        || tokens[i - 1].eq_ignore_ascii_case("ehlo")))
        })
    };
    let comments: Vec<Vec<String>> = clause.comments.iter().map(|c| tokens_of(c)).collect();
    // The server's TCP-info: the last comment with an address; failing that, the last one that
    // names the HELO (Exim's `from [ip] (helo=x)`).
    let tcp_info = comments
        .iter()
        .rposition(|t| has_ip(t))
        .or_else(|| comments.iter().rposition(|t| names_helo(t)));
    for (ci, tokens) in comments.iter().enumerate() {
        if Some(ci) != tcp_info {
            if has_ip(tokens) && tcp_info.is_some_and(|t| ci < t) {
                injected.push(clause.comments[ci].clone());
                continue;
            }
            // qmail writes the HELO in a comment of its own: `(HELO x) (ip)`.
            if !names_helo(tokens) {
                continue;
            }
        }
        let server_record = Some(ci) == tcp_info;
        let mut prev: Option<&str> = None;
        let mut comment_ip_seen = false;
        for tok in tokens {
            let tok = tok.as_str();
            let lower = tok.to_ascii_lowercase();
            if lower.starts_with("helo=") {
                helo_kv = Some(tok[5..].to_string());
            } else if matches!(prev, Some(p) if p.eq_ignore_ascii_case("helo") || p.eq_ignore_ascii_case("ehlo"))
            {
                helo_kv = Some(tok.to_string());
            } else if !server_record {
                // Outside the TCP-info only the HELO is read.
            } else if let Some(addr) = parse_ip_literal(tok) {
                // The comment IP is what the server saw; it wins over a literal HELO. Within the
                // TCP-info only the first address is the client's.
                if !comment_ip_seen {
                    ip = Some(addr);
                    comment_ip_seen = true;
                }
            } else if rdns.is_none()
                && !tok.contains('=')
                && !lower.eq_ignore_ascii_case("helo")
                && !lower.eq_ignore_ascii_case("ehlo")
            {
                let host = tok.rsplit('@').next().unwrap_or(tok).trim_end_matches('.');
                if looks_like_hostname(host) {
                    rdns = Some(host.to_string());
                }
            }
            prev = Some(tok);
        }
    }
    let from_host_name = from_word.filter(|w| !w.starts_with('['));
    let helo = match helo_kv {
        // Exim (`helo=`) and qmail (`HELO x`): the from word is the reverse DNS name.
        Some(h) => {
            if rdns.is_none() {
                rdns = from_host_name
                    .filter(|w| !w.eq_ignore_ascii_case("unknown"))
                    .map(|w| w.trim_end_matches('.').to_string());
            }
            Some(h)
        }
        // Postfix, Sendmail, Google, Microsoft: the from word is the HELO name as given.
        None => clause.words.first().cloned(),
    };
    (helo, rdns, ip, injected)
}

/// TLS details from the comments and `with` words, in the forms servers write them.
fn read_tls(all_comments: &[String], with_words: &[String]) -> Option<String> {
    for c in all_comments {
        let flat = c.replace(',', " ");
        let mut version = None;
        let mut cipher = None;
        for kv in flat.split_whitespace() {
            if let Some(v) = kv.strip_prefix("version=") {
                version = Some(v.to_string());
            } else if let Some(v) = kv.strip_prefix("cipher=") {
                cipher = Some(v.to_string());
            }
        }
        if version.is_some() || cipher.is_some() {
            return Some(
                [version, cipher]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        // Postfix: `using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)`.
        if let Some(rest) = flat.trim_start().strip_prefix("using ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            let version = words.first().copied().unwrap_or("");
            let cipher = words
                .iter()
                .position(|w| *w == "cipher")
                .and_then(|p| words.get(p + 1))
                .copied();
            return Some(match cipher {
                Some(c) => format!("{version} {c}"),
                None => version.to_string(),
            });
        }
        // Exim: `(TLS1.3)` or `(TLSv1.2:ECDHE-RSA-AES256-GCM-SHA384:256)`.
        let t = flat.trim();
        if (t.starts_with("TLS") || t.starts_with("SSL")) && !t.contains(' ') {
            let cipher = with_words
                .iter()
                .position(|w| w.eq_ignore_ascii_case("tls"))
                .and_then(|p| with_words.get(p + 1));
            return Some(match cipher {
                Some(c) => format!("{t} {c}"),
                None => t.to_string(),
            });
        }
        if t.eq_ignore_ascii_case("Google Transport Security") {
            return Some("TLS (Google Transport Security)".into());
        }
    }
    let proto = with_words.first()?.to_ascii_uppercase();
    let base = proto.strip_suffix('A').unwrap_or(&proto);
    if base.ends_with("SMTPS") || base.ends_with("LMTPS") {
        return Some(format!("TLS (with {})", with_words[0]));
    }
    None
}

/// Why an address is not a public unicast one, if it is not (flag code, words).
pub fn ip_range(ip: IpAddr) -> Option<(&'static str, &'static str)> {
    const PRIVATE: &str = "hop-private-ip";
    const DOC: &str = "hop-documentation-ip";
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(match o {
                [10, ..] => (PRIVATE, "private (RFC 1918)"),
                [172, b, ..] if (16..=31).contains(&b) => (PRIVATE, "private (RFC 1918)"),
                [192, 168, ..] => (PRIVATE, "private (RFC 1918)"),
                [127, ..] => (PRIVATE, "loopback"),
                [169, 254, ..] => (PRIVATE, "link-local"),
                [100, b, ..] if (64..=127).contains(&b) => {
                    (PRIVATE, "shared CGNAT space (RFC 6598)")
                }
                [0, ..] => (PRIVATE, "\"this network\" (reserved)"),
                [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => {
                    (DOC, "documentation range (RFC 5737)")
                }
                [198, b, ..] if b == 18 || b == 19 => (PRIVATE, "benchmarking range (RFC 2544)"),
                [192, 0, 0, _] => (PRIVATE, "IETF protocol assignments (reserved)"),
                [a, ..] if (224..=239).contains(&a) => (PRIVATE, "multicast"),
                [a, ..] if a >= 240 => (PRIVATE, "reserved"),
                _ => return None,
            })
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return ip_range(IpAddr::V4(v4));
            }
            let s = v6.segments();
            Some(if v6.is_loopback() {
                (PRIVATE, "loopback")
            } else if v6.is_unspecified() {
                (PRIVATE, "unspecified address")
            } else if s[0] & 0xfe00 == 0xfc00 {
                (PRIVATE, "unique-local (RFC 4193)")
            } else if s[0] & 0xffc0 == 0xfe80 {
                (PRIVATE, "link-local")
            } else if s[0] == 0x2001 && s[1] == 0x0db8 {
                (DOC, "documentation range (RFC 3849)")
            } else if s[0] & 0xff00 == 0xff00 {
                (PRIVATE, "multicast")
            } else {
                return None;
            })
        }
    }
}

/// What the from-clause says is off about the client's identity: no reverse DNS, a HELO name
/// that is not the reverse DNS name, a HELO address literal that is not the client's address.
fn client_identity_anomalies(hop: &Hop, from: &ClauseText, ip: Option<IpAddr>) -> Vec<String> {
    let mut out = Vec::new();
    let Some(ip) = ip else { return out };
    let unknown = from.comments.iter().any(|c| {
        c.split(|ch: char| ch.is_whitespace() || ch == '(' || ch == ')')
            .any(|t| t.eq_ignore_ascii_case("unknown"))
    });
    if unknown
        || from
            .words
            .first()
            .is_some_and(|w| w.eq_ignore_ascii_case("unknown"))
    {
        out.push(format!(
            "no reverse DNS name for {ip} (recorded as `unknown`)"
        ));
    } else if hop.from_rdns.is_none()
        && from.words.first().is_some_and(|w| w.starts_with('['))
        && hop.helo.as_deref().is_some_and(|h| !h.starts_with('['))
    {
        // Exim writes the bare address when the lookup found no name; the HELO is beside it.
        out.push(format!("no reverse DNS name recorded for {ip}"));
    }
    if let Some(h) = hop.helo.as_deref() {
        if h.starts_with('[') {
            if parse_ip_literal(h).is_some_and(|lit| lit != ip) {
                out.push(format!(
                    "HELO address literal {h} is not the client address {ip}"
                ));
            }
        } else if let Some(rdns) = hop.from_rdns.as_deref()
            && !same_server(h, rdns, &super::operators::Operators::builtin())
        {
            out.push(format!(
                "HELO name {h} does not match the reverse DNS name {rdns}"
            ));
        }
    }
    out
}

/// Parses one Received value into a hop (delay, boundary flags and date checks against other hops
/// are filled in by the callers).
pub(crate) fn parse_received(header_index: usize, value: &str) -> Hop {
    let (clauses_text, date) = split_date(value);
    let mut clauses: Vec<(Clause, ClauseText)> = vec![(Clause::Preamble, ClauseText::default())];
    for token in tokenize(clauses_text) {
        match token {
            Token::Word(w) => match keyword(&w) {
                Some(k) => clauses.push((k, ClauseText::default())),
                None => {
                    if let Some((_, c)) = clauses.last_mut() {
                        c.words.push(w)
                    }
                }
            },
            Token::Comment(c) => {
                if let Some((_, ct)) = clauses.last_mut() {
                    ct.comments.push(c)
                }
            }
        }
    }
    let find = |k: Clause| clauses.iter().find(|(c, _)| *c == k).map(|(_, t)| t);
    let first_word = |k: Clause| find(k).and_then(|t| t.words.first().cloned());

    let mut hop = Hop {
        header_index,
        ..Default::default()
    };
    if let Some(from) = find(Clause::From) {
        let (helo, rdns, ip, injected) = read_from_clause(from);
        for comment in &injected {
            hop.anomalies.push(format!(
                "the HELO contained an address-like comment ({comment}): only the last comment \
                 before `by` is the server's record of the client (RFC 5321 §4.4), so this one \
                 came from the client"
            ));
        }
        hop.helo = helo.map(Into::into);
        // Only a name the receiving server looked up is shown as the client's host: the HELO
        // (Postfix's from word) is whatever the client said.
        hop.from_host = rdns.as_deref().map(Into::into);
        hop.from_rdns = rdns.map(Into::into);
        hop.from_ip = ip.map(|i| i.to_string().into());
        hop.anomalies
            .extend(client_identity_anomalies(&hop, from, ip));
    }
    hop.by_host = first_word(Clause::By).map(|h| h.trim_end_matches('.').into());
    // The server's own address, in the comment after its name (Microsoft, amavis).
    hop.by_ip = find(Clause::By)
        .and_then(|t| t.comments.first())
        .and_then(|c| {
            c.split(|ch: char| ch.is_whitespace() || matches!(ch, '(' | ')' | ','))
                .find_map(parse_ip_literal)
        })
        .map(|ip| ip.to_string().into());
    let with_words: Vec<String> = find(Clause::With)
        .map(|t| t.words.clone())
        .unwrap_or_default();
    if !with_words.is_empty() {
        // Exim appends `tls <cipher>` to the protocol; that is TLS detail, not the protocol.
        let end = with_words
            .iter()
            .position(|w| w.eq_ignore_ascii_case("tls"))
            .unwrap_or(with_words.len())
            .max(1);
        hop.with = Some(with_words[..end].join(" ").into());
    }
    hop.id = first_word(Clause::Id).map(Into::into);
    hop.for_addr = first_word(Clause::For).map(|f| {
        f.trim_start_matches('<')
            .trim_end_matches(['>', ';'])
            .into()
    });
    let all_comments: Vec<String> = clauses
        .iter()
        .flat_map(|(_, t)| t.comments.iter().cloned())
        .collect();
    hop.tls = read_tls(&all_comments, &with_words).map(Into::into);

    read_date(&mut hop, date);
    if find(Clause::From).is_none() && hop.by_host.is_none() {
        // qmail writes `(qmail 123 invoked by uid 89)`: a local step, not a network hop.
        let note = clauses
            .first()
            .and_then(|(_, t)| t.comments.first())
            .map(|c| format!(" (only a comment: {c:?})"))
            .unwrap_or_default();
        hop.anomalies.push(format!(
            "neither a `from` nor a `by` clause could be read{note}"
        ));
    }
    if let Some(ip) = hop
        .from_ip
        .as_deref()
        .and_then(|s| s.parse::<IpAddr>().ok())
        && let Some((_, words)) = ip_range(ip)
    {
        hop.anomalies.push(format!("client IP {ip} is {words}"));
    }
    // Most hops have none or one: a trace of thousands does not keep room for four each.
    hop.anomalies.shrink_to_fit();
    hop
}

/// The date after the `;`: RFC 5322, or RFC 3339 as a few agents write it; what does not parse
/// is an anomaly of the hop.
fn read_date(hop: &mut Hop, date: Option<&str>) {
    match date {
        None => hop
            .anomalies
            .push("no date: the header has no `; date` part".to_string()),
        Some("") => hop
            .anomalies
            .push("no date: nothing after the `;`".to_string()),
        Some(d) => {
            hop.date = Some(d.into());
            // RFC 5322 dates; a few agents write RFC 3339 instead.
            let parsed = DateTime::parse_rfc822(d)
                .filter(|dt| dt.is_valid())
                .or_else(|| DateTime::parse_rfc3339(d).filter(|dt| dt.is_valid()));
            match parsed {
                Some(dt) => hop.timestamp = Some(dt.to_timestamp()),
                None => hop.anomalies.push(format!("unparsable date {d:?}")),
            }
        }
    }
}

/// Parses every Received header into the hop timeline (`hops[0]` = topmost) with per-hop delays
/// and anomalies. Never fails: what cannot be read is an anomaly of that hop.
pub fn parse_hops(headers: &[Header]) -> (Vec<Hop>, Vec<Warning>) {
    let received = |h: &&Header| h.name.eq_ignore_ascii_case("received");
    // Sized up front: a list grown by doubling would hold up to twice the hops' size.
    let mut hops: Vec<Hop> = Vec::with_capacity(headers.iter().filter(received).count());
    hops.extend(
        headers
            .iter()
            .filter(received)
            .map(|h| parse_received(h.index, &h.value)),
    );
    let mut warnings = Vec::new();
    for i in 0..hops.len() {
        let older = hops.get(i + 1).and_then(|h| h.timestamp);
        if let (Some(this), Some(older)) = (hops[i].timestamp, older) {
            let delay = this - older;
            hops[i].delay_seconds = Some(delay);
            if delay < 0 {
                hops[i].anomalies.push(format!(
                    "negative delay: {} earlier than the hop before it (clock skew, or a forged \
                     header below)",
                    human_duration(-delay)
                ));
                warnings.push(Warning::new(
                    Severity::Warning,
                    "hop-negative-delay",
                    format!(
                        "Received header {} is dated {} before the hop it follows.",
                        hops[i].header_index,
                        human_duration(-delay)
                    ),
                    Some(hops[i].header_index),
                ));
            }
        }
        let hop = &hops[i];
        if hop.date.is_none() {
            warnings.push(Warning::new(
                Severity::Warning,
                "hop-missing-date",
                format!(
                    "Received header {} has no date; its delay cannot be computed.",
                    hop.header_index
                ),
                Some(hop.header_index),
            ));
        } else if hop.timestamp.is_none() {
            warnings.push(Warning::new(
                Severity::Warning,
                "hop-bad-date",
                format!(
                    "Received header {} has a date that cannot be parsed: {:?}.",
                    hop.header_index,
                    hop.date.as_deref().unwrap_or("")
                ),
                Some(hop.header_index),
            ));
        }
        if let Some(ip) = hop
            .from_ip
            .as_deref()
            .and_then(|s| s.parse::<IpAddr>().ok())
            && let Some((code, words)) = ip_range(ip)
            // Documentation ranges are test data: the hop anomaly says it once.
            && code != "hop-documentation-ip"
        {
            warnings.push(Warning::new(
                Severity::Info,
                code,
                format!(
                    "Received header {}: client IP {ip} is {words}.",
                    hop.header_index
                ),
                Some(hop.header_index),
            ));
        }
        if hop.from_ip.is_none()
            && hop.helo.is_none()
            && hop.from_rdns.is_none()
            && hop.by_host.is_none()
        {
            let local_step = hop.anomalies.iter().any(|a| a.contains("only a comment"));
            warnings.push(Warning::new(
                if local_step {
                    Severity::Info
                } else {
                    Severity::Warning
                },
                "hop-unreadable",
                format!(
                    "Received header {}: neither a from nor a by clause could be read{}.",
                    hop.header_index,
                    if local_step {
                        " (a local delivery step)"
                    } else {
                        ""
                    }
                ),
                Some(hop.header_index),
            ));
        }
    }
    (hops, warnings)
}

/// A duration in words for people: `42 s`, `5 min 3 s`, `5 h 27 min`, `12 days 22 h`. Negative
/// durations get a leading minus.
pub fn human_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    // `abs` saturates at i64::MIN, a second off where only days and hours are shown.
    let span = time::Duration::seconds(secs).abs();
    let (d, h, m, sec) = (
        span.whole_days(),
        span.whole_hours() % 24,
        span.whole_minutes() % 60,
        span.whole_seconds() % 60,
    );
    let text = if d > 0 {
        let days = if d == 1 { "day" } else { "days" };
        if h > 0 {
            format!("{d} {days} {h} h")
        } else {
            format!("{d} {days}")
        }
    } else if h > 0 {
        if m > 0 {
            format!("{h} h {m} min")
        } else {
            format!("{h} h")
        }
    } else if m > 0 {
        if sec > 0 {
            format!("{m} min {sec} s")
        } else {
            format!("{m} min")
        }
    } else {
        format!("{sec} s")
    };
    format!("{sign}{text}")
}

/// The clock skew the receiving organisation's own servers can show between consecutive hops.
pub const RECEIVER_CLOCK_SKEW_TOLERANCE_SECS: i64 = 120;

/// Once the trust boundary is known (after [`parse_hops`]): a negative delay of up to two minutes
/// between two hops the receiving organisation wrote itself — the boundary hop and those above
/// it — is its servers' clock skew, not a sign of a forged header below, so its
/// `hop-negative-delay` warning becomes info and the hop's anomaly says so.
pub fn soften_receiver_clock_skew(
    hops: &mut [Hop],
    boundary_hop: Option<usize>,
    warnings: &mut [Warning],
) {
    let Some(boundary) = boundary_hop else {
        return;
    };
    // Hop i is dated against hop i + 1 (older); both are the receiver's when i + 1 <= boundary.
    for hop in hops.iter_mut().take(boundary) {
        let Some(delay) = hop.delay_seconds else {
            continue;
        };
        if !(-RECEIVER_CLOCK_SKEW_TOLERANCE_SECS..0).contains(&delay) {
            continue;
        }
        let skew = human_duration(-delay);
        let why = "clock skew between the receiving organisation's own servers (up to 2 min is \
                   normal)";
        for a in hop
            .anomalies
            .iter_mut()
            .filter(|a| a.starts_with("negative delay:"))
        {
            *a = format!("negative delay: {skew} earlier than the hop before it: {why}");
        }
        for w in warnings
            .iter_mut()
            .filter(|w| w.code == "hop-negative-delay" && w.header_index == Some(hop.header_index))
        {
            w.severity = Severity::Info;
            w.message = format!(
                "Received header {} is dated {skew} before the hop it follows: {why}, not a sign \
                 of forgery.",
                hop.header_index
            );
        }
    }
}

#[cfg(test)]
mod skew_tests {
    use super::*;
    use crate::analysis::trail::headers::split_headers;

    /// Three hops, newest first: the top one dated `top_skew` seconds after the middle one,
    /// which is 60 s after the bottom one.
    fn hops_with_top_delay(top_skew: i64) -> (Vec<Hop>, Vec<Warning>) {
        let at = |secs: i64| format!("Mon, 2 Nov 2026 10:{:02}:{:02} +0000", secs / 60, secs % 60);
        let raw = format!(
            "Received: from mx1.example.net (mx1.example.net [192.0.2.2]) by mbox.example.net; {}\r\n\
             Received: from mail.example.org (mail.example.org [198.51.100.7]) by mx1.example.net; {}\r\n\
             Received: from client.example.org (client.example.org [203.0.113.5]) by mail.example.org; {}\r\n\
             From: a@example.org\r\n\r\nbody\r\n",
            at(600 + top_skew),
            at(600),
            at(540)
        );
        let headers = split_headers(raw.as_bytes()).headers;
        parse_hops(&headers)
    }

    fn negative_delay_warning(warnings: &[Warning]) -> &Warning {
        warnings
            .iter()
            .find(|w| w.code == "hop-negative-delay")
            .expect("a negative-delay warning")
    }

    #[test]
    fn receiver_clock_skew_up_to_two_minutes_is_info() {
        let (mut hops, mut warnings) = hops_with_top_delay(-90);
        // Boundary at hop 1 (mx1 received from outside): hops 0 and 1 are the receiver's.
        soften_receiver_clock_skew(&mut hops, Some(1), &mut warnings);
        let w = negative_delay_warning(&warnings);
        assert_eq!(w.severity, Severity::Info);
        assert!(w.message.contains("1 min 30 s"), "{}", w.message);
        assert!(w.message.contains("not a sign of forgery"), "{}", w.message);
        assert!(hops[0].anomalies.iter().any(|a| a.contains("clock skew")));
    }

    #[test]
    fn receiver_clock_skew_over_two_minutes_stays_a_warning() {
        let (mut hops, mut warnings) = hops_with_top_delay(-150);
        soften_receiver_clock_skew(&mut hops, Some(1), &mut warnings);
        assert_eq!(
            negative_delay_warning(&warnings).severity,
            Severity::Warning
        );
    }

    #[test]
    fn negative_delay_from_a_hop_below_the_boundary_stays_a_warning() {
        let (mut hops, mut warnings) = hops_with_top_delay(-30);
        // Boundary at hop 0: the hop it follows (mx1) was written before the receiver got it.
        soften_receiver_clock_skew(&mut hops, Some(0), &mut warnings);
        assert_eq!(
            negative_delay_warning(&warnings).severity,
            Severity::Warning
        );
        soften_receiver_clock_skew(&mut hops, None, &mut warnings);
        assert_eq!(
            negative_delay_warning(&warnings).severity,
            Severity::Warning
        );
    }
}
