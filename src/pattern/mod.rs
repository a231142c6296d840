//! Fact queries matched natively over tree-sitter trees. tree-sitter's own `Query::new`
//! analyses the whole grammar for every query it compiles (about 200 ms per TypeScript-family
//! language, more than a small repository's entire audit), while the patterns facts use
//! need only a kind test per node and a walk over children. This matcher gives the matches
//! tree-sitter's query cursor gives for that subset (a test compares the two on every
//! fixture), in the same order.

mod flat;
pub mod syntax;

pub use flat::{Flat, advance, visit_all};

use std::num::NonZeroU16;
use syntax::Kind;
use tree_sitter::{Language, Node};

/// A pattern node resolved against a grammar.
#[derive(Debug)]
struct PNode {
    test: Test,
    field: Option<NonZeroU16>,
    captures: Vec<u16>,
    children: Vec<PChild>,
    last_anchored: bool,
    /// Whether this node or one below it is captured: a child that is not can be matched by
    /// its first fitting node alone, as every later one would give the same captures.
    captures_below: bool,
}

#[derive(Debug)]
enum Test {
    /// A node of this kind id (named or anonymous, as the name was written).
    Kind(u16),
    /// Any named node but an ERROR.
    Named,
    /// Any node but an ERROR.
    Any,
    Alternatives(Vec<PNode>),
}

#[derive(Debug)]
struct PChild {
    node: PNode,
    anchored: bool,
}

/// A query text compiled for one grammar: its patterns, in order, indexed by root kind.
pub struct PatternSet {
    patterns: Vec<PNode>,
    starts: Vec<usize>,
    capture_names: Vec<String>,
    /// For each node kind id, the patterns whose root can be that kind, in pattern order.
    by_kind: Vec<Vec<u32>>,
    /// Patterns whose root is a wildcard: tried at every node.
    any_root: Vec<u32>,
}

/// A query that does not compile: where, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub offset: usize,
    pub message: String,
}

/// One match: the pattern's index and its captures, in the order tree-sitter lists them.
pub struct Match<'t> {
    pub pattern: usize,
    pub captures: Vec<(u16, Node<'t>)>,
}

/// A match in a `Flat`: its captures name nodes by their index there (`Flat::node`), so a
/// match costs no allocation and the nodes' parents are at hand.
pub struct FlatMatch {
    pub pattern: usize,
    pub captures: Caps,
}

impl PatternSet {
    pub fn compile(language: &Language, text: &str) -> Result<PatternSet, PatternError> {
        let parsed = syntax::parse(text).map_err(|e| PatternError {
            offset: e.offset,
            message: e.message,
        })?;
        let mut cx = Resolve {
            language,
            capture_names: Vec::new(),
        };
        let mut patterns = Vec::new();
        let mut starts = Vec::new();
        for (offset, node) in &parsed {
            patterns.push(cx.node(node, *offset)?);
            starts.push(*offset);
        }
        let mut by_kind = vec![Vec::new(); language.node_kind_count() + 1];
        let mut any_root = Vec::new();
        for (i, p) in patterns.iter().enumerate() {
            let mut kinds = Vec::new();
            if root_kinds(p, &mut kinds) {
                any_root.push(i as u32);
            } else {
                kinds.sort_unstable();
                kinds.dedup();
                for k in kinds {
                    let k = usize::from(k);
                    if k >= by_kind.len() {
                        by_kind.resize(k + 1, Vec::new());
                    }
                    by_kind[k].push(i as u32);
                }
            }
        }
        Ok(PatternSet {
            patterns,
            starts,
            capture_names: cx.capture_names,
            by_kind,
            any_root,
        })
    }

    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// The byte offset of a pattern in the query text.
    pub fn start_byte_for_pattern(&self, pattern: usize) -> usize {
        self.starts[pattern]
    }

    pub fn capture_names(&self) -> &[String] {
        &self.capture_names
    }

    pub fn capture_index_for_name(&self, name: &str) -> Option<u16> {
        self.capture_names
            .iter()
            .position(|n| n == name)
            .map(|i| i as u16)
    }

