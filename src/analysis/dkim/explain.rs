//! DKIM in words: what each tag means, dates and durations, and the steps that are not one
//! verification step's own (the time step, the verdict).

use time::{Duration, OffsetDateTime};

use super::key::KeyRecord;
use super::message::Field;
use super::parse::{
    RawTag, SignatureCore, base64_encode, canon_name, display_value, parse_number, shorten, tag,
};
use super::{BodyCheck, Identity, MIN_RSA_BITS, Times};
use crate::analysis::model::{AuthResult, DkimCheck, Tag};
use crate::analysis::step::{Outcome, Step};
use crate::dns::QueryKey;

/// Unix seconds as `YYYY-MM-DD HH:MM:SS UTC`, for years 1 to 9999 (no clock is read here).
pub(crate) fn format_unix(secs: i128) -> String {
    let utc = i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .filter(|t| t.year() >= 1);
    match utc {
        Some(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        None => format!("{secs} (out of calendar range)"),
    }
}

/// A duration (either sign) in one unit: seconds under two minutes, minutes under two hours,
/// hours under two days, else days.
pub(super) fn duration_words(secs: i128) -> String {
    let Ok(secs) = i64::try_from(secs.unsigned_abs()) else {
        // Beyond what any clock holds (an absurd t= or x=): days, still exact.
        let day = Duration::DAY.whole_seconds().unsigned_abs();
        return format!("{} days", secs.unsigned_abs() / u128::from(day));
    };
    let d = Duration::seconds(secs);
    if d < Duration::minutes(2) {
        format!("{} s", d.whole_seconds())
    } else if d < Duration::hours(2) {
        format!("{} min", d.whole_minutes())
    } else if d < Duration::days(2) {
        format!("{} h", d.whole_hours())
    } else {
        format!("{} days", d.whole_days())
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

pub(super) fn tag_table(tags: &[RawTag]) -> Vec<Tag> {
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

/// Why an expired signature fails, with its receipt: valid when the receiver got it, or not.
pub(super) fn expired_reason(x: u64, received_at: Option<i64>) -> String {
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
pub(super) fn no_body_step(core: &SignatureCore) -> Step {
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
pub(super) fn headers_only_verdict(
    header_signature: Option<&Result<(), String>>,
) -> (AuthResult, String) {
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

pub(super) fn time_step(
    core: &SignatureCore,
    times: Times,
    expired: bool,
    header_index: usize,
) -> Step {
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

pub(super) fn verdict_step(check: &DkimCheck) -> Step {
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

/// "Read the DKIM-Signature": every tag with what it means.
pub(super) fn read_step(check: &DkimCheck, header_index: usize) -> Step {
    let mut read = Step::new(
        "Read the DKIM-Signature",
        Outcome::Info,
        format!(
            "Header #{header_index} carries a DKIM signature{}. Each tag is listed with what it \
             means.",
            match (&check.domain, &check.selector) {
                (Some(d), Some(s)) => format!(" by {d} (selector {s})"),
                _ => String::new(),
            }
        ),
    )
    .header(header_index);
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
    read
}

/// The syntax step of a signature that cannot be read at all.
pub(super) fn malformed_step(error: &str, header_index: usize) -> Step {
    Step::new(
        "Signature syntax",
        Outcome::Error,
        format!(
            "The signature cannot be used: {error}. A malformed DKIM-Signature is a permanent \
             error for this signature only; the others are still checked."
        ),
    )
    .header(header_index)
}

/// The syntax step: the tag rules of RFC 6376 §6.1.1 kept, or the ones broken.
pub(super) fn syntax_step(problems: &[String], header_index: usize) -> Step {
    if problems.is_empty() {
        Step::new(
            "Signature syntax",
            Outcome::Pass,
            "All required tags (v a b bh d h s) are present and readable; From is signed.",
        )
        .header(header_index)
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
        .header(header_index)
    }
}

/// The i= step, when i= names a domain.
pub(super) fn identity_step(
    identity: &Identity,
    domain: &str,
    header_index: usize,
) -> Option<Step> {
    let d = identity.domain.as_ref()?;
    let step = if identity.under_d {
        Step::new(
            "Signing identity (i=)",
            Outcome::Pass,
            format!("i= is at {d}, which is {domain} or under it, as required."),
        )
    } else {
        Step::new(
            "Signing identity (i=)",
            Outcome::Error,
            format!(
                "i= is at {d}, outside the signing domain {domain}: RFC 6376 makes this \
                 signature invalid (domain mismatch)."
            ),
        )
    };
    Some(step.header(header_index))
}

/// The body hash step of a message with a body.
pub(super) fn body_hash_step(core: &SignatureCore, body: &BodyCheck) -> Step {
    let canon = canon_name(core.body_canon);
    let explanation = if body.matches {
        format!(
            "The body, canonicalized ({canon}), hashes to the value in bh=: it is the body the \
             signer saw{}.",
            if core.length.is_some() {
                format!(" (for the first {} bytes covered by l=)", body.hashed_len)
            } else {
                String::new()
            }
        )
    } else if body.l_too_long {
        // Nothing can have been appended: the body is shorter than what was signed.
        format!(
            "The body, canonicalized ({canon}), is {} bytes, shorter than the l={} bytes the \
             signer declared (RFC 6376 §3.5): the body was truncated after signing (or l= was \
             wrong when it was signed), so it does not hash to the value in bh=. The header \
             signature is still checked below.",
            body.digest.canonical_len,
            core.length.unwrap_or(0)
        )
    } else {
        format!(
            "The body, canonicalized ({canon}), does not hash to the value in bh=: the body was \
             changed after signing (a footer added, re-encoded, or altered). The header \
             signature is still checked below."
        )
    };
    let outcome = if body.matches {
        Outcome::Pass
    } else {
        Outcome::Fail
    };
    Step::new("Body hash", outcome, explanation)
        .fact("bh= (signed)", base64_encode(&core.body_hash))
        .fact("computed", base64_encode(&body.digest.digest))
        .fact(
            "canonicalized body bytes",
            body.digest.canonical_len.to_string(),
        )
        .fact("bytes hashed", body.hashed_len.to_string())
}

/// The key step of a key record that was found.
pub(super) fn key_found_step(k: &KeyRecord, key_name: &str, query: QueryKey) -> Step {
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
    .query(query)
    .fact("record", shorten(&k.record, 400))
}

/// The key step of a revoked key (empty p=).
pub(super) fn key_revoked_step(record: &str, key_name: &str, query: QueryKey) -> Step {
    Step::new(
        "Fetch the public key",
        Outcome::Error,
        format!(
            "TXT {key_name} has an empty p=: the domain revoked this key, so no signature made \
             with it can be valid."
        ),
    )
    .query(query)
    .fact("record", shorten(record, 400))
}

/// The key step when there is no usable key record (`temporary`: a DNS failure).
pub(super) fn key_failed_step(
    error: &str,
    temporary: bool,
    answer_text: &str,
    query: QueryKey,
) -> Step {
    let step = Step::new(
        "Fetch the public key",
        Outcome::Error,
        format!(
            "{error}.{}",
            if temporary {
                " A temporary DNS failure gives temperror: the signature may be fine."
            } else {
                " Without a usable key the signature cannot be verified (permerror)."
            }
        ),
    )
    .query(query);
    if answer_text.is_empty() {
        step
    } else {
        step.fact("answer", shorten(answer_text, 400))
    }
}

/// Which fields h= selected, in hashing order (RFC 6376 §5.4.2).
pub(super) fn signed_fields_step(
    core: &SignatureCore,
    selected: &[(String, Option<&Field<'_>>)],
    header_index: usize,
) -> Step {
    let mut step = Step::new(
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
    .header(header_index);
    for (name, field) in selected {
        step = match field {
            Some(f) => step
                .header(f.index)
                .fact(name.clone(), format!("header #{}", f.index)),
            None => step.fact(name.clone(), "absent (signed as absent)"),
        };
    }
    step
}

/// The b= step: verified, not verified, or not checked for want of a key.
/// The header signature left unchecked because the RSA key is too short (RFC 8301).
pub(super) fn short_key_step(bits: u32, query: QueryKey) -> Step {
    Step::new(
        "Header signature",
        Outcome::Skipped,
        format!(
            "Not checked: the RSA key has {bits} bits. RFC 8301 §3.2 forbids treating a \
             signature made with an RSA key under {MIN_RSA_BITS} bits as valid, and the RSA \
             implementation refuses such keys."
        ),
    )
    .query(query)
}

pub(super) fn header_signature_step(
    header_signature: Option<&Result<(), String>>,
    key: Option<&KeyRecord>,
    body: &BodyCheck,
    query: QueryKey,
) -> Step {
    match header_signature {
        Some(Ok(())) => Step::new(
            "Header signature",
            Outcome::Pass,
            format!(
                "b= verifies with the {} key over the signed header fields: they are as the \
                 signer wrote them{}.",
                key.map_or("", |k| k.key_type.as_str()),
                if !body.present {
                    " (the body is not here to check)"
                } else if body.matches {
                    ""
                } else {
                    " (only the body changed)"
                }
            ),
        )
        .query(query),
        Some(Err(e)) => Step::new(
            "Header signature",
            Outcome::Fail,
            format!(
                "b= does not verify: {e}. A signed header field was changed or added in \
                 transit, or the message was not signed with this key."
            ),
        )
        .query(query),
        None => Step::new(
            "Header signature",
            Outcome::Skipped,
            "Not checked: there is no usable key (see above).",
        ),
    }
}

/// RFC 8301's step: an algorithm or key that is not acceptable even when it verifies.
pub(super) fn policy_step(problem: &str, query: QueryKey) -> Step {
    Step::new(
        "Algorithm and key strength (RFC 8301)",
        Outcome::Fail,
        format!(
            "{problem}: such signatures can be forged, so even a signature that verifies counts \
             as policy, not pass."
        ),
    )
    .query(query)
}
