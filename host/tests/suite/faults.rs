//! Fault suites: what the vault survives, each fault with its exact outcome.
//!
//! * **Kills.** Writers are killed with SIGKILL at random moments, round
//!   after round: a library writer, the real `factorcat` binary running
//!   `add`, `remove` and `code` of an HOTP token, and a native-messaging host
//!   in the middle of `add`, HOTP `code` and fills. After every kill the vault
//!   opens with every acknowledged token, acknowledged removals stay removed,
//!   the HOTP counter never goes back nor below the number of codes handed
//!   out, the last filled time step never goes back, `.prev` opens, the
//!   lock is free, and the next write works and clears what the killed
//!   writer left behind.
//!   `FACTORCAT_STRESS_KILLS=N` runs N rounds instead of 40.
//! * **Garbage.** Random bytes, an empty file, a cut header, another vault's
//!   file, a directory, and symbolic links where the vault should be: exact
//!   exit status and error code, nothing ever written over them (not even by
//!   `add` or `init`), `.prev` untouched, and the recovery of
//!   `docs/vault.md` §7 works.
//! * **Full disk.** The vault on a small tmpfs, filled up: writes fail with
//!   `io_error` (exit 1) naming the cause and the file (the vault, or the
//!   ledger for fills), no code is handed out without its counter or fill
//!   record, every file is byte-for-byte as before, no temporary file is
//!   left; with room for the small ledger but not the vault, a fill works
//!   and leaves the vault file as it was; after space is freed the next
//!   write works and folds the ledger in.
//! * **Read-only directory.** Reads (`list`, TOTP `code`, `match`, and the
//!   host's `list`, `match` and `code`) work; writes, HOTP codes and fills are
//!   refused with `io_error` naming the read-only file system; nothing changes.
//! * **Keyring gone.** A real gnome-keyring on a bus of the test's own, killed
//!   and locked under a running host and the CLI: with the kernel key cache
//!   the vault keeps opening; without it, `keyring_unavailable` or
//!   `keyring_locked` with their advice (exit 5), the host connection
//!   answers on, nothing is written, and all works again once the keyring
//!   is back. A keyring that lost only the vault's entry gives
//!   `keyring_entry_missing` (exit 5).
//!
//! File-system faults run in a private mount namespace (`unshare`), so a
//! test that dies leaves no mount behind. Child processes are this test
//! binary re-run with `FACTORCAT_FAULTS_CHILD` set: [`child_main`] then acts
//! as the child instead of a test.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use factorcat::extension_ids::development_chromium_id as chromium_id;
use factorcat::secret::Secret;
use factorcat::token::{Kind, Token};
use factorcat::vault::{CreateOptions, FILE_NAME, KdfParams, Unlock, Vault, VaultData, VaultError};
use rand::Rng;
use serde_json::{Value, json};
use uuid::Uuid;
use zeroize::Zeroizing;

/// Cheap Argon2id parameters: tests only.
const FAST: KdfParams = KdfParams {
    m_kib: 64,
    t: 1,
    p: 1,
};
const PASS: &str = "correct horse battery staple";
const CHILD_ENV: &str = "FACTORCAT_FAULTS_CHILD";
const DIR_ENV: &str = "FACTORCAT_FAULTS_DIR";
const STRESS_ENV: &str = "FACTORCAT_STRESS_KILLS";
const GITHUB_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const BANK_SECRET: &str = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA";
const WAIT: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// common pieces

fn unlock() -> Unlock {
    Unlock::with_passphrase(PASS)
}

fn vault_at(dir: &Path) -> Vault {
    Vault::at(dir).with_key_cache(false)
}

/// A new passphrase-only vault in `dir`.
fn new_vault(dir: &Path) -> Vault {
    let vault = vault_at(dir);
    let options = CreateOptions {
        keyring: false,
        passphrase: Some(Zeroizing::new(PASS.to_string())),
    };
    vault.create_with_kdf(&options, FAST).unwrap();
    vault
}

fn put(vault: &Vault, tokens: Vec<Token>) {
    vault
        .update(&unlock(), |data: &mut VaultData| {
            for t in tokens {
                data.insert(t);
            }
            Ok::<_, VaultError>(())
        })
        .unwrap();
}

/// GitHub (TOTP, site github.com) and Bank (HOTP, counter 0).
fn github_and_bank() -> (Token, Token) {
    let mut github = Token::new(
        "GitHub",
        "octocat",
        Secret::from_base32(GITHUB_SECRET).unwrap(),
    );
    github.sites = vec!["github.com".into()];
    let mut bank = Token::new("Bank", "hotp", Secret::from_base32(BANK_SECRET).unwrap());
    bank.kind = Kind::Hotp { counter: 0 };
    (github, bank)
}

/// A base32 secret of its own for each `n`.
fn numbered_secret(n: u64) -> String {
    let mut bytes = vec![0xc3; 20];
    bytes[..8].copy_from_slice(&n.to_be_bytes());
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The command line's arguments adding the token `New: new` with `secret`.
fn add_new(secret: &str) -> [&str; 7] {
    [
        "add",
        "--issuer",
        "New",
        "--account",
        "new",
        "--secret",
        secret,
    ]
}

fn hotp_counter(data: &VaultData, id: Uuid) -> u64 {
    match data.get(id).expect("the HOTP token").kind {
        Kind::Hotp { counter } => counter,
        ref other => panic!("not HOTP: {other:?}"),
    }
}

/// The `factorcat` binary with the vault in `home`, unlocking with the
/// passphrase and without the kernel key cache.
fn factorcat(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_factorcat"));
    command
        .env("FACTORCAT_HOME", home)
        .env("FACTORCAT_PASSPHRASE", PASS)
        .env("FACTORCAT_NO_KEY_CACHE", "1")
        .env_remove("FACTORCAT_EXTRA_EXTENSION_IDS")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// What one CLI run did.
#[derive(Debug)]
struct Ran {
    status: i32,
    out: String,
    err: String,
}

fn ran(output: std::process::Output) -> Ran {
    Ran {
        status: output.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&output.stdout).into_owned(),
        err: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn cli(home: &Path, args: &[&str]) -> Ran {
    ran(factorcat(home).args(args).output().unwrap())
}

/// Runs the CLI and checks its exit status and that stderr holds `needles`.
fn cli_fails(home: &Path, args: &[&str], status: i32, needles: &[&str]) -> Ran {
    let r = cli(home, args);
    assert_eq!(r.status, status, "factorcat {args:?}: {r:?}");
    for needle in needles {
        assert!(
            r.err.contains(needle),
            "factorcat {args:?}: {needle:?} not in {r:?}"
        );
    }
    r
}

fn cli_ok(home: &Path, args: &[&str]) -> Ran {
    let r = cli(home, args);
    assert_eq!(r.status, 0, "factorcat {args:?}: {r:?}");
    r
}

/// What is at a path, compared before and after a fault.
#[derive(Debug, PartialEq, Eq, Clone)]
enum Entry {
    File(Vec<u8>),
    Dir(Vec<String>),
    Link(PathBuf),
}

/// Every entry of `dir` by name (directories by their names, links by target).
fn snapshot(dir: &Path) -> BTreeMap<String, Entry> {
    let mut all = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let kind = entry.file_type().unwrap();
        let seen = if kind.is_symlink() {
            Entry::Link(std::fs::read_link(&path).unwrap())
        } else if kind.is_dir() {
            let mut names: Vec<String> = std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            Entry::Dir(names)
        } else {
            Entry::File(std::fs::read(&path).unwrap())
        };
        all.insert(entry.file_name().to_string_lossy().into_owned(), seen);
    }
    all
}

/// Names of temporary files left in `dir`.
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp."))
        .collect()
}

// ---------------------------------------------------------------------------
// the native host, spoken to in frames

struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<ChildStdout>,
}

