//! Aegis import, and `factorcat export` in every format read back.
//!
//! Fixtures in `tests/data/import/aegis/` come from
//! `scripts/make-import-fixtures/aegis.py` (see the README there): known
//! tokens in Aegis's plain and encrypted vault files, content versions 1–3,
//! with codes computed by that script with Python's hmac into
//! `expected.json`. Modules:
//! - aegis: each version, plain and encrypted: exact tokens and codes;
//!   bad entries; damaged files with their error codes; detection.
//! - round trips: export factorcat/aegis/otpauth, read back, same tokens.

use std::path::PathBuf;

use factorcat::error::ErrorCode;
use factorcat::export::{self, ExportFormat, Protection};
use factorcat::import::{self, Format, ImportError, Imported};
use factorcat::otpauth;
use factorcat::secret::Secret;
use factorcat::token::{Algorithm, AwsContext, Kind, Partition, Token};
use serde_json::Value;

fn data(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/import/aegis")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn password() -> String {
    String::from_utf8(data("password.txt"))
        .unwrap()
        .trim_end_matches('\n')
        .to_string()
}

fn expected() -> Vec<Value> {
    serde_json::from_slice::<Value>(&data("expected.json"))
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn read(name: &str, password: Option<&str>) -> Result<Imported, ImportError> {
    let (format, imported) = import::parse(&data(name), None, password)?;
    assert_eq!(format, Format::Aegis, "{name} detected as {format}");
    Ok(imported)
}

fn err_code(name: &str, password: Option<&str>) -> &'static str {
    match import::parse(&data(name), Some(Format::Aegis), password) {
        Ok(i) => panic!("{name} was read: {} tokens", i.1.tokens.len()),
        Err(e) => {
            assert!(!e.to_string().is_empty());
            e.code().as_str()
        }
    }
}

/// Checks the tokens of a content-`version` fixture against expected.json.
fn check_tokens(tokens: &[Token], version: u8) {
    let expected = expected();
    assert_eq!(tokens.len(), expected.len(), "token count");
    for (token, want) in tokens.iter().zip(&expected) {
        let label = token.label();
        token.validate().unwrap();
        assert_eq!(token.issuer, want["issuer"].as_str().unwrap(), "{label}");
        assert_eq!(token.account, want["account"].as_str().unwrap(), "{label}");
        assert_eq!(token.kind.name(), want["kind"].as_str().unwrap(), "{label}");
        assert_eq!(
            token.algorithm,
            Algorithm::parse(want["algorithm"].as_str().unwrap()).unwrap(),
            "{label}"
        );
        assert_eq!(
            u64::from(token.digits),
            want["digits"].as_u64().unwrap(),
            "{label}"
        );
        match token.kind {
            Kind::Hotp { counter } => assert_eq!(counter, want["counter"].as_u64().unwrap()),
            _ => assert_eq!(token.kind.period(), want["period"].as_u64(), "{label}"),
        }
        for (at, code) in want["codes"].as_object().unwrap() {
            let at: u64 = at.parse().unwrap();
            let got = match token.kind {
                Kind::Hotp { .. } => token.hotp_code(at),
                _ => token.code_at(at),
            };
            assert_eq!(got, code.as_str().unwrap(), "{label} at {at}");
        }
        let groups: Vec<String> = want["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_str().unwrap().to_string())
            .collect();
        let (tags, pinned) = match version {
            1 => (vec![], false),
            2 => (
                groups.into_iter().take(1).collect(),
                want["pinned"].as_bool().unwrap(),
            ),
            _ => (groups, want["pinned"].as_bool().unwrap()),
        };
        assert_eq!(token.tags, tags, "{label} tags");
        assert_eq!(token.pinned, pinned, "{label} pinned");
        if token.issuer == "Amazon Web Services" {
            let aws = token.aws.as_ref().expect("AWS context");
            assert_eq!(aws.account_id.as_deref(), Some("123456789012"));
            assert_eq!(aws.user.as_deref(), Some("admin-mfa"));
            assert_eq!(aws.partition, Partition::Aws);
            assert_eq!(token.sites, otpauth::AWS_SITES);
        } else {
            assert_eq!(token.aws, None, "{label}");
        }
    }
    // Fresh, distinct ids.
    let mut ids: Vec<_> = tokens.iter().map(|t| t.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), tokens.len());
}

