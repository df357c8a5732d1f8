#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into host/fuzz/corpus/<target>/.

Run from the repository root: python3 host/fuzz/make_seeds.py

Seeds come from the host's test data (host/tests/data) plus small inputs
written here for what the test data does not cover (frame streams, valid
requests of every operation, vault headers and bodies, FactorCat backups).
Output is deterministic. `cargo fuzz cmin` then keeps the ones that add
coverage (see docs/fuzzing.md).
"""

import base64
import hashlib
import json
import os
import re
import struct
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "host", "tests", "data")
OUT = os.path.join(ROOT, "host", "fuzz", "corpus")

IMPORT_DIRS = {
    "import_aegis": "aegis",
    "import_twofas": "2fas",
    "import_andotp": "andotp",
    "import_authenticator": "authenticator",
    "import_bitwarden": "bitwarden",
    "import_freeotp": "freeotp-plus",
    "import_proton": "proton",
    "import_otpauth": "otpauth",
}

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
TOKEN_ID = "00000000-0000-4000-8000-000000000001"


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def bad_requests():
    """The bodies of bad_requests.txt, decoded as its header describes."""
    bodies = []
    with open(os.path.join(DATA, "bad_requests.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            _, _, body = line.partition("\t")
            nest = re.fullmatch(r"<NEST:(\d+)>", body)
            if nest:
                n = min(int(nest.group(1)), 300)
                bodies.append(b"[" * n + b"]" * n)
                continue
            out = bytearray()
            i = 0
            raw = body.encode()
            while i < len(raw):
                if raw[i : i + 2] == b"\\x":
                    out.append(int(raw[i + 2 : i + 4], 16))
                    i += 4
                elif raw[i : i + 2] == b"\\n":
                    out.append(10)
                    i += 2
                else:
                    out.append(raw[i])
                    i += 1
            bodies.append(bytes(out))
    return bodies


def good_requests():
    b64 = base64.b64encode(
        f"otpauth://totp/GitHub:me?secret={SECRET}&issuer=GitHub\n".encode()
    ).decode()
    stored = "00000000-0000-4000-8000-000000000001"
    hotp = "00000000-0000-4000-8000-000000000003"
    requests = [
        {"id": 1, "type": "hello", "protocol": 1},
        {"id": 2, "type": "list"},
        {"id": 3, "type": "list", "offset": 1, "limit": 2},
        {"id": 4, "type": "match", "url": "https://github.com/login"},
        {
            "id": 5,
            "type": "match",
            "url": "https://signin.aws.amazon.com/oauth",
            "hint": {"aws": {"account": "123456789012", "user": "alice"}},
        },
        {"id": 6, "type": "code", "token": stored},
        {"id": 7, "type": "code", "token": stored, "for_fill": True},
        {"id": 8, "type": "code", "token": hotp},
        {"id": 9, "type": "enroll_codes", "token": stored},
        {"id": 10, "type": "add", "uri": f"otpauth://totp/X:y?secret={SECRET}"},
        {
            "id": 11,
            "type": "add",
            "issuer": "Bank",
            "account": "me",
            "secret": SECRET,
            "kind": "hotp",
            "counter": 3,
            "digits": 8,
            "algorithm": "SHA256",
            "sites": ["bank.example"],
            "tags": ["money"],
            "pinned": True,
            "aws": {"account_id": "123456789012", "user": "bob", "partition": "aws-us-gov"},
        },
        {"id": 12, "type": "update", "token": stored, "issuer": "GH", "sites": ["github.com"], "aws": None},
        {"id": 13, "type": "remove", "token": stored},
        {"id": 14, "type": "import", "file": b64, "dry_run": True},
        {"id": 15, "type": "import", "file": "data:text/plain;base64," + b64, "format": "otpauth", "skip_bad": True},
        {"id": 16, "type": "decode_qr", "image": "iVBORw0KGgo="},
    ]
    return [json.dumps(r, separators=(",", ":")).encode() for r in requests]


def frame(body, length=None):
    return struct.pack("<I", len(body) if length is None else length) + body


def vault_header_json(slots):
    return json.dumps(
        {
            "format": "factorcat-vault",
            "version": 1,
            "id": TOKEN_ID,
            "nonce": base64.b64encode(bytes(range(24))).decode(),
            "slots": slots,
        },
        separators=(",", ":"),
    ).encode()


KEYRING_SLOT = {
    "type": "keyring",
    "nonce": base64.b64encode(bytes(24)).decode(),
    "key": base64.b64encode(bytes(range(48))).decode(),
}
PASSPHRASE_SLOT = {
    "type": "passphrase",
    "kdf": "argon2id",
    "m_kib": 65536,
    "t": 3,
    "p": 1,
    "salt": base64.b64encode(bytes(32)).decode(),
    "nonce": base64.b64encode(bytes(24)).decode(),
    "key": base64.b64encode(bytes(48)).decode(),
}


def vault_file(header, body=bytes(40)):
    check = hashlib.blake2s(header).hexdigest().encode()
    return b"factorcat-vault\n" + header + b"\n" + check + b"\n" + body


def token(**extra):
    t = {
        "id": TOKEN_ID,
        "issuer": "GitHub",
        "account": "octocat",
        "secret": SECRET,
        "algorithm": "SHA1",
        "digits": 6,
        "kind": {"type": "totp", "period": 30},
        "sites": ["github.com"],
        "tags": [],
        "pinned": False,
        "created": 1700000000,
        "updated": 1700000000,
    }
    t.update(extra)
    return t


def body(tokens, tombstones=(), fills=None):
    index = [{k: t[k] for k in ("id", "issuer", "account") if k in t} for t in tokens]
    head = {"tombstones": list(tombstones), "fills": fills or {}, "index": index}
    lines = [json.dumps(head, separators=(",", ":"))]
    lines += [json.dumps(t, separators=(",", ":")) for t in tokens]
    return "\n".join(lines).encode()


def cheap(folder, name, data):
    """The fixture with its key-derivation cost lowered where the file
    chooses it: the real costs (scrypt 2^15, 140,000 PBKDF2 rounds) would
    spend the fuzzer's time in the KDF. The password then no longer opens
    the file, which the real fixtures' own tests cover."""
    if folder == "aegis" and name.startswith("encrypted"):
        top = json.loads(data)
        for slot in top["header"]["slots"]:
            if slot.get("type") == 1:
                slot.update(n=16, r=1, p=1)
        return json.dumps(top, indent=1).encode()
    if folder == "andotp" and name.startswith("encrypted.") and len(data) > 4:
        return struct.pack(">I", 1) + data[4:]
    return data


