//! Per-file work, run in parallel: read, parse, run the fact queries, extract the code
//! structure. The tree is dropped before returning; only facts and structure are kept.

use super::code::{self, CodeFile};
use super::values::Values;
use crate::diagnostic::Diagnostic;
use crate::lang::Lang;
use crate::rules::compile::WITHIN_CALL;
use crate::rules::dispatch::{Scratch, Target};
use crate::rules::re::Groups;
use crate::rules::spec::Re;
use crate::rules::{RuleSet, Variant};
use crate::source::{Location, SourceText};
use crate::walk::FileEntry;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};
use tree_sitter::{Parser, Tree};

/// Values longer than this are cut: predicates see the whole text, the model keeps a prefix.
const MAX_VALUE_BYTES: usize = 4096;
/// Lines longer than this mark a minified or generated file, which is skipped.
const MAX_LINE_BYTES: usize = 20_000;
/// Syntax trees deeper than this are skipped: query matching slows with depth, and
/// hand-written code stays far below it (the deepest file of the labelled repositories: 139).
const MAX_NESTING: u32 = 1000;
/// Query matching work allowed per file, in node and child visits: a pathological file stops
/// here (the costliest file of the labelled repositories needs under 1% of it).
const QUERY_WORK_LIMIT: u64 = 200_000_000;

/// The work limit, lowered by `BOOKING_AUDIT_QUERY_WORK_LIMIT` (tests reach it quickly in
/// unoptimized builds).
fn query_work_limit() -> u64 {
    static LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        std::env::var("BOOKING_AUDIT_QUERY_WORK_LIMIT")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(QUERY_WORK_LIMIT, |v: u64| v.min(QUERY_WORK_LIMIT))
    })
}
const PARSE_BUDGET: Duration = Duration::from_secs(10);

/// One fact found in a file.
#[derive(Debug, Clone)]
pub struct Hit {
    pub fact: usize,
    /// Which definition of the fact matched (for its label).
    pub variant: usize,
    pub start: usize,
    pub end: usize,
    /// The region a `role: transaction` fact covers (its `@scope` capture, else the match).
    pub scope: (usize, usize),
    pub loc: Location,
    /// File-local unit index (0 = module level).
    pub unit: usize,
    pub values: Values,
}

#[derive(Debug, Clone, Default)]
pub struct Manifest {
    pub name: Option<String>,
    pub entries: Vec<String>,
}

pub struct ParsedFile {
    pub hits: Vec<Hit>,
    pub code: Option<CodeFile>,
    pub unit_locs: Vec<Location>,
    pub manifest: Option<Manifest>,
    pub diags: Vec<Diagnostic>,
    /// A SQL file the grammar cannot parse all of: the first line it cannot.
    pub sql_error_line: Option<usize>,
}

impl ParsedFile {
    fn empty(diags: Vec<Diagnostic>) -> Self {
        ParsedFile {
            hits: vec![],
            code: None,
            unit_locs: vec![],
            manifest: None,
            diags,
            sql_error_line: None,
        }
    }
}

/// Index of the built-in `dependency` fact (package.json).
pub const DEPENDENCY_FACT: usize = super::BUILTIN_BASE;

pub fn read_text(entry: &FileEntry) -> Result<String, Diagnostic> {
    text_of(entry, std::fs::read(&entry.abs))
}

