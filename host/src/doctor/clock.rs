//! The clock: codes are only right when the time is.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Finding;
use super::program::run_with_timeout;
use crate::install;
use crate::install::table::Os;

/// 2024-01-01T00:00:00Z: a clock before this is certainly wrong.
const SANE_EPOCH: u64 = 1_704_067_200;

/// The clock: codes are only right when the time is.
pub fn clock_findings(now: SystemTime, os: Os) -> Vec<Finding> {
    let mut findings = Vec::new();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if secs < SANE_EPOCH {
        findings.push(Finding::problem(
            format!("the system clock says {secs} s since 1970, before 2024-01-01; every code will be wrong"),
            "set the date and time, and enable time synchronisation (e.g. `timedatectl set-ntp true`)",
        ));
    } else {
        findings.push(Finding::ok(format!(
            "the system clock is plausible ({secs} s since 1970)"
        )));
    }
    if os == Os::Linux && install::program_on_path("timedatectl") {
        let answer = run_with_timeout(
            Path::new("timedatectl"),
            &["show", "--property=NTPSynchronized", "--value"],
            Duration::from_secs(3),
        );
        match answer.as_deref().map(str::trim) {
            Ok("yes") => findings.push(Finding::ok("the clock is synchronised (timedatectl: NTPSynchronized=yes)")),
            Ok("no") => findings.push(Finding::note(
                "the clock is not synchronised (timedatectl: NTPSynchronized=no); codes fail once it drifts ~30 s",
                Some("enable time synchronisation: `timedatectl set-ntp true`".into()),
            )),
            _ => findings.push(Finding::note(
                "the synchronisation status is unknown (`timedatectl show` did not answer)",
                None,
            )),
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::Level;

    #[test]
    fn a_clock_before_2024_is_a_problem() {
        let then = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        assert_eq!(clock_findings(then, Os::MacOs)[0].level, Level::Problem);
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(clock_findings(now, Os::MacOs)[0].level, Level::Ok);
    }
}
