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
pub mod mailbox;
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
    Event, KeyEventKind,
};
use ratatui::Terminal;
use ratatui::backend::Backend;
use ratatui::layout::Rect;

use crate::analysis::Options;
use app::App;
use clipboard::SystemClipboard;
use keymap::Keymap;
use theme::Theme;
use worker::{AfterRun, DnsFactory, RecordRun};

/// How long keys may trail a paste and still be its data (they arrive in the same burst).
const PASTE_TAIL: Duration = Duration::from_millis(15);

/// Where the event loop's events come from: the terminal, or a script (the benches).
pub trait Events {
    /// Whether an event is ready within `wait`.
    fn poll(&mut self, wait: Duration) -> std::io::Result<bool>;
    fn read(&mut self) -> std::io::Result<Event>;
    /// Called after each frame is drawn (a bench times frames here).
    fn drawn(&mut self, _app: &App) {}
}

/// The terminal's events, through crossterm.
pub struct TerminalEvents;

impl Events for TerminalEvents {
    fn poll(&mut self, wait: Duration) -> std::io::Result<bool> {
        event::poll(wait)
    }

    fn read(&mut self) -> std::io::Result<Event> {
        event::read()
    }
}

/// Hands one event to the app. A paste is data: text may carry its own end-of-paste sequence
/// (`ESC [201~`) that the terminal does not escape, and what follows it then arrives as key
/// presses — which must never run as commands (`w`, `q`, Enter). Keys arriving in the same burst
/// as a paste are taken back into the pasted text, with the sequence that ended it early.
fn dispatch(app: &mut App, event: Event, events: &mut dyn Events) -> std::io::Result<()> {
    let Event::Paste(mut text) = event else {
        app.handle_event(&event);
        return Ok(());
    };
    let mut tail = String::new();
    let mut other: Option<Event> = None;
    while events.poll(PASTE_TAIL)? {
        match events.read()? {
            Event::Key(key) if key.kind != KeyEventKind::Press => {}
            Event::Key(key) => match key_text(&key) {
                Some(t) => tail.push_str(&t),
                None => {
                    other = Some(Event::Key(key));
                    break;
                }
            },
            Event::Paste(more) => tail.push_str(&more),
            e => {
                other = Some(e);
                break;
            }
        }
    }
    if !tail.is_empty() {
        text.push_str("\x1b[201~");
        text.push_str(&tail);
    }
    app.handle_event(&Event::Paste(text));
    if let Some(e) = other {
        app.handle_event(&e);
    }
    Ok(())
}

/// The text a key press stands for inside pasted data, if it is text.
fn key_text(key: &crossterm::event::KeyEvent) -> Option<String> {
    use crossterm::event::{KeyCode, KeyModifiers};
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match key.code {
        KeyCode::Char(c) => Some(c.to_string()),
        KeyCode::Enter => Some("\n".into()),
        KeyCode::Tab => Some("\t".into()),
        _ => None,
    }
}

/// How often the spinner turns and the DNS log is polled while an analysis runs.
const TICK: Duration = Duration::from_millis(80);

/// How often the loop looks for results while an analysis runs.
const RUN_TICK: Duration = Duration::from_millis(4);

/// How often the loop looks for results while a mailbox is read and analysed (many land at
/// once; a frame for each would cost more than it shows).
const LIST_TICK: Duration = Duration::from_millis(16);

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
    /// Which message of a file of several to open (from 1); None shows the message list.
    pub message: Option<usize>,
    pub options: Options,
    pub dns: crate::dns::DnsConfig,
}

