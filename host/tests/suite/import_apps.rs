//! Importers for other apps' exports, read from the fixtures in
//! `tests/data/import/<format>/` (see the README there for how each file was
//! made). Every fixture's expected tokens and codes are in the
//! `expected*.json` beside it, computed by the Python generator with
//! `hmac`, not by FactorCat.
//!
//! Modules: `harness` (reading fixtures, comparing tokens), one module per
//! format, and `detection` (every fixture is recognised as its own format
//! and never as another's).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use factorcat::error::ErrorCode;
use factorcat::import::{self, Format, ImportError, Imported};
use factorcat::token::Kind;
use serde::Deserialize;

mod harness {
    use super::*;

    pub fn dir(format: &str) -> PathBuf {
        [
            env!("CARGO_MANIFEST_DIR"),
            "tests",
            "data",
            "import",
            format,
        ]
        .iter()
        .collect()
    }

    pub fn bytes(format: &str, name: &str) -> Vec<u8> {
        let path = dir(format).join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    pub fn password(format: &str) -> String {
        String::from_utf8(bytes(format, "password.txt"))
            .unwrap()
            .trim_end_matches('\n')
            .to_string()
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub struct Expected {
        pub id: String,
        pub kind: String,
        pub issuer: String,
        pub account: String,
        pub algorithm: String,
        pub digits: u8,
        pub period: Option<u64>,
        pub counter: Option<u64>,
        pub codes: BTreeMap<String, String>,
    }

    pub fn expected(format: &str, name: &str) -> Vec<Expected> {
        serde_json::from_slice(&bytes(format, name)).unwrap()
    }

    /// Reads `name` as `format` (detected, and named explicitly).
    pub fn import(format: Format, dir: &str, name: &str, password: Option<&str>) -> Imported {
        let data = bytes(dir, name);
        let (found, imported) =
            import::parse(&data, None, password).unwrap_or_else(|e| panic!("{dir}/{name}: {e}"));
        assert_eq!(found, format, "{dir}/{name} detected as {found}");
        imported
    }

    /// The error code of reading `name` as `format`.
    pub fn error(format: Format, dir: &str, name: &str, password: Option<&str>) -> ImportError {
        let data = bytes(dir, name);
        match import::parse(&data, Some(format), password) {
            Ok((_, imported)) => panic!("{dir}/{name} was read: {imported:?}"),
            Err(e) => e,
        }
    }

    /// Reading encrypted `name` with a wrong password, then with none.
    pub fn wrong_then_missing_password(format: Format, dir: &str, name: &str) {
        let e = error(format, dir, name, Some("wrong"));
        assert_eq!(e.code(), ErrorCode::WrongPassword);
        let e = error(format, dir, name, None);
        assert_eq!(e.code(), ErrorCode::PasswordRequired);
    }

    /// The secrets of the bad-entries fixtures, which no message may show.
    pub const BAD_ENTRY_SECRETS: [&str; 2] = ["4SJHB4GSD43FZBAI7C2HLRJGPQ", "GEZDGNBVGY3TQ"];

    /// Reads a bad-entries fixture: its one good token is the first of
    /// `expected.json`, and its failures are at `positions`.
    pub fn bad_entries(
        format: Format,
        dir: &str,
        name: &str,
        positions: &[usize],
    ) -> (Imported, Vec<(usize, Option<String>, String)>) {
        let imported = import(format, dir, name, None);
        let want: Vec<_> = expected(dir, "expected.json").into_iter().take(1).collect();
        check_tokens(&imported, &want);
        let failures = failures(&imported);
        let got: Vec<usize> = failures.iter().map(|f| f.0).collect();
        assert_eq!(got, positions);
        (imported, failures)
    }

    /// Every token read exactly as expected, in order, with the expected codes.
    pub fn check(imported: &Imported, expected: &[Expected]) {
        assert!(
            imported.failures.is_empty(),
            "unexpected failures: {:?}",
            imported.failures
        );
        check_tokens(imported, expected);
    }

    pub fn check_tokens(imported: &Imported, expected: &[Expected]) {
        let got: Vec<String> = imported.tokens.iter().map(|t| t.label()).collect();
        assert_eq!(imported.tokens.len(), expected.len(), "tokens: {got:?}");
        for (token, want) in imported.tokens.iter().zip(expected) {
            let id = &want.id;
            token.validate().unwrap();
            assert_eq!(token.issuer, want.issuer, "{id}");
            assert_eq!(token.account, want.account, "{id}");
            assert_eq!(token.kind.name(), want.kind, "{id}");
            assert_eq!(token.algorithm.as_str(), want.algorithm, "{id}");
            assert_eq!(token.digits, want.digits, "{id}");
            match token.kind {
                Kind::Hotp { counter } => {
                    assert_eq!(Some(counter), want.counter, "{id}");
                    assert_eq!(want.period, None, "{id}");
                }
                _ => assert_eq!(token.kind.period(), want.period, "{id}"),
            }
            for (at, code) in &want.codes {
                let at: u64 = at.parse().unwrap();
                let got = match token.kind {
                    Kind::Hotp { .. } => token.hotp_code(at),
                    _ => token.code_at(at),
                };
                assert_eq!(&got, code, "{id} at {at}");
            }
            if want.issuer == "Amazon Web Services" {
                let aws = token.aws.as_ref().expect("AWS context");
                assert_eq!(aws.account_id.as_deref(), Some("123456789012"), "{id}");
                assert_eq!(aws.user.as_deref(), Some("dev"), "{id}");
                assert!(!token.sites.is_empty(), "{id}");
            } else {
                assert_eq!(token.aws, None, "{id}");
            }
        }
        let mut ids: Vec<_> = imported.tokens.iter().map(|t| t.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), imported.tokens.len(), "ids must be fresh");
    }

    /// No message or Debug output of `imported` contains any of `secrets`.
    pub fn no_secret_shown(text: &str, secrets: &[&str]) {
        for secret in secrets {
            assert!(!text.contains(secret), "a secret was shown: {text}");
        }
    }

    /// The fixture's failures as (position, label, reason) for assertions.
    pub fn failures(imported: &Imported) -> Vec<(usize, Option<String>, String)> {
        imported
            .failures
            .iter()
            .map(|f| (f.position, f.label.clone(), f.reason.clone()))
            .collect()
    }

    pub fn files(dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        out.sort();
        out
    }
}

use harness::*;

mod twofas {
    use super::*;

