//! The Public Suffix List's own tests (publicsuffix/list `tests/test_psl.txt`, in
//! ../shared/conformance/psl) run through `align::org_domain_psl`, the RFC 7489 organizational
//! domain. Every case must pass.
//!
//! Conventions of the file: `checkPublicSuffix(input, expected)` where `null` means "no
//! registrable domain"; commented-out calls are not cases. `org_domain_psl` answers in A-labels
//! (the form DNS and the PSL compare), so a Unicode expectation is converted to A-labels before
//! comparing. A `null` input is an absent domain: it must give no organizational domain.

mod common;

use mailsleuth::analysis::dmarc::{normalize_domain, org_domain_psl};

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
    let deviations = common::Deviations::load("psl");
    let mut tally = common::Tally::new("psl", &deviations);
    for (line_no, line) in text.lines().enumerate() {
        let Some((input, expected)) = parse_call(line) else {
            continue;
        };
        let id = format!("line{}", line_no + 1);
        let got = input.as_deref().and_then(org_domain_psl);
        let want = expected.as_deref().map(|e| {
            normalize_domain(e).unwrap_or_else(|| panic!("{id}: expectation {e:?} is not a domain"))
        });
        let failure = (got != want).then(|| format!("{input:?} → {got:?}, expected {want:?}"));
        tally.record(&id, failure);
    }
    tally.report();
    assert_eq!(tally.total(), 78, "test_psl.txt should hold 78 checks");
    tally.assert_clean();
}
