//! The vault's errors: one enum whose messages name the file and say what
//! to do, with a stable code for programs.

use std::io;
use std::path::{Path, PathBuf};

use crate::error::ErrorCode;
use crate::fsutil::{FsError, LockError};
use crate::keystore::KeyringError;

/// Everything that can go wrong with a vault. Messages name the file and
/// say what to do; none contains a key, passphrase or secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// There is no vault file.
    #[error("no vault at {}; the first `factorcat add` creates one (or `factorcat init`); if you have a vault elsewhere, set FACTORCAT_HOME to its directory", path.display())]
    NotFound {
        /// The vault file looked for.
        path: PathBuf,
    },
    /// The OS keyring is locked. The advice names the passphrase only
    /// when the vault has a passphrase slot (`passphrase_slot`).
    #[error(
        "the OS keyring is locked, so the vault key cannot be read from it; unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock`) and try again{}", or_passphrase(*passphrase_slot)
    )]
    KeyringLocked {
        /// The vault has a passphrase slot that could open it instead.
        passphrase_slot: bool,
    },
    /// No usable OS keyring.
    #[error(
        "the OS keyring is unavailable ({detail}); start a Secret Service (log in to a desktop session, or run `gnome-keyring-daemon --start` inside a D-Bus session) and try again{}", or_passphrase(*passphrase_slot)
    )]
    KeyringUnavailable {
        /// The platform's description of the failure.
        detail: String,
        /// The vault has a passphrase slot that could open it instead.
        passphrase_slot: bool,
    },
    /// The keyring has no (valid) entry for this vault's keyring slot.
    #[error(
        "the OS keyring holds no key for this vault (the entry was deleted, or the vault was copied from another machine or user); {}", if *passphrase_slot {
            "unlock with the vault's passphrase by setting FACTORCAT_PASSPHRASE, or restore the keyring entry"
        } else {
            "the vault has no passphrase slot, so only that entry opens it: restore the keyring (or use the vault on the machine and account it came from)"
        }
    )]
    NoKeyringSlot {
        /// The vault has a passphrase slot that could open it instead.
        passphrase_slot: bool,
    },
    /// The keyring entry exists but does not open the keyring slot.
    #[error(
        "the key in the OS keyring does not open the vault {} (the keyring entry belongs to another copy of this vault); {}", path.display(), if *passphrase_slot {
            "unlock with the passphrase by setting FACTORCAT_PASSPHRASE, or restore the matching vault file"
        } else {
            "restore the matching vault file (this one has no passphrase slot)"
        }
    )]
    KeyringMismatch {
        /// The vault file.
        path: PathBuf,
        /// The vault has a passphrase slot that could open it instead.
        passphrase_slot: bool,
    },
    /// The passphrase does not open the passphrase slot.
    #[error("wrong passphrase for the vault; check it (including keyboard layout) and try again")]
    WrongPassphrase,
    /// The vault needs a passphrase and none was given.
    #[error(
        "the vault can only be unlocked with its passphrase here; run `factorcat unlock` in a terminal to keep it unlocked for a while (the browser too), or run the command in a terminal to be asked for it, or set FACTORCAT_PASSPHRASE"
    )]
    PassphraseRequired,
    /// The file is damaged or not a vault.
    #[error(
        "the vault {} is damaged ({reason}); it was left untouched — restore the previous generation {}.prev (copy it over the vault, then run `factorcat accept-older`; it lacks the most recent change) or a backup", path.display(), path.display()
    )]
    Corrupt {
        /// The vault file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file is a vault of a format version this build does not know.
    #[error(
        "the vault {} has format version {found}, but this FactorCat reads versions 1 to {supported}; upgrade FactorCat", path.display()
    )]
    UnsupportedVersion {
        /// The vault file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The newest version this build reads.
        supported: u64,
    },
    /// An operating-system I/O failure.
    #[error("cannot access {}: {source}; check that the path exists, is yours and the disk is not full", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Locking the vault failed.
    #[error("cannot lock {}: {source}; check that the vault directory is on a local file system you can write to", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Another process held the vault lock for too long.
    #[error(
        "another FactorCat process held the vault lock {} for over {waited_ms} ms; let it finish (or close it) and try again", path.display()
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Milliseconds waited.
        waited_ms: u128,
    },
    /// `create` on an existing vault.
    #[error("a vault already exists at {}; use it, or move it away first if you really want a new one", path.display())]
    AlreadyExists {
        /// The existing vault file.
        path: PathBuf,
    },
    /// Removing the only slot would make the vault impossible to open.
    #[error(
        "this is the vault's only way to unlock it; add another (keyring or passphrase) before removing it"
    )]
    LastSlot,
    /// A vault was requested with neither slot.
    #[error("a vault needs at least one way to unlock it: the OS keyring, a passphrase, or both")]
    NoSlot,
    /// An empty passphrase was given for a new passphrase slot.
    #[error("the passphrase is empty; choose a non-empty passphrase")]
    EmptyPassphrase,
    /// Argon2 parameters outside the accepted bounds.
    #[error("invalid passphrase hashing parameters: {reason}")]
    BadKdfParams {
        /// The violated bound.
        reason: String,
    },
    /// The vault directory (`FACTORCAT_HOME`) is not a directory.
    #[error(
        "{} is a file, not a directory: {} must name the directory that holds the vault{}", path.display(), home_name(), parent_hint(path)
    )]
    HomeNotADirectory {
        /// What the vault directory names.
        path: PathBuf,
    },
    /// The vault file is older than a generation this machine has seen.
    #[error(
        "the vault {} is generation {found}, but this machine has already seen generation {seen} of it: an older copy was put back (a restored backup, a sync tool, or anyone who can write the vault directory), which could bring back removed tokens and codes already used, so it was not used. Put the newer file back if you have it (a sync tool may have left it as a conflict copy beside the vault); if you restored this one on purpose, run `factorcat accept-older` (then `factorcat merge --conflicts` merges any conflict copies)", path.display()
    )]
    RolledBack {
        /// The vault file.
        path: PathBuf,
        /// Its generation.
        found: u64,
        /// The highest generation this machine has seen.
        seen: u64,
    },
    /// A file given to merge belongs to another vault.
    #[error(
        "{} is a copy of another vault (id {theirs}), not of this one (id {ours}); only copies of this vault can be merged. To bring that vault's tokens here, export them there (`factorcat export`) and import the file here (`factorcat import`)", path.display()
    )]
    OtherVault {
        /// The file given.
        path: PathBuf,
        /// This vault's id.
        ours: uuid::Uuid,
        /// The other file's vault id.
        theirs: uuid::Uuid,
    },
    /// The ledger file beside the vault cannot be used: damaged, cut
    /// short, of another vault or of a newer format.
    #[error(
        "the ledger {} (where FactorCat records the codes it handed out and AWS's clock offsets, beside the vault) cannot be used: {reason}. It was left untouched. Move it out of the vault directory and try again: the vault and its tokens are not affected; only what it recorded since the vault file was last written is lost (a code handed out since may be handed out once more, which sites refuse as already used, and AWS's clock is measured again)", path.display()
    )]
    LedgerUnusable {
        /// The ledger file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// No home directory to put the vault in.
    #[error(
        "cannot find a data directory for the vault (no home directory); set FACTORCAT_HOME to a directory"
    )]
    NoHome,
}

