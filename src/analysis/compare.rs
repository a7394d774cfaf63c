//! Recorded vs now: each result the message carries, set against our re-verification.

use super::model::{
    Agreement, ArcCheck, AuthResult, DkimCheck, DmarcCheck, RecordedResult, SpfCheck, SpfChecks,
};
use super::trail::authres::{MethodResult, prop, recorded_client_ip};
use super::trail::recorded::recorded_policy;

/// Which of our SPF checks a recorded spf result is about, and whether that is the HELO one.
/// Received-SPF says so with `identity=`; without it, it is about MAIL FROM (Microsoft writes
/// `helo=` alongside a MAIL FROM result). A-R says so with `smtp.helo` and no `smtp.mailfrom`.
fn spf_for<'a>(r: &RecordedResult, spf: &'a SpfChecks) -> (&'a SpfCheck, bool) {
    let has = |k: &str| prop(&r.properties, k).is_some_and(|v| !v.is_empty());
    let helo = if r.header_name.eq_ignore_ascii_case("received-spf") {
        prop(&r.properties, "identity").is_some_and(|v| v.eq_ignore_ascii_case("helo"))
    } else {
        has("smtp.helo") && !has("smtp.mailfrom")
    };
    if helo {
        (&spf.helo, true)
    } else {
        (&spf.mail_from, false)
    }
}

/// The `b=` value of a checked signature, from its tags.
fn dkim_b_tag(c: &DkimCheck) -> Option<&str> {
    c.tags
        .iter()
        .find(|t| t.name == "b")
        .map(|t| t.value.as_str())
}

/// When the recorded SPF result was for another identity or client IP than ours, say so: the two
/// verdicts then answer different questions.
fn spf_identity_difference(r: &RecordedResult, ours: &SpfCheck, helo: bool) -> Option<String> {
    let domain_of = |s: &str| {
        s.trim_matches(['<', '>'])
            .rsplit('@')
            .next()
            .unwrap_or("")
            .trim_end_matches('.')
            .to_ascii_lowercase()
    };
    let mut diffs = Vec::new();
    let keys: &[&str] = if helo {
        &["smtp.helo", "helo"]
    } else {
        &["smtp.mailfrom", "envelope-from"]
    };
    let recorded_id = keys
        .iter()
        .find_map(|k| prop(&r.properties, k).filter(|v| !v.is_empty()));
    if let (Some(rec), Some(now)) = (
        recorded_id,
        ours.domain.as_deref().or(ours.sender.as_deref()),
    ) && domain_of(rec) != domain_of(now)
    {
        diffs.push(format!("recorded for {rec}, checked now for {now}"));
    }
    let mr = MethodResult {
        properties: r.properties.clone(),
        comment: r.comment.clone(),
        ..Default::default()
    };
    if let (Some(rec_ip), Some(now_ip)) = (
        recorded_client_ip(&mr),
        ours.client_ip
            .as_deref()
            .and_then(|s| s.parse::<std::net::IpAddr>().ok()),
    ) && rec_ip != now_ip
    {
        diffs.push(format!(
            "recorded for client IP {rec_ip}, checked now for {now_ip}"
        ));
    }
    (!diffs.is_empty()).then(|| diffs.join("; "))
}

fn compact(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// The signature a recorded dkim result is about: by header.b (a prefix of b=), else
/// header.d (+ header.s), else header.i's domain.
fn dkim_for<'a>(r: &RecordedResult, dkim: &'a [DkimCheck]) -> Option<&'a DkimCheck> {
    let d = prop(&r.properties, "header.d").map(|v| v.to_ascii_lowercase());
    let s = prop(&r.properties, "header.s").map(|v| v.to_ascii_lowercase());
    let b = prop(&r.properties, "header.b")
        .map(compact)
        .filter(|b| !b.is_empty());
    let i_domain = prop(&r.properties, "header.i")
        .map(|v| v.rsplit('@').next().unwrap_or(v).to_ascii_lowercase());
    let eq = |a: &Option<String>, x: &Option<String>| match (a, x) {
        (Some(a), Some(x)) => a.eq_ignore_ascii_case(x),
        _ => false,
    };
    if let Some(b) = &b
        && let Some(c) = dkim
            .iter()
            .find(|c| dkim_b_tag(c).is_some_and(|sig| compact(sig).starts_with(b.as_str())))
    {
        return Some(c);
    }
    if d.is_some() {
        let mut m = dkim
            .iter()
            .filter(|c| eq(&c.domain, &d))
            .filter(|c| s.is_none() || eq(&c.selector, &s));
        return m.next();
    }
    let i = i_domain?;
    dkim.iter().find(|c| {
        c.domain.as_deref().is_some_and(|dd| {
            i == dd.to_ascii_lowercase() || i.ends_with(&format!(".{}", dd.to_ascii_lowercase()))
        })
    })
}

/// Sets `ours`, `agreement` and `note` on each recorded result against our verdicts.
/// Sets each recorded result of `a` against our re-verification — unless re-verification could
/// not run (no DNS, an empty snapshot, every name denied): then nothing is compared, and each
/// result says why, instead of "pass at receipt, none now".
pub fn compare_recorded(a: &mut super::model::Analysis) {
    match super::reverify::reverification_blocked(a) {
        None => compare(&mut a.recorded, &a.spf, &a.dkim, &a.arc, &a.dmarc),
        Some(blocked) => {
            let why = format!(
                "not compared: re-verification was not possible: {}",
                blocked.words()
            );
            for r in a.recorded.iter_mut().filter(|r| !r.method.is_empty()) {
                r.agreement = Agreement::NotCompared;
                r.add_note(why.clone());
            }
        }
    }
}

