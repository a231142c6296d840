//! The report: a deterministic value built from the verdicts, rendered by one printer per format.

pub mod github;
mod gitref;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod text;

use crate::engine::CheckResult;
use crate::rules::RuleSet;
use crate::rules::spec::{Severity, Verdict};
use serde::Serialize;

pub use crate::diagnostic::{Diagnostic, Level};

/// The JSON report's contract version: 2 added findings and evidence roles.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub root: String,
    pub summary: Summary,
    pub checks: Vec<CheckReport>,
    pub errors: Vec<Diagnostic>,
    /// Every `booking-audit-ignore` comment found, and what became of it.
    pub suppressions: Vec<crate::suppress::SuppressionReport>,
    /// Notes on the run as a whole, such as [`NO_BOOKING_CODE`].
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The note of a run on source with no booking domain: every check is skipped, which is not
/// a pass.
pub const NO_BOOKING_CODE: &str = "no booking code found: no booking entity and no booking write, so every check was skipped (this is not a pass)";

#[derive(Debug, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Serialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub skip: usize,
    /// Severity-weighted share of applicable checks that pass, 0-100; null when none applies.
    pub score: Option<f64>,
    pub files_scanned: usize,
    /// Failing checks whose every failing location carries a suppression with a reason.
    pub suppressed: usize,
    /// Failing checks whose failures were all recorded in the `--baseline` file.
    pub baselined: usize,
}

pub use crate::finding::{CheckReport, Evidence, Finding, Fixed, Role, State};

/// Quotes the evidence locations the model kept unquoted.
pub fn quote(report: &mut Report, sources: &mut crate::source::Sources) {
    for c in &mut report.checks {
        let in_findings = c.findings.iter_mut().flat_map(|f| &mut f.evidence);
        for e in c.evidence.iter_mut().chain(in_findings) {
            e.loc.quote(sources);
        }
    }
}

impl CheckReport {
    /// Fails the run at this severity threshold: failing, not suppressed, not in the baseline.
    pub fn fails_run(&self, fail_on: FailOn) -> bool {
        self.is_open_failure() && fail_on.fails(self.severity)
    }
}

impl Summary {
    /// The score as the reports print it: one decimal, or n/a. Never `-0.0`.
    pub fn score_text(&self) -> String {
        self.score
            .map(|v| format!("{:.1}", no_negative_zero(v)))
            .unwrap_or_else(|| "n/a".into())
    }

    /// `72.5/100`, or `n/a` when no check applies.
    pub fn score_out_of_100(&self) -> String {
        match self.score {
            Some(_) => format!("{}/100", self.score_text()),
            None => "n/a".into(),
        }
    }
}

/// `-0.0` as `0.0` (adding positive zero does it); other values unchanged.
fn no_negative_zero(v: f64) -> f64 {
    v + 0.0
}

pub fn build(
    root: &str,
    rules: &RuleSet,
    results: Vec<CheckResult>,
    files_scanned: usize,
    mut errors: Vec<Diagnostic>,
) -> Report {
    let checks: Vec<CheckReport> = rules
        .checks
        .iter()
        .zip(results)
        .map(|(c, r)| CheckReport {
            id: c.full_id.clone(),
            short_id: c.short_id().to_string(),
            category: c.category().to_string(),
            title: c.spec.title.clone(),
            severity: c.spec.severity,
            verdict: r.verdict,
            detail: r.detail,
            evidence: r.evidence,
            findings: r.findings,
            references: c.spec.references.clone(),
            remediation: c.spec.remediation.trim().to_string(),
            suppressed: false,
            baseline: None,
            fixed: vec![],
        })
        .collect();
    errors.sort();
    errors.dedup();
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "booking-audit",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: root.to_string(),
        summary: Summary {
            pass: 0,
            fail: 0,
            skip: 0,
            score: None,
            files_scanned,
            suppressed: 0,
            baselined: 0,
        },
        checks,
        errors,
        suppressions: vec![],
        notes: vec![],
    };
    report.summarize();
    report
}

/// The threshold below which failing checks do not fail the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

