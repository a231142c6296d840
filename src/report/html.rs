//! `--format html`: one self-contained HTML5 page (CSS and JS inline, no external resource)
//! to read, share and print: the header with the repository, commit, version, score and
//! counts; a scorecard per category; each check with its detail, why it matters, the
//! remediation and its evidence quoted with source context; the files that could not be read.
//! Every text from the report or the scanned files is escaped. Without `--html-date` the page
//! holds no timestamp, so two runs on the same input give the same bytes.

use super::{CheckReport, Level, Report};
use crate::rules::RuleSet;
use crate::rules::spec::{Severity, Verdict};
use crate::source::Sources;
use std::fmt::Write;
use std::path::Path;

const CSS: &str = include_str!("html/page.css");
const JS: &str = include_str!("html/page.js");

mod evidence;
use evidence::{evidence, findings};

const SEVERITIES: [Severity; 5] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::Info,
];
const VERDICTS: [Verdict; 3] = [Verdict::Fail, Verdict::Pass, Verdict::Skip];

/// What the page needs beyond the report.
pub struct Page<'a> {
    /// The scanned root, to read source context from (read-only) and find the commit.
    pub root: &'a Path,
    /// A date to print in the header (`--html-date`); none by default, for reproducible bytes.
    pub date: Option<&'a str>,
}

/// Text safe in HTML content and in quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A check's fragment id: its short id with anything but `[A-Za-z0-9_-]` replaced.
fn anchor(c: &CheckReport) -> String {
    let id: String = c
        .short_id
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    format!("check-{id}")
}

/// The verdict as words and an icon (colour is never the only signal), and its CSS class.
fn verdict_badge(c: &CheckReport) -> String {
    use crate::finding::State;
    let (class, icon, word) = match c.verdict {
        Verdict::Pass => ("v-pass", "\u{2713}", "PASS".to_string()),
        Verdict::Skip => ("v-skip", "\u{2013}", "SKIP".to_string()),
        Verdict::Fail if c.suppressed => ("v-waived", "\u{2717}", "FAIL (suppressed)".into()),
        Verdict::Fail if c.baseline == Some(State::Unchanged) => {
            ("v-waived", "\u{2717}", "FAIL (in baseline)".into())
        }
        Verdict::Fail => ("v-fail", "\u{2717}", "FAIL".to_string()),
    };
    format!("<span class=\"badge {class}\"><span aria-hidden=\"true\">{icon} </span>{word}</span>")
}

fn severity_badge(s: Severity) -> String {
    let s = s.as_str();
    format!("<span class=\"badge s-{s}\">{s}</span>")
}

/// Attributes the filters select on.
fn data(c: &CheckReport) -> String {
    format!(
        "data-verdict=\"{}\" data-severity=\"{}\"",
        c.verdict.as_str(),
        c.severity.as_str()
    )
}

/// Text as paragraphs (split at blank lines), each escaped; the lines of a paragraph are
/// joined, except list items (`- `), which keep their own line.
fn prose(text: &str) -> String {
    let mut o = String::from("<div class=\"prose\">");
    for p in text.trim().split("\n\n").filter(|p| !p.trim().is_empty()) {
        let mut para = String::new();
        for line in p.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !para.is_empty() {
                para.push_str(if line.starts_with("- ") { "<br>" } else { " " });
            }
            para.push_str(&esc(line));
        }
        let _ = write!(o, "<p>{para}</p>");
    }
    o.push_str("</div>");
    o
}

pub fn render(report: &Report, set: &RuleSet, page: &Page) -> String {
    let mut o = String::with_capacity(64 * 1024);
    let repo = repo_name(page.root, &report.root);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"booking-audit {}\">\n\
         <title>booking-audit: {} (score {})</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <a class=\"skip-link vh\" href=\"#checks\">Skip to the checks</a>\n",
        esc(report.tool.version),
        esc(&repo),
        esc(&report.summary.score_out_of_100())
    );
    header(&mut o, report, page, &repo);
    o.push_str("<main>\n");
    for n in &report.notes {
        let _ = writeln!(
            o,
            "<p class=\"waiver\" role=\"note\"><strong>Note:</strong> {}</p>",
            esc(n)
        );
    }
    filters(&mut o);
    scorecard(&mut o, report);
    let mut sources = Sources::new(page.root);
    let _ = writeln!(
        o,
        "<section id=\"checks\" aria-labelledby=\"checks-h\">\n<h2 id=\"checks-h\">Checks</h2>"
    );
    for (category, checks) in categories(report) {
        let _ = writeln!(o, "<h3>{}</h3>", esc(category));
        for c in checks {
            check(&mut o, c, set, &mut sources);
        }
    }
    o.push_str("</section>\n");
    problems(&mut o, report);
    let _ = write!(
        o,
        "</main>\n<footer><p>Generated by booking-audit {}. `booking-audit explain &lt;id&gt;` tells more about a check.</p></footer>\n\
         <script>\n{JS}</script>\n</body>\n</html>\n",
        esc(report.tool.version)
    );
    o
}

