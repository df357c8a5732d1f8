//! Property tests for export ↔ import: any set of tokens written by
//! `export::export` in each of its formats and read back by
//! `import::parse` (with the format detected from the content, and named)
//! gives, entry for entry and in order, tokens that make the same codes
//! (`token::same_generator`) and carry exactly the metadata the format
//! can hold — no more, no less:
//!
//! | format | carried | not carried (what the import gives instead) |
//! |---|---|---|
//! | `factorcat`, plain and encrypted | every field: id, times, issuer, account, secret, algorithm, digits, kind, sites, AWS context, tags, pin | nothing |
//! | `aegis`, plain and encrypted | issuer and account (control characters become spaces, ends trimmed), secret, algorithm (SHA-1 for Steam), digits, kind, pin (`favorite`), tags (`groups`: cleaned the same way, empty and repeated names dropped) | id and times (new), sites and AWS context (derived from issuer and account as an `otpauth://` link with them would be) |
//! | `otpauth` list | issuer, account, secret, algorithm (SHA-1 for Steam), digits, kind | id and times (new), tags (none), pin (off), sites and AWS context (derived from issuer and account) |
//!
//! The `otpauth` rows use issuers and accounts without control characters
//! or surrounding spaces: the link parser refuses control characters, and
//! `a_control_character_makes_an_otpauth_line_a_reported_failure` pins down
//! what happens to such a name instead.
//!
//! Encrypted exports use the real key derivations (Argon2id 64 MiB for
//! `factorcat`, scrypt 2^15 for `aegis`, which `export` does not let a
//! caller lower), so those properties run only a few cases; set
//! `PROPTEST_CASES` for a longer run.

use crate::support::secrets;

use crate::support::strategies::{self, clean_text, config, distinct_ids, token, token_with};
use factorcat::export::{self, ExportFormat, Protection, export};
use factorcat::import::{self, Format};
use factorcat::otpauth;
use factorcat::secret::Secret;
use factorcat::token::{Algorithm, Kind, MAX_TEXT_LEN, Token, same_generator, settle};
use proptest::prelude::*;

const PASSWORD: &str = "export password ✓";

