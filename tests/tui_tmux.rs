//! End to end in a real terminal: tmux runs the built binary on a sample with its DNS snapshot;
//! keys go in with send-keys and the screen comes back with capture-pane.

mod common;
mod tui_common;

use mailsleuth::tui::check::Check;
use tui_common::tmux::{Tmux, on_sample, require, shell_quote};
use tui_common::*;

/// What `y` on the second step of the first DKIM signature copies.
fn expected_dkim_step_markdown(name: &str) -> String {
    let (mut app, _, _) = loaded(name);
    app.go_to_check(Check::Dkim(Some(0)));
    app.apply(mailsleuth::tui::action::Action::NextStep);
    let a = app.analysis.as_ref().unwrap();
    let step = app.current_step().expect("DKIM has a second step");
    mailsleuth::report::markdown_step(a, &Check::Dkim(Some(0)).title(Some(a)), &step)
}

/// Summary → Envelope → SPF MAIL FROM → SPF HELO → DKIM, then into its steps and one step on.
fn go_to_second_dkim_step(tmux: &Tmux) -> String {
    tmux.send_keys(&["j", "j", "j", "j"]);
    tmux.wait_text("— DKIM signature 1 (d=");
    tmux.send_keys(&["Tab", "n"]);
    tmux.wait_for("the second DKIM step", 30, |s| s.contains("Steps 2/"))
}

#[test]
fn navigate_step_help_copy_quit_and_the_terminal_is_sane() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("clean-pass-dual-signed");
    let tmux = on_sample("e2e", &s, &[("DISPLAY", ""), ("NO_COLOR", "")]);
    // Fails (times out) unless both appear.
    tmux.wait_all(&["Checks", "Summary"]);
    tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    assert_eq!(tmux.pane_format("#{alternate_on}"), "1");
    assert_eq!(tmux.pane_format("#{mouse_any_flag}"), "1", "mouse on");

    let screen = go_to_second_dkim_step(&tmux);
    let title = screen
        .lines()
        .find(|l| l.contains("▸ Steps 2/"))
        .unwrap_or_default();
    assert!(title.contains(" — DKIM signature 1 (d="), "{screen}");

    tmux.send_keys(&["?"]);
    // Waits for the whole popup: a capture can land between the title and the rest of a frame.
    let help = tmux.wait_all(&[
        "Help — ? or Esc closes",
        "copy the focused step as Markdown",
    ]);
    // The binding's key is shown beside it.
    let copy = help
        .lines()
        .find(|l| l.contains("copy the focused step as Markdown"))
        .unwrap_or_default();
    assert!(copy.contains("│ y "), "{help}");
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("help to close", 30, |s| !s.contains("Help — ?"));

    tmux.send_keys(&["y"]);
    tmux.wait_text("copied to the terminal clipboard (OSC 52): step");

    // A resize redraws at once, though nothing else happens (idle frames are not redrawn).
    let out = tmux.run(&["resize-window", "-t", "t", "-x", "79", "-y", "24"]);
    assert!(out.status.success(), "{out:?}");
    tmux.wait_text("Terminal too small");
    let out = tmux.run(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    assert!(out.status.success(), "{out:?}");
    tmux.wait_for("the panes again", 30, |s| s.contains("Steps 2/"));

    tmux.send_keys(&["q"]);
    let after = tmux.wait_text("exit=0");
    assert!(
        !after.contains("Checks"),
        "left the alternate screen: {after}"
    );
    assert_eq!(tmux.pane_format("#{alternate_on}"), "0");
    assert_eq!(
        tmux.pane_format(
            "#{mouse_any_flag}#{mouse_standard_flag}#{mouse_button_flag}#{mouse_sgr_flag}"
        ),
        "0000",
        "mouse capture turned off"
    );
    assert_eq!(
        tmux.pane_format("#{cursor_flag}"),
        "1",
        "cursor shown again"
    );
    // Bracketed paste is off again (a paste arrives without the ESC[200~ marker) and the tty
    // echoes in line mode again (the probe shows up as typed).
    let out = tmux.run(&["set-buffer", "-b", "probe", "pasted-probe"]);
    assert!(out.status.success(), "{out:?}");
    let out = tmux.run(&["paste-buffer", "-p", "-b", "probe", "-t", "t"]);
    assert!(out.status.success(), "{out:?}");
    let echoed = tmux.wait_text("pasted-probe");
    assert!(
        !echoed.contains("200~"),
        "bracketed paste still on: {echoed}"
    );
}

