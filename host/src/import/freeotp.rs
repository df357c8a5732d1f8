//! FreeOTP+ JSON exports.
//!
//! The export is {`tokenOrder`: [...], `tokens`: [...]}; each token has
//! `secret` as a list of signed bytes (−128…127, Java's `byte`), `algo`,
//! `digits`, `period`, `type` (`TOTP`, `HOTP`), `counter`, `issuerExt`
//! (the issuer shown; `issuerInt` when empty) and `label` (the account).
//! FreeOTP+ has no Steam tokens.
//!
//! HOTP counter: FreeOTP increments the counter before computing a code, so
//! it stores the last counter used (an otpauth URI with `counter=N` is
//! stored as N−1, so a new token's counter is −1). FactorCat stores the
//! next one: stored + 1.

use serde_json::Value;

use super::common::{self, Fields};
use super::{Format, ImportError, Imported};
use crate::secret::{MAX_SECRET_BYTES, Secret};
use crate::token::{Kind, Token};

const FORMAT: Format = Format::FreeOtpPlus;

/// Whether `bytes` look like this format.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let Some(Value::Object(root)) = common::json(bytes) else {
        return false;
    };
    root.contains_key("tokenOrder") && root.contains_key("tokens")
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], _password: Option<&str>) -> Result<Imported, ImportError> {
    let root = common::json_or_damaged(bytes, FORMAT)?;
    let tokens = common::entry_list(FORMAT, root.get("tokens"), "tokens")?;
    Ok(common::read_entries(tokens, entry))
}

type EntryFailure = (Option<String>, String);

fn entry(value: &Value) -> Result<Token, EntryFailure> {
    let fields = Fields::of(value).map_err(|e| (None, e))?;
    let mut issuer = fields.text("issuerExt").map_err(|e| (None, e))?;
    if issuer.is_empty() {
        issuer = fields.text("issuerInt").map_err(|e| (None, e))?;
    }
    let account = fields.text("label").map_err(|e| (None, e))?;
    let label = common::label(&issuer, &account);
    build(&fields, issuer, account).map_err(|e| (label, e))
}

fn secret(value: Option<&Value>) -> Result<Secret, String> {
    let Some(Value::Array(list)) = value else {
        return Err("the secret is missing or is not a list of bytes".into());
    };
    if list.len() > MAX_SECRET_BYTES {
        return Err(crate::secret::SecretError::TooLong.to_string());
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(list.len()));
    for item in list {
        let byte = item
            .as_i64()
            .filter(|b| (-128..=255).contains(b))
            .ok_or("the secret is not a list of bytes")?;
        bytes.push(byte as u8);
    }
    Secret::from_bytes(bytes.to_vec()).map_err(|e| e.to_string())
}

fn build(fields: &Fields<'_>, issuer: String, account: String) -> Result<Token, String> {
    let mut token = Token::new(issuer, account, secret(fields.0.get("secret"))?);
    if let Some(algorithm) = fields.str("algo")? {
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
        "HOTP" => {
            // A token added with counter 0 is stored as −1.
            let next = match fields.0.get("counter") {
                Some(v) if v.as_i64() == Some(-1) => 0,
                _ => fields
                    .uint("counter")?
                    .unwrap_or(0)
                    .checked_add(1)
                    .ok_or("the HOTP counter is at its maximum")?,
            };
            Kind::Hotp { counter: next }
        }
        other => {
            let shown: String = other.chars().take(12).collect();
            return Err(format!(
                "the token type \"{shown}\" is not supported (TOTP and HOTP are)"
            ));
        }
    };
    common::finish(token)
}
