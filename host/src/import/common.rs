//! Pieces the JSON importers share: reading the document, typed field
//! access with readable errors, finishing a token (AWS context, checks)
//! and the two symmetric primitives the apps use (PBKDF2 → AES-256-GCM).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{EntryError, Format, ImportError, Imported};
use crate::otpauth;
use crate::token::{Algorithm, Token};

/// Most entries one export may hold. Real exports have tens to hundreds.
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// Longest text field (issuer, name, secret, …) read from an entry before
/// it is refused as absurd; the token's own limits apply afterwards.
const MAX_FIELD_LEN: usize = 4096;

/// The whole file as JSON, or `None` when it is not JSON (for detection).
pub(crate) fn json(bytes: &[u8]) -> Option<Value> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    serde_json::from_slice(bytes).ok()
}

/// The whole file as JSON, or an [`ImportError::Damaged`] saying why not.
pub(crate) fn json_or_damaged(bytes: &[u8], format: Format) -> Result<Value, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| {
        let reason = if e.is_eof() {
            "the file ends too early, it may be truncated".to_string()
        } else {
            format!(
                "it is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            )
        };
        damaged(format, reason)
    })
}

/// Shorthand for [`ImportError::Damaged`].
pub(crate) fn damaged(format: Format, reason: impl Into<String>) -> ImportError {
    ImportError::Damaged {
        format,
        reason: reason.into(),
    }
}

/// Refuses lists longer than [`MAX_ENTRIES`].
pub(crate) fn check_count(format: Format, count: usize) -> Result<(), ImportError> {
    if count > MAX_ENTRIES {
        return Err(damaged(
            format,
            format!("it lists {count} entries, more than the {MAX_ENTRIES} any real export holds"),
        ));
    }
    Ok(())
}

/// The list of entries under `key` (the `value` found there), refused when
/// it is missing, not a list, or longer than [`MAX_ENTRIES`].
pub(crate) fn entry_list<'a>(
    format: Format,
    value: Option<&'a Value>,
    key: &str,
) -> Result<&'a [Value], ImportError> {
    let list = match value {
        Some(Value::Array(list)) => list,
        Some(_) => return Err(damaged(format, format!("\"{key}\" is not a list"))),
        None => return Err(damaged(format, format!("it has no \"{key}\" list"))),
    };
    check_count(format, list.len())?;
    Ok(list)
}

/// Typed access to one JSON object with messages that name the field.
pub(crate) struct Fields<'a>(pub &'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// The entry as an object, or a reason.
    pub(crate) fn of(value: &'a Value) -> Result<Self, String> {
        value
            .as_object()
            .map(Fields)
            .ok_or_else(|| "the entry is not a JSON object".to_string())
    }

    /// A text field; absent or `null` is `None`.
    pub(crate) fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.len() > MAX_FIELD_LEN => {
                Err(format!("the field \"{key}\" is far too long"))
            }
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("the field \"{key}\" is not text")),
        }
    }

    /// A text field of any length (encrypted blobs); absent or `null` is `None`.
    pub(crate) fn blob(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("the field \"{key}\" is not text")),
        }
    }

    /// A required text field.
    pub(crate) fn req_str(&self, key: &str) -> Result<&'a str, String> {
        self.str(key)?
            .ok_or_else(|| format!("the field \"{key}\" is missing"))
    }

    /// A text field, trimmed, empty when absent.
    pub(crate) fn text(&self, key: &str) -> Result<String, String> {
        Ok(self.str(key)?.unwrap_or("").trim().to_string())
    }

    /// A non-negative whole number; absent or `null` is `None`. Numbers
    /// written as decimal text (`"30"`) are accepted, as some apps write them.
    pub(crate) fn uint(&self, key: &str) -> Result<Option<u64>, String> {
        let bad = || format!("the field \"{key}\" is not a whole number");
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse().map(Some).map_err(|_| bad())
            }
            Some(_) => Err(bad()),
        }
    }

    /// A nested object; absent or `null` is `None`.
    pub(crate) fn object(&self, key: &str) -> Result<Option<Fields<'a>>, String> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields(map))),
            Some(_) => Err(format!("the field \"{key}\" is not an object")),
        }
    }
}

