//! SPF (RFC 7208) for the MAIL FROM and HELO identities, as a trace a person can follow.
//!
//! mail-auth evaluates SPF but exposes no trace, so the evaluation is done here ([`check_host`],
//! in `eval.rs`), step by step, with every DNS query attached to the step that used it. mail-auth
//! is then run on the same answers (its resolver goes through the same [`Dns`] log) and its
//! verdict is kept beside ours; a difference is flagged, never hidden.
//!
//! Layout: `record.rs` the record grammar, `macros.rs` macro strings, `eval.rs` check_host().

mod eval;
pub(crate) mod macros;
mod prefetch;
pub(crate) mod record;

use std::net::IpAddr;

use mail_auth::spf::verify::SpfParameters;
use mail_auth::{SpfOutput, SpfResult};

use super::authenticator::MailAuth;

use super::{AuthResult, Envelope, Fact, Outcome, SpfCheck, SpfChecks, Step};
use crate::dns::Dns;

pub use eval::{MAX_DNS_LOOKUPS, MAX_VOID_LOOKUPS};

/// SPF for both identities of `envelope`, traced, each compared with mail-auth's verdict.
pub async fn check_spf(dns: &Dns, auth: &MailAuth, envelope: &Envelope) -> SpfChecks {
    check_spf_at(dns, auth, envelope, None).await
}

/// As [`check_spf`], with the evaluation time for the `%{t}` macro (unix seconds); without it,
/// `%{t}` in an explanation is shown as written.
pub async fn check_spf_at(
    dns: &Dns,
    auth: &MailAuth,
    envelope: &Envelope,
    now: Option<i64>,
) -> SpfChecks {
    let (mut mail_from, mut helo) = tokio::join!(
        mail_from_check(dns, auth, envelope, now),
        helo_check(dns, auth, envelope, now)
    );
    cite_sources(
        &mut mail_from,
        envelope,
        &["client_ip", "mail_from", "spf_mail_from"],
    );
    cite_sources(&mut helo, envelope, &["client_ip", "helo"]);
    SpfChecks { mail_from, helo }
}

/// Points the first step at the headers the checked identity and IP were read from, so a reader
/// can see where the inputs came from.
fn cite_sources(check: &mut SpfCheck, envelope: &Envelope, fields: &[&str]) {
    let Some(first) = check.steps.first_mut() else {
        return;
    };
    for source in envelope
        .sources
        .iter()
        .filter(|s| fields.contains(&s.field.as_str()))
    {
        if let Some(index) = source.header_index
            && !first.headers.contains(&index)
        {
            first.headers.push(index);
        }
        first.facts.push(Fact {
            name: format!("{}_source", source.field),
            value: format!("{} ({})", source.text, source.how),
        });
    }
}

/// One check_host() run, traced. `receiver` is the %{r} macro value.
pub async fn check_host(
    dns: &Dns,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
    receiver: &str,
) -> SpfCheck {
    check_host_at(dns, ip, domain, sender, helo, receiver, None).await
}

/// [`check_host`] with the evaluation time for `%{t}`.
pub async fn check_host_at(
    dns: &Dns,
    ip: IpAddr,
    domain: &str,
    sender: &str,
    helo: &str,
    receiver: &str,
    now: Option<i64>,
) -> SpfCheck {
    let verdict = eval::run(
        dns,
        eval::Request {
            ip,
            domain,
            sender,
            helo,
            receiver,
            now,
        },
    )
    .await;
    SpfCheck {
        identity: String::new(),
        sender: Some(sender.to_string()),
        domain: Some(domain.to_string()),
        client_ip: Some(ip.to_string()),
        result: verdict.result,
        matched: verdict.matched,
        explanation: verdict.explanation,
        dns_lookups: verdict.dns_lookups,
        void_lookups: verdict.void_lookups,
        mail_auth_result: None,
        disagreement: false,
        steps: verdict.steps,
    }
}

/// The client IP as the envelope gives it; brackets and an `IPv6:` tag (RFC 5321 address
/// literal form) are tolerated.
fn parse_client_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(t);
    let t = t
        .get(..5)
        .filter(|p| p.eq_ignore_ascii_case("ipv6:"))
        .map_or(t, |_| &t[5..]);
    t.parse().ok()
}

/// A check with nothing to check: result none, and one step saying what is missing.
fn not_checked(identity: &str, envelope: &Envelope, title: &str, why: String) -> SpfCheck {
    SpfCheck {
        identity: identity.to_string(),
        client_ip: envelope.client_ip.clone(),
        result: AuthResult::None,
        steps: vec![Step::new(title, Outcome::Skipped, why).fact("result", "none")],
        ..Default::default()
    }
}

/// The client IP, or the check explaining why there is none.
fn client_ip(identity: &str, envelope: &Envelope) -> Result<IpAddr, Box<SpfCheck>> {
    match envelope.client_ip.as_deref() {
        None => Err(Box::new(not_checked(
            identity,
            envelope,
            "No client IP",
            "The connecting client's IP address is unknown (no trusted Received header gave \
             one, and none was given with --ip). SPF asks whether that address may send for a \
             domain, so nothing could be checked: result none."
                .to_string(),
        ))),
        Some(text) => parse_client_ip(text).ok_or_else(|| {
            Box::new(not_checked(
                identity,
                envelope,
                "Client IP unusable",
                format!(
                    "The client IP `{text}` is not an IPv4 or IPv6 address, so SPF could not be \
                     checked: result none."
                ),
            ))
        }),
    }
}

