//! Every form a message comes in, driven through `mailsleuth report` as a user would: headers
//! only, a webmail page copied whole, CR-only and doubled line breaks, an mbox of several
//! messages, files that are not email at all, and RFC 2047 encoded display names.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::TempDir;

use serde_json::Value;

const SAMPLE: &str = "clean-pass-dual-signed";
/// The sample's `--now` (sample-emails/README.md).
const SAMPLE_NOW: &str = "2026-10-06T12:03:54Z";

fn sample(ext: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("sample-emails/{SAMPLE}.{ext}"))
}

fn sample_bytes() -> Vec<u8> {
    let raw = std::fs::read(sample("eml")).expect("sample readable");
    assert!(raw.windows(2).any(|w| w == b"\r\n"), "the sample is CRLF");
    raw
}

fn report(message: &Path, format: &str, extra: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("report")
        .arg(message)
        .arg("--dns-snapshot")
        .arg(sample("dns.json"))
        .args(["--now", SAMPLE_NOW, "--format", format])
        .args(extra)
        .output()
        .expect("run mailsleuth");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "panicked: {stderr}");
    out
}

fn json(message: &Path, extra: &[&str]) -> Value {
    let out = report(message, "json", extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn codes(v: &Value) -> Vec<String> {
    v["warnings"]
        .as_array()
        .expect("warnings[]")
        .iter()
        .map(|w| w["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// (name, value) of every header, and (d, s, result) of every DKIM signature.
type Digest = (Vec<(String, String)>, Vec<(String, String, String)>);

fn digest(v: &Value) -> Digest {
    let headers = v["headers"]
        .as_array()
        .expect("headers[]")
        .iter()
        .map(|h| {
            (
                h["name"].as_str().unwrap_or("").to_string(),
                h["value"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let dkim = v["dkim"]
        .as_array()
        .expect("dkim[]")
        .iter()
        .map(|d| {
            (
                d["domain"].as_str().unwrap_or("").to_string(),
                d["selector"].as_str().unwrap_or("").to_string(),
                d["result"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    (headers, dkim)
}

fn header_section(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header section");
    &raw[..end + 2]
}

#[test]
fn headers_only_verifies_header_signatures_and_says_no_body() {
    let dir = TempDir::new("headers-only");
    let msg = dir.file("h.eml", header_section(&sample_bytes()));
    let v = json(&msg, &[]);
    assert_eq!(v["input"]["headers_only"], true);
    let dkim = v["dkim"].as_array().expect("dkim[]");
    assert_eq!(dkim.len(), 2);
    for d in dkim {
        assert_ne!(d["result"], "fail", "never a body-hash fail: {d}");
        assert_eq!(d["result"], "neutral");
        assert_eq!(d["header_signature_valid"], true);
        assert!(d["body_hash_matches"].is_null());
        assert!(d["reason"].as_str().unwrap().contains("headers only"));
        let body_step = d["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["title"] == "Body hash")
            .expect("a body hash step");
        let text = body_step.to_string();
        assert!(text.contains("Cannot be checked: no body"), "{text}");
        assert!(!text.contains("was changed"), "{text}");
        assert_eq!(
            d["disagreement"], false,
            "mail-auth's empty-body hash is explained"
        );
    }
    let verdict = v["summary"]["verdict"].as_str().unwrap();
    assert!(verdict.contains("headers only"), "{verdict}");
    assert!(codes(&v).contains(&"no-body".to_string()));
}

#[test]
fn an_empty_body_after_the_blank_line_is_a_body_not_headers_only() {
    let dir = TempDir::new("empty-body");
    let mut raw = header_section(&sample_bytes()).to_vec();
    raw.extend_from_slice(b"\r\n");
    let v = json(&dir.file("e.eml", &raw), &[]);
    assert!(v["input"].get("headers_only").is_none());
    // The signed body was not empty: its hash is checked, and does not match.
    for d in v["dkim"].as_array().unwrap() {
        assert_eq!(d["body_hash_matches"], false);
        assert_eq!(d["result"], "fail");
    }
}

/// Gmail's "Show original" page, copied whole: a summary box that looks partly like header
/// fields (From:/To:/Subject:/SPF:), then the source.
const GMAIL_PAGE: &str = "Original message\n\nMessage ID\t<x@example.com>\nCreated at:\tMon, 5 Oct \
2026 12:00 (Delivered after 2 seconds)\nFrom:\tAlice <alice.martin@example.com>\nTo:\t\
bob@example.net\nSubject:\tHello\nSPF:\tPASS with IP 2001:db8:1::25 Learn more\nDKIM:\t'PASS' \
with domain example.com Learn more\nDMARC:\t'PASS' Learn more\n\nDownload Original\tCopy to \
clipboard\t\n\n";

#[test]
fn webmail_page_text_above_the_message_is_skipped_and_reported() {
    let dir = TempDir::new("webmail");
    let original = json(&sample("eml"), &[]);
    let mut raw = GMAIL_PAGE.replace('\n', "\r\n").into_bytes();
    let prefix_len = raw.len();
    raw.extend(sample_bytes());
    let v = json(&dir.file("page.eml", &raw), &[]);
    assert_eq!(digest(&v), digest(&original));
    let skipped = &v["input"]["skipped"];
    assert_eq!(skipped["bytes"], prefix_len);
    assert_eq!(skipped["lines"], GMAIL_PAGE.matches('\n').count());
    assert_eq!(skipped["first_line"], "Original message");
    let w = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "skipped-prefix")
        .expect("a skipped-prefix warning");
    let text = w["message"].as_str().unwrap();
    assert!(
        text.contains(&format!("{prefix_len} bytes")) && text.contains("Original message"),
        "{text}"
    );
}

#[test]
fn a_normal_message_is_never_cut_at_its_first_header() {
    let v = json(&sample("eml"), &[]);
    assert!(v["input"].get("skipped").is_none());
    assert!(!codes(&v).contains(&"skipped-prefix".to_string()));
    assert_eq!(v["headers"][0]["offset"], 0);
}

#[test]
fn cr_only_and_doubled_pastes_read_like_the_crlf_original() {
    let dir = TempDir::new("line-ends");
    let raw = sample_bytes();
    let original = json(&sample("eml"), &[]);
    let (_, dkim) = digest(&original);
    assert!(dkim.iter().all(|(_, _, r)| r == "pass"), "{dkim:?}");
    let crlf = |with: &[u8]| -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = &raw[..];
        while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
            out.extend_from_slice(&rest[..p]);
            out.extend_from_slice(with);
            rest = &rest[p + 2..];
        }
        out.extend_from_slice(rest);
        out
    };
    for (name, bytes, change) in [
        ("cr-only", crlf(b"\r"), "line-endings"),
        ("doubled-lf", crlf(b"\n\n"), "doubled-line-breaks"),
        ("doubled-crlf", crlf(b"\r\n\r\n"), "doubled-line-breaks"),
        ("cr-pairs", crlf(b"\r\r"), "doubled-line-breaks"),
    ] {
        let v = json(&dir.file(&format!("{name}.eml"), &bytes), &[]);
        assert_eq!(digest(&v), digest(&original), "{name}");
        let changes: Vec<&str> = v["input"]["changes"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: changes recorded"))
            .iter()
            .filter_map(|c| c["code"].as_str())
            .collect();
        assert!(changes.contains(&change), "{name}: {changes:?}");
        assert!(codes(&v).contains(&format!("input-{change}")), "{name}");
    }
    // Mixed ends: noted, and the same reading.
    let mut mixed = raw.clone();
    let first_crlf = mixed.windows(2).position(|w| w == b"\r\n").unwrap();
    mixed.remove(first_crlf);
    let v = json(&dir.file("mixed.eml", &mixed), &[]);
    assert_eq!(digest(&v), digest(&original));
    assert!(codes(&v).contains(&"input-line-endings".to_string()));
}

fn mbox_message(n: u32) -> String {
    format!(
        "From: Sender {n} <s{n}@example.org>\nTo: bob@example.net\nSubject: message number \
         {n}\nDate: Mon, 2 Nov 2026 10:0{n}:00 +0000\nMessage-ID: <{n}@example.org>\n\nBody of \
         message {n}.\nFrom here on, a line the mbox quotes.\n"
    )
}

fn three_mbox() -> Vec<u8> {
    (1..=3)
        .map(|n| {
            format!(
                "From s{n}@example.org Mon Nov  2 10:0{n}:00 2026\n{}\n",
                mbox_message(n).replace("\nFrom here", "\n>From here")
            )
        })
        .collect::<String>()
        .into_bytes()
}

fn body_of(v: &Value, raw: &str) -> String {
    let offset = v["input"]["body_offset"].as_u64().expect("a body") as usize;
    raw[offset..].to_string()
}

#[test]
fn mbox_message_2_is_the_second_and_nothing_is_glued() {
    let dir = TempDir::new("mbox");
    let path = dir.file("three.mbox", &three_mbox());
    let v = json(&path, &["--message", "2"]);
    assert_eq!(v["input"]["mbox"]["number"], 2);
    assert_eq!(v["input"]["mbox"]["count"], 3);
    let subject = v["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == "Subject")
        .unwrap();
    assert_eq!(subject["value"], "message number 2");
    // The body is the second message's, unquoted, and only that.
    let unquoted = mbox_message(2);
    assert_eq!(v["input"]["size_bytes"], unquoted.len());
    assert_eq!(
        body_of(&v, &unquoted),
        "Body of message 2.\nFrom here on, a line the mbox quotes.\n"
    );
    let out = report(&path, "text", &["--message", "2"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("message 2 of 3"), "{text}");
    assert!(!text.contains("message number 1") && !text.contains("message number 3"));
}

#[test]
fn mbox_default_is_the_first_and_says_there_are_three() {
    let dir = TempDir::new("mbox-default");
    let path = dir.file("three.mbox", &three_mbox());
    let out = report(&path, "json", &[]);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("3 messages") && stderr.contains("--message"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["input"]["mbox"]["number"], 1);
    let w = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "several-messages")
        .expect("the report says there are several");
    assert!(w["message"].as_str().unwrap().contains("3 messages"));
    // The first message's body ends where the second message's separator began.
    let first = mbox_message(1);
    assert_eq!(v["input"]["size_bytes"], first.len());
    // Out of range: exit 2, naming the count.
    let out = report(&path, "json", &["--message", "4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("holds 3 message"));
}

fn assert_refused(name: &str, bytes: &[u8], says: &str) {
    let dir = TempDir::new(name);
    let path = dir.file(name, bytes);
    for format in ["text", "json", "markdown"] {
        let out = report(&path, format, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} {format}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{name} {format}: no verdict on stdout"
        );
        assert!(stderr.contains(name), "{name}: names the file: {stderr}");
        assert!(stderr.contains(says), "{name}: {stderr}");
    }
}

#[test]
fn a_png_is_refused_naming_what_it_is() {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend(std::iter::repeat_n(0u8, 200));
    assert_refused("picture.png", &png, "PNG image");
}

#[test]
fn an_empty_file_is_refused() {
    assert_refused("empty.eml", b"", "empty");
    assert_refused("blank.eml", b"\n\r\n  \n", "blank");
}

#[test]
fn an_outlook_msg_is_refused_with_how_to_get_the_source() {
    let mut msg = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    msg.extend(std::iter::repeat_n(0u8, 504));
    assert_refused("mail.msg", &msg, "Outlook .msg");
    assert_refused("mail.msg", &msg, "Internet headers");
    assert_refused("mail.msg", &msg, "msgconvert");
}

#[test]
fn pdf_zip_and_headerless_text_are_refused() {
    assert_refused("doc.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF");
    assert_refused("a.zip", b"PK\x03\x04\x14\0\0\0", "zip");
    assert_refused(
        "notes.txt",
        b"Just some text\nwith no header section at all\n",
        "no header field",
    );
}

#[test]
fn encoded_display_name_is_decoded_and_triggers_the_display_name_warning() {
    let dir = TempDir::new("rfc2047");
    // "PayPal <service@paypal.com>", base64 in an encoded word, in front of another address.
    let raw = b"Received: from mx.example.org (mx.example.org [192.0.2.7]) by mx.example.net; \
Mon, 2 Nov 2026 10:00:05 +0000\r\n\
From: =?UTF-8?B?UGF5UGFsIDxzZXJ2aWNlQHBheXBhbC5jb20+?= <alerts@example.org>\r\n\
To: bob@example.net\r\n\
Subject: =?UTF-8?Q?Konto_gesperrt_=E2=9A=A0?=\r\n\
Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nhi\r\n";
    let path = dir.file("enc.eml", raw);
    let v = json(&path, &[]);
    let header = |name: &str| {
        v["headers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["name"] == name)
            .unwrap()
            .clone()
    };
    let from = header("From");
    assert_eq!(
        from["decoded"],
        "PayPal <service@paypal.com> <alerts@example.org>"
    );
    assert!(from["value"].as_str().unwrap().starts_with("=?UTF-8?B?"));
    assert_eq!(header("Subject")["decoded"], "Konto gesperrt ⚠");
    assert!(
        header("To").get("decoded").is_none(),
        "only set when encoded"
    );
    let w = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["code"] == "display-name-domain")
        .expect("the decoded display name is checked");
    assert!(w["message"].as_str().unwrap().contains("paypal.com"));
    // Shown beside the raw text in the text and Markdown reports.
    for format in ["text", "markdown"] {
        let out = report(&path, format, &[]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("=?UTF-8?B?UGF5UGFs"), "{format}: raw kept");
        assert!(
            text.contains("PayPal <service@paypal.com>"),
            "{format}: decoded shown"
        );
    }
}

#[test]
fn headers_only_arc_is_neutral_not_a_changed_body() {
    let dir = TempDir::new("headers-only-arc");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let raw = std::fs::read(root.join("mailing-list-arc.eml")).expect("sample");
    let msg = dir.file("h.eml", header_section(&raw));
    let out = Command::new(env!("CARGO_BIN_EXE_mailsleuth"))
        .arg("report")
        .arg(&msg)
        .arg("--dns-snapshot")
        .arg(root.join("mailing-list-arc.dns.json"))
        .args(["--now", "2026-11-09T13:41:23Z", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["arc"]["result"], "neutral");
    assert_eq!(v["arc"]["disagreement"], false);
    let reason = v["arc"]["reason"].as_str().unwrap();
    assert!(reason.contains("headers only"), "{reason}");
    assert!(!v.to_string().contains("the body changed"));
}
