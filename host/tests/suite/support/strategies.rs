//! Generators of tokens and their parts for the property tests, and the
//! case-count setting they share.

use factorcat::secret::Secret;
use factorcat::site::normalize_site;
use factorcat::token::{Algorithm, AwsContext, Kind, MAX_TEXT_LEN, Partition, Token};
use proptest::prelude::*;
use uuid::Uuid;

/// `cases` unless `PROPTEST_CASES` is set (then proptest's own reading of
/// it applies).
pub fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn cut(mut text: String, max: usize) -> String {
    while text.len() > max {
        text.pop();
    }
    text
}

/// Any text a token field may hold: arbitrary Unicode (control characters
/// included), the characters URIs and JSON find hardest, or nothing.
pub fn any_text() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => "[a-zA-Z0-9 :@&%+#=?/.;,'\"()*!$~_\\\\é中🐱\u{202e}-]{0,40}",
        2 => any::<String>(),
        1 => Just(String::new()),
        1 => "[\u{0}-\u{1f} a-z]{1,12}",
    ]
    .prop_map(|s| cut(s, MAX_TEXT_LEN))
}

/// Text as the URI parser leaves it: no control characters, no white space
/// at either end.
pub fn clean_text() -> impl Strategy<Value = String> + Clone {
    any_text().prop_map(|s| {
        let kept: String = s.chars().filter(|c| !c.is_control()).collect();
        kept.trim().to_string()
    })
}

/// A host label: letters, digits and inner hyphens.
pub fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?"
}

/// A site as the vault stores it: a lower-case ASCII host name or an IPv4
/// address, unchanged by `normalize_site`.
pub fn site() -> impl Strategy<Value = String> {
    let suffix = prop::sample::select(vec![
        "com",
        "org",
        "net",
        "io",
        "co.uk",
        "example",
        "dev",
        "com.au",
        "github.io",
    ]);
    let named = (prop::collection::vec(label(), 1..4), suffix)
        .prop_map(|(labels, suffix)| format!("{}.{suffix}", labels.join(".")));
    let ip = any::<[u8; 4]>().prop_map(|b| format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3]));
    prop_oneof![6 => named, 1 => ip].prop_filter("normalized", |s| {
        normalize_site(s).as_deref() == Ok(s.as_str())
    })
}

/// Distinct sites.
pub fn sites() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(site(), 0..4).prop_map(|mut v| {
        let mut seen = std::collections::HashSet::new();
        v.retain(|s| seen.insert(s.clone()));
        v
    })
}

/// A partition.
pub fn partition() -> impl Strategy<Value = Partition> {
    prop::sample::select(vec![
        Partition::Aws,
        Partition::AwsUsGov,
        Partition::AwsCn,
        Partition::AwsEusc,
    ])
}

/// An AWS account alias.
pub fn alias() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{1,14}[a-z0-9]".prop_filter("no double hyphen", |a| !a.contains("--"))
}

/// An AWS context with any of its fields, the user from `text`; with an
/// account id, maybe the serial of one of its MFA devices.
pub fn aws_with(text: impl Strategy<Value = String>) -> impl Strategy<Value = AwsContext> {
    (
        prop::option::of("[0-9]{12}"),
        prop::option::of(alias()),
        prop::option::of(text),
        partition(),
        prop::option::of("[A-Za-z0-9_+=,.@-]{1,32}"),
    )
        .prop_map(
            |(account_id, account_alias, user, partition, device)| AwsContext {
                mfa_serial: account_id.as_deref().zip(device).map(|(account, device)| {
                    format!("arn:{}:iam::{account}:mfa/{device}", partition.as_str())
                }),
                account_id,
                account_alias,
                user,
                partition,
                ..AwsContext::default()
            },
        )
}

/// Algorithm.
pub fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop::sample::select(vec![Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512])
}

/// Kind with its period or counter.
pub fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => prop_oneof![Just(30u64), Just(60), 1u64..=86_400].prop_map(|period| Kind::Totp { period }),
        2 => any::<u64>().prop_map(|counter| Kind::Hotp { counter }),
        1 => Just(Kind::Steam),
    ]
}

/// Key bytes of an accepted length.
pub fn key() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 10..=40),
        1 => prop::collection::vec(any::<u8>(), 10..=256),
    ]
}

/// A valid token (it passes `Token::validate`) with every field generated:
/// any Unicode issuer, account, AWS user and tags; stored-form sites.
/// Steam tokens get 5 digits; their algorithm is whatever the record says
/// (the command line and the native host accept one).
pub fn token() -> impl Strategy<Value = Token> {
    token_with(any_text())
}

/// [`token`] with issuer, account, AWS user and tags from `text`.
pub fn token_with(text: impl Strategy<Value = String> + Clone) -> impl Strategy<Value = Token> {
    let aws = aws_with(text.clone());
    let head = (
        any::<u128>(),
        text.clone(),
        text.clone(),
        key(),
        algorithm(),
        6u8..=10,
        kind(),
    );
    let tail = (
        sites(),
        prop::option::of(aws),
        prop::collection::vec(text, 0..4),
        any::<bool>(),
        any::<u64>(),
        any::<u64>(),
    );
    (head, tail).prop_map(
        |(
            (id, issuer, account, key, algorithm, digits, kind),
            (sites, aws, tags, pinned, created, updated),
        )| {
            let mut token = Token::new(issuer, account, Secret::from_bytes(key).unwrap());
            token.id = Uuid::from_u128(id);
            token.algorithm = algorithm;
            token.digits = if kind == Kind::Steam { 5 } else { digits };
            token.kind = kind;
            token.sites = sites;
            token.aws = aws;
            token.tags = tags;
            token.pinned = pinned;
            token.created = created;
            token.updated = updated;
            token.validate().expect("generated tokens are valid");
            token
        },
    )
}

/// Tokens with distinct ids.
pub fn tokens(max: usize) -> impl Strategy<Value = Vec<Token>> {
    prop::collection::vec(token(), 0..=max).prop_map(distinct_ids)
}

/// Drops tokens whose id repeats an earlier one.
pub fn distinct_ids(mut tokens: Vec<Token>) -> Vec<Token> {
    let mut seen = std::collections::HashSet::new();
    tokens.retain(|t| seen.insert(t.id));
    tokens
}

/// Whether `haystack` contains `needle` as a byte string.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
