//! The application state and the actions that change it. Events become actions (`events.rs`);
//! search and copy/write live in `search.rs` and `export.rs`; drawing (`ui.rs` and `panes/`) is a
//! pure function of this state.

use std::net::IpAddr;
use std::sync::Arc;

use ratatui::layout::Rect;

use super::action::Action;
use super::check::{Check, MainView, pending_count};
use super::clipboard::Clipboard;
use super::input::LineInput;
use super::keymap::Keymap;
use super::mailbox::Mailbox;
use super::theme::Theme;
use super::ui::{Areas, Pane};
use super::worker::{AfterRun, DnsFactory, Poll, RecordRun, Running};
use crate::analysis::{Analysis, HeaderKind, Options, Outcome, Part, Step};
use crate::dns::{DnsBackend, DnsEvidence};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// No message yet: open a path or paste one.
    Start(StartScreen),
    /// A mailbox (an mbox, a Maildir, a folder): its message list (`App::mailbox`).
    List,
    Main,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartScreen {
    pub path: LineInput,
    /// Names offered by the last Tab, when several fit.
    pub candidates: Vec<String>,
    pub error: Option<String>,
    /// Esc with nothing to go back to asks first: `y` quits, anything else stays.
    pub confirm_quit: bool,
}

/// Which header kinds the headers view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLayout {
    SideBySide,
    TraceOnly,
    MessageOnly,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    Search,
    /// The message list's filter (verdict words or From domain).
    Filter,
    WriteReport,
    /// The report file named exists: `y` overwrites it, `n` offers a free name instead.
    Overwrite {
        path: String,
        instead: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub input: LineInput,
}

pub struct App {
    pub theme: Theme,
    pub keymap: Keymap,
    pub screen: Screen,
    /// The latest analysis: finished, or partial while a run is in flight (see `pending_parts`).
    pub analysis: Option<Analysis>,
    /// Parts of `analysis` still waiting on DNS while a run is in flight (empty when finished).
    pub pending_parts: Vec<Part>,
    /// The analysis before the current run started (a re-run reports what changed against it).
    pub(crate) before_run: Option<Analysis>,
    /// The evidence log while a run is in flight (pending entries included).
    pub live_dns: Vec<DnsEvidence>,
    pub(crate) run: Option<Running>,
    pub(crate) raw: Arc<Vec<u8>>,
    pub options: Options,
    pub(crate) dns_factory: DnsFactory,
    pub(crate) after_run: Option<AfterRun>,
    pub(crate) record_run: Option<RecordRun>,
    pub(crate) clipboard: Box<dyn Clipboard>,

    pub nav: usize,
    pub focus: Pane,
    pub step: usize,
    pub hop: usize,
    pub dns_entry: usize,
    /// Selected header (index into `Analysis::headers`).
    pub header: usize,
    pub evidence_scroll: u16,
    pub header_layout: HeaderLayout,
    pub headers_raw: bool,
    pub search: Option<String>,
    pub prompt: Option<Prompt>,
    /// Header lines the last step used, highlighted in the headers view.
    pub highlighted: Vec<usize>,
    pub help: bool,
    pub help_scroll: u16,
    pub status: Option<String>,
    /// Why the last run produced no analysis (shown in the panes, which would otherwise wait).
    pub failure: Option<String>,
    pub quit: bool,
    /// Spinner frame, advanced by `tick` every [`SPIN_EVERY`].
    pub frame: usize,
    last_spin: std::time::Instant,
    /// The terminal size of the last frame (mouse hit-testing re-derives the layout from it).
    pub area: Rect,
    /// Views to go back to with Esc, the latest last (see `history.rs`).
    pub history: Vec<super::history::View>,
    /// The mailbox opened, if any: its list is the view below the message on screen.
    pub mailbox: Option<Mailbox>,
    /// `o` was pressed on the message list: Esc on the start screen returns to it.
    pub(crate) opened_from_list: bool,
}

