//! Organizational domains and identifier alignment (RFC 9989 §4.10, RFC 7489 §3.1).
//!
//! Two ways to find an organizational domain are shown side by side: the DMARCbis DNS tree walk
//! (RFC 9989, what mail-auth 0.13 does) and the Public Suffix List (RFC 7489 receivers). Verdicts
//! follow the tree walk, as mail-auth does; where the PSL would say something else it is flagged.

use crate::analysis::step::{Outcome, Step};
use crate::dns::{Dns, DnsOutcome, QueryKey, RecordType};

use super::record::{DmarcRecord, is_dmarc_record, parse_record};

/// RFC 9989 §4.10: at most eight queries; a longer name jumps to its last seven labels.
const WALK_QUERY_CAP_LABELS: usize = 8;

/// A domain in the form DNS and the PSL compare: lower case, A-labels, no trailing root dot.
/// `None` for an empty name, a leading dot, an empty label, spaces or controls, or a name IDNA
/// cannot convert.
pub fn normalize_domain(domain: &str) -> Option<String> {
    let d = domain.trim();
    let d = d.strip_suffix('.').unwrap_or(d);
    if d.is_empty() || d.split('.').any(str::is_empty) {
        return None;
    }
    let a_label = mail_auth::common::to_a_label(d);
    if !a_label.is_ascii() || a_label.bytes().any(|b| b <= b' ' || b == b'@' || b == 0x7f) {
        return None;
    }
    Some(a_label.to_ascii_lowercase())
}

/// Like [`normalize_domain`], but forgiving stray dots around the name (as OpenDMARC is when it
/// compares identifiers): `.mac.com.` and `mac.com` are the same domain for alignment.
pub fn alignment_domain(domain: &str) -> Option<String> {
    normalize_domain(domain.trim().trim_matches('.'))
}

/// The organizational (registrable) domain by the Public Suffix List, as RFC 7489 receivers find
/// it: the public suffix plus one label. `None` when the name is itself a public suffix (or an
/// unlisted single-label TLD), or is not a valid domain name (empty, leading dot, empty label).
/// Unicode names are converted to A-labels first; the answer is in A-label form.
pub fn org_domain_psl(domain: &str) -> Option<String> {
    let name = normalize_domain(domain)?;
    psl::domain_str(&name).map(str::to_string)
}

/// What the tree walk found at one `_dmarc.<name>`.
#[derive(Debug, Clone, PartialEq)]
pub enum LevelRecord {
    /// No TXT record starting with `v=DMARC1` (NXDOMAIN, NODATA, or only other TXT records).
    None,
    /// Exactly one DMARC record.
    One(DmarcRecord),
    /// Several DMARC records: the set is discarded (RFC 7489 §6.6.3, RFC 9989 §4.10).
    Multiple(Vec<String>),
}

/// One query of a tree walk.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkLevel {
    /// The domain (without `_dmarc.`).
    pub name: String,
    pub query: QueryKey,
    pub outcome: DnsOutcome,
    /// Every TXT record at the name, character-strings joined.
    pub txt: Vec<String>,
    pub record: LevelRecord,
    pub error: Option<String>,
}

impl WalkLevel {
    pub fn dmarc_record(&self) -> Option<&DmarcRecord> {
        match &self.record {
            LevelRecord::One(r) => Some(r),
            _ => None,
        }
    }
}

/// The DNS tree walk of RFC 9989 §4.10 from one starting domain.
#[derive(Debug, Clone, PartialEq)]
pub struct TreeWalk {
    pub start: String,
    pub levels: Vec<WalkLevel>,
    /// The name whose query failed temporarily; the walk stopped there.
    pub temp_error: Option<String>,
}

/// The names a tree walk queries, longest first (RFC 9989 §4.10): the domain itself; then, for a
/// name of eight labels or more, its last seven labels; then one label fewer each time, down to
/// the top-level domain. A single-label name is not walked (no DMARC for a bare TLD here, as in
/// mail-auth).
pub fn walk_names(domain: &str) -> Vec<String> {
    let labels: Vec<&str> = domain.split('.').collect();
    let total = labels.len();
    let mut names = Vec::new();
    if total < 2 {
        return names;
    }
    let mut count = total;
    loop {
        names.push(labels[total - count..].join("."));
        if count == 1 {
            break;
        }
        count = if count >= WALK_QUERY_CAP_LABELS {
            WALK_QUERY_CAP_LABELS - 1
        } else {
            count - 1
        };
    }
    names
}

