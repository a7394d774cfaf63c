//! Identifier alignment (RFC 9989 §4.4, RFC 7489 §3.1): each SPF and DKIM identifier set against
//! the From domain, by the tree walk's organizational domains and, beside them, the PSL's.

use crate::analysis::model::{
    Alignment, AlignmentCandidate, AlignmentMode, AlignmentSide, AuthResult, DkimCheck, SpfChecks,
};
use crate::analysis::step::{Outcome, Step};
use crate::dns::{Dns, QueryKey};

use super::discovery::{Discovery, DmarcLookup};
use super::orgdomain::{TreeWalk, alignment_domain, org_domain_psl, tree_walk};
use super::record::DmarcRecord;

/// Strict: the same name. Relaxed: the same organizational domain, as `org_of` finds it.
pub fn is_aligned(
    domain: &str,
    from_domain: &str,
    mode: AlignmentMode,
    org_of: impl Fn(&str) -> Option<String>,
) -> bool {
    if domain == from_domain {
        return true;
    }
    match mode {
        AlignmentMode::Strict => false,
        AlignmentMode::Relaxed => match (org_of(domain), org_of(from_domain)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

/// Alignment by the Public Suffix List alone (RFC 7489 §3.1), on names as written.
pub fn aligned_by_psl(domain: &str, from_domain: &str, mode: AlignmentMode) -> bool {
    match (alignment_domain(domain), alignment_domain(from_domain)) {
        (Some(d), Some(f)) => is_aligned(&d, &f, mode, org_domain_psl),
        _ => false,
    }
}

/// An identifier to set against the From domain, before alignment is decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Identifier {
    /// `spf` or `dkim`.
    pub method: &'static str,
    pub domain: String,
    pub result: AuthResult,
    /// Header index (DKIM-Signature) it came from, if any.
    pub header_index: Option<usize>,
}

/// Organizational domains looked up so far, so one domain is walked once per analysis.
#[derive(Default)]
pub struct OrgDomains {
    known: Vec<(String, Option<String>, Vec<QueryKey>, String)>,
}

impl OrgDomains {
    pub fn insert(&mut self, domain: &str, walk: &TreeWalk) {
        if self.known.iter().any(|(d, ..)| d == domain) {
            return;
        }
        let org = walk.organizational_domain();
        let why = org.as_ref().map(|(_, w)| w.clone()).unwrap_or_else(|| {
            format!(
                "temporary DNS error at _dmarc.{}",
                walk.temp_error.as_deref().unwrap_or(domain)
            )
        });
        self.known
            .push((domain.to_string(), org.map(|(o, _)| o), walk.queries(), why));
    }

    /// The tree-walk organizational domain of `domain`, walking the DNS if not yet known.
    pub async fn resolve(
        &mut self,
        dns: &Dns,
        domain: &str,
    ) -> (Option<String>, Vec<QueryKey>, String) {
        if let Some((_, org, q, why)) = self.known.iter().find(|(d, ..)| d == domain) {
            return (org.clone(), q.clone(), why.clone());
        }
        let walk = tree_walk(dns, domain).await;
        self.insert(domain, &walk);
        self.known
            .iter()
            .find(|(d, ..)| d == domain)
            .map(|(_, org, q, why)| (org.clone(), q.clone(), why.clone()))
            .unwrap_or((None, Vec::new(), String::new()))
    }
}

/// One candidate row with both organizational domains and both verdicts, and its step.
pub async fn align_candidate(
    dns: &Dns,
    orgs: &mut OrgDomains,
    ident: &Identifier,
    from_domain: &str,
    from_org_tree_walk: Option<&str>,
    mode: AlignmentMode,
) -> (AlignmentCandidate, Step, bool) {
    let (org_tw, queries, why) = orgs.resolve(dns, &ident.domain).await;
    let org_psl = org_domain_psl(&ident.domain);
    let walk_failed = org_tw.is_none();
    let aligned = ident.domain == from_domain
        || (mode == AlignmentMode::Relaxed
            && matches!((org_tw.as_deref(), from_org_tree_walk), (Some(a), Some(b)) if a == b));
    let aligned_psl = is_aligned(&ident.domain, from_domain, mode, org_domain_psl);
    let mut explanation = domains_explanation(
        ident,
        from_domain,
        mode,
        (org_tw.as_deref(), from_org_tree_walk),
        &why,
    );
    explanation.push_str(&result_explanation(ident, aligned, aligned_psl));
    let (outcome, verdict) = candidate_verdict(ident, aligned, walk_failed);
    let mut step = Step::new(
        format!(
            "{} {} vs From {from_domain} ({}): {verdict}",
            ident.method.to_uppercase(),
            ident.domain,
            mode_word(mode)
        ),
        outcome,
        explanation,
    )
    .queries(queries)
    .fact("domain", ident.domain.clone())
    .fact(
        "org_domain_tree_walk",
        org_tw.clone().unwrap_or_else(|| "?".into()),
    )
    .fact(
        "org_domain_psl",
        org_psl.clone().unwrap_or_else(|| "-".into()),
    )
    // Labelled: the step's verdict is about alignment, this is the identifier's own result.
    .fact(format!("{}_result", ident.method), ident.result.as_str());
    if let Some(h) = ident.header_index {
        step = step.header(h);
    }
    let candidate = AlignmentCandidate {
        domain: ident.domain.clone(),
        org_domain_tree_walk: org_tw,
        org_domain_psl: org_psl,
        aligned,
        aligned_by_psl: aligned_psl,
        result: ident.result,
        header_index: ident.header_index,
    };
    (candidate, step, walk_failed)
}

/// Whether the identifier's domain aligns with the From domain, in words: the same name, or
/// (relaxed) the same organizational domain by the tree walk (`orgs`: the identifier's, the
/// From domain's). `why` says why a walk found none.
fn domains_explanation(
    ident: &Identifier,
    from_domain: &str,
    mode: AlignmentMode,
    orgs: (Option<&str>, Option<&str>),
    why: &str,
) -> String {
    let what = match ident.method {
        "spf" => "the SPF-authenticated (MAIL FROM) domain".to_string(),
        _ => format!("DKIM d={}", ident.domain),
    };
    if ident.domain == from_domain {
        format!("{what} is {from_domain}, the From domain itself: aligned in either mode.")
    } else if mode == AlignmentMode::Strict {
        format!(
            "{what} ({}) is not exactly the From domain {from_domain}, and the record asks for \
             strict alignment ({}=s): not aligned.",
            ident.domain,
            if ident.method == "spf" {
                "aspf"
            } else {
                "adkim"
            }
        )
    } else {
        match orgs {
            (Some(a), Some(b)) if a == b => format!(
                "{what} ({}) and the From domain {from_domain} share the organizational domain \
                 {a} (relaxed alignment): aligned.",
                ident.domain
            ),
            (Some(a), Some(b)) => format!(
                "{what} ({}) has organizational domain {a}, the From domain {from_domain} has \
                 {b}: not aligned.",
                ident.domain
            ),
            _ => format!(
                "The organizational domain of {} could not be found ({why}), so relaxed \
                 alignment cannot be shown.",
                ident.domain
            ),
        }
    }
}

/// What the identifier's own SPF/DKIM result means for DMARC, and what the PSL would say when it
/// differs (empty when there is nothing to add).
fn result_explanation(ident: &Identifier, aligned: bool, aligned_psl: bool) -> String {
    let method = ident.method.to_uppercase();
    let mut explanation = String::new();
    if ident.result == AuthResult::TempError {
        explanation.push_str(&format!(
            " But {method} itself returned temperror, so this identifier cannot make DMARC pass{}.",
            if aligned {
                "; being aligned, it leaves DMARC undecided"
            } else {
                ""
            }
        ));
    } else if ident.result != AuthResult::Pass {
        explanation.push_str(&format!(
            " But {method} itself returned {}, so this identifier cannot make DMARC pass: for \
             DMARC only an identifier that passed counts as aligned.",
            ident.result
        ));
    }
    if aligned != aligned_psl {
        explanation.push_str(&format!(
            " By the Public Suffix List (RFC 7489) it would be {}.",
            aligned_word(aligned_psl)
        ));
    }
    explanation
}

/// The candidate's outcome and verdict words. Match only for what DMARC counts as aligned: the
/// domains match *and* the check passed.
fn candidate_verdict(ident: &Identifier, aligned: bool, walk_failed: bool) -> (Outcome, String) {
    let method = ident.method.to_uppercase();
    let passed = ident.result == AuthResult::Pass;
    if aligned && passed {
        (Outcome::Match, "aligned".to_string())
    } else if aligned {
        (
            Outcome::Warning,
            format!("domains aligned, but {method} {}", ident.result),
        )
    } else if walk_failed && counts_for_dmarc(ident.result) {
        (Outcome::Error, "alignment unknown (DNS error)".to_string())
    } else if passed {
        (Outcome::NoMatch, "not aligned".to_string())
    } else {
        (
            Outcome::NoMatch,
            format!("not aligned, and {method} {}", ident.result),
        )
    }
}

/// The identifiers DMARC sets against the From domain: the SPF-authenticated domain and each
/// DKIM d=, whatever their result, so a view can say "aligned, but SPF softfail". Only a pass
/// can make DMARC pass; a temperror on an aligned identifier leaves DMARC undecided.
struct Identifiers {
    spf: Vec<Identifier>,
    dkim: Vec<Identifier>,
    /// Those without a domain that can be compared, in words.
    not_considered: Vec<String>,
}

fn identifiers(spf: &SpfChecks, dkim: &[DkimCheck]) -> Identifiers {
    let mut spf_idents = Vec::new();
    let mut dkim_idents = Vec::new();
    let mut not_considered = Vec::new();
    match (&spf.mail_from.domain, spf.mail_from.result) {
        (Some(d), r) => match alignment_domain(d) {
            Some(domain) => spf_idents.push(Identifier {
                method: "spf",
                domain,
                result: r,
                header_index: None,
            }),
            None => not_considered.push(format!("SPF for {d:?} (not a valid domain name)")),
        },
        (None, r) => not_considered.push(format!("SPF (no MAIL FROM domain, {r})")),
    }
    for check in dkim {
        match (&check.domain, check.result) {
            (Some(d), r) => match alignment_domain(d) {
                Some(domain) => dkim_idents.push(Identifier {
                    method: "dkim",
                    domain,
                    result: r,
                    header_index: Some(check.header_index),
                }),
                None => not_considered.push(format!("DKIM d={d:?} (not a valid domain name)")),
            },
            (None, r) => not_considered.push(format!("a DKIM signature without d= ({r})")),
        }
    }
    Identifiers {
        spf: spf_idents,
        dkim: dkim_idents,
        not_considered,
    }
}

/// Every identifier aligned with the From domain (RFC 9989 §4.4), in the modes the record asks
/// for (the defaults without a usable record), and whether an organizational domain that could
/// decide DMARC was lost to a DNS error.
pub(super) async fn align_identifiers(
    dns: &Dns,
    from: &str,
    lookup: &DmarcLookup,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, bool) {
    let record = match &lookup.discovery {
        Discovery::Found { record, .. } if record.fatal_error().is_none() => Some(record.as_ref()),
        _ => None,
    };
    let aspf = record.map(DmarcRecord::aspf).unwrap_or_default();
    let adkim = record.map(DmarcRecord::adkim).unwrap_or_default();
    let ids = identifiers(spf, dkim);
    let mut steps = vec![from_domain_step(
        from,
        lookup,
        aspf,
        adkim,
        record.is_some(),
    )];
    if !ids.not_considered.is_empty() {
        steps.push(Step::new(
            "Identifiers not compared",
            Outcome::Skipped,
            format!(
                "These have no domain that can be compared with the From domain: {}.",
                ids.not_considered.join(", ")
            ),
        ));
    }

    let mut orgs = walk_identifier_domains(dns, from, &lookup.walk, &ids).await;
    let from_org = lookup.org_domain_tree_walk.as_deref();
    let mut spf_side = AlignmentSide {
        mode: aspf,
        ..Default::default()
    };
    let mut dkim_side = AlignmentSide {
        mode: adkim,
        ..Default::default()
    };
    let mut walk_failed = lookup.org_domain_tree_walk.is_none();
    for (idents, side) in [(&ids.spf, &mut spf_side), (&ids.dkim, &mut dkim_side)] {
        for ident in idents.iter() {
            let (cand, step, failed) =
                align_candidate(dns, &mut orgs, ident, from, from_org, side.mode).await;
            // Only an identifier that can decide DMARC makes a failed walk matter.
            walk_failed |= failed && !cand.aligned && counts_for_dmarc(cand.result);
            side.aligned |= cand.aligned && cand.result == AuthResult::Pass;
            side.candidates.push(cand);
            steps.push(step);
        }
    }
    if !ids
        .spf
        .iter()
        .chain(ids.dkim.iter())
        .any(|i| counts_for_dmarc(i.result))
    {
        steps.push(Step::new(
            "No authenticated identifier",
            Outcome::NoMatch,
            "Neither SPF nor any DKIM signature passed, so no identifier can make DMARC pass, \
             aligned or not.",
        ));
    }

    let disagreement = psl_disagreement_step(from, lookup, &spf_side, &dkim_side);
    let psl_disagreement = disagreement.is_some();
    steps.extend(disagreement);
    let alignment = Alignment {
        from_domain: Some(from.to_string()),
        from_org_domain_tree_walk: lookup.org_domain_tree_walk.clone(),
        from_org_domain_psl: lookup.org_domain_psl.clone(),
        spf: spf_side,
        dkim: dkim_side,
        psl_disagreement,
        steps,
    };
    (alignment, walk_failed)
}

/// The From domain, its organizational domains and the alignment modes in force.
fn from_domain_step(
    from: &str,
    lookup: &DmarcLookup,
    aspf: AlignmentMode,
    adkim: AlignmentMode,
    has_record: bool,
) -> Step {
    Step::new(
        format!("From domain {from}"),
        Outcome::Info,
        format!(
            "The RFC 5322 From domain is {from}. Its organizational domain is {} by the DNS \
             tree walk (RFC 9989) and {} by the Public Suffix List (RFC 7489). SPF alignment is \
             {}, DKIM alignment {}{}.",
            lookup.org_domain_tree_walk.as_deref().unwrap_or("unknown"),
            lookup
                .org_domain_psl
                .as_deref()
                .unwrap_or("none (it is a public suffix)"),
            mode_word(aspf),
            mode_word(adkim),
            if has_record {
                " as the DMARC record says"
            } else {
                " (the defaults: no usable DMARC record)"
            }
        ),
    )
    .queries(lookup.walk.queries())
}

/// The organizational domains of the identifiers' domains (and the From domain's, already
/// walked). The walks do not depend on each other: they run side by side, so the time to a
/// verdict is one walk deep, not the sum of them.
async fn walk_identifier_domains(
    dns: &Dns,
    from: &str,
    from_walk: &TreeWalk,
    ids: &Identifiers,
) -> OrgDomains {
    let mut orgs = OrgDomains::default();
    orgs.insert(from, from_walk);
    let mut walks = tokio::task::JoinSet::new();
    let mut to_walk: Vec<&str> = ids
        .spf
        .iter()
        .chain(ids.dkim.iter())
        .map(|i| i.domain.as_str())
        .filter(|d| *d != from)
        .collect();
    to_walk.sort_unstable();
    to_walk.dedup();
    for domain in to_walk {
        let (dns, domain) = (dns.clone(), domain.to_string());
        walks.spawn(async move {
            let walk = tree_walk(&dns, &domain).await;
            (domain, walk)
        });
    }
    // A walk that did not finish (a panicked task) is simply walked again later, in order.
    while let Some(joined) = walks.join_next().await {
        if let Ok((domain, walk)) = joined {
            orgs.insert(&domain, &walk);
        }
    }
    orgs
}

/// Where the PSL and the tree walk disagree on an organizational domain, and whether that
/// changes an alignment verdict that counts; `None` when they agree everywhere.
fn psl_disagreement_step(
    from: &str,
    lookup: &DmarcLookup,
    spf_side: &AlignmentSide,
    dkim_side: &AlignmentSide,
) -> Option<Step> {
    let mut disagreements = Vec::new();
    if let Some(tw) = &lookup.org_domain_tree_walk
        && Some(tw) != lookup.org_domain_psl.as_ref()
    {
        disagreements.push(format!(
            "{from}: {tw} (tree walk) vs {} (PSL)",
            lookup.org_domain_psl.as_deref().unwrap_or("none")
        ));
    }
    let mut verdict_changes = Vec::new();
    for cand in spf_side
        .candidates
        .iter()
        .chain(dkim_side.candidates.iter())
    {
        if let Some(tw) = &cand.org_domain_tree_walk
            && Some(tw) != cand.org_domain_psl.as_ref()
        {
            let line = format!(
                "{}: {tw} (tree walk) vs {} (PSL)",
                cand.domain,
                cand.org_domain_psl.as_deref().unwrap_or("none")
            );
            if !disagreements.contains(&line) {
                disagreements.push(line);
            }
        }
        if cand.aligned != cand.aligned_by_psl && counts_for_dmarc(cand.result) {
            verdict_changes.push(format!(
                "{} is {} by the tree walk but {} by the PSL",
                cand.domain,
                aligned_word(cand.aligned),
                aligned_word(cand.aligned_by_psl)
            ));
        }
    }
    if disagreements.is_empty() && verdict_changes.is_empty() {
        return None;
    }
    Some(
        Step::new(
            "Tree walk and Public Suffix List disagree",
            Outcome::Warning,
            format!(
                "Organizational domains differ — {}. {}",
                if disagreements.is_empty() {
                    "none".to_string()
                } else {
                    disagreements.join("; ")
                },
                if verdict_changes.is_empty() {
                    "No alignment verdict changes because of it.".to_string()
                } else {
                    format!(
                        "This changes alignment: {}. A receiver using RFC 7489 would decide \
                         differently from one using RFC 9989.",
                        verdict_changes.join("; ")
                    )
                }
            ),
        )
        .fact("domains", disagreements.join("; ")),
    )
}

fn aligned_word(aligned: bool) -> &'static str {
    if aligned { "aligned" } else { "not aligned" }
}

/// Whether an identifier with this SPF/DKIM result can decide DMARC: a pass can make it pass, a
/// temperror can make it undecidable; any other result is shown but cannot change the verdict.
fn counts_for_dmarc(result: AuthResult) -> bool {
    matches!(result, AuthResult::Pass | AuthResult::TempError)
}

fn mode_word(mode: AlignmentMode) -> &'static str {
    match mode {
        AlignmentMode::Relaxed => "relaxed",
        AlignmentMode::Strict => "strict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_needs_the_same_name_relaxed_the_same_org() {
        assert!(!aligned_by_psl(
            "mail.example.com",
            "example.com",
            AlignmentMode::Strict
        ));
        assert!(aligned_by_psl(
            "mail.example.com",
            "example.com",
            AlignmentMode::Relaxed
        ));
        assert!(aligned_by_psl(
            "Example.COM",
            "example.com",
            AlignmentMode::Strict
        ));
        assert!(!aligned_by_psl(
            "example.net",
            "example.com",
            AlignmentMode::Relaxed
        ));
        // Two registrants under one public suffix are different organizations.
        assert!(!aligned_by_psl(
            "a.co.uk",
            "b.co.uk",
            AlignmentMode::Relaxed
        ));
    }
}
