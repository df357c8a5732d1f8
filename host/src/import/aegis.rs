//! Aegis Authenticator JSON vault exports, plain and encrypted.
//!
//! The file is `{"version": 1, "header": {"slots", "params"}, "db"}` (Aegis's
//! `docs/vault.md`). A plain export has `slots` and `params` null and `db`
//! an object. An encrypted export has `db` as Base64 of AES-256-GCM
//! ciphertext (nonce and tag in `header.params`, hex, the tag stored apart),
//! under a random 256-bit master key. Each password slot (type 1) wraps that
//! key with AES-256-GCM under `scrypt(password UTF-8, salt, n, r, p, 32)`.
//! Biometric slots (type 2) need the phone's keystore and are skipped.
//!
//! The content (`db`) has its own `version`: 1 (no groups), 2 (a single
//! `group` name per entry) and 3 (a `groups` list of group UUIDs per entry,
//! named in the content's top-level `groups`). All three are read the way
//! Aegis reads them: an entry's `groups` wins over its `group`, and group
//! UUIDs the content does not name are dropped. Groups become tags;
//! `favorite` becomes pinned. Notes, icons and usage counts are not kept
//! (FactorCat has no place for them).
//!
//! Entry types: `totp`, `hotp` and `steam` (SHA-1, 30 s only) are read;
//! `motp` and `yandex` are reported as unsupported entries.
//!
//! HOTP counter: Aegis stores the counter of the code it shows next (the
//! refresh button increments it after use), which is FactorCat's meaning of
//! `counter` (the next value to use), so it is copied unchanged.
//!
//! Limits, so that a hostile file can neither hang nor exhaust the machine:
//! scrypt `n` a power of two up to 2^20, memory `128·n·r` up to 256 MiB and
//! work `n·r·p` up to 2^20 (Aegis uses n = 2^15, r = 8, p = 1: 32 MiB, 2^18);
//! at most [`MAX_SLOTS`] slots and [`MAX_ENTRIES`] entries.
//!
//! Old Aegis versions (before the "repaired" slot flag, 2019) derived slot
//! keys from the password followed by a few zero bytes (Aegis issue #95);
//! for a slot not marked `repaired`, that encoding is tried second, as
//! Aegis itself does.

use std::collections::HashMap;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use data_encoding::{BASE64, HEXLOWER_PERMISSIVE};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use super::{ImportError, Imported, common};
use crate::secret::Secret;
use crate::token::{Algorithm, Kind, STEAM_DIGITS, Token};

const FORMAT: super::Format = super::Format::Aegis;

/// Most entries read from one export.
pub const MAX_ENTRIES: usize = 100_000;
/// Most slots read from one export.
pub const MAX_SLOTS: usize = 64;
/// Largest scrypt `log2(n)` accepted.
pub const MAX_SCRYPT_LOG_N: u8 = 20;
/// Most scrypt memory accepted (`128·n·r` bytes).
pub const MAX_SCRYPT_MEMORY: u64 = 256 << 20;
/// Most scrypt work accepted (`n·r·p`): four times what Aegis uses, well
/// under a second (2^22 took seconds).
pub const MAX_SCRYPT_WORK: u64 = 1 << 20;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const MAX_SALT_LEN: usize = 1024;
const MAX_GROUPS: usize = 10_000;

/// Whether `bytes` look like an Aegis vault file: a JSON object with
/// `version`, `header` (holding `slots`) and `db`.
pub(crate) fn detect(bytes: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[allow(dead_code)]
        version: serde::de::IgnoredAny,
        #[allow(dead_code)]
        header: HeaderProbe,
        #[allow(dead_code)]
        db: serde::de::IgnoredAny,
    }
    #[derive(serde::Deserialize)]
    struct HeaderProbe {
        #[allow(dead_code)]
        slots: serde::de::IgnoredAny,
    }
    let bytes = without_bom(bytes);
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
    start.is_some_and(|i| bytes[i] == b'{') && serde_json::from_slice::<Probe>(bytes).is_ok()
}

/// `bytes` without a leading UTF-8 byte order mark (some editors add one).
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn damaged(reason: impl Into<String>) -> ImportError {
    ImportError::Damaged {
        format: FORMAT,
        reason: reason.into(),
    }
}

