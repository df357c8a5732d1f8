//! Format version 2: the committed test vectors (`host/tests/data/vault/`,
//! described in `docs/vault.md` §3.5), record sealing and re-sealing, the
//! MUST-reject rules of the records, and the conversion of a version-1
//! file by the first write.
//!
//! The vectors are made by `write_vectors` (run with
//! `FACTORCAT_WRITE_VECTORS=1`); every other test only reads them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use serde_json::{Value, json};
use uuid::Uuid;

use super::*;
use crate::secret::Secret;
use crate::token::{AwsContext, Kind, Partition};
use crate::vault::slot::passphrase_slot;
use crate::vault::{KdfParams, Tombstone, Unlock, Vault, codec};

const PASSPHRASE: &str = "factorcat test vector";
const KDF: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/vault")
}

/// The contents of the vectors: a TOTP token, an AWS token, a tombstone
/// and a fill.
fn sample() -> VaultData {
    let mut github = Token::new(
        "GitHub",
        "octocat",
        Secret::from_base32("JBSWY3DPEHPK3PXP").unwrap(),
    );
    github.id = Uuid::from_u128(0x1111_1111_1111_4111_8111_1111_1111_1111);
    github.sites = vec!["github.com".into()];
    github.created = 1_764_370_000;
    github.updated = 1_764_370_000;
    let mut aws = Token::new(
        "Amazon Web Services",
        "alice@123456789012",
        Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap(),
    );
    aws.id = Uuid::from_u128(0x2222_2222_2222_4222_8222_2222_2222_2222);
    aws.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("alice".into()),
        partition: Partition::Aws,
        ..AwsContext::default()
    });
    aws.sites = vec!["aws.amazon.com".into()];
    aws.created = 1_764_370_100;
    aws.updated = 1_764_370_100;
    let mut data = VaultData::default();
    data.insert(github);
    data.insert(aws.clone());
    data.tombstones.push(Tombstone {
        id: Uuid::from_u128(0x3333_3333_3333_4333_8333_3333_3333_3333),
        deleted: 1_764_370_200,
        seen: Default::default(),
    });
    data.fills.insert(aws.id, 58_812_345);
    data
}

const VAULT_ID: Uuid = Uuid::from_u128(0xd199_fb7b_b0c2_4fe2_9e9f_1f62_0cb9_7418);

