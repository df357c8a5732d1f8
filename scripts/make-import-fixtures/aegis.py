#!/usr/bin/env python3
"""Writes the Aegis import fixtures from known tokens.

Usage: python3 scripts/make-import-fixtures/aegis.py [OUTPUT_DIR]
(default host/tests/data/import/aegis). Needs the `cryptography` package.

Mirrors Aegis's documented vault format (docs/vault.md in the Aegis
repository): scrypt(password, salt, n=2^15, r=8, p=1) -> 32-byte slot key;
AES-256-GCM of the master key under the slot key; AES-256-GCM of the content
JSON under the master key; nonces and tags as hex, the tag kept apart from
the ciphertext; the content as Base64 with padding.

Salts, nonces, master keys and UUIDs come from SHA-256 of fixed labels, so
running this again writes byte-identical files. Expected codes are computed
here with hmac/hashlib (RFC 4226 truncation written out) and written to
expected.json, so the Rust tests check against an independent implementation.
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import sys
import uuid

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

PASSWORD = "correct horse battery staple"
TIMES = [59, 1234567890, 2000000000]
STEAM_ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"


def det(label, n):
    """n deterministic bytes for `label`."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"factorcat-aegis-fixture/{label}/{i}".encode()).digest()
        i += 1
    return out[:n]


def det_uuid(label):
    return str(uuid.UUID(bytes=det(label, 16), version=4))


def b32(raw):
    return base64.b32encode(raw).decode().rstrip("=")


# The known tokens: (type, issuer, name, secret bytes, algo, digits, period or counter, extras)
TOKENS = [
    ("totp", "GitHub", "alice@example.com", b"factorcat-secret-01", "SHA1", 6, 30, {"favorite": True, "groups": ["Work"]}),
    ("totp", "SPDX", "James", b"factorcat-secret-02-sha256", "SHA256", 7, 20, {"groups": ["Work", "Personal"]}),
    ("totp", "Airbnb", "Elijah", b"factorcat-secret-03-sha512-eight", "SHA512", 8, 60, {}),
    ("totp", "Bank", "ten digits", b"factorcat-secret-04-ten", "SHA1", 10, 30, {"note": "a note"}),
    ("hotp", "Issuu", "James", b"factorcat-secret-05-hotp", "SHA1", 6, 1, {"groups": ["Personal"]}),
    ("hotp", "WWE", "Mason", b"factorcat-secret-06-hotp-512", "SHA512", 8, 10300, {}),
    ("steam", "Steam", "gamer", b"factorcat-secret-07-steam", "SHA1", 5, 30, {"favorite": True}),
    ("totp", "Amazon Web Services", "admin-mfa@123456789012", b"factorcat-secret-08-aws-device", "SHA1", 6, 30, {}),
]

# Entries that must be reported, not imported: (label, entry builder)
BAD_ENTRIES = [
    {"type": "motp", "name": "pin-user", "issuer": "mOTP", "info": {"secret": b32(b"0123456789abcdef"), "algo": "MD5", "digits": 6, "period": 10, "pin": "1234"}},
    {"type": "yandex", "name": "ya-user", "issuer": "Yandex", "info": {"secret": b32(b"0123456789abcdef"), "algo": "SHA256", "digits": 8, "period": 30, "pin": "1234"}},
    {"type": "totp", "name": "short", "issuer": "Short Secret", "info": {"secret": b32(b"12345"), "algo": "SHA1", "digits": 6, "period": 30}},
]


def otp_value(key, counter, algo):
    digest = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[algo]
    h = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    o = h[-1] & 15
    return struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF


def code(kind, key, algo, digits, step_or_counter, t=None):
    if kind == "hotp":
        value = otp_value(key, step_or_counter, algo)
    else:
        value = otp_value(key, t // step_or_counter, algo)
    if kind == "steam":
        out = ""
        for _ in range(5):
            out += STEAM_ALPHABET[value % 26]
            value //= 26
        return out
    return str(value % 10 ** digits).zfill(digits)


def entry(version, index, tok, group_uuids):
    kind, issuer, name, key, algo, digits, pc, extras = tok
    info = {"secret": b32(key), "algo": algo, "digits": digits}
    info["counter" if kind == "hotp" else "period"] = pc
    e = {"type": kind, "uuid": det_uuid(f"entry/{index}"), "name": name, "issuer": issuer}
    if version >= 2:
        e["note"] = extras.get("note", "")
        e["favorite"] = extras.get("favorite", False)
    e["icon"] = None
    e["info"] = info
    groups = extras.get("groups", [])
    if version == 2 and groups:
        e["group"] = groups[0]  # content v2 holds one group name per entry
    if version == 3:
        e["groups"] = [group_uuids[g] for g in groups]
    return e


def content(version, bad=False):
    names = sorted({g for t in TOKENS for g in t[7].get("groups", [])})
    group_uuids = {g: det_uuid(f"group/{g}") for g in names}
    entries = [entry(version, i, t, group_uuids) for i, t in enumerate(TOKENS)]
    if bad:
        entries += [dict(e, icon=None) for e in BAD_ENTRIES]
    db = {"version": version, "entries": entries}
    if version == 3:
        db["groups"] = [{"uuid": group_uuids[g], "name": g} for g in names]
        db["icons_optimized"] = True
    return db


def old_aegis_password_bytes(password):
    """Aegis before issue #95 was fixed: Java's Charset.encode buffer taken
    whole, the UTF-8 bytes padded with zeros to the buffer's capacity, which
    starts at (int)(utf16_len * 1.1f) and grows to 2n + 1 until it fits."""
    encoded = password.encode()
    utf16_len = len(password.encode("utf-16-le")) // 2
    f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]
    capacity = int(f32(utf16_len * f32(1.1)))
    while capacity < len(encoded):
        capacity = 2 * capacity + 1
    return encoded + b"\0" * (capacity - len(encoded))


