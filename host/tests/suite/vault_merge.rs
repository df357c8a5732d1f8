//! Two machines, one vault: `factorcat merge`, sync tools' conflict copies,
//! a second machine's keyring slot, and the rollback guard — through the
//! built binary, with the real Secret Service and kernel key cache.
//!
//! "Another machine" is the binary run in a D-Bus session of its own with a
//! Secret Service of its own (`dbus-run-session` and `gnome-keyring-daemon`,
//! as `scripts/test.sh` starts for the whole suite), and without the kernel
//! key cache, which the two would otherwise share.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

use crate::support::keyring::{KeyringCleanup, keyring_tests_enabled};
use crate::support::piped::output_with_stdin;
use crate::support::procs::cli;
use factorcat::vault::{FILE_NAME, Vault};

const PASSPHRASE: &str = "merge test passphrase";

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

/// Adds a token from its secret on standard input.
fn add(home: &Path, issuer: &str, secret: &str, env: &[(&str, &str)]) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_factorcat"));
    cmd.args([
        "add",
        "--issuer",
        issuer,
        "--account",
        "me",
        "--secret",
        "-",
    ])
    .env("FACTORCAT_HOME", home)
    .env_remove("FACTORCAT_PASSPHRASE")
    .env_remove("FACTORCAT_NO_KEY_CACHE")
    .envs(env.iter().copied());
    ok(output_with_stdin(
        &mut cmd,
        format!("{secret}\n").as_bytes(),
    ));
}

/// The issuers `factorcat list --json` shows, sorted.
fn issuers(home: &Path, env: &[(&str, &str)]) -> Vec<String> {
    let out = ok(cli(home, &["list", "--json"], env));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["issuer"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// A second machine: its own vault directory, its own D-Bus session with
/// a Secret Service of its own (a login keyring in its own home), no kernel
/// key cache. The session lives as long as the value.
struct Machine {
    root: tempfile::TempDir,
    session: Child,
    bus: String,
}

impl Machine {
    fn new() -> Machine {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("run")).unwrap();
        std::fs::create_dir_all(root.path().join("vault")).unwrap();
        // The session prints its bus address once its Secret Service is
        // unlocked, then waits for standard input to close.
        let mut session = Command::new("dbus-run-session")
            .args(["--", "bash", "-c"])
            .arg(
                "printf 'second machine' | gnome-keyring-daemon --unlock --components=secrets \
                 >/dev/null 2>&1; echo \"$DBUS_SESSION_BUS_ADDRESS\"; exec cat >/dev/null",
            )
            .env("HOME", root.path())
            .env("XDG_RUNTIME_DIR", root.path().join("run"))
            .env("XDG_DATA_HOME", root.path().join("data"))
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-run-session starts (package dbus; scripts/test.sh installs it)");
        let mut bus = String::new();
        BufReader::new(session.stdout.take().unwrap())
            .read_line(&mut bus)
            .unwrap();
        let bus = bus.trim().to_string();
        assert!(!bus.is_empty(), "the second machine's session has no bus");
        Machine { root, session, bus }
    }

    fn home(&self) -> PathBuf {
        self.root.path().join("vault")
    }

    /// Runs factorcat there, with `input` on standard input.
    fn run(&self, args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_factorcat"));
        cmd.args(args)
            .env("HOME", self.root.path())
            .env("XDG_RUNTIME_DIR", self.root.path().join("run"))
            .env("XDG_DATA_HOME", self.root.path().join("data"))
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env("FACTORCAT_HOME", self.home())
            .env("FACTORCAT_NO_KEY_CACHE", "1")
            .env_remove("FACTORCAT_PASSPHRASE")
            .envs(env.iter().copied());
        output_with_stdin(&mut cmd, input.as_bytes())
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        // Closing its standard input ends the session.
        drop(self.session.stdin.take());
        let _ = self.session.wait();
    }
}

/// The path of the doc: a vault with a passphrase is copied to a second
/// machine, opened there with the passphrase once — which adds that
/// machine's keyring slot — then both machines change it, and merging
/// gives each the other's changes, the other machine's slot included.
#[test]
fn a_second_machine_adds_its_keyring_slot_and_both_merge() {
    if !keyring_tests_enabled() {
        return;
    }
    let first = tempfile::tempdir().unwrap();
    let home = first.path().join("vault");
    let pass = [("FACTORCAT_PASSPHRASE", PASSPHRASE)];
    ok(cli(&home, &["init", "--passphrase"], &pass));
    let _cleanup = KeyringCleanup(Vault::at(&home).id().unwrap().to_string());
    add(&home, "GitHub", "JBSWY3DPEHPK3PXP", &[]);
    add(&home, "Slack", "KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF", &[]);

    // Copied to the second machine: its keyring has no key for the vault.
    let second = Machine::new();
    std::fs::copy(home.join(FILE_NAME), second.home().join(FILE_NAME)).unwrap();
    let out = second.run(&["list"], &[], "");
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("FACTORCAT_PASSPHRASE"));
    // The first change there, with the passphrase, adds its keyring slot.
    let out = second.run(
        &["add", "--issuer", "AWS", "--account", "me", "--secret", "-"],
        &pass,
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n",
    );
    ok(out);
    let out = ok(second.run(&["list", "--json"], &[], ""));
    assert!(
        text(&out.stdout).contains("\"AWS\""),
        "opened with its own keyring"
    );

    // Meanwhile the first machine removes a token.
    ok(cli(&home, &["remove", "--yes", "slack"], &[]));

    // The second machine's copy arrives as a sync tool's conflict copy.
    let conflict = home.join("factorcat.sync-conflict-20260102-030405-ABCDEFG.vault");
    std::fs::copy(second.home().join(FILE_NAME), &conflict).unwrap();
    let out = ok(cli(&home, &["list"], &[]));
    let notice = text(&out.stderr);
    assert_eq!(notice.lines().count(), 1, "{notice}");
    assert!(
        notice.contains("factorcat.sync-conflict-20260102-030405-ABCDEFG.vault")
            && notice.contains("factorcat merge --conflicts"),
        "{notice}"
    );
    let doctor = cli(&home, &["doctor"], &[]);
    assert!(
        text(&doctor.stdout).contains("conflict copy(ies) of the vault beside it"),
        "{}",
        text(&doctor.stdout)
    );

    let out = ok(cli(&home, &["merge", "--conflicts"], &[]));
    let report = text(&out.stdout);
    assert!(report.contains("added AWS (me)"), "{report}");
    assert!(
        report.contains("kept from this vault: removed Slack (me)"),
        "{report}"
    );
    assert!(report.contains("Took 1 keyring slot"), "{report}");
    assert!(!conflict.exists(), "the merged copy is removed");
    assert!(text(&out.stderr).is_empty(), "{}", text(&out.stderr));
    assert_eq!(issuers(&home, &[]), ["AWS", "GitHub"]);

    // Back on the second machine, the merged vault opens with its keyring,
    // and its removal is there too.
    std::fs::copy(home.join(FILE_NAME), second.home().join(FILE_NAME)).unwrap();
    let out = ok(second.run(&["list", "--json"], &[], ""));
    let listed = text(&out.stdout);
    assert!(listed.contains("\"AWS\"") && listed.contains("\"GitHub\""));
    assert!(!listed.contains("\"Slack\""), "{listed}");
    // Its keyring entry is its own: cleaned up with its keyring files.
}

