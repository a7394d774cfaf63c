use super::*;
use crate::analysis::MailAuth;
use crate::analysis::model::AuthResult;
use crate::analysis::step::Outcome;
use crate::analysis::trail::headers::split_headers;
use crate::dns::Record;
use crate::dns::snapshot::{Snapshot, SnapshotEntry};
use crate::dns::{QueryKey, RecordType};
use explain::{duration_words, tag_table};
use mail_auth::common::crypto::Sha256;
use mail_auth::common::crypto::{Ed25519Key, SigningKey};
use mail_auth::dkim::Canonicalization;
use mail_auth::dkim::generate::DkimKeyPair;
use parse::{base64_decode, parse_canonicalization};

/// 2026-01-01 00:00:00 UTC.
const NOW: i64 = 1_767_225_600;

const MESSAGE: &str = "From: Alice <alice@example.com>\r\n\
    To: Bob <bob@example.net>\r\n\
    Subject: Lunch\r\n\
    Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n\
    Message-ID: <1@example.com>\r\n\
    \r\n\
    Hello Bob,\r\n\
    see you at noon.\r\n";

type Signer = Box<dyn Fn(&[u8]) -> Vec<u8>>;

struct TestKey {
    signer: Signer,
    record: String,
}

fn ed25519_key() -> TestKey {
    let pair = DkimKeyPair::generate_ed25519().expect("ed25519 key");
    let key = Ed25519Key::from_pkcs8_der(pair.private_key()).expect("pkcs8");
    TestKey {
        record: format!("v=DKIM1; k=ed25519; p={}", base64_encode(&key.public_key())),
        signer: Box::new(move |data| key.sign(data).expect("sign")),
    }
}

fn rsa_key(bits: usize) -> TestKey {
    use mail_auth::common::crypto::RsaKey;
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer};
    let pair = DkimKeyPair::generate_rsa(bits).expect("rsa key");
    let key = RsaKey::<Sha256>::from_key_der(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(
        pair.private_key().to_vec(),
    )))
    .expect("pkcs1");
    TestKey {
        record: format!("v=DKIM1; k=rsa; p={}", base64_encode(pair.public_key())),
        signer: Box::new(move |data| key.sign(data).expect("sign")),
    }
}

/// Signs `message` (CRLF) the way a DKIM signer does: `tags` are every tag but bh= and b=.
fn sign(message: &str, tags: &str, key: &TestKey) -> String {
    let parsed = parse_tag_list(tags).expect("test tags parse");
    let algorithm = parse_algorithm(tag(&parsed, "a").unwrap()).unwrap();
    let (ch, cb) = tag(&parsed, "c")
        .map(|c| parse_canonicalization(c).unwrap())
        .unwrap_or((Canonicalization::Simple, Canonicalization::Simple));
    let length = tag(&parsed, "l").map(|l| l.parse::<u64>().unwrap());
    let names = parse_header_list(tag(&parsed, "h").unwrap()).unwrap();
    let split = split_headers(message.as_bytes());
    let view = MessageView::new(message.as_bytes(), &split.headers);
    let bh = body_hash(view.body, cb, hash_of(algorithm), length).digest;
    let value = format!(" {tags}; bh={}; b=", base64_encode(&bh));
    let stripped = strip_b_value(format!("{value}\r\n").as_bytes());
    let selected = view.select_signed(&names);
    let mut data = Vec::new();
    ch.canonicalize_headers(
        selected
            .iter()
            .filter_map(|(_, f)| f.map(|f| (f.name, f.value.as_ref())))
            .chain(std::iter::once((&b"DKIM-Signature"[..], &stripped[..]))),
        &mut data,
    );
    let b = base64_encode(&(key.signer)(&data));
    format!("DKIM-Signature:{value}{b}\r\n{message}")
}

fn txt(value: &str) -> SnapshotEntry {
    let strings = value
        .as_bytes()
        .chunks(255)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    SnapshotEntry::Records(vec![Record::Txt { strings }])
}

async fn verify_with(raw: &str, snapshot: Snapshot, now: i64) -> Vec<DkimCheck> {
    let dns = Dns::from_snapshot(snapshot);
    let auth = MailAuth::new(&dns);
    let split = split_headers(raw.as_bytes());
    check_dkim(raw.as_bytes(), &split.headers, &dns, &auth, now).await
}

