//! Reading a verdict header's value by the grammar the table names, and looking its codes up.

use base64::Engine;

use super::{CodeText, FieldSpec, Format, HeaderSpec, Vendor, microsoft, rspamd, spamassassin};
use crate::analysis::model::{Header, VerdictField, VerdictItem};

/// A header decoded into an (as yet unjudged) item, or None when it holds nothing of the
/// vendor's (an Authentication-Results without compauth is not Microsoft's verdict).
pub(super) fn item(vendor: &Vendor, spec: &HeaderSpec, h: &Header) -> Option<VerdictItem> {
    let raw_fields: Vec<(String, String)> = match spec.format {
        Format::Value => vec![(
            spec.name.clone().unwrap_or_else(|| h.name.clone()),
            h.value.trim().to_string(),
        )],
        Format::Pairs => pairs(
            &h.value,
            spec.separator.as_deref().unwrap_or(";"),
            spec.assign.as_deref().unwrap_or(":"),
        ),
        Format::Base64Pairs => base64_pairs(&h.value)
            .unwrap_or_else(|| vec![("not base64 text".into(), h.value.trim().to_string())]),
        Format::AuthResults => microsoft::auth_results_fields(spec, &h.value)?,
        Format::SpamStatus => spamassassin::status_fields(&h.value),
        Format::SpamReport => spamassassin::report_fields(&h.raw),
        Format::RspamdResult => rspamd::result_fields(&h.value),
    };
    let describe_all = spec.all_fields
        || matches!(
            spec.format,
            Format::Value | Format::SpamReport | Format::RspamdResult
        );
    let fields = raw_fields
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .filter_map(|(name, value)| {
            let field = spec.field_spec(&name);
            if field.is_none() && !describe_all {
                return None;
            }
            let meaning = field.and_then(|f| meaning(f, &value));
            Some(VerdictField {
                name,
                value,
                meaning,
            })
        })
        .collect();
    Some(VerdictItem {
        header_index: h.index,
        header_name: h.name.clone(),
        vendor: vendor.label.clone(),
        about: spec.about.clone(),
        value: h.value.clone(),
        fields,
        trusted: false,
        trust_reason: String::new(),
    })
}

/// `about: code meaning`, or what there is of the two.
fn meaning(field: &FieldSpec, value: &str) -> Option<String> {
    let code = lookup(field, value).map(CodeText::meaning);
    match (field.about.is_empty(), code) {
        (false, Some(c)) => Some(format!("{}: {c}", field.about)),
        (true, Some(c)) => Some(c.to_string()),
        (false, None) if field.codes.is_empty() => Some(field.about.clone()),
        (false, None) => Some(format!("{} (value not in the table)", field.about)),
        (true, None) => None,
    }
}

/// The code entry a value matches: exactly (case-insensitively), else by a `1xx` digit pattern
/// or an `a..b` numeric range.
pub(super) fn lookup<'a>(field: &'a FieldSpec, value: &str) -> Option<&'a CodeText> {
    let value = value.trim();
    if let Some((_, c)) = field
        .codes
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(value))
    {
        return Some(c);
    }
    field
        .codes
        .iter()
        .find(|(k, _)| digit_pattern(k, value) || in_range(k, value))
        .map(|(_, c)| c)
}

fn digit_pattern(pattern: &str, value: &str) -> bool {
    pattern.contains('x')
        && pattern.len() == value.len()
        && pattern
            .chars()
            .zip(value.chars())
            .all(|(p, v)| p == v || (p == 'x' && v.is_ascii_digit()))
}

fn in_range(pattern: &str, value: &str) -> bool {
    let Some((lo, hi)) = pattern.split_once("..") else {
        return false;
    };
    match (lo.parse::<f64>(), hi.parse::<f64>(), value.parse::<f64>()) {
        (Ok(lo), Ok(hi), Ok(v)) => lo <= v && v <= hi,
        _ => false,
    }
}

/// `key<assign>value<sep>…`; a part without `assign` is kept as a key with no value.
pub(super) fn pairs(value: &str, sep: &str, assign: &str) -> Vec<(String, String)> {
    let parts: Vec<&str> = if sep.trim().is_empty() {
        value.split_whitespace().collect()
    } else {
        value.split(sep).collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once(assign) {
            Some((k, v)) => (k.trim().to_string(), v.trim().trim_matches('"').to_string()),
            None => (p.to_string(), String::new()),
        })
        .collect()
}

/// Base64 of `key=value;…` (Outlook.com's X-Message-Delivery). None when it is not base64 of
/// text.
fn base64_pairs(value: &str) -> Option<Vec<(String, String)>> {
    let compact: String = value.split_whitespace().collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.as_bytes()))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    Some(pairs(&text, ";", "="))
}
