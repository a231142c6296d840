//! Valid TypeScript the tree-sitter grammars (tree-sitter-typescript 0.23, tree-sitter-javascript
//! 0.25, the newest releases) cannot parse, and how the parse gets round it.
//!
//! The grammars reject a few idioms TypeScript accepts:
//! - type arguments on a tagged template, `` sql<Row[]>`SELECT ...` `` (upstream issue
//!   tree-sitter-typescript#341): parsed as comparisons, or an error;
//! - an import type, `import("./m").T` and `typeof import("./m")`, in a type position;
//! - `export type * from "./m"`;
//! - a bare `&` in JSX text (`Terms & Conditions`) or in a JSX attribute string
//!   (`href="?a=1&b=2"`), where the grammar only admits character references (`&amp;`).
//!
//! The workaround never changes the text the facts are read from: the parser reads a masked
//! copy of the same length in bytes, with the same line breaks, in which the idiom is blanked
//! into something the grammar knows (`sql         ` + the template, `import______.T`, a space
//! for the `&`). Node offsets and positions therefore hold for the original text. The first
//! three are found in the text before parsing; the JSX `&` is found from the error nodes of a
//! parse and repaired by parsing again. A masked parse is kept only if it has no more error
//! nodes than the parse of the original text, so a mask can never make a file worse.

use crate::lang::Lang;
use regex::bytes::Regex;
use std::sync::OnceLock;
use tree_sitter::{Node, Tree};

/// Repair rounds for JSX `&` (each round reparses once).
const JSX_ROUNDS: usize = 3;
/// Longest type-argument list blanked before a tagged template, in bytes.
const MAX_TYPE_ARGS: usize = 2000;

/// Parses a code file (TS, TSX, JS) with the grammar gaps worked round; `parse` parses a text
/// (`None`: over the time budget). Other languages are parsed as they are.
pub fn parse_code(
    lang: Lang,
    text: &str,
    parse: &mut dyn FnMut(&[u8]) -> Option<Tree>,
) -> Option<Tree> {
    if !lang.is_code() {
        return parse(text.as_bytes());
    }
    let mut masked = text.as_bytes().to_vec();
    let premasked = premask(lang, &mut masked);
    let mut tree = parse(&masked)?;
    if tree.root_node().has_error() && matches!(lang, Lang::Tsx | Lang::Js) {
        let mut errors = error_count(tree.root_node());
        for _ in 0..JSX_ROUNDS {
            let mut next = masked.clone();
            if !mask_jsx_ampersands(tree.root_node(), &mut next) {
                break;
            }
            let Some(t) = parse(&next) else { break };
            let e = error_count(t.root_node());
            if e >= errors {
                break;
            }
            (tree, masked, errors) = (t, next, e);
            if errors == 0 {
                break;
            }
        }
    }
    let changed = premasked || masked != text.as_bytes();
    if changed && tree.root_node().has_error() {
        let plain = parse(text.as_bytes())?;
        if error_count(plain.root_node()) < error_count(tree.root_node()) {
            return Some(plain);
        }
    }
    Some(tree)
}

/// Error and missing nodes of a tree.
pub fn error_count(root: Node) -> usize {
    let mut n = 0;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            n += 1;
        }
        if node.has_error() {
            let mut c = node.walk();
            stack.extend(node.children(&mut c));
        }
    }
    n
}

/// Blanks bytes `[start, end)` with `fill`, keeping line breaks.
fn blank(text: &mut [u8], start: usize, end: usize, fill: u8) {
    for b in &mut text[start..end] {
        if *b != b'\n' && *b != b'\r' {
            *b = fill;
        }
    }
}

/// The idioms found in the text: tagged-template type arguments, import types and
/// `export type *`. Returns whether anything was masked.
fn premask(lang: Lang, text: &mut [u8]) -> bool {
    let mut changed = false;
    if lang != Lang::Js {
        changed |= mask_import_types(text);
        changed |= mask_export_type_star(text);
    }
    changed |= mask_template_type_args(text);
    changed
}

