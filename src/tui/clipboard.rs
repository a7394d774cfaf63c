//! Copy and paste. The system clipboard (arboard) first; when there is no display or it fails
//! (over SSH, on a console), OSC 52 asks the terminal itself to set its clipboard. The status bar
//! says which path was taken, since OSC 52 cannot report whether the terminal honoured it.
//!
//! On X11 (and Wayland through XWayland) a selection lives only as long as the process that owns
//! it. So a copy is served by a detached child of our own binary (`mailsleuth __clipboard-serve`,
//! fed the text on stdin) until another client takes the selection, as xclip and wl-copy do:
//! the copy outlives quitting the TUI.

use std::io::{BufRead, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The hidden argument that turns the binary into a clipboard server (see [`serve_stdin`]).
pub const SERVE_ARG: &str = "__clipboard-serve";
/// What the server prints once it owns the selection.
const SERVING: &str = "serving";

/// How a copy reached a clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyPath {
    System,
    /// The system clipboard, served by a background process after we quit.
    SystemKept,
    Osc52,
    /// The in-memory clipboard of tests.
    Memory,
}

impl CopyPath {
    pub fn describe(self) -> &'static str {
        match self {
            CopyPath::System => "system clipboard",
            CopyPath::SystemKept => "system clipboard (kept after quitting)",
            CopyPath::Osc52 => "terminal clipboard (OSC 52)",
            CopyPath::Memory => "memory clipboard",
        }
    }
}

pub trait Clipboard: Send {
    fn copy(&mut self, text: &str) -> Result<CopyPath, String>;
    fn paste(&mut self) -> Result<String, String>;
}

/// arboard, falling back to OSC 52 on the terminal's output.
pub struct SystemClipboard {
    // Kept alive: on X11 the owner of the selection serves it until dropped.
    arboard: Option<arboard::Clipboard>,
    /// Our own binary, to serve copies in the background (X11/Wayland only).
    server: Option<std::path::PathBuf>,
}

impl SystemClipboard {
    pub fn new() -> Self {
        let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
        let arboard = if has_display || cfg!(any(target_os = "macos", windows)) {
            arboard::Clipboard::new().ok()
        } else {
            None
        };
        let linux_like = cfg!(all(unix, not(target_os = "macos")));
        let server = (has_display && linux_like)
            .then(std::env::current_exe)
            .and_then(Result::ok)
            // Only our own binary knows the hidden argument (not a test harness).
            .filter(|exe| {
                exe.file_stem()
                    .is_some_and(|n| n.to_string_lossy() == "mailsleuth")
            });
        SystemClipboard { arboard, server }
    }
}

impl Default for SystemClipboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Clipboard for SystemClipboard {
    fn copy(&mut self, text: &str) -> Result<CopyPath, String> {
        if let Some(exe) = &self.server
            && spawn_server(exe, text).is_ok()
        {
            return Ok(CopyPath::SystemKept);
        }
        if let Some(board) = self.arboard.as_mut()
            && board.set_text(text.to_string()).is_ok()
        {
            return Ok(CopyPath::System);
        }
        osc52(text)
            .map(|()| CopyPath::Osc52)
            .map_err(|e| format!("no clipboard: {e}"))
    }

    fn paste(&mut self) -> Result<String, String> {
        match self.arboard.as_mut() {
            Some(board) => board.get_text().map_err(|e| e.to_string()),
            None => Err(
                "no system clipboard here (no display); paste into the terminal instead"
                    .to_string(),
            ),
        }
    }
}

/// Starts `exe __clipboard-serve` in its own process group (a terminal's hangup or Ctrl-C does
/// not reach it), hands it the text and waits until it says it owns the selection.
#[cfg(all(unix, not(target_os = "macos")))]
fn spawn_server(exe: &std::path::Path, text: &str) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new(exe)
        .arg(SERVE_ARG)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    stdin
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    drop(stdin);
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let said = rx.recv_timeout(Duration::from_secs(3)).unwrap_or_default();
    if said.trim() == SERVING {
        // Reap it when it ends, so it never lingers as a zombie while we run.
        std::thread::spawn(move || child.wait());
        Ok(())
    } else {
        let _ = child.kill();
        let _ = child.wait();
        Err("the clipboard server did not start".into())
    }
}

/// The `__clipboard-serve` mode: reads the text on stdin, takes the X selection (CLIPBOARD),
/// prints `serving` and serves it until another client takes the selection. Exit 0 when it
/// served, 1 when there was no clipboard to own.
#[cfg(all(unix, not(target_os = "macos")))]
pub fn serve_stdin() -> std::process::ExitCode {
    use arboard::SetExtLinux;
    let mut text = String::new();
    if std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).is_err() {
        return std::process::ExitCode::FAILURE;
    }
    let Ok(mut board) = arboard::Clipboard::new() else {
        return std::process::ExitCode::FAILURE;
    };
    if board.set_text(text.clone()).is_err() {
        return std::process::ExitCode::FAILURE;
    }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{SERVING}").and_then(|()| out.flush());
    watch_display(text.clone());
    // Setting it again while we own it re-asserts ownership (no SelectionClear to ourselves)
    // and blocks until someone else owns the clipboard.
    let _ = board.set().wait().text(text);
    std::process::ExitCode::SUCCESS
}

#[cfg(not(all(unix, not(target_os = "macos"))))]
fn spawn_server(_exe: &std::path::Path, _text: &str) -> Result<(), String> {
    Err("no background clipboard server on this platform".into())
}

/// Ends the server when the display goes away (its X connection fails) or another client owns
/// the clipboard: arboard's wait alone would outlive a dead X server.
#[cfg(all(unix, not(target_os = "macos")))]
fn watch_display(text: String) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(2));
            let still_ours = arboard::Clipboard::new()
                .and_then(|mut b| b.get_text())
                .is_ok_and(|t| t == text);
            if !still_ours {
                std::process::exit(0);
            }
        }
    });
}

/// Elsewhere the system clipboard keeps a copy itself: nothing to serve.
#[cfg(not(all(unix, not(target_os = "macos"))))]
pub fn serve_stdin() -> std::process::ExitCode {
    std::process::ExitCode::FAILURE
}

fn osc52(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout();
    crossterm::execute!(
        out,
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
    )?;
    out.flush()
}

/// A clipboard in memory, shared with whoever holds a clone (tests read what was copied).
#[derive(Clone, Default)]
pub struct MemoryClipboard {
    pub copied: Arc<Mutex<Vec<String>>>,
    pub paste_text: Arc<Mutex<Option<String>>>,
}

impl MemoryClipboard {
    pub fn last(&self) -> Option<String> {
        self.copied.lock().ok()?.last().cloned()
    }
}

impl Clipboard for MemoryClipboard {
    fn copy(&mut self, text: &str) -> Result<CopyPath, String> {
        self.copied
            .lock()
            .map_err(|e| e.to_string())?
            .push(text.to_string());
        Ok(CopyPath::Memory)
    }

    fn paste(&mut self) -> Result<String, String> {
        self.paste_text
            .lock()
            .map_err(|e| e.to_string())?
            .clone()
            .ok_or_else(|| "clipboard is empty".to_string())
    }
}
