//! References to data held in variables or returned by accessors: `const ref =
//! db.collection('bookings').doc()`, `static bookings() { return db.collection('bookings') }`.
//!
//! A fact with `binds` and `name` values is a **binding**: `name` stands for the entity its
//! `entity` value names, or for whatever its `via` value (the head of the bound expression,
//! `FirestoreRefs.partyBookings` or `ref`) stands for. `binds: local` bindings are visible in
//! their own function (module-level ones everywhere, like `global` ones, by name).
//!
//! A fact with a `via` value and no `entity` (a write or read through a reference) takes the
//! entity its `via` resolves to: the first segment as a local binding of the same function,
//! else each segment, last first, as a global binding (same file first). Values of the
//! bindings named `ref_*` are copied to it. A fact that resolves to nothing is dropped: the
//! receiver was not a data reference (`map.set`, `params.delete`), unless it ends at a
//! parameter of its function (`async #update(refPromise, data) { const ref = await refPromise;
//! return ref.set(data) }`): such a fact writes whatever each caller passes, and
//! [`bind_params`] gives it, once calls are resolved, the entity of each call's argument.

use super::values::Values;
use super::{FactRec, RepoModel, UnitInfo};
use std::collections::{BTreeMap, HashMap, HashSet};

/// A binding fact, kept apart from the model's facts: it is consumed here, and bindings are
/// most facts of a large repository, so they carry no location.
pub struct BindingFact {
    pub file: usize,
    /// Global unit index.
    pub unit: usize,
    pub start: usize,
    pub values: Values,
}

impl BindingFact {
    fn value(&self, k: &str) -> Option<&str> {
        self.values.get(k)
    }

    /// Whether a fact's values make it a binding.
    pub fn is_binding(values: &Values) -> bool {
        values.contains_key("binds")
    }
}

const MAX_DEPTH: usize = 8;

struct Binding {
    idx: usize,
    file: usize,
    start: usize,
}

/// What a reference resolves to: the entity, and the `ref_*` values met on the way.
#[derive(Clone)]
struct Target {
    entity: String,
    extra: BTreeMap<String, String>,
}

struct Resolver<'a> {
    bindings: &'a [BindingFact],
    local: HashMap<(usize, &'a str), Vec<Binding>>,
    global: HashMap<&'a str, Vec<Binding>>,
}

impl<'a> Resolver<'a> {
    fn new(bindings: &'a [BindingFact], modules: &HashSet<usize>) -> Self {
        let mut local: HashMap<(usize, &str), Vec<Binding>> = HashMap::new();
        let mut global: HashMap<&str, Vec<Binding>> = HashMap::new();
        for (idx, f) in bindings.iter().enumerate() {
            let (Some(binds), Some(name)) = (f.value("binds"), f.value("name")) else {
                continue;
            };
            let name = name.trim_start_matches('#');
            let b = Binding {
                idx,
                file: f.file,
                start: f.start,
            };
            if binds == "local" && !modules.contains(&f.unit) {
                local.entry((f.unit, name)).or_default().push(b);
            } else {
                global.entry(name).or_default().push(b);
            }
        }
        Resolver {
            bindings,
            local,
            global,
        }
    }

    /// The nearest local binding of `name` before `pos` in `unit`, else its first.
    fn local_binding(&self, unit: usize, name: &'a str, pos: usize) -> Option<&Binding> {
        let bs = self.local.get(&(unit, name))?;
        bs.iter()
            .rev()
            .find(|b| b.start < pos)
            .or_else(|| bs.first())
    }

    /// The position among `params` of the parameter `via` stands for, directly (`ref.set`) or
    /// through local bindings (`const ref = await refPromise`).
    fn param_of(
        &self,
        via: &str,
        unit: usize,
        pos: usize,
        params: &[&str],
        depth: usize,
    ) -> Option<usize> {
        let first = segments(via).into_iter().next()?;
        if first == "this" || depth >= MAX_DEPTH {
            return None;
        }
        match self.local_binding(unit, first, pos) {
            Some(b) => {
                let f = &self.bindings[b.idx];
                if f.value("entity").is_some() {
                    return None;
                }
                self.param_of(f.value("via")?, unit, f.start, params, depth + 1)
            }
            None => params.iter().position(|p| *p == first),
        }
    }

