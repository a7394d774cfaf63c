//! Validating the signatures of the chain (RFC 8617 §5.2 steps 4–7): the message signature
//! (AMS) of each instance and the seal (AS) over the sets up to it, then the chain's verdict.

use std::collections::{BTreeMap, HashMap};

use mail_auth::common::crypto::Algorithm;
use mail_auth::dkim::Canonicalization;

use super::chain::Chain;
use super::{ArcHeader, Seal, SignatureOutcome};
use crate::analysis::authenticator::MailAuth;
use crate::analysis::dkim::{
    BodyHashCache, Field, KeyLookup, KeyRecord, Keys, MIN_RSA_BITS, MessageView, SignatureCore,
    algorithm_name, base64_encode, canon_name, format_unix, hash_of, key_accepts, strip_b_value,
    verify_header_signature, verify_signature_header,
};
use crate::analysis::model::AuthResult;
use crate::dns::{DnsAnswer, QueryKey, RecordType};

/// Steps 4 and 6: the AMS of every instance (the newest decides; the others give the detail and
/// oldest-pass) and, when the chain is `well_formed`, every seal (each covers every set below
/// it, so a malformed chain has nothing to seal).
pub(super) fn validate_signatures(
    message: &MessageView<'_>,
    chain: &Chain<'_>,
    answers: &HashMap<&str, DnsAnswer>,
    now: i64,
    well_formed: bool,
    auth: &MailAuth,
) -> (
    BTreeMap<u32, SignatureOutcome>,
    BTreeMap<u32, SignatureOutcome>,
) {
    let keys = auth.keys();
    let ams = {
        let mut bodies = auth.bodies();
        chain
            .sets
            .iter()
            .filter_map(|(&instance, set)| {
                let (header_index, core) = set.ams_core()?;
                let outcome =
                    validate_ams(message, header_index, core, answers, now, keys, &mut bodies);
                Some((instance, outcome))
            })
            .collect()
    };
    let seals = if well_formed {
        chain
            .sets
            .keys()
            .map(|&i| (i, validate_seal(message, chain, i, answers, keys)))
            .collect()
    } else {
        BTreeMap::new()
    };
    (ams, seals)
}

/// Step 5: the oldest instance from which every AMS up to the newest still verifies.
pub(super) fn oldest_pass(ams: &BTreeMap<u32, SignatureOutcome>) -> Option<u32> {
    ams.iter()
        .rev()
        .take_while(|(_, a)| a.result == AuthResult::Pass)
        .map(|(i, _)| *i)
        .last()
}

/// RFC 8301 applied to a usable key.
pub(super) fn strength_problem(algorithm: Algorithm, key: &KeyLookup) -> Option<String> {
    if algorithm == Algorithm::RsaSha1 {
        return Some("rsa-sha1 is not acceptable (RFC 8301)".into());
    }
    if let KeyLookup::Found(k) = key
        && k.key_type == "rsa"
        && let Some(bits) = k.bits
        && bits < MIN_RSA_BITS
    {
        return Some(format!(
            "the RSA key has {bits} bits, under the {MIN_RSA_BITS} RFC 8301 requires"
        ));
    }
    None
}

/// The key for a signature, or why there is none (temperror for DNS failures, fail otherwise).
pub(super) fn usable_key(
    lookup: &KeyLookup,
    algorithm: Algorithm,
) -> Result<&KeyRecord, (AuthResult, String)> {
    match lookup {
        KeyLookup::Found(k) => key_accepts(k, algorithm)
            .map(|()| k.as_ref())
            .map_err(|e| (AuthResult::Fail, e)),
        KeyLookup::Revoked { .. } => {
            Err((AuthResult::Fail, "the key was revoked (empty p=)".into()))
        }
        KeyLookup::TempError(e) => Err((AuthResult::TempError, e.clone())),
        KeyLookup::PermError(e) => Err((AuthResult::Fail, e.clone())),
    }
}

