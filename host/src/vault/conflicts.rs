//! Copies of the vault file that file-sync tools leave beside it when two
//! machines changed it before hearing from each other (`docs/vault.md`
//! §7.3). FactorCat notices them and `factorcat merge --conflicts` merges
//! them; nothing here reads their contents.

use std::fs;
use std::path::{Path, PathBuf};

use super::handle::{FILE_NAME, PREV_FILE_NAME};

/// Whether a file named `name` in the vault directory is a sync tool's
/// conflict copy of `factorcat.vault`:
///
/// * Syncthing: `factorcat.sync-conflict-20250102-030405-ABCDEFG.vault`;
/// * Dropbox, Nextcloud: `factorcat (… conflicted copy …).vault`;
/// * ownCloud: `factorcat_conflict-20250102-030405.vault`;
/// * OneDrive: `factorcat-<computer name>.vault`;
/// * iCloud Drive: `factorcat 2.vault`;
/// * and any other `factorcat….vault` whose name says "conflict".
pub fn is_conflict_copy(name: &str) -> bool {
    let Some(stem) = name
        .strip_prefix("factorcat")
        .and_then(|rest| rest.strip_suffix(".vault"))
    else {
        return false;
    };
    if name == FILE_NAME || stem.is_empty() {
        return false;
    }
    let lower = stem.to_ascii_lowercase();
    lower.contains("conflict")
        || stem
            .strip_prefix(' ')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        || stem.strip_prefix('-').is_some_and(|host| !host.is_empty())
}

/// The conflict copies in the vault directory `dir`, sorted by name. A
/// directory that cannot be listed has none.
pub fn conflict_copies(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n != PREV_FILE_NAME && is_conflict_copy(n))
        })
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_conflict_copies() {
        for name in [
            "factorcat.sync-conflict-20250102-030405-ABCDEFG.vault",
            "factorcat (Alice's conflicted copy 2025-01-02).vault",
            "factorcat (conflicted copy 2025-01-02 030405).vault",
            "factorcat_conflict-20250102-030405.vault",
            "factorcat-DESKTOP-4QK2J7.vault",
            "factorcat 2.vault",
            "factorcat.Conflict.vault",
        ] {
            assert!(is_conflict_copy(name), "{name}");
        }
        for name in [
            "factorcat.vault",
            "factorcat.vault.prev",
            "factorcat.lock",
            ".factorcat.vault.tmp.abc",
            "factorcat 2.vault.prev",
            "factorcat two.vault",
            "notes.sync-conflict-20250102-030405-ABCDEFG.txt",
            "factorcat-.vault",
            "factorcat .vault",
            // The ledger and sync tools' copies of it are no vault files.
            "factorcat.ledger",
            "factorcat.sync-conflict-20250102-030405-ABCDEFG.ledger",
            "factorcat (conflicted copy 2025-01-02 030405).ledger",
        ] {
            assert!(!is_conflict_copy(name), "{name}");
        }
    }

    #[test]
    fn listing_skips_directories_and_other_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(FILE_NAME), b"x").unwrap();
        fs::write(dir.path().join("factorcat 2.vault"), b"x").unwrap();
        fs::create_dir(dir.path().join("factorcat 3.vault")).unwrap();
        fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        assert_eq!(
            conflict_copies(dir.path()),
            vec![dir.path().join("factorcat 2.vault")]
        );
        assert!(conflict_copies(&dir.path().join("missing")).is_empty());
    }
}
