//! A trust boundary set by hand (the TUI's `b` on a hop): the hop list, the envelope and its
//! provenance all follow the chosen hop. The client IP and HELO are what that hop recorded;
//! the MAIL FROM is the `smtp.mailfrom` (or Received-SPF `envelope-from`) that the server of that
//! hop recorded, or unknown — never the final Return-Path, which was written after that hop.

use super::model::{Envelope, Header, Hop, Severity, Source, Warning};

/// Puts the boundary at `hops[at]` (hops are newest first). Out of range: nothing changes.
pub(crate) fn apply(
    at: usize,
    headers: &[Header],
    hops: &mut [Hop],
    env: &mut Envelope,
    warnings: &mut Vec<Warning>,
) {
    let Some(hop) = hops.get(at).cloned() else {
        return;
    };
    let number = at + 1;
    for (i, h) in hops.iter_mut().enumerate() {
        h.is_boundary = i == at;
        h.below_boundary = i > at;
        if i >= at {
            h.internal = None;
        } else if h.internal.is_none() {
            h.internal =
                Some(format!("the boundary was set by hand below it (hop #{number})").into());
        }
    }
    // What the old boundary implied no longer holds.
    warnings.retain(|w| !w.code.starts_with("client-ip-") && w.code != "mail-from-missing");
    // Named by its header: the TUI numbers hops newest first, the reports oldest first.
    let by_hand = format!(
        "the boundary set by hand at Received header #{} (hop #{number}, newest first)",
        hop.header_index
    );
    env.boundary_hop = Some(at);
    env.boundary_header = Some(hop.header_index);
    env.sources.retain(|s| {
        !matches!(
            s.field.as_str(),
            "client_ip" | "helo" | "receiver" | "mail_from" | "spf_mail_from"
        )
    });
    let from_hop = |field: &str, how: String| Source {
        field: field.into(),
        header_index: Some(hop.header_index),
        text: headers
            .iter()
            .find(|h| h.index == hop.header_index)
            .map(|h| h.value.clone())
            .unwrap_or_default(),
        how,
    };
    env.receiver = hop.by_host.as_deref().map(str::to_string);
    env.sources
        .push(from_hop("receiver", format!("the `by` host of {by_hand}")));
    env.client_ip = hop.from_ip.as_deref().map(str::to_string);
    env.sources.push(from_hop(
        "client_ip",
        format!("the client IP {by_hand} recorded in its from-clause"),
    ));
    env.helo = hop.helo.as_deref().map(str::to_string);
    env.sources.push(from_hop(
        "helo",
        format!("the HELO/EHLO name {by_hand} recorded"),
    ));
    mail_from(at, headers, hops, env, warnings, &by_hand);
}

/// The MAIL FROM the server of hop `at` recorded, from the results it wrote at the same time
/// (the headers between the Received above and its own), or unknown.
fn mail_from(
    at: usize,
    headers: &[Header],
    hops: &[Hop],
    env: &mut Envelope,
    warnings: &mut Vec<Warning>,
    by_hand: &str,
) {
    let own = hops[at].header_index;
    let above = at.checked_sub(1).map(|i| hops[i].header_index);
    let recorded = headers
        .iter()
        .filter(|h| h.index < own && above.is_none_or(|a| h.index > a))
        .find_map(|h| recorded_mail_from(h).map(|mf| (h, mf)));
    match recorded {
        Some((h, mf)) => {
            env.mail_from = Some(mf.clone());
            env.sources.push(Source {
                field: "mail_from".into(),
                header_index: Some(h.index),
                text: h.value.clone(),
                how: format!(
                    "what the server of {by_hand} recorded as the MAIL FROM in its {}",
                    h.name
                ),
            });
        }
        None => {
            env.mail_from = None;
            env.sources.push(Source {
                field: "mail_from".into(),
                header_index: None,
                text: String::new(),
                how: format!(
                    "unknown: the server of {by_hand} recorded no smtp.mailfrom (the \
                     Return-Path was written after that hop and does not apply)"
                ),
            });
            warnings.push(Warning::new(
                Severity::Warning,
                "mail-from-unknown",
                format!(
                    "MAIL FROM at {by_hand} is unknown: no Authentication-Results or \
                     Received-SPF of that hop names it, so SPF for MAIL FROM is not checked \
                     (give it with --mail-from)."
                ),
                Some(hops[at].header_index),
            ));
        }
    }
    env.spf_mail_from = match env.mail_from.as_deref() {
        Some("") => env
            .helo
            .as_ref()
            .map(|h| format!("postmaster@{}", h.trim_end_matches('.'))),
        Some(mf) if !mf.contains('@') => Some(format!("postmaster@{mf}")),
        Some(mf) => Some(mf.to_string()),
        None => None,
    };
}

