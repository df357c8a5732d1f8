//! Property tests for the vault: encrypt ↔ decrypt and the record store.
//!
//! * Any set of tokens (every kind, algorithm, digit count, period and
//!   counter, any Unicode issuer, account, AWS user and tags, sites, AWS
//!   contexts of every partition, pins and times), with fill records,
//!   written through `Vault::update` reads back equal through
//!   `Vault::read`, `Vault::read_one` and `Vault::read_matching`.
//! * Sequences of adds, in-place replacements, metadata edits, removals
//!   (of present and absent ids) and failing updates behave exactly like a
//!   plain list model after every step — through all three ways of
//!   reading — and a failing update leaves the file byte for byte as it
//!   was.
//! * Neither the vault file nor its previous generation ever holds a
//!   secret — raw, base32 (either case, with or without padding) or hex —
//!   or a label, site or tag of 8 bytes or more in the clear, including
//!   those of tokens removed earlier.
//!
//! The vaults are passphrase-only with the cheapest Argon2id parameters,
//! so no keyring is needed and a case takes milliseconds. Case counts are
//! small; set `PROPTEST_CASES` for a longer run.

use std::collections::BTreeMap;

use crate::support::secrets::secret_spellings;
use crate::support::strategies::{config, contains_bytes, token, tokens};
use factorcat::token::{Token, TokenHead, TokenMeta, TokenSites};
use factorcat::vault::{CreateOptions, KdfParams, Unlock, Vault, VaultData, VaultError};
use proptest::prelude::*;
use uuid::Uuid;
use zeroize::Zeroizing;

/// The cheapest Argon2id parameters a vault accepts (tests only).
const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};
const PASSPHRASE: &str = "property passphrase";

fn unlock() -> Unlock {
    Unlock::with_passphrase(PASSPHRASE)
}

/// A new passphrase-only vault in a fresh directory.
fn new_vault() -> (tempfile::TempDir, Vault) {
    let root = tempfile::tempdir().unwrap();
    let vault = Vault::at(root.path().join("home")).with_key_cache(false);
    let options = CreateOptions {
        keyring: false,
        passphrase: Some(Zeroizing::new(PASSPHRASE.to_string())),
    };
    vault.create_with_kdf(&options, CHEAP).unwrap();
    (root, vault)
}

/// The texts of a token that must never be on disk in the clear: those of
/// 8 bytes or more (shorter ones could occur by chance).
fn clear_texts(token: &Token) -> Vec<String> {
    let mut texts = vec![token.issuer.clone(), token.account.clone()];
    texts.extend(token.sites.iter().cloned());
    texts.extend(token.tags.iter().cloned());
    if let Some(aws) = &token.aws {
        texts.extend(aws.user.iter().cloned());
        texts.extend(aws.account_alias.iter().cloned());
    }
    texts.retain(|t| t.len() >= 8);
    texts
}

/// Fails when the vault file or its previous generation holds a secret or
/// a text of any token in `seen` in the clear.
fn check_files(vault: &Vault, seen: &[Token]) -> Result<(), TestCaseError> {
    for path in [vault.file(), vault.prev_file()] {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        for token in seen {
            let raw = token.secret.expose();
            prop_assert!(
                !contains_bytes(&bytes, raw),
                "{} holds a raw secret",
                path.display()
            );
            for spelling in secret_spellings(&token.secret) {
                prop_assert!(
                    !contains_bytes(&bytes, spelling.as_bytes()),
                    "{} holds a secret as text",
                    path.display()
                );
            }
            for text in clear_texts(token) {
                prop_assert!(
                    !contains_bytes(&bytes, text.as_bytes()),
                    "{} holds {:?} in the clear",
                    path.display(),
                    text
                );
            }
        }
    }
    Ok(())
}

