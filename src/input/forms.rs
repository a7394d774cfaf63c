//! Every form a message comes in, turned into the message(s) to analyse: a plain .eml, a header
//! section alone, a webmail "show original" page copied whole, a terminal paste (CR-only line
//! ends, every line break doubled), an mbox of several messages — and what is not an email at all
//! (an image, a PDF, an Outlook .msg, an empty file), refused with a message saying what it is.
//!
//! Each change made to the bytes is recorded (`InputPrep`) and shown in the report, so a reader
//! knows the analysed bytes are not byte for byte the file.

use crate::analysis::model::{InputChange, InputPrep, MboxPosition, SkippedText};

use super::{Input, LoadError};

/// One message ready for analysis.
#[derive(Debug, Clone)]
pub struct Message {
    /// The bytes to analyse (after the changes in `prep`).
    pub bytes: Vec<u8>,
    pub prep: InputPrep,
    /// Date, From and Subject, for a message list (the TUI's, `scan --format table`).
    pub listing: Listing,
}

/// What a message list shows of one message (encoded words decoded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub date: String,
    pub from: String,
    pub subject: String,
}

/// Turns the bytes of a file (or paste) into the messages it holds: one for a message file,
/// several for an mbox. An input that is not an email is an error saying what it looks like.
pub fn prepare(input: Input) -> Result<Vec<Message>, LoadError> {
    let Input { source, bytes } = input;
    if let Some(what) = not_an_email(&bytes) {
        return Err(LoadError {
            source,
            message: what,
        });
    }
    let mut changes = Vec::new();
    let bytes = strip_bom(bytes, &mut changes);
    let bytes = normalize_line_ends(bytes, &mut changes);
    let bytes = undouble_line_breaks(bytes, &mut changes);
    let parts = split_mbox(bytes, &mut changes);
    let count = parts.len();
    let mbox = parts.first().is_some_and(|p| p.from_separator);
    let mut out = Vec::with_capacity(count);
    for (i, part) in parts.into_iter().enumerate() {
        let mut prep = InputPrep {
            changes: changes.clone(),
            mbox: mbox.then_some(MboxPosition {
                number: i + 1,
                count,
            }),
            ..Default::default()
        };
        let mut bytes = part.bytes;
        if part.unquoted > 0 {
            prep.changes.push(InputChange {
                code: "mbox-from-unquoted".into(),
                note: format!(
                    "{} line(s) starting \">From \" read without their first \">\": the mbox \
                     format quotes body lines that start with \"From \" (mboxrd/mboxo).",
                    part.unquoted
                ),
            });
        }
        match message_start(&bytes) {
            Start::At(0) => {}
            Start::At(offset) => {
                let skipped = describe_skipped(&bytes[..offset]);
                bytes.drain(..offset);
                record_skip(&mut prep, skipped);
            }
            Start::NoHeaders if count == 1 => {
                return Err(LoadError {
                    source,
                    message: no_header_message(&bytes),
                });
            }
            Start::NoHeaders => {}
        }
        out.push(Message {
            listing: listing(&bytes),
            bytes,
            prep,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Not an email
// ---------------------------------------------------------------------------------------------

/// How to get the source of an Outlook .msg file, which holds Outlook's own properties, not the
/// message as it travelled.
const MSG_HINT: &str = "mailsleuth reads the Internet message source. In Outlook, open the \
message and use File → Properties → Internet headers (the header section), or \"View message \
source\" / save it as .eml (the whole message); or convert the file with `msgconvert FILE.msg` \
(Debian/Ubuntu package libemail-outlook-message-perl) and open the .eml it writes.";

/// What the bytes look like when they are plainly not an email, by their first bytes (file
/// magic), or None. Text without header fields is recognised later, after a webmail prefix had
/// its chance.
pub fn not_an_email(bytes: &[u8]) -> Option<String> {
    if bytes.is_empty() {
        return Some("the file is empty: there is no message to analyse".into());
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Some("the file holds only blank lines: there is no message to analyse".into());
    }
    const MAGIC: &[(&[u8], &str)] = &[
        (b"\x89PNG\r\n\x1a\n", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF87a", "a GIF image"),
        (b"GIF89a", "a GIF image"),
        (b"%PDF-", "a PDF document"),
        (
            b"PK\x03\x04",
            "a zip archive (or a .docx/.xlsx/.odt, which are zip files)",
        ),
        (b"PK\x05\x06", "an empty zip archive"),
        (b"\x1f\x8b", "gzip-compressed data (decompress it first)"),
        (b"BZh", "bzip2-compressed data (decompress it first)"),
        (b"\xfd7zXZ\x00", "xz-compressed data (decompress it first)"),
        (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
        (b"{\\rtf", "an RTF document"),
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
        (b"\x7fELF", "an executable (ELF)"),
    ];
    if bytes.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        return Some(format!(
            "looks like an Outlook .msg file (an OLE compound file), not an email source. \
             {MSG_HINT}"
        ));
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Some("looks like a WebP image, not an email".into());
    }
    if let Some((_, what)) = MAGIC.iter().find(|(m, _)| bytes.starts_with(m)) {
        return Some(format!("looks like {what}, not an email"));
    }
    if bytes.starts_with(b"\xff\xfe") || bytes.starts_with(b"\xfe\xff") {
        return Some(
            "is UTF-16 text, not an email as it travels (mail is 7-bit or UTF-8): save it as \
             UTF-8 or as .eml and open that"
                .into(),
        );
    }
    None
}

/// The message for input in which no header field could be found. (NUL bytes alone do not make
/// binary data: a body may carry `Content-Transfer-Encoding: binary` UTF-16 text.)
fn no_header_message(bytes: &[u8]) -> String {
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return "looks like binary data (it contains NUL bytes and no header field), not an \
                email"
            .into();
    }
    let first = lines(bytes)
        .map(|l| l.text)
        .find(|t| !t.iter().all(u8::is_ascii_whitespace))
        .unwrap_or_default();
    format!(
        "does not look like an email: no header field (\"Name: value\") was found at the start \
         or after any text above it (first line: \"{}\")",
        escape(first)
    )
}

// ---------------------------------------------------------------------------------------------
// Line ends
// ---------------------------------------------------------------------------------------------

fn strip_bom(mut bytes: Vec<u8>, changes: &mut Vec<InputChange>) -> Vec<u8> {
    if bytes.starts_with(b"\xef\xbb\xbf") {
        bytes.drain(..3);
        changes.push(InputChange {
            code: "bom".into(),
            note: "A UTF-8 byte order mark (EF BB BF) at the start was removed: editors add it, \
                   mail does not carry it."
                .into(),
        });
    }
    bytes
}

/// CR-only and mixed line ends become CRLF, the line end of mail (RFC 5322 §2.1): a terminal
/// paste sends CR, an old Mac file has CR, and copies mix them. Files with only LF (a saved
/// .eml on Unix) or only CRLF are left as they are: every step already reads both.
fn normalize_line_ends(bytes: Vec<u8>, changes: &mut Vec<InputChange>) -> Vec<u8> {
    let (mut crlf, mut lf, mut cr) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                crlf += 1;
                i += 1;
            }
            b'\r' => cr += 1,
            b'\n' => lf += 1,
            _ => {}
        }
        i += 1;
    }
    // A lone CR is a line end only where CR is how the lines end (as many as the others);
    // a stray one inside a CRLF or LF message is kept as the byte it is.
    let cr_ends_lines = cr > 0 && cr >= crlf + lf;
    if !cr_ends_lines && (crlf == 0 || lf == 0) {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len() + cr + lf);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 1;
            }
            b'\r' if !cr_ends_lines => out.push(b'\r'),
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    let note = if crlf == 0 && lf == 0 {
        format!(
            "Line ends are CR only ({cr} of them: a terminal paste or an old Mac file): each CR \
             was read as CRLF, the line end of mail, so the header split and DKIM see the \
             message as it was sent."
        )
    } else if cr_ends_lines {
        format!(
            "Line ends were mixed ({crlf} CRLF, {lf} LF, {cr} CR alone): all were read as CRLF, \
             the line end of mail, so the header split and DKIM see one kind."
        )
    } else {
        format!(
            "Line ends were mixed ({crlf} CRLF, {lf} LF): the LF ones were read as CRLF, the \
             line end of mail, so the header split and DKIM see one kind."
        )
    };
    changes.push(InputChange {
        code: "line-endings".into(),
        note,
    });
    out
}

