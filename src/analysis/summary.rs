//! The one-line verdict banner and the short findings list, derived from the finished checks.
//! Words only restate what the checks decided; nothing is evaluated here.

use super::model::*;

/// Builds the banner and findings of a finished analysis.
pub fn summarize(a: &Analysis) -> Summary {
    let mut verdict = verdict(a);
    // A pass proves only that the domain vouches for itself: say so when it is a lookalike.
    if a.dmarc.result == AuthResult::Pass
        && let Some(w) = a.warnings.iter().find(|w| w.code == "from-lookalike")
    {
        verdict.push_str(" — but ");
        // The warning is a sentence of its own; mid-verdict it starts in lower case.
        let mut chars = w.message.chars();
        if let Some(first) = chars.next() {
            verdict.extend(first.to_lowercase());
            verdict.push_str(chars.as_str());
        }
    }
    let mut findings: Vec<String> = a
        .warnings
        .iter()
        .filter(|w| super::identity::CODES.contains(&w.code.as_str()))
        .map(|w| w.message.clone())
        .collect();
    // What the receiving server itself decided, from its trusted verdict headers only.
    if let Some(line) = a.receiver_verdict.as_ref().and_then(|v| v.line.clone()) {
        findings.push(line);
    }
    findings.extend(self::findings(a));
    Summary { verdict, findings }
}

fn from_domain(a: &Analysis) -> String {
    a.alignment
        .from_domain
        .clone()
        .unwrap_or_else(|| "(no From domain)".into())
}

fn authenticated_domains(a: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    if a.spf.mail_from.result == AuthResult::Pass
        && let Some(d) = &a.spf.mail_from.domain
    {
        out.push(format!("SPF {d}"));
    }
    for d in &a.dkim {
        if d.result == AuthResult::Pass
            && let Some(dom) = &d.domain
        {
            out.push(format!("DKIM d={dom}"));
        }
    }
    out
}

fn aligned_via(a: &Analysis) -> Vec<String> {
    let mut via: Vec<String> = Vec::new();
    // DMARC counts an identifier only when its domain aligns *and* its check passed.
    let counts = |c: &&AlignmentCandidate| c.aligned && c.result == AuthResult::Pass;
    let dkim = a.alignment.dkim.candidates.iter().filter(counts);
    let spf = a.alignment.spf.candidates.iter().filter(counts);
    for label in dkim
        .map(|c| format!("DKIM d={}", c.domain))
        .chain(spf.map(|c| format!("SPF {}", c.domain)))
    {
        // Two signatures by one domain (e.g. RSA + Ed25519) are one identity here.
        if !via.contains(&label) {
            via.push(label);
        }
    }
    via
}

fn verdict(a: &Analysis) -> String {
    let from = from_domain(a);
    let d = &a.dmarc;
    let policy = d.policy.clone().unwrap_or_else(|| "none".into());
    let source = crate::report::policy_tag(d).unwrap_or("p");
    match d.result {
        AuthResult::Pass => {
            let via = aligned_via(a);
            if via.is_empty() {
                format!("DMARC pass for {from}")
            } else {
                format!("DMARC pass: From {from} aligned via {}", via.join(" and "))
            }
        }
        AuthResult::Fail => {
            let auth = authenticated_domains(a);
            let why = if auth.is_empty() {
                format!("From {from} has no passing SPF or DKIM at all")
            } else {
                format!(
                    "From {from} not aligned with any authenticated domain ({})",
                    auth.join(", ")
                )
            };
            format!("DMARC fail → {source}={policy}: {why}")
        }
        AuthResult::TempError => format!(
            "DMARC temperror for {from}: a DNS lookup failed, the verdict is unknown (retry or use a snapshot)"
        ),
        AuthResult::PermError => match (&d.bad_tag, &a.alignment.from_domain) {
            (Some(tag), _) => format!(
                "DMARC permerror for {from}: the DMARC record has a bad {tag}= tag, so no policy applies"
            ),
            (None, None) => {
                "DMARC permerror: no usable From domain to check (see the From header)".into()
            }
            (None, Some(_)) => format!("DMARC permerror for {from}: see the DMARC steps"),
        },
        _ => {
            // No DMARC record (or no From domain): say what SPF and DKIM found instead.
            let spf = a.spf.mail_from.result;
            let dkim: Vec<String> = a
                .dkim
                .iter()
                .map(|k| format!("DKIM {} {}", k.domain.as_deref().unwrap_or("?"), k.result))
                .collect();
            let dkim = if dkim.is_empty() {
                "no DKIM signature".to_string()
            } else {
                dkim.join(", ")
            };
            if a.alignment.from_domain.is_none() {
                format!("No usable From domain: DMARC cannot apply; SPF {spf}, {dkim}")
            } else {
                format!("No DMARC policy for {from}: SPF {spf}, {dkim}")
            }
        }
    }
}

