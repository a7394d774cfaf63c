//! Whether re-verification could run, read from the DNS evidence log (never from verdict words).
//!
//! Re-verification says something about the message only if DNS answered it. When every lookup
//! went unanswered (DNS unreachable), when a snapshot holds none of the names asked (an empty
//! snapshot, or one recorded for another message), or when the sending domains' own names are
//! denied (NXDOMAIN) though the receiver found their records at receipt, our verdicts only
//! restate the failure: the receiver's own record is then what is known.

use crate::dns::{DnsEvidence, DnsOutcome, DnsSource};

use super::model::Analysis;

/// Why re-verification could not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    /// No lookup was answered, and at least one timed out or failed.
    DnsUnreachable,
    /// Snapshot replay: every name asked is missing from the snapshot.
    SnapshotHasNone,
    /// Live: every name asked answered NXDOMAIN.
    EverythingDenied,
    /// NXDOMAIN for every name asked under these domains — the organizational domains of the
    /// From and MAIL FROM domains — though the receiver recorded results that needed their
    /// records.
    SendingDomainsDenied(Vec<String>),
}

impl Blocked {
    /// Why, in words, to follow "re-verification was not possible: ".
    pub fn words(&self) -> String {
        match self {
            Blocked::DnsUnreachable => {
                "DNS did not answer (every lookup timed out or failed)".into()
            }
            Blocked::SnapshotHasNone => "the DNS snapshot holds none of the names asked (it is \
                                         empty, or was recorded for another message)"
                .into(),
            Blocked::EverythingDenied => "the resolver answered NXDOMAIN for every name asked, \
                                          even the sending domain's own"
                .into(),
            Blocked::SendingDomainsDenied(domains) => format!(
                "DNS now answers NXDOMAIN for every name asked under {} (the domain{} gone, or \
                 the resolver denies {}), though the receiver found {} records at receipt",
                domains.join(" and "),
                if domains.len() > 1 { "s are" } else { " is" },
                if domains.len() > 1 { "them" } else { "it" },
                if domains.len() > 1 { "their" } else { "its" },
            ),
        }
    }
}

/// Why re-verification could not run, or None when DNS answered enough for it to mean something.
pub fn reverification_blocked(a: &Analysis) -> Option<Blocked> {
    let log: Vec<&DnsEvidence> = a
        .dns
        .iter()
        // A prefetched answer no check read decided nothing.
        .filter(|e| e.outcome != DnsOutcome::Pending && e.used)
        .collect();
    if log.is_empty() {
        return None; // nothing was asked: nothing could fail
    }
    if !log.iter().any(|e| answered(e)) {
        return Some(if log.iter().any(|e| e.outcome.is_temporary_error()) {
            Blocked::DnsUnreachable
        } else if log.iter().all(|e| e.source == DnsSource::Snapshot) {
            Blocked::SnapshotHasNone
        } else {
            Blocked::EverythingDenied
        });
    }
    // Whole sending organisations: a subdomain that does not exist under a domain that answers
    // (RFC 9091's np case) is an answer, not a denial.
    let mut domains: Vec<String> = Vec::new();
    for d in [&a.alignment.from_domain, &a.spf.mail_from.domain]
        .into_iter()
        .flatten()
    {
        let d = organizational_domain(a, d);
        if !d.is_empty() && !domains.contains(&d) {
            domains.push(d);
        }
    }
    let denied = |d: &String| {
        let own: Vec<&&DnsEvidence> = log
            .iter()
            .filter(|e| e.name == *d || e.name.ends_with(&format!(".{d}")))
            .collect();
        own.iter().any(|e| e.outcome == DnsOutcome::NxDomain)
            && own
                .iter()
                .all(|e| e.outcome == DnsOutcome::NxDomain || e.outcome.is_temporary_error())
    };
    (!domains.is_empty() && domains.iter().all(denied) && receiver_found_records(a))
        .then_some(Blocked::SendingDomainsDenied(domains))
}

/// The Public Suffix List organizational domain the alignment found for `domain` (the From
/// domain, or an SPF identifier), else the domain itself.
fn organizational_domain(a: &Analysis, domain: &str) -> String {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    let org = if a.alignment.from_domain.as_deref() == Some(domain.as_str()) {
        a.alignment.from_org_domain_psl.clone()
    } else {
        a.alignment
            .spf
            .candidates
            .iter()
            .find(|c| c.domain == domain)
            .and_then(|c| c.org_domain_psl.clone())
    };
    org.unwrap_or(domain)
}

fn answered(e: &DnsEvidence) -> bool {
    matches!(e.outcome, DnsOutcome::Answers | DnsOutcome::NoData)
}

