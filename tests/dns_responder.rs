//! mail-auth's resolver asks the in-process responder, which answers from a snapshot through the
//! shared Dns handle: the parsed answers and the evidence log must both be right.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType as WireType};
use mail_auth::common::cache::NoCache;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{MX, Parameters, RecordSet, SpfResult};
use mailsleuth::dns::responder::Responder;
use mailsleuth::dns::snapshot::Snapshot;
use mailsleuth::dns::{Dns, DnsEvidence, DnsOutcome, RecordType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

type TxtCache = NoCache<Box<str>, mail_auth::Txt>;
type MxCache = NoCache<Box<str>, RecordSet<MX>>;
type V4Cache = NoCache<Box<str>, RecordSet<Ipv4Addr>>;
type V6Cache = NoCache<Box<str>, RecordSet<Ipv6Addr>>;
type PtrCache = NoCache<IpAddr, RecordSet<Box<str>>>;

/// A DKIM key long enough (2 KB) that its answer overflows a 1232-byte UDP payload.
fn long_key() -> String {
    let body: String = (0..2048)
        .map(|i| char::from(b'A' + (i % 26) as u8))
        .collect();
    format!("v=DKIM1; k=rsa; p={body}")
}

fn snapshot() -> Snapshot {
    let text = serde_json::json!({
        "_meta": { "default_ttl": 300, "ttl": { "example.com": { "TXT": 3600 } } },
        "example.com": {
            "TXT": [["v=spf1 ip4:192.0.2.0/24", " mx -all"], ["unrelated=1"]],
            "MX": [
                { "priority": 20, "exchange": "mx2.example.com" },
                { "priority": 10, "exchange": "mx1.example.com" },
                { "priority": 10, "exchange": "mx1b.example.com" }
            ],
            "A": ["192.0.2.1", "192.0.2.2"],
            "AAAA": ["2001:db8::1"]
        },
        "nodata.example.com": { "A": [] },
        "big._domainkey.example.com": { "TXT": [[long_key()]] },
        "www.example.com": { "CNAME": ["alias.example.com"] },
        "alias.example.com": { "CNAME": ["example.com"] },
        "1.2.0.192.in-addr.arpa": { "PTR": ["mail.example.com."] },
        "gone.example.com": { "TXT": "NXDOMAIN" },
        "broken.example.com": { "TXT": "SERVFAIL" },
        "slow.example.com": { "TXT": "TIMEOUT", "A": "TIMEOUT" },
        "v6only.example.com": { "AAAA": ["2001:db8::5"] }
    });
    Snapshot::parse(&text.to_string()).expect("test snapshot parses")
}

async fn start() -> (Dns, Responder) {
    let dns = Dns::from_snapshot(snapshot());
    let responder = Responder::start(dns.clone())
        .await
        .expect("responder starts");
    (dns, responder)
}

fn entry<'a>(log: &'a [DnsEvidence], name: &str, rtype: RecordType) -> &'a DnsEvidence {
    log.iter()
        .find(|e| e.name == name && e.rtype == rtype)
        .unwrap_or_else(|| panic!("no evidence for {name} {rtype} in {log:#?}"))
}

/// The outcome the evidence log holds for one question.
#[track_caller]
fn assert_outcome(log: &[DnsEvidence], name: &str, rtype: RecordType, outcome: DnsOutcome) {
    assert_eq!(entry(log, name, rtype).outcome, outcome, "{name} {rtype}");
}

