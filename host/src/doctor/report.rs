//! The report: findings, each with its level and fix, in titled sections.

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// All is well.
    Ok,
    /// Worth knowing; nothing is broken.
    Note,
    /// Something is wrong; the fix says what to do.
    Problem,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub level: Level,
    /// What was found.
    pub what: String,
    /// What to do, for problems and some notes.
    pub fix: Option<String>,
}

impl Finding {
    pub(super) fn ok(what: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            what: what.into(),
            fix: None,
        }
    }
    pub(super) fn note(what: impl Into<String>, fix: Option<String>) -> Finding {
        Finding {
            level: Level::Note,
            what: what.into(),
            fix,
        }
    }
    pub(super) fn problem(what: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            level: Level::Problem,
            what: what.into(),
            fix: Some(fix.into()),
        }
    }
}

/// A titled group of findings.
#[derive(Debug, Clone)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// The findings.
    pub findings: Vec<Finding>,
}

/// Everything `doctor` found, in titled sections.
#[derive(Debug, Clone)]
pub struct Report {
    /// The sections, in the order checked.
    pub sections: Vec<Section>,
}

impl Report {
    /// The number of problems.
    pub fn problems(&self) -> usize {
        self.sections
            .iter()
            .flat_map(|s| &s.findings)
            .filter(|f| f.level == Level::Problem)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_counts_problems() {
        let report = Report {
            sections: vec![Section {
                title: "x".into(),
                findings: vec![
                    Finding::ok("a"),
                    Finding::problem("b", "do c"),
                    Finding::note("d", None),
                ],
            }],
        };
        assert_eq!(report.problems(), 1);
    }
}
