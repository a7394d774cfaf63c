//! DMARC: policy discovery, the record and its tags, which policy applies, the verdict and the
//! disposition (RFC 9989, with RFC 7489 differences shown).
//!
//! Discovery is the DMARCbis DNS tree walk from the RFC 5322 From domain (as mail-auth 0.13 does
//! it): `_dmarc.<from-domain>` first, then up the tree; the record used is the From domain's own,
//! else the organizational domain's, else a public suffix domain's. RFC 7489's discovery
//! (`_dmarc.<from-domain>`, then the PSL organizational domain) is shown beside it. mail-auth's own
//! `verify_dmarc` runs on the same SPF/DKIM results; a different verdict is flagged, never hidden.
//!
//! In the order a receiver goes: [`record`] (the grammar), [`orgdomain`] (the tree walk and the
//! PSL), [`discovery`] (which record applies, its steps in `explain`), [`policy`] (p/sp/np, the
//! disposition), [`alignment`], `verdict`, and [`authors`] when a message has several author
//! domains; `cross_check` sets mail-auth's verdict beside ours. This file holds the entry points.

pub mod alignment;
pub mod authors;
mod cross_check;
pub mod discovery;
mod explain;
pub mod orgdomain;
pub mod policy;
pub mod record;
mod verdict;

use super::authenticator::MailAuth;

use crate::analysis::model::{
    Alignment, AuthResult, DkimCheck, DmarcCheck, Envelope, Header, SpfChecks,
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

use authors::strictest_of;
use cross_check::{compare_several_authors, compare_with_mail_auth, mail_auth_dmarc};

/// Alignment and the DMARC verdict, once SPF and DKIM are known. `lookup` is the result of
/// [`fetch_dmarc_policy`] for the same From domain (fetched now when absent). `raw` is the message,
/// for mail-auth's own DMARC verdict (run on the same SPF/DKIM results, through `auth`).
pub async fn evaluate(
    dns: &Dns,
    auth: &MailAuth,
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
    auth: &MailAuth,
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

    // Independent author domains are looked up at once (budget: the first
    // MAX_AUTHOR_DOMAINS, the rest counted in a warning); the lookup already made for the main
    // domain is reused.
    let authors: Vec<(usize, String)> = authors
        .into_iter()
        .take(authors::MAX_AUTHOR_DOMAINS)
        .collect();
    let mut lookup = lookup;
    let ours = futures_util::future::join_all(authors.iter().map(|(index, domain)| {
        let ready = match lookup.take() {
            Some(l) if l.from_domain == *domain => Some(l),
            other => {
                lookup = other;
                None
            }
        };
        async move {
            let l = match ready {
                Some(l) => l,
                None => fetch_dmarc_policy(dns, domain).await,
            };
            let (mut alignment, mut check) = evaluate_with_lookup(dns, domain, l, spf, dkim).await;
            attach_from_header(&mut alignment, &mut check, *index);
            (*index, domain.clone(), alignment, check)
        }
    }));
    let (per, theirs) = tokio::join!(ours, mail_auth_dmarc(auth, raw, spf, dkim));
    let (alignment, mut check) = strictest_of(per, headers);
    compare_several_authors(&mut check, theirs, authors.len());
    (alignment, check)
}

/// Starts, before any check runs, every DMARC lookup whose name the message already gives: the
/// tree walks of each author domain, of the SPF identity's domain (MAIL FROM, or HELO for the
/// null reverse-path) and of each DKIM `d=`, and, for an author domain below its organizational
/// domain, the existence check `np` may need. The evaluation later asks the same questions and
/// gets these answers (the [`Dns`] handle shares them), so alignment and DMARC wait on no round
/// trip of their own once SPF and DKIM are done.
pub fn prefetch(dns: &Dns, headers: &[Header], envelope: &Envelope) {
    let authors = authors::from_domains(headers);
    let mut walked: Vec<String> = Vec::new();
    for (_, domain) in authors.iter().take(authors::MAX_AUTHOR_DOMAINS) {
        if org_domain_psl(domain).as_ref() != Some(domain) {
            discovery::prefetch_existence(dns, domain);
        }
        walked.push(domain.clone());
    }
    let spf_domain = envelope
        .spf_mail_from
        .as_deref()
        .map(|s| s.rsplit_once('@').map_or(s, |(_, d)| d));
    let dkim_domains = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("dkim-signature"))
        .take(crate::analysis::dkim::MAX_SIGNATURES)
        .filter_map(|h| signing_domain(&h.value));
    for domain in spf_domain.into_iter().chain(dkim_domains) {
        if let Some(d) = alignment_domain(domain)
            && !walked.contains(&d)
        {
            walked.push(d);
        }
    }
    for domain in &walked {
        orgdomain::prefetch_walk(dns, domain);
    }
}

/// The `d=` of a DKIM-Signature value, read leniently (the DKIM check judges the signature).
fn signing_domain(value: &str) -> Option<&str> {
    value.split(';').find_map(|tag| {
        let (name, value) = tag.split_once('=')?;
        (name.trim() == "d").then(|| value.trim())
    })
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

/// The DMARC tag the applied policy came from, when it is `p`, `sp` or `np`.
pub fn policy_tag(d: &crate::analysis::DmarcCheck) -> Option<&str> {
    d.policy_tag
        .as_deref()
        .filter(|t| matches!(*t, "p" | "sp" | "np"))
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

/// Alignment, then the verdict, for one author domain whose record lookup is done.
async fn evaluate_with_lookup(
    dns: &Dns,
    from: &str,
    lookup: DmarcLookup,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let (alignment, walk_failed) =
        alignment::align_identifiers(dns, from, &lookup, spf, dkim).await;
    let check = verdict::verdict(lookup, &alignment, walk_failed);
    (alignment, check)
}

#[cfg(test)]
pub(crate) mod test_dns;
#[cfg(test)]
mod tests;
