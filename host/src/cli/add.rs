//! `factorcat add`: one token from an otpauth:// URI or from its fields, or
//! every token of a QR code image.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use zeroize::Zeroizing;

use factorcat::otpauth;
use factorcat::query::short_id;
use factorcat::secret::Secret;
use factorcat::site::multi_tenant;
use factorcat::token::{
    Algorithm, GeneratorFields, KindName, ListPatch, Token, TokenDraft, TokenError, TokenPatch,
    admit,
};
use factorcat::vault::VaultData;

use super::CliResult;
use super::console::{say, secret_input, warn_secret_in_arguments};
use super::fields::AwsArgs;
use super::init::vault_for_writing;

/// `factorcat add`. `Debug` leaves out the URI and the secret.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").args(["uri", "secret", "qr"])))]
pub struct AddArgs {
    /// A PNG or JPEG image: every otpauth:// and otpauth-migration:// QR code in it is added.
    #[arg(long, value_name = "IMAGE", conflicts_with_all = [
        "uri", "issuer", "account", "secret", "algorithm", "digits", "period", "hotp", "counter",
        "steam", "sites", "tags", "pin", "aws_account", "aws_user", "aws_partition", "aws_sso_start_url",
        "aws_mfa_serial", "allow_duplicate",
    ])]
    pub qr: Option<PathBuf>,
    /// An otpauth:// URI. Leave it out (or give "-") to type it without echo, or to pipe it in on
    /// standard input: a command line is visible to every local user and kept in shell history.
    pub uri: Option<String>,
    /// Issuer, e.g. GitHub.
    #[arg(long, conflicts_with = "uri")]
    pub issuer: Option<String>,
    /// Account name at the issuer.
    #[arg(long, conflicts_with = "uri")]
    pub account: Option<String>,
    /// Base32 secret. Give the flag without a value (or "-", or leave it out with --issuer or
    /// --account) to type it without echo, or to pipe it in on standard input.
    #[arg(long, num_args = 0..=1, value_name = "SECRET", conflicts_with = "uri")]
    pub secret: Option<Option<String>>,
    /// Hash algorithm.
    #[arg(long, value_enum, conflicts_with_all = ["uri", "steam"])]
    pub algorithm: Option<AlgorithmArg>,
    /// Digits per code (6–10).
    #[arg(long, conflicts_with_all = ["uri", "steam"])]
    pub digits: Option<u8>,
    /// TOTP period in seconds.
    #[arg(long, conflicts_with_all = ["uri", "hotp", "steam"])]
    pub period: Option<u64>,
    /// Counter-based (HOTP) token; needs --counter.
    #[arg(long, requires = "counter", conflicts_with_all = ["uri", "steam"])]
    pub hotp: bool,
    /// The next HOTP counter value to use.
    #[arg(long, requires = "hotp")]
    pub counter: Option<u64>,
    /// Steam Guard token (5 characters).
    #[arg(long, conflicts_with = "uri")]
    pub steam: bool,
    /// A site (hostname or domain) the token belongs to; repeatable.
    #[arg(long = "site", value_name = "DOMAIN")]
    pub sites: Vec<String>,
    /// A tag; repeatable.
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// Pin the token to the top of lists.
    #[arg(long)]
    pub pin: bool,
    /// Add the token even when one that makes the same codes is stored.
    #[arg(long)]
    pub allow_duplicate: bool,
    /// AWS context.
    #[command(flatten)]
    pub aws: AwsArgs,
}

impl std::fmt::Debug for AddArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: Option<&String>| v.map(|_| "<redacted>");
        f.debug_struct("AddArgs")
            .field("qr", &self.qr)
            .field("uri", &redacted(self.uri.as_ref()))
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field(
                "secret",
                &redacted(self.secret.as_ref().and_then(Option::as_ref)),
            )
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("hotp", &self.hotp)
            .field("counter", &self.counter)
            .field("steam", &self.steam)
            .field("sites", &self.sites)
            .field("tags", &self.tags)
            .field("pin", &self.pin)
            .field("allow_duplicate", &self.allow_duplicate)
            .field("aws", &self.aws)
            .finish()
    }
}

/// Hash algorithm names on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AlgorithmArg {
    /// HMAC-SHA-1.
    Sha1,
    /// HMAC-SHA-256.
    Sha256,
    /// HMAC-SHA-512.
    Sha512,
}

impl AlgorithmArg {
    fn algorithm(self) -> Algorithm {
        match self {
            AlgorithmArg::Sha1 => Algorithm::Sha1,
            AlgorithmArg::Sha256 => Algorithm::Sha256,
            AlgorithmArg::Sha512 => Algorithm::Sha512,
        }
    }
}

/// What `add --help` says first: the forms that keep secrets off the
/// command line, and why.
pub(super) const LONG_ABOUT: &str = "\
Add a token from an otpauth:// URI, from its fields, or from a QR code image.

