use super::*;
use crate::analysis::MailAuth;
use crate::analysis::dkim::{
    base64_encode, body_hash, lenient_tags, parse_header_list, parse_tag_list, strip_b_value, tag,
};
use crate::analysis::trail::headers::split_headers;
use crate::dns::snapshot::{Snapshot, SnapshotEntry};
use crate::dns::{Record, RecordType};
use mail_auth::common::crypto::{Ed25519Key, HashAlgorithm, SigningKey};
use mail_auth::dkim::Canonicalization;
use mail_auth::dkim::generate::DkimKeyPair;
use parse::{parse_aar, parse_instance, parse_seal};
use std::collections::BTreeMap;

const NOW: i64 = 1_767_225_600;

const MESSAGE: &str = "From: Alice <alice@example.com>\r\n\
    To: list@lists.example.org\r\n\
    Subject: Minutes\r\n\
    \r\n\
    The minutes are attached.\r\n";

struct Sealer {
    key: Ed25519Key,
    record: String,
}

fn sealer() -> Sealer {
    let pair = DkimKeyPair::generate_ed25519().expect("ed25519 key");
    let key = Ed25519Key::from_pkcs8_der(pair.private_key()).expect("pkcs8");
    Sealer {
        record: format!("v=DKIM1; k=ed25519; p={}", base64_encode(&key.public_key())),
        key,
    }
}

fn canonical(pairs: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    let mut data = Vec::new();
    Canonicalization::Relaxed.canonicalize_headers(
        pairs.iter().map(|(n, v)| (n.as_slice(), v.as_slice())),
        &mut data,
    );
    data
}

fn field(raw: &str, index: usize) -> (Vec<u8>, Vec<u8>) {
    let split = split_headers(raw.as_bytes());
    let view = MessageView::new(raw.as_bytes(), &split.headers);
    let f = view.field(index).expect("field");
    (f.name.to_vec(), f.value.to_vec())
}

/// Adds ARC set `i` (sealed by d=`domain`) to `message`, as a forwarder would; `extra` goes
/// into the AMS tags (e.g. `x=`).
fn add_set(message: &str, i: u32, domain: &str, cv: &str, s: &Sealer, extra: &str) -> String {
    let aar = format!(
        "ARC-Authentication-Results: i={i}; mx.{domain}; spf=pass smtp.mailfrom=example.com; dkim=pass header.d=example.com\r\n"
    );
    let with_aar = format!("{aar}{message}");
    let split = split_headers(with_aar.as_bytes());
    let view = MessageView::new(with_aar.as_bytes(), &split.headers);
    let bh = body_hash(
        view.body,
        Canonicalization::Relaxed,
        HashAlgorithm::Sha256,
        None,
    );
    let names = parse_header_list("from:to:subject").unwrap();
    let ams_value = format!(
        " i={i}; a=ed25519-sha256; c=relaxed/relaxed; d={domain}; s=arc; t=1767225000;{extra} \
         h=from:to:subject; bh={}; b=",
        base64_encode(&bh.digest)
    );
    let mut pairs: Vec<(Vec<u8>, Vec<u8>)> = view
        .select_signed(&names)
        .iter()
        .filter_map(|(_, f)| f.map(|f| (f.name.to_vec(), f.value.to_vec())))
        .collect();
    pairs.push((
        b"ARC-Message-Signature".to_vec(),
        strip_b_value(format!("{ams_value}\r\n").as_bytes()),
    ));
    let ams = format!(
        "ARC-Message-Signature:{ams_value}{}\r\n",
        base64_encode(&s.key.sign(canonical(&pairs).as_slice()).unwrap())
    );
    let with_ams = format!("{ams}{with_aar}");

    // The seal covers every earlier set, oldest first, then this one.
    let split = split_headers(with_ams.as_bytes());
    let mut sets: BTreeMap<u32, [Option<usize>; 3]> = BTreeMap::new();
    for h in &split.headers {
        let slot = match h.name.to_ascii_lowercase().as_str() {
            "arc-authentication-results" => 0,
            "arc-message-signature" => 1,
            "arc-seal" => 2,
            _ => continue,
        };
        let n = parse_instance(tag(&lenient_tags(&h.value), "i"))
            .or_else(|_| parse_aar(&h.value).map(|(n, _)| n))
            .unwrap();
        sets.entry(n).or_default()[slot] = Some(h.index);
    }
    let mut pairs = Vec::new();
    for (_, slots) in sets {
        for index in slots.into_iter().flatten() {
            pairs.push(field(&with_ams, index));
        }
    }
    let seal_value =
        format!(" i={i}; a=ed25519-sha256; cv={cv}; d={domain}; s=arc; t=1767225000; b=");
    pairs.push((
        b"ARC-Seal".to_vec(),
        strip_b_value(format!("{seal_value}\r\n").as_bytes()),
    ));
    let seal = format!(
        "ARC-Seal:{seal_value}{}\r\n",
        base64_encode(&s.key.sign(canonical(&pairs).as_slice()).unwrap())
    );
    format!("{seal}{with_ams}")
}

