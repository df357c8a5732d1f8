//! Format versions 2 and 3 (`docs/vault.md` §3): after the header and check
//! line, three kinds of sealed parts, each `nonce || ciphertext || tag`
//! under the master key:
//!
//! 1. the **index**: every token but its secret, and where its record is —
//!    what queries and site matching read (AAD: the header). Version 2
//!    writes it as JSON ([`index`]), version 3 in a compact binary encoding
//!    ([`compact`]); that is the only difference between the two
//!    ([`IndexCodec`]), and everything else here serves both;
//! 2. the **data** part: everything of [`VaultData`] but the tokens
//!    (tombstones, the fill record, and whatever members it gains), as one
//!    JSON object (AAD: the header and `" data"`);
//! 3. one **record** per token, its whole JSON, sealed with the vault id,
//!    the token id and the record's version as associated data.
//!
//! `code` decrypts the index and one record; matching decrypts the index
//! only; a write seals afresh only the records whose contents changed and
//! copies the others byte for byte.

use std::collections::{HashMap, HashSet};
use std::io;
use std::ops::Range;
use std::path::Path;

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use data_encoding::BASE64;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::v1::{SlotRepr, decode_fixed, parse_slots};
use super::{CHECK_HEX_LEN, FORMAT, Header, Layout, MAGIC, Parsed, header_check};
use crate::keystore::Key;
use crate::token::{Token, TokenHead, TokenMeta, TokenSites};
use crate::vault::slot::{NONCE_LEN, Slot, TAG_LEN};
use crate::vault::{VaultData, VaultError};

pub(crate) mod compact;
pub(crate) mod index;

use index::{EntryOut, Full, Head, Located, Locator, Rest};

/// The version this build writes, the `version` of its header.
pub(crate) const VERSION: u64 = IndexCodec::WRITTEN.version();

/// How a file's index is encoded, which its header's `version` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IndexCodec {
    /// Version 2: a JSON array of arrays ([`index`]; read only).
    Json,
    /// Version 3: the compact binary entries of [`compact`].
    Compact,
}

impl IndexCodec {
    /// The index encoding of the files this build writes.
    pub(crate) const WRITTEN: IndexCodec = IndexCodec::Compact;

    /// The header `version` of files with this index encoding.
    pub(crate) const fn version(self) -> u64 {
        match self {
            IndexCodec::Json => 2,
            IndexCodec::Compact => 3,
        }
    }

    /// The index encoding of header version `version`, if it has this
    /// layout.
    pub(crate) fn of_version(version: u64) -> Option<IndexCodec> {
        [IndexCodec::Json, IndexCodec::Compact]
            .into_iter()
            .find(|c| c.version() == version)
    }

    /// Writes the index of `entries`.
    fn write(self, out: &mut impl io::Write, entries: &[EntryOut]) -> io::Result<()> {
        match self {
            IndexCodec::Json => serde_json::to_writer(out, entries).map_err(io::Error::other),
            IndexCodec::Compact => compact::write_index(out, entries),
        }
    }
}
/// Bytes of the header's `write` value, drawn afresh on every write.
const WRITE_LEN: usize = 16;
/// The shortest sealed part: a nonce and a tag around nothing.
pub(crate) const SEALED_MIN: usize = NONCE_LEN + TAG_LEN;

/// The header as written, field by field in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderRepr {
    format: String,
    version: u64,
    id: Uuid,
    generation: u64,
    write: String,
    index: u64,
    data: u64,
    slots: Vec<SlotRepr>,
}

