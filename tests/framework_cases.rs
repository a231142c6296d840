//! Runs the cases each `rules/frameworks/*.yaml` file carries: the flows its inline files give
//! must start at the entry kinds the case names (CHECKS.md edge cases 18 and 20).

use booking_audit::{AuditOptions, analyse, rules};
use std::collections::BTreeMap;

#[test]
fn every_framework_names_its_entry_points() {
    let set = rules::load(None).expect("built-in rules load");
    assert!(
        !set.entries.cases.is_empty(),
        "no framework file carries cases"
    );
    let mut failures = Vec::new();
    for (path, case) in &set.entries.cases {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in &case.files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let opts = AuditOptions {
            include: vec![],
            exclude: vec![],
            display_root: ".",
        };
        let (_, model) = analyse(dir.path(), &set, &opts);
        let got: BTreeMap<String, &str> = model
            .flows
            .iter()
            .map(|f| {
                let u = &model.units[f.root];
                (u.label(), u.entry.unwrap_or("function"))
            })
            .collect();
        for (label, side) in &case.sides {
            let found = model
                .flows
                .iter()
                .find(|f| &model.units[f.root].label() == label)
                .map(|f| format!("{:?}", f.side).to_lowercase());
            if found.as_deref() != Some(side.as_str()) {
                failures.push(format!(
                    "{path}: {}: flow {label:?}: expected side {side}, got {found:?}",
                    case.name
                ));
            }
        }
        for (label, kind) in &case.flows {
            match got.get(label) {
                // `none`: no flow starts there.
                None if kind == "none" => {}
                Some(k) if k == kind => {}
                other => failures.push(format!(
                    "{path}: {}: flow {label:?}: expected entry {kind}, got {other:?} (flows: {got:?})",
                    case.name
                )),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