#[test]
fn plain_exports_of_every_content_version() {
    for v in 1..=3 {
        let imported = read(&format!("plain_v{v}.json"), None).unwrap();
        assert!(imported.failures.is_empty(), "{:?}", imported.failures);
        check_tokens(&imported.tokens, v);
    }
}

#[test]
fn encrypted_exports_of_every_content_version() {
    let password = password();
    for v in 1..=3 {
        let imported = read(&format!("encrypted_v{v}.json"), Some(&password)).unwrap();
        assert!(imported.failures.is_empty(), "{:?}", imported.failures);
        check_tokens(&imported.tokens, v);
    }
}

#[test]
fn slots_from_before_aegis_repaired_its_password_encoding_open() {
    let imported = read("encrypted_v1_unrepaired.json", Some(&password())).unwrap();
    check_tokens(&imported.tokens, 1);
    assert_eq!(
        err_code("encrypted_v1_unrepaired.json", Some("wrong")),
        "wrong_password"
    );
}

#[test]
fn unsupported_and_bad_entries_are_reported_by_position() {
    let imported = read("bad_entries_v3.json", None).unwrap();
    check_tokens(&imported.tokens, 3);
    let failures = &imported.failures;
    assert_eq!(failures.len(), 3, "{failures:?}");
    let n = expected().len();
    assert_eq!(failures[0].position, n + 1);
    assert_eq!(failures[0].label.as_deref(), Some("mOTP (pin-user)"));
    assert!(
        failures[0].reason.contains("unsupported type"),
        "{}",
        failures[0]
    );
    assert_eq!(failures[1].position, n + 2);
    assert!(
        failures[1].reason.contains("unsupported type"),
        "{}",
        failures[1]
    );
    assert_eq!(failures[2].position, n + 3);
    assert_eq!(failures[2].label.as_deref(), Some("Short Secret (short)"));
    assert!(
        failures[2].reason.contains("only 5 bytes"),
        "{}",
        failures[2]
    );
}

#[test]
fn entries_with_wrong_types_are_entry_errors() {
    let secret = Secret::from_bytes(b"0123456789abcdef".to_vec())
        .unwrap()
        .to_base32();
    let file = serde_json::json!({
        "version": 1,
        "header": {"slots": null, "params": null},
        "db": {"version": 3, "entries": [
            {"type": "totp", "name": "a", "issuer": "ok", "icon": null,
             "info": {"secret": *secret, "algo": "SHA1", "digits": 6, "period": 30}},
            "not an object",
            {"type": "totp", "name": "b", "issuer": "x", "info": {"secret": *secret, "algo": "SHA1", "digits": "six", "period": 30}},
            {"type": "totp", "name": "c", "issuer": "x", "info": {"secret": 12, "algo": "SHA1", "digits": 6, "period": 30}},
            {"type": "totp", "name": "d", "issuer": "x", "info": {"secret": *secret, "algo": "MD5", "digits": 6, "period": 30}},
            {"type": "hotp", "name": "e", "issuer": "x", "info": {"secret": *secret, "algo": "SHA1", "digits": 6}},
            {"type": "totp", "name": "f", "issuer": "x", "info": {"secret": *secret, "algo": "SHA1", "digits": 6, "period": 0}},
            {"type": "steam", "name": "g", "issuer": "x", "info": {"secret": *secret, "algo": "SHA256", "digits": 5, "period": 30}},
            {"type": "future", "name": "h", "issuer": "x", "info": {}},
            {"type": "totp", "name": 5, "issuer": "x", "info": {"secret": *secret, "algo": "SHA1", "digits": 6, "period": 30}}
        ]}
    });
    let bytes = serde_json::to_vec(&file).unwrap();
    let (_, imported) = import::parse(&bytes, None, None).unwrap();
    assert_eq!(imported.tokens.len(), 1);
    let positions: Vec<usize> = imported.failures.iter().map(|f| f.position).collect();
    assert_eq!(positions, (2..=10).collect::<Vec<_>>());
    for failure in &imported.failures {
        let text = format!("{failure} {failure:?}");
        assert!(!text.contains(secret.as_str()), "secret in {text}");
    }
}

