//! What can go wrong while installing, uninstalling or checking.

use std::io;
use std::path::PathBuf;

use super::table::Os;
use super::{manifest, trust};

/// What can go wrong while installing, uninstalling or checking.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// `--browser` named something this OS does not have.
    #[error("there is no browser called \"{name}\" on {os}; valid names: {valid}")]
    UnknownBrowser {
        /// What was given.
        name: String,
        /// The running OS.
        os: Os,
        /// The valid names, comma separated.
        valid: String,
    },
    /// Nothing to install into, and nothing named.
    #[error(
        "no supported browser was found on this machine; name one with --browser (valid names: {valid})"
    )]
    NoBrowserFound {
        /// The valid names, comma separated.
        valid: String,
    },
    /// `--user-data-dir` without `--browser`.
    #[error(
        "--user-data-dir needs --browser to say which browser's manifest to write, e.g. --browser chromium"
    )]
    UserDataDirNeedsBrowser,
    /// `--system` for a browser that has no machine-wide lookup place.
    #[error(
        "{label} has no machine-wide place for native-messaging hosts; install it without --system"
    )]
    NoSystemPlace {
        /// The browser.
        label: &'static str,
    },
    /// Two browsers of different families would share one manifest file.
    #[error(
        "{path} would have to hold both the Chromium and the Firefox manifest; \
         install the two families in separate runs with different --user-data-dir"
    )]
    FamilyClash {
        /// The contested file.
        path: PathBuf,
    },
    /// A bad `--extension-id`.
    #[error(transparent)]
    ExtensionId(#[from] manifest::BadExtensionId),
    /// The home directory is unknown.
    #[error("cannot tell where the home directory is; set HOME (USERPROFILE on Windows) and retry")]
    NoHome,
    /// The running binary's own path is unknown.
    #[error(
        "cannot find the path of the running factorcat binary ({0}); run it from where it is installed"
    )]
    CurrentExe(io::Error),
    /// A machine-wide install of a binary that someone other than root
    /// (or an administrator) could replace.
    #[error(
        "refusing to register {binary} for every user: {reason}, so someone other than root could \
         replace the program every user's browser would start; put a copy where only root can change it \
         and register that copy: {}", trust::safe_copy_commands(.binary)
    )]
    UntrustedBinary {
        /// The running binary.
        binary: PathBuf,
        /// The path at fault, and why.
        reason: trust::Untrusted,
    },
    /// The machine-wide folder FactorCat keeps its manifests in on
    /// Windows holds something an administrator did not make.
    #[error(
        "{path} {why}, so a user could change what every user's browser starts; \
         delete it as an administrator and run `factorcat install --system` again"
    )]
    UntrustedSystemFolder {
        /// The folder or file at fault.
        path: PathBuf,
        /// What is wrong with it.
        why: &'static str,
    },
    /// A template failed to render (a build defect).
    #[error("the built-in manifest template is broken ({0}); please report this")]
    Template(serde_json::Error),
    /// A file or registry operation failed.
    #[error("{action} {target}: {source}{hint}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or registry key.
        target: String,
        /// The cause.
        source: io::Error,
        /// What to do about it.
        hint: &'static str,
    },
}

impl InstallError {
    pub(super) fn io(
        action: &'static str,
        target: impl Into<String>,
        system: bool,
    ) -> impl FnOnce(io::Error) -> InstallError {
        let target = target.into();
        move |source| {
            let hint = match source.kind() {
                io::ErrorKind::PermissionDenied if system => {
                    "; machine-wide places need root: rerun with sudo (or as Administrator)"
                }
                io::ErrorKind::PermissionDenied => {
                    "; check the owner and permissions of that directory"
                }
                _ => "",
            };
            InstallError::Io {
                action,
                target,
                source,
                hint,
            }
        }
    }
}