/// The receiver's own record shows DNS data existed at receipt: a trusted SPF, DKIM or DMARC
/// result other than none or temperror needed a record to reach.
fn receiver_found_records(a: &Analysis) -> bool {
    a.recorded.iter().any(|r| {
        r.trusted
            && matches!(r.method.as_str(), "spf" | "dkim" | "dmarc")
            && !matches!(
                r.result.to_ascii_lowercase().as_str(),
                "none" | "temperror" | ""
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::model::RecordedResult;
    use crate::dns::RecordType;

    fn entry(name: &str, outcome: DnsOutcome, source: DnsSource) -> DnsEvidence {
        DnsEvidence {
            outcome,
            ..DnsEvidence::asked(&crate::dns::QueryKey::new(name, RecordType::TXT), source)
        }
    }

    fn recorded(method: &str, result: &str) -> RecordedResult {
        crate::test_support::recorded_result("mx.example.net", method, result)
    }

    /// From example.com, MAIL FROM bounce.example.org, with `log` as the evidence.
    fn analysis(log: Vec<DnsEvidence>) -> Analysis {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.spf.mail_from.domain = Some("bounce.example.org".into());
        a.dns = log;
        a
    }

    #[test]
    fn every_lookup_timing_out_is_dns_unreachable() {
        let a = analysis(vec![
            entry("bounce.example.org", DnsOutcome::Timeout, DnsSource::Live),
            entry("_dmarc.example.com", DnsOutcome::ServFail, DnsSource::Live),
        ]);
        assert_eq!(reverification_blocked(&a), Some(Blocked::DnsUnreachable));
    }

    #[test]
    fn a_snapshot_missing_every_name_holds_none() {
        let a = analysis(vec![
            entry(
                "bounce.example.org",
                DnsOutcome::NxDomain,
                DnsSource::Snapshot,
            ),
            entry(
                "_dmarc.example.com",
                DnsOutcome::NxDomain,
                DnsSource::Snapshot,
            ),
        ]);
        assert_eq!(reverification_blocked(&a), Some(Blocked::SnapshotHasNone));
    }

    #[test]
    fn sending_domains_denied_though_the_receiver_found_them_is_blocked() {
        let mut a = analysis(vec![
            entry("bounce.example.org", DnsOutcome::NxDomain, DnsSource::Live),
            entry("_dmarc.example.com", DnsOutcome::NxDomain, DnsSource::Live),
            // The receiver's own names still resolve: DNS works, but not for the sender.
            entry("_dmarc.example.net", DnsOutcome::Answers, DnsSource::Live),
        ]);
        a.recorded.push(recorded("spf", "pass"));
        assert_eq!(
            reverification_blocked(&a),
            Some(Blocked::SendingDomainsDenied(vec![
                "example.com".into(),
                "bounce.example.org".into()
            ]))
        );
    }

    #[test]
    fn sending_domains_missing_at_receipt_too_is_a_real_answer() {
        let mut a = analysis(vec![
            entry("bounce.example.org", DnsOutcome::NxDomain, DnsSource::Live),
            entry("_dmarc.example.com", DnsOutcome::NxDomain, DnsSource::Live),
            entry("_dmarc.example.net", DnsOutcome::Answers, DnsSource::Live),
        ]);
        a.recorded.push(recorded("spf", "none"));
        assert_eq!(reverification_blocked(&a), None);
    }

    #[test]
    fn a_missing_subdomain_under_an_answering_domain_is_a_real_answer() {
        // RFC 9091: NXDOMAIN for secure.example.com, but example.com's policy answers.
        let mut a = analysis(vec![
            entry("secure.example.com", DnsOutcome::NxDomain, DnsSource::Live),
            entry(
                "_dmarc.secure.example.com",
                DnsOutcome::NxDomain,
                DnsSource::Live,
            ),
            entry("_dmarc.example.com", DnsOutcome::Answers, DnsSource::Live),
        ]);
        a.alignment.from_domain = Some("secure.example.com".into());
        a.alignment.from_org_domain_psl = Some("example.com".into());
        a.spf.mail_from.domain = Some("secure.example.com".into());
        a.recorded.push(recorded("dmarc", "fail"));
        assert_eq!(reverification_blocked(&a), None);
    }

    #[test]
    fn one_answered_lookup_of_a_sending_domain_means_it_ran() {
        let mut a = analysis(vec![
            entry("bounce.example.org", DnsOutcome::Answers, DnsSource::Live),
            entry("_dmarc.example.com", DnsOutcome::NxDomain, DnsSource::Live),
        ]);
        a.recorded.push(recorded("dmarc", "fail"));
        assert_eq!(reverification_blocked(&a), None);
    }
}
