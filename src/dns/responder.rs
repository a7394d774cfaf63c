//! In-process DNS responder on 127.0.0.1 for mail-auth's resolver.
//!
//! Why a responder: mail-auth exposes no DNS trace, and its caches hold parsed records without
//! TTL or rcode, so pre-filling them could neither show nor replay what a verdict rested on.
//! Instead mail-auth's hickory resolver is pointed at this server (cache off), and every
//! question it asks is answered through the shared [`Dns`] handle: the query is logged as
//! evidence exactly like our own traced lookups, and the wire answer mail-auth parses is built
//! from that same logged answer. In snapshot mode the only packets are on the loopback.
//!
//! Rcodes: answers and NODATA are NOERROR (NODATA with an empty answer section); NXDOMAIN is
//! NXDOMAIN; SERVFAIL, timeouts and other errors are all SERVFAIL. The evidence log keeps the
//! precise outcome (a timeout stays a timeout there); on the wire the resolver only needs to
//! fail at once — letting it time out itself would just make it wait, and it might retry.
//!
//! Query types the verifiers never ask (mail-auth 0.13.3 asks TXT, MX, A, AAAA and PTR) get
//! NOTIMP and are not logged: they are not evidence for any verdict, and an empty NOERROR would
//! falsely claim the name has no such records.
//!
//! Exact counts: hickory resends an unanswered UDP question (same message id) while it waits,
//! and retries a truncated answer over TCP; both are served from the first ask instead of
//! asking the [`Dns`] handle again, so each verifier question counts once.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, MX, PTR, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record as WireRecord, RecordType as WireType};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::NetError;
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use mail_auth::MessageAuthenticator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{OnceCell, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use super::{Dns, DnsAnswer, DnsOutcome, Record, RecordType};

/// How long the resolver waits beyond the backend's own timeout, so our answer always lands
/// before it gives up.
const RESOLVER_MARGIN: Duration = Duration::from_secs(2);
/// Resolver timeout when the backend answers at once (snapshot): generous for a loaded CI box.
const INSTANT_BACKEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The UDP payload size we advertise in our EDNS OPT (RFC 9715's safe default).
const OUR_UDP_PAYLOAD: u16 = 1232;
/// Answers above this are not sent even over TCP (the DNS message limit).
const MAX_TCP_MESSAGE: usize = 65535;

/// A DNS server on 127.0.0.1 (UDP and TCP, same ephemeral port) answering through a [`Dns`]
/// handle. Its tasks stop when it is dropped.
pub struct Responder {
    addr: SocketAddr,
    authenticator: MessageAuthenticator,
    tasks: Vec<JoinHandle<()>>,
}

impl Responder {
    /// Binds UDP and TCP on 127.0.0.1 (an ephemeral port) and starts answering.
    pub async fn start(dns: Dns) -> std::io::Result<Responder> {
        let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        // One port for both transports, as the resolver expects; retry if TCP's is taken.
        let mut bound = None;
        for _ in 0..16 {
            let udp = UdpSocket::bind(loopback).await?;
            let addr = udp.local_addr()?;
            match TcpListener::bind(addr).await {
                Ok(tcp) => {
                    bound = Some((udp, tcp, addr));
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => continue,
                Err(e) => return Err(e),
            }
        }
        let (udp, tcp, addr) = bound.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::AddrInUse,
                "no loopback port free for both UDP and TCP",
            )
        })?;
        let timeout = dns
            .timeout()
            .map(|t| t + RESOLVER_MARGIN)
            .unwrap_or(INSTANT_BACKEND_TIMEOUT);
        let authenticator = build_authenticator(addr, timeout).map_err(std::io::Error::other)?;
        let shared = Arc::new(Shared {
            dns,
            // Resends and the TCP retry come while the resolver still waits, so never later
            // than its timeout; twice that is ample.
            replay_window: timeout * 2,
            resends: Mutex::new(HashMap::new()),
            truncated: Mutex::new(HashMap::new()),
        });
        let tasks = vec![
            tokio::spawn(serve_udp(Arc::new(udp), shared.clone())),
            tokio::spawn(serve_tcp(tcp, shared)),
        ];
        Ok(Responder {
            addr,
            authenticator,
            tasks,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// mail-auth's authenticator with its resolver pointed at this responder only (UDP and
    /// TCP), cache off, one attempt, no search list, no hosts file, EDNS on.
    pub fn authenticator(&self) -> MessageAuthenticator {
        self.authenticator.clone()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        // Aborting the accept/receive loops drops their JoinSets, which abort every
        // connection and in-flight question too.
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Resolver settings pointing only at `addr`; `timeout` per question.
pub fn resolver_config(addr: SocketAddr, timeout: Duration) -> (ResolverConfig, ResolverOpts) {
    let mut server = NameServerConfig::udp_and_tcp(addr.ip());
    for connection in &mut server.connections {
        connection.port = addr.port();
    }
    let config = ResolverConfig::from_parts(None, Vec::new(), vec![server]);
    let mut opts = ResolverOpts::default();
    opts.cache_size = 0;
    // TTL 0 in any cache that still keeps an entry: every question reaches the responder.
    opts.positive_max_ttl = Some(Duration::ZERO);
    opts.negative_max_ttl = Some(Duration::ZERO);
    opts.attempts = 1;
    opts.timeout = timeout;
    opts.ndots = 0;
    opts.use_hosts_file = ResolveHosts::Never;
    opts.edns0 = true;
    opts.try_tcp_on_error = false;
    opts.preserve_intermediates = true;
    (config, opts)
}

fn build_authenticator(
    addr: SocketAddr,
    timeout: Duration,
) -> Result<MessageAuthenticator, String> {
    let (config, opts) = resolver_config(addr, timeout);
    authenticator_with(config, opts)
        .map_err(|e| format!("cannot build the resolver for the responder at {addr}: {e}"))
}

/// mail-auth's authenticator over a resolver with `config` and `opts` ([`plain_resolver`]).
pub fn authenticator_with(
    config: ResolverConfig,
    opts: ResolverOpts,
) -> Result<MessageAuthenticator, NetError> {
    Ok(MessageAuthenticator(plain_resolver(config, opts)?))
}

/// A resolver with `config` and `opts` that speaks plain DNS only.
///
/// A resolver must carry a TLS client configuration (mail-auth's `ring` feature turns hickory's
/// TLS on), and by default builds one from the system's root certificates, read from disk: that
/// costs more than a whole analysis, and fails where there is no certificate store. Ours only
/// ever speak plain DNS (to the loopback responder, to `--dns-server`, to the system's
/// servers, or to nobody), so they share one configuration without root certificates, built
/// once per process.
pub fn plain_resolver(
    config: ResolverConfig,
    opts: ResolverOpts,
) -> Result<TokioResolver, NetError> {
    static TLS: OnceLock<Option<rustls::ClientConfig>> = OnceLock::new();
    let mut builder = TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(opts);
    let tls = TLS.get_or_init(|| {
        let provider = Arc::new(hickory_resolver::net::tls::default_provider());
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()
            .map(|b| {
                b.with_root_certificates(rustls::RootCertStore::empty())
                    .with_no_client_auth()
            })
    });
    if let Some(tls) = tls {
        builder = builder.with_tls_config(tls.clone());
    }
    builder.build()
}

type AnswerCell = Arc<OnceCell<DnsAnswer>>;
/// A question as asked on the wire: lowercased name and type.
type WireQuestion = (Name, WireType);

struct Shared {
    dns: Dns,
    /// How long a first answer is kept for resends and the TCP retry of the same question.
    replay_window: Duration,
    /// (message id, question) → the answer of its first arrival: hickory resends the same
    /// message while it waits, which must not count as a new question.
    resends: Mutex<HashMap<(u16, WireQuestion), (AnswerCell, Instant)>>,
    /// Answers sent truncated over UDP, waiting for the resolver's TCP retry (which gets a new
    /// message id on its connection).
    truncated: Mutex<HashMap<WireQuestion, Vec<(DnsAnswer, Instant)>>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Transport {
    Udp,
    Tcp,
}

impl Shared {
    /// Answers one question through the Dns handle, once per first arrival.
    async fn answer(
        &self,
        id: u16,
        name: &Name,
        wire_type: WireType,
        rtype: RecordType,
        transport: Transport,
    ) -> DnsAnswer {
        let lowered = name.to_lowercase();
        if transport == Transport::Tcp {
            let mut truncated = self.truncated.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(waiting) = truncated.get_mut(&(lowered.clone(), wire_type))
                && let Some((answer, _)) = waiting.pop()
            {
                return answer;
            }
        }
        let cell = {
            let mut resends = self.resends.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            resends.retain(|_, (_, at)| now.duration_since(*at) < self.replay_window);
            resends
                .entry((id, (lowered, wire_type)))
                .or_insert_with(|| (Arc::new(OnceCell::new()), now))
                .0
                .clone()
        };
        let qname = name.to_ascii();
        cell.get_or_init(|| self.dns.query(&qname, rtype))
            .await
            .clone()
    }

    fn remember_truncated(&self, name: &Name, wire_type: WireType, answer: DnsAnswer) {
        let mut truncated = self.truncated.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        for waiting in truncated.values_mut() {
            waiting.retain(|(_, at)| now.duration_since(*at) < self.replay_window);
        }
        truncated.retain(|_, waiting| !waiting.is_empty());
        truncated
            .entry((name.to_lowercase(), wire_type))
            .or_default()
            .push((answer, now));
    }
}

async fn serve_udp(socket: Arc<UdpSocket>, shared: Arc<Shared>) {
    let mut in_flight = JoinSet::new();
    let mut buf = vec![0u8; 65535];
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((len, peer)) = received else { continue };
                let packet = buf[..len].to_vec();
                let socket = socket.clone();
                let shared = shared.clone();
                in_flight.spawn(async move {
                    if let Some(reply) = respond(&shared, &packet, Transport::Udp).await {
                        let _ = socket.send_to(&reply, peer).await;
                    }
                });
            }
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
}

async fn serve_tcp(listener: TcpListener, shared: Arc<Shared>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    connections.spawn(serve_tcp_connection(stream, shared.clone()));
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One TCP connection: length-prefixed messages (RFC 1035 §4.2.2). The resolver may pipeline
/// several questions on one connection, so each is answered as soon as it is ready.
async fn serve_tcp_connection(stream: TcpStream, shared: Arc<Shared>) {
    let (mut reader, mut writer) = stream.into_split();
    let (replies, mut outbox) = mpsc::channel::<Vec<u8>>(16);
    let write = async move {
        while let Some(reply) = outbox.recv().await {
            let Ok(len) = u16::try_from(reply.len()) else {
                continue;
            };
            if writer.write_all(&len.to_be_bytes()).await.is_err()
                || writer.write_all(&reply).await.is_err()
            {
                break;
            }
        }
    };
    let read = async move {
        let mut questions = JoinSet::new();
        loop {
            let mut len = [0u8; 2];
            if reader.read_exact(&mut len).await.is_err() {
                break;
            }
            let mut packet = vec![0u8; usize::from(u16::from_be_bytes(len))];
            if reader.read_exact(&mut packet).await.is_err() {
                break;
            }
            let shared = shared.clone();
            let replies = replies.clone();
            questions.spawn(async move {
                if let Some(reply) = respond(&shared, &packet, Transport::Tcp).await {
                    let _ = replies.send(reply).await;
                }
            });
            while questions.try_join_next().is_some() {}
        }
        // The client closed its side: finish what was asked, then let the writer end.
        while questions.join_next().await.is_some() {}
    };
    tokio::join!(read, write);
}

/// The wire reply to one request packet, or None when it is not a DNS request at all.
async fn respond(shared: &Shared, packet: &[u8], transport: Transport) -> Option<Vec<u8>> {
    let request = match Message::from_vec(packet) {
        Ok(request) => request,
        Err(_) => {
            // Too broken to parse: FORMERR if there is at least an id to answer to.
            let id = u16::from_be_bytes([*packet.first()?, *packet.get(1)?]);
            return Message::error_msg(id, OpCode::Query, ResponseCode::FormErr)
                .to_vec()
                .ok();
        }
    };
    if request.metadata.message_type != MessageType::Query {
        return None;
    }
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    response.metadata.recursion_available = true;
    response.metadata.checking_disabled = request.metadata.checking_disabled;
    response.queries = request.queries.clone();
    if request.edns.is_some() {
        let mut edns = Edns::new();
        edns.set_max_payload(OUR_UDP_PAYLOAD);
        response.set_edns(edns);
    }
    let question = match (request.metadata.op_code, request.queries.as_slice()) {
        (OpCode::Query, [question]) => question.clone(),
        (OpCode::Query, _) => {
            response.metadata.response_code = ResponseCode::FormErr;
            return response.to_vec().ok();
        }
        _ => {
            response.metadata.response_code = ResponseCode::NotImp;
            return response.to_vec().ok();
        }
    };
    let Some(rtype) = modelled_type(&question) else {
        response.metadata.response_code = ResponseCode::NotImp;
        return response.to_vec().ok();
    };
    let answer = shared
        .answer(
            request.metadata.id,
            &question.name,
            question.query_type,
            rtype,
            transport,
        )
        .await;
    fill_answer(&mut response, &question.name, &answer);
    let reply = match response.to_vec() {
        Ok(reply) => reply,
        Err(_) => {
            // Records that cannot be encoded (e.g. over 64 KiB of TXT): the resolver must not
            // see a half answer.
            response.answers.clear();
            response.metadata.response_code = ResponseCode::ServFail;
            response.to_vec().ok()?
        }
    };
    let limit = match transport {
        Transport::Udp => usize::from(request.max_payload()),
        Transport::Tcp => MAX_TCP_MESSAGE,
    };
    if reply.len() <= limit {
        return Some(reply);
    }
    if transport == Transport::Udp {
        // Too big for the client's UDP buffer: TC tells hickory to ask again over TCP, where
        // the same answer is served without a second lookup.
        shared.remember_truncated(&question.name, question.query_type, answer);
    }
    let mut truncated = response.truncate();
    truncated.metadata.response_code = ResponseCode::NoError;
    truncated.to_vec().ok()
}

fn modelled_type(question: &Query) -> Option<RecordType> {
    if question.query_class != DNSClass::IN {
        return None;
    }
    Some(match question.query_type {
        WireType::A => RecordType::A,
        WireType::AAAA => RecordType::AAAA,
        WireType::TXT => RecordType::TXT,
        WireType::MX => RecordType::MX,
        WireType::PTR => RecordType::PTR,
        WireType::CNAME => RecordType::CNAME,
        _ => return None,
    })
}

/// Sets the rcode and the answer section: the CNAME chain first, then the records at its end.
fn fill_answer(response: &mut Message, qname: &Name, answer: &DnsAnswer) {
    response.metadata.response_code = match answer.outcome {
        DnsOutcome::Answers | DnsOutcome::NoData => ResponseCode::NoError,
        DnsOutcome::NxDomain => ResponseCode::NXDomain,
        DnsOutcome::ServFail | DnsOutcome::Timeout | DnsOutcome::Error | DnsOutcome::Pending => {
            ResponseCode::ServFail
        }
    };
    if response.metadata.response_code == ResponseCode::ServFail {
        return;
    }
    let ttl = answer.ttl.unwrap_or(0);
    let mut owner = qname.clone();
    for target in &answer.cname_chain {
        let Some(target_name) = wire_name(target) else {
            return;
        };
        response.add_answer(WireRecord::from_rdata(
            owner.clone(),
            ttl,
            RData::CNAME(CNAME(target_name.clone())),
        ));
        owner = target_name;
    }
    for record in &answer.records {
        if let Some(rdata) = wire_rdata(record) {
            response.add_answer(WireRecord::from_rdata(owner.clone(), ttl, rdata));
        }
    }
}

/// A name from record data as an absolute wire name (records carry names without the root dot).
pub(crate) fn wire_name(name: &str) -> Option<Name> {
    let name = name.trim();
    if name.is_empty() || name == "." {
        return Some(Name::root());
    }
    let mut wire = Name::from_str_relaxed(name).ok()?;
    wire.set_fqdn(true);
    Some(wire)
}

fn wire_rdata(record: &Record) -> Option<RData> {
    Some(match record {
        Record::A { address } => RData::A(A(*address)),
        Record::Aaaa { address } => RData::AAAA(AAAA(*address)),
        Record::Txt { strings } => RData::TXT(wire_txt(strings)),
        Record::Mx {
            preference,
            exchange,
        } => RData::MX(MX::new(*preference, wire_name(exchange)?)),
        Record::Ptr { name } => RData::PTR(PTR(wire_name(name)?)),
        Record::Cname { target } => RData::CNAME(CNAME(wire_name(target)?)),
    })
}

/// A TXT record's character-strings, each split into pieces of at most 255 bytes (the wire
/// limit); readers join them, so the text is unchanged.
fn wire_txt(strings: &[String]) -> TXT {
    let mut pieces: Vec<&[u8]> = Vec::new();
    for s in strings {
        if s.is_empty() {
            pieces.push(&[]);
        }
        pieces.extend(s.as_bytes().chunks(255));
    }
    if pieces.is_empty() {
        pieces.push(&[]);
    }
    TXT::from_bytes(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_txt_strings_are_split_at_255_bytes() {
        let long = "k".repeat(600);
        let txt = wire_txt(&[long.clone(), String::new()]);
        let lens: Vec<usize> = txt.txt_data.iter().map(|s| s.len()).collect();
        assert_eq!(lens, vec![255, 255, 90, 0]);
        let joined: Vec<u8> = txt
            .txt_data
            .iter()
            .flat_map(|s| s.iter().copied())
            .collect();
        assert_eq!(joined, long.as_bytes());
    }

    #[test]
    fn record_names_become_absolute() {
        assert_eq!(
            wire_name("mx.example.com").unwrap().to_ascii(),
            "mx.example.com."
        );
        assert!(wire_name(".").unwrap().is_root());
    }
}
