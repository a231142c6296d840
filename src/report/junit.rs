//! `--format junit`: JUnit XML for CI test reports. One test suite per category, one test
//! case per check: a failing check is a failure, a skipped one is skipped, and a failure that
//! is suppressed or known from the baseline is skipped with the reason.

use super::{CheckReport, Report};
use crate::rules::spec::Verdict;
use std::fmt::Write;

/// XML text and attribute escaping; characters XML 1.0 cannot hold are dropped.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Why a failing check does not count as a failure, if it does not.
fn waived(c: &CheckReport) -> Option<String> {
    if c.suppressed {
        Some(format!(
            "suppressed: {}",
            c.suppression_reasons().join("; ")
        ))
    } else if c.baseline == Some(crate::finding::State::Unchanged) {
        Some("failing, but known from the baseline".into())
    } else {
        None
    }
}

fn body(c: &CheckReport) -> String {
    let mut s = format!("{}\n", c.detail);
    for f in &c.findings {
        for (i, e) in f.evidence.iter().enumerate() {
            let _ = writeln!(s, "{}:{} ({})", e.loc.path, e.loc.line, e.role.as_str());
            if i == 0 {
                for line in e.loc.snippet.lines() {
                    let _ = writeln!(s, "  | {line}");
                }
            }
        }
    }
    let _ = write!(s, "fix: {}", c.remediation);
    s
}

fn testcase(out: &mut String, c: &CheckReport) {
    let _ = write!(
        out,
        "    <testcase classname=\"booking-audit.{}\" name=\"{}\"",
        xml(&c.category),
        xml(&c.short_id)
    );
    let first = c.findings.iter().find_map(|f| f.primary());
    if let Some(e) = first.or(c.evidence.first()) {
        let _ = write!(
            out,
            " file=\"{}\" line=\"{}\"",
            xml(&e.loc.path),
            e.loc.line
        );
    }
    let _ = writeln!(out, ">");
    match (c.verdict, waived(c)) {
        (Verdict::Fail, None) => {
            let _ = writeln!(
                out,
                "      <failure type=\"{}\" message=\"{}: {}\">{}</failure>",
                c.severity.as_str(),
                xml(&c.title),
                xml(&c.detail),
                xml(&body(c))
            );
        }
        (Verdict::Fail, Some(why)) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", xml(&why));
        }
        (Verdict::Skip, _) => {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", xml(&c.detail));
        }
        (Verdict::Pass, _) => {
            let _ = writeln!(out, "      <system-out>{}</system-out>", xml(&c.detail));
        }
    }
    let _ = writeln!(out, "    </testcase>");
}

fn counts<'a>(checks: impl Iterator<Item = &'a CheckReport>) -> (usize, usize, usize) {
    checks.fold((0, 0, 0), |(n, f, s), c| {
        let failed = c.verdict == Verdict::Fail && waived(c).is_none();
        let skipped = c.verdict == Verdict::Skip || (c.verdict == Verdict::Fail && !failed);
        (n + 1, f + usize::from(failed), s + usize::from(skipped))
    })
}

pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let (n, f, s) = counts(report.checks.iter());
    let _ = writeln!(
        out,
        "<testsuites name=\"booking-audit\" tests=\"{n}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">"
    );
    let mut categories: Vec<&str> = Vec::new();
    for c in &report.checks {
        if !categories.contains(&c.category.as_str()) {
            categories.push(&c.category);
        }
    }
    for cat in categories {
        let checks: Vec<&CheckReport> =
            report.checks.iter().filter(|c| c.category == cat).collect();
        let (n, f, s) = counts(checks.iter().copied());
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{n}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
            xml(cat)
        );
        for c in checks {
            testcase(&mut out, c);
        }
        for note in &report.notes {
            let _ = writeln!(out, "    <system-out>note: {}</system-out>", xml(note));
        }
        let _ = writeln!(out, "  </testsuite>");
    }
    let _ = writeln!(out, "</testsuites>");
    out
}
