#!/usr/bin/env python3
"""Writes the otpauth text-list and Google Authenticator migration fixtures
under host/tests/data/import/otpauth/, with the expected tokens and codes.

Independent of FactorCat's Rust code: the protobuf payload is encoded by
hand (the schema of Google Authenticator's MigrationPayload), codes are
computed with Python's hmac (RFC 4226 / RFC 6238, Steam's alphabet).

Run from the repository root:  python3 scripts/make-import-fixtures/otpauth.py
"""

import base64
import hashlib
import hmac
import json
import os
import struct
import urllib.parse
import zlib

OUT = os.path.join("host", "tests", "data", "import", "otpauth")
QR_OUT = os.path.join("host", "tests", "data", "import", "qr")
TIMES = [59, 1111111109, 2000000000]
STEAM_ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"


def hotp_int(key, counter, algo):
    mac = hmac.new(key, struct.pack(">Q", counter), getattr(hashlib, algo.lower())).digest()
    offset = mac[-1] & 0x0F
    return struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF


def code(key, kind, algo, digits, period_or_counter, t):
    if kind == "hotp":
        return str(hotp_int(key, period_or_counter, algo) % 10**digits).zfill(digits)
    step = t // period_or_counter
    value = hotp_int(key, step, algo)
    if kind == "steam":
        out = ""
        for _ in range(5):
            out += STEAM_ALPHABET[value % len(STEAM_ALPHABET)]
            value //= len(STEAM_ALPHABET)
        return out
    return str(value % 10**digits).zfill(digits)


def b32(key):
    return base64.b32encode(key).decode().rstrip("=")


# Known keys: RFC 6238's test keys and fixed byte patterns.
K20 = b"12345678901234567890"
K32 = b"12345678901234567890123456789012"
K64 = K32 * 2
KA = bytes(range(1, 21))
KB = bytes(range(100, 116))
KC = bytes(range(200, 230))


def expected(issuer, account, kind, algo, digits, pc, key, aws=None):
    e = {
        "issuer": issuer,
        "account": account,
        "kind": kind,
        "algorithm": algo,
        "digits": digits,
        "secret": b32(key),
        "codes": {},
    }
    if kind == "hotp":
        e["counter"] = pc
        e["codes"]["counter"] = code(key, "hotp", algo, digits, pc, 0)
    else:
        e["period"] = pc
        for t in TIMES:
            e["codes"][str(t)] = code(key, kind, algo, digits, pc, t)
    if aws:
        e["aws"] = aws
    return e


def uri(kind, issuer, account, key, algo="SHA1", digits=6, period=None, counter=None):
    label = urllib.parse.quote(f"{issuer}:{account}" if issuer else account, safe="@:")
    q = {"secret": b32(key), "issuer": issuer, "algorithm": algo, "digits": digits}
    if period is not None:
        q["period"] = period
    if counter is not None:
        q["counter"] = counter
    return f"otpauth://{kind}/{label}?" + urllib.parse.urlencode(q, quote_via=urllib.parse.quote)


# ---- protobuf, by hand -----------------------------------------------------

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field(tag, wire, value):
    key = varint((tag << 3) | wire)
    if wire == 0:
        return key + varint(value)
    return key + varint(len(value)) + value


def otp_parameters(key, name, issuer, algo, digits, otp_type, counter=0):
    body = field(1, 2, key) + field(2, 2, name.encode()) + field(3, 2, issuer.encode())
    body += field(4, 0, algo) + field(5, 0, digits) + field(6, 0, otp_type)
    if counter:
        body += field(7, 0, counter)
    return body


def payload(params, batch_size=1, batch_index=0, batch_id=0):
    body = b"".join(field(1, 2, p) for p in params)
    body += field(2, 0, 1) + field(3, 0, batch_size) + field(4, 0, batch_index)
    if batch_id:
        body += field(5, 0, batch_id)
    return body


def migration(body, urlsafe=False):
    if urlsafe:
        data = base64.urlsafe_b64encode(body).decode()
    else:
        data = urllib.parse.quote(base64.b64encode(body).decode(), safe="")
    return "otpauth-migration://offline?data=" + data


# Migration enums: algorithm 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5;
# digits 1 SIX, 2 EIGHT; type 1 HOTP, 2 TOTP.

