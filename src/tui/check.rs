//! The navigator's entries and what each shows. This reads the `Analysis`; it decides nothing:
//! the Summary and "Recorded vs now" entries only re-present findings, warnings and recorded
//! results as rows of the steps pane.

use std::borrow::Cow;

use crate::analysis::{Agreement, Analysis, AuthResult, Outcome, Part, Severity, Step};
use crate::dns::{DnsEvidence, DnsOutcome, RecordType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Summary,
    Envelope,
    SpfMailFrom,
    SpfHelo,
    /// One per DKIM-Signature; `None` when the message has none (or the analysis is running).
    Dkim(Option<usize>),
    Arc,
    Alignment,
    Dmarc,
    Recorded,
    /// What the receiving server decided; listed only when the message carries verdict headers.
    Receiver,
    DnsLog,
    Headers,
}

impl Check {
    /// The part of the analysis this check waits for while a run is in flight (None: ready as
    /// soon as the headers are read).
    pub fn part(self) -> Option<Part> {
        match self {
            Check::SpfMailFrom | Check::SpfHelo => Some(Part::Spf),
            Check::Dkim(_) => Some(Part::Dkim),
            Check::Arc => Some(Part::Arc),
            Check::Summary | Check::Alignment | Check::Dmarc | Check::Recorded => Some(Part::Dmarc),
            Check::Envelope | Check::Receiver | Check::DnsLog | Check::Headers => None,
        }
    }
}

/// Which pane fills the main area for a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MainView {
    Steps,
    Hops,
    DnsLog,
    Headers,
}

/// A navigator badge: glyph + word, styled by the result it stands for (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Badge {
    pub glyph: &'static str,
    pub word: String,
    pub result: Option<AuthResult>,
    pub warn: bool,
}

impl Badge {
    fn result(result: AuthResult, glyph: &'static str) -> Badge {
        Badge {
            glyph,
            word: result.as_str().to_string(),
            result: Some(result),
            warn: false,
        }
    }

    fn info(word: impl Into<String>, warn: bool) -> Badge {
        Badge {
            glyph: if warn { "▲" } else { " " },
            word: word.into(),
            result: None,
            warn,
        }
    }
}

impl Check {
    /// The navigator entries, in the order of the issue: DKIM has one entry per signature.
    pub fn list(analysis: Option<&Analysis>) -> Vec<Check> {
        let mut checks = vec![
            Check::Summary,
            Check::Envelope,
            Check::SpfMailFrom,
            Check::SpfHelo,
        ];
        match analysis {
            Some(a) if !a.dkim.is_empty() => {
                checks.extend((0..a.dkim.len()).map(|i| Check::Dkim(Some(i))))
            }
            _ => checks.push(Check::Dkim(None)),
        }
        checks.extend([Check::Arc, Check::Alignment, Check::Dmarc, Check::Recorded]);
        if analysis.is_some_and(|a| a.receiver_verdict.is_some()) {
            checks.push(Check::Receiver);
        }
        checks.extend([Check::DnsLog, Check::Headers]);
        checks
    }

    pub fn main_view(self) -> MainView {
        match self {
            Check::Envelope => MainView::Hops,
            Check::DnsLog => MainView::DnsLog,
            Check::Headers => MainView::Headers,
            _ => MainView::Steps,
        }
    }

    /// The navigator label, short enough for a 24-column pane with its badge.
    pub fn label(self, analysis: Option<&Analysis>) -> String {
        match self {
            Check::Summary => "Summary".into(),
            Check::Envelope => "Envelope & hops".into(),
            Check::SpfMailFrom => "SPF MAIL FROM".into(),
            Check::SpfHelo => "SPF HELO".into(),
            Check::Dkim(None) => "DKIM".into(),
            Check::Dkim(Some(_)) => {
                let (domain, selector) = self.dkim_ids(analysis).unwrap_or_default();
                format!("DKIM {domain} s={selector}")
            }
            Check::Arc => "ARC".into(),
            Check::Alignment => "Alignment".into(),
            Check::Dmarc => "DMARC".into(),
            Check::Recorded => "Recorded vs now".into(),
            Check::Receiver => "Receiver's verdict".into(),
            Check::DnsLog => "DNS log".into(),
            Check::Headers => "Headers".into(),
        }
    }

