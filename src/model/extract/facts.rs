//! Facts from one parsed file: the rules' combined query run once over the tree, each match
//! handed to the variants of its pattern, and the text scans for files with no tree.

use super::*;

/// Runs the language's combined query once and hands each match to the variants whose pattern
/// it is.
pub(super) fn run_query(
    rules: &RuleSet,
    q: &crate::rules::CombinedQuery,
    flat: &crate::pattern::Flat,
    src: &SourceText,
    entry: &FileEntry,
    code: Option<&CodeFile>,
    hits: &mut Vec<Hit>,
) -> Option<usize> {
    let names = q.query.capture_names();
    let scope_idx = q.query.capture_index_for_name("scope");
    let text = src.text.as_str();
    let (matches, stopped_at) = q.query.matches_in(flat, query_work_limit());
    let imports = import_ranges(flat.root());
    let mut scratch = Scratch::default();
    for m in &matches {
        // Facts read a callee's canonical chain, whatever the formatting (see `chain`).
        let callee_clean = m
            .captures
            .iter()
            .find(|(index, _)| names[usize::from(*index)] == "callee")
            .and_then(|&(_, at)| crate::model::chain::canonical_callee(flat.node(at), text));
        let mut caps = Caps::default();
        let mut match_node = None;
        let mut scope = None;
        for &(index, at) in &m.captures {
            let node = flat.node(at);
            let name = names[usize::from(index)].as_str();
            caps.set_if_absent(name, || match &callee_clean {
                Some(clean) if name == "callee" => clean.as_str(),
                _ => text.get(node.byte_range()).unwrap_or(""),
            });
            if index == q.match_capture && match_node.is_none() {
                match_node = Some((node, at));
            }
            if Some(index) == scope_idx && scope.is_none() {
                scope = Some(node.byte_range());
            }
        }
        let Some((node, at)) = match_node else {
            continue;
        };
        if inside_import(node, &imports) {
            continue;
        }
        caps.set("text", text.get(node.byte_range()).unwrap_or(""));
        if q.within_call[m.pattern] {
            caps.set(WITHIN_CALL, enclosing_callee(flat, at, text));
        }
        let callee = caps.get("callee").unwrap_or("");
        let whole = caps.get("text").unwrap_or("");
        let args_at = m
            .captures
            .iter()
            .find(|(index, _)| names[usize::from(*index)] == "args")
            .map(|&(_, at)| at);
        // The arguments with their local object variables written out, made only when a fact
        // that matched reads a value its own arguments lack (see `local_values`).
        let mut expanded: Option<Option<String>> = None;
        match q.dispatch(m.pattern, &rules.facts) {
            Some(d) => d.candidates(callee, whole, &mut scratch),
            None => scratch.ask_all(q.patterns[m.pattern].len()),
        }
        for (slot, &(fi, vi)) in q.patterns[m.pattern].iter().enumerate() {
            let variant = &rules.facts[fi].variants[vi];
            if !scratch.may[slot] {
                if crate::rules::re::crosschecking() {
                    verify_rejection(variant, callee, whole);
                }
                continue;
            }
            if let Some(mut values) = fact_values(variant, &caps) {
                let missing = || {
                    variant
                        .spec
                        .props
                        .iter()
                        .filter(|(name, p)| p.from == "args" && !values.contains_key(name))
                };
                if args_at.is_some() && missing().next().is_some() {
                    let x = expanded.get_or_insert_with(|| {
                        args_at.and_then(|a| crate::model::local_values::expand_args(flat, a, text))
                    });
                    if let Some(x) = x {
                        let found: Vec<(String, String)> = missing()
                            .filter_map(|(name, p)| Some((name.to_string(), prop_value(p, x)?)))
                            .collect();
                        for (name, v) in found {
                            values.insert(&name, v);
                        }
                    }
                }
                let (start, end) = (node.start_byte(), node.end_byte());
                let values = binding_values(values);
                hits.push(Hit {
                    fact: fi,
                    variant: vi,
                    start,
                    end,
                    scope: scope
                        .clone()
                        .map(|r| (r.start, r.end))
                        .unwrap_or((start, end)),
                    loc: fact_location(entry, src, start, end, &values),
                    unit: code.map(|c| c.unit_at(start)).unwrap_or(0),
                    values,
                });
            }
        }
    }
    stopped_at
}

