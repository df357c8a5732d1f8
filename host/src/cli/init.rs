//! `factorcat init`, and the vault every write creates on first use.

use clap::Args;

use factorcat::vault::{CreateOptions, Unlock, Vault, VaultError};

use super::CliResult;
use super::passphrase::new_vault_passphrase;

/// `factorcat init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Also protect the vault key with a passphrase (asked, or FACTORCAT_PASSPHRASE).
    #[arg(long)]
    pub passphrase: bool,
    /// Do not use the OS keyring (needs --passphrase).
    #[arg(long, requires = "passphrase")]
    pub no_keyring: bool,
}

/// Runs `factorcat init`.
pub(super) fn run(args: InitArgs) -> CliResult {
    let vault = Vault::locate()?;
    let passphrase = if args.passphrase {
        Some(new_vault_passphrase("FACTORCAT_PASSPHRASE")?)
    } else {
        None
    };
    vault.create(&CreateOptions {
        keyring: !args.no_keyring,
        passphrase,
    })?;
    eprintln!("Created a new vault at {}", vault.file().display());
    Ok(())
}

/// Opens the vault for a write, creating it on first use: keyring slot,
/// plus a passphrase slot when `FACTORCAT_PASSPHRASE` is set. Without a
/// reachable keyring, the passphrase alone protects it.
pub(super) fn vault_for_writing() -> CliResult<Vault> {
    let vault = Vault::locate()?;
    if vault.exists() {
        return Ok(vault);
    }
    let passphrase = Unlock::from_env().passphrase;
    let with_keyring = CreateOptions {
        keyring: true,
        passphrase: passphrase.clone(),
    };
    match vault.create(&with_keyring) {
        Ok(()) => eprintln!(
            "Created a new vault at {} (key kept in the OS keyring)",
            vault.file().display()
        ),
        Err(e @ (VaultError::KeyringLocked | VaultError::KeyringUnavailable { .. })) => {
            if passphrase.is_none() {
                return Err(e.into());
            }
            vault.create(&CreateOptions {
                keyring: false,
                passphrase,
            })?;
            eprintln!(
                "Created a new vault at {} protected by FACTORCAT_PASSPHRASE only (the OS keyring was not reachable)",
                vault.file().display()
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(vault)
}