/// How often the spinner turns.
pub const SPIN_EVERY: std::time::Duration = std::time::Duration::from_millis(80);

impl App {
    pub fn new(
        keymap: Keymap,
        theme: Theme,
        clipboard: Box<dyn Clipboard>,
        dns_factory: DnsFactory,
        options: Options,
    ) -> App {
        App {
            theme,
            keymap,
            screen: Screen::Start(StartScreen::default()),
            analysis: None,
            live_dns: Vec::new(),
            run: None,
            raw: Arc::new(Vec::new()),
            options,
            dns_factory,
            after_run: None,
            record_run: None,
            clipboard,
            nav: 0,
            focus: Pane::Navigator,
            step: 0,
            hop: 0,
            dns_entry: 0,
            header: 0,
            evidence_scroll: 0,
            header_layout: HeaderLayout::SideBySide,
            headers_raw: true,
            search: None,
            highlighted: Vec::new(),
            prompt: None,
            help: false,
            help_scroll: 0,
            status: None,
            failure: None,
            pending_parts: Vec::new(),
            before_run: None,
            quit: false,
            frame: 0,
            last_spin: std::time::Instant::now(),
            area: Rect::new(0, 0, 100, 30),
            history: Vec::new(),
            mailbox: None,
            opened_from_list: false,
        }
    }

    /// Runs `after` with the DNS handle when each analysis finishes (`--save-dns`).
    pub fn after_run(mut self, after: AfterRun) -> App {
        self.after_run = Some(after);
        self
    }

    /// Runs `record` with the DNS handle of each analysis of a message list (`--save-dns`).
    pub fn record_run(mut self, record: RecordRun) -> App {
        self.record_run = Some(record);
        self
    }

    /// Reads a file's (or paste's) bytes as `input::prepare` does: not an email → the start
    /// screen says why; several messages → the message list (or message `pick`, from 1); one →
    /// it is analysed.
    pub fn open_input(&mut self, raw: Vec<u8>, source: &str, pick: Option<usize>) {
        let input = crate::input::Input {
            source: source.to_string(),
            bytes: raw,
        };
        match crate::input::prepare(input) {
            // On the main screen (a paste), the message on screen stays and the status says why.
            Err(e) if self.screen == Screen::Main => self.status = Some(e.to_string()),
            Err(e) => {
                self.analysis = None;
                self.screen = Screen::Start(StartScreen {
                    error: Some(e.to_string()),
                    ..Default::default()
                });
            }
            Ok(mut messages) => {
                let n = match pick {
                    _ if messages.len() == 1 => 1,
                    Some(n) if (1..=messages.len()).contains(&n) => n,
                    _ => {
                        let source = source.to_string();
                        self.open_list(|backend, options, record| {
                            Mailbox::of_messages(&source, messages, backend, options, record)
                        });
                        return;
                    }
                };
                // A message of its own: the mailbox open before (if any) is closed.
                self.mailbox = None;
                self.load_message(messages.swap_remove(n - 1), source);
            }
        }
    }

    /// Opens a folder, a Maildir or an mbox as a message list, read in the background.
    pub fn open_mailbox(&mut self, path: &str) {
        self.open_list(|backend, options, record| Mailbox::open(path, backend, options, record));
    }

    /// Shows the list `make` starts, with one DNS backend for all its messages. The envelope
    /// given on the command line (`--ip`, `--helo`, `--mail-from`) is one message's: it does
    /// not apply to a mailbox (`--receiver` does, as in `scan`).
    fn open_list(
        &mut self,
        make: impl FnOnce(Arc<dyn DnsBackend>, Options, Option<RecordRun>) -> Mailbox,
    ) {
        let backend = match (self.dns_factory)() {
            Ok(dns) => crate::scan::shared(dns.backend()),
            Err(e) => {
                self.screen = Screen::Start(StartScreen {
                    error: Some(format!("DNS: {e}")),
                    ..Default::default()
                });
                return;
            }
        };
        self.options.client_ip = None;
        self.options.helo = None;
        self.options.mail_from = None;
        self.options.boundary_at = None;
        self.mailbox = Some(make(backend, self.options.clone(), self.record_run.clone()));
        // The list is the top view now: no message under it.
        self.run = None;
        self.analysis = None;
        self.history.clear();
        self.screen = Screen::List;
        self.tick();
    }