fn master() -> Key {
    Key::from_slice(
        &HEXLOWER
            .decode(b"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
            .unwrap(),
    )
    .unwrap()
}

/// Opens the vault file `file` (copied into a fresh directory) with the
/// vectors' passphrase.
fn open_file(bytes: &[u8]) -> (tempfile::TempDir, Vault, Result<VaultData, VaultError>) {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::at(dir.path()).with_key_cache(false);
    std::fs::write(vault.file(), bytes).unwrap();
    let read = vault.read(&Unlock::with_passphrase(PASSPHRASE));
    (dir, vault, read)
}

fn same(a: &VaultData, b: &VaultData) {
    assert_eq!(a.tokens, b.tokens);
    assert_eq!(a.tombstones, b.tombstones);
    assert_eq!(a.fills, b.fills);
}

/// Parses a file and opens its index with the vectors' key.
fn opened(bytes: &mut [u8]) -> Parsed {
    let path = Path::new("vector.vault");
    let parsed = codec::parse(path, bytes).unwrap();
    let (head, rest) = bytes.split_at_mut(parsed.sealed.start);
    let mut body = codec::Body {
        nonce: &parsed.header.nonce,
        aad: &head[parsed.aad.clone()],
        bytes: &mut rest[..parsed.sealed.len()],
    };
    assert!(body.decrypt(&master()));
    parsed
}

/// Writes the version-3 vectors. Run on purpose only:
/// `FACTORCAT_WRITE_VECTORS=1 cargo test -p factorcat --lib write_vectors`.
/// The version-1 and version-2 vectors were written by earlier builds (this
/// one writes neither version) and are kept as they are: every build must
/// read them.
#[test]
fn write_vectors() {
    if std::env::var_os("FACTORCAT_WRITE_VECTORS").is_none() {
        return;
    }
    write_set(IndexCodec::Compact);
}

/// The entries of a file whose index was decrypted in place.
fn entries(bytes: &[u8], parsed: &Parsed) -> Vec<Full> {
    parse_index(Path::new("vector.vault"), parsed, bytes).unwrap()
}

/// The index plaintext as a vector's description shows it: the text of a
/// JSON index, the hexadecimal bytes of a binary one.
fn shown_index(codec: IndexCodec, plain: &[u8]) -> (&'static str, Value) {
    match codec {
        IndexCodec::Json => (
            "index_plaintext",
            std::str::from_utf8(plain).unwrap().into(),
        ),
        IndexCodec::Compact => ("index_plaintext_hex", HEXLOWER.encode(plain).into()),
    }
}

/// Writes the vectors of the version of `codec`: a file of two tokens, its
/// description, and the must-reject files made from it.
fn write_set(codec: IndexCodec) {
    let v = codec.version();
    let path = Path::new("factorcat.vault");
    let dir = vectors();
    std::fs::create_dir_all(&dir).unwrap();
    let slot = passphrase_slot(path, VAULT_ID, &master(), PASSPHRASE, KDF).unwrap();
    let slots = vec![slot];
    let data = sample();
    // Generation 1 seals both records; generation 2 changes the AWS token
    // only (its time of change, so its record keeps its length), and the
    // GitHub record keeps version 1.
    let write = |generation, data: &VaultData, previous| {
        let at = (VAULT_ID, generation);
        encode_as(codec, path, at, &slots, &master(), data, previous).unwrap()
    };
    let first = write(1, &data, None);
    let mut bytes = first.to_vec();
    let parsed = opened(&mut bytes);
    let (_, previous) = decode(path, &parsed, &bytes, &master()).unwrap();
    let mut changed = data.clone();
    changed.tokens[1].updated += 1;
    let second = write(2, &changed, Some((&previous, &bytes)));
    let name = format!("v{v}-two-tokens");
    std::fs::write(dir.join(format!("{name}.vault")), &second[..]).unwrap();
    let mut plain = second.to_vec();
    let parsed = opened(&mut plain);
    let Layout::Split {
        data: data_at,
        records,
        ..
    } = parsed.layout.clone()
    else {
        unreachable!()
    };
    let header = &plain[parsed.aad.clone()];
    let data_plain = open(&master(), &plain[data_at], &data_aad(header)).unwrap();
    let mut at = records;
    let entries = entries(&plain, &parsed);
    let mut record_list = Vec::new();
    for entry in &entries {
        let range = at..at + entry.at.len as usize;
        at = range.end;
        let aad = record_aad(VAULT_ID, entry.meta.id, entry.at.version);
        let record = open(&master(), &plain[range.clone()], aad.as_bytes()).unwrap();
        record_list.push(json!({
            "id": entry.meta.id,
            "version": entry.at.version,
            "offset": range.start,
            "length": range.len(),
            "aad": aad,
            "plaintext": std::str::from_utf8(&record).unwrap(),
        }));
    }
    let index_plain = plain[parsed.plaintext()].to_vec();
    let (index_key, index_shown) = shown_index(codec, &index_plain);
    let mut description = json!({
        "file": format!("{name}.vault"),
        "passphrase": PASSPHRASE,
        "master_key_hex": HEXLOWER.encode(master().expose()),
        "generation": 2,
        "data_plaintext": std::str::from_utf8(&data_plain).unwrap(),
        "records": record_list,
    });
    description[index_key] = index_shown;
    std::fs::write(
        dir.join(format!("{name}.json")),
        serde_json::to_string_pretty(&description).unwrap() + "\n",
    )
    .unwrap();

    // Must-reject files, each made from the good one.
    let fail = |what: &str, bytes: &[u8]| {
        std::fs::write(dir.join(format!("fail_v{v}-{what}.vault")), bytes).unwrap()
    };
    let good = second.to_vec();
    let (first_record, second_record) = {
        let r: Vec<&Value> = description["records"].as_array().unwrap().iter().collect();
        let range = |v: &Value| {
            let start = v["offset"].as_u64().unwrap() as usize;
            start..start + v["length"].as_u64().unwrap() as usize
        };
        (range(r[0]), range(r[1]))
    };
    // The two records in each other's places (lengths kept by the index
    // would not fit, so the whole tail is swapped and the index left).
    let mut swapped = good[..first_record.start].to_vec();
    swapped.extend_from_slice(&good[second_record.clone()]);
    swapped.extend_from_slice(&good[first_record.clone()]);
    fail("swapped-records", &swapped);
    // The AWS record of generation 1 in place of its generation-2 version.
    let old = first.to_vec();
    let mut old_plain = old.clone();
    let old_parsed = opened(&mut old_plain);
    let Layout::Split {
        records: old_at, ..
    } = old_parsed.layout
    else {
        unreachable!()
    };
    let old_entries = self::entries(&old_plain, &old_parsed);
    let old_aws = old_at + old_entries[0].at.len as usize..old.len();
    let mut rolled = good.clone();
    rolled[second_record.clone()].copy_from_slice(&old[old_aws]);
    fail("rolled-back-record", &rolled);
    // A record of another vault (same key, same token, same version).
    let other = Uuid::from_u128(VAULT_ID.as_u128() ^ 1);
    let record_plain = description["records"][0]["plaintext"].as_str().unwrap();
    let mut foreign = Vec::with_capacity(first_record.len());
    let aad = record_aad(other, entries[0].meta.id, entries[0].at.version);
    seal(&mut foreign, &master(), aad.as_bytes(), |out| {
        out.extend_from_slice(record_plain.as_bytes());
        Ok(())
    })
    .unwrap();
    let mut from_other = good.clone();
    from_other[first_record.clone()].copy_from_slice(&foreign);
    fail("record-of-another-vault", &from_other);
    // Cut off inside the last record; one byte too many.
    fail("truncated", &good[..good.len() - 1]);
    let mut longer = good.clone();
    longer.push(0);
    fail("trailing-byte", &longer);
    // An index that authenticates but is cut off inside its last entry,
    // with the same data part and records.
    let plaintexts: Vec<(Uuid, u64, &[u8])> = description["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap().parse().unwrap();
            let text = r["plaintext"].as_str().unwrap().as_bytes();
            (id, r["version"].as_u64().unwrap(), text)
        })
        .collect();
    let short_index = &index_plain[..index_plain.len() - 1];
    let malformed = assemble(
        codec,
        &master(),
        VAULT_ID,
        2,
        &slots,
        short_index,
        &data_plain,
        &plaintexts,
    );
    fail("malformed-index", &malformed);
}

