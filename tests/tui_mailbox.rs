//! The TUI on a mailbox: a folder (or mbox) opens as a message list whose verdicts fill in as
//! the background analyses land; sort, filter, Enter into a message and Esc back to the list
//! with the selection kept; a broken file is one error row. Every verdict is checked against
//! the analysis of the same message, never against a constant.

mod common;
mod tui_common;

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use mailsleuth::dns::snapshot::{Snapshot, SnapshotBackend};
use mailsleuth::dns::{Dns, DnsBackend};
use mailsleuth::tui::app::{App, Screen};
use mailsleuth::tui::clipboard::MemoryClipboard;
use mailsleuth::tui::mailbox::{Entry, SortBy, Verdict};
use tui_common::*;

use common::MAILBOX_SAMPLES as SAMPLES;
const NOW: &str = "2026-11-04T10:06:36Z";

fn now() -> i64 {
    mailsleuth::input::parse_now(NOW).expect("now")
}

fn merged() -> Snapshot {
    Snapshot::parse(&common::merged_snapshot_json(&SAMPLES)).expect("merged snapshot")
}

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn ctrl(app: &mut App, c: char) {
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// The three samples as `.eml` files in a folder, and one file that is not an email.
fn folder(dir: &common::TempDir) -> PathBuf {
    let folder = dir.0.join("reported");
    std::fs::create_dir_all(&folder).expect("folder");
    for name in SAMPLES {
        std::fs::copy(
            samples_dir().join(format!("{name}.eml")),
            folder.join(format!("{name}.eml")),
        )
        .expect("copy sample");
    }
    std::fs::write(folder.join("zz-notes.eml"), "hello\nthis is not an email\n").expect("write");
    folder
}

fn app_on(backend: Arc<dyn DnsBackend>) -> App {
    app_with(backend, MemoryClipboard::default(), now())
}

/// An app that opened `folder` with the merged snapshot and finished analysing it.
fn loaded_list(folder: &std::path::Path) -> App {
    let mut app = app_on(Arc::new(SnapshotBackend::new(merged())));
    app.open_mailbox(&folder.display().to_string());
    assert_eq!(app.screen, Screen::List);
    wait_for(&mut app, "the mailbox to be analysed", |a| !a.is_busy());
    app
}

/// What `report` concludes of a sample with the same snapshot and time, in `scan`'s words.
fn expected_verdict(name: &str) -> String {
    let raw = std::fs::read(samples_dir().join(format!("{name}.eml"))).expect("sample");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dns = Dns::from_snapshot(merged());
    let analysis = runtime.block_on(mailsleuth::analysis::analyze(&raw, &options(now()), &dns));
    mailsleuth::scan::verdict_label(&analysis)
}

fn entry_named<'a>(app: &'a App, name: &str) -> &'a Entry {
    let mailbox = app.mailbox.as_ref().expect("a mailbox");
    mailbox
        .entries
        .iter()
        .find(|e| e.source.ends_with(&format!("{name}.eml")))
        .unwrap_or_else(|| panic!("{name} listed"))
}

fn shown(app: &App) -> Vec<&Entry> {
    let mailbox = app.mailbox.as_ref().expect("a mailbox");
    mailbox
        .shown()
        .iter()
        .map(|&i| &mailbox.entries[i])
        .collect()
}

#[test]
fn a_folder_opens_as_a_list_whose_verdicts_are_the_reports() {
    let dir = common::TempDir::new("tui-mailbox-list");
    let app = loaded_list(&folder(&dir));
    let mailbox = app.mailbox.as_ref().unwrap();
    assert_eq!(
        mailbox.entries.len(),
        4,
        "three messages and one broken file"
    );
    for name in SAMPLES {
        assert_eq!(
            entry_named(&app, name).label(),
            expected_verdict(name),
            "{name}"
        );
    }
    let mut app = app;
    let text = screen_text(&mut app, 120, 30);
    assert!(text.contains("DATE") && text.contains("VERDICT"), "{text}");
    assert!(
        text.contains("✗ dmarc fail → reject") && text.contains("✓ dmarc pass"),
        "{text}"
    );
    assert!(
        text.contains("Urgent - confidential wire transfer today"),
        "{text}"
    );
    assert!(text.contains("4 analysed"), "{text}");
}

