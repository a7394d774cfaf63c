//! The `mailsleuth report` command line, driven as a user would: exit codes, formats, and bad
//! input that must give a clear message and the rest of the analysis — never a panic.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

mod common;
use common::TempDir;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
}

/// An empty snapshot: every name is NXDOMAIN, nothing leaves the machine.
const EMPTY_SNAPSHOT: &[u8] = b"{}";

const GOOD_MESSAGE: &[u8] = b"Return-Path: <alice@example.org>\r\n\
Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n\tby mx.example.net (Postfix) with ESMTPS id 4AB12\r\n\tfor <bob@example.net>; Mon, 2 Nov 2026 10:00:05 +0000\r\n\
From: Alice <alice@example.org>\r\n\
To: bob@example.net\r\n\
Subject: hello\r\n\
Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\
Message-ID: <1@example.org>\r\n\
\r\n\
Hi Bob.\r\n";

fn report(dir: &TempDir, message: &Path, format: &str) -> Output {
    let snap = dir.file("snap.json", EMPTY_SNAPSHOT);
    bin()
        .args(["report"])
        .arg(message)
        .args(["--dns-snapshot"])
        .arg(&snap)
        .args(["--now", "2026-11-02T10:05:00Z", "--format", format])
        .output()
        .expect("run mailsleuth")
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn assert_no_panic(out: &Output) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    assert_ne!(
        out.status.code(),
        Some(101),
        "panic exit code; stderr: {stderr}"
    );
}

#[test]
fn json_report_has_the_contract_paths() {
    let dir = TempDir::new("contract");
    let msg = dir.file("m.eml", GOOD_MESSAGE);
    let out = report(&dir, &msg, "json");
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["envelope"]["client_ip"], "192.0.2.10");
    assert_eq!(v["envelope"]["helo"], "mail.example.org");
    assert_eq!(v["envelope"]["mail_from"], "alice@example.org");
    // No SPF record in an empty snapshot: SPF none, and the lookups are evidence.
    assert_eq!(v["spf"]["mail_from"]["result"], "none");
    assert!(v["spf"]["helo"]["result"].is_string());
    assert!(v["dkim"].as_array().is_some_and(|a| a.is_empty()));
    assert_eq!(v["arc"]["result"], "none");
    assert!(v["alignment"]["spf"]["aligned"].is_boolean());
    assert!(v["alignment"]["dkim"]["aligned"].is_boolean());
    assert_eq!(v["dmarc"]["result"], "none");
    assert!(v["recorded"].is_array());
    assert_eq!(v["hops"].as_array().map(|h| h.len()), Some(1));
    let dns = v["dns"].as_array().expect("dns[]");
    let spf_txt = dns
        .iter()
        .find(|e| e["name"] == "example.org" && e["type"] == "TXT")
        .expect("the SPF TXT lookup is logged");
    assert_eq!(spf_txt["outcome"], "nxdomain");
    assert_eq!(spf_txt["source"], "snapshot");
    assert!(spf_txt["answers"].is_array());
    assert!(spf_txt.get("ttl").is_some());
    assert!(v["warnings"].is_array());
    assert!(
        v["spf"]["mail_from"]["steps"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
}

#[test]
fn text_and_markdown_reports_carry_no_ansi_codes() {
    let dir = TempDir::new("ansi");
    // An attacker's Subject with a terminal escape sequence.
    let mut m = GOOD_MESSAGE.to_vec();
    let evil = b"Subject: \x1b]52;c;ZXZpbA==\x07\x1b[31mred\r\n";
    m.splice(0..0, evil.iter().copied());
    let msg = dir.file("m.eml", &m);
    for format in ["text", "markdown", "json"] {
        let out = report(&dir, &msg, format);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "format {format}");
        assert!(
            !out.stdout.contains(&0x1b),
            "{format} report contains a raw ESC byte"
        );
    }
}

