//! SPF macro strings (RFC 7208 §7): parsing, the domain-spec end rule, and expansion.
//!
//! Parsing happens once, with the record, so a syntax error anywhere in a record is found before
//! any term is evaluated (§4.6). Expansion reports each macro with its value, so a step can show
//! `%{l2r-}` = `gladstone.philip` and why.

use std::net::IpAddr;

/// Where a macro string appears: the letters `c`, `r` and `t` are allowed only in the
/// explanation text fetched for `exp=` (§7.1), and only that text may contain spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MacroContext {
    DomainSpec,
    Explanation,
    /// The value of an unknown modifier: syntax-checked, never expanded.
    UnknownModifier,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MacroPart {
    Literal(String),
    /// `%%`, `%_` or `%-`: a macro-expand in the grammar, a fixed text in effect.
    Escape {
        text: &'static str,
        value: &'static str,
    },
    Expand(Expand),
}

/// One `%{…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expand {
    /// Lowercase macro letter.
    pub letter: char,
    /// Written in uppercase: the value is URL-escaped.
    pub url_escape: bool,
    /// Keep this many right-hand parts (never 0).
    pub keep: Option<usize>,
    pub reverse: bool,
    /// Delimiters to split on (`.` when none given).
    pub delimiters: String,
    /// As written, e.g. `%{l2r-}`.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MacroString {
    pub parts: Vec<MacroPart>,
    /// As written.
    pub source: String,
}

