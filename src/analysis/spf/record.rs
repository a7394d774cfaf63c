//! SPF record grammar (RFC 7208 §4.5, §4.6, §5, §6 and the ABNF of §12).
//!
//! The whole record is parsed before evaluation: a syntax error anywhere is a permerror even when
//! an earlier term would have matched (§4.6).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::macros::{MacroContext, MacroString, describe_char};
use crate::analysis::AuthResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Qualifier {
    Pass,
    Fail,
    SoftFail,
    Neutral,
}

impl Qualifier {
    pub fn result(self) -> AuthResult {
        match self {
            Qualifier::Pass => AuthResult::Pass,
            Qualifier::Fail => AuthResult::Fail,
            Qualifier::SoftFail => AuthResult::SoftFail,
            Qualifier::Neutral => AuthResult::Neutral,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mechanism {
    All,
    Include(MacroString),
    A {
        domain: Option<MacroString>,
        cidr4: u8,
        cidr6: u8,
    },
    Mx {
        domain: Option<MacroString>,
        cidr4: u8,
        cidr6: u8,
    },
    Ptr(Option<MacroString>),
    Ip4 {
        network: Ipv4Addr,
        prefix: u8,
    },
    Ip6 {
        network: Ipv6Addr,
        prefix: u8,
    },
    Exists(MacroString),
}

impl Mechanism {
    /// Mechanisms that query DNS count against the limit of 10 (§4.6.4).
    pub fn queries_dns(&self) -> bool {
        !matches!(
            self,
            Mechanism::All | Mechanism::Ip4 { .. } | Mechanism::Ip6 { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Directive {
    pub qualifier: Qualifier,
    pub mechanism: Mechanism,
    /// The term as written in the record.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub directives: Vec<Directive>,
    /// `redirect=` target and the term as written.
    pub redirect: Option<(MacroString, String)>,
    pub exp: Option<(MacroString, String)>,
    /// Unknown modifiers (ignored, §6).
    pub unknown_modifiers: Vec<String>,
}

impl Record {
    pub fn has_all(&self) -> bool {
        self.directives
            .iter()
            .any(|d| d.mechanism == Mechanism::All)
    }
}

/// A record that does not follow the grammar: the offending term and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub term: String,
    pub reason: String,
}

/// True when a TXT string is an SPF record: `v=spf1` (any case) followed by a space or the end
/// (§4.5). `v=spf10` and `v=spf1mx` are not.
pub(crate) fn is_spf_record(text: &str) -> bool {
    let Some(version) = text.get(..6) else {
        return false;
    };
    version.eq_ignore_ascii_case("v=spf1") && matches!(text.as_bytes().get(6), None | Some(b' '))
}

/// Parses a record already selected by [`is_spf_record`]. Terms are separated by spaces only:
/// tabs, CR and LF stay inside a term and make it invalid (§4.6.1).
pub(crate) fn parse_record(text: &str) -> Result<Record, SyntaxError> {
    let body = text.get(6..).unwrap_or("");
    let mut record = Record {
        directives: Vec::new(),
        redirect: None,
        exp: None,
        unknown_modifiers: Vec::new(),
    };
    for term in body.split(' ').filter(|t| !t.is_empty()) {
        let err = |reason: String| SyntaxError {
            term: term.to_string(),
            reason,
        };
        if let Some((name, value)) = modifier_parts(term).map_err(err)? {
            match name.to_ascii_lowercase().as_str() {
                "redirect" => {
                    if record.redirect.is_some() {
                        return Err(err(
                            "`redirect=` appears more than once (RFC 7208 §6)".to_string()
                        ));
                    }
                    let spec = MacroString::parse_domain_spec(value).map_err(err)?;
                    record.redirect = Some((spec, term.to_string()));
                }
                "exp" => {
                    if record.exp.is_some() {
                        return Err(err(
                            "`exp=` appears more than once (RFC 7208 §6)".to_string()
                        ));
                    }
                    let spec = MacroString::parse_domain_spec(value).map_err(err)?;
                    record.exp = Some((spec, term.to_string()));
                }
                _ => {
                    MacroString::parse(value, MacroContext::UnknownModifier).map_err(err)?;
                    record.unknown_modifiers.push(term.to_string());
                }
            }
            continue;
        }
        let directive = parse_directive(term).map_err(err)?;
        record.directives.push(directive);
    }
    Ok(record)
}

/// `name "=" value` when the term is a modifier: a name (ALPHA *(ALPHA / DIGIT / - / _ / .))
/// immediately followed by `=` (§4.6.1). Ok(None) when it is a directive.
fn modifier_parts(term: &str) -> Result<Option<(&str, &str)>, String> {
    let end = term
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(term.len());
    if term[end..].starts_with('=') {
        let name = &term[..end];
        if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(if name.is_empty() {
                "a modifier needs a name before `=`".to_string()
            } else {
                format!("modifier name `{name}` must begin with a letter (RFC 7208 §4.6.1)")
            });
        }
        return Ok(Some((name, &term[end + 1..])));
    }
    Ok(None)
}

fn parse_directive(term: &str) -> Result<Directive, String> {
    let (qualifier, rest) = match term.chars().next() {
        Some('+') => (Qualifier::Pass, &term[1..]),
        Some('-') => (Qualifier::Fail, &term[1..]),
        Some('~') => (Qualifier::SoftFail, &term[1..]),
        Some('?') => (Qualifier::Neutral, &term[1..]),
        _ => (Qualifier::Pass, term),
    };
    let name_end = rest.find([':', '/']).unwrap_or(rest.len());
    let name = &rest[..name_end];
    let arg = &rest[name_end..];
    let mechanism = match name.to_ascii_lowercase().as_str() {
        "all" => {
            if !arg.is_empty() {
                return Err("`all` takes no argument (RFC 7208 §5.1)".to_string());
            }
            Mechanism::All
        }
        "include" => Mechanism::Include(required_domain(name, arg)?),
        "exists" => Mechanism::Exists(required_domain(name, arg)?),
        "a" | "mx" => {
            let (domain, cidr4, cidr6) = domain_and_dual_cidr(arg)?;
            if name.eq_ignore_ascii_case("a") {
                Mechanism::A {
                    domain,
                    cidr4,
                    cidr6,
                }
            } else {
                Mechanism::Mx {
                    domain,
                    cidr4,
                    cidr6,
                }
            }
        }
        "ptr" => {
            if arg.is_empty() {
                Mechanism::Ptr(None)
            } else if let Some(spec) = arg.strip_prefix(':') {
                Mechanism::Ptr(Some(MacroString::parse_domain_spec(spec)?))
            } else {
                return Err("`ptr` takes no CIDR length (RFC 7208 §5.5)".to_string());
            }
        }
        "ip4" => {
            let (network, prefix) =
                network_arg::<Ipv4Addr>("ip4", arg, 32, "an IPv4 address in dotted-quad form")?;
            Mechanism::Ip4 { network, prefix }
        }
        "ip6" => {
            let (network, prefix) = network_arg::<Ipv6Addr>("ip6", arg, 128, "an IPv6 address")?;
            Mechanism::Ip6 { network, prefix }
        }
        _ => {
            if let Some(c) = term.chars().find(|c| !c.is_ascii_graphic()) {
                return Err(format!(
                    "unknown mechanism; it contains {}, and SPF records are 7-bit ASCII separated by spaces only",
                    describe_char(c)
                ));
            }
            return Err(format!(
                "unknown mechanism `{name}` (known: all include a mx ptr ip4 ip6 exists; modifiers are written name=value)"
            ));
        }
    };
    Ok(Directive {
        qualifier,
        mechanism,
        text: term.to_string(),
    })
}

fn required_domain(name: &str, arg: &str) -> Result<MacroString, String> {
    match arg.strip_prefix(':') {
        Some(spec) => MacroString::parse_domain_spec(spec),
        None => Err(format!(
            "`{name}` needs `:` and a domain (RFC 7208 §5.2, §5.7)"
        )),
    }
}

/// `[":" domain-spec] [dual-cidr-length]` of `a` and `mx`. The CIDR lengths are a suffix:
/// the domain-spec itself may contain `/` (e.g. `a:foo:bar/baz.example.com`).
fn domain_and_dual_cidr(arg: &str) -> Result<(Option<MacroString>, u8, u8), String> {
    let (rest, cidr6) = match trailing_cidr(arg) {
        Some((before, digits)) if before.ends_with('/') => {
            (&before[..before.len() - 1], Some(cidr_length(digits, 128)?))
        }
        _ => (arg, None),
    };
    let (rest, cidr4) = match trailing_cidr(rest) {
        Some((before, digits)) if !before.ends_with('/') => {
            (before, Some(cidr_length(digits, 32)?))
        }
        _ => (rest, None),
    };
    let domain = if rest.is_empty() {
        None
    } else if let Some(spec) = rest.strip_prefix(':') {
        Some(MacroString::parse_domain_spec(spec)?)
    } else {
        return Err(format!(
            "`{arg}` is not a valid argument (expected `:domain`, `/ip4-cidr` and/or `//ip6-cidr`)"
        ));
    };
    Ok((domain, cidr4.unwrap_or(32), cidr6.unwrap_or(128)))
}

/// Splits `…/123` into (`…`, `123`) (the slash removed).
fn trailing_cidr(s: &str) -> Option<(&str, &str)> {
    // Digits are ASCII, so this is always a char boundary.
    let digits_start = s.len() - s.bytes().rev().take_while(u8::is_ascii_digit).count();
    let digits = &s[digits_start..];
    if digits.is_empty() {
        return None;
    }
    let before = s[..digits_start].strip_suffix('/')?;
    Some((before, digits))
}

/// A CIDR length: decimal, no leading zeros, at most `max` (§5.6).
/// The `:address[/length]` of `ip4` or `ip6` (RFC 7208 §5.6): the network and its prefix length,
/// `max` when none is given. `what` names the address form in the error.
fn network_arg<A: std::str::FromStr>(
    mechanism: &str,
    arg: &str,
    max: u8,
    what: &str,
) -> Result<(A, u8), String> {
    let Some(value) = arg.strip_prefix(':') else {
        return Err(format!(
            "`{mechanism}` needs `:` and an address (RFC 7208 §5.6)"
        ));
    };
    let (addr, cidr) = match value.split_once('/') {
        Some((addr, cidr)) => (addr, Some(cidr)),
        None => (value, None),
    };
    let network = addr
        .parse::<A>()
        .map_err(|_| format!("`{addr}` is not {what}"))?;
    let prefix = match cidr {
        Some(c) => cidr_length(c, max)?,
        None => max,
    };
    Ok((network, prefix))
}

fn cidr_length(digits: &str, max: u8) -> Result<u8, String> {
    let valid = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    let value = if valid {
        digits.parse::<u16>().ok()
    } else {
        None
    };
    match value {
        Some(v) if v <= u16::from(max) => Ok(v as u8),
        _ => Err(format!(
            "`/{digits}` is not a valid CIDR length (0 to {max}, no leading zeros, RFC 7208 §5.6)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perm(record: &str) -> SyntaxError {
        parse_record(record).expect_err(record)
    }

    #[test]
    fn version_must_end_with_space_or_record() {
        assert!(is_spf_record("v=spf1"));
        assert!(is_spf_record("V=SpF1 -all"));
        assert!(!is_spf_record("v=spf10"));
        assert!(!is_spf_record("v=spf1mx"));
        assert!(!is_spf_record("\u{96}"));
    }

    #[test]
    fn syntax_errors_name_the_offending_term() {
        assert_eq!(perm("v=spf1 ip4:1.2.3.4 -all moo").term, "moo");
        assert_eq!(perm("v=spf1 -all.").term, "-all.");
        assert_eq!(perm("v=spf1 a:foo-bar -all").term, "a:foo-bar");
        assert_eq!(perm("v=spf1 ip4:1.2.3.4/032").term, "ip4:1.2.3.4/032");
        assert_eq!(perm("v=spf1 a/24/64").term, "a/24/64");
        assert_eq!(perm("v=spf1 a//129").term, "a//129");
        assert_eq!(perm("v=spf1 ptr/0").term, "ptr/0");
        assert_eq!(perm("v=spf1 include").term, "include");
        assert_eq!(perm("v=spf1 1up=foo").term, "1up=foo");
        assert_eq!(perm("v=spf1 =all").term, "=all");
        assert_eq!(perm("v=spf1 foo=%abc").term, "foo=%abc");
        assert_eq!(perm("v=spf1 exp= -all").term, "exp=");
        assert_eq!(
            perm("v=spf1 redirect:t2.example.com").term,
            "redirect:t2.example.com"
        );
        assert_eq!(
            perm("v=spf1 a:ctrl.example.com\rptr -all").term,
            "a:ctrl.example.com\rptr"
        );
        let twice = perm("v=spf1 redirect=a.example.com redirect=b.example.com");
        assert!(twice.reason.contains("more than once"), "{}", twice.reason);
        let moo = perm("v=spf1 moo.cow/far_out=man:dog/cat ip4:1.2.3.4 -all");
        assert!(moo.reason.contains("unknown mechanism"), "{}", moo.reason);
    }

    #[test]
    fn valid_records() {
        let r = parse_record("v=spf1 moo.cow-far_out=man:dog/cat a/24//64 mx:foo:bar/baz.example.com ~all exp=x.%{d} ").unwrap();
        assert_eq!(r.unknown_modifiers, vec!["moo.cow-far_out=man:dog/cat"]);
        assert_eq!(
            r.directives[0].mechanism,
            Mechanism::A {
                domain: None,
                cidr4: 24,
                cidr6: 64
            }
        );
        assert!(
            matches!(&r.directives[1].mechanism, Mechanism::Mx { domain: Some(d), cidr4: 32, cidr6: 128 } if d.source == "foo:bar/baz.example.com")
        );
        assert_eq!(r.directives[2].qualifier, Qualifier::SoftFail);
        assert!(r.exp.is_some());
        let ip6 = parse_record("v=spf1 ip6:Cafe:Babe:8000::/33").unwrap();
        assert!(matches!(
            ip6.directives[0].mechanism,
            Mechanism::Ip6 { prefix: 33, .. }
        ));
    }

    #[test]
    fn arbitrary_text_never_panics() {
        const PIECES: [&str; 26] = [
            "a", ":", "/", "%", "{", "}", "d", "1", "0", ".", "-", "=", "é", "ip4", "ip6", "mx",
            "ptr", "exists", "include", "all", "~", "+", " ", "r", "\u{0}", "_",
        ];
        // A fixed linear congruential generator: the same 20 000 records on every run.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut record = String::from("v=spf1 ");
            for _ in 0..(state % 12) {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                record.push_str(PIECES[((state >> 33) % PIECES.len() as u64) as usize]);
            }
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1);
            let _ = parse_record(&record);
            let _ = MacroString::parse(&record, MacroContext::Explanation);
        }
    }
}
