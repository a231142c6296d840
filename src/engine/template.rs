//! Detail lines: `{name}` and `{name.attr}` placeholders filled from a condition's bindings.

use crate::finding::Role;
use crate::model::values::Values;
use crate::source::Location;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Clone, Default)]
pub struct Item {
    pub label: String,
    pub loc: Option<Location>,
    /// Shared with the fact it quotes: items are cloned into every binding they belong to.
    pub values: Arc<Values>,
    /// What the item is to a finding (an entity, a flow's root; other items are related
    /// until a finding makes one primary).
    pub role: Role,
    /// The flow the item was found in, when a flow quantifier found it.
    pub flow: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Binding {
    pub items: Vec<Item>,
    pub failing: Vec<Item>,
    pub n: Option<usize>,
    pub m: Option<usize>,
}

/// The distinct texts of a binding's items, in order: the first three and how many more.
fn list(items: &[Item], f: impl Fn(&Item) -> Option<String>) -> String {
    // A set beside the list: a binding may hold thousands of flows.
    let mut distinct = std::collections::HashSet::new();
    let mut seen = Vec::new();
    for i in items {
        if let Some(s) = f(i)
            && distinct.insert(s.clone())
        {
            seen.push(s);
        }
    }
    if seen.is_empty() {
        return "none".into();
    }
    let more = seen.len().saturating_sub(3);
    let mut out = seen.into_iter().take(3).collect::<Vec<_>>().join(", ");
    if more > 0 {
        out.push_str(&format!(" (+{more} more)"));
    }
    out
}

pub fn render(template: &str, binds: &BTreeMap<String, Binding>) -> String {
    crate::rules::compile::fill_placeholders(template, |p| {
        let empty = Binding::default();
        let b = binds.get(p.name).unwrap_or(&empty);
        let first = b.items.first();
        match p.attr {
            None | Some("label") => first
                .map(|i| i.label.clone())
                .unwrap_or_else(|| "none".into()),
            Some("loc") => first
                .and_then(|i| i.loc.as_ref())
                .map(Location::short)
                .unwrap_or_else(|| "n/a".into()),
            Some("file") => first
                .and_then(|i| i.loc.as_ref())
                .map(|l| l.path.to_string())
                .unwrap_or_else(|| "n/a".into()),
            Some("locs") => list(&b.items, |i| i.loc.as_ref().map(Location::short)),
            Some("all") => list(&b.items, |i| Some(i.label.clone())),
            Some("failing") => list(&b.failing, |i| Some(i.label.clone())),
            Some("failing_locs") => list(&b.failing, |i| i.loc.as_ref().map(Location::short)),
            Some("n") => b.n.unwrap_or(b.items.len()).to_string(),
            Some("m") => b.m.unwrap_or(b.items.len()).to_string(),
            Some("count") => b.items.len().to_string(),
            Some(attr) => first
                .and_then(|i| i.values.get(attr).map(String::from))
                .unwrap_or_else(|| "none".into()),
        }
    })
}
