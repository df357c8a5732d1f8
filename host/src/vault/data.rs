//! The vault's contents as the rest of FactorCat sees them: live tokens,
//! tombstones of deleted ones, the ledger's record of handed-out codes,
//! what merging copies needs (the machines that wrote the vault), and the
//! clock offsets the browser measured.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clocks;
use crate::token::{Token, now_unix};

/// A deleted token, remembered so that a later merge does not resurrect it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Tombstone {
    /// The id of the deleted token.
    pub id: Uuid,
    /// When it was deleted, Unix seconds.
    pub deleted: u64,
    /// The machines that have written a copy holding this removal (see
    /// [`VaultData::record_write`]).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub seen: BTreeSet<Uuid>,
}

/// The decrypted content of a vault.
///
/// Its serde form is everything *but* the tokens: the vault file keeps each
/// token in a record of its own, and every other member as one JSON object
/// (`docs/vault.md` §3.3), so a member added here (with `#[serde(default)]`,
/// for files written before it existed) is stored without a format change.
#[derive(Serialize, Deserialize, Default, Clone, Debug)]
pub struct VaultData {
    /// Live tokens, in insertion order (stored as records, not in the serde
    /// form).
    #[serde(skip)]
    pub tokens: Vec<Token>,
    /// Deleted ids, for later merges.
    #[serde(default)]
    pub tombstones: Vec<Tombstone>,
    /// Per token: the last TOTP time step handed out (the record of
    /// [`crate::ledger`], so that a code is never handed out twice).
    #[serde(default)]
    pub fills: BTreeMap<Uuid, u64>,
    /// The machines that have written the vault (their id in this vault's
    /// records, see `keystore::Mark`), with the time of their latest write.
    #[serde(default)]
    pub machines: BTreeMap<Uuid, u64>,
    /// The deletion time of the newest removal that has been forgotten
    /// (0: none).
    #[serde(default)]
    pub pruned_until: u64,
    /// Per AWS partition: the last offset of AWS's clock against this
    /// computer's that the browser measured (see `crate::clock`).
    #[serde(default)]
    pub clock: Clocks,
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
            seen: BTreeSet::new(),
        });
        Some(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

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
}