#[test]
fn the_vectors_open_to_their_contents() {
    let dir = vectors();
    let mut expected = sample();
    expected.tokens[1].updated += 1;
    for name in [
        "v3-two-tokens.vault",
        "v2-two-tokens.vault",
        "v1-two-tokens.vault",
    ] {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let (_dir, _, read) = open_file(&bytes);
        let mut want = expected.clone();
        if name.starts_with("v1") {
            want.tokens[1].updated -= 1;
        }
        same(&read.unwrap(), &want);
    }
    for codec in [IndexCodec::Json, IndexCodec::Compact] {
        let name = format!("v{}-two-tokens", codec.version());
        let description: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap(),
        )
        .unwrap();
        // The documented plaintexts are what the file holds, under the
        // documented key and associated data.
        let mut bytes = std::fs::read(dir.join(format!("{name}.vault"))).unwrap();
        let parsed = opened(&mut bytes);
        assert_eq!(parsed.header.generation, 2);
        assert!(matches!(parsed.layout, Layout::Split { index, .. } if index == codec));
        let (key, shown) = shown_index(codec, &bytes[parsed.plaintext()]);
        assert_eq!(shown, description[key], "{name}");
        for record in description["records"].as_array().unwrap() {
            let start = record["offset"].as_u64().unwrap() as usize;
            let range = start..start + record["length"].as_u64().unwrap() as usize;
            let aad = record["aad"].as_str().unwrap();
            assert!(aad.starts_with("factorcat-vault/2 record "), "{aad}");
            let plain = open(&master(), &bytes[range], aad.as_bytes()).unwrap();
            assert_eq!(std::str::from_utf8(&plain).unwrap(), record["plaintext"]);
        }
        let versions: Vec<u64> = description["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["version"].as_u64().unwrap())
            .collect();
        assert_eq!(versions, [1, 2], "the unchanged record kept its version");
    }
}

