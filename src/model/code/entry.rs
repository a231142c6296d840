//! Entry points in the structure pass (`rules/frameworks/*.yaml`): the registrations,
//! decorators and handlers passed by name that make a function a request, a job or an event
//! handler, and the route each names.

use super::{CodeFile, RouteRef, text, unquote};
use crate::intern::intern;
use crate::rules::entries::{Entries, Entry, Label};
use tree_sitter::Node;

/// A handler registered by name is, first, a function of that name declared in the
/// registering function (`function tick() {..}; setInterval(tick, ms)`, where several
/// starters each declare their own `tick`), then one declared at the top of the file.
/// Otherwise a route's handler is resolved across the repository; a registration that names
/// no route (`setTimeout(resolve, ms)`) only binds a function imported under that name.
pub(super) fn bind_local_refs(file: &mut CodeFile, refs: Vec<(usize, RouteRef)>) {
    for (at, r) in refs {
        let named = |u: usize| file.units[u].name == r.target && file.units[u].container.is_none();
        let local = (!r.target.contains('.'))
            .then(|| {
                (1..file.units.len())
                    .find(|&u| file.parents[u] == at && named(u))
                    .or_else(|| (1..file.units.len()).find(|&u| file.parents[u] == 0 && named(u)))
            })
            .flatten();
        match local {
            Some(u) => {
                let unit = &mut file.units[u];
                if unit.route.is_none() {
                    unit.route = r.route.as_deref().map(intern);
                }
                unit.entry.get_or_insert(r.kind);
            }
            None if r.route.is_some() => file.route_refs.push(r),
            None => {
                let root = r.target.split('.').next().unwrap_or_default();
                if file.imports.iter().any(|i| i.name == root) {
                    file.route_refs.push(r);
                }
            }
        }
    }
}

/// A function inside another that is a named member of its own: a property of an object
/// literal (`{ createBooking: async () => ... }`, the methods a factory returns), a method, a
/// declared function or one bound to a variable. Callbacks passed as arguments (a transaction
/// body, `.map(x => ...)`, a route handler) run where they are written and stay in their
/// enclosing unit.
/// A function passed inline to a route registration (`router.post('/x', async (req, res) =>
/// ..)`) is a handler of its own even inside a factory that builds the router: it runs per
/// request, not when the factory runs.
/// Wrappers in between count (`router.post('/x', asyncHandler(async (req, res) => ..))`).
pub(super) fn is_route_handler(node: Node, src: &str, entries: &Entries) -> bool {
    let mut n = node;
    for _ in 0..3 {
        let Some(args) = n.parent().filter(|p| p.kind() == "arguments") else {
            return false;
        };
        let Some(call) = args.parent() else {
            return false;
        };
        if matches!(router_route(call, args, src, entries), (Some(_), Some(_))) {
            return true;
        }
        n = call;
    }
    false
}

/// Method decorators that make a handler (`rules/frameworks/*.yaml`): `@Post(':id/cancel')`
/// gives the route `POST :id/cancel` and the kind `request`.
pub(super) fn decorator_route(
    method: Node,
    src: &str,
    entries: &Entries,
) -> (Option<String>, Option<&'static str>) {
    let mut decorators = Vec::new();
    let mut sib = method.prev_named_sibling();
    while let Some(s) = sib {
        if s.kind() != "decorator" {
            break;
        }
        decorators.push(text(s, src));
        sib = s.prev_named_sibling();
    }
    let mut c = method.walk();
    for d in method.children(&mut c).filter(|d| d.kind() == "decorator") {
        decorators.push(text(d, src));
    }
    for d in decorators {
        let d = d.trim_start_matches('@');
        let (name, rest) = d.split_once('(').unwrap_or((d, ""));
        let Some(e) = entries.decorator(name.trim()) else {
            continue;
        };
        let arg = || unquote(rest.trim_end_matches(')').trim());
        let route = match e.label {
            Label::VerbPath => Some(format!("{} {}", name.to_ascii_uppercase(), arg())),
            Label::NamePath => Some(format!("{name} {}", arg())),
            Label::None => None,
        };
        return (route, Some(e.kind));
    }
    (None, None)
}

/// The called function's or method's name.
fn callee_name<'a>(callee: Node, src: &'a str) -> Option<&'a str> {
    match callee.kind() {
        "member_expression" => Some(text(callee.child_by_field_name("property")?, src)),
        "identifier" => Some(text(callee, src)),
        _ => None,
    }
}

