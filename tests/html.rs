//! `--format html` on the demo app: valid HTML5 holding every check and the evidence of every
//! failure, with no external resource; deterministic; and, where Chromium is installed (always
//! under CI), rendered headless with no script error.

mod common;
use common::{json, run};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The demo report written with `--output` into `dir`.
fn demo_html(dir: &Path, extra: &[&str]) -> (PathBuf, String) {
    let file = dir.join("r.html");
    let mut args = vec![
        "--format",
        "html",
        "--output",
        file.to_str().unwrap(),
        "fixtures/demo",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "the demo has failing checks");
    let html = std::fs::read_to_string(&file).expect("the report was written");
    (file, html)
}

#[test]
fn demo_report_parses_and_holds_every_check_and_failing_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html) = demo_html(dir.path(), &[]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    let doc = scraper::Html::parse_document(&html);
    assert!(
        doc.errors.is_empty(),
        "HTML5 parse errors: {:?}",
        doc.errors
    );
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let text: String = doc.root_element().text().collect();

    let report = json(&run(&["fixtures/demo", "--format", "json"]));
    let checks = report["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 22);
    let sections = doc.select(&sel("section.check")).count();
    assert_eq!(sections, checks.len(), "one section per check");
    let mut failing_evidence = 0;
    for c in checks {
        let short = c["short_id"].as_str().unwrap();
        assert!(text.contains(c["id"].as_str().unwrap()), "{short} missing");
        assert_eq!(
            doc.select(&sel(&format!("section#check-{short}"))).count(),
            1,
            "{short}"
        );
        if c["verdict"] != "fail" {
            continue;
        }
        for f in c["findings"].as_array().unwrap() {
            let e = &f["evidence"][0];
            assert_eq!(e["role"], "primary");
            let at = format!("{}:{}", e["path"].as_str().unwrap(), e["line"]);
            assert!(text.contains(&at), "{short}: evidence {at} missing");
            for line in e["snippet"].as_str().unwrap().lines() {
                if !line.ends_with("...") {
                    assert!(text.contains(line), "{short}: source `{line}` missing");
                }
            }
            failing_evidence += 1;
        }
    }
    assert!(failing_evidence > 10, "the demo fails with findings");
    // The evidence lines are marked in words as well as colour.
    assert!(doc.select(&sel("tr.hit")).count() >= failing_evidence);
    assert!(text.contains("(evidence)"));
    assert!(text.contains("FAIL") && text.contains("PASS") && text.contains("SKIP"));
    // Readable without JavaScript: the filter (which needs it) is hidden until the script runs.
    let form = doc.select(&sel("form#filters")).next().expect("filters");
    assert!(form.value().attr("hidden").is_some());
    for s in [
        "header",
        "main",
        "footer",
        "details > summary",
        "th[scope=row]",
    ] {
        assert!(doc.select(&sel(s)).next().is_some(), "no {s}");
    }
}

#[test]
fn demo_report_references_no_external_resource() {
    let dir = tempfile::tempdir().unwrap();
    let (_, html) = demo_html(dir.path(), &[]);
    let doc = scraper::Html::parse_document(&html);
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    assert_eq!(
        doc.select(&sel("link, iframe, object, embed, img")).count(),
        0
    );
    assert_eq!(doc.select(&sel("script[src]")).count(), 0);
    let mut urls = 0;
    for el in doc.select(&sel("[src], [href], [action]")) {
        for a in ["src", "href", "action"] {
            if let Some(v) = el.value().attr(a) {
                urls += 1;
                assert!(v.starts_with('#'), "{a}={v}: only in-page links");
            }
        }
    }
    assert!(urls > 22, "the scorecard links to each check");
    let lower = html.to_ascii_lowercase();
    for bad in [
        "@import",
        "url(",
        "http://",
        "https://",
        "src=\"//",
        "href=\"//",
    ] {
        assert!(!lower.contains(bad), "{bad}");
    }
}

#[test]
fn the_page_is_deterministic_unless_dated() {
    let dir = tempfile::tempdir().unwrap();
    let (_, a) = demo_html(dir.path(), &[]);
    let (_, b) = demo_html(dir.path(), &["--threads", "1"]);
    assert_eq!(a, b, "same input, same bytes");
    assert!(!a.contains("Date</dt>"));
    let (_, dated) = demo_html(dir.path(), &["--html-date", "2026-12-06"]);
    assert!(dated.contains("<dt>Date</dt><dd>2026-12-06</dd>"));
}

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|b| {
        Command::new(b)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Loads `file` in headless Chromium; returns the dumped DOM and the browser's log.
fn render(browser: &str, file: &Path, profile: &Path, extra: &[&str]) -> (String, String) {
    let o = Command::new(browser)
        .args([
            "--headless=new",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", file.display()))
        .output()
        .expect("chromium runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Console messages and uncaught errors of the page, from Chromium's log.
fn console_errors(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn chromium_renders_the_demo_report_without_errors() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but no chromium or chromium-browser is installed: the browser test must run in CI"
        );
        eprintln!(
            "SKIPPED chromium_renders_the_demo_report_without_errors: no chromium or chromium-browser on PATH"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (file, _) = demo_html(dir.path(), &[]);
    let profile = dir.path().join("profile");

    // The log check has teeth: a page whose script throws is caught.
    let broken = dir.path().join("broken.html");
    std::fs::write(
        &broken,
        "<!DOCTYPE html><title>t</title><script>noSuchFunction();</script>",
    )
    .unwrap();
    let (_, log) = render(browser, &broken, &profile, &["--dump-dom"]);
    assert!(
        !console_errors(&log).is_empty(),
        "a thrown error shows in the log:\n{log}"
    );

    let (dom, log) = render(browser, &file, &profile, &["--dump-dom"]);
    assert!(
        console_errors(&log).is_empty(),
        "{:?}",
        console_errors(&log)
    );
    assert!(
        dom.contains("data-js=\"ready\""),
        "the script ran to its end"
    );
    let report = json(&run(&["fixtures/demo", "--format", "json"]));
    for c in report["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        assert!(dom.contains(id), "{id} not in the rendered DOM");
    }
    let shot = dir.path().join("shot.png");
    render(
        browser,
        &file,
        &profile,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,1600",
        ],
    );
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(png.starts_with(b"\x89PNG") && png.len() > 10_000);
}