    /// Every match in the tree under `root`, in tree-sitter's order: by the node that
    /// completes each match, then outer matches first, then pattern order. Stops once
    /// `work_limit` node and child visits are spent, and then also returns the byte offset
    /// it stopped at.
    pub fn matches<'t>(&self, root: Node<'t>, work_limit: u64) -> (Vec<Match<'t>>, Option<usize>) {
        let flat = Flat::new(root);
        let (found, stopped) = self.matches_in(&flat, work_limit);
        let matches = found
            .into_iter()
            .map(|m| Match {
                pattern: m.pattern,
                captures: m.captures.iter().map(|&(c, n)| (c, flat.node(n))).collect(),
            })
            .collect();
        (matches, stopped)
    }

    /// `matches` on a tree already read into a `Flat`.
    pub fn matches_in(&self, tree: &Flat, work_limit: u64) -> (Vec<FlatMatch>, Option<usize>) {
        let mut m = Matcher {
            work: 0,
            limit: work_limit,
            tree,
            caps: Vec::new(),
        };
        let mut found: Vec<(Key, Caps)> = Vec::new();
        let mut stopped = None;
        'tree: for at in 0..m.tree.nodes.len() as u32 {
            m.work += 1;
            let n = &m.tree.nodes[at as usize];
            let depth = n.depth;
            let by_kind = self
                .by_kind
                .get(usize::from(n.kind))
                .map_or(&[][..], |v| v.as_slice());
            for pi in merged(by_kind, &self.any_root) {
                if m.work > work_limit {
                    stopped = Some(m.tree.nodes[at as usize].node.start_byte());
                    break 'tree;
                }
                let mut seq = 0;
                m.node(&self.patterns[pi as usize], at, &[], &mut |m, last| {
                    let first = m
                        .caps
                        .first()
                        .map(|&(_, n)| m.tree.nodes[n as usize].node.start_byte());
                    let key = Key {
                        last,
                        root_depth: depth,
                        pattern: pi,
                        first_capture: first,
                        seq,
                    };
                    seq += 1;
                    found.push((key, Caps::from_slice(&m.caps)));
                });
            }
        }
        // Stable: equal keys keep the order the patterns were tried in. Indexes are sorted,
        // not the large entries.
        let mut order: Vec<u32> = (0..found.len() as u32).collect();
        order.sort_by(|&a, &b| found[a as usize].0.cmp(&found[b as usize].0));
        let mut out: Vec<FlatMatch> = Vec::with_capacity(found.len());
        for &i in &order {
            let (key, caps) = &mut found[i as usize];
            let pattern = key.pattern as usize;
            // Identical matches (different nodes the pattern does not capture) count once.
            if out
                .last()
                .is_some_and(|p| p.pattern == pattern && p.captures == *caps)
            {
                continue;
            }
            out.push(FlatMatch {
                pattern,
                captures: std::mem::take(caps),
            });
        }
        (out, stopped)
    }
}

/// Emission order: tree-sitter reports a match when it enters the node that completes it.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    /// The completing node's position in the walk.
    last: u32,
    root_depth: u32,
    pattern: u32,
    /// States with no captures sort before others, then by their first capture's start.
    first_capture: Option<usize>,
    seq: usize,
}

/// Two ascending index lists merged, ascending.
fn merged<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x <= y => {
                i += 1;
                x
            }
            (_, Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, None) => return None,
        };
        Some(next)
    })
}

/// Collects the kind ids a pattern's root can have; true when it can be any node.
fn root_kinds(p: &PNode, out: &mut Vec<u16>) -> bool {
    match &p.test {
        Test::Kind(k) => {
            out.push(*k);
            false
        }
        Test::Named | Test::Any => true,
        Test::Alternatives(alts) => alts.iter().any(|a| root_kinds(a, out)),
    }
}

struct Resolve<'a> {
    language: &'a Language,
    capture_names: Vec<String>,
}