pub fn compare(
    recorded: &mut [RecordedResult],
    spf: &SpfChecks,
    dkim: &[DkimCheck],
    arc: &ArcCheck,
    dmarc: &DmarcCheck,
) {
    for r in recorded.iter_mut() {
        if r.method.is_empty() {
            continue; // unparsable header: the note already says so
        }
        let Some((ours, reason)) = ours_for(r, spf, dkim, arc, dmarc) else {
            continue;
        };
        r.ours = ours;
        let Some(ours) = ours else { continue };
        let Some(words) = difference(r, ours, reason.as_deref(), dkim) else {
            continue;
        };
        if !r.trusted {
            if let Some(w) = words {
                r.add_note(w);
            }
            continue; // an untrusted claim is shown, not judged
        }
        match words {
            None => r.agreement = Agreement::Agree,
            Some(w) => {
                r.agreement = Agreement::Disagree;
                r.add_note(w);
            }
        }
    }
}

/// Our result for the method `r` recorded, with our reason. `None` when there is nothing of
/// ours to set against it (a note on `r` says why, where that needs saying).
fn ours_for(
    r: &mut RecordedResult,
    spf: &SpfChecks,
    dkim: &[DkimCheck],
    arc: &ArcCheck,
    dmarc: &DmarcCheck,
) -> Option<(Option<AuthResult>, Option<String>)> {
    let found = match r.method.as_str() {
        "spf" => {
            let (c, helo) = spf_for(r, spf);
            if let Some(diff) = spf_identity_difference(r, c, helo) {
                r.add_note(diff);
            }
            (Some(c.result), c.explanation.clone())
        }
        "dkim" => match dkim_for(r, dkim) {
            // Headers only: no body to hash, so nothing to agree or disagree with.
            Some(c) if c.body_hash_matches.is_none() && c.result == AuthResult::Neutral => {
                r.ours = Some(c.result);
                r.add_note(format!(
                    "dkim={} at receipt; the input now is headers only: the header \
                     signature still verifies, the body hash cannot be checked",
                    r.result
                ));
                return None;
            }
            Some(c) => (Some(c.result), c.reason.clone()),
            // `dkim=none` (not signed) and no signature now: the same finding.
            None if dkim.is_empty() && r.result == "none" => (Some(AuthResult::None), None),
            None => {
                let what = prop(&r.properties, "header.d")
                    .or_else(|| prop(&r.properties, "header.i"))
                    .map(|w| format!("DKIM-Signature for {w}"))
                    .unwrap_or_else(|| "matching DKIM-Signature".into());
                r.add_note(format!("no {what} was found to verify now"));
                return None;
            }
        },
        "dmarc" => {
            if let Some(note) = disposition_note(r, dmarc) {
                r.add_note(note);
            }
            (Some(dmarc.result), None)
        }
        // Only a headers-only input makes our chain neutral: nothing to set against.
        "arc" if arc.result == AuthResult::Neutral => {
            r.ours = Some(arc.result);
            r.add_note(format!(
                "arc={} at receipt; {}",
                r.result,
                arc.reason.as_deref().unwrap_or("neutral now")
            ));
            return None;
        }
        "arc" => (Some(arc.result), arc.reason.clone()),
        _ => {
            return None; // iprev, auth, bimi, compauth …: nothing of ours to set against
        }
    };
    Some(found)
}

/// How the recorded result differs from ours, in words: `Some(None)` when they agree (or say the
/// same thing in other words, noted on `r`), `None` when the recorded word is not a result.
fn difference(
    r: &mut RecordedResult,
    ours: AuthResult,
    reason: Option<&str>,
    dkim: &[DkimCheck],
) -> Option<Option<String>> {
    let recorded = AuthResult::parse(&r.result);
    let words = match recorded {
        Some(rec) if rec == ours => None,
        // Verifiers word a signature that does not verify differently (mail-auth records a
        // body-hash mismatch as neutral, an expired one as fail or permerror): same finding.
        Some(rec) if r.method == "dkim" && dkim_not_verified(rec) && dkim_not_verified(ours) => {
            r.add_note(format!(
                "dkim={} at receipt, {ours} now: both say the signature does not verify{}",
                r.result,
                reason.map(|x| format!(" ({x})")).unwrap_or_default()
            ));
            None
        }
        Some(_) => Some(match (r.method.as_str(), r.result.as_str(), ours) {
            ("dkim", "pass", AuthResult::Fail | AuthResult::PermError) => {
                dkim_pass_then_not(reason, dkim_for(r, dkim))
            }
            (_, _, AuthResult::TempError) => format!(
                "{}={} at receipt, temperror now: DNS could not answer",
                r.method, r.result
            ),
            _ => format!(
                "{}={} at receipt, {} now{}",
                r.method,
                r.result,
                ours,
                reason.map(|x| format!(" ({x})")).unwrap_or_default()
            ),
        }),
        None => {
            r.add_note(format!(
                "result word {:?} is not an RFC 8601 result",
                r.result
            ));
            return None;
        }
    };
    Some(words)
}

/// Why a signature that verified at receipt does not now. A body hash that no longer matches
/// means the body changed (RFC 6376 §6.1.3), whatever the key; only a key that is gone or a
/// header signature that fails over a matching body hash points at key rotation or revocation.
fn dkim_pass_then_not(reason: Option<&str>, check: Option<&DkimCheck>) -> String {
    let why = reason.map(|x| format!(" ({x})")).unwrap_or_default();
    let body_changed = check.is_some_and(|c| c.body_hash_matches == Some(false));
    let key_gone =
        check.is_some_and(|c| c.key.is_none() || c.key.as_ref().is_some_and(|k| k.revoked));
    let sig_fails = check.is_some_and(|c| c.header_signature_valid == Some(false));
    let body_ok = check.is_some_and(|c| c.body_hash_matches == Some(true));
    // One cause: an expired signature names its expiry (and whether it was valid at receipt);
    // DKIM names the body instead when the body hash fails too.
    let expired = reason.is_some_and(|r| r.starts_with("signature expired"));
    let cause = if expired {
        ""
    } else if body_changed {
        ": the body hash no longer matches, so the body was changed after receipt (RFC 6376 \
         §6.1.3), not the key"
    } else if body_ok && (key_gone || sig_fails) {
        ": the body hash still matches, so the key may have been rotated or revoked since"
    } else {
        ""
    };
    format!("dkim=pass at receipt, does not verify now{why}{cause}")
}

