//! Expanding one flow: from its root along the call edges, in order, collecting its events
//! with their transaction, guards and the paths that return before them.

use super::{Context, Event, Exits, Item, MAX_CALLS_FOLLOWED, MAX_DEPTH, MAX_EVENTS, MAX_FORWARDS};
use crate::model::RepoModel;
use std::collections::{BTreeSet, HashMap};

/// One flow being expanded: what it reads and what it collects.
pub(super) struct Walk<'a> {
    pub(super) model: &'a RepoModel,
    /// Per transaction region: ambient (`Region::ambient`).
    pub(super) ambient: &'a [bool],
    pub(super) through: &'a ThroughCalls,
    pub(super) items: &'a [Vec<(usize, Item)>],
    pub(super) exit_pool: &'a [u32],
    pub(super) reach: &'a [bool],
    /// The units on the current call path (a call back into one of them is not followed).
    pub(super) stack: Vec<usize>,
    pub(super) out: Vec<Event>,
    /// Each event's innermost exiting branch (an index into `scope_parents`; 0: none).
    pub(super) scopes: Vec<u32>,
    /// Each event's call of its function (an index into `call_ends`).
    pub(super) event_calls: Vec<u32>,
    /// Each exiting branch as entered on this walk, with the one around it (0: none).
    pub(super) scope_parents: Vec<u32>,
    /// Each exiting branch's call of its function (an index into `call_ends`).
    pub(super) scope_calls: Vec<u32>,
    /// Each call of a function on this walk: the number of events when it returned.
    pub(super) call_ends: Vec<u32>,
    pub(super) files: BTreeSet<usize>,
    pub(super) followed: usize,
    pub(super) derived: &'a mut Derived,
}

/// Facts made for a call: a fact whose prop is a variable of its function (a write's `data:
/// { status }`, by a prop with `through_calls: status`), seen from a call that passes a
/// literal for it (`setStatus(id, 'confirmed')`, `update({ bookingStatus:
/// BookingStatus.CONFIRMED })`). They get indexes after the model's facts and are added once
/// every flow is built.
pub(super) struct Derived {
    pub(super) base: usize,
    pub(super) index: HashMap<Passed, usize>,
    pub(super) list: Vec<Passed>,
}

/// A fact seen with one prop (`status`) set to the literal a call passed.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(super) struct Passed {
    pub(super) fact: usize,
    pub(super) prop: &'static str,
    pub(super) value: &'static str,
}

