//! Importing otpauth text lists and Google Authenticator migration links,
//! reading QR code images, and the `import` / `add --qr` commands.
//!
//! Fixtures in `tests/data/import/otpauth/` and their expected tokens and
//! codes were written by `scripts/make-import-fixtures/otpauth.py`, which
//! computes codes with Python's hmac; one code per fixture is also checked
//! against `oathtool` when it is installed.
//!
//! Modules: fixtures (tokens and codes), failures, detection, qr (images
//! made here with the `qrcode` encoder), cli (a real vault).

use crate::support::secrets;

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use factorcat::error::ErrorCode;
use factorcat::import::{self, Format, ImportError};
use factorcat::qr::{self, QrError};
use factorcat::token::{Kind, Token};
use image::{GrayImage, ImageFormat, Luma};
use serde_json::Value;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import/otpauth")
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap()
}

fn expected() -> Value {
    serde_json::from_slice(&fixture("expected.json")).unwrap()
}

fn parse(name: &str) -> import::Imported {
    let (format, imported) = import::parse(&fixture(name), None, None).unwrap();
    assert_eq!(format, Format::OtpauthList, "{name}");
    imported
}

/// Checks every field and code of `token` against the generator's record.
fn check_token(token: &Token, want: &Value, what: &str) {
    token.validate().unwrap();
    assert_eq!(token.issuer, want["issuer"].as_str().unwrap(), "{what}");
    assert_eq!(token.account, want["account"].as_str().unwrap(), "{what}");
    assert_eq!(token.kind.name(), want["kind"].as_str().unwrap(), "{what}");
    assert_eq!(
        token.algorithm.as_str(),
        want["algorithm"].as_str().unwrap(),
        "{what}"
    );
    assert_eq!(
        u64::from(token.digits),
        want["digits"].as_u64().unwrap(),
        "{what}"
    );
    assert_eq!(
        &*token.secret.to_base32(),
        want["secret"].as_str().unwrap(),
        "{what}"
    );
    match token.kind {
        Kind::Hotp { counter } => {
            assert_eq!(counter, want["counter"].as_u64().unwrap(), "{what}");
            assert_eq!(
                token.code_at(0),
                want["codes"]["counter"].as_str().unwrap(),
                "{what}"
            );
        }
        _ => {
            assert_eq!(token.kind.period(), want["period"].as_u64(), "{what}");
            for (time, code) in want["codes"].as_object().unwrap() {
                assert_eq!(
                    token.code_at(time.parse().unwrap()),
                    code.as_str().unwrap(),
                    "{what} at {time}"
                );
            }
        }
    }
    match want.get("aws") {
        Some(aws) => assert_eq!(serde_json::to_value(&token.aws).unwrap(), *aws, "{what}"),
        None => assert!(token.aws.is_none(), "{what}"),
    }
}

fn check_fixture(name: &str) -> Vec<Token> {
    let imported = parse(name);
    assert!(
        imported.failures.is_empty(),
        "{name}: {:?}",
        imported.failures
    );
    let want = expected();
    let want = want[name].as_array().unwrap();
    assert_eq!(imported.tokens.len(), want.len(), "{name}");
    for (i, (token, want)) in imported.tokens.iter().zip(want).enumerate() {
        check_token(token, want, &format!("{name} entry {}", i + 1));
    }
    imported.tokens
}

