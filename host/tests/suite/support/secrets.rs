//! The text forms of a secret: the ones tests look for where a secret must
//! never appear, and the hex other tools take.

use factorcat::secret::Secret;

/// `bytes` in lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

/// Every spelling of a secret that must never be found where it does not
/// belong: base32 upper and lower case, with and without padding, and hex
/// in both cases. (The raw bytes are checked separately.)
pub fn secret_spellings(secret: &Secret) -> Vec<String> {
    let bytes = secret.expose();
    let nopad = data_encoding::BASE32_NOPAD.encode(bytes);
    let pad = data_encoding::BASE32.encode(bytes);
    let hex = hex(bytes);
    let mut out = vec![
        nopad.to_ascii_lowercase(),
        pad.to_ascii_lowercase(),
        hex.to_ascii_uppercase(),
        nopad,
        pad,
        hex,
    ];
    out.dedup();
    out
}
