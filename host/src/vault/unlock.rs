//! How the master key is obtained: what the caller can offer ([`Unlock`]:
//! a passphrase or a way to ask for one) and the order in which the ways
//! are tried (`docs/vault.md` §5): a key already unlocked, the kernel key
//! cache, the keyring slot, the passphrase slot.

use std::fmt;
use std::path::Path;

use zeroize::Zeroizing;

use super::VaultError;
use super::codec::{Body, Header};
use super::slot::Slot;
use crate::keystore::{self, Key};

/// Environment variable holding the passphrase (see [`Unlock::from_env`]).
pub const ENV_PASSPHRASE: &str = "FACTORCAT_PASSPHRASE";

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

/// Which way the master key was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// A key unlocked earlier in this process.
    Known,
    /// The kernel key cache.
    Cache,
    /// This machine's keyring slot.
    Keyring,
    /// The passphrase slot; `keyring_missing` when the vault has keyring
    /// slots but this machine's OS keyring holds no key for the vault (a
    /// copy from another machine: this one can add its own slot).
    Passphrase {
        /// The OS keyring answered that it has no entry for this vault.
        keyring_missing: bool,
    },
}

/// Finds the master key of the vault file `path` and decrypts `body` with
/// it, trying in order: `known` (a key unlocked earlier), the kernel cache
/// (when `cache`), the keyring slot, the passphrase slot. A key obtained
/// through the keyring slot is put in the cache; one from a passphrase is
/// not.
///
/// When no way works, the error is the keyring's failure if there was one
/// (its message also says how to use the passphrase), else why the
/// passphrase could not be used.
pub(crate) fn open_body(
    path: &Path,
    header: &Header,
    body: &mut Body<'_>,
    unlock: &Unlock,
    known: Option<&Key>,
    cache: bool,
) -> Result<(Key, Via), VaultError> {
    let id = header.id.to_string();

    if let Some(master) = known
        && body.decrypt(master)
    {
        return Ok((master.clone(), Via::Known));
    }

    if cache && let Some(master) = keystore::cache_get(&id) {
        if body.decrypt(&master) {
            return Ok((master, Via::Cache));
        }
        keystore::cache_drop(&id);
    }

    let passphrase_slot = header.passphrase_slot().is_some();
    let mut keyring_failure = None;
    let mut keyring_missing = false;
    if header.keyring_slots().next().is_some() {
        match keystore::keyring_get(&id) {
            // One keyring slot per machine: this machine's key opens one.
            Ok(wrapping) => match header
                .keyring_slots()
                .find_map(|slot| slot.unwrap_master(header.id, &wrapping))
            {
                Some(master) => {
                    if !body.decrypt(&master) {
                        return Err(body_damaged(path));
                    }
                    if cache {
                        keystore::cache_put(&id, &master);
                    }
                    return Ok((master, Via::Keyring));
                }
                None => {
                    keyring_failure = Some(VaultError::KeyringMismatch {
                        path: path.to_path_buf(),
                        passphrase_slot,
                    })
                }
            },
            Err(e) => {
                keyring_missing = matches!(e, keystore::KeyringError::NoEntry);
                keyring_failure = Some(VaultError::keyring(e, passphrase_slot))
            }
        }
    }

    if let Some(slot @ Slot::Passphrase { kdf, salt, .. }) = header.passphrase_slot() {
        let Some(passphrase) = unlock.passphrase_for(path) else {
            return Err(keyring_failure.unwrap_or(VaultError::PassphraseRequired));
        };
        let wrapping = kdf
            .derive(&passphrase, salt)
            .map_err(|reason| VaultError::corrupt(path, reason))?;
        let master = slot
            .unwrap_master(header.id, &wrapping)
            .ok_or(VaultError::WrongPassphrase)?;
        if !body.decrypt(&master) {
            return Err(body_damaged(path));
        }
        return Ok((master, Via::Passphrase { keyring_missing }));
    }

    Err(keyring_failure.unwrap_or(VaultError::NoSlot))
}

/// A slot opened but the body does not decrypt with its key.
fn body_damaged(path: &Path) -> VaultError {
    VaultError::corrupt(path, "the encrypted contents fail authentication")
}
