//! What a scan writes: one JSON line per message (`jsonl`), one table row per message
//! (`table`), or counts at the end (`summary`). Lines come out in input order (a message that
//! finishes early waits for the ones before it), each written whole, so an interrupted run
//! leaves complete lines only.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::analysis::model::AuthResult;
use crate::input::Listing;
use crate::report::{clip, visible};

/// The output format of `scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Table,
    Summary,
}

/// One message of the run, analysed or not.
#[derive(Debug)]
pub struct Done {
    /// Position in the input (the order lines are written in).
    pub seq: u64,
    pub source: String,
    /// The message's number in its file, from 1 (as `report --message N`); None when the file
    /// as a whole could not be read or is not an email.
    pub index: Option<usize>,
    pub result: Result<Analysed, String>,
}

/// What the writer needs of an analysis: its row, and its JSON line for `jsonl`.
#[derive(Debug)]
pub struct Analysed {
    pub row: Row,
    pub json: Option<String>,
}

/// One message's line of the table and its share of the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub verdict: String,
    pub date: String,
    pub from: String,
    pub subject: String,
    pub client_ip: Option<String>,
    pub from_domain: Option<String>,
    /// Checks that did not pass nor come out none/neutral, e.g. `SPF MAIL FROM softfail`.
    pub failing: Vec<String>,
}

impl Row {
    pub fn of(a: &Analysis, listing: &Listing) -> Row {
        Row {
            verdict: verdict_label(a),
            date: short_date(&listing.date),
            from: listing.from.clone(),
            subject: listing.subject.clone(),
            client_ip: a.envelope.client_ip.clone(),
            from_domain: a.alignment.from_domain.clone(),
            failing: failing_checks(a),
        }
    }
}

/// The verdict in a few words, for a table cell and the counts: the DMARC result, and on a
/// failure what a receiver following the policy does with the message.
pub fn verdict_label(a: &Analysis) -> String {
    let dmarc = &a.dmarc;
    match (dmarc.result, dmarc.disposition.as_deref()) {
        (AuthResult::Fail, Some(d)) if d != "none" => format!("dmarc fail → {d}"),
        (result, _) => format!("dmarc {}", result.as_str()),
    }
}

fn failing(result: AuthResult) -> bool {
    matches!(
        result,
        AuthResult::Fail | AuthResult::SoftFail | AuthResult::TempError | AuthResult::PermError
    )
}

/// The checks of one message that failed or errored, each named once.
fn failing_checks(a: &Analysis) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |name: &str, result: AuthResult| {
        let label = format!("{name} {}", result.as_str());
        if failing(result) && !out.contains(&label) {
            out.push(label);
        }
    };
    push("SPF MAIL FROM", a.spf.mail_from.result);
    push("SPF HELO", a.spf.helo.result);
    for d in &a.dkim {
        push("DKIM", d.result);
    }
    push("ARC", a.arc.result);
    push("DMARC", a.dmarc.result);
    out
}

/// `2026-10-06T12:03:54Z` from the listing's RFC 3339 date (any offset), or the text as it is.
fn short_date(date: &str) -> String {
    listing_time(date)
        .map(crate::input::rfc3339)
        .unwrap_or_else(|| date.to_string())
}

/// The listing's RFC 3339 date as unix seconds (None when it has none or it is not valid).
pub fn listing_time(date: &str) -> Option<i64> {
    mail_parser::DateTime::parse_rfc3339(date)
        .filter(|d| d.is_valid())
        .map(|d| d.to_timestamp())
}

#[derive(Serialize)]
struct Line<'a> {
    source: &'a str,
    index: Option<usize>,
    analysis: &'a Analysis,
}

#[derive(Serialize)]
struct ErrorLine<'a> {
    source: &'a str,
    index: Option<usize>,
    error: &'a str,
}

/// The JSONL line of an analysed message: `{"source", "index", "analysis"}`, where `analysis`
/// is exactly what `report --format json` prints for it (on one line).
pub fn json_line(source: &str, index: Option<usize>, analysis: &Analysis) -> String {
    crate::report::json_line(&Line {
        source,
        index,
        analysis,
    })
}

fn error_line(source: &str, index: Option<usize>, error: &str) -> String {
    crate::report::json_line(&ErrorLine {
        source,
        index,
        error,
    })
}

/// `source#index` (just `source` for a whole file).
pub fn message_name(source: &str, index: Option<usize>) -> String {
    match index {
        Some(i) => format!("{source}#{i}"),
        None => source.to_string(),
    }
}

const TABLE_WIDTHS: [usize; 4] = [40, 20, 32, 40];

