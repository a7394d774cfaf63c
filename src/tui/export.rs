//! Getting findings out: `y` copies the focused step (or hop, query, header) as Markdown, `Y` the
//! whole report, `w` writes the report to a file. The Markdown comes from `crate::report`.

use std::path::PathBuf;

use super::app::App;
use super::check::MainView;
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

    pub(crate) fn copy_all(&mut self) {
        let Some(a) = &self.analysis else {
            self.status = Some("nothing to copy yet: the analysis is running".into());
            return;
        };
        let text = crate::report::markdown(a);
        self.copy_text("the whole report", &text);
    }

    pub(crate) fn copy_text(&mut self, what: &str, text: &str) {
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
