//! Every author domain of a message: the domains of all mailboxes in all From headers.
//!
//! RFC 7489 §6.6.1: a message with several From headers, or a From with mailboxes of different
//! domains, is typically rejected; a receiver that goes on evaluates DMARC for each author domain
//! and applies the strictest result. `headers::from_domain` reads the first mailbox only (the
//! one DMARC normally uses); this reads them all.

use mail_parser::MessageParser;

// Absolute paths: this module is declared from dmarc.rs until mod.rs declares it.
use crate::analysis::align::normalize_domain;
use crate::analysis::headers::from_domain;
use crate::analysis::model::Header;

/// The distinct author domains, in header order, each with the index of the first From header
/// it appears in. Domains are lower-case A-labels; mailboxes without a usable domain are left
/// out (`headers::from_domain` reports those). The first entry is the domain
/// `headers::from_domain` returns, when it returns one.
pub fn from_domains(headers: &[Header]) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    for header in headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("from"))
    {
        // The first mailbox as the headers module reads it, so both agree on the main domain.
        let first = from_domain(std::slice::from_ref(header)).domain;
        for domain in first.into_iter().chain(mailbox_domains(&header.value)) {
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
    use crate::analysis::headers::split_headers;

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
    fn no_from_or_no_domain_is_empty() {
        assert!(domains("To: a@example.com\r\n\r\n").is_empty());
        assert!(domains("From: undisclosed\r\n\r\n").is_empty());
        // Hostile input does not panic.
        let _ = domains("From: <@@>, \u{fffd}@\u{e9}.test, (((\r\n\r\n");
    }
}