/// A table cell: made visible, cut to `width` (long paths keep their end), padded.
fn cell(text: &str, width: usize, keep_end: bool) -> String {
    let text = visible(text);
    let count = text.chars().count();
    let cut = if count <= width {
        text.into_owned()
    } else if keep_end {
        let tail: String = text.chars().skip(count - (width - 1)).collect();
        format!("…{tail}")
    } else {
        clip(&text, width - 1).into_owned()
    };
    let pad = width.saturating_sub(cut.chars().count());
    format!("{cut}{}", " ".repeat(pad))
}

fn table_header() -> String {
    let [m, d, f, s] = TABLE_WIDTHS;
    format!(
        "{}  {}  {}  {}  VERDICT",
        cell("MESSAGE", m, false),
        cell("DATE", d, false),
        cell("FROM", f, false),
        cell("SUBJECT", s, false)
    )
}

fn table_row(name: &str, row: &Row) -> String {
    let [m, d, f, s] = TABLE_WIDTHS;
    format!(
        "{}  {}  {}  {}  {}",
        cell(name, m, true),
        cell(&row.date, d, false),
        cell(&row.from, f, false),
        cell(&row.subject, s, false),
        row.verdict
    )
}

/// Counts for the summary.
#[derive(Debug, Default)]
pub struct Tally {
    pub analysed: usize,
    pub errors: usize,
    verdicts: BTreeMap<String, usize>,
    ips: HashMap<String, usize>,
    domains: HashMap<String, usize>,
    failing: HashMap<String, usize>,
}

impl Tally {
    fn add(&mut self, done: &Done) {
        let row = match &done.result {
            Ok(a) => &a.row,
            Err(_) => {
                self.errors += 1;
                return;
            }
        };
        self.analysed += 1;
        *self.verdicts.entry(row.verdict.clone()).or_default() += 1;
        let count = |map: &mut HashMap<String, usize>, key: &str| {
            *map.entry(key.to_string()).or_default() += 1;
        };
        count(&mut self.ips, row.client_ip.as_deref().unwrap_or("(none)"));
        count(
            &mut self.domains,
            row.from_domain.as_deref().unwrap_or("(none)"),
        );
        for f in &row.failing {
            count(&mut self.failing, f);
        }
    }

    /// The summary text: counts by verdict, then the `top` most frequent sending IPs, From
    /// domains and failing checks.
    pub fn render(&self, top: usize, interrupted: bool) -> String {
        let mut out = format!(
            "mailsleuth scan: {} message(s) analysed, {} error(s){}\n",
            self.analysed,
            self.errors,
            if interrupted { " (interrupted)" } else { "" }
        );
        let mut verdicts: Vec<(&String, &usize)> = self.verdicts.iter().collect();
        verdicts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        section(&mut out, "verdicts", verdicts.into_iter(), usize::MAX);
        section(&mut out, "top sending IPs", ranked(&self.ips), top);
        section(&mut out, "top From domains", ranked(&self.domains), top);
        section(&mut out, "top failing checks", ranked(&self.failing), top);
        out
    }
}

fn ranked(map: &HashMap<String, usize>) -> impl Iterator<Item = (&String, &usize)> {
    let mut v: Vec<(&String, &usize)> = map.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    v.into_iter()
}

fn section<'a>(
    out: &mut String,
    title: &str,
    rows: impl Iterator<Item = (&'a String, &'a usize)>,
    top: usize,
) {
    out.push_str(&format!("\n{title}\n"));
    let mut any = false;
    for (name, n) in rows.take(top) {
        out.push_str(&format!("{n:>8}  {}\n", visible(name)));
        any = true;
    }
    if !any {
        out.push_str("       —\n");
    }
}

/// Writes what is done, in input order.
pub struct Writer<'w> {
    format: Format,
    out: &'w mut dyn Write,
    next: u64,
    waiting: BTreeMap<u64, Done>,
    pub tally: Tally,
    /// Drawn around every write, so lines and the progress bar do not tear each other.
    progress: indicatif::ProgressBar,
}

impl<'w> Writer<'w> {
    pub fn new(format: Format, out: &'w mut dyn Write, progress: indicatif::ProgressBar) -> Self {
        Writer {
            format,
            out,
            next: 0,
            waiting: BTreeMap::new(),
            tally: Tally::default(),
            progress,
        }
    }

    /// The table's header line (nothing for the other formats).
    pub fn start(&mut self) -> std::io::Result<()> {
        match self.format {
            Format::Table => self.emit(&table_header()),
            _ => Ok(()),
        }
    }

    /// Takes a finished message; writes it and any after it that were waiting for it.
    pub fn push(&mut self, done: Done) -> std::io::Result<()> {
        self.progress.inc(1);
        self.waiting.insert(done.seq, done);
        while let Some(done) = self.waiting.remove(&self.next) {
            self.next += 1;
            self.write(&done)?;
        }
        Ok(())
    }