/// For each fact definition and variant, its props that name a variable filled through
/// calls, with the prop they fill, whether the variable is the whole argument
/// (`PropSpec::whole`), and the prop saying where the value came from: `[(status_var, status,
/// false, status_from)]`.
pub(super) type ThroughCalls = Vec<Vec<Vec<(&'static str, &'static str, bool, &'static str)>>>;

pub(super) fn through_calls(rules: &crate::rules::RuleSet) -> ThroughCalls {
    let intern = crate::intern::intern;
    rules
        .facts
        .iter()
        .map(|f| {
            f.variants
                .iter()
                .map(|v| {
                    v.spec
                        .props
                        .iter()
                        .filter_map(|(name, p)| {
                            let prop = p.through_calls.as_deref()?;
                            Some((
                                intern(name),
                                intern(prop),
                                p.whole,
                                intern(&crate::model::values::from_key(prop)),
                            ))
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// The value a call's argument text gives variable `var` of the called function with
/// parameters `params`: the argument in its position, or an object key of the same name.
/// Only a literal counts (`'confirmed'`, `BookingStatus.CONFIRMED`: its last name).
fn passed_value<'t>(args: &'t str, params: &[&str], var: &str) -> Option<&'t str> {
    let raw = match params.iter().position(|p| *p == var) {
        Some(i) => crate::model::resolve::split_args(args).get(i).copied(),
        None => args.match_indices(var).find_map(|(i, _)| {
            let before = args[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.') {
                return None;
            }
            args[i + var.len()..].trim_start().strip_prefix(':')
        }),
    }?;
    literal(raw)
}

/// The value a call's argument text gives the whole-argument variable `var` for prop `prop`:
/// the literal of the key named like the prop (`status`, `paymentStatus`, `booking_status`)
/// in the object literal passed in its position.
fn passed_key_value<'t>(args: &'t str, params: &[&str], var: &str, prop: &str) -> Option<&'t str> {
    let i = params.iter().position(|p| *p == var)?;
    let raw = crate::model::resolve::split_args(args).get(i).copied()?;
    let body = raw.trim().strip_prefix('{')?;
    // ASCII lowering keeps every byte offset, so a match in `lower` is one in `body`.
    let lower = body.to_ascii_lowercase();
    let needle = prop.to_ascii_lowercase();
    lower.match_indices(&needle).find_map(|(at, _)| {
        let after = &body[at + needle.len()..];
        // The key ends with the prop's name (`paymentStatus`), and it is a key.
        let key_start = body[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_alphanumeric() || c == '_' || c == '$'))
            .map_or(0, |(k, c)| k + c.len_utf8());
        let lead = body[..key_start].trim_end();
        if !(lead.is_empty() || lead.ends_with(',') || lead.ends_with('{')) {
            return None;
        }
        literal(after.trim_start().strip_prefix(':')?)
    })
}

/// A literal at the start of `raw`: a quoted string or a constant (`'confirmed'`,
/// `BookingStatus.CONFIRMED`: its last name); a variable or an expression is none.
fn literal(raw: &str) -> Option<&str> {
    let raw = raw.trim_start();
    let end = raw
        .find(|c: char| !(c.is_alphanumeric() || "_$.'\"`".contains(c)))
        .unwrap_or(raw.len());
    let lit = &raw[..end];
    // `s.metadata!.next`, `pick(x)`, `list[0]`: an expression goes on, so no literal.
    if raw[end..].starts_with(['!', '(', '[', '?']) {
        return None;
    }
    let quoted = lit.starts_with(['\'', '"', '`']);
    let word = lit.trim_matches(['\'', '"', '`']).rsplit('.').next()?;
    // An enum member (BookingStatus.CONFIRMED) or a constant (CONFIRMED); a lower-case
    // name or member (status, body.status) is another variable.
    let constant = lit.starts_with(|c: char| c.is_ascii_uppercase());
    (!word.is_empty() && (quoted || constant)).then_some(word)
}

/// Where the walk is: a unit (or a hook's range of it), how deep, and the transaction and
/// guards the call that reached it ran under.
#[derive(Clone, Copy)]
pub(super) struct Frame {
    pub(super) unit: usize,
    pub(super) range: Option<(usize, usize)>,
    pub(super) depth: usize,
    pub(super) tx: Option<usize>,
    pub(super) ctx: Context,
    /// A module root: its own facts only (its calls start flows of their own).
    pub(super) module_only: bool,
    /// The innermost exiting branch the call that reached the unit runs in (0: none).
    pub(super) scope: u32,
    /// This call of the unit (an index into `Walk::call_ends`).
    pub(super) call: u32,
    /// The call that reached the unit: (calling unit, edge), for the values it passes.
    pub(super) via: Option<(usize, usize)>,
    /// The lock taken with a callback that the call runs in (`Event::held`).
    pub(super) held: Option<u32>,
    /// The classes `this` is, when known: the call that built the object (calling unit,
    /// edge, `Dispatch::classes`) and a mask of the classes still possible on this path.
    pub(super) this_of: Option<ThisOf>,
}

/// See `Frame::this_of`: (calling unit, edge, mask of `Dispatch::classes`).
pub(super) type ThisOf = (u32, u32, u8);

impl Walk<'_> {
    /// The innermost exiting branch of `exits` (this unit's, outermost first) as entered in
    /// this call of the unit, creating the ones not yet entered. A branch that skips to a byte
    /// (`Guard::skips_to`) ends its other paths there, not at the function's return: its end
    /// is a pseudo call closed when the walk reaches that byte (`skips`).
    fn enter(
        &mut self,
        at: &Frame,
        entered: &mut Vec<(u32, u32)>,
        skips: &mut Vec<(usize, u32)>,
        exits: Exits,
    ) -> u32 {
        let guards = self.model.files[self.model.units[at.unit].file]
            .code
            .as_ref()
            .map_or(&[][..], |c| &c.guards[..]);
        let mut scope = at.scope;
        for &g in &self.exit_pool[exits.0 as usize..exits.1 as usize] {
            scope = match entered.iter().find(|(eg, _)| *eg == g) {
                Some(&(_, id)) => id,
                None => {
                    let id = self.scope_parents.len() as u32;
                    self.scope_parents.push(scope);
                    let skips_to = guards.get(g as usize).map_or(0, |g| g.skips_to);
                    if skips_to == 0 {
                        self.scope_calls.push(at.call);
                    } else {
                        let pseudo = self.call_ends.len() as u32;
                        self.call_ends.push(0);
                        self.scope_calls.push(pseudo);
                        skips.push((skips_to, pseudo));
                    }
                    entered.push((g, id));
                    id
                }
            };
        }
        scope
    }

    /// The fact to record for `fact` reached through `at`'s call: a derived one when the
    /// call passes a literal for a variable one of its props is set from.
    fn through_args(&mut self, at: &Frame, fact: usize) -> usize {
        let model = self.model;
        let f = &model.facts[fact];
        let Some((caller, edge)) = at.via else {
            return fact;
        };
        let Some(pairs) = self.through.get(f.fact).and_then(|v| v.get(f.variant)) else {
            return fact;
        };
        if pairs.is_empty() || f.unit != at.unit {
            return fact;
        }
        let Some(e) = model.calls[caller].get(edge) else {
            return fact;
        };
        for &(var_prop, prop, whole, from) in pairs {
            let Some(var) = f.value(var_prop) else {
                continue;
            };
            // A literal already there (`status: 'confirmed'`) is not the variable's; the
            // schema default a whole input took (`status_from: default`) is the caller's to
            // override.
            if f.value(prop).is_some_and(|s| s != var) && f.value(from) != Some("default") {
                continue;
            }
            let params = &model.units[at.unit].params;
            let value = if whole {
                passed_key_value(&e.args, params, var, prop)
            } else {
                passed_value(&e.args, params, var)
            };
            let Some(value) = value else {
                continue;
            };
            let key = Passed {
                fact,
                prop,
                value: crate::intern::intern(value),
            };
            if let Some(&i) = self.derived.index.get(&key) {
                return i;
            }
            let i = self.derived.base + self.derived.list.len();
            self.derived.index.insert(key, i);
            self.derived.list.push(key);
            return i;
        }
        fact
    }

    pub(super) fn expand(&mut self, at: Frame) {
        self.expand_items(&at);
        self.call_ends[at.call as usize] = self.out.len() as u32;
    }

    fn expand_items(&mut self, at: &Frame) {
        let at = *at;
        let model = self.model;
        self.files.insert(model.units[at.unit].file);
        let params = &model.units[at.unit].params;
        let mut entered: Vec<(u32, u32)> = Vec::new();
        let mut skips: Vec<(usize, u32)> = Vec::new();
        // The alternative targets of one call being followed: (call position, the pseudo call
        // whose end closes them).
        let mut alts: Option<(usize, u32)> = None;
        let dead = dead_code(model, at.unit, at.via);
        for (pos, item) in &self.items[at.unit] {
            skips.retain(|&(to, pseudo)| {
                let open = *pos < to;
                if !open {
                    self.call_ends[pseudo as usize] = self.out.len() as u32;
                }
                open
            });
            if let Some((p, pseudo)) = alts
                && (p != *pos || !matches!(item, Item::Call { alt: true, .. }))
            {
                self.call_ends[pseudo as usize] = self.out.len() as u32;
                alts = None;
            }
            if self.out.len() >= MAX_EVENTS {
                break;
            }
            if at.range.is_some_and(|(s, e)| *pos < s || *pos >= e) || within(&dead, *pos) {
                continue;
            }
            match item {
                Item::Fact {
                    fact,
                    tx,
                    held,
                    ctx,
                    exits,
                } => {
                    // A write through a parameter's reference is seen only from the calls
                    // that pass its entity.
                    if let Some(sites) = model.param_sites.get(&(*fact as usize))
                        && !at.via.is_some_and(|v| sites.contains(&v))
                    {
                        continue;
                    }
                    let scope = self.enter(&at, &mut entered, &mut skips, *exits);
                    let f = &model.facts[*fact as usize];
                    let ambient = at.tx.is_some_and(|r| self.ambient.get(r) == Some(&true));
                    let inherit = ambient
                        || match f.value("client") {
                            None => true,
                            Some(c) => params
                                .iter()
                                .any(|p| *p == c.split('.').next().unwrap_or(c)),
                        };
                    let tx = tx
                        .map(|r| r as usize)
                        .or(if inherit { at.tx } else { None });
                    let fact = self.through_args(&at, *fact as usize);
                    self.out.push(Event {
                        fact,
                        tx,
                        held: held.or(at.held),
                        depth: at.depth as u8,
                        ctx: at.ctx.then(*ctx),
                        elsewhere: (0, 0),
                        returns: 0,
                    });
                    self.scopes.push(scope);
                    self.event_calls.push(at.call);
                }
                Item::Call {
                    target,
                    tx,
                    held,
                    ctx,
                    exits,
                    edge,
                    alt,
                } => {
                    if at.module_only {
                        continue;
                    }
                    let Some((targets, this_of)) =
                        self.dispatched(&at, *edge as usize, *target as usize, &dead)
                    else {
                        continue;
                    };
                    let mut scope = self.enter(&at, &mut entered, &mut skips, *exits);
                    if *alt {
                        // Each alternative is a branch of its own: what comes after it among
                        // the call's other targets is not on its path.
                        let pseudo = match alts {
                            Some((_, p)) => p,
                            None => {
                                let p = self.call_ends.len() as u32;
                                self.call_ends.push(0);
                                alts = Some((*pos, p));
                                p
                            }
                        };
                        scope = self.branch_scope(scope, pseudo);
                    }
                    let via = Some((at.unit, *edge as usize));
                    let tx = tx.map(|r| r as usize);
                    let held = held.or(at.held);
                    // Objects of several classes run different overrides: each is a branch
                    // of its own, as the targets of a handler map are.
                    let pseudo = (targets.len() > 1).then(|| {
                        self.call_ends.push(0);
                        self.call_ends.len() as u32 - 1
                    });
                    for target in targets {
                        let scope = pseudo.map_or(scope, |p| self.branch_scope(scope, p));
                        let frame = Frame {
                            scope,
                            via,
                            held,
                            this_of,
                            ..at
                        };
                        self.follow(frame, target, None, tx, *ctx);
                    }
                    if let Some(p) = pseudo {
                        self.call_ends[p as usize] = self.out.len() as u32;
                    }
                }
                Item::Hook {
                    unit,
                    start,
                    end,
                    tx,
                } => self.follow(
                    Frame {
                        via: None,
                        this_of: None,
                        ..at
                    },
                    *unit,
                    Some((*start, *end)),
                    tx.map(|r| r as usize),
                    Context::default(),
                ),
            }
        }
        if let Some((_, pseudo)) = alts {
            self.call_ends[pseudo as usize] = self.out.len() as u32;
        }
        for (_, pseudo) in skips {
            self.call_ends[pseudo as usize] = self.out.len() as u32;
        }
    }

    fn follow(
        &mut self,
        at: Frame,
        target: usize,
        range: Option<(usize, usize)>,
        tx: Option<usize>,
        ctx: Context,
    ) {
        // Forwarders add no depth, so the path's length bounds them (a chain of
        // `f1() { return f2() }` across thousands of files).
        if at.depth >= MAX_DEPTH
            || self.stack.len() > MAX_DEPTH + MAX_FORWARDS
            || !self.reach[target]
            || self.stack.contains(&target)
            || self.followed >= MAX_CALLS_FOLLOWED
        {
            return;
        }
        self.followed += 1;
        self.stack.push(target);
        let call = self.call_ends.len() as u32;
        self.call_ends.push(0);
        // A function that only calls another (`const save = () => this.saveInternal(req)`,
        // handed to a helper) forwards: it adds no level of depth.
        let forwards =
            range.is_none() && matches!(self.items[target].as_slice(), [(_, Item::Call { .. })]);
        self.expand(Frame {
            unit: target,
            range,
            depth: at.depth + usize::from(!forwards),
            tx: tx.or(at.tx),
            ctx: at.ctx.then(ctx),
            module_only: false,
            scope: at.scope,
            call,
            via: at.via,
            held: at.held,
            this_of: at.this_of,
        });
        self.stack.pop();
    }

    /// A branch of its own inside `parent`, ended by the pseudo call `pseudo`: one of the
    /// alternative targets of a call, what comes after it among the others is not on its path.
    fn branch_scope(&mut self, parent: u32, pseudo: u32) -> u32 {
        self.scope_parents.push(parent);
        self.scope_calls.push(pseudo);
        self.scope_parents.len() as u32 - 1
    }

    /// What a call edge runs given the object it is on (`Dispatch`): the targets and the
    /// classes `this` is in them; `None` when this path runs none of it (the object was built
    /// in a branch the flags rule out, or an abstract method's override its class does not
    /// run).
    fn dispatched(
        &self,
        at: &Frame,
        edge: usize,
        target: usize,
        dead: &[(usize, usize)],
    ) -> Option<(Vec<usize>, Option<ThisOf>)> {
        let Some(d) = self.model.dispatch.get(&(at.unit, edge)) else {
            return Some((vec![target], None));
        };
        if !d.classes.is_empty() {
            // Built in a branch this path skips: the object is another class.
            let mask = d
                .classes
                .iter()
                .take(8)
                .enumerate()
                .filter(|(_, (_, p))| !within(dead, *p))
                .fold(0u8, |m, (i, _)| m | 1 << i);
            return (mask != 0).then(|| (vec![target], Some((at.unit as u32, edge as u32, mask))));
        }
        let classes = self.this_classes(at.this_of);
        if !d.this_call || d.overrides.is_empty() || classes.is_empty() {
            return Some((vec![target], at.this_of.filter(|_| d.this_call)));
        }
        let mut runs: Vec<usize> = classes
            .iter()
            .map(|c| {
                d.overrides
                    .iter()
                    .find(|(s, _)| s == c)
                    .map_or(target, |o| o.1)
            })
            .collect();
        runs.sort_unstable();
        runs.dedup();
        // An abstract method has an edge per override already: keep those the object runs.
        if d.overrides.iter().any(|o| o.1 == target) {
            return runs.contains(&target).then(|| (vec![target], at.this_of));
        }
        Some((runs, at.this_of))
    }

    /// The classes `this` may be on this path (see `Frame::this_of`).
    fn this_classes(&self, this_of: Option<ThisOf>) -> Vec<&'static str> {
        let Some((u, e, mask)) = this_of else {
            return vec![];
        };
        let Some(d) = self.model.dispatch.get(&(u as usize, e as usize)) else {
            return vec![];
        };
        d.classes
            .iter()
            .take(8)
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, (c, _))| *c)
            .collect()
    }

    /// Sets each event's `elsewhere`: from after the last event of its innermost exiting
    /// branch to the return of that branch's function (branches and calls are entered and
    /// left in order, so each covers a run of events).
    pub(super) fn close_scopes(&mut self) {
        let mut last = vec![0u32; self.scope_parents.len()];
        for (i, &s) in self.scopes.iter().enumerate() {
            let mut s = s;
            while s != 0 {
                last[s as usize] = i as u32;
                s = self.scope_parents[s as usize];
            }
        }
        for (e, &c) in self.out.iter_mut().zip(&self.event_calls) {
            e.returns = self.call_ends[c as usize];
        }
        for (e, &s) in self.out.iter_mut().zip(&self.scopes) {
            if s != 0 {
                let end = self.call_ends[self.scope_calls[s as usize] as usize];
                e.elsewhere = (last[s as usize] + 1, end);
            }
        }
    }
}

