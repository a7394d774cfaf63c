use super::cross_check::MailAuthVerdict;
use super::test_dns::MemDns;
use super::*;
use crate::analysis::model::{AlignmentMode, SpfCheck};
use crate::dns::RecordType;

fn spf_pass(domain: &str) -> SpfChecks {
    SpfChecks {
        mail_from: SpfCheck {
            identity: "mail_from".into(),
            domain: Some(domain.into()),
            result: AuthResult::Pass,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn dkim_pass(domain: &str) -> DkimCheck {
    DkimCheck {
        domain: Some(domain.into()),
        result: AuthResult::Pass,
        ..Default::default()
    }
}

async fn run(
    dns: &Dns,
    from: &str,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> (Alignment, DmarcCheck) {
    let lookup = fetch_dmarc_policy(dns, from).await;
    evaluate_with_lookup(dns, from, lookup, spf, dkim).await
}

#[test]
fn parses_tags_and_names_bad_ones() {
    let r = parse_record("v=DMARC1; p=Reject; adkim=S; pct=50; rua=mailto:a@example.com").unwrap();
    assert_eq!(r.p, Some(Policy::Reject));
    assert_eq!(r.adkim, Some(AlignmentMode::Strict));
    assert_eq!(r.pct, Some(50));
    assert!(r.errors.is_empty());

    let r = parse_record("v=DMARC1; p=bob").unwrap();
    let e = r.fatal_error().expect("bad p is fatal");
    assert_eq!(e.tag, "p");

    let r = parse_record("v=DMARC1; p=none; pct=500").unwrap();
    assert!(
        r.fatal_error().is_none(),
        "pct is historic: shown, not fatal"
    );
    assert_eq!(r.errors[0].tag, "pct");

    assert_eq!(parse_record(""), Err(NotDmarc::Empty));
    assert!(matches!(
        parse_record("V=BOB"),
        Err(NotDmarc::BadVersion(_))
    ));
    assert!(
        !is_dmarc_record("v=dmarc1; p=reject"),
        "the version is case-sensitive"
    );
    assert!(is_dmarc_record("v = DMARC1; p=reject"));
    assert!(!is_dmarc_record("p=reject; v=DMARC1"), "v must come first");
}

#[test]
fn absent_tags_show_their_defaults() {
    let r = parse_record("v=DMARC1; p=quarantine").unwrap();
    let tags = record_tags(&r);
    let tag = |n: &str| tags.iter().find(|t| t.name == n).unwrap().clone();
    assert!(!tag("p").default);
    assert_eq!(tag("sp").value, "quarantine");
    assert!(tag("sp").default);
    assert_eq!(tag("np").value, "quarantine");
    assert_eq!(tag("adkim").value, "r");
    assert_eq!(tag("aspf").value, "r");
    assert_eq!(tag("pct").value, "100");
    assert_eq!(tag("fo").value, "0");
    assert_eq!(tag("ri").value, "86400");
    assert_eq!(tag("rf").value, "afrf");
    assert_eq!(tag("psd").value, "u");
    assert_eq!(tag("t").value, "n");
    assert!(
        ["adkim", "aspf", "pct", "rua", "ruf", "fo", "t"]
            .iter()
            .all(|n| tag(n).default)
    );
}

#[tokio::test]
async fn from_org_domain_uses_p() {
    let dns = MemDns::new()
        .txt(
            "_dmarc.example.com",
            "v=DMARC1; p=reject; sp=none; np=quarantine",
        )
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.policy.as_deref(), Some("reject"));
    assert!(d.policy_source.unwrap().starts_with("p tag:"));
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.disposition.as_deref(), Some("reject"));
}

#[tokio::test]
async fn existing_subdomain_uses_sp() {
    let dns = MemDns::new()
        .txt(
            "_dmarc.example.com",
            "v=DMARC1; p=reject; sp=none; np=quarantine",
        )
        .a("sub.example.com")
        .dns();
    let (_, d) = run(&dns, "sub.example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.record_domain.as_deref(), Some("example.com"));
    assert_eq!(d.policy.as_deref(), Some("none"));
    assert!(d.policy_source.unwrap().starts_with("sp tag:"));
}

#[tokio::test]
async fn non_existent_subdomain_uses_np() {
    let dns = MemDns::new()
        .txt(
            "_dmarc.example.com",
            "v=DMARC1; p=reject; sp=none; np=quarantine",
        )
        .dns();
    let (_, d) = run(&dns, "ghost.example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.policy.as_deref(), Some("quarantine"));
    assert!(d.policy_source.unwrap().starts_with("np tag:"));
    let ev = dns.evidence();
    for t in [RecordType::A, RecordType::AAAA, RecordType::MX] {
        assert!(
            ev.iter()
                .any(|e| e.name == "ghost.example.com" && e.rtype == t)
        );
    }
}

#[tokio::test]
async fn subdomain_without_sp_falls_back_to_p() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .dns();
    let (_, d) = run(&dns, "ghost.example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.policy.as_deref(), Some("reject"));
    assert!(d.policy_source.unwrap().starts_with("p tag:"));
    assert!(
        !dns.evidence().iter().any(|e| e.rtype == RecordType::A),
        "without np the existence test cannot change anything"
    );
}

#[tokio::test]
async fn relaxed_alignment_passes_on_the_org_domain() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .dns();
    let (a, d) = run(
        &dns,
        "example.com",
        &SpfChecks::default(),
        &[dkim_pass("mail.example.com")],
    )
    .await;
    assert!(a.dkim.aligned);
    assert_eq!(a.dkim.mode, AlignmentMode::Relaxed);
    assert_eq!(d.result, AuthResult::Pass);
    assert_eq!(d.disposition.as_deref(), Some("none"));
}

#[tokio::test]
async fn strict_alignment_needs_the_same_name() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s; aspf=s")
        .dns();
    let (a, d) = run(
        &dns,
        "example.com",
        &spf_pass("bounce.example.com"),
        &[dkim_pass("mail.example.com")],
    )
    .await;
    assert_eq!(a.spf.mode, AlignmentMode::Strict);
    assert!(!a.spf.aligned);
    assert!(!a.dkim.aligned);
    assert_eq!(d.result, AuthResult::Fail);

    let (a, d) = run(&dns, "example.com", &spf_pass("example.com"), &[]).await;
    assert!(a.spf.aligned);
    assert_eq!(d.result, AuthResult::Pass);
}

#[tokio::test]
async fn psl_and_tree_walk_disagreement_is_flagged() {
    // No record at example.net: the tree walk makes mail.example.net its own organizational
    // domain, the PSL says example.net.
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .dns();
    let (a, _) = run(&dns, "example.com", &spf_pass("mail.example.net"), &[]).await;
    assert!(a.psl_disagreement);
    let c = &a.spf.candidates[0];
    assert_eq!(c.org_domain_tree_walk.as_deref(), Some("mail.example.net"));
    assert_eq!(c.org_domain_psl.as_deref(), Some("example.net"));
    let step = a
        .steps
        .iter()
        .find(|s| s.outcome == Outcome::Warning)
        .expect("a warning step");
    assert!(step.explanation.contains("mail.example.net"));
}

#[tokio::test]
async fn psd_record_changes_alignment_and_is_flagged() {
    // bank.example marks itself a public suffix domain; the PSL does not list it, so an RFC
    // 7489 receiver would align giant.bank.example with mega.bank.example.
    let dns = MemDns::new()
        .txt("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y")
        .txt("_dmarc.giant.bank.example", "v=DMARC1; p=quarantine")
        .dns();
    let (a, d) = run(
        &dns,
        "giant.bank.example",
        &spf_pass("mega.bank.example"),
        &[],
    )
    .await;
    let c = &a.spf.candidates[0];
    assert!(!c.aligned);
    assert!(c.aligned_by_psl);
    assert!(a.psl_disagreement);
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.policy.as_deref(), Some("quarantine"));
}

#[tokio::test]
async fn bad_tag_is_permerror_naming_it() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject; adkim=x")
        .dns();
    let (_, d) = run(&dns, "example.com", &spf_pass("example.com"), &[]).await;
    assert_eq!(d.result, AuthResult::PermError);
    assert_eq!(d.bad_tag.as_deref(), Some("adkim"));
    assert!(d.steps.iter().any(|s| s.title.contains("adkim")));
}

