//! What a module takes from and gives to others: imports, `require`, exports, re-exports,
//! `module.exports`, and module-level instances (`const db = new Client()`).

use super::*;

pub(super) fn record_import(node: Node, src: &str, file: &mut CodeFile) {
    let Some(source) = node
        .child_by_field_name("source")
        .map(|s| unquote(text(s, src)))
    else {
        return;
    };
    let mut c = node.walk();
    for child in node.named_children(&mut c) {
        if child.kind() != "import_clause" {
            continue;
        }
        let mut cc = child.walk();
        for part in child.named_children(&mut cc) {
            match part.kind() {
                "identifier" => file
                    .imports
                    .push(Import::new(text(part, src), "default", &source)),
                "namespace_import" => {
                    if let Some(id) = part.named_child(0) {
                        file.imports.push(Import::new(text(id, src), "*", &source));
                    }
                }
                "named_imports" => {
                    let mut sc = part.walk();
                    for spec in part
                        .named_children(&mut sc)
                        .filter(|s| s.kind() == "import_specifier")
                    {
                        let name = spec
                            .child_by_field_name("name")
                            .map(|n| text(n, src).to_string())
                            .unwrap_or_default();
                        let local = spec
                            .child_by_field_name("alias")
                            .map(|n| text(n, src).to_string())
                            .unwrap_or_else(|| name.clone());
                        file.imports.push(Import::new(&local, &name, &source));
                    }
                }
                _ => {}
            }
        }
    }
}

pub(super) fn record_export(node: Node, src: &str, file: &mut CodeFile) {
    let source = node
        .child_by_field_name("source")
        .map(|s| unquote(text(s, src)));
    let t = text(node, src);
    if let Some(source) = source {
        let mut c = node.walk();
        let mut any_clause = false;
        for child in node.named_children(&mut c) {
            if child.kind() == "export_clause" {
                any_clause = true;
                let mut sc = child.walk();
                for spec in child
                    .named_children(&mut sc)
                    .filter(|s| s.kind() == "export_specifier")
                {
                    let name = spec
                        .child_by_field_name("name")
                        .map(|n| text(n, src).to_string())
                        .unwrap_or_default();
                    let alias = spec
                        .child_by_field_name("alias")
                        .map(|n| text(n, src).to_string())
                        .unwrap_or_else(|| name.clone());
                    file.reexports.push(ReExport::new(&alias, &name, &source));
                }
            }
        }
        if !any_clause {
            file.reexports.push(ReExport::new("*", "*", &source));
        }
    } else if t.starts_with("export default")
        && let Some(v) = node.child_by_field_name("value")
        && v.kind() == "identifier"
    {
        file.default_export_name = Some(text(v, src).to_string());
    }
}

/// `module.exports = BookingManager`: CommonJS's default export.
pub(super) fn record_module_exports(node: Node, src: &str, file: &mut CodeFile) {
    let side = |f: &str| {
        node.child_by_field_name(f)
            .map(|n| (n.kind(), text(n, src)))
    };
    if let (Some((_, "module.exports")), Some(("identifier", name))) = (side("left"), side("right"))
    {
        file.default_export_name = Some(name.to_string());
    }
}

/// `const DatabaseClient = new Client()` at module level.
pub(super) fn record_instance(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
    let (Some(name), Some(value)) = (child(node, g.name), child(node, g.value)) else {
        return;
    };
    if name.kind() != "identifier" || value.kind() != "new_expression" {
        return;
    }
    if let Some(class) = value
        .child_by_field_name("constructor")
        .filter(|c| c.kind() == "identifier")
    {
        file.instances
            .push((text(name, src).to_string(), text(class, src).to_string()));
    }
}

/// `const svc = new Checkout(...)` or `svc = new ManualCheckout(...)` in a function: which
/// class a later `svc.m()` runs. The right side may be a ternary of two constructions.
pub(super) fn record_local_new(
    g: &Grammar,
    node: Node,
    src: &str,
    unit: usize,
    file: &mut CodeFile,
) {
    let (name, value) = match (child(node, g.name), child(node, g.value)) {
        (Some(n), Some(v)) => (n, v),
        _ => match (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) {
            (Some(n), Some(v)) => (n, v),
            _ => return,
        },
    };
    if name.kind() != "identifier" {
        return;
    }
    let mut values = vec![value];
    if value.kind() == "ternary_expression" {
        values = [g.consequence, g.alternative]
            .into_iter()
            .filter_map(|f| child(value, f))
            .collect();
    }
    for v in values {
        let v = if v.kind() == "parenthesized_expression" {
            v.named_child(0).unwrap_or(v)
        } else {
            v
        };
        if v.kind() != "new_expression" {
            continue;
        }
        if let Some(class) = v
            .child_by_field_name("constructor")
            .filter(|c| c.kind() == "identifier")
        {
            file.local_news.push(LocalNew {
                unit,
                pos: v.start_byte(),
                name: crate::intern::intern(text(name, src)),
                class: crate::intern::intern(text(class, src)),
            });
        }
    }
}