/// Whether byte `pos` lies in one of the ranges.
fn within(ranges: &[(usize, usize)], pos: usize) -> bool {
    ranges.iter().any(|&(s, e)| (s..e).contains(&pos))
}

/// The code of `unit` that the call reaching it rules out by the flags it passes
/// (`createBooking(request, true)` into `createBooking(request, manualBooking = false)`):
/// each branch on one of those parameters (`if (manualBooking)`, `if (!skipChecks)`, `flag
/// === false`, their `else`) that the value does not take, and after a taken branch that
/// returns or throws, the rest of the function.
fn dead_code(model: &RepoModel, unit: usize, via: Option<(usize, usize)>) -> Vec<(usize, usize)> {
    let Some(e) = via.and_then(|(caller, edge)| model.calls[caller].get(edge)) else {
        return vec![];
    };
    if !e.args.contains("true") && !e.args.contains("false") {
        return vec![];
    }
    let u = &model.units[unit];
    let args = crate::model::resolve::split_args(&e.args);
    let flags: Vec<(&str, bool)> = u
        .params
        .iter()
        .zip(&args)
        .filter_map(|(p, a)| match *a {
            "true" => Some((*p, true)),
            "false" => Some((*p, false)),
            _ => None,
        })
        .collect();
    let Some(code) = model.files[u.file]
        .code
        .as_ref()
        .filter(|_| !flags.is_empty())
    else {
        return vec![];
    };
    let lu = &code.units[u.local];
    let mut out = Vec::new();
    for g in code.guards_at_range(lu.start, lu.end) {
        let Some(v) = flag_value(g.cond, &flags) else {
            continue;
        };
        if v == g.negated {
            out.push((g.start, g.end));
        } else if g.exits && code.unit_at(g.start) == u.local {
            out.push((g.end, lu.end));
        }
    }
    out
}

