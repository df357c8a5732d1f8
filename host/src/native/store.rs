//! Where the host's tokens come from: the [`Store`] trait, an in-memory
//! store for tests, and the adapter to the encrypted vault.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::clock::Clocks;
use crate::error::ErrorCode;
use crate::keystore;
use crate::protocol::ProtoError;
use crate::token::{Token, TokenMeta, TokenSites};
pub use crate::vault::VaultData;
use crate::vault::{Unlock, Vault, VaultError, VaultStatus};

/// Access to the tokens. `read` for queries; `update` runs a change and
/// persists it only when the closure succeeds.
pub trait Store {
    /// The vault's state, cheaply and without unlocking.
    fn state(&self) -> VaultStatus;
    /// The decrypted vault contents (shared: a store may hand out the same
    /// copy to several requests while the vault is unchanged).
    fn read(&self) -> Result<Rc<VaultData>, ProtoError>;
    /// For site matching: runs `pick` on the tokens and returns the
    /// metadata (everything but the secret) of the tokens at the positions
    /// it picks, in its order. A store may give `pick` only the tokens'
    /// matching fields ([`Tokens::Sites`]), which decode faster than whole
    /// tokens; the vault's answers from its index, decrypting no secret.
    ///
    /// A store may show `pick` only the tokens that `keep` keeps (the
    /// vault does, as it reads its index): `keep` must keep every token
    /// that `pick` could choose or that could change its choice.
    fn read_matching(
        &self,
        keep: impl FnMut(&TokenSites<'_>) -> bool,
        pick: impl FnOnce(Tokens<'_>) -> Result<Vec<usize>, ProtoError>,
    ) -> Result<Vec<TokenMeta>, ProtoError> {
        let _ = keep;
        let data = self.read()?;
        pick_from(&data, pick)
    }

    /// The token with this id (`unknown_token` if there is none) and the
    /// vault's clock offsets (which the time of its codes may depend on),
    /// for a request about one token. A store may decode that token alone.
    fn token(&self, id: Uuid) -> Result<(Token, Clocks), ProtoError> {
        let data = self.read()?;
        one_token(&data, id)
    }

    /// The vault's clock offsets alone (`crate::clock`), for requests
    /// about AWS's clock.
    /// Read as matching reads the vault (no secret decrypted), picking no
    /// token.
    fn clocks(&self) -> Result<Clocks, ProtoError> {
        let mut clocks = Clocks::new();
        self.read_matching(
            |_| false,
            |tokens| {
                let (Tokens::Full(_, rest) | Tokens::Sites(_, rest)) = tokens;
                clocks = rest.clock.clone();
                Ok(Vec::new())
            },
        )?;
        Ok(clocks)
    }

    /// Runs `f` on the contents and saves them if `f` returns `Ok`.
    fn update<T>(
        &self,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError>;

    /// [`Store::update`] for a change to what the vault holds besides its
    /// tokens (the fill record, clock offsets) and at most token `id`: `f`
    /// may see only that token in `tokens`, and a store may save such a
    /// change faster than any other (the vault writes it to its ledger, see
    /// `Vault::update_data`).
    fn update_data<T>(
        &self,
        id: Option<Uuid>,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        let _ = id;
        self.update(f)
    }
}

/// The token with this id in `data`, and its clock offsets.
fn one_token(data: &VaultData, id: Uuid) -> Result<(Token, Clocks), ProtoError> {
    let token = data.get(id).ok_or_else(|| ProtoError::unknown_token(id))?;
    Ok((token.clone(), data.clock.clone()))
}

/// What [`Store::read_matching`] shows its `pick`: all of every token, or
/// only what matching reads, in vault order; with the rest of the vault's
/// contents (for a store that gives only the matching fields, a
/// [`VaultData`] without tokens): the fill record, clock offsets.
#[derive(Debug, Clone, Copy)]
pub enum Tokens<'a> {
    /// Whole tokens.
    Full(&'a [Token], &'a VaultData),
    /// The matching fields of each token.
    Sites(&'a [TokenSites<'a>], &'a VaultData),
}

/// [`Store::read_matching`] over contents at hand.
fn pick_from(
    data: &VaultData,
    pick: impl FnOnce(Tokens<'_>) -> Result<Vec<usize>, ProtoError>,
) -> Result<Vec<TokenMeta>, ProtoError> {
    pick(Tokens::Full(&data.tokens, data))?
        .into_iter()
        .map(|i| {
            data.tokens.get(i).map(TokenMeta::of).ok_or_else(|| {
                ProtoError::new(ErrorCode::Internal, "a picked token does not exist")
            })
        })
        .collect()
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
        ErrorCode::VaultMissing,
        "there is no FactorCat vault yet; create one with `factorcat init`, then try again",
    )
}

impl Store for MemoryStore {
    fn state(&self) -> VaultStatus {
        match &*self.data.borrow() {
            Some(_) => VaultStatus::Present {
                has_keyring_slot: false,
                has_passphrase_slot: true,
            },
            None => VaultStatus::Missing,
        }
    }

    fn read(&self) -> Result<Rc<VaultData>, ProtoError> {
        self.data.borrow().clone().map(Rc::new).ok_or_else(missing)
    }

    fn update<T>(
        &self,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        let mut copy = self.data.borrow().clone().ok_or_else(missing)?;
        let result = f(&mut copy)?;
        *self.data.borrow_mut() = Some(copy);
        self.writes.set(self.writes.get() + 1);
        Ok(result)
    }
}

/// How long [`VaultStore`] reuses decrypted contents at most, even when the
/// file is unchanged: within this time a connection's requests share one
/// decryption; after it, the vault is unlocked afresh, so a key taken away
/// (keyring entry deleted, key cache dropped) stops being used soon.
pub const READ_CACHE_MAX_AGE: Duration = Duration::from_secs(10);

/// The encrypted vault, as the browser-started host uses it: located like
/// the CLI does (`FACTORCAT_HOME` or the platform data directory), unlocked
/// with the kernel key cache (`factorcat unlock`), the OS keyring or
/// `FACTORCAT_PASSPHRASE`, and never by prompting (stdin carries the
/// protocol).
///
/// One store serves one connection. Reads keep the decrypted contents and
/// reuse them while the vault file and its ledger are the same files as when
/// they were read (device, inode, size, modification and change times; every
/// write replaces a file by rename, so any write by any process changes
/// this),
/// for at most [`READ_CACHE_MAX_AGE`], and, when they were opened with the
/// kernel key cache, only while the cache holds the key. Writes always go through
/// [`Vault::update`], which re-reads under the exclusive lock.
pub struct VaultStore {
    vault: Result<Vault, ProtoError>,
    unlock: Unlock,
    cache: RefCell<Option<Cached>>,
}

/// Decrypted contents and the file they came from.
struct Cached {
    stamp: Stamp,
    read_at: Instant,
    data: Rc<VaultData>,
    /// The vault's id, when its key was in the kernel key cache as the
    /// contents were read: they are kept only while it still is, so that
    /// `factorcat lock` takes effect at once.
    cached_key: Option<String>,
}

/// What identifies one generation of the vault file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    dev: u64,
    ino: u64,
    len: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

/// What identifies what a read of the vault sees: the vault file's
/// generation, and the ledger beside it (`None`: there is none), which a
/// fill or a clock measurement replaces while the vault file stays.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    vault: FileStamp,
    ledger: Option<FileStamp>,
}

impl Stamp {
    /// The stamp of `vault`'s files now, or `None` where it cannot be told.
    fn of(vault: &Vault) -> Option<Stamp> {
        let ledger = vault.ledger_file();
        let ledger = match std::fs::symlink_metadata(&ledger) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            _ => Some(FileStamp::of(&ledger)?),
        };
        Some(Stamp {
            vault: FileStamp::of(&vault.file())?,
            ledger,
        })
    }
}

