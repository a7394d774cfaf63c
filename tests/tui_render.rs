//! Whole-frame render tests of every pane on real samples, at 100×30 and 80×24, and the
//! too-small notice. Snapshots are in tests/snapshots/ (reviewed; CI sets INSTA_UPDATE=no).

mod tui_common;

use insta::assert_snapshot;
use mailsleuth::tui::action::Action;
use mailsleuth::tui::check::Check;
use mailsleuth::tui::clipboard::MemoryClipboard;
use mailsleuth::tui::ui::Pane;
use tui_common::*;

fn snap(name: &str, text: String) {
    insta_settings().bind(|| assert_snapshot!(name, text));
}

#[test]
fn start_screen() {
    let s = sample("spoofed-from-dmarc-reject");
    let mut app = start_app(&s, MemoryClipboard::default());
    snap("start_screen_100x30", screen_text(&mut app, 100, 30));
}

#[test]
fn summary_of_a_spoofed_message_at_both_sizes() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    snap("summary_spoofed_100x30", screen_text(&mut app, 100, 30));
    snap("summary_spoofed_80x24", screen_text(&mut app, 80, 24));
}

#[test]
fn dmarc_steps_and_evidence() {
    let (mut app, _, _) = loaded("spoofed-from-dmarc-reject");
    app.go_to_check(Check::Dmarc);
    app.apply(Action::FocusNext);
    snap("dmarc_steps_100x30", screen_text(&mut app, 100, 30));
    app.apply(Action::NextStep);
    snap("dmarc_step2_80x24", screen_text(&mut app, 80, 24));
}

#[test]
fn dkim_signature_of_a_mailing_list() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::Dkim(Some(1)));
    app.apply(Action::FocusNext);
    snap("dkim_mailing_list_100x30", screen_text(&mut app, 100, 30));
    app.go_to_check(Check::Arc);
    snap("arc_mailing_list_100x30", screen_text(&mut app, 100, 30));
}

#[test]
fn hop_timeline() {
    let (mut app, _, _) = loaded("mailing-list-arc");
    app.go_to_check(Check::Envelope);
    app.focus = Pane::Hops;
    snap("hops_mailing_list_100x30", screen_text(&mut app, 100, 30));
    snap("hops_mailing_list_80x24", screen_text(&mut app, 80, 24));
}

#[test]
fn dns_log_with_a_timeout() {
    let (mut app, _, _) = loaded("dns-timeout-temperror");
    app.go_to_check(Check::DnsLog);
    snap("dns_log_timeout_100x30", screen_text(&mut app, 100, 30));
}

#[test]
fn headers_side_by_side_and_unfolded() {
    let (mut app, _, _) = loaded("lookalike-domain");
    app.go_to_check(Check::Headers);
    app.apply(Action::FocusNext);
    snap("headers_raw_100x30", screen_text(&mut app, 100, 30));
    app.apply(Action::ToggleRaw);
    app.apply(Action::ToggleSplit);
    snap(
        "headers_trace_unfolded_80x24",
        screen_text(&mut app, 80, 24),
    );
}

#[test]
fn recorded_results_vs_ours() {
    let (mut app, _, _) = loaded("forged-authentication-results");
    app.go_to_check(Check::Recorded);
    snap("recorded_forged_100x30", screen_text(&mut app, 100, 30));
}

#[test]
fn help_overlay() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    app.apply(Action::Help);
    snap("help_100x30", screen_text(&mut app, 100, 30));
}

#[test]
fn too_small_terminal() {
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    snap("too_small_79x24", screen_text(&mut app, 79, 24));
    let text = screen_text(&mut app, 100, 23);
    assert!(text.contains("Terminal too small"), "{text}");
    assert!(text.contains("100×23"), "{text}");
    // Exactly the minimum is enough.
    assert!(!screen_text(&mut app, 80, 24).contains("Terminal too small"));
}
