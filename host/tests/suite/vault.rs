//! Vault integration tests.
//!
//! * basics: round trip, passphrase handling, slots, status, defaults;
//! * damage: truncated and bit-flipped files are refused and left untouched;
//! * files: previous generation, permissions;
//! * processes: concurrent writers (writers killed with SIGKILL are in
//!   `faults.rs`);
//! * keyring: the real Secret Service of the surrounding D-Bus session
//!   (`scripts/test.sh`), the kernel key cache, and — in a private D-Bus
//!   session of its own — a locked and an absent Secret Service.
//!
//! Child processes are this test binary re-run with `FACTORCAT_TEST_CHILD`
//! set; [`child_main`] then acts as the child instead of a test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::keyring::{KeyringCleanup, keyring_tests_enabled};
use factorcat::clock::ClockOffset;
use factorcat::error::ErrorCode;
use factorcat::keystore::{self, Key};
use factorcat::secret::Secret;
use factorcat::token::{Token, TokenHead, TokenMeta, TokenSites};
use factorcat::vault::{
    CreateOptions, KdfParams, Unlock, Vault, VaultData, VaultError, VaultStatus,
};
use uuid::Uuid;
use zeroize::Zeroizing;

/// Cheap Argon2id parameters: tests only, via the explicit constructor.
const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};
const PASS: &str = "correct horse battery staple";
const CHILD_ENV: &str = "FACTORCAT_TEST_CHILD";

fn token(n: usize) -> Token {
    let mut secret = vec![0x5a; 20];
    secret[..8].copy_from_slice(&(n as u64).to_be_bytes());
    Token::new(
        format!("Issuer {n}"),
        format!("user{n}"),
        Secret::from_bytes(secret).unwrap(),
    )
}

fn unlock() -> Unlock {
    Unlock::with_passphrase(PASS)
}

fn pass_options(passphrase: &str) -> CreateOptions {
    CreateOptions {
        keyring: false,
        passphrase: Some(Zeroizing::new(passphrase.to_string())),
    }
}

/// A new passphrase-only vault (no keyring, no key cache) in a fresh directory.
fn pass_vault() -> (tempfile::TempDir, Vault) {
    let root = tempfile::tempdir().unwrap();
    let vault = Vault::at(root.path().join("home")).with_key_cache(false);
    vault.create_with_kdf(&pass_options(PASS), FAST).unwrap();
    (root, vault)
}

fn add(vault: &Vault, unlock: &Unlock, token: Token) -> Result<(), VaultError> {
    vault.update(unlock, |data| {
        data.insert(token);
        Ok::<(), VaultError>(())
    })
}

fn ids(data: &VaultData) -> Vec<Uuid> {
    data.tokens.iter().map(|t| t.id).collect()
}

fn code<T>(result: Result<T, VaultError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(e) => e.code().as_str(),
    }
}

// ---------------------------------------------------------------------------
// basics

#[test]
fn round_trip() {
    let (_root, vault) = pass_vault();
    assert!(vault.exists());
    assert!(vault.read(&unlock()).unwrap().tokens.is_empty());
    let tokens: Vec<Token> = (0..3).map(token).collect();
    for t in &tokens {
        add(&vault, &unlock(), t.clone()).unwrap();
    }
    let removed = vault
        .update(&unlock(), |data| {
            data.fills.insert(tokens[0].id, 7);
            data.fills.insert(tokens[2].id, 9);
            Ok::<_, VaultError>(data.remove(tokens[1].id))
        })
        .unwrap();
    assert_eq!(removed.as_ref(), Some(&tokens[1]));
    let data = vault.read(&unlock()).unwrap();
    assert_eq!(data.tokens, vec![tokens[0].clone(), tokens[2].clone()]);
    assert_eq!(data.tombstones.len(), 1);
    assert_eq!(data.tombstones[0].id, tokens[1].id);
    assert_eq!(data.fills.get(&tokens[0].id), Some(&7));
    assert_eq!(data.fills.get(&tokens[2].id), Some(&9));
}

#[test]
fn read_one_decodes_just_the_chosen_record() {
    let (_root, vault) = pass_vault();
    let mut tokens: Vec<Token> = (0..5).map(token).collect();
    // Line feeds and quotes in names must not split or break a record.
    tokens[3].issuer = "Multi\nLine \"Issuer\"".into();
    tokens[3].account = "a\r\nb".into();
    for t in &tokens {
        add(&vault, &unlock(), t.clone()).unwrap();
    }
    for (i, expected) in tokens.iter().enumerate() {
        let got = vault
            .read_one(&unlock(), |heads| {
                assert_eq!(heads.len(), 5);
                assert_eq!(heads[i].issuer, expected.issuer);
                Ok::<_, VaultError>(i)
            })
            .unwrap();
        assert_eq!(&got, expected);
    }
    assert_eq!(vault.read(&unlock()).unwrap().tokens, tokens);
    let chosen_past_the_end = vault.read_one(&unlock(), |_| Ok::<_, VaultError>(9));
    assert_eq!(code(chosen_past_the_end), "vault_corrupt");

    // Kept while the index is read: `pick` sees the kept heads alone, in
    // vault order, and its choice is theirs.
    let odd = |head: &TokenHead| [1, 3].map(|i| tokens[i].id).contains(&head.id);
    let (got, _) = vault
        .read_one_with_clock(&unlock(), odd, |heads| {
            let ids: Vec<_> = heads.iter().map(|h| h.id).collect();
            assert_eq!(ids, [tokens[1].id, tokens[3].id]);
            Ok::<_, VaultError>(1)
        })
        .unwrap();
    assert_eq!(got, tokens[3]);
    let none = vault.read_one_with_clock(
        &unlock(),
        |_: &TokenHead| false,
        |heads| {
            assert!(heads.is_empty());
            Ok::<_, VaultError>(0)
        },
    );
    assert_eq!(code(none.map(drop)), "vault_corrupt");
}

