//! `factorcat aws config`: which token each profile of the AWS config file
//! gets its MFA codes from, and (with `--write`) the `mfa_process` line
//! that lets aws-vault ask FactorCat for them.

use std::fs;
use std::io;

use clap::{Args, Subcommand};

use factorcat::aws_config::{self, Profile};
use factorcat::query::{self, short_id};
use factorcat::token::{Identity, TokenSites};
use factorcat::vault::Vault;

use super::console::{say, unlock};
use super::{CliError, CliResult};

/// `factorcat aws`.
#[derive(Debug, Args)]
pub struct AwsArgs {
    #[command(subcommand)]
    pub command: AwsCommand,
}

/// The `factorcat aws` commands.
#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// List the profiles of the AWS config file that name an MFA device (mfa_serial), the token
    /// each one resolves to, and the mfa_process line each lacks; --write adds those lines.
    #[command(long_about = CONFIG_ABOUT)]
    Config(ConfigArgs),
}

const CONFIG_ABOUT: &str = "\
List the profiles of the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config) that name an MFA \
device (mfa_serial), the token each one resolves to (the rules of `factorcat code \
--aws-mfa-serial`), and what would change: a profile whose serial resolves to one token and that \
has no mfa_process of its own gets

    mfa_process = factorcat code --aws-mfa-serial <ARN>

right after its mfa_serial line. aws-vault runs that command (through /bin/sh -c) when the \
profile needs an MFA code and takes what it prints as the code. Without --write nothing is written. With --write the file \
is replaced in one atomic step, every other line, comment and line end kept byte for byte, and \
the previous file is kept as <file>.factorcat-backup. Profiles with an mfa_process of their own, \
with a hardware device's serial, or whose serial resolves to no token (or to several) are left \
alone; for the last, the fix is printed.";

/// `factorcat aws config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// Add the missing mfa_process lines to the file (keeping the previous file as
    /// <file>.factorcat-backup).
    #[arg(long)]
    pub write: bool,
}

/// Runs `factorcat aws`.
pub(super) fn run(args: AwsArgs) -> CliResult {
    match args.command {
        AwsCommand::Config(args) => config(args),
    }
}

/// What becomes of one profile.
enum Plan {
    /// Gets this `mfa_process` command.
    Add(String),
    /// Keeps what it has.
    Keep,
}

fn config(args: ConfigArgs) -> CliResult {
    let path = aws_config::locate().ok_or_else(|| {
        CliError::Usage(
            "cannot tell where the AWS config file is: set HOME, or AWS_CONFIG_FILE to the file"
                .into(),
        )
    })?;
    let bytes = fs::read(&path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => CliError::Usage(format!(
            "there is no AWS config file at {}: set AWS_CONFIG_FILE to the file the AWS tools read, or create the profiles first (`aws configure`)",
            path.display()
        )),
        _ => CliError::Io {
            what: format!("reading {}", path.display()),
            source,
        },
    })?;
    let profiles = aws_config::profiles(&bytes);
    let mut out = format!("{}\n", path.display());
    if profiles.is_empty() {
        out.push_str("no profile names an MFA device (mfa_serial); nothing to do\n");
        return say(out);
    }
    let vault = Vault::locate()?;
    let mut plans = Vec::with_capacity(profiles.len());
    vault.read_matching(&unlock(), |tokens: &[TokenSites], _| {
        for profile in &profiles {
            let (line, plan) = judge(tokens, profile);
            out.push_str(&line);
            plans.push(plan);
        }
        Ok::<_, CliError>(Vec::new())
    })?;
    let changes: Vec<(&Profile, String)> = profiles
        .iter()
        .zip(plans)
        .filter_map(|(profile, plan)| match plan {
            Plan::Add(command) => Some((profile, command)),
            Plan::Keep => None,
        })
        .collect();
    let uses_factorcat = profiles.iter().any(|p| {
        p.mfa_process
            .as_deref()
            .is_some_and(|own| own.starts_with("factorcat "))
    });
    if (uses_factorcat || !changes.is_empty()) && !on_path("factorcat") {
        out.push_str(
            "note: no factorcat on PATH; aws-vault runs mfa_process through the shell, which looks for it there: install it where PATH leads (e.g. /usr/local/bin)\n",
        );
    }
    let n = changes.len();
    let profiles_word = if n == 1 { "profile" } else { "profiles" };
    if n == 0 {
        out.push_str("nothing to change\n");
    } else if args.write {
        let edited = aws_config::with_mfa_process(&bytes, &changes);
        let backup = aws_config::write(&path, &edited).map_err(|e| CliError::Io {
            what: format!("{} {}", e.action, e.path.display()),
            source: e.source,
        })?;
        out.push_str(&format!(
            "added mfa_process to {n} {profiles_word}; the previous file is kept as {}\n",
            backup.display()
        ));
    } else {
        out.push_str(&format!(
            "{n} {profiles_word} would get mfa_process; nothing was written: `factorcat aws config --write` writes {} (keeping the previous file as {})\n",
            if n == 1 { "it" } else { "them" },
            aws_config::backup_path(&path).display()
        ));
    }
    say(out)
}

/// Whether a program `name` is in one of the directories of `PATH`.
fn on_path(name: &str) -> bool {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(&file).is_file()))
}

/// The lines that describe `profile`, and what becomes of it.
fn judge(tokens: &[TokenSites], profile: &Profile) -> (String, Plan) {
    let header = if profile.name == "default" {
        "[default]".to_string()
    } else {
        format!("[profile {}]", profile.name)
    };
    let mut text = format!("{header} mfa_serial = {}\n", profile.mfa_serial);
    let Some(serial) = profile.serial() else {
        text.push_str(
            "  not a virtual MFA device's ARN (a hardware device's serial?): FactorCat makes no codes for it; left alone\n",
        );
        return (text, Plan::Keep);
    };
    let token = query::resolve_mfa_serial(tokens, &serial.arn());
    match &token {
        Ok(i) => text.push_str(&format!(
            "  token:       {} {}\n",
            short_id(&tokens[*i].id()),
            tokens[*i].label()
        )),
        Err(e) => {
            let fix = super::query_fix(e);
            text.push_str(&format!("  token:       none: {e}{fix}\n"));
        }
    }
    let command = aws_config::mfa_process_command(&serial);
    let plan = match (&profile.mfa_process, token) {
        (Some(own), _) if *own == command => {
            text.push_str("  mfa_process: FactorCat's already\n");
            Plan::Keep
        }
        (Some(own), _) => {
            text.push_str(&format!("  mfa_process: its own, kept: {own}\n"));
            Plan::Keep
        }
        (None, Ok(_)) => {
            text.push_str(&format!("  mfa_process: add {command}\n"));
            Plan::Add(command)
        }
        (None, Err(_)) => {
            text.push_str("  mfa_process: none added until one token is that device\n");
            Plan::Keep
        }
    };
    (text, plan)
}