async fn verify(raw: &str, keys: &[(&str, &str)], now: i64) -> Vec<DkimCheck> {
    let mut snapshot = Snapshot::new();
    for (name, record) in keys {
        snapshot.insert(name, RecordType::TXT, txt(record));
    }
    verify_with(raw, snapshot, now).await
}

const ED_TAGS: &str = "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; \
    h=from:from:to:subject:subject:date:message-id; t=1767225000";

#[test]
fn tag_list_is_parsed_strictly() {
    assert_eq!(parse_tag_list("a=1; b = 2 ;").unwrap().len(), 2);
    assert!(
        parse_tag_list("a=1;; b=2")
            .unwrap_err()
            .contains("empty tag")
    );
    assert!(
        parse_tag_list("a=1; a=2")
            .unwrap_err()
            .contains("more than once")
    );
    assert!(parse_tag_list("a=1; ==").unwrap_err().contains("tag name"));
    assert!(
        parse_tag_list("a=1; junk")
            .unwrap_err()
            .contains("not a tag=value")
    );
    // Tag names are case-sensitive: H= is not h=.
    let tags = parse_tag_list("H=from").unwrap();
    assert_eq!(tag(&tags, "h"), None);
}

#[test]
fn base64_round_trip_and_errors() {
    for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
        assert_eq!(base64_decode(&base64_encode(data)).unwrap(), data);
    }
    assert_eq!(base64_decode("Zm9v\r\n YmFy").unwrap(), b"foobar");
    assert!(base64_decode("Zm9v!").is_err());
    assert!(base64_decode("Zm9vY").is_err());
    assert!(base64_decode("Zg==Zg").is_err());
}

#[test]
fn base64_padding_is_complete_or_absent_and_errors_name_the_rule() {
    assert_eq!(base64_decode("Zg").unwrap(), b"f");
    assert_eq!(base64_decode("Zg = =").unwrap(), b"f");
    // Unused bits of the last symbol are not checked ("Zh" is "f" with a stray bit).
    assert_eq!(base64_decode("Zh==").unwrap(), b"f");
    assert_eq!(base64_decode("Zg=").unwrap_err(), "wrong '=' padding");
    assert_eq!(
        base64_decode("Zm9vY").unwrap_err(),
        "truncated (length is not a multiple of 4)"
    );
    assert_eq!(
        base64_decode("Zg==Zg").unwrap_err(),
        "data after the '=' padding"
    );
    assert_eq!(
        base64_decode("Zm\u{e9}9v").unwrap_err(),
        "'\u{e9}' is not a base64 character"
    );
}

#[test]
fn b_value_is_emptied_and_the_line_break_dropped() {
    for (value, stripped) in [
        ("b=abc;h=From\r\n", "b=;h=From"),
        ("bh=B64b=;h=From;b=abc\r\n", "bh=B64b=;h=From;b="),
        ("h=From; b = abc\r\n def\r\n ; v=1\r\n", "h=From; b =; v=1"),
        (" v=1; b=abc\r\n\tdef", " v=1; b="),
    ] {
        assert_eq!(
            String::from_utf8(strip_b_value(value.as_bytes())).unwrap(),
            stripped
        );
    }
}

#[test]
fn dates_outside_years_1_to_9999_are_said_to_be_out_of_range() {
    assert_eq!(format_unix(253_402_300_799), "9999-12-31 23:59:59 UTC");
    assert_eq!(format_unix(-62_135_596_800), "0001-01-01 00:00:00 UTC");
    assert_eq!(
        format_unix(253_402_300_800),
        "253402300800 (out of calendar range)"
    );
    assert_eq!(
        format_unix(-62_135_596_801),
        "-62135596801 (out of calendar range)"
    );
    assert_eq!(
        format_unix(i128::from(u64::MAX)),
        "18446744073709551615 (out of calendar range)"
    );
}

#[test]
fn durations_are_said_in_one_unit() {
    assert_eq!(duration_words(119), "119 s");
    assert_eq!(duration_words(-120), "2 min");
    assert_eq!(duration_words(7_199), "119 min");
    assert_eq!(duration_words(7_200), "2 h");
    assert_eq!(duration_words(172_800), "2 days");
    assert_eq!(duration_words(i128::from(u64::MAX)), "213503982334601 days");
}