/// Reads a version-2 or version-3 header (rules 7–9 of `docs/vault.md` §4
/// and the layout rules of §4.1) and where its parts are. `body` is where
/// the index starts; `bytes` may be only the start of the file.
pub(crate) fn parse(
    header: &[u8],
    aad: Range<usize>,
    body: usize,
    bytes: &[u8],
) -> Result<Parsed, String> {
    let repr: HeaderRepr =
        serde_json::from_slice(header).map_err(|e| format!("bad header: {e}"))?;
    let codec = IndexCodec::of_version(repr.version)
        .ok_or_else(|| format!("version {} has no sealed index", repr.version))?;
    decode_fixed::<WRITE_LEN>(&repr.write, "write value")?;
    let slots = parse_slots(&repr.slots)?;
    let (index, data) = (repr.index as usize, repr.data as usize);
    if repr.index < SEALED_MIN as u64 || repr.data < SEALED_MIN as u64 {
        return Err("the index or data part is shorter than a nonce and a tag".into());
    }
    let limit = super::MAX_FILE_BYTES;
    if repr.index > limit || repr.data > limit {
        return Err("the index or data part is larger than a vault may be".into());
    }
    let nonce: [u8; NONCE_LEN] = bytes
        .get(body..body + NONCE_LEN)
        .and_then(|n| n.try_into().ok())
        .ok_or("the file ends before its index")?;
    let data_at = body + index;
    Ok(Parsed {
        header: Header {
            id: repr.id,
            generation: repr.generation,
            nonce,
            slots,
        },
        aad,
        sealed: body + NONCE_LEN..data_at,
        layout: Layout::Split {
            index: codec,
            data: data_at..data_at + data,
            records: data_at + data,
        },
    })
}

/// The associated data of the data part.
fn data_aad(header: &[u8]) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(b" data");
    aad
}

/// The associated data of a record: it binds the record to its vault, its
/// token and its version, so that records cannot be swapped, taken from
/// another vault, or replaced by an older version of themselves. Its
/// `/2` names the record scheme, which version 2 introduced and version 3
/// keeps: a record moves from a version-2 file to a version-3 one as it is.
fn record_aad(vault: Uuid, token: Uuid, version: u64) -> String {
    format!("factorcat-vault/2 record {vault} {token} {version}")
}

/// Decrypts one sealed part (`nonce || ciphertext || tag`) into a buffer
/// that is wiped on drop.
pub(crate) fn open(key: &Key, sealed: &[u8], aad: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let body_len = sealed.len().checked_sub(SEALED_MIN)?;
    let (nonce, rest) = sealed.split_at(NONCE_LEN);
    let (ciphertext, tag) = rest.split_at(body_len);
    let mut plain = Zeroizing::new(ciphertext.to_vec());
    XChaCha20Poly1305::new(GenericArray::from_slice(key.expose()))
        .decrypt_in_place_detached(
            XNonce::from_slice(nonce),
            aad,
            &mut plain,
            GenericArray::from_slice(tag),
        )
        .ok()?;
    Some(plain)
}

/// Appends a sealed part to `out`: a fresh nonce, the plaintext that
/// `write` produces (encrypted in place, so it never exists outside `out`)
/// and the tag. `out` must have room, so that it never reallocates.
pub(crate) fn seal(
    out: &mut Vec<u8>,
    key: &Key,
    aad: &[u8],
    write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
) -> Result<(), String> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    out.extend_from_slice(&nonce);
    let start = out.len();
    write(out).map_err(|e| e.to_string())?;
    let tag = XChaCha20Poly1305::new(GenericArray::from_slice(key.expose()))
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), aad, &mut out[start..])
        .map_err(|_| "encryption failed".to_string())?;
    out.extend_from_slice(&tag);
    Ok(())
}

/// Counts what is written to it, to size the output exactly.
struct Measure(usize);

impl Measure {
    /// The length of `value` as compact JSON.
    fn of<T: Serialize>(value: &T) -> serde_json::Result<usize> {
        let mut m = Measure(0);
        serde_json::to_writer(&mut m, value)?;
        Ok(m.0)
    }

    /// The length of what `write` writes.
    fn with(write: impl FnOnce(&mut Measure) -> io::Result<()>) -> io::Result<usize> {
        let mut m = Measure(0);
        write(&mut m)?;
        Ok(m.0)
    }
}