def varint(n):
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n == 0:
            out.append(low)
            return bytes(out)
        out.append(low | 0x80)


def text(t):
    t = t.encode()
    return varint(len(t)) + t


def opt_text(t):
    return b"\x00" if t is None else b"\x01" + text(t)


def compact_entry(version, length, token_id, issuer, account, aws=None, sites=(), pinned=False,
                  algorithm=0, digits=6, kind=(0, 30), tags=(), created=1700000000, updated=1700000000):
    """One entry of a version-3 index (docs/vault.md §3.2), with its length."""
    body = varint(version) + varint(length) + bytes.fromhex(token_id.replace("-", ""))
    body += text(issuer) + text(account)
    if aws is None:
        body += b"\x00"
    else:
        body += b"\x01" + b"".join(opt_text(aws.get(k)) for k in ("account_id", "account_alias", "user"))
        body += bytes([aws.get("partition", 0)])
        body += b"".join(opt_text(aws.get(k)) for k in ("sso_start_url", "sso_directory", "mfa_serial"))
    body += varint(len(sites)) + b"".join(text(x) for x in sites)
    body += bytes([int(pinned), algorithm, digits, kind[0]]) + varint(kind[1])
    body += varint(len(tags)) + b"".join(text(x) for x in tags)
    body += varint(created) + varint(updated)
    return varint(len(body)) + body


def compact_index(entries):
    return varint(len(entries)) + b"".join(entries)


