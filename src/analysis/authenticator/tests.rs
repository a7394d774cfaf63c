//! mail-auth answered from memory reads exactly what it would have read off the wire, and every
//! question it asks is in the evidence with its count.

use std::net::IpAddr;

use std::net::{Ipv4Addr, Ipv6Addr};

use mail_auth::common::cache::NoCache;
use mail_auth::common::verify::DomainKey;
use mail_auth::dmarc::Dmarc;
use mail_auth::spf::Spf;
use mail_auth::{MX, MessageAuthenticator, RecordSet, ResolverCache, SpfResult, Txt};

use super::*;
use crate::dns::responder::Responder;
use crate::dns::snapshot::{Snapshot, SnapshotEntry};
use crate::dns::{Record, RecordType};

fn txt(s: &mut Snapshot, name: &str, texts: &[&str]) {
    let records = texts
        .iter()
        .map(|t| Record::Txt {
            strings: vec![t.to_string()],
        })
        .collect();
    s.insert(name, RecordType::TXT, SnapshotEntry::Records(records));
}

fn records(s: &mut Snapshot, name: &str, rtype: RecordType, records: Vec<Record>) {
    s.insert(name, rtype, SnapshotEntry::Records(records));
}

fn snapshot() -> Snapshot {
    let mut s = Snapshot::new();
    txt(
        &mut s,
        "example.com",
        &["google-site-verification=x", "v=spf1 mx -all"],
    );
    txt(&mut s, "junk.example.com", &["not spf", "nor this"]);
    txt(&mut s, "_dmarc.example.com", &["v=DMARC1; p=reject"]);
    txt(
        &mut s,
        "sel._domainkey.example.com",
        &["v=DKIM1; k=ed25519; p=ebwUdYOd3cL1L/1v3VcGxymdmAUAjZ3YN8S1H6bcYic="],
    );
    txt(&mut s, "bad._domainkey.example.com", &["v=DKIM1; p=!!"]);
    s.insert_name("nodata.example.com");
    let a = |x: &str| Record::A {
        address: x.parse().unwrap(),
    };
    records(
        &mut s,
        "example.com",
        RecordType::A,
        vec![a("192.0.2.2"), a("192.0.2.1")],
    );
    records(
        &mut s,
        "example.com",
        RecordType::AAAA,
        vec![Record::Aaaa {
            address: "2001:db8::1".parse().unwrap(),
        }],
    );
    let mx = |p: u16, x: &str| Record::Mx {
        preference: p,
        exchange: x.into(),
    };
    records(
        &mut s,
        "example.com",
        RecordType::MX,
        vec![
            mx(10, "MX1.example.com"),
            mx(5, "mx0.example.com"),
            mx(10, "mx2.example.com"),
        ],
    );
    // Answers through CNAME chains: the wire answer is the chain and then the records.
    let cname = |t: &str| {
        vec![Record::Cname {
            target: t.to_string(),
        }]
    };
    records(
        &mut s,
        "alias._domainkey.example.com",
        RecordType::CNAME,
        cname("sel._domainkey.example.com"),
    );
    records(
        &mut s,
        "www.example.com",
        RecordType::CNAME,
        cname("web.example.com"),
    );
    records(
        &mut s,
        "web.example.com",
        RecordType::CNAME,
        cname("example.com"),
    );
    records(
        &mut s,
        "1.2.0.192.in-addr.arpa",
        RecordType::PTR,
        vec![Record::Ptr {
            name: "Host.Example.com".into(),
        }],
    );
    s
}

fn offline() -> MessageAuthenticator {
    MailAuth::new(&Dns::from_snapshot(Snapshot::new()))
        .offline()
        .clone()
}

#[tokio::test]
async fn answers_from_memory_read_as_the_responders_wire_answers() {
    let dns = Dns::from_snapshot(snapshot());
    let responder = Responder::start(dns.clone()).await.expect("responder");
    let wire = responder.authenticator();
    let memory = offline();
    let no_cache: Option<&NoCache<Box<str>, Txt>> = None;
    let txt_names = [
        "example.com",
        "junk.example.com",
        "nodata.example.com",
        "missing.example.com",
        "_dmarc.example.com",
        "_dmarc.missing.example.com",
        "sel._domainkey.example.com",
        "bad._domainkey.example.com",
        "none._domainkey.example.com",
        "alias._domainkey.example.com",
    ];
    for name in txt_names {
        dns.query(name, RecordType::TXT).await;
    }
    for rtype in [RecordType::A, RecordType::AAAA, RecordType::MX] {
        dns.query("example.com", rtype).await;
        dns.query("www.example.com", rtype).await;
    }
    dns.query("1.2.0.192.in-addr.arpa", RecordType::PTR).await;
    let keys = Keys::default();
    let caches = |kind| Caches::from_evidence(&dns.evidence(), kind, &keys);

    let spf = caches(TxtKind::Spf);
    for name in &txt_names[..4] {
        let from_wire = wire.txt_lookup::<Spf>(*name, no_cache).await;
        let from_memory = memory.txt_lookup::<Spf>(*name, Some(&spf)).await;
        assert_eq!(
            format!("{from_wire:?}"),
            format!("{from_memory:?}"),
            "{name}"
        );
    }
    let dmarc = caches(TxtKind::Dmarc);
    for name in &txt_names[4..6] {
        let from_wire = wire.txt_lookup::<Dmarc>(*name, no_cache).await;
        let from_memory = memory.txt_lookup::<Dmarc>(*name, Some(&dmarc)).await;
        assert_eq!(
            format!("{from_wire:?}"),
            format!("{from_memory:?}"),
            "{name}"
        );
    }
    let keys_cache = caches(TxtKind::DomainKey);
    for name in &txt_names[6..] {
        let read = |r: mail_auth::Result<std::sync::Arc<DomainKey>>| {
            r.map(|k| (k.f, k.p.public_key_bits()))
        };
        let from_wire = read(wire.txt_lookup::<DomainKey>(*name, no_cache).await);
        let from_memory = read(
            memory
                .txt_lookup::<DomainKey>(*name, Some(&keys_cache))
                .await,
        );
        assert_eq!(from_wire, from_memory, "{name}");
    }
    let all = caches(TxtKind::Spf);
    for name in ["example.com", "www.example.com"] {
        let no_mx: Option<&NoCache<Box<str>, RecordSet<MX>>> = None;
        assert_eq!(
            wire.mx_lookup(name, no_mx).await,
            memory.mx_lookup(name, Some(&all)).await
        );
        let no_v4: Option<&NoCache<Box<str>, RecordSet<Ipv4Addr>>> = None;
        let v4 = wire.ipv4_lookup(name, no_v4).await;
        assert_eq!(v4, memory.ipv4_lookup(name, Some(&all)).await);
        assert!(
            v4.is_ok_and(|set| set.rrset.len() == 2),
            "{name}: records found"
        );
        let no_v6: Option<&NoCache<Box<str>, RecordSet<Ipv6Addr>>> = None;
        assert_eq!(
            wire.ipv6_lookup(name, no_v6).await,
            memory.ipv6_lookup(name, Some(&all)).await
        );
    }
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let no_ptr: Option<&NoCache<IpAddr, RecordSet<Box<str>>>> = None;
    assert_eq!(
        wire.ptr_lookup(ip, no_ptr).await,
        memory.ptr_lookup(ip, Some(&all)).await
    );
    for c in [&spf, &dmarc, &keys_cache, &all] {
        assert!(!c.missed(), "every question was answered from memory");
    }
}