impl Host {
    /// Starts the real binary as Chromium does, with the vault in `home`;
    /// `env` entries override (or with `None` remove) variables.
    fn start(home: &Path, env: &[(&str, Option<&str>)]) -> Host {
        let mut command = factorcat(home);
        command
            .arg(format!("chrome-extension://{}/", chromium_id()))
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .current_dir(home.parent().unwrap_or(home));
        for (key, value) in env {
            match value {
                Some(v) => command.env(key, v),
                None => command.env_remove(key),
            };
        }
        let mut child = command.spawn().unwrap();
        Host {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            child,
        }
    }

    fn request(&mut self, request: &Value) -> Value {
        assert!(send_frame(self.stdin.as_mut().unwrap(), request));
        let reply = recv_frame(self.stdout.as_mut().unwrap()).expect("a reply frame");
        assert_eq!(reply["id"], request["id"], "{reply}");
        reply
    }

    /// A request that must fail with `code`; returns the error's message.
    fn refused(&mut self, request: &Value, code: &str) -> String {
        let reply = self.request(request);
        assert_eq!(reply["ok"], false, "{request} -> {reply}");
        assert_eq!(reply["error"]["code"], code, "{request} -> {reply}");
        assert!(
            reply.get("code").is_none(),
            "a code came with an error: {reply}"
        );
        reply["error"]["message"].as_str().unwrap().to_string()
    }

    fn answers(&mut self, request: &Value) -> Value {
        let reply = self.request(request);
        assert_eq!(reply["ok"], true, "{request} -> {reply}");
        reply
    }

    /// Closes stdin and waits for a clean exit.
    fn finish(mut self) {
        drop(self.stdin.take());
        let status = wait_until(&mut self.child, Duration::from_secs(10))
            .expect("the host exits when its input closes");
        assert!(status.success(), "host exit: {status}");
    }
}

fn send_frame(to: &mut impl Write, request: &Value) -> bool {
    let body = request.to_string();
    let mut frame = (body.len() as u32).to_ne_bytes().to_vec();
    frame.extend_from_slice(body.as_bytes());
    to.write_all(&frame).and_then(|()| to.flush()).is_ok()
}

fn recv_frame(from: &mut impl Read) -> Option<Value> {
    let mut header = [0u8; 4];
    from.read_exact(&mut header).ok()?;
    let mut body = vec![0u8; u32::from_ne_bytes(header) as usize];
    from.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).expect("replies are JSON"))
}

/// Waits for `child` to exit, at most `limit`.
fn wait_until(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

// ---------------------------------------------------------------------------
// child processes

/// Re-runs this test binary as a child in `mode` (see [`child_main`]).
fn child(mode: &str, dir: &Path) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args(child_args())
        .env(CHILD_ENV, mode)
        .env(DIR_ENV, dir)
        .stdout(Stdio::piped());
    command
}

fn child_args() -> [&'static str; 5] {
    [
        "--exact",
        // The test's path in the suite binary.
        "faults::child_main",
        "--nocapture",
        "--test-threads=1",
        "-q",
    ]
}

