//! The system clipboard for real: under Xvfb, `y` in the running binary puts the step on the X
//! clipboard, and it is still there after the app quits (a background `__clipboard-serve`
//! process owns the selection until another client takes it, as xclip does).

mod tui_common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailsleuth::tui::check::Check;
use tui_common::tmux::{on_sample, require};
use tui_common::*;

struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        // A display number no other X server holds (its lock file is absent).
        let first = 50 + std::process::id() % 400;
        let number = (first..first + 100)
            .find(|n| {
                !std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists()
                    && !std::path::Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{number}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-nolisten",
                "tcp",
                "-screen",
                "0",
                "640x480x24",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let xvfb = Xvfb { child, display };
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !std::path::Path::new(&socket).exists() {
            assert!(
                Instant::now() < deadline,
                "Xvfb did not come up on {socket}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        xvfb
    }

    fn clipboard(&self) -> Option<String> {
        let out = Command::new("xclip")
            .args(["-o", "-selection", "clipboard"])
            .env("DISPLAY", &self.display)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        // SIGTERM, so the server removes its socket and lock file (SIGKILL would leave them).
        let terminated = Command::new("kill")
            .arg(self.child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        if !terminated {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[test]
fn y_puts_the_step_on_the_x_clipboard() {
    if !require("tmux", &["-V"]) || !require("xclip", &["-version"]) || !require("Xvfb", &["-help"])
    {
        return;
    }
    let xvfb = Xvfb::start();
    let s = sample("clean-pass-dual-signed");
    let (mut app, _, _) = loaded("clean-pass-dual-signed");
    app.go_to_check(Check::Dkim(Some(0)));
    app.apply(mailsleuth::tui::action::Action::NextStep);
    let a = app.analysis.as_ref().unwrap();
    let step = app.current_step().unwrap();
    let expected =
        mailsleuth::report::markdown_step(a, &Check::Dkim(Some(0)).title(Some(a)), &step);

    let tmux = on_sample("xclip", &s, &[("DISPLAY", xvfb.display.as_str())]);
    tmux.wait_for("the analysis", 30, |s| s.contains("DNS snapshot ·"));
    tmux.send_keys(&["j", "j", "j", "j"]);
    tmux.wait_text("— DKIM signature 1 (d=");
    tmux.send_keys(&["Tab", "n"]);
    tmux.wait_text("Steps 2/");
    tmux.send_keys(&["y"]);
    tmux.wait_text("copied to the system clipboard (kept after quitting)");
    // Quit first: the copy must outlive the app.
    tmux.send_keys(&["q"]);
    tmux.wait_text("exit=0");
    let text = xvfb
        .clipboard()
        .expect("the X clipboard still has the copy after quitting");
    assert_eq!(text, expected);

    // Another client takes the selection: ours gives it up and its server ends.
    let mut xclip = Command::new("xclip")
        .args(["-i", "-selection", "clipboard"])
        .env("DISPLAY", &xvfb.display)
        .stdin(Stdio::piped())
        .spawn()
        .expect("xclip -i runs");
    use std::io::Write;
    xclip
        .stdin
        .take()
        .unwrap()
        .write_all(b"something else")
        .unwrap();
    assert!(xclip.wait().unwrap().success());
    assert_eq!(xvfb.clipboard().as_deref(), Some("something else"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !servers_on(&xvfb.display).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the clipboard server did not end"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Pids of `mailsleuth __clipboard-serve` processes on `display` (read from /proc).
fn servers_on(display: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let want = format!("DISPLAY={display}");
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            cmdline
                .split(|&b| b == 0)
                .any(|a| a == b"__clipboard-serve")
                && environ.split(|&b| b == 0).any(|v| v == want.as_bytes())
        })
        .collect()
}
