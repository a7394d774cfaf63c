//! mail-auth, run beside our own checks for its cross-checks: on the same DNS answers, and
//! without doing twice the work that is byte for byte the same.
//!
//! DNS. mail-auth asks its caches before its resolver. Each of its verifications first runs
//! with caches filled from our evidence log — the answers our own checks already got, turned
//! into exactly what mail-auth would have read off the wire (`caches.rs`) — and a resolver with
//! no server at all. When it asked nothing the caches could not answer, that run is the one kept:
//! no packet was sent, and each answer it took from the caches is counted in the evidence like
//! any other ask. Otherwise (a name we never asked, an answer the caches cannot reproduce
//! exactly) the verification runs again with its resolver pointed at the local responder
//! (`dns/responder.rs`, started on first need), which answers through the same logged handle:
//! every question mail-auth asks is in the evidence, with its count, either way.
//!
//! Keys. The public keys are parsed once per analysis and shared with mail-auth (see
//! `dkim::Keys`): a signature input our verifier already verified is not verified again.
//!
//! Body hashes. See [`MailAuth::message`].

mod caches;

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, DmarcOutput, MessageAuthenticator, SpfOutput};

use super::dkim::{BodyHashCache, Keys, to_crlf};
use super::model::{Severity, Warning};
use crate::dns::responder::{Responder, authenticator_with};
use crate::dns::{BoxFuture, Dns};
pub(crate) use caches::{Caches, TxtKind};

/// One mail-auth verification, run against an authenticator and the caches it should use (it
/// may run twice: see the module documentation).
pub(crate) type Verify<'v, T> =
    dyn Fn(MessageAuthenticator, Arc<Caches>) -> BoxFuture<'v, T> + Send + Sync + 'v;

/// The message with CRLF line breaks: (address and length of the input it was made from, the
/// converted bytes when it had bare LFs, None when it is the input itself).
type CrlfView = ((usize, usize), Option<Vec<u8>>);

/// mail-auth beside our checks for one analysis: the DNS handle, the responder once needed, the
/// shared keys and the body hashes.
pub struct MailAuth {
    dns: Dns,
    responder: tokio::sync::OnceCell<Result<Responder, String>>,
    keys: Keys,
    bodies: Mutex<BodyHashCache>,
    crlf: OnceLock<CrlfView>,
}

impl MailAuth {
    /// Nothing is started here: the responder only when a verification needs it.
    pub fn new(dns: &Dns) -> Self {
        MailAuth {
            dns: dns.clone(),
            responder: tokio::sync::OnceCell::new(),
            keys: Keys::default(),
            bodies: Mutex::new(BodyHashCache::default()),
            crlf: OnceLock::new(),
        }
    }

    /// Stops the responder if one was started; the warning when it was needed and could not
    /// start (its cross-checks then show temperror, and disagree with ours).
    pub fn finish(self) -> Vec<Warning> {
        match self.responder.into_inner() {
            Some(Err(e)) => vec![Warning::new(
                Severity::Error,
                "responder",
                format!(
                    "cannot start the local DNS responder for mail-auth ({e}); its cross-checks will show temperror, and disagree with ours"
                ),
                None,
            )],
            _ => Vec::new(),
        }
    }

    /// Whether a verification needed the responder.
    #[cfg(test)]
    pub(crate) fn responder_started(&self) -> bool {
        self.responder.initialized()
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.keys
    }

    /// The body hashes of this analysis, shared by DKIM and ARC (one pass per kind of hash).
    pub(crate) fn bodies(&self) -> MutexGuard<'_, BodyHashCache> {
        self.bodies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `raw` with CRLF line breaks, as mail-auth reads it: `raw` itself when it has no bare LF,
    /// else one converted copy, shared by DKIM and ARC.
    pub(crate) fn crlf<'a>(&'a self, raw: &'a [u8]) -> Cow<'a, [u8]> {
        let at = (raw.as_ptr() as usize, raw.len());
        let (from, converted) = self.crlf.get_or_init(|| match to_crlf(raw) {
            Cow::Borrowed(_) => (at, None),
            Cow::Owned(converted) => (at, Some(converted)),
        });
        match (*from == at, converted) {
            (true, Some(converted)) => Cow::Borrowed(converted),
            (true, None) => Cow::Borrowed(raw),
            // Another message than the one this analysis started with: converted anew.
            (false, _) => to_crlf(raw),
        }
    }

    /// Runs one mail-auth verification: from memory when it can, else through the responder
    /// (module documentation). The answers taken from memory are counted in the evidence.
    pub(crate) async fn run<T>(&self, kind: TxtKind, verify: &Verify<'_, T>) -> T {
        let caches = Arc::new(self.caches(kind));
        let mut output = verify(self.offline().clone(), caches.clone()).await;
        let mut kept = caches;
        if kept.missed() {
            let online = self.online().await;
            let caches = Arc::new(self.caches(kind));
            output = verify(online, caches.clone()).await;
            kept = caches;
        }
        for key in kept.hits() {
            self.dns.query(&key.name, key.rtype).await;
        }
        output
    }

    /// The caches for one run, from the evidence as it stands.
    fn caches(&self, kind: TxtKind) -> Caches {
        self.dns
            .with_evidence(|evidence| Caches::from_evidence(evidence, kind, &self.keys))
    }