/// A binding's values cut to what `refs` reads of it (`binds`, `name`, `entity`, `via`,
/// `ref_*`): bindings never reach checks or reports, and their match texts were most of the
/// extraction's memory on large repositories. Other facts' values are kept whole.
fn binding_values(values: Values) -> Values {
    if !crate::model::refs::BindingFact::is_binding(&values) {
        return values;
    }
    let mut kept = Values::new();
    for (k, v) in values.iter() {
        if matches!(k, "binds" | "name" | "entity" | "via") || k.starts_with("ref_") {
            kept.insert(k, v);
        }
    }
    kept.shrink();
    kept
}

/// Under the regex crosscheck, panics unless a variant the literal scan rejected fails its
/// first regex.
fn verify_rejection(v: &Variant, callee: &str, whole: &str) {
    let (target, re) = v
        .spec
        .first_regex()
        .expect("a rejected variant has a first regex");
    let text = first_regex_text(target, callee, whole);
    assert!(
        re.captures(text).is_none(),
        "the literal scan rejected {text:?}, which its regex matches"
    );
}

/// The text a first regex reads.
fn first_regex_text<'a>(target: Target, callee: &'a str, whole: &'a str) -> &'a str {
    match target {
        Target::Callee => callee,
        Target::Text => whole,
    }
}

/// Byte ranges of the file's import statements (always top level). Computed once per file:
/// `Node::parent` walks down from the root, so asking it per match is quadratic in wide trees.
fn import_ranges(root: tree_sitter::Node) -> Vec<(usize, usize)> {
    let mut c = root.walk();
    root.children(&mut c)
        .filter(|n| n.kind() == "import_statement")
        .map(|n| (n.start_byte(), n.end_byte()))
        .collect()
}

/// A name inside an import (`import { ConflictError } from`) is not a use of it.
fn inside_import(node: tree_sitter::Node, imports: &[(usize, usize)]) -> bool {
    let (s, e) = (node.start_byte(), node.end_byte());
    imports
        .iter()
        .any(|&(is, ie)| is <= s && e <= ie && (is, ie) != (s, e))
}

/// The callee text of the nearest call or `new` whose arguments contain `node`; empty at a
/// function boundary or when there is none. Bounded so deep nesting stays cheap.
fn enclosing_callee<'a>(flat: &crate::pattern::Flat, node: u32, text: &'a str) -> &'a str {
    let mut cur = node;
    for _ in 0..12 {
        let Some(at) = flat.parent(cur) else {
            break;
        };
        match flat.node(at).kind() {
            "arguments" => {
                if let Some(call) = flat.parent(at).map(|g| flat.node(g)) {
                    let f = call
                        .child_by_field_name("function")
                        .or_else(|| call.child_by_field_name("constructor"));
                    if let Some(f) = f {
                        return text.get(f.byte_range()).unwrap_or("");
                    }
                }
                return "";
            }
            "function_declaration"
            | "function_expression"
            | "arrow_function"
            | "method_definition"
            | "class_body"
            | "program" => return "",
            _ => cur = at,
        }
    }
    ""
}

/// One match's captured texts by capture name: a handful per match, so a list beats a map.
#[derive(Default)]
struct Caps<'a>(smallvec::SmallVec<[(&'a str, &'a str); 8]>);

impl<'a> Caps<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|&(_, t)| t)
    }

    /// Sets `name`, replacing any text it had.
    fn set(&mut self, name: &'a str, text: &'a str) {
        match self.0.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = text,
            None => self.0.push((name, text)),
        }
    }

    /// Sets `name` only when it has no text yet (a capture's first node wins).
    fn set_if_absent(&mut self, name: &'a str, text: impl FnOnce() -> &'a str) {
        if self.get(name).is_none() {
            self.0.push((name, text()));
        }
    }
}