#[test]
fn a_broken_file_is_one_error_row_and_enter_on_it_says_why() {
    let dir = common::TempDir::new("tui-mailbox-broken");
    let mut app = loaded_list(&folder(&dir));
    let broken = entry_named(&app, "zz-notes");
    assert!(
        matches!(&broken.verdict, Verdict::Broken(why) if why.contains("not look like an email")),
        "{:?}",
        broken.verdict
    );
    let text = screen_text(&mut app, 120, 30);
    let row = text
        .lines()
        .find(|l| l.contains("zz-notes.eml"))
        .unwrap_or_else(|| panic!("an error row: {text}"));
    assert!(row.contains("! error"), "{row}");
    assert!(row.contains("not look like an email"), "{row}");

    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "error");
    key(&mut app, KeyCode::Enter);
    assert_eq!(shown(&app).len(), 1);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::List, "nothing to open");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("cannot be opened"), "{status}");
    assert!(status.contains("not look like an email"), "{status}");
}

#[test]
fn verdicts_fill_in_as_the_analyses_land() {
    let dir = common::TempDir::new("tui-mailbox-progress");
    let folder = folder(&dir);
    let (held, release) = HeldBackend::new(merged());
    let mut app = app_on(held);
    app.open_mailbox(&folder.display().to_string());
    wait_for(&mut app, "every file listed", |a| {
        a.mailbox.as_ref().is_some_and(|m| m.entries.len() == 4)
    });
    let pending = shown(&app)
        .iter()
        .filter(|e| e.verdict == Verdict::Pending)
        .count();
    assert_eq!(pending, 3, "listed before any lookup is answered");
    let text = screen_text(&mut app, 120, 30);
    assert_eq!(text.matches("analysing").count(), 3, "{text}");
    assert!(text.contains("analysed 1/4"), "{text}");

    release.send(true).expect("release the answers");
    wait_for(&mut app, "the analyses", |a| !a.is_busy());
    assert!(shown(&app).iter().all(|e| e.verdict != Verdict::Pending));
    let text = screen_text(&mut app, 120, 30);
    assert!(!text.contains("analysing"), "{text}");
}

#[test]
fn s_sorts_by_date_then_from_domain_then_verdict() {
    let dir = common::TempDir::new("tui-mailbox-sort");
    let mut app = loaded_list(&folder(&dir));
    assert_eq!(app.mailbox.as_ref().unwrap().sort, SortBy::Date);
    let times: Vec<Option<i64>> = shown(&app).iter().map(|e| e.time).collect();
    let dated: Vec<i64> = times.iter().flatten().copied().collect();
    assert!(
        dated.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    assert_eq!(times.last(), Some(&None), "the undated broken file last");

    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mailbox.as_ref().unwrap().sort, SortBy::Domain);
    let domains: Vec<Option<String>> = shown(&app)
        .iter()
        .map(|e| e.from_domain().map(str::to_string))
        .collect();
    let known: Vec<&String> = domains.iter().flatten().collect();
    assert!(known.windows(2).all(|w| w[0] <= w[1]), "{domains:?}");
    assert!(app.status.as_deref().unwrap_or("").contains("From domain"));

    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mailbox.as_ref().unwrap().sort, SortBy::Verdict);
    let labels: Vec<&str> = shown(&app).iter().map(|e| e.label()).collect();
    assert!(
        labels[0].starts_with("dmarc fail"),
        "failures first: {labels:?}"
    );
    assert_eq!(labels.last(), Some(&"dmarc pass"), "{labels:?}");
    let first_error = labels.iter().position(|l| *l == "error").unwrap();
    let last_fail = labels
        .iter()
        .rposition(|l| l.starts_with("dmarc fail"))
        .unwrap();
    assert_eq!(
        first_error,
        last_fail + 1,
        "broken after failures: {labels:?}"
    );

    key(&mut app, KeyCode::Char('s'));
    assert_eq!(app.mailbox.as_ref().unwrap().sort, SortBy::Date);
}

