//! Each language's fact patterns combined into one tree-sitter query, compiled on first use.
//! tree-sitter analyses the grammar for every query it compiles, and that analysis dominates
//! start-up (hundreds of milliseconds for TypeScript): a language no scanned file is written
//! in never pays it.

use super::error::RuleSource;
use super::{CombinedQuery, Fact};
use crate::lang::Lang;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::sync::OnceLock;

/// The distinct pattern texts of one language, each with the (fact, variant) pairs it stands
/// for, and their concatenation.
struct Plan {
    lang: Lang,
    chunks: Vec<(String, Vec<(usize, usize)>)>,
    combined: String,
    ranges: Vec<Range<usize>>,
    compiled: OnceLock<Result<CombinedQuery, tree_sitter::QueryError>>,
}

/// One combined query per language (identical patterns once): the analysis is paid once per
/// language, and each file is matched once.
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

    /// Compiles these languages' queries now, in parallel, so that no worker matching files
    /// waits on another's compilation.
    pub fn prepare(&self, langs: &BTreeSet<Lang>) {
        let plans: Vec<&Plan> = langs.iter().filter_map(|l| self.plans.get(l)).collect();
        match plans.as_slice() {
            [] => {}
            [one] => {
                one.compiled();
            }
            many => std::thread::scope(|s| {
                for p in many {
                    s.spawn(move || p.compiled());
                }
            }),
        }
    }

    /// Compiles every language and reports the first failure at the rule it came from.
    pub fn check(
        &self,
        sources: &[RuleSource],
        facts: &[Fact],
        variant_sources: &[Vec<usize>],
    ) -> miette::Result<()> {
        self.prepare(&self.languages().collect());
        for p in self.plans.values() {
            if let Err(e) = p.compiled() {
                return Err(p.error(e, sources, facts, variant_sources));
            }
        }
        Ok(())
    }
}

impl Plan {
    fn compiled(&self) -> &Result<CombinedQuery, tree_sitter::QueryError> {
        self.compiled.get_or_init(|| {
            let grammar = self.lang.grammar().expect("parsed language");
            let query = tree_sitter::Query::new(&grammar, &self.combined)?;
            let patterns = (0..query.pattern_count())
                .map(|pi| {
                    let at = query.start_byte_for_pattern(pi);
                    let ci = self
                        .ranges
                        .iter()
                        .position(|r| r.contains(&at))
                        .expect("pattern in a chunk");
                    self.chunks[ci].1.clone()
                })
                .collect();
            let match_capture = query
                .capture_index_for_name("match")
                .expect("every pattern has @match");
            Ok(CombinedQuery {
                query,
                match_capture,
                patterns,
            })
        })
    }

    fn error(
        &self,
        e: &tree_sitter::QueryError,
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
    /// Built-in queries are compiled lazily, with no `check`: this is where they are checked.
    #[test]
    fn builtin_queries_compile_for_every_language() {
        let rules = crate::rules::load(None).expect("built-in rules load");
        let langs: Vec<_> = rules.queries.languages().collect();
        assert!(langs.contains(&crate::lang::Lang::Ts));
        for lang in langs {
            assert!(
                rules.queries.get(lang).is_some(),
                "{} queries compile",
                lang.name()
            );
        }
    }
}
