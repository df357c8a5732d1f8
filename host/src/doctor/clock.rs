//! The clock: codes are only right when the time is. Also how far AWS's
//! clock was from this computer's when the browser last measured it.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Finding;
use super::program::run_with_timeout;
use crate::clock::{Clocks, MAX_OFFSET_SECS, MIN_USED_SECS, RECENT_SECS, Standing, describe};
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

/// What setting the clock takes.
const SET_CLOCK: &str = "set this computer's date and time, and keep them synchronised (e.g. `timedatectl set-ntp true`)";

/// The offsets of AWS's clock that the browser measured (`crate::clock`),
/// one finding per partition: which codes use it, and to set the clock when
/// it is off by [`crate::clock::LARGE_SECS`] or more, or by so much that FactorCat
/// ignores it.
pub fn offset_findings(clocks: &Clocks, now: u64) -> Vec<Finding> {
    if clocks.is_empty() {
        return vec![Finding::ok(
            "AWS's clock has not been measured yet (the browser extension does so on AWS sign-in pages)",
        )];
    }
    clocks
        .iter()
        .map(|(partition, offset)| {
            let when = ago(now, offset.measured);
            let what = |tail: &str| {
                format!(
                    "AWS's clock ({partition}) was {} this computer's (± {:.1} s), measured {when}; {tail}",
                    describe(offset.seconds()),
                    offset.error_ms as f64 / 1000.0
                )
            };
            match offset.standing(now) {
                Standing::Absurd => Finding::problem(
                    what(&format!(
                        "FactorCat ignores offsets over {} minutes, so its AWS codes follow this computer's clock and AWS rejects them",
                        MAX_OFFSET_SECS / 60
                    )),
                    SET_CLOCK,
                ),
                Standing::Used if offset.is_large() => Finding::problem(
                    what(&format!(
                        "FactorCat's codes for this partition follow AWS's clock for {} after each measurement, but every other code is wrong",
                        recent()
                    )),
                    SET_CLOCK,
                ),
                Standing::Used => Finding::note(
                    what(&format!(
                        "FactorCat's codes for this partition follow AWS's clock for {} after each measurement",
                        recent()
                    )),
                    Some(SET_CLOCK.into()),
                ),
                Standing::Stale => Finding::note(
                    what(&format!(
                        "too long ago to be used (an offset is used for {})",
                        recent()
                    )),
                    offset.is_large().then(|| SET_CLOCK.into()),
                ),
                Standing::Small => Finding::ok(format!(
                    "AWS's clock ({partition}) agreed with this computer's, measured {when} (offsets under {MIN_USED_SECS} s are within what a measurement tells)"
                )),
            }
        })
        .collect()
}

/// [`RECENT_SECS`] in words.
fn recent() -> String {
    match RECENT_SECS {
        3600 => "an hour".into(),
        s => format!("{} minutes", s / 60),
    }
}

/// How long before `now` a measurement was made, in words.
fn ago(now: u64, then: u64) -> String {
    let Some(secs) = now.checked_sub(then) else {
        return "at a time this computer's clock has not reached (it was set back since)".into();
    };
    match secs {
        0..60 => "just now".into(),
        60..7200 => format!("{} min ago", secs / 60),
        7200..172_800 => format!("{} h ago", secs / 3600),
        _ => format!("{} days ago", secs / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ClockOffset;
    use crate::doctor::Level;

    const T: u64 = 1_765_000_000;

    fn clocks(partition: &str, offset_ms: i64, measured: u64) -> Clocks {
        let mut c = Clocks::new();
        c.insert(
            partition.into(),
            ClockOffset {
                offset_ms,
                error_ms: 600,
                measured,
            },
        );
        c
    }

    #[test]
    fn offsets_are_reported_with_what_to_do() {
        let found = |c: &Clocks| offset_findings(c, T + 300).remove(0);
        let large = found(&clocks("aws", 120_300, T));
        assert_eq!(large.level, Level::Problem);
        assert_eq!(
            large.what,
            "AWS's clock (aws) was 2 min ahead of this computer's (± 0.6 s), measured 5 min ago; FactorCat's codes for this partition follow AWS's clock for an hour after each measurement, but every other code is wrong"
        );
        assert_eq!(large.fix.as_deref(), Some(SET_CLOCK));
        let some = found(&clocks("aws-cn", -8_000, T));
        assert_eq!(some.level, Level::Note);
        assert!(some.what.contains("8 s behind"), "{}", some.what);
        let absurd = found(&clocks("aws", 7_200_000, T));
        assert_eq!(absurd.level, Level::Problem);
        assert!(
            absurd.what.contains("2 h 0 min ahead of")
                && absurd.what.contains("ignores offsets over 10 minutes"),
            "{}",
            absurd.what
        );
        assert_eq!(found(&clocks("aws", 1_200, T)).level, Level::Ok);
        let stale = offset_findings(&clocks("aws", 120_000, T), T + 3 * 3600).remove(0);
        assert_eq!(stale.level, Level::Note);
        assert!(
            stale.what.contains("measured 3 h ago; too long ago"),
            "{}",
            stale.what
        );
        assert_eq!(offset_findings(&Clocks::new(), T)[0].level, Level::Ok);
    }

    #[test]
    fn a_clock_before_2024_is_a_problem() {
        let then = UNIX_EPOCH + Duration::from_secs(1_600_000_000);
        assert_eq!(clock_findings(then, Os::MacOs)[0].level, Level::Problem);
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        assert_eq!(clock_findings(now, Os::MacOs)[0].level, Level::Ok);
    }
}