#[test]
fn damaged_files_import_nothing() {
    let password = password();
    let cases: &[(&str, Option<&str>, &str)] = &[
        ("fail_truncated.json", None, "import_damaged"),
        ("fail_wrong_types.json", None, "import_damaged"),
        ("fail_content_version.json", None, "import_unsupported"),
        ("fail_bad_base64.json", Some(&password), "import_damaged"),
        ("fail_tampered_tag.json", Some(&password), "import_damaged"),
        ("fail_absurd_scrypt.json", Some(&password), "import_damaged"),
        (
            "fail_biometric_only.json",
            Some(&password),
            "import_unsupported",
        ),
        (
            "encrypted_v3.json",
            Some("wrong password"),
            "wrong_password",
        ),
        ("encrypted_v3.json", None, "password_required"),
    ];
    for (name, password, code) in cases {
        let started = std::time::Instant::now();
        assert_eq!(err_code(name, *password), *code, "{name}");
        assert!(started.elapsed().as_secs() < 20, "{name} took too long");
    }
}

#[test]
fn absurd_entry_count_is_refused() {
    // One more than the importer's cap (100,000).
    let entries = vec![Value::Null; 100_001];
    let file = serde_json::json!({
        "version": 1, "header": {"slots": null, "params": null},
        "db": {"version": 3, "entries": entries}
    });
    let err = import::parse(&serde_json::to_vec(&file).unwrap(), None, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImportDamaged);
    assert!(err.to_string().contains("entries"), "{err}");
}

#[test]
fn detection_picks_aegis_for_aegis_files_only() {
    for name in [
        "plain_v1.json",
        "plain_v2.json",
        "plain_v3.json",
        "encrypted_v1.json",
        "encrypted_v2.json",
        "encrypted_v3.json",
        "encrypted_v1_unrepaired.json",
        "bad_entries_v3.json",
    ] {
        assert_eq!(import::detect(&data(name)), Some(Format::Aegis), "{name}");
    }
    for other in [
        &b"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n"[..],
        br#"{"services": [], "schemaVersion": 4}"#,
        br#"[{"secret": "JBSWY3DPEHPK3PXP", "type": "TOTP"}]"#,
        br#"{"encrypted": false, "items": []}"#,
    ] {
        assert_ne!(import::detect(other), Some(Format::Aegis));
    }
}

// ---- export round trips ----

fn sample_tokens() -> Vec<Token> {
    let imported = read("plain_v3.json", None).unwrap();
    let mut tokens = imported.tokens;
    // Metadata Aegis cannot carry, for the FactorCat format.
    tokens[0].sites = vec!["github.com".into()];
    tokens[0].created = 1_700_000_000;
    tokens[0].updated = 1_700_000_100;
    tokens[2].aws = Some(AwsContext {
        account_alias: Some("prod".into()),
        ..AwsContext::default()
    });
    tokens
}

fn codes(token: &Token) -> Vec<String> {
    match token.kind {
        Kind::Hotp { counter } => vec![token.hotp_code(counter), token.hotp_code(counter + 1)],
        _ => [59, 1_234_567_890, 2_000_000_000]
            .iter()
            .map(|t| token.code_at(*t))
            .collect(),
    }
}

fn same_generator_fields(a: &Token, b: &Token) {
    assert_eq!(a.issuer, b.issuer);
    assert_eq!(a.account, b.account);
    assert_eq!(a.secret, b.secret);
    assert_eq!(a.algorithm, b.algorithm);
    assert_eq!(a.digits, b.digits);
    assert_eq!(a.kind, b.kind);
    assert_eq!(codes(a), codes(b), "{}", a.label());
}

#[test]
fn factorcat_export_round_trips_everything() {
    let tokens = sample_tokens();
    for protection in [Protection::passphrase("export pass"), Protection::Plaintext] {
        let encrypted = matches!(protection, Protection::Passphrase(_));
        let bytes = export::export(&tokens, ExportFormat::FactorCat, &protection).unwrap();
        assert_eq!(import::detect(&bytes), Some(Format::FactorCat));
        if encrypted {
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(tokens[0].secret.to_base32().as_str()));
            let err = import::parse(&bytes, None, Some("nope")).unwrap_err();
            assert_eq!(err.code(), ErrorCode::WrongPassword);
            let err = import::parse(&bytes, None, None).unwrap_err();
            assert_eq!(err.code(), ErrorCode::PasswordRequired);
        }
        let (format, back) = import::parse(&bytes, None, Some("export pass")).unwrap();
        assert_eq!(format, Format::FactorCat);
        assert!(back.failures.is_empty());
        assert_eq!(back.tokens, tokens, "every field, ids and times included");
        for (a, b) in tokens.iter().zip(&back.tokens) {
            same_generator_fields(a, b);
        }
    }
}

