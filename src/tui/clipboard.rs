//! Copy and paste. The system clipboard (arboard) first; when there is no display or it fails
//! (over SSH, on a console), OSC 52 asks the terminal itself to set its clipboard. The status bar
//! says which path was taken, since OSC 52 cannot report whether the terminal honoured it.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// How a copy reached a clipboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyPath {
    System,
    Osc52,
    /// The in-memory clipboard of tests.
    Memory,
}

impl CopyPath {
    pub fn describe(self) -> &'static str {
        match self {
            CopyPath::System => "system clipboard",
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
        SystemClipboard { arboard }
    }
}

impl Default for SystemClipboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Clipboard for SystemClipboard {
    fn copy(&mut self, text: &str) -> Result<CopyPath, String> {
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
