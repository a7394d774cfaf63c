//! mail-auth's verdict on the same signatures and DNS answers, set beside ours: a difference is
//! explained, never hidden.

use mail_auth::DkimResult;
use mail_auth::dkim::DkimError;

use super::EvaluatedDkim;
use super::parse::ParsedDkim;
use crate::analysis::authenticator::{MailAuth, TxtKind};
use crate::analysis::model::AuthResult;
use crate::analysis::step::{Outcome, Step};

pub(super) struct MailAuthDkim {
    /// (d, s, b) of the signature it judged, when it could parse it.
    signature: Option<(String, String, Vec<u8>)>,
    result: DkimResult,
}

/// mail-auth's `verify_dkim` on the message (`crlf`: `raw` with CRLF line ends; `body_offset`:
/// where our reading puts the body, see `MailAuth::message`).
pub(super) async fn run_mail_auth_dkim(
    auth: &MailAuth,
    raw: &[u8],
    crlf: &[u8],
    body_offset: Option<usize>,
) -> Vec<MailAuthDkim> {
    // Lenient on l= (strict=false): we evaluate l= signatures per RFC 6376 and flag them, so
    // mail-auth must judge them too for the comparison to mean anything.
    let Some(message) = auth.message(raw, crlf, body_offset) else {
        return Vec::new();
    };
    let message = &message;
    auth.run(TxtKind::DomainKey, &|a, caches| {
        Box::pin(async move {
            a.verify_dkim(caches.params(message))
                .await
                .into_iter()
                .map(|o| MailAuthDkim {
                    signature: o
                        .signature()
                        .map(|s| (s.d.clone(), s.s.clone(), s.b.clone())),
                    result: o.result().clone(),
                })
                .collect()
        })
    })
    .await
}

/// mail-auth's word for a result, and the RFC 8601 result it amounts to in our terms (mail-auth
/// says neutral for a body-hash mismatch and for expiry, where we say fail and permerror).
pub(super) fn mail_auth_words(
    result: &DkimResult,
) -> (AuthResult, AuthResult, Option<String>, bool) {
    use mail_auth::Error;
    use mail_auth::common::crypto::CryptoError;
    match result {
        DkimResult::Pass => (AuthResult::Pass, AuthResult::Pass, None, false),
        DkimResult::None => (AuthResult::None, AuthResult::None, None, false),
        DkimResult::Neutral(e) => {
            let (normalized, expired) = match e {
                Error::Dkim(DkimError::SignatureExpired) => (AuthResult::PermError, true),
                Error::Dkim(DkimError::FailedBodyHashMatch) => (AuthResult::Fail, false),
                _ => (AuthResult::PermError, false),
            };
            (
                AuthResult::Neutral,
                normalized,
                Some(e.to_string()),
                expired,
            )
        }
        DkimResult::Fail(e) => {
            let normalized = match e {
                Error::Crypto(CryptoError::FailedVerification | CryptoError::Library(_)) => {
                    AuthResult::Fail
                }
                Error::Dkim(DkimError::FailedBodyHashMatch) => AuthResult::Fail,
                _ => AuthResult::PermError,
            };
            (AuthResult::Fail, normalized, Some(e.to_string()), false)
        }
        DkimResult::PermError(e) => (
            AuthResult::PermError,
            AuthResult::PermError,
            Some(e.to_string()),
            false,
        ),
        DkimResult::TempError(e) => (
            AuthResult::TempError,
            AuthResult::TempError,
            Some(e.to_string()),
            false,
        ),
    }
}

pub(super) fn attach_mail_auth(
    evaluated: &mut [EvaluatedDkim],
    parsed: &[ParsedDkim],
    outputs: Vec<MailAuthDkim>,
) {
    let mut with_signature: Vec<Option<MailAuthDkim>> = Vec::new();
    let mut without_signature: Vec<MailAuthDkim> = Vec::new();
    for o in outputs {
        if o.signature.is_some() {
            with_signature.push(Some(o));
        } else {
            without_signature.push(o);
        }
    }
    let mut anonymous = without_signature.into_iter();
    for (e, p) in evaluated.iter_mut().zip(parsed) {
        let found = p.match_key.as_ref().and_then(|key| {
            with_signature
                .iter_mut()
                .find(|o| o.as_ref().and_then(|o| o.signature.as_ref()) == Some(key))
                .and_then(Option::take)
        });
        let found = match found {
            Some(f) => Some(f),
            None if e.malformed => anonymous.next(),
            None => None,
        };
        compare_with_mail_auth(e, found, p.header_index);
    }
}

