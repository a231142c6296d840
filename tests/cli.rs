//! End-to-end tests of the binary: output formats on the demo app, exit codes, rule errors.

mod common;
#[path = "../benches/support/parse_only.rs"]
mod parse_only;
#[path = "../benches/support/synth.rs"]
#[allow(dead_code)]
mod synth;
use common::{dir_with as rules_dir, run, schema_errors, stdout};

#[test]
fn demo_text_report() {
    let o = run(&["fixtures/demo", "--color", "never"]);
    assert_eq!(o.status.code(), Some(1), "the demo has failing checks");
    insta::assert_snapshot!("demo_text", stdout(&o));
}

#[test]
fn demo_json_report_matches_the_schema() {
    let o = run(&["fixtures/demo", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let json: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let errors = schema_errors("schema/report.schema.json", &json);
    assert!(
        errors.is_empty(),
        "report violates the schema:\n{}",
        errors.join("\n")
    );
    let checks = json["checks"].as_array().unwrap();
    let set = booking_audit::rules::load(None).unwrap();
    assert_eq!(checks.len(), set.checks.len(), "every check appears");
    for c in checks {
        if c["verdict"] != "skip" {
            assert!(
                !c["evidence"].as_array().unwrap().is_empty(),
                "{} has no evidence",
                c["id"]
            );
        }
    }
    insta::assert_snapshot!("demo_json", out);
}

/// The JSON report of `path` with 1 and with 4 worker threads.
fn json_with_1_and_4_threads(path: &str) -> (String, String) {
    let with = |threads: &str| stdout(&run(&[path, "--format", "json", "--threads", threads]));
    (with("1"), with("4"))
}

#[test]
fn json_is_identical_whatever_the_thread_count() {
    let (one, four) = json_with_1_and_4_threads("fixtures/demo");
    assert_eq!(one, four);
}

#[test]
fn json_is_identical_whatever_the_thread_count_on_a_generated_monorepo() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let stats = synth::generate(&repo, 120, 7).unwrap();
    assert_eq!(stats.files, 120);
    let (one, four) = json_with_1_and_4_threads(repo.to_str().unwrap());
    let report: serde_json::Value = serde_json::from_str(&one).expect("valid JSON");
    assert_eq!(report["summary"]["files_scanned"], 120);
    // The generated apps give the checks real work: most pass or fail rather than skip.
    assert!(report["summary"]["skip"].as_u64().unwrap() <= 3, "{one}");
    assert_eq!(one, four);
}

#[test]
fn synth_is_deterministic_and_parse_only_reads_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for p in [&a, &b] {
        synth::generate(p, 60, 3).unwrap();
    }
    let (fa, fb) = (common::files_under(&a), common::files_under(&b));
    assert_eq!(fa.len(), 60);
    assert!(fa == fb, "same size and seed, same bytes");
    let bytes: usize = fa.iter().map(|(_, t)| t.len()).sum();
    let stats = parse_only::run(&a, false);
    assert_eq!((stats.files, stats.bytes), (60, bytes as u64));
    assert_eq!(stats.nodes, 0, "no visit asked");
    // The floor baseline also visits every tree: same files, and their nodes counted.
    let stats = parse_only::run(&a, true);
    assert_eq!((stats.files, stats.bytes), (60, bytes as u64));
    assert!(
        stats.nodes > bytes as u64 / 10,
        "{} nodes in {bytes} bytes",
        stats.nodes
    );
    // The baseline is the benchmark's, not the binary's: no hidden flag is left in it.
    let o = run(&[a.to_str().unwrap(), "--parse-only"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn fail_on_sets_the_threshold() {
    assert_eq!(
        run(&["fixtures/demo", "--fail-on", "never"]).status.code(),
        Some(0)
    );
    assert_eq!(
        run(&["fixtures/demo", "--fail-on", "low"]).status.code(),
        Some(1)
    );
    // Only checks of the given severity or above fail the run.
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["fixtures/demo", "--format", "json"]))).unwrap();
    let critical_fails = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["verdict"] == "fail" && c["severity"] == "critical");
    let code = run(&["fixtures/demo", "--fail-on", "critical"])
        .status
        .code();
    assert_eq!(code, Some(if critical_fails { 1 } else { 0 }));
}