#[test]
fn unix_times_are_formatted_as_utc_dates() {
    assert_eq!(format_unix(0), "1970-01-01 00:00:00 UTC");
    assert_eq!(format_unix(1_528_637_909), "2018-06-10 13:38:29 UTC");
    assert_eq!(format_unix(951_782_400), "2000-02-29 00:00:00 UTC");
}

#[test]
fn tag_table_lists_every_tag_with_meaning_and_defaults() {
    let header = Header {
        index: 0,
        name: "DKIM-Signature".into(),
        kind: crate::analysis::model::HeaderKind::Trace,
        offset: 0,
        length: 0,
        raw: String::new(),
        value: "v=1; a=rsa-sha256; d=example.com; s=sel; h=from:to; bh=AAAA; \
                b=AA\r\n AA; l=10; t=1528637909; x=1528724309; foo=bar"
            .into(),
        invalid_utf8: false,
        errors: Vec::new(),
        decoded: None,
    };
    let table = tag_table(&ParsedDkim::parse(&header).tags);
    let get = |n: &str| table.iter().find(|t| t.name == n).unwrap();
    for name in [
        "v", "a", "d", "s", "h", "bh", "b", "l", "t", "x", "foo", "c", "q", "i",
    ] {
        assert!(!get(name).meaning.is_empty(), "{name} has a meaning");
    }
    assert_eq!(get("b").value, "AAAA", "folding removed from base64");
    assert!(get("t").meaning.contains("2018-06-10 13:38:29 UTC"));
    assert!(get("foo").meaning.contains("unknown"));
    assert!(get("c").default && get("c").value == "simple/simple");
    assert!(get("q").default && get("q").value == "dns/txt");
    assert!(get("i").default && get("i").value == "@example.com");
    assert!(!get("d").default);
    // Absent optional tags are listed with what their absence means.
    let header = Header {
        value: "v=1; a=rsa-sha256; d=example.com; s=sel; h=from; bh=AAAA; b=AAAA".into(),
        ..header
    };
    let table = tag_table(&ParsedDkim::parse(&header).tags);
    for name in ["l", "t", "x"] {
        let t = table.iter().find(|t| t.name == name).expect(name);
        assert!(t.default && t.value == "(absent)", "{name}");
        assert!(t.meaning.contains("absent: "), "{name}");
    }
}

#[tokio::test]
async fn ed25519_signature_passes_and_mail_auth_agrees() {
    let key = ed25519_key();
    let raw = sign(MESSAGE, ED_TAGS, &key);
    let checks = verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await;
    assert_eq!(checks.len(), 1);
    let c = &checks[0];
    assert_eq!(c.result, AuthResult::Pass, "{:?}", c.reason);
    assert_eq!(c.domain.as_deref(), Some("example.com"));
    assert_eq!(c.selector.as_deref(), Some("ed"));
    assert_eq!(c.key.as_ref().unwrap().key_type, "ed25519");
    assert_eq!(c.body_hash_matches, Some(true));
    assert_eq!(c.body_hash_expected, c.body_hash_computed);
    assert_eq!(c.header_signature_valid, Some(true));
    assert_eq!(c.mail_auth_result, Some(AuthResult::Pass));
    assert!(!c.disagreement);
    assert!(c.risks.is_empty(), "over-signed, no risks: {:?}", c.risks);
    let key_step = c
        .steps
        .iter()
        .find(|s| s.title == "Fetch the public key")
        .unwrap();
    assert_eq!(
        key_step.queries,
        vec![QueryKey::new("ed._domainkey.example.com", RecordType::TXT)]
    );
}

#[tokio::test]
async fn body_change_fails_but_header_signature_is_still_checked() {
    let key = ed25519_key();
    let raw = sign(MESSAGE, ED_TAGS, &key).replace("noon", "one");
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.reason.as_deref(), Some("body hash did not verify"));
    assert_eq!(c.body_hash_matches, Some(false));
    assert_ne!(c.body_hash_expected, c.body_hash_computed);
    assert_eq!(c.header_signature_valid, Some(true));
    // mail-auth says neutral for this; same conclusion, not a disagreement.
    assert_eq!(c.mail_auth_result, Some(AuthResult::Neutral));
    assert!(!c.disagreement);
}

