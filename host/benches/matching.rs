//! In-process `match` over 10,000 tokens: the cost of one `match` request
//! apart from reading the vault. Run with `cargo bench -p factorcat --bench matching`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use factorcat::secret::Secret;
use factorcat::site::{Hint, match_url};
use factorcat::token::{AwsContext, Partition, Token};

/// 10,000 tokens: 9,000 generic ones with their own sites, a few hundred on
/// well-known issuers, and 1,000 AWS devices across accounts and partitions.
fn vault() -> Vec<Token> {
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    (0..10_000u32)
        .map(|i| {
            let mut t = Token::new("Service", format!("user{i}"), secret.clone());
            match i % 10 {
                0 => {
                    t.issuer = "Amazon Web Services".into();
                    t.aws = Some(AwsContext {
                        account_id: Some(format!("{:012}", i / 10)),
                        account_alias: None,
                        user: Some(format!("user{}", i % 7)),
                        partition: match i % 30 {
                            10 => Partition::AwsUsGov,
                            20 => Partition::AwsCn,
                            _ => Partition::Aws,
                        },
                        ..AwsContext::default()
                    });
                }
                1 => t.issuer = "GitHub".into(),
                _ => t.sites = vec![format!("login.site{i}.example.com")],
            }
            t
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let tokens = vault();
    let hint = Hint {
        account: Some("000000000300".into()),
        user: Some("user0".into()),
        email: None,
    };
    let none = Hint::default();
    c.bench_function("match 10k tokens: AWS regional page with hint", |b| {
        b.iter(|| {
            match_url(
                black_box(&tokens),
                black_box("https://us-east-1.signin.aws.amazon.com/oauth?client_id=x"),
                black_box(&hint),
            )
            .unwrap()
        })
    });
    c.bench_function("match 10k tokens: generic site", |b| {
        b.iter(|| {
            match_url(
                black_box(&tokens),
                black_box("https://login.site4242.example.com/2fa"),
                black_box(&none),
            )
            .unwrap()
        })
    });
    c.bench_function("match 10k tokens: well-known issuer", |b| {
        b.iter(|| {
            match_url(
                black_box(&tokens),
                black_box("https://github.com/sessions/two-factor"),
                black_box(&none),
            )
            .unwrap()
        })
    });
}

/// The Public Suffix List look-up: compiled in, so there is no per-process
/// parse; for comparison, what parsing the list at start-up used to cost.
fn public_suffix_list(c: &mut Criterion) {
    c.bench_function("registrable domain of a deep host", |b| {
        b.iter(|| {
            factorcat::site::registrable_domain(black_box(
                "a.b.c.123456789012.signin.aws.amazon.com",
            ))
            .map(str::len)
        })
    });
    let text = include_str!("../src/data/public_suffix_list.dat");
    c.bench_function("parse the bundled list at run time (no longer done)", |b| {
        b.iter(|| black_box(text).parse::<publicsuffix::List>().unwrap())
    });
}

criterion_group!(benches, bench, public_suffix_list);
criterion_main!(benches);