    fn binding_target(&self, idx: usize, depth: usize) -> Option<Target> {
        let f = &self.bindings[idx];
        let mut t = match f.value("entity") {
            Some(e) => Target {
                entity: e.to_string(),
                extra: BTreeMap::new(),
            },
            None => {
                let via = f.value("via")?;
                if depth >= MAX_DEPTH {
                    return None;
                }
                self.resolve(via, f.file, f.unit, f.start, depth + 1)?
            }
        };
        for (k, v) in f.values.iter() {
            // The nearest binding's values win over those of the bindings it derives from.
            if let Some(k) = k.strip_prefix("ref_") {
                t.extra.insert(k.to_string(), v.to_string());
            }
        }
        Some(t)
    }

    /// `via` as seen from a position in a unit: `ref`, `snap.docs`, `Refs.bookings(`,
    /// `this.bookings(`, `this.bookingsRef` (a trailing `(` marks a call).
    fn resolve(
        &self,
        via: &str,
        file: usize,
        unit: usize,
        pos: usize,
        depth: usize,
    ) -> Option<Target> {
        let called = via.trim().ends_with('(');
        let mut segs = segments(via);
        let this = segs.first() == Some(&"this");
        if this {
            segs.remove(0);
        }
        if !this
            && let Some(first) = segs.first()
            && let Some(b) = self.local_binding(unit, first, pos)
        {
            // The nearest binding before the use, else the first (a variable assigned later
            // in a loop); a local name shadows every global one.
            return self.binding_target(b.idx, depth);
        }
        // A called accessor (`Refs.bookings(`, `this.bookings(`, `bookings(`), else the
        // variable or member the chain starts from (`bookingsCol.doc`, `this.bookingsRef`).
        let candidate = if called { segs.last() } else { segs.first() };
        let seg = candidate?;
        let bs = self.global.get(seg)?;
        let same_file: Vec<&Binding> = bs.iter().filter(|b| b.file == file).collect();
        let pool: Vec<&Binding> = if same_file.is_empty() {
            bs.iter().collect()
        } else {
            same_file
        };
        let mut found: Option<Target> = None;
        for b in pool {
            let Some(t) = self.binding_target(b.idx, depth) else {
                continue;
            };
            match &found {
                Some(prev)
                    if super::entities::key(&prev.entity) != super::entities::key(&t.entity) =>
                {
                    // Two accessors of one name for different entities: ambiguous.
                    return None;
                }
                Some(_) => {}
                None => found = Some(t),
            }
        }
        found
    }
}

/// The names of a `via` chain: `this.#refs.bookings(` gives `this`, `refs`, `bookings`.
fn segments(via: &str) -> Vec<&str> {
    via.trim()
        .trim_end_matches('(')
        .split('.')
        .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == '?' || c == '#'))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Calls of a function: (calling unit, edge index).
type Sites = Vec<(usize, usize)>;

/// A fact whose reference is its function's parameter number `param`: bound per call by
/// [`bind_params`].
pub struct ParamRef {
    fact: FactRec,
    param: usize,
}

/// Gives each fact with a `via` value the entity it resolves to through the bindings, and drops
/// those that resolve to nothing; those whose reference is a parameter of their function are
/// returned for [`bind_params`].
pub fn resolve(
    facts: &mut Vec<FactRec>,
    bindings: &[BindingFact],
    modules: &HashSet<usize>,
    units: &[UnitInfo],
) -> Vec<ParamRef> {
    enum Outcome {
        Found(Target),
        Param(usize),
        Drop,
    }
    let mut updates: Vec<(usize, Outcome)> = Vec::new();
    {
        let r = Resolver::new(bindings, modules);
        for (i, f) in facts.iter().enumerate() {
            if f.values.contains_key("entity") {
                continue;
            }
            let Some(via) = f.value("via") else { continue };
            let outcome = match r.resolve(via, f.file, f.unit, f.start, 0) {
                Some(t) => Outcome::Found(t),
                None => match units
                    .get(f.unit)
                    .and_then(|u| r.param_of(via, f.unit, f.start, &u.params, 0))
                {
                    Some(k) => Outcome::Param(k),
                    None => Outcome::Drop,
                },
            };
            updates.push((i, outcome));
        }
    }
    // Per fact: kept, or the parameter its reference is (`Some(Some(k))`), or dropped.
    let mut fate: Vec<Option<Option<usize>>> = vec![None; facts.len()];
    for (i, outcome) in updates {
        match outcome {
            Outcome::Found(t) => {
                let f = &mut facts[i];
                let values = std::sync::Arc::make_mut(&mut f.values);
                values.insert("entity", t.entity);
                for (k, v) in t.extra {
                    values.insert_if_absent(&k, &v);
                }
            }
            Outcome::Param(k) => fate[i] = Some(Some(k)),
            Outcome::Drop => fate[i] = Some(None),
        }
    }
    if fate.iter().all(Option::is_none) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let all = std::mem::take(facts);
    for (f, fate) in all.into_iter().zip(fate) {
        match fate {
            None => facts.push(f),
            Some(Some(param)) => out.push(ParamRef { fact: f, param }),
            Some(None) => {}
        }
    }
    out
}

