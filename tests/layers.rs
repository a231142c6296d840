//! One direction through the pipeline: a module of src/ may use only modules of lower layers
//! (and peers of its own layer, without a cycle). This is the one place the order is written
//! down; ARCHITECTURE.md explains it.
//!
//! | layer | modules | what they are |
//! |---|---|---|
//! | 0 | lang, intern, timing, progress, diagnostic, suggest | leaves: used anywhere, use nothing |
//! | 1 | source | a file's text and locations in it |
//! | 2 | walk | the files of a repository |
//! | 3 | pattern | the tree-sitter pattern matcher |
//! | 4 | rules | the rule files, parsed and compiled |
//! | 5 | model | parse and extract facts, build the repository model |
//! | 6 | engine | decide each check on the model |
//! | 7 | fingerprint, suppress, baseline | what becomes of a verdict: identity, suppressions, baselines |
//! | 8 | report | the report and its printers |
//! | 9 | config, catalogue, dump, synth | the user's config, the check table, debug dumps, benchmark input |
//! | 10 | the crate root (lib.rs) | `audit`: the pipeline end to end |
//! | 11 | rule_cases | the checks' own test cases, run through `audit` |
//! | 12 | cli | the command line |
//!
//! Every `crate::` path in src/ (use lines, and paths in code; comments are left out) names
//! the module it reaches by its first segment; a name that is not a module is an item of the
//! crate root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Lowest first. A new module must be placed here (the test fails until it is).
const LAYERS: &[&[&str]] = &[
    &[
        "lang",
        "intern",
        "timing",
        "progress",
        "diagnostic",
        "suggest",
    ],
    &["source"],
    &["walk"],
    &["pattern"],
    &["rules"],
    &["finding"],
    &["model"],
    &["cache"],
    &["engine"],
    &["fingerprint", "suppress", "baseline"],
    &["report"],
    &["config", "catalogue", "dump", "gitbase"],
    &[ROOT],
    &["audit"],
    &["rule_cases"],
    &["cli"],
];

/// The crate root's items (`crate::audit`), as a module name.
const ROOT: &str = "crate";

/// Back edges being removed on other branches (issue 28), allowed until those merge: delete
/// each entry once its edge is gone (the test then says so). Any other back edge fails.
const KNOWN_BACK_EDGES: &[(&str, &str)] = &[];

/// One import of `to` by a file of module `from`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    from: String,
    to: String,
    file: String,
}

/// The module a file of src/ belongs to: its first path component (`model/flows.rs` is in
/// `model`), the crate root for lib.rs.
fn module_of(rel: &str) -> String {
    let first = rel.split('/').next().unwrap_or(rel);
    match first.strip_suffix(".rs") {
        Some("lib") => ROOT.to_string(),
        Some(stem) => stem.to_string(),
        None => first.to_string(),
    }
}

/// The text without `//` comments (line and doc), where paths in prose and doc links live.
/// Strings are kept whole: a `//` inside one is not a comment.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_str = false;
        let mut prev = '\0';
        let mut cut = line.len();
        for (i, c) in line.char_indices() {
            if c == '"' && prev != '\\' {
                in_str = !in_str;
            } else if !in_str && c == '/' && prev == '/' {
                cut = i - 1;
                break;
            }
            prev = c;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// The first segments of every `crate::` path in the text: `crate::a::b` gives `a`,
/// `crate::{a, b::c}` gives `a` and `b`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let text = strip_comments(text);
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        // `booking_crate::x` is not this crate.
        let before = text[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.insert(ident(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 || c == '{' {
                    item.push(c);
                }
            }
            out.insert(ident(&item));
        } else {
            out.insert(ident(rest));
        }
    }
    out.remove("");
    out
}

/// Imports between modules (not within one), from (path relative to src/, text) pairs.
fn edges(files: &[(String, String)], modules: &BTreeSet<String>) -> Vec<Edge> {
    let mut out = BTreeSet::new();
    for (rel, text) in files {
        let from = module_of(rel);
        for seg in crate_paths(text) {
            let to = if modules.contains(&seg) {
                seg
            } else {
                ROOT.to_string()
            };
            if to != from {
                out.insert(Edge {
                    from: from.clone(),
                    to,
                    file: rel.clone(),
                });
            }
        }
    }
    out.into_iter().collect()
}