    /// Enter on the list: the selected message in the analysis view.
    pub(crate) fn open_selected(&mut self) {
        let Some(mailbox) = &self.mailbox else {
            return;
        };
        let Some(entry) = mailbox.selected_entry() else {
            self.status = Some("no message to open".into());
            return;
        };
        let name = entry.name_in(&mailbox.source);
        let Some(message) = entry.message.clone() else {
            let why = match &entry.verdict {
                super::mailbox::Verdict::Broken(why) => why.clone(),
                _ => "it holds no message".into(),
            };
            self.status = Some(format!("{name} cannot be opened: {why}"));
            return;
        };
        let (source, at, count) = (
            entry.source.clone(),
            mailbox.position().map_or(0, |p| p + 1),
            mailbox.shown().len(),
        );
        self.load_message((*message).clone(), &source);
        self.status = Some(format!(
            "message {at} of {count} (Esc returns to the list): {name}"
        ));
    }

    /// Analyses one prepared message.
    pub fn load_message(&mut self, message: crate::input::Message, source: &str) {
        self.options.prep = message.prep;
        self.load(message.bytes, source);
    }

    /// Loads a message and starts analysing it; the main screen shows at once.
    pub fn load(&mut self, raw: Vec<u8>, source: &str) {
        self.raw = Arc::new(raw);
        self.options.source = source.to_string();
        self.options.boundary_at = None;
        self.analysis = None;
        self.screen = Screen::Main;
        self.nav = 0;
        self.focus = Pane::Navigator;
        self.history.clear();
        self.reset_selection();
        self.start_run();
    }

