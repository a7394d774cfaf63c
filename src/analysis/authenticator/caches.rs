//! mail-auth's resolver caches, filled from our evidence log: each answer our own checks already
//! got, as the value mail-auth would have built from the responder's wire answer for it.
//!
//! Only what can be reproduced exactly is put in; everything else is left out, so mail-auth asks
//! the responder for it (and the first, offline run is not kept: `authenticator.rs`):
//! - names that are plain ASCII host names (anything else may be encoded differently on the
//!   wire, and so be another evidence entry);
//! - answers, NXDOMAIN and NODATA (a failure's wording comes from the resolver), small enough
//!   never to be cut on the wire; through a CNAME chain only answers with records, every name
//!   along it plain (the wire answer is then the chain and those records, and mail-auth keeps
//!   only the records of the type it asked);
//! - for A, AAAA, MX and PTR only answers with records: mail-auth caches nothing else for them;
//! - AAAA with or without A beside it: mail-auth's `exists` tries the A cache before the AAAA
//!   cache, and a name whose A is not in misses there first, which sends the verification to
//!   the responder anyway (so an AAAA answer never stands in for an A question never asked);
//! - TXT parsed as the record type the verification asks for (`TxtKind`), by mail-auth's own
//!   parser in its own order (the first record that parses, else the last error). DKIM keys
//!   only at names with a `_domainkey` label and no `_atps` label (mail-auth's ATPS lookups
//!   want another type); DMARC records only at `_dmarc` names. SPF's `exp=` text would be read
//!   as an SPF record: it can only change mail-auth's explanation, which the cross-check does
//!   not read.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::Name;
use mail_auth::common::parse::TxtRecordParser;
use mail_auth::dmarc::Dmarc;
use mail_auth::spf::Spf;
use mail_auth::{DnsError, DnssecStatus, Error, MX, Parameters, RecordSet, ResolverCache, Txt};

use crate::analysis::dkim::Keys;
use crate::dns::responder::wire_name;
use crate::dns::{DnsEvidence, DnsOutcome, QueryKey, Record, RecordType};

/// TXT answers above this many bytes are left to the responder (a wire answer over 64 KiB is
/// SERVFAIL there).
const MAX_TXT_BYTES: usize = 16 * 1024;

/// The record type a verification reads from TXT answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TxtKind {
    DomainKey,
    Spf,
    Dmarc,
}

type Entry<V> = (V, QueryKey);

/// The five caches mail-auth takes, in one value; records which answers were taken and whether
/// anything was asked that is not in.
pub(crate) struct Caches {
    txt: HashMap<Box<str>, Entry<Txt>>,
    mx: HashMap<Box<str>, Entry<RecordSet<MX>>>,
    ipv4: HashMap<Box<str>, Entry<RecordSet<Ipv4Addr>>>,
    ipv6: HashMap<Box<str>, Entry<RecordSet<Ipv6Addr>>>,
    ptr: HashMap<IpAddr, Entry<RecordSet<Box<str>>>>,
    hits: Mutex<Vec<QueryKey>>,
    missed: AtomicBool,
}

impl Caches {
    pub(crate) fn from_evidence(evidence: &[DnsEvidence], kind: TxtKind, keys: &Keys) -> Caches {
        let mut caches = Caches {
            txt: HashMap::new(),
            mx: HashMap::new(),
            ipv4: HashMap::new(),
            ipv6: HashMap::new(),
            ptr: HashMap::new(),
            hits: Mutex::new(Vec::new()),
            missed: AtomicBool::new(false),
        };
        let reproducible = |e: &&DnsEvidence| {
            matches!(
                e.outcome,
                DnsOutcome::Answers | DnsOutcome::NxDomain | DnsOutcome::NoData
            ) && plain_name(&e.name)
                && (e.cname_chain.is_empty()
                    || (e.outcome == DnsOutcome::Answers
                        && e.cname_chain.iter().all(|n| plain_name(n))))
        };
        for e in evidence.iter().filter(reproducible) {
            let fqdn: Box<str> = format!("{}.", e.name).into();
            let key = e.key();
            match e.rtype {
                RecordType::TXT => {
                    if let Some(txt) = txt_value(e, kind, keys) {
                        caches.txt.insert(fqdn, (txt, key));
                    }
                }
                RecordType::A => {
                    if let Some(set) = addresses(e, |r| match r {
                        Record::A { address } => Some(*address),
                        _ => None,
                    }) {
                        caches.ipv4.insert(fqdn, (set, key));
                    }
                }
                RecordType::MX => {
                    if let Some(set) = mx_value(e) {
                        caches.mx.insert(fqdn, (set, key));
                    }
                }
                RecordType::PTR => {
                    if let Some((ip, set)) = ptr_value(e) {
                        caches.ptr.insert(ip, (set, key));
                    }
                }
                RecordType::AAAA => {
                    if let Some(set) = addresses(e, |r| match r {
                        Record::Aaaa { address } => Some(*address),
                        _ => None,
                    }) {
                        caches.ipv6.insert(fqdn, (set, key));
                    }
                }
                RecordType::CNAME => {}
            }
        }
        caches
    }

