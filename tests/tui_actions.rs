//! The app driven by actions and events, asserting what is on screen: stepping, focus, search,
//! copy, writing the report, moving the trust boundary, the spinner before DNS answers, paste,
//! mouse, the monochrome theme and escapes in header text.

mod tui_common;

use std::sync::Arc;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use mailsleuth::dns::DnsOutcome;
use mailsleuth::dns::snapshot::{Snapshot, SnapshotBackend};
use mailsleuth::tui::action::Action;
use mailsleuth::tui::app::{App, Screen};
use mailsleuth::tui::check::Check;
use mailsleuth::tui::clipboard::MemoryClipboard;
use mailsleuth::tui::keymap::Keymap;
use mailsleuth::tui::theme::Theme;
use mailsleuth::tui::ui::{Areas, Pane};
use ratatui::style::{Color, Modifier};
use tui_common::*;

fn key(app: &mut App, code: KeyCode) {
    app.handle_event(&Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn line_with<'a>(lines: &'a [String], needle: &str) -> Option<&'a String> {
    lines.iter().find(|l| l.contains(needle))
}

#[test]
fn n_and_p_step_through_and_the_evidence_follows() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    app.go_to_check(Check::Dmarc);
    let steps = app.steps();
    assert!(steps.len() >= 2, "DMARC explains itself in several steps");
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.step, 1);
    let text = screen_text(&mut app, 100, 30);
    assert!(
        text.contains(&format!("Steps 2/{} — ", steps.len())),
        "{text}"
    );
    // The evidence pane shows the second step's title.
    let title: String = steps[1].title.chars().take(40).collect();
    let evidence_part = text.split("Evidence").nth(1).unwrap_or("");
    assert!(evidence_part.contains(&title), "{text}");
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.step, 0);
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.step, 0, "stepping stops at the first step");
}

#[test]
fn j_and_k_move_the_focused_list_and_tab_cycles_panes() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    assert_eq!(app.focus, Pane::Navigator);
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selected_check(), Check::Envelope);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected_check(), Check::SpfMailFrom);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Steps);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Evidence);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Navigator);
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.focus, Pane::Evidence);
    let lines = screen(&mut app, 100, 30);
    assert!(
        line_with(&lines, "▸ Evidence").is_some(),
        "focus is marked: {lines:#?}"
    );
}

#[test]
fn search_finds_headers_and_n_shift_n_cycle_matches() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    key(&mut app, KeyCode::Char('/'));
    assert_eq!(app.selected_check(), Check::Headers);
    type_text(&mut app, "arc-");
    key(&mut app, KeyCode::Enter);
    let matches = app.search_matches();
    assert!(matches.len() >= 2, "ARC headers match");
    assert_eq!(app.header, matches[0]);
    assert_eq!(
        app.status.as_deref(),
        Some(format!("/arc-: match 1 of {}", matches.len()).as_str())
    );
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.header, matches[1]);
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('N'),
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.header, matches[0]);
    // `p` mirrors `n`.
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('p'));
    assert_eq!(app.header, matches[0]);
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("/arc-: match 1 of"), "{text}");
    assert!(text.contains("*ARC-"), "matches are marked: {text}");
}

#[test]
fn y_copies_the_focused_step_as_markdown() {
    let (mut app, clipboard, _) = loaded("spoofed-from-dmarc-reject");
    app.go_to_check(Check::Dmarc);
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Char('n'));
    key(&mut app, KeyCode::Char('y'));
    let a = app.analysis.clone().expect("analysed");
    let step = app.current_step().expect("a step");
    let expected = mailsleuth::report::markdown_step(&a, "DMARC", &step);
    assert_eq!(clipboard.last().as_deref(), Some(expected.as_str()));
    let status = app.status.clone().unwrap_or_default();
    assert!(
        status.starts_with("copied to the memory clipboard: step"),
        "{status}"
    );
    let lines = screen(&mut app, 100, 30);
    assert!(
        lines[29].starts_with("copied to the memory clipboard: step"),
        "{lines:#?}"
    );
}

#[test]
fn shift_y_copies_the_whole_report() {
    let (mut app, clipboard, _) = loaded("clean-pass-dual-signed");
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('Y'),
        KeyModifiers::SHIFT,
    )));
    let expected = mailsleuth::report::markdown(app.analysis.as_ref().expect("analysed"));
    assert_eq!(clipboard.last().as_deref(), Some(expected.as_str()));
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .starts_with("copied to the memory clipboard: the whole report")
    );
}

