//! Bringing tokens in from other authenticators' exports.
//!
//! Every importer turns a whole file into an [`Imported`]: the tokens it
//! could read and, for each entry it could not, an [`EntryError`] with the
//! entry's position. Nothing is written while parsing; the caller decides
//! (all-or-nothing unless the person asked to skip bad entries) and writes
//! the vault once.
//!
//! A file that cannot be opened as a whole — wrong password, damaged,
//! unknown format — is an [`ImportError`] and imports nothing.

use std::fmt;

use crate::error::ErrorCode;
use crate::token::Token;

mod aegis;
mod andotp;
mod authenticator;
mod bitwarden;
mod common;
pub(crate) mod factorcat;
mod freeotp;
mod migration;
mod proton;
mod text;
mod twofas;

/// Largest import file accepted, in bytes. Real exports of thousands of
/// tokens are a few MiB at most.
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// The formats FactorCat reads. `--format NAME` uses [`Format::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Text, one `otpauth://` or `otpauth-migration://` URI per line.
    OtpauthList,
    /// Aegis JSON vault export, plain or encrypted.
    Aegis,
    /// 2FAS `.2fas` backup, plain or encrypted.
    TwoFas,
    /// andOTP JSON backup, plain or encrypted.
    AndOtp,
    /// The "Authenticator" browser extension's backup, plain or encrypted.
    AuthenticatorExtension,
    /// Bitwarden JSON export (`login.totp`).
    Bitwarden,
    /// FreeOTP+ JSON export.
    FreeOtpPlus,
    /// Proton Authenticator export.
    ProtonAuthenticator,
    /// FactorCat's own backup (`factorcat export`), plain or encrypted;
    /// keeps token ids (see `docs/backup.md`).
    FactorCat,
}

impl Format {
    /// Every format, in the order detection tries them.
    pub const ALL: [Format; 9] = [
        Format::FactorCat,
        Format::Aegis,
        Format::TwoFas,
        Format::AndOtp,
        Format::AuthenticatorExtension,
        Format::Bitwarden,
        Format::FreeOtpPlus,
        Format::ProtonAuthenticator,
        Format::OtpauthList,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::OtpauthList => "otpauth",
            Format::Aegis => "aegis",
            Format::TwoFas => "2fas",
            Format::AndOtp => "andotp",
            Format::AuthenticatorExtension => "authenticator",
            Format::Bitwarden => "bitwarden",
            Format::FreeOtpPlus => "freeotp-plus",
            Format::ProtonAuthenticator => "proton",
            Format::FactorCat => "factorcat",
        }
    }

    /// What people call such a file, for lists to choose from (the
    /// extension's import view shows these).
    pub fn label(self) -> &'static str {
        match self {
            Format::OtpauthList => "List of otpauth links (text)",
            Format::Aegis => "Aegis export",
            Format::TwoFas => "2FAS export",
            Format::AndOtp => "andOTP export",
            Format::AuthenticatorExtension => "Authenticator (browser extension) backup",
            Format::Bitwarden => "Bitwarden export",
            Format::FreeOtpPlus => "FreeOTP+ export",
            Format::ProtonAuthenticator => "Proton Authenticator export",
            Format::FactorCat => "FactorCat backup",
        }
    }

    /// The format with this command-line name.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of an export that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryError {
    /// 1-based position of the entry in the file (line for text lists,
    /// entry index for JSON arrays).
    pub position: usize,
    /// The entry's issuer/name as the file gives it, when readable (never a
    /// secret).
    pub label: Option<String>,
    /// What was wrong and what to do, never echoing a secret.
    pub reason: String,
}

impl fmt::Display for EntryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.label {
            Some(label) => write!(f, "entry {} ({label}): {}", self.position, self.reason),
            None => write!(f, "entry {}: {}", self.position, self.reason),
        }
    }
}

