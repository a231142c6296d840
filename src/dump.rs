//! The rule author's view of the model (`booking-audit debug PATH --show facts|flows|entities
//! [--filter TEXT]`): what was found in a repository, for working out why a check decided as
//! it did. The one debug dump; nothing else prints the model.

use crate::model::RepoModel;
use crate::rules::RuleSet;

/// What the dump shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Show {
    /// Every fact, with its function and values.
    Facts,
    /// Every flow: entry kind, kinds, and its ordered events with transaction and guards.
    Flows,
    /// Every entity: kind, fields and unique constraints.
    Entities,
}

/// The dump as text; `filter` keeps the flows, the facts' functions or the entities whose
/// name contains it ("" keeps all).
pub fn render(set: &RuleSet, model: &RepoModel, show: Show, filter: &str) -> String {
    let mut o = String::new();
    let fact_name = |i: usize| -> String {
        set.facts.get(i).map(|f| f.id.clone()).unwrap_or_else(|| {
            crate::model::BUILTIN_FACTS
                .get(i - crate::model::BUILTIN_BASE)
                .unwrap_or(&"?")
                .to_string()
        })
    };
    match show {
        Show::Facts => {
            for f in &model.facts {
                if !model.units[f.unit].label().contains(filter) {
                    continue;
                }
                let vals: Vec<String> = f
                    .values
                    .iter()
                    .filter(|(k, _)| !matches!(*k, "text" | "args" | "match"))
                    .map(|(k, v)| format!("{k}={}", crate::source::shorten(v, 60)))
                    .collect();
                o.push_str(&format!(
                    "{}:{} {} [{}] {}\n",
                    f.loc.path,
                    f.loc.line,
                    fact_name(f.fact),
                    model.units[f.unit].label(),
                    vals.join(" ")
                ));
            }
        }
        Show::Entities => {
            for e in &model.entities {
                if !e.name.contains(filter) {
                    continue;
                }
                o.push_str(&format!(
                    "{} ({}) kind={:?} aliases={:?}\n",
                    e.name, e.key, e.kind, e.aliases
                ));
                for f in &e.fields {
                    o.push_str(&format!(
                        "    {} {} default={:?}\n",
                        f.name, f.ty, f.default
                    ));
                }
                for c in &e.constraints {
                    o.push_str(&format!("    unique {:?}  {}\n", c.columns, c.loc.short()));
                }
            }
        }
        Show::Flows => {
            for fl in &model.flows {
                let u = &model.units[fl.root];
                if !u.label().contains(filter) {
                    continue;
                }
                o.push_str(&format!(
                    "flow {} {} entry={} kinds={:?} side={:?}\n",
                    u.label(),
                    u.loc.short(),
                    u.entry.unwrap_or("function"),
                    fl.kinds,
                    fl.side
                ));
                for (i, e) in fl.events.iter().enumerate() {
                    let f = &model.facts[e.fact];
                    // Events `#lo..#hi` run on other paths (the event's branch returned).
                    let mut exits = match e.elsewhere {
                        (lo, hi) if lo < hi => format!(" returns-before=#{lo}..#{hi}"),
                        _ => String::new(),
                    };
                    if let Some(lock) = e.held {
                        exits.push_str(&format!(
                            " held-by={}",
                            model.facts[lock as usize].loc.short()
                        ));
                    }
                    o.push_str(&format!(
                        "    #{i} {}{} {} tx={:?}{}{exits}\n",
                        "  ".repeat(e.depth as usize),
                        fact_name(f.fact),
                        f.loc.short(),
                        e.tx,
                        e.ctx.describe()
                    ));
                }
            }
        }
    }
    o
}
