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
}
