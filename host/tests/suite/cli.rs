//! The `factorcat` command line, run as a real process against a real vault.
//!
//! Most cases use a passphrase-only vault so they do not depend on the
//! keyring; `keyring_vault_works_end_to_end` uses the real Secret Service
//! that the test script starts.

use crate::support::{piped, tty};

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// RFC 6238's SHA-1 key, "12345678901234567890", in base32.
const RFC_SHA1: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

struct Home {
    dir: tempfile::TempDir,
    passphrase: Option<&'static str>,
}

impl Home {
    fn with_passphrase() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            passphrase: Some("correct horse battery staple"),
        }
    }

    fn with_keyring() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
            passphrase: None,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_factorcat"));
        cmd.args(args)
            .env("FACTORCAT_HOME", self.dir.path().join("vault"))
            .env_remove("FACTORCAT_PASSPHRASE")
            .stdin(Stdio::null());
        if let Some(p) = self.passphrase {
            cmd.env("FACTORCAT_PASSPHRASE", p);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args)
            .output()
            .expect("the factorcat binary runs")
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        piped::output_with_stdin(&mut self.command(args), input.as_bytes())
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn vault_dir(&self) -> &Path {
        self.dir.path()
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn code_prints_only_the_code_for_a_given_time() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        &format!("otpauth://totp/ACME:alice?secret={RFC_SHA1}&digits=8&issuer=ACME"),
    ]);
    let out = home.run(&["code", "alice", "--time", "59"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "94287082\n");
    assert_eq!(
        home.ok(&["code", "acme", "--time", "1111111109"]),
        "07081804\n"
    );
}

#[test]
fn add_from_fields_and_from_stdin() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "GitHub",
        "--account",
        "octocat",
        "--secret",
        "jbsw y3dp ehpk 3pxp",
        "--site",
        "github.com",
    ]);
    let out = home.run_with_stdin(
        &[
            "add",
            "--issuer",
            "Example",
            "--account",
            "bob",
            "--secret",
            "-",
            "--digits",
            "8",
            "--period",
            "60",
            "--algorithm",
            "sha256",
        ],
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["list", "--json"])).unwrap();
    let list = json.as_array().unwrap();
    assert_eq!(list.len(), 2);
    let bob = list.iter().find(|t| t["account"] == "bob").unwrap();
    assert_eq!(bob["algorithm"], "SHA256");
    assert_eq!(bob["digits"], 8);
    assert_eq!(bob["period"], 60);
    let octo = list.iter().find(|t| t["account"] == "octocat").unwrap();
    assert_eq!(octo["sites"], serde_json::json!(["github.com"]));
    let uri_out = home.run_with_stdin(
        &["add", "-"],
        "otpauth://totp/Stdin:carol?secret=JBSWY3DPEHPK3PXQ\n",
    );
    assert!(uri_out.status.success(), "{}", stderr(&uri_out));
}

/// Regression (a secret on the command line is readable by every local
/// user): `add` without a URI, `--secret` without a value, and the fields
/// without `--secret` read the secret from standard input, so it is never
/// in the process's command line.
#[test]
fn add_reads_what_is_left_out_from_standard_input() {
    use std::io::Write;
    let home = Home::with_passphrase();
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    let secret = "JBSWY3DPEHPK3PXQ";
    let uri = format!("otpauth://totp/Stdin:carol?secret={secret}");

    // While it waits for the URI, its command line holds no secret.
    let mut child = home
        .command(&["add"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The pipe that tells the parent about the exec closes a moment before
    // the new program's arguments are in place: wait for them.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let cmdline = loop {
        let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
        if !cmdline.is_empty() || std::time::Instant::now() > deadline {
            break cmdline;
        }
        std::thread::yield_now();
    };
    let args: Vec<&[u8]> = cmdline
        .split(|b| *b == 0)
        .filter(|a| !a.is_empty())
        .collect();
    assert_eq!(
        args[1..],
        [b"add".as_slice()],
        "{:?}",
        String::from_utf8_lossy(&cmdline)
    );
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{uri}").unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    for (args, input) in [
        (
            &["add", "--issuer", "A", "--account", "one", "--secret"][..],
            "GEZDGNBVGY3TQOJQ\n",
        ),
        (
            &["add", "--issuer", "A", "--account", "two"][..],
            "GEZDGNBVGY3TQOJR\n",
        ),
        (
            &[
                "add",
                "--account",
                "three",
                "--secret",
                "-",
                "--hotp",
                "--counter",
                "0",
            ][..],
            "GEZDGNBVGY3TQOJS\n",
        ),
    ] {
        let out = home.run_with_stdin(args, input);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
    let json: serde_json::Value = serde_json::from_str(&home.ok(&["list", "--json"])).unwrap();
    let accounts: Vec<&str> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.len(), 4, "{json}");
    for account in ["carol", "one", "two", "three"] {
        assert!(accounts.contains(&account), "{account}: {json}");
    }

    // Nothing on standard input: refused, naming what was expected.
    let out = home.run_with_stdin(&["add"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("expected the otpauth:// URI on standard input"),
        "{}",
        stderr(&out)
    );
}

/// In a terminal, what `add` asks for is typed without echo; a URI or a
/// secret written on the command line still works, with a one-line warning.
#[test]
fn add_asks_in_a_terminal_without_echo_and_warns_about_arguments() {
    let home = Home::with_passphrase();
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    let typed = "JBSWY3DPEHPK3PXR";
    let screen = tty::run_in_terminal(
        &home.command(&["add"]),
        &[(
            "Type or paste the otpauth:// URI (not shown): ",
            &format!("otpauth://totp/Typed:dave?secret={typed}\n"),
        )],
    );
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert!(!screen.text.contains(typed), "echoed: {}", screen.text);
    assert!(screen.text.contains("added "), "{}", screen.text);
    assert!(!screen.text.contains("warning"), "{}", screen.text);

    let screen = tty::run_in_terminal(
        &home.command(&["add", "--issuer", "Typed", "--account", "erin", "--secret"]),
        &[(
            "Type or paste the secret (not shown): ",
            "GEZD GNBV GY3T QOJQ\n",
        )],
    );
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert!(!screen.text.contains("GEZD"), "echoed: {}", screen.text);

    let warning = "factorcat: warning: the otpauth:// URI on this command line is visible to other \
                   local users and kept in shell history; next time leave it out (or give -) to type it unseen\n";
    let on_line = "otpauth://totp/Line:frank?secret=JBSWY3DPEHPK3PXS";
    let screen = tty::run_in_terminal(&home.command(&["add", on_line]), &[]);
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert_eq!(screen.text.matches(warning).count(), 1, "{}", screen.text);
    let screen = tty::run_in_terminal(
        &home.command(&["add", "--account", "gina", "--secret", "JBSWY3DPEHPK3PXT"]),
        &[],
    );
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert!(
        screen
            .text
            .contains("factorcat: warning: the secret on this command line is visible"),
        "{}",
        screen.text
    );
    // Without a terminal (scripts, logs) the same command says nothing.
    let out = home.run(&["add", "--account", "hank", "--secret", "JBSWY3DPEHPK3PXU"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn hotp_advances_once_per_code() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "Bank",
        "--account",
        "me",
        "--secret",
        RFC_SHA1,
        "--hotp",
        "--counter",
        "0",
    ]);
    // RFC 4226 appendix D.
    for expected in ["755224", "287082", "359152", "969429"] {
        assert_eq!(home.ok(&["code", "bank"]), format!("{expected}\n"));
    }
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "bank", "--json"])).unwrap();
    assert_eq!(shown["counter"], 4);
    let out = home.run(&["code", "bank", "--time", "5"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(
        home.ok(&["code", "bank"]),
        "338314\n",
        "a refused call must not advance the counter"
    );
}

#[test]
fn steam_codes_use_steams_alphabet() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "Steam",
        "--account",
        "gamer",
        "--secret",
        RFC_SHA1,
        "--steam",
    ]);
    let code = home.ok(&["code", "gamer", "--time", "59"]);
    let code = code.trim_end();
    assert_eq!(code.len(), 5);
    assert!(
        code.chars()
            .all(|c| "23456789BCDFGHJKMNPQRTVWXY".contains(c)),
        "{code}"
    );
}

