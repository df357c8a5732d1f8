"""Writes the Authenticator (browser extension) fixtures under
host/tests/data/import/authenticator/.

The backup is a JSON object keyed by entry hash. Encrypted entries (the
extension's older scheme) hold CryptoJS.AES.encrypt(secret, password):
base64("Salted__" + salt8 + AES-256-CBC(PKCS#7)), key and iv from OpenSSL
EVP_BytesToKey(MD5, 1 round); "hash" is the MD5 hex of the secret text.

Usage: python3 authenticator.py OUTPUT_DIR   (needs the 'cryptography' package)
"""

import base64
import hashlib
import json
import os
import sys

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

import apps_vectors as v

PASSWORD = "extension pässword"
ALL = ["T1", "T2", "T3", "H1", "H2", "H3", "S1", "A1"]


def cryptojs_encrypt(text, password, seed):
    salt = hashlib.sha256(f"authenticator salt {seed}".encode()).digest()[:8]
    material, block = b"", b""
    while len(material) < 48:
        block = hashlib.md5(block + password.encode("utf-8") + salt).digest()
        material += block
    key, iv = material[:32], material[32:48]
    padder = padding.PKCS7(128).padder()
    data = padder.update(text.encode("utf-8")) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ct = enc.update(data) + enc.finalize()
    return base64.b64encode(b"Salted__" + salt + ct).decode()


def entry(ident, index, encrypted=False, hex_secret=False):
    _, kind, issuer, account, b32, algorithm, digits, param = v.by_id(ident)
    secret = b32
    typ = kind
    if hex_secret:
        secret = v.secret_bytes(b32).hex()
        typ = {"totp": "hex", "hotp": "hhex"}[kind]
    e = {"account": account, "issuer": issuer, "type": typ, "index": index,
         "counter": param if kind == "hotp" else 0,
         "period": param if kind == "totp" else 30, "digits": digits,
         "algorithm": algorithm, "pinned": False,
         "hash": hashlib.md5(secret.encode()).hexdigest()}
    if encrypted:
        e["secret"] = cryptojs_encrypt(secret, PASSWORD, ident)
        e["encrypted"] = True
    else:
        e["secret"] = secret
        e["encrypted"] = False
    return e


def document(entries):
    return json.dumps({e["hash"] + str(i): e for i, e in enumerate(entries)}, indent=2) + "\n"


def main(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, text: v.write(os.path.join(out, name), text)
    w("plain.json", document([entry(i, n) for n, i in enumerate(ALL)]))
    w("plain_hex.json", document([entry(i, n, hex_secret=True)
                                  for n, i in enumerate(["T1", "T2", "H1", "H2"])]))
    w("encrypted_legacy.json", document([entry(i, n, encrypted=True) for n, i in enumerate(ALL)]))
    w("password.txt", PASSWORD + "\n")
    v.write_expected(os.path.join(out, "expected.json"), ALL)
    v.write_expected(os.path.join(out, "expected_hex.json"), ["T1", "T2", "H1", "H2"])

    bad = [entry("T1", 0)]
    battle = entry("T2", 1)
    battle["type"] = "battle"
    bad.append(battle)
    short = entry("T3", 2)
    short["secret"] = v.SHORT_SECRET
    bad.append(short)
    odd = entry("H1", 3, hex_secret=True)
    odd["secret"] = odd["secret"][:-1]
    bad.append(odd)
    wrong = entry("H2", 4)
    wrong["digits"] = [7]
    bad.append(wrong)
    w("plain_bad_entries.json", document(bad))

    plain = document([entry(i, n) for n, i in enumerate(ALL)])
    w("fail_truncated.json", plain[: len(plain) // 2])
    w("fail_wrong_types.json", json.dumps({"x": {"secret": 5, "type": "totp",
                                                  "encrypted": False}}) + "\n")
    newer = json.loads(document([entry(i, n, encrypted=True) for n, i in enumerate(ALL)]))
    newer["key"] = {"enc": "U2FsdGVkX1+AAAAAAAAAAA==", "hash": "$argon2id$v=19$m=16384,t=1,p=1$c2FsdA$aGFzaA",
                    "salt": "c2FsdHNhbHRzYWx0"}
    w("fail_newer_encryption.json", json.dumps(newer, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "host/tests/data/import/authenticator")
