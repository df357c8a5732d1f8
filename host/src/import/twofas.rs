//! 2FAS Authenticator `.2fas` backups, schema versions 2 to 4.
//!
//! The file is a JSON object with `schemaVersion` and either `services`
//! (plain) or `servicesEncrypted` (encrypted). Each service has `name`,
//! `secret` (base32) and `otp` {`label`, `account`, `issuer`, `digits`,
//! `period`, `algorithm`, `tokenType` (`TOTP`, `HOTP`, `STEAM`; schema 3
//! on), `counter`}. Schema 2 has no `tokenType`: every entry is TOTP.
//! Schema 1 carried no code parameters at all and is refused.
//!
//! Encrypted backups: `servicesEncrypted` is `base64(ciphertext ‖ tag) ":"
//! base64(salt) ":" base64(iv)`; the key is PBKDF2-HMAC-SHA256(password,
//! salt, 10,000 iterations, 32 bytes) and the cipher AES-256-GCM; the
//! plaintext is the JSON array of services. `reference` has the same layout
//! and encrypts a fixed text with the same key: it is opened first, so a
//! wrong password is told apart from a damaged services blob.
//!
//! HOTP counter: 2FAS stores the counter of the code it shows next, which
//! is FactorCat's meaning ("next to use"); it is taken as is.
//!
//! Issuer is `otp.issuer`, or the service `name` when that is empty; the
//! account is `otp.account`, or `otp.label` without an `Issuer:` prefix.

use serde_json::Value;

use super::common::{self, Fields};
use super::{Format, ImportError, Imported};
use crate::secret::Secret;
use crate::token::{Kind, STEAM_DIGITS, Token};

const FORMAT: Format = Format::TwoFas;

/// Iterations 2FAS uses for PBKDF2.
const ITERATIONS: u32 = 10_000;

/// Schema versions read.
const SCHEMAS: std::ops::RangeInclusive<u64> = 2..=4;

/// Whether `bytes` look like this format.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let Some(Value::Object(root)) = common::json(bytes) else {
        return false;
    };
    root.contains_key("schemaVersion")
        && (root.contains_key("services") || root.contains_key("servicesEncrypted"))
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    let root = common::json_or_damaged(bytes, FORMAT)?;
    let root = Fields::of(&root).map_err(|_| common::damaged(FORMAT, "it is not a JSON object"))?;
    let schema = root
        .uint("schemaVersion")
        .map_err(|e| common::damaged(FORMAT, e))?
        .ok_or_else(|| common::damaged(FORMAT, "it has no schemaVersion"))?;
    if !SCHEMAS.contains(&schema) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: format!(
                "schema version {schema} (FactorCat reads versions {} to {})",
                SCHEMAS.start(),
                SCHEMAS.end()
            ),
        });
    }
    let encrypted = root
        .blob("servicesEncrypted")
        .map_err(|e| common::damaged(FORMAT, e))?
        .filter(|s| !s.trim().is_empty());
    let decrypted;
    let services: &[Value] = match encrypted {
        Some(blob) => {
            let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
            let reference = root
                .blob("reference")
                .map_err(|e| common::damaged(FORMAT, e))?;
            decrypted = decrypt(blob, reference, password)?;
            let Value::Array(list) = &decrypted else {
                return Err(common::damaged(
                    FORMAT,
                    "the decrypted services are not a list",
                ));
            };
            common::check_count(FORMAT, list.len())?;
            list
        }
        None => common::entry_list(FORMAT, root.0.get("services"), "services")?,
    };

    Ok(common::read_entries(services, |value| {
        service(value, schema)
    }))
}

/// The three base64 parts of an encrypted field.
fn parts(field: &str, what: &str) -> Result<[Vec<u8>; 3], ImportError> {
    let pieces: Vec<&str> = field.split(':').collect();
    if pieces.len() != 3 {
        return Err(common::damaged(
            FORMAT,
            format!("{what} does not have the form data:salt:iv"),
        ));
    }
    let decode = |text: &str, part: &str| {
        common::base64(text, &format!("{part} of {what}")).map_err(|e| common::damaged(FORMAT, e))
    };
    let data = decode(pieces[0], "data")?;
    let salt = decode(pieces[1], "salt")?;
    let iv = decode(pieces[2], "iv")?;
    if iv.len() != 12 || salt.is_empty() || data.len() < 16 {
        return Err(common::damaged(
            FORMAT,
            format!("{what} has a salt, iv or data of the wrong size"),
        ));
    }
    Ok([data, salt, iv])
}

