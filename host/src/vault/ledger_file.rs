//! The ledger file, `factorcat.ledger` beside the vault (`docs/vault.md`
//! §11): where the changes that come most often — a fill's time step, a
//! fresh code's, a clock offset the browser measured — are recorded, so that
//! recording one never rewrites the vault file.
//!
//! It holds what the vault file's data part does not hold yet: per token a
//! later time step handed out, per AWS partition a later clock offset. Every
//! reader combines it with the data part by the rules of merging (per token
//! the later step, per partition the later measurement:
//! [`VaultData::take_recorded`]), and every write of the whole vault folds it
//! in and then removes it.
//!
//! The file: the signature line `factorcat-ledger` and a one-line JSON
//! header (format, version, vault id, slot size) in a first page of 4 KiB,
//! then two slots of that size. A write puts the ledger in the slot that
//! does not hold the newest, in place, and syncs that file's data: a write
//! cut off by a crash or power loss spoils only its own slot, and the
//! reader takes the other one. Each slot holds a sequence number (rising
//! with every write) and one part sealed with the vault's master key
//! (XChaCha20-Poly1305, a fresh nonce; the associated data is the
//! signature and header lines and the slot's sequence number and length,
//! so it binds the vault id, and its signature sets it apart from any part
//! of a vault file). The plaintext is binary (§11.1): the fills, then the
//! clock offsets. A new file, or one whose slot the ledger outgrew, is
//! written whole, by rename. Version 1 (one sealed part after the header,
//! every write by rename) is still read.
//!
//! Like the vault, a ledger that cannot be read is never written over: it
//! is refused with [`VaultError::LedgerUnusable`], which says to move it
//! away.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::codec::v2::{open, seal};
use super::slot::{NONCE_LEN, TAG_LEN};
use super::{VaultData, VaultError, merge};
use crate::clock::{ClockOffset, Clocks};
use crate::keystore::Key;

/// Name of the ledger file inside the vault directory.
pub const LEDGER_FILE_NAME: &str = "factorcat.ledger";
/// The first line of every ledger file.
const MAGIC: &[u8] = b"factorcat-ledger\n";
/// The header's `format` value.
const FORMAT: &str = "factorcat-ledger";
/// The format version this build writes (and reads): two slots written in
/// place.
const VERSION: u64 = 2;
/// The version before: one sealed part after the header, every write by
/// rename. Still read; the next write replaces it with a version-2 file.
const VERSION_WHOLE: u64 = 1;
/// Bytes of the header's page, and the unit slots are sized in: slots
/// never share a page with each other or with the header.
const PAGE: usize = 4096;
/// Bytes of a slot before its sealed part: the sequence number and the
/// sealed part's length.
const SLOT_HEAD: usize = 8 + 4;
/// Largest slot: a file of two within [`MAX_LEDGER_BYTES`] (the steps of
/// 170,000 tokens; a vault holds far fewer).
const MAX_SLOT: usize = (MAX_LEDGER_BYTES as usize - PAGE) / 2 / PAGE * PAGE;
/// Longest header line accepted, in bytes.
const MAX_HEADER_BYTES: usize = 1024;
/// Largest ledger file accepted, in bytes (a step for each of 300,000
/// tokens; a vault holds far fewer).
pub(crate) const MAX_LEDGER_BYTES: u64 = 8 << 20;
/// Bytes of one fill entry: a token id and a step.
const FILL_BYTES: usize = 16 + 8;
/// Bytes of one clock entry besides its name: the name's length, the offset,
/// its error and when it was measured.
const CLOCK_BYTES: usize = 2 + 8 + 8 + 8;

/// What a ledger records: the same members as [`VaultData::fills`] and
/// [`VaultData::clock`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// Per token, the last time step handed out.
    pub(crate) fills: BTreeMap<Uuid, u64>,
    /// Per AWS partition, the offset of AWS's clock measured last.
    pub(crate) clock: Clocks,
}