    pub(crate) fn start_run(&mut self) {
        let dns = match (self.dns_factory)() {
            Ok(dns) => dns,
            Err(e) => {
                self.fail(format!("DNS: {e}"));
                return;
            }
        };
        match Running::start(
            self.raw.clone(),
            self.options.clone(),
            dns,
            self.after_run.clone(),
        ) {
            Ok(run) => {
                self.live_dns.clear();
                self.failure = None;
                self.before_run = self.analysis.clone();
                self.pending_parts = Part::ALL.to_vec();
                self.run = Some(run);
            }
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, why: String) {
        self.failure = Some(why.clone());
        self.status = Some(why);
    }

    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// Whether work is in flight in the background: an analysis, or a mailbox being read.
    pub fn is_busy(&self) -> bool {
        self.run.is_some() || self.mailbox.as_ref().is_some_and(Mailbox::loading)
    }

    /// Advances the spinner and collects what the background work has (the analysis on
    /// screen, the mailbox's). Returns whether anything changed (the caller redraws).
    pub fn tick(&mut self) -> bool {
        // The loop polls often while work is in flight (a result is drawn the moment it
        // lands); the spinner still turns at its own pace.
        let spun = self.is_busy() && self.last_spin.elapsed() >= SPIN_EVERY;
        if spun {
            self.frame = self.frame.wrapping_add(1);
            self.last_spin = std::time::Instant::now();
        }
        let listed = self.mailbox.as_mut().is_some_and(Mailbox::poll);
        if listed {
            self.open_lone_message();
        }
        self.tick_run() || spun || listed
    }

    /// Collects what the analysis thread has; whether anything changed.
    fn tick_run(&mut self) -> bool {
        let Some(run) = &self.run else {
            return false;
        };
        match run.poll() {
            Poll::Running(log, partial) => {
                let changed = log != self.live_dns;
                self.live_dns = log;
                let landed = partial.is_some();
                if let Some((analysis, pending)) = partial {
                    // Headers and hops show at once; each check as soon as it lands.
                    self.pending_parts = pending;
                    self.adopt(*analysis);
                }
                return changed || landed;
            }
            Poll::Done(analysis, note) => {
                let elapsed = run.started.elapsed();
                self.run = None;
                self.live_dns.clear();
                self.pending_parts.clear();
                self.finish(*analysis, elapsed, note);
            }
            Poll::Failed(e) => {
                self.run = None;
                self.live_dns.clear();
                self.pending_parts.clear();
                // A partial result of a failed run would show unfinished checks as verdicts.
                self.analysis = self.before_run.take();
                self.fail(e);
            }
        }
        true
    }

    /// Shows `analysis` (partial or final), keeping the selected check where it can (the DKIM
    /// list may change length).
    fn adopt(&mut self, analysis: Analysis) {
        let selected = self.selected_check();
        self.analysis = Some(analysis);
        let checks = self.checks();
        self.nav = checks
            .iter()
            .position(|c| *c == selected)
            .unwrap_or(self.nav.min(checks.len().saturating_sub(1)));
        self.clamp_selection();
    }

    pub(crate) fn finish(
        &mut self,
        analysis: Analysis,
        elapsed: std::time::Duration,
        note: Option<String>,
    ) {
        let changes = self
            .before_run
            .take()
            .map(|before| super::check::badge_changes(&before, &analysis));
        self.adopt(analysis);
        let mut status = format!("analysed in {:.1}s", elapsed.as_secs_f64());
        // After a re-run (boundary moved), what it changed is the news.
        match changes {
            Some(changes) if changes.is_empty() => status.push_str("; no verdict changed"),
            Some(changes) => {
                status.push_str("; changed: ");
                status.push_str(&changes.join(", "));
            }
            None => {}
        }
        if let Some(note) = note {
            status.push_str("; ");
            status.push_str(&note);
        }
        if self
            .status
            .as_deref()
            .is_none_or(|s| s.starts_with("re-running"))
        {
            self.status = Some(status);
        }
    }

    /// The DNS log to show: the live one while running, else the finished analysis'.
    pub fn dns_log(&self) -> &[DnsEvidence] {
        if self.run.is_some() {
            &self.live_dns
        } else {
            self.analysis
                .as_ref()
                .map(|a| a.dns.as_slice())
                .unwrap_or(&[])
        }
    }

    pub fn pending_queries(&self) -> usize {
        if self.run.is_some() {
            pending_count(&self.live_dns)
        } else {
            0
        }
    }

    pub fn checks(&self) -> Vec<Check> {
        Check::list(self.analysis.as_ref())
    }

    pub fn selected_check(&self) -> Check {
        let checks = self.checks();
        checks.get(self.nav).copied().unwrap_or(Check::Summary)
    }

    pub fn steps(&self) -> Vec<Step> {
        match &self.analysis {
            Some(a) => self.selected_check().steps(a).into_owned(),
            None => Vec::new(),
        }
    }

    pub fn current_step(&self) -> Option<Step> {
        self.steps().get(self.step).cloned()
    }

    /// Header lines the current step (or the selected hop) used.
    pub fn used_headers(&self) -> Vec<usize> {
        match self.selected_check().main_view() {
            MainView::Hops => self
                .analysis
                .as_ref()
                .and_then(|a| a.hops.get(self.hop))
                .map(|h| vec![h.header_index])
                .unwrap_or_default(),
            _ => self.current_step().map(|s| s.headers).unwrap_or_default(),
        }
    }

    /// The panes Tab cycles through for the selected check.
    pub fn focus_ring(&self) -> Vec<Pane> {
        match self.selected_check().main_view() {
            MainView::Steps => vec![Pane::Navigator, Pane::Steps, Pane::Evidence],
            MainView::Hops => vec![Pane::Navigator, Pane::Hops, Pane::Evidence],
            MainView::DnsLog => vec![Pane::Navigator, Pane::DnsLog, Pane::Evidence],
            MainView::Headers => match self.header_layout {
                HeaderLayout::SideBySide => vec![Pane::Navigator, Pane::Trace, Pane::Message],
                HeaderLayout::TraceOnly => vec![Pane::Navigator, Pane::Trace],
                HeaderLayout::MessageOnly => vec![Pane::Navigator, Pane::Message],
            },
        }
    }

    pub(crate) fn reset_selection(&mut self) {
        self.step = 0;
        self.evidence_scroll = 0;
    }

    pub(crate) fn clamp_selection(&mut self) {
        let steps = self.steps().len();
        self.step = self.step.min(steps.saturating_sub(1));
        if let Some(a) = &self.analysis {
            self.hop = self.hop.min(a.hops.len().saturating_sub(1));
            self.header = self.header.min(a.headers.len().saturating_sub(1));
        }
        self.dns_entry = self.dns_entry.min(self.dns_log().len().saturating_sub(1));
        if !self.focus_ring().contains(&self.focus) {
            self.focus = Pane::Navigator;
        }
    }

    // ---- actions --------------------------------------------------------------------------

    pub fn apply(&mut self, action: Action) {
        if self.help {
            self.apply_in_help(action);
            return;
        }
        match self.screen {
            Screen::Main => {}
            Screen::List => {
                self.apply_in_list(action);
                return;
            }
            Screen::Start(_) => {
                if action == Action::Quit {
                    self.quit = true;
                }
                return;
            }
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Sort => {
                self.status = Some(
                    if self.mailbox.is_some() {
                        "sorting is for the message list (Esc goes back to it)"
                    } else {
                        "sorting is for the message list of a mailbox (a folder or an mbox)"
                    }
                    .into(),
                )
            }
            Action::Back => self.go_back(),
            Action::Open => self.open_another(),
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::FocusNext => self.cycle_focus(1),
            Action::FocusPrev => self.cycle_focus(-1),
            Action::Down => self.move_in(self.focus, 1),
            Action::Up => self.move_in(self.focus, -1),
            Action::PageDown => self.move_in(self.focus, 10),
            Action::PageUp => self.move_in(self.focus, -10),
            Action::Top => self.move_in(self.focus, isize::MIN / 2),
            Action::Bottom => self.move_in(self.focus, isize::MAX / 2),
            Action::NextStep => {
                if self.in_headers() && self.search.is_some() {
                    self.jump_match(true);
                } else {
                    self.move_step(1);
                }
            }
            Action::PrevStep => {
                // Symmetric with `n`: in the headers view with a search, the previous match.
                if self.in_headers() && self.search.is_some() {
                    self.jump_match(false);
                } else {
                    self.move_step(-1);
                }
            }
            Action::PrevMatch => self.jump_match(false),
            Action::Select => match self.focus {
                Pane::Navigator => {
                    self.push_view();
                    self.cycle_focus(1);
                }
                Pane::Steps | Pane::Evidence => self.open_row(),
                _ => {}
            },
            Action::Search => {
                self.go_to_check(Check::Headers);
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    // A new search starts empty (the old term is still in force until Enter).
                    input: LineInput::default(),
                });
            }
            Action::ToggleRaw => {
                self.headers_raw = !self.headers_raw;
                self.status = Some(
                    if self.headers_raw {
                        "headers: raw, as received"
                    } else {
                        "headers: unfolded values"
                    }
                    .into(),
                );
            }
            Action::ToggleSplit => self.toggle_split(),
            Action::MoveBoundary => self.move_boundary(),
            Action::Copy => self.copy_focused(),
            Action::CopyAll => self.copy_all(),
            Action::WriteReport => {
                if self.analysis.is_some() {
                    self.prompt = Some(Prompt {
                        kind: PromptKind::WriteReport,
                        input: LineInput::with_text(self.default_report_path()),
                    });
                } else {
                    self.status = Some("nothing to write yet: the analysis is running".into());
                }
            }
        }
    }

    /// With the help shown, keys scroll it and `?`/`q` close it.
    fn apply_in_help(&mut self, action: Action) {
        match action {
            Action::Help | Action::Quit | Action::Back => self.help = false,
            _ => {
                let delta: i32 = match action {
                    Action::Down => 1,
                    Action::Up => -1,
                    Action::PageDown => 10,
                    Action::PageUp => -10,
                    Action::Top => i32::MIN / 2,
                    Action::Bottom => i32::MAX / 2,
                    _ => 0,
                };
                // Clamped to the help's length, so scrolling back responds at once.
                let max = i32::from(super::panes::help::max_scroll(self, self.area));
                self.help_scroll =
                    (i32::from(self.help_scroll).saturating_add(delta)).clamp(0, max) as u16;
            }
        }
    }

    /// The headers view cycles side by side → trace only → message only.
    fn toggle_split(&mut self) {
        self.header_layout = match self.header_layout {
            HeaderLayout::SideBySide => HeaderLayout::TraceOnly,
            HeaderLayout::TraceOnly => HeaderLayout::MessageOnly,
            HeaderLayout::MessageOnly => HeaderLayout::SideBySide,
        };
        // Keep the focus in the headers: on the column still shown, if its own went away.
        if matches!(self.focus, Pane::Trace | Pane::Message)
            && !self.focus_ring().contains(&self.focus)
        {
            let other = if self.focus == Pane::Trace {
                Pane::Message
            } else {
                Pane::Trace
            };
            if self.focus_ring().contains(&other) {
                self.focus = other;
            }
        }
        self.clamp_selection();
    }

    pub(crate) fn in_headers(&self) -> bool {
        self.selected_check() == Check::Headers
    }

    pub(crate) fn cycle_focus(&mut self, delta: isize) {
        let ring = self.focus_ring();
        let at = ring.iter().position(|p| *p == self.focus).unwrap_or(0) as isize;
        let len = ring.len() as isize;
        self.focus = ring[(at + delta).rem_euclid(len) as usize];
    }

    pub fn go_to_check(&mut self, check: Check) {
        if let Some(i) = self.checks().iter().position(|c| *c == check) {
            self.select_nav(i);
        }
    }

    pub(crate) fn select_nav(&mut self, index: usize) {
        if index == self.nav {
            return;
        }
        let used = self.used_headers();
        self.nav = index;
        self.reset_selection();
        // Opening the headers view shows the lines the last step (or hop) used.
        if self.in_headers()
            && let Some(&first) = used.first()
        {
            self.header = first;
            self.highlighted = used;
        }
        self.clamp_selection();
    }

    /// Enter on a Summary row opens the check it is about; on a recorded result, its header.
    pub(crate) fn open_row(&mut self) {
        let Some(a) = &self.analysis else {
            return;
        };
        let from = self.selected_check();
        let Some((check, header)) = super::check::jump_target(a, from, self.step) else {
            if matches!(from, Check::Summary | Check::Recorded | Check::Receiver) {
                self.status = Some("this row is not about one check: nothing to open".into());
            }
            return;
        };
        let title = super::sanitize::sanitize(&check.title(Some(a))).into_owned();
        self.push_view();
        self.go_to_check(check);
        let mut at = String::new();
        match header {
            Some(h) => {
                self.highlighted = vec![h];
                self.select_header(h);
            }
            None => {
                self.focus = Pane::Steps;
                // Straight to why: the first step that failed or erred, if there is one.
                if let Some(i) = self
                    .steps()
                    .iter()
                    .position(|s| matches!(s.outcome, Outcome::Fail | Outcome::Error))
                {
                    self.step = i;
                    at = format!(" at its first failing step ({})", i + 1);
                }
            }
        }
        self.status = Some(format!("opened {title}{at}"));
    }

    /// Moves the selection of a pane by `delta` rows (clamped).
    pub fn move_in(&mut self, pane: Pane, delta: isize) {
        let step = |cur: usize, len: usize| -> usize {
            if len == 0 {
                return 0;
            }
            (cur as isize)
                .saturating_add(delta)
                .clamp(0, len as isize - 1) as usize
        };
        match pane {
            Pane::Navigator => {
                let next = step(self.nav, self.checks().len());
                self.select_nav(next);
            }
            Pane::Steps => self.move_step(delta),
            Pane::Hops => {
                let len = self.analysis.as_ref().map_or(0, |a| a.hops.len());
                self.hop = step(self.hop, len);
                self.evidence_scroll = 0;
            }
            Pane::DnsLog => {
                self.dns_entry = step(self.dns_entry, self.dns_log().len());
                self.evidence_scroll = 0;
            }
            Pane::Evidence => {
                // Clamped to the content in the pane's current size, so scrolling back up after
                // overshooting responds at once.
                let max = Areas::compute(self.area, self)
                    .panes
                    .iter()
                    .find(|(p, _)| *p == Pane::Evidence)
                    .map_or(0, |&(_, rect)| {
                        super::panes::evidence::max_scroll(self, rect)
                    });
                let scrolled = (self.evidence_scroll as isize).saturating_add(delta);
                self.evidence_scroll = scrolled.clamp(0, max as isize) as u16;
            }
            Pane::Trace | Pane::Message => {
                let kind = if pane == Pane::Trace {
                    HeaderKind::Trace
                } else {
                    HeaderKind::Message
                };
                let list = self.header_indexes(kind);
                let at = list.iter().position(|&h| h == self.header).unwrap_or(0);
                if let Some(&h) = list.get(step(at, list.len())) {
                    self.header = h;
                }
            }
        }
    }

    pub(crate) fn move_step(&mut self, delta: isize) {
        let len = self.steps().len();
        if len == 0 {
            return;
        }
        let next = (self.step as isize)
            .saturating_add(delta)
            .clamp(0, len as isize - 1) as usize;
        if next != self.step {
            self.step = next;
            self.evidence_scroll = 0;
        }
    }

    /// Indexes of the headers of one kind, in message order.
    pub fn header_indexes(&self, kind: HeaderKind) -> Vec<usize> {
        self.analysis
            .as_ref()
            .map(|a| {
                a.headers
                    .iter()
                    .filter(|h| h.kind == kind)
                    .map(|h| h.index)
                    .collect()
            })
            .unwrap_or_default()
    }

    // ---- trust boundary -------------------------------------------------------------------

    pub(crate) fn move_boundary(&mut self) {
        if self.focus != Pane::Hops {
            self.status = Some("select a hop in Envelope & hops to move the trust boundary".into());
            return;
        }
        let Some(hop) = self
            .analysis
            .as_ref()
            .and_then(|a| a.hops.get(self.hop))
            .cloned()
        else {
            return;
        };
        let number = self.hop + 1;
        let Some(ip) = hop
            .from_ip
            .as_deref()
            .and_then(|ip| ip.trim().parse::<IpAddr>().ok())
        else {
            self.status = Some(format!(
                "hop #{number} records no client IP: the boundary cannot be set there"
            ));
            return;
        };
        // The boundary is set by hand: the analysis takes client IP, HELO, receiver and the
        // MAIL FROM that hop recorded from the hop itself (options given for the old boundary
        // no longer apply).
        self.options.boundary_at = Some(self.hop);
        self.options.client_ip = None;
        self.options.helo = None;
        self.options.receiver = None;
        self.options.mail_from = None;
        self.status = Some(format!(
            "re-running with the boundary at hop #{number}: client {ip}, HELO {}, by {}",
            hop.helo.as_deref().unwrap_or("(none recorded)"),
            hop.by_host.as_deref().unwrap_or("(none recorded)")
        ));
        self.start_run();
    }
}
