//! The Markdown report (ticket-ready) and the per-step snippet the TUI copies.

use std::fmt::Write;

use super::{checks, outcome_glyph, result_glyph, visible};
use crate::analysis::{Agreement, Analysis, Step};
use crate::dns::{DnsEvidence, DnsOutcome};

/// `TXT _dmarc.example.com → nxdomain (snapshot)` — one evidence entry on one line.
pub fn evidence_line(ev: &DnsEvidence) -> String {
    let answer = match ev.outcome {
        DnsOutcome::Answers => ev
            .answers
            .iter()
            .map(|a| format!("\"{}\"", visible(a)))
            .collect::<Vec<_>>()
            .join(", "),
        other => {
            let word = other.as_str();
            let mut s = word.to_uppercase();
            if let Some(e) = &ev.error {
                // Errors often start with the outcome word ("timeout (…)"): say it once.
                let detail = e
                    .strip_prefix(word)
                    .map(|rest| rest.trim().trim_start_matches('(').trim_end_matches(')'))
                    .unwrap_or(e)
                    .trim();
                if !detail.is_empty() {
                    s.push_str(&format!(" ({})", visible(detail)));
                }
            }
            s
        }
    };
    let ttl = ev.ttl.map(|t| format!(", TTL {t}")).unwrap_or_default();
    let source = match ev.source {
        crate::dns::DnsSource::Live => "live",
        crate::dns::DnsSource::Snapshot => "snapshot",
    };
    format!(
        "{} {} → {} ({source}{ttl}{})",
        ev.rtype,
        visible(&ev.name),
        answer,
        unused_note(ev)
    )
}

/// Said of a prefetched answer no check went on to read: it decided nothing.
fn unused_note(ev: &DnsEvidence) -> &'static str {
    if ev.used {
        ""
    } else {
        ", prefetched, not used"
    }
}

/// Markdown-safe inline text: message-derived, so escaped and stripped of table breakers.
/// Message or DNS text in running Markdown: every character with a Markdown or HTML meaning is
/// backslash-escaped, so a display name can neither smuggle raw HTML (a tracking `<img>`) nor
/// fake a bold verdict into a ticket.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in visible(s).chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '#' | '&' | '!' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Message or DNS text as a code span: shown exactly, nothing in it is Markdown or HTML. The
/// fence is one backtick longer than the longest run inside (CommonMark), and in a table cell
/// `|` is escaped (GFM).
fn code(s: &str, in_table: bool) -> String {
    let mut t = visible(s).replace(['\t', '\n', '\r'], " ");
    if in_table {
        t = t.replace('|', "\\|");
    }
    let longest = t.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if t.starts_with('`') || t.ends_with('`') || t.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{t}{pad}{fence}")
}

/// The receiver's verdict headers: one row per decoded field, with its meaning and trust.
fn receiver_section(o: &mut dyn Write, v: &crate::analysis::ReceiverVerdict) {
    let _ = writeln!(o, "\n## Receiver's verdict\n");
    let _ = writeln!(o, "By **{}**.", md(&v.receiver_label));
    if let Some(line) = &v.line {
        let _ = writeln!(o, "\n{}", md(line));
    }
    let _ = writeln!(
        o,
        "\n| header | field | value | meaning | trusted |\n|---|---|---|---|---|"
    );
    for item in &v.items {
        let trust = format!(
            "{}: {}",
            if item.trusted { "yes" } else { "no" },
            md(&item.trust_reason)
        );
        let header = format!("{} (#{})", md(&item.header_name), item.header_index);
        if item.fields.is_empty() {
            let _ = writeln!(o, "| {header} | | {} | | {trust} |", md(&item.value));
        }
        for f in &item.fields {
            let _ = writeln!(
                o,
                "| {header} | {} | {} | {} | {trust} |",
                md(&f.name),
                md(&f.value),
                f.meaning.as_deref().map(md).unwrap_or_default()
            );
        }
    }
}

/// The whole analysis as Markdown.
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

/// The title, the verdict and its findings, and what the evaluation was made with.
fn heading(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(o, "# mailsleuth report: {}", md(&a.input.source));
    let _ = writeln!(o);
    let _ = writeln!(o, "**Verdict:** {}", md(&a.summary.verdict));
    let _ = writeln!(o);
    for f in &a.summary.findings {
        let _ = writeln!(o, "- {}", md(f));
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "_Evaluated as of {} with {} DNS; mailsleuth {}, schema {}._",
        a.now,
        match a.dns_mode {
            crate::analysis::DnsMode::Live => "live",
            crate::analysis::DnsMode::Snapshot => "snapshot",
            crate::analysis::DnsMode::Recording => "live (recorded)",
        },
        a.tool_version,
        a.schema_version
    );
}

/// The author headers as written (and decoded).
fn message_section(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(o, "\n## Message\n");
    let _ = writeln!(o, "| header | value |\n|---|---|");
    for name in super::MESSAGE_FIELDS {
        for h in a
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case(name))
        {
            let _ = writeln!(
                o,
                "| {name} | {} |",
                code(&super::clip(&h.value, 200), true)
            );
            if let Some(d) = &h.decoded {
                let _ = writeln!(
                    o,
                    "| {name} (decoded) | {} |",
                    code(&super::clip(d, 200), true)
                );
            }
        }
    }
}

