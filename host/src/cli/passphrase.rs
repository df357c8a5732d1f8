//! `factorcat passphrase`: add, change or remove the vault's passphrase
//! slot.

use clap::Args;
use zeroize::Zeroizing;

use factorcat::vault::Vault;

use super::CliResult;
use super::console::{new_passphrase, unlock};

/// `factorcat passphrase`.
#[derive(Debug, Args)]
pub struct PassphraseArgs {
    /// Remove the passphrase slot (only when the keyring slot remains).
    #[arg(long)]
    pub remove: bool,
}

/// A new passphrase for the vault's passphrase slot, from `env_name` or the
/// terminal.
pub(super) fn new_vault_passphrase(env_name: &str) -> CliResult<Zeroizing<String>> {
    new_passphrase(env_name, "a new passphrase", "New passphrase: ", "changed")
}

/// Runs `factorcat passphrase`.
pub(super) fn run(args: PassphraseArgs) -> CliResult {
    let vault = Vault::locate()?;
    let unlock = unlock();
    if args.remove {
        vault.set_passphrase(&unlock, None)?;
        eprintln!("Removed the passphrase slot; the OS keyring alone now unlocks the vault.");
        return Ok(());
    }
    let new = new_vault_passphrase("FACTORCAT_NEW_PASSPHRASE")?;
    vault.set_passphrase(&unlock, Some(new))?;
    eprintln!("The passphrase slot is set; keep the passphrase somewhere safe.");
    Ok(())
}
