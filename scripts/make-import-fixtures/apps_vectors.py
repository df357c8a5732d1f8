"""Known tokens and their codes, shared by the app-export fixture generators.

The codes are computed here with Python's hmac module (RFC 4226 / RFC 6238
and Steam Guard's alphabet), independently of FactorCat's Rust code, and
written next to each format's fixtures as expected.json.
"""

import base64
import hashlib
import hmac
import json
import struct

# Times at which the tests compare time-based codes.
TIMES = [59, 1234567890, 2000000000]

STEAM_ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"

# id, kind, issuer, account, base32 secret, algorithm, digits, period or counter
TOKENS = [
    ("T1", "totp", "Deno", "Mason", "4SJHB4GSD43FZBAI7C2HLRJGPQ", "SHA1", 6, 30),
    ("T2", "totp", "SPDX", "James", "5OM4WOOGPLQEF6UGN3CPEOOLWU", "SHA256", 7, 20),
    ("T3", "totp", "Airbnb", "Elijah", "7ELGJSGXNCCTV3O6LKJWYFV2RA", "SHA512", 8, 50),
    ("H1", "hotp", "Issuu", "James", "YOOMIXWS5GN6RTBPUFFWKTW5M4", "SHA1", 6, 1),
    ("H2", "hotp", "Air Canada", "Benjamin", "KUVJJOM753IHTNDSZVCNKL7GII", "SHA256", 7, 50),
    ("H3", "hotp", "WWE", "Mason", "5VAML3X35THCEBVRLV24CGBKOY", "SHA512", 8, 10300),
    ("S1", "steam", "Boeing", "Sophia", "JRZCL47CMXVOQMNPZR2F7J4RGI", "SHA1", 5, 30),
    ("A1", "totp", "Amazon Web Services", "dev@123456789012",
     "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "SHA1", 6, 30),
]

# A secret of 8 bytes: shorter than FactorCat's 10-byte minimum.
SHORT_SECRET = base64.b32encode(b"12345678").decode().rstrip("=")


def by_id(ident):
    for t in TOKENS:
        if t[0] == ident:
            return t
    raise KeyError(ident)


def secret_bytes(b32):
    return base64.b32decode(b32 + "=" * (-len(b32) % 8))


def _truncate(key, counter, algorithm):
    digest = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}[algorithm]
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    return struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF


def hotp(key, counter, digits, algorithm):
    return str(_truncate(key, counter, algorithm) % 10**digits).zfill(digits)


def steam(key, time):
    value = _truncate(key, time // 30, "SHA1")
    out = ""
    for _ in range(5):
        out += STEAM_ALPHABET[value % len(STEAM_ALPHABET)]
        value //= len(STEAM_ALPHABET)
    return out


def expected(ident):
    """The token as the tests expect it, with its codes."""
    ident, kind, issuer, account, b32, algorithm, digits, param = by_id(ident)
    key = secret_bytes(b32)
    entry = {
        "id": ident, "kind": kind, "issuer": issuer, "account": account,
        "algorithm": algorithm, "digits": digits,
    }
    if kind == "hotp":
        entry["counter"] = param
        entry["codes"] = {str(param): hotp(key, param, digits, algorithm)}
    elif kind == "steam":
        entry["period"] = 30
        entry["codes"] = {str(t): steam(key, t) for t in TIMES}
    else:
        entry["period"] = param
        entry["codes"] = {str(t): hotp(key, t // param, digits, algorithm) for t in TIMES}
    return entry


def write_expected(path, ids):
    with open(path, "w", encoding="utf-8") as f:
        json.dump([expected(i) for i in ids], f, indent=1)
        f.write("\n")


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    for t in TOKENS:
        print(expected(t[0]))