def encrypt(db, label, n=1 << 15, r=8, p=1, password=PASSWORD, old_encoding=False):
    master = det(f"{label}/master", 32)
    salt = det(f"{label}/salt", 32)
    pw = old_aegis_password_bytes(password) if old_encoding else password.encode()
    slot_key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(pw)
    slot_nonce = det(f"{label}/slot-nonce", 12)
    wrapped = AESGCM(slot_key).encrypt(slot_nonce, master, None)
    db_nonce = det(f"{label}/db-nonce", 12)
    sealed = AESGCM(master).encrypt(db_nonce, json.dumps(db, indent=4).encode(), None)
    slot = {
        "type": 1,
        "uuid": det_uuid(f"{label}/slot"),
        "key": wrapped[:-16].hex(),
        "key_params": {"nonce": slot_nonce.hex(), "tag": wrapped[-16:].hex()},
        "n": n, "r": r, "p": p,
        "salt": salt.hex(),
        "repaired": not old_encoding,
    }
    biometric = {
        "type": 2,
        "uuid": det_uuid(f"{label}/bio"),
        "key": det(f"{label}/bio-key", 32).hex(),
        "key_params": {"nonce": det(f"{label}/bio-nonce", 12).hex(), "tag": det(f"{label}/bio-tag", 16).hex()},
    }
    return {
        "version": 1,
        "header": {
            "slots": [biometric, slot],
            "params": {"nonce": db_nonce.hex(), "tag": sealed[-16:].hex()},
        },
        "db": base64.b64encode(sealed[:-16]).decode(),
    }


def plain(db):
    return {"version": 1, "header": {"slots": None, "params": None}, "db": db}


def expected():
    out = []
    for kind, issuer, name, key, algo, digits, pc, extras in TOKENS:
        item = {"issuer": issuer, "account": name, "kind": kind, "algorithm": algo,
                "digits": 5 if kind == "steam" else digits, "pinned": extras.get("favorite", False),
                "groups": extras.get("groups", [])}
        if kind == "hotp":
            item["counter"] = pc
            item["codes"] = {str(c): code(kind, key, algo, digits, c) for c in (pc, pc + 1)}
        else:
            item["period"] = pc
            item["codes"] = {str(t): code(kind, key, algo, digits, pc, t) for t in TIMES}
        out.append(item)
    return out


def write(directory, name, obj):
    with open(os.path.join(directory, name), "w") as f:
        if isinstance(obj, str):
            f.write(obj)
        else:
            json.dump(obj, f, indent=4)
            f.write("\n")


def main():
    directory = sys.argv[1] if len(sys.argv) > 1 else "host/tests/data/import/aegis"
    os.makedirs(directory, exist_ok=True)
    write(directory, "password.txt", PASSWORD + "\n")
    write(directory, "expected.json", expected())
    for v in (1, 2, 3):
        write(directory, f"plain_v{v}.json", plain(content(v)))
        write(directory, f"encrypted_v{v}.json", encrypt(content(v), f"v{v}"))
    write(directory, "bad_entries_v3.json", plain(content(3, bad=True)))
    write(directory, "encrypted_v1_unrepaired.json", encrypt(content(1), "v1-old", old_encoding=True))

    # Damaged files.
    text = json.dumps(plain(content(3)), indent=4)
    write(directory, "fail_truncated.json", text[: len(text) // 2])
    broken = encrypt(content(3), "v3")
    broken["db"] = "!!" + broken["db"][2:]
    write(directory, "fail_bad_base64.json", broken)
    tampered = encrypt(content(3), "v3")
    tag = bytearray(bytes.fromhex(tampered["header"]["params"]["tag"]))
    tag[0] ^= 1
    tampered["header"]["params"]["tag"] = tag.hex()
    write(directory, "fail_tampered_tag.json", tampered)
    absurd = encrypt(content(3), "v3")
    absurd["header"]["slots"][1]["n"] = 1 << 30
    write(directory, "fail_absurd_scrypt.json", absurd)
    bio = encrypt(content(3), "v3")
    del bio["header"]["slots"][1]
    write(directory, "fail_biometric_only.json", bio)
    wrong = plain(content(3))
    wrong["db"]["entries"] = {"not": "a list"}
    write(directory, "fail_wrong_types.json", wrong)
    future = plain(content(3))
    future["db"]["version"] = 4
    write(directory, "fail_content_version.json", future)


if __name__ == "__main__":
    main()
