//! Code correctness: published test vectors, then a cross-check against an
//! independent implementation (OATH Toolkit's `oathtool`) over random tokens.
//!
//! Vector sources:
//! - RFC 4226 appendix D (HOTP, SHA-1, counters 0–9, and the table of
//!   31-bit truncated values, which are the 10-digit codes);
//! - RFC 6238 appendix B (TOTP, SHA-1/256/512, 8 digits, six times);
//! - KeePassXC's `tests/TestTotp.cpp` (two Steam codes read off the Steam
//!   mobile app) and Bitwarden's `sdk-internal` TOTP tests (one `steam://`
//!   code);
//! - Aegis's `VaultEntries` tokens, whose codes were computed separately with
//!   Python's standard library, RFC 4226 truncation written out by hand:
//!
//!   ```text
//!   h = hmac.new(base64.b32decode(secret_padded), struct.pack(">Q", counter), hashlib.sha256).digest()
//!   o = h[-1] & 15
//!   code = str((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 10**digits).zfill(digits)
//!   ```
//!
//!   (Steam: take the same 31-bit value and emit `value % 26` indexes into
//!   `23456789BCDFGHJKMNPQRTVWXY` five times, dividing by 26 each time; this
//!   reproduces the KeePassXC and Bitwarden codes above.)

use crate::support::secrets;

use factorcat::secret::Secret;
use factorcat::token::{Algorithm, Kind, Token};
use proptest::prelude::*;

/// RFC 4226 / RFC 6238 SHA-1 seed: ASCII "12345678901234567890".
const SEED_SHA1: &[u8] = b"12345678901234567890";
/// RFC 6238 SHA-256 seed (32 bytes).
const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
/// RFC 6238 SHA-512 seed (64 bytes).
const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

fn token(seed: &[u8], algorithm: Algorithm, digits: u8, kind: Kind) -> Token {
    let secret = Secret::from_bytes(seed.to_vec()).expect("test seed has a valid length");
    let mut token = Token::new("Test", "vectors", secret);
    token.algorithm = algorithm;
    token.digits = digits;
    token.kind = kind;
    token.validate().expect("test token has valid parameters");
    token
}

fn base32_token(secret: &str, algorithm: Algorithm, digits: u8, kind: Kind) -> Token {
    let secret = Secret::from_base32(secret).expect("test secret is valid base32");
    token(secret.expose(), algorithm, digits, kind)
}

#[test]
fn rfc4226_appendix_d_hotp() {
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    let t = token(SEED_SHA1, Algorithm::Sha1, 6, Kind::Hotp { counter: 0 });
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(t.hotp_code(counter as u64), *code, "counter {counter}");
    }
    // code_at of an HOTP token is the code of its stored counter, whatever the time.
    let t = token(SEED_SHA1, Algorithm::Sha1, 6, Kind::Hotp { counter: 3 });
    assert_eq!(t.code_at(1_700_000_000), "969429");
}

#[test]
fn rfc4226_truncated_values_as_ten_digit_codes() {
    // Appendix D lists the 31-bit value before "mod 10^Digit"; with 10 digits
    // the whole value is the code, zero-padded on the left.
    let expected = [
        "1284755224",
        "1094287082",
        "0137359152",
        "1726969429",
        "1640338314",
        "0868254676",
        "1918287922",
        "0082162583",
        "0673399871",
        "0645520489",
    ];
    let t = token(SEED_SHA1, Algorithm::Sha1, 10, Kind::Hotp { counter: 0 });
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(t.hotp_code(counter as u64), *code, "counter {counter}");
    }
    // The same values through the TOTP path (30 s steps: counter 2 at t=60..89).
    let t = token(SEED_SHA1, Algorithm::Sha1, 10, Kind::Totp { period: 30 });
    assert_eq!(t.code_at(89), "0137359152");
    // And 9 digits, the longest totp-rs renders itself.
    let t = token(SEED_SHA1, Algorithm::Sha1, 9, Kind::Hotp { counter: 0 });
    assert_eq!(t.hotp_code(1), "094287082");
}

