//! OpenDMARC's From-domain extraction cases (test_finddomain.c, transcribed in
//! ../shared/conformance/dmarc/opendmarc/from-domain.tsv) run through `headers::from_domain`.
//! We compare the domain only: several cases are not valid RFC 5322 (several mailboxes, a bare
//! `Mail From:` prefix), where `from_domain` also returns an error text — by design.

mod common;

use std::collections::BTreeMap;

use mailsleuth::analysis::headers::{from_domain, split_headers};

/// Undoes the C string escapes the file keeps as written (`\"`, `\\`, `\t`, `\n`, `\r`).
fn c_unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn deviations() -> BTreeMap<String, String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/deviations/from-domain.tsv"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
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

#[test]
fn opendmarc_from_domain_cases() {
    let Some(dir) = common::conformance_dir("dmarc") else {
        return;
    };
    let path = dir.join("opendmarc").join("from-domain.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let deviations = deviations();

    let (mut total, mut passed) = (0, 0);
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((value, expected)) = line.split_once('\t') else {
            panic!("{}:{}: no tab in {line:?}", path.display(), line_no + 1);
        };
        // The case id is its line number in the suite file.
        let id = format!("line{}", line_no + 1);
        total += 1;
        let message = format!("From: {}\r\n\r\n", c_unescape(value));
        let parsed = split_headers(message.as_bytes());
        let got = from_domain(&parsed.headers);
        let got_domain = got.domain.clone().unwrap_or_default();
        let ok = got_domain == expected.trim();
        match (ok, deviations.contains_key(&id)) {
            (true, false) => passed += 1,
            (true, true) => stale.push(id),
            (false, true) => {}
            (false, false) => unexpected.push(format!(
                "{id}\t{value}: expected {expected:?}, got {got_domain:?} (error: {:?})",
                got.error
            )),
        }
    }
    common::report_suite(
        "dmarc/opendmarc/from-domain",
        passed,
        total,
        deviations.len(),
    );
    assert!(total > 0, "no cases read from {}", path.display());
    assert!(
        unexpected.is_empty(),
        "failing cases not in deviations:\n{}",
        unexpected.join("\n")
    );
    assert!(
        stale.is_empty(),
        "deviations that now pass (remove them): {stale:?}"
    );
}