/// The route a registration names, from its first argument: `router.post('/bookings', ..)`
/// gives `POST /bookings`.
fn registered_route(e: &Entry, method: &str, first: Option<Node>, src: &str) -> Option<String> {
    let path = first.filter(|f| matches!(f.kind(), "string" | "template_string"))?;
    match e.label {
        Label::VerbPath => Some(format!(
            "{} {}",
            method.to_ascii_uppercase(),
            unquote(text(path, src))
        )),
        Label::NamePath => Some(format!("{method} {}", unquote(text(path, src)))),
        Label::None => None,
    }
}

fn has_path(first: Option<Node>) -> bool {
    first.is_some_and(|f| matches!(f.kind(), "string" | "template_string"))
}

/// A registration a callback argument is passed to (`router.post('/bookings', ...)`,
/// `setInterval(...)`): the route it serves and its kind of entry.
pub(super) fn router_route(
    call: Node,
    args: Node,
    src: &str,
    entries: &Entries,
) -> (Option<String>, Option<&'static str>) {
    let field = match call.kind() {
        "call_expression" => "function",
        "new_expression" => "constructor",
        _ => return (None, None),
    };
    let Some(callee) = call.child_by_field_name(field) else {
        return (None, None);
    };
    let Some(method) = callee_name(callee, src) else {
        return (None, None);
    };
    let (path, _) = route_path(callee, args, src, entries);
    match entries.call(method, path.is_some()) {
        Some(e) => (registered_route(e, method, path, src), Some(e.kind)),
        None => (None, None),
    }
}

/// The path string a registration names, and whether it is its own first argument: its first
/// argument when that is a string, else the first argument of a call it is chained on whose
/// name a framework declares as giving the path (`router.route('/bookings').post(h)`).
fn route_path<'t>(
    callee: Node<'t>,
    args: Node<'t>,
    src: &str,
    entries: &Entries,
) -> (Option<Node<'t>>, bool) {
    let first = args.named_child(0);
    if has_path(first) {
        return (first, true);
    }
    let mut object = (callee.kind() == "member_expression")
        .then(|| callee.child_by_field_name("object"))
        .flatten();
    // A chain of registrations: `router.route('/x').get(a).post(b)`.
    for _ in 0..8 {
        let Some(call) = object.filter(|o| o.kind() == "call_expression") else {
            break;
        };
        let Some(inner) = call.child_by_field_name("function") else {
            break;
        };
        let inner_first = call
            .child_by_field_name("arguments")
            .and_then(|a| a.named_child(0));
        if callee_name(inner, src).is_some_and(|n| entries.gives_path(n)) && has_path(inner_first) {
            return (inner_first, false);
        }
        object = (inner.kind() == "member_expression")
            .then(|| inner.child_by_field_name("object"))
            .flatten();
    }
    (None, false)
}

/// Handlers passed by name to a registration (`router.post('/x', auth, createBooking)`,
/// `setInterval(tick, ms)`): after the path, when the registration names a route.
pub(super) fn record_route_refs(
    callee: Node,
    args: Node,
    src: &str,
    unit: usize,
    entries: &Entries,
    out: &mut Vec<(usize, RouteRef)>,
) {
    let Some(method) = callee_name(callee, src) else {
        return;
    };
    let (path, own) = route_path(callee, args, src, entries);
    let Some(e) = entries.call(method, path.is_some()) else {
        return;
    };
    let route = registered_route(e, method, path, src);
    let skip = usize::from(e.label != Label::None && own);
    let mut c = args.walk();
    let given: Vec<Node> = args.named_children(&mut c).skip(skip).collect();
    let last = given.last().map(|n| n.id());
    for a in given {
        // The handler, last, may come wrapped: `asyncHandler(createBooking)`,
        // `catchAsync(controller.create)`. Its function is the route's handler.
        let targets: Vec<Node> = match a.kind() {
            "identifier" | "member_expression" => vec![a],
            "call_expression" if Some(a.id()) == last => a
                .child_by_field_name("arguments")
                .map(|w| {
                    let mut c = w.walk();
                    w.named_children(&mut c)
                        .filter(|n| matches!(n.kind(), "identifier" | "member_expression"))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for t in targets {
            out.push((
                unit,
                RouteRef {
                    route: route.clone(),
                    target: text(t, src).to_string(),
                    kind: e.kind,
                },
            ));
        }
    }
}