/// The envelope and where each field of it came from.
fn envelope_section(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(o, "\n## Envelope\n");
    let _ = writeln!(o, "| field | value | from |\n|---|---|---|");
    let e = &a.envelope;
    for (name, value) in [
        ("receiver", &e.receiver),
        ("client_ip", &e.client_ip),
        ("helo", &e.helo),
        ("mail_from", &e.mail_from),
    ] {
        let from = e
            .sources
            .iter()
            .find(|s| s.field == name)
            .map(|s| md(&s.how))
            .unwrap_or_default();
        let v = match value.as_deref() {
            Some("") => "<> (null reverse-path)".to_string(),
            Some(v) => md(v),
            None => "(unknown)".into(),
        };
        let _ = writeln!(o, "| {name} | `{v}` | {from} |");
    }
}

/// The Received hops, oldest first, the trust boundary marked.
fn hops_section(o: &mut dyn Write, a: &Analysis) {
    if a.hops.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Hops (oldest first)\n");
    let _ = writeln!(
        o,
        "| # | from (rDNS [IP] HELO) | by | delay | notes |\n|---|---|---|---|---|"
    );
    for (i, h) in a.hops.iter().enumerate().rev() {
        let mut notes = h.anomalies.iter().map(|s| md(s)).collect::<Vec<_>>();
        if h.is_boundary {
            notes.insert(0, "**trust boundary**".into());
        }
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            a.hops.len() - i,
            md(&super::hop_client(h)),
            md(h.by_host.as_deref().unwrap_or("?")),
            super::hop_delay(h),
            notes.join("; ")
        );
    }
}

/// One row per check with its result, then the DMARC policy that applies.
fn checks_section(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(o, "\n## Checks\n");
    let _ = writeln!(o, "| check | result |\n|---|---|");
    for c in checks(a) {
        if c.title == "ARC" && a.dkim.is_empty() {
            // DKIM has no check entry without a signature; say so where it would stand.
            let none = crate::analysis::AuthResult::None;
            let _ = writeln!(
                o,
                "| DKIM | {} none (no DKIM-Signature) |",
                result_glyph(none)
            );
        }
        let r = c
            .result
            .map(|r| format!("{} {}", result_glyph(r), r))
            .unwrap_or_else(|| {
                md(&format!(
                    "{}; {}",
                    super::alignment_words(&a.alignment.spf, "SPF"),
                    super::alignment_words(&a.alignment.dkim, "DKIM")
                ))
            });
        let _ = writeln!(o, "| {} | {} |", md(&c.title), r);
    }
    if let Some(p) = &a.dmarc.policy {
        let _ = writeln!(
            o,
            "\nDMARC policy that applies: **{}**{}; disposition: **{}**.{}",
            md(p),
            super::policy_tag(&a.dmarc)
                .map(|t| format!(" (from `{t}=`)"))
                .unwrap_or_default(),
            md(a.dmarc.disposition.as_deref().unwrap_or("none")),
            a.dmarc
                .policy_source
                .as_deref()
                .map(|s| {
                    // The source reads "tag: why"; the tag is already shown.
                    let why = s.split_once(": ").map_or(s, |(_, why)| why);
                    format!(" {}", md(why))
                })
                .unwrap_or_default()
        );
    }
}

/// What the receiving servers recorded, set against our re-verification.
fn recorded_section(o: &mut dyn Write, a: &Analysis) {
    if a.recorded.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Recorded at receipt vs now\n");
    let _ = writeln!(
        o,
        "| header | authserv-id | trusted | method | recorded | now | agreement | note |\n|---|---|---|---|---|---|---|---|"
    );
    for r in &a.recorded {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            md(&r.header_name),
            md(r.writer()),
            if r.trusted { "yes" } else { "no" },
            match &r.signature {
                Some(sig) => format!("{} ({})", md(&r.method), md(sig)),
                None => md(&r.method),
            },
            match &r.disposition {
                Some(d) => format!("{} (applied {})", md(&r.result), md(d)),
                None => md(&r.result),
            },
            r.ours.map(|x| x.to_string()).unwrap_or_else(|| "—".into()),
            match r.agreement {
                Agreement::Agree => "agree",
                Agreement::Disagree => "**disagree**",
                Agreement::NotCompared => "not compared",
            },
            r.note.as_deref().map(md).unwrap_or_default()
        );
    }
}

/// Every warning with its code.
fn warnings_section(o: &mut dyn Write, a: &Analysis) {
    if a.warnings.is_empty() {
        return;
    }
    let _ = writeln!(o, "\n## Warnings\n");
    for w in &a.warnings {
        let _ = writeln!(o, "- **{}** {}", w.code, md(&w.message));
    }
}