/// The header section alone, as Outlook's "message headers" box gives it.
fn headers_only(raw: &str) -> String {
    raw.split_once("\r\n\r\n").expect("a body").0.to_string() + "\r\n"
}

#[tokio::test]
async fn headers_only_is_neutral_not_a_body_hash_fail() {
    let key = ed25519_key();
    let raw = headers_only(&sign(MESSAGE, ED_TAGS, &key));
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Neutral);
    assert!(c.reason.as_deref().unwrap().starts_with("headers only"));
    assert_eq!(c.body_hash_matches, None);
    assert_eq!(c.body_hash_computed, None);
    assert_eq!(c.header_signature_valid, Some(true));
    let step = c.steps.iter().find(|s| s.title == "Body hash").unwrap();
    assert_eq!(step.outcome, Outcome::Skipped);
    assert!(step.explanation.starts_with("Cannot be checked: no body"));
    assert!(
        !c.disagreement,
        "mail-auth's empty-body hash is not a disagreement"
    );
}

#[tokio::test]
async fn headers_only_with_a_changed_signed_header_still_fails() {
    let key = ed25519_key();
    let raw =
        headers_only(&sign(MESSAGE, ED_TAGS, &key)).replace("Subject: Lunch", "Subject: Dinner");
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.header_signature_valid, Some(false));
    assert_eq!(c.body_hash_matches, None);
}

#[tokio::test]
async fn an_empty_body_is_hashed_not_taken_for_headers_only() {
    let key = ed25519_key();
    let signed = sign(MESSAGE, ED_TAGS, &key);
    let raw = headers_only(&signed) + "\r\n";
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.body_hash_matches, Some(false));
    assert_eq!(c.result, AuthResult::Fail);
}

#[tokio::test]
async fn header_change_fails_the_signature() {
    let key = ed25519_key();
    let raw = sign(MESSAGE, ED_TAGS, &key).replace("Subject: Lunch", "Subject: Dinner");
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Fail);
    assert!(
        c.reason
            .as_deref()
            .unwrap()
            .starts_with("signature did not verify")
    );
    assert_eq!(c.body_hash_matches, Some(true));
    assert_eq!(c.header_signature_valid, Some(false));
    assert_eq!(c.mail_auth_result, Some(AuthResult::Fail));
    assert!(!c.disagreement);
}

#[tokio::test]
async fn lf_line_endings_verify_like_crlf() {
    let key = ed25519_key();
    let raw = sign(MESSAGE, ED_TAGS, &key).replace("\r\n", "\n");
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Pass, "{:?}", c.reason);
    assert_eq!(c.mail_auth_result, Some(AuthResult::Pass));
}

#[tokio::test]
async fn l_tag_reports_unsigned_trailing_bytes() {
    let key = ed25519_key();
    let tags = format!("{ED_TAGS}; l=12");
    let raw = format!("{}P.S. click here\r\n", sign(MESSAGE, &tags, &key));
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Pass, "{:?}", c.reason);
    // Body is "Hello Bob,\r\nsee you at noon.\r\nP.S. click here\r\n" = 47 bytes.
    let risk = c.risks.iter().find(|r| r.starts_with("l=12")).unwrap();
    assert!(risk.contains("first 12 of 47"), "{risk}");
    assert!(risk.contains("last 35 bytes"), "{risk}");
}

#[tokio::test]
async fn body_shorter_than_l_is_reported_as_truncated_not_appended() {
    let key = ed25519_key();
    // Signed over the whole 30-byte body, then cut to "Hello Bob,\r\n" (12 bytes).
    let tags = format!("{ED_TAGS}; l=30");
    let raw = sign(MESSAGE, &tags, &key).replace("see you at noon.\r\n", "");
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.body_hash_matches, Some(false));
    let reason = c.reason.as_deref().unwrap();
    assert!(reason.contains("shorter than l=30"), "{reason}");
    let step = c.steps.iter().find(|s| s.title == "Body hash").unwrap();
    assert!(
        step.explanation.contains("12 bytes, shorter than the l=30")
            && step.explanation.contains("truncated"),
        "{}",
        step.explanation
    );
    assert!(!step.explanation.contains("footer"), "{}", step.explanation);
    assert!(
        c.risks.iter().all(|r| !r.contains("append")),
        "{:?}",
        c.risks
    );
}

