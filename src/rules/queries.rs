//! Each language's fact patterns combined into one pattern set (`crate::pattern`), compiled
//! on first use, so that each file is matched once.

use super::error::RuleSource;
use super::{CombinedQuery, Fact};
use crate::lang::Lang;
use crate::pattern::{PatternError, PatternSet};
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::OnceLock;

/// The distinct pattern texts of one language, each with the (fact, variant) pairs it stands
/// for, and their concatenation.
struct Plan {
    lang: Lang,
    chunks: Vec<(String, Vec<(usize, usize)>)>,
    /// Per chunk: whether one of its variants reads the `within_call` pseudo-capture.
    within_call: Vec<bool>,
    combined: String,
    ranges: Vec<Range<usize>>,
    compiled: OnceLock<Result<CombinedQuery, PatternError>>,
}

/// One combined query per language (identical patterns once).
pub struct Queries {
    plans: BTreeMap<Lang, Plan>,
}

impl Queries {
    pub fn plan(facts: &[Fact]) -> Queries {
        let mut plans = BTreeMap::new();
        for lang in Lang::PARSED {
            let mut chunks: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
            for (fi, fact) in facts.iter().enumerate() {
                for (vi, v) in fact.variants.iter().enumerate() {
                    let Some(text) = v.queries.get(&lang) else {
                        continue;
                    };
                    match chunks.iter_mut().find(|(t, _)| t == text) {
                        Some((_, users)) => users.push((fi, vi)),
                        None => chunks.push((text.clone(), vec![(fi, vi)])),
                    }
                }
            }
            if chunks.is_empty() {
                continue;
            }
            let within_call = chunks
                .iter()
                .map(|(_, users)| {
                    users
                        .iter()
                        .any(|&(fi, vi)| facts[fi].variants[vi].reads_within_call)
                })
                .collect();
            let mut combined = String::new();
            let mut ranges = Vec::new();
            for (text, _) in &chunks {
                let start = combined.len();
                combined.push_str(text);
                combined.push('\n');
                ranges.push(start..combined.len());
            }
            plans.insert(
                lang,
                Plan {
                    lang,
                    chunks,
                    within_call,
                    combined,
                    ranges,
                    compiled: OnceLock::new(),
                },
            );
        }
        Queries { plans }
    }

    /// The languages some fact has a query for.
    pub fn languages(&self) -> impl Iterator<Item = Lang> + '_ {
        self.plans.keys().copied()
    }

    /// The language's combined query, compiled on first use. None when no fact applies to the
    /// language, or when it does not compile, which `check` (for `--rules`) and a test (for
    /// the built-in rules) rule out before any file is matched.
    pub fn get(&self, lang: Lang) -> Option<&CombinedQuery> {
        self.plans.get(&lang)?.compiled().as_ref().ok()
    }

    /// Compiles every language and reports the first failure at the rule it came from.
    pub fn check(
        &self,
        sources: &[RuleSource],
        facts: &[Fact],
        variant_sources: &[Vec<usize>],
    ) -> miette::Result<()> {
        for p in self.plans.values() {
            if let Err(e) = p.compiled() {
                return Err(p.error(e, sources, facts, variant_sources));
            }
            p.check_structure(sources, facts, variant_sources)?;
        }
        Ok(())
    }
}

impl Plan {
    fn compiled(&self) -> &Result<CombinedQuery, PatternError> {
        self.compiled.get_or_init(|| {
            let grammar = self.lang.grammar().expect("parsed language");
            let query = PatternSet::compile(&grammar, &self.combined)?;
            let chunk_of: Vec<usize> = (0..query.pattern_count())
                .map(|pi| {
                    let at = query.start_byte_for_pattern(pi);
                    self.ranges
                        .iter()
                        .position(|r| r.contains(&at))
                        .expect("pattern in a chunk")
                })
                .collect();
            let patterns = chunk_of
                .iter()
                .map(|&ci| self.chunks[ci].1.clone())
                .collect();
            let within_call = chunk_of.iter().map(|&ci| self.within_call[ci]).collect();
            let match_capture = query
                .capture_index_for_name("match")
                .expect("every pattern has @match");
            let dispatch = (0..query.pattern_count())
                .map(|_| Default::default())
                .collect();
            Ok(CombinedQuery {
                query,
                match_capture,
                patterns,
                within_call,
                dispatch,
            })
        })
    }

    /// tree-sitter's own compiler also refuses patterns the grammar cannot produce (a child
    /// kind that never occurs under its parent). It is slow, so only the patterns of
    /// `--rules` files are put through it.
    fn check_structure(
        &self,
        sources: &[RuleSource],
        facts: &[Fact],
        variant_sources: &[Vec<usize>],
    ) -> miette::Result<()> {
        let grammar = self.lang.grammar().expect("parsed language");
        for (ci, (text, users)) in self.chunks.iter().enumerate() {
            let user = users
                .iter()
                .any(|&(fi, vi)| !sources[variant_sources[fi][vi]].builtin);
            if !user {
                continue;
            }
            if let Err(e) = tree_sitter::Query::new(&grammar, text) {
                let e = PatternError {
                    offset: self.ranges[ci].start + e.offset,
                    message: e.message,
                };
                return Err(self.error(&e, sources, facts, variant_sources));
            }
        }
        Ok(())
    }

