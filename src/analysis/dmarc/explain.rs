//! The explained steps of policy discovery: the organizational domain, the record used and its
//! tags, the policy that applies, and where RFC 7489's discovery would differ.

use crate::analysis::model::Tag;
use crate::analysis::step::{Outcome, Step};
use crate::dns::{QueryKey, RecordType};

use super::orgdomain::TreeWalk;
use super::policy::{Existence, PolicyChoice};
use super::record::{DmarcRecord, Policy};

/// The From domain cannot be looked up at all.
pub(super) fn no_lookup_step(from: &str) -> Step {
    Step::new(
        "No DMARC lookup",
        Outcome::Error,
        format!(
            "{from:?} is a single label or not a domain name: there is no _dmarc record to look up."
        ),
    )
}

/// The From domain's organizational domain by the tree walk and by the PSL, side by side.
pub(super) fn org_domain_step(
    from: &str,
    walk: &TreeWalk,
    org_tw: Option<&str>,
    org_reason: &str,
    org_psl: Option<&str>,
) -> Step {
    Step::new(
        format!(
            "Organizational domain of {from}: {} (DNS tree walk), {} (Public Suffix List)",
            org_tw.unwrap_or("unknown"),
            org_psl.unwrap_or("none")
        ),
        if org_tw.is_none() {
            Outcome::Error
        } else if org_tw != org_psl {
            Outcome::Warning
        } else {
            Outcome::Info
        },
        {
            let mut e = format!("Tree walk (RFC 9989, what mail-auth uses): {org_reason}. ");
            e.push_str(&match org_psl {
                Some(p) => format!("Public Suffix List (RFC 7489): {p}."),
                None => format!("Public Suffix List (RFC 7489): {from} is itself a public suffix, so it has none."),
            });
            if org_tw.is_some() && org_tw != org_psl {
                e.push_str(" The two methods disagree.");
            }
            e
        },
    )
    .queries(walk.queries())
    .fact("org_domain_tree_walk", org_tw.unwrap_or_default().to_string())
    .fact("org_domain_psl", org_psl.unwrap_or_default().to_string())
}

/// The record discovery settled on, found `via`, with its problems.
pub(super) fn record_used_step(domain: &str, record: &DmarcRecord, via: &str) -> Step {
    let errors: Vec<String> = record.errors.iter().map(|e| e.message.clone()).collect();
    Step::new(
        format!("DMARC record used: _dmarc.{domain}"),
        if record.fatal_error().is_some() {
            Outcome::Error
        } else if errors.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Warning
        },
        {
            let mut e = format!("The record comes from {via}: {}", record.raw);
            if let Some(f) = record.fatal_error() {
                e.push_str(&format!(
                    ". The record is broken — {} — so DMARC evaluation ends in a \
                     permanent error (permerror). (RFC 7489 §6.3 lets a receiver use the \
                     default instead; mail-auth and most receivers reject the record.)",
                    f.message
                ));
            } else if !errors.is_empty() {
                e.push_str(&format!(
                    ". Problems (defaults used): {}.",
                    errors.join("; ")
                ));
            } else {
                e.push('.');
            }
            e
        },
    )
    .query(QueryKey::new(&format!("_dmarc.{domain}"), RecordType::TXT))
    .fact("record_domain", domain.to_string())
}

/// The policy that applies and why, with the existence queries that decided it.
pub(super) fn policy_step(c: &PolicyChoice, existence: Option<&Existence>) -> Step {
    let mut step = Step::new(
        format!(
            "Policy that applies: {} (from the {} tag)",
            c.policy.map(Policy::as_str).unwrap_or("no DMARC"),
            c.tag
        ),
        if c.policy.is_none() {
            Outcome::Skipped
        } else if c.tag == "rua" {
            // p is missing or invalid: the record's owner should fix it.
            Outcome::Warning
        } else {
            Outcome::Info
        },
        c.why.clone(),
    )
    .fact("tag", c.tag);
    if let Some(ex) = existence {
        step = step.queries(ex.queries.clone());
    }
    step
}

/// RFC 7489 discovery (From domain, then the PSL organizational domain) would use another record
/// than the tree walk.
pub(super) fn rfc7489_differs_step(
    tw_record_domain: Option<&str>,
    org_psl: Option<&str>,
    psl_record_domain: Option<&str>,
    psl_queries: Vec<QueryKey>,
) -> Step {
    Step::new(
        "RFC 7489 (Public Suffix List) discovery would use another record",
        Outcome::Warning,
        format!(
            "The tree walk uses {}; a receiver following RFC 7489 (From domain, then the \
             PSL organizational domain {}) would use {}.",
            tw_record_domain
                .map(|d| format!("_dmarc.{d}"))
                .unwrap_or_else(|| "no record".into()),
            org_psl.unwrap_or("(none)"),
            psl_record_domain
                .map(|d| format!("_dmarc.{d}"))
                .unwrap_or_else(|| "no record".into()),
        ),
    )
    .queries(psl_queries)
}

pub(super) fn tags_step(tags: &[Tag], domain: &str) -> Step {
    let shown: Vec<String> = tags
        .iter()
        .map(|t| {
            format!(
                "{}={}{}",
                t.name,
                if t.value.is_empty() {
                    "(none)"
                } else {
                    &t.value
                },
                if t.default { " (default)" } else { "" }
            )
        })
        .collect();
    let mut step = Step::new(
        format!("Tags of _dmarc.{domain}"),
        Outcome::Info,
        format!(
            "The record's tags, with defaults for those absent: {}.",
            shown.join("; ")
        ),
    );
    for t in tags {
        step = step.fact(t.name.clone(), t.value.clone());
    }
    step
}
