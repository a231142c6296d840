//! A developer's view of the model on stderr, for working out why a check decided as it did
//! on a real repository: `BOOKING_AUDIT_DUMP=<text>` prints every flow whose root label
//! contains the text (`*` for all), with its kinds and its ordered fact events;
//! `BOOKING_AUDIT_DUMP=entities` prints the entities and their kinds instead.

use crate::model::RepoModel;
use crate::rules::RuleSet;

pub fn flows(model: &RepoModel, rules: &RuleSet) {
    let Some(filter) = std::env::var_os("BOOKING_AUDIT_DUMP") else {
        return;
    };
    let filter = filter.to_string_lossy();
    if filter == "entities" {
        for e in &model.entities {
            let fields: Vec<&str> = e.fields.iter().map(|f| f.name.as_str()).collect();
            eprintln!(
                "entity {} key={} kind={:?} aliases={:?} fields=[{}]",
                e.name,
                e.key,
                e.kind,
                e.aliases,
                fields.join(",")
            );
        }
        return;
    }
    for flow in &model.flows {
        let label = model.units[flow.root].label();
        if filter != "*" && !label.contains(filter.as_ref()) {
            continue;
        }
        let kinds: Vec<&str> = flow.kinds.iter().map(String::as_str).collect();
        eprintln!(
            "flow {label} ({}) entry={} side={:?} kinds=[{}]",
            model.units[flow.root].loc.path,
            model.units[flow.root].entry.unwrap_or("function"),
            flow.side,
            kinds.join(",")
        );
        for ev in &flow.events {
            let f = &model.facts[ev.fact];
            let name = rules.facts.get(f.fact).map_or("builtin", |x| x.id.as_str());
            let values: Vec<String> = f
                .values
                .iter()
                .map(|(k, v)| format!("{k}={}", one_line(v)))
                .collect();
            eprintln!(
                "  {}{name} {}:{} tx={:?} {}",
                "  ".repeat(ev.depth as usize),
                f.loc.path,
                f.loc.line,
                ev.tx,
                values.join(" ")
            );
        }
    }
}

/// A value on one line, cut to a readable length.
fn one_line(v: &str) -> String {
    let flat: String = v.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &flat[..i]),
        None => flat,
    }
}