/// The scanned root's directory name (the report's root as given when it has none).
fn repo_name(root: &Path, shown: &str) -> String {
    root.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| shown.to_string())
}

/// The checks grouped by category, in catalogue order.
fn categories(report: &Report) -> Vec<(&str, Vec<&CheckReport>)> {
    let mut out: Vec<(&str, Vec<&CheckReport>)> = Vec::new();
    for c in &report.checks {
        match out.last_mut() {
            Some((cat, list)) if *cat == c.category => list.push(c),
            _ => out.push((&c.category, vec![c])),
        }
    }
    out
}

fn header(o: &mut String, report: &Report, page: &Page, repo: &str) {
    let s = &report.summary;
    let _ = writeln!(
        o,
        "<header>\n<h1>booking-audit report: {}</h1>\n<dl class=\"meta\">",
        esc(repo)
    );
    let mut row = |k: &str, v: String| {
        let _ = writeln!(o, "<dt>{k}</dt><dd>{v}</dd>");
    };
    row(
        "Repository",
        format!("{} (<code>{}</code>)", esc(repo), esc(&report.root)),
    );
    if let Some(h) = super::gitref::head(page.root) {
        let branch = h
            .branch
            .map(|b| format!(" on <code>{}</code>", esc(&b)))
            .unwrap_or_default();
        row("Commit", format!("<code>{}</code>{branch}", esc(&h.commit)));
    }
    row(
        "Tool",
        format!("{} {}", esc(report.tool.name), esc(report.tool.version)),
    );
    if let Some(d) = page.date {
        row("Date", esc(d));
    }
    row("Files scanned", s.files_scanned.to_string());
    row(
        "Score",
        format!(
            "<span class=\"score\">{}</span>",
            esc(&s.score_out_of_100())
        ),
    );
    o.push_str("</dl>\n<div class=\"counts\">\n");
    // Verdict by severity: rows are severities, columns verdicts.
    o.push_str(
        "<table>\n<caption>Checks by verdict and severity</caption>\n<thead><tr><th scope=\"col\">severity</th>",
    );
    for v in VERDICTS {
        let _ = write!(o, "<th scope=\"col\">{}</th>", v.as_str());
    }
    o.push_str("<th scope=\"col\">total</th></tr></thead>\n<tbody>\n");
    for sev in SEVERITIES {
        let of: Vec<&CheckReport> = report.checks.iter().filter(|c| c.severity == sev).collect();
        if of.is_empty() {
            continue;
        }
        let _ = write!(o, "<tr><th scope=\"row\">{}</th>", severity_badge(sev));
        for v in VERDICTS {
            let n = of.iter().filter(|c| c.verdict == v).count();
            let _ = write!(o, "<td class=\"num\">{n}</td>");
        }
        let _ = writeln!(o, "<td class=\"num\">{}</td></tr>", of.len());
    }
    let _ = writeln!(
        o,
        "</tbody>\n<tfoot><tr><th scope=\"row\">all</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr></tfoot>\n</table>",
        s.fail,
        s.pass,
        s.skip,
        report.checks.len()
    );
    if s.suppressed + s.baselined > 0 {
        let _ = writeln!(
            o,
            "<p>Of the failures, {} suppressed in the code and {} known from the baseline (they do not fail the run, but count in the score).</p>",
            s.suppressed, s.baselined
        );
    }
    o.push_str("</div>\n</header>\n");
}