    fn error(
        &self,
        e: &PatternError,
        sources: &[RuleSource],
        facts: &[Fact],
        variant_sources: &[Vec<usize>],
    ) -> miette::Report {
        let ci = self
            .ranges
            .iter()
            .position(|r| r.contains(&e.offset))
            .unwrap_or(0);
        let (fi, vi) = self.chunks[ci].1[0];
        let v = &facts[fi].variants[vi];
        let src = &sources[variant_sources[fi][vi]];
        let row = self.combined[self.ranges[ci].start..e.offset.min(self.combined.len())]
            .matches('\n')
            .count();
        src.error_with_help(
            v.spec.query.as_ref().unwrap_or(&v.spec.id),
            format!(
                "fact `{}`: query does not compile for {}: {} (query line {})",
                v.spec.id.value,
                self.lang.name(),
                e.message.trim(),
                row + 1
            ),
            "list in `langs` only the grammars whose node kinds the query uses",
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;
    use std::collections::BTreeSet;
    use tree_sitter::StreamingIterator;

    /// Built-in queries are compiled lazily, with no `check`: this is where they are checked,
    /// by the matcher and by tree-sitter's own compiler (which also refuses patterns the
    /// grammar cannot produce).
    #[test]
    fn builtin_queries_compile_for_every_language() {
        let rules = crate::rules::load(None).expect("built-in rules load");
        let langs: Vec<_> = rules.queries.languages().collect();
        assert!(langs.contains(&Lang::Ts));
        for lang in langs {
            assert!(
                rules.queries.get(lang).is_some(),
                "{} queries compile",
                lang.name()
            );
            let plan = &rules.queries.plans[&lang];
            let grammar = lang.grammar().expect("parsed language");
            if let Err(e) = tree_sitter::Query::new(&grammar, &plan.combined) {
                panic!("{}: tree-sitter refuses a query: {e}", lang.name());
            }
        }
    }

    type Found = Vec<(usize, Vec<(String, usize, usize)>)>;

    /// The matcher finds what tree-sitter's query cursor finds for every built-in pattern on
    /// every fixture file, and matches of one node come in the same order (the first one a
    /// fact gets at a node is the one kept). Across nodes the order may differ: tree-sitter
    /// defers a match while a longer alternative of it is in progress.
    /// `MATCH_CORPUS=DIR` compares on another directory's files instead.
    #[test]
    fn matches_agree_with_tree_sitter_on_every_fixture() {
        let rules = crate::rules::load(None).expect("built-in rules load");
        let root = std::env::var_os("MATCH_CORPUS").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"),
            std::path::PathBuf::from,
        );
        let opts = crate::walk::WalkOptions {
            include: &[],
            exclude: &[],
            config_files: None,
        };
        let (files, _) = crate::walk::walk(&root, &opts);
        let mut compared = 0;
        let mut parser = tree_sitter::Parser::new();
        let mut ts_queries = std::collections::BTreeMap::new();
        for e in &files {
            let Some(ours) = rules.queries.get(e.lang) else {
                continue;
            };
            let plan = &rules.queries.plans[&e.lang];
            let grammar = e.lang.grammar().expect("parsed language");
            let theirs = ts_queries.entry(e.lang).or_insert_with(|| {
                tree_sitter::Query::new(&grammar, &plan.combined).expect("compiles")
            });
            let text = std::fs::read_to_string(&e.abs).expect("fixture reads");
            parser.set_language(&grammar).expect("grammar loads");
            let tree = parser.parse(&text, None).expect("parses");
            let names = theirs.capture_names();
            let mut expected: Found = Vec::new();
            let mut cursor = tree_sitter::QueryCursor::new();
            let mut it = cursor.matches(theirs, tree.root_node(), text.as_bytes());
            while let Some(m) = it.next() {
                let caps = m
                    .captures()
                    .iter()
                    .map(|c| {
                        let name = names[c.index as usize].to_string();
                        (name, c.node.start_byte(), c.node.end_byte())
                    })
                    .collect();
                expected.push((m.pattern_index, caps));
            }
            let (matches, stopped) = ours.query.matches(tree.root_node(), u64::MAX);
            assert_eq!(stopped, None);
            let got: Found = matches
                .iter()
                .map(|m| {
                    let caps = m
                        .captures
                        .iter()
                        .map(|(i, n)| {
                            (
                                ours.query.capture_names()[usize::from(*i)].clone(),
                                n.start_byte(),
                                n.end_byte(),
                            )
                        })
                        .collect();
                    (m.pattern, caps)
                })
                .collect();
            let (got, expected) = (first_of_each(got), first_of_each(expected));
            if got != expected {
                let at = got
                    .iter()
                    .zip(&expected)
                    .take_while(|(a, b)| a == b)
                    .count();
                panic!(
                    "{}: match {at} differs\n ours: {:?}\ntheirs: {:?}",
                    e.rel,
                    &got[at..got.len().min(at + 4)],
                    &expected[at..expected.len().min(at + 4)]
                );
            }
            compared += 1;
        }
        assert!(compared > 10, "{compared} files compared");
    }

    /// Each distinct match once (tree-sitter may repeat one), ordered by the node captured
    /// as `@match`, and in the order found within one node.
    fn first_of_each(all: Found) -> Found {
        let mut seen = BTreeSet::new();
        let mut out: Found = all.into_iter().filter(|m| seen.insert(m.clone())).collect();
        let node = |m: &(usize, Vec<(String, usize, usize)>)| {
            m.1.iter().find(|c| c.0 == "match").map(|c| (c.1, c.2))
        };
        out.sort_by_key(|m| node(m));
        out
    }
}
