//! Backups of the "Authenticator" browser extension
//! (Authenticator-Extension/Authenticator).
//!
//! The backup is a JSON object keyed by each entry's hash; every value is
//! {`account`, `issuer`, `secret`, `type`, `counter`, `period`, `digits`,
//! `algorithm`, `encrypted`, `hash`, `index`, …}. Types: `totp`, `hotp`,
//! `steam`, `hex` and `hhex` (TOTP and HOTP with a hexadecimal secret) and
//! `battle` (Battle.net), which FactorCat does not compute and reports as a
//! bad entry. Old versions marked Steam secrets with a `stm-` prefix.
//!
//! Encrypted backups of the extension's older scheme have `encrypted: true`
//! and `secret` = CryptoJS passphrase encryption of the secret text with the
//! password: base64 of `Salted__` ‖ 8-byte salt ‖ AES-256-CBC ciphertext,
//! key and IV from OpenSSL's EVP_BytesToKey with MD5 and one round; `hash`
//! is the MD5 of the secret text, which tells a wrong password apart.
//! Backups of the newer scheme carry a top-level `key` object (an Argon2
//! password hash wrapping a random key); they are refused as unsupported,
//! with the advice to export an unencrypted backup.
//!
//! Entries are read in the extension's own order (`index`), and entry
//! errors count positions in that order.
//!
//! HOTP counter: the extension computes the code of the stored counter and
//! then increments it, so the stored value is the next to use, FactorCat's
//! meaning; it is taken as is.

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};
use serde_json::Value;
use zeroize::Zeroizing;

use super::common::{self, Fields};
use super::{Format, ImportError, Imported};
use crate::secret::Secret;
use crate::token::{Algorithm, Kind, STEAM_DIGITS, Token};

const FORMAT: Format = Format::AuthenticatorExtension;

/// Whether `bytes` look like this format.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let Some(Value::Object(root)) = common::json(bytes) else {
        return false;
    };
    let mut entries = root.iter().filter(|(k, _)| k.as_str() != "key").peekable();
    entries.peek().is_some()
        && entries.all(|(_, v)| {
            v.as_object().is_some_and(|o| {
                o.contains_key("secret")
                    && (o.contains_key("encrypted") || o.contains_key("hash"))
                    && o.contains_key("type")
            })
        })
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    let root = common::json_or_damaged(bytes, FORMAT)?;
    let Value::Object(root) = &root else {
        return Err(common::damaged(FORMAT, "it is not a JSON object"));
    };
    if root.get("key").is_some_and(|k| !k.is_null()) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "a backup encrypted with the extension's current (Argon2) scheme \
                   (export it again from the extension without a password, import it, \
                   then delete that file)"
                .into(),
        });
    }
    common::check_count(FORMAT, root.len())?;
    // JSON objects have no order; the extension keeps its own in `index`.
    // Entries are read, and numbered in errors, in that order.
    let mut entries: Vec<(u64, &String, &Value)> = root
        .iter()
        .map(|(key, value)| {
            let index = value
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(u64::MAX);
            (index, key, value)
        })
        .collect();
    entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let entries: Vec<&Value> = entries.into_iter().map(|(_, _, value)| value).collect();
    let encrypted = entries.iter().filter(|v| is_encrypted(v)).count();
    if encrypted > 0 && password.is_none() {
        return Err(ImportError::PasswordRequired(FORMAT));
    }

    let mut out = Imported::default();
    let mut opened = 0;
    for (index, value) in entries.iter().enumerate() {
        match entry(value, password) {
            Ok(token) => {
                if is_encrypted(value) {
                    opened += 1;
                }
                out.tokens.push(token)
            }
            Err((label, reason)) => {
                out.failures
                    .push(common::entry_error(index + 1, label, reason))
            }
        }
    }
    if encrypted > 0 && opened == 0 {
        return Err(ImportError::WrongPassword(FORMAT));
    }
    Ok(out)
}

fn is_encrypted(value: &Value) -> bool {
    value.get("encrypted").and_then(Value::as_bool) == Some(true)
}

type EntryFailure = (Option<String>, String);

fn entry(value: &Value, password: Option<&str>) -> Result<Token, EntryFailure> {
    let fields = Fields::of(value).map_err(|e| (None, e))?;
    let issuer = fields.text("issuer").map_err(|e| (None, e))?;
    let account = fields.text("account").map_err(|e| (None, e))?;
    let label = common::label(&issuer, &account);
    build(&fields, is_encrypted(value), issuer, account, password).map_err(|e| (label, e))
}

