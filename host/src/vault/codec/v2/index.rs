//! The version-2 index (`docs/vault.md` §3.2; read only, version 3 writes
//! [`super::compact`]): one JSON array, one entry per token in record
//! order. An entry is itself an array, so that no key
//! names are repeated a thousand times:
//!
//! ```text
//! [version, length, id, issuer, account, aws, sites, pinned,
//!  algorithm, digits, kind, kind_value, tags, created, updated]
//! ```
//!
//! `version` and `length` locate and open the token's record; the rest is
//! [`TokenMeta`], the token without its secret. The fields `code` needs come
//! first, so [`Head`] reads six elements of each entry and skips the rest.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, IgnoredAny, SeqAccess, Visitor};
use serde::ser::{SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::token::{Algorithm, AwsContext, Kind, Texts, Token, TokenHead, TokenMeta, TokenSites};

/// Elements in a complete entry.
pub(crate) const ENTRY_LEN: usize = 15;

/// Where a token's record is and which version it must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Locator {
    /// The record version: the generation of the write that sealed it.
    pub(crate) version: u64,
    /// The record's length in bytes (nonce, ciphertext and tag).
    pub(crate) len: u64,
}

/// An entry as written (in either encoding), from the token itself.
pub(crate) struct EntryOut<'a> {
    pub(crate) at: Locator,
    pub(crate) token: &'a Token,
}

impl Serialize for EntryOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = self.token;
        let (kind, kind_value) = kind_parts(&t.kind);
        let mut seq = serializer.serialize_tuple(ENTRY_LEN)?;
        seq.serialize_element(&self.at.version)?;
        seq.serialize_element(&self.at.len)?;
        seq.serialize_element(&t.id)?;
        seq.serialize_element(&t.issuer)?;
        seq.serialize_element(&t.account)?;
        seq.serialize_element(&t.aws)?;
        seq.serialize_element(&t.sites)?;
        seq.serialize_element(&t.pinned)?;
        seq.serialize_element(&t.algorithm)?;
        seq.serialize_element(&t.digits)?;
        seq.serialize_element(kind)?;
        seq.serialize_element(&kind_value)?;
        seq.serialize_element(&t.tags)?;
        seq.serialize_element(&t.created)?;
        seq.serialize_element(&t.updated)?;
        seq.end()
    }
}

/// A kind as the index writes it: its name and its number (the period, the
/// counter, or 0 for Steam).
fn kind_parts(kind: &Kind) -> (&'static str, u64) {
    match kind {
        Kind::Totp { period } => ("totp", *period),
        Kind::Hotp { counter } => ("hotp", *counter),
        Kind::Steam => ("steam", 0),
    }
}

fn kind_of(name: &str, value: u64) -> Result<Kind, String> {
    match (name, value) {
        ("totp", period) => Ok(Kind::Totp { period }),
        ("hotp", counter) => Ok(Kind::Hotp { counter }),
        ("steam", 0) => Ok(Kind::Steam),
        _ => Err(format!("unknown token kind {name:?} {value}")),
    }
}

/// The identity part of an entry: what `factorcat code` resolves a query
/// against. Elements after the sixth are skipped unread.
#[derive(Debug)]
pub(crate) struct Head<'a> {
    pub(crate) at: Locator,
    pub(crate) head: TokenHead<'a>,
}

/// Where an entry's record is and whose it is: all that a look-up by id
/// reads of each entry (a version-3 entry's other fields are skipped
/// unread; a version-2 entry is read as a [`Head`]).
#[derive(Debug, Deserialize)]
#[serde(from = "Head<'static>")]
pub(crate) struct Located {
    pub(crate) at: Locator,
    pub(crate) id: Uuid,
}

impl From<Head<'_>> for Located {
    fn from(h: Head<'_>) -> Located {
        Located {
            at: h.at,
            id: h.head.id,
        }
    }
}

/// A complete entry.
#[derive(Debug)]
pub(crate) struct Full {
    pub(crate) at: Locator,
    pub(crate) meta: TokenMeta,
}

