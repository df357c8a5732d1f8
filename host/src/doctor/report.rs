//! The report: findings, each with its level and fix, in titled sections.

use std::fmt::Write as _;

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

/// The number of problems in a report.
pub fn count_problems(sections: &[Section]) -> usize {
    sections
        .iter()
        .flat_map(|s| &s.findings)
        .filter(|f| f.level == Level::Problem)
        .count()
}

/// Formats the report.
pub fn render(sections: &[Section]) -> String {
    let mut out = String::new();
    for section in sections {
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
    match count_problems(sections) {
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

    #[test]
    fn report_counts_problems() {
        let sections = vec![Section {
            title: "x".into(),
            findings: vec![
                Finding::ok("a"),
                Finding::problem("b", "do c"),
                Finding::note("d", None),
            ],
        }];
        assert_eq!(count_problems(&sections), 1);
        let text = render(&sections);
        assert!(
            text.contains("PROBLEM  b\n")
                && text.contains("fix: do c")
                && text.ends_with("1 problem(s) found.\n")
        );
    }
}
