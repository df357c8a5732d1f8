//! The vault, and the keyring that unlocks it.

use super::{Finding, Level};
use crate::error::ErrorCode;

/// The vault and the keyring that unlocks it.
pub(super) fn vault_findings() -> Vec<Finding> {
    use crate::vault::{Unlock, Vault, VaultStatus};
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
        VaultStatus::Missing => {
            return vec![Finding::note(
                format!(
                    "there is no vault yet at {file} (the keyring is checked once there is one)"
                ),
                Some("add a token with `factorcat add`, which creates it".into()),
            )];
        }
        VaultStatus::Unreadable { reason } => {
            return vec![Finding::problem(
                format!("the vault at {file} cannot be used: {reason}"),
                format!(
                    "it is never overwritten; restore the previous generation ({}) or a backup, \
                     or upgrade factorcat if a newer version wrote it",
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
    // Unlock for real, bypassing the short-lived key cache, so that the
    // keyring itself is what gets tested.
    let finding = match vault.with_key_cache(false).read(&Unlock::from_env()) {
        Ok(data) => Finding::ok(format!(
            "the vault opens{} ({} token(s))",
            if has_keyring_slot {
                " with the OS keyring"
            } else {
                ""
            },
            data.tokens.len()
        )),
        Err(e) => {
            let (level, fix) = match e.code() {
                ErrorCode::KeyringLocked => (
                    Level::Problem,
                    "unlock the OS keyring (log in to the desktop session, or unlock the \"login\" \
                     keyring in Seahorse); the browser extension gets no codes until then",
                ),
                ErrorCode::KeyringUnavailable if has_passphrase_slot => (
                    Level::Problem,
                    "start a Secret Service in this session (gnome-keyring-daemon, or KeePassXC with \
                     its Secret Service integration), or set FACTORCAT_PASSPHRASE",
                ),
                ErrorCode::KeyringUnavailable => (
                    Level::Problem,
                    "start a Secret Service in this session (gnome-keyring-daemon, or KeePassXC with \
                     its Secret Service integration); once it opens, consider `factorcat passphrase` \
                     for a recovery passphrase",
                ),
                ErrorCode::PassphraseRequired if !has_keyring_slot => (
                    Level::Note,
                    "this vault opens with its passphrase only: set FACTORCAT_PASSPHRASE, \
                     or enter it when asked",
                ),
                ErrorCode::WrongPassphrase => (
                    Level::Problem,
                    "FACTORCAT_PASSPHRASE is not this vault's passphrase",
                ),
                ErrorCode::VaultCorrupt | ErrorCode::VaultVersion => (
                    Level::Problem,
                    "the file is never overwritten; restore the previous generation or a backup, \
                     or upgrade factorcat if a newer version wrote it",
                ),
                _ => (Level::Problem, "follow the advice in the message"),
            };
            Finding {
                level,
                what: format!("the vault does not open: {e}"),
                fix: Some(fix.into()),
            }
        }
    };
    findings.push(finding);
    findings
}
