//! One DKIM-Signature verified in the order of RFC 6376 §6.1: validate the signature's tags
//! (§6.1.1), get the public key (§6.1.2), compute the body hash and the header signature
//! (§6.1.3), then the algorithm and key-size rules of RFC 8301. Every step is recorded, also
//! after a failure, so the reader sees everything; the verdict then takes the first cause in
//! RFC order.
//!
//! The body hash is shown before the key (as a reader expects: "is it the body the signer saw?"
//! needs no DNS); it does not change the verdict order.

use std::collections::HashMap;

use mail_auth::common::crypto::Algorithm;

use super::canonicalize::{BodyHashCache, verify_signature_header};
use super::explain::{
    body_hash_step, duration_words, expired_reason, format_unix, header_signature_step,
    headers_only_verdict, identity_step, key_failed_step, key_found_step, key_revoked_step,
    malformed_step, no_body_step, policy_step, read_step, short_key_step, signed_fields_step,
    syntax_step, tag_table, time_step, verdict_step,
};
use super::key::{KeyLookup, KeyRecord, Keys, colon_list, key_accepts};
use super::message::MessageView;
use super::parse::{
    DkimSignature, ParsedDkim, SignatureCore, algorithm_name, base64_encode, hash_of, shorten, tag,
};
use super::{BodyCheck, EvaluatedDkim, Identity, MIN_RSA_BITS, Times};
use crate::analysis::model::{AuthResult, DkimCheck, DkimKey, Header};
use crate::analysis::step::{Outcome, Step};
use crate::dns::DnsAnswer;

/// Everything the verdict is decided from.
struct Findings<'s> {
    core: &'s SignatureCore,
    problems: Vec<String>,
    expired: bool,
    received_at: Option<i64>,
    body: BodyCheck,
    key_problem: Option<(AuthResult, String)>,
    header_signature: Option<Result<(), String>>,
    policy: Option<String>,
}

/// Verifies one DKIM-Signature (`parsed`, read from `header`) as of `times`.
pub(super) fn evaluate(
    message: &MessageView<'_>,
    header: &Header,
    parsed: &ParsedDkim,
    answers: &HashMap<&str, DnsAnswer>,
    times: Times,
    keys: &Keys,
    bodies: &mut BodyHashCache,
) -> EvaluatedDkim {
    let mut check = read_signature(header, parsed);
    let sig = match &parsed.signature {
        Ok(sig) => sig,
        Err(e) => return malformed(check, e),
    };
    let core = &sig.core;
    check.domain = Some(core.domain.clone());
    check.selector = Some(core.selector.clone());
    check.algorithm = Some(algorithm_name(core.algorithm).to_string());

    // §6.1.1: the tags themselves. Their permanent problems decide the verdict, but the
    // cryptography below still runs so the reader sees everything.
    let (problems, identity) = validate_tags(sig);
    check.steps.push(syntax_step(&problems, header.index));
    let expired = core.expired_at(times.now);
    let time_step_index = check.steps.len();
    check
        .steps
        .push(time_step(core, times, expired, header.index));
    check
        .steps
        .extend(identity_step(&identity, &core.domain, header.index));

    // §6.1.3, the body part: is it the body the signer saw?
    let body = hash_body(message, core, bodies);
    if expired && body.present && !body.matches {
        name_the_body_as_cause(&mut check.steps[time_step_index]);
    }
    record_body_hash(&mut check, core, &body);

    // §6.1.2: the public key.
    let key_name = core.key_name();
    let lookup = KeyLookup::from_answer(&key_name, answers.get(key_name.as_str()), keys);
    let answer_text = answer_text(answers, core);
    let (key, key_problem) = get_key(&mut check, core, &lookup, &answer_text, &identity);

    // §6.1.3, the header part: the signed fields and the signature over them.
    let selected = message.select_signed(&core.signed_headers);
    check
        .steps
        .push(signed_fields_step(core, &selected, header.index));
    // An RSA key under 1024 bits is never checked: RFC 8301 §3.2 forbids treating its
    // signatures as valid, and the RSA implementation (ring) refuses such keys outright.
    let short = key.and_then(short_rsa_bits);
    let header_signature = key
        .filter(|_| short.is_none())
        .map(|k| verify_signature_header(message, header.index, &selected, core, &k.key));
    check.header_signature_valid = header_signature.as_ref().map(Result::is_ok);
    check.steps.push(match short {
        Some(bits) => short_key_step(bits, core.key_query()),
        None => header_signature_step(header_signature.as_ref(), key, &body, core.key_query()),
    });

    // RFC 8301: rsa-sha1 and short RSA keys are not acceptable even when they verify.
    let policy = unacceptable_algorithm_or_key(core.algorithm, key);
    check
        .steps
        .extend(policy.as_deref().map(|p| policy_step(p, core.key_query())));

    let risks = risks(
        message,
        core,
        &body,
        check.key.as_ref(),
        &identity,
        times,
        expired,
    );
    check.steps.extend(
        risks.iter().map(|risk| {
            Step::new("Risk", Outcome::Warning, format!("{risk}.")).header(header.index)
        }),
    );
    check.risks = risks;

    let findings = Findings {
        core,
        problems,
        expired,
        received_at: times.received_at,
        body,
        key_problem,
        header_signature,
        policy,
    };
    conclude(check, &findings)
}