#[test]
fn every_fail_vector_is_refused_as_corrupt() {
    let mut names: Vec<String> = std::fs::read_dir(vectors())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("fail_"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 11, "{names:?}");
    for name in names {
        let bytes = std::fs::read(vectors().join(&name)).unwrap();
        let (_dir, vault, read) = open_file(&bytes);
        let error = read.err().unwrap_or_else(|| panic!("{name} was accepted"));
        assert_eq!(error.code().as_str(), "vault_corrupt", "{name}: {error}");
        // Nothing is written over a file that does not open.
        let unlock = Unlock::with_passphrase(PASSPHRASE);
        let update = vault.update(&unlock, |_| Ok::<_, VaultError>(()));
        assert!(update.is_err(), "{name}: an update went through");
        assert_eq!(
            std::fs::read(vault.file()).unwrap(),
            bytes,
            "{name} was changed"
        );
        assert!(!vault.prev_file().exists(), "{name}: a write happened");
        // A look-up by id, which reads only the places and ids of the
        // index, still refuses the file for one of the tokens at least.
        let refused = sample().tokens.iter().any(|t| {
            vault
                .read_id_with_clock(&unlock, t.id)
                .is_err_and(|e| e.code().as_str() == "vault_corrupt")
        });
        assert!(refused, "{name}: every look-up by id went through");
    }
}

#[test]
fn a_look_up_by_id_finds_each_token_of_every_version_and_nothing_else() {
    let unlock = Unlock::with_passphrase(PASSPHRASE);
    for name in [
        "v3-two-tokens.vault",
        "v2-two-tokens.vault",
        "v1-two-tokens.vault",
    ] {
        let bytes = std::fs::read(vectors().join(name)).unwrap();
        let (_dir, vault, read) = open_file(&bytes);
        let all = read.unwrap();
        assert_eq!(all.tokens.len(), 2, "{name}");
        for token in &all.tokens {
            let (found, clocks) = vault
                .read_id_with_clock(&unlock, token.id)
                .unwrap()
                .unwrap();
            assert_eq!(&found, token, "{name}");
            assert_eq!(clocks, all.clock, "{name}");
        }
        let unknown = vault.read_id_with_clock(&unlock, Uuid::new_v4()).unwrap();
        assert!(unknown.is_none(), "{name}");
    }
}

#[test]
fn a_write_seals_only_the_records_it_changed() {
    let path = Path::new("factorcat.vault");
    let slot = passphrase_slot(path, VAULT_ID, &master(), PASSPHRASE, KDF).unwrap();
    let slots = vec![slot];
    let mut data = sample();
    for n in 0..5u8 {
        data.insert(Token::new(
            format!("Issuer {n}"),
            "me",
            Secret::from_bytes(vec![n; 20]).unwrap(),
        ));
    }
    let first = encode(path, VAULT_ID, 7, &slots, &master(), &data, None).unwrap();
    let mut bytes = first.to_vec();
    let parsed = opened(&mut bytes);
    let (read, previous) = decode(path, &parsed, &bytes, &master()).unwrap();
    same(&read, &data);
    let records = |bytes: &[u8], parsed: &Parsed| -> Vec<(u64, Vec<u8>)> {
        let entries = entries(bytes, parsed);
        let ranges =
            record_ranges(path, parsed, bytes.len(), entries.iter().map(|e| e.at)).unwrap();
        entries
            .iter()
            .zip(ranges)
            .map(|(e, r)| (e.at.version, bytes[r].to_vec()))
            .collect()
    };
    let before = records(&bytes, &parsed);
    assert!(before.iter().all(|(v, _)| *v == 7));

    let mut changed = read.clone();
    changed.tokens[3].account = "renamed".into();
    changed.fills.insert(changed.tokens[0].id, 99);
    let second = encode(
        path,
        VAULT_ID,
        8,
        &slots,
        &master(),
        &changed,
        Some((&previous, &bytes)),
    )
    .unwrap();
    let mut again = second.to_vec();
    let parsed_again = opened(&mut again);
    let after = records(&again, &parsed_again);
    for (i, ((v0, r0), (v1, r1))) in before.iter().zip(&after).enumerate() {
        if i == 3 {
            assert_eq!(*v1, 8, "the changed record has the new version");
            assert_ne!(r0, r1);
        } else {
            assert_eq!((v0, r0), (v1, r1), "record {i} was sealed again");
        }
    }
    let (decoded, _) = decode(path, &parsed_again, &again, &master()).unwrap();
    same(&decoded, &changed);
}

