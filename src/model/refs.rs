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
//! receiver was not a data reference (`map.set`, `params.delete`).

use super::FactRec;
use super::values::Values;
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
        let via = via.trim();
        let called = via.ends_with('(');
        let mut segs: Vec<&str> = via
            .trim_end_matches('(')
            .split('.')
            .map(|s| s.trim_matches(|c: char| c.is_whitespace() || c == '?' || c == '#'))
            .filter(|s| !s.is_empty())
            .collect();
        let this = segs.first() == Some(&"this");
        if this {
            segs.remove(0);
        }
        if !this
            && let Some(first) = segs.first()
            && let Some(bs) = self.local.get(&(unit, *first))
        {
            // The nearest binding before the use, else the first (a variable assigned later
            // in a loop); a local name shadows every global one.
            let b = bs
                .iter()
                .rev()
                .find(|b| b.start < pos)
                .or_else(|| bs.first())?;
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

/// Gives each fact with a `via` value the entity it resolves to through the bindings, and drops
/// those that resolve to nothing.
pub fn resolve(facts: &mut Vec<FactRec>, bindings: &[BindingFact], modules: &HashSet<usize>) {
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
    let mut updates: Vec<(usize, Option<Target>)> = Vec::new();
    {
        let r = Resolver {
            bindings,
            local,
            global,
        };
        for (i, f) in facts.iter().enumerate() {
            if f.values.contains_key("entity") {
                continue;
            }
            let Some(via) = f.value("via") else { continue };
            updates.push((i, r.resolve(via, f.file, f.unit, f.start, 0)));
        }
    }
    let mut drop = vec![false; facts.len()];
    let mut any_dropped = false;
    for (i, t) in updates {
        match t {
            Some(t) => {
                let f = &mut facts[i];
                let values = std::sync::Arc::make_mut(&mut f.values);
                values.insert("entity", t.entity);
                for (k, v) in t.extra {
                    values.insert_if_absent(&k, &v);
                }
            }
            None => {
                drop[i] = true;
                any_dropped = true;
            }
        }
    }
    if any_dropped {
        let mut i = 0;
        facts.retain(|_| {
            i += 1;
            !drop[i - 1]
        });
    }
}
