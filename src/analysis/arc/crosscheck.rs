//! mail-auth's verdict on the same chain and DNS answers, set beside ours.

use mail_auth::DkimResult;

use crate::analysis::authenticator::{MailAuth, TxtKind};
use crate::analysis::model::{ArcCheck, AuthResult};
use crate::analysis::step::{Outcome, Step};

pub(super) struct MailAuthArc {
    result: AuthResult,
    reason: Option<String>,
    expired: bool,
}

/// mail-auth's `verify_arc` on the message (arguments as for DKIM's cross-check).
pub(super) async fn run_mail_auth_arc(
    auth: &MailAuth,
    raw: &[u8],
    crlf: &[u8],
    body_offset: Option<usize>,
) -> Option<MailAuthArc> {
    let message = auth.message(raw, crlf, body_offset)?;
    let message = &message;
    let result = auth
        .run(TxtKind::DomainKey, &|a, caches| {
            Box::pin(async move { a.verify_arc(caches.params(message)).await.result().clone() })
        })
        .await;
    let (result, reason, expired) = match &result {
        DkimResult::Pass => (AuthResult::Pass, None, false),
        DkimResult::None => (AuthResult::None, None, false),
        DkimResult::TempError(e) => (
            AuthResult::TempError,
            Some(format!("temperror: {e}")),
            false,
        ),
        DkimResult::Neutral(e) => (
            AuthResult::Fail,
            Some(format!("neutral: {e}")),
            matches!(
                e,
                mail_auth::Error::Arc(mail_auth::arc::ArcError::SignatureExpired)
            ),
        ),
        DkimResult::Fail(e) => (AuthResult::Fail, Some(format!("fail: {e}")), false),
        DkimResult::PermError(e) => (AuthResult::Fail, Some(format!("permerror: {e}")), false),
    };
    Some(MailAuthArc {
        result,
        reason,
        expired,
    })
}

pub(super) fn compare_with_mail_auth(
    check: &mut ArcCheck,
    theirs: Option<MailAuthArc>,
    newest_ams_expired: bool,
    result_ignoring_expiry: AuthResult,
) {
    // mail-auth cannot parse a message without headers; it has nothing to say then.
    let theirs = theirs.unwrap_or(MailAuthArc {
        result: AuthResult::None,
        reason: None,
        expired: false,
    });
    check.mail_auth_result = Some(theirs.result);
    check.mail_auth_reason = theirs.reason.clone();
    let said = format!(
        "mail-auth says arc={}{}",
        theirs.result,
        theirs
            .reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    );
    let (outcome, text) = if theirs.result == check.result {
        (Outcome::Info, format!("{said}: the same verdict."))
    } else if check.result == AuthResult::Neutral && theirs.result == AuthResult::Fail {
        // Only a headers-only input makes our chain neutral.
        (
            Outcome::Info,
            format!(
                "{said}. The difference is only the missing body: mail-auth hashes it as an \
                 empty body, which cannot match the AMS bh=."
            ),
        )
    } else if theirs.expired && !newest_ams_expired {
        (
            Outcome::Info,
            format!(
                "{said}. The difference is only the clock: mail-auth reads the newest AMS x= \
                 against the system clock; as of the evaluation time it has not expired."
            ),
        )
    } else if newest_ams_expired && theirs.result == result_ignoring_expiry {
        (
            Outcome::Info,
            format!(
                "{said}. The difference is only the clock: as of the evaluation time the newest \
                 AMS has expired, by the system clock it has not."
            ),
        )
    } else {
        check.disagreement = true;
        (
            Outcome::Warning,
            format!(
                "{said}, but we say arc={}: the validators disagree. mail-auth checks neither \
                 RFC 8301 (rsa-sha1, short keys) nor every structural rule, and stops at the \
                 first problem; ours is shown step by step above.",
                check.result
            ),
        )
    };
    check.steps.push(
        Step::new("Cross-check with mail-auth", outcome, text)
            .fact("mail-auth", theirs.result.to_string()),
    );
}
