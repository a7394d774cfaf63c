//! check_host() behaviour, each test one rule of RFC 7208, on in-memory snapshot DNS.

use std::net::IpAddr;

use super::*;
use crate::analysis::Fact;
use crate::analysis::MailAuth;
use crate::dns::snapshot::{Snapshot, SnapshotEntry};
use crate::dns::{QueryKey, Record, RecordType};

fn txt(snapshot: &mut Snapshot, name: &str, text: &str) {
    snapshot.insert(
        name,
        RecordType::TXT,
        SnapshotEntry::Records(vec![Record::Txt {
            strings: vec![text.to_string()],
        }]),
    );
}

fn a(snapshot: &mut Snapshot, name: &str, addrs: &[&str]) {
    let records = addrs
        .iter()
        .map(|s| Record::A {
            address: s.parse().unwrap(),
        })
        .collect();
    snapshot.insert(name, RecordType::A, SnapshotEntry::Records(records));
}

async fn run(snapshot: Snapshot, ip: &str, sender: &str) -> SpfCheck {
    let dns = Dns::from_snapshot(snapshot);
    let ip: IpAddr = ip.parse().unwrap();
    let domain = sender.rsplit_once('@').map_or(sender, |(_, d)| d);
    check_host(
        &dns,
        ip,
        domain,
        sender,
        "mail.example.org",
        "mx.example.net",
    )
    .await
}

fn fact<'a>(step: &'a Step, name: &str) -> Option<&'a str> {
    step.facts
        .iter()
        .find(|f: &&Fact| f.name == name)
        .map(|f| f.value.as_str())
}

#[tokio::test]
async fn ip4_pass_steps() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 ip4:192.0.2.0/24 -all");
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::Pass);
    assert_eq!(check.matched.as_deref(), Some("ip4:192.0.2.0/24"));
    assert_eq!(check.dns_lookups, 0);
    let titles: Vec<&str> = check.steps.iter().map(|s| s.title.as_str()).collect();
    assert_eq!(
        titles,
        vec![
            "check_host(192.0.2.10, example.com)",
            "SPF record of example.com",
            "ip4:192.0.2.0/24",
            "remaining terms",
            "Result: pass",
        ]
    );
    let outcomes: Vec<Outcome> = check.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(
        outcomes,
        vec![
            Outcome::Info,
            Outcome::Info,
            Outcome::Match,
            Outcome::Skipped,
            Outcome::Pass
        ]
    );
    let record = &check.steps[1];
    assert_eq!(
        record.queries,
        vec![QueryKey::new("example.com", RecordType::TXT)]
    );
    assert_eq!(fact(record, "record"), Some("v=spf1 ip4:192.0.2.0/24 -all"));
    assert!(
        check.steps[2]
            .explanation
            .contains("192.0.2.10 is within 192.0.2.0/24")
    );
    assert!(check.steps[3].explanation.contains("-all"));
    for step in &check.steps {
        assert_eq!(fact(step, "dns_lookups"), Some("0/10"), "{}", step.title);
        assert_eq!(fact(step, "void_lookups"), Some("0/2"), "{}", step.title);
    }
    let result = check.steps.last().unwrap();
    assert_eq!(fact(result, "qualifier"), Some("+"));
    assert_eq!(fact(result, "matched"), Some("ip4:192.0.2.0/24"));
}

#[tokio::test]
async fn syntax_error_is_permerror_naming_the_term() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 ip4:192.0.2.10 -all moo");
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::PermError);
    let step = check
        .steps
        .iter()
        .find(|s| s.outcome == Outcome::Error)
        .unwrap();
    assert_eq!(step.title, "syntax error in `moo`");
    assert_eq!(fact(step, "term"), Some("moo"));
    // Nothing was evaluated: the error is found before the matching ip4.
    assert!(!check.steps.iter().any(|s| s.outcome == Outcome::Match));
}