#[test]
fn slash_filters_by_verdict_or_domain_and_esc_clears_the_filter() {
    let dir = common::TempDir::new("tui-mailbox-filter");
    let mut app = loaded_list(&folder(&dir));
    key(&mut app, KeyCode::Char('/'));
    let prompt = screen_text(&mut app, 100, 30);
    assert!(
        prompt.contains("filter (verdict or From domain):"),
        "{prompt}"
    );
    type_text(&mut app, "fail");
    key(&mut app, KeyCode::Enter);
    let failing = shown(&app);
    assert_eq!(failing.len(), 2, "the reject and the softfail sample");
    assert!(failing.iter().all(|e| e.label().contains("fail")));
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("2 match \"fail\""), "{text}");

    // The prompt opens with the filter in force; Ctrl-U empties it for another.
    let domain = entry_named(&app, "clean-pass-dual-signed")
        .from_domain()
        .expect("a From domain")
        .to_string();
    key(&mut app, KeyCode::Char('/'));
    ctrl(&mut app, 'u');
    type_text(&mut app, &domain.to_uppercase());
    key(&mut app, KeyCode::Enter);
    assert!(!shown(&app).is_empty());
    assert!(
        shown(&app)
            .iter()
            .all(|e| e.from_domain().is_some_and(|d| d.contains(&domain))),
        "only {domain}"
    );

    key(&mut app, KeyCode::Esc);
    assert_eq!(shown(&app).len(), 4, "Esc cleared the filter");
    assert_eq!(app.status.as_deref(), Some("filter cleared"));
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit, "Esc never quits");
    assert_eq!(
        app.status.as_deref(),
        Some("nothing to go back to: q quits")
    );
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn enter_opens_the_message_and_esc_returns_to_the_list_with_the_selection_kept() {
    let dir = common::TempDir::new("tui-mailbox-enter");
    let mut app = loaded_list(&folder(&dir));
    key(&mut app, KeyCode::Char('j'));
    let chosen = app.mailbox.as_ref().unwrap().selected;
    let name = {
        let mailbox = app.mailbox.as_ref().unwrap();
        mailbox.entries[chosen.unwrap()].source.clone()
    };
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Main);
    wait_idle(&mut app);
    let analysis = app.analysis.as_ref().expect("the message analysed");
    assert_eq!(analysis.input.source, name);
    let subject = &analysis
        .headers
        .iter()
        .find(|h| h.name == "Subject")
        .unwrap()
        .value;
    let listed = &app.mailbox.as_ref().unwrap().entries[chosen.unwrap()];
    assert_eq!(&listed.message.as_ref().unwrap().listing.subject, subject);
    assert_eq!(
        mailsleuth::scan::verdict_label(analysis),
        listed.label(),
        "the list and the analysis view agree"
    );

    // Into the steps and back out, then back to the list.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc);
    assert_eq!(
        app.screen,
        Screen::Main,
        "the first Esc goes back inside the message"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::List);
    assert_eq!(
        app.mailbox.as_ref().unwrap().selected,
        chosen,
        "selection kept"
    );
    assert_eq!(app.status.as_deref(), Some("back to the message list"));
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("4 messages · by date"), "{text}");
}

#[test]
fn o_on_the_list_opens_the_start_screen_and_esc_there_returns_to_the_list() {
    let dir = common::TempDir::new("tui-mailbox-open");
    let mut app = loaded_list(&folder(&dir));
    key(&mut app, KeyCode::Char('o'));
    assert!(matches!(app.screen, Screen::Start(_)));
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("Esc goes back to the message list"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::List);
}

#[test]
fn a_large_mbox_is_listed_and_browsable_before_any_analysis_lands() {
    let one = std::fs::read(samples_dir().join("spoofed-from-dmarc-reject.eml")).expect("sample");
    let mut mbox = Vec::new();
    let count = 400;
    for _ in 0..count {
        mbox.extend_from_slice(b"From sender@example.com Wed Nov  4 10:05:33 2026\r\n");
        mbox.extend_from_slice(&one);
        mbox.extend_from_slice(b"\r\n");
    }
    let (held, release) = HeldBackend::new(merged());
    let mut app = app_on(held);
    app.open_input(mbox, "big.mbox", None);
    assert_eq!(app.screen, Screen::List);
    wait_for(&mut app, "every message listed", |a| {
        a.mailbox
            .as_ref()
            .is_some_and(|m| m.entries.len() == count && m.shown().len() == count)
    });
    assert_eq!(app.mailbox.as_ref().unwrap().done, 0, "no answer yet");
    key(&mut app, KeyCode::End);
    let mailbox = app.mailbox.as_ref().unwrap();
    assert_eq!(mailbox.position(), Some(count - 1));
    let text = screen_text(&mut app, 100, 30);
    assert!(
        text.contains(&format!("{count} messages · by date")),
        "{text}"
    );
    assert!(text.contains("analysed 0/400"), "{text}");
    drop(release);
}