/// mail-auth's "record not found" error, with the response code the responder gave.
#[track_caller]
fn assert_record_not_found(err: &mail_auth::Error, rcode: ResponseCode) {
    assert!(
        matches!(
            err,
            mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(code)) if *code == rcode
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn responder_listens_on_loopback_only() {
    let (_dns, responder) = start().await;
    assert_eq!(responder.addr().ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_ne!(responder.addr().port(), 0);
}

#[tokio::test]
async fn txt_raw_lookup_joins_strings_and_logs_once() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    let raw = auth
        .txt_raw_lookup("example.com")
        .await
        .expect("txt answer");
    // txt_raw_lookup concatenates every record's strings.
    assert_eq!(
        String::from_utf8(raw).unwrap(),
        "v=spf1 ip4:192.0.2.0/24 mx -allunrelated=1"
    );
    let log = dns.evidence();
    assert_eq!(log.len(), 1, "{log:#?}");
    let e = entry(&log, "example.com", RecordType::TXT);
    assert_eq!(e.outcome, DnsOutcome::Answers);
    assert_eq!(
        e.answers,
        vec!["v=spf1 ip4:192.0.2.0/24 mx -all", "unrelated=1"]
    );
    assert_eq!(e.ttl, Some(3600));
    assert_eq!(e.count, 1);
}

#[tokio::test]
async fn cache_is_off_so_every_question_reaches_the_log() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    for _ in 0..3 {
        auth.txt_raw_lookup("example.com").await.unwrap();
    }
    let log = dns.evidence();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].count, 3);
}

#[tokio::test]
async fn a_2kb_dkim_key_is_truncated_over_udp_and_fetched_over_tcp_once() {
    let (dns, responder) = start().await;
    // On the wire: a plain UDP query with a 1232-byte EDNS payload gets TC and no answers.
    let reply = udp_query(
        responder.addr(),
        "big._domainkey.example.com.",
        WireType::TXT,
        Some(1232),
    )
    .await
    .expect("udp reply");
    assert!(reply.metadata.truncation, "expected TC");
    assert!(reply.answers.is_empty());
    // …and the same question over TCP gets the whole key, in 255-byte character-strings.
    let full = tcp_query(
        responder.addr(),
        "big._domainkey.example.com.",
        WireType::TXT,
    )
    .await
    .expect("tcp reply");
    assert!(!full.metadata.truncation);
    let RData::TXT(txt) = &full.answers[0].data else {
        panic!("not TXT: {full:?}")
    };
    assert!(txt.txt_data.iter().all(|s| s.len() <= 255));
    assert!(txt.txt_data.len() >= 9);
    let joined: Vec<u8> = txt
        .txt_data
        .iter()
        .flat_map(|s| s.iter().copied())
        .collect();
    assert_eq!(joined, long_key().as_bytes());
    // The TCP retry was served from the UDP question's answer: one ask, one count.
    assert_eq!(
        entry(
            &dns.evidence(),
            "big._domainkey.example.com",
            RecordType::TXT
        )
        .count,
        1
    );

    // Through mail-auth: hickory retries over TCP by itself and gets the whole key.
    let raw = responder
        .authenticator()
        .txt_raw_lookup("big._domainkey.example.com")
        .await
        .expect("long txt");
    assert_eq!(raw, long_key().into_bytes());
    let e = entry(
        &dns.evidence(),
        "big._domainkey.example.com",
        RecordType::TXT,
    )
    .clone();
    assert_eq!(
        e.count, 2,
        "the UDP try and its TCP retry count as one question"
    );
    assert_eq!(e.answers, vec![long_key()]);
}