#[tokio::test]
async fn no_record_is_none_and_two_records_permerror() {
    let mut s = Snapshot::new();
    txt(&mut s, "none.example", "google-site-verification=xyz");
    s.insert(
        "two.example",
        RecordType::TXT,
        SnapshotEntry::Records(vec![
            Record::Txt {
                strings: vec!["v=spf1 -all".into()],
            },
            Record::Txt {
                strings: vec!["V=SPF1 +all".into()],
            },
        ]),
    );
    let dns = Dns::from_snapshot(s);
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let none = check_host(&dns, ip, "none.example", "a@none.example", "h.example", "").await;
    assert_eq!(none.result, AuthResult::None);
    let missing = check_host(&dns, ip, "gone.example", "a@gone.example", "h.example", "").await;
    assert_eq!(missing.result, AuthResult::None);
    assert!(missing.steps[1].explanation.contains("NXDOMAIN"));
    let two = check_host(&dns, ip, "two.example", "a@two.example", "h.example", "").await;
    assert_eq!(two.result, AuthResult::PermError);
}

#[tokio::test]
async fn include_of_domain_without_record_is_permerror() {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 include:nothing.example.net ~all",
    );
    txt(&mut s, "nothing.example.net", "not spf");
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::PermError);
    assert_eq!(check.dns_lookups, 1);
    let titles: Vec<&str> = check.steps.iter().map(|s| s.title.as_str()).collect();
    assert!(titles.contains(&"include:nothing.example.net › SPF record of nothing.example.net"));
    assert!(titles.contains(&"include:nothing.example.net → none"));
}

#[tokio::test]
async fn include_pass_matches_with_nested_titles() {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 include:_spf.example.net -all",
    );
    txt(&mut s, "_spf.example.net", "v=spf1 ip4:192.0.2.0/24 -all");
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::Pass);
    assert_eq!(check.matched.as_deref(), Some("include:_spf.example.net"));
    assert!(
        check
            .steps
            .iter()
            .any(|s| s.title == "include:_spf.example.net › ip4:192.0.2.0/24"
                && s.outcome == Outcome::Match)
    );
    let after = check
        .steps
        .iter()
        .find(|s| s.title == "include:_spf.example.net → pass")
        .unwrap();
    assert_eq!(fact(after, "dns_lookups"), Some("1/10"));
}

#[tokio::test]
async fn redirect_takes_the_target_result_and_exp() {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 exp=old.example.com redirect=_spf.example.com",
    );
    txt(
        &mut s,
        "_spf.example.com",
        "v=spf1 ip4:198.51.100.1 -all exp=why.%{d}",
    );
    txt(
        &mut s,
        "why._spf.example.com",
        "%{i} is not a mail server of %{o}",
    );
    txt(&mut s, "old.example.com", "never used");
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::Fail);
    assert_eq!(check.matched.as_deref(), Some("-all"));
    assert_eq!(
        check.explanation.as_deref(),
        Some("192.0.2.10 is not a mail server of example.com")
    );
    assert_eq!(check.dns_lookups, 1);
    let exp = check
        .steps
        .iter()
        .find(|s| s.title.starts_with("exp="))
        .unwrap();
    assert_eq!(
        exp.queries,
        vec![QueryKey::new("why._spf.example.com", RecordType::TXT)]
    );
    // The macro expansion of the exp domain-spec is shown as its own step.
    assert!(
        check.steps.iter().any(|s| s.title == "macros in why.%{d}"
            && fact(s, "expansion") == Some("why._spf.example.com"))
    );
}

#[tokio::test]
async fn exp_problems_mean_no_explanation() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 -all exp=bad.example.com");
    txt(&mut s, "bad.example.com", "The %{x}-files.");
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::Fail);
    assert_eq!(check.explanation, None);
    assert!(
        check
            .steps
            .iter()
            .any(|s| s.title == "exp=bad.example.com" && s.explanation.contains("no explanation"))
    );
}

