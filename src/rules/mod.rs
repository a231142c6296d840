//! Rule loading: the embedded defaults plus `--rules DIR`, parsed then validated.

pub mod compile;
pub mod dispatch;
pub mod entries;
pub mod error;
pub mod phase;
pub mod prefilter;
pub mod queries;
pub mod re;
mod scalar;
pub mod spec;
pub mod template;

use crate::lang::Lang;
use error::RuleSource;
use spec::{CheckSpec, FactFile, FactSpec, ModelSpec, Parsed, PropSpec, TestCase};
use std::collections::BTreeMap;
use std::path::Path;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// Facts the model provides itself (every package.json dependency), addressable from rules
/// like YAML facts; their indexes start at `BUILTIN_BASE`, past any rule fact's.
pub const BUILTIN_FACTS: &[&str] = &["dependency", "config-route"];
pub const BUILTIN_BASE: usize = 1 << 20;

/// The prefix of every full check id.
pub const ID_PREFIX: &str = "booking-flow-lifecycle";

/// A fact: one or more definitions (one per ORM or code shape) that all yield it.
pub struct Fact {
    pub id: String,
    pub about: String,
    pub role: spec::Role,
    pub label: Option<spec::Text>,
    pub until: Option<spec::FactRef>,
    pub runs_before: Option<spec::FactRef>,
    pub variants: Vec<Variant>,
}

/// One definition of a fact, with its query text for each language it applies to.
pub struct Variant {
    pub spec: FactSpec,
    pub queries: BTreeMap<Lang, String>,
    /// Whether a predicate or prop reads the `within_call` pseudo-capture, which costs a
    /// walk up the tree and so is only computed when asked for.
    pub reads_within_call: bool,
}

/// Every fact's patterns for one language, compiled as one query.
pub struct CombinedQuery {
    pub query: crate::pattern::PatternSet,
    pub match_capture: u16,
    /// For each pattern index, the (fact, variant) pairs it stands for.
    pub patterns: Vec<Vec<(usize, usize)>>,
    /// For each pattern index, whether one of its variants reads the `within_call`
    /// pseudo-capture (a walk up the tree, done only for those patterns).
    pub within_call: Vec<bool>,
    /// For each pattern index, its variants' literal scan, built once the pattern has matched
    /// often enough to repay building it.
    pub dispatch: Vec<dispatch::Lazy>,
}

impl CombinedQuery {
    /// The literal scan of a pattern's variants; None while it is not worth building, when
    /// every variant is asked.
    pub fn dispatch(&self, pattern: usize, facts: &[Fact]) -> Option<&dispatch::Dispatch> {
        self.dispatch[pattern].get(|| {
            dispatch::Dispatch::new(
                self.patterns[pattern]
                    .iter()
                    .map(|&(fi, vi)| &facts[fi].variants[vi]),
            )
        })
    }
}

pub struct Check {
    pub spec: CheckSpec,
    pub full_id: String,
    /// Where the check was loaded from (for test fixtures relative to it).
    pub origin: String,
    /// Loaded from the embedded rules (its test fixtures live in the source checkout).
    pub builtin: bool,
}

impl Check {
    pub fn short_id(&self) -> &str {
        &self.spec.id.value
    }
    pub fn category(&self) -> &str {
        &self.spec.category.value
    }
}

pub struct RuleSet {
    pub facts: Vec<Fact>,
    pub queries: queries::Queries,
    pub fact_index: BTreeMap<String, usize>,
    pub model: ModelSpec,
    pub checks: Vec<Check>,
    /// Where requests, messages, events and jobs enter the server (`frameworks/*.yaml`).
    pub entries: entries::Entries,
}

impl RuleSet {
    pub fn check(&self, id: &str) -> Option<&Check> {
        self.checks
            .iter()
            .find(|c| c.short_id() == id || c.full_id == id)
    }
}

/// Loads the built-in rules, then the files under `extra` (which add or override by id).
pub fn load(extra: Option<&Path>) -> miette::Result<RuleSet> {
    let mut sources: Vec<RuleSource> = EMBEDDED_RULES
        .iter()
        .map(|(p, t, j)| RuleSource {
            path: (*p).to_string(),
            text: (*t).to_string(),
            builtin: true,
            json: Some(j),
        })
        .collect();
    if let Some(dir) = extra {
        sources.extend(read_dir_sources(dir)?);
    }
    load_sources(&sources)
}

pub(crate) fn read_dir_sources(dir: &Path) -> miette::Result<Vec<RuleSource>> {
    if !dir.is_dir() {
        miette::bail!("--rules {}: not a directory", dir.display());
    }
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .follow_links(false)
        .build()
    {
        let entry = entry.map_err(|e| miette::miette!("--rules {}: {e}", dir.display()))?;
        let p = entry.path();
        if p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml") {
            files.push(p.to_path_buf());
        }
    }
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let meta = std::fs::metadata(&f).map_err(|e| miette::miette!("{}: {e}", f.display()))?;
        if meta.len() > 1024 * 1024 {
            miette::bail!("{}: rule file over 1 MiB", f.display());
        }
        let text =
            std::fs::read_to_string(&f).map_err(|e| miette::miette!("{}: {e}", f.display()))?;
        let rel = f
            .strip_prefix(dir)
            .unwrap_or(&f)
            .to_string_lossy()
            .replace('\\', "/");
        out.push(RuleSource {
            path: format!("{}/{}", dir.display(), rel),
            text,
            builtin: false,
            json: None,
        });
    }
    Ok(out)
}

enum Kind {
    Facts,
    Framework,
    Model,
    Check,
}