impl io::Write for Measure {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// What a write needs of the file it replaces to keep unchanged records:
/// per token id, its record's version, where the sealed record is in that
/// file's bytes, and the token it holds.
#[derive(Debug, Default)]
pub(crate) struct Previous {
    records: HashMap<Uuid, (Locator, Range<usize>, Token)>,
}

/// Serializes and seals `data` into a complete file of the version this
/// build writes ([`VERSION`]) and of generation `generation`. With
/// `previous` (the file being replaced, as decoded, and its bytes; version
/// 2 or 3), a token equal to the one its record held keeps that sealed
/// record and its version; the others are sealed with version
/// `generation`.
pub(crate) fn encode(
    path: &Path,
    id: Uuid,
    generation: u64,
    slots: &[Slot],
    master: &Key,
    data: &VaultData,
    previous: Option<(&Previous, &[u8])>,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    encode_as(
        IndexCodec::WRITTEN,
        path,
        (id, generation),
        slots,
        master,
        data,
        previous,
    )
}

/// [`encode`] with the index encoding `codec` (tests write version 2 to
/// read it back).
pub(crate) fn encode_as(
    codec: IndexCodec,
    path: &Path,
    (id, generation): (Uuid, u64),
    slots: &[Slot],
    master: &Key,
    data: &VaultData,
    previous: Option<(&Previous, &[u8])>,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let failed =
        |reason: String| VaultError::corrupt(path, format!("cannot encode the vault: {reason}"));
    let generation = generation.max(1);
    // Plan every record first: sizes decide the index, which the header
    // describes.
    let mut plans = Vec::with_capacity(data.tokens.len());
    for token in &data.tokens {
        let kept = previous.and_then(|(p, bytes)| {
            let (at, range, old) = p.records.get(&token.id)?;
            (old == token).then(|| (*at, &bytes[range.clone()]))
        });
        plans.push(match kept {
            Some((at, sealed)) => (at, Some(sealed)),
            None => {
                let len = Measure::of(token).map_err(|e| failed(e.to_string()))?;
                let at = Locator {
                    version: generation,
                    len: (len + SEALED_MIN) as u64,
                };
                (at, None)
            }
        });
    }
    let entries: Vec<EntryOut> = data
        .tokens
        .iter()
        .zip(&plans)
        .map(|(token, (at, _))| EntryOut { at: *at, token })
        .collect();
    let index_len =
        Measure::with(|m| codec.write(m, &entries)).map_err(|e| failed(e.to_string()))?;
    let records: u64 = plans.iter().map(|(at, _)| at.len).sum();
    let parts = Parts {
        codec,
        index_len,
        index: &|out: &mut Vec<u8>| codec.write(out, &entries),
        records: records as usize,
    };
    write_file(path, (id, generation), slots, master, data, parts, |out| {
        for (token, (at, kept)) in data.tokens.iter().zip(&plans) {
            match kept {
                Some(sealed) => out.extend_from_slice(sealed),
                None => {
                    let aad = record_aad(id, token.id, at.version);
                    seal(out, master, aad.as_bytes(), |out| {
                        serde_json::to_writer(out, token).map_err(io::Error::other)
                    })
                    .map_err(failed)?;
                }
            }
        }
        Ok(())
    })
}

/// What a complete file holds besides its header and data part: the index
/// (its encoding, its plaintext length and how to write it) and the
/// records' total length.
struct Parts<'a> {
    codec: IndexCodec,
    index_len: usize,
    index: &'a dyn Fn(&mut Vec<u8>) -> io::Result<()>,
    records: usize,
}

/// Puts together a complete file of vault `id` at `generation`, of the
/// version of `parts.codec`:
/// a header describing `parts` and `data`'s data part, the sealed index,
/// the sealed data part, then the records that `records` appends (exactly
/// `parts.records` bytes). The output is sized exactly, so that no
/// reallocation leaves plaintext behind.
fn write_file(
    path: &Path,
    (id, generation): (Uuid, u64),
    slots: &[Slot],
    master: &Key,
    data: &VaultData,
    parts: Parts,
    records: impl FnOnce(&mut Vec<u8>) -> Result<(), VaultError>,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let failed =
        |reason: String| VaultError::corrupt(path, format!("cannot encode the vault: {reason}"));
    let data_len = Measure::of(data).map_err(|e| failed(e.to_string()))?;
    let mut write = [0u8; WRITE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut write);
    let header = serde_json::to_vec(&HeaderRepr {
        format: FORMAT.into(),
        version: parts.codec.version(),
        id,
        generation,
        write: BASE64.encode(&write),
        index: (parts.index_len + SEALED_MIN) as u64,
        data: (data_len + SEALED_MIN) as u64,
        slots: slots.iter().map(SlotRepr::of).collect(),
    })
    .map_err(|e| failed(e.to_string()))?;
    let total = MAGIC.len()
        + header.len()
        + 1
        + CHECK_HEX_LEN
        + 1
        + parts.index_len
        + data_len
        + 2 * SEALED_MIN
        + parts.records;
    let mut out = Zeroizing::new(Vec::with_capacity(total));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header);
    out.push(b'\n');
    out.extend_from_slice(header_check(&header).as_bytes());
    out.push(b'\n');
    seal(&mut out, master, &header, parts.index).map_err(failed)?;
    seal(&mut out, master, &data_aad(&header), |out| {
        serde_json::to_writer(out, data).map_err(io::Error::other)
    })
    .map_err(failed)?;
    records(&mut out)?;
    if out.len() != total {
        return Err(failed("the file was not sized exactly".into()));
    }
    Ok(out)
}