impl FileStamp {
    /// The stamp of the file at `path`, or `None` where it cannot be told
    /// (then nothing is cached).
    #[cfg(unix)]
    fn of(path: &std::path::Path) -> Option<FileStamp> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            dev: m.dev(),
            ino: m.ino(),
            len: m.len(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        })
    }

    #[cfg(not(unix))]
    fn of(_path: &std::path::Path) -> Option<FileStamp> {
        None
    }
}

impl VaultStore {
    /// Finds the vault the way the CLI does.
    pub fn locate() -> Self {
        VaultStore::new(
            Vault::locate().map_err(ProtoError::from),
            Unlock::from_env(),
        )
    }

    /// Uses a given vault.
    pub fn at(vault: Vault) -> Self {
        VaultStore::new(Ok(vault), Unlock::from_env())
    }

    /// Uses a given vault with a given way to unlock it (never a prompt).
    pub fn with_unlock(vault: Vault, unlock: Unlock) -> Self {
        VaultStore::new(Ok(vault), unlock)
    }

    fn new(vault: Result<Vault, ProtoError>, unlock: Unlock) -> Self {
        let unlock = Unlock {
            prompt: None,
            ..unlock
        };
        VaultStore {
            vault,
            unlock,
            cache: RefCell::new(None),
        }
    }

