//! andOTP backups: plain JSON and encrypted.
//!
//! The plain backup is a JSON list of entries {`secret` (base32, often
//! padded), `issuer`, `label`, `digits`, `type` (`TOTP`, `HOTP`, `STEAM`),
//! `algorithm`, `period`, `counter`, `tags`, `thumbnail`, …}. Backups from
//! before andOTP had an issuer field write `label` as `Issuer - account`.
//! Tags become FactorCat tags.
//!
//! Encrypted backups (andOTP 0.6.3 on, `.json.aes`): a 4-byte big-endian
//! PBKDF2 iteration count, a 12-byte salt, a 12-byte nonce, then AES-256-GCM
//! ciphertext ‖ 16-byte tag; key = PBKDF2-HMAC-SHA1(password, salt,
//! iterations, 32 bytes). Iteration counts above 1,000,000 are refused
//! rather than run. The older encrypted format (key = SHA-256 of the
//! password, nonce at the start, no header) cannot be recognised from its
//! content: it is tried when the new format fails to open with `--format
//! andotp`.
//!
//! HOTP counter: andOTP stores the counter of the code it shows, the next one
//! to use, which is FactorCat's meaning; it is taken as is.

use serde_json::Value;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::common::{self, Fields};
use super::{Format, ImportError, Imported};
use crate::secret::Secret;
use crate::token::{Algorithm, Kind, STEAM_DIGITS, Token};

const FORMAT: Format = Format::AndOtp;

const HEADER: usize = 4 + SALT;
const SALT: usize = 12;
const NONCE: usize = 12;
const TAG: usize = 16;

/// Most PBKDF2 iterations run; andOTP itself picks 140,000–160,000. Ten
/// million took seconds (minutes unoptimised), so a hostile header could
/// stall an import; a million is about half a second.
const MAX_ITERATIONS: u32 = 1_000_000;

/// Whether `bytes` look like this format.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    match common::json(bytes) {
        Some(Value::Array(list)) => list.first().is_some_and(|first| {
            first.as_object().is_some_and(|o| {
                o.contains_key("secret") && o.contains_key("type") && o.contains_key("label")
            })
        }),
        Some(_) => false,
        None => looks_encrypted(bytes),
    }
}

/// A plausible iteration count header and room for salt, nonce and tag.
/// Text never passes: its first byte alone makes the count too large.
fn looks_encrypted(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER + NONCE + TAG
        && (1..=MAX_ITERATIONS).contains(&iterations(bytes))
        && std::str::from_utf8(bytes).is_err()
}

fn iterations(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    // An encrypted backup is random bytes, never valid UTF-8 in practice.
    let list = if std::str::from_utf8(bytes).is_ok() {
        common::json_or_damaged(bytes, FORMAT)?
    } else {
        let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
        let plain = decrypt(bytes, password)?;
        serde_json::from_slice(&plain)
            .map_err(|_| common::damaged(FORMAT, "the decrypted backup is not valid JSON"))?
    };
    let Value::Array(entries) = &list else {
        return Err(common::damaged(FORMAT, "it is not a list of entries"));
    };
    common::check_count(FORMAT, entries.len())?;
    Ok(common::read_entries(entries, entry))
}

fn decrypt(bytes: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    // The shortest backup is an empty list, "[]".
    if bytes.len() < NONCE + TAG + 2 {
        return Err(common::damaged(
            FORMAT,
            "it is too short to be an encrypted backup, it may be truncated",
        ));
    }
    let count = if bytes.len() >= HEADER + NONCE + TAG {
        iterations(bytes)
    } else {
        0
    };
    if count > MAX_ITERATIONS {
        // Not the new format; the old one is the only other possibility.
        return open_old(bytes, password).map_err(|_| {
            common::damaged(
                FORMAT,
                format!(
                    "its header asks for {count} key-derivation rounds, far more than andOTP \
                     writes, and the password does not open it as an old-format backup either"
                ),
            )
        });
    }
    if count >= 1 {
        let key = common::pbkdf2_sha1(password, &bytes[4..HEADER], count);
        let body = &bytes[HEADER..];
        if let Some(plain) = common::aes_gcm_open(&key, &body[..NONCE], &body[NONCE..]) {
            return Ok(plain);
        }
    }
    open_old(bytes, password)
}

/// The pre-0.6.3 format: key = SHA-256(password), nonce first.
fn open_old(bytes: &[u8], password: &str) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&Sha256::digest(password.as_bytes()));
    common::aes_gcm_open(&key, &bytes[..NONCE], &bytes[NONCE..])
        .ok_or(ImportError::WrongPassword(FORMAT))
}

type EntryFailure = (Option<String>, String);

fn entry(value: &Value) -> Result<Token, EntryFailure> {
    let fields = Fields::of(value).map_err(|e| (None, e))?;
    let label_text = fields.text("label").map_err(|e| (None, e))?;
    let (issuer, account) = if fields.0.contains_key("issuer") {
        let issuer = fields.text("issuer").map_err(|e| (None, e))?;
        (issuer, label_text)
    } else {
        match label_text.split_once(" - ") {
            Some((issuer, account)) => (issuer.trim().to_string(), account.trim().to_string()),
            None => (String::new(), label_text),
        }
    };
    let label = common::label(&issuer, &account);
    build(&fields, issuer, account).map_err(|e| (label, e))
}

fn build(fields: &Fields<'_>, issuer: String, account: String) -> Result<Token, String> {
    let secret = Secret::from_base32(fields.req_str("secret")?).map_err(|e| e.to_string())?;
    let mut token = Token::new(issuer, account, secret);
    if let Some(algorithm) = fields.str("algorithm")? {
        token.algorithm = common::algorithm(algorithm)?;
    }
    if let Some(digits) = fields.uint("digits")? {
        token.digits = common::digits(digits)?;
    }
    let kind = fields.req_str("type")?.trim().to_ascii_uppercase();
    token.kind = match kind.as_str() {
        "TOTP" => Kind::Totp {
            period: fields.uint("period")?.unwrap_or(30),
        },
        "HOTP" => Kind::Hotp {
            counter: fields
                .uint("counter")?
                .ok_or("the HOTP entry has no counter")?,
        },
        "STEAM" => {
            token.digits = STEAM_DIGITS;
            token.algorithm = Algorithm::Sha1;
            Kind::Steam
        }
        other => {
            let shown: String = other.chars().take(12).collect();
            return Err(format!(
                "the token type \"{shown}\" is not supported (TOTP, HOTP and STEAM are)"
            ));
        }
    };
    match fields.0.get("tags") {
        None | Some(Value::Null) => {}
        Some(Value::Array(tags)) => {
            for tag in tags {
                let tag = tag.as_str().ok_or("a tag is not text")?.trim();
                if !tag.is_empty() && !token.tags.iter().any(|t| t == tag) {
                    token.tags.push(tag.to_string());
                }
            }
        }
        Some(_) => return Err("the field \"tags\" is not a list".into()),
    }
    common::finish(token)
}
