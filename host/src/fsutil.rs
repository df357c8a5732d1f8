//! File-system helpers for the vault: private modes, durable atomic
//! replacement that keeps the previous generation, and advisory locks.
//!
//! Failures name the path concerned ([`VaultError::Io`], or for locks
//! [`VaultError::Lock`] and [`VaultError::Busy`]), so a person can see which
//! file or directory to look at.

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rand::Rng;

use crate::vault::VaultError;

/// Wraps an I/O error with the path it concerns.
pub(crate) fn io_err(path: &Path, source: io::Error) -> VaultError {
    VaultError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates `dir` and any missing parents; on Unix new directories get mode
/// 0700. An existing directory is left as it is.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), VaultError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(|e| io_err(dir, e))
}

/// Options that create files readable and writable by the owner only.
fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Flushes a directory entry change (create, rename) to disk. Windows
/// cannot open directories this way and commits renames itself, so there
/// this does nothing.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), VaultError> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_err(dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// An advisory lock on a file beside the vault; released on drop.
pub(crate) struct DirLock {
    _file: File,
}

/// Takes the lock on `path` (created 0600 if missing), shared or exclusive,
/// waiting up to `wait` for other holders to finish.
pub(crate) fn lock(path: &Path, exclusive: bool, wait: Duration) -> Result<DirLock, VaultError> {
    let file = private_options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| io_err(path, e))?;
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
                return Err(VaultError::Busy {
                    path: path.to_path_buf(),
                    waited_ms: wait.as_millis(),
                });
            }
            Err(TryLockError::Error(source)) => {
                return Err(VaultError::Lock {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
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

/// Removes temporary files left next to `file` by writers that were killed.
/// Only call this while holding the exclusive lock. Failures are ignored:
/// a leftover temporary file is harmless.
pub(crate) fn remove_stale_temps(dir: &Path, file: &Path) {
    let prefix = temp_prefix(file);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Writes `bytes` to a new private file beside `file`, synced to disk.
fn write_temp(dir: &Path, file: &Path, bytes: &[u8]) -> Result<PathBuf, VaultError> {
    let suffix: u64 = rand::thread_rng().r#gen();
    let temp = dir.join(format!("{}{:016x}", temp_prefix(file), suffix));
    let mut out = private_options()
        .write(true)
        .create_new(true)
        .open(&temp)
        .map_err(|e| io_err(&temp, e))?;
    let written = out.write_all(bytes).and_then(|()| out.sync_all());
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        // The temporary file is gone: name the file being written.
        return Err(io_err(file, e));
    }
    Ok(temp)
}

/// Replaces `file` with `bytes` so that at every instant `file` is either
/// the complete old or the complete new content, even across a crash:
///
/// 1. the new content goes to a temporary file in the same directory and is
///    fsynced;
/// 2. if `file` exists, `prev` is replaced (by rename) with a hard link to
///    it — or, where hard links are unsupported, a synced copy;
/// 3. the temporary file is renamed over `file`;
/// 4. the directory is fsynced so the renames are durable.
///
/// The caller holds the exclusive lock.
pub(crate) fn replace_keeping_prev(
    dir: &Path,
    file: &Path,
    prev: &Path,
    bytes: &[u8],
) -> Result<(), VaultError> {
    let temp = write_temp(dir, file, bytes)?;
    let result = (|| {
        if file.exists() {
            let staged = dir.join(format!("{}prev", temp_prefix(file)));
            let _ = fs::remove_file(&staged);
            if fs::hard_link(file, &staged).is_err() {
                let current = fs::read(file).map_err(|e| io_err(file, e))?;
                let copy = write_temp(dir, file, &current)?;
                fs::rename(&copy, &staged).map_err(|e| io_err(&staged, e))?;
            }
            fs::rename(&staged, prev).map_err(|e| io_err(prev, e))?;
            // If `prev` already was this very file (a writer was killed
            // between this step and the next), rename(2) succeeds without
            // doing anything and the staging link stays: drop it.
            let _ = fs::remove_file(&staged);
        }
        fs::rename(&temp, file).map_err(|e| io_err(file, e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}
