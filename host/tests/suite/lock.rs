//! `factorcat unlock` and `factorcat lock` with the real Linux kernel key
//! cache: a vault that only a passphrase opens serves the command line and
//! the browser's host while it is unlocked, with `FACTORCAT_PASSPHRASE` in
//! nobody's environment, and stops serving at once when it is locked; the
//! host never derives the passphrase's key (Argon2id, 64 MiB) while the key
//! is cached; the cached key's permissions and expiry are what
//! `docs/security.md` says.

use std::path::Path;
use std::process::Command;

use factorcat::keystore;
use factorcat::vault::Vault;
use serde_json::{Value, json};

use crate::support::keyring::{KeyringCleanup, keyring_tests_enabled};
use crate::support::procs::{Browser, Host, KeyringVault, cli, memory};
use crate::support::tty;

const PASSPHRASE: &str = "lock test passphrase";

/// A vault only a passphrase opens (default Argon2id cost: 64 MiB), with
/// one token, and the guard that drops its cached key at the end.
fn passphrase_vault() -> (tempfile::TempDir, KeyringCleanup) {
    let dir = tempfile::tempdir().unwrap();
    let env = [("FACTORCAT_PASSPHRASE", PASSPHRASE)];
    let out = cli(dir.path(), &["init", "--passphrase", "--no-keyring"], &env);
    assert!(out.status.success(), "{}", stderr(&out.stderr));
    let out = cli(
        dir.path(),
        &[
            "add",
            "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example",
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out.stderr));
    let id = Vault::at(dir.path()).id().unwrap().to_string();
    (dir, KeyringCleanup(id))
}

fn stderr(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether this kernel lets the tests use the user keyring (`keyctl`; some
/// containers forbid it). Where it does not, `unlock` must say so.
fn kernel_cache_works() -> bool {
    let id = format!("lock-suite-probe-{}", std::process::id());
    let works = keystore::cache_put(&id, &keystore::Key::random());
    keystore::cache_drop(&id);
    works
}

/// The `/proc/keys` line of vault `id`'s cached key:
/// `<serial> <flags> <usage> <expiry> <permissions> <uid> <gid> <type> <description>: <length>`.
fn proc_keys_line(id: &str) -> Option<String> {
    let wanted = format!("factorcat:{id}:");
    std::fs::read_to_string("/proc/keys")
        .unwrap()
        .lines()
        .find(|l| l.contains(&wanted))
        .map(str::to_string)
}

/// `factorcat unlock` typed at a terminal, answering its passphrase prompt.
fn unlock_in_terminal(home: &Path, args: &[&str], passphrase: &str) -> tty::Screen {
    let mut command = Command::new(env!("CARGO_BIN_EXE_factorcat"));
    command
        .arg("unlock")
        .args(args)
        .env("FACTORCAT_HOME", home)
        .env_remove("FACTORCAT_PASSPHRASE")
        .env_remove("FACTORCAT_NO_KEY_CACHE");
    let prompt = format!(
        "Passphrase for the FactorCat vault {}: ",
        home.join("factorcat.vault").display()
    );
    tty::run_in_terminal(&command, &[(&prompt, &format!("{passphrase}\n"))])
}

fn list(host: &mut Host) -> Value {
    host.request(&json!({"id": 1, "type": "list"}))
}

/// Regression (a passphrase-only vault served the browser only with
/// `FACTORCAT_PASSPHRASE` in the browser's environment, and there was no
/// way to drop the cached key): unlock, use, lock, with the real kernel key
/// cache and real processes.
#[test]
fn unlock_serves_commands_and_the_browser_until_lock() {
    let (dir, _cleanup) = passphrase_vault();
    let home = dir.path();
    let id = Vault::at(home).id().unwrap().to_string();

    // Locked: nothing opens it without the passphrase, and the message
    // names `factorcat unlock`.
    let out = cli(home, &["code", "alice"], &[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out.stderr));
    assert!(
        stderr(&out.stderr).contains("`factorcat unlock`"),
        "{}",
        stderr(&out.stderr)
    );

    if !kernel_cache_works() {
        let out = cli(home, &["unlock"], &[("FACTORCAT_PASSPHRASE", PASSPHRASE)]);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out.stderr).contains("no kernel key cache"),
            "{}",
            stderr(&out.stderr)
        );
        eprintln!(
            "unlock_serves_commands_and_the_browser_until_lock: no kernel keyring here; only the refusal was checked"
        );
        return;
    }

    // A wrong passphrase unlocks nothing.
    let screen = unlock_in_terminal(home, &[], "not the passphrase");
    assert_eq!(screen.code, Some(5), "{}", screen.text);
    assert!(!keystore::cache_holds(&id));

    let screen = unlock_in_terminal(home, &["--for", "30m"], PASSPHRASE);
    assert_eq!(screen.code, Some(0), "{}", screen.text);
    assert!(screen.text.contains("Unlocked until "), "{}", screen.text);
    assert!(!screen.text.contains(PASSPHRASE), "echoed: {}", screen.text);
    // The cached key: 32 bytes, possessor and user may do anything, group
    // and others nothing, expiring in at most the 30 minutes asked for.
    let line = proc_keys_line(&id).expect("the key is cached");
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[4], "3f3f0000", "{line}");
    assert!(["29m", "30m"].contains(&fields[3]), "{line}");
    assert!(line.ends_with(": 32"), "{line}");

    // Commands open it without a passphrase and without a terminal.
    let out = cli(home, &["code", "alice", "--time", "59"], &[]);
    assert!(out.status.success(), "{}", stderr(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "996554\n");

    // So does the browser's host, with no passphrase in its environment,
    // and it never runs Argon2id (64 MiB) for it: its peak memory stays far
    // below that.
    let mut host = Host::start(Browser::Chromium, home, &[]);
    for _ in 0..5 {
        let reply = list(&mut host);
        assert_eq!(reply["ok"], true, "{reply}");
        assert_eq!(reply["tokens"][0]["account"], "alice", "{reply}");
    }
    let peak = memory(host.pid()).unwrap().hwm_kib;
    assert!(
        peak < 40 * 1024,
        "the host peaked at {peak} KiB: did it derive the key?"
    );

    // Lock: the key is gone at once, for the running host too (its copy of
    // the contents is not used again), and for commands.
    let out = cli(home, &["lock"], &[]);
    assert!(out.status.success(), "{}", stderr(&out.stderr));
    assert!(
        stderr(&out.stderr).starts_with("Locked: "),
        "{}",
        stderr(&out.stderr)
    );
    // (An invalidated key may stay listed in /proc/keys until the kernel
    // collects it, but no search finds it.)
    assert!(!keystore::cache_holds(&id));
    let reply = list(&mut host);
    assert_eq!(reply["ok"], false, "{reply}");
    assert_eq!(reply["error"]["code"], "passphrase_required", "{reply}");
    let (status, _) = host.finish();
    assert!(status.success());
    let out = cli(home, &["code", "alice"], &[]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out.stderr));
    let out = cli(home, &["lock"], &[]);
    assert!(out.status.success());
    assert!(
        stderr(&out.stderr).starts_with("The vault was not unlocked"),
        "{}",
        stderr(&out.stderr)
    );

    // The comparison that shows the memory check can fail: a host given
    // the passphrase and no cached key derives it, and peaks above 64 MiB.
    let mut host = Host::start(
        Browser::Chromium,
        home,
        &[("FACTORCAT_PASSPHRASE", PASSPHRASE)],
    );
    assert_eq!(list(&mut host)["ok"], true);
    let peak = memory(host.pid()).unwrap().hwm_kib;
    assert!(
        peak > 64 * 1024,
        "a deriving host peaked at only {peak} KiB"
    );
    let (status, _) = host.finish();
    assert!(status.success());
    assert!(
        !keystore::cache_holds(&id),
        "a passphrase from the environment is never cached"
    );
}

