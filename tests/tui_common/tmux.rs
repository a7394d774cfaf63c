//! A private tmux server for end-to-end tests: start the real binary in a pane of a fixed size,
//! send keys, and poll capture-pane with a deadline (never a bare sleep).

use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Whether an external tool is there. Missing: skip loudly, except under CI=true where it fails.
pub fn require(tool: &str, probe: &[&str]) -> bool {
    let found = Command::new(tool)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if found {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if ci {
        panic!("`{tool}` is required under CI=true (apt-get install tmux xvfb xclip)");
    }
    // Straight to the stderr handle: the harness captures `eprintln!`, and a skip must show.
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPING: `{tool}` is not installed (apt-get install tmux xvfb xclip) ***\n"
    );
    false
}

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// A fresh server (own socket, no user config) running `command` in a `width`×`height` pane.
    pub fn start(tag: &str, command: &str, env: &[(&str, &str)], width: u16, height: u16) -> Tmux {
        let tmux = Tmux {
            socket: format!("mailsleuth-{tag}-{}", std::process::id()),
        };
        let mut args: Vec<String> = vec![
            "-f".into(),
            "/dev/null".into(),
            "new-session".into(),
            "-d".into(),
            "-s".into(),
            "t".into(),
            "-x".into(),
            width.to_string(),
            "-y".into(),
            height.to_string(),
        ];
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push(command.into());
        let out = tmux.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(out.status.success(), "tmux new-session: {out:?}");
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    pub fn set_option(&self, name: &str, value: &str) {
        let out = self.run(&["set-option", "-g", name, value]);
        assert!(out.status.success(), "tmux set-option {name}: {out:?}");
    }

    pub fn send_keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "tmux send-keys {keys:?}: {out:?}");
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    /// A tmux format of the pane (`#{alternate_on}` …).
    pub fn pane_format(&self, format: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "t", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Polls the screen until `done` holds; panics with the last screen after `secs`.
    pub fn wait_for(&self, what: &str, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.capture();
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_text(&self, text: &str) -> String {
        self.wait_all(&[text])
    }

    /// Waits until every one of `texts` is on the screen at once: a capture can land in the
    /// middle of a frame, with only part of it drawn.
    pub fn wait_all(&self, texts: &[&str]) -> String {
        self.wait_for(&format!("{texts:?}"), 30, |s| {
            texts.iter().all(|t| s.contains(t))
        })
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The binary on a sample with its snapshot and `--now`, in a 100×30 pane.
pub fn on_sample(tag: &str, sample: &super::Sample, env: &[(&str, &str)]) -> Tmux {
    let command = binary_command(
        &sample.eml.display().to_string(),
        &sample.dns.display().to_string(),
        &sample.now_text,
    );
    Tmux::start(tag, &command, env, 100, 30)
}

/// A shell command line that runs the binary on a sample, then reports its exit status and
/// keeps the pane open with `cat -v`, so the test can look at the terminal it left (echo,
/// line mode, bracketed paste).
pub fn binary_command(eml: &str, dns: &str, now: &str) -> String {
    format!(
        "{} {} --dns-snapshot {} --now {}; echo \"exit=$?\"; exec cat -v",
        shell_quote(env!("CARGO_BIN_EXE_mailsleuth")),
        shell_quote(eml),
        shell_quote(dns),
        shell_quote(now)
    )
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
