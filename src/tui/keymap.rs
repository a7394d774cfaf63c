//! Keys → actions. The default table is `assets/keymap.toml`, compiled in; a user file in the XDG
//! config dir patches it action by action.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;

const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyBinding {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyBinding {
    /// Parses `j`, `N`, `?`, `ctrl-c`, `pagedown`, `f1`, `backtab` …
    pub fn parse(spec: &str) -> Result<KeyBinding, String> {
        let mut modifiers = KeyModifiers::NONE;
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            if rest.chars().count() > 1 && lower.starts_with("ctrl-") {
                modifiers |= KeyModifiers::CONTROL;
                rest = &rest[5..];
            } else if rest.chars().count() > 1 && lower.starts_with("alt-") {
                modifiers |= KeyModifiers::ALT;
                rest = &rest[4..];
            } else {
                break;
            }
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "tab" => KeyCode::Tab,
                "backtab" | "shift-tab" => KeyCode::BackTab,
                "enter" => KeyCode::Enter,
                "esc" => KeyCode::Esc,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" => KeyCode::Delete,
                f if f.starts_with('f') => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=12) => KeyCode::F(n),
                    _ => return Err(format!("unknown key `{spec}`")),
                },
                _ => return Err(format!("unknown key `{spec}`")),
            },
        };
        if let KeyCode::Char(c) = code
            && modifiers.contains(KeyModifiers::CONTROL)
        {
            // Terminals report ctrl-C as ctrl + `c`, whatever the case written.
            return Ok(KeyBinding {
                code: KeyCode::Char(c.to_ascii_lowercase()),
                modifiers,
            });
        }
        Ok(KeyBinding { code, modifiers })
    }

    /// Whether a key event is this binding. Shift is part of the character for printable keys
    /// (`N`, `?`) and of BackTab, so it is not compared there.
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let significant = |code: &KeyCode, m: KeyModifiers| match code {
            KeyCode::Char(_) | KeyCode::BackTab => m - KeyModifiers::SHIFT,
            _ => m,
        };
        let code = match event.code {
            KeyCode::Char(c) if event.modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            code => code,
        };
        code == self.code
            && significant(&code, event.modifiers) == significant(&self.code, self.modifiers)
    }
}

#[derive(Debug, Deserialize)]
struct KeymapFile {
    #[serde(default)]
    keys: BTreeMap<String, Vec<String>>,
}

/// The bindings in force, with the key names as written (for help and hints).
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<(String, KeyBinding)>>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut keymap = Keymap {
            bindings: BTreeMap::new(),
        };
        // The compiled-in default is tested; a mistake in it would show in every test.
        if let Err(e) = keymap.patch(DEFAULT_KEYMAP) {
            debug_assert!(false, "assets/keymap.toml: {e}");
        }
        keymap
    }
}

impl Keymap {
    /// The default patched by the user's file, if any. A broken user file is reported and
    /// ignored, so a typo never locks anyone out of the UI.
    pub fn load() -> (Keymap, Option<String>) {
        let mut keymap = Keymap::default();
        let Some(path) = user_keymap_path() else {
            return (keymap, None);
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            return (keymap, None);
        };
        let mut patched = keymap.clone();
        match patched.patch(&text) {
            Ok(()) => keymap = patched,
            Err(e) => return (keymap, Some(format!("{}: {e} (ignored)", path.display()))),
        }
        (keymap, None)
    }

    /// Applies a keymap file: every action it names gets exactly the keys it lists.
    pub fn patch(&mut self, toml_text: &str) -> Result<(), String> {
        let file: KeymapFile = toml::from_str(toml_text).map_err(|e| e.message().to_string())?;
        let mut changes = Vec::new();
        for (name, keys) in file.keys {
            let action =
                Action::from_name(&name).ok_or_else(|| format!("unknown action `{name}`"))?;
            let parsed = keys
                .iter()
                .map(|k| KeyBinding::parse(k).map(|b| (k.clone(), b)))
                .collect::<Result<Vec<_>, _>>()?;
            changes.push((action, parsed));
        }
        for (action, keys) in changes {
            self.bindings.insert(action, keys);
        }
        Ok(())
    }

