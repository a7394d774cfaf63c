//! The DKIM-Signature grammar (RFC 6376 §3.2 tag lists, §3.5 tag values): what ARC shares
//! (tag lists, the tags that drive the cryptography) and the reading of one DKIM-Signature.

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::{Engine, alphabet};
use mail_auth::common::crypto::{Algorithm, HashAlgorithm};
use mail_auth::dkim::Canonicalization;

use crate::analysis::model::Header;
use crate::dns::{QueryKey, RecordType};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawTag {
    pub name: String,
    pub value: String,
}

pub(super) const FWS: &[char] = &[' ', '\t', '\r', '\n'];

pub(super) fn valid_tag_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// VALCHAR (%x21-3A / %x3C-7E) plus folding whitespace; UTF-8 is let through (RFC 8616).
pub(super) fn valid_value_char(c: char) -> bool {
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

pub(super) fn key_type_of(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RsaSha1 | Algorithm::RsaSha256 => "rsa",
        Algorithm::Ed25519Sha256 => "ed25519",
    }
}

pub(super) fn parse_one_canon(word: &str) -> Result<Canonicalization, String> {
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

/// base64 as DKIM writes it (RFC 6376 §2.4): `=` padding complete or absent, unused bits of the
/// last symbol not checked; folding whitespace anywhere is removed before decoding.
const fn dkim_base64(padding: DecodePaddingMode) -> GeneralPurpose {
    GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(padding)
            .with_decode_allow_trailing_bits(true),
    )
}
const PADDED: GeneralPurpose = dkim_base64(DecodePaddingMode::RequireCanonical);
const UNPADDED: GeneralPurpose = dkim_base64(DecodePaddingMode::RequireNone);

pub(crate) fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub(crate) fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let compact: String = text.chars().filter(|c| !FWS.contains(c)).collect();
    let engine = if compact.contains('=') {
        &PADDED
    } else {
        &UNPADDED
    };
    engine.decode(&compact).map_err(|_| base64_error(&compact))
}

/// Why `compact` is not base64, naming the first rule broken reading left to right (the
/// decoder's own error says where its chunk failed, not which rule).
fn base64_error(compact: &str) -> String {
    let first_pad = compact.find('=');
    let after_pad = first_pad.and_then(|p| compact[p..].find(|c| c != '=').map(|i| p + i));
    let foreign = compact
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')));
    match (foreign, after_pad) {
        (Some((i, c)), after) if after.is_none_or(|a| i < a) => {
            format!("{c:?} is not a base64 character")
        }
        (_, Some(_)) => "data after the '=' padding".into(),
        _ if compact.trim_end_matches('=').len() % 4 == 1 => {
            "truncated (length is not a multiple of 4)".into()
        }
        _ => "wrong '=' padding".into(),
    }
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
pub(super) fn decode_dkim_qp(value: &str) -> String {
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

/// A DKIM-Signature read from its header: the tag table, and either the signature or the reason
/// it cannot be used.
pub(super) struct ParsedDkim {
    pub(super) header_index: usize,
    pub(super) tags: Vec<RawTag>,
    pub(super) signature: Result<DkimSignature, String>,
    /// (d, s, b) read leniently, to find mail-auth's report on the same signature.
    pub(super) match_key: Option<(String, String, Vec<u8>)>,
}

pub(super) struct DkimSignature {
    pub(super) core: SignatureCore,
    pub(super) version: Option<String>,
    /// i= decoded; None when absent (then it is `@d`).
    pub(super) identity: Option<String>,
    pub(super) query: Option<String>,
}

impl ParsedDkim {
    pub(super) fn parse(header: &Header) -> ParsedDkim {
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
