//! Lookups of an SPF record's terms asked as soon as the record is known, ahead of check_host().
//!
//! check_host() (`eval.rs`) reads its terms one at a time, in order, and stops at the first
//! match: that order and its limits (ten DNS-querying terms, two void lookups, RFC 7208 §4.6.4)
//! decide the result, so it is kept exactly. What is known early is the names: once a record is
//! fetched, every `a`, `mx`, `exists`, `include` and `redirect` target without macros is known,
//! and once an MX answer is in, its hosts. This prefetcher asks them all at once, following
//! includes and redirects, so the evaluation finds each answer already there (the [`Dns`] handle
//! shares it) and the time to a verdict is the depth of the record tree, not the number of its
//! terms. Nothing here counts toward a limit; an answer the evaluation never reached is marked
//! unused in the evidence.
//!
//! Macros are expanded with the values known from the start (sender, IP, HELO, the record's
//! domain …), as check_host() will expand them. Not prefetched: names using `%{p}` (the
//! validated name of the client, found by lookups of its own), and `ptr` (discouraged by RFC 7208
//! §5.5; reverse zones are often slow, and its names depend on the PTR answer). Those are asked
//! when reached.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use super::eval::{MAX_DNS_LOOKUPS, domain_problem, mx_exchanges, name_problem};
use super::macros::{Identity, MacroContext, MacroString};
use super::record::{Mechanism, is_spf_record, parse_record};
use crate::dns::{Dns, RecordType};

/// DNS-querying terms one check_host() prefetches at most, over all its records: the
/// evaluation can use ten; twice that covers the terms after an include whose record is not in
/// yet, without letting a record tree of hundreds of terms turn into hundreds of questions.
const MAX_PREFETCHED_TERMS: u32 = 2 * MAX_DNS_LOOKUPS;
/// MX hosts whose addresses are prefetched per `mx` (the evaluation looks at ten at most).
const MAX_MX_HOSTS: usize = 10;

/// One check_host() run's prefetching: its macro values and how many terms it may still ask.
struct Run {
    identity: Identity,
    allowance: AtomicU32,
}

impl Run {
    /// One more DNS-querying term, if the allowance has room.
    fn take(&self) -> bool {
        self.allowance
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// A mechanism's target name as check_host() will ask it, when it is known now: the
    /// record's domain, or its domain-spec expanded (not one using `%{p}`), if DNS can be asked
    /// about it.
    fn target_name(&self, spec: Option<&MacroString>, domain: &str) -> Option<String> {
        let name = match spec {
            None => domain.to_string(),
            Some(spec) if spec.uses_letter('p') => return None,
            Some(spec) => {
                spec.expand(&self.identity.vars(domain, None), MacroContext::DomainSpec)
                    .text
            }
        };
        let name = name.trim_end_matches('.');
        name_problem(name).is_none().then(|| name.to_string())
    }

    /// The domain of an include or redirect, when known now and usable as check_host()'s domain.
    fn record_name(&self, spec: &MacroString, domain: &str) -> Option<String> {
        self.target_name(Some(spec), domain)
            .filter(|name| domain_problem(name).is_none())
    }
}

/// Starts prefetching for check_host() of `domain`: its record, then each term's lookups.
pub(super) fn start(dns: &Dns, domain: &str, identity: &Identity) {
    let run = Arc::new(Run {
        identity: identity.clone(),
        allowance: AtomicU32::new(MAX_PREFETCHED_TERMS),
    });
    spawn_record(dns, domain.to_string(), run, true);
}

fn spawn_record(dns: &Dns, domain: String, run: Arc<Run>, top: bool) {
    let task_dns = dns.clone();
    dns.spawn_prefetch(async move { record(task_dns, domain, run, top).await });
}

/// One record: fetched, parsed, and its terms' lookups started. `top`: the record whose `exp=`
/// can explain a fail (the checked domain's, or a redirect's; never an include's, §6.2).
async fn record(dns: Dns, domain: String, run: Arc<Run>, top: bool) {
    let Some(answer) = dns.prefetch_answer(&domain, RecordType::TXT).await else {
        return;
    };
    let texts = answer.txt();
    let spf: Vec<&String> = texts.iter().filter(|t| is_spf_record(t)).collect();
    let [text] = spf.as_slice() else {
        return;
    };
    let Ok(record) = parse_record(text) else {
        return;
    };
    let address = match run.identity.ip {
        IpAddr::V4(_) => RecordType::A,
        IpAddr::V6(_) => RecordType::AAAA,
    };
    for directive in &record.directives {
        if !directive.mechanism.queries_dns() {
            continue;
        }
        if !run.take() {
            return;
        }
        match &directive.mechanism {
            Mechanism::A { domain: spec, .. } => {
                if let Some(target) = run.target_name(spec.as_ref(), &domain) {
                    dns.prefetch(&target, address);
                }
            }
            Mechanism::Mx { domain: spec, .. } => {
                if let Some(target) = run.target_name(spec.as_ref(), &domain) {
                    let task_dns = dns.clone();
                    dns.spawn_prefetch(async move { mx_hosts(task_dns, target, address).await });
                }
            }
            Mechanism::Exists(spec) => {
                if let Some(target) = run.target_name(Some(spec), &domain) {
                    dns.prefetch(&target, RecordType::A);
                }
            }
            Mechanism::Include(spec) => {
                if let Some(target) = run.record_name(spec, &domain) {
                    spawn_record(&dns, target, run.clone(), false);
                }
            }
            _ => {}
        }
    }
    if let Some((spec, _)) = &record.redirect
        && !record.has_all()
        && run.take()
        && let Some(target) = run.record_name(spec, &domain)
    {
        spawn_record(&dns, target, run.clone(), top);
    }
    if top
        && let Some((spec, _)) = &record.exp
        && let Some(target) = run.target_name(Some(spec), &domain)
    {
        dns.prefetch(&target, RecordType::TXT);
    }
}

/// An MX answer's hosts' addresses.
async fn mx_hosts(dns: Dns, target: String, address: RecordType) {
    let Some(answer) = dns.prefetch_answer(&target, RecordType::MX).await else {
        return;
    };
    for (_, exchange) in mx_exchanges(&answer).iter().take(MAX_MX_HOSTS) {
        let host = exchange.trim_end_matches('.');
        if !host.is_empty() && name_problem(host).is_none() {
            dns.prefetch(host, address);
        }
    }
}
