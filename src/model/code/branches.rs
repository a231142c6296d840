//! The branches of a function's code: an `if`'s or a `?:`'s two sides and the cases of a
//! `switch`, with the condition they run under, whether they end by leaving the function, and
//! the code they skip when taken (the other side, later cases, the rest of a loop).

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
    let alternative = child(node, g.alternative);
    for (n, other_side, negated) in [
        (child(node, g.consequence), alternative.is_some(), false),
        (alternative, false, true),
    ] {
        let Some(n) = n else { continue };
        let ending = ending(n);
        // A `continue` or `break` skips the rest of its loop (or switch); otherwise the
        // consequence taken, the alternative is skipped.
        let skips_to = match ending {
            Ending::Function => 0,
            Ending::Continue | Ending::Break => jump_target(node, ending).unwrap_or(0),
            Ending::FallsThrough if other_side => node.end_byte(),
            Ending::FallsThrough => 0,
        };
        file.guards.push(Guard {
            start: n.start_byte(),
            end: n.end_byte(),
            cond,
            catch: false,
            exits: ending == Ending::Function,
            skips_to,
            negated,
        });
    }
}

/// A `case` of a `switch` that ends in `break` (or leaves the function, or continues its
/// loop): the later cases are other paths. One that falls through runs on into the next and
/// is no branch of its own. Its condition is not recorded: the cases' values are not what
/// rules test.
pub(super) fn record_case(node: Node, file: &mut CodeFile) {
    let mut cursor = node.walk();
    let last = node
        .named_children(&mut cursor)
        .filter(|c| c.kind() != "comment")
        .last();
    let Some(last) = last else {
        return;
    };
    let ending = ending(last);
    let skips_to = match ending {
        Ending::FallsThrough => return,
        Ending::Function => 0,
        Ending::Break => node.parent().map_or(0, |body| body.end_byte()),
        Ending::Continue => jump_target(node, ending).unwrap_or(0),
    };
    file.guards.push(Guard {
        start: node.start_byte(),
        end: node.end_byte(),
        cond: "",
        catch: false,
        exits: ending == Ending::Function,
        skips_to,
        negated: false,
    });
}

/// How a branch ends: by leaving the function (`return`, `throw`), by jumping out of its
/// loop or switch (`break`, `continue` without a label), or by running on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Function,
    Break,
    Continue,
    FallsThrough,
}

/// How branch `n` (a statement, a block, an `else` clause, a case's last statement) ends. Only
/// the last statement is read: a branch that exits in a nested `if` on both sides is rare and
/// taken as falling through.
fn ending(n: Node) -> Ending {
    let mut n = n;
    loop {
        match n.kind() {
            "return_statement" | "throw_statement" => return Ending::Function,
            "break_statement" | "continue_statement" => {
                // `break outer`: where it lands is not worked out.
                if n.child_by_field_name("label").is_some() {
                    return Ending::FallsThrough;
                }
                return if n.kind() == "break_statement" {
                    Ending::Break
                } else {
                    Ending::Continue
                };
            }
            "else_clause" | "statement_block" => {
                let mut cursor = n.walk();
                let last = n
                    .named_children(&mut cursor)
                    .filter(|c| c.kind() != "comment")
                    .last();
                match last {
                    Some(c) => n = c,
                    None => return Ending::FallsThrough,
                }
            }
            _ => return Ending::FallsThrough,
        }
    }
}

/// Where a `continue` (the end of its loop's body) or a `break` (the end of its loop or
/// switch) in the branches of `node` lands, looked for up to the function around it.
fn jump_target(node: Node, ending: Ending) -> Option<usize> {
    let mut n = node.parent();
    while let Some(p) = n {
        match p.kind() {
            "for_statement" | "for_in_statement" | "while_statement" | "do_statement" => {
                return Some(p.end_byte());
            }
            "switch_body" if ending == Ending::Break => return Some(p.end_byte()),
            k if super::FUNCTION_KINDS.contains(&k) => return None,
            _ => {}
        }
        n = p.parent();
    }
    None
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
    use super::{Ending, blank_strings, ending, jump_target};
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
            let exits = |n| ending(n) == Ending::Function;
            out.push((exits(cons), alt.map(exits)));
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

    /// The first node of `kind` in the tree, depth first.
    fn first<'t>(node: tree_sitter::Node<'t>, kind: &str) -> Option<tree_sitter::Node<'t>> {
        if node.kind() == kind {
            return Some(node);
        }
        let mut cursor = node.walk();
        let children: Vec<_> = node.named_children(&mut cursor).collect();
        children.into_iter().find_map(|c| first(c, kind))
    }

    #[test]
    fn continue_and_break_skip_to_the_end_of_their_loop_or_switch() {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::Js.grammar().unwrap()).unwrap();
        let src = "for (const e of es) { if (a) { x(); continue; } y(); }\nafter();";
        let tree = parser.parse(src, None).unwrap();
        let if_node = first(tree.root_node(), "if_statement").unwrap();
        let cons = if_node.child_by_field_name("consequence").unwrap();
        assert_eq!(ending(cons), Ending::Continue);
        let loop_end = src.find("\nafter").unwrap();
        assert_eq!(jump_target(if_node, Ending::Continue), Some(loop_end));

        let src = "switch (k) { case 1: a(); break; case 2: { b(); break; } case 3: c(); }";
        let tree = parser.parse(src, None).unwrap();
        let case = first(tree.root_node(), "switch_case").unwrap();
        let mut cursor = case.walk();
        let last = case.named_children(&mut cursor).last().unwrap();
        assert_eq!(ending(last), Ending::Break);
        // A labelled jump lands somewhere not worked out.
        let src = "outer: for (;;) { if (a) { break outer; } }";
        let tree = parser.parse(src, None).unwrap();
        let if_node = first(tree.root_node(), "if_statement").unwrap();
        let cons = if_node.child_by_field_name("consequence").unwrap();
        assert_eq!(ending(cons), Ending::FallsThrough);
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
