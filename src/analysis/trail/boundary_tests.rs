use super::*;
use crate::analysis::trail::headers::split_headers;
use crate::analysis::trail::hosts::same_server;
use crate::analysis::trail::operators::Operators;
use crate::analysis::trail::received::*;

fn ops() -> Operators {
    Operators::default()
}

fn hop(value: &str) -> Hop {
    parse_received(0, &value.replace('\n', " "))
}

fn message(text: &str) -> Vec<Header> {
    split_headers(text.replace('\n', "\r\n").as_bytes()).headers
}

#[test]
fn postfix_form_with_tls() {
    let h = hop(
        "from mail.sender.example (mail-out.sender.example [203.0.113.5])
	(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
	 key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)
	(No client certificate requested)
	by mx.receiver.example (Postfix) with ESMTPS id 4ABCD12345
	for <user@receiver.example>; Mon, 13 Nov 2023 10:00:05 +0000 (UTC)",
    );
    assert_eq!(h.helo.as_deref(), Some("mail.sender.example"));
    assert_eq!(h.from_rdns.as_deref(), Some("mail-out.sender.example"));
    assert_eq!(h.from_ip.as_deref(), Some("203.0.113.5"));
    assert_eq!(h.by_host.as_deref(), Some("mx.receiver.example"));
    assert_eq!(h.with.as_deref(), Some("ESMTPS"));
    assert_eq!(h.id.as_deref(), Some("4ABCD12345"));
    // mail vs mail-out of the same domain: no mismatch flagged.
    assert!(
        h.anomalies.iter().all(|a| !a.contains("HELO")),
        "{:?}",
        h.anomalies
    );
    assert_eq!(h.for_addr.as_deref(), Some("user@receiver.example"));
    assert_eq!(h.tls.as_deref(), Some("TLSv1.3 TLS_AES_256_GCM_SHA384"));
    assert_eq!(h.timestamp, Some(1699869605));
}

#[test]
fn postfix_unknown_rdns_and_ipv6() {
    let h = hop(
        "from helo.example (unknown [IPv6:2001:db8::25]) by mx.example.org \
                 (Postfix) with ESMTP id X; Mon, 13 Nov 2023 10:00:05 +0000",
    );
    assert_eq!(h.helo.as_deref(), Some("helo.example"));
    assert_eq!(h.from_rdns, None);
    assert_eq!(h.from_ip.as_deref(), Some("2001:db8::25"));
    assert_eq!(h.tls, None);
    assert!(
        h.anomalies
            .iter()
            .any(|a| a.starts_with("no reverse DNS name"))
    );
    assert!(h.anomalies.iter().any(|a| a.contains("documentation")));
}

