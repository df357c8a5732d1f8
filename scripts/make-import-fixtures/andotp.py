"""Writes the andOTP fixtures under host/tests/data/import/andotp/.

Plain backups are a JSON list of entries. Encrypted backups (.json.aes):
4-byte big-endian iteration count, 12-byte salt, 12-byte nonce, AES-256-GCM
ciphertext+tag, key = PBKDF2-HMAC-SHA1(password, salt, iterations, 32).
The old encrypted format: key = SHA-256(password), 12-byte nonce, then
ciphertext+tag.

Usage: python3 andotp.py OUTPUT_DIR   (needs the 'cryptography' package)
"""

import base64
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA1
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

import apps_vectors as v

PASSWORD = "andOTP pässword"
# andOTP picks 140,000-160,000; fewer keep the tests quick.
ITERATIONS = 20000
ALL = ["T1", "T2", "T3", "H1", "H2", "H3", "S1", "A1"]


def entry(ident, old_label=False):
    _, kind, issuer, account, b32, algorithm, digits, param = v.by_id(ident)
    padded = b32 + "=" * (-len(b32) % 8)
    e = {"secret": padded, "label": account, "digits": digits, "type": kind.upper(),
         "algorithm": algorithm, "thumbnail": "Default", "last_used": 1700000000000,
         "used_frequency": 0, "tags": ["work", "phone"] if ident == "T1" else []}
    if old_label:
        e["label"] = f"{issuer} - {account}"
    else:
        e["issuer"] = issuer
    if kind == "hotp":
        e["counter"] = param
    else:
        e["period"] = 30 if kind == "steam" else param
    return e


def new_format(plain, iterations=ITERATIONS, tamper=False):
    salt = hashlib.sha256(b"andotp salt").digest()[:12]
    nonce = hashlib.sha256(b"andotp nonce").digest()[:12]
    key = PBKDF2HMAC(algorithm=SHA1(), length=32, salt=salt, iterations=iterations).derive(
        PASSWORD.encode("utf-8"))
    body = bytearray(AESGCM(key).encrypt(nonce, plain, None))
    if tamper:
        body[3] ^= 0x80
    return struct.pack(">I", iterations) + salt + nonce + bytes(body)


def old_format(plain):
    nonce = hashlib.sha256(b"andotp old nonce").digest()[:12]
    key = hashlib.sha256(PASSWORD.encode("utf-8")).digest()
    return nonce + AESGCM(key).encrypt(nonce, plain, None)


def main(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, text: v.write(os.path.join(out, name), text)
    wb = lambda name, data: open(os.path.join(out, name), "wb").write(data)
    entries = [entry(i) for i in ALL]
    plain = json.dumps(entries, indent=1) + "\n"
    w("plain.json", plain)
    w("plain_old_labels.json",
      json.dumps([entry(i, old_label=True) for i in ALL], indent=1) + "\n")
    compact = json.dumps(entries, separators=(",", ":")).encode()
    wb("encrypted.json.aes", new_format(compact))
    wb("encrypted_old.json.aes", old_format(compact))
    w("password.txt", PASSWORD + "\n")
    v.write_expected(os.path.join(out, "expected.json"), ALL)

    bad = [entry("T1")]
    short = entry("T2")
    short["secret"] = v.SHORT_SECRET
    bad.append(short)
    weird = entry("T3")
    weird["type"] = "MOTP"
    bad.append(weird)
    wrong = entry("H1")
    wrong["period"] = "thirty"
    wrong["type"] = "TOTP"
    bad.append(wrong)
    bad.append("not an object")
    w("plain_bad_entries.json", json.dumps(bad, indent=1) + "\n")

    w("fail_truncated.json", plain[: len(plain) // 2])
    w("fail_wrong_types.json", json.dumps({"entries": entries}) + "\n")
    wb("fail_truncated.json.aes", new_format(compact)[:20])
    wb("fail_absurd_iterations.json.aes",
       struct.pack(">I", 0x7FFFFFFF) + new_format(compact)[4:])
    wb("fail_damaged_ciphertext.json.aes", new_format(compact, tamper=True))
    w("fail_too_many.json", json.dumps([{"secret": "", "type": "TOTP", "label": ""}] * 10001))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "host/tests/data/import/andotp")
