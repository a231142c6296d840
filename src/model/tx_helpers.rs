//! Transactions opened through a helper (`runSerializable(async (tx) => ...)`): the helper's
//! own transaction covers the callback written at each of its calls.

use super::RepoModel;
use super::flows::Region;
use super::resolve::split_args;

/// Transactions opened through a helper: a function that calls its own callback parameter
/// inside a transaction (`const inTx = (op) => db.transaction(async (tx) => op(tx))`, with
/// isolation, retries or locks around it). At each call of it, the callback written inline
/// runs in that transaction, through its first parameter: `inTx(async (tx) => { ... })`.
/// The callback is the argument in the place of the parameter the helper calls, first or not
/// (`withLocked(args, (tx, row) => apply(tx, row))`).
pub(super) fn wrapper_regions(model: &RepoModel, regions: &[Region]) -> Vec<Region> {
    let mut wrappers: Vec<Option<usize>> = vec![None; model.units.len()];
    for r in regions {
        let u = &model.units[r.unit];
        let Some(code) = model.files[u.file].code.as_ref() else {
            continue;
        };
        if u.params.is_empty() || wrappers[r.unit].is_some() {
            continue;
        }
        wrappers[r.unit] = code
            .calls
            .iter()
            .filter(|c| {
                c.unit == u.local && c.receiver.is_none() && (r.start..r.end).contains(&c.pos)
            })
            .find_map(|c| u.params.iter().position(|p| *p == c.name));
    }
    let mut out = Vec::new();
    for (caller, edges) in model.calls.iter().enumerate() {
        for e in edges.iter() {
            let Some(index) = wrappers[e.target] else {
                continue;
            };
            let Some(arg) = split_args(&e.args).get(index).copied() else {
                continue;
            };
            let (client, ambient) = match inline_callback_param(arg) {
                Some(client) => (Some(client), false),
                None if takes_no_params(arg) => (None, true),
                None => continue,
            };
            out.push(Region {
                unit: caller,
                start: e.pos,
                end: e.end,
                client,
                ambient,
            });
        }
    }
    out
}

/// The first parameter of a function written inline as a call's argument:
/// `async (tx, ctx) => ...`, `tx => ...`, `async function (tx) {...`.
fn inline_callback_param(arg: &str) -> Option<String> {
    let (mut s, _) = parameter_list(arg);
    let parenthesised = s.starts_with('(');
    s = s.trim_start_matches('(').trim_start();
    let name: String = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
        .collect();
    if name.is_empty() || name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let after = s[name.len()..].trim_start();
    // `(tx) =>`, `(tx, ctx) =>`, `(tx: Tx) =>`, `tx =>`: a parameter, not an argument value.
    let is_param = if parenthesised {
        after.starts_with([')', ',', ':', '='])
    } else {
        after.starts_with("=>")
    };
    is_param.then_some(name)
}

/// A function written inline with no parameters: `async () => ...`, `() => ...`,
/// `function () {...`. A transaction helper that calls it hands it no client, so the
/// transaction it opens is ambient.
fn takes_no_params(arg: &str) -> bool {
    let (s, function) = parameter_list(arg);
    let Some(rest) = s.strip_prefix('(').map(str::trim_start) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(')') else {
        return false;
    };
    function || rest.trim_start().starts_with("=>")
}

/// An inline function's text from its parameter list on (`async`, `function name` dropped),
/// and whether it was written with `function`.
fn parameter_list(arg: &str) -> (&str, bool) {
    let mut s = arg.trim_start();
    if let Some(rest) = s.strip_prefix("async") {
        s = rest.trim_start();
    }
    match s.strip_prefix("function") {
        Some(rest) => {
            let rest = rest
                .trim_start()
                .trim_start_matches(|c: char| c.is_alphanumeric() || c == '_' || c == '$');
            (rest.trim_start(), true)
        }
        None => (s, false),
    }
}

#[cfg(test)]
mod tests {
    use super::{inline_callback_param, takes_no_params};

    #[test]
    fn a_callback_without_parameters_takes_no_client() {
        assert!(takes_no_params("async () => { await repo.insert(a) }"));
        assert!(takes_no_params("() => save()"));
        assert!(takes_no_params("async function () { }"));
        assert!(!takes_no_params("async (tx) => {}"));
        assert!(!takes_no_params("(a + b)"));
        assert!(!takes_no_params("()"));
    }

    #[test]
    fn the_inline_callback_names_its_transaction_client() {
        let p = |s: &str| inline_callback_param(s);
        assert_eq!(
            p("async (tx, salon) => { await tx.insert(a) }"),
            Some("tx".into())
        );
        assert_eq!(p("tx => tx.insert(a)"), Some("tx".into()));
        assert_eq!(p("async (trx: Knex.Transaction) => {}"), Some("trx".into()));
        assert_eq!(p("async function (client) { }"), Some("client".into()));
        assert_eq!(p("bookingId"), None);
        assert_eq!(p("(a + b) * 2"), None);
        assert_eq!(p(""), None);
    }
}
