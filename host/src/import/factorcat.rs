//! FactorCat's own backup format (`factorcat export --format factorcat`),
//! specified in `docs/backup.md`.
//!
//! Unlike the other importers, this one keeps each token's id, creation and
//! change times: a backup read back into the vault it came from is then
//! recognised as the same tokens (duplicates) rather than as copies. HOTP
//! counters are FactorCat's own (the next value to use) and are kept as
//! they are.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{ImportError, Imported, common};
use crate::token::Token;
use crate::vault::KdfParams;

const FORMAT: super::Format = super::Format::FactorCat;

/// The `format` value of every FactorCat backup.
pub const FORMAT_NAME: &str = "factorcat-backup";
/// The only backup version this build reads and writes.
pub const VERSION: u64 = 1;
/// The KDF name in `encryption.kdf.name`.
pub const KDF_NAME: &str = "argon2id";
/// The cipher name in `encryption.cipher`.
pub const CIPHER_NAME: &str = "xchacha20poly1305";
/// Associated data of the ciphertext: binds it to this format and version.
pub const AAD: &[u8] = b"factorcat-backup 1";
/// Most tokens read from one backup.
pub const MAX_TOKENS: usize = 100_000;
/// Salt length written; salts of 16 to 64 bytes are read.
pub const SALT_LEN: usize = 32;
/// XChaCha20-Poly1305 nonce length.
pub const NONCE_LEN: usize = 24;
/// Most Argon2 memory a backup being imported may ask for (256 MiB; FactorCat
/// writes 64 MiB). Tighter than the vault's own bound, as the file may come
/// from anyone.
pub const MAX_IMPORT_M_KIB: u32 = 256 * 1024;
/// Most Argon2 work (memory in KiB × passes) a backup being imported may ask
/// for: about a second, five times what FactorCat writes (65,536 × 3).
pub const MAX_IMPORT_WORK: u64 = 1 << 20;

/// Whether `bytes` are a FactorCat backup: a JSON object whose `format` is
/// `factorcat-backup`.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        format: String,
    }
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| bytes[i] == b'{')
        && serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.format == FORMAT_NAME)
}

fn damaged(reason: impl Into<String>) -> ImportError {
    ImportError::Damaged {
        format: FORMAT,
        reason: reason.into(),
    }
}

/// The 32-byte key for `passphrase` under these Argon2id parameters.
pub(crate) fn derive_key(
    passphrase: &str,
    salt: &[u8],
    kdf: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, String> {
    kdf.check()?;
    let params =
        argon2::Params::new(kdf.m_kib, kdf.t, kdf.p, Some(32)).map_err(|e| e.to_string())?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into(passphrase.as_bytes(), salt, &mut key[..])
        .map_err(|e| e.to_string())?;
    Ok(key)
}

/// Encrypts `plaintext` for a backup.
pub(crate) fn seal(key: &[u8; 32], nonce: &[u8; NONCE_LEN], plaintext: &[u8]) -> Vec<u8> {
    XChaCha20Poly1305::new(key.into())
        .encrypt(
            XNonce::from_slice(nonce),
            Payload {
                msg: plaintext,
                aad: AAD,
            },
        )
        .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail")
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    let top: Value = serde_json::from_slice(bytes).map_err(|e| {
        damaged(if e.is_eof() {
            "not valid JSON: it ends early (truncated?)".to_string()
        } else {
            format!(
                "not valid JSON: syntax error at line {} column {}",
                e.line(),
                e.column()
            )
        })
    })?;
    let top = top
        .as_object()
        .ok_or_else(|| damaged("the top level is not a JSON object"))?;
    if top.get("format").and_then(Value::as_str) != Some(FORMAT_NAME) {
        return Err(damaged(format!("\"format\" is not \"{FORMAT_NAME}\"")));
    }
    match top.get("version").and_then(Value::as_u64) {
        Some(VERSION) => {}
        Some(v) => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("backup version {v} (this FactorCat reads version {VERSION})"),
            });
        }
        None => return Err(damaged("\"version\" is missing or not a number")),
    }
    match top.get("encryption") {
        None | Some(Value::Null) => read_tokens(top),
        Some(Value::Object(encryption)) => {
            let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
            let plaintext = decrypt(top, encryption, password)?;
            match serde_json::from_slice::<Value>(&plaintext) {
                Ok(Value::Object(payload)) => read_tokens(&payload),
                _ => Err(damaged("the decrypted payload is not a JSON object")),
            }
        }
        Some(_) => Err(damaged("\"encryption\" is not an object")),
    }
}

