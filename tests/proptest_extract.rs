//! Property: random bytes and randomly mutated real sources, under every parsed file name,
//! go through walking, parsing, extraction, the model and the checks without a panic.

use booking_audit::rules::RuleSet;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::path::Path;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| booking_audit::rules::load(None).expect("built-in rules load"))
}

/// Real sources to mutate: every file of the demo app.
fn seeds() -> &'static Vec<(String, String)> {
    static SEEDS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        let mut out = Vec::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    let rel = p
                        .strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.push((rel, text));
                }
            }
        }
        out.sort();
        assert!(out.len() > 5, "demo app sources found");
        out
    })
}

const NAMES: &[&str] = &[
    "src/a.ts",
    "src/b.tsx",
    "src/c.js",
    "src/d.mjs",
    "prisma/schema.prisma",
    "migrations/1.sql",
    "package.json",
];

/// Fragments that open and close constructs the grammars and the extractor care about.
const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "`",
    "${",
    "'",
    "\"",
    "/*",
    "*/",
    "//",
    "\n",
    ";",
    ",",
    "=>",
    "async ",
    "await ",
    "function ",
    "export default ",
    "import { x } from './x';",
    "prisma.booking.create(",
    "$transaction(async (tx) => {",
    "tx.booking.update(",
    "stripe.paymentIntents.create(",
    "router.post('/b', ",
    "@Post(':id')",
    "class A {",
    "model Booking {",
    "@@unique([a, b])",
    "CREATE TABLE t (",
    "FOR UPDATE",
    "\u{feff}",
    "\u{1F600}",
    "é",
    "\r\n",
    "\0",
    "\\",
    "<div>",
    "</div>",
];

#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, usize),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Edit::Insert(at, t)),
        (any::<usize>(), 0usize..200).prop_map(|(at, n)| Edit::Delete(at, n)),
        (any::<usize>(), 0usize..400).prop_map(|(at, n)| Edit::Duplicate(at, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// Applies edits on characters, so the result stays UTF-8 and reaches the parsers.
fn mutate(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for e in edits {
        let len = chars.len().max(1);
        match *e {
            Edit::Insert(at, t) => {
                let at = at % (chars.len() + 1);
                chars.splice(at..at, TOKENS[t].chars());
            }
            Edit::Delete(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            Edit::Duplicate(at, n) => {
                let at = at % len;
                let end = (at + n).min(chars.len());
                let part: Vec<char> = chars[at.min(end)..end].to_vec();
                chars.splice(end..end, part);
            }
            Edit::Truncate(at) => chars.truncate(at % len),
        }
    }
    chars.into_iter().collect()
}

/// Writes the files into a fresh directory and audits it in-process.
fn audit(files: &[(String, Vec<u8>)]) {
    let dir = tempfile::tempdir().unwrap();
    for (rel, bytes) in files {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let opts = booking_audit::AuditOptions {
        include: vec![],
        exclude: vec![],
        display_root: "repo",
    };
    let (report, _) = booking_audit::analyse(dir.path(), rules(), &opts);
    assert_eq!(report.checks.len(), rules().checks.len());
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

#[test]
fn mutated_sources_never_panic() {
    let seeds = seeds();
    let strategy = (
        0..seeds.len(),
        proptest::collection::vec(edit(), 1..24),
        0..NAMES.len(),
    );
    TestRunner::new(config(256))
        .run(&strategy, |(seed, edits, name)| {
            let (rel, text) = &seeds[seed];
            let mutated = mutate(text, &edits);
            audit(&[
                (rel.clone(), mutated.clone().into_bytes()),
                (NAMES[name].to_string(), mutated.into_bytes()),
            ]);
            Ok(())
        })
        .unwrap();
}

#[test]
fn random_bytes_never_panic() {
    let strategy = (
        proptest::collection::vec(any::<u8>(), 0..3000),
        proptest::collection::vec(0..TOKENS.len(), 0..300),
        0..NAMES.len(),
    );
    TestRunner::new(config(256))
        .run(&strategy, |(bytes, tokens, name)| {
            // Raw bytes (mostly rejected as binary or not UTF-8), and a token soup that parses.
            let soup: String = tokens.iter().map(|&t| TOKENS[t]).collect();
            audit(&[
                (NAMES[name].to_string(), bytes),
                (
                    NAMES[(name + 1) % NAMES.len()].to_string(),
                    soup.into_bytes(),
                ),
            ]);
            Ok(())
        })
        .unwrap();
}