#[test]
fn w_writes_the_report_to_the_file_named() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    let dir = std::env::temp_dir().join(format!("mailsleuth-tui-w-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.md");
    key(&mut app, KeyCode::Char('w'));
    let text = screen_text(&mut app, 100, 30);
    assert!(
        text.contains("Write report to: clean-pass-dual-signed.eml.report.md"),
        "{text}"
    );
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    type_text(&mut app, &path.display().to_string());
    key(&mut app, KeyCode::Enter);
    let written = std::fs::read_to_string(&path).expect("report written");
    assert_eq!(
        written,
        mailsleuth::report::markdown(app.analysis.as_ref().unwrap())
    );
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .starts_with("wrote the report to")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn moving_the_boundary_reruns_from_that_hop_and_everything_follows_it() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    let hops = app.analysis.as_ref().unwrap().hops.clone();
    let before_spf = app.analysis.as_ref().unwrap().spf.mail_from.result;
    let (index, hop) = hops
        .iter()
        .enumerate()
        .find(|(_, h)| !h.is_boundary && h.from_ip.is_some())
        .expect("a hop other than the boundary with a client IP");
    app.go_to_check(Check::Envelope);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Hops);
    for _ in 0..index {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Char('b'));
    assert!(app.is_running(), "the analysis re-runs");
    let ip = hop.from_ip.clone().unwrap();
    assert_eq!(app.options.boundary_at, Some(index));
    assert_eq!(app.options.client_ip, None, "no --ip: the hop itself says");
    wait_idle(&mut app);
    let a = app.analysis.as_ref().unwrap();
    assert_eq!(a.envelope.client_ip.as_deref(), Some(&*ip));
    assert_eq!(a.envelope.helo.as_deref(), hop.helo.as_deref());
    assert_eq!(a.envelope.receiver.as_deref(), hop.by_host.as_deref());
    // The hop list marks the new boundary, and only it.
    let marked: Vec<usize> = (0..a.hops.len())
        .filter(|&i| a.hops[i].is_boundary)
        .collect();
    assert_eq!(marked, [index]);
    assert!(a.hops[index + 1..].iter().all(|h| h.below_boundary));
    // Provenance: set by hand, not the command line; MAIL FROM not the final Return-Path.
    for s in &a.envelope.sources {
        assert!(!s.how.contains("command line"), "{s:?}");
    }
    let mf = a
        .envelope
        .sources
        .iter()
        .find(|s| s.field == "mail_from")
        .unwrap();
    assert!(!mf.how.contains("Return-Path as"), "{mf:?}");
    let return_path = a.headers.iter().find(|h| h.name == "Return-Path").unwrap();
    assert_ne!(mf.header_index, Some(return_path.index), "{mf:?}");
    let lines = screen(&mut app, 120, 30);
    let row = line_with(&lines, &format!("#{:<2} {ip}", index + 1)).unwrap();
    assert!(row.contains("◆ boundary"), "{row}");
    let a = app.analysis.as_ref().unwrap();
    // At that hop the list server recorded smtp.mailfrom=carol.diaz@example.com: SPF is checked
    // for it (pass), not for the list's bounce address (a fail that was an artefact).
    assert_eq!(
        a.envelope.mail_from.as_deref(),
        Some("carol.diaz@example.com")
    );
    assert_eq!(a.spf.mail_from.result.as_str(), before_spf.as_str());
    assert_eq!(a.spf.mail_from.result.as_str(), "pass");
    let status = app.status.clone().unwrap_or_default();
    // From that hop, SPF for the author's own domain aligns: the status says what the move changed.
    assert!(
        status.contains("changed: Alignment neither→spf, DMARC fail→pass"),
        "{status}"
    );
    assert_eq!(app.selected_check(), Check::Envelope, "the view stays put");
}

#[test]
fn boundary_key_outside_the_hop_list_explains_itself() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    key(&mut app, KeyCode::Char('b'));
    assert!(!app.is_running());
    assert!(app.status.as_deref().unwrap_or("").contains("select a hop"));
}

#[test]
fn spinner_shows_pending_queries_until_dns_answers() {
    let s = sample("spoofed-from-dmarc-reject");
    let (backend, release) = HeldBackend::new(s.snapshot.clone());
    let mut app = app_with(backend, MemoryClipboard::default(), s.now);
    app.load(s.raw.clone(), "held.eml");
    wait_for(&mut app, "a pending DNS query", |a| {
        a.live_dns.iter().any(|e| e.outcome == DnsOutcome::Pending)
    });
    // The first frame is there before any answer: banner and DNS log say what is pending.
    app.go_to_check(Check::DnsLog);
    let lines = screen(&mut app, 100, 30);
    assert!(lines[0].contains("Analysing held.eml"), "{lines:#?}");
    assert!(
        lines[1].contains("Waiting for DNS before a verdict: SPF"),
        "{lines:#?}"
    );
    assert!(lines[0].contains("pending"), "{lines:#?}");
    let pending_rows = lines.iter().filter(|l| l.contains(" pending ")).count();
    assert!(pending_rows >= 1, "a spinner per pending query: {lines:#?}");
    assert!(lines[29].contains("pending"), "{lines:#?}");
    // The navigator puts a spinner on the checks waiting for those queries.
    let spinning = |l: &String| {
        mailsleuth::tui::theme::SPINNER
            .iter()
            .any(|g| l.contains(&format!("{g} dns│")))
    };
    assert!(lines.iter().any(spinning), "{lines:#?}");
    // Progressive: the headers are read before any answer; every DNS part is still pending.
    let partial = app.analysis.as_ref().expect("a partial analysis");
    assert!(!partial.headers.is_empty());
    assert!(
        app.pending_parts
            .contains(&mailsleuth::analysis::Part::Dmarc)
    );
    // Never frozen: keys work while every lookup hangs.
    key(&mut app, KeyCode::Char('k'));
    // The receiver's verdict needs no DNS: it is listed (above the DNS log) from the start.
    assert_eq!(app.selected_check(), Check::Receiver);
    key(&mut app, KeyCode::Char('?'));
    assert!(screen_text(&mut app, 100, 30).contains("Help — ? or Esc closes"));
    key(&mut app, KeyCode::Esc);
    app.go_to_check(Check::DnsLog);

    release.send(true).unwrap();
    wait_idle(&mut app);
    assert!(app.pending_parts.is_empty());
    let lines = screen(&mut app, 100, 30);
    assert!(!lines[0].contains("Analysing"), "{lines:#?}");
    let a = app.analysis.as_ref().unwrap();
    assert!(a.dns.iter().all(|e| e.outcome != DnsOutcome::Pending));
    assert!(!lines.iter().any(|l| l.contains(" pending ")), "{lines:#?}");
    assert!(!lines.iter().any(spinning), "{lines:#?}");
    assert!(lines[29].contains(&format!("DNS snapshot · {} queries", a.dns.len())));
}

#[test]
fn bracketed_paste_of_a_whole_email_loads_and_analyses_it() {
    // (A sample without bare CRs in its headers: a paste turns every line break into CR.)
    let s = sample("spoofed-from-dmarc-reject");
    let mut app = start_app(&s, MemoryClipboard::default());
    assert!(matches!(app.screen, Screen::Start(_)));
    // Terminals send each LF of a paste as CR, so the CRLF message arrives with CR CR.
    let text = String::from_utf8_lossy(&s.raw).replace('\n', "\r");
    app.handle_event(&Event::Paste(text));
    assert_eq!(app.screen, Screen::Main);
    wait_idle(&mut app);
    let a = app.analysis.as_ref().unwrap();
    assert_eq!(a.input.source, "paste");
    assert!(
        a.headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("From")),
        "{} headers; {:?}",
        a.headers.len(),
        a.warnings
    );
    let (reference, _, _) = loaded("spoofed-from-dmarc-reject");
    let r = reference.analysis.as_ref().unwrap();
    assert_eq!(a.dmarc.result, r.dmarc.result, "same verdicts as the file");
    assert_eq!(a.headers.len(), r.headers.len());
}

