//! The `factorcat` command-line interface: parse, resolve, act, and map
//! every failure to a sentence with the fix and a documented exit code.
//!
//! One module per subcommand, each with its clap arguments and its `run`;
//! `console` talks to the terminal, `fields` holds the flags `add` and
//! `edit` share, and `output` formats tokens. The forms of `add`, `code` and
//! `list` are fixed: scripts and other tools depend on them.

mod accept_older;
mod add;
mod aws;
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
mod lock;
mod manual;
mod r#match;
mod merge;
mod output;
mod passphrase;
mod remove;
mod show;
mod uninstall;
mod unlock;
mod which;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use factorcat::error::ErrorCode;
use factorcat::export::ExportError;
use factorcat::import::ImportError;
use factorcat::install::InstallError;
use factorcat::ledger::LedgerError;
use factorcat::otpauth::OtpauthError;
use factorcat::qr::QrError;
use factorcat::query::{QueryError, short_id};
use factorcat::site::SiteError;
use factorcat::token::TokenError;
use factorcat::vault::VaultError;

/// A TOTP/HOTP/Steam authenticator whose tokens live in an encrypted vault
/// keyed from the OS keyring.
#[derive(Debug, Parser)]
#[command(name = "factorcat", version, about, long_about = None)]
#[command(after_help = manual::SHORT_AFTER_HELP, after_long_help = manual::long_after_help())]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Create the vault (done automatically by the first `add`).
    Init(Deferred<init::InitArgs>),
    /// Add a token from an otpauth:// URI, from its fields, or from a QR code image.
    #[command(long_about = add::LONG_ABOUT)]
    Add(Deferred<add::AddArgs>),
    /// Import every token of another authenticator's export (all or nothing unless --skip-bad).
    Import(Deferred<import::ImportArgs>),
    /// Print the current code of one token, and nothing else, on stdout (--fresh: one never handed out before).
    Code(Deferred<code::CodeArgs>),
    /// List tokens (never their secrets).
    List(Deferred<list::ListArgs>),
    /// Show which tokens the page at a URL gets, and whether one would be auto-filled.
    Match(Deferred<r#match::MatchArgs>),
    /// Show one token's details (never its secret).
    Show(Deferred<show::ShowArgs>),
    /// Rename a token or change its sites, AWS context, tags or pin.
    Edit(Deferred<edit::EditArgs>),
    /// Remove a token.
    #[command(visible_alias = "rm")]
    Remove(Deferred<remove::RemoveArgs>),
    /// Add, change or remove the vault's passphrase slot.
    Passphrase(Deferred<passphrase::PassphraseArgs>),
    /// Merge another copy of this vault (from another machine, or a sync tool's conflict copy) into it.
    Merge(Deferred<merge::MergeArgs>),
    /// Use the vault file although it is older than one this machine has seen (a backup restored on purpose).
    AcceptOlder(Deferred<accept_older::AcceptOlderArgs>),
    /// Keep the vault unlocked for a while, so that commands and the browser need no passphrase.
    Unlock(Deferred<unlock::UnlockArgs>),
    /// Lock the vault now: forget its cached key.
    Lock(Deferred<lock::LockArgs>),
    /// Print the shell code that completes factorcat command lines, token names included.
    Completions(Deferred<completions::CompletionsArgs>),
    /// Print the manual page (roff: `factorcat man | man -l -`), or write every page into a directory.
    Man(Deferred<manual::ManArgs>),
    /// Register factorcat as the native-messaging host of the browsers found (or named).
    Install(Deferred<install::InstallArgs>),
    /// Remove FactorCat's native-messaging manifests (nothing else is touched).
    Uninstall(Deferred<uninstall::UninstallArgs>),
    /// Check browsers' manifests, the keyring, the vault and the clock; print each fix.
    Doctor(Deferred<doctor::DoctorArgs>),
    /// Write every token, secrets included, as an encrypted backup (or --plaintext).
    Export(Deferred<export::ExportArgs>),
    /// AWS tools: which token each profile of the AWS config file gets its MFA codes from.
    Aws(Deferred<aws::AwsArgs>),
}