#[test]
fn read_matching_sees_every_token_and_decodes_the_picked_ones() {
    let (_root, vault) = pass_vault();
    let mut tokens: Vec<Token> = (0..6).map(token).collect();
    tokens[1].sites = vec!["example.org".into(), "login.example.net".into()];
    tokens[2].pinned = true;
    tokens[4].account = "a\r\nb \"quoted\"".into();
    tokens[4].tags = vec!["work".into()];
    for t in &tokens {
        add(&vault, &unlock(), t.clone()).unwrap();
    }
    let filled = tokens[3].id;
    vault
        .update(&unlock(), |d| {
            d.fills.insert(filled, 56_666_667);
            Ok::<_, VaultError>(())
        })
        .unwrap();
    let picked = vault
        .read_matching(&unlock(), |all, rest| {
            assert_eq!(all.len(), 6);
            assert!(rest.tokens.is_empty());
            assert_eq!(
                rest.fills.iter().collect::<Vec<_>>(),
                [(&filled, &56_666_667)]
            );
            for (light, full) in all.iter().zip(&tokens) {
                assert_eq!(light, &TokenSites::of(full));
            }
            Ok::<_, VaultError>(vec![4, 1])
        })
        .unwrap();
    assert_eq!(
        picked,
        vec![TokenMeta::of(&tokens[4]), TokenMeta::of(&tokens[1])]
    );
    // Kept while the index is read: `pick` sees the kept tokens alone, in
    // vault order, and its positions are theirs.
    let kept = |t: &TokenSites| t.pinned || t.account.contains('"');
    let picked = vault
        .read_matching_filtered(&unlock(), kept, |some, rest| {
            let ids: Vec<_> = some.iter().map(|t| t.id).collect();
            assert_eq!(ids, [tokens[2].id, tokens[4].id]);
            assert_eq!(rest.fills.len(), 1, "the rest is whole");
            Ok::<_, VaultError>(vec![1, 0])
        })
        .unwrap();
    assert_eq!(
        picked,
        vec![TokenMeta::of(&tokens[4]), TokenMeta::of(&tokens[2])]
    );
    let past_the_end = vault.read_matching(&unlock(), |_, _| Ok::<_, VaultError>(vec![6]));
    assert_eq!(code(past_the_end), "vault_corrupt");
    let wrong = vault.read_matching(&Unlock::with_passphrase("wrong"), |_, _| {
        Ok::<_, VaultError>(vec![])
    });
    assert_ne!(code(wrong), "ok");
}

/// Where the records of a version-3 file start (as of version 2).
fn records_at(bytes: &[u8]) -> usize {
    let (header, body) = header_of(bytes);
    body + header["index"].as_u64().unwrap() as usize + header["data"].as_u64().unwrap() as usize
}

/// The ledger's sequence number, `None` when there is no ledger.
fn ledger_sequence(vault: &Vault) -> Option<u64> {
    let bytes = std::fs::read(vault.ledger_file()).ok()?;
    Some(factorcat::vault::ledger_sequence(&bytes).expect("a ledger header"))
}

/// Records `step` as token `id`'s fill through `update_data`.
fn fill(vault: &Vault, id: Uuid, step: u64) -> Result<(), VaultError> {
    vault.update_data(&unlock(), Some(id), |data| {
        data.fills.insert(id, step);
        Ok::<_, VaultError>(())
    })
}

fn offset(offset_ms: i64, measured: u64) -> ClockOffset {
    ClockOffset {
        offset_ms,
        error_ms: 600,
        measured,
    }
}

