//! Token secrets: raw key bytes that are wiped from memory when dropped and
//! never shown by `Debug` or `Display`.

use std::fmt;

use data_encoding::{BASE32_NOPAD, DecodeKind, Encoding};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

use crate::error::ErrorCode;

/// Longest secret FactorCat accepts, in bytes. Real services use 10–64
/// bytes; anything past this is a damaged or hostile input.
pub const MAX_SECRET_BYTES: usize = 256;

/// Shortest secret accepted, in bytes (RFC 4226 asks for at least 128 bits,
/// but real services still issue 80-bit keys, so 80 bits is the floor).
pub const MIN_SECRET_BYTES: usize = 10;

/// Why a base32 secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    /// Nothing left after removing spaces and padding.
    #[error("the secret is empty; copy the whole secret (the base32 text, A–Z and 2–7) again")]
    Empty,
    /// A character outside the base32 alphabet.
    #[error(
        "the secret is not valid base32 (only the letters A–Z and digits 2–7 are allowed); check it for typos such as 0/O or 1/I"
    )]
    NotBase32,
    /// Base32 letters, but a number of them that no key encodes: 8
    /// characters carry 5 bytes, and a last group of 1, 3 or 6 characters
    /// cannot end one.
    #[error(
        "the secret has {0} base32 characters, a length no key has (a key's last group of 8 has 2, 4, 5 or 7 characters, never 1, 3 or 6): a character is missing or one too many — check that it was copied completely"
    )]
    Length(usize),
    /// Fewer bytes than [`MIN_SECRET_BYTES`].
    #[error(
        "the secret is only {0} bytes long; at least {MIN_SECRET_BYTES} bytes (16 base32 characters) are needed — check that it was copied completely"
    )]
    TooShort(usize),
    /// More bytes than [`MAX_SECRET_BYTES`].
    #[error("the secret is longer than {MAX_SECRET_BYTES} bytes; this is not a real TOTP secret")]
    TooLong,
}

impl SecretError {
    /// The error code: [`ErrorCode::InvalidToken`].
    pub fn code(&self) -> ErrorCode {
        ErrorCode::InvalidToken
    }
}

/// The shared key of a token. Zeroized on drop; prints as `Secret(<redacted>)`.
#[derive(Clone, PartialEq, Eq, zeroize::ZeroizeOnDrop)]
pub struct Secret(Zeroizing<Vec<u8>>);

impl Secret {
    /// Wraps raw key bytes, checking the length bounds.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, SecretError> {
        let bytes = Zeroizing::new(bytes);
        match bytes.len() {
            0 => Err(SecretError::Empty),
            n if n > MAX_SECRET_BYTES => Err(SecretError::TooLong),
            n if n < MIN_SECRET_BYTES => Err(SecretError::TooShort(n)),
            _ => Ok(Secret(bytes)),
        }
    }

    /// Parses base32 as people and QR codes write it: any case, with or
    /// without `=` padding, with spaces, dashes or tabs between groups.
    ///
    /// Bits of the last character beyond the last whole byte are ignored,
    /// as oathtool, Google Authenticator and most libraries do
    /// (`JBSWY3DPEHPK3PXPAB` is the key of `JBSWY3DPEHPK3PXPAA`), so such a
    /// secret makes the same codes here as in those apps. A length no key
    /// has (1, 3 or 6 characters in the last group of 8) is refused as
    /// [`SecretError::Length`].
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        if text.len() > MAX_SECRET_BYTES * 2 + 64 {
            return Err(SecretError::TooLong);
        }
        let mut cleaned: Zeroizing<String> = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars() {
            match c {
                ' ' | '\t' | '-' | '\n' | '\r' => {}
                c if c.is_ascii_alphanumeric() => cleaned.push(c.to_ascii_uppercase()),
                '=' => {}
                _ => return Err(SecretError::NotBase32),
            }
        }
        if cleaned.is_empty() {
            return Err(SecretError::Empty);
        }
        let decoded = lenient_base32()
            .decode(cleaned.as_bytes())
            .map_err(|e| match e.kind {
                DecodeKind::Length => SecretError::Length(cleaned.len()),
                _ => SecretError::NotBase32,
            })?;
        Secret::from_bytes(decoded)
    }

    /// The key bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Canonical base32 text (upper case, no padding). The caller owns a
    /// secret in plain text: keep it in a `Zeroizing` and never log it.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32_NOPAD.encode(&self.0))
    }
}

/// RFC 4648 base32 without padding that ignores the unused bits of the last
/// character instead of refusing them.
fn lenient_base32() -> Encoding {
    let mut spec = BASE32_NOPAD.specification();
    spec.check_trailing_bits = false;
    spec.encoding()
        .expect("the base32 alphabet with unchecked trailing bits is a valid specification")
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base32())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut text = String::deserialize(deserializer)?;
        let parsed = Secret::from_base32(&text).map_err(serde::de::Error::custom);
        text.zeroize();
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lower_case_padding_and_spaces() {
        let canonical = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        for text in [
            "jbswy3dpehpk3pxp",
            "JBSW Y3DP EHPK 3PXP",
            "jbsw-y3dp-ehpk-3pxp",
            "JBSWY3DPEHPK3PXP====",
        ] {
            assert_eq!(Secret::from_base32(text).unwrap(), canonical, "{text}");
        }
    }

    #[test]
    fn refuses_bad_secrets() {
        assert_eq!(Secret::from_base32(""), Err(SecretError::Empty));
        assert_eq!(Secret::from_base32(" = "), Err(SecretError::Empty));
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3PX1"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DP!HPK3PXP"),
            Err(SecretError::NotBase32)
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DP"),
            Err(SecretError::TooShort(5))
        );
        assert_eq!(
            Secret::from_base32(&"A".repeat(2000)),
            Err(SecretError::TooLong)
        );
    }

    /// What other authenticators accept: bits past the last byte are
    /// ignored; a length no key has is named as such, not as a bad letter.
    #[test]
    fn unused_bits_are_ignored_and_impossible_lengths_named() {
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3PXPAB").unwrap(),
            Secret::from_base32("JBSWY3DPEHPK3PXPAA").unwrap()
        );
        assert_eq!(
            Secret::from_base32("JBSWY3DPEHPK3PXPAB")
                .unwrap()
                .to_base32()
                .as_str(),
            "JBSWY3DPEHPK3PXPAA"
        );
        assert_eq!(Secret::from_base32("JBSW"), Err(SecretError::TooShort(2)));
        for (text, len) in [
            ("JBSWY3DPEHPK3PXPA", 17),
            ("JBSWY3DPEHPK3PXPABC", 19),
            ("JBSWY3DPEHPK3PXPABCDEF", 22),
        ] {
            assert_eq!(
                Secret::from_base32(text),
                Err(SecretError::Length(len)),
                "{text}"
            );
        }
        assert_eq!(
            SecretError::Length(17).to_string(),
            "the secret has 17 base32 characters, a length no key has (a key's last group of 8 \
             has 2, 4, 5 or 7 characters, never 1, 3 or 6): a character is missing or one too \
             many — check that it was copied completely"
        );
        assert_eq!(
            SecretError::TooShort(2).to_string(),
            "the secret is only 2 bytes long; at least 10 bytes (16 base32 characters) are \
             needed — check that it was copied completely"
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap();
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
    }
}