/// The filter form: hidden until the script shows it, as it does nothing without it.
fn filters(o: &mut String) {
    o.push_str("<form id=\"filters\" hidden aria-label=\"Filter checks\">\n<fieldset><legend>Verdict</legend>");
    for v in VERDICTS {
        let v = v.as_str();
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"verdict\" value=\"{v}\" checked> {v}</label>"
        );
    }
    o.push_str("</fieldset>\n<fieldset><legend>Severity</legend>");
    for s in SEVERITIES {
        let s = s.as_str();
        let _ = write!(
            o,
            "<label><input type=\"checkbox\" name=\"severity\" value=\"{s}\" checked> {s}</label>"
        );
    }
    o.push_str(
        "</fieldset>\n<output id=\"filter-status\" aria-live=\"polite\"></output>\n</form>\n",
    );
}

fn scorecard(o: &mut String, report: &Report) {
    o.push_str("<section id=\"scorecard\" aria-labelledby=\"scorecard-h\">\n<h2 id=\"scorecard-h\">Scorecard</h2>\n");
    for (category, checks) in categories(report) {
        let pass = checks.iter().filter(|c| c.verdict == Verdict::Pass).count();
        let fail = checks.iter().filter(|c| c.verdict == Verdict::Fail).count();
        let _ = writeln!(
            o,
            "<table class=\"card\">\n<caption>{}: {pass} pass, {fail} fail, {} skip</caption>\n\
             <thead><tr><th scope=\"col\">check</th><th scope=\"col\">severity</th><th scope=\"col\">verdict</th><th scope=\"col\">title</th></tr></thead>\n<tbody>",
            esc(category),
            checks.len() - pass - fail
        );
        for c in checks {
            let _ = writeln!(
                o,
                "<tr {}><th scope=\"row\"><a href=\"#{}\"><code>{}</code></a></th><td>{}</td><td>{}</td><td>{}</td></tr>",
                data(c),
                anchor(c),
                esc(&c.short_id),
                severity_badge(c.severity),
                verdict_badge(c),
                esc(&c.title)
            );
        }
        o.push_str("</tbody>\n</table>\n");
    }
    o.push_str("</section>\n");
}

fn check(o: &mut String, c: &CheckReport, set: &RuleSet, sources: &mut Sources) {
    let class = match c.verdict {
        Verdict::Fail if c.is_open_failure() => "v-fail-open",
        Verdict::Fail => "v-fail-waived",
        Verdict::Pass => "v-pass",
        Verdict::Skip => "v-skip",
    };
    let open = if c.is_open_failure() { " open" } else { "" };
    let _ = writeln!(
        o,
        "<section class=\"check {class}\" id=\"{}\" {} aria-label=\"{}\">\n<details{open}>\n\
         <summary>{} {} <h4>{}</h4> <code>{}</code></summary>",
        anchor(c),
        data(c),
        esc(&c.short_id),
        verdict_badge(c),
        severity_badge(c.severity),
        esc(&c.title),
        esc(&c.id)
    );
    let _ = writeln!(o, "<p class=\"detail\">{}</p>", esc(&c.detail));
    waiver(o, c);
    let spec = set.check(&c.id).map(|k| &k.spec);
    if let Some(why) = spec.map(|s| s.why.trim()).filter(|w| !w.is_empty()) {
        let _ = writeln!(o, "<h5>Why it matters</h5>{}", prose(why));
    }
    if !c.remediation.is_empty() {
        let _ = writeln!(o, "<h5>Remediation</h5>{}", prose(&c.remediation));
    }
    if !c.references.is_empty() {
        let refs: Vec<String> = c.references.iter().map(|r| esc(r)).collect();
        let _ = writeln!(o, "<p>References: {}</p>", refs.join(", "));
    }
    if c.verdict == Verdict::Fail {
        findings(o, c, sources);
    } else if !c.evidence.is_empty() {
        let _ = writeln!(o, "<h5>Evidence ({})</h5>", c.evidence.len());
        for e in &c.evidence {
            evidence(o, e, None, sources);
        }
    }
    o.push_str("</details>\n</section>\n");
}

/// Why a failure does not fail the run, or what is new in it since the baseline.
fn waiver(o: &mut String, c: &CheckReport) {
    use crate::finding::State;
    if c.suppressed {
        let why: Vec<String> = c.suppression_reasons().iter().map(|r| esc(r)).collect();
        let _ = writeln!(
            o,
            "<p class=\"waiver\"><strong>Suppressed</strong> in the code: {}</p>",
            why.join("; ")
        );
        return;
    }
    let text = match c.baseline {
        Some(State::Unchanged) => {
            "<strong>In the baseline</strong>: every finding was known; it does not fail the run."
        }
        Some(State::Updated) => "<strong>New findings</strong> since the baseline.",
        Some(State::New) => "<strong>New</strong> since the baseline.",
        None => return,
    };
    let _ = writeln!(o, "<p class=\"waiver\">{text}</p>");
}

