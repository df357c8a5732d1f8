//! `factorcat edit`: rename a token or change its sites, AWS context, tags
//! or pin.

use clap::Args;

use factorcat::query::{self, short_id};
use factorcat::vault::{Vault, VaultData};

use super::console::{say, unlock};
use super::fields::{AwsArgs, apply_aws, normalize_site, push_unique};
use super::{CliError, CliResult};

/// `factorcat edit`.
#[derive(Debug, Args)]
pub struct EditArgs {
    /// Which token.
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

/// Runs `factorcat edit`.
pub(super) fn run(args: EditArgs) -> CliResult {
    let vault = Vault::locate()?;
    let add_sites = args
        .add_site
        .iter()
        .map(|s| normalize_site(s))
        .collect::<CliResult<Vec<_>>>()?;
    let remove_sites = args
        .remove_site
        .iter()
        .map(|s| normalize_site(s))
        .collect::<CliResult<Vec<_>>>()?;
    let label = vault.update(&unlock(), |data: &mut VaultData| {
        let index = query::resolve(&data.tokens, &args.query)?;
        let token = &mut data.tokens[index];
        if let Some(issuer) = &args.issuer {
            token.issuer = issuer.trim().to_string();
        }
        if let Some(account) = &args.account {
            token.account = account.trim().to_string();
        }
        token.sites.retain(|s| !remove_sites.contains(s));
        for site in &add_sites {
            push_unique(&mut token.sites, site.clone());
        }
        token
            .tags
            .retain(|t| !args.remove_tag.iter().any(|r| r.trim() == t));
        for tag in &args.add_tag {
            push_unique(&mut token.tags, tag.trim().to_string());
        }
        if args.pin {
            token.pinned = true;
        }
        if args.unpin {
            token.pinned = false;
        }
        if args.clear_aws {
            token.aws = None;
        }
        apply_aws(token, &args.aws);
        token.validate()?;
        token.touch();
        Ok::<_, CliError>(format!("{} {}", short_id(&token.id), token.label()))
    })?;
    say(format!("updated {label}\n"))
}
