//! The encrypted token vault: one file, a random master key, and slots that
//! wrap the master key for each way of unlocking it.
//!
//! The format is specified in `docs/vault.md`. In short: a signature line;
//! a one-line JSON header (format, version, vault id, body nonce, slots); a
//! check line (BLAKE2s of the header, so accidental damage is told apart
//! from a wrong passphrase); then the body as binary XChaCha20-Poly1305
//! ciphertext, authenticated with the exact header bytes as associated data.
//!
//! The master key comes, in order, from the kernel key cache (Linux), from
//! the keyring slot (wrapping key in the OS keyring), or from the passphrase
//! slot (Argon2id). Writes are serialized with an advisory lock, replace the
//! file atomically and durably, and keep the previous generation as
//! `factorcat.vault.prev`. A file that cannot be decrypted or parsed is never
//! overwritten.

#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use argon2::Argon2;
use blake2::{Blake2s256, Digest};
use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::{BASE64, HEXLOWER};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::fsutil::{self, io_err};
use crate::keystore::{self, KEY_LEN, Key, KeyringError};
use crate::token::{Token, TokenHead, TokenSites, now_unix};

/// Name of the vault file inside the vault directory.
pub const FILE_NAME: &str = "factorcat.vault";
/// Name of the previous generation, kept beside the vault file.
pub const PREV_FILE_NAME: &str = "factorcat.vault.prev";
/// Name of the advisory lock file inside the vault directory.
pub const LOCK_FILE_NAME: &str = "factorcat.lock";
/// The `header.format` value of every FactorCat vault.
pub const FORMAT: &str = "factorcat-vault";
/// The only format version this build reads and writes.
pub const VERSION: u64 = 1;
/// How long to wait for another process to release the vault lock. Holders
/// keep it for milliseconds (no prompt or keyring dialog runs under it), so
/// this only trips on a stuck process.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);
/// Largest vault file accepted, in bytes (64 MiB; 1,000 tokens take ~0.5 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// Environment variable naming the vault directory.
pub const ENV_HOME: &str = "FACTORCAT_HOME";
/// Environment variable holding the passphrase (see [`Unlock::from_env`]).
pub const ENV_PASSPHRASE: &str = "FACTORCAT_PASSPHRASE";
/// Environment variable that, set to anything but `0` or empty, disables
/// the kernel key cache.
pub const ENV_NO_KEY_CACHE: &str = "FACTORCAT_NO_KEY_CACHE";

const NONCE_LEN: usize = 24;
pub(crate) const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
const SALT_LEN: usize = 32;

/// `$FACTORCAT_HOME` if set (a directory), else the platform data directory
/// (`~/.local/share/factorcat` on Linux).
pub fn default_home() -> Result<PathBuf, VaultError> {
    if let Some(dir) = std::env::var_os(ENV_HOME).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("app", "factorcat", "factorcat")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or(VaultError::NoHome)
}

/// A deleted token, remembered so that a later merge does not resurrect it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tombstone {
    /// The id of the deleted token.
    pub id: Uuid,
    /// When it was deleted, Unix seconds.
    pub deleted: u64,
}

/// The decrypted content of a vault.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct VaultData {
    /// Live tokens, in insertion order.
    #[serde(default)]
    pub tokens: Vec<Token>,
    /// Deleted ids, for later merges.
    #[serde(default)]
    pub tombstones: Vec<Tombstone>,
    /// Per token: the last TOTP time step handed out for filling (used by
    /// the native host so a code is never filled twice).
    #[serde(default)]
    pub fills: BTreeMap<Uuid, u64>,
}

impl VaultData {
    /// The live token with this id.
    pub fn get(&self, id: Uuid) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// The live token with this id, to edit (call [`Token::touch`] after).
    pub fn get_mut(&mut self, id: Uuid) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.id == id)
    }

    /// Adds `token`, or replaces the token with the same id in place. A
    /// tombstone with that id is dropped (the token is alive again).
    pub fn insert(&mut self, token: Token) {
        self.tombstones.retain(|t| t.id != token.id);
        match self.tokens.iter_mut().find(|t| t.id == token.id) {
            Some(slot) => *slot = token,
            None => self.tokens.push(token),
        }
    }

    /// Adds `token` as a new record and returns the id it is stored under.
    /// A token whose id is already taken (a backup that keeps its ids,
    /// imported again after an edit) gets a fresh id, so that adding never
    /// replaces a stored token.
    pub fn add_new(&mut self, mut token: Token) -> Uuid {
        if self.get(token.id).is_some() {
            token.id = Uuid::new_v4();
        }
        let id = token.id;
        self.insert(token);
        id
    }

    /// Removes the token with this id, leaving a tombstone and dropping its
    /// fill record. `None` (and no tombstone) if there was no such token.
    pub fn remove(&mut self, id: Uuid) -> Option<Token> {
        let index = self.tokens.iter().position(|t| t.id == id)?;
        let token = self.tokens.remove(index);
        self.fills.remove(&id);
        self.tombstones.retain(|t| t.id != id);
        self.tombstones.push(Tombstone {
            id,
            deleted: now_unix(),
        });
        Some(token)
    }
}

/// How to obtain the master key when the keyring (and cache) cannot supply it.
#[derive(Default)]
pub struct Unlock {
    /// A passphrase for the passphrase slot.
    pub passphrase: Option<Zeroizing<String>>,
    /// Asks the person for the passphrase; the argument is the prompt text.
    /// Called only when the passphrase slot is needed and `passphrase` is `None`.
    #[allow(clippy::type_complexity)]
    pub prompt: Option<Box<dyn Fn(&str) -> Option<Zeroizing<String>>>>,
}

impl Unlock {
    /// The passphrase from `FACTORCAT_PASSPHRASE` (if set and non-empty), no prompt.
    pub fn from_env() -> Unlock {
        let passphrase = std::env::var(ENV_PASSPHRASE)
            .ok()
            .map(Zeroizing::new)
            .filter(|p| !p.is_empty());
        Unlock {
            passphrase,
            prompt: None,
        }
    }

    /// Unlocks with this passphrase, no prompt.
    pub fn with_passphrase(passphrase: impl Into<String>) -> Unlock {
        Unlock {
            passphrase: Some(Zeroizing::new(passphrase.into())),
            prompt: None,
        }
    }

    fn passphrase_for(&self, file: &Path) -> Option<Zeroizing<String>> {
        if let Some(p) = &self.passphrase {
            return Some(p.clone());
        }
        let prompt = self.prompt.as_ref()?;
        prompt(&format!(
            "Passphrase for the FactorCat vault {}: ",
            file.display()
        ))
    }
}

impl fmt::Debug for Unlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unlock")
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .field("prompt", &self.prompt.as_ref().map(|_| "<callback>"))
            .finish()
    }
}

/// Which slots a new vault gets. At least one is required.
#[derive(Default)]
pub struct CreateOptions {
    /// Add a keyring slot (wrapping key stored in the OS keyring).
    pub keyring: bool,
    /// Add a passphrase slot with this passphrase.
    pub passphrase: Option<Zeroizing<String>>,
}

