//! The one-line verdict banner and the short findings list, derived from the finished checks.
//! Words only restate what the checks decided; nothing is evaluated here.

use super::dmarc::policy_tag;
use super::model::*;

/// Builds the banner and findings of a finished analysis.
pub fn summarize(a: &Analysis) -> Summary {
    // When DNS could not re-verify, the receiver's own record is what is known: it leads.
    let mut verdict = match super::reverify::reverification_blocked(a) {
        Some(blocked) => receiver_record_verdict(a, &blocked),
        None => verdict(a),
    };
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
    // Headers only: every DKIM verdict stands without its body hash, and the reader must know.
    if a.input.headers_only {
        verdict.push_str(
            " — headers only: the input has no body, so DKIM body hashes could not be checked",
        );
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
    let source = policy_tag(d).unwrap_or("p");
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

/// The verdict when re-verification could not run: the receiver's trusted record first (its
/// DMARC result, else its SPF and DKIM results), then why we could not check it again.
fn receiver_record_verdict(a: &Analysis, blocked: &super::reverify::Blocked) -> String {
    let why = blocked.words();
    let trusted: Vec<&RecordedResult> = a.recorded.iter().filter(|r| r.trusted).collect();
    let of = |methods: &[&str]| -> Vec<&RecordedResult> {
        trusted
            .iter()
            .copied()
            .filter(|r| methods.contains(&r.method.as_str()))
            .collect()
    };
    let mut shown = of(&["dmarc"]);
    if shown.is_empty() {
        shown = of(&["spf", "dkim"]);
    }
    let Some(first) = shown.first() else {
        return format!(
            "Re-verification was not possible: {why}; the receiver recorded no result of its own \
             to go by (From {})",
            from_domain(a)
        );
    };
    let who = match first.writer() {
        "an unnamed server" => a
            .envelope
            .receiver
            .as_deref()
            .unwrap_or("an unnamed server"),
        named => named,
    };
    let mut results: Vec<String> = Vec::new();
    for r in &shown {
        let policy = super::trail::recorded::recorded_policy(r)
            .map(|p| format!(" (p={p})"))
            .unwrap_or_default();
        let text = format!("{}={}{policy}", r.method, r.result);
        if !results.contains(&text) {
            results.push(text);
        }
    }
    format!(
        "The receiver ({who}) recorded {} at receipt; re-verification was not possible: {why}",
        results.join(", ")
    )
}

/// Whether DMARC passes with each candidate's result as `result_of` gives it, aligned by the tree
/// walk or (`by_psl`) by the Public Suffix List.
fn dmarc_passes_with(
    a: &Analysis,
    by_psl: bool,
    result_of: &dyn Fn(&AlignmentCandidate, bool) -> AuthResult,
) -> bool {
    let spf = a.alignment.spf.candidates.iter().map(|c| (c, true));
    let dkim = a.alignment.dkim.candidates.iter().map(|c| (c, false));
    spf.chain(dkim).any(|(c, is_spf)| {
        let aligned = if by_psl { c.aligned_by_psl } else { c.aligned };
        aligned && result_of(c, is_spf) == AuthResult::Pass
    })
}

/// Internal cross-checks (mail-auth against our evaluators, the PSL against the DNS tree walk)
/// are findings only when the other answer would change the DMARC verdict; otherwise they stay
/// in the steps and the JSON (`disagreement`, `psl_disagreement`).
fn cross_check_findings(a: &Analysis) -> Vec<String> {
    let mut f = Vec::new();
    let ours = |c: &AlignmentCandidate, _: bool| c.result;
    let passes = dmarc_passes_with(a, false, &ours);
    let word = |p: bool| if p { "pass" } else { "not pass" };
    if a.alignment.psl_disagreement && dmarc_passes_with(a, true, &ours) != passes {
        f.push(format!(
            "DMARC would {} by the Public Suffix List (RFC 7489) but does {} by the DNS tree walk \
             (RFC 9989): receivers following the two decide differently (see Alignment)",
            word(!passes),
            word(passes)
        ));
    }
    let spf = &a.spf.mail_from;
    if spf.disagreement
        && let Some(theirs) = spf.mail_auth_result
    {
        let swapped = |c: &AlignmentCandidate, is_spf: bool| {
            if is_spf && spf.domain.as_deref() == Some(c.domain.as_str()) {
                theirs
            } else {
                c.result
            }
        };
        if dmarc_passes_with(a, false, &swapped) != passes {
            f.push(format!(
                "SPF MAIL FROM: traced evaluation says {} but mail-auth says {theirs}, which would \
                 change the DMARC verdict (see the SPF steps)",
                spf.result
            ));
        }
    }
    for d in a.dkim.iter().filter(|d| d.disagreement) {
        let Some(theirs) = d.mail_auth_result else {
            continue;
        };
        let swapped = |c: &AlignmentCandidate, is_spf: bool| {
            if !is_spf && c.header_index == Some(d.header_index) {
                theirs
            } else {
                c.result
            }
        };
        if dmarc_passes_with(a, false, &swapped) != passes {
            f.push(format!(
                "DKIM d={}: mailsleuth says {} but mail-auth says {theirs}, which would change the \
                 DMARC verdict (see its steps)",
                d.domain.as_deref().unwrap_or("?"),
                d.result
            ));
        }
    }
    if a.dmarc.disagreement
        && let Some(theirs) = a.dmarc.mail_auth_result
        && theirs != a.dmarc.result
    {
        f.push(format!(
            "DMARC: mailsleuth says {} but mail-auth says {theirs} (see the DMARC steps)",
            a.dmarc.result
        ));
    }
    f
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
                risk_digest(&d.risks)
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
    for r in &a.recorded {
        if r.agreement == Agreement::Disagree {
            f.push(format!(
                "Recorded {}={} by {} but now {}{}",
                r.method,
                r.result,
                r.writer(),
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
    f.extend(cross_check_findings(a));
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

/// One finding line per DKIM signature's risks: the first clause of each risk (up to the first
/// `": "`, so times like `10:05` inside it stay whole).
pub fn risk_digest(risks: &[String]) -> String {
    risks
        .iter()
        .map(|r| r.split(": ").next().unwrap_or(r).trim().to_string())
        .collect::<Vec<_>>()
        .join("; ")
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

    fn evidence(name: &str, outcome: crate::dns::DnsOutcome) -> crate::dns::DnsEvidence {
        let key = crate::dns::QueryKey::new(name, crate::dns::RecordType::TXT);
        crate::dns::DnsEvidence {
            outcome,
            ..crate::dns::DnsEvidence::asked(&key, crate::dns::DnsSource::Snapshot)
        }
    }

    fn recorded(method: &str, result: &str, trusted: bool) -> RecordedResult {
        RecordedResult {
            trusted,
            ..crate::test_support::recorded_result("mx.example.net", method, result)
        }
    }

    #[test]
    fn dns_unreachable_leads_with_the_receivers_trusted_dmarc_record() {
        use crate::dns::DnsOutcome::Timeout;
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.dmarc.result = AuthResult::TempError;
        a.dns = vec![
            evidence("example.com", Timeout),
            evidence("_dmarc.example.com", Timeout),
        ];
        let mut dmarc = recorded("dmarc", "fail", true);
        dmarc.comment = Some("p=reject dis=reject".into());
        // A forged pass below the receiver is not what the receiver recorded.
        a.recorded = vec![recorded("dmarc", "pass", false), dmarc];
        assert_eq!(
            summarize(&a).verdict,
            "The receiver (mx.example.net) recorded dmarc=fail (p=reject) at receipt; \
             re-verification was not possible: DNS did not answer (every lookup timed out or \
             failed)"
        );
    }

    #[test]
    fn an_empty_snapshot_never_reads_as_no_dmarc_policy() {
        use crate::dns::DnsOutcome::NxDomain;
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.dmarc.result = AuthResult::None;
        a.dns = vec![
            evidence("example.com", NxDomain),
            evidence("_dmarc.example.com", NxDomain),
        ];
        a.recorded = vec![
            recorded("spf", "pass", true),
            recorded("dkim", "pass", true),
        ];
        let verdict = summarize(&a).verdict;
        assert_eq!(
            verdict,
            "The receiver (mx.example.net) recorded spf=pass, dkim=pass at receipt; \
             re-verification was not possible: the DNS snapshot holds none of the names asked \
             (it is empty, or was recorded for another message)"
        );
        assert!(!verdict.contains("No DMARC policy"));
    }

    #[test]
    fn psl_disagreement_that_changes_no_verdict_is_not_a_finding() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.alignment.psl_disagreement = true;
        let mut c = candidate("example.com", true, AuthResult::Pass);
        c.aligned_by_psl = true;
        a.alignment.dkim.candidates = vec![c];
        a.dmarc.result = AuthResult::Pass;
        assert!(
            summarize(&a)
                .findings
                .iter()
                .all(|f| !f.contains("Public Suffix List")),
        );
    }

    #[test]
    fn psl_disagreement_that_changes_the_dmarc_verdict_is_a_finding() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("mail.example.com".into());
        a.alignment.psl_disagreement = true;
        // Aligned by the tree walk only.
        a.alignment.dkim.candidates = vec![candidate("example.com", true, AuthResult::Pass)];
        a.dmarc.result = AuthResult::Pass;
        assert!(
            summarize(&a).findings.contains(
                &"DMARC would not pass by the Public Suffix List (RFC 7489) but does pass by the \
                  DNS tree walk (RFC 9989): receivers following the two decide differently (see \
                  Alignment)"
                    .to_string()
            ),
            "{:?}",
            summarize(&a).findings
        );
    }

    #[test]
    fn mail_auth_disagreement_that_changes_no_verdict_is_not_a_finding() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.spf.mail_from.domain = Some("example.com".into());
        a.spf.mail_from.result = AuthResult::PermError;
        a.spf.mail_from.mail_auth_result = Some(AuthResult::Fail);
        a.spf.mail_from.disagreement = true;
        a.alignment.spf.candidates = vec![candidate("example.com", true, AuthResult::PermError)];
        a.dmarc.result = AuthResult::Fail;
        assert!(
            summarize(&a)
                .findings
                .iter()
                .all(|f| !f.contains("mail-auth")),
        );
    }

    #[test]
    fn mail_auth_disagreement_that_would_change_dmarc_is_a_finding() {
        let mut a = Analysis::default();
        a.alignment.from_domain = Some("example.com".into());
        a.spf.mail_from.domain = Some("example.com".into());
        a.spf.mail_from.result = AuthResult::Fail;
        a.spf.mail_from.mail_auth_result = Some(AuthResult::Pass);
        a.spf.mail_from.disagreement = true;
        a.alignment.spf.candidates = vec![candidate("example.com", true, AuthResult::Fail)];
        a.dmarc.result = AuthResult::Fail;
        assert!(summarize(&a).findings.iter().any(|f| f.starts_with(
            "SPF MAIL FROM: traced evaluation says fail but mail-auth \
                                        says pass, which would change the DMARC verdict"
        )),);
    }

    #[test]
    fn risk_digest_keeps_the_first_clause_of_each_risk() {
        let risks = vec![
            "l=268: only the first 268 bytes are signed".to_string(),
            "rsa-sha1".to_string(),
            "t=1795688922 (2026-11-26 10:28:42 UTC) is in the future: clock skew".to_string(),
        ];
        assert_eq!(
            risk_digest(&risks),
            "l=268; rsa-sha1; t=1795688922 (2026-11-26 10:28:42 UTC) is in the future"
        );
    }
}
