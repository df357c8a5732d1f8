//! Secrets hygiene: no token secret, passphrase or password — and no
//! current code — leaks into output that is not meant to carry it.
//!
//! * `every_cli_command_keeps_secrets_out_of_its_output` drives the real
//!   binary through every command, succeeding and failing (wrong, missing
//!   and changed passphrases, bad arguments, unknown and ambiguous queries,
//!   bad links and secrets, bad and encrypted imports, QR images, a damaged
//!   vault), with `RUST_BACKTRACE=1`. Standard error never holds a secret
//!   (raw bytes, base32 in either case with or without padding, any 16
//!   characters of it, hex), a passphrase or a code of any of the tokens;
//!   standard output holds none either, except where it is the command's
//!   purpose: `code` prints a code, a plaintext `export` the secrets.
//!   Nothing panics.
//! * `the_native_host_keeps_secrets_out_of_replies_and_logs` does the same
//!   for the native-messaging host, spoken to over frames as a browser
//!   does: every operation, good and bad, malformed frames and requests
//!   that carry a secret in odd places, a wrong passphrase and a damaged
//!   vault. Replies never hold a secret or passphrase; codes appear only in
//!   the replies of `list`, `code` and `enroll_codes`; the host's log holds
//!   neither.
//! * `debug_and_error_texts_of_library_types_hold_no_secret` formats with
//!   `{:?}` and `{}` every secret-holding type (`Token`, `Secret`, `Unlock`,
//!   `CreateOptions`, `VaultData`, `Protection`, the parsed command line,
//!   decoded `Request`s and their parts, `Imported`) and the errors of every
//!   module (secret, otpauth, vault, import, export, protocol, frames,
//!   site, QR) built from inputs that carry a secret.
//! * `secret_holders_wipe_their_memory` asserts at compile time that the
//!   types holding secrets zeroize on drop (`ZeroizeOnDrop`, or a
//!   `Zeroizing` wrapper), without reading freed memory.
//! * `errors_about_a_link_never_repeat_its_secret` (property): whatever is
//!   wrong with an `otpauth://` link — bad type or values, the `?` mistyped
//!   as `&`, `%3F`, `#`, `/` or `;` — neither the parser's error nor an
//!   import's entry error repeats 16 characters of its secret.
//! * `the_checker_finds_what_it_looks_for` shows that the checks above can
//!   fail: each spelling, a code, a passphrase and a panic are caught.

use crate::support::{piped, secrets, strategies};

use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use data_encoding::{BASE32, BASE32_NOPAD, BASE64};
use factorcat::error::ErrorCode;
use factorcat::export::{self, ExportFormat, Protection};
use factorcat::extension_ids::development_chromium_id as chromium_id;
use factorcat::import;
use factorcat::otpauth;
use factorcat::protocol::{self, FileBytes, SecretText};
use factorcat::secret::Secret;
use factorcat::site;
use factorcat::token::{Kind, Token, now_unix};
use factorcat::vault::{CreateOptions, KdfParams, Unlock, Vault, VaultData, VaultError};
use serde_json::{Value, json};
use zeroize::{ZeroizeOnDrop, Zeroizing};

/// The vault's passphrase and every other passphrase or password used;
/// none may ever be printed.
const PASSPHRASE: &str = "Vault passphrase Quokka-4711";
const NEW_PASSPHRASE: &str = "Second passphrase Wombat-0815";
const WRONG_PASSPHRASE: &str = "Wrong passphrase Numbat-5555";
const EXPORT_PASSPHRASE: &str = "Export passphrase Dingo-2342";
const WRONG_PASSWORD: &str = "Wrong password Bilby-9876";
const PASSWORDS: [&str; 5] = [
    PASSPHRASE,
    NEW_PASSPHRASE,
    WRONG_PASSPHRASE,
    EXPORT_PASSPHRASE,
    WRONG_PASSWORD,
];

/// The token secrets: printable bytes, so that a raw copy would show.
const RAW: [&[u8; 20]; 6] = [
    b"q7Vz!x2Lp9@Kd4#Wm8$T",
    b"Rb3&nY6^cJ1*hF5(sG0)",
    b"uE8_oP2+aM7=iN4{wQ9}",
    b"kC5|tZ1~dH6<fB3>jX7?",
    b"yA2;gL8:vS4'eU0,rO6.",
    b"mW9[pI3]bK7/zD1-lV5`",
];

fn secret(n: usize) -> Secret {
    Secret::from_bytes(RAW[n].to_vec()).unwrap()
}

fn b32(n: usize) -> String {
    BASE32_NOPAD.encode(RAW[n])
}

/// Every text form of every secret that must never be printed: base32
/// (both cases, padded or not), every 16-character piece of it, and hex.
fn forbidden_texts() -> Vec<String> {
    let mut out: Vec<String> = PASSWORDS.iter().map(|p| p.to_string()).collect();
    for raw in RAW {
        out.extend(pieces(raw));
        out.extend(secrets::secret_spellings(
            &Secret::from_bytes(raw.to_vec()).unwrap(),
        ));
    }
    out
}

/// Codes of every token around now: TOTP (SHA-1, 6 digits, 30 s) from
/// 90 s before to 120 s after, HOTP counters 0 to 9.
fn current_codes() -> Vec<String> {
    let now = now_unix();
    let mut codes = Vec::new();
    for n in 0..RAW.len() {
        let mut token = Token::new("", "", secret(n));
        for step in -3i64..=4 {
            codes.push(token.code_at(now.saturating_add_signed(step * 30)));
        }
        token.kind = Kind::Hotp { counter: 0 };
        for counter in 0..10 {
            codes.push(token.hotp_code(counter));
        }
    }
    codes.sort();
    codes.dedup();
    codes
}

/// Whether `text` holds `code` as a whole number (not inside a longer one).
fn has_code(text: &str, code: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|run| run == code)
}

/// What may appear in one piece of output.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Allowed {
    Nothing,
    Codes,
    Secrets,
}

/// Everything checked is gathered first, so that one failure report shows
/// every leak at once.
struct Checker {
    forbidden: Vec<String>,
    codes: Vec<String>,
    leaks: Vec<String>,
    checked: usize,
}

impl Checker {
    fn new() -> Checker {
        Checker {
            forbidden: forbidden_texts(),
            codes: current_codes(),
            leaks: Vec::new(),
            checked: 0,
        }
    }