impl MacroString {
    pub fn parse(source: &str, context: MacroContext) -> Result<MacroString, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = source.char_indices().peekable();
        while let Some((start, c)) = chars.next() {
            if c == '%' {
                let escape = match chars.peek().map(|&(_, c)| c) {
                    Some('%') => Some(("%%", "%")),
                    Some('_') => Some(("%_", " ")),
                    Some('-') => Some(("%-", "%20")),
                    _ => None,
                };
                if let Some((text, value)) = escape {
                    chars.next();
                    flush(&mut literal, &mut parts);
                    parts.push(MacroPart::Escape { text, value });
                    continue;
                }
                if chars.peek().map(|&(_, c)| c) != Some('{') {
                    let after: String = source[start..].chars().take(3).collect();
                    return Err(format!(
                        "`{after}`: a `%` must be followed by `{{`, `%`, `_` or `-` (RFC 7208 §7.1)"
                    ));
                }
                chars.next();
                let Some(close) = source[start..].find('}') else {
                    return Err(format!(
                        "`{}`: macro not closed with `}}`",
                        &source[start..]
                    ));
                };
                let text = &source[start..start + close + 1];
                let expand = parse_expand(text, context)?;
                // Skip the characters of the macro body.
                while let Some(&(i, _)) = chars.peek() {
                    if i > start + close {
                        break;
                    }
                    chars.next();
                }
                flush(&mut literal, &mut parts);
                parts.push(MacroPart::Expand(expand));
            } else if is_macro_literal(c) || (c == ' ' && context == MacroContext::Explanation) {
                literal.push(c);
            } else {
                return Err(format!(
                    "character {} is not allowed here (only visible ASCII{} may appear, RFC 7208 §7.1)",
                    describe_char(c),
                    if context == MacroContext::Explanation {
                        " and spaces"
                    } else {
                        ""
                    }
                ));
            }
        }
        flush(&mut literal, &mut parts);
        Ok(MacroString {
            parts,
            source: source.to_string(),
        })
    }

    /// Parses a domain-spec: a non-empty macro string that ends in a macro or in `.` and a
    /// valid top label (RFC 7208 §7.1 `domain-end`).
    pub fn parse_domain_spec(source: &str) -> Result<MacroString, String> {
        if source.is_empty() {
            return Err("the domain-spec is empty".to_string());
        }
        let spec = MacroString::parse(source, MacroContext::DomainSpec)?;
        spec.check_domain_end()?;
        Ok(spec)
    }

    fn check_domain_end(&self) -> Result<(), String> {
        // The trailing run of literal text decides; a macro (or escape) at the very end is fine.
        let mut tail = String::new();
        for part in self.parts.iter().rev() {
            match part {
                MacroPart::Literal(text) => tail.insert_str(0, text),
                _ => break,
            }
        }
        if tail.is_empty() {
            return Ok(());
        }
        let trimmed = tail.strip_suffix('.').unwrap_or(&tail);
        let Some((_, top)) = trimmed.rsplit_once('.') else {
            return Err(format!(
                "`{}` does not end in `.` and a top-level label (a domain needs at least two labels, RFC 7208 §7.1)",
                self.source
            ));
        };
        if !is_toplabel(top) {
            return Err(format!(
                "`{top}` is not a valid top-level label in `{}` (letters, digits and inner hyphens, not all digits, RFC 7208 §7.1)",
                self.source
            ));
        }
        Ok(())
    }

    pub fn has_macros(&self) -> bool {
        self.parts
            .iter()
            .any(|p| !matches!(p, MacroPart::Literal(_)))
    }

    pub fn uses_letter(&self, letter: char) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, MacroPart::Expand(e) if e.letter == letter))
    }

    /// Expands with `vars`. Domain-spec results longer than 253 characters lose labels from
    /// the left until they fit (§7.3).
    pub fn expand(&self, vars: &MacroVars<'_>, context: MacroContext) -> Expansion {
        let mut text = String::new();
        let mut details = Vec::new();
        for part in &self.parts {
            match part {
                MacroPart::Literal(literal) => text.push_str(literal),
                MacroPart::Escape {
                    text: written,
                    value,
                } => {
                    text.push_str(value);
                    details.push(MacroDetail {
                        macro_text: written.to_string(),
                        value: value.to_string(),
                        meaning: match *written {
                            "%%" => "a literal percent sign",
                            "%_" => "a space",
                            _ => "a URL-encoded space",
                        }
                        .to_string(),
                    });
                }
                MacroPart::Expand(expand) => {
                    let (raw, meaning) = vars.value(expand.letter);
                    let value = match raw {
                        Some(raw) => transform(&raw, expand),
                        // Only %{t} without an evaluation time: kept as written.
                        None => expand.text.clone(),
                    };
                    text.push_str(&value);
                    details.push(MacroDetail {
                        macro_text: expand.text.clone(),
                        value,
                        meaning: describe_transform(meaning, expand),
                    });
                }
            }
        }
        let mut truncated = false;
        if context == MacroContext::DomainSpec {
            while text.len() > 253 {
                match text.find('.') {
                    Some(dot) => {
                        text.drain(..=dot);
                        truncated = true;
                    }
                    None => break,
                }
            }
        }
        Expansion {
            text,
            details,
            truncated,
        }
    }
}

fn flush(literal: &mut String, parts: &mut Vec<MacroPart>) {
    if !literal.is_empty() {
        parts.push(MacroPart::Literal(std::mem::take(literal)));
    }
}

/// macro-literal = %x21-24 / %x26-7E (visible ASCII except `%`).
fn is_macro_literal(c: char) -> bool {
    matches!(c, '\x21'..='\x24' | '\x26'..='\x7e')
}

pub(crate) fn describe_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("`{c}`")
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
fn is_toplabel(label: &str) -> bool {
    let bytes = label.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
        && first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && bytes.iter().any(|b| b.is_ascii_alphabetic() || *b == b'-')
}

