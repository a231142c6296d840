//! Runs every check's own `tests:` cases (fixture directories or inline files) through the
//! library's runner (`booking_audit::rule_cases`, also behind `booking-audit test`): the
//! verdict, the detail, and that pass and fail verdicts quote evidence.

use booking_audit::rule_cases::{self, Status};
use booking_audit::rules;
use booking_audit::rules::spec::Verdict;

#[test]
fn every_check_decides_its_own_cases() {
    // Every regex search below also checks that both regex engines agree (see `rules::re`).
    rules::re::crosscheck(true);
    let set = rules::load(None).expect("built-in rules load");
    let results = rule_cases::run(&set, &rule_cases::Options::default());
    assert!(!results.is_empty(), "no rule test cases found");
    let (_, failed, not_run) = rule_cases::counts(&results);
    assert!(
        failed == 0 && not_run == 0,
        "{}",
        rule_cases::render(
            &results
                .into_iter()
                .filter(|r| !matches!(r.status, Status::Passed))
                .collect::<Vec<_>>()
        )
    );
}

#[test]
fn every_check_has_a_pass_a_fail_and_a_skip_case() {
    let set = rules::load(None).expect("built-in rules load");
    let mut missing = Vec::new();
    for check in &set.checks {
        for v in [Verdict::Pass, Verdict::Fail, Verdict::Skip] {
            if !check.spec.tests.iter().any(|t| t.expect == v) {
                missing.push(format!("{}: no {} case", check.short_id(), v.as_str()));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