#[test]
fn the_first_write_converts_version_1_and_keeps_it_as_prev() {
    let v1 = std::fs::read(vectors().join("v1-two-tokens.vault")).unwrap();
    let (_dir, vault, read) = open_file(&v1);
    let data = read.unwrap();
    same(&data, &sample());
    assert_eq!(vault.generation().unwrap(), 0);
    let unlock = Unlock::with_passphrase(PASSPHRASE);
    let added = Token::new("New", "one", Secret::from_bytes(vec![9; 20]).unwrap());
    vault
        .update(&unlock, |d: &mut VaultData| {
            d.insert(added.clone());
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(
        std::fs::read(vault.prev_file()).unwrap(),
        v1,
        ".prev is the version-1 file"
    );
    let now = std::fs::read(vault.file()).unwrap();
    assert!(now.starts_with(b"factorcat-vault\n{\"format\":\"factorcat-vault\",\"version\":3,"));
    assert_eq!(vault.generation().unwrap(), 1);
    let mut want = sample();
    want.insert(added);
    // Tokens and the fill record come through whole. (The tombstone, of
    // 2025, is old enough for the write's own pruning of removals every
    // machine has seen; the format carries tombstones: see the vectors.)
    let read = vault.read(&unlock).unwrap();
    assert_eq!(read.tokens, want.tokens);
    assert_eq!(read.fills, want.fills);
    // The passphrase slot came along: the same passphrase opens it, with
    // every token, the tombstone and the fill record.
    assert_eq!(vault.id().unwrap(), VAULT_ID);
}

/// Each record of a file, by token id: its version and sealed bytes.
fn sealed_records(file: &[u8]) -> HashMap<Uuid, (u64, Vec<u8>)> {
    let mut bytes = file.to_vec();
    let parsed = opened(&mut bytes);
    let entries = entries(&bytes, &parsed);
    let path = Path::new("vector.vault");
    let ranges = record_ranges(path, &parsed, bytes.len(), entries.iter().map(|e| e.at)).unwrap();
    entries
        .iter()
        .zip(ranges)
        .map(|(e, r)| (e.meta.id, (e.at.version, file[r].to_vec())))
        .collect()
}

#[test]
fn the_first_write_converts_version_2_and_keeps_it_as_prev() {
    // A version-2 file with a recent tombstone, a fill, a clock offset and
    // a machine, none of which a write may lose.
    let now = crate::token::now_unix();
    let path = Path::new("factorcat.vault");
    let slots = vec![passphrase_slot(path, VAULT_ID, &master(), PASSPHRASE, KDF).unwrap()];
    let mut data = sample();
    data.tombstones[0].deleted = now - 10;
    let machine = Uuid::from_u128(0x4444_4444_4444_4444_8444_4444_4444_4444);
    data.machines.insert(machine, now - 20);
    data.clock.insert(
        "aws".into(),
        crate::clock::ClockOffset {
            offset_ms: 1_500,
            error_ms: 40,
            measured: now - 30,
        },
    );
    let at = (VAULT_ID, 5);
    let v2 = encode_as(IndexCodec::Json, path, at, &slots, &master(), &data, None).unwrap();
    assert!(v2.starts_with(b"factorcat-vault\n{\"format\":\"factorcat-vault\",\"version\":2,"));
    let (_dir, vault, read) = open_file(&v2);
    same(&read.unwrap(), &data);
    let unlock = Unlock::with_passphrase(PASSPHRASE);
    let github = data.tokens[0].id;
    vault
        .update(&unlock, |d: &mut VaultData| {
            d.fills.insert(github, 58_812_400);
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(
        std::fs::read(vault.prev_file()).unwrap(),
        &v2[..],
        ".prev is the version-2 file"
    );
    let v3 = std::fs::read(vault.file()).unwrap();
    assert!(v3.starts_with(b"factorcat-vault\n{\"format\":\"factorcat-vault\",\"version\":3,"));
    assert_eq!(vault.generation().unwrap(), 6);
    let read = vault.read(&unlock).unwrap();
    let mut want = data.clone();
    want.fills.insert(github, 58_812_400);
    assert_eq!(read.tokens, want.tokens);
    assert_eq!(read.fills, want.fills);
    // The write marks the removal as seen by this machine.
    let removed = |d: &VaultData| -> Vec<(Uuid, u64)> {
        d.tombstones.iter().map(|t| (t.id, t.deleted)).collect()
    };
    assert_eq!(removed(&read), removed(&want));
    assert_eq!(read.clock, want.clock);
    assert_eq!(read.machines.get(&machine), Some(&(now - 20)));
    // The records moved over as they were sealed: same bytes, same versions.
    assert_eq!(sealed_records(&v3), sealed_records(&v2));
}

#[test]
fn the_index_holds_every_field_of_a_token_but_its_secret() {
    let mut token = sample().tokens[1].clone();
    token.tags = vec!["a".into()];
    token.pinned = true;
    token.kind = Kind::Hotp { counter: 12 };
    let keys: Vec<String> = match serde_json::to_value(&token).unwrap() {
        Value::Object(map) => map.keys().cloned().collect(),
        _ => unreachable!(),
    };
    // A field added to Token must be added to TokenMeta and to the index
    // entry (index.rs) too, or matching and listing would not show it.
    let mut expected = vec![
        "account",
        "algorithm",
        "aws",
        "created",
        "digits",
        "id",
        "issuer",
        "kind",
        "pinned",
        "secret",
        "sites",
        "tags",
        "updated",
    ];
    expected.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, expected);
    // Every field comes back from either encoding, for each kind, with
    // every AWS field set.
    token.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        account_alias: Some("ünïcode-alias".into()),
        user: Some("alice".into()),
        partition: Partition::AwsUsGov,
        sso_start_url: Some("https://x.awsapps.com/start".into()),
        sso_directory: Some("d-0123456789".into()),
        mfa_serial: Some("arn:aws-us-gov:iam::123456789012:mfa/a".into()),
    });
    token.sites.push("signin.amazonaws-us-gov.com".into());
    token.algorithm = crate::token::Algorithm::Sha512;
    let at = Locator {
        version: 3,
        len: u64::MAX,
    };
    for kind in [
        Kind::Hotp { counter: 12 },
        Kind::Steam,
        Kind::Totp { period: 1 << 40 },
    ] {
        token.kind = kind;
        for codec in [IndexCodec::Json, IndexCodec::Compact] {
            let mut plain = Vec::new();
            let entries = [index::EntryOut { at, token: &token }];
            codec.write(&mut plain, &entries).unwrap();
            let full: Vec<Full> = decoded(codec, &plain);
            assert_eq!(full[0].meta, TokenMeta::of(&token), "{codec:?}");
            assert_eq!(full[0].at, at);
            let heads: Vec<Head> = decoded(codec, &plain);
            assert_eq!(heads[0].head, TokenHead::of(&token));
        }
    }
}

/// The index `plain`, in the encoding `codec`, decoded as `T`s.
fn decoded<'p, T: compact::Decode<'p> + for<'de> Deserialize<'de>>(
    codec: IndexCodec,
    plain: &'p [u8],
) -> Vec<T> {
    match codec {
        IndexCodec::Json => serde_json::from_slice(plain).unwrap(),
        IndexCodec::Compact => compact::decode_index(plain).unwrap(),
    }
}

/// Every well-formed index that encodes `n` AWS tokens; each byte changed
/// to each other value, or cut off anywhere, decodes to an error or to
/// entries, never a panic; and a complete decode agrees with the heads.
#[test]
fn every_damaged_binary_index_is_refused_or_read_without_a_panic() {
    let data = sample();
    let entries: Vec<index::EntryOut> = data
        .tokens
        .iter()
        .map(|token| index::EntryOut {
            at: Locator {
                version: 1,
                len: 90,
            },
            token,
        })
        .collect();
    let mut plain = Vec::new();
    compact::write_index(&mut plain, &entries).unwrap();
    let check = |bytes: &[u8]| {
        let full = compact::decode_index::<Full>(bytes);
        let heads = compact::decode_index::<Head>(bytes);
        if let Ok(full) = full {
            let heads = heads.expect("a complete index reads as heads");
            for (f, h) in full.iter().zip(&heads) {
                assert_eq!((f.at, f.meta.id), (h.at, h.head.id));
            }
        }
    };
    for len in 0..plain.len() {
        assert!(
            compact::decode_index::<Full>(&plain[..len]).is_err(),
            "cut at {len}"
        );
        check(&plain[..len]);
    }
    for at in 0..plain.len() {
        for value in [0u8, 1, 2, 3, 0x7f, 0x80, 0xff] {
            let mut damaged = plain.clone();
            damaged[at] = value;
            check(&damaged);
        }
    }
}
