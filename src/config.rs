//! Where a user's files that extend the built-in knowledge live (read at the edge only: the
//! analysis core never reads the environment).

use std::path::PathBuf;

/// `$XDG_CONFIG_HOME/mailsleuth/FILE`, else `~/.config/mailsleuth/FILE`.
pub fn user_config_path(file: &str) -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("mailsleuth").join(file))
}