    /// A shorter navigator label for narrow terminals (the badge keeps its room).
    pub fn short_label(self) -> Option<&'static str> {
        match self {
            Check::Envelope => Some("Envelope"),
            Check::SpfMailFrom => Some("SPF MFROM"),
            Check::Recorded => Some("Recorded"),
            Check::Receiver => Some("Receiver"),
            _ => None,
        }
    }

    /// A DKIM entry's signing domain and selector (`?` for one the signature lacks).
    pub fn dkim_ids(self, analysis: Option<&Analysis>) -> Option<(String, String)> {
        let Check::Dkim(Some(i)) = self else {
            return None;
        };
        let dkim = analysis.and_then(|a| a.dkim.get(i));
        let id = |v: Option<&String>| v.cloned().unwrap_or_else(|| "?".into());
        Some((
            id(dkim.and_then(|d| d.domain.as_ref())),
            id(dkim.and_then(|d| d.selector.as_ref())),
        ))
    }

    /// The full title (pane titles, and the heading of a copied step).
    pub fn title(self, analysis: Option<&Analysis>) -> String {
        match self {
            Check::SpfMailFrom => "SPF (MAIL FROM)".into(),
            Check::SpfHelo => "SPF (HELO)".into(),
            Check::Dkim(Some(i)) => {
                let dkim = analysis.and_then(|a| a.dkim.get(i));
                let domain = dkim.and_then(|d| d.domain.as_deref()).unwrap_or("?");
                let selector = dkim.and_then(|d| d.selector.as_deref()).unwrap_or("?");
                format!("DKIM signature {} (d={domain} s={selector})", i + 1)
            }
            Check::Dkim(None) => "DKIM".into(),
            Check::Recorded => "Recorded results vs ours".into(),
            Check::Receiver => {
                let by = analysis
                    .and_then(|a| a.receiver_verdict.as_ref())
                    .map(|v| v.receiver_label.as_str())
                    .unwrap_or("?");
                format!("What the receiving server decided ({by})")
            }
            other => other.label(analysis),
        }
    }

    /// The rows of the steps pane.
    pub fn steps(self, a: &Analysis) -> Cow<'_, [Step]> {
        match self {
            Check::Summary => Cow::Owned(summary_steps(a)),
            Check::SpfMailFrom => Cow::Borrowed(&a.spf.mail_from.steps),
            Check::SpfHelo => Cow::Borrowed(&a.spf.helo.steps),
            Check::Dkim(Some(i)) => a
                .dkim
                .get(i)
                .map(|d| Cow::Borrowed(d.steps.as_slice()))
                .unwrap_or(Cow::Borrowed(&[])),
            Check::Dkim(None) => Cow::Borrowed(&[]),
            Check::Arc => Cow::Borrowed(&a.arc.steps),
            Check::Alignment => Cow::Borrowed(&a.alignment.steps),
            Check::Dmarc => Cow::Borrowed(&a.dmarc.steps),
            Check::Recorded => Cow::Owned(recorded_steps(a)),
            Check::Receiver => Cow::Owned(receiver_steps(a)),
            Check::Envelope | Check::DnsLog | Check::Headers => Cow::Borrowed(&[]),
        }
    }

    pub fn badge(self, a: &Analysis) -> Badge {
        let result = |r: AuthResult| Badge::result(r, crate::report::result_glyph(r));
        match self {
            Check::Summary => {
                let warnings = a
                    .warnings
                    .iter()
                    .filter(|w| w.severity != Severity::Info)
                    .count();
                if warnings == 0 {
                    Badge::info("", false)
                } else {
                    Badge::info(format!("{warnings} warn"), true)
                }
            }
            Check::Envelope => {
                let anomalies: usize = a.hops.iter().map(|h| h.anomalies.len()).sum();
                if anomalies > 0 {
                    Badge::info(format!("{anomalies} anom"), true)
                } else {
                    Badge::info(format!("{} hops", a.hops.len()), false)
                }
            }
            Check::SpfMailFrom => result(a.spf.mail_from.result),
            Check::SpfHelo => result(a.spf.helo.result),
            Check::Dkim(Some(i)) => a
                .dkim
                .get(i)
                .map(|d| result(d.result))
                .unwrap_or_else(|| result(AuthResult::None)),
            Check::Dkim(None) => result(AuthResult::None),
            Check::Arc => result(a.arc.result),
            Check::Alignment => {
                let (spf, dkim) = (a.alignment.spf.aligned, a.alignment.dkim.aligned);
                let word = match (spf, dkim) {
                    (true, true) => "spf+dkim",
                    (true, false) => "spf",
                    (false, true) => "dkim",
                    (false, false) => "neither",
                };
                Badge {
                    glyph: if spf || dkim { "✓" } else { "✗" },
                    word: word.into(),
                    result: Some(if spf || dkim {
                        AuthResult::Pass
                    } else {
                        AuthResult::Fail
                    }),
                    warn: false,
                }
            }
            Check::Dmarc => result(a.dmarc.result),
            Check::Recorded => {
                let disagree = a
                    .recorded
                    .iter()
                    .filter(|r| r.agreement == Agreement::Disagree)
                    .count();
                if disagree > 0 {
                    Badge::info(format!("{disagree} differ"), true)
                } else {
                    Badge::info(format!("{}", a.recorded.len()), false)
                }
            }
            Check::Receiver => {
                let items = a.receiver_verdict.as_ref().map_or(&[][..], |v| &v.items);
                let untrusted = items.iter().filter(|i| !i.trusted).count();
                if untrusted > 0 {
                    Badge::info(format!("{untrusted} untr"), true)
                } else {
                    Badge::info(format!("{}", items.len()), false)
                }
            }
            Check::DnsLog => {
                let failed = a
                    .dns
                    .iter()
                    .filter(|e| e.outcome.is_temporary_error())
                    .count();
                if failed > 0 {
                    Badge::info(format!("{failed} fail"), true)
                } else {
                    Badge::info(format!("{}", a.dns.len()), false)
                }
            }
            Check::Headers => Badge::info(format!("{}", a.headers.len()), false),
        }
    }

    /// Whether a query still in flight belongs to this check (by the shape of its name: the
    /// navigator shows a spinner on the checks that are waiting for DNS).
    pub fn waits_for(self, query: &DnsEvidence) -> bool {
        let name = query.name.as_str();
        let dmarc = name.starts_with("_dmarc.");
        let dkim = name.contains("._domainkey.");
        match self {
            Check::Dmarc | Check::Alignment => dmarc,
            Check::Dkim(_) => dkim,
            Check::Arc => dkim,
            Check::Envelope => query.rtype == RecordType::PTR,
            Check::SpfMailFrom | Check::SpfHelo => {
                !dmarc && !dkim && query.rtype != RecordType::PTR
            }
            Check::DnsLog => true,
            _ => false,
        }
    }
}