#[test]
fn osc52_copy_reaches_the_tmux_buffer() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("clean-pass-dual-signed");
    let expected = expected_dkim_step_markdown("clean-pass-dual-signed");
    let tmux = on_sample("osc52", &s, &[("DISPLAY", "")]);
    tmux.set_option("set-clipboard", "on");
    tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    go_to_second_dkim_step(&tmux);
    tmux.send_keys(&["y"]);
    tmux.wait_text("copied to the terminal clipboard (OSC 52): step");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let buffer = loop {
        let out = tmux.run(&["show-buffer"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() && !text.is_empty() {
            break text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no tmux buffer after OSC 52"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(buffer, expected);
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn bracketed_paste_into_the_start_screen_analyses_the_email() {
    if !require("tmux", &["-V"]) {
        return;
    }
    // (A sample without bare CRs in its headers: a paste turns every line break into CR.)
    let s = sample("spoofed-from-dmarc-reject");
    let command = format!(
        "{} --dns-snapshot {} --now {}; echo \"exit=$?\"; exec cat -v",
        tui_common::tmux::shell_quote(env!("CARGO_BIN_EXE_mailsleuth")),
        tui_common::tmux::shell_quote(&s.dns.display().to_string()),
        tui_common::tmux::shell_quote(&s.now_text),
    );
    let tmux = Tmux::start("paste", &command, &[("DISPLAY", "")], 100, 30);
    tmux.wait_text("Open or paste a message");
    let text = String::from_utf8_lossy(&s.raw).into_owned();
    let out = tmux.run(&["set-buffer", "-b", "mail", &text]);
    assert!(out.status.success(), "{out:?}");
    // -p: paste as bracketed paste, since the application asked for it.
    let out = tmux.run(&["paste-buffer", "-p", "-b", "mail", "-t", "t"]);
    assert!(out.status.success(), "{out:?}");
    let screen = tmux.wait_for("the pasted email's analysis", 30, |s| {
        s.contains("DNS snapshot ·")
    });
    assert!(screen.contains("loaded"), "{screen}");
    assert!(
        screen.lines().next().unwrap_or("").contains("DMARC fail"),
        "{screen}"
    );
    tmux.send_keys(&["/"]);
    tmux.send_keys(&["-l", "subject"]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_text("/subject: match 1 of 1");
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn keys_hidden_inside_a_paste_are_data_not_commands() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("spoofed-from-dmarc-reject");
    let command = format!(
        "{} --dns-snapshot {} --now {}; echo \"exit=$?\"; exec cat -v",
        tui_common::tmux::shell_quote(env!("CARGO_BIN_EXE_mailsleuth")),
        tui_common::tmux::shell_quote(&s.dns.display().to_string()),
        tui_common::tmux::shell_quote(&s.now_text),
    );
    let tmux = Tmux::start("paste-keys", &command, &[("DISPLAY", "")], 100, 30);
    tmux.wait_text("Open or paste a message");
    // The email, then its own end-of-paste sequence and keys that would quit the TUI.
    let mut text = String::from_utf8_lossy(&s.raw).into_owned();
    text.push_str("\x1b[201~qq");
    let out = tmux.run(&["set-buffer", "-b", "mail", &text]);
    assert!(out.status.success(), "{out:?}");
    let out = tmux.run(&["paste-buffer", "-p", "-b", "mail", "-t", "t"]);
    assert!(out.status.success(), "{out:?}");
    let screen = tmux.wait_for("the pasted email's analysis", 30, |s| {
        s.contains("DNS snapshot ·")
    });
    // Still running: the q q inside the paste did not quit.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let screen_after = tmux.capture();
    assert!(!screen_after.contains("exit="), "{screen_after}");
    assert!(
        screen.lines().next().unwrap_or("").contains("DMARC fail"),
        "{screen}"
    );
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn a_message_on_stdin_opens_and_keys_still_come_from_the_terminal() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("spoofed-from-dmarc-reject");
    let q = tui_common::tmux::shell_quote;
    let command = format!(
        "cat {} | {} - --dns-snapshot {} --now {}; echo \"exit=$?\"; exec cat -v",
        q(&s.eml.display().to_string()),
        q(env!("CARGO_BIN_EXE_mailsleuth")),
        q(&s.dns.display().to_string()),
        q(&s.now_text),
    );
    let tmux = Tmux::start("stdin", &command, &[("DISPLAY", "")], 80, 24);
    let screen = tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    assert!(
        screen.lines().next().unwrap_or("").contains("DMARC fail"),
        "{screen}"
    );
    tmux.send_keys(&["j"]);
    tmux.wait_text("Hops —");
    tmux.send_keys(&["C-c"]);
    tmux.wait_text("exit=0");
}

#[test]
fn start_screen_completes_a_path_with_tab_and_opens_it() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("spoofed-from-dmarc-reject");
    let q = tui_common::tmux::shell_quote;
    let command = format!(
        "cd {} && {} --dns-snapshot {} --now {}; echo \"exit=$?\"; exec cat -v",
        q(&samples_dir().display().to_string()),
        q(env!("CARGO_BIN_EXE_mailsleuth")),
        q(&s.dns.display().to_string()),
        q(&s.now_text),
    );
    let tmux = Tmux::start("complete", &command, &[("DISPLAY", "")], 100, 30);
    tmux.wait_text("Open or paste a message");
    tmux.send_keys(&["-l", "spoofed"]);
    tmux.send_keys(&["Tab"]);
    // Two names fit: the common part is completed and both are listed.
    // (Times out unless the completed input and both names are on the screen together.)
    tmux.wait_all(&[
        "› spoofed-from-dmarc-reject.",
        "spoofed-from-dmarc-reject.eml",
        "spoofed-from-dmarc-reject.dns.json",
    ]);
    tmux.send_keys(&["e", "Tab", "Enter"]);
    let screen = tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    assert!(
        screen.lines().next().unwrap_or("").contains("DMARC fail"),
        "{screen}"
    );
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn no_color_draws_selection_in_reverse_video_without_colours() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("clean-pass-dual-signed");
    let tmux = on_sample("nocolor", &s, &[("DISPLAY", ""), ("NO_COLOR", "1")]);
    tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    let out = tmux.run(&["capture-pane", "-p", "-e", "-t", "t"]);
    let styled = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        styled.contains("7m"),
        "selection in reverse video: {styled:?}"
    );
    for colour in [
        "[31m", "[32m", "[33m", "[34m", "[36m", "[38;", "[41m", "[44m", "[48;",
    ] {
        assert!(
            !styled.contains(colour),
            "colour {colour} under NO_COLOR: {styled:?}"
        );
    }
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn hints_from_the_first_frame_esc_goes_back_o_opens_another_and_q_quits() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("spoofed-from-dmarc-reject");
    let tmux = on_sample("stack", &s, &[("DISPLAY", "")]);
    let first = tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    let status = first.lines().last().unwrap_or_default();
    assert!(status.contains("? help  q quit"), "{first}");

    // Enter drills into the steps; Esc comes back; Esc at the top does not quit.
    tmux.send_keys(&["Enter"]);
    tmux.wait_text("▸ Steps 1/");
    tmux.send_keys(&["Escape"]);
    tmux.wait_text("back to Summary");
    tmux.send_keys(&["Escape"]);
    tmux.wait_text("nothing to go back to: q quits");

    // A second search starts empty.
    tmux.send_keys(&["/"]);
    tmux.send_keys(&["-l", "dkim"]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_text("dkim");
    tmux.send_keys(&["/"]);
    let prompt = tmux.wait_text("(Enter ok, Esc cancel)");
    let line = prompt.lines().last().unwrap_or_default();
    assert!(
        line.starts_with("/   (Enter ok") || line.starts_with("/ "),
        "{line}"
    );
    assert!(!line.contains("dkim"), "{line}");
    tmux.send_keys(&["Escape"]);

    // `o`: the start screen; Esc returns to the message; a path there opens it.
    tmux.send_keys(&["o"]);
    tmux.wait_text("Esc goes back to the message on screen");
    tmux.send_keys(&["Escape"]);
    tmux.wait_for("the message again", 30, |s| s.contains("DNS snapshot ·"));
    tmux.send_keys(&["o"]);
    tmux.wait_text("Open or paste a message");
    tmux.send_keys(&["-l", &s.eml.display().to_string()]);
    tmux.send_keys(&["Enter"]);
    let again = tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    assert!(
        again.lines().next().unwrap_or("").contains("DMARC fail"),
        "{again}"
    );

    // Keys typed while the terminal is too small do nothing.
    let out = tmux.run(&["resize-window", "-t", "t", "-x", "79", "-y", "24"]);
    assert!(out.status.success(), "{out:?}");
    tmux.wait_text("Terminal too small");
    tmux.send_keys(&["o", "j", "Enter"]);
    let out = tmux.run(&["resize-window", "-t", "t", "-x", "100", "-y", "30"]);
    assert!(out.status.success(), "{out:?}");
    let back = tmux.wait_for("the panes again", 30, |s| s.contains("Checks"));
    assert!(!back.contains("Open or paste a message"), "{back}");
    assert!(
        back.contains("▸ Checks"),
        "the navigator keeps the focus: {back}"
    );

    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn at_80x24_the_hop_list_shows_client_ips_and_the_status_bar_keeps_w_and_q() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("mailing-list-arc");
    let command = tui_common::tmux::binary_command(
        &s.eml.display().to_string(),
        &s.dns.display().to_string(),
        &s.now_text,
    );
    let tmux = Tmux::start("narrow", &command, &[("DISPLAY", "")], 80, 24);
    tmux.wait_for("the analysis", 30, |s| s.contains("analysed in"));
    tmux.send_keys(&["j"]);
    // The next key clears the message: the key hints take the status bar.
    let screen = tmux.wait_for("the hops and the hints", 30, |s| {
        s.contains("Hops —") && s.lines().last().is_some_and(|l| l.contains("w write"))
    });
    for ip in ["198.51.100.40", "192.0.2.25", "198.51.100.91"] {
        assert!(screen.contains(ip), "{ip}: {screen}");
    }
    let status = screen.lines().last().unwrap_or_default();
    for hint in ["w write", "? help", "q quit"] {
        assert!(status.contains(hint), "{hint}: {status}");
    }
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn a_missing_file_or_snapshot_exits_2_in_the_tui_as_in_report() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let s = sample("spoofed-from-dmarc-reject");
    let missing = "/nonexistent/mailsleuth-missing.eml";
    let q = tui_common::tmux::shell_quote;
    let bin = q(env!("CARGO_BIN_EXE_mailsleuth"));
    let command = format!(
        "{bin} {missing}; echo \"tui=$?\"; {bin} report {missing} >/dev/null; echo \"report=$?\"; \
         {bin} {} --dns-snapshot {missing}; echo \"snap=$?\"; exec cat -v",
        q(&s.eml.display().to_string())
    );
    let tmux = Tmux::start("exit", &command, &[("DISPLAY", "")], 100, 30);
    let screen = tmux.wait_text("snap=");
    assert!(screen.contains("tui=2"), "{screen}");
    assert!(screen.contains("report=2"), "{screen}");
    assert!(screen.contains("snap=2"), "{screen}");
    assert!(
        screen.contains("mailsleuth: /nonexistent/mailsleuth-missing.eml: no such file"),
        "{screen}"
    );
}

#[test]
fn a_folder_opens_as_a_message_list_and_enter_and_esc_go_in_and_out() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let names = common::MAILBOX_SAMPLES;
    let dir = common::TempDir::new("tmux-mailbox");
    let folder = sample_folder(&dir, &names);
    std::fs::write(folder.join("zz-notes.eml"), "hello\nthis is not an email\n").expect("write");
    let snap = dir.file("snap.json", common::merged_snapshot_json(&names).as_bytes());
    let command = tui_common::tmux::binary_command(
        &folder.display().to_string(),
        &snap.display().to_string(),
        "2026-11-04T10:06:36Z",
    );
    let tmux = Tmux::start("mailbox", &command, &[("DISPLAY", "")], 100, 30);
    let list = tmux.wait_for("the analyses", 30, |s| s.contains("4 analysed"));
    for row in [
        "✗ dmarc fail → reject",
        "✓ dmarc pass",
        "Urgent - confidential wire",
    ] {
        assert!(list.contains(row), "{row}: {list}");
    }
    let broken = list
        .lines()
        .find(|l| l.contains("zz-notes.eml"))
        .unwrap_or_default();
    assert!(broken.contains("! error"), "{list}");
    assert!(list.contains("? help  q quit"), "{list}");

    // Sorted by verdict, filtered to the pass; Enter opens it.
    tmux.send_keys(&["s", "s"]);
    tmux.wait_text("by verdict, failures first");
    tmux.send_keys(&["/"]);
    tmux.wait_text("filter (verdict or From domain):");
    tmux.send_keys(&["-l", "pass"]);
    tmux.send_keys(&["Enter"]);
    tmux.wait_text("1 match \"pass\"");
    tmux.send_keys(&["Enter"]);
    let message = tmux.wait_for("the message", 30, |s| {
        s.lines().next().unwrap_or("").contains("DMARC pass") && s.contains("Checks")
    });
    assert!(message.contains("Esc returns to the list"), "{message}");

    // Esc: back to the list as it was (filter, order); Esc clears the filter; Esc stays.
    tmux.send_keys(&["Escape"]);
    tmux.wait_all(&["back to the message list", "1 match \"pass\" · by verdict"]);
    tmux.send_keys(&["Escape"]);
    tmux.wait_text("filter cleared");
    tmux.send_keys(&["Escape"]);
    tmux.wait_text("nothing to go back to: q quits");
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
}

#[test]
fn esc_on_the_empty_start_screen_asks_and_y_quits() {
    if !require("tmux", &["-V"]) {
        return;
    }
    let command = format!(
        "{}; echo \"exit=$?\"; exec cat -v",
        tui_common::tmux::shell_quote(env!("CARGO_BIN_EXE_mailsleuth")),
    );
    let tmux = Tmux::start("ask-quit", &command, &[("DISPLAY", "")], 100, 30);
    tmux.wait_text("Ctrl-C quits (Esc asks first)");
    tmux.send_keys(&["Escape"]);
    tmux.wait_text("Quit mailsleuth? y quits · n or Esc stays");
    tmux.send_keys(&["n"]);
    let stayed = tmux.wait_text("Ctrl-C quits (Esc asks first)");
    assert!(!stayed.contains("exit="), "{stayed}");
    tmux.send_keys(&["Escape"]);
    tmux.wait_text("Quit mailsleuth?");
    tmux.send_keys(&["y"]);
    tmux.wait_text("exit=0");
}

/// `mailsleuth FOLDER --dns-server … --save-dns FILE`: the list's analyses ask live DNS (a
/// responder this test runs on 127.0.0.1, serving the samples' answers), and quitting without
/// opening a message writes every answer they got.
#[test]
fn save_dns_on_a_message_list_keeps_every_messages_answers() {
    use mailsleuth::dns::snapshot::Snapshot;
    if !require("tmux", &["-V"]) {
        return;
    }
    let names = common::MAILBOX_SAMPLES;
    let dir = common::TempDir::new("tmux-save-list");
    let folder = sample_folder(&dir, &names);
    let snapshot = Snapshot::parse(&common::merged_snapshot_json(&names)).expect("snapshot");
    let (_rt, upstream, responder) = common::loopback_server(snapshot);
    let saved = dir.0.join("saved.json");
    let command = format!(
        "{} {} --dns-server {} --save-dns {} --now 2026-11-04T10:06:36Z; echo \"exit=$?\"; exec cat -v",
        shell_quote(env!("CARGO_BIN_EXE_mailsleuth")),
        shell_quote(&folder.display().to_string()),
        responder.addr(),
        shell_quote(&saved.display().to_string()),
    );
    let tmux = Tmux::start("save-list", &command, &[("DISPLAY", "")], 100, 30);
    tmux.wait_for("the analyses", 30, |s| {
        s.contains(&format!("{} analysed", names.len()))
    });
    tmux.send_keys(&["q"]);
    let after = tmux.wait_text("exit=0");
    assert!(after.contains("DNS answers saved to"), "{after}");
    // Every question any message asked is in the file.
    let asked: std::collections::BTreeSet<String> = upstream
        .evidence()
        .iter()
        .filter(|e| e.outcome != mailsleuth::dns::DnsOutcome::NxDomain)
        .map(|e| e.name.clone())
        .collect();
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved).expect("the snapshot was written"))
            .expect("JSON");
    let written: std::collections::BTreeSet<String> = file
        .as_object()
        .expect("an object")
        .keys()
        .filter(|k| *k != "_meta")
        .cloned()
        .collect();
    assert!(asked.len() > names.len(), "{asked:?}");
    assert_eq!(written, asked);
}

/// A folder `reported` in `dir` holding the samples `names` as `.eml` files.
fn sample_folder(dir: &common::TempDir, names: &[&str]) -> std::path::PathBuf {
    let folder = dir.0.join("reported");
    std::fs::create_dir_all(&folder).expect("folder");
    for name in names {
        let eml = sample(name).eml;
        std::fs::copy(&eml, folder.join(eml.file_name().unwrap())).expect("copy sample");
    }
    folder
}
