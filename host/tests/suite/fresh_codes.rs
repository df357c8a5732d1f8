//! Fresh codes on the command line (`factorcat code --fresh`, and
//! `--aws-mfa-serial`, which is always fresh) share the ledger of browser
//! fills: never a time step handed out before by either, never a code with
//! under 5 s left. Real processes on a keyring vault; every printed code is
//! checked against OATH Toolkit's `oathtool` at the time it was printed.
//!
//! A plain `code` in a terminal shows the seconds left there and writes
//! nothing.
//!
//! The token's period is 10 s, so that a call that must wait for the next
//! step waits at most 15 s and the suite stays quick.

use std::process::{Command, Output};
use std::thread;

use factorcat::secret::Secret;
use factorcat::token::{AwsContext, Kind, Token};
use factorcat::vault::{Vault, VaultData};
use serde_json::json;

use crate::support::keyring::keyring_tests_enabled;
use crate::support::procs::{Browser, Host, KeyringVault, cli, wall_secs};
use crate::support::tty;

const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const PERIOD: u64 = 10;
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

/// A keyring vault holding one 10-second TOTP token of AWS user alice.
fn vault() -> (KeyringVault, Token) {
    let mut token = Token::new(
        "Amazon Web Services",
        "alice",
        Secret::from_base32(SECRET).unwrap(),
    );
    token.kind = Kind::Totp { period: PERIOD };
    token.aws = Some(AwsContext {
        account_id: Some("123456789012".into()),
        user: Some("alice".into()),
        ..Default::default()
    });
    let mut data = VaultData::default();
    data.insert(token.clone());
    (KeyringVault::create(data), token)
}

/// What one `factorcat code` run printed, and when it ended.
struct Printed {
    out: Output,
    /// Wall-clock seconds just after the process exited.
    at: u64,
}

impl Printed {
    fn code(&self) -> String {
        assert!(
            self.out.status.success(),
            "code failed: {}",
            String::from_utf8_lossy(&self.out.stderr)
        );
        let stdout = String::from_utf8(self.out.stdout.clone()).unwrap();
        let code = stdout.strip_suffix('\n').expect("one line").to_string();
        assert!(
            code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
            "{stdout:?}"
        );
        code
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.out.stderr).into_owned()
    }
}

fn code(vault: &KeyringVault, args: &[&str]) -> Printed {
    let mut all = vec!["code"];
    all.extend_from_slice(args);
    let out = cli(&vault.home(), &all, &[]);
    Printed {
        out,
        at: wall_secs(),
    }
}

/// The code `oathtool` computes for the token at Unix time `at`.
fn oathtool(at: u64) -> Option<String> {
    let out = match Command::new("oathtool")
        .args([
            "--totp",
            "-s",
            &format!("{PERIOD}s"),
            "-N",
            &format!("@{at}"),
            "-b",
            SECRET,
        ])
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            assert!(
                std::env::var_os("FACTORCAT_REQUIRE_OATHTOOL").is_none(),
                "FACTORCAT_REQUIRE_OATHTOOL is set but oathtool is not installed"
            );
            eprintln!("!!! oathtool is missing: the codes are not cross-checked");
            return None;
        }
    };
    assert!(out.status.success(), "{out:?}");
    Some(String::from_utf8(out.stdout).unwrap().trim().to_string())
}

/// A fresh code is the one an independent implementation gives for the
/// moment it was printed, with time left (at least 5 s when printed; the
/// process exit follows within a second).
fn assert_accepted(printed: &Printed) -> String {
    let code = printed.code();
    if let Some(expected) = oathtool(printed.at) {
        assert_eq!(code, expected, "at {}: {}", printed.at, printed.stderr());
    }
    code
}

/// The waiting notice is the only thing on stderr, and it never promises
/// more than one period and 5 s.
fn assert_quiet_or_waiting(printed: &Printed) {
    let stderr = printed.stderr();
    if stderr.is_empty() {
        return;
    }
    let seconds: u64 = stderr
        .strip_prefix("waiting ")
        .and_then(|rest| rest.strip_suffix(" s for a fresh code…\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected stderr: {stderr:?}"));
    assert!((1..=PERIOD + 5).contains(&seconds), "{stderr:?}");
}