#[tokio::test]
async fn multiple_records_mean_no_dmarc() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .txt("_dmarc.example.com", "v=DMARC1; p=none")
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.result, AuthResult::None);
    assert!(
        d.steps
            .iter()
            .any(|s| s.outcome == Outcome::Error && s.title.contains("2 DMARC records"))
    );
}

#[tokio::test]
async fn non_dmarc_txt_records_are_ignored() {
    let dns = MemDns::new()
        .txt("_dmarc.mail.example.com", "some other txt record")
        .txt("_dmarc.example.com", "v=DMARC1; p=quarantine")
        .dns();
    let (_, d) = run(
        &dns,
        "mail.example.com",
        &SpfChecks::default(),
        &[dkim_pass("example.com")],
    )
    .await;
    assert_eq!(d.result, AuthResult::Pass);
    assert_eq!(d.policy.as_deref(), Some("quarantine"));
}

#[tokio::test]
async fn no_p_with_rua_counts_as_none_without_rua_no_dmarc() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; rua=mailto:d@example.com")
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.policy.as_deref(), Some("none"));
    assert_eq!(d.result, AuthResult::Fail);

    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; adkim=s")
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.result, AuthResult::None);
}

#[tokio::test]
async fn bad_p_with_valid_rua_counts_as_none() {
    let dns = MemDns::new()
        .txt(
            "_dmarc.example.com",
            "v=DMARC1; p=bogus; rua=mailto:x@example.com",
        )
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.result, AuthResult::Fail, "evaluated normally");
    assert_eq!(d.policy.as_deref(), Some("none"));
    assert_eq!(d.disposition.as_deref(), Some("none"));
    assert_eq!(d.record_domain.as_deref(), Some("example.com"));
    assert_eq!(d.bad_tag, None);
    let warn = d
        .steps
        .iter()
        .find(|s| s.outcome == Outcome::Warning && s.title.starts_with("Policy that applies"))
        .expect("a warning naming the bad p");
    assert!(warn.explanation.contains("p=bogus"), "{}", warn.explanation);

    // Without a valid rua the record is not applied.
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=bogus; rua=nonsense")
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_ne!(d.result, AuthResult::Fail);
    assert_eq!(d.policy, None);
    assert_eq!(d.bad_tag.as_deref(), Some("p"));
}

