//! Messages written against the reader: each hostile shape found by the adversarial run is kept
//! here as a regression test of the budget or the linear-time rule that defeats it. What is
//! asserted is work and size (queries sent, signatures verified, bytes out), never wall time
//! (time is measured in benches, where noise is expected).

use mailsleuth::analysis::{Analysis, DnsMode, Options, analyze};
use mailsleuth::dns::snapshot::Snapshot;
use mailsleuth::dns::{BUDGET_ERROR, Dns, MAX_QUERIES};

fn analyse(text: &str) -> Analysis {
    analyse_with(text, &Dns::from_snapshot(Snapshot::new()))
}

fn analyse_with(text: &str, dns: &Dns) -> Analysis {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = Options {
        source: "hostile".into(),
        now: 1_793_000_000,
        dns_mode: DnsMode::Snapshot,
        ..Default::default()
    };
    rt.block_on(analyze(text.as_bytes(), &opts, dns))
}

/// Questions that were really asked (not refused by the budget).
fn asked(a: &Analysis) -> usize {
    a.dns
        .iter()
        .filter(|e| e.error.as_deref() != Some(BUDGET_ERROR))
        .count()
}

fn warned(a: &Analysis, code: &str) -> bool {
    a.warnings.iter().any(|w| w.code == code)
}

fn json_len(a: &Analysis) -> usize {
    mailsleuth::report::json(a).len()
}

#[test]
fn thousands_of_from_domains_cost_at_most_the_author_budget() {
    let from: Vec<String> = (0..10_000).map(|i| format!("a{i}@d{i}.example")).collect();
    let text = format!("From: {}\r\nSubject: x\r\n\r\nbody\r\n", from.join(", "));
    let a = analyse(&text);
    assert!(asked(&a) <= MAX_QUERIES, "{} questions", asked(&a));
    assert!(warned(&a, "budget-author-domains"));
    assert!(
        a.dmarc.author_domains.len() <= 10,
        "{}",
        a.dmarc.author_domains.len()
    );
    // The report does not repeat the 10,000 addresses in every place that quotes the problem.
    assert!(json_len(&a) < 4 * text.len(), "{} bytes", json_len(&a));
}

#[test]
fn stacked_dkim_signatures_are_verified_up_to_the_budget() {
    let sigs: String = (0..500)
        .map(|i| {
            format!(
                "DKIM-Signature: v=1; a=rsa-sha256; d=d{i}.example; s=s{i}; h=from; bh=AAAA; b=AAAA\r\n"
            )
        })
        .collect();
    let a = analyse(&format!(
        "{sigs}From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n"
    ));
    assert_eq!(a.dkim.len(), 10);
    assert!(warned(&a, "budget-dkim-signatures"));
    assert!(asked(&a) <= MAX_QUERIES, "{} questions", asked(&a));
}

#[test]
fn a_flood_of_dns_questions_stops_at_the_query_budget() {
    // Author domains, signatures and an SPF-heavy envelope together still ask at most the
    // budget, and the refused questions are said to be so.
    let sigs: String = (0..10)
        .map(|i| format!("DKIM-Signature: v=1; a=rsa-sha256; d=k{i}.example; s=s; h=from; bh=AAAA; b=AAAA\r\n"))
        .collect();
    let from: Vec<String> = (0..10).map(|i| format!("a@f{i}.example")).collect();
    let text = format!(
        "Return-Path: <x@rp.example>\r\nReceived: from h.example (h.example [192.0.2.9]) by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\n{sigs}From: {}\r\n\r\nbody\r\n",
        from.join(", ")
    );
    let a = analyse(&text);
    assert!(asked(&a) <= MAX_QUERIES);
}

#[test]
fn a_huge_results_header_is_read_up_to_its_budget() {
    let results: Vec<&str> = vec!["spf=pass smtp.mailfrom=a.example"; 40_000];
    let text = format!(
        "Received: from a (a [192.0.2.1]) by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\n\
         Authentication-Results: mx.example.net; {}\r\nFrom: a@example.com\r\n\r\nbody\r\n",
        results.join("; ")
    );
    let a = analyse(&text);
    assert!(warned(&a, "budget-results-per-header"));
    assert_eq!(
        a.recorded.iter().filter(|r| r.header_index == 1).count(),
        50
    );
}

#[test]
fn hundreds_of_recorded_headers_are_read_up_to_the_budget() {
    let many: String = (0..5_000)
        .map(|i| {
            format!(
                "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=s{i}.example\r\n"
            )
        })
        .collect();
    let a = analyse(&format!(
        "Received: from a (a [192.0.2.1]) by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\n{many}From: a@example.com\r\n\r\nbody\r\n"
    ));
    assert!(warned(&a, "budget-recorded-headers"));
    assert!(a.recorded.len() <= 100);
}

#[test]
fn a_from_of_angle_brackets_is_read_in_one_pass() {
    // 400 kB of '<' took 18 s when each bracket scanned to the end for its '>'. Here: it is read,
    // and what quotes it is cut.
    let text = format!(
        "From: {}\r\nSubject: x\r\n\r\nbody\r\n",
        "<".repeat(400_000)
    );
    let a = analyse(&text);
    assert!(!a.headers.is_empty());
    let text_report = mailsleuth::report::text(&a);
    assert!(text_report.len() < 64 * 1024, "{} bytes", text_report.len());
}

#[test]
fn a_megabyte_return_path_is_not_copied_into_the_envelope() {
    let text = format!(
        "Return-Path: <{}@example.com>\r\nFrom: a@example.com\r\n\r\nbody\r\n",
        "a".repeat(4_000_000)
    );
    let a = analyse(&text);
    assert!(warned(&a, "mail-from-too-long"));
    assert_eq!(a.envelope.mail_from, None);
    // The header once as written and once unfolded; nothing else repeats it.
    assert!(
        json_len(&a) < 2 * text.len() + 1_000_000,
        "{} bytes",
        json_len(&a)
    );
}

#[test]
fn questions_past_the_budget_are_not_sent_and_say_so() {
    let text = "Return-Path: <x@rp.example>\r\nReceived: from h.example (h.example [192.0.2.9]) by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\nFrom: a@example.com\r\n\r\nbody\r\n";
    let a = analyse_with(text, &Dns::from_snapshot(Snapshot::new()).with_budget(3));
    assert_eq!(asked(&a), 3);
    assert!(
        a.dns.len() > 3,
        "the refused questions are in the evidence too"
    );
    assert!(warned(&a, "budget-dns-queries"));
}

#[test]
fn questions_after_the_message_deadline_are_not_sent_and_say_so() {
    let text = "Return-Path: <x@rp.example>\r\nReceived: from h.example (h.example [192.0.2.9]) by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\nFrom: a@example.com\r\n\r\nbody\r\n";
    let dns = Dns::from_snapshot(Snapshot::new()).with_deadline(std::time::Duration::ZERO);
    let a = analyse_with(text, &dns);
    assert!(warned(&a, "budget-dns-deadline"));
    assert!(
        a.dns
            .iter()
            .all(|e| e.error.as_deref() == Some(mailsleuth::dns::DEADLINE_ERROR)),
        "{:?}",
        a.dns
    );
    // Late questions are timeouts: the checks that needed them are temperror, never a pass.
    assert_ne!(a.dmarc.result, mailsleuth::analysis::AuthResult::Pass);
}
