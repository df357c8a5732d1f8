//! The version-1 body, as decrypted: a head line (tombstones, fill record,
//! and an index of the tokens' identities), then one JSON record per token
//! (`docs/vault.md` §3.2). Readers decode as little as they need: the whole
//! body ([`decode`]), one record chosen through the index ([`decode_one`]),
//! or the matching fields of every record and the chosen ones in full
//! ([`decode_matching`]).

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::clock::Clocks;
use crate::token::{AwsContext, Kind, Token, TokenHead, TokenSites};
use crate::vault::{Tombstone, VaultData, VaultError};

/// The first line of the body: everything but the token records, plus an
/// index of the tokens' identities in record order (see `docs/vault.md`).
#[derive(Serialize, Deserialize)]
pub(crate) struct BodyHead<I> {
    #[serde(default)]
    tombstones: Vec<Tombstone>,
    #[serde(default)]
    fills: BTreeMap<Uuid, u64>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    machines: BTreeMap<Uuid, u64>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pruned_until: u64,
    /// Left out while empty, so a vault that never measured a clock is
    /// byte for byte what earlier versions wrote.
    #[serde(default, skip_serializing_if = "Clocks::is_empty")]
    clock: Clocks,
    /// The index, or [`SkippedIndex`] when it is not needed.
    pub(crate) index: I,
}

