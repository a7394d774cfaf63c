//! Reports: views of one [`Analysis`] that never re-evaluate anything.
//!
//! - JSON is the `Analysis` value serialized (`json`), the contract outside scripts use.
//! - Markdown (`markdown`, `markdown_step`) is ticket-ready and is what the TUI copies.
//! - Text (`text`) is the terminal summary of `mailsleuth report`.
//!
//! None of them emits ANSI codes, and every string that came from the message is passed through
//! [`visible`] so an attacker's escape sequences cannot reach the reader's terminal.

mod markdown;
mod text;

use std::borrow::Cow;

use crate::analysis::{Analysis, AuthResult, Outcome};

pub use markdown::{markdown, markdown_step};
pub use text::text;

/// The `Analysis` as pretty JSON (the documented, versioned schema).
pub fn json(analysis: &Analysis) -> String {
    // Serializing plain data cannot fail; fall back to an error object rather than panic.
    serde_json::to_string_pretty(analysis)
        .unwrap_or_else(|e| format!("{{\"error\": \"serialization failed: {e}\"}}"))
}

/// Makes control characters visible: ESC becomes `\x1b`, other C0/C1 controls and DEL become
/// `\xNN`, tabs stay. Text that came from the message goes through this before any output.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if needs_escape(c) {
            let code = c as u32;
            if code <= 0xff {
                out.push_str(&format!("\\x{code:02x}"));
            } else {
                out.push_str(&format!("\\u{{{code:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        // Bidi overrides and isolates can reorder what a reader sees (Trojan Source).
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A glyph per step outcome, readable without colour.
pub fn outcome_glyph(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "✓",
        Outcome::Fail => "✗",
        Outcome::Match => "→",
        Outcome::NoMatch => "·",
        Outcome::Warning => "!",
        Outcome::Error => "⚠",
        Outcome::Info => "i",
        Outcome::Skipped => "-",
    }
}

/// A glyph per verdict, readable without colour.
pub fn result_glyph(result: AuthResult) -> &'static str {
    match result {
        AuthResult::Pass => "✓",
        AuthResult::Fail | AuthResult::PermError => "✗",
        AuthResult::SoftFail | AuthResult::Policy | AuthResult::TempError => "!",
        AuthResult::Neutral | AuthResult::None => "·",
    }
}

/// Every check of an analysis with its steps, in the order reports and the TUI show them.
pub fn checks(analysis: &Analysis) -> Vec<CheckView<'_>> {
    let mut out = vec![
        CheckView {
            title: "SPF (MAIL FROM)".into(),
            result: Some(analysis.spf.mail_from.result),
            steps: &analysis.spf.mail_from.steps,
        },
        CheckView {
            title: "SPF (HELO)".into(),
            result: Some(analysis.spf.helo.result),
            steps: &analysis.spf.helo.steps,
        },
    ];
    for (i, d) in analysis.dkim.iter().enumerate() {
        out.push(CheckView {
            title: dkim_title(i, d.domain.as_deref(), d.selector.as_deref()),
            result: Some(d.result),
            steps: &d.steps,
        });
    }
    out.push(CheckView {
        title: "ARC".into(),
        result: Some(analysis.arc.result),
        steps: &analysis.arc.steps,
    });
    out.push(CheckView {
        title: "Alignment".into(),
        result: None,
        steps: &analysis.alignment.steps,
    });
    out.push(CheckView {
        title: "DMARC".into(),
        result: Some(analysis.dmarc.result),
        steps: &analysis.dmarc.steps,
    });
    out
}

/// The DMARC tag the applied policy came from (`p`, `sp` or `np`): `policy_source` starts with it.
pub fn policy_tag(d: &crate::analysis::DmarcCheck) -> Option<&str> {
    d.policy_source
        .as_deref()
        .and_then(|s| s.split([':', ' ', '(']).next())
        .filter(|t| matches!(*t, "p" | "sp" | "np"))
}

/// `DKIM #1 d=example.com s=sel1`.
pub fn dkim_title(index: usize, domain: Option<&str>, selector: Option<&str>) -> String {
    format!(
        "DKIM #{} d={} s={}",
        index + 1,
        visible(domain.unwrap_or("?")),
        visible(selector.unwrap_or("?"))
    )
}

/// One check, as the views list it.
pub struct CheckView<'a> {
    pub title: String,
    pub result: Option<AuthResult>,
    pub steps: &'a [crate::analysis::Step],
}