/// The verdict with its step, and the verdict without the expiry for the mail-auth comparison.
fn conclude(mut check: DkimCheck, findings: &Findings<'_>) -> EvaluatedDkim {
    let (result, reason) = verdict(findings, true);
    let (result_ignoring_expiry, _) = verdict(findings, false);
    check.result = result;
    check.reason = Some(reason);
    check.steps.push(verdict_step(&check));
    EvaluatedDkim {
        check,
        result_ignoring_expiry,
        expired: findings.expired,
        malformed: false,
    }
}

/// The check as far as the header says it, with the step listing every tag.
fn read_signature(header: &Header, parsed: &ParsedDkim) -> DkimCheck {
    let mut check = DkimCheck {
        header_index: header.index,
        tags: tag_table(&parsed.tags),
        ..Default::default()
    };
    check.domain = tag(&parsed.tags, "d").map(|d| d.trim().to_ascii_lowercase());
    check.selector = tag(&parsed.tags, "s").map(|s| s.trim().to_string());
    check.algorithm = tag(&parsed.tags, "a").map(|a| a.trim().to_string());
    let step = read_step(&check, header.index);
    check.steps.push(step);
    check
}

/// A signature that cannot be read is a permerror for it alone (RFC 6376 §6.1.1).
fn malformed(mut check: DkimCheck, error: &str) -> EvaluatedDkim {
    check.result = AuthResult::PermError;
    check.reason = Some(format!("malformed signature: {error}"));
    check.steps.push(malformed_step(error, check.header_index));
    check.steps.push(verdict_step(&check));
    EvaluatedDkim {
        result_ignoring_expiry: check.result,
        check,
        expired: false,
        malformed: true,
    }
}

/// §6.1.1: the tag rules beyond the grammar — version, key query method, From signed, x= after
/// t=, and i= at d= or under it.
fn validate_tags(sig: &DkimSignature) -> (Vec<String>, Identity) {
    let core = &sig.core;
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
    let domain = match &sig.identity {
        None => None,
        Some(i) => match i.rsplit_once('@') {
            Some((_, d)) if !d.is_empty() => Some(d.to_ascii_lowercase()),
            _ => {
                problems.push(format!("i={} has no @domain", shorten(i, 60)));
                None
            }
        },
    };
    let under_d = domain
        .as_ref()
        .is_none_or(|d| d == &core.domain || d.ends_with(&format!(".{}", core.domain)));
    if !under_d {
        problems.push(format!(
            "i= domain {} is not {} or a subdomain of it",
            domain.as_deref().unwrap_or(""),
            core.domain
        ));
    }
    (problems, Identity { domain, under_d })
}

/// One cause for an expired signature whose body no longer matches: RFC 6376 §6.1.1 lets a
/// verifier stop at an expired x= (MAY), but a body that no longer matches bh= fails the
/// signature whatever the clock (§6.1.3).
fn name_the_body_as_cause(time_step: &mut Step) {
    time_step.explanation.push_str(
        " The body hash fails too (below), and that fails the signature whatever the clock, \
         so the body is named as the cause: the expiry alone would be a MAY (RFC 6376 \
         §6.1.1).",
    );
}