#[tokio::test]
async fn from_and_subject_signed_once_are_flagged_as_not_over_signed() {
    let key = ed25519_key();
    let tags = "v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com; s=ed; \
                h=from:to:subject:date";
    let raw = sign(MESSAGE, tags, &key);
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Pass);
    let over: Vec<&String> = c
        .risks
        .iter()
        .filter(|r| r.contains("over-signed"))
        .collect();
    assert_eq!(over.len(), 1, "one risk for both headers: {over:?}");
    assert_eq!(
        over[0],
        "From and Subject not over-signed: a second From/Subject could be added without \
         breaking this signature"
    );

    // A second From added above the signed one: still passes, now flagged as unsigned.
    let forged = format!("From: Mallory <ceo@example.com>\r\n{raw}");
    let c = &verify(&forged, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Pass);
    assert!(
        c.risks
            .iter()
            .any(|r| r.contains("From appears 2 time(s) but h= signs it 1")),
        "{:?}",
        c.risks
    );
}

#[tokio::test]
async fn future_timestamp_is_a_risk() {
    let key = ed25519_key();
    let tags = ED_TAGS.replace("t=1767225000", "t=1767312000");
    let raw = sign(MESSAGE, &tags, &key);
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::Pass);
    assert!(
        c.risks
            .iter()
            .any(|r| r.starts_with("t=1767312000") && r.contains("24 h"))
    );
}

#[tokio::test]
async fn expiry_is_judged_as_of_now_not_the_system_clock() {
    let key = ed25519_key();
    let records = [("ed._domainkey.example.com", key.record.as_str())];
    // x= long past by the system clock.
    let old = sign(
        MESSAGE,
        &ED_TAGS.replace("t=1767225000", "t=1000000000; x=1100000000"),
        &key,
    );
    let c = &verify(&old, &records, 1_050_000_000).await[0];
    assert_eq!(c.result, AuthResult::Pass, "not expired as of now");
    assert_eq!(c.mail_auth_result, Some(AuthResult::Neutral));
    assert!(!c.disagreement, "a clock difference is not a disagreement");
    assert!(
        c.steps
            .iter()
            .any(|s| s.explanation.contains("only the clock"))
    );

    let c = &verify(&old, &records, NOW).await[0];
    assert_eq!(c.result, AuthResult::PermError);
    assert!(
        c.reason
            .as_deref()
            .unwrap()
            .starts_with("signature expired")
    );
    assert!(c.risks.iter().any(|r| r.starts_with("x=1100000000")));
    assert!(!c.disagreement);

    // x= far in the future by the system clock, but expired as of `now`.
    let later = sign(
        MESSAGE,
        &ED_TAGS.replace("t=1767225000", "t=4000000000; x=4000086400"),
        &key,
    );
    let c = &verify(&later, &records, 4_100_000_000).await[0];
    assert_eq!(c.result, AuthResult::PermError);
    assert!(c.reason.as_deref().unwrap().contains("expired"));
    assert_eq!(c.mail_auth_result, Some(AuthResult::Pass));
    assert!(!c.disagreement);
    assert!(
        c.steps
            .iter()
            .any(|s| s.explanation.contains("only the clock"))
    );
}

/// A signature made at t=1767225000 that expires one day later (x=1767311400), verified
/// at NOW + 3 days, with the receiver's date `received_at`.
async fn verify_expired_received(raw_edit: &str, received_at: i64) -> DkimCheck {
    let key = ed25519_key();
    let signed = sign(
        MESSAGE,
        &ED_TAGS.replace("t=1767225000", "t=1767225000; x=1767311400"),
        &key,
    );
    let raw = signed.replace("noon", raw_edit);
    let dns = {
        let mut snapshot = Snapshot::new();
        snapshot.insert(
            "ed._domainkey.example.com",
            RecordType::TXT,
            txt(&key.record),
        );
        Dns::from_snapshot(snapshot)
    };
    let auth = MailAuth::new(&dns);
    let split = split_headers(raw.as_bytes());
    let now = NOW + 3 * 86_400;
    check_dkim_received(
        raw.as_bytes(),
        &split.headers,
        &dns,
        &auth,
        now,
        Some(received_at),
    )
    .await
    .remove(0)
}

