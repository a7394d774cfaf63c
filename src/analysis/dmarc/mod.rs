//! DMARC: policy discovery, the record and its tags, which policy applies, the verdict and the
//! disposition (RFC 9989, with RFC 7489 differences shown).
//!
//! Discovery is the DMARCbis DNS tree walk from the RFC 5322 From domain (as mail-auth 0.13 does
//! it): `_dmarc.<from-domain>` first, then up the tree; the record used is the From domain's own,
//! else the organizational domain's, else a public suffix domain's. RFC 7489's discovery
//! (`_dmarc.<from-domain>`, then the PSL organizational domain) is shown beside it. mail-auth's own
//! `verify_dmarc` runs on the same SPF/DKIM results; a different verdict is flagged, never hidden.

pub mod alignment;
pub mod authors;
mod cross_check;
pub mod discovery;
mod explain;
pub mod orgdomain;
pub mod policy;
pub mod record;
#[cfg(test)]
pub(crate) mod test_dns;
mod verdict;

use mail_auth::MessageAuthenticator;

use crate::analysis::model::{
    Alignment, AlignmentSide, AuthResult, DkimCheck, DmarcCheck, Header, SpfChecks,
};
use crate::analysis::step::{Outcome, Step};
use crate::analysis::trail::headers::{FromDomain, from_domain};
use crate::dns::Dns;

pub use alignment::{Identifier, OrgDomains, align_candidate, aligned_by_psl, is_aligned};
pub use discovery::{Discovery, DmarcLookup, fetch_dmarc_policy};
pub use orgdomain::{
    LevelRecord, TreeWalk, WalkLevel, alignment_domain, normalize_domain, org_domain_psl,
    org_domain_tree_walk, tree_walk,
};
pub use policy::{Existence, PolicyChoice, choose_policy};
pub use record::{
    DmarcRecord, NotDmarc, Policy, RecordError, RecordErrorKind, is_dmarc_record, parse_record,
    record_tags,
};

use alignment::{counts_for_dmarc, mode_word};
use authors::strictest_of;
use cross_check::{compare_several_authors, compare_with_mail_auth, mail_auth_dmarc};

/// Alignment and the DMARC verdict, once SPF and DKIM are known. `lookup` is the result of
/// [`fetch_dmarc_policy`] for the same From domain (fetched now when absent). `raw` is the message,
/// for mail-auth's own DMARC verdict (run on the same SPF/DKIM results, through `auth`).
pub async fn evaluate(
    dns: &Dns,
    auth: &MessageAuthenticator,
    raw: &[u8],
    from_domain: Option<&str>,
    lookup: Option<DmarcLookup>,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let from = from_domain.and_then(orgdomain::normalize_domain);
    let ours = async {
        match (&from, from_domain) {
            (Some(from), _) => {
                let lookup = match lookup {
                    Some(l) if l.from_domain == *from => l,
                    _ => fetch_dmarc_policy(dns, from).await,
                };
                evaluate_with_lookup(dns, from, lookup, spf, dkim).await
            }
            (None, written) => no_from_domain(written),
        }
    };
    let (ours, theirs) = tokio::join!(ours, mail_auth_dmarc(auth, raw, spf, dkim));
    let (alignment, mut check) = ours;
    compare_with_mail_auth(&mut check, theirs);
    (alignment, check)
}

