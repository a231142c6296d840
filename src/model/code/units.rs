//! Naming a function-like node: its name, the class or object it belongs to, the route or
//! entry it serves, its parameters.

use super::*;

pub(super) fn is_named_member(node: Node) -> bool {
    if matches!(
        node.kind(),
        "function_declaration" | "generator_function_declaration" | "method_definition"
    ) {
        return true;
    }
    let mut p = node.parent();
    while let Some(parent) = p {
        match parent.kind() {
            "parenthesized_expression" | "as_expression" | "satisfies_expression" => {
                p = parent.parent();
            }
            "pair" | "variable_declarator" => return true,
            _ => return false,
        }
    }
    false
}

pub(super) fn describe_unit(node: Node, src: &str, entries: &Entries) -> Unit {
    let mut name = None;
    let mut container = None;
    let mut route = None;
    let mut entry = None;
    let mut default_export = false;
    let mut named_export = false;
    if let Some(n) = node.child_by_field_name("name") {
        name = Some(unquote(text(n, src)));
    }
    if node.kind() == "method_definition" {
        (route, entry) = decorator_route(node, src, entries);
        let (c, prefix) = enclosing_container(node, src);
        container = c;
        if let (Some(r), Some(p)) = (&route, prefix) {
            route = Some(format!("{r} {p}"));
        }
    }
    // Climb through wrappers to find a declarator, pair or router call that names the unit.
    let mut p = node.parent();
    let mut steps = 0;
    while let Some(parent) = p {
        steps += 1;
        if steps > 10 || name.is_some() && container.is_some() {
            break;
        }
        match parent.kind() {
            "variable_declarator" => {
                if name.is_none() {
                    name = parent
                        .child_by_field_name("name")
                        .map(|n| text(n, src).to_string());
                }
                // `export const f = async () => {}`.
                named_export = parent
                    .parent()
                    .and_then(|d| d.parent())
                    .is_some_and(|e| e.kind() == "export_statement");
                break;
            }
            "pair" => {
                if name.is_none() {
                    name = parent
                        .child_by_field_name("key")
                        .map(|n| unquote(text(n, src)));
                }
                container = object_owner(parent, src);
                break;
            }
            "public_field_definition" | "field_definition" | "property_definition" => {
                if name.is_none() {
                    name = parent
                        .child_by_field_name("name")
                        .or(parent.child_by_field_name("property"))
                        .map(|n| text(n, src).to_string());
                }
                container = enclosing_container(parent, src).0;
                break;
            }
            "assignment_expression" => {
                if name.is_none() {
                    let left = parent
                        .child_by_field_name("left")
                        .map(|n| text(n, src))
                        .unwrap_or("");
                    name = Some(left.rsplit('.').next().unwrap_or(left).to_string());
                }
                break;
            }
            "export_statement" => {
                default_export = text(parent, src).starts_with("export default");
                break;
            }
            "arguments" => {
                if route.is_none()
                    && entry.is_none()
                    && let Some(call) = parent.parent()
                {
                    (route, entry) = router_route(call, parent, src, entries);
                }
            }
            "call_expression"
            | "member_expression"
            | "await_expression"
            | "parenthesized_expression"
            | "as_expression"
            | "satisfies_expression"
            | "non_null_expression" => {}
            _ => break,
        }
        p = parent.parent();
    }
    if let Some(parent) = node.parent()
        && parent.kind() == "export_statement"
    {
        default_export |= text(parent, src).starts_with("export default");
        named_export |= !default_export;
    }
    let params = node
        .child_by_field_name("parameters")
        .or_else(|| node.child_by_field_name("parameter"))
        .map(|p| param_names(p, src))
        .unwrap_or_default();
    let name = name
        .or_else(|| route.clone())
        .unwrap_or_else(|| "<anonymous>".into());
    // `async function cancel() { "use server"; ... }` inside a server component.
    if entry.is_none()
        && let Some(d) = body_directive(node, src)
    {
        entry = entries.directive(&d).map(|e| e.kind);
    }
    Unit {
        name: intern(&name),
        container: container.as_deref().map(intern),
        route: route.as_deref().map(intern),
        start: node.start_byte(),
        end: node.end_byte(),
        line: node.start_position().row + 1,
        params,
        is_module: false,
        default_export,
        named_export: named_export && !default_export,
        entry,
    }
}

/// The directive a function's body opens with (`"use server"`), if any.
fn body_directive(node: Node, src: &str) -> Option<String> {
    let body = node.child_by_field_name("body")?;
    if body.kind() != "statement_block" {
        return None;
    }
    let first = body.named_child(0)?;
    if first.kind() != "expression_statement" {
        return None;
    }
    let expr = first.named_child(0)?;
    (expr.kind() == "string").then(|| unquote(text(expr, src)))
}

fn param_names(params: Node, src: &str) -> Vec<&'static str> {
    if params.kind() == "identifier" {
        return vec![intern(text(params, src))];
    }
    let mut out = Vec::new();
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        // `status = 'pending'` in JavaScript is an assignment pattern: its name is on the left.
        let target = p
            .child_by_field_name("pattern")
            .or_else(|| p.child_by_field_name("left"))
            .unwrap_or(p);
        if target.kind() == "identifier" {
            out.push(intern(text(target, src)));
        }
    }
    out.shrink_to_fit();
    out
}

/// The class (or object literal variable) a member sits in, and the class's route prefix.
fn enclosing_container(node: Node, src: &str) -> (Option<String>, Option<String>) {
    let mut p = node.parent();
    while let Some(parent) = p {
        match parent.kind() {
            "class_declaration" | "class" | "abstract_class_declaration" => {
                let name = parent
                    .child_by_field_name("name")
                    .map(|n| text(n, src).to_string());
                let mut prefix = None;
                let mut c = parent.walk();
                for d in parent.children(&mut c).filter(|d| d.kind() == "decorator") {
                    let t = text(d, src);
                    if let Some(rest) = t.strip_prefix("@Controller(") {
                        prefix = Some(unquote(rest.trim_end_matches(')').trim()));
                    }
                }
                return (name, prefix);
            }
            "object" => return (object_owner(parent, src), None),
            _ => {}
        }
        p = parent.parent();
    }
    (None, None)
}

fn object_owner(node: Node, src: &str) -> Option<String> {
    let mut p = node.parent();
    let mut steps = 0;
    while let Some(parent) = p {
        steps += 1;
        if steps > 6 {
            return None;
        }
        match parent.kind() {
            "variable_declarator" => {
                return parent
                    .child_by_field_name("name")
                    .map(|n| text(n, src).to_string());
            }
            "pair" => {
                return parent
                    .child_by_field_name("key")
                    .map(|n| unquote(text(n, src)));
            }
            "program" | "statement_block" | "class_body" => return None,
            _ => {}
        }
        p = parent.parent();
    }
    None
}
