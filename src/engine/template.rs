//! Detail lines: `{name}` and `{name.attr}` placeholders filled from a condition's bindings.

use crate::source::Location;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Item {
    pub label: String,
    pub loc: Option<Location>,
    pub values: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct Binding {
    pub items: Vec<Item>,
    pub failing: Vec<Item>,
    pub n: Option<usize>,
    pub m: Option<usize>,
}

fn list(items: &[Item], f: impl Fn(&Item) -> Option<String>) -> String {
    let mut seen = Vec::new();
    for i in items {
        if let Some(s) = f(i)
            && !seen.contains(&s)
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
    let re = crate::rules::compile::placeholder_re();
    re.replace_all(template, |c: &regex_lite::Captures| {
        let empty = Binding::default();
        let b = binds.get(&c[1]).unwrap_or(&empty);
        let first = b.items.first();
        match c.get(2).map(|m| m.as_str()) {
            None | Some("label") => first
                .map(|i| i.label.clone())
                .unwrap_or_else(|| "none".into()),
            Some("loc") => first
                .and_then(|i| i.loc.as_ref())
                .map(Location::short)
                .unwrap_or_else(|| "n/a".into()),
            Some("file") => first
                .and_then(|i| i.loc.as_ref())
                .map(|l| l.path.clone())
                .unwrap_or_else(|| "n/a".into()),
            Some("locs") => list(&b.items, |i| i.loc.as_ref().map(Location::short)),
            Some("all") => list(&b.items, |i| Some(i.label.clone())),
            Some("failing") => list(&b.failing, |i| Some(i.label.clone())),
            Some("failing_locs") => list(&b.failing, |i| i.loc.as_ref().map(Location::short)),
            Some("n") => b.n.unwrap_or(b.items.len()).to_string(),
            Some("m") => b.m.unwrap_or(b.items.len()).to_string(),
            Some("count") => b.items.len().to_string(),
            Some(attr) => first
                .and_then(|i| i.values.get(attr).cloned())
                .unwrap_or_else(|| "none".into()),
        }
    })
    .into_owned()
}
