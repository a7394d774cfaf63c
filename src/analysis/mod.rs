//! The analysis core: raw message bytes in, one [`Analysis`] value out.
//! No terminal code, no printing, no ambient clock: `now` and the DNS handle are parameters.

pub mod arc;
pub mod compare;
pub mod dkim;
pub mod dmarc;
pub mod identity;
mod lex;
pub mod model;
pub mod receiver;
pub mod reverify;
pub mod spf;
pub mod step;
pub mod summary;
pub mod trail;

use std::net::IpAddr;

use crate::dns::responder::Responder;
use crate::dns::{Dns, DnsEvidence, QueryKey};

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
/// concurrently: the time to a verdict is the depth of the dependent lookups, not their sum) →
/// alignment and DMARC → recorded results compared → summary → evidence ids resolved.
pub async fn analyze(raw: &[u8], opts: &Options, dns: &Dns) -> Analysis {
    analyze_with_progress(raw, opts, dns, &|_, _| {}).await
}

/// The parts of an analysis that wait on DNS, in the order a view may show them filling in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Spf,
    Dkim,
    Arc,
    /// Alignment, DMARC, the recorded-vs-now comparison and the summary (they need the rest).
    Dmarc,
}

impl Part {
    /// Every part, as pending before any lookup is answered.
    pub const ALL: [Part; 4] = [Part::Spf, Part::Dkim, Part::Arc, Part::Dmarc];
}

/// Called with the analysis so far and the parts still pending: once before any lookup (headers,
/// hops and envelope are complete), then as each part lands. Not called with the final value.
pub type Progress<'a> = &'a (dyn Fn(&Analysis, &[Part]) + Send + Sync);

/// [`analyze`], reporting partial results as they land, so a view can show the headers and the
/// hop timeline at once and each check as soon as its lookups are answered.
pub async fn analyze_with_progress(
    raw: &[u8],
    opts: &Options,
    dns: &Dns,
    progress: Progress<'_>,
) -> Analysis {
    let mut warnings = Vec::new();
    let parsed = trail::headers::split_headers(raw);
    warnings.extend(parsed.warnings);
    let header_list = parsed.headers;
    let headers_only = parsed.body_offset.is_none() && !header_list.is_empty();
    warnings.splice(0..0, input_warnings(&opts.prep));

    let (mut hop_list, w) = trail::received::parse_hops(&header_list);
    warnings.extend(w);
    let (envelope, w) = trail::boundary::reconstruct_envelope(&header_list, &mut hop_list, opts);
    warnings.extend(w);
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

    // mail-auth's resolver asks our responder, which answers through the same logged `dns`.
    let responder = Responder::start(dns.clone()).await;
    let auth = match &responder {
        Ok(r) => r.authenticator(),
        Err(e) => {
            warnings.push(Warning::new(
                Severity::Error,
                "responder",
                format!(
                    "cannot start the local DNS responder for mail-auth ({e}); its cross-checks will show temperror, and disagree with ours"
                ),
                None,
            ));
            unreachable_authenticator()
        }
    };

    let mut analysis = Analysis {
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

    // The partial view: its own copy, updated as each part lands.
    let partial = std::sync::Mutex::new((analysis.clone(), Part::ALL.to_vec()));
    let emit = |state: &(Analysis, Vec<Part>)| {
        let mut view = state.0.clone();
        attach_evidence(&mut view, dns.evidence());
        progress(&view, &state.1);
    };
    let publish = |part: Part, apply: &dyn Fn(&mut Analysis)| {
        let mut state = partial.lock().unwrap_or_else(|e| e.into_inner());
        apply(&mut state.0);
        state.1.retain(|p| *p != part);
        emit(&state);
    };
    emit(&partial.lock().unwrap_or_else(|e| e.into_inner()));

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
    drop(responder);

    let mut recorded = trail::recorded::recorded_results(&trail::recorded::Receiving {
        headers: &analysis.headers,
        hops: &analysis.hops,
        envelope: &analysis.envelope,
        ops: &opts.operators,
    });
    compare::compare(
        &mut recorded,
        &spf_checks,
        &dkim_checks,
        &arc_check,
        &dmarc_check,
    );

    analysis.spf = spf_checks;
    analysis.dkim = dkim_checks;
    analysis.arc = arc_check;
    analysis.alignment = alignment;
    analysis.dmarc = dmarc_check;
    analysis.recorded = recorded;
    // The evidence first: the summary reads it to tell whether re-verification could run.
    attach_evidence(&mut analysis, dns.evidence());
    analysis.summary = summary::summarize(&analysis);
    analysis
}

/// What the input layer did, as warnings: skipped text and a file of several messages are
/// warnings (the reader must know what was not analysed), the other changes are information.
fn input_warnings(prep: &InputPrep) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(m) = prep.mbox.filter(|m| m.count > 1) {
        out.push(Warning::new(
            Severity::Warning,
            "several-messages",
            format!(
                "The file holds {} messages; this is message {} (pick another with \
                 `--message N`, 1 to {}, or from the list in the TUI).",
                m.count, m.number, m.count
            ),
            None,
        ));
    }
    if let Some(s) = &prep.skipped {
        out.push(Warning::new(
            Severity::Warning,
            "skipped-prefix",
            format!(
                "Skipped {} line(s) ({} bytes) before the message's first header field, \
                 beginning {:?}: text around the message (a webmail page copied whole), not part \
                 of it.",
                s.lines, s.bytes, s.first_line
            ),
            None,
        ));
    }
    for c in &prep.changes {
        out.push(Warning::new(
            Severity::Info,
            &format!("input-{}", c.code),
            c.note.clone(),
            None,
        ));
    }
    out
}

