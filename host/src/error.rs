//! The stable codes of everything that can go wrong, one enum for every
//! front end.
//!
//! Each domain error (`VaultError`, `ImportError`, `TokenError`, …) names
//! its [`ErrorCode`]; the native host sends the code's string form in its
//! error replies, and the command line maps each code to one of its
//! documented exit codes. The string forms are the append-only table of
//! `docs/protocol.md` §5, in the same order ([`ErrorCode::ALL`]; a test
//! compares the two): a code is never renamed or reused, new codes go at
//! the end.
//!
//! This module depends on nothing else of the crate, so every domain module
//! can name its codes without knowing the front ends.

use std::fmt;

/// Declares the enum, its string forms and the list of all codes, in the
/// order of the protocol's table.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A stable error code (the protocol's `error.code`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[$doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the order of the protocol's table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The `snake_case` form sent on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    /// The extension id is not FactorCat's.
    ForbiddenCaller = "forbidden_caller",
    /// A request's length prefix is over 1 MiB.
    FrameTooLarge = "frame_too_large",
    /// A zero-length request.
    EmptyFrame = "empty_frame",
    /// The request body is not UTF-8.
    InvalidUtf8 = "invalid_utf8",
    /// The body is not JSON, or nests too deep.
    InvalidJson = "invalid_json",
    /// The JSON is not an object.
    NotAnObject = "not_an_object",
    /// A request field is missing or of the wrong type.
    BadRequest = "bad_request",
    /// No such operation.
    UnknownOp = "unknown_op",
    /// No token has that id (or matches that query).
    UnknownToken = "unknown_token",
    /// The URL does not parse or has no host.
    InvalidUrl = "invalid_url",
    /// The URL is not `https`.
    InsecureUrl = "insecure_url",
    /// A token's values were refused (secret, digits, period, sites, lengths, …).
    InvalidToken = "invalid_token",
    /// An `otpauth://` URI could not be read.
    InvalidUri = "invalid_uri",
    /// Something this build cannot do.
    NotSupported = "not_supported",
    /// The current and next code were already handed out (filled, or
    /// printed as fresh codes).
    CodeAlreadyUsed = "code_already_used",
    /// A reply would exceed 1 MiB.
    ReplyTooLarge = "reply_too_large",
    /// A bug in FactorCat.
    Internal = "internal",
    /// No vault yet.
    VaultMissing = "vault_missing",
    /// The OS keyring is locked.
    KeyringLocked = "keyring_locked",
    /// No OS keyring is reachable.
    KeyringUnavailable = "keyring_unavailable",
    /// The passphrase does not open the vault.
    WrongPassphrase = "wrong_passphrase",
    /// The vault needs a passphrase and none was given.
    PassphraseRequired = "passphrase_required",
    /// The vault file is damaged.
    VaultCorrupt = "vault_corrupt",
    /// The keyring has no entry for the vault's keyring slot.
    KeyringEntryMissing = "keyring_entry_missing",
    /// The keyring entry does not open this vault.
    KeyringMismatch = "keyring_mismatch",
    /// The vault was written by a newer FactorCat.
    VaultVersion = "vault_version",
    /// The vault's lock could not be taken.
    VaultLock = "vault_lock",
    /// Another process held the vault too long.
    VaultBusy = "vault_busy",
    /// Reading or writing a file failed.
    IoError = "io_error",
    /// No data directory for the vault.
    NoHome = "no_home",
    /// The image holds no QR code.
    QrNotFound = "qr_not_found",
    /// A QR code was seen but could not be read.
    QrUnreadable = "qr_unreadable",
    /// The image is too large.
    QrImageTooLarge = "qr_image_too_large",
    /// The image is not PNG or JPEG.
    QrImageUnsupported = "qr_image_unsupported",
    /// The image file is damaged.
    QrImageDamaged = "qr_image_damaged",
    /// The image's QR codes hold no token link.
    QrNoTokens = "qr_no_tokens",
    /// An export's format was not recognised.
    UnknownFormat = "unknown_format",
    /// An export is encrypted and no password was given.
    PasswordRequired = "password_required",
    /// The password does not open the export.
    WrongPassword = "wrong_password",
    /// An export is damaged or not of its format.
    ImportDamaged = "import_damaged",
    /// A version or variant of an export format FactorCat does not read.
    ImportUnsupported = "import_unsupported",
    /// An export file is too large.
    ImportTooLarge = "import_too_large",
    /// Some entries of an export cannot be read.
    ImportBadEntries = "import_bad_entries",
    /// Creating a vault where one exists.
    VaultExists = "vault_exists",
    /// Removing the vault's only way to unlock it.
    LastSlot = "last_slot",
    /// A vault with no way to unlock it.
    NoSlot = "no_slot",
    /// An empty passphrase for a new slot or an export.
    PassphraseEmpty = "passphrase_empty",
    /// Passphrase hashing parameters out of bounds.
    KdfParams = "kdf_params",
    /// A query matches several tokens.
    AmbiguousQuery = "ambiguous_query",
    /// A new token makes the same codes as a stored one.
    DuplicateToken = "duplicate_token",
    /// No unused code with enough time left is valid now, and the caller
    /// would not wait.
    NoFreshCode = "no_fresh_code",
    /// The vault file is older than one this machine has seen (put back).
    VaultRollback = "vault_rollback",
    /// A file given to merge is a copy of another vault.
    OtherVault = "other_vault",
    /// The ledger file beside the vault is damaged or of another vault.
    LedgerUnusable = "ledger_unusable",
}

impl ErrorCode {
    /// The code with this string form.
    pub fn parse(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes of the table in `docs/protocol.md` §5, in its order.
    fn documented() -> Vec<String> {
        let doc = include_str!("../../docs/protocol.md");
        let table = doc
            .split("## 5. Error codes")
            .nth(1)
            .expect("protocol.md has its error-code section");
        let table = table.split("\n## ").next().unwrap_or(table);
        table
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`').map(|(code, _)| code.to_string()))
            .collect()
    }

    #[test]
    fn the_protocol_table_lists_every_code_in_order() {
        let names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(documented(), names);
    }

    #[test]
    fn string_forms_are_unique_snake_case_and_parse_back() {
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            let text = code.as_str();
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{text}"
            );
            assert_eq!(ErrorCode::parse(text), Some(*code));
            assert!(!ErrorCode::ALL[..i].contains(code), "{text} twice");
            assert_eq!(serde_json::to_value(code).unwrap(), text);
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }
}
