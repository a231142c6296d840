//! A failing verdict's findings: one per failing flow (or, for checks about entities and
//! calls, per failing entity or call), each with the line that is wrong as its primary
//! location and the flow's root, guards elsewhere and entities as context. A new failing
//! flow is then a new finding, whatever the check's other flows did.

use super::template::{Binding, Item};
use super::{Engine, Found};
use crate::finding::{Evidence, Finding, Role};
use crate::source::Location;

/// Context locations kept per finding besides the primary one.
const MAX_CONTEXT: usize = 5;

/// Flow kinds in the order their defining event best names a flow's failing line: a create
/// flow's insert before its payment call.
const KIND_ORDER: [&str; 7] = [
    "create",
    "reschedule",
    "cancel",
    "confirm",
    "payment",
    "webhook",
    "cleanup",
];

/// Marks what a flow quantifier found in flow `fi` (its evidence and bindings) as found there.
pub(super) fn tag_flow(found: &mut Found, fi: usize) {
    let tag = |i: &mut Item| {
        i.flow.get_or_insert(fi);
    };
    found.evidence.iter_mut().for_each(tag);
    for b in found.binds.values_mut() {
        b.items.iter_mut().chain(b.failing.iter_mut()).for_each(tag);
    }
}

/// The role a check-level evidence location has: primary when a finding's primary location is
/// there, else the role a finding gives it, else the item's own.
pub(super) fn role_in(findings: &[Finding], loc: &Location, role: Role) -> Role {
    let at = |e: &&Evidence| same_place(&e.loc, loc);
    let primary = findings.iter().filter_map(Finding::primary).any(|p| at(&p));
    let in_finding = findings.iter().flat_map(|f| f.evidence.iter()).find(at);
    match in_finding {
        _ if primary => Role::Primary,
        Some(e) => e.role,
        None => role,
    }
}

/// The items a detail line's placeholders name, per placeholder, in order: a binding's failing
/// items for `.failing` and `.failing_locs`, its items otherwise; counts name none.
fn named<'b>(
    binds: &'b std::collections::BTreeMap<String, Binding>,
    detail: &str,
) -> Vec<&'b [Item]> {
    crate::rules::compile::placeholders(detail)
        .into_iter()
        .filter_map(|p| {
            let b = binds.get(p.name)?;
            match p.attr {
                Some("n" | "m" | "count") => None,
                Some("failing" | "failing_locs") => Some(b.failing.as_slice()),
                _ => Some(b.items.as_slice()),
            }
        })
        .collect()
}

fn same_place(a: &Location, b: &Location) -> bool {
    a.path == b.path && a.line == b.line
}

/// Appends `e` unless a location on the same line is already there.
fn push(out: &mut Vec<Evidence>, loc: &Location, role: Role) {
    if !out.iter().any(|e| same_place(&e.loc, loc)) {
        out.push(Evidence {
            loc: loc.clone(),
            role,
        });
    }
}

impl Engine<'_> {
    /// The findings of a failing outcome whose condition found `found` and whose detail line
    /// is `detail`.
    pub(super) fn findings(&self, found: &Found, detail: &str) -> Vec<Finding> {
        let named = named(&found.binds, detail);
        let flows = failing_flows(&named, &found.evidence);
        let mut out: Vec<Vec<Evidence>> = if flows.is_empty() {
            located_findings(&named, &found.evidence)
        } else {
            flows
                .iter()
                .map(|&fi| self.flow_finding(fi, &flows, &named, &found.evidence))
                .collect()
        };
        out.retain(|f| !f.is_empty());
        let mut findings: Vec<Finding> = Vec::new();
        for evidence in out {
            let key = |f: &[Evidence]| -> Vec<(String, usize)> {
                f.iter()
                    .filter(|e| matches!(e.role, Role::Primary | Role::FlowRoot))
                    .map(|e| (e.loc.path.to_string(), e.loc.line))
                    .collect()
            };
            if !findings.iter().any(|f| key(&f.evidence) == key(&evidence)) {
                findings.push(Finding {
                    fingerprint: String::new(),
                    evidence,
                    suppressed: None,
                    baseline: None,
                });
            }
        }
        if findings.is_empty() {
            // A failure that quotes nothing is still one finding.
            findings.push(Finding {
                fingerprint: String::new(),
                evidence: vec![],
                suppressed: None,
                baseline: None,
            });
        }
        findings
    }

    /// One failing flow's finding: its wrong line, its root, what else was found in it, and
    /// the context found outside the failing flows.
    fn flow_finding(
        &self,
        fi: usize,
        flows: &[usize],
        named: &[&[Item]],
        when: &[Item],
    ) -> Vec<Evidence> {
        let own: Vec<&Item> = when
            .iter()
            .chain(named.iter().flat_map(|s| s.iter()))
            .filter(|i| i.flow == Some(fi) && i.loc.is_some())
            .collect();
        let primary = own
            .iter()
            .find(|i| i.role == Role::Related)
            .map(|i| (*i).clone())
            .or_else(|| self.anchor(fi));
        let root = self.flow_label(fi);
        let mut ev = Vec::new();
        match primary.as_ref().and_then(|p| p.loc.as_ref()) {
            Some(p) => push(&mut ev, p, Role::Primary),
            None => push(
                &mut ev,
                root.loc.as_ref().expect("a flow root has a location"),
                Role::Primary,
            ),
        }
        if let Some(l) = &root.loc {
            push(&mut ev, l, Role::FlowRoot);
        }
        for i in &own {
            if ev.len() > MAX_CONTEXT {
                break;
            }
            if let Some(l) = &i.loc
                && i.role != Role::FlowRoot
            {
                push(&mut ev, l, i.role);
            }
        }
        // Context outside the failing flows: what the deciding condition found elsewhere is a
        // guard that does not protect this flow (a capacity check on another path, a check in
        // client code); entities stay entities; the rest is related.
        let outside =
            |i: &&Item| i.flow.is_none_or(|f| !flows.contains(&f)) && i.role != Role::FlowRoot;
        let context = when
            .iter()
            .filter(outside)
            .map(|i| {
                (
                    i,
                    if i.role == Role::Related {
                        Role::Guard
                    } else {
                        i.role
                    },
                )
            })
            .chain(
                named
                    .iter()
                    .flat_map(|s| s.iter())
                    .filter(outside)
                    .map(|i| {
                        let role = match (i.role, i.flow) {
                            (Role::Related, Some(_)) => Role::Guard,
                            (r, _) => r,
                        };
                        (i, role)
                    }),
            );
        for (i, role) in context {
            if ev.len() > MAX_CONTEXT {
                break;
            }
            if let Some(l) = &i.loc {
                push(&mut ev, l, role);
            }
        }
        ev
    }

    /// The event that makes flow `fi` what it is (a create flow's insert): its wrong line
    /// when the failure is something missing from it.
    fn anchor(&self, fi: usize) -> Option<Item> {
        let flow = &self.model.flows[fi];
        let kinds = KIND_ORDER
            .iter()
            .map(|k| k.to_string())
            .chain(self.rules.model.flow_kinds.keys().cloned());
        for k in kinds {
            if !flow.kinds.contains(&k) {
                continue;
            }
            let Some(def) = self.rules.model.flow_kinds.get(&k) else {
                continue;
            };
            let f = self.flow(fi, def, 1);
            if let Some(i) = f
                .evidence
                .into_iter()
                .find(|i| i.loc.is_some() && i.role != Role::FlowRoot)
            {
                return Some(i);
            }
        }
        None
    }
}