fn import_type_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r#"\bimport[ \t]*\([ \t]*(?:"[^"\n]*"|'[^'\n]*')[ \t]*\)((?:[ \t]*\.[ \t]*[A-Za-z_$][\w$]*)*)[ \t]*(.?)"#,
        )
        .expect("import type regex")
    })
}

/// `import("m").A.B` (not followed by a call) and `typeof import("m")`: the parentheses and
/// the specifier become `_`, leaving an identifier the grammar reads as a type name.
fn mask_import_types(text: &mut [u8]) -> bool {
    if memchr::memmem::find(text, b"import").is_none() {
        return false;
    }
    let mut spans = Vec::new();
    for c in import_type_re().captures_iter(text) {
        let m = c.get(0).expect("match");
        let chain = c.get(1).map_or(0, |g| g.len());
        let next = c.get(2).map_or(&b""[..], |g| g.as_bytes());
        let before = trim_end(&text[..m.start()]);
        let after_typeof = before.ends_with(b"typeof")
            && !before[..before.len() - 6]
                .last()
                .is_some_and(|&b| is_ident(b));
        let qualified_type = chain > 0 && !matches!(next, b"(" | b"`");
        if after_typeof || qualified_type {
            let open = m.start() + 6;
            let close = m.start()
                + memchr::memchr(b')', &text[m.start()..m.end()]).expect("closing parenthesis");
            spans.push((open, close + 1));
        }
    }
    for &(s, e) in &spans {
        blank(text, s, e, b'_');
    }
    !spans.is_empty()
}

fn export_type_star_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\bexport[ \t]+(type)[ \t]+\*").expect("export type regex"))
}

/// `export type * from "m"` is read as `export * from "m"`.
fn mask_export_type_star(text: &mut [u8]) -> bool {
    let spans: Vec<(usize, usize)> = export_type_star_re()
        .captures_iter(text)
        .filter_map(|c| c.get(1).map(|g| (g.start(), g.end())))
        .collect();
    for &(s, e) in &spans {
        blank(text, s, e, b' ');
    }
    !spans.is_empty()
}

/// `` tag<T>`...` ``: the type arguments before a template's backtick are blanked, leaving the
/// tagged template call the grammar knows. The type arguments are found backwards from the
/// backtick, balancing `<` and `>` (an arrow's `=>` is not a bracket) and the other brackets,
/// and giving up at anything a type cannot hold (a backtick, `${`, `&&`, `||`, `=`, `!`, `+`,
/// `%`); they must follow a name.
fn mask_template_type_args(text: &mut [u8]) -> bool {
    let mut spans = Vec::new();
    for tick in memchr::memchr_iter(b'`', text) {
        let before = trim_end(&text[..tick]);
        let Some(close) = before.len().checked_sub(1) else {
            continue;
        };
        if text[close] != b'>' || close > 0 && text[close - 1] == b'=' {
            continue;
        }
        if let Some(open) = type_args_start(text, close)
            && open > 0
            && is_ident(text[open - 1])
        {
            spans.push((open, close + 1));
        }
    }
    for &(s, e) in &spans {
        blank(text, s, e, b' ');
    }
    !spans.is_empty()
}

/// The `<` opening the type arguments that end with the `>` at `close`.
fn type_args_start(text: &[u8], close: usize) -> Option<usize> {
    let floor = close.saturating_sub(MAX_TYPE_ARGS);
    let mut depth = 0usize;
    // Other brackets, counted backwards: a closing one opens a nesting.
    let mut nested = 0isize;
    let mut i = close;
    loop {
        let b = text[i];
        let prev = if i > 0 { text[i - 1] } else { 0 };
        match b {
            b'>' if prev != b'=' => depth += 1,
            b'<' => {
                depth -= 1;
                if depth == 0 {
                    return (nested == 0).then_some(i);
                }
            }
            b')' | b']' | b'}' => nested += 1,
            b'(' | b'[' | b'{' => {
                nested -= 1;
                if nested < 0 || b == b'{' && prev == b'$' {
                    return None;
                }
            }
            b'`' | b'!' | b'+' | b'%' => return None,
            b'&' if prev == b'&' => return None,
            b'|' if prev == b'|' => return None,
            b'=' if text.get(i + 1) != Some(&b'>') => return None,
            _ => {}
        }
        if i == floor {
            return None;
        }
        i -= 1;
    }
}

