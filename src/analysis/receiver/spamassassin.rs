//! SpamAssassin (and filters that copy its layout, like Barracuda): `X-Spam-Status: Yes,
//! score=5.9 required=5.0 tests=A,B autolearn=no version=4.0.0`, the report with one line per
//! test, and `X-Spam-Flag: YES`.

use super::Family;

/// `Yes, score=5.9 required=5.0 tests=A,B …` as fields: `spam` (the Yes/No), then each
/// `key=value` (the tests list may be folded and written with `, `).
pub(super) fn status_fields(value: &str) -> Vec<(String, String)> {
    let (verdict, rest) = match value.split_once(',') {
        Some((v, rest)) if !v.contains('=') => (v.trim(), rest),
        _ => ("", value),
    };
    let mut out = Vec::new();
    if !verdict.is_empty() {
        out.push(("spam".to_string(), verdict.to_string()));
    }
    // `tests=` runs on with `, ` between names; every other value is one word.
    let mut key: Option<String> = None;
    for word in rest.split_whitespace() {
        match word.split_once('=') {
            Some((k, v)) if !k.is_empty() && !k.contains(',') => {
                out.push((k.to_string(), v.trim_end_matches(',').to_string()));
                key = Some(k.to_string());
            }
            _ => {
                // A continuation of the previous value (`tests=A, B`) or a plain word (`using`).
                if let (Some(k), Some(last)) = (&key, out.last_mut())
                    && last.0 == *k
                    && k.eq_ignore_ascii_case("tests")
                {
                    let word = word.trim_end_matches(',');
                    if !last.1.is_empty() && !word.is_empty() {
                        last.1.push(',');
                    }
                    last.1.push_str(word);
                }
            }
        }
    }
    out
}

/// The report's test lines, from the raw header (each test is on a line of its own):
/// `[*] 1.2 TEST_NAME description` → (TEST_NAME, `1.2 — description`).
pub(super) fn report_fields(raw: &str) -> Vec<(String, String)> {
    let body = raw.split_once(':').map_or(raw, |(_, v)| v);
    let mut out: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        let line = line.trim().trim_start_matches('*').trim();
        let mut words = line.splitn(3, char::is_whitespace);
        let (Some(score), Some(name)) = (words.next(), words.next()) else {
            continue;
        };
        let is_test = name.len() > 1
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if score.parse::<f64>().is_ok() && is_test {
            let text = words.next().unwrap_or("").trim();
            let value = if text.is_empty() {
                score.to_string()
            } else {
                format!("{score} — {text}")
            };
            out.push((name.to_string(), value));
        } else if let Some(last) = out.last_mut()
            && line.starts_with('[')
        {
            // A test's detail line (`[score: 0.9999]`, `[URIs: example.com]`).
            last.1.push(' ');
            last.1.push_str(line);
        }
    }
    out
}

/// `spam (score 12.3, required 5.0)` or `not spam …`; `X-Spam-Flag: YES` alone says spam.
pub(super) fn line_parts(f: &Family) -> Vec<String> {
    const STATUS: &str = "X-Spam-Status";
    if let Some(v) = f.trusted_field(STATUS, "spam") {
        let word = f
            .short(STATUS, "spam", &v.value)
            .unwrap_or_else(|| v.value.clone());
        let score = f.trusted_field(STATUS, "score").map(|s| s.value.clone());
        let required = f.trusted_field(STATUS, "required").map(|s| s.value.clone());
        return vec![match (score, required) {
            (Some(s), Some(r)) => format!("{word} (score {s}, required {r})"),
            (Some(s), None) => format!("{word} (score {s})"),
            _ => word,
        }];
    }
    let mut parts = Vec::new();
    if let Some(flag) = f.trusted_field("X-Spam-Flag", "flag") {
        parts.push(
            f.short("X-Spam-Flag", "flag", &flag.value)
                .unwrap_or_else(|| format!("X-Spam-Flag {}", flag.value)),
        );
    }
    if let Some(s) = f.trusted_field("X-Spam-Score", "score") {
        parts.push(format!("score {}", s.value));
    }
    parts
}
