//! Which functions exported by name no module imports: `export function legacyCreate()`
//! kept for callers that are gone, or only for tests (test files are not walked). Such a
//! function runs for no request and no job, so it starts no flow (CHECKS.md edge case 18).
//!
//! Conservative by construction: only `.ts` files are judged (JSX renders a component by
//! a name no call records); a module imported whole (`import * as m`, `require`, a
//! dynamic `import()`, `export * from`: links of `*`), or whose default export is imported (it
//! may be an object of the module's functions), uses every export; a name imported from a specifier
//! that resolves to no walked file (a package, an unknown alias) is taken as used wherever it
//! is defined; a name passed as a value in its own file (`register(handler)`) is used.

use super::Index;
use crate::model::RepoModel;
use std::collections::HashSet;

/// Per unit (global index): exported by name where it is declared, and imported by none.
pub(super) fn unimported_exports<'a>(model: &'a RepoModel, ix: &Index<'a>) -> Vec<bool> {
    let mut whole: HashSet<usize> = HashSet::new();
    let mut named: HashSet<(usize, &str)> = HashSet::new();
    let mut unresolved: HashSet<&str> = HashSet::new();
    for (fi, f) in model.files.iter().enumerate() {
        let Some(code) = &f.code else { continue };
        for link in code.imports.iter().chain(&code.reexports) {
            match (ix.module(fi, link.source), link.imported) {
                // A default export may be an object of the module's functions
                // (`export default { createBooking }`), used as `svc.createBooking()`.
                (Some(t), "*" | "default") => {
                    whole.insert(t);
                }
                (Some(t), name) => {
                    named.insert((t, name));
                }
                (None, name) => {
                    unresolved.insert(name);
                }
            }
        }
    }
    let mut out = vec![false; model.units.len()];
    for (u, unit) in model.units.iter().enumerate() {
        let file = &model.files[unit.file];
        // JSX renders a component by its name (`<Stats />`), which no call or import records:
        // only TypeScript files, which hold no JSX, are judged.
        if file.lang != crate::lang::Lang::Ts {
            continue;
        }
        let Some(code) = &file.code else { continue };
        let Some(decl) = code.units.get(unit.local) else {
            continue;
        };
        if !decl.named_export
            || whole.contains(&unit.file)
            || named.contains(&(unit.file, unit.name))
            || unresolved.contains(unit.name)
            || passed_as_value(&code.call_args, unit.name)
        {
            continue;
        }
        out[u] = true;
    }
    out
}

/// Whether `name` is a whole word of some call's arguments in the file (each argument list
/// as the file keeps it: its first 300 bytes).
fn passed_as_value(args: &str, name: &str) -> bool {
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    args.match_indices(name)
        .any(|(i, _)| !args[..i].ends_with(word) && !args[i + name.len()..].starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::passed_as_value;

    #[test]
    fn a_name_is_a_whole_word_of_the_arguments() {
        assert!(passed_as_value("'/x', createBooking", "createBooking"));
        assert!(!passed_as_value(
            "createBookingFromHold(x)",
            "createBooking"
        ));
        assert!(!passed_as_value("precreateBooking", "createBooking"));
    }
}
