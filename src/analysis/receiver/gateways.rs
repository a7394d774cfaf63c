//! Gateways and any vendor a user adds (Proofpoint, Mimecast, Cisco IronPort, Barracuda …):
//! summed up by the fields the table's `line` lists, in that order.

use super::Family;

/// `rule spam, score 100`: each `line` field a trusted item holds, in the table's words.
pub(super) fn line_parts(f: &Family) -> Vec<String> {
    f.vendor
        .line
        .iter()
        .filter_map(|name| {
            let (header, field) = f.items.iter().filter(|i| i.trusted).find_map(|i| {
                let field = i
                    .fields
                    .iter()
                    .find(|x| x.name.eq_ignore_ascii_case(name))?;
                Some((i.header_name.as_str(), field))
            })?;
            let shown = f
                .vendor
                .header_spec(header)
                .and_then(|s| s.field_spec(name))
                .and_then(|s| s.short.clone())
                .unwrap_or_else(|| field.name.clone());
            // A code with its own short words says it all (`spam`); else name and value.
            let code_short = f
                .vendor
                .header_spec(header)
                .and_then(|s| s.field_spec(name))
                .and_then(|s| super::decode::lookup(s, &field.value))
                .and_then(|c| c.short().map(str::to_string));
            Some(code_short.unwrap_or_else(|| format!("{shown} {}", field.value)))
        })
        .collect()
}
