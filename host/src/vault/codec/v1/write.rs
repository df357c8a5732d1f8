//! Writing version-1 files: this build writes version 2, and tests make
//! version-1 files with this to read and convert them.

use std::io;
use std::path::Path;

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{header, write_body};
use crate::keystore::Key;
use crate::vault::codec::{CHECK_HEX_LEN, MAGIC, header_check};
use crate::vault::slot::{NONCE_LEN, Slot, TAG_LEN};
use crate::vault::{VaultData, VaultError};

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

/// Serializes and encrypts `data` into a complete version-1 file with a
/// fresh body nonce (this build writes version 2; tests make version-1
/// files with this, to read and convert).
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
