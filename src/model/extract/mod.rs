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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tree_sitter::{Parser, Tree};

mod facts;
mod json;
use facts::{run_query, run_scan};
use json::{config_file, manifest};

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

static WORK_LIMIT: AtomicU64 = AtomicU64::new(QUERY_WORK_LIMIT);

/// Lowers the work limit for this process (never raises it): the CLI's
/// `BOOKING_AUDIT_QUERY_WORK_LIMIT`, which lets tests reach it quickly in unoptimized builds.
pub fn lower_query_work_limit(limit: u64) {
    WORK_LIMIT.store(limit.min(QUERY_WORK_LIMIT), Ordering::Relaxed);
}

/// The work limit in force (part of the fact cache's key: it decides what a file yields).
pub fn query_work_limit() -> u64 {
    WORK_LIMIT.load(Ordering::Relaxed)
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
/// Index of the built-in `config-route` fact: a route a deployment config names
/// (`vercel.json` crons), with the entry kind it makes of the route's handlers.
pub const CONFIG_ROUTE_FACT: usize = super::BUILTIN_BASE + 1;

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
        if entry.rel == "package.json".into() || entry.rel.ends_with("/package.json") {
            return manifest(entry, &src);
        }
        return config_file(entry, &src, rules);
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
            if v.spec.scan.is_some() && v.spec.langs.contains(&entry.lang) {
                run_scan((fi, vi), v, &src, entry, code.as_ref(), root, &mut hits);
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