fn b64_field(obj: &Map<String, Value>, name: &str) -> Result<Vec<u8>, ImportError> {
    let text = obj
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| damaged(format!("\"{name}\" is missing or not a string")))?;
    BASE64
        .decode(text.as_bytes())
        .map_err(|_| damaged(format!("\"{name}\" is not valid Base64")))
}

fn decrypt(
    top: &Map<String, Value>,
    encryption: &Map<String, Value>,
    password: &str,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    if encryption.get("cipher").and_then(Value::as_str) != Some(CIPHER_NAME) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: format!("a cipher other than {CIPHER_NAME}"),
        });
    }
    let kdf = encryption
        .get("kdf")
        .and_then(Value::as_object)
        .ok_or_else(|| damaged("\"encryption.kdf\" is missing or not an object"))?;
    if kdf.get("name").and_then(Value::as_str) != Some(KDF_NAME) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: format!("a key derivation other than {KDF_NAME}"),
        });
    }
    let number = |name: &str| {
        kdf.get(name)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| damaged(format!("Argon2 \"{name}\" is missing or out of range")))
    };
    let params = KdfParams {
        m_kib: number("m_kib")?,
        t: number("t")?,
        p: number("p")?,
    };
    params.check().map_err(damaged)?;
    if params.m_kib > MAX_IMPORT_M_KIB
        || u64::from(params.m_kib) * u64::from(params.t) > MAX_IMPORT_WORK
    {
        return Err(damaged(format!(
            "Argon2 m={} KiB t={} asks for more than {} MiB or {} KiB·passes of work (FactorCat writes m=65536 t=3); refusing",
            params.m_kib,
            params.t,
            MAX_IMPORT_M_KIB >> 10,
            MAX_IMPORT_WORK
        )));
    }
    let salt = b64_field(kdf, "salt")?;
    if !(16..=64).contains(&salt.len()) {
        return Err(damaged("the salt must be 16 to 64 bytes"));
    }
    let nonce = b64_field(encryption, "nonce")?;
    if nonce.len() != NONCE_LEN {
        return Err(damaged(format!("the nonce must be {NONCE_LEN} bytes")));
    }
    let ciphertext = b64_field(top, "ciphertext")?;
    let key = derive_key(password, &salt, params).map_err(damaged)?;
    XChaCha20Poly1305::new((&*key).into())
        .decrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: &ciphertext,
                aad: AAD,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| ImportError::WrongPassword(FORMAT))
}

/// Removes quoted text from a serde message, so that no value from the
/// file (possibly a secret) is repeated.
fn redact(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in message.chars() {
        if quoted && (escaped || c == '\\') {
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            if !quoted {
                out.push('…');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

fn read_tokens(obj: &Map<String, Value>) -> Result<Imported, ImportError> {
    let list = obj
        .get("tokens")
        .and_then(Value::as_array)
        .ok_or_else(|| damaged("\"tokens\" is missing or not a list"))?;
    if list.len() > MAX_TOKENS {
        return Err(damaged(format!(
            "{} tokens is more than the {MAX_TOKENS} FactorCat reads from one file",
            list.len()
        )));
    }
    let mut seen = std::collections::HashSet::new();
    Ok(common::read_entries(list, |value| {
        let text = |k: &str| value.get(k).and_then(Value::as_str).unwrap_or_default();
        let label = common::label(text("issuer"), text("account"));
        serde_json::from_value::<Token>(value.clone())
            .map_err(|e| redact(&e.to_string()))
            .and_then(|t| crate::token::settle(t).map_err(|e| e.to_string()))
            .and_then(|t| {
                if seen.insert(t.id) {
                    Ok(t)
                } else {
                    Err("the same id appears earlier in the file".to_string())
                }
            })
            .map_err(|reason| (label, reason))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_drops_quoted_values() {
        assert_eq!(
            redact("invalid type: string \"JBSWY3DPEHPK3PXP\", expected u8"),
            "invalid type: string …, expected u8"
        );
        assert_eq!(redact("missing field `id`"), "missing field `id`");
        assert_eq!(redact(r#"string "a\"b\\", x"#), "string …, x");
    }
}
