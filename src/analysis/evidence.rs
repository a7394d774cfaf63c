//! The DNS evidence log, ordered the way the views show it, and each step's queries resolved to
//! evidence ids.

use super::model::Analysis;
use super::step::Step;
use crate::dns::{DnsEvidence, QueryKey};

/// Orders the evidence log deterministically — by first use in the checks' steps, in display
/// order, then the rest by name and type — and resolves every step's queries to evidence ids.
/// (Lookups run concurrently, so the raw log order varies from run to run.)
pub(super) fn attach_evidence(a: &mut Analysis, mut log: Vec<DnsEvidence>) {
    let mut order: Vec<QueryKey> = Vec::new();
    for_each_step(a, &mut |s: &mut Step| {
        for q in &s.queries {
            if !order.contains(q) {
                order.push(q.clone());
            }
        }
    });
    log.sort_by(|x, y| {
        let (kx, ky) = (x.key(), y.key());
        let px = order.iter().position(|k| *k == kx).unwrap_or(usize::MAX);
        let py = order.iter().position(|k| *k == ky).unwrap_or(usize::MAX);
        px.cmp(&py).then(kx.cmp(&ky))
    });
    for (i, e) in log.iter_mut().enumerate() {
        e.id = i;
    }
    let ids: std::collections::HashMap<QueryKey, usize> =
        log.iter().map(|e| (e.key(), e.id)).collect();
    for_each_step(a, &mut |s: &mut Step| {
        s.evidence = s
            .queries
            .iter()
            .filter_map(|q| ids.get(q).copied())
            .collect();
    });
    a.dns = log;
}

/// Visits every step of every check, in the order the views show them.
pub fn for_each_step(a: &mut Analysis, f: &mut dyn FnMut(&mut Step)) {
    let lists: Vec<&mut Vec<Step>> = [&mut a.spf.mail_from.steps, &mut a.spf.helo.steps]
        .into_iter()
        .chain(a.dkim.iter_mut().map(|d| &mut d.steps))
        .chain([&mut a.arc.steps, &mut a.alignment.steps, &mut a.dmarc.steps])
        .collect();
    for list in lists {
        list.iter_mut().for_each(&mut *f);
    }
}

/// Warnings for the DNS budgets the run reached: questions per message, time per message.
pub(super) fn budget_warnings(dns: &crate::dns::Dns) -> Vec<super::Warning> {
    use super::{Severity, Warning};
    let mut warnings = Vec::new();
    if dns.refused() > 0 {
        warnings.push(Warning::new(
            Severity::Warning,
            "budget-dns-queries",
            format!(
                "The message asked for more than {} DNS lookups; {} more were not sent (budget: \
                 DNS queries per message), and the checks that needed them say so.",
                crate::dns::MAX_QUERIES,
                dns.refused()
            ),
            None,
        ));
    }
    if dns.late() > 0 {
        warnings.push(Warning::new(
            Severity::Warning,
            "budget-dns-deadline",
            format!(
                "DNS lookups ran past the message deadline ({} s); {} more were not sent \
                 (budget: time per message), and the checks that needed them say so.",
                crate::dns::MESSAGE_DEADLINE.as_secs(),
                dns.late()
            ),
            None,
        ));
    }
    warnings
}
