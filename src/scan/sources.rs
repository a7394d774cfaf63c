//! What a scan reads: the paths on the command line expanded into message files. A file is read
//! as it is (an mbox is split later, by `input::prepare`); a Maildir (a folder with `cur/` and
//! `new/`) gives the files in `cur/` and `new/`; any other folder gives every file under it,
//! recursively, in name order, except files whose extension says they are not mail (`.json`,
//! `.md`, `.pem`, images, archives …: [`NOT_MAIL_EXTENSIONS`]), which are counted as skipped; a
//! file named on the command line is always read. `-` reads a list of paths from standard input, one a line (or
//! NUL-separated, as `find -print0` writes them), each expanded the same way.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::input::{self, Message};

/// One file to read, or a path that could not be listed (with why).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    File(PathBuf),
    Unlisted {
        path: PathBuf,
        error: String,
    },
    /// Found in a folder, with a name that says it is not mail: not read.
    Skipped(PathBuf),
}

/// Extensions of files that a folder walk passes over: data, documents, keys, images and
/// archives that sit beside exported mail (a snapshot's `.json`, a README) and are never a
/// message source. Everything else is read and, if it is not an email, is an error line.
pub const NOT_MAIL_EXTENSIONS: &[&str] = &[
    "json", "md", "markdown", "pem", "key", "crt", "cer", "der", "pub", "toml", "yaml", "yml",
    "csv", "png", "jpg", "jpeg", "gif", "webp", "svg", "ico", "pdf", "zip", "gz", "tgz", "bz2",
    "xz", "7z", "doc", "docx", "xls", "xlsx", "pptx", "odt", "js", "css", "py", "rs", "sh", "exe",
    "dll", "so", "sqlite", "db",
];

/// Whether a folder walk passes over `path` by its extension.
fn named_not_mail(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        NOT_MAIL_EXTENSIONS
            .iter()
            .any(|n| n.eq_ignore_ascii_case(e))
    })
}

/// What a walk passed over and whether it went to the end.
#[derive(Debug, Default)]
pub struct Walked {
    /// False when `each` asked to stop.
    pub completed: bool,
    /// Files found in folders and not read, by their extension ([`NOT_MAIL_EXTENSIONS`]).
    pub skipped: Vec<PathBuf>,
}

impl Walked {
    /// One line saying what was skipped under `root` (None when nothing was).
    pub fn skipped_note(&self, root: &str) -> Option<String> {
        let first = self.skipped.first()?;
        let mut exts: Vec<String> = self
            .skipped
            .iter()
            .filter_map(|p| {
                Some(format!(
                    ".{}",
                    p.extension()?.to_str()?.to_ascii_lowercase()
                ))
            })
            .collect();
        exts.sort();
        exts.dedup();
        Some(format!(
            "skipped {} file(s) under {} whose names say they are not mail ({}; first: {}); name \
             a file to read it anyway",
            self.skipped.len(),
            crate::report::visible(root),
            exts.join(" "),
            crate::report::visible(&first.display().to_string()),
        ))
    }
}

/// The paths named by `args`, in order, with `-` replaced by the list on `stdin`.
pub fn expand_args(args: &[String], stdin: &mut dyn Read) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut stdin_read = false;
    for arg in args {
        if arg != "-" {
            out.push(arg.clone());
            continue;
        }
        if stdin_read {
            continue;
        }
        stdin_read = true;
        let mut bytes = Vec::new();
        stdin
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read the list of paths on standard input: {e}"))?;
        out.extend(path_list(&bytes));
    }
    Ok(out)
}

/// Paths in a list: NUL-separated when there is a NUL, else one a line (CR LF too); empty
/// entries are skipped.
fn path_list(bytes: &[u8]) -> Vec<String> {
    let sep = if bytes.contains(&0) { b'\0' } else { b'\n' };
    bytes
        .split(|&b| b == sep)
        .map(|p| String::from_utf8_lossy(p.strip_suffix(b"\r").unwrap_or(p)).into_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The messages under `path`, in a stable order: each file read and split as `report` reads it
/// (an mbox gives its messages, numbered from 1 in `index`); a file that cannot be read or is
/// not an email is one `Err` with why, its `index` None. `each` returns false to stop. Files a
/// folder walk passes over by name are returned in `skipped`.
pub fn messages(
    path: &Path,
    each: &mut dyn FnMut(String, Option<usize>, Result<Message, String>) -> bool,
) -> Walked {
    let mut skipped = Vec::new();
    let completed = walk(path, &mut |found| match found {
        Source::Skipped(path) => {
            skipped.push(path);
            true
        }
        Source::Unlisted { path, error } => each(path.display().to_string(), None, Err(error)),
        Source::File(path) => {
            let source = path.display().to_string();
            match input::load(&source).and_then(input::prepare) {
                Err(e) => each(source, None, Err(e.message)),
                Ok(messages) => messages
                    .into_iter()
                    .enumerate()
                    .all(|(i, m)| each(source.clone(), Some(i + 1), Ok(m))),
            }
        }
    });
    Walked { completed, skipped }
}

/// The files under `path`, in a stable order (calls `found` for each, so a huge tree starts
/// being analysed before it has been walked to the end).
pub fn walk(path: &Path, found: &mut dyn FnMut(Source) -> bool) -> bool {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            return found(Source::Unlisted {
                path: path.to_path_buf(),
                error: io_reason(&e),
            });
        }
    };
    if !meta.is_dir() {
        return found(Source::File(path.to_path_buf()));
    }
    if is_maildir(path) {
        for sub in ["cur", "new"] {
            if !walk_dir(&path.join(sub), false, found) {
                return false;
            }
        }
        // Maildir++ folders (`.Sent`, `.Archive`) sit beside cur/new/tmp.
        return walk_dir_children(path, found, |name| name.starts_with('.'));
    }
    walk_dir(path, true, found)
}

