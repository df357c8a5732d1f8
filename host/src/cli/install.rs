//! `factorcat install`: register factorcat as the native-messaging host of
//! the browsers found (or named), and say what changed.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use factorcat::install::{self, InstallNote, InstallOptions, InstallReport, Outcome, Probe};

use super::CliResult;
use super::console::say;

/// `factorcat install`.
#[derive(Debug, Clone, Default, Args)]
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

/// Runs `factorcat install`.
pub(super) fn run(args: InstallArgs) -> CliResult {
    let options = InstallOptions {
        browsers: args.browsers,
        user_data_dir: args.user_data_dir,
        system: args.system,
        extension_ids: args.extension_ids,
        dry_run: args.dry_run,
    };
    let env = install::this_machine()?;
    let report = install::install(&env, &options, &Probe::real())?;
    say(render(&report))
}

/// The words for what became of a file or registry value.
fn outcome_word(outcome: Outcome, dry_run: bool) -> &'static str {
    match (outcome, dry_run) {
        (Outcome::Unchanged, _) => "unchanged",
        (Outcome::Created, false) => "created",
        (Outcome::Updated, false) => "updated",
        (Outcome::Created, true) => "would create",
        (Outcome::Updated, true) => "would update",
    }
}

/// The report as people read it: the browsers found, a line per file or
/// registry value (with the contents on a dry run), a summary, the notes.
fn render(report: &InstallReport) -> String {
    let mut text = String::new();
    if let Some(found) = &report.found {
        let _ = writeln!(text, "Browsers found:");
        for f in found {
            let _ = writeln!(
                text,
                "  {:<14} {} ({})",
                f.row.name, f.row.label, f.evidence
            );
        }
        text.push('\n');
    }
    for change in &report.changes {
        let _ = writeln!(
            text,
            "{:<12} {}  [{}]",
            outcome_word(change.outcome, report.dry_run),
            change.what,
            change.browsers.join(", ")
        );
        if report.dry_run
            && change.outcome != Outcome::Unchanged
            && let Some(contents) = &change.contents
        {
            for line in contents.lines() {
                let _ = writeln!(text, "    | {line}");
            }
        }
    }
    let changed = report.changed();
    if changed == 0 {
        let _ = writeln!(
            text,
            "Nothing changed: FactorCat was already installed for these browsers."
        );
    } else if report.dry_run {
        let _ = writeln!(
            text,
            "Dry run: {changed} change(s) would be made; nothing was written."
        );
    } else {
        let _ = writeln!(
            text,
            "Done: {changed} change(s). Restart the browsers if they were running."
        );
    }
    for note in &report.notes {
        let _ = match note {
            InstallNote::NoLongerAllowed(ids) => writeln!(
                text,
                "Note: no longer allowed: {}; pass --extension-id for each id that should stay.",
                ids.join(", ")
            ),
            InstallNote::Flatpak { labels, app_id } => writeln!(
                text,
                "Note: {} runs in a Flatpak sandbox; let it start FactorCat outside the sandbox with:\n    \
                 flatpak override --user --talk-name=org.freedesktop.Flatpak {app_id}",
                labels.join(", ")
            ),
            InstallNote::BraveIgnoresUserDataDir => writeln!(
                text,
                "Note: Brave reads native-messaging manifests from its default directory even with --user-data-dir."
            ),
            InstallNote::WindowsUsesRegistry => writeln!(
                text,
                "Note: on Windows browsers find hosts through the registry; --user-data-dir only writes files."
            ),
            InstallNote::BuildDirectory(binary) => writeln!(
                text,
                "Note: the manifests name {}, in a build directory; after `cargo install --path host`, \
                 run `factorcat install` again from the installed binary.",
                binary.display()
            ),
        };
    }
    text
}
