//! Writing the vault's tokens out for backup or for another authenticator.
//!
//! Three formats (see `docs/backup.md`):
//! - [`ExportFormat::FactorCat`]: FactorCat's backup, every field of every
//!   token (ids, times, sites, AWS context, tags, pin, HOTP counter);
//!   encrypted with Argon2id + XChaCha20-Poly1305, or plain.
//! - [`ExportFormat::Aegis`]: an Aegis vault file (content version 3) that
//!   Aegis imports: encrypted as Aegis does (scrypt N=2^15 r=8 p=1 password
//!   slot, AES-256-GCM), or plain. Tags become groups, pinned becomes
//!   favorite; sites and AWS context have no place there.
//! - [`ExportFormat::Otpauth`]: one `otpauth://` URI per line; plain only.
//!
//! The result holds every secret: it is returned in a buffer that is wiped
//! when dropped, and nothing here writes it anywhere. The native host never
//! calls this; secrets leave only through an explicit CLI export.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use data_encoding::BASE64;
use rand::RngCore;
use rand::rngs::OsRng;
use serde_json::{Value, json};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::ErrorCode;
use crate::import::factorcat as backup;
use crate::otpauth;
use crate::token::{Algorithm, Kind, Token, now_unix};
use crate::vault::KdfParams;

/// The output formats of `factorcat export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// FactorCat's own backup format.
    FactorCat,
    /// An Aegis vault file.
    Aegis,
    /// A text list of otpauth URIs.
    Otpauth,
}

impl ExportFormat {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ExportFormat::FactorCat => "factorcat",
            ExportFormat::Aegis => "aegis",
            ExportFormat::Otpauth => "otpauth",
        }
    }
}

impl fmt::Display for ExportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How the output is protected.
pub enum Protection {
    /// Encrypted with a key derived from this passphrase.
    Passphrase(Zeroizing<String>),
    /// Not encrypted: anyone who reads the output has every secret.
    Plaintext,
}

impl Protection {
    /// Encryption with `passphrase`.
    pub fn passphrase(passphrase: impl Into<String>) -> Protection {
        Protection::Passphrase(Zeroizing::new(passphrase.into()))
    }
}

impl fmt::Debug for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protection::Passphrase(_) => f.write_str("Passphrase(<redacted>)"),
            Protection::Plaintext => f.write_str("Plaintext"),
        }
    }
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The format has no encryption.
    #[error("the {0} format cannot be encrypted (the factorcat and aegis formats can)")]
    PlaintextOnly(ExportFormat),
    /// An empty passphrase.
    #[error("the export passphrase is empty; choose one")]
    EmptyPassphrase,
    /// Key derivation failed (never expected with the fixed parameters).
    #[error("key derivation failed: {0}")]
    Kdf(String),
}

impl ExportError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ExportError::PlaintextOnly(_) => ErrorCode::NotSupported,
            ExportError::EmptyPassphrase => ErrorCode::PassphraseEmpty,
            ExportError::Kdf(_) => ErrorCode::Internal,
        }
    }
}

/// The scrypt cost Aegis uses (log2 N, r, p).
const AEGIS_SCRYPT: (u8, u32, u32) = (15, 8, 1);

/// `tokens` in `format`, protected as asked.
pub fn export(
    tokens: &[Token],
    format: ExportFormat,
    protection: &Protection,
) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    if let Protection::Passphrase(p) = protection
        && p.is_empty()
    {
        return Err(ExportError::EmptyPassphrase);
    }
    match (format, protection) {
        (ExportFormat::Otpauth, Protection::Plaintext) => Ok(otpauth_list(tokens)),
        (ExportFormat::Otpauth, Protection::Passphrase(_)) => {
            Err(ExportError::PlaintextOnly(format))
        }
        (ExportFormat::FactorCat, _) => factorcat(tokens, protection),
        (ExportFormat::Aegis, _) => aegis(tokens, protection),
    }
}

fn otpauth_list(tokens: &[Token]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    for token in tokens {
        let uri = otpauth::emit(token);
        out.reserve(uri.len() + 1);
        out.extend_from_slice(uri.as_bytes());
        out.push(b'\n');
    }
    out
}

