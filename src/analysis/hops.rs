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

use super::Options;
use super::compare::{
    AuthResultsHeader, authserv_id_of, parse_authentication_results, parse_received_spf,
    receivers_arc_results_agree, recorded_client_ip,
};
use super::model::{Envelope, Header, Hop, Severity, Source, Warning};

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
                let (text, _unclosed) = super::lex::read_comment(&mut chars);
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
            && !same_server(h, rdns)
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
fn parse_received(header_index: usize, value: &str) -> Hop {
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
        hop.helo = helo;
        // Only a name the receiving server looked up is shown as the client's host: the HELO
        // (Postfix's from word) is whatever the client said.
        hop.from_host = rdns.clone();
        hop.from_rdns = rdns;
        hop.from_ip = ip.map(|i| i.to_string());
        hop.anomalies
            .extend(client_identity_anomalies(&hop, from, ip));
    }
    hop.by_host = first_word(Clause::By).map(|h| h.trim_end_matches('.').to_string());
    // The server's own address, in the comment after its name (Microsoft, amavis).
    hop.by_ip = find(Clause::By)
        .and_then(|t| t.comments.first())
        .and_then(|c| {
            c.split(|ch: char| ch.is_whitespace() || matches!(ch, '(' | ')' | ','))
                .find_map(parse_ip_literal)
        })
        .map(|ip| ip.to_string());
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
        hop.with = Some(with_words[..end].join(" "));
    }
    hop.id = first_word(Clause::Id);
    hop.for_addr = first_word(Clause::For).map(|f| {
        f.trim_start_matches('<')
            .trim_end_matches(['>', ';'])
            .to_string()
    });
    let all_comments: Vec<String> = clauses
        .iter()
        .flat_map(|(_, t)| t.comments.iter().cloned())
        .collect();
    hop.tls = read_tls(&all_comments, &with_words);

    match date {
        None => hop
            .anomalies
            .push("no date: the header has no `; date` part".to_string()),
        Some("") => hop
            .anomalies
            .push("no date: nothing after the `;`".to_string()),
        Some(d) => {
            hop.date = Some(d.to_string());
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
    hop
}

/// The `by` host of one Received value, as the hop timeline reads it.
pub fn received_by_host(value: &str) -> Option<String> {
    parse_received(0, value).by_host
}

/// Parses every Received header into the hop timeline (`hops[0]` = topmost) with per-hop delays
/// and anomalies. Never fails: what cannot be read is an anomaly of that hop.
pub fn parse_hops(headers: &[Header]) -> (Vec<Hop>, Vec<Warning>) {
    let mut hops: Vec<Hop> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("received"))
        .map(|h| parse_received(h.index, &h.value))
        .collect();
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

/// A duration in words for people: `42 s`, `5 min 3 s`, `5 h 27 min`, `12 days 22 h`. Negative
/// durations get a leading minus.
pub fn human_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let (d, h, m, sec) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60, s % 60);
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
mod tests {
    use super::*;
    use crate::analysis::headers::split_headers;

    fn hop(value: &str) -> Hop {
        parse_received(0, &value.replace('\n', " "))
    }

    fn message(text: &str) -> Vec<Header> {
        split_headers(text.replace('\n', "\r\n").as_bytes()).headers
    }

