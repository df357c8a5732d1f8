//! Measures how long opening a vault takes, for `docs/vault.md`.
//!
//! ```text
//! vault_bench setup N     # new keyring vault with N tokens in $FACTORCAT_HOME
//! vault_bench read        # open it once (what `factorcat code` pays)
//! vault_bench time K      # open it K times in-process, print the mean
//! vault_bench parse K     # time only the JSON parse of its contents
//! vault_bench forget      # drop its master key from the kernel key cache
//! ```

use std::time::Instant;

use factorcat::secret::Secret;
use factorcat::token::Token;
use factorcat::vault::{CreateOptions, Unlock, Vault, VaultError};

fn main() -> Result<(), VaultError> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let vault = Vault::locate()?;
    let unlock = Unlock::from_env();
    match args.first().map(String::as_str) {
        Some("setup") => {
            let n: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(1000);
            vault.create(&CreateOptions {
                keyring: true,
                passphrase: None,
            })?;
            vault.update(&unlock, |data| {
                for i in 0..n {
                    let mut secret = vec![0x42; 20];
                    secret[..8].copy_from_slice(&(i as u64).to_be_bytes());
                    let mut token = Token::new(
                        format!("Issuer {i}"),
                        format!("user{i}@example.com"),
                        Secret::from_bytes(secret).expect("20-byte secret"),
                    );
                    token.sites.push(format!("site{i}.example.com"));
                    data.insert(token);
                }
                Ok::<(), VaultError>(())
            })?;
            println!("created {} with {n} tokens", vault.file().display());
        }
        Some("read") => {
            let data = vault.read(&unlock)?;
            println!("{}", data.tokens.len());
        }
        Some("time") => {
            let k: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100);
            let start = Instant::now();
            for _ in 0..k {
                std::hint::black_box(vault.read(&unlock)?);
            }
            println!("mean read: {:?}", start.elapsed() / k);
        }
        Some("parse") => {
            // The JSON part alone: what the token schema costs.
            let k: u32 = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100);
            let plain = serde_json::to_vec(&vault.read(&unlock)?.tokens).expect("serializable");
            let start = Instant::now();
            for _ in 0..k {
                let data: Vec<Token> = serde_json::from_slice(&plain).expect("valid JSON");
                std::hint::black_box(data);
            }
            println!(
                "mean parse of {} bytes: {:?}",
                plain.len(),
                start.elapsed() / k
            );
        }
        Some("forget") => {
            vault.forget_cached_key()?;
        }
        _ => eprintln!("usage: vault_bench setup N | read | time K | forget"),
    }
    Ok(())
}