/// The files that could not be read or parsed, and suppression comments to fix.
fn problems(o: &mut String, report: &Report) {
    let fix = report.suppression_problems();
    if !fix.is_empty() {
        o.push_str("<section id=\"suppressions\" aria-labelledby=\"suppressions-h\">\n<h2 id=\"suppressions-h\">Suppression comments to fix</h2>\n<ul class=\"errors\">\n");
        for p in fix {
            let _ = writeln!(
                o,
                "<li>{}:{}: {}</li>",
                esc(&p.path),
                p.line,
                esc(&p.message())
            );
        }
        o.push_str("</ul>\n</section>\n");
    }
    if report.errors.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "<section id=\"errors\" aria-labelledby=\"errors-h\">\n<h2 id=\"errors-h\">Files not read ({})</h2>\n<ul class=\"errors\">",
        report.errors.len()
    );
    for e in &report.errors {
        let tag = match e.level {
            Level::Warning => "warning",
            Level::Note => "note",
        };
        let _ = writeln!(
            o,
            "<li><strong>{tag}</strong>: {}: {}</li>",
            esc(&e.path),
            esc(&e.message)
        );
    }
    o.push_str("</ul>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Evidence, Finding, Role};
    use crate::source::Location;

    const EVIL: &str = "<script>alert(1)</script></textarea><img src=x onerror=alert(2)> \"q\" 'a'";

    #[test]
    fn no_report_or_source_text_becomes_markup() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("evil.ts"),
            format!("const a = 1;\nconst s = \"{EVIL}\";\nconst b = 2;\n"),
        )
        .unwrap();
        let set = crate::rules::load(None).unwrap();
        let mut report = super::super::build(dir.path().to_str().unwrap(), &set, vec![], 1, vec![]);
        let c = CheckReport {
            id: format!("x.{EVIL}"),
            short_id: EVIL.into(),
            category: EVIL.into(),
            title: EVIL.into(),
            severity: Severity::High,
            verdict: Verdict::Fail,
            detail: EVIL.into(),
            evidence: vec![],
            findings: vec![
                Finding {
                    fingerprint: String::new(),
                    evidence: vec![Evidence {
                        loc: Location {
                            path: "evil.ts".into(),
                            line: 2,
                            column: 1,
                            end_line: 2,
                            snippet: String::new(),
                        },
                        role: Role::Primary,
                    }],
                    suppressed: Some(EVIL.into()),
                    baseline: None,
                },
                Finding {
                    fingerprint: String::new(),
                    evidence: vec![Evidence {
                        loc: Location {
                            path: EVIL.into(),
                            line: 1,
                            column: 1,
                            end_line: 1,
                            snippet: EVIL.into(),
                        },
                        role: Role::Primary,
                    }],
                    suppressed: Some("x".into()),
                    baseline: None,
                },
            ],
            references: vec![EVIL.into()],
            remediation: EVIL.into(),
            suppressed: true,
            baseline: None,
            fixed: vec![],
        };
        report.checks = vec![c];
        report.errors = vec![super::super::Diagnostic::warning(EVIL, EVIL)];
        report.notes = vec![EVIL.into()];
        report.summarize();
        let html = render(
            &report,
            &set,
            &Page {
                root: dir.path(),
                date: Some(EVIL),
            },
        );
        let doc = scraper::Html::parse_document(&html);
        let count = |sel: &str| doc.select(&scraper::Selector::parse(sel).unwrap()).count();
        assert_eq!(count("script"), 1, "only the page's own script");
        assert_eq!(count("textarea, img, [onerror]"), 0);
        let text: String = doc.root_element().text().collect();
        // Every place shows the text as text: the detail, the evidence line from the file,
        // the suppression reason, the unreadable file, the note, the date.
        assert!(
            text.matches(EVIL).count() >= 8,
            "{}",
            text.matches(EVIL).count()
        );
        assert!(text.contains(&format!("const s = \"{EVIL}\";")));
        // Attributes keep their quotes: nothing leaks out of an attribute value.
        for el in doc
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
        {
            for (name, _) in el.value().attrs() {
                assert!(!name.starts_with("on") && !name.contains('\''), "{name}");
            }
        }
    }

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