    fn check(&mut self, what: &str, bytes: &[u8], allowed: Allowed) {
        self.checked += 1;
        let text = String::from_utf8_lossy(bytes);
        if allowed != Allowed::Secrets {
            for raw in RAW {
                if strategies::contains_bytes(bytes, raw) {
                    self.leaks.push(format!("{what}: a raw secret"));
                }
            }
            for f in &self.forbidden {
                if text.contains(f.as_str()) {
                    self.leaks.push(format!("{what}: {f:?}"));
                }
            }
        } else {
            // Even a plaintext export never holds a passphrase.
            for p in PASSWORDS {
                if text.contains(p) {
                    self.leaks.push(format!("{what}: the passphrase {p:?}"));
                }
            }
        }
        if text.contains("panicked at") || text.contains("stack backtrace") {
            self.leaks.push(format!("{what}: a panic"));
        }
        if allowed == Allowed::Nothing {
            for code in &self.codes {
                if has_code(&text, code) {
                    self.leaks.push(format!("{what}: the code {code}"));
                }
            }
        }
    }

    fn finish(self, at_least: usize) {
        assert!(
            self.leaks.is_empty(),
            "{} leaks:\n{}",
            self.leaks.len(),
            self.leaks.join("\n")
        );
        assert!(
            self.checked >= at_least,
            "only {} outputs were checked",
            self.checked
        );
    }
}

/// Cheap Argon2id parameters for the test vault (stored in its slot, so the
/// binary unlocks it cheaply too).
const CHEAP: KdfParams = KdfParams {
    m_kib: 8,
    t: 1,
    p: 1,
};

/// A throw-away home with a passphrase-only vault (no keyring is used).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::at(dir.path().join("vault")).with_key_cache(false);
        let options = CreateOptions {
            keyring: false,
            passphrase: Some(Zeroizing::new(PASSPHRASE.to_string())),
        };
        vault.create_with_kdf(&options, CHEAP).unwrap();
        Home { dir }
    }

    fn vault_dir(&self) -> PathBuf {
        self.dir.path().join("vault")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn command(&self, args: &[&str], passphrase: Option<&str>) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_factorcat"));
        command.args(args);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("FACTORCAT_") {
                command.env_remove(key);
            }
        }
        command
            .env("FACTORCAT_HOME", self.vault_dir())
            .env("FACTORCAT_NO_KEY_CACHE", "1")
            .env("RUST_BACKTRACE", "1")
            .env("HOME", self.dir.path())
            .env("XDG_CONFIG_HOME", self.path("config"))
            .env("XDG_DATA_HOME", self.path("data"))
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        if let Some(p) = passphrase {
            command.env("FACTORCAT_PASSPHRASE", p);
        }
        command
    }
}

/// Runs one command (with `input` on stdin) and checks what it printed.
fn run(
    checker: &mut Checker,
    home: &Home,
    args: &[&str],
    env: &[(&str, &str)],
    input: Option<&str>,
    stdout_may_hold: Allowed,
) -> Output {
    let mut command = home.command(args, Some(PASSPHRASE));
    for (k, v) in env {
        command.env(k, v);
    }
    let output = match input {
        None => command.output().unwrap(),
        Some(text) => piped::output_with_stdin(&mut command, text.as_bytes()),
    };
    let label = args.join(" ");
    checker.check(
        &format!("`{label}` stdout"),
        &output.stdout,
        stdout_may_hold,
    );
    checker.check(
        &format!("`{label}` stderr"),
        &output.stderr,
        Allowed::Nothing,
    );
    output
}

fn status(output: &Output) -> i32 {
    output.status.code().expect("exited")
}