/// [`evaluate`] for every author domain of the message, with the From headers attached to the
/// steps that read them (callers need not call [`attach_from_header`]).
///
/// One author domain (the usual case, also several mailboxes of one domain): exactly
/// `evaluate` on `headers::from_domain`. Several (several From headers, or a From with mailboxes
/// of different domains): RFC 7489 §6.6.1 says such mail is typically rejected; otherwise each
/// author domain is evaluated and the strictest outcome applies. The check then carries the
/// strictest domain's record, policy and result, `author_domains` lists each one, and a warning
/// step at the top says several author domains were found. `lookup` is reused for the domain it
/// was fetched for.
pub async fn evaluate_with_headers(
    dns: &Dns,
    auth: &MessageAuthenticator,
    raw: &[u8],
    headers: &[Header],
    lookup: Option<DmarcLookup>,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let authors = authors::from_domains(headers);
    if authors.len() < 2 {
        // One author domain, or none at all (then permerror). from_domain reads every From
        // header, so an empty or broken one above the real one does not hide it.
        let from = from_domain(headers);
        let (mut alignment, mut check) =
            evaluate(dns, auth, raw, from.domain.as_deref(), lookup, spf, dkim).await;
        if let Some(i) = from.header_index {
            attach_from_header(&mut alignment, &mut check, i);
        }
        if let (Some(error), Some(_)) = (&from.error, &from.domain) {
            check
                .steps
                .insert(0, from_problem_step(error, &from, headers));
        }
        return (alignment, check);
    }

    let ours = async {
        let mut lookup = lookup;
        let mut per = Vec::new();
        for (index, domain) in &authors {
            let l = match lookup.take() {
                Some(l) if l.from_domain == *domain => l,
                other => {
                    lookup = other;
                    fetch_dmarc_policy(dns, domain).await
                }
            };
            let (mut alignment, mut check) = evaluate_with_lookup(dns, domain, l, spf, dkim).await;
            attach_from_header(&mut alignment, &mut check, *index);
            per.push((*index, domain.clone(), alignment, check));
        }
        per
    };
    let (per, theirs) = tokio::join!(ours, mail_auth_dmarc(auth, raw, spf, dkim));
    let (alignment, mut check) = strictest_of(per, headers);
    compare_several_authors(&mut check, theirs, authors.len());
    (alignment, check)
}

/// The From header problems found on the way to the one author domain (an empty From above the
/// real one, several mailboxes of one domain, obsolete syntax...): a warning step at the top, so
/// the verdict below is read knowing them. Points at every From header.
fn from_problem_step(error: &str, from: &FromDomain, headers: &[Header]) -> Step {
    let mut step = Step::new(
        "From header problems",
        Outcome::Warning,
        format!(
            "{error}. RFC 7489 §6.6.1 expects one From header with one mailbox; receivers often \
             reject such messages. DMARC is evaluated below for the author domain {}.",
            from.domain.as_deref().unwrap_or("(none)")
        ),
    );
    for h in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
    {
        step = step.header(h.index);
    }
    step
}

/// Points the steps that read the From domain at its header (`headers::from_domain` knows which
/// header it was): the From-domain alignment step, and every DMARC step until the verdict.
pub fn attach_from_header(alignment: &mut Alignment, check: &mut DmarcCheck, header_index: usize) {
    if !check.author_domains.is_empty() {
        // Several author domains: evaluate_with_headers attached each domain's own header.
        return;
    }
    if let Some(step) = alignment.steps.first_mut() {
        *step = step.clone().header(header_index);
    }
    for step in check.steps.iter_mut() {
        let is_verdict = step.title.starts_with("Result:");
        *step = step.clone().header(header_index);
        if is_verdict {
            break;
        }
    }
}

fn no_from_domain(written: Option<&str>) -> (Alignment, DmarcCheck) {
    let why = match written {
        Some(w) => format!("The From domain {w:?} is not a valid domain name."),
        None => "The message has no usable RFC 5322 From domain (the From header is missing, \
                 empty or unparsable)."
            .to_string(),
    };
    let alignment = Alignment {
        steps: vec![Step::new(
            "No From domain to align with",
            Outcome::Error,
            format!(
                "{why} Alignment compares identifiers with the From domain, so there is nothing to compare."
            ),
        )],
        ..Default::default()
    };
    // permerror, as authheaders reports it: the message itself makes DMARC impossible to
    // evaluate (mail-auth says none; the comparison step shows that).
    let check = DmarcCheck {
        result: AuthResult::PermError,
        disposition: Some("none".into()),
        steps: vec![Step::new(
            "DMARC cannot be evaluated: no From domain",
            Outcome::Error,
            format!(
                "{why} DMARC is defined for exactly one From domain, so it cannot be evaluated \
                 (permerror) and no policy applies. RFC 7489 §6.6.1 lets receivers reject such \
                 messages outright."
            ),
        )],
        ..Default::default()
    };
    (alignment, check)
}