/// A subcommand's arguments, added to the command tree only when clap builds
/// that subcommand: parsing `factorcat code …` builds `code`'s arguments
/// and not those of the twenty others. Help, the manual, completions and
/// clap's checks build the whole tree, so they see every argument as before.
#[derive(Debug)]
struct Deferred<T>(T);

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args_for_update))
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(
        &mut self,
        matches: &mut clap::ArgMatches,
    ) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

/// Adds a subcommand's arguments, keeping the about texts the variant of
/// [`Command`] gave it: the arguments' own doc comment (a struct's, such as
/// "`factorcat init`") would replace them, and undeferred it came first.
fn keep_about(cmd: clap::Command, add: fn(clap::Command) -> clap::Command) -> clap::Command {
    use clap::builder::Resettable;
    let text = |t: Option<&clap::builder::StyledStr>| {
        t.cloned().map_or(Resettable::Reset, Resettable::Value)
    };
    let about = text(cmd.get_about());
    let long_about = text(cmd.get_long_about());
    add(cmd).about(about).long_about(long_about)
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
    /// No fresh code now: `code --fresh --no-wait` would have had to wait,
    /// or every fresh code within reach was handed out already.
    pub const NOT_FRESH: u8 = 9;

    use factorcat::error::ErrorCode;

    /// The exit code of each error code. Every code is listed, so that a new
    /// one cannot ship without its exit code; codes the command line never
    /// meets (the native protocol's own) are failures.
    pub fn for_code(code: ErrorCode) -> u8 {
        use ErrorCode as C;
        match code {
            C::VaultMissing => NO_VAULT,
            C::KeyringLocked
            | C::KeyringUnavailable
            | C::WrongPassphrase
            | C::PassphraseRequired
            | C::KeyringEntryMissing
            | C::KeyringMismatch
            | C::PasswordRequired
            | C::WrongPassword => LOCKED,
            C::VaultCorrupt | C::VaultVersion | C::VaultRollback | C::LedgerUnusable => {
                VAULT_DAMAGED
            }
            C::UnknownToken => NOT_FOUND,
            C::AmbiguousQuery => AMBIGUOUS,
            C::InvalidToken
            | C::InvalidUri
            | C::QrNotFound
            | C::QrUnreadable
            | C::QrImageTooLarge
            | C::QrImageUnsupported
            | C::QrImageDamaged
            | C::QrNoTokens
            | C::UnknownFormat
            | C::ImportDamaged
            | C::ImportUnsupported
            | C::ImportTooLarge
            | C::ImportBadEntries => INVALID_TOKEN,
            C::DuplicateToken
            | C::InvalidUrl
            | C::InsecureUrl
            | C::NotSupported
            | C::PassphraseEmpty
            | C::OtherVault
            | C::BadRequest => USAGE,
            C::IoError
            | C::VaultLock
            | C::VaultBusy
            | C::VaultExists
            | C::LastSlot
            | C::NoSlot
            | C::KdfParams
            | C::NoHome
            | C::Internal
            | C::ForbiddenCaller
            | C::FrameTooLarge
            | C::EmptyFrame
            | C::InvalidUtf8
            | C::InvalidJson
            | C::NotAnObject
            | C::UnknownOp
            | C::ReplyTooLarge => FAILURE,
            C::CodeAlreadyUsed | C::NoFreshCode => NOT_FRESH,
        }
    }

    /// Every exit code with what it means, as `--help`, the manual page and
    /// the README list them.
    pub const MEANINGS: &[(u8, &str)] = &[
        (OK, "success"),
        (
            FAILURE,
            "any other failure (I/O, …); `doctor` found a problem",
        ),
        (
            USAGE,
            "the command line was wrong (also an unknown browser name or extension id), or the change was refused: a removal not confirmed, or a token already in the vault (`add`; `add --qr` when every code in the image is), or `merge` was given a copy of another vault",
        ),
        (
            NOT_FOUND,
            "no token matches the query (`match`: no token belongs to the page)",
        ),
        (
            AMBIGUOUS,
            "several tokens match the query (candidates on stderr)",
        ),
        (
            LOCKED,
            "the vault key could not be obtained: keyring locked or unreachable, wrong or missing passphrase",
        ),
        (NO_VAULT, "there is no vault yet"),
        (
            VAULT_DAMAGED,
            "the vault file is damaged, of an unsupported version, or older than one this machine has seen (it is never overwritten; `factorcat accept-older` accepts an older one on purpose), or the ledger beside it cannot be used (move it away)",
        ),
        (
            INVALID_TOKEN,
            "an invalid token was given (URI, secret, parameters, a site that is not a host name, more than 64 sites or tags), or an import file or QR image cannot be read",
        ),
        (
            NOT_FRESH,
            "no fresh code now (`code --fresh --no-wait`: the current code was already handed out or is about to expire; `code --fresh`: every code it could wait for was handed out); stderr says when to try again",
        ),
    ];
}

