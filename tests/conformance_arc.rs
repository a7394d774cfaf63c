//! ARC validation conformance: the ValiMail arc_test_suite validation file
//! (`arc/arc-draft-validation-tests.yml`, 171 cases). Each case: a DNS snapshot from the
//! scenario's txt-records (every other name NXDOMAIN), `split_headers`, then `check_arc` with
//! mail-auth beside ours (`MailAuth`, from the same answers); our `result` is compared with `cv`
//! (`Pass`, `Fail`, `None`; empty means fail).
//!
//! The messages are fed as stored, with LF line endings (the verifier converts for hashing).
//!
//! `now`: the suite was written in 2017 and its signatures carry t=12345..12349 (1970) and no
//! x=, so any moment after 1970 is after every signing time and nothing expires; we evaluate as
//! of 2017-07-14 (1500000000), when the suite was current.

mod common;

use std::collections::BTreeMap;

use mailsleuth::analysis::AuthResult;
use mailsleuth::analysis::MailAuth;
use mailsleuth::analysis::arc::check_arc;
use mailsleuth::analysis::trail::headers::split_headers;
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::Snapshot;
use serde::Deserialize;

const NOW: i64 = 1_500_000_000;
const BAR: usize = 165;
const CASES: usize = 171;

#[derive(Deserialize)]
struct Scenario {
    #[serde(default)]
    tests: BTreeMap<String, Case>,
    #[serde(default, rename = "txt-records")]
    txt_records: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Case {
    #[serde(default)]
    message: String,
    #[serde(default)]
    cv: Option<String>,
}

fn expected(cv: Option<&str>) -> AuthResult {
    match cv.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("pass") => AuthResult::Pass,
        Some("none") => AuthResult::None,
        // `Fail`, or empty: the suite writes an empty cv for chains that must fail.
        _ => AuthResult::Fail,
    }
}

#[tokio::test]
async fn arc_validation_suite() {
    let Some(dir) = common::conformance_dir("arc") else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("arc-draft-validation-tests.yml"))
        .expect("ARC validation suite");
    let mut scenarios = Vec::new();
    for document in serde_norway::Deserializer::from_str(&text) {
        scenarios.push(Scenario::deserialize(document).expect("scenario"));
    }

    let deviations = common::Deviations::load("arc");
    let mut tally = common::Tally::new("arc", &deviations);
    let mut mail_auth_passed = 0;
    for scenario in &scenarios {
        let mut snapshot = Snapshot::new();
        for (owner, value) in &scenario.txt_records {
            common::insert_txt(&mut snapshot, owner, value);
        }
        for (id, case) in &scenario.tests {
            let want = expected(case.cv.as_deref());
            let dns = Dns::from_snapshot(snapshot.clone());
            let auth = MailAuth::new(&dns);
            let raw = case.message.as_bytes();
            let headers = split_headers(raw).headers;
            let check = check_arc(raw, &headers, &dns, &auth, NOW).await;
            if check.mail_auth_result == Some(want) {
                mail_auth_passed += 1;
            }
            let failure = (check.result != want).then(|| {
                format!(
                    "{} (expected {want}): {}\n{}",
                    check.result,
                    check.reason.as_deref().unwrap_or(""),
                    common::steps_text(&check.steps)
                )
            });
            tally.record(id, failure);
        }
    }
    tally.report();
    common::report_suite(
        "arc (mail-auth 0.13.3, informative)",
        mail_auth_passed,
        tally.total(),
        0,
    );
    assert_eq!(tally.total(), CASES, "the suite should hold {CASES} cases");
    tally.assert_clean();
    let passed = tally.passed();
    assert!(
        passed >= BAR,
        "bar: at least {BAR} of {CASES} pass, got {passed}"
    );
}
