//! The Public Suffix List's own tests (publicsuffix/list `tests/test_psl.txt`, in
//! ../shared/conformance/psl) run through `align::org_domain_psl`, the RFC 7489 organizational
//! domain. Every case must pass.
//!
//! Conventions of the file: `checkPublicSuffix(input, expected)` where `null` means "no
//! registrable domain"; commented-out calls are not cases. `org_domain_psl` answers in A-labels
//! (the form DNS and the PSL compare), so a Unicode expectation is converted to A-labels before
//! comparing. A `null` input is an absent domain: it must give no organizational domain.

mod common;

use std::collections::BTreeMap;

use mailsleuth::analysis::align::{normalize_domain, org_domain_psl};

fn deviations() -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/deviations/psl.tsv");
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut cols = l.split('\t');
            Some((
                cols.next()?.to_string(),
                cols.next().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// `'text'` → Some(text), `null` → None.
fn js_arg(arg: &str) -> Option<String> {
    let arg = arg.trim();
    if arg == "null" {
        return None;
    }
    Some(arg.trim_matches('\'').to_string())
}

/// The two arguments of a `checkPublicSuffix(a, b);` line.
fn parse_call(line: &str) -> Option<(Option<String>, Option<String>)> {
    let inner = line
        .trim()
        .strip_prefix("checkPublicSuffix(")?
        .strip_suffix(");")?;
    let (a, b) = inner.split_once(',')?;
    Some((js_arg(a), js_arg(b)))
}

#[test]
fn psl_test_cases_all_pass() {
    let Some(dir) = common::conformance_dir("psl") else {
        return;
    };
    let path = dir.join("test_psl.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let deviations = deviations();
    let (mut total, mut passed) = (0, 0);
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        let Some((input, expected)) = parse_call(line) else {
            continue;
        };
        let id = format!("line{}", line_no + 1);
        total += 1;
        let got = input.as_deref().and_then(org_domain_psl);
        let want = expected.as_deref().map(|e| {
            normalize_domain(e).unwrap_or_else(|| panic!("{id}: expectation {e:?} is not a domain"))
        });
        let ok = got == want;
        match (ok, deviations.contains_key(&id)) {
            (true, false) => passed += 1,
            (true, true) => stale.push(id),
            (false, true) => {}
            (false, false) => {
                unexpected.push(format!("{id}: {input:?} → {got:?}, expected {want:?}"))
            }
        }
    }
    common::report_suite("psl", passed, total, deviations.len());
    assert_eq!(total, 78, "test_psl.txt should hold 78 checks");
    assert!(
        unexpected.is_empty(),
        "failing PSL cases:\n{}",
        unexpected.join("\n")
    );
    assert!(stale.is_empty(), "deviations that now pass: {stale:?}");
}