#[test]
fn start_screen_opens_a_typed_path_and_reports_a_missing_one() {
    let s = sample("clean-pass-dual-signed");
    let mut app = start_app(&s, MemoryClipboard::default());
    type_text(&mut app, "/nonexistent/x.eml");
    key(&mut app, KeyCode::Enter);
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("/nonexistent/x.eml: No such file"), "{text}");
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    type_text(&mut app, &s.eml.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Main);
    wait_idle(&mut app);
    assert!(app.analysis.is_some());
}

#[test]
fn ctrl_v_pastes_the_email_from_the_clipboard() {
    let s = sample("clean-pass-dual-signed");
    let clipboard = MemoryClipboard::default();
    *clipboard.paste_text.lock().unwrap() = Some(String::from_utf8_lossy(&s.raw).into_owned());
    let mut app = start_app(&s, clipboard);
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('v'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(app.screen, Screen::Main);
    wait_idle(&mut app);
    assert!(!app.analysis.as_ref().unwrap().headers.is_empty());
}

#[test]
fn mouse_click_focuses_and_selects_and_the_wheel_scrolls() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    let _ = screen(&mut app, 100, 30);
    let areas = Areas::compute(app.area, &app);
    let (_, nav) = areas.panes[0];
    // Click the fourth row of the navigator (SPF HELO).
    app.handle_event(&Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: nav.x + 3,
        row: nav.y + 4,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.selected_check(), Check::SpfHelo);
    let areas = Areas::compute(app.area, &app);
    let (pane, evidence) = areas.panes[2];
    assert_eq!(pane, Pane::Evidence);
    app.handle_event(&Event::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: evidence.x + 5,
        row: evidence.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.focus, Pane::Evidence);
    app.handle_event(&Event::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: evidence.x + 5,
        row: evidence.y + 2,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(app.evidence_scroll, 3);
}

#[test]
fn resize_redraws_and_below_80x24_says_too_small() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    app.handle_event(&Event::Resize(60, 20));
    assert_eq!(app.area.width, 60);
    let text = screen_text(&mut app, 60, 20);
    assert!(text.contains("Terminal too small"));
    assert!(text.contains("60×20"));
    let text = screen_text(&mut app, 120, 40);
    assert!(text.contains("Checks"));
}

#[test]
fn help_lists_every_action_with_its_keys_and_closes() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::F(1),
        KeyModifiers::NONE,
    )));
    assert!(app.help);
    let text = screen_text(&mut app, 100, 40);
    for &action in Action::ALL {
        assert!(text.contains(action.description()), "{}", action.name());
    }
    assert!(text.contains("q ctrl-c"));
    assert!(text.contains("esc "));
    key(&mut app, KeyCode::Esc);
    assert!(!app.help);
    assert!(!app.quit, "Esc closes help before it quits");
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn ctrl_c_quits_from_anywhere() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    key(&mut app, KeyCode::Char('/'));
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.quit);
}

#[test]
fn a_user_keymap_changes_keys_help_and_hints() {
    let (mut app, clipboard, _) = loaded("clean-pass-dual-signed");
    let mut keymap = Keymap::default();
    keymap.patch("[keys]\ncopy_all = [\"C\"]\n").unwrap();
    app.keymap = keymap;
    app.handle_event(&Event::Key(KeyEvent::new(
        KeyCode::Char('C'),
        KeyModifiers::SHIFT,
    )));
    assert!(clipboard.last().is_some());
    app.status = None;
    let lines = screen(&mut app, 100, 30);
    assert!(lines[29].contains("C copy all"), "{}", lines[29]);
}

#[test]
fn no_color_theme_shows_the_selection_reversed_without_colour() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    app.theme = Theme::MONO;
    let terminal = terminal(&mut app, 100, 30);
    let buffer = terminal.backend().buffer();
    // Row 3 (under the two-line banner and the pane border) is the navigator's first entry
    // (Summary), selected and focused.
    let cell = &buffer[(2, 3)];
    assert!(cell.modifier.contains(Modifier::REVERSED));
    for y in 0..30 {
        for x in 0..100 {
            let c = &buffer[(x, y)];
            assert!(
                c.fg == Color::Reset && c.bg == Color::Reset,
                "colour at {x},{y}"
            );
        }
    }
}

#[test]
fn escape_sequences_in_headers_are_shown_not_executed() {
    let message = "Received: from evil.example (evil.example [192.0.2.66])\r\n\tby mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\nFrom: \x1b[31mBank\x1b[0m <a@example.com>\r\nSubject: hi\x07\x1b]52;c;ZXZpbA==\x07\r\n\r\nbody\r\n";
    let mut app = app_with(
        Arc::new(SnapshotBackend::new(Snapshot::new())),
        MemoryClipboard::default(),
        1_793_613_600,
    );
    app.load(message.as_bytes().to_vec(), "evil.eml");
    wait_idle(&mut app);
    app.go_to_check(Check::Headers);
    let lines = screen(&mut app, 100, 30);
    let text = lines.join("\n");
    assert!(text.contains("From: \\x1b[31mBank\\x1b[0m"), "{text}");
    assert!(text.contains("\\x07\\x1b]52;c;"), "{text}");
    assert!(!text.contains('\x1b'), "no raw escape reaches the screen");
    assert!(!text.contains('\x07'));
}

#[test]
fn header_lines_a_step_used_are_marked_in_the_headers_view() {
    let (mut app, _, _) = loaded("lookalike-domain");
    app.go_to_check(Check::Dkim(Some(0)));
    key(&mut app, KeyCode::Tab);
    let steps = app.steps();
    let with_header = steps
        .iter()
        .position(|s| !s.headers.is_empty() && s.facts.len() < 3)
        .expect("a short DKIM step that used a header line");
    for _ in 0..with_header {
        key(&mut app, KeyCode::Char('n'));
    }
    let used = steps[with_header].headers[0];
    let name = app.analysis.as_ref().unwrap().headers[used].name.clone();
    let text = screen_text(&mut app, 100, 30);
    assert!(
        text.contains(&format!("▶ {name}:")),
        "evidence lists it: {text}"
    );
    app.go_to_check(Check::Headers);
    assert_eq!(app.header, used, "the headers view opens on it");
    let lines = screen(&mut app, 100, 30);
    assert!(
        lines.iter().any(|l| l.contains(&format!("│▶{name}:"))),
        "{lines:#?}"
    );
}