/// Everything a command can fail with. Domain errors keep their own
/// sentence (what is wrong) and get the command line's way to fix it
/// appended; their [`ErrorCode`] decides the exit code.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Vault or keyring trouble.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// The query found nothing or too much.
    #[error("{}{}", .0, query_fix(.0))]
    Query(#[from] QueryError),
    /// A bad otpauth URI.
    #[error("{0}")]
    Uri(#[from] OtpauthError),
    /// Token values the token rules refuse, or a duplicate.
    #[error("{}{}", .0, token_fix(.0))]
    Token(#[from] TokenError),
    /// The ledger refused to hand out a code.
    #[error("{}{}", .0, ledger_fix(.0))]
    Ledger(LedgerError),
    /// A page `match` cannot judge.
    #[error("nothing is offered for \"{url}\": {source}")]
    Page {
        /// The URL given.
        url: String,
        /// Why it cannot be matched.
        source: SiteError,
    },
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
    #[error("{}{}", .0, import_fix(.0))]
    Import(#[from] ImportError),
    /// An image without a readable QR code.
    #[error("{0}")]
    Qr(#[from] QrError),
    /// An export that cannot be made as asked.
    #[error("{}{}", .0, export_fix(.0))]
    Export(#[from] ExportError),
    /// Entries of an export that could not be read (listed before this).
    #[error(
        "{0} of the entries could not be read (listed above); nothing was imported. Correct them, or pass --skip-bad to import the others"
    )]
    BadEntries(usize),
    /// Registering with browsers, or inspecting the registration, failed.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// The first write found no vault and no OS keyring to keep a new one's
    /// key, and nobody chose a passphrase instead.
    #[error(
        "there is no vault yet, and the OS keyring cannot keep a new vault's key: {0}; or create a vault protected by a passphrase only with `factorcat init --passphrase --no-keyring`"
    )]
    NoKeyringForNewVault(VaultError),
    /// `add --qr`: every code of the image is in the vault already, as
    /// these tokens (short id and label).
    #[error(
        "every code in the image is already in the vault ({}); nothing was added. Change a stored token with `factorcat edit <id>`", .0.join(", ")
    )]
    AllDuplicates(Vec<String>),
    /// `factorcat match`: no token belongs to the page on this host.
    #[error(
        "no token belongs to the page on {0}: a token is offered only on the sites it lists (`factorcat show <query>` shows them)"
    )]
    NoTokenForPage(String),
    /// `factorcat doctor` found problems (listed before this).
    #[error("doctor found {0} problem(s): each is listed above with its fix")]
    Problems(usize),
    #[error("the vault opened, but its key could not be kept: {0}")]
    NotKept(&'static str),
}