#[test]
fn sendmail_form_with_ident_and_may_be_forged() {
    let h = hop(
        "from helo.example (user@rdns.example [198.51.100.7] (may be forged))
	by mx.example.org (8.15.2/8.15.2) with ESMTP id 3AB1C2D3004567
	for <u@example.org>; Tue, 14 Nov 2023 09:00:00 -0500",
    );
    assert_eq!(h.helo.as_deref(), Some("helo.example"));
    assert_eq!(h.from_rdns.as_deref(), Some("rdns.example"));
    assert_eq!(h.from_ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(h.id.as_deref(), Some("3AB1C2D3004567"));
    assert_eq!(h.timestamp, Some(1699970400));
    assert!(
        h.anomalies
            .iter()
            .any(|a| a.contains("does not match the reverse DNS name"))
    );
}

#[test]
fn exim_form_with_literal_and_helo() {
    let h = hop("from [192.0.2.25] (helo=client.example)
 by mx.exim.example with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384
 (Exim 4.96)
 (envelope-from <a@client.example>)
 id 1rABCD-000123-AB
 for b@exim.example; Wed, 15 Nov 2023 12:34:56 +0100");
    assert_eq!(h.from_ip.as_deref(), Some("192.0.2.25"));
    assert_eq!(h.helo.as_deref(), Some("client.example"));
    assert_eq!(h.from_rdns, None);
    assert_eq!(h.with.as_deref(), Some("esmtps"));
    assert_eq!(h.tls.as_deref(), Some("TLS1.3 TLS_AES_256_GCM_SHA384"));
    assert_eq!(h.id.as_deref(), Some("1rABCD-000123-AB"));
    assert_eq!(h.for_addr.as_deref(), Some("b@exim.example"));
}

#[test]
fn exim_form_with_rdns_port_and_helo() {
    let h = hop(
        "from mail.client.example ([198.51.100.9]:42135 helo=smtp.client.example) \
                 by mx.exim.example with esmtp (Exim 4.96) id 1r; Wed, 15 Nov 2023 12:34:56 +0100",
    );
    assert_eq!(h.from_ip.as_deref(), Some("198.51.100.9"));
    assert_eq!(h.helo.as_deref(), Some("smtp.client.example"));
    assert_eq!(h.from_rdns.as_deref(), Some("mail.client.example"));
    assert_eq!(h.tls, None);
}

#[test]
fn microsoft_forms() {
    let h = hop("from mail.contoso.example (203.0.113.10) by \
                 DM6NAM11FT012.mail.protection.outlook.com (10.13.172.123) with Microsoft SMTP \
                 Server (version=TLS1_3, cipher=TLS_AES_256_GCM_SHA384) id 15.20.7202.13 via \
                 Frontend Transport; Thu, 16 Nov 2023 08:15:30 +0000");
    assert_eq!(h.helo.as_deref(), Some("mail.contoso.example"));
    assert_eq!(h.from_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(
        h.by_host.as_deref(),
        Some("DM6NAM11FT012.mail.protection.outlook.com")
    );
    assert_eq!(h.with.as_deref(), Some("Microsoft SMTP Server"));
    assert_eq!(h.tls.as_deref(), Some("TLS1_3 TLS_AES_256_GCM_SHA384"));
    assert_eq!(h.id.as_deref(), Some("15.20.7202.13"));
    let h = hop(
        "from BN8PR12MB1234.namprd12.prod.outlook.com (2603:10b6:408:e0::12) by \
                 SN6PR12MB5678.namprd12.prod.outlook.com (2603:10b6:805:6f::23) with HTTPS; \
                 Thu, 16 Nov 2023 08:15:31 +0000",
    );
    assert_eq!(h.from_ip.as_deref(), Some("2603:10b6:408:e0::12"));
    assert_eq!(
        h.helo.as_deref(),
        Some("BN8PR12MB1234.namprd12.prod.outlook.com")
    );
}

#[test]
fn google_forms() {
    let h = hop(
        "from mail-sor-f41.google.com (mail-sor-f41.google.com. [209.85.220.41])
    by mx.google.com with SMTPS id a1sor123456wrb.12.2023.11.16.05.06.07
    for <rcpt@gmail.com>
    (Google Transport Security);
    Thu, 16 Nov 2023 05:06:07 -0800 (PST)",
    );
    assert_eq!(h.helo.as_deref(), Some("mail-sor-f41.google.com"));
    assert_eq!(h.from_rdns.as_deref(), Some("mail-sor-f41.google.com"));
    assert_eq!(h.from_ip.as_deref(), Some("209.85.220.41"));
    assert_eq!(h.for_addr.as_deref(), Some("rcpt@gmail.com"));
    assert_eq!(h.tls.as_deref(), Some("TLS (Google Transport Security)"));
    assert_eq!(h.timestamp, Some(1700139967));
    let h = hop(
        "from mail.example.com (mail.example.com. [2607:f8b0:4864:20::42f]) by \
                 mx.google.com with ESMTPS id x.1 (version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384 \
                 bits=256/256); Thu, 16 Nov 2023 05:06:07 -0800",
    );
    assert_eq!(h.from_ip.as_deref(), Some("2607:f8b0:4864:20::42f"));
    assert_eq!(h.tls.as_deref(), Some("TLS1_3 TLS_AES_256_GCM_SHA384"));
    assert!(h.anomalies.is_empty(), "{:?}", h.anomalies);
    let h = hop("by 2002:a05:6a10:1234:b0:4a1:2345:6789 with SMTP id abc; \
                 Thu, 16 Nov 2023 05:06:08 -0800 (PST)");
    assert_eq!(
        h.by_host.as_deref(),
        Some("2002:a05:6a10:1234:b0:4a1:2345:6789")
    );
    assert_eq!(h.from_ip, None);
}

#[test]
fn qmail_form() {
    let h = hop(
        "from unknown (HELO mail.example.net) (198.51.100.20) by mx.example.com with \
                 SMTP; 17 Nov 2023 10:00:00 -0000",
    );
    assert_eq!(h.helo.as_deref(), Some("mail.example.net"));
    assert_eq!(h.from_rdns, None);
    assert_eq!(h.from_ip.as_deref(), Some("198.51.100.20"));
    assert!(h.timestamp.is_some());
}

#[test]
fn qmail_local_step_is_info_only() {
    let hs = message("Received: (qmail 12345 invoked by uid 89); 17 Nov 2023 10:00:00 -0000\n\n");
    let (hops, warnings) = parse_hops(&hs);
    assert!(hops[0].timestamp.is_some());
    assert!(hops[0].anomalies[0].contains("only a comment"));
    let w = warnings
        .iter()
        .find(|w| w.code == "hop-unreadable")
        .unwrap();
    assert_eq!(w.severity, Severity::Info);
}

#[test]
fn missing_and_unparsable_dates_are_flagged() {
    let hs = message(
        "Received: from a.example (a.example [192.0.2.1]) by b.example with SMTP\n\
         Received: from c.example by d.example; not a date at all\n\n",
    );
    let (hops, warnings) = parse_hops(&hs);
    assert_eq!(hops.len(), 2);
    assert!(hops[0].date.is_none());
    assert!(hops[0].anomalies.iter().any(|a| a.starts_with("no date")));
    assert!(
        hops[1]
            .anomalies
            .iter()
            .any(|a| a.starts_with("unparsable date"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.code == "hop-missing-date" && w.header_index == Some(0))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.code == "hop-bad-date" && w.header_index == Some(1))
    );
    assert_eq!(hops[0].delay_seconds, None);
}

#[test]
fn dates_in_other_usual_forms_parse() {
    for (d, ts) in [
        ("Mon, 13 Nov 2023 10:00:05 GMT", 1699869605),
        ("13 Nov 23 10:00:05 -0000", 1699869605),
        ("2023-11-13T10:00:05Z", 1699869605),
    ] {
        assert_eq!(
            hop(&format!("by x.example; {d}")).timestamp,
            Some(ts),
            "{d}"
        );
    }
    let h = hop("by x.example; Mon, 32 Foo 2023 99:99:99 +9999");
    assert_eq!(h.timestamp, None);
    assert!(h.anomalies.iter().any(|a| a.starts_with("unparsable date")));
}

#[test]
fn delays_and_negative_delay() {
    let hs = message(
        "Received: by top.example; Mon, 13 Nov 2023 10:00:00 +0000\n\
         Received: by mid.example; Mon, 13 Nov 2023 10:00:30 +0000\n\
         Received: by low.example; Mon, 13 Nov 2023 09:59:00 +0000\n\n",
    );
    let (hops, warnings) = parse_hops(&hs);
    assert_eq!(hops[0].delay_seconds, Some(-30));
    assert_eq!(hops[1].delay_seconds, Some(90));
    assert_eq!(hops[2].delay_seconds, None);
    assert!(
        hops[0]
            .anomalies
            .iter()
            .any(|a| a.contains("negative delay"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.code == "hop-negative-delay" && w.header_index == Some(0))
    );
}

#[test]
fn private_and_reserved_ranges() {
    let r = |s: &str| ip_range(s.parse().unwrap()).map(|(c, w)| (c, w.to_string()));
    assert_eq!(r("10.1.2.3").unwrap().1, "private (RFC 1918)");
    assert_eq!(r("172.20.0.1").unwrap().0, "hop-private-ip");
    assert!(r("172.32.0.1").is_none());
    assert_eq!(r("127.0.0.1").unwrap().1, "loopback");
    assert_eq!(r("169.254.1.1").unwrap().1, "link-local");
    assert!(r("100.64.0.1").unwrap().1.contains("CGNAT"));
    assert_eq!(r("192.0.2.1").unwrap().0, "hop-documentation-ip");
    assert_eq!(r("fd00::1").unwrap().1, "unique-local (RFC 4193)");
    assert_eq!(r("fe80::1").unwrap().1, "link-local");
    assert_eq!(r("2001:db8::1").unwrap().0, "hop-documentation-ip");
    assert_eq!(r("::ffff:10.0.0.1").unwrap().1, "private (RFC 1918)");
    assert!(r("8.8.8.8").is_none());
    assert!(r("2607:f8b0::1").is_none());
}

#[test]
fn odd_text_never_panics() {
    for v in [
        "",
        ";",
        "(((",
        "from",
        "from (",
        "from [",
        "from [IPv6:",
        "by ; ;;",
        "from é (ü [ÿ]) by ß; ☃",
        "from x (helo=) by",
        "for <",
        "\"unterminated",
    ] {
        let _ = hop(v);
    }
}

fn opts() -> Options {
    Options {
        now: 1_700_000_000,
        ..Default::default()
    }
}

const GMAIL_LIKE: &str = "Return-Path: <bounce@sender.example>
Received: by 2002:a05:6a10:1234::1 with SMTP id abc; Mon, 13 Nov 2023 10:00:07 +0000
Received: from internal.receiver.example (internal.receiver.example [10.0.0.5]) by mx2.receiver.example with ESMTP id q; Mon, 13 Nov 2023 10:00:06 +0000
Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=sender.example
Received: from mail.sender.example (out.sender.example [198.51.100.5]) by mx.receiver.example with ESMTPS id y; Mon, 13 Nov 2023 10:00:05 +0000
Received: from laptop (laptop [192.168.1.20]) by mail.sender.example with ESMTPSA id z; Mon, 13 Nov 2023 10:00:00 +0000
From: a@sender.example

body
";

#[test]
fn boundary_is_the_hop_written_by_the_authserv_id() {
    let hs = message(GMAIL_LIKE);
    let (mut hops, _) = parse_hops(&hs);
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    // hops[1] (by mx2.receiver.example, same registrable domain as the authserv-id) is the
    // topmost match; hops[2] below it is the receiver's too, and is where the message came in.
    assert_eq!(env.boundary_hop, Some(2));
    assert_eq!(env.boundary_header, Some(4));
    assert_eq!(env.receiver.as_deref(), Some("mx.receiver.example"));
    assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
    assert_eq!(env.helo.as_deref(), Some("mail.sender.example"));
    assert!(!warnings.iter().any(|w| w.code == "client-ip-private"));
    assert!(hops[2].is_boundary && !hops[2].below_boundary);
    assert!(hops[3].below_boundary && !hops[1].below_boundary && !hops[0].below_boundary);
}

#[test]
fn receiver_override_picks_the_named_hop() {
    let hs = message(GMAIL_LIKE);
    let (mut hops, _) = parse_hops(&hs);
    let o = Options {
        receiver: Some("mx.receiver.example".into()),
        ..opts()
    };
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
    assert_eq!(env.receiver.as_deref(), Some("mx.receiver.example"));
    assert_eq!(env.boundary_hop, Some(2));
    let o = Options {
        receiver: Some("mail.sender.example".into()),
        ..opts()
    };
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
    assert_eq!(env.boundary_hop, Some(3));
    assert_eq!(env.client_ip.as_deref(), Some("192.168.1.20"));
    assert_eq!(env.helo.as_deref(), Some("laptop"));
    assert!(hops[3].is_boundary && !hops[2].is_boundary);
    let src = env.sources.iter().find(|s| s.field == "client_ip").unwrap();
    assert_eq!(src.header_index, Some(5));
}

#[test]
fn boundary_without_auth_results_is_the_topmost_received() {
    let text = "Received: from mail.sender.example (out.sender.example [198.51.100.5]) by \
                mx.receiver.example with ESMTP id y; Mon, 13 Nov 2023 10:00:05 +0000\n\
                Received: from laptop (laptop [192.168.1.20]) by mail.sender.example with \
                ESMTPSA id z; Mon, 13 Nov 2023 10:00:00 +0000\n\
                Return-Path: <a@sender.example>\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(0));
    assert_eq!(env.boundary_header, Some(0));
    assert_eq!(env.receiver.as_deref(), Some("mx.receiver.example"));
    assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
    assert_eq!(env.helo.as_deref(), Some("mail.sender.example"));
    assert_eq!(env.mail_from.as_deref(), Some("a@sender.example"));
    assert_eq!(env.spf_mail_from.as_deref(), Some("a@sender.example"));
    let src = env.sources.iter().find(|s| s.field == "mail_from").unwrap();
    assert_eq!(src.header_index, Some(2));
    assert!(!hops[0].below_boundary && hops[1].below_boundary);
}

#[test]
fn microsoft_boundary_found_by_recorded_client_ip() {
    let text = "Received: from BN8PR12MB1234.namprd12.prod.outlook.com (2603:10b6:408:e0::12) \
                by SN6PR12MB5678.namprd12.prod.outlook.com with HTTPS; Thu, 16 Nov 2023 \
                08:15:31 +0000\n\
                Authentication-Results: spf=pass (sender IP is 203.0.113.10) \
                smtp.mailfrom=contoso.example; dkim=none (message not signed) \
                header.d=none;dmarc=pass action=none header.from=contoso.example;\n\
                Received: from mail.contoso.example (203.0.113.10) by \
                DM6NAM11FT012.mail.protection.outlook.com (10.13.172.123) with Microsoft SMTP \
                Server id 15.20.7202.13; Thu, 16 Nov 2023 08:15:30 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(1));
    assert_eq!(env.client_ip.as_deref(), Some("203.0.113.10"));
    assert_eq!(
        env.receiver.as_deref(),
        Some("DM6NAM11FT012.mail.protection.outlook.com")
    );
}

#[test]
fn null_reverse_path_checks_postmaster_at_helo() {
    let text = "Return-Path: <>\nReceived: from bounce.example (bounce.example \
                [198.51.100.5]) by mx.example.org with ESMTP; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.mail_from.as_deref(), Some(""));
    assert_eq!(
        env.spf_mail_from.as_deref(),
        Some("postmaster@bounce.example")
    );
    assert!(env.sources.iter().any(|s| s.field == "spf_mail_from"));
}

#[test]
fn return_path_with_comment() {
    assert_eq!(strip_angle(" <a@b.example> (bounce)"), "a@b.example");
    assert_eq!(strip_angle("<>"), "");
    assert_eq!(strip_angle("a@b.example"), "a@b.example");
    assert_eq!(strip_angle("<unclosed@b.example"), "unclosed@b.example");
}

#[test]
fn command_line_overrides_win() {
    let text = "Return-Path: <a@b.example>\nReceived: from x.example (x.example \
                [198.51.100.5]) by mx.example.org; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let o = Options {
        client_ip: Some("192.0.2.99".parse().unwrap()),
        helo: Some("given.example".into()),
        mail_from: Some(String::new()),
        ..opts()
    };
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
    assert_eq!(env.client_ip.as_deref(), Some("192.0.2.99"));
    assert_eq!(env.helo.as_deref(), Some("given.example"));
    assert_eq!(env.mail_from.as_deref(), Some(""));
    assert_eq!(
        env.spf_mail_from.as_deref(),
        Some("postmaster@given.example")
    );
    let src = env.sources.iter().find(|s| s.field == "client_ip").unwrap();
    assert_eq!(src.header_index, None);
    assert!(src.how.contains("--ip"));
}

#[test]
fn future_dates_are_flagged_against_now() {
    let hs = message("Received: by mx.example.org; Mon, 13 Nov 2034 10:00:05 +0000\n\n");
    let (mut hops, _) = parse_hops(&hs);
    let (_, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert!(warnings.iter().any(|w| w.code == "hop-future-date"));
    assert!(hops[0].anomalies.iter().any(|a| a.contains("future")));
}

#[test]
fn no_received_headers_says_so() {
    let hs = message("From: a@b.example\n\n");
    let (mut hops, _) = parse_hops(&hs);
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, None);
    assert!(warnings.iter().any(|w| w.code == "no-received"));
    assert!(warnings.iter().any(|w| w.code == "mail-from-missing"));
}

#[test]
fn same_server_rule() {
    assert!(same_server("mx.google.com", "mx.google.com.", &ops()));
    assert!(same_server("google.com", "mx.google.com", &ops()));
    assert!(same_server(
        "mx2.receiver.example",
        "mx.receiver.example",
        &ops()
    ));
    assert!(same_server(
        "a.mail.example.co.uk",
        "b.example.co.uk",
        &ops()
    ));
    assert!(!same_server("example.co.uk", "other.co.uk", &ops()));
    assert!(!same_server("receiver.example", "sender.example", &ops()));
    assert!(!same_server("10.0.0.1", "10.0.0.2", &ops()));
    assert!(!same_server("", "x.example", &ops()));
}

#[test]
fn a_recorded_ip_below_a_public_receiver_hop_does_not_move_the_boundary() {
    // c15 (Received-SPF), c13 (A-R by an unknown authserv-id), c17 (the receiver's own A-R
    // names no host): the forged header and the forged hop sit below the receiver's edge.
    let forged = "Received: from mail.bank.example (mail.bank.example [192.0.2.10]) by \
                  mx.example.net (Postfix) with ESMTPS id 4QTm000000 for <bob@example.net>; \
                  Wed, 04 Nov 2026 10:05:30 +0000\n\n";
    let edge = "Received: from smtp.evil.example (smtp.evil.example [198.51.100.200]) by \
                mx.example.net (Postfix) with ESMTPS id 4QTm7k1Zbdz2xFh for \
                <bob@example.net>; Wed, 04 Nov 2026 10:05:36 +0000\n";
    let rspf = "Received-SPF: pass (mx.example.net: domain of ceo@bank.example designates \
                192.0.2.10 as permitted sender) client-ip=192.0.2.10;\n";
    let ar = "Authentication-Results: spf.checker.invalid; spf=pass \
              smtp.mailfrom=bank.example (sender IP is 192.0.2.10)\n";
    let top = "Authentication-Results: mailfilter; spf=fail smtp.mailfrom=bank.example; \
               dkim=none; dmarc=fail header.from=bank.example\n";
    for (case, text) in [
        ("c15", format!("{edge}{rspf}{forged}")),
        ("c13", format!("{edge}{ar}{forged}")),
        ("c17", format!("{top}{edge}{rspf}{forged}")),
    ] {
        let hs = message(&text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0), "{case}");
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"), "{case}");
        assert!(
            warnings.iter().any(|w| w.code == "recorded-ip-ignored"),
            "{case}: {warnings:?}"
        );
    }
    // A recorded result below the hop it names says nothing about it.
    let text = format!("{edge}{}", rspf.replace("192.0.2.10", "198.51.100.200")) + "\n";
    let hs = message(&text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    let how = &env
        .sources
        .iter()
        .find(|s| s.field == "receiver")
        .unwrap()
        .how;
    assert!(
        how.starts_with("`by` host of the topmost Received"),
        "{how}"
    );
}

#[test]
fn amavis_reinjection_is_the_receivers_own_step() {
    // c11: Debian's Postfix + amavis layout.
    let text = "Received: from localhost (localhost [127.0.0.1])\n\tby mx.example.net \
                (Postfix) with ESMTP id 4QTm8A0000z2xFh\n\tfor <bob@example.net>; Wed, 04 Nov \
                2026 10:05:38 +0000 (UTC)\n\
                X-Virus-Scanned: Debian amavis at mx.example.net\n\
                Authentication-Results: mx.example.net (amavis); dkim=pass (2048-bit key)\n\
                \theader.d=evil.example header.s=s1; spf=pass smtp.mailfrom=evil.example\n\
                Received: from mx.example.net ([127.0.0.1])\n\tby localhost (mx.example.net \
                [127.0.0.1]) (amavis, port 10024) with ESMTP\n\tid AbCdEf123; Wed,  4 Nov 2026 \
                10:05:37 +0000 (UTC)\n\
                Received: from smtp.evil.example (smtp.evil.example [198.51.100.200])\n\
                \t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))\n\
                \tby mx.example.net (Postfix) with ESMTPS id 4QTm7k1Zbdz2xFh\n\
                \tfor <bob@example.net>; Wed, 04 Nov 2026 10:05:36 +0000 (UTC)\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    assert_eq!(hops[1].by_ip.as_deref(), Some("127.0.0.1"));
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(2));
    assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"));
    assert!(
        !warnings.iter().any(|w| w.code == "forged-auth-results"),
        "{warnings:?}"
    );
    // A public client at the top is not walked past, `by localhost` or not.
    let text = text.replacen(
        "localhost (localhost [127.0.0.1])",
        "x (unknown [198.51.100.7])",
        1,
    );
    let hs = message(&text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(0));
}

#[test]
fn same_v6_32_as_an_ordinary_receiver_is_not_internal() {
    // A shared cloud /32: the client at the receiver's edge is an outsider, so the boundary
    // stays at the edge and the forged hop below is not walked onto.
    let text = "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=bank.example\n\
                Received: from unknown (unknown [2001:db8:77::5]) by mx.example.net \
                (2001:db8:1::25) with ESMTPS; Wed, 4 Nov 2026 10:05:38 +0000\n\
                Received: from mail.bank.example (mail.bank.example [192.0.2.10]) by \
                mx.example.net with ESMTPS; Wed, 4 Nov 2026 10:05:30 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.client_ip.as_deref(), Some("2001:db8:77::5"));
    assert_eq!(env.boundary_hop, Some(0));
}

#[test]
fn microsoft_365_hops_across_its_domains_are_one_operator() {
    // c09: *.prod.outlook.com, *.outlook.office365.com, *.mail.protection.outlook.com.
    let text = "Received: from SA1PR12MB1234.namprd12.prod.outlook.com (2603:10b6:806:1::10) \
                by BN8PR12MB5678.namprd12.prod.outlook.com with HTTPS; Wed, 4 Nov 2026 \
                10:05:38 +0000\n\
                Received: from DM6PR02CA0001.namprd02.prod.outlook.com (2603:10b6:5:1c0::14) \
                by SA1PR12MB1234.namprd12.prod.outlook.com (2603:10b6:806:1::10) with \
                Microsoft SMTP Server id 15.20.8901.12; Wed, 4 Nov 2026 10:05:37 +0000\n\
                Received: from DS1PEPF00017092.namprd03.prod.outlook.com \
                (2603:10b6:5:1c0:cafe::1) by DM6PR02CA0001.outlook.office365.com \
                (2603:10b6:5:1c0::14) with Microsoft SMTP Server id 15.20.8901.12 via \
                Frontend Transport; Wed, 4 Nov 2026 10:05:37 +0000\n\
                Authentication-Results: spf=pass (sender IP is 198.51.100.200) \
                smtp.mailfrom=evil.example; dkim=pass (signature was verified) \
                header.d=evil.example;dmarc=pass action=none header.from=evil.example\n\
                Received: from smtp.evil.example (198.51.100.200) by \
                DS1PEPF00017092.mail.protection.outlook.com (10.167.18.196) with Microsoft \
                SMTP Server id 15.20.8901.12 via Frontend Transport; Wed, 4 Nov 2026 \
                10:05:36 +0000\n\
                Received: from mail.bank.example (192.0.2.10) by \
                DS1PEPF00017092.mail.protection.outlook.com (10.167.18.196) with Microsoft \
                SMTP Server id 15.20.8901.12; Wed, 4 Nov 2026 10:05:30 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(3));
    assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"));
    assert!(
        warnings
            .iter()
            .any(|w| w.code == "hops-above-boundary" && w.severity == Severity::Info),
        "{warnings:?}"
    );
    assert!(same_server(
        "x.outlook.office365.com",
        "y.mail.protection.outlook.com",
        &ops()
    ));
    assert!(!same_server(
        "x.outlook.office365.com",
        "mx.example.net",
        &ops()
    ));
    // The same chain with an outside (non-Microsoft) IPv6 client at the top is not walked.
    let text = text.replacen(
        "(2603:10b6:806:1::10) by BN8",
        "(2001:db8:806:1::10) by BN8",
        1,
    );
    let hs = message(&text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(0));
}

#[test]
fn gmail_to_gmail_stops_at_googles_outbound() {
    // c16: same operator (google.com, gmail.com), but the submission hop is the sender's.
    let text = "Received: by 2002:a05:6a10:1234:b0:5ab:1234:abcd with SMTP id x1csp123456pxb; \
                Wed, 4 Nov 2026 02:05:37 -0800 (PST)\n\
                Authentication-Results: mx.google.com; spf=pass (google.com: domain of \
                alice@gmail.com designates 209.85.220.41 as permitted sender) \
                smtp.mailfrom=alice@gmail.com\n\
                Received: from mail-sor-f41.google.com (mail-sor-f41.google.com. \
                [209.85.220.41]) by mx.google.com with SMTPS id abc123 for <bob@gmail.com> \
                (Google Transport Security); Wed, 04 Nov 2026 02:05:36 -0800 (PST)\n\
                Received: from [192.168.1.5] (p5dd4c2a1.dip0.t-ipconnect.de. [93.184.1.5]) by \
                smtp.gmail.com with ESMTPSA id 5b1f17b1804b1 for <bob@gmail.com> \
                (version=TLS1_3 cipher=TLS_AES_128_GCM_SHA256 bits=128/128); Wed, 04 Nov 2026 \
                02:05:35 -0800 (PST)\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(1));
    assert_eq!(env.client_ip.as_deref(), Some("209.85.220.41"));
}

#[test]
fn an_address_in_the_helo_is_not_the_client() {
    // c18: the client said `EHLO mail.bank.example (mail.bank.example [192.0.2.10])`;
    // Postfix's own TCP-info is the last comment before `by`.
    let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=bank.example\n\
                Received: from mail.bank.example (mail.bank.example [192.0.2.10]) (unknown \
                [198.51.100.200]) by mx.example.net (Postfix) with ESMTP id 4QTm7k1Zbdz2xFh \
                for <bob@example.net>; Wed, 04 Nov 2026 10:05:36 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"));
    assert_eq!(hops[0].from_rdns, None);
    assert!(
        hops[0]
            .anomalies
            .iter()
            .any(|a| a.contains("address-like comment (mail.bank.example [192.0.2.10])")),
        "{:?}",
        hops[0].anomalies
    );
    // c07: a loopback or private literal in the HELO does not make the hop internal.
    for from in [
        "x (localhost [127.0.0.1]) (unknown [198.51.100.200])",
        "x([10.0.0.5]) (unknown [198.51.100.200])",
    ] {
        let text = format!(
            "Received: from {from} by mx.example.net (Postfix) with ESMTP id B; Wed, 04 Nov \
             2026 10:05:36 +0000\nReceived: from mail.bank.example (mail.bank.example \
             [192.0.2.10]) by mx.example.net (Postfix) with ESMTPS id A; Wed, 04 Nov 2026 \
             10:05:30 +0000\n\n"
        );
        let hs = message(&text);
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
        assert_eq!(env.boundary_hop, Some(0), "{from}");
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.200"), "{from}");
    }
}

#[test]
fn forged_received_below_a_public_client_does_not_move_the_boundary() {
    let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com\n\
                Received: from smtp.example.com (unknown [203.0.113.23]) by mx.example.net \
                (Postfix) with ESMTP id B; Tue, 17 Nov 2026 08:52:34 +0000\n\
                Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com\n\
                Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                mx.example.net (Postfix) with ESMTPS id A; Tue, 17 Nov 2026 08:52:31 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(0));
    assert_eq!(env.client_ip.as_deref(), Some("203.0.113.23"));
}

#[test]
fn unparsable_topmost_auth_results_still_names_the_receiver() {
    let text = "Authentication-Results: mx.example.net; spf=pass (unclosed comment\n\
                Received: from a.example (a.example [198.51.100.1]) by mx.example.net; \
                Tue, 17 Nov 2026 08:52:34 +0000\n\
                Authentication-Results: lists.example.org; spf=pass\n\
                Received: from b.example (b.example [198.51.100.2]) by mail.lists.example.org; \
                Tue, 17 Nov 2026 08:52:30 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.receiver.as_deref(), Some("mx.example.net"));
    assert_eq!(env.boundary_hop, Some(0));
}

#[test]
fn local_reinjection_is_walked_past() {
    // amavis/content-filter style: the receiver re-injects from localhost above the real hop.
    let text = "Authentication-Results: mx.example.org; dkim=pass header.d=sender.example\n\
                Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) \
                with ESMTP id B; Mon, 13 Nov 2023 10:00:06 +0000\n\
                Received: from mail.sender.example (mail.sender.example [198.51.100.5]) by \
                mx.example.org (Postfix) with ESMTPS id A; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(1));
    assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
}

#[test]
fn a_made_up_helo_never_moves_the_boundary_down() {
    // The client 203.0.113.23 calls itself relay.example.net and adds a lower Received
    // `by relay.example.net`; the receiver recorded no reverse DNS name for it.
    let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com\n\
                Received: from relay.example.net (unknown [203.0.113.23]) by mx.example.net \
                (Postfix) with ESMTP id 1; Wed, 04 Nov 2026 10:05:34 +0000\n\
                Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                relay.example.net (Postfix) with ESMTPS id 2; Wed, 04 Nov 2026 10:05:31 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(0));
    assert_eq!(env.client_ip.as_deref(), Some("203.0.113.23"));
    let how = &env
        .sources
        .iter()
        .find(|s| s.field == "receiver")
        .unwrap()
        .how;
    assert!(how.contains("is header 1, and it is the boundary"), "{how}");
    // The same hop with a reverse DNS name the receiver looked up under its domain is walked.
    let text = text.replace(
        "(unknown [203.0.113.23])",
        "(relay.example.net [203.0.113.23])",
    );
    let hs = message(&text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(1));
    let how = &env
        .sources
        .iter()
        .find(|s| s.field == "receiver")
        .unwrap()
        .how;
    assert!(
        how.contains("is header 1; header 1 is passed over because its client's reverse DNS")
            && how.ends_with(
                "the boundary is header 2 (by relay.example.net), where the message came in"
            ),
        "{how}"
    );
}