/// What the receiver recorded it did with a DMARC result, when that is not what the policy says:
/// a local-policy downgrade (`p=reject dis=quarantine`) or an override (`reason="arc override"`).
fn disposition_note(r: &RecordedResult, dmarc: &DmarcCheck) -> Option<String> {
    let reason = r.reason.as_deref().unwrap_or("");
    let lower = reason.to_ascii_lowercase();
    if lower.contains("arc") {
        return Some(format!(
            "the receiver overrode DMARC because of ARC (reason {reason:?}){}",
            r.disposition
                .as_deref()
                .map(|d| format!(" and applied {d}"))
                .unwrap_or_default()
        ));
    }
    let applied = r.disposition.as_deref()?;
    // Microsoft: `oreject` / `oquarantine` = that policy, overridden by the receiver.
    if let Some(overridden) = applied
        .strip_prefix('o')
        .filter(|p| matches!(*p, "reject" | "quarantine"))
    {
        return Some(format!(
            "the receiver overrode the DMARC policy {overridden} (action={applied}, local \
             policy)"
        ));
    }
    if !matches!(applied, "none" | "quarantine" | "reject") || r.result != "fail" {
        return None;
    }
    let policy = recorded_policy(r).or_else(|| dmarc.disposition.clone())?;
    if policy == applied || !matches!(policy.as_str(), "none" | "quarantine" | "reject") {
        return None;
    }
    let why = if !reason.is_empty() {
        format!("local policy: {reason}")
    } else if dmarc.disposition_unsampled.as_deref() == Some(applied) {
        "pct= sampling, or local policy".to_string()
    } else {
        "local policy".to_string()
    };
    Some(format!(
        "the receiver applied {applied}, not {policy} ({why})"
    ))
}