/// `oathtool`'s TOTP code, when the tool is installed (required when
/// `FACTORCAT_REQUIRE_OATHTOOL` is set).
fn oathtool_totp(token: &Token, time: u64) -> Option<String> {
    let hex = secrets::hex(token.secret.expose());
    let out = Command::new("oathtool")
        .args([
            &format!("--totp={}", token.algorithm.as_str()),
            "-d",
            &token.digits.to_string(),
            "-s",
            &format!("{}s", token.kind.period().unwrap()),
            "-N",
            &format!("@{time}"),
            &hex,
        ])
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => {
            // scripts/test.sh installs oathtool and insists on the check.
            assert!(
                std::env::var_os("FACTORCAT_REQUIRE_OATHTOOL").is_none(),
                "oathtool is required: {e}"
            );
            return None;
        }
    };
    assert!(
        out.status.success(),
        "oathtool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

// ---- fixtures ----------------------------------------------------------

#[test]
fn plain_list_gives_every_kind_with_known_codes() {
    let tokens = check_fixture("plain_list.txt");
    assert_eq!(tokens[4].kind, Kind::Steam);
    assert_eq!(tokens[5].sites, ["signin.aws.amazon.com"]);
    for token in tokens
        .iter()
        .filter(|t| matches!(t.kind, Kind::Totp { .. }))
    {
        if let Some(code) = oathtool_totp(token, 1_111_111_109) {
            assert_eq!(token.code_at(1_111_111_109), code, "{}", token.label());
        }
    }
}

#[test]
fn migration_single_code_with_hotp_counter_as_last_used() {
    let tokens = check_fixture("migration_single.txt");
    // Google Authenticator stored 41 (the last code shown): next is 42.
    assert_eq!(tokens[2].kind, Kind::Hotp { counter: 42 });
    assert!(tokens[3].aws.is_some());
    if let Some(code) = oathtool_totp(&tokens[1], 59) {
        assert_eq!(tokens[1].code_at(59), code);
    }
}

#[test]
fn migration_batch_out_of_order_and_url_safe() {
    check_fixture("migration_batch.txt");
}

#[test]
fn ids_are_fresh() {
    let a = parse("plain_list.txt");
    let b = parse("plain_list.txt");
    for (x, y) in a.tokens.iter().zip(&b.tokens) {
        assert_ne!(x.id, y.id);
    }
}

// ---- failures ----------------------------------------------------------

fn check_failures(name: &str) -> import::Imported {
    let imported = parse(name);
    let want = &expected()[name];
    assert_eq!(
        imported.tokens.len() as u64,
        want["tokens"].as_u64().unwrap(),
        "{name}"
    );
    let failures = want["failures"].as_array().unwrap();
    assert_eq!(
        imported.failures.len(),
        failures.len(),
        "{name}: {:?}",
        imported.failures
    );
    for (got, want) in imported.failures.iter().zip(failures) {
        assert_eq!(got.position as u64, want[0].as_u64().unwrap(), "{got}");
        assert!(got.reason.contains(want[1].as_str().unwrap()), "{got}");
    }
    imported
}

#[test]
fn bad_lines_are_reported_by_line_without_secrets() {
    let imported = check_failures("fail_bad_entries.txt");
    let secrets = ["GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", "not*base32", "GEZDGNBV"];
    for failure in &imported.failures {
        let text = format!("{failure} {failure:?}");
        for secret in secrets {
            assert!(!text.contains(secret), "{text}");
        }
    }
    assert_eq!(imported.failures[3].label.as_deref(), Some("Old (md5)"));
    assert_eq!(imported.failures[0].label.as_deref(), Some("Bad (secret)"));
    assert!(!format!("{:?}", imported.tokens).contains("GEZDGNBV"));
}

#[test]
fn a_missing_batch_part_is_named() {
    let imported = check_failures("fail_migration_missing_part.txt");
    assert!(imported.failures[0].reason.contains("scan every QR code"));
}

#[test]
fn empty_and_oversized_files_are_refused() {
    let err = import::parse(&fixture("fail_empty.txt"), Some(Format::OtpauthList), None);
    assert_eq!(err.unwrap_err().code(), ErrorCode::ImportDamaged);
    let huge = vec![b'#'; import::MAX_IMPORT_BYTES + 1];
    let err = import::parse(&huge, Some(Format::OtpauthList), None).unwrap_err();
    assert!(matches!(err, ImportError::TooLarge));
    assert_eq!(err.code(), ErrorCode::ImportTooLarge);
}

#[test]
fn absurd_entry_counts_are_refused() {
    let lines = "otpauth://x\n".repeat(100_002);
    let err = import::parse(lines.as_bytes(), None, None).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ImportDamaged);
    assert!(
        err.to_string().contains("more than 100000 entries"),
        "{err}"
    );
}