/// The index of a file (`parsed`, its bytes `bytes`) whose index part was
/// decrypted in place, in the encoding its version says.
fn parse_index<'p, T>(path: &Path, parsed: &Parsed, bytes: &'p [u8]) -> Result<Vec<T>, VaultError>
where
    T: compact::Decode<'p> + for<'de> Deserialize<'de>,
{
    let plain = &bytes[parsed.plaintext()];
    if is_compact(parsed) {
        compact::decode_index(plain).map_err(|e| unreadable_index(path, e))
    } else {
        parse_json_index(path, plain)
    }
}

/// Hands each entry of the index of `parsed` (see [`parse_index`]) to
/// `each`, in index order: a version-3 index is decoded one entry at a
/// time, so that a reader that keeps a few never holds them all.
fn for_each_entry<'p, T>(
    path: &'p Path,
    parsed: &Parsed,
    bytes: &'p [u8],
    mut each: impl FnMut(T) -> Result<(), VaultError>,
) -> Result<(), VaultError>
where
    T: compact::Decode<'p> + for<'de> Deserialize<'de>,
{
    let plain = &bytes[parsed.plaintext()];
    if is_compact(parsed) {
        compact_entries(path, plain)?.try_for_each(|entry| entry.and_then(&mut each))
    } else {
        parse_json_index(path, plain)?
            .into_iter()
            .try_for_each(each)
    }
}

/// Whether the index of `parsed` is version 3's compact one (else
/// version 2's JSON).
fn is_compact(parsed: &Parsed) -> bool {
    matches!(
        parsed.layout,
        Layout::Split {
            index: IndexCodec::Compact,
            ..
        }
    )
}

/// The entries of the version-3 index plaintext `plain` of the file
/// `path`, decoded one at a time as `T`.
fn compact_entries<'p, T: compact::Decode<'p>>(
    path: &'p Path,
    plain: &'p [u8],
) -> Result<impl Iterator<Item = Result<T, VaultError>>, VaultError> {
    let unreadable = move |e| unreadable_index(path, e);
    let entries = compact::Entries::new(plain).map_err(unreadable)?;
    Ok(entries.map(move |entry| entry.map_err(unreadable)))
}

/// The error for a version-3 index that does not decode.
fn unreadable_index(path: &Path, e: compact::Malformed) -> VaultError {
    VaultError::corrupt(
        path,
        format!(
            "the token index is not valid (byte {}: {}); the file is damaged",
            e.at, e.what
        ),
    )
}

/// The heads that a reader keeps, with their records' places.
#[derive(Default)]
struct Heads<'a> {
    heads: Vec<TokenHead<'a>>,
    places: Vec<(Locator, Range<usize>)>,
}

/// The matching fields of the entries that a reader keeps and, apart, the
/// rest of them, borrowed from the index plaintext (version 3) or from
/// entries decoded whole (version 2).
#[derive(Default)]
struct Sites<'a> {
    sites: Vec<TokenSites<'a>>,
    rest: Vec<Rest<'a>>,
}

