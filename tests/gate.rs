//! booking-audit as a CI gate: fingerprints, config, `--only`/`--skip`, inline suppressions,
//! baselines and the pre-commit hook definition, on copies of the demo app.

mod common;
use common::{
    audit, check, copy_fixture, dir_with, json, run, schema_errors, stderr, stdout, write,
};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

fn short_ids(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["short_id"].as_str().unwrap().to_string())
        .collect()
}

/// (check, path, fingerprint) -> line, for every finding's primary location.
fn fingerprints(report: &Value) -> BTreeMap<(String, String, String), u64> {
    let mut out = BTreeMap::new();
    for c in report["checks"].as_array().unwrap() {
        for f in c["findings"].as_array().unwrap() {
            let e = &f["evidence"][0];
            out.insert(
                (
                    c["id"].as_str().unwrap().to_string(),
                    e["path"].as_str().unwrap().to_string(),
                    f["fingerprint"].as_str().unwrap().to_string(),
                ),
                e["line"].as_u64().unwrap(),
            );
        }
    }
    out
}

fn edit(root: &Path, rel: &str, f: impl FnOnce(String) -> String) {
    let p = root.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(p, f(text)).unwrap();
}

/// Inserts `text` as new lines before 1-based line `line`.
fn insert_at(root: &Path, rel: &str, line: usize, text: &str) {
    edit(root, rel, |t| {
        let mut lines: Vec<&str> = t.lines().collect();
        lines.insert(line - 1, text);
        lines.join("\n") + "\n"
    });
}

const ROUTE: &str = "src/app/api/bookings/route.ts";
const CANCEL: &str = "src/app/api/bookings/[id]/cancel/route.ts";

#[test]
fn fingerprints_survive_lines_inserted_above_the_evidence() {
    let dir = copy_fixture("fixtures/demo");
    let before = json(&audit(dir.path(), &[]));
    let sarif_before = json(&run(&[dir.path().to_str().unwrap(), "-f", "sarif"]));
    for rel in [ROUTE, "src/lib/bookings.ts", "prisma/schema.prisma"] {
        insert_at(dir.path(), rel, 1, "// a comment\n\n// and another one");
    }
    let after = json(&audit(dir.path(), &[]));
    let sarif_after = json(&run(&[dir.path().to_str().unwrap(), "-f", "sarif"]));
    let (fb, fa) = (fingerprints(&before), fingerprints(&after));
    assert_eq!(
        fb.keys().collect::<Vec<_>>(),
        fa.keys().collect::<Vec<_>>(),
        "same fingerprints"
    );
    let moved = fb.iter().filter(|(k, line)| fa[*k] == **line + 3).count();
    assert!(moved > 3, "the findings did move ({moved} locations)");
    let partial = |s: &Value| -> Vec<Value> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"].clone())
            .collect()
    };
    assert_eq!(partial(&sarif_before), partial(&sarif_after));
    // Editing the evidence line itself gives it a new identity.
    edit(dir.path(), ROUTE, |t| {
        t.replace(
            "stripe.paymentIntents.create({",
            "stripe.paymentIntents.create(/* edited */ {",
        )
    });
    let edited = fingerprints(&json(&audit(dir.path(), &[])));
    assert_ne!(
        fa.keys().collect::<Vec<_>>(),
        edited.keys().collect::<Vec<_>>()
    );
}

