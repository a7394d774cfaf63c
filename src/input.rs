//! Reading the raw message: a file, stdin, or text pasted into the TUI. The bytes are read once
//! and then only borrowed by the analysis.

use std::io::Read;
use std::path::Path;

/// A loaded message: its bytes and where they came from (`path`, `-` or `paste`).
#[derive(Debug, Clone)]
pub struct Input {
    pub source: String,
    pub bytes: Vec<u8>,
}

/// Why a message could not be read.
#[derive(Debug)]
pub struct LoadError {
    pub source: String,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Names and messages reach a terminal: escaped like every other untrusted text.
        write!(
            f,
            "{}: {}",
            crate::report::visible(&self.source),
            crate::report::visible(&self.message)
        )
    }
}

impl std::error::Error for LoadError {}

/// Reads `path`, or stdin when it is `-`.
pub fn load(path: &str) -> Result<Input, LoadError> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .map_err(|e| LoadError {
                source: "<stdin>".into(),
                message: format!("cannot read standard input: {e}"),
            })?;
        return Ok(Input {
            source: "-".into(),
            bytes,
        });
    }
    let p = Path::new(path);
    if p.is_dir() {
        return Err(LoadError {
            source: path.into(),
            message: "is a directory, not a message file".into(),
        });
    }
    let bytes = std::fs::read(p).map_err(|e| LoadError {
        source: path.into(),
        message: match e.kind() {
            std::io::ErrorKind::NotFound => "no such file".into(),
            std::io::ErrorKind::PermissionDenied => "permission denied".into(),
            _ => format!("cannot read: {e}"),
        },
    })?;
    Ok(Input {
        source: path.into(),
        bytes,
    })
}

mod forms;
pub use forms::{Listing, Message, not_an_email, prepare};

/// Text pasted into the TUI (bracketed paste or the clipboard).
pub fn from_paste(text: &str) -> Input {
    Input {
        source: "paste".into(),
        bytes: text.as_bytes().to_vec(),
    }
}

/// Parses `--now`: RFC 3339 (`2026-11-02T10:00:00Z`) or unix seconds.
pub fn parse_now(s: &str) -> Result<i64, String> {
    // 1970-01-01 to 9999-12-31: outside it, date arithmetic overflows and no mail was sent.
    const LATEST: i64 = 253_402_300_799;
    let t = s.trim();
    let ts = match t.parse::<i64>() {
        Ok(n) => n,
        Err(_) => mail_parser::DateTime::parse_rfc3339(t)
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp())
            .ok_or_else(|| {
                format!(
                    "--now {s:?}: expected RFC 3339 (e.g. 2026-11-02T10:00:00Z) or unix seconds"
                )
            })?,
    };
    if (0..=LATEST).contains(&ts) {
        Ok(ts)
    } else {
        Err(format!(
            "--now {s:?}: outside 1970-01-01 to 9999-12-31 (unix seconds 0 to {LATEST})"
        ))
    }
}

/// Unix seconds as RFC 3339 UTC (`2026-11-02T10:00:00Z`).
pub fn rfc3339(ts: i64) -> String {
    mail_parser::DateTime::from_timestamp(ts).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_accepts_rfc3339_and_unix_seconds() {
        assert_eq!(parse_now("1667843664"), Ok(1667843664));
        assert_eq!(parse_now("2022-11-07T17:54:24Z"), Ok(1667843664));
        assert!(parse_now("yesterday").is_err());
        // Out of range: an error, never an overflow later.
        assert!(parse_now("-1").is_err());
        assert!(parse_now("9223372036854775807").is_err());
        assert!(parse_now("253402300800").is_err());
        assert_eq!(parse_now("253402300799"), Ok(253_402_300_799));
    }

    #[test]
    fn rfc3339_round_trips_through_parse_now() {
        assert_eq!(parse_now(&rfc3339(1667843664)), Ok(1667843664));
    }

    #[test]
    fn missing_file_error_names_the_file() {
        let e = load("/nonexistent/x.eml").unwrap_err();
        assert_eq!(e.to_string(), "/nonexistent/x.eml: no such file");
    }
}
