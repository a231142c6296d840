//! The repository model: every fact, the functions and the call graph, schema entities and
//! flows. Built once from the per-file extraction; checks only read it.

pub mod chain;
pub mod code;
pub mod config_routes;
pub mod entities;
pub mod extract;
pub mod flows;
pub mod local_values;
pub mod recover;
pub mod refs;
pub mod resolve;
mod tx_helpers;
pub mod values;

use crate::diagnostic::Diagnostic;
use crate::lang::Lang;
use crate::rules::RuleSet;
use crate::source::Location;
use crate::walk::FileEntry;
use code::CodeFile;
use entities::Entity;
use extract::{Manifest, ParsedFile};
use flows::Flow;
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

pub use crate::rules::{BUILTIN_BASE, BUILTIN_FACTS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

pub struct FileInfo {
    pub rel: std::sync::Arc<str>,
    pub lang: Lang,
    pub side: Side,
    pub code: Option<CodeFile>,
    /// Global index of this file's unit 0.
    pub unit_base: usize,
    pub manifest: Option<Manifest>,
}

pub struct UnitInfo {
    pub file: usize,
    pub local: usize,
    pub name: &'static str,
    pub container: Option<&'static str>,
    pub route: Option<&'static str>,
    pub loc: Location,
    pub params: Vec<&'static str>,
    pub is_module: bool,
    /// The kind of entry point it is (`rules/frameworks/*.yaml`), if any.
    pub entry: Option<&'static str>,
}

impl UnitInfo {
    /// How a flow rooted here is named in details.
    pub fn label(&self) -> String {
        let mut s = match &self.container {
            Some(c) => format!("{c}.{}", self.name),
            None => self.name.to_string(),
        };
        if let Some(r) = &self.route
            && !s.contains(r)
        {
            s.push_str(&format!(" [{r}]"));
        }
        s
    }
}

/// One fact in the repository.
pub struct FactRec {
    pub fact: usize,
    pub variant: usize,
    pub file: usize,
    pub unit: usize,
    pub start: usize,
    pub end: usize,
    pub scope: (usize, usize),
    pub loc: Location,
    /// Shared with the evidence items that quote the fact.
    pub values: std::sync::Arc<values::Values>,
}

impl FactRec {
    pub fn value(&self, k: &str) -> Option<&str> {
        self.values.get(k)
    }

    /// The same fact, in the same place, with other values (seen through a call).
    pub fn with_values(&self, values: values::Values) -> FactRec {
        FactRec {
            fact: self.fact,
            variant: self.variant,
            file: self.file,
            unit: self.unit,
            start: self.start,
            end: self.end,
            scope: self.scope,
            loc: self.loc.clone(),
            values: std::sync::Arc::new(values),
        }
    }
}

pub struct RepoModel {
    pub files: Vec<FileInfo>,
    pub units: Vec<UnitInfo>,
    pub facts: Vec<FactRec>,
    pub by_fact: HashMap<usize, Vec<usize>>,
    pub entities: Vec<Entity>,
    pub entity_by_key: HashMap<String, usize>,
    /// Resolved call edges per unit: (call position, target unit, call index in file).
    pub calls: Vec<Vec<resolve::Edge>>,
    pub flows: Vec<Flow>,
    pub regions: Vec<flows::Region>,
    /// Files each file imports (resolved inside the repository).
    pub imports: Vec<Vec<usize>>,
    /// Per unit: exported by name and imported by no module (`resolve::usage`).
    pub unimported: Vec<bool>,
    /// Functions that would start a flow but are exported and imported by no module, so no
    /// request or job runs them (`--explain-scope` lists them).
    pub unused_roots: Vec<usize>,
    /// Facts whose reference is their function's parameter (`refs::bind_params`), each with
    /// the calls (calling unit, edge) that pass its entity: flows see it only through them.
    pub param_sites: HashMap<usize, Vec<(usize, usize)>>,
    /// Calls whose target depends on the object's class (`resolve::Dispatch`), by (calling
    /// unit, edge).
    pub dispatch: resolve::Dispatches,
    pub diags: Vec<Diagnostic>,
}

impl RepoModel {
    pub fn facts_of(&self, fact: usize) -> &[usize] {
        self.by_fact.get(&fact).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn imported_files(&self, file: usize) -> &[usize] {
        self.imports.get(file).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn side_of_fact(&self, f: &FactRec) -> Side {
        self.files[f.file].side
    }

    /// The kind of the entity a fact's `entity` value names, if any.
    pub fn entity_kind_of(&self, f: &FactRec) -> Option<&str> {
        self.entity_of(f)?.kind.as_deref()
    }

    pub fn entity_of(&self, f: &FactRec) -> Option<&entities::Entity> {
        let name = f.value("entity")?;
        let e = self.entity_by_key.get(&entities::key(name))?;
        Some(&self.entities[*e])
    }
}

/// One note for every SQL file the grammar cannot parse all of (PostgreSQL functions,
/// policies, DO blocks, grants, MySQL procedures: see docs/sql-parsers.md), not one per file:
/// the constraint, exclusion and lock facts are also read from the text of every statement.
fn sql_note(path: &str, line: usize, files: usize) -> Diagnostic {
    let more = match files {
        0 | 1 => String::new(),
        2 => ", and in 1 more SQL file".to_string(),
        n => format!(", and in {} more SQL files", n - 1),
    };
    Diagnostic::note(
        path,
        format!(
            "SQL the grammar cannot parse from line {line} (dialect syntax?){more}: \
             facts from the other statements still count"
        ),
    )
}

pub fn build(entries: &[FileEntry], rules: &RuleSet, diags: Vec<Diagnostic>) -> RepoModel {
    build_with(entries, rules, diags, |e, parser| {
        extract::extract_file(e, rules, parser)
    })
}

/// `build`, with each file's extraction from `per_file` (the fact cache, or `extract_file`).
pub fn build_with(
    entries: &[FileEntry],
    rules: &RuleSet,
    mut diags: Vec<Diagnostic>,
    per_file: impl Fn(&FileEntry, &mut tree_sitter::Parser) -> ParsedFile + Sync,
) -> RepoModel {
    let parsed: Vec<ParsedFile> = crate::timing::phase("parse+extract", || {
        entries
            .par_iter()
            .map_init(tree_sitter::Parser::new, |parser, e| {
                crate::timing::per_file(&e.rel, || per_file(e, parser))
            })
            .collect()
    });
    crate::timing::slowest_files();
    // Sized exactly: grown by doubling, these two were a fifth of the peak heap at 20k files.
    let unit_count = parsed
        .iter()
        .map(|p| p.code.as_ref().map_or(1, |c| c.units.len()))
        .sum();
    let binding_count = parsed
        .iter()
        .flat_map(|p| &p.hits)
        .filter(|h| refs::BindingFact::is_binding(&h.values))
        .count();
    let fact_count = parsed.iter().map(|p| p.hits.len()).sum::<usize>() - binding_count;
    let mut files = Vec::with_capacity(entries.len());
    let mut units = Vec::with_capacity(unit_count);
    let mut facts = Vec::with_capacity(fact_count);
    let mut bindings = Vec::with_capacity(binding_count);
    // SQL files the grammar cannot parse all of: the first (path, line), and how many.
    let mut sql_errors: (Option<(&str, usize)>, usize) = (None, 0);
    for (fi, (entry, mut p)) in entries.iter().zip(parsed).enumerate() {
        diags.extend(p.diags);
        if let Some(line) = p.sql_error_line {
            sql_errors.0.get_or_insert((&entry.rel, line));
            sql_errors.1 += 1;
        }
        let side = side_of(entry, p.code.as_ref(), rules);
        let unit_base = units.len();
        if let Some(code) = &mut p.code {
            let use_server = code.use_server;
            let directive = if code.use_client {
                "use client"
            } else if use_server {
                "use server"
            } else {
                ""
            };
            let aliases = code.export_aliases.clone();
            // Parameters move to the unit's record; nothing reads the file's copy afterwards.
            for ((li, u), loc) in code.units.iter_mut().enumerate().zip(p.unit_locs) {
                let top_level = !u.is_module && code.parents.get(li) == Some(&0);
                let entry_kind = u.entry.or_else(|| {
                    if !top_level {
                        return None;
                    }
                    let at = FileAt {
                        path: &entry.rel,
                        use_server,
                        directive,
                    };
                    file_entry(rules, &at, u.name)
                        // `export default function BookingsPage()` is the file's `default`.
                        .or_else(|| {
                            u.default_export
                                .then(|| file_entry(rules, &at, "default"))
                                .flatten()
                        })
                        .or_else(|| {
                            // `export const POST = withErrorHandler(handler)`: `handler` is POST.
                            aliases
                                .iter()
                                .filter(|(f, _)| f == u.name)
                                .find_map(|(_, export)| file_entry(rules, &at, export))
                        })
                });
                units.push(UnitInfo {
                    file: fi,
                    local: li,
                    name: u.name,
                    container: u.container,
                    route: u.route,
                    loc,
                    params: std::mem::take(&mut u.params),
                    is_module: u.is_module,
                    entry: entry_kind,
                });
            }
        } else {
            units.push(UnitInfo {
                file: fi,
                local: 0,
                name: "<module>",
                container: None,
                route: None,
                loc: Location {
                    path: entry.rel.clone(),
                    line: 1,
                    column: 1,
                    end_line: 1,
                    snippet: String::new(),
                },
                params: vec![],
                is_module: true,
                entry: None,
            });
        }
        for h in p.hits {
            if refs::BindingFact::is_binding(&h.values) {
                bindings.push(refs::BindingFact {
                    file: fi,
                    unit: unit_base + h.unit,
                    start: h.start,
                    values: h.values,
                });
                continue;
            }
            facts.push(FactRec {
                fact: h.fact,
                variant: h.variant,
                file: fi,
                unit: unit_base + h.unit,
                start: h.start,
                end: h.end,
                scope: h.scope,
                loc: h.loc,
                values: std::sync::Arc::new(h.values),
            });
        }
        files.push(FileInfo {
            rel: entry.rel.clone(),
            lang: entry.lang,
            side,
            code: p.code,
            unit_base,
            manifest: p.manifest,
        });
    }
    if let (Some((path, line)), n) = sql_errors {
        diags.push(sql_note(path, line, n));
    }
    let modules: std::collections::HashSet<usize> = files.iter().map(|f| f.unit_base).collect();
    let param_refs = refs::resolve(&mut facts, &bindings, &modules, &units);
    // Bindings are most facts of a large repository: kept only while a parameter waits for them.
    let bindings = if param_refs.is_empty() {
        Vec::new()
    } else {
        bindings
    };
    normalize_writes(&mut facts, rules);
    backend_packages_are_server(&mut files, &facts, rules);
    let mut model = RepoModel {
        files,
        units,
        facts,
        by_fact: HashMap::new(),
        entities: vec![],
        entity_by_key: HashMap::new(),
        calls: vec![],
        flows: vec![],
        regions: vec![],
        imports: vec![],
        unimported: vec![],
        unused_roots: vec![],
        param_sites: HashMap::new(),
        dispatch: HashMap::new(),
        diags,
    };
    model.reindex();
    crate::timing::phase("entities", || entities::build(&mut model, rules));
    crate::timing::phase("resolve", || resolve::resolve_calls(&mut model));
    config_routes::apply(&mut model);
    refs::bind_params(&mut model, param_refs, &bindings, &modules, rules);
    drop(bindings);
    crate::timing::phase("flows", || flows::build(&mut model, rules));
    crate::timing::note("sizes", || model.sizes());
    model
}

impl RepoModel {
    /// Counts and text bytes of the model's main parts (for `BOOKING_AUDIT_TIMINGS`).
    fn sizes(&self) -> String {
        let value_bytes: usize = self
            .facts
            .iter()
            .flat_map(|f| f.values.iter())
            .map(|(k, v)| k.len() + v.len())
            .sum();
        let values: usize = self.facts.iter().map(|f| f.values.len()).sum();
        let snippet_bytes: usize = self
            .facts
            .iter()
            .map(|f| f.loc.snippet.len())
            .sum::<usize>()
            + self
                .units
                .iter()
                .map(|u| u.loc.snippet.len())
                .sum::<usize>();
        let calls: usize = self
            .files
            .iter()
            .filter_map(|f| f.code.as_ref())
            .map(|c| c.calls.len())
            .sum();
        let call_bytes: usize = self
            .files
            .iter()
            .filter_map(|f| f.code.as_ref())
            .flat_map(|c| c.calls.iter())
            .map(|c| c.name.len() + c.args.len() + c.receiver.as_ref().map_or(0, |r| r.len()))
            .sum();
        let edges: usize = self.calls.iter().map(Vec::len).sum();
        let events: usize = self.flows.iter().map(|f| f.events.len()).sum();
        format!(
            "files {} units {} facts {} values {} ({} B) snippets {} B calls {} ({} B) edges {} flows {} events {} regions {}",
            self.files.len(),
            self.units.len(),
            self.facts.len(),
            values,
            value_bytes,
            snippet_bytes,
            calls,
            call_bytes,
            edges,
            self.flows.len(),
            events,
            self.regions.len()
        )
    }

    fn reindex(&mut self) {
        self.by_fact.clear();
        for (i, f) in self.facts.iter().enumerate() {
            self.by_fact.entry(f.fact).or_default().push(i);
        }
    }
}

/// A top-level function's entry kind from where it is (`rules/frameworks/*.yaml`): an export
/// a route file names (`export async function POST` in `app/**/route.ts`), or a function of a
/// `'use server'` file.
fn file_entry(rules: &RuleSet, at: &FileAt, name: &str) -> Option<&'static str> {
    let entries = &rules.entries;
    entries
        .export(name, at.path, at.directive)
        .or_else(|| {
            at.use_server
                .then(|| entries.directive("use server"))
                .flatten()
        })
        .map(|e| e.kind)
}

/// Where a top-level function is, for [`file_entry`]: its file's path and directive.
struct FileAt<'a> {
    path: &'a str,
    use_server: bool,
    /// The file's directive (`use client`, `use server`), or "".
    directive: &'a str,
}

fn side_of(entry: &FileEntry, code: Option<&CodeFile>, rules: &RuleSet) -> Side {
    let m = &rules.model;
    if let Some(c) = code {
        if c.use_server {
            return Side::Server;
        }
        if c.use_client {
            return Side::Client;
        }
    }
    if m.server_paths.is_match(&entry.rel) {
        return Side::Server;
    }
    if m.client_paths.is_match(&entry.rel)
        || entry.rel.ends_with(".tsx")
        || entry.rel.ends_with(".jsx")
    {
        return Side::Client;
    }
    Side::Server
}

/// Files put on the client side only by their folder (`components/`), inside a package with
/// no front-end dependency, are server code: back ends use those folder names too.
fn backend_packages_are_server(files: &mut [FileInfo], facts: &[FactRec], rules: &RuleSet) {
    let Some(frontend) = &rules.model.frontend_packages else {
        return;
    };
    // Package directories ("" for the root), and whether each depends on a front end.
    let mut packages: BTreeMap<String, bool> = BTreeMap::new();
    for f in files.iter() {
        if &*f.rel == "package.json" || f.rel.ends_with("/package.json") {
            let dir = f.rel.strip_suffix("package.json").unwrap_or("").to_string();
            packages.entry(dir).or_insert(false);
        }
    }
    for f in facts.iter().filter(|f| f.fact == extract::DEPENDENCY_FACT) {
        let rel = &files[f.file].rel;
        let dir = rel.strip_suffix("package.json").unwrap_or("");
        if f.value("name").is_some_and(|n| frontend.is_match(n))
            && let Some(v) = packages.get_mut(dir)
        {
            *v = true;
        }
    }
    for f in files.iter_mut() {
        if f.side != Side::Client
            || f.rel.ends_with(".tsx")
            || f.rel.ends_with(".jsx")
            || f.code.as_ref().is_some_and(|c| c.use_client)
        {
            continue;
        }
        // The nearest package.json above the file decides.
        let owner = packages
            .iter()
            .filter(|(dir, _)| f.rel.starts_with(dir.as_str()))
            .max_by_key(|(dir, _)| dir.len());
        if let Some((_, false)) = owner {
            f.side = Side::Server;
        }
    }
}

/// A fact with `entity` and `op` values is a write; `write` gets the op's normalized kind,
/// unless a prop already decided it (`updateOne(filter, doc, { upsert: true })` is an upsert)
/// or the reference written through did (a `write_<op>` value: a `set` through a new document
/// reference is an insert).
pub(super) fn normalize_writes(facts: &mut [FactRec], rules: &RuleSet) {
    for f in facts {
        let Some(op) = f.values.get("op") else {
            continue;
        };
        if !f.values.contains_key("entity") || f.values.contains_key("write") {
            continue;
        }
        if let Some(k) = f.values.get(&format!("write_{op}")) {
            let k = k.to_string();
            std::sync::Arc::make_mut(&mut f.values).insert("write", k);
            continue;
        }
        let kind = rules
            .model
            .write_ops
            .iter()
            .find(|(_, re)| re.is_match(op))
            .map(|(k, _)| k.clone());
        if let Some(k) = kind {
            std::sync::Arc::make_mut(&mut f.values).insert("write", k);
        }
    }
}