pub(super) fn key_fact(lookup: &KeyLookup) -> String {
    match lookup {
        KeyLookup::Found(k) => format!(
            "{} key{}",
            k.key_type,
            k.bits.map(|b| format!(", {b} bits")).unwrap_or_default()
        ),
        KeyLookup::Revoked { .. } => "revoked (empty p=)".into(),
        KeyLookup::TempError(e) | KeyLookup::PermError(e) => e.clone(),
    }
}

/// Validates the AMS of one instance over the message as it is now (RFC 8617 §5.2 step 4 for
/// the newest; the detail for the others), like a DKIM-Signature.
fn validate_ams(
    message: &MessageView<'_>,
    header_index: usize,
    core: &SignatureCore,
    answers: &HashMap<&str, DnsAnswer>,
    now: i64,
    keys: &Keys,
    bodies: &mut BodyHashCache,
) -> SignatureOutcome {
    let key_name = core.key_name();
    let lookup = KeyLookup::from_answer(&key_name, answers.get(key_name.as_str()), keys);
    let digest = bodies.get(
        message.body,
        core.body_canon,
        hash_of(core.algorithm),
        core.length,
    );
    let selected = message.select_signed(&core.signed_headers);
    let key = usable_key(&lookup, core.algorithm);
    let signature = key
        .as_ref()
        .ok()
        .map(|k| verify_signature_header(message, header_index, &selected, core, &k.key));
    let found = AmsFindings {
        core,
        expired: core.expired_at(now),
        key_problem: key.as_ref().err(),
        strength: strength_problem(core.algorithm, &lookup),
        has_body: message.has_body,
        body_matches: digest.digest == core.body_hash,
        canonical_len: digest.canonical_len,
        signature: signature.as_ref(),
    };
    let (result, reason) = ams_verdict(&found, true);
    let (result_ignoring_expiry, _) = ams_verdict(&found, false);
    let mut headers = vec![header_index];
    headers.extend(selected.iter().filter_map(|(_, f)| f.map(|f| f.index)));
    SignatureOutcome {
        result,
        result_ignoring_expiry,
        reason,
        expired: found.expired,
        body_hash_matches: message.has_body.then_some(found.body_matches),
        facts: ams_facts(&found, &lookup, &digest.digest),
        queries: vec![core.key_query()],
        headers,
    }
}

/// What one AMS's verdict is decided from.
struct AmsFindings<'f> {
    core: &'f SignatureCore,
    expired: bool,
    key_problem: Option<&'f (AuthResult, String)>,
    strength: Option<String>,
    has_body: bool,
    body_matches: bool,
    canonical_len: u64,
    signature: Option<&'f Result<(), String>>,
}

/// An AMS's verdict: expiry (unless `with_expiry` is false), the key, RFC 8301, the body hash,
/// l=, then the header signature.
fn ams_verdict(f: &AmsFindings<'_>, with_expiry: bool) -> (AuthResult, Option<String>) {
    if with_expiry
        && f.expired
        && let Some(x) = f.core.expiration
    {
        return (
            AuthResult::Fail,
            Some(format!("expired (x={x}, {})", format_unix(i128::from(x)))),
        );
    }
    if let Some((r, e)) = f.key_problem {
        return (*r, Some(e.clone()));
    }
    if let Some(s) = &f.strength {
        return (AuthResult::Fail, Some(s.clone()));
    }
    if !f.has_body {
        // Headers only: nothing to hash, and no finding about the body either way.
        return match f.signature {
            Some(Err(e)) => (AuthResult::Fail, Some(e.clone())),
            _ => (AuthResult::Neutral, Some(NO_BODY.into())),
        };
    }
    if !f.body_matches {
        return (
            AuthResult::Fail,
            Some("body hash did not verify: the body changed".into()),
        );
    }
    if f.core.length.is_some_and(|l| l > f.canonical_len) {
        return (
            AuthResult::Fail,
            Some("l= is longer than the canonicalized body".into()),
        );
    }
    if let Some(Err(e)) = f.signature {
        return (AuthResult::Fail, Some(e.clone()));
    }
    (AuthResult::Pass, None)
}

