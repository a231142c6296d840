//! A tree read once into a flat array in walk order, which the matcher walks without calling
//! back into tree-sitter.

use super::NONE;
use std::num::NonZeroU16;
use tree_sitter::{Node, TreeCursor};

/// A tree's nodes in walk order (tree-sitter's visible nodes, as its query cursor sees
/// them), read once: matching then tries many patterns per node without calling back into
/// tree-sitter, and the walk that reads them also gives the tree's depth.
pub struct Flat<'t> {
    pub(super) nodes: Vec<FlatNode<'t>>,
    pub(super) max_depth: u32,
}

pub(super) struct FlatNode<'t> {
    pub(super) node: Node<'t>,
    pub(super) kind: u16,
    pub(super) field: Option<NonZeroU16>,
    pub(super) named: bool,
    pub(super) error: bool,
    pub(super) depth: u32,
    pub(super) parent: u32,
    pub(super) first_child: u32,
    pub(super) next_sibling: u32,
}

impl<'t> Flat<'t> {
    /// The node the tree was read from.
    pub fn root(&self) -> Node<'t> {
        self.nodes[0].node
    }

    /// The node at `index`.
    pub fn node(&self, index: u32) -> Node<'t> {
        self.nodes[index as usize].node
    }

    /// The index of the parent of the node at `index` (none for the root). O(1), where
    /// `Node::parent` searches down from the root.
    pub fn parent(&self, index: u32) -> Option<u32> {
        let parent = self.nodes[index as usize].parent;
        (parent != NONE).then_some(parent)
    }

    /// Every node with its kind id, in preorder (the order a cursor walk visits them).
    pub fn preorder(&self) -> impl Iterator<Item = (Node<'t>, u16)> + '_ {
        self.nodes.iter().map(|n| (n.node, n.kind))
    }

    /// The depth of the deepest node (the root's is 0).
    pub fn max_depth(&self) -> u32 {
        self.max_depth
    }

    /// Reads the tree under `root`; iterative, so deep nesting cannot overflow the stack.
    pub fn new(root: Node<'t>) -> Flat<'t> {
        let mut nodes: Vec<FlatNode<'t>> = Vec::new();
        let mut max_depth = 0;
        let mut walk: TreeCursor<'t> = root.walk();
        // The last node seen at each depth, whose next sibling the next one there is.
        let mut last_at: Vec<u32> = Vec::new();
        let mut depth = 0usize;
        loop {
            let node = walk.node();
            let i = nodes.len() as u32;
            if last_at.len() <= depth {
                last_at.resize(depth + 1, NONE);
            }
            let prev = last_at[depth];
            if prev != NONE {
                nodes[prev as usize].next_sibling = i;
            } else if depth > 0 {
                nodes[last_at[depth - 1] as usize].first_child = i;
            }
            last_at[depth] = i;
            nodes.push(FlatNode {
                node,
                kind: node.kind_id(),
                field: walk.field_id(),
                named: node.is_named(),
                error: node.is_error(),
                depth: depth as u32,
                parent: if depth > 0 { last_at[depth - 1] } else { NONE },
                first_child: NONE,
                next_sibling: NONE,
            });
            match advance(&mut walk, true) {
                None => return Flat { nodes, max_depth },
                Some(1) => {
                    depth += 1;
                    max_depth = max_depth.max(depth as u32);
                    if last_at.len() > depth {
                        last_at[depth] = NONE;
                    }
                }
                Some(up) => depth -= up.unsigned_abs(),
            }
        }
    }
}

/// Moves a cursor to the next node in preorder: into the current node's children when
/// `descend`, else to its next sibling or its nearest ancestor's. Returns the change in depth
/// (1 into a child, 0 to a sibling, -k past k parents), or None once the cursor's root is done.
#[inline]
pub fn advance(walk: &mut TreeCursor, descend: bool) -> Option<isize> {
    if descend && walk.goto_first_child() {
        return Some(1);
    }
    let mut up = 0;
    while !walk.goto_next_sibling() {
        if !walk.goto_parent() {
            return None;
        }
        up -= 1;
    }
    Some(up)
}

/// Visits every node under `root` once with a cursor, reading its kind id, and counts them:
/// the walk any matcher needs, with nothing else (the benchmark's floor).
pub fn visit_all(root: Node) -> u64 {
    let mut walk = root.walk();
    let mut count = 0u64;
    let mut kinds = 0u64;
    loop {
        count += 1;
        kinds = kinds.wrapping_add(u64::from(walk.node().kind_id()));
        if advance(&mut walk, true).is_none() {
            std::hint::black_box(kinds);
            return count;
        }
    }
}