impl FailOn {
    pub fn fails(self, severity: Severity) -> bool {
        let min = match self {
            FailOn::Critical => Severity::Critical,
            FailOn::High => Severity::High,
            FailOn::Medium => Severity::Medium,
            FailOn::Low => Severity::Low,
            FailOn::Never => return false,
        };
        severity >= min && severity != Severity::Info
    }
}

impl Report {
    /// The source holds no booking domain (see [`NO_BOOKING_CODE`]).
    pub fn no_booking_code(&self) -> bool {
        self.notes.iter().any(|n| n == NO_BOOKING_CODE)
    }

    /// Checks ran, and every one was skipped: nothing passed or failed.
    pub fn all_skipped(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.verdict == Verdict::Skip)
    }

    pub fn failed(&self, fail_on: FailOn) -> bool {
        self.checks.iter().any(|c| c.fails_run(fail_on))
    }

    /// Failures neither suppressed nor baselined, most severe first (catalogue order within
    /// a severity).
    pub fn open_failures(&self) -> Vec<&CheckReport> {
        let mut open: Vec<&CheckReport> =
            self.checks.iter().filter(|c| c.is_open_failure()).collect();
        open.sort_by_key(|c| std::cmp::Reverse(c.severity));
        open
    }

    /// Suppression comments worth a warning: unused, without a reason, or naming no check.
    pub fn suppression_problems(&self) -> Vec<&crate::suppress::SuppressionReport> {
        self.suppressions
            .iter()
            .filter(|s| s.status.is_problem())
            .collect()
    }

    /// Recounts the summary from the checks (after suppressions and the baseline are applied).
    /// The score counts suppressed and baselined failures as failures: the code still fails.
    pub fn summarize(&mut self) {
        let checks = &self.checks;
        let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
        let weight = |v: Verdict| {
            checks
                .iter()
                .filter(|c| c.verdict == v)
                .map(|c| c.severity.weight())
                .sum::<f64>()
        };
        let (wp, wf) = (weight(Verdict::Pass), weight(Verdict::Fail));
        let s = &mut self.summary;
        s.score =
            (wp + wf > 0.0).then(|| no_negative_zero((wp / (wp + wf) * 1000.0).round() / 10.0));
        s.pass = count(Verdict::Pass);
        s.fail = count(Verdict::Fail);
        s.skip = count(Verdict::Skip);
        s.suppressed = checks.iter().filter(|c| c.suppressed).count();
        s.baselined = checks
            .iter()
            .filter(|c| c.baseline == Some(State::Unchanged))
            .count();
    }

    /// The prefix that turns a root-relative path into one relative to the working directory,
    /// for consumers that resolve paths against the repository checkout (GitHub code scanning,
    /// workflow annotations): `apps/web/` for `booking-audit apps/web`, empty for `.` or for an
    /// absolute or parent-relative root.
    pub fn checkout_prefix(&self) -> String {
        let root = self.root.replace('\\', "/");
        let parts: Vec<&str> = root
            .split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect();
        if root.starts_with('/') || root.contains(':') || parts.is_empty() || parts.contains(&"..")
        {
            return String::new();
        }
        format!("{}/", parts.join("/"))
    }
}

/// SARIF and annotation levels: critical and high are errors, medium and low warnings, info
/// a note.
pub fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(score: Option<f64>) -> Summary {
        Summary {
            pass: 0,
            fail: 1,
            skip: 0,
            score,
            files_scanned: 1,
            suppressed: 0,
            baselined: 0,
        }
    }

    #[test]
    fn negative_zero_is_never_printed() {
        let s = summary(Some(-0.0));
        assert_eq!(s.score_text(), "0.0");
        assert_eq!(s.score_out_of_100(), "0.0/100");
        assert_eq!(no_negative_zero(-0.0).to_string(), "0");
        assert_eq!(
            serde_json::to_string(&no_negative_zero(-0.0)).unwrap(),
            "0.0"
        );
        assert_eq!(summary(Some(72.46)).score_text(), "72.5");
        assert_eq!(summary(None).score_out_of_100(), "n/a");
    }
}