#[test]
fn missing_file_is_exit_2_naming_the_file() {
    let out = bin()
        .args([
            "report",
            "/nonexistent/dir/x.eml",
            "--dns-snapshot",
            "/dev/null",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/dir/x.eml"), "{stderr}");
}

#[test]
fn bad_snapshot_is_exit_2_naming_the_snapshot() {
    let dir = TempDir::new("badsnap");
    let msg = dir.file("m.eml", GOOD_MESSAGE);
    let snap = dir.file("broken.json", b"{ not json");
    let out = bin()
        .arg("report")
        .arg(&msg)
        .arg("--dns-snapshot")
        .arg(&snap)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.json"), "{stderr}");
}

#[test]
fn bad_now_is_a_usage_error() {
    let out = bin()
        .args(["report", "-", "--now", "last tuesday"])
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--now"));
}

#[test]
fn stdin_is_read_with_dash() {
    let dir = TempDir::new("stdin");
    let snap = dir.file("snap.json", EMPTY_SNAPSHOT);
    let mut child = bin()
        .args(["report", "-", "--format", "json", "--dns-snapshot"])
        .arg(&snap)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(GOOD_MESSAGE)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["input"]["source"], "-");
    assert_eq!(v["envelope"]["client_ip"], "192.0.2.10");
}

#[test]
fn overrides_replace_the_reconstructed_envelope() {
    let dir = TempDir::new("overrides");
    let msg = dir.file("m.eml", GOOD_MESSAGE);
    let snap = dir.file("snap.json", EMPTY_SNAPSHOT);
    let out = bin()
        .arg("report")
        .arg(&msg)
        .arg("--dns-snapshot")
        .arg(&snap)
        .args([
            "--ip",
            "198.51.100.7",
            "--helo",
            "other.example",
            "--mail-from",
            "",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["envelope"]["client_ip"], "198.51.100.7");
    assert_eq!(v["envelope"]["helo"], "other.example");
    // The null reverse-path: SPF checks postmaster@HELO.
    assert_eq!(v["envelope"]["mail_from"], "");
    assert_eq!(v["envelope"]["spf_mail_from"], "postmaster@other.example");
}

/// Each bad input: a clear message (or a warning in the report) and the rest of the analysis.
fn bad_input(tag: &str, bytes: &[u8]) -> (Output, serde_json::Value) {
    let dir = TempDir::new(tag);
    let msg = dir.file(&format!("{tag}.eml"), bytes);
    let out = report(&dir, &msg, "json");
    assert_no_panic(&out);
    let v = json(&out);
    (out, v)
}

/// Input that is not an email: exit 2, stderr names the file and what it is, no verdict.
fn refused(tag: &str, bytes: &[u8]) -> String {
    let dir = TempDir::new(tag);
    let msg = dir.file(&format!("{tag}.eml"), bytes);
    let out = report(&dir, &msg, "json");
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty(), "no report without a message");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains(&format!("{tag}.eml")),
        "stderr names the file: {stderr}"
    );
    stderr
}

#[test]
fn empty_file_says_so_and_exits_2() {
    assert!(refused("empty", b"").contains("empty"));
}

#[test]
fn file_without_headers_says_so() {
    let stderr = refused(
        "noheaders",
        b"Just some text\nwith no header section at all\n",
    );
    assert!(stderr.contains("no header field"), "{stderr}");
}

#[test]
fn binary_garbage_does_not_panic() {
    let bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    assert!(refused("garbage", &bytes).contains("binary"));
}

#[test]
fn one_megabyte_header_line_is_kept() {
    let mut m = b"X-Long: ".to_vec();
    m.extend(std::iter::repeat_n(b'a', 1 << 20));
    m.extend_from_slice(b"\r\n");
    m.extend_from_slice(GOOD_MESSAGE);
    let (out, v) = bad_input("long", &m);
    assert_eq!(out.status.code(), Some(0));
    let long = v["headers"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["name"] == "X-Long"))
        .expect("the long header is kept");
    assert!(long["value"].as_str().is_some_and(|s| s.len() == 1 << 20));
    // The rest of the analysis is still there.
    assert_eq!(v["envelope"]["client_ip"], "192.0.2.10");
}

