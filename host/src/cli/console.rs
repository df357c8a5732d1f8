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
    let ask = |prompt: &str| {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(io_err("reading the passphrase"))
    };
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
        unlock.prompt = Some(Box::new(|prompt: &str| {
            rpassword::prompt_password(prompt).ok().map(Zeroizing::new)
        }));
    }
    unlock
}
