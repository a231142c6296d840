//! Valid TypeScript that the tree-sitter grammars lack (fixtures/syntax/valid, one idiom per
//! file, each accepted by TypeScript's own parser) gets no syntax warning; really broken files
//! that look like the same idioms (fixtures/syntax/broken) still do.

mod common;

use serde_json::Value;

fn errors(dir: &str) -> Vec<Value> {
    let out = common::run(&[dir, "--format", "json", "--fail-on", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let json: Value = serde_json::from_str(&common::stdout(&out)).expect("JSON report");
    json["errors"].as_array().expect("errors").clone()
}

#[test]
fn valid_typescript_the_grammar_lacks_gets_no_syntax_warning() {
    let errors = errors("fixtures/syntax/valid");
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn broken_near_misses_are_still_reported() {
    let errors = errors("fixtures/syntax/broken");
    for (file, line) in [
        ("src/unterminated-type-arguments.ts", 3),
        ("src/unclosed-jsx-expression.tsx", 2),
        ("src/dangling-import-type.ts", 2),
    ] {
        let e = errors
            .iter()
            .find(|e| e["path"] == file)
            .unwrap_or_else(|| panic!("{file} not reported: {errors:#?}"));
        assert_eq!(e["level"], "warning", "{e}");
        assert_eq!(
            e["message"],
            format!("syntax errors from line {line}: facts from the parts that parse still count"),
            "{e}"
        );
    }
}