async fn check(raw: &str, keys: &[(&str, &str)], now: i64) -> ArcCheck {
    let mut snapshot = Snapshot::new();
    for (name, record) in keys {
        snapshot.insert(
            name,
            RecordType::TXT,
            SnapshotEntry::Records(vec![Record::Txt {
                strings: vec![record.to_string()],
            }]),
        );
    }
    let dns = Dns::from_snapshot(snapshot);
    let auth = MailAuth::new(&dns);
    let split = split_headers(raw.as_bytes());
    check_arc(raw.as_bytes(), &split.headers, &dns, &auth, now).await
}

fn two_keys<'s>(a: &'s Sealer, b: &'s Sealer) -> [(&'static str, &'s str); 2] {
    [
        ("arc._domainkey.lists.example.org", a.record.as_str()),
        ("arc._domainkey.fwd.example.net", b.record.as_str()),
    ]
}

fn two_hop_chain(between: impl Fn(&str) -> String) -> (String, Sealer, Sealer) {
    let (a, b) = (sealer(), sealer());
    let one = add_set(MESSAGE, 1, "lists.example.org", "none", &a, "");
    let two = add_set(&between(&one), 2, "fwd.example.net", "pass", &b, "");
    (two, a, b)
}

#[test]
fn aar_must_start_with_the_instance() {
    let (i, aar) = parse_aar(" i=2; mx.example.net; spf=pass").unwrap();
    assert_eq!(i, 2);
    assert_eq!(aar.authserv_id.as_deref(), Some("mx.example.net"));
    assert!(parse_aar("mx.example.net; i=1; spf=pass").is_err());
    assert!(parse_aar("i=1 mx.example.net; spf=pass").is_err());
    assert!(parse_aar("i=squanch; mx.example.net").is_err());
    assert!(parse_aar("i=51; mx.example.net").is_err());
}

#[test]
fn seal_rejects_h_and_unknown_cv() {
    let tags = parse_tag_list("i=1; a=rsa-sha256; cv=none; d=x.org; s=s; b=AAAA; h=from").unwrap();
    assert!(
        parse_seal(&tags)
            .err()
            .unwrap()
            .contains("h= is not allowed")
    );
    let tags = parse_tag_list("i=1; a=rsa-sha256; cv=maybe; d=x.org; s=s; b=AAAA").unwrap();
    assert!(parse_seal(&tags).err().unwrap().contains("cv=maybe"));
}

#[test]
fn check_arc_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let dns = Dns::from_snapshot(Snapshot::new());
    let auth = MailAuth::new(&dns);
    let fut = check_arc(b"", &[], &dns, &auth, 0);
    assert_send(&fut);
}