    const DIR: &str = "2fas";

    #[test]
    fn plain_v2_is_time_based_only() {
        let imported = import(Format::TwoFas, DIR, "plain_v2.2fas", None);
        check(&imported, &expected(DIR, "expected_v2.json"));
    }

    #[test]
    fn plain_v3_and_v4() {
        for name in ["plain_v3.2fas", "plain_v4.2fas"] {
            let imported = import(Format::TwoFas, DIR, name, None);
            check(&imported, &expected(DIR, "expected.json"));
        }
    }

    #[test]
    fn encrypted_v2_v3_v4() {
        let password = password(DIR);
        let imported = import(Format::TwoFas, DIR, "encrypted_v2.2fas", Some(&password));
        check(&imported, &expected(DIR, "expected_v2.json"));
        for name in ["encrypted_v3.2fas", "encrypted_v4.2fas"] {
            let imported = import(Format::TwoFas, DIR, name, Some(&password));
            check(&imported, &expected(DIR, "expected.json"));
        }
    }

    #[test]
    fn encrypted_needs_the_right_password() {
        let e = error(Format::TwoFas, DIR, "encrypted_v4.2fas", None);
        assert_eq!(e.code(), ErrorCode::PasswordRequired);
        let e = error(Format::TwoFas, DIR, "encrypted_v4.2fas", Some("wrong"));
        assert_eq!(e.code(), ErrorCode::WrongPassword);
        assert!(e.to_string().contains("password"), "{e}");
    }

