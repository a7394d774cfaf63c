//! ARC chain validation (RFC 8617, with the algorithm and key-size rules of RFC 8301): each set
//! (ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal of one instance) with its own
//! results, the chain verdict, and the instance where it broke.
//!
//! As with DKIM, the verdict is our own: mail-auth's `verify_arc` reports one result for the
//! whole chain (no per-set detail), reads `x=` against the system clock, and accepts rsa-sha1 and
//! short keys. We validate every set with the DKIM pieces in `dkim.rs` and decide as of `now`;
//! mail-auth's verdict on the same DNS answers is recorded beside ours and any difference shown.

use std::collections::{BTreeMap, HashMap};

use mail_auth::common::crypto::Algorithm;
use mail_auth::dkim::Canonicalization;
use mail_auth::{AuthenticatedMessage, DkimResult, MessageAuthenticator};

use super::dkim::{
    BodyHashCache, KeyLookup, MIN_RSA_BITS, MessageView, RawTag, SignatureCore, algorithm_name,
    base64_encode, canon_name, display_value, fetch_keys, format_unix, hash_of, key_accepts,
    lenient_tags, parse_algorithm, parse_base64_tag, parse_domain, parse_number, parse_tag_list,
    shorten, strip_b_value, tag, to_crlf, verify_header_signature, verify_signature_header,
};
use super::model::{ArcCheck, ArcSet, AuthResult, Header};
use super::step::{Outcome, Step};
use crate::dns::{Dns, DnsAnswer, QueryKey, RecordType};

/// RFC 8617 §4.2.1: at most 50 sets.
const MAX_INSTANCES: u32 = 50;