fn parse_expand(text: &str, context: MacroContext) -> Result<Expand, String> {
    // text is `%{…}`
    let body = &text[2..text.len() - 1];
    let mut chars = body.chars().peekable();
    let Some(letter_written) = chars.next() else {
        return Err(format!("`{text}`: a macro needs a letter"));
    };
    let letter = letter_written.to_ascii_lowercase();
    let allowed = match context {
        MacroContext::DomainSpec => "slodiphv",
        MacroContext::Explanation | MacroContext::UnknownModifier => "slodiphvcrt",
    };
    if !allowed.contains(letter) {
        let reason = if "crt".contains(letter) {
            "c, r and t are allowed only in explanation text"
        } else {
            "macro letters are s l o d i p h v (and c r t in explanations)"
        };
        return Err(format!(
            "`{text}`: {} is not a macro letter here ({reason}, RFC 7208 §7.1)",
            describe_char(letter_written)
        ));
    }
    let mut digits = String::new();
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            digits.push(c);
            chars.next();
        } else {
            break;
        }
    }
    let keep = if digits.is_empty() {
        None
    } else {
        // Any count beyond the number of labels keeps them all; saturate instead of overflow.
        let n = digits.parse::<usize>().unwrap_or(usize::MAX);
        if n == 0 {
            return Err(format!(
                "`{text}`: the number of parts to keep must not be zero (RFC 7208 §7.3)"
            ));
        }
        Some(n)
    };
    let mut reverse = false;
    if matches!(chars.peek(), Some('r') | Some('R')) {
        reverse = true;
        chars.next();
    }
    let mut delimiters = String::new();
    for c in chars {
        if ".-+,/_=".contains(c) {
            delimiters.push(c);
        } else {
            return Err(format!(
                "`{text}`: {} is not a delimiter (allowed: . - + , / _ =)",
                describe_char(c)
            ));
        }
    }
    Ok(Expand {
        letter,
        url_escape: letter_written.is_ascii_uppercase(),
        keep,
        reverse,
        delimiters,
        text: text.to_string(),
    })
}

fn transform(value: &str, expand: &Expand) -> String {
    let delimiters = if expand.delimiters.is_empty() {
        "."
    } else {
        expand.delimiters.as_str()
    };
    let out = if expand.keep.is_some() || expand.reverse || !expand.delimiters.is_empty() {
        let mut parts: Vec<&str> = value.split(|c| delimiters.contains(c)).collect();
        if expand.reverse {
            parts.reverse();
        }
        if let Some(keep) = expand.keep
            && keep < parts.len()
        {
            parts.drain(..parts.len() - keep);
        }
        parts.join(".")
    } else {
        value.to_string()
    };
    if expand.url_escape {
        url_escape(&out)
    } else {
        out
    }
}

/// Escapes everything outside RFC 3986 `unreserved` (§7.3: uppercase macro letters).
fn url_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn describe_transform(meaning: &str, expand: &Expand) -> String {
    let mut words = vec![meaning.to_string()];
    if !expand.delimiters.is_empty() {
        words.push(format!("split on `{}`", expand.delimiters));
    }
    if expand.reverse {
        words.push("reversed".to_string());
    }
    if let Some(keep) = expand.keep {
        words.push(format!("rightmost {keep} part(s) kept"));
    }
    if expand.url_escape {
        words.push("URL-escaped".to_string());
    }
    words.join(", ")
}

/// The macro values of one check_host() run known before it starts: all but `d` (the domain of
/// the record being read) and `p` (found by lookups).
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    /// `s`: the sender (`postmaster@domain` when it had no local-part).
    pub sender: String,
    pub local_part: String,
    pub sender_domain: String,
    pub ip: IpAddr,
    pub helo: String,
    pub receiver: String,
    pub now: Option<i64>,
}

impl Identity {
    /// The macro values while reading `domain`'s record.
    pub fn vars<'v>(&'v self, domain: &'v str, validated_name: Option<&'v str>) -> MacroVars<'v> {
        MacroVars {
            sender: &self.sender,
            local_part: &self.local_part,
            sender_domain: &self.sender_domain,
            domain,
            ip: self.ip,
            helo: &self.helo,
            receiver: &self.receiver,
            now: self.now,
            validated_name,
        }
    }
}

/// The values the macro letters stand for in one check_host() run.
#[derive(Debug, Clone)]
pub(crate) struct MacroVars<'a> {
    /// `s`: the sender (`postmaster@domain` when it had no local-part).
    pub sender: &'a str,
    /// `l`
    pub local_part: &'a str,
    /// `o`
    pub sender_domain: &'a str,
    /// `d`: the domain whose record is being evaluated.
    pub domain: &'a str,
    pub ip: IpAddr,
    /// `h`
    pub helo: &'a str,
    /// `r`
    pub receiver: &'a str,
    /// `t`: unix seconds, when an evaluation time was given.
    pub now: Option<i64>,
    /// `p`: the validated domain name of the IP, found beforehand when the string uses `p`.
    pub validated_name: Option<&'a str>,
}

