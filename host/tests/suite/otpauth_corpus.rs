//! The otpauth corpora in `tests/data/otpauth/`: every URI in `accept.jsonl`
//! must parse to exactly the listed fields and survive emit → parse; every
//! URI in `refuse.tsv` must fail with exactly the listed reason, and no
//! error message may contain the URI's secret.

use std::path::PathBuf;

use factorcat::otpauth::{self, MAX_URI_LEN};
use factorcat::token::{Kind, MAX_TEXT_LEN, Token};
use serde::Deserialize;

fn data(name: &str) -> String {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", "otpauth", name]
        .iter()
        .collect();
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One line of `accept.jsonl`. `period` is given for TOTP, `counter` for
/// HOTP, neither for Steam; `aws` is absent for tokens that are not AWS MFA
/// devices. Every field is compared exactly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Accept {
    name: String,
    uri: String,
    issuer: String,
    account: String,
    kind: String,
    algorithm: String,
    digits: u8,
    period: Option<u64>,
    counter: Option<u64>,
    secret: String,
    #[serde(default)]
    aws: Option<ExpectedAws>,
    #[serde(default)]
    sites: Vec<String>,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct ExpectedAws {
    account_id: Option<String>,
    account_alias: Option<String>,
    user: Option<String>,
    #[serde(default = "aws_partition")]
    partition: String,
}

fn aws_partition() -> String {
    "aws".to_string()
}

fn accepts() -> Vec<Accept> {
    data("accept.jsonl")
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("accept.jsonl line {}: {e}", i + 1))
        })
        .collect()
}

/// Compares a parsed token with the expectation, returning every mismatch.
fn mismatches(case: &Accept, token: &Token) -> Vec<String> {
    let mut wrong = Vec::new();
    let mut check = |what: &str, got: String, want: String| {
        if got != want {
            wrong.push(format!("{what}: got {got:?}, want {want:?}"));
        }
    };
    check("issuer", token.issuer.clone(), case.issuer.clone());
    check("account", token.account.clone(), case.account.clone());
    check("kind", token.kind.name().into(), case.kind.clone());
    check(
        "algorithm",
        token.algorithm.to_string(),
        case.algorithm.clone(),
    );
    check("digits", token.digits.to_string(), case.digits.to_string());
    let (period, counter) = match token.kind {
        Kind::Totp { period } => (Some(period), None),
        Kind::Hotp { counter } => (None, Some(counter)),
        Kind::Steam => (None, None),
    };
    check(
        "period",
        format!("{period:?}"),
        format!("{:?}", case.period),
    );
    check(
        "counter",
        format!("{counter:?}"),
        format!("{:?}", case.counter),
    );
    check(
        "secret",
        token.secret.to_base32().to_string(),
        case.secret.clone(),
    );
    let aws = token.aws.as_ref().map(|a| ExpectedAws {
        account_id: a.account_id.clone(),
        account_alias: a.account_alias.clone(),
        user: a.user.clone(),
        partition: a.partition.as_str().to_string(),
    });
    check("aws", format!("{aws:?}"), format!("{:?}", case.aws));
    check(
        "sites",
        format!("{:?}", token.sites),
        format!("{:?}", case.sites),
    );
    wrong
}

#[test]
fn accept_corpus_parses_to_the_expected_fields() {
    let cases = accepts();
    assert!(cases.len() >= 30, "only {} accept cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match otpauth::parse(&case.uri) {
            Ok(token) => {
                let wrong = mismatches(case, &token);
                if !wrong.is_empty() {
                    failures.push(format!("{}: {}", case.name, wrong.join("; ")));
                }
            }
            Err(err) => failures.push(format!("{}: refused ({}): {err}", case.name, err.reason())),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn accept_corpus_survives_emit_and_parse() {
    let mut failures = Vec::new();
    for case in accepts() {
        let token = otpauth::parse(&case.uri).expect("covered by the other test");
        let uri = otpauth::emit(&token);
        match otpauth::parse(&uri) {
            Ok(again) => {
                let wrong = mismatches(&case, &again);
                if !wrong.is_empty() {
                    failures.push(format!("{}: {}", case.name, wrong.join("; ")));
                }
            }
            Err(err) => failures.push(format!("{}: emitted URI refused: {err}", case.name)),
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The `secret` parameter's raw value, for checking that messages omit it.
fn raw_secret(uri: &str) -> Option<&str> {
    let query = uri.split_once('?')?.1;
    query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.eq_ignore_ascii_case("secret"))
        .map(|(_, value)| value)
}

#[test]
fn refuse_corpus_fails_with_the_expected_codes() {
    let text = data("refuse.tsv");
    let mut failures = Vec::new();
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (Some(name), Some(code), Some(uri)) = (fields.next(), fields.next(), fields.next())
        else {
            panic!("refuse.tsv line {}: need name, code and URI", i + 1);
        };
        count += 1;
        match otpauth::parse(uri) {
            Ok(token) => failures.push(format!("{name}: accepted as {token:?}")),
            Err(err) => {
                if err.reason() != code {
                    failures.push(format!("{name}: got {} ({err}), want {code}", err.reason()));
                }
                let message = err.to_string();
                let shows_secret = raw_secret(uri).filter(|s| s.len() >= 8).is_some_and(|s| {
                    message
                        .to_ascii_uppercase()
                        .contains(&s.to_ascii_uppercase())
                });
                if shows_secret {
                    failures.push(format!("{name}: message shows the secret: {message}"));
                }
                if format!("{err:?}").contains("JBSWY3DPEHPK3PXP") {
                    failures.push(format!("{name}: Debug shows the secret: {err:?}"));
                }
            }
        }
    }
    assert!(count >= 25, "only {count} refuse cases");
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn length_limits() {
    let secret = "JBSWY3DPEHPK3PXP";
    // A URI past the limit is refused before anything else is looked at.
    let padding = "x".repeat(MAX_URI_LEN);
    let uri = format!("otpauth://totp/X:y?secret={secret}&image={padding}");
    assert_eq!(otpauth::parse(&uri).unwrap_err().reason(), "uri_too_long");
    // Exactly at the limit is fine (unknown parameter ignored).
    let base = format!("otpauth://totp/X:y?secret={secret}&image=");
    let uri = format!("{base}{}", "x".repeat(MAX_URI_LEN - base.len()));
    assert_eq!(uri.len(), MAX_URI_LEN);
    assert!(otpauth::parse(&uri).is_ok());
    // Issuer and account: up to MAX_TEXT_LEN bytes after decoding.
    let long = "a".repeat(MAX_TEXT_LEN);
    let token = otpauth::parse(&format!("otpauth://totp/{long}:{long}?secret={secret}")).unwrap();
    assert_eq!(token.issuer.len(), MAX_TEXT_LEN);
    let longer = "a".repeat(MAX_TEXT_LEN + 1);
    for uri in [
        format!("otpauth://totp/X:{longer}?secret={secret}"),
        format!("otpauth://totp/{longer}:y?secret={secret}"),
        format!("otpauth://totp/X:y?secret={secret}&issuer={longer}"),
        // Decoded length counts: 257 × "é" is 514 bytes of UTF-8.
        format!("otpauth://totp/X:{}?secret={secret}", "%C3%A9".repeat(257)),
    ] {
        let err = otpauth::parse(&uri).unwrap_err();
        assert_eq!(err.reason(), "field_too_long", "{}", &uri[..40]);
    }
    // A secret past the secret limit.
    let uri = format!("otpauth://totp/X:y?secret={}", "A".repeat(1000));
    assert_eq!(
        otpauth::parse(&uri).unwrap_err().reason(),
        "secret_too_long"
    );
}