    /// mail-auth's parameters with these caches.
    pub(crate) fn params<P>(&self, params: P) -> Parameters<'_, P, Self, Self, Self, Self, Self> {
        Parameters::new(params)
            .with_txt_cache(self)
            .with_mx_cache(self)
            .with_ipv4_cache(self)
            .with_ipv6_cache(self)
            .with_ptr_cache(self)
    }

    /// Whether mail-auth asked anything these caches did not answer.
    pub(crate) fn missed(&self) -> bool {
        self.missed.load(Ordering::Relaxed)
    }

    /// The questions answered from here, once per answer taken.
    pub(crate) fn hits(&self) -> Vec<QueryKey> {
        self.hits.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn take<V: Clone>(&self, found: Option<&Entry<V>>) -> Option<V> {
        match found {
            Some((value, key)) => {
                let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
                hits.push(key.clone());
                Some(value.clone())
            }
            None => {
                self.missed.store(true, Ordering::Relaxed);
                None
            }
        }
    }
}

/// The ResolverCache interface over one of the maps: `get` takes (and counts) or misses;
/// mail-auth's own inserts are dropped, so a repeated question goes where the first one went.
macro_rules! resolver_cache {
    ($key:ty, $value:ty, $field:ident) => {
        impl ResolverCache<$key, $value> for Caches {
            fn get<Q>(&self, name: &Q) -> Option<$value>
            where
                $key: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
            {
                self.take(self.$field.get(name))
            }

            fn remove<Q>(&self, _: &Q) -> Option<$value>
            where
                $key: std::borrow::Borrow<Q>,
                Q: std::hash::Hash + Eq + ?Sized,
            {
                None
            }

            fn insert(&self, _: $key, _: $value, _: std::time::Instant) {}
        }
    };
}

resolver_cache!(Box<str>, Txt, txt);
resolver_cache!(Box<str>, RecordSet<MX>, mx);
resolver_cache!(Box<str>, RecordSet<Ipv4Addr>, ipv4);
resolver_cache!(Box<str>, RecordSet<Ipv6Addr>, ipv6);
resolver_cache!(IpAddr, RecordSet<Box<str>>, ptr);

/// A name the wire carries exactly as written: ASCII letters, digits, `-` and `_`, in labels of
/// 1–63 bytes, 253 at most.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn not_found(outcome: DnsOutcome) -> Option<Error> {
    let code = match outcome {
        DnsOutcome::NxDomain => ResponseCode::NXDomain,
        DnsOutcome::NoData => ResponseCode::NoError,
        _ => return None,
    };
    Some(Error::Dns(DnsError::RecordNotFound(code)))
}

/// The TXT answer as mail-auth's `txt_lookup` reads it for `kind`.
fn txt_value(e: &DnsEvidence, kind: TxtKind, keys: &Keys) -> Option<Txt> {
    let labels: Vec<&str> = e.name.split('.').collect();
    let wanted = match kind {
        TxtKind::DomainKey => labels.contains(&"_domainkey") && !labels.contains(&"_atps"),
        TxtKind::Dmarc => labels.first() == Some(&"_dmarc"),
        TxtKind::Spf => true,
    };
    if !wanted {
        return None;
    }
    if let Some(error) = not_found(e.outcome) {
        return Some(Txt::Error(error));
    }
    let mut records: Vec<Vec<u8>> = Vec::with_capacity(e.records.len());
    for record in &e.records {
        let Record::Txt { strings } = record else {
            return None;
        };
        records.push(strings.concat().into_bytes());
    }
    if records.is_empty() || records.iter().map(Vec::len).sum::<usize>() > MAX_TXT_BYTES {
        return None;
    }
    Some(match kind {
        TxtKind::DomainKey => first_parsed(&records, |r| keys.domain_key(r)),
        TxtKind::Spf => first_parsed(&records, Spf::parse),
        TxtKind::Dmarc => first_parsed(&records, Dmarc::parse),
    })
}