/// §6.1.3: the body, canonicalized and cut at l=, hashed (once per kind for all signatures).
fn hash_body(
    message: &MessageView<'_>,
    core: &SignatureCore,
    bodies: &mut BodyHashCache,
) -> BodyCheck {
    let digest = bodies.get(
        message.body,
        core.body_canon,
        hash_of(core.algorithm),
        core.length,
    );
    let present = message.has_body;
    BodyCheck {
        matches: digest.digest == core.body_hash,
        hashed_len: core
            .length
            .map_or(digest.canonical_len, |l| l.min(digest.canonical_len)),
        // Without a body there is no length to compare l= with.
        l_too_long: present && core.length.is_some_and(|l| l > digest.canonical_len),
        present,
        digest,
    }
}

/// The body hash in the check, and its step.
fn record_body_hash(check: &mut DkimCheck, core: &SignatureCore, body: &BodyCheck) {
    let encode = base64_encode;
    check.body_hash_expected = Some(encode(&core.body_hash));
    if body.present {
        check.body_hash_computed = Some(encode(&body.digest.digest));
        check.body_hash_matches = Some(body.matches);
        check.steps.push(body_hash_step(core, body));
    } else {
        check.steps.push(no_body_step(core));
    }
}

/// The TXT answer at the key name, for display when no key record could be used.
fn answer_text(answers: &HashMap<&str, DnsAnswer>, core: &SignatureCore) -> String {
    answers
        .get(core.key_name().as_str())
        .map(|a| a.txt().join(" | "))
        .unwrap_or_default()
}

/// §6.1.2: the key record, in the check and its steps; the key when it can verify this
/// signature, and the problem that decides the verdict when there is one.
fn get_key<'k>(
    check: &mut DkimCheck,
    core: &SignatureCore,
    lookup: &'k KeyLookup,
    answer_text: &str,
    identity: &Identity,
) -> (Option<&'k KeyRecord>, Option<(AuthResult, String)>) {
    let key_name = core.key_name();
    let query = core.key_query();
    match lookup {
        KeyLookup::Found(k) => {
            check.key = Some(DkimKey {
                key_type: k.key_type.clone(),
                bits: k.bits,
                revoked: false,
                testing: k.testing,
                record: k.record.clone(),
            });
            check
                .steps
                .push(key_found_step(k, &key_name, query.clone()));
            let accepts = key_accepts(k, core.algorithm);
            let usable = accepts.is_ok().then_some(k.as_ref());
            let mut problem = accepts.err().map(|e| (AuthResult::PermError, e));
            if k.strict_identity
                && let Some(d) = &identity.domain
                && d != &core.domain
            {
                problem.get_or_insert((
                    AuthResult::PermError,
                    format!(
                        "the key has t=s, so i= must be at exactly {}, not {d}",
                        core.domain
                    ),
                ));
            }
            if let Some((_, e)) = &problem {
                check.steps.push(
                    Step::new("Key fits the signature", Outcome::Error, format!("{e}."))
                        .query(query),
                );
            }
            (usable, problem)
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
            check.steps.push(key_revoked_step(record, &key_name, query));
            let problem = (
                AuthResult::PermError,
                "the key was revoked (empty p=)".to_string(),
            );
            (None, Some(problem))
        }
        KeyLookup::TempError(e) | KeyLookup::PermError(e) => {
            let temporary = matches!(lookup, KeyLookup::TempError(_));
            check
                .steps
                .push(key_failed_step(e, temporary, answer_text, query));
            let result = if temporary {
                AuthResult::TempError
            } else {
                AuthResult::PermError
            };
            (None, Some((result, e.clone())))
        }
    }
}

/// RFC 8301: rsa-sha1 is not acceptable, nor an RSA key under [`MIN_RSA_BITS`].
fn unacceptable_algorithm_or_key(algorithm: Algorithm, key: Option<&KeyRecord>) -> Option<String> {
    if algorithm == Algorithm::RsaSha1 {
        return Some("rsa-sha1 is not acceptable (RFC 8301)".into());
    }
    key.and_then(short_rsa_bits).map(|bits| {
        format!("the RSA key has {bits} bits, under the {MIN_RSA_BITS} RFC 8301 requires")
    })
}

/// The size of an RSA key under [`MIN_RSA_BITS`].
fn short_rsa_bits(key: &KeyRecord) -> Option<u32> {
    key.bits
        .filter(|&bits| key.key_type == "rsa" && bits < MIN_RSA_BITS)
}

