//! `factorcat doctor`: check browsers' manifests, the keyring, the vault and
//! the clock, and print each problem with its fix.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;

use factorcat::doctor::{self, DoctorOptions, Level, Report};

use super::console::say;
use super::{CliError, CliResult};

/// `factorcat doctor`.
#[derive(Debug, Clone, Default, Args)]
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

/// Runs `factorcat doctor`: prints the report, and fails (so the exit
/// status is non-zero) when it holds a problem.
pub(super) fn run(args: DoctorArgs) -> CliResult {
    let report = doctor::diagnose(&DoctorOptions {
        browsers: args.browsers,
        user_data_dir: args.user_data_dir,
        system: args.system,
    })?;
    say(render(&report))?;
    match report.problems() {
        0 => Ok(()),
        n => Err(CliError::Problems(n)),
    }
}

/// The report as people read it: each section's findings, their fixes, and
/// the count of problems.
fn render(report: &Report) -> String {
    let mut out = String::new();
    for section in &report.sections {
        let _ = writeln!(out, "{}", section.title);
        for f in &section.findings {
            let tag = match f.level {
                Level::Ok => "ok",
                Level::Note => "note",
                Level::Problem => "PROBLEM",
            };
            let _ = writeln!(out, "  {tag:<8} {}", f.what);
            if let Some(fix) = &f.fix {
                let _ = writeln!(out, "  {:<8} fix: {fix}", "");
            }
        }
    }
    match report.problems() {
        0 => out.push_str("No problems found.\n"),
        n => {
            let _ = writeln!(out, "{n} problem(s) found.");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use factorcat::doctor::{Finding, Section};

    #[test]
    fn report_lists_fixes_and_counts_problems() {
        let finding = |level, what: &str, fix: Option<&str>| Finding {
            level,
            what: what.into(),
            fix: fix.map(String::from),
        };
        let report = Report {
            sections: vec![Section {
                title: "x".into(),
                findings: vec![
                    finding(Level::Ok, "a", None),
                    finding(Level::Problem, "b", Some("do c")),
                    finding(Level::Note, "d", None),
                ],
            }],
        };
        let text = render(&report);
        assert!(
            text.contains("PROBLEM  b\n")
                && text.contains("fix: do c")
                && text.ends_with("1 problem(s) found.\n"),
            "{text}"
        );
    }
}
