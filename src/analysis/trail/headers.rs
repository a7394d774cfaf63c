//! Loading and the header split: each header field keeps its exact raw bytes (offset + length into
//! the input), its unfolded value, its parse errors, and whether it is a trace/envelope header or a
//! message header.
//!
//! We scan the header section ourselves rather than through mail-parser: mail-parser drops lines
//! without a colon and normalises what it keeps, while forensics needs every byte where it was.
//! The body is never copied or decoded here: only the header section gets per-header strings, so a
//! 100 MB message costs one scan of its header section plus one pass counting line endings.

use crate::analysis::model::{Header, HeaderKind, Severity, Warning};

/// The header section of one message, split into fields.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedHeaders {
    pub headers: Vec<Header>,
    /// Byte offset of the body (just after the empty line), when there is one.
    pub body_offset: Option<usize>,
    /// `crlf`, `lf`, `mixed`, or `none` when the input has no line break at all.
    pub line_endings: String,
    pub warnings: Vec<Warning>,
}

/// The line breaks of the whole input (DKIM body canonicalisation cares about the body's line
/// endings too): one vectorized count, not a walk through the body.
fn line_ending_style(raw: &[u8]) -> &'static str {
    let (crlf, bare_lf) = crate::analysis::lex::line_breaks(raw);
    match (crlf > 0, bare_lf > 0) {
        (true, false) => "crlf",
        (false, true) => "lf",
        (true, true) => "mixed",
        (false, false) => "none",
    }
}

/// The end (exclusive, after the line break) of the line starting at `start`.
fn line_end(raw: &[u8], start: usize) -> usize {
    match raw[start..].iter().position(|&b| b == b'\n') {
        Some(p) => start + p + 1,
        None => raw.len(),
    }
}

/// True for a line that is only a line break: the end of the header section.
fn is_blank_line(line: &[u8]) -> bool {
    line == b"\n" || line == b"\r\n"
}

/// mbox separator (`From sender date`), left at the top of messages saved from mbox files. Only
/// the input's first line can be one, and `From` followed by whitespace and a colon is not: that
/// is a From header field in obsolete syntax (RFC 5322 §4.5.2 allows WSP before the colon), and
/// dropping it would hide an author from DMARC.
fn is_mbox_from_line(line: &[u8], offset: usize) -> bool {
    offset == 0
        && line.starts_with(b"From ")
        && line[4..]
            .iter()
            .find(|&&b| b != b' ' && b != b'\t')
            .is_some_and(|&b| b != b':')
}

/// RFC 5322 field name: printable US-ASCII except colon.
fn valid_field_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&b| (33..=126).contains(&b) && b != b':')
}

/// Unfolds a field value: removes each line break (CRLF or bare LF) that precedes whitespace
/// (RFC 5322 §2.2.3 keeps the whitespace), drops the final line break, trims.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {}
            _ => out.push(c),
        }
    }
    out.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n')
        .to_string()
}

/// Splits the header section of `raw` into fields. Never fails: problems become header errors and
/// warnings, and the input is never copied beyond the header section's own text.
pub fn split_headers(raw: &[u8]) -> ParsedHeaders {
    let mut parsed = ParsedHeaders {
        line_endings: line_ending_style(raw).to_string(),
        ..Default::default()
    };
    if raw.is_empty() {
        parsed.warnings.push(Warning::new(
            Severity::Error,
            "empty-input",
            "The input is empty: there is no message to analyse.".into(),
            None,
        ));
        return parsed;
    }

    // Field spans: (start, end) in `raw`, each one line plus its continuation lines.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    let mut first_line = true;
    while pos < raw.len() {
        let end = line_end(raw, pos);
        let line = &raw[pos..end];
        if is_blank_line(line) {
            parsed.body_offset = Some(end);
            break;
        }
        let continuation = matches!(line.first(), Some(b' ') | Some(b'\t'));
        if continuation && !spans.is_empty() {
            if let Some(last) = spans.last_mut() {
                last.1 = end;
            }
        } else {
            if first_line
                && !continuation
                && !is_mbox_from_line(line, pos)
                && !line.contains(&b':')
                && !header_field_follows(raw, end)
            {
                // The input does not open with a header field: treat it all as body rather than
                // turning a whole binary or text file into bogus header fields.
                parsed.body_offset = Some(0);
                let preview = String::from_utf8_lossy(&line[..line.len().min(60)])
                    .trim_end()
                    .to_string();
                parsed.warnings.push(Warning::new(
                    Severity::Error,
                    "no-headers",
                    format!(
                        "The input does not start with a header field (first line: {preview:?}); \
                         no headers were read, so there is nothing to authenticate."
                    ),
                    None,
                ));
                return parsed;
            }
            spans.push((pos, end));
        }
        first_line = false;
        pos = end;
    }

    // Exactly as many as there are fields: a message of thousands of headers does not hold a
    // list grown by doubling, up to twice its size.
    parsed.headers.reserve_exact(spans.len());
    for (index, &(start, end)) in spans.iter().enumerate() {
        parsed.headers.push(build_header(
            index,
            &raw[start..end],
            start,
            &mut parsed.warnings,
        ));
    }

    if parsed.headers.iter().all(|h| h.name.is_empty()) {
        parsed.warnings.push(Warning::new(
            Severity::Error,
            "no-headers",
            "No well-formed header field was found in the input.".into(),
            None,
        ));
    }
    if parsed.body_offset.is_none() && !parsed.headers.is_empty() {
        parsed.warnings.push(Warning::new(
            Severity::Info,
            "no-body",
            "Headers only: the header section is not followed by an empty line, so the input \
             has no body (as Outlook's \"message headers\" box gives it). Header signatures are \
             still verified; DKIM body hashes cannot be checked."
                .into(),
            None,
        ));
    }
    parsed
}

