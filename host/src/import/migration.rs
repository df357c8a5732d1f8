//! Google Authenticator's transfer format:
//! `otpauth-migration://offline?data=<base64 protobuf>`.
//!
//! The `data` parameter is a protobuf `MigrationPayload` (schema below, as
//! Aegis and dim13/otpauth document it), base64 in the standard or URL-safe
//! alphabet, with or without padding, usually percent-encoded. One export is
//! split over several QR codes ("batches") that share `batch_id`; each says
//! which part it is (`batch_index`, 0-based) of how many (`batch_size`).
//! [`Batches`] collects the parts and reports every missing one, so that a
//! person who scanned two codes of three is told to scan the third.
//!
//! Field rules:
//! - `secret` is raw key bytes; [`Secret::from_bytes`] applies FactorCat's
//!   length bounds (10–256 bytes), so a shorter key is an entry error.
//! - `name` is often `Issuer:account`; the prefix is removed when it equals
//!   `issuer`, and becomes the issuer when `issuer` is empty.
//! - algorithm `UNSPECIFIED`/`SHA1`/`SHA256`/`SHA512` are read, `MD5` and
//!   unknown values are refused; digits `UNSPECIFIED`/`SIX` are 6, `EIGHT`
//!   is 8; type `UNSPECIFIED`/`TOTP` is TOTP with a 30 s period (the format
//!   has no period field), `HOTP` is HOTP.
//! - **HOTP counter.** Google Authenticator stores the counter of the *last*
//!   code it showed: on "next code" it increments the stored counter first
//!   and then computes the code from the incremented value (its
//!   `OtpProvider.getCurrentCode`), and a freshly added token holds the
//!   URI's initial counter without having shown a code. The exported
//!   `counter` is that stored value, so the next code Google Authenticator
//!   would have shown is `counter + 1`, which is what FactorCat stores as its
//!   *next* counter. Should the export really have meant "next", this skips
//!   one code, which HOTP servers accept (they look ahead); the opposite
//!   choice would reuse a code, which servers refuse.
//! - Issuer and account go through [`otpauth::parse`] (via
//!   [`otpauth::emit`]), so AWS devices get their context exactly as a
//!   scanned `otpauth://` code would, and text rules are the same.

use std::collections::BTreeMap;
use std::fmt;

use data_encoding::BASE64_NOPAD;
use percent_encoding::percent_decode_str;
use prost::Message;
use zeroize::{Zeroize, Zeroizing};

use crate::otpauth;
use crate::secret::Secret;
use crate::token::{Algorithm, Kind, Token};

/// Longest `otpauth-migration://` URI accepted, in bytes. A QR code holds
/// under 3 KiB, so its base64 text is under 4 KiB; 64 KiB leaves room for
/// exports pasted from other tools without letting a line be absurd.
pub(crate) const MAX_MIGRATION_URI_LEN: usize = 64 * 1024;

/// The protobuf message inside `data`.
#[derive(Clone, PartialEq, Message)]
struct MigrationPayload {
    #[prost(message, repeated, tag = "1")]
    otp_parameters: Vec<OtpParameters>,
    #[prost(int32, tag = "2")]
    version: i32,
    #[prost(int32, tag = "3")]
    batch_size: i32,
    #[prost(int32, tag = "4")]
    batch_index: i32,
    #[prost(int32, tag = "5")]
    batch_id: i32,
}

/// One account. Enums are read as plain `int32` (wire-compatible) so that
/// unknown values are seen and refused rather than silently defaulted.
#[derive(Clone, PartialEq, Message)]
#[prost(skip_debug)]
struct OtpParameters {
    #[prost(bytes = "vec", tag = "1")]
    secret: Vec<u8>,
    #[prost(string, tag = "2")]
    name: String,
    #[prost(string, tag = "3")]
    issuer: String,
    #[prost(int32, tag = "4")]
    algorithm: i32,
    #[prost(int32, tag = "5")]
    digits: i32,
    #[prost(int32, tag = "6")]
    otp_type: i32,
    #[prost(uint64, tag = "7")]
    counter: u64,
}