/// What breaks the order: an import of a higher layer (unless known), a peer cycle, a module
/// in no layer, a known back edge that is gone.
fn violations(
    files: &[(String, String)],
    layers: &[&[&str]],
    known: &[(&str, &str)],
) -> Vec<String> {
    let layer: BTreeMap<&str, usize> = layers
        .iter()
        .enumerate()
        .flat_map(|(i, l)| l.iter().map(move |m| (*m, i)))
        .collect();
    let mut modules: BTreeSet<String> = files.iter().map(|(rel, _)| module_of(rel)).collect();
    modules.remove(ROOT);
    let mut out = Vec::new();
    for m in &modules {
        if !layer.contains_key(m.as_str()) {
            out.push(format!("module `{m}` is in no layer: place it in LAYERS"));
        }
    }
    let edges = edges(files, &modules);
    let mut seen_known = BTreeSet::new();
    let mut peers: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for e in &edges {
        let (Some(&lf), Some(&lt)) = (layer.get(e.from.as_str()), layer.get(e.to.as_str())) else {
            continue;
        };
        if known.contains(&(e.from.as_str(), e.to.as_str())) {
            seen_known.insert((e.from.as_str(), e.to.as_str()));
        } else if lt > lf {
            out.push(format!(
                "{}: `{}` (layer {lf}) uses `{}` (layer {lt}), a higher layer",
                e.file, e.from, e.to
            ));
        } else if lt == lf {
            peers.entry(&e.from).or_default().insert(&e.to);
        }
    }
    for (a, bs) in &peers {
        for b in bs {
            if peers.get(b).is_some_and(|back| back.contains(a)) && a < b {
                out.push(format!("`{a}` and `{b}` use each other"));
            }
        }
    }
    for k in known {
        if !seen_known.contains(k) {
            out.push(format!(
                "known back edge {} -> {} is gone: delete it from KNOWN_BACK_EDGES",
                k.0, k.1
            ));
        }
    }
    out
}

fn read_src(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            read_src(&p, root, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            let rel = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            // The binary's main.rs uses the crate from outside.
            if rel != "main.rs" {
                out.push((rel, std::fs::read_to_string(&p).unwrap()));
            }
        }
    }
}

#[test]
fn no_module_uses_a_higher_layer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_src(&root, &root, &mut files);
    files.sort();
    assert!(files.len() > 20, "src/ read");
    let v = violations(&files, LAYERS, KNOWN_BACK_EDGES);
    assert!(v.is_empty(), "{}", v.join("\n"));
}

fn synthetic(files: &[(&str, &str)]) -> Vec<(String, String)> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.to_string()))
        .collect()
}

#[test]
fn the_checker_finds_back_edges() {
    let layers: &[&[&str]] = &[
        &["walk"],
        &["rules", "pattern"],
        &["model"],
        &[ROOT],
        &["cli"],
    ];
    let files = synthetic(&[
        (
            "walk.rs",
            "use crate::model::Thing; // crate::cli in a comment",
        ),
        (
            "rules/compile.rs",
            "use crate::{pattern::P, walk};\nfn f() { crate::audit(); }",
        ),
        ("pattern/mod.rs", "use crate::rules::Re;"),
        (
            "model/mod.rs",
            "use crate::{walk::FileEntry, rules::{RuleSet, spec::Cond}};",
        ),
        ("lib.rs", "pub fn audit() { crate::model::build(); }"),
        ("cli.rs", "let s = \"http://x\"; crate::audit();"),
    ]);
    let v = violations(&files, layers, &[]);
    assert_eq!(
        v,
        [
            "rules/compile.rs: `rules` (layer 1) uses `crate` (layer 3), a higher layer",
            "walk.rs: `walk` (layer 0) uses `model` (layer 2), a higher layer",
            "`pattern` and `rules` use each other",
        ],
    );
    // A known back edge is allowed; one that is gone is reported.
    let v = violations(&files, layers, &[("walk", "model"), ("model", "cli")]);
    assert!(!v.iter().any(|l| l.starts_with("walk.rs")), "{v:?}");
    assert!(
        v.contains(&"known back edge model -> cli is gone: delete it from KNOWN_BACK_EDGES".into()),
        "{v:?}"
    );
    // A module in no layer.
    let files = synthetic(&[("cache.rs", "")]);
    assert_eq!(
        violations(&files, layers, &[]),
        ["module `cache` is in no layer: place it in LAYERS"]
    );
}

#[test]
fn crate_paths_reads_groups_and_skips_comments() {
    let got = crate_paths(
        "use crate::{a::{b, c}, d};\n/// see `crate::e`\nlet x = crate::f::g(); my_crate::h();",
    );
    assert_eq!(got.into_iter().collect::<Vec<_>>(), ["a", "d", "f"]);
}

/// Lines of `text` that read an environment variable, outside `#[cfg(test)]` modules.
fn env_reads(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    code.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .filter(|l| l.contains("env::var"))
        .map(|l| l.trim().to_string())
        .collect()
}

/// The library reads no environment variable: the CLI reads them and passes what they say
/// down, so `booking_audit::audit` decides the same whatever the caller's environment.
#[test]
fn only_the_cli_reads_the_environment() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    read_src(&root, &root, &mut files);
    let found: Vec<String> = files
        .iter()
        .filter(|(p, _)| p != "cli.rs" && !p.starts_with("cli/"))
        .flat_map(|(p, t)| env_reads(t).into_iter().map(move |l| format!("{p}: {l}")))
        .collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The reader sees a read, and not one in a test module or a comment.
    let sample = "// env::var in a comment\nlet x = std::env::var(\"A\");\n#[cfg(test)]\nmod t { fn f() { std::env::var_os(\"B\"); } }";
    assert_eq!(env_reads(sample), ["let x = std::env::var(\"A\");"]);
}