/// Reads the whole file.
pub(crate) fn parse(bytes: &[u8], password: Option<&str>) -> Result<Imported, ImportError> {
    let top: Value = serde_json::from_slice(without_bom(bytes))
        .map_err(|e| damaged(format!("not valid JSON: {}", json_position(&e))))?;
    let top = top
        .as_object()
        .ok_or_else(|| damaged("the top level is not a JSON object"))?;
    match top.get("version").and_then(Value::as_u64) {
        Some(1) => {}
        Some(v) => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("vault file version {v} (FactorCat reads version 1)"),
            });
        }
        None => return Err(damaged("\"version\" is missing or not a number")),
    }
    let header = top
        .get("header")
        .and_then(Value::as_object)
        .ok_or_else(|| damaged("\"header\" is missing or not an object"))?;
    let db = top.get("db").ok_or_else(|| damaged("\"db\" is missing"))?;
    let slots = header.get("slots").unwrap_or(&Value::Null);
    let params = header.get("params").unwrap_or(&Value::Null);

    match (slots, params, db) {
        (Value::Null, Value::Null, Value::Object(content)) => read_content(content),
        (Value::Null, Value::Null, _) => Err(damaged("a plain export's \"db\" must be an object")),
        (Value::Array(slots), Value::Object(params), Value::String(db)) => {
            let password = password.ok_or(ImportError::PasswordRequired(FORMAT))?;
            let decrypted = decrypt(slots, params, db, password)?;
            match serde_json::from_slice::<Value>(&decrypted) {
                Ok(Value::Object(content)) => read_content(&content),
                _ => Err(damaged("the decrypted content is not a JSON object")),
            }
        }
        _ => Err(damaged(
            "the header's \"slots\"/\"params\" and \"db\" do not fit together",
        )),
    }
}

/// Where a JSON syntax error is, without repeating any of the input.
fn json_position(e: &serde_json::Error) -> String {
    if e.is_eof() {
        "it ends early (truncated?)".into()
    } else {
        format!("syntax error at line {} column {}", e.line(), e.column())
    }
}

fn hex_field(obj: &Map<String, Value>, name: &str, what: &str) -> Result<Vec<u8>, ImportError> {
    let text = obj
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| damaged(format!("{what} \"{name}\" is missing or not a string")))?;
    if text.len() > 2 * MAX_SALT_LEN {
        return Err(damaged(format!("{what} \"{name}\" is too long")));
    }
    HEXLOWER_PERMISSIVE
        .decode(text.as_bytes())
        .map_err(|_| damaged(format!("{what} \"{name}\" is not hexadecimal")))
}

/// Nonce and tag of an AES-GCM parameter object, checked for length.
fn gcm_params(obj: &Map<String, Value>, what: &str) -> Result<(Vec<u8>, Vec<u8>), ImportError> {
    let nonce = hex_field(obj, "nonce", what)?;
    let tag = hex_field(obj, "tag", what)?;
    if nonce.len() != NONCE_LEN || tag.len() != TAG_LEN {
        return Err(damaged(format!(
            "{what} nonce/tag must be {NONCE_LEN}/{TAG_LEN} bytes"
        )));
    }
    Ok((nonce, tag))
}

/// AES-256-GCM decryption with the tag stored apart; `None` when the tag
/// does not match.
fn open(key: &[u8], nonce: &[u8], tag: &[u8], data: &mut [u8]) -> Option<()> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    if nonce.len() != NONCE_LEN || tag.len() != TAG_LEN {
        return None;
    }
    cipher
        .decrypt_in_place_detached(
            GenericArray::from_slice(nonce),
            b"",
            data,
            GenericArray::from_slice(tag),
        )
        .ok()
}

