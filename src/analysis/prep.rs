//! What the input layer changed before analysis, told as warnings.

use super::model::{InputPrep, Severity, Warning};

/// What the input layer did, as warnings: skipped text and a file of several messages are
/// warnings (the reader must know what was not analysed), the other changes are information.
pub(super) fn input_warnings(prep: &InputPrep) -> Vec<Warning> {
    let mut out = Vec::new();
    if let Some(m) = prep.mbox.filter(|m| m.count > 1) {
        out.push(Warning::new(
            Severity::Warning,
            "several-messages",
            format!(
                "The file holds {} messages; this is message {} (pick another with \
                 `--message N`, 1 to {}, or from the list in the TUI).",
                m.count, m.number, m.count
            ),
            None,
        ));
    }
    if let Some(s) = &prep.skipped {
        out.push(Warning::new(
            Severity::Warning,
            "skipped-prefix",
            format!(
                "Skipped {} line(s) ({} bytes) before the message's first header field, \
                 beginning {:?}: text around the message (a webmail page copied whole), not part \
                 of it.",
                s.lines, s.bytes, s.first_line
            ),
            None,
        ));
    }
    for c in &prep.changes {
        out.push(Warning::new(
            Severity::Info,
            &format!("input-{}", c.code),
            c.note.clone(),
            None,
        ));
    }
    out
}
