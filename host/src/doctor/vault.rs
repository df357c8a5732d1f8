//! The vault, and the keyring that unlocks it.
//!
//! What the vault's findings say agrees with what `factorcat code` does:
//! the vault "opens" when `code` would open it now (the kernel key cache
//! first, as `code` tries it), and the keyring is then checked on its own,
//! so a vault that opens only while its key is cached is said to be so.
//! Advice names the passphrase only for a vault that has a passphrase slot.

use super::{Finding, Level};
use crate::clock::Clocks;
use crate::error::ErrorCode;
use crate::keystore;
use crate::vault::{ENV_PASSPHRASE, Unlock, Vault, VaultError, VaultStatus};

/// Where to find a Secret Service, for the fixes below.
const START_SECRET_SERVICE: &str = "start a Secret Service in this session (gnome-keyring-daemon, or KeePassXC \
     with its Secret Service integration)";

/// The vault and the keyring that unlocks it, and the clock offsets it
/// holds when it opens.
pub(super) fn vault_findings() -> (Vec<Finding>, Option<Clocks>) {
    let mut clocks = None;
    let findings = vault_findings_keeping(&mut clocks);
    (findings, clocks)
}

fn vault_findings_keeping(clocks: &mut Option<Clocks>) -> Vec<Finding> {
    let vault = match Vault::locate() {
        Ok(v) => v,
        Err(e) => {
            return vec![Finding::problem(
                format!("cannot tell where the vault is: {e}"),
                "set FACTORCAT_HOME to the vault directory",
            )];
        }
    };
    let file = vault.file().display().to_string();
    let (has_keyring_slot, has_passphrase_slot) = match vault.status() {
        VaultStatus::Missing => return missing_vault(&file),
        VaultStatus::Unreadable { reason } => {
            return vec![Finding::problem(
                format!("the vault at {file} cannot be used: {reason}"),
                format!(
                    "it is never overwritten; restore the previous generation ({}, which lacks \
                     the most recent change, then run `factorcat accept-older`) or a backup, or \
                     upgrade factorcat if a newer version wrote it",
                    vault.prev_file().display()
                ),
            )];
        }
        VaultStatus::Present {
            has_keyring_slot,
            has_passphrase_slot,
        } => (has_keyring_slot, has_passphrase_slot),
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut findings = vec![Finding::ok(format!(
        "the vault at {file} is intact (keyring slot: {}, passphrase slot: {})",
        yes_no(has_keyring_slot),
        yes_no(has_passphrase_slot)
    ))];
    let copies = vault.conflict_copies();
    if !copies.is_empty() {
        let names: Vec<String> = copies
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect();
        findings.push(Finding::problem(
            format!(
                "a sync tool left {} conflict copy(ies) of the vault beside it: {}",
                names.len(),
                names.join(", ")
            ),
            "merge them into the vault (and remove them) with `factorcat merge --conflicts`",
        ));
    }
    // As `code` opens it: the key cache, the keyring, FACTORCAT_PASSPHRASE.
    let tokens = match vault.read(&Unlock::from_env()) {
        Ok(data) => {
            *clocks = Some(data.clock);
            data.tokens.len()
        }
        Err(e) => {
            findings.push(does_not_open(&e, has_keyring_slot, has_passphrase_slot));
            return findings;
        }
    };
    // The keyring on its own: no cache, no passphrase.
    let keyring =
        has_keyring_slot.then(|| vault.clone().with_key_cache(false).read(&Unlock::default()));
    match keyring {
        None => findings.push(Finding::ok(format!("the vault opens ({tokens} token(s))"))),
        Some(Ok(_)) => findings.push(Finding::ok(format!(
            "the vault opens with the OS keyring ({tokens} token(s))"
        ))),
        Some(Err(e)) => {
            findings.push(Finding::ok(format!(
                "the vault opens now ({tokens} token(s)), {}",
                if has_passphrase_slot && std::env::var_os(ENV_PASSPHRASE).is_some() {
                    "with FACTORCAT_PASSPHRASE or the key cached by an earlier unlock"
                } else {
                    "with its key cached in the kernel by an earlier unlock"
                }
            )));
            findings.push(Finding {
                level: Level::Problem,
                what: format!(
                    "but the OS keyring does not give its key: {e}. Once the cached key expires \
                     (8 hours after the unlock that cached it, or at logout), `factorcat code` \
                     and the browser extension get {}",
                    if has_passphrase_slot {
                        "nothing without the passphrase"
                    } else {
                        "nothing"
                    }
                ),
                fix: Some(keyring_fix(&e, has_passphrase_slot)),
            });
        }
    }
    findings
}

/// No vault yet: what the first `factorcat add` will do, which depends on
/// whether the OS keyring answers.
fn missing_vault(file: &str) -> Vec<Finding> {
    let passphrase_set = std::env::var_os(ENV_PASSPHRASE).is_some_and(|v| !v.is_empty());
    match keystore::keyring_probe() {
        Ok(()) => vec![Finding::note(
            format!(
                "there is no vault yet at {file}; the first `factorcat add` creates it, its key \
                 kept in the OS keyring{}",
                if passphrase_set {
                    ", with a passphrase slot for FACTORCAT_PASSPHRASE"
                } else {
                    ""
                }
            ),
            Some("add a token with `factorcat add`".into()),
        )],
        Err(e) if passphrase_set => vec![Finding::note(
            format!(
                "there is no vault yet at {file}, and {e}; the first `factorcat add` creates it \
                 protected by FACTORCAT_PASSPHRASE only"
            ),
            Some(format!(
                "{START_SECRET_SERVICE} first if the vault should open with the keyring"
            )),
        )],
        Err(e) => vec![Finding::problem(
            format!(
                "there is no vault yet at {file}, and {e} — so the first `factorcat add` cannot \
                 keep a new vault's key there: in a terminal it offers to protect the vault with \
                 a passphrase only, elsewhere it stops"
            ),
            format!(
                "{START_SECRET_SERVICE}, or create a vault protected by a passphrase only: \
                 `factorcat init --passphrase --no-keyring`"
            ),
        )],
    }
}

/// What to do about a keyring that does not give the vault key.
fn keyring_fix(e: &VaultError, has_passphrase_slot: bool) -> String {
    match e.code() {
        ErrorCode::KeyringLocked => {
            "unlock the OS keyring (log in to the desktop session, or unlock the \"login\" \
             keyring in Seahorse); the browser extension gets no codes until then"
                .to_string()
        }
        ErrorCode::KeyringUnavailable if has_passphrase_slot => {
            format!(
                "{START_SECRET_SERVICE}, or unlock the vault with its passphrase for a while: \
                 `factorcat unlock`"
            )
        }
        ErrorCode::KeyringUnavailable => format!(
            "{START_SECRET_SERVICE}; once it opens, consider `factorcat passphrase` for a \
             recovery passphrase"
        ),
        _ => "follow the advice in the message".to_string(),
    }
}

/// The vault does not open as `code` would open it.
fn does_not_open(e: &VaultError, has_keyring_slot: bool, has_passphrase_slot: bool) -> Finding {
    let (level, fix) = match e.code() {
        ErrorCode::KeyringLocked | ErrorCode::KeyringUnavailable => {
            (Level::Problem, keyring_fix(e, has_passphrase_slot))
        }
        ErrorCode::PassphraseRequired if !has_keyring_slot => (
            Level::Note,
            "this vault opens with its passphrase only: `factorcat unlock` keeps it unlocked \
             for a while (the browser extension gets codes only then), or enter it when asked"
                .to_string(),
        ),
        ErrorCode::WrongPassphrase => (
            Level::Problem,
            "FACTORCAT_PASSPHRASE is not this vault's passphrase".to_string(),
        ),
        ErrorCode::VaultCorrupt | ErrorCode::VaultVersion => (
            Level::Problem,
            "the file is never overwritten; restore the previous generation (which lacks the \
             most recent change) or a backup, or upgrade factorcat if a newer version wrote it"
                .to_string(),
        ),
        ErrorCode::LedgerUnusable => (
            Level::Problem,
            "move factorcat.ledger out of the vault directory (it is never overwritten); the \
             vault and its tokens are not affected, only the record of recent fills and clock \
             offsets is lost"
                .to_string(),
        ),
        _ => (
            Level::Problem,
            "follow the advice in the message".to_string(),
        ),
    };
    Finding {
        level,
        what: format!("the vault does not open: {e}"),
        fix: Some(fix),
    }
}
