//! Running a command in a terminal, as a person at a keyboard does: its
//! standard input, output and error are a pseudo-terminal (made by
//! util-linux `script`, part of every Debian system), so prompts appear and
//! `IsTerminal` is true. Answers are typed only once their question is on
//! the screen, as a person would type them.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a question may take to appear before the test gives up.
const QUESTION_WAIT: Duration = Duration::from_secs(60);

/// What the terminal showed, and how the command ended.
pub struct Screen {
    /// The command's exit code.
    pub code: Option<i32>,
    /// Everything written to the terminal (standard output and error
    /// interleaved, as a person sees them), with `\r\n` as `\n`.
    pub text: String,
}

/// Quotes `arg` for a POSIX shell.
fn quote(arg: &OsStr) -> String {
    format!("'{}'", arg.to_str().unwrap().replace('\'', r"'\''"))
}

/// The screen so far, shared with the thread that reads it.
#[derive(Default)]
struct Shown {
    bytes: Mutex<(Vec<u8>, bool)>,
    changed: Condvar,
}

/// Runs `command` (its program, arguments and environment; its own
/// standard streams are ignored) in a pseudo-terminal. For each
/// `(question, typed)` in turn it waits until `question` appears on the
/// screen after the previous one, then types `typed`.
pub fn run_in_terminal(command: &Command, answers: &[(&str, &str)]) -> Screen {
    let mut line = quote(command.get_program());
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&quote(arg));
    }
    let mut script = Command::new("script");
    // -q: no banner; -e: the command's exit code; -c: the command line;
    // /dev/null: no typescript file.
    script.args(["-q", "-e", "-c", &format!("exec {line}"), "/dev/null"]);
    for (key, value) in command.get_envs() {
        match value {
            Some(v) => script.env(key, v),
            None => script.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        script.current_dir(dir);
    }
    let mut child = script
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("util-linux `script` runs");
    let shown = Arc::new(Shown::default());
    let reader = {
        let shown = Arc::clone(&shown);
        let mut out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = out.read(&mut buf).unwrap_or(0);
                let mut state = shown.bytes.lock().unwrap();
                if n == 0 {
                    state.1 = true;
                } else {
                    state.0.extend_from_slice(&buf[..n]);
                }
                shown.changed.notify_all();
                if n == 0 {
                    return;
                }
            }
        })
    };
    let mut keyboard = child.stdin.take().unwrap();
    let mut seen = 0;
    for (question, typed) in answers {
        let deadline = Instant::now() + QUESTION_WAIT;
        let mut state = shown.bytes.lock().unwrap();
        loop {
            let found = state.0[seen..]
                .windows(question.len())
                .position(|w| w == question.as_bytes());
            if let Some(at) = found {
                seen += at + question.len();
                break;
            }
            let now = Instant::now();
            assert!(
                !state.1 && now < deadline,
                "{question:?} did not appear; the screen:\n{}",
                String::from_utf8_lossy(&state.0)
            );
            state = shown.changed.wait_timeout(state, deadline - now).unwrap().0;
        }
        drop(state);
        keyboard.write_all(typed.as_bytes()).unwrap();
        keyboard.flush().unwrap();
    }
    drop(keyboard);
    let status = child.wait().unwrap();
    reader.join().unwrap();
    let bytes = std::mem::take(&mut shown.bytes.lock().unwrap().0);
    Screen {
        code: status.code(),
        text: String::from_utf8_lossy(&bytes).replace("\r\n", "\n"),
    }
}
