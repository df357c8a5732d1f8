//! Opening a 1,000-token vault: the full open (`Vault::read`, what `list`
//! and the native host pay) and the one-record look-up (`Vault::read_one`,
//! what `factorcat code` pays); and changing it (`Vault::update`: lock,
//! re-read, write a new generation durably, keep the previous one). The passphrase slot uses the smallest
//! Argon2id parameters the format allows, so key derivation (a deliberate
//! cost, paid only without the keyring) stays out of the figures.
//!
//! `cargo bench -p factorcat --bench vault`

use criterion::{Criterion, criterion_group, criterion_main};
use factorcat::query;
use factorcat::secret::Secret;
use factorcat::token::Token;
use factorcat::vault::{CreateOptions, KdfParams, Unlock, Vault, VaultError};
use zeroize::Zeroizing;

const TOKENS: usize = 1000;

fn vault_with_tokens(dir: &std::path::Path) -> Vault {
    let vault = Vault::at(dir).with_key_cache(false);
    let options = CreateOptions {
        keyring: false,
        passphrase: Some(Zeroizing::new("bench".into())),
    };
    let kdf = KdfParams {
        m_kib: 8,
        t: 1,
        p: 1,
    };
    vault.create_with_kdf(&options, kdf).expect("create");
    vault
        .update(&Unlock::with_passphrase("bench"), |data| {
            for i in 0..TOKENS {
                let key: Vec<u8> = (0..20u8).map(|b| b ^ (i as u8)).collect();
                let mut token = Token::new(
                    format!("Issuer {i}"),
                    format!("user{i}@example.com"),
                    Secret::from_bytes(key).unwrap(),
                );
                token.sites.push(format!("site{i}.example.com"));
                data.insert(token);
            }
            Ok::<_, VaultError>(())
        })
        .expect("fill");
    vault
}

fn open(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_tokens(&dir.path().join("vault"));
    let unlock = Unlock::with_passphrase("bench");
    let mut group = c.benchmark_group("open 1,000-token vault");
    group.bench_function("read (every token)", |b| {
        b.iter(|| vault.read(&unlock).unwrap())
    });
    group.bench_function("read_one (query \"user999\")", |b| {
        b.iter(|| {
            vault
                .read_one(&unlock, |heads| {
                    query::resolve(heads, "user999@example.com").map_err(|_| VaultError::NoSlot)
                })
                .unwrap()
        })
    });
    group.finish();
}

fn update(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let vault = vault_with_tokens(&dir.path().join("vault"));
    let unlock = Unlock::with_passphrase("bench");
    let mut group = c.benchmark_group("change 1,000-token vault");
    // Each write fsyncs the file and the directory, so the figure depends
    // on the disk; fewer samples keep the run short.
    group.sample_size(20);
    group.bench_function("update (pin one token)", |b| {
        b.iter(|| {
            vault
                .update(&unlock, |data| {
                    let token = &mut data.tokens[0];
                    token.pinned = !token.pinned;
                    Ok::<_, VaultError>(())
                })
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, open, update);
criterion_main!(benches);