/// The value of a branch condition that tests one flag: `flag`, `!flag`, `(flag)`, `flag ===
/// true`, `flag !== false`; `None` for anything else.
fn flag_value(cond: &str, flags: &[(&str, bool)]) -> Option<bool> {
    let mut c = cond.trim();
    while let Some(inner) = c.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        c = inner.trim();
    }
    let mut negate = false;
    while let Some(rest) = c.strip_prefix('!').filter(|r| !r.starts_with('=')) {
        negate = !negate;
        c = rest.trim_start();
    }
    let mut compare = None;
    for (op, equal) in [("!==", false), ("===", true), ("!=", false), ("==", true)] {
        if let Some((l, r)) = c.split_once(op) {
            let lit = match r.trim() {
                "true" => true,
                "false" => false,
                _ => return None,
            };
            c = l.trim();
            compare = Some((lit, equal));
            break;
        }
    }
    if c.is_empty()
        || !c
            .chars()
            .all(|ch| ch.is_alphanumeric() || ch == '_' || ch == '$')
    {
        return None;
    }
    let &(_, v) = flags.iter().find(|(p, _)| *p == c)?;
    let v = match compare {
        Some((lit, equal)) => (v == lit) == equal,
        None => v,
    };
    Some(v != negate)
}

#[cfg(test)]
mod tests {
    use super::{flag_value, passed_value};

