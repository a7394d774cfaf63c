//! Policy discovery (RFC 9989 §4.10): the record used for the From domain — its own, else its
//! organizational domain's, else a public suffix domain's — with RFC 7489's discovery (the PSL
//! organizational domain) checked beside it, and whether the From domain exists (for `np`).

use crate::analysis::step::{Outcome, Step};
use crate::dns::{Dns, DnsOutcome, QueryKey, RecordType};

use super::explain;
use super::orgdomain::{
    LevelRecord, TreeWalk, WalkLevel, classify_txt, normalize_domain, org_domain_psl, tree_walk,
};
use super::policy::{Existence, PolicyChoice, choose_policy};
use super::record::{DmarcRecord, record_tags};

/// The questions of [`check_existence`], asked ahead of need (RFC 9091: `np` applies to a
/// From domain that does not exist; whether that matters is known only after the walk).
pub(super) fn prefetch_existence(dns: &Dns, domain: &str) {
    for rtype in EXISTENCE_TYPES {
        dns.prefetch(domain, rtype);
    }
}

/// A name exists when it has any of these (or answers NODATA for them).
const EXISTENCE_TYPES: [RecordType; 3] = [RecordType::A, RecordType::AAAA, RecordType::MX];

async fn check_existence(dns: &Dns, domain: &str) -> Existence {
    let (a, aaaa, mx) = tokio::join!(
        dns.query(domain, RecordType::A),
        dns.query(domain, RecordType::AAAA),
        dns.query(domain, RecordType::MX)
    );
    let outcomes = vec![
        (RecordType::A, a.outcome),
        (RecordType::AAAA, aaaa.outcome),
        (RecordType::MX, mx.outcome),
    ];
    let exists = if outcomes.iter().all(|(_, o)| *o == DnsOutcome::NxDomain) {
        Some(false)
    } else if outcomes
        .iter()
        .any(|(_, o)| matches!(o, DnsOutcome::Answers | DnsOutcome::NoData))
    {
        Some(true)
    } else if outcomes.iter().any(|(_, o)| o.is_temporary_error()) {
        None
    } else {
        Some(true)
    };
    Existence {
        exists,
        outcomes,
        queries: EXISTENCE_TYPES
            .into_iter()
            .map(|t| QueryKey::new(domain, t))
            .collect(),
    }
}

/// Which record policy discovery settled on.
#[derive(Debug, Clone, PartialEq)]
pub enum Discovery {
    /// No DMARC record for the From domain, its organizational domain or a public suffix domain.
    NoRecord,
    /// A query failed temporarily (the name is given).
    TempError { name: String },
    /// Several DMARC records at the name the policy would come from: DMARC is not applied.
    Multiple { domain: String, count: usize },
    Found {
        domain: String,
        record: Box<DmarcRecord>,
        /// True when the record is the From domain's own.
        is_author: bool,
        /// How it was found, in words.
        via: String,
    },
}

/// The DMARC record lookup for one From domain, with its steps. Made by [`fetch_dmarc_policy`]
/// while SPF and DKIM run; [`evaluate`](super::evaluate) finishes the job.
#[derive(Debug, Clone, PartialEq)]
pub struct DmarcLookup {
    pub from_domain: String,
    pub walk: TreeWalk,
    /// Organizational domain of the From domain by the tree walk (`None` after a DNS error).
    pub org_domain_tree_walk: Option<String>,
    pub org_domain_reason: String,
    pub org_domain_psl: Option<String>,
    pub discovery: Discovery,
    /// The domain whose record RFC 7489 discovery (From domain, then PSL organizational domain)
    /// would use, when it finds one.
    pub psl_record_domain: Option<String>,
    pub existence: Option<Existence>,
    pub choice: Option<PolicyChoice>,
    pub steps: Vec<Step>,
}

