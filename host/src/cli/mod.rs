//! The `factorcat` command-line interface: parse, resolve, act, and map
//! every failure to a sentence with the fix and a documented exit code.
//!
//! One module per subcommand, each with its clap arguments and its `run`;
//! `console` talks to the terminal, `fields` holds the flags `add` and
//! `edit` share, and `output` formats tokens. The forms of `add`, `code` and
//! `list` are fixed: scripts and other tools depend on them.

mod add;
mod code;
mod completions;
mod console;
mod doctor;
mod edit;
mod export;
mod fields;
mod import;
mod init;
mod install;
mod list;
mod r#match;
mod output;
mod passphrase;
mod remove;
mod show;
mod uninstall;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use factorcat::import::ImportError;
use factorcat::install::InstallError;
use factorcat::otpauth::OtpauthError;
use factorcat::qr::QrError;
use factorcat::query::QueryError;
use factorcat::secret::SecretError;
use factorcat::token::ParamError;
use factorcat::vault::VaultError;

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
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Create the vault (done automatically by the first `add`).
    Init(init::InitArgs),
    /// Add a token from an otpauth:// URI, from its fields, or from a QR code image.
    Add(add::AddArgs),
    /// Import every token of another authenticator's export (all or nothing unless --skip-bad).
    Import(import::ImportArgs),
    /// Print the current code of one token, and nothing else, on stdout.
    Code(code::CodeArgs),
    /// List tokens (never their secrets).
    List(list::ListArgs),
    /// Show which tokens the page at a URL gets, and whether one would be auto-filled.
    Match(r#match::MatchArgs),
    /// Show one token's details (never its secret).
    Show(show::ShowArgs),
    /// Rename a token or change its sites, AWS context, tags or pin.
    Edit(edit::EditArgs),
    /// Remove a token.
    #[command(visible_alias = "rm")]
    Remove(remove::RemoveArgs),
    /// Add, change or remove the vault's passphrase slot.
    Passphrase(passphrase::PassphraseArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
    /// Register factorcat as the native-messaging host of the browsers found (or named).
    Install(install::InstallArgs),
    /// Remove FactorCat's native-messaging manifests (nothing else is touched).
    Uninstall(uninstall::UninstallArgs),
    /// Check browsers' manifests, the keyring, the vault and the clock; print each fix.
    Doctor(doctor::DoctorArgs),
    /// Write every token, secrets included, as an encrypted backup (or --plaintext).
    Export(export::ExportArgs),
}

/// Exit codes, documented in the README. Scripts rely on them.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Any failure not listed below (I/O, unexpected states).
    pub const FAILURE: u8 = 1;
    /// The command line itself was wrong (clap's own code).
    pub const USAGE: u8 = 2;
    /// No token matches the query.
    pub const NOT_FOUND: u8 = 3;
    /// Several tokens match the query; candidates are listed on stderr.
    pub const AMBIGUOUS: u8 = 4;
    /// The vault key could not be obtained (keyring locked or missing, wrong
    /// or missing passphrase).
    pub const LOCKED: u8 = 5;
    /// There is no vault yet.
    pub const NO_VAULT: u8 = 6;
    /// The vault file is damaged or of an unsupported version.
    pub const VAULT_DAMAGED: u8 = 7;
    /// A token given on the command line is invalid (URI, secret, parameters).
    pub const INVALID_TOKEN: u8 = 8;
}

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Vault or keyring trouble.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The query found nothing or too much.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// A bad otpauth URI.
    #[error("{0}")]
    Uri(#[from] OtpauthError),
    /// A bad secret.
    #[error("{0}")]
    Secret(#[from] SecretError),
    /// Bad token parameters.
    #[error("{0}")]
    Params(#[from] ParamError),
    /// Reading standard input or writing output failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        source: io::Error,
    },
    /// A request the person must change.
    #[error("{0}")]
    Usage(String),
    /// An export file that cannot be read as a whole.
    #[error("{0}")]
    Import(#[from] ImportError),
    /// An image without a readable QR code.
    #[error("{0}")]
    Qr(#[from] QrError),
    /// Entries of an export that could not be read (listed before this).
    #[error(
        "{0} of the entries could not be read (listed above); nothing was imported. Correct them, or pass --skip-bad to import the others"
    )]
    BadEntries(usize),
    /// Registering with browsers, or inspecting the registration, failed.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// `factorcat doctor` found problems (listed before this).
    #[error("doctor found {0} problem(s): each is listed above with its fix")]
    Problems(usize),
}

impl CliError {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Vault(e) => match e.code() {
                "vault_missing" => exit::NO_VAULT,
                "keyring_locked"
                | "keyring_unavailable"
                | "wrong_passphrase"
                | "passphrase_required"
                | "keyring_entry_missing"
                | "keyring_mismatch" => exit::LOCKED,
                "vault_corrupt" | "vault_version" => exit::VAULT_DAMAGED,
                _ => exit::FAILURE,
            },
            CliError::Query(QueryError::NotFound(_)) => exit::NOT_FOUND,
            CliError::Query(QueryError::Ambiguous { .. }) => exit::AMBIGUOUS,
            CliError::Uri(_) | CliError::Secret(_) | CliError::Params(_) => exit::INVALID_TOKEN,
            CliError::Usage(_) => exit::USAGE,
            CliError::Import(ImportError::PasswordRequired(_) | ImportError::WrongPassword(_)) => {
                exit::LOCKED
            }
            CliError::Import(_) | CliError::Qr(_) | CliError::BadEntries(_) => exit::INVALID_TOKEN,
            CliError::Install(
                InstallError::UnknownBrowser { .. }
                | InstallError::NoBrowserFound { .. }
                | InstallError::UserDataDirNeedsBrowser
                | InstallError::NoSystemPlace { .. }
                | InstallError::FamilyClash { .. }
                | InstallError::ExtensionId(_),
            ) => exit::USAGE,
            CliError::Install(_) | CliError::Problems(_) | CliError::Io { .. } => exit::FAILURE,
        }
    }

    /// The token was removed by another process between the read and the
    /// write.
    fn vanished(id: uuid::Uuid) -> CliError {
        CliError::Query(QueryError::NotFound(id.to_string()))
    }
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Runs the CLI with these arguments (the first is the program name).
pub fn run(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    match dispatch(cli.command) {
        Ok(()) => ExitCode::from(exit::OK),
        Err(CliError::Io { source, .. }) if source.kind() == io::ErrorKind::BrokenPipe => {
            ExitCode::from(exit::OK)
        }
        Err(e) => {
            let _ = writeln!(io::stderr(), "factorcat: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs one parsed subcommand.
fn dispatch(command: Command) -> CliResult {
    match command {
        Command::Init(a) => init::run(a),
        Command::Add(a) => add::run(a),
        Command::Import(a) => import::run(&a),
        Command::Code(a) => code::run(a),
        Command::List(a) => list::run(a),
        Command::Match(a) => r#match::run(a),
        Command::Show(a) => show::run(a),
        Command::Edit(a) => edit::run(a),
        Command::Remove(a) => remove::run(a),
        Command::Passphrase(a) => passphrase::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Install(a) => install::run(a),
        Command::Uninstall(a) => uninstall::run(a),
        Command::Doctor(a) => doctor::run(a),
        Command::Export(a) => export::run(a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// A request the person must change exits 2 like a usage error; the
    /// machine's trouble and doctor's findings exit 1.
    #[test]
    fn install_errors_map_to_usage_or_failure() {
        let usage = CliError::Install(InstallError::UserDataDirNeedsBrowser);
        assert_eq!(usage.exit_code(), exit::USAGE);
        let machine = CliError::Install(InstallError::NoHome);
        assert_eq!(machine.exit_code(), exit::FAILURE);
        assert_eq!(CliError::Problems(2).exit_code(), exit::FAILURE);
        assert_eq!(
            CliError::Problems(2).to_string(),
            "doctor found 2 problem(s): each is listed above with its fix"
        );
    }

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
}
