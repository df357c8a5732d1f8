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
//! when dropped, and nothing here writes it anywhere. Secrets are written
//! straight from their wiping buffers into that one (typed records
//! serialized by serde, never a `serde_json::Value` tree), and the buffer
//! never lets the allocator move it (see `WipingBuffer`). The native host never
//! calls this; secrets leave only through an explicit CLI export.

use std::collections::BTreeMap;
use std::fmt;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use data_encoding::BASE64;
use rand::RngCore;
use rand::rngs::OsRng;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::ErrorCode;
use crate::import::factorcat as backup;
use crate::otpauth;
use crate::secret::Secret;
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

/// An output buffer for secrets that never leaves an unwiped copy behind:
/// when it must grow it moves into a larger buffer of its own and wipes
/// the old one, instead of letting the allocator move it.
struct WipingBuffer(Zeroizing<Vec<u8>>);

impl WipingBuffer {
    fn new() -> WipingBuffer {
        WipingBuffer(Zeroizing::new(Vec::with_capacity(4096)))
    }

    fn into_bytes(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

impl std::io::Write for WipingBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let mut larger = Zeroizing::new(Vec::with_capacity(needed.max(2 * self.0.capacity())));
            larger.extend_from_slice(&self.0);
            // The old buffer is wiped as it is dropped here.
            self.0 = larger;
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn otpauth_list(tokens: &[Token]) -> Zeroizing<Vec<u8>> {
    use std::io::Write as _;
    let mut out = WipingBuffer::new();
    for token in tokens {
        let uri = otpauth::emit(token);
        out.write_all(uri.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .expect("writing to memory cannot fail");
    }
    out.into_bytes()
}

/// `value` as pretty JSON and a newline, serialized straight into a
/// [`WipingBuffer`]: the secrets in it pass through no other buffer (no
/// `serde_json::Value` tree, no growing vector).
fn to_bytes(value: &impl Serialize) -> Zeroizing<Vec<u8>> {
    use std::io::Write as _;
    let mut out = WipingBuffer::new();
    serde_json::to_writer_pretty(&mut out, value).expect("export records always serialize");
    out.write_all(b"\n").expect("writing to memory cannot fail");
    out.into_bytes()
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    OsRng.fill_bytes(&mut bytes);
    bytes
}

/// A FactorCat backup file (`docs/backup.md`), in its documented order.
#[derive(Serialize)]
struct BackupFile<'a> {
    format: &'static str,
    version: u64,
    created: u64,
    /// `null` in a plain backup.
    encryption: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tokens: Option<&'a [Token]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext: Option<String>,
}

/// What a backup's ciphertext decrypts to.
#[derive(Serialize)]
struct BackupPayload<'a> {
    tokens: &'a [Token],
}

fn factorcat(tokens: &[Token], protection: &Protection) -> Result<Zeroizing<Vec<u8>>, ExportError> {
    let mut file = BackupFile {
        format: backup::FORMAT_NAME,
        version: backup::VERSION,
        created: now_unix(),
        encryption: None,
        tokens: None,
        ciphertext: None,
    };
    match protection {
        Protection::Plaintext => file.tokens = Some(tokens),
        Protection::Passphrase(passphrase) => {
            let kdf = KdfParams::DEFAULT;
            let salt: [u8; backup::SALT_LEN] = random();
            let nonce: [u8; backup::NONCE_LEN] = random();
            let key = backup::derive_key(passphrase, &salt, kdf).map_err(ExportError::Kdf)?;
            let payload = to_bytes(&BackupPayload { tokens });
            let sealed = backup::seal(&key, &nonce, &payload);
            file.encryption = Some(json!({
                "kdf": {
                    "name": backup::KDF_NAME,
                    "m_kib": kdf.m_kib,
                    "t": kdf.t,
                    "p": kdf.p,
                    "salt": BASE64.encode(&salt),
                },
                "cipher": backup::CIPHER_NAME,
                "nonce": BASE64.encode(&nonce),
            }));
            file.ciphertext = Some(BASE64.encode(&sealed));
        }
    }
    Ok(to_bytes(&file))
}

/// Aegis content version 3: entries plus the groups their tags name.
#[derive(Serialize)]
struct AegisContent<'a> {
    version: u32,
    entries: Vec<AegisEntry<'a>>,
    groups: Vec<AegisGroup<'a>>,
    icons_optimized: bool,
}

#[derive(Serialize)]
struct AegisEntry<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    uuid: String,
    name: &'a str,
    issuer: &'a str,
    note: &'static str,
    favorite: bool,
    icon: Option<()>,
    info: AegisInfo<'a>,
    groups: Vec<&'a str>,
}

