//! The snapshot format and its answering rules (README.md, "DNS snapshots").

use std::net::Ipv4Addr;

use mailsleuth::dns::snapshot::{Snapshot, SnapshotEntry};
use mailsleuth::dns::{Dns, DnsOutcome, DnsSource, QueryKey, Record, RecordType};

fn key(name: &str, rtype: RecordType) -> QueryKey {
    QueryKey::new(name, rtype)
}

fn txt(s: &str) -> Record {
    Record::Txt {
        strings: vec![s.to_string()],
    }
}

const SAMPLE: &str = r#"{
  "_meta": {
    "captured_at": "2026-11-26T09:00:00Z",
    "resolver": "192.0.2.53:53",
    "default_ttl": 300,
    "ttl": { "example.com": { "TXT": 3600 }, "www.example.com": { "CNAME": 60 } }
  },
  "Example.COM.": {
    "TXT": [["v=spf1 ip4:192.0.2.0/24", " -all"], "plain string record"],
    "MX": [{ "priority": 10, "exchange": "mx.example.com." }, { "exchange": "mx2.example.com", "priority": 20 }],
    "A": ["192.0.2.1"],
    "AAAA": []
  },
  "www.example.com": { "CNAME": ["example.com"] },
  "nodata.example.com": {},
  "gone.example.com": { "TXT": "NXDOMAIN" },
  "broken.example.com": { "TXT": "SERVFAIL" },
  "slow.example.com": { "TXT": "TIMEOUT" },
  "1.2.0.192.in-addr.arpa": { "PTR": ["mail.example.com"] },
  "loop1.example.com": { "CNAME": ["loop2.example.com"] },
  "loop2.example.com": { "CNAME": ["LOOP1.example.com."] },
  "dangling.example.com": { "CNAME": ["missing.example.com"] }
}"#;

fn sample() -> Snapshot {
    Snapshot::parse(SAMPLE).expect("sample parses")
}

#[test]
fn txt_records_keep_their_character_strings_and_accept_a_plain_string() {
    let a = sample().lookup(&key("example.com", RecordType::TXT));
    assert_eq!(a.outcome, DnsOutcome::Answers);
    assert_eq!(
        a.records,
        vec![
            Record::Txt {
                strings: vec!["v=spf1 ip4:192.0.2.0/24".into(), " -all".into()]
            },
            txt("plain string record"),
        ]
    );
    assert_eq!(
        a.txt(),
        vec!["v=spf1 ip4:192.0.2.0/24 -all", "plain string record"]
    );
}

#[test]
fn names_compare_case_insensitively_with_optional_trailing_dot() {
    let s = sample();
    for name in ["example.com", "EXAMPLE.com.", "eXample.Com"] {
        assert_eq!(
            s.lookup(&key(name, RecordType::A)).records,
            vec![Record::A {
                address: Ipv4Addr::new(192, 0, 2, 1)
            }],
            "{name}"
        );
    }
}

#[test]
fn mx_objects_are_priority_and_exchange_without_root_dot() {
    let a = sample().lookup(&key("example.com", RecordType::MX));
    assert_eq!(
        a.records,
        vec![
            Record::Mx {
                preference: 10,
                exchange: "mx.example.com".into()
            },
            Record::Mx {
                preference: 20,
                exchange: "mx2.example.com".into()
            },
        ]
    );
}

#[test]
fn absent_name_is_nxdomain() {
    let a = sample().lookup(&key("nowhere.example.net", RecordType::TXT));
    assert_eq!(a.outcome, DnsOutcome::NxDomain);
    assert!(a.records.is_empty());
}

#[test]
fn empty_list_or_missing_type_or_empty_name_is_nodata() {
    let s = sample();
    assert_eq!(
        s.lookup(&key("example.com", RecordType::AAAA)).outcome,
        DnsOutcome::NoData
    );
    assert_eq!(
        s.lookup(&key("example.com", RecordType::PTR)).outcome,
        DnsOutcome::NoData
    );
    assert_eq!(
        s.lookup(&key("nodata.example.com", RecordType::TXT))
            .outcome,
        DnsOutcome::NoData
    );
}

