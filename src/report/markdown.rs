//! `--format markdown`: a summary for pull-request comments and `$GITHUB_STEP_SUMMARY`: the
//! counts and score, a table of open failures (most severe first), each failure's findings (primary line and context by role)
//! and fix folded under it, then what was suppressed, known from the baseline, passed or
//! skipped.

use super::{CheckReport, FailOn, Report};
use crate::rules::spec::Verdict;
use std::fmt::Write;

/// Text safe inside a table cell: no pipes or line breaks.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A code span that survives backticks in the text.
fn code(s: &str) -> String {
    if s.contains('`') {
        format!("`` {s} ``")
    } else {
        format!("`{s}`")
    }
}

/// Text safe in a `<summary>` or list item: no raw HTML.
fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Findings listed per failing check; the JSON and SARIF reports list them all.
const MAX_FINDINGS: usize = 10;

fn snippet(out: &mut String, l: &crate::source::Location) {
    let fence = if l.snippet.contains("```") {
        "~~~~"
    } else {
        "```"
    };
    let _ = writeln!(out, "\n{fence}\n{}\n{fence}", l.snippet);
}

/// A failing check's findings: the primary line quoted, its baseline state or suppression,
/// then its context lines with their roles.
fn findings(out: &mut String, c: &CheckReport) {
    for f in c.findings.iter().take(MAX_FINDINGS) {
        let Some(p) = f.primary() else { continue };
        let _ = write!(
            out,
            "\n{} (primary)",
            code(&format!("{}:{}", p.loc.path, p.loc.line))
        );
        match (&f.suppressed, f.baseline) {
            (Some(why), _) => {
                let _ = write!(out, " (suppressed: {})", html(why));
            }
            (None, Some(crate::finding::State::New)) => out.push_str(" (new)"),
            (None, Some(crate::finding::State::Unchanged)) => out.push_str(" (in baseline)"),
            _ => {}
        }
        snippet(out, &p.loc);
        for e in &f.evidence[1..] {
            let _ = writeln!(
                out,
                "- {}: {}",
                e.role.as_str(),
                code(&format!("{}:{}", e.loc.path, e.loc.line))
            );
        }
    }
    if c.findings.len() > MAX_FINDINGS {
        let _ = writeln!(
            out,
            "\n... {} more findings (see the JSON or SARIF report)",
            c.findings.len() - MAX_FINDINGS
        );
    }
}

fn fix(c: &CheckReport) -> String {
    c.remediation
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

fn list(
    out: &mut String,
    heading: &str,
    checks: &[&CheckReport],
    note: impl Fn(&CheckReport) -> String,
) {
    if checks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n<details><summary>{heading} ({})</summary>\n",
        checks.len()
    );
    for c in checks {
        let _ = writeln!(
            out,
            "- {} [{}] {}: {}",
            code(&c.short_id),
            c.severity.as_str(),
            html(&c.title),
            html(&note(c))
        );
    }
    let _ = writeln!(out, "\n</details>");
}

pub fn render(report: &Report, fail_on: FailOn) -> String {
    let mut out = String::new();
    let s = &report.summary;
    let score = s.score_out_of_100();
    let open = report.open_failures();
    // Never "passes" when nothing was checked: every check skipped is not a pass.
    let verdict = if report.failed(fail_on) {
        "fails"
    } else if report.no_booking_code() {
        "no booking code found"
    } else if report.all_skipped() {
        "no check applies"
    } else {
        "passes"
    };
    let _ = writeln!(out, "## booking-audit: {verdict} (score {score})\n");
    for n in &report.notes {
        let _ = writeln!(out, "> **Note:** {}\n", html(n));
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed, {} skipped in {} files of {}.",
        s.pass,
        s.fail,
        s.skip,
        s.files_scanned,
        code(&report.root)
    );
    if s.suppressed + s.baselined > 0 {
        let _ = writeln!(
            out,
            "Of the failures, {} are suppressed in the code and {} are known from the baseline.",
            s.suppressed, s.baselined
        );
    }
    if !open.is_empty() {
        let _ = writeln!(out, "\n| severity | check | category | finding | where |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for c in &open {
            let at = c
                .open_findings()
                .find_map(|f| f.primary())
                .map(|e| code(&format!("{}:{}", e.loc.path, e.loc.line)))
                .unwrap_or_default();
            let tag = match c.baseline {
                Some(crate::finding::State::New) => " (new)",
                Some(crate::finding::State::Updated) => " (new findings)",
                _ => "",
            };
            let _ = writeln!(
                out,
                "| {} | {}{tag} | {} | {} | {} |",
                c.severity.as_str(),
                code(&c.short_id),
                cell(&c.category),
                cell(&c.title),
                cell(&at)
            );
        }
        for c in &open {
            let _ = writeln!(
                out,
                "\n<details><summary><b>{}</b> [{}]: {}</summary>\n",
                html(&c.short_id),
                c.severity.as_str(),
                html(&c.title)
            );
            let _ = writeln!(out, "{}", html(&c.detail));
            findings(&mut out, c);
            let _ = writeln!(out, "\n**Fix:** {}\n\n</details>", html(&fix(c)));
        }
    }
    let pick = |f: &dyn Fn(&CheckReport) -> bool| -> Vec<&CheckReport> {
        report.checks.iter().filter(|c| f(c)).collect()
    };
    list(&mut out, "Suppressed", &pick(&|c| c.suppressed), |c| {
        c.suppression_reasons().join("; ")
    });
    list(
        &mut out,
        "Known from the baseline",
        &pick(&|c| c.baseline == Some(crate::finding::State::Unchanged)),
        |c| c.detail.clone(),
    );
    list(
        &mut out,
        "Passed",
        &pick(&|c| c.verdict == Verdict::Pass),
        |c| c.detail.clone(),
    );
    list(
        &mut out,
        "Skipped",
        &pick(&|c| c.verdict == Verdict::Skip),
        |c| c.detail.clone(),
    );
    let problems = report.suppression_problems();
    if !problems.is_empty() {
        let _ = writeln!(out, "\n**Suppression comments to fix**\n");
        for p in problems {
            let _ = writeln!(
                out,
                "- {}: {}",
                code(&format!("{}:{}", p.path, p.line)),
                p.message()
            );
        }
    }
    out
}
