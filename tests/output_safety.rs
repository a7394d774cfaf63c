//! Output safety and option checks, through the binary: the input is never written over, a
//! snapshot that cannot be saved never costs the report, and bad option values are usage errors.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
}

const MESSAGE: &[u8] = b"Return-Path: <alice@example.org>\r\n\
Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n\tby mx.example.net (Postfix) with ESMTPS id 4AB12\r\n\tfor <bob@example.net>; Mon, 2 Nov 2026 10:00:05 +0000\r\n\
From: Alice <alice@example.org>\r\n\
Subject: hello\r\n\
\r\n\
Hi Bob.\r\n";

fn temp(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mailsleuth-out-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary on `phish.eml` in `dir`, with `dns` (how to answer DNS) and `extra` arguments.
fn run_with(dir: &Path, dns: &[&str], extra: &[&str]) -> Output {
    let msg = dir.join("phish.eml");
    if !msg.exists() {
        std::fs::write(&msg, MESSAGE).unwrap();
        std::fs::write(dir.join("snap.json"), b"{}").unwrap();
    }
    bin()
        .arg("report")
        .arg(&msg)
        .args(dns)
        .args(["--now", "2026-11-02T10:05:00Z"])
        .args(extra)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Offline, from an empty snapshot.
fn run(dir: &Path, extra: &[&str]) -> Output {
    run_with(dir, &["--dns-snapshot", "snap.json"], extra)
}

#[test]
fn output_naming_the_input_is_refused_and_the_input_kept() {
    let d = temp("o-input");
    for target in ["phish.eml", "./phish.eml", "snap.json"] {
        let out = run(&d, &["-o", target]);
        assert_eq!(out.status.code(), Some(2), "{target}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("refusing to write over the input"), "{err}");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(std::fs::read(d.join("phish.eml")).unwrap(), MESSAGE);
    assert_eq!(std::fs::read(d.join("snap.json")).unwrap(), b"{}");
}

/// A live run against a closed port on 127.0.0.1: every query fails fast, nothing leaves the
/// machine.
fn run_live(dir: &Path, extra: &[&str]) -> Output {
    run_with(
        dir,
        &["--dns-server", "127.0.0.1:9", "--dns-timeout", "0.2"],
        extra,
    )
}

#[test]
fn save_dns_naming_the_input_is_refused() {
    let d = temp("save-input");
    let out = run_live(&d, &["--save-dns", "phish.eml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to write over the input"));
    assert_eq!(std::fs::read(d.join("phish.eml")).unwrap(), MESSAGE);
}

#[test]
fn a_snapshot_that_cannot_be_saved_keeps_the_report() {
    let d = temp("save-fail");
    // A folder where the file should go: found only at write time (as a full disk would be).
    std::fs::create_dir_all(d.join("answers.json").join("inside")).unwrap();
    let out = run_live(&d, &["--save-dns", "answers.json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("VERDICT"), "{report}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot save DNS answers") && err.contains("answers.json"),
        "{err}"
    );
}

#[test]
fn a_snapshot_of_nothing_but_failures_is_saved_with_a_warning() {
    let d = temp("save-failures");
    let out = run_live(&d, &["--save-dns", "answers.json"]);
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("every one timed out or failed"), "{err}");
    assert!(d.join("answers.json").exists());
}

#[test]
fn report_file_is_written_whole_and_replaced_atomically() {
    let d = temp("o-file");
    std::fs::write(d.join("report.txt"), b"old").unwrap();
    let out = run(&d, &["-o", "report.txt"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(d.join("report.txt")).unwrap();
    assert!(text.contains("VERDICT"));
    // Nothing but the message, the snapshot and the report: no temporary file left.
    assert_eq!(std::fs::read_dir(&d).unwrap().count(), 3);
}

#[test]
fn bad_timeouts_and_dates_are_usage_errors() {
    let d = temp("options");
    for args in [
        ["--dns-timeout", "NaN"],
        ["--dns-timeout", "-1"],
        ["--dns-timeout", "1e9"],
        ["--dns-timeout", "inf"],
        ["--now", "99999999999999"],
        ["--now", "-5"],
    ] {
        let out = run(&d, &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{args:?}"
        );
    }
}

#[test]
fn file_names_on_stderr_are_escaped() {
    let d = temp("names");
    let evil = "evil\x1b[31mname.eml";
    for extra in [vec![], vec!["--dns-snapshot", evil]] {
        let target = if extra.is_empty() { evil } else { "phish.eml" };
        if target == "phish.eml" {
            std::fs::write(d.join(target), MESSAGE).unwrap();
        }
        let out = bin()
            .arg("report")
            .arg(target)
            .args(&extra)
            .current_dir(&d)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!err.contains('\x1b'), "{err:?}");
        assert!(err.contains("evil\\x1b[31mname.eml"), "{err:?}");
    }
}