impl<I> BodyHead<I> {
    /// The contents the head holds: everything but the tokens.
    fn into_rest(self) -> VaultData {
        VaultData {
            tokens: Vec::new(),
            tombstones: self.tombstones,
            fills: self.fills,
            machines: self.machines,
            pruned_until: self.pruned_until,
            clock: self.clock,
        }
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Skips the index when the full records are read anyway.
#[derive(Deserialize)]
struct SkippedIndex(serde::de::IgnoredAny);

/// Writes the body: the head line, then one compact JSON token per line.
/// serde_json escapes control characters inside strings, so a record never
/// contains a raw line feed.
pub(crate) fn write_body<W: io::Write>(mut out: W, data: &VaultData) -> io::Result<()> {
    let index: Vec<TokenHead> = data.tokens.iter().map(TokenHead::of).collect();
    let head = BodyHead {
        tombstones: data.tombstones.clone(),
        fills: data.fills.clone(),
        machines: data.machines.clone(),
        pruned_until: data.pruned_until,
        clock: data.clock.clone(),
        index,
    };
    serde_json::to_writer(&mut out, &head)?;
    for token in &data.tokens {
        out.write_all(b"\n")?;
        serde_json::to_writer(&mut out, token)?;
    }
    Ok(())
}

/// Splits the body into its head line and its record lines. The body is
/// checked to be UTF-8 once, as a whole (cheaper than string by string), so
/// records are parsed with `serde_json::from_str`.
pub(crate) fn body_lines(text: &str) -> (&str, impl Iterator<Item = &str>) {
    let head_end = memchr::memchr(b'\n', text.as_bytes()).unwrap_or(text.len());
    let rest = text.get(head_end + 1..).unwrap_or_default();
    let records = memchr::memchr_iter(b'\n', rest.as_bytes())
        .chain(std::iter::once(rest.len()))
        .scan(0, move |start, end| {
            // Line feeds are ASCII, so these are character boundaries.
            let line = rest.get(*start..end).unwrap_or_default();
            *start = end + 1;
            Some(line)
        })
        .filter(|line| !line.is_empty());
    (&text[..head_end], records)
}

/// Parses a whole decrypted body of the vault file `path`.
pub(crate) fn decode(path: &Path, plain: &[u8]) -> Result<VaultData, VaultError> {
    let (head, records) = body_lines(utf8(path, plain)?);
    let head: BodyHead<SkippedIndex> =
        serde_json::from_str(head).map_err(|e| unparsable(path, &e))?;
    let tokens = records
        .map(serde_json::from_str::<Token>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| unparsable(path, &e))?;
    Ok(VaultData {
        tokens,
        ..head.into_rest()
    })
}

/// The one token that `pick` chooses from the index of the decrypted body
/// `plain`, and the rest of the head (a [`VaultData`] without tokens); only
/// the token's record is decoded.
pub(crate) fn decode_one<E: From<VaultError>>(
    path: &Path,
    plain: &[u8],
    pick: impl FnOnce(&[TokenHead<'_>]) -> Result<usize, E>,
) -> Result<(Token, VaultData), E> {
    let (head, mut records) = body_lines(utf8(path, plain)?);
    let head: BodyHead<Vec<TokenHead>> =
        serde_json::from_str(head).map_err(|e| unparsable(path, &e))?;
    let index = pick(&head.index)?;
    let record = records.nth(index).ok_or_else(|| inconsistent(path))?;
    let token: Token = serde_json::from_str(record).map_err(|e| unparsable(path, &e))?;
    if head.index.get(index).map(|h| h.id) != Some(token.id) {
        return Err(inconsistent(path).into());
    }
    Ok((token, head.into_rest()))
}

/// The fields of a record that site matching reads, parsed without the
/// secret or anything else.
#[derive(Deserialize)]
pub(crate) struct LightRecord {
    id: Uuid,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    account: String,
    #[serde(default)]
    sites: Vec<String>,
    #[serde(default)]
    aws: Option<AwsContext>,
    #[serde(default)]
    pinned: bool,
    kind: Kind,
    #[serde(default)]
    created: u64,
}

crate::token::sites_from_fields!(LightRecord);

impl LightRecord {
    /// The fields, borrowed as matching reads them.
    pub(crate) fn sites(&self) -> TokenSites<'_> {
        TokenSites::from(self)
    }
}

/// The tokens at the positions `pick` returns after seeing every record's
/// matching fields ([`TokenSites`], decoded without secrets) and the rest
/// of the contents (a [`VaultData`] without tokens), fully decoded, in
/// `pick`'s order.
pub(crate) fn decode_matching<E: From<VaultError>>(
    path: &Path,
    plain: &[u8],
    pick: impl FnOnce(&[TokenSites<'_>], &VaultData) -> Result<Vec<usize>, E>,
) -> Result<Vec<Token>, E> {
    let (head, records) = body_lines(utf8(path, plain)?);
    let head: BodyHead<SkippedIndex> =
        serde_json::from_str(head).map_err(|e| unparsable(path, &e))?;
    let records: Vec<&str> = records.collect();
    // Sized up front: growing by doubling would touch (and fault in)
    // about twice the memory.
    let mut light = Vec::with_capacity(records.len());
    for record in &records {
        light.push(serde_json::from_str::<LightRecord>(record).map_err(|e| unparsable(path, &e))?);
    }
    let rest = head.into_rest();
    let sites: Vec<TokenSites> = light.iter().map(LightRecord::sites).collect();
    let picked = pick(&sites, &rest)?;
    let mut tokens = Vec::with_capacity(picked.len());
    for index in picked {
        let record = records.get(index).ok_or_else(|| inconsistent(path))?;
        let token: Token = serde_json::from_str(record).map_err(|e| unparsable(path, &e))?;
        if token.id != light[index].id {
            return Err(inconsistent(path).into());
        }
        tokens.push(token);
    }
    Ok(tokens)
}

/// The decrypted body as text.
fn utf8<'t>(path: &Path, plain: &'t [u8]) -> Result<&'t str, VaultError> {
    std::str::from_utf8(plain).map_err(|e| {
        VaultError::corrupt(
            path,
            format!(
                "the decrypted contents are not UTF-8 text (byte {})",
                e.valid_up_to()
            ),
        )
    })
}

/// The error for a body whose index and records disagree.
fn inconsistent(path: &Path) -> VaultError {
    VaultError::corrupt(path, "the token index does not match the token records")
}

/// The error for decrypted contents that do not parse.
fn unparsable(path: &Path, e: &serde_json::Error) -> VaultError {
    // Position only: serde's message could quote a field value.
    VaultError::corrupt(
        path,
        format!(
            "the decrypted contents are not a valid token list (line {}, column {})",
            e.line(),
            e.column()
        ),
    )
}
