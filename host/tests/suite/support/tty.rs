//! Running a command in a terminal, as a person at a keyboard does: its
//! standard input, output and error are a pseudo-terminal (made by
//! util-linux `script`, part of every Debian system), so prompts appear and
//! `IsTerminal` is true.

use std::ffi::OsStr;
use std::process::Command;

use super::piped;

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

/// Runs `command` (its program, arguments and environment; its own
/// standard streams are ignored) in a pseudo-terminal, typing `typed` —
/// each line is answered to whatever reads it next.
pub fn run_in_terminal(command: &Command, typed: &str) -> Screen {
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
    let out = piped::output_with_stdin(&mut script, typed.as_bytes());
    Screen {
        code: out.status.code(),
        text: String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
    }
}
