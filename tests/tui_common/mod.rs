//! Helpers of the TUI tests: samples with their DNS snapshots, an app wired to an in-memory
//! clipboard, a DNS backend that holds its answers until released, and screen rendering.
#![allow(dead_code)]

pub mod tmux;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mailsleuth::analysis::{DnsMode, Options};
use mailsleuth::dns::snapshot::{Snapshot, SnapshotBackend};
use mailsleuth::dns::{BoxFuture, Dns, DnsAnswer, DnsBackend, DnsSource, QueryKey};
use mailsleuth::tui::app::App;
use mailsleuth::tui::clipboard::MemoryClipboard;
use mailsleuth::tui::keymap::Keymap;
use mailsleuth::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::watch;

pub fn samples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-emails")
}

/// A sample's message, its DNS snapshot and its `--now` (from sample-emails/expected.json).
pub struct Sample {
    pub name: String,
    pub eml: PathBuf,
    pub dns: PathBuf,
    pub raw: Vec<u8>,
    pub snapshot: Snapshot,
    pub now: i64,
    pub now_text: String,
}

pub fn sample(name: &str) -> Sample {
    let dir = samples_dir();
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("sample-emails/expected.json"),
    )
    .expect("expected.json parses");
    let now_text = expected["samples"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .and_then(|s| s["now"].as_str())
        .unwrap_or_else(|| panic!("{name} not in expected.json"))
        .to_string();
    let eml = dir.join(format!("{name}.eml"));
    let dns = dir.join(format!("{name}.dns.json"));
    Sample {
        name: name.to_string(),
        raw: std::fs::read(&eml).expect("sample .eml"),
        snapshot: Snapshot::load(&dns).expect("sample .dns.json"),
        now: mailsleuth::input::parse_now(&now_text).expect("now parses"),
        now_text,
        eml,
        dns,
    }
}

pub fn options(now: i64) -> Options {
    Options {
        now,
        dns_mode: DnsMode::Snapshot,
        ..Default::default()
    }
}

/// An app on the start screen whose runs use `backend`, copying into `clipboard`.
pub fn app_with(backend: Arc<dyn DnsBackend>, clipboard: MemoryClipboard, now: i64) -> App {
    App::new(
        Keymap::default(),
        Theme::default(),
        Box::new(clipboard),
        Arc::new(move || Ok(Dns::new(backend.clone()))),
        options(now),
    )
}

/// An app on the start screen whose runs replay a sample's snapshot.
pub fn start_app(s: &Sample, clipboard: MemoryClipboard) -> App {
    app_with(
        Arc::new(SnapshotBackend::new(s.snapshot.clone())),
        clipboard,
        s.now,
    )
}

/// An app that has loaded a sample and finished analysing it.
pub fn loaded(name: &str) -> (App, MemoryClipboard, Sample) {
    let s = sample(name);
    let clipboard = MemoryClipboard::default();
    let mut app = app_with(
        Arc::new(SnapshotBackend::new(s.snapshot.clone())),
        clipboard.clone(),
        s.now,
    );
    // The same source as the binary run on the sample, so copied Markdown compares equal.
    app.load(s.raw.clone(), &s.eml.display().to_string());
    wait_idle(&mut app);
    (app, clipboard, s)
}

/// Ticks until the analysis finished (deadline 30 s).
pub fn wait_idle(app: &mut App) {
    wait_for(app, "the analysis to finish", |a| !a.is_running());
}

pub fn wait_for(app: &mut App, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(app) {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        app.tick();
        std::thread::sleep(Duration::from_millis(5));
    }
}

pub fn terminal(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    app.area = ratatui::layout::Rect::new(0, 0, width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
    terminal
        .draw(|f| f.render_widget(&*app, f.area()))
        .expect("draw");
    terminal
}

/// The screen as text lines (trailing spaces trimmed).
pub fn screen(app: &mut App, width: u16, height: u16) -> Vec<String> {
    let terminal = terminal(app, width, height);
    let buffer = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            (0..width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect()
}

pub fn screen_text(app: &mut App, width: u16, height: u16) -> String {
    screen(app, width, height).join("\n")
}

/// Answers from a snapshot, but only once released: tests see the pending state for sure.
pub struct HeldBackend {
    inner: SnapshotBackend,
    released: watch::Receiver<bool>,
}

impl HeldBackend {
    pub fn new(snapshot: Snapshot) -> (Arc<HeldBackend>, watch::Sender<bool>) {
        let (tx, rx) = watch::channel(false);
        (
            Arc::new(HeldBackend {
                inner: SnapshotBackend::new(snapshot),
                released: rx,
            }),
            tx,
        )
    }
}

impl DnsBackend for HeldBackend {
    fn source(&self) -> DnsSource {
        DnsSource::Snapshot
    }

    fn lookup<'a>(&'a self, key: &'a QueryKey) -> BoxFuture<'a, DnsAnswer> {
        let mut released = self.released.clone();
        Box::pin(async move {
            let _ = released.wait_for(|r| *r).await;
            self.inner.lookup(key).await
        })
    }
}

/// insta settings that hide timings and local paths.
pub fn insta_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"analysed in \d+\.\d+s", "analysed in [time]");
    settings.add_filter(r"\d+ ms ", "[ms] ");
    settings.add_filter(
        r"keys can be changed in \S+",
        "keys can be changed in [keymap path]",
    );
    settings.add_filter(&regex_escape(env!("CARGO_MANIFEST_DIR")), "[root]");
    settings.set_prepend_module_to_snapshot(false);
    settings
}

/// `text` as a regex matching itself (paths in snapshot filters).
pub fn regex_escape(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' || c == '-' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}
