//! `factorcat remove`: one token, after a confirmation.

use std::io::{self, BufRead, IsTerminal};

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::query::{self, short_id};
use factorcat::vault::{Vault, VaultData};

use super::console::{io_err, say, unlock};
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
        if !io::stdin().is_terminal() {
            return Err(CliError::Usage(format!(
                "not removing {label} without confirmation; add --yes"
            )));
        }
        eprint!("Remove {label}? Its codes cannot be recovered without a backup. [y/N] ");
        let mut answer = String::new();
        io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(io_err("reading the answer"))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            // Declined: the change was refused, as without a terminal.
            return Err(CliError::Usage(format!(
                "not removing {label}: the removal was not confirmed"
            )));
        }
    }
    vault.update(&unlock, |data: &mut VaultData| {
        data.remove(id)
            .map(|_| ())
            .ok_or_else(|| CliError::vanished(id))
    })?;
    say(format!("removed {label}\n"))
}