#[test]
fn a_loopback_client_is_walked_past_with_an_exact_explanation() {
    let text = "Authentication-Results: mx.example.org; dkim=pass header.d=sender.example\n\
                Received: from localhost (localhost [127.0.0.1]) by mx.example.org (Postfix) \
                with ESMTP id B; Mon, 13 Nov 2023 10:00:06 +0000\n\
                Received: from mail.sender.example (mail.sender.example [198.51.100.5]) by \
                mx.example.org (Postfix) with ESMTPS id A; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    let how = &env
        .sources
        .iter()
        .find(|s| s.field == "receiver")
        .unwrap()
        .how;
    assert_eq!(
        how,
        "authserv-id of the topmost Authentication-Results (header 0); the topmost Received \
         whose `by` host mx.example.org is exactly mx.example.org is header 1; header 1 is \
         passed over because its client 127.0.0.1 is loopback; the boundary is header 2 (by \
         mx.example.org), where the message came in"
    );
    // The receiver's own hop above the boundary is only an info note.
    let w = warnings
        .iter()
        .find(|w| w.code == "hops-above-boundary")
        .unwrap();
    assert_eq!(w.severity, Severity::Info);
}

#[test]
fn an_auth_results_below_the_receivers_hop_does_not_pick_the_boundary() {
    let text = "Return-Path: <it-support@example.com>\n\
                Received: from smtp.evil (unknown [203.0.113.23]) by mx.example.net \
                (Postfix) with ESMTP id 1; Wed, 04 Nov 2026 10:05:34 +0000\n\
                Authentication-Results: smtp.example.com; spf=pass smtp.mailfrom=example.com\n\
                Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                smtp.example.com (Postfix) with ESMTPS id 2; Wed, 04 Nov 2026 10:05:31 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    assert_eq!(env.boundary_hop, Some(0));
    assert_eq!(env.receiver.as_deref(), Some("mx.example.net"));
    assert_eq!(env.client_ip.as_deref(), Some("203.0.113.23"));
    let w = warnings
        .iter()
        .find(|w| w.code == "auth-results-ignored")
        .unwrap();
    assert_eq!(w.header_index, Some(2));
    assert!(
        w.message.contains("Received header 1 (by mx.example.net)"),
        "{}",
        w.message
    );
}

