//! The rollback guard (`docs/vault.md` §7.1): every write of the vault
//! file raises its generation, and this machine keeps the highest
//! generation it has seen outside the file — in the OS keyring beside the
//! keyring slot's key, and in the kernel key cache. A file older than that
//! is refused, unless the person accepts it on purpose.

use uuid::Uuid;

use super::VaultError;
use crate::keystore::{self, Mark};
use std::path::Path;

/// Where this machine keeps its mark of a vault.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Places {
    /// The kernel key cache (when the cache is on).
    pub(crate) cache: bool,
    /// The OS keyring (when this machine keeps the vault's key there).
    pub(crate) keyring: bool,
}

/// This machine's mark of vault `id`: from the kernel cache, else from the
/// OS keyring (then copied to the cache). `None` when neither has one
/// (this machine has not used the vault before, or keeps no mark).
pub(crate) fn load(id: Uuid, places: Places) -> Option<Mark> {
    let id = id.to_string();
    if places.cache
        && let Some(mark) = keystore::cache_mark_get(&id)
    {
        return Some(mark);
    }
    if places.keyring
        && let Ok(Some(mark)) = keystore::keyring_mark_get(&id)
    {
        if places.cache {
            keystore::cache_mark_put(&id, mark);
        }
        return Some(mark);
    }
    None
}

/// Stores `mark` in the places. Failures are ignored: the mark is a guard
/// against a file put back, and a keyring that cannot take it now leaves
/// the guard where it was.
pub(crate) fn store(id: Uuid, mark: Mark, places: Places) {
    let id = id.to_string();
    if places.cache {
        keystore::cache_mark_put(&id, mark);
    }
    if places.keyring {
        let _ = keystore::keyring_mark_set(&id, mark);
    }
}

/// Checks the vault file `path`, of generation `found`, against this
/// machine's mark, and returns the mark to keep: `seen` raised to `found`,
/// or a new one (a new machine id) on first use. An older file is
/// [`VaultError::RolledBack`], unless `accept_older`.
pub(crate) fn check(
    path: &Path,
    id: Uuid,
    found: u64,
    mark: Option<Mark>,
    accept_older: bool,
) -> Result<Mark, VaultError> {
    match mark {
        Some(mark) if found < mark.generation && !accept_older => Err(VaultError::RolledBack {
            path: path.to_path_buf(),
            found,
            seen: mark.generation,
        }),
        Some(mark) => Ok(Mark {
            machine: mark.machine,
            generation: mark.generation.max(found),
        }),
        None => Ok(Mark {
            machine: machine_id(id),
            generation: found,
        }),
    }
}

/// The id this machine goes by in vault `vault`'s records, when it has no
/// mark yet: derived from the operating system's machine id and the user
/// (so that it stays the same when the kernel cache is emptied by a
/// restart), else random.
fn machine_id(vault: Uuid) -> Uuid {
    #[cfg(unix)]
    {
        use blake2::{Blake2s256, Digest};
        use std::os::unix::fs::MetadataExt;
        let system = std::fs::read_to_string("/etc/machine-id")
            .or_else(|_| std::fs::read_to_string("/var/lib/dbus/machine-id"));
        let home = std::env::var_os("HOME")
            .and_then(|h| std::fs::metadata(h).ok())
            .map(|m| m.uid());
        if let (Ok(system), Some(uid)) = (system, home)
            && !system.trim().is_empty()
        {
            let mut hash = Blake2s256::new();
            hash.update(b"factorcat machine\0");
            hash.update(system.trim().as_bytes());
            hash.update(uid.to_be_bytes());
            hash.update(vault.as_bytes());
            let digest = hash.finalize();
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            return uuid::Builder::from_random_bytes(bytes).into_uuid();
        }
    }
    let _ = vault;
    Uuid::new_v4()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_files_are_refused_unless_accepted() {
        let id = Uuid::new_v4();
        let path = Path::new("v");
        let mark = Mark {
            machine: Uuid::new_v4(),
            generation: 7,
        };
        let err = check(path, id, 6, Some(mark), false).unwrap_err();
        assert!(
            matches!(
                err,
                VaultError::RolledBack {
                    found: 6,
                    seen: 7,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(check(path, id, 6, Some(mark), true).unwrap(), mark);
        assert_eq!(check(path, id, 7, Some(mark), false).unwrap(), mark);
        let raised = check(path, id, 9, Some(mark), false).unwrap();
        assert_eq!((raised.machine, raised.generation), (mark.machine, 9));
        let first = check(path, id, 3, None, false).unwrap();
        assert_eq!(first.generation, 3);
        assert_eq!(
            check(path, id, 3, None, false).unwrap().machine,
            first.machine,
            "a machine keeps its id without a mark where the system has one"
        );
    }
}