impl MacroVars<'_> {
    fn value(&self, letter: char) -> (Option<String>, &'static str) {
        match letter {
            's' => (Some(self.sender.to_string()), "the sender"),
            'l' => (Some(self.local_part.to_string()), "the sender's local-part"),
            'o' => (Some(self.sender_domain.to_string()), "the sender's domain"),
            'd' => (Some(self.domain.to_string()), "the domain being evaluated"),
            'i' => (Some(dotted_ip(self.ip)), "the client IP, dotted"),
            'c' => (Some(self.ip.to_string()), "the client IP, readable"),
            'v' => (
                Some(
                    match self.ip {
                        IpAddr::V4(_) => "in-addr",
                        IpAddr::V6(_) => "ip6",
                    }
                    .to_string(),
                ),
                "`in-addr` for IPv4, `ip6` for IPv6",
            ),
            'h' => (Some(self.helo.to_string()), "the HELO name"),
            'r' => (
                Some(if self.receiver.is_empty() {
                    "unknown".to_string()
                } else {
                    self.receiver.to_string()
                }),
                "the receiving host",
            ),
            't' => match self.now {
                Some(now) => (Some(now.to_string()), "the evaluation time (unix seconds)"),
                None => (None, "the evaluation time, not given: left as written"),
            },
            'p' => (
                Some(self.validated_name.unwrap_or("unknown").to_string()),
                "the validated domain name of the client IP",
            ),
            _ => (Some(String::new()), "unknown macro"),
        }
    }
}

/// `%{i}`: IPv4 dotted quad; IPv6 as 32 dot-separated nibbles (RFC 7208 §7.3).
pub(crate) fn dotted_ip(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => nibbles(&v6.octets()).join("."),
    }
}

fn nibbles(octets: &[u8; 16]) -> Vec<String> {
    octets
        .iter()
        .flat_map(|b| [b >> 4, b & 0x0f])
        .map(|n| format!("{n:x}"))
        .collect()
}

/// The reverse-mapping name queried for PTR (`4.3.2.1.in-addr.arpa`, `…ip6.arpa`).
pub(crate) fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut n = nibbles(&v6.octets());
            n.reverse();
            format!("{}.ip6.arpa", n.join("."))
        }
    }
}