#[test]
fn rfc6238_appendix_b_totp() {
    // (time, SHA-1, SHA-256, SHA-512), 8 digits, 30 s.
    let table: [(u64, &str, &str, &str); 6] = [
        (59, "94287082", "46119246", "90693936"),
        (1_111_111_109, "07081804", "68084774", "25091201"),
        (1_111_111_111, "14050471", "67062674", "99943326"),
        (1_234_567_890, "89005924", "91819424", "93441116"),
        (2_000_000_000, "69279037", "90698825", "38618901"),
        (20_000_000_000, "65353130", "77737706", "47863826"),
    ];
    let period = Kind::Totp { period: 30 };
    let sha1 = token(SEED_SHA1, Algorithm::Sha1, 8, period.clone());
    let sha256 = token(SEED_SHA256, Algorithm::Sha256, 8, period.clone());
    let sha512 = token(SEED_SHA512, Algorithm::Sha512, 8, period);
    for (time, c1, c256, c512) in table {
        assert_eq!(sha1.code_at(time), c1, "SHA1 at {time}");
        assert_eq!(sha256.code_at(time), c256, "SHA256 at {time}");
        assert_eq!(sha512.code_at(time), c512, "SHA512 at {time}");
    }
}

#[test]
fn steam_guard_vectors() {
    // KeePassXC: codes shown by the Steam mobile app for a throw-away account.
    let t = base32_token(
        "63BEDWCQZKTQWPESARIERL5DTTQFCJTK",
        Algorithm::Sha1,
        5,
        Kind::Steam,
    );
    assert_eq!(t.code_at(1_511_200_518), "FR8RV");
    assert_eq!(t.code_at(1_511_200_714), "9P3VP");
    // Bitwarden SDK: steam://HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ at 2023-01-01T00:00:00Z.
    let t = base32_token(
        "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
        Algorithm::Sha1,
        5,
        Kind::Steam,
    );
    assert_eq!(t.code_at(1_672_531_200), "7W6CJ");
    // A Steam code uses only Steam's 26-character alphabet.
    for time in (0..3000).map(|i| i * 30) {
        let code = t.code_at(time);
        assert_eq!(code.len(), 5);
        assert!(
            code.chars()
                .all(|c| "23456789BCDFGHJKMNPQRTVWXY".contains(c)),
            "{code}"
        );
    }
}

#[test]
fn aegis_vault_entries() {
    // (secret, algorithm, digits, period, [codes at 59, 1234567890, 2000000000])
    let totp = [
        (
            "4SJHB4GSD43FZBAI7C2HLRJGPQ",
            Algorithm::Sha1,
            6,
            30,
            ["526156", "001580", "026634"],
        ),
        (
            "5OM4WOOGPLQEF6UGN3CPEOOLWU",
            Algorithm::Sha256,
            7,
            20,
            ["1119156", "8650438", "8081167"],
        ),
        (
            "7ELGJSGXNCCTV3O6LKJWYFV2RA",
            Algorithm::Sha512,
            8,
            50,
            ["11712489", "21994524", "02800793"],
        ),
    ];
    for (secret, algorithm, digits, period, codes) in totp {
        let t = base32_token(secret, algorithm, digits, Kind::Totp { period });
        for (time, code) in [59, 1_234_567_890, 2_000_000_000].into_iter().zip(codes) {
            assert_eq!(t.code_at(time), code, "{algorithm} at {time}");
        }
    }
    // (secret, algorithm, digits, counter, [code at counter, at counter + 1])
    let hotp = [
        (
            "YOOMIXWS5GN6RTBPUFFWKTW5M4",
            Algorithm::Sha1,
            6,
            1,
            ["253717", "178033"],
        ),
        (
            "KUVJJOM753IHTNDSZVCNKL7GII",
            Algorithm::Sha256,
            7,
            50,
            ["4444976", "1686577"],
        ),
        (
            "5VAML3X35THCEBVRLV24CGBKOY",
            Algorithm::Sha512,
            8,
            10_300,
            ["24622277", "43610905"],
        ),
    ];
    for (secret, algorithm, digits, counter, codes) in hotp {
        let t = base32_token(secret, algorithm, digits, Kind::Hotp { counter });
        assert_eq!(t.code_at(0), codes[0], "{algorithm} at {counter}");
        assert_eq!(
            t.hotp_code(counter + 1),
            codes[1],
            "{algorithm} at {}",
            counter + 1
        );
    }
    let steam = base32_token(
        "JRZCL47CMXVOQMNPZR2F7J4RGI",
        Algorithm::Sha1,
        5,
        Kind::Steam,
    );
    for (time, code) in [
        (59, "9WW3X"),
        (1_234_567_890, "WR5P6"),
        (2_000_000_000, "G7879"),
    ] {
        assert_eq!(steam.code_at(time), code, "Steam at {time}");
    }
}

