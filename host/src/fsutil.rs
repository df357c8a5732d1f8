//! The file-system layer under everything FactorCat writes: private
//! directories, advisory locks, and the one atomic write
//! ([`write_atomic`]) that the vault, `install` and the command line's
//! `export` all go through.
//!
//! It knows nothing of what the files mean. Every failure names what was
//! being done and the path concerned ([`FsError`], and `LockError` for
//! locks), so a person can see which file or directory to look at; callers
//! translate these into their own errors and advice.

#![warn(missing_docs)]

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tempfile::NamedTempFile;

/// A file-system operation that failed, with what was being done and the
/// path it concerned. The message reads "{action} {path}: {cause}".
#[derive(Debug, thiserror::Error)]
#[error("{action} {}: {source}", path.display())]
pub struct FsError {
    /// What was being done, e.g. "replacing" (completed by the path).
    pub action: &'static str,
    /// The file or directory concerned.
    pub path: PathBuf,
    /// The operating system's error.
    pub source: io::Error,
}

impl FsError {
    /// Wraps `source` with what was being done to `path`.
    pub(crate) fn new(action: &'static str, path: &Path, source: io::Error) -> FsError {
        FsError {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A `map_err` adapter for [`FsError::new`].
    fn on<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> FsError + 'a {
        move |source| FsError::new(action, path, source)
    }
}

/// Why [`lock`] did not take a lock.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LockError {
    /// The lock file could not be opened or created.
    #[error(transparent)]
    Open(FsError),
    /// The file system refused to lock the file.
    #[error(transparent)]
    Refused(FsError),
    /// Another holder kept the lock for longer than the wait.
    #[error("{} stayed locked by another process for over {waited_ms} ms", path.display())]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Milliseconds waited.
        waited_ms: u128,
    },
}

/// Who may read and run a file written by [`write_atomic`]. Unix permission
/// bits; other systems keep their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 0600: the owner only (the vault, exports).
    Private,
    /// 0644: everyone may read (browser manifests).
    Public,
    /// 0755: everyone may read and run (launcher scripts).
    Executable,
}

/// How [`write_atomic`] treats what is already at the path.
#[derive(Debug, Clone, Copy)]
pub struct WriteOptions<'a> {
    /// The new file's permissions.
    pub mode: Mode,
    /// Replace an existing file. When `false` an existing file is left
    /// alone and the write fails with [`io::ErrorKind::AlreadyExists`],
    /// decided atomically (no check-then-write race).
    pub replace: bool,
    /// Before replacing, keep the current file under this name (in the same
    /// directory), so that it always holds a complete previous generation.
    pub keep_previous: Option<&'a Path>,
}

impl WriteOptions<'_> {
    /// Replaces whatever is there, keeping nothing.
    pub fn replacing(mode: Mode) -> WriteOptions<'static> {
        WriteOptions {
            mode,
            replace: true,
            keep_previous: None,
        }
    }
}

/// Creates `dir` and any missing parents; on Unix new directories get mode
/// 0700. An existing directory is left as it is.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), FsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(FsError::on("creating the directory", dir))
}

/// Flushes a directory entry change (create, rename) to disk. Windows
/// cannot open directories this way and commits renames itself, so there
/// this does nothing.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), FsError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(FsError::on("syncing the directory", dir))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An advisory lock on a file; released on drop.
pub(crate) struct DirLock {
    _file: File,
}

/// Takes the lock on `path` (created 0600 if missing), shared or exclusive,
/// waiting up to `wait` for other holders to finish.
pub(crate) fn lock(path: &Path, exclusive: bool, wait: Duration) -> Result<DirLock, LockError> {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| LockError::Open(FsError::new("opening the lock file", path, e)))?;
    let deadline = Instant::now() + wait;
    let mut pause = Duration::from_millis(1);
    loop {
        let attempt = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match attempt {
            Ok(()) => return Ok(DirLock { _file: file }),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(LockError::Busy {
                    path: path.to_path_buf(),
                    waited_ms: wait.as_millis(),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(LockError::Refused(FsError::new("locking", path, source)));
            }
        }
    }
}