#[test]
fn aegis_export_round_trips() {
    let tokens = sample_tokens();
    for protection in [Protection::passphrase("aegis pass"), Protection::Plaintext] {
        let bytes = export::export(&tokens, ExportFormat::Aegis, &protection).unwrap();
        let (format, back) = import::parse(&bytes, None, Some("aegis pass")).unwrap();
        assert_eq!(format, Format::Aegis);
        assert!(back.failures.is_empty(), "{:?}", back.failures);
        assert_eq!(back.tokens.len(), tokens.len());
        for (a, b) in tokens.iter().zip(&back.tokens) {
            same_generator_fields(a, b);
            assert_eq!(a.tags, b.tags);
            assert_eq!(a.pinned, b.pinned);
        }
        let top: Value = serde_json::from_slice(&bytes).unwrap();
        if let Protection::Passphrase(_) = protection {
            let slot = &top["header"]["slots"][0];
            assert_eq!(
                (
                    slot["type"].as_u64(),
                    slot["n"].as_u64(),
                    slot["r"].as_u64(),
                    slot["p"].as_u64()
                ),
                (Some(1), Some(1 << 15), Some(8), Some(1))
            );
        } else {
            assert_eq!(top["db"]["version"].as_u64(), Some(3));
        }
    }
}

#[test]
fn otpauth_export_is_plaintext_only_and_round_trips() {
    let tokens = sample_tokens();
    let err =
        export::export(&tokens, ExportFormat::Otpauth, &Protection::passphrase("x")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NotSupported);
    assert!(
        !err.to_string().contains("--"),
        "the domain names no flag: {err}"
    );
    let bytes = export::export(&tokens, ExportFormat::Otpauth, &Protection::Plaintext).unwrap();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let back: Vec<Token> = text
        .lines()
        .map(|line| otpauth::parse(line).unwrap())
        .collect();
    assert_eq!(back.len(), tokens.len());
    for (a, b) in tokens.iter().zip(&back) {
        same_generator_fields(a, b);
    }
}

