//! Shared test helpers: locating ../shared/conformance and reporting pass counts.
#![allow(dead_code)]

use std::path::PathBuf;

/// The conformance folder for one suite (`spf`, `arc`, `dkim`, `dmarc`, `psl`), found at
/// `../shared/conformance` relative to the project root. When it is absent: under CI (`CI=true`)
/// the test fails; elsewhere it returns None after a loud message, and the caller skips.
pub fn conformance_dir(suite: &str) -> Option<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("..").join("shared").join("conformance").join(suite);
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false);
    if ci {
        panic!(
            "conformance suite `{suite}` not found at {} (required under CI=true)",
            dir.display()
        );
    }
    eprintln!(
        "\n*** SKIPPING conformance suite `{suite}`: {} is absent. ***\n",
        dir.display()
    );
    None
}

/// Prints the pass count line of one suite. Written straight to the stderr handle (not through
/// `eprintln!`, which the test harness captures) so every run shows it.
pub fn report_suite(suite: &str, passed: usize, total: usize, deviations: usize) {
    use std::io::Write;
    let line =
        format!("conformance {suite}: {passed}/{total} passed ({deviations} listed in deviations)\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
}