/// A file's text from what reading it gave (the fact cache reads and hashes the bytes first).
fn text_of(entry: &FileEntry, read: std::io::Result<Vec<u8>>) -> Result<String, Diagnostic> {
    let bytes =
        read.map_err(|e| Diagnostic::warning(&entry.rel, format!("skipped: could not read: {e}")))?;
    if bytes.contains(&0) {
        return Err(Diagnostic::note(
            &entry.rel,
            "skipped: binary content (NUL bytes)",
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| Diagnostic::warning(&entry.rel, format!("skipped: not valid UTF-8 ({e})")))?;
    if text.lines().any(|l| l.len() > MAX_LINE_BYTES) {
        return Err(Diagnostic::note(
            &entry.rel,
            format!("skipped: a line over {MAX_LINE_BYTES} bytes (minified or generated)"),
        ));
    }
    Ok(text)
}

pub fn extract_file(entry: &FileEntry, rules: &RuleSet, parser: &mut Parser) -> ParsedFile {
    extract_read(entry, std::fs::read(&entry.abs), rules, parser)
}

/// `extract_file` on what reading the file gave.
pub fn extract_read(
    entry: &FileEntry,
    read: std::io::Result<Vec<u8>>,
    rules: &RuleSet,
    parser: &mut Parser,
) -> ParsedFile {
    let text = match text_of(entry, read) {
        Ok(t) => t,
        Err(d) => return ParsedFile::empty(vec![d]),
    };
    let src = SourceText::new(text);
    if entry.lang == Lang::Manifest {
        return manifest(entry, &src);
    }
    let tree = match parse(entry, &src.text, parser) {
        Ok(t) => t,
        Err(d) => return ParsedFile::empty(vec![d]),
    };
    let root = tree.root_node();
    let flat = crate::pattern::Flat::new(root);
    if flat.max_depth() > MAX_NESTING {
        return ParsedFile::empty(vec![Diagnostic::note(
            &entry.rel,
            format!("skipped: syntax nested over {MAX_NESTING} levels deep (generated?)"),
        )]);
    }
    let mut diags = Vec::new();
    let mut sql_error_line = None;
    if root.has_error() {
        let line = first_error_line(root).unwrap_or(1);
        if entry.lang == Lang::Sql {
            // The SQL grammar lacks much valid dialect syntax (functions, policies, DO blocks):
            // one note per run sums these up (see `model::build`).
            sql_error_line = Some(line);
        } else {
            diags.push(Diagnostic::warning(
                &entry.rel,
                format!(
                    "syntax errors from line {line}: facts from the parts that parse still count"
                ),
            ));
        }
    }
    let code = entry
        .lang
        .is_code()
        .then(|| code::extract(&flat, entry.lang, &src.text, &rules.entries));
    let mut hits = Vec::new();
    for (fi, fact) in rules.facts.iter().enumerate() {
        for (vi, v) in fact.variants.iter().enumerate() {
            if let Some(scan) = &v.spec.scan
                && v.spec.langs.contains(&entry.lang)
            {
                run_scan((fi, vi), v, scan, &src, entry, code.as_ref(), &mut hits);
            }
        }
    }
    if let Some(q) = rules.queries.get(entry.lang)
        && let Some(at) = run_query(rules, q, &flat, &src, entry, code.as_ref(), &mut hits)
    {
        let (line, _) = src.position(at);
        diags.push(Diagnostic::warning(
            &entry.rel,
            format!(
                "fact queries stopped at line {line} (work limit reached): later facts are missing"
            ),
        ));
    }
    hits.sort_by_key(|h| (h.start, h.fact, h.end));
    hits.dedup_by_key(|h| (h.start, h.end, h.fact));
    hits.shrink_to_fit();
    let unit_locs = code
        .as_ref()
        .map(|c| {
            c.units
                .iter()
                .map(|u| unquoted(entry, &src, u.start, u.end))
                .collect()
        })
        .unwrap_or_default();
    ParsedFile {
        hits,
        code,
        unit_locs,
        manifest: None,
        diags,
        sql_error_line,
    }
}

/// Parses a source file with its language's grammar, within the time budget (per parse: a
/// code file the grammar needs a workaround for is parsed more than once, see `recover`).
pub fn parse(entry: &FileEntry, text: &str, parser: &mut Parser) -> Result<Tree, Diagnostic> {
    let grammar = entry.lang.grammar().expect("parsed language");
    if parser.set_language(&grammar).is_err() {
        return Err(Diagnostic::warning(
            &entry.rel,
            "grammar could not be loaded",
        ));
    }
    let mut parse_bytes = |bytes: &[u8]| {
        let started = Instant::now();
        let mut progress = |_: &tree_sitter::ParseState| {
            if started.elapsed() > PARSE_BUDGET {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let tree = parser.parse_with_options(
            &mut |i, _| if i < bytes.len() { &bytes[i..] } else { &[] },
            None,
            Some(tree_sitter::ParseOptions::new().progress_callback(&mut progress)),
        );
        parser.reset();
        tree
    };
    super::recover::parse_code(entry.lang, text, &mut parse_bytes).ok_or_else(|| {
        Diagnostic::warning(
            &entry.rel,
            format!("skipped: parsing took over {}s", PARSE_BUDGET.as_secs()),
        )
    })
}

fn first_error_line(root: tree_sitter::Node) -> Option<usize> {
    let mut c = root.walk();
    loop {
        let n = c.node();
        if n.is_error() || n.is_missing() {
            return Some(n.start_position().row + 1);
        }
        crate::pattern::advance(&mut c, n.has_error())?;
    }
}

pub fn location(entry: &FileEntry, src: &SourceText, start: usize, end: usize) -> Location {
    let mut loc = unquoted(entry, src, start, end);
    loc.snippet = src.snippet(loc.line, loc.end_line);
    loc
}

/// A fact's location: quoted, unless the fact is a reference binding, which the model
/// consumes before any check or report sees it (bindings are most facts of a large repository).
fn fact_location(
    entry: &FileEntry,
    src: &SourceText,
    start: usize,
    end: usize,
    values: &Values,
) -> Location {
    if super::refs::BindingFact::is_binding(values) {
        unquoted(entry, src, start, end)
    } else {
        location(entry, src, start, end)
    }
}

/// A location whose snippet is quoted only if a report cites it (`Location::quote`).
fn unquoted(entry: &FileEntry, src: &SourceText, start: usize, end: usize) -> Location {
    let (line, column) = src.position(start);
    let (end_line, _) = src.position(end.saturating_sub(1).max(start));
    Location {
        path: entry.rel.clone(),
        line,
        column,
        end_line,
        snippet: String::new(),
    }
}

fn cut(s: &str) -> &str {
    crate::source::prefix_within(s, MAX_VALUE_BYTES)
}

/// Runs the language's combined query once and hands each match to the variants whose pattern
/// it is.
fn run_query(
    rules: &RuleSet,
    q: &crate::rules::CombinedQuery,
    flat: &crate::pattern::Flat,
    src: &SourceText,
    entry: &FileEntry,
    code: Option<&CodeFile>,
    hits: &mut Vec<Hit>,
) -> Option<usize> {
    let names = q.query.capture_names();
    let scope_idx = q.query.capture_index_for_name("scope");
    let text = src.text.as_str();
    let (matches, stopped_at) = q.query.matches_in(flat, query_work_limit());
    let imports = import_ranges(flat.root());
    let mut scratch = Scratch::default();
    for m in &matches {
        // Facts read a callee's canonical chain, whatever the formatting (see `chain`).
        let callee_clean = m
            .captures
            .iter()
            .find(|(index, _)| names[usize::from(*index)] == "callee")
            .and_then(|&(_, at)| super::chain::canonical_callee(flat.node(at), text));
        let mut caps = Caps::default();
        let mut match_node = None;
        let mut scope = None;
        for &(index, at) in &m.captures {
            let node = flat.node(at);
            let name = names[usize::from(index)].as_str();
            caps.set_if_absent(name, || match &callee_clean {
                Some(clean) if name == "callee" => clean.as_str(),
                _ => text.get(node.byte_range()).unwrap_or(""),
            });
            if index == q.match_capture && match_node.is_none() {
                match_node = Some((node, at));
            }
            if Some(index) == scope_idx && scope.is_none() {
                scope = Some(node.byte_range());
            }
        }
        let Some((node, at)) = match_node else {
            continue;
        };
        if inside_import(node, &imports) {
            continue;
        }
        caps.set("text", text.get(node.byte_range()).unwrap_or(""));
        if q.within_call[m.pattern] {
            caps.set(WITHIN_CALL, enclosing_callee(flat, at, text));
        }
        let callee = caps.get("callee").unwrap_or("");
        let whole = caps.get("text").unwrap_or("");
        let args_at = m
            .captures
            .iter()
            .find(|(index, _)| names[usize::from(*index)] == "args")
            .map(|&(_, at)| at);
        // The arguments with their local object variables written out, made only when a fact
        // that matched reads a value its own arguments lack (see `local_values`).
        let mut expanded: Option<Option<String>> = None;
        match q.dispatch(m.pattern, &rules.facts) {
            Some(d) => d.candidates(callee, whole, &mut scratch),
            None => scratch.ask_all(q.patterns[m.pattern].len()),
        }
        for (slot, &(fi, vi)) in q.patterns[m.pattern].iter().enumerate() {
            let variant = &rules.facts[fi].variants[vi];
            if !scratch.may[slot] {
                if crate::rules::re::crosschecking() {
                    verify_rejection(variant, callee, whole);
                }
                continue;
            }
            if let Some(mut values) = fact_values(variant, &caps) {
                let missing = || {
                    variant
                        .spec
                        .props
                        .iter()
                        .filter(|(name, p)| p.from == "args" && !values.contains_key(name))
                };
                if args_at.is_some() && missing().next().is_some() {
                    let x = expanded.get_or_insert_with(|| {
                        args_at.and_then(|a| super::local_values::expand_args(flat, a, text))
                    });
                    if let Some(x) = x {
                        let found: Vec<(String, String)> = missing()
                            .filter_map(|(name, p)| Some((name.to_string(), prop_value(p, x)?)))
                            .collect();
                        for (name, v) in found {
                            values.insert(&name, v);
                        }
                    }
                }
                let (start, end) = (node.start_byte(), node.end_byte());
                let values = binding_values(values);
                hits.push(Hit {
                    fact: fi,
                    variant: vi,
                    start,
                    end,
                    scope: scope
                        .clone()
                        .map(|r| (r.start, r.end))
                        .unwrap_or((start, end)),
                    loc: fact_location(entry, src, start, end, &values),
                    unit: code.map(|c| c.unit_at(start)).unwrap_or(0),
                    values,
                });
            }
        }
    }
    stopped_at
}

/// A binding's values cut to what `refs` reads of it (`binds`, `name`, `entity`, `via`,
/// `ref_*`): bindings never reach checks or reports, and their match texts were most of the
/// extraction's memory on large repositories. Other facts' values are kept whole.
fn binding_values(values: Values) -> Values {
    if !super::refs::BindingFact::is_binding(&values) {
        return values;
    }
    let mut kept = Values::new();
    for (k, v) in values.iter() {
        if matches!(k, "binds" | "name" | "entity" | "via") || k.starts_with("ref_") {
            kept.insert(k, v);
        }
    }
    kept.shrink();
    kept
}

/// Under the regex crosscheck, panics unless a variant the literal scan rejected fails its
/// first regex.
fn verify_rejection(v: &Variant, callee: &str, whole: &str) {
    let (target, re) = v
        .spec
        .first_regex()
        .expect("a rejected variant has a first regex");
    let text = first_regex_text(target, callee, whole);
    assert!(
        re.captures(text).is_none(),
        "the literal scan rejected {text:?}, which its regex matches"
    );
}

/// The text a first regex reads.
fn first_regex_text<'a>(target: Target, callee: &'a str, whole: &'a str) -> &'a str {
    match target {
        Target::Callee => callee,
        Target::Text => whole,
    }
}

/// Byte ranges of the file's import statements (always top level). Computed once per file:
/// `Node::parent` walks down from the root, so asking it per match is quadratic in wide trees.
fn import_ranges(root: tree_sitter::Node) -> Vec<(usize, usize)> {
    let mut c = root.walk();
    root.children(&mut c)
        .filter(|n| n.kind() == "import_statement")
        .map(|n| (n.start_byte(), n.end_byte()))
        .collect()
}

/// A name inside an import (`import { ConflictError } from`) is not a use of it.
fn inside_import(node: tree_sitter::Node, imports: &[(usize, usize)]) -> bool {
    let (s, e) = (node.start_byte(), node.end_byte());
    imports
        .iter()
        .any(|&(is, ie)| is <= s && e <= ie && (is, ie) != (s, e))
}

/// The callee text of the nearest call or `new` whose arguments contain `node`; empty at a
/// function boundary or when there is none. Bounded so deep nesting stays cheap.
fn enclosing_callee<'a>(flat: &crate::pattern::Flat, node: u32, text: &'a str) -> &'a str {
    let mut cur = node;
    for _ in 0..12 {
        let Some(at) = flat.parent(cur) else {
            break;
        };
        match flat.node(at).kind() {
            "arguments" => {
                if let Some(call) = flat.parent(at).map(|g| flat.node(g)) {
                    let f = call
                        .child_by_field_name("function")
                        .or_else(|| call.child_by_field_name("constructor"));
                    if let Some(f) = f {
                        return text.get(f.byte_range()).unwrap_or("");
                    }
                }
                return "";
            }
            "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "class_body"
            | "program" => return "",
            _ => cur = at,
        }
    }
    ""
}

/// One match's captured texts by capture name: a handful per match, so a list beats a map.
#[derive(Default)]
struct Caps<'a>(smallvec::SmallVec<[(&'a str, &'a str); 8]>);

impl<'a> Caps<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
    }

    /// Sets `name`, replacing any text it had.
    fn set(&mut self, name: &'a str, text: &'a str) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = text,
            None => self.0.push((name, text)),
        }
    }

    /// Sets `name` only when it has no text yet (a capture's first node wins).
    fn set_if_absent(&mut self, name: &'a str, text: impl FnOnce() -> &'a str) {
        if self.get(name).is_none() {
            self.0.push((name, text()));
        }
    }
}

