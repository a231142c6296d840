//! The CI output formats on the demo app: SARIF (validated against the official 2.1.0 schema
//! and GitHub's required fields), GitHub annotations, Markdown and JUnit, each snapshotted.

mod common;
use common::{json, run, schema_errors, stdout};

fn demo(format: &str) -> String {
    let o = run(&["fixtures/demo", "--format", format]);
    assert_eq!(o.status.code(), Some(1), "the demo has failing checks");
    stdout(&o)
}

#[test]
fn sarif_is_valid_and_has_what_code_scanning_needs() {
    let o = run(&["fixtures/demo", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    let sarif = json(&o);
    let errors = schema_errors("schema/sarif-schema-2.1.0.json", &sarif);
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    // The validation has teeth: a raw space in a URI, or a result without a message, fails.
    let mut bad = sarif.clone();
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        "src/a b.ts".into();
    bad["runs"][0]["results"][1]
        .as_object_mut()
        .unwrap()
        .remove("message");
    assert_eq!(
        schema_errors("schema/sarif-schema-2.1.0.json", &bad).len(),
        2,
        "the schema catches both"
    );

    assert!(sarif["$schema"].as_str().unwrap().contains("sarif-2.1.0"));
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "booking-audit");
    assert_eq!(driver["semanticVersion"], env!("CARGO_PKG_VERSION"));

    let report = json(&run(&["fixtures/demo", "--format", "json"]));
    let checks = report["checks"].as_array().unwrap();
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), checks.len(), "one rule per check that ran");
    for (rule, check) in rules.iter().zip(checks) {
        assert_eq!(rule["id"], check["id"]);
        assert_eq!(rule["name"], check["short_id"]);
        assert_eq!(rule["shortDescription"]["text"], check["title"]);
        for field in ["fullDescription", "help"] {
            assert!(
                !rule[field]["text"].as_str().unwrap().is_empty(),
                "{} lacks {field}",
                rule["id"]
            );
        }
        assert!(
            rule["help"]["markdown"]
                .as_str()
                .unwrap()
                .contains("Remediation")
        );
        let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
        assert!(["error", "warning", "note"].contains(&level));
        let sev: f64 = rule["properties"]["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&sev));
        let tags: Vec<&str> = rule["properties"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert!(tags.contains(&check["category"].as_str().unwrap()));
        for r in check["references"].as_array().unwrap() {
            if let Some(n) = r.as_str().unwrap().strip_prefix("CWE-") {
                assert!(tags.contains(&format!("external/cwe/cwe-{n}").as_str()));
            }
        }
    }

    let results = runs[0]["results"].as_array().unwrap();
    // One result per finding (each failing flow its own alert), in check order.
    let failing: Vec<(&serde_json::Value, &serde_json::Value)> = checks
        .iter()
        .filter(|c| c["verdict"] == "fail")
        .flat_map(|c| {
            c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |f| (c, f))
        })
        .collect();
    assert_eq!(results.len(), failing.len(), "one result per finding");
    assert!(results.len() > checks.iter().filter(|c| c["verdict"] == "fail").count());
    for (r, (c, f)) in results.iter().zip(&failing) {
        assert_eq!(r["ruleId"], c["id"]);
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], c["id"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        assert!(!r["message"]["text"].as_str().unwrap().is_empty());
        let fp = r["partialFingerprints"]["bookingAudit/v2"]
            .as_str()
            .unwrap();
        assert_eq!(fp, f["fingerprint"].as_str().unwrap());
        // The primary line is the location; the context lines are related locations whose
        // message is their role.
        let evidence = f["evidence"].as_array().unwrap();
        assert_eq!(
            r["locations"].as_array().unwrap().len(),
            evidence.len().min(1)
        );
        let related = r["relatedLocations"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        assert_eq!(related.len(), evidence.len().saturating_sub(1));
        for (l, e) in related.iter().zip(&evidence[1..]) {
            assert_eq!(l["message"]["text"], e["role"]);
            assert_eq!(l["physicalLocation"]["region"]["startLine"], e["line"]);
        }
        let locations = r["locations"].as_array().unwrap();
        for (l, e) in locations.iter().chain(related).zip(evidence) {
            let p = &l["physicalLocation"];
            let uri = p["artifactLocation"]["uri"].as_str().unwrap();
            // Relative to the working directory (the repository root in CI), percent-encoded.
            let expected = format!("fixtures/demo/{}", e["path"].as_str().unwrap())
                .replace('[', "%5B")
                .replace(']', "%5D");
            assert_eq!(uri, expected);
            assert!(
                uri.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~/%".contains(&b)),
                "{uri} is a plain URI reference"
            );
            assert_eq!(p["region"]["startLine"], e["line"]);
            assert_eq!(p["region"]["startColumn"], e["column"]);
            assert!(p["region"]["startLine"].as_u64().unwrap() >= 1);
        }
    }
    insta::assert_snapshot!("demo_sarif", stdout(&o));
}

#[test]
fn github_annotations() {
    let out = demo("github");
    let report = json(&run(&["fixtures/demo", "--format", "json"]));
    let failing = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "fail");
    // Every finding of every failing check is annotated at its primary line.
    for c in failing {
        for f in c["findings"].as_array().unwrap() {
            let e = &f["evidence"][0];
            let at = format!(
                "file=fixtures/demo/{},line={},",
                e["path"].as_str().unwrap(),
                e["line"]
            );
            assert!(out.contains(&at), "no annotation at {at}");
        }
    }
    assert!(
        out.starts_with("::error file="),
        "critical checks come first"
    );
    insta::assert_snapshot!("demo_github", out);
}

#[test]
fn markdown_summary() {
    let out = demo("markdown");
    assert!(out.starts_with("## booking-audit: fails"));
    insta::assert_snapshot!("demo_markdown", out);
}

#[test]
fn junit_has_one_testcase_per_check() {
    let out = demo("junit");
    let report = json(&run(&["fixtures/demo", "--format", "json"]));
    let s = &report["summary"];
    let total = report["checks"].as_array().unwrap().len();
    assert_eq!(out.matches("<testcase ").count(), total);
    assert_eq!(
        out.matches("<failure ").count() as u64,
        s["fail"].as_u64().unwrap()
    );
    assert_eq!(
        out.matches("<skipped ").count() as u64,
        s["skip"].as_u64().unwrap()
    );
    assert!(out.contains(&format!(
        "<testsuites name=\"booking-audit\" tests=\"{total}\" failures=\"{}\"",
        s["fail"]
    )));
    // Every element opened is closed.
    for tag in ["testsuites", "testsuite", "testcase", "failure"] {
        assert_eq!(
            out.matches(&format!("<{tag} ")).count(),
            out.matches(&format!("</{tag}>")).count(),
            "<{tag}> balanced"
        );
    }
    insta::assert_snapshot!("demo_junit", out);
}

#[test]
fn every_format_is_identical_whatever_the_thread_count() {
    for format in ["sarif", "github", "markdown", "junit", "html"] {
        let one = stdout(&run(&["fixtures/demo", "-f", format, "-j", "1"]));
        let four = stdout(&run(&["fixtures/demo", "-f", format, "-j", "4"]));
        assert_eq!(one, four, "{format}");
    }
}
