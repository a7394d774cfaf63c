//! One behaviour each, on header values in each vendor's own layout (documentation domains and
//! addresses; Microsoft's host names are real).

use super::*;
use crate::analysis::Options;
use crate::analysis::trail::{boundary, headers, received};

/// The verdict of a message's headers, with the compiled-in table.
fn verdict_of(text: &str) -> Option<ReceiverVerdict> {
    verdict_with(text, Receivers::default().table())
}

fn verdict_with(text: &str, table: &ReceiverTable) -> Option<ReceiverVerdict> {
    let parsed = headers::split_headers(text.replace('\n', "\r\n").as_bytes());
    let (mut hops, _) = received::parse_hops(&parsed.headers);
    let (envelope, _) =
        boundary::reconstruct_envelope(&parsed.headers, &mut hops, &Options::default());
    receiver_verdict(&parsed.headers, &envelope, &hops, table)
}

fn field<'a>(v: &'a ReceiverVerdict, header: &str, name: &str) -> &'a VerdictField {
    v.items
        .iter()
        .filter(|i| i.header_name.eq_ignore_ascii_case(header))
        .flat_map(|i| i.fields.iter())
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{header} {name} in {v:#?}"))
}

fn copies<'a>(v: &'a ReceiverVerdict, header: &str) -> Vec<&'a VerdictItem> {
    v.items.iter().filter(|i| i.header_name == header).collect()
}

fn item<'a>(v: &'a ReceiverVerdict, header: &str) -> &'a VerdictItem {
    v.items
        .iter()
        .find(|i| i.header_name.eq_ignore_ascii_case(header))
        .unwrap_or_else(|| panic!("{header} in {v:#?}"))
}

/// Outlook.com's layout: internal hops on top, its A-R under them, the sender's headers, then
/// Exchange's own headers at the very bottom.
const OUTLOOK: &str = include_str!("../../../tests/fixtures/outlook-com-phish.eml");

#[test]
fn compiled_in_table_parses_with_every_vendor() {
    let table = ReceiverTable::parse(DEFAULT_TABLE).expect("assets/receivers.toml parses");
    for id in [
        "microsoft",
        "spamassassin",
        "rspamd",
        "proofpoint",
        "mimecast",
        "ironport",
        "barracuda",
    ] {
        assert!(table.vendor.contains_key(id), "{id}");
    }
}

#[test]
fn compauth_value_and_reason_are_decoded_with_their_documented_meaning() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert_eq!(
        field(&v, "Authentication-Results", "compauth").value,
        "fail"
    );
    let reason = field(&v, "Authentication-Results", "reason");
    assert_eq!(reason.value, "001");
    assert!(
        reason
            .meaning
            .as_deref()
            .is_some_and(|m| m.contains("implicit authentication failure")),
        "{reason:?}"
    );
}

#[test]
fn compauth_reason_patterns_match_by_digit() {
    let table = Receivers::default();
    let spec = table.table().vendor["microsoft"]
        .header_spec("Authentication-Results")
        .and_then(|h| h.field_spec("reason"))
        .expect("reason spec");
    assert_eq!(
        decode::lookup(spec, "130").and_then(|c| c.short()),
        Some("passed: ARC overrode a DMARC failure")
    );
    assert_eq!(
        decode::lookup(spec, "109").and_then(|c| c.short()),
        Some("passed")
    );
    assert_eq!(
        decode::lookup(spec, "451").and_then(|c| c.short()),
        Some("bypassed")
    );
    assert!(decode::lookup(spec, "1234").is_none());
}

#[test]
fn scl_values_match_documented_ranges() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    let scl = field(&v, "X-MS-Exchange-Organization-SCL", "SCL");
    assert_eq!(scl.value, "9");
    assert!(
        scl.meaning
            .as_deref()
            .unwrap_or("")
            .contains("high confidence spam")
    );
}