#[test]
fn hops_written_after_the_boundary_by_other_servers_are_a_warning() {
    let text = "Received: from dlp-gw.example.com (dlp-gw.example.com. [192.0.2.30]) by \
                mx.example.net with ESMTPS id 3; Mon, 13 Nov 2023 10:00:09 +0000\n\
                Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                dlp-gw.example.com with ESMTPS id 2; Mon, 13 Nov 2023 10:00:06 +0000\n\
                Received: from [10.1.4.22] (vpn-gw.example.com [192.0.2.5]) by \
                smtp.example.com with ESMTPSA id 1; Mon, 13 Nov 2023 10:00:05 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let o = Options {
        receiver: Some("DLP-GW.example.com".into()),
        ..opts()
    };
    let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &o);
    // Exactly the named host, not smtp.example.com of the same registrable domain.
    assert_eq!(env.boundary_hop, Some(1));
    assert_eq!(env.client_ip.as_deref(), Some("192.0.2.25"));
    let how = &env
        .sources
        .iter()
        .find(|s| s.field == "receiver")
        .unwrap()
        .how;
    assert_eq!(
        how,
        "--receiver given; the topmost Received whose `by` host dlp-gw.example.com is \
         exactly DLP-GW.example.com is header 1, and it is the boundary"
    );
    let w = warnings
        .iter()
        .find(|w| w.code == "hops-above-boundary")
        .unwrap();
    assert_eq!(w.severity, Severity::Warning);
    assert!(
        w.message
            .starts_with("Received header 0 (by mx.example.net) above"),
        "{}",
        w.message
    );
    // A subdomain beats the registrable domain; from there the walk goes on past the
    // receiver's own relays (smtp.example.com, by the reverse DNS name recorded for it).
    let o = Options {
        receiver: Some("example.com".into()),
        ..opts()
    };
    let (env, _) = reconstruct_envelope(&hs, &mut hops, &o);
    assert_eq!(env.boundary_hop, Some(2));
    let how = &env
        .sources
        .iter()
        .find(|s| s.field == "receiver")
        .unwrap()
        .how;
    assert!(
        how.contains(
            "is a subdomain (or parent) of example.com is header 1; header 1 is passed over"
        ),
        "{how}"
    );
}

