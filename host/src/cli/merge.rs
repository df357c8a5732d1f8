//! `factorcat merge FILE…` and `factorcat merge --conflicts`: merge other
//! copies of this vault (a copy from another machine, a sync tool's
//! conflict copy) into it, and say what each side brought.

use std::path::{Path, PathBuf};

use clap::Args;

use factorcat::vault::{Taken, Vault};

use super::console::{say, unlock};
use super::{CliError, CliResult};

/// `factorcat merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Another copy of this vault (the same vault, e.g. from another machine); several may be given.
    #[arg(
        value_name = "FILE",
        required_unless_present = "conflicts",
        conflicts_with = "conflicts"
    )]
    pub files: Vec<PathBuf>,
    /// Merge the conflict copies that file-sync tools left beside the vault, then remove them.
    #[arg(long)]
    pub conflicts: bool,
}

/// Runs `factorcat merge`.
pub(super) fn run(args: MergeArgs) -> CliResult {
    let vault = Vault::locate()?;
    let files = if args.conflicts {
        let copies = vault.conflict_copies();
        if copies.is_empty() {
            return say("There are no conflict copies beside the vault; nothing to merge.\n");
        }
        copies
    } else {
        args.files
    };
    let merged = vault.merge_files(&unlock(), &files)?;
    let mut out = String::new();
    for (path, report) in &merged.reports {
        let name = path.display();
        out.push_str(&format!("Merged {name}:\n"));
        out.push_str(&format!("  from {name}: {}\n", describe(&report.theirs)));
        out.push_str(&format!(
            "  kept from this vault: {}\n",
            describe(&report.ours)
        ));
        if !report.maybe_removed_long_ago.is_empty() {
            out.push_str(&format!(
                "  note: {} last changed before removals this vault has forgotten; if you removed them long ago, remove them again: {}\n",
                plural(report.maybe_removed_long_ago.len(), "token was", "tokens were"),
                report.maybe_removed_long_ago.join(", ")
            ));
        }
    }
    if merged.slots_taken > 0 {
        out.push_str(&format!(
            "Took {} from the copies (other machines').\n",
            plural(merged.slots_taken, "keyring slot", "keyring slots")
        ));
    }
    out.push_str(&format!(
        "The vault is now generation {}; the one before is kept as {}.\n",
        merged.generation,
        vault.prev_file().display()
    ));
    if args.conflicts {
        for path in &files {
            std::fs::remove_file(path).map_err(|source| CliError::Io {
                what: format!(
                    "the copies were merged, but removing {} failed; remove it by hand",
                    path.display()
                ),
                source,
            })?;
            out.push_str(&format!("Removed {}.\n", file_name(path)));
        }
    }
    say(out)
}

/// One side's contribution in words: "added A, B; edited C; …" or "nothing".
fn describe(taken: &Taken) -> String {
    if taken.is_empty() {
        return "nothing".into();
    }
    let mut parts = Vec::new();
    for (verb, labels) in [
        ("added", &taken.added),
        ("changed", &taken.edited),
        ("removed", &taken.removed),
        ("HOTP counter further on for", &taken.counters),
    ] {
        if !labels.is_empty() {
            parts.push(format!("{verb} {}", labels.join(", ")));
        }
    }
    if taken.fills > 0 {
        parts.push(format!(
            "later fill records of {}",
            plural(taken.fills, "token", "tokens")
        ));
    }
    parts.join("; ")
}

/// "1 token", "2 tokens".
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// The file name of `path`, for messages.
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The one line every command prints on stderr while conflict copies lie
/// beside the vault (`None` when there are none).
pub(super) fn conflict_notice(vault: &Vault) -> Option<String> {
    let copies = vault.conflict_copies();
    if copies.is_empty() {
        return None;
    }
    let names: Vec<String> = copies.iter().map(|p| file_name(p)).collect();
    Some(format!(
        "factorcat: note: a sync tool left {} of the vault beside it ({}), because two machines changed it at once; merge them with `factorcat merge --conflicts`",
        plural(copies.len(), "conflict copy", "conflict copies"),
        names.join(", ")
    ))
}
