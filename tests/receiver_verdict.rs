//! The receiver's verdict end to end: `analyze` on a message as Outlook.com delivers a phish
//! (DNS from an empty snapshot: no re-verification is possible, the receiver's record is what is
//! known), the same headers planted among a sender's hops, and a user `receivers.toml` read by
//! the command line.

use std::path::PathBuf;
use std::process::Command;

use mailsleuth::analysis::receiver::{ReceiverTable, Receivers};
use mailsleuth::analysis::{Analysis, DnsMode, Options, analyze};
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::Snapshot;
use mailsleuth::report;

mod common;

/// Outlook.com's layout (documentation addresses, Microsoft's real host names): its internal hops
/// and Authentication-Results on top, the sender's headers, and Exchange's own verdict headers at
/// the very bottom.
const OUTLOOK_PHISH: &str = include_str!("fixtures/outlook-com-phish.eml");

/// The same Microsoft verdict headers carried by a message that mx.example.net (Postfix)
/// received: they sit among the sender's headers, no Exchange marker, no Microsoft hop.
const PLANTED: &str = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com
Received: from mail.example.org (mail.example.org [203.0.113.45])
\tby mx.example.net (Postfix) with ESMTPS id 4QTm7k1Zbdz2xFh
\tfor <bob@example.net>; Wed, 4 Nov 2026 10:05:36 +0000
Authentication-Results: compauth=pass reason=100
X-Forefront-Antispam-Report: CIP:203.0.113.45;SCL:-1;SFV:SKN;IPV:CAL;DIR:INB;
X-Microsoft-Antispam-Mailbox-Delivery: dest:I;
From: Telekom Rechnung <rechnung@example.com>
To: bob@example.net
Subject: Ihre Rechnung
Date: Wed, 4 Nov 2026 10:05:30 +0000
Message-ID: <8d1d@mail.example.org>

Bitte zahlen Sie.
";

fn crlf(text: &str) -> Vec<u8> {
    text.replace('\n', "\r\n").into_bytes()
}

