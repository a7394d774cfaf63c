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

pub use crate::analysis::dmarc::policy_tag;
pub use markdown::markdown_step;

/// The whole analysis as a terminal-friendly text report.
pub fn text(a: &Analysis) -> String {
    render(&text::SECTIONS, a)
}

/// [`text`] written to `w` as it is made: a long report (thousands of hops) is never whole in
/// memory.
pub fn write_text(w: &mut dyn std::io::Write, a: &Analysis) -> std::io::Result<()> {
    stream(&text::SECTIONS, w, a)
}

/// The whole analysis as Markdown.
pub fn markdown(a: &Analysis) -> String {
    render(&markdown::SECTIONS, a)
}

/// [`markdown`] written to `w` as it is made.
pub fn write_markdown(w: &mut dyn std::io::Write, a: &Analysis) -> std::io::Result<()> {
    stream(&markdown::SECTIONS, w, a)
}

/// The sections of a report format, written in one order for every format by [`render`] and
/// [`stream`].
pub(crate) struct Sections {
    heading: Section,
    message: Section,
    envelope: Section,
    hops: Section,
    checks: Section,
    receiver: fn(&mut dyn std::fmt::Write, &crate::analysis::ReceiverVerdict),
    recorded: Section,
    warnings: Section,
    steps: Section,
    dns: Section,
}

type Section = fn(&mut dyn std::fmt::Write, &Analysis);

impl Sections {
    fn fill(&self, o: &mut dyn std::fmt::Write, a: &Analysis) {
        (self.heading)(o, a);
        (self.message)(o, a);
        (self.envelope)(o, a);
        (self.hops)(o, a);
        (self.checks)(o, a);
        if let Some(v) = &a.receiver_verdict {
            (self.receiver)(o, v);
        }
        (self.recorded)(o, a);
        (self.warnings)(o, a);
        (self.steps)(o, a);
        (self.dns)(o, a);
    }
}

fn render(sections: &Sections, a: &Analysis) -> String {
    let mut o = String::new();
    sections.fill(&mut o, a);
    o
}

fn stream(sections: &Sections, w: &mut dyn std::io::Write, a: &Analysis) -> std::io::Result<()> {
    let mut o = Out::new(w);
    sections.fill(&mut o, a);
    o.finish()
}

/// The `Analysis` as pretty JSON (the documented, versioned schema).
///
/// serde_json already escapes C0 controls (ESC becomes `\u001b`); DEL, C1 controls and the bidi
/// overrides/isolates that could reorder what a reader sees are escaped here too, as `\uXXXX`,
/// which every JSON reader decodes back to the same string.
pub fn json(analysis: &Analysis) -> String {
    escaped_json(analysis, serde_json::ser::PrettyFormatter::new(), 0)
        .unwrap_or_else(|e| format!("{{\"error\": \"serialization failed: {e}\"}}"))
}

/// [`json`] written straight to `out` (no copy of the report in memory), then a line break.
pub fn write_json(out: &mut dyn std::io::Write, analysis: &Analysis) -> std::io::Result<()> {
    write_escaped(&mut *out, analysis, serde_json::ser::PrettyFormatter::new())?;
    out.write_all(b"\n")?;
    out.flush()
}

/// `value` as one line of JSON, escaped as [`json`] escapes.
pub fn json_line<T: serde::Serialize + ?Sized>(value: &T) -> String {
    // Room for a typical analysis (30–60 KB on one line) from the start: growing by doubling
    // copied it several times over.
    escaped_json(value, serde_json::ser::CompactFormatter, 64 * 1024)
        .unwrap_or_else(|e| format!("{{\"error\":\"serialization failed: {e}\"}}"))
}

/// `value` serialized with `formatter`'s layout and [`Escaping`]'s escapes into `out`.
fn write_escaped<T, W, F>(out: W, value: &T, formatter: F) -> std::io::Result<()>
where
    T: serde::Serialize + ?Sized,
    W: std::io::Write,
    F: serde_json::ser::Formatter,
{
    let mut ser = serde_json::Serializer::with_formatter(out, Escaping(formatter));
    value.serialize(&mut ser).map_err(std::io::Error::from)
}