impl Full {
    /// The fields site matching reads, and the rest of the entry, borrowed.
    pub(crate) fn parts(&self) -> (TokenSites<'_>, Rest<'_>) {
        let m = &self.meta;
        let rest = Rest {
            algorithm: m.algorithm,
            digits: m.digits,
            kind: m.kind.clone(),
            tags: Texts::of(&m.tags),
            updated: m.updated,
        };
        (TokenSites::of_meta(m), rest)
    }
}

/// What an entry holds besides the fields site matching reads, borrowed
/// from where it is kept.
#[derive(Debug, Clone)]
pub(crate) struct Rest<'a> {
    pub(crate) algorithm: Algorithm,
    pub(crate) digits: u8,
    pub(crate) kind: Kind,
    pub(crate) tags: Texts<'a>,
    pub(crate) updated: u64,
}

impl Rest<'_> {
    /// The entry's metadata, with its matching fields `s`, copied.
    pub(crate) fn meta(&self, s: &TokenSites) -> TokenMeta {
        TokenMeta {
            id: s.id,
            issuer: s.issuer.to_string(),
            account: s.account.to_string(),
            algorithm: self.algorithm,
            digits: self.digits,
            kind: self.kind.clone(),
            sites: s.sites.to_vec(),
            aws: s.aws.map(|a| a.to_owned()),
            tags: self.tags.to_vec(),
            pinned: s.pinned,
            created: s.created,
            updated: self.updated,
        }
    }
}

/// Reads the next element of an entry, or fails naming how many it has.
fn next<'de, A: SeqAccess<'de>, T: Deserialize<'de>>(
    seq: &mut A,
    at: usize,
) -> Result<T, A::Error> {
    seq.next_element()?
        .ok_or_else(|| de::Error::invalid_length(at, &"an index entry of 15 elements"))
}

struct EntryVisitor<T>(PhantomData<T>);

impl<'de, 'a> Visitor<'de> for EntryVisitor<Head<'a>> {
    type Value = Head<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an index entry")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Head<'a>, A::Error> {
        let at = Locator {
            version: next(&mut seq, 0)?,
            len: next(&mut seq, 1)?,
        };
        let head = TokenHead::with_aws_text(
            next(&mut seq, 2)?,
            next(&mut seq, 3)?,
            next(&mut seq, 4)?,
            next(&mut seq, 5)?,
        );
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Head { at, head })
    }
}

impl<'de> Visitor<'de> for EntryVisitor<Full> {
    type Value = Full;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an index entry")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Full, A::Error> {
        let at = Locator {
            version: next(&mut seq, 0)?,
            len: next(&mut seq, 1)?,
        };
        let id: Uuid = next(&mut seq, 2)?;
        let issuer = next(&mut seq, 3)?;
        let account = next(&mut seq, 4)?;
        let aws: Option<AwsContext> = next(&mut seq, 5)?;
        let sites = next(&mut seq, 6)?;
        let pinned = next(&mut seq, 7)?;
        let algorithm: Algorithm = next(&mut seq, 8)?;
        let digits = next(&mut seq, 9)?;
        let kind_name: &str = next(&mut seq, 10)?;
        let kind_value = next(&mut seq, 11)?;
        let kind = kind_of(kind_name, kind_value).map_err(de::Error::custom)?;
        let meta = TokenMeta {
            id,
            issuer,
            account,
            algorithm,
            digits,
            kind,
            sites,
            aws,
            tags: next(&mut seq, 12)?,
            pinned,
            created: next(&mut seq, 13)?,
            updated: next(&mut seq, 14)?,
        };
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(
                ENTRY_LEN + 1,
                &"an index entry of 15 elements",
            ));
        }
        Ok(Full { at, meta })
    }
}

impl<'de, 'a> Deserialize<'de> for Head<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EntryVisitor::<Head<'a>>(PhantomData))
    }
}

impl<'de> Deserialize<'de> for Full {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(EntryVisitor::<Full>(PhantomData))
    }
}
