//! The subset of tree-sitter's query syntax that fact queries use: node kinds, `(_)` and `_`
//! wildcards, quoted anonymous nodes, fields, `.` anchors, `[...]` alternations and
//! `@captures`. Quantifiers, predicates, negated fields and supertypes are refused by name.

/// A pattern node as written, before its names are resolved against a grammar.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub field: Option<String>,
    pub captures: Vec<String>,
    pub children: Vec<Child>,
    /// A `.` after the last child: it must be the last named child.
    pub last_anchored: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `(name ...)`: a named node of that kind.
    Named(String),
    /// `"text"`: an anonymous node of that kind.
    Anonymous(String),
    /// `(_ ...)`: any named node.
    AnyNamed,
    /// `_`: any node, named or anonymous.
    Any,
    /// `[a b ...]`: any of the alternatives.
    Alternatives(Vec<Node>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Child {
    pub node: Node,
    /// A `.` before this child: it is the first named child, or follows the previous one
    /// with no named node between.
    pub anchored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// Parses a query text into its top-level patterns, with each one's byte offset.
pub fn parse(text: &str) -> Result<Vec<(usize, Node)>, SyntaxError> {
    let mut p = Parser { s: text, at: 0 };
    let mut out = Vec::new();
    loop {
        p.skip_space();
        if p.at >= p.s.len() {
            return Ok(out);
        }
        let start = p.at;
        out.push((start, p.pattern()?));
    }
}

struct Parser<'a> {
    s: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn err<T>(&self, message: impl Into<String>) -> Result<T, SyntaxError> {
        Err(SyntaxError {
            offset: self.at,
            message: message.into(),
        })
    }

    fn peek(&self) -> Option<char> {
        self.s[self.at..].chars().next()
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.at += c.len_utf8();
            } else if c == ';' {
                self.at = self.s[self.at..]
                    .find('\n')
                    .map_or(self.s.len(), |i| self.at + i);
            } else {
                return;
            }
        }
    }

    fn identifier(&mut self) -> &str {
        let start = self.at;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '$') {
                self.at += c.len_utf8();
            } else {
                break;
            }
        }
        &self.s[start..self.at]
    }

    /// One pattern with its field prefix, if any, and its captures.
    fn pattern(&mut self) -> Result<Node, SyntaxError> {
        self.skip_space();
        let mut field = None;
        let save = self.at;
        if self.peek().is_some_and(|c| c.is_alphabetic()) {
            let name = self.identifier().to_string();
            self.skip_space();
            if self.peek() == Some(':') {
                self.at += 1;
                field = Some(name);
                self.skip_space();
            } else {
                self.at = save;
                return self.err("expected `(`, `[`, `_` or a quoted node");
            }
        }
        let mut node = match self.peek() {
            Some('(') => self.parenthesized()?,
            Some('[') => {
                self.at += 1;
                let mut alts = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek() {
                        Some(']') => {
                            self.at += 1;
                            break;
                        }
                        None => return self.err("unclosed `[`"),
                        _ => alts.push(self.pattern()?),
                    }
                }
                if alts.is_empty() {
                    return self.err("empty alternation");
                }
                leaf(Kind::Alternatives(alts))
            }
            Some('_') => {
                self.at += 1;
                leaf(Kind::Any)
            }
            Some('"') => leaf(Kind::Anonymous(self.string()?)),
            Some('!') => return self.err("negated fields are not supported"),
            _ => return self.err("expected `(`, `[`, `_` or a quoted node"),
        };
        node.field = field;
        loop {
            self.skip_space();
            match self.peek() {
                Some('@') => {
                    self.at += 1;
                    let name = self.identifier();
                    if name.is_empty() {
                        return self.err("expected a capture name after `@`");
                    }
                    node.captures.push(name.to_string());
                }
                Some('*' | '+' | '?') => {
                    return self.err("quantifiers (`*`, `+`, `?`) are not supported");
                }
                _ => return Ok(node),
            }
        }
    }

    fn parenthesized(&mut self) -> Result<Node, SyntaxError> {
        self.at += 1;
        self.skip_space();
        match self.peek() {
            Some('#') => return self.err("predicates (`#eq?` and the like) are not supported"),
            Some('(' | '[') => return self.err("grouped sibling patterns are not supported"),
            _ => {}
        }
        let kind = if self.peek() == Some('_')
            && !self.s[self.at + 1..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
        {
            self.at += 1;
            Kind::AnyNamed
        } else if self.peek() == Some('"') {
            return self.err("a parenthesized node needs a kind name");
        } else {
            let name = self.identifier();
            if name.is_empty() {
                return self.err("expected a node kind");
            }
            Kind::Named(name.to_string())
        };
        if self.peek() == Some('/') {
            return self.err("supertype patterns (`kind/subkind`) are not supported");
        }
        let mut node = leaf(kind);
        let mut anchored = false;
        loop {
            self.skip_space();
            match self.peek() {
                Some(')') => {
                    self.at += 1;
                    node.last_anchored = anchored;
                    return Ok(node);
                }
                Some('.') => {
                    self.at += 1;
                    anchored = true;
                }
                None => return self.err("unclosed `(`"),
                Some('#') => {
                    return self.err("predicates (`#eq?` and the like) are not supported");
                }
                _ => {
                    let child = self.pattern()?;
                    node.children.push(Child {
                        node: child,
                        anchored,
                    });
                    anchored = false;
                }
            }
        }
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.s[self.at..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                '\\' => match chars.next() {
                    Some((_, 'n')) => out.push('\n'),
                    Some((_, 't')) => out.push('\t'),
                    Some((_, 'r')) => out.push('\r'),
                    Some((_, '0')) => out.push('\0'),
                    Some((_, c)) => out.push(c),
                    None => break,
                },
                c => out.push(c),
            }
        }
        self.err("unclosed string")
    }
}