#[test]
fn an_mbox_given_with_message_n_opens_that_message_directly() {
    let one = std::fs::read(samples_dir().join("clean-pass-dual-signed.eml")).expect("sample");
    let mut mbox = Vec::new();
    for _ in 0..2 {
        mbox.extend_from_slice(b"From a@example.com Wed Nov  4 10:05:33 2026\r\n");
        mbox.extend_from_slice(&one);
        mbox.extend_from_slice(b"\r\n");
    }
    let mut app = app_on(Arc::new(SnapshotBackend::new(merged())));
    app.open_input(mbox, "two.mbox", Some(2));
    assert_eq!(app.screen, Screen::Main);
    assert!(app.mailbox.is_none());
    wait_idle(&mut app);
    let position = app.analysis.as_ref().unwrap().input.prep.mbox.unwrap();
    assert_eq!((position.number, position.count), (2, 2));
}

#[test]
fn the_list_shows_date_verdict_from_and_subject() {
    let dir = common::TempDir::new("tui-mailbox-render");
    let mut app = loaded_list(&folder(&dir));
    let text = screen_text(&mut app, 100, 24);
    let mut settings = insta_settings();
    // The temporary folder's path, cut to the title's room.
    settings.add_filter(r"— …?\S*/reported ", "— [dir]/reported ");
    settings.bind(|| insta::assert_snapshot!("mailbox_list_100x24", text));
}

#[test]
fn a_click_selects_a_row_and_the_wheel_moves_the_selection() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let dir = common::TempDir::new("tui-mailbox-mouse");
    let mut app = loaded_list(&folder(&dir));
    let lines = screen(&mut app, 100, 30);
    let row = lines
        .iter()
        .position(|l| l.contains("Q4 planning"))
        .expect("the pass row on screen");
    let mouse = |kind| {
        Event::Mouse(MouseEvent {
            kind,
            column: 40,
            row: row as u16,
            modifiers: KeyModifiers::NONE,
        })
    };
    app.handle_event(&mouse(MouseEventKind::Down(MouseButton::Left)));
    let selected = app.mailbox.as_ref().unwrap().selected_entry().unwrap();
    assert!(selected.source.ends_with("clean-pass-dual-signed.eml"));
    app.handle_event(&mouse(MouseEventKind::ScrollUp));
    assert_eq!(app.mailbox.as_ref().unwrap().position(), Some(0));
    app.handle_event(&mouse(MouseEventKind::ScrollDown));
    assert_eq!(app.mailbox.as_ref().unwrap().position(), Some(3));
}

#[test]
fn a_message_from_the_list_shows_esc_back_among_its_hints() {
    let dir = common::TempDir::new("tui-mailbox-hints");
    let mut app = loaded_list(&folder(&dir));
    key(&mut app, KeyCode::Enter);
    wait_idle(&mut app);
    key(&mut app, KeyCode::Char('j'));
    let lines = screen(&mut app, 120, 30);
    let status = lines.last().unwrap();
    assert!(status.contains("esc back"), "{status}");
}

#[test]
fn a_maildir_lists_cur_and_new_and_not_tmp() {
    let dir = common::TempDir::new("tui-mailbox-maildir");
    let maildir = dir.0.join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).expect("maildir");
    }
    let eml = |name: &str| std::fs::read(samples_dir().join(format!("{name}.eml"))).unwrap();
    std::fs::write(maildir.join("cur/1.host:2,S"), eml(SAMPLES[0])).unwrap();
    std::fs::write(maildir.join("new/2.host"), eml(SAMPLES[1])).unwrap();
    std::fs::write(maildir.join("tmp/3.host"), b"half-delivered").unwrap();
    let app = loaded_list(&maildir);
    let names: Vec<String> = shown(&app)
        .iter()
        .map(|e| e.name_in(&app.mailbox.as_ref().unwrap().source))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, ["cur/1.host:2,S", "new/2.host"]);
    assert!(
        shown(&app)
            .iter()
            .all(|e| matches!(e.verdict, Verdict::Analysed { .. }))
    );
}

/// A message of `name` whose body is grown past `bytes` (76-character lines).
fn grown(name: &str, bytes: usize) -> Vec<u8> {
    let mut raw = std::fs::read(samples_dir().join(format!("{name}.eml"))).expect("sample");
    let line = format!("{}\r\n", "x".repeat(76));
    while raw.len() < bytes {
        raw.extend_from_slice(line.as_bytes());
    }
    raw
}

