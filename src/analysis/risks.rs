//! Risks on passing DKIM signatures as warnings, so a pass that leaves a door open is never
//! plain green: the text report's WARNINGS, the JSON `warnings` and the TUI banner read them.
//! The risks themselves are found where the signature is verified (`DkimCheck::risks`); here
//! each becomes a warning with a stable code, and two more are added that need only the tags:
//! a signature about to expire and an RSA key below the recommended 2048 bits.

use super::model::{AuthResult, DkimCheck, Severity, Warning};

/// A signature that expires within this many seconds after the evaluation time is flagged.
const EXPIRING_SOON: i64 = 7 * 24 * 3600;

/// One warning per risk of every passing signature, in signature order.
pub(crate) fn dkim_risk_warnings(dkim: &[DkimCheck], now: i64) -> Vec<Warning> {
    let mut out = Vec::new();
    for (i, d) in dkim.iter().enumerate() {
        if d.result != AuthResult::Pass {
            continue;
        }
        let who = format!(
            "DKIM #{} (d={} s={}) passes, but",
            i + 1,
            d.domain.as_deref().unwrap_or("?"),
            d.selector.as_deref().unwrap_or("?")
        );
        let mut risks: Vec<(Severity, &str, String)> = d
            .risks
            .iter()
            .map(|r| {
                let (severity, code) = classify(r);
                (severity, code, r.clone())
            })
            .collect();
        risks.extend(expiring(d, now));
        risks.extend(weak_key(d));
        for (severity, code, risk) in risks {
            out.push(Warning::new(
                severity,
                code,
                format!("{who} {risk}"),
                Some(d.header_index),
            ));
        }
    }
    out
}

/// The code and severity of a risk `DkimCheck::risks` states (by how each one begins).
fn classify(risk: &str) -> (Severity, &'static str) {
    let w = Severity::Warning;
    if risk.starts_with("l=") {
        (w, "dkim-risk-body-length")
    } else if risk.starts_with("rsa-sha1") {
        (w, "dkim-risk-sha1")
    } else if risk.contains("-bit RSA key") {
        (w, "dkim-risk-short-key")
    } else if risk.contains("not over-signed") {
        // Common, and only a risk once a second From/Subject is added: worth knowing, no alarm.
        (Severity::Info, "dkim-risk-not-over-signed")
    } else if risk.contains("h= signs it") {
        (w, "dkim-risk-unsigned-header")
    } else if risk.starts_with("t=") {
        (w, "dkim-risk-future-timestamp")
    } else if risk.starts_with("x=") {
        (w, "dkim-risk-expired")
    } else if risk.starts_with("i=") {
        (w, "dkim-risk-identity")
    } else if risk.contains("testing mode") {
        (w, "dkim-risk-testing")
    } else {
        (w, "dkim-risk")
    }
}

fn tag<'a>(d: &'a DkimCheck, name: &str) -> Option<&'a str> {
    d.tags
        .iter()
        .find(|t| t.name == name && !t.default)
        .map(|t| t.value.trim())
}

/// `x=` a little after the evaluation time: it verifies now and will not for long.
fn expiring(d: &DkimCheck, now: i64) -> Option<(Severity, &'static str, String)> {
    let x: i64 = tag(d, "x")?.parse().ok()?;
    let left = x.checked_sub(now)?;
    (0..=EXPIRING_SOON).contains(&left).then(|| {
        (
            Severity::Warning,
            "dkim-risk-expiring",
            format!(
                "x={x}: the signature expires {} after the evaluation time; a receiver checking \
                 it later will find it expired",
                hours_words(left)
            ),
        )
    })
}

/// An RSA key at the RFC 8301 minimum but under the 2048 bits it recommends.
fn weak_key(d: &DkimCheck) -> Option<(Severity, &'static str, String)> {
    let key = d.key.as_ref()?;
    let bits = key.bits?;
    (key.key_type == "rsa" && (1024..2048).contains(&bits)).then(|| {
        (
            Severity::Info,
            "dkim-risk-weak-key",
            format!("{bits}-bit RSA key: under the 2048 bits RFC 8301 recommends"),
        )
    })
}

fn hours_words(secs: i64) -> String {
    let (days, hours) = (secs / 86_400, (secs % 86_400) / 3600);
    match (days, hours) {
        (0, 0) => format!("{} min", secs / 60),
        (0, h) => format!("{h} h"),
        (d, 0) => format!("{d} days"),
        (d, h) => format!("{d} days {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::model::{DkimKey, Tag};

    fn passing(risks: &[&str]) -> DkimCheck {
        DkimCheck {
            header_index: 4,
            domain: Some("example.com".into()),
            selector: Some("sel1".into()),
            result: AuthResult::Pass,
            risks: risks.iter().map(|r| r.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn each_risk_of_a_pass_is_a_warning_with_its_code() {
        let d = passing(&[
            "l=267: only the first 267 of 522 canonicalized body bytes are signed",
            "rsa-sha1: SHA-1 signatures can be forged",
            "From and Subject not over-signed: a second From/Subject could be added",
        ]);
        let w = dkim_risk_warnings(&[d], 0);
        let codes: Vec<&str> = w.iter().map(|w| w.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "dkim-risk-body-length",
                "dkim-risk-sha1",
                "dkim-risk-not-over-signed"
            ]
        );
        assert_eq!(w[0].severity, Severity::Warning);
        assert_eq!(w[2].severity, Severity::Info);
        assert!(
            w[0].message
                .starts_with("DKIM #1 (d=example.com s=sel1) passes, but l=267: only"),
            "{}",
            w[0].message
        );
        assert_eq!(w[0].header_index, Some(4));
    }

    #[test]
    fn a_failing_signature_gets_no_risk_warnings() {
        let mut d = passing(&["l=10: the signature covers a fixed body length"]);
        d.result = AuthResult::Fail;
        assert!(dkim_risk_warnings(&[d], 0).is_empty());
    }

    #[test]
    fn a_signature_about_to_expire_and_a_1024_bit_key_are_flagged() {
        let mut d = passing(&[]);
        d.tags.push(Tag {
            name: "x".into(),
            value: "1000000".into(),
            meaning: String::new(),
            default: false,
        });
        d.key = Some(DkimKey {
            key_type: "rsa".into(),
            bits: Some(1024),
            ..Default::default()
        });
        let w = dkim_risk_warnings(&[d.clone()], 1_000_000 - 2 * 86_400 - 3600);
        assert_eq!(w[0].code, "dkim-risk-expiring");
        assert!(
            w[0].message.contains("expires 2 days 1 h after"),
            "{}",
            w[0].message
        );
        assert_eq!(w[1].code, "dkim-risk-weak-key");
        // Far from expiry (or already expired, which is a failure of its own): nothing.
        let w = dkim_risk_warnings(&[d.clone()], 1_000_000 - 30 * 86_400);
        assert!(w.iter().all(|w| w.code != "dkim-risk-expiring"));
        let w = dkim_risk_warnings(&[d], 1_000_001);
        assert!(w.iter().all(|w| w.code != "dkim-risk-expiring"));
    }
}
