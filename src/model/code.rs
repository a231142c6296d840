//! The structure of one TS/JS file: its functions ("units"), the calls inside them, its
//! imports and re-exports. One pass over the matcher's flat copy of the tree, so deep
//! nesting cannot overflow.

use crate::intern::intern;
use crate::lang::Lang;
use crate::pattern::Flat;
use crate::rules::entries::{Entries, Entry, Label};
use crate::source::prefix_within;
use std::num::NonZeroU16;
use std::sync::OnceLock;
use tree_sitter::Node;

/// A field id of a grammar (tree-sitter's own alias is private).
type FieldId = NonZeroU16;

/// A function-like node: a top-level one, or a named member nested in another (see
/// `is_named_member`; callbacks belong to the unit they are written in).
/// Unit 0 of every file is the module itself.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: &'static str,
    /// The class or object literal the unit is a member of.
    pub container: Option<&'static str>,
    /// The route it serves, from a router call or a decorator (`POST /bookings`).
    pub route: Option<&'static str>,
    pub start: usize,
    pub end: usize,
    pub line: usize,
    /// Interned: a handful of names (`req`, `tx`, `id`) repeat across most functions.
    pub params: Vec<&'static str>,
    pub is_module: bool,
    pub default_export: bool,
    /// The kind of entry point it is (`rules/frameworks/*.yaml`), if a registration says so.
    pub entry: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub unit: usize,
    pub pos: usize,
    pub name: &'static str,
    pub receiver: Option<&'static str>,
    /// Where the argument list's text, shortened, is in the file's `call_args` (one string per
    /// file: an allocation per call cost more than the text): used to see a transaction client
    /// passed along.
    pub args: std::ops::Range<u32>,
}

/// A name one module takes from another: an import (`name` is the local binding) or a
/// re-export (`name` is the exported name, or `*`). Interned: the same modules and names come
/// up file after file.
#[derive(Debug, Clone)]
pub struct Link {
    pub name: &'static str,
    /// The name in the source module, `default`, or `*` for a namespace or CommonJS module
    /// object.
    pub imported: &'static str,
    pub source: &'static str,
}

pub type Import = Link;
pub type ReExport = Link;

impl Link {
    fn new(name: &str, imported: &str, source: &str) -> Link {
        Link {
            name: intern(name),
            imported: intern(imported),
            source: intern(source),
        }
    }
}

/// A handler passed by reference to a router: `router.post('/x', createBooking)`.
#[derive(Debug, Clone)]
pub struct RouteRef {
    /// The route it serves, when the registration names one.
    pub route: Option<String>,
    pub target: String,
    /// The kind of entry point the registration makes of it.
    pub kind: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct CodeFile {
    pub units: Vec<Unit>,
    pub calls: Vec<Call>,
    pub imports: Vec<Import>,
    pub reexports: Vec<ReExport>,
    pub route_refs: Vec<RouteRef>,
    pub default_export_name: Option<String>,
    /// Module-level instances, `const DatabaseClient = new Client()`: (name, class), so a
    /// call on the instance reaches the class's method whatever the two are called.
    pub instances: Vec<(String, String)>,
    /// Classes with the class they extend (`class Admin extends BookingsValidator<T>`:
    /// (Admin, BookingsValidator)), so `this.m()` reaches an inherited or overriding `m`.
    pub classes: Vec<(String, Option<String>)>,
    pub use_client: bool,
    pub use_server: bool,
    /// The calls' argument lists, one after another.
    pub call_args: String,
    /// Each unit's enclosing unit (0, the module, for a top-level function).
    pub parents: Vec<usize>,
}

impl CodeFile {
    /// Drops the spare capacity of the lists: every file's structure is kept until the end.
    fn shrink(&mut self) {
        self.units.shrink_to_fit();
        self.calls.shrink_to_fit();
        self.imports.shrink_to_fit();
        self.reexports.shrink_to_fit();
        self.route_refs.shrink_to_fit();
        self.instances.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.call_args.shrink_to_fit();
        self.parents.shrink_to_fit();
    }

