//! Inline suppressions: `// booking-audit-ignore <check-id>: <reason>` on a finding's primary
//! line or its flow's root line, or the line above either. The reason is required; a failing
//! check whose every finding is suppressed is reported as suppressed and does not fail the
//! run. A comment on a guard or context line suppresses nothing: that line is shared by other
//! findings, such as a new unguarded flow. Every comment found is
//! reported with what became of it, so unused and unexplained ones can be cleaned up.

use crate::finding::{CheckReport, Role};
use crate::rules::RuleSet;
use crate::rules::spec::Verdict;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::Path;

pub const MARKER: &str = "booking-audit-ignore";

/// Files larger than this are not searched for suppressions (the walk skips them anyway).
const MAX_READ: u64 = 4 * 1024 * 1024;

/// One check named by one suppression comment.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Suppression {
    pub path: String,
    pub line: usize,
    /// The id as written (short or full).
    pub check: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// It suppresses at least one failing location.
    Used,
    /// The check ran and no failing location of it is on this line or the next.
    Unused,
    /// No reason after the check id: it suppresses nothing.
    NoReason,
    /// No check has this id.
    UnknownCheck,
    /// The check was turned off (config, `--only`, `--skip`), so nothing can be said.
    NotRun,
}

impl Status {
    /// Worth a warning: the comment does nothing or hides nothing.
    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Status::Unused | Status::NoReason | Status::UnknownCheck
        )
    }

    pub fn message(self, check: &str) -> String {
        match self {
            Status::Used => format!("suppresses {check}"),
            Status::Unused => format!(
                "unused suppression: {check} has no failing location on this line or the next"
            ),
            Status::NoReason => format!(
                "suppression of {check} without a reason is ignored: write `{MARKER} {check}: <why>`"
            ),
            Status::UnknownCheck => format!("suppression names an unknown check `{check}`"),
            Status::NotRun => format!("{check} did not run"),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SuppressionReport {
    pub path: String,
    pub line: usize,
    pub check: String,
    pub reason: Option<String>,
    pub status: Status,
    /// For an unknown check: the closest known id, if one is close.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

impl SuppressionReport {
    /// What became of this comment, with the suggested id for an unknown check.
    pub fn message(&self) -> String {
        let m = self.status.message(&self.check);
        match &self.suggestion {
            Some(s) => format!("{m}; did you mean `{s}`?"),
            None => m,
        }
    }
}

/// Every check id (short and full) of the whole rule set, before any is turned off, mapped
/// to the full id: a suppression naming a check that did not run is not unknown.
pub fn known_ids(set: &RuleSet) -> BTreeMap<String, String> {
    set.checks
        .iter()
        .flat_map(|c| {
            [
                (c.short_id().to_string(), c.full_id.clone()),
                (c.full_id.clone(), c.full_id.clone()),
            ]
        })
        .collect()
}

/// The checks and reason of a suppression comment on this line, if it has one.
pub fn parse_line(line: &str) -> Option<(Vec<String>, Option<String>)> {
    let at = line.find(MARKER)?;
    let before = line[..at].trim_end();
    if !["//", "/*", "#", "--", "*"]
        .iter()
        .any(|o| before.ends_with(o))
    {
        return None;
    }
    let rest = &line[at + MARKER.len()..];
    if !(rest.is_empty() || rest.starts_with(char::is_whitespace)) {
        return None;
    }
    let rest = rest.trim();
    let rest = rest
        .strip_suffix("*/}")
        .or_else(|| rest.strip_suffix("*/"))
        .or_else(|| rest.strip_suffix("-->"))
        .unwrap_or(rest)
        .trim();
    let (ids, reason) = match rest.split_once(':') {
        Some((ids, reason)) => (ids, Some(reason.trim())),
        None => (rest, None),
    };
    let mut checks: Vec<String> = ids
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    if checks.is_empty() {
        checks.push(String::new());
    }
    let reason = reason.filter(|r| !r.is_empty()).map(String::from);
    Some((checks, reason))
}

/// Suppression comments in one file's text.
pub fn in_text(path: &str, text: &str) -> Vec<Suppression> {
    if !text.contains(MARKER) {
        return vec![];
    }
    text.lines()
        .enumerate()
        .filter_map(|(i, l)| parse_line(l).map(|p| (i + 1, p)))
        .flat_map(|(line, (checks, reason))| {
            checks.into_iter().map(move |check| Suppression {
                path: path.to_string(),
                line,
                check,
                reason: reason.clone(),
            })
        })
        .collect()
}

/// Reads the scanned files (read-only, in parallel) for suppression comments.
pub fn scan<'a>(root: &Path, files: impl Iterator<Item = &'a str>) -> Vec<Suppression> {
    let files: Vec<&str> = files.collect();
    let mut found: Vec<Suppression> = files
        .par_iter()
        .flat_map_iter(|rel| {
            let path = root.join(rel);
            let text = std::fs::symlink_metadata(&path)
                .ok()
                .filter(|m| m.is_file() && m.len() <= MAX_READ)
                .and_then(|_| std::fs::read(&path).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            in_text(rel, &text)
        })
        .collect();
    found.sort();
    found
}

/// Marks suppressed findings and checks, and returns every suppression comment with its status.
pub fn apply(
    checks: &mut [CheckReport],
    found: Vec<Suppression>,
    known: &BTreeMap<String, String>,
) -> Vec<SuppressionReport> {
    let mut used = vec![false; found.len()];
    for c in checks.iter_mut() {
        if c.verdict != Verdict::Fail {
            continue;
        }
        for f in &mut c.findings {
            let lines = f
                .evidence
                .iter()
                .filter(|e| matches!(e.role, Role::Primary | Role::FlowRoot));
            let hit = lines.flat_map(|e| {
                found.iter().enumerate().filter(|(_, s)| {
                    *s.path == *e.loc.path
                        && (s.line == e.loc.line || s.line + 1 == e.loc.line)
                        && s.reason.is_some()
                        && known.get(&s.check) == Some(&c.id)
                })
            });
            if let Some((i, s)) = hit.min_by_key(|(i, _)| *i) {
                used[i] = true;
                f.suppressed = s.reason.clone();
            }
        }
        c.suppressed = !c.findings.is_empty() && c.findings.iter().all(|f| f.suppressed.is_some());
    }
    let ran: Vec<&str> = checks.iter().map(|c| c.id.as_str()).collect();
    found
        .into_iter()
        .zip(used)
        .map(|(s, used)| {
            let status = match known.get(&s.check) {
                None => Status::UnknownCheck,
                Some(_) if s.reason.is_none() => Status::NoReason,
                Some(id) if !ran.contains(&id.as_str()) => Status::NotRun,
                Some(_) if used => Status::Used,
                Some(_) => Status::Unused,
            };
            let suggestion = (status == Status::UnknownCheck)
                .then(|| crate::suggest::closest(&s.check, known.keys().map(String::as_str)))
                .flatten()
                .map(String::from);
            SuppressionReport {
                path: s.path,
                line: s.line,
                check: s.check,
                reason: s.reason,
                status,
                suggestion,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comment_styles() {
        let p = |l: &str| parse_line(l);
        assert_eq!(
            p("  // booking-audit-ignore retry-mechanism: idempotent by design"),
            Some((
                vec!["retry-mechanism".into()],
                Some("idempotent by design".into())
            ))
        );
        assert_eq!(
            p("x(); /* booking-audit-ignore a, b: legacy importer */"),
            Some((vec!["a".into(), "b".into()], Some("legacy importer".into())))
        );
        assert_eq!(
            p("{/* booking-audit-ignore a: shown only */}"),
            Some((vec!["a".into()], Some("shown only".into())))
        );
        assert_eq!(
            p("-- booking-audit-ignore a"),
            Some((vec!["a".into()], None))
        );
        assert_eq!(
            p("// booking-audit-ignore a:   "),
            Some((vec!["a".into()], None))
        );
        assert_eq!(p("const s = 'booking-audit-ignore a: b';"), None);
        assert_eq!(p("// booking-audit-ignored a: b"), None);
    }
}
