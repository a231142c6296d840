//! The HTML report's quoted code: a failing check's findings (the primary line with the
//! source around it, the context lines by role) and a passing check's evidence.

use super::esc;
use crate::finding::{CheckReport, Evidence};
use crate::source::{Sources, shorten};
use std::fmt::Write;

/// Lines of source shown before and after an evidence location.
const CONTEXT: usize = 3;

/// Findings shown per check on the page (the JSON and SARIF reports list them all).
const MAX_FINDINGS: usize = 50;

/// A failing check's findings: each primary line with the source around it, then its
/// context lines by role.
pub(super) fn findings(o: &mut String, c: &CheckReport, sources: &mut Sources) {
    let _ = writeln!(o, "<h5>Findings ({})</h5>", c.findings.len());
    for f in c.findings.iter().take(MAX_FINDINGS) {
        let Some(p) = f.primary() else { continue };
        evidence(o, p, f.suppressed.as_deref(), sources);
        if f.baseline == Some(crate::finding::State::New) {
            o.push_str("<p class=\"waiver\"><strong>New</strong> since the baseline.</p>\n");
        }
        if f.evidence.len() > 1 {
            o.push_str("<ul class=\"context\">\n");
            for e in &f.evidence[1..] {
                let _ = writeln!(
                    o,
                    "<li><span class=\"badge\">{}</span> {}:{}</li>",
                    e.role.as_str(),
                    esc(&e.loc.path),
                    e.loc.line
                );
            }
            o.push_str("</ul>\n");
        }
    }
    if c.findings.len() > MAX_FINDINGS {
        let _ = writeln!(
            o,
            "<p>{} more findings: see the JSON or SARIF report.</p>",
            c.findings.len() - MAX_FINDINGS
        );
    }
}

/// One evidence location: its path, line and role, a suppression, and the source around it.
pub(super) fn evidence(
    o: &mut String,
    e: &Evidence,
    suppressed: Option<&str>,
    sources: &mut Sources,
) {
    let l = &e.loc;
    let _ = write!(
        o,
        "<figure>\n<figcaption>{}:{} <span class=\"badge\">{}</span>",
        esc(&l.path),
        l.line,
        e.role.as_str()
    );
    if let Some(why) = suppressed {
        let _ = write!(
            o,
            " <span class=\"badge v-waived\">suppressed</span> {}",
            esc(why)
        );
    }
    o.push_str("</figcaption>\n<table class=\"src\"><tbody>\n");
    let hi_end = l.end_line.max(l.line).min(l.line + 2);
    match sources
        .get(&l.path)
        .filter(|s| l.line >= 1 && s.line_count() >= l.line)
    {
        Some(src) => {
            let first = l.line.saturating_sub(CONTEXT).max(1);
            let last = (hi_end + CONTEXT).min(src.line_count());
            for n in first..=last {
                let text = src.line(n);
                if n == last && n > hi_end && text.is_empty() {
                    continue;
                }
                source_line(o, n, text, (l.line..=hi_end).contains(&n));
            }
        }
        // The file is gone or unreadable now: the quoted snippet only.
        None => {
            for (i, text) in l.snippet.lines().enumerate() {
                source_line(o, l.line + i, text, true);
            }
        }
    }
    o.push_str("</tbody></table>\n</figure>\n");
}

fn source_line(o: &mut String, n: usize, text: &str, hit: bool) {
    let text = esc(&shorten(text, 240));
    if hit {
        let _ = writeln!(
            o,
            "<tr class=\"hit\"><th scope=\"row\"><span aria-hidden=\"true\">&#9656; </span>{n}<span class=\"vh\"> (evidence)</span></th><td>{text}</td></tr>"
        );
    } else {
        let _ = writeln!(o, "<tr><th scope=\"row\">{n}</th><td>{text}</td></tr>");
    }
}