impl fmt::Debug for CreateOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateOptions")
            .field("keyring", &self.keyring)
            .field(
                "passphrase",
                &self.passphrase.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Argon2id cost parameters of a passphrase slot (stored in the slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// What new passphrase slots use: 64 MiB, 3 passes, 1 lane.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 1,
    };
    /// Most memory a vault may ask for (1 GiB), so a hostile file cannot
    /// exhaust the machine.
    pub const MAX_M_KIB: u32 = 1024 * 1024;
    /// Most passes a vault may ask for.
    pub const MAX_T: u32 = 64;
    /// Most lanes a vault may ask for.
    pub const MAX_P: u32 = 16;

    /// Checks the bounds of `docs/vault.md`: 1 ≤ p ≤ 16, 1 ≤ t ≤ 64,
    /// 8·p ≤ m ≤ 1 GiB. Returns a description of the first violation.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=Self::MAX_P).contains(&self.p) {
            return Err(format!(
                "Argon2 lanes p={} outside 1..={}",
                self.p,
                Self::MAX_P
            ));
        }
        if !(1..=Self::MAX_T).contains(&self.t) {
            return Err(format!(
                "Argon2 passes t={} outside 1..={}",
                self.t,
                Self::MAX_T
            ));
        }
        if self.m_kib < 8 * self.p || self.m_kib > Self::MAX_M_KIB {
            return Err(format!(
                "Argon2 memory m={} KiB outside {}..={}",
                self.m_kib,
                8 * self.p,
                Self::MAX_M_KIB
            ));
        }
        Ok(())
    }

    fn derive(&self, passphrase: &str, salt: &[u8; SALT_LEN]) -> Result<Key, String> {
        self.check()?;
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(KEY_LEN))
            .map_err(|e| e.to_string())?;
        let argon = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(passphrase.as_bytes(), salt, &mut out[..])
            .map_err(|e| e.to_string())?;
        Key::from_slice(&out[..]).ok_or_else(|| "Argon2 output length".to_string())
    }
}

/// What [`Vault::status`] found, without unlocking anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultStatus {
    /// No vault file.
    Missing,
    /// A well-formed vault of a supported version, with these slots.
    Present {
        /// It has a keyring slot.
        has_keyring_slot: bool,
        /// It has a passphrase slot.
        has_passphrase_slot: bool,
    },
    /// A file exists but cannot be used; `reason` is the full error message.
    Unreadable {
        /// What is wrong and what to do.
        reason: String,
    },
}

/// Everything that can go wrong with a vault. Messages name the file and
/// say what to do; none contains a key, passphrase or secret.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// There is no vault file.
    #[error("no vault at {}; the first `factorcat add` creates one (or `factorcat init`); if you have a vault elsewhere, set FACTORCAT_HOME to its directory", path.display())]
    NotFound {
        /// The vault file looked for.
        path: PathBuf,
    },
    /// The OS keyring is locked.
    #[error(
        "the OS keyring is locked, so the vault key cannot be read from it; unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock`) and try again, or unlock with the vault's passphrase by setting FACTORCAT_PASSPHRASE"
    )]
    KeyringLocked,
    /// No usable OS keyring.
    #[error(
        "the OS keyring is unavailable ({detail}); start a Secret Service (log in to a desktop session, or run `gnome-keyring-daemon --start` inside a D-Bus session) and try again, or unlock with the vault's passphrase by setting FACTORCAT_PASSPHRASE"
    )]
    KeyringUnavailable {
        /// The platform's description of the failure.
        detail: String,
    },
    /// The keyring has no (valid) entry for this vault's keyring slot.
    #[error(
        "the OS keyring holds no key for this vault (the entry was deleted, or the vault was copied from another machine or user); unlock with the vault's passphrase by setting FACTORCAT_PASSPHRASE, or restore the keyring entry"
    )]
    NoKeyringSlot,
    /// The keyring entry exists but does not open the keyring slot.
    #[error(
        "the key in the OS keyring does not open the vault {} (the keyring entry belongs to another copy of this vault); unlock with the passphrase by setting FACTORCAT_PASSPHRASE, or restore the matching vault file", path.display()
    )]
    KeyringMismatch {
        /// The vault file.
        path: PathBuf,
    },
    /// The passphrase does not open the passphrase slot.
    #[error("wrong passphrase for the vault; check it (including keyboard layout) and try again")]
    WrongPassphrase,
    /// The vault needs a passphrase and none was given.
    #[error(
        "the vault can only be unlocked with its passphrase here; set FACTORCAT_PASSPHRASE or run the command in a terminal to be asked for it"
    )]
    PassphraseRequired,
    /// The file is damaged or not a vault.
    #[error(
        "the vault {} is damaged ({reason}); it was left untouched — restore the previous generation {}.prev (copy it over the vault) or a backup", path.display(), path.display()
    )]
    Corrupt {
        /// The vault file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The file is a vault of a format version this build does not know.
    #[error(
        "the vault {} has format version {found}, but this FactorCat supports version {supported}; upgrade FactorCat", path.display()
    )]
    UnsupportedVersion {
        /// The vault file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this build supports.
        supported: u64,
    },
    /// An operating-system I/O failure.
    #[error("cannot access {}: {source}; check that the path exists, is yours and the disk is not full", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Locking the vault failed.
    #[error("cannot lock {}: {source}; check that the vault directory is on a local file system you can write to", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// Another process held the vault lock for too long.
    #[error(
        "another FactorCat process held the vault lock {} for over {waited_ms} ms; let it finish (or close it) and try again", path.display()
    )]
    Busy {
        /// The lock file.
        path: PathBuf,
        /// Milliseconds waited.
        waited_ms: u128,
    },
    /// `create` on an existing vault.
    #[error("a vault already exists at {}; use it, or move it away first if you really want a new one", path.display())]
    AlreadyExists {
        /// The existing vault file.
        path: PathBuf,
    },
    /// Removing the only slot would make the vault impossible to open.
    #[error(
        "this is the vault's only way to unlock it; add another (keyring or passphrase) before removing it"
    )]
    LastSlot,
    /// A vault was requested with neither slot.
    #[error("a vault needs at least one way to unlock it: the OS keyring, a passphrase, or both")]
    NoSlot,
    /// An empty passphrase was given for a new passphrase slot.
    #[error("the passphrase is empty; choose a non-empty passphrase")]
    EmptyPassphrase,
    /// Argon2 parameters outside the accepted bounds.
    #[error("invalid passphrase hashing parameters: {reason}")]
    BadKdfParams {
        /// The violated bound.
        reason: String,
    },
    /// No home directory to put the vault in.
    #[error(
        "cannot find a data directory for the vault (no home directory); set FACTORCAT_HOME to a directory"
    )]
    NoHome,
}

impl VaultError {
    /// A stable snake_case identifier for programs (CLI exit mapping, native
    /// messaging). Never changes once released.
    pub fn code(&self) -> &'static str {
        match self {
            VaultError::NotFound { .. } => "vault_missing",
            VaultError::KeyringLocked => "keyring_locked",
            VaultError::KeyringUnavailable { .. } => "keyring_unavailable",
            VaultError::NoKeyringSlot => "keyring_entry_missing",
            VaultError::KeyringMismatch { .. } => "keyring_mismatch",
            VaultError::WrongPassphrase => "wrong_passphrase",
            VaultError::PassphraseRequired => "passphrase_required",
            VaultError::Corrupt { .. } => "vault_corrupt",
            VaultError::UnsupportedVersion { .. } => "vault_version",
            VaultError::Io { .. } => "io_error",
            VaultError::Lock { .. } => "vault_lock",
            VaultError::Busy { .. } => "vault_busy",
            VaultError::AlreadyExists { .. } => "vault_exists",
            VaultError::LastSlot => "last_slot",
            VaultError::NoSlot => "no_slot",
            VaultError::EmptyPassphrase => "passphrase_empty",
            VaultError::BadKdfParams { .. } => "kdf_params",
            VaultError::NoHome => "no_home",
        }
    }
}

