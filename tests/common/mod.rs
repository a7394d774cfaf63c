//! Shared test helpers: locating ../shared/conformance, the deviations of a suite, pass/fail
//! bookkeeping and reporting pass counts.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use mailsleuth::analysis::step::Step;
use mailsleuth::dns::snapshot::{Snapshot, SnapshotEntry};
use mailsleuth::dns::{Record, RecordType};

/// The conformance folder for one suite (`spf`, `arc`, `dkim`, `dmarc`, `psl`), found at
/// `../shared/conformance` relative to the project root; see [`shared_dir`].
pub fn conformance_dir(suite: &str) -> Option<PathBuf> {
    shared_dir(&format!("conformance/{suite}"))
}

/// A folder of `../shared/` (read at test time, never copied). When it is absent: under CI
/// (`CI=true`) the test fails; elsewhere it returns None after a notice written straight to the
/// stderr handle (the harness does not capture it, so a plain `cargo test` shows the skip), and
/// the caller skips.
pub fn shared_dir(rel: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("shared")
        .join(rel);
    if dir.is_dir() {
        return Some(dir);
    }
    let ci = std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false);
    if ci {
        panic!(
            "../shared/{rel} not found at {} (required under CI=true)",
            dir.display()
        );
    }
    use std::io::Write;
    let _ = std::io::stderr()
        .write_all(format!("\n*** SKIPPING: {} is absent. ***\n\n", dir.display()).as_bytes());
    None
}

/// Prints the pass count line of one suite. Written straight to the stderr handle (not through
/// `eprintln!`, which the test harness captures) so every run shows it.
pub fn report_suite(suite: &str, passed: usize, total: usize, deviations: usize) {
    use std::io::Write;
    let line = format!(
        "conformance {suite}: {passed}/{total} passed ({deviations} listed in deviations)\n"
    );
    let _ = std::io::stderr().write_all(line.as_bytes());
}

/// The known deviations of one suite: `tests/deviations/<name>.tsv`, one case a line
/// (`id<TAB>what we return<TAB>why`; `#` lines are comments). A missing file lists nothing.
pub struct Deviations {
    file: String,
    ids: BTreeMap<String, String>,
}

impl Deviations {
    pub fn load(name: &str) -> Deviations {
        let file = format!("tests/deviations/{name}.tsv");
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(&file);
        let ids = std::fs::read_to_string(path)
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
            .collect();
        Deviations { file, ids }
    }

    pub fn contains(&self, id: &str) -> bool {
        self.ids.contains_key(id)
    }
}

/// Pass/fail bookkeeping of one suite against its deviations: a failing case not listed and a
/// listed case that passes (a stale deviation) both fail the test.
pub struct Tally<'a> {
    suite: &'a str,
    deviations: &'a Deviations,
    total: usize,
    passed: usize,
    listed: usize,
    unexpected: Vec<String>,
    stale: Vec<String>,
}

impl<'a> Tally<'a> {
    pub fn new(suite: &'a str, deviations: &'a Deviations) -> Self {
        Tally {
            suite,
            deviations,
            total: 0,
            passed: 0,
            listed: 0,
            unexpected: Vec::new(),
            stale: Vec::new(),
        }
    }

    /// One case: `failure` is None when it passes, else why it fails.
    pub fn record(&mut self, id: &str, failure: Option<String>) {
        self.total += 1;
        let listed = self.deviations.contains(id);
        self.listed += usize::from(listed);
        match (failure, listed) {
            (None, false) => self.passed += 1,
            (None, true) => self.stale.push(id.to_string()),
            (Some(_), true) => {}
            (Some(why), false) => self.unexpected.push(format!("{id}\t{why}")),
        }
    }

    pub fn total(&self) -> usize {
        self.total
    }

    pub fn passed(&self) -> usize {
        self.passed
    }

    /// Prints the pass count line (`report_suite`).
    pub fn report(&self) {
        report_suite(self.suite, self.passed, self.total, self.listed);
    }

    /// Fails on unlisted failing cases and on stale deviations.
    #[track_caller]
    pub fn assert_clean(&self) {
        assert!(
            self.unexpected.is_empty(),
            "{}: failing cases not in {}:\n{}",
            self.suite,
            self.deviations.file,
            self.unexpected.join("\n")
        );
        assert!(
            self.stale.is_empty(),
            "{}: deviations that now pass (remove them from {}): {:?}",
            self.suite,
            self.deviations.file,
            self.stale
        );
    }

