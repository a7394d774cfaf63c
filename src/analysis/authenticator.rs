//! mail-auth, run beside our own checks for its cross-checks. Its resolver asks our local
//! responder, which answers through the same logged DNS handle, so every lookup it makes is in
//! the evidence.

use mail_auth::MessageAuthenticator;

use super::model::{Severity, Warning};
use crate::dns::Dns;
use crate::dns::responder::Responder;

/// Starts the responder and the authenticator that asks it. Without a responder (no loopback
/// socket), an authenticator that fails every lookup at once, and a warning saying so. Keep the
/// responder until mail-auth's last lookup is done.
pub(super) async fn start(
    dns: &Dns,
    warnings: &mut Vec<Warning>,
) -> (Option<Responder>, MessageAuthenticator) {
    match Responder::start(dns.clone()).await {
        Ok(r) => {
            let auth = r.authenticator();
            (Some(r), auth)
        }
        Err(e) => {
            warnings.push(Warning::new(
                Severity::Error,
                "responder",
                format!(
                    "cannot start the local DNS responder for mail-auth ({e}); its cross-checks will show temperror, and disagree with ours"
                ),
                None,
            ));
            (None, unreachable_authenticator())
        }
    }
}

/// A MessageAuthenticator with no name server: every lookup fails at once, without traffic.
fn unreachable_authenticator() -> MessageAuthenticator {
    use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
    let config = ResolverConfig::from_parts(None, vec![], vec![]);
    MessageAuthenticator::new(config, ResolverOpts::default())
        .unwrap_or_else(|_| unreachable!("an empty resolver config always builds"))
}