fn run(text: &str, receivers: Receivers) -> Analysis {
    let opts = Options {
        source: "test".into(),
        now: 1_793_786_400, // 2026-11-04T10:00:00Z
        dns_mode: DnsMode::Snapshot,
        receivers,
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(analyze(
        &crlf(text),
        &opts,
        &Dns::from_snapshot(Snapshot::new()),
    ))
}

#[test]
fn outlook_phish_summary_states_compauth_scl_and_the_junk_folder() {
    let a = run(OUTLOOK_PHISH, Receivers::default());
    let v = a.receiver_verdict.as_ref().expect("receiver verdict");
    assert_eq!(v.receiver_label, "Outlook.com");
    let line = v.line.as_deref().expect("a line from trusted items");
    assert!(
        line.starts_with("Outlook.com decided: compauth=fail (001: "),
        "{line}"
    );
    assert!(line.contains("SCL 9"), "{line}");
    assert!(line.ends_with("delivered to Junk"), "{line}");
    assert!(
        a.summary.findings.iter().any(|f| f == line),
        "{:#?}",
        a.summary.findings
    );
    let text = report::text(&a);
    assert!(text.contains("RECEIVER'S VERDICT"), "{text}");
    assert!(text.contains(line), "{text}");
    let md = report::markdown(&a);
    assert!(md.contains("## Receiver's verdict"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&report::json(&a)).expect("json");
    assert_eq!(json["receiver_verdict"]["line"], line);
    assert_eq!(json["receiver_verdict"]["items"][0]["trusted"], true);
}

#[test]
fn the_same_headers_among_the_senders_hops_are_untrusted() {
    let a = run(PLANTED, Receivers::default());
    let v = a.receiver_verdict.as_ref().expect("receiver verdict");
    assert!(!v.items.is_empty());
    for item in &v.items {
        assert!(!item.trusted, "{item:#?}");
        assert!(
            item.trust_reason.starts_with(
                "could have come from the sender: the receiving hop is mx.example.net"
            ),
            "{}",
            item.trust_reason
        );
    }
    assert_eq!(v.line, None);
    assert!(
        !a.summary.findings.iter().any(|f| f.contains("decided:")),
        "{:#?}",
        a.summary.findings
    );
}

#[test]
fn a_user_table_adds_a_vendor_in_analyze() {
    let table = ReceiverTable::with_user_file(
        "[vendor.acme]\nlabel = \"Acme Filter\"\nline = [\"verdict\"]\n\
         [vendor.acme.header.\"X-Acme-Verdict\"]\nformat = \"value\"\nname = \"verdict\"\n",
    )
    .expect("user table");
    let text = PLANTED.replace("From: Telekom", "X-Acme-Verdict: quarantine\nFrom: Telekom");
    // Below the receiver's Received, so planted: listed, untrusted.
    let a = run(&text, Receivers::new(table.clone()));
    let v = a.receiver_verdict.expect("verdict");
    assert!(
        v.items
            .iter()
            .any(|i| i.vendor == "Acme Filter" && !i.trusted)
    );
    // Above it, the receiver's.
    let text = format!("X-Acme-Verdict: quarantine\n{PLANTED}");
    let a = run(&text, Receivers::new(table));
    let line = a.receiver_verdict.and_then(|v| v.line).expect("line");
    assert_eq!(line, "Acme Filter decided: verdict quarantine");
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn the_command_line_reads_the_users_receivers_toml() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("mailsleuth-receivers-{}", std::process::id())));
    let config = dir.0.join("config").join("mailsleuth");
    std::fs::create_dir_all(&config).expect("config dir");
    std::fs::write(
        config.join("receivers.toml"),
        "[vendor.acme]\nlabel = \"Acme Filter\"\nline = [\"verdict\"]\n\
         [vendor.acme.header.\"X-Acme-Verdict\"]\nformat = \"value\"\nname = \"verdict\"\n",
    )
    .expect("user file");
    let eml = dir.0.join("m.eml");
    std::fs::write(&eml, crlf(&format!("X-Acme-Verdict: junk\n{PLANTED}"))).expect("eml");
    let snap = dir.0.join("snap.json");
    std::fs::write(&snap, "{}").expect("snapshot");
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .env("XDG_CONFIG_HOME", dir.0.join("config"))
        .arg("report")
        .arg(&eml)
        .arg("--dns-snapshot")
        .arg(&snap)
        .args(["--now", "2026-11-04T10:10:00Z", "--format", "json"])
        .output()
        .expect("run mailsleuth");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["receiver_verdict"]["line"],
        "Acme Filter decided: verdict junk"
    );
}

/// Real mail from `../shared/realworld/` (skipped, saying so, when the folder is absent).
fn realworld(path: &str) -> Option<Vec<u8>> {
    let p = common::shared_dir("realworld")?.join(path);
    Some(std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
}

#[test]
fn realworld_spamassassin_report_without_a_received_line_is_listed_untrusted() {
    // rspamd's fws_fp.eml: an Exim/cPanel `X-Spam_report` and no Received line at all, so
    // nothing shows who wrote it. The report is cut by a blank line (rspamd's folding-whitespace
    // test), which ends the header block: its test lines are body, not header.
    let Some(raw) = realworld("rspamd/fws_fp.eml") else {
        return;
    };
    let text = String::from_utf8_lossy(&raw).into_owned();
    let a = run(&text.replace("\r\n", "\n"), Receivers::default());
    let v = a.receiver_verdict.expect("a verdict");
    assert_eq!(v.items.len(), 1, "{v:#?}");
    let report = &v.items[0];
    assert_eq!(report.header_name, "X-Spam_report");
    assert!(!report.trusted);
    assert!(
        report
            .trust_reason
            .starts_with("untrusted: no receiving hop")
    );
    assert!(report.fields.is_empty(), "{report:#?}");
    assert_eq!(v.line, None);
}
