//! Slots: each way of unlocking a vault holds the master key wrapped
//! (encrypted) under its own key — a random key kept in the OS keyring, or
//! one derived from a passphrase with Argon2id ([`KdfParams`]). See
//! `docs/vault.md` §2 and §3.1.

use argon2::Argon2;
use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::{Aead, AeadInPlace, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::path::Path;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::VaultError;
use crate::keystore::{KEY_LEN, Key};

/// Length of a nonce (XChaCha20-Poly1305), in bytes.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of an authentication tag (Poly1305), in bytes.
pub(crate) const TAG_LEN: usize = 16;
/// Length of a wrapped master key: the encrypted key and its tag.
pub(crate) const WRAPPED_LEN: usize = KEY_LEN + TAG_LEN;
/// Length of a passphrase slot's Argon2id salt, in bytes.
pub(crate) const SALT_LEN: usize = 32;

/// What every slot's associated data starts with. Fixed by format
/// version 1, where slots were defined: a later format version that keeps
/// these slots keeps this text, so they still open.
const SLOT_AAD_PREFIX: &str = "factorcat-vault/1";

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

    /// The wrapping key for `passphrase` and `salt`, after checking the
    /// bounds; an error says which bound or what Argon2 refused.
    pub(crate) fn derive(&self, passphrase: &str, salt: &[u8; SALT_LEN]) -> Result<Key, String> {
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

/// One way of unlocking a vault: the master key, wrapped.
#[derive(Clone)]
pub(crate) enum Slot {
    /// The wrapping key is kept in the OS keyring under the vault's id.
    Keyring {
        nonce: [u8; NONCE_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
    /// The wrapping key is derived from a passphrase with Argon2id.
    Passphrase {
        kdf: KdfParams,
        salt: [u8; SALT_LEN],
        nonce: [u8; NONCE_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
}

impl Slot {
    /// The slot's `type` in the file, also part of its associated data.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Slot::Keyring { .. } => "keyring",
            Slot::Passphrase { .. } => "passphrase",
        }
    }

    /// The slot's nonce: random for every slot, so it tells slots apart.
    pub(crate) fn nonce(&self) -> &[u8; NONCE_LEN] {
        match self {
            Slot::Keyring { nonce, .. } | Slot::Passphrase { nonce, .. } => nonce,
        }
    }

    /// Wraps `master` under `wrapping` for vault `id`: a fresh nonce and
    /// the encrypted key with its tag. `None` only if the AEAD refuses,
    /// which it does for messages far longer than a key.
    pub(crate) fn wrap_master(
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

    /// The master key of vault `id`, if `wrapping` opens this slot.
    pub(crate) fn unwrap_master(&self, id: Uuid, wrapping: &Key) -> Option<Key> {
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
}

/// Most keyring slots a vault may have: one per machine that keeps the
/// vault's key in its OS keyring.
pub(crate) const MAX_KEYRING_SLOTS: usize = 8;

/// Checks a header's slots (`docs/vault.md` §4 rule 8): at least one, at
/// most one passphrase slot, at most [`MAX_KEYRING_SLOTS`] keyring slots,
/// no two slots with the same nonce (the same slot twice). An error
/// describes the first violation.
pub(crate) fn check_slots(slots: &[Slot]) -> Result<(), String> {
    if slots.is_empty() {
        return Err("the header has no slots".into());
    }
    let count = |kind: &str| slots.iter().filter(|s| s.kind() == kind).count();
    if count("passphrase") > 1 {
        return Err("two passphrase slots".into());
    }
    if count("keyring") > MAX_KEYRING_SLOTS {
        return Err(format!("more than {MAX_KEYRING_SLOTS} keyring slots"));
    }
    for (i, slot) in slots.iter().enumerate() {
        if slots[..i].iter().any(|s| s.nonce() == slot.nonce()) {
            return Err(format!("two {} slots with one nonce", slot.kind()));
        }
    }
    Ok(())
}

/// The slots of a merge of two copies of one vault: this copy's slots,
/// then the other copy's keyring slots this one lacks (another machine's,
/// added there), as long as there is room. The passphrase slot stays this
/// copy's: a passphrase changed on the other machine is set here with
/// `factorcat passphrase`. Returns the slots and how many were taken from
/// `theirs`.
pub(crate) fn unite(ours: &[Slot], theirs: &[Slot]) -> (Vec<Slot>, usize) {
    let mut out = ours.to_vec();
    let mut taken = 0;
    for slot in theirs {
        let keyrings = out.iter().filter(|s| s.kind() == "keyring").count();
        if slot.kind() == "keyring"
            && keyrings < MAX_KEYRING_SLOTS
            && !out.iter().any(|s| s.nonce() == slot.nonce())
        {
            out.push(slot.clone());
            taken += 1;
        }
    }
    (out, taken)
}

/// The associated data that binds a wrapped key to its vault and slot
/// type: a slot copied from another vault, or relabelled, does not open.
fn slot_aad(kind: &str, id: Uuid) -> String {
    format!("{SLOT_AAD_PREFIX} {kind} slot {id}")
}

/// The error for a master key that cannot be wrapped.
pub(crate) fn wrap_failed(path: &Path) -> VaultError {
    VaultError::corrupt(
        path,
        "cannot encode the vault: wrapping the master key failed",
    )
}

/// A new passphrase slot for vault `id` (whose file is `path`): a fresh
/// salt, the wrapping key derived from `passphrase` with `kdf`, and
/// `master` wrapped under it. Slow by design (Argon2id).
pub(crate) fn passphrase_slot(
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Cheap Argon2id parameters: tests only.
    const FAST: KdfParams = KdfParams {
        m_kib: 64,
        t: 1,
        p: 1,
    };

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
}