#[tokio::test]
async fn eleventh_lookup_term_is_permerror() {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 a a a a a a a a a a a ip4:192.0.2.10 -all",
    );
    a(&mut s, "example.com", &["198.51.100.1"]);
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::PermError);
    let last_term = check
        .steps
        .iter()
        .find(|s| s.title == "a" && s.outcome == Outcome::Error)
        .unwrap();
    assert!(
        last_term.explanation.contains("number 11"),
        "{}",
        last_term.explanation
    );
    assert_eq!(fact(last_term, "dns_lookups"), Some("11/10"));

    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 a a a a a a a a a a ip4:192.0.2.10 -all",
    );
    a(&mut s, "example.com", &["198.51.100.1"]);
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::Pass);
    assert_eq!(check.dns_lookups, 10);
}

#[tokio::test]
async fn third_void_lookup_is_permerror() {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 a:nx1.example.com a:nx2.example.com ?all",
    );
    let two = run(s.clone(), "192.0.2.10", "alice@example.com").await;
    assert_eq!(two.result, AuthResult::Neutral);
    assert_eq!(two.void_lookups, 2);
    txt(
        &mut s,
        "example.com",
        "v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com ?all",
    );
    let three = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(three.result, AuthResult::PermError);
    assert_eq!(three.void_lookups, 3);
}

#[tokio::test]
async fn mx_with_more_than_ten_names_is_permerror() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 mx -all");
    let mx = (0..11)
        .map(|i| Record::Mx {
            preference: i,
            exchange: format!("mx{i}.example.com"),
        })
        .collect();
    s.insert("example.com", RecordType::MX, SnapshotEntry::Records(mx));
    for i in 0..11 {
        a(&mut s, &format!("mx{i}.example.com"), &["198.51.100.1"]);
    }
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::PermError);
}

#[tokio::test]
async fn dns_timeout_is_temperror() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 a:slow.example.com -all");
    s.insert("slow.example.com", RecordType::A, SnapshotEntry::Timeout);
    let check = run(s.clone(), "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::TempError);
    s.insert("example.com", RecordType::TXT, SnapshotEntry::Timeout);
    let check = run(s, "192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::TempError);
}

#[tokio::test]
async fn ipv4_mapped_client_is_ipv4_and_malformed_domain_is_none() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 ip4:192.0.2.10 -all");
    let check = run(s.clone(), "::ffff:192.0.2.10", "alice@example.com").await;
    assert_eq!(check.result, AuthResult::Pass);
    let dns = Dns::from_snapshot(s);
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    for domain in ["[192.0.2.1]", "localhost", "a..example.com"] {
        let check = check_host(&dns, ip, domain, "x@y", "h", "").await;
        assert_eq!(check.result, AuthResult::None, "{domain}");
    }
}

#[tokio::test]
async fn missing_inputs_say_what_is_missing() {
    let dns = Dns::from_snapshot(Snapshot::new());
    let auth = MailAuth::new(&dns);
    let envelope = Envelope {
        helo: Some("[192.0.2.1]".into()),
        spf_mail_from: Some("a@example.com".into()),
        ..Default::default()
    };
    let checks = check_spf(&dns, &auth, &envelope).await;
    assert_eq!(checks.mail_from.result, AuthResult::None);
    assert_eq!(checks.mail_from.steps[0].title, "No client IP");
    assert_eq!(checks.helo.steps[0].title, "No client IP");
    let envelope = Envelope {
        client_ip: Some("192.0.2.1".into()),
        helo: Some("[192.0.2.1]".into()),
        ..Default::default()
    };
    let checks = check_spf(&dns, &auth, &envelope).await;
    assert_eq!(checks.mail_from.steps[0].title, "No MAIL FROM");
    // An unknown MAIL FROM is said to be unknown, not blamed on a missing HELO.
    let why = &checks.mail_from.steps[0].explanation;
    assert!(why.starts_with("The MAIL FROM address is unknown"), "{why}");
    assert!(!why.contains("HELO"), "{why}");
    assert_eq!(checks.helo.result, AuthResult::None);
    assert!(checks.helo.steps[0].explanation.contains("address literal"));
    assert!(!checks.helo.disagreement);
    // The null reverse-path with no HELO name: nothing to stand for it.
    let envelope = Envelope {
        client_ip: Some("192.0.2.1".into()),
        mail_from: Some(String::new()),
        ..Default::default()
    };
    let checks = check_spf(&dns, &auth, &envelope).await;
    assert_eq!(checks.mail_from.steps[0].title, "No MAIL FROM");
    let why = &checks.mail_from.steps[0].explanation;
    assert!(
        why.contains("null reverse-path") && why.contains("no HELO name"),
        "{why}"
    );
    // Nothing was asked of DNS for checks that could not run.
    assert!(dns.evidence().is_empty());
}