/// A variant's predicates on one match; its values when they all hold.
fn fact_values(v: &Variant, caps: &Caps) -> Option<Values> {
    let spec = &v.spec;
    let whole = caps.get("text").unwrap_or("");
    let mut values = Values::new();
    if let Some((target, re)) = spec.first_regex() {
        let callee = caps.get("callee").unwrap_or("");
        let c = re.captures(first_regex_text(target, callee, whole))?;
        named_groups(re, &c, &mut values);
    }
    for (cap, re) in &spec.matches {
        let c = re.captures(caps.get(cap).unwrap_or(""))?;
        named_groups(re, &c, &mut values);
    }
    for (cap, re) in &spec.not_match {
        if re.is_match(caps.get(cap).unwrap_or("")) {
            return None;
        }
    }
    for (name, prop) in &spec.props {
        // A prop reads a capture, else a named group of the `call`/`match` regexes.
        let from = match caps.get(&prop.from) {
            Some(c) => Some(prop_value(prop, c)),
            None => values.get(&prop.from).map(|g| prop_value(prop, g)),
        };
        if let Some(Some(v)) = from {
            values.insert(name, v);
        }
    }
    for &(name, t) in &caps.0 {
        if name != "text" {
            values.insert_if_absent(name, cut(t));
        }
    }
    values.insert("text", cut(whole));
    values.shrink();
    Some(values)
}

