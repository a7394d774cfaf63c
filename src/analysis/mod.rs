//! The analysis core: raw message bytes in, one [`Analysis`] value out.
//! No terminal code, no printing, no ambient clock: `now` and the DNS handle are parameters.

pub mod align;
pub mod arc;
pub mod compare;
pub mod dkim;
pub mod dmarc;
pub mod headers;
pub mod hops;
pub mod model;
pub mod spf;
pub mod step;
pub mod summary;

use std::net::IpAddr;

pub use model::*;
pub use step::{Fact, Outcome, Step};

/// What the user told us (or the defaults) for one run.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Where the message came from (`path`, `-` for stdin, `paste`).
    pub source: String,
    /// The moment to evaluate as of, unix seconds (DKIM `x=`/`t=`, hop dates).
    pub now: i64,
    /// Overrides of the reconstructed envelope.
    pub client_ip: Option<IpAddr>,
    pub helo: Option<String>,
    /// `Some("")` is the null reverse-path.
    pub mail_from: Option<String>,
    /// The receiving server: an authserv-id or a `by` host name.
    pub receiver: Option<String>,
    pub dns_mode: DnsMode,
}

/// Analyses one message. Never panics on bad input: problems become warnings, header errors and
/// degraded steps, and the rest of the analysis is still filled in.
///
/// (Orchestration being written: splits headers, reconstructs the envelope, runs SPF, DKIM, ARC
/// and the DMARC record lookup concurrently, then alignment and DMARC, then compares with the
/// recorded results.)
pub async fn analyze(raw: &[u8], opts: &Options, dns: &crate::dns::Dns) -> Analysis {
    let _ = (raw, dns);
    Analysis {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        input: InputInfo {
            source: opts.source.clone(),
            size_bytes: raw.len(),
            ..Default::default()
        },
        dns_mode: opts.dns_mode,
        ..Default::default()
    }
}