fn findings(a: &Analysis) -> Vec<String> {
    let mut f = Vec::new();
    let spf = &a.spf.mail_from;
    if spf.result != AuthResult::None || spf.domain.is_some() {
        let matched = spf
            .matched
            .as_deref()
            .map(|m| format!(" ({m} matched)"))
            .unwrap_or_default();
        f.push(format!(
            "SPF {} for {} from {}{}",
            spf.result,
            spf.domain.as_deref().unwrap_or("?"),
            spf.client_ip.as_deref().unwrap_or("?"),
            matched
        ));
    }
    for (i, d) in a.dkim.iter().enumerate() {
        let reason = d
            .reason
            .as_deref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        f.push(format!(
            "DKIM #{} d={} s={} {}{}",
            i + 1,
            d.domain.as_deref().unwrap_or("?"),
            d.selector.as_deref().unwrap_or("?"),
            d.result,
            reason
        ));
        if !d.risks.is_empty() {
            f.push(format!(
                "DKIM #{} risks: {} (see its steps)",
                i + 1,
                crate::report::risk_digest(&d.risks)
            ));
        }
    }
    if a.arc.result != AuthResult::None || !a.arc.sets.is_empty() {
        // The reason says where the chain broke ("at or below instance N") in full.
        let broke = match (&a.arc.reason, a.arc.result) {
            (Some(r), AuthResult::Fail | AuthResult::PermError | AuthResult::TempError) => {
                format!(": {r}")
            }
            _ => String::new(),
        };
        f.push(format!(
            "ARC chain {} with {} set(s){}",
            a.arc.result,
            a.arc.sets.len(),
            broke
        ));
    }
    if a.dmarc.result == AuthResult::Fail && a.arc.result == AuthResult::Pass {
        let sealers: Vec<&str> = a
            .arc
            .sets
            .iter()
            .filter_map(|s| s.seal_domain.as_deref())
            .collect();
        f.push(format!(
            "DMARC fails but the ARC chain passes: a receiver that trusts the sealer(s) {} may accept the message as forwarded mail (RFC 8617 local policy)",
            sealers.join(", ")
        ));
    }
    if a.alignment.psl_disagreement {
        f.push("Organizational domain differs between the PSL and the DNS tree walk".into());
    }
    for r in &a.recorded {
        if r.agreement == Agreement::Disagree {
            f.push(format!(
                "Recorded {}={} by {} but now {}{}",
                r.method,
                r.result,
                r.authserv_id.as_deref().unwrap_or("?"),
                r.ours.map(|o| o.to_string()).unwrap_or_else(|| "?".into()),
                r.note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ));
        }
    }
    let untrusted = a.recorded.iter().filter(|r| !r.trusted).count();
    if untrusted > 0 {
        f.push(format!(
            "{untrusted} recorded result(s) not written by the receiver were not trusted (see Recorded vs now)"
        ));
    }
    for (name, c) in [
        ("SPF MAIL FROM", &a.spf.mail_from),
        ("SPF HELO", &a.spf.helo),
    ] {
        if c.disagreement {
            f.push(format!(
                "{name}: traced evaluation says {} but mail-auth says {}",
                c.result,
                c.mail_auth_result
                    .map(|r| r.to_string())
                    .unwrap_or_default()
            ));
        }
    }
    for d in a.dkim.iter().filter(|d| d.disagreement) {
        f.push(format!(
            "DKIM d={}: mailsleuth says {} but mail-auth says {}",
            d.domain.as_deref().unwrap_or("?"),
            d.result,
            d.mail_auth_result
                .map(|r| r.to_string())
                .unwrap_or_default()
        ));
    }
    if a.dmarc.disagreement {
        f.push(format!(
            "DMARC: mailsleuth says {} but mail-auth says {}",
            a.dmarc.result,
            a.dmarc
                .mail_auth_result
                .map(|r| r.to_string())
                .unwrap_or_default()
        ));
    }
    let errors = a
        .warnings
        .iter()
        .filter(|w| w.severity == Severity::Error)
        .count();
    if errors > 0 {
        f.push(format!("{errors} input problem(s): see warnings"));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(domain: &str, aligned: bool, result: AuthResult) -> AlignmentCandidate {
        AlignmentCandidate {
            domain: domain.into(),
            aligned,
            result,
            ..Default::default()
        }
    }

    #[test]
    fn pass_names_only_identifiers_that_aligned_and_passed() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.alignment.dkim.candidates = vec![candidate("example.com", true, AuthResult::Fail)];
        a.alignment.spf.candidates = vec![candidate("example.com", true, AuthResult::Pass)];
        a.dmarc.result = AuthResult::Pass;
        assert_eq!(
            summarize(&a).verdict,
            "DMARC pass: From example.com aligned via SPF example.com"
        );
    }

    #[test]
    fn fail_names_the_policy_tag_and_what_did_authenticate() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.spf.mail_from.result = AuthResult::Pass;
        a.spf.mail_from.domain = Some("bulk.example".into());
        a.dmarc.result = AuthResult::Fail;
        a.dmarc.policy = Some("quarantine".into());
        a.dmarc.policy_source = Some("sp tag: a subdomain of the organizational domain".into());
        a.dmarc.policy_tag = Some("sp".into());
        assert_eq!(
            summarize(&a).verdict,
            "DMARC fail → sp=quarantine: From example.com not aligned with any authenticated domain (SPF bulk.example)"
        );
    }

    #[test]
    fn a_passing_lookalike_says_so_in_the_verdict() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("paypa1.example".into());
        a.dmarc.result = AuthResult::Pass;
        a.warnings.push(Warning::new(
            Severity::Warning,
            "from-lookalike",
            "The From domain paypa1.example reads as paypal".into(),
            Some(3),
        ));
        let s = summarize(&a);
        assert!(
            s.verdict
                .ends_with("— but the From domain paypa1.example reads as paypal"),
            "{}",
            s.verdict
        );
        assert_eq!(
            s.findings.first().map(String::as_str),
            Some("The From domain paypa1.example reads as paypal")
        );
    }
}
