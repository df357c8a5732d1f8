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

const CHROMIUM_ID: &str = "fkkmckeddmomgnfpeohhajmdaoagdlbe";
const FIREFOX_ID: &str = "factorcat@factorcat.app";

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
        Browser::Firefox => FIREFOX_ID,
        _ => CHROMIUM_ID,
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
        assert_eq!(r["protocol"], 1);
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
        (Browser::Firefox, CHROMIUM_ID),
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
fn corpus_body(text: &str) -> Vec<u8> {
    if let Some(n) = text
        .strip_prefix("<NEST:")
        .and_then(|r| r.strip_suffix('>'))
    {
        let n: usize = n.parse().unwrap();
        return format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
    }
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 4;
        } else if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'n') {
            out.push(b'\n');
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

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