impl fmt::Debug for OtpParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OtpParameters")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Drop for OtpParameters {
    fn drop(&mut self) {
        self.secret.zeroize();
    }
}

/// Why a whole migration URI could not be read. Never carries input text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MigrationError {
    /// Longer than [`MAX_MIGRATION_URI_LEN`].
    #[error(
        "the otpauth-migration link is longer than 64 KiB; it is not a Google Authenticator export"
    )]
    TooLong,
    /// Not `otpauth-migration://offline?…`.
    #[error(
        "the link is not of the form otpauth-migration://offline?data=…; scan the QR code again"
    )]
    Malformed,
    /// No `data` parameter.
    #[error("the otpauth-migration link has no data parameter; scan the QR code again")]
    MissingData,
    /// `data` is not base64.
    #[error(
        "the data of the otpauth-migration link is not valid base64; the link was cut or changed, scan the QR code again"
    )]
    NotBase64,
    /// `data` is not a migration payload.
    #[error(
        "the data of the otpauth-migration link is damaged (not a Google Authenticator payload); scan the QR code again"
    )]
    NotPayload,
    /// Batch numbers that cannot be right.
    #[error(
        "the link says it is part {index} of {size} of an export, which cannot be; scan the QR code again"
    )]
    BadBatch {
        /// 1-based part number as given.
        index: i64,
        /// Parts as given.
        size: i64,
    },
}

/// One account of a payload: a token, or why not (with a label).
pub(crate) type Entry = Result<Token, (Option<String>, String)>;

/// One decoded QR code / URI.
#[derive(Debug)]
pub(crate) struct Part {
    /// Which export it belongs to.
    pub batch_id: i32,
    /// 0-based part number.
    pub batch_index: usize,
    /// Number of parts of the export.
    pub batch_size: usize,
    /// Its accounts in order.
    pub entries: Vec<Entry>,
}

/// Whether `text` starts with the migration scheme (any case).
pub(crate) fn is_migration(text: &str) -> bool {
    let prefix = "otpauth-migration:";
    text.len() >= prefix.len()
        && text.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

/// Decodes one `otpauth-migration://offline?data=…` URI.
pub(crate) fn parse_uri(uri: &str) -> Result<Part, MigrationError> {
    let uri = uri.trim();
    if uri.len() > MAX_MIGRATION_URI_LEN {
        return Err(MigrationError::TooLong);
    }
    if !is_migration(uri) {
        return Err(MigrationError::Malformed);
    }
    let rest = &uri["otpauth-migration:".len()..];
    let rest = rest.strip_prefix("//").ok_or(MigrationError::Malformed)?;
    let (host, query) = rest.split_once('?').ok_or(MigrationError::MissingData)?;
    if !host.trim_end_matches('/').eq_ignore_ascii_case("offline") {
        return Err(MigrationError::Malformed);
    }
    let data = query
        .split('&')
        .find_map(|p| {
            p.split_once('=')
                .filter(|(k, _)| k.eq_ignore_ascii_case("data"))
                .map(|(_, v)| v)
        })
        .filter(|v| !v.is_empty())
        .ok_or(MigrationError::MissingData)?;
    let bytes = decode_base64(data)?;
    let payload =
        MigrationPayload::decode(bytes.as_slice()).map_err(|_| MigrationError::NotPayload)?;
    part_of(payload)
}

/// Percent-decodes, then reads standard or URL-safe base64 with or without
/// padding. A space stands for `+` (a form-decoded link).
fn decode_base64(data: &str) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    let decoded = Zeroizing::new(percent_decode_str(data).collect::<Vec<u8>>());
    let mut normal = Zeroizing::new(Vec::with_capacity(decoded.len()));
    for &b in decoded.iter() {
        match b {
            b' ' | b'-' => normal.push(b'+'),
            b'_' => normal.push(b'/'),
            b'=' | b'\n' | b'\r' => {}
            b => normal.push(b),
        }
    }
    BASE64_NOPAD
        .decode(&normal)
        .map(Zeroizing::new)
        .map_err(|_| MigrationError::NotBase64)
}

