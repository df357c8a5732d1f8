//! `factorcat install` and `factorcat uninstall`: register the `factorcat`
//! binary as the native-messaging host `com.factorcat.host` with browsers.
//!
//! The work is split so most of it is testable without touching a real
//! machine: [`table`] says where each browser looks, [`manifest`] renders the
//! two manifest formats, [`select`] and [`targets`] turn a request into
//! destinations, and [`install`] / [`uninstall`] carry the plan out (only
//! writing what differs, so a second run changes nothing) and return a
//! report of what they did; the command line turns it into text.

pub mod manifest;
pub(crate) mod registry;
pub mod table;
pub mod trust;

#[cfg(windows)]
mod acl;
mod apply;
mod error;
mod flatpak;
mod plan;
mod uninstall;

use std::path::PathBuf;

use table::Env;

pub use apply::{Change, InstallNote, InstallReport, Outcome, install, own_binary};
pub use error::InstallError;
pub use flatpak::{flatpak_wrapper, flatpak_wrapper_path, flatpak_wrapper_target};
pub(crate) use plan::is_executable;
pub use plan::{
    Found, Place, Probe, Selection, Target, program_on_path, select, targets, windows_manifest_file,
};
pub use uninstall::{UninstallReport, uninstall};

/// What an install is asked to do.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Browser names to register with (see [`table::names_for`]); empty
    /// means every browser found on this machine.
    pub browsers: Vec<String>,
    /// A browser's user-data directory to write below instead of its own
    /// place: `DIR/NativeMessagingHosts/`, or `DIR/native-messaging-hosts/`
    /// for the Firefox family (DIR standing for `~/.mozilla`). Needs named
    /// browsers.
    pub user_data_dir: Option<PathBuf>,
    /// Register for every user of the machine (the machine-wide places).
    pub system: bool,
    /// More extensions to allow besides FactorCat's own: Chromium ids or
    /// Firefox add-on ids.
    pub extension_ids: Vec<String>,
    /// Work out and report every change, but write nothing.
    pub dry_run: bool,
}

/// What an uninstall is asked to do.
#[derive(Debug, Clone, Default)]
pub struct UninstallOptions {
    /// Browser names to unregister from; empty means all of them.
    pub browsers: Vec<String>,
    /// Remove below this user-data directory (both families'
    /// subdirectories) instead of the browsers' own places.
    pub user_data_dir: Option<PathBuf>,
    /// Remove the machine-wide registration.
    pub system: bool,
    /// Report what would be removed, but remove nothing.
    pub dry_run: bool,
}

/// The running machine's layout, or [`InstallError::NoHome`] when its home
/// directory is unknown.
pub fn this_machine() -> Result<Env, InstallError> {
    Env::current().ok_or(InstallError::NoHome)
}