async fn mail_from_check(
    dns: &Dns,
    auth: &MailAuth,
    envelope: &Envelope,
    now: Option<i64>,
) -> SpfCheck {
    const IDENTITY: &str = "mail_from";
    let ip = match client_ip(IDENTITY, envelope) {
        Ok(ip) => ip,
        Err(check) => return *check,
    };
    let Some(sender) = envelope.spf_mail_from.as_deref().filter(|s| !s.is_empty()) else {
        // Two ways here: no MAIL FROM at all, or the null reverse-path with no HELO to stand
        // for it (RFC 7208 §2.4).
        let why = match envelope.mail_from.as_deref() {
            Some("") => {
                "The MAIL FROM is the null reverse-path (a bounce), which SPF checks as \
                 postmaster@<HELO> (RFC 7208 §2.4), and no HELO name is known"
            }
            _ => "The MAIL FROM address is unknown (no Return-Path header and no --mail-from)",
        };
        return not_checked(
            IDENTITY,
            envelope,
            "No MAIL FROM",
            format!("{why}, so SPF for MAIL FROM could not be checked: result none."),
        );
    };
    let domain = sender.rsplit_once('@').map_or(sender, |(_, d)| d);
    let helo = envelope.helo.as_deref().unwrap_or("");
    let receiver = envelope.receiver.as_deref().unwrap_or("");
    with_mail_auth(
        IDENTITY,
        check_host_at(dns, ip, domain, sender, helo, receiver, now),
        auth.verify_spf(&|| SpfParameters::verify_mail_from(ip, helo, receiver, sender)),
    )
    .await
}

async fn helo_check(dns: &Dns, auth: &MailAuth, envelope: &Envelope, now: Option<i64>) -> SpfCheck {
    const IDENTITY: &str = "helo";
    let ip = match client_ip(IDENTITY, envelope) {
        Ok(ip) => ip,
        Err(check) => return *check,
    };
    let Some(helo) = envelope
        .helo
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    else {
        return not_checked(
            IDENTITY,
            envelope,
            "No HELO name",
            "The HELO/EHLO name the client gave is unknown (not recorded in the trusted \
             Received header, and no --helo), so the HELO identity could not be checked: \
             result none."
                .to_string(),
        );
    };
    if let Some(problem) = eval::domain_problem(helo) {
        let mut check = not_checked(
            IDENTITY,
            envelope,
            "HELO not checked",
            format!(
                "The HELO name `{helo}` {problem}. SPF checks the HELO identity only when it is a \
                 fully qualified domain name (RFC 7208 §2.3), so the result is none."
            ),
        );
        check.sender = Some(format!("postmaster@{helo}"));
        check.domain = Some(helo.to_string());
        return check;
    }
    let sender = format!("postmaster@{helo}");
    let receiver = envelope.receiver.as_deref().unwrap_or("");
    with_mail_auth(
        IDENTITY,
        check_host_at(dns, ip, helo, &sender, helo, receiver, now),
        auth.verify_spf(&|| SpfParameters::verify_ehlo(ip, helo, receiver)),
    )
    .await
}

/// Our evaluation of one identity, then mail-auth's (which then finds our answers in memory):
/// the check is labelled with the identity and notes where mail-auth's result differs.
async fn with_mail_auth(
    identity: &str,
    ours: impl Future<Output = SpfCheck>,
    theirs: impl Future<Output = SpfOutput>,
) -> SpfCheck {
    let mut check = ours.await;
    let theirs = theirs.await;
    check.identity = identity.to_string();
    compare(&mut check, theirs.result());
    check
}

/// mail-auth's SPF result in RFC 8601 words.
pub fn from_mail_auth_result(result: SpfResult) -> AuthResult {
    match result {
        SpfResult::Pass => AuthResult::Pass,
        SpfResult::Fail => AuthResult::Fail,
        SpfResult::SoftFail => AuthResult::SoftFail,
        SpfResult::Neutral => AuthResult::Neutral,
        SpfResult::TempError => AuthResult::TempError,
        SpfResult::PermError => AuthResult::PermError,
        SpfResult::None => AuthResult::None,
    }
}

/// Records mail-auth's verdict, and a Warning step when it differs from ours.
fn compare(check: &mut SpfCheck, theirs: SpfResult) {
    let theirs = from_mail_auth_result(theirs);
    check.mail_auth_result = Some(theirs);
    if theirs != check.result {
        check.disagreement = true;
        check.steps.push(
            Step::new(
                format!(
                    "Disagreement: traced {} vs mail-auth {theirs}",
                    check.result
                ),
                Outcome::Warning,
                format!(
                    "mail-auth 0.13.3, run on the same DNS answers, says {theirs}; the traced \
                     evaluation above says {}. Both are shown: the steps above give the reason \
                     for ours. Known differences: mail-auth does not enforce the limit of {} \
                     void lookups, treats a DNS error on the records a ptr or %{{p}} needs \
                     differently, and checks domain syntax less strictly.",
                    check.result, MAX_VOID_LOOKUPS
                ),
            )
            .fact("traced", check.result.as_str())
            .fact("mail_auth", theirs.as_str()),
        );
    }
}

#[cfg(test)]
mod tests;