    #[test]
    fn damaged_files() {
        let password = password(DIR);
        for (name, code) in [
            ("fail_truncated.2fas", "import_damaged"),
            ("fail_wrong_types.2fas", "import_damaged"),
            ("fail_schema_1.2fas", "import_unsupported"),
            ("fail_schema_9.2fas", "import_unsupported"),
            ("fail_damaged_ciphertext.2fas", "import_damaged"),
            ("fail_too_many.2fas", "import_damaged"),
        ] {
            let e = error(Format::TwoFas, DIR, name, Some(&password));
            assert_eq!(e.code().as_str(), code, "{name}: {e}");
        }
    }

    #[test]
    fn bad_entries_are_reported_with_position_and_label() {
        let (imported, failures) = bad_entries(
            Format::TwoFas,
            DIR,
            "plain_v4_bad_entries.2fas",
            &[2, 3, 4, 5, 6],
        );
        assert_eq!(failures[0].1.as_deref(), Some("SPDX (James)"));
        assert!(failures[0].2.contains("only 8 bytes"), "{}", failures[0].2);
        assert!(failures[1].2.contains("MD5"), "{}", failures[1].2);
        assert!(failures[2].2.contains("digits"), "{}", failures[2].2);
        assert!(failures[3].2.contains("secret"), "{}", failures[3].2);
        assert!(failures[4].2.contains("counter"), "{}", failures[4].2);
        let shown = format!(
            "{imported:?} {}",
            failures
                .iter()
                .map(|f| f.2.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        );
        no_secret_shown(&shown, &BAD_ENTRY_SECRETS);
    }
}

mod andotp {
    use super::*;

    const DIR: &str = "andotp";

    #[test]
    fn plain_with_issuer_and_old_labels() {
        for name in ["plain.json", "plain_old_labels.json"] {
            let imported = import(Format::AndOtp, DIR, name, None);
            check(&imported, &expected(DIR, "expected.json"));
            assert_eq!(imported.tokens[0].tags, ["work", "phone"], "{name}");
        }
    }

    #[test]
    fn encrypted_new_format() {
        let password = password(DIR);
        let imported = import(Format::AndOtp, DIR, "encrypted.json.aes", Some(&password));
        check(&imported, &expected(DIR, "expected.json"));
        wrong_then_missing_password(Format::AndOtp, DIR, "encrypted.json.aes");
    }

    #[test]
    fn encrypted_old_format_needs_the_format_named() {
        let password = password(DIR);
        let data = bytes(DIR, "encrypted_old.json.aes");
        let (_, imported) = import::parse(&data, Some(Format::AndOtp), Some(&password)).unwrap();
        check(&imported, &expected(DIR, "expected.json"));
        // Without a header, a wrong password cannot be told from another
        // file: the message says both.
        let e = error(Format::AndOtp, DIR, "encrypted_old.json.aes", Some("wrong"));
        assert_eq!(e.code(), ErrorCode::ImportDamaged);
        assert!(e.to_string().contains("password does not open"), "{e}");
    }

    #[test]
    fn damaged_files() {
        let password = password(DIR);
        for (name, code) in [
            ("fail_truncated.json", "import_damaged"),
            ("fail_wrong_types.json", "import_damaged"),
            ("fail_truncated.json.aes", "import_damaged"),
            ("fail_absurd_iterations.json.aes", "import_damaged"),
            ("fail_damaged_ciphertext.json.aes", "wrong_password"),
            ("fail_too_many.json", "import_damaged"),
        ] {
            let e = error(Format::AndOtp, DIR, name, Some(&password));
            assert_eq!(e.code().as_str(), code, "{name}: {e}");
        }
    }

