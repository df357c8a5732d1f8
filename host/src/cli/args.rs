//! The command line as clap parses it. The forms of `add`, `code` and
//! `list` are fixed: scripts and other tools depend on them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

/// A TOTP/HOTP/Steam authenticator whose tokens live in an encrypted vault
/// keyed from the OS keyring.
#[derive(Debug, Parser)]
#[command(name = "factorcat", version, about, long_about = None)]
#[command(
    after_help = "The vault lives in $FACTORCAT_HOME (a directory) or the platform's data directory.\n\
FACTORCAT_PASSPHRASE unlocks the passphrase slot when the keyring cannot.\nExit codes are listed in the README."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the vault (done automatically by the first `add`).
    Init(InitArgs),
    /// Add a token from an otpauth:// URI, from its fields, or from a QR code image.
    Add(AddArgs),
    /// Import every token of another authenticator's export (all or nothing unless --skip-bad).
    Import(ImportArgs),
    /// Print the current code of one token, and nothing else, on stdout.
    Code(CodeArgs),
    /// List tokens (never their secrets).
    List(ListArgs),
    /// Show which tokens the page at a URL gets, and whether one would be auto-filled.
    Match(MatchArgs),
    /// Show one token's details (never its secret).
    Show(ShowArgs),
    /// Rename a token or change its sites, AWS context, tags or pin.
    Edit(EditArgs),
    /// Remove a token.
    #[command(visible_alias = "rm")]
    Remove(RemoveArgs),
    /// Add, change or remove the vault's passphrase slot.
    Passphrase(PassphraseArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Register factorcat as the native-messaging host of the browsers found (or named).
    Install(factorcat::install::InstallArgs),
    /// Remove FactorCat's native-messaging manifests (nothing else is touched).
    Uninstall(factorcat::install::UninstallArgs),
    /// Check browsers' manifests, the keyring, the vault and the clock; print each fix.
    Doctor(factorcat::doctor::DoctorArgs),
    /// Write every token, secrets included, as an encrypted backup (or --plaintext).
    Export(super::export_cmd::ExportArgs),
}

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

/// AWS partitions on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PartitionArg {
    /// Commercial regions.
    Aws,
    /// AWS GovCloud (US).
    AwsUsGov,
    /// AWS China.
    AwsCn,
}

/// AWS context flags shared by `add` and `edit`.
#[derive(Debug, Args, Default)]
pub struct AwsArgs {
    /// AWS account id (12 digits) or alias this MFA device belongs to.
    #[arg(long, value_name = "ID_OR_ALIAS")]
    pub aws_account: Option<String>,
    /// IAM user name, root e-mail or MFA device name.
    #[arg(long, value_name = "NAME")]
    pub aws_user: Option<String>,
    /// AWS partition [default: aws].
    #[arg(long, value_enum)]
    pub aws_partition: Option<PartitionArg>,
}

/// `factorcat add`. `Debug` leaves out the URI and the secret.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["uri", "secret", "qr"])))]
pub struct AddArgs {
    /// A PNG or JPEG image: every otpauth:// and otpauth-migration:// QR code in it is added.
    #[arg(long, value_name = "IMAGE", conflicts_with_all = [
        "uri", "issuer", "account", "secret", "algorithm", "digits", "period", "hotp", "counter",
        "steam", "sites", "tags", "pin", "aws_account", "aws_user", "aws_partition",
    ])]
    pub qr: Option<PathBuf>,
    /// An otpauth:// URI ("-" reads it from standard input, keeping it out of shell history).
    pub uri: Option<String>,
    /// Issuer, e.g. GitHub.
    #[arg(long, conflicts_with = "uri")]
    pub issuer: Option<String>,
    /// Account name at the issuer.
    #[arg(long, conflicts_with = "uri")]
    pub account: Option<String>,
    /// Base32 secret ("-" reads it from standard input).
    #[arg(long, conflicts_with = "uri")]
    pub secret: Option<String>,
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
    /// AWS context.
    #[command(flatten)]
    pub aws: AwsArgs,
}

impl std::fmt::Debug for AddArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "<redacted>");
        f.debug_struct("AddArgs")
            .field("qr", &self.qr)
            .field("uri", &redacted(&self.uri))
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("secret", &redacted(&self.secret))
            .field("algorithm", &self.algorithm)
            .field("digits", &self.digits)
            .field("period", &self.period)
            .field("hotp", &self.hotp)
            .field("counter", &self.counter)
            .field("steam", &self.steam)
            .field("sites", &self.sites)
            .field("tags", &self.tags)
            .field("pin", &self.pin)
            .field("aws", &self.aws)
            .finish()
    }
}

/// `factorcat import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export file (its format is recognised from its content).
    pub file: PathBuf,
    /// The export's format: auto, otpauth, aegis, 2fas, andotp, authenticator, bitwarden, freeotp-plus or proton.
    #[arg(long, value_name = "NAME", default_value = "auto")]
    pub format: String,
    /// Read the backup's password from the first line of this file (else
    /// FACTORCAT_IMPORT_PASSWORD, else asked when needed).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Show what would be imported; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the readable entries even when some cannot be read.
    #[arg(long)]
    pub skip_bad: bool,
}

