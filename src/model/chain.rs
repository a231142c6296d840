//! Canonical call chains: the text a fact's `call:` pattern reads for a callee.
//!
//! Facts must match what the code means, not how a formatter laid it out. `await tx\n
//! .insert(bookings)`, `prisma?.booking!.create`, `(this.db as Db).booking.create` and a
//! comment between two links all name the same chain as `tx.insert(bookings)`,
//! `prisma.booking.create` and `this.db.booking.create`. One function computes that form;
//! every fact's `callee` is it.

use tree_sitter::Node;

/// Links deeper than this are copied as they are: a chain so long is generated code, and the
/// walk must never exhaust the stack.
const MAX_DEPTH: usize = 256;

/// The canonical text of a callee, or `None` when its source text already is canonical.
///
/// Dropped: comments; spaces and line breaks between links; `?.` (read as `.`); `!`; `as T`
/// and `satisfies T`; type arguments of a call; parentheses around a link; `await`.
/// `x["name"]` reads `x.name`. Argument lists keep their text (less comments): facts read
/// values there.
pub fn canonical_callee(node: Node, text: &str) -> Option<String> {
    let slice = text.get(node.byte_range())?;
    let may_differ = slice.bytes().any(|b| {
        matches!(
            b,
            b' ' | b'\n' | b'\r' | b'\t' | b'?' | b'!' | b'/' | b'[' | b'<' | b'('
        )
    });
    if !may_differ {
        return None;
    }
    let mut out = String::with_capacity(slice.len());
    canon(node, text, &mut out, 0)?;
    (out != slice).then_some(out)
}

fn canon(node: Node, text: &str, out: &mut String, depth: usize) -> Option<()> {
    if depth > MAX_DEPTH {
        return raw(node, text, out);
    }
    let next = depth + 1;
    match node.kind() {
        "member_expression" => {
            let object = node.child_by_field_name("object")?;
            let property = node.child_by_field_name("property")?;
            canon(object, text, out, next)?;
            out.push('.');
            out.push_str(text.get(property.byte_range())?);
        }
        "subscript_expression" => {
            let object = node.child_by_field_name("object")?;
            let index = node.child_by_field_name("index")?;
            canon(object, text, out, next)?;
            match string_name(index, text) {
                Some(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                None => {
                    out.push('[');
                    raw(index, text, out)?;
                    out.push(']');
                }
            }
        }
        "call_expression" => {
            let function = node.child_by_field_name("function")?;
            let arguments = node.child_by_field_name("arguments")?;
            canon(function, text, out, next)?;
            raw(arguments, text, out)?;
        }
        "non_null_expression"
        | "await_expression"
        | "as_expression"
        | "satisfies_expression"
        | "type_assertion" => {
            // The expression is the first named child (`x as T`, `x!`, `await x`); in `<T>x`
            // it is the last.
            let inner = if node.kind() == "type_assertion" {
                node.named_child(u32::try_from(node.named_child_count().checked_sub(1)?).ok()?)?
            } else {
                node.named_child(0)?
            };
            canon(inner, text, out, next)?;
        }
        "parenthesized_expression" if node.named_child_count() == 1 => {
            let inner = node.named_child(0)?;
            if inner.kind() == "sequence_expression" {
                return raw(node, text, out);
            }
            canon(inner, text, out, next)?;
        }
        _ => raw(node, text, out)?,
    }
    Some(())
}

/// `"name"` or `'name'` when the string is a plain identifier.
fn string_name<'a>(node: Node, text: &'a str) -> Option<&'a str> {
    if node.kind() != "string" {
        return None;
    }
    let s = text.get(node.byte_range())?;
    let inner = s.get(1..s.len().checked_sub(1)?)?;
    let ident = !inner.is_empty()
        && !inner.starts_with(|c: char| c.is_ascii_digit())
        && inner
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    ident.then_some(inner)
}

/// The node's source text with its comments left out.
fn raw(node: Node, text: &str, out: &mut String) -> Option<()> {
    let range = node.byte_range();
    let slice = text.get(range.clone())?;
    if !slice.contains("//") && !slice.contains("/*") {
        out.push_str(slice);
        return Some(());
    }
    let mut at = range.start;
    let mut cursor = node.walk();
    let mut visited = 0usize;
    loop {
        let n = cursor.node();
        visited += 1;
        let comment = n.kind() == "comment";
        if comment {
            out.push_str(text.get(at..n.start_byte())?);
            at = n.end_byte();
        }
        if crate::pattern::advance(&mut cursor, !comment && visited < 100_000).is_none() {
            break;
        }
    }
    out.push_str(text.get(at..range.end)?);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical text of the first call's callee in `src` (TypeScript).
    fn callee_of(src: &str) -> String {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let mut stack = vec![tree.root_node()];
        let mut calls = Vec::new();
        while let Some(n) = stack.pop() {
            if n.kind() == "call_expression" {
                calls.push(n);
            }
            let mut c = n.walk();
            stack.extend(n.children(&mut c));
        }
        // The outermost call is the one that starts first and is longest.
        let call = calls
            .into_iter()
            .min_by_key(|n| (n.start_byte(), std::cmp::Reverse(n.end_byte())))
            .unwrap();
        let f = call.child_by_field_name("function").unwrap();
        canonical_callee(f, src).unwrap_or_else(|| src[f.byte_range()].to_string())
    }

    #[test]
    fn formatting_does_not_change_the_chain() {
        let same = [
            ("prisma.booking.create({})", "prisma.booking.create"),
            ("prisma?.booking!.create({})", "prisma.booking.create"),
            (
                "(this.db as Db).booking.create({})",
                "this.db.booking.create",
            ),
            (
                "(prisma satisfies P).booking.create({})",
                "prisma.booking.create",
            ),
            (
                "prisma\n  // the client\n  .booking\n  .create({})",
                "prisma.booking.create",
            ),
            ("prisma['booking'].create({})", "prisma.booking.create"),
            (
                "(await getDb()).booking.create({})",
                "getDb().booking.create",
            ),
            (
                "tx\n    .insert(bookings)\n    .values({})",
                "tx.insert(bookings).values",
            ),
            (
                "knex('bookings')\n  .where({ id }) /* only one */\n  .update({})",
                "knex('bookings').where({ id }).update",
            ),
            ("sql<string[]>(q)", "sql"),
        ];
        for (src, want) in same {
            assert_eq!(callee_of(src), want, "{src}");
        }
    }

    #[test]
    fn computed_members_and_sequences_keep_their_text() {
        assert_eq!(callee_of("db[table].create({})"), "db[table].create");
        assert_eq!(callee_of("db['a-b'].create({})"), "db['a-b'].create");
        assert_eq!(callee_of("(0, fn)(x)"), "(0, fn)");
    }
}
