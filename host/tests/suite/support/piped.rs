//! Running a command with text on its stdin.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `command` with `input` written to its stdin (then closed), and
/// returns its status, stdout and stderr.
pub fn output_with_stdin(command: &mut Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}