/// Not a test: the body of child processes. Modes:
/// * `add` — add tokens forever, printing `COMMITTED <account>` after each
///   update returns;
/// * `full-disk`, `read-only` — the checks that run inside a private mount
///   namespace (see the tests of those names).
///
/// The namespace modes print `CHILD DONE` at the end, so the parent knows
/// that every check ran.
#[test]
fn child_main() {
    let Ok(mode) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = PathBuf::from(std::env::var_os(DIR_ENV).unwrap());
    match mode.as_str() {
        "add" => {
            let vault = vault_at(&dir);
            let mut rng = rand::thread_rng();
            // Process ids come round again in a long run: a random tag keeps
            // every writer's accounts apart from a removed earlier writer's.
            let tag: u32 = rng.r#gen();
            for n in 0.. {
                let account = format!("lib-{}-{tag:08x}-{n}", std::process::id());
                let secret = Secret::from_bytes(rng.r#gen::<[u8; 20]>().to_vec()).unwrap();
                put(
                    &vault,
                    vec![Token::new("Library", account.as_str(), secret)],
                );
                println!("COMMITTED {account}");
            }
        }
        "full-disk" => full_disk_checks(&dir),
        "read-only" => read_only_checks(&dir),
        other => panic!("unknown child mode {other}"),
    }
    println!("CHILD DONE");
}

/// Runs [`child_main`] in `mode` inside a private mount namespace, after
/// `setup` (a bash snippet that gets the directory as `$dir`) has run there.
/// Root uses `unshare --mount`; others a user namespace mapped to root.
/// Never skips: without a namespace the test fails.
fn in_mount_namespace(mode: &str, dir: &Path, setup: &str) {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
    let mut command = Command::new("unshare");
    if !root {
        command.args(["--user", "--map-root-user"]);
    }
    let script = format!("dir=\"$1\"; shift\n{setup}\nexec \"$@\"");
    command
        .args(["--mount", "--propagation", "private", "--", "bash", "-euc"])
        .arg(script)
        .arg("bash")
        .arg(dir)
        .arg(std::env::current_exe().unwrap())
        .args(child_args())
        .env(CHILD_ENV, mode)
        .env(DIR_ENV, dir);
    let out = command
        .output()
        .expect("unshare (util-linux) must be installed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("CHILD DONE"),
        "{mode} in a private mount namespace failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
}

// ---------------------------------------------------------------------------
// kills

/// What the kill rounds have seen.
#[derive(Default)]
struct Tally {
    kills: BTreeMap<&'static str, usize>,
    finished_first: usize,
    interrupted: usize,
    lost: Vec<String>,
}

/// The vault under attack and everything acknowledged so far.
struct KillWorld {
    root: tempfile::TempDir,
    home: PathBuf,
    vault: Vault,
    bank: Token,
    fill: Uuid,
    /// Accounts acknowledged as added and not removed since.
    live: BTreeSet<String>,
    /// Accounts acknowledged as removed.
    gone: BTreeSet<String>,
    /// HOTP codes handed out (printed or replied), acknowledged or not.
    codes_out: u64,
    /// The HOTP counter the next code must use (as of the last check, plus
    /// the codes handed out since).
    counter: u64,
    /// The last time step handed out for filling.
    filled: Option<u64>,
    /// The fill record seen at the last check.
    fill_seen: u64,
    serial: u64,
    cli_time: Duration,
    host_time: Duration,
    lib_time: Duration,
}

/// What a CLI command does when it succeeds.
enum Effect {
    Add(String),
    Remove(String),
    Code,
}

impl KillWorld {
    fn new() -> KillWorld {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("vault");
        let vault = new_vault(&home);
        let (mut github, bank) = github_and_bank();
        github.account = "fill".into();
        let fill = github.id;
        put(&vault, vec![github, bank.clone()]);
        KillWorld {
            root,
            home,
            vault,
            bank,
            fill,
            live: BTreeSet::new(),
            gone: BTreeSet::new(),
            codes_out: 0,
            counter: 0,
            filled: None,
            fill_seen: 0,
            serial: 0,
            cli_time: Duration::from_millis(10),
            host_time: Duration::from_millis(5),
            lib_time: Duration::from_millis(3),
        }
    }

    fn next_serial(&mut self) -> u64 {
        self.serial += 1;
        self.serial
    }

    /// A random moment between 30 % and 120 % of an operation of `typical`
    /// length: start-up is covered by the early part of the range, and most
    /// moments fall where a process reads, decrypts and writes (a command
    /// that finishes first counts as acknowledged, not as a kill).
    fn moment(rng: &mut impl Rng, typical: Duration) -> Duration {
        let typical = typical.as_micros() as u64;
        let (low, high) = (typical * 3 / 10, (typical * 6 / 5).max(200));
        Duration::from_micros(rng.gen_range(low.min(high - 1)..high))
    }

    fn learn(average: &mut Duration, sample: Duration) {
        *average = (*average * 3 + sample) / 4;
    }

    /// A printed HOTP code: it must be the one for the next counter value.
    fn code_handed_out(&mut self, code: &str, how: &str) {
        assert_eq!(
            code,
            self.bank.hotp_code(self.counter),
            "{how}: not the code of counter {}",
            self.counter
        );
        self.counter += 1;
        self.codes_out += 1;
    }

    fn applied(&mut self, effect: &Effect, stdout: &str) {
        match effect {
            Effect::Add(account) => {
                assert!(stdout.starts_with("added "), "{stdout}");
                self.live.insert(account.clone());
            }
            Effect::Remove(account) => {
                assert!(stdout.starts_with("removed "), "{stdout}");
                self.live.remove(account);
                self.gone.insert(account.clone());
            }
            Effect::Code => self.code_handed_out(stdout.trim(), "factorcat code"),
        }
    }

    fn command_for(&mut self, kind: usize) -> Option<(Vec<String>, Effect)> {
        match kind {
            1 => {
                let n = self.next_serial();
                let account = format!("cli-{n}");
                let args = ["add", "--issuer", "Cli", "--account", &account, "--secret"]
                    .into_iter()
                    .map(String::from)
                    .chain([numbered_secret(n)])
                    .collect();
                Some((args, Effect::Add(account)))
            }
            2 => {
                let account = self.live.iter().next()?.clone();
                let args = vec!["remove".into(), "--yes".into(), account.clone()];
                Some((args, Effect::Remove(account)))
            }
            _ => Some((vec!["code".into(), "hotp".into()], Effect::Code)),
        }
    }

    /// A few commands of `kind` run to completion, then one is killed.
    fn cli_round(&mut self, kind: usize, rng: &mut impl Rng, tally: &mut Tally) {
        for _ in 0..rng.gen_range(0..3) {
            let Some((args, effect)) = self.command_for(kind) else {
                break;
            };
            let started = Instant::now();
            let r = ran(factorcat(&self.home).args(&args).output().unwrap());
            Self::learn(&mut self.cli_time, started.elapsed());
            assert_eq!(r.status, 0, "factorcat {args:?}: {r:?}");
            self.applied(&effect, &r.out);
        }
        if kind == 2 && self.live.is_empty() {
            // Something to remove.
            self.cli_round(1, rng, tally);
        }
        let Some((args, effect)) = self.command_for(kind) else {
            return;
        };
        let mut process = factorcat(&self.home).args(&args).spawn().unwrap();
        std::thread::sleep(Self::moment(rng, self.cli_time));
        if process.try_wait().unwrap().is_none() {
            let _ = process.kill();
        }
        let out = process.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        if out.status.success() {
            tally.finished_first += 1;
            self.applied(&effect, &stdout);
            return;
        }
        assert_eq!(
            out.status.signal(),
            Some(9),
            "factorcat {args:?} failed by itself: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        *tally
            .kills
            .entry(["", "cli add", "cli remove", "cli code"][kind])
            .or_default() += 1;
        match effect {
            // Killed after printing: the code was handed out.
            Effect::Code if !stdout.trim().is_empty() => {
                self.code_handed_out(stdout.trim(), "killed factorcat code")
            }
            Effect::Code => {}
            // Either outcome is right for an add or remove that was never
            // acknowledged; it is no longer asserted either way.
            Effect::Add(_) => {}
            Effect::Remove(account) => {
                self.live.remove(&account);
            }
        }
    }

    /// The library writer: a child adding tokens, killed after a few commits.
    fn library_round(&mut self, rng: &mut impl Rng, tally: &mut Tally) {
        let mut process = child("add", &self.home).spawn().unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = process.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(account) = line.strip_prefix("COMMITTED ") {
                    let _ = tx.send((account.to_string(), Instant::now()));
                }
            }
        });
        let mut last = None;
        for _ in 0..rng.gen_range(0..4) {
            let (account, at) = rx.recv_timeout(WAIT).expect("the writer made no progress");
            if let Some(before) = last {
                Self::learn(&mut self.lib_time, at - before);
            }
            last = Some(at);
            self.live.insert(account);
        }
        std::thread::sleep(Self::moment(rng, self.lib_time));
        process.kill().unwrap();
        let status = process.wait().unwrap();
        reader.join().unwrap();
        self.live.extend(rx.try_iter().map(|(account, _)| account));
        assert_eq!(status.signal(), Some(9), "the writer exited by itself");
        *tally.kills.entry("library").or_default() += 1;
    }

    /// A native host doing `add`, HOTP `code` and fills in turn, killed after
    /// a few replies.
    fn host_round(&mut self, rng: &mut impl Rng, tally: &mut Tally) {
        let mut host = Host::start(&self.home, &[]);
        let mut stdin = host.stdin.take().unwrap();
        let mut stdout = host.stdout.take().unwrap();
        // Numbers the command line has not used (each number is a secret,
        // and a second token with the same secret is a refused duplicate).
        let base = self.serial + 1;
        self.serial += 10_000;
        let (bank, fill) = (self.bank.id, self.fill);
        let (tx, rx) = mpsc::channel();
        let worker = std::thread::spawn(move || {
            for i in 0u64.. {
                let n = base + i;
                let request = match i % 3 {
                    0 => json!({"id": n, "type": "add", "issuer": "Host",
                                "account": format!("host-{n}"), "secret": numbered_secret(n)}),
                    1 => json!({"id": n, "type": "code", "token": bank}),
                    _ => json!({"id": n, "type": "code", "token": fill, "for_fill": true}),
                };
                let sent = Instant::now();
                if !send_frame(&mut stdin, &request) {
                    break;
                }
                let Some(reply) = recv_frame(&mut stdout) else {
                    break;
                };
                if tx.send((request, reply, sent.elapsed())).is_err() {
                    break;
                }
            }
        });
        for _ in 0..rng.gen_range(0..5) {
            let (request, reply, took) = rx.recv_timeout(WAIT).expect("the host made no progress");
            Self::learn(&mut self.host_time, took);
            self.host_replied(&request, &reply);
        }
        std::thread::sleep(Self::moment(rng, self.host_time));
        host.child.kill().unwrap();
        let status = host.child.wait().unwrap();
        worker.join().unwrap();
        for (request, reply, _) in rx.try_iter() {
            self.host_replied(&request, &reply);
        }
        assert_eq!(status.signal(), Some(9), "the host exited by itself");
        *tally.kills.entry("host").or_default() += 1;
    }

    fn host_replied(&mut self, request: &Value, reply: &Value) {
        assert_eq!(reply["id"], request["id"], "{reply}");
        if reply["ok"] != true {
            // Both the current and the next step were filled already.
            assert_eq!(
                reply["error"]["code"], "code_already_used",
                "{request} -> {reply}"
            );
            assert_eq!(request["for_fill"], true, "{request} -> {reply}");
            return;
        }
        match (request["type"].as_str(), reply["kind"].as_str()) {
            (Some("add"), _) => {
                self.live
                    .insert(request["account"].as_str().unwrap().to_string());
            }
            (Some("code"), Some("hotp")) => {
                assert_eq!(reply["counter"], self.counter, "{reply}");
                self.code_handed_out(reply["code"].as_str().unwrap(), "host code");
            }
            (Some("code"), _) => {
                let step = reply["valid_from"].as_u64().unwrap() / 30;
                if let Some(last) = self.filled {
                    assert!(step > last, "time step {step} filled again (last {last})");
                }
                self.filled = Some(step);
            }
            _ => panic!("unexpected reply {reply} to {request}"),
        }
    }

    /// After a kill: everything acknowledged is there, the lock is free, and
    /// a following write works and sweeps up the killed writer's leftovers.
    fn check(&mut self, round: usize, tally: &mut Tally) {
        let data = self
            .vault
            .read(&unlock())
            .unwrap_or_else(|e| panic!("round {round}: the vault does not open: {e}"));
        let accounts: BTreeSet<&str> = data.tokens.iter().map(|t| t.account.as_str()).collect();
        for account in &self.live {
            if !accounts.contains(account.as_str()) {
                tally.lost.push(format!("round {round}: {account}"));
            }
        }
        for account in &self.gone {
            assert!(
                !accounts.contains(account.as_str()),
                "round {round}: removed {account} is back"
            );
        }
        let counter = hotp_counter(&data, self.bank.id);
        assert!(
            counter >= self.counter && counter >= self.codes_out,
            "round {round}: HOTP counter {counter} is behind (expected at least {}, {} codes handed out)",
            self.counter,
            self.codes_out
        );
        self.counter = counter;
        let fill = data.fills.get(&self.fill).copied().unwrap_or(0);
        assert!(
            fill >= self.fill_seen && Some(fill) >= self.filled,
            "round {round}: fill record {fill} went back (seen {}, filled {:?})",
            self.fill_seen,
            self.filled
        );
        self.fill_seen = fill;
        tally.interrupted += usize::from(!temp_files(&self.home).is_empty());

        // The previous generation, the documented way back, is whole too.
        let spare = self.root.path().join("prev-check");
        std::fs::create_dir_all(&spare).unwrap();
        std::fs::copy(self.vault.prev_file(), spare.join(FILE_NAME)).unwrap();
        vault_at(&spare)
            .read(&unlock())
            .unwrap_or_else(|e| panic!("round {round}: .prev does not open: {e}"));

        // flock locks die with their process: the lock is free at once.
        let lock = std::fs::File::options()
            .write(true)
            .open(self.vault.lock_file())
            .unwrap();
        lock.try_lock()
            .unwrap_or_else(|e| panic!("round {round}: the vault lock is still held: {e}"));
        lock.unlock().unwrap();
        drop(lock);

        // The next write also keeps the vault small, so that long runs do
        // not slow down as it grows: it drops the tokens of writes that were
        // never acknowledged (nothing is asserted about them) and, past 40
        // acknowledged ones, the 20 oldest (asserted as removed from then on).
        let (fill_id, bank_id) = (self.fill, self.bank.id);
        let keep: BTreeSet<String> = if self.live.len() > 40 {
            self.live.iter().skip(20).cloned().collect()
        } else {
            self.live.clone()
        };
        self.vault
            .clone()
            .with_lock_wait(Duration::from_secs(2))
            .update(&unlock(), |data| {
                let token = data.get_mut(fill_id).unwrap();
                token.pinned = !token.pinned;
                token.touch();
                data.tokens
                    .retain(|t| t.id == fill_id || t.id == bank_id || keep.contains(&t.account));
                data.tombstones.clear();
                Ok::<_, VaultError>(())
            })
            .unwrap_or_else(|e| panic!("round {round}: the next write failed: {e}"));
        let pruned: Vec<String> = self.live.difference(&keep).cloned().collect();
        self.gone.extend(pruned);
        self.live = keep;
        let left = temp_files(&self.home);
        assert!(left.is_empty(), "round {round}: left behind: {left:?}");
    }
}

