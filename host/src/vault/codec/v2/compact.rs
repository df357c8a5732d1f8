//! The version-3 index (`docs/vault.md` §3.2): the entries of the
//! version-2 index ([`super::index`]), field for field in the same order,
//! in a compact binary encoding instead of JSON, so that reading it is a
//! walk over lengths rather than a tokenizer's scan.
//!
//! ```text
//! index    = count entry{count}
//! entry    = varint(length of body) body
//! body     = version length id issuer account aws sites pinned
//!            algorithm digits kind kind_value tags created updated
//! ```
//!
//! Integers are unsigned LEB128 varints (at most 10 bytes, shortest form
//! only), ids 16 raw bytes, strings a varint byte length and UTF-8, lists a
//! varint count and their elements, options and flags one byte 0 or 1, and
//! enumerations one byte from a fixed table; anything else is refused.
//! Each entry carries its length, so [`Head`] reads the first fields of an
//! entry and skips the rest unread.

use std::borrow::Cow;
use std::io::{self, Write};

use uuid::Uuid;

use super::Measure;
use super::index::{EntryOut, Full, Head, Located, Locator, Rest};
use crate::token::{Algorithm, AwsContext, AwsView, Kind, Partition, Texts, TokenHead, TokenSites};

/// Fewest bytes an entry takes with its length: a one-byte length, then
/// one byte per field but the id's sixteen.
const MIN_ENTRY: usize = 1 + 14 + 16;
/// Most bytes of a varint (64 bits, 7 a byte).
const MAX_VARINT: usize = 10;

/// Where and why an index does not decode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// The offset in the index plaintext of the field that is wrong.
    pub(crate) at: usize,
    /// What is wrong with it.
    pub(crate) what: &'static str,
}

/// A reader of the index plaintext, or of one entry in it.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Where `bytes` starts in the index plaintext (for error offsets).
    base: usize,
}

type Read<T> = Result<T, Malformed>;

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Reader<'a> {
        Reader {
            bytes,
            pos: 0,
            base,
        }
    }

    fn fail<T>(&self, at: usize, what: &'static str) -> Read<T> {
        Err(Malformed {
            at: self.base + at,
            what,
        })
    }

    fn left(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn byte(&mut self) -> Read<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => self.fail(self.pos, "it ends inside a field"),
        }
    }

    fn varint(&mut self) -> Read<u64> {
        let start = self.pos;
        let mut value = 0u64;
        for i in 0..MAX_VARINT {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if i == MAX_VARINT - 1 && b > 1 {
                return self.fail(start, "an integer is larger than 64 bits");
            }
            value |= bits << (7 * i);
            if b & 0x80 == 0 {
                if b == 0 && i > 0 {
                    return self.fail(start, "an integer is not in its shortest form");
                }
                return Ok(value);
            }
        }
        self.fail(start, "an integer is larger than 64 bits")
    }

    /// A count of things that take at least `each` bytes apiece, which the
    /// rest of the input must have room for.
    fn count(&mut self, each: usize) -> Read<usize> {
        let start = self.pos;
        let n = self.varint()?;
        if n > (self.left() / each) as u64 {
            return self.fail(start, "a count is larger than what follows");
        }
        Ok(n as usize)
    }

    fn take(&mut self, len: usize) -> Read<&'a [u8]> {
        if len > self.left() {
            return self.fail(self.pos, "a field runs past its end");
        }
        let out = &self.bytes[self.pos..self.pos + len];
        self.pos += len;
        Ok(out)
    }

    fn str(&mut self) -> Read<&'a str> {
        let len = self.count(1)?;
        let start = self.pos;
        let bytes = self.take(len)?;
        std::str::from_utf8(bytes).or_else(|_| self.fail(start, "a text is not UTF-8"))
    }

    /// A list of texts, checked and kept where it is.
    fn texts(&mut self) -> Read<Texts<'a>> {
        let n = self.count(1)?;
        let start = self.pos;
        for _ in 0..n {
            self.str()?;
        }
        Ok(Texts::encoded(n, &self.bytes[start..self.pos], next_text))
    }

    fn flag(&mut self) -> Read<bool> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => self.fail(self.pos - 1, "a flag is neither 0 nor 1"),
        }
    }

    fn option<T>(&mut self, read: impl FnOnce(&mut Self) -> Read<T>) -> Read<Option<T>> {
        if self.flag()? {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// One byte that must be an index into `table`.
    fn choice<T: Copy>(&mut self, table: &[T], what: &'static str) -> Read<T> {
        let b = self.byte()?;
        match table.get(usize::from(b)) {
            Some(&t) => Ok(t),
            None => self.fail(self.pos - 1, what),
        }
    }

    fn id(&mut self) -> Read<Uuid> {
        let bytes = self.take(16)?;
        let mut id = [0u8; 16];
        id.copy_from_slice(bytes);
        Ok(Uuid::from_bytes(id))
    }

    fn locator(&mut self) -> Read<Locator> {
        Ok(Locator {
            version: self.varint()?,
            len: self.varint()?,
        })
    }

    /// The fields of an AWS context, after its option byte.
    fn aws_fields(&mut self) -> Read<AwsView<'a>> {
        Ok(AwsView {
            account_id: self.option(Self::str)?,
            account_alias: self.option(Self::str)?,
            user: self.option(Self::str)?,
            partition: self.choice(&PARTITIONS, "an unknown AWS partition")?,
            sso_start_url: self.option(Self::str)?,
            sso_directory: self.option(Self::str)?,
            mfa_serial: self.option(Self::str)?,
        })
    }

    /// The bytes of an AWS context's fields (none without a context),
    /// passed over: their lengths are followed, their text not checked.
    fn aws_bytes(&mut self) -> Read<Option<&'a [u8]>> {
        if !self.flag()? {
            return Ok(None);
        }
        let start = self.pos;
        let text = |r: &mut Self| -> Read<()> {
            if r.flag()? {
                let len = r.count(1)?;
                r.take(len)?;
            }
            Ok(())
        };
        for _ in 0..3 {
            text(self)?;
        }
        self.byte()?;
        for _ in 0..3 {
            text(self)?;
        }
        Ok(Some(&self.bytes[start..self.pos]))
    }

    fn end(&self) -> Read<()> {
        if self.left() == 0 {
            Ok(())
        } else {
            self.fail(self.pos, "bytes follow the last field")
        }
    }
}

