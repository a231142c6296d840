//! The human report: per check, verdict, severity, detail, quoted evidence, and the fix
//! when it fails; then counts and the score.

use super::{CheckReport, Level, Report, Summary};
use crate::rules::spec::Verdict;
use std::fmt::Write;

pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

pub fn render(report: &Report, style: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} - {} ({} files)",
        report.tool.name, report.tool.version, report.root, report.summary.files_scanned
    );
    let mut category = "";
    for c in &report.checks {
        if c.category != category {
            category = &c.category;
            let _ = writeln!(out, "\n{}", style.paint("1", category));
        }
        let mark = match c.verdict {
            Verdict::Pass => style.paint("32", "PASS"),
            Verdict::Fail if !c.is_open_failure() => style.paint("33", "FAIL"),
            Verdict::Fail => style.paint("31;1", "FAIL"),
            Verdict::Skip => style.paint("2", "SKIP"),
        };
        let _ = writeln!(
            out,
            "  {mark}  {} [{}]  {}{}",
            c.short_id,
            c.severity.as_str(),
            c.title,
            tag(c)
        );
        let _ = writeln!(out, "        {}", c.detail);
        for e in &c.evidence {
            let _ = writeln!(
                out,
                "        {}",
                style.paint("36", &format!("{}:{}", e.loc.path, e.loc.line))
            );
            for line in e.loc.snippet.lines() {
                let _ = writeln!(out, "          | {line}");
            }
            if let Some(why) = &e.suppressed {
                let _ = writeln!(out, "          {} {why}", style.paint("33", "suppressed:"));
            }
        }
        if c.is_open_failure() {
            let first: Vec<&str> = c
                .remediation
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let _ = writeln!(
                out,
                "        {} {}",
                style.paint("33", "fix:"),
                first.join(" ")
            );
        }
    }
    let warnings: Vec<_> = report
        .errors
        .iter()
        .filter(|e| e.level == Level::Warning)
        .collect();
    if !report.errors.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "files"));
        for e in report.errors.iter().take(20) {
            let tag = match e.level {
                Level::Warning => style.paint("33", "warning"),
                Level::Note => style.paint("2", "note"),
            };
            let _ = writeln!(out, "  {tag}: {}: {}", e.path, e.message);
        }
        if report.errors.len() > 20 {
            let _ = writeln!(
                out,
                "  ... {} more (see --format json)",
                report.errors.len() - 20
            );
        }
    }
    let problems = report.suppression_problems();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n{}", style.paint("1", "suppressions"));
        for p in &problems {
            let _ = writeln!(
                out,
                "  {}: {}:{}: {}",
                style.paint("33", "warning"),
                p.path,
                p.line,
                p.message()
            );
        }
    }
    for n in &report.notes {
        let _ = writeln!(out, "\n{}: {n}", style.paint("33", "note"));
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "\n{} passed, {} failed{}, {} skipped; score {}{}",
        s.pass,
        s.fail,
        waived(s),
        s.skip,
        s.score_out_of_100(),
        if warnings.is_empty() {
            String::new()
        } else {
            format!("; {} file warnings", warnings.len())
        }
    );
    out
}

/// After the check title: why a failure does not fail the run, or what is new in it.
fn tag(c: &CheckReport) -> &'static str {
    use crate::baseline::State;
    if c.suppressed {
        "  (suppressed)"
    } else {
        match c.baseline {
            Some(State::Unchanged) => "  (in baseline)",
            Some(State::Updated) => "  (new evidence since the baseline)",
            Some(State::New) => "  (new since the baseline)",
            None => "",
        }
    }
}

fn waived(s: &Summary) -> String {
    let mut parts = Vec::new();
    if s.suppressed > 0 {
        parts.push(format!("{} suppressed", s.suppressed));
    }
    if s.baselined > 0 {
        parts.push(format!("{} in baseline", s.baselined));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}