/// A backend that fails in the worst way: it panics.
struct PanickingBackend;

impl mailsleuth::dns::DnsBackend for PanickingBackend {
    fn source(&self) -> mailsleuth::dns::DnsSource {
        mailsleuth::dns::DnsSource::Live
    }

    fn lookup<'a>(
        &'a self,
        _key: &'a mailsleuth::dns::QueryKey,
    ) -> mailsleuth::dns::BoxFuture<'a, mailsleuth::dns::DnsAnswer> {
        Box::pin(async { panic!("backend exploded") })
    }
}

#[test]
fn a_failing_analysis_is_reported_and_the_ui_stays_usable() {
    let s = sample("spoofed-from-dmarc-reject");
    let mut app = app_with(
        Arc::new(PanickingBackend),
        MemoryClipboard::default(),
        s.now,
    );
    app.load(s.raw.clone(), "boom.eml");
    wait_idle(&mut app);
    assert!(app.analysis.is_none());
    let status = app.status.clone().unwrap_or_default();
    assert!(status.starts_with("the analysis"), "{status}");
    let lines = screen(&mut app, 100, 30);
    assert!(lines[29].starts_with("the analysis"), "{lines:#?}");
    // The UI still answers keys and quits cleanly.
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selected_check(), Check::Envelope);
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn the_banner_wraps_the_verdict_instead_of_cutting_it() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    let verdict = app.analysis.as_ref().unwrap().summary.verdict.clone();
    assert!(verdict.chars().count() > 78, "a verdict longer than a line");
    let lines = screen(&mut app, 80, 24);
    // Both banner lines together say the whole verdict, word for word.
    let banner = format!("{} {}", lines[0].trim_end(), lines[1].trim_end());
    assert!(banner.contains(&verdict), "{lines:#?}");
    assert!(
        lines[2].starts_with('┌'),
        "the panes start below: {lines:#?}"
    );
    // A verdict too long for two lines gets a third.
    let (mut app, _, _) = loaded("lookalike-domain");
    let verdict = app.analysis.as_ref().unwrap().summary.verdict.clone();
    let lines = screen(&mut app, 80, 24);
    let banner = lines[..3]
        .iter()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(banner.contains(&verdict), "{lines:#?}");
    assert!(lines[3].starts_with('┌'), "{lines:#?}");
}

#[test]
fn the_banner_names_the_most_serious_warning_when_the_verdict_fits() {
    let (mut app, _, _) = loaded("forged-authentication-results");
    let a = app.analysis.as_ref().unwrap();
    let warning = a
        .warnings
        .iter()
        .find(|w| w.severity != mailsleuth::analysis::Severity::Info)
        .expect("a warning")
        .message
        .clone();
    let verdict = a.summary.verdict.clone();
    let lines = screen(&mut app, 100, 30);
    assert!(lines[0].contains(&verdict), "{lines:#?}");
    let start: String = warning.chars().take(60).collect();
    assert!(lines[1].starts_with(&format!("▲ {start}")), "{lines:#?}");
}

#[test]
fn a_cut_step_title_ends_in_an_ellipsis() {
    let (mut app, _, _) = loaded("lookalike-domain");
    let lines = screen(&mut app, 80, 24);
    let row = line_with(&lines, " 4 ▲ warning").expect("the warning row");
    assert!(row.ends_with("…│"), "{row}");
}

#[test]
fn a_message_gives_way_to_the_key_hints_on_the_next_key() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    let lines = screen(&mut app, 100, 30);
    assert!(lines[29].starts_with("analysed in"), "{}", lines[29]);
    key(&mut app, KeyCode::Char('j'));
    let lines = screen(&mut app, 100, 30);
    assert!(lines[29].starts_with("n step  tab pane"), "{}", lines[29]);
    key(&mut app, KeyCode::Char('y'));
    assert!(screen(&mut app, 100, 30)[29].starts_with("copied to the"));
}

#[test]
fn a_query_left_pending_by_a_finished_run_does_not_spin() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    let a = app.analysis.as_mut().unwrap();
    a.dns[0].outcome = DnsOutcome::Pending;
    let name = a.dns[0].name.clone();
    app.go_to_check(Check::DnsLog);
    for frame in 0..3 {
        app.frame = frame;
        let lines = screen(&mut app, 100, 30);
        let row = line_with(&lines, &format!(" {name} ")).expect("the query row");
        assert!(row.contains("unanswered"), "{row}");
        let text = lines.join("\n");
        assert!(!text.contains("pending"), "{text}");
        assert!(
            !mailsleuth::tui::theme::SPINNER
                .iter()
                .any(|g| text.contains(g)),
            "{text}"
        );
    }
}

#[test]
fn a_failed_run_leaves_no_spinner_in_the_panes() {
    let s = sample("spoofed-from-dmarc-reject");
    let mut app = app_with(
        Arc::new(PanickingBackend),
        MemoryClipboard::default(),
        s.now,
    );
    app.load(s.raw.clone(), "boom.eml");
    wait_idle(&mut app);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('k'));
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("No analysis: the analysis"), "{text}");
    assert!(!text.contains("analysing"), "{text}");
    assert!(
        !mailsleuth::tui::theme::SPINNER
            .iter()
            .any(|g| text.contains(g)),
        "{text}"
    );
}

#[test]
fn evidence_scrolling_stops_at_the_end_of_its_content() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::Dkim(Some(1)));
    let lines = screen(&mut app, 100, 30);
    let title = line_with(&lines, "Evidence · 1–13 of ").expect("the pane says it scrolls");
    let total: u16 = title
        .split("of ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|t| t.parse().ok())
        .expect("a line count");
    app.focus = Pane::Evidence;
    for _ in 0..10 {
        key(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.evidence_scroll, total - 13, "clamped to the content");
    let lines = screen(&mut app, 100, 30);
    let last_row = lines.iter().rposition(|l| l.contains("┘")).unwrap() - 1;
    assert!(
        line_with(&lines, &format!("{}–{total} of {total}", total - 12)).is_some(),
        "{lines:#?}"
    );
    assert_ne!(lines[last_row].trim_matches(['│', ' ']), "", "{lines:#?}");
    // One key back up moves the view at once.
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.evidence_scroll, total - 14);
    key(&mut app, KeyCode::Char('G'));
    assert_eq!(app.evidence_scroll, total - 13);
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.evidence_scroll, 0);
}