/// The partitions by their number in an entry.
const PARTITIONS: [Partition; 4] = [
    Partition::Aws,
    Partition::AwsUsGov,
    Partition::AwsCn,
    Partition::AwsEusc,
];
/// The algorithms by their number in an entry.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
/// The kinds' numbers in an entry.
const TOTP: u8 = 0;
const HOTP: u8 = 1;
const STEAM: u8 = 2;

/// The number of `value` in `table` (every value has one).
fn number<T: PartialEq>(table: &[T], value: &T) -> u8 {
    table.iter().position(|t| t == value).unwrap_or_default() as u8
}

/// An index entry as some reader needs it, decoded from the entry's bytes
/// (which it may borrow).
pub(crate) trait Decode<'a>: Sized {
    /// Reads the entry from `r`, which holds exactly its body.
    fn decode(r: &mut Reader<'a>) -> Read<Self>;
}

/// The next text of a list that [`Reader::texts`] checked: its length,
/// then its bytes (a list that was not checked reads as empty texts).
fn next_text<'b>(bytes: &mut &'b [u8]) -> &'b str {
    let mut r = Reader::new(bytes, 0);
    let text = r.str().unwrap_or_default();
    *bytes = &bytes[r.pos..];
    text
}

/// An AWS context from the bytes of its fields (see [`Reader::aws_bytes`]);
/// bytes that are not one count as none, as a head's JSON text does.
fn aws_of(bytes: &[u8]) -> Option<AwsContext> {
    let mut r = Reader::new(bytes, 0);
    let aws = r.aws_fields().ok()?;
    r.end().ok().map(|()| aws.to_owned())
}

impl<'a> Decode<'a> for Head<'a> {
    /// The first six fields, their texts borrowed; the rest is not looked
    /// at. The AWS context is kept as its bytes, decoded when first asked
    /// for: finding a token by name never needs it.
    fn decode(r: &mut Reader<'a>) -> Read<Head<'a>> {
        let at = r.locator()?;
        let (id, issuer, account) = (r.id()?, r.str()?, r.str()?);
        let aws = r.aws_bytes()?.map(Cow::Borrowed);
        let head = TokenHead::with_stored_aws(id, issuer.into(), account.into(), aws, aws_of);
        Ok(Head { at, head })
    }
}