/// A variant's predicates on one match; its values when they all hold.
fn fact_values(v: &Variant, caps: &Caps) -> Option<Values> {
    let spec = &v.spec;
    let whole = caps.get("text").unwrap_or("");
    let mut values = Values::new();
    if let Some((target, re)) = spec.first_regex() {
        let callee = caps.get("callee").unwrap_or("");
        let c = re.captures(first_regex_text(target, callee, whole))?;
        named_groups(re, &c, &mut values);
    }
    for (cap, re) in &spec.matches {
        let c = re.captures(caps.get(cap).unwrap_or(""))?;
        named_groups(re, &c, &mut values);
    }
    for (cap, re) in &spec.not_match {
        if re.is_match(caps.get(cap).unwrap_or("")) {
            return None;
        }
    }
    for (name, prop) in &spec.props {
        // A prop reads a capture, else a named group of the `call`/`match` regexes.
        let from = match caps.get(&prop.from) {
            Some(c) => Some(prop_value(prop, c)),
            None => values.get(&prop.from).map(|g| prop_value(prop, g)),
        };
        if let Some(Some(v)) = from {
            values.insert(name, v);
        }
    }
    for &(name, t) in &caps.0 {
        if name != "text" {
            values.insert_if_absent(name, cut(t));
        }
    }
    values.insert("text", cut(whole));
    values.shrink();
    Some(values)
}

/// Whether the byte at `pos` lies in a comment of the parsed file (comments are leaves).
fn in_comment(root: tree_sitter::Node, pos: usize) -> bool {
    root.descendant_for_byte_range(pos, pos)
        .is_some_and(|n| n.child_count() == 0 && n.kind().contains("comment"))
}

/// Regex matches of the variant's `scan` over the whole text; bounded so a pathological file
/// cannot flood the model.
pub(super) fn run_scan(
    (fi, vi): (usize, usize),
    fact: &Variant,
    src: &SourceText,
    entry: &FileEntry,
    code: Option<&CodeFile>,
    root: tree_sitter::Node,
    hits: &mut Vec<Hit>,
) {
    let Some(re) = fact.spec.scan.as_ref() else {
        return;
    };
    // A group named `at` places the fact: a constraint found by reading its whole `CREATE
    // TABLE` is quoted at its own line, not at the table's first.
    let at = re.names().iter().find(|(_, n)| n == "at").map(|(i, _)| *i);
    for c in re.captures_all(&src.text, 2000) {
        let whole = c.get(0).expect("group 0");
        let (start, end) = at.and_then(|i| c.range_of(i)).unwrap_or_else(|| c.range());
        // Text in a comment (a sandbox URL in a doc comment, commented-out SQL) is no fact.
        if in_comment(root, start) {
            continue;
        }
        let excluded = fact.spec.not_match.iter().any(|(cap, not)| {
            let group = match cap.as_str() {
                "match" | "text" => Some(whole),
                _ => re
                    .names()
                    .iter()
                    .find(|(_, n)| n == cap)
                    .and_then(|(i, _)| c.get(*i)),
            };
            group.is_some_and(|t| not.is_match(t))
        });
        if excluded {
            continue;
        }
        let mut values = Values::new();
        named_groups(re, &c, &mut values);
        for (name, prop) in &fact.spec.props {
            let from = if prop.from == "match" || prop.from == "text" {
                whole
            } else {
                values.get(&prop.from).unwrap_or("")
            };
            if let Some(v) = prop_value(prop, from) {
                values.insert(name, v);
            }
        }
        values.insert("text", cut(whole));
        values.shrink();
        hits.push(Hit {
            fact: fi,
            variant: vi,
            start,
            end,
            scope: (start, end),
            loc: fact_location(entry, src, start, end, &values),
            unit: code.map(|c| c.unit_at(start)).unwrap_or(0),
            values,
        });
    }
}

/// A prop's value from its source text: the first regex that matches gives its first group
/// (or the whole match), or the prop's fixed `value`.
fn prop_value(prop: &crate::rules::spec::PropSpec, from: &str) -> Option<String> {
    let c = prop.regex.items().iter().find_map(|re| re.captures(from))?;
    let v = match &prop.value {
        Some(v) => v.clone(),
        None => c
            .get(1)
            .or_else(|| c.get(0))
            .unwrap_or_default()
            .to_string(),
    };
    Some(cut(&v).to_string())
}

fn named_groups(re: &Re, c: &Groups, values: &mut Values) {
    for (i, name) in re.names() {
        if let Some(m) = c.get(*i) {
            values.insert(name, cut(m));
        }
    }
}