fn leaf(kind: Kind) -> Node {
    Node {
        kind,
        field: None,
        captures: Vec::new(),
        children: Vec::new(),
        last_anchored: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut all = parse(text).expect("parses");
        assert_eq!(all.len(), 1);
        all.remove(0).1
    }

    #[test]
    fn fields_anchors_alternations_and_captures() {
        let n = one(
            "(call_expression function: (member_expression property: (property_identifier) @m) \
             arguments: (arguments . [(arrow_function) (function_expression)] @scope .)) @match",
        );
        assert_eq!(n.kind, Kind::Named("call_expression".into()));
        assert_eq!(n.captures, ["match"]);
        assert_eq!(n.children.len(), 2);
        assert_eq!(n.children[0].node.field.as_deref(), Some("function"));
        let args = &n.children[1].node;
        assert!(args.last_anchored);
        assert!(args.children[0].anchored);
        let Kind::Alternatives(alts) = &args.children[0].node.kind else {
            panic!("alternation")
        };
        assert_eq!(alts.len(), 2);
        assert_eq!(args.children[0].node.captures, ["scope"]);
    }

    #[test]
    fn wildcards_strings_and_several_captures() {
        let n = one(r#"(binary_expression left: (_) @l operator: _ @op right: "0") @match @now"#);
        assert_eq!(n.captures, ["match", "now"]);
        assert_eq!(n.children[0].node.kind, Kind::AnyNamed);
        assert_eq!(n.children[1].node.kind, Kind::Any);
        assert_eq!(n.children[2].node.kind, Kind::Anonymous("0".into()));
    }

    #[test]
    fn several_patterns_with_offsets_and_comments() {
        let all = parse("(a) @x ; comment (b)\n(b) @y").expect("parses");
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].0, 21);
    }

    #[test]
    fn unsupported_syntax_is_named() {
        for (text, word) in [
            ("(a (b)* @x)", "quantifiers"),
            ("(a) @x (#eq? @x \"y\")", "predicates"),
            ("((a) (b))", "grouped"),
            ("(a !b)", "negated"),
            ("(expression/identifier)", "supertype"),
            ("(a (b)", "unclosed"),
            ("(a) @", "capture name"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.message.contains(word), "{text}: {}", e.message);
        }
    }
}
