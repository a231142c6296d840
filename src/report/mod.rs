//! The report: a deterministic value built from the verdicts, rendered by one printer per format.

pub mod json;
pub mod text;

use crate::engine::CheckResult;
use crate::rules::RuleSet;
use crate::rules::spec::{Severity, Verdict};
use crate::source::Location;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub message: String,
    pub level: Level,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Note,
}

impl Diagnostic {
    pub fn warning(path: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            level: Level::Warning,
        }
    }
    pub fn note(path: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            level: Level::Note,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub root: String,
    pub summary: Summary,
    pub checks: Vec<CheckReport>,
    pub errors: Vec<Diagnostic>,
}

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
}

#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub id: String,
    pub short_id: String,
    pub category: String,
    pub title: String,
    pub severity: Severity,
    pub verdict: Verdict,
    pub detail: String,
    pub evidence: Vec<Location>,
    pub references: Vec<String>,
    pub remediation: String,
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
            references: c.spec.references.clone(),
            remediation: c.spec.remediation.trim().to_string(),
        })
        .collect();
    let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
    let weight = |v: Verdict| {
        checks
            .iter()
            .filter(|c| c.verdict == v)
            .map(|c| c.severity.weight())
            .sum::<f64>()
    };
    let (wp, wf) = (weight(Verdict::Pass), weight(Verdict::Fail));
    let score = (wp + wf > 0.0).then(|| (wp / (wp + wf) * 1000.0).round() / 10.0);
    errors.sort();
    errors.dedup();
    Report {
        schema_version: 1,
        tool: Tool {
            name: "booking-audit",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: root.to_string(),
        summary: Summary {
            pass: count(Verdict::Pass),
            fail: count(Verdict::Fail),
            skip: count(Verdict::Skip),
            score,
            files_scanned,
        },
        checks,
        errors,
    }
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
    pub fn failed(&self, fail_on: FailOn) -> bool {
        self.checks
            .iter()
            .any(|c| c.verdict == Verdict::Fail && fail_on.fails(c.severity))
    }
}
