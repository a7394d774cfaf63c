//! Receiving layouts met in real mail, each as a fixture written with documentation domains and
//! addresses (an operator's own host names where they are the point): the receiving hop, the
//! client IP the verdicts stand on, and which recorded results are the receiver's own.

use mailsleuth::analysis::{Analysis, DnsMode, Options, analyze};
use mailsleuth::dns::Dns;
use mailsleuth::dns::snapshot::Snapshot;

fn analyse_with(text: &str, opts: Options) -> Analysis {
    let raw = text.replace('\n', "\r\n");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(analyze(
        raw.as_bytes(),
        &opts,
        &Dns::from_snapshot(Snapshot::new()),
    ))
}

fn analyse(text: &str) -> Analysis {
    analyse_with(
        text,
        Options {
            source: "fixture".into(),
            now: 1_793_000_000,
            dns_mode: DnsMode::Snapshot,
            ..Default::default()
        },
    )
}

/// The boundary hop's Received header index and the client IP taken from it.
fn boundary(a: &Analysis) -> (Option<usize>, Option<&str>) {
    (a.envelope.boundary_header, a.envelope.client_ip.as_deref())
}

/// Header indexes of the recorded results marked trusted / untrusted.
fn trusted(a: &Analysis, yes: bool) -> Vec<usize> {
    let mut v: Vec<usize> = a
        .recorded
        .iter()
        .filter(|r| r.trusted == yes)
        .flat_map(|r| std::iter::once(r.header_index).chain(r.also_in_headers.iter().copied()))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn warned(a: &Analysis, code: &str) -> bool {
    a.warnings.iter().any(|w| w.code == code)
}

#[test]
fn qmail_invoked_from_network_on_top_is_walked_past() {
    let a = analyse(
        "Return-Path: <alice@sender.example>
Delivered-To: bob@receiver.example
Received: (qmail 23151 invoked by uid 89); 4 Nov 2026 10:00:03 -0000
Received: (qmail 23148 invoked from network); 4 Nov 2026 10:00:02 -0000
Received: from mail.sender.example (HELO mail.sender.example) (198.51.100.25)
  by mail.receiver.example with ESMTPS (ECDHE-RSA-AES256-GCM-SHA384 encrypted); 4 Nov 2026 10:00:02 -0000
From: alice@sender.example
Subject: qmail

body
",
    );
    assert_eq!(boundary(&a), (Some(4), Some("198.51.100.25")));
    assert_eq!(
        a.envelope.receiver.as_deref(),
        Some("mail.receiver.example")
    );
    // The walk says why it passed each local step.
    assert!(
        a.hops[0]
            .internal
            .as_deref()
            .unwrap()
            .contains("records neither")
    );
}

#[test]
fn dovecot_lmtp_and_amavis_reinjection_are_the_receivers_own() {
    let a = analyse(
        "Return-Path: <alice@sender.example>
Delivered-To: bob@receiver.example
Received: from mx.receiver.example
\tby imap.receiver.example with LMTP
\tid kGbYHQ3gSWfMRAAAm1ee3w
\t(envelope-from <alice@sender.example>)
\tfor <bob@receiver.example>; Wed, 04 Nov 2026 10:00:06 +0000
Received: from localhost (localhost [127.0.0.1])
\tby mx.receiver.example (Postfix) with ESMTP id 4QfB1c2Lmnz9tXe
\tfor <bob@receiver.example>; Wed,  4 Nov 2026 10:00:05 +0000 (UTC)
Received: from mx.receiver.example ([127.0.0.1])
\tby localhost (mx.receiver.example [127.0.0.1]) (amavis, port 10024) with ESMTP
\tid x3Yq8PyQ2Nd5; Wed,  4 Nov 2026 10:00:04 +0000 (UTC)
Received: from mail.sender.example (mail.sender.example [198.51.100.25])
\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))
\tby mx.receiver.example (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd
\tfor <bob@receiver.example>; Wed,  4 Nov 2026 10:00:03 +0000 (UTC)
Received: from [192.0.2.44] (unknown [192.0.2.44])
\tby mail.sender.example (Postfix) with ESMTPSA id 1A2B3C;
\tWed,  4 Nov 2026 10:00:01 +0000 (UTC)
From: alice@sender.example
Subject: lmtp

body
",
    );
    assert_eq!(boundary(&a), (Some(5), Some("198.51.100.25")));
    assert_eq!(a.hops.iter().filter(|h| h.internal.is_some()).count(), 3);
}