impl From<KeyringError> for VaultError {
    fn from(err: KeyringError) -> Self {
        match err {
            KeyringError::Locked(_) => VaultError::KeyringLocked,
            KeyringError::Unavailable(detail) => VaultError::KeyringUnavailable { detail },
            KeyringError::NoEntry | KeyringError::BadEntry => VaultError::NoKeyringSlot,
        }
    }
}

// ---------------------------------------------------------------------------
// On-disk representation

/// The first line of every vault file.
pub(crate) const MAGIC: &[u8] = b"factorcat-vault\n";
/// Longest header line accepted, in bytes.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Length of the check line without its newline (BLAKE2s-256 in hex).
const CHECK_HEX_LEN: usize = 64;

/// Just enough of the header to decide whether it is ours and which version.
#[derive(Deserialize)]
struct ProbeRepr {
    format: Option<String>,
    version: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderRepr {
    format: String,
    version: u64,
    id: Uuid,
    nonce: String,
    slots: Vec<SlotRepr>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlotRepr {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m_kib: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    nonce: String,
    key: String,
}

#[derive(Clone)]
pub(crate) enum Slot {
    Keyring {
        nonce: [u8; NONCE_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
    Passphrase {
        kdf: KdfParams,
        salt: [u8; SALT_LEN],
        nonce: [u8; NONCE_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
}

impl Slot {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Slot::Keyring { .. } => "keyring",
            Slot::Passphrase { .. } => "passphrase",
        }
    }

    /// Wraps `master` under `wrapping` for vault `id`: a fresh nonce and
    /// the encrypted key with its tag. `None` only if the AEAD refuses,
    /// which it does for messages far longer than a key.
    fn wrap_master(
        kind: &str,
        id: Uuid,
        wrapping: &Key,
        master: &Key,
    ) -> Option<([u8; NONCE_LEN], [u8; WRAPPED_LEN])> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = slot_aad(kind, id);
        let mut wrapped = [0u8; WRAPPED_LEN];
        let (body, tag_out) = wrapped.split_at_mut(KEY_LEN);
        body.copy_from_slice(master.expose());
        let tag = XChaCha20Poly1305::new(GenericArray::from_slice(wrapping.expose()))
            .encrypt_in_place_detached(XNonce::from_slice(&nonce), aad.as_bytes(), body)
            .ok()?;
        tag_out.copy_from_slice(&tag);
        Some((nonce, wrapped))
    }

    fn unwrap_master(&self, id: Uuid, wrapping: &Key) -> Option<Key> {
        let (nonce, wrapped) = match self {
            Slot::Keyring { nonce, wrapped } | Slot::Passphrase { nonce, wrapped, .. } => {
                (nonce, wrapped)
            }
        };
        let aad = slot_aad(self.kind(), id);
        let cipher = XChaCha20Poly1305::new(GenericArray::from_slice(wrapping.expose()));
        let opened = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: wrapped,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        let opened = Zeroizing::new(opened);
        Key::from_slice(&opened)
    }

    pub(crate) fn to_repr(&self) -> SlotRepr {
        match self {
            Slot::Keyring { nonce, wrapped } => SlotRepr {
                kind: "keyring".into(),
                kdf: None,
                m_kib: None,
                t: None,
                p: None,
                salt: None,
                nonce: BASE64.encode(nonce),
                key: BASE64.encode(wrapped),
            },
            Slot::Passphrase {
                kdf,
                salt,
                nonce,
                wrapped,
            } => SlotRepr {
                kind: "passphrase".into(),
                kdf: Some("argon2id".into()),
                m_kib: Some(kdf.m_kib),
                t: Some(kdf.t),
                p: Some(kdf.p),
                salt: Some(BASE64.encode(salt)),
                nonce: BASE64.encode(nonce),
                key: BASE64.encode(wrapped),
            },
        }
    }

    fn from_repr(repr: &SlotRepr) -> Result<Slot, String> {
        let nonce = decode_fixed::<NONCE_LEN>(&repr.nonce, "slot nonce")?;
        let wrapped = decode_fixed::<WRAPPED_LEN>(&repr.key, "slot key")?;
        match repr.kind.as_str() {
            "keyring" => {
                if repr.kdf.is_some()
                    || repr.m_kib.is_some()
                    || repr.t.is_some()
                    || repr.p.is_some()
                    || repr.salt.is_some()
                {
                    return Err("keyring slot with passphrase fields".into());
                }
                Ok(Slot::Keyring { nonce, wrapped })
            }
            "passphrase" => {
                if repr.kdf.as_deref() != Some("argon2id") {
                    return Err("passphrase slot without kdf \"argon2id\"".into());
                }
                let (Some(m_kib), Some(t), Some(p), Some(salt)) =
                    (repr.m_kib, repr.t, repr.p, repr.salt.as_deref())
                else {
                    return Err("passphrase slot missing m_kib, t, p or salt".into());
                };
                let kdf = KdfParams { m_kib, t, p };
                kdf.check()?;
                let salt = decode_fixed::<SALT_LEN>(salt, "slot salt")?;
                Ok(Slot::Passphrase {
                    kdf,
                    salt,
                    nonce,
                    wrapped,
                })
            }
            other => Err(format!("unknown slot type {other:?}")),
        }
    }
}

fn slot_aad(kind: &str, id: Uuid) -> String {
    format!("{FORMAT}/{VERSION} {kind} slot {id}")
}

fn decode_fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = BASE64
        .decode(text.as_bytes())
        .map_err(|_| format!("{what} is not canonical base64"))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{what} is {} bytes, expected {N}", bytes.len()))
}

pub(crate) fn header_check(header: &[u8]) -> String {
    HEXLOWER.encode(&Blake2s256::digest(header))
}

#[derive(Clone)]
pub(crate) struct Header {
    pub(crate) id: Uuid,
    pub(crate) nonce: [u8; NONCE_LEN],
    pub(crate) slots: Vec<Slot>,
}

impl Header {
    fn keyring_slot(&self) -> Option<&Slot> {
        self.slots
            .iter()
            .find(|s| matches!(s, Slot::Keyring { .. }))
    }

    fn passphrase_slot(&self) -> Option<&Slot> {
        self.slots
            .iter()
            .find(|s| matches!(s, Slot::Passphrase { .. }))
    }
}

/// A parsed vault file: the header, and where the AAD and body are in its bytes.
pub(crate) struct Parsed {
    pub(crate) header: Header,
    /// The exact header bytes (the AAD of the body).
    pub(crate) aad: std::ops::Range<usize>,
    /// Where the ciphertext starts; it runs to the end of the file.
    pub(crate) body: usize,
}

pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, VaultError> {
    let corrupt = |reason: String| VaultError::Corrupt {
        path: path.to_path_buf(),
        reason,
    };
    if !bytes.starts_with(MAGIC) {
        return Err(corrupt(
            "it does not start with the FactorCat vault signature".into(),
        ));
    }
    let rest = &bytes[MAGIC.len()..];
    let window = &rest[..rest.len().min(MAX_HEADER_BYTES + 1)];
    let header_len = window
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt("the header line is unterminated or too long".into()))?;
    let aad = MAGIC.len()..MAGIC.len() + header_len;
    let header = &bytes[aad.clone()];
    let check_at = aad.end + 1;
    let check = bytes
        .get(check_at..check_at + CHECK_HEX_LEN + 1)
        .ok_or_else(|| corrupt("the file ends inside the check line".into()))?;
    if check[CHECK_HEX_LEN] != b'\n' || &check[..CHECK_HEX_LEN] != header_check(header).as_bytes() {
        return Err(corrupt("the header checksum does not match".into()));
    }
    let probe: ProbeRepr =
        serde_json::from_slice(header).map_err(|e| corrupt(format!("bad header: {e}")))?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(corrupt(format!("the header format is not {FORMAT:?}")));
    }
    match probe.version.as_ref().and_then(|v| v.as_u64()) {
        Some(VERSION) => {}
        Some(found) => {
            return Err(VaultError::UnsupportedVersion {
                path: path.to_path_buf(),
                found,
                supported: VERSION,
            });
        }
        None => return Err(corrupt("the header has no integer version".into())),
    }
    let repr: HeaderRepr =
        serde_json::from_slice(header).map_err(|e| corrupt(format!("bad header: {e}")))?;
    let nonce = decode_fixed::<NONCE_LEN>(&repr.nonce, "body nonce").map_err(corrupt)?;
    if repr.slots.is_empty() {
        return Err(corrupt("the header has no slots".into()));
    }
    let mut slots = Vec::with_capacity(repr.slots.len());
    for slot in &repr.slots {
        let slot = Slot::from_repr(slot).map_err(corrupt)?;
        if slots.iter().any(|s: &Slot| s.kind() == slot.kind()) {
            return Err(corrupt(format!("two {} slots", slot.kind())));
        }
        slots.push(slot);
    }
    let body = check_at + CHECK_HEX_LEN + 1;
    if bytes.len() - body < TAG_LEN {
        return Err(corrupt("the ciphertext is too short".into()));
    }
    Ok(Parsed {
        header: Header {
            id: repr.id,
            nonce,
            slots,
        },
        aad,
        body,
    })
}

