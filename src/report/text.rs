//! The plain-text report: what `mailsleuth report FILE` prints. No ANSI codes.

use std::fmt::Write;

use super::{checks, outcome_glyph, result_glyph, visible};
use crate::analysis::{Agreement, Analysis, Severity};

/// The whole analysis as a terminal-friendly text report.
pub(super) const SECTIONS: super::Sections = super::Sections {
    heading,
    message: message_section,
    envelope: envelope_section,
    hops: hops_section,
    checks: checks_section,
    receiver: receiver_section,
    recorded: recorded_section,
    warnings: warnings_section,
    steps: steps_section,
    dns: dns_section,
};

/// The first lines: the tool, the input, the moment and the DNS mode, then the verdict.
fn heading(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(
        o,
        "mailsleuth {} — {}{} ({} bytes, {})",
        a.tool_version,
        visible(&a.input.source),
        a.input
            .prep
            .mbox
            .map(|m| format!(", message {} of {}", m.number, m.count))
            .unwrap_or_default(),
        a.input.size_bytes,
        match a.input.line_endings.as_str() {
            "" => "line endings unknown".to_string(),
            "none" => "no line endings".to_string(),
            le => format!("{le} line endings"),
        }
    );
    let _ = writeln!(
        o,
        "evaluated as of {}; DNS: {}",
        a.now,
        match a.dns_mode {
            crate::analysis::DnsMode::Live => "live",
            crate::analysis::DnsMode::Snapshot => "snapshot replay",
            crate::analysis::DnsMode::Recording => "live, recorded",
        }
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "VERDICT  {}", visible(&a.summary.verdict));
    for f in &a.summary.findings {
        let _ = writeln!(o, "  • {}", visible(f));
    }
}

/// The author headers as written (and decoded).
fn message_section(o: &mut dyn Write, a: &Analysis) {
    section(o, "MESSAGE");
    let mut any = false;
    for name in super::MESSAGE_FIELDS {
        for h in a
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
        {
            any = true;
            let _ = writeln!(
                o,
                "  {:<10} {}  [header #{}]",
                name,
                visible(&super::clip(&h.value, 200)),
                h.index
            );
            if let Some(d) = &h.decoded {
                let _ = writeln!(o, "  {:<10} decoded: {}", "", visible(&super::clip(d, 200)));
            }
        }
    }
    if !any {
        let _ = writeln!(o, "  (no author headers)");
    }
}

/// The envelope and where each field of it came from.
fn envelope_section(o: &mut dyn Write, a: &Analysis) {
    section(o, "ENVELOPE (as the receiving server saw it)");
    let e = &a.envelope;
    field(o, "receiver", e.receiver.as_deref());
    field(o, "client IP", e.client_ip.as_deref());
    field(o, "HELO", e.helo.as_deref());
    let mail_from = e.mail_from.as_deref().map(|m| {
        if m.is_empty() {
            "<> (null reverse-path)"
        } else {
            m
        }
    });
    field(o, "MAIL FROM", mail_from);
    for s in &e.sources {
        let at = s
            .header_index
            .map(|i| format!("header #{i}"))
            .unwrap_or_else(|| "option".into());
        let _ = writeln!(o, "    {:<10} from {}: {}", s.field, at, visible(&s.how));
    }
}

/// The Received hops, oldest first, the trust boundary marked.
fn hops_section(o: &mut dyn Write, a: &Analysis) {
    if a.hops.is_empty() {
        return;
    }
    section(o, "HOPS (oldest first)");
    for (i, h) in a.hops.iter().enumerate().rev() {
        let mark = if h.is_boundary { "▶" } else { " " };
        let _ = writeln!(
            o,
            " {mark}{:>2}. {:>12}  from {} by {}{}",
            a.hops.len() - i,
            super::hop_delay(h),
            visible(&super::hop_client(h)),
            visible(h.by_host.as_deref().unwrap_or("?")),
            h.tls
                .as_deref()
                .map(|t| format!(" ({})", visible(t)))
                .unwrap_or_default()
        );
        for an in &h.anomalies {
            let _ = writeln!(o, "                   ! {}", visible(an));
        }
    }
    let _ = writeln!(
        o,
        "  ▶ = trust boundary (the hop the receiving server added)"
    );
}

/// One line per check with its result, then the DMARC policy.
fn checks_section(o: &mut dyn Write, a: &Analysis) {
    section(o, "CHECKS");
    for c in checks(a) {
        if c.title == "ARC" && a.dkim.is_empty() {
            // DKIM has no check entry without a signature; say so where it would stand.
            let none = crate::analysis::AuthResult::None;
            let _ = writeln!(
                o,
                "  {:<42} {} none (no DKIM-Signature)",
                "DKIM",
                result_glyph(none)
            );
        }
        let verdict = match c.result {
            Some(r) => format!("{} {}", result_glyph(r), r),
            None => alignment_word(a),
        };
        let _ = writeln!(o, "  {:<42} {}", c.title, verdict);
    }
    let _ = writeln!(o, "  {:<42} {}", "DMARC policy", dmarc_policy_line(a));
}

