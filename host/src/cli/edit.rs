//! `factorcat edit`: rename a token or change its sites, AWS context, tags
//! or pin.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::query::{self, short_id};
use factorcat::token::{AwsPatch, ListPatch, TokenPatch};
use factorcat::vault::{Vault, VaultData};

use super::CliResult;
use super::console::{say, unlock};
use super::fields::AwsArgs;

/// `factorcat edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    #[arg(help = super::which::QUERY_HELP, add = ArgValueCompleter::new(super::which::complete_query))]
    pub query: String,
    /// New issuer.
    #[arg(long)]
    pub issuer: Option<String>,
    /// New account name.
    #[arg(long)]
    pub account: Option<String>,
    /// Add a site; repeatable.
    #[arg(long, value_name = "DOMAIN")]
    pub add_site: Vec<String>,
    /// Remove a site; repeatable.
    #[arg(long, value_name = "DOMAIN")]
    pub remove_site: Vec<String>,
    /// Add a tag; repeatable.
    #[arg(long, value_name = "TAG")]
    pub add_tag: Vec<String>,
    /// Remove a tag; repeatable.
    #[arg(long, value_name = "TAG")]
    pub remove_tag: Vec<String>,
    /// Pin the token.
    #[arg(long, conflicts_with = "unpin")]
    pub pin: bool,
    /// Unpin the token.
    #[arg(long)]
    pub unpin: bool,
    /// Drop the AWS context.
    #[arg(long, conflicts_with_all = ["aws_account", "aws_user", "aws_partition"])]
    pub clear_aws: bool,
    /// AWS context to set (merged into the existing one).
    #[command(flatten)]
    pub aws: AwsArgs,
}

impl EditArgs {
    /// What the arguments say, as a change for the token rules.
    pub(super) fn patch(&self) -> TokenPatch {
        TokenPatch {
            issuer: self.issuer.clone(),
            account: self.account.clone(),
            sites: ListPatch {
                replace: None,
                remove: self.remove_site.clone(),
                add: self.add_site.clone(),
            },
            tags: ListPatch {
                replace: None,
                remove: self.remove_tag.clone(),
                add: self.add_tag.clone(),
            },
            aws: if self.clear_aws {
                AwsPatch::Clear
            } else {
                self.aws.patch()
            },
            pinned: match (self.pin, self.unpin) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
        }
    }
}

/// Changes the token `query` names; returns its short id and label.
pub(super) fn apply(data: &mut VaultData, query: &str, patch: &TokenPatch) -> CliResult<String> {
    let index = query::resolve(&data.tokens, query)?;
    let token = &mut data.tokens[index];
    patch.apply(token)?;
    Ok(format!("{} {}", short_id(&token.id), token.label()))
}

/// Runs `factorcat edit`.
pub(super) fn run(args: EditArgs) -> CliResult {
    let vault = Vault::locate()?;
    let patch = args.patch();
    let label = vault.update(&unlock(), |data: &mut VaultData| {
        apply(data, &args.query, &patch)
    })?;
    say(format!("updated {label}\n"))
}
