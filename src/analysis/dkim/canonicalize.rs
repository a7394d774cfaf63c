//! Canonicalization and hashing (RFC 6376 §3.4, §3.7): the body hash, and the header hash with
//! the signature over it, for DKIM-Signature and ARC alike.

use mail_auth::common::crypto::{Algorithm, HashAlgorithm, HashContext, HashImpl, Sha1, Sha256};
use mail_auth::common::headers::{Writable, Writer};
use mail_auth::common::verify::DomainKey;
use mail_auth::dkim::Canonicalization;

use super::message::{Field, MessageView};
use super::parse::SignatureCore;

/// The signature header's value with the b= value emptied (RFC 6376 §3.7) and without the final
/// line break, as it enters its own hash.
pub(crate) fn strip_b_value(value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    loop {
        let (segment, tail) = match rest.iter().position(|&b| b == b';') {
            Some(p) => (&rest[..p], Some(&rest[p..])),
            None => (rest, None),
        };
        let name_start = segment
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(segment.len());
        let after_name = &segment[name_start..];
        let name_len = after_name
            .iter()
            .position(|&b| b == b'=' || b.is_ascii_whitespace())
            .unwrap_or(after_name.len());
        let is_b = &after_name[..name_len] == b"b";
        let equals = after_name[name_len..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|p| name_start + name_len + p)
            .filter(|&p| segment[p] == b'=');
        match (is_b, equals) {
            (true, Some(eq)) => out.extend_from_slice(&segment[..=eq]),
            _ => out.extend_from_slice(segment),
        }
        match tail {
            Some(t) => {
                out.push(b';');
                rest = &t[1..];
            }
            None => break,
        }
    }
    if out.ends_with(b"\r\n") {
        out.truncate(out.len() - 2);
    } else if out.ends_with(b"\n") {
        out.truncate(out.len() - 1);
    }
    out
}

/// Canonicalizes the selected header fields plus the signature field (b= emptied) and checks the
/// signature over them.
pub(crate) fn verify_header_signature(
    key: &DomainKey,
    canon: Canonicalization,
    signed: &[(&[u8], &[u8])],
    signature_field: (&[u8], &[u8]),
    signature: &[u8],
    algorithm: Algorithm,
) -> Result<(), String> {
    let mut data: Vec<u8> = Vec::with_capacity(1024);
    canon.canonicalize_headers(
        signed
            .iter()
            .copied()
            .chain(std::iter::once(signature_field)),
        &mut data,
    );
    key.p
        .verify_bytes(&data, signature, algorithm)
        .map_err(|e| match e {
            mail_auth::Error::Crypto(
                mail_auth::common::crypto::CryptoError::FailedVerification,
            ) => "the signature does not match the signed header fields".to_string(),
            other => format!("the signature could not be checked: {other}"),
        })
}

/// Verifies a DKIM-Signature or ARC-Message-Signature (header `#signature_index`) over the
/// fields its h= selected.
pub(crate) fn verify_signature_header(
    message: &MessageView<'_>,
    signature_index: usize,
    selected: &[(String, Option<&Field<'_>>)],
    core: &SignatureCore,
    key: &DomainKey,
) -> Result<(), String> {
    let own = message
        .field(signature_index)
        .ok_or("the signature header's bytes could not be located")?;
    let stripped = strip_b_value(&own.value);
    let signed: Vec<(&[u8], &[u8])> = selected
        .iter()
        .filter_map(|(_, f)| f.map(|f| (f.name, f.value.as_ref())))
        .collect();
    verify_header_signature(
        key,
        core.header_canon,
        &signed,
        (own.name, &stripped),
        &core.signature,
        core.algorithm,
    )
}

pub(super) enum HashState {
    Sha1(<Sha1 as HashImpl>::Context),
    Sha256(<Sha256 as HashImpl>::Context),
}

/// Hashes at most `limit` canonical bytes, counting all of them (for l=).
pub(super) struct LimitedHasher {
    state: HashState,
    limit: Option<u64>,
    total: u64,
}

impl Writer for LimitedHasher {
    fn write(&mut self, buf: &[u8]) {
        let take = match self.limit {
            Some(limit) => {
                let room = limit.saturating_sub(self.total);
                (buf.len() as u64).min(room) as usize
            }
            None => buf.len(),
        };
        self.total += buf.len() as u64;
        if take > 0 {
            let part = &buf[..take];
            match &mut self.state {
                HashState::Sha1(h) => h.write(part),
                HashState::Sha256(h) => h.write(part),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyDigest {
    pub digest: Vec<u8>,
    /// Length of the whole canonicalized body.
    pub canonical_len: u64,
}

/// The body hash over the canonicalized body (first `limit` bytes of it when l= is given: l=
/// counts canonicalized bytes, RFC 6376 §3.5).
pub(crate) fn body_hash(
    body: &[u8],
    canon: Canonicalization,
    hash: HashAlgorithm,
    limit: Option<u64>,
) -> BodyDigest {
    let state = match hash {
        HashAlgorithm::Sha1 => HashState::Sha1(<Sha1 as HashImpl>::hasher()),
        HashAlgorithm::Sha256 => HashState::Sha256(<Sha256 as HashImpl>::hasher()),
    };
    let mut hasher = LimitedHasher {
        state,
        limit,
        total: 0,
    };
    canon.canonical_body(body, 0).write(&mut hasher);
    let digest = match hasher.state {
        HashState::Sha1(h) => h.complete().as_ref().to_vec(),
        HashState::Sha256(h) => h.complete().as_ref().to_vec(),
    };
    BodyDigest {
        digest,
        canonical_len: hasher.total,
    }
}

/// One hash per (body, canonicalization, hash, l=), so several signatures over a big body cost
/// one pass each kind. The body is told apart by where it is (address and length): one cache
/// serves one message.
pub(super) type BodyHashKey = (usize, usize, u8, u8, Option<u64>);

#[derive(Default)]
pub(crate) struct BodyHashCache {
    entries: Vec<(BodyHashKey, BodyDigest)>,
}

impl BodyHashCache {
    pub(crate) fn get(
        &mut self,
        body: &[u8],
        canon: Canonicalization,
        hash: HashAlgorithm,
        limit: Option<u64>,
    ) -> BodyDigest {
        let key = (
            body.as_ptr() as usize,
            body.len(),
            canon as u8,
            hash as u8,
            limit,
        );
        if let Some((_, d)) = self.entries.iter().find(|(k, _)| *k == key) {
            return d.clone();
        }
        let d = body_hash(body, canon, hash, limit);
        self.entries.push((key, d.clone()));
        d
    }
}