/// `merge FILE` refuses a copy of another vault, naming both ids and what
/// to do instead, and writes nothing.
#[test]
fn merge_refuses_another_vault() {
    let env = [("FACTORCAT_PASSPHRASE", PASSPHRASE)];
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&one, &two] {
        ok(cli(
            dir.path(),
            &["init", "--passphrase", "--no-keyring"],
            &env,
        ));
        add(dir.path(), "GitHub", "JBSWY3DPEHPK3PXP", &env);
    }
    let before = std::fs::read(one.path().join(FILE_NAME)).unwrap();
    let other = two.path().join(FILE_NAME);
    let out = cli(one.path(), &["merge", other.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let message = text(&out.stderr);
    let ids = [one.path(), two.path()].map(|d| Vault::at(d).id().unwrap().to_string());
    assert!(
        message.contains("is a copy of another vault")
            && message.contains(&ids[0])
            && message.contains(&ids[1])
            && message.contains("factorcat export"),
        "{message}"
    );
    assert_eq!(std::fs::read(one.path().join(FILE_NAME)).unwrap(), before);
}

/// Issue "Vault rollback": an older vault file put back (here the real
/// file from two writes earlier) is refused with exit 7 and a message that
/// says what happened and how to accept it — through the kernel cache's
/// mark and, with the cache off, through the keyring's alone. After
/// `factorcat accept-older` it is used, and is the newest generation.
#[test]
fn an_older_vault_file_put_back_is_refused_until_accepted() {
    if !keyring_tests_enabled() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    add(home, "GitHub", "JBSWY3DPEHPK3PXP", &[]);
    let id = Vault::at(home).id().unwrap().to_string();
    let _cleanup = KeyringCleanup(id.clone());
    add(home, "Slack", "KRSXG5CTMVRXEZLUKN2XAZLSKNSWG4TF", &[]);
    let older = std::fs::read(home.join(FILE_NAME)).unwrap();
    ok(cli(home, &["remove", "--yes", "slack"], &[]));
    add(home, "AWS", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", &[]);
    std::fs::write(home.join(FILE_NAME), &older).unwrap();

    for env in [&[][..], &[("FACTORCAT_NO_KEY_CACHE", "1")][..]] {
        for args in [&["list"][..], &["code", "slack"][..]] {
            let out = cli(home, args, env);
            assert_eq!(out.status.code(), Some(7), "{args:?} {env:?}");
            assert!(out.stdout.is_empty());
            let message = text(&out.stderr);
            assert!(
                message.contains("is generation 3, but this machine has already seen generation 5")
                    && message.contains("older copy was put back")
                    && message.contains("factorcat accept-older"),
                "{message}"
            );
        }
    }
    assert_eq!(
        std::fs::read(home.join(FILE_NAME)).unwrap(),
        older,
        "never written"
    );

    let out = ok(cli(home, &["accept-older"], &[]));
    assert!(
        text(&out.stdout).contains("it was generation 3, older than generation 5"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(issuers(home, &[]), ["GitHub", "Slack"]);
    assert_eq!(
        issuers(home, &[("FACTORCAT_NO_KEY_CACHE", "1")]),
        ["GitHub", "Slack"]
    );
    // The accepted file is now generation 6: the one before it is refused.
    std::fs::copy(home.join("factorcat.vault.prev"), home.join(FILE_NAME)).unwrap();
    assert_eq!(cli(home, &["list"], &[]).status.code(), Some(7));
}
