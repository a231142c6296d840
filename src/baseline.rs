//! Baselines: `--write-baseline FILE` records today's failures by fingerprint; `--baseline
//! FILE` then fails the run only on failing checks, or failing evidence, that are new since.

use crate::report::Report;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A failing check compared with the baseline (SARIF's `baselineState` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The check did not fail in the baseline.
    New,
    /// It failed, but now also at a location the baseline does not know.
    Updated,
    /// Every failing location was already in the baseline.
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

/// The file: per failing check (full id), the fingerprints of its unsuppressed evidence.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub failures: BTreeMap<String, BTreeSet<String>>,
}

const VERSION: u32 = 1;

impl Baseline {
    /// Today's open failures: failing checks not wholly suppressed, with the fingerprints of
    /// the evidence no suppression covers.
    pub fn of(report: &Report) -> Self {
        let failures = report
            .checks
            .iter()
            .filter(|c| c.verdict == crate::rules::spec::Verdict::Fail && !c.suppressed)
            .map(|c| {
                let fps = c.open_evidence().map(|e| e.fingerprint.clone()).collect();
                (c.id.clone(), fps)
            })
            .collect();
        Baseline {
            version: VERSION,
            tool: "booking-audit".into(),
            failures,
        }
    }

    pub fn read(path: &Path) -> miette::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("--baseline {}: {e}", path.display()))?;
        let b: Baseline = serde_json::from_str(&text).map_err(|e| {
            miette::miette!(
                help = "write one with `booking-audit --write-baseline FILE`",
                "--baseline {}:{}:{}: not a booking-audit baseline: {e}",
                path.display(),
                e.line(),
                e.column()
            )
        })?;
        if b.version != VERSION {
            miette::bail!(
                "--baseline {}: baseline version {} is not supported (expected {VERSION})",
                path.display(),
                b.version
            );
        }
        Ok(b)
    }

    pub fn write(&self, path: &Path) -> miette::Result<()> {
        let mut text = serde_json::to_string_pretty(self).expect("baseline serializes");
        text.push('\n');
        std::fs::write(path, text)
            .map_err(|e| miette::miette!("--write-baseline {}: {e}", path.display()))
    }

    /// Marks each open failure of the report as new, updated or unchanged.
    pub fn apply(&self, report: &mut Report) {
        for c in &mut report.checks {
            if c.verdict != crate::rules::spec::Verdict::Fail || c.suppressed {
                continue;
            }
            c.baseline = Some(match self.failures.get(&c.id) {
                None => State::New,
                Some(known) if c.open_evidence().all(|e| known.contains(&e.fingerprint)) => {
                    State::Unchanged
                }
                Some(_) => State::Updated,
            });
        }
    }
}
