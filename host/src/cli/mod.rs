//! The `factorcat` command-line interface: parse, resolve, act, and map
//! every failure to a sentence with the fix and a documented exit code.

mod args;
mod commands;
mod export_cmd;
mod import_cmd;
mod output;

use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use zeroize::Zeroizing;

pub use args::Cli;

use factorcat::import::ImportError;
use factorcat::install::InstallError;
use factorcat::otpauth::OtpauthError;
use factorcat::qr::QrError;
use factorcat::query::QueryError;
use factorcat::secret::SecretError;
use factorcat::token::ParamError;
use factorcat::vault::{Unlock, VaultError};

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
            CliError::Io { .. } => exit::FAILURE,
        }
    }
}

impl From<InstallError> for CliError {
    fn from(e: InstallError) -> Self {
        match e {
            InstallError::UnknownBrowser { .. }
            | InstallError::NoBrowserFound { .. }
            | InstallError::UserDataDirNeedsBrowser
            | InstallError::NoSystemPlace { .. }
            | InstallError::FamilyClash { .. }
            | InstallError::ExtensionId(_) => CliError::Usage(e.to_string()),
            InstallError::Output(source) => CliError::Io {
                what: "writing to standard output".into(),
                source,
            },
            InstallError::Io {
                action,
                target,
                source,
                hint,
            } => CliError::Io {
                what: format!("{action} {target}"),
                source: io::Error::new(source.kind(), format!("{source}{hint}")),
            },
            InstallError::Problems(n) => CliError::Io {
                what: format!("doctor found {n} problem(s)"),
                source: io::Error::other("each is listed above with its fix"),
            },
            InstallError::NoHome | InstallError::CurrentExe(_) | InstallError::Template(_) => {
                CliError::Io {
                    what: "install".into(),
                    source: io::Error::other(e.to_string()),
                }
            }
        }
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
    match commands::dispatch(cli.command) {
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

/// How the CLI unlocks the vault: the environment's passphrase, else an
/// interactive prompt when standard input is a terminal.
pub(crate) fn unlock() -> Unlock {
    let mut unlock = Unlock::from_env();
    if unlock.passphrase.is_none() && io::stdin().is_terminal() {
        unlock.prompt = Some(Box::new(|prompt: &str| {
            rpassword::prompt_password(format!("{prompt}: "))
                .ok()
                .map(Zeroizing::new)
        }));
    }
    unlock
}