#[tokio::test]
async fn expired_after_receipt_says_it_was_valid_when_the_receiver_got_it() {
    // Received 60 s after signing; x= is a day later; evaluated three days on.
    let c = verify_expired_received("noon", 1_767_225_060).await;
    assert_eq!(c.result, AuthResult::PermError);
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("signature expired (x=1767311400")
            && reason.ends_with("23 h after receipt, so it was valid when the receiver got it"),
        "{reason}"
    );
    let time = c
        .steps
        .iter()
        .find(|s| s.title == "Signing time and expiry")
        .unwrap();
    assert!(
        time.explanation
            .contains("valid when the receiver got it, no longer valid"),
        "{}",
        time.explanation
    );
}

#[tokio::test]
async fn expired_before_receipt_says_it_was_already_expired_then() {
    let c = verify_expired_received("noon", 1_767_311_400 + 7_200).await;
    assert!(
        c.reason
            .as_deref()
            .unwrap()
            .ends_with("already expired when the receiver got it (2 h before receipt)"),
        "{:?}",
        c.reason
    );
}

#[tokio::test]
async fn expired_with_a_changed_body_names_the_body_hash_as_the_one_cause() {
    let c = verify_expired_received("one", 1_767_225_060).await;
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.reason.as_deref(), Some("body hash did not verify"));
    let time = c
        .steps
        .iter()
        .find(|s| s.title == "Signing time and expiry")
        .unwrap();
    assert!(
        time.explanation
            .contains("so the body is named as the cause"),
        "{}",
        time.explanation
    );
    // mail-auth stops at x=: the same conclusion, not a disagreement.
    assert!(!c.disagreement);
}

#[tokio::test]
async fn identity_outside_the_signing_domain_is_a_permerror() {
    let key = ed25519_key();
    let raw = sign(MESSAGE, &format!("{ED_TAGS}; i=ceo@example.org"), &key);
    let c = &verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.result, AuthResult::PermError);
    assert!(c.reason.as_deref().unwrap().contains("example.org"));
    assert!(
        c.risks
            .iter()
            .any(|r| r.starts_with("i= is at example.org"))
    );
    assert_eq!(c.header_signature_valid, Some(true), "crypto still shown");
}

#[tokio::test]
async fn revoked_missing_and_unreachable_keys() {
    let key = ed25519_key();
    let raw = sign(MESSAGE, ED_TAGS, &key);
    let c = &verify(
        &raw,
        &[("ed._domainkey.example.com", "v=DKIM1; k=ed25519; p=")],
        NOW,
    )
    .await[0];
    assert_eq!(c.result, AuthResult::PermError);
    assert!(c.key.as_ref().unwrap().revoked);
    assert!(c.reason.as_deref().unwrap().contains("revoked"));
    assert_eq!(c.body_hash_matches, Some(true));
    assert_eq!(c.header_signature_valid, None);

    let c = &verify(&raw, &[], NOW).await[0];
    assert_eq!(c.result, AuthResult::PermError);
    assert!(c.reason.as_deref().unwrap().contains("NXDOMAIN"));
    assert_eq!(c.mail_auth_result, Some(AuthResult::PermError));
    assert!(!c.disagreement);

    let mut snapshot = Snapshot::new();
    snapshot.insert(
        "ed._domainkey.example.com",
        RecordType::TXT,
        SnapshotEntry::ServFail,
    );
    let c = &verify_with(&raw, snapshot, NOW).await[0];
    assert_eq!(c.result, AuthResult::TempError);
    assert_eq!(c.mail_auth_result, Some(AuthResult::TempError));
}

#[tokio::test]
async fn malformed_signature_is_a_permerror_and_others_still_verify() {
    let key = ed25519_key();
    let signed = sign(MESSAGE, ED_TAGS, &key);
    let raw = format!("DKIM-Signature: v=1; a=rsa-sha256; d=example.com;; s=x\r\n{signed}");
    let checks = verify(&raw, &[("ed._domainkey.example.com", &key.record)], NOW).await;
    assert_eq!(checks.len(), 2);
    assert_eq!(checks[0].header_index, 0);
    assert_eq!(checks[0].result, AuthResult::PermError);
    assert!(checks[0].reason.as_deref().unwrap().contains("empty tag"));
    assert_eq!(checks[0].domain.as_deref(), Some("example.com"));
    assert_eq!(checks[1].header_index, 1);
    assert_eq!(checks[1].result, AuthResult::Pass);
}

