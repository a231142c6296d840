//! The structure of one TS/JS file: its functions ("units"), the calls inside them, its
//! imports and re-exports. One pass over the matcher's flat copy of the tree, so deep
//! nesting cannot overflow.

use crate::intern::intern;
use crate::lang::Lang;
use crate::pattern::Flat;
use crate::rules::entries::Entries;
use crate::source::prefix_within;

/// The bytes of a call's argument text kept (`Call::args`).
const MAX_ARGS: usize = 600;
use entry::{bind_local_refs, decorator_route, is_route_handler, record_route_refs, router_route};
use std::num::NonZeroU16;

mod branches;
mod entry;
mod links;
mod units;
use branches::{record_branch, record_case};
use links::{
    record_export, record_export_alias, record_handler_map, record_import, record_instance,
    record_local_new, record_module_exports, record_require,
};
use std::sync::OnceLock;
use tree_sitter::Node;
use units::{describe_unit, is_named_member};

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
    /// Exported by name where it is declared (`export function f`, `export const f = () =>`):
    /// a function no module imports is then dead code, not a flow.
    pub named_export: bool,
    /// The kind of entry point it is (`rules/frameworks/*.yaml`), if a registration says so.
    pub entry: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub unit: usize,
    pub pos: usize,
    /// Where the call ends (its closing parenthesis): a callback passed inline lies inside.
    pub end: usize,
    pub name: &'static str,
    pub receiver: Option<&'static str>,
    /// Where the argument list's text, shortened, is in the file's `call_args` (one string per
    /// file: an allocation per call cost more than the text): used to see a transaction client
    /// passed along.
    pub args: std::ops::Range<u32>,
}

/// `name = new class(...)` inside function `unit`, at byte `pos`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalNew {
    pub unit: usize,
    pub pos: usize,
    pub name: &'static str,
    pub class: &'static str,
}

/// A branch of a function's code that runs only under a condition or on an error: the
/// consequence or alternative of an `if` (or `?:`), with the condition's text, or a `catch`
/// block (`catch (e) {...}`, `.catch(...)`). Flows carry the guards their events run under,
/// so a write that only runs when a hold has expired, or only when the payment call threw,
/// is told from the one a request asked for (CHECKS.md edge case 20).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    pub start: usize,
    pub end: usize,
    /// The condition's text, shortened; empty for a catch block.
    pub cond: &'static str,
    pub catch: bool,
    /// The branch ends in a `return` or `throw`: code after the `if` never runs once it was
    /// taken (`if (free) { confirm(); return }` then `charge()`: the two are other paths).
    pub exits: bool,
    /// Taken, the branch skips the code up to this byte (0: none): an `if`'s other side, the
    /// later cases of a `switch` once a case ends in `break`. What runs there is another path.
    pub skips_to: usize,
    /// The `else` side (or a ternary's alternative): taken when `cond` is false.
    pub negated: bool,
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
    /// Objects built in a function and bound to a local, `const svc = new ManualCheckout()`
    /// or `svc = cond ? ... : new Checkout()`: a call on the local dispatches on the class.
    pub local_news: Vec<LocalNew>,
    /// Classes with each class they extend or interface they implement, an entry per base
    /// (`class Admin extends BookingsValidator<T>`: (Admin, BookingsValidator)), so `this.m()`
    /// reaches an inherited or overriding `m`.
    pub classes: Vec<(String, Option<String>)>,
    pub use_client: bool,
    pub use_server: bool,
    /// The calls' argument lists, one after another.
    pub call_args: String,
    /// Each unit's enclosing unit (0, the module, for a top-level function).
    pub parents: Vec<usize>,
    /// Conditional branches and catch blocks, in source order of their start.
    pub guards: Vec<Guard>,
    /// Functions an exported wrapper call takes by name: (function, export name).
    pub export_aliases: Vec<(String, String)>,
    /// Objects of functions by name, `const HANDLERS = { "payment_intent.payment_failed":
    /// onFailed, ... }`: (object, [function names]). A call through the object (`HANDLERS[type](
    /// ctx)`) may run any of them.
    pub handler_maps: Vec<(String, Vec<String>)>,
    /// Locals taken out of such an object, `const handler = HANDLERS[type]`: (local, object).
    pub map_lookups: Vec<(String, String)>,
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
        self.local_news.shrink_to_fit();
        self.classes.shrink_to_fit();
        self.call_args.shrink_to_fit();
        self.parents.shrink_to_fit();
        self.guards.shrink_to_fit();
        self.export_aliases.shrink_to_fit();
        self.handler_maps.shrink_to_fit();
        self.map_lookups.shrink_to_fit();
    }

    /// The guards around byte `pos` that lie inside `[lo, hi)` (one function's code; a guard
    /// around the function itself is its caller's), outermost first, with their indexes in
    /// `guards`. Only the guards that start inside the function are scanned.
    pub fn guards_at(
        &self,
        pos: usize,
        lo: usize,
        hi: usize,
    ) -> impl Iterator<Item = (usize, &Guard)> {
        let first = self.guards.partition_point(|g| g.start < lo);
        let n = self.guards.partition_point(|g| g.start <= pos).max(first);
        (first..n)
            .map(|i| (i, &self.guards[i]))
            .filter(move |(_, g)| g.end <= hi && pos < g.end)
    }

    /// The guards that lie inside `[lo, hi)` (one function's code, with its callbacks).
    pub fn guards_at_range(&self, lo: usize, hi: usize) -> impl Iterator<Item = &Guard> {
        let first = self.guards.partition_point(|g| g.start < lo);
        self.guards[first..]
            .iter()
            .take_while(move |g| g.start < hi)
            .filter(move |g| g.end <= hi)
    }

    /// A call's argument list, shortened.
    pub fn args(&self, c: &Call) -> &str {
        &self.call_args[c.args.start as usize..c.args.end as usize]
    }

    /// `unit` and the functions around it, innermost first, up to the module (0, excluded).
    pub fn enclosing(&self, unit: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(Some(unit), |&u| self.parents.get(u).copied())
            .take_while(|&u| u != 0)
            .take(64)
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
    /// `new Worker('bookings', process)`: a registration by constructor.
    New,
    Import,
    Export,
    Declarator,
    Assignment,
    Class,
    Branch,
    /// A `case` of a `switch`.
    Case,
    Catch,
}

