//! `--format github`: GitHub Actions workflow commands. Each open finding annotates its
//! primary line, naming its context lines and their roles (most severe checks first: GitHub keeps only the first few annotations of
//! a step), suppression problems become warnings, and a closing line gives the counts.

use super::{CheckReport, Report, level};
use std::fmt::Write;

/// Workflow-command message data: `%`, CR and LF are escaped.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command property values: also `:` and `,`.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(level: &str) -> &'static str {
    match level {
        "error" => "error",
        "warning" => "warning",
        _ => "notice",
    }
}

fn annotate(out: &mut String, prefix: &str, c: &CheckReport) {
    let open: Vec<_> = c
        .open_findings()
        .filter(|f| f.primary().is_some())
        .collect();
    let title = property(&format!(
        "booking-audit {} [{}]",
        c.short_id,
        c.severity.as_str()
    ));
    let message = format!("{}: {}", c.title, c.detail);
    let cmd = command(level(c.severity));
    if open.is_empty() {
        let _ = writeln!(out, "::{cmd} title={title}::{}", data(&message));
        return;
    }
    for (i, f) in open.iter().enumerate() {
        let Some(l) = f.primary().map(|e| &e.loc) else {
            continue;
        };
        let mut text = if i == 0 {
            message.clone()
        } else {
            format!("{} (finding {} of {})", c.title, i + 1, open.len())
        };
        let context: Vec<String> = f.evidence[1..]
            .iter()
            .map(|e| format!("{} {prefix}{}:{}", e.role.as_str(), e.loc.path, e.loc.line))
            .collect();
        if !context.is_empty() {
            text.push_str(&format!(" [{}]", context.join("; ")));
        }
        let _ = writeln!(
            out,
            "::{cmd} file={},line={},endLine={},col={},title={title}::{}",
            property(&format!("{prefix}{}", l.path)),
            l.line,
            l.end_line.max(l.line),
            l.column,
            data(&text)
        );
    }
}

pub fn render(report: &Report) -> String {
    let prefix = report.checkout_prefix();
    let mut out = String::new();
    let open = report.open_failures();
    for c in &open {
        annotate(&mut out, &prefix, c);
    }
    for s in report.suppression_problems() {
        let _ = writeln!(
            out,
            "::warning file={},line={},title={}::{}",
            property(&format!("{prefix}{}", s.path)),
            s.line,
            property("booking-audit suppression"),
            data(&s.message())
        );
    }
    for n in &report.notes {
        let _ = writeln!(
            out,
            "::notice title={}::{}",
            property("booking-audit"),
            data(n)
        );
    }
    let s = &report.summary;
    let _ = writeln!(
        out,
        "booking-audit: {} passed, {} failed ({} open, {} suppressed, {} in baseline), {} skipped; score {}",
        s.pass,
        s.fail,
        open.len(),
        s.suppressed,
        s.baselined,
        s.skip,
        s.score_out_of_100()
    );
    out
}