/// One line: its text without the line break, and where it starts and ends (after the break).
#[derive(Clone, Copy)]
struct Line<'a> {
    text: &'a [u8],
    start: usize,
    end: usize,
}

fn lines(bytes: &[u8]) -> impl Iterator<Item = Line<'_>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let start = pos;
        let end = bytes[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |p| pos + p + 1);
        pos = end;
        let mut text = &bytes[start..end];
        text = text.strip_suffix(b"\n").unwrap_or(text);
        text = text.strip_suffix(b"\r").unwrap_or(text);
        Some(Line { text, start, end })
    })
}

/// `Name:` with an RFC 5322 field name (printable ASCII, no colon, no space).
fn is_field_line(text: &[u8]) -> bool {
    match text.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => text[..colon]
            .iter()
            .all(|&b| (33..=126).contains(&b) && b != b':'),
        _ => false,
    }
}

/// The field name of a `Name:` line, lower case (empty for other lines).
fn field_name(text: &[u8]) -> String {
    match text.iter().position(|&b| b == b':') {
        Some(colon) if is_field_line(text) => {
            String::from_utf8_lossy(&text[..colon]).to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// Header lines (fields or continuations) that must each be followed by an empty line before
/// a paste is taken for doubled.
const DOUBLED_FIELDS: usize = 5;

/// The author's fields every message has one of.
const CORE_NAMES: &[&str] = &["from", "to", "subject", "date", "message-id"];

fn is_continuation(text: &[u8]) -> bool {
    matches!(text.first(), Some(b' ' | b'\t'))
}

/// A terminal paste can double every line break (each header line followed by an empty line),
/// which would end the header section after its first field. Recognised when, from the first
/// header field on, the next lines alternate field (or folded continuation) and empty line at
/// least three times, and no two text lines touch in the first 60 lines: then every run of `n`
/// line breaks was `n / 2` of them.
fn undouble_line_breaks(bytes: Vec<u8>, changes: &mut Vec<InputChange>) -> Vec<u8> {
    let head: Vec<Line<'_>> = lines(&bytes).take(400).collect();
    let Some(k) = head.iter().position(|l| is_field_line(l.text)) else {
        return bytes;
    };
    let window = &head[k..head.len().min(k + 60)];
    let alternates = window.len() >= 2 * DOUBLED_FIELDS
        && window
            .iter()
            .take(2 * DOUBLED_FIELDS)
            .enumerate()
            .all(|(i, l)| {
                if i % 2 == 1 {
                    l.text.is_empty()
                } else {
                    is_field_line(l.text) || is_continuation(l.text)
                }
            });
    // A message's own fields among them, not a run of MIME part headers.
    let known = window.iter().step_by(2).any(|l| {
        let name = field_name(l.text);
        TRACE_NAMES.contains(&name.as_str()) || CORE_NAMES.contains(&name.as_str())
    });
    let touching = window
        .windows(2)
        .any(|w| !w[0].text.is_empty() && !w[1].text.is_empty());
    if !alternates || touching || !known {
        return bytes;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut run: Vec<&[u8]> = Vec::new();
    let flush = |run: &mut Vec<&[u8]>, out: &mut Vec<u8>| {
        // A run of n breaks (the one ending a text line, then n-1 empty lines) was n/2.
        let keep = run.len().div_ceil(2);
        for brk in run.drain(..).take(keep) {
            out.extend_from_slice(brk);
        }
    };
    for line in lines(&bytes) {
        let brk = &bytes[line.start + line.text.len()..line.end];
        if !line.text.is_empty() {
            flush(&mut run, &mut out);
            out.extend_from_slice(line.text);
        }
        if !brk.is_empty() {
            run.push(brk);
        }
    }
    flush(&mut run, &mut out);
    changes.push(InputChange {
        code: "doubled-line-breaks".into(),
        note: format!(
            "Every line break was doubled (each line followed by an empty line, as some terminal \
             pastes do): each pair was read as one, so the header section no longer ends after \
             its first field ({} bytes before, {} after).",
            bytes.len(),
            out.len()
        ),
    });
    out
}

// ---------------------------------------------------------------------------------------------
// mbox
// ---------------------------------------------------------------------------------------------

struct Part {
    bytes: Vec<u8>,
    /// True when the part followed an mbox `From ` separator line.
    from_separator: bool,
    /// Lines `>From ` unquoted.
    unquoted: usize,
}

/// An mbox separator: `From ` then the envelope sender and a date (`From MAILER-DAEMON Fri Jul
/// 8 12:08:34 2011`, Thunderbird's `From - Fri …`). A `From:` header field in obsolete syntax
/// (`From : x`) is not one, and neither is a line without a time in it.
fn is_separator(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"From ") else {
        return false;
    };
    let after_ws = rest.iter().find(|&&b| b != b' ' && b != b'\t');
    let has_time = rest.windows(5).any(|w| {
        w[0].is_ascii_digit()
            && w[1].is_ascii_digit()
            && w[2] == b':'
            && w[3].is_ascii_digit()
            && w[4].is_ascii_digit()
    });
    after_ws.is_some_and(|&b| b != b':') && has_time
}

/// Splits an mbox on its `From ` separator lines (the first non-blank line must be one; later
/// ones must follow an empty line, as the format writes them). Anything else is one part.
fn split_mbox(bytes: Vec<u8>, changes: &mut Vec<InputChange>) -> Vec<Part> {
    let first = lines(&bytes).find(|l| !l.text.is_empty());
    if !first.is_some_and(|l| is_separator(l.text)) {
        return vec![Part {
            bytes,
            from_separator: false,
            unquoted: 0,
        }];
    }
    let mut starts: Vec<(usize, usize)> = Vec::new(); // (separator start, message start)
    let mut prev_empty = true;
    for l in lines(&bytes) {
        if prev_empty && is_separator(l.text) {
            starts.push((l.start, l.end));
        }
        prev_empty = l.text.is_empty();
    }
    let mut parts = Vec::with_capacity(starts.len());
    for (i, &(_, begin)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(bytes.len(), |&(sep, _)| sep);
        let mut text = &bytes[begin..end];
        // The empty line that precedes the next separator belongs to the mbox, not the message.
        if i + 1 < starts.len() {
            text = text
                .strip_suffix(b"\r\n")
                .or_else(|| text.strip_suffix(b"\n"))
                .unwrap_or(text);
        }
        let (bytes, unquoted) = unquote_from(text);
        parts.push(Part {
            bytes,
            from_separator: true,
            unquoted,
        });
    }
    changes.push(InputChange {
        code: "mbox-separator".into(),
        note: format!(
            "The input is an mbox: {} message(s), each after a \"From \" separator line, which \
             is mbox bookkeeping and was not read as part of the message.",
            starts.len()
        ),
    });
    parts
}

/// mboxrd/mboxo quoting: a line `>From ` (or `>>From `…) loses one `>`.
fn unquote_from(text: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(text.len());
    let mut count = 0;
    for l in lines(text) {
        let line = &text[l.start..l.end];
        let quotes = line.iter().take_while(|&&b| b == b'>').count();
        if quotes > 0 && line[quotes..].starts_with(b"From ") {
            out.extend_from_slice(&line[1..]);
            count += 1;
        } else {
            out.extend_from_slice(line);
        }
    }
    (out, count)
}

// ---------------------------------------------------------------------------------------------
// Where the message starts
// ---------------------------------------------------------------------------------------------

enum Start {
    At(usize),
    NoHeaders,
}

/// Header names that mark a real header section, not a box of page text that happens to look
/// like fields (Gmail's "From:/To:/Subject:/SPF:/DKIM:" summary above the source).
const TRACE_NAMES: &[&str] = &[
    "received",
    "return-path",
    "delivered-to",
    "x-received",
    "dkim-signature",
    "authentication-results",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "received-spf",
    "x-original-to",
];

/// Where the message's header section starts: at once when the first line is a header field
/// (a normal message is never cut); otherwise at the first line from which a run of header
/// fields follows up to the end of the header section, at least two of them, with a trace field
/// or both From and Date/Message-ID among them. Text with a header field only further down
/// (a damaged first line) starts at 0 and is read with its errors.
fn message_start(bytes: &[u8]) -> Start {
    let head: Vec<Line<'_>> = lines(bytes).take(2000).collect();
    match head.first() {
        Some(l) if is_field_line(l.text) => return Start::At(0),
        _ => {}
    }
    for (i, l) in head.iter().enumerate() {
        if is_field_line(l.text) && header_block_at(&head[i..]) {
            return Start::At(l.start);
        }
    }
    // No clean header section; a field before the first empty line still makes a (damaged)
    // message, as the header split reads it.
    let any_field = head
        .iter()
        .skip_while(|l| l.text.is_empty())
        .take_while(|l| !l.text.is_empty())
        .take(50)
        .any(|l| is_field_line(l.text));
    if any_field || head.first().is_some_and(|l| is_separator(l.text)) {
        Start::At(0)
    } else {
        Start::NoHeaders
    }
}

/// Whether `lines` opens a header section: fields and continuations up to an empty line (or
/// the end), at least two fields, including a trace field or From with Date or Message-ID.
fn header_block_at(lines: &[Line<'_>]) -> bool {
    let mut names: Vec<String> = Vec::new();
    for l in lines {
        if l.text.is_empty() {
            break;
        }
        if is_field_line(l.text) {
            names.push(field_name(l.text));
        } else if !is_continuation(l.text) {
            return false;
        }
    }
    let has = |n: &str| names.iter().any(|x| x == n);
    names.len() >= 2
        && (names.iter().any(|n| TRACE_NAMES.contains(&n.as_str()))
            || (has("from") && (has("date") || has("message-id"))))
}

fn describe_skipped(prefix: &[u8]) -> SkippedText {
    let all = lines(prefix).count();
    SkippedText {
        bytes: prefix.len(),
        lines: all,
        first_line: lines(prefix)
            .map(|l| l.text)
            .find(|t| !t.iter().all(u8::is_ascii_whitespace))
            .map(escape)
            .unwrap_or_default(),
    }
}

/// Blank lines alone are an input change; text is a warning the reader must see.
fn record_skip(prep: &mut InputPrep, skipped: SkippedText) {
    if skipped.first_line.is_empty() {
        prep.changes.push(InputChange {
            code: "leading-blank-lines".into(),
            note: format!(
                "{} blank line(s) before the first header field were skipped.",
                skipped.lines
            ),
        });
    } else {
        prep.skipped = Some(skipped);
    }
}

/// A line as printable text: control characters escaped, at most 80 characters.
fn escape(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    let mut out: String = s.chars().take(80).flat_map(char::escape_debug).collect();
    if s.chars().count() > 80 {
        out.push('…');
    }
    out
}

fn listing(bytes: &[u8]) -> Listing {
    let Some(m) = mail_parser::MessageParser::default().parse_headers(bytes) else {
        return Listing::default();
    };
    let from = m
        .from()
        .and_then(|a| a.first())
        .map(|a| match (a.name(), a.address()) {
            (Some(n), Some(addr)) => format!("{n} <{addr}>"),
            (None, Some(addr)) => addr.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .unwrap_or_default();
    Listing {
        date: m.date().map(|d| d.to_rfc3339()).unwrap_or_default(),
        from,
        subject: m.subject().unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(bytes: &[u8]) -> Result<Vec<Message>, LoadError> {
        prepare(Input {
            source: "t".into(),
            bytes: bytes.to_vec(),
        })
    }

    fn one(bytes: &[u8]) -> Message {
        let mut m = prep(bytes).expect("a message");
        assert_eq!(m.len(), 1);
        m.remove(0)
    }

    const PLAIN: &[u8] =
        b"Received: from a.example.org by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\n\
From: a@example.org\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n";

    #[test]
    fn a_plain_message_is_left_as_it_is() {
        let m = one(PLAIN);
        assert_eq!(m.bytes, PLAIN);
        assert_eq!(m.prep, InputPrep::default());
        assert_eq!(m.listing.from, "a@example.org");
    }

    #[test]
    fn lf_only_files_are_not_rewritten() {
        let lf: Vec<u8> = String::from_utf8_lossy(PLAIN)
            .replace("\r\n", "\n")
            .into_bytes();
        let m = one(&lf);
        assert_eq!(m.bytes, lf);
        assert!(m.prep.changes.is_empty());
    }

    #[test]
    fn a_stray_cr_is_kept_but_cr_line_ends_are_converted() {
        let stray = b"From: a@example.org\r\nSubject: a\rb\r\nTo: b@example.net\r\n\r\nx\r\n";
        assert_eq!(one(stray).bytes, stray);
        let cr = b"From: a@example.org\rSubject: a\r\rx\r";
        let m = one(cr);
        assert_eq!(m.bytes, b"From: a@example.org\r\nSubject: a\r\n\r\nx\r\n");
        assert_eq!(m.prep.changes[0].code, "line-endings");
    }

    #[test]
    fn a_page_box_that_looks_like_fields_is_not_the_message() {
        // Gmail's summary: From/To/Subject lines, then page text: not a header section.
        let mut page = b"Original message\nFrom:\tAlice <a@example.org>\nTo:\tb@example.net\n\
Subject:\thi\nDownload Original\n\n"
            .to_vec();
        page.extend_from_slice(PLAIN);
        let m = one(&page);
        assert_eq!(m.bytes, PLAIN);
        let s = m.prep.skipped.expect("skipped");
        assert_eq!((s.lines, s.first_line.as_str()), (6, "Original message"));
    }

    #[test]
    fn leading_blank_lines_are_a_change_not_a_warning() {
        let mut raw = b"\r\n\r\n".to_vec();
        raw.extend_from_slice(PLAIN);
        let m = one(&raw);
        assert_eq!(m.bytes, PLAIN);
        assert!(m.prep.skipped.is_none());
        assert_eq!(m.prep.changes[0].code, "leading-blank-lines");
    }

    #[test]
    fn skipped_first_line_is_escaped() {
        let mut raw = b"\x1b[31mred page\x07\n".to_vec();
        raw.extend_from_slice(PLAIN);
        let s = one(&raw).prep.skipped.expect("skipped");
        assert_eq!(s.first_line, "\\u{1b}[31mred page\\u{7}");
    }

    #[test]
    fn a_damaged_first_line_before_real_fields_is_kept_for_the_split() {
        let raw = b"garbage first line\nFrom: a@example.com\n\nbody";
        assert_eq!(one(raw).bytes, raw);
    }

    #[test]
    fn doubling_is_undone_only_when_every_break_is_doubled() {
        let long =
            b"Received: from a.example.org by mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\n\
\tfor <b@example.net>\r\nFrom: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\
Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nbody\r\n\r\nmore\r\n";
        let doubled = String::from_utf8_lossy(long).replace("\r\n", "\r\n\r\n");
        assert_eq!(one(doubled.as_bytes()).bytes, long);
        // Too few fields to tell a doubled paste from short MIME parts: left alone.
        let short = String::from_utf8_lossy(PLAIN).replace("\r\n", "\r\n\r\n");
        assert_eq!(one(short.as_bytes()).bytes, short.as_bytes());
        // One header and a body of paragraphs: not a doubled paste.
        let prose = b"Subject: x\n\nPara one.\n\nPara two.\n\nPara three.\n";
        assert_eq!(one(prose).bytes, prose);
        // Nested message/rfc822 parts of one field each (mail-parser's malformed/010.eml).
        let nested = b"Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n\
Content-Type: message/rfc822\n\nContent-Type: text/plain\n\nContent-Type: text/plain\n\n1\n";
        assert_eq!(one(nested).bytes, nested);
    }

    #[test]
    fn mbox_separators_need_a_time_and_a_blank_line_before() {
        assert!(is_separator(b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011"));
        assert!(is_separator(b"From - Fri Dec 04 10:00:00 2026"));
        assert!(!is_separator(b"From : CEO <ceo@bank.example> 10:00"));
        assert!(!is_separator(b"From here on we talk"));
        let mbox = b"From a@example.org Mon Nov  2 10:00:00 2026\nFrom: a@example.org\n\n\
text\nFrom b@example.org Mon Nov  2 10:01:00 2026 without a blank line\n";
        let m = one(mbox);
        assert_eq!(
            m.prep.mbox,
            Some(MboxPosition {
                number: 1,
                count: 1
            })
        );
        assert!(m.bytes.ends_with(b"without a blank line\n"));
    }

    #[test]
    fn mboxrd_quoting_loses_one_level() {
        let (out, n) = unquote_from(b">From a\n>>From b\n> From c\n");
        assert_eq!(out, b"From a\n>From b\n> From c\n");
        assert_eq!(n, 2);
    }

    #[test]
    fn not_an_email_says_what_it_looks_like() {
        let said = |b: &[u8]| not_an_email(b).unwrap_or_default();
        assert!(said(b"").contains("empty"));
        assert!(said(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\0\0").contains(".msg"));
        assert!(said(b"\x89PNG\r\n\x1a\n").contains("PNG"));
        assert!(said(b"%PDF-1.4").contains("PDF"));
        assert!(said(b"PK\x03\x04").contains("zip"));
        assert!(said(b"RIFF\0\0\0\0WEBPVP8 ").contains("WebP"));
        assert_eq!(not_an_email(PLAIN), None);
        // NUL bytes in a body (binary transfer encoding) do not make a message binary data.
        let mut nul_body = PLAIN.to_vec();
        nul_body.extend_from_slice(b"T\0e\0s\0t\0\r\n");
        assert_eq!(one(&nul_body).bytes, nul_body);
        let e = prep(b"\x01\x02\0\0garbage\n").unwrap_err();
        assert!(e.message.contains("binary"), "{}", e.message);
        let e = prep(b"hello\nworld\n").unwrap_err();
        assert!(e.message.contains("no header field"), "{}", e.message);
    }

    #[test]
    fn random_bytes_never_panic() {
        use crate::test_support::random_sequences;
        let alphabet: &[u8] = b"From: a@b.example\r\n>\t:\x00\xff 12:34";
        for raw in random_sequences(alphabet, 0x5eed_f00d, 2000, 120) {
            let _ = prep(&raw);
        }
    }
}

/// Real mail from `../shared/realworld/` (read, never copied): every file is read without a
/// panic, and the forms found there by reading them are recognised.
#[cfg(test)]
mod realworld {
    use super::*;

    fn root() -> Option<std::path::PathBuf> {
        crate::test_support::shared_dir("realworld")
    }

    fn read(root: &std::path::Path, rel: &str) -> Vec<Message> {
        let bytes = std::fs::read(root.join(rel)).expect(rel);
        prepare(Input {
            source: rel.into(),
            bytes,
        })
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn real_mail_reads_as_what_it_is() {
        let Some(root) = root() else { return };
        let mut count = 0;
        for dir in ["rspamd", "mail-parser", "mail-dkim"] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if let Ok(bytes) = std::fs::read(&p) {
                        let _ = prepare(Input {
                            source: p.display().to_string(),
                            bytes,
                        });
                        count += 1;
                    }
                }
            }
        }
        assert!(count > 100, "{count} files");
        // Read by hand: a Return-Path/Received section with no empty line and no body.
        let rcvd7 = read(&root, "rspamd/rcvd7.eml");
        let split = crate::analysis::trail::headers::split_headers(&rcvd7[0].bytes);
        assert_eq!(split.body_offset, None, "headers only");
        assert!(split.headers.iter().any(|h| h.name == "Received"));
        assert_eq!(
            rcvd7[0].bytes.len(),
            std::fs::read(root.join("rspamd/rcvd7.eml")).unwrap().len()
        );
        // A UTF-16 part in `binary` transfer encoding carries NUL bytes: still an email.
        assert_eq!(read(&root, "mail-parser/thirdparty/005.eml").len(), 1);
        // Nested message/rfc822 parts of one field each: not a doubled paste.
        let nested = read(&root, "mail-parser/malformed/010.eml");
        assert!(nested[0].prep.changes.is_empty(), "{:?}", nested[0].prep);
        // Its licence text is not an email.
        let licence = std::fs::read(root.join("mail-parser/thirdparty/COPYING")).unwrap();
        assert!(
            prepare(Input {
                source: "COPYING".into(),
                bytes: licence
            })
            .is_err()
        );
    }
}