#[test]
fn seconds_left_counts_down_to_the_step_boundary() {
    let t = token(SEED_SHA1, Algorithm::Sha1, 6, Kind::Totp { period: 30 });
    assert_eq!(t.seconds_left(59), Some(1));
    assert_eq!(t.seconds_left(60), Some(30));
    let t = token(SEED_SHA1, Algorithm::Sha1, 6, Kind::Hotp { counter: 0 });
    assert_eq!(t.seconds_left(60), None);
}

proptest! {
    /// Any valid token at any time gives a code of the right length and
    /// alphabet, and never panics (times up to u64::MAX, counters too).
    #[test]
    fn codes_have_the_right_shape(
        key in prop::collection::vec(any::<u8>(), 10..=64),
        algorithm in prop_oneof![Just(Algorithm::Sha1), Just(Algorithm::Sha256), Just(Algorithm::Sha512)],
        digits in 6u8..=10,
        kind in prop_oneof![
            (1u64..=86_400).prop_map(|period| Kind::Totp { period }),
            any::<u64>().prop_map(|counter| Kind::Hotp { counter }),
            Just(Kind::Steam),
        ],
        time in any::<u64>(),
    ) {
        let digits = if kind == Kind::Steam { 5 } else { digits };
        let t = token(&key, algorithm, digits, kind.clone());
        let code = t.code_at(time);
        prop_assert_eq!(code.len(), usize::from(digits));
        if kind == Kind::Steam {
            prop_assert!(code.chars().all(|c| "23456789BCDFGHJKMNPQRTVWXY".contains(c)), "{}", code);
        } else {
            prop_assert!(code.bytes().all(|b| b.is_ascii_digit()), "{}", code);
        }
        if let Some(left) = t.seconds_left(time) {
            prop_assert!((1..=t.kind.period().unwrap_or(0)).contains(&left));
        }
    }
}

mod oathtool {
    //! Random tokens against Debian's `oathtool` (OATH Toolkit). It supports
    //! 6–8 digits only, and HOTP only with SHA-1; SHA-256/512 HOTP is checked
    //! as TOTP with a one-second step at time = counter, which is the same
    //! computation.

    use std::process::Command;

    use super::*;

    const CASES: usize = 300;
    /// Extra consecutive codes asked of each oathtool call (`--window`).
    const WINDOW: u64 = 2;

    /// SplitMix64: a tiny, well-known generator, so the cases are the same on
    /// every machine and every version of every crate.
    struct SplitMix(u64);