#[test]
fn a_clean_run_exits_zero() {
    let o = run(&["fixtures/payment/no-payment", "--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn bad_paths_exit_two() {
    let o = run(&["does/not/exist"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("does/not/exist"));
    let o = run(&["Cargo.toml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a directory"));
}

#[test]
fn malformed_rule_file_is_reported_at_its_line() {
    let dir = rules_dir(&[(
        "payment/broken.yaml",
        "id: broken-check\ntitle: Broken\ncategory: payment\nseverity: hgih\n",
    )]);
    let o = run(&["fixtures/demo", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("broken.yaml"), "names the file: {err}");
    assert!(
        err.contains("hgih") && err.contains('4'),
        "points at line 4: {err}"
    );
}

#[test]
fn rule_with_a_bad_regex_is_reported_at_its_line() {
    let dir = rules_dir(&[(
        "facts/mine.yaml",
        "facts:\n  - id: my-fact\n    about: mine\n    langs: [ts]\n    call: '(unclosed'\n",
    )]);
    let o = run(&["list", "--rules", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("mine.yaml:5"), "points at line 5: {err}");
}

#[test]
fn extra_rules_add_and_override_checks() {
    let dir = rules_dir(&[(
        "custom/has-webhook.yaml",
        r#"id: has-webhook
title: A payment webhook exists
category: custom
severity: info
why: Payments need a webhook.
explain: {pass: a webhook verifies events, fail: none does, skip: never}
remediation: Add one.
decide:
  - verdict: pass
    when: {exists: {fact: webhook-verify, as: hook}}
    detail: 'Webhook: {hook} at {hook.loc}'
  - verdict: fail
    detail: 'No webhook'
"#,
    )]);
    let o = run(&[
        "fixtures/demo",
        "--format",
        "json",
        "--rules",
        dir.path().to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let c = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["short_id"] == "has-webhook")
        .expect("custom check runs");
    assert_eq!(c["verdict"], "pass");
    assert_eq!(c["id"], "booking-flow-lifecycle.custom.has-webhook");
    assert!(
        c["detail"]
            .as_str()
            .unwrap()
            .contains("src/app/api/webhooks/stripe/route.ts:")
    );
}

#[test]
fn list_and_explain() {
    let o = run(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("payment-capture-timing") && out.contains("critical"));
    for id in [
        "refund-logic",
        "booking-flow-lifecycle.payment.refund-logic",
    ] {
        let o = run(&["explain", id]);
        assert_eq!(o.status.code(), Some(0));
        let out = stdout(&o);
        for part in [
            "booking-flow-lifecycle.payment.refund-logic",
            "Why it matters",
            "Pass",
            "Fail",
            "Skip",
            "Remediation",
            "CWE-841",
        ] {
            assert!(out.contains(part), "explain lacks {part}: {out}");
        }
    }
    let o = run(&["explain", "no-such-check"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn a_path_with_nothing_to_audit_exits_two() {
    let empty = tempfile::tempdir().unwrap();
    let other = rules_dir(&[
        ("main.py", "print('hello')\n"),
        ("README.md", "# bookings\n"),
        (
            "types/index.d.ts",
            "export type Booking = { id: string };\n",
        ),
    ]);
    for dir in [empty.path(), other.path()] {
        for format in ["text", "json", "sarif"] {
            let o = run(&[dir.to_str().unwrap(), "--format", format]);
            assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
            assert_eq!(stdout(&o), "", "no report when nothing was audited");
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                err.contains("nothing to audit") && err.contains("no TypeScript, JavaScript"),
                "{err}"
            );
        }
    }
}

#[test]
fn source_without_booking_code_says_so_in_every_format() {
    let dir = rules_dir(&[(
        "src/math.ts",
        "export function add(a: number, b: number) {\n  return a + b;\n}\n",
    )]);
    let path = dir.path().to_str().unwrap();
    let out = |format: &str| {
        let o = run(&[path, "--format", format]);
        assert_eq!(o.status.code(), Some(0), "exit 0 unless asked otherwise");
        stdout(&o)
    };
    for format in [
        "text", "json", "sarif", "github", "markdown", "junit", "html",
    ] {
        assert!(
            out(format).contains("no booking code found"),
            "{format}: {}",
            out(format)
        );
    }
    let text = out("text");
    assert!(
        !text.contains("passes") && !text.contains("n/a/100"),
        "{text}"
    );
    let md = out("markdown");
    assert!(
        md.starts_with("## booking-audit: no booking code found"),
        "{md}"
    );
    assert!(!md.contains("passes"), "{md}");
    let json: serde_json::Value = serde_json::from_str(&out("json")).unwrap();
    assert!(
        schema_errors("schema/report.schema.json", &json).is_empty(),
        "{json}"
    );
    assert_eq!(json["summary"]["pass"], 0);
    assert!(
        json["notes"][0]
            .as_str()
            .unwrap()
            .starts_with("no booking code found")
    );
    let o = run(&[path, "--require-booking-code"]);
    assert_eq!(o.status.code(), Some(1));
    // A booking codebase has no such note, and the flag does not fail it on that account.
    let demo = run(&["fixtures/demo", "--format", "json", "--fail-on", "never"]);
    assert!(!stdout(&demo).contains("no booking code found"));
    let demo = run(&[
        "fixtures/demo",
        "--fail-on",
        "never",
        "--require-booking-code",
    ]);
    assert_eq!(demo.status.code(), Some(0));
}

#[test]
fn quiet_prints_only_the_summary_line() {
    let full = stdout(&run(&["fixtures/demo"]));
    let o = run(&["fixtures/demo", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "same exit code");
    let last = full.lines().last().unwrap();
    assert!(last.contains("passed") && last.contains("score"), "{last}");
    assert_eq!(stdout(&o), format!("{last}\n"));
}

#[test]
fn output_writes_the_report_to_a_file_and_the_summary_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.json");
    let o = run(&[
        "fixtures/demo",
        "--format",
        "json",
        "--output",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let piped = stdout(&run(&["fixtures/demo", "--format", "json"]));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), piped);
    let summary = stdout(&o);
    assert_eq!(summary.lines().count(), 1, "{summary}");
    assert!(summary.contains("passed") && summary.contains("score"));
    // An unwritable destination is an error.
    let o = run(&[
        "fixtures/demo",
        "-o",
        dir.path().join("no/such/dir/r.txt").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--output"));
}

#[test]
fn list_as_json() {
    let o = run(&["list", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    let set = booking_audit::rules::load(None).unwrap();
    let checks = json.as_array().unwrap();
    assert_eq!(checks.len(), set.checks.len());
    for (j, c) in checks.iter().zip(&set.checks) {
        assert_eq!(j["id"], c.full_id.as_str());
        assert_eq!(j["short_id"], c.short_id());
        assert_eq!(j["category"], c.category());
        assert_eq!(j["severity"], c.spec.severity.as_str());
        assert_eq!(j["title"], c.spec.title.as_str());
    }
    let facts: serde_json::Value =
        serde_json::from_str(&stdout(&run(&["list", "--facts", "-f", "json"]))).unwrap();
    assert_eq!(facts.as_array().unwrap().len(), set.facts.len());
}

#[test]
fn help_lists_the_exit_codes() {
    let help = stdout(&run(&["--help"]));
    for code in ["Exit codes:", "  0  ", "  1  ", "  2  ", "nothing to audit"] {
        assert!(help.contains(code), "{help}");
    }
}

#[test]
fn completions_for_every_shell_leave_out_hidden_commands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = run(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        let out = stdout(&o);
        for wanted in ["explain", "fail-on", "completions", "init"] {
            assert!(out.contains(wanted), "{shell} lacks {wanted}");
        }
        for hidden in ["synth", "debug", "parse-only", "visit-trees"] {
            assert!(!out.contains(hidden), "{shell} offers hidden {hidden}");
        }
    }
    assert_eq!(run(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn init_writes_a_starter_config_that_loads() {
    let dir = tempfile::tempdir().unwrap();
    let init = || {
        common::bin()
            .current_dir(dir.path())
            .arg("init")
            .output()
            .unwrap()
    };
    let o = init();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, [".booking-audit.yml"], "writes that one file only");
    let file = dir.path().join(".booking-audit.yml");
    let text = std::fs::read_to_string(&file).unwrap();
    let set = booking_audit::rules::load(None).unwrap();
    let config = booking_audit::config::Config::load(Some(&file), dir.path(), &set);
    assert!(config.is_ok(), "{:?}", config.err());
    // Every commented setting, uncommented, still loads: the template is valid config.
    let key = regex::Regex::new(r"^# (\s*[\w-]+:( |$)|\s+#)").unwrap();
    let uncommented: String = text
        .lines()
        .map(|l| if key.is_match(l) { &l[2..] } else { l })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        uncommented.contains("\nchecks:\n")
            && uncommented.contains("\n  conflict-check: critical\n")
    );
    let all = dir.path().join("all.yml");
    std::fs::write(&all, &uncommented).unwrap();
    let config = booking_audit::config::Config::load(Some(&all), dir.path(), &set);
    assert!(config.is_ok(), "{uncommented}\n{:?}", config.err());
    std::fs::remove_file(&all).unwrap();
    // Never over an existing config, of either name.
    std::fs::write(&file, "fail_on: high\n").unwrap();
    let o = init();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "fail_on: high\n");
    std::fs::rename(&file, dir.path().join(".booking-audit.yaml")).unwrap();
    assert_eq!(init().status.code(), Some(2));
    assert!(!file.exists());
}
