//! `booking-audit test`: runs the checks' own cases, built-in and `--rules`, and the
//! walkthrough of docs/writing-rules.md as written.

mod common;
use common::{bin, dir_with, run, stdout};

/// The last line of the output: `N passed, N failed`.
fn summary(out: &str) -> (usize, usize) {
    let last = out.lines().last().unwrap_or_default();
    let nums: Vec<usize> = last
        .split(", ")
        .map(|part| {
            part.split(' ')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("summary line: {last:?}"))
        })
        .collect();
    assert_eq!(nums.len(), 2, "summary line: {last:?}");
    (nums[0], nums[1])
}

#[test]
fn every_builtin_case_passes_through_the_command() {
    let o = run(&["test"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let (passed, failed) = summary(&out);
    assert_eq!(failed, 0);
    // Every built-in check has at least a pass, a fail and a skip case.
    assert!(passed >= 66, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("ok ")).count(), passed);
}

#[test]
fn filter_narrows_the_cases() {
    let all = summary(&stdout(&run(&["test"]))).0;
    let o = run(&["test", "--filter", "Refund-Logic"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let (passed, _) = summary(&out);
    assert!(passed >= 3 && passed < all, "{passed} of {all}:\n{out}");
    for line in out.lines().filter(|l| l.starts_with("ok ")) {
        assert!(line.contains("refund-logic"), "{line}");
    }
    let o = run(&["test", "--filter", "no-such-case"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("no test case matches"));
}

/// A user check whose case expects the wrong verdict: exit 1, with the expected and actual
/// verdict, the detail and the evidence.
#[test]
fn a_failing_user_case_exits_1_and_shows_expected_and_actual() {
    let check = r#"
id: bookings-exist
title: A booking entity exists
category: custom
severity: low
why: A test of the test command.
explain: {pass: a booking, fail: none, skip: never}
remediation: None.
decide:
  - verdict: pass
    when: {entity: {kind: booking, as: booking}}
    detail: 'Booking entity: {booking}'
  - verdict: fail
    detail: 'No booking entity'
tests:
  - name: wrongly expects a fail
    expect: fail
    files:
      prisma/schema.prisma: |
        model Booking {
          id String @id
          startsAt DateTime
        }
  - {name: a missing fixture, expect: pass, fixture: no/such/dir}
"#;
    let rules = dir_with(&[("custom/bookings-exist.yaml", check)]);
    let o = run(&[
        "test",
        "--rules",
        rules.path().to_str().unwrap(),
        "--filter",
        "custom/",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert_eq!(summary(&out), (0, 2), "{out}");
    for want in [
        "FAILED   custom/bookings-exist: wrongly expects a fail",
        "expected: fail",
        "actual:   pass: Booking entity: Booking",
        "evidence: prisma/schema.prisma:1  model Booking {",
        "FAILED   custom/bookings-exist: a missing fixture",
        "fixture no/such/dir not found",
    ] {
        assert!(out.contains(want), "lacks {want:?}:\n{out}");
    }
}

/// docs/writing-rules.md's walkthrough: its `yaml file=PATH` blocks written out, its
/// `console` block's command run in that directory, the output exactly as the doc shows it.
#[test]
fn the_writing_rules_walkthrough_runs_as_written() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/writing-rules.md"
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = 0;
    let mut session = None;
    let mut lines = doc.lines();
    while let Some(line) = lines.next() {
        let fence = line.strip_prefix("```");
        let block = |lines: &mut std::str::Lines| -> String {
            lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .map(|l| format!("{l}\n"))
                .collect()
        };
        if let Some(path) = fence.and_then(|f| f.strip_prefix("yaml file=")) {
            common::write(dir.path(), path, &block(&mut lines));
            files += 1;
        } else if fence == Some("console") {
            let text = block(&mut lines);
            if text.starts_with("$ booking-audit test ") {
                session = Some(text);
            }
        }
    }
    assert!(files >= 2, "the walkthrough's rule files");
    let session = session.expect("a `$ booking-audit test` console block");
    let (command, expected) = session.split_once('\n').unwrap();
    let args: Vec<&str> = command.split_whitespace().skip(2).collect();
    let o = bin().current_dir(dir.path()).args(&args).output().unwrap();
    assert_eq!(stdout(&o), expected, "{}", common::stderr(&o));
    assert_eq!(o.status.code(), Some(0));
}
