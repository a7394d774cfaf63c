//! The message as DKIM sees it: header fields as bytes (CRLF, as on the wire) and the body, and
//! the fields an h= list selects (RFC 6376 §5.4.2).

use std::borrow::Cow;

use crate::analysis::model::Header;

/// One header field as bytes: the name before the colon and the value after it, with bare LF
/// line breaks turned into CRLF (DKIM is defined over the CRLF wire form; saved .eml files often
/// have LF).
pub(crate) struct Field<'a> {
    pub index: usize,
    pub name: &'a [u8],
    pub value: Cow<'a, [u8]>,
}

impl Field<'_> {
    pub(crate) fn is(&self, name: &str) -> bool {
        trim_wsp(self.name).eq_ignore_ascii_case(name.trim().as_bytes())
    }
}

/// The header fields and the body of one message, borrowed from the input.
pub(crate) struct MessageView<'a> {
    pub fields: Vec<Field<'a>>,
    pub body: &'a [u8],
    /// False for a header section with nothing after it, not even the empty line (Outlook's
    /// "message headers" box): there is no body to hash, which is not the same as an empty body.
    pub has_body: bool,
}

impl<'a> MessageView<'a> {
    pub(crate) fn new(raw: &'a [u8], headers: &[Header]) -> Self {
        let mut fields = Vec::with_capacity(headers.len());
        let mut header_end = 0;
        for h in headers {
            let Some(bytes) = h
                .offset
                .checked_add(h.length)
                .and_then(|end| raw.get(h.offset..end))
            else {
                continue;
            };
            header_end = header_end.max(h.offset + h.length);
            if let Some(colon) = bytes.iter().position(|&b| b == b':') {
                fields.push(Field {
                    index: h.index,
                    name: &bytes[..colon],
                    value: to_crlf(&bytes[colon + 1..]),
                });
            }
        }
        let rest = raw.get(header_end..).unwrap_or_default();
        let has_body = headers.is_empty() || !rest.is_empty();
        let body = if headers.is_empty() {
            &[][..]
        } else if let Some(body) = rest.strip_prefix(b"\r\n") {
            body
        } else if let Some(body) = rest.strip_prefix(b"\n") {
            body
        } else {
            rest
        };
        MessageView {
            fields,
            body,
            has_body,
        }
    }

    /// Where the body starts in the raw message (None without a header section or a body).
    pub(crate) fn body_offset(&self, raw: &[u8]) -> Option<usize> {
        (self.has_body && !self.fields.is_empty()).then(|| raw.len() - self.body.len())
    }

    pub(crate) fn field(&self, index: usize) -> Option<&Field<'a>> {
        self.fields.iter().find(|f| f.index == index)
    }

    /// How many fields of this name the message has.
    pub(crate) fn count(&self, name: &str) -> usize {
        self.fields.iter().filter(|f| f.is(name)).count()
    }

    /// The fields `h=` selects, in h= order: for each name, the bottom-most instance not yet
    /// used (RFC 6376 §5.4.2); `None` for a name with no instance left (it hashes as nothing).
    pub(crate) fn select_signed(&self, names: &[String]) -> Vec<(String, Option<&Field<'a>>)> {
        let mut used = vec![false; self.fields.len()];
        names
            .iter()
            .map(|name| {
                let found = self
                    .fields
                    .iter()
                    .enumerate()
                    .rev()
                    .find(|(i, f)| !used[*i] && f.is(name));
                if let Some((i, _)) = found {
                    used[i] = true;
                }
                (name.clone(), found.map(|(_, f)| f))
            })
            .collect()
    }
}

/// Bare LF → CRLF; borrowed when there is nothing to change.
pub(crate) fn to_crlf(bytes: &[u8]) -> Cow<'_, [u8]> {
    let (_, bare_lf) = crate::analysis::lex::line_breaks(bytes);
    if bare_lf == 0 {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + bare_lf);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\n' && (i == 0 || bytes[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    Cow::Owned(out)
}

pub(super) fn trim_wsp(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    &bytes[start..end]
}
