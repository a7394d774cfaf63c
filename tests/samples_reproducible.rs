//! sample-emails/ is exactly what examples/gen_samples.rs writes, every snapshot loads, and
//! every DKIM signature and ARC chain the scenarios mean to pass verifies with mail-auth against
//! the sample's own snapshot (so the hand-built signing in the generator is checked by an
//! independent verifier, through the project's snapshot responder: no network).

#[path = "../examples/gen_samples.rs"]
#[allow(dead_code)]
mod gen_samples;

use std::collections::BTreeSet;

use mail_auth::{AuthenticatedMessage, DkimResult};
use mailsleuth::dns::Dns;
use mailsleuth::dns::responder::Responder;
use mailsleuth::dns::snapshot::Snapshot;

fn keys_dir() -> std::path::PathBuf {
    gen_samples::default_dir().join("test-keys")
}

#[test]
fn committed_samples_are_byte_identical_to_a_fresh_generation() {
    let dir = gen_samples::default_dir();
    let files = gen_samples::generate(&keys_dir()).expect("generator runs");
    let mut problems = Vec::new();
    for file in &files {
        match std::fs::read(dir.join(&file.name)) {
            Ok(committed) if committed == file.bytes => {}
            Ok(_) => problems.push(format!("{} differs from the generator's output", file.name)),
            Err(e) => problems.push(format!("{} missing: {e}", file.name)),
        }
    }
    // No sample left behind by a renamed or removed scenario.
    let generated: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    for entry in std::fs::read_dir(&dir)
        .expect("sample-emails/ readable")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if (name.ends_with(".eml") || name.ends_with(".dns.json"))
            && !generated.contains(name.as_str())
        {
            problems.push(format!("{name} is not produced by the generator"));
        }
    }
    assert!(
        problems.is_empty(),
        "sample-emails/ is stale; run `cargo run --example gen_samples`:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn generation_is_deterministic() {
    let first = gen_samples::generate(&keys_dir()).expect("generator runs");
    let second = gen_samples::generate(&keys_dir()).expect("generator runs");
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.name, b.name);
        assert!(a.bytes == b.bytes, "{} differs between two runs", a.name);
    }
}

#[test]
fn there_are_at_least_twelve_scenarios_each_with_message_and_snapshot() {
    let dir = gen_samples::default_dir();
    let scenarios = gen_samples::load_scenarios(&keys_dir()).expect("generator runs");
    assert!(scenarios.len() >= 12, "only {} scenarios", scenarios.len());
    for s in &scenarios {
        assert!(
            dir.join(format!("{}.eml", s.name)).is_file(),
            "{}.eml",
            s.name
        );
        let snapshot = dir.join(format!("{}.dns.json", s.name));
        let loaded = Snapshot::load(&snapshot).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            loaded.meta.resolver.as_deref(),
            Some("synthetic (gen_samples)"),
            "{}: _meta.resolver",
            s.name
        );
        assert!(
            loaded.meta.captured_at.is_some(),
            "{}: _meta.captured_at",
            s.name
        );
    }
}

#[test]
fn every_committed_snapshot_loads() {
    let dir = gen_samples::default_dir();
    let mut count = 0;
    for entry in std::fs::read_dir(&dir)
        .expect("sample-emails/ readable")
        .flatten()
    {
        let path = entry.path();
        if path.to_string_lossy().ends_with(".dns.json") {
            Snapshot::load(&path).unwrap_or_else(|e| panic!("{e}"));
            count += 1;
        }
    }
    assert!(count >= 12, "only {count} snapshots");
}

/// What mail-auth must say for a DKIM result word of ours: the signatures meant to verify must
/// pass and DNS timeouts are temperror; "fail" and "permerror" are anything but pass (mail-auth
/// calls a body-hash mismatch or an expiry "neutral").
fn mail_auth_agrees(expected: &str, got: &DkimResult) -> bool {
    match expected {
        "pass" => matches!(got, DkimResult::Pass),
        "temperror" => matches!(got, DkimResult::TempError(_)),
        "fail" | "permerror" => !matches!(got, DkimResult::Pass),
        _ => false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_verify_with_mail_auth_against_each_snapshot() {
    let scenarios = gen_samples::load_scenarios(&keys_dir()).expect("generator runs");
    let mut problems = Vec::new();
    let mut checked = 0;
    for s in &scenarios {
        let raw = s.message.to_bytes();
        // Not strict: accept `l=` signatures (one scenario is about them).
        let Some(message) = AuthenticatedMessage::parse_with_opts(&raw, None, false) else {
            problems.push(format!("{}: mail-auth cannot parse the message", s.name));
            continue;
        };
        let responder = Responder::start(Dns::from_snapshot(s.dns.clone()))
            .await
            .expect("responder on 127.0.0.1");
        let authenticator = responder.authenticator();
        let outputs = authenticator.verify_dkim(&message).await;
        if outputs.len() != s.expect.dkim.len() {
            problems.push(format!(
                "{}: {} DKIM results, expected {}",
                s.name,
                outputs.len(),
                s.expect.dkim.len()
            ));
        }
        for output in &outputs {
            let Some(sig) = output.signature() else {
                problems.push(format!("{}: a DKIM result without its signature", s.name));
                continue;
            };
            let expected = s
                .expect
                .dkim
                .iter()
                .find(|(d, sel, _)| *d == sig.d && *sel == sig.s)
                .map(|(_, _, r)| *r);
            match expected {
                Some(r) if mail_auth_agrees(r, output.result()) => checked += 1,
                Some(r) => problems.push(format!(
                    "{}: d={} s={} expected {r}, mail-auth says {:?}",
                    s.name,
                    sig.d,
                    sig.s,
                    output.result()
                )),
                None => problems.push(format!(
                    "{}: unexpected signature d={} s={}",
                    s.name, sig.d, sig.s
                )),
            }
        }
        let arc = authenticator.verify_arc(&message).await;
        let arc_ok = match s.expect.arc {
            "pass" => matches!(arc.result(), DkimResult::Pass),
            "none" => matches!(arc.result(), DkimResult::None),
            _ => false,
        };
        if arc_ok {
            checked += 1;
        } else {
            problems.push(format!(
                "{}: ARC expected {}, mail-auth says {:?}",
                s.name,
                s.expect.arc,
                arc.result()
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > scenarios.len(), "too few checks ran ({checked})");
}

#[test]
fn every_sample_has_clean_crlf_line_ends() {
    // A stray CR (`\r\r\n`) once slipped in after signed fields; real MTAs never send that,
    // and a terminal paste of such a sample splits its header there.
    for f in gen_samples::generate(&keys_dir()).expect("generate") {
        let bytes = &f.bytes;
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\r' {
                assert_eq!(
                    bytes.get(i + 1),
                    Some(&b'\n'),
                    "{}: bare CR at byte {i}",
                    f.name
                );
            }
            if b == b'\n' && f.name.ends_with(".eml") {
                assert!(
                    i > 0 && bytes[i - 1] == b'\r',
                    "{}: bare LF at byte {i}",
                    f.name
                );
            }
        }
    }
}