/// What one file yielded.
#[derive(Debug, Default)]
pub struct Imported {
    /// Tokens read, in the form the vault keeps them (`token::settle`),
    /// with fresh ids (except [`Format::FactorCat`] backups, which keep
    /// theirs), in file order. Duplicates are not removed here: see
    /// `token::new_positions`.
    pub tokens: Vec<Token>,
    /// Entries that could not be read.
    pub failures: Vec<EntryError>,
}

/// Why a whole file could not be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file's format could not be recognised.
    #[error(
        "the file's format was not recognised (FactorCat reads {})",
        Format::ALL.map(Format::name).join(", ")
    )]
    UnknownFormat,
    /// The file is encrypted and no password was given.
    #[error("this {0} backup is encrypted and no password was given")]
    PasswordRequired(Format),
    /// The password does not open the file.
    #[error("the password does not open this {0} backup; nothing was imported")]
    WrongPassword(Format),
    /// The file is damaged or not what its format says.
    #[error(
        "the {format} file is damaged or not a {format} export ({reason}); nothing was imported"
    )]
    Damaged {
        /// The format being read.
        format: Format,
        /// What was wrong, never echoing a secret.
        reason: String,
    },
    /// A version or variant of the format FactorCat does not read.
    #[error("{format}: {what} is not supported; export again from a current version of the app")]
    Unsupported {
        /// The format being read.
        format: Format,
        /// What was found.
        what: String,
    },
    /// The file is larger than [`MAX_IMPORT_BYTES`].
    #[error("the file is larger than {} MiB; this is not an authenticator export", MAX_IMPORT_BYTES / (1024 * 1024))]
    TooLarge,
}

impl ImportError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ImportError::UnknownFormat => ErrorCode::UnknownFormat,
            ImportError::PasswordRequired(_) => ErrorCode::PasswordRequired,
            ImportError::WrongPassword(_) => ErrorCode::WrongPassword,
            ImportError::Damaged { .. } => ErrorCode::ImportDamaged,
            ImportError::Unsupported { .. } => ErrorCode::ImportUnsupported,
            ImportError::TooLarge => ErrorCode::ImportTooLarge,
        }
    }
}

/// Recognises a file's format from its content.
pub fn detect(bytes: &[u8]) -> Option<Format> {
    Format::ALL.into_iter().find(|f| detector(*f)(bytes))
}

fn detector(format: Format) -> fn(&[u8]) -> bool {
    match format {
        Format::OtpauthList => text::detect,
        Format::Aegis => aegis::detect,
        Format::TwoFas => twofas::detect,
        Format::AndOtp => andotp::detect,
        Format::AuthenticatorExtension => authenticator::detect,
        Format::Bitwarden => bitwarden::detect,
        Format::FreeOtpPlus => freeotp::detect,
        Format::ProtonAuthenticator => proton::detect,
        Format::FactorCat => factorcat::detect,
    }
}

fn reader(format: Format) -> fn(&[u8], Option<&str>) -> Result<Imported, ImportError> {
    match format {
        Format::OtpauthList => text::parse,
        Format::Aegis => aegis::parse,
        Format::TwoFas => twofas::parse,
        Format::AndOtp => andotp::parse,
        Format::AuthenticatorExtension => authenticator::parse,
        Format::Bitwarden => bitwarden::parse,
        Format::FreeOtpPlus => freeotp::parse,
        Format::ProtonAuthenticator => proton::parse,
        Format::FactorCat => factorcat::parse,
    }
}

/// Reads a whole export: in `format`, or in the detected one when `None`.
/// Returns the format used and what it yielded; writes nothing.
pub fn parse(
    bytes: &[u8],
    format: Option<Format>,
    password: Option<&str>,
) -> Result<(Format, Imported), ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let format = match format {
        Some(f) => f,
        None => detect(bytes).ok_or(ImportError::UnknownFormat)?,
    };
    Ok((format, reader(format)(bytes, password)?))
}