/// [`write_escaped`] into a string of `capacity` to start with. Serializing plain data into
/// memory cannot fail; the callers still turn an error into an error object, never a panic.
fn escaped_json<T, F>(value: &T, formatter: F, capacity: usize) -> std::io::Result<String>
where
    T: serde::Serialize + ?Sized,
    F: serde_json::ser::Formatter,
{
    let mut out = Vec::with_capacity(capacity);
    write_escaped(&mut out, value, formatter)?;
    // serde_json and `Escaping` write UTF-8 only; the lossy path is never taken.
    Ok(String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// A serde_json formatter that also writes as `\uXXXX` every character of a string a terminal
/// would misshow (DEL, C1 controls, bidi overrides, invisible characters, line separators): in
/// the same pass as serde_json's own escaping of C0 controls, quotes and backslashes, with no
/// second scan or copy of the text. Layout is `F`'s.
struct Escaping<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for Escaping<F> {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        // ASCII is decided by its byte (a report is mostly ASCII); the rest by `needs_escape`.
        let bytes = fragment.as_bytes();
        // Whole words at a time for the common case: plain ASCII without DEL.
        if fragment.is_ascii() && memchr::memchr(0x7f, bytes).is_none() {
            return w.write_all(bytes);
        }
        let first = bytes.iter().position(|&b| b >= 0x7f).unwrap_or(bytes.len());
        let mut start = 0;
        for (i, c) in fragment[first..]
            .char_indices()
            .map(|(i, c)| (i + first, c))
        {
            let escape = if c.is_ascii() {
                c == '\x7f'
            } else {
                needs_escape(c)
            };
            if escape {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// A text report on its way to a writer: the text gathers in a buffer that goes out whenever it
/// passes 64 KiB, so the report is never whole in memory. The first write error is kept (later
/// writes then fail at once) and returned by [`Out::finish`].
pub(crate) struct Out<'w> {
    buf: String,
    w: &'w mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl<'w> Out<'w> {
    const CHUNK: usize = 64 * 1024;

    pub(crate) fn new(w: &'w mut dyn std::io::Write) -> Self {
        Out {
            buf: String::with_capacity(Self::CHUNK + 4096),
            w,
            error: None,
        }
    }

    fn send(&mut self) {
        if self.error.is_none()
            && let Err(e) = self.w.write_all(self.buf.as_bytes())
        {
            self.error = Some(e);
        }
        self.buf.clear();
    }

    /// Writes what is left and flushes.
    pub(crate) fn finish(mut self) -> std::io::Result<()> {
        self.send();
        match self.error.take() {
            Some(e) => Err(e),
            None => self.w.flush(),
        }
    }
}

impl std::fmt::Write for Out<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.error.is_some() {
            return Err(std::fmt::Error);
        }
        self.buf.push_str(s);
        if self.buf.len() >= Self::CHUNK {
            self.send();
        }
        Ok(())
    }
}

/// `text` cut to `max` characters with an ellipsis, for one-line views of long values.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((i, _)) => Cow::Owned(format!("{}…", &text[..i])),
    }
}

/// Alignment of one side (SPF or DKIM) in words that never contradict the steps: DMARC counts an
/// identifier only when its check passed *and* its domain aligns with the From domain.
pub fn alignment_words(side: &crate::analysis::AlignmentSide, what: &str) -> String {
    let shown = |c: &crate::analysis::AlignmentCandidate| {
        if c.result == AuthResult::Pass {
            c.domain.clone()
        } else {
            format!("{} ({})", c.domain, c.result)
        }
    };
    if side.aligned {
        let via: Vec<String> = side
            .candidates
            .iter()
            .filter(|c| c.aligned && c.result == AuthResult::Pass)
            .map(shown)
            .collect();
        return format!("{what} aligned ({})", via.join(", "));
    }
    let matching: Vec<String> = side
        .candidates
        .iter()
        .filter(|c| c.aligned)
        .map(shown)
        .collect();
    if !matching.is_empty() {
        return format!(
            "{what}: domain matches but did not pass ({})",
            matching.join(", ")
        );
    }
    if side.candidates.is_empty() {
        return format!("{what}: no passing identifier");
    }
    let others: Vec<String> = side.candidates.iter().map(shown).collect();
    format!("{what} not aligned ({})", others.join(", "))
}

/// Who a hop's client was, as the receiving server recorded it: its reverse-DNS name (when the
/// server looked one up), the IP, and the HELO name the client chose — labelled, since a HELO is
/// the client's own claim.
pub fn hop_client(h: &crate::analysis::Hop) -> String {
    let name = h.from_rdns.as_deref().or(h.from_host.as_deref());
    let mut out = match (name, h.from_ip.as_deref()) {
        (Some(n), Some(ip)) => format!("{n} [{ip}]"),
        (Some(n), None) => n.to_string(),
        (None, Some(ip)) => format!("[{ip}]"),
        (None, None) => "?".to_string(),
    };
    if let Some(helo) = h.helo.as_deref()
        && Some(helo) != name
    {
        out.push_str(&format!(" HELO {helo}"));
    }
    out
}