/// What a macro string expanded to, and each macro's part in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Expansion {
    pub text: String,
    pub details: Vec<MacroDetail>,
    /// Labels were removed from the left to fit 253 characters.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MacroDetail {
    pub macro_text: String,
    pub value: String,
    pub meaning: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RFC 7208 §7.4 example values.
    fn rfc_vars(ip: &str) -> MacroVars<'static> {
        MacroVars {
            sender: "strong-bad@email.example.com",
            local_part: "strong-bad",
            sender_domain: "email.example.com",
            domain: "email.example.com",
            ip: ip.parse().unwrap(),
            helo: "mx.example.org",
            receiver: "mx.example.net",
            now: None,
            validated_name: None,
        }
    }

    fn expand(spec: &str, ip: &str) -> String {
        MacroString::parse(spec, MacroContext::DomainSpec)
            .unwrap()
            .expand(&rfc_vars(ip), MacroContext::DomainSpec)
            .text
    }

    #[test]
    fn rfc7208_section_7_4_examples() {
        let v4 = "192.0.2.3";
        assert_eq!(expand("%{s}", v4), "strong-bad@email.example.com");
        assert_eq!(expand("%{o}", v4), "email.example.com");
        assert_eq!(expand("%{d}", v4), "email.example.com");
        assert_eq!(expand("%{d4}", v4), "email.example.com");
        assert_eq!(expand("%{d3}", v4), "email.example.com");
        assert_eq!(expand("%{d2}", v4), "example.com");
        assert_eq!(expand("%{d1}", v4), "com");
        assert_eq!(expand("%{dr}", v4), "com.example.email");
        assert_eq!(expand("%{d2r}", v4), "example.email");
        assert_eq!(expand("%{l}", v4), "strong-bad");
        assert_eq!(expand("%{l-}", v4), "strong.bad");
        assert_eq!(expand("%{lr}", v4), "strong-bad");
        assert_eq!(expand("%{lr-}", v4), "bad.strong");
        assert_eq!(expand("%{l1r-}", v4), "strong");
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", v4),
            "3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp._spf.%{d2}", v4),
            "bad.strong.lp._spf.example.com"
        );
        assert_eq!(
            expand("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", v4),
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"
        );
        assert_eq!(
            expand("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", v4),
            "3.2.0.192.in-addr.strong.lp._spf.example.com"
        );
        assert_eq!(
            expand("%{d2}.trusted-domains.example.net", v4),
            "example.com.trusted-domains.example.net"
        );
        assert_eq!(
            expand("%{ir}.%{v}._spf.%{d2}", "2001:db8::cb01"),
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
        );
    }

    #[test]
    fn escapes_and_url_escaping() {
        assert_eq!(
            expand("a%%b%_c%-d.example.com", "192.0.2.3"),
            "a%b c%20d.example.com"
        );
        let mut vars = rfc_vars("192.0.2.3");
        vars.local_part = "~jack&jill=up-a_b3.c";
        let s = MacroString::parse("why?l=%{L}", MacroContext::Explanation).unwrap();
        assert_eq!(
            s.expand(&vars, MacroContext::Explanation).text,
            "why?l=~jack%26jill%3Dup-a_b3.c"
        );
    }

    #[test]
    fn syntax_errors_name_the_offending_text() {
        let err =
            MacroString::parse("%(ir).sbl.example.com", MacroContext::DomainSpec).unwrap_err();
        assert!(err.contains("%(i"), "{err}");
        let err = MacroString::parse("%{a}.example.com", MacroContext::DomainSpec).unwrap_err();
        assert!(err.contains("%{a}"), "{err}");
        assert!(MacroString::parse("%{r}.example.com", MacroContext::DomainSpec).is_err());
        assert!(MacroString::parse("%{r} says no", MacroContext::Explanation).is_ok());
        assert!(MacroString::parse("%{d0}", MacroContext::DomainSpec).is_err());
        assert!(MacroString::parse("foo%", MacroContext::DomainSpec).is_err());
        assert!(MacroString::parse("%{d", MacroContext::DomainSpec).is_err());
        assert!(MacroString::parse("caf\u{e9}.example.com", MacroContext::DomainSpec).is_err());
    }

    #[test]
    fn domain_end_rule() {
        for good in [
            "example.com",
            "example.com.",
            "%{d}",
            "foo.%{d2}",
            "a.xn--zckzah",
            "x.1-2",
        ] {
            assert!(MacroString::parse_domain_spec(good).is_ok(), "{good}");
        }
        for bad in [
            "museum",
            "museum.",
            "abc.123",
            "example.-com",
            "example.com:8080",
            "",
            "%{d}com",
        ] {
            assert!(MacroString::parse_domain_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn long_expansions_lose_labels_from_the_left() {
        let mut vars = rfc_vars("192.0.2.3");
        let long = "abcdefghij.".repeat(30) + "example.com";
        vars.domain = &long;
        let s = MacroString::parse("%{d}", MacroContext::DomainSpec).unwrap();
        let e = s.expand(&vars, MacroContext::DomainSpec);
        assert!(e.truncated);
        assert!(e.text.len() <= 253);
        assert!(e.text.ends_with("abcdefghij.example.com"));
        assert!(!e.text.starts_with('.'));
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.3".parse().unwrap()),
            "3.2.0.192.in-addr.arpa"
        );
        assert!(
            reverse_name("2001:db8::1".parse().unwrap()).ends_with(".8.b.d.0.1.0.0.2.ip6.arpa")
        );
    }
}