#[test]
fn absurd_migration_links_are_entry_errors() {
    let long = format!("otpauth-migration://offline?data={}\n", "A".repeat(70_000));
    let (_, got) = import::parse(long.as_bytes(), None, None).unwrap();
    assert!(got.failures[0].reason.contains("longer than 64 KiB"));
    // Part 5 of 3 cannot be.
    let bad = "otpauth-migration://offline?data=GAMgBA\n"; // batch_size 3, batch_index 4
    let (_, got) = import::parse(bad.as_bytes(), None, None).unwrap();
    assert!(
        got.failures[0].reason.contains("part 5 of 3"),
        "{:?}",
        got.failures
    );
}

#[test]
fn binary_garbage_never_panics() {
    let mut seed = 0x2545_f491_u32;
    for len in [1usize, 7, 64, 300] {
        let mut bytes = b"otpauth-migration://offline?data=".to_vec();
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            bytes.push(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                    [(seed % 64) as usize],
            );
        }
        let _ = import::parse(&bytes, None, None);
        let _ = qr::decode_image(&bytes);
    }
}

// ---- detection ---------------------------------------------------------

#[test]
fn detection_picks_text_lists_and_only_them() {
    for name in [
        "plain_list.txt",
        "migration_single.txt",
        "migration_batch.txt",
        "fail_bad_entries.txt",
        "duplicates.txt",
    ] {
        assert_eq!(
            import::detect(&fixture(name)),
            Some(Format::OtpauthList),
            "{name}"
        );
    }
    for other in [
        &b"{\"db\": {\"entries\": []}}"[..],
        b"[{\"otpauth\": \"otpauth://totp/x\"}]",
        b"secret,issuer\n",
        b"\x89PNG\r\n",
    ] {
        assert_ne!(import::detect(other), Some(Format::OtpauthList));
    }
    // Other engineers' fixtures, when present, are never taken for a list.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/import");
    for dir in std::fs::read_dir(root).unwrap().flatten() {
        if dir.file_name() == "otpauth" || !dir.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(dir.path()).unwrap().flatten() {
            // Text files there may well be otpauth lists (password files,
            // READMEs and some apps' .txt exports): only binary and JSON
            // exports are checked.
            let ext = file.path().extension().map(|e| e.to_ascii_lowercase());
            if ext.as_ref().is_some_and(|e| e == "txt" || e == "md") {
                continue;
            }
            let bytes = std::fs::read(file.path()).unwrap();
            assert_ne!(
                import::detect(&bytes),
                Some(Format::OtpauthList),
                "{}",
                file.path().display()
            );
        }
    }
}

// ---- QR images ---------------------------------------------------------

/// A QR code as a grey image: `scale` pixels per module, 4-module quiet zone.
fn qr_image(text: &str, scale: u32) -> GrayImage {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let width = code.width() as u32;
    let colors = code.to_colors();
    let side = (width + 8) * scale;
    GrayImage::from_fn(side, side, |x, y| {
        let (mx, my) = (x / scale, y / scale);
        let dark = (4..width + 4).contains(&mx)
            && (4..width + 4).contains(&my)
            && colors[((my - 4) * width + (mx - 4)) as usize] == qrcode::Color::Dark;
        Luma([if dark { 0 } else { 255 }])
    })
}

fn encode(image: &GrayImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

fn line(name: &str, n: usize) -> String {
    String::from_utf8(fixture(name))
        .unwrap()
        .trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| l.starts_with("otpauth"))
        .nth(n)
        .unwrap()
        .to_string()
}