/// Writers killed at random moments never lose an acknowledged token, never
/// set an HOTP counter or fill record back, and never leave the vault
/// locked or unwritable.
#[test]
fn killed_writers_never_break_the_vault() {
    let rounds: usize = match std::env::var(STRESS_ENV) {
        Ok(n) => n
            .parse()
            .unwrap_or_else(|_| panic!("{STRESS_ENV} must be a number")),
        Err(_) => 40,
    };
    let started = Instant::now();
    let mut world = KillWorld::new();
    let mut tally = Tally::default();
    let mut rng = rand::thread_rng();
    for round in 0..rounds {
        match round % 5 {
            0 => world.library_round(&mut rng, &mut tally),
            4 => world.host_round(&mut rng, &mut tally),
            kind => world.cli_round(kind, &mut rng, &mut tally),
        }
        world.check(round, &mut tally);
    }
    let kills: usize = tally.kills.values().sum();
    eprintln!(
        "kill rounds: {rounds}, kills: {kills} ({}), finished before the kill: {}, \
         interrupted writes: {}, tokens lost: {}, acknowledged adds: {}, HOTP codes: {}, \
         time: {:.1} s",
        tally
            .kills
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
        tally.finished_first,
        tally.interrupted,
        tally.lost.len(),
        world.live.len() + world.gone.len(),
        world.codes_out,
        started.elapsed().as_secs_f64()
    );
    assert!(tally.lost.is_empty(), "tokens lost: {:?}", tally.lost);
    // Library writers and hosts never stop by themselves: at least their
    // rounds (two in five) end in a kill.
    assert!(kills >= rounds * 2 / 5, "too few kills: {kills}");
}

// ---------------------------------------------------------------------------
// garbage where the vault should be

/// What takes the vault's place.
#[derive(Debug, Clone, Copy)]
enum Garbage {
    RandomBytes,
    Empty,
    CutHeader,
    OtherVault,
    Directory,
    DanglingLink,
    LinkToVault,
}

impl Garbage {
    /// Puts this garbage at `file`; `good` is the vault's own content.
    fn install(self, file: &Path, good: &[u8], scratch: &Path) {
        std::fs::remove_file(file).unwrap();
        match self {
            Garbage::RandomBytes => {
                let mut bytes = vec![0u8; 4096];
                rand::thread_rng().fill(&mut bytes[..]);
                bytes[0] = b'#';
                std::fs::write(file, bytes).unwrap();
            }
            Garbage::Empty => std::fs::write(file, b"").unwrap(),
            Garbage::CutHeader => std::fs::write(file, &good[..60]).unwrap(),
            Garbage::OtherVault => {
                let other = scratch.join("other");
                let vault = vault_at(&other);
                let options = CreateOptions {
                    keyring: false,
                    passphrase: Some(Zeroizing::new("another passphrase".to_string())),
                };
                vault.create_with_kdf(&options, FAST).unwrap();
                std::fs::copy(vault.file(), file).unwrap();
            }
            Garbage::Directory => {
                std::fs::create_dir(file).unwrap();
                std::fs::write(file.join("note"), b"not a vault").unwrap();
            }
            Garbage::DanglingLink => {
                std::os::unix::fs::symlink(scratch.join("nowhere"), file).unwrap()
            }
            Garbage::LinkToVault => {
                let elsewhere = scratch.join("elsewhere.vault");
                std::fs::write(&elsewhere, good).unwrap();
                std::os::unix::fs::symlink(&elsewhere, file).unwrap();
            }
        }
    }

