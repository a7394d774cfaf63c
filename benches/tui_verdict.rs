//! The TUI's final verdict after its first frame, from a DNS snapshot (issue 7: within 30 ms).
//!
//! `cargo bench --bench tui_verdict` runs the TUI's own event loop (`tui::event_loop`, the loop
//! the binary runs) on a `TestBackend` for every bundled sample, with the DNS handle made as
//! the binary makes it (the snapshot file read for each run), and prints per sample: the time
//! from opening the message to the first frame, from the first frame to the first frame that
//! shows the final verdict, and how many frames were drawn in between. The event source waits
//! as a terminal with no key pressed does, and presses `q` once the final verdict is on screen.
//! Figures are wall-clock on a shared machine: read the median and the worst together.
//!
//! Then the message list of a mailbox: an mbox of every sample repeated
//! (`MAILSLEUTH_BENCH_COPIES`, default 20) with one snapshot for all, through the same loop:
//! the first frame with rows, every verdict in, and the longest the loop was away from the
//! keyboard (a tick plus a draw) while the analyses landed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use mailsleuth::analysis::{DnsMode, Options};
use mailsleuth::dns::DnsConfig;
use mailsleuth::tui::app::App;
use mailsleuth::tui::clipboard::MemoryClipboard;
use mailsleuth::tui::keymap::Keymap;
use mailsleuth::tui::theme::Theme;
use mailsleuth::tui::{Events, event_loop};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// The binary's allocator, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mailsleuth::ToolAllocator = mailsleuth::ToolAllocator;

/// A terminal nobody types into: waits out each poll, records when frames are drawn and the
/// longest stretch between two looks at the keyboard (a tick plus a draw), and presses `q`
/// once a frame shows what `done` waits for.
struct Watch {
    done: fn(&App) -> bool,
    first_frame: Option<Instant>,
    /// The first frame with rows in a message list.
    first_rows: Option<Instant>,
    done_frame: Option<Instant>,
    frames: usize,
    last_poll: Option<Instant>,
    longest_away: Duration,
}

impl Watch {
    fn new(done: fn(&App) -> bool) -> Watch {
        Watch {
            done,
            first_frame: None,
            first_rows: None,
            done_frame: None,
            frames: 0,
            last_poll: None,
            longest_away: Duration::ZERO,
        }
    }
}

impl Events for Watch {
    fn poll(&mut self, wait: Duration) -> std::io::Result<bool> {
        if let Some(last) = self.last_poll {
            self.longest_away = self.longest_away.max(last.elapsed());
        }
        if self.done_frame.is_some() {
            return Ok(true);
        }
        std::thread::sleep(wait);
        self.last_poll = Some(Instant::now());
        Ok(false)
    }

    fn read(&mut self) -> std::io::Result<Event> {
        Ok(Event::Key(KeyEvent::new(
            KeyCode::Char('q'),
            KeyModifiers::NONE,
        )))
    }

    fn drawn(&mut self, app: &App) {
        let now = Instant::now();
        self.first_frame.get_or_insert(now);
        if app.mailbox.as_ref().is_some_and(|m| !m.shown().is_empty()) {
            self.first_rows.get_or_insert(now);
        }
        if self.done_frame.is_none() {
            self.frames += 1;
            if (self.done)(app) {
                self.done_frame = Some(now);
            }
        }
    }
}

/// The app as the binary makes it: a DNS handle from the snapshot file for each run.
fn app(snapshot: &Path, now: i64) -> App {
    let config = DnsConfig {
        mode: DnsMode::Snapshot,
        snapshot: Some(snapshot.to_path_buf()),
        ..Default::default()
    };
    let options = Options {
        now,
        dns_mode: DnsMode::Snapshot,
        ..Default::default()
    };
    App::new(
        Keymap::default(),
        Theme::default(),
        Box::new(MemoryClipboard::default()),
        Arc::new(move || config.build()),
        options,
    )
}

/// Opens `raw` as the binary does and runs the event loop until `done`; the watch, and when
/// the message was opened.
fn run(
    raw: Vec<u8>,
    source: &str,
    snapshot: &Path,
    now: i64,
    done: fn(&App) -> bool,
) -> (Watch, Instant, App) {
    let mut app = app(snapshot, now);
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("test terminal");
    let opened = Instant::now();
    app.open_input(raw, source, None);
    let mut watch = Watch::new(done);
    event_loop(&mut terminal, &mut app, &mut watch).expect("the event loop");
    (watch, opened, app)
}

