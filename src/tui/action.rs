//! Everything a key can do. This one list feeds the keymap file, the help overlay and the hints
//! in the status bar, so they cannot drift apart (gitui's command list).

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    /// Back to the view before the last drill-down (never quits).
    Back,
    /// Open another message (the start screen).
    Open,
    Help,
    FocusNext,
    FocusPrev,
    Down,
    Up,
    PageDown,
    PageUp,
    Top,
    Bottom,
    /// Next step; in the headers view with a search, the next match.
    NextStep,
    PrevStep,
    PrevMatch,
    /// Open the selected check (navigator) or focus the next pane.
    Select,
    /// Search headers; on the message list, filter it.
    Search,
    /// The message list: the next order (date, From domain, verdict).
    Sort,
    ToggleRaw,
    ToggleSplit,
    MoveBoundary,
    Copy,
    CopyAll,
    WriteReport,
}

impl Action {
    /// In the order the help overlay lists them.
    pub const ALL: &'static [Action] = &[
        Action::Down,
        Action::Up,
        Action::NextStep,
        Action::PrevStep,
        Action::PageDown,
        Action::PageUp,
        Action::Top,
        Action::Bottom,
        Action::FocusNext,
        Action::FocusPrev,
        Action::Select,
        Action::Search,
        Action::Sort,
        Action::PrevMatch,
        Action::ToggleRaw,
        Action::ToggleSplit,
        Action::MoveBoundary,
        Action::Copy,
        Action::CopyAll,
        Action::WriteReport,
        Action::Open,
        Action::Back,
        Action::Help,
        Action::Quit,
    ];

    /// The name used in keymap.toml.
    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Open => "open_message",
            Action::Help => "help",
            Action::FocusNext => "focus_next",
            Action::FocusPrev => "focus_prev",
            Action::Down => "down",
            Action::Up => "up",
            Action::PageDown => "page_down",
            Action::PageUp => "page_up",
            Action::Top => "top",
            Action::Bottom => "bottom",
            Action::NextStep => "next_step",
            Action::PrevStep => "prev_step",
            Action::PrevMatch => "prev_match",
            Action::Select => "select",
            Action::Search => "search",
            Action::Sort => "sort",
            Action::ToggleRaw => "toggle_raw",
            Action::ToggleSplit => "toggle_split",
            Action::MoveBoundary => "move_boundary",
            Action::Copy => "copy",
            Action::CopyAll => "copy_all",
            Action::WriteReport => "write_report",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// What it does, for the help overlay.
    pub fn description(self) -> &'static str {
        match self {
            Action::Quit => "quit (also closes help)",
            Action::Back => "go back to the view before Enter",
            Action::Open => "open another message",
            Action::Help => "show or hide this help",
            Action::FocusNext => "focus the next pane",
            Action::FocusPrev => "focus the previous pane",
            Action::Down => "move down / scroll",
            Action::Up => "move up / scroll",
            Action::PageDown => "page down",
            Action::PageUp => "page up",
            Action::Top => "go to the first line",
            Action::Bottom => "go to the last line",
            Action::NextStep => "next step (headers: next search match)",
            Action::PrevStep => "previous step (headers: previous match)",
            Action::PrevMatch => "previous search match",
            Action::Select => "open the check (or what a Summary row is about)",
            Action::Search => "search headers; in the message list, filter it",
            Action::Sort => "message list: sort by date, From domain or verdict",
            Action::ToggleRaw => "headers: raw or unfolded",
            Action::ToggleSplit => "headers: side by side or one kind",
            Action::MoveBoundary => "hops: trust boundary here, re-run",
            Action::Copy => "copy the focused step as Markdown",
            Action::CopyAll => "copy the whole report as Markdown",
            Action::WriteReport => "write the report to a file",
        }
    }

    /// A word or two for the status bar hints.
    pub fn hint(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Back => "back",
            Action::Open => "other message",
            Action::Help => "help",
            Action::FocusNext => "pane",
            Action::NextStep => "step",
            Action::Copy => "copy",
            Action::CopyAll => "copy all",
            Action::WriteReport => "write",
            Action::Search => "search",
            Action::MoveBoundary => "boundary",
            Action::Select => "open",
            Action::Sort => "sort",
            _ => self.name(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_round_trips_by_name() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::from_name("nope"), None);
    }
}