    /// mail-auth's `verify_spf`, run as [`MailAuth::run`] does (`params` builds its parameters,
    /// once per run).
    pub(crate) async fn verify_spf<'p>(
        &self,
        params: &(dyn Fn() -> SpfParameters<'p> + Sync),
    ) -> SpfOutput {
        self.run(TxtKind::Spf, &|auth, caches| {
            let params = params();
            Box::pin(async move { auth.verify_spf(caches.params(params)).await })
        })
        .await
    }

    /// mail-auth's `verify_dmarc`, run as [`MailAuth::run`] does.
    pub(crate) async fn verify_dmarc(&self, params: DmarcParameters<'_>) -> DmarcOutput {
        self.run(TxtKind::Dmarc, &|auth, caches| {
            let params = DmarcParameters {
                message: params.message,
                dkim_output: params.dkim_output,
                dkim2_output: params.dkim2_output,
                rfc5321_mail_from_domain: params.rfc5321_mail_from_domain,
                spf_output: params.spf_output,
            };
            Box::pin(async move { auth.verify_dmarc(caches.params(params)).await })
        })
        .await
    }

    /// An authenticator whose resolver has no server: every lookup the caches do not answer
    /// fails at once, without traffic. One per process: it holds no state of any analysis (it
    /// has no server to ask, so nothing to cache), and building a resolver is not free.
    fn offline(&self) -> &'static MessageAuthenticator {
        static OFFLINE: OnceLock<MessageAuthenticator> = OnceLock::new();
        OFFLINE.get_or_init(|| {
            use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
            let config = ResolverConfig::from_parts(None, vec![], vec![]);
            authenticator_with(config, ResolverOpts::default())
                .unwrap_or_else(|_| unreachable!("an empty resolver config always builds"))
        })
    }

    /// The authenticator asking the responder (started on first use), or the offline one when
    /// no loopback socket could be had (the warning is in [`MailAuth::finish`]).
    async fn online(&self) -> MessageAuthenticator {
        let responder = self
            .responder
            .get_or_init(|| async {
                Responder::start(self.dns.clone())
                    .await
                    .map_err(|e| e.to_string())
            })
            .await;
        match responder {
            Ok(r) => r.authenticator(),
            Err(_) => self.offline().clone(),
        }
    }

    /// mail-auth's own reading of the message (its header parse, its DKIM and ARC tags) for the
    /// DKIM and ARC cross-checks, with its body hashes.
    ///
    /// mail-auth hashes the body while parsing, with its `canonical_body` and hashers: the same
    /// functions our verifier calls. When the input is the same bytes too — the message is
    /// already in CRLF (`crlf` is `raw`) and mail-auth's header parse ends exactly where ours
    /// does (`body_offset`) — its digests are the ones our pass computed, and the body is not
    /// hashed again. Otherwise (bare LF line ends converted, the two parsers end the header
    /// section at different places, no body) mail-auth parses the whole message and hashes the
    /// body itself, so where the two readings differ the cross-check still sees it. An `l=`
    /// body length is always hashed by mail-auth's own code (ours counts l= differently).
    pub(crate) fn message<'a>(
        &self,
        raw: &'a [u8],
        crlf: &'a [u8],
        body_offset: Option<usize>,
    ) -> Option<AuthenticatedMessage<'a>> {
        let same_bytes = std::ptr::eq(raw.as_ptr(), crlf.as_ptr()) && raw.len() == crlf.len();
        let reused = body_offset
            .filter(|_| same_bytes)
            .filter(|&o| raw.get(..o).is_some_and(|h| h.ends_with(b"\r\n\r\n")))
            .and_then(|o| {
                let headers = AuthenticatedMessage::parse_with_opts(&raw[..o], None, false)?;
                (headers.body_offset as usize == o).then_some((headers, o))
            });
        let Some((mut message, offset)) = reused else {
            return AuthenticatedMessage::parse_with_opts(crlf, None, false);
        };
        message.raw_message = raw;
        let body = &raw[offset..];
        let mut bodies = self.bodies();
        for (canon, hash, length, digest) in &mut message.body_hashes {
            *digest = if *length == 0 {
                bodies.get(body, *canon, *hash, None).digest
            } else {
                hash.hash(canon.canonical_body(body, *length))
                    .as_ref()
                    .to_vec()
            };
        }
        Some(message)
    }
}

/// mail-auth's parse of the header section alone (for DMARC, which reads only the From): the
/// body is neither read nor hashed.
pub(crate) fn parse_headers(raw: &[u8]) -> Option<AuthenticatedMessage<'_>> {
    AuthenticatedMessage::parse(&raw[..first_empty_line_end(raw)])
}

/// Where the first empty line ends (CRLF or LF), or the end: mail-auth's header parse stops
/// there at the latest, so cutting the message there leaves its reading of the headers as it
/// was.
fn first_empty_line_end(raw: &[u8]) -> usize {
    let empty_line_at = |at: usize| {
        let rest = &raw[at..];
        if rest.starts_with(b"\n") {
            Some(at + 1)
        } else if rest.starts_with(b"\r\n") {
            Some(at + 2)
        } else {
            None
        }
    };
    if let Some(end) = empty_line_at(0) {
        return end;
    }
    let mut from = 0;
    while let Some(p) = raw[from..].iter().position(|&b| b == b'\n') {
        from += p + 1;
        if let Some(end) = empty_line_at(from) {
            return end;
        }
    }
    raw.len()
}

#[cfg(test)]
mod tests;
