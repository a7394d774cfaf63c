//! rspamd: `X-Spamd-Result: default: False [7.10 / 15.00]; SYMBOL(1.00)[options]; …` and the
//! `X-Rspamd-*` headers of its milter_headers module.

use super::Family;

/// The `default: True|False [score / threshold]` head as fields `default`, `score`, `threshold`,
/// then one field per symbol: name → `score [options]`.
pub(super) fn result_fields(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = value.trim();
    if let Some(after) = rest.strip_prefix("default:") {
        let (head, tail) = after.split_once(']').unwrap_or((after, ""));
        let (flag, scores) = head.split_once('[').unwrap_or((head, ""));
        out.push(("default".to_string(), flag.trim().to_string()));
        if let Some((score, threshold)) = scores.split_once('/') {
            out.push(("score".to_string(), score.trim().to_string()));
            out.push(("threshold".to_string(), threshold.trim().to_string()));
        }
        rest = tail.trim_start_matches([';', ' ', '\t']);
    }
    for symbol in split_symbols(rest) {
        let Some((name, after)) = symbol.split_once('(') else {
            continue;
        };
        let Some((score, options)) = after.split_once(')') else {
            continue;
        };
        let options = options.trim().trim_start_matches('[').trim_end_matches(']');
        let value = if options.is_empty() {
            score.trim().to_string()
        } else {
            format!("{} [{options}]", score.trim())
        };
        out.push((name.trim().to_string(), value));
    }
    out
}

/// Symbols are separated by `;` (newer rspamd) or by whitespace between `]` and the next name
/// (older rspamd); a `;` inside `[options]` does not split.
fn split_symbols(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let mut closed = false;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.saturating_sub(1);
                closed = depth == 0;
            }
            _ => {}
        }
        let boundary = depth == 0 && (c == ';' || (c.is_whitespace() && closed));
        if boundary {
            if !cur.trim().is_empty() {
                out.push(cur.trim().to_string());
            }
            cur.clear();
            closed = false;
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

/// `add header (marked as spam) (score 7.10 / 15.00)`, from X-Rspamd-Action and the result.
pub(super) fn line_parts(f: &Family) -> Vec<String> {
    const RESULT: &str = "X-Spamd-Result";
    const ACTION: &str = "X-Rspamd-Action";
    let mut parts = Vec::new();
    if let Some(a) = f.trusted_field(ACTION, "action") {
        parts.push(
            f.short(ACTION, "action", &a.value)
                .unwrap_or_else(|| a.value.clone()),
        );
    } else if let Some(d) = f.trusted_field(RESULT, "default")
        && d.value.eq_ignore_ascii_case("true")
    {
        parts.push("reject".into());
    }
    let score = f
        .trusted_field(RESULT, "score")
        .or_else(|| f.trusted_field("X-Rspamd-Score", "score"));
    match (score, f.trusted_field(RESULT, "threshold")) {
        (Some(s), Some(t)) => parts.push(format!("score {} / {}", s.value, t.value)),
        (Some(s), None) => parts.push(format!("score {}", s.value)),
        _ => {}
    }
    parts
}