#[tokio::test]
async fn hostile_arc_headers_fail_without_panicking() {
    for headers in [
        "ARC-Seal: i=0; cv=none\r\n",
        "ARC-Authentication-Results: i=99999999999999999999999; x\r\n",
        "ARC-Message-Signature: ;;\r\nARC-Seal: \u{e9}=\u{e9}\r\n",
        "ARC-Seal: i=1; a=rsa-sha256; cv=none; d=x.org; s=s; b=AAAA\r\n\
         ARC-Message-Signature: i=1; a=rsa-sha256; d=x.org; s=s; h=; bh=AAAA; b=AAAA\r\n\
         ARC-Authentication-Results: i=1\r\n",
        "ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=x.org; s=s; b=AAAA\r\n",
    ] {
        let raw = format!("{headers}{MESSAGE}");
        let c = check(&raw, &[], NOW).await;
        assert_eq!(c.result, AuthResult::Fail, "{headers}: {:?}", c.reason);
        assert!(c.reason.is_some());
    }
}

#[tokio::test]
async fn no_arc_headers_is_none() {
    let c = check(MESSAGE, &[], NOW).await;
    assert_eq!(c.result, AuthResult::None);
    assert!(c.sets.is_empty());
    assert_eq!(c.mail_auth_result, Some(AuthResult::None));
    assert!(!c.disagreement);
}

#[tokio::test]
async fn intact_two_hop_chain_passes_with_per_set_detail() {
    let (raw, a, b) = two_hop_chain(str::to_string);
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Pass, "{:?}", c.reason);
    assert_eq!(c.sets.len(), 2);
    assert_eq!(c.sets[0].instance, 1);
    assert_eq!(c.sets[0].cv.as_deref(), Some("none"));
    assert_eq!(c.sets[1].cv.as_deref(), Some("pass"));
    assert_eq!(c.sets[0].seal_domain.as_deref(), Some("lists.example.org"));
    assert_eq!(
        c.sets[0].authserv_id.as_deref(),
        Some("mx.lists.example.org")
    );
    assert!(c.sets.iter().all(|s| s.ams_result == AuthResult::Pass));
    assert!(c.sets.iter().all(|s| s.seal_result == AuthResult::Pass));
    assert_eq!(c.sets[1].headers.len(), 3);
    assert_eq!(c.oldest_pass, Some(1));
    assert_eq!(c.broken_instance, None);
    assert_eq!(c.mail_auth_result, Some(AuthResult::Pass));
    assert!(!c.disagreement);
    let seal_step = c.steps.iter().find(|s| s.title == "Seal (AS i=1)").unwrap();
    assert_eq!(
        seal_step.queries,
        vec![QueryKey::new(
            "arc._domainkey.lists.example.org",
            RecordType::TXT
        )]
    );
}

#[tokio::test]
async fn change_between_forwarders_still_passes_and_is_said() {
    let (raw, a, b) =
        two_hop_chain(|m| m.replace("attached.\r\n", "attached.\r\n-- \r\nlist footer\r\n"));
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Pass, "{:?}", c.reason);
    assert_eq!(c.sets[0].ams_result, AuthResult::Fail);
    assert_eq!(c.sets[0].ams_body_hash_matches, Some(false));
    assert_eq!(c.sets[1].ams_result, AuthResult::Pass);
    assert_eq!(c.oldest_pass, Some(2));
    let verdict = c.steps.iter().find(|s| s.title == "Verdict").unwrap();
    assert!(verdict.explanation.contains("modified after instance(s) 1"));
}

#[tokio::test]
async fn change_after_the_last_forwarder_breaks_the_chain_there() {
    let (raw, a, b) = two_hop_chain(str::to_string);
    let raw = raw.replace("attached.", "attached, and changed.");
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.broken_instance, Some(2));
    assert!(c.reason.as_deref().unwrap().starts_with("AMS i=2"));
    assert_eq!(c.mail_auth_result, Some(AuthResult::Fail));
    assert!(!c.disagreement);
}