/// Reads the vault every way there is and compares with `model`.
fn check_reads(
    vault: &Vault,
    model: &[Token],
    fills: &BTreeMap<Uuid, u64>,
    picks: &[prop::sample::Index],
) -> Result<(), TestCaseError> {
    let data = vault.read(&unlock()).unwrap();
    prop_assert_eq!(&data.tokens, &model.to_vec());
    prop_assert_eq!(&data.fills, fills);

    // read_one: the index it offers, and the record it decodes.
    for pick in picks.iter().take(3) {
        if model.is_empty() {
            break;
        }
        let want = &model[pick.index(model.len())];
        let got = vault
            .read_one(&unlock(), |heads: &[TokenHead]| {
                let expected: Vec<TokenHead> = model.iter().map(TokenHead::of).collect();
                assert_eq!(heads, &expected[..], "the index read_one offers");
                heads
                    .iter()
                    .position(|h| h.id == want.id)
                    .ok_or(VaultError::NoSlot)
            })
            .unwrap();
        prop_assert_eq!(&got, want);
    }

    // read_matching: the light records, and the chosen ones in order.
    let chosen: Vec<usize> = if model.is_empty() {
        Vec::new()
    } else {
        picks.iter().map(|p| p.index(model.len())).collect()
    };
    let got = vault
        .read_matching(&unlock(), |light: &[TokenSites], _| {
            let expected: Vec<TokenSites> = model.iter().map(TokenSites::of).collect();
            assert_eq!(light, &expected[..], "the records read_matching offers");
            Ok::<_, VaultError>(chosen.clone())
        })
        .unwrap();
    let want: Vec<TokenMeta> = chosen.iter().map(|i| TokenMeta::of(&model[*i])).collect();
    prop_assert_eq!(got, want);
    Ok(())
}

/// One step of a vault's life.
#[derive(Debug, Clone)]
enum Op {
    /// `VaultData::insert` of a token with a new id.
    Add(Token),
    /// `VaultData::insert` of a different token under a present id.
    Replace(prop::sample::Index, Token),
    /// Metadata edit in place through `get_mut`.
    Edit(prop::sample::Index, Token),
    /// Removal of a present token.
    Remove(prop::sample::Index),
    /// Removal of an id that is not there.
    RemoveAbsent(u128),
    /// A fill record for a present token.
    Fill(prop::sample::Index, u64),
    /// An update whose closure changes things, then fails.
    Fail(Token),
}

fn op() -> impl Strategy<Value = Op> {
    let index = any::<prop::sample::Index>;
    prop_oneof![
        4 => token().prop_map(Op::Add),
        1 => (index(), token()).prop_map(|(i, t)| Op::Replace(i, t)),
        2 => (index(), token()).prop_map(|(i, t)| Op::Edit(i, t)),
        2 => index().prop_map(Op::Remove),
        1 => any::<u128>().prop_map(Op::RemoveAbsent),
        1 => (index(), any::<u64>()).prop_map(|(i, s)| Op::Fill(i, s)),
        1 => token().prop_map(Op::Fail),
    ]
}

/// Applies `op` to the model; returns whether the vault update must fail.
fn apply_model(
    op: &Op,
    model: &mut Vec<Token>,
    fills: &mut BTreeMap<Uuid, u64>,
    removed: &mut Vec<Uuid>,
) -> bool {
    match op {
        Op::Add(t) => {
            model.retain(|m| m.id != t.id);
            model.push(t.clone());
            removed.retain(|id| *id != t.id);
        }
        Op::Replace(i, t) | Op::Edit(i, t) => {
            if model.is_empty() {
                return false;
            }
            let at = i.index(model.len());
            let id = model[at].id;
            if matches!(op, Op::Replace(..)) {
                model[at] = Token { id, ..t.clone() };
            } else {
                edit(&mut model[at], t);
            }
        }
        Op::Remove(i) => {
            if !model.is_empty() {
                let gone = model.remove(i.index(model.len()));
                fills.remove(&gone.id);
                removed.retain(|id| *id != gone.id);
                removed.push(gone.id);
            }
        }
        Op::RemoveAbsent(_) => {}
        Op::Fill(i, step) => {
            if !model.is_empty() {
                fills.insert(model[i.index(model.len())].id, *step);
            }
        }
        Op::Fail(_) => return true,
    }
    false
}