/// The facts of an AMS step: signer, algorithm, key, body hashes, signed fields, signature.
fn ams_facts(f: &AmsFindings<'_>, lookup: &KeyLookup, computed: &[u8]) -> Vec<(String, String)> {
    let core = f.core;
    vec![
        (
            "signer".into(),
            format!("d={} s={}", core.domain, core.selector),
        ),
        (
            "algorithm".into(),
            algorithm_name(core.algorithm).to_string(),
        ),
        (
            "canonicalization".into(),
            format!(
                "{}/{}",
                canon_name(core.header_canon),
                canon_name(core.body_canon)
            ),
        ),
        ("key".into(), key_fact(lookup)),
        ("bh= (signed)".into(), base64_encode(&core.body_hash)),
        (
            "bh computed".into(),
            if f.has_body {
                base64_encode(computed)
            } else {
                "none: no body".into()
            },
        ),
        (
            "signed fields".into(),
            if core.signed_headers.is_empty() {
                "(none)".into()
            } else {
                core.signed_headers.join(":")
            },
        ),
        (
            "header signature".into(),
            match f.signature {
                Some(Ok(())) => "verifies".into(),
                Some(Err(e)) => e.clone(),
                None => "not checked (no usable key)".into(),
            },
        ),
    ]
}

pub(super) fn field_pair<'m>(
    message: &'m MessageView<'_>,
    header: Option<&&ArcHeader>,
) -> Option<(&'m [u8], &'m [u8])> {
    let f = message.field(header?.header_index)?;
    Some((f.name, f.value.as_ref()))
}

/// The seal of `instance` signs, in relaxed canonicalization, the AAR, AMS and AS of every
/// instance up to it (its own with b= emptied), oldest first (RFC 8617 §5.1.1).
fn validate_seal(
    message: &MessageView<'_>,
    chain: &Chain<'_>,
    instance: u32,
    answers: &HashMap<&str, DnsAnswer>,
    keys: &Keys,
) -> SignatureOutcome {
    let mut outcome = SignatureOutcome {
        result: AuthResult::Fail,
        result_ignoring_expiry: AuthResult::Fail,
        reason: None,
        expired: false,
        body_hash_matches: None,
        facts: Vec::new(),
        queries: Vec::new(),
        headers: Vec::new(),
    };
    let Some(seal) = chain.sets.get(&instance).and_then(|s| s.seal()) else {
        outcome.reason = Some("no usable ARC-Seal".into());
        return outcome;
    };
    let key_name = format!("{}._domainkey.{}", seal.selector, seal.domain);
    let lookup = KeyLookup::from_answer(&key_name, answers.get(key_name.as_str()), keys);
    outcome
        .queries
        .push(QueryKey::new(&key_name, RecordType::TXT));
    outcome.facts = vec![
        (
            "signer".into(),
            format!("d={} s={}", seal.domain, seal.selector),
        ),
        (
            "algorithm".into(),
            algorithm_name(seal.algorithm).to_string(),
        ),
        ("cv".into(), seal.cv.word().to_string()),
        ("key".into(), key_fact(&lookup)),
    ];
    let (signed, own) = match sealed_fields(message, chain, instance, &mut outcome.headers) {
        Ok(fields) => fields,
        Err(e) => {
            outcome.reason = Some(e);
            return outcome;
        }
    };
    let (result, reason) = seal_result(&lookup, seal, &signed, own);
    outcome.result = result;
    outcome.result_ignoring_expiry = result;
    outcome.reason = reason;
    outcome.facts.push((
        "seal".into(),
        outcome
            .reason
            .clone()
            .unwrap_or_else(|| "verifies".to_string()),
    ));
    outcome
}