/// A PNG holding a QR code of `text`.
fn qr_png(text: &str) -> Vec<u8> {
    use image::{GrayImage, Luma};
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let width = code.width() as u32;
    let side = (width + 8) * 4;
    let mut picture = GrayImage::from_pixel(side, side, Luma([255]));
    let colors = code.to_colors();
    for y in 0..width * 4 {
        for x in 0..width * 4 {
            if colors[((y / 4) * width + x / 4) as usize] == qrcode::Color::Dark {
                picture.put_pixel(16 + x, 16 + y, Luma([0]));
            }
        }
    }
    let mut out = Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A list of links: one good, then broken ones that carry a secret —
/// among them the typos that leave the secret in the label (`&` or an
/// encoded `?` instead of `?`), and a bare secret.
fn bad_list(issuer: &str) -> String {
    let (good, bad) = (b32(4), b32(5));
    [
        format!("otpauth://totp/{issuer}:erin?secret={good}"),
        format!("otpauth://totp/Broken:x?secret={bad}&digits=99"),
        format!("otpauth://totp/Typo:x&secret={bad}&issuer=Typo"),
        format!("otpauth://totp/Typo:x%3Fsecret%3D{bad}"),
        format!("otpauth://totp/Typo:x/secret={}", bad.to_ascii_lowercase()),
        bad,
    ]
    .join("\n")
}

/// Flips bytes of the vault's ciphertext (the end of the file).
fn damage(vault_file: &Path) {
    let mut bytes = std::fs::read(vault_file).unwrap();
    // Inside the token index, which every command reads (past the three
    // lines of signature, header and check, and the index's nonce).
    let check_end = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .nth(2)
        .unwrap()
        .0;
    for b in &mut bytes[check_end + 30..check_end + 50] {
        *b ^= 0x5a;
    }
    std::fs::write(vault_file, bytes).unwrap();
}

#[test]
fn every_cli_command_keeps_secrets_out_of_its_output() {
    use Allowed::*;
    let home = Home::new();
    let mut checker = Checker::new();
    let c = &mut checker;
    let h = &home;
    let s3 = b32(3);

    // Adding, every way, and refusals that carry a secret.
    let link = format!(
        "otpauth://totp/Hygiene%20One:alice?secret={}&issuer=Hygiene%20One",
        b32(0)
    );
    assert_eq!(status(&run(c, h, &["add", &link], &[], None, Nothing)), 0);
    assert_eq!(
        status(&run(c, h, &["add", &link], &[], None, Nothing)),
        2,
        "duplicate"
    );
    let out = run(
        c,
        h,
        &[
            "add",
            "--issuer",
            "Hygiene Two",
            "--account",
            "bob",
            "--secret",
            "-",
            "--hotp",
            "--counter",
            "0",
        ],
        &[],
        Some(&format!("{}\n", b32(1).to_ascii_lowercase())),
        Nothing,
    );
    assert_eq!(status(&out), 0);
    let out = run(
        c,
        h,
        &[
            "add",
            "--issuer",
            "Amazon Web Services",
            "--account",
            "carol",
            "--secret",
            &b32(2),
            "--aws-account",
            "123456789012",
            "--aws-user",
            "carol",
            "--site",
            "signin.aws.amazon.com",
        ],
        &[],
        None,
        Nothing,
    );
    assert_eq!(status(&out), 0);
    for bad in [
        format!("otpauth://totp/Bad:x?secret={}&digits=99", b32(3)),
        format!("otpauth://totp/Bad:x?secret={}&algorithm=MD5", b32(3)),
        format!("otpauth://yaotp/Bad:x?secret={}", b32(3)),
        format!("otpauth://totp/Bad:x?secret={}!", b32(3)),
        format!("otpauth://totp/Bad%01:x?secret={}", b32(3)),
        format!("otpauth-migration://offline?data={}", b32(3)),
        format!("https://example.com/?secret={}", b32(3)),
        b32(3),
    ] {
        let out = run(c, h, &["add", &bad], &[], None, Nothing);
        assert_ne!(status(&out), 0, "{bad} was accepted");
    }
    for bad_secret in [
        format!("{}0", b32(3)),
        format!("{}!", b32(3)),
        b32(3)[..10].to_string(),
    ] {
        let out = run(
            c,
            h,
            &["add", "--issuer", "Bad", "--secret", &bad_secret],
            &[],
            None,
            Nothing,
        );
        assert_ne!(status(&out), 0);
    }
    // Bad arguments next to a secret in its right place.
    for args in [
        vec!["add", "--issuer", "Bad", "--secret", &s3, "--digits", "99"],
        vec!["add", "--issuer", "Bad", "--secret", &s3, "--period", "0"],
        vec!["add", "--issuer", "Bad", "--secret", &s3, "--no-such-flag"],
        vec![
            "add", "--issuer", "Bad", "--secret", &s3, "--steam", "--hotp",
        ],
        vec!["add", "--secret", &s3, "--site", "not a host"],
        vec!["add", &link, "--qr", "x.png"],
    ] {
        let out = run(c, h, &args, &[], None, Nothing);
        assert_ne!(status(&out), 0, "{args:?}");
    }
    std::fs::write(
        h.path("token.png"),
        qr_png(&format!(
            "otpauth://totp/QR:dave?secret={}&issuer=QR",
            b32(3)
        )),
    )
    .unwrap();
    assert_eq!(
        status(&run(
            c,
            h,
            &["add", "--qr", "token.png"],
            &[],
            None,
            Nothing
        )),
        0
    );
    std::fs::write(
        h.path("bad.png"),
        qr_png(&format!("otpauth://totp/QR:x?secret={}&digits=99", b32(4))),
    )
    .unwrap();
    assert_ne!(
        status(&run(c, h, &["add", "--qr", "bad.png"], &[], None, Nothing)),
        0
    );
    std::fs::write(h.path("junk.png"), &RAW[4][..]).unwrap();
    assert_ne!(
        status(&run(c, h, &["add", "--qr", "junk.png"], &[], None, Nothing)),
        0
    );
    assert_ne!(
        status(&run(
            c,
            h,
            &["add", "--qr", "missing.png"],
            &[],
            None,
            Nothing
        )),
        0
    );

    // Reading.
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "alice"],
        vec!["show", "alice", "--json"],
        vec!["show", "bob", "--json"],
        vec!["show", "carol", "--json"],
        vec![
            "match",
            "https://signin.aws.amazon.com/oauth",
            "--account",
            "123456789012",
            "--user",
            "carol",
        ],
        vec!["match", "https://github.com/"],
        vec!["match", "http://signin.aws.amazon.com/"],
        vec!["doctor"],
        vec!["completions", "bash"],
        vec!["install", "--dry-run", "--browser", "chromium"],
        vec!["uninstall", "--dry-run"],
    ] {
        run(c, h, &args, &[], None, Nothing);
    }
    // Codes: stdout is the code, stderr nothing.
    for args in [
        vec!["code", "alice"],
        vec!["code", "alice", "--time", "1700000000"],
        vec!["code", "bob"],
        vec![
            "code",
            "--aws-mfa-serial",
            "arn:aws:iam::123456789012:mfa/carol",
        ],
    ] {
        let out = run(c, h, &args, &[], None, Codes);
        assert_eq!(status(&out), 0, "{args:?}");
    }
    for (args, code) in [
        (vec!["code", "nobody"], 3),
        (vec!["code", "hygiene"], 4),
        (
            vec![
                "code",
                "--aws-mfa-serial",
                "arn:aws:iam::999999999999:mfa/x",
            ],
            3,
        ),
        (vec!["code"], 2),
        (vec!["code", "alice", "--time", "soon"], 2),
        (vec!["show", "hygiene"], 4),
        (vec!["remove", "nobody", "--yes"], 3),
    ] {
        let out = run(c, h, &args, &[], None, Nothing);
        assert_eq!(status(&out), code, "{args:?}");
    }

    // Changing.
    for args in [
        vec![
            "edit",
            "alice",
            "--add-site",
            "github.com",
            "--add-tag",
            "work",
            "--pin",
        ],
        vec!["edit", "alice", "--add-site", "https://user:pw@x.example/"],
        vec!["edit", "alice", "--issuer", "Hygiene Uno"],
        vec!["remove", "dave"],
    ] {
        run(c, h, &args, &[], None, Nothing);
    }

    // Exports: plaintext ones carry secrets by design; encrypted ones none.
    for format in ["otpauth", "aegis", "factorcat"] {
        let out = run(
            c,
            h,
            &["export", "--format", format, "--plaintext"],
            &[],
            None,
            Secrets,
        );
        assert_eq!(status(&out), 0, "{format}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(&b32(0)),
            "{format} export"
        );
    }
    let env = [("FACTORCAT_EXPORT_PASSPHRASE", EXPORT_PASSPHRASE)];
    let out = run(
        c,
        h,
        &["export", "--format", "factorcat", "-o", "backup.json"],
        &env,
        None,
        Nothing,
    );
    assert_eq!(status(&out), 0);
    c.check(
        "backup.json",
        &std::fs::read(h.path("backup.json")).unwrap(),
        Nothing,
    );
    let out = run(
        c,
        h,
        &["export", "--format", "otpauth"],
        &env,
        None,
        Nothing,
    );
    assert_ne!(status(&out), 0, "otpauth cannot be encrypted");
    run(
        c,
        h,
        &["export", "--format", "factorcat", "-o", "backup.json"],
        &env,
        None,
        Nothing,
    );

    // Imports: bad entries, a wrong password, damaged files.
    std::fs::write(h.path("list.txt"), bad_list("Imported")).unwrap();
    for args in [
        vec!["import", "list.txt", "--dry-run"],
        vec!["import", "list.txt"],
        vec!["import", "list.txt", "--skip-bad", "--dry-run"],
        vec!["import", "list.txt", "--skip-bad"],
    ] {
        run(c, h, &args, &[], None, Nothing);
    }
    std::fs::write(h.path("password.txt"), format!("{WRONG_PASSWORD}\n")).unwrap();
    let out = run(
        c,
        h,
        &["import", "backup.json", "--password-file", "password.txt"],
        &[],
        None,
        Nothing,
    );
    assert_ne!(status(&out), 0);
    let out = run(
        c,
        h,
        &["import", "backup.json"],
        &[("FACTORCAT_IMPORT_PASSWORD", WRONG_PASSWORD)],
        None,
        Nothing,
    );
    assert_ne!(status(&out), 0);
    let mut damaged = std::fs::read_to_string(h.path("backup.json")).unwrap();
    damaged.truncate(damaged.len() / 2);
    std::fs::write(h.path("cut.json"), damaged).unwrap();
    run(
        c,
        h,
        &["import", "cut.json"],
        &[("FACTORCAT_IMPORT_PASSWORD", EXPORT_PASSPHRASE)],
        None,
        Nothing,
    );
    std::fs::write(
        h.path("aegis.json"),
        json!({"version": 1, "header": {"slots": null, "params": null},
               "db": {"version": 3, "entries": [
                   {"type": "totp", "name": "x", "issuer": "Y", "info": {"secret": b32(5), "algo": "MD5", "digits": 6, "period": 30}},
                   {"type": "totp", "name": "x", "issuer": "Y", "info": {"secret": format!("{}!", b32(5)), "digits": 6, "period": 30}},
                   {"type": "totp", "name": "x", "issuer": "Y", "info": {"secret": b32(5), "digits": b32(5), "period": 30}}
               ]}})
        .to_string(),
    )
    .unwrap();
    run(
        c,
        h,
        &["import", "aegis.json", "--dry-run"],
        &[],
        None,
        Nothing,
    );
    std::fs::write(
        h.path("odd.json"),
        format!("{{\"secret\": \"{}\", \"tokens\": [", b32(5)),
    )
    .unwrap();
    run(c, h, &["import", "odd.json"], &[], None, Nothing);
    run(
        c,
        h,
        &["import", "odd.json", "--format", "factorcat"],
        &[],
        None,
        Nothing,
    );

    // A damaged copy of the vault.
    let copy = h.path("damaged");
    std::fs::create_dir_all(&copy).unwrap();
    let file = factorcat::vault::FILE_NAME;
    std::fs::copy(h.vault_dir().join(file), copy.join(file)).unwrap();
    damage(&copy.join(file));
    for args in [
        vec!["list"],
        vec!["code", "alice"],
        vec!["show", "alice"],
        vec!["remove", "alice", "--yes"],
    ] {
        let out = h
            .command(&args, Some(PASSPHRASE))
            .env("FACTORCAT_HOME", &copy)
            .output()
            .unwrap();
        c.check(
            &format!("damaged `{}` stdout", args.join(" ")),
            &out.stdout,
            Nothing,
        );
        c.check(
            &format!("damaged `{}` stderr", args.join(" ")),
            &out.stderr,
            Nothing,
        );
        assert_eq!(status(&out), 7, "{args:?}");
    }

    // A new vault, made by the command.
    let out = h
        .command(&["init", "--no-keyring", "--passphrase"], Some(PASSPHRASE))
        .env("FACTORCAT_HOME", h.path("fresh"))
        .output()
        .unwrap();
    c.check("init stdout", &out.stdout, Nothing);
    c.check("init stderr", &out.stderr, Nothing);
    assert_eq!(status(&out), 0);

    // Passphrases: wrong, missing, changed, removal refused.
    let mut wrong = h.command(&["list"], Some(WRONG_PASSPHRASE));
    let out = wrong.output().unwrap();
    c.check("wrong passphrase stdout", &out.stdout, Nothing);
    c.check("wrong passphrase stderr", &out.stderr, Nothing);
    assert_eq!(status(&out), 5);
    let out = h.command(&["code", "alice"], None).output().unwrap();
    c.check("no passphrase stderr", &out.stderr, Nothing);
    assert_eq!(status(&out), 5);
    let out = run(
        c,
        h,
        &["passphrase"],
        &[("FACTORCAT_NEW_PASSPHRASE", NEW_PASSPHRASE)],
        None,
        Nothing,
    );
    assert_eq!(status(&out), 0);
    let out = h
        .command(&["code", "alice"], Some(NEW_PASSPHRASE))
        .output()
        .unwrap();
    c.check("new passphrase stdout", &out.stdout, Codes);
    c.check("new passphrase stderr", &out.stderr, Nothing);
    assert_eq!(status(&out), 0);
    let out = h
        .command(&["passphrase", "--remove"], Some(NEW_PASSPHRASE))
        .output()
        .unwrap();
    c.check("remove last slot stderr", &out.stderr, Nothing);
    assert_ne!(status(&out), 0);
    let out = h
        .command(
            &["init", "--no-keyring", "--passphrase"],
            Some(NEW_PASSPHRASE),
        )
        .output()
        .unwrap();
    c.check("init again stderr", &out.stderr, Nothing);
    assert_ne!(status(&out), 0);

    checker.finish(100);
}