#[test]
fn qr_codes_decode_at_several_scales() {
    let uri = line("plain_list.txt", 1);
    for scale in [2, 3, 5, 8] {
        let png = encode(&qr_image(&uri, scale), ImageFormat::Png);
        assert_eq!(
            qr::decode_image(&png).unwrap(),
            std::slice::from_ref(&uri),
            "scale {scale}"
        );
    }
}

#[test]
fn two_codes_side_by_side_are_both_found() {
    let (a, b) = (line("plain_list.txt", 0), line("migration_single.txt", 0));
    let (left, right) = (qr_image(&a, 4), qr_image(&b, 4));
    let height = left.height().max(right.height());
    let mut both = GrayImage::from_pixel(left.width() + right.width() + 40, height, Luma([255]));
    image::imageops::replace(&mut both, &left, 0, 0);
    image::imageops::replace(&mut both, &right, i64::from(left.width()) + 40, 0);
    let mut found = qr::decode_image(&encode(&both, ImageFormat::Png)).unwrap();
    found.sort();
    let mut want = vec![a, b];
    want.sort();
    assert_eq!(found, want);
    // And as tokens: one otpauth line plus four migration accounts.
    let (imported, ignored) = qr::tokens_from_payloads(&found);
    assert!(ignored.is_empty());
    assert_eq!(imported.unwrap().tokens.len(), 5);
}

#[test]
fn noisy_and_jpeg_images_decode() {
    use rand::{Rng, SeedableRng};
    let uri = line("plain_list.txt", 3);
    let mut noisy = qr_image(&uri, 6);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for pixel in noisy.pixels_mut() {
        if rng.gen_bool(0.01) {
            pixel.0[0] = 255 - pixel.0[0];
        }
    }
    assert_eq!(
        qr::decode_image(&encode(&noisy, ImageFormat::Png)).unwrap(),
        std::slice::from_ref(&uri)
    );
    let jpeg = encode(&qr_image(&uri, 6), ImageFormat::Jpeg);
    assert_eq!(&jpeg[..2], b"\xFF\xD8");
    assert_eq!(qr::decode_image(&jpeg).unwrap(), [uri]);
}

#[test]
fn images_without_codes_and_hostile_images_are_refused() {
    let blank = GrayImage::from_fn(200, 120, |x, y| Luma([((x * 7 + y * 3) % 256) as u8]));
    let err = qr::decode_image(&encode(&blank, ImageFormat::Png)).unwrap_err();
    assert_eq!(err, QrError::NotFound);
    assert!(err.to_string().contains("no QR code found"));
    assert_eq!(
        qr::decode_image(b"GIF89a....").unwrap_err().code(),
        ErrorCode::QrImageUnsupported
    );
    let png = encode(
        &qr_image("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", 3),
        ImageFormat::Png,
    );
    assert_eq!(
        qr::decode_image(&png[..png.len() / 2]).unwrap_err(),
        QrError::Damaged
    );
    // Too wide, checked from the header.
    let wide = GrayImage::from_pixel(qr::MAX_SIDE + 1, 1, Luma([255]));
    let err = qr::decode_image(&encode(&wide, ImageFormat::Png)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::QrImageTooLarge);
    // A 60000×60000 header over a few bytes of data: refused before decoding.
    let bomb = std::fs::read(data_dir().join("../qr/fail_bomb.png")).unwrap();
    assert_eq!(
        qr::decode_image(&bomb).unwrap_err(),
        QrError::Dimensions {
            width: 60000,
            height: 60000
        }
    );
    assert_eq!(
        qr::decode_image(&vec![0; qr::MAX_IMAGE_BYTES + 1]).unwrap_err(),
        QrError::TooLarge
    );
}

#[test]
fn other_qr_payloads_are_ignored_by_position() {
    let payloads = vec![
        "https://example.com/".to_string(),
        line("plain_list.txt", 0),
    ];
    let (imported, ignored) = qr::tokens_from_payloads(&payloads);
    assert_eq!(ignored, [1]);
    assert_eq!(imported.unwrap().tokens.len(), 1);
    let (imported, _) = qr::tokens_from_payloads(&payloads[..1]);
    assert!(imported.is_err());
}

