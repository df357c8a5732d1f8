//! Talking to the person at the terminal: standard output, standard input
//! for `-` arguments, and passphrase prompts.

use std::io::{self, BufRead, IsTerminal, Write};

use zeroize::Zeroizing;

use factorcat::vault::Unlock;

use super::{CliError, CliResult};

/// Wraps an I/O failure with what was being done.
pub(super) fn io_err(what: &str) -> impl FnOnce(io::Error) -> CliError + '_ {
    move |source| CliError::Io {
        what: what.to_string(),
        source,
    }
}

/// Writes `text` to standard output, flushed.
pub(super) fn say(text: impl std::fmt::Display) -> CliResult {
    let mut out = io::stdout().lock();
    write!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(io_err("writing to standard output"))
}

/// Reads one line from standard input, for `-` arguments.
pub(super) fn stdin_line(what: &str) -> CliResult<Zeroizing<String>> {
    let mut line = Zeroizing::new(String::new());
    io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(io_err("reading standard input"))?;
    let trimmed = Zeroizing::new(line.trim().to_string());
    if trimmed.is_empty() {
        return Err(CliError::Usage(format!(
            "expected the {what} on standard input, got nothing"
        )));
    }
    Ok(trimmed)
}

/// Asks `prompt` on the terminal and reads the answer without showing it.
/// Echo is off before the prompt appears, so an answer typed (or pasted)
/// the moment it does is not shown either.
pub(super) fn hidden_answer(prompt: &str) -> io::Result<Zeroizing<String>> {
    let _quiet = quiet::EchoOff::new();
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

#[cfg(unix)]
mod quiet {
    use std::fs::File;
    use std::os::fd::AsRawFd;

    /// The terminal's echo, turned off until dropped (then as it was).
    pub struct EchoOff(Option<(File, libc::termios)>);

    impl EchoOff {
        pub fn new() -> EchoOff {
            let Ok(tty) = File::options().read(true).write(true).open("/dev/tty") else {
                return EchoOff(None);
            };
            let mut term = std::mem::MaybeUninit::<libc::termios>::uninit();
            // SAFETY: `tty` is an open descriptor and `term` is written by
            // tcgetattr before it is read.
            if unsafe { libc::tcgetattr(tty.as_raw_fd(), term.as_mut_ptr()) } != 0 {
                return EchoOff(None);
            }
            // SAFETY: tcgetattr succeeded, so `term` is initialised.
            let saved = unsafe { term.assume_init() };
            let mut quiet = saved;
            quiet.c_lflag &= !libc::ECHO;
            // SAFETY: a valid descriptor and a valid termios.
            if unsafe { libc::tcsetattr(tty.as_raw_fd(), libc::TCSANOW, &quiet) } != 0 {
                return EchoOff(None);
            }
            EchoOff(Some((tty, saved)))
        }
    }

    impl Drop for EchoOff {
        fn drop(&mut self) {
            if let Some((tty, saved)) = &self.0 {
                // SAFETY: a valid descriptor and the termios it had.
                unsafe { libc::tcsetattr(tty.as_raw_fd(), libc::TCSANOW, saved) };
            }
        }
    }
}

#[cfg(not(unix))]
mod quiet {
    /// Elsewhere the prompt itself turns echo off.
    pub struct EchoOff;

    impl EchoOff {
        pub fn new() -> EchoOff {
            EchoOff
        }
    }
}

/// A secret the person gives (`what`: "secret", "otpauth:// URI"): typed
/// without echo when standard input is a terminal, else one line of
/// standard input.
pub(super) fn secret_input(what: &str) -> CliResult<Zeroizing<String>> {
    if !io::stdin().is_terminal() {
        return stdin_line(what);
    }
    let typed = hidden_answer(&format!("Type or paste the {what} (not shown): "))
        .map_err(io_err("reading from the terminal"))?;
    let trimmed = Zeroizing::new(typed.trim().to_string());
    if trimmed.is_empty() {
        return Err(CliError::Usage(format!(
            "no {what} was typed; nothing was added"
        )));
    }
    Ok(trimmed)
}

/// Warns, in one line on standard error, that a secret (`what`) was given
/// on the command line, when standard error is a terminal (someone is there
/// to read it; scripts' logs stay clean).
pub(super) fn warn_secret_in_arguments(what: &str) {
    if io::stderr().is_terminal() {
        eprintln!(
            "factorcat: warning: the {what} on this command line is visible to other local users and kept in shell history; next time leave it out (or give -) to type it unseen"
        );
    }
}

/// A new passphrase: the value of `env_name`, else asked twice on the
/// terminal. `needed` names it when neither is possible ("a new
/// passphrase"), `prompt` asks for it, and `undone` says what did not happen
/// when the two answers differ ("changed").
pub(super) fn new_passphrase(
    env_name: &str,
    needed: &str,
    prompt: &str,
    undone: &str,
) -> CliResult<Zeroizing<String>> {
    if let Ok(value) = std::env::var(env_name) {
        if value.is_empty() {
            return Err(CliError::Usage(format!(
                "{env_name} is set but empty; set it to the passphrase or unset it"
            )));
        }
        return Ok(Zeroizing::new(value));
    }
    if !io::stdin().is_terminal() {
        return Err(CliError::Usage(format!(
            "{needed} is needed; set {env_name} or run this in a terminal"
        )));
    }
    let ask = |prompt: &str| hidden_answer(prompt).map_err(io_err("reading the passphrase"));
    let first = ask(prompt)?;
    let second = ask("Repeat it: ")?;
    if first.is_empty() || *first != *second {
        return Err(CliError::Usage(format!(
            "the passphrases were empty or did not match; nothing was {undone}"
        )));
    }
    Ok(first)
}

/// Asks a yes/no `question` on the terminal (standard error), `[y/N]`:
/// only `y` or `yes` (any case) is a yes. `None` when standard input is not
/// a terminal, so nobody could answer.
pub(super) fn confirm(question: &str) -> CliResult<Option<bool>> {
    if !io::stdin().is_terminal() {
        return Ok(None);
    }
    eprint!("{question} [y/N] ");
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(io_err("reading the answer"))?;
    Ok(Some(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    )))
}

/// How the CLI unlocks the vault: the environment's passphrase, else an
/// interactive prompt when standard input is a terminal. The vault words
/// the prompt, colon included.
pub(super) fn unlock() -> Unlock {
    let mut unlock = Unlock::from_env();
    if unlock.passphrase.is_none() && io::stdin().is_terminal() {
        unlock.prompt = Some(Box::new(|prompt: &str| hidden_answer(prompt).ok()));
    }
    unlock
}