    #[test]
    fn bad_entries_are_reported_with_position_and_label() {
        let (imported, failures) =
            bad_entries(Format::AndOtp, DIR, "plain_bad_entries.json", &[2, 3, 4, 5]);
        assert_eq!(failures[0].1.as_deref(), Some("SPDX (James)"));
        assert!(failures[0].2.contains("only 8 bytes"), "{}", failures[0].2);
        assert!(failures[1].2.contains("MOTP"), "{}", failures[1].2);
        assert!(failures[2].2.contains("period"), "{}", failures[2].2);
        assert_eq!(failures[3].1, None);
        let shown = format!("{imported:?} {failures:?}");
        no_secret_shown(&shown, &BAD_ENTRY_SECRETS);
    }
}

mod authenticator {
    use super::*;

    const DIR: &str = "authenticator";
    const F: Format = Format::AuthenticatorExtension;

    #[test]
    fn plain() {
        let want = expected(DIR, "expected.json");
        let imported = import(F, DIR, "plain.json", None);
        check(&imported, &want);
    }

    #[test]
    fn hex_secrets() {
        let want = expected(DIR, "expected_hex.json");
        let imported = import(F, DIR, "plain_hex.json", None);
        check(&imported, &want);
    }

    #[test]
    fn encrypted_legacy() {
        let password = password(DIR);
        let want = expected(DIR, "expected.json");
        let imported = import(F, DIR, "encrypted_legacy.json", Some(&password));
        check(&imported, &want);
        wrong_then_missing_password(F, DIR, "encrypted_legacy.json");
    }

    #[test]
    fn damaged_and_unsupported_files() {
        let password = password(DIR);
        for (name, code) in [
            ("fail_truncated.json", "import_damaged"),
            ("fail_newer_encryption.json", "import_unsupported"),
        ] {
            let e = error(F, DIR, name, Some(&password));
            assert_eq!(e.code().as_str(), code, "{name}: {e}");
        }
        let (_, imported) =
            import::parse(&bytes(DIR, "fail_wrong_types.json"), Some(F), None).unwrap();
        assert!(imported.tokens.is_empty());
        assert!(imported.failures[0].reason.contains("not text"));
    }

    #[test]
    fn bad_entries_are_reported_with_position_and_label() {
        let (imported, failures) = bad_entries(F, DIR, "plain_bad_entries.json", &[2, 3, 4, 5]);
        assert_eq!(failures[0].1.as_deref(), Some("SPDX (James)"));
        assert!(failures[0].2.contains("Battle.net"), "{}", failures[0].2);
        assert!(failures[1].2.contains("only 8 bytes"), "{}", failures[1].2);
        assert!(failures[2].2.contains("hexadecimal"), "{}", failures[2].2);
        assert!(failures[3].2.contains("digits"), "{}", failures[3].2);
        let shown = format!("{imported:?} {failures:?}");
        no_secret_shown(&shown, &BAD_ENTRY_SECRETS);
    }
}

mod bitwarden {
    use super::*;

    const DIR: &str = "bitwarden";

    #[test]
    fn plain_uri_bare_and_steam_keys() {
        let imported = import(Format::Bitwarden, DIR, "plain.json", None);
        check(&imported, &expected(DIR, "expected.json"));
        assert_eq!(imported.tokens[0].sites, ["deno.land", "deno.com"]);
        assert!(imported.tokens[1].sites.is_empty());
    }

    #[test]
    fn encrypted_exports_are_unsupported_with_advice() {
        for name in [
            "fail_encrypted_password.json",
            "fail_encrypted_account.json",
        ] {
            let e = error(Format::Bitwarden, DIR, name, Some("pw"));
            assert_eq!(e.code(), ErrorCode::ImportUnsupported, "{name}");
            assert!(e.to_string().contains("\".json\""), "{e}");
        }
    }