    /// A call's argument list, shortened.
    pub fn args(&self, c: &Call) -> &str {
        &self.call_args[c.args.start as usize..c.args.end as usize]
    }

    /// The innermost unit a byte offset belongs to (0, the module, when in no function).
    pub fn unit_at(&self, pos: usize) -> usize {
        // Units after the module are sorted by start; a named function inside another is a
        // unit of its own, nested in it, so climb from the last unit that starts before `pos`
        // to the first that still contains it.
        let rest = &self.units[1..];
        let mut i = rest.partition_point(|u| u.start <= pos);
        while i > 0 {
            let u = &rest[i - 1];
            if pos < u.end {
                return i;
            }
            i = self.parents.get(i).copied().unwrap_or(0);
        }
        0
    }
}

/// Node kinds of a function, method or arrow in the TS and JS grammars.
pub(crate) const FUNCTION_KINDS: &[&str] = &[
    "function_declaration",
    "generator_function_declaration",
    "function_expression",
    "function",
    "arrow_function",
    "method_definition",
    "generator_function",
];

fn text<'a>(n: Node, src: &'a str) -> &'a str {
    src.get(n.byte_range()).unwrap_or("")
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '\'' || c == '"' || c == '`')
        .to_string()
}

/// What the structure pass does with a node, by its kind.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Other,
    Function,
    Call,
    Import,
    Export,
    Declarator,
    Assignment,
    Class,
}

fn role_of(kind: &str) -> Role {
    if FUNCTION_KINDS.contains(&kind) {
        return Role::Function;
    }
    match kind {
        "call_expression" => Role::Call,
        "import_statement" => Role::Import,
        "export_statement" => Role::Export,
        "variable_declarator" => Role::Declarator,
        "assignment_expression" => Role::Assignment,
        "class_declaration" | "abstract_class_declaration" | "class" => Role::Class,
        _ => Role::Other,
    }
}

/// What the structure pass looks up in one grammar, by id: each kind id's role (a grammar may
/// give one kind name several ids), and the fields read on every call and declarator (by name,
/// tree-sitter compares the name with each of the grammar's field names).
struct Grammar {
    roles: Vec<Role>,
    function: Option<FieldId>,
    arguments: Option<FieldId>,
    object: Option<FieldId>,
    property: Option<FieldId>,
    name: Option<FieldId>,
    value: Option<FieldId>,
}

impl Grammar {
    fn of(lang: Lang) -> &'static Grammar {
        static TABLES: [OnceLock<Grammar>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        let slot = match lang {
            Lang::Ts => 0,
            Lang::Tsx => 1,
            Lang::Js => 2,
            other => unreachable!("{other:?} has no code structure"),
        };
        TABLES[slot].get_or_init(|| {
            let grammar = lang.grammar().expect("code languages have a grammar");
            let field = |name: &str| grammar.field_id_for_name(name);
            Grammar {
                roles: (0..grammar.node_kind_count() as u16)
                    .map(|id| grammar.node_kind_for_id(id).map_or(Role::Other, role_of))
                    .collect(),
                function: field("function"),
                arguments: field("arguments"),
                object: field("object"),
                property: field("property"),
                name: field("name"),
                value: field("value"),
            }
        })
    }
}

/// The child in field `id` (a field the grammar lacks has none).
fn child<'t>(node: Node<'t>, id: Option<FieldId>) -> Option<Node<'t>> {
    node.child_by_field_id(id?.get())
}