#[test]
fn config_sets_severities_turns_checks_off_and_sets_fail_on() {
    let dir = copy_fixture("fixtures/demo");
    write(
        dir.path(),
        ".booking-audit.yml",
        "# team policy\nfail_on: high\nchecks:\n  conflict-check: low\n  concurrent-request-handling: off\n  payment: info\n  booking-flow-lifecycle.payment.retry-mechanism: medium\n",
    );
    let o = audit(dir.path(), &[]);
    let report = json(&o);
    assert!(!short_ids(&report).contains(&"concurrent-request-handling".to_string()));
    assert_eq!(short_ids(&report).len(), 21);
    assert_eq!(check(&report, "conflict-check")["severity"], "low");
    // A category setting applies to its checks; an id setting beats it.
    assert_eq!(check(&report, "payment-capture-timing")["severity"], "info");
    assert_eq!(check(&report, "retry-mechanism")["severity"], "medium");
    let errors = common::schema_errors("schema/report.schema.json", &report);
    assert!(errors.is_empty(), "{errors:?}");
    // fail_on: high, and the high failures of the demo were lowered or turned off... except
    // slot-availability-recheck (high) still fails.
    assert_eq!(
        check(&report, "slot-availability-recheck")["verdict"],
        "fail"
    );
    assert_eq!(o.status.code(), Some(1));
    // The overrides reach every format: SARIF levels, the score, the exit code.
    let sarif = json(&run(&[dir.path().to_str().unwrap(), "-f", "sarif"]));
    let rule = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "conflict-check")
        .unwrap();
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");
    assert_eq!(rule["properties"]["security-severity"], "3.0");
    let plain = json(&audit(Path::new("fixtures/demo"), &[]));
    assert_ne!(report["summary"]["score"], plain["summary"]["score"]);
    // --fail-on on the command line beats the config.
    assert_eq!(
        audit(dir.path(), &["--fail-on", "critical"]).status.code(),
        Some(0)
    );
    write(
        dir.path(),
        ".booking-audit.yml",
        "fail-on: critical\nchecks: {slot-availability-recheck: medium}\n",
    );
    assert_eq!(
        audit(dir.path(), &[]).status.code(),
        Some(1),
        "conflict-check"
    );
    // --config FILE replaces the file at the root.
    let other = dir_with(&[("ci.yml", "fail_on: never\n")]);
    let o = audit(
        dir.path(),
        &["--config", other.path().join("ci.yml").to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn config_names_the_booking_entity() {
    let files = [
        (
            "prisma/schema.prisma",
            "model Visit {\n  id String @id @default(cuid())\n  startsAt DateTime\n  email String\n}\n",
        ),
        (
            "src/app/api/visits/route.ts",
            "import { prisma } from \"@/lib/db\";\nexport async function POST(req: Request) {\n  const body = await req.json();\n  const v = await prisma.visit.create({ data: body });\n  return Response.json(v);\n}\n",
        ),
    ];
    let dir = dir_with(&files);
    let skipped = |r: &Value| {
        r["checks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["verdict"] == "skip")
            .count()
    };
    let without = json(&audit(dir.path(), &[]));
    assert_eq!(
        skipped(&without),
        22,
        "Visit is not recognised as a booking"
    );
    write(
        dir.path(),
        ".booking-audit.yml",
        "entities:\n  booking: [Visit]\n",
    );
    let with = json(&audit(dir.path(), &[]));
    assert!(
        skipped(&with) < 22,
        "naming Visit a booking enables the checks"
    );
    assert_eq!(check(&with, "conflict-check")["verdict"], "fail");
}

/// Stderr with miette's line wrapping undone, so messages can be matched whole.
fn unwrapped(err: &str) -> String {
    let mut out = String::new();
    let mut lines = err.lines();
    if let Some(first) = lines.next() {
        out.push_str(first);
    }
    for line in lines {
        let t = line.trim_start();
        match t.strip_prefix('│') {
            Some(rest) if !t.starts_with("│ ") || !rest.trim_start().is_empty() => {
                if !out.ends_with('-') {
                    out.push(' ');
                }
                out.push_str(rest.trim_start());
            }
            _ => {
                out.push('\n');
                out.push_str(line);
            }
        }
    }
    out
}

fn config_error(text: &str) -> String {
    let dir = dir_with(&[(".booking-audit.yml", text)]);
    let o = run(&[dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "config error exits 2: {text}");
    assert!(stdout(&o).is_empty());
    unwrapped(&stderr(&o))
}

#[test]
fn config_errors_point_at_line_and_column() {
    // Phase one, the YAML's shape: unknown keys, bad values, wrong types.
    let err = config_error("checks:\n  conflict-check: low\nfail_onn: high\n");
    assert!(err.contains("unknown field `fail_onn`"), "{err}");
    assert!(err.contains("did you mean `fail_on`?"), "{err}");
    assert!(err.contains(".booking-audit.yml:3:1"), "{err}");

    let err = config_error("checks:\n  conflict-check: hgih\n");
    assert!(err.contains("unknown variant `hgih`"), "{err}");
    assert!(err.contains(".booking-audit.yml:2:19"), "{err}");

    let err = config_error("checks: [conflict-check]\n");
    assert!(err.contains(".booking-audit.yml:1:9"), "{err}");

    // Phase two, the meaning: ids and kinds the rules do not know.
    let err = config_error("fail_on: high\nchecks:\n  no-such-check: off\n");
    assert!(
        err.contains("unknown check or category `no-such-check`"),
        "{err}"
    );
    assert!(err.contains(".booking-audit.yml:3:3"), "{err}");

    let err = config_error("entities:\n  reservation: [Visit]\n");
    assert!(err.contains("unknown entity kind `reservation`"), "{err}");
    assert!(err.contains(".booking-audit.yml:2:3"), "{err}");
    assert!(err.contains("booking, history"), "lists the kinds: {err}");

    let o = run(&["fixtures/demo", "--config", "does/not/exist.yml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does/not/exist.yml"));
}

#[test]
fn only_and_skip_select_by_id_or_category() {
    let r = json(&audit(Path::new("fixtures/demo"), &["--only", "payment"]));
    assert_eq!(r["checks"].as_array().unwrap().len(), 5);
    let r = json(&audit(
        Path::new("fixtures/demo"),
        &["--only", "payment,conflict-check", "--skip", "refund-logic"],
    ));
    let ids = short_ids(&r);
    assert_eq!(ids.len(), 5);
    assert!(ids.contains(&"conflict-check".into()) && !ids.contains(&"refund-logic".into()));
    let r = json(&audit(
        Path::new("fixtures/demo"),
        &[
            "--skip",
            "booking-flow-lifecycle.lifecycle.history-tracking",
        ],
    ));
    assert_eq!(r["checks"].as_array().unwrap().len(), 21);
    // Only passing checks: exit 0.
    let o = audit(Path::new("fixtures/demo"), &["--only", "refund-logic"]);
    assert_eq!(o.status.code(), Some(0));
    let o = audit(Path::new("fixtures/demo"), &["--only", "paymnt"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(unwrapped(&stderr(&o)).contains("unknown check or category `paymnt`"));
}

fn suppression<'a>(report: &'a Value, check: &str) -> Vec<&'a Value> {
    report["suppressions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["check"] == check)
        .collect()
}

#[test]
fn a_reasoned_suppression_waives_a_failure() {
    let dir = copy_fixture("fixtures/demo");
    let only = ["--only", "retry-mechanism"];
    assert_eq!(audit(dir.path(), &only).status.code(), Some(1));
    // The evidence is the paymentIntents.create call on line 22: suppress from the line above.
    insert_at(
        dir.path(),
        ROUTE,
        22,
        "  // booking-audit-ignore retry-mechanism: the client retries with the same PaymentIntent",
    );
    let o = audit(dir.path(), &only);
    let r = json(&o);
    let c = check(&r, "retry-mechanism");
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["suppressed"], true);
    assert_eq!(
        c["findings"][0]["suppressed"],
        "the client retries with the same PaymentIntent"
    );
    assert_eq!(r["summary"]["suppressed"], 1);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a suppressed failure does not fail the run"
    );
    let s = suppression(&r, "retry-mechanism");
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0]["status"].as_str(), s[0]["line"].as_u64()),
        (Some("used"), Some(22))
    );
    assert!(common::schema_errors("schema/report.schema.json", &r).is_empty());
    // The text report says why; SARIF carries an in-source suppression.
    let text = stdout(&run(&[
        dir.path().to_str().unwrap(),
        "--only",
        "retry-mechanism",
    ]));
    assert!(text.contains("(suppressed)") && text.contains("suppressed: the client retries"));
    let html = stdout(&run(&[
        dir.path().to_str().unwrap(),
        "-f",
        "html",
        "--only",
        "retry-mechanism",
    ]));
    assert!(html.contains("FAIL (suppressed)</span>"), "{html}");
    assert!(html.contains("<strong>Suppressed</strong> in the code: the client retries"));
    let sarif = json(&run(&[
        dir.path().to_str().unwrap(),
        "-f",
        "sarif",
        "--only",
        "retry-mechanism",
    ]));
    let sup = &sarif["runs"][0]["results"][0]["suppressions"][0];
    assert_eq!(sup["kind"], "inSource");
    assert_eq!(
        sup["justification"],
        "the client retries with the same PaymentIntent"
    );
    // A trailing comment on the evidence line works too.
    let dir = copy_fixture("fixtures/demo");
    edit(dir.path(), ROUTE, |t| {
        t.replace(
            "const intent = await stripe.paymentIntents.create({",
            "const intent = await stripe.paymentIntents.create({ // booking-audit-ignore booking-flow-lifecycle.payment.retry-mechanism: one attempt only",
        )
    });
    assert_eq!(audit(dir.path(), &only).status.code(), Some(0));
}

