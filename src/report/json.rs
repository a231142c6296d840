//! `--format json`: the schema_version 2 contract (findings and evidence roles) (schema in schema/report.schema.json).

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("report serializes");
    s.push('\n');
    s
}
