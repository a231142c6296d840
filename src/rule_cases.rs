//! Runs the test cases that checks carry in their YAML (`tests:`): the engine of
//! `booking-audit test` and of `cargo test --test rule_cases`, so that a user's `--rules`
//! checks are tested exactly as the built-in ones are.
//!
//! A case is an inline repository (`files:`) or a fixture directory (`fixture:`). Built-in
//! checks' fixtures are relative to the source checkout the binary was built from; a user
//! check's, to the current directory. A built-in case whose fixture is absent (an installed
//! binary) is "not run" rather than failed: the rule did not change, only its fixture is away.

use crate::report::Report;
use crate::rules::spec::{TestCase, Verdict};
use crate::rules::{Check, RuleSet};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where fixtures are found, and which cases run.
pub struct Options<'a> {
    /// Root of built-in checks' fixtures (the source checkout).
    pub builtin_root: &'a Path,
    /// Root of user checks' fixtures.
    pub user_root: &'a Path,
    /// Only cases whose label contains this text (case-insensitive).
    pub filter: Option<&'a str>,
}

impl Default for Options<'_> {
    fn default() -> Self {
        Options {
            builtin_root: Path::new(env!("CARGO_MANIFEST_DIR")),
            user_root: Path::new("."),
            filter: None,
        }
    }
}

/// What the check decided on a case's repository.
pub struct Actual {
    pub verdict: Verdict,
    pub detail: String,
    /// `path:line  snippet` per evidence location.
    pub evidence: Vec<String>,
}

pub enum Status {
    Passed,
    /// Each problem found (wrong verdict, missing detail text, no evidence).
    Failed(Vec<String>),
    NotRun(String),
}

pub struct CaseResult {
    /// `category/check: case name`.
    pub label: String,
    pub expect: Verdict,
    pub actual: Option<Actual>,
    pub status: Status,
}

/// The label `--filter` matches: `category/check: case name`, and for a case a fact file
/// carries, the file after it (`category/check: case name [orm/prisma]`).
pub fn label(check: &Check, case: &TestCase) -> String {
    let base = format!("{}/{}: {}", check.category(), check.short_id(), case.name);
    match &case.origin {
        Some(o) => format!("{base} [{}]", o.name),
        None => base,
    }
}

/// Runs every selected case of every check, in the rule set's order. Each fixture is audited
/// once, however many cases share it.
pub fn run(set: &RuleSet, opts: &Options) -> Vec<CaseResult> {
    let filter = opts.filter.map(str::to_lowercase);
    let mut audited: HashMap<PathBuf, Report> = HashMap::new();
    let mut out = Vec::new();
    for check in &set.checks {
        for case in &check.spec.tests {
            let label = label(check, case);
            if filter
                .as_ref()
                .is_some_and(|f| !label.to_lowercase().contains(f.as_str()))
            {
                continue;
            }
            out.push(run_case(set, check, case, label, opts, &mut audited));
        }
    }
    out
}

fn run_case(
    set: &RuleSet,
    check: &Check,
    case: &TestCase,
    label: String,
    opts: &Options,
    audited: &mut HashMap<PathBuf, Report>,
) -> CaseResult {
    let result = |actual, status| CaseResult {
        label: label.clone(),
        expect: case.expect,
        actual,
        status,
    };
    let tmp;
    // A fixture is found where the file that wrote the case has its fixtures.
    let builtin = case.origin.as_ref().map_or(check.builtin, |o| o.builtin);
    let report = match &case.fixture {
        Some(f) => {
            let root = if builtin {
                opts.builtin_root
            } else {
                opts.user_root
            }
            .join(f);
            if !root.is_dir() {
                let why = format!("fixture {f} not found");
                return if builtin {
                    result(None, Status::NotRun(why))
                } else {
                    result(None, Status::Failed(vec![why]))
                };
            }
            &*audited
                .entry(root.clone())
                .or_insert_with(|| audit(&root, set))
        }
        None => match inline_repo(case) {
            Ok(dir) => {
                tmp = audit(dir.path(), set);
                &tmp
            }
            Err(e) => return result(None, Status::Failed(vec![e])),
        },
    };
    let Some(got) = report
        .checks
        .iter()
        .find(|c| c.short_id == check.short_id())
    else {
        return result(None, Status::Failed(vec!["check not in the report".into()]));
    };
    let actual = Actual {
        verdict: got.verdict,
        detail: got.detail.clone(),
        evidence: got
            .evidence
            .iter()
            .map(|e| format!("{}  {}", e.loc.short(), first_line(&e.loc.snippet)))
            .collect(),
    };
    let mut problems = Vec::new();
    if actual.verdict != case.expect {
        problems.push("wrong verdict".to_string());
    } else {
        if let Some(want) = &case.detail_contains
            && !actual.detail.contains(want.as_str())
        {
            problems.push(format!("detail lacks {want:?}"));
        }
        // A pass or a fail must show what it rests on.
        if actual.verdict != Verdict::Skip && actual.evidence.is_empty() {
            problems.push(format!("{} with no evidence", actual.verdict.as_str()));
        }
    }
    let status = if problems.is_empty() {
        Status::Passed
    } else {
        Status::Failed(problems)
    };
    result(Some(actual), status)
}

