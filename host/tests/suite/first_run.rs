//! A new user's first minutes, with the real binary: the first `add` with
//! and without a Secret Service, in and out of a terminal; two first
//! `add`s at once; `FACTORCAT_HOME` naming a file; what `doctor` says
//! before the first `add`, and that it agrees with `code` about a vault
//! whose key is only cached.
//!
//! "No Secret Service" is a D-Bus address where nothing listens, so the
//! keyring crate fails to connect exactly as on a machine without one.

use crate::support::keyring::{KeyringCleanup, keyring_tests_enabled};
use crate::support::tty;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use factorcat::vault::Vault;

const URI: &str = "otpauth://totp/GitHub:octocat?secret=JBSWY3DPEHPK3PXP&issuer=GitHub";

/// A D-Bus address nothing answers on.
const NO_DBUS: &str = "unix:path=/nonexistent/factorcat-no-bus";

/// A throwaway vault directory (not created yet) and how commands reach it.
struct World {
    dir: tempfile::TempDir,
    passphrase: Option<&'static str>,
    keyring: bool,
}

impl World {
    fn new(keyring: bool, passphrase: Option<&'static str>) -> World {
        World {
            dir: tempfile::tempdir().unwrap(),
            passphrase,
            keyring,
        }
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("vault")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_factorcat"));
        cmd.args(args)
            .env("FACTORCAT_HOME", self.home())
            .env_remove("FACTORCAT_PASSPHRASE")
            .stdin(Stdio::null());
        if let Some(p) = self.passphrase {
            cmd.env("FACTORCAT_PASSPHRASE", p);
        }
        if !self.keyring {
            cmd.env("DBUS_SESSION_BUS_ADDRESS", NO_DBUS);
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// Deletes the keyring entry of the vault made here, when dropped.
    fn cleanup(&self) -> Option<KeyringCleanup> {
        Vault::at(self.home())
            .id()
            .ok()
            .map(|id| KeyringCleanup(id.to_string()))
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the "Vault and keyring" section of a doctor report.
fn vault_section(report: &str) -> String {
    report
        .lines()
        .skip_while(|l| *l != "Vault and keyring")
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Without a Secret Service and without a terminal, the first `add` says
/// exactly what works: `factorcat init --passphrase --no-keyring`, and does
/// not ask for the passphrase of a vault that does not exist.
#[test]
fn first_add_without_a_keyring_names_the_passphrase_vault_command() {
    let world = World::new(false, None);
    let out = world.run(&["add", URI]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.starts_with(
            "factorcat: there is no vault yet, and the OS keyring cannot keep a new vault's key: \
             the OS keyring is unavailable ("
        ),
        "{text}"
    );
    assert!(
        text.ends_with(
            "); start a Secret Service (log in to a desktop session, or run \
             `gnome-keyring-daemon --start` inside a D-Bus session) and try again; or create a \
             vault protected by a passphrase only with `factorcat init --passphrase --no-keyring`\n"
        ),
        "{text}"
    );
    assert!(!text.contains("FACTORCAT_PASSPHRASE"), "{text}");
    assert!(!world.home().join("factorcat.vault").exists());

    // What it names works.
    let world = World::new(false, Some("first passphrase"));
    let out = world.run(&["init", "--passphrase", "--no-keyring"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = world.run(&["add", URI]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// In a terminal, the first `add` without a Secret Service offers a
/// passphrase vault, asks for the passphrase twice, creates the vault and
/// adds the token — without asking for the passphrase a third time.
#[test]
fn first_add_without_a_keyring_in_a_terminal_offers_a_passphrase_vault() {
    let world = World::new(false, None);
    let screen = tty::run_in_terminal(
        &world.command(&["add", URI]),
        &[
            ("[y/N] ", "y\n"),
            ("New passphrase: ", "my new passphrase\n"),
            ("Repeat it: ", "my new passphrase\n"),
        ],
    );
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    let file = world.home().join("factorcat.vault");
    for expected in [
        format!(
            "Create the vault at {} protected by a passphrase only (you type it whenever the \
             vault is opened)? [y/N] ",
            file.display()
        ),
        "New passphrase: ".to_string(),
        "Repeat it: ".to_string(),
        format!(
            "Created a new vault at {} protected by a passphrase only (the OS keyring was not \
             reachable)\n",
            file.display()
        ),
    ] {
        assert_eq!(
            screen.text.matches(&expected).count(),
            1,
            "{expected:?} in {}",
            screen.text
        );
    }
    assert!(
        !screen.text.contains("Passphrase for the FactorCat vault"),
        "{}",
        screen.text
    );
    assert!(screen.text.contains("added "), "{}", screen.text);

    let with = World {
        dir: tempfile::tempdir().unwrap(),
        passphrase: Some("my new passphrase"),
        keyring: false,
    };
    std::fs::rename(world.home(), with.home()).unwrap();
    let out = with.run(&["code", "octocat", "--time", "59"]);
    assert!(out.status.success(), "{}", stderr(&out));

    // Declined: nothing is created, and the command says what would work.
    let world = World::new(false, None);
    let screen = tty::run_in_terminal(&world.command(&["add", URI]), &[("[y/N] ", "n\n")]);
    assert_eq!(screen.code, Some(5), "{}", screen.text);
    assert!(
        screen
            .text
            .contains("`factorcat init --passphrase --no-keyring`"),
        "{}",
        screen.text
    );
    assert!(!world.home().join("factorcat.vault").exists());
}

/// Two first `add`s at once: both tokens end up in the one vault that one
/// of them created (the other used to fail with "a vault already exists").
fn first_adds_at_once(keyring: bool) {
    for round in 0..3 {
        let world = World::new(keyring, Some("shared passphrase"));
        let secrets = [
            "JBSWY3DPEHPK3PXP",
            "GEZDGNBVGY3TQOJQ",
            "MFRGGZDFMZTWQ2LK",
            "KRSXG5BAMJQXGZJA",
        ];
        let children: Vec<_> = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                world
                    .command(&[
                        "add",
                        &format!("otpauth://totp/Race:user{i}?secret={s}&issuer=Race"),
                    ])
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs: Vec<Output> = children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect();
        let _cleanup = world.cleanup();
        for out in &outputs {
            assert!(out.status.success(), "round {round}: {}", stderr(out));
        }
        let created = outputs
            .iter()
            .filter(|o| stderr(o).contains("Created a new vault"))
            .count();
        assert_eq!(created, 1, "round {round}: one of them created the vault");
        let listed: serde_json::Value =
            serde_json::from_str(&stdout(&world.run(&["list", "--json"]))).unwrap();
        assert_eq!(
            listed.as_array().unwrap().len(),
            secrets.len(),
            "round {round}"
        );
    }
}

#[test]
fn two_first_adds_at_once_both_add_without_a_keyring() {
    first_adds_at_once(false);
}

#[test]
fn two_first_adds_at_once_both_add_with_a_keyring() {
    if keyring_tests_enabled() {
        first_adds_at_once(true);
    }
}

/// `FACTORCAT_HOME` naming the vault file: every command says it must be
/// a directory (`list` used to say "No tokens yet", `add` "File exists").
#[test]
fn factorcat_home_naming_a_file_is_refused_as_not_a_directory() {
    let world = World::new(false, Some("a passphrase"));
    assert!(
        world
            .run(&["init", "--passphrase", "--no-keyring"])
            .status
            .success()
    );
    let file = world.home().join("factorcat.vault");
    for args in [&["list"][..], &["add", URI], &["code", "octocat"]] {
        let out = world
            .command(args)
            .env("FACTORCAT_HOME", &file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert_eq!(
            stderr(&out),
            format!(
                "factorcat: {} is a file, not a directory: FACTORCAT_HOME must name the \
                 directory that holds the vault — that is the vault file itself; use {}\n",
                file.display(),
                world.home().display()
            ),
            "{args:?}"
        );
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}

/// Before the first `add`, `doctor` says what that `add` will do; without
/// a Secret Service that is a problem, not "No problems found".
#[test]
fn doctor_before_the_first_add_says_what_it_will_do() {
    let world = World::new(false, None);
    let file = world.home().join("factorcat.vault");
    let out = world.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let section = vault_section(&stdout(&out));
    assert!(
        section.starts_with(&format!(
            "PROBLEM  there is no vault yet at {}, and the OS keyring is unavailable: ",
            file.display()
        )),
        "{section}"
    );
    assert!(
        section.contains(
            " — so the first `factorcat add` cannot keep a new vault's key there: in a terminal \
             it offers to protect the vault with a passphrase only, elsewhere it stops fix: "
        ),
        "{section}"
    );
    assert!(
        section.ends_with(
            "or create a vault protected by a passphrase only: `factorcat init --passphrase \
             --no-keyring`"
        ),
        "{section}"
    );

    let world = World::new(false, Some("set already"));
    let section = vault_section(&stdout(&world.run(&["doctor"])));
    assert!(
        section.starts_with("note") && section.contains("protected by FACTORCAT_PASSPHRASE only"),
        "{section}"
    );

    if keyring_tests_enabled() {
        let world = World::new(true, None);
        let section = vault_section(&stdout(&world.run(&["doctor"])));
        assert_eq!(
            section,
            format!(
                "note     there is no vault yet at {}; the first `factorcat add` creates it, its \
                 key kept in the OS keyring fix: add a token with `factorcat add`",
                world.home().join("factorcat.vault").display()
            )
        );
    }
}

/// A keyring-only vault whose key is in the kernel key cache while the
/// Secret Service is gone: `code` works, and `doctor` agrees that the vault
/// opens, reports the keyring as the problem it is, and never advises a
/// passphrase the vault does not have.
#[test]
fn doctor_and_code_agree_about_a_cached_key() {
    if !keyring_tests_enabled() {
        return;
    }
    let with_keyring = World::new(true, None);
    let out = with_keyring.run(&["add", URI]);
    assert!(out.status.success(), "{}", stderr(&out));
    let _cleanup = with_keyring.cleanup();
    let id = Vault::at(with_keyring.home()).id().unwrap().to_string();
    if factorcat::keystore::cache_get(&id).is_none() {
        eprintln!("no kernel key cache here (keyctl filtered): nothing to compare");
        return;
    }

    let gone = World {
        dir: tempfile::tempdir().unwrap(),
        passphrase: None,
        keyring: false,
    };
    let home: &Path = &with_keyring.home();
    // `code` and the vault section of `doctor`, on that vault, without the
    // Secret Service.
    let both = || {
        let run = |args: &[&str]| {
            gone.command(args)
                .env("FACTORCAT_HOME", home)
                .output()
                .unwrap()
        };
        let code = run(&["code", "octocat"]);
        let section = vault_section(&stdout(&run(&["doctor"])));
        (code, section)
    };
    let (code, section) = both();
    assert!(
        code.status.success(),
        "the cached key opens it: {}",
        stderr(&code)
    );

    assert!(
        section.contains(
            "ok       the vault opens now (1 token(s)), with its key cached in the kernel by an \
             earlier unlock"
        ),
        "{section}"
    );
    assert!(
        section.contains(
            "PROBLEM  but the OS keyring does not give its key: the OS keyring is unavailable"
        ),
        "{section}"
    );
    assert!(!section.contains("does not open"), "{section}");
    assert!(!section.contains("FACTORCAT_PASSPHRASE"), "{section}");
    assert!(!section.contains("passphrase slot: yes"), "{section}");

    // Without the cached key, both say it does not open — and still
    // advise no passphrase.
    factorcat::keystore::cache_drop(&id);
    let (code, section) = both();
    assert_eq!(code.status.code(), Some(5));
    assert!(
        !stderr(&code).contains("FACTORCAT_PASSPHRASE"),
        "{}",
        stderr(&code)
    );
    assert!(
        section.contains("PROBLEM  the vault does not open:"),
        "{section}"
    );
    assert!(!section.contains("FACTORCAT_PASSPHRASE"), "{section}");
}