#[tokio::test]
async fn mx_lookup_groups_by_preference_in_order() {
    let (dns, responder) = start().await;
    let mx = responder
        .authenticator()
        .mx_lookup("example.com", None::<&MxCache>)
        .await
        .expect("mx answer");
    let got: Vec<(u16, Vec<String>)> = mx
        .rrset
        .iter()
        .map(|m| {
            (
                m.preference,
                m.exchanges.iter().map(|e| e.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                10,
                vec![
                    "mx1.example.com.".to_string(),
                    "mx1b.example.com.".to_string()
                ]
            ),
            (20, vec!["mx2.example.com.".to_string()]),
        ]
    );
    let e = entry(&dns.evidence(), "example.com", RecordType::MX).clone();
    assert_eq!(
        e.answers,
        vec![
            "20 mx2.example.com",
            "10 mx1.example.com",
            "10 mx1b.example.com"
        ]
    );
    assert_eq!(e.ttl, Some(300));
}

#[tokio::test]
async fn ipv4_and_ipv6_lookups() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    let v4 = auth
        .ipv4_lookup("example.com", None::<&V4Cache>)
        .await
        .unwrap();
    assert_eq!(
        v4.rrset.to_vec(),
        vec![Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 0, 2, 2)]
    );
    let v6 = auth
        .ipv6_lookup("example.com", None::<&V6Cache>)
        .await
        .unwrap();
    assert_eq!(
        v6.rrset.to_vec(),
        vec!["2001:db8::1".parse::<Ipv6Addr>().unwrap()]
    );
    let log = dns.evidence();
    assert_eq!(
        entry(&log, "example.com", RecordType::A).answers,
        vec!["192.0.2.1", "192.0.2.2"]
    );
    assert_eq!(
        entry(&log, "example.com", RecordType::AAAA).answers,
        vec!["2001:db8::1"]
    );
}

#[tokio::test]
async fn ptr_lookup_asks_the_reverse_name() {
    let (dns, responder) = start().await;
    let ptr = responder
        .authenticator()
        .ptr_lookup(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), None::<&PtrCache>)
        .await
        .expect("ptr answer");
    assert_eq!(
        ptr.rrset.to_vec(),
        vec![Box::<str>::from("mail.example.com.")]
    );
    let e = entry(&dns.evidence(), "1.2.0.192.in-addr.arpa", RecordType::PTR).clone();
    assert_eq!(e.outcome, DnsOutcome::Answers);
    assert_eq!(e.answers, vec!["mail.example.com"]);
}

#[tokio::test]
async fn exists_uses_a_then_aaaa() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    assert!(
        auth.exists("example.com", None::<&V4Cache>, None::<&V6Cache>)
            .await
            .unwrap()
    );
    assert!(
        !auth
            .exists("nowhere.example.net", None::<&V4Cache>, None::<&V6Cache>)
            .await
            .unwrap()
    );
    assert!(
        auth.exists("v6only.example.com", None::<&V4Cache>, None::<&V6Cache>)
            .await
            .unwrap()
    );
    let log = dns.evidence();
    assert_outcome(&log, "example.com", RecordType::A, DnsOutcome::Answers);
    assert_outcome(
        &log,
        "nowhere.example.net",
        RecordType::A,
        DnsOutcome::NxDomain,
    );
    assert_outcome(
        &log,
        "v6only.example.com",
        RecordType::AAAA,
        DnsOutcome::Answers,
    );
}

#[tokio::test]
async fn cname_chain_is_on_the_wire_and_in_the_evidence() {
    let (dns, responder) = start().await;
    let reply = udp_query(
        responder.addr(),
        "www.example.com.",
        WireType::A,
        Some(1232),
    )
    .await
    .unwrap();
    let kinds: Vec<WireType> = reply.answers.iter().map(|r| r.record_type()).collect();
    assert_eq!(
        kinds,
        vec![WireType::CNAME, WireType::CNAME, WireType::A, WireType::A]
    );
    let v4 = responder
        .authenticator()
        .ipv4_lookup("www.example.com", None::<&V4Cache>)
        .await
        .unwrap();
    assert_eq!(v4.rrset.len(), 2);
    let e = entry(&dns.evidence(), "www.example.com", RecordType::A).clone();
    assert_eq!(e.cname_chain, vec!["alias.example.com", "example.com"]);
    assert_eq!(e.count, 2);
    // Only the question asked is evidence, not the names along the chain.
    assert_eq!(dns.evidence().len(), 1);
}

