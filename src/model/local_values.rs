//! Values through local variables. `prisma.booking.update({ where, data: updateData })`, after
//! `const updateData = {}; updateData.slotTime = slot;` in the same function, stores a slot
//! time; `.update(patch)` after `const patch = { starts_at, ends_at }` moves a booking. A fact
//! that reads a write's arguments (its status, new times, contact fields) reads them with each
//! such variable written out in place, so it sees what the code stores, not a name.

use super::code::FUNCTION_KINDS;
use crate::pattern::Flat;
use tree_sitter::Node;

/// Variables looked up per call, and nodes read per function: a bound on the work, whatever
/// the input.
const MAX_NAMES: usize = 8;
const MAX_VISITS: usize = 50_000;
/// A value longer than this is cut: facts read names and short literals.
const MAX_VALUE: usize = 200;

/// A variable named by an argument, and where its name sits in the arguments' text.
struct Use<'a> {
    name: &'a str,
    range: std::ops::Range<usize>,
    /// `{ data }`: the replacement must keep the key (`data: {...}`).
    shorthand: bool,
}

/// The text of the arguments at `args_at` with every argument, or property value, that names
/// an object variable of the enclosing function replaced by that object (its initializer's
/// properties, then the properties assigned to it before the call). `None` when nothing was
/// replaced.
pub fn expand_args(flat: &Flat, args_at: u32, text: &str) -> Option<String> {
    let args = flat.node(args_at);
    if args.kind() != "arguments" {
        return None;
    }
    let uses = uses_in(args, text);
    if uses.is_empty() {
        return None;
    }
    let scope = enclosing_function(flat, args_at);
    let mut out = String::new();
    let mut at = args.start_byte();
    let mut replaced = false;
    for u in &uses {
        let Some(object) = object_of(scope, u.name, args.start_byte(), text) else {
            continue;
        };
        out.push_str(text.get(at..u.range.start)?);
        if u.shorthand {
            out.push_str(u.name);
            out.push_str(": ");
        }
        out.push_str(&object);
        at = u.range.end;
        replaced = true;
    }
    if !replaced {
        return None;
    }
    out.push_str(text.get(at..args.end_byte())?);
    Some(out)
}

/// Arguments that are a bare identifier, and identifier values of an object argument's
/// properties, in source order.
fn uses_in<'a>(args: Node, text: &'a str) -> Vec<Use<'a>> {
    let mut out = Vec::new();
    let mut c = args.walk();
    for arg in args.named_children(&mut c) {
        match arg.kind() {
            "identifier" => push_use(&mut out, arg, text, false),
            "object" => {
                let mut pc = arg.walk();
                for p in arg.named_children(&mut pc) {
                    match p.kind() {
                        "pair" => {
                            if let Some(v) = p.child_by_field_name("value")
                                && v.kind() == "identifier"
                            {
                                push_use(&mut out, v, text, false);
                            }
                        }
                        "shorthand_property_identifier" => push_use(&mut out, p, text, true),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        if out.len() >= MAX_NAMES {
            break;
        }
    }
    out
}

fn push_use<'a>(out: &mut Vec<Use<'a>>, n: Node, text: &'a str, shorthand: bool) {
    if let Some(name) = text.get(n.byte_range()) {
        out.push(Use {
            name,
            range: n.byte_range(),
            shorthand,
        });
    }
}

/// The nearest function around the node (the whole file at module level).
fn enclosing_function<'t>(flat: &Flat<'t>, at: u32) -> Node<'t> {
    let mut cur = at;
    while let Some(p) = flat.parent(cur) {
        let n = flat.node(p);
        if FUNCTION_KINDS.contains(&n.kind()) {
            return n;
        }
        cur = p;
    }
    flat.root()
}