/// A hop's delay after the previous one, in human units (`+1 min 30 s`), or `—`.
pub fn hop_delay(h: &crate::analysis::Hop) -> String {
    match h.delay_seconds {
        Some(d) if d >= 0 => format!("+{}", crate::analysis::trail::received::human_duration(d)),
        Some(d) => crate::analysis::trail::received::human_duration(d),
        None => "—".into(),
    }
}

/// The author-side headers a ticket needs, in this order, when present.
pub const MESSAGE_FIELDS: [&str; 7] = [
    "From",
    "Sender",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
];

/// Makes control characters visible: ESC becomes `\x1b`, CR and LF `\r` and `\n`, other C0/C1
/// controls and DEL `\xNN`, bidi controls `\u{202e}`; tabs stay. Text that came from the message
/// goes through this before any output (the TUI's `sanitize` builds on it).
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(needs_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !needs_escape(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    (c.is_control() && c != '\t')
        // Directional formatting characters can reorder what a reader sees (Trojan Source).
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
        // Invisible characters leave ghost text (a domain that reads "paypal.com" but is not)
        // and line separators break a line where the screen does not expect it.
        || matches!(
            c,
            '\u{00ad}'
                | '\u{061c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{180e}'
                | '\u{200b}'..='\u{200d}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{2060}'..='\u{2064}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
        )
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

/// A glyph per verdict, readable without colour (one set for reports and the TUI).
pub fn result_glyph(result: AuthResult) -> &'static str {
    match result {
        AuthResult::Pass => "✓",
        AuthResult::Fail | AuthResult::PermError => "✗",
        AuthResult::SoftFail => "~",
        AuthResult::Neutral => "○",
        AuthResult::None => "–",
        AuthResult::TempError => "!",
        AuthResult::Policy => "?",
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{AlignmentCandidate, AlignmentSide};

    #[test]
    fn visible_escapes_controls_and_bidi_but_keeps_tabs_and_text() {
        assert_eq!(visible("a\x1b[31mb"), "a\\x1b[31mb");
        assert_eq!(visible("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(visible("tab\there é"), "tab\there é");
        assert!(matches!(visible("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn invisible_and_line_separator_characters_are_shown() {
        assert_eq!(visible("pay\u{200b}pal.com"), "pay\\u{200b}pal.com");
        assert_eq!(visible("a\u{2028}b\u{2029}c"), "a\\u{2028}b\\u{2029}c");
        assert_eq!(visible("\u{feff}x\u{00ad}y"), "\\u{feff}x\\xady");
        assert_eq!(visible("\u{3164}"), "\\u{3164}");
    }

    #[test]
    fn json_escapes_bidi_overrides_and_reads_back_the_same() {
        let mut a = Analysis::default();
        a.summary.verdict = "evil\u{202e}txt.exe\u{7f}".into();
        let text = json(&a);
        assert!(!text.contains('\u{202e}') && !text.contains('\u{7f}'));
        assert!(text.contains("\\u202e"));
        let back: Analysis = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(back.summary.verdict, a.summary.verdict);
    }

    #[test]
    fn clip_cuts_on_characters_with_an_ellipsis() {
        assert_eq!(clip("héllo wörld", 5), "héllo…");
        assert_eq!(clip("short", 10), "short");
    }

    fn candidate(domain: &str, aligned: bool, result: AuthResult) -> AlignmentCandidate {
        AlignmentCandidate {
            domain: domain.into(),
            aligned,
            result,
            ..Default::default()
        }
    }

    #[test]
    fn alignment_words_never_call_a_failed_matching_domain_unaligned() {
        let side = AlignmentSide {
            aligned: false,
            candidates: vec![candidate("example.org", true, AuthResult::TempError)],
            ..Default::default()
        };
        assert_eq!(
            alignment_words(&side, "SPF"),
            "SPF: domain matches but did not pass (example.org (temperror))"
        );
        let side = AlignmentSide {
            aligned: true,
            candidates: vec![candidate("example.com", true, AuthResult::Pass)],
            ..Default::default()
        };
        assert_eq!(alignment_words(&side, "DKIM"), "DKIM aligned (example.com)");
        let side = AlignmentSide::default();
        assert_eq!(
            alignment_words(&side, "DKIM"),
            "DKIM: no passing identifier"
        );
    }
}
