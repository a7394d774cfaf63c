//! Reading the ARC headers (RFC 8617 §4.1): ARC-Seal, ARC-Message-Signature and
//! ARC-Authentication-Results, each with its instance.

use super::{Aar, ArcHeader, ChainValidation, Kind, MAX_INSTANCES, Parsed, Seal};
use crate::analysis::dkim::{
    RawTag, SignatureCore, lenient_tags, parse_algorithm, parse_base64_tag, parse_domain,
    parse_number, parse_tag_list, shorten, tag,
};
use crate::analysis::model::Header;

pub(super) fn parse_instance(value: Option<&str>) -> Result<u32, String> {
    let value = value.ok_or("i= is missing")?;
    let n = parse_number("i", value)?;
    if (1..=u64::from(MAX_INSTANCES)).contains(&n) {
        Ok(n as u32)
    } else {
        Err(format!("i={n} is outside 1..{MAX_INSTANCES}"))
    }
}

impl ArcHeader {
    pub(super) fn parse(header: &Header) -> Option<ArcHeader> {
        let name = header.name.trim();
        let kind = [Kind::Seal, Kind::Ams, Kind::Aar]
            .into_iter()
            .find(|k| name.eq_ignore_ascii_case(k.name()))?;
        let value = header.value.as_str();
        let (instance, tags, parsed) = match kind {
            Kind::Aar => {
                let parsed = parse_aar(value);
                let instance = parsed.as_ref().ok().map(|(i, _)| *i).or_else(|| {
                    tag(&lenient_tags(value), "i").and_then(|v| parse_instance(Some(v)).ok())
                });
                (
                    instance,
                    Vec::new(),
                    parsed.map(|(_, aar)| Parsed::Aar(aar)),
                )
            }
            Kind::Seal | Kind::Ams => match parse_tag_list(value) {
                Err(e) => {
                    let tags = lenient_tags(value);
                    let instance = parse_instance(tag(&tags, "i")).ok();
                    (instance, tags, Err(format!("malformed tag list: {e}")))
                }
                Ok(tags) => {
                    let instance = parse_instance(tag(&tags, "i"));
                    let parsed = instance.clone().and_then(|_| match kind {
                        Kind::Seal => parse_seal(&tags).map(Parsed::Seal),
                        _ => parse_ams(&tags).map(|c| Parsed::Ams(Box::new(c))),
                    });
                    (instance.ok(), tags, parsed)
                }
            },
        };
        Some(ArcHeader {
            kind,
            header_index: header.index,
            instance,
            tags,
            parsed,
        })
    }

    pub(super) fn key_name(&self) -> Option<String> {
        match &self.parsed {
            Ok(Parsed::Seal(s)) => Some(format!("{}._domainkey.{}", s.selector, s.domain)),
            Ok(Parsed::Ams(c)) => Some(c.key_name()),
            _ => None,
        }
    }
}

pub(super) fn parse_seal(tags: &[RawTag]) -> Result<Seal, String> {
    if tag(tags, "h").is_some() {
        return Err("h= is not allowed in an ARC-Seal".into());
    }
    let required = |name: &str| tag(tags, name).ok_or_else(|| format!("{name}= is missing"));
    let algorithm = parse_algorithm(required("a")?)?;
    let signature = parse_base64_tag("b", required("b")?)?;
    let cv = match required("cv")?.to_ascii_lowercase().as_str() {
        "none" => ChainValidation::None,
        "fail" => ChainValidation::Fail,
        "pass" => ChainValidation::Pass,
        other => {
            return Err(format!(
                "cv={} is not none, fail or pass",
                shorten(other, 20)
            ));
        }
    };
    let domain = parse_domain("d", required("d")?)?;
    let selector = parse_domain("s", required("s")?)?;
    if let Some(t) = tag(tags, "t") {
        parse_number("t", t)?;
    }
    Ok(Seal {
        algorithm,
        signature,
        cv,
        domain,
        selector,
    })
}

pub(super) fn parse_ams(tags: &[RawTag]) -> Result<SignatureCore, String> {
    let core = SignatureCore::from_tags(tags)?;
    if core
        .signed_headers
        .iter()
        .any(|h| h.eq_ignore_ascii_case("arc-seal"))
    {
        return Err("h= includes ARC-Seal, which an AMS must not sign (RFC 8617 §4.1.2)".into());
    }
    Ok(core)
}

/// `i=<n>; authserv-id; results` — the instance tag must come first.
pub(super) fn parse_aar(value: &str) -> Result<(u32, Aar), String> {
    let text = value.trim_start();
    let rest = text
        .strip_prefix('i')
        .map(str::trim_start)
        .and_then(|r| r.strip_prefix('='))
        .ok_or("it does not start with i=<instance>;")?
        .trim_start();
    let digits_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let instance = parse_instance(Some(&rest[..digits_end]))?;
    let rest = rest[digits_end..]
        .trim_start()
        .strip_prefix(';')
        .ok_or_else(|| format!("i={instance} is not followed by `;`"))?
        .trim();
    let authserv_id = rest
        .split(|c: char| c == ';' || c.is_whitespace())
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Ok((
        instance,
        Aar {
            text: rest.to_string(),
            authserv_id,
        },
    ))
}
