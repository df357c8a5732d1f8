//! Creates (or extends) the vault in `$FACTORCAT_HOME` with N generated TOTP
//! tokens in one write, for benchmarks: `cargo run --release --example
//! fill_vault -- 1000`. The last token is "bench@example.com" with RFC
//! 6238's SHA-1 key, so its codes can be compared with oathtool's.

use factorcat::secret::Secret;
use factorcat::token::Token;
use factorcat::vault::{CreateOptions, Unlock, Vault, VaultData};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("1000")
        .parse()?;
    let vault = Vault::locate()?;
    let unlock = Unlock::from_env();
    if !vault.exists() {
        vault.create(&CreateOptions {
            keyring: true,
            passphrase: unlock.passphrase.clone(),
        })?;
    }
    vault.update(&unlock, |data: &mut VaultData| {
        for i in 0..count.saturating_sub(1) {
            let key: Vec<u8> = (0..20u8)
                .map(|b| b.wrapping_mul(31).wrapping_add(i as u8))
                .collect();
            let mut token = Token::new(
                format!("Issuer {i}"),
                format!("user{i}@example.com"),
                Secret::from_bytes(key)?,
            );
            token.sites.push(format!("site{i}.example.com"));
            data.insert(token);
        }
        let rfc = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
        data.insert(Token::new("Bench", "bench@example.com", rfc));
        Ok::<_, Box<dyn std::error::Error>>(())
    })?;
    eprintln!(
        "vault at {} now holds {} more tokens",
        vault.file().display(),
        count
    );
    Ok(())
}