def main():
    os.makedirs(OUT, exist_ok=True)
    files = {}
    expect = {}

    # plain_list.txt: BOM, CRLF, comments and blank lines around every kind.
    lines = [
        "# FactorCat fixture: one token per line",
        "",
        uri("totp", "GitHub", "octocat", K20, period=30),
        uri("totp", "Example Bank", "alice@example.com", K32, algo="SHA256", digits=8, period=60),
        "   # an indented comment",
        uri("totp", "Big", "sha512", K64, algo="SHA512", digits=8, period=30),
        uri("hotp", "Counter Co", "bob", KA, counter=5),
        uri("totp", "Steam", "gamer", KB, digits=5, period=30).replace("otpauth://totp/", "otpauth://steam/"),
        uri("totp", "Amazon Web Services", "alice@123456789012", KC),
        "",
    ]
    files["plain_list.txt"] = "\ufeff" + "\r\n".join(lines)
    expect["plain_list.txt"] = [
        expected("GitHub", "octocat", "totp", "SHA1", 6, 30, K20),
        expected("Example Bank", "alice@example.com", "totp", "SHA256", 8, 60, K32),
        expected("Big", "sha512", "totp", "SHA512", 8, 30, K64),
        expected("Counter Co", "bob", "hotp", "SHA1", 6, 5, KA),
        expected("Steam", "gamer", "steam", "SHA1", 5, 30, KB),
        expected("Amazon Web Services", "alice@123456789012", "totp", "SHA1", 6, 30, KC,
                 aws={"account_id": "123456789012", "user": "alice", "partition": "aws"}),
    ]

    # migration_single.txt: one code, three accounts; the HOTP counter 41 is
    # Google Authenticator's last used value, so the next counter is 42.
    single = payload([
        otp_parameters(K20, "GitHub:octocat", "GitHub", 1, 1, 2),
        otp_parameters(K32, "alice", "Example Bank", 2, 2, 2),
        otp_parameters(KA, "Counter Co:bob", "Counter Co", 1, 1, 1, counter=41),
        otp_parameters(KC, "Amazon Web Services:alice@123456789012", "Amazon Web Services", 0, 0, 0),
    ])
    files["migration_single.txt"] = migration(single) + "\n"
    expect["migration_single.txt"] = [
        expected("GitHub", "octocat", "totp", "SHA1", 6, 30, K20),
        expected("Example Bank", "alice", "totp", "SHA256", 8, 30, K32),
        expected("Counter Co", "bob", "hotp", "SHA1", 6, 42, KA),
        expected("Amazon Web Services", "alice@123456789012", "totp", "SHA1", 6, 30, KC,
                 aws={"account_id": "123456789012", "user": "alice", "partition": "aws"}),
    ]

    # migration_batch.txt: an export split over three codes (URL-safe base64
    # for the second), given out of order.
    parts = [
        payload([otp_parameters(K20, "one", "Batch", 1, 1, 2)], 3, 0, 777),
        payload([otp_parameters(KA, "two", "Batch", 1, 1, 2)], 3, 1, 777),
        payload([otp_parameters(KB, "three", "Batch", 1, 1, 2)], 3, 2, 777),
    ]
    files["migration_batch.txt"] = "\n".join(
        [migration(parts[2]), migration(parts[0]), migration(parts[1], urlsafe=True)]) + "\n"
    expect["migration_batch.txt"] = [
        expected("Batch", "three", "totp", "SHA1", 6, 30, KB),
        expected("Batch", "one", "totp", "SHA1", 6, 30, K20),
        expected("Batch", "two", "totp", "SHA1", 6, 30, KA),
    ]

    # fail_migration_missing_part.txt: parts 1 and 3 of 3.
    files["fail_migration_missing_part.txt"] = "\n".join(
        [migration(parts[0]), migration(parts[2])]) + "\n"
    expect["fail_migration_missing_part.txt"] = {
        "tokens": 2, "failures": [[1, "part 2 of 3 of this export is missing"]]}

    # fail_bad_entries.txt: good lines around bad ones.
    bad_migration = payload([
        otp_parameters(K20, "md5", "Old", 4, 1, 2),
        otp_parameters(b"short", "tiny", "Short", 1, 1, 2),
        otp_parameters(KB, "fine", "Good", 1, 1, 2),
    ])
    files["fail_bad_entries.txt"] = "\n".join([
        uri("totp", "Good", "first", K20),
        "otpauth://totp/Bad:secret?secret=not*base32&issuer=Bad",
        "otpauth://yaotp/Yandex:me?secret=" + b32(K20),
        "otpauth://totp/Short:key?secret=" + b32(b"12345"),
        migration(bad_migration),
        "otpauth-migration://offline?data=" + base64.b64encode(single).decode()[:40],
        "otpauth://hotp/NoCounter:me?secret=" + b32(KA),
        uri("totp", "Good", "last", K32),
    ]) + "\n"
    expect["fail_bad_entries.txt"] = {
        "tokens": 3,
        "failures": [
            [2, "not valid base32"],
            [3, "yaotp"],
            [4, "only 5 bytes"],
            [5, "MD5"],
            [5, "only 5 bytes"],
            [6, "damaged"],
            [7, "no counter"],
        ],
    }

    # duplicates.txt: the same generator twice under other names.
    files["duplicates.txt"] = "\n".join([
        uri("totp", "GitHub", "octocat", K20),
        uri("totp", "GitHub (copy)", "octocat", K20),
        uri("totp", "Other", "x", KA),
    ]) + "\n"
    expect["duplicates.txt"] = {"tokens": 3, "distinct": 2}

    files["fail_empty.txt"] = "# nothing but a comment\n\n"

    for name, text in files.items():
        with open(os.path.join(OUT, name), "w", encoding="utf-8", newline="") as f:
            f.write(text)
    with open(os.path.join(OUT, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expect, f, indent=1, sort_keys=True)
        f.write("\n")

    write_bomb()


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def write_bomb():
    """A PNG whose header claims 60000x60000 grey pixels (3.6 GB decoded)
    over a few bytes of data: readers must refuse it from the header."""
    os.makedirs(QR_OUT, exist_ok=True)
    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 60001 * 4)
    png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")
    with open(os.path.join(QR_OUT, "fail_bomb.png"), "wb") as f:
        f.write(png)


if __name__ == "__main__":
    main()
