//! The vault handle: where a vault lives, and reading, creating and
//! changing it under the lock (`docs/vault.md` §7). It puts the other parts
//! together: the file system ([`crate::fsutil`]), the format
//! ([`super::codec`]) and the key ([`super::unlock`]).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use uuid::Uuid;
use zeroize::Zeroizing;

use super::codec::{self, Body, HEAD_BYTES, Header, Layout, MAX_FILE_BYTES, Parsed, Previous};
use super::ledger_file::{self, LEDGER_FILE_NAME, LedgerFile, MAX_LEDGER_BYTES, Recorded};
use super::marks::{self, Places};
use super::slot::{self, KdfParams, MAX_KEYRING_SLOTS, Slot, passphrase_slot, wrap_failed};
use super::unlock::{self, CreateOptions, Unlock, Via};
use super::{MergeReport, VaultData, VaultError};
use crate::clock::Clocks;
use crate::fsutil::{self, FsError, LockError, Mode, WriteOptions};
use crate::keystore::{self, Key, Mark};
use crate::token::{Token, TokenHead, TokenMeta, TokenSites, now_unix};

/// Name of the vault file inside the vault directory.
pub const FILE_NAME: &str = "factorcat.vault";
/// Name of the previous generation, kept beside the vault file.
pub const PREV_FILE_NAME: &str = "factorcat.vault.prev";
/// Name of the advisory lock file inside the vault directory.
pub const LOCK_FILE_NAME: &str = "factorcat.lock";
/// How long to wait for another process to release the vault lock. Holders
/// keep it for milliseconds (no prompt or keyring dialog runs under it), so
/// this only trips on a stuck process.
pub const DEFAULT_LOCK_WAIT: Duration = Duration::from_secs(10);

/// How much of the vault file a reader looks at first: enough for the
/// header of a vault with a few slots (a longer one is read up to
/// [`HEAD_BYTES`]).
const FIRST_READ: usize = 4096;

/// Reads the start of the open vault file `file` (`len` bytes long, at
/// `path`) into `start` and parses its header: the first [`FIRST_READ`]
/// bytes, and up to [`HEAD_BYTES`] only when the header does not parse
/// from those (a longer header line, as with many slots): as much as
/// [`codec::parse`] looks at, so that it answers as on the whole file.
fn read_header(
    path: &Path,
    file: &File,
    len: usize,
    start: &mut Vec<u8>,
) -> Result<Parsed, VaultError> {
    read_up_to(path, file, start, len.min(FIRST_READ))?;
    match codec::parse(path, start) {
        Err(_) if start.len() < len.min(HEAD_BYTES) => {
            read_up_to(path, file, start, len.min(HEAD_BYTES))?;
            codec::parse(path, start)
        }
        parsed => parsed,
    }
}

/// Reads on from `file` (at `path`) until `bytes` holds `up_to` bytes (or
/// the file ends), growing `bytes` exactly.
fn read_up_to(
    path: &Path,
    file: &File,
    bytes: &mut Vec<u8>,
    up_to: usize,
) -> Result<(), VaultError> {
    let more = up_to.saturating_sub(bytes.len());
    bytes.reserve_exact(more);
    file.take(more as u64)
        .read_to_end(bytes)
        .map(drop)
        .map_err(|e| VaultError::io(path, e))
}

/// Environment variable naming the vault directory.
pub const ENV_HOME: &str = "FACTORCAT_HOME";
/// Environment variable that, set to anything but `0` or empty, disables
/// the kernel key cache.
pub const ENV_NO_KEY_CACHE: &str = "FACTORCAT_NO_KEY_CACHE";

/// `$FACTORCAT_HOME` if set (a directory), else the platform data directory
/// (`~/.local/share/factorcat` on Linux).
///
/// Something there that is not a directory (say `FACTORCAT_HOME` naming the
/// vault file itself) is refused with [`VaultError::HomeNotADirectory`],
/// rather than read as a place with no vault yet.
pub fn default_home() -> Result<PathBuf, VaultError> {
    let dir = match std::env::var_os(ENV_HOME).filter(|d| !d.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => directories::ProjectDirs::from("app", "factorcat", "factorcat")
            .map(|dirs| dirs.data_dir().to_path_buf())
            .ok_or(VaultError::NoHome)?,
    };
    if fs::metadata(&dir).is_ok_and(|m| !m.is_dir()) {
        return Err(VaultError::HomeNotADirectory { path: dir });
    }
    Ok(dir)
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

/// What [`Vault::unlock_for`] could do with the unlocked key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCaching {
    /// It is in the kernel key cache.
    Cached,
    /// The cache is turned off (`FACTORCAT_NO_KEY_CACHE`).
    TurnedOff,
    /// There is no kernel key cache here (not Linux, or `keyctl` is not
    /// allowed, as in some containers).
    Unavailable,
}

/// A handle on a vault directory. Creating one does no I/O.
#[derive(Debug, Clone)]
pub struct Vault {
    dir: PathBuf,
    key_cache: Option<bool>,
    lock_wait: Duration,
}

/// An unlocked vault: its key, header and content, and this machine's
/// mark of it.
struct Opened {
    master: Key,
    id: Uuid,
    generation: u64,
    slots: Vec<Slot>,
    data: VaultData,
    guard: Guard,
    /// The records of a version-2 file, kept by the next write where
    /// unchanged.
    previous: Option<Previous>,
}

/// This machine's mark of an opened vault, and where it is kept.
#[derive(Debug, Clone, Copy)]
struct Guard {
    mark: Mark,
    places: Places,
}

/// What [`Vault::merge_files`] did.
#[derive(Debug, Clone)]
pub struct Merged {
    /// For each file merged, in order: what it brought and what this vault
    /// kept that it lacked.
    pub reports: Vec<(PathBuf, MergeReport)>,
    /// Keyring slots (other machines') taken from the files.
    pub slots_taken: usize,
    /// The generation written.
    pub generation: u64,
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

