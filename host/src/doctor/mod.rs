//! `factorcat doctor`: checks everything the browser extension depends on —
//! each browser's host manifest, the binary it names, the keyring, the vault,
//! the clock and the age of the built-in data — and reports every problem
//! with its fix.

mod browsers;
mod clock;
mod data;
mod manifest;
mod program;
mod report;
mod vault;

use std::path::PathBuf;
use std::time::SystemTime;

use crate::install::{self, InstallError, Probe};

pub use browsers::browser_sections;
pub use clock::{clock_findings, offset_findings};
pub use data::{PSL_MAX_AGE_DAYS, psl_findings};
pub use manifest::check_manifest;
pub use report::{Finding, Level, Report, Section};

/// What `doctor` is asked to check.
#[derive(Debug, Clone, Default)]
pub struct DoctorOptions {
    /// Check only these browsers; empty means every browser found, and
    /// every place holding a FactorCat manifest.
    pub browsers: Vec<String>,
    /// Check the manifests below this user-data directory (as an install
    /// with the same directory wrote them).
    pub user_data_dir: Option<PathBuf>,
    /// Check the machine-wide registration instead of the per-user one.
    pub system: bool,
}

/// Checks this machine: the browsers' registrations, then the vault and
/// keyring, then the clock (with the offsets of AWS's clock the vault
/// recorded). Problems are findings of the report, not
/// errors; an error means the checks could not be made.
pub fn diagnose(options: &DoctorOptions) -> Result<Report, InstallError> {
    let env = install::this_machine()?;
    let mut sections = browser_sections(&env, options, &Probe::real())?;
    let (findings, clocks) = vault::vault_findings();
    sections.push(Section {
        title: "Vault and keyring".into(),
        findings,
    });
    let mut findings = clock_findings(SystemTime::now(), env.os);
    if let Some(clocks) = clocks {
        findings.extend(offset_findings(&clocks, crate::token::now_unix()));
    }
    sections.push(Section {
        title: "Clock".into(),
        findings,
    });
    sections.push(Section {
        title: "Built-in data".into(),
        findings: psl_findings(SystemTime::now()),
    });
    Ok(Report { sections })
}
