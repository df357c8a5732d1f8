//! Creates (or extends) the vault in `$FACTORCAT_HOME` with N generated TOTP
//! tokens in one write, for benchmarks: `cargo run --release --example
//! fill_vault -- 1000 [aws]`. With `aws`, the tokens are AWS MFA devices
//! (account id `1000000000NN`-style, IAM user `userN`), as on the AWS
//! sign-in pages. The last token is "bench@example.com" with RFC 6238's
//! SHA-1 key, so its codes can be compared with oathtool's; its id is
//! printed on standard output.

use factorcat::secret::Secret;
use factorcat::token::{AwsContext, Partition, Token};
use factorcat::vault::{CreateOptions, Unlock, Vault, VaultData};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args()
        .nth(1)
        .as_deref()
        .unwrap_or("1000")
        .parse()?;
    let aws = std::env::args().nth(2).as_deref() == Some("aws");
    let vault = Vault::locate()?;
    let unlock = Unlock::from_env();
    if !vault.exists() {
        vault.create(&CreateOptions {
            keyring: true,
            passphrase: unlock.passphrase.clone(),
        })?;
    }
    let id = vault.update(&unlock, |data: &mut VaultData| {
        for i in 0..count.saturating_sub(1) {
            let key: Vec<u8> = (0..20u8)
                .map(|b| b.wrapping_mul(31).wrapping_add(i as u8))
                .collect();
            let token = if aws {
                let account_id = format!("{:012}", 100_000_000_000u64 + i as u64);
                let mut token = Token::new(
                    "Amazon Web Services",
                    format!("user{i}@{account_id}"),
                    Secret::from_bytes(key)?,
                );
                token.sites.push("aws.amazon.com".into());
                token.aws = Some(AwsContext {
                    account_id: Some(account_id),
                    user: Some(format!("user{i}")),
                    partition: Partition::Aws,
                    ..AwsContext::default()
                });
                token
            } else {
                let mut token = Token::new(
                    format!("Issuer {i}"),
                    format!("user{i}@example.com"),
                    Secret::from_bytes(key)?,
                );
                token.sites.push(format!("site{i}.example.com"));
                token
            };
            data.insert(token);
        }
        let rfc = Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
        let bench = Token::new("Bench", "bench@example.com", rfc);
        let id = bench.id;
        data.insert(bench);
        Ok::<_, Box<dyn std::error::Error>>(id)
    })?;
    println!("{id}");
    eprintln!(
        "vault at {} now holds {} more tokens",
        vault.file().display(),
        count
    );
    Ok(())
}