#[derive(Serialize)]
struct AegisInfo<'a> {
    /// Serialized as base32 from a buffer that is wiped afterwards.
    secret: &'a Secret,
    algo: &'static str,
    digits: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    counter: Option<u64>,
}

#[derive(Serialize)]
struct AegisGroup<'a> {
    uuid: &'a str,
    name: &'a str,
}

fn aegis_content<'a>(
    tokens: &'a [Token],
    groups: &'a BTreeMap<&'a str, String>,
) -> AegisContent<'a> {
    let entries = tokens
        .iter()
        .map(|t| {
            let (kind, period, counter) = match t.kind {
                Kind::Totp { period } => ("totp", Some(period), None),
                Kind::Hotp { counter } => ("hotp", None, Some(counter)),
                Kind::Steam => ("steam", Some(30), None),
            };
            // Steam codes are always HMAC-SHA-1 whatever the record says,
            // and Aegis refuses a Steam entry with another algorithm.
            let algo = match t.kind {
                Kind::Steam => Algorithm::Sha1,
                _ => t.algorithm,
            };
            AegisEntry {
                kind,
                uuid: t.id.to_string(),
                name: &t.account,
                issuer: &t.issuer,
                note: "",
                favorite: t.pinned,
                icon: None,
                info: AegisInfo {
                    secret: &t.secret,
                    algo: algo.as_str(),
                    digits: t.digits,
                    period,
                    counter,
                },
                groups: t.tags.iter().map(|g| groups[g.as_str()].as_str()).collect(),
            }
        })
        .collect();
    AegisContent {
        version: 3,
        entries,
        groups: groups
            .iter()
            .map(|(name, uuid)| AegisGroup { uuid, name })
            .collect(),
        icons_optimized: true,
    }
}

/// An Aegis vault file: the content itself when plain, or its encryption
/// as Base64.
#[derive(Serialize)]
struct AegisFile<'a> {
    version: u32,
    header: Value,
    db: AegisDb<'a>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum AegisDb<'a> {
    Plain(AegisContent<'a>),
    Sealed(String),
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
    let mut groups: BTreeMap<&str, String> = BTreeMap::new();
    for tag in tokens.iter().flat_map(|t| &t.tags) {
        groups
            .entry(tag.as_str())
            .or_insert_with(|| Uuid::new_v4().to_string());
    }
    let content = aegis_content(tokens, &groups);
    let file = match protection {
        Protection::Plaintext => AegisFile {
            version: 1,
            header: json!({ "slots": null, "params": null }),
            db: AegisDb::Plain(content),
        },
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
            AegisFile {
                version: 1,
                header: json!({
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
                }),
                db: AegisDb::Sealed(BASE64.encode(&db)),
            }
        }
    };
    Ok(to_bytes(&file))
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alloc_check::freed_holding;
    use crate::token::Kind;

    /// Regression (`serde_json::to_value(tokens)` left every base32 secret
    /// in an unwiped tree, and growing buffers left copies behind): an
    /// export in every format and protection frees no memory that still
    /// holds a secret, in base32 or raw.
    #[test]
    fn exports_leave_no_unwiped_copy_of_a_secret() {
        let raw: [u8; 20] = random();
        let secret = Secret::from_bytes(raw.to_vec()).unwrap();
        let base32 = secret.to_base32();
        let mut tokens = Vec::new();
        for (i, kind) in [
            Kind::Totp { period: 30 },
            Kind::Hotp { counter: 7 },
            Kind::Steam,
        ]
        .into_iter()
        .enumerate()
        {
            let mut token = Token::new("Issuer", format!("account {i}"), secret.clone());
            token.kind = kind;
            token.tags = vec!["work".into()];
            tokens.push(token);
        }
        // Enough tokens that every buffer has to grow.
        for i in 0..200 {
            tokens.push(Token::new("Bulk", format!("bulk {i}"), secret.clone()));
        }
        for (format, protection) in [
            (ExportFormat::FactorCat, Protection::Plaintext),
            (
                ExportFormat::FactorCat,
                Protection::passphrase("export test"),
            ),
            (ExportFormat::Aegis, Protection::Plaintext),
            (ExportFormat::Aegis, Protection::passphrase("export test")),
            (ExportFormat::Otpauth, Protection::Plaintext),
        ] {
            let mut made = 0;
            let leaked = freed_holding(&[base32.as_bytes(), &raw], || {
                let out = export(&tokens, format, &protection).unwrap();
                made = out.len();
            });
            assert!(made > 200 * 16, "{format} {protection:?}");
            assert_eq!(leaked, 0, "{format} {protection:?} left unwiped copies");
        }
    }
}
