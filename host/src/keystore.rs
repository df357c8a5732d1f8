//! Where vault keys live outside the vault file.
//!
//! * The **OS keyring** (Secret Service on Linux, Keychain on macOS,
//!   Credential Manager on Windows, through the `keyring` crate) holds the
//!   random *wrapping key* of a vault's keyring slot, under service
//!   [`KEYRING_SERVICE`] and user = the vault's id.
//! * On Linux, the **kernel key cache** holds the unwrapped *master key* in
//!   the user keyring (`@u`) for [`CACHE_TIMEOUT_SECS`], so that only the
//!   first use after a login or expiry pays for a D-Bus round trip to the
//!   Secret Service; `factorcat unlock` puts a key there for a time it is
//!   told (a passphrase vault's too), `factorcat lock` takes it out.
//!   Elsewhere the cache is a no-op. See `docs/vault.md` for the security
//!   argument.
//!
//! Keys are [`Key`] values: zeroized on drop and never printed.

#![warn(missing_docs)]

use std::fmt;

use rand::RngCore;
use zeroize::Zeroizing;

/// The keyring service name under which wrapping keys are stored.
pub const KEYRING_SERVICE: &str = "factorcat";

/// How long a master key stays in the kernel key cache: 8 hours.
pub const CACHE_TIMEOUT_SECS: usize = 8 * 60 * 60;

/// Length of every key FactorCat uses, in bytes (256 bits).
pub const KEY_LEN: usize = 32;

/// A 256-bit symmetric key. Zeroized on drop; `Debug` prints `Key(<redacted>)`.
#[derive(Clone, zeroize::ZeroizeOnDrop)]
pub struct Key(Zeroizing<[u8; KEY_LEN]>);

impl Key {
    /// A fresh key from the operating system's CSPRNG.
    pub fn random() -> Key {
        let mut key = Key(Zeroizing::new([0u8; KEY_LEN]));
        rand::rngs::OsRng.fill_bytes(&mut key.0[..]);
        key
    }

    /// Copies exactly [`KEY_LEN`] bytes into a key; `None` for any other length.
    pub fn from_slice(bytes: &[u8]) -> Option<Key> {
        let array: [u8; KEY_LEN] = bytes.try_into().ok()?;
        let key = Key(Zeroizing::new(array));
        // `array` is a copy on the stack; wipe it too.
        let mut array = array;
        zeroize::Zeroize::zeroize(&mut array);
        Some(key)
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Why the OS keyring could not supply or store a key. The details are the
/// platform's own words and never contain key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// The keyring exists but is locked (or the unlock prompt was dismissed).
    #[error("the OS keyring is locked: {0}")]
    Locked(String),
    /// No keyring service could be reached, or it failed.
    #[error("the OS keyring is unavailable: {0}")]
    Unavailable(String),
    /// The keyring holds no entry for this vault.
    #[error("the OS keyring has no entry for this vault")]
    NoEntry,
    /// The entry exists but is not a 256-bit key.
    #[error("the OS keyring entry for this vault is not a 256-bit key")]
    BadEntry,
}

fn map_keyring(err: keyring::Error) -> KeyringError {
    match err {
        keyring::Error::NoStorageAccess(e) => KeyringError::Locked(e.to_string()),
        keyring::Error::NoEntry => KeyringError::NoEntry,
        keyring::Error::BadEncoding(_) => KeyringError::BadEntry,
        other => KeyringError::Unavailable(other.to_string()),
    }
}

fn entry(vault_id: &str) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(KEYRING_SERVICE, vault_id).map_err(map_keyring)
}

/// Reads the wrapping key stored for vault `vault_id`.
pub fn keyring_get(vault_id: &str) -> Result<Key, KeyringError> {
    let secret = Zeroizing::new(entry(vault_id)?.get_secret().map_err(map_keyring)?);
    Key::from_slice(&secret).ok_or(KeyringError::BadEntry)
}

/// Stores `key` as the wrapping key of vault `vault_id`, replacing any entry.
pub fn keyring_set(vault_id: &str, key: &Key) -> Result<(), KeyringError> {
    entry(vault_id)?
        .set_secret(key.expose())
        .map_err(map_keyring)
}

/// Deletes the keyring entry of vault `vault_id`; a missing entry is not an error.
pub fn keyring_delete(vault_id: &str) -> Result<(), KeyringError> {
    match entry(vault_id)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(e) => Err(map_keyring(e)),
    }
}

