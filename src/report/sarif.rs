//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it. One rule per check that ran
//! (help, tags with the category and CWE ids, `security-severity`), one result per finding
//! (a failing flow, entity or call) with its primary line as the location, its context as
//! `relatedLocations` (their role as the message), and its line-number-free fingerprint in
//! `partialFingerprints`; suppressed findings carry an in-source suppression, and a
//! `--baseline` gives each result its `baselineState`. Unreadable files and suppression problems become tool notifications.

use super::{CheckReport, Evidence, Finding, Level, Report, level};
use crate::rules::RuleSet;
use crate::rules::spec::{Severity, Verdict};
use serde_json::{Value, json};
use serde_sarif::sarif;
use std::collections::BTreeMap;

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The `partialFingerprints` key: ours, versioned with the fingerprint function.
pub const FINGERPRINT_KEY: &str = "bookingAudit/v2";

/// GitHub's `security-severity` (0-10): critical above 9, high 7-8.9, medium 4-6.9, low below.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn result_level(s: Severity) -> sarif::ResultLevel {
    match level(s) {
        "error" => sarif::ResultLevel::Error,
        "warning" => sarif::ResultLevel::Warning,
        _ => sarif::ResultLevel::Note,
    }
}

/// Tags GitHub shows and filters on: the category, and CWE ids in its `external/cwe/` form.
fn tags(c: &CheckReport) -> Vec<String> {
    let mut tags = vec!["booking-audit".to_string(), c.category.clone()];
    for r in &c.references {
        match r.strip_prefix("CWE-") {
            Some(n) => tags.push(format!("external/cwe/cwe-{n}")),
            None => tags.push(r.to_ascii_lowercase()),
        }
    }
    tags.push("security".into());
    tags
}

/// A reference as a Markdown link where it has a well-known home.
fn reference_link(r: &str) -> String {
    match r.strip_prefix("CWE-") {
        Some(n) => format!("[{r}](https://cwe.mitre.org/data/definitions/{n}.html)"),
        None => r.to_string(),
    }
}

fn rule(c: &CheckReport, set: &RuleSet) -> sarif::ReportingDescriptor {
    let spec = set.check(&c.id).map(|k| &k.spec);
    let why = spec.map(|s| s.why.trim()).unwrap_or("");
    let (pass, fail) = spec
        .map(|s| (s.explain.pass.trim(), s.explain.fail.trim()))
        .unwrap_or(("", ""));
    let text = format!(
        "{why}\n\nPasses when: {pass}\nFails when: {fail}\n\nRemediation: {}\n",
        c.remediation
    );
    let mut markdown = format!(
        "{why}\n\n**Passes when:** {pass}\n\n**Fails when:** {fail}\n\n## Remediation\n\n{}\n",
        c.remediation
    );
    if !c.references.is_empty() {
        let refs: Vec<String> = c.references.iter().map(|r| reference_link(r)).collect();
        markdown.push_str(&format!("\nReferences: {}\n", refs.join(", ")));
    }
    markdown.push_str(&format!(
        "\nRun `booking-audit explain {}` for more.\n",
        c.short_id
    ));
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        Value::from(security_severity(c.severity)),
    );
    props.insert("severity".to_string(), Value::from(c.severity.as_str()));
    props.insert("category".to_string(), Value::from(c.category.as_str()));
    sarif::ReportingDescriptor::builder()
        .id(c.id.clone())
        .name(c.short_id.clone())
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(c.title.clone())
                .build(),
        )
        .full_description(
            sarif::MultiformatMessageString::builder()
                .text(if why.is_empty() {
                    c.title.as_str()
                } else {
                    why
                })
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(text)
                .markdown(markdown)
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(c.severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(tags(c))
                .additional_properties(props)
                .build(),
        )
        .build()
}

/// Percent-encodes what a URI reference may not hold raw (spaces, `[id]` route segments...).
fn uri(prefix: &str, path: &str) -> String {
    let mut out = String::new();
    for b in format!("{prefix}{path}").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn location(prefix: &str, e: &Evidence) -> sarif::Location {
    let l = &e.loc;
    let region = sarif::Region::builder()
        .start_line(l.line as i64)
        .start_column(l.column as i64)
        .end_line(l.end_line.max(l.line) as i64)
        .snippet(
            sarif::ArtifactContent::builder()
                .text(l.snippet.clone())
                .build(),
        )
        .build();
    sarif::Location::builder()
        .physical_location(
            sarif::PhysicalLocation::builder()
                .artifact_location(
                    sarif::ArtifactLocation::builder()
                        .uri(uri(prefix, &l.path))
                        .build(),
                )
                .region(region)
                .build(),
        )
        .build()
}

fn file_location(prefix: &str, path: &str, line: Option<usize>) -> sarif::Location {
    let mut phys = sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(uri(prefix, path))
                .build(),
        )
        .build();
    if let Some(line) = line {
        phys.region = Some(sarif::Region::builder().start_line(line as i64).build());
    }
    sarif::Location::builder().physical_location(phys).build()
}