/// A MessageAuthenticator with no name server: every lookup fails at once, without traffic.
fn unreachable_authenticator() -> mail_auth::MessageAuthenticator {
    use mail_auth::hickory_resolver::config::{ResolverConfig, ResolverOpts};
    let config = ResolverConfig::from_parts(None, vec![], vec![]);
    mail_auth::MessageAuthenticator::new(config, ResolverOpts::default())
        .unwrap_or_else(|_| unreachable!("an empty resolver config always builds"))
}

/// Orders the evidence log deterministically — by first use in the checks' steps, in display
/// order, then the rest by name and type — and resolves every step's queries to evidence ids.
/// (Lookups run concurrently, so the raw log order varies from run to run.)
fn attach_evidence(a: &mut Analysis, mut log: Vec<DnsEvidence>) {
    let mut order: Vec<QueryKey> = Vec::new();
    for_each_step(a, &mut |s: &mut Step| {
        for q in &s.queries {
            if !order.contains(q) {
                order.push(q.clone());
            }
        }
    });
    log.sort_by(|x, y| {
        let (kx, ky) = (x.key(), y.key());
        let px = order.iter().position(|k| *k == kx).unwrap_or(usize::MAX);
        let py = order.iter().position(|k| *k == ky).unwrap_or(usize::MAX);
        px.cmp(&py).then(kx.cmp(&ky))
    });
    for (i, e) in log.iter_mut().enumerate() {
        e.id = i;
    }
    let ids: std::collections::HashMap<QueryKey, usize> =
        log.iter().map(|e| (e.key(), e.id)).collect();
    for_each_step(a, &mut |s: &mut Step| {
        s.evidence = s
            .queries
            .iter()
            .filter_map(|q| ids.get(q).copied())
            .collect();
    });
    a.dns = log;
}

/// Visits every step of every check, in the order the views show them.
pub fn for_each_step(a: &mut Analysis, f: &mut dyn FnMut(&mut Step)) {
    let lists: Vec<&mut Vec<Step>> = [&mut a.spf.mail_from.steps, &mut a.spf.helo.steps]
        .into_iter()
        .chain(a.dkim.iter_mut().map(|d| &mut d.steps))
        .chain([&mut a.arc.steps, &mut a.alignment.steps, &mut a.dmarc.steps])
        .collect();
    for list in lists {
        list.iter_mut().for_each(&mut *f);
    }
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
            }
            v
        };
        assert_eq!(strip(&progressive), strip(&plain));
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
