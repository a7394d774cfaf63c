//! The public key: fetching `<s>._domainkey.<d>` and reading its record (RFC 6376 §3.6.1), and
//! whether it fits a signature.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::Poll;

use mail_auth::common::crypto::{Algorithm, HashContext, HashImpl, Sha256, VerifyingKey};
use mail_auth::common::headers::Writer;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::Canonicalization;

use super::parse::{FWS, algorithm_name, hash_of, key_type_of, parse_tag_list, shorten, tag};
use crate::dns::{Dns, DnsAnswer, DnsOutcome, RecordType};

pub(crate) struct KeyRecord {
    pub record: String,
    pub key_type: String,
    pub bits: Option<u32>,
    pub testing: bool,
    /// t=s: i= must use exactly d=, no subdomain.
    pub strict_identity: bool,
    /// h= of the key record: hash algorithms it may be used with (all if absent).
    pub hashes: Option<Vec<String>>,
    /// s= of the key record: service types (all if absent).
    pub services: Option<Vec<String>>,
    pub key: DomainKey,
}

pub(crate) enum KeyLookup {
    Found(Box<KeyRecord>),
    /// p= is empty: the domain withdrew this key.
    Revoked {
        record: String,
        key_type: String,
        testing: bool,
    },
    TempError(String),
    PermError(String),
}

impl KeyLookup {
    pub(crate) fn from_answer(name: &str, answer: Option<&DnsAnswer>, keys: &Keys) -> KeyLookup {
        let Some(answer) = answer else {
            return KeyLookup::TempError(format!("{name} was not looked up"));
        };
        match answer.outcome {
            DnsOutcome::Answers => {}
            DnsOutcome::NxDomain => {
                return KeyLookup::PermError(format!("no key: {name} does not exist (NXDOMAIN)"));
            }
            DnsOutcome::NoData => {
                return KeyLookup::PermError(format!("no key: {name} has no TXT record"));
            }
            other => {
                let detail = answer.error.clone().unwrap_or_default();
                return KeyLookup::TempError(format!(
                    "the key lookup for {name} failed ({}{}{detail}); try again later",
                    other.as_str(),
                    if detail.is_empty() { "" } else { ": " }
                ));
            }
        }
        let records = answer.txt();
        if records.is_empty() {
            return KeyLookup::PermError(format!("no key: {name} has no TXT record"));
        }
        let mut last = KeyLookup::PermError(format!("no key record at {name}"));
        for record in records {
            last = parse_key_record(&record, keys);
            if !matches!(last, KeyLookup::PermError(_)) {
                break;
            }
        }
        last
    }
}