fn dkim_not_verified(r: AuthResult) -> bool {
    matches!(
        r,
        AuthResult::Fail | AuthResult::Neutral | AuthResult::PermError | AuthResult::Policy
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Options;
    use crate::analysis::model::Tag;
    use crate::analysis::trail::authres::*;
    use crate::analysis::trail::headers::split_headers;
    use crate::analysis::trail::operators::Operators;
    use crate::analysis::trail::recorded::*;
    use crate::analysis::trail::{boundary::reconstruct_envelope, received::parse_hops};

    fn p(v: &str) -> AuthResultsHeader {
        parse_authentication_results(&v.replace('\n', " ")).unwrap()
    }

    fn get<'a>(ar: &'a AuthResultsHeader, method: &str) -> &'a MethodResult {
        ar.results.iter().find(|r| r.method == method).unwrap()
    }

    #[test]
    fn gmail_style() {
        let ar = p("mx.google.com;
       dkim=pass header.i=@example.com header.s=s1 header.b=AbCdEf12;
       arc=pass (i=1 spf=pass spfdomain=example.com dkim=pass dkdomain=example.com);
       spf=pass (google.com: domain of bounce@example.com designates 198.51.100.5 as permitted sender) smtp.mailfrom=bounce@example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com");
        assert_eq!(ar.authserv_id, "mx.google.com");
        assert_eq!(ar.version, None);
        assert_eq!(ar.results.len(), 4);
        let dkim = get(&ar, "dkim");
        assert_eq!(dkim.result, "pass");
        assert_eq!(prop(&dkim.properties, "header.b"), Some("AbCdEf12"));
        assert_eq!(prop(&dkim.properties, "header.i"), Some("@example.com"));
        let spf = get(&ar, "spf");
        assert_eq!(
            prop(&spf.properties, "smtp.mailfrom"),
            Some("bounce@example.com")
        );
        assert!(
            spf.comment
                .as_deref()
                .unwrap()
                .starts_with("google.com: domain of")
        );
        assert_eq!(
            recorded_client_ip(spf),
            Some("198.51.100.5".parse().unwrap())
        );
        assert_eq!(
            get(&ar, "dmarc").comment.as_deref(),
            Some("p=REJECT sp=REJECT dis=NONE")
        );
        assert_eq!(get(&ar, "arc").result, "pass");
    }

    #[test]
    fn microsoft_style_without_authserv_id() {
        let ar = p(
            "spf=pass (sender IP is 203.0.113.10) smtp.mailfrom=contoso.example; dkim=pass \
                    (signature was verified) header.d=contoso.example;dmarc=pass action=none \
                    header.from=contoso.example;compauth=pass reason=100",
        );
        assert_eq!(ar.authserv_id, "");
        assert_eq!(ar.results.len(), 4);
        assert_eq!(
            recorded_client_ip(get(&ar, "spf")),
            Some("203.0.113.10".parse().unwrap())
        );
        assert_eq!(prop(&get(&ar, "dmarc").properties, "action"), Some("none"));
        assert_eq!(get(&ar, "compauth").reason.as_deref(), Some("100"));
    }

    #[test]
    fn fastmail_style() {
        let ar = p("mx6.messagingengine.com;
    dkim=pass (2048-bit rsa key sha256) header.d=example.com header.i=@example.com header.b=AbCd1234 header.a=rsa-sha256 header.s=s1 x-bits=2048;
    dmarc=pass policy.published-domain-policy=reject (p=reject,d=none,d.eval=none) policy.policy-from=p header.from=example.com;
    iprev=pass smtp.remote-ip=198.51.100.5 (mail.example.com);
    spf=pass smtp.mailfrom=bounce@example.com smtp.helo=mail.example.com;
    x-aligned-from=pass (Address match);
    x-me-sender=none");
        assert_eq!(ar.authserv_id, "mx6.messagingengine.com");
        assert_eq!(ar.results.len(), 6);
        assert_eq!(
            get(&ar, "dkim").comment.as_deref(),
            Some("2048-bit rsa key sha256")
        );
        assert_eq!(prop(&get(&ar, "dkim").properties, "x-bits"), Some("2048"));
        assert_eq!(
            recorded_client_ip(get(&ar, "iprev")),
            Some("198.51.100.5".parse().unwrap())
        );
        assert_eq!(get(&ar, "x-me-sender").result, "none");
    }

    #[test]
    fn rfc8601_examples() {
        let ar = p("example.com 1; none");
        assert_eq!(ar.version, Some(1));
        assert!(ar.results.is_empty());
        let ar = p(
            "example.com; auth=pass (cram-md5) smtp.auth=sender@example.net; \
                    spf=pass smtp.mailfrom=example.net",
        );
        assert_eq!(ar.results.len(), 2);
        assert_eq!(
            prop(&ar.results[0].properties, "smtp.auth"),
            Some("sender@example.net")
        );
        let ar = p(
            "example.com; dkim/1=pass reason=\"good signature\" header.i=\"@mail-router.example.net\"",
        );
        assert_eq!(ar.results[0].method, "dkim");
        assert_eq!(ar.results[0].reason.as_deref(), Some("good signature"));
        assert_eq!(
            prop(&ar.results[0].properties, "header.i"),
            Some("@mail-router.example.net")
        );
        let ar = p("(comment first) \"quoted.example\"; spf=fail");
        assert_eq!(ar.authserv_id, "quoted.example");
    }

    #[test]
    fn values_may_contain_equals_signs() {
        let ar = p(
            "mx.example.net; spf=pass smtp.mailfrom=dev-bounces+bob=example.net@lists.example.org;
            dkim=pass header.d=example.com header.b=gWowy+2N=",
        );
        assert_eq!(
            prop(&get(&ar, "spf").properties, "smtp.mailfrom"),
            Some("dev-bounces+bob=example.net@lists.example.org")
        );
        assert_eq!(
            prop(&get(&ar, "dkim").properties, "header.b"),
            Some("gWowy+2N=")
        );
        let ar =
            p("x; dmarc=fail reason=\"arc override\" (p=reject dis=none) header.from=example.com");
        assert_eq!(get(&ar, "dmarc").reason.as_deref(), Some("arc override"));
    }

    #[test]
    fn authserv_id_survives_a_damaged_header() {
        assert_eq!(
            authserv_id_of("mx.example.net; spf=pass x").as_deref(),
            Some("mx.example.net")
        );
        assert_eq!(authserv_id_of("spf=pass smtp.mailfrom=a"), None);
        assert_eq!(
            authserv_id_of("mx.example.net; spf=pass").as_deref(),
            Some("mx.example.net")
        );
    }

    #[test]
    fn malformed_headers_are_errors_not_panics() {
        for v in [
            "",
            ";",
            "x; spf",
            "x; =pass",
            "x; spf=",
            "x; spf=pass (unclosed",
            "x; a=\"open",
        ] {
            assert!(parse_authentication_results(v).is_err(), "{v:?}");
        }
        let _ = parse_received_spf("");
        let _ = parse_received_spf("(only a comment)");
    }

    #[test]
    fn received_spf_rfc7208_form() {
        let mr = parse_received_spf(
            "Pass (mybox.example.org: domain of myname@example.com designates 192.0.2.1 as \
             permitted sender) receiver=mybox.example.org; client-ip=192.0.2.1; \
             envelope-from=\"myname@example.com\"; helo=foo.example.com;",
        )
        .unwrap();
        assert_eq!(mr.result, "pass");
        assert_eq!(
            prop(&mr.properties, "envelope-from"),
            Some("myname@example.com")
        );
        assert_eq!(prop(&mr.properties, "helo"), Some("foo.example.com"));
        assert_eq!(
            received_spf_receiver(&mr).as_deref(),
            Some("mybox.example.org")
        );
        assert_eq!(recorded_client_ip(&mr), Some("192.0.2.1".parse().unwrap()));
        let mr = parse_received_spf(
            "softfail (google.com: domain of transitioning x@y.example \
                                     does not designate 192.0.2.9 as permitted sender)",
        )
        .unwrap();
        assert_eq!(received_spf_receiver(&mr).as_deref(), Some("google.com"));
    }

    const MESSAGE: &str = "ARC-Authentication-Results: i=1; lists.example.net; spf=pass smtp.mailfrom=sender.example
Authentication-Results: mx.receiver.example; spf=pass smtp.mailfrom=a@sender.example;
 dkim=pass header.d=sender.example header.s=sel header.b=ABCDEF;
 dmarc=pass header.from=sender.example; arc=none; iprev=pass policy.iprev=198.51.100.5
Received-SPF: pass (mx.receiver.example: domain of a@sender.example designates 198.51.100.5 as permitted sender) client-ip=198.51.100.5; envelope-from=a@sender.example; helo=mail.sender.example
Received: from mail.sender.example (mail.sender.example [198.51.100.5]) by mx.receiver.example with ESMTPS id A; Mon, 13 Nov 2023 10:00:05 +0000
Authentication-Results: mx.receiver.example; dkim=pass header.d=evil.example
Authentication-Results: forged.example; dmarc=pass header.from=sender.example
From: a@sender.example

body
";

    fn recorded() -> Vec<RecordedResult> {
        let hs = split_headers(MESSAGE.replace('\n', "\r\n").as_bytes()).headers;
        let (mut hops, _) = parse_hops(&hs);
        let opts = Options {
            now: 1_700_000_000,
            ..Default::default()
        };
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts);
        recorded_results(&Receiving {
            headers: &hs,
            hops: &hops,
            envelope: &env,
            ops: &Operators::builtin(),
        })
    }

    #[test]
    fn trust_follows_the_receivers_authserv_id() {
        let r = recorded();
        let by_header = |i: usize| r.iter().filter(move |x| x.header_index == i);
        // ARC-A-R of an intermediary: shown, not trusted.
        let aar: Vec<_> = by_header(0).collect();
        assert_eq!(aar.len(), 1);
        assert!(!aar[0].trusted);
        assert_eq!(aar[0].properties[0], ("i".to_string(), "1".to_string()));
        assert!(aar[0].note.as_deref().unwrap().contains("intermediary"));
        // The receiver's own A-R above its Received: trusted, no note.
        assert_eq!(by_header(1).count(), 5);
        assert!(by_header(1).all(|x| x.trusted && x.note.is_none()));
        // Received-SPF whose comment names the receiver: trusted.
        assert!(by_header(2).all(|x| x.trusted && x.method == "spf"));
        // Receiver's name, but below its Received header: came with the message.
        let low: Vec<_> = by_header(4).collect();
        assert!(!low[0].trusted);
        assert!(
            low[0]
                .note
                .as_deref()
                .unwrap()
                .contains("below its Received")
        );
        // Someone else's A-R: could be forged.
        let forged: Vec<_> = by_header(5).collect();
        assert!(!forged[0].trusted);
        assert!(forged[0].note.as_deref().unwrap().contains(
            "written before the receiver got the message (by an intermediary, or forged"
        ));
    }

    fn checks() -> (SpfChecks, Vec<DkimCheck>, ArcCheck, DmarcCheck) {
        let mut spf = SpfChecks::default();
        spf.mail_from.result = AuthResult::Pass;
        spf.helo.result = AuthResult::None;
        let dkim = vec![DkimCheck {
            header_index: 9,
            domain: Some("sender.example".into()),
            selector: Some("sel".into()),
            result: AuthResult::Fail,
            reason: Some("no key for sel._domainkey.sender.example".into()),
            tags: vec![Tag {
                name: "b".into(),
                value: "ABC DEF123==".into(),
                meaning: String::new(),
                default: false,
            }],
            ..Default::default()
        }];
        let arc = ArcCheck::default();
        let dmarc = DmarcCheck {
            result: AuthResult::Pass,
            ..Default::default()
        };
        (spf, dkim, arc, dmarc)
    }

    #[test]
    fn compare_sets_ours_and_agreement() {
        let mut r = recorded();
        let (spf, dkim, arc, dmarc) = checks();
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        let find = |i: usize, m: &str| {
            r.iter()
                .find(|x| x.header_index == i && x.method == m)
                .unwrap()
        };
        let s = find(1, "spf");
        assert_eq!(
            (s.ours, s.agreement),
            (Some(AuthResult::Pass), Agreement::Agree)
        );
        let d = find(1, "dkim");
        assert_eq!(
            (d.ours, d.agreement),
            (Some(AuthResult::Fail), Agreement::Disagree)
        );
        assert!(
            d.note
                .as_deref()
                .unwrap()
                .starts_with("dkim=pass at receipt, does not verify now")
        );
        assert_eq!(find(1, "dmarc").agreement, Agreement::Agree);
        assert_eq!(find(1, "arc").agreement, Agreement::Agree); // none = none
        let ip = find(1, "iprev");
        assert_eq!((ip.ours, ip.agreement), (None, Agreement::NotCompared));
        // No signature for evil.example now: not compared, said so.
        let e = find(4, "dkim");
        assert_eq!(e.agreement, Agreement::NotCompared);
        assert!(
            e.note
                .as_deref()
                .unwrap()
                .contains("no DKIM-Signature for evil.example")
        );
        // Untrusted claims get ours but are not judged.
        let f = find(5, "dmarc");
        assert_eq!(
            (f.ours, f.agreement),
            (Some(AuthResult::Pass), Agreement::NotCompared)
        );
    }

    #[test]
    fn spf_helo_results_compare_with_our_helo_check() {
        let hs = split_headers(
            b"Authentication-Results: mx.example.org; spf=none smtp.helo=mail.sender.example\r\n\
              Received: from mail.sender.example (x [198.51.100.5]) by mx.example.org; \
              Mon, 13 Nov 2023 10:00:05 +0000\r\n\r\n",
        )
        .headers;
        let (mut hops, _) = parse_hops(&hs);
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &Options::default());
        let mut r = recorded_results(&Receiving {
            headers: &hs,
            hops: &hops,
            envelope: &env,
            ops: &Operators::builtin(),
        });
        let (spf, dkim, arc, dmarc) = checks();
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert_eq!(r[0].ours, Some(AuthResult::None));
        assert_eq!(r[0].agreement, Agreement::Agree);
    }

    fn one(method: &str, result: &str, props: &[(&str, &str)]) -> Vec<RecordedResult> {
        vec![RecordedResult {
            header_index: 0,
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..crate::test_support::recorded_result("mx.example.org", method, result)
        }]
    }

    #[test]
    fn microsoft_received_spf_is_about_mail_from() {
        let mut r = one(
            "spf",
            "pass",
            &[
                ("receiver", "protection.outlook.com"),
                ("client-ip", "192.0.2.8"),
                ("helo", "mail.sender.example"),
            ],
        );
        r[0].header_name = "Received-SPF".into();
        let (mut spf, dkim, arc, dmarc) = checks();
        spf.mail_from.domain = Some("sender.example".into());
        spf.mail_from.client_ip = Some("192.0.2.8".into());
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert_eq!(
            (r[0].ours, r[0].agreement),
            (Some(AuthResult::Pass), Agreement::Agree)
        );
        assert_eq!(r[0].note, None);
    }

    #[test]
    fn spf_for_another_identity_or_ip_is_noted() {
        let mut r = one(
            "spf",
            "pass",
            &[
                ("smtp.mailfrom", "a@other.example"),
                ("smtp.remote-ip", "192.0.2.7"),
            ],
        );
        let (mut spf, dkim, arc, dmarc) = checks();
        spf.mail_from.sender = Some("a@sender.example".into());
        spf.mail_from.domain = Some("sender.example".into());
        spf.mail_from.client_ip = Some("192.0.2.8".into());
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        let note = r[0].note.as_deref().unwrap();
        assert!(
            note.contains("recorded for a@other.example, checked now for sender.example"),
            "{note}"
        );
        assert!(
            note.contains("client IP 192.0.2.7, checked now for 192.0.2.8"),
            "{note}"
        );
    }

    #[test]
    fn dkim_none_agrees_with_no_signature() {
        let mut r = one("dkim", "none", &[]);
        let (spf, _, arc, dmarc) = checks();
        compare(&mut r, &spf, &[], &arc, &dmarc);
        assert_eq!(
            (r[0].ours, r[0].agreement),
            (Some(AuthResult::None), Agreement::Agree)
        );
    }

    #[test]
    fn dkim_neutral_and_fail_both_mean_not_verified() {
        let mut r = one("dkim", "neutral", &[("header.d", "sender.example")]);
        let (spf, dkim, arc, dmarc) = checks();
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert_eq!(r[0].agreement, Agreement::Agree);
        assert!(
            r[0].note
                .as_deref()
                .unwrap()
                .contains("both say the signature does not verify")
        );
    }

    #[test]
    fn dkim_is_matched_by_header_b_prefix() {
        let mut r = vec![RecordedResult {
            header_index: 0,
            properties: vec![("header.b".into(), "ABCDEF1".into())],
            ..crate::test_support::recorded_result("mx.example.org", "dkim", "fail")
        }];
        let (spf, dkim, arc, dmarc) = checks();
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert_eq!(r[0].ours, Some(AuthResult::Fail));
        assert_eq!(r[0].agreement, Agreement::Agree);
    }

    fn recorded_for(text: &str) -> Vec<RecordedResult> {
        let hs = split_headers(text.replace('\n', "\r\n").as_bytes()).headers;
        let (mut hops, _) = parse_hops(&hs);
        let opts = Options {
            now: 1_700_000_000,
            ..Default::default()
        };
        let (env, _) = reconstruct_envelope(&hs, &mut hops, &opts);
        recorded_results(&Receiving {
            headers: &hs,
            hops: &hops,
            envelope: &env,
            ops: &Operators::builtin(),
        })
    }

    #[test]
    fn a_local_authserv_id_above_every_received_is_the_receivers() {
        // c17: `mailfilter` names no host; it sits above the receiver's topmost Received, and
        // the forged Received-SPF below that Received is not the receiver's.
        let text = "Authentication-Results: mailfilter; spf=fail smtp.mailfrom=bank.example; \
                    dkim=none; dmarc=fail header.from=bank.example\n\
                    Received: from smtp.evil.example (smtp.evil.example [198.51.100.200]) by \
                    mx.example.net (Postfix) with ESMTPS id 4QTm7k1Zbdz2xFh; Wed, 04 Nov 2026 \
                    10:05:36 +0000\n\
                    Received-SPF: pass (mx.example.net: domain of ceo@bank.example designates \
                    192.0.2.10 as permitted sender) client-ip=192.0.2.10;\n\
                    Received: from mail.bank.example (mail.bank.example [192.0.2.10]) by \
                    mx.example.net (Postfix) with ESMTPS id 4QTm000000; Wed, 04 Nov 2026 \
                    10:05:30 +0000\n\n";
        let r = recorded_for(text);
        let top: Vec<_> = r.iter().filter(|x| x.header_index == 0).collect();
        assert_eq!(top.len(), 3);
        assert!(top.iter().all(|x| x.trusted), "{top:?}");
        let spf = r.iter().find(|x| x.header_index == 2).unwrap();
        assert!(!spf.trusted, "{spf:?}");
        // Below the topmost Received it is somebody else's label.
        let lower = text.replacen("Authentication-Results: mailfilter", "X-A: b", 1).replacen(
            "Received-SPF:",
            "Authentication-Results: mailfilter; spf=pass smtp.mailfrom=bank.example\nReceived-SPF:",
            1,
        );
        let r = recorded_for(&lower);
        assert!(
            r.iter()
                .filter(|x| x.authserv_id.as_deref() == Some("mailfilter"))
                .all(|x| !x.trusted)
        );
    }

    #[test]
    fn dkim_pass_then_body_hash_mismatch_blames_the_body_not_the_key() {
        let (spf, _, arc, dmarc) = checks();
        let sig = |body: Option<bool>, header: Option<bool>, key: bool| DkimCheck {
            domain: Some("example.org".into()),
            selector: Some("s1".into()),
            result: AuthResult::Fail,
            reason: Some("why".into()),
            body_hash_matches: body,
            header_signature_valid: header,
            key: key.then(crate::analysis::model::DkimKey::default),
            ..Default::default()
        };
        let note = |c: DkimCheck| {
            let mut r = one("dkim", "pass", &[("header.d", "example.org")]);
            compare(&mut r, &spf, &[c], &arc, &dmarc);
            r[0].note.clone().unwrap()
        };
        let body = note(sig(Some(false), Some(true), true));
        assert!(
            body.contains("the body was changed after receipt"),
            "{body}"
        );
        assert!(!body.contains("rotated"), "{body}");
        let key = note(sig(Some(true), Some(false), true));
        assert!(
            key.contains("key may have been rotated or revoked"),
            "{key}"
        );
        let gone = note(sig(Some(true), None, false));
        assert!(
            gone.contains("key may have been rotated or revoked"),
            "{gone}"
        );
        let unknown = note(sig(None, None, true));
        assert_eq!(unknown, "dkim=pass at receipt, does not verify now (why)");
    }

    #[test]
    fn dkim_pass_then_expired_names_the_expiry_alone() {
        let (spf, _, arc, dmarc) = checks();
        let reason = "signature expired (x=1767311400, 2026-01-01 23:50:00 UTC): 23 h after \
                      receipt, so it was valid when the receiver got it";
        // The key is gone too, but the expiry is the one cause DKIM named.
        let expired = DkimCheck {
            domain: Some("example.org".into()),
            selector: Some("s1".into()),
            result: AuthResult::PermError,
            reason: Some(reason.into()),
            body_hash_matches: Some(true),
            ..Default::default()
        };
        let mut r = one("dkim", "pass", &[("header.d", "example.org")]);
        compare(&mut r, &spf, &[expired], &arc, &dmarc);
        assert_eq!(
            r[0].note.as_deref(),
            Some(format!("dkim=pass at receipt, does not verify now ({reason})").as_str())
        );
    }

    #[test]
    fn untrusted_texts_say_which_side_of_the_boundary() {
        let r = recorded_for(
            "Authentication-Results: filter.example.org; spf=pass smtp.mailfrom=a@sender.example\n\
             Received: from mail.sender.example (mail.sender.example [198.51.100.5]) by \
             mx.receiver.example with ESMTPS id A; Mon, 13 Nov 2023 10:00:05 +0000\n\
             Authentication-Results: relay.example.com; spf=pass smtp.mailfrom=a@sender.example\n\
             Received: from x.example (x.example [198.51.100.9]) by relay.example.com; \
             Mon, 13 Nov 2023 10:00:01 +0000\n\n",
        );
        let above = r.iter().find(|x| x.header_index == 0).unwrap();
        let note = above.note.as_deref().unwrap();
        assert!(!above.trusted);
        assert!(
            note.contains("above the receiver's Received header: added after"),
            "{note}"
        );
        assert!(!note.contains("forged"), "{note}");
        let below = r.iter().find(|x| x.header_index == 2).unwrap();
        let note = below.note.as_deref().unwrap();
        assert!(
            note.contains("below the receiver's Received header: written before the receiver"),
            "{note}"
        );
    }

    #[test]
    fn recorded_dmarc_disposition_is_compared_with_the_policy() {
        let (spf, dkim, arc, _) = checks();
        let dmarc = DmarcCheck {
            result: AuthResult::Fail,
            disposition: Some("reject".into()),
            ..Default::default()
        };
        let r = recorded_for(
            "Authentication-Results: mx.example.net; dmarc=fail (p=reject dis=quarantine) \
             header.from=example.com\n\
             Received: from a.example (a.example [198.51.100.5]) by mx.example.net; \
             Mon, 13 Nov 2023 10:00:05 +0000\n\n",
        );
        let mut r = r;
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert_eq!(r[0].disposition.as_deref(), Some("quarantine"));
        assert_eq!(
            r[0].note.as_deref(),
            Some("the receiver applied quarantine, not reject (local policy)")
        );
        let mut r = recorded_for(
            "Authentication-Results: mx.example.net; dmarc=fail reason=\"arc override\" \
             policy.dmarc=reject header.from=example.com\n\
             Received: from a.example (a.example [198.51.100.5]) by mx.example.net; \
             Mon, 13 Nov 2023 10:00:05 +0000\n\n",
        );
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert!(
            r[0].note
                .as_deref()
                .unwrap()
                .starts_with("the receiver overrode DMARC because of ARC"),
            "{:?}",
            r[0].note
        );
        // Microsoft's action=oreject: the reject policy overridden.
        let mut r = one(
            "dmarc",
            "fail",
            &[("action", "oreject"), ("header.from", "example.com")],
        );
        r[0].disposition = Some("oreject".into());
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert!(
            r[0].note
                .as_deref()
                .unwrap()
                .contains("overrode the DMARC policy reject")
        );
        // Applied as published: nothing to say.
        let mut r = recorded_for(
            "Authentication-Results: mx.example.net; dmarc=fail (p=REJECT sp=REJECT dis=REJECT) \
             header.from=example.com\n\
             Received: from a.example (a.example [198.51.100.5]) by mx.example.net; \
             Mon, 13 Nov 2023 10:00:05 +0000\n\n",
        );
        compare(&mut r, &spf, &dkim, &arc, &dmarc);
        assert_eq!(r[0].disposition.as_deref(), Some("reject"));
        assert_eq!(r[0].note, None);
    }

    #[test]
    fn an_intermediarys_results_repeated_in_its_arc_results_are_one_row() {
        let r = recorded_for(
            "ARC-Authentication-Results: i=1; lists.example.org; dkim=pass header.d=example.com \
             header.s=s1; spf=pass smtp.mailfrom=example.com\n\
             Authentication-Results: lists.example.org; dkim=pass header.d=example.com \
             header.s=s1; spf=fail smtp.mailfrom=example.com\n\
             Received: from a.example (a.example [198.51.100.5]) by mx.example.net; \
             Mon, 13 Nov 2023 10:00:05 +0000\n\n",
        );
        let dkim: Vec<_> = r.iter().filter(|x| x.method == "dkim").collect();
        assert_eq!(dkim.len(), 1);
        assert_eq!(dkim[0].header_index, 0);
        assert_eq!(dkim[0].also_in_headers, vec![1]);
        assert_eq!(dkim[0].signature.as_deref(), Some("d=example.com s=s1"));
        assert!(dkim[0].note.as_deref().unwrap().contains(
            "carried by both Authentication-Results (header 1) and \
                 ARC-Authentication-Results i=1 (header 0)"
        ));
        // Different results are both kept.
        assert_eq!(r.iter().filter(|x| x.method == "spf").count(), 2);
    }

    const GMAIL: &str = "Received: by 2002:a05:7300:1234:b0:1::1 with SMTP id x; Mon, 13 Nov 2023 10:00:07 +0000