/// A header field as (name, value) bytes.
type FieldBytes<'m> = (&'m [u8], &'m [u8]);

/// The fields the seal of `instance` signs, oldest first, and the seal's own field; their
/// header indexes are added to `headers` as they are found.
fn sealed_fields<'m>(
    message: &'m MessageView<'_>,
    chain: &Chain<'_>,
    instance: u32,
    headers: &mut Vec<usize>,
) -> Result<(Vec<FieldBytes<'m>>, &'m Field<'m>), String> {
    let mut signed: Vec<(&[u8], &[u8])> = Vec::new();
    for i in 1..instance {
        let s = chain
            .sets
            .get(&i)
            .ok_or_else(|| format!("instance {i} is missing"))?;
        for h in [s.aars.first(), s.ams.first(), s.seals.first()] {
            let pair =
                field_pair(message, h).ok_or_else(|| format!("instance {i} is incomplete"))?;
            signed.push(pair);
            headers.extend(h.map(|h| h.header_index));
        }
    }
    let incomplete = || format!("instance {instance} is incomplete");
    let set = chain.sets.get(&instance).ok_or_else(incomplete)?;
    let own = set
        .seals
        .first()
        .and_then(|h| message.field(h.header_index));
    let (Some(aar), Some(ams), Some(own)) = (
        field_pair(message, set.aars.first()),
        field_pair(message, set.ams.first()),
        own,
    ) else {
        return Err(incomplete());
    };
    signed.push(aar);
    signed.push(ams);
    headers.extend(set.header_indexes());
    headers.sort_unstable();
    headers.dedup();
    Ok((signed, own))
}

/// The seal's verdict: a usable key (RFC 8301 applied) and the signature over the sealed fields.
fn seal_result(
    lookup: &KeyLookup,
    seal: &Seal,
    signed: &[(&[u8], &[u8])],
    own: &Field<'_>,
) -> (AuthResult, Option<String>) {
    let key = match usable_key(lookup, seal.algorithm) {
        Err((r, e)) => return (r, Some(e)),
        Ok(key) => key,
    };
    let stripped = strip_b_value(&own.value);
    let verified = verify_header_signature(
        &key.key,
        Canonicalization::Relaxed,
        signed,
        (own.name, &stripped),
        &seal.signature,
        seal.algorithm,
    );
    match (strength_problem(seal.algorithm, lookup), verified) {
        (Some(s), _) => (AuthResult::Fail, Some(s)),
        (None, Ok(())) => (AuthResult::Pass, None),
        (None, Err(e)) => (AuthResult::Fail, Some(e)),
    }
}

/// "AS i=2: the key lookup for sel._domainkey.example.org failed temporarily (timed out)".
pub(super) fn temp_reason(what: &str, o: &SignatureOutcome) -> String {
    let why = o.reason.as_deref().unwrap_or("temporary DNS error");
    match o.queries.first() {
        Some(q) => format!(
            "{what}: the key lookup for {} failed temporarily ({why})",
            q.name
        ),
        None => format!("{what}: {why}"),
    }
}

