//! `mailsleuth scan`, driven as a user would: mbox, Maildir, folders, `-`, the three formats,
//! broken inputs, `--shard`, exit codes and Ctrl-C. Every verdict is checked against what
//! `report` says of the same message, never against a constant.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use mailsleuth::analysis::Analysis;
use serde_json::Value;

use common::MAILBOX_SAMPLES as SAMPLES;
const NOW: &str = "2026-11-04T10:06:36Z";

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
}

fn sample(name: &str, ext: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-emails")
        .join(format!("{name}.{ext}"))
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("mailsleuth-scan-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("temp dir");
        TempDir(p)
    }
    fn file(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).expect("folder");
        std::fs::write(&p, bytes).expect("write temp file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One snapshot answering for every sample used (the first answer to a name wins).
fn merged_snapshot(dir: &TempDir) -> PathBuf {
    dir.file(
        "snap.json",
        common::merged_snapshot_json(&SAMPLES).as_bytes(),
    )
}

/// The three samples as one mbox (CRLF, like the messages).
fn mbox(dir: &TempDir) -> PathBuf {
    let mut out = Vec::new();
    for name in SAMPLES {
        if !out.is_empty() {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"From sender@example.com Wed Nov  4 10:05:33 2026\r\n");
        out.extend(std::fs::read(sample(name, "eml")).expect("sample"));
    }
    dir.file("box.mbox", &out)
}

fn scan(snapshot: &Path, args: &[&str], paths: &[&Path]) -> Output {
    bin()
        .arg("scan")
        .args(paths)
        .arg("--dns-snapshot")
        .arg(snapshot)
        .args(["--now", NOW])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run mailsleuth scan")
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// `report --format json` of message `index` of `file`, as the Analysis value.
fn report(snapshot: &Path, file: &Path, index: u64) -> Analysis {
    let out = bin()
        .arg("report")
        .arg(file)
        .arg("--dns-snapshot")
        .arg(snapshot)
        .args(["--now", NOW, "--format", "json", "--message"])
        .arg(index.to_string())
        .output()
        .expect("run mailsleuth report");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("report JSON")
}

/// The analysis with what differs between two runs left out: lookup wall times, and how many
/// times a question was asked, which depends on timing (`count` of `mail.example.org A` in the
/// SPF softfail sample: 4 under `report`, 3 or 4 under `scan` with other analyses running
/// beside it; the answers and every verdict are the same).
fn comparable(mut analysis: Value) -> Value {
    for e in analysis["dns"].as_array_mut().into_iter().flatten() {
        e["elapsed_ms"] = Value::Null;
        e["started_ms"] = Value::Null;
        e["count"] = Value::Null;
    }
    analysis
}

#[test]
fn an_mbox_of_three_is_three_lines_each_the_report_of_its_message() {
    let dir = TempDir::new("mbox");
    let (snap, mbox) = (merged_snapshot(&dir), mbox(&dir));
    let out = scan(&snap, &["--format", "jsonl"], &[&mbox]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = lines(&out);
    assert_eq!(lines.len(), 3);
    let mut verdicts = BTreeSet::new();
    for (i, line) in lines.into_iter().enumerate() {
        let index = i as u64 + 1;
        assert_eq!(line["source"], mbox.display().to_string());
        assert_eq!(line["index"], index);
        let reported = report(&snap, &mbox, index);
        verdicts.insert(reported.summary.verdict.clone());
        let scanned = comparable(line["analysis"].clone());
        assert_eq!(
            scanned,
            comparable(serde_json::to_value(&reported).unwrap())
        );
    }
    assert_eq!(verdicts.len(), 3, "three different messages: {verdicts:?}");
}

#[test]
fn a_maildir_is_its_cur_and_new_messages() {
    let dir = TempDir::new("maildir");
    let snap = merged_snapshot(&dir);
    let eml = std::fs::read(sample(SAMPLES[0], "eml")).unwrap();
    dir.file("Maildir/cur/1730714733.M1P1.host:2,S", &eml);
    dir.file("Maildir/new/1730714734.M2P1.host", &eml);
    dir.file("Maildir/tmp/1730714735.M3P1.host", b"half-delivered");
    dir.file("Maildir/dovecot-uidlist", b"3 V1 N4\n");
    let out = scan(&snap, &["--format", "jsonl"], &[&dir.0.join("Maildir")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sources: Vec<String> = lines(&out)
        .iter()
        .map(|l| {
            assert!(l["analysis"].is_object(), "{l}");
            l["source"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(sources.len(), 2, "{sources:?}");
    assert!(
        sources[0].contains("/cur/") && sources[1].contains("/new/"),
        "{sources:?}"
    );
}

#[test]
fn broken_files_are_one_error_line_each_and_the_rest_is_analysed() {
    let dir = TempDir::new("broken");
    let snap = merged_snapshot(&dir);
    let folder = dir.0.join("reported");
    dir.file(
        "reported/a.eml",
        &std::fs::read(sample(SAMPLES[0], "eml")).unwrap(),
    );
    dir.file("reported/b.eml", b"hello\nthis is not an email\n");
    // An attachment saved without a telling name is read, and said to be a PNG.
    dir.file("reported/c.att", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    // Named as not mail: passed over, and said so on stderr.
    dir.file("reported/notes.md", b"# triage notes\n");
    dir.file("reported/c.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    dir.file(
        "reported/sub/d.eml",
        &std::fs::read(sample(SAMPLES[1], "eml")).unwrap(),
    );
    let out = scan(&snap, &["--format", "jsonl"], &[&folder]);
    assert_eq!(out.status.code(), Some(1), "errors make exit 1");
    let lines = lines(&out);
    assert_eq!(lines.len(), 4);
    let errors: Vec<&Value> = lines.iter().filter(|l| l.get("error").is_some()).collect();
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|e| e["index"].is_null()));
    assert!(
        errors[1]["error"].as_str().unwrap().contains("PNG"),
        "{}",
        errors[1]
    );
    assert!(lines[3]["source"].as_str().unwrap().ends_with("sub/d.eml"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("skipped 2 file(s) under") && stderr.contains("(.md .png; first: "),
        "{stderr}"
    );
    assert!(lines[3]["analysis"]["summary"]["verdict"].is_string());
}

#[test]
fn a_dash_reads_the_list_of_paths_on_stdin() {
    let dir = TempDir::new("stdin");
    let (snap, mbox) = (merged_snapshot(&dir), mbox(&dir));
    let eml = sample(SAMPLES[2], "eml");
    let mut child = bin()
        .args([
            "scan",
            "-",
            "--format",
            "jsonl",
            "--now",
            NOW,
            "--dns-snapshot",
        ])
        .arg(&snap)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    let list = format!("{}\n{}\n", eml.display(), mbox.display());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(list.as_bytes())
        .unwrap();
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let got: Vec<(String, u64)> = lines(&out)
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().into(),
                l["index"].as_u64().unwrap(),
            )
        })
        .collect();
    let m = mbox.display().to_string();
    let expected = [
        (eml.display().to_string(), 1),
        (m.clone(), 1),
        (m.clone(), 2),
        (m, 3),
    ];
    assert_eq!(got, expected);
}

fn keys(out: &Output) -> Vec<(String, Value)> {
    lines(out)
        .iter()
        .map(|l| {
            (
                l["source"].as_str().unwrap().to_string(),
                l["index"].clone(),
            )
        })
        .collect()
}

#[test]
fn two_shards_cover_every_message_exactly_once() {
    let dir = TempDir::new("shard");
    let (snap, mbox) = (merged_snapshot(&dir), mbox(&dir));
    let eml = std::fs::read(sample(SAMPLES[0], "eml")).unwrap();
    for i in 0..8 {
        dir.file(&format!("folder/{i}.eml"), &eml);
    }
    dir.file("folder/broken.eml", b"not an email\n");
    let folder = dir.0.join("folder");
    let paths: [&Path; 2] = [&mbox, &folder];
    let all = keys(&scan(&snap, &["--format", "jsonl"], &paths));
    assert_eq!(all.len(), 12);
    let first = keys(&scan(
        &snap,
        &["--format", "jsonl", "--shard", "0/2"],
        &paths,
    ));
    let second = keys(&scan(
        &snap,
        &["--format", "jsonl", "--shard", "1/2"],
        &paths,
    ));
    assert!(
        !first.is_empty() && !second.is_empty(),
        "{first:?} {second:?}"
    );
    let mut both: Vec<_> = first.iter().chain(&second).cloned().collect();
    both.sort_by(|a, b| (&a.0, a.1.to_string()).cmp(&(&b.0, b.1.to_string())));
    let mut expected = all.clone();
    expected.sort_by(|a, b| (&a.0, a.1.to_string()).cmp(&(&b.0, b.1.to_string())));
    assert_eq!(both, expected, "each message once, in one shard");
    // The same shard twice is the same messages.
    let again = keys(&scan(
        &snap,
        &["--format", "jsonl", "--shard", "0/2"],
        &paths,
    ));
    assert_eq!(first, again);
}

#[test]
fn the_table_is_one_row_per_message_with_the_report_verdict() {
    let dir = TempDir::new("table");
    let (snap, mbox) = (merged_snapshot(&dir), mbox(&dir));
    let out = scan(&snap, &["--format", "table"], &[&mbox]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "a header and three rows:\n{text}");
    assert!(rows[0].starts_with("MESSAGE") && rows[0].ends_with("VERDICT"));
    for (i, row) in rows[1..].iter().enumerate() {
        let index = i as u64 + 1;
        let reported = report(&snap, &mbox, index);
        let label = mailsleuth::scan::verdict_label(&reported);
        assert!(row.contains(&format!("box.mbox#{index} ")), "{row}");
        assert!(row.ends_with(&format!("  {label}")), "{row} / {label}");
    }
}

#[test]
fn the_summary_counts_every_message_by_verdict() {
    let dir = TempDir::new("summary");
    let (snap, mbox) = (merged_snapshot(&dir), mbox(&dir));
    let png = dir.file("x.png", b"\x89PNG\r\n\x1a\n");
    let out = scan(&snap, &["--format", "summary"], &[&mbox, &png]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("x.png") && stderr.contains("PNG"),
        "{stderr}"
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("mailsleuth scan: 3 message(s) analysed, 1 error(s)\n"),
        "{text}"
    );
    let verdicts = text.split("\n\n").nth(1).unwrap();
    let mut expected = std::collections::BTreeMap::new();
    for index in 1..=3 {
        let label = mailsleuth::scan::verdict_label(&report(&snap, &mbox, index));
        *expected.entry(label).or_insert(0usize) += 1;
    }
    for (label, n) in &expected {
        assert!(
            verdicts.contains(&format!("{n:>8}  {label}\n"))
                || verdicts.ends_with(&format!("{n:>8}  {label}")),
            "{verdicts}"
        );
    }
    for section in ["top sending IPs", "top From domains", "top failing checks"] {
        assert!(text.contains(&format!("\n\n{section}\n")), "{text}");
    }
}

#[test]
fn usage_errors_exit_2_before_any_work() {
    let dir = TempDir::new("usage");
    let (snap, mbox) = (merged_snapshot(&dir), mbox(&dir));
    for bad in [["--shard", "2/2"], ["--shard", "1-2"]] {
        let out = scan(&snap, &bad, &[&mbox]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty());
    }
    let missing = dir.0.join("missing.json");
    let out = scan(&missing, &[], &[&mbox]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.json"));
}

#[test]
fn ctrl_c_stops_with_complete_lines_written() {
    let dir = TempDir::new("ctrlc");
    let snap = merged_snapshot(&dir);
    let eml = std::fs::read(sample(SAMPLES[0], "eml")).unwrap();
    let mut many = Vec::new();
    for _ in 0..2000 {
        many.extend_from_slice(b"From sender@example.com Wed Nov  4 10:05:33 2026\r\n");
        many.extend_from_slice(&eml);
        many.extend_from_slice(b"\r\n");
    }
    let mbox = dir.file("many.mbox", &many);
    let mut child = bin()
        .arg("scan")
        .arg(&mbox)
        .args([
            "--format",
            "jsonl",
            "--jobs",
            "1",
            "--now",
            NOW,
            "--dns-snapshot",
        ])
        .arg(&snap)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("rest of stdout");
    let code = child.wait().expect("wait").code();
    assert_eq!(code, Some(130), "interrupted");
    let all: Vec<&str> = std::iter::once(first.trim_end())
        .chain(rest.lines())
        .collect();
    assert!(all.len() < 2000, "stopped early: {} lines", all.len());
    // Complete lines in input order; a message abandoned in flight may leave a gap before the
    // ones that had finished after it.
    let mut last = 0;
    for (i, line) in all.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i}: {e}"));
        let index = v["index"].as_u64().expect("an index");
        assert!(index > last, "in order: {index} after {last}");
        last = index;
    }
}

/// Live DNS from a resolver on 127.0.0.1 that serves the merged snapshot (300 s TTLs) and logs
/// every question that reaches it.
#[test]
fn live_dns_is_one_cache_for_the_run_and_save_dns_replays_it() {
    use mailsleuth::dns::snapshot::Snapshot;
    let dir = TempDir::new("live");
    let snap = merged_snapshot(&dir);
    let mut text: Value = serde_json::from_slice(&std::fs::read(&snap).unwrap()).unwrap();
    text["_meta"] = serde_json::json!({ "default_ttl": 300 });
    let snapshot = Snapshot::parse(&text.to_string()).expect("snapshot");
    let (_rt, upstream, responder) = common::loopback_server(snapshot);
    let eml = std::fs::read(sample(SAMPLES[1], "eml")).unwrap();
    for i in 0..6 {
        dir.file(&format!("same/{i}.eml"), &eml);
    }
    let folder = dir.0.join("same");
    let saved = dir.0.join("saved.json");
    let live = bin()
        .arg("scan")
        .arg(&folder)
        .args(["--format", "jsonl", "--now", NOW, "--dns-server"])
        .arg(responder.addr().to_string())
        .arg("--save-dns")
        .arg(&saved)
        .output()
        .expect("scan");
    assert_eq!(
        live.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&live.stderr)
    );
    let evidence = upstream.evidence();
    assert!(!evidence.is_empty());
    for e in &evidence {
        assert_eq!(
            e.count, 1,
            "{} {} reached the resolver {} times",
            e.name, e.rtype, e.count
        );
    }
    // Every message still shows every question it asked.
    let live_lines = lines(&live);
    assert_eq!(live_lines.len(), 6);
    for l in &live_lines {
        assert_eq!(
            l["analysis"]["dns"].as_array().unwrap().len(),
            evidence.len()
        );
    }
    // The saved snapshot replays the run.
    let replay = scan(&saved, &["--format", "jsonl"], &[&folder]);
    assert_eq!(replay.status.code(), Some(0));
    for (a, b) in live_lines.iter().zip(lines(&replay)) {
        let verdict = |l: &Value| l["analysis"]["summary"]["verdict"].clone();
        assert_eq!(verdict(a), verdict(&b));
    }
}
