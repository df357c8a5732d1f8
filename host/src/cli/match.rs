//! `factorcat match`: which tokens the page at a URL gets, the same decision
//! the browser extension gets.

use clap::Args;

use factorcat::query::short_id;
use factorcat::site::{self, AccountRef, Hint, Strength};
use factorcat::vault::{Vault, VaultData};

use super::console::{say, unlock};
use super::output::token_json;
use super::{CliError, CliResult};

/// `factorcat match`.
#[derive(Debug, Args)]
pub struct MatchArgs {
    /// The page's address, as the browser shows it (https only).
    pub url: String,
    /// AWS account id or alias the page names (the extension's hint).
    #[arg(long)]
    pub account: Option<String>,
    /// IAM user name the page names.
    #[arg(long)]
    pub user: Option<String>,
    /// E-mail address the page names (AWS root sign-in).
    #[arg(long)]
    pub email: Option<String>,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A strength in words; on IAM Identity Center pages the instance plays
/// the account's part.
fn strength_name(strength: Strength, identity_center: bool) -> &'static str {
    match (strength, identity_center) {
        (Strength::AccountUser, false) => "account + user",
        (Strength::AccountUser, true) => "instance + user",
        (Strength::Account, false) => "account",
        (Strength::Account, true) => "instance",
        (Strength::User, _) => "user",
        (Strength::Site, _) => "site",
    }
}

/// `factorcat match`: the same decision the browser extension gets.
pub(super) fn run(args: MatchArgs) -> CliResult {
    let vault = Vault::locate()?;
    let data = if vault.exists() {
        vault.read(&unlock())?
    } else {
        VaultData::default()
    };
    let hint = Hint {
        account: args.account,
        user: args.user,
        email: args.email,
    };
    let page = site::PageFacts::read(&args.url).map_err(|source| CliError::Page {
        url: args.url.clone(),
        source,
    })?;
    let who = hint.read();
    let result = site::match_page(&data.tokens, page, who, &data.fills);
    let autofill = result.autofill();
    let identity_center = result
        .page
        .aws_signin()
        .is_some_and(|a| a.service == site::AwsService::IdentityCenter);
    if args.json {
        let candidates: Vec<_> = result
            .candidates
            .iter()
            .map(|c| {
                let mut obj = token_json(&data.tokens[c.index]);
                obj["strength"] = serde_json::json!(c.strength);
                obj
            })
            .collect();
        let out = serde_json::json!({
            "host": result.page.host,
            "site": result.page.site,
            "aws": result.page.aws_signin().map(|a| serde_json::json!({
                "partition": a.partition.as_str(),
                "service": a.service,
                "account": a.account.as_ref().map(AccountRef::as_str),
                "region": a.region,
                "directory": a.directory,
                "portal": a.portal,
            })),
            "candidates": candidates,
            "autofill": autofill,
        });
        say(format!("{out}\n"))?;
    } else {
        let mut text = format!("page: {}", result.page.host);
        if let Some(aws) = result.page.aws_signin() {
            let what = if identity_center {
                "IAM Identity Center"
            } else {
                "AWS sign-in"
            };
            text.push_str(&format!(" ({what}, partition {}", aws.partition.as_str()));
            if let Some(account) = &aws.account {
                text.push_str(&format!(", account {}", account.as_str()));
            }
            if let Some(directory) = &aws.directory {
                text.push_str(&format!(", directory {directory}"));
            }
            text.push(')');
        }
        text.push('\n');
        for c in &result.candidates {
            let token = &data.tokens[c.index];
            let mark = if autofill == Some(c.id) {
                "fill"
            } else {
                "    "
            };
            text.push_str(&format!(
                "{mark}  {}  {}  [{}]\n",
                short_id(&c.id),
                token.label(),
                strength_name(c.strength, identity_center)
            ));
        }
        text.push_str(&match (autofill, result.candidates.len()) {
            // Said once, as the error below.
            (_, 0) => String::new(),
            (Some(_), _) if result.interchangeable => format!(
                "auto-fill: yes, the {} tokens at the top are devices of one user; the first (pinned, else filled most recently, else the newest) is filled\n",
                result
                    .candidates
                    .iter()
                    .take_while(|c| c.strength == result.candidates[0].strength)
                    .count()
            ),
            (Some(_), _) => "auto-fill: yes, exactly one token matches\n".to_string(),
            (None, _) => format!(
                "auto-fill: no, the person chooses (needs one token matching at least by {})\n",
                strength_name(result.autofill_needs, identity_center)
            ),
        });
        say(text)?;
    }
    if result.candidates.is_empty() {
        return Err(CliError::NoTokenForPage(result.page.host));
    }
    Ok(())
}