    #[test]
    fn postfix_form_with_tls() {
        let h = hop(
            "from mail.sender.example (mail-out.sender.example [203.0.113.5])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
	 key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
	(No client certificate requested)
	by mx.receiver.example (Postfix) with ESMTPS id 4ABCD12345
	for <user@receiver.example>; Mon, 13 Nov 2023 10:00:05 +0000 (UTC)",
        );
        assert_eq!(h.helo.as_deref(), Some("mail.sender.example"));
        assert_eq!(h.from_rdns.as_deref(), Some("mail-out.sender.example"));
        assert_eq!(h.from_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(h.by_host.as_deref(), Some("mx.receiver.example"));
        assert_eq!(h.with.as_deref(), Some("ESMTPS"));
        assert_eq!(h.id.as_deref(), Some("4ABCD12345"));
        // mail vs mail-out of the same domain: no mismatch flagged.
        assert!(
            h.anomalies.iter().all(|a| !a.contains("HELO")),
            "{:?}",
            h.anomalies
        );
        assert_eq!(h.for_addr.as_deref(), Some("user@receiver.example"));
        assert_eq!(h.tls.as_deref(), Some("TLSv1.3 TLS_AES_256_GCM_SHA384"));
        assert_eq!(h.timestamp, Some(1699869605));
    }

    #[test]
    fn postfix_unknown_rdns_and_ipv6() {
        let h = hop(
            "from helo.example (unknown [IPv6:2001:db8::25]) by mx.example.org \
                     (Postfix) with ESMTP id X; Mon, 13 Nov 2023 10:00:05 +0000",
        );
        assert_eq!(h.helo.as_deref(), Some("helo.example"));
        assert_eq!(h.from_rdns, None);
        assert_eq!(h.from_ip.as_deref(), Some("2001:db8::25"));
        assert_eq!(h.tls, None);
        assert!(
            h.anomalies
                .iter()
                .any(|a| a.starts_with("no reverse DNS name"))
        );
        assert!(h.anomalies.iter().any(|a| a.contains("documentation")));
    }

    #[test]
    fn sendmail_form_with_ident_and_may_be_forged() {
        let h = hop(
            "from helo.example (user@rdns.example [198.51.100.7] (may be forged))
	by mx.example.org (8.15.2/8.15.2) with ESMTP id 3AB1C2D3004567
	for <u@example.org>; Tue, 14 Nov 2023 09:00:00 -0500",
        );
        assert_eq!(h.helo.as_deref(), Some("helo.example"));
        assert_eq!(h.from_rdns.as_deref(), Some("rdns.example"));
        assert_eq!(h.from_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(h.id.as_deref(), Some("3AB1C2D3004567"));
        assert_eq!(h.timestamp, Some(1699970400));
        assert!(
            h.anomalies
                .iter()
                .any(|a| a.contains("does not match the reverse DNS name"))
        );
    }

    #[test]
    fn exim_form_with_literal_and_helo() {
        let h = hop("from [192.0.2.25] (helo=client.example)
 by mx.exim.example with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384
 (Exim 4.96)
 (envelope-from <a@client.example>)
 id 1rABCD-000123-AB
 for b@exim.example; Wed, 15 Nov 2023 12:34:56 +0100");
        assert_eq!(h.from_ip.as_deref(), Some("192.0.2.25"));
        assert_eq!(h.helo.as_deref(), Some("client.example"));
        assert_eq!(h.from_rdns, None);
        assert_eq!(h.with.as_deref(), Some("esmtps"));
        assert_eq!(h.tls.as_deref(), Some("TLS1.3 TLS_AES_256_GCM_SHA384"));
        assert_eq!(h.id.as_deref(), Some("1rABCD-000123-AB"));
        assert_eq!(h.for_addr.as_deref(), Some("b@exim.example"));
    }

    #[test]
    fn exim_form_with_rdns_port_and_helo() {
        let h = hop(
            "from mail.client.example ([198.51.100.9]:42135 helo=smtp.client.example) \
                     by mx.exim.example with esmtp (Exim 4.96) id 1r; Wed, 15 Nov 2023 12:34:56 +0100",
        );
        assert_eq!(h.from_ip.as_deref(), Some("198.51.100.9"));
        assert_eq!(h.helo.as_deref(), Some("smtp.client.example"));
        assert_eq!(h.from_rdns.as_deref(), Some("mail.client.example"));
        assert_eq!(h.tls, None);
    }

    #[test]
    fn microsoft_forms() {
        let h = hop("from mail.contoso.example (203.0.113.10) by \
                     DM6NAM11FT012.mail.protection.outlook.com (10.13.172.123) with Microsoft SMTP \
                     Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7202.13 via \
                     Frontend Transport; Thu, 16 Nov 2023 08:15:30 +0000");
        assert_eq!(h.helo.as_deref(), Some("mail.contoso.example"));
        assert_eq!(h.from_ip.as_deref(), Some("203.0.113.10"));
        assert_eq!(
            h.by_host.as_deref(),
            Some("DM6NAM11FT012.mail.protection.outlook.com")
        );
        assert_eq!(h.with.as_deref(), Some("Microsoft SMTP Server"));
        assert_eq!(h.tls.as_deref(), Some("TLS1_3 TLS_AES_256_GCM_SHA384"));
        assert_eq!(h.id.as_deref(), Some("15.20.7202.13"));
        let h = hop(
            "from BN8PR12MB1234.namprd12.prod.outlook.com (2603:10b6:408:e0::12) by \
                     SN6PR12MB5678.namprd12.prod.outlook.com (2603:10b6:805:6f::23) with HTTPS; \
                     Thu, 16 Nov 2023 08:15:31 +0000",
        );
        assert_eq!(h.from_ip.as_deref(), Some("2603:10b6:408:e0::12"));
        assert_eq!(
            h.helo.as_deref(),
            Some("BN8PR12MB1234.namprd12.prod.outlook.com")
        );
    }

    #[test]
    fn google_forms() {
        let h = hop(
            "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])
        by mx.google.com with SMTPS id a1sor123456wrb.12.2023.11.16.05.06.07
        for <rcpt@gmail.com>
        (Google Transport Security);
        Thu, 16 Nov 2023 05:06:07 -0800 (PST)",
        );
        assert_eq!(h.helo.as_deref(), Some("mail-sor-f41.google.com"));
        assert_eq!(h.from_rdns.as_deref(), Some("mail-sor-f41.google.com"));
        assert_eq!(h.from_ip.as_deref(), Some("209.85.220.41"));
        assert_eq!(h.for_addr.as_deref(), Some("rcpt@gmail.com"));
        assert_eq!(h.tls.as_deref(), Some("TLS (Google Transport Security)"));
        assert_eq!(h.timestamp, Some(1700139967));
        let h = hop(
            "from mail.example.com (mail.example.com. [2607:f8b0:4864:20::42f]) by \
                     mx.google.com with ESMTPS id x.1 (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 \
                     bits=256/256); Thu, 16 Nov 2023 05:06:07 -0800",
        );
        assert_eq!(h.from_ip.as_deref(), Some("2607:f8b0:4864:20::42f"));
        assert_eq!(h.tls.as_deref(), Some("TLS1_3 TLS_AES_256_GCM_SHA384"));
        assert!(h.anomalies.is_empty(), "{:?}", h.anomalies);
        let h = hop("by 2002:a05:6a10:1234:b0:4a1:2345:6789 with SMTP id abc; \
                     Thu, 16 Nov 2023 05:06:08 -0800 (PST)");
        assert_eq!(
            h.by_host.as_deref(),
            Some("2002:a05:6a10:1234:b0:4a1:2345:6789")
        );
        assert_eq!(h.from_ip, None);
    }

    #[test]
    fn qmail_form() {
        let h = hop(
            "from unknown (HELO mail.example.net) (198.51.100.20) by mx.example.com with \
                     SMTP; 17 Nov 2023 10:00:00 -0000",
        );
        assert_eq!(h.helo.as_deref(), Some("mail.example.net"));
        assert_eq!(h.from_rdns, None);
        assert_eq!(h.from_ip.as_deref(), Some("198.51.100.20"));
        assert!(h.timestamp.is_some());
    }

    #[test]
    fn qmail_local_step_is_info_only() {
        let hs =
            message("Received: (qmail 12345 invoked by uid 89); 17 Nov 2023 10:00:00 -0000\n\n");
        let (hops, warnings) = parse_hops(&hs);
        assert!(hops[0].timestamp.is_some());
        assert!(hops[0].anomalies[0].contains("only a comment"));
        let w = warnings
            .iter()
            .find(|w| w.code == "hop-unreadable")
            .unwrap();
        assert_eq!(w.severity, Severity::Info);
    }

    #[test]
    fn missing_and_unparsable_dates_are_flagged() {
        let hs = message(
            "Received: from a.example (a.example [192.0.2.1]) by b.example with SMTP\n\
             Received: from c.example by d.example; not a date at all\n\n",
        );
        let (hops, warnings) = parse_hops(&hs);
        assert_eq!(hops.len(), 2);
        assert!(hops[0].date.is_none());
        assert!(hops[0].anomalies.iter().any(|a| a.starts_with("no date")));
        assert!(
            hops[1]
                .anomalies
                .iter()
                .any(|a| a.starts_with("unparsable date"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.code == "hop-missing-date" && w.header_index == Some(0))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.code == "hop-bad-date" && w.header_index == Some(1))
        );
        assert_eq!(hops[0].delay_seconds, None);
    }

    #[test]
    fn dates_in_other_usual_forms_parse() {
        for (d, ts) in [
            ("Mon, 13 Nov 2023 10:00:05 GMT", 1699869605),
            ("13 Nov 23 10:00:05 -0000", 1699869605),
            ("2023-11-13T10:00:05Z", 1699869605),
        ] {
            assert_eq!(
                hop(&format!("by x.example; {d}")).timestamp,
                Some(ts),
                "{d}"
            );
        }
        let h = hop("by x.example; Mon, 32 Foo 2023 99:99:99 +9999");
        assert_eq!(h.timestamp, None);
        assert!(h.anomalies.iter().any(|a| a.starts_with("unparsable date")));
    }

    #[test]
    fn delays_and_negative_delay() {
        let hs = message(
            "Received: by top.example; Mon, 13 Nov 2023 10:00:00 +0000\n\
             Received: by mid.example; Mon, 13 Nov 2023 10:00:30 +0000\n\
             Received: by low.example; Mon, 13 Nov 2023 09:59:00 +0000\n\n",
        );
        let (hops, warnings) = parse_hops(&hs);
        assert_eq!(hops[0].delay_seconds, Some(-30));
        assert_eq!(hops[1].delay_seconds, Some(90));
        assert_eq!(hops[2].delay_seconds, None);
        assert!(
            hops[0]
                .anomalies
                .iter()
                .any(|a| a.contains("negative delay"))
        );
        assert!(
            warnings
                .iter()
                .any(|w| w.code == "hop-negative-delay" && w.header_index == Some(0))
        );
    }

    #[test]
    fn private_and_reserved_ranges() {
        let r = |s: &str| ip_range(s.parse().unwrap()).map(|(c, w)| (c, w.to_string()));
        assert_eq!(r("10.1.2.3").unwrap().1, "private (RFC 1918)");
        assert_eq!(r("172.20.0.1").unwrap().0, "hop-private-ip");
        assert!(r("172.32.0.1").is_none());
        assert_eq!(r("127.0.0.1").unwrap().1, "loopback");
        assert_eq!(r("169.254.1.1").unwrap().1, "link-local");
        assert!(r("100.64.0.1").unwrap().1.contains("CGNAT"));
        assert_eq!(r("192.0.2.1").unwrap().0, "hop-documentation-ip");
        assert_eq!(r("fd00::1").unwrap().1, "unique-local (RFC 4193)");
        assert_eq!(r("fe80::1").unwrap().1, "link-local");
        assert_eq!(r("2001:db8::1").unwrap().0, "hop-documentation-ip");
        assert_eq!(r("::ffff:10.0.0.1").unwrap().1, "private (RFC 1918)");
        assert!(r("8.8.8.8").is_none());
        assert!(r("2607:f8b0::1").is_none());
    }

    #[test]
    fn odd_text_never_panics() {
        for v in [
            "",
            ";",
            "(((",
            "from",
            "from (",
            "from [",
            "from [IPv6:",
            "by ; ;;",
            "from é (ü [ÿ]) by ß; ☃",
            "from x (helo=) by",
            "for <",
            "\"unterminated",
        ] {
            let _ = hop(v);
        }
    }

    fn opts() -> Options {
        Options {
            now: 1_700_000_000,
            ..Default::default()
        }
    }

    const GMAIL_LIKE: &str = "Return-Path: <bounce@sender.example>
Received: by 2002:a05:6a10:1234::1 with SMTP id abc; Mon, 13 Nov 2023 10:00:07 +0000
Received: from internal.receiver.example (internal.receiver.example [10.0.0.5]) by mx2.receiver.example with ESMTP id q; Mon, 13 Nov 2023 10:00:06 +0000
Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=sender.example
Received: from mail.sender.example (out.sender.example [198.51.100.5]) by mx.receiver.example with ESMTPS id y; Mon, 13 Nov 2023 10:00:05 +0000
Received: from laptop (laptop [192.168.1.20]) by mail.sender.example with ESMTPSA id z; Mon, 13 Nov 2023 10:00:00 +0000
From: a@sender.example

body
";

    #[test]
    fn boundary_is_the_hop_written_by_the_authserv_id() {
        let hs = message(GMAIL_LIKE);
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        // hops[1] (by mx2.receiver.example, same registrable domain as the authserv-id) is the
        // topmost match; hops[2] below it is the receiver's too, and is where the message came in.
        assert_eq!(env.boundary_hop, Some(2));
        assert_eq!(env.boundary_header, Some(4));
        assert_eq!(env.receiver.as_deref(), Some("mx.receiver.example"));
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
        assert_eq!(env.helo.as_deref(), Some("mail.sender.example"));
        assert!(!warnings.iter().any(|w| w.code == "client-ip-private"));
        assert!(hops[2].is_boundary && !hops[2].below_boundary);
        assert!(hops[3].below_boundary && !hops[1].below_boundary && !hops[0].below_boundary);
    }

    #[test]
    fn receiver_override_picks_the_named_hop() {
        let hs = message(GMAIL_LIKE);
        let (mut hops, _) = parse_hops(&hs);
        let o = Options {
            receiver: Some("mx.receiver.example".into()),
            ..opts()
        };
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
        assert_eq!(env.receiver.as_deref(), Some("mx.receiver.example"));
        assert_eq!(env.boundary_hop, Some(2));
        let o = Options {
            receiver: Some("mail.sender.example".into()),
            ..opts()
        };
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
        assert_eq!(env.boundary_hop, Some(3));
        assert_eq!(env.client_ip.as_deref(), Some("192.168.1.20"));
        assert_eq!(env.helo.as_deref(), Some("laptop"));
        assert!(hops[3].is_boundary && !hops[2].is_boundary);
        let src = env.sources.iter().find(|s| s.field == "client_ip").unwrap();
        assert_eq!(src.header_index, Some(5));
    }

    #[test]
    fn boundary_without_auth_results_is_the_topmost_received() {
        let text = "Received: from mail.sender.example (out.sender.example [198.51.100.5]) by \
                    mx.receiver.example with ESMTP id y; Mon, 13 Nov 2023 10:00:05 +0000\n\
                    Received: from laptop (laptop [192.168.1.20]) by mail.sender.example with \
                    ESMTPSA id z; Mon, 13 Nov 2023 10:00:00 +0000\n\
                    Return-Path: <a@sender.example>\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0));
        assert_eq!(env.boundary_header, Some(0));
        assert_eq!(env.receiver.as_deref(), Some("mx.receiver.example"));
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
        assert_eq!(env.helo.as_deref(), Some("mail.sender.example"));
        assert_eq!(env.mail_from.as_deref(), Some("a@sender.example"));
        assert_eq!(env.spf_mail_from.as_deref(), Some("a@sender.example"));
        let src = env.sources.iter().find(|s| s.field == "mail_from").unwrap();
        assert_eq!(src.header_index, Some(2));
        assert!(!hops[0].below_boundary && hops[1].below_boundary);
    }

    #[test]
    fn microsoft_boundary_found_by_recorded_client_ip() {
        let text = "Received: from BN8PR12MB1234.namprd12.prod.outlook.com (2603:10b6:408:e0::12) \
                    by SN6PR12MB5678.namprd12.prod.outlook.com with HTTPS; Thu, 16 Nov 2023 \
                    08:15:31 +0000\n\
                    Authentication-Results: spf=pass (sender IP is 203.0.113.10) \
                    smtp.mailfrom=contoso.example; dkim=none (message not signed) \
                    header.d=none;dmarc=pass action=none header.from=contoso.example;\n\
                    Received: from mail.contoso.example (203.0.113.10) by \
                    DM6NAM11FT012.mail.protection.outlook.com (10.13.172.123) with Microsoft SMTP \
                    Server id 15.20.7202.13; Thu, 16 Nov 2023 08:15:30 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(1));
        assert_eq!(env.client_ip.as_deref(), Some("203.0.113.10"));
        assert_eq!(
            env.receiver.as_deref(),
            Some("DM6NAM11FT012.mail.protection.outlook.com")
        );
    }

    #[test]
    fn null_reverse_path_checks_postmaster_at_helo() {
        let text = "Return-Path: <>\nReceived: from bounce.example (bounce.example \
                    [198.51.100.5]) by mx.example.org with ESMTP; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.mail_from.as_deref(), Some(""));
        assert_eq!(
            env.spf_mail_from.as_deref(),
            Some("postmaster@bounce.example")
        );
        assert!(env.sources.iter().any(|s| s.field == "spf_mail_from"));
    }

    #[test]
    fn return_path_with_comment() {
        assert_eq!(strip_angle(" <a@b.example> (bounce)"), "a@b.example");
        assert_eq!(strip_angle("<>"), "");
        assert_eq!(strip_angle("a@b.example"), "a@b.example");
        assert_eq!(strip_angle("<unclosed@b.example"), "unclosed@b.example");
    }

    #[test]
    fn command_line_overrides_win() {
        let text = "Return-Path: <a@b.example>\nReceived: from x.example (x.example \
                    [198.51.100.5]) by mx.example.org; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let o = Options {
            client_ip: Some("192.0.2.99".parse().unwrap()),
            helo: Some("given.example".into()),
            mail_from: Some(String::new()),
            ..opts()
        };
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
        assert_eq!(env.client_ip.as_deref(), Some("192.0.2.99"));
        assert_eq!(env.helo.as_deref(), Some("given.example"));
        assert_eq!(env.mail_from.as_deref(), Some(""));
        assert_eq!(
            env.spf_mail_from.as_deref(),
            Some("postmaster@given.example")
        );
        let src = env.sources.iter().find(|s| s.field == "client_ip").unwrap();
        assert_eq!(src.header_index, None);
        assert!(src.how.contains("--ip"));
    }

    #[test]
    fn future_dates_are_flagged_against_now() {
        let hs = message("Received: by mx.example.org; Mon, 13 Nov 2034 10:00:05 +0000\n\n");
        let (mut hops, _) = parse_hops(&hs);
        let (_, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert!(warnings.iter().any(|w| w.code == "hop-future-date"));
        assert!(hops[0].anomalies.iter().any(|a| a.contains("future")));
    }

    #[test]
    fn no_received_headers_says_so() {
        let hs = message("From: a@b.example\n\n");
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, None);
        assert!(warnings.iter().any(|w| w.code == "no-received"));
        assert!(warnings.iter().any(|w| w.code == "mail-from-missing"));
    }

    #[test]
    fn same_server_rule() {
        assert!(same_server("mx.google.com", "mx.google.com."));
        assert!(same_server("google.com", "mx.google.com"));
        assert!(same_server("mx2.receiver.example", "mx.receiver.example"));
        assert!(same_server("a.mail.example.co.uk", "b.example.co.uk"));
        assert!(!same_server("example.co.uk", "other.co.uk"));
        assert!(!same_server("receiver.example", "sender.example"));
        assert!(!same_server("10.0.0.1", "10.0.0.2"));
        assert!(!same_server("", "x.example"));
    }

    #[test]
    fn a_recorded_ip_below_a_public_receiver_hop_does_not_move_the_boundary() {
        // c15 (Received-SPF), c13 (A-R by an unknown authserv-id), c17 (the receiver's own A-R
        // names no host): the forged header and the forged hop sit below the receiver's edge.
        let forged = "Received: from mail.bank.example (mail.bank.example [192.0.2.10]) by \
                      mx.example.net (Postfix) with ESMTPS id 4QTm000000 for <bob@example.net>; \
                      Wed, 04 Nov 2026 10:05:30 +0000\n\n";
        let edge = "Received: from smtp.evil.example (smtp.evil.example [198.51.100.200]) by \
                    mx.example.net (Postfix) with ESMTPS id 4QTm7k1Zbdz2xFh for \
                    <bob@example.net>; Wed, 04 Nov 2026 10:05:36 +0000\n";
        let rspf = "Received-SPF: pass (mx.example.net: domain of ceo@bank.example designates \
                    192.0.2.10 as permitted sender) client-ip=192.0.2.10;\n";
        let ar = "Authentication-Results: spf.checker.invalid; spf=pass \
                  smtp.mailfrom=bank.example (sender IP is 192.0.2.10)\n";
        let top = "Authentication-Results: mailfilter; spf=fail smtp.mailfrom=bank.example; \
                   dkim=none; dmarc=fail header.from=bank.example\n";
        for (case, text) in [
            ("c15", format!("{edge}{rspf}{forged}")),
            ("c13", format!("{edge}{ar}{forged}")),
            ("c17", format!("{top}{edge}{rspf}{forged}")),
        ] {
            let hs = message(&text);
            let (mut hops, _) = parse_hops(&hs);
            let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
            assert_eq!(env.boundary_hop, Some(0), "{case}");
            assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"), "{case}");
            assert!(
                warnings.iter().any(|w| w.code == "recorded-ip-ignored"),
                "{case}: {warnings:?}"
            );
        }
        // A recorded result below the hop it names says nothing about it.
        let text = format!("{edge}{}", rspf.replace("192.0.2.10", "198.51.100.200")) + "\n";
        let hs = message(&text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        let how = &env
            .sources
            .iter()
            .find(|s| s.field == "receiver")
            .unwrap()
            .how;
        assert!(
            how.starts_with("`by` host of the topmost Received"),
            "{how}"
        );
    }

    #[test]
    fn amavis_reinjection_is_the_receivers_own_step() {
        // c11: Debian's Postfix + amavis layout.
        let text = "Received: from localhost (localhost [127.0.0.1])\n\tby mx.example.net \
                    (Postfix) with ESMTP id 4QTm8A0000z2xFh\n\tfor <bob@example.net>; Wed, 04 Nov \
                    2026 10:05:38 +0000 (UTC)\n\
                    X-Virus-Scanned: Debian amavis at mx.example.net\n\
                    Authentication-Results: mx.example.net (amavis); dkim=pass (2048-bit key)\n\
                    \theader.d=evil.example header.s=s1; spf=pass smtp.mailfrom=evil.example\n\
                    Received: from mx.example.net ([127.0.0.1])\n\tby localhost (mx.example.net \
                    [127.0.0.1]) (amavis, port 10024) with ESMTP\n\tid AbCdEf123; Wed,  4 Nov 2026 \
                    10:05:37 +0000 (UTC)\n\
                    Received: from smtp.evil.example (smtp.evil.example [198.51.100.200])\n\
                    \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\
                    \tby mx.example.net (Postfix) with ESMTPS id 4QTm7k1Zbdz2xFh\n\
                    \tfor <bob@example.net>; Wed, 04 Nov 2026 10:05:36 +0000 (UTC)\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        assert_eq!(hops[1].by_ip.as_deref(), Some("127.0.0.1"));
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(2));
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"));
        assert!(
            !warnings.iter().any(|w| w.code == "forged-auth-results"),
            "{warnings:?}"
        );
        // A public client at the top is not walked past, `by localhost` or not.
        let text = text.replacen(
            "localhost (localhost [127.0.0.1])",
            "x (unknown [198.51.100.7])",
            1,
        );
        let hs = message(&text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0));
    }

    #[test]
    fn same_v6_32_as_an_ordinary_receiver_is_not_internal() {
        // A shared cloud /32: the client at the receiver's edge is an outsider, so the boundary
        // stays at the edge and the forged hop below is not walked onto.
        let text = "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=bank.example\n\
                    Received: from unknown (unknown [2001:db8:77::5]) by mx.example.net \
                    (2001:db8:1::25) with ESMTPS; Wed, 4 Nov 2026 10:05:38 +0000\n\
                    Received: from mail.bank.example (mail.bank.example [192.0.2.10]) by \
                    mx.example.net with ESMTPS; Wed, 4 Nov 2026 10:05:30 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.client_ip.as_deref(), Some("2001:db8:77::5"));
        assert_eq!(env.boundary_hop, Some(0));
    }

    #[test]
    fn microsoft_365_hops_across_its_domains_are_one_operator() {
        // c09: *.prod.outlook.com, *.outlook.office365.com, *.mail.protection.outlook.com.
        let text = "Received: from SA1PR12MB1234.namprd12.prod.outlook.com (2603:10b6:806:1::10) \
                    by BN8PR12MB5678.namprd12.prod.outlook.com with HTTPS; Wed, 4 Nov 2026 \
                    10:05:38 +0000\n\
                    Received: from DM6PR02CA0001.namprd02.prod.outlook.com (2603:10b6:5:1c0::14) \
                    by SA1PR12MB1234.namprd12.prod.outlook.com (2603:10b6:806:1::10) with \
                    Microsoft SMTP Server id 15.20.8901.12; Wed, 4 Nov 2026 10:05:37 +0000\n\
                    Received: from DS1PEPF00017092.namprd03.prod.outlook.com \
                    (2603:10b6:5:1c0:cafe::1) by DM6PR02CA0001.outlook.office365.com \
                    (2603:10b6:5:1c0::14) with Microsoft SMTP Server id 15.20.8901.12 via \
                    Frontend Transport; Wed, 4 Nov 2026 10:05:37 +0000\n\
                    Authentication-Results: spf=pass (sender IP is 198.51.100.200) \
                    smtp.mailfrom=evil.example; dkim=pass (signature was verified) \
                    header.d=evil.example;dmarc=pass action=none header.from=evil.example\n\
                    Received: from smtp.evil.example (198.51.100.200) by \
                    DS1PEPF00017092.mail.protection.outlook.com (10.167.18.196) with Microsoft \
                    SMTP Server id 15.20.8901.12 via Frontend Transport; Wed, 4 Nov 2026 \
                    10:05:36 +0000\n\
                    Received: from mail.bank.example (192.0.2.10) by \
                    DS1PEPF00017092.mail.protection.outlook.com (10.167.18.196) with Microsoft \
                    SMTP Server id 15.20.8901.12; Wed, 4 Nov 2026 10:05:30 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(3));
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"));
        assert!(
            warnings
                .iter()
                .any(|w| w.code == "hops-above-boundary" && w.severity == Severity::Info),
            "{warnings:?}"
        );
        assert!(same_server(
            "x.outlook.office365.com",
            "y.mail.protection.outlook.com"
        ));
        assert!(!same_server("x.outlook.office365.com", "mx.example.net"));
        // The same chain with an outside (non-Microsoft) IPv6 client at the top is not walked.
        let text = text.replacen(
            "(2603:10b6:806:1::10) by BN8",
            "(2001:db8:806:1::10) by BN8",
            1,
        );
        let hs = message(&text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0));
    }