impl<'a> Sites<'a> {
    /// The entries `views` gives that `keep` keeps.
    fn kept(
        views: impl Iterator<Item = Result<compact::View<'a>, VaultError>>,
        mut keep: impl FnMut(&TokenSites<'_>) -> bool,
    ) -> Result<Sites<'a>, VaultError> {
        let mut kept = Sites::default();
        for view in views {
            let view = view?;
            if keep(&view.sites) {
                kept.sites.push(view.sites);
                kept.rest.push(view.rest);
            }
        }
        Ok(kept)
    }
}

/// The JSON index of version 2. The text is checked to be UTF-8 once, as a
/// whole, so that the parser need not check each string again.
fn parse_json_index<T: for<'a> Deserialize<'a>>(
    path: &Path,
    plain: &[u8],
) -> Result<Vec<T>, VaultError> {
    let text = std::str::from_utf8(plain).map_err(|e| {
        VaultError::corrupt(
            path,
            format!(
                "the token index is not UTF-8 (byte {}); the file is damaged",
                e.valid_up_to()
            ),
        )
    })?;
    serde_json::from_str(text).map_err(|e| {
        VaultError::corrupt(
            path,
            format!(
                "the token index is not valid (column {}); the file is damaged",
                e.column()
            ),
        )
    })
}

/// Where each record is, in file offsets, checking that the records fill
/// the rest of the file exactly and that versions are possible.
fn record_ranges(
    path: &Path,
    parsed: &Parsed,
    len: usize,
    locators: impl Iterator<Item = Locator>,
) -> Result<Vec<Range<usize>>, VaultError> {
    let mut places = Places::new(path, parsed, len)?;
    let ranges = locators
        .map(|at| places.next(at))
        .collect::<Result<Vec<_>, _>>()?;
    places.end()?;
    Ok(ranges)
}

/// The places of the records of a file, one entry at a time, in index
/// order (the records follow one another in that order).
struct Places<'p> {
    path: &'p Path,
    parsed: &'p Parsed,
    /// Where the next record starts.
    at: usize,
    /// The file's length.
    len: usize,
}

impl<'p> Places<'p> {
    /// The places in the file `parsed` of `len` bytes.
    fn new(path: &'p Path, parsed: &'p Parsed, len: usize) -> Result<Places<'p>, VaultError> {
        let Layout::Split { records, .. } = parsed.layout else {
            return Err(VaultError::corrupt(path, "not a file with a sealed index"));
        };
        Ok(Places {
            path,
            parsed,
            at: records,
            len,
        })
    }

    /// The place of the record of the next entry, which says it is `at`.
    fn next(&mut self, at: Locator) -> Result<Range<usize>, VaultError> {
        check_locator(self.path, self.parsed, at)?;
        let start = self.at;
        let end = start
            .checked_add(at.len as usize)
            .filter(|&end| end <= self.len)
            .ok_or_else(|| {
                VaultError::corrupt(self.path, "a token record runs past the end of the file")
            })?;
        self.at = end;
        Ok(start..end)
    }

    /// Checks that the records seen so far end the file.
    fn end(&self) -> Result<(), VaultError> {
        if self.at != self.len {
            return Err(VaultError::corrupt(
                self.path,
                "the file holds bytes after its last token record",
            ));
        }
        Ok(())
    }
}

fn check_locator(path: &Path, parsed: &Parsed, at: Locator) -> Result<(), VaultError> {
    if at.version == 0 || at.version > parsed.header.generation {
        return Err(VaultError::corrupt(
            path,
            format!(
                "a token record has version {}, outside 1 to the file's generation {}",
                at.version, parsed.header.generation
            ),
        ));
    }
    if at.len < SEALED_MIN as u64 {
        return Err(VaultError::corrupt(path, "a token record is too short"));
    }
    Ok(())
}

/// Opens and parses the record of index entry `id` at `range`.
fn open_record(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
    (id, at, range): (Uuid, Locator, Range<usize>),
) -> Result<Token, VaultError> {
    let aad = record_aad(parsed.header.id, id, at.version);
    let plain =
        open(master, &bytes[range], aad.as_bytes()).ok_or_else(|| unauthentic_record(path, id))?;
    let token: Token = serde_json::from_slice(&plain).map_err(|e| {
        // Position only: serde's message could quote a field value.
        VaultError::corrupt(
            path,
            format!(
                "the record of token {id} is not a valid token (column {})",
                e.column()
            ),
        )
    })?;
    if token.id != id {
        return Err(inconsistent(path));
    }
    Ok(token)
}

