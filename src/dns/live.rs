//! Live DNS through hickory-resolver: the system's resolvers (/etc/resolv.conf) or one given
//! server, with hickory's cache off (every question is asked, so the evidence is fresh) and one
//! attempt. Every lookup is bounded by `tokio::time::timeout`, so with no network each query
//! becomes Timeout or Error evidence within the timeout instead of a hang.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_proto::rr::{Name, RData, RecordType as WireType};
use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;

use super::snapshot::{MAX_CNAME_HOPS, cname_failure, record_name};
use super::{
    BoxFuture, DnsAnswer, DnsBackend, DnsOutcome, DnsSource, QueryKey, Record, RecordType,
};

/// Asks real resolvers.
pub struct LiveBackend {
    resolver: Result<TokioResolver, String>,
    timeout: Duration,
    /// Who answers, for the snapshot's `_meta.resolver` (`system` or `IP:PORT`).
    description: String,
}

impl LiveBackend {
    /// A backend asking `server` (UDP, then TCP for truncated answers), or the system's
    /// resolvers when None. If the system configuration cannot be read, the backend still
    /// builds and every query answers Error with that reason: a run without DNS degrades to
    /// temperror verdicts rather than failing.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Result<LiveBackend, String> {
        let (config, mut opts, description) = match server {
            Some(addr) => {
                let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut ns.connections {
                    connection.port = addr.port();
                }
                (
                    ResolverConfig::from_parts(None, Vec::new(), vec![ns]),
                    ResolverOpts::default(),
                    addr.to_string(),
                )
            }
            None => match hickory_resolver::system_conf::read_system_conf() {
                Ok((config, opts)) => (config, opts, "system".to_string()),
                Err(e) => {
                    return Ok(LiveBackend {
                        resolver: Err(format!(
                            "no DNS resolver configured (cannot read the system configuration: {e})"
                        )),
                        timeout,
                        description: "system (unavailable)".to_string(),
                    });
                }
            },
        };
        // No cache: every question is asked. (Not max TTL 0: hickory clamps the TTLs of the
        // answers it returns too, and the TTL is evidence.)
        opts.cache_size = 0;
        opts.attempts = 1;
        opts.timeout = timeout;
        opts.use_hosts_file = ResolveHosts::Never;
        opts.preserve_intermediates = true;
        let resolver = super::responder::plain_resolver(config, opts)
            .map_err(|e| format!("cannot build the DNS resolver ({description}): {e}"))?;
        Ok(LiveBackend {
            resolver: Ok(resolver),
            timeout,
            description,
        })
    }

    /// `system` or the server's `IP:PORT`.
    pub fn description(&self) -> &str {
        &self.description
    }

    async fn ask(&self, key: &QueryKey) -> DnsAnswer {
        let resolver = match &self.resolver {
            Ok(resolver) => resolver,
            Err(e) => return DnsAnswer::outcome(DnsOutcome::Error, Some(e.clone())),
        };
        // Absolute name: no search list, no ndots games.
        let mut name = match Name::from_str_relaxed(&key.name) {
            Ok(name) => name,
            Err(e) => {
                return DnsAnswer::outcome(
                    DnsOutcome::Error,
                    Some(format!("{:?} is not a valid DNS name: {e}", key.name)),
                );
            }
        };
        name.set_fqdn(true);
        let wire_type = wire_type(key.rtype);
        match tokio::time::timeout(self.timeout, resolver.lookup(name.clone(), wire_type)).await {
            Err(_) => DnsAnswer::outcome(
                DnsOutcome::Timeout,
                Some(format!("no answer within {}", seconds(self.timeout))),
            ),
            Ok(Ok(lookup)) => answer_from_records(&name, key.rtype, lookup.answers()),
            Ok(Err(e)) => answer_from_error(e, self.timeout),
        }
    }
}

