//! The view stack: Enter drills down (from the navigator into a check's steps, from a Summary
//! row to the check it is about), Esc goes back to where the drill-down started. `o` opens
//! another message on the start screen; Esc there returns to the message on screen.

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
        self.screen = Screen::Start(StartScreen::default());
    }

    /// Esc on the start screen or the pick list: back to the message on screen, if there is one.
    /// Returns false when there is none to go back to.
    pub(crate) fn back_to_message(&mut self) -> bool {
        if self.analysis.is_some() || self.run.is_some() {
            self.screen = Screen::Main;
            true
        } else {
            false
        }
    }
}