/// A context location: its role is its message, as GitHub shows related locations.
fn related(prefix: &str, id: usize, e: &Evidence) -> sarif::Location {
    let mut l = location(prefix, e);
    l.id = Some(id as i64);
    l.message = Some(sarif::Message::builder().text(e.role.as_str()).build());
    l
}

fn result(c: &CheckReport, f: &Finding, index: usize, prefix: &str) -> sarif::Result {
    let context: Vec<String> = f.evidence[f.evidence.len().min(1)..]
        .iter()
        .enumerate()
        .map(|(i, e)| format!("[{}]({})", e.role.as_str(), i + 1))
        .collect();
    let mut text = format!("{}: {}", c.title, c.detail);
    if !context.is_empty() {
        text.push_str(&format!(" ({})", context.join(", ")));
    }
    let mut r = sarif::Result::builder()
        .rule_id(c.id.clone())
        .rule_index(index as i64)
        .level(result_level(c.severity))
        .kind(sarif::ResultKind::Fail)
        .message(sarif::Message::builder().text(text).build())
        .locations(
            f.primary()
                .map(|e| location(prefix, e))
                .into_iter()
                .collect::<Vec<_>>(),
        )
        .partial_fingerprints(BTreeMap::from([(
            FINGERPRINT_KEY.to_string(),
            f.fingerprint.clone(),
        )]))
        .build();
    if f.evidence.len() > 1 {
        r.related_locations = Some(
            f.evidence[1..]
                .iter()
                .enumerate()
                .map(|(i, e)| related(prefix, i + 1, e))
                .collect(),
        );
    }
    if let Some(why) = &f.suppressed {
        r.suppressions = Some(vec![
            sarif::Suppression::builder()
                .kind(json!("inSource"))
                .status(json!("accepted"))
                .justification(why.clone())
                .build(),
        ]);
    }
    if let Some(state) = f.baseline {
        r.baseline_state = Some(json!(state.as_str()));
    }
    r
}

fn notifications(report: &Report, prefix: &str) -> Vec<sarif::Notification> {
    let files = report.errors.iter().map(|e| {
        sarif::Notification::builder()
            .level(json!(match e.level {
                Level::Warning => "warning",
                Level::Note => "note",
            }))
            .message(sarif::Message::builder().text(e.message.clone()).build())
            .locations(vec![file_location(prefix, &e.path, None)])
            .build()
    });
    let suppressions = report.suppression_problems().into_iter().map(|s| {
        sarif::Notification::builder()
            .level(json!("warning"))
            .message(sarif::Message::builder().text(s.message()).build())
            .locations(vec![file_location(prefix, &s.path, Some(s.line))])
            .build()
    });
    let notes = report.notes.iter().map(|n| {
        sarif::Notification::builder()
            .level(json!("note"))
            .message(sarif::Message::builder().text(n.clone()).build())
            .build()
    });
    files.chain(suppressions).chain(notes).collect()
}

pub fn log(report: &Report, set: &RuleSet) -> sarif::Sarif {
    let prefix = report.checkout_prefix();
    let rules: Vec<sarif::ReportingDescriptor> =
        report.checks.iter().map(|c| rule(c, set)).collect();
    let results: Vec<sarif::Result> = report
        .checks
        .iter()
        .enumerate()
        .filter(|(_, c)| c.verdict == Verdict::Fail)
        .flat_map(|(i, c)| c.findings.iter().map(move |f| (i, c, f)))
        .map(|(i, c, f)| result(c, f, i, &prefix))
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name(report.tool.name)
        .semantic_version(report.tool.version)
        .version(report.tool.version)
        .rules(rules)
        .build();
    let invocation = sarif::Invocation::builder()
        .execution_successful(true)
        .tool_execution_notifications(notifications(report, &prefix))
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(json!("unicodeCodePoints"))
        .build();
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build()
}

pub fn render(report: &Report, set: &RuleSet) -> String {
    let mut s = serde_json::to_string_pretty(&log(report, set)).expect("SARIF serializes");
    s.push('\n');
    s
}