/// The error for a record that fails authentication.
fn unauthentic_record(path: &Path, id: Uuid) -> VaultError {
    VaultError::corrupt(
        path,
        format!(
            "the record of token {id} fails authentication (it was altered, swapped or replaced by an older one)"
        ),
    )
}

/// The error for an index that does not describe its records.
fn inconsistent(path: &Path) -> VaultError {
    VaultError::corrupt(path, "the token index does not match the token records")
}

/// The data part of a file: every member of [`VaultData`] but the
/// tokens.
pub(crate) fn open_data(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
) -> Result<VaultData, VaultError> {
    let Layout::Split { data: data_at, .. } = &parsed.layout else {
        return Err(VaultError::corrupt(path, "not a file with a sealed index"));
    };
    let header = &bytes[parsed.aad.clone()];
    let sealed = bytes
        .get(data_at.clone())
        .ok_or_else(|| VaultError::corrupt(path, "the file ends inside its data part"))?;
    let plain = open(master, sealed, &data_aad(header))
        .ok_or_else(|| VaultError::corrupt(path, "the data part fails authentication"))?;
    serde_json::from_slice(&plain).map_err(|e| {
        VaultError::corrupt(
            path,
            format!("the data part is not valid (column {})", e.column()),
        )
    })
}

/// The whole contents of a file whose index was decrypted in
/// place, and what a write needs to keep its unchanged records.
pub(crate) fn decode(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
) -> Result<(VaultData, Previous), VaultError> {
    let entries: Vec<Full> = parse_index(path, parsed, bytes)?;
    let ranges = record_ranges(path, parsed, bytes.len(), entries.iter().map(|e| e.at))?;
    let mut data = open_data(path, parsed, bytes, master)?;
    let mut previous = Previous::default();
    let mut seen = HashSet::with_capacity(entries.len());
    data.tokens.reserve_exact(entries.len());
    for (entry, range) in entries.into_iter().zip(ranges) {
        let id = entry.meta.id;
        if !seen.insert(id) {
            return Err(VaultError::corrupt(
                path,
                format!("token {id} is stored twice"),
            ));
        }
        let token = open_record(path, parsed, bytes, master, (id, entry.at, range.clone()))?;
        if TokenMeta::of(&token) != entry.meta {
            return Err(inconsistent(path));
        }
        previous
            .records
            .insert(id, (entry.at, range, token.clone()));
        data.tokens.push(token);
    }
    Ok((data, previous))
}

/// The one token that `pick` chooses from the heads of the index of a
/// file of `file_len` bytes that `keep` keeps, and the data part; only its
/// record is read (with `record`, from its place in the file) and
/// decrypted.
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
) -> Result<(Token, VaultData), E> {
    let mut places = Places::new(path, parsed, file_len)?;
    let mut kept = Heads::default();
    for_each_entry(path, parsed, bytes, |entry: Head| {
        let range = places.next(entry.at)?;
        if keep(&entry.head) {
            kept.heads.push(entry.head);
            kept.places.push((entry.at, range));
        }
        Ok(())
    })?;
    places.end()?;
    let chosen = pick(&kept.heads)?;
    let (Some(head), Some((at, range))) = (kept.heads.get(chosen), kept.places.get(chosen)) else {
        return Err(inconsistent(path).into());
    };
    Ok(read_chosen(
        path,
        parsed,
        bytes,
        master,
        (head.id, *at, range),
        record,
    )?)
}

/// [`decode_one`] for the token with id `id` (`None` when there is none):
/// of a version-3 index only each entry's record place and id are read.
pub(crate) fn decode_id(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    file_len: usize,
    master: &Key,
    id: Uuid,
    record: impl FnOnce(Range<usize>) -> Result<Vec<u8>, VaultError>,
) -> Result<Option<(Token, VaultData)>, VaultError> {
    let entries: Vec<Located> = parse_index(path, parsed, bytes)?;
    let ranges = record_ranges(path, parsed, file_len, entries.iter().map(|e| e.at))?;
    let Some(chosen) = entries.iter().position(|e| e.id == id) else {
        return Ok(None);
    };
    let (Some(entry), Some(range)) = (entries.get(chosen), ranges.get(chosen)) else {
        return Err(inconsistent(path));
    };
    read_chosen(path, parsed, bytes, master, (id, entry.at, range), record).map(Some)
}