#[test]
fn a_suppression_without_reason_is_reported_and_ignored() {
    let dir = copy_fixture("fixtures/demo");
    insert_at(
        dir.path(),
        ROUTE,
        22,
        "  // booking-audit-ignore retry-mechanism",
    );
    let o = audit(dir.path(), &["--only", "retry-mechanism"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "without a reason nothing is suppressed"
    );
    let r = json(&o);
    assert_eq!(check(&r, "retry-mechanism")["suppressed"], false);
    let s = suppression(&r, "retry-mechanism");
    assert_eq!(s[0]["status"], "no_reason");
    assert_eq!(s[0]["reason"], Value::Null);
    let text = stdout(&run(&[
        dir.path().to_str().unwrap(),
        "--only",
        "retry-mechanism",
    ]));
    assert!(text.contains("without a reason is ignored"), "{text}");
    let gh = stdout(&run(&[
        dir.path().to_str().unwrap(),
        "-f",
        "github",
        "--only",
        "retry-mechanism",
    ]));
    assert!(
        gh.contains(&format!("::warning file={ROUTE},line=22,")),
        "{gh}"
    );
}

#[test]
fn unused_and_unknown_suppressions_are_reported() {
    let dir = copy_fixture("fixtures/demo");
    // refund-logic passes; conflict-check fails elsewhere; the third id does not exist.
    insert_at(
        dir.path(),
        CANCEL,
        6,
        "  // booking-audit-ignore refund-logic, conflict-check: old\n  /* booking-audit-ignore no-such-check: typo */",
    );
    // A suppression of a check that does not run is neither used nor unused.
    insert_at(
        dir.path(),
        ROUTE,
        22,
        "  // booking-audit-ignore history-tracking: not run",
    );
    let o = audit(dir.path(), &["--skip", "history-tracking"]);
    let r = json(&o);
    let status = |c: &str| {
        suppression(&r, c)[0]["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(status("refund-logic"), "unused");
    assert_eq!(status("conflict-check"), "unused");
    assert_eq!(status("no-such-check"), "unknown_check");
    assert_eq!(status("history-tracking"), "not_run");
    assert_eq!(r["suppressions"].as_array().unwrap().len(), 4);
    assert_eq!(o.status.code(), Some(1), "nothing was suppressed");
    let text = stdout(&run(&[
        dir.path().to_str().unwrap(),
        "--skip",
        "history-tracking",
    ]));
    assert!(text.contains("unused suppression: refund-logic"), "{text}");
    assert!(text.contains("unknown check `no-such-check`"), "{text}");
    assert!(!text.contains("history-tracking did not run"), "{text}");
}

#[test]
fn baseline_round_trip() {
    let dir = copy_fixture("fixtures/demo");
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("baseline.json");
    let f = file.to_str().unwrap();
    let o = audit(dir.path(), &["--write-baseline", f]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "writing a baseline accepts today's failures"
    );
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let before = json(&o);
    assert_eq!(
        written["failures"].as_object().unwrap().len() as u64,
        before["summary"]["fail"].as_u64().unwrap()
    );

    // Same code, and the code with lines moved: every failure is known.
    for round in 0..2 {
        let o = audit(dir.path(), &["--baseline", f]);
        let r = json(&o);
        assert_eq!(o.status.code(), Some(0), "round {round}: nothing new");
        assert_eq!(r["summary"]["baselined"], r["summary"]["fail"]);
        assert_eq!(check(&r, "conflict-check")["baseline"], "unchanged");
        assert!(common::schema_errors("schema/report.schema.json", &r).is_empty());
        insert_at(dir.path(), ROUTE, 1, "// moved\n");
    }

    // A check that passed now fails: new. The others stay known.
    edit(dir.path(), CANCEL, |t| {
        t.replace(
            "  if (booking.paymentIntentId) await refundPayment(booking.paymentIntentId);\n",
            "",
        )
    });
    let o = audit(dir.path(), &["--baseline", f]);
    let r = json(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(check(&r, "refund-logic")["verdict"], "fail");
    assert_eq!(check(&r, "refund-logic")["baseline"], "new");
    assert_eq!(check(&r, "conflict-check")["baseline"], "unchanged");
    let sarif = json(&run(&[
        dir.path().to_str().unwrap(),
        "-f",
        "sarif",
        "--baseline",
        f,
    ]));
    let states: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["baselineState"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "new").count(), 1);
    let html = stdout(&run(&[
        dir.path().to_str().unwrap(),
        "-f",
        "html",
        "--baseline",
        f,
    ]));
    assert!(html.contains("FAIL (in baseline)</span>"));
    assert!(html.contains("<strong>New</strong> since the baseline."));

    // New evidence for a known failing check: updated, and it fails the run.
    let dir = copy_fixture("fixtures/demo");
    write(
        dir.path(),
        "src/app/admin/import.ts",
        "\"use server\";\nimport { prisma } from \"@/lib/db\";\nexport async function bookImported(sessionId: string, name: string, email: string) {\n  return prisma.booking.create({ data: { sessionId, name, email, status: \"CONFIRMED\" } });\n}\n",
    );
    let r = json(&audit(dir.path(), &["--baseline", f]));
    assert_eq!(check(&r, "conflict-check")["baseline"], "updated");

    // Not a baseline: exit 2.
    std::fs::write(&file, "{\"version\": 2, \"tool\": \"booking-audit\"}").unwrap();
    let o = audit(dir.path(), &["--baseline", f]);
    assert_eq!(o.status.code(), Some(2));
    let err = unwrapped(&stderr(&o));
    assert!(
        err.contains("not a booking-audit baseline: missing field `failures`"),
        "{err}"
    );
}

#[test]
fn pre_commit_hook_definition() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Hook {
        id: String,
        name: String,
        description: String,
        entry: String,
        language: String,
        pass_filenames: bool,
        files: String,
        require_serial: bool,
        minimum_pre_commit_version: String,
    }
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks: Vec<Hook> = serde_saphyr::from_str(&text).expect("valid hook list");
    assert_eq!(hooks.len(), 1);
    let h = &hooks[0];
    assert_eq!(
        (h.id.as_str(), h.entry.as_str()),
        ("booking-audit", "booking-audit")
    );
    assert!(!h.name.is_empty() && !h.description.is_empty() && h.require_serial);
    assert!(!h.minimum_pre_commit_version.is_empty());
    // pre-commit builds `language: rust` hooks with `cargo install` from this repository.
    assert_eq!(h.language, "rust");
    // The whole repository is audited (a model of all files), never the staged list.
    assert!(!h.pass_filenames);
    let files = regex::Regex::new(&h.files).unwrap();
    for f in [
        "src/app/route.ts",
        "a/b.tsx",
        "prisma/schema.prisma",
        "db/001.sql",
        "package.json",
        ".booking-audit.yml",
    ] {
        assert!(files.is_match(f), "{f} triggers the hook");
    }
    assert!(!files.is_match("README.md"));
}

#[test]
fn mistyped_ids_get_a_suggestion() {
    let dir = copy_fixture("fixtures/demo");
    insert_at(
        dir.path(),
        CANCEL,
        6,
        "  // booking-audit-ignore rfeund-logic: typo\n  // booking-audit-ignore zzzz: no such",
    );
    let r = json(&audit(dir.path(), &[]));
    let s = suppression(&r, "rfeund-logic");
    assert_eq!(s[0]["status"], "unknown_check");
    assert_eq!(s[0]["suggestion"], "refund-logic");
    assert!(suppression(&r, "zzzz")[0].get("suggestion").is_none());
    assert!(schema_errors("schema/report.schema.json", &r).is_empty());
    let text = stdout(&run(&[dir.path().to_str().unwrap()]));
    assert!(
        text.contains("unknown check `rfeund-logic`; did you mean `refund-logic`?"),
        "{text}"
    );
    // --only, --skip and explain.
    for args in [
        &["fixtures/demo", "--only", "conflict-chek"][..],
        &["fixtures/demo", "--skip", "paymnet"],
        &["explain", "conflict-chek"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            err.contains("did you mean `conflict-check`?")
                || err.contains("did you mean `payment`?"),
            "{args:?}: {err}"
        );
    }
    // Config check ids, entity kinds and keys, at their line, with no stray log line.
    for (config, wanted) in [
        (
            "checks:\n  conflict-chek: off\n",
            "did you mean `conflict-check`?",
        ),
        ("entities:\n  bookng: [Visit]\n", "did you mean `booking`?"),
        ("chekcs:\n  payment: off\n", "did you mean `checks`?"),
    ] {
        let cfg = dir_with(&[("c.yml", config)]);
        let o = run(&[
            "fixtures/demo",
            "--config",
            cfg.path().join("c.yml").to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(err.contains(wanted) && err.contains("c.yml:"), "{err}");
        assert!(!err.contains("booking_audit::"), "stray log line: {err}");
    }
}

#[test]
fn unknown_commands_and_hidden_flags() {
    let o = run(&["lsit"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown command `lsit`"), "{err}");
    assert!(err.contains("did you mean `list`?"), "{err}");
    assert!(err.contains("commands: list, explain"), "{err}");
    assert!(
        !err.contains("synth") && !err.contains("debug"),
        "hidden: {err}"
    );
    // A path with a separator is still a missing directory, not a command.
    let o = run(&["no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!stderr(&o).contains("unknown command"));
    // An existing directory named like a word is audited.
    let o = run(&["fixtures", "--only", "conflict-check", "--fail-on", "never"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Clap never suggests a hidden flag.
    for typo in ["--parse-onl", "--visit", "--parse"] {
        let o = run(&["fixtures/demo", typo]);
        assert_eq!(o.status.code(), Some(2));
        let err = stderr(&o);
        assert!(
            !err.contains("parse-only") && !err.contains("visit-trees"),
            "{typo}: {err}"
        );
    }
    let help = stdout(&run(&["--help"]));
    assert!(
        !help.contains("parse-only") && !help.contains("synth"),
        "{help}"
    );
}

/// The action's steps: (name, env, run) of each.
#[cfg(unix)]
fn action_steps(action: &Value) -> Vec<(String, BTreeMap<String, String>, String)> {
    action["runs"]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let env = s["env"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            (
                s["name"].as_str().unwrap().to_string(),
                env,
                s["run"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// Runs the step's bash script, so Unix only (as GitHub's Linux and macOS runners).
#[cfg(unix)]
#[test]
fn github_action_wires_its_inputs_into_the_audit() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml")).unwrap();
    let action: Value = serde_saphyr::from_str(&text).expect("valid action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_object().unwrap();
    for i in [
        "path",
        "fail-on",
        "baseline",
        "baseline-ref",
        "config",
        "sarif-file",
    ] {
        assert!(inputs.contains_key(i), "input {i}");
    }
    let steps = action_steps(&action);
    let (_, _, install) = &steps[0];
    assert!(
        install.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""),
        "builds from the action's own checkout: {install}"
    );
    let (_, env, script) = steps
        .iter()
        .find(|(_, _, run)| run.contains("--format sarif"))
        .expect("an audit step");
    // Every input reaches the script through the environment, never pasted into it.
    for i in inputs.keys() {
        let expr = format!("${{{{ inputs.{i} }}}}");
        assert!(!script.contains(&expr), "{i} pasted into the script");
        assert!(
            env.values().any(|v| *v == expr),
            "{i} not in the step's env"
        );
    }

    // Run the step's script as GitHub would, with the inputs in its env and this build's
    // binary on PATH.
    let bin_dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_booking-audit"),
        bin_dir.path().join("booking-audit"),
    )
    .unwrap();
    let repo = copy_fixture("fixtures/demo");
    let work = tempfile::tempdir().unwrap();
    let run_step = |inputs: &[(&str, &str)]| {
        let mut c = std::process::Command::new("bash");
        c.arg("-e").arg("-c").arg(script).current_dir(work.path());
        c.env(
            "PATH",
            format!(
                "{}:{}",
                bin_dir.path().display(),
                std::env::var("PATH").unwrap()
            ),
        );
        c.env("GITHUB_OUTPUT", work.path().join("output"));
        c.env("GITHUB_STEP_SUMMARY", work.path().join("summary.md"));
        for (var, expr) in env {
            let value = inputs
                .iter()
                .find(|(i, _)| format!("${{{{ inputs.{i} }}}}") == *expr)
                .map(|(_, v)| v.to_string())
                .unwrap_or_else(|| {
                    let i = expr
                        .trim_start_matches("${{ inputs.")
                        .trim_end_matches(" }}");
                    action["inputs"][i]["default"].as_str().unwrap().to_string()
                });
            c.env(var, value);
        }
        c.output().unwrap()
    };
    let path = repo.path().to_str().unwrap();
    let o = run_step(&[("path", path)]);
    assert_eq!(o.status.code(), Some(1), "the demo fails: {}", stderr(&o));
    let sarif: Value = serde_json::from_str(
        &std::fs::read_to_string(work.path().join("booking-audit.sarif")).unwrap(),
    )
    .expect("SARIF written");
    assert_eq!(sarif["version"], "2.1.0");
    let summary = std::fs::read_to_string(work.path().join("summary.md")).unwrap();
    assert!(summary.starts_with("## booking-audit: fails"), "{summary}");
    let output = std::fs::read_to_string(work.path().join("output")).unwrap();
    assert!(
        output.contains("sarif-file=booking-audit.sarif"),
        "{output}"
    );
    // fail-on.
    let o = run_step(&[
        ("path", path),
        ("fail-on", "never"),
        ("sarif-file", "b.sarif"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(work.path().join("b.sarif").is_file());
    // baseline: today's failures recorded, the step passes.
    let baseline = work.path().join("baseline.json");
    let w = run(&[path, "--write-baseline", baseline.to_str().unwrap()]);
    assert_eq!(w.status.code(), Some(0));
    let o = run_step(&[("path", path), ("baseline", baseline.to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // baseline-ref reaches the audit: the copy is no git repository.
    let o = run_step(&[("path", path), ("baseline-ref", "origin/main")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--baseline-ref origin/main"),
        "{}",
        stderr(&o)
    );
    // config: a config that does not load fails the step with exit 2.
    let cfg = work.path().join("bad.yml");
    std::fs::write(&cfg, "checks:\n  no-such-check: off\n").unwrap();
    let o = run_step(&[("path", path), ("config", cfg.to_str().unwrap())]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-check"), "{}", stderr(&o));
}