impl Recorded {
    /// What `after` holds beyond `before`, as a ledger beside a vault file
    /// holding `before`: the steps and offsets that are new or later (by
    /// the rules of merging), so that `before` combined with the result
    /// gives `after`'s. `None` when no ledger can say it: `after` lacks a
    /// step or offset of `before`, or has an earlier one.
    pub(crate) fn beyond(before: &VaultData, after: &VaultData) -> Option<Recorded> {
        let mut recorded = Recorded::default();
        for (id, old) in &before.fills {
            if after.fills.get(id).is_none_or(|new| new < old) {
                return None;
            }
        }
        for (id, step) in &after.fills {
            if before.fills.get(id) != Some(step) {
                recorded.fills.insert(*id, *step);
            }
        }
        for (partition, old) in &before.clock {
            match after.clock.get(partition) {
                Some(new) if new == old || merge::is_later(new, old) => {}
                _ => return None,
            }
        }
        for (partition, offset) in &after.clock {
            if before.clock.get(partition) != Some(offset) {
                recorded.clock.insert(partition.clone(), *offset);
            }
        }
        Some(recorded)
    }

    /// Whether it records nothing.
    pub(crate) fn is_empty(&self) -> bool {
        self.fills.is_empty() && self.clock.is_empty()
    }
}

/// A ledger file as read: its sequence number and what it records.
#[derive(Debug, Default)]
pub(crate) struct LedgerFile {
    /// How many writes made it (0: there is no file).
    pub(crate) sequence: u64,
    /// What it records.
    pub(crate) recorded: Recorded,
    /// Its slots, for a version-2 file: where the next write goes.
    pub(crate) slots: Option<Slots>,
}

/// The slots of a version-2 ledger file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Slots {
    /// Bytes of each slot.
    pub(crate) size: usize,
    /// The slot (0 or 1) that holds what was read: the next write goes to
    /// the other.
    pub(crate) newest: usize,
}

impl Slots {
    /// Where the next write goes in the file: the other slot's offset.
    pub(crate) fn next_offset(&self) -> u64 {
        (PAGE + (1 - self.newest) * self.size) as u64
    }
}

/// A version-1 header, field by field in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WholeHeaderRepr {
    format: String,
    version: u64,
    vault: Uuid,
    sequence: u64,
}

/// A version-2 header, field by field in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderRepr {
    format: String,
    version: u64,
    vault: Uuid,
    slot: u64,
}

/// Just enough of a header to tell its version.
#[derive(Deserialize)]
struct ProbeRepr {
    format: Option<String>,
    version: Option<u64>,
}

/// A new ledger file of vault `vault`: write `sequence`, recording
/// `recorded`, sealed with `master`, in its first slot; the second is
/// empty. Slots are sized with room to grow (twice what is written, in
/// whole pages). Fails only on a clock partition name over 65,535 bytes,
/// which no partition has.
pub(crate) fn encode(
    vault: Uuid,
    sequence: u64,
    master: &Key,
    recorded: &Recorded,
) -> Result<Vec<u8>, String> {
    let need = SLOT_HEAD + NONCE_LEN + plain_len(recorded) + TAG_LEN;
    let pages = |n: usize| n.div_ceil(PAGE) * PAGE;
    let size = pages(2 * need).min(MAX_SLOT).max(pages(need));
    let lines = header_lines(vault, size)?;
    let mut out = Vec::with_capacity(PAGE + 2 * size);
    out.extend_from_slice(&lines);
    out.resize(PAGE, 0);
    out.extend_from_slice(
        &encode_slot(&lines, size, sequence, master, recorded)?.unwrap_or_default(),
    );
    out.resize(PAGE + 2 * size, 0);
    Ok(out)
}

/// What write `sequence` puts in a slot of the version-2 ledger of vault
/// `vault` whose slots are `size` bytes: the sequence number, the sealed
/// part's length and the sealed part (the rest of the slot is left as it
/// is). `None` when it does not fit: the file is then written anew
/// ([`encode`]).
pub(crate) fn encode_in_slot(
    vault: Uuid,
    size: usize,
    sequence: u64,
    master: &Key,
    recorded: &Recorded,
) -> Result<Option<Vec<u8>>, String> {
    encode_slot(
        &header_lines(vault, size)?,
        size,
        sequence,
        master,
        recorded,
    )
}

/// The bytes of a plaintext recording `recorded` (§11.1).
pub(crate) fn plain_len(recorded: &Recorded) -> usize {
    8 + recorded.fills.len() * FILL_BYTES
        + recorded
            .clock
            .keys()
            .map(|name| CLOCK_BYTES + name.len())
            .sum::<usize>()
}

