//! Which policy applies (p, sp or np; RFC 9989 §4.10.1, RFC 9091) and what a receiver does with
//! the message (the disposition: t=, and RFC 7489's pct=).

use crate::analysis::model::AuthResult;
use crate::dns::{DnsOutcome, QueryKey, RecordType};

use super::record::{DmarcRecord, Policy};

/// Whether the From domain exists (RFC 9989 §4.10.1 / RFC 9091: NXDOMAIN for A, AAAA and MX).
#[derive(Debug, Clone, PartialEq)]
pub struct Existence {
    /// `None` when a query failed temporarily and none answered.
    pub exists: Option<bool>,
    pub outcomes: Vec<(RecordType, DnsOutcome)>,
    pub queries: Vec<QueryKey>,
}

/// The policy that applies and why.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyChoice {
    /// `None` when the record has neither a valid p nor a valid rua: DMARC is not applied.
    pub policy: Option<Policy>,
    /// `p`, `sp`, `np`, or `rua` (p=none because of rua).
    pub tag: &'static str,
    /// The full reasoning, for the step.
    pub why: String,
    /// A short phrase starting with the tag, for `DmarcCheck::policy_source` (shown in
    /// parentheses after the policy: "p tag: the From domain publishes its own record").
    pub source: String,
}

/// A record without a valid p: p=none when rua holds a valid URI, else no DMARC (RFC 7489
/// §6.6.3, RFC 9989 §4.10.1).
fn policy_without_p(record: &DmarcRecord) -> PolicyChoice {
    if !record.rua.is_empty() {
        let what = match record.forgiven_p_error() {
            Some(e) => format!("The p tag is invalid ({})", e.message),
            None => "The p tag is missing".to_string(),
        };
        PolicyChoice {
            policy: Some(Policy::None),
            tag: "rua",
            why: format!(
                "{what}, but rua holds a valid report address, so the record counts as \
                 p=none (monitoring only) and evaluation continues (RFC 7489 §6.6.3, \
                 RFC 9989 §4.10.1)."
            ),
            source: "rua: p is missing or invalid, but rua is valid, so p=none applies".into(),
        }
    } else {
        PolicyChoice {
            policy: None,
            tag: "p",
            why: "The record has no valid p tag and no valid rua: DMARC is not applied to \
                  this message (result none)."
                .into(),
            source: "no valid p and no valid rua: no policy".into(),
        }
    }
}

/// Which of p, sp and np applies (RFC 9989 §4.10.1, RFC 9091).
pub fn choose_policy(
    record: &DmarcRecord,
    is_author: bool,
    from: &str,
    record_domain: &str,
    existence: Option<&Existence>,
) -> PolicyChoice {
    let Some(p) = record.p else {
        return policy_without_p(record);
    };
    if is_author {
        return PolicyChoice {
            policy: Some(p),
            tag: "p",
            why: format!(
                "The record is published by the From domain {from} itself, so p applies: p={}.",
                p.as_str()
            ),
            source: format!("p tag: {from} publishes its own record"),
        };
    }
    let sp = record.sp.unwrap_or(p);
    let sp_words = if record.sp.is_some() {
        format!("sp={}", sp.as_str())
    } else {
        format!("no sp tag, so p={}", p.as_str())
    };
    if let Some(np) = record.np {
        match existence.and_then(|e| e.exists) {
            Some(false) => {
                return PolicyChoice {
                    policy: Some(np),
                    tag: "np",
                    why: format!(
                        "{from} is a subdomain of {record_domain} that does not exist (NXDOMAIN for \
                         A, AAAA and MX), so np applies: np={}.",
                        np.as_str()
                    ),
                    source: format!(
                        "np tag: {from} is a non-existent subdomain of {record_domain}"
                    ),
                };
            }
            None if existence.is_some() => {
                return PolicyChoice {
                    policy: Some(sp),
                    tag: if record.sp.is_some() { "sp" } else { "p" },
                    why: format!(
                        "{from} is a subdomain of {record_domain}; whether it exists could not be \
                         told (DNS errors), so it is taken as existing: {sp_words}."
                    ),
                    source: format!(
                        "{} tag: {from} is a subdomain of {record_domain} (taken as existing after \
                         DNS errors)",
                        if record.sp.is_some() { "sp" } else { "p" }
                    ),
                };
            }
            _ => {}
        }
    }
    let tag = if record.sp.is_some() { "sp" } else { "p" };
    let kind = match existence.and_then(|e| e.exists) {
        Some(true) => "an existing subdomain",
        _ => "a subdomain",
    };
    PolicyChoice {
        policy: Some(sp),
        tag,
        why: format!(
            "{from} is {kind} of {record_domain}, whose record applies to it: {sp_words}."
        ),
        source: if record.sp.is_some() {
            format!("sp tag: {from} is {kind} of {record_domain}")
        } else {
            format!("p tag: {from} is {kind} of {record_domain}, which has no sp tag")
        },
    }
}