#[test]
fn list_and_show_never_print_the_secret() {
    let home = Home::with_passphrase();
    home.ok(&["add", &format!("otpauth://totp/Amazon%20Web%20Services:alice%40123456789012?secret={RFC_SHA1}&issuer=Amazon%20Web%20Services")]);
    for args in [
        &["list"][..],
        &["list", "--json"],
        &["show", "alice"],
        &["show", "alice", "--json"],
    ] {
        let out = home.ok(args);
        assert!(!out.contains(RFC_SHA1), "{args:?} printed the secret");
        assert!(out.contains("alice"), "{args:?}: {out}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "alice", "--json"])).unwrap();
    assert_eq!(json["aws"]["account_id"], "123456789012");
}

#[test]
fn queries_exit_with_documented_codes() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "AWS",
        "--account",
        "prod-admin",
        "--secret",
        "JBSWY3DPEHPK3PXP",
    ]);
    home.ok(&[
        "add",
        "--issuer",
        "AWS",
        "--account",
        "dev-admin",
        "--secret",
        "JBSWY3DPEHPK3PXQ",
    ]);
    let out = home.run(&["code", "admin"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(out.stdout.is_empty());
    assert!(
        stderr(&out).contains("prod-admin") && stderr(&out).contains("dev-admin"),
        "{}",
        stderr(&out)
    );
    let out = home.run(&["code", "gitlab"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(stderr(&out).contains("factorcat list"));
    assert_eq!(home.ok(&["code", "prod"]).trim_end().len(), 6);
}

/// `add` with an AWS account and, where given, its user, from fields.
fn add_aws(home: &Home, account: &str, secret: &str, aws: &[&str]) {
    let mut args = vec![
        "add",
        "--issuer",
        "Amazon Web Services",
        "--account",
        account,
        "--secret",
        secret,
        "--digits",
        "8",
    ];
    args.extend_from_slice(aws);
    home.ok(&args);
}

/// The code `code --aws-mfa-serial ARN` prints at Unix time 59, or its
/// exit status and stderr.
fn serial_code(home: &Home, arn: &str) -> Result<String, (i32, String)> {
    let out = home.run(&["code", "--aws-mfa-serial", arn, "--time", "59"]);
    match out.status.code() {
        Some(0) => Ok(String::from_utf8(out.stdout).unwrap()),
        code => {
            assert!(out.stdout.is_empty(), "no code on a failure");
            Err((code.unwrap_or(-1), stderr(&out)))
        }
    }
}

/// RFC 6238's SHA-1 code at 59 s, and that of the secret JBSWY3DPEHPK3PXP,
/// both with 8 digits.
const RFC_AT_59: &str = "94287082\n";
const OTHER_SECRET: &str = "JBSWY3DPEHPK3PXP";
const OTHER_AT_59: &str = "41996554\n";

#[test]
fn aws_mfa_serial_never_gives_another_users_code() {
    let home = Home::with_passphrase();
    // The issue as a new user met it: one token, alice's, in the account.
    add_aws(
        &home,
        "alice",
        RFC_SHA1,
        &["--aws-account", "123456789012", "--aws-user", "alice"],
    );
    assert_eq!(
        serial_code(&home, "arn:aws:iam::123456789012:mfa/alice").unwrap(),
        RFC_AT_59
    );
    let bob = "arn:aws:iam::123456789012:mfa/bob";
    let (code, message) = serial_code(&home, bob).unwrap_err();
    assert_eq!(code, 3, "{message}");
    assert!(
        message.contains(
            "the account's only token, Amazon Web Services (alice), is alice's (its AWS user)"
        ),
        "{message}"
    );
    assert!(
        message.contains(&format!("factorcat edit QUERY --aws-mfa-serial {bob}")),
        "{message}"
    );
    // Another partition or account: nothing.
    for arn in [
        "arn:aws-cn:iam::123456789012:mfa/alice",
        "arn:aws:iam::210987654321:mfa/alice",
    ] {
        let (code, message) = serial_code(&home, arn).unwrap_err();
        assert_eq!(code, 3, "{message}");
        assert!(message.contains("no token is of AWS account"), "{message}");
    }
    // Not a virtual MFA device's serial at all.
    let (code, message) = serial_code(&home, "arn:aws:iam::123456789012:user/alice").unwrap_err();
    assert_eq!(code, 2, "{message}");
}

#[test]
fn aws_mfa_serial_by_exact_binding_user_device_name_and_the_only_anonymous_token() {
    let home = Home::with_passphrase();
    // The only token of an account, whose user is unknown, is taken.
    add_aws(&home, "ops", RFC_SHA1, &["--aws-account", "111122223333"]);
    let carol = "arn:aws:iam::111122223333:mfa/carol";
    assert_eq!(serial_code(&home, carol).unwrap(), RFC_AT_59);
    // A second one of that account: no more guessing.
    add_aws(
        &home,
        "spare",
        OTHER_SECRET,
        &["--aws-account", "111122223333"],
    );
    let (code, message) = serial_code(&home, carol).unwrap_err();
    assert_eq!(code, 3, "{message}");
    assert!(
        message.contains("none of the account's 2 tokens"),
        "{message}"
    );
    // Bound exactly, on the command line: that token, whatever it is called.
    home.ok(&["edit", "spare", "--aws-mfa-serial", carol]);
    assert_eq!(serial_code(&home, carol).unwrap(), OTHER_AT_59);
    // Letter case aside, as IAM names are.
    assert_eq!(
        serial_code(&home, "arn:aws:iam::111122223333:mfa/Carol").unwrap(),
        OTHER_AT_59
    );
    // By the device name in AWS's own QR label (device@account).
    let qr = format!(
        "otpauth://totp/Amazon%20Web%20Services:alice-phone%40444455556666?secret={RFC_SHA1}&digits=8&issuer=Amazon%20Web%20Services"
    );
    home.ok(&["add", &qr, "--allow-duplicate"]);
    assert_eq!(
        serial_code(&home, "arn:aws:iam::444455556666:mfa/alice-phone").unwrap(),
        RFC_AT_59
    );
    // ... and that token is alice-phone, not any other device.
    let (code, message) = serial_code(&home, "arn:aws:iam::444455556666:mfa/bob").unwrap_err();
    assert_eq!(code, 3, "{message}");
    assert!(
        message.contains("is alice-phone's (its AWS user)"),
        "{message}"
    );
    // Two devices of one user are told apart only by their serials.
    add_aws(
        &home,
        "bob-phone",
        RFC_SHA1,
        &[
            "--aws-account",
            "777788889999",
            "--aws-user",
            "bob",
            "--allow-duplicate",
        ],
    );
    add_aws(
        &home,
        "bob-tablet",
        OTHER_SECRET,
        &[
            "--aws-account",
            "777788889999",
            "--aws-user",
            "bob",
            "--allow-duplicate",
        ],
    );
    let bob = "arn:aws:iam::777788889999:mfa/bob";
    let (code, message) = serial_code(&home, bob).unwrap_err();
    assert_eq!(code, 4, "{message}");
    assert!(
        message.contains("bob-phone") && message.contains("bob-tablet"),
        "{message}"
    );
    assert!(
        message.contains(&format!("factorcat edit ID --aws-mfa-serial {bob}")),
        "{message}"
    );
    home.ok(&["edit", "bob-tablet", "--aws-mfa-serial", bob]);
    assert_eq!(serial_code(&home, bob).unwrap(), OTHER_AT_59);
    // A device name that is no token's: bob-phone is user bob's, not a
    // guess for whatever bob-key is.
    let (code, message) = serial_code(&home, "arn:aws:iam::777788889999:mfa/bob-key").unwrap_err();
    assert_eq!(code, 3, "{message}");
    assert!(
        message.contains("none of the account's 2 tokens"),
        "{message}"
    );
}

#[test]
fn aws_mfa_serial_is_stored_shown_checked_and_backed_up() {
    let home = Home::with_passphrase();
    let gov = "arn:aws-us-gov:iam::123456789012:mfa/ops/alice-phone";
    // A serial gives a new token its account and partition.
    add_aws(&home, "alice", RFC_SHA1, &["--aws-mfa-serial", gov]);
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "alice", "--json"])).unwrap();
    assert_eq!(shown["aws"]["mfa_serial"], gov);
    assert_eq!(shown["aws"]["account_id"], "123456789012");
    assert_eq!(shown["aws"]["partition"], "aws-us-gov");
    assert!(
        home.ok(&["show", "alice"])
            .contains(&format!("serial:    {gov}\n"))
    );
    let listed: serde_json::Value = serde_json::from_str(&home.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed[0]["aws"]["mfa_serial"], gov);
    assert_eq!(serial_code(&home, gov).unwrap(), RFC_AT_59);

    // A serial of another account than the token's is refused, with the fix.
    for args in [
        vec![
            "edit",
            "alice",
            "--aws-mfa-serial",
            "arn:aws-us-gov:iam::210987654321:mfa/x",
        ],
        vec!["edit", "alice", "--aws-account", "210987654321"],
        vec!["edit", "alice", "--aws-partition", "aws"],
    ] {
        let out = home.run(&args);
        assert_eq!(out.status.code(), Some(8), "{args:?}");
        assert!(
            stderr(&out).contains("the MFA serial names another AWS partition or account than the token's; give --aws-account"),
            "{}",
            stderr(&out)
        );
    }
    let out = home.run(&[
        "edit",
        "alice",
        "--aws-mfa-serial",
        "arn:aws:iam::123456789012:user/alice",
    ]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("ARN of a virtual MFA device"),
        "{}",
        stderr(&out)
    );

    // Kept by a FactorCat backup, read back into another vault.
    let backup = home.vault_dir().join("backup.json");
    let out = home
        .command(&["export", "--plaintext", "-o", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let other = Home::with_passphrase();
    other.ok(&["import", backup.to_str().unwrap()]);
    assert_eq!(serial_code(&other, gov).unwrap(), RFC_AT_59);

    // Removed with "".
    home.ok(&["edit", "alice", "--aws-mfa-serial", ""]);
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "alice", "--json"])).unwrap();
    assert!(shown["aws"].get("mfa_serial").is_none(), "{shown}");
}

