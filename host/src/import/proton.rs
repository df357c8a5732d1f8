//! Proton Authenticator exports, plain and password-protected.
//!
//! The plain export is {`version`: 1, `entries`: [{`id`, `content`: {`uri`,
//! `entry_type` (`Totp`, `Steam`), `name`}, `note`}]}. `uri` is an
//! `otpauth://totp` URI or `steam://SECRET`; `name` is the account when the
//! URI carries none; Steam entries get the issuer `Steam`. Proton
//! Authenticator has no HOTP tokens.
//!
//! The password-protected export is {`version`: 1, `salt`, `content`}: key =
//! Argon2id(password, salt (16 bytes), m = 19 MiB, t = 2, p = 1, 32 bytes);
//! `content` is base64 of nonce (12 bytes) ‖ AES-256-GCM ciphertext ‖ tag,
//! with the associated data `proton.authenticator.export.v1`; the plaintext
//! is the plain export.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde_json::Value;
use zeroize::Zeroizing;

use super::common::{self, Fields};
use super::{Format, ImportError, Imported};
use crate::token::Token;

const FORMAT: Format = Format::ProtonAuthenticator;

/// Associated data of the password-protected export.
const AAD: &[u8] = b"proton.authenticator.export.v1";

/// Whether `bytes` look like this format.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let Some(Value::Object(root)) = common::json(bytes) else {
        return false;
    };
    if !root.contains_key("version") {
        return false;
    }
    let plain = match root.get("entries") {
        Some(Value::Array(entries)) => entries.first().is_none_or(|e| e.get("content").is_some()),
        _ => false,
    };
    let encrypted = root.len() == 3 && root.contains_key("salt") && root.contains_key("content");
    plain || encrypted
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    let root = common::json_or_damaged(bytes, FORMAT)?;
    let root = if root.get("entries").is_none() && root.get("content").is_some() {
        let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
        let plain = decrypt(&root, password)?;
        serde_json::from_slice(&plain)
            .map_err(|_| common::damaged(FORMAT, "the decrypted export is not valid JSON"))?
    } else {
        root
    };
    match root.get("version").and_then(Value::as_u64) {
        Some(1) => {}
        Some(other) => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("export version {other} (FactorCat reads version 1)"),
            });
        }
        None => return Err(common::damaged(FORMAT, "it has no version number")),
    }
    let entries = common::entry_list(FORMAT, root.get("entries"), "entries")?;
    Ok(common::read_entries(entries, entry))
}

fn decrypt(root: &Value, password: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let root = Fields::of(root).map_err(|e| common::damaged(FORMAT, e))?;
    match root
        .uint("version")
        .map_err(|e| common::damaged(FORMAT, e))?
    {
        Some(1) => {}
        other => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!(
                    "encrypted export version {} (FactorCat reads version 1)",
                    other.map_or("none".to_string(), |v| v.to_string())
                ),
            });
        }
    }
    let field = |key: &str| -> Result<Vec<u8>, ImportError> {
        let text = root
            .blob(key)
            .map_err(|e| common::damaged(FORMAT, e))?
            .ok_or_else(|| common::damaged(FORMAT, format!("it has no \"{key}\"")))?;
        common::base64(text, key).map_err(|e| common::damaged(FORMAT, e))
    };
    let salt = field("salt")?;
    let content = field("content")?;
    if salt.len() < 8 || salt.len() > 64 {
        return Err(common::damaged(FORMAT, "the salt has the wrong size"));
    }
    if content.len() < 12 + 16 {
        return Err(common::damaged(
            FORMAT,
            "the encrypted content is too short, it may be truncated",
        ));
    }
    let params = argon2::Params::new(19 * 1024, 2, 1, Some(32))
        .map_err(|_| common::damaged(FORMAT, "bad key-derivation parameters"))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(password.as_bytes(), &salt, key.as_mut())
        .map_err(|_| common::damaged(FORMAT, "the key could not be derived"))?;
    let cipher = Aes256Gcm::new_from_slice(key.as_ref())
        .map_err(|_| common::damaged(FORMAT, "the key could not be used"))?;
    let (nonce, data) = content.split_at(12);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: data,
                aad: AAD,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| ImportError::WrongPassword(FORMAT))
}

type EntryFailure = (Option<String>, String);

fn entry(value: &Value) -> Result<Token, EntryFailure> {
    let fields = Fields::of(value).map_err(|e| (None, e))?;
    let content = fields
        .object("content")
        .map_err(|e| (None, e))?
        .ok_or((None, "the entry has no content".to_string()))?;
    let name = content.text("name").map_err(|e| (None, e))?;
    let label = common::label("", &name);
    let uri = content.req_str("uri").map_err(|e| (label.clone(), e))?;
    let kind = content.text("entry_type").map_err(|e| (label.clone(), e))?;
    let mut token = common::token_from_key(uri, "", &name).map_err(|e| (label.clone(), e))?;
    // A steam:// link names no issuer; Steam is the issuer of every one.
    if token.kind == crate::token::Kind::Steam && token.issuer.is_empty() {
        token.issuer = "Steam".into();
    }
    let label = common::label(&token.issuer, &token.account);
    let steam = token.kind == crate::token::Kind::Steam;
    let known = ["", "totp", "steam"].contains(&kind.to_ascii_lowercase().as_str());
    if !known || (kind.eq_ignore_ascii_case("steam") && !steam) {
        let shown: String = kind.chars().take(12).collect();
        return Err((
            label,
            format!("the entry type \"{shown}\" is not supported or does not match its link"),
        ));
    }
    common::finish(token).map_err(|e| (label, e))
}