/// Fetches `_dmarc.<from-domain>` and walks up to the organizational domain (RFC 9989 §4.10),
/// checks the RFC 7489 (PSL) discovery beside it, and, for a subdomain, whether the From domain
/// exists (for `np`). Every query is a step with its evidence.
pub async fn fetch_dmarc_policy(dns: &Dns, from_domain: &str) -> DmarcLookup {
    let from = normalize_domain(from_domain).unwrap_or_else(|| from_domain.to_string());
    // RFC 9989 §4.10: the DNS tree walk, and the organizational domain it settles.
    let walk = tree_walk(dns, &from).await;
    let mut steps = walk.query_steps();
    if walk.levels.is_empty() {
        steps.push(explain::no_lookup_step(&from));
    }
    let org = walk.organizational_domain();
    let org_psl = org_domain_psl(&from);
    let (org_tw, org_reason) = match &org {
        Some((o, why)) => (Some(o.clone()), why.clone()),
        None => (None, "temporary DNS error during the tree walk".to_string()),
    };
    let (psl_record_domain, psl_queries) =
        rfc7489_record_domain(dns, &walk, org_psl.as_ref()).await;
    steps.push(explain::org_domain_step(
        &from,
        &walk,
        org_tw.as_deref(),
        &org_reason,
        org_psl.as_deref(),
    ));

    // RFC 9989 §4.10.1: the record used, then which of its policies applies.
    let discovery = discover(&walk, org_tw.as_deref());
    let (existence, choice) = match &discovery {
        Discovery::Found {
            domain,
            record,
            is_author,
            via,
        } => {
            steps.push(explain::record_used_step(domain, record, via));
            steps.push(explain::tags_step(&record_tags(record), domain));
            applicable_policy(dns, &from, domain, record, *is_author, &mut steps).await
        }
        ended => {
            steps.extend(ended_step(ended, &from, &walk));
            (None, None)
        }
    };

    let tw_record_domain = match &discovery {
        Discovery::Found { domain, .. } => Some(domain.clone()),
        _ => None,
    };
    if walk.temp_error.is_none() && tw_record_domain != psl_record_domain {
        steps.push(explain::rfc7489_differs_step(
            tw_record_domain.as_deref(),
            org_psl.as_deref(),
            psl_record_domain.as_deref(),
            psl_queries,
        ));
    }

    DmarcLookup {
        from_domain: from,
        walk,
        org_domain_tree_walk: org_tw,
        org_domain_reason: org_reason,
        org_domain_psl: org_psl,
        discovery,
        psl_record_domain,
        existence,
        choice,
        steps,
    }
}

/// RFC 7489 §6.6.3 discovery, beside the tree walk: the From domain's record, else the PSL
/// organizational domain's. The domain whose record it would use, and the queries it read
/// (one more query when the walk stopped before the PSL organizational domain).
async fn rfc7489_record_domain(
    dns: &Dns,
    walk: &TreeWalk,
    org_psl: Option<&String>,
) -> (Option<String>, Vec<QueryKey>) {
    let mut psl_record_domain = None;
    let mut psl_queries = Vec::new();
    let Some(first) = walk.levels.first() else {
        return (psl_record_domain, psl_queries);
    };
    psl_queries.push(first.query.clone());
    match &first.record {
        LevelRecord::One(_) => psl_record_domain = Some(first.name.clone()),
        LevelRecord::Multiple(_) => {}
        LevelRecord::None if first.outcome.is_temporary_error() => {}
        LevelRecord::None => {
            if let Some(psl_org) = org_psl.filter(|o| **o != first.name) {
                let record = match walk.level(psl_org) {
                    Some(level) => {
                        psl_queries.push(level.query.clone());
                        level.record.clone()
                    }
                    None if walk.temp_error.is_none() => {
                        // The walk stopped before reaching it (psd= or the query cap).
                        let qname = format!("_dmarc.{psl_org}");
                        let answer = dns.query(&qname, RecordType::TXT).await;
                        psl_queries.push(QueryKey::new(&qname, RecordType::TXT));
                        if answer.outcome == DnsOutcome::Answers {
                            classify_txt(&answer.txt())
                        } else {
                            LevelRecord::None
                        }
                    }
                    None => LevelRecord::None,
                };
                if matches!(record, LevelRecord::One(_)) {
                    psl_record_domain = Some(psl_org.clone());
                }
            }
        }
    }
    (psl_record_domain, psl_queries)
}

