//! Functions passed by name to a repository function that calls them:
//! `runJob('reconcile', reconcilePayments)` where `runJob(name, core)` calls `core()` (or
//! hands `core` on to another function that does). The call of the helper is then also a
//! call of the function passed, at the same place, so the flow follows it; the edge records
//! where the helper calls it (`Edge::runs_at`), so the function passed runs in the
//! transaction the helper opens around that call.

use super::{Edge, Index};
use crate::intern::intern;
use crate::model::RepoModel;
use crate::model::code::Call;
use std::collections::HashMap;

/// Rounds of handing a parameter on (`runJob` -> `withLock` -> `core(tx)`).
const MAX_HOPS: usize = 4;

/// The arguments of a call's text (`('a', fn, { x })`), split at its top-level commas.
pub(crate) fn split_args(args: &str) -> Vec<&str> {
    let inner = args.trim();
    let Some(inner) = inner.strip_prefix('(') else {
        return vec![];
    };
    let inner = inner.strip_suffix(')').unwrap_or(inner);
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let mut prev = ' ';
    for (i, ch) in inner.char_indices() {
        match quote {
            Some(q) => {
                if ch == q && prev != '\\' {
                    quote = None;
                }
            }
            None => match ch {
                '\'' | '"' | '`' => quote = Some(ch),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth -= 1,
                ',' if depth == 0 => {
                    out.push(inner[start..i].trim());
                    start = i + 1;
                }
                _ => {}
            },
        }
        prev = ch;
    }
    let last = inner[start..].trim();
    if !last.is_empty() {
        out.push(last);
    }
    out
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
        && !matches!(s, "this" | "null" | "undefined" | "true" | "false")
}

/// Adds, at each call of a function that calls one of its parameters, an edge to the
/// function its caller passes there by name.
pub(super) fn add_edges(model: &RepoModel, ix: &Index, edges: &mut [Vec<Edge>]) {
    let units = &model.units;
    // Per unit, a bit per parameter it calls (directly, or by handing it on), and where the
    // first such call is (unit, position).
    let mut invokes = vec![0u64; units.len()];
    let mut runs_at: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
    for file in &model.files {
        let Some(code) = &file.code else { continue };
        for c in code.calls.iter().filter(|c| c.receiver.is_none()) {
            let u = file.unit_base + c.unit;
            if let Some(i) = units[u].params.iter().position(|p| *p == c.name)
                && i < 64
            {
                invokes[u] |= 1 << i;
                runs_at.entry((u, i)).or_insert((u, c.pos));
            }
        }
    }
    if invokes.iter().all(|&b| b == 0) {
        return;
    }
    for _ in 0..MAX_HOPS {
        let mut changed = false;
        for (u, out) in edges.iter().enumerate() {
            for e in out {
                let called = invokes[e.target];
                if called == 0 {
                    continue;
                }
                let args = split_args(&e.args);
                for (j, a) in args.iter().enumerate().take(64) {
                    if called & (1 << j) == 0 {
                        continue;
                    }
                    if let Some(i) = units[u].params.iter().position(|p| p == a)
                        && i < 64
                        && invokes[u] & (1 << i) == 0
                    {
                        invokes[u] |= 1 << i;
                        if let Some(&at) = runs_at.get(&(e.target, j)) {
                            runs_at.insert((u, i), at);
                        }
                        changed = true;
                    }
                }
            }
        }
        if !changed {
            break;
        }
    }
    for u in 0..edges.len() {
        let file = units[u].file;
        let mut added = Vec::new();
        for e in edges[u].iter().filter(|e| invokes[e.target] != 0) {
            for (j, a) in split_args(&e.args).into_iter().enumerate().take(64) {
                if invokes[e.target] & (1 << j) == 0
                    || !is_identifier(a)
                    || units[u].params.contains(&a)
                {
                    continue;
                }
                let call = Call {
                    unit: units[u].local,
                    pos: e.pos,
                    end: e.end,
                    name: intern(a),
                    receiver: None,
                    args: 0..0,
                };
                for target in ix.targets(file, &call) {
                    if target != u
                        && !added
                            .iter()
                            .any(|x: &Edge| x.target == target && x.pos == e.pos)
                    {
                        added.push(Edge {
                            pos: e.pos,
                            end: e.end,
                            target,
                            args: "".into(),
                            alt: false,
                            runs_at: runs_at.get(&(e.target, j)).copied(),
                        });
                    }
                }
            }
        }
        if !added.is_empty() {
            edges[u].extend(added);
            edges[u].sort_by_key(|e| e.pos);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::split_args;

    #[test]
    fn arguments_split_at_top_level_commas() {
        assert_eq!(
            split_args("('a, b', run, { x: f(1, 2) })"),
            ["'a, b'", "run", "{ x: f(1, 2) }"]
        );
        assert_eq!(split_args("(core)"), ["core"]);
        assert!(split_args("()").is_empty());
    }
}