#[test]
fn w_asks_before_overwriting_and_offers_a_free_name() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    let dir = std::env::temp_dir().join(format!("mailsleuth-tui-w2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("report.md");
    std::fs::write(&path, "keep me").unwrap();
    let write_to = |app: &mut App, path: &str| {
        key(app, KeyCode::Char('w'));
        app.handle_event(&Event::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        )));
        type_text(app, path);
        key(app, KeyCode::Enter);
    };
    write_to(&mut app, &path.display().to_string());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    let lines = screen(&mut app, 100, 30);
    let free = dir.join("report-2.md").display().to_string();
    assert_eq!(
        lines[29].trim_end(),
        format!(
            "{} exists: y overwrite  Esc cancel  n write report-2.md instead",
            path.display()
        ),
        "{}",
        lines[29]
    );
    // `n` offers the free name in the prompt; Enter writes there.
    key(&mut app, KeyCode::Char('n'));
    assert!(
        screen(&mut app, 100, 30)[29].starts_with(&format!("Write report to: {free}")),
        "the free name is offered"
    );
    key(&mut app, KeyCode::Enter);
    let report = mailsleuth::report::markdown(app.analysis.as_ref().unwrap());
    assert_eq!(std::fs::read_to_string(&free).unwrap(), report);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    // Esc keeps the file; `y` overwrites it.
    write_to(&mut app, &path.display().to_string());
    key(&mut app, KeyCode::Esc);
    assert!(app.prompt.is_none());
    assert!(app.status.as_deref().unwrap_or("").starts_with("kept "));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep me");
    write_to(&mut app, &path.display().to_string());
    key(&mut app, KeyCode::Char('y'));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), report);
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .starts_with("wrote the report to")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eight_bit_headers_are_marked_with_their_errors() {
    let mut message = b"Received: from a.example (a.example [192.0.2.7])\r\n\tby mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\nFrom: a@example.com\r\nSubject: caf".to_vec();
    message.extend_from_slice(b"\xe9 cr\xe8me\r\n\r\nbody\r\n");
    let mut app = app_with(
        Arc::new(SnapshotBackend::new(Snapshot::new())),
        MemoryClipboard::default(),
        1_793_613_600,
    );
    app.load(message, "latin1.eml");
    wait_idle(&mut app);
    let subject = app
        .analysis
        .as_ref()
        .unwrap()
        .headers
        .iter()
        .find(|h| h.name == "Subject")
        .cloned()
        .expect("the Subject header");
    assert!(subject.invalid_utf8);
    app.go_to_check(Check::Headers);
    let lines = screen(&mut app, 100, 30);
    let row = line_with(&lines, "Subject:").expect("the Subject row");
    assert!(
        row.contains("[8-bit] Subject: caf\u{FFFD} cr\u{FFFD}me"),
        "{row}"
    );
    let from = line_with(&lines, "From:").expect("the From row");
    assert!(!from.contains("[8-bit]"), "{from}");
    let at = lines.iter().position(|l| l == row).unwrap();
    for (i, error) in subject.errors.iter().enumerate() {
        let start: String = error.chars().take(25).collect();
        assert!(
            lines[at + 1 + i].contains(&format!("! {start}")),
            "{lines:#?}"
        );
    }
}

#[test]
fn key_hints_show_whole_and_keep_write_help_and_quit_at_80_columns() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::Dmarc);
    app.status = None;
    let lines = screen(&mut app, 80, 24);
    let left = lines[23].split("DNS snapshot").next().unwrap().trim_end();
    assert_eq!(
        left, "n step  tab pane  y copy  w write  ? help  q quit",
        "{}",
        lines[23]
    );
    let lines = screen(&mut app, 120, 30);
    assert!(
        lines[29]
            .starts_with("n step  tab pane  y copy  Y copy all  / search  w write  o other message  ? help  q quit"),
        "{}",
        lines[29]
    );
}

#[test]
fn esc_clears_a_header_search_and_never_quits() {
    let (mut app, _, _) = loaded("lookalike-domain");
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "dkim");
    key(&mut app, KeyCode::Enter);
    assert!(app.search.is_some());
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit, "the first Esc leaves the search");
    assert_eq!(app.search, None);
    let lines = screen(&mut app, 100, 30);
    assert!(lines[29].starts_with("search cleared (Esc again goes back)"));
    assert!(!lines.iter().any(|l| l.contains("/dkim")), "{lines:#?}");
    // Esc never quits: at the top it says how to.
    for _ in 0..3 {
        key(&mut app, KeyCode::Esc);
    }
    assert!(!app.quit);
    assert_eq!(app.focus, Pane::Navigator);
    assert_eq!(
        app.status.as_deref(),
        Some("nothing to go back to: q quits")
    );
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn long_headers_wrap_in_their_column_instead_of_being_cut() {
    let (mut app, _, _) = loaded("lookalike-domain");
    app.go_to_check(Check::Headers);
    let a = app.analysis.as_ref().unwrap();
    let from = a
        .headers
        .iter()
        .find(|h| h.name == "Reply-To")
        .expect("a Reply-To")
        .raw
        .trim_end()
        .to_string();
    let lines = screen(&mut app, 100, 30);
    // The message column, each row without its borders, continuation indent removed.
    let column: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split("││").nth(2))
        .map(|c| c.trim_end_matches('│').trim_end().to_string())
        .collect();
    let at = column
        .iter()
        .position(|c| c.starts_with(" Reply-To:"))
        .expect("the Reply-To row");
    let mut joined = column[at][1..].to_string();
    for c in &column[at + 1..] {
        let Some(rest) = c.strip_prefix("   ") else {
            break;
        };
        joined.push_str(rest);
    }
    assert_eq!(
        joined.replace("\r\n", ""),
        from.replace("\r\n", ""),
        "{lines:#?}"
    );
}

#[test]
fn navigator_labels_and_error_badges_fit_from_100_columns() {
    let (mut app, _, _) = loaded("dns-timeout-temperror");
    let lines = screen(&mut app, 100, 30);
    assert!(
        line_with(&lines, "│SPF MAIL FROM ! temperror│").is_some(),
        "{lines:#?}"
    );
    let lines = screen(&mut app, 120, 40);
    let row = line_with(&lines, "│DKIM initech.example s=s1 ").expect("the DKIM entry whole");
    assert!(row.contains(" ! temperror│"), "{row}");
}