#[tokio::test]
async fn policy_none_failure_reads_as_monitoring_only() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=none")
        .dns();
    let mut bad = dkim_pass("example.com");
    bad.result = AuthResult::Fail;
    let (a, d) = run(&dns, "example.com", &SpfChecks::default(), &[bad]).await;
    assert_eq!(d.result, AuthResult::Fail);
    let disposition = d.steps.last().unwrap();
    assert!(disposition.title.starts_with("Disposition: none"));
    assert!(
        disposition.explanation.contains("policy is none")
            && disposition.explanation.contains("deliver normally"),
        "{}",
        disposition.explanation
    );
    let source = d.policy_source.unwrap();
    assert!(
        source.starts_with("p tag: example.com") && !source.contains("p applies:"),
        "a short phrase, not the step's sentence: {source}"
    );
    assert!(
        a.steps
            .iter()
            .all(|s| !s.explanation.contains("could not tell")),
        "plain words"
    );
}

#[tokio::test]
async fn dns_timeout_is_temperror() {
    let dns = MemDns::new().timeout("_dmarc.example.com").dns();
    let (_, d) = run(&dns, "example.com", &spf_pass("example.com"), &[]).await;
    assert_eq!(d.result, AuthResult::TempError);
    assert!(
        d.steps
            .iter()
            .any(|s| s.outcome == Outcome::Error && !s.queries.is_empty())
    );
}

#[tokio::test]
async fn testing_mode_and_pct_soften_the_disposition() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject; t=y")
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.policy.as_deref(), Some("reject"));
    assert_eq!(d.disposition.as_deref(), Some("quarantine"));

    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=20")
        .dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.disposition.as_deref(), Some("reject"));
    assert_eq!(d.disposition_unsampled.as_deref(), Some("quarantine"));
}

