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
//! The file: the signature line `factorcat-ledger`, a one-line JSON header
//! (format, version, vault id, a sequence number that rises with every
//! write), then one part sealed with the vault's master key
//! (XChaCha20-Poly1305, a fresh nonce; the associated data is every byte
//! before the nonce, so it binds the header and with it the vault id, and
//! its signature sets it apart from any part of a vault file). The
//! plaintext is binary (§11.1): the fills, then the clock offsets.
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
/// The format version this build reads and writes.
const VERSION: u64 = 1;
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

/// A ledger file as read: its header's sequence number and what it records.
#[derive(Debug, Default)]
pub(crate) struct LedgerFile {
    /// How many writes made it (0: there is no file).
    pub(crate) sequence: u64,
    /// What it records.
    pub(crate) recorded: Recorded,
}

/// The header, field by field in this order.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeaderRepr {
    format: String,
    version: u64,
    vault: Uuid,
    sequence: u64,
}

/// Just enough of a header to tell its version.
#[derive(Deserialize)]
struct ProbeRepr {
    format: Option<String>,
    version: Option<u64>,
}

/// The ledger of vault `vault`, sequence number `sequence`, recording
/// `recorded`, sealed with `master`. Fails only on a clock partition name
/// over 65,535 bytes, which no partition has.
pub(crate) fn encode(
    vault: Uuid,
    sequence: u64,
    master: &Key,
    recorded: &Recorded,
) -> Result<Vec<u8>, String> {
    let plain_len = 8
        + recorded.fills.len() * FILL_BYTES
        + recorded
            .clock
            .keys()
            .map(|name| CLOCK_BYTES + name.len())
            .sum::<usize>();
    let aad = header_lines(vault, sequence)?;
    let mut out = Vec::with_capacity(aad.len() + NONCE_LEN + plain_len + TAG_LEN);
    out.extend_from_slice(&aad);
    seal(&mut out, master, &aad, |out| {
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
    })?;
    Ok(out)
}

/// The signature and header lines of write `sequence` of the ledger of
/// vault `vault`: what the sealed part's associated data is.
fn header_lines(vault: Uuid, sequence: u64) -> Result<Vec<u8>, String> {
    let header = serde_json::to_vec(&HeaderRepr {
        format: FORMAT.into(),
        version: VERSION,
        vault,
        sequence,
    })
    .map_err(|e| e.to_string())?;
    let mut lines = Vec::with_capacity(MAGIC.len() + header.len() + 1);
    lines.extend_from_slice(MAGIC);
    lines.extend_from_slice(&header);
    lines.push(b'\n');
    Ok(lines)
}

/// A ledger of vault `vault`, write `sequence`, whose sealed part holds
/// `plain` as it is, whatever it says: for the fuzz target, which needs
/// plaintexts that [`encode`] would never write.
pub(crate) fn seal_plaintext(vault: Uuid, sequence: u64, master: &Key, plain: &[u8]) -> Vec<u8> {
    let aad = header_lines(vault, sequence).unwrap_or_default();
    let mut out = Vec::with_capacity(aad.len() + NONCE_LEN + plain.len() + TAG_LEN);
    out.extend_from_slice(&aad);
    let sealed = seal(&mut out, master, &aad, |out| {
        out.extend_from_slice(plain);
        Ok(())
    });
    debug_assert!(sealed.is_ok(), "sealing in memory does not fail");
    out
}