/// Counts the bytes written to it, to size buffers exactly.
struct CountingWriter(usize);

impl io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The first line of the body: everything but the token records, plus an
/// index of the tokens' identities in record order (see `docs/vault.md`).
#[derive(Serialize, Deserialize)]
pub(crate) struct BodyHead<I> {
    #[serde(default)]
    tombstones: Vec<Tombstone>,
    #[serde(default)]
    fills: BTreeMap<Uuid, u64>,
    pub(crate) index: I,
}

/// Skips the index when the full records are read anyway.
#[derive(Deserialize)]
struct SkippedIndex(serde::de::IgnoredAny);

/// Writes the body: the head line, then one compact JSON token per line.
/// serde_json escapes control characters inside strings, so a record never
/// contains a raw line feed.
pub(crate) fn write_body<W: io::Write>(mut out: W, data: &VaultData) -> io::Result<()> {
    let index: Vec<TokenHead> = data.tokens.iter().map(TokenHead::of).collect();
    let head = BodyHead {
        tombstones: data.tombstones.clone(),
        fills: data.fills.clone(),
        index,
    };
    serde_json::to_writer(&mut out, &head)?;
    for token in &data.tokens {
        out.write_all(b"\n")?;
        serde_json::to_writer(&mut out, token)?;
    }
    Ok(())
}

/// Splits the body into its head line and its record lines. The body is
/// checked to be UTF-8 once, as a whole (cheaper than string by string), so
/// records are parsed with `serde_json::from_str`.
pub(crate) fn body_lines(text: &str) -> (&str, impl Iterator<Item = &str>) {
    let head_end = memchr::memchr(b'\n', text.as_bytes()).unwrap_or(text.len());
    let rest = text.get(head_end + 1..).unwrap_or_default();
    let records = memchr::memchr_iter(b'\n', rest.as_bytes())
        .chain(std::iter::once(rest.len()))
        .scan(0, move |start, end| {
            // Line feeds are ASCII, so these are character boundaries.
            let line = rest.get(*start..end).unwrap_or_default();
            *start = end + 1;
            Some(line)
        })
        .filter(|line| !line.is_empty());
    (&text[..head_end], records)
}

/// Serializes and encrypts `data` into a complete vault file with a fresh
/// body nonce. The plaintext is written straight into the output buffer,
/// sized exactly beforehand so that no reallocation leaves a stray copy of
/// it on the heap, and encrypted there.
pub(crate) fn encode(
    path: &Path,
    id: Uuid,
    slots: &[Slot],
    master: &Key,
    data: &VaultData,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let repr = HeaderRepr {
        format: FORMAT.into(),
        version: VERSION,
        id,
        nonce: BASE64.encode(&nonce),
        slots: slots.iter().map(Slot::to_repr).collect(),
    };
    let encode_failed = |reason: String| VaultError::Corrupt {
        path: path.to_path_buf(),
        reason: format!("cannot encode the vault: {reason}"),
    };
    let header = serde_json::to_vec(&repr).map_err(|e| encode_failed(e.to_string()))?;
    let body = MAGIC.len() + header.len() + 1 + CHECK_HEX_LEN + 1;
    // Measure first, so the buffer that holds plaintext never reallocates
    // (which would leave an unwiped copy behind).
    let mut counter = CountingWriter(0);
    write_body(&mut counter, data).map_err(|e| encode_failed(e.to_string()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(body + counter.0 + TAG_LEN));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header);
    out.push(b'\n');
    out.extend_from_slice(header_check(&header).as_bytes());
    out.push(b'\n');
    write_body(&mut *out, data).map_err(|e| encode_failed(e.to_string()))?;
    let tag = XChaCha20Poly1305::new(GenericArray::from_slice(master.expose()))
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), &header, &mut out[body..])
        .map_err(|_| encode_failed("encryption failed".into()))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

// ---------------------------------------------------------------------------
// The handle

/// A handle on a vault directory. Creating one does no I/O.
#[derive(Debug, Clone)]
pub struct Vault {
    dir: PathBuf,
    key_cache: Option<bool>,
    lock_wait: Duration,
}

/// An unlocked vault: its key, header and content.
struct Opened {
    master: Key,
    id: Uuid,
    slots: Vec<Slot>,
    data: VaultData,
}

impl Vault {
    /// The vault in directory `dir`.
    pub fn at(dir: impl Into<PathBuf>) -> Vault {
        Vault {
            dir: dir.into(),
            key_cache: None,
            lock_wait: DEFAULT_LOCK_WAIT,
        }
    }

    /// The vault in [`default_home`].
    pub fn locate() -> Result<Vault, VaultError> {
        Ok(Vault::at(default_home()?))
    }

    /// Overrides whether the kernel key cache is used (by default it is,
    /// unless `FACTORCAT_NO_KEY_CACHE` is set).
    pub fn with_key_cache(mut self, enabled: bool) -> Vault {
        self.key_cache = Some(enabled);
        self
    }

