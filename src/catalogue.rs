//! The check table README.md carries, generated from the rules (a test keeps README in step).

use crate::rules::RuleSet;

pub const START: &str =
    "<!-- checks:start (generated from rules/ by `UPDATE_README=1 cargo test --test readme`) -->";
pub const END: &str = "<!-- checks:end -->";

pub fn check_table(set: &RuleSet) -> String {
    let mut s = String::from("| check | category | severity | title |\n|---|---|---|---|\n");
    for c in &set.checks {
        s.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            c.short_id(),
            c.category(),
            c.spec.severity.as_str(),
            c.spec.title
        ));
    }
    s
}
