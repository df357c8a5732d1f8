//! `factorcat remove`: one token, after a confirmation.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::query::{self, short_id};
use factorcat::vault::{Vault, VaultData};

use super::console::{confirm, say, unlock};
use super::{CliError, CliResult};

/// `factorcat remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[arg(help = super::which::QUERY_HELP, add = ArgValueCompleter::new(super::which::complete_query))]
    pub query: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// Runs `factorcat remove`.
pub(super) fn run(args: RemoveArgs) -> CliResult {
    let vault = Vault::locate()?;
    let unlock = unlock();
    let data = vault.read(&unlock)?;
    let token = &data.tokens[query::resolve(&data.tokens, &args.query)?];
    let (id, label) = (
        token.id,
        format!("{} {}", short_id(&token.id), token.label()),
    );
    if !args.yes {
        let question = format!("Remove {label}? Its codes cannot be recovered without a backup.");
        match confirm(&question)? {
            Some(true) => {}
            // Declined: the change was refused, as without a terminal.
            Some(false) => {
                return Err(CliError::Usage(format!(
                    "not removing {label}: the removal was not confirmed"
                )));
            }
            None => {
                return Err(CliError::Usage(format!(
                    "not removing {label} without confirmation; add --yes"
                )));
            }
        }
    }
    vault.update(&unlock, |data: &mut VaultData| {
        data.remove(id)
            .map(|_| ())
            .ok_or_else(|| CliError::vanished(id))
    })?;
    say(format!("removed {label}\n"))
}