#[test]
fn client_ip_forms() {
    assert_eq!(parse_client_ip("[192.0.2.1]"), "192.0.2.1".parse().ok());
    assert_eq!(
        parse_client_ip("IPv6:2001:db8::1"),
        "2001:db8::1".parse().ok()
    );
    assert_eq!(
        parse_client_ip("[IPv6:2001:db8::1]"),
        "2001:db8::1".parse().ok()
    );
    assert_eq!(parse_client_ip("mail.example.com"), None);
    assert_eq!(parse_client_ip("é"), None);
}

#[tokio::test]
async fn both_identities_are_compared_with_mail_auth() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", "v=spf1 ip4:192.0.2.0/24 ~all");
    txt(&mut s, "mail.example.com", "v=spf1 a -all");
    a(&mut s, "mail.example.com", &["198.51.100.7"]);
    let dns = Dns::from_snapshot(s);
    let auth = MailAuth::new(&dns);
    let envelope = Envelope {
        client_ip: Some("198.51.100.7".into()),
        helo: Some("mail.example.com".into()),
        spf_mail_from: Some("bounce@example.com".into()),
        receiver: Some("mx.example.net".into()),
        sources: vec![
            crate::analysis::Source {
                field: "client_ip".into(),
                header_index: Some(3),
                text: "198.51.100.7".into(),
                how: "from-clause of the boundary Received".into(),
            },
            crate::analysis::Source {
                field: "mail_from".into(),
                header_index: Some(0),
                text: "<bounce@example.com>".into(),
                how: "Return-Path".into(),
            },
        ],
        ..Default::default()
    };
    let checks = check_spf(&dns, &auth, &envelope).await;
    assert_eq!(checks.mail_from.steps[0].headers, vec![3, 0]);
    assert_eq!(checks.helo.steps[0].headers, vec![3]);
    assert_eq!(
        fact(&checks.helo.steps[0], "client_ip_source"),
        Some("198.51.100.7 (from-clause of the boundary Received)")
    );
    assert_eq!(checks.mail_from.identity, "mail_from");
    assert_eq!(checks.mail_from.result, AuthResult::SoftFail);
    assert_eq!(checks.mail_from.matched.as_deref(), Some("~all"));
    assert_eq!(
        checks.mail_from.mail_auth_result,
        Some(AuthResult::SoftFail)
    );
    assert!(!checks.mail_from.disagreement);
    assert_eq!(checks.helo.identity, "helo");
    assert_eq!(
        checks.helo.sender.as_deref(),
        Some("postmaster@mail.example.com")
    );
    assert_eq!(checks.helo.result, AuthResult::Pass);
    assert_eq!(checks.helo.mail_auth_result, Some(AuthResult::Pass));
    // Every query a step names is in the evidence log.
    let logged: Vec<QueryKey> = dns.evidence().iter().map(|e| e.key()).collect();
    for step in checks.mail_from.steps.iter().chain(&checks.helo.steps) {
        for q in &step.queries {
            assert!(logged.contains(q), "{q:?} not in the log");
        }
    }
}