/// `factorcat code`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["query", "aws_mfa_serial"])))]
pub struct CodeArgs {
    /// Token id, id prefix, account, issuer, or part of "issuer account".
    pub query: Option<String>,
    /// Pick the token for an AWS MFA serial, arn:aws:iam::<account>:mfa/<name>.
    #[arg(long, value_name = "ARN", conflicts_with = "query")]
    pub aws_mfa_serial: Option<String>,
    /// Compute the code for this Unix time instead of now (TOTP and Steam).
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub time: Option<u64>,
}

/// `factorcat list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print one JSON array, an object per token.
    #[arg(long)]
    pub json: bool,
}

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

/// `factorcat show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Which token.
    pub query: String,
    /// Print a JSON object.
    #[arg(long)]
    pub json: bool,
}

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

/// `factorcat remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Which token.
    pub query: String,
    /// Do not ask for confirmation.
    #[arg(long, short)]
    pub yes: bool,
}

/// `factorcat passphrase`.
#[derive(Debug, Args)]
pub struct PassphraseArgs {
    /// Remove the passphrase slot (only when the keyring slot remains).
    #[arg(long)]
    pub remove: bool,
}

/// `factorcat completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn fixed_forms_parse() {
        for argv in [
            vec![
                "factorcat",
                "add",
                "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP",
            ],
            vec![
                "factorcat",
                "add",
                "--issuer",
                "I",
                "--account",
                "A",
                "--secret",
                "S",
                "--site",
                "a.example",
            ],
            vec![
                "factorcat",
                "add",
                "--issuer",
                "I",
                "--account",
                "A",
                "--secret",
                "S",
                "--hotp",
                "--counter",
                "3",
            ],
            vec![
                "factorcat",
                "add",
                "--issuer",
                "I",
                "--account",
                "A",
                "--secret",
                "S",
                "--steam",
            ],
            vec!["factorcat", "code", "prod", "--time", "59"],
            vec![
                "factorcat",
                "code",
                "--aws-mfa-serial",
                "arn:aws:iam::123456789012:mfa/me",
            ],
            vec!["factorcat", "list", "--json"],
            vec!["factorcat", "add", "--qr", "codes.png"],
            vec!["factorcat", "import", "export.txt"],
            vec![
                "factorcat",
                "import",
                "backup.json",
                "--format",
                "aegis",
                "--password-file",
                "pw.txt",
                "--dry-run",
                "--skip-bad",
            ],
            vec![
                "factorcat",
                "match",
                "https://signin.aws.amazon.com/",
                "--account",
                "prod",
                "--user",
                "alice",
            ],
        ] {
            Cli::try_parse_from(&argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        }
    }

    #[test]
    fn contradictions_are_refused() {
        for argv in [
            vec!["factorcat", "add"],
            vec![
                "factorcat",
                "add",
                "otpauth://totp/x?secret=A",
                "--secret",
                "S",
            ],
            vec!["factorcat", "add", "--secret", "S", "--hotp"],
            vec![
                "factorcat",
                "add",
                "--secret",
                "S",
                "--steam",
                "--digits",
                "6",
            ],
            vec!["factorcat", "code"],
            vec![
                "factorcat",
                "add",
                "--qr",
                "a.png",
                "otpauth://totp/x?secret=A",
            ],
            vec!["factorcat", "add", "--qr", "a.png", "--issuer", "I"],
            vec!["factorcat", "import"],
            vec!["factorcat", "edit", "x", "--pin", "--unpin"],
        ] {
            assert!(
                Cli::try_parse_from(&argv).is_err(),
                "{argv:?} should be refused"
            );
        }
    }

    #[test]
    fn command_forms_parse_and_contradictions_are_refused() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).map(|_| ());
        for argv in [
            &["factorcat", "install"][..],
            &[
                "factorcat",
                "install",
                "--browser",
                "chromium",
                "--browser",
                "firefox",
                "--dry-run",
            ],
            &[
                "factorcat",
                "install",
                "--browser",
                "chromium",
                "--user-data-dir",
                "d",
                "--extension-id",
                "x",
            ],
            &[
                "factorcat",
                "install",
                "--system",
                "--extension-id",
                "a",
                "--extension-id",
                "b",
            ],
            &["factorcat", "uninstall", "--browser", "edge"],
            &["factorcat", "uninstall", "--system", "--dry-run"],
            &["factorcat", "doctor"],
            &[
                "factorcat",
                "doctor",
                "--browser",
                "chromium",
                "--user-data-dir",
                "d",
            ],
        ] {
            parse(argv).unwrap_or_else(|e| panic!("{argv:?}: {e}"));
        }
        for argv in [
            &["factorcat", "install", "--system", "--user-data-dir", "d"][..],
            &["factorcat", "uninstall", "--system", "--user-data-dir", "d"],
            &["factorcat", "install", "--browser"],
        ] {
            assert!(parse(argv).is_err(), "{argv:?} should be refused");
        }
    }

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
