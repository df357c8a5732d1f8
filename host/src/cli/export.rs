//! `factorcat export`: every token, with its secret, to a file or standard
//! output. Encrypted unless `--plaintext`; files are created 0600 and never
//! overwritten without `--force`.

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::console::{io_err, new_passphrase, unlock};
use super::{CliError, CliResult};
use factorcat::export::{self, ExportError, ExportFormat, Protection};
use factorcat::fsutil::{self, Mode, WriteOptions};
use factorcat::vault::Vault;

/// Environment variable holding the export passphrase, for scripts.
pub const ENV_EXPORT_PASSPHRASE: &str = "FACTORCAT_EXPORT_PASSPHRASE";

/// `factorcat export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = FormatArg::Factorcat)]
    pub format: FormatArg,
    /// Write the secrets unencrypted (required for otpauth).
    #[arg(long)]
    pub plaintext: bool,
    /// Write to FILE (created with mode 0600) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Replace FILE if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
}

/// Export formats on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    /// FactorCat's backup format (docs/backup.md); `factorcat import` reads it.
    Factorcat,
    /// An Aegis vault file Aegis can import.
    Aegis,
    /// One otpauth:// URI per line (needs --plaintext).
    Otpauth,
}

impl FormatArg {
    fn format(self) -> ExportFormat {
        match self {
            FormatArg::Factorcat => ExportFormat::FactorCat,
            FormatArg::Aegis => ExportFormat::Aegis,
            FormatArg::Otpauth => ExportFormat::Otpauth,
        }
    }
}

/// Runs `factorcat export`.
pub(super) fn run(args: ExportArgs) -> CliResult {
    let format = args.format.format();
    // Decide everything that can be refused before unlocking anything.
    if format == ExportFormat::Otpauth && !args.plaintext {
        return Err(ExportError::PlaintextOnly(format).into());
    }
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    if to_terminal && !args.plaintext {
        return Err(CliError::Usage(
            "an encrypted backup is not for a terminal; use -o FILE or redirect standard output to a file".into(),
        ));
    }
    if let Some(path) = &args.output
        && !args.force
        && path.exists()
    {
        return Err(exists(path));
    }

    let protection = if args.plaintext {
        eprintln!(
            "factorcat: WARNING: --plaintext writes every secret UNENCRYPTED. Anyone who reads {} can copy all your second factors. Delete it as soon as it has served its purpose.",
            args.output
                .as_deref()
                .map_or("the output".to_string(), |p| p.display().to_string())
        );
        if to_terminal {
            eprintln!(
                "factorcat: WARNING: the secrets are going to this terminal (and its scrollback)."
            );
        }
        Protection::Plaintext
    } else {
        Protection::Passphrase(new_passphrase(
            ENV_EXPORT_PASSPHRASE,
            "an export passphrase",
            "Passphrase for the export: ",
            "exported",
        )?)
    };

    let data = Vault::locate()?.read(&unlock())?;
    let bytes = export::export(&data.tokens, format, &protection)?;
    match &args.output {
        Some(path) => write_file(path, &bytes, args.force)?,
        None => {
            let mut out = io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .map_err(io_err("writing to standard output"))?;
        }
    }
    eprintln!(
        "factorcat: exported {} token{} as {format}{}",
        data.tokens.len(),
        if data.tokens.len() == 1 { "" } else { "s" },
        if args.plaintext {
            " (plaintext)"
        } else {
            " (encrypted)"
        }
    );
    Ok(())
}

/// Writes `bytes` to `path` as a private (0600) file with
/// [`fsutil::write_atomic`], refusing an existing file unless `force`.
fn write_file(path: &Path, bytes: &[u8], force: bool) -> CliResult {
    let options = WriteOptions {
        replace: force,
        ..WriteOptions::replacing(Mode::Private)
    };
    fsutil::write_atomic(path, bytes, &options).map_err(|e| {
        if e.source.kind() == io::ErrorKind::AlreadyExists && e.path == path {
            exists(path)
        } else {
            CliError::Io {
                what: format!("{} {}", e.action, e.path.display()),
                source: e.source,
            }
        }
    })
}

/// The refusal to replace an existing output file without `--force`.
fn exists(path: &Path) -> CliError {
    CliError::Usage(format!(
        "{} already exists; choose another name or add --force to replace it",
        path.display()
    ))
}
