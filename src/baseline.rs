//! Baselines: `--write-baseline FILE` records today's open findings by fingerprint;
//! `--baseline FILE` then fails the run only on findings that are new since: a new failing
//! flow is new even when its check already failed. Findings of the baseline that are gone
//! are reported as fixed.

use crate::finding::{CheckReport, Fixed, State};
use crate::rules::spec::Verdict;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// One recorded finding: its fingerprint, and where it was (to say where a fixed one was).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
}

/// The file: per failing check (full id), its unsuppressed findings.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub tool: String,
    pub failures: BTreeMap<String, Vec<Entry>>,
}

/// 2: one entry per finding (1 held the fingerprints of a check's evidence lines).
const VERSION: u32 = 2;

impl Baseline {
    /// Today's open failures: failing checks not wholly suppressed, with their unsuppressed
    /// findings.
    pub fn of(checks: &[CheckReport]) -> Self {
        let failures = checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail && !c.suppressed)
            .map(|c| {
                let mut entries: Vec<Entry> = c
                    .unsuppressed()
                    .map(|f| Entry {
                        fingerprint: f.fingerprint.clone(),
                        path: f.primary().map(|e| e.loc.path.to_string()),
                        line: f.primary().map(|e| e.loc.line),
                    })
                    .collect();
                entries.sort();
                (c.id.clone(), entries)
            })
            .collect();
        Baseline {
            version: VERSION,
            tool: "booking-audit".into(),
            failures,
        }
    }

    /// Reads a baseline file; what is wrong with it is an error naming the file.
    pub fn read(path: &Path) -> miette::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| miette::miette!("--baseline {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| miette::miette!("--baseline {}: {e}", path.display()))
    }

    fn parse(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Version {
            version: Option<u32>,
        }
        let version = serde_json::from_str::<Version>(text)
            .ok()
            .and_then(|v| v.version);
        if let Some(v) = version
            && v != VERSION
        {
            return Err(format!(
                "baseline version {v} is not supported (expected {VERSION}); write a new one \
                 with `booking-audit --write-baseline FILE`"
            ));
        }
        serde_json::from_str(text).map_err(|e| {
            format!(
                "{}:{}: not a booking-audit baseline: {e} (write one with `booking-audit \
                 --write-baseline FILE`)",
                e.line(),
                e.column()
            )
        })
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("baseline serializes");
        text.push('\n');
        text
    }

    pub fn write(&self, path: &Path) -> miette::Result<()> {
        std::fs::write(path, self.to_json())
            .map_err(|e| miette::miette!("--write-baseline {}: {e}", path.display()))
    }

    /// Marks each open finding new or unchanged, each open failure new, updated or
    /// unchanged, and lists the baseline's findings the code no longer has as fixed.
    pub fn apply(&self, checks: &mut [CheckReport]) {
        for c in checks {
            let known = self.failures.get(&c.id);
            let has = |fp: &str| known.is_some_and(|k| k.iter().any(|e| e.fingerprint == fp));
            let failing = c.verdict == Verdict::Fail;
            if failing && !c.suppressed {
                for f in c.findings.iter_mut().filter(|f| f.suppressed.is_none()) {
                    f.baseline = Some(if has(&f.fingerprint) {
                        State::Unchanged
                    } else {
                        State::New
                    });
                }
                c.baseline = Some(match known {
                    None => State::New,
                    Some(_)
                        if c.unsuppressed()
                            .all(|f| f.baseline == Some(State::Unchanged)) =>
                    {
                        State::Unchanged
                    }
                    Some(_) => State::Updated,
                });
            }
            let now: Vec<&str> = if failing {
                c.findings.iter().map(|f| f.fingerprint.as_str()).collect()
            } else {
                vec![]
            };
            c.fixed = known
                .into_iter()
                .flatten()
                .filter(|e| !now.contains(&e.fingerprint.as_str()))
                .map(|e| Fixed {
                    fingerprint: e.fingerprint.clone(),
                    path: e.path.clone(),
                    line: e.line,
                })
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_version_is_refused_with_the_way_out() {
        let err = Baseline::parse(r#"{"version": 1, "tool": "booking-audit", "failures": {}}"#)
            .unwrap_err();
        assert!(err.contains("version 1 is not supported"), "{err}");
        let err = Baseline::parse(r#"{"version": 2, "tool": "booking-audit"}"#).unwrap_err();
        assert!(err.contains("missing field `failures`"), "{err}");
        let ok = Baseline::parse(
            r#"{"version": 2, "tool": "booking-audit", "failures": {"c": [{"fingerprint": "f"}]}}"#,
        )
        .unwrap();
        assert_eq!(ok.failures["c"][0].fingerprint, "f");
    }
}
