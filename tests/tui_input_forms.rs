//! The TUI on the forms a message comes in: a file of several messages opens the message list, a file
//! that is not an email stays on the start screen saying what it is, and a webmail page pasted
//! whole is read from where its message starts.

mod tui_common;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use mailsleuth::tui::app::{App, Screen};
use mailsleuth::tui::clipboard::MemoryClipboard;
use tui_common::*;

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mailsleuth-tui-forms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

fn three_mbox() -> Vec<u8> {
    (1..=3)
        .map(|n| {
            format!(
                "From s{n}@example.org Mon Nov  2 10:0{n}:00 2026\nFrom: Sender {n} \
                 <s{n}@example.org>\nSubject: message number {n}\nDate: Mon, 2 Nov 2026 \
                 10:0{n}:00 +0000\n\nBody {n}.\n\n"
            )
        })
        .collect::<String>()
        .into_bytes()
}

fn open(app: &mut App, path: &std::path::Path) {
    for c in path.display().to_string().chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

#[test]
fn an_mbox_opens_the_message_list_and_enter_analyses_the_chosen_message() {
    let s = sample("clean-pass-dual-signed");
    let mut app = start_app(&s, MemoryClipboard::default());
    let path = temp_file("three.mbox", &three_mbox());
    open(&mut app, &path);
    assert_eq!(app.screen, Screen::List, "the message list");
    assert!(
        app.analysis.is_none(),
        "no message on screen before the choice"
    );
    wait_for(&mut app, "the list", |a| !a.is_busy());
    let text = screen_text(&mut app, 140, 30);
    assert!(text.contains("3 messages · by date"), "{text}");
    for n in 1..=3 {
        assert!(text.contains(&format!("message number {n}")), "{text}");
        assert!(
            text.contains(&format!("Sender {n} <s{n}@example.org>")),
            "{text}"
        );
    }
    // Newest first: message 3, then message 2.
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Main);
    wait_idle(&mut app);
    let a = app.analysis.as_ref().expect("analysed");
    let subject = a.headers.iter().find(|h| h.name == "Subject").unwrap();
    assert_eq!(subject.value, "message number 2");
    let pos = a.input.prep.mbox.expect("its place in the mbox");
    assert_eq!((pos.number, pos.count), (2, 3));
}

#[test]
fn a_png_stays_on_the_start_screen_saying_what_it_is() {
    let s = sample("clean-pass-dual-signed");
    let mut app = start_app(&s, MemoryClipboard::default());
    let path = temp_file("picture.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0");
    open(&mut app, &path);
    assert!(matches!(app.screen, Screen::Start(_)));
    assert!(app.analysis.is_none(), "no verdict");
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("PNG image"), "{text}");
    assert!(!text.contains("DMARC"), "{text}");
}

#[test]
fn a_webmail_page_pasted_whole_is_read_from_its_message() {
    let s = sample("clean-pass-dual-signed");
    let mut app = start_app(&s, MemoryClipboard::default());
    let mut page = String::from(
        "Original message\n\nMessage ID\t<x@example.com>\nFrom:\tAlice <a@example.com>\n\
         Download Original\tCopy to clipboard\n\n",
    );
    page.push_str(&String::from_utf8_lossy(&s.raw));
    app.handle_event(&Event::Paste(page));
    assert_eq!(app.screen, Screen::Main);
    wait_idle(&mut app);
    let a = app.analysis.as_ref().unwrap();
    let skipped = a.input.prep.skipped.as_ref().expect("page text skipped");
    assert_eq!(skipped.first_line, "Original message");
    assert!(a.dkim.iter().all(|d| d.result.as_str() == "pass"));
}

#[test]
fn pasting_text_that_is_not_an_email_keeps_the_message_on_screen() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    let before = app.analysis.clone();
    app.handle_event(&Event::Paste(
        "just some notes\nthat are\nnot an email\n".into(),
    ));
    assert_eq!(app.screen, Screen::Main);
    assert_eq!(app.analysis, before, "the analysis on screen stays");
    let status = app.status.clone().unwrap_or_default();
    assert!(status.contains("no header field"), "{status}");
}
