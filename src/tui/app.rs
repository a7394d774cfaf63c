//! The application state and everything that changes it. Events become actions; actions change
//! state; drawing (`ui.rs` and `panes/`) is a pure function of this state.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::action::Action;
use super::check::{Check, MainView, pending_count};
use super::clipboard::Clipboard;
use super::input::{LineInput, complete_path};
use super::keymap::Keymap;
use super::theme::Theme;
use super::ui::{Areas, Pane, list_offset};
use super::worker::{AfterRun, DnsFactory, Poll, Running};
use crate::analysis::{Analysis, HeaderKind, Options, Step};
use crate::dns::DnsEvidence;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    /// No message yet: open a path or paste one.
    Start(StartScreen),
    Main,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartScreen {
    pub path: LineInput,
    /// Names offered by the last Tab, when several fit.
    pub candidates: Vec<String>,
    pub error: Option<String>,
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
    WriteReport,
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
    /// The latest finished analysis.
    pub analysis: Option<Analysis>,
    /// The evidence log while a run is in flight (pending entries included).
    pub live_dns: Vec<DnsEvidence>,
    run: Option<Running>,
    raw: Arc<Vec<u8>>,
    pub options: Options,
    dns_factory: DnsFactory,
    after_run: Option<AfterRun>,
    clipboard: Box<dyn Clipboard>,

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
    pub quit: bool,
    /// Spinner frame, advanced by `tick`.
    pub frame: usize,
    /// The terminal size of the last frame (mouse hit-testing re-derives the layout from it).
    pub area: Rect,
}

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
            quit: false,
            frame: 0,
            area: Rect::new(0, 0, 100, 30),
        }
    }

    /// Runs `after` with the DNS handle when each analysis finishes (`--save-dns`).
    pub fn after_run(mut self, after: AfterRun) -> App {
        self.after_run = Some(after);
        self
    }

    /// Loads a message and starts analysing it; the main screen shows at once.
    pub fn load(&mut self, raw: Vec<u8>, source: &str) {
        self.raw = Arc::new(raw);
        self.options.source = source.to_string();
        self.analysis = None;
        self.screen = Screen::Main;
        self.nav = 0;
        self.focus = Pane::Navigator;
        self.reset_selection();
        self.start_run();
    }

    fn start_run(&mut self) {
        let dns = match (self.dns_factory)() {
            Ok(dns) => dns,
            Err(e) => {
                self.status = Some(format!("DNS: {e}"));
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
                self.run = Some(run);
            }
            Err(e) => self.status = Some(e),
        }
    }

    pub fn is_running(&self) -> bool {
        self.run.is_some()
    }

    /// Advances the spinner and collects what the analysis thread has. Returns whether anything
    /// changed (the caller redraws).
    pub fn tick(&mut self) -> bool {
        let Some(run) = &self.run else {
            return false;
        };
        self.frame = self.frame.wrapping_add(1);
        match run.poll() {
            Poll::Running(log) => self.live_dns = log,
            Poll::Done(analysis, note) => {
                let elapsed = run.started.elapsed();
                self.run = None;
                self.live_dns.clear();
                self.finish(*analysis, elapsed, note);
            }
            Poll::Failed(e) => {
                self.run = None;
                self.status = Some(e);
            }
        }
        true
    }

    fn finish(&mut self, analysis: Analysis, elapsed: std::time::Duration, note: Option<String>) {
        // Keep the selected check across a re-run (the DKIM list may change length).
        let selected = self.selected_check();
        self.analysis = Some(analysis);
        let checks = self.checks();
        self.nav = checks
            .iter()
            .position(|c| *c == selected)
            .unwrap_or(self.nav.min(checks.len().saturating_sub(1)));
        self.clamp_selection();
        let mut status = format!("analysed in {:.1}s", elapsed.as_secs_f64());
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

    fn reset_selection(&mut self) {
        self.step = 0;
        self.evidence_scroll = 0;
    }

    fn clamp_selection(&mut self) {
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

    // ---- events ---------------------------------------------------------------------------

    pub fn handle_event(&mut self, event: &Event) {
        match event {
            Event::Key(key) if key.kind == KeyEventKind::Press => self.handle_key(key),
            Event::Paste(text) => self.handle_paste(text),
            Event::Mouse(mouse) => self.handle_mouse(mouse),
            Event::Resize(w, h) => self.area = Rect::new(0, 0, *w, *h),
            _ => {}
        }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c {
            self.quit = true;
            return;
        }
        if matches!(self.screen, Screen::Start(_)) {
            self.start_key(key);
            return;
        }
        if self.prompt.is_some() {
            self.prompt_key(key);
            return;
        }
        if let Some(action) = self.keymap.action_for(key) {
            self.apply(action);
        }
    }

    fn start_key(&mut self, key: &KeyEvent) {
        let Screen::Start(start) = &mut self.screen else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.help {
            // Any key closes the help first; typing goes to the path afterwards.
            self.help = false;
            return;
        }
        match key.code {
            KeyCode::Esc => self.quit = true,
            KeyCode::Tab => {
                let (text, candidates) = complete_path(&start.path.text);
                start.path = LineInput::with_text(text);
                start.candidates = candidates;
                start.error = None;
            }
            KeyCode::Enter => {
                let path = start.path.text.trim().to_string();
                self.open_path(&path);
            }
            KeyCode::Char('v') if ctrl => match self.clipboard.paste() {
                Ok(text) => self.load_pasted(&text, "clipboard"),
                Err(e) => {
                    if let Screen::Start(start) = &mut self.screen {
                        start.error = Some(format!("paste: {e}"));
                    }
                }
            },
            KeyCode::F(1) => self.help = !self.help,
            _ => {
                start.path.handle_key(key);
                start.candidates.clear();
            }
        }
    }

    fn open_path(&mut self, path: &str) {
        let error = if path.is_empty() {
            Some("type a path, or paste the email".to_string())
        } else {
            match std::fs::read(path) {
                Ok(raw) => {
                    self.load(raw, path);
                    None
                }
                Err(e) => Some(format!("{path}: {e}")),
            }
        };
        if let (Some(e), Screen::Start(start)) = (error, &mut self.screen) {
            start.error = Some(e);
        }
    }

    /// Bracketed paste: a whole message loads it; a single line goes to the input in use.
    pub fn handle_paste(&mut self, text: &str) {
        if looks_like_message(text) {
            self.prompt = None;
            self.load_pasted(text, "paste");
            return;
        }
        match (&mut self.screen, &mut self.prompt) {
            (Screen::Start(start), _) => start.path.insert_str(text),
            (Screen::Main, Some(prompt)) => prompt.input.insert_str(text),
            _ => self.status = Some("paste ignored: not an email (no header lines)".into()),
        }
    }

    fn load_pasted(&mut self, text: &str, source: &str) {
        if !looks_like_message(text) {
            let msg = format!("{source}: that is not an email (no header lines)");
            match &mut self.screen {
                Screen::Start(start) => start.error = Some(msg),
                Screen::Main => self.status = Some(msg),
            }
            return;
        }
        self.options.client_ip = None;
        self.options.helo = None;
        self.options.receiver = None;
        self.load(normalize_pasted(text).into_bytes(), "paste");
        self.status = Some(format!("loaded {} bytes from the {source}", text.len()));
    }

    fn prompt_key(&mut self, key: &KeyEvent) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Enter => {
                let Some(prompt) = self.prompt.take() else {
                    return;
                };
                let text = prompt.input.text.trim().to_string();
                match prompt.kind {
                    PromptKind::Search => self.set_search(text),
                    PromptKind::WriteReport => self.write_report(&text),
                }
            }
            KeyCode::Tab if prompt.kind == PromptKind::WriteReport => {
                let (text, _) = complete_path(&prompt.input.text);
                prompt.input = LineInput::with_text(text);
            }
            _ => {
                prompt.input.handle_key(key);
            }
        }
    }

    pub fn handle_mouse(&mut self, mouse: &MouseEvent) {
        if !matches!(self.screen, Screen::Main) || self.help {
            return;
        }
        let areas = Areas::compute(self.area, self);
        let at = Position::new(mouse.column, mouse.row);
        let Some((pane, rect)) = areas.pane_at(at) else {
            return;
        };
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = pane;
                let row = (mouse.row.saturating_sub(rect.y + 1)) as usize;
                let height = rect.height.saturating_sub(2) as usize;
                self.click_row(pane, row, height);
            }
            MouseEventKind::ScrollDown => self.move_in(pane, 3),
            MouseEventKind::ScrollUp => self.move_in(pane, -3),
            _ => {}
        }
    }

    fn click_row(&mut self, pane: Pane, row: usize, height: usize) {
        if row >= height {
            return;
        }
        let (len, selected, per_item) = match pane {
            Pane::Navigator => (self.checks().len(), self.nav, 1),
            Pane::Steps => (self.steps().len(), self.step, 1),
            Pane::DnsLog => (self.dns_log().len(), self.dns_entry, 1),
            Pane::Hops => (
                self.analysis.as_ref().map_or(0, |a| a.hops.len()),
                self.hop,
                2,
            ),
            _ => return,
        };
        let visible = (height / per_item).max(1);
        let index = list_offset(selected, len, visible) + row / per_item;
        if index < len {
            let delta = index as isize - selected as isize;
            self.move_in(pane, delta);
        }
    }

    // ---- actions --------------------------------------------------------------------------

    pub fn apply(&mut self, action: Action) {
        if self.help {
            match action {
                Action::Help | Action::Quit => self.help = false,
                Action::Down => self.help_scroll = self.help_scroll.saturating_add(1),
                Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                _ => {}
            }
            return;
        }
        if !matches!(self.screen, Screen::Main) {
            if action == Action::Quit {
                self.quit = true;
            }
            return;
        }
        match action {
            Action::Quit => self.quit = true,
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
            Action::PrevStep => self.move_step(-1),
            Action::PrevMatch => self.jump_match(false),
            Action::Select => {
                if self.focus == Pane::Navigator {
                    self.cycle_focus(1);
                }
            }
            Action::Search => {
                self.go_to_check(Check::Headers);
                self.prompt = Some(Prompt {
                    kind: PromptKind::Search,
                    input: LineInput::with_text(self.search.clone().unwrap_or_default()),
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
            Action::ToggleSplit => {
                self.header_layout = match self.header_layout {
                    HeaderLayout::SideBySide => HeaderLayout::TraceOnly,
                    HeaderLayout::TraceOnly => HeaderLayout::MessageOnly,
                    HeaderLayout::MessageOnly => HeaderLayout::SideBySide,
                };
                self.clamp_selection();
            }
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

    fn in_headers(&self) -> bool {
        self.selected_check() == Check::Headers
    }

    fn cycle_focus(&mut self, delta: isize) {
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

    fn select_nav(&mut self, index: usize) {
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
                let scrolled = (self.evidence_scroll as isize).saturating_add(delta);
                self.evidence_scroll = scrolled.clamp(0, u16::MAX as isize) as u16;
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

    fn move_step(&mut self, delta: isize) {
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

    // ---- search ---------------------------------------------------------------------------

    /// Headers whose name or value contains the search text (case-insensitive).
    pub fn search_matches(&self) -> Vec<usize> {
        let (Some(needle), Some(a)) = (self.search.as_deref(), self.analysis.as_ref()) else {
            return Vec::new();
        };
        let needle = needle.to_lowercase();
        a.headers
            .iter()
            .filter(|h| {
                h.name.to_lowercase().contains(&needle)
                    || h.value.to_lowercase().contains(&needle)
                    || h.raw.to_lowercase().contains(&needle)
            })
            .map(|h| h.index)
            .collect()
    }

    fn set_search(&mut self, text: String) {
        if text.is_empty() {
            self.search = None;
            self.status = Some("search cleared".into());
            return;
        }
        self.search = Some(text);
        let matches = self.search_matches();
        if let Some(&h) = matches
            .iter()
            .find(|&&h| h >= self.header)
            .or(matches.first())
        {
            self.select_header(h);
        }
        self.search_status();
    }

    fn jump_match(&mut self, forward: bool) {
        let matches = self.search_matches();
        if matches.is_empty() {
            self.search_status();
            return;
        }
        let next = if forward {
            matches
                .iter()
                .find(|&&h| h > self.header)
                .or(matches.first())
        } else {
            matches
                .iter()
                .rev()
                .find(|&&h| h < self.header)
                .or(matches.last())
        };
        if let Some(&h) = next {
            self.select_header(h);
        }
        self.search_status();
    }

    fn select_header(&mut self, index: usize) {
        self.header = index;
        let kind = self
            .analysis
            .as_ref()
            .and_then(|a| a.headers.get(index))
            .map(|h| h.kind);
        match (kind, self.header_layout) {
            (Some(HeaderKind::Trace), HeaderLayout::MessageOnly) => {
                self.header_layout = HeaderLayout::TraceOnly
            }
            (Some(HeaderKind::Message), HeaderLayout::TraceOnly) => {
                self.header_layout = HeaderLayout::MessageOnly
            }
            _ => {}
        }
        self.focus = match kind {
            Some(HeaderKind::Message) => Pane::Message,
            _ => Pane::Trace,
        };
    }

    fn search_status(&mut self) {
        let Some(needle) = &self.search else {
            return;
        };
        let matches = self.search_matches();
        self.status = Some(match matches.iter().position(|&h| h == self.header) {
            Some(i) => format!("/{needle}: match {} of {}", i + 1, matches.len()),
            None if matches.is_empty() => format!("/{needle}: no header matches"),
            None => format!("/{needle}: {} matches", matches.len()),
        });
    }

    // ---- trust boundary -------------------------------------------------------------------

    fn move_boundary(&mut self) {
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
        self.options.client_ip = Some(ip);
        self.options.helo = hop.helo.clone();
        self.options.receiver = hop.by_host.clone();
        self.status = Some(format!(
            "re-running with the boundary at hop #{number}: client {ip}, HELO {}, by {}",
            hop.helo.as_deref().unwrap_or("?"),
            hop.by_host.as_deref().unwrap_or("?")
        ));
        self.start_run();
    }

    // ---- copy and write -------------------------------------------------------------------

    fn copy_focused(&mut self) {
        let Some(a) = &self.analysis else {
            self.status = Some("nothing to copy yet: the analysis is running".into());
            return;
        };
        let check = self.selected_check();
        let (what, text) = match (self.focus, check.main_view()) {
            (Pane::Hops, _) | (_, MainView::Hops) => match a.hops.get(self.hop) {
                Some(hop) => (
                    format!("hop #{}", self.hop + 1),
                    super::panes::hops::hop_markdown(self.hop, hop),
                ),
                None => return,
            },
            (_, MainView::DnsLog) => match self.dns_log().get(self.dns_entry) {
                Some(e) => (
                    format!("DNS {} {}", e.rtype, e.name),
                    super::panes::evidence::dns_markdown(e),
                ),
                None => return,
            },
            (_, MainView::Headers) => match a.headers.get(self.header) {
                Some(h) => (
                    format!("header {}", h.name),
                    format!("```\n{}\n```\n", h.raw.trim_end()),
                ),
                None => return,
            },
            (_, MainView::Steps) => match self.current_step() {
                Some(step) => {
                    let title = check.title(Some(a));
                    (
                        format!("step “{}” of {title}", step.title),
                        crate::report::markdown_step(a, &title, &step),
                    )
                }
                None => {
                    self.status = Some(format!("{} has no steps to copy", check.title(Some(a))));
                    return;
                }
            },
        };
        self.copy_text(&what, &text);
    }

    fn copy_all(&mut self) {
        let Some(a) = &self.analysis else {
            self.status = Some("nothing to copy yet: the analysis is running".into());
            return;
        };
        let text = crate::report::markdown(a);
        self.copy_text("the whole report", &text);
    }

    fn copy_text(&mut self, what: &str, text: &str) {
        self.status = Some(match self.clipboard.copy(text) {
            Ok(path) => format!(
                "copied to the {}: {} ({} lines of Markdown)",
                path.describe(),
                super::sanitize::sanitize(what),
                text.lines().count()
            ),
            Err(e) => format!("copy failed: {e}"),
        });
    }

    fn default_report_path(&self) -> String {
        let source = self.options.source.as_str();
        if source.is_empty() || source == "-" || source == "paste" {
            return "mailsleuth-report.md".into();
        }
        let name = PathBuf::from(source)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "mailsleuth".into());
        format!("{name}.report.md")
    }

    fn write_report(&mut self, path: &str) {
        let Some(a) = &self.analysis else {
            return;
        };
        if path.is_empty() {
            self.status = Some("no file name: nothing written".into());
            return;
        }
        let text = crate::report::markdown(a);
        self.status = Some(match std::fs::write(path, &text) {
            Ok(()) => format!("wrote the report to {path} ({} bytes)", text.len()),
            Err(e) => format!("cannot write {path}: {e}"),
        });
    }
}

/// A pasted text is taken for a message when its first line is a header field.
pub fn looks_like_message(text: &str) -> bool {
    let text = text.trim_start_matches(['\r', '\n']);
    let first = text.split(['\r', '\n']).next().unwrap_or("");
    let has_more_lines = text.contains(['\r', '\n']);
    match first.split_once(':') {
        Some((name, rest)) => {
            has_more_lines
                && !rest.starts_with("//")
                && !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
        }
        None => first.starts_with("From ") && has_more_lines,
    }
}

/// Terminals send the line breaks of a paste as CR: LF becomes CR, and CRLF becomes CR CR. The
/// message gets line feeds back. When no LF survived and every run of CRs has even length, the
/// text was CRLF and each pair is one line break; otherwise each lone CR is one.
pub fn normalize_pasted(text: &str) -> String {
    let crlf_origin = !text.contains('\n') && text.contains('\r') && cr_runs_all_even(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\r' {
            out.push(c);
        } else if crlf_origin {
            chars.next();
            out.push('\n');
        } else if chars.peek() == Some(&'\n') {
            out.push('\r');
        } else {
            out.push('\n');
        }
    }
    out
}

fn cr_runs_all_even(text: &str) -> bool {
    let mut run = 0usize;
    for c in text.chars().chain(std::iter::once('\0')) {
        if c == '\r' {
            run += 1;
        } else {
            if run % 2 == 1 {
                return false;
            }
            run = 0;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pasted_message_is_recognised_and_a_path_is_not() {
        assert!(looks_like_message(
            "From: a@example.com\r\nSubject: x\r\n\r\nbody"
        ));
        assert!(looks_like_message("Received: from x\rSubject: y\r"));
        assert!(!looks_like_message("/home/me/mail.eml"));
        assert!(!looks_like_message("http://example.com/x\nmore"));
    }

    #[test]
    fn lone_carriage_returns_become_line_feeds() {
        assert_eq!(normalize_pasted("a: b\rc: d\r\n\re"), "a: b\nc: d\r\n\ne");
        assert_eq!(normalize_pasted("a: b\r\rc: d\r"), "a: b\n\nc: d\n");
    }

    #[test]
    fn crlf_text_pasted_as_cr_pairs_keeps_its_lines() {
        assert_eq!(
            normalize_pasted("a: b\r\r\tc\r\r\r\rbody\r\r"),
            "a: b\n\tc\n\nbody\n"
        );
    }
}
