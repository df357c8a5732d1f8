//! `factorcat list`: every token, never a secret.

use clap::Args;

use factorcat::vault::Vault;

use super::CliResult;
use super::console::{say, unlock};
use super::output::{display_order, table, token_json};

/// `factorcat list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print one JSON array, an object per token.
    #[arg(long)]
    pub json: bool,
}

/// Runs `factorcat list`.
pub(super) fn run(args: ListArgs) -> CliResult {
    let vault = Vault::locate()?;
    if !vault.exists() {
        // An empty list is the truthful answer before the first `add`.
        return say(if args.json {
            "[]\n"
        } else {
            "No tokens yet; add one with `factorcat add <otpauth-uri>`.\n"
        });
    }
    let data = vault.read(&unlock())?;
    let ordered = display_order(&data.tokens);
    if args.json {
        let array: Vec<_> = ordered.iter().map(|t| token_json(t)).collect();
        return say(format!("{}\n", serde_json::Value::Array(array)));
    }
    if ordered.is_empty() {
        return say("No tokens yet; add one with `factorcat add <otpauth-uri>`.\n");
    }
    say(table(&ordered))
}