/// Whether a well-formed `Name:` line appears before the first empty line (looking at most 50
/// lines ahead): then a bad first line is a damaged header section, not the start of a body.
fn header_field_follows(raw: &[u8], mut pos: usize) -> bool {
    for _ in 0..50 {
        if pos >= raw.len() {
            return false;
        }
        let end = line_end(raw, pos);
        let line = &raw[pos..end];
        if is_blank_line(line) {
            return false;
        }
        if let Some(colon) = line.iter().position(|&b| b == b':')
            && valid_field_name(&line[..colon])
        {
            return true;
        }
        pos = end;
    }
    false
}

fn build_header(index: usize, bytes: &[u8], offset: usize, warnings: &mut Vec<Warning>) -> Header {
    let (raw, invalid_utf8) = match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), false),
        Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
    };
    let mut errors = Vec::new();
    if invalid_utf8 {
        errors.push("not valid UTF-8: 8-bit bytes shown as U+FFFD".to_string());
        warnings.push(Warning::new(
            Severity::Info,
            "header-8bit",
            format!("Header {index} contains bytes that are not UTF-8 (kept; shown as U+FFFD)."),
            Some(index),
        ));
    }
    if bytes.contains(&0) {
        errors.push("contains NUL bytes".to_string());
    }
    if !bytes.ends_with(b"\n") {
        // Only possible for the last field of an input that has no body separator.
        errors.push("not terminated by a line break".to_string());
    }

    let (name, value) = match bytes.iter().position(|&b| b == b':') {
        Some(colon) if !is_mbox_from_line(bytes, offset) || valid_field_name(&bytes[..colon]) => {
            let name_bytes = &bytes[..colon];
            // obs-optional allows whitespace between the name and the colon.
            let trimmed = trim_ascii_ws_end(name_bytes);
            if trimmed.len() != name_bytes.len() {
                errors.push("whitespace before the colon (obsolete syntax)".to_string());
            }
            if !valid_field_name(trimmed) {
                errors.push(format!(
                    "invalid field name {:?}",
                    String::from_utf8_lossy(trimmed)
                ));
            }
            let name = String::from_utf8_lossy(trimmed).into_owned();
            let value = unfold(&String::from_utf8_lossy(&bytes[colon + 1..]));
            (name, value)
        }
        _ => {
            if is_mbox_from_line(bytes, offset) {
                errors.push("mbox \"From \" separator line, not a header field".to_string());
            } else {
                errors.push("no colon: not a header field".to_string());
            }
            (String::new(), unfold(&raw))
        }
    };
    // 8-bit bytes alone already got their own (info) warning.
    let only_8bit = errors.len() == 1 && invalid_utf8;
    if !errors.is_empty() && !only_8bit {
        warnings.push(Warning::new(
            Severity::Warning,
            "header-parse",
            format!(
                "Header {index}{}: {}",
                if name.is_empty() {
                    String::new()
                } else {
                    format!(" ({name})")
                },
                errors.join("; ")
            ),
            Some(index),
        ));
    }
    Header {
        index,
        kind: classify(&name),
        decoded: decode_encoded_words(&name, &value),
        name,
        offset,
        length: bytes.len(),
        raw,
        value,
        invalid_utf8,
        errors,
    }
}