/// Runs the TUI until the user quits. Each analysis gets a fresh DNS handle from `args.dns`.
/// With `--save-dns`, every answer of the session is kept — each message opened, each run
/// again, and every analysis of a message list — and the file is rewritten with all of them
/// when an opened message's analysis finishes, and once more on quitting if a list's analyses
/// brought answers not yet written.
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
    let Some(path) = config.save.clone() else {
        return run_with_pick(args.input, args.message, args.options, factory, None, None);
    };
    let recorder = std::sync::Arc::new(crate::dns::Recorder::default());
    // Answers recorded since the file was last written.
    let unsaved = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let save_all = {
        let (recorder, unsaved, config) = (recorder.clone(), unsaved.clone(), config.clone());
        move || {
            unsaved.store(false, std::sync::atomic::Ordering::SeqCst);
            let inputs: Vec<&std::path::Path> = input.iter().map(|p| p.as_path()).collect();
            let evidence = recorder.evidence();
            match config.save_evidence(&evidence, &inputs) {
                Ok(None) => format!(
                    "{} DNS answers saved to {}",
                    evidence.len(),
                    crate::report::visible(&path.display().to_string())
                ),
                Ok(Some(warning)) => warning,
                Err(e) => e,
            }
        }
    };
    let save_all = std::sync::Arc::new(save_all);
    let after: AfterRun = {
        let (recorder, save_all) = (recorder.clone(), save_all.clone());
        std::sync::Arc::new(move |dns: &crate::dns::Dns| {
            recorder.record(dns);
            Some(save_all())
        })
    };
    let record: RecordRun = {
        let (recorder, unsaved) = (recorder.clone(), unsaved.clone());
        std::sync::Arc::new(move |dns: &crate::dns::Dns| {
            if recorder.record(dns) > 0 {
                unsaved.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        })
    };
    let result = run_with_pick(
        args.input,
        args.message,
        args.options,
        factory,
        Some(after),
        Some(record),
    );
    // The terminal is back: what the lists added since the last write goes out now.
    if unsaved.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("mailsleuth: {}", save_all());
    }
    result
}

/// Opens the TUI on a message (a path, `-` for stdin) or on the start screen, with DNS handles
/// made by `dns` for each run (a re-run after moving the trust boundary gets a fresh log).
pub fn run_with(
    input: Option<String>,
    options: Options,
    dns: DnsFactory,
    after_run: Option<AfterRun>,
) -> anyhow::Result<()> {
    run_with_pick(input, None, options, dns, after_run, None)
}

/// [`run_with`], opening message `pick` (from 1) of a file holding several.
pub fn run_with_pick(
    input: Option<String>,
    pick: Option<usize>,
    options: Options,
    dns: DnsFactory,
    after_run: Option<AfterRun>,
    record_run: Option<RecordRun>,
) -> anyhow::Result<()> {
    // Read the message before the terminal changes mode, so errors print normally.
    // The same reading and the same words as `report` (a directory, a missing file …).
    let mailbox = input
        .as_deref()
        .filter(|p| *p != "-" && mailbox::opens_in_background(p, pick));
    let loaded = match input.as_deref() {
        // A Maildir, a folder of messages or a large mbox: read in the background, as a list.
        Some(_) if mailbox.is_some() => None,
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
    if let Some(record) = record_run {
        app = app.record_run(record);
    }
    if let Some((raw, source)) = loaded {
        app.open_input(raw, &source, pick);
    }
    if let Some(path) = mailbox {
        app.open_mailbox(path);
    }
    if keymap_warning.is_some() {
        app.status = keymap_warning;
    }

    let mut terminal = ratatui::try_init().context("starting the terminal UI")?;
    // After ratatui's hook, so this one runs first.
    install_panic_hook();
    let result = enable_input_modes()
        .and_then(|()| event_loop(&mut terminal, &mut app, &mut TerminalEvents));
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

/// Draws the app and hands it events until it quits: the loop the TUI runs, generic over the
/// terminal (a `TestBackend` in the benches) and where events come from.
pub fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    events: &mut dyn Events,
) -> anyhow::Result<()>
where
    B::Error: Send + Sync + 'static,
{
    // Draw only when something changed: an idle screen costs no CPU.
    let mut dirty = true;
    loop {
        if dirty {
            let size = terminal.size()?;
            app.area = Rect::new(0, 0, size.width, size.height);
            terminal.draw(|frame| frame.render_widget(&*app, frame.area()))?;
            events.drawn(app);
            dirty = false;
        }
        if app.quit {
            return Ok(());
        }
        // While a run is in flight, poll often: a check is drawn the moment it lands (from a
        // snapshot the whole analysis takes milliseconds), not on the next tick.
        let wait = if app.run.is_some() {
            RUN_TICK
        } else if app.is_busy() {
            LIST_TICK
        } else {
            TICK
        };
        if events.poll(wait)? {
            let event = events.read()?;
            dispatch(app, event, events)?;
            // Drain what else is queued (a burst of wheel events, a fast typist) before drawing.
            while !app.quit && events.poll(Duration::ZERO)? {
                let event = events.read()?;
                dispatch(app, event, events)?;
            }
            dirty = true;
        }
        // True while work is in flight (the spinner turns) and when it lands.
        dirty |= app.tick();
    }
}