#[test]
fn error_strings_are_those_errors_and_timeout_does_not_wait() {
    let s = sample();
    assert_eq!(
        s.lookup(&key("gone.example.com", RecordType::TXT)).outcome,
        DnsOutcome::NxDomain
    );
    let servfail = s.lookup(&key("broken.example.com", RecordType::TXT));
    assert_eq!(servfail.outcome, DnsOutcome::ServFail);
    assert!(servfail.error.is_some());
    let started = std::time::Instant::now();
    let timeout = s.lookup(&key("slow.example.com", RecordType::TXT));
    assert_eq!(timeout.outcome, DnsOutcome::Timeout);
    assert!(timeout.error.as_deref().unwrap_or("").contains("timeout"));
    assert!(started.elapsed() < std::time::Duration::from_millis(100));
}

#[test]
fn ttls_come_from_meta_specific_before_default() {
    let s = sample();
    assert_eq!(
        s.lookup(&key("example.com", RecordType::TXT)).ttl,
        Some(3600)
    );
    assert_eq!(s.lookup(&key("example.com", RecordType::MX)).ttl, Some(300));
    assert_eq!(s.meta.captured_at.as_deref(), Some("2026-11-26T09:00:00Z"));
    let without_meta = Snapshot::parse(r#"{"a.example": {"A": ["192.0.2.9"]}}"#).unwrap();
    assert_eq!(
        without_meta.lookup(&key("a.example", RecordType::A)).ttl,
        None
    );
}

#[test]
fn cname_is_followed_for_other_types_and_recorded() {
    let s = sample();
    let a = s.lookup(&key("www.example.com", RecordType::TXT));
    assert_eq!(a.outcome, DnsOutcome::Answers);
    assert_eq!(a.cname_chain, vec!["example.com"]);
    assert_eq!(a.records.len(), 2);
    // The smallest TTL along the chain: CNAME 60 < TXT 3600.
    assert_eq!(a.ttl, Some(60));
    // Asking for the CNAME itself does not follow it.
    let c = s.lookup(&key("www.example.com", RecordType::CNAME));
    assert_eq!(
        c.records,
        vec![Record::Cname {
            target: "example.com".into()
        }]
    );
    assert!(c.cname_chain.is_empty());
}

#[test]
fn cname_to_an_absent_name_is_nxdomain_with_the_chain() {
    let a = sample().lookup(&key("dangling.example.com", RecordType::A));
    assert_eq!(a.outcome, DnsOutcome::NxDomain);
    assert_eq!(a.cname_chain, vec!["missing.example.com"]);
}

#[test]
fn cname_loop_is_a_servfail_with_a_clear_error() {
    let a = sample().lookup(&key("loop1.example.com", RecordType::TXT));
    assert_eq!(a.outcome, DnsOutcome::ServFail);
    assert!(
        a.error.as_deref().unwrap_or("").contains("CNAME loop"),
        "{a:?}"
    );
    assert_eq!(
        a.cname_chain,
        vec!["loop2.example.com", "loop1.example.com"]
    );
}

#[test]
fn ptr_records_are_names() {
    let a = sample().lookup(&key("1.2.0.192.in-addr.arpa.", RecordType::PTR));
    assert_eq!(
        a.records,
        vec![Record::Ptr {
            name: "mail.example.com".into()
        }]
    );
}

#[test]
fn mailauth_example_cache_file_reads_including_nested_a_lists() {
    // The shape of postalsys/mailauth's examples/dns-cache.json (A values nested one level).
    let text = r#"{
        "_dmarc.hotmail.com": { "TXT": [["v=DMARC1; p=reject; sp=reject;"]] },
        "exploding.mx": {
            "TXT": [["v=spf1 mx -all"]],
            "MX": [ { "exchange": "mx1.exploding.mx", "priority": 1 } ]
        },
        "mx1.exploding.mx": { "A": [["1.2.3.1"]] }
    }"#;
    let s = Snapshot::parse(text).unwrap();
    assert_eq!(
        s.lookup(&key("mx1.exploding.mx", RecordType::A)).records,
        vec![Record::A {
            address: Ipv4Addr::new(1, 2, 3, 1)
        }]
    );
    assert_eq!(
        s.lookup(&key("_dmarc.hotmail.com", RecordType::TXT)).txt(),
        vec!["v=DMARC1; p=reject; sp=reject;"]
    );
}