    /// Sets how long to wait for another process's lock before failing with
    /// [`VaultError::Busy`] (default [`DEFAULT_LOCK_WAIT`]).
    pub fn with_lock_wait(mut self, wait: Duration) -> Vault {
        self.lock_wait = wait;
        self
    }

    /// The vault directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The vault file.
    pub fn file(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// The previous generation of the vault file.
    pub fn prev_file(&self) -> PathBuf {
        self.dir.join(PREV_FILE_NAME)
    }

    /// The advisory lock file.
    pub fn lock_file(&self) -> PathBuf {
        self.dir.join(LOCK_FILE_NAME)
    }

    /// Whether anything is at the vault file's path. A symbolic link (even
    /// a dangling one) or a directory there counts: it is refused when read,
    /// and nothing is ever created over it.
    pub fn exists(&self) -> bool {
        fs::symlink_metadata(self.file()).is_ok()
    }

    fn cache_enabled(&self) -> bool {
        self.key_cache.unwrap_or_else(|| {
            std::env::var_os(ENV_NO_KEY_CACHE).is_none_or(|v| v.is_empty() || v == "0")
        })
    }

    /// Creates a new vault with the slots in `opts` and default Argon2id
    /// parameters. Refuses if a vault exists.
    pub fn create(&self, opts: &CreateOptions) -> Result<(), VaultError> {
        self.create_with_kdf(opts, KdfParams::DEFAULT)
    }

    /// [`Vault::create`] with explicit Argon2id parameters for the
    /// passphrase slot (tests use cheap ones; people should not).
    pub fn create_with_kdf(&self, opts: &CreateOptions, kdf: KdfParams) -> Result<(), VaultError> {
        if !opts.keyring && opts.passphrase.is_none() {
            return Err(VaultError::NoSlot);
        }
        if opts.passphrase.as_ref().is_some_and(|p| p.is_empty()) {
            return Err(VaultError::EmptyPassphrase);
        }
        kdf.check()
            .map_err(|reason| VaultError::BadKdfParams { reason })?;
        let file = self.file();
        if self.exists() {
            return Err(VaultError::AlreadyExists { path: file });
        }
        fsutil::create_private_dir(&self.dir)?;
        let _lock = fsutil::lock(&self.lock_file(), true, self.lock_wait)?;
        if self.exists() {
            return Err(VaultError::AlreadyExists { path: file });
        }
        let id = Uuid::new_v4();
        let master = Key::random();
        let mut slots = Vec::new();
        if let Some(passphrase) = &opts.passphrase {
            slots.push(passphrase_slot(&file, id, &master, passphrase, kdf)?);
        }
        let keyring_id = id.to_string();
        if opts.keyring {
            let wrapping = Key::random();
            keystore::keyring_set(&keyring_id, &wrapping)?;
            let (nonce, wrapped) = Slot::wrap_master("keyring", id, &wrapping, &master)
                .ok_or_else(|| wrap_failed(&file))?;
            slots.insert(0, Slot::Keyring { nonce, wrapped });
        }
        let written = encode(&file, id, &slots, &master, &VaultData::default()).and_then(|bytes| {
            fsutil::replace_keeping_prev(&self.dir, &file, &self.prev_file(), &bytes)
        });
        if let Err(e) = written {
            if opts.keyring {
                let _ = keystore::keyring_delete(&keyring_id);
            }
            return Err(e);
        }
        if opts.keyring && self.cache_enabled() {
            keystore::cache_put(&keyring_id, &master);
        }
        Ok(())
    }

    /// Reads the vault under a shared lock, then decrypts it. The lock is
    /// held only while reading the file (writers replace it by rename, so
    /// the bytes read are one consistent generation): a passphrase prompt or
    /// a keyring unlock dialog never blocks other FactorCat processes.
    pub fn read(&self, unlock: &Unlock) -> Result<VaultData, VaultError> {
        let mut bytes = self.read_snapshot()?;
        Ok(self.open(&mut bytes, unlock, None)?.data)
    }

    /// Reads the vault and returns the one token that `pick` chooses from
    /// the tokens' identities ([`TokenHead`]s). Only the chosen record is
    /// fully decoded, so a look-up in a large vault costs a scan of the
    /// decrypted text rather than building every token — this is the path
    /// `factorcat code` takes.
    pub fn read_one<E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        pick: impl FnOnce(&[TokenHead]) -> Result<usize, E>,
    ) -> Result<Token, E> {
        let mut bytes = self.read_snapshot()?;
        let (_, _, plain) = self.decrypt(&mut bytes, unlock, None)?;
        let (head, mut records) = body_lines(self.utf8(&bytes[plain])?);
        let head: BodyHead<Vec<TokenHead>> =
            serde_json::from_str(head).map_err(|e| self.unparsable(&e))?;
        let index = pick(&head.index)?;
        let record = records.nth(index).ok_or_else(|| self.inconsistent())?;
        let token: Token = serde_json::from_str(record).map_err(|e| self.unparsable(&e))?;
        if head.index.get(index).map(|h| h.id) != Some(token.id) {
            return Err(self.inconsistent().into());
        }
        Ok(token)
    }