fn part_of(mut payload: MigrationPayload) -> Result<Part, MigrationError> {
    // Older exports leave the batch fields unset: a single part.
    let size = i64::from(payload.batch_size).max(1);
    let index = i64::from(payload.batch_index);
    if index < 0 || index >= size || size > 1000 {
        return Err(MigrationError::BadBatch {
            index: index.saturating_add(1),
            size,
        });
    }
    let entries = payload
        .otp_parameters
        .iter_mut()
        .map(entry)
        .collect::<Vec<_>>();
    Ok(Part {
        batch_id: payload.batch_id,
        batch_index: index as usize,
        batch_size: size as usize,
        entries,
    })
}

/// Splits `name` into issuer and account (see the module documentation).
fn names(p: &OtpParameters) -> (String, String) {
    let issuer = p.issuer.trim();
    match p.name.split_once(':') {
        Some((prefix, account)) if issuer.is_empty() => {
            (prefix.trim().to_string(), account.trim().to_string())
        }
        Some((prefix, account)) if prefix.trim() == issuer => {
            (issuer.to_string(), account.trim().to_string())
        }
        _ => (issuer.to_string(), p.name.trim().to_string()),
    }
}

fn entry(p: &mut OtpParameters) -> Entry {
    let (issuer, account) = names(p);
    let label = label_of(&issuer, &account);
    let fail = |reason: String| Err((label.clone(), reason));
    let algorithm = match p.algorithm {
        0 | 1 => Algorithm::Sha1,
        2 => Algorithm::Sha256,
        3 => Algorithm::Sha512,
        4 => {
            return fail(
                "the token uses MD5, which FactorCat does not compute codes with; keep it in Google Authenticator or ask the site for a new token".into(),
            );
        }
        _ => return fail(
            "the token's algorithm is unknown; export it again from a current Google Authenticator"
                .into(),
        ),
    };
    let digits = match p.digits {
        0 | 1 => 6,
        2 => 8,
        _ => return fail("the token's digit count is unknown; export it again from a current Google Authenticator".into()),
    };
    let kind = match p.otp_type {
        0 | 2 => Kind::Totp { period: 30 },
        1 => match p.counter.checked_add(1) {
            Some(counter) => Kind::Hotp { counter },
            None => return fail("the HOTP counter is at its largest possible value; the token cannot produce another code".into()),
        },
        _ => return fail("the token's type is neither TOTP nor HOTP; export it again from a current Google Authenticator".into()),
    };
    let secret = match Secret::from_bytes(std::mem::take(&mut p.secret)) {
        Ok(s) => s,
        Err(e) => return fail(e.to_string()),
    };
    let mut token = Token::new(issuer, account, secret);
    token.algorithm = algorithm;
    token.digits = digits;
    token.kind = kind;
    // Issuer/account rules and AWS context exactly as for a scanned link.
    let mut parsed = match otpauth::parse(&otpauth::emit(&token)) {
        Ok(t) => t,
        Err(e) => return fail(e.to_string()),
    };
    // emit/parse keeps every field that matters; keep the original id.
    parsed.id = token.id;
    Ok(parsed)
}

/// "Issuer (account)" for messages, or whichever is present; `None` when both are empty.
pub(crate) fn label_of(issuer: &str, account: &str) -> Option<String> {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_control())
            .take(80)
            .collect::<String>()
    };
    let (issuer, account) = (clean(issuer), clean(account));
    match (issuer.is_empty(), account.is_empty()) {
        (true, true) => None,
        (false, true) => Some(issuer),
        (true, false) => Some(account),
        (false, false) => Some(format!("{issuer} ({account})")),
    }
}

/// Collects the parts of one or more exports and finds missing ones.
#[derive(Debug, Default)]
pub(crate) struct Batches {
    /// batch_id → (size, index → position where first seen).
    seen: BTreeMap<i32, (usize, BTreeMap<usize, usize>, usize)>,
}

