//! `factorcat import` and `factorcat add --qr`: many tokens at once, read
//! completely first, then written to the vault in one update.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use zeroize::Zeroizing;

use factorcat::import::{self, EntryError, Format, ImportError, Imported, MAX_IMPORT_BYTES};
use factorcat::qr;
use factorcat::query::short_id;
use factorcat::token::{Token, new_positions, same_generator};
use factorcat::vault::{Vault, VaultData, VaultError};

use super::console::{hidden_answer, io_err, say, unlock};
use super::init::vault_for_writing;
use super::{CliError, CliResult};

/// `factorcat import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export file (its format is recognised from its content).
    pub file: PathBuf,
    /// The export's format (auto: recognised from the content).
    #[arg(long, value_name = "NAME", default_value = "auto", ignore_case = true, value_parser = format_names())]
    pub format: String,
    /// Read the backup's password from the first line of this file (else
    /// FACTORCAT_IMPORT_PASSWORD, else asked when needed).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Show what would be imported; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Import the readable entries even when some cannot be read.
    #[arg(long)]
    pub skip_bad: bool,
}

/// The names `--format` accepts: auto and every format the importers read,
/// from their one list.
fn format_names() -> clap::builder::PossibleValuesParser {
    let mut names = vec![clap::builder::PossibleValue::new("auto")];
    names.extend(
        Format::ALL
            .iter()
            .map(|f| clap::builder::PossibleValue::new(f.name())),
    );
    clap::builder::PossibleValuesParser::new(names)
}

/// Environment variable with the export's password, for scripts.
pub const ENV_IMPORT_PASSWORD: &str = "FACTORCAT_IMPORT_PASSWORD";

/// Longest password file read.
const MAX_PASSWORD_FILE: u64 = 64 * 1024;

/// Reads at most `cap` bytes of `path`; more is `too_large`.
fn read_capped(path: &Path, cap: usize, too_large: CliError) -> CliResult<Vec<u8>> {
    let what = format!("reading {}", path.display());
    let file = File::open(path).map_err(io_err(&what))?;
    let mut bytes = Vec::new();
    file.take(cap as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(&what))?;
    if bytes.len() > cap {
        return Err(too_large);
    }
    Ok(bytes)
}

/// The first line of the password file, without its line end.
fn password_from_file(path: &Path) -> CliResult<Zeroizing<String>> {
    let what = format!("reading the password file {}", path.display());
    let file = File::open(path).map_err(io_err(&what))?;
    let mut text = Zeroizing::new(String::new());
    file.take(MAX_PASSWORD_FILE)
        .read_to_string(&mut text)
        .map_err(io_err(&what))?;
    let line = text.split('\n').next().unwrap_or_default();
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(CliError::Usage(format!(
            "the password file {} is empty; put the password on its first line",
            path.display()
        )));
    }
    Ok(Zeroizing::new(line.to_string()))
}

/// `factorcat import FILE`.
pub(super) fn run(args: &ImportArgs) -> CliResult {
    let format = match args.format.trim() {
        f if f.eq_ignore_ascii_case("auto") => None,
        name => Some(Format::from_name(name).ok_or_else(|| {
            CliError::Usage(format!(
                "unknown format {name:?}; use auto or one of: {}",
                Format::ALL.map(Format::name).join(", ")
            ))
        })?),
    };
    let bytes = read_capped(
        &args.file,
        MAX_IMPORT_BYTES,
        CliError::Import(ImportError::TooLarge),
    )?;
    let mut password = match &args.password_file {
        Some(path) => Some(password_from_file(path)?),
        None => std::env::var(ENV_IMPORT_PASSWORD).ok().map(Zeroizing::new),
    };
    let (format, imported) = loop {
        match import::parse(&bytes, format, password.as_deref().map(String::as_str)) {
            Err(ImportError::PasswordRequired(f))
                if password.is_none() && io::stdin().is_terminal() =>
            {
                let typed = hidden_answer(&format!("Password of the {f} backup: "))
                    .map_err(io_err("reading the password"))?;
                password = Some(typed);
            }
            other => break other?,
        }
    };
    eprintln!("Reading {} as {format}", args.file.display());
    apply(imported, args.skip_bad, args.dry_run, Duplicates::Skip)
}

