//! The analysis core: raw message bytes in, one [`Analysis`] value out.
//! No terminal code, no printing, no ambient clock: `now` and the DNS handle are parameters.

pub mod arc;
mod authenticator;
pub mod compare;
pub mod dkim;
pub mod dmarc;
mod evidence;
pub mod identity;
mod lex;
pub mod model;
mod moved;
mod prep;
mod progress;
pub mod receiver;
pub mod reverify;
mod risks;
pub mod spf;
pub mod step;
pub mod summary;
pub mod trail;

use std::net::IpAddr;

use crate::dns::Dns;

use evidence::attach_evidence;
use prep::input_warnings;
use progress::Partial;

pub use authenticator::MailAuth;
pub use evidence::for_each_step;
pub use model::*;
pub use progress::{Part, Progress};
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
    /// A trust boundary set by hand at this hop (index into `Analysis::hops`, newest first):
    /// the TUI's `b`. Overrides the boundary walk; client IP, HELO and receiver come from that
    /// hop, MAIL FROM from what that hop's server recorded (see `moved.rs`).
    pub boundary_at: Option<usize>,
    pub dns_mode: DnsMode,
    /// Mail operators' domains and internal networks (`assets/operators.toml` and the user's).
    pub operators: std::sync::Arc<trail::operators::Operators>,
    /// What the input layer changed before analysis (`input::prepare`), reported in
    /// `Analysis::input` and the warnings.
    pub prep: InputPrep,
    /// What receivers' verdict headers mean (the compiled-in table unless the edge loaded the
    /// user's `receivers.toml`).
    pub receivers: receiver::Receivers,
}

/// Analyses one message. Never panics on bad input: problems become warnings, header errors and
/// degraded steps, and the rest of the analysis is still filled in.
///
/// Flow: split headers → hops and envelope → (SPF, DKIM, ARC and the DMARC record lookup, run
/// concurrently, with every DMARC tree walk the message names prefetched from the start: the
/// time to a verdict is the depth of the dependent lookups, not their sum) → alignment and
/// DMARC → recorded results compared → summary → evidence ids resolved.
pub async fn analyze(raw: &[u8], opts: &Options, dns: &Dns) -> Analysis {
    analyze_with_progress(raw, opts, dns, progress::NO_PROGRESS).await
}

/// [`analyze`], reporting partial results as they land, so a view can show the headers and the
/// hop timeline at once and each check as soon as its lookups are answered.
pub async fn analyze_with_progress(
    raw: &[u8],
    opts: &Options,
    dns: &Dns,
    progress: Progress<'_>,
) -> Analysis {
    let (mut analysis, from) = read_message(raw, opts);
    // Every lookup as soon as its name is known: the DMARC walks and the np existence check are
    // asked now, beside SPF, DKIM and ARC, and waited for only where they are read.
    dmarc::prefetch(dns, &analysis.headers, &analysis.envelope);
    // mail-auth beside our checks, answered from the same logged `dns`.
    let auth = MailAuth::new(dns);
    let partial = Partial::start(&analysis, dns, progress);
    let publish = |part: Part, apply: &dyn Fn(&mut Analysis)| partial.publish(part, apply);

    let headers_ref = &analysis.headers;
    let envelope_ref = &analysis.envelope;
    // When the receiver got the message: the boundary hop's date (DKIM says whether an expired
    // signature was still valid then).
    let received_at = analysis
        .envelope
        .boundary_hop
        .and_then(|i| analysis.hops.get(i))
        .and_then(|h| h.timestamp);
    let (spf_checks, dkim_checks, arc_check, dmarc_lookup) = tokio::join!(
        async {
            let r = spf::check_spf_at(dns, &auth, envelope_ref, Some(opts.now)).await;
            publish(Part::Spf, &|a| a.spf = r.clone());
            r
        },
        async {
            let r = dkim::check_dkim_received(raw, headers_ref, dns, &auth, opts.now, received_at)
                .await;
            publish(Part::Dkim, &|a| a.dkim = r.clone());
            r
        },
        async {
            let r = arc::check_arc(raw, headers_ref, dns, &auth, opts.now).await;
            publish(Part::Arc, &|a| a.arc = r.clone());
            r
        },
        async {
            match from.domain.as_deref() {
                Some(d) => Some(dmarc::fetch_dmarc_policy(dns, d).await),
                None => None,
            }
        }
    );
    // Every author domain is evaluated (RFC 7489 §6.6.1); the strictest outcome applies.
    let (alignment, dmarc_check) = dmarc::evaluate_with_headers(
        dns,
        &auth,
        raw,
        &analysis.headers,
        dmarc_lookup,
        &spf_checks,
        &dkim_checks,
    )
    .await;
    analysis.warnings.extend(auth.finish());
    dns.settle_prefetches().await;

    analysis.recorded = trail::recorded::recorded_results(&trail::recorded::Receiving {
        headers: &analysis.headers,
        hops: &analysis.hops,
        envelope: &analysis.envelope,
        ops: &opts.operators,
    });
    analysis.spf = spf_checks;
    // A pass with a risk (l=, sha1, a short key, about to expire …) is never plain green.
    analysis
        .warnings
        .extend(risks::dkim_risk_warnings(&dkim_checks, opts.now));
    analysis.dkim = dkim_checks;
    analysis.arc = arc_check;
    analysis.alignment = alignment;
    analysis.dmarc = dmarc_check;
    analysis.warnings.extend(evidence::budget_warnings(dns));
    // The evidence first: whether re-verification could run at all is read from it, and a
    // recorded result is compared with ours only when it could.
    attach_evidence(&mut analysis, dns.evidence());
    compare::compare_recorded(&mut analysis);
    analysis.summary = summary::summarize(&analysis);
    analysis
}