impl Decode<'_> for Located {
    /// The record's place and the id; the rest is not looked at.
    fn decode(r: &mut Reader<'_>) -> Read<Located> {
        let at = r.locator()?;
        let id = r.id()?;
        Ok(Located { at, id })
    }
}

/// A whole entry, borrowed from the index plaintext: the fields site
/// matching reads, and the rest.
pub(crate) struct View<'a> {
    pub(crate) at: Locator,
    pub(crate) sites: TokenSites<'a>,
    pub(crate) rest: Rest<'a>,
}

impl<'a> Decode<'a> for View<'a> {
    fn decode(r: &mut Reader<'a>) -> Read<View<'a>> {
        let at = r.locator()?;
        let id = r.id()?;
        let issuer = r.str()?;
        let account = r.str()?;
        let aws = r.option(Reader::aws_fields)?;
        let sites = r.texts()?;
        let pinned = r.flag()?;
        let algorithm = r.choice(&ALGORITHMS, "an unknown algorithm")?;
        let digits = r.byte()?;
        let kind_at = r.pos;
        let kind = match (r.byte()?, r.varint()?) {
            (TOTP, period) => Kind::Totp { period },
            (HOTP, counter) => Kind::Hotp { counter },
            (STEAM, 0) => Kind::Steam,
            _ => return r.fail(kind_at, "an unknown token kind"),
        };
        let tags = r.texts()?;
        let created = r.varint()?;
        let updated = r.varint()?;
        r.end()?;
        let sites = TokenSites {
            id,
            issuer,
            account,
            sites,
            aws,
            pinned,
            period: kind.period(),
            created,
        };
        let rest = Rest {
            algorithm,
            digits,
            kind,
            tags,
            updated,
        };
        Ok(View { at, sites, rest })
    }
}

impl Decode<'_> for Full {
    fn decode(r: &mut Reader<'_>) -> Read<Full> {
        let View { at, sites, rest } = View::decode(r)?;
        Ok(Full {
            at,
            meta: rest.meta(&sites),
        })
    }
}

/// Decodes every entry of the index plaintext `plain` as `T`.
pub(crate) fn decode_index<'a, T: Decode<'a>>(plain: &'a [u8]) -> Read<Vec<T>> {
    let entries = Entries::new(plain)?;
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries {
        out.push(entry?);
    }
    Ok(out)
}

/// The entries of an index plaintext, decoded one at a time as `T`, in
/// index order: a reader that keeps only some of them never holds the
/// others. After the last entry, bytes that follow it are an error; after
/// an error, nothing more is decoded.
pub(crate) struct Entries<'a, T> {
    r: Reader<'a>,
    left: usize,
    failed: bool,
    decoded: std::marker::PhantomData<T>,
}

impl<'a, T: Decode<'a>> Entries<'a, T> {
    /// The entries of `plain`, whose count is read (and checked against
    /// its length) here.
    pub(crate) fn new(plain: &'a [u8]) -> Read<Entries<'a, T>> {
        let mut r = Reader::new(plain, 0);
        let left = r.count(MIN_ENTRY)?;
        Ok(Entries {
            r,
            left,
            failed: false,
            decoded: std::marker::PhantomData,
        })
    }

    /// How many entries are left.
    pub(crate) fn len(&self) -> usize {
        self.left
    }

    fn next_entry(&mut self) -> Read<T> {
        let r = &mut self.r;
        let len = r.count(1)?;
        let base = r.pos;
        let body = r.take(len)?;
        let entry = T::decode(&mut Reader::new(body, base))?;
        if self.left == 1 {
            r.end()?;
        }
        Ok(entry)
    }
}

impl<'a, T: Decode<'a>> Iterator for Entries<'a, T> {
    type Item = Read<T>;

    fn next(&mut self) -> Option<Read<T>> {
        if self.failed {
            return None;
        }
        if self.left == 0 {
            // An index of no entries: nothing may follow its count.
            self.failed = true;
            return self.r.end().err().map(Err);
        }
        let entry = self.next_entry();
        self.left -= 1;
        self.failed = entry.is_err() || self.left == 0;
        Some(entry)
    }
}