fn role_of(kind: &str) -> Role {
    if FUNCTION_KINDS.contains(&kind) {
        return Role::Function;
    }
    match kind {
        "call_expression" => Role::Call,
        "new_expression" => Role::New,
        "import_statement" => Role::Import,
        "export_statement" => Role::Export,
        "variable_declarator" => Role::Declarator,
        "assignment_expression" => Role::Assignment,
        "class_declaration" | "abstract_class_declaration" | "class" => Role::Class,
        "if_statement" | "ternary_expression" => Role::Branch,
        "switch_case" => Role::Case,
        "catch_clause" => Role::Catch,
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
    condition: Option<FieldId>,
    consequence: Option<FieldId>,
    alternative: Option<FieldId>,
    body: Option<FieldId>,
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
                condition: field("condition"),
                consequence: field("consequence"),
                alternative: field("alternative"),
                body: field("body"),
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
        named_export: false,
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
            Role::New => {
                if let (Some(ctor), Some(args)) = (
                    node.child_by_field_name("constructor"),
                    child(node, g.arguments),
                ) {
                    record_route_refs(ctor, args, src, current, entries, &mut local_refs);
                }
            }
            Role::Import => record_import(node, src, &mut file),
            Role::Export => record_export(node, src, &mut file),
            Role::Declarator => {
                record_require(g, node, src, &mut file);
                record_handler_map(g, node, src, &mut file);
                if current == 0 {
                    record_instance(g, node, src, &mut file);
                    record_export_alias(g, node, src, &mut file);
                } else {
                    record_local_new(g, node, src, current, &mut file);
                }
            }
            Role::Assignment => {
                record_module_exports(node, src, &mut file);
                if current != 0 {
                    record_local_new(g, node, src, current, &mut file);
                }
            }
            Role::Class => record_class(node, src, &mut file),
            Role::Branch => record_branch(g, node, src, &mut file),
            Role::Case => record_case(node, &mut file),
            Role::Catch => {
                if let Some(body) = child(node, g.body) {
                    file.guards.push(Guard {
                        start: body.start_byte(),
                        end: body.end_byte(),
                        cond: "",
                        catch: true,
                        exits: false,
                        skips_to: 0,
                        negated: false,
                    });
                }
            }
            Role::Function | Role::Other => {}
        }
    }
    bind_local_refs(&mut file, local_refs);
    // Pushed when their node is visited: an `if`'s alternative before the ifs nested in its
    // consequence, a `.catch(...)` before the calls of its receiver chain.
    file.guards
        .sort_by_key(|g| (g.start, std::cmp::Reverse(g.end)));
    file.shrink();
    file
}

fn record_class(node: Node, src: &str, file: &mut CodeFile) {
    let Some(name) = node.child_by_field_name("name") else {
        return;
    };
    let name = text(name, src).to_string();
    let mut bases = Vec::new();
    let mut c = node.walk();
    for h in node
        .children(&mut c)
        .filter(|h| h.kind() == "class_heritage")
    {
        for b in heritage_bases(text(h, src)) {
            if !bases.contains(&b) {
                bases.push(b);
            }
        }
    }
    if bases.is_empty() {
        file.classes.push((name, None));
        return;
    }
    for b in bases {
        file.classes.push((name.clone(), Some(b)));
    }
}