    /// `report` then `assert_clean`.
    #[track_caller]
    pub fn finish(self) {
        self.report();
        self.assert_clean();
    }
}

/// Serves `value` as the one TXT record of `owner`, split into character-strings of at most 255
/// bytes as DNS carries them (the suites' records are ASCII).
pub fn insert_txt(snapshot: &mut Snapshot, owner: &str, value: &str) {
    let strings = value
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8(c.to_vec()).expect("ASCII record"))
        .collect();
    snapshot.insert(
        owner,
        RecordType::TXT,
        SnapshotEntry::Records(vec![Record::Txt { strings }]),
    );
}

/// The steps of a check, one indented line each, for a failing case's message.
pub fn steps_text(steps: &[Step]) -> String {
    let lines: Vec<String> = steps
        .iter()
        .map(|s| format!("    [{:?}] {}: {}", s.outcome, s.title, s.explanation))
        .collect();
    lines.join("\n")
}

/// A scratch folder under the system temp dir, removed when dropped; named after the test
/// binary, the tag, the process and the thread, so parallel tests never share one.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let binary = std::env::current_exe()
            .ok()
            .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_default();
        let p = std::env::temp_dir().join(format!(
            "mailsleuth-{binary}-{tag}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }

    pub fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, bytes).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A sentence with a slot left empty: "mail-auth says " with nothing after it, "()" with no
/// reason in it, "by ?", "enter enter". Returns the offending pattern.
pub fn empty_slot(text: &str) -> Option<&'static str> {
    for line in text.lines() {
        let line = line.trim_end();
        if line.ends_with(" says") || line.ends_with(" says:") {
            return Some("a verb with nothing said");
        }
        for (pattern, why) in [
            ("says .", "says ."),
            ("says ,", "says ,"),
            ("says :", "says :"),
            ("says  ", "says  "),
            (" ()", "empty parentheses"),
            (" by ?", "by ?"),
            ("enter enter", "enter enter"),
            ("none line endings", "none line endings"),
            (". the ", "a sentence starting lower case"),
        ] {
            if line.contains(pattern) {
                return Some(why);
            }
        }
    }
    None
}

/// Three bundled samples with three verdicts (DMARC reject, pass, SPF softfail): a small
/// mailbox for `scan` and the TUI's message list.
pub const MAILBOX_SAMPLES: [&str; 3] = [
    "spoofed-from-dmarc-reject",
    "clean-pass-dual-signed",
    "spf-softfail-unauthorized-ip",
];

/// One DNS snapshot (JSON) answering for every bundled sample named (the first answer to a
/// name wins), for runs over several samples at once (`scan`, the TUI on a mailbox).
pub fn merged_snapshot_json(names: &[&str]) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let mut merged = serde_json::Map::new();
    for name in names {
        let path = dir.join(format!("{name}.dns.json"));
        let text = std::fs::read_to_string(&path).expect("sample snapshot");
        let serde_json::Value::Object(entries) = serde_json::from_str(&text).expect("JSON") else {
            panic!("{} is not a JSON object", path.display());
        };
        for (k, v) in entries {
            if k != "_meta" {
                merged.entry(k).or_insert(v);
            }
        }
    }
    serde_json::Value::Object(merged).to_string()
}

/// A DNS server on 127.0.0.1 answering from `snapshot` (the in-process responder), for a
/// binary run with `--dns-server`: the runtime it runs on, the handle whose evidence logs every
/// question that reached it, and the server (stopped when dropped).
#[allow(dead_code)] // not every test binary starts one
pub fn loopback_server(
    snapshot: Snapshot,
) -> (
    tokio::runtime::Runtime,
    mailsleuth::dns::Dns,
    mailsleuth::dns::responder::Responder,
) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime for the DNS server");
    let upstream = mailsleuth::dns::Dns::from_snapshot(snapshot);
    let responder = rt
        .block_on(mailsleuth::dns::responder::Responder::start(
            upstream.clone(),
        ))
        .expect("a DNS server on 127.0.0.1");
    (rt, upstream, responder)
}
