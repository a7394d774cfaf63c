//! Sender-identity signals a phishing analyst looks for that SPF, DKIM and DMARC do not judge:
//! a display name that carries someone else's address, a Reply-To that leads elsewhere, and a
//! From domain made of look-alike characters. They are warnings, never verdicts: a lookalike
//! domain can pass every check for itself (that is the point of registering it).

use super::dmarc::org_domain_psl;
use super::model::{Header, Severity, Warning};

/// The warning codes this module emits (the summary lists them first among the findings).
pub const CODES: [&str; 4] = [
    "display-name-domain",
    "from-lookalike",
    "from-idn",
    "reply-to-elsewhere",
];

/// One address as mail-parser reads it (encoded words in the display name decoded).
struct Mailbox {
    name: Option<String>,
    address: Option<String>,
}

/// Reads the first mailbox of an address header with mail-parser.
fn first_mailbox(header: &Header) -> Option<Mailbox> {
    let field = format!("{}: {}\r\n\r\n", header.name, header.value);
    let message = mail_parser::MessageParser::default().parse_headers(field.as_bytes())?;
    let list = match header.name.to_ascii_lowercase().as_str() {
        "from" => message.from()?,
        "reply-to" => message.reply_to()?,
        _ => return None,
    };
    let addr = list.first()?;
    Some(Mailbox {
        name: addr.name().map(str::to_string),
        address: addr.address().map(str::to_string),
    })
}

fn domain_of(address: &str) -> Option<String> {
    let (_, d) = address.rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// Organizational domain by the PSL, falling back to the domain itself.
fn org(domain: &str) -> String {
    org_domain_psl(domain).unwrap_or_else(|| domain.to_string())
}

/// Digits commonly put where a letter belongs (`paypa1`, `micros0ft`).
fn letter_for_digit(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'l',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        _ => return None,
    })
}

/// `paypa1.example` → `Some("paypal")` when a lone digit sits among letters in the registrable
/// label. Runs of digits (`office365`, `24x7`) are left alone: they are not letter stand-ins.
pub fn digit_lookalike(domain: &str) -> Option<String> {
    let registrable = org(domain);
    let label = registrable.split('.').next()?;
    if label.starts_with("xn--") {
        return None; // punycode: its digits encode the Unicode, see `from-idn`
    }
    let chars: Vec<char> = label.chars().collect();
    let letters = chars.iter().filter(|c| c.is_ascii_alphabetic()).count();
    if letters < 3 {
        return None;
    }
    let mut changed = false;
    let mut out = String::with_capacity(label.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev_letter = i > 0 && chars[i - 1].is_ascii_alphabetic();
        let next_letter = chars.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic());
        let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let next_digit = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
        match letter_for_digit(c) {
            Some(l) if (prev_letter || next_letter) && !prev_digit && !next_digit => {
                out.push(l);
                changed = true;
            }
            _ => out.push(c),
        }
    }
    changed.then_some(out)
}