#[test]
fn enter_on_a_summary_row_opens_the_check_it_is_about() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    let a = app.analysis.clone().unwrap();
    let row = app
        .steps()
        .iter()
        .position(|s| s.title.starts_with("DKIM #2 "))
        .expect("a finding about the second signature");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Steps);
    for _ in 0..row {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected_check(), Check::Dkim(Some(1)));
    assert_eq!(app.focus, Pane::Steps);
    // It opens on the first failing step: the why.
    let steps = app.steps();
    let first_fail = steps
        .iter()
        .position(|s| s.outcome == mailsleuth::analysis::Outcome::Fail)
        .expect("the failed signature has a failing step");
    assert_eq!(app.step, first_fail);
    let lines = screen(&mut app, 100, 30);
    assert!(
        lines[29].starts_with(&format!("opened {}", Check::Dkim(Some(1)).title(Some(&a)))),
        "{}",
        lines[29]
    );
    // A warning about a header opens the headers view on it.
    let (mut app, _, _) = loaded("lookalike-domain");
    let a = app.analysis.clone().unwrap();
    let lookalike = a
        .warnings
        .iter()
        .find(|w| w.code == "from-lookalike")
        .expect("the lookalike warning");
    let row = app
        .steps()
        .iter()
        .position(|s| s.title == lookalike.message)
        .expect("its Summary row");
    app.focus = Pane::Steps;
    app.step = row;
    app.status = None;
    let lines = screen(&mut app, 100, 30);
    assert!(lines[29].contains("enter open"), "{}", lines[29]);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected_check(), Check::Headers);
    assert_eq!(Some(app.header), lookalike.header_index);
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("▶From: PayPal"), "{text}");
}

#[test]
fn enter_on_a_recorded_result_shows_its_header() {
    let (mut app, _, _) = loaded("forged-authentication-results");
    app.go_to_check(Check::Recorded);
    app.focus = Pane::Steps;
    key(&mut app, KeyCode::Char('j'));
    let recorded = app.analysis.as_ref().unwrap().recorded[1].clone();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected_check(), Check::Headers);
    assert_eq!(app.header, recorded.header_index);
    assert_eq!(app.highlighted, vec![recorded.header_index]);
}

#[test]
fn nested_spf_step_titles_show_their_innermost_mechanism() {
    let (mut app, _, _) = loaded("spf-permerror-too-many-lookups");
    app.go_to_check(Check::SpfMailFrom);
    app.focus = Pane::Steps;
    key(&mut app, KeyCode::Char('G'));
    let steps = app.steps();
    let lines = screen(&mut app, 100, 30);
    let mut nested = 0;
    for (i, step) in steps.iter().enumerate() {
        let Some(row) = line_with(&lines, &format!("│{:>2} ", i + 1)) else {
            continue;
        };
        let Some(last) = step
            .title
            .rsplit(" › ")
            .next()
            .filter(|_| step.title.contains(" › "))
        else {
            continue;
        };
        nested += 1;
        let start: String = last.chars().take(20).collect();
        assert!(row.contains(&start), "{row} should show {last}");
    }
    assert!(nested >= 3, "nested includes on screen: {lines:#?}");
}

#[test]
fn a_long_message_shares_the_status_line_only_with_help_and_quit() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::DnsLog);
    app.focus = Pane::DnsLog;
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let _ = screen(&mut app, 80, 24);
    key(&mut app, KeyCode::Char('y'));
    let status = app.status.clone().unwrap();
    assert!(status.ends_with(" lines)"), "{status}");
    let lines = screen(&mut app, 80, 24);
    let row = lines[23].trim_end();
    let (message, keys) = row.split_at(row.char_indices().nth(status.chars().count()).unwrap().0);
    assert_eq!(message, status.as_str());
    assert_eq!(keys.trim(), "? help  q quit");
    // A short one shares the line with the DNS state.
    key(&mut app, KeyCode::Char('r'));
    let lines = screen(&mut app, 80, 24);
    assert!(
        lines[23].starts_with("headers: unfolded values"),
        "{}",
        lines[23]
    );
    assert!(
        lines[23].ends_with("? help  q quit  DNS snapshot · 11 queries"),
        "{}",
        lines[23]
    );
}

#[test]
fn summary_rows_that_state_a_result_show_its_glyph() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    let lines = screen(&mut app, 120, 40);
    let row = |start: &str| {
        lines
            .iter()
            .find(|l| l.contains(start))
            .unwrap_or_else(|| panic!("no row with {start}: {lines:#?}"))
            .clone()
    };
    assert!(row("DKIM #2 d=example.com").contains("✗ fail     DKIM #2"));
    assert!(row("DKIM #1 d=lists.example.org").contains("✓ pass     DKIM #1"));
    // A risk note about a passing signature is not a pass.
    assert!(row("DKIM #1 risks").contains("i info     DKIM #1 risks"));
}

#[test]
fn help_scrolls_within_its_length_on_a_small_terminal() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    let _ = screen(&mut app, 80, 24);
    key(&mut app, KeyCode::Char('?'));
    let lines = screen(&mut app, 80, 24);
    assert!(
        lines[0].contains("Help — ? or Esc closes · j/k scroll · 1–22 of "),
        "{lines:#?}"
    );
    for _ in 0..30 {
        key(&mut app, KeyCode::Char('j'));
    }
    let max = app.help_scroll;
    assert!(max > 0 && max < 30, "clamped: {max}");
    let lines = screen(&mut app, 80, 24);
    let last = lines[22].trim_matches(['│', ' ']).to_string();
    assert!(
        !last.is_empty(),
        "the last help line shows, not blank: {lines:#?}"
    );
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.help_scroll, max - 1, "one key back moves at once");
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.help_scroll, 0);
}