    #[test]
    fn damaged_files() {
        for (name, code) in [
            ("fail_truncated.json", "import_damaged"),
            ("fail_wrong_types.json", "import_damaged"),
        ] {
            let e = error(Format::Bitwarden, DIR, name, None);
            assert_eq!(e.code().as_str(), code, "{name}: {e}");
        }
    }

    #[test]
    fn bad_entries_are_reported_with_position_and_label() {
        let (imported, failures) = bad_entries(
            Format::Bitwarden,
            DIR,
            "plain_bad_entries.json",
            &[2, 3, 4, 5],
        );
        assert_eq!(failures[0].1.as_deref(), Some("SPDX (James)"));
        assert!(failures[0].2.contains("only 8 bytes"), "{}", failures[0].2);
        assert!(failures[1].2.contains("MD5"), "{}", failures[1].2);
        assert!(failures[2].2.contains("https://"), "{}", failures[2].2);
        assert!(failures[3].2.contains("not text"), "{}", failures[3].2);
        let shown = format!("{imported:?} {failures:?}");
        no_secret_shown(&shown, &BAD_ENTRY_SECRETS);
    }
}

mod freeotp_plus {
    use super::*;

    const DIR: &str = "freeotp-plus";

    #[test]
    fn plain_with_signed_byte_secrets_and_last_used_counters() {
        let imported = import(Format::FreeOtpPlus, DIR, "plain.json", None);
        check(&imported, &expected(DIR, "expected.json"));
    }

    #[test]
    fn damaged_files() {
        for (name, code) in [
            ("fail_truncated.json", "import_damaged"),
            ("fail_wrong_types.json", "import_damaged"),
        ] {
            let e = error(Format::FreeOtpPlus, DIR, name, None);
            assert_eq!(e.code().as_str(), code, "{name}: {e}");
        }
    }

    #[test]
    fn bad_entries_are_reported_with_position_and_label() {
        let (_, failures) = bad_entries(
            Format::FreeOtpPlus,
            DIR,
            "plain_bad_entries.json",
            &[2, 3, 4],
        );
        assert_eq!(failures[0].1.as_deref(), Some("SPDX (James)"));
        assert!(failures[0].2.contains("only 8 bytes"), "{}", failures[0].2);
        assert!(failures[1].2.contains("list of bytes"), "{}", failures[1].2);
        assert!(failures[2].2.contains("STEAM"), "{}", failures[2].2);
    }
}

mod proton {
    use super::*;

    const DIR: &str = "proton";

    #[test]
    fn plain() {
        let imported = import(Format::ProtonAuthenticator, DIR, "plain.json", None);
        check(&imported, &expected(DIR, "expected.json"));
    }

    #[test]
    fn encrypted() {
        let password = password(DIR);
        let imported = import(
            Format::ProtonAuthenticator,
            DIR,
            "encrypted.json",
            Some(&password),
        );
        check(&imported, &expected(DIR, "expected.json"));
        wrong_then_missing_password(Format::ProtonAuthenticator, DIR, "encrypted.json");
    }

    #[test]
    fn damaged_files() {
        let password = password(DIR);
        for (name, code) in [
            ("fail_truncated.json", "import_damaged"),
            ("fail_wrong_types.json", "import_damaged"),
            ("fail_version_2.json", "import_unsupported"),
            ("fail_truncated_encrypted.json", "import_damaged"),
            ("fail_wrong_associated_data.json", "wrong_password"),
        ] {
            let e = error(Format::ProtonAuthenticator, DIR, name, Some(&password));
            assert_eq!(e.code().as_str(), code, "{name}: {e}");
        }
    }

    #[test]
    fn bad_entries_are_reported_with_position_and_label() {
        let (imported, failures) = bad_entries(
            Format::ProtonAuthenticator,
            DIR,
            "plain_bad_entries.json",
            &[2, 3, 4],
        );
        assert!(failures[0].2.contains("only 8 bytes"), "{}", failures[0].2);
        assert!(failures[1].2.contains("Hotp"), "{}", failures[1].2);
        assert!(failures[2].2.contains("Steam"), "{}", failures[2].2);
        let shown = format!("{imported:?} {failures:?}");
        no_secret_shown(&shown, &BAD_ENTRY_SECRETS);
    }
}

mod detection {
    use super::*;