#[test]
fn pcl_and_authas_are_decoded() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert!(
        field(&v, "X-MS-Exchange-Organization-PCL", "PCL")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("neutral")
    );
    assert!(
        field(&v, "X-MS-Exchange-Organization-AuthAs", "AuthAs")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("unauthenticated")
    );
}

#[test]
fn forefront_report_fields_are_decoded_and_undocumented_ones_left_out() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert!(
        field(&v, "X-Forefront-Antispam-Report", "SFV")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("marked the message as spam")
    );
    assert!(
        field(&v, "X-Forefront-Antispam-Report", "CAT")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("spoofing")
    );
    assert!(
        field(&v, "X-Forefront-Antispam-Report", "IPV")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("not found on any IP reputation list")
    );
    assert_eq!(
        field(&v, "X-Forefront-Antispam-Report", "CIP").value,
        "203.0.113.45"
    );
    assert_eq!(
        field(&v, "X-Forefront-Antispam-Report", "DIR")
            .meaning
            .as_deref(),
        Some("the message's direction: inbound")
    );
    // Empty fields (SRV:, PTR:) say nothing.
    let ff = item(&v, "X-Forefront-Antispam-Report");
    assert!(!ff.fields.iter().any(|f| f.name == "SRV" || f.name == "PTR"));
}

#[test]
fn bcl_is_read_from_x_microsoft_antispam() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    let bcl = field(&v, "X-Microsoft-Antispam", "BCL");
    assert_eq!(bcl.value, "0");
    assert!(
        bcl.meaning
            .as_deref()
            .unwrap_or("")
            .contains("not from a bulk sender")
    );
    assert!(
        !item(&v, "X-Microsoft-Antispam")
            .fields
            .iter()
            .any(|f| f.name == "ARA")
    );
}

#[test]
fn mailbox_delivery_dest_names_the_folder() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert!(
        field(&v, "X-Microsoft-Antispam-Mailbox-Delivery", "dest")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("Junk Email")
    );
    // Fields with no documented meaning are shown, saying nothing about them.
    assert_eq!(
        field(&v, "X-Microsoft-Antispam-Mailbox-Delivery", "ucf").meaning,
        None
    );
}

#[test]
fn x_message_delivery_is_base64_decoded() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert_eq!(field(&v, "X-Message-Delivery", "V").value, "1.1");
    assert_eq!(field(&v, "X-Message-Delivery", "SCL").value, "4");
    assert_eq!(field(&v, "X-Message-Delivery", "GD").value, "2");
}

#[test]
fn x_message_delivery_that_is_not_base64_is_kept_as_written() {
    let fields = decode::item(
        &Receivers::default().table().vendor["microsoft"],
        Receivers::default().table().vendor["microsoft"]
            .header_spec("X-Message-Delivery")
            .unwrap(),
        &headers::split_headers(b"X-Message-Delivery: not*base64!\r\n\r\n").headers[0],
    )
    .expect("item")
    .fields;
    assert_eq!(fields[0].name, "not base64 text");
}

#[test]
fn sender_id_result_and_pra_are_decoded() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert!(
        field(&v, "X-SID-Result", "SID")
            .meaning
            .as_deref()
            .unwrap_or("")
            .contains("publishes no record")
    );
    assert_eq!(field(&v, "X-SID-PRA", "PRA").value, "RECHNUNG@EXAMPLE.COM");
}

#[test]
fn outlook_headers_at_the_bottom_are_trusted_by_exchange_markers() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert_eq!(v.receiver_label, "Outlook.com");
    let scl = item(&v, "X-MS-Exchange-Organization-SCL");
    assert!(scl.trusted, "{scl:?}");
    assert!(
        scl.trust_reason.contains("X-MS-Exchange-Organization-"),
        "{}",
        scl.trust_reason
    );
    assert!(v.items.iter().all(|i| i.trusted), "{v:#?}");
}