/// The Summary's rows: the findings, then the warnings (a warning already listed as a finding
/// takes the finding's place, with its severity and header).
fn summary_steps(a: &Analysis) -> Vec<Step> {
    let mut steps: Vec<Step> = a
        .summary
        .findings
        .iter()
        .filter(|f| !a.warnings.iter().any(|w| &w.message == *f))
        .map(|f| Step::new(f.clone(), finding_outcome(a, f), f.clone()))
        .collect();
    for w in &a.warnings {
        let outcome = match w.severity {
            Severity::Error => Outcome::Error,
            Severity::Warning => Outcome::Warning,
            Severity::Info => Outcome::Info,
        };
        let mut step =
            Step::new(w.message.clone(), outcome, w.message.clone()).fact("code", w.code.clone());
        if let Some(h) = w.header_index {
            step = step.header(h);
        }
        steps.push(step);
    }
    steps
}

/// The checks whose badge differs between two analyses of one message, as `label old→new`.
pub fn badge_changes(before: &Analysis, after: &Analysis) -> Vec<String> {
    Check::list(Some(after))
        .into_iter()
        .filter(|c| c.badge(after).result.is_some())
        .filter_map(|c| {
            let new = c.badge(after).word;
            let old = Check::list(Some(before))
                .contains(&c)
                .then(|| c.badge(before).word)?;
            (old != new).then(|| format!("{} {old}→{new}", c.label(Some(after))))
        })
        .collect()
}