#[tokio::test]
async fn missing_required_tag_is_named() {
    let raw = format!(
        "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=x; h=from; b=AAAA\r\n{MESSAGE}"
    );
    let c = &verify(&raw, &[], NOW).await[0];
    assert_eq!(c.result, AuthResult::PermError);
    assert!(c.reason.as_deref().unwrap().contains("bh= is missing"));
}

#[tokio::test]
async fn short_rsa_key_is_policy_and_flagged() {
    // ring neither makes nor checks signatures with a 512-bit key: the signature is never
    // checked, so any bytes do.
    let pair = DkimKeyPair::generate_rsa(512).expect("rsa key");
    let key = TestKey {
        record: format!("v=DKIM1; k=rsa; p={}", base64_encode(pair.public_key())),
        signer: Box::new(|_| vec![7; 64]),
    };
    let tags = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=short; \
                h=from:from:to:subject:subject";
    let raw = sign(MESSAGE, tags, &key);
    let c = &verify(&raw, &[("short._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.header_signature_valid, None);
    assert!(
        c.steps
            .iter()
            .any(|s| s.title == "Header signature" && s.explanation.contains("512 bits"))
    );
    assert_eq!(c.key.as_ref().unwrap().bits, Some(512));
    assert_eq!(c.result, AuthResult::Policy, "{:?}", c.reason);
    assert!(c.risks.iter().any(|r| r.starts_with("512-bit RSA key")));
    // mail-auth's RSA refuses the key: a fail, beside our policy, and the difference is said.
    assert_eq!(c.mail_auth_result, Some(AuthResult::Fail));
    assert!(c.disagreement);
}

#[tokio::test]
async fn rsa_sha1_is_flagged() {
    let key = rsa_key(2048);
    let raw = sign(
        MESSAGE,
        "v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=k; h=from:from:subject:subject",
        &key,
    )
    .replace("a=rsa-sha256", "a=rsa-sha1");
    let c = &verify(&raw, &[("k._domainkey.example.com", &key.record)], NOW).await[0];
    assert_eq!(c.algorithm.as_deref(), Some("rsa-sha1"));
    assert!(c.risks.iter().any(|r| r.starts_with("rsa-sha1")));
    assert!(c.steps.iter().any(|s| s.title.contains("RFC 8301")));
    assert_ne!(c.result, AuthResult::Pass);
}

#[tokio::test]
async fn hostile_signatures_are_permerrors_not_panics() {
    let mut raw: Vec<u8> = Vec::new();
    for value in [
        "",
        ";;;;",
        "=",
        "\u{e9}=\u{e9}; b=\u{e9}",
        "v=1; a=rsa-sha256; d=b\u{fc}cher.example; s=s\u{e9}l; h=from; bh=AAAA; b=AAAA",
        "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; \
         l=99999999999999999999999",
        "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; \
         t=18446744073709551615; x=18446744073709551615",
        "v=1; a=rsa-sha256; d=..; s=s; h=from; bh=AAAA; b=A=A=",
        "v=1; a=ed25519-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; i==FF=G",
    ] {
        raw.extend_from_slice(format!("DKIM-Signature: {value}\r\n").as_bytes());
    }
    raw.extend_from_slice(b"DKIM-Signature: v=1; d=\xff\xfe; b=\x80\r\n");
    raw.extend_from_slice(MESSAGE.as_bytes());
    let dns = Dns::from_snapshot(Snapshot::new());
    let auth = MailAuth::new(&dns);
    let split = split_headers(&raw);
    let checks = check_dkim(&raw, &split.headers, &dns, &auth, NOW).await;
    assert_eq!(checks.len(), 10);
    for c in &checks {
        assert_ne!(c.result, AuthResult::Pass, "{:?}", c.reason);
        assert!(c.reason.is_some());
        assert_eq!(
            c.steps.last().map(|s| s.title.as_str()),
            Some("Cross-check with mail-auth")
        );
    }
}

#[test]
fn check_dkim_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let dns = Dns::from_snapshot(Snapshot::new());
    let auth = MailAuth::new(&dns);
    let fut = check_dkim(b"", &[], &dns, &auth, 0);
    assert_send(&fut);
}