#[test]
fn outlook_line_states_compauth_scl_and_folder() {
    let v = verdict_of(OUTLOOK).expect("verdict");
    assert_eq!(
        v.line.as_deref(),
        Some(
            "Outlook.com decided: compauth=fail (001: the From domain did not authenticate: no or weak SPF/DKIM/DMARC records), SCL 9, BCL 0, category SPOOF, delivered to Junk"
        )
    );
}

#[test]
fn another_tenant_is_labelled_microsoft_365() {
    let text = OUTLOOK.replace(
        "84df9e7f-e9f6-40af-b435-aaaaaaaaaaaa",
        "00000000-1111-2222-3333-444444444444",
    );
    assert_eq!(
        verdict_of(&text).expect("verdict").receiver_label,
        "Microsoft 365 (tenant)"
    );
}

#[test]
fn safe_senders_list_overriding_scl_is_said() {
    let text = OUTLOOK
        .replace("SFV:SPM", "SFV:SFE")
        .replace("dest:J", "dest:I")
        .replace("RF:JunkEmail;", "");
    let line = verdict_of(&text).and_then(|v| v.line).expect("line");
    assert!(
        line.ends_with("the recipient's Safe Senders list overrode spam filtering (SFV:SFE), delivered to Inbox"),
        "{line}"
    );
}

#[test]
fn microsoft_headers_without_exchange_markers_are_untrusted() {
    let text: String = OUTLOOK
        .lines()
        .filter(|l| !l.starts_with("X-MS-Exchange-"))
        .map(|l| format!("{l}\n"))
        .collect();
    let v = verdict_of(&text).expect("verdict");
    assert!(v.items.iter().all(|i| !i.trusted), "{v:#?}");
    assert!(
        item(&v, "X-Forefront-Antispam-Report")
            .trust_reason
            .starts_with("untrusted: the receiving hop is at Microsoft, but no")
    );
    assert_eq!(v.line, None);
}

#[test]
fn a_second_copy_above_microsofts_own_is_untrusted() {
    let text = OUTLOOK.replace(
        "From: Telekom",
        "X-Forefront-Antispam-Report: SFV:NSPM;SCL:-1;\nFrom: Telekom",
    );
    let v = verdict_of(&text).expect("verdict");
    let copies = copies(&v, "X-Forefront-Antispam-Report");
    assert_eq!(copies.len(), 2);
    assert!(!copies[0].trusted && copies[0].trust_reason.contains("sits below it"));
    assert!(copies[1].trusted);
}

/// Postfix with SpamAssassin at mx.example.net: its headers above the receiver's Received.
const SPAMASSASSIN: &str =
    "X-Spam-Checker-Version: SpamAssassin 4.0.0 (2022-12-13) on mx.example.net
X-Spam-Flag: YES
X-Spam-Level: ************
X-Spam-Status: Yes, score=12.3 required=5.0 tests=BAYES_99,DKIM_ADSP_NXDOMAIN,
\tRDNS_NONE,SPF_FAIL autolearn=no autolearn_force=no version=4.0.0
X-Spam-Report: 
\t*  3.5 BAYES_99 BODY: Bayes spam probability is 99 to 100%
\t*      [score: 1.0000]
\t*  0.9 SPF_FAIL SPF: sender does not match SPF record (fail)
\t*  1.3 RDNS_NONE Delivered to internal network by a host with no rDNS
Received: from unknown (HELO mail.example.org) (203.0.113.9)
\tby mx.example.net (Postfix) with ESMTP id 4QTm7k1Zbdz2xFh
\tfor <bob@example.net>; Wed, 4 Nov 2026 10:05:36 +0000
From: a@example.org
Subject: x

body
";

#[test]
fn spam_status_fields_are_read_with_folded_tests() {
    let f = spamassassin::status_fields(
        "Yes, score=12.3 required=5.0 tests=BAYES_99,DKIM_ADSP_NXDOMAIN, RDNS_NONE,SPF_FAIL autolearn=no version=4.0.0",
    );
    assert_eq!(f[0], ("spam".into(), "Yes".into()));
    assert!(f.contains(&("score".into(), "12.3".into())));
    assert!(f.contains(&(
        "tests".into(),
        "BAYES_99,DKIM_ADSP_NXDOMAIN,RDNS_NONE,SPF_FAIL".into()
    )));
    assert!(f.contains(&("version".into(), "4.0.0".into())));
}