/// How to go on after a query that did not resolve, in the command line's words.
fn query_fix(e: &QueryError) -> String {
    match e {
        QueryError::NotFound(_) => "; run `factorcat list` to see what is there".into(),
        QueryError::Ambiguous { .. } => String::new(),
        QueryError::NoMfaDevice { serial, .. } => format!(
            "; if one of your tokens is that device, bind it: `factorcat edit QUERY --aws-mfa-serial {serial}` (`factorcat list` shows them), or add it with `factorcat add --aws-mfa-serial {serial}`"
        ),
        QueryError::AmbiguousMfaDevice { serial, .. } => {
            format!("\nbind the right one: `factorcat edit ID --aws-mfa-serial {serial}`")
        }
    }
}

/// How to go on after refused token values, in the command line's words.
fn token_fix(e: &TokenError) -> String {
    match e {
        TokenError::Duplicate { id, .. } => format!(
            "; change that one with `factorcat edit {}`, or add --allow-duplicate to keep a second copy",
            short_id(id)
        ),
        TokenError::Site => "; check the values of --site, --add-site and --remove-site".into(),
        TokenError::AwsMfaSerialAccount => "; give --aws-account (and --aws-partition) matching the serial, or remove the serial with --aws-mfa-serial \"\"".into(),
        _ => String::new(),
    }
}

/// How to go on after a code the ledger refused, in the command line's words.
fn ledger_fix(e: &LedgerError) -> String {
    match e {
        LedgerError::Spent { retry_after } => {
            format!("; try again in {retry_after} s")
        }
        LedgerError::NotNow { .. } => "; leave out --no-wait to wait for it".into(),
        LedgerError::CounterExhausted => "; add the token again".into(),
        LedgerError::NotHotp | LedgerError::NotTimeBased => {
            "; the token changed while it was being read, try again".into()
        }
        LedgerError::UnknownToken(_) => String::new(),
    }
}

/// How to go on after an import that could not start, in the command line's words.
fn import_fix(e: &ImportError) -> &'static str {
    match e {
        ImportError::UnknownFormat => "; name it with --format NAME",
        ImportError::PasswordRequired(_) => {
            "; give its password with --password-file FILE (or FACTORCAT_IMPORT_PASSWORD)"
        }
        ImportError::WrongPassword(_) => "; check it and try again",
        ImportError::TooLarge | ImportError::Damaged { .. } | ImportError::Unsupported { .. } => "",
    }
}

/// How to go on after a refused export, in the command line's words.
fn export_fix(e: &ExportError) -> &'static str {
    match e {
        ExportError::PlaintextOnly(_) => {
            "; add --plaintext if you really want the secrets in the clear, or use --format factorcat or aegis"
        }
        ExportError::EmptyPassphrase | ExportError::Kdf(_) => "",
    }
}

impl CliError {
    /// The error code of a domain error; `None` for the command line's own
    /// errors (usage, terminal I/O, install, doctor).
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            CliError::Vault(e) => Some(e.code()),
            CliError::Query(e) => Some(e.code()),
            CliError::Uri(e) => Some(e.code()),
            CliError::Token(e) => Some(e.code()),
            CliError::Ledger(LedgerError::NotHotp | LedgerError::NotTimeBased) => None,
            CliError::Ledger(e) => Some(e.code()),
            CliError::Page { source, .. } => Some(source.code()),
            CliError::Import(e) => Some(e.code()),
            CliError::Qr(e) => Some(e.code()),
            CliError::Export(e) => Some(e.code()),
            CliError::BadEntries(_) => Some(ErrorCode::ImportBadEntries),
            CliError::NoTokenForPage(_) => Some(ErrorCode::UnknownToken),
            CliError::NoKeyringForNewVault(e) => Some(e.code()),
            CliError::AllDuplicates(_) => Some(ErrorCode::DuplicateToken),
            CliError::Io { .. }
            | CliError::Usage(_)
            | CliError::Install(_)
            | CliError::Problems(_)
            | CliError::NotKept(_) => None,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        if let Some(code) = self.code() {
            return exit::for_code(code);
        }
        match self {
            CliError::Usage(_) | CliError::Ledger(_) => exit::USAGE,
            CliError::Install(
                InstallError::UnknownBrowser { .. }
                | InstallError::NoBrowserFound { .. }
                | InstallError::UserDataDirNeedsBrowser
                | InstallError::NoSystemPlace { .. }
                | InstallError::FamilyClash { .. }
                | InstallError::ExtensionId(_),
            ) => exit::USAGE,
            _ => exit::FAILURE,
        }
    }

    /// The token was removed by another process between the read and the
    /// write.
    fn vanished(id: uuid::Uuid) -> CliError {
        CliError::Query(QueryError::NotFound(id.to_string()))
    }
}