/// The native host with a browser's arguments, over pipes.
struct Host {
    child: std::process::Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: std::process::ChildStdout,
}

impl Host {
    fn start(home: &Home, passphrase: &str) -> Host {
        let mut command = home.command(
            &[&format!("chrome-extension://{}/", chromium_id())],
            Some(passphrase),
        );
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        Host {
            stdin: child.stdin.take(),
            stdout: child.stdout.take().unwrap(),
            child,
        }
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        let mut frame = (bytes.len() as u32).to_ne_bytes().to_vec();
        frame.extend_from_slice(bytes);
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(&frame).unwrap();
        stdin.flush().unwrap();
    }

    /// One reply frame's bytes, or `None` at the end of output.
    fn recv(&mut self) -> Option<Vec<u8>> {
        let mut header = [0u8; 4];
        self.stdout.read_exact(&mut header).ok()?;
        let mut body = vec![0u8; u32::from_ne_bytes(header) as usize];
        self.stdout.read_exact(&mut body).unwrap();
        Some(body)
    }

    /// Closes the input, waits for the exit (at most 20 s) and returns the
    /// rest of stdout and all of stderr.
    fn finish(mut self) -> (Vec<u8>, Vec<u8>) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the host did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut rest = Vec::new();
        self.stdout.read_to_end(&mut rest).unwrap();
        let mut stderr = Vec::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_end(&mut stderr)
            .unwrap();
        (rest, stderr)
    }
}