    /// The ledger file beside the vault (`docs/vault.md` §11), where fills,
    /// fresh codes' steps and clock offsets are recorded between writes of
    /// the vault file.
    pub fn ledger_file(&self) -> PathBuf {
        self.dir.join(LEDGER_FILE_NAME)
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
        if self.create_inner(opts, kdf, false)? {
            Ok(())
        } else {
            Err(VaultError::AlreadyExists { path: self.file() })
        }
    }

    /// Creates a new vault like [`Vault::create`], unless one exists —
    /// also one that another process creates at the same moment: whether a
    /// vault exists is decided under the vault's lock, so of two first
    /// `add`s one creates the vault and the other uses it. Returns whether
    /// this call created it; an existing vault is left as it is (no slot,
    /// no keyring entry is made for it).
    pub fn create_unless_present(&self, opts: &CreateOptions) -> Result<bool, VaultError> {
        self.create_inner(opts, KdfParams::DEFAULT, true)
    }

    /// Creates the vault; `Ok(false)` when one exists and `if_missing`.
    fn create_inner(
        &self,
        opts: &CreateOptions,
        kdf: KdfParams,
        if_missing: bool,
    ) -> Result<bool, VaultError> {
        if !opts.keyring && opts.passphrase.is_none() {
            return Err(VaultError::NoSlot);
        }
        if opts.passphrase.as_ref().is_some_and(|p| p.is_empty()) {
            return Err(VaultError::EmptyPassphrase);
        }
        kdf.check()
            .map_err(|reason| VaultError::BadKdfParams { reason })?;
        let file = self.file();
        let present = |file: PathBuf| {
            if if_missing {
                Ok(false)
            } else {
                Err(VaultError::AlreadyExists { path: file })
            }
        };
        if self.exists() {
            return present(file);
        }
        fsutil::create_private_dir(&self.dir)?;
        let _lock = self.lock_exclusive()?;
        if self.exists() {
            return present(file);
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
            keystore::keyring_set(&keyring_id, &wrapping)
                .map_err(|e| VaultError::keyring(e, opts.passphrase.is_some()))?;
            let (nonce, wrapped) = Slot::wrap_master("keyring", id, &wrapping, &master)
                .ok_or_else(|| wrap_failed(&file))?;
            slots.insert(0, Slot::Keyring { nonce, wrapped });
        }
        let places = Places {
            cache: self.cache_enabled(),
            keyring: opts.keyring,
        };
        let mark = marks::check(&file, id, 0, None, false)?;
        let mut data = VaultData::default();
        data.record_write(mark.machine, now_unix());
        let written = codec::encode(&file, id, 1, &slots, &master, &data, None)
            .and_then(|bytes| self.replace(&bytes));
        if let Err(e) = written {
            if opts.keyring {
                let _ = keystore::keyring_delete(&keyring_id);
            }
            return Err(e);
        }
        if opts.keyring && self.cache_enabled() {
            keystore::cache_put(&keyring_id, &master);
        }
        marks::store(
            id,
            Mark {
                generation: 1,
                ..mark
            },
            places,
        );
        Ok(true)
    }

    /// Reads the vault under a shared lock, then decrypts it. The lock is
    /// held only while reading the file (writers replace it by rename, so
    /// the bytes read are one consistent generation): a passphrase prompt or
    /// a keyring unlock dialog never blocks other FactorCat processes.
    ///
    /// The contents include what the ledger beside the vault records
    /// (`docs/vault.md` §11), read under the same lock.
    pub fn read(&self, unlock: &Unlock) -> Result<VaultData, VaultError> {
        let (mut bytes, ledger) = self.read_snapshot()?;
        Ok(self
            .open(&mut bytes, ledger.as_deref(), unlock, None, false)?
            .data)
    }