/// Headers whose RFC 2047 encoded words a reader sees decoded: display names and the Subject.
const DECODED_NAMES: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "subject",
    "resent-from",
];

/// The value with its encoded words decoded by mail-parser (the parser mail-auth uses), when it
/// has any and the field is one a reader sees decoded. Decoded as unstructured text, so a display
/// name that decodes to `PayPal <service@paypal.com>` shows exactly that, beside the raw text.
fn decode_encoded_words(name: &str, value: &str) -> Option<String> {
    if !DECODED_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
        return None;
    }
    decode_unstructured(value)
}

/// A value decoded as RFC 2047 unstructured text (encoded words decoded, adjacent ones joined),
/// when it has encoded words and decoding changes it. Display names, the Subject, and Microsoft's
/// encoded Authentication-Results all go through here.
pub fn decode_unstructured(value: &str) -> Option<String> {
    if !value.contains("=?") {
        return None;
    }
    let line = format!("{value}\n");
    let decoded =
        match mail_parser::parsers::MessageStream::new(line.as_bytes()).parse_unstructured() {
            mail_parser::HeaderValue::Text(t) => t.trim().to_string(),
            _ => return None,
        };
    (decoded != value).then_some(decoded)
}

fn trim_ascii_ws_end(b: &[u8]) -> &[u8] {
    let mut end = b.len();
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    &b[..end]
}

/// Trace/envelope header names (lower case): what transfer agents, filters and the receiving
/// server add on the way (RFC 5321 §4.4 trace fields, RFC 5322 §3.6.6–7 resent and trace blocks,
/// authentication results and signatures, delivery bookkeeping). Everything else is a message
/// header, written on the author's side.
const TRACE_NAMES: &[&str] = &[
    "return-path",
    "received",
    "x-received",
    "authentication-results",
    "x-original-authentication-results",
    "received-spf",
    "dkim-signature",
    "x-google-dkim-signature",
    "domainkey-signature",
    "delivered-to",
    "x-original-to",
    "envelope-to",
    "x-envelope-from",
    "x-envelope-to",
    "x-apparently-to",
    "original-recipient",
    "x-original-sender",
    "x-gm-message-state",
    "x-gm-gg",
    "x-gm-features",
    "x-forefront-antispam-report",
    "x-forefront-antispam-report-untrusted",
    "x-microsoft-antispam",
    "x-microsoft-antispam-untrusted",
    "x-microsoft-antispam-message-info",
    "x-microsoft-antispam-mailbox-delivery",
    "x-originating-ip",
    "x-virus-scanned",
    "x-ses-outgoing",
    "feedback-id",
];

/// Trace name prefixes (lower case): ARC sets, Resent blocks, and provider-added header families.
const TRACE_PREFIXES: &[&str] = &[
    "arc-",
    "resent-",
    "x-google-",
    "x-ms-exchange-",
    "x-ms-office365-filtering-",
    "x-spam-",
    "x-rspamd-",
    "x-mimecast-",
    "x-proofpoint-",
    "x-barracuda-",
    "x-ironport-",
];

/// Which side a header belongs to: trace/envelope (added in transit) or message (the author's).
pub fn classify(name: &str) -> HeaderKind {
    let lower = name.trim().to_ascii_lowercase();
    if TRACE_NAMES.contains(&lower.as_str()) || TRACE_PREFIXES.iter().any(|p| lower.starts_with(p))
    {
        HeaderKind::Trace
    } else {
        HeaderKind::Message
    }
}

/// The RFC 5322 From domain DMARC evaluates, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FromDomain {
    /// The domain (lower case). Set when one can be read, even if `error` also says something is
    /// off (e.g. several mailboxes: the first one's domain).
    pub domain: Option<String>,
    /// Index of the From header it was read from.
    pub header_index: Option<usize>,
    pub error: Option<String>,
}