/// Risks a reader should know about, even when the signature passes.
fn risks(
    message: &MessageView<'_>,
    core: &SignatureCore,
    body: &BodyCheck,
    key: Option<&DkimKey>,
    identity: &Identity,
    times: Times,
    expired: bool,
) -> Vec<String> {
    let mut risks = strength_risks(core, body, key);
    risks.extend(over_signing_risks(message, core));
    risks.extend(clock_risks(core, times.now, expired));
    if !identity.under_d
        && let Some(d) = &identity.domain
    {
        risks.push(format!(
            "i= is at {d}, not under d={}: the claimed identity is outside the signing domain",
            core.domain
        ));
    }
    if key.is_some_and(|k| k.testing) {
        risks.push(
            "the key is in testing mode (t=y): receivers must treat the message as unsigned".into(),
        );
    }
    risks
}

/// What the signature leaves unprotected: an l= limit, rsa-sha1, a short RSA key.
fn strength_risks(core: &SignatureCore, body: &BodyCheck, key: Option<&DkimKey>) -> Vec<String> {
    let mut risks: Vec<String> = Vec::new();
    // A body shorter than l= was truncated: that is the failure reason, not an appending risk.
    if let Some(l) = core.length.filter(|_| !body.l_too_long) {
        let total = body.digest.canonical_len;
        let unsigned = total.saturating_sub(l);
        risks.push(if unsigned > 0 {
            format!(
                "l={l}: only the first {l} of {total} canonicalized body bytes are signed; the \
                 last {unsigned} bytes are not, and anyone can change or append content there"
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
    if let Some(k) = key
        && k.key_type == "rsa"
        && let Some(bits) = k.bits
        && bits < MIN_RSA_BITS
    {
        risks.push(format!(
            "{bits}-bit RSA key: keys under {MIN_RSA_BITS} bits can be factored"
        ));
    }
    risks
}

/// From and Subject signed fewer times than they appear, or exactly as often (not over-signed:
/// one short risk for both, since it is common and a reader needs it once, not per header).
fn over_signing_risks(message: &MessageView<'_>, core: &SignatureCore) -> Vec<String> {
    let mut risks: Vec<String> = Vec::new();
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
    risks
}

/// t= in the future of `now`, and x= in its past.
fn clock_risks(core: &SignatureCore, now: i64, expired: bool) -> Vec<String> {
    let mut risks: Vec<String> = Vec::new();
    if let Some(t) = core.timestamp.filter(|&t| i128::from(t) > i128::from(now)) {
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
    risks
}

/// The verdict, in the order RFC 6376 §6.1 checks things. Expiry is "PERMFAIL (signature
/// expired)" there (§6.1.1): permerror, like the other tag-level PERMFAILs. `with_expiry` false
/// leaves the expiry out (to tell a clock difference from a real one).
fn verdict(f: &Findings<'_>, with_expiry: bool) -> (AuthResult, String) {
    let body = &f.body;
    let length = f.core.length.unwrap_or(0);
    if let Some(p) = f.problems.first() {
        return (AuthResult::PermError, p.clone());
    }
    // Expiry is the cause only when the body still matches (see the time step), or when there is
    // no body to say otherwise.
    if with_expiry
        && f.expired
        && (body.matches || !body.present)
        && let Some(x) = f.core.expiration
    {
        return (AuthResult::PermError, expired_reason(x, f.received_at));
    }
    if let Some((r, e)) = &f.key_problem {
        return (*r, e.clone());
    }
    if !body.present {
        return headers_only_verdict(f.header_signature.as_ref());
    }
    if !body.matches && body.l_too_long {
        return (
            AuthResult::Fail,
            format!(
                "body hash did not verify: the body ({} bytes) is shorter than l={length}, \
                 truncated after signing",
                body.digest.canonical_len,
            ),
        );
    }
    if !body.matches {
        return (AuthResult::Fail, "body hash did not verify".into());
    }
    if let Some(Err(e)) = &f.header_signature {
        return (AuthResult::Fail, format!("signature did not verify: {e}"));
    }
    if body.l_too_long {
        return (
            AuthResult::PermError,
            format!(
                "l={length} is longer than the canonicalized body ({} bytes)",
                body.digest.canonical_len
            ),
        );
    }
    if let Some(p) = &f.policy {
        return (AuthResult::Policy, p.clone());
    }
    (AuthResult::Pass, "signature verified".into())
}