#[tokio::test]
async fn nxdomain_and_nodata_are_record_not_found_with_their_rcode() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    let err = auth
        .mx_lookup("gone.example.com", None::<&MxCache>)
        .await
        .unwrap_err();
    // gone.example.com has only a TXT entry, so MX there is NODATA; TXT is NXDOMAIN.
    assert_record_not_found(&err, ResponseCode::NoError);
    let err = auth.txt_raw_lookup("gone.example.com").await.unwrap_err();
    assert_record_not_found(&err, ResponseCode::NXDomain);
    let err = auth
        .ipv4_lookup("nodata.example.com", None::<&V4Cache>)
        .await
        .unwrap_err();
    assert_record_not_found(&err, ResponseCode::NoError);
    let log = dns.evidence();
    assert_outcome(&log, "gone.example.com", RecordType::MX, DnsOutcome::NoData);
    assert_outcome(
        &log,
        "gone.example.com",
        RecordType::TXT,
        DnsOutcome::NxDomain,
    );
    assert_outcome(
        &log,
        "nodata.example.com",
        RecordType::A,
        DnsOutcome::NoData,
    );
}

#[tokio::test]
async fn servfail_and_timeout_fail_fast_and_keep_their_outcome_in_the_log() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    let started = Instant::now();
    let err = auth.txt_raw_lookup("broken.example.com").await.unwrap_err();
    assert!(!matches!(
        err,
        mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_))
    ));
    let err = auth.txt_raw_lookup("slow.example.com").await.unwrap_err();
    assert!(!matches!(
        err,
        mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let reply = udp_query(responder.addr(), "slow.example.com.", WireType::A, None)
        .await
        .unwrap();
    assert_eq!(reply.metadata.response_code, ResponseCode::ServFail);
    let log = dns.evidence();
    assert_outcome(
        &log,
        "broken.example.com",
        RecordType::TXT,
        DnsOutcome::ServFail,
    );
    assert_outcome(
        &log,
        "slow.example.com",
        RecordType::TXT,
        DnsOutcome::Timeout,
    );
    assert_outcome(&log, "slow.example.com", RecordType::A, DnsOutcome::Timeout);
}

#[tokio::test]
async fn unmodelled_types_get_notimp_and_are_not_logged() {
    let (dns, responder) = start().await;
    let reply = udp_query(responder.addr(), "example.com.", WireType::NS, Some(1232))
        .await
        .unwrap();
    assert_eq!(reply.metadata.response_code, ResponseCode::NotImp);
    assert!(dns.evidence().is_empty());
}

#[tokio::test]
async fn garbage_packets_do_not_stop_the_responder() {
    let (dns, responder) = start().await;
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for junk in [&b""[..], b"\x01", b"\x12\x34\xff\xff\xff", &[0u8; 600]] {
        socket.send_to(junk, responder.addr()).await.unwrap();
    }
    let mut tcp = TcpStream::connect(responder.addr()).await.unwrap();
    tcp.write_all(&[0, 5, 1, 2, 3]).await.unwrap();
    drop(tcp);
    let raw = responder
        .authenticator()
        .txt_raw_lookup("example.com")
        .await
        .unwrap();
    assert!(!raw.is_empty());
    assert_eq!(dns.evidence().len(), 1);
}

#[tokio::test]
async fn mail_auth_spf_runs_through_the_responder() {
    let (dns, responder) = start().await;
    let auth = responder.authenticator();
    let params = SpfParameters::verify_mail_from(
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, 77)),
        "helo.example.com",
        "receiver.example.org",
        "alice@example.com",
    );
    let out = auth
        .verify_spf(Parameters::<_, TxtCache, MxCache, V4Cache, V6Cache, PtrCache>::new(params))
        .await;
    assert_eq!(out.result(), SpfResult::Pass);
    let log = dns.evidence();
    assert_outcome(&log, "example.com", RecordType::TXT, DnsOutcome::Answers);
    // The ip4: term matched first, so mail-auth never needed the MX.
    assert!(log.iter().all(|e| e.rtype != RecordType::MX), "{log:#?}");
}