#[test]
fn spam_report_lists_each_test_with_its_score() {
    let v = verdict_of(SPAMASSASSIN).expect("verdict");
    let bayes = field(&v, "X-Spam-Report", "BAYES_99");
    assert_eq!(
        bayes.value,
        "3.5 — BODY: Bayes spam probability is 99 to 100% [score: 1.0000]"
    );
    assert_eq!(
        field(&v, "X-Spam-Report", "RDNS_NONE")
            .value
            .split(' ')
            .next(),
        Some("1.3")
    );
}

#[test]
fn spamassassin_above_the_receivers_received_on_its_host_is_trusted() {
    let v = verdict_of(SPAMASSASSIN).expect("verdict");
    assert_eq!(v.receiver_label, "SpamAssassin on mx.example.net");
    assert!(v.items.iter().all(|i| i.trusted), "{v:#?}");
    assert_eq!(
        v.line.as_deref(),
        Some("SpamAssassin on mx.example.net decided: spam (score 12.3, required 5.0)")
    );
}

#[test]
fn spamassassin_naming_another_host_could_have_come_from_the_sender() {
    let text = SPAMASSASSIN.replace("on mx.example.net", "on filter.example.org");
    let v = verdict_of(&text).expect("verdict");
    let status = item(&v, "X-Spam-Status");
    assert!(!status.trusted);
    assert!(
        status.trust_reason.contains("names filter.example.org"),
        "{}",
        status.trust_reason
    );
    assert_eq!(v.line, None);
}

#[test]
fn spamassassin_below_the_boundary_could_have_come_from_the_sender() {
    let text = "Received: from mail.example.org (mail.example.org [203.0.113.9])
\tby mx.example.net (Postfix) with ESMTP id 4QTm7k1Zbdz2xFh; Wed, 4 Nov 2026 10:05:36 +0000
X-Spam-Status: No, score=-5.0 required=5.0 tests=ALL_TRUSTED
From: a@example.org

body
";
    let v = verdict_of(text).expect("verdict");
    let status = item(&v, "X-Spam-Status");
    assert!(!status.trusted);
    assert!(
        status
            .trust_reason
            .starts_with("could have come from the sender: it sits below")
    );
}

const RSPAMD: &str = "X-Rspamd-Queue-Id: 6F5BC476EDF
X-Rspamd-Action: add header
X-Rspamd-Server: mx
X-Spamd-Result: default: False [7.10 / 15.00];
\tBAYES_SPAM(5.10)[99.99%];
\tR_SPF_FAIL(1.00)[-all];
\tMIME_GOOD(-0.10)[text/plain];
\tFROM_HAS_DN(0.00)[]
X-Spamd-Bar: +++++++
Received: from mail.example.org (mail.example.org [203.0.113.9])
\tby mx.example.net (Postfix) with ESMTPS id 6F5BC476EDF
\tfor <bob@example.net>; Wed, 4 Nov 2026 10:05:36 +0000
From: a@example.org

body
";

#[test]
fn rspamd_result_reads_score_threshold_and_symbols() {
    let f = rspamd::result_fields(
        "default: False [7.10 / 15.00]; BAYES_SPAM(5.10)[99.99%]; R_SPF_FAIL(1.00)[-all]; FROM_HAS_DN(0.00)[]",
    );
    assert_eq!(f[0], ("default".into(), "False".into()));
    assert_eq!(f[1], ("score".into(), "7.10".into()));
    assert_eq!(f[2], ("threshold".into(), "15.00".into()));
    assert!(f.contains(&("BAYES_SPAM".into(), "5.10 [99.99%]".into())));
    assert!(f.contains(&("FROM_HAS_DN".into(), "0.00".into())));
}

