//! Data built into the binary that ages: the Public Suffix List.

use std::time::{SystemTime, UNIX_EPOCH};

use super::Finding;
use crate::site::{PSL_DATE, psl_age_days};

/// A list more than this many days old is pointed out.
pub const PSL_MAX_AGE_DAYS: u64 = 365;

/// The bundled Public Suffix List's date, and a note when it is more than
/// a year old at `now`: suffixes registered since then (a hosting service
/// whose customers each get a subdomain) are not known to matching, so a
/// token with a site there covers the other customers' subdomains too.
pub fn psl_findings(now: SystemTime) -> Vec<Finding> {
    let date = PSL_DATE.trim();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    match psl_age_days(secs) {
        Some(age) if age > PSL_MAX_AGE_DAYS => vec![Finding::note(
            format!(
                "the built-in Public Suffix List is of {date}, {age} days old; domains that became public \
                 suffixes since then are matched as one site"
            ),
            Some(
                "install a newer factorcat (building from source: `scripts/update-psl.sh`, then rebuild)"
                    .into(),
            ),
        )],
        Some(_) => vec![Finding::ok(format!(
            "the built-in Public Suffix List is of {date}"
        ))],
        None => vec![Finding::problem(
            format!("the built-in Public Suffix List has no readable date ({date:?})"),
            "rebuild factorcat from a clean source tree",
        )],
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::doctor::Level;

    #[test]
    fn a_list_over_a_year_old_is_pointed_out() {
        let listed = (0..100_000u64)
            .find(|d| psl_age_days(d * 86_400) == Some(1))
            .unwrap()
            - 1;
        let at = |days: u64| UNIX_EPOCH + Duration::from_secs((listed + days) * 86_400);
        let fresh = psl_findings(at(PSL_MAX_AGE_DAYS));
        assert_eq!(fresh.len(), 1);
        assert_eq!(fresh[0].level, Level::Ok);
        assert_eq!(
            fresh[0].what,
            format!("the built-in Public Suffix List is of {}", PSL_DATE.trim())
        );
        let old = psl_findings(at(PSL_MAX_AGE_DAYS + 1));
        assert_eq!(old[0].level, Level::Note);
        assert!(
            old[0].what.contains(&format!(
                "is of {}, {} days old",
                PSL_DATE.trim(),
                PSL_MAX_AGE_DAYS + 1
            )),
            "{old:?}"
        );
        assert!(
            old[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("scripts/update-psl.sh")
        );
    }
}
