//! DKIM conformance: the RFC 8463 appendix A message (one ed25519 and one rsa signature, both
//! must pass) and mail-auth's own verification vectors (`dkim/mail-auth/00N.txt`: DNS lines, a
//! blank line, the message; upstream asserts that the last signature of each passes, evaluated
//! at t=1667843664, the moment 005's x= was still valid).
//!
//! Each case runs through exactly what a user's replay takes: a DNS snapshot built from the
//! case's key records (every other name NXDOMAIN), `split_headers`, then `check_dkim` with
//! mail-auth beside ours (`MailAuth`: from the same answers). The messages are fed as stored (LF
//! line endings): converting line endings is the verifier's job, not the test's.

mod common;

use std::path::Path;

use mailsleuth::analysis::MailAuth;
use mailsleuth::analysis::dkim::check_dkim;
use mailsleuth::analysis::trail::headers::split_headers;
use mailsleuth::analysis::{AuthResult, DkimCheck};
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::Snapshot;

/// mail-auth's vectors are verified at this moment upstream (005 carries x=1667930064).
const MAIL_AUTH_NOW: i64 = 1_667_843_664;
/// RFC 8463's signatures carry t=1528637909 and no x=; an hour later is a plausible receipt time.
const RFC8463_NOW: i64 = 1_528_637_909 + 3600;

/// `<owner> <TXT value>` lines (lines starting with `#` are comments) as a snapshot. TXT values
/// longer than 255 bytes are split into several character-strings, as DNS carries them.
fn snapshot_from_lines(lines: &str) -> Snapshot {
    let mut snapshot = Snapshot::new();
    for line in lines.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (owner, value) = line.split_once(' ').expect("`<owner> <TXT value>`");
        common::insert_txt(&mut snapshot, owner, value);
    }
    snapshot
}

async fn run(message: &str, snapshot: Snapshot, now: i64) -> Vec<DkimCheck> {
    let dns = Dns::from_snapshot(snapshot);
    let auth = MailAuth::new(&dns);
    let headers = split_headers(message.as_bytes()).headers;
    check_dkim(message.as_bytes(), &headers, &dns, &auth, now).await
}

fn describe(check: &DkimCheck) -> String {
    format!(
        "{} ({})\n{}",
        check.result,
        check.reason.as_deref().unwrap_or(""),
        common::steps_text(&check.steps)
    )
}

/// (case id, Some(why) when it fails).
async fn rfc8463_cases(dir: &Path) -> Vec<(String, Option<String>)> {
    let dns = std::fs::read_to_string(dir.join("rfc8463/rfc8463-appendix-a2.dns.txt"))
        .expect("RFC 8463 DNS lines");
    let message = std::fs::read_to_string(dir.join("rfc8463/rfc8463-appendix-a3.eml"))
        .expect("RFC 8463 message");
    let checks = run(&message, snapshot_from_lines(&dns), RFC8463_NOW).await;
    assert_eq!(checks.len(), 2, "RFC 8463 A.3 carries two signatures");
    checks
        .iter()
        .map(|c| {
            let id = format!("rfc8463/{}", c.algorithm.as_deref().unwrap_or("unreadable"));
            let failure = (c.result != AuthResult::Pass || c.disagreement).then(|| describe(c));
            (id, failure)
        })
        .collect()
}

async fn mail_auth_cases(dir: &Path) -> Vec<(String, Option<String>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir.join("mail-auth"))
        .expect("mail-auth vectors")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 7 && n.ends_with(".txt") && n.starts_with('0'))
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "six mail-auth vectors");
    let mut cases = Vec::new();
    for path in files {
        let id = format!(
            "mail-auth/{}",
            path.file_stem().and_then(|s| s.to_str()).unwrap_or("?")
        );
        let text = std::fs::read_to_string(&path).expect("vector");
        let (dns, message) = text
            .split_once("\n\n")
            .expect("DNS lines, blank line, message");
        let checks = run(message, snapshot_from_lines(dns), MAIL_AUTH_NOW).await;
        let failure = match checks.last() {
            None => Some("no DKIM-Signature found".to_string()),
            Some(last) if last.result != AuthResult::Pass || last.disagreement => {
                Some(describe(last))
            }
            Some(_) => None,
        };
        // Earlier signatures are not asserted upstream; show how they came out.
        for (n, c) in checks.iter().enumerate() {
            eprintln!(
                "{id} signature {}: {} ({}), mail-auth {:?}",
                n + 1,
                c.result,
                c.reason.as_deref().unwrap_or(""),
                c.mail_auth_result
            );
        }
        cases.push((id, failure));
    }
    cases
}

#[tokio::test]
async fn dkim_suites() {
    let Some(dir) = common::conformance_dir("dkim") else {
        return;
    };
    let deviations = common::Deviations::load("dkim");
    let mut cases = rfc8463_cases(&dir).await;
    cases.extend(mail_auth_cases(&dir).await);

    let mut tally = common::Tally::new("dkim", &deviations);
    for (id, failure) in &cases {
        tally.record(id, failure.clone());
    }
    tally.finish();
    for id in ["rfc8463/ed25519-sha256", "rfc8463/rsa-sha256"] {
        assert!(
            cases.iter().any(|(c, f)| c == id && f.is_none()),
            "{id} must pass (RFC 8463: both signatures verify)"
        );
    }
}
