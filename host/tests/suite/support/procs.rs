//! The real `factorcat` binary as other processes: a native-messaging host
//! started the way Chromium and Firefox start it (speaking length-prefixed
//! JSON frames over its stdin/stdout), and the command line; plus a vault
//! whose key lives in the Secret Service of the surrounding D-Bus session.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use factorcat::extension_ids::{
    development_chromium_id as chromium_id, firefox_addon_id as firefox_id,
};
use factorcat::vault::{CreateOptions, Unlock, Vault, VaultData, VaultError};
use serde_json::Value;

use crate::support::keyring::KeyringCleanup;

/// How a browser starts the host (docs/protocol.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    /// `chrome-extension://<id>/`.
    Chromium,
    /// The origin followed by flags Chromium adds on some platforms.
    ChromiumWithFlags,
    /// The manifest's absolute path, then the add-on id.
    Firefox,
}

impl Browser {
    /// All three conventions, for round-robin use.
    pub const ALL: [Browser; 3] = [
        Browser::Chromium,
        Browser::Firefox,
        Browser::ChromiumWithFlags,
    ];

    fn args(self, dir: &Path) -> Vec<String> {
        let origin = format!("chrome-extension://{}/", chromium_id());
        match self {
            Browser::Chromium => vec![origin],
            Browser::ChromiumWithFlags => vec![
                origin,
                "--parent-window=0".into(),
                "--native-messaging-connect-id=7".into(),
            ],
            Browser::Firefox => vec![
                dir.join("app.factorcat.json").display().to_string(),
                firefox_id().into(),
            ],
        }
    }
}

/// Seconds since the Unix epoch, as the host's clock reads them.
pub fn wall_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// One request's timing as the caller saw it: monotonic instants for
/// ordering operations of different processes, wall-clock seconds for
/// comparing with the times in replies.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Just before the request was written.
    pub sent: Instant,
    /// Just after the reply was read.
    pub acked: Instant,
    /// Wall clock (whole seconds, rounded down) when sent.
    pub sent_wall: u64,
    /// Wall clock (whole seconds, rounded down) when the reply was read.
    pub acked_wall: u64,
}

impl Timing {
    /// Runs `f`, timing it.
    pub fn of<T>(f: impl FnOnce() -> T) -> (T, Timing) {
        let sent_wall = wall_secs();
        let sent = Instant::now();
        let value = f();
        let acked = Instant::now();
        let acked_wall = wall_secs();
        (
            value,
            Timing {
                sent,
                acked,
                sent_wall,
                acked_wall,
            },
        )
    }
}

/// A running native host.
pub struct Host {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    /// Drains stderr as it comes (a host logs a line per failed request, so
    /// an unread pipe would fill and stall it) and returns it at the end.
    stderr: Option<JoinHandle<String>>,
}

impl Host {
    /// Starts the binary with `browser`'s arguments on the vault in `home`,
    /// with nothing of the caller's environment that could change what it
    /// does but `env`.
    pub fn start(browser: Browser, home: &Path, env: &[(&str, &str)]) -> Host {
        let mut command = Command::new(env!("CARGO_BIN_EXE_factorcat"));
        command
            .args(browser.args(home))
            .env("FACTORCAT_HOME", home)
            .env_remove("FACTORCAT_EXTRA_EXTENSION_IDS")
            .env_remove("FACTORCAT_PASSPHRASE")
            .env_remove("FACTORCAT_NO_KEY_CACHE")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .current_dir(home);
        let mut child = command.spawn().expect("the host starts");
        let mut err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = err.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        });
        Host {
            stdin: child.stdin.take(),
            stdout: BufReader::with_capacity(1 << 16, child.stdout.take().unwrap()),
            stderr: Some(stderr),
            child,
        }
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Writes one frame (native-endian length, then `body`) in one write.
    pub fn send(&mut self, body: &[u8]) {
        let mut frame = Vec::with_capacity(body.len() + 4);
        frame.extend_from_slice(&u32::try_from(body.len()).unwrap().to_ne_bytes());
        frame.extend_from_slice(body);
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(&frame).expect("the host reads its input");
    }

    /// The body of the next frame, or `None` at the end of output.
    pub fn recv(&mut self) -> Option<Vec<u8>> {
        let mut header = [0u8; 4];
        self.stdout.read_exact(&mut header).ok()?;
        let len = u32::from_ne_bytes(header) as usize;
        assert!(len <= 1 << 20, "a reply of {len} bytes is over 1 MiB");
        let mut body = vec![0u8; len];
        self.stdout
            .read_exact(&mut body)
            .expect("a whole reply frame");
        Some(body)
    }

    /// Sends `request` and returns its reply as JSON.
    pub fn request(&mut self, request: &Value) -> Value {
        self.send(request.to_string().as_bytes());
        let body = self.recv().expect("a reply");
        serde_json::from_slice(&body).expect("replies are JSON")
    }

    /// [`Host::request`], timed.
    pub fn timed(&mut self, request: &Value) -> (Value, Timing) {
        Timing::of(|| self.request(request))
    }

    /// Closes stdin, waits (at most 30 s) for the exit, and returns the
    /// status and all of stderr. Leftover output is an error.
    pub fn finish(mut self) -> (ExitStatus, String) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the host did not exit within 30 s of its input closing");
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let mut rest = Vec::new();
        self.stdout.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty(), "output after the last reply: {rest:?}");
        let stderr = self.stderr.take().unwrap().join().unwrap();
        (status, stderr)
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        // Only reached with the host still running when a test fails.
        if self.stderr.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs the command line on the vault in `home` with `env` and no stdin.
pub fn cli(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_factorcat"))
        .args(args)
        .env("FACTORCAT_HOME", home)
        .env_remove("FACTORCAT_PASSPHRASE")
        .env_remove("FACTORCAT_NO_KEY_CACHE")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the command line starts")
}

/// Resident and peak memory of a process, from `/proc/<pid>/status`.
#[derive(Clone, Copy, Debug)]
pub struct Memory {
    /// `VmRSS`, KiB.
    pub rss_kib: u64,
    /// `VmHWM` (the peak of `VmRSS`), KiB.
    pub hwm_kib: u64,
}

/// The memory of process `pid`, or `None` if it cannot be read.
pub fn memory(pid: u32) -> Option<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// A vault in a temporary directory whose only slot is the OS keyring, as
/// `factorcat add` creates it. Its keyring entry and cached key are deleted
/// when it is dropped.
pub struct KeyringVault {
    dir: tempfile::TempDir,
    _cleanup: KeyringCleanup,
}

impl KeyringVault {
    /// Creates the vault holding `data`'s tokens and fills.
    pub fn create(data: VaultData) -> KeyringVault {
        let dir = tempfile::tempdir().unwrap();
        let vault = Vault::at(dir.path());
        vault
            .create(&CreateOptions {
                keyring: true,
                passphrase: None,
            })
            .expect("a keyring vault (is the Secret Service unlocked?)");
        let id = vault.id().unwrap().to_string();
        let made = KeyringVault {
            dir,
            _cleanup: KeyringCleanup(id),
        };
        vault
            .update(&Unlock::default(), |d: &mut VaultData| {
                *d = data;
                Ok::<_, VaultError>(())
            })
            .unwrap();
        made
    }

    /// The vault directory (`FACTORCAT_HOME`).
    pub fn home(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    /// The current contents, read with the keyring.
    pub fn read(&self) -> VaultData {
        Vault::at(self.dir.path())
            .read(&Unlock::default())
            .expect("the vault opens")
    }
}