    /// How many finished messages wait for one before them.
    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Writes every message still waiting (after an interruption: some before them never came).
    pub fn flush_waiting(&mut self) -> std::io::Result<()> {
        while let Some((_, done)) = self.waiting.pop_first() {
            self.write(&done)?;
        }
        self.out.flush()
    }

    /// The summary (for `summary`), after the last message.
    pub fn finish(&mut self, top: usize, interrupted: bool) -> std::io::Result<()> {
        if self.format == Format::Summary {
            let text = self.tally.render(top, interrupted);
            self.emit(text.trim_end())?;
        }
        self.out.flush()
    }

    fn write(&mut self, done: &Done) -> std::io::Result<()> {
        self.tally.add(done);
        let name = message_name(&done.source, done.index);
        let line = match (&done.result, self.format) {
            (Ok(a), Format::Jsonl) => a.json.clone().unwrap_or_default(),
            (Ok(a), Format::Table) => table_row(&name, &a.row),
            (Ok(_), Format::Summary) => return Ok(()),
            (Err(e), Format::Jsonl) => error_line(&done.source, done.index, e),
            (Err(e), Format::Table) => format!(
                "{}  error: {}",
                cell(&name, TABLE_WIDTHS[0], true),
                visible(e)
            ),
            (Err(e), Format::Summary) => {
                // The summary is counts; each error is named on stderr.
                let line = format!("mailsleuth: {}: {}", visible(&name), visible(e));
                self.progress.suspend(|| eprintln!("{line}"));
                return Ok(());
            }
        };
        self.emit(&line)
    }

    /// One whole line, in one write.
    fn emit(&mut self, line: &str) -> std::io::Result<()> {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let out = &mut self.out;
        self.progress.suspend(|| out.write_all(&bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn done(seq: u64, result: Result<Analysed, String>) -> Done {
        Done {
            seq,
            source: format!("m{seq}.eml"),
            index: Some(1),
            result,
        }
    }

    fn row(verdict: &str, ip: &str) -> Result<Analysed, String> {
        Ok(Analysed {
            row: Row {
                verdict: verdict.into(),
                date: "2026-10-06T12:03:54Z".into(),
                from: "a@example.com".into(),
                subject: "hi\x1b[31m".into(),
                client_ip: Some(ip.into()),
                from_domain: Some("example.com".into()),
                failing: vec!["DMARC fail".into()],
            },
            json: None,
        })
    }

    fn written(format: Format, items: Vec<Done>) -> String {
        let mut buf = Vec::new();
        let mut w = Writer::new(format, &mut buf, indicatif::ProgressBar::hidden());
        w.start().unwrap();
        for d in items {
            w.push(d).unwrap();
        }
        w.flush_waiting().unwrap();
        w.finish(5, false).unwrap();
        drop(w);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn lines_come_out_in_input_order() {
        let out = written(
            Format::Jsonl,
            vec![done(1, Err("b".into())), done(0, Err("a".into()))],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                r#"{"source":"m0.eml","index":1,"error":"a"}"#,
                r#"{"source":"m1.eml","index":1,"error":"b"}"#
            ]
        );
    }

    #[test]
    fn table_cells_are_visible_and_paths_keep_their_end() {
        let out = written(Format::Table, vec![done(0, row("dmarc pass", "192.0.2.1"))]);
        let row = out.lines().nth(1).unwrap();
        assert!(row.starts_with("m0.eml#1 "), "{row}");
        assert!(
            row.contains("hi\\x1b[31m") || row.contains("hi\\u{1b}[31m"),
            "{row}"
        );
        assert!(row.ends_with("  dmarc pass"), "{row}");
        assert_eq!(cell("abcdef", 4, true), "…def");
        assert_eq!(cell("ab", 4, false), "ab  ");
    }

    #[test]
    fn the_summary_counts_verdicts_and_ranks_ips() {
        let out = written(
            Format::Summary,
            vec![
                done(0, row("dmarc pass", "192.0.2.1")),
                done(1, row("dmarc fail → reject", "198.51.100.7")),
                done(2, row("dmarc fail → reject", "198.51.100.7")),
                done(3, Err("not an email".into())),
            ],
        );
        assert!(
            out.starts_with("mailsleuth scan: 3 message(s) analysed, 1 error(s)\n"),
            "{out}"
        );
        let verdicts = out.split("\n\n").nth(1).unwrap();
        assert_eq!(
            verdicts,
            "verdicts\n       2  dmarc fail → reject\n       1  dmarc pass"
        );
        let ips = out.split("\n\n").nth(2).unwrap();
        assert_eq!(
            ips,
            "top sending IPs\n       2  198.51.100.7\n       1  192.0.2.1"
        );
        assert!(
            out.contains("top failing checks\n       3  DMARC fail"),
            "{out}"
        );
    }
}