/// The metadata an edit changes (the secret and its parameters stay).
fn edit(token: &mut Token, from: &Token) {
    token.issuer = from.issuer.clone();
    token.account = from.account.clone();
    token.sites = from.sites.clone();
    token.aws = from.aws.clone();
    token.tags = from.tags.clone();
    token.pinned = from.pinned;
    token.updated = from.updated;
}

/// Applies `op` to the vault's data inside an update.
fn apply_vault(op: &Op, data: &mut VaultData) -> Result<(), VaultError> {
    let pick = |data: &VaultData, i: &prop::sample::Index| {
        (!data.tokens.is_empty()).then(|| data.tokens[i.index(data.tokens.len())].id)
    };
    match op {
        Op::Add(t) => data.insert(t.clone()),
        Op::Replace(i, t) => {
            if let Some(id) = pick(data, i) {
                data.insert(Token { id, ..t.clone() });
            }
        }
        Op::Edit(i, t) => {
            if let Some(id) = pick(data, i) {
                edit(data.get_mut(id).unwrap(), t);
            }
        }
        Op::Remove(i) => {
            if let Some(id) = pick(data, i) {
                assert!(data.remove(id).is_some());
            }
        }
        Op::RemoveAbsent(raw) => {
            let id = Uuid::from_u128(*raw);
            if data.get(id).is_none() {
                let tombstones = data.tombstones.clone();
                assert!(data.remove(id).is_none());
                assert_eq!(data.tombstones, tombstones, "no tombstone for an absent id");
            }
        }
        Op::Fill(i, step) => {
            if let Some(id) = pick(data, i) {
                data.fills.insert(id, *step);
            }
        }
        Op::Fail(t) => {
            data.insert(t.clone());
            data.tokens.clear();
            return Err(VaultError::NoSlot);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn any_token_set_reads_back_equal(
        tokens in tokens(12),
        fill_steps in prop::collection::vec(any::<u64>(), 0..4),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..5),
    ) {
        let (_root, vault) = new_vault();
        let mut fills = BTreeMap::new();
        for (token, step) in tokens.iter().zip(&fill_steps) {
            fills.insert(token.id, *step);
        }
        vault
            .update(&unlock(), |data| {
                for token in &tokens {
                    data.insert(token.clone());
                }
                data.fills = fills.clone();
                Ok::<_, VaultError>(())
            })
            .unwrap();
        check_reads(&vault, &tokens, &fills, &picks)?;
        check_files(&vault, &tokens)?;
        // A wrong passphrase opens nothing, whatever the contents.
        let wrong = vault.read(&Unlock::with_passphrase("not the passphrase"));
        prop_assert!(matches!(wrong, Err(VaultError::WrongPassphrase)));
    }
}

proptest! {
    #![proptest_config(config(24))]

    #[test]
    fn update_sequences_follow_a_list_model(
        ops in prop::collection::vec(op(), 1..14),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
    ) {
        let (_root, vault) = new_vault();
        let mut model: Vec<Token> = Vec::new();
        let mut fills = BTreeMap::new();
        let mut removed = Vec::new();
        let mut seen: Vec<Token> = Vec::new();
        for op in &ops {
            if let Op::Add(t) | Op::Replace(_, t) | Op::Edit(_, t) | Op::Fail(t) = op {
                seen.push(t.clone());
            }
            let before = std::fs::read(vault.file()).unwrap();
            let must_fail = apply_model(op, &mut model, &mut fills, &mut removed);
            let result = vault.update(&unlock(), |data| apply_vault(op, data));
            if must_fail {
                prop_assert!(result.is_err());
                prop_assert_eq!(
                    std::fs::read(vault.file()).unwrap(),
                    before,
                    "a failed update changed the file"
                );
            } else {
                prop_assert!(result.is_ok(), "{:?} failed: {:?}", op, result);
            }
            check_reads(&vault, &model, &fills, &picks)?;
            let data = vault.read(&unlock()).unwrap();
            for id in &removed {
                prop_assert!(
                    data.tombstones.iter().any(|t| t.id == *id),
                    "no tombstone for a removed token"
                );
            }
            prop_assert!(data.tombstones.iter().all(|t| data.get(t.id).is_none()));
            check_files(&vault, &seen)?;
        }
    }
}