/// Signals about the author identity, as warnings naming the header at fault.
pub fn sender_signals(headers: &[Header]) -> Vec<Warning> {
    let mut out = Vec::new();
    let Some(from_header) = headers.iter().find(|h| h.name.eq_ignore_ascii_case("from")) else {
        return out;
    };
    let Some(from) = first_mailbox(from_header) else {
        return out;
    };
    let Some(from_domain) = from.address.as_deref().and_then(domain_of) else {
        return out;
    };
    let from_org = org(&from_domain);

    if let Some(name) = from.name.as_deref() {
        // An address (or bare domain) in the display name that is not the sender's.
        let shown = name
            .split(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '(' | ')' | '"' | '\''))
            .filter_map(|w| {
                let w = w.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '[' | ']'));
                if w.contains('@') {
                    domain_of(w)
                } else if w.contains('.') && w.chars().any(|c| c.is_ascii_alphabetic()) {
                    Some(w.trim_end_matches('.').to_ascii_lowercase())
                } else {
                    None
                }
            })
            .find(|d| d.contains('.') && org(d) != from_org);
        if let Some(shown) = shown {
            out.push(Warning::new(
                Severity::Warning,
                "display-name-domain",
                format!(
                    "The From display name {:?} shows {shown}, but the address is at {from_domain}: mail clients that show only the name let it pass for {shown}",
                    name
                ),
                Some(from_header.index),
            ));
        }
    }

    if let Some(reads_as) = digit_lookalike(&from_domain) {
        out.push(Warning::new(
            Severity::Warning,
            "from-lookalike",
            format!(
                "The From domain {from_domain} uses digits where letters belong: it reads as {reads_as} (a lookalike can pass SPF, DKIM and DMARC for itself)"
            ),
            Some(from_header.index),
        ));
    }
    if from_domain.split('.').any(|l| l.starts_with("xn--")) || !from_domain.is_ascii() {
        out.push(Warning::new(
            Severity::Warning,
            "from-idn",
            format!(
                "The From domain {from_domain} is internationalized: check it is not a lookalike of a familiar name in another script"
            ),
            Some(from_header.index),
        ));
    }

    if let Some(reply_header) = headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("reply-to"))
        && let Some(reply) = first_mailbox(reply_header)
        && let Some(reply_domain) = reply.address.as_deref().and_then(domain_of)
        && org(&reply_domain) != from_org
    {
        out.push(Warning::new(
            Severity::Warning,
            "reply-to-elsewhere",
            format!(
                "Replies go to {} at {reply_domain}, not to the From domain {from_domain}",
                reply.address.as_deref().unwrap_or("?")
            ),
            Some(reply_header.index),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::trail::headers::split_headers;

    fn codes(raw: &str) -> Vec<String> {
        sender_signals(&split_headers(raw.as_bytes()).headers)
            .into_iter()
            .map(|w| w.code)
            .collect()
    }

    #[test]
    fn digit_for_letter_reads_as_the_brand() {
        assert_eq!(digit_lookalike("paypa1.example").as_deref(), Some("paypal"));
        assert_eq!(
            digit_lookalike("mail.micros0ft.com").as_deref(),
            Some("microsoft")
        );
    }

    #[test]
    fn digit_runs_and_plain_names_are_not_lookalikes() {
        assert_eq!(digit_lookalike("office365.com"), None);
        assert_eq!(digit_lookalike("example.com"), None);
        assert_eq!(digit_lookalike("24x7.example"), None);
    }

    #[test]
    fn display_name_with_another_address_is_flagged() {
        let c = codes("From: \"service@paypal.com\" <alert@evil.example>\r\n\r\n");
        assert_eq!(c, vec!["display-name-domain"]);
    }

    #[test]
    fn encoded_display_name_is_decoded_before_the_check() {
        // =?UTF-8?B?c2VydmljZUBwYXlwYWwuY29t?= is "service@paypal.com".
        let c = codes("From: =?UTF-8?B?c2VydmljZUBwYXlwYWwuY29t?= <a@evil.example>\r\n\r\n");
        assert_eq!(c, vec!["display-name-domain"]);
    }

    #[test]
    fn display_name_with_own_domain_is_fine() {
        assert!(codes("From: \"news@example.com\" <news@mail.example.com>\r\n\r\n").is_empty());
        assert!(codes("From: Alice Example <alice@example.com>\r\n\r\n").is_empty());
    }

    #[test]
    fn reply_to_at_another_organization_is_flagged() {
        let c = codes("From: a@example.com\r\nReply-To: b@evil.example\r\n\r\n");
        assert_eq!(c, vec!["reply-to-elsewhere"]);
        assert!(codes("From: a@example.com\r\nReply-To: b@lists.example.com\r\n\r\n").is_empty());
    }

    #[test]
    fn punycode_from_domain_is_flagged() {
        assert_eq!(codes("From: a@xn--pypal-4ve.com\r\n\r\n"), vec!["from-idn"]);
    }
}
