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

/// The relaxed body canonicalization (RFC 6376 §3.4.4), byte for byte what mail-auth's
/// `canonical_body` writes (its quirks included: a bare CR is dropped, a bare LF is a line break),
/// so the body hash we report is the one mail-auth's cross-check computes. One pass over the
/// body: runs that need no change (words with single spaces, CRLF followed by a printable byte)
/// go to the hasher in one write each; only the bytes around tabs, space runs, trailing spaces
/// and line-break runs take the byte-wise path, and trailing empty lines stay pending until
/// something follows them.
pub(crate) fn relaxed_body(body: &[u8], out: &mut impl Writer) {
    let mut breaks = 0usize; // line breaks not written yet
    let mut last = 0u8; // the last byte consumed (a space or tab means one space is due)
    let mut is_empty = true;
    let mut rest = body;
    while !rest.is_empty() {
        let (run, tail) = rest.split_at(relaxed_run_end(rest));
        if let Some(&run_last) = run.last() {
            write_breaks(out, std::mem::take(&mut breaks));
            if last == b' ' || last == b'\t' {
                out.write(b" ");
            }
            out.write(run);
            is_empty = false;
            last = run_last;
        }
        let mut consumed = 0;
        let mut flushed = breaks;
        let mut pending = 0;
        let mut has_wsp = false;
        for &ch in tail {
            match ch {
                b'\n' => pending += 1,
                b' ' | b'\t' => {
                    flushed += pending;
                    pending = 0;
                    has_wsp = true;
                }
                b'\r' => {}
                _ => break,
            }
            consumed += 1;
            last = ch;
        }
        if has_wsp {
            write_breaks(out, flushed);
            breaks = pending;
            is_empty = false;
        } else {
            breaks = flushed + pending;
        }
        rest = &tail[consumed..];
    }
    if !is_empty {
        out.write(b"\r\n");
    }
}