#[test]
fn rspamd_result_reads_the_older_space_separated_layout() {
    let f = rspamd::result_fields(
        "default: True [16.00 / 15.00] R_SPF_FAIL(1.00)[-all] BAYES_SPAM(5.10)[a;b]",
    );
    assert!(f.contains(&("R_SPF_FAIL".into(), "1.00 [-all]".into())));
    assert!(f.contains(&("BAYES_SPAM".into(), "5.10 [a;b]".into())));
}

#[test]
fn rspamd_on_a_bare_host_name_of_the_receiver_is_trusted() {
    let v = verdict_of(RSPAMD).expect("verdict");
    assert_eq!(v.receiver_label, "rspamd on mx");
    assert!(v.items.iter().all(|i| i.trusted), "{v:#?}");
    assert_eq!(
        v.line.as_deref(),
        Some("rspamd on mx decided: add header (marked as spam), score 7.10 / 15.00")
    );
}

#[test]
fn proofpoint_details_give_rule_and_score() {
    let text = "X-Proofpoint-Spam-Details: rule=spam policy=default score=100 priorityscore=1501 malwarescore=0 classifier=spam adjust=0 reason=mlx scancount=1 engine=8.12.0-2009150000 definitions=main-2009210115
Received: from mail.example.org (mail.example.org [203.0.113.9])
\tby mx0a.example.net with ESMTP id 33n4s0g7k8; Wed, 4 Nov 2026 10:05:36 +0000
From: a@example.org

body
";
    let v = verdict_of(text).expect("verdict");
    assert_eq!(field(&v, "X-Proofpoint-Spam-Details", "rule").value, "spam");
    assert_eq!(
        v.line.as_deref(),
        Some("Proofpoint decided: rule spam, score 100")
    );
}

#[test]
fn barracuda_status_reads_its_levels() {
    let text = "X-Barracuda-Spam-Score: 10.11
X-Barracuda-Spam-Status: Yes, SCORE=10.11 using per-user scores of TAG_LEVEL=3.5 QUARANTINE_LEVEL=9.0 KILL_LEVEL=1000.0 tests=BSF_SC0_MISMATCH_TO, HTML_MESSAGE
Received: from mail.example.org (mail.example.org [203.0.113.9])
\tby barracuda.example.net with ESMTP id 33n4s0g7k8; Wed, 4 Nov 2026 10:05:36 +0000
From: a@example.org

body
";
    let v = verdict_of(text).expect("verdict");
    assert_eq!(
        field(&v, "X-Barracuda-Spam-Status", "QUARANTINE_LEVEL").value,
        "9.0"
    );
    assert_eq!(
        field(&v, "X-Barracuda-Spam-Status", "tests").value,
        "BSF_SC0_MISMATCH_TO,HTML_MESSAGE"
    );
    assert_eq!(
        v.line.as_deref(),
        Some("Barracuda decided: spam, score 10.11")
    );
}

#[test]
fn mimecast_and_ironport_headers_are_read() {
    let text = "X-Mimecast-Spam-Score: 4
X-IronPort-AV: E=Sophos;i=\"6.00,222,1700000000\";d=\"scan'208\";a=\"12345\"
X-IronPort-Anti-Spam-Filtered: true
Received: from mail.example.org (mail.example.org [203.0.113.9])
\tby esa1.example.net with ESMTP id 33n4s0g7k8; Wed, 4 Nov 2026 10:05:36 +0000
From: a@example.org

body
";
    let v = verdict_of(text).expect("verdict");
    assert_eq!(field(&v, "X-Mimecast-Spam-Score", "spam score").value, "4");
    assert_eq!(field(&v, "X-IronPort-AV", "E").value, "Sophos");
    assert_eq!(
        v.line.as_deref(),
        Some("Mimecast decided: spam score 4; Cisco IronPort decided: filtered true")
    );
}

