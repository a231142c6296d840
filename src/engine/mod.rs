//! Evaluates the checks' conditions against the repository model. Generic operators only:
//! every check's logic is in its YAML.

pub mod combinator;
mod findings;
mod flow;
mod repo;
pub mod template;

use crate::finding::{Evidence, Finding};
use crate::model::RepoModel;
use crate::rules::RuleSet;
use crate::rules::spec::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use template::{Binding, Item};

/// What a condition found: whether it holds, the locations that show why, and bindings.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub ok: bool,
    pub evidence: Vec<Item>,
    pub binds: BTreeMap<String, Binding>,
}

impl Found {
    fn merge_binds(&mut self, other: &Found) {
        for (k, v) in &other.binds {
            let replace = match self.binds.get(k) {
                None => true,
                Some(old) => {
                    old.items.is_empty()
                        && old.failing.is_empty()
                        && (!v.items.is_empty() || !v.failing.is_empty())
                }
            };
            if replace {
                self.binds.insert(k.clone(), v.clone());
            }
        }
    }
}

pub struct CheckResult {
    pub verdict: Verdict,
    pub detail: String,
    pub evidence: Vec<Evidence>,
    /// A failure's findings, fingerprints not yet assigned.
    pub findings: Vec<Finding>,
}

pub struct Engine<'a> {
    pub model: &'a RepoModel,
    pub rules: &'a RuleSet,
}

/// Evidence items shown per verdict.
const MAX_EVIDENCE: usize = 5;

/// Decides every check. Checks only read the model, so they run in parallel; results keep
/// the rules' order.
pub fn evaluate(model: &RepoModel, rules: &RuleSet) -> Vec<CheckResult> {
    let eng = Engine { model, rules };
    let domain = eng.cond(&rules.model.booking_domain);
    let timed: Vec<(CheckResult, std::time::Duration)> = rules
        .checks
        .par_iter()
        .map(|c| {
            if !domain.ok {
                let skip = CheckResult {
                    verdict: Verdict::Skip,
                    detail: "no booking domain found (no booking entity and no booking write)"
                        .into(),
                    evidence: vec![],
                    findings: vec![],
                };
                return (skip, std::time::Duration::ZERO);
            }
            let start = std::time::Instant::now();
            let r = eng.decide(&c.spec);
            (r, start.elapsed())
        })
        .collect();
    for (c, (_, t)) in rules.checks.iter().zip(&timed) {
        crate::timing::note("check", || {
            format!("{:>9.3} ms  {}", t.as_secs_f64() * 1e3, c.spec.id.value)
        });
    }
    timed.into_iter().map(|(r, _)| r).collect()
}

/// Gives each flow its kinds (create, confirm, cancel...): the `flow_kinds` of model.yaml are
/// flow conditions, so the engine decides them, once the model is built and before any check.
pub fn classify(model: &mut RepoModel, rules: &RuleSet) {
    let kinds: Vec<BTreeSet<String>> = (0..model.flows.len())
        .map(|fi| {
            let eng = Engine {
                model: &*model,
                rules,
            };
            rules
                .model
                .flow_kinds
                .iter()
                .filter(|(_, cond)| eng.flow(fi, cond, 0).ok)
                .map(|(k, _)| k.clone())
                .collect()
        })
        .collect();
    for (f, k) in model.flows.iter_mut().zip(kinds) {
        f.kinds = k;
    }
}

impl<'a> Engine<'a> {
    pub fn decide(&self, spec: &CheckSpec) -> CheckResult {
        // Bindings accumulate over the outcomes tried, so a default outcome can name what
        // earlier conditions found.
        let mut seen = Found::default();
        for o in &spec.decide {
            let found = match &o.when {
                Some(w) => self.cond(w),
                None => Found {
                    ok: true,
                    ..Default::default()
                },
            };
            let mut binds = found.binds.clone();
            for (k, v) in &seen.binds {
                let replace = binds
                    .get(k)
                    .is_none_or(|b| b.items.is_empty() && b.failing.is_empty() && b.m.is_none());
                if replace {
                    binds.insert(k.clone(), v.clone());
                }
            }
            seen.merge_binds(&found);
            if found.ok {
                let found = Found { binds, ..found };
                let detail = template::render(&o.detail.value, &found.binds);
                // Evidence: what the deciding condition found; for a default outcome, what the
                // bindings its detail names hold, in the order the detail names them.
                let mut items: Vec<&Item> = found.evidence.iter().collect();
                if items.is_empty() {
                    for p in crate::rules::compile::placeholders(&o.detail.value) {
                        if let Some(b) = found.binds.get(p.name) {
                            let from = if b.failing.is_empty() {
                                &b.items
                            } else {
                                &b.failing
                            };
                            items.extend(from.iter().take(2));
                        }
                    }
                }
                let findings = if o.verdict == Verdict::Fail {
                    self.findings(&found, &o.detail.value)
                } else {
                    vec![]
                };
                let mut evidence: Vec<Evidence> = Vec::new();
                for (l, role) in items.iter().filter_map(|i| Some((i.loc.as_ref()?, i.role))) {
                    if !evidence
                        .iter()
                        .any(|e| e.loc.path == l.path && e.loc.line == l.line)
                    {
                        evidence.push(Evidence {
                            loc: l.clone(),
                            role: findings::role_in(&findings, l, role),
                        });
                    }
                }
                evidence.truncate(MAX_EVIDENCE);
                return CheckResult {
                    verdict: o.verdict,
                    detail,
                    evidence,
                    findings,
                };
            }
        }
        unreachable!("validation guarantees a default outcome")
    }
}

pub(super) type Side_ = crate::rules::spec::Side;

pub(super) fn fill_values<'a>(t: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
    crate::rules::compile::fill_placeholders(t, |p| {
        value(p.name)
            .map(|v| {
                crate::source::shorten(
                    v.split_whitespace().collect::<Vec<_>>().join(" ").as_str(),
                    60,
                )
            })
            .unwrap_or_default()
    })
}