#[test]
fn a_fill_writes_the_ledger_and_leaves_the_vault_file_as_it_was() {
    let (_root, vault) = pass_vault();
    let tokens: Vec<Token> = (0..5).map(token).collect();
    for t in &tokens {
        add(&vault, &unlock(), t.clone()).unwrap();
    }
    let before = std::fs::read(vault.file()).unwrap();
    let prev = std::fs::read(vault.prev_file()).unwrap();
    assert_eq!(ledger_sequence(&vault), None);
    let id = tokens[2].id;
    vault
        .update_data(&unlock(), Some(id), |data| {
            assert_eq!(
                data.tokens,
                vec![tokens[2].clone()],
                "only the token asked for"
            );
            data.fills.insert(id, 42);
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(
        std::fs::read(vault.file()).unwrap(),
        before,
        "vault file rewritten"
    );
    assert_eq!(std::fs::read(vault.prev_file()).unwrap(), prev);
    assert_eq!(ledger_sequence(&vault), Some(1));
    let data = vault.read(&unlock()).unwrap();
    assert_eq!(data.tokens, tokens);
    assert_eq!(data.fills.get(&id), Some(&42));
    // The next change sees the step, and every write raises the sequence.
    vault
        .update_data(&unlock(), Some(tokens[0].id), |data| {
            assert_eq!(data.fills.get(&id), Some(&42), "the ledger read back");
            data.fills.insert(tokens[0].id, 43);
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(ledger_sequence(&vault), Some(2));
    let fills = vault.read(&unlock()).unwrap().fills;
    assert_eq!((fills[&id], fills[&tokens[0].id]), (42, 43));
    // The first write made the file; the next ones write a slot of it in
    // place, taking turns, and leave no temporary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let inode = || std::fs::metadata(vault.ledger_file()).unwrap().ino();
        let made = inode();
        let first = std::fs::read(vault.ledger_file()).unwrap();
        fill(&vault, tokens[1].id, 44).unwrap();
        let second = std::fs::read(vault.ledger_file()).unwrap();
        assert_eq!((inode(), ledger_sequence(&vault)), (made, Some(3)));
        assert_eq!(second.len(), first.len(), "the same slots");
        assert_ne!(second, first);
        let names: Vec<_> = std::fs::read_dir(vault.file().parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
    // A change that changes nothing writes nothing.
    let ledger = std::fs::read(vault.ledger_file()).unwrap();
    fill(&vault, id, 42).unwrap();
    assert_eq!(std::fs::read(vault.ledger_file()).unwrap(), ledger);
    // Without a token, `f` sees none; a token not in the vault is not there.
    for asked in [None, Some(Uuid::new_v4())] {
        vault
            .update_data(&unlock(), asked, |data| {
                assert!(data.tokens.is_empty());
                assert_eq!(data.fills.get(&id), Some(&42));
                Ok::<_, VaultError>(())
            })
            .unwrap();
    }
    assert_eq!(std::fs::read(vault.file()).unwrap(), before);
    assert_eq!(vault.read(&unlock()).unwrap().tokens, tokens);
    // The code path and matching see the ledger's steps too.
    let rest = vault
        .read_matching(&unlock(), |_, rest| {
            assert_eq!(rest.fills.get(&id), Some(&42));
            Ok::<_, VaultError>(Vec::new())
        })
        .unwrap();
    assert!(rest.is_empty());
}

#[test]
fn a_clock_measurement_goes_to_the_ledger_and_code_and_match_read_it() {
    let (_root, vault) = pass_vault();
    let t = token(1);
    add(&vault, &unlock(), t.clone()).unwrap();
    vault
        .update(&unlock(), |data| {
            data.clock.insert("aws".into(), offset(4_000, 1_000));
            data.clock.insert("aws-cn".into(), offset(9_000, 1_000));
            Ok::<_, VaultError>(())
        })
        .unwrap();
    let before = std::fs::read(vault.file()).unwrap();
    let measured = offset(-7_000, 2_000);
    vault
        .update_data(&unlock(), None, |data| {
            assert_eq!(data.clock["aws"], offset(4_000, 1_000));
            data.clock.insert("aws".into(), measured);
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(std::fs::read(vault.file()).unwrap(), before);
    assert_eq!(ledger_sequence(&vault), Some(1));
    let (one, clocks) = vault
        .read_one_with_clock(&unlock(), |_: &TokenHead| true, |_| Ok::<_, VaultError>(0))
        .unwrap();
    assert_eq!(one, t);
    assert_eq!(clocks["aws"], measured, "code reads the ledger's offset");
    assert_eq!(clocks["aws-cn"], offset(9_000, 1_000), "and the vault's");
    vault
        .read_matching(&unlock(), |_, rest| {
            assert_eq!(rest.clock, clocks, "match reads the same");
            Ok::<_, VaultError>(Vec::new())
        })
        .unwrap();
    assert_eq!(vault.read(&unlock()).unwrap().clock, clocks);
    // An offset measured earlier than the vault's cannot be a ledger's: the
    // whole vault is written, as `f` left it.
    vault
        .update_data(&unlock(), None, |data| {
            data.clock.insert("aws-cn".into(), offset(1_000, 500));
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_ne!(std::fs::read(vault.file()).unwrap(), before);
    assert_eq!(ledger_sequence(&vault), None, "folded in and removed");
    let clocks = vault.read(&unlock()).unwrap().clock;
    assert_eq!(
        (clocks["aws"], clocks["aws-cn"]),
        (measured, offset(1_000, 500))
    );
}

#[test]
fn a_whole_write_folds_the_ledger_in_and_removes_it() {
    let (_root, vault) = pass_vault();
    let tokens: Vec<Token> = (0..3).map(token).collect();
    for t in &tokens {
        add(&vault, &unlock(), t.clone()).unwrap();
    }
    fill(&vault, tokens[0].id, 100).unwrap();
    fill(&vault, tokens[1].id, 200).unwrap();
    let ledger = std::fs::read(vault.ledger_file()).unwrap();
    let generation = vault.generation().unwrap();
    // A removal is a whole write: the ledger is folded in (the removed
    // token's step dropped with it) and removed.
    vault
        .update(&unlock(), |data| {
            assert_eq!(data.fills[&tokens[0].id], 100, "the update sees the ledger");
            data.remove(tokens[1].id);
            Ok::<_, VaultError>(())
        })
        .unwrap();
    assert_eq!(vault.generation().unwrap(), generation + 1);
    assert!(!vault.ledger_file().exists(), "the ledger is removed");
    let data = vault.read(&unlock()).unwrap();
    assert_eq!(data.fills.get(&tokens[0].id), Some(&100));
    assert_eq!(data.fills.get(&tokens[1].id), None);
    // A crash before the removal leaves the ledger beside the vault that
    // holds it: combining it again changes nothing.
    std::fs::write(vault.ledger_file(), &ledger).unwrap();
    let again = vault.read(&unlock()).unwrap();
    assert_eq!(again.fills, data.fills);
    // The next fill builds on both, and the next whole write removes it.
    fill(&vault, tokens[2].id, 300).unwrap();
    assert_eq!(ledger_sequence(&vault), Some(3));
    vault
        .set_passphrase_with_kdf(&unlock(), Some(Zeroizing::new(PASS.into())), FAST)
        .unwrap();
    assert!(!vault.ledger_file().exists());
    let fills = vault.read(&unlock()).unwrap().fills;
    assert_eq!(fills.len(), 2);
    assert_eq!((fills[&tokens[0].id], fills[&tokens[2].id]), (100, 300));
    // The vault file alone (its previous generation lacks it) holds it now.
    let spare = tempfile::tempdir().unwrap();
    std::fs::copy(vault.file(), spare.path().join("factorcat.vault")).unwrap();
    let copy = Vault::at(spare.path()).with_key_cache(false);
    assert_eq!(copy.read(&unlock()).unwrap().fills, fills);
}

#[test]
fn a_damaged_or_foreign_ledger_is_refused_and_kept() {
    let (_root, vault) = pass_vault();
    let t = token(1);
    add(&vault, &unlock(), t.clone()).unwrap();
    fill(&vault, t.id, 7).unwrap();
    let good = std::fs::read(vault.ledger_file()).unwrap();
    let (_other_root, other) = pass_vault();
    add(&other, &unlock(), token(2)).unwrap();
    fill(&other, token(2).id, 1).unwrap();
    let foreign = std::fs::read(other.ledger_file()).unwrap();
    // A bit of the one write's sealed part (its slot starts at 4 KiB).
    let mut flipped = good.clone();
    flipped[4096 + 40] ^= 1;
    let vault_bytes = std::fs::read(vault.file()).unwrap();
    for (what, bytes, words) in [
        ("damaged", &flipped[..], "fails authentication"),
        ("cut short", &good[..good.len() - 20], "length"),
        ("empty", &[][..], "signature"),
        ("of another vault", &foreign[..], "another vault"),
    ] {
        std::fs::write(vault.ledger_file(), bytes).unwrap();
        let pick_first = |_: &[factorcat::token::TokenHead]| Ok::<_, VaultError>(0);
        let errors = [
            vault.read(&unlock()).map(drop),
            vault
                .read_one_with_clock(&unlock(), |_: &TokenHead| true, pick_first)
                .map(drop),
            vault
                .read_matching(&unlock(), |_, _| Ok::<_, VaultError>(Vec::new()))
                .map(drop),
            fill(&vault, t.id, 8),
            add(&vault, &unlock(), token(3)),
        ];
        for (n, e) in errors.into_iter().enumerate() {
            let e = e.unwrap_err();
            assert_eq!(e.code(), ErrorCode::LedgerUnusable, "{what} ({n}): {e}");
            let message = e.to_string();
            for needle in [
                words,
                "factorcat.ledger",
                "Move it out of the vault directory",
            ] {
                assert!(message.contains(needle), "{what} ({n}): {message}");
            }
        }
        assert_eq!(
            std::fs::read(vault.ledger_file()).unwrap(),
            bytes,
            "{what}: rewritten"
        );
        assert_eq!(std::fs::read(vault.file()).unwrap(), vault_bytes, "{what}");
    }
    // Moved away as the message says: the vault works, without its record.
    std::fs::rename(vault.ledger_file(), vault.dir().join("moved")).unwrap();
    let data = vault.read(&unlock()).unwrap();
    assert_eq!(
        (data.tokens, data.fills.get(&t.id)),
        (vec![t.clone()], None)
    );
    fill(&vault, t.id, 8).unwrap();
    assert_eq!(vault.read(&unlock()).unwrap().fills[&t.id], 8);
}

#[test]
fn a_change_of_the_data_part_that_changes_its_token_writes_the_whole_vault() {
    let (_root, vault) = pass_vault();
    let mut tokens: Vec<Token> = (0..3).map(token).collect();
    for t in &tokens {
        add(&vault, &unlock(), t.clone()).unwrap();
    }
    let id = tokens[1].id;
    vault
        .update_data(&unlock(), Some(id), |data| {
            data.fills.insert(id, 7);
            data.tokens[0].issuer = "Changed".into();
            Ok::<_, VaultError>(())
        })
        .unwrap();
    tokens[1].issuer = "Changed".into();
    let data = vault.read(&unlock()).unwrap();
    assert_eq!(data.tokens, tokens, "the change kept, in its place");
    assert_eq!(data.fills.get(&id), Some(&7));
    assert!(!vault.ledger_file().exists(), "written to the vault file");
    // A failing change writes nothing.
    let before = std::fs::read(vault.file()).unwrap();
    let err = vault
        .update_data(&unlock(), Some(id), |_| Err::<(), _>(VaultError::NoHome))
        .unwrap_err();
    assert!(matches!(err, VaultError::NoHome));
    assert_eq!(std::fs::read(vault.file()).unwrap(), before);
}

#[test]
fn failed_update_writes_nothing() {
    let (_root, vault) = pass_vault();
    add(&vault, &unlock(), token(1)).unwrap();
    let before = std::fs::read(vault.file()).unwrap();
    let result: Result<(), VaultError> = vault.update(&unlock(), |data| {
        data.insert(token(2));
        Err(VaultError::LastSlot)
    });
    assert_eq!(code(result), "last_slot");
    assert_eq!(std::fs::read(vault.file()).unwrap(), before);
}

#[test]
fn wrong_or_missing_passphrase_refused() {
    let (_root, vault) = pass_vault();
    add(&vault, &unlock(), token(1)).unwrap();
    assert_eq!(
        code(vault.read(&Unlock::with_passphrase("wrong"))),
        "wrong_passphrase"
    );
    assert_eq!(code(vault.read(&Unlock::default())), "passphrase_required");
    let wrong = add(&vault, &Unlock::with_passphrase("wrong"), token(2));
    assert_eq!(code(wrong), "wrong_passphrase");
    // The prompt is asked, with the file named, when no passphrase is given.
    let file = vault.file();
    let prompting = Unlock {
        passphrase: None,
        prompt: Some(Box::new(move |text: &str| {
            assert!(text.contains(&*file.to_string_lossy()), "{text}");
            Some(Zeroizing::new(PASS.to_string()))
        })),
    };
    assert_eq!(vault.read(&prompting).unwrap().tokens.len(), 1);
}

#[test]
fn prompt_runs_without_holding_the_lock() {
    let (_root, vault) = pass_vault();
    let lock_file = vault.lock_file();
    let prompts = std::rc::Rc::new(std::cell::Cell::new(0));
    let counter = prompts.clone();
    let prompting = Unlock {
        passphrase: None,
        prompt: Some(Box::new(move |_: &str| {
            // Another process could take the exclusive lock right now.
            let other = std::fs::File::open(&lock_file).unwrap();
            other.try_lock().expect("vault lock held during the prompt");
            counter.set(counter.get() + 1);
            Some(Zeroizing::new(PASS.to_string()))
        })),
    };
    add(&vault, &prompting, token(1)).unwrap();
    assert_eq!(vault.read(&prompting).unwrap().tokens.len(), 1);
    vault
        .set_passphrase_with_kdf(&prompting, Some(Zeroizing::new(PASS.into())), FAST)
        .unwrap();
    // One prompt per operation: the key is reused under the lock.
    assert_eq!(prompts.get(), 3);
}

#[test]
fn held_lock_gives_busy_and_writes_nothing() {
    let (_root, vault) = pass_vault();
    add(&vault, &unlock(), token(1)).unwrap();
    let before = std::fs::read(vault.file()).unwrap();
    let vault = vault.with_lock_wait(Duration::from_millis(200));
    // Another holder of the exclusive lock (flock locks of separate opens
    // conflict even within one process).
    let holder = std::fs::File::options()
        .write(true)
        .open(vault.lock_file())
        .unwrap();
    holder.lock().unwrap();
    let err = add(&vault, &unlock(), token(2)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VaultBusy, "{err}");
    assert!(err.to_string().contains("factorcat.lock"), "{err}");
    assert_eq!(code(vault.read(&unlock())), "vault_busy");
    assert_eq!(std::fs::read(vault.file()).unwrap(), before);
    holder.unlock().unwrap();
    add(&vault, &unlock(), token(2)).unwrap();
    assert_eq!(vault.read(&unlock()).unwrap().tokens.len(), 2);
}

#[test]
fn passphrase_can_change_and_last_slot_is_kept() {
    let (_root, vault) = pass_vault();
    add(&vault, &unlock(), token(1)).unwrap();
    vault
        .set_passphrase_with_kdf(&unlock(), Some(Zeroizing::new("new one".into())), FAST)
        .unwrap();
    assert_eq!(code(vault.read(&unlock())), "wrong_passphrase");
    let new = Unlock::with_passphrase("new one");
    assert_eq!(vault.read(&new).unwrap().tokens.len(), 1);
    assert_eq!(code(vault.set_passphrase(&new, None)), "last_slot");
    assert_eq!(
        code(vault.set_passphrase_with_kdf(&new, Some(Zeroizing::new(String::new())), FAST)),
        "passphrase_empty"
    );
    assert_eq!(vault.read(&new).unwrap().tokens.len(), 1);
}

#[test]
fn create_refusals_and_status() {
    let root = tempfile::tempdir().unwrap();
    let vault = Vault::at(root.path().join("v")).with_key_cache(false);
    assert_eq!(vault.status(), VaultStatus::Missing);
    assert_eq!(code(vault.read(&unlock())), "vault_missing");
    assert_eq!(code(add(&vault, &unlock(), token(1))), "vault_missing");
    let none = CreateOptions {
        keyring: false,
        passphrase: None,
    };
    assert_eq!(code(vault.create(&none)), "no_slot");
    assert_eq!(
        code(vault.create_with_kdf(&pass_options(""), FAST)),
        "passphrase_empty"
    );
    assert!(!vault.exists());
    vault.create_with_kdf(&pass_options(PASS), FAST).unwrap();
    assert_eq!(
        code(vault.create_with_kdf(&pass_options(PASS), FAST)),
        "vault_exists"
    );
    assert_eq!(
        vault.status(),
        VaultStatus::Present {
            has_keyring_slot: false,
            has_passphrase_slot: true
        }
    );
    std::fs::write(vault.file(), b"{").unwrap();
    match vault.status() {
        VaultStatus::Unreadable { reason } => {
            assert!(reason.contains("factorcat.vault"), "{reason}")
        }
        other => panic!("expected Unreadable, got {other:?}"),
    }
}

/// The header line of a vault file, and where the body starts.
fn header_of(bytes: &[u8]) -> (serde_json::Value, usize) {
    let lines: Vec<&[u8]> = bytes.splitn(4, |&b| b == b'\n').collect();
    assert_eq!(lines[0], b"factorcat-vault");
    let body = lines[0].len() + lines[1].len() + lines[2].len() + 3;
    (serde_json::from_slice(lines[1]).unwrap(), body)
}

#[test]
fn production_create_uses_default_argon2_params() {
    let root = tempfile::tempdir().unwrap();
    let vault = Vault::at(root.path()).with_key_cache(false);
    vault.create(&pass_options(PASS)).unwrap();
    let (header, _) = header_of(&std::fs::read(vault.file()).unwrap());
    let slot = &header["slots"][0];
    assert_eq!(slot["type"], "passphrase");
    assert_eq!(slot["kdf"], "argon2id");
    assert_eq!(slot["m_kib"], 65536);
    assert_eq!(slot["t"], 3);
    assert_eq!(slot["p"], 1);
    assert_eq!(header["version"], 3);
    // The contents are not in the file in plain text.
    add(&vault, &unlock(), token(1)).unwrap();
    let bytes = std::fs::read(vault.file()).unwrap();
    assert!(!bytes.windows(8).any(|w| w == b"Issuer 1"));
}

#[test]
fn newer_version_reported_as_such() {
    let (_root, vault) = pass_vault();
    let old = std::fs::read(vault.file()).unwrap();
    let (mut header, body) = header_of(&old);
    header["version"] = 4.into();
    let header = serde_json::to_vec(&header).unwrap();
    use blake2::Digest;
    let check = data_encoding::HEXLOWER.encode(&blake2::Blake2s256::digest(&header));
    let mut bytes = b"factorcat-vault\n".to_vec();
    bytes.extend_from_slice(&header);
    bytes.push(b'\n');
    bytes.extend_from_slice(check.as_bytes());
    bytes.push(b'\n');
    bytes.extend_from_slice(&old[body..]);
    std::fs::write(vault.file(), &bytes).unwrap();
    let err = vault.read(&unlock()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VaultVersion);
    assert!(err.to_string().contains("version 4"), "{err}");
    assert_eq!(code(add(&vault, &unlock(), token(1))), "vault_version");
    assert_eq!(std::fs::read(vault.file()).unwrap(), bytes);
}

// ---------------------------------------------------------------------------
// damage

/// Every damaged variant must be refused as `vault_corrupt`, by `read` and
/// by `update`, and `update` must leave the damaged bytes (and `.prev`) as
/// they were.
/// `good` is the undamaged file, and `first` the id of its first token.
fn assert_refused(vault: &Vault, (good, first): (&[u8], Uuid), damaged: &[u8], what: &str) {
    std::fs::write(vault.file(), damaged).unwrap();
    let prev = std::fs::read(vault.prev_file()).unwrap();
    let err = vault.read(&unlock()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VaultCorrupt, "{what}: {err}");
    assert!(err.to_string().contains(".prev"), "{what}: {err}");
    let err = add(vault, &unlock(), token(99)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::VaultCorrupt, "{what}: {err}");
    // A change for the ledger reads the index, the data part and its
    // token's record: damage there is refused, and damage it does not read
    // is left as it is (the vault file is not written).
    let filled = vault.update_data(&unlock(), Some(first), |data| {
        data.fills.insert(first, 1);
        Ok::<(), VaultError>(())
    });
    match filled {
        Err(err) => assert_eq!(
            err.code(),
            ErrorCode::VaultCorrupt,
            "{what}, a change for the ledger: {err}"
        ),
        Ok(()) => {
            let records = records_at(good);
            assert!(
                damaged.len() > records && damaged[..records] == good[..records],
                "{what}: a change for the ledger took damage in what it reads"
            );
        }
    }
    let _ = std::fs::remove_file(vault.ledger_file());
    assert_eq!(
        std::fs::read(vault.file()).unwrap(),
        damaged,
        "{what}: file rewritten"
    );
    assert_eq!(
        std::fs::read(vault.prev_file()).unwrap(),
        prev,
        "{what}: .prev rewritten"
    );
}

#[test]
fn status_reads_the_head_only_and_agrees_with_the_whole_file() {
    let (_root, vault) = pass_vault();
    // A body well past the longest possible header.
    vault
        .update(&unlock(), |data| {
            for n in 0..400 {
                data.insert(token(n));
            }
            Ok::<_, VaultError>(())
        })
        .unwrap();
    let good = std::fs::read(vault.file()).unwrap();
    assert!(good.len() > 100 * 1024, "{} bytes", good.len());
    let header_end = good.iter().position(|&b| b == b'{').unwrap() + 1024;
    let mut lengths: BTreeSet<usize> = (0..header_end.min(good.len())).step_by(7).collect();
    lengths.extend((good.len() - 2048..=good.len()).step_by(97));
    lengths.extend([good.len() / 2, 70 * 1024, good.len()]);
    for len in lengths {
        std::fs::write(vault.file(), &good[..len]).unwrap();
        let whole = vault.id();
        match vault.status() {
            VaultStatus::Present { .. } => assert!(whole.is_ok(), "truncated to {len}"),
            VaultStatus::Unreadable { .. } => assert!(whole.is_err(), "truncated to {len}"),
            VaultStatus::Missing => panic!("missing at {len}"),
        }
    }
    std::fs::write(vault.file(), &good).unwrap();
    assert!(matches!(vault.status(), VaultStatus::Present { .. }));
}

#[test]
fn truncated_files_refused_and_untouched() {
    let (_root, vault) = pass_vault();
    for n in 0..5 {
        add(&vault, &unlock(), token(n)).unwrap();
    }
    let good = std::fs::read(vault.file()).unwrap();
    let first = vault.read(&unlock()).unwrap().tokens[0].id;
    let mut lengths: BTreeSet<usize> = (0..good.len()).step_by(37).collect();
    lengths.extend([1, 2, good.len() / 2, good.len() - 3, good.len() - 2]);
    for len in lengths {
        assert_refused(
            &vault,
            (&good, first),
            &good[..len],
            &format!("truncated to {len}"),
        );
    }
    std::fs::write(vault.file(), &good).unwrap();
    assert_eq!(vault.read(&unlock()).unwrap().tokens.len(), 5);
}

#[test]
fn bit_flips_refused_and_untouched() {
    let (_root, vault) = pass_vault();
    for n in 0..5 {
        add(&vault, &unlock(), token(n)).unwrap();
    }
    let good = std::fs::read(vault.file()).unwrap();
    let first = vault.read(&unlock()).unwrap().tokens[0].id;
    let (_, body) = header_of(&good);
    // Every byte of the signature, header and check line and of the start of
    // the ciphertext, every 23rd byte after that, and the whole tag.
    let mut offsets: BTreeSet<usize> = (0..body + 16).collect();
    offsets.extend((body..good.len()).step_by(23));
    offsets.extend(good.len() - 16..good.len());
    for at in offsets {
        let mut damaged = good.clone();
        damaged[at] ^= 1 << (at % 8);
        assert_refused(
            &vault,
            (&good, first),
            &damaged,
            &format!("bit {} of byte {at} flipped", at % 8),
        );
    }
    std::fs::write(vault.file(), &good).unwrap();
    assert_eq!(vault.read(&unlock()).unwrap().tokens.len(), 5);
}

// ---------------------------------------------------------------------------
// files

#[test]
fn prev_holds_the_previous_generation() {
    let (root, vault) = pass_vault();
    let (a, b) = (token(1), token(2));
    add(&vault, &unlock(), a.clone()).unwrap();
    let first = std::fs::read(vault.file()).unwrap();
    add(&vault, &unlock(), b.clone()).unwrap();
    assert_eq!(std::fs::read(vault.prev_file()).unwrap(), first);
    // The previous generation opens as a vault of its own.
    let restored = Vault::at(root.path().join("restored")).with_key_cache(false);
    std::fs::create_dir(restored.dir()).unwrap();
    std::fs::copy(vault.prev_file(), restored.file()).unwrap();
    assert_eq!(ids(&restored.read(&unlock()).unwrap()), vec![a.id]);
    assert_eq!(ids(&vault.read(&unlock()).unwrap()), vec![a.id, b.id]);
}

#[cfg(unix)]
#[test]
fn private_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let vault = Vault::at(root.path().join("a/b")).with_key_cache(false);
    vault.create_with_kdf(&pass_options(PASS), FAST).unwrap();
    add(&vault, &unlock(), token(1)).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(vault.dir()), 0o700);
    assert_eq!(mode(&root.path().join("a")), 0o700);
    assert_eq!(mode(&vault.file()), 0o600);
    assert_eq!(mode(&vault.prev_file()), 0o600);
    assert_eq!(mode(&vault.lock_file()), 0o600);
    // Only the vault, its previous generation and the lock file remain.
    let mut names: Vec<String> = std::fs::read_dir(vault.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["factorcat.lock", "factorcat.vault", "factorcat.vault.prev"]
    );
}

// ---------------------------------------------------------------------------
// processes

/// Re-runs this test binary as a child that runs [`child_main`].
fn child(mode: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        // The test's path in the suite binary.
        "vault::child_main",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ])
    .env(CHILD_ENV, mode)
    .env("FACTORCAT_TEST_DIR", dir)
    .stdout(Stdio::piped());
    cmd
}

/// Not a test: the body of child processes. Modes:
/// * `add:N` — add N tokens (forever if N is 0), printing `COMMITTED <id>`
///   after each update returns;
/// * `create` — create a vault with keyring and passphrase slots;
/// * `read` — read the vault (passphrase from FACTORCAT_PASSPHRASE, key
///   cache as FACTORCAT_NO_KEY_CACHE says) and print `RESULT ok <n>` or
///   `RESULT <code> <message>`;
/// * `id` — print `RESULT <vault id>`.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(std::env::var_os("FACTORCAT_TEST_DIR").unwrap());
    // `read` follows FACTORCAT_NO_KEY_CACHE like the real program; the
    // other modes never touch the cache.
    let vault = match mode.as_str() {
        "read" => Vault::at(&dir),
        _ => Vault::at(&dir).with_key_cache(false),
    };
    if let Some(count) = mode.strip_prefix("add:") {
        let count: usize = count.parse().unwrap();
        let mut n = 0;
        while count == 0 || n < count {
            let t = token(n);
            let id = t.id;
            add(&vault, &unlock(), t).unwrap();
            println!("COMMITTED {id}");
            n += 1;
        }
    } else if mode == "create" {
        let opts = CreateOptions {
            keyring: true,
            passphrase: Some(Zeroizing::new(PASS.to_string())),
        };
        vault.create_with_kdf(&opts, FAST).unwrap();
        add(&vault, &unlock(), token(1)).unwrap();
        println!("RESULT created");
    } else if mode == "id" {
        println!("RESULT {}", vault.id().unwrap());
    } else if mode == "read" {
        match vault.read(&Unlock::from_env()) {
            Ok(data) => println!("RESULT ok {}", data.tokens.len()),
            Err(e) => println!("RESULT {} {e}", e.code()),
        }
    } else {
        panic!("unknown child mode {mode}");
    }
}

fn committed_ids(line: &str) -> Option<Uuid> {
    line.strip_prefix("COMMITTED ")
        .map(|id| Uuid::parse_str(id.trim()).unwrap())
}

#[test]
fn concurrent_writers_lose_nothing() {
    let (_root, vault) = pass_vault();
    let children: Vec<_> = (0..4)
        .map(|_| child("add:25", vault.dir()).spawn().unwrap())
        .collect();
    let mut expected = BTreeSet::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "child failed: {out:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        expected.extend(text.lines().filter_map(committed_ids));
    }
    assert_eq!(expected.len(), 100);
    let found: BTreeSet<Uuid> = ids(&vault.read(&unlock()).unwrap()).into_iter().collect();
    assert_eq!(found, expected);
}

// ---------------------------------------------------------------------------
// keyring

/// A new vault with a keyring slot only (key cache off), its id, and the
/// cleanup of its keyring entry.
fn keyring_only_vault() -> (tempfile::TempDir, Vault, String, KeyringCleanup) {
    let root = tempfile::tempdir().unwrap();
    let vault = Vault::at(root.path()).with_key_cache(false);
    let opts = CreateOptions {
        keyring: true,
        passphrase: None,
    };
    vault.create(&opts).unwrap();
    let id = vault.id().unwrap().to_string();
    let cleanup = KeyringCleanup(id.clone());
    (root, vault, id, cleanup)
}

#[test]
fn keyring_slot_with_real_secret_service() {
    if !keyring_tests_enabled() {
        return;
    }
    let (root, vault, id, _cleanup) = keyring_only_vault();
    assert_eq!(
        vault.status(),
        VaultStatus::Present {
            has_keyring_slot: true,
            has_passphrase_slot: false
        }
    );
    // No passphrase anywhere: the keyring alone unlocks.
    let none = Unlock::default();
    let t = token(1);
    add(&vault, &none, t.clone()).unwrap();
    assert_eq!(vault.read(&none).unwrap().tokens, vec![t.clone()]);
    assert_eq!(keystore::keyring_get(&id).unwrap().expose().len(), 32);

    // Kernel key cache: filled by a keyring unlock, used, and a wrong cached
    // key is dropped and replaced by the slot path.
    let cached = Vault::at(root.path()).with_key_cache(true);
    keystore::cache_drop(&id);
    assert_eq!(cached.read(&none).unwrap().tokens.len(), 1);
    if let Some(master) = keystore::cache_get(&id) {
        keystore::cache_put(&id, &Key::random());
        assert_eq!(cached.read(&none).unwrap().tokens.len(), 1);
        let again = keystore::cache_get(&id).expect("cache refilled after a stale key");
        assert_eq!(again.expose(), master.expose());
        cached.forget_cached_key().unwrap();
        assert!(keystore::cache_get(&id).is_none());
    }

    // A keyring entry that does not match, then none at all.
    keystore::keyring_set(&id, &Key::random()).unwrap();
    assert_eq!(code(vault.read(&none)), "keyring_mismatch");
    keystore::keyring_delete(&id).unwrap();
    let err = vault.read(&none).unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyringEntryMissing);
    // No passphrase slot: none is advised.
    assert!(!err.to_string().contains("FACTORCAT_PASSPHRASE"), "{err}");
    // Removing the last slot is refused even when the key is gone.
    assert_eq!(
        code(vault.set_passphrase(&none, None)),
        "keyring_entry_missing"
    );
}

#[test]
fn keyring_and_passphrase_slots() {
    if !keyring_tests_enabled() {
        return;
    }
    let (_root, vault, id, _cleanup) = keyring_only_vault();
    // Add a passphrase slot through the keyring, then lose the keyring entry.
    vault
        .set_passphrase_with_kdf(&Unlock::default(), Some(Zeroizing::new(PASS.into())), FAST)
        .unwrap();
    add(&vault, &Unlock::default(), token(1)).unwrap();
    keystore::keyring_delete(&id).unwrap();
    assert_eq!(vault.read(&unlock()).unwrap().tokens.len(), 1);
    assert_eq!(
        code(vault.read(&Unlock::with_passphrase("nope"))),
        "wrong_passphrase"
    );
    assert_eq!(
        code(vault.read(&Unlock::default())),
        "keyring_entry_missing"
    );
}

/// Runs `script` with bash inside a private D-Bus session with its own
/// unlocked gnome-keyring, HOME in `home`; returns its stdout.
fn in_private_session(home: &Path, script: &str) -> String {
    for tool in [
        "dbus-run-session",
        "gnome-keyring-daemon",
        "dbus-send",
        "keyctl",
    ] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            found,
            "{tool} is missing; install dbus, gnome-keyring and keyutils (scripts/test.sh does), \
             or set FACTORCAT_SKIP_KEYRING_TESTS=1"
        );
    }
    let out = Command::new("dbus-run-session")
        .args(["--", "bash", "-euc", script, "bash"])
        .arg(std::env::current_exe().unwrap())
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env("FACTORCAT_TEST_DIR", home.join("vault"))
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .env_remove("FACTORCAT_PASSPHRASE")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // The session's stderr (daemon and prompter chatter) only matters on failure.
    let errors = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "private session failed: {text}\n{errors}"
    );
    assert!(
        text.contains("6 RESULT"),
        "private session incomplete: {text}\n{errors}"
    );
    text
}