#[test]
fn auth_results_and_received_below_the_receiver_claiming_it_are_flagged() {
    let text = "Authentication-Results: mx.example.net; spf=fail smtp.mailfrom=example.com\n\
                Received: from smtp.example.com (unknown [203.0.113.23]) by mx.example.net \
                (Postfix) with ESMTP id B; Tue, 17 Nov 2026 08:52:34 +0000\n\
                Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=example.com\n\
                Received: from smtp.example.com (smtp.example.com [192.0.2.25]) by \
                mx.example.net (Postfix) with ESMTPS id A; Tue, 17 Nov 2026 08:52:31 +0000\n\n";
    let hs = message(text);
    let (mut hops, _) = parse_hops(&hs);
    let (_, warnings) = reconstruct_envelope(&hs, &mut hops, &opts());
    let w = warnings
        .iter()
        .find(|w| w.code == "forged-auth-results")
        .unwrap();
    assert_eq!(w.severity, Severity::Warning);
    assert_eq!(w.header_index, Some(2));
    assert!(w.message.contains(
        "claims to be from mx.example.net but sits below its Received header (header 1): \
         written before the receiver got the message"
    ));
    assert!(
        hops[1]
            .anomalies
            .iter()
            .any(|a| a.starts_with("claims to be written by the receiver mx.example.net"))
    );
    assert!(!hops[0].anomalies.iter().any(|a| a.starts_with("claims")));
}