fn write_breaks(out: &mut impl Writer, count: usize) {
    const RUN: &[u8; 64] = b"\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";
    let mut left = count;
    while left > 0 {
        let take = left.min(RUN.len() / 2);
        out.write(&RUN[..take * 2]);
        left -= take;
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte lane of `x` that is at most 0x20 (exact per lane, no borrow).
#[inline(always)]
fn lanes_le_space(x: u64) -> u64 {
    !((((x & LOW7) + ONES * (0x7f - 0x20)) | x) & HIGH) & HIGH
}

/// The high bit of each byte lane of `x` equal to `b` (exact per lane).
#[inline(always)]
fn lanes_eq(x: u64, b: u8) -> u64 {
    let y = x ^ (ONES * b as u64);
    !((((y & LOW7) + LOW7) | y) & HIGH) & HIGH
}

/// Where the run that relaxed canonicalization leaves unchanged ends: the first byte that is a
/// tab, a bare LF, a space not followed by a byte above 0x20, a CR not starting a CRLF followed by
/// a byte above 0x20, or a space / CR / LF at the very start. mail-auth's `relaxed_run_end`
/// returns the same index; this one takes 8 bytes at a time where every byte up to 0x20 is a
/// single space before a byte above 0x20 (plain text), and looks at the other words byte by byte.
fn relaxed_run_end(chunk: &[u8]) -> usize {
    let bad = |p: usize| -> bool {
        let above = |i: usize| chunk.get(i).is_some_and(|&b| b > b' ');
        match chunk[p] {
            b'\t' => true,
            b' ' => p == 0 || !above(p + 1),
            b'\r' => p == 0 || chunk.get(p + 1) != Some(&b'\n') || !above(p + 2),
            b'\n' => p < 2 || chunk[p - 1] != b'\r' || !above(p + 1),
            _ => false,
        }
    };
    let word = |i: usize| -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&chunk[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let mut p = 0;
    if chunk.first().is_some_and(|&b| b <= b' ') {
        if bad(0) {
            return 0;
        }
        p = 1;
    }
    while p + 9 <= chunk.len() {
        let here = word(p);
        let low = lanes_le_space(here);
        if low != 0 {
            let next_low = (low >> 8) | (u64::from(chunk[p + 8] <= b' ') << 63);
            if low != lanes_eq(here, b' ') || low & next_low != 0 {
                // Only the bytes up to 0x20 can end the run.
                let mut lanes = low;
                while lanes != 0 {
                    let q = p + (lanes.trailing_zeros() / 8) as usize;
                    if bad(q) {
                        return q;
                    }
                    lanes &= lanes - 1;
                }
            }
        }
        p += 8;
    }
    (p..chunk.len()).find(|&q| bad(q)).unwrap_or(chunk.len())
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
    match canon {
        Canonicalization::Relaxed => relaxed_body(body, &mut hasher),
        // mail-auth's simple canonicalization already writes whole runs of lines (memchr for the
        // line breaks, no copy); only the relaxed one paid per space.
        Canonicalization::Simple => canon.canonical_body(body, 0).write(&mut hasher),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Generated bodies per alphabet (MAILSLEUTH_FUZZ_CASES overrides, as in the fuzz targets).
    fn cases() -> usize {
        std::env::var("MAILSLEUTH_FUZZ_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1500)
    }

    /// Whitespace-heavy and prose-like bodies: every mix of spaces, tabs, bare CR, bare LF,
    /// CRLF and empty lines at the end, and long plain runs that take the 8-byte path.
    fn bodies() -> Vec<Vec<u8>> {
        let dense: &[&[u8]] = &[
            b" ", b" ", b"\t", b"\r", b"\n", b"\r\n", b"a", b"b", b"\x01", b"\xff",
        ];
        // Mostly plain prose, with every kind of whitespace in and between its lines.
        let prose: &[&[u8]] = &[
            b"Lorem",
            b"ipsum",
            b"dolor",
            b"a",
            b",",
            b" ",
            b" ",
            b" ",
            b" ",
            b"\r\n",
            b"\r\n",
            b"  ",
            b"\t",
            b" \r\n",
            b"\r\n ",
            b"\r\n\t",
            b"\r\n\r\n",
            b"\n",
            b"\r",
            b"\x00",
            b"\xc3\xa9",
        ];
        let mut all = generated(dense, 7, 40);
        all.extend(generated(prose, 11, 120));
        for tail in [
            &b""[..],
            b"\r\n",
            b"\r\n\r\n",
            b" \r\n",
            b"\n\n",
            b"\t",
            b"\r",
        ] {
            all.push([&b"Lorem ipsum dolor sit amet,\r\nconsectetur"[..], tail].concat());
        }
        all
    }

    /// `cases()` bodies of 0..max_tokens tokens (xorshift, so the run repeats).
    fn generated(tokens: &[&[u8]], mut seed: u64, max_tokens: u64) -> Vec<Vec<u8>> {
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..cases())
            .map(|_| {
                let len = next() % max_tokens;
                (0..len)
                    .flat_map(|_| tokens[(next() % tokens.len() as u64) as usize])
                    .copied()
                    .collect()
            })
            .collect()
    }

    fn mail_auth_canonical(body: &[u8], canon: Canonicalization) -> Vec<u8> {
        let mut out = Vec::new();
        canon.canonical_body(body, 0).write(&mut out);
        out
    }

    fn reference_digest(data: &[u8], hash: HashAlgorithm) -> Vec<u8> {
        match hash {
            HashAlgorithm::Sha1 => {
                let mut h = <Sha1 as HashImpl>::hasher();
                h.write(data);
                h.complete().as_ref().to_vec()
            }
            HashAlgorithm::Sha256 => {
                let mut h = <Sha256 as HashImpl>::hasher();
                h.write(data);
                h.complete().as_ref().to_vec()
            }
        }
    }

    #[test]
    fn relaxed_body_writes_what_mail_auth_writes() {
        for body in bodies() {
            let mut ours = Vec::new();
            relaxed_body(&body, &mut ours);
            assert_eq!(
                ours,
                mail_auth_canonical(&body, Canonicalization::Relaxed),
                "body {body:?}"
            );
        }
    }

    #[test]
    fn body_hash_equals_mail_auth_at_every_length_limit() {
        for body in bodies().iter().step_by(3) {
            for canon in [Canonicalization::Relaxed, Canonicalization::Simple] {
                let canonical = mail_auth_canonical(body, canon);
                for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha256] {
                    let limits = (0..=canonical.len() as u64 + 1).map(Some).chain([None]);
                    for limit in limits {
                        let signed = match limit {
                            Some(l) => &canonical[..canonical.len().min(l as usize)],
                            None => &canonical[..],
                        };
                        assert_eq!(
                            body_hash(body, canon, hash, limit),
                            BodyDigest {
                                digest: reference_digest(signed, hash),
                                canonical_len: canonical.len() as u64,
                            },
                            "body {body:?}, {canon:?}, {hash:?}, l={limit:?}"
                        );
                    }
                }
            }
        }
    }
}