/// A slot's contents under the header `lines`, `None` when they do not
/// fit in `size` bytes.
fn encode_slot(
    lines: &[u8],
    size: usize,
    sequence: u64,
    master: &Key,
    recorded: &Recorded,
) -> Result<Option<Vec<u8>>, String> {
    let sealed_len = NONCE_LEN + plain_len(recorded) + TAG_LEN;
    if SLOT_HEAD + sealed_len > size {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(SLOT_HEAD + sealed_len);
    out.extend_from_slice(&sequence.to_le_bytes());
    out.extend_from_slice(&(sealed_len as u32).to_le_bytes());
    let aad = slot_aad(lines, &out);
    seal(&mut out, master, &aad, |out| write_plain(out, recorded))?;
    debug_assert_eq!(out.len(), SLOT_HEAD + sealed_len);
    Ok(Some(out))
}

/// Appends the plaintext of §11.1 recording `recorded` to `out`.
fn write_plain(out: &mut Vec<u8>, recorded: &Recorded) -> io::Result<()> {
    out.extend_from_slice(&(recorded.fills.len() as u32).to_le_bytes());
    for (id, step) in &recorded.fills {
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(&step.to_le_bytes());
    }
    out.extend_from_slice(&(recorded.clock.len() as u32).to_le_bytes());
    for (name, offset) in &recorded.clock {
        let len = u16::try_from(name.len()).map_err(|_| {
            io::Error::other(format!("the clock partition name {name:?} is too long"))
        })?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&offset.offset_ms.to_le_bytes());
        out.extend_from_slice(&offset.error_ms.to_le_bytes());
        out.extend_from_slice(&offset.measured.to_le_bytes());
    }
    Ok(())
}

/// The associated data of a slot's sealed part: the signature and header
/// `lines`, then the slot's sequence number and length (`head`).
fn slot_aad(lines: &[u8], head: &[u8]) -> Vec<u8> {
    [lines, head].concat()
}

/// The signature and header lines of the ledger of vault `vault` with
/// slots of `size` bytes.
fn header_lines(vault: Uuid, size: usize) -> Result<Vec<u8>, String> {
    let header = serde_json::to_vec(&HeaderRepr {
        format: FORMAT.into(),
        version: VERSION,
        vault,
        slot: size as u64,
    })
    .map_err(|e| e.to_string())?;
    let mut lines = Vec::with_capacity(MAGIC.len() + header.len() + 1);
    lines.extend_from_slice(MAGIC);
    lines.extend_from_slice(&header);
    lines.push(b'\n');
    Ok(lines)
}

/// A ledger of vault `vault`, write `sequence`, whose first slot's sealed
/// part holds `plain` as it is, whatever it says: for the fuzz target,
/// which needs plaintexts that [`encode`] would never write.
pub(crate) fn seal_plaintext(vault: Uuid, sequence: u64, master: &Key, plain: &[u8]) -> Vec<u8> {
    let sealed_len = NONCE_LEN + plain.len() + TAG_LEN;
    let size = (SLOT_HEAD + sealed_len).div_ceil(PAGE) * PAGE;
    let lines = header_lines(vault, size).unwrap_or_default();
    let mut out = lines.clone();
    out.resize(PAGE, 0);
    let head = [
        &sequence.to_le_bytes()[..],
        &(sealed_len as u32).to_le_bytes(),
    ]
    .concat();
    out.extend_from_slice(&head);
    let sealed = seal(&mut out, master, &slot_aad(&lines, &head), |out| {
        out.extend_from_slice(plain);
        Ok(())
    });
    debug_assert!(sealed.is_ok(), "sealing in memory does not fail");
    out.resize(PAGE + 2 * size, 0);
    out
}

/// The header line of the ledger `bytes` of vault `vault`, read from the
/// file `path`, checked for its format and version, and where it ends (its
/// LF included); nothing is decrypted.
fn parse_header(path: &Path, bytes: &[u8], vault: Uuid) -> Result<(Header, usize), VaultError> {
    let unusable = |reason: String| VaultError::ledger(path, reason);
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| unusable("it does not start with the FactorCat ledger signature".into()))?;
    let window = &rest[..rest.len().min(MAX_HEADER_BYTES + 1)];
    let header_len = window
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| unusable("its header line is unterminated or too long".into()))?;
    let line = &rest[..header_len];
    let invalid =
        |e: serde_json::Error| unusable(format!("its header is not valid (column {})", e.column()));
    let probe: ProbeRepr = serde_json::from_slice(line).map_err(invalid)?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(unusable(format!("its header's format is not {FORMAT:?}")));
    }
    let (header, id) = match probe.version {
        Some(VERSION) => {
            let repr: HeaderRepr = serde_json::from_slice(line).map_err(invalid)?;
            (Header::Slots { size: repr.slot }, repr.vault)
        }
        Some(VERSION_WHOLE) => {
            let repr: WholeHeaderRepr = serde_json::from_slice(line).map_err(invalid)?;
            (
                Header::Whole {
                    sequence: repr.sequence,
                },
                repr.vault,
            )
        }
        Some(found) => {
            return Err(unusable(format!(
                "it has format version {found}, but this FactorCat reads versions {VERSION_WHOLE} and {VERSION} (upgrade FactorCat to keep it)"
            )));
        }
        None => return Err(unusable("its header has no integer version".into())),
    };
    if id != vault {
        return Err(unusable(format!(
            "it belongs to another vault (id {id}), not to this one (id {vault})"
        )));
    }
    Ok((header, MAGIC.len() + header_len + 1))
}