    /// The exit status, error code and words of the refusal.
    fn expected(self) -> (i32, &'static str, &'static [&'static str]) {
        match self {
            Garbage::OtherVault => (5, "wrong_passphrase", &["wrong passphrase"]),
            Garbage::Directory => (7, "vault_corrupt", &["damaged", "a directory", ".prev"]),
            Garbage::DanglingLink | Garbage::LinkToVault => (
                7,
                "vault_corrupt",
                &["damaged", "a symbolic link", "FACTORCAT_HOME", ".prev"],
            ),
            _ => (7, "vault_corrupt", &["damaged", "factorcat.vault.prev"]),
        }
    }
}

/// Whatever replaced the vault gets its exact error from every command and
/// from the host, is never written over (`add` and `init` included), leaves
/// `.prev` alone, and copying `.prev` back restores the vault.
#[test]
fn garbage_in_place_of_the_vault_is_refused_and_never_replaced() {
    for garbage in [
        Garbage::RandomBytes,
        Garbage::Empty,
        Garbage::CutHeader,
        Garbage::OtherVault,
        Garbage::Directory,
        Garbage::DanglingLink,
        Garbage::LinkToVault,
    ] {
        let root = tempfile::tempdir().unwrap();
        let home = root.path().join("vault");
        let vault = new_vault(&home);
        let (github, bank) = github_and_bank();
        put(&vault, vec![github.clone()]);
        put(&vault, vec![bank.clone()]);
        let good = std::fs::read(vault.file()).unwrap();
        let prev = std::fs::read(vault.prev_file()).unwrap();
        garbage.install(&vault.file(), &good, root.path());
        let before = snapshot(&home);
        let scratch_before = snapshot(root.path());
        let (status, code, words) = garbage.expected();
        let what = format!("{garbage:?}");

        let secret = numbered_secret(1);
        for args in [
            &["list"][..],
            &["code", "octocat", "--time", "1700000000"],
            &["code", "hotp"],
            &["show", "octocat"],
            &["match", "https://github.com/login"],
            &add_new(&secret),
            &["edit", "octocat", "--pin"],
            &["remove", "--yes", "octocat"],
            &["passphrase", "--remove"],
        ] {
            let r = cli_fails(&home, args, status, words);
            assert!(r.out.is_empty(), "{what}: {args:?} printed {r:?}");
        }
        // `init` must not make a new vault over it, with or without keyring.
        for args in [&["init", "--no-keyring", "--passphrase"][..], &["init"]] {
            let r = cli_fails(&home, args, 1, &["a vault already exists at"]);
            assert!(r.err.contains("factorcat.vault"), "{what}: {r:?}");
        }

        let mut host = Host::start(&home, &[]);
        let hello = host.answers(&json!({"id": 1, "type": "hello"}));
        match garbage {
            Garbage::OtherVault => assert_eq!(hello["vault"]["state"], "present", "{hello}"),
            _ => {
                assert_eq!(hello["vault"]["state"], "unreadable", "{what}: {hello}");
                let reason = hello["vault"]["reason"].as_str().unwrap();
                assert!(reason.contains(".prev"), "{what}: {reason}");
            }
        }
        let requests = [
            json!({"id": 2, "type": "list"}),
            json!({"id": 3, "type": "match", "url": "https://github.com/login"}),
            json!({"id": 4, "type": "code", "token": github.id, "for_fill": true}),
            json!({"id": 5, "type": "code", "token": bank.id}),
            json!({"id": 6, "type": "add", "issuer": "New", "account": "new", "secret": secret}),
            json!({"id": 7, "type": "remove", "token": github.id}),
        ];
        for request in &requests {
            host.refused(request, code);
        }
        host.answers(&json!({"id": 8, "type": "hello"}));
        host.finish();

        assert_eq!(
            snapshot(&home),
            before,
            "{what}: the vault directory changed"
        );
        assert_eq!(
            snapshot(root.path()),
            scratch_before,
            "{what}: outside changed"
        );
        assert_eq!(std::fs::read(vault.prev_file()).unwrap(), prev, "{what}");

        // The recovery of docs/vault.md: the previous generation, copied
        // over the damaged file (moved out of the way first if it is no file).
        match garbage {
            Garbage::Directory => std::fs::remove_dir_all(vault.file()).unwrap(),
            _ => std::fs::remove_file(vault.file()).unwrap(),
        }
        std::fs::copy(vault.prev_file(), vault.file()).unwrap();
        let listed = cli_ok(&home, &["list", "--json"]);
        let listed: Value = serde_json::from_str(&listed.out).unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1, "{what}: {listed}");
        assert_eq!(listed[0]["account"], "octocat", "{what}: {listed}");
        cli_ok(&home, &add_new(&secret));
        let data = vault.read(&unlock()).unwrap();
        let accounts: Vec<&str> = data.tokens.iter().map(|t| t.account.as_str()).collect();
        assert_eq!(accounts, ["octocat", "new"], "{what}");
        assert_eq!(std::fs::read(vault.prev_file()).unwrap(), prev, "{what}");
    }
}

// ---------------------------------------------------------------------------
// full disk

/// The vault on a 256 KiB tmpfs in a private mount namespace, filled up.
#[test]
fn full_disk_fails_cleanly_and_the_next_write_works() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("small");
    std::fs::create_dir(&dir).unwrap();
    in_mount_namespace(
        "full-disk",
        &dir,
        r#"mount -t tmpfs -o size=256k,mode=0700 factorcat-full "$dir""#,
    );
    // The tmpfs lived in the namespace only.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

/// Writes 4 KiB blocks to `path` until the disk is full; fails the test if
/// `limit` bytes fit (then the file system is not the small one).
fn fill_up(path: &Path, limit: usize) {
    let mut file = std::fs::File::create(path).unwrap();
    let block = [0x55u8; 4096];
    let mut written = 0;
    loop {
        match file.write(&block) {
            Ok(n) => written += n,
            Err(e) => {
                assert_eq!(e.raw_os_error(), Some(28), "filling up: {e}");
                break;
            }
        }
        assert!(
            written < limit,
            "{limit} bytes fit: this is not the small tmpfs"
        );
    }
}

/// The refusal names the vault file, not the temporary file that is gone.
const NO_SPACE: [&str; 3] = [
    "No space left on device",
    "the disk is not full",
    "factorcat.vault: No space",
];

/// Writes through the CLI, and codes that must be recorded before they are
/// handed out (an HOTP counter), fail with exit 1 and `words` on stderr,
/// and print nothing.
fn cli_writes_refused(home: &Path, words: &[&str]) {
    let secret = numbered_secret(7);
    for args in [
        &add_new(&secret)[..],
        &["edit", "octocat", "--pin"],
        &["remove", "--yes", "octocat"],
        &["code", "hotp"],
    ] {
        let r = cli_fails(home, args, 1, words);
        assert!(r.out.is_empty(), "{args:?}: {r:?}");
    }
}