/// The RFC 5322 From domain for DMARC: exactly one From header holding exactly one mailbox is
/// expected (RFC 7489 §6.6.1). Anything else is an error naming the header; a domain is still
/// returned when one can be read (the first usable one, in header order), so the rest of the
/// analysis can go on: an empty or broken From above a real one does not hide the real one.
/// Every From header is read and each one's problems are reported.
pub fn from_domain(headers: &[Header]) -> FromDomain {
    let froms: Vec<&Header> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
        .collect();
    let Some(first) = froms.first() else {
        return FromDomain {
            error: Some("no From header: DMARC has no author domain to evaluate".into()),
            ..Default::default()
        };
    };
    let readings: Vec<(usize, FromReading)> =
        froms.iter().map(|h| (h.index, read_from(h))).collect();
    let chosen = readings
        .iter()
        .find_map(|(i, r)| r.domains.first().map(|d| (*i, d.clone())));
    let mut errors = Vec::new();
    if froms.len() > 1 {
        let list: Vec<String> = froms.iter().map(|h| h.index.to_string()).collect();
        let using = match &chosen {
            Some((i, _)) if *i != first.index => {
                format!("using header {i}, the first with a usable domain")
            }
            Some((i, _)) => format!("using header {i}"),
            None => "none has a usable domain".to_string(),
        };
        errors.push(format!(
            "{} From headers (headers {}): RFC 5322 allows one; {using}",
            froms.len(),
            list.join(", "),
        ));
    }
    for (_, r) in &readings {
        errors.extend(r.errors.iter().cloned());
    }
    FromDomain {
        header_index: Some(chosen.as_ref().map_or(first.index, |(i, _)| *i)),
        domain: chosen.map(|(_, d)| d),
        error: if errors.is_empty() {
            None
        } else {
            Some(errors.join("; "))
        },
    }
}

/// Every domain one From header names, in order and without repeats: each mailbox's, and, for a
/// mailbox written with several angle addresses (invalid, but a reader's client may show any of
/// them), each one's. Lower case; only usable domains (see [`from_domain`] for the errors).
pub fn from_header_domains(header: &Header) -> Vec<String> {
    read_from(header).domains
}

/// The problems of one From header, each naming it (empty, no mailbox, several mailboxes or
/// angle addresses, unusable domains).
pub fn from_header_problems(header: &Header) -> Vec<String> {
    read_from(header).errors
}

/// One From header read for DMARC.
struct FromReading {
    /// Usable domains, in order, without repeats.
    domains: Vec<String>,
    /// Problems, each naming the header.
    errors: Vec<String>,
}

/// How many items a message lists before it counts the rest: a From header with 10,000
/// addresses must not put all of them into every place that quotes the problem.
pub(crate) const MAX_LISTED: usize = 10;

/// `text`, or its first `max` characters and how many more there are: a quotation of message
/// text in a derived value (the header itself holds all of it).
pub(crate) fn clipped(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((cut, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} more characters)",
            &text[..cut],
            text[cut..].chars().count()
        )),
        None => std::borrow::Cow::Borrowed(text),
    }
}

/// `a, b, c` — or the first `max` and `… and N more`.
pub(crate) fn listed<'a>(items: impl ExactSizeIterator<Item = &'a str>, max: usize) -> String {
    let total = items.len();
    let shown: Vec<&str> = items.take(max).collect();
    if total > max {
        format!("{}, … and {} more", shown.join(", "), total - max)
    } else {
        shown.join(", ")
    }
}

fn read_from(header: &Header) -> FromReading {
    let who = format!("From header {}", header.index);
    let list = parse_mailbox_list(&header.value);
    let mut errors = Vec::new();
    if list.group {
        errors.push(format!(
            "{who} uses group syntax, which RFC 5322 does not allow in From"
        ));
    }
    match list.mailboxes.as_slice() {
        [] if header.value.trim().is_empty() => errors.push(format!("{who} is empty")),
        [] => errors.push(format!("{who} holds no mailbox")),
        [_] => {}
        many => {
            errors.push(format!(
                "{who} holds {} mailboxes ({}); DMARC expects exactly one — using the first \
                 with a domain",
                many.len(),
                listed(many.iter().map(|m| m.addr.as_str()), MAX_LISTED)
            ));
        }
    }
    let mut domains: Vec<String> = Vec::new();
    let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut domain_errors = 0usize;
    for mb in &list.mailboxes {
        if !mb.other_addrs.is_empty() {
            let all: Vec<String> = mb
                .other_addrs
                .iter()
                .map(|(a, _)| a)
                .chain(std::iter::once(&mb.addr))
                .map(|a| format!("<{a}>"))
                .collect();
            errors.push(format!(
                "{who} holds one mailbox written with {} angle addresses ({}); RFC 5322 §3.6.2 \
                 allows one, so which is the author is ambiguous — every domain is evaluated",
                all.len(),
                listed(all.iter().map(String::as_str), MAX_LISTED)
            ));
        }
        // In written order: the one a reader sees first comes first.
        for domain in mb
            .other_addrs
            .iter()
            .map(|(_, d)| d)
            .chain(std::iter::once(&mb.domain))
        {
            match domain {
                Ok(d) if seen.insert(d.as_str()) => domains.push(d.clone()),
                Ok(_) => {}
                Err(e) => {
                    domain_errors += 1;
                    if domain_errors <= MAX_LISTED {
                        errors.push(format!("{who}: {e}"));
                    }
                }
            }
        }
    }
    if domain_errors > MAX_LISTED {
        errors.push(format!(
            "{who}: … and {} more addresses without a usable domain",
            domain_errors - MAX_LISTED
        ));
    }
    FromReading { domains, errors }
}

