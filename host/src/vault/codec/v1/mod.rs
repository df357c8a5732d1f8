//! Format version 1 (`docs/vault.md` §3): a JSON header with the body
//! nonce and the slots ([`header`]), and one XChaCha20-Poly1305 ciphertext
//! of the whole body, whose plaintext is a head line and one line per token
//! ([`body`]).

use chacha20poly1305::aead::generic_array::GenericArray;
use chacha20poly1305::aead::{AeadInPlace, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::keystore::Key;
use crate::vault::slot::{NONCE_LEN, TAG_LEN};

mod body;
mod header;

pub(crate) use body::{
    BodyHead, LightRecord, body_lines, decode, decode_matching, decode_one, write_body,
};
pub(crate) use header::{SlotRepr, decode_fixed, parse_header, parse_slots};

/// This version's number, the `version` of its header.
pub(crate) const VERSION: u64 = 1;

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
