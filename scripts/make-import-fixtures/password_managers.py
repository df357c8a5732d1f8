"""Writes the Bitwarden, FreeOTP+ and Proton Authenticator fixtures under
host/tests/data/import/{bitwarden,freeotp-plus,proton}/.

- Bitwarden: unencrypted JSON export, login.totp = otpauth URI, bare base32
  secret or steam://SECRET.
- FreeOTP+: tokens[] with the secret as signed bytes; FreeOTP stores the last
  HOTP counter used, so an entry whose next counter is N is written as N-1.
- Proton Authenticator: {version: 1, entries: [{id, content: {uri,
  entry_type, name}, note}]}; the password-protected export is {version,
  salt, content}: Argon2id(m=19 MiB, t=2, p=1) -> AES-256-GCM with the
  associated data "proton.authenticator.export.v1", nonce first.

Usage: python3 password_managers.py DATA_DIR   (DATA_DIR = host/tests/data/import)
"""

import base64
import hashlib
import json
import os
import sys
import urllib.parse

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

import apps_vectors as v

ALL = ["T1", "T2", "T3", "H1", "H2", "H3", "S1", "A1"]
NO_HOTP = ["T1", "T2", "T3", "S1", "A1"]
PROTON_PASSWORD = "proton pässword"


def uri(ident, with_issuer=True, label_account=True):
    _, kind, issuer, account, b32, algorithm, digits, param = v.by_id(ident)
    if kind == "steam":
        return f"steam://{b32}"
    q = {"secret": b32, "algorithm": algorithm, "digits": digits}
    q["counter" if kind == "hotp" else "period"] = param
    if with_issuer:
        q["issuer"] = issuer
    label = urllib.parse.quote(f"{issuer}:{account}" if label_account else "")
    return f"otpauth://{kind}/{label}?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def bitwarden(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, text: v.write(os.path.join(out, name), text)

    def item(n, ident, totp, uris=()):
        _, _, issuer, account, *_ = v.by_id(ident)
        return {"id": f"0000000{n}-0000-4000-8000-000000000000", "organizationId": None,
                "folderId": None, "type": 1, "reprompt": 0, "name": issuer, "notes": None,
                "favorite": False,
                "login": {"uris": [{"match": None, "uri": u} for u in uris],
                          "username": account, "password": "hunter2", "totp": totp},
                "collectionIds": None}

    items = [
        item(1, "T1", uri("T1"), ["https://deno.land/login", "deno.com"]),
        item(2, "T2", uri("T2", with_issuer=False, label_account=False)),
        item(3, "T3", uri("T3")),
        {"id": "x", "type": 2, "name": "A secure note", "notes": "no login here",
         "secureNote": {"type": 0}},
        item(5, "H1", uri("H1")),
        item(6, "S1", uri("S1")),
        item(7, "A1", v.by_id("A1")[4]),
        item(8, "T1", None),
    ]
    items[6]["name"] = "Amazon Web Services"
    w("plain.json", dump({"encrypted": False, "folders": [], "items": items}))
    v.write_expected(os.path.join(out, "expected.json"), ["T1", "T2", "T3", "H1", "S1", "A1"])

    bad = [item(1, "T1", uri("T1")),
           item(2, "T2", v.SHORT_SECRET),
           item(3, "T3", uri("T3").replace("SHA512", "MD5")),
           item(4, "H1", "https://example.com/not-a-key")]
    bad.append(item(5, "H2", 12345))
    w("plain_bad_entries.json", dump({"encrypted": False, "folders": [], "items": bad}))
    w("fail_encrypted_password.json", dump({
        "encrypted": True, "passwordProtected": True, "salt": "c2FsdHNhbHQ=",
        "kdfType": 0, "kdfIterations": 600000, "kdfMemory": None, "kdfParallelism": None,
        "encKeyValidation_DO_NOT_EDIT": "2.placeholder|placeholder|placeholder",
        "data": "2.placeholder|placeholder|placeholder"}))
    w("fail_encrypted_account.json", dump({
        "encrypted": True, "encKeyValidation_DO_NOT_EDIT": "2.placeholder|placeholder|placeholder",
        "folders": [], "items": [{"name": "2.placeholder|placeholder|placeholder"}]}))
    text = dump({"encrypted": False, "folders": [], "items": items})
    w("fail_truncated.json", text[: len(text) // 2])
    w("fail_wrong_types.json", dump({"encrypted": False, "items": {"0": items[0]}}))


def freeotp(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, text: v.write(os.path.join(out, name), text)

    def token(ident):
        _, kind, issuer, account, b32, algorithm, digits, param = v.by_id(ident)
        signed = [b - 256 if b > 127 else b for b in v.secret_bytes(b32)]
        return {"algo": algorithm, "counter": param - 1 if kind == "hotp" else 0,
                "digits": digits, "issuerExt": issuer, "issuerInt": issuer,
                "label": account, "period": param if kind == "totp" else 30,
                "secret": signed, "type": kind.upper()}

    ids = ["T1", "T2", "T3", "H1", "H2", "H3", "A1"]
    tokens = [token(i) for i in ids]
    tokens[0]["issuerExt"] = ""
    order = [f"{t['issuerInt']}:{t['label']}" for t in tokens]
    w("plain.json", dump({"tokenOrder": order, "tokens": tokens}))
    v.write_expected(os.path.join(out, "expected.json"), ids)

    bad = [token("T1")]
    short = token("T2")
    short["secret"] = short["secret"][:8]
    bad.append(short)
    outside = token("T3")
    outside["secret"][0] = 300
    bad.append(outside)
    steam = token("T1")
    steam["type"] = "STEAM"
    steam["issuerExt"] = "Boeing"
    bad.append(steam)
    w("plain_bad_entries.json", dump({"tokenOrder": [], "tokens": bad}))
    text = dump({"tokenOrder": order, "tokens": tokens})
    w("fail_truncated.json", text[: len(text) // 2])
    w("fail_wrong_types.json", dump({"tokenOrder": order, "tokens": "none"}))


def proton(out):
    os.makedirs(out, exist_ok=True)
    w = lambda name, text: v.write(os.path.join(out, name), text)

    def entry(n, ident):
        _, kind, issuer, account, *_ = v.by_id(ident)
        return {"id": f"entry-{n}",
                "content": {"uri": uri(ident), "entry_type": "Steam" if kind == "steam" else "Totp",
                            "name": account},
                "note": None}

    doc = {"version": 1, "entries": [entry(n, i) for n, i in enumerate(NO_HOTP)]}
    plain = dump(doc)
    w("plain.json", plain)
    # A steam:// link carries no issuer: FactorCat names it Steam.
    want = [v.expected(i) for i in NO_HOTP]
    for e in want:
        if e["kind"] == "steam":
            e["issuer"] = "Steam"
    w("expected.json", json.dumps(want, indent=1) + "\n")

    salt = hashlib.sha256(b"proton salt").digest()[:16]
    nonce = hashlib.sha256(b"proton nonce").digest()[:12]
    key = Argon2id(salt=salt, length=32, iterations=2, lanes=1, memory_cost=19 * 1024).derive(
        PROTON_PASSWORD.encode("utf-8"))
    compact = json.dumps(doc, separators=(",", ":")).encode()
    sealed = nonce + AESGCM(key).encrypt(nonce, compact, b"proton.authenticator.export.v1")
    b64 = lambda b: base64.b64encode(b).decode()
    w("encrypted.json", json.dumps({"version": 1, "salt": b64(salt), "content": b64(sealed)}) + "\n")
    w("password.txt", PROTON_PASSWORD + "\n")
    other_aad = nonce + AESGCM(key).encrypt(nonce, compact, b"another.purpose")
    w("fail_wrong_associated_data.json",
      json.dumps({"version": 1, "salt": b64(salt), "content": b64(other_aad)}) + "\n")
    w("fail_truncated_encrypted.json",
      json.dumps({"version": 1, "salt": b64(salt), "content": b64(sealed[:20])}) + "\n")

    bad = [entry(0, "T1"), entry(1, "T2"), entry(2, "T3"), entry(3, "S1")]
    bad[1]["content"]["uri"] = uri("T2").replace(v.by_id("T2")[4], v.SHORT_SECRET)
    bad[2]["content"]["uri"] = uri("H1")
    bad[2]["content"]["entry_type"] = "Hotp"
    bad[3]["content"]["uri"] = uri("T1")
    w("plain_bad_entries.json", dump({"version": 1, "entries": bad}))
    w("fail_truncated.json", plain[: len(plain) // 2])
    w("fail_wrong_types.json", dump({"version": 1, "entries": {"a": 1}}))
    w("fail_version_2.json", dump({"version": 2, "entries": doc["entries"]}))


def main(root):
    bitwarden(os.path.join(root, "bitwarden"))
    freeotp(os.path.join(root, "freeotp-plus"))
    proton(os.path.join(root, "proton"))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "host/tests/data/import")
