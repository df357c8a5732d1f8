//! `factorcat edit`: rename a token or change its sites, AWS context, tags
//! or pin.

use clap::Args;
use clap_complete::engine::ArgValueCompleter;

use factorcat::query::{self, short_id};
use factorcat::token::{AwsPatch, ListPatch, TokenPatch};
use factorcat::vault::{Vault, VaultData};

use super::console::{say, unlock};
use super::fields::AwsArgs;
use super::{CliError, CliResult};

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
    #[arg(long, conflicts_with_all = ["aws_account", "aws_user", "aws_partition", "aws_sso_start_url", "aws_mfa_serial"])]
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

/// Changes the token `query` names; returns its short id and label, and
/// whether anything changed.
pub(super) fn apply(
    data: &mut VaultData,
    query: &str,
    patch: &TokenPatch,
) -> CliResult<(String, bool)> {
    let index = query::resolve(&data.tokens, query)?;
    let token = &mut data.tokens[index];
    let changed = patch.apply(token)?;
    Ok((
        format!("{} {}", short_id(&token.id), token.label()),
        changed,
    ))
}

/// Why an edit wrote nothing.
enum Halt {
    /// The token already was as asked.
    Unchanged(String),
    /// The edit failed.
    Failed(CliError),
}

impl<E: Into<CliError>> From<E> for Halt {
    fn from(e: E) -> Halt {
        Halt::Failed(e.into())
    }
}

/// Runs `factorcat edit`.
pub(super) fn run(args: EditArgs) -> CliResult {
    let patch = args.patch();
    if patch == TokenPatch::default() {
        return Err(CliError::Usage(
            "nothing to change: give what to change, e.g. --issuer, --account, --add-site, \
             --add-tag, --pin or --aws-account (`factorcat edit --help` lists them all)"
                .into(),
        ));
    }
    let vault = Vault::locate()?;
    let outcome = vault.update(&unlock(), |data: &mut VaultData| {
        match apply(data, &args.query, &patch)? {
            (label, true) => Ok(label),
            // Nothing to write: the token already is as asked.
            (label, false) => Err(Halt::Unchanged(label)),
        }
    });
    match outcome {
        Ok(label) => say(format!("updated {label}\n")),
        Err(Halt::Unchanged(label)) => say(format!("unchanged {label}: it already is as asked\n")),
        Err(Halt::Failed(e)) => Err(e),
    }
}