impl Batches {
    /// Records a part found at `position`. Returns `false` when the same
    /// part was already seen (its entries should then be skipped) or when
    /// it disagrees with earlier parts on the export's size.
    pub(crate) fn record(&mut self, part: &Part, position: usize) -> Result<bool, String> {
        // A whole export in one code: nothing to collect. (Older exports
        // leave batch_id at 0, so such codes must not be taken for repeats
        // of each other.)
        if part.batch_size == 1 {
            return Ok(true);
        }
        let slot = self
            .seen
            .entry(part.batch_id)
            .or_insert_with(|| (part.batch_size, BTreeMap::new(), position));
        if slot.0 != part.batch_size {
            return Err(format!(
                "this code says its export has {} parts, an earlier one said {}; scan the codes of one export only",
                part.batch_size, slot.0
            ));
        }
        if slot.1.contains_key(&part.batch_index) {
            return Ok(false);
        }
        slot.1.insert(part.batch_index, position);
        Ok(true)
    }

    /// For each export with missing parts: the position of its first part
    /// and a message naming every missing part.
    pub(crate) fn missing(&self) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (size, parts, first) in self.seen.values() {
            for index in 0..*size {
                if !parts.contains_key(&index) {
                    out.push((
                        *first,
                        format!(
                            "part {} of {} of this export is missing; scan every QR code Google Authenticator shows",
                            index + 1,
                            size
                        ),
                    ));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dim13/otpauth test vector.
    const DIM13: &str = "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC";

    #[test]
    fn dim13_vector() {
        let part = parse_uri(DIM13).unwrap();
        assert_eq!((part.batch_index, part.batch_size), (0, 1));
        let t = part.entries.into_iter().next().unwrap().unwrap();
        assert_eq!(t.issuer, "Example");
        assert_eq!(t.account, "alice@google.com");
        assert_eq!(&*t.secret.to_base32(), "JBSWY3DPEHPK3PXP");
        assert_eq!(t.kind, Kind::Totp { period: 30 });
        assert_eq!((t.digits, t.algorithm), (6, Algorithm::Sha1));
    }

    #[test]
    fn url_safe_and_percent_encoded_data() {
        let data = "CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC";
        let payload = BASE64_NOPAD.decode(data.as_bytes()).unwrap();
        let url = data_encoding::BASE64URL.encode(&payload);
        assert!(parse_uri(&format!("otpauth-migration://offline?data={url}")).is_ok());
        let std = data_encoding::BASE64
            .encode(&payload)
            .replace('=', "%3D")
            .replace('+', "%2B")
            .replace('/', "%2F");
        assert!(parse_uri(&format!("OTPAUTH-MIGRATION://offline?data={std}")).is_ok());
    }

    #[test]
    fn damaged_links() {
        assert_eq!(
            parse_uri("otpauth-migration://offline?x=1").unwrap_err(),
            MigrationError::MissingData
        );
        assert_eq!(
            parse_uri("otpauth-migration://online?data=AA").unwrap_err(),
            MigrationError::Malformed
        );
        assert_eq!(
            parse_uri("otpauth-migration://offline?data=!!").unwrap_err(),
            MigrationError::NotBase64
        );
        assert_eq!(
            parse_uri("otpauth-migration://offline?data=CjEK").unwrap_err(),
            MigrationError::NotPayload
        );
    }

    #[test]
    fn single_code_exports_without_batch_ids_are_all_read() {
        let mut batches = Batches::default();
        let part = parse_uri(DIM13).unwrap();
        assert_eq!(part.batch_id, 0);
        assert_eq!(batches.record(&part, 1), Ok(true));
        assert_eq!(batches.record(&part, 2), Ok(true));
        assert!(batches.missing().is_empty());
    }

    #[test]
    fn debug_hides_secret() {
        let p = OtpParameters {
            secret: b"0123456789".to_vec(),
            name: "n".into(),
            issuer: String::new(),
            algorithm: 0,
            digits: 0,
            otp_type: 0,
            counter: 0,
        };
        assert!(!format!("{p:?}").contains("48"));
    }
}