/// The Disposition step of a failing From example.com with `record` at _dmarc.example.com.
async fn failing_disposition(record: &str) -> (DmarcCheck, Step) {
    let dns = MemDns::new().txt("_dmarc.example.com", record).dns();
    let (_, d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    assert_eq!(d.result, AuthResult::Fail);
    let step = d
        .steps
        .iter()
        .find(|s| s.title.starts_with("Disposition:"))
        .unwrap()
        .clone();
    (d, step)
}

#[tokio::test]
async fn pct0_reject_is_quarantine_under_rfc7489_with_rfc9989_reject_beside() {
    let (d, step) = failing_disposition("v=DMARC1; p=reject; pct=0").await;
    assert_eq!(d.policy.as_deref(), Some("reject"));
    assert_eq!(d.disposition.as_deref(), Some("quarantine"));
    assert_eq!(d.disposition_unsampled.as_deref(), Some("quarantine"));
    assert_eq!(d.disposition_rfc9989.as_deref(), Some("reject"));
    assert_eq!(
        step.title,
        "Disposition: quarantine (RFC 7489, pct=0: no failing message is sampled; RFC 9989, \
         pct historic: reject)"
    );
    for words in [
        "RFC 7489 §6.3 pct, §6.6.4",
        "treated \"as though the 'quarantine' policy applies\"",
        "applies quarantine to this one",
        "RFC 9989 made pct historic",
        "applies reject (disposition_rfc9989)",
    ] {
        assert!(
            step.explanation.contains(words),
            "{words}: {}",
            step.explanation
        );
    }
}

#[tokio::test]
async fn pct0_quarantine_is_none_under_rfc7489() {
    let (d, step) = failing_disposition("v=DMARC1; p=quarantine; pct=0").await;
    assert_eq!(d.disposition.as_deref(), Some("none"));
    assert_eq!(d.disposition_rfc9989.as_deref(), Some("quarantine"));
    assert_eq!(step.outcome, Outcome::Info);
    assert!(
        step.explanation
            .contains("\"local message classification as normal\" (none)"),
        "{}",
        step.explanation
    );
}

#[tokio::test]
async fn pct0_with_t_y_agrees_under_both_rfcs() {
    // RFC 7489 ignores t= and samples nothing; RFC 9989 ignores pct and applies t=y.
    let (d, step) = failing_disposition("v=DMARC1; p=reject; pct=0; t=y").await;
    assert_eq!(d.disposition.as_deref(), Some("quarantine"));
    assert_eq!(d.disposition_rfc9989, None, "the same as the disposition");
    assert!(step.title.ends_with("RFC 9989, pct historic: quarantine)"));
}

#[tokio::test]
async fn partial_pct_unsampled_reading_ignores_t_y() {
    // RFC 7489 knows no t=: it samples reject and leaves the rest to quarantine.
    let (d, step) = failing_disposition("v=DMARC1; p=reject; pct=20; t=y").await;
    assert_eq!(
        d.disposition.as_deref(),
        Some("quarantine"),
        "RFC 9989: t=y"
    );
    assert_eq!(d.disposition_unsampled.as_deref(), Some("quarantine"));
    assert_eq!(d.disposition_rfc9989, None);
    assert_eq!(
        step.title,
        "Disposition: quarantine (RFC 9989; an RFC 7489 receiver: reject or quarantine, pct=20)"
    );
}

#[tokio::test]
async fn failed_identifiers_do_not_align() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .dns();
    let mut bad = dkim_pass("example.com");
    bad.result = AuthResult::Fail;
    let (a, d) = run(&dns, "example.com", &SpfChecks::default(), &[bad]).await;
    assert!(!a.dkim.aligned, "a failed signature never aligns for DMARC");
    assert_eq!(a.dkim.candidates.len(), 1);
    assert!(a.dkim.candidates[0].aligned, "but its domain matches");
    assert_eq!(a.dkim.candidates[0].result, AuthResult::Fail);
    assert_eq!(d.result, AuthResult::Fail);
}