#[test]
fn no_verdict_headers_means_no_verdict() {
    assert_eq!(
        verdict_of(
            "Received: from a.example.org (a.example.org [203.0.113.9]) by mx.example.net; Wed, 4 Nov 2026 10:05:36 +0000\nFrom: a@example.org\n\nbody\n"
        ),
        None
    );
}

#[test]
fn a_user_table_adds_a_vendor_and_keeps_ours() {
    let table = ReceiverTable::with_user_file(
        r#"
[vendor.acme]
label = "Acme Filter"
line = ["verdict"]
[vendor.acme.header."X-Acme-Verdict"]
format = "value"
name = "verdict"
[vendor.acme.header."X-Acme-Verdict".field.verdict.codes]
junk = { meaning = "filed as junk", short = "junk" }
"#,
    )
    .expect("user file merges");
    assert!(table.vendor.contains_key("microsoft"));
    let text = "X-Acme-Verdict: junk
Received: from mail.example.org (mail.example.org [203.0.113.9])
\tby mx.example.net with ESMTP id 1; Wed, 4 Nov 2026 10:05:36 +0000
From: a@example.org

body
";
    let v = verdict_with(text, &table).expect("verdict");
    assert_eq!(
        field(&v, "X-Acme-Verdict", "verdict").meaning.as_deref(),
        Some("filed as junk")
    );
    assert_eq!(v.line.as_deref(), Some("Acme Filter decided: junk"));
}

#[test]
fn a_user_table_overrides_one_meaning() {
    let table = ReceiverTable::with_user_file(
        "[vendor.microsoft.header.\"X-Forefront-Antispam-Report\".field.SFV.codes]\nSPM = \"ours now\"\n",
    )
    .expect("merges");
    let v = verdict_with(OUTLOOK, &table).expect("verdict");
    assert_eq!(
        field(&v, "X-Forefront-Antispam-Report", "SFV")
            .meaning
            .as_deref(),
        Some("spam filtering verdict: ours now")
    );
    assert!(
        field(&v, "X-Forefront-Antispam-Report", "CAT")
            .meaning
            .is_some()
    );
}

#[test]
fn a_broken_user_table_is_an_error() {
    assert!(ReceiverTable::with_user_file("[vendor.x\nlabel=").is_err());
    assert!(
        ReceiverTable::with_user_file("[vendor.x]\nkind = \"nonsense\"\nlabel = \"X\"").is_err()
    );
}

#[test]
fn odd_header_names_and_values_do_not_panic() {
    let text = OUTLOOK
        .replace(
            "X-MS-Exchange-Organization-AuthAs",
            "X-MS-Exchange-Organizatioñ-AuthAs",
        )
        .replace(
            "X-SID-PRA: RECHNUNG@EXAMPLE.COM",
            "X-MS-Exchangé: x\nX-SID-PRA:",
        )
        .replace("BCL:0;", "BCL;;:;=;")
        .replace("dest:J;", "dest:;ÿ:\u{1F600};");
    let v = verdict_of(&text).expect("verdict");
    assert!(v.line.is_some());
    for value in ["", "default:", "default: [", "(((", "A(1)[[[", ";;;"] {
        let _ = rspamd::result_fields(value);
        let _ = spamassassin::status_fields(value);
        let _ = spamassassin::report_fields(value);
    }
}

#[test]
fn of_two_compauth_results_the_one_under_microsofts_received_is_trusted() {
    // A forwarded message: an earlier Microsoft tenant's A-R travels among the sender's headers.
    let text = OUTLOOK.replace(
        "From: Telekom",
        "Authentication-Results: compauth=pass reason=100\nFrom: Telekom",
    );
    let v = verdict_of(&text).expect("verdict");
    let copies = copies(&v, "Authentication-Results");
    assert_eq!(copies.len(), 2);
    assert!(copies[0].trusted, "{:?}", copies[0]);
    assert!(!copies[1].trusted && copies[1].trust_reason.contains("sits above it"));
    assert!(
        v.line
            .as_deref()
            .unwrap_or("")
            .contains("compauth=fail (001")
    );
}
