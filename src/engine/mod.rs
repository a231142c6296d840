//! Evaluates the checks' conditions against the repository model. Generic operators only:
//! every check's logic is in its YAML.

pub mod combinator;
mod findings;
pub mod template;

use crate::finding::{Evidence, Finding, Role};
use crate::model::values::Values;
use crate::model::{FactRec, RepoModel, Side};
use crate::rules::RuleSet;
use crate::rules::spec::*;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
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

    fn fact_matches(&self, sel: &Selector, f: &FactRec) -> bool {
        if !sel.fact.items().iter().any(|r| r.index() == f.fact) {
            return false;
        }
        self.fact_passes_filters(sel, f)
    }

    fn fact_passes_filters(&self, sel: &Selector, f: &FactRec) -> bool {
        let side = self.model.side_of_fact(f);
        match sel.side {
            Side_::Server if side != Side::Server => return false,
            Side_::Client if side != Side::Client => return false,
            _ => {}
        }
        for (k, re) in &sel.where_ {
            match f.value(k) {
                Some(v) if re.is_match(v) => {}
                _ => return false,
            }
        }
        for (k, re) in &sel.unless {
            if f.value(k).is_some_and(|v| re.is_match(v)) {
                return false;
            }
        }
        if let Some(kinds) = &sel.entity {
            let Some(k) = self.model.entity_kind_of(f) else {
                return false;
            };
            if !kinds.items().iter().any(|t| t.value == k) {
                return false;
            }
        }
        if let Some(re) = &sel.fn_params
            && !self
                .model
                .units
                .get(f.unit)
                .is_some_and(|u| re.is_match(&u.params.join(", ")))
        {
            return false;
        }
        if let Some(re) = &sel.entity_lacks_field
            && self
                .model
                .entity_of(f)
                .is_some_and(|e| e.fields.iter().any(|fd| re.is_match(&fd.name)))
        {
            return false;
        }
        true
    }

    pub fn fact_item(&self, f: &FactRec) -> Item {
        let label = self
            .rules
            .facts
            .get(f.fact)
            .and_then(|d| {
                d.variants
                    .get(f.variant)
                    .and_then(|v| v.spec.label.as_ref())
                    .or(d.label.as_ref())
            })
            .map(|t| fill_values(&t.value, |k| f.values.get(k)))
            .unwrap_or_else(|| {
                crate::source::shorten(f.loc.snippet.lines().next().unwrap_or(""), 80)
            });
        Item {
            label,
            loc: Some(f.loc.clone()),
            values: f.values.clone(),
            ..Default::default()
        }
    }

    fn matching_facts(&self, sel: &Selector) -> Vec<usize> {
        let mut out: Vec<usize> = sel
            .fact
            .items()
            .iter()
            .flat_map(|r| self.model.facts_of(r.index()).iter().copied())
            .filter(|&i| self.fact_passes_filters(sel, &self.model.facts[i]))
            .collect();
        out.sort_by(|a, b| self.model.facts[*a].loc.cmp(&self.model.facts[*b].loc));
        out.dedup();
        out
    }

    fn bind(&self, found: &mut Found, name: &Option<Text>, binding: Binding) {
        if let Some(n) = name {
            found.binds.insert(n.value.clone(), binding);
        }
    }

    /// Decides a repository condition (`combinator::eval` decides all/any/not).
    pub fn cond(&self, c: &Cond) -> Found {
        combinator::eval(c, &|c| self.cond_leaf(c))
    }

    fn cond_leaf(&self, c: &Cond) -> Found {
        match c {
            Cond::All(_) | Cond::Any(_) | Cond::Not(_) => self.cond(c),
            Cond::Always(b) => Found {
                ok: *b,
                ..Default::default()
            },
            Cond::Exists(sel) => {
                let hits = self.matching_facts(sel);
                let items: Vec<Item> = hits
                    .iter()
                    .map(|&i| self.fact_item(&self.model.facts[i]))
                    .collect();
                let mut out = Found {
                    ok: !items.is_empty(),
                    evidence: items.iter().take(MAX_EVIDENCE).cloned().collect(),
                    ..Default::default()
                };
                self.bind(
                    &mut out,
                    &sel.bind,
                    Binding {
                        items,
                        ..Default::default()
                    },
                );
                out
            }
            Cond::Entity(ec) => self.entity(ec),
            Cond::Ref(name) => self.cond(&self.rules.model.conditions[&name.value]),
            Cond::EveryFact(e) => {
                let hits = self.matching_facts(&e.of);
                let mut good = Vec::new();
                let mut bad = Vec::new();
                for &i in &hits {
                    let f = &self.model.facts[i];
                    let ok = e
                        .has
                        .iter()
                        .all(|(k, re)| f.value(k).is_some_and(|v| re.is_match(v)));
                    if ok {
                        good.push(self.fact_item(f))
                    } else {
                        bad.push(self.fact_item(f))
                    }
                }
                let mut out = Found {
                    ok: bad.is_empty(),
                    ..Default::default()
                };
                out.evidence = if out.ok {
                    good.iter().take(MAX_EVIDENCE).cloned().collect()
                } else {
                    bad.iter().take(MAX_EVIDENCE).cloned().collect()
                };
                let binding = Binding {
                    n: Some(good.len()),
                    m: Some(hits.len()),
                    items: good,
                    failing: bad,
                };
                self.bind(&mut out, &e.bind, binding);
                out
            }
            Cond::EveryFlow(q) => self.quant(q, true),
            Cond::SomeFlow(q) => self.quant(q, false),
        }
    }

    fn entity(&self, ec: &EntityCond) -> Found {
        let kinds: Vec<&str> = ec.kind.items().iter().map(|t| t.value.as_str()).collect();
        let written: Option<BTreeSet<String>> = ec.written_by.as_ref().map(|sel| {
            self.matching_facts(sel)
                .iter()
                .filter_map(|&i| self.model.facts[i].value("entity"))
                .map(crate::model::entities::key)
                .collect()
        });
        let mut items = Vec::new();
        for e in &self.model.entities {
            if !e.kind.as_deref().is_some_and(|k| kinds.contains(&k)) {
                continue;
            }
            if let Some(w) = &written
                && !w.contains(&e.key)
            {
                continue;
            }
            if ec.declared && e.loc.is_none() {
                continue;
            }
            if let Some(re) = &ec.lacks_field
                && e.fields.iter().any(|f| re.is_match(&f.name))
            {
                continue;
            }
            if ec.field.is_some() || ec.default.is_some() || ec.type_.is_some() {
                for f in &e.fields {
                    let ok = ec.field.as_ref().is_none_or(|re| re.is_match(&f.name))
                        && ec.type_.as_ref().is_none_or(|re| re.is_match(&f.ty))
                        && ec
                            .default
                            .as_ref()
                            .is_none_or(|re| f.default.as_deref().is_some_and(|d| re.is_match(d)));
                    if ok {
                        let mut values = Values::new();
                        values.insert("entity", e.name.as_str());
                        values.insert("field", f.name.as_str());
                        values.insert("type", f.ty.as_str());
                        values.insert("default", f.default.as_deref().unwrap_or("none"));
                        items.push(Item {
                            label: format!("{}.{}", e.name, f.name),
                            loc: Some(f.loc.clone()),
                            values: Arc::new(values),
                            role: Role::Entity,
                            flow: None,
                        });
                    }
                }
            } else if let Some(re) = &ec.constraint {
                for c in &e.constraints {
                    if c.columns.iter().any(|col| re.is_match(col)) {
                        let mut values = Values::new();
                        values.insert("entity", e.name.as_str());
                        values.insert("columns", c.columns.join(", "));
                        items.push(Item {
                            label: crate::source::shorten(c.text.lines().next().unwrap_or(""), 80),
                            loc: Some(c.loc.clone()),
                            values: Arc::new(values),
                            role: Role::Entity,
                            flow: None,
                        });
                    }
                }
            } else {
                let loc = e.loc.clone().or_else(|| {
                    self.model
                        .facts
                        .iter()
                        .find(|f| {
                            f.value("entity")
                                .is_some_and(|n| crate::model::entities::key(n) == e.key)
                        })
                        .map(|f| f.loc.clone())
                });
                let mut values = Values::new();
                values.insert("entity", e.name.as_str());
                items.push(Item {
                    label: e.name.clone(),
                    loc,
                    values: Arc::new(values),
                    role: Role::Entity,
                    flow: None,
                });
            }
        }
        items.sort_by(|a, b| a.loc.cmp(&b.loc));
        let mut out = Found {
            ok: !items.is_empty(),
            evidence: items.iter().take(MAX_EVIDENCE).cloned().collect(),
            ..Default::default()
        };
        self.bind(
            &mut out,
            &ec.bind,
            Binding {
                items,
                ..Default::default()
            },
        );
        out
    }

    fn flow_label(&self, fi: usize) -> Item {
        let flow = &self.model.flows[fi];
        let u = &self.model.units[flow.root];
        let mut label = u.label();
        // Route-file handlers are named by their route (`POST app/api/bookings/[id]/cancel`).
        if let Some(path) = self.route_path(flow.root)
            && u.route.is_none()
        {
            let dir = path
                .rsplit_once('/')
                .map(|(d, f)| {
                    if f.starts_with("route.") || f.starts_with("index.") {
                        d
                    } else {
                        path.as_str()
                    }
                })
                .unwrap_or(&path);
            label = format!("{label} {dir}");
        }
        let mut values = Values::new();
        values.insert("name", label.as_str());
        Item {
            label,
            loc: Some(u.loc.clone()),
            values: Arc::new(values),
            role: Role::FlowRoot,
            flow: Some(fi),
        }
    }

    fn quant(&self, q: &FlowQuant, every: bool) -> Found {
        let kinds: Vec<&str> = q.kind.items().iter().map(|t| t.value.as_str()).collect();
        let mut passing = Vec::new();
        let mut failing = Vec::new();
        let mut pass_ev = Vec::new();
        let mut fail_ev = Vec::new();
        let mut out = Found::default();
        for (fi, flow) in self.model.flows.iter().enumerate() {
            if !flow.kinds.iter().any(|k| kinds.contains(&k.as_str())) {
                continue;
            }
            let side_ok = match q.side {
                Side_::Server => flow.side == Side::Server,
                Side_::Client => flow.side == Side::Client,
                Side_::Any => true,
            };
            if !side_ok {
                continue;
            }
            if let Some(w) = &q.where_
                && !self.flow(fi, w, 0).ok
            {
                continue;
            }
            let mut f = self.flow(fi, &q.satisfies, 0);
            findings::tag_flow(&mut f, fi);
            out.merge_binds(&f);
            let label = self.flow_label(fi);
            // Only the first MAX_EVIDENCE * 2 items are shown: collecting every flow's made
            // this quadratic-looking in time and memory on large repositories.
            let room = |ev: &Vec<Item>| ev.len() < MAX_EVIDENCE * 2;
            if f.ok {
                if room(&pass_ev) {
                    pass_ev.extend(if f.evidence.is_empty() {
                        vec![label.clone()]
                    } else {
                        f.evidence
                    });
                }
                passing.push(label);
            } else {
                if room(&fail_ev) {
                    fail_ev.push(label.clone());
                    fail_ev.extend(f.evidence);
                }
                failing.push(label);
            }
        }
        let m = passing.len() + failing.len();
        let n = passing.len();
        out.ok = if every { failing.is_empty() } else { n > 0 };
        out.evidence = if !out.ok && (every || m > 0) {
            fail_ev
        } else {
            pass_ev
        };
        out.evidence.truncate(MAX_EVIDENCE * 2);
        let binding = Binding {
            items: passing,
            failing,
            n: Some(n),
            m: Some(m),
        };
        self.bind(&mut out, &q.bind, binding);
        out
    }

    fn events_matching<'b>(
        &'b self,
        fi: usize,
        sel: &'b Selector,
    ) -> impl Iterator<Item = (usize, &'b crate::model::flows::Event)> + 'b {
        self.model.flows[fi]
            .events
            .iter()
            .enumerate()
            .filter(move |(_, e)| {
                event_context_matches(sel, &e.ctx)
                    && self.fact_matches(sel, &self.model.facts[e.fact])
            })
    }

    fn pair_items(&self, a: usize, b: usize) -> Vec<Item> {
        vec![
            self.fact_item(&self.model.facts[a]),
            self.fact_item(&self.model.facts[b]),
        ]
    }

    /// Facts a `reach: imports` selector sees: module-level code of the flow's files, and
    /// the files they import (error filters, shared schemas). Another function of a flow's
    /// file (the cancel handler next to create) is not part of the flow.
    fn reach_facts(&self, fi: usize, sel: &Selector) -> Vec<usize> {
        let flow = &self.model.flows[fi];
        let mut imported: BTreeSet<usize> = BTreeSet::new();
        for &f in &flow.files {
            imported.extend(self.model.imported_files(f));
        }
        self.matching_facts(sel)
            .into_iter()
            .filter(|&i| {
                let f = &self.model.facts[i];
                if flow.files.contains(&f.file) {
                    self.model.units.get(f.unit).is_some_and(|u| u.is_module)
                } else {
                    imported.contains(&f.file)
                }
            })
            .collect()
    }

    /// Decides a flow condition on flow `fi` (`combinator::eval` decides all/any/not).
    pub fn flow(&self, fi: usize, c: &FlowCond, depth: usize) -> Found {
        combinator::eval(c, &|c| self.flow_leaf(fi, c, depth))
    }

    fn flow_leaf(&self, fi: usize, c: &FlowCond, depth: usize) -> Found {
        let flow = &self.model.flows[fi];
        match c {
            FlowCond::All(_) | FlowCond::Any(_) | FlowCond::Not(_) => self.flow(fi, c, depth),
            FlowCond::Has(sel) => {
                let hits: Vec<usize> = if sel.reach == Reach::Imports {
                    let mut v: Vec<usize> =
                        self.events_matching(fi, sel).map(|(_, e)| e.fact).collect();
                    v.extend(self.reach_facts(fi, sel));
                    v.sort();
                    v.dedup();
                    v
                } else {
                    let mut v: Vec<usize> =
                        self.events_matching(fi, sel).map(|(_, e)| e.fact).collect();
                    v.dedup();
                    v
                };
                // Items are costly (label, location, values): only a binding needs them all.
                let wanted = if sel.bind.is_some() { hits.len() } else { 3 };
                let items: Vec<Item> = hits
                    .iter()
                    .take(wanted)
                    .map(|&i| self.fact_item(&self.model.facts[i]))
                    .collect();
                let mut out = Found {
                    ok: !hits.is_empty(),
                    evidence: items.iter().take(3).cloned().collect(),
                    ..Default::default()
                };
                self.bind(
                    &mut out,
                    &sel.bind,
                    Binding {
                        items,
                        ..Default::default()
                    },
                );
                out
            }
            FlowCond::Before(p) | FlowCond::BeforeInTransaction(p) => {
                let same_tx = matches!(c, FlowCond::BeforeInTransaction(_));
                let firsts: Vec<(usize, &crate::model::flows::Event)> =
                    self.events_matching(fi, &p.first).collect();
                let thens: Vec<(usize, &crate::model::flows::Event)> =
                    self.events_matching(fi, &p.then).collect();
                let mut out = Found::default();
                'outer: for (j, t) in &thens {
                    for (i, f) in &firsts {
                        if i < j && (!same_tx || (f.tx.is_some() && f.tx == t.tx)) {
                            out.ok = true;
                            out.evidence = self.pair_items(f.fact, t.fact);
                            self.bind(
                                &mut out,
                                &p.first.bind,
                                Binding {
                                    items: vec![self.fact_item(&self.model.facts[f.fact])],
                                    ..Default::default()
                                },
                            );
                            self.bind(
                                &mut out,
                                &p.then.bind,
                                Binding {
                                    items: vec![self.fact_item(&self.model.facts[t.fact])],
                                    ..Default::default()
                                },
                            );
                            break 'outer;
                        }
                    }
                }
                if !out.ok {
                    let first_items: Vec<Item> = firsts
                        .iter()
                        .map(|(_, e)| self.fact_item(&self.model.facts[e.fact]))
                        .collect();
                    let then_items: Vec<Item> = thens
                        .iter()
                        .map(|(_, e)| self.fact_item(&self.model.facts[e.fact]))
                        .collect();
                    // The `first` side exists but does not come first: a guard, too late.
                    out.evidence = then_items
                        .iter()
                        .take(2)
                        .cloned()
                        .chain(first_items.iter().take(1).map(|i| Item {
                            role: Role::Guard,
                            ..i.clone()
                        }))
                        .collect();
                    self.bind(
                        &mut out,
                        &p.first.bind,
                        Binding {
                            items: first_items,
                            ..Default::default()
                        },
                    );
                    self.bind(
                        &mut out,
                        &p.then.bind,
                        Binding {
                            items: then_items,
                            ..Default::default()
                        },
                    );
                }
                out
            }
            FlowCond::EachPreceded(p) => {
                let firsts: Vec<usize> =
                    self.events_matching(fi, &p.first).map(|(i, _)| i).collect();
                let mut out = Found {
                    ok: true,
                    ..Default::default()
                };
                let mut thens = Vec::new();
                for (j, t) in self.events_matching(fi, &p.then) {
                    thens.push(self.fact_item(&self.model.facts[t.fact]));
                    if !firsts.iter().any(|&i| i < j) && out.ok {
                        out.ok = false;
                        out.evidence = vec![self.fact_item(&self.model.facts[t.fact])];
                    }
                }
                if out.ok {
                    out.evidence = thens.iter().take(2).cloned().collect();
                }
                self.bind(
                    &mut out,
                    &p.then.bind,
                    Binding {
                        items: thens,
                        ..Default::default()
                    },
                );
                out
            }
            FlowCond::Named(re) => {
                let u = &self.model.units[flow.root];
                let ok = re.is_match(&u.label())
                    || u.route.is_some_and(|r| re.is_match(r))
                    || self.route_path(flow.root).is_some_and(|p| re.is_match(&p));
                Found {
                    ok,
                    evidence: vec![self.flow_label(fi)],
                    ..Default::default()
                }
            }
            FlowCond::Entry(re) => {
                let u = &self.model.units[flow.root];
                Found {
                    ok: re.is_match(u.entry.unwrap_or("function")),
                    evidence: vec![self.flow_label(fi)],
                    ..Default::default()
                }
            }
            FlowCond::Path(re) => {
                let u = &self.model.units[flow.root];
                let ok = re.is_match(&self.model.files[u.file].rel);
                Found {
                    ok,
                    evidence: vec![self.flow_label(fi)],
                    ..Default::default()
                }
            }
            FlowCond::WritesOutsideTransaction(w) => {
                let writes: Vec<&crate::model::flows::Event> = self
                    .events_matching(fi, &w.writes)
                    .map(|(_, e)| e)
                    .collect();
                let mut out = Found::default();
                'pairs: for (a, ea) in writes.iter().enumerate() {
                    for eb in &writes[a + 1..] {
                        let same_scope = ea.tx.is_some() && ea.tx == eb.tx;
                        let fa = &self.model.facts[ea.fact];
                        let fb = &self.model.facts[eb.fact];
                        let distinct_ok = !w.distinct
                            || fa.value("entity").map(crate::model::entities::key)
                                != fb.value("entity").map(crate::model::entities::key);
                        if !same_scope && distinct_ok && (ea.fact != eb.fact || !w.distinct) {
                            out.ok = true;
                            out.evidence = self.pair_items(ea.fact, eb.fact);
                            break 'pairs;
                        }
                    }
                }
                let items: Vec<Item> = if out.ok {
                    out.evidence.clone()
                } else {
                    writes
                        .iter()
                        .map(|e| self.fact_item(&self.model.facts[e.fact]))
                        .collect()
                };
                if !out.ok {
                    out.evidence = items.iter().take(2).cloned().collect();
                }
                self.bind(
                    &mut out,
                    &w.writes.bind,
                    Binding {
                        items,
                        ..Default::default()
                    },
                );
                out
            }
            FlowCond::Always(b) => Found {
                ok: *b,
                evidence: vec![self.flow_label(fi)],
                ..Default::default()
            },
            FlowCond::Kind(k) => {
                if !flow.kinds.is_empty() || depth > 4 {
                    return Found {
                        ok: flow.kinds.contains(&k.value),
                        ..Default::default()
                    };
                }
                let def = &self.rules.model.flow_kinds[&k.value];
                let mut f = self.flow(fi, def, depth + 1);
                f.evidence.clear();
                f
            }
        }
    }

    /// Next.js-style route files name the route their handlers serve.
    fn route_path(&self, unit: usize) -> Option<String> {
        let rel = &self.model.files[self.model.units[unit].file].rel;
        self.rules
            .model
            .route_files
            .is_match(rel)
            .then(|| rel.to_string())
    }
}

type Side_ = crate::rules::spec::Side;

/// Where an event runs (in a catch block, under which conditions) against a selector's
/// `in_catch`, `under` and `not_under`.
fn event_context_matches(sel: &Selector, ctx: &crate::model::flows::Context) -> bool {
    if sel.in_catch.is_some_and(|want| want != ctx.catch) {
        return false;
    }
    let conds = ctx.conds.unwrap_or("");
    if sel.under.as_ref().is_some_and(|re| !re.is_match(conds)) {
        return false;
    }
    !sel.not_under.as_ref().is_some_and(|re| re.is_match(conds))
}

fn fill_values<'a>(t: &str, value: impl Fn(&str) -> Option<&'a str>) -> String {
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