#[tokio::test]
async fn aligned_but_softfail_is_shown_as_such() {
    let dns = MemDns::new()
        .txt("_dmarc.example.org", "v=DMARC1; p=reject")
        .dns();
    let mut spf = spf_pass("example.org");
    spf.mail_from.result = AuthResult::SoftFail;
    let (a, d) = run(&dns, "example.org", &spf, &[]).await;
    assert!(!a.spf.aligned);
    let c = &a.spf.candidates[0];
    assert!(c.aligned);
    assert_eq!(c.result, AuthResult::SoftFail);
    let step = a
        .steps
        .iter()
        .find(|s| s.title.starts_with("SPF example.org vs From"))
        .unwrap();
    assert_eq!(step.outcome, Outcome::Warning, "not a match");
    assert!(
        step.title.ends_with("domains aligned, but SPF softfail"),
        "{}",
        step.title
    );
    assert_eq!(d.result, AuthResult::Fail);

    // A temperror: aligned, not a pass, DMARC undecided.
    spf.mail_from.result = AuthResult::TempError;
    let (a, d) = run(&dns, "example.org", &spf, &[]).await;
    assert!(!a.spf.aligned);
    assert!(a.spf.candidates[0].aligned);
    assert_eq!(d.result, AuthResult::TempError);
    assert!(
        a.steps
            .iter()
            .all(|s| !(s.outcome == Outcome::Match && s.title.starts_with("SPF")))
    );
}

#[tokio::test]
async fn mail_auth_verdict_is_shown_and_a_difference_flagged() {
    use crate::analysis::MailAuth;
    /// From example.com with an aligned DKIM pass, `record` at _dmarc.example.com, and
    /// mail-auth asked beside ours.
    async fn evaluate_record(record: &str) -> DmarcCheck {
        let dns = MemDns::new().txt("_dmarc.example.com", record).dns();
        let auth = MailAuth::new(&dns);
        let (_, d) = evaluate(
            &dns,
            &auth,
            b"From: a@example.com\r\n\r\n",
            Some("example.com"),
            None,
            &SpfChecks::default(),
            &[dkim_pass("example.com")],
        )
        .await;
        d
    }
    // Same verdict: a plain record and an aligned DKIM pass.
    let d = evaluate_record("v=DMARC1; p=reject").await;
    assert_eq!(d.result, AuthResult::Pass);
    assert_eq!(d.mail_auth_result, Some(AuthResult::Pass));
    assert!(!d.disagreement);

    // mail-auth reads the version case-insensitively; RFC 7489's ABNF does not: flagged.
    let d = evaluate_record("v=dmarc1; p=reject").await;
    assert_eq!(d.result, AuthResult::None);
    assert_eq!(d.mail_auth_result, Some(AuthResult::Pass));
    assert!(d.disagreement);
    let step = d.steps.last().unwrap();
    assert_eq!(step.outcome, Outcome::Warning);
    assert!(step.explanation.contains("pass") && step.explanation.contains("none"));
}

#[tokio::test]
async fn from_header_is_attached_to_the_steps_that_read_it() {
    let dns = MemDns::new()
        .txt("_dmarc.example.com", "v=DMARC1; p=reject")
        .dns();
    let (mut a, mut d) = run(&dns, "example.com", &SpfChecks::default(), &[]).await;
    attach_from_header(&mut a, &mut d, 7);
    assert_eq!(a.steps[0].headers, [7]);
    assert!(d.steps[0].headers.contains(&7));
    assert!(
        d.steps.last().is_some_and(|s| s.headers.is_empty()),
        "not the disposition"
    );
}