impl VaultError {
    /// The stable code: the native host sends it, the command line maps it
    /// to an exit code.
    pub fn code(&self) -> ErrorCode {
        match self {
            VaultError::NotFound { .. } => ErrorCode::VaultMissing,
            VaultError::KeyringLocked { .. } => ErrorCode::KeyringLocked,
            VaultError::KeyringUnavailable { .. } => ErrorCode::KeyringUnavailable,
            VaultError::NoKeyringSlot { .. } => ErrorCode::KeyringEntryMissing,
            VaultError::KeyringMismatch { .. } => ErrorCode::KeyringMismatch,
            VaultError::WrongPassphrase => ErrorCode::WrongPassphrase,
            VaultError::PassphraseRequired => ErrorCode::PassphraseRequired,
            VaultError::Corrupt { .. } => ErrorCode::VaultCorrupt,
            VaultError::UnsupportedVersion { .. } => ErrorCode::VaultVersion,
            VaultError::Io { .. } => ErrorCode::IoError,
            VaultError::Lock { .. } => ErrorCode::VaultLock,
            VaultError::Busy { .. } => ErrorCode::VaultBusy,
            VaultError::AlreadyExists { .. } => ErrorCode::VaultExists,
            VaultError::LastSlot => ErrorCode::LastSlot,
            VaultError::NoSlot => ErrorCode::NoSlot,
            VaultError::EmptyPassphrase => ErrorCode::PassphraseEmpty,
            VaultError::BadKdfParams { .. } => ErrorCode::KdfParams,
            VaultError::NoHome | VaultError::HomeNotADirectory { .. } => ErrorCode::NoHome,
            VaultError::RolledBack { .. } => ErrorCode::VaultRollback,
            VaultError::OtherVault { .. } => ErrorCode::OtherVault,
            VaultError::LedgerUnusable { .. } => ErrorCode::LedgerUnusable,
        }
    }

