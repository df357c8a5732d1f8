//! The built `factorcat` binary as a native-messaging host, started exactly
//! as Chromium and Firefox start it, speaking frames over its stdin/stdout.
//!
//! Modules of this file:
//! * `start`/`Host`: spawning with each browser's argument convention;
//! * callers: allowed, foreign and development ids;
//! * framing: one-shot, many requests, bad input, oversized and cut frames.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How a browser starts the host.
#[derive(Clone, Copy, Debug)]
enum Browser {
    Chromium,
    /// Chromium on Windows adds `--parent-window`; unknown flags are ignored.
    ChromiumWithFlags,
    Firefox,
}

struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: ChildStdout,
}

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn args_for(browser: Browser, id: &str, dir: &Path) -> Vec<String> {
    match browser {
        Browser::Chromium => vec![format!("chrome-extension://{id}/")],
        Browser::ChromiumWithFlags => vec![
            format!("chrome-extension://{id}/"),
            "--parent-window=0".into(),
            "--native-messaging-connect-id=abc".into(),
        ],
        Browser::Firefox => vec![
            dir.join("app.factorcat.json").display().to_string(),
            id.to_string(),
        ],
    }
}

fn start_as(browser: Browser, id: &str, home: &Path, env: &[(&str, &str)]) -> Host {
    let mut command = Command::new(env!("CARGO_BIN_EXE_factorcat"));
    command
        .args(args_for(browser, id, home))
        .env("FACTORCAT_HOME", home)
        .env_remove("FACTORCAT_EXTRA_EXTENSION_IDS")
        .env_remove("FACTORCAT_PASSPHRASE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .current_dir(home);
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    Host {
        stdin: child.stdin.take(),
        stdout: child.stdout.take().unwrap(),
        child,
    }
}

fn start(browser: Browser, home: &Path) -> Host {
    let id = match browser {
        Browser::Firefox => firefox_id(),
        _ => chromium_id(),
    };
    start_as(browser, id, home, &[])
}

impl Host {
    fn send_raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        // The host may already have exited (e.g. after an oversized frame).
        let _ = stdin.write_all(bytes);
        let _ = stdin.flush();
    }

    fn send(&mut self, body: &[u8]) {
        let mut frame = (body.len() as u32).to_ne_bytes().to_vec();
        frame.extend_from_slice(body);
        self.send_raw(&frame);
    }

    fn request(&mut self, request: &Value) -> Value {
        self.send(request.to_string().as_bytes());
        self.recv().expect("a reply")
    }

    /// One frame, or `None` at end of output.
    fn recv(&mut self) -> Option<Value> {
        let mut header = [0u8; 4];
        if self.stdout.read_exact(&mut header).is_err() {
            return None;
        }
        let len = u32::from_ne_bytes(header) as usize;
        assert!(len <= 1 << 20, "reply of {len} bytes");
        let mut body = vec![0u8; len];
        self.stdout.read_exact(&mut body).unwrap();
        Some(serde_json::from_slice(&body).expect("replies are JSON"))
    }

    /// Closes stdin and waits (at most 10 s) for the exit; returns the status,
    /// whatever was left on stdout, and stderr.
    fn finish(mut self) -> (ExitStatus, Vec<u8>, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                self.child.kill().unwrap();
                panic!("the host did not exit within 10 s of its input closing");
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let mut rest = Vec::new();
        self.stdout.read_to_end(&mut rest).unwrap();
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut stderr).unwrap();
        }
        (status, rest, stderr)
    }
}

const ALL: [Browser; 3] = [
    Browser::Chromium,
    Browser::ChromiumWithFlags,
    Browser::Firefox,
];

#[test]
fn hello_over_each_browser_convention() {
    for browser in ALL {
        let home = home();
        let mut host = start(browser, home.path());
        let r = host.request(&json!({"id": 1, "type": "hello", "protocol": 1}));
        assert_eq!(r["ok"], true, "{browser:?}: {r}");
        assert_eq!(r["id"], 1);
        assert_eq!(r["protocol"], factorcat::protocol::PROTOCOL_VERSION);
        assert_eq!(r["vault"]["state"], "missing", "{browser:?}");
        let (status, rest, _) = host.finish();
        assert!(status.success(), "{browser:?}: {status}");
        assert!(rest.is_empty(), "stdout carries frames only");
    }
}

