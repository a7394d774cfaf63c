//! mail-auth's own `verify_dmarc`, run on the same SPF and DKIM results: a different verdict is
//! flagged beside ours, never hidden.

use crate::analysis::authenticator::{MailAuth, parse_headers};

use crate::analysis::model::{AuthResult, DkimCheck, DmarcCheck, SpfChecks};
use crate::analysis::step::{Outcome, Step};
use crate::analysis::trail::headers::{MAX_LISTED, clipped, listed};

use super::record::Policy;

/// mail-auth's verdict on the same SPF/DKIM results: `Err` with the reason when it could not run.
pub(super) struct MailAuthVerdict {
    pub(super) result: AuthResult,
    /// Its policy after the t=y downgrade, when it used a record.
    pub(super) policy: Option<String>,
    pub(super) record_domain_hint: String,
    /// The From addresses mail-auth's own header parser read (lower case), to say what it saw
    /// when it found no single From domain.
    pub(super) froms: Vec<String>,
}

impl MailAuthVerdict {
    /// What mail-auth evaluated, for the cross-check's wording: its From domain, or what it read
    /// instead.
    pub(super) fn what_it_read(&self) -> String {
        if self.record_domain_hint.is_empty() {
            format!("the From header ({})", self.no_domain_reason())
        } else {
            format!("From domain {}", self.record_domain_hint)
        }
    }

    /// The From addresses as mail-auth read them, quoted: its parser can glue malformed ones
    /// together (`<a@x> <b@y>` reads as "a@xb@y").
    fn quoted_froms(&self) -> String {
        // Quotes are cut (a From value can be 400 kB): the header itself holds the whole text.
        let quoted: Vec<String> = self
            .froms
            .iter()
            .map(|f| format!("{:?}", clipped(f, 200)))
            .collect();
        listed(quoted.iter().map(String::as_str), MAX_LISTED)
    }

    /// Why mail-auth had no From domain: verify_dmarc returns none without one when it reads no
    /// From address with a domain, or addresses of several domains.
    fn no_domain_reason(&self) -> String {
        let mut domains: Vec<&str> = self
            .froms
            .iter()
            .filter_map(|f| f.rsplit_once('@').map(|(_, d)| d))
            .collect();
        domains.sort_unstable();
        domains.dedup();
        let read = self.quoted_froms();
        match (self.froms.is_empty(), domains.len()) {
            (true, _) => "mail-auth's parser read no From address, so it had no From domain to \
                          evaluate"
                .to_string(),
            (false, 0) => {
                format!(
                    "mail-auth read {read}, without a domain, so it had no From domain to evaluate"
                )
            }
            (false, 1) => format!("mail-auth read {read} but reported no From domain"),
            (false, n) => format!(
                "mail-auth read {read}: {n} From domains, and it exempts a From with several \
                 domains from DMARC"
            ),
        }
    }
}

pub(super) async fn mail_auth_dmarc(
    auth: &MailAuth,
    raw: &[u8],
    spf: &SpfChecks,
    dkim: &[DkimCheck],
) -> Result<MailAuthVerdict, String> {
    use mail_auth::dkim::Signature;
    use mail_auth::dmarc::verify::DmarcParameters;
    use mail_auth::{DkimOutput, DmarcResult, DnsError, Error, SpfOutput, SpfResult};

    // The header section only: DMARC reads the From, never the body.
    let message = parse_headers(raw)
        .ok_or_else(|| "mail-auth could not parse the message headers".to_string())?;
    let considered: Vec<(&DkimCheck, Signature)> = dkim
        .iter()
        .filter(|c| matches!(c.result, AuthResult::Pass | AuthResult::TempError))
        .filter_map(|c| {
            c.domain.as_ref().map(|d| {
                (
                    c,
                    Signature {
                        d: d.clone(),
                        s: c.selector.clone().unwrap_or_default(),
                        ..Default::default()
                    },
                )
            })
        })
        .collect();
    let outputs: Vec<DkimOutput<'_>> = considered
        .iter()
        .map(|(c, sig)| match c.result {
            AuthResult::Pass => DkimOutput::pass().with_signature(sig),
            _ => DkimOutput::temp_err(Error::Dns(DnsError::Resolver(
                c.reason.clone().unwrap_or_else(|| "temporary error".into()),
            )))
            .with_signature(sig),
        })
        .collect();
    let spf_result = match spf.mail_from.result {
        AuthResult::Pass => SpfResult::Pass,
        AuthResult::Fail => SpfResult::Fail,
        AuthResult::SoftFail => SpfResult::SoftFail,
        AuthResult::Neutral => SpfResult::Neutral,
        AuthResult::TempError => SpfResult::TempError,
        AuthResult::PermError => SpfResult::PermError,
        AuthResult::None | AuthResult::Policy => SpfResult::None,
    };
    let mail_from_domain = spf.mail_from.domain.clone().unwrap_or_default();
    let spf_output = SpfOutput::new(mail_from_domain.clone()).with_result(spf_result);
    let output = auth
        .verify_dmarc(DmarcParameters::new(
            &message,
            &outputs,
            &mail_from_domain,
            &spf_output,
        ))
        .await;
    let result = match output.result() {
        DmarcResult::Pass => AuthResult::Pass,
        DmarcResult::Fail(_) => AuthResult::Fail,
        DmarcResult::TempError(_) => AuthResult::TempError,
        DmarcResult::PermError(_) => AuthResult::PermError,
        DmarcResult::None => AuthResult::None,
    };
    let policy = output.dmarc_record().map(|_| output.policy().to_string());
    Ok(MailAuthVerdict {
        result,
        policy,
        record_domain_hint: output.domain().to_string(),
        froms: message.froms().to_vec(),
    })
}

