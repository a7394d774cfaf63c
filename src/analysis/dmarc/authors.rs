//! Every author domain of a message: the domains of all mailboxes in all From headers.
//!
//! RFC 7489 §6.6.1: a message with several From headers, or a From with mailboxes of different
//! domains, is typically rejected; a receiver that goes on evaluates DMARC for each author domain
//! and applies the strictest result. `headers::from_domain` reads the first usable domain only
//! (the one DMARC normally uses); this reads them all: every From header (an empty or broken one
//! does not hide the next), every mailbox, and every angle address of a mailbox written with
//! several (`Name <a@x> <b@y>`, invalid, and ambiguous about the author).

use mail_parser::MessageParser;

use crate::analysis::model::{Alignment, AuthResult, AuthorDomainResult, DmarcCheck, Header};
use crate::analysis::step::{Outcome, Step};
use crate::analysis::trail::headers::{from_header_domains, from_header_problems};

use super::orgdomain::normalize_domain;

/// The distinct author domains, in header order, each with the index of the first From header
/// it appears in. Domains are lower-case A-labels; mailboxes without a usable domain are left
/// out (`headers::from_domain` reports those, and an empty list means DMARC has no author
/// domain at all). The first entry is the domain `headers::from_domain` returns, when it
/// returns one.
pub fn from_domains(headers: &[Header]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for header in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
    {
        // The headers module's reading first, so both agree on the main domain; then
        // mail-parser's (what mail-auth reads), in case it finds one ours does not.
        let ours = from_header_domains(header);
        for domain in ours.into_iter().chain(mailbox_domains(&header.value)) {
            let Some(domain) = normalize_domain(&domain) else {
                continue;
            };
            if seen.insert(domain.clone()) {
                out.push((header.index, domain));
            }
        }
    }
    out
}

/// Author domains evaluated (budget): each costs a chain of DNS lookups, and a From header
/// with thousands of addresses must not turn the analyst's resolver into a weapon.
pub const MAX_AUTHOR_DOMAINS: usize = 10;

/// The warning when the From headers name more author domains than are evaluated.
pub fn budget_warnings(headers: &[Header]) -> Vec<crate::analysis::Warning> {
    let all = from_domains(headers).len();
    if all <= MAX_AUTHOR_DOMAINS {
        return Vec::new();
    }
    vec![crate::analysis::Warning::new(
        crate::analysis::Severity::Warning,
        "budget-author-domains",
        format!(
            "The From headers name {all} author domains; DMARC was evaluated for the first \
             {MAX_AUTHOR_DOMAINS} and {} were not (budget: author domains per message).",
            all - MAX_AUTHOR_DOMAINS
        ),
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("from"))
            .map(|h| h.index),
    )]
}

/// The domains of every mailbox in one From value (groups included), read by mail-parser.
fn mailbox_domains(value: &str) -> Vec<String> {
    let field = format!("From: {value}\r\n\r\n");
    let Some(message) = MessageParser::default().parse(field.as_bytes()) else {
        return Vec::new();
    };
    let Some(from) = message.from() else {
        return Vec::new();
    };
    from.iter()
        .filter_map(|a| a.address.as_deref())
        .filter_map(|a| a.rsplit_once('@').map(|(_, d)| d.trim().to_string()))
        .filter(|d| !d.is_empty())
        .collect()
}

/// Higher is stricter: the disposition first (what happens to the message), then the result.
fn strictness(check: &DmarcCheck) -> (u8, u8) {
    let disposition = match check.disposition.as_deref() {
        Some("reject") => 2,
        Some("quarantine") => 1,
        _ => 0,
    };
    let result = match check.result {
        AuthResult::Fail => 5,
        AuthResult::PermError => 4,
        AuthResult::TempError => 3,
        AuthResult::Pass => 0,
        _ => 1,
    };
    (disposition, result)
}