def main():
    # Frames and requests.
    bad = bad_requests()
    good = good_requests()
    for i, b in enumerate(bad):
        write("request", f"bad_{i:02}", b)
    for i, b in enumerate(good):
        write("request", f"good_{i:02}", b)
    write("frame", "empty", b"")
    write("frame", "one", frame(good[0]))
    write("frame", "several", b"".join(frame(b) for b in good[:4] + bad[:3]))
    write("frame", "empty_body", frame(b"") + frame(good[1]))
    write("frame", "truncated_length", frame(good[0]) + b"\x05\x00")
    write("frame", "truncated_body", frame(good[0])[:-3])
    write("frame", "too_large", frame(b"{}", length=(1 << 20) + 1))
    write("frame", "at_limit", frame(b"{}", length=1 << 20))

    # otpauth URIs.
    with open(os.path.join(DATA, "otpauth", "accept.jsonl"), encoding="utf-8") as f:
        for i, line in enumerate(f):
            write("otpauth", f"accept_{i:02}", json.loads(line)["uri"])
    with open(os.path.join(DATA, "otpauth", "refuse.tsv"), encoding="utf-8") as f:
        rows = [l.rstrip("\n").split("\t", 2) for l in f if not l.startswith("#")]
        for i, row in enumerate(r for r in rows if len(r) == 3):
            write("otpauth", f"refuse_{i:02}", row[2])

    # Importers: every fixture of the format (not the expectations).
    for target, folder in IMPORT_DIRS.items():
        path = os.path.join(DATA, "import", folder)
        for name in sorted(os.listdir(path)):
            if name == "README.md" or name == "password.txt" or name.startswith("expected"):
                continue
            if os.path.getsize(os.path.join(path, name)) > 32 * 1024:
                continue  # entry-count limits; the importers' tests cover them
            with open(os.path.join(path, name), "rb") as f:
                data = cheap(folder, name, f.read())
            write(target, name, data)
            if not name.startswith("fail_"):
                write("import_detect", f"{folder}_{name}", data)
    tokens = [
        token(),
        token(
            id="00000000-0000-4000-8000-000000000002",
            issuer="Amazon Web Services",
            account="alice",
            aws={"account_id": "123456789012", "user": "alice", "partition": "aws"},
            sites=["signin.aws.amazon.com"],
        ),
        token(
            id="00000000-0000-4000-8000-000000000003",
            kind={"type": "hotp", "counter": 5},
            digits=8,
            algorithm="SHA512",
            tags=["bank"],
            pinned=True,
        ),
        token(id="00000000-0000-4000-8000-000000000004", kind={"type": "steam"}, digits=5),
    ]
    backup = {"format": "factorcat-backup", "version": 1, "created": 1700000000, "encryption": None, "tokens": tokens}
    write("import_factorcat", "plain.json", json.dumps(backup, indent=2))
    write("import_detect", "factorcat_plain.json", json.dumps(backup, indent=2))
    encrypted = {
        "format": "factorcat-backup",
        "version": 1,
        "created": 1700000000,
        "encryption": {
            "kdf": {"name": "argon2id", "m_kib": 8, "t": 1, "p": 1, "salt": base64.b64encode(bytes(32)).decode()},
            "cipher": "xchacha20poly1305",
            "nonce": base64.b64encode(bytes(24)).decode(),
        },
        "ciphertext": base64.b64encode(bytes(64)).decode(),
    }
    write("import_factorcat", "encrypted_wrong.json", json.dumps(encrypted, indent=2))
    backup["version"] = 2
    write("import_factorcat", "version_2.json", json.dumps(backup))

    # Vault file headers: whole files (first byte even) and header lines
    # whose check line the target writes (first byte odd).
    for name, slots in [
        ("keyring", [KEYRING_SLOT]),
        ("passphrase", [PASSPHRASE_SLOT]),
        ("both", [KEYRING_SLOT, PASSPHRASE_SLOT]),
    ]:
        header = vault_header_json(slots)
        write("vault_header", f"file_{name}", b"\x00" + vault_file(header))
        write("vault_header", f"line_{name}", b"\x01" + header + b"\n" + bytes(32))
    write("vault_header", "line_version_2", b"\x01" + vault_header_json([KEYRING_SLOT]).replace(b'"version":1', b'"version":2') + b"\n" + bytes(16))
    write("vault_header", "file_bad_check", b"\x00" + vault_file(vault_header_json([KEYRING_SLOT])).replace(b"\n", b"\nx", 2))

    # Decrypted vault bodies.
    write("vault_body", "empty_head", b'{"index":[]}')
    write("vault_body", "four_tokens", body(tokens, tombstones=[{"id": "00000000-0000-4000-8000-0000000000ff", "deleted": 1700000001}], fills={TOKEN_ID: 56666667}))
    write("vault_body", "odd_params", body([token(digits=200), token(id="00000000-0000-4000-8000-000000000009", kind={"type": "totp", "period": 0}, digits=0)]))
    write("vault_body", "index_mismatch", body(tokens[:1]) + b"\n" + json.dumps(tokens[1]).encode())

    # Version-3 (binary) indexes: the test vector's, an empty one, every
    # kind and AWS field, and an entry with a byte too many.
    with open(os.path.join(DATA, "vault", "v3-two-tokens.json"), encoding="utf-8") as f:
        write("vault_compact_index", "vector_v3_two_tokens", bytes.fromhex(json.load(f)["index_plaintext_hex"]))
    write("vault_compact_index", "empty", compact_index([]))
    aws = {"account_id": "123456789012", "account_alias": "my-alias", "user": "alice", "partition": 1,
           "sso_start_url": "https://x.awsapps.com/start", "sso_directory": "d-0123456789",
           "mfa_serial": "arn:aws-us-gov:iam::123456789012:mfa/alice"}
    kinds = [
        compact_entry(1, 90, TOKEN_ID, "Amazon Web Services", "alice@123456789012", aws=aws,
                      sites=["aws.amazon.com"], pinned=True, algorithm=2, digits=8, kind=(1, 12), tags=["work"]),
        compact_entry(1, 90, "00000000-0000-4000-8000-000000000002", "Steam", "gabe", kind=(2, 0)),
        compact_entry(2, 90, "00000000-0000-4000-8000-000000000003", "GitHub", "octocat", sites=["github.com"]),
    ]
    write("vault_compact_index", "every_kind", compact_index(kinds))
    extra = compact_entry(1, 90, TOKEN_ID, "GitHub", "octocat")
    write("vault_compact_index", "entry_too_long", compact_index([varint(len(extra)) + extra[1:] + b"\x00"]))

    # Ledger plaintexts (vault.md §11.1): empty, as encode writes them, and
    # the malformed kinds the decoder refuses.
    def ledger(fills, clocks, fill_count=None, clock_count=None):
        out = struct.pack("<I", len(fills) if fill_count is None else fill_count)
        for token_id, step in fills:
            out += bytes.fromhex(token_id.replace("-", "")) + struct.pack("<Q", step)
        out += struct.pack("<I", len(clocks) if clock_count is None else clock_count)
        for name, offset_ms, error_ms, measured in clocks:
            out += struct.pack("<H", len(name)) + name + struct.pack("<qQQ", offset_ms, error_ms, measured)
        return out
    second = "00000000-0000-4000-8000-000000000002"
    write("vault_ledger", "empty", ledger([], []))
    write("vault_ledger", "fills_and_clocks", ledger([(TOKEN_ID, 58812345), (second, 2**64 - 1)],
                                                    [(b"aws", -120500, 700, 1765000000), (b"aws-cn", 4000, 500, 1765000100)]))
    write("vault_ledger", "ids_out_of_order", ledger([(second, 1), (TOKEN_ID, 2)], []))
    write("vault_ledger", "count_past_the_end", ledger([(TOKEN_ID, 1)], [], fill_count=2**32 - 1))
    write("vault_ledger", "name_not_utf8", ledger([], [(b"\xff\xfe", 0, 0, 0)]))


if __name__ == "__main__":
    sys.exit(main())