#[test]
fn edit_and_remove() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "Gitlab",
        "--account",
        "me",
        "--secret",
        "JBSWY3DPEHPK3PXP",
    ]);
    home.ok(&[
        "edit",
        "gitlab",
        "--issuer",
        "GitLab",
        "--add-site",
        "gitlab.com",
        "--add-tag",
        "work",
        "--pin",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "gitlab", "--json"])).unwrap();
    assert_eq!(json["issuer"], "GitLab");
    assert_eq!(json["sites"], serde_json::json!(["gitlab.com"]));
    assert_eq!(json["tags"], serde_json::json!(["work"]));
    assert_eq!(json["pinned"], true);
    let out = home.run(&["remove", "gitlab"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "no confirmation without a terminal"
    );
    assert!(stderr(&out).contains("--yes"));
    home.ok(&["remove", "gitlab", "--yes"]);
    assert_eq!(home.ok(&["list", "--json"]).trim(), "[]");
}

#[test]
fn bad_input_is_refused_with_exit_8_and_nothing_written() {
    let home = Home::with_passphrase();
    for args in [
        &["add", "otpauth://totp/x?secret="][..],
        &["add", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=11"],
        &["add", "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP"],
        &[
            "add",
            "--issuer",
            "I",
            "--account",
            "A",
            "--secret",
            "not base32!",
        ],
        &[
            "add",
            "--issuer",
            "I",
            "--account",
            "A",
            "--secret",
            "JBSWY3DPEHPK3PXP",
            "--period",
            "0",
        ],
    ] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(8), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).is_empty());
    }
    assert!(
        !home.vault_dir().join("vault").join("vault.fcv").exists()
            || home.ok(&["list", "--json"]).trim() == "[]"
    );
}