#[test]
fn a_huge_header_renders_in_the_headers_view_quickly() {
    let long = "x".repeat(400_000);
    let message = format!(
        "Received: from a.example (a.example [192.0.2.7])\r\n\tby mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\nFrom: a@example.com\r\nSubject: {long}\r\n\r\nbody\r\n"
    );
    let mut app = app_with(
        Arc::new(SnapshotBackend::new(Snapshot::new())),
        MemoryClipboard::default(),
        1_793_613_600,
    );
    app.load(message.into_bytes(), "huge.eml");
    wait_idle(&mut app);
    app.go_to_check(Check::Headers);
    let started = std::time::Instant::now();
    let lines = screen(&mut app, 100, 30);
    let took = started.elapsed();
    assert!(
        line_with(&lines, "From: a@example.com").is_some(),
        "{lines:#?}"
    );
    app.header = app
        .analysis
        .as_ref()
        .unwrap()
        .headers
        .iter()
        .position(|h| h.name == "Subject")
        .unwrap();
    let lines = screen(&mut app, 100, 30);
    assert!(
        line_with(&lines, " chars; y copies all").is_some(),
        "{lines:#?}"
    );
    eprintln!("headers view with a 400 kB header drawn in {took:?}");
    assert!(took < std::time::Duration::from_secs(2), "took {took:?}");
}

#[test]
fn a_huge_header_a_step_used_is_cut_in_the_evidence() {
    let name = "y".repeat(100_000);
    let message = format!(
        "Received: from a.example (a.example [192.0.2.7])\r\n\tby mx.example.net; Mon, 2 Nov 2026 10:00:00 +0000\r\nFrom: {name} <a@example.com>\r\nSubject: hi\r\n\r\nbody\r\n"
    );
    let mut app = app_with(
        Arc::new(SnapshotBackend::new(Snapshot::new())),
        MemoryClipboard::default(),
        1_793_613_600,
    );
    app.load(message.into_bytes(), "huge-from.eml");
    wait_idle(&mut app);
    let from = app
        .analysis
        .as_ref()
        .unwrap()
        .headers
        .iter()
        .position(|h| h.name == "From")
        .unwrap();
    app.go_to_check(Check::Dmarc);
    let step = app
        .steps()
        .iter()
        .position(|s| s.headers.contains(&from))
        .expect("a DMARC step that used the From header");
    app.step = step;
    app.focus = Pane::Evidence;
    let started = std::time::Instant::now();
    key(&mut app, KeyCode::Char('G'));
    let lines = screen(&mut app, 100, 30);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(line_with(&lines, "… +").is_some(), "{lines:#?}");
}

#[test]
fn the_evidence_of_a_summary_row_says_where_enter_leads() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    let a = app.analysis.clone().unwrap();
    // The first finding is what the receiving server decided (its X-Spam-Flag).
    assert!(
        app.steps()[0].title.starts_with("SpamAssassin decided: "),
        "{:?}",
        app.steps()[0]
    );
    let lines = screen(&mut app, 100, 30);
    let receiver = Check::Receiver.title(Some(&a));
    // The line wraps in the pane: its start is enough.
    let receiver: String = receiver.chars().take(30).collect();
    assert!(
        line_with(&lines, &format!("press enter twice to open {receiver}")).is_some(),
        "{lines:#?}"
    );
    // Exactly that: two Enters from the navigator.
    key(&mut app, KeyCode::Enter);
    let lines = screen(&mut app, 100, 30);
    assert!(
        line_with(&lines, &format!("│press enter to open {receiver}")).is_some(),
        "{lines:#?}"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected_check(), Check::Receiver);
    // Esc goes back the way Enter came: to the Summary row, then to the navigator.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.selected_check(), Check::Summary);
    assert_eq!(app.focus, Pane::Steps);
    assert_eq!(app.step, 0);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.focus, Pane::Navigator);
    assert!(!app.quit);
}

#[test]
fn toggling_the_header_columns_keeps_the_focus_in_the_headers() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::Headers);
    // Focus the message column (side by side: navigator → trace → message).
    while app.focus != Pane::Message {
        key(&mut app, KeyCode::Tab);
    }
    key(&mut app, KeyCode::Char('t')); // trace only: the message column goes away
    assert_eq!(app.focus, Pane::Trace);
    key(&mut app, KeyCode::Char('t')); // message only
    assert_eq!(app.focus, Pane::Message);
    key(&mut app, KeyCode::Char('t')); // side by side again
    assert_eq!(app.focus, Pane::Message);
}

#[test]
fn o_opens_the_start_screen_and_esc_returns_to_the_message() {
    let (mut app, _, s) = loaded("spoofed-from-dmarc-reject");
    key(&mut app, KeyCode::Char('o'));
    assert!(matches!(app.screen, Screen::Start(_)));
    let text = screen_text(&mut app, 100, 30);
    assert!(
        text.contains("Esc goes back to the message on screen"),
        "{text}"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.screen, Screen::Main);
    assert!(!app.quit);
    // Another message opened from there replaces the one on screen.
    key(&mut app, KeyCode::Char('o'));
    type_text(&mut app, &s.eml.display().to_string());
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Main);
    assert!(app.history.is_empty());
}

#[test]
fn a_new_search_starts_empty() {
    let (mut app, _, _) = loaded("lookalike-domain");
    key(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "dkim");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('/'));
    assert_eq!(app.prompt.as_ref().unwrap().input.text, "");
    type_text(&mut app, "from");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.search.as_deref(), Some("from"));
}

#[test]
fn keys_do_nothing_while_the_terminal_is_too_small_except_quit() {
    let (mut app, _, _) = loaded("lookalike-domain");
    let text = screen_text(&mut app, 79, 24);
    assert!(text.contains("Terminal too small"));
    for c in ['j', 'o', '/', 'y'] {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.screen, Screen::Main);
    assert_eq!(app.nav, 0);
    assert!(app.prompt.is_none());
    assert!(app.status.is_none() || !app.status.as_deref().unwrap().contains("copied"));
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit);
}

#[test]
fn the_hop_list_leads_with_the_client_ip_at_80_and_120_columns() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::Envelope);
    let a = app.analysis.clone().unwrap();
    assert!(a.hops.len() >= 3);
    for (width, height) in [(80, 24), (120, 30)] {
        let text = screen_text(&mut app, width, height);
        for (i, hop) in a.hops.iter().enumerate() {
            let ip = hop.from_ip.as_deref().unwrap_or("?");
            let row = text
                .lines()
                .find(|l| l.contains(&format!("#{:<2} ", i + 1)))
                .unwrap_or_else(|| panic!("hop #{} at {width}: {text}", i + 1));
            assert!(row.contains(&format!("#{:<2} {ip}", i + 1)), "{row}");
        }
    }
}

