//! The version-1 header: one line of compact JSON with the vault id, the
//! body nonce and the slots (`docs/vault.md` §3.1).

use data_encoding::BASE64;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::vault::codec::Header;
use crate::vault::slot::{KdfParams, NONCE_LEN, SALT_LEN, Slot, WRAPPED_LEN, check_slots};

/// The header as written, field by field in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderRepr {
    format: String,
    version: u64,
    id: Uuid,
    /// Absent in files written before generations were counted (read as 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    generation: u64,
    nonce: String,
    slots: Vec<SlotRepr>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A slot as written: the members of both slot types, each type using its own.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlotRepr {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kdf: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    m_kib: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    t: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    nonce: String,
    key: String,
}

impl SlotRepr {
    /// How `slot` is written in the header.
    pub(crate) fn of(slot: &Slot) -> SlotRepr {
        match slot {
            Slot::Keyring { nonce, wrapped } => SlotRepr {
                kind: "keyring".into(),
                kdf: None,
                m_kib: None,
                t: None,
                p: None,
                salt: None,
                nonce: BASE64.encode(nonce),
                key: BASE64.encode(wrapped),
            },
            Slot::Passphrase {
                kdf,
                salt,
                nonce,
                wrapped,
            } => SlotRepr {
                kind: "passphrase".into(),
                kdf: Some("argon2id".into()),
                m_kib: Some(kdf.m_kib),
                t: Some(kdf.t),
                p: Some(kdf.p),
                salt: Some(BASE64.encode(salt)),
                nonce: BASE64.encode(nonce),
                key: BASE64.encode(wrapped),
            },
        }
    }

    /// The slot this describes, checked (rules 8 and 9 of `docs/vault.md`
    /// §4 for one slot); an error describes the first violation.
    fn to_slot(&self) -> Result<Slot, String> {
        let nonce = decode_fixed::<NONCE_LEN>(&self.nonce, "slot nonce")?;
        let wrapped = decode_fixed::<WRAPPED_LEN>(&self.key, "slot key")?;
        match self.kind.as_str() {
            "keyring" => {
                if self.kdf.is_some()
                    || self.m_kib.is_some()
                    || self.t.is_some()
                    || self.p.is_some()
                    || self.salt.is_some()
                {
                    return Err("keyring slot with passphrase fields".into());
                }
                Ok(Slot::Keyring { nonce, wrapped })
            }
            "passphrase" => {
                if self.kdf.as_deref() != Some("argon2id") {
                    return Err("passphrase slot without kdf \"argon2id\"".into());
                }
                let (Some(m_kib), Some(t), Some(p), Some(salt)) =
                    (self.m_kib, self.t, self.p, self.salt.as_deref())
                else {
                    return Err("passphrase slot missing m_kib, t, p or salt".into());
                };
                let kdf = KdfParams { m_kib, t, p };
                kdf.check()?;
                let salt = decode_fixed::<SALT_LEN>(salt, "slot salt")?;
                Ok(Slot::Passphrase {
                    kdf,
                    salt,
                    nonce,
                    wrapped,
                })
            }
            other => Err(format!("unknown slot type {other:?}")),
        }
    }
}

/// Decodes canonical base64 of exactly `N` bytes; `what` names the field.
pub(crate) fn decode_fixed<const N: usize>(text: &str, what: &str) -> Result<[u8; N], String> {
    let bytes = BASE64
        .decode(text.as_bytes())
        .map_err(|_| format!("{what} is not canonical base64"))?;
    bytes
        .as_slice()
        .try_into()
        .map_err(|_| format!("{what} is {} bytes, expected {N}", bytes.len()))
}

/// Reads a version-1 header line (rules 7–9 of `docs/vault.md` §4); an
/// error describes the first violation.
pub(crate) fn parse_header(header: &[u8]) -> Result<Header, String> {
    let repr: HeaderRepr =
        serde_json::from_slice(header).map_err(|e| format!("bad header: {e}"))?;
    let nonce = decode_fixed::<NONCE_LEN>(&repr.nonce, "body nonce")?;
    Ok(Header {
        id: repr.id,
        generation: repr.generation,
        nonce,
        slots: parse_slots(&repr.slots)?,
    })
}

/// The header's slots, checked (rules 8 and 9 of `docs/vault.md` §4); an
/// error describes the first violation. Every version stores slots alike.
pub(crate) fn parse_slots(reprs: &[SlotRepr]) -> Result<Vec<Slot>, String> {
    if reprs.is_empty() {
        return Err("the header has no slots".into());
    }
    let mut slots = Vec::with_capacity(reprs.len());
    for slot in reprs {
        slots.push(slot.to_slot()?);
    }
    check_slots(&slots)?;
    Ok(slots)
}