#[test]
fn factorcat_backup_refuses_damage_and_absurd_costs() {
    let tokens = sample_tokens();
    let bytes = export::export(
        &tokens,
        ExportFormat::FactorCat,
        &Protection::passphrase("p"),
    )
    .unwrap();
    let mut top: Value = serde_json::from_slice(&bytes).unwrap();
    let good = top.clone();
    // Truncated.
    let err = import::parse(
        &bytes[..bytes.len() / 2],
        Some(Format::FactorCat),
        Some("p"),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImportDamaged);
    // Absurd Argon2 memory.
    top["encryption"]["kdf"]["m_kib"] = Value::from(1u64 << 40);
    let err = import::parse(&serde_json::to_vec(&top).unwrap(), None, Some("p")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImportDamaged, "{err}");
    // Tampered ciphertext reads as a wrong password or damage, never as tokens.
    let mut top = good.clone();
    let mut ct = top["ciphertext"].as_str().unwrap().to_string();
    let middle = ct.len() / 2;
    let swapped = if &ct[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    ct.replace_range(middle..=middle, swapped);
    top["ciphertext"] = Value::from(ct);
    // XChaCha20-Poly1305 cannot tell a changed file from a wrong passphrase.
    let err = import::parse(&serde_json::to_vec(&top).unwrap(), None, Some("p")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::WrongPassword);
    // Future version.
    let mut top = good;
    top["version"] = Value::from(99);
    let err = import::parse(&serde_json::to_vec(&top).unwrap(), None, Some("p")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImportUnsupported);
}

#[test]
fn bench_encrypted_aegis_import_of_1000_tokens() {
    let base = sample_tokens();
    let tokens: Vec<Token> = (0..1000)
        .map(|i| {
            let mut t = base[i % base.len()].clone();
            t.account = format!("user{i}");
            t
        })
        .collect();
    let bytes = export::export(
        &tokens,
        ExportFormat::Aegis,
        &Protection::passphrase("bench"),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let (_, imported) = import::parse(&bytes, None, Some("bench")).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(imported.tokens.len(), 1000);
    eprintln!(
        "encrypted Aegis import of 1000 tokens: {elapsed:?} ({} bytes)",
        bytes.len()
    );
}

// ---- the `factorcat export` command ----

fn factorcat(home: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .args(args)
        .env("FACTORCAT_HOME", home)
        .env("FACTORCAT_PASSPHRASE", "vault pass")
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .env("FACTORCAT_EXPORT_PASSPHRASE", "export pass")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// What `docs/import.md` and `docs/backup.md` both say: a FactorCat backup
/// keeps its token ids when imported (into a new vault here), other
/// formats (Aegis) give every token a new one.
#[test]
fn import_keeps_the_ids_of_a_factorcat_backup_only() {
    let dir = tempfile::tempdir().unwrap();
    let (home, other) = (dir.path().join("vault"), dir.path().join("other"));
    let ok = |home: &std::path::Path, args: &[&str]| {
        let out = factorcat(home, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let ids = |home: &std::path::Path| {
        let listed: Value = serde_json::from_slice(&ok(home, &["list", "--json"]).stdout).unwrap();
        let mut ids: Vec<String> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    ok(&home, &["init", "--passphrase", "--no-keyring"]);
    ok(
        &home,
        &[
            "add",
            "otpauth://totp/GitHub:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        ],
    );
    ok(
        &home,
        &[
            "add",
            "otpauth://totp/Bank:bob?secret=JBSWY3DPEHPK3PXPJBSWY3DP",
        ],
    );
    let backup = dir.path().join("backup.json");
    let aegis = dir.path().join("aegis.json");
    ok(&home, &["export", "-o", backup.to_str().unwrap()]);
    ok(
        &home,
        &["export", "--format", "aegis", "-o", aegis.to_str().unwrap()],
    );
    let originals = ids(&home);

    ok(&other, &["init", "--passphrase", "--no-keyring"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .args(["import", aegis.to_str().unwrap()])
        .env("FACTORCAT_HOME", &other)
        .env("FACTORCAT_PASSPHRASE", "vault pass")
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .env("FACTORCAT_IMPORT_PASSWORD", "export pass")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let from_aegis = ids(&other);
    assert_eq!(from_aegis.len(), 2);
    assert!(from_aegis.iter().all(|id| !originals.contains(id)));

    let fresh = dir.path().join("fresh");
    ok(&fresh, &["init", "--passphrase", "--no-keyring"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .args(["import", backup.to_str().unwrap()])
        .env("FACTORCAT_HOME", &fresh)
        .env("FACTORCAT_PASSPHRASE", "vault pass")
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .env("FACTORCAT_IMPORT_PASSWORD", "export pass")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ids(&fresh), originals, "a FactorCat backup keeps its ids");
}

#[test]
fn export_command_writes_private_files_and_refuses_what_it_must() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("vault");
    let ok = |args: &[&str]| {
        let out = factorcat(&home, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    ok(&["init", "--passphrase", "--no-keyring"]);
    ok(&[
        "add",
        "otpauth://totp/GitHub:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "--tag",
        "work",
        "--pin",
    ]);
    ok(&[
        "add",
        "otpauth://hotp/Issuu:james?secret=JBSWY3DPEHPK3PXPJBSWY3DP&counter=7",
    ]);
    let listed: Value = serde_json::from_slice(&ok(&["list", "--json"]).stdout).unwrap();

    // factorcat format, encrypted, to a 0600 file.
    let file = dir.path().join("backup.json");
    let file_arg = file.to_str().unwrap();
    ok(&["export", "--format", "factorcat", "-o", file_arg]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let bytes = std::fs::read(&file).unwrap();
    let (format, back) = import::parse(&bytes, None, Some("export pass")).unwrap();
    assert_eq!(format, Format::FactorCat);
    let ids: Vec<String> = back.tokens.iter().map(|t| t.id.to_string()).collect();
    let listed_ids: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, listed_ids);
    assert_eq!(back.tokens[0].tags, ["work"]);
    assert!(back.tokens[0].pinned);
    assert_eq!(back.tokens[1].kind, Kind::Hotp { counter: 7 });

    // No overwrite without --force; with it, fine.
    let out = factorcat(&home, &["export", "-o", file_arg]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    ok(&["export", "--format", "aegis", "-o", file_arg, "--force"]);
    let (format, back) =
        import::parse(&std::fs::read(&file).unwrap(), None, Some("export pass")).unwrap();
    assert_eq!((format, back.tokens.len()), (Format::Aegis, 2));

    // otpauth needs --plaintext, and then warns.
    let out = factorcat(&home, &["export", "--format", "otpauth"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--plaintext"));
    let out = ok(&["export", "--format", "otpauth", "--plaintext"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("WARNING"));
    let text = String::from_utf8(out.stdout).unwrap();
    let uris: Vec<Token> = text.lines().map(|l| otpauth::parse(l).unwrap()).collect();
    assert_eq!(uris.len(), 2);
    assert_eq!(uris[0].code_at(59), back.tokens[0].code_at(59));

    // Without a passphrase and without a terminal: a clear refusal.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .args(["export"])
        .env("FACTORCAT_HOME", &home)
        .env("FACTORCAT_PASSPHRASE", "vault pass")
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .env_remove("FACTORCAT_EXPORT_PASSPHRASE")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("FACTORCAT_EXPORT_PASSPHRASE"));
}

#[test]
fn factorcat_backup_entries_are_checked_one_by_one() {
    let tokens = sample_tokens();
    let bytes = export::export(&tokens, ExportFormat::FactorCat, &Protection::Plaintext).unwrap();
    let mut top: Value = serde_json::from_slice(&bytes).unwrap();
    top["tokens"][1]["sites"] = serde_json::json!(["not a host name!"]);
    top["tokens"][2]["digits"] = Value::from("JBSWY3DPEHPK3PXP");
    top["tokens"][3]["id"] = top["tokens"][0]["id"].clone();
    top["tokens"][4]["sites"] = serde_json::json!(["GitHub.COM", "github.com"]);
    let (_, back) = import::parse(&serde_json::to_vec(&top).unwrap(), None, None).unwrap();
    let positions: Vec<usize> = back.failures.iter().map(|f| f.position).collect();
    assert_eq!(positions, [2, 3, 4]);
    assert!(
        back.failures[0].reason.contains("site"),
        "{}",
        back.failures[0]
    );
    assert!(
        !back.failures[1].reason.contains("JBSW"),
        "{}",
        back.failures[1]
    );
    assert!(
        back.failures[2].reason.contains("same id"),
        "{}",
        back.failures[2]
    );
    assert_eq!(back.tokens.len(), tokens.len() - 3);
    assert_eq!(back.tokens[1].sites, ["github.com"]);
}

/// The imported tokens' codes agree with OATH Toolkit's `oathtool` too
/// (skipped when it is missing, unless FACTORCAT_REQUIRE_OATHTOOL is set).
#[test]
fn imported_codes_agree_with_oathtool() {
    if std::process::Command::new("oathtool")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("FACTORCAT_REQUIRE_OATHTOOL").is_none(),
            "oathtool is required but missing"
        );
        eprintln!("oathtool not found; skipped");
        return;
    }
    let imported = read("encrypted_v3.json", Some(&password())).unwrap();
    let mut checked = 0;
    for token in &imported.tokens {
        // oathtool renders 6 to 8 digits, and HOTP with SHA-1 only.
        let hotp_sha1 =
            !matches!(token.kind, Kind::Hotp { .. }) || token.algorithm == Algorithm::Sha1;
        if token.digits > 8 || !hotp_sha1 {
            continue;
        }
        let hex = data_encoding::HEXLOWER.encode(token.secret.expose());
        let algo = format!("--{}", token.algorithm.as_str().to_ascii_lowercase())
            .replace("sha", "totp=sha");
        let digits = format!("--digits={}", token.digits);
        let (args, ours): (Vec<String>, String) = match token.kind {
            Kind::Totp { period } => (
                vec![
                    algo,
                    digits,
                    format!("--time-step-size={period}s"),
                    "--now=@1234567890".into(),
                    hex,
                ],
                token.code_at(1_234_567_890),
            ),
            Kind::Hotp { counter } => (
                vec!["--hotp".into(), digits, format!("--counter={counter}"), hex],
                token.hotp_code(counter),
            ),
            Kind::Steam => continue,
        };
        let out = std::process::Command::new("oathtool")
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().trim(),
            ours,
            "{}",
            token.label()
        );
        checked += 1;
    }
    assert_eq!(checked, 5);
}

/// A missing password names both ways to give it: the file and the
/// environment variable (it used to name only --password-file).
#[test]
fn a_missing_import_password_names_the_file_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let file =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/aegis/encrypted_v3.json");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .args(["import", file.to_str().unwrap()])
        .env("FACTORCAT_HOME", dir.path().join("vault"))
        .env("FACTORCAT_PASSPHRASE", "vault pass")
        .env_remove("FACTORCAT_IMPORT_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "factorcat: this aegis backup is encrypted and no password was given; give its password \
         with --password-file FILE (or FACTORCAT_IMPORT_PASSWORD)\n"
    );
    assert!(!dir.path().join("vault").exists(), "no vault was made");
}
