//! The explained steps of discovery that several parts share.

use crate::analysis::model::Tag;
use crate::analysis::step::{Outcome, Step};

pub(super) fn tags_step(tags: &[Tag], domain: &str) -> Step {
    let shown: Vec<String> = tags
        .iter()
        .map(|t| {
            format!(
                "{}={}{}",
                t.name,
                if t.value.is_empty() {
                    "(none)"
                } else {
                    &t.value
                },
                if t.default { " (default)" } else { "" }
            )
        })
        .collect();
    let mut step = Step::new(
        format!("Tags of _dmarc.{domain}"),
        Outcome::Info,
        format!(
            "The record's tags, with defaults for those absent: {}.",
            shown.join("; ")
        ),
    );
    for t in tags {
        step = step.fact(t.name.clone(), t.value.clone());
    }
    step
}