pub(super) fn colon_list(value: &str) -> Vec<String> {
    value
        .split(':')
        .map(|s| s.trim_matches(FWS).to_ascii_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

pub(crate) fn parse_key_record(record: &str, keys: &Keys) -> KeyLookup {
    let tags = match parse_tag_list(record) {
        Ok(tags) => tags,
        Err(e) => {
            return KeyLookup::PermError(format!(
                "the key record is malformed: {e} (record: {})",
                shorten(record, 80)
            ));
        }
    };
    if let Some(v) = tag(&tags, "v") {
        if v != "DKIM1" {
            return KeyLookup::PermError(format!(
                "not a DKIM key record: v={} (expected DKIM1)",
                shorten(v, 20)
            ));
        }
        if tags.first().is_some_and(|t| t.name != "v") {
            return KeyLookup::PermError("v=DKIM1 must be the first tag of the key record".into());
        }
    }
    let key_type = tag(&tags, "k").unwrap_or("rsa").to_ascii_lowercase();
    if key_type != "rsa" && key_type != "ed25519" {
        return KeyLookup::PermError(format!(
            "unknown key type k={} in the key record",
            shorten(&key_type, 20)
        ));
    }
    let flags = tag(&tags, "t").map(colon_list).unwrap_or_default();
    let testing = flags.iter().any(|f| f == "y");
    let strict_identity = flags.iter().any(|f| f == "s");
    let Some(p) = tag(&tags, "p") else {
        return KeyLookup::PermError("the key record has no p= (public key) tag".into());
    };
    if p.chars().all(|c| FWS.contains(&c)) {
        return KeyLookup::Revoked {
            record: record.to_string(),
            key_type,
            testing,
        };
    }
    let key = match keys.domain_key(record.as_bytes()) {
        Ok(key) => key,
        Err(e) => {
            return KeyLookup::PermError(format!("the public key in p= cannot be used: {e}"));
        }
    };
    let bits = if key_type == "rsa" {
        u32::try_from(key.p.public_key_bits()).ok()
    } else {
        Some(256)
    };
    KeyLookup::Found(Box::new(KeyRecord {
        record: record.to_string(),
        key_type,
        bits,
        testing,
        strict_identity,
        hashes: tag(&tags, "h").map(colon_list),
        services: tag(&tags, "s").map(colon_list),
        key,
    }))
}

/// The public keys of one analysis, each parsed once from its record and shared by our
/// verifier and mail-auth's cross-check (which gets its keys from the caches filled from our
/// evidence, through here).
///
/// Why: RSA and Ed25519 verification is a pure function of (key, signed bytes, signature). A
/// key remembers each input our verifier verified with it, so when mail-auth — having selected
/// and canonicalized the signed header fields with its own code — hands the key byte-identical
/// input, the answer is already known and the operation is not run a second time. Anything
/// else (other bytes, a failure) runs the real operation. The cross-check thus still compares
/// everything up to the bytes the signature covers, which is where the two verifiers differ;
/// the crypto itself is mail-auth's in both.
#[derive(Default)]
pub(crate) struct Keys {
    parsed: Mutex<HashMap<Vec<u8>, mail_auth::Result<ParsedKey>>>,
}

/// One record's key and its flags (`DomainKey::f`).
type ParsedKey = (Arc<RememberingKey>, u64);

impl Keys {
    /// `DomainKey::parse` of one TXT record (the same result, errors included), with the key
    /// shared between every use of that record in this analysis.
    pub(crate) fn domain_key(&self, record: &[u8]) -> mail_auth::Result<DomainKey> {
        let mut parsed = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        let entry = parsed.entry(record.to_vec()).or_insert_with(|| {
            DomainKey::parse(record).map(|key| {
                let remembering = RememberingKey {
                    inner: key.p,
                    verified: Mutex::new(Vec::new()),
                };
                (Arc::new(remembering), key.f)
            })
        });
        entry.clone().map(|(key, f)| DomainKey {
            p: Box::new(SharedKey(key)),
            f,
        })
    }
}

/// A verifying key that remembers the inputs it verified (see [`Keys`]).
pub(crate) struct RememberingKey {
    inner: Box<dyn VerifyingKey + Send + Sync>,
    /// SHA-256 over (algorithm, signature, signed bytes) of each successful verification.
    verified: Mutex<Vec<Vec<u8>>>,
}

impl RememberingKey {
    fn fingerprint(algorithm: Algorithm, signature: &[u8], data: &[u8]) -> Vec<u8> {
        let mut hasher = <Sha256 as HashImpl>::hasher();
        hasher.write(&[algorithm as u8]);
        hasher.write(&(signature.len() as u64).to_be_bytes());
        hasher.write(signature);
        hasher.write(data);
        hasher.complete().as_ref().to_vec()
    }

    fn remembers(&self, fingerprint: &[u8]) -> bool {
        let verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        verified.iter().any(|f| f == fingerprint)
    }
}

/// One analysis' handle on a [`RememberingKey`] (DomainKey wants a box it owns).
struct SharedKey(Arc<RememberingKey>);

impl VerifyingKey for SharedKey {
    fn verify<'a>(
        &self,
        headers: &mut dyn Iterator<Item = (&'a [u8], &'a [u8])>,
        signature: &[u8],
        canonicalization: Canonicalization,
        algorithm: Algorithm,
    ) -> mail_auth::Result<()> {
        let fields: Vec<(&'a [u8], &'a [u8])> = headers.collect();
        let mut data: Vec<u8> = Vec::with_capacity(1024);
        canonicalization.canonicalize_headers(fields.iter().copied(), &mut data);
        // A success over these exact bytes is a success again; the key's own verify hashes
        // the same canonical bytes (it is `verify_bytes` of them).
        if self
            .0
            .remembers(&RememberingKey::fingerprint(algorithm, signature, &data))
        {
            return Ok(());
        }
        self.0.inner.verify(
            &mut fields.into_iter(),
            signature,
            canonicalization,
            algorithm,
        )
    }

    fn verify_bytes(
        &self,
        input: &[u8],
        signature: &[u8],
        algorithm: Algorithm,
    ) -> mail_auth::Result<()> {
        let result = self.0.inner.verify_bytes(input, signature, algorithm);
        if result.is_ok() {
            let fingerprint = RememberingKey::fingerprint(algorithm, signature, input);
            let mut verified = self.0.verified.lock().unwrap_or_else(|e| e.into_inner());
            if !verified.contains(&fingerprint) {
                verified.push(fingerprint);
            }
        }
        result
    }

    fn public_key_bits(&self) -> usize {
        self.0.inner.public_key_bits()
    }
}

/// Whether the key may verify a signature made with `algorithm` (k=, h= and s= of the record).
pub(crate) fn key_accepts(key: &KeyRecord, algorithm: Algorithm) -> Result<(), String> {
    if key.key_type != key_type_of(algorithm) {
        return Err(format!(
            "the key is k={} but the signature uses a={}",
            key.key_type,
            algorithm_name(algorithm)
        ));
    }
    let hash = hash_of(algorithm).name();
    if let Some(hashes) = &key.hashes
        && !hashes.iter().any(|h| h == hash)
    {
        return Err(format!(
            "the key record allows only h={} but the signature hashes with {hash}",
            hashes.join(":")
        ));
    }
    if let Some(services) = &key.services
        && !services.iter().any(|s| s == "*" || s == "email")
    {
        return Err(format!(
            "the key record is for service s={}, not email",
            services.join(":")
        ));
    }
    Ok(())
}

/// The TXT answer at each key name (`selector._domainkey.domain`), all asked at once.
pub(crate) async fn fetch_keys<'k>(
    dns: &Dns,
    key_names: &'k [String],
) -> HashMap<&'k str, DnsAnswer> {
    let answers = join_all(
        key_names
            .iter()
            .map(|name| dns.query(name, RecordType::TXT))
            .collect(),
    )
    .await;
    key_names.iter().map(String::as_str).zip(answers).collect()
}