/// A ledger error in the command line's terms: a token that vanished
/// between the read and the write is not found.
impl From<LedgerError> for CliError {
    fn from(e: LedgerError) -> CliError {
        match e {
            LedgerError::UnknownToken(id) => CliError::vanished(id),
            e => CliError::Ledger(e),
        }
    }
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

/// Runs the CLI with these arguments (the first is the program name).
pub fn run(args: Vec<OsString>) -> ExitCode {
    if completions::answer_shell(&args) {
        return ExitCode::from(exit::OK);
    }
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
    notice_conflicts(&cli.command);
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

/// Says on stderr, in one line, that sync tools left conflict copies beside
/// the vault — for every command but those that never touch a vault and
/// `merge --conflicts`, which deals with them.
fn notice_conflicts(command: &Command) {
    match command {
        Command::Completions(_) | Command::Man(_) => return,
        Command::Merge(a) if a.0.conflicts => return,
        _ => {}
    }
    if let Ok(vault) = factorcat::vault::Vault::locate()
        && let Some(line) = merge::conflict_notice(&vault)
    {
        let _ = writeln!(io::stderr(), "{line}");
    }
}

/// Runs one parsed subcommand.
fn dispatch(command: Command) -> CliResult {
    match command {
        Command::Init(a) => init::run(a.0),
        Command::Add(a) => add::run(a.0),
        Command::Import(a) => import::run(&a.0),
        Command::Code(a) => code::run(a.0),
        Command::List(a) => list::run(a.0),
        Command::Match(a) => r#match::run(a.0),
        Command::Show(a) => show::run(a.0),
        Command::Edit(a) => edit::run(a.0),
        Command::Remove(a) => remove::run(a.0),
        Command::Passphrase(a) => passphrase::run(a.0),
        Command::Merge(a) => merge::run(a.0),
        Command::AcceptOlder(a) => accept_older::run(a.0),
        Command::Unlock(a) => unlock::run(a.0),
        Command::Lock(a) => lock::run(a.0),
        Command::Completions(a) => completions::run(a.0),
        Command::Man(a) => manual::run(a.0),
        Command::Install(a) => install::run(a.0),
        Command::Uninstall(a) => uninstall::run(a.0),
        Command::Doctor(a) => doctor::run(a.0),
        Command::Export(a) => export::run(a.0),
        Command::Aws(a) => aws::run(a.0),
    }
}

#[cfg(test)]
mod parity_tests;

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

    /// The README's table lists exit codes 0 to 9, and every error code
    /// maps to the row whose words describe it.
    #[test]
    fn error_codes_map_to_the_documented_exit_codes() {
        let readme = include_str!("../../../README.md");
        let table = readme.split("### Exit codes").nth(1).unwrap();
        let rows: Vec<u8> = table
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.trim_start_matches('|').split('|').next())
            .filter_map(|cell| cell.trim().parse().ok())
            .collect();
        assert_eq!(rows, (0..=9).collect::<Vec<u8>>());
        for code in ErrorCode::ALL {
            assert!(rows.contains(&exit::for_code(*code)), "{code}");
        }
        for (code, want) in [
            (ErrorCode::DuplicateToken, exit::USAGE),
            (ErrorCode::InsecureUrl, exit::USAGE),
            (ErrorCode::UnknownToken, exit::NOT_FOUND),
            (ErrorCode::AmbiguousQuery, exit::AMBIGUOUS),
            (ErrorCode::KeyringLocked, exit::LOCKED),
            (ErrorCode::PassphraseRequired, exit::LOCKED),
            (ErrorCode::WrongPassword, exit::LOCKED),
            (ErrorCode::VaultMissing, exit::NO_VAULT),
            (ErrorCode::VaultCorrupt, exit::VAULT_DAMAGED),
            (ErrorCode::VaultVersion, exit::VAULT_DAMAGED),
            (ErrorCode::LedgerUnusable, exit::VAULT_DAMAGED),
            (ErrorCode::InvalidToken, exit::INVALID_TOKEN),
            (ErrorCode::InvalidUri, exit::INVALID_TOKEN),
            (ErrorCode::ImportBadEntries, exit::INVALID_TOKEN),
            (ErrorCode::QrNoTokens, exit::INVALID_TOKEN),
            (ErrorCode::IoError, exit::FAILURE),
            (ErrorCode::VaultBusy, exit::FAILURE),
            (ErrorCode::NoFreshCode, exit::NOT_FRESH),
            (ErrorCode::CodeAlreadyUsed, exit::NOT_FRESH),
        ] {
            assert_eq!(exit::for_code(code), want, "{code}");
        }
        let duplicate = CliError::Token(TokenError::Duplicate {
            id: uuid::Uuid::nil(),
            label: "GitHub (me)".into(),
        });
        assert_eq!(duplicate.exit_code(), exit::USAGE);
        assert!(duplicate.to_string().contains("--allow-duplicate"));
        let missing = CliError::Import(ImportError::PasswordRequired(
            factorcat::import::Format::Aegis,
        ));
        assert_eq!(missing.exit_code(), exit::LOCKED);
        assert!(missing.to_string().contains("--password-file"));
    }