    pub fn action_for(&self, event: &KeyEvent) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| {
            self.bindings
                .get(a)
                .is_some_and(|keys| keys.iter().any(|(_, b)| b.matches(event)))
        })
    }

    /// The key names bound to an action, as written in the keymap.
    pub fn keys_for(&self, action: Action) -> Vec<&str> {
        self.bindings
            .get(&action)
            .map(|keys| keys.iter().map(|(name, _)| name.as_str()).collect())
            .unwrap_or_default()
    }

    /// The first key of an action, for hints (`?`), or None when unbound.
    pub fn first_key(&self, action: Action) -> Option<&str> {
        self.keys_for(action).first().copied()
    }
}

/// `$XDG_CONFIG_HOME/mailsleuth/keymap.toml`, else `~/.config/mailsleuth/keymap.toml`.
pub fn user_keymap_path() -> Option<PathBuf> {
    crate::config::user_config_path("keymap.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn default_keymap_parses_and_binds_every_action() {
        let mut keymap = Keymap {
            bindings: BTreeMap::new(),
        };
        keymap.patch(DEFAULT_KEYMAP).unwrap();
        for &a in Action::ALL {
            assert!(!keymap.keys_for(a).is_empty(), "{} has no key", a.name());
        }
    }

    #[test]
    fn vim_keys_and_arrows_move() {
        let keymap = Keymap::default();
        let none = KeyModifiers::NONE;
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(
            keymap.action_for(&key(KeyCode::Down, none)),
            Some(Action::Down)
        );
        assert_eq!(keymap.action_for(&key(KeyCode::Up, none)), Some(Action::Up));
    }

    #[test]
    fn shifted_characters_and_ctrl_keys_match() {
        let keymap = Keymap::default();
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('N'), KeyModifiers::SHIFT)),
            Some(Action::PrevMatch)
        );
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Action::Help)
        );
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.action_for(&key(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::FocusPrev)
        );
        // Plain `c` is not ctrl-c.
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)),
            None
        );
    }

    #[test]
    fn user_file_replaces_only_the_actions_it_names() {
        let mut keymap = Keymap::default();
        keymap
            .patch("[keys]\ncopy = [\"c\", \"ctrl-y\"]\n")
            .unwrap();
        assert_eq!(keymap.keys_for(Action::Copy), vec!["c", "ctrl-y"]);
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('y'), KeyModifiers::NONE)),
            None
        );
        assert_eq!(
            keymap.action_for(&key(KeyCode::Char('y'), KeyModifiers::CONTROL)),
            Some(Action::Copy)
        );
        assert_eq!(keymap.keys_for(Action::Quit), vec!["q", "ctrl-c"]);
        assert_eq!(keymap.keys_for(Action::Back), vec!["esc"]);
    }

    #[test]
    fn bad_user_file_is_an_error_not_a_panic() {
        let mut keymap = Keymap::default();
        assert!(keymap.patch("[keys]\nfly = [\"x\"]").is_err());
        assert!(keymap.patch("[keys]\ncopy = [\"hyper-x\"]").is_err());
        assert!(keymap.patch("not toml [").is_err());
        // Nothing was half-applied.
        assert_eq!(keymap.keys_for(Action::Copy), vec!["y"]);
    }

    #[test]
    fn function_and_named_keys_parse() {
        assert_eq!(KeyBinding::parse("f1").unwrap().code, KeyCode::F(1));
        assert_eq!(
            KeyBinding::parse("PageDown").unwrap().code,
            KeyCode::PageDown
        );
        assert!(KeyBinding::parse("f13").is_err());
        assert!(KeyBinding::parse("ctrl-").is_err());
    }
}