/// One message: (open → first frame, first frame → final verdict frame, frames drawn).
fn run_once(eml: &Path, snapshot: &Path, now: i64) -> (Duration, Duration, usize) {
    let raw = std::fs::read(eml).expect("sample readable");
    let (watch, opened, _) = run(raw, &eml.display().to_string(), snapshot, now, |app| {
        !app.is_running() && app.analysis.is_some()
    });
    let first = watch.first_frame.expect("a first frame");
    let last = watch.done_frame.expect("a final frame");
    (first - opened, last - first, watch.frames)
}

/// An mbox of every sample `copies` times, and one snapshot answering for all of them.
fn mailbox(samples: &[(String, PathBuf, PathBuf, i64)], copies: usize) -> (Vec<u8>, PathBuf) {
    let mut merged = serde_json::Map::new();
    let mut mbox = Vec::new();
    for (_, eml, dns, _) in samples {
        let text = std::fs::read_to_string(dns).expect("snapshot");
        if let Ok(serde_json::Value::Object(entries)) = serde_json::from_str(&text) {
            for (k, v) in entries {
                if k != "_meta" {
                    merged.entry(k).or_insert(v);
                }
            }
        }
        let raw = std::fs::read(eml).expect("sample");
        for _ in 0..copies {
            mbox.extend_from_slice(b"From bench@example.com Wed Nov  4 10:05:33 2026\r\n");
            mbox.extend_from_slice(&raw);
            mbox.extend_from_slice(b"\r\n");
        }
    }
    let path = std::env::temp_dir().join(format!("mailsleuth-bench-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::Value::Object(merged).to_string()).expect("write snapshot");
    (mbox, path)
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    mailsleuth::tune_allocator();
    let iterations: usize = std::env::var("MAILSLEUTH_BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-emails");
    let expected: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("sample-emails/expected.json"),
    )
    .expect("expected.json parses");
    let mut samples: Vec<(String, PathBuf, PathBuf, i64)> = expected["samples"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            let name = s["name"].as_str()?.to_string();
            let now = mailsleuth::input::parse_now(s["now"].as_str()?).ok()?;
            let eml = dir.join(format!("{name}.eml"));
            let dns = dir.join(format!("{name}.dns.json"));
            (eml.is_file() && dns.is_file()).then_some((name, eml, dns, now))
        })
        .collect();
    samples.sort();
    println!(
        "mailsleuth TUI: final verdict after the first frame, from a snapshot — {} samples, \
         {iterations} runs each, {} CPUs (target: 30 ms)",
        samples.len(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!(
        "{:<34} {:>12} {:>14} {:>12} {:>7}",
        "sample", "first frame", "verdict median", "verdict max", "frames"
    );
    let mut all = Vec::new();
    for (name, eml, dns, now) in &samples {
        let mut firsts = Vec::new();
        let mut verdicts = Vec::new();
        let mut frames = 0;
        for _ in 0..iterations {
            let (first, verdict, n) = run_once(eml, dns, *now);
            firsts.push(first);
            verdicts.push(verdict);
            frames = frames.max(n);
        }
        firsts.sort();
        verdicts.sort();
        all.extend(verdicts.iter().copied());
        println!(
            "{name:<34} {:>9.1} ms {:>11.1} ms {:>9.1} ms {frames:>7}",
            millis(firsts[firsts.len() / 2]),
            millis(verdicts[verdicts.len() / 2]),
            millis(verdicts[verdicts.len() - 1]),
        );
    }
    all.sort();
    if let (Some(max), false) = (all.last(), all.is_empty()) {
        let p95 = all[(all.len() * 95 / 100).min(all.len() - 1)];
        println!(
            "{:<34} {:>12} {:>11.1} ms {:>9.1} ms   (p95 {:.1} ms)",
            "ALL",
            "",
            millis(all[all.len() / 2]),
            millis(*max),
            millis(p95)
        );
    }

    let copies: usize = std::env::var("MAILSLEUTH_BENCH_COPIES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let (mbox, snapshot) = mailbox(&samples, copies);
    let now = samples.first().map_or(0, |s| s.3);
    let (watch, opened, app) = run(mbox, "bench.mbox", &snapshot, now, |app| !app.is_busy());
    let _ = std::fs::remove_file(&snapshot);
    let count = app.mailbox.as_ref().map_or(0, |m| m.entries.len());
    let since = |t: Option<Instant>| t.map_or(f64::NAN, |t| millis(t - opened));
    println!();
    println!("message list of an mbox of {count} messages (the samples x {copies}), one snapshot:");
    println!(
        "  first rows on screen {:.1} ms · every verdict in {:.0} ms ({:.0} messages/s) · \
         {} frames · longest away from the keyboard {:.1} ms",
        since(watch.first_rows),
        since(watch.done_frame),
        count as f64 / (since(watch.done_frame) / 1000.0),
        watch.frames,
        millis(watch.longest_away),
    );
}