/// `factorcat add --qr IMAGE`: every token link in the picture.
pub(super) fn add_qr(path: &Path) -> CliResult {
    let bytes = read_capped(
        path,
        qr::MAX_IMAGE_BYTES,
        CliError::Qr(qr::QrError::TooLarge),
    )?;
    let payloads = qr::decode_image(&bytes)?;
    let (imported, ignored) = qr::tokens_from_payloads(&payloads);
    for position in &ignored {
        eprintln!("QR code {position} is not a token link; ignored");
    }
    apply(imported?, false, false, Duplicates::RefuseWhenAll)
}

/// Splits `tokens` into new ones and duplicates (the import policy of the
/// token rules: duplicates are skipped).
fn without_duplicates(existing: &[Token], tokens: Vec<Token>) -> (Vec<Token>, usize) {
    let fresh = new_positions(existing, &tokens);
    let duplicates = fresh.iter().filter(|new| !**new).count();
    let tokens = tokens
        .into_iter()
        .zip(fresh)
        .filter_map(|(token, new)| new.then_some(token))
        .collect();
    (tokens, duplicates)
}

fn list_failures(failures: &[EntryError]) {
    for failure in failures {
        eprintln!("  {failure}");
    }
}

/// Why the update closure wrote nothing.
enum Skip {
    Vault(VaultError),
    /// Every token read is in the vault already (this many read; the
    /// stored ones they repeat).
    NothingNew(usize, Vec<String>),
}

/// What duplicates of stored tokens do to a command that reads many.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Duplicates {
    /// Skipped and counted, whatever is left (`import`: importing the same
    /// file twice is harmless).
    Skip,
    /// Skipped and counted, but when nothing new is left the command was
    /// refused, as a duplicate `add` is (`add --qr`).
    RefuseWhenAll,
}

impl From<VaultError> for Skip {
    fn from(e: VaultError) -> Skip {
        Skip::Vault(e)
    }
}

/// Decides and writes: all-or-nothing unless `skip_bad`; duplicates
/// skipped; one vault update, none when nothing is new or on a dry run.
fn apply(imported: Imported, skip_bad: bool, dry_run: bool, policy: Duplicates) -> CliResult {
    let Imported { tokens, failures } = imported;
    if !failures.is_empty() {
        if !skip_bad {
            eprintln!("These entries could not be read:");
            list_failures(&failures);
            return Err(CliError::BadEntries(failures.len()));
        }
        eprintln!("Skipped, could not be read:");
        list_failures(&failures);
    }
    let failed = failures.len();
    let vault = Vault::locate()?;
    let mut report = String::new();
    if dry_run {
        let existing = if vault.exists() && !tokens.is_empty() {
            vault.read(&unlock())?.tokens
        } else {
            Vec::new()
        };
        let (fresh, duplicates) = without_duplicates(&existing, tokens);
        for token in &fresh {
            let _ = writeln!(report, "would import {}", token.label());
        }
        let _ = writeln!(
            report,
            "dry run: would import {}, duplicates skipped {duplicates}, failed {failed}; nothing was written",
            fresh.len()
        );
        return say(report);
    }
    if tokens.is_empty() {
        return say(format!(
            "imported 0, duplicates skipped 0, failed {failed}\n"
        ));
    }
    let (vault, unlock) = vault_for_writing()?;
    let outcome = vault.update(&unlock, |data: &mut VaultData| {
        let twins: Vec<String> = data
            .tokens
            .iter()
            .filter(|stored| tokens.iter().any(|t| same_generator(stored, t)))
            .map(|stored| format!("{} {}", short_id(&stored.id), stored.label()))
            .collect();
        let (fresh, duplicates) = without_duplicates(&data.tokens, tokens);
        if fresh.is_empty() {
            return Err(Skip::NothingNew(duplicates, twins));
        }
        let added: Vec<(uuid::Uuid, String)> = fresh
            .into_iter()
            .map(|token| {
                let label = token.label();
                (data.add_new(token), label)
            })
            .collect();
        Ok((added, duplicates))
    });
    let (added, duplicates) = match outcome {
        Ok(done) => done,
        Err(Skip::NothingNew(_, twins)) if policy == Duplicates::RefuseWhenAll => {
            return Err(CliError::AllDuplicates(twins));
        }
        Err(Skip::NothingNew(duplicates, _)) => (Vec::new(), duplicates),
        Err(Skip::Vault(e)) => return Err(e.into()),
    };
    for (id, label) in &added {
        let _ = writeln!(report, "imported {} {label}", short_id(id));
    }
    let _ = writeln!(
        report,
        "imported {}, duplicates skipped {duplicates}, failed {failed}",
        added.len()
    );
    say(report)
}
