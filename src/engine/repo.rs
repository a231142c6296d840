//! Repository conditions: facts anywhere in the repository (`fact:`, with their filters),
//! entities (`entity:`), and the bindings a condition names.

use super::template::{Binding, Item};
use super::{Engine, Found, MAX_EVIDENCE, Side_, combinator, fill_values};
use crate::finding::Role;
use crate::model::values::Values;
use crate::model::{FactRec, Side};
use crate::rules::spec::*;
use std::collections::BTreeSet;
use std::sync::Arc;

impl Engine<'_> {
    pub(super) fn fact_matches(&self, sel: &Selector, f: &FactRec) -> bool {
        if !sel.fact.items().iter().any(|r| r.index() == f.fact) {
            return false;
        }
        self.fact_passes_filters(sel, f)
    }

    pub(super) fn fact_passes_filters(&self, sel: &Selector, f: &FactRec) -> bool {
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
        if let Some(re) = &sel.entity_constraint
            && !self.model.entity_of(f).is_some_and(|e| {
                e.constraints
                    .iter()
                    .any(|c| c.columns.iter().any(|col| re.is_match(col)))
            })
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

    pub(super) fn matching_facts(&self, sel: &Selector) -> Vec<usize> {
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

    /// Found when `items` is not empty: the first `keep` as evidence, all bound to `name`.
    /// Evidence quotes each place once: a fact seen with a caller's value (`status` through a
    /// call) sits where the fact does.
    pub(super) fn found_items(&self, items: Vec<Item>, keep: usize, name: &Option<Text>) -> Found {
        let mut evidence: Vec<Item> = Vec::new();
        for it in &items {
            if evidence.len() >= keep {
                break;
            }
            if it.loc.is_none() || !evidence.iter().any(|e| e.loc == it.loc) {
                evidence.push(it.clone());
            }
        }
        let mut out = Found {
            ok: !items.is_empty(),
            evidence,
            ..Default::default()
        };
        self.bind(
            &mut out,
            name,
            Binding {
                items,
                ..Default::default()
            },
        );
        out
    }

    pub(super) fn bind(&self, found: &mut Found, name: &Option<Text>, binding: Binding) {
        if let Some(n) = name {
            found.binds.insert(n.value.clone(), binding);
        }
    }

    /// Decides a repository condition (`combinator::eval` decides all/any/not).
    pub fn cond(&self, c: &Cond) -> Found {
        combinator::eval(c, &|c| self.cond_leaf(c))
    }

    pub(super) fn cond_leaf(&self, c: &Cond) -> Found {
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
                self.found_items(items, MAX_EVIDENCE, &sel.bind)
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

    pub(super) fn entity(&self, ec: &EntityCond) -> Found {
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
        self.found_items(items, MAX_EVIDENCE, &ec.bind)
    }
}