fn kind_of(path: &str) -> Kind {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == "model.yaml" || name == "model.yml" {
        Kind::Model
    } else if path.contains("facts/") || name.starts_with("facts") {
        Kind::Facts
    } else if path.contains("frameworks/") {
        Kind::Framework
    } else {
        Kind::Check
    }
}

fn parse<T: serde::de::DeserializeOwned>(src: &RuleSource) -> miette::Result<T> {
    if let Some(json) = src.json {
        return serde_json::from_str::<T>(json)
            .map_err(|e| miette::miette!("{}: built-in rule file: {e}", src.path));
    }
    serde_saphyr::from_str_with_options::<T>(&src.text, yaml_options())
        .map_err(|e| src.yaml_error(&e))
}

include!("yaml_options.rs");

/// One rule file, deserialised.
enum ParsedFile {
    Facts(FactFile),
    Framework(entries::FrameworkFile),
    Model(Box<ModelSpec<Parsed>>),
    Check(Box<CheckSpec<Parsed>>),
}

pub fn load_sources(sources: &[RuleSource]) -> miette::Result<RuleSet> {
    use rayon::prelude::*;
    // Files are deserialised in parallel (most of loading the rules), then merged in order, so
    // the first error reported is the first file's.
    let parsed: Vec<miette::Result<ParsedFile>> = sources
        .par_iter()
        .map(|src| {
            Ok(match kind_of(&src.path) {
                Kind::Facts => ParsedFile::Facts(parse(src)?),
                Kind::Framework => ParsedFile::Framework(parse(src)?),
                Kind::Model => ParsedFile::Model(Box::new(parse(src)?)),
                Kind::Check => ParsedFile::Check(Box::new(parse(src)?)),
            })
        })
        .collect();
    // Definitions sharing an id are variants of one fact, across the built-in files too (each
    // ORM or payment provider adds its own variants); a `--rules` file that redefines a
    // built-in id replaces the built-in variants.
    let mut facts: Vec<(FactSpec<Parsed>, usize)> = Vec::new();
    // Named prop sets; a later file's set of the same name replaces an earlier one.
    let mut prop_sets: BTreeMap<String, (BTreeMap<String, PropSpec<Parsed>>, usize)> =
        BTreeMap::new();
    let mut fact_tests: Vec<(TestCase, usize)> = Vec::new();
    let mut model: Option<(ModelSpec<Parsed>, usize)> = None;
    let mut checks: Vec<(CheckSpec<Parsed>, usize)> = Vec::new();
    // A `--rules` framework file of the same name replaces the built-in one.
    let mut frameworks: Vec<(String, entries::FrameworkFile)> = Vec::new();
    for (i, parsed) in parsed.into_iter().enumerate() {
        match parsed? {
            ParsedFile::Facts(file) => {
                // A `--rules` file may replace a built-in set; two files of one kind may not
                // both define it (one would silently lose).
                for (name, set) in file.prop_sets {
                    if let Some((_, earlier)) = prop_sets.get(&name)
                        && sources[*earlier].builtin == sources[i].builtin
                    {
                        miette::bail!(
                            "{}: prop set `{name}` is already defined in {}",
                            sources[i].path,
                            sources[*earlier].path
                        );
                    }
                    prop_sets.insert(name, (set, i));
                }
                fact_tests.extend(file.tests.into_iter().map(|t| (t, i)));
                for f in file.facts {
                    let earlier_file = !sources[i].builtin
                        && facts.iter().any(|(g, si)| {
                            g.id.value == f.id.value && *si != i && sources[*si].builtin
                        });
                    if earlier_file
                        && !facts
                            .iter()
                            .any(|(g, si)| g.id.value == f.id.value && *si == i)
                    {
                        facts.retain(|(g, _)| g.id.value != f.id.value);
                    }
                    facts.push((f, i));
                }
            }
            ParsedFile::Framework(f) => {
                let name = sources[i]
                    .path
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                frameworks.retain(|(p, _)| p.rsplit('/').next() != Some(name.as_str()));
                frameworks.push((sources[i].path.clone(), f));
            }
            ParsedFile::Model(m) => model = Some((*m, i)),
            ParsedFile::Check(c) => {
                if let Some(pos) = checks.iter().position(|(d, _)| d.id.value == c.id.value) {
                    checks[pos] = (*c, i);
                } else {
                    checks.push((*c, i));
                }
            }
        }
    }
    let Some((model, model_src)) = model else {
        miette::bail!("no model.yaml among the rules");
    };
    for (f, si) in &mut facts {
        let Some(name) = &f.props_from else { continue };
        let Some((set, _)) = prop_sets.get(&name.value) else {
            return Err(sources[*si].error_at(
                name,
                format!("no fact file has a prop set `{}`", name.value),
            ));
        };
        for (k, v) in set {
            f.props.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let mut set = compile::compile(sources, facts, (model, model_src), checks, fact_tests)?;
    set.entries = entries::Entries::compile(frameworks).map_err(|e| miette::miette!("{e}"))?;
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built-in rules skip the regex and query checks at run time (they cost more than a
    /// small audit): here they pass every check a `--rules` file gets.
    #[test]
    fn builtin_rules_pass_every_load_check() {
        let sources: Vec<RuleSource> = EMBEDDED_RULES
            .iter()
            .map(|(p, t, _)| RuleSource {
                path: (*p).to_string(),
                text: (*t).to_string(),
                builtin: false,
                json: None,
            })
            .collect();
        if let Err(e) = load_sources(&sources) {
            panic!("built-in rules fail a load check: {e:?}");
        }
    }
}
