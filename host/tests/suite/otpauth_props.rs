//! Property tests for `otpauth`: every token survives emit → parse, every
//! URI that parses survives a second emit → parse, and no input panics.

use factorcat::otpauth;
use factorcat::secret::Secret;
use factorcat::token::{Algorithm, Kind, MAX_TEXT_LEN, Token};
use proptest::prelude::*;

/// Issuer or account text as `parse` leaves it: no control characters, no
/// surrounding white space, at most MAX_TEXT_LEN bytes. Half the time built
/// from the characters URIs find hardest (`: @ & % + # = ? /`, spaces,
/// non-ASCII), half the time any Unicode at all.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9 :@&%+#=?/.;,'\"()*!$~_é中🐱-]{0,40}",
        any::<String>(),
    ]
    .prop_map(|s| {
        let kept: String = s.chars().filter(|c| !c.is_control()).collect();
        let mut text = kept.trim().to_string();
        while text.len() > MAX_TEXT_LEN {
            text.pop();
        }
        text.trim().to_string()
    })
}

fn token() -> impl Strategy<Value = Token> {
    let kind = prop_oneof![
        (1u64..=86_400).prop_map(|period| Kind::Totp { period }),
        any::<u64>().prop_map(|counter| Kind::Hotp { counter }),
        Just(Kind::Steam),
    ];
    let algorithm = prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ];
    (
        name(),
        name(),
        prop::collection::vec(any::<u8>(), 10..=64),
        kind,
        algorithm,
        6u8..=10,
    )
        .prop_map(|(issuer, account, key, kind, algorithm, digits)| {
            let secret = Secret::from_bytes(key).expect("length within bounds");
            let mut token = Token::new(issuer, account, secret);
            if kind == Kind::Steam {
                token.digits = 5;
            } else {
                token.algorithm = algorithm;
                token.digits = digits;
            }
            token.kind = kind;
            token
        })
}

/// The fields an otpauth URI carries.
fn fields(t: &Token) -> (String, String, Vec<u8>, Kind, Algorithm, u8) {
    (
        t.issuer.clone(),
        t.account.clone(),
        t.secret.expose().to_vec(),
        t.kind.clone(),
        t.algorithm,
        t.digits,
    )
}

/// A query made of known and unknown parameter names with values that are
/// sometimes valid, sometimes hostile.
fn query() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("secret"),
        Just("SECRET"),
        Just("issuer"),
        Just("algorithm"),
        Just("digits"),
        Just("period"),
        Just("counter"),
        Just("encoder"),
        Just("image"),
        Just(""),
    ];
    let value = prop_oneof![
        Just("JBSWY3DPEHPK3PXP".to_string()),
        Just("steam".to_string()),
        Just("SHA512".to_string()),
        "[0-9]{1,22}",
        "[A-Za-z2-7=+ ]{0,40}",
        "[%0-9A-Fa-f+:@&=#?/]{0,20}",
        any::<String>(),
    ];
    prop::collection::vec((name, value), 0..8).prop_map(|pairs| {
        pairs
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    })
}

proptest! {
    #[test]
    fn emit_then_parse_round_trips(t in token()) {
        let uri = otpauth::emit(&t);
        let back = otpauth::parse(&uri);
        prop_assert!(back.is_ok(), "{} refused: {:?}", uri.as_str(), back.err());
        let back = back.unwrap();
        prop_assert_eq!(fields(&back), fields(&t), "via {}", uri.as_str());
        // What parse derives (AWS context, sites) is stable too.
        let again = otpauth::parse(&otpauth::emit(&back)).unwrap();
        prop_assert_eq!(&again.aws, &back.aws);
        prop_assert_eq!(&again.sites, &back.sites);
    }

    #[test]
    fn parse_never_panics_on_any_text(text in any::<String>()) {
        let _ = otpauth::parse(&text);
    }

    #[test]
    fn parse_never_panics_after_the_scheme(rest in any::<String>(), ty in "(totp|hotp|steam|TOTP|x)?/?") {
        let _ = otpauth::parse(&format!("otpauth://{rest}"));
        let _ = otpauth::parse(&format!("otpauth://{ty}{rest}"));
    }

    #[test]
    fn whatever_parses_is_valid_and_round_trips(
        ty in prop_oneof![Just("totp"), Just("hotp"), Just("steam")],
        label in "[a-zA-Z0-9 :@%+#]{0,30}",
        query in query(),
    ) {
        let uri = format!("otpauth://{ty}/{label}?{query}");
        if let Ok(t) = otpauth::parse(&uri) {
            prop_assert!(t.validate().is_ok());
            let back = otpauth::parse(&otpauth::emit(&t));
            prop_assert!(back.is_ok(), "{uri}: emitted form refused: {:?}", back.err());
            prop_assert_eq!(fields(&back.unwrap()), fields(&t), "from {}", uri);
        }
    }
}
