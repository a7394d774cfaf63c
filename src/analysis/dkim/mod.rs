//! DKIM verification (RFC 6376, ed25519 from RFC 8463, algorithm and key-size rules of RFC 8301):
//! one [`DkimCheck`] per DKIM-Signature, each an ordered list of steps a person can follow.
//!
//! Why not just mail-auth's verdict: mail-auth stops at the first failure (a body-hash mismatch
//! hides whether the header signature still holds), reads `x=` against the system clock, and does
//! not apply RFC 8301. So the verdict here is our own, decided as of `now`, computed with
//! mail-auth's public pieces (its canonicalization, hashers, and the verifying key of a parsed
//! `DomainKey`) over the exact header bytes. mail-auth's `verify_dkim` also runs, on the same DNS
//! answers, and its verdict is recorded beside ours; a difference is explained, never hidden.
//!
//! The pieces ARC reuses (tag lists, header fields, body hashes, key records, header-signature
//! verification) are `pub(crate)` here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use mail_auth::common::crypto::{Algorithm, HashAlgorithm, HashContext, HashImpl, Sha1, Sha256};
use mail_auth::common::headers::{Writable, Writer};
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::{Canonicalization, DkimError};
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};

use super::model::{AuthResult, DkimCheck, DkimKey, Header, Tag};
use super::step::{Outcome, Step};
use crate::dns::{Dns, DnsAnswer, DnsOutcome, QueryKey, RecordType};

/// RSA keys shorter than this are not acceptable (RFC 8301 §3.2).
pub(crate) const MIN_RSA_BITS: u32 = 1024;

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

/// Verifies every DKIM-Signature of the message, in header order. Never panics on bad input: a
/// malformed signature is a permerror for that signature alone, named in its steps.
pub async fn check_dkim(
    raw: &[u8],
    headers: &[Header],
    dns: &Dns,
    auth: &MessageAuthenticator,
    now: i64,
) -> Vec<DkimCheck> {
    check_dkim_received(raw, headers, dns, auth, now, None).await
}

/// [`check_dkim`], also knowing when the receiver got the message (`received_at`, the boundary
/// hop's date): an expired signature then says whether it was still valid at receipt.
pub async fn check_dkim_received(
    raw: &[u8],
    headers: &[Header],
    dns: &Dns,
    auth: &MessageAuthenticator,
    now: i64,
    received_at: Option<i64>,
) -> Vec<DkimCheck> {
    let signature_headers: Vec<&Header> = headers
        .iter()
        .filter(|h| h.name.trim().eq_ignore_ascii_case("DKIM-Signature"))
        .collect();
    if signature_headers.is_empty() {
        return Vec::new();
    }

    let message = MessageView::new(raw, headers);
    let parsed: Vec<ParsedDkim> = signature_headers
        .iter()
        .map(|h| ParsedDkim::parse(h))
        .collect();

    // Every key is fetched once, all at the same time, while mail-auth verifies on its own
    // (its lookups reach the same DNS log through the responder).
    let mut key_names: Vec<String> = Vec::new();
    for p in &parsed {
        if let Ok(sig) = &p.signature
            && !key_names.contains(&sig.core.key_name())
        {
            key_names.push(sig.core.key_name());
        }
    }
    let crlf = to_crlf(raw);
    let (answers, mail_auth_outputs) =
        tokio::join!(fetch_keys(dns, &key_names), run_mail_auth_dkim(&crlf, auth));

    let mut bodies = BodyHashCache::default();
    let mut evaluated: Vec<EvaluatedDkim> = parsed
        .iter()
        .zip(&signature_headers)
        .map(|(p, h)| {
            let at = Times { now, received_at };
            evaluate(&message, h, p, &answers, at, &mut bodies)
        })
        .collect();

    attach_mail_auth(&mut evaluated, &parsed, mail_auth_outputs);
    evaluated.into_iter().map(|e| e.check).collect()
}

// ---------------------------------------------------------------------------------------------
// The message as DKIM sees it
// ---------------------------------------------------------------------------------------------

/// One header field as bytes: the name before the colon and the value after it, with bare LF
/// line breaks turned into CRLF (DKIM is defined over the CRLF wire form; saved .eml files often
/// have LF).
pub(crate) struct Field<'a> {
    pub index: usize,
    pub name: &'a [u8],
    pub value: Cow<'a, [u8]>,
}

impl Field<'_> {
    pub(crate) fn is(&self, name: &str) -> bool {
        trim_wsp(self.name).eq_ignore_ascii_case(name.trim().as_bytes())
    }
}

/// The header fields and the body of one message, borrowed from the input.
pub(crate) struct MessageView<'a> {
    pub fields: Vec<Field<'a>>,
    pub body: &'a [u8],
    /// False for a header section with nothing after it, not even the empty line (Outlook's
    /// "message headers" box): there is no body to hash, which is not the same as an empty body.
    pub has_body: bool,
}

impl<'a> MessageView<'a> {
    pub(crate) fn new(raw: &'a [u8], headers: &[Header]) -> Self {
        let mut fields = Vec::with_capacity(headers.len());
        let mut header_end = 0;
        for h in headers {
            let Some(bytes) = h
                .offset
                .checked_add(h.length)
                .and_then(|end| raw.get(h.offset..end))
            else {
                continue;
            };
            header_end = header_end.max(h.offset + h.length);
            if let Some(colon) = bytes.iter().position(|&b| b == b':') {
                fields.push(Field {
                    index: h.index,
                    name: &bytes[..colon],
                    value: to_crlf(&bytes[colon + 1..]),
                });
            }
        }
        let rest = raw.get(header_end..).unwrap_or_default();
        let has_body = headers.is_empty() || !rest.is_empty();
        let body = if headers.is_empty() {
            &[][..]
        } else if let Some(body) = rest.strip_prefix(b"\r\n") {
            body
        } else if let Some(body) = rest.strip_prefix(b"\n") {
            body
        } else {
            rest
        };
        MessageView {
            fields,
            body,
            has_body,
        }
    }

    pub(crate) fn field(&self, index: usize) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.index == index)
    }

    /// How many fields of this name the message has.
    pub(crate) fn count(&self, name: &str) -> usize {
        self.fields.iter().filter(|f| f.is(name)).count()
    }

    /// The fields `h=` selects, in h= order: for each name, the bottom-most instance not yet
    /// used (RFC 6376 §5.4.2); `None` for a name with no instance left (it hashes as nothing).
    pub(crate) fn select_signed(&self, names: &[String]) -> Vec<(String, Option<&Field<'a>>)> {
        let mut used = vec![false; self.fields.len()];
        names
            .iter()
            .map(|name| {
                let found = self
                    .fields
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(i, f)| !used[*i] && f.is(name));
                if let Some((i, _)) = found {
                    used[i] = true;
                }
                (name.clone(), found.map(|(_, f)| f))
            })
            .collect()
    }
}

/// Bare LF → CRLF; borrowed when there is nothing to change.
pub(crate) fn to_crlf(bytes: &[u8]) -> Cow<'_, [u8]> {
    let bare_lf = bytes
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'));
    if !bare_lf {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    Cow::Owned(out)
}

fn trim_wsp(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}

// ---------------------------------------------------------------------------------------------
// Tag lists (RFC 6376 §3.2), shared with ARC and key records
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawTag {
    pub name: String,
    pub value: String,
}

const FWS: &[char] = &[' ', '\t', '\r', '\n'];

fn valid_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// VALCHAR (%x21-3A / %x3C-7E) plus folding whitespace; UTF-8 is let through (RFC 8616).
fn valid_value_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
        || (('\x21'..='\x7e').contains(&c) && c != ';')
        || (!c.is_ascii() && !c.is_control())
}

