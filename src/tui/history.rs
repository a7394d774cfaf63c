//! The view stack: Enter drills down (from the navigator into a check's steps, from a Summary
//! row to the check it is about), Esc goes back to where the drill-down started, and from the
//! top of a message opened from a mailbox, to its list. `o` opens another message on the start
//! screen; Esc there returns to the message (or list) on screen.

use super::app::{App, Screen, StartScreen};
use super::ui::Pane;

/// Where the user was: enough to put every selection back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub nav: usize,
    pub focus: Pane,
    pub step: usize,
    pub hop: usize,
    pub dns_entry: usize,
    pub header: usize,
    pub evidence_scroll: u16,
}

impl App {
    /// The view on screen now.
    pub fn view(&self) -> View {
        View {
            nav: self.nav,
            focus: self.focus,
            step: self.step,
            hop: self.hop,
            dns_entry: self.dns_entry,
            header: self.header,
            evidence_scroll: self.evidence_scroll,
        }
    }

    /// Remembers the view on screen before a drill-down changes it.
    pub(crate) fn push_view(&mut self) {
        let view = self.view();
        if self.history.last() != Some(&view) {
            self.history.push(view);
        }
    }

    /// Esc: back to the view before the last drill-down; with none, from a pane back to the
    /// navigator; at the top it says so and stays (only `q` quits).
    pub(crate) fn go_back(&mut self) {
        if let Some(view) = self.history.pop() {
            self.nav = view.nav.min(self.checks().len().saturating_sub(1));
            self.focus = view.focus;
            self.step = view.step;
            self.hop = view.hop;
            self.dns_entry = view.dns_entry;
            self.header = view.header;
            self.evidence_scroll = view.evidence_scroll;
            self.clamp_selection();
            let title =
                super::sanitize::sanitize(&self.selected_check().title(self.analysis.as_ref()))
                    .into_owned();
            self.status = Some(format!("back to {title}"));
        } else if self.focus != Pane::Navigator {
            self.focus = Pane::Navigator;
        } else if self.mailbox.is_some() {
            // The message came from a mailbox: back to its list, the selection where it was.
            self.screen = Screen::List;
            self.status = Some("back to the message list".into());
        } else {
            let quit = self
                .keymap
                .first_key(super::action::Action::Quit)
                .unwrap_or("q");
            self.status = Some(format!("nothing to go back to: {quit} quits"));
        }
    }

    /// `o`: the start screen, to open another message; Esc there comes back to this one.
    /// The envelope given for this message (`--ip`, `--helo`, `--mail-from`, `--receiver`, or a
    /// moved boundary) does not apply to another one.
    pub(crate) fn open_another(&mut self) {
        self.options.client_ip = None;
        self.options.helo = None;
        self.options.mail_from = None;
        self.options.receiver = None;
        self.opened_from_list = false;
        self.screen = Screen::Start(StartScreen::default());
    }

    /// Where Esc on the start screen goes: back to where `o` was pressed — the message on
    /// screen or the message list; None when there is nothing to go back to.
    pub fn back_target(&self) -> Option<Screen> {
        let message = self.analysis.is_some() || self.run.is_some();
        let list = self.mailbox.is_some();
        match (self.opened_from_list && list, message, list) {
            (true, _, _) | (false, false, true) => Some(Screen::List),
            (false, true, _) => Some(Screen::Main),
            (false, false, false) => None,
        }
    }

    /// Esc on the start screen: back to [`App::back_target`]; false when there is none.
    pub(crate) fn back_to_message(&mut self) -> bool {
        match self.back_target() {
            Some(screen) => {
                self.screen = screen;
                true
            }
            None => false,
        }
    }
}