    /// The long help of `factorcat SUBCOMMAND` (or of `factorcat` itself).
    fn long_help(subcommand: Option<&str>) -> String {
        let mut cmd = Cli::command();
        cmd.build();
        match subcommand {
            Some(name) => cmd
                .find_subcommand_mut(name)
                .unwrap()
                .render_long_help()
                .to_string(),
            None => cmd.render_long_help().to_string(),
        }
    }

    /// The help texts a new user found wanting: every import format named,
    /// no default partition for an edit, queries explained, exit codes in
    /// the help rather than in a README that `cargo install` does not ship.
    #[test]
    fn help_says_what_the_commands_accept() {
        let import = long_help(Some("import"));
        for format in factorcat::import::Format::ALL {
            assert!(import.contains(format.name()), "{format:?}: {import}");
        }
        assert!(
            import.contains("possible values: auto, factorcat,"),
            "{import}"
        );

        let edit = long_help(Some("edit"));
        assert!(!edit.contains("[default: aws]"), "{edit}");
        assert!(edit.contains("an edit keeps the token's"), "{edit}");

        for command in ["code", "show", "edit", "remove"] {
            let help = long_help(Some(command));
            let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(flat.contains(which::QUERY_HELP), "{command}: {help}");
            assert!(!help.contains("Which token.\n"), "{command}: {help}");
        }

        let top = long_help(None);
        assert!(!top.contains("README"), "{top}");
        assert!(top.contains("Exit codes:"), "{top}");
        for (code, meaning) in exit::MEANINGS {
            let first_words: String = meaning
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                top.contains(&format!("  {code}\n      {first_words}")),
                "{code}: {top}"
            );
        }
        for (name, _) in manual::ENVIRONMENT {
            assert!(top.contains(&format!("  {name}\n")), "{name}: {top}");
        }
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
            // Secrets asked for: no URI, --secret without a value.
            vec!["factorcat", "add"],
            vec!["factorcat", "add", "-", "--site", "github.com"],
            vec![
                "factorcat",
                "add",
                "--issuer",
                "I",
                "--secret",
                "--site",
                "a.example",
            ],
            vec!["factorcat", "add", "--secret", "--hotp", "--counter", "0"],
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