/// scrypt parameters of a password slot, within the module's limits.
fn scrypt_params(slot: &Map<String, Value>) -> Result<scrypt::Params, ImportError> {
    let get = |name: &str| {
        slot.get(name).and_then(Value::as_u64).ok_or_else(|| {
            damaged(format!(
                "a password slot's scrypt \"{name}\" is missing or not a number"
            ))
        })
    };
    let (n, r, p) = (get("n")?, get("r")?, get("p")?);
    if n < 2 || !n.is_power_of_two() || n.trailing_zeros() > u32::from(MAX_SCRYPT_LOG_N) {
        return Err(damaged(format!(
            "scrypt n={n} is not a power of two between 2 and 2^{MAX_SCRYPT_LOG_N} (Aegis uses 2^15)"
        )));
    }
    if r == 0 || p == 0 {
        return Err(damaged("scrypt r and p must be at least 1"));
    }
    let memory = 128u64.saturating_mul(n).saturating_mul(r);
    let work = n.saturating_mul(r).saturating_mul(p);
    if memory > MAX_SCRYPT_MEMORY || work > MAX_SCRYPT_WORK {
        return Err(damaged(format!(
            "scrypt n={n} r={r} p={p} asks for more than {} MiB or 2^20 work (Aegis uses n=2^15 r=8 p=1); refusing",
            MAX_SCRYPT_MEMORY >> 20
        )));
    }
    let log_n = n.trailing_zeros() as u8;
    scrypt::Params::new(log_n, r as u32, p as u32, KEY_LEN)
        .map_err(|_| damaged(format!("scrypt n={n} r={r} p={p} are not valid parameters")))
}

/// The password bytes Aegis used before its 2019 fix (issue #95) for slots
/// not marked `repaired`: Java's `Charset.encode` buffer taken whole, i.e.
/// the UTF-8 bytes followed by zeros up to the buffer's capacity. The buffer
/// starts at `(int)(utf16_len · 1.1f)` bytes and grows to `2n + 1` until the
/// encoding fits.
fn old_password_bytes(password: &str) -> Zeroizing<Vec<u8>> {
    let utf16_len = password.encode_utf16().count();
    let mut capacity = (utf16_len as f32 * 1.1f32) as usize;
    while capacity < password.len() {
        capacity = 2 * capacity + 1;
    }
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity));
    bytes.extend_from_slice(password.as_bytes());
    bytes.resize(capacity, 0);
    bytes
}

/// The master key from the first password slot `password` opens, then the
/// decrypted content bytes.
fn decrypt(
    slots: &[Value],
    params: &Map<String, Value>,
    db: &str,
    password: &str,
) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    if slots.len() > MAX_SLOTS {
        return Err(damaged(format!("more than {MAX_SLOTS} key slots")));
    }
    let (db_nonce, db_tag) = gcm_params(params, "the content's")?;
    let mut ciphertext = Zeroizing::new(
        BASE64
            .decode(db.trim().as_bytes())
            .map_err(|_| damaged("the encrypted content (\"db\") is not valid Base64"))?,
    );

    let mut password_slots = 0;
    let mut biometric_slots = 0;
    let mut master: Option<Zeroizing<Vec<u8>>> = None;
    for slot in slots {
        let slot = slot
            .as_object()
            .ok_or_else(|| damaged("a key slot is not an object"))?;
        match slot.get("type").and_then(Value::as_u64) {
            Some(1) => password_slots += 1,
            Some(2) => {
                biometric_slots += 1;
                continue;
            }
            Some(_) => continue,
            None => return Err(damaged("a key slot's \"type\" is missing or not a number")),
        }
        let scrypt = scrypt_params(slot)?;
        let salt = hex_field(slot, "salt", "a password slot's")?;
        let wrapped = Zeroizing::new(hex_field(slot, "key", "a password slot's")?);
        let key_params = slot
            .get("key_params")
            .and_then(Value::as_object)
            .ok_or_else(|| damaged("a password slot's \"key_params\" is missing"))?;
        let (nonce, tag) = gcm_params(key_params, "a password slot's")?;
        if wrapped.len() != KEY_LEN {
            return Err(damaged("a password slot's wrapped key is not 32 bytes"));
        }
        let repaired = slot.get("repaired").and_then(Value::as_bool) == Some(true);
        let mut candidates = vec![Zeroizing::new(password.as_bytes().to_vec())];
        let old = old_password_bytes(password);
        if !repaired && *old != password.as_bytes() {
            candidates.push(old);
        }
        for candidate in candidates {
            let mut slot_key = Zeroizing::new([0u8; KEY_LEN]);
            scrypt::scrypt(&candidate, &salt, &scrypt, &mut slot_key[..])
                .map_err(|_| damaged("scrypt failed"))?;
            let mut attempt = wrapped.clone();
            if open(&slot_key[..], &nonce, &tag, &mut attempt).is_some() {
                master = Some(attempt);
                break;
            }
        }
        if master.is_some() {
            break;
        }
    }
    let master = match master {
        Some(key) => key,
        None if password_slots > 0 => return Err(ImportError::WrongPassword(FORMAT)),
        None if biometric_slots > 0 => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: "an export that only biometrics can unlock; in Aegis, set a password (Settings → Security) and export again".into(),
            });
        }
        None => return Err(damaged("the export has no password slot")),
    };
    open(&master, &db_nonce, &db_tag, &mut ciphertext).ok_or_else(|| {
        damaged("the encrypted content does not match its tag (changed or cut short after it was written); export it again")
    })?;
    Ok(ciphertext)
}

