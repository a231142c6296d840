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

/// A fact file of its own (one data layer, one provider) shares props through a named set,
/// ranks a catch-all below its specific shape, and carries cases for the check it serves.
#[test]
fn a_fact_file_shares_props_ranks_catch_alls_and_carries_cases() {
    let facts = r#"
prop_sets:
  store: {kind: {from: callee, regex: '\.(put|drop)$'}}
facts:
  # Written first, so only its rank lets the specific shape below win on `store.put`.
  - id: store-call
    about: Any put call.
    langs: [ts]
    call: '\.put$'
    fallback: 1
    props: {catch_all: {from: callee, regex: '.', value: 'yes'}}
  - id: store-call
    about: A call into the store.
    langs: [ts]
    call: '^store\.(?:put|drop)$'
    props_from: store
    props: {held: {from: args, regex: 'held', value: 'yes'}}
tests:
  - name: a put through the store, in the shape the store's docs give
    check: store-used
    expect: pass
    files: {src/a.ts: "store.put({ status: 'held' })\n", prisma/schema.prisma: "model Booking {\n  id String @id\n  startsAt DateTime\n}\n"}
  - name: near miss, a put on something else
    check: store-used
    expect: fail
    files: {src/a.ts: "cache.put({ status: 'held' })\n", prisma/schema.prisma: "model Booking {\n  id String @id\n  startsAt DateTime\n}\n"}
"#;
    let check = r#"
id: store-used
title: The store is written
category: custom
severity: low
why: A test of fact files.
explain: {pass: written, fail: not written, skip: never}
remediation: None.
decide:
  - verdict: pass
    when: {exists: {fact: store-call, where: {kind: '^put$', held: 'yes'}, unless: {catch_all: 'yes'}, as: s}}
    detail: 'Store: {s} at {s.loc}'
  - verdict: fail
    when: {exists: {fact: store-call, as: other}}
    detail: 'Only a catch-all put: {other} at {other.loc}'
  - verdict: fail
    detail: 'No store write'
"#;
    let rules = dir_with(&[
        ("facts/my-store.yaml", facts),
        ("custom/store-used.yaml", check),
    ]);
    let o = run(&[
        "test",
        "--rules",
        rules.path().to_str().unwrap(),
        "--filter",
        "[my-store]",
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert_eq!(summary(&out), (2, 0), "{out}");
    assert!(out.contains("ok       custom/store-used: a put through the store, in the shape the store's docs give [my-store]"), "{out}");
}

/// A prop set no file declares, a fact-file case for no check, and `check:` in a check's own
/// case are refused when the rules load (exit 2, at the line).
#[test]
fn fact_file_mistakes_are_refused_at_load() {
    let fact = |extra: &str| {
        format!(
            "facts:\n  - id: my-fact\n    about: mine\n    langs: [ts]\n    call: '^x$'\n{extra}"
        )
    };
    let cases = [
        (
            fact("    props_from: nowhere\n"),
            "no fact file has a prop set `nowhere`",
        ),
        (
            fact(
                "tests:\n  - {name: t, check: no-such-check, expect: pass, files: {a.ts: 'x()'}}\n",
            ),
            "no check `no-such-check`",
        ),
        (
            fact("tests:\n  - {name: t, expect: pass, files: {a.ts: 'x()'}}\n"),
            "needs `check:`",
        ),
    ];
    for (text, want) in cases {
        let rules = dir_with(&[("facts/mine.yaml", text.as_str())]);
        let o = run(&["list", "--rules", rules.path().to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{text}");
        let err = common::stderr(&o);
        assert!(
            err.contains(want) && err.contains("mine.yaml"),
            "{want}: {err}"
        );
    }
    // Two files of one kind defining one prop set: one would silently lose.
    let set = "prop_sets:\n  mine: {k: {from: callee, regex: 'x'}}\n";
    let rules = dir_with(&[("facts/a.yaml", set), ("facts/b.yaml", set)]);
    let o = run(&["list", "--rules", rules.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = common::stderr(&o);
    assert!(
        err.contains("prop set `mine` is already defined in") && err.contains("a.yaml"),
        "{err}"
    );
    let check = "id: c\ntitle: C\ncategory: custom\nseverity: low\nwhy: w\nexplain: {pass: p, fail: f, skip: s}\nremediation: r\ndecide:\n  - verdict: fail\n    detail: 'no'\ntests:\n  - {name: t, check: c, expect: fail, files: {a.ts: 'x()'}}\n";
    let rules = dir_with(&[("custom/c.yaml", check)]);
    let o = run(&["list", "--rules", rules.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("`check:` names the"));
}