/// Parses a tag=value list strictly: tag names are case-sensitive, a name may appear once, an
/// empty tag-spec (`;;`) is invalid, one trailing `;` is allowed.
pub(crate) fn parse_tag_list(text: &str) -> Result<Vec<RawTag>, String> {
    let segments: Vec<&str> = text.split(';').collect();
    let last = segments.len().saturating_sub(1);
    let mut tags: Vec<RawTag> = Vec::new();
    for (n, segment) in segments.iter().enumerate() {
        let spec = segment.trim_matches(FWS);
        if spec.is_empty() {
            if n == last {
                continue;
            }
            return Err("empty tag between two semicolons".into());
        }
        let Some((name, value)) = spec.split_once('=') else {
            return Err(format!("`{}` is not a tag=value pair", shorten(spec, 40)));
        };
        let name = name.trim_matches(FWS);
        if !valid_tag_name(name) {
            return Err(format!("`{}` is not a valid tag name", shorten(name, 40)));
        }
        let value = value.trim_matches(FWS);
        if let Some(c) = value.chars().find(|c| !valid_value_char(*c)) {
            return Err(format!(
                "tag {name}= contains {c:?}, not allowed in a tag value"
            ));
        }
        if tags.iter().any(|t| t.name == name) {
            return Err(format!("tag {name}= appears more than once"));
        }
        tags.push(RawTag {
            name: name.to_string(),
            value: value.to_string(),
        });
    }
    Ok(tags)
}

/// A best-effort split for display when the strict parse failed: what can be read is shown.
pub(crate) fn lenient_tags(text: &str) -> Vec<RawTag> {
    text.split(';')
        .filter_map(|spec| {
            let (name, value) = spec.split_once('=')?;
            let name = name.trim_matches(FWS);
            (!name.is_empty()).then(|| RawTag {
                name: name.to_string(),
                value: value.trim_matches(FWS).to_string(),
            })
        })
        .collect()
}

pub(crate) fn tag<'t>(tags: &'t [RawTag], name: &str) -> Option<&'t str> {
    tags.iter()
        .find(|t| t.name == name)
        .map(|t| t.value.as_str())
}

/// Folding whitespace collapsed to one space, for display; base64 values lose it entirely.
pub(crate) fn display_value(name: &str, value: &str) -> String {
    if matches!(name, "b" | "bh" | "p") {
        value.chars().filter(|c| !FWS.contains(c)).collect()
    } else {
        value
            .split(FWS)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max_chars).collect();
        s.push('…');
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Tag values
// ---------------------------------------------------------------------------------------------

pub(crate) fn parse_algorithm(value: &str) -> Result<Algorithm, String> {
    match value.to_ascii_lowercase().as_str() {
        "rsa-sha256" => Ok(Algorithm::RsaSha256),
        "rsa-sha1" => Ok(Algorithm::RsaSha1),
        "ed25519-sha256" => Ok(Algorithm::Ed25519Sha256),
        "" => Err("a= is empty".into()),
        other => Err(format!(
            "unknown signing algorithm a={}",
            shorten(other, 30)
        )),
    }
}

pub(crate) fn algorithm_name(a: Algorithm) -> &'static str {
    a.name()
}

pub(crate) fn hash_of(a: Algorithm) -> HashAlgorithm {
    match a {
        Algorithm::RsaSha1 => HashAlgorithm::Sha1,
        Algorithm::RsaSha256 | Algorithm::Ed25519Sha256 => HashAlgorithm::Sha256,
    }
}

fn key_type_of(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RsaSha1 | Algorithm::RsaSha256 => "rsa",
        Algorithm::Ed25519Sha256 => "ed25519",
    }
}

fn parse_one_canon(word: &str) -> Result<Canonicalization, String> {
    match word.to_ascii_lowercase().as_str() {
        "simple" => Ok(Canonicalization::Simple),
        "relaxed" => Ok(Canonicalization::Relaxed),
        other => Err(format!("unknown canonicalization `{}`", shorten(other, 30))),
    }
}

pub(crate) fn parse_canonicalization(
    value: &str,
) -> Result<(Canonicalization, Canonicalization), String> {
    if value.is_empty() {
        return Err("c= is empty".into());
    }
    match value.split_once('/') {
        Some((h, b)) => Ok((parse_one_canon(h)?, parse_one_canon(b)?)),
        None => Ok((parse_one_canon(value)?, Canonicalization::Simple)),
    }
}

pub(crate) fn canon_name(c: Canonicalization) -> &'static str {
    match c {
        Canonicalization::Simple => "simple",
        Canonicalization::Relaxed => "relaxed",
    }
}

pub(crate) fn parse_number(name: &str, value: &str) -> Result<u64, String> {
    if value.is_empty() {
        return Err(format!("{name}= is empty"));
    }
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{name}={} is not a number",
            shorten(&display_value(name, value), 30)
        ));
    }
    value
        .parse::<u64>()
        .map_err(|_| format!("{name}= is too large"))
}

pub(crate) fn parse_base64_tag(name: &str, value: &str) -> Result<Vec<u8>, String> {
    let bytes = base64_decode(value).map_err(|e| format!("{name}= is not valid base64: {e}"))?;
    if bytes.is_empty() {
        return Err(format!("{name}= is empty"));
    }
    Ok(bytes)
}

/// A domain name (or selector): LDH labels (underscore allowed), U-labels turned into A-labels.
pub(crate) fn parse_domain(name: &str, value: &str) -> Result<String, String> {
    if value.is_empty() {
        return Err(format!("{name}= is empty"));
    }
    let ascii = mail_auth::common::to_a_label(value).to_ascii_lowercase();
    let ok = ascii.len() <= 253
        && ascii.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if ok {
        Ok(ascii)
    } else {
        Err(format!(
            "{name}={} is not a valid domain name",
            shorten(value, 60)
        ))
    }
}

/// `h=`: header names separated by colons (whitespace around them ignored, empty items skipped).
pub(crate) fn parse_header_list(value: &str) -> Result<Vec<String>, String> {
    let mut names = Vec::new();
    for item in value.split(':') {
        let item = item.trim_matches(FWS);
        if item.is_empty() {
            continue;
        }
        if !item.bytes().all(|b| (33..=126).contains(&b)) {
            return Err(format!(
                "h= contains `{}`, not a header field name",
                shorten(item, 30)
            ));
        }
        names.push(item.to_string());
    }
    Ok(names)
}