pub(super) fn compare_with_mail_auth(
    check: &mut DmarcCheck,
    theirs: Result<MailAuthVerdict, String>,
) {
    let theirs = match theirs {
        Ok(t) => t,
        Err(why) => {
            check.steps.push(Step::new(
                "mail-auth's DMARC verdict",
                Outcome::Skipped,
                format!("Not available: {why}."),
            ));
            return;
        }
    };
    check.mail_auth_result = Some(theirs.result);
    // Ours after t=y, to set beside mail-auth's (which folds t=y into its policy).
    let our_policy = check.policy.as_deref().map(|p| {
        let p = Policy::parse(p).unwrap_or(Policy::None);
        let testing = check
            .tags
            .iter()
            .any(|t| t.name == "t" && t.value.eq_ignore_ascii_case("y"));
        if testing { p.one_level_down() } else { p }
            .as_str()
            .to_string()
    });
    let policy_differs = matches!((&our_policy, &theirs.policy), (Some(a), Some(b)) if a != b);
    if theirs.result == check.result && !policy_differs {
        check.steps.push(Step::new(
            format!("mail-auth agrees: {}", theirs.result),
            Outcome::Pass,
            format!(
                "mail-auth's verify_dmarc, given the same SPF and DKIM results, also returns {}{}.",
                theirs.result,
                theirs
                    .policy
                    .as_deref()
                    .map(|p| format!(" with policy {p}"))
                    .unwrap_or_default()
            ),
        ));
        return;
    }
    check.disagreement = true;
    check.steps.push(
        Step::new(
            format!(
                "mail-auth disagrees: {} (ours {})",
                theirs.result, check.result
            ),
            Outcome::Warning,
            format!(
                "Given the same SPF and DKIM results for {}, mail-auth's verify_dmarc returns {} \
                 with policy {}, while this evaluation returns {} with policy {}. Both are shown; \
                 the steps above explain ours.{}",
                theirs.what_it_read(),
                theirs.result,
                theirs.policy.as_deref().unwrap_or("(no record)"),
                check.result,
                our_policy.as_deref().unwrap_or("(no record)"),
                if theirs.result == AuthResult::PermError
                    && check
                        .policy_source
                        .as_deref()
                        .is_some_and(|s| s.starts_with("rua:"))
                {
                    " mail-auth rejects a record whose p is missing or invalid outright; RFC 7489 \
                     §6.6.3 reads it as p=none when rua holds a valid address, as here."
                } else {
                    ""
                }
            ),
        )
        .fact("mail_auth_result", theirs.result.as_str())
        .fact("our_result", check.result.as_str()),
    );
}

/// mail-auth exempts a message whose From holds several domains from DMARC (it returns none
/// without evaluating): that is not a disagreement with evaluating each domain, so say so.
pub(super) fn compare_several_authors(
    check: &mut DmarcCheck,
    theirs: Result<MailAuthVerdict, String>,
    count: usize,
) {
    match theirs {
        Ok(t) if t.result == AuthResult::None && t.record_domain_hint.is_empty() => {
            check.mail_auth_result = Some(t.result);
            check.steps.push(Step::new(
                "mail-auth does not evaluate several author domains",
                Outcome::Info,
                format!(
                    "mail-auth's verify_dmarc returns none for this message without evaluating \
                     it ({}; we found {count} author domains). That is a different reading of RFC \
                     7489 §6.6.1, not a disagreement about any domain's result; the steps above \
                     evaluate each author domain.",
                    t.no_domain_reason()
                ),
            ));
        }
        Ok(t) => {
            let (result, froms, domain) =
                (t.result, t.quoted_froms(), t.record_domain_hint.clone());
            compare_with_mail_auth(check, Ok(t));
            // mail-auth read one domain where we found several: say so beside its verdict.
            if result != check.result
                && !domain.is_empty()
                && let Some(step) = check.steps.last_mut()
            {
                step.explanation.push_str(&format!(
                    " mail-auth read only {froms} from the From header, so it evaluated {domain} \
                     alone; this evaluation applies the strictest of the {count} author domains."
                ));
            }
        }
        Err(e) => compare_with_mail_auth(check, Err(e)),
    }
}