fn build(
    fields: &Fields<'_>,
    encrypted: bool,
    issuer: String,
    account: String,
    password: Option<&str>,
) -> Result<Token, String> {
    let stored = fields.req_str("secret")?;
    let text: Zeroizing<String> = match (encrypted, password) {
        (true, Some(password)) => {
            let plain = cryptojs_decrypt(stored, password)
                .ok_or("the secret does not decrypt with this password")?;
            if let Some(hash) = fields.str("hash")? {
                let digest = Md5::digest(plain.as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                if !hash.eq_ignore_ascii_case(&hex) {
                    return Err("the secret does not decrypt with this password".into());
                }
            }
            plain
        }
        (true, None) => return Err("the secret is encrypted and no password was given".into()),
        (false, _) => Zeroizing::new(stored.to_string()),
    };
    let kind = fields.req_str("type")?.trim().to_ascii_lowercase();
    let (steam_prefix, text) = match text.strip_prefix("stm-") {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let secret = match kind.as_str() {
        "hex" | "hhex" => hex_secret(text)?,
        "battle" => {
            return Err(
                "Battle.net tokens are not supported; add the token again with its \
                 otpauth link if you have one"
                    .into(),
            );
        }
        _ => Secret::from_base32(text).map_err(|e| e.to_string())?,
    };
    let mut token = Token::new(issuer, account, secret);
    if let Some(algorithm) = fields.str("algorithm")? {
        token.algorithm = common::algorithm(algorithm)?;
    }
    if let Some(digits) = fields.uint("digits")? {
        token.digits = common::digits(digits)?;
    }
    token.kind = match kind.as_str() {
        _ if steam_prefix || kind == "steam" => {
            token.digits = STEAM_DIGITS;
            token.algorithm = Algorithm::Sha1;
            Kind::Steam
        }
        "totp" | "hex" => Kind::Totp {
            period: fields.uint("period")?.unwrap_or(30),
        },
        "hotp" | "hhex" => Kind::Hotp {
            counter: fields.uint("counter")?.unwrap_or(0),
        },
        other => {
            let shown: String = other.chars().take(12).collect();
            return Err(format!("the token type \"{shown}\" is not supported"));
        }
    };
    common::finish(token)
}

fn hex_secret(text: &str) -> Result<Secret, String> {
    let text: Zeroizing<String> = Zeroizing::new(text.chars().filter(|c| *c != ' ').collect());
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("the hexadecimal secret is not valid hexadecimal".into());
    }
    if text.len() > crate::secret::MAX_SECRET_BYTES * 2 {
        return Err(crate::secret::SecretError::TooLong.to_string());
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap_or(0))
        .collect();
    Secret::from_bytes(bytes).map_err(|e| e.to_string())
}

/// CryptoJS `AES.decrypt(text, passphrase)`: OpenSSL `Salted__` framing,
/// EVP_BytesToKey(MD5, one round) → AES-256-CBC with PKCS#7 padding.
fn cryptojs_decrypt(text: &str, passphrase: &str) -> Option<Zeroizing<String>> {
    if text.len() > 4096 {
        return None;
    }
    let raw = common::base64(text, "secret").ok()?;
    let rest = raw.strip_prefix(b"Salted__")?;
    if rest.len() < 8 + 16 || !(rest.len() - 8).is_multiple_of(16) {
        return None;
    }
    let (salt, ciphertext) = rest.split_at(8);
    let mut material = Zeroizing::new([0u8; 48]);
    let mut previous: Option<[u8; 16]> = None;
    for chunk in material.chunks_mut(16) {
        let mut md5 = Md5::new();
        if let Some(p) = previous {
            md5.update(p);
        }
        md5.update(passphrase.as_bytes());
        md5.update(salt);
        let block: [u8; 16] = md5.finalize().into();
        chunk.copy_from_slice(&block);
        previous = Some(block);
    }
    let (key, iv) = material.split_at(32);
    let decryptor = cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv).ok()?;
    let mut buffer = Zeroizing::new(ciphertext.to_vec());
    let plain = decryptor.decrypt_padded_mut::<Pkcs7>(&mut buffer).ok()?;
    let text = std::str::from_utf8(plain).ok()?;
    Some(Zeroizing::new(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made with OpenSSL, not CryptoJS or this module:
    /// `printf JBSWY3DPEHPK3PXP | openssl enc -aes-256-cbc -md md5
    /// -S 0102030405060708 -pass pass:hunter2`, framed with `Salted__` and
    /// the salt (OpenSSL 3 leaves the frame out when the salt is given).
    const OPENSSL: &str = "U2FsdGVkX18BAgMEBQYHCIge8Zv9PLpNbciyv7EvVXSp1J0vWiV/Ps1Mv/fU1c6h";

    #[test]
    fn cryptojs_passphrase_mode_matches_openssl() {
        let plain = cryptojs_decrypt(OPENSSL, "hunter2").unwrap();
        assert_eq!(plain.as_str(), "JBSWY3DPEHPK3PXP");
    }

    #[test]
    fn cryptojs_refuses_wrong_passwords_and_bad_frames() {
        // A wrong key almost always breaks the padding; when it does not,
        // the MD5 `hash` check catches it (see `build`).
        assert!(cryptojs_decrypt(OPENSSL, "hunter3").is_none());
        assert!(cryptojs_decrypt("bm90IHNhbHRlZA==", "hunter2").is_none());
        assert!(cryptojs_decrypt("U2FsdGVkX18BAgMEBQYHCA==", "hunter2").is_none());
        assert!(cryptojs_decrypt(&"A".repeat(5000), "hunter2").is_none());
    }

    #[test]
    fn hex_secrets() {
        let secret = hex_secret("3132333435363738393031323334353637383930").unwrap();
        assert_eq!(secret.expose(), b"12345678901234567890");
        assert!(hex_secret("313").is_err());
        assert!(hex_secret("zz32333435363738393031323334353637383930").is_err());
    }
}