async fn evaluate_with_lookup(
    dns: &Dns,
    from: &str,
    lookup: DmarcLookup,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let record = match &lookup.discovery {
        Discovery::Found { record, .. } if record.fatal_error().is_none() => Some(record.as_ref()),
        _ => None,
    };
    let aspf = record.map(DmarcRecord::aspf).unwrap_or_default();
    let adkim = record.map(DmarcRecord::adkim).unwrap_or_default();

    // Identifiers: the SPF-authenticated domain and each DKIM d=, whatever their result, so a
    // view can say "aligned, but SPF softfail". Only a pass can make DMARC pass; a temperror on
    // an aligned identifier leaves DMARC undecided.
    let mut alignment_steps = Vec::new();
    let mut spf_idents = Vec::new();
    let mut dkim_idents = Vec::new();
    let mut not_considered = Vec::new();
    match (&spf.mail_from.domain, spf.mail_from.result) {
        (Some(d), r) => match orgdomain::alignment_domain(d) {
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
            (Some(d), r) => match orgdomain::alignment_domain(d) {
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
    alignment_steps.push(
        Step::new(
            format!("From domain {from}"),
            Outcome::Info,
            format!(
                "The RFC 5322 From domain is {from}. Its organizational domain is {} by the DNS \
                 tree walk (RFC 9989) and {} by the Public Suffix List (RFC 7489). SPF alignment is \
                 {}, DKIM alignment {}{}.",
                lookup.org_domain_tree_walk.as_deref().unwrap_or("unknown"),
                lookup.org_domain_psl.as_deref().unwrap_or("none (it is a public suffix)"),
                mode_word(aspf),
                mode_word(adkim),
                if record.is_some() {
                    " as the DMARC record says"
                } else {
                    " (the defaults: no usable DMARC record)"
                }
            ),
        )
        .queries(lookup.walk.queries()),
    );
    if !not_considered.is_empty() {
        alignment_steps.push(Step::new(
            "Identifiers not compared",
            Outcome::Skipped,
            format!(
                "These have no domain that can be compared with the From domain: {}.",
                not_considered.join(", ")
            ),
        ));
    }

    let mut orgs = OrgDomains::default();
    orgs.insert(from, &lookup.walk);
    // The candidates' tree walks do not depend on each other: run them side by side, so the time
    // to a verdict is one walk deep, not the sum of them.
    let mut walks = tokio::task::JoinSet::new();
    let mut to_walk: Vec<&str> = spf_idents
        .iter()
        .chain(dkim_idents.iter())
        .map(|i| i.domain.as_str())
        .filter(|d| *d != from)
        .collect();
    to_walk.sort_unstable();
    to_walk.dedup();
    for domain in to_walk {
        let (dns, domain) = (dns.clone(), domain.to_string());
        walks.spawn(async move {
            let walk = orgdomain::tree_walk(&dns, &domain).await;
            (domain, walk)
        });
    }
    // A walk that did not finish (a panicked task) is simply walked again below, in order.
    while let Some(joined) = walks.join_next().await {
        if let Ok((domain, walk)) = joined {
            orgs.insert(&domain, &walk);
        }
    }
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
    for (idents, side) in [(&spf_idents, &mut spf_side), (&dkim_idents, &mut dkim_side)] {
        for ident in idents.iter() {
            let (cand, step, failed) =
                align_candidate(dns, &mut orgs, ident, from, from_org, side.mode).await;
            // Only an identifier that can decide DMARC makes a failed walk matter.
            walk_failed |= failed && !cand.aligned && counts_for_dmarc(cand.result);
            side.aligned |= cand.aligned && cand.result == AuthResult::Pass;
            side.candidates.push(cand);
            alignment_steps.push(step);
        }
    }
    if !spf_idents
        .iter()
        .chain(dkim_idents.iter())
        .any(|i| counts_for_dmarc(i.result))
    {
        alignment_steps.push(Step::new(
            "No authenticated identifier",
            Outcome::NoMatch,
            "Neither SPF nor any DKIM signature passed, so no identifier can make DMARC pass, \
             aligned or not.",
        ));
    }

    // Where the PSL and the tree walk disagree on an organizational domain.
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
                if cand.aligned {
                    "aligned"
                } else {
                    "not aligned"
                },
                if cand.aligned_by_psl {
                    "aligned"
                } else {
                    "not aligned"
                }
            ));
        }
    }
    let psl_disagreement = !disagreements.is_empty() || !verdict_changes.is_empty();
    if psl_disagreement {
        alignment_steps.push(
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
        );
    }

    let alignment = Alignment {
        from_domain: Some(from.to_string()),
        from_org_domain_tree_walk: lookup.org_domain_tree_walk.clone(),
        from_org_domain_psl: lookup.org_domain_psl.clone(),
        spf: spf_side,
        dkim: dkim_side,
        psl_disagreement,
        steps: alignment_steps,
    };
    let check = verdict::verdict(lookup, &alignment, walk_failed);
    (alignment, check)
}

#[cfg(test)]
mod tests;