/// Digits as a token holds them, or a reason.
pub(crate) fn digits(value: u64) -> Result<u8, String> {
    u8::try_from(value).map_err(|_| format!("{value} digits is not supported"))
}

/// The algorithm named `name`, or a reason.
pub(crate) fn algorithm(name: &str) -> Result<Algorithm, String> {
    Algorithm::parse(name).ok_or_else(|| {
        let shown: String = name.chars().take(12).collect();
        format!("the algorithm \"{shown}\" is not supported (only SHA1, SHA256 and SHA512 are)")
    })
}

/// "Issuer (account)", or whichever is present, for entry errors.
pub(crate) fn label(issuer: &str, account: &str) -> Option<String> {
    let issuer: String = issuer.trim().chars().take(80).collect();
    let account: String = account.trim().chars().take(80).collect();
    match (issuer.is_empty(), account.is_empty()) {
        (true, true) => None,
        (false, true) => Some(issuer),
        (true, false) => Some(account),
        (false, false) => Some(format!("{issuer} ({account})")),
    }
}

/// Reads every entry with `read`, keeping the tokens and, for each entry it
/// refuses, an entry error with its 1-based position.
pub(crate) fn read_entries<'a>(
    entries: impl IntoIterator<Item = &'a Value>,
    mut read: impl FnMut(&'a Value) -> Result<Token, (Option<String>, String)>,
) -> Imported {
    let mut out = Imported::default();
    for (index, value) in entries.into_iter().enumerate() {
        match read(value) {
            Ok(token) => out.tokens.push(token),
            Err((label, reason)) => out.failures.push(entry_error(index + 1, label, reason)),
        }
    }
    out
}

/// An entry error at 1-based `position`.
pub(crate) fn entry_error(position: usize, label: Option<String>, reason: String) -> EntryError {
    EntryError {
        position,
        label,
        reason,
    }
}

/// Gives an AWS-looking token its AWS context and sites, and a token of a
/// multi-tenant issuer's customer host that host, exactly as an otpauth URI
/// with the same issuer and account would, then brings it to the vault's
/// form by the token rules (`token::settle`).
pub(crate) fn finish(mut token: Token) -> Result<Token, String> {
    if token.aws.is_none()
        && let Ok(reparsed) = otpauth::parse(&otpauth::emit(&token))
    {
        if let Some(aws) = reparsed.aws {
            token.aws = Some(aws);
        } else if !token.sites.is_empty() {
            return crate::token::settle(token).map_err(|e| e.to_string());
        }
        for site in reparsed.sites {
            if !token.sites.contains(&site) {
                token.sites.push(site);
            }
        }
    }
    crate::token::settle(token).map_err(|e| e.to_string())
}

/// A 256-bit key from PBKDF2-HMAC-SHA-256.
pub(crate) fn pbkdf2_sha256(password: &str, salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password.as_bytes(), salt, iterations, key.as_mut());
    key
}

/// A 256-bit key from PBKDF2-HMAC-SHA-1.
pub(crate) fn pbkdf2_sha1(password: &str, salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password.as_bytes(), salt, iterations, key.as_mut());
    key
}

/// AES-256-GCM open of `ciphertext || tag` with a 12-byte nonce; `None`
/// when the tag does not verify (wrong key or altered data).
pub(crate) fn aes_gcm_open(
    key: &[u8; 32],
    nonce: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if nonce.len() != 12 {
        return None;
    }
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher
        .decrypt(Nonce::from_slice(nonce), ciphertext)
        .ok()
        .map(Zeroizing::new)
}

/// Standard base64 (padding optional), or a reason naming `what`.
pub(crate) fn base64(text: &str, what: &str) -> Result<Vec<u8>, String> {
    use base64::Engine as _;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(text.trim())
        .map_err(|_| format!("the {what} is not valid base64"))
}