/// What the receiving servers recorded, set against our re-verification.
fn recorded_section(o: &mut dyn Write, a: &Analysis) {
    if a.recorded.is_empty() {
        return;
    }
    section(o, "RECORDED AT RECEIPT vs NOW");
    for r in &a.recorded {
        let ours = r.ours.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
        let agree = match r.agreement {
            Agreement::Agree => "agree",
            Agreement::Disagree => "DISAGREE",
            Agreement::NotCompared => "not compared",
        };
        let _ = writeln!(
            o,
            "  {:<6} {:<10} now {:<10} {:<12} {} by {}{}",
            visible(&r.method),
            visible(&r.result),
            ours,
            agree,
            visible(&r.header_name),
            visible(r.writer()),
            if r.trusted { "" } else { " (untrusted)" }
        );
        let mut detail = Vec::new();
        if let Some(sig) = &r.signature {
            detail.push(format!("signature {}", visible(sig)));
        }
        // The disposition the receiver applied is in the note when it matters.
        if !detail.is_empty() {
            let _ = writeln!(o, "         {}", detail.join("; "));
        }
        if let Some(n) = &r.note {
            let _ = writeln!(o, "         {}", visible(n));
        }
    }
}

/// Every warning, with its severity and header.
fn warnings_section(o: &mut dyn Write, a: &Analysis) {
    if a.warnings.is_empty() {
        return;
    }
    section(o, "WARNINGS");
    for w in &a.warnings {
        let sev = match w.severity {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        let at = w
            .header_index
            .map(|i| format!(" [header #{i}]"))
            .unwrap_or_default();
        let _ = writeln!(o, "  {sev}: {}{at} ({})", visible(&w.message), w.code);
    }
}

/// Every check's steps with their facts and the DNS evidence they read.
fn steps_section(o: &mut dyn Write, a: &Analysis) {
    section(o, "STEPS");
    for c in checks(a) {
        let _ = writeln!(o, "  {}", c.title);
        if c.steps.is_empty() {
            let _ = writeln!(o, "    (no steps)");
        }
        for (i, s) in c.steps.iter().enumerate() {
            let _ = writeln!(
                o,
                "   {:>2}. {} {}",
                i + 1,
                outcome_glyph(s.outcome),
                visible(&s.title)
            );
            if !s.explanation.is_empty() {
                let _ = writeln!(o, "       {}", visible(&s.explanation));
            }
            for f in &s.facts {
                let _ = writeln!(
                    o,
                    "       {}: {}",
                    visible(&f.name),
                    visible(&super::clip(&f.value.replace('\t', " "), 160))
                );
            }
            for id in &s.evidence {
                if let Some(ev) = a.dns.get(*id) {
                    // Long answers (DKIM keys) are clipped here; DNS EVIDENCE has them whole.
                    let _ = writeln!(
                        o,
                        "       dns [{}]: {}",
                        ev.id,
                        super::clip(&super::markdown::evidence_line(ev), 140)
                    );
                }
            }
        }
    }
}

/// Every DNS lookup, whole.
fn dns_section(o: &mut dyn Write, a: &Analysis) {
    section(o, "DNS EVIDENCE");
    if a.dns.is_empty() {
        let _ = writeln!(o, "  (no lookups)");
    }
    for ev in &a.dns {
        let _ = writeln!(o, "  [{}] {}", ev.id, super::markdown::evidence_line(ev));
    }
}

/// Each verdict header with its decoded fields, their meanings and why it is trusted or not.
fn receiver_section(o: &mut dyn Write, v: &crate::analysis::ReceiverVerdict) {
    section(o, "RECEIVER'S VERDICT");
    let _ = writeln!(o, "  by {}", visible(&v.receiver_label));
    if let Some(line) = &v.line {
        let _ = writeln!(o, "  {}", visible(line));
    }
    for item in &v.items {
        let _ = writeln!(
            o,
            "  #{:<3} {}  {}",
            item.header_index,
            visible(&item.header_name),
            if item.trusted { "trusted" } else { "UNTRUSTED" }
        );
        let _ = writeln!(o, "         {}", visible(&item.trust_reason));
        for f in &item.fields {
            let meaning = f
                .meaning
                .as_deref()
                .map(|m| format!(" — {}", visible(m)))
                .unwrap_or_default();
            let _ = writeln!(
                o,
                "         {} = {}{meaning}",
                visible(&f.name),
                visible(&super::clip(&f.value, 200))
            );
        }
    }
}

fn section(o: &mut dyn Write, title: &str) {
    let _ = writeln!(o);
    let _ = writeln!(o, "{title}");
}

fn field(o: &mut dyn Write, name: &str, value: Option<&str>) {
    let _ = writeln!(
        o,
        "  {:<10} {}",
        name,
        value.map(visible).unwrap_or("(unknown)".into())
    );
}

fn alignment_word(a: &Analysis) -> String {
    format!(
        "{}; {}",
        super::alignment_words(&a.alignment.spf, "SPF"),
        super::alignment_words(&a.alignment.dkim, "DKIM")
    )
}

fn dmarc_policy_line(a: &Analysis) -> String {
    match &a.dmarc.policy {
        Some(p) => format!(
            "{}{} → disposition {}",
            p,
            super::policy_tag(&a.dmarc)
                .map(|t| format!(" (from {t}=)"))
                .unwrap_or_default(),
            a.dmarc.disposition.as_deref().unwrap_or("none")
        ),
        None if a.dmarc.result == crate::analysis::AuthResult::TempError => {
            "unknown (DNS error)".into()
        }
        None => "no DMARC record".into(),
    }
}