/// Polls futures together and returns their outputs in order (lookups that do not depend on each
/// other run at the same time).
pub(super) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, slot) in futures.iter_mut().zip(outputs.iter_mut()) {
            if slot.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(v) => *slot = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Accepts one signature and counts how often it was really asked.
    struct CountingKey(Arc<AtomicUsize>);

    impl VerifyingKey for CountingKey {
        fn verify<'a>(
            &self,
            headers: &mut dyn Iterator<Item = (&'a [u8], &'a [u8])>,
            signature: &[u8],
            canonicalization: Canonicalization,
            algorithm: Algorithm,
        ) -> mail_auth::Result<()> {
            let mut data = Vec::new();
            canonicalization.canonicalize_headers(headers, &mut data);
            self.verify_bytes(&data, signature, algorithm)
        }

        fn verify_bytes(&self, _: &[u8], signature: &[u8], _: Algorithm) -> mail_auth::Result<()> {
            self.0.fetch_add(1, Ordering::Relaxed);
            if signature == b"good" {
                Ok(())
            } else {
                Err(mail_auth::Error::Crypto(
                    mail_auth::common::crypto::CryptoError::FailedVerification,
                ))
            }
        }
    }

    fn shared(calls: &Arc<AtomicUsize>) -> SharedKey {
        SharedKey(Arc::new(RememberingKey {
            inner: Box::new(CountingKey(calls.clone())),
            verified: Mutex::new(Vec::new()),
        }))
    }

    #[test]
    fn a_verified_input_is_not_verified_again_but_other_input_is() {
        let calls = Arc::new(AtomicUsize::new(0));
        let key = shared(&calls);
        let fields: [(&[u8], &[u8]); 1] = [(b"From", b" a@example.com\r\n")];
        let mut ours = Vec::new();
        Canonicalization::Relaxed.canonicalize_headers(fields.iter().copied(), &mut ours);
        let rsa = Algorithm::RsaSha256;

        assert!(key.verify_bytes(&ours, b"good", rsa).is_ok());
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        // mail-auth's call over the same canonical bytes: remembered.
        let relaxed = Canonicalization::Relaxed;
        assert!(
            key.verify(&mut fields.into_iter(), b"good", relaxed, rsa)
                .is_ok()
        );
        assert_eq!(calls.load(Ordering::Relaxed), 1);
        // Other bytes (simple canonicalization keeps the case and spaces), another signature or
        // another algorithm: the real operation runs.
        let simple = Canonicalization::Simple;
        assert!(
            key.verify(&mut fields.into_iter(), b"good", simple, rsa)
                .is_ok()
        );
        assert!(
            key.verify(&mut fields.into_iter(), b"bad", relaxed, rsa)
                .is_err()
        );
        let sha1 = Algorithm::RsaSha1;
        assert!(
            key.verify(&mut fields.into_iter(), b"good", relaxed, sha1)
                .is_ok()
        );
        assert_eq!(calls.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn one_record_is_parsed_once_and_its_errors_kept() {
        let keys = Keys::default();
        let record = b"v=DKIM1; k=ed25519; p=ebwUdYOd3cL1L/1v3VcGxymdmAUAjZ3YN8S1H6bcYic=";
        assert!(keys.domain_key(record).is_ok());
        assert!(keys.domain_key(record).is_ok());
        assert_eq!(keys.parsed.lock().unwrap().len(), 1);
        let bad = b"v=DKIM1; p=!!";
        assert_eq!(
            keys.domain_key(bad).err(),
            DomainKey::parse(bad).err(),
            "the same error as mail-auth's own parse"
        );
    }
}