Keep the URI and the secret off the command line: other local users can read a running command's
arguments, and the shell keeps them in its history. Instead:

  factorcat add                        type or paste the otpauth:// URI (not shown)
  … | factorcat add -                  or pipe it in, e.g. from a password manager
  factorcat add --issuer GitHub --account octocat --secret
                                       type or paste the secret (not shown)

A URI or secret written on the command line still works, with a warning when someone is at the
terminal.";

impl AddArgs {
    /// Whether the token is given by its fields rather than a URI.
    fn by_fields(&self) -> bool {
        self.secret.is_some()
            || self.issuer.is_some()
            || self.account.is_some()
            || self.algorithm.is_some()
            || self.digits.is_some()
            || self.period.is_some()
            || self.hotp
            || self.steam
    }
}

/// A URI or secret: from the command line (with a warning when someone
/// is at the terminal), else typed without echo or read from standard
/// input.
fn given_or_asked(value: Option<&str>, what: &str) -> CliResult<Zeroizing<String>> {
    match value {
        Some(text) if text != "-" => {
            warn_secret_in_arguments(what);
            Ok(Zeroizing::new(text.to_string()))
        }
        _ => secret_input(what),
    }
}

/// What the arguments say, as a draft for the token rules (a URI or a
/// secret left out, or given as "-", is asked for or read from standard
/// input).
pub(super) fn draft(args: &AddArgs) -> CliResult<TokenDraft> {
    let draft = if args.by_fields() {
        let given = args.secret.as_ref().and_then(Option::as_deref);
        let text = given_or_asked(given, "secret")?;
        let kind = if args.steam {
            Some(KindName::Steam)
        } else if args.hotp {
            Some(KindName::Hotp)
        } else {
            None
        };
        TokenDraft::from_fields(GeneratorFields {
            secret: Secret::from_base32(&text).map_err(TokenError::from)?,
            kind,
            algorithm: args.algorithm.map(AlgorithmArg::algorithm),
            digits: args.digits.map(u64::from),
            period: args.period,
            counter: args.counter,
        })
    } else {
        let uri = given_or_asked(args.uri.as_deref(), "otpauth:// URI")?;
        TokenDraft::from_token(otpauth::parse(&uri)?)
    };
    Ok(draft.with(TokenPatch {
        issuer: args.issuer.clone(),
        account: args.account.clone(),
        sites: ListPatch::adding(args.sites.clone()),
        tags: ListPatch::adding(args.tags.clone()),
        aws: args.aws.patch(),
        pinned: args.pin.then_some(true),
    }))
}

/// Stores a new token under the duplicate policy of the token rules.
pub(super) fn store(data: &mut VaultData, token: Token, allow_duplicate: bool) -> CliResult {
    admit(&data.tokens, &token, allow_duplicate)?;
    data.insert(token);
    Ok(())
}

/// Runs `factorcat add`: a QR code image goes the way of `import`.
pub(super) fn run(args: AddArgs) -> CliResult {
    if let Some(image) = &args.qr {
        return super::import::add_qr(image);
    }
    let token = draft(&args)?.build()?;
    let (vault, unlock) = vault_for_writing()?;
    let label = token.label();
    let id = token.id;
    let (token_sites, token_issuer) = (token.sites.clone(), token.issuer.clone());
    vault.update(&unlock, |data: &mut VaultData| {
        store(data, token, args.allow_duplicate)
    })?;
    say(format!("added {} {label}\n", short_id(&id)))?;
    if let Some(advice) = tenant_advice(&token_sites, &token_issuer, &id) {
        eprintln!("{advice}");
    }
    Ok(())
}

/// For a token of a multi-tenant issuer that is bound to no host: a note
/// that it is offered on no page yet, and the command that binds it.
fn tenant_advice(sites: &[String], issuer: &str, id: &uuid::Uuid) -> Option<String> {
    let need = multi_tenant(issuer).filter(|_| sites.is_empty())?;
    let example = need.tenants.first()?;
    Some(format!(
        "note: {} gives each organisation a sign-in host of its own, so this token is offered on no page \
         until you name yours: factorcat edit {} --add-site YOUR-ORGANISATION.{example}",
        need.issuer,
        short_id(id)
    ))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::Cli;

    /// The parsed command line is printed by `Debug` (clap's own errors,
    /// a `dbg!` while debugging): it must not carry the URI or the secret.
    #[test]
    fn add_args_debug_holds_no_secret() {
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        let link = format!("otpauth://totp/A:b?secret={secret}");
        for argv in [
            vec!["factorcat", "add", &link],
            vec!["factorcat", "add", "--issuer", "I", "--secret", secret],
        ] {
            let text = format!("{:?}", Cli::try_parse_from(&argv).unwrap());
            assert!(text.contains("<redacted>"), "{text}");
            assert!(
                !text.contains(secret) && !text.contains(&secret.to_lowercase()),
                "{text}"
            );
        }
    }
}
