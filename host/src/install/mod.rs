//! `factorcat install` and `factorcat uninstall`: register the `factorcat`
//! binary as the native-messaging host `com.factorcat.host` with browsers.
//!
//! The work is split so most of it is testable without touching a real
//! machine: [`table`] says where each browser looks, [`manifest`] renders the
//! two manifest formats, [`select`] and [`targets`] turn a request into
//! destinations, and
//! [`run_install`] / [`run_uninstall`] carry the plan out (only writing what
//! differs, so a second run changes nothing).

pub mod manifest;
pub(crate) mod registry;
pub mod table;

mod apply;
mod error;
mod flatpak;
mod plan;
mod uninstall;

use std::path::PathBuf;

pub use apply::{install, own_binary, run_install};
pub use error::InstallError;
pub use flatpak::{flatpak_wrapper, flatpak_wrapper_path, flatpak_wrapper_target};
pub(crate) use plan::is_executable;
pub use plan::{
    Found, Place, Probe, Selection, Target, program_on_path, select, targets, windows_manifest_file,
};
pub use uninstall::{run_uninstall, uninstall};

/// `factorcat install`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct InstallArgs {
    /// A browser to register with; repeatable [default: every browser found on this machine].
    /// Names: chrome, chrome-beta, chrome-dev (chrome-unstable), chrome-canary, chromium, edge, brave,
    /// vivaldi, opera, arc (macOS, Windows), firefox, librewolf, waterfox, thunderbird.
    #[arg(long = "browser", value_name = "NAME")]
    pub browsers: Vec<String>,
    /// Write into DIR/NativeMessagingHosts/ (a Chromium --user-data-dir) instead of the browser's own
    /// place; Firefox-family browsers get DIR/native-messaging-hosts/ (DIR standing for ~/.mozilla).
    #[arg(long, value_name = "DIR", conflicts_with = "system")]
    pub user_data_dir: Option<PathBuf>,
    /// Register for every user of the machine (needs root or administrator rights).
    #[arg(long)]
    pub system: bool,
    /// Also allow this extension (a store's Chromium id, or a Firefox add-on id); repeatable.
    #[arg(long = "extension-id", value_name = "ID")]
    pub extension_ids: Vec<String>,
    /// Print what would be written, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `factorcat uninstall`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct UninstallArgs {
    /// A browser to unregister from; repeatable [default: all of them].
    #[arg(long = "browser", value_name = "NAME")]
    pub browsers: Vec<String>,
    /// Remove from DIR/NativeMessagingHosts/ (and DIR/native-messaging-hosts/) instead.
    #[arg(long, value_name = "DIR", conflicts_with = "system")]
    pub user_data_dir: Option<PathBuf>,
    /// Remove the machine-wide registration (needs root or administrator rights).
    #[arg(long)]
    pub system: bool,
    /// Print what would be removed, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}