ARC-Authentication-Results: i=1; mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=pass smtp.mailfrom=a@example.com; dmarc=pass header.from=example.com
Return-Path: <a@example.com>
Received: from mail.example.com (mail.example.com. [198.51.100.5]) by mx.google.com with ESMTPS id y; Mon, 13 Nov 2023 10:00:05 +0000
Received-SPF: pass (google.com: domain of a@example.com designates 198.51.100.5 as permitted sender) client-ip=198.51.100.5;
Authentication-Results: mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=pass smtp.mailfrom=a@example.com; dmarc=pass header.from=example.com
From: a@example.com

body
";

    #[test]
    fn gmails_exception_compares_properties_not_just_results() {
        // c06: a second mx.google.com A-R below the Received with the same method=result set
        // but other identities is not vouched for by the ARC-A-R.
        let forged = GMAIL.replace(
            "From: a@example.com",
            "Authentication-Results: mx.google.com; dkim=pass header.i=@bank.example \
             header.s=s2024; spf=pass smtp.mailfrom=ceo@bank.example; dmarc=pass \
             header.from=bank.example\nFrom: a@example.com",
        );
        let hs = split_headers(forged.replace('\n', "\r\n").as_bytes()).headers;
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &Options::default());
        let forged_warnings: Vec<_> = warnings
            .iter()
            .filter(|w| w.code == "forged-auth-results")
            .collect();
        assert_eq!(forged_warnings.len(), 1, "{warnings:?}");
        assert_eq!(forged_warnings[0].header_index, Some(6));
        let r = recorded_results(&Receiving {
            headers: &hs,
            hops: &hops,
            envelope: &env,
            ops: &Operators::builtin(),
        });
        let bank: Vec<_> = r.iter().filter(|x| x.header_index == 6).collect();
        assert_eq!(bank.len(), 3);
        assert!(bank.iter().all(|x| !x.trusted), "{bank:?}");
    }

    #[test]
    fn gmails_received_spf_below_its_received_is_trusted_when_its_arc_results_agree() {
        // c06/c16: Gmail writes Received-SPF below its Received; its ARC-A-R above records the
        // same spf result for the same client IP and MAIL FROM.
        let comment = "(google.com: domain of a@example.com designates 198.51.100.5 as permitted \
                       sender)";
        let gmail = GMAIL.replacen(
            "spf=pass smtp.mailfrom",
            &format!("spf=pass {comment} smtp.mailfrom"),
            1,
        );
        let r = recorded_for(&gmail);
        let spf = r.iter().find(|x| x.header_index == 4).unwrap();
        assert!(spf.trusted, "{spf:?}");
        // Another client IP, or no matching ARC-A-R: the sender could have written it.
        for text in [
            gmail.replace(
                "designates 198.51.100.5 as permitted sender) client-ip=198.51.100.5",
                "designates 192.0.2.10 as permitted sender) client-ip=192.0.2.10",
            ),
            GMAIL.to_string(),
        ] {
            let r = recorded_for(&text);
            let spf = r.iter().find(|x| x.header_index == 4).unwrap();
            assert!(!spf.trusted, "{spf:?}");
        }
    }

    #[test]
    fn gmails_auth_results_below_its_received_is_trusted_when_its_arc_results_agree() {
        let hs = split_headers(GMAIL.replace('\n', "\r\n").as_bytes()).headers;
        let (mut hops, _) = parse_hops(&hs);
        let opts = Options {
            now: 1_700_000_000,
            ..Default::default()
        };
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts);
        assert_eq!(env.boundary_header, Some(3));
        assert_eq!(env.client_ip.as_deref(), Some("198.51.100.5"));
        assert!(!warnings.iter().any(|w| w.code == "forged-auth-results"));
        let r = recorded_results(&Receiving {
            headers: &hs,
            hops: &hops,
            envelope: &env,
            ops: &Operators::builtin(),
        });
        // Trusted, and the same as the ARC-A-R rows: one row each, naming both headers.
        assert!(!r.iter().any(|x| x.header_index == 5), "{r:?}");
        let aar: Vec<_> = r.iter().filter(|x| x.header_index == 1).collect();
        assert_eq!(aar.len(), 3);
        assert!(
            aar.iter().all(|x| x.trusted && x.also_in_headers == [5]),
            "{aar:?}"
        );
        // A different claim below the receiver's Received is not vouched for.
        let forged = GMAIL.replace(
            "Authentication-Results: mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=pass",
            "Authentication-Results: mx.google.com; dkim=pass header.i=@example.com header.s=s1; spf=fail",
        );
        let hs = split_headers(forged.replace('\n', "\r\n").as_bytes()).headers;
        let (mut hops, _) = parse_hops(&hs);
        let (env, warnings) = reconstruct_envelope(&hs, &mut hops, &opts);
        assert!(warnings.iter().any(|w| w.code == "forged-auth-results"));
        let r = recorded_results(&Receiving {
            headers: &hs,
            hops: &hops,
            envelope: &env,
            ops: &Operators::builtin(),
        });
        assert!(r.iter().filter(|x| x.header_index == 5).all(|x| !x.trusted));
    }

    #[test]
    fn random_text_never_panics() {
        // A small deterministic generator over the characters the grammar cares about.
        let alphabet = "ab=;()\"\\. @:/<>\té1";
        for text in crate::test_support::random_texts(alphabet, 0x2545_f491_4f6c_dd1d, 3000, 40) {
            let _ = parse_authentication_results(&text);
            let _ = parse_received_spf(&text);
            let _ = authserv_id_of(&text);
            let _ = split_arc_instance(&text);
        }
    }
}