/// What a header says besides the format and the vault.
enum Header {
    /// Version 1: the sequence number of its one sealed part.
    Whole { sequence: u64 },
    /// Version 2: the size of its slots.
    Slots { size: u64 },
}

/// Reads the ledger `bytes` of the file `path`, which must belong to vault
/// `vault` and open with its key `master`. Every failure is
/// [`VaultError::LedgerUnusable`].
pub(crate) fn decode(
    path: &Path,
    bytes: &[u8],
    vault: Uuid,
    master: &Key,
) -> Result<LedgerFile, VaultError> {
    let unusable = |reason: &str| VaultError::ledger(path, reason);
    let (header, lines_end) = parse_header(path, bytes, vault)?;
    let size = match header {
        Header::Whole { sequence } => {
            let (aad, sealed) = bytes.split_at(lines_end);
            let recorded = open_part(master, sealed, aad).map_err(unusable)?;
            return Ok(LedgerFile {
                sequence,
                recorded,
                slots: None,
            });
        }
        Header::Slots { size } => size,
    };
    let size = usize::try_from(size)
        .ok()
        .filter(|&s| s >= PAGE && s % PAGE == 0 && s <= MAX_SLOT)
        .ok_or_else(|| {
            unusable("its slot size is not a whole number of 4 KiB pages within the size limit")
        })?;
    if bytes.len() != PAGE + 2 * size {
        return Err(unusable(
            "its length is not that of its header and two slots",
        ));
    }
    if bytes[lines_end..PAGE].iter().any(|&b| b != 0) {
        return Err(unusable("its header page holds bytes after the header"));
    }
    let lines = &bytes[..lines_end];
    let slot = |k: usize| {
        read_slot(
            lines,
            &bytes[PAGE + k * size..PAGE + (k + 1) * size],
            master,
        )
    };
    let newest = match (slot(0), slot(1)) {
        (Slot::Holds(a), Slot::Holds(b)) if a.sequence == b.sequence => {
            return Err(unusable("both of its slots claim the same write"));
        }
        (Slot::Holds(a), Slot::Holds(b)) => {
            if a.sequence > b.sequence {
                (a, 0)
            } else {
                (b, 1)
            }
        }
        // The other slot is empty, or holds a write that was cut off.
        (Slot::Holds(a), _) => (a, 0),
        (_, Slot::Holds(b)) => (b, 1),
        (Slot::Empty, Slot::Empty) => return Err(unusable("both of its slots are empty")),
        (Slot::Spoilt(why), _) | (_, Slot::Spoilt(why)) => return Err(unusable(why)),
    };
    let (mut file, k) = newest;
    file.slots = Some(Slots { size, newest: k });
    Ok(file)
}

/// What a slot holds.
enum Slot {
    /// Nothing: all its bytes are zero.
    Empty,
    /// A write that opens.
    Holds(LedgerFile),
    /// Something that does not open or does not parse, and why.
    Spoilt(&'static str),
}

/// Reads one slot's `bytes` under the signature and header `lines`.
fn read_slot(lines: &[u8], bytes: &[u8], master: &Key) -> Slot {
    let (head, rest) = bytes.split_at(SLOT_HEAD);
    let sequence = u64::from_le_bytes(head[..8].try_into().unwrap_or_default());
    let len = u32::from_le_bytes(head[8..].try_into().unwrap_or_default()) as usize;
    if sequence == 0 {
        return if bytes.iter().all(|&b| b == 0) {
            Slot::Empty
        } else {
            Slot::Spoilt("a slot numbered 0 is not empty")
        };
    }
    let Some(sealed) = rest.get(..len) else {
        return Slot::Spoilt("a slot's sealed part runs past its end");
    };
    match open_part(master, sealed, &slot_aad(lines, head)) {
        Ok(recorded) => Slot::Holds(LedgerFile {
            sequence,
            recorded,
            slots: None,
        }),
        Err(why) => Slot::Spoilt(why),
    }
}

/// Opens a sealed part with associated data `aad` and reads its plaintext.
fn open_part(master: &Key, sealed: &[u8], aad: &[u8]) -> Result<Recorded, &'static str> {
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err("it is cut short");
    }
    let plain = open(master, sealed, aad)
        .ok_or("it fails authentication (it was altered, damaged or cut short)")?;
    parse_plain(&plain)
}