/// The head of an argument as a `via` chain: `FirestoreRefs.partyBooking(bookingId)` gives
/// `FirestoreRefs.partyBooking(`, `await this.refs.slot(id)` `this.refs.slot(`, `ref` `ref`.
fn arg_via(arg: &str) -> Option<&str> {
    let mut s = arg.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
    while let Some(rest) = s.strip_prefix("await ") {
        s = rest.trim_start_matches(|c: char| c == '(' || c.is_whitespace());
    }
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || "_$#.?".contains(c)))
        .unwrap_or(s.len());
    let head = s[..end].trim_end_matches(['.', '?']);
    if head.is_empty() || head.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    match s[end..].starts_with('(') {
        true => Some(&s[..end + 1]),
        false => Some(head),
    }
}

/// Gives each fact whose reference is a parameter the entity each call passes: one fact per
/// entity passed, placed where the helper's write is and seen only by flows that reach it
/// through those calls (`RepoModel::param_sites`). A call whose argument names no data
/// reference passes nothing.
pub fn bind_params(
    model: &mut RepoModel,
    pending: Vec<ParamRef>,
    bindings: &[BindingFact],
    modules: &HashSet<usize>,
    rules: &crate::rules::RuleSet,
) {
    if pending.is_empty() {
        return;
    }
    let targets: HashSet<usize> = pending.iter().map(|p| p.fact.unit).collect();
    let mut callers: HashMap<usize, Vec<(usize, usize)>> = HashMap::new();
    for (u, edges) in model.calls.iter().enumerate() {
        for (ei, e) in edges.iter().enumerate() {
            if targets.contains(&e.target) {
                callers.entry(e.target).or_default().push((u, ei));
            }
        }
    }
    let r = Resolver::new(bindings, modules);
    let mut made: Vec<(FactRec, Sites)> = Vec::new();
    for p in &pending {
        // Per entity passed (by key, in the order first met): its target and its calls.
        let mut by_entity: Vec<(String, Target, Sites)> = Vec::new();
        for &(u, ei) in callers.get(&p.fact.unit).map(Vec::as_slice).unwrap_or(&[]) {
            let e = &model.calls[u][ei];
            let args = super::resolve::split_args(&e.args);
            let Some(via) = args.get(p.param).and_then(|a| arg_via(a)) else {
                continue;
            };
            let Some(t) = r.resolve(via, model.units[u].file, u, e.pos, 0) else {
                continue;
            };
            let key = super::entities::key(&t.entity);
            match by_entity.iter_mut().find(|(k, _, _)| *k == key) {
                Some((_, _, sites)) => sites.push((u, ei)),
                None => by_entity.push((key, t, vec![(u, ei)])),
            }
        }
        for (_, t, sites) in by_entity {
            let mut values = (*p.fact.values).clone();
            values.insert("entity", t.entity);
            values.insert("entity_from", "call");
            for (k, v) in t.extra {
                values.insert_if_absent(&k, &v);
            }
            made.push((p.fact.with_values(values), sites));
        }
    }
    let (mut facts, sites): (Vec<FactRec>, Vec<Sites>) = made.into_iter().unzip();
    super::normalize_writes(&mut facts, rules);
    for (f, s) in facts.into_iter().zip(sites) {
        let i = model.facts.len();
        model.param_sites.insert(i, s);
        model.by_fact.entry(f.fact).or_default().push(i);
        model.facts.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::arg_via;

    #[test]
    fn an_argument_gives_the_head_of_its_chain() {
        assert_eq!(
            arg_via("FirestoreRefs.partyBooking(bookingId)"),
            Some("FirestoreRefs.partyBooking(")
        );
        assert_eq!(
            arg_via(" await this.refs.slot(id)"),
            Some("this.refs.slot(")
        );
        assert_eq!(
            arg_via("(await Refs.bookings()).doc()"),
            Some("Refs.bookings(")
        );
        assert_eq!(arg_via("ref"), Some("ref"));
        assert_eq!(arg_via("'bookings'"), None);
        assert_eq!(arg_via("42"), None);
        assert_eq!(arg_via("{ id }"), None);
    }
}