#[test]
fn two_fresh_codes_in_a_row_differ_and_each_is_valid_when_printed() {
    if !keyring_tests_enabled() {
        return;
    }
    let (vault, token) = vault();
    let path = Vault::at(vault.home()).file();
    let file = std::fs::read(&path).unwrap();

    // Plain codes and --time record nothing.
    code(&vault, &["alice"]).code();
    assert_eq!(
        code(&vault, &["alice", "--time", "59"]).code(),
        oathtool(59).unwrap_or_else(|| token.code_at(59))
    );
    assert_eq!(std::fs::read(&path).unwrap(), file, "the vault was written");
    assert!(vault.read().fills.is_empty());

    let first = code(&vault, &["alice", "--fresh"]);
    assert_quiet_or_waiting(&first);
    let first_code = assert_accepted(&first);
    let recorded = vault.read().fills[&token.id];

    // The step is spent: without waiting there is no fresh code (exit 9,
    // nothing on stdout, the ledger unchanged) — as long as the step lasts.
    let refused = code(&vault, &["alice", "--fresh", "--no-wait"]);
    if refused.at / PERIOD == recorded {
        assert_eq!(refused.out.status.code(), Some(9), "{}", refused.stderr());
        assert!(refused.out.stdout.is_empty());
        assert!(
            refused.stderr().contains("leave out --no-wait"),
            "{}",
            refused.stderr()
        );
        assert_eq!(vault.read().fills[&token.id], recorded);
    } else {
        eprintln!("the machine was too slow to try --no-wait within one step");
    }

    let second = code(&vault, &["alice", "--fresh"]);
    assert_quiet_or_waiting(&second);
    let second_code = assert_accepted(&second);
    assert_ne!(first_code, second_code);
    let taken = vault.read().fills[&token.id];
    assert!(taken > recorded);
    assert_eq!(taken, second.at / PERIOD);
}

#[test]
fn a_fresh_code_after_a_browser_fill_is_not_the_filled_one() {
    if !keyring_tests_enabled() {
        return;
    }
    let (vault, token) = vault();
    let mut host = Host::start(Browser::Chromium, &vault.home(), &[]);
    let filled = host.request(&json!({
        "id": 1, "type": "code", "token": token.id, "for_fill": true,
    }));
    assert_eq!(filled["ok"], true, "{filled}");
    assert!(host.finish().0.success());
    let filled_step = filled["valid_from"].as_u64().unwrap() / PERIOD;
    assert_eq!(vault.read().fills[&token.id], filled_step);

    let fresh = code(&vault, &["alice", "--fresh"]);
    assert_quiet_or_waiting(&fresh);
    let fresh_code = assert_accepted(&fresh);
    assert_ne!(filled["code"], json!(fresh_code));
    assert!(
        fresh.at / PERIOD > filled_step,
        "printed in the filled step"
    );
    assert_eq!(vault.read().fills[&token.id], filled_step + 1);
}

#[test]
fn fresh_calls_at_the_same_moment_get_different_steps() {
    if !keyring_tests_enabled() {
        return;
    }
    let (vault, token) = vault();
    // One asks by name, the other as aws-vault does (by MFA serial, which
    // is always fresh): both take their step under the vault's lock.
    let printed: Vec<Printed> = thread::scope(|s| {
        let by_name = s.spawn(|| code(&vault, &["alice", "--fresh"]));
        let by_serial = s.spawn(|| code(&vault, &["--aws-mfa-serial", SERIAL]));
        vec![by_name.join().unwrap(), by_serial.join().unwrap()]
    });
    let codes: Vec<String> = printed
        .iter()
        .map(|p| {
            assert_quiet_or_waiting(p);
            assert_accepted(p)
        })
        .collect();
    assert_ne!(codes[0], codes[1]);
    let waited = printed.iter().filter(|p| !p.stderr().is_empty()).count();
    assert!(waited >= 1, "one of them had to wait for the next step");
    let last = printed.iter().map(|p| p.at / PERIOD).max().unwrap();
    assert_eq!(vault.read().fills[&token.id], last);
}

#[test]
fn a_plain_code_in_a_terminal_shows_the_seconds_left_and_records_nothing() {
    if !keyring_tests_enabled() {
        return;
    }
    let (vault, token) = vault();
    let path = Vault::at(vault.home()).file();
    let before = std::fs::read(&path).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_factorcat"));
    command
        .args(["code", "alice"])
        .env("FACTORCAT_HOME", vault.home())
        .env_remove("FACTORCAT_PASSPHRASE");
    let started = wall_secs();
    let screen = tty::run_in_terminal(&command, &[]);
    let ended = wall_secs();
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    // The seconds left on stderr, the code on stdout, both on the screen.
    let left: u64 = screen
        .text
        .split_once(" s left)")
        .and_then(|(before, _)| before.rsplit_once('(').map(|(_, n)| n.to_string()))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no seconds left on the screen: {:?}", screen.text));
    assert!((1..=PERIOD).contains(&left), "{}", screen.text);
    let codes: Vec<String> = (started..=ended).map(|t| token.code_at(t)).collect();
    assert!(
        screen
            .text
            .lines()
            .any(|l| codes.contains(&l.trim().to_string())),
        "{}",
        screen.text
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "the vault was written"
    );
}