/// Reads the plaintext of §11.1.
fn parse_plain(plain: &[u8]) -> Result<Recorded, &'static str> {
    let mut r = Reader(plain);
    let mut recorded = Recorded::default();
    let fills = r.u32()? as usize;
    if fills > r.0.len() / FILL_BYTES {
        return Err("its record of fills is cut short");
    }
    let mut last = None;
    for _ in 0..fills {
        let id = Uuid::from_bytes(r.take(16)?.try_into().map_err(|_| "bad token id")?);
        let step = r.u64()?;
        if last.is_some_and(|last| last >= id) {
            return Err("its token ids are not in ascending order");
        }
        last = Some(id);
        recorded.fills.insert(id, step);
    }
    let clocks = r.u32()? as usize;
    if clocks > r.0.len() / CLOCK_BYTES {
        return Err("its record of clock offsets is cut short");
    }
    let mut last: Option<String> = None;
    for _ in 0..clocks {
        let len = u16::from_le_bytes(r.take(2)?.try_into().map_err(|_| "bad length")?);
        let name = std::str::from_utf8(r.take(len.into())?)
            .map_err(|_| "a partition name is not UTF-8")?
            .to_owned();
        let offset = ClockOffset {
            offset_ms: r.u64()? as i64,
            error_ms: r.u64()?,
            measured: r.u64()?,
        };
        if last.as_ref().is_some_and(|last| *last >= name) {
            return Err("its partition names are not in ascending order");
        }
        last = Some(name.clone());
        recorded.clock.insert(name, offset);
    }
    if !r.0.is_empty() {
        return Err("it holds bytes after its records");
    }
    Ok(recorded)
}

/// Reads a plaintext from its start.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if n > self.0.len() {
            return Err("its records are cut short");
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, &'static str> {
        let bytes = self.take(4)?;
        Ok(u32::from_le_bytes(
            bytes.try_into().map_err(|_| "bad count")?,
        ))
    }

    fn u64(&mut self) -> Result<u64, &'static str> {
        let bytes = self.take(8)?;
        Ok(u64::from_le_bytes(
            bytes.try_into().map_err(|_| "bad number")?,
        ))
    }
}