    /// Reads the vault for site matching: `pick` sees every token's
    /// matching fields ([`TokenSites`], decoded without secrets) and returns
    /// the positions of the tokens it wants; those alone are fully decoded
    /// and returned, in `pick`'s order. Cheaper than [`Vault::read`] on a
    /// large vault.
    pub fn read_matching<E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        pick: impl FnOnce(&[TokenSites]) -> Result<Vec<usize>, E>,
    ) -> Result<Vec<Token>, E> {
        let mut bytes = self.read_snapshot()?;
        let (_, _, plain) = self.decrypt(&mut bytes, unlock, None)?;
        let (_, records) = body_lines(self.utf8(&bytes[plain])?);
        let records: Vec<&str> = records.collect();
        // Sized up front: growing by doubling would touch (and fault in)
        // about twice the memory.
        let mut light = Vec::with_capacity(records.len());
        for record in &records {
            light
                .push(serde_json::from_str::<TokenSites>(record).map_err(|e| self.unparsable(&e))?);
        }
        let picked = pick(&light)?;
        let mut tokens = Vec::with_capacity(picked.len());
        for index in picked {
            let record = records.get(index).ok_or_else(|| self.inconsistent())?;
            let token: Token = serde_json::from_str(record).map_err(|e| self.unparsable(&e))?;
            if token.id != light[index].id {
                return Err(self.inconsistent().into());
            }
            tokens.push(token);
        }
        Ok(tokens)
    }

    /// Parses a whole decrypted body.
    pub(crate) fn parse_body(&self, text: &[u8]) -> Result<VaultData, VaultError> {
        let (head, records) = body_lines(self.utf8(text)?);
        let head: BodyHead<SkippedIndex> =
            serde_json::from_str(head).map_err(|e| self.unparsable(&e))?;
        let tokens = records
            .map(serde_json::from_str::<Token>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.unparsable(&e))?;
        Ok(VaultData {
            tokens,
            tombstones: head.tombstones,
            fills: head.fills,
        })
    }

    /// The decrypted body as text.
    fn utf8<'t>(&self, text: &'t [u8]) -> Result<&'t str, VaultError> {
        std::str::from_utf8(text).map_err(|e| VaultError::Corrupt {
            path: self.file(),
            reason: format!(
                "the decrypted contents are not UTF-8 text (byte {})",
                e.valid_up_to()
            ),
        })
    }

    /// The error for a body whose index and records disagree.
    fn inconsistent(&self) -> VaultError {
        VaultError::Corrupt {
            path: self.file(),
            reason: "the token index does not match the token records".into(),
        }
    }

    /// The error for decrypted contents that do not parse.
    fn unparsable(&self, e: &serde_json::Error) -> VaultError {
        VaultError::Corrupt {
            path: self.file(),
            // Position only: serde's message could quote a field value.
            reason: format!(
                "the decrypted contents are not a valid token list (line {}, column {})",
                e.line(),
                e.column()
            ),
        }
    }

    /// The vault file's bytes, read under the shared lock.
    fn read_snapshot(&self) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if !self.exists() {
            return Err(VaultError::NotFound { path: self.file() });
        }
        // A read-only vault directory (a mounted backup, say) has no lock
        // file to create; reading it unlocked is still safe because writers
        // replace the file by rename.
        let _lock = match fsutil::lock(&self.lock_file(), false, self.lock_wait) {
            Ok(lock) => Some(lock),
            Err(VaultError::Io { source, .. })
                if matches!(
                    source.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                None
            }
            Err(e) => return Err(e),
        };
        self.read_bytes()
    }

    /// Unlocks the current generation without holding the exclusive lock
    /// (this may prompt), returning the master key and vault id.
    fn unlock_snapshot(&self, unlock: &Unlock) -> Result<(Key, Uuid), VaultError> {
        let mut bytes = self.read_snapshot()?;
        let (master, header, _) = self.decrypt(&mut bytes, unlock, None)?;
        Ok((master, header.id))
    }

    /// Exclusive lock; re-read; run `f`; if `f` returns `Ok`, write
    /// atomically (previous generation kept); if `Err`, write nothing.
    pub fn update<T, E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        f: impl FnOnce(&mut VaultData) -> Result<T, E>,
    ) -> Result<T, E> {
        // Unlock first, outside the lock; under it, the key is reused.
        let (master, _) = self.unlock_snapshot(unlock)?;
        let _lock = fsutil::lock(&self.lock_file(), true, self.lock_wait)?;
        let mut bytes = self.read_bytes()?;
        let mut opened = self.open(&mut bytes, unlock, Some(&master))?;
        let out = f(&mut opened.data)?;
        self.write(&opened)?;
        Ok(out)
    }

    /// Adds or changes (`Some`) or removes (`None`) the passphrase slot,
    /// with default Argon2id parameters. Refuses to remove the last slot.
    pub fn set_passphrase(
        &self,
        unlock: &Unlock,
        new: Option<Zeroizing<String>>,
    ) -> Result<(), VaultError> {
        self.set_passphrase_with_kdf(unlock, new, KdfParams::DEFAULT)
    }

    /// [`Vault::set_passphrase`] with explicit Argon2id parameters.
    pub fn set_passphrase_with_kdf(
        &self,
        unlock: &Unlock,
        new: Option<Zeroizing<String>>,
        kdf: KdfParams,
    ) -> Result<(), VaultError> {
        kdf.check()
            .map_err(|reason| VaultError::BadKdfParams { reason })?;
        if new.as_ref().is_some_and(|p| p.is_empty()) {
            return Err(VaultError::EmptyPassphrase);
        }
        // Unlock and derive the new slot (slow by design) outside the lock.
        let (master, id) = self.unlock_snapshot(unlock)?;
        let new_slot = match &new {
            Some(passphrase) => Some(passphrase_slot(&self.file(), id, &master, passphrase, kdf)?),
            None => None,
        };
        let _lock = fsutil::lock(&self.lock_file(), true, self.lock_wait)?;
        let mut bytes = self.read_bytes()?;
        let mut opened = self.open(&mut bytes, unlock, Some(&master))?;
        opened
            .slots
            .retain(|s| !matches!(s, Slot::Passphrase { .. }));
        match (new, new_slot) {
            // The slot was made for this vault and key (the normal case).
            (Some(_), Some(slot))
                if opened.id == id && opened.master.expose() == master.expose() =>
            {
                opened.slots.push(slot)
            }
            // The vault was replaced meanwhile: wrap its own key.
            (Some(passphrase), _) => {
                let slot =
                    passphrase_slot(&self.file(), opened.id, &opened.master, &passphrase, kdf)?;
                opened.slots.push(slot);
            }
            (None, _) if opened.slots.is_empty() => return Err(VaultError::LastSlot),
            (None, _) => {}
        }
        self.write(&opened)
    }

    /// Cheap look at the vault without unlocking it.
    pub fn status(&self) -> VaultStatus {
        let file = self.file();
        match fs::symlink_metadata(&file) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return VaultStatus::Missing,
            _ => {}
        }
        let parsed = self.read_head().and_then(|bytes| {
            parse(&file, &bytes).map(|p| {
                (
                    p.header.keyring_slot().is_some(),
                    p.header.passphrase_slot().is_some(),
                )
            })
        });
        match parsed {
            Ok((has_keyring_slot, has_passphrase_slot)) => VaultStatus::Present {
                has_keyring_slot,
                has_passphrase_slot,
            },
            Err(e) => VaultStatus::Unreadable {
                reason: e.to_string(),
            },
        }
    }

    /// The vault's id (the keyring user name), read from the header.
    pub fn id(&self) -> Result<Uuid, VaultError> {
        let bytes = self.read_snapshot()?;
        Ok(parse(&self.file(), &bytes)?.header.id)
    }

    /// Drops this vault's master key from the kernel key cache, so the next
    /// use must unlock through a slot again.
    pub fn forget_cached_key(&self) -> Result<(), VaultError> {
        keystore::cache_drop(&self.id()?.to_string());
        Ok(())
    }

    /// The whole vault file, in a buffer that is wiped on drop (the body is
    /// decrypted in place).
    fn read_bytes(&self) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let (path, mut file, len) = self.open_file()?;
        let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize + 1));
        file.by_ref()
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| io_err(&path, e))?;
        Ok(bytes)
    }

    /// Opens the vault file and checks its size; returns its path, the
    /// open file and its length.
    /// Only a regular file is a vault: a directory or a device is not one,
    /// and a symbolic link is not followed, because the next write would
    /// replace the link itself with a file.
    fn open_file(&self) -> Result<(PathBuf, File, u64), VaultError> {
        let path = self.file();
        let not_found = |e: io::Error| match e.kind() {
            io::ErrorKind::NotFound => VaultError::NotFound { path: path.clone() },
            _ => io_err(&path, e),
        };
        let kind = fs::symlink_metadata(&path).map_err(not_found)?.file_type();
        let refused = if kind.is_symlink() {
            Some(
                "it is a symbolic link, which FactorCat does not follow because a write would \
                 replace the link with a file; put the file itself here, or set FACTORCAT_HOME \
                 to the directory that holds it",
            )
        } else if kind.is_dir() {
            Some("it is a directory, not a file")
        } else if !kind.is_file() {
            Some("it is not a regular file")
        } else {
            None
        };
        if let Some(reason) = refused {
            return Err(VaultError::Corrupt {
                path,
                reason: reason.into(),
            });
        }
        let file = File::open(&path).map_err(not_found)?;
        let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
        if len > MAX_FILE_BYTES {
            return Err(VaultError::Corrupt {
                path,
                reason: format!("{len} bytes, more than the {MAX_FILE_BYTES}-byte limit"),
            });
        }
        Ok((path, file, len))
    }

    /// The start of the vault file: as much as [`parse`] looks at (the
    /// longest header, its check line and a tag's worth of ciphertext), so
    /// that it gives the same answer as on the whole file. The body is
    /// ciphertext; nothing read here is secret.
    fn read_head(&self) -> Result<Vec<u8>, VaultError> {
        const HEAD_BYTES: usize = MAGIC.len() + MAX_HEADER_BYTES + 1 + CHECK_HEX_LEN + 1 + TAG_LEN;
        let (path, file, len) = self.open_file()?;
        let mut bytes = Vec::with_capacity((len as usize).min(HEAD_BYTES) + 1);
        file.take(HEAD_BYTES as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| io_err(&path, e))?;
        Ok(bytes)
    }

    fn write(&self, opened: &Opened) -> Result<(), VaultError> {
        let file = self.file();
        let bytes = encode(
            &file,
            opened.id,
            &opened.slots,
            &opened.master,
            &opened.data,
        )?;
        fsutil::remove_stale_temps(&self.dir, &file);
        fsutil::replace_keeping_prev(&self.dir, &file, &self.prev_file(), &bytes)
    }

    /// Parses and decrypts `bytes` and parses the contents.
    fn open(
        &self,
        bytes: &mut [u8],
        unlock: &Unlock,
        known: Option<&Key>,
    ) -> Result<Opened, VaultError> {
        let (master, header, plain) = self.decrypt(bytes, unlock, known)?;
        let data = self.parse_body(&bytes[plain])?;
        Ok(Opened {
            master,
            id: header.id,
            slots: header.slots,
            data,
        })
    }

    /// Parses `bytes` and decrypts the body in place with the first key
    /// that works: `known` (a key unlocked earlier), the kernel cache, the
    /// keyring slot, the passphrase slot. Returns the key, the header and
    /// where the plaintext is in `bytes`.
    fn decrypt(
        &self,
        bytes: &mut [u8],
        unlock: &Unlock,
        known: Option<&Key>,
    ) -> Result<(Key, Header, std::ops::Range<usize>), VaultError> {
        let path = self.file();
        let parsed = parse(&path, bytes)?;
        let plain = parsed.body..bytes.len() - TAG_LEN;
        let header = &parsed.header;
        let (head, body) = bytes.split_at_mut(parsed.body);
        let mut body = Body {
            nonce: &header.nonce,
            aad: &head[parsed.aad.clone()],
            bytes: body,
        };
        let id = header.id.to_string();
        let cache = self.cache_enabled();
        let done = |master: Key| Ok((master, parsed.header.clone(), plain.clone()));

        if let Some(master) = known
            && body.decrypt(master)
        {
            return done(master.clone());
        }

        if cache && let Some(master) = keystore::cache_get(&id) {
            if body.decrypt(&master) {
                return done(master);
            }
            keystore::cache_drop(&id);
        }

        let mut keyring_failure = None;
        if let Some(slot) = header.keyring_slot() {
            match keystore::keyring_get(&id) {
                Ok(wrapping) => match slot.unwrap_master(header.id, &wrapping) {
                    Some(master) => {
                        if !body.decrypt(&master) {
                            return Err(body_damaged(&path));
                        }
                        if cache {
                            keystore::cache_put(&id, &master);
                        }
                        return done(master);
                    }
                    None => {
                        keyring_failure = Some(VaultError::KeyringMismatch { path: path.clone() })
                    }
                },
                Err(e) => keyring_failure = Some(e.into()),
            }
        }

        if let Some(slot @ Slot::Passphrase { kdf, salt, .. }) = header.passphrase_slot() {
            let Some(passphrase) = unlock.passphrase_for(&path) else {
                return Err(keyring_failure.unwrap_or(VaultError::PassphraseRequired));
            };
            let wrapping = kdf
                .derive(&passphrase, salt)
                .map_err(|reason| VaultError::Corrupt {
                    path: path.clone(),
                    reason,
                })?;
            let master = slot
                .unwrap_master(header.id, &wrapping)
                .ok_or(VaultError::WrongPassphrase)?;
            if !body.decrypt(&master) {
                return Err(body_damaged(&path));
            }
            return done(master);
        }

        Err(keyring_failure.unwrap_or(VaultError::NoSlot))
    }
}

