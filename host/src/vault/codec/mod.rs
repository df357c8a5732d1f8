//! The vault file format of `docs/vault.md`, as bytes in and bytes out: no
//! file system, no keyring, no locks.
//!
//! This module holds what every format version shares and must keep (§4
//! rule 6): the signature line, the one-line header with its `format` and
//! `version`, and the BLAKE2s check line. [`parse`] reads that prefix, then
//! hands the header to the module of its version: [`v1`] (one sealed body,
//! read only) or [`v2`] for versions 2 and 3 (a sealed index, a sealed data
//! part and one sealed record per token; version 2 has a JSON index and is
//! read only, version 3 a binary one and is what this build writes). The
//! decoding functions below dispatch on the layout that [`parse`] found.

use std::ops::Range;
use std::path::Path;

use blake2::{Blake2s256, Digest};
use data_encoding::HEXLOWER;
use serde::Deserialize;
use uuid::Uuid;

use super::VaultError;
use super::slot::{NONCE_LEN, Slot, TAG_LEN};

pub(crate) mod v1;
pub(crate) mod v2;

pub(crate) use v1::{Body, BodyHead, LightRecord, SlotRepr, body_lines, write_body};
pub(crate) use v2::{IndexCodec, Previous, encode};

use crate::keystore::Key;
use crate::token::{TokenHead, TokenMeta, TokenSites};
use crate::vault::VaultData;

/// The `header.format` value of every FactorCat vault.
pub const FORMAT: &str = "factorcat-vault";
/// The format version this build writes (it reads versions 1 and 2 too).
pub const VERSION: u64 = v2::VERSION;
/// Largest vault file accepted, in bytes (64 MiB; 1,000 tokens take ~0.5 MiB).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The first line of every vault file.
pub(crate) const MAGIC: &[u8] = b"factorcat-vault\n";
/// Longest header line accepted, in bytes.
const MAX_HEADER_BYTES: usize = 64 * 1024;
/// Length of the check line without its newline (BLAKE2s-256 in hex).
const CHECK_HEX_LEN: usize = 64;
/// As much of a file as [`parse`] looks at: the signature, the longest
/// header, its check line and a tag's worth of ciphertext. Parsing this
/// much of a file gives the same answer as parsing all of it.
pub(crate) const HEAD_BYTES: usize =
    MAGIC.len() + MAX_HEADER_BYTES + 1 + CHECK_HEX_LEN + 1 + NONCE_LEN + TAG_LEN;

/// The check line's digest of the exact header bytes, in lower-case hex.
pub(crate) fn header_check(header: &[u8]) -> String {
    HEXLOWER.encode(&Blake2s256::digest(header))
}

/// Just enough of the header to decide whether it is ours and which version.
#[derive(Deserialize)]
struct ProbeRepr {
    format: Option<String>,
    version: Option<serde_json::Value>,
}

/// What a header says, whatever its version.
#[derive(Clone)]
pub(crate) struct Header {
    /// The vault id: names the keyring and cache entries.
    pub(crate) id: Uuid,
    /// How many writes made this file (0 in files written before
    /// generations were counted); see `docs/vault.md` §7.1.
    pub(crate) generation: u64,
    /// The nonce of the part that the slots' key opens first: the body
    /// (version 1) or the index (versions 2 and 3).
    pub(crate) nonce: [u8; NONCE_LEN],
    /// At least one slot: keyring slots (one per machine) and at most one
    /// passphrase slot ([`super::slot::check_slots`]).
    pub(crate) slots: Vec<Slot>,
}

impl Header {
    /// The keyring slots (one per machine that keeps the vault's key in its
    /// OS keyring).
    pub(crate) fn keyring_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|s| matches!(s, Slot::Keyring { .. }))
    }

    /// The passphrase slot, if the vault has one.
    pub(crate) fn passphrase_slot(&self) -> Option<&Slot> {
        self.slots
            .iter()
            .find(|s| matches!(s, Slot::Passphrase { .. }))
    }
}

/// A parsed vault file: the header, and where its parts are in its bytes.
pub(crate) struct Parsed {
    /// The header's contents.
    pub(crate) header: Header,
    /// The exact header bytes (the AAD of the first sealed part).
    pub(crate) aad: Range<usize>,
    /// The ciphertext and tag of the part a slot's key is tried on: the
    /// body (version 1) or the index (versions 2 and 3). Its nonce is
    /// `header.nonce`. From version 2 on it may end past a file's first
    /// [`HEAD_BYTES`] (see [`Parsed::check_len`]).
    pub(crate) sealed: Range<usize>,
    /// What follows it.
    pub(crate) layout: Layout,
}