/// `unlock` says what it cannot do: keep the key with the cache turned
/// off (exit 1); open a vault that is not there (exit 6); take `--for`
/// outside a minute to a day (exit 2).
#[test]
fn unlock_refusals_say_why() {
    let (dir, _cleanup) = passphrase_vault();
    let home = dir.path();
    let env = [
        ("FACTORCAT_PASSPHRASE", PASSPHRASE),
        ("FACTORCAT_NO_KEY_CACHE", "1"),
    ];
    let out = cli(home, &["unlock"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out.stderr).contains("FACTORCAT_NO_KEY_CACHE turns the key cache off"));
    let id = Vault::at(home).id().unwrap().to_string();
    assert!(!keystore::cache_holds(&id));

    for bad in ["25h", "10s", "soon"] {
        let out = cli(home, &["unlock", "--for", bad], &env[..1]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", stderr(&out.stderr));
    }
    let empty = tempfile::tempdir().unwrap();
    for command in ["unlock", "lock"] {
        let out = cli(empty.path(), &[command], &env[..1]);
        assert_eq!(
            out.status.code(),
            Some(6),
            "{command}: {}",
            stderr(&out.stderr)
        );
    }
}

/// A vault with a keyring slot unlocks through the keyring, without a
/// prompt; locking it says that the keyring opens it again.
#[test]
fn a_keyring_vault_unlocks_without_asking() {
    if !keyring_tests_enabled() || !kernel_cache_works() {
        return;
    }
    let vault = KeyringVault::create(Default::default());
    let home = vault.home();
    let id = Vault::at(&home).id().unwrap().to_string();
    keystore::cache_drop(&id);
    let out = cli(&home, &["unlock", "--for", "1h"], &[]);
    assert!(out.status.success(), "{}", stderr(&out.stderr));
    let line = proc_keys_line(&id).expect("cached");
    assert!(
        line.split_whitespace()
            .nth(3)
            .is_some_and(|t| t == "59m" || t == "1h"),
        "{line}"
    );
    let out = cli(&home, &["lock"], &[]);
    assert!(out.status.success());
    assert_eq!(
        stderr(&out.stderr),
        "Locked: the vault's key is no longer cached; the next use opens it through the OS \
         keyring again, while that is unlocked.\n"
    );
    assert!(!keystore::cache_holds(&id));
}