/// Reads the decrypted or plain content object.
fn read_content(content: &Map<String, Value>) -> Result<Imported, ImportError> {
    match content.get("version").and_then(Value::as_u64) {
        Some(1..=3) => {}
        Some(v) => {
            return Err(ImportError::Unsupported {
                format: FORMAT,
                what: format!("content version {v} (FactorCat reads 1 to 3)"),
            });
        }
        None => {
            return Err(damaged(
                "the content's \"version\" is missing or not a number",
            ));
        }
    }
    let entries = content
        .get("entries")
        .and_then(Value::as_array)
        .ok_or_else(|| damaged("the content's \"entries\" is missing or not a list"))?;
    if entries.len() > MAX_ENTRIES {
        return Err(damaged(format!(
            "{} entries is more than the {MAX_ENTRIES} FactorCat reads from one file",
            entries.len()
        )));
    }
    let groups = group_names(content)?;

    Ok(common::read_entries(entries, |entry| {
        read_entry(entry, &groups)
            .map_err(|reason| (entry.as_object().and_then(entry_label), reason))
    }))
}

/// Group UUID → name, from a content-v3 `groups` list.
fn group_names(content: &Map<String, Value>) -> Result<HashMap<String, String>, ImportError> {
    let mut names = HashMap::new();
    let list = match content.get("groups") {
        None | Some(Value::Null) => return Ok(names),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(damaged("the content's \"groups\" is not a list")),
    };
    if list.len() > MAX_GROUPS {
        return Err(damaged(format!("more than {MAX_GROUPS} groups")));
    }
    for group in list {
        let uuid = group.get("uuid").and_then(Value::as_str);
        let name = group.get("name").and_then(Value::as_str);
        match (uuid, name) {
            (Some(uuid), Some(name)) => {
                names
                    .entry(uuid.to_ascii_lowercase())
                    .or_insert_with(|| clean_text(name));
            }
            _ => return Err(damaged("a group lacks its \"uuid\" or \"name\"")),
        }
    }
    Ok(names)
}

/// Issuer and name with control characters replaced and ends trimmed.
fn clean_text(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    replaced.trim().to_string()
}

