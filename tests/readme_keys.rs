//! The README's key table is the keymap in force by default: every action of
//! `assets/keymap.toml` has a row listing all of its keys, written as the README writes them.

use mailsleuth::tui::action::Action;
use mailsleuth::tui::keymap::Keymap;

/// A keymap name as the README's table writes it (`pagedown` → `PgDn`, `ctrl-d` → `Ctrl-D`).
fn readme_form(key: &str) -> String {
    if let Some(rest) = key.strip_prefix("ctrl-") {
        return format!("Ctrl-{}", readme_form(rest).to_uppercase());
    }
    match key {
        "down" => "↓".into(),
        "up" => "↑".into(),
        "left" => "←".into(),
        "right" => "→".into(),
        "pagedown" => "PgDn".into(),
        "pageup" => "PgUp".into(),
        "home" => "Home".into(),
        "end" => "End".into(),
        "tab" => "Tab".into(),
        "backtab" => "Shift-Tab".into(),
        "enter" => "Enter".into(),
        "esc" => "Esc".into(),
        "space" => "Space".into(),
        "backspace" => "Backspace".into(),
        f if f.len() > 1 && f.starts_with('f') => f.to_uppercase(),
        other => other.into(),
    }
}

/// The rows of the README table headed `| keys | what they do |`.
fn key_table_rows(readme: &str) -> Vec<&str> {
    readme
        .lines()
        .skip_while(|l| !l.starts_with("| keys | what they do |"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect()
}

#[test]
fn every_default_key_is_in_the_readme_table_in_its_actions_row() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let rows = key_table_rows(&readme);
    assert!(rows.len() >= 10, "the key table: {rows:?}");
    let keymap = Keymap::default();
    let mut missing = Vec::new();
    for &action in Action::ALL {
        let keys: Vec<String> = keymap
            .keys_for(action)
            .iter()
            .map(|k| format!("`{}`", readme_form(k)))
            .collect();
        if keys.is_empty() {
            continue;
        }
        // The first cell of a row lists the keys.
        let row = rows.iter().find(|r| {
            let cell = r.split('|').nth(1).unwrap_or("");
            keys.iter().all(|k| cell.contains(k.as_str()))
        });
        if row.is_none() {
            missing.push(format!("{action:?}: {}", keys.join(" ")));
        }
    }
    assert!(
        missing.is_empty(),
        "README key table lacks a row with these keys:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_readme_form_of_keys() {
    assert_eq!(readme_form("ctrl-d"), "Ctrl-D");
    assert_eq!(readme_form("backtab"), "Shift-Tab");
    assert_eq!(readme_form("f1"), "F1");
    assert_eq!(readme_form("j"), "j");
}
