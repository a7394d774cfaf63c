//! ARC chain validation (RFC 8617, with the algorithm and key-size rules of RFC 8301): each set
//! (ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal of one instance) with its own
//! results, the chain verdict, and the instance where it broke.
//!
//! As with DKIM, the verdict is our own: mail-auth's `verify_arc` reports one result for the
//! whole chain (no per-set detail), reads `x=` against the system clock, and accepts rsa-sha1 and
//! short keys. We validate every set with the DKIM pieces in `dkim/` and decide as of `now`;
//! mail-auth's verdict on the same DNS answers is recorded beside ours and any difference shown.
//!
//! The files follow RFC 8617: `parse` reads the three ARC headers (§4.1), `chain` groups them into
//! sets and checks the chain's structure (§5.2 steps 1–3), `verify` validates the message
//! signatures and seals and decides (§5.2 steps 4–7), `explain` words the steps and `crosscheck`
//! sets mail-auth's verdict beside ours. This file holds the entry point and the shared types.

mod chain;
mod crosscheck;
mod explain;
mod parse;
mod verify;

use mail_auth::common::crypto::Algorithm;

use super::authenticator::MailAuth;
use super::dkim::{MessageView, RawTag, SignatureCore, fetch_keys};
use super::model::{ArcCheck, AuthResult, Header};
use super::step::{Outcome, Step};
use crate::dns::{Dns, QueryKey};
use chain::Chain;
use crosscheck::{compare_with_mail_auth, run_mail_auth_arc};
use explain::{set_step, signature_steps, structure_step, verdict_step};
use verify::{Validation, chain_verdict, oldest_pass, validate_signatures};

/// RFC 8617 §4.2.1: at most 50 sets.
const MAX_INSTANCES: u32 = 50;

/// Validates the ARC chain of the message as of `now`, in the order of RFC 8617 §5.2.
pub async fn check_arc(
    raw: &[u8],
    headers: &[Header],
    dns: &Dns,
    auth: &MailAuth,
    now: i64,
) -> ArcCheck {
    let arc_headers: Vec<ArcHeader> = headers.iter().filter_map(ArcHeader::parse).collect();
    let crlf = auth.crlf(raw);
    let message = MessageView::new(raw, headers);
    let body_offset = message.body_offset(raw);
    if arc_headers.is_empty() {
        return no_chain(auth, raw, &crlf, body_offset).await;
    }
    let chain = Chain::group(&arc_headers);

    // Every key the chain needs, fetched together; mail-auth validates after ours, from the same
    // answers, body hashes and keys (`MailAuth`).
    let mut key_names: Vec<String> = Vec::new();
    for name in arc_headers.iter().filter_map(ArcHeader::key_name) {
        if !key_names.contains(&name) {
            key_names.push(name);
        }
    }
    let answers = fetch_keys(dns, &key_names).await;

    let mut check = ArcCheck::default();
    check.steps.push(what_arc_records_step());

    // Steps 1–3: the chain's structure; steps 4 and 6: its signatures.
    let structure = chain.structure_problem();
    let newest = chain.newest();
    let (ams, seals) =
        validate_signatures(&message, &chain, &answers, now, structure.is_none(), auth);

    // The sets, for the model and in words.
    for (&instance, set) in &chain.sets {
        let arc_set = set.describe(instance, ams.get(&instance), seals.get(&instance));
        check
            .steps
            .push(set_step(&arc_set, set, instance == newest));
        check.sets.push(arc_set);
    }
    check.steps.push(structure_step(structure.as_ref(), newest));
    check.steps.extend(signature_steps(&ams, &seals, newest));

    // The verdict: structure, the newest AMS, then the seals newest first (steps 1–7).
    let validation = Validation {
        structure: structure.as_ref(),
        newest,
        ams: &ams,
        seals: &seals,
        has_body: message.has_body,
    };
    let (result, broken, reason) = chain_verdict(&validation, false);
    let (result_ignoring_expiry, _, _) = chain_verdict(&validation, true);
    check.result = result;
    check.broken_instance = broken;
    check.reason = Some(reason.clone());
    if result == AuthResult::Pass {
        check.oldest_pass = oldest_pass(&ams);
    }
    check
        .steps
        .push(verdict_step(&check, &chain, &reason, &ams));

    let newest_expired = ams.get(&newest).is_some_and(|a| a.expired);
    let theirs = run_mail_auth_arc(auth, raw, &crlf, body_offset).await;
    compare_with_mail_auth(&mut check, theirs, newest_expired, result_ignoring_expiry);
    check
}

/// arc=none: the message has no ARC header at all.
async fn no_chain(
    auth: &MailAuth,
    raw: &[u8],
    crlf: &[u8],
    body_offset: Option<usize>,
) -> ArcCheck {
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
    let theirs = run_mail_auth_arc(auth, raw, crlf, body_offset).await;
    compare_with_mail_auth(&mut check, theirs, false, AuthResult::None);
    check
}

fn what_arc_records_step() -> Step {
    Step::new(
        "What ARC records",
        Outcome::Info,
        "Each intermediary that forwards a message (a mailing list, a forwarding service) can add \
         an ARC set: the authentication results it saw (ARC-Authentication-Results), its \
         signature over the message as it sent it on (ARC-Message-Signature) and a seal over all \
         sets so far (ARC-Seal). A receiver that trusts those intermediaries can rely on their \
         recorded results when forwarding broke SPF or DKIM.",
    )
}

// ---------------------------------------------------------------------------------------------
// The headers, sets and signature outcomes the steps share
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

#[cfg(test)]
mod tests;