#[tokio::test]
async fn several_author_domains_are_each_evaluated_and_the_strictest_applies() {
    use crate::analysis::MailAuth;
    use crate::analysis::trail::headers::split_headers;
    let raw = b"From: Mallory <m@evil.example>\r\nSubject: pay\r\n\
                From: CEO <ceo@bank.example>\r\n\r\nbody\r\n";
    let headers = split_headers(raw).headers;
    let dns = MemDns::new()
        .txt("_dmarc.evil.example", "v=DMARC1; p=none")
        .txt("_dmarc.bank.example", "v=DMARC1; p=reject")
        .dns();
    let auth = MailAuth::new(&dns);
    // The attacker's own domain passes; the bank's does not.
    let (a, d) = evaluate_with_headers(
        &dns,
        &auth,
        raw,
        &headers,
        None,
        &SpfChecks::default(),
        &[dkim_pass("evil.example")],
    )
    .await;
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.disposition.as_deref(), Some("reject"));
    assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
    assert_eq!(a.from_domain.as_deref(), Some("bank.example"));
    let domains: Vec<(&str, AuthResult, bool)> = d
        .author_domains
        .iter()
        .map(|x| (x.domain.as_str(), x.result, x.applied))
        .collect();
    assert_eq!(
        domains,
        [
            ("evil.example", AuthResult::Pass, false),
            ("bank.example", AuthResult::Fail, true)
        ]
    );
    let top = &d.steps[0];
    assert_eq!(top.outcome, Outcome::Warning);
    assert!(top.title.starts_with("Several author domains"));
    assert_eq!(top.headers, [0, 2]);
    assert!(
        d.steps
            .iter()
            .any(|s| s.title.starts_with("[evil.example] Result: pass"))
    );
    assert!(
        d.steps
            .iter()
            .any(|s| s.title.starts_with("[bank.example] Result: fail") && s.headers == [2])
    );
    // Attaching the first From header again (the old call order) changes nothing.
    let (mut a2, mut d2) = (a.clone(), d.clone());
    attach_from_header(&mut a2, &mut d2, 0);
    assert_eq!((a2, d2), (a.clone(), d.clone()));
    // mail-auth exempts such messages (none): explained, not a disagreement.
    assert_eq!(d.mail_auth_result, Some(AuthResult::None));
    assert!(!d.disagreement);
    assert!(d.steps.last().unwrap().explanation.contains("exempts"));
    let n = d.steps.len();
    assert!(
        d.steps[n - 2]
            .title
            .starts_with("Result: fail (the strictest of 2 author domains: bank.example)")
    );

    // One author domain: the plain evaluation, no author list.
    let raw = b"From: a@bank.example, b@bank.example\r\n\r\nbody\r\n";
    let headers = split_headers(raw).headers;
    let (_, d) = evaluate_with_headers(
        &dns,
        &auth,
        raw,
        &headers,
        None,
        &SpfChecks::default(),
        &[dkim_pass("bank.example")],
    )
    .await;
    assert_eq!(d.result, AuthResult::Pass);
    assert!(d.author_domains.is_empty());
    assert!(d.steps[0].headers.contains(&0));
}

/// evaluate_with_headers on `raw` with bank.example at p=reject and evil.example at p=none,
/// SPF passing for evil.example and the given DKIM results (the reviewer's spoofs).
async fn spoof(raw: &[u8], dkim: &[DkimCheck]) -> (Alignment, DmarcCheck) {
    use crate::analysis::MailAuth;
    use crate::analysis::trail::headers::split_headers;
    let headers = split_headers(raw).headers;
    let dns = MemDns::new()
        .txt("_dmarc.evil.example", "v=DMARC1; p=none")
        .txt("_dmarc.bank.example", "v=DMARC1; p=reject")
        .dns();
    let auth = MailAuth::new(&dns);
    evaluate_with_headers(
        &dns,
        &auth,
        raw,
        &headers,
        None,
        &spf_pass("evil.example"),
        dkim,
    )
    .await
}

#[tokio::test]
async fn obs_from_above_a_signed_from_is_evaluated_too() {
    // Reviewer's c01: `From : ` (WSP before the colon, RFC 5322 §4.5.2) is a From header.
    let raw = b"Received: from x by mx.example.net; Wed, 04 Nov 2026 10:05:36 +0000\r\n\
                From : CEO <ceo@bank.example>\r\n\
                DKIM-Signature: v=1; d=evil.example; s=s1; h=from; bh=; b=\r\n\
                From: Billing <billing@evil.example>\r\n\r\nPlease pay.\r\n";
    let (_, d) = spoof(raw, &[dkim_pass("evil.example")]).await;
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.disposition.as_deref(), Some("reject"));
    assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
    let applied: Vec<(&str, bool)> = d
        .author_domains
        .iter()
        .map(|a| (a.domain.as_str(), a.applied))
        .collect();
    assert_eq!(applied, [("bank.example", true), ("evil.example", false)]);
    // mail-auth reads both too, and exempts the message: its reading is quoted.
    let last = d.steps.last().unwrap();
    assert!(
        last.explanation
            .contains("\"ceo@bank.example\", \"billing@evil.example\""),
        "{}",
        last.explanation
    );
}

