//! The human report: per check, verdict, severity, detail, quoted evidence, and the fix
//! when it fails; then counts and the score.

use super::{CheckReport, Level, Report, State, Summary};
use crate::rules::spec::Verdict;
use std::fmt::Write;

pub struct Style {
    pub color: bool,
    /// Wrap detail and fix lines to this many columns (a terminal's width); None: never.
    pub width: Option<usize>,
}

/// `text` after `indent`, wrapped at word boundaries to `width` columns (continuation lines
/// get the same indent); one line when `width` is None. A word longer than a line is kept
/// whole.
fn wrapped(indent: &str, text: &str, width: Option<usize>) -> String {
    let Some(width) = width else {
        return format!("{indent}{text}");
    };
    let room = width.saturating_sub(indent.chars().count()).max(20);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > room {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
        .iter()
        .map(|l| format!("{indent}{l}"))
        .collect::<Vec<_>>()
        .join("\n")
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
        let _ = writeln!(out, "{}", wrapped("        ", &c.detail, style.width));
        if c.verdict == Verdict::Fail {
            findings(&mut out, c, style);
        } else {
            for e in &c.evidence {
                let _ = writeln!(
                    out,
                    "        {}",
                    style.paint("36", &format!("{}:{}", e.loc.path, e.loc.line))
                );
                for line in e.loc.snippet.lines() {
                    let _ = writeln!(out, "          | {line}");
                }
            }
            fixed(&mut out, c);
        }
        if c.is_open_failure() {
            let first: Vec<&str> = c
                .remediation
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let fix = wrapped(
                "        ",
                &format!("fix: {}", first.join(" ")),
                style.width,
            );
            let fix = fix.replacen("fix:", &style.paint("33", "fix:"), 1);
            let _ = writeln!(out, "{fix}");
        }
    }
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
    if !report.notes.is_empty() {
        out.push('\n');
        out.push_str(&notes(report, style));
    }
    let _ = writeln!(out, "\n{}", summary_line(report));
    out
}

/// Findings shown per check; JSON, SARIF and HTML list them all.
const MAX_FINDINGS: usize = 10;

/// A failing check's findings: each primary location with its source and baseline state,
/// then its context locations with their roles.
fn findings(out: &mut String, c: &CheckReport, style: &Style) {
    for f in c.findings.iter().take(MAX_FINDINGS) {
        let Some(primary) = f.primary() else {
            continue;
        };
        let state = match f.baseline {
            Some(State::New) => "  (new)",
            Some(State::Unchanged) => "  (in baseline)",
            _ => "",
        };
        let _ = writeln!(
            out,
            "        {}  {}{state}",
            style.paint("36", &format!("{}:{}", primary.loc.path, primary.loc.line)),
            primary.role.as_str()
        );
        for line in primary.loc.snippet.lines() {
            let _ = writeln!(out, "          | {line}");
        }
        for e in &f.evidence[1..] {
            let _ = writeln!(
                out,
                "          {:<10} {}",
                e.role.as_str(),
                style.paint("36", &format!("{}:{}", e.loc.path, e.loc.line))
            );
        }
        if let Some(why) = &f.suppressed {
            let _ = writeln!(out, "          {} {why}", style.paint("33", "suppressed:"));
        }
    }
    if c.findings.len() > MAX_FINDINGS {
        let _ = writeln!(
            out,
            "        ... {} more findings (see --format json)",
            c.findings.len() - MAX_FINDINGS
        );
    }
    fixed(out, c);
}

/// The baseline's findings of a check that the code no longer has.
fn fixed(out: &mut String, c: &CheckReport) {
    for f in &c.fixed {
        let at = match (&f.path, f.line) {
            (Some(p), Some(l)) => format!("{p}:{l}"),
            _ => f.fingerprint.clone(),
        };
        let _ = writeln!(out, "        fixed since the baseline: {at}");
    }
}

/// The notes on the run (such as no booking code found), one line each.
pub fn notes(report: &Report, style: &Style) -> String {
    report
        .notes
        .iter()
        .map(|n| format!("{}: {n}\n", style.paint("33", "note")))
        .collect()
}

/// The closing line: counts, score and file warnings.
pub fn summary_line(report: &Report) -> String {
    let warnings = report
        .errors
        .iter()
        .filter(|e| e.level == Level::Warning)
        .count();
    let s = &report.summary;
    format!(
        "{} passed, {} failed{}, {} skipped; score {}{}",
        s.pass,
        s.fail,
        waived(s),
        s.skip,
        s.score_out_of_100(),
        if warnings == 0 {
            String::new()
        } else {
            format!("; {warnings} file warnings")
        }
    )
}

/// After the check title: why a failure does not fail the run, or what is new in it.
fn tag(c: &CheckReport) -> &'static str {
    if c.suppressed {
        "  (suppressed)"
    } else {
        match c.baseline {
            Some(State::Unchanged) => "  (in baseline)",
            Some(State::Updated) => "  (new findings since the baseline)",
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

#[cfg(test)]
mod tests {
    use super::wrapped;

    #[test]
    fn wraps_only_with_a_width() {
        let text = "Capture method: automatic. paymentIntents.create captures the money before the booking exists";
        assert_eq!(wrapped("  ", text, None), format!("  {text}"));
        let w = wrapped("  ", text, Some(40));
        assert!(w.lines().count() > 2, "{w}");
        for l in w.lines() {
            assert!(l.starts_with("  ") && l.chars().count() <= 40, "{l:?}");
        }
        assert_eq!(w.split_whitespace().collect::<Vec<_>>().join(" "), text);
    }
}
