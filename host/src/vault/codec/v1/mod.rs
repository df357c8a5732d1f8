//! Format version 1 (`docs/vault.md` §3): a JSON header with the body
//! nonce and the slots ([`header`]), and one XChaCha20-Poly1305 ciphertext
//! of the whole body, whose plaintext is a head line and one line per token
//! ([`body`]).

use std::io;
use std::path::Path;

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{CHECK_HEX_LEN, MAGIC, header_check};
use crate::keystore::Key;
use crate::vault::VaultData;
use crate::vault::VaultError;
use crate::vault::slot::{NONCE_LEN, Slot, TAG_LEN};

mod body;
mod header;

pub(crate) use body::{BodyHead, body_lines, decode, decode_matching, decode_one, write_body};
pub(crate) use header::{SlotRepr, parse_header};

/// This version's number, the `version` of its header.
pub(crate) const VERSION: u64 = 1;

/// Counts the bytes written to it, to size buffers exactly.
struct CountingWriter(usize);

impl io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Serializes and encrypts `data` into a complete vault file with a fresh
/// body nonce. The plaintext is written straight into the output buffer,
/// sized exactly beforehand so that no reallocation leaves a stray copy of
/// it on the heap, and encrypted there.
pub(crate) fn encode(
    path: &Path,
    id: Uuid,
    generation: u64,
    slots: &[Slot],
    master: &Key,
    data: &VaultData,
) -> Result<Zeroizing<Vec<u8>>, VaultError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let encode_failed =
        |reason: String| VaultError::corrupt(path, format!("cannot encode the vault: {reason}"));
    let header = header::header_line(id, generation, &nonce, slots)
        .map_err(|e| encode_failed(e.to_string()))?;
    let body = MAGIC.len() + header.len() + 1 + CHECK_HEX_LEN + 1;
    // Measure first, so the buffer that holds plaintext never reallocates
    // (which would leave an unwiped copy behind).
    let mut counter = CountingWriter(0);
    write_body(&mut counter, data).map_err(|e| encode_failed(e.to_string()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(body + counter.0 + TAG_LEN));
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header);
    out.push(b'\n');
    out.extend_from_slice(header_check(&header).as_bytes());
    out.push(b'\n');
    write_body(&mut *out, data).map_err(|e| encode_failed(e.to_string()))?;
    let tag = XChaCha20Poly1305::new(GenericArray::from_slice(master.expose()))
        .encrypt_in_place_detached(XNonce::from_slice(&nonce), &header, &mut out[body..])
        .map_err(|_| encode_failed("encryption failed".into()))?;
    out.extend_from_slice(&tag);
    Ok(out)
}

/// The encrypted body of a vault file, decrypted in place.
pub(crate) struct Body<'a> {
    /// The body nonce from the header.
    pub(crate) nonce: &'a [u8; NONCE_LEN],
    /// The exact header bytes.
    pub(crate) aad: &'a [u8],
    /// Ciphertext and tag; after a successful [`Body::decrypt`], plaintext and tag.
    pub(crate) bytes: &'a mut [u8],
}

impl Body<'_> {
    /// Decrypts with `master`. On failure the bytes are left unchanged, so
    /// another key can be tried.
    pub(crate) fn decrypt(&mut self, master: &Key) -> bool {
        let Some(tag_at) = self.bytes.len().checked_sub(TAG_LEN) else {
            return false;
        };
        let (msg, tag) = self.bytes.split_at_mut(tag_at);
        let tag = *GenericArray::from_slice(tag);
        XChaCha20Poly1305::new(GenericArray::from_slice(master.expose()))
            .decrypt_in_place_detached(XNonce::from_slice(self.nonce), self.aad, msg, &tag)
            .is_ok()
    }
}