struct Mailbox {
    /// The addr-spec with comments removed.
    addr: String,
    domain: Result<String, String>,
    /// Earlier angle addresses written in the same mailbox (`Name <a@x> <b@y>`, invalid), in
    /// order: each addr-spec and its domain. `addr` is the last one, the one most parsers take.
    other_addrs: Vec<(String, Result<String, String>)>,
}

struct MailboxList {
    mailboxes: Vec<Mailbox>,
    group: bool,
}

/// A lenient RFC 5322 mailbox-list reader: comments (nested, escaped) removed, quoted strings kept
/// whole (so `@`, `,` and `<` inside them do not count), angle-addr preferred over the bare form,
/// group syntax recognised. Lenient where real mail is sloppy, so a domain can still be shown.
fn parse_mailbox_list(value: &str) -> MailboxList {
    let mut items: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut group = false;
    let mut in_quote = false;
    let mut comment_depth = 0usize;
    let mut angle_depth = 0usize;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if in_quote {
            current.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        current.push(n);
                    }
                }
                '"' => in_quote = false,
                _ => {}
            }
            continue;
        }
        if comment_depth > 0 {
            match c {
                '\\' => {
                    chars.next();
                }
                '(' => comment_depth += 1,
                ')' => comment_depth -= 1,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_quote = true;
                current.push(c);
            }
            '(' => {
                comment_depth = 1;
                current.push(' ');
            }
            '<' => {
                angle_depth += 1;
                current.push(c);
            }
            '>' => {
                angle_depth = angle_depth.saturating_sub(1);
                current.push(c);
            }
            ',' if angle_depth == 0 => items.push(std::mem::take(&mut current)),
            ':' if angle_depth == 0 && !group => {
                // display-name ":" — the group's name is not a mailbox.
                group = true;
                current.clear();
            }
            ';' if angle_depth == 0 && group => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    let mailboxes = items
        .iter()
        .map(|i| i.trim())
        .filter(|i| !i.is_empty())
        .map(read_mailbox)
        .collect();
    MailboxList { mailboxes, group }
}

/// Byte positions of `target` outside quoted strings.
fn positions_outside_quotes(s: &str, target: char) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_quote = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if in_quote && c == '\\' {
            escaped = true;
        } else if c == '"' {
            in_quote = !in_quote;
        } else if c == target && !in_quote {
            out.push(i);
        }
    }
    out
}

fn read_mailbox(item: &str) -> Mailbox {
    // name-addr: the addr-spec is inside angle brackets. Only innermost, non-empty ones count
    // (`<>` is no address); more than one is invalid, and each is kept.
    // The first `>` after each `<`, by binary search over one list of positions: a value of
    // 400 kB of `<` must not cost a scan to its end per bracket.
    let gts: Vec<usize> = item.match_indices('>').map(|(i, _)| i).collect();
    let until_gt = |lt: usize| -> &str {
        let end = gts
            .get(gts.partition_point(|&g| g <= lt))
            .copied()
            .unwrap_or(item.len());
        &item[lt + 1..end]
    };
    let lts = positions_outside_quotes(item, '<');
    let mut angles: Vec<&str> = lts
        .iter()
        .filter_map(|&lt| {
            let addr = until_gt(lt).trim();
            (!addr.is_empty() && !addr.contains('<')).then_some(addr)
        })
        .collect();
    let addr = match angles.pop() {
        Some(a) => a,
        None => match lts.last() {
            // Only empty or nested brackets: what follows the last `<`, as before.
            Some(&lt) => until_gt(lt).trim(),
            None => item.trim(),
        },
    };
    let (addr, domain) = read_addr(addr);
    let other_addrs = angles.into_iter().map(read_addr).collect();
    Mailbox {
        addr,
        domain,
        other_addrs,
    }
}