#[test]
fn missing_vault_and_wrong_passphrase() {
    let home = Home::with_passphrase();
    let out = home.run(&["code", "x"]);
    assert_eq!(out.status.code(), Some(6), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("add"),
        "the message says how to start: {}",
        stderr(&out)
    );
    assert_eq!(home.ok(&["list", "--json"]).trim(), "[]");

    // A passphrase-only vault, so that the keyring cannot step in.
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    home.ok(&[
        "add",
        "--issuer",
        "I",
        "--account",
        "A",
        "--secret",
        "JBSWY3DPEHPK3PXP",
    ]);
    let mut cmd = home.command(&["code", "a"]);
    cmd.env("FACTORCAT_PASSPHRASE", "wrong")
        .env("FACTORCAT_NO_KEY_CACHE", "1");
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
}

/// In a terminal, a passphrase-only vault asks for its passphrase once,
/// with one colon (it used to end in `: : `).
#[test]
fn the_passphrase_prompt_ends_in_one_colon() {
    let home = Home::with_passphrase();
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    home.ok(&[
        "add",
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP",
    ]);
    let mut cmd = home.command(&["code", "octocat"]);
    cmd.env_remove("FACTORCAT_PASSPHRASE")
        .env("FACTORCAT_NO_KEY_CACHE", "1");
    let vault = home.vault_dir().join("vault").join("factorcat.vault");
    let prompt = format!("Passphrase for the FactorCat vault {}: ", vault.display());
    let screen = tty::run_in_terminal(&cmd, &[(&prompt, "correct horse battery staple\n")]);
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert_eq!(screen.text.matches(&prompt).count(), 1, "{}", screen.text);
    assert!(!screen.text.contains(": :"), "{}", screen.text);
}

#[test]
fn duplicate_add_is_refused() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "I",
        "--account",
        "A",
        "--secret",
        "JBSWY3DPEHPK3PXP",
    ]);
    let out = home.run(&["add", "otpauth://totp/I:A?secret=jbswy3dpehpk3pxp"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already in the vault"));
    assert!(
        stderr(&out).contains("--allow-duplicate"),
        "{}",
        stderr(&out)
    );
    home.ok(&[
        "add",
        "otpauth://totp/I:A?secret=jbswy3dpehpk3pxp",
        "--allow-duplicate",
    ]);
    let list: serde_json::Value = serde_json::from_str(&home.ok(&["list", "--json"])).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
}

/// The token rules the native host applies hold on the command line too:
/// blank tags dropped, a site that is no host name and a 65th site refused
/// as an invalid token (exit 8), nothing written.
#[test]
fn add_follows_the_shared_token_rules() {
    let home = Home::with_passphrase();
    let mut args = vec![
        "add".to_string(),
        "--issuer".into(),
        "I".into(),
        "--secret".into(),
        "JBSWY3DPEHPK3PXP".into(),
    ];
    for i in 0..65 {
        args.extend(["--site".to_string(), format!("s{i}.example")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = home.run(&args);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    assert!(stderr(&out).contains("64"), "{}", stderr(&out));
    let out = home.run(&[
        "add",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--site",
        "not a host",
    ]);
    assert_eq!(out.status.code(), Some(8), "{}", stderr(&out));
    home.ok(&[
        "add",
        "--issuer",
        "I",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--tag",
        " ",
        "--tag",
        "work",
    ]);
    let shown: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "I", "--json"])).unwrap();
    assert_eq!(shown["tags"], serde_json::json!(["work"]));
}

/// What bash offers after `factorcat WORDS… <Tab>` once the shell code of
/// `factorcat completions bash` is loaded, one candidate per line.
fn bash_completes(home: &Home, words: &[&str]) -> String {
    let script = home.ok(&["completions", "bash"]);
    let line = words
        .iter()
        .map(|w| format!("'{w}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let current = words.last().unwrap();
    let mut bash = Command::new("bash");
    bash.arg("-c").arg(format!(
        "eval \"$SCRIPT\"; COMP_WORDS=(factorcat {line}); COMP_CWORD={}; COMP_TYPE=9; \
         _clap_complete_factorcat factorcat '{current}' factorcat; \
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words.len()
    ));
    // The environment the vault commands get (FACTORCAT_HOME, passphrase).
    for (key, value) in home.command(&[]).get_envs() {
        match value {
            Some(v) => bash.env(key, v),
            None => bash.env_remove(key),
        };
    }
    let out = bash
        .env("SCRIPT", script)
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "completion printed to stderr");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Shell completion offers the vault's token names for a query (never a
/// secret), subcommands and flags as clap knows them, and nothing — not
/// even an error — when the vault cannot be opened.
#[test]
fn completions_offer_token_names_but_never_secrets() {
    let home = Home::with_passphrase();
    assert_eq!(bash_completes(&home, &["code", "oc"]), "");
    // Passphrase-only, so that a wrong passphrase below cannot be helped
    // out by the keyring.
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    home.ok(&[
        "add",
        &format!("otpauth://totp/GitHub:octocat?secret={RFC_SHA1}"),
    ]);
    home.ok(&[
        "add",
        "otpauth://totp/Amazon%20Web%20Services:prod?secret=JBSWY3DPEHPK3PXQ",
    ]);
    home.ok(&[
        "add",
        "otpauth://totp/Amazon%20Web%20Services:staging?secret=JBSWY3DPEHPK3PXR",
    ]);
    let ids: Vec<String> = serde_json::from_str::<serde_json::Value>(&home.ok(&["list", "--json"]))
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap()[..8].to_string())
        .collect();

    for command in ["code", "show", "edit", "remove"] {
        assert_eq!(
            bash_completes(&home, &[command, "oc"]),
            "octocat\n",
            "{command}"
        );
        assert_eq!(
            bash_completes(&home, &[command, "ST"]),
            "staging\n",
            "{command}"
        );
    }
    let everything = bash_completes(&home, &["code", ""]);
    let offered: Vec<&str> = everything.lines().collect();
    for name in ["octocat", "GitHub", "prod", "staging"] {
        assert!(offered.contains(&name), "{name} in {offered:?}");
    }
    for id in &ids {
        assert!(offered.contains(&id.as_str()), "{id} in {offered:?}");
    }
    // A name the shell would split is offered by id instead.
    assert!(!everything.contains("Amazon"), "{everything}");
    for secret in [RFC_SHA1, "JBSWY3DPEHPK3PXQ", "JBSWY3DPEHPK3PXR"] {
        assert!(!everything.contains(secret) && !everything.contains(&secret.to_lowercase()));
    }
    assert!(bash_completes(&home, &["sh"]).lines().any(|l| l == "show"));
    assert!(
        bash_completes(&home, &["code", "--t"])
            .lines()
            .any(|l| l == "--time")
    );

    // A wrong passphrase: nothing offered, nothing said.
    let wrong = Home {
        dir: tempfile::tempdir().unwrap(),
        passphrase: Some("wrong"),
    };
    std::fs::rename(
        home.dir.path().join("vault"),
        wrong.dir.path().join("vault"),
    )
    .unwrap();
    assert_eq!(bash_completes(&wrong, &["code", "oc"]), "");
}

#[test]
fn keyring_vault_works_end_to_end() {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        assert!(
            std::env::var_os("FACTORCAT_SKIP_KEYRING_TESTS").is_some(),
            "no D-Bus session: run the tests through scripts/test.sh, or set FACTORCAT_SKIP_KEYRING_TESTS=1"
        );
        return;
    }
    let home = Home::with_keyring();
    home.ok(&[
        "add",
        &format!("otpauth://totp/ACME:kr?secret={RFC_SHA1}&digits=8"),
    ]);
    assert_eq!(home.ok(&["code", "kr", "--time", "59"]), "94287082\n");
    let mut cmd = home.command(&["code", "kr", "--time", "59"]);
    cmd.env("FACTORCAT_NO_KEY_CACHE", "1");
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "the Secret Service alone unlocks it: {}",
        stderr(&out)
    );
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "94287082\n");
}