    /// Reads the vault and returns the one token that `pick` chooses from
    /// the tokens' identities ([`TokenHead`]s). Only the chosen record is
    /// fully decoded, so a look-up in a large vault costs a scan of the
    /// decrypted text rather than building every token — this is the path
    /// `factorcat code` takes (with a filter: [`Vault::read_one_with_clock`]).
    pub fn read_one<E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        pick: impl FnOnce(&[TokenHead<'_>]) -> Result<usize, E>,
    ) -> Result<Token, E> {
        Ok(self.read_one_with_clock(unlock, |_| true, pick)?.0)
    }

    /// [`Vault::read_one`] among the tokens that `keep` keeps, and the clock
    /// offsets recorded in the vault and its ledger (`crate::clock`), which
    /// the time of its codes may depend on.
    ///
    /// `keep` is asked about each token as the index is read, and `pick`
    /// sees only the tokens it kept, in vault order: the others are never
    /// held (of a thousand, a name matches a few). So `keep` must keep every
    /// token that `pick` could choose or that could change its choice
    /// (`|_| true` keeps them all).
    pub fn read_one_with_clock<E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        keep: impl FnMut(&TokenHead<'_>) -> bool,
        pick: impl FnOnce(&[TokenHead<'_>]) -> Result<usize, E>,
    ) -> Result<(Token, Clocks), E> {
        self.read_with_clock(unlock, |part, parsed, master| {
            self.decode_one(part, parsed, master, keep, pick)
        })
    }

    /// [`Vault::read_one_with_clock`] for the token with id `id` (`None` when
    /// the vault holds none): of each index entry, only its record's place
    /// and its id are read.
    pub fn read_id_with_clock(
        &self,
        unlock: &Unlock,
        id: Uuid,
    ) -> Result<Option<(Token, Clocks)>, VaultError> {
        let (token, clocks) = self.read_with_clock(unlock, |part, parsed, master| {
            Ok::<_, VaultError>(match self.decode_id(part, parsed, master, id)? {
                Some((token, rest)) => (Some(token), rest),
                None => (None, VaultData::default()),
            })
        })?;
        Ok(token.map(|t| (t, clocks)))
    }

    /// Reads the vault's index part and its ledger; `decode` takes a token
    /// (or what it found) and the data part from them, which is returned
    /// with the clock offsets of the data part and the ledger combined.
    fn read_with_clock<T, E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        decode: impl FnOnce(&IndexPart, &Parsed, &Key) -> Result<(T, VaultData), E>,
    ) -> Result<(T, Clocks), E> {
        let (mut part, parsed) = self.read_index_part()?;
        let (master, parsed, _) = self.decrypt_parsed(parsed, &mut part.bytes, unlock, None)?;
        let recorded = self.open_ledger(part.ledger.as_deref(), parsed.header.id, &master)?;
        let (token, mut rest) = decode(&part, &parsed, &master)?;
        rest.take_recorded(recorded.recorded);
        Ok((token, rest.clock))
    }

    /// The one token that `pick` chooses from the vault file read as
    /// `part` (`parsed`, its index decrypted with `master`), and the rest
    /// of the file's contents (its data part); only the chosen record is
    /// read and decrypted.
    fn decode_one<E: From<VaultError>>(
        &self,
        part: &IndexPart,
        parsed: &Parsed,
        master: &Key,
        keep: impl FnMut(&TokenHead<'_>) -> bool,
        pick: impl FnOnce(&[TokenHead<'_>]) -> Result<usize, E>,
    ) -> Result<(Token, VaultData), E> {
        let record = self.record_reader(part);
        codec::decode_one(
            &self.file(),
            parsed,
            &part.bytes,
            part.len,
            master,
            keep,
            pick,
            record,
        )
    }

    /// [`Vault::decode_one`] for the token with id `id`, or `None` when the
    /// vault holds none (`codec::decode_id`: only the places and ids of the
    /// index entries are read).
    fn decode_id(
        &self,
        part: &IndexPart,
        parsed: &Parsed,
        master: &Key,
        id: Uuid,
    ) -> Result<Option<(Token, VaultData)>, VaultError> {
        let record = self.record_reader(part);
        codec::decode_id(
            &self.file(),
            parsed,
            &part.bytes,
            part.len,
            master,
            id,
            record,
        )
    }

    /// Reads a sealed record, given its place, from the file read as `part`.
    fn record_reader(
        &self,
        part: &IndexPart,
    ) -> impl FnOnce(std::ops::Range<usize>) -> Result<Vec<u8>, VaultError> {
        let path = self.file();
        let file = &part.file;
        move |range| {
            let mut file = file;
            let mut sealed = vec![0; range.len()];
            file.seek(SeekFrom::Start(range.start as u64))
                .and_then(|_| file.read_exact(&mut sealed))
                .map_err(|e| VaultError::io(&path, e))?;
            Ok(sealed)
        }
    }

    /// Reads the vault for site matching: `pick` sees every token's
    /// matching fields ([`TokenSites`]) and the rest of the contents (a
    /// [`VaultData`] without tokens: the fill record, clock offsets…, with
    /// what the ledger records), and returns the positions of the tokens it
    /// wants; their metadata ([`TokenMeta`], everything but the secret) is
    /// returned, in `pick`'s order. A version-2 vault answers from its index
    /// and data part and decrypts no secret.
    pub fn read_matching<E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        pick: impl FnOnce(&[TokenSites<'_>], &VaultData) -> Result<Vec<usize>, E>,
    ) -> Result<Vec<TokenMeta>, E> {
        self.read_matching_filtered(unlock, |_| true, pick)
    }

    /// [`Vault::read_matching`] among the tokens that `keep` keeps: it is
    /// asked about each token as the index is read, and `pick` sees only
    /// the tokens it kept, in vault order; the others are never held (of a
    /// thousand, a page has a few). So `keep` must keep every token that
    /// `pick` could choose or that could change its choice.
    pub fn read_matching_filtered<E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        keep: impl FnMut(&TokenSites<'_>) -> bool,
        pick: impl FnOnce(&[TokenSites<'_>], &VaultData) -> Result<Vec<usize>, E>,
    ) -> Result<Vec<TokenMeta>, E> {
        let (mut part, parsed) = self.read_index_part()?;
        let (master, parsed, _) = self.decrypt_parsed(parsed, &mut part.bytes, unlock, None)?;
        let ledger = self.open_ledger(part.ledger.as_deref(), parsed.header.id, &master)?;
        let path = self.file();
        let (bytes, master) = (&part.bytes, &master);
        if ledger.recorded.is_empty() {
            return codec::decode_matching(&path, &parsed, bytes, master, keep, pick);
        }
        codec::decode_matching(&path, &parsed, bytes, master, keep, |sites, rest| {
            let mut rest = rest.clone();
            rest.take_recorded(ledger.recorded);
            pick(sites, &rest)
        })
    }

    /// The exclusive lock that every writer of this vault holds.
    fn lock_exclusive(&self) -> Result<fsutil::DirLock, VaultError> {
        Ok(fsutil::lock(&self.lock_file(), true, self.lock_wait)?)
    }

    /// The vault file's bytes and the ledger's (if there is one), read
    /// under one shared lock, so that they are of one moment: a write of
    /// the whole vault folds the ledger in and then removes it.
    #[allow(clippy::type_complexity)]
    fn read_snapshot(&self) -> Result<(Zeroizing<Vec<u8>>, Option<Vec<u8>>), VaultError> {
        if !self.exists() {
            return Err(VaultError::NotFound { path: self.file() });
        }
        let _lock = self.lock_shared_if_possible()?;
        Ok((self.read_bytes()?, self.read_ledger()?))
    }

    /// The ledger file's bytes, `None` when there is none (the normal case
    /// after a write of the whole vault). Like the vault file, only a
    /// regular file within a size limit is read, and a link is not
    /// followed.
    fn read_ledger(&self) -> Result<Option<Vec<u8>>, VaultError> {
        let path = self.ledger_file();
        let meta = match fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::io(&path, e)),
        };
        if !meta.is_file() {
            return Err(VaultError::ledger(&path, "it is not a regular file"));
        }
        let mut bytes = Vec::with_capacity(meta.len().min(MAX_LEDGER_BYTES) as usize + 1);
        match File::open(&path) {
            Ok(file) => file
                .take(MAX_LEDGER_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| VaultError::io(&path, e))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(VaultError::io(&path, e)),
        };
        if bytes.len() as u64 > MAX_LEDGER_BYTES {
            return Err(VaultError::ledger(
                &path,
                format!("it is larger than the {MAX_LEDGER_BYTES}-byte limit"),
            ));
        }
        Ok(Some(bytes))
    }

    /// The ledger `bytes` of vault `id` (none: an empty ledger), opened
    /// with its key.
    fn open_ledger(
        &self,
        bytes: Option<&[u8]>,
        id: Uuid,
        master: &Key,
    ) -> Result<LedgerFile, VaultError> {
        match bytes {
            None => Ok(LedgerFile::default()),
            Some(bytes) => ledger_file::decode(&self.ledger_file(), bytes, id, master),
        }
    }

    /// The shared lock of readers. A read-only vault directory (a mounted
    /// backup, say) has no lock file to create; reading it unlocked is
    /// still safe because writers replace the file by rename.
    fn lock_shared_if_possible(&self) -> Result<Option<fsutil::DirLock>, VaultError> {
        match fsutil::lock(&self.lock_file(), false, self.lock_wait) {
            Ok(lock) => Ok(Some(lock)),
            Err(LockError::Open(FsError { source, .. }))
                if matches!(
                    source.kind(),
                    io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// As much of the vault file as a reader of the index needs, and the
    /// ledger, under the shared lock (see [`Vault::read_index_part_now`]).
    fn read_index_part(&self) -> Result<(IndexPart, Parsed), VaultError> {
        if !self.exists() {
            return Err(VaultError::NotFound { path: self.file() });
        }
        let _lock = self.lock_shared_if_possible()?;
        self.read_index_part_now()
    }

    /// As much of the vault file as a reader of the index needs: a file of
    /// records up to its first record, a version-1 file whole; with
    /// the open file (records can be read from it later: a writer replaces
    /// the file by rename, so this handle keeps reading this generation),
    /// the file's length and the ledger's bytes, and the file parsed (its
    /// header read once). The caller holds a lock.
    fn read_index_part_now(&self) -> Result<(IndexPart, Parsed), VaultError> {
        let (path, file, len) = self.open_file()?;
        let len = len as usize;
        // Ciphertext only: nothing is decrypted before the buffer is
        // complete. The header says how much of the file is wanted; the
        // buffer is then allocated once, at that size (no reallocation
        // copies it).
        let mut start = Vec::new();
        let parsed = read_header(&path, &file, len, &mut start)?;
        let wanted = match parsed.layout {
            Layout::Split { records, .. } => records.min(len),
            Layout::V1 => len,
        };
        let mut bytes = Zeroizing::new(Vec::with_capacity(wanted.max(start.len())));
        bytes.extend_from_slice(&start);
        read_up_to(&path, &file, &mut bytes, wanted)?;
        // A file of records parses alike from its start; a version-1 body
        // runs to the end of the file, which only the whole file shows.
        let parsed = match parsed.layout {
            Layout::Split { .. } => parsed,
            Layout::V1 => codec::parse(&path, &bytes)?,
        };
        let ledger = self.read_ledger()?;
        let part = IndexPart {
            bytes,
            file,
            len,
            ledger,
        };
        Ok((part, parsed))
    }

    /// Unlocks the current generation without holding the exclusive lock
    /// (this may prompt), returning the master key, the vault id and how
    /// the key was found.
    fn unlock_snapshot(&self, unlock: &Unlock) -> Result<(Key, Uuid, Via), VaultError> {
        let (mut part, parsed) = self.read_index_part()?;
        let (master, parsed, via) = self.decrypt_parsed(parsed, &mut part.bytes, unlock, None)?;
        Ok((master, parsed.header.id, via))
    }

    /// Exclusive lock; re-read; run `f`; if `f` returns `Ok`, write
    /// atomically (previous generation kept); if `Err`, write nothing.
    /// `f` sees what the ledger records too; the write folds the ledger
    /// into the vault file and then removes it (`docs/vault.md` §11).
    pub fn update<T, E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        f: impl FnOnce(&mut VaultData) -> Result<T, E>,
    ) -> Result<T, E> {
        // Unlock first, outside the lock; under it, the key is reused.
        let (master, via) = self.unlock_for_write(unlock)?;
        let _lock = self.lock_exclusive()?;
        self.update_whole(unlock, (&master, via), f)
    }

    /// The key for a write, found before the lock is taken: from the kernel
    /// cache when it holds this vault's (reading no more of the file than
    /// its header), else by unlocking a snapshot.
    fn unlock_for_write(&self, unlock: &Unlock) -> Result<(Key, Via), VaultError> {
        if self.cache_enabled()
            && let Ok(id) = self.id()
            && let Some(master) = keystore::cache_get(&id.to_string())
        {
            return Ok((master, Via::Cache));
        }
        let (master, _, via) = self.unlock_snapshot(unlock)?;
        Ok((master, via))
    }

    /// [`Vault::update`] under the exclusive lock, with the key unlocked.
    fn update_whole<T, E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        (master, via): (&Key, Via),
        f: impl FnOnce(&mut VaultData) -> Result<T, E>,
    ) -> Result<T, E> {
        let (bytes, mut opened) = self.open_current(unlock, Some((master, via)), false)?;
        let out = f(&mut opened.data)?;
        self.write_adding_slot(&mut opened, via, &bytes)?;
        Ok(out)
    }

    /// [`Vault::update`] for a change to what the vault holds besides its
    /// tokens — the fill record, the steps of fresh codes, clock offsets —
    /// and at most token `id`. `f` sees the data part with only token `id`
    /// in `tokens` (none with `None`, or when the vault has no such token),
    /// combined with what the ledger records; of the vault file only the
    /// index, the data part and that token's record are read. A change of
    /// the fill record and clock offsets alone is written to the ledger
    /// beside the vault (`docs/vault.md` §11), and the vault file is left as
    /// it is; a change that leaves everything as it was writes nothing.
    /// Anything else (a version-1 file, or `f` changed the token: an HOTP
    /// counter) writes the whole vault, as [`Vault::update`] does. A
    /// version-2 file is not converted to version 3 by such a change: the
    /// vault file is not written; the next write of the whole vault
    /// converts it.
    pub fn update_data<T, E: From<VaultError>>(
        &self,
        unlock: &Unlock,
        id: Option<Uuid>,
        f: impl FnOnce(&mut VaultData) -> Result<T, E>,
    ) -> Result<T, E> {
        let (master, via) = self.unlock_for_write(unlock)?;
        let _lock = self.lock_exclusive()?;
        let (mut part, parsed) = self.read_index_part_now()?;
        let path = self.file();
        if matches!(parsed.layout, Layout::V1) {
            return self.update_whole(unlock, (&master, via), f);
        }
        let cache = self.cache_enabled();
        let (master, parsed, _) =
            open_sealed(&path, parsed, &mut part.bytes, unlock, Some(&master), cache)?;
        self.guard(&parsed.header, via, false)?;
        let vault_id = parsed.header.id;
        let ledger = self.open_ledger(part.ledger.as_deref(), vault_id, &master)?;
        let stored = self.data_part_with(&part, &parsed, &master, id)?;
        let mut data = stored.clone();
        data.take_recorded(ledger.recorded.clone());
        let before = data.clone();
        let out = f(&mut data)?;
        let recorded = if same_but_the_ledger(&before, &data) {
            Recorded::beyond(&stored, &data)
        } else {
            None
        };
        let Some(recorded) = recorded else {
            // Write the whole vault, with the token as `f` left it.
            return self
                .update_whole(unlock, (&master, via), |all| {
                    let mut mine = std::mem::take(&mut data.tokens).into_iter();
                    let mut tokens: Vec<Token> = std::mem::take(&mut all.tokens)
                        .into_iter()
                        .filter_map(|t| {
                            if Some(t.id) == id {
                                mine.next()
                            } else {
                                Some(t)
                            }
                        })
                        .collect();
                    tokens.extend(mine);
                    data.tokens = tokens;
                    *all = data;
                    Ok::<_, VaultError>(())
                })
                .map(|()| out)
                .map_err(E::from);
        };
        if recorded != ledger.recorded {
            self.write_ledger(&ledger, vault_id, &master, &recorded)?;
        }
        Ok(out)
    }

    /// The data part of the vault file read as `part` (`parsed`, its index
    /// decrypted with `master`), with token `id` in `tokens` when the vault
    /// holds it: only its record is read and decrypted.
    fn data_part_with(
        &self,
        part: &IndexPart,
        parsed: &Parsed,
        master: &Key,
        id: Option<Uuid>,
    ) -> Result<VaultData, VaultError> {
        if let Some(id) = id
            && let Some((token, mut rest)) = self.decode_id(part, parsed, master, id)?
        {
            rest.tokens = vec![token];
            return Ok(rest);
        }
        codec::decode_data(&self.file(), parsed, &part.bytes, master)
    }

    /// Writes the ledger of vault `id` recording `recorded`, as the write
    /// after `last` (the ledger as read, under the same exclusive lock),
    /// durably: in place, in the slot that does not hold the newest, when
    /// `last` is a version-2 ledger with room (one sync of the file's data);
    /// otherwise as a new file, atomically (`docs/vault.md` §11.4).
    fn write_ledger(
        &self,
        last: &LedgerFile,
        id: Uuid,
        master: &Key,
        recorded: &Recorded,
    ) -> Result<(), VaultError> {
        let path = self.ledger_file();
        let sequence = last.sequence.saturating_add(1);
        let unwritable =
            |e: String| VaultError::ledger(&path, format!("it cannot be written: {e}"));
        if let Some(slots) = last.slots
            && let Some(slot) =
                ledger_file::encode_in_slot(id, slots.size, sequence, master, recorded)
                    .map_err(unwritable)?
        {
            return Ok(fsutil::write_in_place(&path, slots.next_offset(), &slot)?);
        }
        let bytes = ledger_file::encode(id, sequence, master, recorded).map_err(unwritable)?;
        fsutil::remove_stale_temps(&path);
        Ok(fsutil::write_atomic(
            &path,
            &bytes,
            &WriteOptions::replacing(Mode::Private),
        )?)
    }

    /// Merges other copies of this vault (`files`: the same vault id, opened
    /// with this vault's key, or through their own slots) into it and
    /// writes it once, under the lock (`factorcat merge`). Refuses, before
    /// writing anything, a file of another vault
    /// ([`VaultError::OtherVault`]) or one that cannot be opened.
    pub fn merge_files(&self, unlock: &Unlock, files: &[PathBuf]) -> Result<Merged, VaultError> {
        let (master, id, via) = self.unlock_snapshot(unlock)?;
        let mut others = Vec::with_capacity(files.len());
        for path in files {
            others.push((path.clone(), self.open_copy(path, id, &master, unlock)?));
        }
        let _lock = self.lock_exclusive()?;
        let (bytes, mut opened) = self.open_current(unlock, Some((&master, via)), false)?;
        let mut merged = Merged {
            reports: Vec::with_capacity(others.len()),
            slots_taken: 0,
            generation: 0,
        };
        for (path, (generation, slots, data)) in others {
            merged.reports.push((path, opened.data.merge(data)));
            let (united, taken) = slot::unite(&opened.slots, &slots);
            opened.slots = united;
            merged.slots_taken += taken;
            opened.generation = opened.generation.max(generation);
        }
        merged.generation = self.write_adding_slot(&mut opened, via, &bytes)?;
        Ok(merged)
    }

    /// Accepts the vault file as it is although it is older than a
    /// generation this machine has seen (`factorcat accept-older`, after
    /// restoring a backup on purpose): writes it again as a generation
    /// newer than both. Returns the file's generation and the one this
    /// machine had seen; a file that is not older is written all the same.
    pub fn accept_older(&self, unlock: &Unlock) -> Result<(u64, u64), VaultError> {
        let (mut bytes, _) = self.read_snapshot()?;
        let (master, parsed, via) =
            self.decrypt_unguarded(&mut bytes, unlock, None, self.cache_enabled())?;
        let header = parsed.header;
        let places = self.places(&header, via);
        let seen = marks::load(header.id, places).map_or(header.generation, |m| m.generation);
        let _lock = self.lock_exclusive()?;
        let (bytes, mut opened) = self.open_current(unlock, Some((&master, via)), true)?;
        let found = opened.generation;
        self.write(&mut opened, &bytes)?;
        Ok((found, seen))
    }

    /// The conflict copies that file-sync tools left in the vault directory
    /// (see [`super::conflicts::is_conflict_copy`]), sorted by name.
    pub fn conflict_copies(&self) -> Vec<PathBuf> {
        super::conflicts::conflict_copies(&self.dir)
    }

    /// Opens another copy of vault `id` at `path` for merging: its
    /// generation, slots and contents. The key is `master` (every copy of a
    /// vault has the same one), else whatever of its own slots opens.
    #[allow(clippy::type_complexity)]
    fn open_copy(
        &self,
        path: &Path,
        id: Uuid,
        master: &Key,
        unlock: &Unlock,
    ) -> Result<(u64, Vec<Slot>, VaultData), VaultError> {
        let mut bytes = read_limited(path)?;
        let parsed = codec::parse(path, &bytes)?;
        if parsed.header.id != id {
            return Err(VaultError::OtherVault {
                path: path.to_path_buf(),
                ours: id,
                theirs: parsed.header.id,
            });
        }
        let (key, parsed, _) = open_sealed(path, parsed, &mut bytes, unlock, Some(master), false)?;
        let (data, _) = codec::decode(path, &parsed, &bytes, &key)?;
        Ok((parsed.header.generation, parsed.header.slots, data))
    }

    /// Adds this machine's keyring slot to `opened` when the vault was
    /// opened with its passphrase because this machine's OS keyring has no
    /// key for it although the vault keeps keys in keyrings (a copy from
    /// another machine): the next use here needs no passphrase. Nothing
    /// happens if the keyring cannot store the key or the vault has no room.
    /// Returns whether a slot (and its keyring entry) was added.
    fn add_machine_slot(&self, opened: &mut Opened, via: Via) -> bool {
        if via
            != (Via::Passphrase {
                keyring_missing: true,
            })
        {
            return false;
        }
        let keyrings = opened
            .slots
            .iter()
            .filter(|s| s.kind() == "keyring")
            .count();
        if keyrings >= MAX_KEYRING_SLOTS {
            return false;
        }
        let wrapping = Key::random();
        let Some((nonce, wrapped)) =
            Slot::wrap_master("keyring", opened.id, &wrapping, &opened.master)
        else {
            return false;
        };
        if keystore::keyring_set(&opened.id.to_string(), &wrapping).is_err() {
            return false;
        }
        opened.slots.push(Slot::Keyring { nonce, wrapped });
        opened.guard.places.keyring = true;
        true
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
        let (master, id, via) = self.unlock_snapshot(unlock)?;
        let new_slot = match &new {
            Some(passphrase) => Some(passphrase_slot(&self.file(), id, &master, passphrase, kdf)?),
            None => None,
        };
        let _lock = self.lock_exclusive()?;
        let (bytes, mut opened) = self.open_current(unlock, Some((&master, via)), false)?;
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
        self.write(&mut opened, &bytes).map(|_| ())
    }

    /// Cheap look at the vault without unlocking it.
    pub fn status(&self) -> VaultStatus {
        let file = self.file();
        match fs::symlink_metadata(&file) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => return VaultStatus::Missing,
            _ => {}
        }
        let parsed = self.read_head().map(|p| {
            (
                p.header.keyring_slots().next().is_some(),
                p.header.passphrase_slot().is_some(),
            )
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
        Ok(self.read_head()?.header.id)
    }

    /// The vault file's generation, read from the header without
    /// unlocking (not authenticated until the vault is opened): how many
    /// writes made it; a version-1 file written before generations were
    /// counted is generation 0.
    pub fn generation(&self) -> Result<u64, VaultError> {
        Ok(self.read_head()?.header.generation)
    }

    /// Drops this vault's master key from the kernel key cache, so the next
    /// use must unlock through a slot again (`factorcat lock`). Returns
    /// whether a key was cached.
    pub fn forget_cached_key(&self) -> Result<bool, VaultError> {
        Ok(keystore::cache_drop(&self.id()?.to_string()))
    }

    /// Whether the kernel key cache holds this vault's master key (read from
    /// the header's id; neither the key nor the body is read).
    pub fn key_is_cached(&self) -> Result<bool, VaultError> {
        Ok(keystore::cache_holds(&self.id()?.to_string()))
    }

    /// Unlocks the vault through a slot — the keyring slot, else the
    /// passphrase slot with `unlock`'s passphrase or prompt, never a key
    /// already cached — and keeps its master key in the kernel key cache for
    /// `duration` (`factorcat unlock`), replacing a cached key and its expiry.
    /// Until then, or until [`Vault::forget_cached_key`], every use opens the
    /// vault from the cache, a passphrase-only vault included.
    pub fn unlock_for(
        &self,
        unlock: &Unlock,
        duration: Duration,
    ) -> Result<KeyCaching, VaultError> {
        let mut bytes = self.read_bytes()?;
        let (master, parsed, via) = self.decrypt_with(&mut bytes, unlock, None, false)?;
        let header = parsed.header;
        if let Via::Passphrase {
            keyring_missing: true,
        } = via
        {
            // A copy from another machine: add this machine's keyring slot.
            self.add_slot_with(&master, via)?;
        }
        if !self.cache_enabled() {
            return Ok(KeyCaching::TurnedOff);
        }
        let secs = usize::try_from(duration.as_secs()).unwrap_or(usize::MAX);
        Ok(
            if keystore::cache_put_for(&header.id.to_string(), &master, secs) {
                KeyCaching::Cached
            } else {
                KeyCaching::Unavailable
            },
        )
    }

    /// The whole vault file, in a buffer that is wiped on drop (the body is
    /// decrypted in place).
    fn read_bytes(&self) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        let (path, file, len) = self.open_file()?;
        read_whole(&path, file, len)
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
            _ => VaultError::io(&path, e),
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
        let len = file.metadata().map_err(|e| VaultError::io(&path, e))?.len();
        check_size(&path, len)?;
        Ok((path, file, len))
    }

    /// The vault file's header, parsed from the start of the file (see
    /// [`read_header`]). Nothing read here is secret.
    fn read_head(&self) -> Result<Parsed, VaultError> {
        let (path, file, len) = self.open_file()?;
        read_header(&path, &file, len as usize, &mut Vec::new())
    }

    /// Writes `opened`, read from the file `old`, as the new generation
    /// (under the exclusive lock), in the format version this build writes
    /// (`codec::VERSION`): one more than both
    /// the file's and the highest this machine has seen, recorded as this
    /// machine's write ([`VaultData::record_write`]), and raises this
    /// machine's mark to it. Records that did not change are copied from
    /// `old`, not sealed again. Returns the generation written.
    fn write(&self, opened: &mut Opened, old: &[u8]) -> Result<u64, VaultError> {
        let file = self.file();
        let Guard { mark, places } = opened.guard;
        let generation = opened.generation.max(mark.generation) + 1;
        opened.data.record_write(mark.machine, now_unix());
        let bytes = codec::encode(
            &file,
            opened.id,
            generation,
            &opened.slots,
            &opened.master,
            &opened.data,
            opened.previous.as_ref().map(|p| (p, old)),
        )?;
        fsutil::remove_stale_temps(&file);
        self.replace(&bytes)?;
        // The vault file now holds what the ledger recorded (`open` folded
        // it in). Should this removal not happen (a crash), the next read
        // combines the same steps and offsets again, which changes nothing.
        // A failure to remove it is as harmless: the ledger stays, and
        // the next write of the whole vault removes it.
        let ledger = self.ledger_file();
        let _ = fs::remove_file(&ledger);
        fsutil::remove_stale_temps(&ledger);
        opened.generation = generation;
        marks::store(opened.id, Mark { generation, ..mark }, places);
        Ok(generation)
    }

    /// Adds this machine's keyring slot with a key already unlocked (after
    /// a passphrase prompt).
    fn add_slot_with(&self, master: &Key, via: Via) -> Result<(), VaultError> {
        let _lock = self.lock_exclusive()?;
        let (bytes, mut opened) =
            self.open_current(&Unlock::default(), Some((master, via)), false)?;
        self.write_adding_slot(&mut opened, via, &bytes).map(|_| ())
    }

    /// [`Vault::write`], adding this machine's keyring slot first when
    /// [`Vault::add_machine_slot`] says so; if the write fails, the keyring
    /// entry made for the slot is deleted again.
    fn write_adding_slot(
        &self,
        opened: &mut Opened,
        via: Via,
        old: &[u8],
    ) -> Result<u64, VaultError> {
        let added = self.add_machine_slot(opened, via);
        let written = self.write(opened, old);
        if written.is_err() && added {
            let _ = keystore::keyring_delete(&opened.id.to_string());
        }
        written
    }

    /// Where this machine keeps its mark of the vault with this header,
    /// opened by `via`: the kernel cache when it is on, the OS keyring when
    /// this machine keeps the vault's key there.
    fn places(&self, header: &Header, via: Via) -> Places {
        Places {
            cache: self.cache_enabled(),
            keyring: match via {
                Via::Keyring => true,
                Via::Known | Via::Cache => header.keyring_slots().next().is_some(),
                Via::Passphrase { .. } => false,
            },
        }
    }

    /// The rollback guard (`docs/vault.md` §7.1): checks the file of
    /// `header` against this machine's mark and raises the mark to it.
    fn guard(&self, header: &Header, via: Via, accept_older: bool) -> Result<Guard, VaultError> {
        let places = self.places(header, via);
        let loaded = marks::load(header.id, places);
        let file = self.file();
        let mark = match marks::check(&file, header.id, header.generation, loaded, accept_older) {
            Ok(mark) => mark,
            // A writer may have replaced the file, and raised the mark,
            // since this snapshot was read: then the snapshot is merely
            // a moment old, and the file in place is not older.
            Err(VaultError::RolledBack { seen, .. })
                if let Some(mark) = loaded
                    && self.current_generation().is_some_and(|g| g >= seen) =>
            {
                return Ok(Guard { mark, places });
            }
            Err(e) => return Err(e),
        };
        if loaded != Some(mark) {
            marks::store(header.id, mark, places);
        }
        Ok(Guard { mark, places })
    }

    /// The generation of the vault file now in place (its header only),
    /// `None` if it cannot be read.
    fn current_generation(&self) -> Option<u64> {
        self.read_head().ok().map(|p| p.header.generation)
    }

    /// Replaces the vault file with `bytes`, atomically and durably,
    /// keeping the current file as the previous generation (under the
    /// exclusive lock).
    fn replace(&self, bytes: &[u8]) -> Result<(), VaultError> {
        let prev = self.prev_file();
        let options = WriteOptions {
            keep_previous: Some(&prev),
            ..WriteOptions::replacing(Mode::Private)
        };
        Ok(fsutil::write_atomic(&self.file(), bytes, &options)?)
    }

    /// The vault file and its ledger as they are now (read under the
    /// exclusive lock the caller holds), opened as [`Vault::open`] opens
    /// them; with the file's bytes, which a write copies unchanged records
    /// from.
    fn open_current(
        &self,
        unlock: &Unlock,
        known: Option<(&Key, Via)>,
        accept_older: bool,
    ) -> Result<(Zeroizing<Vec<u8>>, Opened), VaultError> {
        let mut bytes = self.read_bytes()?;
        let ledger = self.read_ledger()?;
        let opened = self.open(&mut bytes, ledger.as_deref(), unlock, known, accept_older)?;
        Ok((bytes, opened))
    }

    /// Parses and decrypts `bytes` and parses the contents, combined with
    /// what the ledger `ledger` records, and applies the rollback guard
    /// (unless `accept_older`). `known` is a key unlocked earlier and how it
    /// was found.
    fn open(
        &self,
        bytes: &mut [u8],
        ledger: Option<&[u8]>,
        unlock: &Unlock,
        known: Option<(&Key, Via)>,
        accept_older: bool,
    ) -> Result<Opened, VaultError> {
        let (master, parsed, via) =
            self.decrypt_unguarded(bytes, unlock, known.map(|k| k.0), self.cache_enabled())?;
        let (mut data, previous) = codec::decode(&self.file(), &parsed, bytes, &master)?;
        let header = parsed.header;
        // A key unlocked earlier was found the way it was found then.
        let via = match (via, known) {
            (Via::Known, Some((_, earlier))) => earlier,
            _ => via,
        };
        let guard = self.guard(&header, via, accept_older)?;
        let mut recorded = self.open_ledger(ledger, header.id, &master)?.recorded;
        if !recorded.fills.is_empty() {
            // Steps of tokens removed since are dropped, as merging drops them.
            let live: std::collections::HashSet<Uuid> = data.tokens.iter().map(|t| t.id).collect();
            recorded.fills.retain(|id, _| live.contains(id));
        }
        data.take_recorded(recorded);
        Ok(Opened {
            master,
            id: header.id,
            generation: header.generation,
            slots: header.slots,
            data,
            guard,
            previous,
        })
    }

    /// Parses `bytes` and decrypts its first sealed part (the body of
    /// version 1, the index of versions 2 and 3) in place with the first
    /// key that works: `known` (a key unlocked earlier), the kernel cache
    /// (if `cache`), the keyring slot, the passphrase slot; then applies the
    /// rollback guard. Returns the key, the parsed file (whose `plaintext()`
    /// is now readable in `bytes`) and how the key was found.
    fn decrypt_with(
        &self,
        bytes: &mut [u8],
        unlock: &Unlock,
        known: Option<&Key>,
        cache: bool,
    ) -> Result<Decrypted, VaultError> {
        let decrypted = self.decrypt_unguarded(bytes, unlock, known, cache)?;
        self.guard(&decrypted.1.header, decrypted.2, false)?;
        Ok(decrypted)
    }

    /// [`Vault::decrypt_with`] of `bytes`, already parsed as `parsed` (the
    /// header read once), using the kernel key cache while it is on.
    fn decrypt_parsed(
        &self,
        parsed: Parsed,
        bytes: &mut [u8],
        unlock: &Unlock,
        known: Option<&Key>,
    ) -> Result<Decrypted, VaultError> {
        let path = self.file();
        let decrypted = open_sealed(&path, parsed, bytes, unlock, known, self.cache_enabled())?;
        self.guard(&decrypted.1.header, decrypted.2, false)?;
        Ok(decrypted)
    }

    /// Parses `bytes` and decrypts its first sealed part in place, without
    /// the rollback guard (which [`Vault::open`] applies itself).
    fn decrypt_unguarded(
        &self,
        bytes: &mut [u8],
        unlock: &Unlock,
        known: Option<&Key>,
        cache: bool,
    ) -> Result<Decrypted, VaultError> {
        let path = self.file();
        let parsed = codec::parse(&path, bytes)?;
        open_sealed(&path, parsed, bytes, unlock, known, cache)
    }
}

/// Decrypts the first sealed part of the file at `path` (its `bytes`, as
/// `parsed`) in place, through `known` or a slot that `unlock` opens.
fn open_sealed(
    path: &Path,
    parsed: Parsed,
    bytes: &mut [u8],
    unlock: &Unlock,
    known: Option<&Key>,
    cache: bool,
) -> Result<Decrypted, VaultError> {
    parsed.check_len(path, bytes.len())?;
    let (head, rest) = bytes.split_at_mut(parsed.sealed.start);
    let mut body = Body {
        nonce: &parsed.header.nonce,
        aad: &head[parsed.aad.clone()],
        bytes: &mut rest[..parsed.sealed.len()],
    };
    let (master, via) = unlock::open_body(path, &parsed.header, &mut body, unlock, known, cache)?;
    Ok((master, parsed, via))
}

/// What a reader of the index reads (see [`Vault::read_index_part_now`]).
struct IndexPart {
    /// The vault file up to its first record (a version-1 file whole).
    bytes: Zeroizing<Vec<u8>>,
    /// The open vault file, to read records from.
    file: File,
    /// The vault file's length.
    len: usize,
    /// The ledger file's bytes, if there is one.
    ledger: Option<Vec<u8>>,
}

/// Whether `after` differs from `before` in nothing but what a ledger
/// records (the fill record and clock offsets). Every member is named, so
/// that a new one cannot be forgotten here.
fn same_but_the_ledger(before: &VaultData, after: &VaultData) -> bool {
    let VaultData {
        tokens,
        tombstones,
        fills: _,
        machines,
        pruned_until,
        clock: _,
    } = after;
    *tokens == before.tokens
        && *tombstones == before.tombstones
        && *machines == before.machines
        && *pruned_until == before.pruned_until
}

/// A decrypted vault file: the key, the parsed file (whose first sealed
/// part is decrypted in place), and how the key was found.
type Decrypted = (Key, Parsed, Via);

/// Refuses a vault file larger than [`MAX_FILE_BYTES`] (§4 rule 1).
fn check_size(path: &Path, len: u64) -> Result<(), VaultError> {
    if len > MAX_FILE_BYTES {
        return Err(VaultError::corrupt(
            path,
            format!("{len} bytes, more than the {MAX_FILE_BYTES}-byte limit"),
        ));
    }
    Ok(())
}

/// The contents of the open vault file `file` of `len` bytes (at most
/// [`MAX_FILE_BYTES`] are read), in a buffer that is wiped on drop.
fn read_whole(path: &Path, file: File, len: u64) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(len as usize + 1));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| VaultError::io(path, e))?;
    Ok(bytes)
}

/// Reads another copy of the vault (to merge) whole, following links: a
/// regular file within the size limit.
fn read_limited(path: &Path) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let file = File::open(path).map_err(|e| VaultError::io(path, e))?;
    let meta = file.metadata().map_err(|e| VaultError::io(path, e))?;
    if !meta.is_file() {
        return Err(VaultError::corrupt(path, "it is not a regular file"));
    }
    check_size(path, meta.len())?;
    read_whole(path, file, meta.len())
}
