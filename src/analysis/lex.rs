//! Small lexing pieces shared by the header grammars (Received, Authentication-Results).

/// Reads an RFC 5322 comment after its opening `(`: nested parentheses are kept, a
/// quoted-pair (`\\x`) yields `x`. Returns the text and the nesting depth left open (0 when the
/// comment was closed), so a caller can report an unterminated comment.
pub fn read_comment(chars: &mut impl Iterator<Item = char>) -> (String, usize) {
    let mut depth = 1usize;
    let mut text = String::new();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    text.push(n);
                }
            }
            '(' => {
                depth += 1;
                text.push(c);
            }
            ')' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                text.push(c);
            }
            _ => text.push(c),
        }
    }
    (text, depth)
}

/// How many line breaks of each kind `bytes` holds: (CRLF, bare LF). The line feeds are found
/// with memchr (SIMD), so a whole body is counted at memory speed.
pub(crate) fn line_breaks(bytes: &[u8]) -> (usize, usize) {
    let (mut crlf, mut bare_lf) = (0, 0);
    for at in memchr::memchr_iter(b'\n', bytes) {
        if at > 0 && bytes[at - 1] == b'\r' {
            crlf += 1;
        } else {
            bare_lf += 1;
        }
    }
    (crlf, bare_lf)
}

#[cfg(test)]
mod tests {
    use super::read_comment;

    #[test]
    fn nested_and_quoted_pairs() {
        let mut it = "a (b) \\) c) rest".chars();
        assert_eq!(read_comment(&mut it), ("a (b) ) c".to_string(), 0));
        assert_eq!(it.collect::<String>(), " rest");
    }

    #[test]
    fn unterminated_comment_reports_open_depth() {
        assert_eq!(read_comment(&mut "a (b".chars()), ("a (b".to_string(), 2));
    }

    #[test]
    fn line_breaks_tell_crlf_from_bare_lf() {
        assert_eq!(super::line_breaks(b""), (0, 0));
        assert_eq!(super::line_breaks(b"\n"), (0, 1));
        assert_eq!(super::line_breaks(b"a\r\nb\nc\r\r\n\n"), (2, 2));
    }
}