#[tokio::test]
async fn negative_address_answers_are_left_to_the_responder_and_aaaa_never_answers_for_a() {
    let mut s = Snapshot::new();
    records(
        &mut s,
        "v6only.example.com",
        RecordType::AAAA,
        vec![Record::Aaaa {
            address: "2001:db8::1".parse().unwrap(),
        }],
    );
    let dns = Dns::from_snapshot(s);
    dns.query("v6only.example.com", RecordType::A).await;
    dns.query("v6only.example.com", RecordType::AAAA).await;
    dns.query("missing.example.com", RecordType::MX).await;
    let caches = Caches::from_evidence(&dns.evidence(), TxtKind::Spf, &Keys::default());
    // NODATA for A and NXDOMAIN for MX: mail-auth caches nothing for them, so neither can we.
    let v4 = ResolverCache::<Box<str>, RecordSet<Ipv4Addr>>::get(&caches, "v6only.example.com.");
    let mx = ResolverCache::<Box<str>, RecordSet<MX>>::get(&caches, "missing.example.com.");
    assert!(v4.is_none() && mx.is_none());
    assert!(caches.missed());

    // The AAAA answer is there for an AAAA question (an IPv6 client's `a` or `mx`) …
    let caches = Caches::from_evidence(&dns.evidence(), TxtKind::Spf, &Keys::default());
    let v6 = offline()
        .ipv6_lookup("v6only.example.com", Some(&caches))
        .await
        .expect("from memory");
    assert_eq!(v6.rrset.len(), 1);
    assert!(!caches.missed());
    // … but `exists` asks the A cache first: its miss sends the verification to the responder,
    // which asks A as the wire would, so the AAAA answer never decides an `exists`.
    let caches = Caches::from_evidence(&dns.evidence(), TxtKind::Spf, &Keys::default());
    let _ = offline()
        .exists("v6only.example.com", Some(&caches), Some(&caches))
        .await;
    assert!(caches.missed());
}

async fn spf_pass(auth: &MailAuth) -> SpfResult {
    let ip: IpAddr = "192.0.2.1".parse().unwrap();
    let params =
        || SpfParameters::verify_mail_from(ip, "h.example.com", "mx.example.net", "a@example.com");
    auth.verify_spf(&params).await.result()
}

fn count(dns: &Dns, name: &str, rtype: RecordType) -> u32 {
    dns.evidence()
        .iter()
        .find(|e| e.name == name && e.rtype == rtype)
        .map_or(0, |e| e.count)
}

#[tokio::test]
async fn mail_auth_questions_are_counted_from_memory_or_through_the_responder() {
    let mut s = Snapshot::new();
    txt(&mut s, "example.com", &["v=spf1 a -all"]);
    records(
        &mut s,
        "example.com",
        RecordType::A,
        vec![Record::A {
            address: "192.0.2.1".parse().unwrap(),
        }],
    );
    let dns = Dns::from_snapshot(s);

    // Names nobody asked before: mail-auth asks them through the responder.
    let first = MailAuth::new(&dns);
    assert_eq!(spf_pass(&first).await, SpfResult::Pass);
    assert!(first.responder_started());
    assert_eq!(count(&dns, "example.com", RecordType::TXT), 1);
    assert_eq!(count(&dns, "example.com", RecordType::A), 1);

    // Now in the evidence: answered from memory, no responder, each ask counted.
    let second = MailAuth::new(&dns);
    assert_eq!(spf_pass(&second).await, SpfResult::Pass);
    assert!(!second.responder_started());
    assert_eq!(count(&dns, "example.com", RecordType::TXT), 2);
    assert_eq!(count(&dns, "example.com", RecordType::A), 2);
    assert!(second.finish().is_empty());
}
