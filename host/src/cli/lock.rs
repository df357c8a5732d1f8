//! `factorcat lock`: take the vault's key out of the kernel key cache at
//! once, so that the next use unlocks through a slot again.

use clap::Args;

use factorcat::vault::{Vault, VaultStatus};

use super::CliResult;

/// `factorcat lock`.
#[derive(Debug, Clone, Args)]
pub struct LockArgs {}

/// Runs `factorcat lock`. Locking a vault whose key is not cached is not an
/// error: it is locked either way.
pub(super) fn run(_args: LockArgs) -> CliResult {
    let vault = Vault::locate()?;
    let dropped = vault.forget_cached_key()?;
    let keyring = matches!(
        vault.status(),
        VaultStatus::Present {
            has_keyring_slot: true,
            ..
        }
    );
    let next = if keyring {
        "the next use opens it through the OS keyring again, while that is unlocked"
    } else {
        "the next use asks for the passphrase"
    };
    if dropped {
        eprintln!("Locked: the vault's key is no longer cached; {next}.");
    } else {
        eprintln!("The vault was not unlocked (its key was not cached); {next}.");
    }
    Ok(())
}