/// The disposition of one verdict, as the step and the fields show it.
pub(super) struct Disposition {
    /// `DmarcCheck::disposition`.
    pub(super) applied: Policy,
    /// What RFC 7489 applies to the failing messages pct= leaves out (pct below 100 only).
    pub(super) unsampled: Option<Policy>,
    /// RFC 9989's reading, when it differs from `applied` (pct=0 only).
    pub(super) rfc9989: Option<Policy>,
    pub(super) title: String,
    pub(super) explanation: String,
}

/// What a receiver does with the message. RFC 9989 reads t= and made pct historic (a receiver
/// following it ignores pct); RFC 7489 reads pct (§6.6.4) and knows no t= (an unknown tag, ignored).
/// With pct between 1 and 99 the field is the policy (after t=y) and RFC 7489's unsampled reading
/// is beside it; with pct=0 no failing message is sampled, so what an RFC 7489 receiver does is
/// certain and is the field, with RFC 9989's reading beside it.
pub(super) fn disposition(policy: Policy, record: &DmarcRecord, result: AuthResult) -> Disposition {
    let testing = record.testing();
    let rfc9989 = if testing {
        policy.one_level_down()
    } else {
        policy
    };
    let pct = record.pct.unwrap_or(100);
    let plain = |applied: Policy, explanation: String| Disposition {
        applied,
        unsampled: None,
        rfc9989: None,
        title: format!("Disposition: {}", applied.as_str()),
        explanation,
    };
    match result {
        AuthResult::Pass => plain(
            Policy::None,
            "DMARC passed: the policy is not applied; the message is delivered normally.".into(),
        ),
        AuthResult::Fail => {
            let mut e = match policy {
                Policy::None => "DMARC failed, but the policy is none: deliver normally \
                                 (monitoring only; the domain owner gets reports)"
                    .to_string(),
                Policy::Quarantine => "DMARC failed and the policy is quarantine: deliver to \
                                       spam or junk, or hold for review"
                    .to_string(),
                Policy::Reject => {
                    "DMARC failed and the policy is reject: refuse the message".to_string()
                }
            };
            if testing && rfc9989 != policy {
                e.push_str(&format!(
                    ". But t=y (testing mode) asks receivers to apply one level less: {}",
                    rfc9989.as_str()
                ));
            }
            e.push('.');
            if pct >= 100 || policy == Policy::None {
                return plain(rfc9989, e);
            }
            // RFC 7489 §6.6.4: what pct= leaves out gets the next policy down.
            let unsampled = policy.one_level_down();
            let left_out = match policy {
                Policy::Reject => "treated \"as though the 'quarantine' policy applies\"",
                _ => "given \"local message classification as normal\" (none)",
            };
            if pct == 0 {
                return pct0_disposition(rfc9989, unsampled, left_out, e);
            }
            e.push_str(&format!(
                " With pct={pct}, an RFC 7489 receiver \"MUST NOT enact the requested policy\" on \
                 more than {pct}% of failing messages (RFC 7489 §6.6.4): it applies {} to those it \
                 samples and the rest are {left_out}, so this one gets {} or {} \
                 (disposition_unsampled: {}). The disposition {} follows RFC 9989, which made pct \
                 historic and applies the policy to all failing mail.",
                policy.as_str(),
                policy.as_str(),
                unsampled.as_str(),
                unsampled.as_str(),
                rfc9989.as_str()
            ));
            Disposition {
                applied: rfc9989,
                unsampled: Some(unsampled),
                rfc9989: None,
                title: format!(
                    "Disposition: {} (RFC 9989; an RFC 7489 receiver: {} or {}, pct={pct})",
                    rfc9989.as_str(),
                    policy.as_str(),
                    unsampled.as_str()
                ),
                explanation: e,
            }
        }
        _ => plain(
            Policy::None,
            "DMARC could not be decided (temperror); a receiver would typically accept the \
             message or defer it with a 4xx and retry — no policy is applied."
                .into(),
        ),
    }
}

/// pct=0 on a failing message: RFC 7489 samples no message, so every one gets the next policy
/// down; RFC 9989 ignores pct (historic) and applies the policy (after t=y).
fn pct0_disposition(
    rfc9989: Policy,
    unsampled: Policy,
    left_out: &str,
    mut e: String,
) -> Disposition {
    e.push_str(&format!(
        " But pct=0: an RFC 7489 receiver \"MUST NOT enact the requested policy\" on more than 0% \
         of failing messages (RFC 7489 §6.3 pct, §6.6.4), and a message left out is {left_out}. \
         With pct=0 no message is sampled, so a receiver following RFC 7489 (most receivers \
         today) applies {} to this one: the disposition. RFC 9989 made pct historic: a receiver \
         following it ignores pct and applies {} (disposition_rfc9989); a domain owner testing a \
         policy publishes t=y there instead.",
        unsampled.as_str(),
        rfc9989.as_str()
    ));
    Disposition {
        applied: unsampled,
        unsampled: Some(unsampled),
        rfc9989: (rfc9989 != unsampled).then_some(rfc9989),
        title: format!(
            "Disposition: {} (RFC 7489, pct=0: no failing message is sampled; RFC 9989, pct \
             historic: {})",
            unsampled.as_str(),
            rfc9989.as_str()
        ),
        explanation: e,
    }
}