/// `export const POST = withErrorHandler(handler)`: the functions an exported wrapper call
/// takes by name (through nested wrappers, `withAuth(withLimit(handler))`) run as the export:
/// (handler, POST).
pub(super) fn record_export_alias(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
    let (Some(name), Some(value)) = (child(node, g.name), child(node, g.value)) else {
        return;
    };
    let exported = node
        .parent()
        .and_then(|d| d.parent())
        .is_some_and(|s| s.kind() == "export_statement");
    if !exported || name.kind() != "identifier" || value.kind() != "call_expression" {
        return;
    }
    let export = text(name, src);
    let mut calls = vec![value];
    // Wrappers nest a few deep at most; the bound keeps a pathological chain cheap.
    while let Some(call) = calls.pop().filter(|_| file.export_aliases.len() < 64) {
        let Some(args) = child(call, g.arguments) else {
            continue;
        };
        let mut c = args.walk();
        for a in args.named_children(&mut c) {
            match a.kind() {
                "identifier" => file
                    .export_aliases
                    .push((text(a, src).to_string(), export.to_string())),
                "call_expression" => calls.push(a),
                _ => {}
            }
        }
    }
}

/// `const x = require('./y')` and `const { a, b } = require('./y')`.
pub(super) fn record_require(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
    let Some(value) = child(node, g.value) else {
        return;
    };
    if value.kind() != "call_expression" {
        return;
    }
    let callee = child(value, g.function).map(|f| text(f, src)).unwrap_or("");
    if callee != "require" {
        return;
    }
    let Some(source) = child(value, g.arguments)
        .and_then(|a| a.named_child(0))
        .filter(|a| a.kind() == "string")
        .map(|a| unquote(text(a, src)))
    else {
        return;
    };
    let Some(name) = child(node, g.name) else {
        return;
    };
    match name.kind() {
        "identifier" => file
            .imports
            .push(Import::new(text(name, src), "*", &source)),
        "object_pattern" => {
            let mut c = name.walk();
            for p in name.named_children(&mut c) {
                match p.kind() {
                    "shorthand_property_identifier_pattern" => {
                        let n = text(p, src).to_string();
                        file.imports.push(Import::new(&n, &n, &source));
                    }
                    "pair_pattern" => {
                        let k = p
                            .child_by_field_name("key")
                            .map(|n| text(n, src).to_string())
                            .unwrap_or_default();
                        let v = p
                            .child_by_field_name("value")
                            .map(|n| text(n, src).to_string())
                            .unwrap_or_default();
                        file.imports.push(Import::new(&v, &k, &source));
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// `const HANDLERS = { "charge.failed": onFailed, onPaid }`: an object whose values name
/// functions (two at least: one is a record, not a dispatch), and `const handler =
/// HANDLERS[type]`: a local taken out of an object by a computed key.
pub(super) fn record_handler_map(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
    let (Some(name), Some(mut value)) = (child(node, g.name), child(node, g.value)) else {
        return;
    };
    if name.kind() != "identifier" {
        return;
    }
    // `{...} as const`, `{...} satisfies Handlers`.
    while matches!(
        value.kind(),
        "as_expression" | "satisfies_expression" | "parenthesized_expression"
    ) {
        let Some(inner) = value.named_child(0) else {
            return;
        };
        value = inner;
    }
    match value.kind() {
        "object" => {
            let mut fns = Vec::new();
            let mut c = value.walk();
            for p in value.named_children(&mut c) {
                let f = match p.kind() {
                    "pair" => child(p, g.value).filter(|v| v.kind() == "identifier"),
                    "shorthand_property_identifier" => Some(p),
                    _ => None,
                };
                if let Some(f) = f {
                    fns.push(text(f, src).to_string());
                }
            }
            if fns.len() >= 2 {
                file.handler_maps.push((text(name, src).to_string(), fns));
            }
        }
        "subscript_expression" => {
            if let Some(o) = child(value, g.object).filter(|o| o.kind() == "identifier") {
                file.map_lookups
                    .push((text(name, src).to_string(), text(o, src).to_string()));
            }
        }
        _ => {}
    }
}
