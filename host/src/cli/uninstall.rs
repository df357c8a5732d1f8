//! `factorcat uninstall`: remove FactorCat's native-messaging manifests,
//! and nothing else.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use factorcat::install::{self, Probe, UninstallOptions, UninstallReport};

use super::CliResult;
use super::console::say;

/// `factorcat uninstall`.
#[derive(Debug, Clone, Default, Args)]
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

/// Runs `factorcat uninstall`.
pub(super) fn run(args: UninstallArgs) -> CliResult {
    let options = UninstallOptions {
        browsers: args.browsers,
        user_data_dir: args.user_data_dir,
        system: args.system,
        dry_run: args.dry_run,
    };
    let env = install::this_machine()?;
    let report = install::uninstall(&env, &options, &Probe::real())?;
    say(render(&report))
}

/// The report as people read it: a line per removal, or why there was none.
fn render(report: &UninstallReport) -> String {
    let mut text = String::new();
    let verb = if report.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for what in &report.removed {
        let _ = writeln!(text, "{verb:<12} {what}");
    }
    if report.removed.is_empty() {
        let _ = writeln!(
            text,
            "Nothing to remove: no FactorCat manifest was found in those places."
        );
    } else if !report.also_affected.is_empty() {
        let _ = writeln!(
            text,
            "Note: {} read the same places; run `factorcat install` for any still in use.",
            report.also_affected.join(", ")
        );
    }
    text
}
