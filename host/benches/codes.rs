//! Code generation speed: `cargo bench -p factorcat --bench codes`.
//!
//! One code per call, as the CLI and the browser host compute them; the
//! RFC 6238 seeds keep the inputs fixed between runs.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use factorcat::secret::Secret;
use factorcat::token::{Algorithm, Kind, Token};

fn token(seed: &[u8], algorithm: Algorithm, digits: u8, kind: Kind) -> Token {
    let secret = Secret::from_bytes(seed.to_vec()).expect("RFC seed length is valid");
    let mut token = Token::new("Bench", "codes", secret);
    token.algorithm = algorithm;
    token.digits = digits;
    token.kind = kind;
    token
}

fn codes(c: &mut Criterion) {
    let totp = Kind::Totp { period: 30 };
    let sha1 = token(b"12345678901234567890", Algorithm::Sha1, 6, totp.clone());
    let sha512 = token(
        b"1234567890123456789012345678901234567890123456789012345678901234",
        Algorithm::Sha512,
        8,
        totp,
    );
    let steam = token(b"12345678901234567890", Algorithm::Sha1, 5, Kind::Steam);
    let ten = token(
        b"12345678901234567890",
        Algorithm::Sha1,
        10,
        Kind::Hotp { counter: 0 },
    );

    let mut group = c.benchmark_group("code_at");
    group.bench_function("totp_sha1_6_digits", |b| {
        b.iter(|| sha1.code_at(black_box(1_234_567_890)))
    });
    group.bench_function("totp_sha512_8_digits", |b| {
        b.iter(|| sha512.code_at(black_box(1_234_567_890)))
    });
    group.bench_function("steam", |b| {
        b.iter(|| steam.code_at(black_box(1_234_567_890)))
    });
    group.bench_function("hotp_sha1_10_digits", |b| {
        b.iter(|| ten.hotp_code(black_box(7)))
    });
    group.finish();
}

criterion_group!(benches, codes);
criterion_main!(benches);