    #[test]
    fn gmail_to_gmail_stops_at_googles_outbound() {
        // c16: same operator (google.com, gmail.com), but the submission hop is the sender's.
        let text = "Received: by 2002:a05:6a10:1234:b0:5ab:1234:abcd with SMTP id x1csp123456pxb; \
                    Wed, 4 Nov 2026 02:05:37 -0800 (PST)\n\
                    Authentication-Results: mx.google.com; spf=pass (google.com: domain of \
                    alice@gmail.com designates 209.85.220.41 as permitted sender) \
                    smtp.mailfrom=alice@gmail.com\n\
                    Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. \
                    [209.85.220.41]) by mx.google.com with SMTPS id abc123 for <bob@gmail.com> \
                    (Google Transport Security); Wed, 04 Nov 2026 02:05:36 -0800 (PST)\n\
                    Received: from [192.168.1.5] (p5dd4c2a1.dip0.t-ipconnect.de. [93.184.1.5]) by \
                    smtp.gmail.com with ESMTPSA id 5b1f17b1804b1 for <bob@gmail.com> \
                    (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); Wed, 04 Nov 2026 \
                    02:05:35 -0800 (PST)\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(1));
        assert_eq!(env.client_ip.as_deref(), Some("209.85.220.41"));
    }

    #[test]
    fn an_address_in_the_helo_is_not_the_client() {
        // c18: the client said `EHLO mail.bank.example (mail.bank.example [192.0.2.10])`;
        // Postfix's own TCP-info is the last comment before `by`.
        let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=bank.example\n\
                    Received: from mail.bank.example (mail.bank.example [192.0.2.10]) (unknown \
                    [198.51.100.200]) by mx.example.net (Postfix) with ESMTP id 4QTm7k1Zbdz2xFh \
                    for <bob@example.net>; Wed, 04 Nov 2026 10:05:36 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"));
        assert_eq!(hops[0].from_rdns, None);
        assert!(
            hops[0]
                .anomalies
                .iter()
                .any(|a| a.contains("address-like comment (mail.bank.example [192.0.2.10])")),
            "{:?}",
            hops[0].anomalies
        );
        // c07: a loopback or private literal in the HELO does not make the hop internal.
        for from in [
            "x (localhost [127.0.0.1]) (unknown [198.51.100.200])",
            "x([10.0.0.5]) (unknown [198.51.100.200])",
        ] {
            let text = format!(
                "Received: from {from} by mx.example.net (Postfix) with ESMTP id B; Wed, 04 Nov \
                 2026 10:05:36 +0000\nReceived: from mail.bank.example (mail.bank.example \
                 [192.0.2.10]) by mx.example.net (Postfix) with ESMTPS id A; Wed, 04 Nov 2026 \
                 10:05:30 +0000\n\n"
            );
            let hs = message(&text);
            let (mut hops, _) = parse_hops(&hs);
            let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
            assert_eq!(env.boundary_hop, Some(0), "{from}");
            assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"), "{from}");
        }
    }