/// Every check's steps, long values clipped (the DNS table has them whole).
fn steps_section(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(o, "\n## Steps\n");
    for c in checks(a) {
        let _ = writeln!(o, "### {}\n", md(&c.title));
        if c.steps.is_empty() {
            let _ = writeln!(o, "_No steps._\n");
        }
        for (i, s) in c.steps.iter().enumerate() {
            step_body(o, a, i + 1, s, Detail::Clipped);
        }
    }
}

/// Every DNS lookup, one row each.
fn dns_section(o: &mut dyn Write, a: &Analysis) {
    let _ = writeln!(o, "## DNS evidence\n");
    let _ = writeln!(
        o,
        "| # | query | type | outcome | answers | TTL | source |\n|---|---|---|---|---|---|---|"
    );
    for ev in &a.dns {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} | {}{} |",
            ev.id,
            md(&ev.name),
            ev.rtype,
            ev.outcome.as_str(),
            ev.answers
                .iter()
                .map(|s| code(s, true))
                .collect::<Vec<_>>()
                .join("<br>"),
            ev.ttl.map(|t| t.to_string()).unwrap_or_else(|| "—".into()),
            match ev.source {
                crate::dns::DnsSource::Live => "live",
                crate::dns::DnsSource::Snapshot => "snapshot",
            },
            unused_note(ev)
        );
    }
}

/// How much of a long value a step shows: the full report clips (the DNS table has it all),
/// a copied single step keeps everything.
#[derive(Clone, Copy, PartialEq)]
enum Detail {
    Clipped,
    Full,
}

fn step_body(o: &mut dyn Write, a: &Analysis, n: usize, s: &Step, detail: Detail) {
    let marker = format!("{n}. ");
    // CommonMark: a list item's continuation lines are indented by the marker's width.
    let pad = " ".repeat(marker.len());
    let clip = |text: String, max: usize| match detail {
        Detail::Full => text,
        Detail::Clipped => super::clip(&text, max).into_owned(),
    };
    let _ = writeln!(
        o,
        "{marker}{} **{}**",
        outcome_glyph(s.outcome),
        md(&s.title)
    );
    if !s.explanation.is_empty() {
        let _ = writeln!(o, "{pad}{}", md(&s.explanation));
    }
    for f in &s.facts {
        let _ = writeln!(
            o,
            "{pad}- {}: {}",
            md(&f.name),
            code(&clip(f.value.clone(), 200), false)
        );
    }
    for id in &s.evidence {
        if let Some(ev) = a.dns.get(*id) {
            let _ = writeln!(
                o,
                "{pad}- DNS \\[{}\\]: {}",
                ev.id,
                code(&clip(evidence_line(ev), 200), false)
            );
        }
    }
    for h in &s.headers {
        if let Some(h) = a.headers.get(*h) {
            let _ = writeln!(
                o,
                "{pad}- header #{}: {}",
                h.index,
                code(
                    &format!("{}: {}", h.name, clip(h.value.clone(), 120)),
                    false
                )
            );
        }
    }
    let _ = writeln!(o);
}

/// One step of one check, with its DNS evidence and header lines, as pasteable Markdown.
pub fn markdown_step(a: &Analysis, check_title: &str, step: &Step) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "**{}** — {} (mailsleuth, {})\n",
        md(check_title),
        md(&a.input.source),
        a.now
    );
    step_body(&mut o, a, 1, step, Detail::Full);
    let _ = writeln!(o, "_Verdict: {}_", md(&a.summary.verdict));
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_cannot_smuggle_html_or_fake_emphasis() {
        let name =
            "<img src=https://tracker.example/p.gif> **DMARC pass** [click](https://x.example) `x`";
        let out = md(name);
        // Every character with a meaning is escaped: none stands bare.
        let bare = |c: char| {
            out.char_indices()
                .any(|(i, x)| x == c && !out[..i].ends_with('\\'))
        };
        for c in ['<', '>', '*', '[', ']', '`'] {
            assert!(!bare(c), "bare {c:?} in {out}");
        }
        assert!(
            out.contains("\\<img") && out.contains("\\*\\*DMARC pass\\*\\*"),
            "{out}"
        );
    }

    #[test]
    fn a_code_span_holds_any_text_exactly() {
        assert_eq!(code("v=spf1 -all", false), "`v=spf1 -all`");
        // Backticks inside: a longer fence, padded when the text starts or ends with one.
        assert_eq!(code("a`b", false), "``a`b``");
        assert_eq!(code("`x`", false), "`` `x` ``");
        assert_eq!(code("a|b", true), "`a\\|b`");
        // Control characters are shown escaped, as everywhere in the reports.
        assert_eq!(code("line\r\nbreak", false), "`line\\r\\nbreak`");
    }

    #[test]
    fn the_whole_report_has_no_raw_html_from_the_message() {
        let a = Analysis {
            summary: crate::analysis::Summary {
                verdict: "From <b>PayPal</b> spoofed".into(),
                findings: vec!["Display name <script>alert(1)</script>".into()],
            },
            ..Default::default()
        };
        let out = crate::report::markdown(&a);
        assert!(!out.contains("<b>") && !out.contains("<script>"), "{out}");
    }
}