#[tokio::test]
async fn disagreement_with_mail_auth_is_a_warning_step() {
    // mail-auth does not enforce the void-lookup limit, so a third void lookup splits verdicts.
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        "v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com -all",
    );
    let dns = Dns::from_snapshot(s);
    let auth = MailAuth::new(&dns);
    let envelope = Envelope {
        client_ip: Some("192.0.2.1".into()),
        spf_mail_from: Some("a@example.com".into()),
        ..Default::default()
    };
    let checks = check_spf(&dns, &auth, &envelope).await;
    let check = checks.mail_from;
    assert_eq!(check.result, AuthResult::PermError);
    assert_eq!(check.mail_auth_result, Some(AuthResult::Fail));
    assert!(check.disagreement);
    let last = check.steps.last().unwrap();
    assert_eq!(last.outcome, Outcome::Warning);
    assert_eq!(
        last.title,
        "Disagreement: traced permerror vs mail-auth fail"
    );
}

#[tokio::test]
async fn garbage_records_never_panic() {
    let records = [
        "v=spf1 ~",
        "v=spf1 -",
        "v=spf1 +",
        "v=spf1 a:/",
        "v=spf1 a//",
        "v=spf1 a/",
        "v=spf1 mx://",
        "v=spf1 ip4:",
        "v=spf1 ip6:/",
        "v=spf1 ip4:1.2.3.4/",
        "v=spf1 ip6::://999999999999999999999",
        "v=spf1 a/99999999999999999999999",
        "v=spf1 %",
        "v=spf1 exists:%{",
        "v=spf1 exists:%{}.x.com",
        "v=spf1 exists:%{d99999999999999999999999r}.x.com",
        "v=spf1 exists:%{ié}.x.com",
        "v=spf1 exists:é.x.com",
        "v=spf1 a:ü",
        "v=spf1 ptr:%{p}.x.com ptr exists:%{p}x.%{d}",
        "v=spf1 include:%{d} include:%{d}",
        "v=spf1 redirect=%{d}",
        "v=spf1 =",
        "v=spf1 ==",
        "v=spf1 a=b=c x:=",
        "v=spf1 exp=%{d} -all",
        "v=spf1 \u{0}\u{1}\u{7f}\u{ffff}",
        "v=spf1 -all exp=x.%{c}",
    ];
    for record in records {
        let mut s = Snapshot::new();
        txt(&mut s, "example.com", record);
        txt(&mut s, "x.example.com", "%{p} %{t} %{r} %{c} %{x");
        s.insert(
            "1.2.0.192.in-addr.arpa",
            RecordType::PTR,
            SnapshotEntry::Records(vec![Record::Ptr {
                name: "é..".into()
            }]),
        );
        for ip in ["192.0.2.1", "2001:db8::1", "::ffff:192.0.2.1"] {
            let check = run(s.clone(), ip, "a@example.com").await;
            assert!(!check.steps.is_empty(), "{record}");
            assert!(
                check.steps.last().unwrap().title.starts_with("Result: "),
                "{record}"
            );
        }
    }
}

#[tokio::test]
async fn mx_over_a_mailauth_null_mx_has_no_addresses_and_is_not_an_error() {
    // mailauth's --dns-cache shape: Node gives the null MX (RFC 7505) exchange as "".
    let s = Snapshot::parse(
        r#"{"example.com": {"TXT": [["v=spf1 mx -all"]],
                            "MX": [{"exchange": "", "priority": 0}]}}"#,
    )
    .unwrap();
    let dns = Dns::from_snapshot(s);
    let auth = MailAuth::new(&dns);
    let envelope = Envelope {
        client_ip: Some("192.0.2.10".into()),
        spf_mail_from: Some("alice@example.com".into()),
        ..Default::default()
    };
    let checks = check_spf(&dns, &auth, &envelope).await;
    let check = checks.mail_from;
    // The mx term matches nothing (RFC 7505 §4: the root has no addresses), so -all decides.
    assert_eq!(check.result, AuthResult::Fail);
    assert_eq!(check.matched.as_deref(), Some("-all"));
    assert!(
        check
            .steps
            .iter()
            .any(|s| s.explanation.contains("null MX")),
        "the mx step names the null MX"
    );
    assert_eq!(check.mail_auth_result, Some(AuthResult::Fail));
    assert!(!check.disagreement);
}

