//! Flow conditions: quantifiers over flows (`every_flow:` / `some_flow:`) and the leaves that
//! read one flow's events in order (`has`, `before`, `reaches`, `in_tx`...), with the guards
//! each event runs under.

use super::template::{Binding, Item};
use super::{Engine, Found, MAX_EVIDENCE, Side_, combinator, findings};
use crate::finding::Role;
use crate::model::Side;
use crate::model::values::Values;
use crate::rules::spec::*;
use std::collections::BTreeSet;
use std::sync::Arc;

impl Engine<'_> {
    pub(super) fn flow_label(&self, fi: usize) -> Item {
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

    pub(super) fn quant(&self, q: &FlowQuant, every: bool) -> Found {
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

    pub(super) fn events_matching<'b>(
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

    /// Whether `then` runs while the lock `first` is held: always for a lock that stays
    /// taken, and inside its callback for one taken with a callback (`Event::held`).
    fn holds(&self, first: &crate::model::flows::Event, then: &crate::model::flows::Event) -> bool {
        self.model.facts[first.fact].value("scoped").is_none()
            || then.held == Some(first.fact as u32)
    }

    pub(super) fn pair_items(&self, a: usize, b: usize) -> Vec<Item> {
        vec![
            self.fact_item(&self.model.facts[a]),
            self.fact_item(&self.model.facts[b]),
        ]
    }

    /// Facts a `reach: files` selector sees besides the flow's own: module-level code of the
    /// flow's files; with `reach: imports`, also the files they import (error filters, shared
    /// schemas). Another function of a flow's file (the cancel handler next to create) is not
    /// part of the flow.
    pub(super) fn reach_facts(&self, fi: usize, sel: &Selector) -> Vec<usize> {
        let flow = &self.model.flows[fi];
        let mut imported: BTreeSet<usize> = BTreeSet::new();
        if sel.reach == Reach::Imports {
            for &f in &flow.files {
                imported.extend(self.model.imported_files(f));
            }
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

    pub(super) fn flow_leaf(&self, fi: usize, c: &FlowCond, depth: usize) -> Found {
        let flow = &self.model.flows[fi];
        match c {
            FlowCond::All(_) | FlowCond::Any(_) | FlowCond::Not(_) => self.flow(fi, c, depth),
            FlowCond::Has(sel) => {
                let hits: Vec<usize> = if sel.reach != Reach::Flow {
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
                self.found_items(items, 3, &sel.bind)
            }
            FlowCond::Before(p) | FlowCond::BeforeInTransaction(p) => {
                let same_tx = matches!(c, FlowCond::BeforeInTransaction(_));
                let firsts: Vec<(usize, &crate::model::flows::Event)> =
                    self.events_matching(fi, &p.first).collect();
                let thens: Vec<(usize, &crate::model::flows::Event)> =
                    self.events_matching(fi, &p.then).collect();
                let untils: Vec<usize> = match &p.until {
                    Some(u) => self.events_matching(fi, u).map(|(k, _)| k).collect(),
                    None => Vec::new(),
                };
                let mut out = Found::default();
                'outer: for (j, t) in &thens {
                    for (i, f) in &firsts {
                        if f.precedes(*i, *j, p.same_path)
                            && (!same_tx || (f.tx.is_some() && f.tx == t.tx))
                            && (!p.held || self.holds(f, t))
                            && (!p.open || f.open_at(*j))
                            && untils
                                .get(untils.partition_point(|k| k <= i))
                                .is_none_or(|k| k >= j)
                        {
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
                let firsts: Vec<(usize, &crate::model::flows::Event)> =
                    self.events_matching(fi, &p.first).collect();
                let mut out = Found {
                    ok: true,
                    ..Default::default()
                };
                let mut thens = Vec::new();
                for (j, t) in self.events_matching(fi, &p.then) {
                    thens.push(self.fact_item(&self.model.facts[t.fact]));
                    let precedes = |&(i, f): &(usize, &crate::model::flows::Event)| {
                        f.precedes(i, j, p.same_path)
                    };
                    if !firsts.iter().any(precedes) && out.ok {
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
                let writes: Vec<(usize, &crate::model::flows::Event)> =
                    self.events_matching(fi, &w.writes).collect();
                // Each write's entity key, computed once: a flow that fans out has thousands
                // of writes, and the pairs are their square.
                let keys: Vec<Option<String>> = writes
                    .iter()
                    .map(|(_, e)| {
                        self.model.facts[e.fact]
                            .value("entity")
                            .map(crate::model::entities::key)
                    })
                    .collect();
                let mut out = Found::default();
                'pairs: for (a, &(ia, ea)) in writes.iter().enumerate() {
                    for (b, &(ib, eb)) in writes.iter().enumerate().skip(a + 1) {
                        if w.distinct && (ea.fact == eb.fact || keys[a] == keys[b]) {
                            continue;
                        }
                        if ea.tx.is_some() && ea.tx == eb.tx {
                            continue;
                        }
                        // Writes on other paths (an `if`'s two sides, two cases of a
                        // `switch`) never run in one request: they cannot leave it half-done.
                        if ea.precedes(ia, ib, true) {
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
                        .map(|(_, e)| self.fact_item(&self.model.facts[e.fact]))
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
    pub(super) fn route_path(&self, unit: usize) -> Option<String> {
        let rel = &self.model.files[self.model.units[unit].file].rel;
        self.rules
            .model
            .route_files
            .is_match(rel)
            .then(|| rel.to_string())
    }
}

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
