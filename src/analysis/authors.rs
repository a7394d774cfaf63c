//! Every author domain of a message: the domains of all mailboxes in all From headers.
//!
//! RFC 7489 §6.6.1: a message with several From headers, or a From with mailboxes of different
//! domains, is typically rejected; a receiver that goes on evaluates DMARC for each author domain
//! and applies the strictest result. `headers::from_domain` reads the first usable domain only
//! (the one DMARC normally uses); this reads them all: every From header (an empty or broken one
//! does not hide the next), every mailbox, and every angle address of a mailbox written with
//! several (`Name <a@x> <b@y>`, invalid, and ambiguous about the author).

use mail_parser::MessageParser;

// Absolute paths: this module is declared from dmarc.rs until mod.rs declares it.
use crate::analysis::align::normalize_domain;
use crate::analysis::model::Header;
use crate::analysis::trail::headers::from_header_domains;

/// The distinct author domains, in header order, each with the index of the first From header
/// it appears in. Domains are lower-case A-labels; mailboxes without a usable domain are left
/// out (`headers::from_domain` reports those, and an empty list means DMARC has no author
/// domain at all). The first entry is the domain `headers::from_domain` returns, when it
/// returns one.
pub fn from_domains(headers: &[Header]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
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
            if !out.iter().any(|(_, d)| *d == domain) {
                out.push((header.index, domain));
            }
        }
    }
    out
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