#[test]
fn match_shows_the_decision_the_browser_gets() {
    let home = Home::with_passphrase();
    for (user, secret) in [("alice", "JBSWY3DPEHPK3PXP"), ("bob", "JBSWY3DPEHPK3PXQ")] {
        home.ok(&[
            "add",
            "--issuer",
            "Amazon Web Services",
            "--account",
            user,
            "--secret",
            secret,
            "--aws-account",
            "123456789012",
            "--aws-user",
            user,
        ]);
    }
    let decision = |args: &[&str]| -> serde_json::Value {
        let mut all = vec!["match", "--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&home.ok(&all)).unwrap()
    };
    let both = decision(&["https://123456789012.signin.aws.amazon.com/console"]);
    assert_eq!(both["candidates"].as_array().unwrap().len(), 2);
    assert!(
        both["autofill"].is_null(),
        "two users in one account: the person chooses"
    );
    let bob = decision(&[
        "https://signin.aws.amazon.com/signin",
        "--account",
        "123456789012",
        "--user",
        "bob",
    ]);
    assert_eq!(bob["candidates"][0]["account"], "bob");
    assert_eq!(bob["autofill"], bob["candidates"][0]["id"]);
    let out = home.run(&["match", "https://signin.aws.amazon.com.evil.example/"]);
    assert_eq!(out.status.code(), Some(3), "a lookalike gets nothing");
    let out = home.run(&["match", "http://signin.aws.amazon.com/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("https"));
}

/// An IAM Identity Center device is bound to its instance by the access
/// portal's address: filled on that instance's pages, never on another's.
#[test]
fn identity_center_start_urls_bind_a_token_to_its_instance() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "--issuer",
        "AWS IAM Identity Center",
        "--account",
        "ivy",
        "--secret",
        "JBSWY3DPEHPK3PXP",
        "--aws-user",
        "ivy",
        "--aws-sso-start-url",
        "https://d-1234567890.awsapps.com/start/#/",
    ]);
    let shown = home.ok(&["show", "ivy"]);
    assert!(
        shown.contains("aws:       aws:ivy@d-1234567890.awsapps.com"),
        "{shown}"
    );
    // The portal's own host names the directory: its sign-in pages match.
    let signin = "https://us-east-1.signin.aws/platform/d-1234567890/login";
    let text = home.ok(&["match", signin]);
    assert!(
        text.starts_with(
            "page: us-east-1.signin.aws (IAM Identity Center, partition aws, directory d-1234567890)\nfill  "
        ),
        "{text}"
    );
    assert!(text.contains("[instance]"), "{text}");
    // Another instance's sign-in page, and the IAM console sign-in: nothing.
    for url in [
        "https://us-east-1.signin.aws/platform/d-0000000000/login",
        "https://signin.aws.amazon.com/signin",
    ] {
        assert_eq!(home.run(&["match", url]).status.code(), Some(3), "{url}");
    }
    // Moved to a named portal: the directory is no longer known.
    home.ok(&[
        "edit",
        "ivy",
        "--aws-sso-start-url",
        "https://my-portal.awsapps.com/start",
    ]);
    assert_eq!(home.run(&["match", signin]).status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_str(&home.ok(&[
        "match",
        "--json",
        "https://my-portal.awsapps.com/start/#/",
    ]))
    .unwrap();
    assert_eq!(json["aws"]["service"], "identity_center");
    assert_eq!(json["aws"]["portal"], "https://my-portal.awsapps.com/start");
    assert_eq!(json["autofill"], json["candidates"][0]["id"]);
    // Not an access portal's address: refused, nothing written.
    let out = home.run(&[
        "edit",
        "ivy",
        "--aws-sso-start-url",
        "https://my-portal.awsapps.com.evil.example/start",
    ]);
    assert_eq!(out.status.code(), Some(8));
    assert!(
        stderr(&out).contains("access portal's address"),
        "{}",
        stderr(&out)
    );
    assert!(home.ok(&["show", "ivy"]).contains("my-portal.awsapps.com"));
}

/// The European Sovereign Cloud is a partition of its own: its tokens are
/// filled on its sign-in only, and no other partition's there.
#[test]
fn the_european_sovereign_cloud_is_a_partition_of_its_own() {
    let home = Home::with_passphrase();
    for (account, secret, partition) in [
        ("eu", "JBSWY3DPEHPK3PXP", "aws-eusc"),
        ("us", "JBSWY3DPEHPK3PXQ", "aws"),
    ] {
        home.ok(&[
            "add",
            "--issuer",
            "Amazon Web Services",
            "--account",
            account,
            "--secret",
            secret,
            "--aws-account",
            "123456789012",
            "--aws-user",
            "alice",
            "--aws-partition",
            partition,
        ]);
    }
    let text = home.ok(&[
        "match",
        "https://123456789012.signin.amazonaws-eusc.eu/console",
        "--user",
        "alice",
    ]);
    assert!(text.contains("partition aws-eusc"), "{text}");
    assert!(text.contains("Amazon Web Services (eu)"), "{text}");
    assert!(!text.contains("(us)"), "{text}");
}

/// A page no token belongs to is said to be so once (it used to be said on
/// stdout, then contradicted on stderr as an unknown query).
#[test]
fn match_on_a_foreign_page_says_one_thing() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        "--site",
        "github.com",
    ]);
    let out = home.run(&["match", "https://github.com.evil.example/login"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "page: github.com.evil.example\n"
    );
    assert_eq!(
        stderr(&out),
        "factorcat: no token belongs to the page on github.com.evil.example: a token is offered \
         only on the sites it lists (`factorcat show <query>` shows them)\n"
    );
}