#[tokio::test]
async fn altered_recorded_results_break_the_seals() {
    let (raw, a, b) = two_hop_chain(str::to_string);
    let raw = raw.replace(
        "i=1; mx.lists.example.org; spf=pass",
        "i=1; mx.lists.example.org; spf=fail",
    );
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Fail);
    // Both seals cover set 1, so both fail; the oldest failing one locates the change.
    assert_eq!(c.sets[0].seal_result, AuthResult::Fail);
    assert_eq!(c.sets[1].seal_result, AuthResult::Fail);
    assert_eq!(c.broken_instance, Some(1), "the altered set is i=1");
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.starts_with("seals i=2, i=1 fail") && reason.contains("at or below instance 1"),
        "{reason}"
    );
    let verdict = c.steps.iter().find(|s| s.title == "Verdict").unwrap();
    assert!(verdict.explanation.contains("at or below instance 1"));
    assert!(!verdict.explanation.contains("at instance 2"));
}

#[tokio::test]
async fn altered_second_set_is_located_by_the_verifying_seal_below() {
    let (raw, a, b) = two_hop_chain(str::to_string);
    let raw = raw.replace(
        "i=2; mx.fwd.example.net; spf=pass",
        "i=2; mx.fwd.example.net; spf=fail",
    );
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.sets[0].seal_result, AuthResult::Pass);
    assert_eq!(c.broken_instance, Some(2));
    assert!(
        c.reason
            .as_deref()
            .unwrap()
            .contains("seal i=1 below it verifies")
    );
}

#[tokio::test]
async fn wrong_cv_is_a_structural_failure() {
    let (a, b) = (sealer(), sealer());
    let one = add_set(MESSAGE, 1, "lists.example.org", "none", &a, "");
    let raw = add_set(&one, 2, "fwd.example.net", "none", &b, "");
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Fail);
    assert_eq!(c.broken_instance, Some(2));
    assert!(c.reason.as_deref().unwrap().contains("cv=none"));
}

#[tokio::test]
async fn missing_key_fails_and_timeout_is_temperror() {
    let a = sealer();
    let raw = add_set(MESSAGE, 1, "lists.example.org", "none", &a, "");
    let c = check(&raw, &[], NOW).await;
    assert_eq!(c.result, AuthResult::Fail);
    assert!(c.reason.as_deref().unwrap().contains("NXDOMAIN"));

    let mut snapshot = Snapshot::new();
    snapshot.insert(
        "arc._domainkey.lists.example.org",
        RecordType::TXT,
        SnapshotEntry::Timeout,
    );
    let dns = Dns::from_snapshot(snapshot);
    let auth = MailAuth::new(&dns);
    let split = split_headers(raw.as_bytes());
    let c = check_arc(raw.as_bytes(), &split.headers, &dns, &auth, NOW).await;
    assert_eq!(c.result, AuthResult::TempError);
    assert_eq!(c.broken_instance, None, "undecided, not broken");
    let reason = c.reason.as_deref().unwrap();
    assert!(
        reason.contains("key lookup for arc._domainkey.lists.example.org"),
        "{reason}"
    );
    let verdict = c.steps.iter().find(|s| s.title == "Verdict").unwrap();
    assert!(!verdict.explanation.contains("broke"));
}

#[tokio::test]
async fn newest_ams_expiry_is_judged_as_of_now() {
    let a = sealer();
    let raw = add_set(
        MESSAGE,
        1,
        "lists.example.org",
        "none",
        &a,
        " x=4000000000;",
    );
    let keys = [("arc._domainkey.lists.example.org", a.record.as_str())];
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Pass);

    let c = check(&raw, &keys, 4_000_000_100).await;
    assert_eq!(c.result, AuthResult::Fail);
    assert!(c.reason.as_deref().unwrap().contains("expired"));
    // mail-auth's clock is before x=: a clock difference, not a disagreement.
    assert_eq!(c.mail_auth_result, Some(AuthResult::Pass));
    assert!(!c.disagreement);
}

#[tokio::test]
async fn lf_line_endings_are_accepted() {
    let (raw, a, b) = two_hop_chain(str::to_string);
    let raw = raw.replace("\r\n", "\n");
    let keys = two_keys(&a, &b);
    let c = check(&raw, &keys, NOW).await;
    assert_eq!(c.result, AuthResult::Pass, "{:?}", c.reason);
    assert_eq!(c.mail_auth_result, Some(AuthResult::Pass));
}