/// Validates the ARC chain of the message as of `now`.
pub async fn check_arc(
    raw: &[u8],
    headers: &[Header],
    dns: &Dns,
    auth: &MessageAuthenticator,
    now: i64,
) -> ArcCheck {
    let arc_headers: Vec<ArcHeader> = headers.iter().filter_map(ArcHeader::parse).collect();
    let crlf = to_crlf(raw);
    if arc_headers.is_empty() {
        let mut check = ArcCheck {
            result: AuthResult::None,
            reason: Some("no ARC headers".into()),
            ..Default::default()
        };
        check.steps.push(Step::new(
            "ARC headers",
            Outcome::Skipped,
            "The message has no ARC-Seal, ARC-Message-Signature or ARC-Authentication-Results: \
             no intermediary recorded and sealed what it saw when forwarding it (arc=none).",
        ));
        let theirs = run_mail_auth_arc(&crlf, auth).await;
        compare_with_mail_auth(&mut check, theirs, false, AuthResult::None);
        return check;
    }

    let message = MessageView::new(raw, headers);
    let chain = Chain::group(&arc_headers);

    // Every key the chain needs, fetched together while mail-auth validates on its own.
    let mut key_names: Vec<String> = Vec::new();
    for h in &arc_headers {
        if let Some(name) = h.key_name()
            && !key_names.contains(&name)
        {
            key_names.push(name);
        }
    }
    let (answers, theirs) =
        tokio::join!(fetch_keys(dns, &key_names), run_mail_auth_arc(&crlf, auth));

    let mut check = ArcCheck::default();
    check.steps.push(Step::new(
        "What ARC records",
        Outcome::Info,
        "Each intermediary that forwards a message (a mailing list, a forwarding service) can add \
         an ARC set: the authentication results it saw (ARC-Authentication-Results), its \
         signature over the message as it sent it on (ARC-Message-Signature) and a seal over all \
         sets so far (ARC-Seal). A receiver that trusts those intermediaries can rely on their \
         recorded results when forwarding broke SPF or DKIM.",
    ));

    let structure = chain.structure_problem();
    let mut bodies = BodyHashCache::default();
    let newest = chain.newest();

    // Per-set validation. The AMS of every instance is checked (for the detail), the seals only
    // when the chain is well-formed (each seal covers every set below it).
    let mut ams_outcomes: BTreeMap<u32, SignatureOutcome> = BTreeMap::new();
    let mut seal_outcomes: BTreeMap<u32, SignatureOutcome> = BTreeMap::new();
    for (&instance, set) in &chain.sets {
        if let [ams] = set.ams.as_slice()
            && let Ok(Parsed::Ams(core)) = &ams.parsed
        {
            ams_outcomes.insert(
                instance,
                validate_ams(&message, ams.header_index, core, &answers, now, &mut bodies),
            );
        }
    }
    if structure.is_none() {
        for &instance in chain.sets.keys() {
            seal_outcomes.insert(
                instance,
                validate_seal(&message, &chain, instance, &answers),
            );
        }
    }

    // The sets, for the model and in words.
    for (&instance, set) in &chain.sets {
        let ams = ams_outcomes.get(&instance);
        let seal = seal_outcomes.get(&instance);
        let arc_set = set.describe(instance, ams, seal);
        check
            .steps
            .push(set_step(&arc_set, set, instance == newest));
        check.sets.push(arc_set);
    }

    // Structure.
    check.steps.push(match &structure {
        None => Step::new(
            "Chain structure",
            Outcome::Pass,
            format!(
                "{newest} complete set(s), instances 1 to {newest} without gaps or duplicates; \
                 the first seal says cv=none and every later one cv=pass, as RFC 8617 requires."
            ),
        ),
        Some((i, why)) => Step::new(
            "Chain structure",
            Outcome::Fail,
            format!(
                "{why}. A chain that is not well-formed fails as a whole (RFC 8617 §5.2): \
                 nothing it records can be relied on."
            ),
        )
        .fact("instance", i.map_or("?".to_string(), |i| i.to_string())),
    });

    // The newest AMS decides whether the message is as the last forwarder sent it.
    if let Some(ams) = ams_outcomes.get(&newest) {
        check.steps.push(signature_step(
            &format!("Newest message signature (AMS i={newest})"),
            ams,
            format!(
                "The last forwarder's ARC-Message-Signature must verify over the message as \
                 received: it proves nothing changed since instance {newest} sent it on."
            ),
        ));
    }
    for (&instance, ams) in ams_outcomes.iter().rev().filter(|(i, _)| **i != newest) {
        let mut step = signature_step(
            &format!("Earlier message signature (AMS i={instance})"),
            ams,
            format!(
                "Not required for the chain verdict: it tells whether the message is still as \
                 instance {instance} sent it."
            ),
        );
        if ams.result != AuthResult::Pass {
            step.outcome = Outcome::Info;
            step.explanation.push_str(&format!(
                " The message changed after instance {instance} signed it — a list adding a \
                 footer or a subject tag does this; the later seals still vouch for what \
                 earlier instances recorded."
            ));
        }
        check.steps.push(step);
    }
    for (&instance, seal) in seal_outcomes.iter().rev() {
        check.steps.push(signature_step(
            &format!("Seal (AS i={instance})"),
            seal,
            format!(
                "The ARC-Seal of instance {instance} signs the sets 1 to {instance}: it proves \
                 they are as instance {instance} saw them."
            ),
        ));
    }

    // The verdict, in RFC 8617 §5.2 order: structure, newest AMS, then the seals newest first.
    let decide = |ignore_expiry: bool| -> (AuthResult, Option<u32>, String) {
        if let Some((i, why)) = &structure {
            return (AuthResult::Fail, *i, why.clone());
        }
        match ams_outcomes.get(&newest) {
            None => {
                return (
                    AuthResult::Fail,
                    Some(newest),
                    format!("no usable AMS for instance {newest}"),
                );
            }
            Some(ams) => {
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
                if result == AuthResult::Neutral && !message.has_body {
                    // Headers only: the seals still decide a fail; a pass cannot be claimed.
                    let (seals, broken, why) = seal_verdict(&seal_outcomes);
                    if seals != AuthResult::Pass {
                        return (seals, broken, why);
                    }
                    return (
                        AuthResult::Neutral,
                        None,
                        format!(
                            "headers only: the seals verify and AMS i={newest}'s header \
                             signature verifies, but its body hash cannot be checked without \
                             the body"
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
            }
        }
        seal_verdict(&seal_outcomes)
    };
    let (result, broken, reason) = decide(false);
    let (result_ignoring_expiry, _, _) = decide(true);
    check.result = result;
    check.broken_instance = broken;
    check.reason = Some(reason.clone());
    if result == AuthResult::Pass {
        check.oldest_pass = ams_outcomes
            .iter()
            .rev()
            .take_while(|(_, a)| a.result == AuthResult::Pass)
            .map(|(i, _)| *i)
            .last();
    }
    check
        .steps
        .push(verdict_step(&check, &chain, &reason, &ams_outcomes));

    let newest_expired = ams_outcomes.get(&newest).is_some_and(|a| a.expired);
    compare_with_mail_auth(&mut check, theirs, newest_expired, result_ignoring_expiry);
    check
}

/// "AS i=2: the key lookup for sel._domainkey.example.org failed temporarily (timed out)".
fn temp_reason(what: &str, o: &SignatureOutcome) -> String {
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
fn seal_verdict(seals: &BTreeMap<u32, SignatureOutcome>) -> (AuthResult, Option<u32>, String) {
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
const NO_BODY: &str =
    "body hash cannot be checked: no body (headers only); the header signature verified";

fn chain_word(result: AuthResult) -> AuthResult {
    match result {
        AuthResult::Pass | AuthResult::TempError | AuthResult::None => result,
        _ => AuthResult::Fail,
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the ARC headers
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Seal,
    Ams,
    Aar,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Seal => "ARC-Seal",
            Kind::Ams => "ARC-Message-Signature",
            Kind::Aar => "ARC-Authentication-Results",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainValidation {
    None,
    Fail,
    Pass,
}

impl ChainValidation {
    fn word(self) -> &'static str {
        match self {
            ChainValidation::None => "none",
            ChainValidation::Fail => "fail",
            ChainValidation::Pass => "pass",
        }
    }
}

struct Seal {
    algorithm: Algorithm,
    signature: Vec<u8>,
    cv: ChainValidation,
    domain: String,
    selector: String,
}

struct Aar {
    /// What follows `i=N;`: the authserv-id and the results.
    text: String,
    authserv_id: Option<String>,
}

enum Parsed {
    Seal(Seal),
    Ams(Box<SignatureCore>),
    Aar(Aar),
}

struct ArcHeader {
    kind: Kind,
    header_index: usize,
    /// The instance, when i= could be read at all (also for headers that are otherwise bad).
    instance: Option<u32>,
    tags: Vec<RawTag>,
    parsed: Result<Parsed, String>,
}

fn parse_instance(value: Option<&str>) -> Result<u32, String> {
    let value = value.ok_or("i= is missing")?;
    let n = parse_number("i", value)?;
    if (1..=u64::from(MAX_INSTANCES)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(format!("i={n} is outside 1..{MAX_INSTANCES}"))
    }
}

impl ArcHeader {
    fn parse(header: &Header) -> Option<ArcHeader> {
        let name = header.name.trim();
        let kind = [Kind::Seal, Kind::Ams, Kind::Aar]
            .into_iter()
            .find(|k| name.eq_ignore_ascii_case(k.name()))?;
        let value = header.value.as_str();
        let (instance, tags, parsed) = match kind {
            Kind::Aar => {
                let parsed = parse_aar(value);
                let instance = parsed.as_ref().ok().map(|(i, _)| *i).or_else(|| {
                    tag(&lenient_tags(value), "i").and_then(|v| parse_instance(Some(v)).ok())
                });
                (
                    instance,
                    Vec::new(),
                    parsed.map(|(_, aar)| Parsed::Aar(aar)),
                )
            }
            Kind::Seal | Kind::Ams => match parse_tag_list(value) {
                Err(e) => {
                    let tags = lenient_tags(value);
                    let instance = parse_instance(tag(&tags, "i")).ok();
                    (instance, tags, Err(format!("malformed tag list: {e}")))
                }
                Ok(tags) => {
                    let instance = parse_instance(tag(&tags, "i"));
                    let parsed = instance.clone().and_then(|_| match kind {
                        Kind::Seal => parse_seal(&tags).map(Parsed::Seal),
                        _ => parse_ams(&tags).map(|c| Parsed::Ams(Box::new(c))),
                    });
                    (instance.ok(), tags, parsed)
                }
            },
        };
        Some(ArcHeader {
            kind,
            header_index: header.index,
            instance,
            tags,
            parsed,
        })
    }

    fn key_name(&self) -> Option<String> {
        match &self.parsed {
            Ok(Parsed::Seal(s)) => Some(format!("{}._domainkey.{}", s.selector, s.domain)),
            Ok(Parsed::Ams(c)) => Some(c.key_name()),
            _ => None,
        }
    }
}

fn parse_seal(tags: &[RawTag]) -> Result<Seal, String> {
    if tag(tags, "h").is_some() {
        return Err("h= is not allowed in an ARC-Seal".into());
    }
    let required = |name: &str| tag(tags, name).ok_or_else(|| format!("{name}= is missing"));
    let algorithm = parse_algorithm(required("a")?)?;
    let signature = parse_base64_tag("b", required("b")?)?;
    let cv = match required("cv")?.to_ascii_lowercase().as_str() {
        "none" => ChainValidation::None,
        "fail" => ChainValidation::Fail,
        "pass" => ChainValidation::Pass,
        other => {
            return Err(format!(
                "cv={} is not none, fail or pass",
                shorten(other, 20)
            ));
        }
    };
    let domain = parse_domain("d", required("d")?)?;
    let selector = parse_domain("s", required("s")?)?;
    if let Some(t) = tag(tags, "t") {
        parse_number("t", t)?;
    }
    Ok(Seal {
        algorithm,
        signature,
        cv,
        domain,
        selector,
    })
}

fn parse_ams(tags: &[RawTag]) -> Result<SignatureCore, String> {
    let core = SignatureCore::from_tags(tags)?;
    if core
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("arc-seal"))
    {
        return Err("h= includes ARC-Seal, which an AMS must not sign (RFC 8617 §4.1.2)".into());
    }
    Ok(core)
}

/// `i=<n>; authserv-id; results` — the instance tag must come first.
fn parse_aar(value: &str) -> Result<(u32, Aar), String> {
    let text = value.trim_start();
    let rest = text
        .strip_prefix('i')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .ok_or("it does not start with i=<instance>;")?
        .trim_start();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let instance = parse_instance(Some(&rest[..digits_end]))?;
    let rest = rest[digits_end..]
        .trim_start()
        .strip_prefix(';')
        .ok_or_else(|| format!("i={instance} is not followed by `;`"))?
        .trim();
    let authserv_id = rest
        .split(|c: char| c == ';' || c.is_whitespace())
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok((
        instance,
        Aar {
            text: rest.to_string(),
            authserv_id,
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// Sets and the chain
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct SetHeaders<'h> {
    seals: Vec<&'h ArcHeader>,
    ams: Vec<&'h ArcHeader>,
    aars: Vec<&'h ArcHeader>,
}

impl SetHeaders<'_> {
    fn seal(&self) -> Option<&Seal> {
        match self.seals.as_slice() {
            [h] => match &h.parsed {
                Ok(Parsed::Seal(s)) => Some(s),
                _ => None,
            },
            _ => None,
        }
    }

    fn header_indexes(&self) -> Vec<usize> {
        let mut all: Vec<usize> = self
            .aars
            .iter()
            .chain(&self.ams)
            .chain(&self.seals)
            .map(|h| h.header_index)
            .collect();
        all.sort_unstable();
        all
    }

    fn describe(
        &self,
        instance: u32,
        ams: Option<&SignatureOutcome>,
        seal: Option<&SignatureOutcome>,
    ) -> ArcSet {
        let ams_header = self.ams.first();
        let seal_header = self.seals.first();
        let aar = self.aars.first().and_then(|h| match &h.parsed {
            Ok(Parsed::Aar(a)) => Some(a),
            _ => None,
        });
        let lenient = |h: Option<&&ArcHeader>, name: &str| {
            h.and_then(|h| tag(&h.tags, name))
                .map(|v| display_value(name, v))
        };
        let malformed = |h: Option<&&ArcHeader>| match h {
            None => Some("missing".to_string()),
            Some(h) => h.parsed.as_ref().err().map(|e| format!("malformed: {e}")),
        };
        ArcSet {
            instance,
            cv: self
                .seal()
                .map(|s| s.cv.word().to_string())
                .or_else(|| lenient(seal_header, "cv")),
            seal_domain: lenient(seal_header, "d"),
            seal_selector: lenient(seal_header, "s"),
            ams_domain: lenient(ams_header, "d"),
            ams_selector: lenient(ams_header, "s"),
            ams_result: ams.map_or(
                if malformed(ams_header).is_some() {
                    AuthResult::PermError
                } else {
                    AuthResult::None
                },
                |a| a.result,
            ),
            seal_result: seal.map_or(
                if malformed(seal_header).is_some() {
                    AuthResult::PermError
                } else {
                    AuthResult::None
                },
                |s| s.result,
            ),
            aar: aar.map(|a| a.text.clone()).or_else(|| {
                self.aars.first().and_then(|h| {
                    h.parsed
                        .as_ref()
                        .err()
                        .map(|e| format!("(unreadable: {e})"))
                })
            }),
            headers: self.header_indexes(),
            authserv_id: aar.and_then(|a| a.authserv_id.clone()),
            ams_reason: ams
                .and_then(|a| a.reason.clone())
                .or_else(|| malformed(ams_header)),
            seal_reason: seal
                .and_then(|s| s.reason.clone())
                .or_else(|| malformed(seal_header)),
            ams_body_hash_matches: ams.and_then(|a| a.body_hash_matches),
        }
    }
}

struct Chain<'h> {
    /// Headers without a readable instance.
    orphans: Vec<&'h ArcHeader>,
    sets: BTreeMap<u32, SetHeaders<'h>>,
}

impl<'h> Chain<'h> {
    fn group(headers: &'h [ArcHeader]) -> Chain<'h> {
        let mut chain = Chain {
            orphans: Vec::new(),
            sets: BTreeMap::new(),
        };
        for h in headers {
            let Some(i) = h.instance else {
                chain.orphans.push(h);
                continue;
            };
            let set = chain.sets.entry(i).or_default();
            match h.kind {
                Kind::Seal => set.seals.push(h),
                Kind::Ams => set.ams.push(h),
                Kind::Aar => set.aars.push(h),
            }
        }
        chain
    }

    fn newest(&self) -> u32 {
        self.sets.keys().next_back().copied().unwrap_or(0)
    }

    /// The first reason the chain is not well-formed (RFC 8617 §5.2 steps 1–3), with the instance
    /// at fault when there is one.
    fn structure_problem(&self) -> Option<(Option<u32>, String)> {
        if let Some(h) = self.orphans.first() {
            let why = h
                .parsed
                .as_ref()
                .err()
                .cloned()
                .unwrap_or_else(|| "no readable i=".into());
            return Some((
                None,
                format!(
                    "{} (header #{}) has no usable instance: {why}",
                    h.kind.name(),
                    h.header_index
                ),
            ));
        }
        let newest = self.newest();
        for i in 1..=newest {
            let Some(set) = self.sets.get(&i) else {
                return Some((
                    Some(i),
                    format!("instance {i} is missing: the chain has a gap"),
                ));
            };
            for (kind, list) in [
                (Kind::Aar, &set.aars),
                (Kind::Ams, &set.ams),
                (Kind::Seal, &set.seals),
            ] {
                match list.as_slice() {
                    [] => {
                        return Some((Some(i), format!("instance {i} has no {}", kind.name())));
                    }
                    [h] => {
                        if let Err(e) = &h.parsed {
                            return Some((
                                Some(i),
                                format!(
                                    "the {} of instance {i} (header #{}) is malformed: {e}",
                                    kind.name(),
                                    h.header_index
                                ),
                            ));
                        }
                    }
                    _ => {
                        return Some((
                            Some(i),
                            format!("instance {i} has {} {} headers", list.len(), kind.name()),
                        ));
                    }
                }
            }
        }
        if let Some(seal) = self.sets.get(&newest).and_then(|s| s.seal())
            && seal.cv == ChainValidation::Fail
        {
            return Some((
                Some(newest),
                format!(
                    "the newest seal (i={newest}) says cv=fail: that forwarder already found \
                     the chain broken"
                ),
            ));
        }
        for (&i, set) in &self.sets {
            if let Some(seal) = set.seal() {
                let expected = if i == 1 {
                    ChainValidation::None
                } else {
                    ChainValidation::Pass
                };
                if seal.cv != expected {
                    return Some((
                        Some(i),
                        format!(
                            "the seal of instance {i} says cv={}, where {} is required",
                            seal.cv.word(),
                            expected.word()
                        ),
                    ));
                }
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Validating signatures
// ---------------------------------------------------------------------------------------------

struct SignatureOutcome {
    result: AuthResult,
    result_ignoring_expiry: AuthResult,
    reason: Option<String>,
    expired: bool,
    body_hash_matches: Option<bool>,
    facts: Vec<(String, String)>,
    queries: Vec<QueryKey>,
    headers: Vec<usize>,
}

/// RFC 8301 applied to a usable key.
fn strength_problem(algorithm: Algorithm, key: &KeyLookup) -> Option<String> {
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
fn usable_key(
    lookup: &KeyLookup,
    algorithm: Algorithm,
) -> Result<&super::dkim::KeyRecord, (AuthResult, String)> {
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

fn key_fact(lookup: &KeyLookup) -> String {
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

fn validate_ams(
    message: &MessageView<'_>,
    header_index: usize,
    core: &SignatureCore,
    answers: &HashMap<&str, DnsAnswer>,
    now: i64,
    bodies: &mut BodyHashCache,
) -> SignatureOutcome {
    let key_name = core.key_name();
    let lookup = KeyLookup::from_answer(&key_name, answers.get(key_name.as_str()));
    let digest = bodies.get(
        message.body,
        core.body_canon,
        hash_of(core.algorithm),
        core.length,
    );
    let body_matches = digest.digest == core.body_hash;
    let selected = message.select_signed(&core.signed_headers);
    let key = usable_key(&lookup, core.algorithm);
    let signature = key
        .as_ref()
        .ok()
        .map(|k| verify_signature_header(message, header_index, &selected, core, &k.key));
    let expired = core.expired_at(now);
    let strength = strength_problem(core.algorithm, &lookup);
    let decide = |with_expiry: bool| -> (AuthResult, Option<String>) {
        if with_expiry
            && expired
            && let Some(x) = core.expiration
        {
            return (
                AuthResult::Fail,
                Some(format!("expired (x={x}, {})", format_unix(i128::from(x)))),
            );
        }
        if let Err((r, e)) = &key {
            return (*r, Some(e.clone()));
        }
        if let Some(s) = &strength {
            return (AuthResult::Fail, Some(s.clone()));
        }
        if !message.has_body {
            // Headers only: nothing to hash, and no finding about the body either way.
            return match &signature {
                Some(Err(e)) => (AuthResult::Fail, Some(e.clone())),
                _ => (AuthResult::Neutral, Some(NO_BODY.into())),
            };
        }
        if !body_matches {
            return (
                AuthResult::Fail,
                Some("body hash did not verify: the body changed".into()),
            );
        }
        if core.length.is_some_and(|l| l > digest.canonical_len) {
            return (
                AuthResult::Fail,
                Some("l= is longer than the canonicalized body".into()),
            );
        }
        if let Some(Err(e)) = &signature {
            return (AuthResult::Fail, Some(e.clone()));
        }
        (AuthResult::Pass, None)
    };
    let (result, reason) = decide(true);
    let (result_ignoring_expiry, _) = decide(false);
    let mut headers = vec![header_index];
    headers.extend(selected.iter().filter_map(|(_, f)| f.map(|f| f.index)));
    SignatureOutcome {
        result,
        result_ignoring_expiry,
        reason,
        expired,
        body_hash_matches: message.has_body.then_some(body_matches),
        facts: vec![
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
            ("key".into(), key_fact(&lookup)),
            ("bh= (signed)".into(), base64_encode(&core.body_hash)),
            (
                "bh computed".into(),
                if message.has_body {
                    base64_encode(&digest.digest)
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
                match &signature {
                    Some(Ok(())) => "verifies".into(),
                    Some(Err(e)) => e.clone(),
                    None => "not checked (no usable key)".into(),
                },
            ),
        ],
        queries: vec![core.key_query()],
        headers,
    }
}

fn field_pair<'m>(
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
    let (Some(set), Some(seal)) = (
        chain.sets.get(&instance),
        chain.sets.get(&instance).and_then(|s| s.seal()),
    ) else {
        outcome.reason = Some("no usable ARC-Seal".into());
        return outcome;
    };
    let key_name = format!("{}._domainkey.{}", seal.selector, seal.domain);
    let lookup = KeyLookup::from_answer(&key_name, answers.get(key_name.as_str()));
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

    let mut signed: Vec<(&[u8], &[u8])> = Vec::new();
    for i in 1..instance {
        let Some(s) = chain.sets.get(&i) else {
            outcome.reason = Some(format!("instance {i} is missing"));
            return outcome;
        };
        for h in [s.aars.first(), s.ams.first(), s.seals.first()] {
            match field_pair(message, h) {
                Some(pair) => signed.push(pair),
                None => {
                    outcome.reason = Some(format!("instance {i} is incomplete"));
                    return outcome;
                }
            }
            outcome.headers.extend(h.map(|h| h.header_index));
        }
    }
    let own = set
        .seals
        .first()
        .and_then(|h| message.field(h.header_index));
    let (Some(aar), Some(ams), Some(own)) = (
        field_pair(message, set.aars.first()),
        field_pair(message, set.ams.first()),
        own,
    ) else {
        outcome.reason = Some(format!("instance {instance} is incomplete"));
        return outcome;
    };
    signed.push(aar);
    signed.push(ams);
    outcome.headers.extend(set.header_indexes());
    outcome.headers.sort_unstable();
    outcome.headers.dedup();
    let stripped = strip_b_value(&own.value);

    let result = match usable_key(&lookup, seal.algorithm) {
        Err((r, e)) => (r, Some(e)),
        Ok(key) => {
            let verified = verify_header_signature(
                &key.key,
                Canonicalization::Relaxed,
                &signed,
                (own.name, &stripped),
                &seal.signature,
                seal.algorithm,
            );
            match (strength_problem(seal.algorithm, &lookup), verified) {
                (Some(s), _) => (AuthResult::Fail, Some(s)),
                (None, Ok(())) => (AuthResult::Pass, None),
                (None, Err(e)) => (AuthResult::Fail, Some(e)),
            }
        }
    };
    outcome.result = result.0;
    outcome.result_ignoring_expiry = result.0;
    outcome.reason = result.1;
    outcome.facts.push((
        "seal".into(),
        outcome
            .reason
            .clone()
            .unwrap_or_else(|| "verifies".to_string()),
    ));
    outcome
}

// ---------------------------------------------------------------------------------------------
// Steps in words
// ---------------------------------------------------------------------------------------------

fn set_step(set: &ArcSet, headers: &SetHeaders<'_>, newest: bool) -> Step {
    let who = set
        .authserv_id
        .clone()
        .or_else(|| set.seal_domain.clone())
        .unwrap_or_else(|| "an unnamed intermediary".into());
    let results = set.aar.as_deref().map(|a| {
        // The part after the authserv-id: the results themselves.
        a.split_once(';')
            .map_or("", |(_, r)| r)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut text = format!("Instance {}: {who}", set.instance);
    match results.as_deref() {
        Some(r) if !r.is_empty() => text.push_str(&format!(
            " recorded, when the message reached it: {}.",
            shorten(r, 300)
        )),
        _ => text.push_str(" recorded no readable results."),
    }
    text.push_str(&format!(
        " It signed the message as {} (s={}) and sealed the chain as {} (s={}) with cv={}{}.",
        set.ams_domain.as_deref().unwrap_or("?"),
        set.ams_selector.as_deref().unwrap_or("?"),
        set.seal_domain.as_deref().unwrap_or("?"),
        set.seal_selector.as_deref().unwrap_or("?"),
        set.cv.as_deref().unwrap_or("?"),
        match set.cv.as_deref() {
            Some("none") => " (it was the first to seal)",
            Some("pass") => " (it found the chain before it intact)",
            Some("fail") => " (it found the chain before it broken)",
            _ => "",
        }
    ));
    if newest {
        text.push_str(" This is the newest set, added by the last forwarder.");
    }
    let outcome =
        if set.ams_result == AuthResult::PermError || set.seal_result == AuthResult::PermError {
            Outcome::Error
        } else {
            Outcome::Info
        };
    let mut step = Step::new(format!("ARC set i={}", set.instance), outcome, text);
    for i in headers.header_indexes() {
        step = step.header(i);
    }
    step = step
        .fact("ams", set.ams_result.to_string())
        .fact("seal", set.seal_result.to_string());
    if let Some(r) = &set.ams_reason {
        step = step.fact("ams reason", r.clone());
    }
    if let Some(r) = &set.seal_reason {
        step = step.fact("seal reason", r.clone());
    }
    step
}

fn signature_step(title: &str, o: &SignatureOutcome, context: String) -> Step {
    let (outcome, verdict) = match o.result {
        AuthResult::Pass => (Outcome::Pass, "It verifies.".to_string()),
        AuthResult::TempError => (
            Outcome::Error,
            format!(
                "It could not be checked: {} (temporary).",
                o.reason.as_deref().unwrap_or("")
            ),
        ),
        _ => (
            Outcome::Fail,
            format!(
                "It does not verify: {}.",
                o.reason.as_deref().unwrap_or("failed")
            ),
        ),
    };
    let mut step = Step::new(title, outcome, format!("{context} {verdict}"))
        .queries(o.queries.iter().cloned());
    for &h in &o.headers {
        step = step.header(h);
    }
    for (name, value) in &o.facts {
        step = step.fact(name.clone(), shorten(value, 200));
    }
    step
}

fn verdict_step(
    check: &ArcCheck,
    chain: &Chain<'_>,
    reason: &str,
    ams: &BTreeMap<u32, SignatureOutcome>,
) -> Step {
    let sealers: Vec<String> = check
        .sets
        .iter()
        .filter_map(|s| s.seal_domain.clone())
        .collect();
    let text = match check.result {
        AuthResult::Pass => {
            let first = check.sets.first();
            let changed: Vec<String> = ams
                .iter()
                .filter(|(_, a)| a.result != AuthResult::Pass)
                .map(|(i, _)| i.to_string())
                .collect();
            format!(
                "arc=pass: every seal verifies and the newest forwarder's signature matches the \
                 message, so the chain is intact. The results instance 1 recorded{} are what it \
                 saw when the message reached it — worth using only if you trust the sealing \
                 domains ({}).{}",
                first
                    .and_then(|s| s.authserv_id.as_deref())
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default(),
                sealers.join(", "),
                if changed.is_empty() {
                    String::new()
                } else {
                    format!(
                        " The message was modified after instance(s) {} signed it; the \
                         seals still carry their recorded results.",
                        changed.join(", ")
                    )
                }
            )
        }
        AuthResult::TempError => format!(
            "arc=temperror: {reason}. A DNS failure left the chain undecided; try again later."
        ),
        // The seal verdict words where the chain broke itself (it is not always one instance).
        _ if reason.contains("the chain is broken") => format!(
            "arc=fail: {reason}. Each seal covers every set up to its own, so a change to one \
             set breaks its seal and every later one: the oldest failing seal shows where the \
             chain broke. None of the results the chain records can be relied on."
        ),
        _ => format!(
            "arc=fail: the chain is broken{} — {reason}. None of the results it records can \
             be relied on.",
            check
                .broken_instance
                .map(|i| format!(" at instance {i}"))
                .unwrap_or_default()
        ),
    };
    let outcome = match check.result {
        AuthResult::Pass => Outcome::Pass,
        AuthResult::TempError => Outcome::Error,
        _ => Outcome::Fail,
    };
    let mut step = Step::new("Verdict", outcome, text);
    for set in chain.sets.values() {
        for i in set.header_indexes() {
            step = step.header(i);
        }
    }
    if let Some(i) = check.oldest_pass {
        step = step.fact("oldest-pass", i.to_string());
    }
    step
}

// ---------------------------------------------------------------------------------------------
// mail-auth's verdict, for comparison
// ---------------------------------------------------------------------------------------------

struct MailAuthArc {
    result: AuthResult,
    reason: Option<String>,
    expired: bool,
}

async fn run_mail_auth_arc(crlf: &[u8], auth: &MessageAuthenticator) -> Option<MailAuthArc> {
    let message = AuthenticatedMessage::parse_with_opts(crlf, None, false)?;
    let output = auth.verify_arc(&message).await;
    let (result, reason, expired) = match output.result() {
        DkimResult::Pass => (AuthResult::Pass, None, false),
        DkimResult::None => (AuthResult::None, None, false),
        DkimResult::TempError(e) => (
            AuthResult::TempError,
            Some(format!("temperror: {e}")),
            false,
        ),
        DkimResult::Neutral(e) => (
            AuthResult::Fail,
            Some(format!("neutral: {e}")),
            matches!(
                e,
                mail_auth::Error::Arc(mail_auth::arc::ArcError::SignatureExpired)
            ),
        ),
        DkimResult::Fail(e) => (AuthResult::Fail, Some(format!("fail: {e}")), false),
        DkimResult::PermError(e) => (AuthResult::Fail, Some(format!("permerror: {e}")), false),
    };
    Some(MailAuthArc {
        result,
        reason,
        expired,
    })
}

fn compare_with_mail_auth(
    check: &mut ArcCheck,
    theirs: Option<MailAuthArc>,
    newest_ams_expired: bool,
    result_ignoring_expiry: AuthResult,
) {
    // mail-auth cannot parse a message without headers; it has nothing to say then.
    let theirs = theirs.unwrap_or(MailAuthArc {
        result: AuthResult::None,
        reason: None,
        expired: false,
    });
    check.mail_auth_result = Some(theirs.result);
    check.mail_auth_reason = theirs.reason.clone();
    let said = format!(
        "mail-auth says arc={}{}",
        theirs.result,
        theirs
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    let (outcome, text) = if theirs.result == check.result {
        (Outcome::Info, format!("{said}: the same verdict."))
    } else if check.result == AuthResult::Neutral && theirs.result == AuthResult::Fail {
        // Only a headers-only input makes our chain neutral.
        (
            Outcome::Info,
            format!(
                "{said}. The difference is only the missing body: mail-auth hashes it as an \
                 empty body, which cannot match the AMS bh=."
            ),
        )
    } else if theirs.expired && !newest_ams_expired {
        (
            Outcome::Info,
            format!(
                "{said}. The difference is only the clock: mail-auth reads the newest AMS x= \
                 against the system clock; as of the evaluation time it has not expired."
            ),
        )
    } else if newest_ams_expired && theirs.result == result_ignoring_expiry {
        (
            Outcome::Info,
            format!(
                "{said}. The difference is only the clock: as of the evaluation time the newest \
                 AMS has expired, by the system clock it has not."
            ),
        )
    } else {
        check.disagreement = true;
        (
            Outcome::Warning,
            format!(
                "{said}, but we say arc={}: the validators disagree. mail-auth checks neither \
                 RFC 8301 (rsa-sha1, short keys) nor every structural rule, and stops at the \
                 first problem; ours is shown step by step above.",
                check.result
            ),
        )
    };
    check.steps.push(
        Step::new("Cross-check with mail-auth", outcome, text)
            .fact("mail-auth", theirs.result.to_string()),
    );
}

#[cfg(test)]
mod tests;