fn decrypt(blob: &str, reference: Option<&str>, password: &str) -> Result<Value, ImportError> {
    let [data, salt, iv] = parts(blob, "servicesEncrypted")?;
    let key = common::pbkdf2_sha256(password, &salt, ITERATIONS);
    let mut password_checked = false;
    if let Some(reference) = reference.filter(|r| !r.trim().is_empty()) {
        let [ref_data, ref_salt, ref_iv] = parts(reference, "reference")?;
        let ref_key = if ref_salt == salt {
            key.clone()
        } else {
            common::pbkdf2_sha256(password, &ref_salt, ITERATIONS)
        };
        if common::aes_gcm_open(&ref_key, &ref_iv, &ref_data).is_none() {
            return Err(ImportError::WrongPassword(FORMAT));
        }
        password_checked = true;
    }
    let Some(plain) = common::aes_gcm_open(&key, &iv, &data) else {
        return Err(if password_checked {
            common::damaged(
                FORMAT,
                "the password is right but the encrypted services do not decrypt",
            )
        } else {
            ImportError::WrongPassword(FORMAT)
        });
    };
    serde_json::from_slice(&plain)
        .map_err(|_| common::damaged(FORMAT, "the decrypted services are not valid JSON"))
}

type EntryFailure = (Option<String>, String);

fn service(value: &Value, schema: u64) -> Result<Token, EntryFailure> {
    let fields = Fields::of(value).map_err(|e| (None, e))?;
    let name = fields.text("name").map_err(|e| (None, e))?;
    let otp = match fields.object("otp") {
        Ok(otp) => otp,
        Err(e) => return Err((common::label(&name, ""), e)),
    };
    let (issuer, account) = match &otp {
        Some(otp) => names(otp, &name).map_err(|e| (common::label(&name, ""), e))?,
        None => (name.clone(), String::new()),
    };
    let label = common::label(&issuer, &account);
    build(&fields, otp.as_ref(), issuer, account, schema).map_err(|e| (label, e))
}

fn names(otp: &Fields<'_>, name: &str) -> Result<(String, String), String> {
    let issuer = otp.text("issuer")?;
    let issuer = if issuer.is_empty() {
        name.to_string()
    } else {
        issuer
    };
    let mut account = otp.text("account")?;
    if account.is_empty() {
        let label = otp.text("label")?;
        account = match label.split_once(':') {
            Some((_, rest)) => rest.trim().to_string(),
            None => label,
        };
    }
    Ok((issuer, account))
}

fn build(
    fields: &Fields<'_>,
    otp: Option<&Fields<'_>>,
    issuer: String,
    account: String,
    schema: u64,
) -> Result<Token, String> {
    let secret = Secret::from_base32(fields.req_str("secret")?).map_err(|e| e.to_string())?;
    let mut token = Token::new(issuer, account, secret);
    let Some(otp) = otp else {
        return common::finish(token);
    };
    let kind = match otp.str("tokenType")? {
        Some(t) if schema >= 3 => t.trim().to_ascii_uppercase(),
        _ => "TOTP".to_string(),
    };
    if let Some(algorithm) = otp.str("algorithm")? {
        token.algorithm = common::algorithm(algorithm)?;
    }
    if let Some(digits) = otp.uint("digits")? {
        token.digits = common::digits(digits)?;
    }
    let period = otp.uint("period")?;
    token.kind = match kind.as_str() {
        "TOTP" => Kind::Totp {
            period: period.unwrap_or(30),
        },
        "HOTP" => Kind::Hotp {
            counter: otp
                .uint("counter")?
                .ok_or("the HOTP entry has no counter")?,
        },
        "STEAM" => {
            token.digits = STEAM_DIGITS;
            token.algorithm = crate::token::Algorithm::Sha1;
            Kind::Steam
        }
        other => {
            let shown: String = other.chars().take(12).collect();
            return Err(format!(
                "the token type \"{shown}\" is not supported (TOTP, HOTP and STEAM are)"
            ));
        }
    };
    common::finish(token)
}