/// The token of index entry `id` at `at`, its record read with `record`
/// from `range` of the file, and the rest of the contents (the data part).
fn read_chosen(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
    (id, at, range): (Uuid, Locator, &Range<usize>),
    record: impl FnOnce(Range<usize>) -> Result<Vec<u8>, VaultError>,
) -> Result<(Token, VaultData), VaultError> {
    let sealed = record(range.clone())?;
    let token = open_record(path, parsed, &sealed, master, (id, at, 0..sealed.len()))?;
    let data = open_data(path, parsed, bytes, master)?;
    Ok((token, data))
}

/// The metadata of the tokens `pick` chooses from the matching fields of
/// the tokens that `keep` keeps and the fill record, from the index and the
/// data part alone.
pub(crate) fn decode_matching<E: From<VaultError>>(
    path: &Path,
    parsed: &Parsed,
    bytes: &[u8],
    master: &Key,
    keep: impl FnMut(&TokenSites<'_>) -> bool,
    pick: impl FnOnce(&[TokenSites<'_>], &VaultData) -> Result<Vec<usize>, E>,
) -> Result<Vec<TokenMeta>, E> {
    let plain = &bytes[parsed.plaintext()];
    let whole: Vec<Full>;
    let Sites { sites, rest } = if is_compact(parsed) {
        Sites::kept(compact_entries(path, plain)?, keep)?
    } else {
        whole = parse_json_index(path, plain)?;
        let views = whole.iter().map(|e| {
            let (sites, rest) = e.parts();
            Ok(compact::View {
                at: e.at,
                sites,
                rest,
            })
        });
        Sites::kept(views, keep)?
    };
    let data = open_data(path, parsed, bytes, master)?;
    let picked = pick(&sites, &data)?;
    picked
        .into_iter()
        .map(|i| match (sites.get(i), rest.get(i)) {
            (Some(s), Some(r)) => Ok(r.meta(s)),
            _ => Err(inconsistent(path).into()),
        })
        .collect()
}

/// A file of the version of `codec` put together from plaintexts as they
/// are, not from a [`VaultData`]: for test vectors and fuzzing, which need
/// files that [`encode`] would never write (an index that lies, a record
/// sealed as another version). Each record is `(token id, version,
/// plaintext)`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn assemble(
    codec: IndexCodec,
    master: &Key,
    id: Uuid,
    generation: u64,
    slots: &[Slot],
    index: &[u8],
    data: &[u8],
    records: &[(Uuid, u64, &[u8])],
) -> Vec<u8> {
    let header = serde_json::to_vec(&HeaderRepr {
        format: FORMAT.into(),
        version: codec.version(),
        id,
        generation,
        write: BASE64.encode(&[0u8; WRITE_LEN]),
        index: (index.len() + SEALED_MIN) as u64,
        data: (data.len() + SEALED_MIN) as u64,
        slots: slots.iter().map(SlotRepr::of).collect(),
    })
    .expect("a header serializes");
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&header);
    out.push(b'\n');
    out.extend_from_slice(header_check(&header).as_bytes());
    out.push(b'\n');
    fn copy(plain: &[u8]) -> impl FnOnce(&mut Vec<u8>) -> io::Result<()> + '_ {
        move |out: &mut Vec<u8>| {
            out.extend_from_slice(plain);
            Ok(())
        }
    }
    seal(&mut out, master, &header, copy(index)).expect("sealing in memory");
    seal(&mut out, master, &data_aad(&header), copy(data)).expect("sealing in memory");
    for (token, version, plain) in records {
        let aad = record_aad(id, *token, *version);
        seal(&mut out, master, aad.as_bytes(), copy(plain)).expect("sealing in memory");
    }
    out
}

#[cfg(test)]
mod tests;