/// Combines the per-domain evaluations: the strictest one's fields, every domain's steps.
pub(super) fn strictest_of(
    per: Vec<(usize, String, Alignment, DmarcCheck)>,
    headers: &[Header],
) -> (Alignment, DmarcCheck) {
    let mut worst = 0;
    for (i, (_, _, _, check)) in per.iter().enumerate() {
        if strictness(check) > strictness(&per[worst].3) {
            worst = i;
        }
    }
    let (_, worst_domain, worst_alignment, worst_check) = &per[worst];
    let top = several_authors_step(&per, worst, headers);
    let mut check = DmarcCheck {
        steps: vec![top.clone()],
        ..worst_check.clone()
    };
    let mut alignment = Alignment {
        steps: vec![top],
        ..worst_alignment.clone()
    };
    for (n, (index, domain, a, d)) in per.iter().enumerate() {
        let applied = n == worst;
        check.author_domains.push(AuthorDomainResult {
            domain: domain.clone(),
            header_index: *index,
            result: d.result,
            policy: d.policy.clone(),
            disposition: d.disposition.clone(),
            applied,
        });
        check
            .steps
            .push(author_domain_step(*index, domain, d, applied));
        let prefix = |s: &Step| {
            let mut s = s.clone();
            s.title = format!("[{domain}] {}", s.title);
            s
        };
        check.steps.extend(d.steps.iter().map(prefix));
        alignment.steps.extend(a.steps.iter().map(prefix));
    }
    check.steps.push(
        Step::new(
            format!(
                "Result: {} (the strictest of {} author domains: {worst_domain})",
                check.result,
                per.len()
            ),
            result_outcome(check.result),
            format!(
                "The message gets {worst_domain}'s DMARC outcome: {}, disposition {}.",
                check.result,
                check.disposition.as_deref().unwrap_or("none")
            ),
        )
        .fact("applied", worst_domain.clone()),
    );
    (alignment, check)
}

/// The warning at the top: which author domains, why there are several (the From headers' own
/// problems named), and which one's outcome the message gets.
fn several_authors_step(
    per: &[(usize, String, Alignment, DmarcCheck)],
    worst: usize,
    headers: &[Header],
) -> Step {
    let from_headers: Vec<usize> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
        .map(|h| h.index)
        .collect();
    let listed: Vec<String> = per
        .iter()
        .map(|(i, d, _, _)| format!("{d} (From header {i})"))
        .collect();
    let (_, worst_domain, _, worst_check) = &per[worst];
    // Each From header's own problems (empty, several angle addresses...), named by header.
    let problems: Vec<String> = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
        .flat_map(from_header_problems)
        .collect();
    let problems = if problems.is_empty() {
        String::new()
    } else {
        format!(" {}.", problems.join("; "))
    };
    let why = match from_headers.len() {
        1 => format!("The From header names addresses of different domains.{problems}"),
        n => format!("The message has {n} From headers; RFC 5322 allows exactly one.{problems}"),
    };
    let mut top = Step::new(
        format!("Several author domains: {}", per.len()),
        Outcome::Warning,
        format!(
            "{why} Author domains: {}. RFC 7489 §6.6.1: such messages are typically rejected; a \
             receiver that accepts them evaluates DMARC for each author domain and applies the \
             strictest result. Each is evaluated below; the message gets {worst_domain}'s: {}, \
             disposition {}.",
            listed.join(", "),
            worst_check.result,
            worst_check.disposition.as_deref().unwrap_or("none")
        ),
    )
    .fact(
        "author_domains",
        per.iter()
            .map(|p| p.1.as_str())
            .collect::<Vec<_>>()
            .join(", "),
    )
    .fact("applied", worst_domain.clone());
    for i in &from_headers {
        top = top.header(*i);
    }
    top
}

/// One author domain's outcome, before its own steps.
fn author_domain_step(index: usize, domain: &str, d: &DmarcCheck, applied: bool) -> Step {
    Step::new(
        format!(
            "Author domain {domain}: {}{}",
            d.result,
            if applied {
                " (applied: the strictest)"
            } else {
                ""
            }
        ),
        result_outcome(d.result),
        format!(
            "DMARC for {domain} (From header {index}): {}, policy {}, disposition {}.{}",
            d.result,
            d.policy.as_deref().unwrap_or("(none)"),
            d.disposition.as_deref().unwrap_or("none"),
            if applied {
                " This is the strictest outcome, so it is the message's."
            } else {
                ""
            }
        ),
    )
    .header(index)
    .fact("domain", domain.to_string())
}