/// The host's writes, and the codes it must record before handing them out
/// (an HOTP counter in the vault file; with `ledger`, a fill's time step
/// and enrolment codes, which go to the ledger), get `io_error` whose
/// message holds `word` (and, with `name_files`, the file that could not
/// be written), and no code.
fn host_writes_refused(
    host: &mut Host,
    (github, bank): (&Token, &Token),
    word: &str,
    (ledger, name_files): (bool, bool),
) {
    let secret = numbered_secret(7);
    let mut requests = vec![
        (json!({"type": "code", "token": bank.id}), "factorcat.vault"),
        (
            json!({"type": "add", "issuer": "New", "account": "new", "secret": secret}),
            "factorcat.vault",
        ),
        (
            json!({"type": "remove", "token": github.id}),
            "factorcat.vault",
        ),
    ];
    if ledger {
        requests.push((
            json!({"type": "code", "token": github.id, "for_fill": true}),
            "factorcat.ledger",
        ));
        requests.push((
            json!({"type": "enroll_codes", "token": github.id}),
            "factorcat.ledger",
        ));
    }
    for (id, (request, file)) in requests.into_iter().enumerate() {
        let mut request = request;
        request["id"] = json!(100 + id);
        let message = host.refused(&request, "io_error");
        assert!(message.contains(word), "{request} -> {message}");
        if name_files {
            let file = format!("{file}: ");
            assert!(message.contains(&file), "{request} -> {message}");
        }
    }
}

/// Every write is refused as the disk is full (with `ledger_fits`, all but
/// those of the small ledger, which are not tried); every read works;
/// nothing is changed or left behind.
fn assert_full(
    home: &Path,
    before: &BTreeMap<String, Entry>,
    (github, bank): (&Token, &Token),
    ledger_fits: bool,
) {
    cli_writes_refused(home, &NO_SPACE);
    let r = cli_ok(home, &["code", "octocat", "--time", "1700000000"]);
    assert_eq!(r.out, format!("{}\n", github.code_at(1_700_000_000)));
    assert_eq!(
        cli_ok(home, &["list", "--json"])
            .out
            .matches("\"id\"")
            .count(),
        62
    );

    let mut host = Host::start(home, &[]);
    assert_eq!(host.answers(&json!({"id": 1, "type": "list"}))["total"], 62);
    host_writes_refused(
        &mut host,
        (github, bank),
        "No space left on device",
        (!ledger_fits, true),
    );
    let r = host.answers(&json!({"id": 6, "type": "code", "token": github.id}));
    let from = r["valid_from"].as_u64().unwrap();
    assert_eq!(r["code"], github.code_at(from));
    host.finish();

    assert_eq!(&snapshot(home), before, "the vault directory changed");
    assert!(temp_files(home).is_empty());
}

fn full_disk_checks(dir: &Path) {
    let home = dir.join("vault");
    let vault = new_vault(&home);
    let (github, bank) = github_and_bank();
    let padding: Vec<Token> = (0..60)
        .map(|n| {
            let issuer = format!("Padding {n} {}", "x".repeat(200));
            Token::new(
                issuer,
                format!("pad{n}"),
                Secret::from_bytes(vec![n as u8; 20]).unwrap(),
            )
        })
        .collect();
    put(&vault, vec![github.clone(), bank.clone()]);
    put(&vault, padding);
    let size = std::fs::metadata(vault.file()).unwrap().len();
    assert!(
        size > 24 * 1024,
        "the vault should span several pages: {size}"
    );
    std::fs::write(dir.join("spacer"), [0u8; 16384]).unwrap();
    fill_up(&dir.join("filler"), 1 << 20);
    let before = snapshot(&home);

    // Not a byte free.
    assert_full(&home, &before, (&github, &bank), false);
    // 16 KiB free: the new vault file is cut short by ENOSPC mid-write; the
    // ledger, 12 KiB (a header page and two slots), fits, and a fill leaves
    // the vault file as it was.
    std::fs::remove_file(dir.join("spacer")).unwrap();
    assert_full(&home, &before, (&github, &bank), true);
    let mut host = Host::start(&home, &[]);
    let r = host.answers(&json!({"id": 1, "type": "code", "token": github.id, "for_fill": true}));
    let filled = r["valid_from"].as_u64().unwrap() / 30;
    host.finish();
    let after = snapshot(&home);
    assert_eq!(after.get("factorcat.vault"), before.get("factorcat.vault"));
    assert!(after.contains_key("factorcat.ledger"), "{:?}", after.keys());

    // Space again: the next write works and keeps the old file as `.prev`.
    std::fs::remove_file(dir.join("filler")).unwrap();
    let secret = numbered_secret(7);
    cli_ok(&home, &add_new(&secret));
    assert_eq!(
        Some(&Entry::File(std::fs::read(vault.prev_file()).unwrap())),
        before.get("factorcat.vault")
    );
    let r = cli_ok(&home, &["code", "hotp"]);
    assert_eq!(r.out, format!("{}\n", bank.hotp_code(0)));
    let data = vault.read(&unlock()).unwrap();
    assert_eq!(data.tokens.len(), 63);
    assert_eq!(hotp_counter(&data, bank.id), 1);
    assert_eq!(
        data.fills.get(&github.id),
        Some(&filled),
        "the fill folded in"
    );
    assert!(!home.join("factorcat.ledger").exists());
    assert!(temp_files(&home).is_empty());
}

// ---------------------------------------------------------------------------
// read-only vault directory

/// The vault directory bind-mounted read-only in a private mount namespace
/// (root ignores permission bits, a read-only mount it does not).
#[test]
fn read_only_vault_directory_serves_reads_and_refuses_writes() {
    let root = tempfile::tempdir().unwrap();
    let home = root.path().join("vault");
    let vault = new_vault(&home);
    let (github, bank) = github_and_bank();
    put(&vault, vec![github]);
    put(&vault, vec![bank]);
    let before = snapshot(&home);
    in_mount_namespace(
        "read-only",
        &home,
        r#"mount --bind "$dir" "$dir"; mount -o remount,bind,ro "$dir""#,
    );
    assert_eq!(snapshot(&home), before, "the read-only vault changed");
}

const READ_ONLY: [&str; 2] = ["Read-only file system", "factorcat.lock"];

fn read_only_checks(home: &Path) {
    let err = std::fs::write(home.join("probe"), b"x").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ReadOnlyFilesystem, "{err}");
    let before = snapshot(home);
    let data = vault_at(home).read(&unlock()).unwrap();
    let (github, bank) = (data.tokens[0].clone(), data.tokens[1].clone());

    // Reads.
    let r = cli_ok(home, &["list", "--json"]);
    assert_eq!(r.out.matches("\"id\"").count(), 2, "{r:?}");
    let r = cli_ok(home, &["code", "octocat", "--time", "1700000000"]);
    assert_eq!(r.out, format!("{}\n", github.code_at(1_700_000_000)));
    let r = cli_ok(home, &["match", "https://github.com/login"]);
    assert!(r.out.contains("octocat"), "{r:?}");
    cli_ok(home, &["show", "hotp"]);

    cli_writes_refused(home, &READ_ONLY);

    let mut host = Host::start(home, &[]);
    let r = host.answers(&json!({"id": 1, "type": "hello"}));
    assert_eq!(r["vault"]["state"], "present");
    assert_eq!(host.answers(&json!({"id": 2, "type": "list"}))["total"], 2);
    let r = host.answers(&json!({"id": 3, "type": "match", "url": "https://github.com/login"}));
    assert_eq!(r["autofill_token"], json!(github.id), "{r}");
    let r = host.answers(&json!({"id": 4, "type": "code", "token": github.id}));
    assert_eq!(r["code"], github.code_at(r["valid_from"].as_u64().unwrap()));
    host_writes_refused(&mut host, (&github, &bank), READ_ONLY[0], (true, false));
    assert_eq!(host.answers(&json!({"id": 9, "type": "list"}))["total"], 2);
    host.finish();
    assert_eq!(snapshot(home), before);
}

