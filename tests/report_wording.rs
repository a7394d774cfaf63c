//! Wording in the reports and the TUI's views of the same value: who wrote a recorded result
//! (never "?"), line endings in words, a note as a sentence of its own, the identifier's own
//! result labelled in an alignment step, and a DKIM row when there is no signature.

mod tui_common;

use mailsleuth::analysis::{Agreement, Analysis, RecordedResult};
use mailsleuth::tui::check::Check;
use tui_common::*;

mod common;
use common::empty_slot;

fn recorded(authserv_id: Option<&str>, recorded_by: Option<&str>) -> RecordedResult {
    // The fields every report reads; the rest take their JSON defaults.
    let mut r: RecordedResult = serde_json::from_value(serde_json::json!({
        "header_index": 1, "header_name": "Authentication-Results", "authserv_id": null,
        "trusted": true, "method": "spf", "result": "pass", "reason": null, "properties": [],
        "ours": null, "agreement": "not_compared", "note": null
    }))
    .expect("a RecordedResult from JSON");
    r.authserv_id = authserv_id.map(str::to_string);
    r.recorded_by = recorded_by.map(str::to_string);
    assert_eq!(r.agreement, Agreement::NotCompared);
    r
}

#[test]
fn a_recorded_result_names_its_writer_never_a_question_mark() {
    assert_eq!(
        recorded(Some("mx.example.net"), None).writer(),
        "mx.example.net"
    );
    let microsoft = recorded(Some(""), Some("Microsoft (protection.outlook.com)"));
    assert_eq!(microsoft.writer(), "Microsoft (protection.outlook.com)");
    assert_eq!(recorded(None, None).writer(), "an unnamed server");

    let a = Analysis {
        recorded: vec![microsoft, recorded(None, None)],
        ..Default::default()
    };
    let text = mailsleuth::report::text(&a);
    assert!(text.contains("Authentication-Results by Microsoft (protection.outlook.com)"));
    assert!(text.contains("Authentication-Results by an unnamed server"));
    assert!(!text.contains(" by ?"), "{text}");
    let md = mailsleuth::report::markdown(&a);
    assert!(
        md.contains("| Microsoft (protection.outlook.com) |"),
        "{md}"
    );
    let steps = Check::Recorded.steps(&a);
    assert!(
        steps[1].title.contains("by an unnamed server"),
        "{:?}",
        steps[1]
    );
}

#[test]
fn no_line_endings_are_said_in_words() {
    let mut a = Analysis::default();
    a.input.line_endings = "none".into();
    let text = mailsleuth::report::text(&a);
    let first = text.lines().next().unwrap();
    assert!(first.ends_with("(0 bytes, no line endings)"), "{first}");
}

#[test]
fn a_note_after_agrees_with_ours_starts_a_sentence() {
    let (app, _, _) = loaded("spoofed-from-dmarc-reject");
    let a = app.analysis.as_ref().unwrap();
    let steps = Check::Recorded.steps(a);
    let dmarc = steps
        .iter()
        .find(|s| s.explanation.contains("applied quarantine"))
        .expect("the recorded dmarc result with its note");
    assert!(
        dmarc
            .explanation
            .contains("agrees with ours. The receiver applied quarantine, not reject"),
        "{}",
        dmarc.explanation
    );
}

#[test]
fn an_alignment_step_labels_the_identifiers_own_result() {
    let (app, _, _) = loaded("spoofed-from-dmarc-reject");
    let a = app.analysis.as_ref().unwrap();
    let step = a
        .alignment
        .steps
        .iter()
        .find(|s| s.title.starts_with("SPF ") && s.title.ends_with("not aligned"))
        .expect("the SPF alignment step");
    let names: Vec<&str> = step.facts.iter().map(|f| f.name.as_str()).collect();
    assert!(names.contains(&"spf_result"), "{names:?}");
    assert!(!names.contains(&"result"), "{names:?}");
}

#[test]
fn the_markdown_report_has_a_dkim_row_without_a_signature() {
    let (app, _, _) = loaded("spoofed-from-dmarc-reject");
    let a = app.analysis.as_ref().unwrap();
    assert!(a.dkim.is_empty());
    let md = mailsleuth::report::markdown(a);
    assert!(md.contains("| DKIM | – none (no DKIM-Signature) |"), "{md}");
}

#[test]
fn the_empty_slot_check_finds_what_it_looks_for() {
    assert_eq!(
        empty_slot("mail-auth says \nnext"),
        Some("a verb with nothing said")
    );
    assert_eq!(
        empty_slot("mail-auth says fail ()"),
        Some("empty parentheses")
    );
    assert_eq!(empty_slot("mail-auth says fail (bad key)"), None);
}

#[test]
fn no_sentence_on_any_sample_has_an_empty_slot() {
    let names: Vec<String> = std::fs::read_dir(samples_dir())
        .expect("sample-emails")
        .filter_map(|e| {
            let p = e.ok()?.path();
            (p.extension()? == "eml").then(|| p.file_stem()?.to_str().map(str::to_string))?
        })
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    for name in names {
        let (app, _, _) = loaded(&name);
        let a = app.analysis.as_ref().unwrap();
        let mut texts = vec![
            ("text report".to_string(), mailsleuth::report::text(a)),
            ("markdown".to_string(), mailsleuth::report::markdown(a)),
        ];
        for check in Check::list(Some(a)) {
            for s in check.steps(a).iter() {
                let facts: Vec<String> = s
                    .facts
                    .iter()
                    .map(|f| format!("{}: {}", f.name, f.value))
                    .collect();
                texts.push((
                    format!("{} step {:?}", check.title(Some(a)), s.title),
                    format!("{}\n{}\n{}", s.title, s.explanation, facts.join("\n")),
                ));
            }
        }
        for (place, text) in texts {
            if let Some(why) = empty_slot(&text) {
                panic!("{name}, {place}: {why} in\n{text}");
            }
        }
    }
}