/// DKIM quoted-printable (`=XX`) decoding, for i=.
fn decode_dkim_qp(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'='
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(s) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(s, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        if !FWS.contains(&(b as char)) {
            out.push(b);
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Base64 (no dependency needed for this much)
// ---------------------------------------------------------------------------------------------

pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut symbols = 0usize;
    let mut padding = 0usize;
    for c in text.chars() {
        if FWS.contains(&c) {
            continue;
        }
        if c == '=' {
            padding += 1;
            continue;
        }
        if padding > 0 {
            return Err("data after the '=' padding".into());
        }
        let v = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            _ => return Err(format!("{c:?} is not a base64 character")),
        };
        symbols += 1;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if symbols % 4 == 1 {
        return Err("truncated (length is not a multiple of 4)".into());
    }
    if padding > 2 || (padding > 0 && !(symbols + padding).is_multiple_of(4)) {
        return Err("wrong '=' padding".into());
    }
    Ok(out)
}

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC` (no clock is read here).
pub(crate) fn format_unix(secs: i128) -> String {
    const MAX: i128 = 253_402_300_799; // 9999-12-31 23:59:59
    if !(-62_135_596_800..=MAX).contains(&secs) {
        return format!("{secs} (out of calendar range)");
    }
    let t = mail_parser::DateTime::from_timestamp(secs as i64);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    )
}

fn duration_words(secs: i128) -> String {
    let secs = secs.abs();
    if secs < 120 {
        format!("{secs} s")
    } else if secs < 7200 {
        format!("{} min", secs / 60)
    } else if secs < 172_800 {
        format!("{} h", secs / 3600)
    } else {
        format!("{} days", secs / 86_400)
    }
}

// ---------------------------------------------------------------------------------------------
// Signatures (the tags DKIM-Signature and ARC-Message-Signature share)
// ---------------------------------------------------------------------------------------------

/// The tags that drive the cryptography, common to DKIM-Signature and ARC-Message-Signature.
#[derive(Debug, Clone)]
pub(crate) struct SignatureCore {
    pub algorithm: Algorithm,
    pub signature: Vec<u8>,
    pub body_hash: Vec<u8>,
    pub header_canon: Canonicalization,
    pub body_canon: Canonicalization,
    pub domain: String,
    pub selector: String,
    pub signed_headers: Vec<String>,
    pub length: Option<u64>,
    pub timestamp: Option<u64>,
    pub expiration: Option<u64>,
}

impl SignatureCore {
    /// Reads the shared tags; an error names the first tag that is missing or unreadable.
    pub(crate) fn from_tags(tags: &[RawTag]) -> Result<Self, String> {
        let required = |name: &str| tag(tags, name).ok_or_else(|| format!("{name}= is missing"));
        let algorithm = parse_algorithm(required("a")?)?;
        let signature = parse_base64_tag("b", required("b")?)?;
        let body_hash = parse_base64_tag("bh", required("bh")?)?;
        let (header_canon, body_canon) = match tag(tags, "c") {
            Some(c) => parse_canonicalization(c)?,
            None => (Canonicalization::Simple, Canonicalization::Simple),
        };
        let domain = parse_domain("d", required("d")?)?;
        let selector = parse_domain("s", required("s")?)?;
        let signed_headers = parse_header_list(required("h")?)?;
        let number = |name: &str| tag(tags, name).map(|v| parse_number(name, v)).transpose();
        Ok(SignatureCore {
            algorithm,
            signature,
            body_hash,
            header_canon,
            body_canon,
            domain,
            selector,
            signed_headers,
            length: number("l")?,
            timestamp: number("t")?,
            expiration: number("x")?,
        })
    }

    /// Where the key lives: `<s>._domainkey.<d>`.
    pub(crate) fn key_name(&self) -> String {
        format!("{}._domainkey.{}", self.selector, self.domain)
    }

    pub(crate) fn key_query(&self) -> QueryKey {
        QueryKey::new(&self.key_name(), RecordType::TXT)
    }

    /// Whether x= is in the past as of `now` (RFC 6376 §3.5: past the expiration date).
    pub(crate) fn expired_at(&self, now: i64) -> bool {
        self.expiration
            .is_some_and(|x| i128::from(now) > i128::from(x))
    }
}

/// The signature header's value with the b= value emptied (RFC 6376 §3.7) and without the final
/// line break, as it enters its own hash.
pub(crate) fn strip_b_value(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    loop {
        let (segment, tail) = match rest.iter().position(|&b| b == b';') {
            Some(p) => (&rest[..p], Some(&rest[p..])),
            None => (rest, None),
        };
        let name_start = segment
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(segment.len());
        let after_name = &segment[name_start..];
        let name_len = after_name
            .iter()
            .position(|&b| b == b'=' || b.is_ascii_whitespace())
            .unwrap_or(after_name.len());
        let is_b = &after_name[..name_len] == b"b";
        let equals = after_name[name_len..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|p| name_start + name_len + p)
            .filter(|&p| segment[p] == b'=');
        match (is_b, equals) {
            (true, Some(eq)) => out.extend_from_slice(&segment[..=eq]),
            _ => out.extend_from_slice(segment),
        }
        match tail {
            Some(t) => {
                out.push(b';');
                rest = &t[1..];
            }
            None => break,
        }
    }
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    } else if out.ends_with(b"\n") {
        out.truncate(out.len() - 1);
    }
    out
}

/// Canonicalizes the selected header fields plus the signature field (b= emptied) and checks the
/// signature over them.
pub(crate) fn verify_header_signature(
    key: &DomainKey,
    canon: Canonicalization,
    signed: &[(&[u8], &[u8])],
    signature_field: (&[u8], &[u8]),
    signature: &[u8],
    algorithm: Algorithm,
) -> Result<(), String> {
    let mut data: Vec<u8> = Vec::with_capacity(1024);
    canon.canonicalize_headers(
        signed
            .iter()
            .copied()
            .chain(std::iter::once(signature_field)),
        &mut data,
    );
    key.p
        .verify_bytes(&data, signature, algorithm)
        .map_err(|e| match e {
            mail_auth::Error::Crypto(
                mail_auth::common::crypto::CryptoError::FailedVerification,
            ) => "the signature does not match the signed header fields".to_string(),
            other => format!("the signature could not be checked: {other}"),
        })
}

/// Verifies a DKIM-Signature or ARC-Message-Signature (header `#signature_index`) over the
/// fields its h= selected.
pub(crate) fn verify_signature_header(
    message: &MessageView<'_>,
    signature_index: usize,
    selected: &[(String, Option<&Field<'_>>)],
    core: &SignatureCore,
    key: &DomainKey,
) -> Result<(), String> {
    let own = message
        .field(signature_index)
        .ok_or("the signature header's bytes could not be located")?;
    let stripped = strip_b_value(&own.value);
    let signed: Vec<(&[u8], &[u8])> = selected
        .iter()
        .filter_map(|(_, f)| f.map(|f| (f.name, f.value.as_ref())))
        .collect();
    verify_header_signature(
        key,
        core.header_canon,
        &signed,
        (own.name, &stripped),
        &core.signature,
        core.algorithm,
    )
}

// ---------------------------------------------------------------------------------------------
// Body hashes
// ---------------------------------------------------------------------------------------------

enum HashState {
    Sha1(<Sha1 as HashImpl>::Context),
    Sha256(<Sha256 as HashImpl>::Context),
}

/// Hashes at most `limit` canonical bytes, counting all of them (for l=).
struct LimitedHasher {
    state: HashState,
    limit: Option<u64>,
    total: u64,
}

impl Writer for LimitedHasher {
    fn write(&mut self, buf: &[u8]) {
        let take = match self.limit {
            Some(limit) => {
                let room = limit.saturating_sub(self.total);
                (buf.len() as u64).min(room) as usize
            }
            None => buf.len(),
        };
        self.total += buf.len() as u64;
        if take > 0 {
            let part = &buf[..take];
            match &mut self.state {
                HashState::Sha1(h) => h.write(part),
                HashState::Sha256(h) => h.write(part),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyDigest {
    pub digest: Vec<u8>,
    /// Length of the whole canonicalized body.
    pub canonical_len: u64,
}

/// The body hash over the canonicalized body (first `limit` bytes of it when l= is given: l=
/// counts canonicalized bytes, RFC 6376 §3.5).
pub(crate) fn body_hash(
    body: &[u8],
    canon: Canonicalization,
    hash: HashAlgorithm,
    limit: Option<u64>,
) -> BodyDigest {
    let state = match hash {
        HashAlgorithm::Sha1 => HashState::Sha1(<Sha1 as HashImpl>::hasher()),
        HashAlgorithm::Sha256 => HashState::Sha256(<Sha256 as HashImpl>::hasher()),
    };
    let mut hasher = LimitedHasher {
        state,
        limit,
        total: 0,
    };
    canon.canonical_body(body, 0).write(&mut hasher);
    let digest = match hasher.state {
        HashState::Sha1(h) => h.complete().as_ref().to_vec(),
        HashState::Sha256(h) => h.complete().as_ref().to_vec(),
    };
    BodyDigest {
        digest,
        canonical_len: hasher.total,
    }
}

/// One hash per (canonicalization, hash, l=), so several signatures over a big body cost one pass
/// each kind.
/// (canonicalization, hash algorithm, l=) of one body hash.
type BodyHashKey = (u8, u8, Option<u64>);

#[derive(Default)]
pub(crate) struct BodyHashCache {
    entries: Vec<(BodyHashKey, BodyDigest)>,
}

impl BodyHashCache {
    pub(crate) fn get(
        &mut self,
        body: &[u8],
        canon: Canonicalization,
        hash: HashAlgorithm,
        limit: Option<u64>,
    ) -> BodyDigest {
        let key = (canon as u8, hash as u8, limit);
        if let Some((_, d)) = self.entries.iter().find(|(k, _)| *k == key) {
            return d.clone();
        }
        let d = body_hash(body, canon, hash, limit);
        self.entries.push((key, d.clone()));
        d
    }
}

// ---------------------------------------------------------------------------------------------
// Key records (RFC 6376 §3.6.1)
// ---------------------------------------------------------------------------------------------

pub(crate) struct KeyRecord {
    pub record: String,
    pub key_type: String,
    pub bits: Option<u32>,
    pub testing: bool,
    /// t=s: i= must use exactly d=, no subdomain.
    pub strict_identity: bool,
    /// h= of the key record: hash algorithms it may be used with (all if absent).
    pub hashes: Option<Vec<String>>,
    /// s= of the key record: service types (all if absent).
    pub services: Option<Vec<String>>,
    pub key: DomainKey,
}

pub(crate) enum KeyLookup {
    Found(Box<KeyRecord>),
    /// p= is empty: the domain withdrew this key.
    Revoked {
        record: String,
        key_type: String,
        testing: bool,
    },
    TempError(String),
    PermError(String),
}

impl KeyLookup {
    pub(crate) fn from_answer(name: &str, answer: Option<&DnsAnswer>) -> KeyLookup {
        let Some(answer) = answer else {
            return KeyLookup::TempError(format!("{name} was not looked up"));
        };
        match answer.outcome {
            DnsOutcome::Answers => {}
            DnsOutcome::NxDomain => {
                return KeyLookup::PermError(format!("no key: {name} does not exist (NXDOMAIN)"));
            }
            DnsOutcome::NoData => {
                return KeyLookup::PermError(format!("no key: {name} has no TXT record"));
            }
            other => {
                let detail = answer.error.clone().unwrap_or_default();
                return KeyLookup::TempError(format!(
                    "the key lookup for {name} failed ({}{}{detail}); try again later",
                    other.as_str(),
                    if detail.is_empty() { "" } else { ": " }
                ));
            }
        }
        let records = answer.txt();
        if records.is_empty() {
            return KeyLookup::PermError(format!("no key: {name} has no TXT record"));
        }
        let mut last = KeyLookup::PermError(format!("no key record at {name}"));
        for record in records {
            last = parse_key_record(&record);
            if !matches!(last, KeyLookup::PermError(_)) {
                break;
            }
        }
        last
    }
}

fn colon_list(value: &str) -> Vec<String> {
    value
        .split(':')
        .map(|s| s.trim_matches(FWS).to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn parse_key_record(record: &str) -> KeyLookup {
    let tags = match parse_tag_list(record) {
        Ok(tags) => tags,
        Err(e) => {
            return KeyLookup::PermError(format!(
                "the key record is malformed: {e} (record: {})",
                shorten(record, 80)
            ));
        }
    };
    if let Some(v) = tag(&tags, "v") {
        if v != "DKIM1" {
            return KeyLookup::PermError(format!(
                "not a DKIM key record: v={} (expected DKIM1)",
                shorten(v, 20)
            ));
        }
        if tags.first().is_some_and(|t| t.name != "v") {
            return KeyLookup::PermError("v=DKIM1 must be the first tag of the key record".into());
        }
    }
    let key_type = tag(&tags, "k").unwrap_or("rsa").to_ascii_lowercase();
    if key_type != "rsa" && key_type != "ed25519" {
        return KeyLookup::PermError(format!(
            "unknown key type k={} in the key record",
            shorten(&key_type, 20)
        ));
    }
    let flags = tag(&tags, "t").map(colon_list).unwrap_or_default();
    let testing = flags.iter().any(|f| f == "y");
    let strict_identity = flags.iter().any(|f| f == "s");
    let Some(p) = tag(&tags, "p") else {
        return KeyLookup::PermError("the key record has no p= (public key) tag".into());
    };
    if p.chars().all(|c| FWS.contains(&c)) {
        return KeyLookup::Revoked {
            record: record.to_string(),
            key_type,
            testing,
        };
    }
    let key = match DomainKey::parse(record.as_bytes()) {
        Ok(key) => key,
        Err(e) => {
            return KeyLookup::PermError(format!("the public key in p= cannot be used: {e}"));
        }
    };
    let bits = if key_type == "rsa" {
        u32::try_from(key.p.public_key_bits()).ok()
    } else {
        Some(256)
    };
    KeyLookup::Found(Box::new(KeyRecord {
        record: record.to_string(),
        key_type,
        bits,
        testing,
        strict_identity,
        hashes: tag(&tags, "h").map(colon_list),
        services: tag(&tags, "s").map(colon_list),
        key,
    }))
}

/// Whether the key may verify a signature made with `algorithm` (k=, h= and s= of the record).
pub(crate) fn key_accepts(key: &KeyRecord, algorithm: Algorithm) -> Result<(), String> {
    if key.key_type != key_type_of(algorithm) {
        return Err(format!(
            "the key is k={} but the signature uses a={}",
            key.key_type,
            algorithm_name(algorithm)
        ));
    }
    let hash = hash_of(algorithm).name();
    if let Some(hashes) = &key.hashes
        && !hashes.iter().any(|h| h == hash)
    {
        return Err(format!(
            "the key record allows only h={} but the signature hashes with {hash}",
            hashes.join(":")
        ));
    }
    if let Some(services) = &key.services
        && !services.iter().any(|s| s == "*" || s == "email")
    {
        return Err(format!(
            "the key record is for service s={}, not email",
            services.join(":")
        ));
    }
    Ok(())
}

/// The TXT answer at each key name (`selector._domainkey.domain`), all asked at once.
pub(crate) async fn fetch_keys<'k>(
    dns: &Dns,
    key_names: &'k [String],
) -> HashMap<&'k str, DnsAnswer> {
    let answers = join_all(
        key_names
            .iter()
            .map(|name| dns.query(name, RecordType::TXT))
            .collect(),
    )
    .await;
    key_names.iter().map(String::as_str).zip(answers).collect()
}

/// Polls futures together and returns their outputs in order (lookups that do not depend on each
/// other run at the same time).
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in futures.iter_mut().zip(outputs.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

// ---------------------------------------------------------------------------------------------
// One DKIM-Signature
// ---------------------------------------------------------------------------------------------

/// A DKIM-Signature read from its header: the tag table, and either the signature or the reason
/// it cannot be used.
struct ParsedDkim {
    header_index: usize,
    tags: Vec<RawTag>,
    signature: Result<DkimSignature, String>,
    /// (d, s, b) read leniently, to find mail-auth's report on the same signature.
    match_key: Option<(String, String, Vec<u8>)>,
}

struct DkimSignature {
    core: SignatureCore,
    version: Option<String>,
    /// i= decoded; None when absent (then it is `@d`).
    identity: Option<String>,
    query: Option<String>,
}

impl ParsedDkim {
    fn parse(header: &Header) -> ParsedDkim {
        let strict = parse_tag_list(&header.value);
        let tags = match &strict {
            Ok(tags) => tags.clone(),
            Err(_) => lenient_tags(&header.value),
        };
        let match_key = {
            let d = tag(&tags, "d").map(|d| d.trim().to_ascii_lowercase());
            let s = tag(&tags, "s").map(|s| s.trim().to_ascii_lowercase());
            let b = tag(&tags, "b").and_then(|b| base64_decode(b).ok());
            match (d, s, b) {
                (Some(d), Some(s), Some(b)) => Some((d, s, b)),
                _ => None,
            }
        };
        let signature = strict
            .map_err(|e| format!("the tag list is malformed: {e}"))
            .and_then(|tags| {
                let core = SignatureCore::from_tags(&tags)?;
                Ok(DkimSignature {
                    core,
                    version: tag(&tags, "v").map(str::to_string),
                    identity: tag(&tags, "i").map(decode_dkim_qp),
                    query: tag(&tags, "q").map(str::to_string),
                })
            });
        ParsedDkim {
            header_index: header.index,
            tags,
            signature,
            match_key,
        }
    }
}

/// What each DKIM-Signature tag means, in words.
pub(crate) fn dkim_tag_meaning(name: &str) -> &'static str {
    match name {
        "v" => "DKIM version; must be 1",
        "a" => {
            "signing algorithm: key type and hash (rsa-sha256 or ed25519-sha256; rsa-sha1 is no longer acceptable)"
        }
        "b" => "the signature itself, over the header fields listed in h= and this header",
        "bh" => "hash of the canonicalized body, as the signer computed it",
        "c" => "canonicalization header/body: how much whitespace change in transit is tolerated",
        "d" => {
            "signing domain: the domain that takes responsibility; the key is published under it"
        }
        "h" => "header fields covered by the signature, in hashing order",
        "i" => "identity (AUID) the message was signed for; must be at d= or a subdomain of it",
        "l" => "body length: only this many bytes of the canonicalized body are signed",
        "q" => "how to fetch the key (dns/txt is the only method)",
        "s" => "selector: which of the domain's keys, published at <s>._domainkey.<d>",
        "t" => "timestamp: when the message was signed",
        "x" => "expiry: the signature is not valid after this time",
        "z" => "copies of the signed header fields as the signer saw them (diagnostics only)",
        _ => "unknown tag, ignored (RFC 6376 §3.2)",
    }
}

fn tag_table(tags: &[RawTag]) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags
        .iter()
        .map(|t| {
            let value = display_value(&t.name, &t.value);
            let mut meaning = dkim_tag_meaning(&t.name).to_string();
            if matches!(t.name.as_str(), "t" | "x")
                && let Ok(n) = parse_number(&t.name, &t.value)
            {
                meaning.push_str(&format!(" ({})", format_unix(i128::from(n))));
            }
            Tag {
                name: t.name.clone(),
                value,
                meaning,
                default: false,
            }
        })
        .collect();
    let defaults = [
        ("c", "simple/simple".to_string()),
        ("q", "dns/txt".to_string()),
        (
            "i",
            tag(tags, "d")
                .map(|d| format!("@{}", d.trim()))
                .unwrap_or_default(),
        ),
    ];
    for (name, value) in defaults {
        if tag(tags, name).is_none() && !value.is_empty() {
            out.push(Tag {
                name: name.to_string(),
                value,
                meaning: dkim_tag_meaning(name).to_string(),
                default: true,
            });
        }
    }
    // Optional tags with no default value: say what their absence means, so the table always
    // covers v a c d s h bh b l t x i q.
    let absent = [
        ("l", "the whole body is signed (no length limit)"),
        ("t", "no signing time given"),
        ("x", "no expiry: the signature does not expire"),
    ];
    for (name, means) in absent {
        if tag(tags, name).is_none() {
            out.push(Tag {
                name: name.to_string(),
                value: "(absent)".to_string(),
                meaning: format!("{}; absent: {means}", dkim_tag_meaning(name)),
                default: true,
            });
        }
    }
    out
}

/// Our evaluation of one signature, plus what the mail-auth comparison needs.
struct EvaluatedDkim {
    check: DkimCheck,
    /// Our verdict if the expiry check were left out (to tell clock differences apart).
    result_ignoring_expiry: AuthResult,
    expired: bool,
    malformed: bool,
}

/// The moments a signature is judged against: the evaluation time and, when the trail gives it,
/// when the receiver got the message.
#[derive(Debug, Clone, Copy)]
struct Times {
    now: i64,
    received_at: Option<i64>,
}

fn evaluate(
    message: &MessageView<'_>,
    header: &Header,
    parsed: &ParsedDkim,
    answers: &HashMap<&str, DnsAnswer>,
    times: Times,
    bodies: &mut BodyHashCache,
) -> EvaluatedDkim {
    let now = times.now;
    let mut check = DkimCheck {
        header_index: header.index,
        tags: tag_table(&parsed.tags),
        ..Default::default()
    };
    check.domain = tag(&parsed.tags, "d").map(|d| d.trim().to_ascii_lowercase());
    check.selector = tag(&parsed.tags, "s").map(|s| s.trim().to_string());
    check.algorithm = tag(&parsed.tags, "a").map(|a| a.trim().to_string());

    let mut read = Step::new(
        "Read the DKIM-Signature",
        Outcome::Info,
        format!(
            "Header #{} carries a DKIM signature{}. Each tag is listed with what it means.",
            header.index,
            match (&check.domain, &check.selector) {
                (Some(d), Some(s)) => format!(" by {d} (selector {s})"),
                _ => String::new(),
            }
        ),
    )
    .header(header.index);
    for t in &check.tags {
        read = read.fact(
            format!(
                "{}{}",
                t.name,
                match (t.default, t.value.as_str()) {
                    // The value already says "(absent)".
                    (true, "(absent)") | (false, _) => "",
                    (true, _) => " (default)",
                }
            ),
            format!("{} — {}", shorten(&t.value, 100), t.meaning),
        );
    }
    check.steps.push(read);

    let sig = match &parsed.signature {
        Ok(sig) => sig,
        Err(e) => {
            check.result = AuthResult::PermError;
            check.reason = Some(format!("malformed signature: {e}"));
            check.steps.push(
                Step::new(
                    "Signature syntax",
                    Outcome::Error,
                    format!(
                        "The signature cannot be used: {e}. A malformed DKIM-Signature is a \
                         permanent error for this signature only; the others are still checked."
                    ),
                )
                .header(header.index),
            );
            check.steps.push(verdict_step(&check));
            return EvaluatedDkim {
                result_ignoring_expiry: check.result,
                check,
                expired: false,
                malformed: true,
            };
        }
    };
    let core = &sig.core;
    check.domain = Some(core.domain.clone());
    check.selector = Some(core.selector.clone());
    check.algorithm = Some(algorithm_name(core.algorithm).to_string());

    // Permanent problems found in the tags themselves (RFC 6376 §6.1.1); the cryptography below
    // still runs so the reader sees everything.
    let mut problems: Vec<String> = Vec::new();
    match sig.version.as_deref() {
        Some("1") => {}
        Some(v) => problems.push(format!("unsupported version v={}", shorten(v, 20))),
        None => problems.push("v= is missing (it is required)".into()),
    }
    if let Some(q) = &sig.query
        && !colon_list(q).iter().any(|m| m == "dns/txt")
    {
        problems.push(format!("unsupported key query method q={}", shorten(q, 30)));
    }
    if !core
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("from"))
    {
        problems.push("h= does not include From (the From field must be signed)".into());
    }
    if let (Some(t), Some(x)) = (core.timestamp, core.expiration)
        && x <= t
    {
        problems.push(format!("x={x} is not after t={t}"));
    }
    let identity_domain = match &sig.identity {
        None => None,
        Some(i) => match i.rsplit_once('@') {
            Some((_, d)) if !d.is_empty() => Some(d.to_ascii_lowercase()),
            _ => {
                problems.push(format!("i={} has no @domain", shorten(i, 60)));
                None
            }
        },
    };
    let identity_under_d = identity_domain
        .as_ref()
        .is_none_or(|d| d == &core.domain || d.ends_with(&format!(".{}", core.domain)));
    if !identity_under_d {
        problems.push(format!(
            "i= domain {} is not {} or a subdomain of it",
            identity_domain.as_deref().unwrap_or(""),
            core.domain
        ));
    }
    check.steps.push(if problems.is_empty() {
        Step::new(
            "Signature syntax",
            Outcome::Pass,
            "All required tags (v a b bh d h s) are present and readable; From is signed.",
        )
        .header(header.index)
    } else {
        Step::new(
            "Signature syntax",
            Outcome::Error,
            format!(
                "The signature breaks RFC 6376 rules: {}. That makes it a permanent error \
                 whatever the cryptography below says.",
                problems.join("; ")
            ),
        )
        .header(header.index)
    });

    // Timestamps, as of `now`.
    let expired = core.expired_at(now);
    let t_future = core.timestamp.filter(|&t| i128::from(t) > i128::from(now));
    let time_step_index = check.steps.len();
    check
        .steps
        .push(time_step(core, times, expired, header.index));

    // Identity.
    if let Some(d) = &identity_domain {
        check.steps.push(
            Step::new(
                "Signing identity (i=)",
                if identity_under_d {
                    Outcome::Pass
                } else {
                    Outcome::Error
                },
                if identity_under_d {
                    format!(
                        "i= is at {d}, which is {} or under it, as required.",
                        core.domain
                    )
                } else {
                    format!(
                        "i= is at {d}, outside the signing domain {}: RFC 6376 makes this \
                         signature invalid (domain mismatch).",
                        core.domain
                    )
                },
            )
            .header(header.index),
        );
    }

    // Body hash.
    let digest = bodies.get(
        message.body,
        core.body_canon,
        hash_of(core.algorithm),
        core.length,
    );
    let bh_matches = digest.digest == core.body_hash;
    let hashed_len = core
        .length
        .map_or(digest.canonical_len, |l| l.min(digest.canonical_len));
    let no_body = !message.has_body;
    // Without a body there is no length to compare l= with.
    let l_too_long = !no_body && core.length.is_some_and(|l| l > digest.canonical_len);
    if expired && !no_body && !bh_matches {
        // One cause: RFC 6376 §6.1.1 lets a verifier stop at an expired x= (MAY), but a body
        // that no longer matches bh= fails the signature whatever the clock (§6.1.3).
        check.steps[time_step_index].explanation.push_str(
            " The body hash fails too (below), and that fails the signature whatever the clock, \
             so the body is named as the cause: the expiry alone would be a MAY (RFC 6376 \
             §6.1.1).",
        );
    }
    check.body_hash_expected = Some(base64_encode(&core.body_hash));
    if no_body {
        check.steps.push(no_body_step(core));
    } else {
        check.body_hash_computed = Some(base64_encode(&digest.digest));
        check.body_hash_matches = Some(bh_matches);
    }
    check.steps.extend((!no_body).then(|| {
        Step::new(
            "Body hash",
            if bh_matches {
                Outcome::Pass
            } else {
                Outcome::Fail
            },
            if bh_matches {
                format!(
                    "The body, canonicalized ({}), hashes to the value in bh=: it is the body \
                     the signer saw{}.",
                    canon_name(core.body_canon),
                    if core.length.is_some() {
                        format!(" (for the first {hashed_len} bytes covered by l=)")
                    } else {
                        String::new()
                    }
                )
            } else if l_too_long {
                // Nothing can have been appended: the body is shorter than what was signed.
                format!(
                    "The body, canonicalized ({}), is {} bytes, shorter than the l={} bytes the \
                     signer declared (RFC 6376 §3.5): the body was truncated after signing (or \
                     l= was wrong when it was signed), so it does not hash to the value in bh=. \
                     The header signature is still checked below.",
                    canon_name(core.body_canon),
                    digest.canonical_len,
                    core.length.unwrap_or(0)
                )
            } else {
                format!(
                    "The body, canonicalized ({}), does not hash to the value in bh=: the body \
                     was changed after signing (a footer added, re-encoded, or altered). The \
                     header signature is still checked below.",
                    canon_name(core.body_canon)
                )
            },
        )
        .fact("bh= (signed)", base64_encode(&core.body_hash))
        .fact("computed", base64_encode(&digest.digest))
        .fact("canonicalized body bytes", digest.canonical_len.to_string())
        .fact("bytes hashed", hashed_len.to_string())
    }));

    // Key.
    let query = core.key_query();
    let key_name = core.key_name();
    let lookup = KeyLookup::from_answer(&key_name, answers.get(key_name.as_str()));
    let mut key_problem: Option<(AuthResult, String)> = None;
    let mut key_record: Option<&KeyRecord> = None;
    let answer_text = answers
        .get(key_name.as_str())
        .map(|a| a.txt().join(" | "))
        .unwrap_or_default();
    match &lookup {
        KeyLookup::Found(k) => {
            check.key = Some(DkimKey {
                key_type: k.key_type.clone(),
                bits: k.bits,
                revoked: false,
                testing: k.testing,
                record: k.record.clone(),
            });
            check.steps.push(
                Step::new(
                    "Fetch the public key",
                    Outcome::Pass,
                    format!(
                        "TXT {key_name} holds a DKIM key record: {} key{}{}{}.",
                        k.key_type,
                        k.bits.map(|b| format!(" of {b} bits")).unwrap_or_default(),
                        if k.testing {
                            ", testing mode (t=y)"
                        } else {
                            ""
                        },
                        if k.strict_identity {
                            ", i= must be exactly d= (t=s)"
                        } else {
                            ""
                        }
                    ),
                )
                .query(query.clone())
                .fact("record", shorten(&k.record, 400)),
            );
            match key_accepts(k, core.algorithm) {
                Ok(()) => key_record = Some(k),
                Err(e) => key_problem = Some((AuthResult::PermError, e)),
            }
            if k.strict_identity
                && let Some(d) = &identity_domain
                && d != &core.domain
            {
                key_problem.get_or_insert((
                    AuthResult::PermError,
                    format!(
                        "the key has t=s, so i= must be at exactly {}, not {d}",
                        core.domain
                    ),
                ));
            }
            if let Some((_, e)) = &key_problem {
                check.steps.push(
                    Step::new("Key fits the signature", Outcome::Error, format!("{e}."))
                        .query(query.clone()),
                );
            }
        }
        KeyLookup::Revoked {
            record,
            key_type,
            testing,
        } => {
            check.key = Some(DkimKey {
                key_type: key_type.clone(),
                bits: None,
                revoked: true,
                testing: *testing,
                record: record.clone(),
            });
            key_problem = Some((
                AuthResult::PermError,
                "the key was revoked (empty p=)".into(),
            ));
            check.steps.push(
                Step::new(
                    "Fetch the public key",
                    Outcome::Error,
                    format!(
                        "TXT {key_name} has an empty p=: the domain revoked this key, so no \
                         signature made with it can be valid."
                    ),
                )
                .query(query.clone())
                .fact("record", shorten(record, 400)),
            );
        }
        KeyLookup::TempError(e) | KeyLookup::PermError(e) => {
            let temporary = matches!(lookup, KeyLookup::TempError(_));
            key_problem = Some((
                if temporary {
                    AuthResult::TempError
                } else {
                    AuthResult::PermError
                },
                e.clone(),
            ));
            let mut step = Step::new(
                "Fetch the public key",
                Outcome::Error,
                format!(
                    "{e}.{}",
                    if temporary {
                        " A temporary DNS failure gives temperror: the signature may be fine."
                    } else {
                        " Without a usable key the signature cannot be verified (permerror)."
                    }
                ),
            )
            .query(query.clone());
            if !answer_text.is_empty() {
                step = step.fact("answer", shorten(&answer_text, 400));
            }
            check.steps.push(step);
        }
    }

    // Header fields and the signature over them.
    let selected = message.select_signed(&core.signed_headers);
    let mut signed_step = Step::new(
        "Signed header fields",
        Outcome::Info,
        format!(
            "h= names {} field(s); each takes the bottom-most instance not yet used. Names with \
             no instance left sign their absence. The signature header itself (b= emptied) is \
             hashed last. Header canonicalization: {}.",
            core.signed_headers.len(),
            canon_name(core.header_canon)
        ),
    )
    .header(header.index);
    for (name, field) in &selected {
        signed_step = match field {
            Some(f) => signed_step
                .header(f.index)
                .fact(name.clone(), format!("header #{}", f.index)),
            None => signed_step.fact(name.clone(), "absent (signed as absent)"),
        };
    }
    check.steps.push(signed_step);

    let header_signature: Option<Result<(), String>> =
        key_record.map(|k| verify_signature_header(message, header.index, &selected, core, &k.key));
    check.header_signature_valid = header_signature.as_ref().map(Result::is_ok);
    check.steps.push(match &header_signature {
        Some(Ok(())) => Step::new(
            "Header signature",
            Outcome::Pass,
            format!(
                "b= verifies with the {} key over the signed header fields: they are as the \
                 signer wrote them{}.",
                key_record.map_or("", |k| k.key_type.as_str()),
                if no_body {
                    " (the body is not here to check)"
                } else if bh_matches {
                    ""
                } else {
                    " (only the body changed)"
                }
            ),
        )
        .query(query.clone()),
        Some(Err(e)) => Step::new(
            "Header signature",
            Outcome::Fail,
            format!(
                "b= does not verify: {e}. A signed header field was changed or added in \
                 transit, or the message was not signed with this key."
            ),
        )
        .query(query.clone()),
        None => Step::new(
            "Header signature",
            Outcome::Skipped,
            "Not checked: there is no usable key (see above).",
        ),
    });

    // RFC 8301: rsa-sha1 and short RSA keys are not acceptable even when they verify.
    let mut policy: Option<String> = None;
    if core.algorithm == Algorithm::RsaSha1 {
        policy = Some("rsa-sha1 is not acceptable (RFC 8301)".into());
    }
    if let Some(k) = key_record
        && k.key_type == "rsa"
        && let Some(bits) = k.bits
        && bits < MIN_RSA_BITS
    {
        policy.get_or_insert(format!(
            "the RSA key has {bits} bits, under the {MIN_RSA_BITS} RFC 8301 requires"
        ));
    }
    if let Some(p) = &policy {
        check.steps.push(
            Step::new(
                "Algorithm and key strength (RFC 8301)",
                Outcome::Fail,
                format!(
                    "{p}: such signatures can be forged, so even a signature that verifies \
                     counts as policy, not pass."
                ),
            )
            .query(query.clone()),
        );
    }

    // Risks a reader should know about, even when the signature passes.
    let mut risks: Vec<String> = Vec::new();
    // A body shorter than l= was truncated: that is the failure reason, not an appending risk.
    if let Some(l) = core.length.filter(|_| !l_too_long) {
        let unsigned = digest.canonical_len.saturating_sub(l);
        risks.push(if unsigned > 0 {
            format!(
                "l={l}: only the first {l} of {} canonicalized body bytes are signed; the last \
                 {unsigned} bytes are not, and anyone can change or append content there",
                digest.canonical_len
            )
        } else {
            format!(
                "l={l}: the signature covers a fixed body length, so content appended after \
                 those {l} bytes would not break it"
            )
        });
    }
    if core.algorithm == Algorithm::RsaSha1 {
        risks.push("rsa-sha1: SHA-1 signatures can be forged (RFC 8301 forbids them)".into());
    }
    if let Some(k) = check.key.as_ref()
        && k.key_type == "rsa"
        && let Some(bits) = k.bits
        && bits < MIN_RSA_BITS
    {
        risks.push(format!(
            "{bits}-bit RSA key: keys under {MIN_RSA_BITS} bits can be factored"
        ));
    }
    // Headers signed exactly as often as they appear: one short risk for all of them, since it
    // is common and a reader needs it once, not per header.
    let mut not_over_signed: Vec<&str> = Vec::new();
    for name in ["From", "Subject"] {
        let present = message.count(name);
        let signed = core
            .signed_headers
            .iter()
            .filter(|h| h.eq_ignore_ascii_case(name))
            .count();
        if present > 0 && signed < present {
            risks.push(format!(
                "{name} appears {present} time(s) but h= signs it {signed} time(s): an unsigned \
                 {name} is in the message now"
            ));
        } else if present > 0 && signed == present {
            not_over_signed.push(name);
        }
    }
    if !not_over_signed.is_empty() {
        risks.push(format!(
            "{} not over-signed: a second {} could be added without breaking this signature",
            not_over_signed.join(" and "),
            not_over_signed.join("/")
        ));
    }
    if let Some(t) = t_future {
        risks.push(format!(
            "t={t} ({}) is {} after the evaluation time: the signer's clock is wrong or the \
             signature was made for later",
            format_unix(i128::from(t)),
            duration_words(i128::from(t) - i128::from(now))
        ));
    }
    if expired && let Some(x) = core.expiration {
        risks.push(format!(
            "x={x}: the signature expired {} ({} before the evaluation time)",
            format_unix(i128::from(x)),
            duration_words(i128::from(now) - i128::from(x))
        ));
    }
    if !identity_under_d && let Some(d) = &identity_domain {
        risks.push(format!(
            "i= is at {d}, not under d={}: the claimed identity is outside the signing domain",
            core.domain
        ));
    }
    if check.key.as_ref().is_some_and(|k| k.testing) {
        risks.push(
            "the key is in testing mode (t=y): receivers must treat the message as unsigned".into(),
        );
    }
    for risk in &risks {
        check
            .steps
            .push(Step::new("Risk", Outcome::Warning, format!("{risk}.")).header(header.index));
    }
    check.risks = risks;

    // The verdict, in the order RFC 6376 §6.1 checks things. Expiry is "PERMFAIL (signature
    // expired)" there (§6.1.1): permerror, like the other tag-level PERMFAILs.
    let decide = |with_expiry: bool| -> (AuthResult, String) {
        if let Some(p) = problems.first() {
            return (AuthResult::PermError, p.clone());
        }
        // Expiry is the cause only when the body still matches (see the time step), or when
        // there is no body to say otherwise.
        if with_expiry
            && expired
            && (bh_matches || no_body)
            && let Some(x) = core.expiration
        {
            return (AuthResult::PermError, expired_reason(x, times.received_at));
        }
        if let Some((r, e)) = &key_problem {
            return (*r, e.clone());
        }
        if no_body {
            return headers_only_verdict(header_signature.as_ref());
        }
        if !bh_matches && l_too_long {
            return (
                AuthResult::Fail,
                format!(
                    "body hash did not verify: the body ({} bytes) is shorter than l={}, \
                     truncated after signing",
                    digest.canonical_len,
                    core.length.unwrap_or(0)
                ),
            );
        }
        if !bh_matches {
            return (AuthResult::Fail, "body hash did not verify".into());
        }
        if let Some(Err(e)) = &header_signature {
            return (AuthResult::Fail, format!("signature did not verify: {e}"));
        }
        if l_too_long {
            return (
                AuthResult::PermError,
                format!(
                    "l={} is longer than the canonicalized body ({} bytes)",
                    core.length.unwrap_or(0),
                    digest.canonical_len
                ),
            );
        }
        if let Some(p) = &policy {
            return (AuthResult::Policy, p.clone());
        }
        (AuthResult::Pass, "signature verified".into())
    };
    let (result, reason) = decide(true);
    let (result_ignoring_expiry, _) = decide(false);
    check.result = result;
    check.reason = Some(reason);
    check.steps.push(verdict_step(&check));
    EvaluatedDkim {
        check,
        result_ignoring_expiry,
        expired,
        malformed: false,
    }
}

/// Why an expired signature fails, with its receipt: valid when the receiver got it, or not.
fn expired_reason(x: u64, received_at: Option<i64>) -> String {
    let expired = format!("signature expired (x={x}, {})", format_unix(i128::from(x)));
    match received_at {
        Some(r) if i128::from(x) >= i128::from(r) => format!(
            "{expired}: {} after receipt, so it was valid when the receiver got it",
            duration_words(i128::from(x) - i128::from(r))
        ),
        Some(r) => format!(
            "{expired}: already expired when the receiver got it ({} before receipt)",
            duration_words(i128::from(r) - i128::from(x))
        ),
        None => expired,
    }
}

/// The body-hash step of a message given as headers only: nothing to hash, and no verdict on
/// the body either way.
fn no_body_step(core: &SignatureCore) -> Step {
    Step::new(
        "Body hash",
        Outcome::Skipped,
        "Cannot be checked: no body. The input is a header section only (nothing after the \
         headers, not even the empty line that ends them), so there is nothing to hash against \
         bh=; that is no finding about the body either way. The header signature is \
         still checked below.",
    )
    .fact("bh= (signed)", base64_encode(&core.body_hash))
    .fact("computed", "none: no body")
}

/// The verdict of a signature on a headers-only message. RFC 6376 §6.1.3 has no word for "the
/// body is not available": a body-hash fail would claim the body changed, a pass would vouch for
/// a body never seen. RFC 8601 `neutral` ("signed, but … not otherwise able to be processed")
/// is the honest one; a header signature that does not verify is still a fail.
fn headers_only_verdict(header_signature: Option<&Result<(), String>>) -> (AuthResult, String) {
    match header_signature {
        Some(Err(e)) => (AuthResult::Fail, format!("signature did not verify: {e}")),
        _ => (
            AuthResult::Neutral,
            "headers only: the header signature verified, but the body hash cannot be checked \
             without the body"
                .into(),
        ),
    }
}

fn time_step(core: &SignatureCore, times: Times, expired: bool, header_index: usize) -> Step {
    let now = times.now;
    let now_text = format_unix(i128::from(now));
    let mut parts: Vec<String> = Vec::new();
    let mut outcome = Outcome::Pass;
    match core.timestamp {
        Some(t) => {
            let delta = i128::from(now) - i128::from(t);
            if delta < 0 {
                outcome = Outcome::Warning;
                parts.push(format!(
                    "signed at {} — {} in the future of the evaluation time",
                    format_unix(i128::from(t)),
                    duration_words(delta)
                ));
            } else {
                parts.push(format!(
                    "signed at {} ({} before the evaluation time)",
                    format_unix(i128::from(t)),
                    duration_words(delta)
                ));
            }
        }
        None => parts.push("no signing time (t= absent)".into()),
    }
    match core.expiration {
        Some(x) if expired => {
            outcome = Outcome::Fail;
            let x = i128::from(x);
            parts.push(match times.received_at.map(i128::from) {
                Some(r) if x >= r => format!(
                    "expired at {}, {} after receipt ({}, the receiving hop's date): valid when \
                     the receiver got it, no longer valid as of the evaluation time",
                    format_unix(x),
                    duration_words(x - r),
                    format_unix(r)
                ),
                Some(r) => format!(
                    "expired at {}, {} before receipt ({}, the receiving hop's date): already \
                     expired when the receiver got it",
                    format_unix(x),
                    duration_words(r - x),
                    format_unix(r)
                ),
                None => format!(
                    "expired at {}: as of the evaluation time the signature is no longer valid",
                    format_unix(x)
                ),
            });
        }
        Some(x) => parts.push(format!("valid until {}", format_unix(i128::from(x)))),
        None => parts.push("no expiry (x= absent)".into()),
    }
    Step::new(
        "Signing time and expiry",
        outcome,
        format!("Evaluated as of {now_text}: {}.", parts.join("; ")),
    )
    .header(header_index)
    .fact("now", now_text)
}

fn verdict_step(check: &DkimCheck) -> Step {
    let outcome = match check.result {
        AuthResult::Pass => Outcome::Pass,
        AuthResult::TempError | AuthResult::PermError => Outcome::Error,
        _ => Outcome::Fail,
    };
    let who = match (&check.domain, &check.selector) {
        (Some(d), Some(s)) => format!("d={d} s={s}"),
        _ => "this signature".into(),
    };
    Step::new(
        "Verdict",
        outcome,
        format!(
            "dkim={} for {who}: {}.",
            check.result,
            check.reason.as_deref().unwrap_or("")
        ),
    )
    .header(check.header_index)
}

// ---------------------------------------------------------------------------------------------
// mail-auth's verdict, for comparison
// ---------------------------------------------------------------------------------------------

struct MailAuthDkim {
    /// (d, s, b) of the signature it judged, when it could parse it.
    signature: Option<(String, String, Vec<u8>)>,
    result: DkimResult,
}

async fn run_mail_auth_dkim(crlf: &[u8], auth: &MessageAuthenticator) -> Vec<MailAuthDkim> {
    // Lenient on l= (strict=false): we evaluate l= signatures per RFC 6376 and flag them, so
    // mail-auth must judge them too for the comparison to mean anything.
    let Some(message) = AuthenticatedMessage::parse_with_opts(crlf, None, false) else {
        return Vec::new();
    };
    auth.verify_dkim(&message)
        .await
        .into_iter()
        .map(|o| MailAuthDkim {
            signature: o
                .signature()
                .map(|s| (s.d.clone(), s.s.clone(), s.b.clone())),
            result: o.result().clone(),
        })
        .collect()
}

/// mail-auth's word for a result, and the RFC 8601 result it amounts to in our terms (mail-auth
/// says neutral for a body-hash mismatch and for expiry, where we say fail and permerror).
fn mail_auth_words(result: &DkimResult) -> (AuthResult, AuthResult, Option<String>, bool) {
    use mail_auth::Error;
    use mail_auth::common::crypto::CryptoError;
    match result {
        DkimResult::Pass => (AuthResult::Pass, AuthResult::Pass, None, false),
        DkimResult::None => (AuthResult::None, AuthResult::None, None, false),
        DkimResult::Neutral(e) => {
            let (normalized, expired) = match e {
                Error::Dkim(DkimError::SignatureExpired) => (AuthResult::PermError, true),
                Error::Dkim(DkimError::FailedBodyHashMatch) => (AuthResult::Fail, false),
                _ => (AuthResult::PermError, false),
            };
            (
                AuthResult::Neutral,
                normalized,
                Some(e.to_string()),
                expired,
            )
        }
        DkimResult::Fail(e) => {
            let normalized = match e {
                Error::Crypto(CryptoError::FailedVerification | CryptoError::Library(_)) => {
                    AuthResult::Fail
                }
                Error::Dkim(DkimError::FailedBodyHashMatch) => AuthResult::Fail,
                _ => AuthResult::PermError,
            };
            (AuthResult::Fail, normalized, Some(e.to_string()), false)
        }
        DkimResult::PermError(e) => (
            AuthResult::PermError,
            AuthResult::PermError,
            Some(e.to_string()),
            false,
        ),
        DkimResult::TempError(e) => (
            AuthResult::TempError,
            AuthResult::TempError,
            Some(e.to_string()),
            false,
        ),
    }
}

fn attach_mail_auth(
    evaluated: &mut [EvaluatedDkim],
    parsed: &[ParsedDkim],
    outputs: Vec<MailAuthDkim>,
) {
    let mut with_signature: Vec<Option<MailAuthDkim>> = Vec::new();
    let mut without_signature: Vec<MailAuthDkim> = Vec::new();
    for o in outputs {
        if o.signature.is_some() {
            with_signature.push(Some(o));
        } else {
            without_signature.push(o);
        }
    }
    let mut anonymous = without_signature.into_iter();
    for (e, p) in evaluated.iter_mut().zip(parsed) {
        let found = p.match_key.as_ref().and_then(|key| {
            with_signature
                .iter_mut()
                .find(|o| o.as_ref().and_then(|o| o.signature.as_ref()) == Some(key))
                .and_then(Option::take)
        });
        let found = match found {
            Some(f) => Some(f),
            None if e.malformed => anonymous.next(),
            None => None,
        };
        compare_with_mail_auth(e, found, p.header_index);
    }
}

fn compare_with_mail_auth(
    e: &mut EvaluatedDkim,
    theirs: Option<MailAuthDkim>,
    header_index: usize,
) {
    let check = &mut e.check;
    // Headers only: the body hash was not computed (malformed signatures never get that far).
    let no_body = check.body_hash_matches.is_none() && check.body_hash_expected.is_some();
    let Some(theirs) = theirs else {
        let disagree = !e.malformed && !no_body;
        check.disagreement = disagree;
        check.steps.push(
            Step::new(
                "Cross-check with mail-auth",
                if disagree {
                    Outcome::Warning
                } else {
                    Outcome::Info
                },
                if disagree {
                    "mail-auth did not report on this signature at all, though we could read it: \
                 the two parsers disagree about it."
                        .to_string()
                } else {
                    "mail-auth did not report on this signature either (it drops signatures it \
                 cannot parse)."
                        .to_string()
                },
            )
            .header(header_index),
        );
        return;
    };
    let (word, normalized, reason, their_expired) = mail_auth_words(&theirs.result);
    check.mail_auth_result = Some(word);
    check.mail_auth_reason = reason.clone();
    let theirs_text = format!(
        "mail-auth says {word}{}",
        reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    let (outcome, text) = if normalized == check.result {
        (
            Outcome::Info,
            if word == check.result {
                format!("{theirs_text}: the same verdict.")
            } else {
                format!(
                    "{theirs_text}: the same conclusion; mail-auth words it {word} where RFC \
                     8601 readers expect {}.",
                    check.result
                )
            },
        )
    } else if no_body && normalized == AuthResult::Fail && check.result == AuthResult::Neutral {
        (
            Outcome::Info,
            format!(
                "{theirs_text}. The difference is only the missing body: mail-auth hashes it as \
                 an empty body, which cannot match bh=; we do not judge a body we do not have."
            ),
        )
    } else if their_expired && !e.expired {
        (
            Outcome::Info,
            format!(
                "{theirs_text}. The difference is only the clock: mail-auth reads x= against \
                 the system clock, which is past it; as of the evaluation time the signature \
                 has not expired. (mail-auth stopped there, so nothing else was cross-checked.)"
            ),
        )
    } else if their_expired && e.expired && check.body_hash_matches == Some(false) {
        (
            Outcome::Info,
            format!(
                "{theirs_text}. The same conclusion, the signature does not verify: mail-auth \
                 stops at the expired x=, while we name the body hash, which fails the signature \
                 whatever the clock (see the time step)."
            ),
        )
    } else if e.expired && normalized == e.result_ignoring_expiry {
        (
            Outcome::Info,
            format!(
                "{theirs_text}. The difference is only the clock: mail-auth reads x= against \
                 the system clock, which is before it; as of the evaluation time the signature \
                 has expired. Apart from that the verdicts agree."
            ),
        )
    } else {
        check.disagreement = true;
        (
            Outcome::Warning,
            format!(
                "{theirs_text}, but we say {}: the verifiers disagree. Ours follows RFC 6376 \
                 and RFC 8301 step by step as shown above; read both before trusting either.",
                check.result
            ),
        )
    };
    check.steps.push(
        Step::new("Cross-check with mail-auth", outcome, text)
            .header(header_index)
            .fact("mail-auth", word.to_string()),
    );
}

#[cfg(test)]
mod tests;