    impl SplitMix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        /// Uniform enough in `low..=high` for test-case generation.
        fn range(&mut self, low: u64, high: u64) -> u64 {
            low + self.next() % (high - low + 1)
        }
    }

    /// Runs oathtool and returns its codes, one per line.
    fn run(args: &[String]) -> Vec<String> {
        let out = Command::new("oathtool")
            .args(args)
            .output()
            .expect("oathtool runs");
        assert!(
            out.status.success(),
            "oathtool {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("oathtool prints text")
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn oathtool_present() -> bool {
        let found = Command::new("oathtool").arg("--version").output().is_ok();
        if !found {
            assert!(
                std::env::var_os("FACTORCAT_REQUIRE_OATHTOOL").is_none(),
                "FACTORCAT_REQUIRE_OATHTOOL is set but oathtool is not installed (Debian: apt-get install oathtool)"
            );
            eprintln!();
            eprintln!(
                "!!! SKIPPED: the oathtool cross-check needs `oathtool` (Debian package oathtool)."
            );
            eprintln!(
                "!!! Install it, or set FACTORCAT_REQUIRE_OATHTOOL=1 to make its absence a failure."
            );
            eprintln!();
        }
        found
    }

    /// A random time: mostly within a few centuries, some near the 32-bit
    /// boundaries (2038, 2106), some far in the future.
    fn random_time(rng: &mut SplitMix) -> u64 {
        match rng.range(0, 9) {
            0 => rng.range(0, 1000),
            1 => (1u64 << 31) + rng.range(0, 200) - 100,
            2 => (1u64 << 32) + rng.range(0, 200) - 100,
            3 => rng.range(20_000_000_000, 253_402_300_799), // up to 9999-12-31
            _ => rng.range(0, 10_000_000_000),
        }
    }

    #[test]
    fn random_tokens_match_oathtool() {
        if !oathtool_present() {
            return;
        }
        let mut rng = SplitMix(0x00FA_C7C4_7000_0001);
        let algorithms = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
        let mut compared = 0;
        for case in 0..CASES {
            let len = rng.range(10, 64) as usize;
            let seed: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let algorithm = algorithms[rng.range(0, 2) as usize];
            let digits = rng.range(6, 8) as u8;
            let hotp = case % 3 == 0;
            let mut args = vec![format!("--digits={digits}"), format!("--window={WINDOW}")];
            let (t, first) = if hotp {
                // Counters near the top of the range only for SHA-1: the
                // others go through oathtool's --now, which is a time.
                let counter = if algorithm == Algorithm::Sha1 && rng.range(0, 4) == 0 {
                    u64::MAX - WINDOW - rng.range(0, 1000)
                } else {
                    rng.range(0, 1 << 40)
                };
                if algorithm == Algorithm::Sha1 {
                    args.push(format!("--counter={counter}"));
                } else {
                    args.push(format!("--totp={}", algorithm.as_str()));
                    args.push("--time-step-size=1s".to_string());
                    args.push(format!("--now=@{counter}"));
                }
                (
                    token(&seed, algorithm, digits, Kind::Hotp { counter }),
                    counter,
                )
            } else {
                let period = rng.range(1, 120);
                let time = random_time(&mut rng);
                args.push(format!("--totp={}", algorithm.as_str()));
                args.push(format!("--time-step-size={period}s"));
                args.push(format!("--now=@{time}"));
                (token(&seed, algorithm, digits, Kind::Totp { period }), time)
            };
            args.push(secrets::hex(&seed));
            let expected = run(&args);
            assert_eq!(expected.len() as u64, WINDOW + 1, "oathtool {args:?}");
            for (i, code) in expected.iter().enumerate() {
                let i = i as u64;
                let ours = match t.kind {
                    Kind::Hotp { .. } => t.hotp_code(first + i),
                    _ => t.code_at(first + i * t.kind.period().unwrap_or(1)),
                };
                assert_eq!(
                    &ours,
                    code,
                    "case {case}: {} {algorithm} {digits} digits, step {i}; oathtool {args:?}",
                    t.kind.name()
                );
                compared += 1;
            }
        }
        assert_eq!(compared, CASES * (WINDOW as usize + 1));
    }

    /// A base32 secret whose last character carries bits past the last
    /// byte (`JBSWY3DPEHPK3PXPAB`) is accepted as oathtool accepts it, and
    /// makes oathtool's codes, through the command line.
    #[test]
    fn base32_with_unused_bits_makes_oathtools_codes() {
        if !oathtool_present() {
            return;
        }
        let home = tempfile::tempdir().unwrap();
        let factorcat = |args: &[&str]| {
            let out = Command::new(env!("CARGO_BIN_EXE_factorcat"))
                .args(args)
                .env("FACTORCAT_HOME", home.path().join("vault"))
                .env("FACTORCAT_PASSPHRASE", "codes test")
                .env("FACTORCAT_NO_KEY_CACHE", "1")
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        };
        factorcat(&["init", "--passphrase", "--no-keyring"]);
        factorcat(&[
            "add",
            "--issuer",
            "Odd",
            "--account",
            "bits",
            "--secret",
            "JBSWY3DPEHPK3PXPAB",
        ]);
        for time in ["59", "1111111109", "2000000000"] {
            let ours = factorcat(&["code", "bits", "--time", time]);
            let theirs = run(&[
                "--totp".into(),
                "--base32".into(),
                format!("--now=@{time}"),
                "JBSWY3DPEHPK3PXPAB".into(),
            ]);
            assert_eq!(ours.trim_end(), theirs[0], "at {time}");
        }
    }
}