fn mx(snapshot: &mut Snapshot, name: &str, hosts: &[&str]) {
    let records = hosts
        .iter()
        .enumerate()
        .map(|(i, h)| Record::Mx {
            preference: 10 * (i as u16 + 1),
            exchange: h.to_string(),
        })
        .collect();
    snapshot.insert(name, RecordType::MX, SnapshotEntry::Records(records));
}

#[tokio::test]
async fn terms_after_a_match_are_asked_ahead_but_neither_read_nor_counted() {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.org",
        "v=spf1 ip4:192.0.2.1 a:a.example.org mx:m.example.org include:i.example.org -all",
    );
    a(&mut s, "a.example.org", &["198.51.100.1"]);
    mx(&mut s, "m.example.org", &["mx1.example.org"]);
    a(&mut s, "mx1.example.org", &["198.51.100.2"]);
    txt(&mut s, "i.example.org", "v=spf1 -all");
    let dns = Dns::from_snapshot(s);
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let check = check_host(&dns, ip, "example.org", "a@example.org", "h", "r").await;
    assert_eq!(check.result, AuthResult::Pass);
    assert_eq!((check.dns_lookups, check.void_lookups), (0, 0));
    dns.settle_prefetches().await;
    let log = dns.evidence();
    let entry = |name: &str, t: RecordType| {
        log.iter()
            .find(|e| e.name == name && e.rtype == t)
            .unwrap_or_else(|| panic!("{name} {t} asked ahead: {log:?}"))
    };
    assert!(entry("example.org", RecordType::TXT).used);
    for (name, t) in [
        ("a.example.org", RecordType::A),
        ("m.example.org", RecordType::MX),
        ("mx1.example.org", RecordType::A),
        ("i.example.org", RecordType::TXT),
    ] {
        let e = entry(name, t);
        assert!(e.prefetched && !e.used && e.count == 0, "{e:?}");
    }
    // The evidence says which answers decided nothing.
    let json = serde_json::to_value(entry("i.example.org", RecordType::TXT)).unwrap();
    assert_eq!(json["prefetched"], true);
    assert_eq!(json["used"], false);
}

#[tokio::test]
async fn a_records_term_lookups_are_in_flight_together_and_read_in_order() {
    // %{i} is known before the evaluation starts, so the exists name is asked ahead too.
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.org",
        "v=spf1 a:a.example.org mx:m.example.org exists:%{i}.e.example.org \
         include:i.example.org -all",
    );
    a(&mut s, "a.example.org", &["198.51.100.1"]);
    mx(&mut s, "m.example.org", &["mx1.example.org"]);
    a(&mut s, "mx1.example.org", &["198.51.100.2"]);
    txt(&mut s, "i.example.org", "v=spf1 ip4:192.0.2.1");
    // Only the record itself is answered at once; everything else waits at the gate.
    let gate = crate::test_support::Gate::new(
        crate::dns::snapshot::SnapshotBackend::new(s),
        &["example.org"],
    );
    let dns = Dns::new(gate.clone());
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let check = tokio::spawn({
        let dns = dns.clone();
        async move { check_host(&dns, ip, "example.org", "a@example.org", "h", "r").await }
    });
    let mut asked: Vec<String> = gate
        .asked_while_closed()
        .await
        .into_iter()
        .map(|k| format!("{} {}", k.name, k.rtype))
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        [
            "192.0.2.1.e.example.org A",
            "a.example.org A",
            "i.example.org TXT",
            "m.example.org MX"
        ]
    );
    gate.open();
    let check = check.await.unwrap();
    // Read one by one as RFC 7208 says: a, mx (one host), exists (void), include → pass.
    assert_eq!(check.result, AuthResult::Pass);
    assert_eq!((check.dns_lookups, check.void_lookups), (4, 1));
    assert_eq!(check.matched.as_deref(), Some("include:i.example.org"));
}