/// The seals' verdict. The seal of instance N covers every set 1..N (RFC 8617 §5.1.1), so a
/// changed set k breaks the seals k..newest alike: the newest failing seal says nothing about
/// where the change is. The oldest failing seal does — every set below it still verifies under
/// the seal just below — so that is the instance reported broken.
pub(super) fn seal_verdict(
    seals: &BTreeMap<u32, SignatureOutcome>,
) -> (AuthResult, Option<u32>, String) {
    let failing: Vec<(u32, &SignatureOutcome)> = seals
        .iter()
        .filter(|(_, s)| s.result != AuthResult::Pass)
        .map(|(i, s)| (*i, s))
        .collect();
    let definite: Vec<&(u32, &SignatureOutcome)> = failing
        .iter()
        .filter(|(_, s)| s.result != AuthResult::TempError)
        .collect();
    let Some(&&(oldest, oldest_seal)) = definite.first() else {
        return match failing.first() {
            Some((i, s)) => (
                AuthResult::TempError,
                None,
                temp_reason(&format!("seal i={i}"), s),
            ),
            None => (
                AuthResult::Pass,
                None,
                "every seal and the newest AMS verify".into(),
            ),
        };
    };
    let own = format!(
        "seal i={oldest}: {}",
        oldest_seal.reason.as_deref().unwrap_or("did not verify")
    );
    let list = |v: &[&(u32, &SignatureOutcome)]| {
        v.iter()
            .rev()
            .map(|(i, _)| format!("i={i}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let where_ = if oldest == 1 || seals.get(&(oldest - 1)).is_none() {
        format!("at or below instance {oldest}, the oldest failing seal")
    } else {
        format!(
            "at instance {oldest}: its seal fails while seal i={} below it verifies",
            oldest - 1
        )
    };
    let reason = if definite.len() > 1 {
        format!(
            "seals {} fail: the chain is broken {where_} ({own})",
            list(&definite)
        )
    } else {
        format!("the chain is broken {where_} ({own})")
    };
    (chain_word(oldest_seal.result), Some(oldest), reason)
}

/// Chain results are pass, fail or none; a DNS failure stays temperror (undecided).
/// The AMS reason on a headers-only input.
pub(super) const NO_BODY: &str =
    "body hash cannot be checked: no body (headers only); the header signature verified";

pub(super) fn chain_word(result: AuthResult) -> AuthResult {
    match result {
        AuthResult::Pass | AuthResult::TempError | AuthResult::None => result,
        _ => AuthResult::Fail,
    }
}

/// What the chain verdict is decided from.
pub(super) struct Validation<'v> {
    /// Why the chain is not well-formed, with the instance at fault.
    pub(super) structure: Option<&'v (Option<u32>, String)>,
    pub(super) newest: u32,
    pub(super) ams: &'v BTreeMap<u32, SignatureOutcome>,
    pub(super) seals: &'v BTreeMap<u32, SignatureOutcome>,
    pub(super) has_body: bool,
}

/// The chain verdict, in RFC 8617 §5.2 order: structure (steps 1–3), the newest AMS (step 4),
/// then the seals (steps 6–7). With
/// `ignore_expiry`, an expired newest AMS counts as its verdict without the expiry.
pub(super) fn chain_verdict(
    v: &Validation<'_>,
    ignore_expiry: bool,
) -> (AuthResult, Option<u32>, String) {
    let newest = v.newest;
    if let Some((i, why)) = v.structure {
        return (AuthResult::Fail, *i, why.clone());
    }
    let Some(ams) = v.ams.get(&newest) else {
        return (
            AuthResult::Fail,
            Some(newest),
            format!("no usable AMS for instance {newest}"),
        );
    };
    let result = if ignore_expiry {
        ams.result_ignoring_expiry
    } else {
        ams.result
    };
    if result == AuthResult::TempError {
        // Undecided, not broken: name the lookup that failed.
        return (
            AuthResult::TempError,
            None,
            temp_reason(&format!("AMS i={newest}"), ams),
        );
    }
    if result == AuthResult::Neutral && !v.has_body {
        // Headers only: the seals still decide a fail; a pass cannot be claimed.
        let (seals, broken, why) = seal_verdict(v.seals);
        if seals != AuthResult::Pass {
            return (seals, broken, why);
        }
        return (
            AuthResult::Neutral,
            None,
            format!(
                "headers only: the seals verify and AMS i={newest}'s header signature \
                 verifies, but its body hash cannot be checked without the body"
            ),
        );
    }
    if result != AuthResult::Pass {
        return (
            chain_word(result),
            Some(newest),
            format!(
                "AMS i={newest}: {}",
                ams.reason.as_deref().unwrap_or("did not verify")
            ),
        );
    }
    seal_verdict(v.seals)
}
