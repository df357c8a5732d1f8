//! `factorcat accept-older`: use a vault file although it is older than a
//! generation this machine has seen — after restoring a backup on purpose.

use clap::Args;

use factorcat::vault::Vault;

use super::CliResult;
use super::console::{say, unlock};

/// `factorcat accept-older`.
#[derive(Debug, Clone, Args)]
pub struct AcceptOlderArgs {}

/// Runs `factorcat accept-older`.
pub(super) fn run(_args: AcceptOlderArgs) -> CliResult {
    let vault = Vault::locate()?;
    let (found, seen) = vault.accept_older(&unlock())?;
    if found < seen {
        say(format!(
            "Accepted {}: it was generation {found}, older than generation {seen} this machine had seen. Removals and used codes recorded after it are forgotten; a copy that has them can still be merged with `factorcat merge FILE`.\n",
            vault.file().display()
        ))
    } else {
        say(format!(
            "{} was not older than what this machine had seen (generation {found}); nothing needed accepting.\n",
            vault.file().display()
        ))
    }
}