impl DnsBackend for LiveBackend {
    fn source(&self) -> DnsSource {
        DnsSource::Live
    }

    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
        Box::pin(self.ask(key))
    }

    fn timeout(&self) -> Option<Duration> {
        Some(self.timeout)
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

fn wire_type(rtype: RecordType) -> WireType {
    match rtype {
        RecordType::A => WireType::A,
        RecordType::AAAA => WireType::AAAA,
        RecordType::TXT => WireType::TXT,
        RecordType::MX => WireType::MX,
        RecordType::PTR => WireType::PTR,
        RecordType::CNAME => WireType::CNAME,
    }
}

/// The records of the asked type, the CNAME chain followed from the question to them, and the
/// smallest TTL among all of them.
fn answer_from_records(
    qname: &Name,
    rtype: RecordType,
    answers: &[hickory_proto::rr::Record],
) -> DnsAnswer {
    let mut chain = Vec::new();
    let mut owner = qname.to_lowercase();
    if rtype != RecordType::CNAME {
        // Walk the chain from the question, by the same rules as a snapshot replay (a loop or a
        // chain over MAX_CNAME_HOPS is a failure), so what live accepts replays the same.
        let mut seen = vec![owner.clone()];
        loop {
            let next = answers.iter().find_map(|r| match &r.data {
                RData::CNAME(target) if r.name.to_lowercase() == owner => Some(target.0.clone()),
                _ => None,
            });
            let Some(target) = next else { break };
            let target = target.to_lowercase();
            chain.push(record_name(&target.to_ascii()));
            if seen.contains(&target) {
                return cname_failure(
                    chain,
                    format!(
                        "CNAME loop: {} points back to {}",
                        record_name(&owner.to_ascii()),
                        record_name(&target.to_ascii())
                    ),
                );
            }
            if chain.len() > MAX_CNAME_HOPS {
                return cname_failure(
                    chain,
                    format!("CNAME chain longer than {MAX_CNAME_HOPS} hops"),
                );
            }
            seen.push(target.clone());
            owner = target;
        }
    }
    let records: Vec<Record> = answers
        .iter()
        .filter_map(|r| record_from_rdata(rtype, &r.data))
        .collect();
    let ttl = answers.iter().map(|r| r.ttl).min();
    let mut answer = DnsAnswer::records(records, ttl);
    answer.cname_chain = chain;
    answer
}

fn record_from_rdata(rtype: RecordType, data: &RData) -> Option<Record> {
    Some(match (rtype, data) {
        (RecordType::A, RData::A(a)) => Record::A { address: a.0 },
        (RecordType::AAAA, RData::AAAA(a)) => Record::Aaaa { address: a.0 },
        (RecordType::TXT, RData::TXT(txt)) => Record::Txt {
            // TXT is bytes; evidence is text. Invalid UTF-8 shows as U+FFFD rather than failing.
            strings: txt
                .txt_data
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect(),
        },
        (RecordType::MX, RData::MX(mx)) => Record::Mx {
            preference: mx.preference,
            exchange: record_name(&mx.exchange.to_ascii()),
        },
        (RecordType::PTR, RData::PTR(ptr)) => Record::Ptr {
            name: record_name(&ptr.0.to_ascii()),
        },
        (RecordType::CNAME, RData::CNAME(c)) => Record::Cname {
            target: record_name(&c.0.to_ascii()),
        },
        _ => return None,
    })
}

fn answer_from_error(error: NetError, timeout: Duration) -> DnsAnswer {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(no_records)) => {
            let outcome = if no_records.response_code == ResponseCode::NXDomain {
                DnsOutcome::NxDomain
            } else {
                DnsOutcome::NoData
            };
            let mut answer = DnsAnswer::outcome(outcome, None);
            answer.ttl = no_records.negative_ttl;
            answer
        }
        NetError::Dns(DnsError::ResponseCode(ResponseCode::ServFail)) => {
            DnsAnswer::outcome(DnsOutcome::ServFail, Some("SERVFAIL".to_string()))
        }
        NetError::Dns(DnsError::ResponseCode(code)) => DnsAnswer::outcome(
            DnsOutcome::Error,
            Some(format!("server answered {}", code.to_str())),
        ),
        NetError::Timeout => DnsAnswer::outcome(
            DnsOutcome::Timeout,
            Some(format!("no answer within {}", seconds(timeout))),
        ),
        other => DnsAnswer::outcome(DnsOutcome::Error, Some(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::Record as WireRecord;
    use hickory_proto::rr::rdata::CNAME;

    fn cname(from: &str, to: &str) -> WireRecord {
        WireRecord::from_rdata(
            Name::from_ascii(from).unwrap(),
            300,
            RData::CNAME(CNAME(Name::from_ascii(to).unwrap())),
        )
    }

    fn chain_of(links: usize) -> Vec<WireRecord> {
        (0..links)
            .map(|i| {
                cname(
                    &format!("n{i}.example.com."),
                    &format!("n{}.example.com.", i + 1),
                )
            })
            .collect()
    }

    #[test]
    fn a_cname_loop_is_a_failure_as_in_a_replay() {
        let answers = vec![
            cname("a.example.com.", "b.example.com."),
            cname("b.example.com.", "a.example.com."),
        ];
        let q = Name::from_ascii("a.example.com.").unwrap();
        let a = answer_from_records(&q, RecordType::TXT, &answers);
        assert_eq!(a.outcome, DnsOutcome::ServFail);
        assert!(a.error.as_deref().unwrap().contains("CNAME loop"), "{a:?}");
    }

    #[test]
    fn chains_follow_the_replays_limit() {
        let q = Name::from_ascii("n0.example.com.").unwrap();
        let ok = answer_from_records(&q, RecordType::TXT, &chain_of(MAX_CNAME_HOPS));
        assert_eq!(ok.cname_chain.len(), MAX_CNAME_HOPS);
        assert_ne!(ok.outcome, DnsOutcome::ServFail);
        let long = answer_from_records(&q, RecordType::TXT, &chain_of(200));
        assert_eq!(long.outcome, DnsOutcome::ServFail);
        assert!(long.error.as_deref().unwrap().contains("longer than"));
    }
}