/// `{ ...initializer, key: value, ... }` for a variable of `scope` declared with an object
/// literal, or assigned properties (`v.key = value`) before `before`; `None` when it is
/// neither.
fn object_of(scope: Node, name: &str, before: usize, text: &str) -> Option<String> {
    let mut init: Option<&str> = None;
    // `const booking = new Booking()`: the object is a new entity (MikroORM's, TypeORM's),
    // written out as `new Booking({ ... })` so a fact can tell a new row from a loaded one.
    let mut ctor: Option<&str> = None;
    let mut assigned: Vec<(&str, &str)> = Vec::new();
    let mut cursor = scope.walk();
    let mut visits = 0usize;
    loop {
        let n = cursor.node();
        visits += 1;
        if n.start_byte() >= before {
            break;
        }
        match n.kind() {
            "variable_declarator" => {
                if let (Some(id), Some(v)) = (
                    n.child_by_field_name("name"),
                    n.child_by_field_name("value"),
                ) && text.get(id.byte_range()) == Some(name)
                {
                    (init, ctor) = match v.kind() {
                        "object" => (inner(v, text), None),
                        "new_expression" => {
                            let class = v
                                .child_by_field_name("constructor")
                                .filter(|c| c.kind() == "identifier")
                                .and_then(|c| text.get(c.byte_range()));
                            let object = v
                                .child_by_field_name("arguments")
                                .and_then(|a| a.named_child(0))
                                .filter(|o| o.kind() == "object");
                            (object.and_then(|o| inner(o, text)), class)
                        }
                        _ => (None, None),
                    };
                }
            }
            "assignment_expression" => {
                if let (Some(l), Some(r)) = (
                    n.child_by_field_name("left"),
                    n.child_by_field_name("right"),
                ) && l.kind() == "member_expression"
                    && let (Some(o), Some(p)) = (
                        l.child_by_field_name("object"),
                        l.child_by_field_name("property"),
                    )
                    && text.get(o.byte_range()) == Some(name)
                    && let (Some(key), Some(value)) =
                        (text.get(p.byte_range()), text.get(r.byte_range()))
                {
                    assigned.push((key, crate::source::prefix_within(value, MAX_VALUE)));
                }
            }
            _ => {}
        }
        if crate::pattern::advance(&mut cursor, visits < MAX_VISITS).is_none() {
            break;
        }
    }
    if init.is_none() && assigned.is_empty() && ctor.is_none() {
        return None;
    }
    let mut out = String::new();
    if let Some(c) = ctor {
        out.push_str("new ");
        out.push_str(c);
        out.push('(');
    }
    out.push_str("{ ");
    if let Some(i) = init {
        let i = i.trim().trim_end_matches(',');
        if !i.is_empty() {
            out.push_str(i);
            out.push_str(", ");
        }
    }
    for (k, v) in assigned {
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
        out.push_str(", ");
    }
    out.push('}');
    if ctor.is_some() {
        out.push(')');
    }
    Some(out)
}

/// An object literal's text without its braces.
fn inner<'t>(object: Node, text: &'t str) -> Option<&'t str> {
    text.get(object.start_byte() + 1..object.end_byte().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expanded(src: &str) -> Option<String> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let flat = Flat::new(tree.root_node());
        // The last `arguments` node in the file: the write's.
        let at = flat
            .preorder()
            .enumerate()
            .filter(|(_, (n, _))| n.kind() == "arguments")
            .last()
            .map(|(i, _)| i as u32)?;
        expand_args(&flat, at, src)
    }

    #[test]
    fn assigned_properties_and_initializers_are_written_out() {
        let src = "async function f(d) {\n  const updateData: any = {};\n  if (d.date) updateData.bookingDate = d.date;\n  updateData.slotTime = d.slot;\n  await prisma.booking.update({ where: { id }, data: updateData });\n}";
        let got = expanded(src).unwrap();
        assert!(
            got.contains("data: { bookingDate: d.date, slotTime: d.slot, }"),
            "{got}"
        );
        let src = "function f() {\n  const patch = { starts_at: a, ends_at: b };\n  return supabase.from('bookings').update(patch);\n}";
        assert_eq!(expanded(src).unwrap(), "({ starts_at: a, ends_at: b, })");
        let src = "function f(x) {\n  const data = { status: 'PENDING', slotId: x };\n  return prisma.booking.create({ data });\n}";
        assert_eq!(
            expanded(src).unwrap(),
            "({ data: { status: 'PENDING', slotId: x, } })"
        );
    }

    #[test]
    fn later_assignments_other_functions_and_non_objects_are_not_read() {
        // Assigned after the call: the object is still empty when it is written.
        let src = "function f() {\n  const patch = {};\n  db.update(patch);\n  patch.start = 1;\n}";
        assert_eq!(expanded(src).as_deref(), Some("({ })"));
        // Declared in another function.
        let src =
            "function g() { const patch = { start: 1 }; }\nfunction f(patch) { db.update(patch); }";
        assert_eq!(expanded(src), None);
        // A parameter or a call result: nothing to write out.
        let src = "function f(dto) { const row = build(dto); return repo.update(row); }";
        assert_eq!(expanded(src), None);
        // A new object of a class that is not a plain identifier (`new models.Booking()`).
        let src = "function f() { const b = new models.Booking(); return em.persist(b); }";
        assert_eq!(expanded(src), None);
    }

    #[test]
    fn a_new_entity_is_written_out_with_its_class() {
        let src = "async function f(i) {\n  const booking = new Booking();\n  booking.email = i.email;\n  await em.persistAndFlush(booking);\n}";
        assert_eq!(
            expanded(src).as_deref(),
            Some("(new Booking({ email: i.email, }))")
        );
        let src = "function f(i) {\n  const b = new Booking({ slot: i.slot });\n  b.status = 'held';\n  return b.save(b);\n}";
        assert_eq!(
            expanded(src).as_deref(),
            Some("(new Booking({ slot: i.slot, status: 'held', }))")
        );
        // Only the variable the call names.
        let src = "function f() {\n  const b = { status: 1 };\n  const c = new Slot();\n  return em.persist(c);\n}";
        assert_eq!(expanded(src).as_deref(), Some("(new Slot({ }))"));
    }
}
