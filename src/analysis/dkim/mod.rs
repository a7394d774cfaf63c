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
//! The files, in the order RFC 6376 needs them: `message` (the header fields and body as DKIM
//! sees them), `parse` (the tag-list grammar of §3.2 and the tag values of §3.5), `key` (the key
//! record of §3.6.1 and its lookup), `canonicalize` (§3.4 and the hashes of §3.7), `verify` (the
//! §6.1 verification, one function per step), `explain` (the steps in words) and `crosscheck`
//! (mail-auth's verdict beside ours). This file holds the entry points and the types the steps
//! share. The pieces ARC reuses (tag lists, header fields, body hashes, key records,
//! header-signature verification) are re-exported `pub(crate)` here.

mod canonicalize;
mod crosscheck;
mod explain;
mod key;
mod message;
mod parse;
mod verify;

use super::authenticator::MailAuth;
use super::model::{AuthResult, DkimCheck, Header};
use crate::dns::Dns;
use canonicalize::BodyDigest;
use crosscheck::{attach_mail_auth, run_mail_auth_dkim};
use parse::ParsedDkim;
use verify::evaluate;

// What ARC shares with DKIM.
pub(crate) use canonicalize::{
    BodyHashCache, strip_b_value, verify_header_signature, verify_signature_header,
};
pub(crate) use explain::format_unix;
pub(crate) use key::{KeyLookup, KeyRecord, Keys, fetch_keys, key_accepts};
pub(crate) use message::{Field, MessageView, to_crlf};
pub(crate) use parse::{
    RawTag, SignatureCore, algorithm_name, base64_encode, canon_name, display_value, hash_of,
    lenient_tags, parse_algorithm, parse_base64_tag, parse_domain, parse_number, parse_tag_list,
    shorten, tag,
};
#[cfg(test)]
pub(crate) use {canonicalize::body_hash, parse::parse_header_list};

/// RSA keys shorter than this are not acceptable (RFC 8301 §3.2).
pub(crate) const MIN_RSA_BITS: u32 = 1024;

/// Parses a DKIM-Signature value (for the fuzz tests): the tag list and the signature.
#[cfg(test)]
pub(crate) fn fuzz_parse(value: &str) -> bool {
    let raw = format!("DKIM-Signature: {value}\r\n");
    let header = Header {
        index: 0,
        name: "DKIM-Signature".into(),
        kind: crate::analysis::HeaderKind::Trace,
        offset: 0,
        length: raw.len(),
        raw,
        value: value.to_string(),
        invalid_utf8: false,
        errors: Vec::new(),
        decoded: None,
    };
    let parsed = ParsedDkim::parse(&header);
    parsed.signature.is_ok()
}

/// DKIM signatures verified per message (budget). Receivers verify the first few; 500 stacked
/// signatures must not cost 500 key lookups and verifications.
pub const MAX_SIGNATURES: usize = 10;

fn signature_headers(headers: &[Header]) -> impl Iterator<Item = &Header> {
    headers
        .iter()
        .filter(|h| h.name.trim().eq_ignore_ascii_case("DKIM-Signature"))
}

/// The warning when the message carries more signatures than are verified.
pub fn budget_warnings(headers: &[Header]) -> Vec<crate::analysis::Warning> {
    let all = signature_headers(headers).count();
    if all <= MAX_SIGNATURES {
        return Vec::new();
    }
    vec![crate::analysis::Warning::new(
        crate::analysis::Severity::Warning,
        "budget-dkim-signatures",
        format!(
            "The message carries {all} DKIM-Signature headers; the first {MAX_SIGNATURES} were \
             verified and {} were not (budget: DKIM signatures per message; RFC 6376 §6.1 lets \
             a verifier limit them).",
            all - MAX_SIGNATURES
        ),
        signature_headers(headers)
            .nth(MAX_SIGNATURES)
            .map(|h| h.index),
    )]
}

/// Verifies the DKIM-Signatures of the message (the first [`MAX_SIGNATURES`]), in header order. Never panics on bad input: a
/// malformed signature is a permerror for that signature alone, named in its steps.
pub async fn check_dkim(
    raw: &[u8],
    headers: &[Header],
    dns: &Dns,
    auth: &MailAuth,
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
    auth: &MailAuth,
    now: i64,
    received_at: Option<i64>,
) -> Vec<DkimCheck> {
    // Budget: the first MAX_SIGNATURES in header order (RFC 6376 §6.1 lets a verifier limit
    // how many it verifies); budget_warnings says how many were left.
    let signature_headers: Vec<&Header> = signature_headers(headers).take(MAX_SIGNATURES).collect();
    if signature_headers.is_empty() {
        return Vec::new();
    }

    let message = MessageView::new(raw, headers);
    let parsed: Vec<ParsedDkim> = signature_headers
        .iter()
        .map(|h| ParsedDkim::parse(h))
        .collect();

    // Every key is fetched once, all at the same time.
    let mut key_names: Vec<String> = Vec::new();
    for p in &parsed {
        if let Ok(sig) = &p.signature
            && !key_names.contains(&sig.core.key_name())
        {
            key_names.push(sig.core.key_name());
        }
    }
    let answers = fetch_keys(dns, &key_names).await;

    let mut evaluated: Vec<EvaluatedDkim> = {
        let mut bodies = auth.bodies();
        parsed
            .iter()
            .zip(&signature_headers)
            .map(|(p, h)| {
                let at = Times { now, received_at };
                evaluate(&message, h, p, &answers, at, auth.keys(), &mut bodies)
            })
            .collect()
    };

    // mail-auth after ours: its lookups are then answered from what ours asked, its body hash
    // and its signature checks over the same bytes are the ones already done (`MailAuth`).
    let crlf = auth.crlf(raw);
    let mail_auth_outputs = run_mail_auth_dkim(auth, raw, &crlf, message.body_offset(raw)).await;

    attach_mail_auth(&mut evaluated, &parsed, mail_auth_outputs);
    evaluated.into_iter().map(|e| e.check).collect()
}

// ---------------------------------------------------------------------------------------------
// What one signature's verification finds
// ---------------------------------------------------------------------------------------------

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

/// The signing identity (i=): its domain when i= is given and readable, and whether that domain
/// is d= or under it (true when i= is absent: then it is `@d`).
struct Identity {
    domain: Option<String>,
    under_d: bool,
}

/// The body hash as computed here, set against bh=.
struct BodyCheck {
    digest: BodyDigest,
    matches: bool,
    /// Canonicalized bytes the hash covered (l= when given, capped by the body).
    hashed_len: u64,
    /// False for a header section only: no body to hash, which is not an empty body.
    present: bool,
    /// l= is longer than the canonicalized body.
    l_too_long: bool,
}

#[cfg(test)]
mod tests;