fn put_varint(out: &mut impl Write, mut value: u64) -> io::Result<()> {
    let mut buf = [0u8; MAX_VARINT];
    let mut n = 0;
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            buf[n] = low;
            n += 1;
            break;
        }
        buf[n] = low | 0x80;
        n += 1;
    }
    out.write_all(&buf[..n])
}

fn put_str(out: &mut impl Write, text: &str) -> io::Result<()> {
    put_varint(out, text.len() as u64)?;
    out.write_all(text.as_bytes())
}

fn put_strings(out: &mut impl Write, list: &[String]) -> io::Result<()> {
    put_varint(out, list.len() as u64)?;
    list.iter().try_for_each(|s| put_str(out, s))
}

fn put_option_str(out: &mut impl Write, text: Option<&str>) -> io::Result<()> {
    match text {
        Some(text) => {
            out.write_all(&[1])?;
            put_str(out, text)
        }
        None => out.write_all(&[0]),
    }
}

fn put_aws(out: &mut impl Write, aws: Option<&AwsContext>) -> io::Result<()> {
    let Some(aws) = aws else {
        return out.write_all(&[0]);
    };
    out.write_all(&[1])?;
    put_option_str(out, aws.account_id.as_deref())?;
    put_option_str(out, aws.account_alias.as_deref())?;
    put_option_str(out, aws.user.as_deref())?;
    out.write_all(&[number(&PARTITIONS, &aws.partition)])?;
    put_option_str(out, aws.sso_start_url.as_deref())?;
    put_option_str(out, aws.sso_directory.as_deref())?;
    put_option_str(out, aws.mfa_serial.as_deref())
}

/// Writes the body of one entry (without its length).
fn put_body(out: &mut impl Write, entry: &EntryOut) -> io::Result<()> {
    let t = entry.token;
    put_varint(out, entry.at.version)?;
    put_varint(out, entry.at.len)?;
    out.write_all(t.id.as_bytes())?;
    put_str(out, &t.issuer)?;
    put_str(out, &t.account)?;
    put_aws(out, t.aws.as_ref())?;
    put_strings(out, &t.sites)?;
    out.write_all(&[
        u8::from(t.pinned),
        number(&ALGORITHMS, &t.algorithm),
        t.digits,
    ])?;
    let (kind, value) = match t.kind {
        Kind::Totp { period } => (TOTP, period),
        Kind::Hotp { counter } => (HOTP, counter),
        Kind::Steam => (STEAM, 0),
    };
    out.write_all(&[kind])?;
    put_varint(out, value)?;
    put_strings(out, &t.tags)?;
    put_varint(out, t.created)?;
    put_varint(out, t.updated)
}

/// Writes the index of `entries`, in their order.
pub(crate) fn write_index(out: &mut impl Write, entries: &[EntryOut]) -> io::Result<()> {
    put_varint(out, entries.len() as u64)?;
    for entry in entries {
        let mut len = Measure(0);
        put_body(&mut len, entry)?;
        put_varint(out, len.0 as u64)?;
        put_body(out, entry)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint_of(bytes: &[u8]) -> Read<u64> {
        let mut r = Reader::new(bytes, 0);
        let v = r.varint()?;
        r.end()?;
        Ok(v)
    }

    #[test]
    fn varints_round_trip_and_only_the_shortest_form_reads() {
        for value in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_varint(&mut out, value).unwrap();
            assert_eq!(varint_of(&out), Ok(value), "{value}");
        }
        let refused = |bytes: &[u8]| varint_of(bytes).unwrap_err().what;
        assert_eq!(
            refused(&[0x80, 0x00]),
            "an integer is not in its shortest form"
        );
        assert_eq!(refused(&[0xff; 9]), "it ends inside a field");
        let mut too_big = vec![0xff; 9];
        too_big.push(0x02);
        assert_eq!(refused(&too_big), "an integer is larger than 64 bits");
        assert_eq!(refused(&[0xff; 11]), "an integer is larger than 64 bits");
    }

    #[test]
    fn a_count_larger_than_its_input_is_refused_before_allocating() {
        // 2^62 entries announced in a handful of bytes.
        let mut plain = Vec::new();
        put_varint(&mut plain, 1 << 62).unwrap();
        let e = decode_index::<Full>(&plain).unwrap_err();
        assert_eq!((e.at, e.what), (0, "a count is larger than what follows"));
    }
}