#[test]
fn dkim_entries_show_their_selector_and_badges_keep_their_words() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    let a = app.analysis.clone().unwrap();
    for (width, height) in [(80, 24), (100, 30), (120, 30)] {
        let lines = screen(&mut app, width, height);
        for (i, sig) in a.dkim.iter().enumerate() {
            let selector = sig.selector.clone().unwrap();
            let word = Check::Dkim(Some(i)).badge(&a).word;
            let row = line_with(&lines, &format!("s={selector}"))
                .unwrap_or_else(|| panic!("selector {selector} at {width}: {lines:#?}"));
            assert!(row.contains(&word), "{row}");
        }
        // Labels shrink, badges do not: "Envelope" rather than a cut badge.
        let envelope = line_with(&lines, "Envelope").unwrap();
        let badge = Check::Envelope.badge(&a);
        assert!(
            envelope.contains(&format!("{} {}", badge.glyph, badge.word)),
            "{envelope}"
        );
    }
}

#[test]
fn two_signatures_of_one_domain_read_apart_by_their_selector_at_every_width() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    for (width, height) in [(80, 24), (100, 30), (120, 30)] {
        let lines = screen(&mut app, width, height);
        for selector in ["ed2026", "rsa2026"] {
            let row = line_with(&lines, &format!(" s={selector} "))
                .unwrap_or_else(|| panic!("s={selector} at {width}: {lines:#?}"));
            assert!(row.contains("✓ pass"), "{row}");
        }
    }
    let lines = screen(&mut app, 120, 30);
    assert!(
        line_with(&lines, "│DKIM example.com s=ed2026 ").is_some(),
        "{lines:#?}"
    );
}

#[test]
fn a_pass_with_unsigned_body_bytes_is_not_plain_green() {
    let (mut app, _, _) = loaded("dkim-body-length-abused");
    let a = app.analysis.clone().unwrap();
    assert_eq!(a.dmarc.result, mailsleuth::analysis::AuthResult::Pass);
    let lines = screen(&mut app, 120, 30);
    assert!(lines[0].contains("DMARC pass"), "{lines:#?}");
    assert!(
        lines[1].starts_with("▲ DKIM #1 (d=example.com s=rsa2026) passes, but l=267"),
        "{lines:#?}"
    );
    // In the warning colour, not the pass colour.
    let terminal = terminal(&mut app, 120, 30);
    let cell = &terminal.backend().buffer()[(0, 1)];
    assert_eq!(cell.fg, app.theme.warning().fg.unwrap_or_default());
    let text = mailsleuth::report::text(&a);
    let warnings = text
        .split("\nWARNINGS\n")
        .nth(1)
        .expect("a WARNINGS section");
    assert!(warnings.contains("(dkim-risk-body-length)"), "{warnings}");
}

#[test]
fn every_copy_names_the_message_and_time_in_lf_markdown_without_repeats() {
    let (mut app, clip, s) = loaded("mailing-list-arc");
    let a = app.analysis.clone().unwrap();
    let naming = format!("{} (mailsleuth, {})", s.eml.display(), a.now);
    let mut copies = Vec::new();
    // A Summary row: its sentence once.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('y'));
    let summary = clip.last().unwrap();
    let sentence = app.current_step().unwrap().title;
    assert_eq!(summary.matches(sentence.as_str()).count(), 1, "{summary}");
    copies.push(summary);
    // A hop, labelled in both orders.
    app.go_to_check(Check::Envelope);
    app.focus = Pane::Hops;
    key(&mut app, KeyCode::Char('y'));
    let hop = clip.last().unwrap();
    let total = a.hops.len();
    assert!(
        hop.contains(&format!(
            "### Hop #1 of {total}, newest first (#{total} in the reports, oldest first)"
        )),
        "{hop}"
    );
    copies.push(hop);
    // A DNS query.
    app.go_to_check(Check::DnsLog);
    app.focus = Pane::DnsLog;
    key(&mut app, KeyCode::Char('y'));
    copies.push(clip.last().unwrap());
    // A folded header (a Received line spans several lines, CRLF in the message).
    let folded = a
        .headers
        .iter()
        .find(|h| h.raw.trim_end().contains("\r\n"))
        .expect("a folded header")
        .index;
    app.go_to_check(Check::Headers);
    app.header = folded;
    app.focus = Pane::Trace;
    key(&mut app, KeyCode::Char('y'));
    let header = clip.last().unwrap();
    assert!(header.contains("```\n"), "{header}");
    copies.push(header);
    for copy in &copies {
        let first = copy.lines().next().unwrap();
        assert!(first.contains(&naming), "{first}");
        assert!(!copy.contains('\r'), "{copy:?}");
    }
}

#[test]
fn esc_on_an_empty_start_screen_asks_before_quitting() {
    let s = sample("clean-pass-dual-signed");
    let mut app = start_app(&s, MemoryClipboard::default());
    let text = screen_text(&mut app, 100, 30);
    assert!(text.contains("Ctrl-C quits (Esc asks first)"), "{text}");
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit, "Esc does not quit at once");
    let text = screen_text(&mut app, 100, 30);
    assert!(
        text.contains("Quit mailsleuth? y quits · n or Esc stays"),
        "{text}"
    );
    // `n` stays, and is not typed into the path.
    key(&mut app, KeyCode::Char('n'));
    assert!(!app.quit);
    let Screen::Start(start) = &app.screen else {
        panic!("still the start screen");
    };
    assert_eq!(start.path.text, "");
    assert!(!start.confirm_quit);
    // Esc twice: asked, then cancelled.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit);
    assert!(!screen_text(&mut app, 100, 30).contains("Quit mailsleuth?"));
    // Esc, then `y`: quits.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char('y'));
    assert!(app.quit);
}

#[test]
fn help_lists_the_message_list_keys() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    key(&mut app, KeyCode::Char('?'));
    let text = screen_text(&mut app, 100, 40);
    let line = |needle: &str| {
        text.lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {text}"))
            .to_string()
    };
    assert!(line("message list: sort by date").contains(" s "));
    assert!(line("in the message list, filter it").contains(" / "));
}