/// `smtp.mailfrom=` of an Authentication-Results, `envelope-from=` of a Received-SPF.
fn recorded_mail_from(h: &Header) -> Option<String> {
    let key = if h.name.eq_ignore_ascii_case("authentication-results") {
        "smtp.mailfrom="
    } else if h.name.eq_ignore_ascii_case("received-spf") {
        "envelope-from="
    } else {
        return None;
    };
    let lower = h.value.to_ascii_lowercase();
    let start = lower.find(key)? + key.len();
    let rest = &h.value[start..];
    let value: String = rest
        .trim_start_matches('"')
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '"' | ')'))
        .collect();
    let value = value
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_string();
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::analysis::trail::{headers::split_headers, received::parse_hops};

    const MESSAGE: &str = "Return-Path: <final@relay.example.net>\r\n\
Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=relay.example.net\r\n\
Received: from relay.example.net (relay.example.net [198.51.100.7]) by mx.example.net; Mon, 2 Nov 2026 10:00:05 +0000\r\n\
Authentication-Results: relay.example.net; spf=pass smtp.mailfrom=\"alice@example.org\"\r\n\
Received: from mail.example.org (mail.example.org [192.0.2.10]) by relay.example.net; Mon, 2 Nov 2026 10:00:01 +0000\r\n\
Received: from laptop (laptop [203.0.113.9]) by mail.example.org; Mon, 2 Nov 2026 10:00:00 +0000\r\n\
From: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

    fn moved_to(at: usize) -> (Vec<Hop>, Envelope, Vec<Warning>) {
        let headers = split_headers(MESSAGE.as_bytes()).headers;
        let (mut hops, _) = parse_hops(&headers);
        let opts = Options::default();
        let (mut env, mut warnings) =
            crate::analysis::trail::boundary::reconstruct_envelope(&headers, &mut hops, &opts);
        apply(at, &headers, &mut hops, &mut env, &mut warnings);
        (hops, env, warnings)
    }

    #[test]
    fn the_hop_list_and_the_envelope_follow_the_moved_boundary() {
        let (hops, env, _) = moved_to(1);
        assert_eq!(
            hops.iter().map(|h| h.is_boundary).collect::<Vec<_>>(),
            [false, true, false]
        );
        assert!(hops[2].below_boundary && !hops[1].below_boundary);
        assert_eq!(env.boundary_hop, Some(1));
        assert_eq!(env.client_ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(env.receiver.as_deref(), Some("relay.example.net"));
        // MAIL FROM is what that hop's server recorded, not the final Return-Path.
        assert_eq!(env.mail_from.as_deref(), Some("alice@example.org"));
        let source = env.sources.iter().find(|s| s.field == "client_ip").unwrap();
        assert!(
            source
                .how
                .contains("set by hand at Received header #4 (hop #2, newest first)"),
            "{}",
            source.how
        );
        assert!(env.sources.iter().all(|s| !s.how.contains("command line")));
    }

    #[test]
    fn with_nothing_recorded_at_that_hop_mail_from_is_unknown() {
        let (_, env, warnings) = moved_to(2);
        assert_eq!(env.mail_from, None);
        assert_eq!(env.spf_mail_from, None);
        assert_eq!(env.client_ip.as_deref(), Some("203.0.113.9"));
        let source = env.sources.iter().find(|s| s.field == "mail_from").unwrap();
        assert!(source.how.starts_with("unknown"), "{}", source.how);
        assert!(warnings.iter().any(|w| w.code == "mail-from-unknown"));
    }
}