/// A token from the key text password managers store: an `otpauth://` URI,
/// `steam://SECRET`, or a bare base32 secret (TOTP, SHA-1, 6 digits, 30 s).
/// `issuer` and `account` fill in what the URI leaves empty. Not yet
/// finished: the caller adds sites and calls [`finish`].
pub(crate) fn token_from_key(key: &str, issuer: &str, account: &str) -> Result<Token, String> {
    let key = key.trim();
    let scheme = key.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    let mut token = match scheme.as_deref() {
        Some("otpauth") => otpauth::parse(key).map_err(|e| e.to_string())?,
        Some("steam") => {
            let secret =
                crate::secret::Secret::from_base32(&key[8..]).map_err(|e| e.to_string())?;
            let mut token = Token::new("", "", secret);
            token.kind = crate::token::Kind::Steam;
            token.digits = crate::token::STEAM_DIGITS;
            token
        }
        Some(other) => {
            let shown: String = other.chars().take(12).collect();
            return Err(format!(
                "the key is a {shown}:// link, not an otpauth:// link or a base32 secret"
            ));
        }
        None => Token::new(
            "",
            "",
            crate::secret::Secret::from_base32(key).map_err(|e| e.to_string())?,
        ),
    };
    if token.issuer.is_empty() {
        token.issuer = issuer.trim().to_string();
    }
    if token.account.is_empty() {
        token.account = account.trim().to_string();
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_never_run_long() {
        assert_eq!(label(" A ", ""), Some("A".into()));
        assert_eq!(label("", "b"), Some("b".into()));
        assert_eq!(label("A", "b"), Some("A (b)".into()));
        assert_eq!(label("", " "), None);
        assert_eq!(label(&"x".repeat(500), "").unwrap().len(), 80);
    }

    #[test]
    fn numbers_are_whole_and_non_negative() {
        let value = serde_json::json!({"a": 6, "b": "30", "c": -1, "d": 1.5, "e": "3 0"});
        let fields = Fields::of(&value).unwrap();
        assert_eq!(fields.uint("a"), Ok(Some(6)));
        assert_eq!(fields.uint("b"), Ok(Some(30)));
        assert_eq!(fields.uint("missing"), Ok(None));
        for key in ["c", "d", "e"] {
            assert!(fields.uint(key).is_err(), "{key}");
        }
        assert!(digits(262).is_err());
    }

    #[test]
    fn keys_of_every_kind() {
        let t = token_from_key("steam://JRZCL47CMXVOQMNPZR2F7J4RGI", "Valve", "me").unwrap();
        assert_eq!(t.kind, crate::token::Kind::Steam);
        assert_eq!((t.issuer.as_str(), t.account.as_str()), ("Valve", "me"));
        let t = token_from_key(" jbsw y3dp ehpk 3pxp ", "Site", "me").unwrap();
        assert_eq!(t.kind, crate::token::Kind::Totp { period: 30 });
        let t = token_from_key(
            "otpauth://totp/Named:acct?secret=JBSWY3DPEHPK3PXP",
            "Item",
            "user",
        )
        .unwrap();
        assert_eq!((t.issuer.as_str(), t.account.as_str()), ("Named", "acct"));
        let e = token_from_key("https://example.com/", "", "").unwrap_err();
        assert!(e.contains("https://"), "{e}");
    }

    #[test]
    fn aws_context_comes_from_issuer_and_account() {
        let secret = crate::secret::Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        let token = finish(Token::new("AWS", "ops@my-alias", secret.clone())).unwrap();
        let aws = token.aws.unwrap();
        assert_eq!(aws.account_alias.as_deref(), Some("my-alias"));
        assert_eq!(aws.user.as_deref(), Some("ops"));
        let token = finish(Token::new("GitHub", "ops@example.com", secret)).unwrap();
        assert_eq!(token.aws, None);
    }
}