    #[test]
    fn forged_received_below_a_public_client_does_not_move_the_boundary() {
        let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com\n\
                    Received: from smtp.example.com (unknown [203.0.113.23]) by mx.example.net \
                    (Postfix) with ESMTP id B; Tue, 17 Nov 2026 08:52:34 +0000\n\
                    Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com\n\
                    Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                    mx.example.net (Postfix) with ESMTPS id A; Tue, 17 Nov 2026 08:52:31 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0));
        assert_eq!(env.client_ip.as_deref(), Some("203.0.113.23"));
    }

    #[test]
    fn unparsable_topmost_auth_results_still_names_the_receiver() {
        let text = "Authentication-Results: mx.example.net; spf=pass (unclosed comment\n\
                    Received: from a.example (a.example [198.51.100.1]) by mx.example.net; \
                    Tue, 17 Nov 2026 08:52:34 +0000\n\
                    Authentication-Results: lists.example.org; spf=pass\n\
                    Received: from b.example (b.example [198.51.100.2]) by mail.lists.example.org; \
                    Tue, 17 Nov 2026 08:52:30 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.receiver.as_deref(), Some("mx.example.net"));
        assert_eq!(env.boundary_hop, Some(0));
    }

    #[test]
    fn local_reinjection_is_walked_past() {
        // amavis/content-filter style: the receiver re-injects from localhost above the real hop.
        let text = "Authentication-Results: mx.example.org; dkim=pass header.d=sender.example\n\
                    Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) \
                    with ESMTP id B; Mon, 13 Nov 2023 10:00:06 +0000\n\
                    Received: from mail.sender.example (mail.sender.example [198.51.100.5]) by \
                    mx.example.org (Postfix) with ESMTPS id A; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(1));
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
    }

    #[test]
    fn a_made_up_helo_never_moves_the_boundary_down() {
        // The client 203.0.113.23 calls itself relay.example.net and adds a lower Received
        // `by relay.example.net`; the receiver recorded no reverse DNS name for it.
        let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com\n\
                    Received: from relay.example.net (unknown [203.0.113.23]) by mx.example.net \
                    (Postfix) with ESMTP id 1; Wed, 04 Nov 2026 10:05:34 +0000\n\
                    Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                    relay.example.net (Postfix) with ESMTPS id 2; Wed, 04 Nov 2026 10:05:31 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0));
        assert_eq!(env.client_ip.as_deref(), Some("203.0.113.23"));
        let how = &env
            .sources
            .iter()
            .find(|s| s.field == "receiver")
            .unwrap()
            .how;
        assert!(how.contains("is header 1, and it is the boundary"), "{how}");
        // The same hop with a reverse DNS name the receiver looked up under its domain is walked.
        let text = text.replace(
            "(unknown [203.0.113.23])",
            "(relay.example.net [203.0.113.23])",
        );
        let hs = message(&text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(1));
        let how = &env
            .sources
            .iter()
            .find(|s| s.field == "receiver")
            .unwrap()
            .how;
        assert!(
            how.contains("is header 1; header 1 is passed over because its client's reverse DNS")
                && how.ends_with(
                    "the boundary is header 2 (by relay.example.net), where the message came in"
                ),
            "{how}"
        );
    }

    #[test]
    fn a_loopback_client_is_walked_past_with_an_exact_explanation() {
        let text = "Authentication-Results: mx.example.org; dkim=pass header.d=sender.example\n\
                    Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) \
                    with ESMTP id B; Mon, 13 Nov 2023 10:00:06 +0000\n\
                    Received: from mail.sender.example (mail.sender.example [198.51.100.5]) by \
                    mx.example.org (Postfix) with ESMTPS id A; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        let how = &env
            .sources
            .iter()
            .find(|s| s.field == "receiver")
            .unwrap()
            .how;
        assert_eq!(
            how,
            "authserv-id of the topmost Authentication-Results (header 0); the topmost Received \
             whose `by` host mx.example.org is exactly mx.example.org is header 1; header 1 is \
             passed over because its client 127.0.0.1 is loopback; the boundary is header 2 (by \
             mx.example.org), where the message came in"
        );
        // The receiver's own hop above the boundary is only an info note.
        let w = warnings
            .iter()
            .find(|w| w.code == "hops-above-boundary")
            .unwrap();
        assert_eq!(w.severity, Severity::Info);
    }

    #[test]
    fn an_auth_results_below_the_receivers_hop_does_not_pick_the_boundary() {
        let text = "Return-Path: <it-support@example.com>\n\
                    Received: from smtp.evil (unknown [203.0.113.23]) by mx.example.net \
                    (Postfix) with ESMTP id 1; Wed, 04 Nov 2026 10:05:34 +0000\n\
                    Authentication-Results: smtp.example.com; spf=pass smtp.mailfrom=example.com\n\
                    Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                    smtp.example.com (Postfix) with ESMTPS id 2; Wed, 04 Nov 2026 10:05:31 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0));
        assert_eq!(env.receiver.as_deref(), Some("mx.example.net"));
        assert_eq!(env.client_ip.as_deref(), Some("203.0.113.23"));
        let w = warnings
            .iter()
            .find(|w| w.code == "auth-results-ignored")
            .unwrap();
        assert_eq!(w.header_index, Some(2));
        assert!(
            w.message.contains("Received header 1 (by mx.example.net)"),
            "{}",
            w.message
        );
    }

    #[test]
    fn hops_written_after_the_boundary_by_other_servers_are_a_warning() {
        let text = "Received: from dlp-gw.example.com (dlp-gw.example.com. [192.0.2.30]) by \
                    mx.example.net with ESMTPS id 3; Mon, 13 Nov 2023 10:00:09 +0000\n\
                    Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                    dlp-gw.example.com with ESMTPS id 2; Mon, 13 Nov 2023 10:00:06 +0000\n\
                    Received: from [10.1.4.22] (vpn-gw.example.com [192.0.2.5]) by \
                    smtp.example.com with ESMTPSA id 1; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let o = Options {
            receiver: Some("DLP-GW.example.com".into()),
            ..opts()
        };
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &o);
        // Exactly the named host, not smtp.example.com of the same registrable domain.
        assert_eq!(env.boundary_hop, Some(1));
        assert_eq!(env.client_ip.as_deref(), Some("192.0.2.25"));
        let how = &env
            .sources
            .iter()
            .find(|s| s.field == "receiver")
            .unwrap()
            .how;
        assert_eq!(
            how,
            "--receiver given; the topmost Received whose `by` host dlp-gw.example.com is \
             exactly DLP-GW.example.com is header 1, and it is the boundary"
        );
        let w = warnings
            .iter()
            .find(|w| w.code == "hops-above-boundary")
            .unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert!(
            w.message
                .starts_with("Received header 0 (by mx.example.net) above"),
            "{}",
            w.message
        );
        // A subdomain beats the registrable domain; from there the walk goes on past the
        // receiver's own relays (smtp.example.com, by the reverse DNS name recorded for it).
        let o = Options {
            receiver: Some("example.com".into()),
            ..opts()
        };
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
        assert_eq!(env.boundary_hop, Some(2));
        let how = &env
            .sources
            .iter()
            .find(|s| s.field == "receiver")
            .unwrap()
            .how;
        assert!(
            how.contains(
                "is a subdomain (or parent) of example.com is header 1; header 1 is passed over"
            ),
            "{how}"
        );
    }

    #[test]
    fn auth_results_and_received_below_the_receiver_claiming_it_are_flagged() {
        let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com\n\
                    Received: from smtp.example.com (unknown [203.0.113.23]) by mx.example.net \
                    (Postfix) with ESMTP id B; Tue, 17 Nov 2026 08:52:34 +0000\n\
                    Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com\n\
                    Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                    mx.example.net (Postfix) with ESMTPS id A; Tue, 17 Nov 2026 08:52:31 +0000\n\n";
        let hs = message(text);
        let (mut hops, _) = parse_hops(&hs);
        let (_, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        let w = warnings
            .iter()
            .find(|w| w.code == "forged-auth-results")
            .unwrap();
        assert_eq!(w.severity, Severity::Warning);
        assert_eq!(w.header_index, Some(2));
        assert!(w.message.contains(
            "claims to be from mx.example.net but sits below its Received header (header 1): \
             written before the receiver got the message"
        ));
        assert!(
            hops[1]
                .anomalies
                .iter()
                .any(|a| a.starts_with("claims to be written by the receiver mx.example.net"))
        );
        assert!(!hops[0].anomalies.iter().any(|a| a.starts_with("claims")));
    }

    #[test]
    fn documentation_addresses_are_one_hop_anomaly_only() {
        let text = "Received: from a.example (a.example [203.0.113.7]) by mx.example.org; \
                    Mon, 13 Nov 2023 10:00:05 +0000\n\
                    Received: from b.example (b.example [10.0.0.7]) by a.example; \
                    Mon, 13 Nov 2023 10:00:04 +0000\n\n";
        let hs = message(text);
        let (mut hops, mut warnings) = parse_hops(&hs);
        let (_, w) = reconstruct_envelope(&hs, &mut hops, &opts());
        warnings.extend(w);
        assert!(
            hops[0]
                .anomalies
                .iter()
                .any(|a| a.contains("documentation range"))
        );
        assert!(
            !warnings.iter().any(|w| w.code.contains("documentation")),
            "{warnings:?}"
        );
        // Private addresses keep their info warning.
        assert!(warnings.iter().any(|w| w.code == "hop-private-ip"));
        let o = Options {
            receiver: Some("a.example".into()),
            ..opts()
        };
        let (_, w) = reconstruct_envelope(&hs, &mut hops, &o);
        assert!(w.iter().any(|w| w.code == "client-ip-private"));
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(0), "0 s");
        assert_eq!(human_duration(42), "42 s");
        assert_eq!(human_duration(303), "5 min 3 s");
        assert_eq!(human_duration(19_655), "5 h 27 min");
        assert_eq!(human_duration(3600), "1 h");
        assert_eq!(human_duration(1_118_758), "12 days 22 h");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(-90), "-1 min 30 s");
        assert_eq!(human_duration(i64::MIN).chars().next(), Some('-'));
        let hs = message("Received: by mx.example.org; Mon, 13 Nov 2034 10:00:05 +0000\n\n");
        let (mut hops, _) = parse_hops(&hs);
        let _ = reconstruct_envelope(&hs, &mut hops, &opts());
        assert!(
            hops[0]
                .anomalies
                .iter()
                .any(|a| a.contains(" days ") && !a.contains("s in"))
        );
    }

    #[test]
    fn exim_literal_client_shows_no_verified_name() {
        let h = hop(
            "from [203.0.113.45] (helo=mail.example.org) by mx2.example.net with esmtp \
                     (Exim 4.96) id 1; Wed, 15 Nov 2023 12:34:56 +0100",
        );
        assert_eq!(h.helo.as_deref(), Some("mail.example.org"));
        assert_eq!(h.from_host, None);
        assert_eq!(h.from_rdns, None);
        assert!(
            h.anomalies
                .iter()
                .any(|a| a == "no reverse DNS name recorded for 203.0.113.45"),
            "{:?}",
            h.anomalies
        );
        // Postfix: the from word is the HELO, the host is the looked-up name.
        let h = hop(
            "from helo.example (rdns.example [198.51.100.7]) by mx.example.org; \
                     Mon, 13 Nov 2023 10:00:05 +0000",
        );
        assert_eq!(h.from_host.as_deref(), Some("rdns.example"));
        assert_eq!(h.helo.as_deref(), Some("helo.example"));
    }

    #[test]
    fn random_received_text_never_panics() {
        let alphabet = "afromby withidfor[]()<>;:.=@ \t1é\\\"IPv6";
        for text in crate::test_support::random_texts(alphabet, 0x9e37_79b9_7f4a_7c15, 3000, 60) {
            let _ = parse_received(0, &text);
            let _ = parse_ip_literal(&text);
            let _ = same_server(&text, "mx.example.org");
        }
    }
}