/// Blanks the `&` of JSX text and JSX attribute strings that the grammar refused: each `&` in
/// an error node under a JSX node (or in the string an error node sits in) that does not start
/// a character reference and is not half of `&&`. Returns whether anything was blanked.
fn mask_jsx_ampersands(root: Node, text: &mut [u8]) -> bool {
    let mut changed = false;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() {
            let Some(parent) = node.parent() else {
                continue;
            };
            let in_jsx = parent.kind().starts_with("jsx_")
                || parent.kind() == "string"
                    && parent
                        .parent()
                        .is_some_and(|g| g.kind().starts_with("jsx_"));
            if in_jsx {
                let (s, e) = if parent.kind() == "string" {
                    (parent.start_byte(), parent.end_byte())
                } else {
                    (node.start_byte(), node.end_byte())
                };
                for i in s..e.min(text.len()) {
                    if text[i] == b'&'
                        && (i == 0 || text[i - 1] != b'&')
                        && text.get(i + 1) != Some(&b'&')
                        && !is_char_reference(&text[i..])
                    {
                        text[i] = b' ';
                        changed = true;
                    }
                }
            }
            continue;
        }
        if node.has_error() {
            let mut c = node.walk();
            stack.extend(node.children(&mut c));
        }
    }
    changed
}

/// `&name;`, `&#123;` or `&#x1F;` at the start of `s`.
fn is_char_reference(s: &[u8]) -> bool {
    let body = &s[1..];
    let (digits, hex): (&[u8], bool) = match body {
        [b'#', b'x' | b'X', rest @ ..] => (rest, true),
        [b'#', rest @ ..] => (rest, false),
        _ => (body, false),
    };
    let numeric = body.first() == Some(&b'#');
    let n = digits
        .iter()
        .take_while(|b| {
            if numeric {
                if hex {
                    b.is_ascii_hexdigit()
                } else {
                    b.is_ascii_digit()
                }
            } else {
                b.is_ascii_alphabetic()
            }
        })
        .count();
    n > 0 && digits.get(n) == Some(&b';')
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

fn trim_end(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    &s[..s.len() - n]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(lang: Lang, src: &str) -> String {
        let mut t = src.as_bytes().to_vec();
        premask(lang, &mut t);
        assert_eq!(t.len(), src.len());
        String::from_utf8(t).unwrap()
    }

    #[test]
    fn tagged_template_type_arguments_are_blanked() {
        assert_eq!(
            masked(Lang::Ts, "tx.$queryRaw<{ id: string }[]>`SELECT 1`"),
            "tx.$queryRaw                  `SELECT 1`"
        );
        assert_eq!(
            masked(Lang::Ts, "sql<Map<string, () => void>>\n`x`"),
            "sql                         \n`x`"
        );
        // An arrow returning a template, a comparison and an interpolation stay.
        for src in [
            "const f = () => `x`;",
            "if (a < b && c > `x`) {}",
            "`${a<b}>` + `y`",
        ] {
            assert_eq!(masked(Lang::Ts, src), src);
        }
    }

    #[test]
    fn import_types_become_names_and_dynamic_imports_stay() {
        assert_eq!(
            masked(Lang::Ts, "let a: import('./m').T[];"),
            "let a: import_______.T[];"
        );
        assert_eq!(
            masked(Lang::Ts, "f<typeof import(\"m\")>()"),
            "f<typeof import_____>()"
        );
        for src in [
            "const m = await import('./m');",
            "import('./m').then((m) => m.run());",
        ] {
            assert_eq!(masked(Lang::Ts, src), src);
        }
    }

    #[test]
    fn export_type_star_is_read_as_export_star() {
        assert_eq!(
            masked(Lang::Ts, "export type * from './t';"),
            "export      * from './t';"
        );
    }

    #[test]
    fn character_references_are_recognised() {
        assert!(is_char_reference(b"&amp; x"));
        assert!(is_char_reference(b"&#38;"));
        assert!(is_char_reference(b"&#x26;"));
        assert!(!is_char_reference(b"& x"));
        assert!(!is_char_reference(b"&utm_medium=x"));
    }
}