fn to_bytes(value: &Value) -> Zeroizing<Vec<u8>> {
    let mut out =
        Zeroizing::new(serde_json::to_vec_pretty(value).expect("a JSON value always serializes"));
    out.push(b'\n');
    out
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

fn factorcat(tokens: &[Token], protection: &Protection) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let list = serde_json::to_value(tokens).expect("tokens always serialize");
    let mut top = json!({
        "format": backup::FORMAT_NAME,
        "version": backup::VERSION,
        "created": now_unix(),
    });
    match protection {
        Protection::Plaintext => {
            top["encryption"] = Value::Null;
            top["tokens"] = list;
        }
        Protection::Passphrase(passphrase) => {
            let kdf = KdfParams::DEFAULT;
            let salt: [u8; backup::SALT_LEN] = random();
            let nonce: [u8; backup::NONCE_LEN] = random();
            let key = backup::derive_key(passphrase, &salt, kdf).map_err(ExportError::Kdf)?;
            let payload = to_bytes(&json!({ "tokens": list }));
            let sealed = backup::seal(&key, &nonce, &payload);
            top["encryption"] = json!({
                "kdf": {
                    "name": backup::KDF_NAME,
                    "m_kib": kdf.m_kib,
                    "t": kdf.t,
                    "p": kdf.p,
                    "salt": BASE64.encode(&salt),
                },
                "cipher": backup::CIPHER_NAME,
                "nonce": BASE64.encode(&nonce),
            });
            top["ciphertext"] = Value::from(BASE64.encode(&sealed));
        }
    }
    Ok(to_bytes(&top))
}

/// Aegis content version 3: entries plus the groups their tags name.
fn aegis_content(tokens: &[Token]) -> Value {
    let mut groups: BTreeMap<&str, String> = BTreeMap::new();
    for tag in tokens.iter().flat_map(|t| &t.tags) {
        groups
            .entry(tag.as_str())
            .or_insert_with(|| Uuid::new_v4().to_string());
    }
    let entries: Vec<Value> = tokens
        .iter()
        .map(|t| {
            let (kind, extra) = match t.kind {
                Kind::Totp { period } => ("totp", ("period", period)),
                Kind::Hotp { counter } => ("hotp", ("counter", counter)),
                Kind::Steam => ("steam", ("period", 30)),
            };
            // Steam codes are always HMAC-SHA-1 whatever the record says,
            // and Aegis refuses a Steam entry with another algorithm.
            let algo = match t.kind {
                Kind::Steam => Algorithm::Sha1,
                _ => t.algorithm,
            };
            let mut info = json!({
                "secret": *t.secret.to_base32(),
                "algo": algo.as_str(),
                "digits": t.digits,
            });
            info[extra.0] = Value::from(extra.1);
            json!({
                "type": kind,
                "uuid": t.id.to_string(),
                "name": t.account,
                "issuer": t.issuer,
                "note": "",
                "favorite": t.pinned,
                "icon": null,
                "info": info,
                "groups": t.tags.iter().map(|g| groups[g.as_str()].clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "version": 3,
        "entries": entries,
        "groups": groups
            .iter()
            .map(|(name, uuid)| json!({ "uuid": uuid, "name": name }))
            .collect::<Vec<_>>(),
        "icons_optimized": true,
    })
}

/// AES-256-GCM with the tag returned apart, as Aegis stores it.
fn seal_detached(key: &[u8; 32], data: &mut [u8]) -> ([u8; 12], [u8; 16]) {
    let nonce: [u8; 12] = random();
    let tag = Aes256Gcm::new(GenericArray::from_slice(key))
        .encrypt_in_place_detached(GenericArray::from_slice(&nonce), b"", data)
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    (nonce, tag.into())
}

fn aegis(tokens: &[Token], protection: &Protection) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let content = aegis_content(tokens);
    let top = match protection {
        Protection::Plaintext => json!({
            "version": 1,
            "header": { "slots": null, "params": null },
            "db": content,
        }),
        Protection::Passphrase(passphrase) => {
            let master = Zeroizing::new(random::<32>());
            let salt: [u8; 32] = random();
            let (log_n, r, p) = AEGIS_SCRYPT;
            let params = scrypt::Params::new(log_n, r, p, 32)
                .map_err(|e| ExportError::Kdf(e.to_string()))?;
            let mut slot_key = Zeroizing::new([0u8; 32]);
            scrypt::scrypt(passphrase.as_bytes(), &salt, &params, &mut slot_key[..])
                .map_err(|e| ExportError::Kdf(e.to_string()))?;
            let mut wrapped = Zeroizing::new(*master);
            let (key_nonce, key_tag) = seal_detached(&slot_key, &mut wrapped[..]);
            let mut db = to_bytes(&content);
            let (db_nonce, db_tag) = seal_detached(&master, &mut db);
            json!({
                "version": 1,
                "header": {
                    "slots": [{
                        "type": 1,
                        "uuid": Uuid::new_v4().to_string(),
                        "key": hex(&wrapped[..]),
                        "key_params": { "nonce": hex(&key_nonce), "tag": hex(&key_tag) },
                        "n": 1u64 << log_n,
                        "r": r,
                        "p": p,
                        "salt": hex(&salt),
                        "repaired": true,
                    }],
                    "params": { "nonce": hex(&db_nonce), "tag": hex(&db_tag) },
                },
                "db": BASE64.encode(&db),
            })
        }
    };
    Ok(to_bytes(&top))
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}