#[test]
fn locked_or_absent_keyring_gives_actionable_errors_and_passphrase_works() {
    if !keyring_tests_enabled() {
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let script = r#"
        exe="$1"
        mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
        printf 'private-session' | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        child() { FACTORCAT_TEST_CHILD="$1" "$exe" --exact vault::child_main --nocapture --test-threads=1 -q | grep '^RESULT'; }
        echo "1 $(child create)"
        echo "2 $(child read)"
        # The key cache: unused while FACTORCAT_NO_KEY_CACHE=1, filled by a
        # keyring unlock otherwise, then removed again.
        desc="factorcat:$(child id | sed 's/^RESULT //')"
        cached() { keyctl search @u user "$desc" >/dev/null 2>&1 && echo cached || echo absent; }
        if keyctl show @u >/dev/null 2>&1; then
            echo "c1 RESULT $(cached)"
            echo "c2 $(FACTORCAT_NO_KEY_CACHE= child read)"
            echo "c3 RESULT $(cached)"
            keyctl invalidate "$(keyctl search @u user "$desc")"
        else
            echo "c1 RESULT absent"; echo "c2 RESULT ok 1"; echo "c3 RESULT no kernel keyring"
        fi
        dbus-send --session --print-reply --dest=org.freedesktop.secrets /org/freedesktop/secrets \
            org.freedesktop.Secret.Service.Lock array:objpath:/org/freedesktop/secrets/collection/login >/dev/null
        echo "3 $(child read)"
        echo "4 $(FACTORCAT_PASSPHRASE='correct horse battery staple' child read)"
        echo "5 $(DBUS_SESSION_BUS_ADDRESS="unix:path=$HOME/no-bus-here" child read)"
        echo "6 $(DBUS_SESSION_BUS_ADDRESS="unix:path=$HOME/no-bus-here" FACTORCAT_PASSPHRASE='correct horse battery staple' child read)"
    "#;
    let out = in_private_session(home.path(), script);
    let line = |n: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{n} RESULT ")))
            .unwrap_or_else(|| panic!("no result {n} in:\n{out}"))
            .to_string()
    };
    assert_eq!(line("1"), "created");
    assert_eq!(line("2"), "ok 1");
    assert_eq!(
        line("c1"),
        "absent",
        "cached despite FACTORCAT_NO_KEY_CACHE=1"
    );
    assert_eq!(line("c2"), "ok 1");
    let c3 = line("c3");
    assert!(c3 == "cached" || c3 == "no kernel keyring", "{c3}");
    let locked = line("3");
    assert!(locked.starts_with("keyring_locked "), "{locked}");
    assert!(locked.contains("gnome-keyring-daemon --unlock"), "{locked}");
    assert!(locked.contains("FACTORCAT_PASSPHRASE"), "{locked}");
    assert_eq!(line("4"), "ok 1");
    let absent = line("5");
    assert!(absent.starts_with("keyring_unavailable "), "{absent}");
    assert!(absent.contains("FACTORCAT_PASSPHRASE"), "{absent}");
    assert_eq!(line("6"), "ok 1");
}