/// `show` prints dates people read; `--json` keeps Unix seconds.
#[test]
fn show_prints_dates_not_unix_seconds() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&home.ok(&["show", "octocat", "--json"])).unwrap();
    let created = json["created"].as_u64().unwrap();
    let text = home.ok(&["show", "octocat"]);
    assert!(!text.contains(&created.to_string()), "{text}");
    let line = text.lines().find(|l| l.starts_with("created:")).unwrap();
    let date = line.trim_start_matches("created:").trim();
    // The same instant as `date` writes it.
    let expected = Command::new("date")
        .args(["-u", "-d", &format!("@{created}"), "+%Y-%m-%d %H:%M:%S UTC"])
        .output()
        .unwrap();
    assert_eq!(date, String::from_utf8_lossy(&expected.stdout).trim());
}

/// An edit that changes nothing says so and writes nothing; one that asks
/// for nothing is refused.
#[test]
fn edit_without_a_change_is_not_an_update() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
        "--tag",
        "work",
    ]);
    let vault = home.vault_dir().join("vault").join("factorcat.vault");
    let before = std::fs::read(&vault).unwrap();
    let shown = home.ok(&["show", "octocat", "--json"]);
    let id = &serde_json::from_str::<serde_json::Value>(&shown).unwrap()["id"]
        .as_str()
        .unwrap()[..8]
        .to_string();

    let out = home.run(&["edit", "octocat"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "factorcat: nothing to change: give what to change, e.g. --issuer, --account, \
         --add-site, --add-tag, --pin or --aws-account (`factorcat edit --help` lists them all)\n"
    );
    assert_eq!(
        home.ok(&["edit", "octocat", "--issuer", "GitHub", "--add-tag", "work"]),
        format!("unchanged {id} GitHub (octocat): it already is as asked\n")
    );
    assert_eq!(
        std::fs::read(&vault).unwrap(),
        before,
        "nothing was written"
    );
    assert_eq!(home.ok(&["show", "octocat", "--json"]), shown);
    assert_eq!(
        home.ok(&["edit", "octocat", "--pin"]),
        format!("updated {id} GitHub (octocat)\n")
    );
}