    fn vault(&self) -> Result<&Vault, ProtoError> {
        self.vault.as_ref().map_err(Clone::clone)
    }

    /// The kept contents, if they are still those of the file with `stamp`
    /// and young enough; otherwise drops them.
    fn cached(&self, stamp: Option<&Stamp>) -> Option<Rc<VaultData>> {
        let mut cache = self.cache.borrow_mut();
        match (&*cache, stamp) {
            (Some(cached), Some(stamp))
                if cached.stamp == *stamp
                    && cached.read_at.elapsed() < READ_CACHE_MAX_AGE
                    && cached
                        .cached_key
                        .as_deref()
                        .is_none_or(keystore::cache_holds) =>
            {
                Some(Rc::clone(&cached.data))
            }
            _ => {
                *cache = None;
                None
            }
        }
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
    fn state(&self) -> VaultStatus {
        match self.vault() {
            Err(e) => VaultStatus::Unreadable { reason: e.message },
            Ok(vault) => vault.status(),
        }
    }

    fn read(&self) -> Result<Rc<VaultData>, ProtoError> {
        let vault = self.vault()?;
        // The stamp is taken before reading: should a write land in between,
        // the newer contents are kept under the older stamp, and the next
        // read reads again (never the other way round).
        let stamp = Stamp::of(vault);
        if let Some(data) = self.cached(stamp.as_ref()) {
            return Ok(data);
        }
        let data = Rc::new(vault.read(&self.unlock)?);
        if let Some(stamp) = stamp {
            let cached_key = vault
                .id()
                .ok()
                .map(|id| id.to_string())
                .filter(|id| keystore::cache_holds(id));
            *self.cache.borrow_mut() = Some(Cached {
                stamp,
                read_at: Instant::now(),
                data: Rc::clone(&data),
                cached_key,
            });
        }
        Ok(data)
    }

    fn read_matching(
        &self,
        keep: impl FnMut(&TokenSites<'_>) -> bool,
        pick: impl FnOnce(Tokens<'_>) -> Result<Vec<usize>, ProtoError>,
    ) -> Result<Vec<TokenMeta>, ProtoError> {
        let vault = self.vault()?;
        let stamp = Stamp::of(vault);
        match self.cached(stamp.as_ref()) {
            Some(data) => pick_from(&data, pick),
            None => vault.read_matching_filtered(&self.unlock, keep, |sites, rest| {
                pick(Tokens::Sites(sites, rest))
            }),
        }
    }

    fn token(&self, id: Uuid) -> Result<(Token, Clocks), ProtoError> {
        let vault = self.vault()?;
        let stamp = Stamp::of(vault);
        if let Some(data) = self.cached(stamp.as_ref()) {
            return one_token(&data, id);
        }
        vault
            .read_id_with_clock(&self.unlock, id)?
            .ok_or_else(|| ProtoError::unknown_token(id))
    }

    fn update<T>(
        &self,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        *self.cache.borrow_mut() = None;
        self.vault()?.update(&self.unlock, f)
    }

    fn update_data<T>(
        &self,
        id: Option<Uuid>,
        f: impl FnOnce(&mut VaultData) -> Result<T, ProtoError>,
    ) -> Result<T, ProtoError> {
        *self.cache.borrow_mut() = None;
        self.vault()?.update_data(&self.unlock, id, f)
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use zeroize::Zeroizing;

    use super::{Store, VaultStore};
    use crate::secret::Secret;
    use crate::token::Token;
    use crate::vault::{CreateOptions, KdfParams, Unlock, Vault, VaultData, VaultError};

    const PASSPHRASE: &str = "correct horse battery staple";

    fn vault(dir: &std::path::Path) -> Vault {
        Vault::at(dir).with_key_cache(false)
    }

    fn add(vault: &Vault, account: &str) {
        let token = Token::new(
            "Example",
            account,
            Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
        );
        vault
            .update(&Unlock::with_passphrase(PASSPHRASE), |d: &mut VaultData| {
                d.insert(token);
                Ok::<_, VaultError>(())
            })
            .unwrap();
    }

    /// A passphrase-only vault in `dir`, with a cheap key derivation.
    fn create(dir: &std::path::Path) {
        let options = CreateOptions {
            keyring: false,
            passphrase: Some(Zeroizing::new(PASSPHRASE.to_string())),
        };
        let cheap = KdfParams {
            m_kib: 64,
            t: 1,
            p: 1,
        };
        vault(dir).create_with_kdf(&options, cheap).unwrap();
    }

    #[test]
    fn reads_share_one_decryption_until_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        create(dir.path());
        add(&vault(dir.path()), "alice");

        let store = VaultStore::with_unlock(vault(dir.path()), Unlock::with_passphrase(PASSPHRASE));
        let first = store.read().unwrap();
        let again = store.read().unwrap();
        assert!(Rc::ptr_eq(&first, &again), "the unchanged vault is reused");
        assert_eq!(again.tokens.len(), 1);

        // Another handle (as another process would) writes the vault.
        add(&vault(dir.path()), "bob");
        let after = store.read().unwrap();
        assert!(!Rc::ptr_eq(&first, &after));
        assert_eq!(after.tokens.len(), 2);

        // A write through the store itself drops its copy too.
        store
            .update(|d| {
                d.tokens.clear();
                Ok(())
            })
            .unwrap();
        assert!(store.read().unwrap().tokens.is_empty());

        // A vault that disappears is not answered from the copy.
        std::fs::remove_file(vault(dir.path()).file()).unwrap();
        assert!(store.read().is_err());
    }

    #[test]
    fn token_decodes_one_token_with_the_clock_offsets() {
        use crate::clock::ClockOffset;
        use crate::error::ErrorCode;

        let dir = tempfile::tempdir().unwrap();
        create(dir.path());
        add(&vault(dir.path()), "alice");
        add(&vault(dir.path()), "bob");
        let offset = ClockOffset {
            offset_ms: 120_300,
            error_ms: 600,
            measured: 1_700_000_000,
        };
        vault(dir.path())
            .update(&Unlock::with_passphrase(PASSPHRASE), |d: &mut VaultData| {
                d.clock.insert("aws".into(), offset);
                Ok::<_, VaultError>(())
            })
            .unwrap();
        let all = vault(dir.path())
            .read(&Unlock::with_passphrase(PASSPHRASE))
            .unwrap();
        let bob = all.tokens.iter().find(|t| t.account == "bob").unwrap();

        // From the file (one record), then from the store's copy of the
        // whole vault: the same token and the same offsets.
        let store = VaultStore::with_unlock(vault(dir.path()), Unlock::with_passphrase(PASSPHRASE));
        let (token, clocks) = store.token(bob.id).unwrap();
        assert_eq!(&token, bob);
        assert_eq!(clocks.get("aws"), Some(&offset));
        assert_eq!(clocks, all.clock);
        store.read().unwrap();
        assert_eq!(
            store.token(bob.id).unwrap(),
            (bob.clone(), all.clock.clone())
        );

        let unknown = uuid::Uuid::new_v4();
        let fresh = VaultStore::with_unlock(vault(dir.path()), Unlock::with_passphrase(PASSPHRASE));
        assert_eq!(
            fresh.token(unknown).unwrap_err().code,
            ErrorCode::UnknownToken
        );
        // The offsets alone: from the file, then from the store's copy.
        assert_eq!(fresh.clocks().unwrap(), all.clock);
        assert_eq!(store.clocks().unwrap(), all.clock);
    }

    #[test]
    fn clocks_of_a_vault_without_tokens() {
        use crate::clock::ClockOffset;

        let dir = tempfile::tempdir().unwrap();
        create(dir.path());
        let store = VaultStore::with_unlock(vault(dir.path()), Unlock::with_passphrase(PASSPHRASE));
        assert!(store.clocks().unwrap().is_empty());
        let offset = ClockOffset {
            offset_ms: -45_000,
            error_ms: 500,
            measured: 1_700_000_000,
        };
        store
            .update(|d| {
                d.clock.insert("aws-cn".into(), offset);
                Ok(())
            })
            .unwrap();
        // Read from the file (no token to read beside them), then again
        // after a write.
        let fresh = VaultStore::with_unlock(vault(dir.path()), Unlock::with_passphrase(PASSPHRASE));
        assert_eq!(fresh.clocks().unwrap().get("aws-cn"), Some(&offset));
        add(&vault(dir.path()), "alice");
        assert_eq!(fresh.clocks().unwrap().get("aws-cn"), Some(&offset));
    }
}