/// "issuer (name)" of an entry, for messages.
fn entry_label(entry: &Map<String, Value>) -> Option<String> {
    let text = |k: &str| {
        entry
            .get(k)
            .and_then(Value::as_str)
            .map(clean_text)
            .filter(|s| !s.is_empty())
    };
    let label = match (text("issuer"), text("name")) {
        (Some(i), Some(n)) => format!("{i} ({n})"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => return None,
    };
    // Labels are shown in messages; keep them short.
    Some(label.chars().take(80).collect())
}

fn read_entry(entry: &Value, groups: &HashMap<String, String>) -> Result<Token, String> {
    let entry = entry.as_object().ok_or("the entry is not a JSON object")?;
    let kind_name = entry
        .get("type")
        .and_then(Value::as_str)
        .ok_or("\"type\" is missing or not a string")?;
    match kind_name {
        "totp" | "hotp" | "steam" => {}
        "motp" | "yandex" => {
            return Err(format!(
                "unsupported type \"{kind_name}\": FactorCat cannot generate these codes; keep this entry in Aegis"
            ));
        }
        _ => return Err("unknown entry type; skip it or export it from Aegis as a URI".into()),
    }
    let text = |name: &str| -> Result<String, String> {
        match entry.get(name) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(clean_text(s)),
            Some(_) => Err(format!("\"{name}\" is not a string")),
        }
    };
    let issuer = text("issuer")?;
    let account = text("name")?;
    let info = entry
        .get("info")
        .and_then(Value::as_object)
        .ok_or("\"info\" is missing or not an object")?;
    let secret_text = info
        .get("secret")
        .and_then(Value::as_str)
        .ok_or("the secret is missing or not a string")?;
    let secret = Secret::from_base32(secret_text).map_err(|e| e.to_string())?;
    let algorithm = match info.get("algo") {
        None | Some(Value::Null) => Algorithm::Sha1,
        Some(Value::String(name)) => Algorithm::parse(name)
            .ok_or("unsupported algorithm (FactorCat supports SHA1, SHA256 and SHA512)")?,
        Some(_) => return Err("\"algo\" is not a string".into()),
    };
    let number = |name: &str| -> Result<u64, String> {
        info.get(name)
            .and_then(Value::as_u64)
            .ok_or_else(|| format!("\"{name}\" is missing or not a whole number"))
    };
    let digits = number("digits")?;
    let kind = match kind_name {
        "totp" => Kind::Totp {
            period: number("period")?,
        },
        "hotp" => Kind::Hotp {
            counter: number("counter")?,
        },
        _ => {
            let period = info.get("period").and_then(Value::as_u64).unwrap_or(30);
            if algorithm != Algorithm::Sha1 || period != 30 {
                return Err(
                    "a Steam entry with an algorithm other than SHA1 or a period other than 30 s cannot be reproduced"
                        .into(),
                );
            }
            Kind::Steam
        }
    };
    let digits = match kind {
        Kind::Steam => STEAM_DIGITS,
        _ => u8::try_from(digits).map_err(|_| format!("{digits} digits is not supported"))?,
    };

    let mut token = Token::new(issuer, account, secret);
    token.algorithm = algorithm;
    token.digits = digits;
    token.kind = kind;
    token.pinned = entry
        .get("favorite")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    token.tags = entry_tags(entry, groups);
    common::finish(token)
}

/// Tags from `groups` (UUIDs named in the content) or else `group` (a name).
fn entry_tags(entry: &Map<String, Value>, groups: &HashMap<String, String>) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    if let Some(list) = entry.get("groups").and_then(Value::as_array) {
        for uuid in list.iter().filter_map(Value::as_str) {
            if let Some(name) = groups.get(&uuid.to_ascii_lowercase())
                && !name.is_empty()
                && !tags.contains(name)
            {
                tags.push(name.clone());
            }
        }
    } else if let Some(name) = entry.get("group").and_then(Value::as_str) {
        let name = clean_text(name);
        if !name.is_empty() {
            tags.push(name);
        }
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn slot(n: u64, r: u64, p: u64) -> Map<String, Value> {
        serde_json::json!({ "n": n, "r": r, "p": p })
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn scrypt_costs_are_bounded() {
        assert!(scrypt_params(&slot(1 << 15, 8, 1)).is_ok());
        assert!(scrypt_params(&slot(1 << 16, 16, 1)).is_ok());
        assert!(scrypt_params(&slot(1 << 17, 8, 1)).is_ok());
        for (n, r, p) in [
            (0, 8, 1),
            (1, 8, 1),
            (3000, 8, 1),
            (1 << 21, 1, 1),
            (1 << 20, 8, 1),
            (1 << 20, 2, 1),
            (1 << 17, 8, 2),
            (1 << 15, 8, 1000),
            (1 << 15, 0, 1),
            (1 << 15, 8, 0),
            (u64::MAX, u64::MAX, u64::MAX),
        ] {
            let err = scrypt_params(&slot(n, r, p)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::ImportDamaged, "n={n} r={r} p={p}");
        }
    }

    #[test]
    fn a_byte_order_mark_is_ignored() {
        let file = b"\xEF\xBB\xBF{\"version\":1,\"header\":{\"slots\":null,\"params\":null},\"db\":{\"version\":1,\"entries\":[]}}";
        assert!(detect(file));
        assert!(parse(file, None).unwrap().tokens.is_empty());
    }

    #[test]
    fn old_password_encoding_pads_like_java() {
        assert_eq!(&*old_password_bytes("test"), b"test");
        assert_eq!(&*old_password_bytes("0123456789"), b"0123456789\0");
        // 4 UTF-16 units → 4 bytes of buffer, grown to 9 for 6 bytes.
        assert_eq!(old_password_bytes("ééab").len(), 9);
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(clean_text(" a\u{1b}[31mb\n "), "a [31mb");
    }
}