/// What follows the first sealed part.
#[derive(Clone, Debug)]
pub(crate) enum Layout {
    /// Version 1: nothing (the body runs to the end of the file).
    V1,
    /// Versions 2 and 3: the first sealed part is the index, in the
    /// encoding `index`; then the data part (nonce, ciphertext, tag), then
    /// the records from `records` to the end of the file.
    Split {
        /// How the index is encoded (what tells version 2 from 3).
        index: IndexCodec,
        /// The sealed data part.
        data: Range<usize>,
        /// Where the first record starts.
        records: usize,
    },
}

impl Parsed {
    /// Where the plaintext is, once the first sealed part has been
    /// decrypted in place (the ciphertext without its tag).
    pub(crate) fn plaintext(&self) -> Range<usize> {
        self.sealed.start..self.sealed.end - TAG_LEN
    }

    /// Checks that a whole file of `len` bytes holds the parts the header
    /// announces ([`parse`] may see only the file's start).
    pub(crate) fn check_len(&self, path: &Path, len: usize) -> Result<(), VaultError> {
        let end = match &self.layout {
            Layout::V1 => self.sealed.end,
            Layout::Split { records, .. } => *records,
        };
        if end > len {
            return Err(VaultError::corrupt(
                path,
                "the file is shorter than its header says (it was cut off)",
            ));
        }
        Ok(())
    }
}

/// The whole contents of a decrypted file: `bytes` is the file whose first
/// sealed part was decrypted in place with `master`. Also returns, for a
/// file of separate records, what a write needs to keep unchanged records
/// as they are.
pub(crate) fn decode(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
) -> Result<(VaultData, Option<Previous>), VaultError> {
    match &parsed.layout {
        Layout::V1 => Ok((v1::decode(path, &bytes[parsed.plaintext()])?, None)),
        Layout::Split { .. } => {
            let (data, previous) = v2::decode(path, parsed, bytes, master)?;
            Ok((data, Some(previous)))
        }
    }
}

