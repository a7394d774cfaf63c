//! ARC in words: each set, each signature and the verdict as steps.

use std::collections::BTreeMap;

use super::SignatureOutcome;
use super::chain::{Chain, SetHeaders};
use crate::analysis::dkim::shorten;
use crate::analysis::model::{ArcCheck, ArcSet, AuthResult};
use crate::analysis::step::{Outcome, Step};

pub(super) fn set_step(set: &ArcSet, headers: &SetHeaders<'_>, newest: bool) -> Step {
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

pub(super) fn signature_step(title: &str, o: &SignatureOutcome, context: String) -> Step {
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

pub(super) fn verdict_step(
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

/// Whether the chain is well-formed (RFC 8617 §5.2 steps 1–3).
pub(super) fn structure_step(structure: Option<&(Option<u32>, String)>, newest: u32) -> Step {
    match structure {
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
    }
}

/// The message signatures, newest first (the newest decides whether the message is as the last
/// forwarder sent it), then the seals newest first.
pub(super) fn signature_steps(
    ams: &BTreeMap<u32, SignatureOutcome>,
    seals: &BTreeMap<u32, SignatureOutcome>,
    newest: u32,
) -> Vec<Step> {
    let mut steps = Vec::new();
    if let Some(ams) = ams.get(&newest) {
        steps.push(signature_step(
            &format!("Newest message signature (AMS i={newest})"),
            ams,
            format!(
                "The last forwarder's ARC-Message-Signature must verify over the message as \
                 received: it proves nothing changed since instance {newest} sent it on."
            ),
        ));
    }
    for (&instance, ams) in ams.iter().rev().filter(|(i, _)| **i != newest) {
        steps.push(earlier_ams_step(instance, ams));
    }
    for (&instance, seal) in seals.iter().rev() {
        steps.push(signature_step(
            &format!("Seal (AS i={instance})"),
            seal,
            format!(
                "The ARC-Seal of instance {instance} signs the sets 1 to {instance}: it proves \
                 they are as instance {instance} saw them."
            ),
        ));
    }
    steps
}

/// An AMS below the newest: not needed for the verdict, but it tells where the message changed.
fn earlier_ams_step(instance: u32, ams: &SignatureOutcome) -> Step {
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
    step
}