fn wrap_failed(path: &Path) -> VaultError {
    VaultError::Corrupt {
        path: path.to_path_buf(),
        reason: "cannot encode the vault: wrapping the master key failed".into(),
    }
}

fn passphrase_slot(
    path: &Path,
    id: Uuid,
    master: &Key,
    passphrase: &str,
    kdf: KdfParams,
) -> Result<Slot, VaultError> {
    let mut salt = [0u8; SALT_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let wrapping = kdf
        .derive(passphrase, &salt)
        .map_err(|reason| VaultError::BadKdfParams { reason })?;
    let (nonce, wrapped) =
        Slot::wrap_master("passphrase", id, &wrapping, master).ok_or_else(|| wrap_failed(path))?;
    Ok(Slot::Passphrase {
        kdf,
        salt,
        nonce,
        wrapped,
    })
}

fn body_damaged(path: &Path) -> VaultError {
    VaultError::Corrupt {
        path: path.to_path_buf(),
        reason: "the encrypted contents fail authentication".into(),
    }
}

/// The encrypted body of a vault file, decrypted in place.
pub(crate) struct Body<'a> {
    pub(crate) nonce: &'a [u8; NONCE_LEN],
    pub(crate) aad: &'a [u8],
    /// Ciphertext and tag; after a successful [`Body::decrypt`], plaintext and tag.
    pub(crate) bytes: &'a mut [u8],
}