#[test]
fn cyrus_lmtpa_over_a_unix_socket_and_local_delivery() {
    let a = analyse(
        "Received: from mx.receiver.example ([unix socket])
\tby imap.receiver.example (Cyrus 3.8.1) with LMTPA;
\tWed, 04 Nov 2026 10:00:06 +0000
Received: from mail.sender.example (mail.sender.example [198.51.100.25])
\tby mx.receiver.example (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd
\tfor <bob@receiver.example>; Wed,  4 Nov 2026 10:00:03 +0000 (UTC)
From: alice@sender.example

body
",
    );
    assert_eq!(boundary(&a), (Some(1), Some("198.51.100.25")));
}

#[test]
fn gmail_internal_hops_without_authentication_results() {
    let a = analyse(
        "Received: by 2002:a05:7300:6d1a:b0:1a2:3b4c:5d6e with SMTP id kx26csp123456dyb;
        Wed, 4 Nov 2026 02:00:05 -0800 (PST)
X-Received: by 2002:a17:90a:1234:: with SMTP id x; Wed, 04 Nov 2026 02:00:05 -0800 (PST)
Received: from mail.sender.example (mail.sender.example. [198.51.100.25])
        by mx.google.com with ESMTPS id a1si123456pgb.123.2026.11.04.02.00.04
        for <bob@gmail.com>
        (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 bits=256/256);
        Wed, 04 Nov 2026 02:00:04 -0800 (PST)
From: alice@sender.example

body
",
    );
    assert_eq!(boundary(&a), (Some(2), Some("198.51.100.25")));
    assert_eq!(a.envelope.receiver.as_deref(), Some("mx.google.com"));
}

#[test]
fn private_shared_ula_and_link_local_clients_are_internal_relays() {
    for client in [
        "10.20.0.12",
        "100.64.3.9",
        "fd12:3456:789a::12",
        "IPv6:fe80::1c2d:3e4f:5a6b:7c8d%6",
    ] {
        let a = analyse(&format!(
            "Received: from hub.receiver.example ([{client}])
\tby store.receiver.example (Postfix) with ESMTP id 4QfB2d3Qxyz8sWd;
\tWed,  4 Nov 2026 10:00:05 +0000 (UTC)
Received: from mail.sender.example (mail.sender.example [198.51.100.25])
\tby hub.receiver.example (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd;
\tWed,  4 Nov 2026 10:00:03 +0000 (UTC)
From: alice@sender.example

body
"
        ));
        assert_eq!(boundary(&a), (Some(1), Some("198.51.100.25")), "{client}");
        assert!(!warned(&a, "client-ip-private"), "{client}");
    }
}

#[test]
fn a_private_client_does_not_vouch_for_an_outside_writer_below() {
    // A receiver behind NAT records every client as 192.168.1.1; the hop below claims an outside
    // server wrote it: the walk stops at the receiver's own hop and says the client is private.
    let a = analyse(
        "Received: from mail.attacker.example (unknown [192.168.1.1])
\tby home.receiver.example (Postfix) with ESMTP id 4QfB1b0Qxyz8sWd;
\tWed,  4 Nov 2026 10:00:03 +0000 (UTC)
Received: from innocent.example (innocent.example [198.51.100.9])
\tby mx.bank.example (Postfix) with ESMTP id 1A2B3C; Wed,  4 Nov 2026 10:00:01 +0000 (UTC)
From: ceo@bank.example

body
",
    );
    assert_eq!(boundary(&a), (Some(0), Some("192.168.1.1")));
    assert!(warned(&a, "client-ip-private"));
}

const EXCHANGE_BEHIND_GATEWAY: &str =
    "Received: from EXCH02.corp.example (10.20.0.12) by EXCH01.corp.example
 (10.20.0.11) with Microsoft SMTP Server (version=TLS1_2,
 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.40 via Mailbox
 Transport; Wed, 4 Nov 2026 11:00:06 +0100
Received: from EXCH01.corp.example (10.20.0.11) by EXCH02.corp.example
 (10.20.0.12) with Microsoft SMTP Server (version=TLS1_2,
 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.40; Wed, 4 Nov 2026
 11:00:06 +0100
Received: from esa3.corp.iphmx.com (192.0.2.200) by EXCH01.corp.example
 (10.20.0.11) with Microsoft SMTP Server (version=TLS1_2,
 cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.40 via Frontend
 Transport; Wed, 4 Nov 2026 11:00:05 +0100
Authentication-Results: esa3.corp.iphmx.com; dkim=none (message not signed) header.i=none;
 spf=Fail smtp.mailfrom=ceo@corp.example; dmarc=fail (p=reject dis=none) d=corp.example
Received-SPF: Fail (esa3.corp.iphmx.com: domain of ceo@corp.example does not designate
 203.0.113.77 as permitted sender) identity=mailfrom; client-ip=203.0.113.77;
 receiver=esa3.corp.iphmx.com; envelope-from=\"ceo@corp.example\"
Received: from mail.attacker.example ([203.0.113.77]) by esa3.corp.iphmx.com with ESMTP;
 04 Nov 2026 11:00:04 +0100
From: CEO <ceo@corp.example>
Subject: wire

body
";

#[test]
fn exchange_hubs_behind_the_organisations_gateway() {
    let a = analyse(EXCHANGE_BEHIND_GATEWAY);
    assert_eq!(boundary(&a), (Some(5), Some("203.0.113.77")));
    assert_eq!(a.envelope.receiver.as_deref(), Some("esa3.corp.iphmx.com"));
    assert_eq!(trusted(&a, true), vec![3, 4]);
    assert!(!warned(&a, "auth-results-ignored"));
    assert!(
        !warned(&a, "hops-above-boundary")
            || !a.warnings.iter().any(|w| w.code == "hops-above-boundary"
                && w.severity == mailsleuth::analysis::Severity::Warning)
    );
}

#[test]
fn without_the_gateways_results_the_walk_stops_at_the_gateway_hand_off() {
    // Nothing the receiver recorded vouches for the gateway's public address (Exchange logs no
    // reverse DNS): the boundary is the hand-off, and its client is the gateway.
    let text = EXCHANGE_BEHIND_GATEWAY
        .split('\n')
        .filter(|l| !l.starts_with("Authentication-Results") && !l.starts_with("Received-SPF"))
        .filter(|l| {
            !(l.starts_with(' ')
                && (l.contains("spf=Fail")
                    || l.contains("203.0.113.77 as")
                    || l.contains("receiver=esa3")))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let a = analyse(&text);
    assert_eq!(boundary(&a), (Some(2), Some("192.0.2.200")));
}

const OUTLOOK: &str = "Received: from SA1PR11MB6000.namprd11.prod.outlook.com (::1) by
 SA1PR11MB6000.namprd11.prod.outlook.com with HTTPS; Wed, 4 Nov 2026 10:00:06 +0000
Received: from BN9PR03CA0123.namprd03.prod.outlook.com (2603:10b6:408:fe::8) by
 SA1PR11MB6000.namprd11.prod.outlook.com (2603:10b6:806:2b4::12) with Microsoft
 SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id
 15.20.8000.10; Wed, 4 Nov 2026 10:00:05 +0000
Received: from BN2PEPF000044A9.namprd04.prod.outlook.com
 (2603:10b6:408:fe:cafe::2) by BN9PR03CA0123.outlook.office365.com
 (2603:10b6:408:fe::8) with Microsoft SMTP Server (version=TLS1_3,
 cipher=TLS_AES_256_GCM_SHA384) id 15.20.8000.10 via Frontend Transport; Wed, 4
 Nov 2026 10:00:05 +0000
Authentication-Results: spf=fail (sender IP is 203.0.113.50)
 smtp.mailfrom=telekom.example; dkim=none (message not signed)
 header.d=none;dmarc=fail action=oreject
 header.from=telekom.example;compauth=fail reason=000
Received-SPF: Fail (protection.outlook.com: domain of telekom.example does not
 designate 203.0.113.50 as permitted sender) receiver=protection.outlook.com;
 client-ip=203.0.113.50; helo=mail.attacker.example;
Received: from mail.attacker.example (203.0.113.50) by
 BN2PEPF000044A9.mail.protection.outlook.com (10.167.243.160) with Microsoft SMTP
 Server id 15.20.8000.10 via Frontend Transport; Wed, 4 Nov 2026 10:00:04 +0000
Received: from [192.0.2.1] by mail.attacker.example with HTTP; Wed, 4 Nov 2026 10:00:03 +0000
Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=telekom.example
From: Telekom <rechnung@telekom.example>
Subject: Ihre Rechnung
X-MS-Exchange-Organization-SCL: 9
X-MS-Exchange-Organization-AuthAs: Anonymous

body
";

#[test]
fn outlook_internal_hops_loopback_and_regional_networks() {
    let a = analyse(OUTLOOK);
    assert_eq!(boundary(&a), (Some(5), Some("203.0.113.50")));
    // Microsoft's results carry no authserv-id: named from its markers, never "?".
    let ms: Vec<_> = a.recorded.iter().filter(|r| r.header_index == 3).collect();
    assert!(!ms.is_empty() && ms.iter().all(|r| r.trusted), "{ms:?}");
    assert!(
        ms.iter()
            .all(|r| r.recorded_by.as_deref() == Some("Microsoft (protection.outlook.com)")),
        "{ms:?}"
    );
    assert!(trusted(&a, true).contains(&4));
    // The sender's own claim below is not the receiver's.
    assert!(trusted(&a, false).contains(&7));
}

#[test]
fn outlook_without_authentication_results_still_walks_microsofts_hops() {
    let text: String = OUTLOOK
        .split('\n')
        .filter(|l| !l.starts_with("Authentication-Results") && !l.starts_with("Received-SPF"))
        .filter(|l| {
            !(l.starts_with(' ')
                && (l.contains("smtp.mailfrom=telekom")
                    || l.contains("header.d=none")
                    || l.contains("header.from=telekom")
                    || l.contains("designate 203")
                    || l.contains("client-ip=203")))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let a = analyse(&text);
    assert_eq!(boundary(&a), (Some(3), Some("203.0.113.50")));
    let why = a.hops[1].internal.as_deref().unwrap();
    assert!(
        why.contains("Microsoft's internal relay network 2603:10b6::/32"),
        "{why}"
    );
}

#[test]
fn an_rfc2047_encoded_microsoft_authentication_results_is_decoded_then_read() {
    let text = OUTLOOK.replace(
        "Authentication-Results: spf=fail (sender IP is 203.0.113.50)
 smtp.mailfrom=telekom.example; dkim=none (message not signed)
 header.d=none;dmarc=fail action=oreject
 header.from=telekom.example;compauth=fail reason=000",
        "Authentication-Results: =?us-ascii?Q?spf=3Dfail_(sender_IP_is_203.0.113.50)_smtp.mailfrom=3Dtelekom.example;?=
 =?us-ascii?Q?_dmarc=3Dfail_action=3Doreject_header.from=3Dtelekom.example;compauth=3Dfail_reason=3D000?=",
    );
    let a = analyse(&text);
    assert_eq!(boundary(&a), (Some(5), Some("203.0.113.50")));
    let dmarc = a
        .recorded
        .iter()
        .find(|r| r.header_index == 3 && r.method == "dmarc")
        .expect("the decoded header's dmarc result");
    assert_eq!(dmarc.result, "fail");
    assert!(dmarc.trusted);
}

#[test]
fn x_ms_exchange_authentication_results_is_a_recorded_result() {
    let text = OUTLOOK.replace(
        "Received-SPF: Fail",
        "X-MS-Exchange-Authentication-Results: spf=fail (sender IP is 203.0.113.50)
 smtp.mailfrom=telekom.example
Received-SPF: Fail",
    );
    let a = analyse(&text);
    let r: Vec<_> = a
        .recorded
        .iter()
        .filter(|r| r.header_name == "X-MS-Exchange-Authentication-Results")
        .collect();
    assert_eq!(r.len(), 1);
    assert!(r[0].trusted, "{r:?}");
}

const POSTFIX_MILTER: &str = "Return-Path: <alice@sender.example>
Received: from mail.sender.example (mail.sender.example [198.51.100.25])
\tby mx.receiver.example (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd
\tfor <bob@receiver.example>; Wed,  4 Nov 2026 10:00:03 +0000 (UTC)
Authentication-Results: mx.receiver.example; dkim=pass (2048-bit key; unprotected)
\theader.d=sender.example header.i=@sender.example header.b=AbCdEfGh
Authentication-Results: mx.receiver.example; dmarc=pass (p=reject dis=none)
\theader.from=sender.example
Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=sender.example
Received: from [192.0.2.44] (unknown [192.0.2.44])
\tby mail.sender.example (Postfix) with ESMTPSA id 1A2B3C;
\tWed,  4 Nov 2026 10:00:01 +0000 (UTC)
From: alice@sender.example
Subject: milter

body
";

#[test]
fn milter_results_directly_under_the_receivers_received_are_its_own() {
    let a = analyse(POSTFIX_MILTER);
    assert_eq!(boundary(&a), (Some(1), Some("198.51.100.25")));
    assert_eq!(trusted(&a, true), vec![2, 3, 4]);
    assert!(!warned(&a, "forged-auth-results"));
}

#[test]
fn a_result_among_the_senders_hops_stays_forged() {
    // The same claim one Received further down was written before the receiver got it.
    let text = POSTFIX_MILTER.replace(
        "From: alice@sender.example",
        "Received: from [192.0.2.45] by mail.sender.example; Wed,  4 Nov 2026 10:00:00 +0000
Authentication-Results: mx.receiver.example; dmarc=pass header.from=bank.example
From: alice@sender.example",
    );
    let a = analyse(&text);
    assert!(trusted(&a, false).contains(&7), "{:?}", a.recorded);
    assert!(warned(&a, "forged-auth-results"));
}

#[test]
fn a_result_that_contradicts_the_receivers_own_above_it_is_not_trusted() {
    let text = POSTFIX_MILTER.replace(
        "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=sender.example",
        "Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=sender.example
Authentication-Results: mx.receiver.example; dmarc=fail header.from=sender.example",
    );
    let a = analyse(&text);
    let forged = a
        .recorded
        .iter()
        .find(|r| r.header_index == 5 && r.method == "dmarc")
        .unwrap();
    assert!(!forged.trusted);
    assert!(forged.note.as_deref().unwrap().contains("contradicts"));
    assert!(trusted(&a, true).contains(&3));
}

#[test]
fn a_result_that_records_another_client_is_not_the_receivers() {
    let text = POSTFIX_MILTER.replace(
        "spf=pass smtp.mailfrom=sender.example",
        "spf=pass smtp.mailfrom=sender.example smtp.remote-ip=203.0.113.9",
    );
    let a = analyse(&text);
    assert!(trusted(&a, false).contains(&4));
    assert!(warned(&a, "forged-auth-results"));
}

#[test]
fn proton_export_results_after_every_received_tied_by_the_client_ip() {
    let a = analyse(
        "Return-Path: <alice@sender.example>
X-Original-To: bob@proton.me
Delivered-To: bob@proton.me
Received: from mail.sender.example (mail.sender.example [198.51.100.25]) (using TLSv1.3
\t with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature
\t RSA-PSS (2048 bits) server-digest SHA256) (No client certificate requested) by
\t mailin036.protonmail.ch (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd for <bob@proton.me>;
\t Wed,  4 Nov 2026 10:00:03 +0000 (UTC)
Received: from [192.0.2.44] by mail.sender.example with ESMTPSA id 1A2B3C;
\t Wed,  4 Nov 2026 10:00:01 +0000 (UTC)
From: alice@sender.example
Subject: proton
Authentication-Results: mail.protonmail.ch; dkim=pass (2048-bit key) header.d=sender.example
Authentication-Results: mail.protonmail.ch; spf=pass smtp.mailfrom=sender.example
Authentication-Results: mail.protonmail.ch; arc=none smtp.remote-ip=198.51.100.25
Authentication-Results: mail.protonmail.ch; dmarc=pass (p=quarantine dis=none)
\t header.from=sender.example

body
",
    );
    assert_eq!(boundary(&a), (Some(3), Some("198.51.100.25")));
    assert_eq!(trusted(&a, true), vec![7, 8, 9, 10], "{:?}", a.recorded);
}

#[test]
fn an_appended_milter_result_is_tied_by_the_queue_id_beside_it() {
    let a = analyse(
        "Received: from mail.sender.example (mail.sender.example [198.51.100.25])
\tby mx.receiver.example (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd;
\tWed,  4 Nov 2026 10:00:03 +0000 (UTC)
Received: from [192.0.2.44] by mail.sender.example with ESMTPSA id 1A2B3C;
\tWed,  4 Nov 2026 10:00:01 +0000 (UTC)
From: alice@sender.example
Authentication-Results: mx.receiver.example; dmarc=pass header.from=sender.example
X-Rspamd-Queue-Id: 4QfB1b0Qxyz8sWd

body
",
    );
    assert_eq!(trusted(&a, true), vec![3]);
    // Without the tie it could be the sender's.
    let a = analyse(
        "Received: from mail.sender.example (mail.sender.example [198.51.100.25])
\tby mx.receiver.example (Postfix) with ESMTPS id 4QfB1b0Qxyz8sWd;
\tWed,  4 Nov 2026 10:00:03 +0000 (UTC)
Received: from [192.0.2.44] by mail.sender.example with ESMTPSA id 1A2B3C;
\tWed,  4 Nov 2026 10:00:01 +0000 (UTC)
From: alice@sender.example
Authentication-Results: mx.receiver.example; dmarc=pass header.from=sender.example

body
",
    );
    assert_eq!(trusted(&a, false), vec![3]);
}

#[test]
fn receiver_option_still_overrides_the_walk() {
    let a = analyse_with(
        POSTFIX_MILTER,
        Options {
            source: "fixture".into(),
            now: 1_793_000_000,
            dns_mode: DnsMode::Snapshot,
            receiver: Some("mail.sender.example".into()),
            ..Default::default()
        },
    );
    assert_eq!(boundary(&a), (Some(5), Some("192.0.2.44")));
}