#[test]
fn unmodelled_types_are_ignored_and_spf_does_not_shadow_txt() {
    let s = Snapshot::parse(
        r#"{"example.org": {"SPF": [["v=spf1 -all"]], "NS": ["ns1.example.org"], "TXT": [["v=spf1 +all"]]}}"#,
    )
    .unwrap();
    assert_eq!(
        s.lookup(&key("example.org", RecordType::TXT)).txt(),
        vec!["v=spf1 +all"]
    );
}

#[test]
fn bad_input_gives_errors_that_say_where() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["not valid JSON"]),
        ("[1,2]", &["top level must be an object"]),
        (
            r#"{"a.example": []}"#,
            &["\"a.example\"", "object keyed by record type"],
        ),
        (
            r#"{"a.example": {"FOO": []}}"#,
            &["\"FOO\"", "unknown record type"],
        ),
        (
            r#"{"a.example": {"A": ["999.1.1.1"]}}"#,
            &["\"a.example\" / A / record 1", "IPv4"],
        ),
        (
            r#"{"a.example": {"AAAA": ["1.2.3.4"]}}"#,
            &["AAAA / record 1", "IPv6"],
        ),
        (
            r#"{"a.example": {"TXT": [["ok"], ["x", 5]]}}"#,
            &["TXT / record 2 / string 2"],
        ),
        (r#"{"a.example": {"TXT": [7]}}"#, &["TXT / record 1"]),
        (
            r#"{"a.example": {"MX": [{"priority": 70000, "exchange": "m"}]}}"#,
            &["MX / record 1", "0..65535"],
        ),
        (r#"{"a.example": {"MX": [{"priority": 1}]}}"#, &["exchange"]),
        (r#"{"a.example": {"MX": ["10 mx"]}}"#, &["MX object"]),
        (r#"{"a.example": {"TXT": "REFUSED"}}"#, &["\"REFUSED\""]),
        (r#"{"a.example": {"TXT": 3}}"#, &["a number"]),
        (
            r#"{"a.example": {"PTR": ["bad..name"]}}"#,
            &["PTR / record 1", "not a domain name"],
        ),
        (
            r#"{"a.example": {"TXT": []}, "A.EXAMPLE.": {"TXT": []}}"#,
            &["already given"],
        ),
        (
            r#"{"a.example": {"TXT": [["v=spf1 -all"]]}, "a.example": {"TXT": [["v=spf1 +all"]]}}"#,
            &["\"a.example\" is given twice", "line 1"],
        ),
        (
            r#"{"a.example": {"TXT": [["one"]], "TXT": [["two"]]}}"#,
            &["\"TXT\" is given twice"],
        ),
        (
            r#"{"_meta": {"ttl": {"a.example": {"TXT": -5}}}}"#,
            &["_meta / ttl", "whole number"],
        ),
        (r#"{"_meta": 5}"#, &["_meta"]),
    ];
    for (text, needles) in cases {
        let err = Snapshot::parse(text).expect_err(text).to_string();
        for needle in *needles {
            assert!(err.contains(needle), "{text}: {err:?} lacks {needle:?}");
        }
    }
}

#[test]
fn load_names_the_file_in_its_errors() {
    let dir = std::env::temp_dir().join(format!("mailsleuth-snap-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"a.example": {"A": ["nope"]}}"#).unwrap();
    let err = Snapshot::load(&bad).unwrap_err().to_string();
    assert!(err.contains("bad.json") && err.contains("IPv4"), "{err}");
    let missing = dir.join("missing.json");
    let err = Snapshot::load(&missing).unwrap_err().to_string();
    assert!(
        err.contains("missing.json") && err.contains("cannot read"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "{",
        "null",
        "\"x\"",
        "{\"\": {}}",
        "{\"a\": {\"TXT\": [[[]]]}}",
        "{\"a\": {\"MX\": [{\"priority\": 1.5, \"exchange\": \"m\"}]}}",
        "{\"é\u{301}.example\": {\"TXT\": [\"ü\"]}}",
        "\u{feff}{}",
        "{\"a\": {\"CNAME\": [\"\"]}}",
        "{\"a\": {\"A\": [null]}}",
    ];
    for text in inputs {
        let _ = Snapshot::parse(text);
    }
    assert!(Snapshot::parse("\u{feff}{}").unwrap().is_empty());
}

#[test]
fn to_json_round_trips_and_is_deterministic() {
    let s = sample();
    let json = s.to_json();
    assert_eq!(json, sample().to_json());
    assert!(json.starts_with("{\n  \"_meta\""), "{json}");
    let back = Snapshot::parse(&json).unwrap();
    for (name, t) in [
        ("example.com", RecordType::TXT),
        ("example.com", RecordType::MX),
        ("example.com", RecordType::AAAA),
        ("www.example.com", RecordType::TXT),
        ("nodata.example.com", RecordType::A),
        ("broken.example.com", RecordType::TXT),
        ("slow.example.com", RecordType::TXT),
        ("loop1.example.com", RecordType::A),
        ("1.2.0.192.in-addr.arpa", RecordType::PTR),
    ] {
        assert_eq!(
            back.lookup(&key(name, t)),
            s.lookup(&key(name, t)),
            "{name} {t}"
        );
    }
    // NXDOMAIN-only names are written by omission, which answers the same.
    assert!(!json.contains("gone.example.com"));
    assert_eq!(
        back.lookup(&key("gone.example.com", RecordType::TXT))
            .outcome,
        DnsOutcome::NxDomain
    );
    assert_eq!(back.meta, s.meta);
}

#[test]
fn insert_and_insert_name_build_a_snapshot() {
    let mut s = Snapshot::new();
    s.insert(
        "Mail.Example",
        RecordType::TXT,
        SnapshotEntry::Records(vec![txt("hi")]),
    );
    s.insert_name("empty.example.");
    s.insert("t.example", RecordType::A, SnapshotEntry::Timeout);
    assert_eq!(
        s.lookup(&key("mail.example.", RecordType::TXT)).txt(),
        vec!["hi"]
    );
    assert_eq!(
        s.lookup(&key("empty.example", RecordType::MX)).outcome,
        DnsOutcome::NoData
    );
    assert_eq!(
        s.lookup(&key("t.example", RecordType::A)).outcome,
        DnsOutcome::Timeout
    );
    let json = s.to_json();
    assert!(json.contains("\"empty.example\": {}"), "{json}");
    assert!(json.contains("\"TIMEOUT\""), "{json}");
}

#[tokio::test]
async fn dns_handle_logs_snapshot_answers_as_evidence() {
    let dns = Dns::from_snapshot(sample());
    assert_eq!(dns.source(), DnsSource::Snapshot);
    dns.query("www.example.com", RecordType::TXT).await;
    dns.query("WWW.example.com.", RecordType::TXT).await;
    dns.query("gone.example.com", RecordType::TXT).await;
    let ev = dns.evidence();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].count, 2);
    assert_eq!(ev[0].source, DnsSource::Snapshot);
    assert_eq!(ev[0].cname_chain, vec!["example.com"]);
    assert_eq!(ev[0].answers[0], "v=spf1 ip4:192.0.2.0/24 -all");
    assert_eq!(ev[1].outcome, DnsOutcome::NxDomain);
}

#[tokio::test]
async fn from_evidence_replays_what_was_seen() {
    let dns = Dns::from_snapshot(sample());
    for (name, t) in [
        ("www.example.com", RecordType::TXT),
        ("example.com", RecordType::MX),
        ("example.com", RecordType::AAAA),
        ("gone.example.com", RecordType::TXT),
        ("nowhere.example", RecordType::A),
        ("broken.example.com", RecordType::TXT),
        ("slow.example.com", RecordType::TXT),
        ("loop1.example.com", RecordType::A),
        ("dangling.example.com", RecordType::A),
    ] {
        dns.query(name, t).await;
    }
    let evidence = dns.evidence();
    let recorded = Snapshot::from_evidence(&evidence);
    let replayed = Snapshot::parse(&recorded.to_json()).unwrap();
    for e in &evidence {
        let original = sample().lookup(&e.key());
        let again = replayed.lookup(&e.key());
        assert_eq!(again.outcome, original.outcome, "{} {}", e.name, e.rtype);
        assert_eq!(again.records, original.records, "{} {}", e.name, e.rtype);
        assert_eq!(
            again.cname_chain, original.cname_chain,
            "{} {}",
            e.name, e.rtype
        );
        assert_eq!(again.ttl, original.ttl, "{} {}", e.name, e.rtype);
    }
    // Queries never asked are not invented.
    assert!(!replayed.contains_name("1.2.0.192.in-addr.arpa"));
}

#[test]
fn from_evidence_rebuilds_records_from_a_json_report() {
    let dns_json = r#"[{"id":0,"name":"example.com","type":"MX","outcome":"answers",
        "answers":["10 mx.example.com"],"ttl":120,"source":"live","elapsed_ms":3.0,"count":1}]"#;
    let evidence: Vec<mailsleuth::dns::DnsEvidence> = serde_json::from_str(dns_json).unwrap();
    let s = Snapshot::from_evidence(&evidence);
    let a = s.lookup(&key("example.com", RecordType::MX));
    assert_eq!(
        a.records,
        vec![Record::Mx {
            preference: 10,
            exchange: "mx.example.com".into()
        }]
    );
    assert_eq!(a.ttl, Some(120));
}

/// The example in the user documentation is a valid snapshot that answers as documented.
#[test]
fn documented_example_parses_and_answers_as_described() {
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    let section = readme
        .find("## DNS snapshots")
        .expect("the DNS snapshots section");
    let doc = &readme[section..];
    let start = doc.find("```json\n").expect("a json example") + "```json\n".len();
    let end = start + doc[start..].find("```").expect("end of the example");
    let s = Snapshot::parse(&doc[start..end]).expect("documented example parses");
    let ask = |name: &str, t: RecordType| s.lookup(&key(name, t));
    assert_eq!(ask("example.com", RecordType::TXT).ttl, Some(3600));
    assert_eq!(
        ask("example.com", RecordType::AAAA).outcome,
        DnsOutcome::NoData
    );
    assert_eq!(
        ask("www.example.com", RecordType::MX).cname_chain,
        vec!["example.com"]
    );
    assert_eq!(
        ask("_spf.example.net", RecordType::TXT).outcome,
        DnsOutcome::ServFail
    );
    assert_eq!(
        ask("old._domainkey.example.com", RecordType::TXT).outcome,
        DnsOutcome::NxDomain
    );
    assert_eq!(
        ask("slow.example.org", RecordType::TXT).outcome,
        DnsOutcome::Timeout
    );
    assert_eq!(
        ask("sel._domainkey.example.com", RecordType::TXT).txt(),
        vec!["v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA..."]
    );
    // The documented error message is the real one.
    let err = Snapshot::parse(r#"{"example.com": {"MX": [{"priority": 10, "exchange": "a.example"}, {"priority": "high", "exchange": "b.example"}]}}"#)
        .unwrap_err()
        .to_string();
    let documented = "at \"example.com\" / MX / record 2: MX priority must be an integer 0..65535, found \"high\"";
    assert!(err.ends_with(documented), "{err}");
    assert!(doc.contains(documented));
}

/// Every sample's snapshot (sample-emails/*.dns.json) is readable, and round-trips.
#[test]
fn sample_snapshots_load_and_round_trip() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no sample-emails/ yet; nothing to check");
        return;
    };
    let mut checked = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.to_string_lossy().ends_with(".dns.json") {
            continue;
        }
        let s = Snapshot::load(&path).unwrap_or_else(|e| panic!("{e}"));
        let again = Snapshot::parse(&s.to_json()).unwrap_or_else(|e| panic!("{e}"));
        for name in s.names() {
            for t in [
                RecordType::TXT,
                RecordType::A,
                RecordType::MX,
                RecordType::PTR,
            ] {
                assert_eq!(
                    again.lookup(&key(name, t)),
                    s.lookup(&key(name, t)),
                    "{} {name} {t}",
                    path.display()
                );
            }
        }
        checked += 1;
    }
    println!("{checked} sample snapshots checked");
}