/// mail-auth's loop in `txt_lookup`: the first record that parses, else the last error.
fn first_parsed<T: Into<Txt>>(
    records: &[Vec<u8>],
    parse: impl Fn(&[u8]) -> mail_auth::Result<T>,
) -> Txt {
    let mut result = Err(Error::Dns(DnsError::InvalidRecordType));
    for record in records {
        result = parse(record);
        if result.is_ok() {
            break;
        }
    }
    result.into()
}

/// The addresses of an A or AAAA answer, in order (answers only).
fn addresses<T>(e: &DnsEvidence, read: impl Fn(&Record) -> Option<T>) -> Option<RecordSet<T>> {
    if e.outcome != DnsOutcome::Answers || e.records.is_empty() {
        return None;
    }
    let rrset: Option<Vec<T>> = e.records.iter().map(read).collect();
    Some(RecordSet {
        rrset: rrset?.into(),
        dnssec_status: DnssecStatus::Indeterminate,
    })
}

/// The host name as mail-auth reads it from a wire name (lowercase, absolute, A-labels).
fn wire_host(name: &str) -> Option<Box<str>> {
    Some(wire_name(name)?.to_lowercase().to_ascii().into_boxed_str())
}

/// An MX answer as mail-auth's `mx_lookup` builds it: exchanges grouped by preference, the
/// groups sorted by it.
fn mx_value(e: &DnsEvidence) -> Option<RecordSet<MX>> {
    if e.outcome != DnsOutcome::Answers || e.records.is_empty() {
        return None;
    }
    let mut groups: Vec<(u16, Vec<Box<str>>)> = Vec::new();
    for record in &e.records {
        let Record::Mx {
            preference,
            exchange,
        } = record
        else {
            return None;
        };
        let exchange = wire_host(exchange)?;
        match groups.iter_mut().find(|g| g.0 == *preference) {
            Some(group) => group.1.push(exchange),
            None => groups.push((*preference, vec![exchange])),
        }
    }
    groups.sort_unstable_by_key(|g| g.0);
    Some(RecordSet {
        rrset: groups
            .into_iter()
            .map(|(preference, exchanges)| MX {
                preference,
                exchanges: exchanges.into_boxed_slice(),
            })
            .collect(),
        dnssec_status: DnssecStatus::Indeterminate,
    })
}

/// A PTR answer keyed by the address it is for (mail-auth asks PTR by address); the reverse
/// name must be the one the resolver would build for that address.
fn ptr_value(e: &DnsEvidence) -> Option<(IpAddr, RecordSet<Box<str>>)> {
    if e.outcome != DnsOutcome::Answers || e.records.is_empty() {
        return None;
    }
    let ip = reverse_name_address(&e.name)?;
    let rebuilt = Name::from(ip).to_ascii();
    if crate::dns::normalize_name(&rebuilt) != e.name {
        return None;
    }
    let mut names: Vec<Box<str>> = Vec::with_capacity(e.records.len());
    for record in &e.records {
        let Record::Ptr { name } = record else {
            return None;
        };
        let wire = wire_name(name)?;
        // mail-auth skips the root name.
        if !wire.is_root() {
            names.push(wire.to_lowercase().to_ascii().into_boxed_str());
        }
    }
    Some((
        ip,
        RecordSet {
            rrset: names.into(),
            dnssec_status: DnssecStatus::Indeterminate,
        },
    ))
}

/// The address of an `in-addr.arpa` or `ip6.arpa` name.
fn reverse_name_address(name: &str) -> Option<IpAddr> {
    if let Some(v4) = name.strip_suffix(".in-addr.arpa") {
        let octets: Vec<u8> = v4
            .split('.')
            .rev()
            .map(|o| o.parse().ok())
            .collect::<Option<_>>()?;
        let octets: [u8; 4] = octets.try_into().ok()?;
        return Some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    let v6 = name.strip_suffix(".ip6.arpa")?;
    let nibbles: Vec<u8> = v6
        .split('.')
        .rev()
        .map(|n| u8::from_str_radix(n, 16).ok().filter(|_| n.len() == 1))
        .collect::<Option<_>>()?;
    if nibbles.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, pair) in nibbles.chunks(2).enumerate() {
        bytes[i] = (pair[0] << 4) | pair[1];
    }
    Some(IpAddr::V6(Ipv6Addr::from(bytes)))
}
