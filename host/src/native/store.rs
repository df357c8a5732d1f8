//! Where the host's tokens come from: the [`Store`] trait, an in-memory
//! store for tests, and the adapter to the encrypted vault.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use uuid::Uuid;

use crate::protocol::ProtoError;
use crate::token::Token;

/// What `hello` reports about the vault, without unlocking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VaultState {
    /// No vault yet.
    Missing,
    /// A vault file, with the unlock slots it has.
    Present {
        /// Unlocks with the OS keyring.
        keyring: bool,
        /// Unlocks with a passphrase.
        passphrase: bool,
    },
    /// A vault file that cannot be used, and why.
    Unreadable {
        /// A sentence for people.
        reason: String,
    },
}

/// Access to the tokens. `read` for queries; `update` runs a change and
/// persists it only when the closure succeeds.
pub trait Store {
    /// The vault's state, cheaply and without unlocking.
    fn state(&self) -> VaultState;
    /// The decrypted vault contents.
    fn read(&self) -> Result<VaultData, ProtoError>;
    /// Runs `f` on the contents and saves them if `f` returns `Ok`.
    fn update<T>(
        &self,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError>;
}

/// Vault contents as the host sees them.
///
/// Stand-in with the fields of the vault's `VaultData` that the host uses,
/// until `factorcat::vault` is merged into this branch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultData {
    /// The tokens, in vault order.
    pub tokens: Vec<Token>,
    /// Per token, the last TOTP time step handed out for filling.
    pub fills: BTreeMap<Uuid, u64>,
}

impl VaultData {
    /// The token with this id.
    pub fn get(&self, id: Uuid) -> Option<&Token> {
        self.tokens.iter().find(|t| t.id == id)
    }

    /// The token with this id, for changing.
    pub fn get_mut(&mut self, id: Uuid) -> Option<&mut Token> {
        self.tokens.iter_mut().find(|t| t.id == id)
    }

    /// Adds a token, replacing one with the same id.
    pub fn insert(&mut self, token: Token) {
        match self.get_mut(token.id) {
            Some(slot) => *slot = token,
            None => self.tokens.push(token),
        }
    }

    /// Removes a token and its fill record.
    pub fn remove(&mut self, id: Uuid) -> Option<Token> {
        let index = self.tokens.iter().position(|t| t.id == id)?;
        self.fills.remove(&id);
        Some(self.tokens.remove(index))
    }
}

/// Tokens held in memory: for tests, benchmarks and embedding. Counts its
/// writes so tests can prove that a request changed nothing.
#[derive(Debug, Default)]
pub struct MemoryStore {
    data: RefCell<Option<VaultData>>,
    writes: Cell<usize>,
}

impl MemoryStore {
    /// A store holding `data`.
    pub fn new(data: VaultData) -> Self {
        MemoryStore {
            data: RefCell::new(Some(data)),
            writes: Cell::new(0),
        }
    }

    /// A store with no vault at all (every access is `vault_missing`).
    pub fn missing() -> Self {
        MemoryStore::default()
    }

    /// How many updates were saved.
    pub fn writes(&self) -> usize {
        self.writes.get()
    }

    /// A copy of the current contents.
    pub fn snapshot(&self) -> Option<VaultData> {
        self.data.borrow().clone()
    }
}

fn missing() -> ProtoError {
    ProtoError::new(
        "vault_missing",
        "there is no FactorCat vault yet; create one with `factorcat init`, then try again",
    )
}

impl Store for MemoryStore {
    fn state(&self) -> VaultState {
        match &*self.data.borrow() {
            Some(_) => VaultState::Present {
                keyring: false,
                passphrase: true,
            },
            None => VaultState::Missing,
        }
    }

    fn read(&self) -> Result<VaultData, ProtoError> {
        self.data.borrow().clone().ok_or_else(missing)
    }

    fn update<T>(
        &self,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        let mut copy = self.read()?;
        let result = f(&mut copy)?;
        *self.data.borrow_mut() = Some(copy);
        self.writes.set(self.writes.get() + 1);
        Ok(result)
    }
}

/// The encrypted vault, as the browser-started host uses it.
///
/// Stand-in until `factorcat::vault` is merged into this branch: it reports
/// no vault, so every token operation answers `vault_missing`.
#[derive(Debug, Default)]
pub struct VaultStore {
    _private: (),
}

impl VaultStore {
    /// Finds the vault the way the CLI does.
    pub fn locate() -> Self {
        VaultStore { _private: () }
    }
}

impl Store for VaultStore {
    fn state(&self) -> VaultState {
        VaultState::Missing
    }

    fn read(&self) -> Result<VaultData, ProtoError> {
        Err(missing())
    }

    fn update<T>(
        &self,
        _f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        Err(missing())
    }
}