/// The flows a failure is about, in order: those whose roots the detail names (a quantifier's
/// failing flows, or the flows a `some_flow` found), else those the named items or the
/// deciding condition's evidence were found in.
fn failing_flows(named: &[&[Item]], when: &[Item]) -> Vec<usize> {
    let mut flows: Vec<usize> = Vec::new();
    let mut add = |f: usize| {
        if !flows.contains(&f) {
            flows.push(f);
        }
    };
    let all_named = || named.iter().flat_map(|s| s.iter());
    let roots: Vec<usize> = all_named()
        .filter(|i| i.role == Role::FlowRoot)
        .filter_map(|i| i.flow)
        .collect();
    if !roots.is_empty() {
        roots.into_iter().for_each(&mut add);
    } else if all_named().any(|i| i.flow.is_some()) {
        all_named().filter_map(|i| i.flow).for_each(&mut add);
    } else {
        when.iter().filter_map(|i| i.flow).for_each(&mut add);
    }
    flows
}

/// Findings of a failure about no flow: each call or write the detail names (or the deciding
/// condition found) is one, with the entities as context; when only entities are named, each
/// entity of the first named list is one.
fn located_findings(named: &[&[Item]], when: &[Item]) -> Vec<Vec<Evidence>> {
    let sources: Vec<&[Item]> = named.iter().copied().chain([when]).collect();
    let is_fact = |i: &Item| i.role != Role::Entity && i.loc.is_some();
    let Some(first) = sources
        .iter()
        .find(|s| s.iter().any(is_fact))
        .or_else(|| sources.iter().find(|s| s.iter().any(|i| i.loc.is_some())))
    else {
        return vec![];
    };
    let facts = first.iter().any(is_fact);
    let mut primaries: Vec<&Item> = first
        .iter()
        .filter(|i| i.loc.is_some() && (!facts || is_fact(i)))
        .collect();
    if !facts {
        // Entity items may be its fields or constraints: one finding per entity.
        let mut seen: Vec<Option<&str>> = Vec::new();
        primaries.retain(|i| {
            let e = i.values.get("entity");
            !seen.contains(&e) && {
                seen.push(e);
                true
            }
        });
    }
    // Context: what the other lists hold, and the entities beside the calls of the first one
    // (not the other fields of a failing entity).
    let context: Vec<&Item> = sources
        .iter()
        .filter(|s| !std::ptr::eq(s.as_ptr(), first.as_ptr()))
        .flat_map(|s| s.iter())
        .chain(first.iter().filter(|i| facts && !is_fact(i)))
        .filter(|i| i.loc.is_some())
        .collect();
    primaries
        .iter()
        .map(|p| {
            let mut ev = Vec::new();
            push(&mut ev, p.loc.as_ref().expect("located"), Role::Primary);
            for i in &context {
                if ev.len() > MAX_CONTEXT {
                    break;
                }
                push(&mut ev, i.loc.as_ref().expect("located"), i.role);
            }
            ev
        })
        .collect()
}