/// Sets mail-auth's verdict on one signature (`theirs`, None when it did not report on it)
/// beside ours, with the step that explains any difference.
pub(super) fn compare_with_mail_auth(
    e: &mut EvaluatedDkim,
    theirs: Option<MailAuthDkim>,
    header_index: usize,
) {
    // Headers only: the body hash was not computed (malformed signatures never get that far).
    let no_body = e.check.body_hash_matches.is_none() && e.check.body_hash_expected.is_some();
    let Some(theirs) = theirs else {
        let disagree = !e.malformed && !no_body;
        e.check.disagreement = disagree;
        e.check
            .steps
            .push(not_reported_step(disagree, header_index));
        return;
    };
    let (word, normalized, reason, their_expired) = mail_auth_words(&theirs.result);
    e.check.mail_auth_result = Some(word);
    e.check.mail_auth_reason = reason.clone();
    let theirs_text = format!(
        "mail-auth says {word}{}",
        reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    let theirs = Theirs {
        text: theirs_text,
        word,
        normalized,
        expired: their_expired,
    };
    let (outcome, text) = match explain_difference(e, &theirs, no_body) {
        Some(same) => (Outcome::Info, same),
        None => {
            e.check.disagreement = true;
            (
                Outcome::Warning,
                format!(
                    "{}, but we say {}: the verifiers disagree. Ours follows RFC 6376 and RFC \
                     8301 step by step as shown above; read both before trusting either.",
                    theirs.text, e.check.result
                ),
            )
        }
    };
    e.check.steps.push(
        Step::new("Cross-check with mail-auth", outcome, text)
            .header(header_index)
            .fact("mail-auth", word.to_string()),
    );
}

/// mail-auth's verdict on one signature, in our terms.
struct Theirs {
    /// "mail-auth says …".
    text: String,
    word: AuthResult,
    normalized: AuthResult,
    expired: bool,
}

/// The cross-check step when mail-auth did not report on the signature at all.
fn not_reported_step(disagree: bool, header_index: usize) -> Step {
    Step::new(
        "Cross-check with mail-auth",
        if disagree {
            Outcome::Warning
        } else {
            Outcome::Info
        },
        if disagree {
            "mail-auth did not report on this signature at all, though we could read it: the two \
             parsers disagree about it."
        } else {
            "mail-auth did not report on this signature either (it drops signatures it cannot \
             parse)."
        },
    )
    .header(header_index)
}

/// Why mail-auth's verdict is the same as ours, or differs for a known reason (the clock, the
/// missing body); None when the verifiers really disagree.
fn explain_difference(e: &EvaluatedDkim, theirs: &Theirs, no_body: bool) -> Option<String> {
    let ours = e.check.result;
    let said = &theirs.text;
    let word = theirs.word;
    let text = if theirs.normalized == ours {
        if word == ours {
            format!("{said}: the same verdict.")
        } else {
            format!(
                "{said}: the same conclusion; mail-auth words it {word} where RFC 8601 readers \
                 expect {ours}."
            )
        }
    } else if no_body && theirs.normalized == AuthResult::Fail && ours == AuthResult::Neutral {
        format!(
            "{said}. The difference is only the missing body: mail-auth hashes it as an empty \
             body, which cannot match bh=; we do not judge a body we do not have."
        )
    } else if theirs.expired && !e.expired {
        format!(
            "{said}. The difference is only the clock: mail-auth reads x= against the system \
             clock, which is past it; as of the evaluation time the signature has not expired. \
             (mail-auth stopped there, so nothing else was cross-checked.)"
        )
    } else if theirs.expired && e.expired && e.check.body_hash_matches == Some(false) {
        format!(
            "{said}. The same conclusion, the signature does not verify: mail-auth stops at the \
             expired x=, while we name the body hash, which fails the signature whatever the \
             clock (see the time step)."
        )
    } else if e.expired && theirs.normalized == e.result_ignoring_expiry {
        format!(
            "{said}. The difference is only the clock: mail-auth reads x= against the system \
             clock, which is before it; as of the evaluation time the signature has expired. \
             Apart from that the verdicts agree."
        )
    } else {
        return None;
    };
    Some(text)
}