#[tokio::test]
async fn empty_from_above_the_real_one_is_a_warning_not_the_verdict() {
    // Reviewer's fr-empty-then-bank: was permerror ("no usable From domain").
    let raw = b"From:\r\nFrom: ceo@bank.example\r\nTo: bob@example.net\r\n\r\nPay.\r\n";
    let (a, d) = spoof(raw, &[]).await;
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.disposition.as_deref(), Some("reject"));
    assert_eq!(a.from_domain.as_deref(), Some("bank.example"));
    let first = &d.steps[0];
    assert_eq!(first.title, "From header problems");
    assert_eq!(first.outcome, Outcome::Warning);
    assert!(
        first.explanation.contains("From header 0 is empty"),
        "{}",
        first.explanation
    );
    assert_eq!(first.headers, [0, 1]);
    // The steps that read the domain point at the From header it came from.
    assert!(d.steps[1].headers.contains(&1));

    // No From domain at all stays permerror.
    for raw in [
        &b"From:\r\nTo: b@x.example\r\n\r\nx"[..],
        b"To: b@x.example\r\n\r\nx",
    ] {
        let (_, d) = spoof(raw, &[]).await;
        assert_eq!(d.result, AuthResult::PermError);
    }
}

#[tokio::test]
async fn two_angle_addresses_evaluate_every_domain() {
    // Reviewer's fr-two-angle: was read as evil.example alone, with no warning.
    let raw = b"From: CEO <ceo@bank.example> <x@evil.example>\r\nTo: bob@example.net\r\n\r\n\
                Pay.\r\n";
    let (_, d) = spoof(raw, &[]).await;
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.disposition.as_deref(), Some("reject"));
    assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
    assert_eq!(d.author_domains.len(), 2);
    assert!(
        d.steps[0].explanation.contains("2 angle addresses"),
        "{}",
        d.steps[0].explanation
    );
    // mail-auth's parser glues the two together and evaluates evil.example: explained.
    assert!(d.disagreement);
    let last = d.steps.last().unwrap();
    assert!(
        last.explanation.contains("mail-auth read only"),
        "{}",
        last.explanation
    );
}

#[tokio::test]
async fn several_from_headers_name_each_ones_problem() {
    let raw = b"From:\r\nFrom: ceo@bank.example\r\nFrom: m@evil.example\r\n\r\nx\r\n";
    let (_, d) = spoof(raw, &[]).await;
    assert_eq!(d.result, AuthResult::Fail);
    assert_eq!(d.record_domain.as_deref(), Some("bank.example"));
    let top = &d.steps[0];
    assert!(
        top.explanation.contains("3 From headers")
            && top.explanation.contains("From header 0 is empty"),
        "{}",
        top.explanation
    );
    assert_eq!(top.headers, [0, 1, 2]);
}

#[test]
fn mail_auth_without_a_from_domain_says_what_it_read() {
    let verdict = |froms: &[&str]| MailAuthVerdict {
        result: AuthResult::None,
        policy: None,
        record_domain_hint: String::new(),
        froms: froms.iter().map(|f| f.to_string()).collect(),
    };
    let w = verdict(&[]).what_it_read();
    assert!(w.contains("read no From address"), "{w}");
    let w = verdict(&["ceo@bank.example", "b@evil.example"]).what_it_read();
    assert!(
        w.contains("\"ceo@bank.example\", \"b@evil.example\"") && w.contains("2 From domains"),
        "{w}"
    );
    let w = verdict(&["undisclosed"]).what_it_read();
    assert!(w.contains("without a domain"), "{w}");
    assert!(!w.contains("none found"));
    let mut v = verdict(&["a@bank.example"]);
    v.record_domain_hint = "bank.example".into();
    assert_eq!(v.what_it_read(), "From domain bank.example");
}

#[test]
fn missing_from_domain_is_explained() {
    let (a, d) = no_from_domain(None);
    assert_eq!(d.result, AuthResult::PermError);
    assert_eq!(a.from_domain, None);
    assert!(d.steps[0].explanation.contains("From"));
}