// ---- cli ---------------------------------------------------------------

struct Home(tempfile::TempDir);

impl Home {
    /// A passphrase-only vault, so that no keyring is involved.
    fn new() -> Home {
        let home = Home(tempfile::tempdir().unwrap());
        let out = home.run(&["init", "--passphrase", "--no-keyring"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        home
    }

    fn empty() -> Home {
        Home(tempfile::tempdir().unwrap())
    }

    fn vault_file(&self) -> PathBuf {
        self.0.path().join("vault/factorcat.vault")
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_factorcat"))
            .args(args)
            .env("FACTORCAT_HOME", self.0.path().join("vault"))
            .env("FACTORCAT_PASSPHRASE", "import tests")
            .env("FACTORCAT_NO_KEY_CACHE", "1")
            .env_remove("FACTORCAT_IMPORT_PASSWORD")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn import(&self, name: &str, extra: &[&str]) -> (Output, String, String) {
        let path = data_dir().join(name);
        let mut args = vec!["import", path.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = self.run(&args);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (out, stdout, stderr)
    }

    fn count(&self) -> usize {
        let out = self.run(&["list", "--json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let list: Value = serde_json::from_slice(&out.stdout).unwrap();
        list.as_array().unwrap().len()
    }
}

#[test]
fn cli_import_is_all_or_nothing_unless_skip_bad() {
    let home = Home::new();
    let before = std::fs::read(home.vault_file()).unwrap();
    let (out, _, stderr) = home.import("fail_bad_entries.txt", &[]);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("entry 2 (Bad (secret))"), "{stderr}");
    assert!(stderr.contains("entry 7"), "{stderr}");
    assert!(stderr.contains("--skip-bad"), "{stderr}");
    assert_eq!(std::fs::read(home.vault_file()).unwrap(), before);

    let (out, stdout, stderr) = home.import("fail_bad_entries.txt", &["--skip-bad"]);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("imported 3, duplicates skipped 0, failed 7"),
        "{stdout}"
    );
    assert_eq!(home.count(), 3);
}

#[test]
fn cli_dry_run_writes_nothing() {
    let home = Home::empty();
    let (out, stdout, stderr) = home.import("plain_list.txt", &["--dry-run"]);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("would import 6, duplicates skipped 0, failed 0"),
        "{stdout}"
    );
    assert!(!home.vault_file().exists());

    let home = Home::new();
    let before = std::fs::read(home.vault_file()).unwrap();
    let (out, stdout, _) = home.import("plain_list.txt", &["--dry-run", "--format", "otpauth"]);
    assert!(out.status.success());
    assert!(stdout.contains("would import GitHub (octocat)"), "{stdout}");
    assert_eq!(std::fs::read(home.vault_file()).unwrap(), before);
}

#[test]
fn cli_duplicates_are_counted_and_a_second_import_adds_nothing() {
    let home = Home::new();
    let (out, stdout, stderr) = home.import("duplicates.txt", &[]);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.contains("imported 2, duplicates skipped 1, failed 0"),
        "{stdout}"
    );
    let written = std::fs::read(home.vault_file()).unwrap();

    let (out, stdout, _) = home.import("duplicates.txt", &[]);
    assert!(out.status.success());
    assert!(
        stdout.contains("imported 0, duplicates skipped 3, failed 0"),
        "{stdout}"
    );
    // Nothing new: the vault was not rewritten.
    assert_eq!(std::fs::read(home.vault_file()).unwrap(), written);

    // The migration export shares GitHub's key: one duplicate.
    let (out, stdout, _) = home.import("migration_single.txt", &[]);
    assert!(out.status.success());
    assert!(
        stdout.contains("imported 3, duplicates skipped 1, failed 0"),
        "{stdout}"
    );
    assert_eq!(home.count(), 5);
    let code = home.run(&["code", "Counter Co"]);
    let want = &expected()["migration_single.txt"][2]["codes"]["counter"];
    assert_eq!(
        String::from_utf8_lossy(&code.stdout).trim(),
        want.as_str().unwrap()
    );
}

#[test]
fn cli_import_refuses_unknown_formats_and_missing_parts() {
    let home = Home::new();
    let (out, _, stderr) = home.import("plain_list.txt", &["--format", "nonsense"]);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let dir = tempfile::tempdir().unwrap();
    let prose = dir.path().join("notes.txt");
    std::fs::write(&prose, "not an export at all\n").unwrap();
    let out = home.run(&["import", prose.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(8), "{stderr}");
    assert!(stderr.contains("--format"), "{stderr}");
    let (out, _, stderr) = home.import("fail_migration_missing_part.txt", &[]);
    assert_eq!(out.status.code(), Some(8));
    assert!(stderr.contains("part 2 of 3"), "{stderr}");
    assert_eq!(home.count(), 0);
}

#[test]
fn cli_add_qr_adds_every_code_in_the_image() {
    let home = Home::new();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (line("plain_list.txt", 0), line("migration_batch.txt", 1));
    let (left, right) = (qr_image(&a, 3), qr_image(&b, 3));
    let mut both = GrayImage::from_pixel(
        left.width() + right.width(),
        left.height().max(right.height()),
        Luma([255]),
    );
    image::imageops::replace(&mut both, &left, 0, 0);
    image::imageops::replace(&mut both, &right, i64::from(left.width()), 0);
    let path = dir.path().join("codes.png");
    std::fs::write(&path, encode(&both, ImageFormat::Png)).unwrap();
    let out = home.run(&["add", "--qr", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The batch line is part 1 of 3: the others are missing, nothing added.
    assert_eq!(out.status.code(), Some(8), "{stdout}");
    assert_eq!(home.count(), 0);

    let single = dir.path().join("one.png");
    std::fs::write(&single, encode(&qr_image(&a, 4), ImageFormat::Png)).unwrap();
    let out = home.run(&["add", "--qr", single.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 1, duplicates skipped 0"));
    // Everything in the image is in the vault: refused like `add` of a
    // duplicate (exit 2), naming the stored token; nothing written.
    let written = std::fs::read(home.vault_file()).unwrap();
    let out = home.run(&["add", "--qr", single.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("factorcat: every code in the image is already in the vault (")
            && stderr.contains("GitHub (octocat)")
            && stderr.ends_with(
                "); nothing was added. Change a stored token with `factorcat edit <id>`\n"
            ),
        "{stderr}"
    );
    assert_eq!(std::fs::read(home.vault_file()).unwrap(), written);
    let uri = home.run(&["add", &a]);
    assert_eq!(uri.status.code(), Some(2), "the same as add URI");
    assert_eq!(home.count(), 1);
    // `import` of the same codes skips them and succeeds: a second import
    // of one file is harmless.
    let list = dir.path().join("one.txt");
    std::fs::write(&list, format!("{a}\n")).unwrap();
    let out = home.run(&["import", list.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("imported 0, duplicates skipped 1"));

    // A QR code of a web link holds no token: an invalid token (exit 8),
    // as docs/import.md says.
    let link = dir.path().join("link.png");
    std::fs::write(
        &link,
        encode(&qr_image("https://example.com/login", 4), ImageFormat::Png),
    )
    .unwrap();
    let out = home.run(&["add", "--qr", link.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let blank = dir.path().join("blank.png");
    std::fs::write(
        &blank,
        encode(
            &GrayImage::from_pixel(50, 50, Luma([255])),
            ImageFormat::Png,
        ),
    )
    .unwrap();
    let out = home.run(&["add", "--qr", blank.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(8));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no QR code found"));
}
