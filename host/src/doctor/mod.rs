//! `factorcat doctor`: checks everything the browser extension depends on —
//! each browser's host manifest, the binary it names, the keyring, the vault
//! and the clock — and prints every problem with its fix.

mod browsers;
mod clock;
mod manifest;
mod program;
mod report;
mod vault;

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::SystemTime;

use crate::install::table::Env;
use crate::install::{InstallError, Probe};

pub use browsers::browser_sections;
pub use clock::clock_findings;
pub use manifest::check_manifest;
pub use report::{Finding, Level, Section, count_problems, render};

/// `factorcat doctor`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DoctorArgs {
    /// Check only this browser; repeatable [default: every browser found, and every place holding a
    /// FactorCat manifest].
    #[arg(long = "browser", value_name = "NAME")]
    pub browsers: Vec<String>,
    /// Check the manifests below this Chromium --user-data-dir (as `install --user-data-dir` wrote them).
    #[arg(long, value_name = "DIR", conflicts_with = "system")]
    pub user_data_dir: Option<PathBuf>,
    /// Check the machine-wide registration instead of the per-user one.
    #[arg(long)]
    pub system: bool,
}

/// Runs `factorcat doctor`, printing the report on standard output. Fails
/// (so the exit status is non-zero) when any problem was found.
pub fn run(args: &DoctorArgs) -> Result<(), InstallError> {
    let env = Env::current().ok_or(InstallError::NoHome)?;
    let mut sections = browser_sections(&env, args, &Probe::real())?;
    sections.push(Section {
        title: "Vault and keyring".into(),
        findings: vault::vault_findings(),
    });
    sections.push(Section {
        title: "Clock".into(),
        findings: clock_findings(SystemTime::now(), env.os),
    });
    let text = render(&sections);
    io::stdout()
        .lock()
        .write_all(text.as_bytes())
        .map_err(InstallError::Output)?;
    match count_problems(&sections) {
        0 => Ok(()),
        n => Err(InstallError::Problems(n)),
    }
}
