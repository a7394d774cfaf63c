//! Colours and glyphs. Every verdict is shown as glyph + word + colour, so it reads the same
//! without colour. With `NO_COLOR` the theme is monochrome: selection and focus use bold and
//! reversed only (crossterm 0.29 itself drops colour sequences under NO_COLOR, so a colour-only
//! selection would simply vanish).

use ratatui::style::{Color, Modifier, Style};

use crate::analysis::{AuthResult, Outcome};
use crate::dns::DnsOutcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Default for Theme {
    fn default() -> Self {
        Theme { color: true }
    }
}

impl Theme {
    pub const MONO: Theme = Theme { color: false };

    /// Monochrome when `NO_COLOR` is set to anything non-empty (no-color.org).
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    /// The selected row: reversed (+ bold when its pane has focus) in both themes.
    pub fn selection(&self, focused: bool) -> Style {
        match (self.color, focused) {
            (true, true) => Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            (true, false) => Style::new().bg(Color::DarkGray),
            (false, true) => Style::new().add_modifier(Modifier::REVERSED | Modifier::BOLD),
            (false, false) => Style::new().add_modifier(Modifier::UNDERLINED),
        }
    }

    pub fn border(&self, focused: bool) -> Style {
        match (self.color, focused) {
            (true, true) => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            (true, false) => Style::new().fg(Color::DarkGray),
            (false, true) => Style::new().add_modifier(Modifier::BOLD),
            (false, false) => Style::new(),
        }
    }

    pub fn title(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    /// Header lines a step used, in the raw header view.
    pub fn used_line(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn search_match(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Yellow).fg(Color::Black)
        } else {
            Style::new().add_modifier(Modifier::UNDERLINED | Modifier::BOLD)
        }
    }

    pub fn warning(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn pending(&self) -> Style {
        self.fg(Color::Cyan)
    }

    /// Badge of a verdict: glyph, word, style.
    pub fn result(&self, result: AuthResult) -> (&'static str, Style) {
        match result {
            AuthResult::Pass => ("✓", self.fg(Color::Green).add_modifier(Modifier::BOLD)),
            AuthResult::Fail => ("✗", self.error()),
            AuthResult::SoftFail => ("~", self.fg(Color::Yellow).add_modifier(Modifier::BOLD)),
            AuthResult::Neutral => ("○", self.fg(Color::Blue)),
            AuthResult::None => ("–", self.dim()),
            AuthResult::TempError => ("!", self.fg(Color::Magenta).add_modifier(Modifier::BOLD)),
            AuthResult::PermError => ("!", self.error()),
            AuthResult::Policy => ("?", self.fg(Color::Yellow)),
        }
    }

    /// Glyph and style of one decision step's outcome.
    pub fn outcome(&self, outcome: Outcome) -> (&'static str, Style) {
        match outcome {
            Outcome::Pass => ("✓", self.fg(Color::Green)),
            Outcome::Fail => ("✗", self.error()),
            Outcome::NoMatch => ("·", self.dim()),
            Outcome::Match => ("●", self.fg(Color::Cyan)),
            Outcome::Warning => ("▲", self.warning()),
            Outcome::Error => ("!", self.fg(Color::Magenta).add_modifier(Modifier::BOLD)),
            Outcome::Info => ("i", Style::new()),
            Outcome::Skipped => ("–", self.dim()),
        }
    }

    pub fn dns_outcome(&self, outcome: DnsOutcome) -> Style {
        match outcome {
            DnsOutcome::Pending => self.pending(),
            DnsOutcome::Answers => self.fg(Color::Green),
            DnsOutcome::NxDomain | DnsOutcome::NoData => self.warning(),
            DnsOutcome::ServFail | DnsOutcome::Timeout | DnsOutcome::Error => self.error(),
        }
    }
}

/// Outcome words, so a step reads without its glyph or colour.
pub fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::NoMatch => "no match",
        Outcome::Match => "match",
        Outcome::Warning => "warning",
        Outcome::Error => "error",
        Outcome::Info => "info",
        Outcome::Skipped => "skipped",
    }
}

/// Braille spinner frames, one per tick.
pub const SPINNER: [&str; 8] = ["⣾", "⣽", "⣻", "⢿", "⡿", "⣟", "⣯", "⣷"];

pub fn spinner(frame: usize) -> &'static str {
    SPINNER[frame % SPINNER.len()]
}