/// Reads the TXT answer at one `_dmarc` name: keeps the records that start with `v=DMARC1`.
pub fn classify_txt(txt: &[String]) -> LevelRecord {
    let dmarc: Vec<&String> = txt.iter().filter(|t| is_dmarc_record(t)).collect();
    match dmarc.as_slice() {
        [] => LevelRecord::None,
        [one] => match parse_record(one) {
            Ok(record) => LevelRecord::One(record),
            Err(_) => LevelRecord::None,
        },
        many => LevelRecord::Multiple(many.iter().map(|s| s.to_string()).collect()),
    }
}

/// Asks every name a tree walk from `domain` (already normalized) may read at once, and the
/// `_dmarc` name of its PSL organizational domain (RFC 7489 discovery reads it when the walk
/// stops before it): all are known from the domain, so the walk is one round trip deep, not one
/// per level. Prefetches: a name the walk does not reach (it stopped at `psd=` or a DNS error)
/// is marked unused in the evidence.
pub fn prefetch_walk(dns: &Dns, domain: &str) {
    let mut names = walk_names(domain);
    names.extend(org_domain_psl(domain).filter(|o| !names.contains(o)));
    for name in names {
        dns.prefetch(&format!("_dmarc.{name}"), RecordType::TXT);
    }
}

/// Walks `_dmarc.<name>` from `domain` (already normalized) toward the TLD. A record carrying
/// `psd=y` or `psd=n` stops the walk (it settles the organizational domain); a temporary DNS
/// error stops it too, since nothing above can then be trusted (mail-auth does the same). Every
/// name is asked at once ([`prefetch_walk`]); they are read in order, so the walk is exactly the
/// one-level-at-a-time walk of the RFC.
pub async fn tree_walk(dns: &Dns, domain: &str) -> TreeWalk {
    prefetch_walk(dns, domain);
    let mut walk = TreeWalk {
        start: domain.to_string(),
        levels: Vec::new(),
        temp_error: None,
    };
    for name in walk_names(domain) {
        let qname = format!("_dmarc.{name}");
        let answer = dns.query(&qname, RecordType::TXT).await;
        let txt = answer.txt();
        let record = if answer.outcome == DnsOutcome::Answers {
            classify_txt(&txt)
        } else {
            LevelRecord::None
        };
        let stop = matches!(&record, LevelRecord::One(r) if matches!(r.psd, Some('y') | Some('n')));
        let temporary = answer.outcome.is_temporary_error();
        walk.levels.push(WalkLevel {
            name: name.clone(),
            query: QueryKey::new(&qname, RecordType::TXT),
            outcome: answer.outcome,
            txt,
            record,
            error: answer.error.clone(),
        });
        if temporary {
            walk.temp_error = Some(name);
            break;
        }
        if stop {
            break;
        }
    }
    walk
}

impl TreeWalk {
    pub fn queries(&self) -> Vec<QueryKey> {
        self.levels.iter().map(|l| l.query.clone()).collect()
    }

    pub fn level(&self, name: &str) -> Option<&WalkLevel> {
        self.levels.iter().find(|l| l.name == name)
    }

    /// The organizational domain by RFC 9989 §4.10.2 and the reason, or `None` after a temporary
    /// DNS error. The first record (longest name first) with `psd=n` names it; one with `psd=y`
    /// (other than at the starting domain) puts it one label below; otherwise it is the shortest
    /// name holding a DMARC record; with no record at all, the domain itself.
    pub fn organizational_domain(&self) -> Option<(String, String)> {
        if self.temp_error.is_some() {
            return None;
        }
        for level in &self.levels {
            let Some(record) = level.dmarc_record() else {
                continue;
            };
            match record.psd {
                Some('n') => {
                    return Some((
                        level.name.clone(),
                        format!(
                            "_dmarc.{} says psd=n: it is an organizational domain",
                            level.name
                        ),
                    ));
                }
                Some('y') if level.name != self.start => {
                    let org = one_label_below(&level.name, &self.start);
                    return Some((
                        org.clone(),
                        format!(
                            "_dmarc.{} says psd=y (a public suffix domain): the organizational \
                             domain is one label below it, {org}",
                            level.name
                        ),
                    ));
                }
                _ => {}
            }
        }
        if let Some(level) = self
            .levels
            .iter()
            .rev()
            .find(|l| l.dmarc_record().is_some())
        {
            return Some((
                level.name.clone(),
                format!(
                    "{} is the shortest name on the way up with a DMARC record",
                    level.name
                ),
            ));
        }
        Some((
            self.start.clone(),
            format!(
                "no DMARC record on the way up from {}: the domain is its own organizational domain",
                self.start
            ),
        ))
    }

    /// One step per query, for showing the walk itself.
    pub fn query_steps(&self) -> Vec<Step> {
        self.levels.iter().map(level_step).collect()
    }
}

