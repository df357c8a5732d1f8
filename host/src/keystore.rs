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
//! * Both also hold this machine's **generation mark** of a vault
//!   ([`Mark`]: the highest vault generation this machine has seen, and the
//!   id this machine goes by in the vault), so that an older vault file put
//!   back in the vault directory is noticed (`docs/vault.md` §7.1): in the
//!   OS keyring beside the keyring slot's key (user = the vault id with
//!   [`MARK_SUFFIX`]), and in the kernel key cache without expiry.
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

/// What the keyring user name of a vault's [`Mark`] adds to the vault id.
pub const MARK_SUFFIX: &str = ":generation";

/// The length of a [`Mark`] as stored: the machine id and the generation.
const MARK_LEN: usize = 16 + 8;

/// This machine's record of one vault, kept outside the vault file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    /// The id this machine goes by in the vault's records (which machines
    /// have seen a removal).
    pub machine: uuid::Uuid,
    /// The highest generation of the vault file this machine has read or
    /// written.
    pub generation: u64,
}

impl Mark {
    fn to_bytes(self) -> [u8; MARK_LEN] {
        let mut out = [0u8; MARK_LEN];
        out[..16].copy_from_slice(self.machine.as_bytes());
        out[16..].copy_from_slice(&self.generation.to_be_bytes());
        out
    }

    fn from_bytes(bytes: &[u8]) -> Option<Mark> {
        if bytes.len() != MARK_LEN {
            return None;
        }
        let machine = uuid::Uuid::from_slice(&bytes[..16]).ok()?;
        let generation = u64::from_be_bytes(bytes[16..].try_into().ok()?);
        Some(Mark {
            machine,
            generation,
        })
    }
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

/// This machine's mark of vault `vault_id` in the OS keyring; `Ok(None)`
/// when there is none (or it is not a mark).
pub fn keyring_mark_get(vault_id: &str) -> Result<Option<Mark>, KeyringError> {
    match entry(&format!("{vault_id}{MARK_SUFFIX}"))?.get_secret() {
        Ok(bytes) => Ok(Mark::from_bytes(&bytes)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(map_keyring(e)),
    }
}

/// Stores this machine's mark of vault `vault_id` in the OS keyring.
pub fn keyring_mark_set(vault_id: &str, mark: Mark) -> Result<(), KeyringError> {
    entry(&format!("{vault_id}{MARK_SUFFIX}"))?
        .set_secret(&mark.to_bytes())
        .map_err(map_keyring)
}

/// Deletes this machine's mark of vault `vault_id` from the OS keyring; a
/// missing one is not an error.
pub fn keyring_mark_delete(vault_id: &str) -> Result<(), KeyringError> {
    match entry(&format!("{vault_id}{MARK_SUFFIX}"))?.delete_credential() {
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

/// The kernel key description of this machine's mark of vault `vault_id`.
pub fn mark_description(vault_id: &str) -> String {
    format!("factorcat-generation:{vault_id}")
}

#[cfg(target_os = "linux")]
mod kernel {
    use linux_keyutils::{KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use zeroize::Zeroizing;

    use super::{KEY_LEN, Key, Mark, cache_description, mark_description};

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

    pub fn get_mark(vault_id: &str) -> Option<Mark> {
        let key = user_ring()?.search(&mark_description(vault_id)).ok()?;
        let mut buf = [0u8; 64];
        let len = key.read(&mut buf).ok()?;
        Mark::from_bytes(buf.get(..len)?)
    }

    pub fn put_mark(vault_id: &str, mark: Mark) -> bool {
        let Some(ring) = user_ring() else {
            return false;
        };
        let Ok(key) = ring.add_key(&mark_description(vault_id), &mark.to_bytes()[..]) else {
            return false;
        };
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::ALL)
            .build();
        if key.set_perms(perms).is_err() {
            let _ = key.invalidate();
            return false;
        }
        true
    }

    pub fn drop_mark(vault_id: &str) -> bool {
        if let Some(ring) = user_ring()
            && let Ok(key) = ring.search(&mark_description(vault_id))
        {
            return key.invalidate().is_ok();
        }
        false
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
    use super::{Key, Mark};

    pub fn get_mark(_vault_id: &str) -> Option<Mark> {
        None
    }

    pub fn put_mark(_vault_id: &str, _mark: Mark) -> bool {
        false
    }

    pub fn drop_mark(_vault_id: &str) -> bool {
        false
    }

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

/// This machine's mark of vault `vault_id` in the kernel key cache, if
/// there is one.
pub fn cache_mark_get(vault_id: &str) -> Option<Mark> {
    kernel::get_mark(vault_id)
}

/// Puts this machine's mark of vault `vault_id` in the kernel key cache
/// (no expiry: it lives as long as the user's kernel keyring), replacing
/// the one there. Returns whether it was stored.
pub fn cache_mark_put(vault_id: &str, mark: Mark) -> bool {
    kernel::put_mark(vault_id, mark)
}

/// Removes this machine's mark of vault `vault_id` from the kernel key
/// cache; returns whether one was there.
pub fn cache_mark_drop(vault_id: &str) -> bool {
    kernel::drop_mark(vault_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_round_trip_as_bytes() {
        let mark = Mark {
            machine: uuid::Uuid::new_v4(),
            generation: 0x0102_0304_0506_0708,
        };
        assert_eq!(Mark::from_bytes(&mark.to_bytes()), Some(mark));
        assert_eq!(Mark::from_bytes(&mark.to_bytes()[..23]), None);
        assert_eq!(Mark::from_bytes(&[0u8; 32]), None);
    }

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