#[test]
fn documentation_addresses_are_one_hop_anomaly_only() {
    let text = "Received: from a.example (a.example [203.0.113.7]) by mx.example.org; \
                Mon, 13 Nov 2023 10:00:05 +0000\n\
                Received: from b.example (b.example [10.0.0.7]) by a.example; \
                Mon, 13 Nov 2023 10:00:04 +0000\n\n";
    let hs = message(text);
    let (mut hops, mut warnings) = parse_hops(&hs);
    let (_, w) = reconstruct_envelope(&hs, &mut hops, &opts());
    warnings.extend(w);
    assert!(
        hops[0]
            .anomalies
            .iter()
            .any(|a| a.contains("documentation range"))
    );
    assert!(
        !warnings.iter().any(|w| w.code.contains("documentation")),
        "{warnings:?}"
    );
    // Private addresses keep their info warning.
    assert!(warnings.iter().any(|w| w.code == "hop-private-ip"));
    let o = Options {
        receiver: Some("a.example".into()),
        ..opts()
    };
    let (_, w) = reconstruct_envelope(&hs, &mut hops, &o);
    assert!(w.iter().any(|w| w.code == "client-ip-private"));
}

#[test]
fn human_durations() {
    assert_eq!(human_duration(0), "0 s");
    assert_eq!(human_duration(42), "42 s");
    assert_eq!(human_duration(303), "5 min 3 s");
    assert_eq!(human_duration(19_655), "5 h 27 min");
    assert_eq!(human_duration(3600), "1 h");
    assert_eq!(human_duration(1_118_758), "12 days 22 h");
    assert_eq!(human_duration(86_400), "1 day");
    assert_eq!(human_duration(-90), "-1 min 30 s");
    assert_eq!(human_duration(i64::MIN).chars().next(), Some('-'));
    let hs = message("Received: by mx.example.org; Mon, 13 Nov 2034 10:00:05 +0000\n\n");
    let (mut hops, _) = parse_hops(&hs);
    let _ = reconstruct_envelope(&hs, &mut hops, &opts());
    assert!(
        hops[0]
            .anomalies
            .iter()
            .any(|a| a.contains(" days ") && !a.contains("s in"))
    );
}

