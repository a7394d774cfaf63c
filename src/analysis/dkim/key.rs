//! The public key: fetching `<s>._domainkey.<d>` and reading its record (RFC 6376 §3.6.1), and
//! whether it fits a signature.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use mail_auth::common::crypto::Algorithm;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::common::verify::DomainKey;

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
    pub(crate) fn from_answer(name: &str, answer: Option<&DnsAnswer>) -> KeyLookup {
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
            last = parse_key_record(&record);
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

pub(crate) fn parse_key_record(record: &str) -> KeyLookup {
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
    let key = match DomainKey::parse(record.as_bytes()) {
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