/// The sequence number of the ledger `bytes` — of its newest slot, or in
/// a version-1 header — not authenticated (for tests and tools that watch
/// writes; none decides anything by it).
pub fn sequence_of(bytes: &[u8]) -> Option<u64> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let end = rest
        .iter()
        .take(MAX_HEADER_BYTES + 1)
        .position(|&b| b == b'\n')?;
    if let Ok(whole) = serde_json::from_slice::<WholeHeaderRepr>(&rest[..end]) {
        return Some(whole.sequence);
    }
    let size = usize::try_from(
        serde_json::from_slice::<HeaderRepr>(&rest[..end])
            .ok()?
            .slot,
    )
    .ok()?;
    let at = |k: usize| {
        let start = PAGE.checked_add(k.checked_mul(size)?)?;
        Some(u64::from_le_bytes(
            bytes.get(start..start + 8)?.try_into().ok()?,
        ))
    };
    Some(at(0)?.max(at(1).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Recorded {
        let mut r = Recorded::default();
        r.fills.insert(Uuid::from_u128(2), 58_812_345);
        r.fills.insert(Uuid::from_u128(1), u64::MAX);
        r.clock.insert(
            "aws".into(),
            ClockOffset {
                offset_ms: -120_500,
                error_ms: 700,
                measured: 1_765_000_000,
            },
        );
        r.clock.insert(
            "aws-cn".into(),
            ClockOffset {
                offset_ms: i64::MAX,
                error_ms: 0,
                measured: 0,
            },
        );
        r
    }

    fn code_of(e: VaultError) -> crate::error::ErrorCode {
        e.code()
    }

    /// The signature line and the header line `header`.
    fn lines(header: &str) -> Vec<u8> {
        [MAGIC, header.as_bytes(), b"\n"].concat()
    }

    /// The slot size of a version-2 file, and its slot `k`.
    fn slot(bytes: &[u8], k: usize) -> &[u8] {
        let size = (bytes.len() - PAGE) / 2;
        &bytes[PAGE + k * size..PAGE + (k + 1) * size]
    }

    /// `bytes` with write `sequence` recording `recorded` put in place, as
    /// the vault writes it after reading them.
    fn write_next(bytes: &[u8], id: Uuid, key: &Key, recorded: &Recorded) -> Vec<u8> {
        let read = decode(Path::new("l"), bytes, id, key).unwrap();
        let slots = read.slots.unwrap();
        let new = encode_in_slot(id, slots.size, read.sequence + 1, key, recorded)
            .unwrap()
            .expect("room in the slot");
        let mut out = bytes.to_vec();
        let at = slots.next_offset() as usize;
        out[at..at + new.len()].copy_from_slice(&new);
        out
    }

    #[test]
    fn round_trip_with_a_fresh_nonce_each_time() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let path = Path::new("factorcat.ledger");
        for recorded in [Recorded::default(), sample()] {
            let a = encode(id, 7, &key, &recorded).unwrap();
            let b = encode(id, 7, &key, &recorded).unwrap();
            assert_ne!(a, b, "a fresh nonce");
            let read = decode(path, &a, id, &key).unwrap();
            assert_eq!(read.sequence, 7);
            assert_eq!(read.recorded, recorded);
            assert_eq!(
                read.slots,
                Some(Slots {
                    size: PAGE,
                    newest: 0
                })
            );
            assert_eq!(sequence_of(&a), Some(7));
        }
        let bytes = encode(id, 3, &key, &sample()).unwrap();
        assert!(bytes.starts_with(b"factorcat-ledger\n{\"format\":\"factorcat-ledger\""));
        assert_eq!(bytes.len(), 3 * PAGE, "a header page and two slots");
        // Two fills and two offsets: 8 + 2 * 24 + (26 + 3) + (26 + 6) bytes.
        let sealed = u32::from_le_bytes(slot(&bytes, 0)[8..12].try_into().unwrap());
        assert_eq!(sealed as usize, NONCE_LEN + 8 + 48 + 29 + 32 + TAG_LEN);
        assert!(
            slot(&bytes, 1).iter().all(|&b| b == 0),
            "the second is empty"
        );
    }

    #[test]
    fn writes_take_turns_in_the_slots_and_the_newest_is_read() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let path = Path::new("l");
        let mut recorded = sample();
        let mut bytes = encode(id, 1, &key, &recorded).unwrap();
        for sequence in 2..6u64 {
            recorded.fills.insert(Uuid::from_u128(3), sequence);
            let before = bytes.clone();
            bytes = write_next(&bytes, id, &key, &recorded);
            let read = decode(path, &bytes, id, &key).unwrap();
            assert_eq!((read.sequence, &read.recorded), (sequence, &recorded));
            let newest = read.slots.unwrap().newest;
            assert_eq!(newest, (sequence as usize + 1) % 2, "turns");
            assert_eq!(
                slot(&bytes, 1 - newest),
                slot(&before, 1 - newest),
                "the other is kept"
            );
            assert_eq!(sequence_of(&bytes), Some(sequence));
        }
        // A ledger that outgrows its slots is written anew.
        let mut big = Recorded::default();
        for n in 0..200 {
            big.fills.insert(Uuid::from_u128(n), n as u64);
        }
        assert_eq!(encode_in_slot(id, PAGE, 9, &key, &big).unwrap(), None);
        let grown = encode(id, 9, &key, &big).unwrap();
        let read = decode(path, &grown, id, &key).unwrap();
        assert_eq!(read.recorded, big);
        assert!(
            read.slots.unwrap().size >= 2 * (200 * FILL_BYTES),
            "room to grow"
        );
    }

    #[test]
    fn a_large_ledger_stays_within_the_file_limit() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let mut big = Recorded::default();
        for n in 0..120_000u128 {
            big.fills.insert(Uuid::from_u128(n), 1);
        }
        let bytes = encode(id, 1, &key, &big).unwrap();
        assert!(bytes.len() as u64 <= MAX_LEDGER_BYTES, "{}", bytes.len());
        let read = decode(Path::new("l"), &bytes, id, &key).unwrap();
        assert_eq!(read.slots.unwrap().size, MAX_SLOT, "less room to grow");
        assert_eq!(read.recorded.fills.len(), 120_000);
    }

    #[test]
    fn a_write_cut_off_leaves_the_one_before() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let path = Path::new("l");
        let first = encode(id, 1, &key, &sample()).unwrap();
        let mut later = sample();
        later.fills.insert(Uuid::from_u128(7), 7);
        let second = write_next(&first, id, &key, &later);
        let size = (second.len() - PAGE) / 2;
        // Every cut of the second write into slot 1: the first is read.
        let written =
            SLOT_HEAD + u32::from_le_bytes(slot(&second, 1)[8..12].try_into().unwrap()) as usize;
        for cut in 1..written {
            let mut torn = first.clone();
            torn[PAGE + size..PAGE + size + cut]
                .copy_from_slice(&second[PAGE + size..PAGE + size + cut]);
            let read = decode(path, &torn, id, &key).unwrap();
            assert_eq!(
                (read.sequence, &read.recorded),
                (1, &sample()),
                "cut at {cut}"
            );
            assert_eq!(
                read.slots.unwrap().newest,
                0,
                "the next write goes to the cut slot"
            );
        }
        // Both slots spoilt, or both claiming one write: refused.
        let mut both = second.clone();
        both[PAGE + 20] ^= 1;
        both[PAGE + size + 20] ^= 1;
        let e = decode(path, &both, id, &key).unwrap_err().to_string();
        assert!(e.contains("fails authentication"), "{e}");
        let mut twins = second.clone();
        let copy = slot(&first, 0).to_vec();
        twins[PAGE + size..].copy_from_slice(&copy);
        let e = decode(path, &twins, id, &key).unwrap_err().to_string();
        assert!(e.contains("same write"), "{e}");
    }

    #[test]
    fn a_version_1_ledger_is_still_read() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let mut bytes = lines(&format!(
            r#"{{"format":"factorcat-ledger","version":1,"vault":"{id}","sequence":4}}"#
        ));
        let aad = bytes.clone();
        seal(&mut bytes, &key, &aad, |out| write_plain(out, &sample())).unwrap();
        let read = decode(Path::new("l"), &bytes, id, &key).unwrap();
        assert_eq!(
            (read.sequence, read.recorded, read.slots),
            (4, sample(), None)
        );
        assert_eq!(sequence_of(&bytes), Some(4));
        let mut cut = bytes.clone();
        cut.pop();
        assert!(decode(Path::new("l"), &cut, id, &key).is_err());
    }

    #[test]
    fn another_vault_or_key_is_refused() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let bytes = encode(id, 1, &key, &sample()).unwrap();
        let path = Path::new("dir/factorcat.ledger");
        let other = decode(path, &bytes, Uuid::new_v4(), &key).unwrap_err();
        assert_eq!(code_of(other), crate::error::ErrorCode::LedgerUnusable);
        let e = decode(path, &bytes, Uuid::new_v4(), &key)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("another vault") && e.contains(&id.to_string()),
            "{e}"
        );
        assert!(
            e.contains("dir/factorcat.ledger") && e.contains("Move it"),
            "{e}"
        );
        let e = decode(path, &bytes, id, &Key::random())
            .unwrap_err()
            .to_string();
        assert!(e.contains("fails authentication"), "{e}");
    }

    #[test]
    fn every_bit_flip_of_what_is_read_and_every_cut_is_refused() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let bytes = encode(id, 5, &key, &sample()).unwrap();
        let path = Path::new("factorcat.ledger");
        let written = PAGE
            + SLOT_HEAD
            + u32::from_le_bytes(slot(&bytes, 0)[8..12].try_into().unwrap()) as usize;
        for at in 0..bytes.len() {
            // Past the one write: its slot's rest and the empty slot, which
            // a flip makes look like a write cut off. Sampled.
            if at >= written && at % 61 != 0 {
                continue;
            }
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[at] ^= 1 << bit;
                let read = decode(path, &damaged, id, &key);
                if at < written {
                    // A flip that leaves the header's meaning as it was (the
                    // case of a JSON escape, say) could still open; none does.
                    let e = read.expect_err(&format!("flip of bit {bit} at byte {at} accepted"));
                    assert_eq!(code_of(e), crate::error::ErrorCode::LedgerUnusable);
                } else {
                    let read = read.unwrap_or_else(|e| panic!("flip at {at}: {e}"));
                    assert_eq!(
                        (read.sequence, read.recorded),
                        (5, sample()),
                        "flip at {at}"
                    );
                }
            }
        }
        for len in (0..bytes.len()).step_by(7) {
            let read = decode(path, &bytes[..len], id, &key);
            assert!(read.is_err(), "cut to {len} bytes accepted");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(path, &longer, id, &key).is_err());
    }

    #[test]
    fn a_newer_version_says_to_upgrade() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let mut bytes = lines(&format!(
            r#"{{"format":"factorcat-ledger","version":3,"vault":"{id}","slot":4096}}"#
        ));
        bytes.extend_from_slice(&[0; 64]);
        let e = decode(Path::new("l"), &bytes, id, &key)
            .unwrap_err()
            .to_string();
        assert!(e.contains("version 3") && e.contains("upgrade"), "{e}");
    }

    /// Plaintexts sealed as they are: every malformed one is refused
    /// without a panic, whatever its counts claim.
    #[test]
    fn malformed_plaintexts_are_refused() {
        let mut ok = Vec::new();
        ok.extend_from_slice(&1u32.to_le_bytes());
        ok.extend_from_slice(Uuid::from_u128(9).as_bytes());
        ok.extend_from_slice(&5u64.to_le_bytes());
        ok.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(parse_plain(&ok).unwrap().fills[&Uuid::from_u128(9)], 5);
        let mut unsorted = Vec::new();
        unsorted.extend_from_slice(&2u32.to_le_bytes());
        for n in [9u128, 9] {
            unsorted.extend_from_slice(Uuid::from_u128(n).as_bytes());
            unsorted.extend_from_slice(&5u64.to_le_bytes());
        }
        unsorted.extend_from_slice(&0u32.to_le_bytes());
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(&[0; 40]);
        let mut bad_name = 0u32.to_le_bytes().to_vec();
        bad_name.extend_from_slice(&1u32.to_le_bytes());
        bad_name.extend_from_slice(&1u16.to_le_bytes());
        bad_name.push(0xff);
        bad_name.extend_from_slice(&[0; 24]);
        let mut long_name = 0u32.to_le_bytes().to_vec();
        long_name.extend_from_slice(&1u32.to_le_bytes());
        long_name.extend_from_slice(&u16::MAX.to_le_bytes());
        long_name.extend_from_slice(&[b'a'; 30]);
        for (what, plain) in [
            ("empty", Vec::new()),
            ("no clock count", ok[..ok.len() - 4].to_vec()),
            ("trailing byte", [&ok[..], &[0]].concat()),
            ("same id twice", unsorted),
            ("a count past the end", huge),
            ("a name not UTF-8", bad_name),
            ("a name past the end", long_name),
        ] {
            assert!(parse_plain(&plain).is_err(), "{what}");
        }
    }

    #[test]
    fn beyond_keeps_only_what_is_later() {
        let before = VaultData {
            fills: sample().fills,
            clock: sample().clock,
            ..VaultData::default()
        };
        let mut after = before.clone();
        assert!(Recorded::beyond(&before, &after).unwrap().is_empty());
        after.fills.insert(Uuid::from_u128(2), 58_812_346);
        after.fills.insert(Uuid::from_u128(3), 1);
        let newer = ClockOffset {
            offset_ms: 1_000,
            error_ms: 500,
            measured: 1_765_000_100,
        };
        after.clock.insert("aws".into(), newer);
        let r = Recorded::beyond(&before, &after).unwrap();
        assert_eq!(
            r.fills.into_iter().collect::<Vec<_>>(),
            [(Uuid::from_u128(2), 58_812_346), (Uuid::from_u128(3), 1)]
        );
        assert_eq!(
            r.clock.into_iter().collect::<Vec<_>>(),
            [("aws".into(), newer)]
        );
        // What a ledger cannot say: a step gone or back, an older offset.
        let mut back = before.clone();
        back.fills.insert(Uuid::from_u128(2), 1);
        assert_eq!(Recorded::beyond(&before, &back), None);
        let mut gone = before.clone();
        gone.fills.clear();
        assert_eq!(Recorded::beyond(&before, &gone), None);
        let mut older = before.clone();
        older.clock.get_mut("aws").unwrap().measured -= 1;
        assert_eq!(Recorded::beyond(&before, &older), None);
    }
}
