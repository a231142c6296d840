//! Schema entities assembled from `role: entity|field|constraint` facts (Prisma, SQL, ORM
//! definitions) and from the entity names writes use; then classified into kinds
//! (booking, slot, history, ...) by the ordered rules of model.yaml.

use super::{RepoModel, UnitInfo};
use crate::rules::RuleSet;
use crate::rules::spec::Role;
use crate::source::Location;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub ty: String,
    pub default: Option<String>,
    pub loc: Location,
}

#[derive(Debug, Clone)]
pub struct Constraint {
    pub columns: Vec<String>,
    pub text: String,
    pub loc: Location,
}

#[derive(Debug, Clone)]
pub struct Entity {
    pub name: String,
    pub key: String,
    /// Other names the same entity goes by (table names, `@@map`).
    pub aliases: Vec<String>,
    pub kind: Option<String>,
    pub fields: Vec<Field>,
    pub constraints: Vec<Constraint>,
    /// Where the schema defines it; None when only code names it.
    pub loc: Option<Location>,
}

impl Entity {
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

pub fn singular(w: &str) -> String {
    if let Some(s) = w.strip_suffix("ies") {
        format!("{s}y")
    } else if w.ends_with("sses")
        || w.ends_with("ches")
        || w.ends_with("shes")
        || w.ends_with("xes")
    {
        w[..w.len() - 2].to_string()
    } else if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && w.len() > 3 {
        w[..w.len() - 1].to_string()
    } else {
        w.to_string()
    }
}

/// The key entities are merged and looked up by: `bookings`, `Booking`, `booking` are one, and
/// so is `BookingModel`, the usual name of the Mongoose/Sequelize model class of `Booking`, and
/// `bookingsSlug` or `holdCollection`, the constants code passes for a collection's name.
pub fn key(name: &str) -> String {
    let name = name.rsplit('.').next().unwrap_or(name);
    let lower: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    let stem = lower
        .strip_suffix("model")
        .filter(|s| s.len() >= 3)
        .or_else(|| name_constant_stem(&lower))
        .unwrap_or(&lower);
    singular(stem)
}

/// `holdCollection` -> `hold`, `bookings_slug` -> `bookings`: a constant holding a collection's
/// name, named after it.
pub fn name_constant_stem(name: &str) -> Option<&str> {
    let lower = name.to_ascii_lowercase();
    ["collectionslug", "collection", "slug"]
        .iter()
        .find_map(|suffix| {
            let n = lower
                .strip_suffix(suffix)?
                .trim_end_matches(['_', '-'])
                .len();
            (n >= 3).then(|| &name[..n])
        })
}

fn split_columns(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .filter(|w| {
            !matches!(
                w.to_ascii_lowercase().as_str(),
                "fields"
                    | "name"
                    | "map"
                    | "on"
                    | "using"
                    | "gist"
                    | "with"
                    | "sort"
                    | "asc"
                    | "desc"
                    | "t"
                    | "table"
                    | "true"
                    | "false"
                    | "unique"
            )
        })
        .map(String::from)
        .collect()
}

pub fn build(model: &mut RepoModel, rules: &RuleSet) {
    let mut entities: Vec<Entity> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let role = |fact: usize| rules.facts.get(fact).map(|f| f.role).unwrap_or(Role::Fact);

    let ensure = |entities: &mut Vec<Entity>,
                  by_key: &mut HashMap<String, usize>,
                  name: &str,
                  loc: Option<&Location>|
     -> usize {
        // `@@map("bookings")` and quoted SQL identifiers name the entity without their quotes.
        let name = name.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
        let k = key(name);
        if let Some(&i) = by_key.get(&k) {
            if entities[i].loc.is_none() && loc.is_some() {
                entities[i].loc = loc.cloned();
                entities[i].name = name.to_string();
            }
            return i;
        }
        entities.push(Entity {
            name: name.to_string(),
            key: k.clone(),
            aliases: vec![],
            kind: None,
            fields: vec![],
            constraints: vec![],
            loc: loc.cloned(),
        });
        by_key.insert(k, entities.len() - 1);
        entities.len() - 1
    };

    // Entities first, so fields and constraints can find their container.
    let mut spans: Vec<(usize, usize, usize, usize)> = Vec::new(); // (file, start, end, entity)
    for f in &model.facts {
        if role(f.fact) != Role::Entity {
            continue;
        }
        let Some(name) = f.value("name") else {
            continue;
        };
        let i = ensure(&mut entities, &mut by_key, name, Some(&f.loc));
        if let Some(t) = f.value("table") {
            let t = t.trim_matches(|c| matches!(c, '"' | '\'' | '`'));
            let tk = key(t);
            if tk != entities[i].key && !by_key.contains_key(&tk) {
                by_key.insert(tk, i);
                entities[i].aliases.push(t.to_string());
            }
        }
        spans.push((f.file, f.start, f.end, i));
    }
    // By file, so a field finds its table without scanning every table of the repository
    // (migrations repeat thousands of CREATE TABLEs).
    let mut spans_by_file: HashMap<usize, Vec<(usize, usize, usize)>> = HashMap::new();
    for (file, s, e, i) in spans {
        spans_by_file.entry(file).or_default().push((s, e, i));
    }
    let container = |file: usize, start: usize, end: usize| -> Option<usize> {
        spans_by_file
            .get(&file)?
            .iter()
            .filter(|(s, e, _)| *s <= start && end <= *e)
            .min_by_key(|(s, e, _)| e - s)
            .map(|(_, _, i)| *i)
    };
    let mut field_seen: HashSet<(usize, String)> = Default::default();
    for f in &model.facts {
        let r = role(f.fact);
        if r != Role::Field && r != Role::Constraint {
            continue;
        }
        let owner = container(f.file, f.start, f.end).or_else(|| {
            f.value("entity")
                .or(f.value("table"))
                .map(|n| ensure(&mut entities, &mut by_key, n, None))
        });
        let Some(e) = owner else { continue };
        if r == Role::Field {
            let Some(name) = f.value("name") else {
                continue;
            };
            // `private _status` behind a getter is the `status` column to the domain.
            let name = match name.trim_start_matches('_') {
                "" => name,
                bare => bare,
            };
            // Migrations redefine a table many times; its first definition of a column stands.
            if !field_seen.insert((e, name.to_string())) {
                continue;
            }
            entities[e].fields.push(Field {
                name: name.to_string(),
                ty: f.value("type").unwrap_or("").to_string(),
                default: f.value("default").map(|d| {
                    d.trim_matches(|c| c == '\'' || c == '"' || c == '`')
                        .to_string()
                }),
                loc: f.loc.clone(),
            });
            if f.value("unique").is_some() {
                entities[e].constraints.push(Constraint {
                    columns: vec![name.to_string()],
                    text: f.loc.snippet.clone(),
                    loc: f.loc.clone(),
                });
            }
        } else {
            let columns = split_columns(f.value("columns").or(f.value("exclude")).unwrap_or(""));
            entities[e].constraints.push(Constraint {
                columns,
                text: f.loc.snippet.clone(),
                loc: f.loc.clone(),
            });
        }
    }
    // Entities only code names (collections, tables in queries).
    for f in &model.facts {
        if (f.values.contains_key("write") || f.values.contains_key("read"))
            && let Some(n) = f.value("entity")
        {
            ensure(&mut entities, &mut by_key, n, None);
        }
    }
    classify(&mut entities, &model.facts, &model.units, rules);
    model.entities = entities;
    model.entity_by_key = by_key;
    resolve_fallbacks(model, rules);
}

fn classify(
    entities: &mut [Entity],
    facts: &[super::FactRec],
    units: &[UnitInfo],
    rules: &RuleSet,
) {
    // Every word of every field's name and type, keyed once: a large schema has thousands.
    let snapshot: Vec<(String, Vec<String>)> = entities
        .iter()
        .map(|e| {
            let mut words: Vec<String> = e
                .fields
                .iter()
                .flat_map(|f| [f.name.as_str(), f.ty.as_str()])
                .flat_map(str::split_whitespace)
                .map(key)
                .collect();
            words.sort();
            words.dedup();
            (e.name.clone(), words)
        })
        .collect();
    let inserts: Vec<(String, usize)> = facts
        .iter()
        .filter(|f| f.value("write") == Some("insert"))
        .filter_map(|f| Some((key(f.value("entity")?), f.unit)))
        .collect();
    // `fallbacks`: the kinds whose fallback rules apply.
    let classify = |e: &mut Entity, fallbacks: &HashSet<&str>| {
        let forced = e
            .names()
            .find_map(|n| rules.model.entity_names.get(&key(n)))
            .cloned();
        if forced.is_some() {
            e.kind = forced;
            return;
        }
        e.kind = None;
        for k in &rules.model.entity_kinds {
            if k.fallback && !fallbacks.contains(k.kind.as_str()) {
                continue;
            }
            if !e.names().any(|n| {
                k.name.is_match(n) || name_constant_stem(n).is_some_and(|s| k.name.is_match(s))
            }) {
                continue;
            }
            if let Some(hf) = &k.has_field
                && !hf
                    .items()
                    .iter()
                    .all(|re| e.fields.iter().any(|f| re.is_match(&f.name)))
            {
                continue;
            }
            if !k.fields_like.is_empty()
                && !e.fields.is_empty()
                && !e
                    .fields
                    .iter()
                    .any(|f| k.fields_like.iter().any(|re| re.is_match(&f.name)))
            {
                continue;
            }
            if let Some(rb) = &k.referenced_by {
                let me = key(&e.name);
                let referenced = snapshot.iter().any(|(n, words)| {
                    n != &e.name && rb.is_match(n) && words.iter().any(|w| w.starts_with(&me))
                });
                if !referenced {
                    continue;
                }
            }
            if let Some(ib) = &k.inserted_by {
                let inserted = inserts
                    .iter()
                    .any(|(k, u)| *k == e.key && ib.is_match(units[*u].name));
                if !inserted {
                    continue;
                }
            }
            e.kind = Some(k.kind.clone());
            break;
        }
    };
    for e in entities.iter_mut() {
        classify(e, &HashSet::new());
    }
    // Fallback rules (a booking recognised by its fields alone) apply only to kinds the other
    // rules gave no entity, so a named booking table is never joined by look-alikes.
    let absent: HashSet<&str> = rules
        .model
        .entity_kinds
        .iter()
        .filter(|k| k.fallback)
        .map(|k| k.kind.as_str())
        .filter(|kind| !entities.iter().any(|e| e.kind.as_deref() == Some(*kind)))
        .collect();
    if !absent.is_empty() {
        for e in entities.iter_mut() {
            classify(e, &absent);
        }
    }
}

/// Props with `fallback_field`: a write that does not set the value takes the schema default.
fn resolve_fallbacks(model: &mut RepoModel, rules: &RuleSet) {
    for i in 0..model.facts.len() {
        let fact = model.facts[i].fact;
        let Some(def) = rules.facts.get(fact) else {
            continue;
        };
        for (name, prop) in def.variants.iter().flat_map(|v| v.spec.props.iter()) {
            let Some(ff) = &prop.fallback_field else {
                continue;
            };
            // Only an insert that omits the value takes the schema default: one that sets it
            // from a variable (`status_var`, filled through calls) does not omit it.
            let from_var = def.variants.get(model.facts[i].variant).is_some_and(|v| {
                v.spec.props.iter().any(|(var, p)| {
                    p.through_calls.as_deref() == Some(name.as_str())
                        && !p.whole
                        && model.facts[i].values.contains_key(var)
                })
            });
            if model.facts[i].values.contains_key(name)
                || from_var
                || model.facts[i].value("write") != Some("insert")
            {
                continue;
            }
            let Some(ent) = model.facts[i]
                .value("entity")
                .and_then(|n| model.entity_by_key.get(&key(n)))
                .copied()
            else {
                continue;
            };
            if let Some(d) = model.entities[ent]
                .fields
                .iter()
                .find(|f| ff.is_match(&f.name))
                .and_then(|f| f.default.clone())
            {
                let d = d.rsplit('.').next().unwrap_or(&d).to_string();
                let values = std::sync::Arc::make_mut(&mut model.facts[i].values);
                values.insert(name, d);
                values.insert(&super::values::from_key(name), "default");
            }
        }
    }
}