fn result_outcome(result: AuthResult) -> Outcome {
    match result {
        AuthResult::Pass => Outcome::Pass,
        AuthResult::Fail => Outcome::Fail,
        AuthResult::None => Outcome::Skipped,
        _ => Outcome::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::trail::headers::{from_domain, split_headers};

    fn domains(raw: &str) -> Vec<(usize, String)> {
        from_domains(&split_headers(raw.as_bytes()).headers)
    }

    #[test]
    fn one_from_one_domain() {
        assert_eq!(
            domains("From: Alice <alice@Example.COM>\r\nTo: b@x.test\r\n\r\nbody"),
            [(0, "example.com".to_string())]
        );
    }

    #[test]
    fn two_from_headers_give_both_domains() {
        let d = domains(
            "From: a@bank.example\r\nSubject: hi\r\nFrom: Mallory <m@evil.example>\r\n\r\nx",
        );
        assert_eq!(
            d,
            [
                (0, "bank.example".to_string()),
                (2, "evil.example".to_string())
            ]
        );
    }

    #[test]
    fn several_mailboxes_same_domain_count_once() {
        let d = domains("From: a@example.com, \"B, Jr\" <b@example.com>, c@other.example\r\n\r\n");
        assert_eq!(
            d,
            [
                (0, "example.com".to_string()),
                (0, "other.example".to_string())
            ]
        );
    }

    #[test]
    fn an_empty_from_does_not_hide_the_next_one() {
        // The reviewer's fr-empty-then-bank.
        let raw = "From:\r\nFrom: ceo@bank.example\r\nTo: bob@example.net\r\n\r\nPay.";
        assert_eq!(domains(raw), [(1, "bank.example".to_string())]);
        let f = from_domain(&split_headers(raw.as_bytes()).headers);
        assert_eq!(f.domain.as_deref(), Some("bank.example"));
        assert_eq!(f.header_index, Some(1));
        let e = f.error.unwrap();
        assert!(
            e.contains("From header 0 is empty") && e.contains("using header 1"),
            "{e}"
        );
    }

    #[test]
    fn obs_from_with_space_before_colon_is_an_author() {
        // The reviewer's c01: `From : ` is a From header (RFC 5322 §4.5.2), not an mbox line.
        let raw = "Received: x\r\nFrom : CEO <ceo@bank.example>\r\nDKIM-Signature: v=1\r\n\
                   From: Billing <billing@evil.example>\r\n\r\nPay.";
        assert_eq!(
            domains(raw),
            [
                (1, "bank.example".to_string()),
                (3, "evil.example".to_string())
            ]
        );
    }

    #[test]
    fn two_angle_addresses_give_every_domain_and_an_error() {
        // The reviewer's fr-two-angle: invalid per RFC 5322 §3.6.2, ambiguous about the author.
        let raw = "From: CEO <ceo@bank.example> <x@evil.example>\r\n\r\nPay.";
        let d: Vec<String> = domains(raw).into_iter().map(|(_, d)| d).collect();
        assert!(
            d.contains(&"bank.example".to_string()) && d.contains(&"evil.example".to_string()),
            "{d:?}"
        );
        let f = from_domain(&split_headers(raw.as_bytes()).headers);
        let e = f.error.unwrap();
        assert!(
            e.contains("From header 0") && e.contains("2 angle addresses"),
            "{e}"
        );
    }

    #[test]
    fn no_from_or_no_domain_is_empty() {
        assert!(domains("To: a@example.com\r\n\r\n").is_empty());
        assert!(domains("From: undisclosed\r\n\r\n").is_empty());
        // Hostile input does not panic.
        let _ = domains("From: <@@>, \u{fffd}@\u{e9}.test, (((\r\n\r\n");
    }
}