/// One addr-spec (comments already removed): the addr-spec as read and its domain.
fn read_addr(addr: &str) -> (String, Result<String, String>) {
    // obs-route (`@a,@b:user@d`) — the mailbox follows the last colon.
    let addr = match positions_outside_quotes(addr, ':').last() {
        Some(&colon) => addr[colon + 1..].trim(),
        None => addr,
    };
    let domain = match positions_outside_quotes(addr, '@').last() {
        None => Err(format!("{addr:?} has no @domain")),
        Some(&at) => {
            let raw_domain: String = addr[at + 1..]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let d = raw_domain.trim_end_matches('.').to_lowercase();
            if d.is_empty() {
                Err(format!("{addr:?} has an empty domain"))
            } else if d.starts_with('[') {
                Err(format!(
                    "{addr:?} has a domain literal, which has no DMARC policy"
                ))
            } else if let Some(bad) = d.chars().find(|c| {
                c.is_ascii() && !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
            }) {
                Err(format!("{addr:?}: domain contains {bad:?}"))
            } else if d.contains("..") || d.starts_with('.') {
                Err(format!("{addr:?}: domain has an empty label"))
            } else {
                Ok(d)
            }
        }
    };
    (addr.to_string(), domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_crlf_headers_and_finds_body() {
        let raw = b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";
        let p = split_headers(raw);
        assert_eq!(p.headers.len(), 2);
        assert_eq!(p.line_endings, "crlf");
        assert_eq!(p.body_offset, Some(36));
        assert_eq!(&raw[36..], b"body\r\n");
        let h = &p.headers[1];
        assert_eq!(h.name, "Subject");
        assert_eq!(h.value, "hi");
        assert_eq!(&raw[h.offset..h.offset + h.length], h.raw.as_bytes());
    }

    #[test]
    fn lf_and_mixed_line_endings_are_recorded() {
        assert_eq!(split_headers(b"A: b\n\nx\n").line_endings, "lf");
        assert_eq!(split_headers(b"A: b\r\n\nx\n").line_endings, "mixed");
        assert_eq!(split_headers(b"A: b").line_endings, "none");
    }

    #[test]
    fn folded_value_is_unfolded_but_raw_kept() {
        let raw = b"Subject: one\r\n two\r\n\tthree\r\nTo: x@y\r\n\r\n";
        let p = split_headers(raw);
        assert_eq!(p.headers.len(), 2);
        assert_eq!(p.headers[0].value, "one two\tthree");
        assert_eq!(p.headers[0].raw, "Subject: one\r\n two\r\n\tthree\r\n");
        assert_eq!(p.headers[1].offset, p.headers[0].length);
    }

    #[test]
    fn empty_input_warns() {
        let p = split_headers(b"");
        assert!(p.headers.is_empty());
        assert_eq!(p.warnings[0].code, "empty-input");
    }

    #[test]
    fn input_without_headers_warns_and_reads_as_body() {
        let p = split_headers(b"just some text\nmore text\n");
        assert!(p.headers.is_empty());
        assert_eq!(p.body_offset, Some(0));
        assert_eq!(p.warnings[0].code, "no-headers");
    }

    #[test]
    fn damaged_first_line_before_real_headers_is_kept() {
        let p = split_headers(b"garbage first line\nFrom: a@example.com\n\nbody");
        assert_eq!(p.headers.len(), 2);
        assert!(p.headers[0].errors[0].contains("no colon"));
        assert_eq!(p.headers[1].name, "From");
    }

    #[test]
    fn binary_garbage_never_panics() {
        let mut garbage: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        garbage.extend_from_slice(b"\xff\xfe:\x00\n\r\n");
        let p = split_headers(&garbage);
        // Either no headers, or headers that carry errors; never silently clean.
        assert!(p.headers.iter().all(|h| !h.errors.is_empty()) || p.headers.is_empty());
        assert!(!p.warnings.is_empty());
        let p = split_headers(b"\xff\xfe\x00\x01");
        assert!(p.headers.is_empty());
    }

    #[test]
    fn line_without_colon_is_kept_with_an_error() {
        let raw = b"From: a@example.com\nthis is not a header\nTo: b@example.com\n\nbody";
        let p = split_headers(raw);
        assert_eq!(p.headers.len(), 3);
        assert_eq!(p.headers[1].name, "");
        assert_eq!(p.headers[1].value, "this is not a header");
        assert!(p.headers[1].errors[0].contains("no colon"));
        assert!(
            p.warnings
                .iter()
                .any(|w| w.code == "header-parse" && w.header_index == Some(1))
        );
    }

    #[test]
    fn invalid_utf8_is_kept_lossily_and_flagged() {
        let raw = b"Subject: caf\xe9\r\n\r\n";
        let p = split_headers(raw);
        let h = &p.headers[0];
        assert!(h.invalid_utf8);
        assert_eq!(h.value, "caf\u{FFFD}");
        assert_eq!(h.length, raw.len() - 2);
        assert!(p.warnings.iter().any(|w| w.code == "header-8bit"));
    }

    #[test]
    fn one_megabyte_header_line_works() {
        let mut raw = b"X-Long: ".to_vec();
        raw.extend(std::iter::repeat_n(b'a', 1 << 20));
        raw.extend_from_slice(b"\r\nFrom: a@example.com\r\n\r\nbody");
        let p = split_headers(&raw);
        assert_eq!(p.headers.len(), 2);
        assert_eq!(p.headers[0].value.len(), 1 << 20);
        assert_eq!(p.headers[1].name, "From");
    }

    #[test]
    fn mbox_from_line_is_kept_as_an_error_header() {
        let raw = b"From sender@example.com Mon Jan  1 00:00:00 2024\nFrom: a@example.com\n\n";
        let p = split_headers(raw);
        assert_eq!(p.headers.len(), 2);
        assert_eq!(p.headers[0].name, "");
        assert!(p.headers[0].errors[0].contains("mbox"));
        assert_eq!(p.headers[1].name, "From");
    }

    #[test]
    fn obs_from_with_space_before_colon_is_a_header_not_an_mbox_line() {
        // The reviewer's c01: `From : CEO <...>` above a signed From.
        let raw = b"Received: x\r\nFrom : CEO <ceo@bank.example>\r\nDKIM-Signature: v=1\r\n\
                    From: Billing <billing@evil.example>\r\n\r\nPay.";
        let p = split_headers(raw);
        assert_eq!(p.headers[1].name, "From");
        assert_eq!(p.headers[1].value, "CEO <ceo@bank.example>");
        assert!(p.headers[1].errors[0].contains("obsolete"));
        assert!(
            p.headers
                .iter()
                .all(|h| !h.errors.iter().any(|e| e.contains("mbox")))
        );
        // Also on the first line, and with a tab.
        let p = split_headers(b"From\t: a@bank.example\nTo: b@x.example\n\n");
        assert_eq!(p.headers[0].name, "From");
        assert_eq!(p.headers[0].value, "a@bank.example");
        // A real separator further down is not one: only the first line can be.
        let p = split_headers(b"To: b@x.example\nFrom a@b.example Mon Jan  1 00:00:00 2024\n\n");
        assert!(p.headers[1].errors.iter().all(|e| !e.contains("mbox")));
        assert_ne!(p.headers[1].name, "From");
    }

    #[test]
    fn whitespace_before_colon_is_obsolete_but_read() {
        let p = split_headers(b"Subject : hello\n\n");
        assert_eq!(p.headers[0].name, "Subject");
        assert_eq!(p.headers[0].value, "hello");
        assert!(!p.headers[0].errors.is_empty());
    }

    #[test]
    fn headers_without_body_separator_are_read() {
        let p = split_headers(b"From: a@example.com\nTo: b@example.com");
        assert_eq!(p.headers.len(), 2);
        assert_eq!(p.body_offset, None);
        assert!(p.warnings.iter().any(|w| w.code == "no-body"));
    }

    #[test]
    fn trace_and_message_headers_are_classified() {
        for name in [
            "Received",
            "Return-Path",
            "Authentication-Results",
            "ARC-Seal",
            "DKIM-Signature",
            "Received-SPF",
            "X-MS-Exchange-Organization-AuthAs",
            "X-Google-Smtp-Source",
            "Delivered-To",
            "Resent-From",
        ] {
            assert_eq!(classify(name), HeaderKind::Trace, "{name}");
        }
        for name in [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "MIME-Version",
            "Content-Type",
            "Reply-To",
        ] {
            assert_eq!(classify(name), HeaderKind::Message, "{name}");
        }
    }

    fn from_of(values: &[&str]) -> FromDomain {
        let text: String = values.iter().map(|v| format!("From: {v}\r\n")).collect();
        let raw = format!("To: x@example.org\r\n{text}\r\n");
        from_domain(&split_headers(raw.as_bytes()).headers)
    }

    #[test]
    fn from_domain_reads_the_single_mailbox() {
        let f = from_of(&["\"Joe Q. Public\" <Joe@Mail.Example.COM.>"]);
        assert_eq!(f.domain.as_deref(), Some("mail.example.com"));
        assert_eq!(f.header_index, Some(1));
        assert_eq!(f.error, None);
    }

    #[test]
    fn from_domain_ignores_comments_and_quoted_at_signs() {
        let f = from_of(&["\"evil@attacker.example\" (x@comment.example) <a@good.example>"]);
        assert_eq!(f.domain.as_deref(), Some("good.example"));
        assert_eq!(f.error, None);
        let f = from_of(&["\"odd@local\"@quoted.example (a comment)"]);
        assert_eq!(f.domain.as_deref(), Some("quoted.example"));
    }

    #[test]
    fn from_domain_flags_multiple_from_headers() {
        let f = from_of(&["a@one.example", "b@two.example"]);
        assert_eq!(f.domain.as_deref(), Some("one.example"));
        let e = f.error.unwrap();
        assert!(e.contains("2 From headers"), "{e}");
    }

    #[test]
    fn from_domain_flags_multiple_mailboxes() {
        let f = from_of(&["a@one.example, Bob <b@two.example>"]);
        assert_eq!(f.domain.as_deref(), Some("one.example"));
        let e = f.error.unwrap();
        assert!(e.contains("From header 1 holds 2 mailboxes"), "{e}");
    }

    #[test]
    fn from_domain_flags_group_syntax() {
        let f = from_of(&["undisclosed-recipients:;"]);
        assert_eq!(f.domain, None);
        let e = f.error.unwrap();
        assert!(
            e.contains("group syntax") && e.contains("no mailbox"),
            "{e}"
        );
    }

    #[test]
    fn from_domain_flags_missing_domain_and_missing_header() {
        let f = from_of(&["Joe <joe>"]);
        assert_eq!(f.domain, None);
        assert!(f.error.unwrap().contains("no @domain"));
        let f = from_domain(&split_headers(b"To: a@b.example\n\n").headers);
        assert_eq!(f.header_index, None);
        assert!(f.error.unwrap().contains("no From header"));
        let f = from_of(&["joe@[192.0.2.1]"]);
        assert_eq!(f.domain, None);
        assert!(f.error.unwrap().contains("domain literal"));
    }

    #[test]
    fn random_bytes_never_panic_and_spans_stay_exact() {
        use crate::test_support::random_sequences;
        let alphabet: &[u8] = b"From: a@b.example\r\n \t:\xff\xc3(\"<>,;@";
        for raw in random_sequences(alphabet, 0xdead_beef_cafe_f00d, 2000, 80) {
            let p = split_headers(&raw);
            for h in &p.headers {
                let span = &raw[h.offset..h.offset + h.length];
                assert_eq!(String::from_utf8_lossy(span), h.raw);
            }
            let _ = from_domain(&p.headers);
        }
    }

    #[test]
    fn encoded_words_are_decoded_beside_the_raw_value() {
        let raw =
            b"From: =?UTF-8?B?UGF5UGFs?= <a@example.org>\r\nSubject: =?ISO-8859-1?Q?caf=E9?=\r\n\
                    To: plain@example.net\r\nX-Note: =?UTF-8?B?UGF5UGFs?=\r\n\r\n";
        let p = split_headers(raw);
        assert_eq!(
            p.headers[0].decoded.as_deref(),
            Some("PayPal <a@example.org>")
        );
        assert_eq!(p.headers[0].value, "=?UTF-8?B?UGF5UGFs?= <a@example.org>");
        assert_eq!(p.headers[1].decoded.as_deref(), Some("café"));
        assert_eq!(p.headers[2].decoded, None, "nothing encoded");
        assert_eq!(
            p.headers[3].decoded, None,
            "not a field a reader sees decoded"
        );
        // A malformed encoded word stays as written: nothing to show beside it.
        let p = split_headers(b"Subject: =?bogus\r\n\r\n");
        assert_eq!(p.headers[0].decoded, None);
    }

    #[test]
    fn large_body_is_not_read_into_headers() {
        let mut raw = b"From: a@example.com\r\nSubject: big\r\n\r\n".to_vec();
        let body_start = raw.len();
        raw.extend(std::iter::repeat_n(b'x', 16 << 20));
        let p = split_headers(&raw);
        assert_eq!(p.body_offset, Some(body_start));
        assert_eq!(p.headers.len(), 2);
        let header_bytes: usize = p.headers.iter().map(|h| h.raw.len() + h.value.len()).sum();
        assert!(header_bytes < 100);
    }
}