/// The structure of a TS/TSX/JS file, from the nodes the pattern matcher already flattened.
pub fn extract(flat: &Flat, lang: Lang, src: &str, entries: &Entries) -> CodeFile {
    let g = Grammar::of(lang);
    let root = flat.root();
    let mut file = CodeFile::default();
    file.units.push(Unit {
        name: "<module>",
        container: None,
        route: None,
        start: 0,
        end: src.len(),
        line: 1,
        params: vec![],
        is_module: true,
        default_export: false,
        entry: None,
    });
    file.parents.push(0);
    // Handlers registered by name (`setInterval(tick, ms)`): (registering unit, ref).
    let mut local_refs: Vec<(usize, RouteRef)> = Vec::new();
    directives(root, src, &mut file);
    // (end byte, unit index) of the open units, innermost last.
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (node, kind) in flat.preorder() {
        let role = g
            .roles
            .get(usize::from(kind))
            .copied()
            .unwrap_or(Role::Other);
        while open
            .last()
            .is_some_and(|&(end, _)| node.start_byte() >= end)
        {
            open.pop();
        }
        if role == Role::Function
            && (open.is_empty() || is_named_member(node) || is_route_handler(node, src, entries))
        {
            let unit = describe_unit(node, src, entries);
            file.units.push(unit);
            file.parents.push(open.last().map_or(0, |&(_, u)| u));
            open.push((node.end_byte(), file.units.len() - 1));
        }
        let current = open.last().map(|&(_, u)| u).unwrap_or(0);
        match role {
            Role::Call => record_call(g, node, src, current, &mut file, entries, &mut local_refs),
            Role::Import => record_import(node, src, &mut file),
            Role::Export => record_export(node, src, &mut file),
            Role::Declarator => {
                record_require(g, node, src, &mut file);
                if current == 0 {
                    record_instance(g, node, src, &mut file);
                }
            }
            Role::Assignment => record_module_exports(node, src, &mut file),
            Role::Class => record_class(node, src, &mut file),
            Role::Function | Role::Other => {}
        }
    }
    bind_local_refs(&mut file, local_refs);
    file.shrink();
    file
}

/// A handler registered by name is, first, a function of that name declared in the
/// registering function (`function tick() {..}; setInterval(tick, ms)`, where several
/// starters each declare their own `tick`), then one declared at the top of the file.
/// Otherwise a route's handler is resolved across the repository; a registration that names
/// no route (`setTimeout(resolve, ms)`) only binds a function imported under that name.
fn bind_local_refs(file: &mut CodeFile, refs: Vec<(usize, RouteRef)>) {
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

fn record_class(node: Node, src: &str, file: &mut CodeFile) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let mut base = None;
    let mut c = node.walk();
    for h in node
        .children(&mut c)
        .filter(|h| h.kind() == "class_heritage")
    {
        let t = text(h, src);
        if let Some(rest) = t.trim_start().strip_prefix("extends") {
            // `extends ns.Base<T> implements I`: the last dotted segment, without type arguments.
            let expr: String = rest
                .trim_start()
                .chars()
                .take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '$' || *ch == '.')
                .collect();
            let last = expr.rsplit('.').next().unwrap_or("");
            if !last.is_empty() {
                base = Some(last.to_string());
            }
        }
    }
    file.classes.push((text(name, src).to_string(), base));
}

