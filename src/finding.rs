//! A check's result as the report, suppressions and baselines all see it: its verdict, its
//! evidence in roles, and its findings (one per failing flow, entity or call, each with its
//! own primary location and fingerprint).
//!
//! A leaf below `report`, `suppress`, `baseline` and `fingerprint`, so those read and mark
//! findings without importing the report, and the report imports them.

use crate::rules::spec::{Severity, Verdict};
use crate::source::Location;
use serde::Serialize;

/// What an evidence location is to its finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The line that is wrong: the insert without a guard, the capture before the booking.
    Primary,
    /// A guard that exists, but elsewhere or too late to protect this location.
    Guard,
    /// The entity, field or constraint the finding is about.
    Entity,
    /// The function the failing flow starts at (a route handler, a server action).
    FlowRoot,
    /// Other context.
    #[default]
    Related,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Primary => "primary",
            Role::Guard => "guard",
            Role::Entity => "entity",
            Role::FlowRoot => "flow-root",
            Role::Related => "related",
        }
    }
}

/// A failing check, or one of its findings, compared with the baseline (SARIF's
/// `baselineState` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Not in the baseline: the check did not fail there, or this finding is new.
    New,
    /// The check failed in the baseline, but now also has a finding the baseline lacks.
    Updated,
    /// Known from the baseline: it does not fail the run.
    Unchanged,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Updated => "updated",
            State::Unchanged => "unchanged",
        }
    }
}

/// One quoted location and what it is to the verdict or finding.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    #[serde(flatten)]
    pub loc: Location,
    pub role: Role,
}

/// One failing location of a check: a failing flow, entity or call.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Stable across unrelated edits (see `fingerprint`); baselines and SARIF use it.
    pub fingerprint: String,
    /// The primary location first, then its context. Empty for a failure that quotes no
    /// location.
    pub evidence: Vec<Evidence>,
    /// The reason of the `booking-audit-ignore` comment that suppresses this finding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<String>,
    /// With a baseline: `new` or `unchanged`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<State>,
}

impl Finding {
    pub fn primary(&self) -> Option<&Evidence> {
        self.evidence.first()
    }

    /// Neither suppressed nor known from the baseline.
    pub fn is_open(&self) -> bool {
        self.suppressed.is_none() && self.baseline != Some(State::Unchanged)
    }
}

/// A finding of the baseline that the code no longer has.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Fixed {
    pub fingerprint: String,
    /// Where it was when the baseline was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
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
    /// What the detail line cites, for every verdict.
    pub evidence: Vec<Evidence>,
    /// A failing check's findings; empty otherwise.
    pub findings: Vec<Finding>,
    pub references: Vec<String>,
    pub remediation: String,
    /// A failing check whose every finding is suppressed: it does not fail the run.
    pub suppressed: bool,
    /// With a baseline, for a failing, unsuppressed check: new, updated (a new finding) or
    /// unchanged (all known, so it does not fail the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<State>,
    /// With a baseline: its findings of this check that the code no longer has.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<Fixed>,
}

impl CheckReport {
    /// A failure that is neither suppressed nor known from the baseline.
    pub fn is_open_failure(&self) -> bool {
        self.verdict == Verdict::Fail && !self.suppressed && self.baseline != Some(State::Unchanged)
    }

    /// The findings no suppression covers.
    pub fn unsuppressed(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    /// The findings that fail the run: neither suppressed nor in the baseline.
    pub fn open_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_open())
    }

    /// The distinct reasons of the suppressions covering this check's findings, sorted.
    pub fn suppression_reasons(&self) -> Vec<&str> {
        let mut why: Vec<&str> = self
            .findings
            .iter()
            .filter_map(|f| f.suppressed.as_deref())
            .collect();
        why.sort_unstable();
        why.dedup();
        why
    }
}