/// Everything read from the headers alone, no DNS: the header split, the hops and the envelope,
/// the receiver's own verdict, the sender signals and the From domain DMARC evaluates.
fn read_message(raw: &[u8], opts: &Options) -> (Analysis, trail::headers::FromDomain) {
    let mut warnings = Vec::new();
    let parsed = trail::headers::split_headers(raw);
    warnings.extend(parsed.warnings);
    let header_list = parsed.headers;
    let headers_only = parsed.body_offset.is_none() && !header_list.is_empty();
    warnings.splice(0..0, input_warnings(&opts.prep));

    let (mut hop_list, w) = trail::received::parse_hops(&header_list);
    warnings.extend(w);
    let (mut envelope, mut w) =
        trail::boundary::reconstruct_envelope(&header_list, &mut hop_list, opts);
    if let Some(at) = opts.boundary_at {
        moved::apply(at, &header_list, &mut hop_list, &mut envelope, &mut w);
    }
    warnings.extend(w);
    warnings.extend(trail::recorded::budget_warnings(&header_list));
    warnings.extend(dmarc::authors::budget_warnings(&header_list));
    warnings.extend(dkim::budget_warnings(&header_list));
    trail::received::soften_receiver_clock_skew(
        &mut hop_list,
        envelope.boundary_hop,
        &mut warnings,
    );

    // What the receiving server decided needs only the headers and the envelope: no DNS.
    let receiver_verdict =
        receiver::receiver_verdict(&header_list, &envelope, &hop_list, opts.receivers.table());

    let from = trail::headers::from_domain(&header_list);
    warnings.extend(identity::sender_signals(&header_list));
    if let Some(err) = &from.error {
        warnings.push(Warning::new(
            Severity::Warning,
            "from-domain",
            err.clone(),
            from.header_index,
        ));
    }

    let analysis = Analysis {
        schema_version: SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        input: InputInfo {
            source: opts.source.clone(),
            size_bytes: raw.len(),
            line_endings: parsed.line_endings,
            body_offset: parsed.body_offset,
            headers_only,
            prep: opts.prep.clone(),
        },
        now: crate::input::rfc3339(opts.now),
        dns_mode: opts.dns_mode,
        headers: header_list,
        envelope,
        hops: hop_list,
        receiver_verdict,
        warnings,
        ..Default::default()
    };
    (analysis, from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::snapshot::Snapshot;

    const MESSAGE: &[u8] = b"Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n\
\tby mx.example.net; Mon, 2 Nov 2026 10:00:05 +0000\r\n\
From: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n";

    fn options() -> Options {
        Options {
            source: "test".into(),
            now: 1_793_000_000,
            dns_mode: DnsMode::Snapshot,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn progress_reports_headers_first_then_each_part_and_ends_like_analyze() {
        let seen = std::sync::Mutex::new(Vec::new());
        let record = |a: &Analysis, pending: &[Part]| {
            seen.lock().unwrap().push((
                a.headers.len(),
                a.envelope.client_ip.clone(),
                pending.to_vec(),
            ));
        };
        let dns = Dns::from_snapshot(Snapshot::new());
        let progressive = analyze_with_progress(MESSAGE, &options(), &dns, &record).await;
        let seen = seen.into_inner().unwrap();
        // First: headers and envelope, every DNS part pending.
        let (headers, ip, pending) = &seen[0];
        assert_eq!(*headers, 3);
        assert_eq!(ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(pending.len(), 4);
        // Then SPF, DKIM and ARC land (in any order); DMARC comes with the final value.
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[3].2, vec![Part::Dmarc]);
        let plain = analyze(MESSAGE, &options(), &Dns::from_snapshot(Snapshot::new())).await;
        let strip = |a: &Analysis| {
            let mut v = serde_json::to_value(a).unwrap();
            for e in v["dns"].as_array_mut().unwrap() {
                e["elapsed_ms"] = 0.into();
                e["started_ms"] = 0.into();
            }
            v
        };
        assert_eq!(strip(&progressive), strip(&plain));
    }

    #[tokio::test]
    async fn every_dmarc_name_the_message_gives_is_asked_before_the_first_answer() {
        let raw = b"Return-Path: <bounce@lists.example.net>\r\n\
Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n\
\tby mx.example.net; Mon, 2 Nov 2026 10:00:05 +0000\r\n\
DKIM-Signature: v=1; a=rsa-sha256; d=esp.example.com; s=s1; h=from; bh=; b=\r\n\
From: alice@news.example.org\r\nSubject: hi\r\n\r\nbody\r\n";
        let gate = crate::test_support::Gate::new(
            crate::dns::snapshot::SnapshotBackend::new(Snapshot::new()),
            &[],
        );
        let dns = Dns::new(gate.clone());
        let analysis = tokio::spawn({
            let dns = dns.clone();
            async move { analyze(raw, &options(), &dns).await }
        });
        let asked: Vec<String> = gate
            .asked_while_closed()
            .await
            .into_iter()
            .map(|k| format!("{} {}", k.name, k.rtype))
            .collect();
        for name in [
            // The From domain's walk, and its existence for np (a subdomain).
            "_dmarc.news.example.org TXT",
            "_dmarc.example.org TXT",
            "_dmarc.org TXT",
            "news.example.org A",
            "news.example.org AAAA",
            "news.example.org MX",
            // MAIL FROM's and DKIM d='s walks; SPF's record.
            "_dmarc.lists.example.net TXT",
            "_dmarc.example.net TXT",
            "_dmarc.esp.example.com TXT",
            "_dmarc.example.com TXT",
            "lists.example.net TXT",
        ] {
            assert!(asked.iter().any(|a| a == name), "{name} not in {asked:?}");
        }
        gate.open();
        let a = analysis.await.unwrap();
        assert!(
            a.dns
                .iter()
                .all(|e| e.outcome != crate::dns::DnsOutcome::Pending)
        );
    }

    #[tokio::test]
    async fn an_empty_snapshot_leads_with_the_receivers_record() {
        let raw = b"Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=alice@example.org;\r\n\
\tdmarc=pass (p=reject dis=none) header.from=example.org\r\n\
Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n\
\tby mx.example.net; Mon, 2 Nov 2026 10:00:05 +0000\r\n\
From: alice@example.org\r\nSubject: hi\r\n\r\nbody\r\n";
        let a = analyze(raw, &options(), &Dns::from_snapshot(Snapshot::new())).await;
        assert!(!a.dns.is_empty(), "the evidence is attached");
        assert_eq!(
            a.summary.verdict,
            "The receiver (mx.example.net) recorded dmarc=pass (p=reject) at receipt; \
             re-verification was not possible: the DNS snapshot holds none of the names asked \
             (it is empty, or was recorded for another message)"
        );
    }
}
