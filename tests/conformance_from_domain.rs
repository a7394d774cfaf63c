//! OpenDMARC's From-domain extraction cases (test_finddomain.c, transcribed in
//! ../shared/conformance/dmarc/opendmarc/from-domain.tsv) run through `headers::from_domain`.
//! We compare the domain only: several cases are not valid RFC 5322 (several mailboxes, a bare
//! `Mail From:` prefix), where `from_domain` also returns an error text — by design.

mod common;

use mailsleuth::analysis::trail::headers::{from_domain, split_headers};

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

#[test]
fn opendmarc_from_domain_cases() {
    let Some(dir) = common::conformance_dir("dmarc") else {
        return;
    };
    let path = dir.join("opendmarc").join("from-domain.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let deviations = common::Deviations::load("from-domain");
    let mut tally = common::Tally::new("dmarc/opendmarc/from-domain", &deviations);
    for (line_no, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let Some((value, expected)) = line.split_once('\t') else {
            panic!("{}:{}: no tab in {line:?}", path.display(), line_no + 1);
        };
        // The case id is its line number in the suite file.
        let id = format!("line{}", line_no + 1);
        let message = format!("From: {}\r\n\r\n", c_unescape(value));
        let parsed = split_headers(message.as_bytes());
        let got = from_domain(&parsed.headers);
        let got_domain = got.domain.clone().unwrap_or_default();
        let failure = (got_domain != expected.trim()).then(|| {
            format!(
                "{value}: expected {expected:?}, got {got_domain:?} (error: {:?})",
                got.error
            )
        });
        tally.record(&id, failure);
    }
    tally.report();
    assert!(tally.total() > 0, "no cases read from {}", path.display());
    tally.assert_clean();
}