/// Declining `remove` refuses the change in a terminal as without one:
/// exit 2 both ways (it was 0 in a terminal), and the token stays.
#[test]
fn a_declined_removal_exits_2_in_a_terminal_too() {
    let home = Home::with_passphrase();
    home.ok(&[
        "add",
        "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP",
    ]);
    let out = home.run(&["remove", "octocat"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let id = home.ok(&["show", "octocat", "--json"]);
    let id = &serde_json::from_str::<serde_json::Value>(&id).unwrap()["id"]
        .as_str()
        .unwrap()[..8]
        .to_string();
    assert_eq!(
        stderr(&out),
        format!("factorcat: not removing {id} GitHub (octocat) without confirmation; add --yes\n")
    );

    let screen = tty::run_in_terminal(&home.command(&["remove", "octocat"]), &[("[y/N] ", "n\n")]);
    assert_eq!(screen.code, Some(2), "{}", screen.text);
    assert!(
        screen.text.contains(&format!(
            "Remove {id} GitHub (octocat)? Its codes cannot be recovered without a backup. [y/N] "
        )),
        "{}",
        screen.text
    );
    assert!(
        screen.text.ends_with(&format!(
            "factorcat: not removing {id} GitHub (octocat): the removal was not confirmed\n"
        )),
        "{}",
        screen.text
    );
    let listed: serde_json::Value = serde_json::from_str(&home.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "the token stays");

    let screen = tty::run_in_terminal(&home.command(&["remove", "octocat"]), &[("[y/N] ", "y\n")]);
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert!(
        screen
            .text
            .ends_with(&format!("removed {id} GitHub (octocat)\n")),
        "{}",
        screen.text
    );
}

/// A secret of base32 letters that cannot be a key says what is wrong with
/// it — its length, or too few bytes — not that its letters are bad; one
/// with unused bits in its last letter is taken, as oathtool takes it.
#[test]
fn secrets_of_impossible_length_are_named_as_such() {
    let home = Home::with_passphrase();
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    let add =
        |secret: &str| home.run(&["add", "--issuer", "X", "--account", "y", "--secret", secret]);
    let out = add("JBSWY3DPEHPK3PXPA");
    assert_eq!(out.status.code(), Some(8));
    assert_eq!(
        stderr(&out),
        "factorcat: the secret has 17 base32 characters, a length no key has (a key's last group \
         of 8 has 2, 4, 5 or 7 characters, never 1, 3 or 6): a character is missing or one too \
         many — check that it was copied completely\n"
    );
    let out = add("JBSW");
    assert_eq!(out.status.code(), Some(8));
    assert_eq!(
        stderr(&out),
        "factorcat: the secret is only 2 bytes long; at least 10 bytes (16 base32 characters) \
         are needed — check that it was copied completely\n"
    );
    let out = add("JBSWY3DPEHPK3PX1");
    assert_eq!(out.status.code(), Some(8));
    assert!(
        stderr(&out).contains("not valid base32"),
        "{}",
        stderr(&out)
    );
    home.ok(&[
        "add",
        "--issuer",
        "X",
        "--account",
        "y",
        "--secret",
        "JBSWY3DPEHPK3PXPAB",
    ]);
    // The key of its canonical spelling: adding that is a duplicate.
    let twin = add("JBSWY3DPEHPK3PXPAA");
    assert_eq!(twin.status.code(), Some(2), "{}", stderr(&twin));
}

/// Regression (an Okta token was offered on every Okta customer's host): a
/// token of a multi-tenant issuer is offered only on the host bound to it;
/// an Okta QR code's issuer host binds it, and one bound to nothing is
/// pointed out with the command that binds it.
#[test]
fn multi_tenant_tokens_match_only_their_own_tenant() {
    let home = Home::with_passphrase();
    home.ok(&["init", "--passphrase", "--no-keyring"]);
    let out = home.run_with_stdin(
        &["add", "-"],
        "otpauth://totp/acme.okta.com:alice%40acme.example?secret=JBSWY3DPEHPK3PXP&issuer=acme.okta.com\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let out = home.run_with_stdin(
        &["add", "--issuer", "Okta", "--account", "bob@acme.example"],
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let id = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_string();
    assert_eq!(
        stderr(&out),
        format!(
            "note: Okta gives each organisation a sign-in host of its own, so this token is offered on no page \
             until you name yours: factorcat edit {id} --add-site YOUR-ORGANISATION.okta.com\n"
        )
    );

    let matched = home.ok(&["match", "https://acme.okta.com/signin/verify/okta/totp"]);
    assert!(matched.contains("alice@acme.example"), "{matched}");
    assert!(!matched.contains("bob@acme.example"), "{matched}");
    let other = home.run(&[
        "match",
        "https://evil-acme.okta.com/signin/verify/okta/totp",
    ]);
    assert_eq!(other.status.code(), Some(3), "{}", stderr(&other));

    home.ok(&["edit", &id, "--add-site", "acme.okta.com"]);
    let matched = home.ok(&["match", "https://acme.okta.com/signin/verify/okta/totp"]);
    assert!(matched.contains("bob@acme.example"), "{matched}");
    let other = home.run(&["match", "https://evil-acme.okta.com/"]);
    assert_eq!(other.status.code(), Some(3), "{}", stderr(&other));
}

/// A real-looking AWS config: comments, `[default]`, a `source_profile`
/// chain, IAM Identity Center (`sso-session`, an SSO profile), nested `s3`
/// settings, a profile with its own `mfa_process`, one whose serial is no
/// token's, and a GovCloud profile last.
const AWS_CONFIG: &str = "\
# AWS profiles, kept by hand; see the team wiki
[default]
region = eu-west-1
mfa_serial = arn:aws:iam::123456789012:mfa/alice
output = json

; prod is reached through default's credentials
[profile prod-admin]
source_profile = default
role_arn = arn:aws:iam::210987654321:role/Admin
mfa_serial=arn:aws:iam::123456789012:mfa/alice   # alice's phone
duration_seconds = 3600

[profile bob]
mfa_serial = arn:aws:iam::123456789012:mfa/bob

[sso-session corp]
sso_start_url = https://my-portal.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = eu-west-1

[profile ci]
mfa_serial = arn:aws:iam::123456789012:mfa/alice
mfa_process = op item get ci --otp

[profile tools]
source_profile = prod-admin
role_arn = arn:aws:iam::444455556666:role/Tools
s3 =
  max_concurrent_requests = 20
  mfa_serial = arn:aws:iam::123456789012:mfa/not-a-profile-key

[profile gov]
region = us-gov-west-1
mfa_serial = arn:aws-us-gov:iam::777788889999:mfa/ops
";

/// `AWS_CONFIG` as `factorcat aws config --write` must leave it: the
/// `mfa_process` lines of default, prod-admin and gov, nothing else.
fn aws_config_written() -> String {
    let line = |arn: &str| format!("mfa_process = factorcat code --aws-mfa-serial {arn}\n");
    let alice = "arn:aws:iam::123456789012:mfa/alice";
    let gov = "arn:aws-us-gov:iam::777788889999:mfa/ops";
    AWS_CONFIG
        .replacen(
            "mfa_serial = arn:aws:iam::123456789012:mfa/alice\noutput",
            &format!("mfa_serial = {alice}\n{}output", line(alice)),
            1,
        )
        .replacen(
            "# alice's phone\n",
            &format!("# alice's phone\n{}", line(alice)),
            1,
        )
        .replacen(
            &format!("mfa_serial = {gov}\n"),
            &format!("mfa_serial = {gov}\n{}", line(gov)),
            1,
        )
}

impl Home {
    /// `factorcat aws config ARGS` with the AWS config file at `config`.
    fn aws_config(&self, config: &Path, args: &[&str]) -> Output {
        let mut all = vec!["aws", "config"];
        all.extend_from_slice(args);
        self.command(&all)
            .env("AWS_CONFIG_FILE", config)
            .output()
            .unwrap()
    }
}

/// Alice's token in 123456789012 and ops's in GovCloud's 777788889999.
fn home_for_aws_config() -> Home {
    let home = Home::with_passphrase();
    add_aws(
        &home,
        "alice",
        RFC_SHA1,
        &["--aws-account", "123456789012", "--aws-user", "alice"],
    );
    add_aws(
        &home,
        "ops",
        OTHER_SECRET,
        &[
            "--aws-mfa-serial",
            "arn:aws-us-gov:iam::777788889999:mfa/ops",
        ],
    );
    home
}

#[test]
fn aws_config_shows_then_writes_only_the_mfa_process_lines() {
    let home = home_for_aws_config();
    // LF, and CRLF without a final newline (the last line is gov's serial).
    let crlf = |text: &str| text.trim_end_matches('\n').replace('\n', "\r\n");
    for (given, want) in [
        (AWS_CONFIG.to_string(), aws_config_written()),
        (crlf(AWS_CONFIG), crlf(&aws_config_written())),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::write(&config, &given).unwrap();
        let backup = dir.path().join("config.factorcat-backup");

        // Without --write: what would change, and nothing written.
        let out = home.aws_config(&config, &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        let shown = String::from_utf8(out.stdout).unwrap();
        assert!(
            shown.contains(
                "[default] mfa_serial = arn:aws:iam::123456789012:mfa/alice\n  token:       "
            ),
            "{shown}"
        );
        assert!(shown.contains("Amazon Web Services (alice)"), "{shown}");
        assert!(
            shown.contains("3 profiles would get mfa_process; nothing was written"),
            "{shown}"
        );
        assert!(shown.contains("[profile bob]"), "{shown}");
        assert!(
            shown.contains(
                "factorcat edit QUERY --aws-mfa-serial arn:aws:iam::123456789012:mfa/bob"
            ),
            "{shown}"
        );
        assert!(
            shown.contains("mfa_process: its own, kept: op item get ci --otp"),
            "{shown}"
        );
        assert!(!shown.contains("not-a-profile-key"), "{shown}");
        assert!(!shown.contains("sso-dev"), "{shown}");
        assert_eq!(std::fs::read(&config).unwrap(), given.as_bytes());
        assert!(!backup.exists());

        // --write: exactly those lines, the previous file kept.
        let out = home.aws_config(&config, &["--write"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("added mfa_process to 3 profiles"),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(
            String::from_utf8(std::fs::read(&config).unwrap()).unwrap(),
            want
        );
        assert_eq!(std::fs::read(&backup).unwrap(), given.as_bytes());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 2, "{leftovers:?}");

        // Again: nothing to change, nothing written.
        let out = home.aws_config(&config, &["--write"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let shown = String::from_utf8(out.stdout).unwrap();
        assert!(
            shown.contains("mfa_process: FactorCat's already"),
            "{shown}"
        );
        assert!(shown.ends_with("nothing to change\n"), "{shown}");
        assert_eq!(
            String::from_utf8(std::fs::read(&config).unwrap()).unwrap(),
            want
        );
        assert_eq!(std::fs::read(&backup).unwrap(), given.as_bytes());
    }
}

#[test]
fn aws_config_mfa_process_runs_as_aws_vault_runs_it() {
    let home = home_for_aws_config();
    let dir = tempfile::tempdir().unwrap();
    // The config is a link into a dotfiles directory: it stays one.
    let kept = dir.path().join("dotfiles-aws-config");
    std::fs::write(&kept, AWS_CONFIG).unwrap();
    let config = dir.path().join("config");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&kept, &config).unwrap();
    #[cfg(not(unix))]
    std::fs::copy(&kept, &config).unwrap();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_factorcat")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Where the shell would not find factorcat, it says so.
    let without = home
        .command(&["aws", "config"])
        .env("AWS_CONFIG_FILE", &config)
        .env("PATH", dir.path())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&without.stdout).contains("note: no factorcat on PATH"),
        "{}",
        String::from_utf8_lossy(&without.stdout)
    );
    let out = home
        .command(&["aws", "config", "--write"])
        .env("AWS_CONFIG_FILE", &config)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("note:"));
    #[cfg(unix)]
    {
        assert!(
            std::fs::symlink_metadata(&config)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(&kept).unwrap(),
            aws_config_written()
        );
    }
    // aws-vault runs the profile's mfa_process with /bin/sh -c and takes
    // its standard output, trimmed, as the code.
    let written = std::fs::read_to_string(&config).unwrap();
    let command = written
        .lines()
        .find_map(|l| l.strip_prefix("mfa_process = factorcat "))
        .map(|rest| format!("factorcat {rest} --time 59"))
        .unwrap();
    let mut sh = Command::new("/bin/sh");
    sh.args(["-c", &command])
        .env("PATH", path)
        .env("FACTORCAT_HOME", home.vault_dir().join("vault"))
        .env("FACTORCAT_PASSPHRASE", home.passphrase.unwrap())
        .stdin(Stdio::null());
    let out = sh.output().unwrap();
    assert!(out.status.success(), "{command}: {}", stderr(&out));
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        RFC_AT_59.trim()
    );
}

#[test]
fn aws_config_without_a_file_says_where_it_looked() {
    let home = home_for_aws_config();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("missing");
    let out = home.aws_config(&config, &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(&format!(
            "there is no AWS config file at {}",
            config.display()
        )),
        "{}",
        stderr(&out)
    );
}

/// Records an offset of AWS's clock for `partition` in the vault, as the
/// native host does when the browser measured it.
fn record_offset(home: &Home, partition: &str, offset_ms: i64, measured: u64) {
    use factorcat::clock::ClockOffset;
    use factorcat::vault::{Unlock, Vault, VaultError};
    Vault::at(home.vault_dir().join("vault"))
        .with_key_cache(false)
        .update(&Unlock::with_passphrase(home.passphrase.unwrap()), |data| {
            data.clock.insert(
                partition.into(),
                ClockOffset {
                    offset_ms,
                    error_ms: 600,
                    measured,
                },
            );
            Ok::<_, VaultError>(())
        })
        .unwrap();
}

/// `code` (no `--time`) for a token, checked against `--time` codes of
/// every second it may have run in, moved by `offset`.
fn assert_code_moved_by(home: &Home, args: &[&str], offset: i64) {
    let before = factorcat::token::now_unix();
    let out = home.ok(args);
    let after = factorcat::token::now_unix();
    let query = args[1];
    let expected: Vec<String> = (before..=after)
        .map(|t| {
            let t = t.saturating_add_signed(offset).to_string();
            home.ok(&["code", query, "--time", &t])
        })
        .collect();
    assert!(
        expected.contains(&out),
        "{args:?} printed {out:?}, not a code of the time moved by {offset} s ({expected:?})"
    );
}

#[test]
fn code_uses_a_recent_offset_of_aws_clock_and_local_clock_ignores_it() {
    let home = Home::with_passphrase();
    let add = |account: &str, secret: &str, extra: &[&str]| {
        let mut args = vec![
            "add",
            "--issuer",
            "Amazon Web Services",
            "--account",
            account,
            "--secret",
            "-",
        ];
        args.extend_from_slice(extra);
        let out = home.run_with_stdin(&args, &format!("{secret}\n"));
        assert!(out.status.success(), "{}", stderr(&out));
    };
    add(
        "alice@123456789012",
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        &["--aws-account", "123456789012", "--aws-user", "alice"],
    );
    add(
        "gov@123456789012",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        &[
            "--aws-account",
            "123456789012",
            "--aws-user",
            "gov",
            "--aws-partition",
            "aws-us-gov",
        ],
    );
    let github = home.run_with_stdin(
        &[
            "add",
            "--issuer",
            "GitHub",
            "--account",
            "octocat",
            "--secret",
            "-",
        ],
        "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK\n",
    );
    assert!(github.status.success(), "{}", stderr(&github));
    let now = factorcat::token::now_unix();

    // Nothing measured: this computer's clock.
    assert_code_moved_by(&home, &["code", "alice@"], 0);

    // AWS (aws) two minutes ahead, measured a minute ago: alice's codes
    // follow AWS's clock; the GovCloud and GitHub tokens do not move.
    record_offset(&home, "aws", 120_300, now - 60);
    assert_code_moved_by(&home, &["code", "alice@"], 120);
    assert_code_moved_by(&home, &["code", "gov@"], 0);
    assert_code_moved_by(&home, &["code", "octocat"], 0);
    // --local-clock ignores it, and --time is the time given.
    assert_code_moved_by(&home, &["code", "alice@", "--local-clock"], 0);
    assert_eq!(
        home.ok(&["code", "alice@", "--time", "1111111109"]),
        home.ok(&["code", "alice@", "--time", "1111111109", "--local-clock"])
    );
    // A fresh code follows AWS's clock too: AWS's current step, or its
    // next one (waited for) when the current one has under 5 s left.
    let before = factorcat::token::now_unix();
    let fresh = home.ok(&["code", "alice@", "--fresh"]);
    let after = factorcat::token::now_unix();
    let at = |t: u64| home.ok(&["code", "alice@", "--time", &t.to_string()]);
    let aws: Vec<String> = (before..=after)
        .flat_map(|t| [at(t + 120), at(t + 150)])
        .collect();
    assert!(
        aws.contains(&fresh),
        "{fresh:?} is not a code of AWS's time ({aws:?})"
    );
    assert!(!(before..=after).any(|t| at(t) == fresh || at(t + 30) == fresh));
    // Behind works the same way.
    record_offset(&home, "aws", -90_000, now - 60);
    assert_code_moved_by(&home, &["code", "alice@"], -90);

    // Not recent (measured over an hour ago), absurd (over ten minutes) or
    // within a few seconds: this computer's clock.
    record_offset(&home, "aws", 120_300, now - 3700);
    assert_code_moved_by(&home, &["code", "alice@"], 0);
    record_offset(&home, "aws", 900_000, now - 60);
    assert_code_moved_by(&home, &["code", "alice@"], 0);
    record_offset(&home, "aws", 2_000, now - 60);
    assert_code_moved_by(&home, &["code", "alice@"], 0);
}
