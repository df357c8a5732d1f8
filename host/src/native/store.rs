//! Where the host's tokens come from: the [`Store`] trait, an in-memory
//! store for tests, and the adapter to the encrypted vault.

use std::cell::{Cell, RefCell};

use crate::protocol::ProtoError;
pub use crate::vault::VaultData;
use crate::vault::{Unlock, Vault, VaultError, VaultStatus};

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

/// The encrypted vault, as the browser-started host uses it: located like
/// the CLI does (`FACTORCAT_HOME` or the platform data directory), unlocked
/// with the OS keyring or `FACTORCAT_PASSPHRASE`, and never by prompting
/// (stdin carries the protocol).
pub struct VaultStore {
    vault: Result<Vault, ProtoError>,
    unlock: Unlock,
}

impl VaultStore {
    /// Finds the vault the way the CLI does.
    pub fn locate() -> Self {
        VaultStore::new(Vault::locate().map_err(ProtoError::from))
    }

    /// Uses a given vault.
    pub fn at(vault: Vault) -> Self {
        VaultStore::new(Ok(vault))
    }

    fn new(vault: Result<Vault, ProtoError>) -> Self {
        let unlock = Unlock {
            prompt: None,
            ..Unlock::from_env()
        };
        VaultStore { vault, unlock }
    }

    fn vault(&self) -> Result<&Vault, ProtoError> {
        self.vault.as_ref().map_err(Clone::clone)
    }
}

impl std::fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultStore")
            .field("vault", &self.vault)
            .finish_non_exhaustive()
    }
}

impl From<VaultError> for ProtoError {
    fn from(e: VaultError) -> Self {
        ProtoError::new(e.code(), e.to_string())
    }
}

impl Store for VaultStore {
    fn state(&self) -> VaultState {
        match self.vault() {
            Err(e) => VaultState::Unreadable { reason: e.message },
            Ok(vault) => match vault.status() {
                VaultStatus::Missing => VaultState::Missing,
                VaultStatus::Present {
                    has_keyring_slot,
                    has_passphrase_slot,
                } => VaultState::Present {
                    keyring: has_keyring_slot,
                    passphrase: has_passphrase_slot,
                },
                VaultStatus::Unreadable { reason } => VaultState::Unreadable { reason },
            },
        }
    }

    fn read(&self) -> Result<VaultData, ProtoError> {
        Ok(self.vault()?.read(&self.unlock)?)
    }

    fn update<T>(
        &self,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        self.vault()?.update(&self.unlock, f)
    }
}