#[test]
fn one_shot_like_send_native_message() {
    let home = home();
    let mut host = start(Browser::Chromium, home.path());
    host.send(br#"{"id":5,"type":"hello"}"#);
    drop(host.stdin.take());
    let r = host.recv().unwrap();
    assert_eq!(r["id"], 5);
    let (status, rest, _) = host.finish();
    assert!(status.success());
    assert!(rest.is_empty());
}

#[test]
fn exits_promptly_on_eof_without_any_request() {
    let home = home();
    let host = start(Browser::Firefox, home.path());
    let started = Instant::now();
    let (status, rest, _) = host.finish();
    assert!(status.success());
    assert!(rest.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn foreign_callers_get_one_error_and_the_host_exits() {
    for (browser, id) in [
        (Browser::Chromium, "abcdefghijklmnopabcdefghijklmnop"),
        (
            Browser::ChromiumWithFlags,
            "abcdefghijklmnopabcdefghijklmnop",
        ),
        (Browser::Firefox, "evil@example.org"),
        (Browser::Firefox, chromium_id()),
    ] {
        let home = home();
        let mut host = start_as(browser, id, home.path(), &[]);
        let r = host.recv().expect("an error frame");
        assert_eq!(r["ok"], false);
        assert_eq!(r["id"], Value::Null);
        assert_eq!(r["error"]["code"], "forbidden_caller");
        assert!(host.recv().is_none(), "exactly one frame");
        let (status, _, _) = host.finish();
        assert_eq!(status.code(), Some(1), "{browser:?} {id}");
    }
}

#[test]
fn development_ids_from_the_environment() {
    let home = home();
    let dev = "ponmlkjihgfedcbaponmlkjihgfedcba";
    let mut host = start_as(
        Browser::Chromium,
        dev,
        home.path(),
        &[(
            "FACTORCAT_EXTRA_EXTENSION_IDS",
            "dev@factorcat.app, ponmlkjihgfedcbaponmlkjihgfedcba",
        )],
    );
    let r = host.request(&json!({"id": 1, "type": "hello"}));
    assert_eq!(r["ok"], true);
    assert!(host.finish().0.success());
}

/// Decodes the corpus notation shared with the unit tests.
/// The text forms of a secret.
use crate::support::corpus::corpus_body;
use crate::support::secrets;
use factorcat::extension_ids::{
    development_chromium_id as chromium_id, firefox_addon_id as firefox_id,
};

fn corpus() -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(data_dir().join("bad_requests.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (code, body) = l.split_once('\t').unwrap();
            (code.to_string(), corpus_body(body))
        })
        .collect()
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[test]
fn bad_inputs_get_errors_and_the_connection_goes_on() {
    for browser in [Browser::Chromium, Browser::Firefox] {
        let home = home();
        let mut host = start(browser, home.path());
        let corpus = corpus();
        assert!(corpus.len() >= 40);
        for (i, (code, body)) in corpus.iter().enumerate() {
            host.send(body);
            let r = host.recv().expect("a reply to every bad request");
            assert_eq!(r["ok"], false);
            assert_eq!(r["error"]["code"], code.as_str(), "{browser:?}: {body:?}");
            // The next good request is served.
            let r = host.request(&json!({"id": i, "type": "hello"}));
            assert_eq!(r["ok"], true);
            assert_eq!(r["id"], i);
        }
        let (status, rest, _) = host.finish();
        assert!(status.success());
        assert!(rest.is_empty());
    }
}

#[test]
fn oversized_length_gets_one_error_then_exit() {
    for len in [(1u32 << 20) + 1, u32::MAX] {
        let home = home();
        let mut host = start(Browser::Chromium, home.path());
        let r = host.request(&json!({"id": 1, "type": "hello"}));
        assert_eq!(r["ok"], true);
        host.send_raw(&len.to_ne_bytes());
        let r = host.recv().expect("an error frame");
        assert_eq!(r["id"], Value::Null);
        assert_eq!(r["error"]["code"], "frame_too_large");
        assert!(host.recv().is_none());
        let (status, _, _) = host.finish();
        assert_eq!(status.code(), Some(1));
    }
}

#[test]
fn a_request_of_exactly_one_mebibyte_is_read() {
    let home = home();
    let mut host = start(Browser::Firefox, home.path());
    let head = br#"{"id":3,"type":"hello","pad":""#;
    let tail = br#""}"#;
    let mut body = head.to_vec();
    body.resize((1 << 20) - tail.len(), b'x');
    body.extend_from_slice(tail);
    host.send(&body);
    let r = host.recv().unwrap();
    assert_eq!(r["id"], 3);
    assert_eq!(r["ok"], true);
    assert!(host.finish().0.success());
}

#[test]
fn truncated_frames_end_the_session_cleanly() {
    for cut in [vec![7u8], vec![7, 0, 0], {
        let mut v = 50u32.to_ne_bytes().to_vec();
        v.extend_from_slice(br#"{"id":1,"#);
        v
    }] {
        let home = home();
        let mut host = start(Browser::Chromium, home.path());
        host.send_raw(&cut);
        let (status, rest, _) = host.finish();
        assert!(status.success(), "{cut:?}");
        assert!(rest.is_empty(), "{cut:?}");
    }
}

#[test]
fn token_operations_without_a_vault_say_so() {
    let home = home();
    let mut host = start(Browser::Chromium, home.path());
    let id = "0b8e0d6c-3f55-4b8e-9a57-4c0f1f6f3c11";
    for request in [
        json!({"id": 1, "type": "list"}),
        json!({"id": 2, "type": "match", "url": "https://github.com/"}),
        json!({"id": 3, "type": "code", "token": id}),
        json!({"id": 4, "type": "code", "token": id, "for_fill": true}),
        json!({"id": 5, "type": "enroll_codes", "token": id}),
        json!({"id": 6, "type": "remove", "token": id}),
        json!({"id": 7, "type": "update", "token": id, "pinned": true}),
        json!({"id": 8, "type": "add", "issuer": "GitHub", "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}),
    ] {
        let r = host.request(&request);
        assert_eq!(r["id"], request["id"]);
        assert_eq!(r["error"]["code"], "vault_missing", "{request} -> {r}");
        assert!(!r.to_string().contains("JBSWY3DP"));
    }
    let (status, _, stderr) = host.finish();
    assert!(status.success());
    assert!(!stderr.contains("JBSWY3DP"));
    assert!(
        std::fs::read_dir(home.path()).unwrap().next().is_none(),
        "nothing was written"
    );
}

// ---------------------------------------------------------------------------
// With a vault: a passphrase vault in a temporary FACTORCAT_HOME, so no
// keyring is needed.

mod with_vault {
    use super::*;
    use factorcat::secret::Secret;
    use factorcat::token::{AwsContext, Kind, Partition, Token};
    use factorcat::vault::{CreateOptions, KdfParams, Unlock, Vault, VaultData, VaultError};
    use zeroize::Zeroizing;

    const PASSPHRASE: &str = "correct horse battery staple";
    const SECRETS: [&str; 4] = [
        "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U",
        "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA",
    ];

    fn vault_at(home: &Path) -> Vault {
        Vault::at(home).with_key_cache(false)
    }

    /// A vault with an AWS device, a GitHub token, a GovCloud device and an
    /// HOTP token, in that order.
    fn seeded() -> (tempfile::TempDir, Vec<Token>) {
        let home = home();
        let vault = vault_at(home.path());
        let options = CreateOptions {
            keyring: false,
            passphrase: Some(Zeroizing::new(PASSPHRASE.to_string())),
        };
        let cheap = KdfParams {
            m_kib: 64,
            t: 1,
            p: 1,
        };
        vault.create_with_kdf(&options, cheap).unwrap();
        let secret = |i: usize| Secret::from_base32(SECRETS[i]).unwrap();
        let mut aws = Token::new("Amazon Web Services", "alice-phone@123456789012", secret(0));
        aws.aws = Some(AwsContext {
            account_id: Some("123456789012".into()),
            account_alias: Some("example-corp".into()),
            user: Some("alice".into()),
            partition: Partition::Aws,
            ..AwsContext::default()
        });
        let github = Token::new("GitHub", "alice", secret(1));
        let mut gov = Token::new("Amazon Web Services", "alice@123456789012", secret(2));
        gov.aws = Some(AwsContext {
            account_id: Some("123456789012".into()),
            user: Some("alice".into()),
            partition: Partition::AwsUsGov,
            ..AwsContext::default()
        });
        let mut hotp = Token::new("Bank", "alice", secret(3));
        hotp.kind = Kind::Hotp { counter: 0 };
        let tokens = vec![aws, github, gov, hotp];
        let copy = tokens.clone();
        vault
            .update(&Unlock::with_passphrase(PASSPHRASE), |d: &mut VaultData| {
                for t in copy {
                    d.insert(t);
                }
                Ok::<_, VaultError>(())
            })
            .unwrap();
        (home, tokens)
    }

    fn open(browser: Browser, home: &Path) -> Host {
        let id = match browser {
            Browser::Firefox => firefox_id(),
            _ => chromium_id(),
        };
        start_as(
            browser,
            id,
            home,
            &[
                ("FACTORCAT_PASSPHRASE", PASSPHRASE),
                ("FACTORCAT_NO_KEY_CACHE", "1"),
            ],
        )
    }

    /// Waits until the current 30 s window has at least 12 s left, so that
    /// tests about consecutive fills do not straddle a window edge.
    fn wait_for_fresh_window() {
        loop {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs();
            if now % 30 < 18 {
                return;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn stored(home: &Path) -> VaultData {
        vault_at(home)
            .read(&Unlock::with_passphrase(PASSPHRASE))
            .unwrap()
    }

    /// Every reply and all of stderr, checked for secrets at the end.
    struct Transcript(Vec<String>);

    impl Transcript {
        fn call(&mut self, host: &mut Host, request: Value) -> Value {
            let reply = host.request(&request);
            self.0.push(reply.to_string());
            assert_eq!(reply["id"], request["id"], "{reply}");
            reply
        }

        fn ok(&mut self, host: &mut Host, request: Value) -> Value {
            let reply = self.call(host, request.clone());
            assert_eq!(reply["ok"], true, "{request} -> {reply}");
            reply
        }

        fn assert_no_secret(&self) {
            for text in &self.0 {
                for secret in SECRETS {
                    let raw = Secret::from_base32(secret).unwrap();
                    let hex = secrets::hex(raw.expose());
                    for needle in [
                        secret.to_string(),
                        secret.to_ascii_lowercase(),
                        secret[..16].to_string(),
                        hex,
                    ] {
                        assert!(!text.contains(&needle), "a secret leaked: {text}");
                    }
                }
            }
        }
    }

    /// The CLI, as another process, with the same vault.
    fn cli(home: &Path, args: &[&str]) {
        let out = Command::new(env!("CARGO_BIN_EXE_factorcat"))
            .args(args)
            .env("FACTORCAT_HOME", home)
            .env("FACTORCAT_PASSPHRASE", PASSPHRASE)
            .env("FACTORCAT_NO_KEY_CACHE", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "factorcat {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A base32 secret unique to `n`, for tokens added concurrently.
    fn numbered_secret(n: u32) -> String {
        data_encoding::BASE32_NOPAD.encode(&[n.to_be_bytes().as_slice(), &[0x42; 16]].concat())
    }

    #[test]
    fn two_hosts_and_the_cli_writing_at_once_lose_nothing() {
        const EACH: u32 = 12;
        let (home, seeded) = seeded();
        let hotp = seeded[3].id;
        let home_path = home.path().to_path_buf();
        let hosts: Vec<_> = [Browser::Chromium, Browser::Firefox]
            .into_iter()
            .enumerate()
            .map(|(h, browser)| {
                let home = home_path.clone();
                std::thread::spawn(move || {
                    let mut host = open(browser, &home);
                    let mut codes = Vec::new();
                    for i in 0..EACH {
                        let n = (h as u32 + 1) * 1000 + i;
                        let r = host.request(&json!({"id": n, "type": "add",
                            "issuer": format!("Host{h}"), "account": format!("t{i}"),
                            "secret": numbered_secret(n)}));
                        assert_eq!(r["ok"], true, "{r}");
                        let r = host.request(&json!({"id": n, "type": "code", "token": hotp}));
                        assert_eq!(r["ok"], true, "{r}");
                        codes.push(r["code"].as_str().unwrap().to_string());
                    }
                    let (status, _, _) = host.finish();
                    assert!(status.success());
                    codes
                })
            })
            .collect();
        for i in 0..EACH {
            let secret = numbered_secret(i);
            cli(
                home.path(),
                &[
                    "add",
                    "--issuer",
                    "Cli",
                    "--account",
                    &format!("t{i}"),
                    "--secret",
                    &secret,
                ],
            );
        }
        let mut codes: Vec<String> = hosts.into_iter().flat_map(|h| h.join().unwrap()).collect();

        let data = stored(home.path());
        assert_eq!(
            data.tokens.len(),
            4 + 3 * EACH as usize,
            "every committed token is there"
        );
        for prefix in ["Host0", "Host1", "Cli"] {
            let n = data.tokens.iter().filter(|t| t.issuer == prefix).count();
            assert_eq!(n, EACH as usize, "{prefix}");
        }
        let bank = data.get(hotp).unwrap();
        assert_eq!(
            bank.kind,
            Kind::Hotp {
                counter: 2 * EACH as u64
            },
            "one advance per code handed out"
        );
        // Every counter value was handed out exactly once.
        let mut expected: Vec<String> = (0..2 * EACH as u64).map(|c| bank.hotp_code(c)).collect();
        codes.sort();
        expected.sort();
        assert_eq!(codes, expected);
    }

    #[test]
    fn one_connection_sees_writes_by_other_processes() {
        let (home, _) = seeded();
        let mut host = open(Browser::Chromium, home.path());
        let page = json!({"id": 1, "type": "match", "url": "https://login.example.org/2fa"});
        // `list` keeps the decrypted contents; the matches after it use them.
        assert_eq!(host.request(&json!({"id": 2, "type": "list"}))["total"], 4);
        let r = host.request(&page);
        assert_eq!(r["total"], 0, "{r}");
        assert_eq!(host.request(&page)["total"], 0);

        cli(
            home.path(),
            &[
                "add",
                "--issuer",
                "Example",
                "--account",
                "bob",
                "--secret",
                "JBSWY3DPEHPK3PXP",
                "--site",
                "example.org",
            ],
        );
        let r = host.request(&page);
        assert_eq!(r["total"], 1, "the new token is offered at once: {r}");
        let id = r["candidates"][0]["token"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(host.request(&json!({"id": 3, "type": "list"}))["total"], 5);
        assert_eq!(host.request(&page)["total"], 1);

        cli(home.path(), &["remove", "--yes", &id]);
        let r = host.request(&page);
        assert_eq!(r["total"], 0, "the removed token is gone at once: {r}");
        assert_eq!(host.request(&json!({"id": 4, "type": "list"}))["total"], 4);
        let (status, _, _) = host.finish();
        assert!(status.success());
    }

    #[test]
    fn every_operation_over_both_conventions_and_no_secret_in_any_reply() {
        for browser in [Browser::Chromium, Browser::Firefox] {
            let (home, tokens) = seeded();
            let mut log = Transcript(Vec::new());
            let mut host = open(browser, home.path());
            let (aws, github, gov, hotp) = (&tokens[0], &tokens[1], &tokens[2], &tokens[3]);

            let r = log.ok(&mut host, json!({"id": 1, "type": "hello"}));
            assert_eq!(r["vault"]["state"], "present");
            assert_eq!(r["vault"]["passphrase"], true);

            let r = log.ok(&mut host, json!({"id": 2, "type": "list"}));
            assert_eq!(r["total"], 4);
            let now = r["now"].as_u64().unwrap();
            assert_eq!(r["tokens"][1]["code"], github.code_at(now));
            assert_eq!(r["tokens"][3]["code"], Value::Null);

            let r = log.ok(
                &mut host,
                json!({"id": 3, "type": "match",
                       "url": "https://us-east-1.signin.aws.amazon.com/oauth?client_id=x",
                       "hint": {"account": "example-corp", "user": "alice"}}),
            );
            assert_eq!(r["autofill"], true);
            assert_eq!(r["autofill_token"], json!(aws.id));
            assert_eq!(r["total"], 1, "the GovCloud device is not offered: {r}");
            let r = log.ok(
                &mut host,
                json!({"id": 4, "type": "match", "url": "https://123456789012.signin.amazonaws-us-gov.com/console"}),
            );
            assert_eq!(r["autofill_token"], json!(gov.id));

            let r = log.ok(
                &mut host,
                json!({"id": 5, "type": "code", "token": github.id}),
            );
            let from = r["valid_from"].as_u64().unwrap();
            assert_eq!(r["code"], github.code_at(from));
            assert_eq!(r["next"]["code"], github.code_at(from + 30));

            wait_for_fresh_window();
            let first = log.ok(
                &mut host,
                json!({"id": 6, "type": "code", "token": aws.id, "for_fill": true}),
            );
            let second = log.ok(
                &mut host,
                json!({"id": 7, "type": "code", "token": aws.id, "for_fill": true}),
            );
            assert_ne!(
                first["valid_from"], second["valid_from"],
                "never the same step twice"
            );
            assert_ne!(first["code"], second["code"]);
            for r in [&first, &second] {
                let from = r["valid_from"].as_u64().unwrap();
                assert_eq!(r["code"], aws.code_at(from));
            }
            let r = log.call(
                &mut host,
                json!({"id": 8, "type": "code", "token": aws.id, "for_fill": true}),
            );
            assert_eq!(r["error"]["code"], "code_already_used");
            assert!(r["error"]["retry_after"].as_u64().unwrap() >= 1);

            let r = log.ok(
                &mut host,
                json!({"id": 9, "type": "code", "token": hotp.id}),
            );
            assert_eq!(
                (r["code"].clone(), r["counter"].clone()),
                (json!(hotp.hotp_code(0)), json!(0))
            );
            let r = log.ok(
                &mut host,
                json!({"id": 10, "type": "enroll_codes", "token": gov.id}),
            );
            let a = r["codes"][0]["valid_from"].as_u64().unwrap();
            assert_eq!(r["codes"][0]["code"], gov.code_at(a));
            assert_eq!(r["codes"][1]["code"], gov.code_at(a + 30));

            let r = log.ok(
                &mut host,
                json!({"id": 11, "type": "add", "issuer": "GitLab", "account": "alice",
                       "secret": "NBSWY3DPO5XXE3DEEBQWCYLBMFQWC2DP", "sites": ["gitlab.example.com"]}),
            );
            let added = r["token"]["id"].clone();
            let r = log.ok(
                &mut host,
                json!({"id": 12, "type": "add",
                       "uri": "otpauth://totp/Example:bob?secret=ONSWG4TFORZWKY3SMV2HGZLDOJSXI43F&issuer=Example",
                       "tags": ["uri"]}),
            );
            assert_eq!(r["token"]["issuer"], "Example");
            assert_eq!(r["token"]["tags"], json!(["uri"]));
            let r = log.ok(
                &mut host,
                json!({"id": 13, "type": "update", "token": added, "pinned": true, "tags": ["dev"]}),
            );
            assert_eq!(r["token"]["pinned"], true);
            log.ok(
                &mut host,
                json!({"id": 14, "type": "remove", "token": added}),
            );
            let r = log.call(
                &mut host,
                json!({"id": 15, "type": "remove", "token": added}),
            );
            assert_eq!(r["error"]["code"], "unknown_token");

            let (status, rest, stderr) = host.finish();
            assert!(status.success());
            assert!(rest.is_empty());
            log.0.push(stderr);
            log.assert_no_secret();
            for extra in [
                "NBSWY3DPO5XXE3DEEBQWCYLBMFQWC2DP",
                "ONSWG4TFORZWKY3SMV2HGZLDOJSXI43F",
            ] {
                assert!(log.0.iter().all(|t| !t.contains(extra)));
            }

            // What was handed out is remembered in the vault.
            let data = stored(home.path());
            assert_eq!(data.get(hotp.id).unwrap().kind, Kind::Hotp { counter: 1 });
            let second_step = second["valid_from"].as_u64().unwrap() / 30;
            assert_eq!(data.fills.get(&aws.id), Some(&second_step));
            assert_eq!(data.tokens.len(), 5);
            assert!(data.tombstones.iter().any(|t| json!(t.id) == added));
        }
    }

    /// Unix seconds now.
    fn unix_now() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    /// A fill and a measurement of AWS's clock are recorded in the ledger
    /// beside the vault, and the vault file stays byte for byte as it was;
    /// the host's `match` and the command line's `code` read the offset
    /// back from it, and the next write of the whole vault folds it in.
    #[test]
    fn fills_and_clock_offsets_go_to_the_ledger_and_are_read_back() {
        let (home, tokens) = seeded();
        let aws = &tokens[0];
        let vault_file = home.path().join("factorcat.vault");
        let before = std::fs::read(&vault_file).unwrap();
        let page = "https://123456789012.signin.aws.amazon.com/oauth";
        let mut host = open(Browser::Chromium, home.path());
        let r = host.request(&json!({"id": 1, "type": "match", "url": page}));
        assert_eq!(r["clock"], json!({"measure": true, "wait": true}), "{r}");
        // AWS's clock two minutes ahead, as an HTTP Date header says it.
        let now = unix_now();
        let out = Command::new("date")
            .args([
                "-u",
                "-d",
                &format!("@{}", now + 120),
                "+%a, %d %b %Y %H:%M:%S GMT",
            ])
            .output()
            .unwrap();
        let date = String::from_utf8(out.stdout).unwrap();
        let r = host.request(&json!({"id": 2, "type": "clock", "url": page,
            "date": date.trim(), "sent": now * 1000, "received": now * 1000 + 100}));
        assert_eq!(
            (&r["recorded"], &r["offset"]),
            (&json!(true), &json!(120)),
            "{r}"
        );
        assert!(home.path().join("factorcat.ledger").exists());
        let r = host.request(&json!({"id": 3, "type": "match", "url": page}));
        assert_eq!(r["clock"], json!({"measure": false, "wait": false}), "{r}");
        let r = host.request(&json!({"id": 4, "type": "code", "token": aws.id, "for_fill": true}));
        assert_eq!(r["ok"], true, "{r}");
        assert_eq!(r["clock_offset"], 120, "{r}");
        // The step is AWS's; `valid_from` is this computer's time.
        let step = (r["valid_from"].as_u64().unwrap() + 120) / 30;
        let (status, _, _) = host.finish();
        assert!(status.success());
        assert_eq!(
            std::fs::read(&vault_file).unwrap(),
            before,
            "the vault file was written"
        );

        // The command line's code follows AWS's clock, read from the ledger.
        let from = unix_now();
        let out = Command::new(env!("CARGO_BIN_EXE_factorcat"))
            .args(["code", "alice-phone"])
            .env("FACTORCAT_HOME", home.path())
            .env("FACTORCAT_PASSPHRASE", PASSPHRASE)
            .env("FACTORCAT_NO_KEY_CACHE", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let until = unix_now();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed = String::from_utf8(out.stdout).unwrap();
        assert!(
            (from..=until).any(|t| printed.trim() == aws.code_at(t + 120)),
            "{printed} is not AWS's code"
        );

        let data = stored(home.path());
        assert_eq!(data.fills.get(&aws.id), Some(&step));
        assert_eq!(data.clock["aws"].seconds(), 120);
        // A write of the whole vault folds the ledger in and removes it.
        cli(home.path(), &["edit", "GitHub", "--pin"]);
        assert!(!home.path().join("factorcat.ledger").exists());
        let folded = stored(home.path());
        assert_eq!((folded.fills, folded.clock), (data.fills, data.clock));
    }

    #[test]
    fn fills_and_counters_persist_across_host_processes() {
        let (home, tokens) = seeded();
        let (aws, hotp) = (&tokens[0], &tokens[3]);
        let mut seen = Vec::new();
        wait_for_fresh_window();
        for round in 0..2 {
            let mut host = open(Browser::Chromium, home.path());
            let r = host
                .request(&json!({"id": round, "type": "code", "token": aws.id, "for_fill": true}));
            assert_eq!(r["ok"], true, "{r}");
            seen.push(r["valid_from"].clone());
            let r = host.request(&json!({"id": round, "type": "code", "token": hotp.id}));
            assert_eq!(r["counter"], round);
            assert!(host.finish().0.success());
        }
        assert_ne!(
            seen[0], seen[1],
            "a restarted host must not hand out the same code"
        );
    }

    #[test]
    fn bad_inputs_never_write_the_vault() {
        let (home, _) = seeded();
        let file = vault_at(home.path()).file();
        let before = std::fs::read(&file).unwrap();
        let mut host = open(Browser::Firefox, home.path());
        for (code, body) in corpus() {
            host.send(&body);
            let r = host.recv().unwrap();
            assert_eq!(r["error"]["code"], code.as_str());
        }
        let ghost = "0b8e0d6c-3f55-4b8e-9a57-4c0f1f6f3c11";
        for request in [
            json!({"id": 1, "type": "code", "token": ghost, "for_fill": true}),
            json!({"id": 2, "type": "remove", "token": ghost}),
            json!({"id": 3, "type": "update", "token": ghost, "pinned": true}),
            json!({"id": 4, "type": "add", "secret": "not base32"}),
            json!({"id": 5, "type": "add", "uri": "otpauth://totp/x?secret=JBSWY3DP"}),
            json!({"id": 6, "type": "match", "url": "http://github.com/"}),
        ] {
            let r = host.request(&request);
            assert_eq!(r["ok"], false, "{r}");
        }
        assert!(host.finish().0.success());
        assert_eq!(
            std::fs::read(&file).unwrap(),
            before,
            "the vault file changed"
        );
    }

    #[test]
    fn unlock_failures_have_their_codes() {
        let (home, _) = seeded();
        let mut host = start_as(
            Browser::Chromium,
            chromium_id(),
            home.path(),
            &[
                ("FACTORCAT_PASSPHRASE", "wrong"),
                ("FACTORCAT_NO_KEY_CACHE", "1"),
            ],
        );
        let r = host.request(&json!({"id": 1, "type": "list"}));
        assert_eq!(r["error"]["code"], "wrong_passphrase");
        assert!(host.finish().0.success());
        let mut host = start_as(
            Browser::Chromium,
            chromium_id(),
            home.path(),
            &[("FACTORCAT_NO_KEY_CACHE", "1")],
        );
        let r = host.request(&json!({"id": 1, "type": "list"}));
        assert_eq!(r["error"]["code"], "passphrase_required", "{r}");
        assert!(host.finish().0.success());
    }

    /// A file of the import fixtures.
    fn import_fixture(path: &str) -> Vec<u8> {
        std::fs::read(data_dir().join("import").join(path)).unwrap()
    }

    #[test]
    fn import_through_real_frames_writes_once_and_echoes_no_secret() {
        use data_encoding::BASE64;

        let (home, _) = seeded();
        let file = vault_at(home.path()).file();
        let before = std::fs::read(&file).unwrap();
        // Two new tokens, a duplicate of the stored GitHub token and a line
        // that cannot be read.
        let new_secrets = [
            "NBSWY3DPO5XXE3DEEBQWCYLBMFQWC2DP",
            "ONSWG4TFORZWKY3SMV2HGZLDOJSXI43F",
        ];
        let list = format!(
            "otpauth://totp/Example:one?secret={}&issuer=Example\n\
             otpauth://totp/GitHub:again?secret={}&issuer=GitHub\n\
             otpauth://totp/Broken:x?secret=not*base32\n\
             otpauth://totp/Example:two?secret={}&issuer=Example\n",
            new_secrets[0], SECRETS[1], new_secrets[1]
        );
        let list = BASE64.encode(list.as_bytes());
        let aegis = BASE64.encode(&import_fixture("aegis/encrypted_v3.json"));
        let password = String::from_utf8(import_fixture("aegis/password.txt")).unwrap();
        let password = password.trim_end_matches(['\r', '\n']);

        let mut log = Transcript(Vec::new());
        let mut host = open(Browser::Firefox, home.path());
        let r = log.ok(&mut host, json!({"id": 1, "type": "hello"}));
        assert!(
            r["capabilities"]
                .as_array()
                .unwrap()
                .contains(&json!("import"))
        );

        let r = log.ok(
            &mut host,
            json!({"id": 2, "type": "import", "file": list, "skip_bad": true, "dry_run": true}),
        );
        assert_eq!(r["imported"], 2, "{r}");
        assert_eq!(r["duplicates"], 1);
        let r = log.call(&mut host, json!({"id": 3, "type": "import", "file": list}));
        assert_eq!(r["error"]["code"], "import_bad_entries", "{r}");
        assert_eq!(r["error"]["failures"][0]["position"], 3);
        let r = log.call(
            &mut host,
            json!({"id": 4, "type": "import", "file": aegis, "password": "guess"}),
        );
        assert_eq!(r["error"]["code"], "wrong_password", "{r}");
        assert_eq!(std::fs::read(&file).unwrap(), before, "nothing written yet");

        let r = log.ok(
            &mut host,
            json!({"id": 5, "type": "import", "file": list, "skip_bad": true}),
        );
        assert_eq!(r["format"], "otpauth");
        assert_eq!(r["imported"], 2);
        assert_eq!(r["duplicates"], 1);
        assert_eq!(r["failed"][0]["position"], 3);
        let added = r["added"].clone();
        let r = log.ok(
            &mut host,
            json!({"id": 6, "type": "import", "file": aegis, "format": "aegis", "password": password}),
        );
        assert_eq!(r["format"], "aegis");
        let from_aegis = r["imported"].as_u64().unwrap();
        assert!(from_aegis > 0, "{r}");
        let r = log.ok(&mut host, json!({"id": 7, "type": "list", "limit": 500}));
        let (status, rest, stderr) = host.finish();
        assert!(status.success());
        assert!(rest.is_empty());
        log.0.push(stderr);

        let data = stored(home.path());
        assert_eq!(data.tokens.len() as u64, 4 + 2 + from_aegis);
        assert_eq!(r["total"], data.tokens.len());
        for id in added.as_array().unwrap() {
            assert!(data.tokens.iter().any(|t| json!(t.id) == *id));
        }
        // No reply and no log line holds a secret of the vault (the
        // imported ones included) or the export's password.
        log.assert_no_secret();
        for token in &data.tokens {
            let base32 = token.secret.to_base32();
            let hex = secrets::hex(token.secret.expose());
            for text in &log.0 {
                assert!(!text.contains(base32.as_str()), "a secret leaked: {text}");
                assert!(!text.contains(&hex), "a secret leaked: {text}");
            }
        }
        for text in &log.0 {
            assert!(!text.contains(password), "the password leaked: {text}");
            assert!(!text.contains("otpauth://"), "{text}");
        }
    }
}