impl Resolve<'_> {
    fn node(&mut self, n: &syntax::Node, offset: usize) -> Result<PNode, PatternError> {
        let err = |message: String| PatternError { offset, message };
        let test = match &n.kind {
            Kind::Named(name) => Test::Kind(
                self.kind(name, true)
                    .ok_or_else(|| err(format!("invalid node type `{name}`")))?,
            ),
            Kind::Anonymous(name) => Test::Kind(
                self.kind(name, false)
                    .ok_or_else(|| err(format!("invalid node type `\"{name}\"`")))?,
            ),
            Kind::AnyNamed => Test::Named,
            Kind::Any => Test::Any,
            Kind::Alternatives(alts) => Test::Alternatives(
                alts.iter()
                    .map(|a| self.node(a, offset))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let field = match &n.field {
            Some(f) => Some(
                self.language
                    .field_id_for_name(f)
                    .ok_or_else(|| err(format!("invalid field `{f}`")))?,
            ),
            None => None,
        };
        let captures = n.captures.iter().map(|c| self.capture(c)).collect();
        let children: Vec<PChild> = n
            .children
            .iter()
            .map(|c| {
                Ok(PChild {
                    node: self.node(&c.node, offset)?,
                    anchored: c.anchored,
                })
            })
            .collect::<Result<_, PatternError>>()?;
        if matches!(test, Test::Any) && !children.is_empty() {
            return Err(err("`_` takes no children; use `(_ ...)`".into()));
        }
        let captures_below = !n.captures.is_empty()
            || children.iter().any(|c| c.node.captures_below)
            || matches!(&test, Test::Alternatives(alts) if alts.iter().any(|a| a.captures_below));
        Ok(PNode {
            test,
            field,
            captures,
            children,
            last_anchored: n.last_anchored,
            captures_below,
        })
    }

    fn kind(&self, name: &str, named: bool) -> Option<u16> {
        if named && name == "ERROR" {
            return Some(u16::MAX);
        }
        let id = self.language.id_for_node_kind(name, named);
        (id != 0).then_some(id)
    }

    fn capture(&mut self, name: &str) -> u16 {
        match self.capture_names.iter().position(|n| n == name) {
            Some(i) => i as u16,
            None => {
                self.capture_names.push(name.to_string());
                (self.capture_names.len() - 1) as u16
            }
        }
    }
}

/// What a pattern node does with each way it matched, given the node its last step matched
/// (the captures are on the matcher's stack).
type Then<'k, 'a, 't> = &'k mut dyn FnMut(&mut Matcher<'a, 't>, u32);

const NONE: u32 = u32::MAX;

/// A solution's captures: (capture index, node index). Patterns capture a handful of nodes, so
/// they are kept inline: matching tries many patterns per node and was mostly allocation.
pub type Caps = smallvec::SmallVec<[(u16, u32); 6]>;

/// A backtracking matcher: each pattern node hands every way it matches to a continuation,
/// with the captures so far on one shared stack, so no partial match is ever copied.
struct Matcher<'a, 't> {
    work: u64,
    /// Past it, every node and sequence fails at once: one pattern pairing thousands of
    /// siblings cannot run on unbounded.
    limit: u64,
    tree: &'a Flat<'t>,
    /// The current partial match's captures: (capture index, node index), the node's own
    /// before its children's, in pattern order.
    caps: Vec<(u16, u32)>,
}

impl<'a, 't> Matcher<'a, 't> {
    fn test(&self, t: &Test, at: u32) -> bool {
        let n = &self.tree.nodes[at as usize];
        match t {
            Test::Kind(k) => n.kind == *k,
            Test::Named => n.named && !n.error,
            Test::Any => !n.error,
            Test::Alternatives(_) => true,
        }
    }

    /// Calls `then` for every way `p` matches node `at`, in order. `outer` are the captures of
    /// enclosing alternations, which come after the node's own.
    fn node(&mut self, p: &PNode, at: u32, outer: &[u16], then: Then<'_, 'a, 't>) {
        self.work += 1;
        if self.work > self.limit {
            return;
        }
        if self.ruled_out(p, at) {
            return;
        }
        if let Test::Alternatives(alts) = &p.test {
            let mut all: smallvec::SmallVec<[u16; 4]> = p.captures.iter().copied().collect();
            all.extend_from_slice(outer);
            for a in alts {
                self.node(a, at, &all, then);
            }
            return;
        }
        if !self.test(&p.test, at) {
            return;
        }
        let mark = self.caps.len();
        self.caps
            .extend(p.captures.iter().chain(outer).map(|&c| (c, at)));
        if p.children.is_empty() {
            then(self, at);
        } else {
            let first = self.tree.nodes[at as usize].first_child;
            self.seq(p, 0, first, at, then);
        }
        self.caps.truncate(mark);
    }

    /// Whether `p` cannot match node `at` by its field or kind alone: where most children
    /// tried fail, so `seq` asks it before calling `node`.
    #[inline]
    fn ruled_out(&self, p: &PNode, at: u32) -> bool {
        let n = &self.tree.nodes[at as usize];
        (p.field.is_some() && p.field != n.field) || matches!(p.test, Test::Kind(k) if k != n.kind)
    }

    fn later_named(&self, at: u32) -> bool {
        let mut k = self.tree.nodes[at as usize].next_sibling;
        while k != NONE {
            if self.tree.nodes[k as usize].named {
                return true;
            }
            k = self.tree.nodes[k as usize].next_sibling;
        }
        false
    }

    /// Matches `p`'s children from the `i`th on against the siblings from `from` on; `last` is
    /// the node the match so far ended on.
    fn seq(&mut self, p: &PNode, i: usize, from: u32, last: u32, then: Then<'_, 'a, 't>) {
        let Some(child) = p.children.get(i) else {
            then(self, last);
            return;
        };
        let is_last = i + 1 == p.children.len();
        let next_anchored = p.children.get(i + 1).is_some_and(|c| c.anchored);
        // After an anonymous `_`, an anchor forbids skipping even anonymous nodes.
        let strict = child.anchored
            && i > 0
            && matches!(p.children[i - 1].node.test, Test::Any)
            && p.children[i - 1].node.children.is_empty();
        // Without captures below it, and with nothing anchored to it, the first node that
        // fits is as good as any later one.
        let first_only = !child.node.captures_below && !next_anchored;
        let mut kid = from;
        while kid != NONE {
            self.work += 1;
            if self.work > self.limit {
                return;
            }
            let next = self.tree.nodes[kid as usize].next_sibling;
            let fits = !(is_last && p.last_anchored && self.later_named(kid));
            if fits && self.ruled_out(&child.node, kid) {
                // The work `node` would have counted.
                self.work += 1;
            } else if fits {
                let mut matched = false;
                self.node(&child.node, kid, &[], &mut |m, end| {
                    matched = true;
                    m.seq(p, i + 1, next, end, then);
                });
                if matched && first_only {
                    break;
                }
            }
            if child.anchored && (self.tree.nodes[kid as usize].named || strict) {
                break;
            }
            kid = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(text: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into())
            .expect("grammar loads");
        parser.parse(text, None).expect("parses")
    }

    fn found(query: &str, text: &str) -> Vec<Vec<(String, String)>> {
        let set = PatternSet::compile(&tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(), query)
            .expect("compiles");
        let t = tree(text);
        let (matches, stopped) = set.matches(t.root_node(), u64::MAX);
        assert_eq!(stopped, None);
        matches
            .iter()
            .map(|m| {
                m.captures
                    .iter()
                    .map(|(c, n)| {
                        let name = set.capture_names()[usize::from(*c)].clone();
                        (name, text[n.byte_range()].to_string())
                    })
                    .collect()
            })
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// Every node's parent is the one tree-sitter gives, zero-width and same-start nodes
    /// included.
    #[test]
    fn flat_parents_are_tree_sitters() {
        let t = tree("f(a, g(b)); const x = () => { if (y) { h(`${z}`); } };\nclass C { m() {} }");
        let flat = Flat::new(t.root_node());
        let mut walked = 0u32;
        for (i, (node, kind)) in flat.preorder().enumerate() {
            assert_eq!(kind, node.kind_id());
            assert_eq!(
                flat.parent(i as u32).map(|p| flat.node(p)),
                node.parent(),
                "{node:?}"
            );
            walked += 1;
        }
        assert!(walked > 40, "{walked} nodes");
    }

    /// The benchmark's floor walk visits exactly the nodes the matcher reads.
    #[test]
    fn visit_all_counts_the_flat_trees_nodes() {
        let t = tree("f(a, g(b)); const x = () => { if (y) { h(`${z}`); } };\nclass C { m() {} }");
        let flat = Flat::new(t.root_node());
        assert_eq!(visit_all(t.root_node()), flat.preorder().count() as u64);
        let leaf = t
            .root_node()
            .descendant_for_byte_range(0, 1)
            .expect("a leaf");
        assert_eq!(visit_all(leaf), 1);
    }

    #[test]
    fn anchors_tie_children_to_the_first_and_next_named_child() {
        let q = "(call_expression arguments: (arguments . (string) @a . (object) @b))";
        assert_eq!(
            found(q, "f('x', {k: 1}); g(1, 'y', {}); h('z', 2, {});"),
            vec![pairs(&[("a", "'x'"), ("b", "{k: 1}")])]
        );
    }

    #[test]
    fn unanchored_children_give_one_match_per_capture_set() {
        let q = "(arguments (string) (object (pair key: (_) @k) @p))";
        // Two strings before the object: the pair is matched once, not once per string.
        assert_eq!(
            found(q, "f('a', 'b', {x: 1, y: 2});"),
            vec![
                pairs(&[("p", "x: 1"), ("k", "x")]),
                pairs(&[("p", "y: 2"), ("k", "y")])
            ]
        );
    }

    #[test]
    fn alternations_capture_the_alternative_that_matched() {
        let q = "[(pair key: (_) @k) (shorthand_property_identifier) @k] @m";
        assert_eq!(
            found(q, "({a: 1, b});"),
            vec![
                pairs(&[("m", "a: 1"), ("k", "a")]),
                pairs(&[("k", "b"), ("m", "b")])
            ]
        );
    }

    #[test]
    fn unknown_kinds_and_fields_are_refused() {
        let ts = tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into();
        let e = PatternSet::compile(&ts, "(call_expression (no_such_node))").err();
        assert!(e.is_some_and(|e| e.message.contains("no_such_node")));
        let e = PatternSet::compile(&ts, "(call_expression nope: (_))").err();
        assert!(e.is_some_and(|e| e.message.contains("nope")));
    }

    #[test]
    fn matching_stops_at_the_work_limit() {
        let set = PatternSet::compile(
            &tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            "(call_expression) @c",
        )
        .expect("compiles");
        let t = tree("f(1);\ng(2);\nh(3);\n");
        let (all, stopped) = set.matches(t.root_node(), u64::MAX);
        assert_eq!((all.len(), stopped), (3, None));
        let (some, stopped) = set.matches(t.root_node(), 8);
        assert!(some.len() < 3);
        assert!(stopped.is_some_and(|at| at > 0));
    }
}
