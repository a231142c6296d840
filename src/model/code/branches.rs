//! The branches of a function's code: an `if`'s or a `?:`'s two sides, with the condition
//! they run under and whether they end by leaving the function.

use super::{CodeFile, Grammar, Guard, child, text};
use crate::intern::intern;
use crate::source::prefix_within;
use tree_sitter::Node;

/// The two branches of an `if` or a `?:`, each guarded by the condition's text.
pub(super) fn record_branch(g: &Grammar, node: Node, src: &str, file: &mut CodeFile) {
    let Some(cond) = child(node, g.condition) else {
        return;
    };
    let cond = intern(&blank_strings(prefix_within(text(cond, src), 200)));
    for n in [child(node, g.consequence), child(node, g.alternative)]
        .into_iter()
        .flatten()
    {
        file.guards.push(Guard {
            start: n.start_byte(),
            end: n.end_byte(),
            cond,
            catch: false,
            exits: ends_in_exit(n),
        });
    }
}

/// Whether a branch (a statement, a block, an `else` clause) always ends in `return` or
/// `throw`. Only the last statement is read: a branch that exits in a nested `if` on both
/// sides is rare and taken as falling through.
fn ends_in_exit(n: Node) -> bool {
    let mut n = n;
    loop {
        match n.kind() {
            "return_statement" | "throw_statement" => return true,
            "else_clause" | "statement_block" => {
                let mut cursor = n.walk();
                let last = n
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() != "comment")
                    .last();
                match last {
                    Some(c) => n = c,
                    None => return false,
                }
            }
            _ => return false,
        }
    }
}

/// A condition's text with the contents of its string literals removed (`status ===
/// 'expired'` becomes `status === ''`): guards are matched on what the code tests, not on
/// the text it compares with (`event.type === "checkout.session.expired"`).
fn blank_strings(cond: &str) -> String {
    let mut out = String::with_capacity(cond.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for ch in cond.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if ch == '\\' {
                    escaped = true;
                } else if ch == q {
                    quote = None;
                    out.push(ch);
                }
            }
            None => {
                if matches!(ch, '\'' | '"' | '`') {
                    quote = Some(ch);
                }
                out.push(ch);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{blank_strings, ends_in_exit};
    use crate::lang::Lang;

    /// The (consequence, alternative) exit flags of each `if` in `src`, in source order.
    fn if_exits(src: &str) -> Vec<(bool, Option<bool>)> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::Js.grammar().unwrap()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        let mut out = Vec::new();
        let mut stack = vec![tree.root_node()];
        let mut ifs = Vec::new();
        while let Some(n) = stack.pop() {
            if n.kind() == "if_statement" {
                ifs.push(n);
            }
            let mut c = n.walk();
            stack.extend(n.children(&mut c));
        }
        ifs.sort_by_key(|n| n.start_byte());
        for n in ifs {
            let cons = n.child_by_field_name("consequence").unwrap();
            let alt = n.child_by_field_name("alternative");
            out.push((ends_in_exit(cons), alt.map(ends_in_exit)));
        }
        out
    }

    #[test]
    fn a_branch_exits_when_its_last_statement_returns_or_throws() {
        assert_eq!(
            if_exits("if (a) { x(); return y; } else { z(); }"),
            vec![(true, Some(false))]
        );
        assert_eq!(
            if_exits("if (a) throw new Error('x'); else if (b) { return; /* done */ }"),
            vec![(true, Some(false)), (true, None)]
        );
        // A return inside a nested block is not the branch's last statement.
        assert_eq!(
            if_exits("if (a) { if (b) { return; } log(); }"),
            vec![(false, None), (true, None)]
        );
    }

    #[test]
    fn string_literals_are_emptied_in_guards() {
        assert_eq!(
            blank_strings(r#"(event.type === "checkout.session.expired")"#),
            r#"(event.type === "")"#
        );
        assert_eq!(
            blank_strings(r"(s === 'it\'s' || isExpired(`a${b}`))"),
            r"(s === '' || isExpired(``))"
        );
        assert_eq!(
            blank_strings("(hold.expiresAt < now)"),
            "(hold.expiresAt < now)"
        );
    }
}
