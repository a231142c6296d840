//! Helpers shared by the end-to-end tests: run the binary, build and copy fixture trees.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The binary under test: this build's, or `BOOKING_AUDIT_BIN` (to test an installed or
/// release binary, or a copy safe from concurrent builds sharing the target directory).
pub fn bin() -> Command {
    let exe = std::env::var_os("BOOKING_AUDIT_BIN")
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_booking-audit").into());
    let mut c = Command::new(exe);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c.env("NO_COLOR", "1");
    c
}

pub fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A temporary directory holding the given files.
pub fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

pub fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Every file under `root` (path relative to it, bytes), sorted: to compare trees, or to
/// show that a run wrote nothing.
pub fn files_under(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                v.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    v.sort();
    v
}

/// A copy of a fixture directory (relative to the crate root) in a temporary directory.
pub fn copy_fixture(rel: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join(rel), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the binary on `root` with `--format json` and the extra arguments.
pub fn audit(root: &Path, extra: &[&str]) -> Output {
    let mut args = vec![root.to_str().unwrap(), "--format", "json"];
    args.extend_from_slice(extra);
    run(&args)
}

/// The check of a JSON report with this short id.
pub fn check<'a>(report: &'a serde_json::Value, short_id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["short_id"] == short_id)
        .unwrap_or_else(|| panic!("{short_id} not in the report"))
}

/// Parses stdout as JSON.
pub fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&stdout(o)).expect("valid JSON")
}

/// The OASIS SARIF 2.1.0 schema's `run.language` pattern has a stray `]` that ECMA 262
/// validation of the schema itself rejects (a known erratum); validation goes on without it.
const BROKEN_SARIF_PATTERN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";

fn drop_broken_pattern(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("pattern").and_then(|p| p.as_str()) == Some(BROKEN_SARIF_PATTERN) {
                m.remove("pattern");
            }
            m.values_mut().for_each(drop_broken_pattern);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(drop_broken_pattern),
        _ => {}
    }
}

/// Validates a JSON value against a schema file of the repository, formats included (GitHub
/// rejects a SARIF `uri` that is not a URI reference); returns the violations.
pub fn schema_errors(schema_file: &str, value: &serde_json::Value) -> Vec<String> {
    let mut schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(schema_file)).unwrap(),
    )
    .unwrap();
    drop_broken_pattern(&mut schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
