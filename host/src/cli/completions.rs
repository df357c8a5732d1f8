//! `factorcat completions`: the shell code that completes `factorcat`
//! command lines, token names included.
//!
//! The script it prints asks `factorcat` itself for the candidates each
//! time (clap's dynamic completion, the `COMPLETE` environment variable),
//! so subcommands, flags and their values always match the installed
//! binary, and a query completes to the names of the tokens in the vault
//! (see [`super::which`]) — never to anything secret.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::env::Shells;
use clap_complete::{CompleteEnv, Shell};

use super::console::{io_err, say};
use super::{Cli, CliError, CliResult};

/// The environment variable that asks `factorcat` for completions.
const VAR: &str = "COMPLETE";

/// `factorcat completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Answers a completion request from the shell code that
/// `factorcat completions` printed (`COMPLETE=<shell>` in the
/// environment): prints the candidates and returns `true`. Returns `false`
/// for an ordinary run.
pub(super) fn answer_shell(args: &[OsString]) -> bool {
    let current_dir = std::env::current_dir().ok();
    match CompleteEnv::with_factory(Cli::command)
        .var(VAR)
        .try_complete(args.iter().cloned(), current_dir.as_deref())
    {
        Ok(answered) => answered,
        Err(e) => {
            // A shell that is not supported: say so, as an ordinary run of
            // a wrong command line would.
            let _ = e.print();
            true
        }
    }
}

/// How the shell code calls this binary back: as it was started — by name
/// when found on PATH, else by its absolute path.
fn completer(program: &Path) -> String {
    if program.components().count() > 1 {
        std::env::current_dir()
            .map(|dir| dir.join(program))
            .unwrap_or_else(|_| program.to_path_buf())
            .to_string_lossy()
            .into_owned()
    } else {
        program.to_string_lossy().into_owned()
    }
}

/// Runs `factorcat completions`.
pub(super) fn run(args: CompletionsArgs) -> CliResult {
    let shells = Shells::builtins();
    let shell = shells
        .completer(&args.shell.to_string())
        .ok_or_else(|| CliError::Usage(format!("no completion for {}", args.shell)))?;
    let program = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("factorcat"));
    let mut buffer = Vec::new();
    shell
        .write_registration(
            VAR,
            "factorcat",
            "factorcat",
            &completer(&program),
            &mut buffer,
        )
        .map_err(io_err("writing the completion script"))?;
    match args.output {
        Some(path) => {
            std::fs::write(&path, buffer).map_err(io_err("writing the completion script"))
        }
        None => say(String::from_utf8_lossy(&buffer)),
    }
}