/// The header of the ledger `bytes` of vault `vault`, read from the file
/// `path`, and where its sealed part starts; nothing is decrypted.
fn parse_header(path: &Path, bytes: &[u8], vault: Uuid) -> Result<(u64, usize), VaultError> {
    let unusable = |reason: String| VaultError::ledger(path, reason);
    let rest = bytes
        .strip_prefix(MAGIC)
        .ok_or_else(|| unusable("it does not start with the FactorCat ledger signature".into()))?;
    let window = &rest[..rest.len().min(MAX_HEADER_BYTES + 1)];
    let header_len = window
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| unusable("its header line is unterminated or too long".into()))?;
    let header = &rest[..header_len];
    let probe: ProbeRepr = serde_json::from_slice(header)
        .map_err(|e| unusable(format!("its header is not valid (column {})", e.column())))?;
    if probe.format.as_deref() != Some(FORMAT) {
        return Err(unusable(format!("its header's format is not {FORMAT:?}")));
    }
    match probe.version {
        Some(VERSION) => {}
        Some(found) => {
            return Err(unusable(format!(
                "it has format version {found}, but this FactorCat reads version {VERSION} (upgrade FactorCat to keep it)"
            )));
        }
        None => return Err(unusable("its header has no integer version".into())),
    }
    let repr: HeaderRepr = serde_json::from_slice(header)
        .map_err(|e| unusable(format!("its header is not valid (column {})", e.column())))?;
    if repr.vault != vault {
        return Err(unusable(format!(
            "it belongs to another vault (id {}), not to this one (id {vault})",
            repr.vault
        )));
    }
    Ok((repr.sequence, MAGIC.len() + header_len + 1))
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
    let (sequence, sealed_at) = parse_header(path, bytes, vault)?;
    let (aad, sealed) = bytes.split_at(sealed_at);
    if sealed.len() < NONCE_LEN + TAG_LEN {
        return Err(unusable("it is cut short"));
    }
    let plain = open(master, sealed, aad).ok_or_else(|| {
        unusable("it fails authentication (it was altered, damaged or cut short)")
    })?;
    let recorded = parse_plain(&plain).map_err(unusable)?;
    Ok(LedgerFile { sequence, recorded })
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

/// The sequence number in the header of the ledger `bytes`, not
/// authenticated (for tests and tools that watch writes; none decides
/// anything by it).
pub fn sequence_of(bytes: &[u8]) -> Option<u64> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let end = rest
        .iter()
        .take(MAX_HEADER_BYTES + 1)
        .position(|&b| b == b'\n')?;
    let repr: HeaderRepr = serde_json::from_slice(&rest[..end]).ok()?;
    Some(repr.sequence)
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
            assert_eq!(sequence_of(&a), Some(7));
        }
        let bytes = encode(id, 3, &key, &sample()).unwrap();
        assert!(bytes.starts_with(b"factorcat-ledger\n{\"format\":\"factorcat-ledger\""));
        // Two fills and two offsets: 8 + 2 * 24 + (26 + 3) + (26 + 6) bytes.
        let header_end = bytes
            .iter()
            .skip(MAGIC.len())
            .position(|&b| b == b'\n')
            .unwrap();
        let sealed = bytes.len() - (MAGIC.len() + header_end + 1);
        assert_eq!(sealed, NONCE_LEN + 8 + 48 + 29 + 32 + TAG_LEN);
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
    fn every_bit_flip_and_every_cut_is_refused() {
        let (key, id) = (Key::random(), Uuid::new_v4());
        let bytes = encode(id, 5, &key, &sample()).unwrap();
        let path = Path::new("factorcat.ledger");
        for at in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[at] ^= 1 << bit;
                // A flip that leaves the header's meaning as it was (the
                // case of a JSON escape, say) could still open; none does.
                let read = decode(path, &damaged, id, &key);
                assert!(read.is_err(), "flip of bit {bit} at byte {at} accepted");
                assert_eq!(
                    code_of(read.unwrap_err()),
                    crate::error::ErrorCode::LedgerUnusable
                );
            }
        }
        for len in 0..bytes.len() {
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
        let header =
            format!(r#"{{"format":"factorcat-ledger","version":2,"vault":"{id}","sequence":1}}"#);
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(b"\n");
        bytes.extend_from_slice(&[0; 64]);
        let e = decode(Path::new("l"), &bytes, id, &key)
            .unwrap_err()
            .to_string();
        assert!(e.contains("version 2") && e.contains("upgrade"), "{e}");
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