#[tokio::test]
async fn dropping_the_responder_stops_it() {
    let (_dns, responder) = start().await;
    let addr = responder.addr();
    assert!(
        udp_query(addr, "example.com.", WireType::TXT, None)
            .await
            .is_some()
    );
    drop(responder);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        udp_query(addr, "example.com.", WireType::TXT, None)
            .await
            .is_none()
    );
}

fn request(name: &str, rtype: WireType, payload: Option<u16>) -> Message {
    let mut msg = Message::new(0x4d53, MessageType::Query, OpCode::Query);
    msg.metadata.recursion_desired = true;
    msg.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
    if let Some(payload) = payload {
        let mut edns = Edns::new();
        edns.set_max_payload(payload);
        msg.set_edns(edns);
    }
    msg
}

async fn udp_query(
    addr: SocketAddr,
    name: &str,
    rtype: WireType,
    payload: Option<u16>,
) -> Option<Message> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.ok()?;
    let bytes = request(name, rtype, payload).to_vec().ok()?;
    socket.send_to(&bytes, addr).await.ok()?;
    let mut buf = vec![0u8; 65535];
    let (len, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
        .await
        .ok()?
        .ok()?;
    Message::from_vec(&buf[..len]).ok()
}

async fn tcp_query(addr: SocketAddr, name: &str, rtype: WireType) -> Option<Message> {
    let mut stream = TcpStream::connect(addr).await.ok()?;
    let bytes = request(name, rtype, Some(1232)).to_vec().ok()?;
    stream
        .write_all(&(bytes.len() as u16).to_be_bytes())
        .await
        .ok()?;
    stream.write_all(&bytes).await.ok()?;
    let mut len = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut len))
        .await
        .ok()?
        .ok()?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).await.ok()?;
    Message::from_vec(&buf).ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_questions_are_each_answered_and_logged_once() {
    let mut snap = snapshot();
    for i in 0..60 {
        snap.insert(
            &format!("s{i}._domainkey.example.com"),
            RecordType::TXT,
            mailsleuth::dns::snapshot::SnapshotEntry::Records(vec![mailsleuth::dns::Record::Txt {
                strings: vec![format!("v=DKIM1; p=key{i}")],
            }]),
        );
    }
    let dns = Dns::from_snapshot(snap);
    let responder = Responder::start(dns.clone()).await.unwrap();
    let auth = responder.authenticator();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..60 {
        let auth = auth.clone();
        tasks.spawn(async move {
            let raw = auth
                .txt_raw_lookup(format!("s{i}._domainkey.example.com"))
                .await
                .expect("answer");
            (i, String::from_utf8(raw).unwrap())
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (i, text) = done.unwrap();
        assert_eq!(text, format!("v=DKIM1; p=key{i}"));
    }
    let log = dns.evidence();
    assert_eq!(log.len(), 60);
    assert!(
        log.iter()
            .all(|e| e.count == 1 && e.outcome == DnsOutcome::Answers)
    );
}

// ---- Live mode, against servers this test starts on 127.0.0.1 ----

mod live {
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use mailsleuth::dns::live::LiveBackend;
    use mailsleuth::dns::responder::Responder;
    use mailsleuth::dns::snapshot::Snapshot;
    use mailsleuth::dns::{
        Dns, DnsConfig, DnsMode, DnsOutcome, DnsSource, QueryKey, Record, RecordType,
    };
    use tokio::net::{TcpListener, UdpSocket};

    use super::{entry, long_key, snapshot};

    fn live_dns(server: std::net::SocketAddr, timeout: Duration) -> Dns {
        Dns::new(Arc::new(
            LiveBackend::new(Some(server), timeout).expect("live backend builds"),
        ))
    }

    /// A server on 127.0.0.1 that reads questions (UDP and TCP) and never answers.
    async fn silent_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        let udp = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let tcp = TcpListener::bind(addr).await.ok();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 65535];
            let mut held = Vec::new();
            loop {
                tokio::select! {
                    _ = udp.recv_from(&mut buf) => {}
                    Some(Ok((stream, _))) = async {
                        match &tcp { Some(l) => Some(l.accept().await), None => None }
                    } => held.push(stream),
                }
            }
        });
        (addr, task)
    }

    #[tokio::test]
    async fn live_backend_reads_answers_ttls_and_cname_chains() {
        let upstream = Responder::start(Dns::from_snapshot(snapshot()))
            .await
            .unwrap();
        let dns = live_dns(upstream.addr(), Duration::from_secs(3));
        assert_eq!(dns.source(), DnsSource::Live);
        assert_eq!(dns.timeout(), Some(Duration::from_secs(3)));

        let txt = dns.query("Example.com.", RecordType::TXT).await;
        assert_eq!(txt.outcome, DnsOutcome::Answers);
        assert_eq!(
            txt.records[0],
            Record::Txt {
                strings: vec!["v=spf1 ip4:192.0.2.0/24".into(), " mx -all".into()]
            }
        );
        assert_eq!(txt.ttl, Some(3600));

        let mx = dns.query("example.com", RecordType::MX).await;
        assert!(mx.records.contains(&Record::Mx {
            preference: 10,
            exchange: "mx1.example.com".into()
        }));

        let a = dns.query("www.example.com", RecordType::A).await;
        assert_eq!(a.cname_chain, vec!["alias.example.com", "example.com"]);
        assert_eq!(a.records.len(), 2);

        let ptr = dns.query("1.2.0.192.in-addr.arpa", RecordType::PTR).await;
        assert_eq!(
            ptr.records,
            vec![Record::Ptr {
                name: "mail.example.com".into()
            }]
        );

        // Truncated over UDP, then fetched over TCP by the live resolver.
        let key = dns
            .query("big._domainkey.example.com", RecordType::TXT)
            .await;
        assert_eq!(key.txt(), vec![long_key()]);

        let log = dns.evidence();
        assert!(log.iter().all(|e| e.source == DnsSource::Live));
        assert_eq!(entry(&log, "example.com", RecordType::TXT).ttl, Some(3600));
        assert_eq!(entry(&log, "example.com", RecordType::MX).ttl, Some(300));
    }

    #[tokio::test]
    async fn live_cache_is_off_so_every_question_reaches_the_server() {
        use mailsleuth::dns::DnsBackend;
        let upstream_dns = Dns::from_snapshot(snapshot());
        let upstream = Responder::start(upstream_dns.clone()).await.unwrap();
        let live = LiveBackend::new(Some(upstream.addr()), Duration::from_secs(3)).unwrap();
        for _ in 0..3 {
            live.lookup(&QueryKey::new("example.com", RecordType::TXT))
                .await;
            live.lookup(&QueryKey::new("gone.example.com", RecordType::TXT))
                .await;
        }
        let seen = upstream_dns.evidence();
        assert_eq!(entry(&seen, "example.com", RecordType::TXT).count, 3);
        assert_eq!(entry(&seen, "gone.example.com", RecordType::TXT).count, 3);
    }

    #[tokio::test]
    async fn one_handle_asks_the_server_once_per_question() {
        // Repeats within one analysis get the first answer, so every verifier sees the same.
        let upstream_dns = Dns::from_snapshot(snapshot());
        let upstream = Responder::start(upstream_dns.clone()).await.unwrap();
        let dns = live_dns(upstream.addr(), Duration::from_secs(3));
        let (a, b) = tokio::join!(
            dns.query("example.com", RecordType::TXT),
            dns.query("EXAMPLE.com.", RecordType::TXT)
        );
        let c = dns.query("example.com", RecordType::TXT).await;
        assert_eq!(a, b);
        assert_eq!(a, c);
        assert_eq!(
            entry(&dns.evidence(), "example.com", RecordType::TXT).count,
            3
        );
        assert_eq!(
            entry(&upstream_dns.evidence(), "example.com", RecordType::TXT).count,
            1
        );
    }

    #[tokio::test]
    async fn live_backend_maps_nxdomain_nodata_and_servfail() {
        let upstream = Responder::start(Dns::from_snapshot(snapshot()))
            .await
            .unwrap();
        let dns = live_dns(upstream.addr(), Duration::from_secs(3));
        let cases = [
            ("gone.example.com", RecordType::TXT, DnsOutcome::NxDomain),
            ("nowhere.example.net", RecordType::A, DnsOutcome::NxDomain),
            ("nodata.example.com", RecordType::A, DnsOutcome::NoData),
            ("example.com", RecordType::PTR, DnsOutcome::NoData),
            ("broken.example.com", RecordType::TXT, DnsOutcome::ServFail),
            // The upstream's own timeout reaches us as SERVFAIL (its log keeps "timeout").
            ("slow.example.com", RecordType::TXT, DnsOutcome::ServFail),
        ];
        for (name, rtype, expected) in cases {
            let answer = dns.query(name, rtype).await;
            assert_eq!(answer.outcome, expected, "{name} {rtype}: {answer:?}");
            assert!(answer.records.is_empty());
        }
    }

    #[tokio::test]
    async fn a_server_that_never_answers_is_a_timeout_within_the_timeout() {
        let (addr, task) = silent_server().await;
        let dns = live_dns(addr, Duration::from_millis(400));
        let started = Instant::now();
        let (txt, a) = tokio::join!(
            dns.query("example.com", RecordType::TXT),
            dns.query("example.com", RecordType::A)
        );
        let elapsed = started.elapsed();
        assert_eq!(txt.outcome, DnsOutcome::Timeout, "{txt:?}");
        assert_eq!(a.outcome, DnsOutcome::Timeout, "{a:?}");
        assert!(
            txt.error
                .as_deref()
                .unwrap_or("")
                .contains("no answer within")
        );
        assert!(elapsed < Duration::from_millis(1500), "took {elapsed:?}");
        task.abort();
    }

    #[tokio::test]
    async fn a_closed_port_is_an_error_or_timeout_never_a_hang() {
        // Bind and drop, so nothing listens there: ICMP port unreachable on the loopback.
        let addr = UdpSocket::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let dns = live_dns(addr, Duration::from_millis(400));
        let started = Instant::now();
        let answer = dns.query("example.com", RecordType::TXT).await;
        assert!(answer.outcome.is_temporary_error(), "{answer:?}");
        assert!(answer.error.is_some());
        assert!(started.elapsed() < Duration::from_millis(1500));
    }

    #[tokio::test]
    async fn responder_forwarding_to_live_waits_longer_than_the_live_timeout() {
        // mail-auth → responder → live backend → a server that never answers. The resolver's
        // own timeout is longer than the live one, so mail-auth gets our SERVFAIL, and the
        // evidence says timeout.
        let (addr, task) = silent_server().await;
        let dns = live_dns(addr, Duration::from_millis(300));
        let front = Responder::start(dns.clone()).await.unwrap();
        let started = Instant::now();
        let err = front
            .authenticator()
            .txt_raw_lookup("example.com")
            .await
            .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(
            !matches!(
                err,
                mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(_))
            ),
            "{err:?}"
        );
        let log = dns.evidence();
        assert_eq!(log.len(), 1, "{log:#?}");
        assert_eq!(log[0].outcome, DnsOutcome::Timeout);
        assert_eq!(
            log[0].count, 1,
            "resends of the question must not count again"
        );
        task.abort();
    }

    #[tokio::test]
    async fn responder_forwarding_to_live_answers_with_live_evidence() {
        let upstream = Responder::start(Dns::from_snapshot(snapshot()))
            .await
            .unwrap();
        let dns = live_dns(upstream.addr(), Duration::from_secs(3));
        let front = Responder::start(dns.clone()).await.unwrap();
        let raw = front
            .authenticator()
            .txt_raw_lookup("big._domainkey.example.com")
            .await
            .unwrap();
        assert_eq!(raw, long_key().into_bytes());
        let e = entry(
            &dns.evidence(),
            "big._domainkey.example.com",
            RecordType::TXT,
        )
        .clone();
        assert_eq!(e.source, DnsSource::Live);
        assert_eq!(e.count, 1);
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mailsleuth-dnscfg-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn config_errors_name_the_file() {
        let dir = temp_dir("errors");
        let missing = dir.join("nope.json");
        let cfg = DnsConfig {
            mode: DnsMode::Snapshot,
            snapshot: Some(missing.clone()),
            ..DnsConfig::default()
        };
        let err = cfg.build().err().expect("missing snapshot fails");
        assert!(err.contains("nope.json"), "{err}");

        let bad = dir.join("bad.json");
        std::fs::write(&bad, r#"{"x.example": {"MX": [{"priority": "high"}]}}"#).unwrap();
        let cfg = DnsConfig {
            mode: DnsMode::Snapshot,
            snapshot: Some(bad),
            ..DnsConfig::default()
        };
        let err = cfg.build().err().expect("bad snapshot fails");
        assert!(err.contains("bad.json") && err.contains("MX"), "{err}");

        let cfg = DnsConfig {
            mode: DnsMode::Recording,
            save: Some(dir.join("no-such-dir").join("out.json")),
            ..DnsConfig::default()
        };
        let err = cfg.build().err().expect("unwritable save path fails early");
        assert!(err.contains("out.json"), "{err}");

        let cfg = DnsConfig {
            mode: DnsMode::Snapshot,
            ..DnsConfig::default()
        };
        assert!(cfg.build().is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn config_builds_outside_a_runtime() {
        // main may build the handle before starting tokio: no panic, no packet.
        let cfg = DnsConfig {
            mode: DnsMode::Live,
            server: Some("127.0.0.1:9".parse().unwrap()),
            ..DnsConfig::default()
        };
        let dns = cfg.build().expect("live handle builds");
        assert_eq!(dns.source(), DnsSource::Live);
        assert_eq!(dns.timeout(), Some(cfg.timeout));
    }

    #[tokio::test]
    async fn recording_saves_a_snapshot_that_replays_the_same_answers() {
        let upstream = Responder::start(Dns::from_snapshot(snapshot()))
            .await
            .unwrap();
        let dir = temp_dir("record");
        let out = dir.join("recorded.json");
        let cfg = DnsConfig {
            mode: DnsMode::Recording,
            save: Some(out.clone()),
            server: Some(upstream.addr()),
            timeout: Duration::from_secs(3),
            ..DnsConfig::default()
        };
        let dns = cfg.build().unwrap();
        let asked = [
            ("example.com", RecordType::TXT),
            ("example.com", RecordType::MX),
            ("www.example.com", RecordType::A),
            ("gone.example.com", RecordType::TXT),
            ("nodata.example.com", RecordType::A),
            ("big._domainkey.example.com", RecordType::TXT),
        ];
        for (name, rtype) in asked {
            dns.query(name, rtype).await;
        }
        assert_eq!(
            cfg.save(&dns, &[]).unwrap(),
            None,
            "real answers: no warning"
        );
        let saved = Snapshot::load(&out).expect("saved snapshot loads");
        assert_eq!(saved.meta.resolver, Some(upstream.addr().to_string()));
        assert!(
            saved
                .meta
                .captured_at
                .as_deref()
                .is_some_and(|t| t.ends_with('Z'))
        );
        for (name, rtype) in asked {
            let live = dns.evidence();
            let seen = entry(&live, &mailsleuth::dns::normalize_name(name), rtype);
            let replayed = saved.lookup(&QueryKey::new(name, rtype));
            assert_eq!(replayed.outcome, seen.outcome, "{name} {rtype}");
            assert_eq!(replayed.records, seen.records, "{name} {rtype}");
            assert_eq!(replayed.cname_chain, seen.cname_chain, "{name} {rtype}");
            assert_eq!(replayed.ttl, seen.ttl, "{name} {rtype}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
