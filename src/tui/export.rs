//! Getting findings out: `y` copies the focused step (or hop, query, header) as Markdown, `Y` the
//! whole report, `w` writes the report to a file. The Markdown comes from `crate::report`.

use std::path::{Path, PathBuf};

use super::app::{App, Prompt, PromptKind};
use super::check::MainView;
use super::input::LineInput;
use super::ui::Pane;

impl App {
    pub(crate) fn copy_focused(&mut self) {
        let Some(a) = &self.analysis else {
            self.status = Some("nothing to copy yet: the analysis is running".into());
            return;
        };
        let check = self.selected_check();
        let (what, text) = match (self.focus, check.main_view()) {
            (Pane::Hops, _) | (_, MainView::Hops) => match a.hops.get(self.hop) {
                Some(hop) => {
                    let body = super::panes::hops::hop_markdown(self.hop, a.hops.len(), hop);
                    (
                        format!("hop #{} of {}", self.hop + 1, a.hops.len()),
                        naming_line(a, "Envelope & hops") + &body,
                    )
                }
                None => return,
            },
            (_, MainView::DnsLog) => match self.dns_log().get(self.dns_entry) {
                Some(e) => {
                    let what = format!("DNS {} {}", e.rtype, e.name);
                    let body = super::panes::evidence::dns_markdown(e);
                    (what.clone(), naming_line(a, &what) + &body)
                }
                None => return,
            },
            (_, MainView::Headers) => match a.headers.get(self.header) {
                Some(h) => {
                    let what = format!("header {}", h.name);
                    let what_long = format!("header #{} {}", h.index, h.name);
                    let body = format!("```\n{}\n```\n", h.raw.trim_end());
                    (what, naming_line(a, &what_long) + &body)
                }
                None => return,
            },
            (_, MainView::Steps) => match self.current_step() {
                Some(mut step) => {
                    let title = check.title(Some(a));
                    // A Summary row is one sentence: its title and its explanation are the same.
                    if step.explanation.trim() == step.title.trim() {
                        step.explanation.clear();
                    }
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

    pub(crate) fn copy_all(&mut self) {
        let Some(a) = &self.analysis else {
            self.status = Some("nothing to copy yet: the analysis is running".into());
            return;
        };
        let text = crate::report::markdown(a);
        self.copy_text("the whole report", &text);
    }

    pub(crate) fn copy_text(&mut self, what: &str, text: &str) {
        // Markdown line ends are LF: header text keeps the message's CRLF, which pastes as
        // stray `^M` in a ticket.
        let text = &text.replace("\r\n", "\n");
        self.status = Some(match self.clipboard.copy(text) {
            Ok(path) => {
                let before = format!("copied to the {}: ", path.describe());
                let after = format!(" ({} lines)", text.lines().count());
                // What was copied gets the room left on the status line (at least a few words),
                // beside the help and quit keys (`? help  q quit`).
                let room = usize::from(self.area.width)
                    .saturating_sub(before.chars().count() + after.chars().count() + 16)
                    .max(16);
                let what = super::panes::truncate(&super::sanitize::sanitize(what), room);
                format!("{before}{what}{after}")
            }
            Err(e) => format!("copy failed: {e}"),
        });
    }

    pub(crate) fn default_report_path(&self) -> String {
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

    pub(crate) fn write_report(&mut self, path: &str) {
        if path.is_empty() {
            self.status = Some("no file name: nothing written".into());
            return;
        }
        self.save_report(path, false);
    }

    /// Writes the report; an existing file is replaced only when `overwrite` (else the user is
    /// asked, with a free name offered instead). `create_new` makes the check and the write one
    /// step, so a file that appears meanwhile is not clobbered either.
    pub(crate) fn save_report(&mut self, path: &str, overwrite: bool) {
        let Some(a) = &self.analysis else {
            return;
        };
        let text = crate::report::markdown(a);
        let shown = super::sanitize::sanitize(path);
        let source = std::path::Path::new(&self.options.source);
        let inputs: Vec<&std::path::Path> = [Some(source)]
            .into_iter()
            .flatten()
            .filter(|p| !p.as_os_str().is_empty() && p.as_os_str() != "-")
            .collect();
        let written = if overwrite {
            // Replacing: through a temporary file renamed into place, never over the message.
            crate::output::write_atomically(std::path::Path::new(path), text.as_bytes(), &inputs)
                .map_err(|e| std::io::Error::other(e.to_string()))
        } else {
            // `create_new` makes the check and the write one step, so a file that appears
            // meanwhile is not clobbered either.
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()))
        };
        self.status = match written {
            Ok(()) => Some(format!(
                "wrote the report to {shown} ({} bytes)",
                text.len()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                self.prompt = Some(Prompt {
                    kind: PromptKind::Overwrite {
                        path: path.to_string(),
                        instead: free_name(path),
                    },
                    input: LineInput::default(),
                });
                None
            }
            Err(e) => Some(format!(
                "cannot write {shown}: {}",
                super::sanitize::sanitize(&e.to_string())
            )),
        };
    }
}

/// `path` with `-2`, `-3` … before its extension: the first name not taken.
pub fn free_name(path: &str) -> String {
    let p = Path::new(path);
    let stem = p
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = p
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (2..10_000)
        .map(|n| p.with_file_name(format!("{stem}-{n}{ext}")))
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| p.with_file_name(format!("{stem}-new{ext}")))
        .to_string_lossy()
        .into_owned()
}

/// The first line of every copy: what it is, which message, and as of when — the line a step's
/// copy (`report::markdown_step`) starts with.
pub fn naming_line(a: &crate::analysis::Analysis, what: &str) -> String {
    format!(
        "**{}** — {} (mailsleuth, {})\n\n",
        md_text(what),
        md_text(&a.input.source),
        a.now
    )
}

/// Markdown's inline punctuation escaped, so a path or a header name reads as written.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in crate::report::visible(s).chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