fn audit(root: &Path, set: &RuleSet) -> Report {
    let opts = crate::AuditOptions {
        include: vec![],
        exclude: vec![],
        display_root: ".",
    };
    crate::analyse(root, set, &opts).0
}

/// A directory removed when dropped (the library has no tempfile dependency).
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("booking-audit-case-{}-{n}", std::process::id()));
        // A leftover of an earlier process with the same id.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The case's inline files in a temporary directory. Paths must stay inside it.
fn inline_repo(case: &TestCase) -> Result<TempDir, String> {
    let dir = TempDir::new().map_err(|e| format!("temporary directory: {e}"))?;
    for (path, content) in &case.files {
        let rel = Path::new(path);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(format!("file `{path}`: use a relative path without `..`"));
        }
        let p = dir.path().join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{path}: {e}"))?;
        }
        std::fs::write(&p, content).map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(dir)
}

fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Counts of passed, failed and not-run cases.
pub fn counts(results: &[CaseResult]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for r in results {
        match r.status {
            Status::Passed => c.0 += 1,
            Status::Failed(_) => c.1 += 1,
            Status::NotRun(_) => c.2 += 1,
        }
    }
    c
}

/// The summary line: `N passed, N failed` (and `, N not run` when some were not).
pub fn summary(results: &[CaseResult]) -> String {
    let (passed, failed, not_run) = counts(results);
    let mut s = format!("{passed} passed, {failed} failed");
    if not_run > 0 {
        s.push_str(&format!(", {not_run} not run"));
    }
    s
}

/// One line per case; a failed case adds its expected and actual verdict, detail and
/// evidence. Ends with the summary line.
pub fn render(results: &[CaseResult]) -> String {
    let mut o = String::new();
    for r in results {
        match &r.status {
            Status::Passed => o.push_str(&format!("ok       {}\n", r.label)),
            Status::NotRun(why) => o.push_str(&format!("not run  {} ({why})\n", r.label)),
            Status::Failed(problems) => {
                o.push_str(&format!("FAILED   {}\n", r.label));
                for p in problems {
                    o.push_str(&format!("         {p}\n"));
                }
                o.push_str(&format!("         expected: {}\n", r.expect.as_str()));
                if let Some(a) = &r.actual {
                    o.push_str(&format!(
                        "         actual:   {}: {}\n",
                        a.verdict.as_str(),
                        a.detail
                    ));
                    if a.evidence.is_empty() {
                        o.push_str("         evidence: none\n");
                    }
                    for (i, e) in a.evidence.iter().enumerate() {
                        let head = if i == 0 { "evidence:" } else { "" };
                        o.push_str(&format!("         {head:<9} {e}\n"));
                    }
                }
            }
        }
    }
    o.push_str(&summary(results));
    o.push('\n');
    o
}

/// `booking-audit test`: prints every case and the summary; exit 1 when a case failed.
/// A filter that selects nothing is a usage error (exit 2), likely a mistyped name.
pub fn command(
    set: &RuleSet,
    filter: Option<&str>,
    out: &mut impl std::io::Write,
) -> miette::Result<i32> {
    let results = run(
        set,
        &Options {
            filter,
            ..Options::default()
        },
    );
    if results.is_empty() {
        match filter {
            Some(f) => miette::bail!(
                help = "the filter matches `category/check: case name`; `booking-audit list` shows the checks",
                "no test case matches `{f}`"
            ),
            None => miette::bail!("no check has test cases"),
        }
    }
    let _ = write!(out, "{}", render(&results));
    Ok(i32::from(counts(&results).1 > 0))
}
