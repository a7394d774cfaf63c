//! Golden reports for every bundled sample: the JSON analysis and the text report, each with the
//! sample's fixed `--now` and its DNS snapshot, compared with reviewed insta snapshots in
//! tests/snapshots/. Timings are zeroed; nothing else is filtered. The verdicts listed in
//! sample-emails/expected.json are also asserted directly, so a changed verdict fails with a
//! readable message even before the snapshot diff.

use std::path::{Path, PathBuf};

use mailsleuth::analysis::{Analysis, Options, analyze};
use mailsleuth::dns::snapshot::Snapshot;
use mailsleuth::dns::{Dns, DnsOutcome};
use mailsleuth::report;
use serde_json::Value;

fn samples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails")
}

struct Sample {
    name: String,
    eml: PathBuf,
    snapshot: PathBuf,
    now: String,
    expect: Value,
}

fn samples() -> Vec<Sample> {
    let text = std::fs::read_to_string(samples_dir().join("expected.json"))
        .expect("sample-emails/expected.json");
    let v: Value = serde_json::from_str(&text).expect("expected.json is JSON");
    v["samples"]
        .as_array()
        .expect("samples[]")
        .iter()
        .map(|s| Sample {
            name: s["name"].as_str().expect("name").to_string(),
            eml: samples_dir().join(s["eml"].as_str().expect("eml")),
            snapshot: samples_dir().join(s["dns_snapshot"].as_str().expect("dns_snapshot")),
            now: s["now"].as_str().expect("now").to_string(),
            expect: s["expect"].clone(),
        })
        .collect()
}

/// The sample's message, its DNS snapshot and the options of its golden run.
fn inputs(sample: &Sample) -> (Vec<u8>, Snapshot, Options) {
    let raw = std::fs::read(&sample.eml).expect("sample readable");
    let snapshot = Snapshot::load(&sample.snapshot).expect("sample snapshot loads");
    let opts = Options {
        source: format!("sample-emails/{}.eml", sample.name),
        now: mailsleuth::input::parse_now(&sample.now).expect("now parses"),
        dns_mode: mailsleuth::analysis::DnsMode::Snapshot,
        ..Default::default()
    };
    (raw, snapshot, opts)
}

fn run(sample: &Sample) -> Analysis {
    let (raw, snapshot, opts) = inputs(sample);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(analyze(&raw, &opts, &Dns::from_snapshot(snapshot)))
}

/// The JSON report with wall-clock timings zeroed (the only non-deterministic field).
fn stable_json(a: &Analysis) -> String {
    let mut v = serde_json::to_value(a).expect("Analysis serializes");
    if let Some(dns) = v["dns"].as_array_mut() {
        for e in dns {
            e["elapsed_ms"] = Value::from(0.0);
            e["started_ms"] = Value::from(0.0);
        }
    }
    serde_json::to_string_pretty(&v).expect("pretty JSON")
}

/// Looks up `a.b.c` in a JSON value.
fn path<'a>(v: &'a Value, dotted: &str) -> &'a Value {
    dotted.split('.').fold(v, |v, k| &v[k])
}

fn check_expectations(sample: &Sample, json: &Value) -> Vec<String> {
    let mut wrong = Vec::new();
    let Some(expect) = sample.expect.as_object() else {
        return vec!["expect is not an object".into()];
    };
    for (key, want) in expect {
        if key == "dkim" {
            let got = json["dkim"].as_array().cloned().unwrap_or_default();
            let want = want.as_array().cloned().unwrap_or_default();
            if got.len() != want.len() {
                wrong.push(format!(
                    "dkim: {} signatures, expected {}",
                    got.len(),
                    want.len()
                ));
                continue;
            }
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                for field in ["domain", "selector", "result"] {
                    if g[field] != w[field] {
                        wrong.push(format!(
                            "dkim[{i}].{field}: got {}, expected {}",
                            g[field], w[field]
                        ));
                    }
                }
            }
            continue;
        }
        let got = path(json, key);
        if got != want {
            wrong.push(format!("{key}: got {got}, expected {want}"));
        }
    }
    wrong
}

#[test]
fn every_sample_gives_the_verdicts_its_readme_promises() {
    let mut failures = Vec::new();
    let all = samples();
    assert!(all.len() >= 12, "at least 12 samples, found {}", all.len());
    for sample in &all {
        let a = run(sample);
        let json = serde_json::to_value(&a).expect("serializes");
        for w in check_expectations(sample, &json) {
            failures.push(format!("{}: {w}", sample.name));
        }
    }
    assert!(
        failures.is_empty(),
        "verdicts differ:\n{}",
        failures.join("\n")
    );
}

/// The same analysis through the live backend (`--dns-server`), the sample's snapshot served by
/// a DNS server on 127.0.0.1, on a multi-threaded runtime: answers now arrive over sockets while
/// prefetches race the checks, and what is still in flight at the end is stopped.
fn run_live(sample: &Sample) -> Analysis {
    use mailsleuth::dns::live::LiveBackend;
    use mailsleuth::dns::responder::Responder;
    let (raw, snapshot, mut opts) = inputs(sample);
    opts.dns_mode = mailsleuth::analysis::DnsMode::Live;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = Responder::start(Dns::from_snapshot(snapshot))
            .await
            .expect("loopback DNS server");
        let backend = LiveBackend::new(Some(server.addr()), std::time::Duration::from_secs(5))
            .expect("live backend");
        analyze(&raw, &opts, &Dns::new(std::sync::Arc::new(backend))).await
    })
}

#[test]
fn every_sample_gives_the_same_verdicts_from_a_live_resolver() {
    let mut failures = Vec::new();
    for sample in &samples() {
        let a = run_live(sample);
        let json = serde_json::to_value(&a).expect("serializes");
        for w in check_expectations(sample, &json) {
            failures.push(format!("{}: {w}", sample.name));
        }
        if let Some(e) = a.dns.iter().find(|e| e.outcome == DnsOutcome::Pending) {
            failures.push(format!("{}: {} left pending", sample.name, e.name));
        }
    }
    assert!(
        failures.is_empty(),
        "verdicts differ:\n{}",
        failures.join("\n")
    );
}

#[test]
fn golden_json_and_text_reports() {
    for sample in samples() {
        let a = run(&sample);
        insta::assert_snapshot!(format!("{}.json", sample.name), stable_json(&a));
        insta::assert_snapshot!(format!("{}.txt", sample.name), report::text(&a));
    }
}

#[test]
fn golden_markdown_report() {
    let sample = samples()
        .into_iter()
        .find(|s| s.name == "spoofed-from-dmarc-reject")
        .expect("the spoofed-From sample exists");
    insta::assert_snapshot!(
        "spoofed-from-dmarc-reject.md",
        report::markdown(&run(&sample))
    );
}

#[test]
fn analysis_is_deterministic_across_runs() {
    // Lookups run concurrently; the evidence order and ids must not depend on which lands first.
    for sample in samples() {
        let first = stable_json(&run(&sample));
        for _ in 0..3 {
            assert_eq!(first, stable_json(&run(&sample)), "{}", sample.name);
        }
    }
}

#[test]
fn json_report_round_trips_into_the_same_analysis() {
    for sample in samples() {
        let a = run(&sample);
        let back: Analysis =
            serde_json::from_str(&report::json(&a)).expect("the JSON report reads back");
        assert_eq!(stable_json(&back), stable_json(&a), "{}", sample.name);
    }
}