fn directives(root: Node, src: &str, file: &mut CodeFile) {
    let mut c = root.walk();
    for child in root.named_children(&mut c) {
        match child.kind() {
            "expression_statement" => {
                let t = text(child, src).trim().trim_end_matches(';');
                match unquote(t).as_str() {
                    "use client" => file.use_client = true,
                    "use server" => file.use_server = true,
                    _ => {}
                }
            }
            "comment" | "hash_bang_line" => {}
            _ => break,
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
fn is_route_handler(node: Node, src: &str, entries: &Entries) -> bool {
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

fn is_named_member(node: Node) -> bool {
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

fn describe_unit(node: Node, src: &str, entries: &Entries) -> Unit {
    let mut name = None;
    let mut container = None;
    let mut route = None;
    let mut entry = None;
    let mut default_export = false;
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
    }
    let params = node
        .child_by_field_name("parameters")
        .or_else(|| node.child_by_field_name("parameter"))
        .map(|p| param_names(p, src))
        .unwrap_or_default();
    let name = name
        .or_else(|| route.clone())
        .unwrap_or_else(|| "<anonymous>".into());
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
        entry,
    }
}

fn param_names(params: Node, src: &str) -> Vec<&'static str> {
    if params.kind() == "identifier" {
        return vec![intern(text(params, src))];
    }
    let mut out = Vec::new();
    let mut c = params.walk();
    for p in params.named_children(&mut c) {
        let target = p.child_by_field_name("pattern").unwrap_or(p);
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

/// Method decorators that make a handler (`rules/frameworks/*.yaml`): `@Post(':id/cancel')`
/// gives the route `POST :id/cancel` and the kind `request`.
fn decorator_route(
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
fn router_route(
    call: Node,
    args: Node,
    src: &str,
    entries: &Entries,
) -> (Option<String>, Option<&'static str>) {
    if call.kind() != "call_expression" {
        return (None, None);
    }
    let Some(method) = call
        .child_by_field_name("function")
        .and_then(|c| callee_name(c, src))
    else {
        return (None, None);
    };
    let first = args.named_child(0);
    match entries.call(method, has_path(first)) {
        Some(e) => (registered_route(e, method, first, src), Some(e.kind)),
        None => (None, None),
    }
}

fn record_call(
    g: &Grammar,
    node: Node,
    src: &str,
    unit: usize,
    file: &mut CodeFile,
    entries: &Entries,
    local_refs: &mut Vec<(usize, RouteRef)>,
) {
    let Some(callee) = child(node, g.function) else {
        return;
    };
    let args_node = child(node, g.arguments);
    let (name, receiver) = match callee.kind() {
        "identifier" => (text(callee, src).to_string(), None),
        "member_expression" => {
            let Some(prop) = child(callee, g.property) else {
                return;
            };
            let obj = child(callee, g.object).map(|o| prefix_within(text(o, src), 120));
            (text(prop, src).to_string(), obj)
        }
        _ => return,
    };
    if name == "require" {
        return;
    }
    if let Some(args) = args_node {
        record_route_refs(callee, args, src, unit, entries, local_refs);
    }
    // Files are at most a few MiB (`source::MAX_FILE_BYTES`), so offsets fit in u32.
    let start = file.call_args.len() as u32;
    if let Some(a) = args_node {
        file.call_args.push_str(prefix_within(text(a, src), 300));
    }
    let end = file.call_args.len() as u32;
    file.calls.push(Call {
        unit,
        pos: node.start_byte(),
        name: intern(&name),
        receiver: receiver.map(intern),
        args: start..end,
    });
}

/// Handlers passed by name to a registration (`router.post('/x', auth, createBooking)`,
/// `setInterval(tick, ms)`): after the path, when the registration names a route.
fn record_route_refs(
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
    let first = args.named_child(0);
    let Some(e) = entries.call(method, has_path(first)) else {
        return;
    };
    let route = registered_route(e, method, first, src);
    let skip = usize::from(e.label != Label::None);
    let mut c = args.walk();
    for a in args.named_children(&mut c).skip(skip) {
        if matches!(a.kind(), "identifier" | "member_expression") {
            out.push((
                unit,
                RouteRef {
                    route: route.clone(),
                    target: text(a, src).to_string(),
                    kind: e.kind,
                },
            ));
        }
    }
}

fn record_import(node: Node, src: &str, file: &mut CodeFile) {
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

fn record_export(node: Node, src: &str, file: &mut CodeFile) {
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
fn record_module_exports(node: Node, src: &str, file: &mut CodeFile) {
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
fn record_instance(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
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

/// `const x = require('./y')` and `const { a, b } = require('./y')`.
fn record_require(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
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
