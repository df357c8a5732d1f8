"""Writes the 2FAS (.2fas) fixtures under host/tests/data/import/2fas/.

Mirrors 2FAS's backup layout: schema 2 (no tokenType), 3 (tokenType,
counter, source) and 4 (adds otp.link, icon, order). Encrypted backups put
base64(ciphertext+tag):base64(salt):base64(iv) in servicesEncrypted, key =
PBKDF2-HMAC-SHA256(password, salt, 10000) -> AES-256-GCM, and a reference
field that encrypts 2FAS's fixed reference text with the same key.

Usage: python3 twofas.py OUTPUT_DIR   (needs the 'cryptography' package)
"""

import base64
import hashlib
import json
import os
import sys
import urllib.parse

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

import apps_vectors as v

PASSWORD = "correct horse ü 2fas"
# The fixed text 2FAS encrypts into "reference" to check a password.
REFERENCE = ("tRViSsLKzd86Hprh4ceC2OP7xazn4rrt4xhfEUbOjxLX8Rc3mkISXE0lWbmnWfggogbBJhtYgpK6fMl1D6mt"
             "sy92R3HkdGfwuXbzLebqVFJsR7IZ2w58t938iymwG4824igYy1wi6n2WDpO1Q1P69zwJGs2F5a1qP4My"
             "IiDSD7NCV2OvidXQCBnDlGfmz0f1BQySRkkt4ryiJeCjD2o4QsveJ9uDBUn8ELyOrESv5R5DMDkD4iAF"
             "8TXU7KyoJujd")

ALL = ["T1", "T2", "T3", "H1", "H2", "H3", "S1", "A1"]
TIME_BASED = ["T1", "T2", "T3", "A1"]


def service(ident, schema, position):
    _, kind, issuer, account, b32, algorithm, digits, param = v.by_id(ident)
    otp = {"label": f"{issuer}:{account}", "account": account, "issuer": issuer,
           "digits": digits, "period": 30 if kind != "totp" else param, "algorithm": algorithm}
    if schema >= 3:
        otp["tokenType"] = kind.upper()
        otp["source"] = "Link"
        if kind == "hotp":
            otp["counter"] = param
    if schema >= 4:
        query = {"secret": b32, "issuer": issuer, "algorithm": algorithm, "digits": digits}
        query["counter" if kind == "hotp" else "period"] = param if kind != "steam" else 30
        otp["link"] = (f"otpauth://{kind}/{urllib.parse.quote(issuer)}:{urllib.parse.quote(account)}?"
                       + urllib.parse.urlencode(query))
    entry = {"name": issuer, "secret": b32, "updatedAt": 1700000000000 + position, "otp": otp}
    if schema >= 4:
        entry["order"] = {"position": position}
        entry["icon"] = {"selected": "Label", "label": {"text": issuer[:2].upper(),
                                                        "backgroundColor": "Orange"}}
    return entry


def document(schema, services, encrypted=None, reference=None):
    doc = {"services": services, "groups": [], "updatedAt": 1700000000000,
           "schemaVersion": schema, "appVersionCode": 5000017, "appVersionName": "5.3.5",
           "appOrigin": "android"}
    if encrypted is not None:
        doc["services"] = []
        doc["servicesEncrypted"] = encrypted
    if reference is not None:
        doc["reference"] = reference
    return json.dumps(doc, indent=1) + "\n"


def seal(key, salt, iv, plaintext):
    ct = AESGCM(key).encrypt(iv, plaintext, None)
    b64 = lambda b: base64.b64encode(b).decode()
    return f"{b64(ct)}:{b64(salt)}:{b64(iv)}"


def encrypted(schema, services, tamper=False):
    # Fixed salt and ivs so that regenerating gives the same files.
    salt = b"".join(hashlib.sha256(f"2fas salt {schema} {i}".encode()).digest() for i in range(8))
    iv = hashlib.sha256(f"2fas iv {schema}".encode()).digest()[:12]
    ref_iv = hashlib.sha256(f"2fas reference iv {schema}".encode()).digest()[:12]
    key = PBKDF2HMAC(algorithm=SHA256(), length=32, salt=salt, iterations=10000).derive(
        PASSWORD.encode("utf-8"))
    blob = seal(key, salt, iv, json.dumps(services, separators=(",", ":")).encode())
    if tamper:
        data, rest = blob.split(":", 1)
        raw = bytearray(base64.b64decode(data))
        raw[5] ^= 0x01
        blob = base64.b64encode(bytes(raw)).decode() + ":" + rest
    return document(schema, [], blob, seal(key, salt, ref_iv, REFERENCE.encode()))


def main(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, text: v.write(os.path.join(out, name), text)
    v2 = [service(i, 2, n) for n, i in enumerate(TIME_BASED)]
    v3 = [service(i, 3, n) for n, i in enumerate(ALL)]
    v4 = [service(i, 4, n) for n, i in enumerate(ALL)]
    w("plain_v2.2fas", document(2, v2))
    w("plain_v3.2fas", document(3, v3))
    w("plain_v4.2fas", document(4, v4))
    w("encrypted_v2.2fas", encrypted(2, v2))
    w("encrypted_v3.2fas", encrypted(3, v3))
    w("encrypted_v4.2fas", encrypted(4, v4))
    w("password.txt", PASSWORD + "\n")
    v.write_expected(os.path.join(out, "expected_v2.json"), TIME_BASED)
    v.write_expected(os.path.join(out, "expected.json"), ALL)

    # Entry-level failures, each next to a good entry.
    bad = [service("T1", 4, 0)]
    short = service("T2", 4, 1)
    short["secret"] = v.SHORT_SECRET
    bad.append(short)
    md5 = service("T3", 4, 2)
    md5["otp"]["algorithm"] = "MD5"
    bad.append(md5)
    wrong = service("H1", 4, 3)
    wrong["otp"]["digits"] = "six"
    bad.append(wrong)
    nosecret = service("H2", 4, 4)
    del nosecret["secret"]
    bad.append(nosecret)
    hotp_no_counter = service("H3", 4, 5)
    del hotp_no_counter["otp"]["counter"]
    bad.append(hotp_no_counter)
    w("plain_v4_bad_entries.2fas", document(4, bad))

    plain = document(4, v4)
    w("fail_truncated.2fas", plain[: len(plain) // 2])
    w("fail_wrong_types.2fas", document(4, {"not": "a list"}))
    w("fail_schema_1.2fas", document(1, v2))
    w("fail_schema_9.2fas", document(9, v4))
    w("fail_damaged_ciphertext.2fas", encrypted(4, v4, tamper=True))
    w("fail_too_many.2fas", document(4, [{}] * 10001))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "host/tests/data/import/2fas")