/// The types a class heritage names: `extends ns.Base<T> implements I, J<K, L>` gives Base, I
/// and J (each type's last dotted segment, without type arguments). An implemented interface
/// is a base too: a call through a member typed by it (`this.gateway.createPayment()`) reaches
/// the classes that implement it.
fn heritage_bases(heritage: &str) -> Vec<String> {
    let t = without_type_arguments(heritage);
    let t = t.trim_start();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
    let keyword = t.match_indices("implements").map(|(i, _)| i).find(|&i| {
        !word(t[..i].chars().next_back()) && !word(t[i + "implements".len()..].chars().next())
    });
    let (extends, implements) = match keyword {
        Some(i) => (&t[..i], &t[i + "implements".len()..]),
        None => (t, ""),
    };
    extends
        .trim_start()
        .strip_prefix("extends")
        .into_iter()
        .chain(implements.split(','))
        .filter_map(|ty| {
            let expr: String = ty
                .trim_start()
                .chars()
                .take_while(|ch| ch.is_alphanumeric() || *ch == '_' || *ch == '$' || *ch == '.')
                .collect();
            let last = expr.rsplit('.').next().unwrap_or("");
            (!last.is_empty()).then(|| last.to_string())
        })
        .collect()
}

/// `Base<A, B<C>> implements I<D>` as `Base implements I`.
fn without_type_arguments(t: &str) -> String {
    let mut depth = 0usize;
    t.chars()
        .filter(|&ch| {
            match ch {
                '<' => depth += 1,
                '>' => {
                    depth = depth.saturating_sub(1);
                    return false;
                }
                _ => {}
            }
            depth == 0 && ch != '<'
        })
        .collect()
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
    // `await import("./repo")`, `require("./repo").book()`: the module is taken whole (a
    // `require` bound to a name is an import of its own, `links::record_require`).
    let dynamic = callee.kind() == "import"
        || (callee.kind() == "identifier"
            && text(callee, src) == "require"
            && node
                .parent()
                .is_none_or(|p| p.kind() != "variable_declarator"));
    if dynamic {
        if let Some(source) = args_node
            .and_then(|a| a.named_child(0))
            .filter(|a| a.kind() == "string")
            .map(|a| unquote(text(a, src)))
        {
            file.imports.push(Import::new("", "*", &source));
        }
        return;
    }
    let (name, receiver) = match callee.kind() {
        "identifier" => (text(callee, src).to_string(), None),
        "member_expression" => {
            let Some(prop) = child(callee, g.property) else {
                return;
            };
            let obj = child(callee, g.object).map(|o| prefix_within(text(o, src), 120));
            (text(prop, src).to_string(), obj)
        }
        // `HANDLERS[type](ctx)`: a call through an object of functions, by the object's name.
        "subscript_expression" => match child(callee, g.object) {
            Some(o) if o.kind() == "identifier" => (text(o, src).to_string(), None),
            _ => return,
        },
        _ => return,
    };
    if name == "require" {
        return;
    }
    // `promise.catch(handler)`: the handler runs on an error, like a catch block.
    if name == "catch"
        && receiver.is_some()
        && let Some(a) = args_node
    {
        file.guards.push(Guard {
            start: a.start_byte(),
            end: a.end_byte(),
            cond: "",
            catch: true,
            exits: false,
            skips_to: 0,
            negated: false,
        });
    }
    if let Some(args) = args_node {
        record_route_refs(callee, args, src, unit, entries, local_refs);
    }
    // Files are at most a few MiB (`source::MAX_FILE_BYTES`), so offsets fit in u32.
    let start = file.call_args.len() as u32;
    // Long enough for an object literal of a dozen fields (a create helper's input, whose
    // status key a flow reads through the helper's parameter).
    if let Some(a) = args_node {
        file.call_args
            .push_str(prefix_within(text(a, src), MAX_ARGS));
    }
    let end = file.call_args.len() as u32;
    file.calls.push(Call {
        unit,
        pos: node.start_byte(),
        end: node.end_byte(),
        name: intern(&name),
        receiver: receiver.map(intern),
        args: start..end,
    });
}

#[cfg(test)]
mod tests {
    use super::heritage_bases;

    #[test]
    fn a_class_heritage_names_its_base_and_interfaces() {
        assert_eq!(heritage_bases("extends Base"), ["Base"]);
        assert_eq!(
            heritage_bases(
                "extends ns.Repo<Booking, Map<string, number>> implements Gateway, Audited<Booking>"
            ),
            ["Repo", "Gateway", "Audited"]
        );
        assert_eq!(
            heritage_bases("implements payments.PaymentGateway"),
            ["PaymentGateway"]
        );
        // A type named like the keyword is a type, not the keyword.
        assert_eq!(heritage_bases("extends implementsBase"), ["implementsBase"]);
        assert!(heritage_bases("").is_empty());
    }
}