/// Where a Summary row (or a recorded result) is explained: the check to open, and the header
/// to select when that check is the headers view. The findings are sentences about one check
/// each, named at their start ("SPF …", "DKIM #2 …"); the warnings carry a code and a header.
pub fn jump_target(a: &Analysis, check: Check, row: usize) -> Option<(Check, Option<usize>)> {
    match check {
        Check::Recorded => a
            .recorded
            .get(row)
            .map(|r| (Check::Headers, Some(r.header_index))),
        Check::Receiver => a
            .receiver_verdict
            .as_ref()?
            .items
            .get(row)
            .map(|i| (Check::Headers, Some(i.header_index))),
        Check::Summary => {
            let findings: Vec<&String> = a
                .summary
                .findings
                .iter()
                .filter(|f| !a.warnings.iter().any(|w| &w.message == *f))
                .collect();
            if let Some(finding) = findings.get(row) {
                return finding_check(a, finding).map(|c| (c, None));
            }
            let w = a.warnings.get(row - findings.len())?;
            let code = w.code.as_str();
            if code.starts_with("hop-") {
                Some((Check::Envelope, None))
            } else if code.contains("auth-results") {
                Some((Check::Recorded, None))
            } else {
                w.header_index.map(|h| (Check::Headers, Some(h)))
            }
        }
        _ => None,
    }
}

/// A finding that states its check's result ("DKIM #2 … fail: body hash …") shows that result's
/// glyph; other findings (a risk, a count) stay information. The result is the check's own.
fn finding_outcome(a: &Analysis, finding: &str) -> Outcome {
    let Some(result) = finding_check(a, finding).and_then(|c| c.badge(a).result) else {
        return Outcome::Info;
    };
    let word = result.as_str();
    let states_it = finding
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|w| w == word);
    match result {
        _ if !states_it => Outcome::Info,
        AuthResult::Pass => Outcome::Pass,
        AuthResult::Fail => Outcome::Fail,
        AuthResult::SoftFail | AuthResult::Policy => Outcome::Warning,
        AuthResult::TempError | AuthResult::PermError => Outcome::Error,
        AuthResult::Neutral | AuthResult::None => Outcome::Info,
    }
}

fn finding_check(a: &Analysis, finding: &str) -> Option<Check> {
    let word = |w: &str| finding.starts_with(w);
    if word("SPF HELO") {
        Some(Check::SpfHelo)
    } else if word("SPF ") {
        Some(Check::SpfMailFrom)
    } else if let Some(rest) = finding.strip_prefix("DKIM #") {
        let n: usize = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()?;
        (n >= 1 && n <= a.dkim.len()).then(|| Check::Dkim(Some(n - 1)))
    } else if word("ARC ") {
        Some(Check::Arc)
    } else if word("DMARC ") {
        Some(Check::Dmarc)
    } else if word("Alignment") {
        Some(Check::Alignment)
    } else if word("Recorded ") || finding.contains("recorded result") {
        Some(Check::Recorded)
    } else if a
        .receiver_verdict
        .as_ref()
        .and_then(|v| v.line.as_deref())
        .is_some_and(|line| line == finding)
    {
        Some(Check::Receiver)
    } else {
        None
    }
}