/// A Maildir: `cur/` and `new/` folders (`tmp/` holds deliveries in progress, never read).
fn is_maildir(path: &Path) -> bool {
    path.join("cur").is_dir() && path.join("new").is_dir()
}

/// Every file in `dir` (recursively when `deep`), in name order; hidden files are skipped.
fn walk_dir(dir: &Path, deep: bool, found: &mut dyn FnMut(Source) -> bool) -> bool {
    let entries = match sorted_entries(dir) {
        Ok(e) => e,
        Err(error) => {
            return found(Source::Unlisted {
                path: dir.to_path_buf(),
                error,
            });
        }
    };
    for (name, path) in entries {
        if name.starts_with('.') && !is_maildir(&path) {
            continue;
        }
        let keep_going = if path.is_dir() {
            !deep || walk(&path, found)
        } else if named_not_mail(&path) {
            found(Source::Skipped(path))
        } else {
            found(Source::File(path))
        };
        if !keep_going {
            return false;
        }
    }
    true
}

/// The Maildir++ subfolders of a Maildir (`wanted` by name), each walked as a Maildir.
fn walk_dir_children(
    dir: &Path,
    found: &mut dyn FnMut(Source) -> bool,
    wanted: impl Fn(&str) -> bool,
) -> bool {
    let Ok(entries) = sorted_entries(dir) else {
        return true;
    };
    for (name, path) in entries {
        if wanted(&name) && is_maildir(&path) && !walk(&path, found) {
            return false;
        }
    }
    true
}

fn sorted_entries(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let read = std::fs::read_dir(dir).map_err(|e| io_reason(&e))?;
    let mut entries: Vec<(String, PathBuf)> = read
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    entries.sort();
    Ok(entries)
}

/// An I/O error in the words `report` uses.
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot read: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(path: &Path) -> Vec<String> {
        let mut out = Vec::new();
        walk(path, &mut |s| {
            out.push(match s {
                Source::File(p) => p.strip_prefix(path).unwrap().display().to_string(),
                Source::Unlisted { path, error } => format!("{}: {error}", path.display()),
                Source::Skipped(p) => {
                    format!("skipped {}", p.strip_prefix(path).unwrap().display())
                }
            });
            true
        });
        out
    }

    #[test]
    fn a_list_on_stdin_is_lines_or_nul_separated() {
        assert_eq!(path_list(b"a.eml\r\nb c.eml\n\n"), ["a.eml", "b c.eml"]);
        assert_eq!(path_list(b"a\nb.eml\0c.eml\0"), ["a\nb.eml", "c.eml"]);
        let args = ["x".to_string(), "-".to_string(), "-".to_string()];
        let got = expand_args(&args, &mut &b"y\nz\n"[..]).unwrap();
        assert_eq!(got, ["x", "y", "z"]);
    }

    #[test]
    fn a_maildir_gives_cur_and_new_and_its_subfolders_not_tmp() {
        let root = tempdir("maildir");
        for d in ["cur", "new", "tmp", ".Sent/cur", ".Sent/new", ".Sent/tmp"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for f in [
            "cur/2",
            "cur/1",
            "new/3",
            "tmp/4",
            "dovecot.index",
            ".Sent/cur/5",
        ] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        assert_eq!(files(&root), ["cur/1", "cur/2", "new/3", ".Sent/cur/5"]);
    }

    #[test]
    fn a_folder_is_walked_in_name_order_without_hidden_files() {
        let root = tempdir("folder");
        std::fs::create_dir_all(root.join("b/c")).unwrap();
        for f in ["b/c/z.eml", "a.eml", ".hidden.eml", "b/y.png"] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        assert_eq!(files(&root), ["a.eml", "b/c/z.eml", "skipped b/y.png"]);
        let missing = files(&root.join("nope"));
        assert!(
            missing[0].ends_with("nope: no such file or folder"),
            "{missing:?}"
        );
    }

    #[test]
    fn a_folder_walk_passes_over_files_named_as_not_mail_but_reads_a_file_named_directly() {
        let root = tempdir("named");
        for f in ["a.eml", "a.dns.json", "README.MD", "b.msg", "c"] {
            std::fs::write(root.join(f), "x").unwrap();
        }
        assert_eq!(
            files(&root),
            [
                "skipped README.MD",
                "skipped a.dns.json",
                "a.eml",
                "b.msg",
                "c"
            ]
        );
        let walked = messages(&root, &mut |_, _, _| true);
        assert!(walked.completed);
        assert_eq!(walked.skipped.len(), 2);
        let note = walked.skipped_note("box").unwrap();
        assert!(note.starts_with("skipped 2 file(s) under box"), "{note}");
        assert!(note.contains("(.json .md; first: "), "{note}");
        // Named on the command line, a .json is read (and is not an email).
        let json = root.join("a.dns.json");
        let mut errors = Vec::new();
        let walked = messages(&json, &mut |_, _, m| {
            errors.extend(m.err());
            true
        });
        assert!(walked.skipped.is_empty());
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    fn tempdir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("mailsleuth-sources-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
