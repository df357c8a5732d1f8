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
//!
//! The parts:
//!
//! - `handle`: [`Vault`], where a vault lives and reading, creating and
//!   changing it under the lock;
//! - `data`: [`VaultData`], the decrypted contents;
//! - `ledger_file`: the ledger beside the vault file, where fills, fresh
//!   codes' steps and clock offsets are recorded between writes of the
//!   vault file;
//! - `merge`: merging two copies of one vault ([`VaultData::merge`]) and
//!   forgetting old removals safely;
//! - `unlock`: [`Unlock`] and the order in which the master key is sought;
//! - `slot`: the slots that wrap the master key, and [`KdfParams`];
//! - `codec`: the file format as bytes in and out, one module per format
//!   version;
//! - `error`: [`VaultError`].

#![warn(missing_docs)]

pub(crate) mod codec;
mod conflicts;
mod data;
mod error;
mod handle;
pub(crate) mod ledger_file;
mod marks;
mod merge;
mod slot;
mod unlock;

pub use codec::{FORMAT, MAX_FILE_BYTES, VERSION};
pub use conflicts::is_conflict_copy;
pub use data::{Tombstone, VaultData};
pub use error::VaultError;
pub use handle::{
    DEFAULT_LOCK_WAIT, ENV_HOME, ENV_NO_KEY_CACHE, FILE_NAME, KeyCaching, LOCK_FILE_NAME, Merged,
    PREV_FILE_NAME, Vault, VaultStatus, default_home,
};
pub use ledger_file::{LEDGER_FILE_NAME, sequence_of as ledger_sequence};
pub use merge::{MergeReport, TOMBSTONE_KEEP_SECS, Taken};
pub use slot::KdfParams;
pub(crate) use slot::{Slot, check_slots};
pub use unlock::{CreateOptions, ENV_PASSPHRASE, Unlock};