/// The directory `file` is in (`.` for a bare file name).
fn parent_dir(file: &Path) -> &Path {
    match file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// The prefix of temporary files written next to `file`.
fn temp_prefix(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!(".{name}.tmp.")
}

/// Overwrites `bytes` of the existing regular file `file` at `offset` and
/// syncs its data to disk. Not atomic: a crash can leave the range part
/// old, part new, so callers write only where a reader tells a cut-off
/// write from a whole one and has another copy (the ledger's slots). A
/// link is not followed, and a missing file is an error, never created.
pub(crate) fn write_in_place(file: &Path, offset: u64, bytes: &[u8]) -> Result<(), FsError> {
    let mut options = OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    let mut out = options.open(file).map_err(FsError::on("opening", file))?;
    out.seek(SeekFrom::Start(offset))
        .and_then(|_| out.write_all(bytes))
        .and_then(|()| out.sync_data())
        .map_err(FsError::on("writing", file))
}

/// Removes temporary files left next to `file` by writers that were killed.
/// Only call this while holding a lock that keeps every other writer of
/// `file` out. Failures are ignored: a leftover temporary file is harmless.
pub(crate) fn remove_stale_temps(file: &Path) {
    let prefix = temp_prefix(file);
    let Ok(entries) = fs::read_dir(parent_dir(file)) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a new file beside `file` (mode 0600 until `mode` is
/// applied), synced to disk. The file is removed again if it is dropped
/// before being persisted, so no failure leaves it behind.
fn write_temp(file: &Path, bytes: &[u8], mode: Mode) -> Result<NamedTempFile, FsError> {
    let prefix = temp_prefix(file);
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .rand_bytes(16)
        .tempfile_in(parent_dir(file))
        .map_err(FsError::on("creating a temporary file next to", file))?;
    // Failures past this point name the file being written: the temporary
    // one is gone by the time anyone reads the message.
    temp.write_all(bytes)
        .map_err(FsError::on("writing", file))?;
    #[cfg(unix)]
    if mode != Mode::Private {
        // Set explicitly rather than at creation, so the umask does not
        // narrow what browsers need to read and run.
        use std::os::unix::fs::PermissionsExt;
        let bits = if mode == Mode::Executable {
            0o755
        } else {
            0o644
        };
        fs::set_permissions(temp.path(), fs::Permissions::from_mode(bits))
            .map_err(FsError::on("setting the permissions of", file))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    temp.as_file()
        .sync_all()
        .map_err(FsError::on("writing", file))?;
    Ok(temp)
}

/// Makes `prev` a complete copy of the current `file`: a hard link to it
/// (or, where hard links are unsupported, a synced copy) is staged under a
/// temporary name and renamed over `prev`.
fn keep_previous(file: &Path, prev: &Path) -> Result<(), FsError> {
    let staged = parent_dir(file).join(format!("{}prev", temp_prefix(file)));
    let _ = fs::remove_file(&staged);
    if fs::hard_link(file, &staged).is_err() {
        let current = fs::read(file).map_err(FsError::on("reading", file))?;
        write_temp(file, &current, Mode::Private)?
            .persist(&staged)
            .map_err(|e| FsError::new("replacing", &staged, e.error))?;
    }
    fs::rename(&staged, prev).map_err(FsError::on("replacing", prev))?;
    // If `prev` already was this very file (a writer was killed between
    // this step and the next), rename(2) succeeds without doing anything
    // and the staging link stays: drop it.
    let _ = fs::remove_file(&staged);
    Ok(())
}

/// Writes `bytes` to `file` so that at every instant `file` is either
/// absent or the complete old content, or the complete new content, even
/// across a crash or power loss:
///
/// 1. the new content goes to a temporary file in the same directory
///    (`.NAME.tmp.RANDOM`), gets its mode, and is fsynced;
/// 2. with [`WriteOptions::keep_previous`], if `file` exists it is kept
///    under that name (a hard link, or where there are none a synced copy);
/// 3. the temporary file is renamed over `file` (or, without
///    [`WriteOptions::replace`], given its name only if nothing has it);
/// 4. the directory is fsynced, so the renames survive a power loss.
///
/// A failure before step 3 removes the temporary file and leaves `file` as
/// it was. Writers of the same file must not overlap when they keep the
/// previous generation (the vault holds its exclusive lock).
pub fn write_atomic(file: &Path, bytes: &[u8], options: &WriteOptions<'_>) -> Result<(), FsError> {
    let temp = write_temp(file, bytes, options.mode)?;
    if let Some(prev) = options.keep_previous
        && file.exists()
    {
        keep_previous(file, prev)?;
    }
    let persisted = if options.replace {
        temp.persist(file)
    } else {
        temp.persist_noclobber(file)
    };
    persisted.map_err(|e| FsError::new("replacing", file, e.error))?;
    sync_dir(parent_dir(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_and_keeps_the_previous_generation() {
        let dir = tempfile::tempdir().unwrap();
        let (file, prev) = (dir.path().join("f"), dir.path().join("f.prev"));
        let keep = WriteOptions {
            keep_previous: Some(&prev),
            ..WriteOptions::replacing(Mode::Private)
        };
        write_atomic(&file, b"one", &keep).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"one");
        assert!(!prev.exists(), "nothing to keep the first time");
        write_atomic(&file, b"two", &keep).unwrap();
        write_atomic(&file, b"three", &keep).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"three");
        assert_eq!(fs::read(&prev).unwrap(), b"two");
        assert_eq!(names(dir.path()), ["f", "f.prev"], "temporary files left");
    }

    #[test]
    fn without_replace_an_existing_file_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("out");
        let once = WriteOptions {
            replace: false,
            ..WriteOptions::replacing(Mode::Private)
        };
        write_atomic(&file, b"first", &once).unwrap();
        let err = write_atomic(&file, b"second", &once).unwrap_err();
        assert_eq!(err.source.kind(), io::ErrorKind::AlreadyExists, "{err}");
        assert_eq!(err.path, file);
        assert_eq!(fs::read(&file).unwrap(), b"first");
        assert_eq!(names(dir.path()), ["out"], "temporary files left");
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_exact() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        for (mode, bits) in [
            (Mode::Private, 0o600),
            (Mode::Public, 0o644),
            (Mode::Executable, 0o755),
        ] {
            let file = dir.path().join(format!("{mode:?}"));
            write_atomic(&file, b"x", &WriteOptions::replacing(mode)).unwrap();
            let got = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(got, bits, "{mode:?}");
        }
    }

    #[test]
    fn failures_name_the_path_and_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("f");
        let err =
            write_atomic(&missing, b"x", &WriteOptions::replacing(Mode::Private)).unwrap_err();
        assert_eq!(err.path, missing);
        assert!(err.to_string().contains("no-such-dir"), "{err}");

        // A directory where the file should be: the rename fails, the
        // temporary file goes.
        let taken = dir.path().join("taken");
        fs::create_dir(&taken).unwrap();
        fs::write(taken.join("inside"), b"kept").unwrap();
        let err = write_atomic(&taken, b"x", &WriteOptions::replacing(Mode::Private)).unwrap_err();
        assert_eq!(
            (err.action, err.path.as_path()),
            ("replacing", taken.as_path())
        );
        assert_eq!(names(dir.path()), ["taken"], "temporary files left");
    }

    #[test]
    fn stale_temporary_files_of_that_file_only_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        for name in [".f.tmp.0123", ".f.tmp.prev", ".g.tmp.0123", "f"] {
            fs::write(dir.path().join(name), b"x").unwrap();
        }
        remove_stale_temps(&file);
        assert_eq!(names(dir.path()), [".g.tmp.0123", "f"]);
    }
}