#[test]
fn exim_literal_client_shows_no_verified_name() {
    let h = hop(
        "from [203.0.113.45] (helo=mail.example.org) by mx2.example.net with esmtp \
                 (Exim 4.96) id 1; Wed, 15 Nov 2023 12:34:56 +0100",
    );
    assert_eq!(h.helo.as_deref(), Some("mail.example.org"));
    assert_eq!(h.from_host, None);
    assert_eq!(h.from_rdns, None);
    assert!(
        h.anomalies
            .iter()
            .any(|a| a == "no reverse DNS name recorded for 203.0.113.45"),
        "{:?}",
        h.anomalies
    );
    // Postfix: the from word is the HELO, the host is the looked-up name.
    let h = hop(
        "from helo.example (rdns.example [198.51.100.7]) by mx.example.org; \
                 Mon, 13 Nov 2023 10:00:05 +0000",
    );
    assert_eq!(h.from_host.as_deref(), Some("rdns.example"));
    assert_eq!(h.helo.as_deref(), Some("helo.example"));
}

#[test]
fn random_received_text_never_panics() {
    let alphabet = "afromby withidfor[]()<>;:.=@ \t1é\\\"IPv6";
    for text in crate::test_support::random_texts(alphabet, 0x9e37_79b9_7f4a_7c15, 3000, 60) {
        let _ = parse_received(0, &text);
        let _ = parse_ip_literal(&text);
        let _ = same_server(&text, "mx.example.org", &ops());
    }
}
