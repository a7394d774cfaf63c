//! Terminal events → state: keys through the keymap (or into the start screen and prompts),
//! bracketed paste, mouse clicks and the wheel (hit-tested against the layout of the last frame).

use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::{Position, Rect};

use super::app::{App, Prompt, PromptKind, Screen};
use super::input::{LineInput, complete_path};
use super::sanitize::sanitize;
use super::ui::{Areas, Pane, list_offset};

impl App {
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
        if super::ui::too_small(self.area) {
            // Only quitting acts while the "terminal too small" notice hides the screen.
            if self.keymap.action_for(key) == Some(super::action::Action::Quit) {
                self.quit = true;
            }
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
        if key.code == KeyCode::Esc
            && self.search.is_some()
            && !self.help
            && self.screen == Screen::Main
            && self.in_headers()
        {
            // Esc is how one leaves a search everywhere else: it must not quit with it.
            self.search = None;
            self.status = Some("search cleared (Esc again goes back)".into());
            return;
        }
        if let Some(action) = self.keymap.action_for(key) {
            // A message stays until the next key, then the key hints come back.
            self.status = None;
            self.apply(action);
        }
    }

    pub(crate) fn start_key(&mut self, key: &KeyEvent) {
        let Screen::Start(start) = &mut self.screen else {
            return;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if self.help {
            // Any key closes the help first; typing goes to the path afterwards.
            self.help = false;
            return;
        }
        if start.confirm_quit {
            // "Quit? y/n": only `y` quits; Esc, `n` or any other key stays (and is not typed).
            start.confirm_quit = false;
            if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                self.quit = true;
            }
            return;
        }
        match key.code {
            // Back to the message or list on screen (after `o`); with none, Esc asks before
            // quitting (`q` is a letter of the path here, so it cannot be the way out).
            KeyCode::Esc => {
                if !self.back_to_message()
                    && let Screen::Start(start) = &mut self.screen
                {
                    start.confirm_quit = true;
                }
            }
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

    pub(crate) fn open_path(&mut self, path: &str) {
        let error = if path.is_empty() {
            Some("type a path, or paste the email".to_string())
        } else if super::mailbox::opens_in_background(path, None) {
            // A Maildir, a folder of messages or a large mbox: its list, read in the background.
            self.open_mailbox(path);
            None
        } else {
            match std::fs::read(path) {
                Ok(raw) => {
                    self.open_input(raw, path, None);
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
        // Several lines are never a path: a webmail page copied whole is read for its message.
        let several_lines = text.split(['\r', '\n']).nth(2).is_some();
        if looks_like_message(text) || (several_lines && self.prompt.is_none()) {
            self.prompt = None;
            self.load_pasted(text, "paste");
            return;
        }
        match (&mut self.screen, &mut self.prompt) {
            (Screen::Start(start), _) => start.path.insert_str(text),
            (Screen::Main | Screen::List, Some(prompt)) => prompt.input.insert_str(text),
            _ => self.status = Some("paste ignored: not an email (no header lines)".into()),
        }
    }

    pub(crate) fn load_pasted(&mut self, text: &str, source: &str) {
        let bytes = normalize_pasted(text).into_bytes();
        if let Some(why) = crate::input::not_an_email(&bytes) {
            let msg = format!("{source}: that is not an email ({why})");
            match &mut self.screen {
                Screen::Start(start) => start.error = Some(msg),
                _ => self.status = Some(msg),
            }
            return;
        }
        self.options.client_ip = None;
        self.options.helo = None;
        self.options.receiver = None;
        let before = self.raw.clone();
        self.open_input(bytes, "paste", None);
        let loaded = !std::sync::Arc::ptr_eq(&before, &self.raw);
        if loaded {
            self.status = Some(format!("loaded {} bytes from the {source}", text.len()));
        }
    }

    pub(crate) fn prompt_key(&mut self, key: &KeyEvent) {
        let Some(prompt) = &mut self.prompt else {
            return;
        };
        if let PromptKind::Overwrite { path, instead } = &prompt.kind {
            let (path, instead) = (path.clone(), instead.clone());
            match key.code {
                KeyCode::Char('y' | 'Y') => {
                    self.prompt = None;
                    self.save_report(&path, true);
                }
                KeyCode::Char('n' | 'N') | KeyCode::Enter => {
                    self.prompt = Some(Prompt {
                        kind: PromptKind::WriteReport,
                        input: LineInput::with_text(instead),
                    });
                }
                KeyCode::Esc => {
                    self.prompt = None;
                    self.status = Some(format!("kept {}: nothing written", sanitize(&path)));
                }
                _ => {}
            }
            return;
        }
        match key.code {
            KeyCode::Esc => self.prompt = None,
            KeyCode::Enter => {
                let Some(prompt) = self.prompt.take() else {
                    return;
                };
                let text = prompt.input.text.trim().to_string();
                match prompt.kind {
                    PromptKind::Search => self.set_search(text),
                    PromptKind::Filter => self.set_list_filter(&text),
                    PromptKind::WriteReport => self.write_report(&text),
                    PromptKind::Overwrite { .. } => {}
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
        if self.help || super::ui::too_small(self.area) {
            return;
        }
        if self.screen == Screen::List {
            self.list_mouse(mouse);
            return;
        }
        if self.screen != Screen::Main {
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

    /// On the message list: a click selects a row, the wheel scrolls.
    fn list_mouse(&mut self, mouse: &MouseEvent) {
        let Some(mailbox) = &mut self.mailbox else {
            return;
        };
        let rows = super::panes::mailbox::rows_area(self.area);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left)
                if rows.contains(Position::new(mouse.column, mouse.row)) =>
            {
                let height = usize::from(rows.height);
                let at = mailbox.position().unwrap_or(0);
                let offset = list_offset(at, mailbox.shown().len(), height);
                let index = offset + usize::from(mouse.row - rows.y);
                if index < mailbox.shown().len() {
                    mailbox.move_by(index as isize - at as isize);
                }
            }
            MouseEventKind::ScrollDown => mailbox.move_by(3),
            MouseEventKind::ScrollUp => mailbox.move_by(-3),
            _ => {}
        }
    }

    pub(crate) fn click_row(&mut self, pane: Pane, row: usize, height: usize) {
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
    pub(crate) fn a_pasted_message_is_recognised_and_a_path_is_not() {
        assert!(looks_like_message(
            "From: a@example.com\r\nSubject: x\r\n\r\nbody"
        ));
        assert!(looks_like_message("Received: from x\rSubject: y\r"));
        assert!(!looks_like_message("/home/me/mail.eml"));
        assert!(!looks_like_message("http://example.com/x\nmore"));
    }

    #[test]
    pub(crate) fn lone_carriage_returns_become_line_feeds() {
        assert_eq!(normalize_pasted("a: b\rc: d\r\n\re"), "a: b\nc: d\r\n\ne");
        assert_eq!(normalize_pasted("a: b\r\rc: d\r"), "a: b\n\nc: d\n");
    }

    #[test]
    pub(crate) fn crlf_text_pasted_as_cr_pairs_keeps_its_lines() {
        assert_eq!(
            normalize_pasted("a: b\r\r\tc\r\r\r\rbody\r\r"),
            "a: b\n\tc\n\nbody\n"
        );
    }
}