/// Exports `tokens`, reads the result back (detected and named), and
/// checks that nothing failed; returns the tokens read.
fn round_trip(
    tokens: &[Token],
    format: ExportFormat,
    protection: &Protection,
) -> Result<Vec<Token>, TestCaseError> {
    let bytes = export(tokens, format, protection).expect("export");
    let import_format = match format {
        ExportFormat::FactorCat => Format::FactorCat,
        ExportFormat::Aegis => Format::Aegis,
        ExportFormat::Otpauth => Format::OtpauthList,
    };
    let password = match protection {
        Protection::Passphrase(_) => Some(PASSWORD),
        Protection::Plaintext => None,
    };
    if tokens.is_empty() && format == ExportFormat::Otpauth {
        // An empty list is an empty file, which is no export at all.
        prop_assert!(bytes.is_empty());
        return Ok(Vec::new());
    }
    prop_assert_eq!(import::detect(&bytes), Some(import_format));
    let (found, imported) = import::parse(&bytes, None, password)
        .map_err(|e| TestCaseError::fail(format!("{format} import failed: {e}")))?;
    prop_assert_eq!(found, import_format);
    prop_assert!(
        imported.failures.is_empty(),
        "{} import failures: {:?}",
        format,
        imported.failures
    );
    prop_assert_eq!(imported.tokens.len(), tokens.len());
    for (back, original) in imported.tokens.iter().zip(tokens) {
        prop_assert!(
            same_generator(back, original),
            "{}: {:?} does not make the codes of {:?}",
            format,
            back,
            original
        );
        back.validate()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    // Named instead of detected: the same result.
    let (_, named) = import::parse(&bytes, Some(import_format), password).unwrap();
    prop_assert_eq!(named.tokens.len(), imported.tokens.len());
    Ok(imported.tokens)
}

/// The algorithm as exported: SHA-1 for Steam tokens (their codes always
/// are), the record's otherwise.
fn steam_sha1(token: &Token) -> Algorithm {
    match token.kind {
        Kind::Steam => Algorithm::Sha1,
        _ => token.algorithm,
    }
}

/// What the Aegis importer does to names: control characters become
/// spaces, the ends are trimmed.
fn aegis_clean(text: &str) -> String {
    let replaced: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    replaced.trim().to_string()
}

/// Sites and AWS context as an `otpauth://` link with this token's issuer
/// and account gives them (what the non-FactorCat formats derive).
fn derived_aws(token: &Token) -> (Vec<String>, Option<factorcat::token::AwsContext>) {
    match otpauth::parse(&otpauth::emit(token)) {
        Ok(parsed) if parsed.aws.is_some() => (parsed.sites, parsed.aws),
        _ => (Vec::new(), None),
    }
}

/// Checks that `back` holds exactly what Aegis carries of `original`.
fn check_aegis(back: &Token, original: &Token) -> Result<(), TestCaseError> {
    prop_assert_eq!(&back.issuer, &aegis_clean(&original.issuer));
    prop_assert_eq!(&back.account, &aegis_clean(&original.account));
    prop_assert_eq!(&back.secret, &original.secret);
    prop_assert_eq!(back.algorithm, steam_sha1(original));
    prop_assert_eq!(back.digits, original.digits);
    prop_assert_eq!(&back.kind, &original.kind);
    prop_assert_eq!(back.pinned, original.pinned);
    let mut tags: Vec<String> = Vec::new();
    for tag in original.tags.iter().map(|t| aegis_clean(t)) {
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    prop_assert_eq!(&back.tags, &tags);
    // Not carried: id and times are new; sites and AWS context derived.
    prop_assert_ne!(back.id, original.id);
    let (sites, aws) = derived_aws(back);
    prop_assert_eq!(&back.sites, &sites);
    prop_assert_eq!(&back.aws, &aws);
    Ok(())
}

/// Checks that `back` holds exactly what an `otpauth://` line carries of
/// `original`.
fn check_otpauth(back: &Token, original: &Token) -> Result<(), TestCaseError> {
    prop_assert_eq!(&back.issuer, &original.issuer);
    prop_assert_eq!(&back.account, &original.account);
    prop_assert_eq!(&back.secret, &original.secret);
    prop_assert_eq!(back.algorithm, steam_sha1(original));
    prop_assert_eq!(back.digits, original.digits);
    prop_assert_eq!(&back.kind, &original.kind);
    // Not carried: no tags, no pin, new id and times, derived sites and AWS.
    prop_assert!(back.tags.is_empty());
    prop_assert!(!back.pinned);
    prop_assert_ne!(back.id, original.id);
    let (sites, aws) = derived_aws(original);
    prop_assert_eq!(&back.sites, &sites);
    prop_assert_eq!(&back.aws, &aws);
    Ok(())
}

/// Tokens whose names an `otpauth://` link can carry.
fn link_tokens(max: usize) -> impl Strategy<Value = Vec<Token>> {
    prop::collection::vec(token_with(clean_text()), 0..=max).prop_map(distinct_ids)
}

/// Tokens in the form the vault keeps them (`token::settle`: trimmed
/// names, no blank or repeated tags, no blank AWS user).
fn any_tokens(max: usize) -> impl Strategy<Value = Vec<Token>> {
    let stored = token().prop_map(|t| settle(t).expect("a generated token is valid"));
    prop::collection::vec(stored, 0..=max).prop_map(distinct_ids)
}

proptest! {
    #![proptest_config(config(40))]

    #[test]
    fn factorcat_plain_keeps_every_field(tokens in any_tokens(10)) {
        let back = round_trip(&tokens, ExportFormat::FactorCat, &Protection::Plaintext)?;
        prop_assert_eq!(back, tokens);
    }

    #[test]
    fn aegis_plain_keeps_what_aegis_holds(tokens in any_tokens(10)) {
        let back = round_trip(&tokens, ExportFormat::Aegis, &Protection::Plaintext)?;
        for (b, t) in back.iter().zip(&tokens) {
            check_aegis(b, t)?;
        }
    }

    #[test]
    fn otpauth_list_keeps_what_a_link_holds(tokens in link_tokens(10)) {
        let back = round_trip(&tokens, ExportFormat::Otpauth, &Protection::Plaintext)?;
        for (b, t) in back.iter().zip(&tokens) {
            check_otpauth(b, t)?;
        }
    }
}

proptest! {
    #![proptest_config(config(2))]

    #[test]
    fn factorcat_encrypted_keeps_every_field(tokens in any_tokens(6)) {
        let protection = Protection::passphrase(PASSWORD);
        let back = round_trip(&tokens, ExportFormat::FactorCat, &protection)?;
        prop_assert_eq!(back, tokens);
    }

    #[test]
    fn aegis_encrypted_keeps_what_aegis_holds(tokens in any_tokens(6)) {
        let protection = Protection::passphrase(PASSWORD);
        let back = round_trip(&tokens, ExportFormat::Aegis, &protection)?;
        for (b, t) in back.iter().zip(&tokens) {
            check_aegis(b, t)?;
        }
    }
}

/// Encrypted exports hold no secret, name or tag in the clear, and do not
/// open with a wrong password; without one they ask for it.
#[test]
fn encrypted_exports_need_their_password() {
    let mut tokens = Vec::new();
    for n in 0..3u8 {
        let mut t = Token::new(
            format!("Issuer number {n}"),
            format!("account number {n}"),
            Secret::from_bytes(vec![n.wrapping_mul(37).wrapping_add(11); 20]).unwrap(),
        );
        t.tags = vec![format!("tag number {n}")];
        tokens.push(t);
    }
    for (format, import_format) in [
        (ExportFormat::FactorCat, Format::FactorCat),
        (ExportFormat::Aegis, Format::Aegis),
    ] {
        let bytes = export(&tokens, format, &Protection::passphrase(PASSWORD)).unwrap();
        for t in &tokens {
            for spelling in secrets::secret_spellings(&t.secret) {
                assert!(!strategies::contains_bytes(&bytes, spelling.as_bytes()));
            }
            for text in [&t.issuer, &t.account, &t.tags[0]] {
                assert!(!strategies::contains_bytes(&bytes, text.as_bytes()));
            }
        }
        let code = |password| {
            import::parse(&bytes, None, password)
                .map(|_| "ok")
                .unwrap_or_else(|e| e.code().as_str())
        };
        assert_eq!(code(None), "password_required", "{format}");
        assert_eq!(code(Some("export password")), "wrong_password", "{format}");
        // (The right password is the round-trip properties' business.)
        assert_eq!(import::detect(&bytes), Some(import_format));
    }
    // otpauth lists have no encryption.
    let refused = export(
        &tokens,
        ExportFormat::Otpauth,
        &Protection::passphrase(PASSWORD),
    );
    assert!(matches!(
        refused,
        Err(export::ExportError::PlaintextOnly(ExportFormat::Otpauth))
    ));
}

/// A name with a control character cannot travel in an `otpauth://` line:
/// the line is reported as a failure at its position, never imported as a
/// changed token, and the other lines are read.
#[test]
fn a_control_character_makes_an_otpauth_line_a_reported_failure() {
    let secret = || Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let good = Token::new("GitHub", "octocat", secret());
    let bad = Token::new("Bank\tCo", "me", secret());
    let bytes = export(
        &[good.clone(), bad],
        ExportFormat::Otpauth,
        &Protection::Plaintext,
    )
    .unwrap();
    let (_, imported) = import::parse(&bytes, None, None).unwrap();
    assert_eq!(imported.tokens.len(), 1);
    assert!(same_generator(&imported.tokens[0], &good));
    assert_eq!(imported.failures.len(), 1);
    assert_eq!(imported.failures[0].position, 2);
}

/// The longest names and secret a token may have still make an
/// `otpauth://` line that reads back (every byte of the names
/// percent-encoded, the issuer written twice).
#[test]
fn the_largest_token_survives_an_otpauth_list() {
    let name = "é".repeat(MAX_TEXT_LEN / 2);
    assert_eq!(name.len(), MAX_TEXT_LEN);
    for kind in [
        Kind::Hotp { counter: u64::MAX },
        Kind::Totp { period: 86_400 },
    ] {
        let mut token = Token::new(
            name.clone(),
            name.clone(),
            Secret::from_bytes(vec![0xa5; 256]).unwrap(),
        );
        token.kind = kind;
        token.algorithm = Algorithm::Sha512;
        token.digits = 10;
        token.validate().unwrap();
        let bytes = export(
            std::slice::from_ref(&token),
            ExportFormat::Otpauth,
            &Protection::Plaintext,
        )
        .unwrap();
        let (_, imported) = import::parse(&bytes, None, None).unwrap();
        assert!(
            imported.failures.is_empty(),
            "a {}-byte line: {:?}",
            bytes.len(),
            imported.failures
        );
        check_otpauth(&imported.tokens[0], &token).unwrap();
    }
}

/// Regression (found by `aegis_plain_keeps_what_aegis_holds` and
/// `otpauth_list_keeps_what_a_link_holds`): a Steam token whose record says
/// SHA-256 (the command line and the native host accept one) was exported
/// to Aegis with that algorithm, which the Aegis importer refuses; and its
/// `otpauth://` copy (SHA-1, as Steam codes always are) was not recognised
/// as the same generator, so importing it again made a duplicate.
#[test]
fn a_steam_token_recorded_with_another_algorithm_round_trips() {
    let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
    let mut steam = Token::new("Steam", "gamer", secret);
    steam.kind = Kind::Steam;
    steam.digits = 5;
    steam.algorithm = Algorithm::Sha256;
    for format in [
        ExportFormat::FactorCat,
        ExportFormat::Aegis,
        ExportFormat::Otpauth,
    ] {
        let bytes = export(std::slice::from_ref(&steam), format, &Protection::Plaintext).unwrap();
        let (_, imported) = import::parse(&bytes, None, None).unwrap();
        assert!(
            imported.failures.is_empty(),
            "{format}: {:?}",
            imported.failures
        );
        let back = &imported.tokens[0];
        assert!(same_generator(back, &steam), "{format}");
        assert!(same_generator(&steam, back), "{format}");
        assert_eq!(back.code_at(1_700_000_000), steam.code_at(1_700_000_000));
    }
}