/// The policy a usable record gives (none from a broken one: that is a permerror), with its
/// step. For a subdomain whose record sets an `np` that differs from `sp`, whether the From
/// domain exists decides between them (RFC 9091), so that is asked first.
async fn applicable_policy(
    dns: &Dns,
    from: &str,
    record_domain: &str,
    record: &DmarcRecord,
    is_author: bool,
    steps: &mut Vec<Step>,
) -> (Option<Existence>, Option<PolicyChoice>) {
    if record.fatal_error().is_some() {
        return (None, None);
    }
    let needs_existence = !is_author
        && record.p.is_some()
        && record.np.is_some()
        && record.np != record.sp.or(record.p);
    let existence = if needs_existence {
        Some(check_existence(dns, from).await)
    } else {
        None
    };
    let choice = choose_policy(record, is_author, from, record_domain, existence.as_ref());
    steps.push(explain::policy_step(&choice, existence.as_ref()));
    (existence, Some(choice))
}

/// The step saying why discovery found no record to use (none for a name not looked up).
fn ended_step(discovery: &Discovery, from: &str, walk: &TreeWalk) -> Option<Step> {
    match discovery {
        Discovery::Found { .. } => None,
        Discovery::NoRecord if !walk.levels.is_empty() => Some(
            Step::new(
                "No DMARC record",
                Outcome::Skipped,
                format!(
                    "Neither {from} nor any domain above it publishes a DMARC record: DMARC does \
                     not apply (result none)."
                ),
            )
            .queries(walk.queries()),
        ),
        Discovery::NoRecord => None,
        Discovery::TempError { name } => Some(
            Step::new(
                "DMARC record lookup failed",
                Outcome::Error,
                format!(
                    "The query for _dmarc.{name} failed temporarily, so the policy (and the \
                     organizational domain) cannot be known: DMARC temperror. Trying again later \
                     may succeed."
                ),
            )
            .query(QueryKey::new(&format!("_dmarc.{name}"), RecordType::TXT)),
        ),
        Discovery::Multiple { domain, count } => Some(
            Step::new(
                format!("{count} DMARC records at _dmarc.{domain}"),
                Outcome::Error,
                format!(
                    "_dmarc.{domain} publishes {count} records starting with v=DMARC1. A domain \
                     must publish exactly one; with several, policy discovery ends and DMARC is not \
                     applied (RFC 7489 §6.6.3, RFC 9989 §4.10): result none. This is a \
                     configuration error of the domain."
                ),
            )
            .query(QueryKey::new(&format!("_dmarc.{domain}"), RecordType::TXT)),
        ),
    }
}

/// Where discovery ends at `level`: its one record (found `via`), or its several records; None
/// when it has none.
fn discovered_at(level: &WalkLevel, is_author: bool, via: String) -> Option<Discovery> {
    match &level.record {
        LevelRecord::One(r) => Some(Discovery::Found {
            domain: level.name.clone(),
            record: Box::new(r.clone()),
            is_author,
            via,
        }),
        LevelRecord::Multiple(m) => Some(Discovery::Multiple {
            domain: level.name.clone(),
            count: m.len(),
        }),
        LevelRecord::None => None,
    }
}

/// RFC 9989 §4.10.1: the From domain's own record; else the organizational domain's; else the
/// record found closest to the root (a public suffix domain's).
fn discover(walk: &TreeWalk, org: Option<&str>) -> Discovery {
    let Some(first) = walk.levels.first() else {
        return Discovery::NoRecord;
    };
    if let Some(found) = discovered_at(
        first,
        true,
        format!("the From domain {} itself", first.name),
    ) {
        return found;
    }
    if let Some(name) = &walk.temp_error {
        return Discovery::TempError { name: name.clone() };
    }
    if let Some(org) = org
        && let Some(level) = walk.level(org)
        && let Some(found) = discovered_at(
            level,
            false,
            format!("the organizational domain {}", level.name),
        )
    {
        return found;
    }
    match walk
        .levels
        .iter()
        .rev()
        .find(|l| l.dmarc_record().is_some())
    {
        Some(level) => Discovery::Found {
            domain: level.name.clone(),
            record: Box::new(level.dmarc_record().cloned().unwrap_or_default()),
            is_author: false,
            via: format!(
                "the public suffix domain {} (no record at the organizational domain)",
                level.name
            ),
        },
        None => Discovery::NoRecord,
    }
}
