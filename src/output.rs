//! Writing files safely: reports (`-o`, the TUI's `w`) and DNS snapshots (`--save-dns`).
//!
//! The tool is opened on mail an attacker wrote, and a report may be written next to it: a
//! write must never replace the message being analysed, never leave a half-written file where a
//! good one was (a full disk), and never follow a symlink someone planted beside the target.
//! So: refuse a target that is one of the inputs; write a temporary file created exclusively
//! (`O_EXCL`, which follows no symlink) in the target's folder; then rename it over the target
//! (a rename replaces a symlink at the target rather than writing through it).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a file could not be written, naming it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteError {
    /// The target is one of the inputs (the message, the snapshot): never overwritten.
    IsInput {
        target: String,
        input: String,
    },
    Io {
        target: String,
        error: String,
    },
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::IsInput { target, input } => write!(
                f,
                "{target}: refusing to write over the input {input} (choose another file)"
            ),
            WriteError::Io { target, error } => write!(f, "{target}: cannot write: {error}"),
        }
    }
}

/// Whether `a` and `b` name the same existing file (hard links and symlinks included).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

fn shown(p: &Path) -> String {
    crate::report::visible(&p.display().to_string()).into_owned()
}

/// Refuses `target` when it is one of `inputs`.
pub fn check_not_input(target: &Path, inputs: &[&Path]) -> Result<(), WriteError> {
    match inputs.iter().find(|i| same_file(target, i)) {
        Some(input) => Err(WriteError::IsInput {
            target: shown(target),
            input: shown(input),
        }),
        None => Ok(()),
    }
}

/// A fresh name beside `target` for the temporary file.
fn temp_name(target: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    let unique = format!(
        ".{name}.{}.{}.{nanos:x}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    target.with_file_name(unique)
}

/// Writes `bytes` to `target` through an exclusively created temporary file in the same folder,
/// then renames it into place; refuses when `target` is one of `inputs`. On failure the target
/// is as it was and the temporary file is gone.
pub fn write_atomically(target: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<(), WriteError> {
    write_atomically_with(target, inputs, &mut |f| f.write_all(bytes))
}

/// [`write_atomically`], with the content written by `write` (a report streamed as it is made,
/// never whole in memory).
pub fn write_atomically_with(
    target: &Path,
    inputs: &[&Path],
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    check_not_input(target, inputs)?;
    let io = |e: std::io::Error| WriteError::Io {
        target: shown(target),
        error: e.to_string(),
    };
    let mut last = None;
    for _ in 0..8 {
        let tmp = temp_name(target);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => {
                let mut buffered = std::io::BufWriter::new(f);
                let done = write(&mut buffered)
                    .and_then(|()| buffered.into_inner().map_err(|e| e.into_error()))
                    .and_then(|f| f.sync_all())
                    .and_then(|()| std::fs::rename(&tmp, target));
                if let Err(e) = done {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(io(e));
                }
                return Ok(());
            }
            // Somebody holds that name (or planted a link there): try another.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(io(e)),
        }
    }
    Err(io(last.unwrap_or_else(|| {
        std::io::Error::other("no free temporary name")
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d =
            std::env::temp_dir().join(format!("mailsleuth-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn writes_and_replaces_a_file() {
        let d = dir("replace");
        let t = d.join("report.md");
        write_atomically(&t, b"one", &[]).unwrap();
        write_atomically(&t, b"two", &[]).unwrap();
        assert_eq!(std::fs::read(&t).unwrap(), b"two");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&d).unwrap().count(), 1);
    }

    #[test]
    fn never_writes_over_an_input_even_by_another_name() {
        let d = dir("input");
        let msg = d.join("phish.eml");
        std::fs::write(&msg, b"From: a@example.com\r\n\r\nbody").unwrap();
        let err = write_atomically(&msg, b"report", &[&msg]).unwrap_err();
        assert!(matches!(err, WriteError::IsInput { .. }), "{err}");
        assert!(err.to_string().contains("refusing to write over the input"));
        // The same file through another path (`dir/./phish.eml`) and through a hard link.
        let other = d.join(".").join("phish.eml");
        assert!(write_atomically(&other, b"report", &[&msg]).is_err());
        let link = d.join("link.eml");
        std::fs::hard_link(&msg, &link).unwrap();
        assert!(write_atomically(&link, b"report", &[&msg]).is_err());
        assert_eq!(
            std::fs::read(&msg).unwrap(),
            b"From: a@example.com\r\n\r\nbody"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_planted_symlink_is_replaced_not_written_through() {
        let d = dir("symlink");
        let victim = d.join("victim.txt");
        std::fs::write(&victim, b"keep me").unwrap();
        let target = d.join("report.md");
        std::os::unix::fs::symlink(&victim, &target).unwrap();
        write_atomically(&target, b"report", &[]).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
        assert_eq!(std::fs::read(&target).unwrap(), b"report");
        assert!(
            !std::fs::symlink_metadata(&target)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let d = dir("fail");
        let t = d.join("missing-folder").join("report.md");
        let err = write_atomically(&t, b"x", &[]).unwrap_err();
        assert!(matches!(err, WriteError::Io { .. }));
        assert!(err.to_string().contains("report.md"));
    }
}