/// Whether the OS keyring answers at all, without storing anything: looks
/// up an entry that never exists. A keyring that says "no such entry" is
/// reachable; a locked or missing one says why not. (A locked Secret
/// Service may still answer a look-up; it is caught when a key is stored.)
pub fn keyring_probe() -> Result<(), KeyringError> {
    match keyring_get("factorcat-probe-of-the-keyring") {
        Ok(_) | Err(KeyringError::NoEntry | KeyringError::BadEntry) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The kernel key description of vault `vault_id`'s cached master key.
pub fn cache_description(vault_id: &str) -> String {
    format!("factorcat:{vault_id}")
}

#[cfg(target_os = "linux")]
mod kernel {
    use linux_keyutils::{KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use zeroize::Zeroizing;

    use super::{KEY_LEN, Key, cache_description};

    fn user_ring() -> Option<KeyRing> {
        KeyRing::from_special_id(KeyRingIdentifier::User, true).ok()
    }

    pub fn get(vault_id: &str) -> Option<Key> {
        let key = user_ring()?.search(&cache_description(vault_id)).ok()?;
        // One spare byte tells a longer (foreign) payload from ours.
        let mut buf = Zeroizing::new([0u8; KEY_LEN + 1]);
        let len = key.read(&mut *buf).ok()?;
        if len != KEY_LEN {
            return None;
        }
        Key::from_slice(&buf[..KEY_LEN])
    }

    pub fn holds(vault_id: &str) -> bool {
        user_ring().is_some_and(|ring| ring.search(&cache_description(vault_id)).is_ok())
    }

    pub fn put(vault_id: &str, master: &Key, timeout_secs: usize) -> bool {
        let Some(ring) = user_ring() else {
            return false;
        };
        let Ok(key) = ring.add_key(&cache_description(vault_id), &master.expose()[..]) else {
            return false;
        };
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::ALL)
            .build();
        if key.set_perms(perms).is_err() || key.set_timeout(timeout_secs).is_err() {
            let _ = key.invalidate();
            return false;
        }
        true
    }

    pub fn drop(vault_id: &str) -> bool {
        if let Some(ring) = user_ring()
            && let Ok(key) = ring.search(&cache_description(vault_id))
        {
            return key.invalidate().is_ok();
        }
        false
    }
}

#[cfg(not(target_os = "linux"))]
mod kernel {
    use super::Key;

    pub fn get(_vault_id: &str) -> Option<Key> {
        None
    }

    pub fn holds(_vault_id: &str) -> bool {
        false
    }

    pub fn put(_vault_id: &str, _master: &Key, _timeout_secs: usize) -> bool {
        false
    }

    pub fn drop(_vault_id: &str) -> bool {
        false
    }
}

/// The cached master key of vault `vault_id`, if the kernel key cache holds
/// one. Any failure (no kernel keyring, expired, foreign entry) is `None`.
pub fn cache_get(vault_id: &str) -> Option<Key> {
    kernel::get(vault_id)
}

/// Caches `master` for vault `vault_id` with a [`CACHE_TIMEOUT_SECS`] expiry,
/// readable by this user only. Returns whether it was cached; failure is
/// silent because the cache is only a speed-up.
pub fn cache_put(vault_id: &str, master: &Key) -> bool {
    kernel::put(vault_id, master, CACHE_TIMEOUT_SECS)
}

/// Caches `master` for vault `vault_id` for `timeout_secs` seconds (at least
/// one), replacing a cached key and its expiry: `factorcat unlock`. Returns
/// whether it was cached.
pub fn cache_put_for(vault_id: &str, master: &Key, timeout_secs: usize) -> bool {
    kernel::put(vault_id, master, timeout_secs.max(1))
}

/// Whether the kernel key cache holds a key for vault `vault_id` (without
/// reading it).
pub fn cache_holds(vault_id: &str) -> bool {
    kernel::holds(vault_id)
}

/// Removes vault `vault_id`'s cached master key; returns whether one was
/// there.
pub fn cache_drop(vault_id: &str) -> bool {
    kernel::drop(vault_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_debug_is_redacted() {
        let key = Key::random();
        assert_eq!(format!("{key:?}"), "Key(<redacted>)");
        assert!(Key::from_slice(&[0u8; 31]).is_none());
        assert_eq!(Key::from_slice(&[7u8; 32]).unwrap().expose(), &[7u8; 32]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn kernel_cache_round_trip() {
        let id = uuid::Uuid::new_v4().to_string();
        let key = Key::random();
        if !cache_put(&id, &key) {
            // No kernel keyring here (e.g. a container that filters keyctl):
            // the cache must then simply report nothing.
            assert!(cache_get(&id).is_none());
            return;
        }
        assert_eq!(cache_get(&id).unwrap().expose(), key.expose());
        assert!(cache_holds(&id));
        assert!(cache_drop(&id));
        assert!(cache_get(&id).is_none() && !cache_holds(&id));
        assert!(!cache_drop(&id), "nothing left to drop");
    }
}