// ---------------------------------------------------------------------------
// the keyring disappearing

/// A D-Bus bus and a gnome-keyring of the test's own: no service files (so
/// nothing restarts a killed keyring behind the test's back), their own
/// HOME and XDG directories. Killing them disturbs no other test. Dropping
/// it stops both and empties the kernel key cache of the vault.
struct PrivateKeyring {
    root: tempfile::TempDir,
    address: String,
    bus: Child,
    daemon: Option<Child>,
    vault_id: Option<String>,
}

const KEYRING_PASSWORD: &str = "private-keyring";
const SECRETS_NAME: &str = "org.freedesktop.secrets";

impl PrivateKeyring {
    fn start() -> PrivateKeyring {
        let root = tempfile::tempdir().unwrap();
        for sub in ["home", "data", "run"] {
            std::fs::create_dir(root.path().join(sub)).unwrap();
        }
        std::fs::set_permissions(
            root.path().join("run"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        let socket = root.path().join("bus");
        let config = format!(
            r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
            socket.display()
        );
        let config_file = root.path().join("bus.conf");
        std::fs::write(&config_file, config).unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config_file.display()))
            .args(["--nofork", "--print-address=1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (package dbus) must be installed");
        // The address is printed once the bus listens.
        let mut line = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(
            line.starts_with("unix:"),
            "dbus-daemon did not start: {line:?}"
        );
        let mut keyring = PrivateKeyring {
            root,
            address: line.trim().to_string(),
            bus,
            daemon: None,
            vault_id: None,
        };
        keyring.start_daemon();
        keyring
    }

    fn env(&self, command: &mut Command) {
        let dir = self.root.path();
        command
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", dir.join("home"))
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_RUNTIME_DIR", dir.join("run"));
    }

    fn vault_dir(&self) -> PathBuf {
        self.root.path().join("vault")
    }

    /// The CLI on the vault, keyring only (no passphrase), with or without
    /// the kernel key cache.
    fn cli(&self, cache: bool, args: &[&str]) -> Ran {
        let mut command = factorcat(&self.vault_dir());
        self.env(&mut command);
        command.env_remove("FACTORCAT_PASSPHRASE").args(args);
        if cache {
            command.env_remove("FACTORCAT_NO_KEY_CACHE");
        }
        ran(command.output().unwrap())
    }

    fn host(&self, cache: bool) -> Host {
        let dir = self.root.path();
        let home = dir.join("home");
        let data = dir.join("data");
        let run = dir.join("run");
        Host::start(
            &self.vault_dir(),
            &[
                ("FACTORCAT_PASSPHRASE", None),
                ("FACTORCAT_NO_KEY_CACHE", (!cache).then_some("1")),
                ("DBUS_SESSION_BUS_ADDRESS", Some(&self.address)),
                ("HOME", home.to_str()),
                ("XDG_DATA_HOME", data.to_str()),
                ("XDG_RUNTIME_DIR", run.to_str()),
            ],
        )
    }

    /// Whether the Secret Service name has an owner on the bus.
    fn served(&self) -> bool {
        let mut command = Command::new("dbus-send");
        self.env(&mut command);
        let out = command
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
            ])
            .arg(format!("string:{SECRETS_NAME}"))
            .output()
            .expect("dbus-send (package dbus) must be installed");
        assert!(out.status.success(), "{out:?}");
        String::from_utf8_lossy(&out.stdout).contains("boolean true")
    }

    fn wait_served(&self, served: bool) {
        let deadline = Instant::now() + WAIT;
        while self.served() != served {
            assert!(
                Instant::now() < deadline,
                "the Secret Service never became {served}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Starts gnome-keyring-daemon and unlocks its login keyring (created
    /// the first time) with [`KEYRING_PASSWORD`].
    fn start_daemon(&mut self) {
        let mut command = Command::new("gnome-keyring-daemon");
        self.env(&mut command);
        let mut daemon = command
            .args(["--foreground", "--components=secrets", "--unlock"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (package gnome-keyring) must be installed");
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(KEYRING_PASSWORD.as_bytes()).unwrap();
        drop(stdin);
        self.daemon = Some(daemon);
        self.wait_served(true);
    }

    /// SIGKILL to the keyring daemon; returns once the bus has noticed.
    fn kill_daemon(&mut self) {
        let mut daemon = self.daemon.take().expect("a running keyring");
        daemon.kill().unwrap();
        daemon.wait().unwrap();
        self.wait_served(false);
    }

    /// Locks the login collection, as a screen lock or `secret-tool lock` would.
    fn lock(&self) {
        let mut command = Command::new("dbus-send");
        self.env(&mut command);
        let out = command
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.secrets",
                "/org/freedesktop/secrets",
                "org.freedesktop.Secret.Service.Lock",
                "array:objpath:/org/freedesktop/secrets/collection/login",
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        if let Some(id) = &self.vault_id {
            factorcat::keystore::cache_drop(id);
        }
    }
}

/// Changes the vault file's times (not its bytes), so a running host must
/// unlock again instead of answering from the contents it keeps.
fn touch(file: &Path) {
    std::fs::File::options()
        .write(true)
        .open(file)
        .unwrap()
        .set_modified(std::time::SystemTime::now())
        .unwrap();
}

const UNAVAILABLE: [&str; 2] = [
    "the OS keyring is unavailable",
    "gnome-keyring-daemon --start",
];
const LOCKED: [&str; 2] = ["the OS keyring is locked", "gnome-keyring-daemon --unlock"];
/// The vault of these tests has no passphrase slot: no message may advise one.
const NEVER_ADVISED: &str = "FACTORCAT_PASSPHRASE";

/// Every unlocking request on `host` fails with `code` and its advice, and
/// the connection still answers.
fn host_refuses_all(host: &mut Host, ids: &BTreeMap<String, Value>, code: &str, words: &[&str]) {
    let (github, bank) = (&ids["octocat"], &ids["hotp"]);
    for request in [
        json!({"id": 20, "type": "list"}),
        json!({"id": 21, "type": "match", "url": "https://github.com/login"}),
        json!({"id": 22, "type": "code", "token": github}),
        json!({"id": 23, "type": "code", "token": github, "for_fill": true}),
        json!({"id": 24, "type": "code", "token": bank}),
        json!({"id": 25, "type": "add", "issuer": "New", "account": "new",
               "secret": numbered_secret(9)}),
    ] {
        let message = host.refused(&request, code);
        for word in words {
            assert!(
                message.contains(word),
                "{request}: {word:?} not in {message}"
            );
        }
        assert!(!message.contains(NEVER_ADVISED), "{request}: {message}");
    }
    let hello = host.answers(&json!({"id": 26, "type": "hello"}));
    assert_eq!(hello["vault"]["state"], "present", "{hello}");
}

/// The CLI refuses every command that needs the key with exit status 5.
fn cli_refuses_all(keyring: &PrivateKeyring, cache: bool, words: &[&str]) {
    let secret = numbered_secret(9);
    for args in [
        &["list"][..],
        &["code", "octocat"],
        &["code", "hotp"],
        &add_new(&secret),
    ] {
        let r = keyring.cli(cache, args);
        assert_eq!(r.status, 5, "{args:?}: {r:?}");
        assert!(r.out.is_empty(), "{args:?}: {r:?}");
        for word in words {
            assert!(r.err.contains(word), "{args:?}: {word:?} not in {r:?}");
        }
        assert!(!r.err.contains(NEVER_ADVISED), "{args:?}: {r:?}");
    }
}

/// An HOTP code from the host: the one for the next counter value.
fn spent(reply: &Value, bank: &Token, counter: &mut u64) {
    assert_eq!(reply["counter"], *counter, "{reply}");
    assert_eq!(reply["code"], bank.hotp_code(*counter), "{reply}");
    *counter += 1;
}

/// The keyring killed and locked under a running host and the CLI, with and
/// without the kernel key cache, and brought back.
#[test]
fn keyring_loss_mid_session_is_reported_and_recovered() {
    if std::env::var_os("FACTORCAT_SKIP_KEYRING_TESTS").is_some_and(|v| v == "1") {
        return;
    }
    let mut keyring = PrivateKeyring::start();
    let home = keyring.vault_dir();
    let file = vault_at(&home).file();
    let (github, bank) = github_and_bank();
    let ok = |r: Ran| assert_eq!(r.status, 0, "{r:?}");
    ok(keyring.cli(false, &["init"]));
    keyring.vault_id = Some(vault_at(&home).id().unwrap().to_string());
    let vault_id = keyring.vault_id.clone().unwrap();
    ok(keyring.cli(
        false,
        &[
            "add",
            "--issuer",
            "GitHub",
            "--account",
            "octocat",
            "--secret",
            GITHUB_SECRET,
            "--site",
            "github.com",
        ],
    ));
    ok(keyring.cli(
        false,
        &[
            "add",
            "--issuer",
            "Bank",
            "--account",
            "hotp",
            "--secret",
            BANK_SECRET,
            "--hotp",
            "--counter",
            "0",
        ],
    ));
    assert!(
        factorcat::keystore::cache_get(&vault_id).is_none(),
        "cached despite FACTORCAT_NO_KEY_CACHE=1"
    );
    let mut counter = 0;

    // Without the key cache: the keyring dies under a running host.
    let mut host = keyring.host(false);
    let listed = host.answers(&json!({"id": 1, "type": "list"}));
    let ids: BTreeMap<String, Value> = listed["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["account"].as_str().unwrap().to_string(), t["id"].clone()))
        .collect();
    spent(
        &host.answers(&json!({"id": 2, "type": "code", "token": ids["hotp"]})),
        &bank,
        &mut counter,
    );
    let before = std::fs::read(&file).unwrap();
    keyring.kill_daemon();
    touch(&file);
    host_refuses_all(&mut host, &ids, "keyring_unavailable", &UNAVAILABLE);
    cli_refuses_all(&keyring, false, &UNAVAILABLE);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "written without a key"
    );

    // It comes back: the same connection works again, no counter was spent.
    keyring.start_daemon();
    assert_eq!(host.answers(&json!({"id": 3, "type": "list"}))["total"], 2);
    spent(
        &host.answers(&json!({"id": 4, "type": "code", "token": ids["hotp"]})),
        &bank,
        &mut counter,
    );

    // The login collection locked under the host.
    keyring.lock();
    touch(&file);
    let before = std::fs::read(&file).unwrap();
    host_refuses_all(&mut host, &ids, "keyring_locked", &LOCKED);
    cli_refuses_all(&keyring, false, &LOCKED);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "written without a key"
    );
    // Unlocked again (a restart with the login password, as at a login).
    keyring.kill_daemon();
    keyring.start_daemon();
    spent(
        &host.answers(&json!({"id": 5, "type": "code", "token": ids["hotp"]})),
        &bank,
        &mut counter,
    );
    host.finish();

    // With the kernel key cache (the default): documented to keep working
    // until the cached key expires or is forgotten.
    let r = keyring.cli(true, &["code", "octocat", "--time", "1700000000"]);
    assert_eq!(
        r.out,
        format!("{}\n", github.code_at(1_700_000_000)),
        "{r:?}"
    );
    let cached = factorcat::keystore::cache_get(&vault_id).is_some();
    let mut host = keyring.host(true);
    assert_eq!(host.answers(&json!({"id": 6, "type": "list"}))["total"], 2);
    keyring.kill_daemon();
    touch(&file);
    if cached {
        assert_eq!(host.answers(&json!({"id": 7, "type": "list"}))["total"], 2);
        spent(
            &host.answers(&json!({"id": 8, "type": "code", "token": ids["hotp"]})),
            &bank,
            &mut counter,
        );
        let r = keyring.cli(true, &["code", "hotp"]);
        assert_eq!(r.out, format!("{}\n", bank.hotp_code(counter)), "{r:?}");
        counter += 1;
        let secret = numbered_secret(10);
        ok(keyring.cli(
            true,
            &[
                "add",
                "--issuer",
                "New",
                "--account",
                "cached",
                "--secret",
                &secret,
            ],
        ));
        // Without the cache the same vault is refused.
        cli_refuses_all(&keyring, false, &UNAVAILABLE);
        // Forgotten, the cached key is gone like the keyring.
        vault_at(&home).forget_cached_key().unwrap();
        assert!(factorcat::keystore::cache_get(&vault_id).is_none());
    } else {
        eprintln!("no kernel keyring here: the cache case behaves as without it");
    }
    touch(&file);
    let before = std::fs::read(&file).unwrap();
    host_refuses_all(&mut host, &ids, "keyring_unavailable", &UNAVAILABLE);
    cli_refuses_all(&keyring, true, &UNAVAILABLE);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "written without a key"
    );

    keyring.start_daemon();
    let listed = host.answers(&json!({"id": 9, "type": "list"}));
    assert_eq!(listed["total"], if cached { 3 } else { 2 });
    spent(
        &host.answers(&json!({"id": 10, "type": "code", "token": ids["hotp"]})),
        &bank,
        &mut counter,
    );
    host.finish();
    let r = keyring.cli(true, &["code", "hotp"]);
    assert_eq!(r.out, format!("{}\n", bank.hotp_code(counter)), "{r:?}");

    // The keyring stays, but the vault's entry in it is deleted.
    let mut host = keyring.host(false);
    let mut clear = Command::new("secret-tool");
    keyring.env(&mut clear);
    let out = clear
        .args(["clear", "service", "factorcat", "username", &vault_id])
        .output()
        .expect("secret-tool (package libsecret-tools) must be installed");
    assert!(out.status.success(), "{out:?}");
    vault_at(&home).forget_cached_key().unwrap();
    touch(&file);
    let before = std::fs::read(&file).unwrap();
    let missing = [
        "holds no key for this vault",
        "the vault has no passphrase slot",
    ];
    host_refuses_all(&mut host, &ids, "keyring_entry_missing", &missing);
    host.finish();
    cli_refuses_all(&keyring, true, &missing);
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "written without a key"
    );
}
