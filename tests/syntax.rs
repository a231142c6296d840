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

#[test]
fn sql_the_grammar_cannot_parse_is_one_note_per_run() {
    let dir = common::dir_with(&[
        (
            "migrations/1.sql",
            "CREATE TABLE a (id int PRIMARY KEY);\nGRANT ALL ON TABLE a TO anon;\n",
        ),
        ("migrations/2.sql", "DO $$ BEGIN PERFORM 1; END $$;\n"),
        (
            "migrations/3.sql",
            "CREATE POLICY p ON a FOR SELECT USING (true);\n",
        ),
        ("migrations/4.sql", "CREATE TABLE b (id int PRIMARY KEY);\n"),
    ]);
    let errors = errors(dir.path().to_str().unwrap());
    let sql: Vec<&Value> = errors
        .iter()
        .filter(|e| e["message"].as_str().unwrap().starts_with("SQL"))
        .collect();
    assert_eq!(sql.len(), 1, "{errors:#?}");
    assert_eq!(sql[0]["level"], "note");
    assert_eq!(sql[0]["path"], "migrations/1.sql");
    assert_eq!(
        sql[0]["message"],
        "SQL the grammar cannot parse from line 2 (dialect syntax?), and in 2 more SQL files: \
         facts from the other statements still count"
    );
}