/// The one token that `pick` chooses from the identities of the tokens
/// that `keep` keeps (in vault order), and the rest of the contents (a
/// [`VaultData`] without tokens: the fill record, clock offsets…); only
/// the token's record is decoded (and, from version 2 on, read with
/// `record`, given its place in the file of `file_len` bytes, and
/// decrypted). `bytes` holds at least what a reader of the index needs
/// (see [`Parsed`]). From version 3 on, the tokens `keep` drops are never
/// held (`crate::vault::Vault::read_one_with_clock`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn decode_one<E: From<VaultError>>(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    file_len: usize,
    master: &Key,
    mut keep: impl FnMut(&TokenHead<'_>) -> bool,
    pick: impl FnOnce(&[TokenHead<'_>]) -> Result<usize, E>,
    record: impl FnOnce(Range<usize>) -> Result<Vec<u8>, VaultError>,
) -> Result<(crate::token::Token, VaultData), E> {
    match &parsed.layout {
        Layout::V1 => v1::decode_one(path, &bytes[parsed.plaintext()], |heads| {
            let kept = Kept::of(heads, &mut keep);
            pick(&kept.items).map(|i| kept.place(i))
        }),
        Layout::Split { .. } => {
            v2::decode_one(path, parsed, bytes, file_len, master, keep, pick, record)
        }
    }
}

/// The items of a list that a filter keeps, copied out, and where each was.
struct Kept<T> {
    items: Vec<T>,
    /// The position in the list of each item.
    at: Vec<usize>,
    /// The list's length.
    of: usize,
}

impl<T: Clone> Kept<T> {
    /// The items of `all` that `keep` keeps.
    fn of(all: &[T], mut keep: impl FnMut(&T) -> bool) -> Kept<T> {
        let (at, items) = all
            .iter()
            .enumerate()
            .filter(|(_, item)| keep(item))
            .map(|(i, item)| (i, item.clone()))
            .unzip();
        Kept {
            items,
            at,
            of: all.len(),
        }
    }

    /// The position in the list of kept item `i`; one past its end for an
    /// `i` that is not kept, which the caller then finds missing.
    fn place(&self, i: usize) -> usize {
        self.at.get(i).copied().unwrap_or(self.of)
    }
}

/// What the vault holds besides its tokens (a [`VaultData`] without
/// tokens): from version 2 on its data part alone, without the index.
pub(crate) fn decode_data(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
) -> Result<VaultData, VaultError> {
    match &parsed.layout {
        Layout::V1 => {
            let mut data = v1::decode(path, &bytes[parsed.plaintext()])?;
            data.tokens.clear();
            Ok(data)
        }
        Layout::Split { .. } => v2::open_data(path, parsed, bytes, master),
    }
}

/// [`decode_one`] for the token with id `id`, or `None` when the vault
/// holds no such token. From version 3 on, only each index entry's record
/// place and id are read.
pub(crate) fn decode_id(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    file_len: usize,
    master: &Key,
    id: Uuid,
    record: impl FnOnce(Range<usize>) -> Result<Vec<u8>, VaultError>,
) -> Result<Option<(crate::token::Token, VaultData)>, VaultError> {
    /// Why [`v1::decode_one`] picked nothing.
    enum Unpicked {
        Absent,
        Failed(VaultError),
    }
    impl From<VaultError> for Unpicked {
        fn from(e: VaultError) -> Self {
            Unpicked::Failed(e)
        }
    }
    match &parsed.layout {
        Layout::V1 => {
            let by_id = |heads: &[TokenHead<'_>]| {
                heads
                    .iter()
                    .position(|h| h.id == id)
                    .ok_or(Unpicked::Absent)
            };
            match v1::decode_one(path, &bytes[parsed.plaintext()], by_id) {
                Ok(found) => Ok(Some(found)),
                Err(Unpicked::Absent) => Ok(None),
                Err(Unpicked::Failed(e)) => Err(e),
            }
        }
        Layout::Split { .. } => v2::decode_id(path, parsed, bytes, file_len, master, id, record),
    }
}

/// The metadata of the tokens at the positions `pick` returns after seeing
/// the matching fields of the tokens that `keep` keeps (in vault order)
/// and the rest of the contents, in `pick`'s order.
/// Versions 2 and 3 read them from the index and the data part, and
/// decrypt no record (no secret); from version 3 on, the tokens `keep`
/// drops are never held.
pub(crate) fn decode_matching<E: From<VaultError>>(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
    mut keep: impl FnMut(&TokenSites<'_>) -> bool,
    pick: impl FnOnce(&[TokenSites<'_>], &VaultData) -> Result<Vec<usize>, E>,
) -> Result<Vec<TokenMeta>, E> {
    match &parsed.layout {
        Layout::V1 => Ok(
            v1::decode_matching(path, &bytes[parsed.plaintext()], |sites, rest| {
                let kept = Kept::of(sites, &mut keep);
                pick(&kept.items, rest)
                    .map(|picked| picked.into_iter().map(|i| kept.place(i)).collect())
            })?
            .iter()
            .map(TokenMeta::of)
            .collect(),
        ),
        Layout::Split { .. } => v2::decode_matching(path, parsed, bytes, master, keep, pick),
    }
}

/// Parses a vault file up to its ciphertext, applying the MUST-reject rules
/// 2–10 of `docs/vault.md` §4 in their order. Errors are
/// [`VaultError::Corrupt`] naming `path`, or
/// [`VaultError::UnsupportedVersion`].
pub(crate) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, VaultError> {
    let corrupt = |reason: String| VaultError::corrupt(path, reason);
    if !bytes.starts_with(MAGIC) {
        return Err(corrupt(
            "it does not start with the FactorCat vault signature".into(),
        ));
    }
    let rest = &bytes[MAGIC.len()..];
    let window = &rest[..rest.len().min(MAX_HEADER_BYTES + 1)];
    let header_len = window
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| corrupt("the header line is unterminated or too long".into()))?;
    let aad = MAGIC.len()..MAGIC.len() + header_len;
    let header = &bytes[aad.clone()];
    let check_at = aad.end + 1;
    let check = bytes
        .get(check_at..check_at + CHECK_HEX_LEN + 1)
        .ok_or_else(|| corrupt("the file ends inside the check line".into()))?;
    if check[CHECK_HEX_LEN] != b'\n' || &check[..CHECK_HEX_LEN] != header_check(header).as_bytes() {
        return Err(corrupt("the header checksum does not match".into()));
    }
    let probe: ProbeRepr =
        serde_json::from_slice(header).map_err(|e| corrupt(format!("bad header: {e}")))?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(corrupt(format!("the header format is not {FORMAT:?}")));
    }
    let body = check_at + CHECK_HEX_LEN + 1;
    match probe.version.as_ref().and_then(|v| v.as_u64()) {
        Some(v1::VERSION) => {
            let header = v1::parse_header(header).map_err(corrupt)?;
            if bytes.len() - body < TAG_LEN {
                return Err(corrupt("the ciphertext is too short".into()));
            }
            Ok(Parsed {
                header,
                aad,
                sealed: body..bytes.len(),
                layout: Layout::V1,
            })
        }
        Some(v) if IndexCodec::of_version(v).is_some() => {
            v2::parse(header, aad, body, bytes).map_err(corrupt)
        }
        Some(found) => Err(VaultError::UnsupportedVersion {
            path: path.to_path_buf(),
            found,
            supported: VERSION,
        }),
        None => Err(corrupt("the header has no integer version".into())),
    }
}

#[cfg(test)]
mod tests {
    use data_encoding::BASE64;

    use super::*;
    use crate::keystore::Key;
    use crate::vault::slot::SALT_LEN;

    /// Builds a file from a header value with a correct check line.
    fn file_with_header(header: &serde_json::Value) -> Vec<u8> {
        let header = serde_json::to_vec(header).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&header);
        out.push(b'\n');
        out.extend_from_slice(header_check(&header).as_bytes());
        out.push(b'\n');
        out.extend_from_slice(&[0u8; 64]);
        out
    }

    fn sample_header() -> serde_json::Value {
        let master = Key::random();
        let wrapping = Key::random();
        let id = Uuid::new_v4();
        let (nonce, wrapped) = Slot::wrap_master("keyring", id, &wrapping, &master).unwrap();
        let slot = SlotRepr::of(&Slot::Keyring { nonce, wrapped });
        serde_json::json!({
            "format": FORMAT,
            "version": v1::VERSION,
            "id": id,
            "nonce": BASE64.encode(&[1u8; NONCE_LEN]),
            "slots": [serde_json::to_value(slot).unwrap()],
        })
    }

    fn parse_code(header: &serde_json::Value) -> &'static str {
        match parse(Path::new("v"), &file_with_header(header)) {
            Ok(_) => "ok",
            Err(e) => e.code().as_str(),
        }
    }

    #[test]
    fn parse_accepts_the_sample_and_rejects_each_rule() {
        let good = sample_header();
        assert_eq!(parse_code(&good), "ok");
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        let cases: Vec<(&str, Edit, &str)> = vec![
            (
                "unknown version",
                Box::new(|h| h["version"] = 4.into()),
                "vault_version",
            ),
            (
                "string version",
                Box::new(|h| h["version"] = "1".into()),
                "vault_corrupt",
            ),
            (
                "other format",
                Box::new(|h| h["format"] = "aegis".into()),
                "vault_corrupt",
            ),
            (
                "no slots",
                Box::new(|h| h["slots"] = serde_json::json!([])),
                "vault_corrupt",
            ),
            (
                "short nonce",
                Box::new(|h| h["nonce"] = BASE64.encode(&[1u8; 12]).into()),
                "vault_corrupt",
            ),
            (
                "bad id",
                Box::new(|h| h["id"] = "nope".into()),
                "vault_corrupt",
            ),
            (
                "unknown field",
                Box::new(|h| h["extra"] = 1.into()),
                "vault_corrupt",
            ),
            (
                "duplicate slot",
                Box::new(|h| {
                    let s = h["slots"][0].clone();
                    h["slots"].as_array_mut().unwrap().push(s);
                }),
                "vault_corrupt",
            ),
            (
                "unknown slot",
                Box::new(|h| h["slots"][0]["type"] = "fido".into()),
                "vault_corrupt",
            ),
            (
                "short wrapped key",
                Box::new(|h| h["slots"][0]["key"] = BASE64.encode(&[0u8; 32]).into()),
                "vault_corrupt",
            ),
            (
                "passphrase slot without salt",
                Box::new(|h| {
                    h["slots"][0]["type"] = "passphrase".into();
                    h["slots"][0]["kdf"] = "argon2id".into();
                    h["slots"][0]["m_kib"] = 64.into();
                    h["slots"][0]["t"] = 1.into();
                    h["slots"][0]["p"] = 1.into();
                }),
                "vault_corrupt",
            ),
            (
                "huge argon2 memory",
                Box::new(|h| {
                    h["slots"][0]["type"] = "passphrase".into();
                    h["slots"][0]["kdf"] = "argon2id".into();
                    h["slots"][0]["m_kib"] = 4_000_000.into();
                    h["slots"][0]["t"] = 1.into();
                    h["slots"][0]["p"] = 1.into();
                    h["slots"][0]["salt"] = BASE64.encode(&[0u8; SALT_LEN]).into();
                }),
                "vault_corrupt",
            ),
        ];
        for (what, edit, expected) in cases {
            let mut header = good.clone();
            edit(&mut header);
            assert_eq!(parse_code(&header), expected, "{what}");
        }
        // A correct header with a wrong check digest.
        let mut bytes = file_with_header(&good);
        let at = bytes.len() - 64 - 3;
        bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
        assert_eq!(
            parse(Path::new("v"), &bytes).err().map(|e| e.code()),
            Some(crate::error::ErrorCode::VaultCorrupt)
        );
    }
}
