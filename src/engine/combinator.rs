//! The boolean combinators of conditions, defined once for repository conditions (`Cond`)
//! and flow conditions (`FlowCond`): each condition type shows itself as a tree of
//! `all`/`any`/`not` over leaves, and `eval` decides the tree, asking the caller only about
//! leaves.

use super::Found;
use crate::rules::spec::{Cond, FlowCond, Phase};

/// One node of a condition, as the combinators see it.
pub enum Node<'a, C> {
    All(&'a [C]),
    Any(&'a [C]),
    Not(&'a C),
    /// Anything else: decided by the caller.
    Leaf,
}

/// A condition type built from `all`, `any` and `not` over leaves.
pub trait Tree: Sized {
    /// Whether `any` decides its children after the first that holds (see `eval`).
    const ANY_DECIDES_EVERY_CHILD: bool;
    fn node(&self) -> Node<'_, Self>;
}

impl<P: Phase> Tree for Cond<P> {
    const ANY_DECIDES_EVERY_CHILD: bool = true;
    fn node(&self) -> Node<'_, Self> {
        match self {
            Cond::All(cs) => Node::All(cs),
            Cond::Any(cs) => Node::Any(cs),
            Cond::Not(c) => Node::Not(c),
            _ => Node::Leaf,
        }
    }
}

impl<P: Phase> Tree for FlowCond<P> {
    // Flow conditions are decided once per flow: stopping early saves the most there.
    const ANY_DECIDES_EVERY_CHILD: bool = false;
    fn node(&self) -> Node<'_, Self> {
        match self {
            FlowCond::All(cs) => Node::All(cs),
            FlowCond::Any(cs) => Node::Any(cs),
            FlowCond::Not(c) => Node::Not(c),
            _ => Node::Leaf,
        }
    }
}

/// Decides a condition; `leaf` decides its leaves.
///
/// - `all` holds when every child holds. Every child is decided, so each binds what it
///   binds; the evidence is the failing children's when it fails, else every child's.
/// - `any` holds when a child holds; the evidence is the first holding child's, or when none
///   holds, every child's. With `ANY_DECIDES_EVERY_CHILD` (repository conditions) the
///   children after the first that holds are decided too, so a detail can name what any
///   alternative bound; without it (flow conditions) they are not, and bind nothing. (One
///   rule for both changes details: each choice rewords some detail lines, never a verdict.)
/// - `not` inverts its child, keeping the child's evidence and bindings.
///
/// A binding a child makes is kept unless an earlier child bound the name to something
/// (`Found::merge_binds`).
pub fn eval<C: Tree>(c: &C, leaf: &impl Fn(&C) -> Found) -> Found {
    match c.node() {
        Node::All(cs) => {
            let mut out = Found {
                ok: true,
                ..Default::default()
            };
            let mut failing = Vec::new();
            for c in cs {
                let f = eval(c, leaf);
                out.merge_binds(&f);
                if f.ok {
                    out.evidence.extend(f.evidence);
                } else {
                    out.ok = false;
                    failing.extend(f.evidence);
                }
            }
            if !out.ok {
                out.evidence = failing;
            }
            out
        }
        Node::Any(cs) => {
            let mut out = Found::default();
            let mut all_ev = Vec::new();
            for c in cs {
                let f = eval(c, leaf);
                out.merge_binds(&f);
                if f.ok && !out.ok {
                    out.ok = true;
                    out.evidence = f.evidence;
                    if !C::ANY_DECIDES_EVERY_CHILD {
                        return out;
                    }
                } else if !f.ok {
                    all_ev.extend(f.evidence);
                }
            }
            if !out.ok {
                out.evidence = all_ev;
            }
            out
        }
        Node::Not(c) => {
            let mut f = eval(c, leaf);
            f.ok = !f.ok;
            f
        }
        Node::Leaf => leaf(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A tree whose `any` decides every child when `EVERY` (as repository conditions do).
    enum T<const EVERY: bool> {
        All(Vec<T<EVERY>>),
        Any(Vec<T<EVERY>>),
        Not(Box<T<EVERY>>),
        Leaf(bool, &'static str),
    }

    impl<const EVERY: bool> Tree for T<EVERY> {
        const ANY_DECIDES_EVERY_CHILD: bool = EVERY;
        fn node(&self) -> Node<'_, Self> {
            match self {
                T::All(v) => Node::All(v),
                T::Any(v) => Node::Any(v),
                T::Not(c) => Node::Not(c),
                T::Leaf(..) => Node::Leaf,
            }
        }
    }

    /// Decides `t`, listing the leaves decided.
    fn run<const EVERY: bool>(t: &T<EVERY>) -> (bool, Vec<&'static str>) {
        let asked = RefCell::new(Vec::new());
        let f = eval(t, &|c| match c {
            T::Leaf(ok, name) => {
                asked.borrow_mut().push(*name);
                Found {
                    ok: *ok,
                    ..Default::default()
                }
            }
            _ => Found::default(),
        });
        (f.ok, asked.into_inner())
    }

    fn any<const EVERY: bool>() -> T<EVERY> {
        T::Any(vec![
            T::Leaf(false, "a"),
            T::Leaf(true, "b"),
            T::Leaf(true, "c"),
        ])
    }

    #[test]
    fn any_decides_every_child_or_stops_at_the_first_that_holds() {
        assert_eq!(run(&any::<true>()), (true, vec!["a", "b", "c"]));
        assert_eq!(run(&any::<false>()), (true, vec!["a", "b"]));
    }

    #[test]
    fn all_decides_every_child_and_not_inverts() {
        let all: T<false> = T::All(vec![T::Leaf(false, "a"), T::Leaf(true, "b")]);
        assert_eq!(run(&all), (false, vec!["a", "b"]));
        let not: T<false> = T::Not(Box::new(T::Any(vec![])));
        assert_eq!(run(&not), (true, vec![]));
        assert_eq!(run::<true>(&T::All(vec![])), (true, vec![]));
    }
}