    #[test]
    fn a_key_named_like_the_prop_in_a_passed_object_gives_its_literal() {
        let v = |args, var, prop| super::passed_key_value(args, &["input"], var, prop);
        assert_eq!(
            v(
                "({ email: e, paymentStatus: \"unpaid\" })",
                "input",
                "status"
            ),
            Some("unpaid")
        );
        assert_eq!(
            v("({ status: BookingStatus.PENDING })", "input", "status"),
            Some("PENDING")
        );
        // A variable, a key that only contains the name, another parameter, no object.
        assert_eq!(v("({ status: next })", "input", "status"), None);
        assert_eq!(v("({ statusCode: 'x' })", "input", "status"), None);
        assert_eq!(v("({ status: 'x' })", "other", "status"), None);
        assert_eq!(v("(data)", "input", "status"), None);
        // Text that is not ASCII before the key: a letter is part of it, a symbol is not
        // a key.
        assert_eq!(v("({ éstatus: 'x' })", "input", "status"), Some("x"));
        assert_eq!(v("({ €status: 'x' })", "input", "status"), None);
    }

    #[test]
    fn a_branch_on_a_passed_flag_has_a_value() {
        let f = [("manual", true), ("skip", false)];
        assert_eq!(flag_value("(manual)", &f), Some(true));
        assert_eq!(flag_value("(!manual)", &f), Some(false));
        assert_eq!(flag_value("(skip === false)", &f), Some(true));
        assert_eq!(flag_value("(!!skip)", &f), Some(false));
        assert_eq!(flag_value("(manual !== true)", &f), Some(false));
        // Other conditions, other names, and compound tests are not decided.
        assert_eq!(flag_value("(manual && ok)", &f), None);
        assert_eq!(flag_value("(other)", &f), None);
        assert_eq!(flag_value("(manual === 'yes')", &f), None);
        assert_eq!(flag_value("(manual.length)", &f), None);
    }

    #[test]
    fn a_literal_passed_by_position_or_by_key_is_the_value() {
        let v = |args, params: &[&str], var| passed_value(args, params, var);
        assert_eq!(
            v("(id, 'confirmed')", &["id", "status"], "status"),
            Some("confirmed")
        );
        assert_eq!(
            v(
                "({ id, bookingStatus: BookingStatus.CONFIRMED })",
                &["input"],
                "bookingStatus"
            ),
            Some("CONFIRMED")
        );
        assert_eq!(
            v("({ status: \"PAID\" })", &["input"], "status"),
            Some("PAID")
        );
        // Variables and expressions are not values.
        assert_eq!(v("(id, nextStatus)", &["id", "status"], "status"), None);
        assert_eq!(v("({ status: body.status })", &["input"], "status"), None);
        assert_eq!(
            v("(id, s.metadata!.next)", &["id", "status"], "status"),
            None
        );
        // A key that only ends with the name is another key.
        assert_eq!(v("({ paymentStatus: 'PAID' })", &["input"], "status"), None);
        assert_eq!(v("({ id })", &["input"], "status"), None);
    }
}
