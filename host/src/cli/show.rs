//! `factorcat show`: one token's details, never its secret.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::query;
use factorcat::vault::Vault;

use super::CliResult;
use super::console::{say, unlock};
use super::output::{details, token_json};

/// `factorcat show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    #[arg(help = super::which::QUERY_HELP, add = ArgValueCompleter::new(super::which::complete_query))]
    pub query: String,
    /// Print a JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Runs `factorcat show`.
pub(super) fn run(args: ShowArgs) -> CliResult {
    let data = Vault::locate()?.read(&unlock())?;
    let token = &data.tokens[query::resolve(&data.tokens, &args.query)?];
    if args.json {
        say(format!("{}\n", token_json(token)))
    } else {
        say(details(token))
    }
}