/// Sends each body and checks each reply; codes are allowed only in the
/// replies to bodies marked `true` (`list`, `code`, `enroll_codes`).
/// Returns the replies.
fn converse(c: &mut Checker, host: &mut Host, bodies: &[(Vec<u8>, bool)]) -> Vec<Value> {
    let mut replies = Vec::new();
    for (body, codes_allowed) in bodies {
        host.send_raw(body);
        let reply = host.recv().expect("a reply");
        let label = format!(
            "reply to {}",
            String::from_utf8_lossy(&body[..body.len().min(60)])
        );
        c.check(
            &label,
            &reply,
            if *codes_allowed {
                Allowed::Codes
            } else {
                Allowed::Nothing
            },
        );
        replies.push(serde_json::from_slice(&reply).unwrap());
    }
    replies
}

fn request(value: Value) -> (Vec<u8>, bool) {
    let codes = matches!(
        value["type"].as_str(),
        Some("list" | "code" | "enroll_codes")
    );
    (value.to_string().into_bytes(), codes)
}

#[test]
fn the_native_host_keeps_secrets_out_of_replies_and_logs() {
    let home = Home::new();
    let vault = Vault::at(home.vault_dir()).with_key_cache(false);
    let mut t0 = Token::new("Hygiene One", "alice", secret(0));
    t0.sites = vec!["github.com".into()];
    let mut t1 = Token::new("Hygiene Two", "bob", secret(1));
    t1.kind = Kind::Hotp { counter: 0 };
    let (id0, id1) = (t0.id, t1.id);
    vault
        .update(&Unlock::with_passphrase(PASSPHRASE), |data| {
            data.insert(t0);
            data.insert(t1);
            Ok::<_, VaultError>(())
        })
        .unwrap();

    let backup = export::export(
        &[Token::new("Backup", "x", secret(5))],
        ExportFormat::FactorCat,
        &Protection::passphrase(EXPORT_PASSPHRASE),
    )
    .unwrap();
    let list = bad_list("Listed");
    let good_png = qr_png(&format!(
        "otpauth://totp/QR:dave?secret={}&issuer=QR",
        b32(3)
    ));
    let bad_png = qr_png(&format!(
        "otpauth://totp/QR:x?secret={}&algorithm=MD5",
        b32(5)
    ));

    let mut c = Checker::new();
    let mut host = Host::start(&home, PASSPHRASE);
    let mut bodies = vec![
        request(json!({"id": 1, "type": "hello"})),
        request(json!({"id": 2, "type": "list"})),
        request(json!({"id": 3, "type": "match", "url": "https://github.com/login"})),
        request(json!({"id": 4, "type": "code", "token": id0})),
        request(json!({"id": 5, "type": "code", "token": id0, "for_fill": true})),
        request(json!({"id": 6, "type": "enroll_codes", "token": id0})),
        request(json!({"id": 7, "type": "code", "token": id1})),
        request(
            json!({"id": 8, "type": "add", "uri": format!("otpauth://totp/Added:frank?secret={}&issuer=Added", b32(2)), "sites": ["example.com"]}),
        ),
        request(
            json!({"id": 9, "type": "add", "uri": format!("otpauth://totp/Added:frank?secret={}&issuer=Added", b32(2))}),
        ),
        request(
            json!({"id": 10, "type": "add", "issuer": "Fields", "account": "gina", "secret": b32(3).to_ascii_lowercase(), "kind": "hotp"}),
        ),
        request(
            json!({"id": 11, "type": "add", "uri": format!("otpauth://totp/Bad:x?secret={}&digits=99", b32(5))}),
        ),
        request(
            json!({"id": 12, "type": "add", "uri": format!("otpauth://totp/Bad:x?secret={}!", b32(5))}),
        ),
        request(
            json!({"id": 13, "type": "add", "secret": format!("{}1", b32(5)), "issuer": "Bad"}),
        ),
        request(json!({"id": 14, "type": "add", "secret": b32(5), "digits": b32(5)})),
        request(json!({"id": 15, "type": "add", "secret": b32(5), "kind": b32(5)})),
        request(json!({"id": 16, "type": "add", "secret": b32(5), "algorithm": b32(5)})),
        request(json!({"id": 17, "type": "add", "secret": b32(5), "sites": [b32(5)]})),
        request(json!({"id": 18, "type": "update", "token": id0, "secret": b32(5)})),
        request(
            json!({"id": 19, "type": "update", "token": id0, "issuer": "Renamed", "tags": ["t"]}),
        ),
        request(json!({"id": 20, "type": "update", "token": b32(5), "issuer": "x"})),
        request(
            json!({"id": 21, "type": "remove", "token": "00000000-0000-0000-0000-000000000000"}),
        ),
        request(json!({"id": 22, "type": "code", "token": "00000000-0000-0000-0000-000000000001"})),
        request(json!({"id": 23, "type": "decode_qr", "image": BASE64.encode(&good_png)})),
        request(json!({"id": 24, "type": "decode_qr", "image": BASE64.encode(&bad_png)})),
        request(json!({"id": 25, "type": "decode_qr", "image": BASE64.encode(RAW[5])})),
        request(json!({"id": 26, "type": "decode_qr", "image": b32(5)})),
        request(json!({"id": 27, "type": "import", "file": BASE64.encode(list.as_bytes())})),
        request(
            json!({"id": 28, "type": "import", "file": BASE64.encode(list.as_bytes()), "skip_bad": true, "dry_run": true}),
        ),
        request(
            json!({"id": 29, "type": "import", "file": BASE64.encode(&backup), "password": WRONG_PASSWORD}),
        ),
        request(json!({"id": 30, "type": "import", "file": BASE64.encode(&backup)})),
        request(
            json!({"id": 31, "type": "import", "file": BASE64.encode(&backup[..backup.len() / 2]), "password": EXPORT_PASSPHRASE}),
        ),
        request(
            json!({"id": 32, "type": "import", "file": BASE64.encode(&backup), "password": b32(5), "format": b32(5)}),
        ),
        request(json!({"id": 33, "type": b32(5)})),
        request(
            json!({"id": 34, "type": "match", "url": format!("https://x:{}@evil.example/", b32(5))}),
        ),
        request(json!({"id": 36, "type": "match", "url": format!("not a url {}", b32(5))})),
        request(
            json!({"id": 37, "type": "add", "secret": b32(5), "digits": format!("x, expected {}", b32(5))}),
        ),
        request(json!({"id": 38, "type": "hello", "protocol": format!("x, expected {}", b32(5))})),
        request(json!({"id": 39, "type": "list", "limit": b32(5)})),
        request(json!({"id": 40, "type": "remove", "token": id1})),
        request(json!({"id": 41, "type": "list"})),
        (
            format!(
                "{{\"id\": 42, \"type\": \"add\", \"secret\": \"{}\"",
                b32(5)
            )
            .into_bytes(),
            false,
        ),
        (format!("[\"{}\"]", b32(5)).into_bytes(), false),
        (format!("\"{}\"", b32(5)).into_bytes(), false),
        (
            [&b"{\"secret\": \""[..], &RAW[5][..], &b"\xff\xfe\"}"[..]].concat(),
            false,
        ),
        (Vec::new(), false),
    ];
    // A JSON escape inside the secret (serde unescapes it into a buffer of
    // its own).
    bodies.push((
        format!(r#"{{"id": 43, "type": "add", "uri": "otpauth://totp/Esc:x?secret=\u0041{}&digits=99"}}"#, b32(5)).into_bytes(),
        false,
    ));
    let replies = converse(&mut c, &mut host, &bodies);
    let ok = |id: i64| {
        replies
            .iter()
            .find(|r| r["id"] == id)
            .map(|r| r["ok"] == true)
    };
    assert_eq!(ok(2), Some(true), "list works");
    assert_eq!(ok(8), Some(true), "add works");
    assert_eq!(ok(11), Some(false));
    assert_eq!(ok(29), Some(false));
    // One oversized frame ends the session.
    host.stdin
        .as_mut()
        .unwrap()
        .write_all(&u32::MAX.to_ne_bytes())
        .unwrap();
    let last = host.recv().expect("a frame_too_large reply");
    c.check("frame_too_large reply", &last, Allowed::Nothing);
    let (rest, stderr) = host.finish();
    c.check("host stdout after the end", &rest, Allowed::Nothing);
    c.check("host stderr", &stderr, Allowed::Nothing);

    // A wrong passphrase.
    let mut host = Host::start(&home, WRONG_PASSPHRASE);
    let replies = converse(
        &mut c,
        &mut host,
        &[
            request(json!({"id": 1, "type": "list"})),
            request(json!({"id": 2, "type": "code", "token": id0})),
        ],
    );
    assert_eq!(replies[0]["error"]["code"], "wrong_passphrase");
    let (_, stderr) = host.finish();
    c.check("host stderr (wrong passphrase)", &stderr, Allowed::Nothing);

    // A damaged vault.
    damage(&vault.file());
    let mut host = Host::start(&home, PASSPHRASE);
    let replies = converse(
        &mut c,
        &mut host,
        &[
            request(json!({"id": 1, "type": "hello"})),
            request(json!({"id": 2, "type": "list"})),
            request(json!({"id": 3, "type": "code", "token": id0, "for_fill": true})),
            request(json!({"id": 4, "type": "match", "url": "https://github.com/"})),
        ],
    );
    assert_eq!(replies[1]["error"]["code"], "vault_corrupt");
    let (_, stderr) = host.finish();
    c.check("host stderr (damaged vault)", &stderr, Allowed::Nothing);
    c.finish(55);
}

#[test]
fn debug_and_error_texts_of_library_types_hold_no_secret() {
    let mut c = Checker::new();
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut add = |what: &str, text: String| texts.push((what.to_string(), text));

    // Records and handles.
    let mut token = Token::new("Issuer", "account", secret(0));
    token.kind = Kind::Hotp { counter: 3 };
    add("Token", format!("{token:?}"));
    add("Secret", format!("{:?}", secret(1)));
    add("Secret in Option", format!("{:?}", Some(secret(1))));
    add(
        "Unlock",
        format!("{:?}", Unlock::with_passphrase(PASSPHRASE)),
    );
    add(
        "CreateOptions",
        format!(
            "{:?}",
            CreateOptions {
                keyring: true,
                passphrase: Some(Zeroizing::new(PASSPHRASE.into()))
            }
        ),
    );
    let mut data = VaultData::default();
    data.insert(token.clone());
    data.insert(Token::new("Other", "x", secret(2)));
    add("VaultData", format!("{data:?}"));
    add(
        "Protection",
        format!("{:?}", Protection::passphrase(EXPORT_PASSPHRASE)),
    );
    add(
        "SecretText",
        format!("{:?}", SecretText(Zeroizing::new(b32(3)))),
    );
    add(
        "FileBytes",
        format!("{:?}", FileBytes(Zeroizing::new(RAW[3].to_vec()))),
    );

    // Decoded requests and their parts.
    let list = format!("otpauth://totp/L:x?secret={}\n", b32(4));
    for request in [
        json!({"id": 1, "type": "add", "uri": format!("otpauth://totp/A:b?secret={}", b32(3))}),
        json!({"id": 2, "type": "add", "secret": b32(3), "issuer": "I", "aws": {"account": "123456789012"}}),
        json!({"id": 3, "type": "import", "file": BASE64.encode(list.as_bytes()), "password": WRONG_PASSWORD}),
        json!({"id": 4, "type": "decode_qr", "image": BASE64.encode(RAW[4])}),
        json!({"id": 5, "type": "update", "token": token.id, "issuer": "x"}),
        json!({"id": 6, "type": "match", "url": "https://github.com/", "hint": {"user": "u"}}),
        json!({"id": 7, "type": "add", "secret": b32(3), "digits": format!("x, expected {}", b32(3))}),
        json!({"id": 8, "type": "update", "token": token.id, "secret": b32(3)}),
        json!({"id": 9, "type": "import", "file": b32(3)}),
    ] {
        let (_, decoded) = protocol::decode_request(request.to_string().as_bytes());
        add("decoded request", format!("{decoded:?}"));
        if let Err(e) = &decoded {
            add("ProtoError", e.to_string());
            add("ProtoError json", e.to_json().to_string());
        }
        if let Ok(protocol::Request::Import(import)) = &decoded {
            add("ImportRequest", format!("{import:?}"));
            let parsed = import::parse(&import.file.0, import.format, None);
            add("Imported", format!("{parsed:?}"));
        }
    }

    // Errors built from inputs that carry a secret.
    for text in [
        format!("{}!", b32(0)),
        format!("{}1", b32(0)),
        b32(0)[..8].to_string(),
        "A".repeat(900),
    ] {
        if let Err(e) = Secret::from_base32(&text) {
            add("SecretError", format!("{e:?} / {e}"));
        }
    }
    for uri in [
        format!("otpauth://totp/X:y?secret={}&digits=99", b32(0)),
        format!(
            "otpauth://totp/X:y?secret={}&algorithm=MD5{}",
            b32(0),
            b32(1)
        ),
        format!("otpauth://{}/X:y?secret={}", b32(1), b32(0)),
        format!("{}://totp/X:y?secret={}", b32(1), b32(0)),
        format!("otpauth://totp/X:y?secret={}&period={}", b32(0), b32(1)),
        format!("otpauth://totp/X%00:y?secret={}", b32(0)),
        format!("otpauth://totp/X:y?secret={}=={}", b32(0), b32(1)),
        format!("otpauth-migration://offline?data={}", b32(0)),
        format!(
            "otpauth://totp/X:y?secret={}&issuer={}&encoder={}",
            b32(0),
            "é".repeat(600),
            b32(1)
        ),
    ] {
        if let Err(e) = otpauth::parse(&uri) {
            add("OtpauthError", format!("{e:?} / {e}"));
        }
    }
    let aegis = json!({"version": 1, "header": {"slots": null, "params": null},
    "db": {"version": 3, "entries": [
        {"type": "totp", "name": "x", "issuer": "Y", "info": {"secret": b32(5), "algo": b32(4), "digits": 6, "period": 30}},
        {"type": b32(4), "name": "x", "info": {"secret": b32(5)}},
        {"type": "totp", "name": "x", "info": {"secret": format!("{}8", b32(5)), "digits": 6, "period": 30}}
    ]}});
    let backup = export::export(
        &[Token::new("B", "x", secret(5))],
        ExportFormat::Aegis,
        &Protection::passphrase(EXPORT_PASSPHRASE),
    )
    .unwrap();
    for (bytes, password) in [
        (aegis.to_string().into_bytes(), None),
        (aegis.to_string().as_bytes()[..60].to_vec(), None),
        (backup.to_vec(), Some(WRONG_PASSWORD)),
        (backup.to_vec(), None),
        (format!("{{\"format\": \"factorcat-backup\", \"version\": 1, \"tokens\": [{{\"secret\": \"{}\", \"digits\": \"{}\"}}]}}", b32(5), b32(4)).into_bytes(), None),
        (format!("otpauth://totp/X:y?secret={}&digits=99\n", b32(5)).into_bytes(), None),
        (RAW[5].to_vec(), None),
    ] {
        match import::parse(&bytes, None, password) {
            Ok((_, imported)) => {
                add("Imported", format!("{imported:?}"));
                for f in &imported.failures {
                    add("EntryError", format!("{f:?} / {f}"));
                }
            }
            Err(e) => add("ImportError", format!("{e:?} / {e}")),
        }
    }
    for bytes in [RAW[5].to_vec(), b"\x89PNG\r\n\x1a\n".to_vec()] {
        add(
            "QrError",
            format!("{:?}", factorcat::qr::decode_image(&bytes).err()),
        );
    }
    let payloads = [
        format!("otpauth://totp/Q:x?secret={}&digits=99", b32(5)),
        format!("otpauth://totp/Q:x&secret={}", b32(5)),
        format!("otpauth-migration://offline?data={}", b32(5)),
        format!("https://example.com/{}", b32(5)),
    ];
    add(
        "QR payloads",
        format!("{:?}", factorcat::qr::tokens_from_payloads(&payloads)),
    );
    add(
        "ExportError",
        format!(
            "{:?}",
            export::export(
                &[token.clone()],
                ExportFormat::Otpauth,
                &Protection::passphrase(EXPORT_PASSPHRASE)
            )
            .err()
        ),
    );
    for url in [
        format!("http://{}.example/", b32(0)),
        format!("https://x:{}@/", b32(0)),
        b32(0),
        format!("data:text/plain,{}", b32(0)),
    ] {
        if let Err(e) = site::match_url(&[token.clone()], &url, &site::Hint::default()) {
            add("SiteError", format!("{e:?} / {e}"));
        }
    }
    add(
        "site error",
        format!(
            "{:?}",
            site::normalize_site(&format!("https://u:{}@x.example/", b32(0)))
        ),
    );
    let mut frame = Cursor::new([&[5u8, 0, 0, 0][..], &RAW[0][..3]].concat());
    add(
        "FrameError",
        format!("{:?}", protocol::read_frame(&mut frame).err()),
    );

    // Vault errors.
    let home = Home::new();
    let vault = Vault::at(home.vault_dir()).with_key_cache(false);
    vault
        .update(&Unlock::with_passphrase(PASSPHRASE), |d| {
            d.insert(token.clone());
            Ok::<_, VaultError>(())
        })
        .unwrap();
    let wrong = vault
        .read(&Unlock::with_passphrase(WRONG_PASSPHRASE))
        .unwrap_err();
    add("VaultError wrong", format!("{wrong:?} / {wrong}"));
    let none = vault.read(&Unlock::default()).unwrap_err();
    add("VaultError none", format!("{none:?} / {none}"));
    damage(&vault.file());
    let corrupt = vault
        .read(&Unlock::with_passphrase(PASSPHRASE))
        .unwrap_err();
    assert_eq!(corrupt.code(), ErrorCode::VaultCorrupt);
    add("VaultError corrupt", format!("{corrupt:?} / {corrupt}"));
    add("VaultStatus", format!("{:?}", vault.status()));

    for (what, text) in &texts {
        c.check(what, text.as_bytes(), Allowed::Nothing);
    }
    c.finish(40);
}

/// The checker itself finds every spelling it is meant to find, so that a
/// clean result above means something.
#[test]
fn the_checker_finds_what_it_looks_for() {
    let codes = current_codes();
    let samples: Vec<(Vec<u8>, Allowed, usize)> = vec![
        (RAW[2].to_vec(), Allowed::Nothing, 1),
        (format!("x {} y", b32(2)).into_bytes(), Allowed::Nothing, 1),
        (
            format!("x{}y", b32(2).to_ascii_lowercase()).into_bytes(),
            Allowed::Nothing,
            1,
        ),
        (
            format!("[{}]", BASE32.encode(RAW[2])).into_bytes(),
            Allowed::Nothing,
            1,
        ),
        (b32(2)[7..23].to_string().into_bytes(), Allowed::Nothing, 1),
        (
            secrets::hex(RAW[2]).to_ascii_uppercase().into_bytes(),
            Allowed::Nothing,
            1,
        ),
        (
            format!("code: {}.", codes[0]).into_bytes(),
            Allowed::Nothing,
            1,
        ),
        (
            format!("code: {}.", codes[0]).into_bytes(),
            Allowed::Codes,
            0,
        ),
        (
            format!("code: 9{}", codes[0]).into_bytes(),
            Allowed::Nothing,
            0,
        ),
        (
            format!("pass {PASSPHRASE}").into_bytes(),
            Allowed::Nothing,
            1,
        ),
        (
            format!("pass {WRONG_PASSWORD}").into_bytes(),
            Allowed::Secrets,
            1,
        ),
        (b32(2).into_bytes(), Allowed::Secrets, 0),
        (b"nothing to see".to_vec(), Allowed::Nothing, 0),
        (
            b"thread 'main' panicked at src/x.rs:1:1".to_vec(),
            Allowed::Secrets,
            1,
        ),
    ];
    for (bytes, allowed, expected) in samples {
        let mut c = Checker::new();
        c.check("sample", &bytes, allowed);
        assert_eq!(
            c.leaks.len().min(1),
            expected,
            "{:?}: {:?}",
            String::from_utf8_lossy(&bytes),
            c.leaks
        );
    }
}

/// Compile-time: each type that holds a secret, a key or a passphrase wipes
/// it when dropped.
#[test]
fn secret_holders_wipe_their_memory() {
    fn wipes<T: ZeroizeOnDrop>() {}
    fn wiped<T: ZeroizeOnDrop>(_: &T) {}

    wipes::<Secret>();
    wipes::<factorcat::keystore::Key>();
    // The code generator's own copy of the key (totp-rs's `zeroize` feature).
    wipes::<totp_rs::Totp>();
    wipes::<totp_rs::Builder>();
    wipes::<Zeroizing<String>>();
    wipes::<Zeroizing<Vec<u8>>>();
    // Public fields and results that carry secrets are `Zeroizing`.
    let _: fn(&SecretText) -> &Zeroizing<String> = |s| &s.0;
    let _: fn(&FileBytes) -> &Zeroizing<Vec<u8>> = |f| &f.0;
    let _: fn(&Unlock) -> &Option<Zeroizing<String>> = |u| &u.passphrase;
    let _: fn(&CreateOptions) -> &Option<Zeroizing<String>> = |o| &o.passphrase;
    let _: fn(&Secret) -> Zeroizing<String> = Secret::to_base32;
    let _: fn(&Token) -> Zeroizing<String> = otpauth::emit;
    let exported = export::export(&[], ExportFormat::Otpauth, &Protection::Plaintext).unwrap();
    wiped(&exported);
    let mut input = Cursor::new(vec![1, 0, 0, 0, b'x']);
    let body = protocol::read_frame(&mut input).unwrap().unwrap();
    wiped(&body);
    if let Protection::Passphrase(p) = Protection::passphrase("x") {
        let _: Zeroizing<String> = p;
    }
    // A token's only secret is its `Secret`.
    let token = Token::new("I", "a", secret(0));
    let _: &Secret = &token.secret;
}

/// Every 16-character piece of `secret` in base32, in both cases.
fn pieces(secret: &[u8]) -> Vec<String> {
    let text = BASE32_NOPAD.encode(secret);
    text.as_bytes()
        .windows(16)
        .flat_map(|w| {
            let piece = std::str::from_utf8(w).unwrap();
            [piece.to_string(), piece.to_ascii_lowercase()]
        })
        .collect()
}

/// A link whose query carries a secret, often broken: a bad type, bad
/// parameter values, the `?` mistyped as `&`, an encoded `?`, `#`, `/` or
/// `;`.
fn broken_link() -> impl proptest::strategy::Strategy<Value = (Vec<u8>, String)> {
    use proptest::prelude::*;
    let kind = prop::sample::select(vec!["totp", "hotp", "steam", "TOTP", "yaotp", ""]);
    let separator =
        prop::sample::select(vec!["?", "&", "%3F", "%3f", "#", "/", ";", "?x=1&", "??"]);
    let value = prop_oneof![
        Just("99".to_string()),
        Just("MD5".to_string()),
        Just("6".to_string()),
        Just("30".to_string()),
        "[0-9A-Za-z%=&]{0,12}",
    ];
    let extra = prop::collection::vec(
        (
            prop::sample::select(vec![
                "digits",
                "algorithm",
                "period",
                "counter",
                "encoder",
                "issuer",
            ]),
            value,
        ),
        0..4,
    );
    (
        prop::collection::vec(any::<u8>(), 10..=40),
        kind,
        "[A-Za-z0-9 :@.-]{0,20}",
        separator,
        extra,
        any::<bool>(),
    )
        .prop_map(|(secret, kind, label, separator, extra, lower)| {
            let mut text = BASE32_NOPAD.encode(&secret);
            if lower {
                text = text.to_ascii_lowercase();
            }
            let mut query = format!("secret={text}");
            for (name, value) in extra {
                query = format!("{name}={value}&{query}");
            }
            let label = label.replace(' ', "%20");
            (
                secret,
                format!("otpauth://{kind}/{label}{separator}{query}"),
            )
        })
}

proptest::proptest! {
    #![proptest_config(strategies::config(300))]

    /// Whatever is wrong with a link, neither the link parser's error nor
    /// an import of it as a list repeats 16 characters of its secret.
    #[test]
    fn errors_about_a_link_never_repeat_its_secret((secret, uri) in broken_link()) {
        let pieces = pieces(&secret);
        let leaks = |text: &str| pieces.iter().any(|p| text.contains(p.as_str()));
        if let Err(e) = otpauth::parse(&uri) {
            proptest::prop_assert!(!leaks(&format!("{e} {e:?}")), "{}: {}", uri, e);
        }
        if let Ok((_, imported)) = import::parse(format!("{uri}\n").as_bytes(), None, None) {
            for f in &imported.failures {
                proptest::prop_assert!(!leaks(&format!("{f} {f:?}")), "{}: {}", uri, f);
            }
        }
    }
}