/// Regex matches over the whole text; bounded so a pathological file cannot flood the model.
fn run_scan(
    (fi, vi): (usize, usize),
    fact: &Variant,
    re: &Re,
    src: &SourceText,
    entry: &FileEntry,
    code: Option<&CodeFile>,
    hits: &mut Vec<Hit>,
) {
    for c in re.captures_all(&src.text, 2000) {
        let whole = c.get(0).expect("group 0");
        let (start, end) = c.range();
        let excluded = fact.spec.not_match.iter().any(|(cap, not)| {
            let group = match cap.as_str() {
                "match" | "text" => Some(whole),
                _ => re
                    .names()
                    .iter()
                    .find(|(_, n)| n == cap)
                    .and_then(|(i, _)| c.get(*i)),
            };
            group.is_some_and(|t| not.is_match(t))
        });
        if excluded {
            continue;
        }
        let mut values = Values::new();
        named_groups(re, &c, &mut values);
        for (name, prop) in &fact.spec.props {
            let from = if prop.from == "match" || prop.from == "text" {
                whole
            } else {
                values.get(&prop.from).unwrap_or("")
            };
            if let Some(v) = prop_value(prop, from) {
                values.insert(name, v);
            }
        }
        values.insert("text", cut(whole));
        values.shrink();
        hits.push(Hit {
            fact: fi,
            variant: vi,
            start,
            end,
            scope: (start, end),
            loc: fact_location(entry, src, start, end, &values),
            unit: code.map(|c| c.unit_at(start)).unwrap_or(0),
            values,
        });
    }
}