#[test]
fn invalid_utf8_header_is_kept_and_flagged() {
    let mut m = b"X-Latin1: caf\xe9 cr\xe8me\r\n".to_vec();
    m.extend_from_slice(GOOD_MESSAGE);
    let (out, v) = bad_input("latin1", &m);
    assert_eq!(out.status.code(), Some(0));
    let h = v["headers"]
        .as_array()
        .and_then(|h| h.iter().find(|h| h["name"] == "X-Latin1"))
        .expect("the 8-bit header is kept");
    assert_eq!(h["invalid_utf8"], true);
    assert_eq!(v["envelope"]["mail_from"], "alice@example.org");
}

#[test]
fn broken_dkim_signature_is_permerror_naming_the_problem() {
    let mut m = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.org; b=!!!notbase64\r\n".to_vec();
    m.extend_from_slice(GOOD_MESSAGE);
    let (out, v) = bad_input("brokendkim", &m);
    assert_eq!(out.status.code(), Some(0));
    let dkim = v["dkim"].as_array().expect("dkim[]");
    assert_eq!(dkim.len(), 1);
    assert_eq!(dkim[0]["result"], "permerror");
    assert!(dkim[0]["reason"].as_str().is_some_and(|r| !r.is_empty()));
    // The other checks still ran.
    assert_eq!(v["envelope"]["client_ip"], "192.0.2.10");
}

#[test]
fn received_without_date_is_flagged_and_the_hop_kept() {
    let m = b"Received: from a.example.org (a.example.org [192.0.2.20]) by mx.example.net\r\n\
From: alice@example.org\r\nSubject: x\r\n\r\nbody\r\n";
    let (out, v) = bad_input("nodate", m);
    assert_eq!(out.status.code(), Some(0));
    let hops = v["hops"].as_array().expect("hops[]");
    assert_eq!(hops.len(), 1);
    assert!(
        hops[0]["anomalies"]
            .as_array()
            .is_some_and(|a| !a.is_empty()),
        "the missing date is an anomaly"
    );
    assert_eq!(v["envelope"]["client_ip"], "192.0.2.20");
}

#[test]
fn live_mode_with_a_silent_server_and_no_certificate_store_ends_in_temperror_evidence_not_a_hang() {
    // A DNS server on 127.0.0.1 that never answers: every query must become timeout evidence and
    // the verdicts temperror, within the DNS timeout — never a hang.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind a silent UDP socket");
    let port = silent.local_addr().expect("addr").port();
    let dir = TempDir::new("silent");
    let msg = dir.file("m.eml", GOOD_MESSAGE);
    let mut child = bin()
        .arg("report")
        .arg(&msg)
        .args(["--dns-server", &format!("127.0.0.1:{port}")])
        .args(["--dns-timeout", "0.5", "--format", "json"])
        .args(["--now", "2026-11-02T10:05:00Z"])
        // Plain DNS needs no certificate store: a machine without one (or with these pointing
        // nowhere) must still resolve. (hickory, with TLS compiled in, reads it by default.)
        .env("SSL_CERT_FILE", "/nonexistent/mailsleuth-no-certs.pem")
        .env("SSL_CERT_DIR", "/nonexistent/mailsleuth-no-certs")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // A hang guard, not a timing assertion: far above what the timeouts allow.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("live mode against a silent server did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["dns_mode"], "live");
    assert_eq!(v["spf"]["mail_from"]["result"], "temperror");
    assert_eq!(v["dmarc"]["result"], "temperror");
    let dns = v["dns"].as_array().expect("dns[]");
    assert!(!dns.is_empty());
    for e in dns {
        assert_eq!(e["outcome"], "timeout", "{e}");
        assert_eq!(e["source"], "live");
    }
    drop(silent);
}