impl Body<'_> {
    /// Decrypts with `master`. On failure the bytes are left unchanged, so
    /// another key can be tried.
    pub(crate) fn decrypt(&mut self, master: &Key) -> bool {
        let Some(tag_at) = self.bytes.len().checked_sub(TAG_LEN) else {
            return false;
        };
        let (msg, tag) = self.bytes.split_at_mut(tag_at);
        let tag = *GenericArray::from_slice(tag);
        XChaCha20Poly1305::new(GenericArray::from_slice(master.expose()))
            .decrypt_in_place_detached(XNonce::from_slice(self.nonce), self.aad, msg, &tag)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    const FAST: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    fn token(n: u8) -> Token {
        Token::new(
            format!("Issuer {n}"),
            "me",
            Secret::from_bytes(vec![n; 20]).unwrap(),
        )
    }

    #[test]
    fn add_new_never_replaces_a_stored_token() {
        let mut data = VaultData::default();
        let a = token(1);
        assert_eq!(data.add_new(a.clone()), a.id);
        let mut same_id = token(2);
        same_id.id = a.id;
        let stored_as = data.add_new(same_id);
        assert_ne!(stored_as, a.id);
        assert_eq!(data.tokens.len(), 2);
        assert_eq!(data.get(a.id), Some(&a));
        assert_eq!(data.get(stored_as).unwrap().issuer, "Issuer 2");
    }

    #[test]
    fn insert_replaces_in_place_and_revives_tombstones() {
        let mut data = VaultData::default();
        let (a, b) = (token(1), token(2));
        data.insert(a.clone());
        data.insert(b.clone());
        let mut a2 = a.clone();
        a2.account = "changed".into();
        data.insert(a2);
        assert_eq!(data.tokens.len(), 2);
        assert_eq!(data.tokens[0].account, "changed");
        data.fills.insert(b.id, 42);
        assert_eq!(data.remove(b.id).map(|t| t.id), Some(b.id));
        assert!(data.fills.is_empty());
        assert_eq!(data.tombstones.len(), 1);
        assert_eq!(data.tombstones[0].id, b.id);
        assert!(data.remove(b.id).is_none());
        assert_eq!(data.tombstones.len(), 1);
        data.insert(b.clone());
        assert!(data.tombstones.is_empty());
        assert_eq!(data.get(b.id), Some(&b));
        data.get_mut(b.id).unwrap().pinned = true;
        assert!(data.get(b.id).unwrap().pinned);
    }

    #[test]
    fn kdf_bounds() {
        assert!(KdfParams::DEFAULT.check().is_ok());
        assert!(FAST.check().is_ok());
        for bad in [
            KdfParams {
                m_kib: 7,
                t: 1,
                p: 1,
            },
            KdfParams {
                m_kib: 64,
                t: 0,
                p: 1,
            },
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 0,
            },
            KdfParams {
                m_kib: 64,
                t: 65,
                p: 1,
            },
            KdfParams {
                m_kib: 64,
                t: 1,
                p: 17,
            },
            KdfParams {
                m_kib: u32::MAX,
                t: 1,
                p: 1,
            },
        ] {
            assert!(bad.check().is_err(), "{bad:?}");
        }
    }

    /// Builds a file from a header value with a correct check line.
    fn file_with_header(header: &serde_json::Value) -> Vec<u8> {
        let header = serde_json::to_vec(header).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&header);
        out.push(b'\n');
        out.extend_from_slice(header_check(&header).as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&[0u8; 64]);
        out
    }

    fn sample_header() -> serde_json::Value {
        let master = Key::random();
        let wrapping = Key::random();
        let id = Uuid::new_v4();
        let (nonce, wrapped) = Slot::wrap_master("keyring", id, &wrapping, &master).unwrap();
        let slot = Slot::Keyring { nonce, wrapped }.to_repr();
        serde_json::json!({
            "format": FORMAT,
            "version": VERSION,
            "id": id,
            "nonce": BASE64.encode(&[1u8; NONCE_LEN]),
            "slots": [serde_json::to_value(slot).unwrap()],
        })
    }

    fn parse_code(header: &serde_json::Value) -> &'static str {
        match parse(Path::new("v"), &file_with_header(header)) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn parse_accepts_the_sample_and_rejects_each_rule() {
        let good = sample_header();
        assert_eq!(parse_code(&good), "ok");
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "unknown version",
                Box::new(|h| h["version"] = 2.into()),
                "vault_version",
            ),
            (
                "string version",
                Box::new(|h| h["version"] = "1".into()),
                "vault_corrupt",
            ),
            (
                "other format",
                Box::new(|h| h["format"] = "aegis".into()),
                "vault_corrupt",
            ),
            (
                "no slots",
                Box::new(|h| h["slots"] = serde_json::json!([])),
                "vault_corrupt",
            ),
            (
                "short nonce",
                Box::new(|h| h["nonce"] = BASE64.encode(&[1u8; 12]).into()),
                "vault_corrupt",
            ),
            (
                "bad id",
                Box::new(|h| h["id"] = "nope".into()),
                "vault_corrupt",
            ),
            (
                "unknown field",
                Box::new(|h| h["extra"] = 1.into()),
                "vault_corrupt",
            ),
            (
                "duplicate slot",
                Box::new(|h| {
                    let s = h["slots"][0].clone();
                    h["slots"].as_array_mut().unwrap().push(s);
                }),
                "vault_corrupt",
            ),
            (
                "unknown slot",
                Box::new(|h| h["slots"][0]["type"] = "fido".into()),
                "vault_corrupt",
            ),
            (
                "short wrapped key",
                Box::new(|h| h["slots"][0]["key"] = BASE64.encode(&[0u8; 32]).into()),
                "vault_corrupt",
            ),
            (
                "passphrase slot without salt",
                Box::new(|h| {
                    h["slots"][0]["type"] = "passphrase".into();
                    h["slots"][0]["kdf"] = "argon2id".into();
                    h["slots"][0]["m_kib"] = 64.into();
                    h["slots"][0]["t"] = 1.into();
                    h["slots"][0]["p"] = 1.into();
                }),
                "vault_corrupt",
            ),
            (
                "huge argon2 memory",
                Box::new(|h| {
                    h["slots"][0]["type"] = "passphrase".into();
                    h["slots"][0]["kdf"] = "argon2id".into();
                    h["slots"][0]["m_kib"] = 4_000_000.into();
                    h["slots"][0]["t"] = 1.into();
                    h["slots"][0]["p"] = 1.into();
                    h["slots"][0]["salt"] = BASE64.encode(&[0u8; SALT_LEN]).into();
                }),
                "vault_corrupt",
            ),
        ];
        for (what, edit, expected) in cases {
            let mut header = good.clone();
            edit(&mut header);
            assert_eq!(parse_code(&header), expected, "{what}");
        }
        // A correct header with a wrong check digest.
        let mut bytes = file_with_header(&good);
        let at = bytes.len() - 64 - 3;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            parse(Path::new("v"), &bytes).err().map(|e| e.code()),
            Some("vault_corrupt")
        );
    }

    #[test]
    fn passphrase_slot_unwraps_only_with_its_passphrase() {
        let id = Uuid::new_v4();
        let master = Key::random();
        let slot = passphrase_slot(Path::new("v"), id, &master, "pw", FAST).unwrap();
        let Slot::Passphrase { kdf, salt, .. } = &slot else {
            panic!("not a passphrase slot");
        };
        let right = kdf.derive("pw", salt).unwrap();
        let wrong = kdf.derive("pW", salt).unwrap();
        assert_eq!(
            slot.unwrap_master(id, &right).unwrap().expose(),
            master.expose()
        );
        assert!(slot.unwrap_master(id, &wrong).is_none());
        // Bound to the vault id: the same slot in another vault does not open.
        assert!(slot.unwrap_master(Uuid::new_v4(), &right).is_none());
    }

    #[test]
    fn errors_never_show_secrets_and_say_what_to_do() {
        let e = VaultError::Corrupt {
            path: PathBuf::from("dir/factorcat.vault"),
            reason: "x".into(),
        };
        assert!(e.to_string().contains("dir/factorcat.vault.prev"));
        assert_eq!(e.code(), "vault_corrupt");
        let unlock = Unlock::with_passphrase("hunter2");
        assert!(!format!("{unlock:?}").contains("hunter2"));
        let opts = CreateOptions {
            keyring: false,
            passphrase: Some(Zeroizing::new("hunter2".into())),
        };
        assert!(!format!("{opts:?}").contains("hunter2"));
        assert!(
            VaultError::KeyringLocked
                .to_string()
                .contains("FACTORCAT_PASSPHRASE")
        );
    }
}