/// Each recorded result next to ours.
fn recorded_steps(a: &Analysis) -> Vec<Step> {
    a.recorded
        .iter()
        .map(|r| {
            let by = r.writer();
            let ours = r.ours.map(|o| o.as_str()).unwrap_or("—");
            let (outcome, verdict) = match r.agreement {
                Agreement::Agree => (Outcome::Match, "agrees with ours"),
                Agreement::Disagree => (Outcome::Warning, "differs from ours"),
                Agreement::NotCompared => (Outcome::Info, "not compared"),
            };
            let trust = if r.trusted {
                "written by the receiver (trusted)"
            } else {
                "not written by the receiver (untrusted: see the note)"
            };
            let mut explanation = format!(
                "{} {}={} by {by}, {trust}; ours: {ours} — {verdict}.",
                r.header_name, r.method, r.result
            );
            if let Some(note) = &r.note {
                // A sentence of its own: it starts with a capital.
                let mut chars = note.chars();
                if let Some(first) = chars.next() {
                    explanation.push(' ');
                    explanation.extend(first.to_uppercase());
                    explanation.push_str(chars.as_str());
                    if !note.ends_with('.') {
                        explanation.push('.');
                    }
                }
            }
            let untrusted = if r.trusted { "" } else { " — untrusted" };
            let mut step = Step::new(
                format!(
                    "{}={} by {by} (ours: {ours}){untrusted}",
                    r.method, r.result
                ),
                outcome,
                explanation,
            )
            .header(r.header_index);
            if let Some(reason) = &r.reason {
                step = step.fact("reason", reason.clone());
            }
            for (k, v) in &r.properties {
                step = step.fact(k.clone(), v.clone());
            }
            step
        })
        .collect()
}

/// Each verdict header: its fields with their meanings, and why it is trusted or not.
fn receiver_steps(a: &Analysis) -> Vec<Step> {
    let Some(v) = &a.receiver_verdict else {
        return Vec::new();
    };
    v.items
        .iter()
        .map(|i| {
            let (outcome, trust) = if i.trusted {
                (Outcome::Info, "trusted")
            } else {
                (Outcome::Warning, "untrusted")
            };
            let fields: Vec<String> = i
                .fields
                .iter()
                .map(|f| match &f.meaning {
                    Some(m) => format!("{}={}: {m}", f.name, f.value),
                    None => format!("{}={}", f.name, f.value),
                })
                .collect();
            let mut explanation = format!("{} — {}.", i.about, i.trust_reason);
            if !fields.is_empty() {
                explanation.push(' ');
                explanation.push_str(&fields.join("; "));
            }
            let mut step = Step::new(
                format!("{} ({}, {trust})", i.header_name, i.vendor),
                outcome,
                explanation,
            )
            .header(i.header_index);
            for f in &i.fields {
                step = step.fact(f.name.clone(), f.value.clone());
            }
            step
        })
        .collect()
}

/// The evidence entries a step refers to: by id once the analysis is final, else by its queries
/// (so a pending step still shows the query it waits for).
pub fn step_evidence<'a>(step: &Step, log: &'a [DnsEvidence]) -> Vec<&'a DnsEvidence> {
    let mut out: Vec<&DnsEvidence> = step.evidence.iter().filter_map(|&i| log.get(i)).collect();
    for key in &step.queries {
        if let Some(e) = log
            .iter()
            .find(|e| e.name == key.name && e.rtype == key.rtype)
            && !out.iter().any(|o| std::ptr::eq(*o, e))
        {
            out.push(e);
        }
    }
    out
}

/// Count of queries still in flight.
pub fn pending_count(log: &[DnsEvidence]) -> usize {
    log.iter()
        .filter(|e| e.outcome == DnsOutcome::Pending)
        .count()
}