    /// An I/O failure on `path`.
    pub(crate) fn io(path: &Path, source: io::Error) -> VaultError {
        VaultError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The ledger file `path` cannot be used, for `reason`.
    pub(crate) fn ledger(path: &Path, reason: impl Into<String>) -> VaultError {
        VaultError::LedgerUnusable {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }

    /// `path` is damaged for `reason`.
    pub(crate) fn corrupt(path: &Path, reason: impl Into<String>) -> VaultError {
        VaultError::Corrupt {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

impl VaultError {
    /// The keyring's failure for a vault that has (or, being made, will
    /// have) a passphrase slot or not: the advice names the passphrase only
    /// where there is one.
    pub(crate) fn keyring(err: KeyringError, passphrase_slot: bool) -> VaultError {
        match err {
            KeyringError::Locked(_) => VaultError::KeyringLocked { passphrase_slot },
            KeyringError::Unavailable(detail) => VaultError::KeyringUnavailable {
                detail,
                passphrase_slot,
            },
            KeyringError::NoEntry | KeyringError::BadEntry => {
                VaultError::NoKeyringSlot { passphrase_slot }
            }
        }
    }
}

/// The end of a keyring message: the passphrase as the other way in, when
/// the vault has one.
fn or_passphrase(passphrase_slot: bool) -> &'static str {
    if passphrase_slot {
        ", or unlock with the vault's passphrase by setting FACTORCAT_PASSPHRASE"
    } else {
        ""
    }
}

/// How the vault directory is chosen, as the message names it.
fn home_name() -> &'static str {
    if std::env::var_os(super::handle::ENV_HOME).is_some_and(|v| !v.is_empty()) {
        "FACTORCAT_HOME"
    } else {
        "the vault directory"
    }
}

/// For a path that names the vault file itself: the directory to use.
fn parent_hint(path: &Path) -> String {
    match path.parent() {
        Some(parent)
            if path.file_name().is_some_and(|n| n == super::FILE_NAME)
                && !parent.as_os_str().is_empty() =>
        {
            format!(" — that is the vault file itself; use {}", parent.display())
        }
        _ => String::new(),
    }
}

/// A file-system failure, in the vault's words (which name the path).
impl From<FsError> for VaultError {
    fn from(err: FsError) -> Self {
        VaultError::Io {
            path: err.path,
            source: err.source,
        }
    }
}

impl From<LockError> for VaultError {
    fn from(err: LockError) -> Self {
        match err {
            LockError::Open(e) => e.into(),
            LockError::Refused(FsError { path, source, .. }) => VaultError::Lock { path, source },
            LockError::Busy { path, waited_ms } => VaultError::Busy { path, waited_ms },
        }
    }
}

#[cfg(test)]
mod tests {
    use zeroize::Zeroizing;

    use super::*;
    use crate::vault::{CreateOptions, Unlock};

    #[test]
    fn errors_never_show_secrets_and_say_what_to_do() {
        let e = VaultError::Corrupt {
            path: PathBuf::from("dir/factorcat.vault"),
            reason: "x".into(),
        };
        assert_eq!(
            e.to_string(),
            "the vault dir/factorcat.vault is damaged (x); it was left untouched — restore the \
             previous generation dir/factorcat.vault.prev (copy it over the vault, then run \
             `factorcat accept-older`; it lacks the most recent change) or a backup"
        );
        assert_eq!(e.code(), ErrorCode::VaultCorrupt);
        let unlock = Unlock::with_passphrase("hunter2");
        assert!(!format!("{unlock:?}").contains("hunter2"));
        let opts = CreateOptions {
            keyring: false,
            passphrase: Some(Zeroizing::new("hunter2".into())),
        };
        assert!(!format!("{opts:?}").contains("hunter2"));
        for passphrase_slot in [true, false] {
            for e in [
                VaultError::KeyringLocked { passphrase_slot },
                VaultError::KeyringUnavailable {
                    detail: "no D-Bus".into(),
                    passphrase_slot,
                },
                VaultError::NoKeyringSlot { passphrase_slot },
                VaultError::KeyringMismatch {
                    path: PathBuf::from("dir/factorcat.vault"),
                    passphrase_slot,
                },
            ] {
                // Never advise a slot the vault lacks.
                assert_eq!(
                    e.to_string().contains("FACTORCAT_PASSPHRASE"),
                    passphrase_slot,
                    "{e}"
                );
            }
        }
    }
}