    /// My formats and their fixture directories.
    const MINE: &[(&str, Format)] = &[
        ("2fas", Format::TwoFas),
        ("andotp", Format::AndOtp),
        ("authenticator", Format::AuthenticatorExtension),
        ("bitwarden", Format::Bitwarden),
        ("freeotp-plus", Format::FreeOtpPlus),
        ("proton", Format::ProtonAuthenticator),
    ];

    fn recognisable(path: &Path) -> bool {
        let name = path.file_name().unwrap().to_string_lossy();
        // Truncated files, files whose shape is what is wrong, andOTP's old
        // encrypted format (no header) and a header with an absurd iteration
        // count carry nothing to recognise.
        !(name.starts_with("fail_truncated")
            || name.starts_with("fail_wrong_types")
            || name.starts_with("fail_absurd")
            || name.ends_with("_old.json.aes")
            || name.starts_with("expected")
            || name.ends_with(".txt")
            || name.ends_with(".md"))
    }

    #[test]
    fn each_fixture_is_its_own_format() {
        for (dir, format) in MINE {
            for path in files(&harness::dir(dir)) {
                if !recognisable(&path) {
                    continue;
                }
                let data = std::fs::read(&path).unwrap();
                assert_eq!(import::detect(&data), Some(*format), "{}", path.display());
            }
        }
    }

    /// Other apps' files, written inline, are never taken for one of mine.
    #[test]
    fn foreign_shapes_are_never_taken() {
        let mine: Vec<Format> = MINE.iter().map(|(_, f)| *f).collect();
        for sample in [
            r#"{"version":1,"header":{"slots":null,"params":null},"db":{"version":3,"entries":[{"type":"totp","uuid":"x","name":"a","issuer":"b","info":{"secret":"JBSWY3DPEHPK3PXP","algo":"SHA1","digits":6,"period":30}}]}}"#,
            r#"{"version":1,"header":{"slots":[],"params":{"nonce":"00","tag":"00"}},"db":"AAAA"}"#,
            "otpauth://totp/A:b?secret=JBSWY3DPEHPK3PXP&issuer=A\n",
            "otpauth-migration://offline?data=CjEKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZTAC\n",
            r#"{"version":1,"kdfParams":{"memLimit":4096,"opsLimit":3,"salt":"c2FsdA=="},"encryptedData":"AA==","encryptionNonce":"AA=="}"#,
            r#"{"Authenticators":[{"Type":2,"Issuer":"G","Secret":"JBSWY3DPEHPK3PXP","Digits":6,"Period":30}],"Categories":[]}"#,
            "[]",
            "{}",
            "",
            "\u{89}PNG\r\n\u{1a}\n",
        ] {
            let found = import::detect(sample.as_bytes());
            assert!(
                found.is_none_or(|f| !mine.contains(&f)),
                "{sample} taken as {found:?}"
            );
        }
    }

    #[test]
    fn other_fixtures_are_never_taken() {
        let root = harness::dir("");
        let mine: Vec<Format> = MINE.iter().map(|(_, f)| *f).collect();
        for sub in files(&root) {
            let dir_name = sub.file_name().unwrap().to_string_lossy().to_string();
            let owner = MINE.iter().find(|(d, _)| *d == dir_name).map(|(_, f)| *f);
            for path in files(&sub) {
                if !path.is_file() {
                    continue;
                }
                let data = std::fs::read(&path).unwrap();
                if let Some(found) = import::detect(&data)
                    && mine.contains(&found)
                {
                    assert_eq!(Some(found), owner, "{} taken as {found}", path.display());
                }
            }
        }
    }
}
