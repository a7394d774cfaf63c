//! The interactive terminal UI: a view of the `Analysis` value that never evaluates anything
//! itself. `analyze` runs on a background thread (`worker.rs`); the event loop here draws the
//! state (`ui.rs`, `panes/`), turns keys into actions (`keymap.rs`, `action.rs`) and applies them
//! (`app.rs`).

pub mod action;
pub mod app;
pub mod check;
pub mod clipboard;
pub mod events;
pub mod export;
pub mod history;
pub mod input;
pub mod keymap;
pub mod panes;
pub mod sanitize;
pub mod search;
pub mod theme;
pub mod ui;
pub mod worker;

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
};
use ratatui::DefaultTerminal;
use ratatui::layout::Rect;

use crate::analysis::Options;
use app::App;
use clipboard::SystemClipboard;
use keymap::Keymap;
use theme::Theme;
use worker::{AfterRun, DnsFactory};

/// How often the spinner turns and the DNS log is polled while an analysis runs.
const TICK: Duration = Duration::from_millis(80);

/// A file or snapshot that cannot be read: a usage/input error (exit 2, as `report` gives),
/// not an internal one.
#[derive(Debug)]
pub struct InputError(pub String);

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// What main.rs hands over once it decided on the TUI.
pub struct TuiArgs {
    /// A path, `-` for stdin, or None for the start screen.
    pub input: Option<String>,
    /// Which message of a file of several to open (from 1); None shows the pick list.
    pub message: Option<usize>,
    pub options: Options,
    pub dns: crate::dns::DnsConfig,
}

/// Runs the TUI until the user quits. Each analysis gets a fresh DNS handle from `args.dns`;
/// with `--save-dns` the answers of each finished run are saved.
pub fn run(args: TuiArgs) -> anyhow::Result<()> {
    // Fail on a bad snapshot or resolver now, with a plain error, not inside the UI.
    args.dns
        .build()
        .map_err(|e| anyhow::Error::new(InputError(e)))?;
    let config = std::sync::Arc::new(args.dns);
    let build = config.clone();
    let factory: DnsFactory = std::sync::Arc::new(move || build.build());
    let input = args
        .input
        .clone()
        .filter(|i| i != "-")
        .map(std::path::PathBuf::from);
    let after: Option<AfterRun> = config.save.as_ref().map(|path| {
        let path = path.display().to_string();
        let config = config.clone();
        let after: AfterRun = std::sync::Arc::new(move |dns: &crate::dns::Dns| {
            let inputs: Vec<&std::path::Path> = input.iter().map(|p| p.as_path()).collect();
            Some(match config.save(dns, &inputs) {
                Ok(None) => format!("DNS answers saved to {path}"),
                Ok(Some(warning)) => warning,
                Err(e) => e,
            })
        });
        after
    });
    run_with_pick(args.input, args.message, args.options, factory, after)
}

/// Opens the TUI on a message (a path, `-` for stdin) or on the start screen, with DNS handles
/// made by `dns` for each run (a re-run after moving the trust boundary gets a fresh log).
pub fn run_with(
    input: Option<String>,
    options: Options,
    dns: DnsFactory,
    after_run: Option<AfterRun>,
) -> anyhow::Result<()> {
    run_with_pick(input, None, options, dns, after_run)
}

/// [`run_with`], opening message `pick` (from 1) of a file holding several.
pub fn run_with_pick(
    input: Option<String>,
    pick: Option<usize>,
    options: Options,
    dns: DnsFactory,
    after_run: Option<AfterRun>,
) -> anyhow::Result<()> {
    // Read the message before the terminal changes mode, so errors print normally.
    // The same reading and the same words as `report` (a directory, a missing file …).
    let loaded = match input.as_deref() {
        Some(path) => {
            let input = crate::input::load(path).map_err(|e| InputError(e.to_string()))?;
            Some((input.bytes, input.source))
        }
        None => None,
    };
    let (keymap, keymap_warning) = Keymap::load();
    let mut app = App::new(
        keymap,
        Theme::from_env(),
        Box::new(SystemClipboard::new()),
        dns,
        options,
    );
    if let Some(after) = after_run {
        app = app.after_run(after);
    }
    if let Some((raw, source)) = loaded {
        app.open_input(raw, &source, pick);
    }
    if keymap_warning.is_some() {
        app.status = keymap_warning;
    }

    let mut terminal = ratatui::try_init().context("starting the terminal UI")?;
    // After ratatui's hook, so this one runs first.
    install_panic_hook();
    let result = enable_input_modes().and_then(|()| event_loop(&mut terminal, &mut app));
    restore_terminal();
    result
}

fn enable_input_modes() -> anyhow::Result<()> {
    crossterm::execute!(std::io::stdout(), EnableMouseCapture, EnableBracketedPaste)
        .context("enabling mouse and bracketed paste")
}

/// Undoes what `ratatui::init` does not: mouse capture and bracketed paste; then restores.
fn restore_terminal() {
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(
        out,
        DisableMouseCapture,
        DisableBracketedPaste,
        crossterm::cursor::Show
    );
    let _ = out.flush();
    ratatui::restore();
}

/// A panic on the UI thread restores the terminal before the message prints; a panic on the
/// analysis thread leaves the screen alone and shows up in the status bar instead.
fn install_panic_hook() {
    let ui_thread = std::thread::current().id();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() != ui_thread {
            worker::record_worker_panic(info.to_string());
            return;
        }
        let _ = crossterm::execute!(
            std::io::stdout(),
            DisableMouseCapture,
            DisableBracketedPaste
        );
        previous(info);
    }));
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App) -> anyhow::Result<()> {
    // Draw only when something changed: an idle screen costs no CPU.
    let mut dirty = true;
    loop {
        if dirty {
            let size = terminal.size()?;
            app.area = Rect::new(0, 0, size.width, size.height);
            terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        if event::poll(TICK)? {
            app.handle_event(&event::read()?);
            // Drain what else is queued (a burst of wheel events, a fast typist) before drawing.
            while !app.quit && event::poll(Duration::ZERO)? {
                app.handle_event(&event::read()?);
            }
            dirty = true;
        }
        // True while a run is in flight (the spinner turns) and when it finishes.
        dirty |= app.tick();
    }
}