#[test]
fn a_large_mbox_opens_its_list_at_once_and_is_split_in_the_background() {
    use mailsleuth::tui::mailbox::READ_IN_BACKGROUND;
    let half = READ_IN_BACKGROUND as usize / 2 + 1024;
    let dir = common::TempDir::new("tui-mailbox-large");
    let mut mbox = Vec::new();
    for name in &SAMPLES[..2] {
        mbox.extend_from_slice(b"From sender@example.com Wed Nov  4 10:05:33 2026\r\n");
        mbox.extend(grown(name, half));
        mbox.extend_from_slice(b"\r\n");
    }
    let path = dir.file("large.mbox", &mbox);
    let (held, _release) = HeldBackend::new(merged());
    let mut app = app_on(held);
    type_text(&mut app, &path.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.screen,
        Screen::List,
        "the list at once, before the split"
    );
    wait_for(&mut app, "both messages listed", |a| {
        a.mailbox.as_ref().is_some_and(|m| m.listed)
    });
    assert_eq!(app.screen, Screen::List);
    assert_eq!(shown(&app).len(), 2);
    let subjects: Vec<&str> = shown(&app)
        .iter()
        .map(|e| e.message.as_ref().unwrap().listing.subject.as_str())
        .collect();
    assert!(
        subjects.contains(&"Urgent - confidential wire transfer today"),
        "{subjects:?}"
    );
}

#[test]
fn a_large_file_of_one_message_opens_that_message() {
    use mailsleuth::tui::mailbox::READ_IN_BACKGROUND;
    let dir = common::TempDir::new("tui-mailbox-large-one");
    let path = dir.file(
        "large.eml",
        &grown("clean-pass-dual-signed", READ_IN_BACKGROUND as usize + 1024),
    );
    let (held, _release) = HeldBackend::new(merged());
    let mut app = app_on(held);
    app.open_mailbox(&path.display().to_string());
    wait_for(&mut app, "the message", |a| a.screen == Screen::Main);
    assert!(app.mailbox.is_none(), "no list of one");
    assert_eq!(app.options.source, path.display().to_string());
}

#[test]
fn files_named_as_not_mail_beside_the_messages_are_counted_not_listed() {
    let dir = common::TempDir::new("tui-mailbox-skipped");
    let folder = folder(&dir);
    // A sample's snapshot and a README sit beside exported mail: not rows of errors.
    std::fs::copy(
        samples_dir().join(format!("{}.dns.json", SAMPLES[0])),
        folder.join("answers.dns.json"),
    )
    .expect("copy snapshot");
    std::fs::write(folder.join("README.md"), "# reported phishing\n").expect("write");
    let mut app = loaded_list(&folder);
    let mailbox = app.mailbox.as_ref().unwrap();
    assert_eq!(mailbox.entries.len(), 4, "the same rows as without them");
    assert_eq!(mailbox.skipped, 2);
    let text = screen_text(&mut app, 120, 30);
    assert!(
        text.contains("4 messages (2 files skipped: not mail by name)"),
        "{text}"
    );
}

/// `--save-dns` on a list: every analysis of the list gives its answers to the session's
/// recorder, not only the messages opened (before, a saved snapshot held the last opened
/// message's answers and nothing of the others).
#[test]
fn the_lists_analyses_record_every_answer_they_asked() {
    let dir = common::TempDir::new("mailbox-record");
    let folder = folder(&dir);
    let recorder = Arc::new(mailsleuth::dns::Recorder::default());
    let hook = recorder.clone();
    let mut app =
        app_on(Arc::new(SnapshotBackend::new(merged()))).record_run(Arc::new(move |dns: &Dns| {
            hook.record(dns);
        }));
    app.open_mailbox(&folder.display().to_string());
    wait_for(&mut app, "the mailbox to be analysed", |a| !a.is_busy());
    // What each message asks when analysed alone, with the same answers.
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut expected = std::collections::BTreeSet::new();
    for name in SAMPLES {
        let raw = std::fs::read(samples_dir().join(format!("{name}.eml"))).expect("sample");
        let dns = Dns::from_snapshot(merged());
        runtime.block_on(mailsleuth::analysis::analyze(&raw, &options(now()), &dns));
        for e in dns.evidence() {
            expected.insert((e.name, e.rtype));
        }
    }
    let recorded: std::collections::BTreeSet<_> = recorder
        .evidence()
        .into_iter()
        .map(|e| (e.name, e.rtype))
        .collect();
    assert!(expected.len() > SAMPLES.len(), "{expected:?}");
    assert_eq!(recorded, expected);
}