fn level_step(level: &WalkLevel) -> Step {
    let qname = &level.query.name;
    let (outcome, explanation) = match (&level.outcome, &level.record) {
        (o, _) if o.is_temporary_error() => (
            Outcome::Error,
            format!(
                "The query for {qname} TXT failed ({}{}): a temporary DNS error, so the DMARC \
                 verdict cannot be decided (temperror).",
                o.as_str(),
                level
                    .error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        ),
        (DnsOutcome::NxDomain, _) => (
            Outcome::NoMatch,
            format!("{qname} does not exist (NXDOMAIN): no DMARC record here."),
        ),
        (DnsOutcome::NoData, _) => (
            Outcome::NoMatch,
            format!("{qname} exists but has no TXT record (NODATA): no DMARC record here."),
        ),
        (_, LevelRecord::None) => {
            // A record that looks meant as DMARC but is not one deserves a clear word.
            let near_miss = level
                .txt
                .iter()
                .find(|t| t.to_ascii_lowercase().contains("dmarc1"));
            match near_miss {
                Some(t) => (
                    Outcome::Warning,
                    format!(
                        "{qname} has a TXT record that mentions DMARC1 but is not a DMARC record: \
                         {t:?}. A DMARC record must start with v=DMARC1 exactly (tag v first, the \
                         value in capitals), so it is ignored as if absent."
                    ),
                ),
                None => (
                    Outcome::NoMatch,
                    format!(
                        "{qname} has {} TXT record(s), none starting with v=DMARC1; they are \
                         ignored.",
                        level.txt.len()
                    ),
                ),
            }
        }
        (_, LevelRecord::One(r)) => (
            Outcome::Match,
            format!("{qname} publishes a DMARC record: {}", r.raw),
        ),
        (_, LevelRecord::Multiple(records)) => (
            Outcome::Error,
            format!(
                "{qname} publishes {} DMARC records; a DMARC record set must hold exactly one, \
                 so all of them are discarded.",
                records.len()
            ),
        ),
    };
    Step::new(format!("Look up {qname} TXT"), outcome, explanation)
        .query(level.query.clone())
        .fact("outcome", level.outcome.as_str())
}

fn one_label_below(psd_name: &str, start: &str) -> String {
    let depth = psd_name.split('.').count() + 1;
    let labels: Vec<&str> = start.split('.').collect();
    let skip = labels.len().saturating_sub(depth);
    labels[skip..].join(".")
}

/// The organizational domain of `domain` by the DMARCbis DNS tree walk (RFC 9989 §4.10.2), and
/// the steps showing each query. `None` when the name is not a valid domain or a query failed
/// temporarily (the steps say which).
pub async fn org_domain_tree_walk(dns: &Dns, domain: &str) -> (Option<String>, Vec<Step>) {
    let Some(name) = normalize_domain(domain) else {
        return (
            None,
            vec![Step::new(
                "Organizational domain (DNS tree walk)",
                Outcome::Error,
                format!(
                    "{domain:?} is not a valid domain name, so it has no organizational domain."
                ),
            )],
        );
    };
    let walk = tree_walk(dns, &name).await;
    let mut steps = walk.query_steps();
    let org = walk.organizational_domain();
    steps.push(org_step(&name, &walk, org.as_ref()));
    (org.map(|(o, _)| o), steps)
}

fn org_step(name: &str, walk: &TreeWalk, org: Option<&(String, String)>) -> Step {
    let step = match org {
        Some((org, why)) => Step::new(
            format!("Organizational domain of {name} (DNS tree walk): {org}"),
            Outcome::Info,
            format!("{why}."),
        )
        .fact("organizational_domain", org.clone()),
        None => Step::new(
            format!("Organizational domain of {name} (DNS tree walk)"),
            Outcome::Error,
            format!(
                "The walk stopped at a temporary DNS error at _dmarc.{}, so the organizational \
                 domain is unknown.",
                walk.temp_error.as_deref().unwrap_or(name)
            ),
        ),
    };
    step.queries(walk.queries())
}

#[cfg(test)]
mod tests {
    use super::super::test_dns::MemDns;
    use super::*;

    #[test]
    fn psl_finds_registrable_domain() {
        assert_eq!(
            org_domain_psl("a.b.example.co.uk").as_deref(),
            Some("example.co.uk")
        );
        assert_eq!(
            org_domain_psl("WWW.Example.COM").as_deref(),
            Some("example.com")
        );
        assert_eq!(org_domain_psl("co.uk"), None);
        assert_eq!(org_domain_psl(".example.com"), None);
        assert_eq!(org_domain_psl(""), None);
    }

    #[test]
    fn psl_converts_unicode_to_a_labels() {
        assert_eq!(
            org_domain_psl("www.食狮.中国").as_deref(),
            Some("xn--85x722f.xn--fiqs8s")
        );
    }

    #[test]
    fn walk_names_cap_at_eight_queries() {
        let names = walk_names("a.b.c.d.e.f.g.h.i.j.k.example.com");
        assert_eq!(names.len(), 8);
        assert_eq!(names[0], "a.b.c.d.e.f.g.h.i.j.k.example.com");
        assert_eq!(names[1], "g.h.i.j.k.example.com");
        assert_eq!(names[7], "com");
        assert_eq!(
            walk_names("mail.example.com"),
            ["mail.example.com", "example.com", "com"]
        );
        assert!(walk_names("localhost").is_empty());
    }

    #[tokio::test]
    async fn tree_walk_org_is_shortest_name_with_a_record() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "v=DMARC1; p=reject")
            .dns();
        let (org, steps) = org_domain_tree_walk(&dns, "a.b.example.com").await;
        assert_eq!(org.as_deref(), Some("example.com"));
        // a.b.example.com, b.example.com, example.com, com
        assert_eq!(steps.iter().filter(|s| !s.queries.is_empty()).count(), 5);
    }

    #[tokio::test]
    async fn tree_walk_without_records_gives_the_domain_itself() {
        let dns = MemDns::new().dns();
        let (org, _) = org_domain_tree_walk(&dns, "mail.example.com").await;
        assert_eq!(org.as_deref(), Some("mail.example.com"));
    }

    #[tokio::test]
    async fn tree_walk_psd_y_puts_org_one_label_below() {
        let dns = MemDns::new()
            .txt("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y")
            .dns();
        let (org, _) = org_domain_tree_walk(&dns, "mail.giant.bank.example").await;
        assert_eq!(org.as_deref(), Some("giant.bank.example"));
    }

    #[tokio::test]
    async fn tree_walk_psd_n_stops_the_walk() {
        let dns = MemDns::new()
            .txt("_dmarc.b.example.com", "v=DMARC1; p=reject; psd=n")
            .txt("_dmarc.example.com", "v=DMARC1; p=none")
            .dns();
        let (org, _) = org_domain_tree_walk(&dns, "a.b.example.com").await;
        assert_eq!(org.as_deref(), Some("b.example.com"));
        dns.settle_prefetches().await;
        let above: Vec<_> = dns
            .evidence()
            .into_iter()
            .filter(|e| e.name == "_dmarc.example.com" || e.name == "_dmarc.com")
            .collect();
        assert!(
            above
                .iter()
                .all(|e| e.prefetched && !e.used && e.count == 0),
            "the walk stops at psd=n: the names above were only asked ahead, never read: \
             {above:?}"
        );
    }

    #[tokio::test]
    async fn every_level_of_a_walk_is_asked_before_the_first_answer() {
        let gate = crate::test_support::Gate::new(
            MemDns::new().txt("_dmarc.example.com", "v=DMARC1; p=reject"),
            &[],
        );
        let dns = Dns::new(gate.clone());
        let walk = tokio::spawn({
            let dns = dns.clone();
            async move { tree_walk(&dns, "a.b.example.com").await }
        });
        let mut asked: Vec<String> = gate
            .asked_while_closed()
            .await
            .into_iter()
            .map(|k| k.name)
            .collect();
        asked.sort();
        assert_eq!(
            asked,
            [
                "_dmarc.a.b.example.com",
                "_dmarc.b.example.com",
                "_dmarc.com",
                "_dmarc.example.com"
            ]
        );
        gate.open();
        let walk = walk.await.unwrap();
        // The same walk as one level at a time: every level read, in order.
        let names: Vec<&str> = walk.levels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            ["a.b.example.com", "b.example.com", "example.com", "com"]
        );
        assert_eq!(
            walk.organizational_domain().map(|(o, _)| o).as_deref(),
            Some("example.com")
        );
        assert!(dns.evidence().iter().all(|e| e.used && e.count == 1));
    }

    #[tokio::test]
    async fn a_record_not_starting_with_v_dmarc1_is_ignored_with_a_warning() {
        let dns = MemDns::new()
            .txt("_dmarc.example.com", "p=reject; v=DMARC1")
            .dns();
        let walk = tree_walk(&dns, "example.com").await;
        assert_eq!(walk.levels[0].record, LevelRecord::None);
        let step = &walk.query_steps()[0];
        assert_eq!(step.outcome, Outcome::Warning);
        assert!(step.explanation.contains("must start with v=DMARC1"));
    }

    #[tokio::test]
    async fn tree_walk_temp_error_gives_no_org() {
        let dns = MemDns::new().timeout("_dmarc.example.com").dns();
        let (org, steps) = org_domain_tree_walk(&dns, "mail.example.com").await;
        assert_eq!(org, None);
        assert!(steps.iter().any(|s| s.outcome == Outcome::Error));
    }
}
