//! `factorcat completions`: a shell completion script.

use std::path::PathBuf;

use clap::Args;
use clap_complete::Shell;

use super::CliResult;
use super::console::{io_err, say};

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

/// Runs `factorcat completions`.
pub(super) fn run(args: CompletionsArgs) -> CliResult {
    use clap::CommandFactory;
    let mut command = super::Cli::command();
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut command, "factorcat", &mut buffer);
    match args.output {
        Some(path) => {
            std::fs::write(&path, buffer).map_err(io_err("writing the completion script"))
        }
        None => say(String::from_utf8_lossy(&buffer)),
    }
}