/// A prop's value from its source text: the first regex that matches gives its first group
/// (or the whole match), or the prop's fixed `value`.
fn prop_value(prop: &crate::rules::spec::PropSpec, from: &str) -> Option<String> {
    let c = prop.regex.items().iter().find_map(|re| re.captures(from))?;
    let v = match &prop.value {
        Some(v) => v.clone(),
        None => c
            .get(1)
            .or_else(|| c.get(0))
            .unwrap_or_default()
            .to_string(),
    };
    Some(cut(&v).to_string())
}

fn named_groups(re: &Re, c: &Groups, values: &mut Values) {
    for (i, name) in re.names() {
        if let Some(m) = c.get(*i) {
            values.insert(name, cut(m));
        }
    }
}

fn manifest(entry: &FileEntry, src: &SourceText) -> ParsedFile {
    let json: serde_json::Value = match serde_json::from_str(&src.text) {
        Ok(v) => v,
        Err(e) => {
            return ParsedFile::empty(vec![Diagnostic::warning(
                &entry.rel,
                format!("malformed package.json, dependencies not read: {e}"),
            )]);
        }
    };
    let mut hits = Vec::new();
    for section in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ] {
        let Some(deps) = json.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        for name in deps.keys() {
            let needle = format!("\"{name}\"");
            let start = src
                .text
                .find(&format!("\"{section}\""))
                .and_then(|s| src.text[s..].find(&needle).map(|i| s + i))
                .unwrap_or(0);
            let mut values = Values::new();
            values.insert("name", name.as_str());
            values.insert("section", section);
            values.insert(
                "text",
                format!("{name}@{}", deps[name].as_str().unwrap_or("")),
            );
            hits.push(Hit {
                fact: DEPENDENCY_FACT,
                variant: 0,
                start,
                end: start + needle.len(),
                scope: (start, start),
                loc: location(entry, src, start, start + needle.len()),
                unit: 0,
                values,
            });
        }
    }
    let mut entries = Vec::new();
    for key in ["source", "module", "main", "types"] {
        if let Some(s) = json.get(key).and_then(|v| v.as_str()) {
            entries.push(s.to_string());
        }
    }
    if let Some(s) = json.pointer("/exports/.").and_then(|v| {
        v.as_str().map(String::from).or_else(|| {
            v.get("import")
                .or(v.get("default"))
                .or(v.get("types"))
                .and_then(|x| x.as_str())
                .map(String::from)
        })
    }) {
        entries.insert(0, s);
    } else if let Some(s) = json.get("exports").and_then(|v| v.as_str()) {
        entries.insert(0, s.to_string());
    }
    let manifest = Manifest {
        name: json.get("name").and_then(|n| n.as_str()).map(String::from),
        entries,
    };
    ParsedFile {
        hits,
        code: None,
        unit_locs: vec![],
        manifest: Some(manifest),
        diags: vec![],
        sql_error_line: None,
    }
}
