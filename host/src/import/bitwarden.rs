//! Bitwarden JSON exports (unencrypted).
//!
//! The export is {`encrypted`: false, `folders`, `items`}; an item with a
//! `login.totp` is a token. The key is an `otpauth://` URI, `steam://SECRET`
//! or a bare base32 secret (TOTP, SHA-1, 6 digits, 30 s). The item `name`
//! is the issuer when the URI gives none, `login.username` the account when
//! the URI gives none, and the hosts of `login.uris[].uri` become sites.
//! Items without a key are skipped silently; positions in entry errors are
//! 1-based item positions.
//!
//! Bitwarden itself computes every key as TOTP; an `otpauth://hotp` URI is
//! kept as HOTP with the URI's counter (the next to use), as the issuing
//! service meant.
//!
//! Encrypted exports (`encrypted: true`, account-restricted or
//! password-protected) are refused as unsupported: export the unencrypted
//! JSON instead.

use serde_json::Value;

use super::common::{self, Fields};
use super::{Format, ImportError, Imported};
use crate::token::{MAX_TEXT_LEN, Token};

const FORMAT: Format = Format::Bitwarden;

/// Most sites taken from one item.
const MAX_SITES: usize = 32;

/// Whether `bytes` look like this format.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    let Some(Value::Object(root)) = common::json(bytes) else {
        return false;
    };
    let encrypted = root.get("encrypted").is_some_and(Value::is_boolean);
    encrypted
        && (root.get("items").is_some_and(Value::is_array)
            || root.contains_key("encKeyValidation_DO_NOT_EDIT"))
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], _password: Option<&str>) -> Result<Imported, ImportError> {
    let root = common::json_or_damaged(bytes, FORMAT)?;
    let Value::Object(root) = &root else {
        return Err(common::damaged(FORMAT, "it is not a JSON object"));
    };
    if root.get("encrypted").and_then(Value::as_bool) == Some(true) {
        return Err(ImportError::Unsupported {
            format: FORMAT,
            what: "an encrypted export (in Bitwarden, export the vault again as \
                   \".json\" rather than \".json (Encrypted)\", import it, then delete \
                   that file)"
                .into(),
        });
    }
    let items = common::entry_list(FORMAT, root.get("items"), "items")?;
    let mut out = Imported::default();
    for (index, item) in items.iter().enumerate() {
        match read_item(item) {
            Ok(Some(token)) => out.tokens.push(token),
            Ok(None) => {}
            Err((label, reason)) => {
                out.failures
                    .push(common::entry_error(index + 1, label, reason))
            }
        }
    }
    Ok(out)
}

type EntryFailure = (Option<String>, String);

fn read_item(item: &Value) -> Result<Option<Token>, EntryFailure> {
    let fields = Fields::of(item).map_err(|e| (None, e))?;
    let name = fields.text("name").map_err(|e| (None, e))?;
    let login = fields
        .object("login")
        .map_err(|e| (common::label(&name, ""), e))?;
    let Some(login) = login else {
        return Ok(None);
    };
    let username = login
        .text("username")
        .map_err(|e| (common::label(&name, ""), e))?;
    let label = common::label(&name, &username);
    let key = login.str("totp").map_err(|e| (label.clone(), e))?;
    let Some(key) = key.filter(|k| !k.trim().is_empty()) else {
        return Ok(None);
    };
    let mut token =
        common::token_from_key(key, &name, &username).map_err(|e| (label.clone(), e))?;
    for site in sites(&login) {
        if !token.sites.contains(&site) {
            token.sites.push(site);
        }
    }
    common::finish(token).map(Some).map_err(|e| (label, e))
}

fn sites(login: &Fields<'_>) -> Vec<String> {
    let Some(Value::Array(uris)) = login.0.get("uris") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for uri in uris.iter().take(MAX_SITES) {
        let Some(text) = uri.get("uri").and_then(Value::as_str) else {
            continue;
        };
        // The host as `factorcat add --site` would store it. A URI that is
        // not one (a malformed `https://` one once became the site "https")
        // is left out rather than stored as a site nothing else accepts.
        if let Ok(host) = crate::site::normalize_site(text) {
            let host = host.to_ascii_lowercase();
            if host.len() <= MAX_TEXT_LEN && !out.contains(&host) {
                out.push(host);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing (`host/fuzz/regressions/import_bitwarden/`): a URI
    /// the URL parser refuses was retried with `https://` in front, which
    /// made `https://d%no.land/login` the site "https"; a host under another
    /// scheme was not checked as a domain (`hptps://deno.0X/`).
    #[test]
    fn sites_are_hosts_that_add_accepts() {
        let login = serde_json::json!({"uris": [
            {"uri": "https://d%no.land/login"},
            {"uri": "deno.com"},
            {"uri": "https://Example.COM./x"},
            {"uri": "androidapp://com.example.app"},
            {"uri": "localhost"},
            {"uri": "hptps://deno.0X/onldgin"},
            {"uri": "otherapp://Mixed.Case.example"},
        ]});
        let fields = Fields(login.as_object().unwrap());
        assert_eq!(
            sites(&fields),
            vec![
                "deno.com",
                "example.com",
                "com.example.app",
                "mixed.case.example"
            ]
        );
    }
}
