//! `factorcat init`, and the vault every write creates on first use.

use clap::Args;

use factorcat::vault::{CreateOptions, Unlock, Vault, VaultError};

use super::console::{confirm, unlock};
use super::passphrase::new_vault_passphrase;
use super::{CliError, CliResult};

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

/// Opens the vault for a write, creating it on first use, and says how
/// to unlock it.
///
/// A new vault gets a keyring slot, plus a passphrase slot when
/// `FACTORCAT_PASSPHRASE` is set. When the OS keyring cannot keep its key,
/// the passphrase alone protects it: `FACTORCAT_PASSPHRASE` if set, else —
/// in a terminal — one asked for after the person agrees; anywhere else the
/// error names `factorcat init --passphrase --no-keyring`. Whether a vault
/// exists is decided under the vault's lock, so two first writes at once
/// both end up writing to the one vault the first created.
pub(super) fn vault_for_writing() -> CliResult<(Vault, Unlock)> {
    let vault = Vault::locate()?;
    if vault.exists() {
        return Ok((vault, unlock()));
    }
    let passphrase = Unlock::from_env().passphrase;
    let with_keyring = CreateOptions {
        keyring: true,
        passphrase: passphrase.clone(),
    };
    let keyring_failure = match vault.create_unless_present(&with_keyring) {
        Ok(created) => {
            if created {
                eprintln!(
                    "Created a new vault at {} (key kept in the OS keyring{})",
                    vault.file().display(),
                    if passphrase.is_some() {
                        ", and a passphrase slot for FACTORCAT_PASSPHRASE"
                    } else {
                        ""
                    }
                );
            }
            return Ok((vault, unlock()));
        }
        Err(e @ (VaultError::KeyringLocked { .. } | VaultError::KeyringUnavailable { .. })) => e,
        Err(e) => return Err(e.into()),
    };
    let (passphrase, from) = match passphrase {
        Some(p) => (p, "FACTORCAT_PASSPHRASE"),
        None => {
            let offer = format!(
                "There is no vault yet, and the OS keyring cannot keep a new vault's key: \
                 {keyring_failure}.\nCreate the vault at {} protected by a passphrase only \
                 (you type it whenever the vault is opened)?",
                vault.file().display()
            );
            match confirm(&offer)? {
                Some(true) => (
                    new_vault_passphrase("FACTORCAT_PASSPHRASE")?,
                    "a passphrase",
                ),
                Some(false) | None => {
                    return Err(CliError::NoKeyringForNewVault(keyring_failure));
                }
            }
        }
    };
    let created = vault.create_unless_present(&CreateOptions {
        keyring: false,
        passphrase: Some(passphrase.clone()),
    })?;
    if created {
        eprintln!(
            "Created a new vault at {} protected by {from} only (the OS keyring was not reachable)",
            vault.file().display()
        );
    }
    // The passphrase just given opens it without asking again.
    Ok((vault, Unlock::with_passphrase(passphrase.as_str())))
}
