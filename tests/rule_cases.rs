//! Runs every check's own `tests:` cases (fixture directories or inline files) and asserts the
//! verdict, the detail, and that pass and fail verdicts quote evidence.

use booking_audit::rules::spec::Verdict;
use booking_audit::{AuditOptions, analyse, rules};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

fn run(root: &Path, set: &rules::RuleSet) -> booking_audit::report::Report {
    let opts = AuditOptions {
        include: vec![],
        exclude: vec![],
        display_root: ".",
    };
    analyse(root, set, &opts).0
}

#[test]
fn every_check_decides_its_own_cases() {
    // Every regex search below also checks that both regex engines agree (see `rules::re`).
    rules::re::crosscheck(true);
    let set = rules::load(None).expect("built-in rules load");
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut cache: HashMap<PathBuf, booking_audit::report::Report> = HashMap::new();
    let mut failures = Vec::new();
    let mut cases = 0;
    for check in &set.checks {
        for case in &check.spec.tests {
            cases += 1;
            let _tmp;
            let root = match &case.fixture {
                Some(f) => manifest.join(f),
                None => {
                    let dir = tempfile::tempdir().expect("tempdir");
                    for (path, content) in &case.files {
                        let p = dir.path().join(path);
                        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                        std::fs::write(p, content).unwrap();
                    }
                    let root = dir.path().to_path_buf();
                    _tmp = dir;
                    root
                }
            };
            assert!(
                root.is_dir(),
                "{}: fixture {} does not exist",
                check.short_id(),
                root.display()
            );
            let report = if case.fixture.is_some() {
                cache
                    .entry(root.clone())
                    .or_insert_with(|| run(&root, &set))
            } else {
                &run(&root, &set)
            };
            let got = report
                .checks
                .iter()
                .find(|c| c.short_id == check.short_id())
                .expect("check in report");
            let label = format!("{} / {}", check.short_id(), case.name);
            if got.verdict != case.expect {
                failures.push(format!(
                    "{label}: expected {:?}, got {:?}: {}",
                    case.expect, got.verdict, got.detail
                ));
                continue;
            }
            if let Some(want) = &case.detail_contains
                && !got.detail.contains(want.as_str())
            {
                failures.push(format!("{label}: detail {:?} lacks {want:?}", got.detail));
            }
            if got.verdict != Verdict::Skip && got.evidence.is_empty() {
                failures.push(format!("{label}: {:?} with no evidence", got.verdict));
            }
        }
    }
    assert!(cases > 0, "no rule test cases found");
    assert!(
        failures.is_empty(),
        "{} of {cases} rule cases failed:\n{}",
        failures.len(),
        failures.join("\n")
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
