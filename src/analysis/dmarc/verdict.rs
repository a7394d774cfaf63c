//! The DMARC result (pass, fail, temperror, permerror, none) from the alignment and the record,
//! and the disposition step.

use crate::analysis::model::{Alignment, AuthResult, DmarcCheck};
use crate::analysis::step::{Outcome, Step};

use super::discovery::{Discovery, DmarcLookup};
use super::policy::disposition;
use super::record::{DmarcRecord, Policy, record_tags};

/// The check when DMARC ends before any policy applies: `result`, the message left alone, and
/// `last` (the step saying why) after the steps so far.
fn no_policy_applied(
    mut check: DmarcCheck,
    mut steps: Vec<Step>,
    result: AuthResult,
    last: Option<Step>,
) -> DmarcCheck {
    check.result = result;
    check.disposition = Some("none".into());
    steps.extend(last);
    check.steps = steps;
    check
}

/// The DMARC check for one author domain: the record and policy that apply (or why none does),
/// the result from the aligned identifiers, and the disposition.
pub(super) fn verdict(lookup: DmarcLookup, alignment: &Alignment, walk_failed: bool) -> DmarcCheck {
    let DmarcLookup {
        discovery,
        choice,
        mut steps,
        ..
    } = lookup;
    let mut check = DmarcCheck::default();
    let (domain, record) = match discovery {
        Discovery::Found { domain, record, .. } => (domain, record),
        Discovery::TempError { .. } => {
            let step = Step::new(
                "Result: temperror",
                Outcome::Error,
                "A DNS lookup DMARC needs failed temporarily. A receiver would typically accept the \
                 message or defer it (4xx) and retry; no policy is applied.",
            );
            return no_policy_applied(check, steps, AuthResult::TempError, Some(step));
        }
        Discovery::NoRecord | Discovery::Multiple { .. } => {
            let step = Step::new(
                "Result: none",
                Outcome::Skipped,
                "No DMARC policy applies to this From domain, so a receiver applies none.",
            );
            return no_policy_applied(check, steps, AuthResult::None, Some(step));
        }
    };
    check.record_domain = Some(domain.clone());
    check.record = Some(record.raw.clone());
    check.tags = record_tags(&record);
    if let Some(fatal) = record.fatal_error() {
        check.bad_tag = Some(fatal.tag.clone());
        let step = Step::new(
            format!("Result: permerror (bad {} tag)", fatal.tag),
            Outcome::Error,
            format!(
                "The DMARC record at _dmarc.{domain} is broken: {}. No policy can be read from it, \
                 so no policy is applied.",
                fatal.message
            ),
        );
        return no_policy_applied(check, steps, AuthResult::PermError, Some(step));
    }
    let Some(choice) = choice else {
        return no_policy_applied(check, steps, AuthResult::None, None);
    };
    check.policy_tag = Some(choice.tag.into());
    check.policy_source = Some(choice.source);
    let Some(policy) = choice.policy else {
        let step = Step::new(
            "Result: none",
            Outcome::Skipped,
            "The record gives no policy to apply, so DMARC is not applied.",
        );
        return no_policy_applied(check, steps, AuthResult::None, Some(step));
    };
    check.policy = Some(policy.as_str().into());

    let (result, outcome, why) = result_of(alignment, walk_failed);
    check.result = result;
    steps.push(Step::new(format!("Result: {result}"), outcome, why));
    steps.push(disposition_step(&mut check, policy, &record));
    check.steps = steps;
    check
}

/// The result: pass when an aligned identifier passed; temperror when an aligned one ended in
/// a temporary error, or a DNS error left relaxed alignment undecided; fail otherwise.
fn result_of(alignment: &Alignment, walk_failed: bool) -> (AuthResult, Outcome, String) {
    let passing: Vec<&str> = alignment
        .spf
        .candidates
        .iter()
        .map(|c| ("SPF", c))
        .chain(alignment.dkim.candidates.iter().map(|c| ("DKIM", c)))
        .filter(|(_, c)| c.aligned && c.result == AuthResult::Pass)
        .map(|(m, _)| m)
        .collect();
    let aligned_temp = alignment
        .spf
        .candidates
        .iter()
        .chain(alignment.dkim.candidates.iter())
        .any(|c| c.aligned && c.result == AuthResult::TempError);
    if !passing.is_empty() {
        let mut m = passing.clone();
        m.dedup();
        (
            AuthResult::Pass,
            Outcome::Pass,
            format!(
                "{} passed and {} aligned with the From domain.",
                m.join(" and "),
                if m.len() > 1 { "are" } else { "is" }
            ),
        )
    } else if aligned_temp {
        (
            AuthResult::TempError,
            Outcome::Error,
            "No aligned identifier passed, and an aligned one ended in a temporary error: DMARC \
             cannot tell pass from fail (temperror)."
                .to_string(),
        )
    } else if walk_failed {
        (
            AuthResult::TempError,
            Outcome::Error,
            "No identifier is aligned, but an organizational domain could not be found because of \
             a DNS error, so relaxed alignment is undecided (temperror)."
                .to_string(),
        )
    } else {
        (
            AuthResult::Fail,
            Outcome::Fail,
            "Neither SPF nor DKIM produced a passing identifier aligned with the From domain."
                .to_string(),
        )
    }
}

/// Disposition: what a receiver following the record would do, set on `check` and as a step.
fn disposition_step(check: &mut DmarcCheck, policy: Policy, record: &DmarcRecord) -> Step {
    let d = disposition(policy, record, check.result);
    check.disposition = Some(d.applied.as_str().into());
    check.disposition_unsampled = d.unsampled.map(|p| p.as_str().into());
    check.disposition_rfc9989 = d.rfc9989.map(|p| p.as_str().into());
    Step::new(
        d.title,
        match d.applied {
            Policy::None => Outcome::Info,
            _ => Outcome::Warning,
        },
        d.explanation,
    )
    .fact("policy", policy.as_str())
    .fact("pct", record.pct.unwrap_or(100).to_string())
    .fact("t", if record.testing() { "y" } else { "n" })
}
