//! Flows: a root function and the repository functions it calls (to MAX_DEPTH), as one
//! ordered sequence of fact events, each knowing the transaction scope it runs in.

use super::{RepoModel, Side};
use crate::rules::RuleSet;
use crate::rules::spec::Role;
use std::collections::{BTreeSet, HashMap, HashSet};

mod walk;
use walk::{Derived, Frame, Walk};

/// How deep calls are followed from a root (CHECKS.md asks for at least 3). Eight: a
/// controller, its service, a helper that runs the unit of work it is handed, the validator
/// that unit calls and its repository are already five levels before the query.
pub const MAX_DEPTH: usize = 8;
/// Functions that only forward a call (and so add no depth) allowed on one path.
pub const MAX_FORWARDS: usize = 4;
/// Events kept per flow: bounds time and memory on call graphs that fan out.
pub const MAX_EVENTS: usize = 4000;
/// Calls followed per flow: bounds time on call graphs whose many paths reach their facts
/// only beyond MAX_DEPTH, and so add no events.
pub const MAX_CALLS_FOLLOWED: usize = 20_000;

#[derive(Debug, Clone, Copy)]
pub struct Event {
    /// Index into `RepoModel::facts`.
    pub fact: usize,
    /// Transaction region the event runs inside, if any.
    pub tx: Option<usize>,
    /// The lock taken with a callback (`redlock.using(keys, ttl, fn)`) whose callback the
    /// event runs in, if any: the index of the lock's fact.
    pub held: Option<u32>,
    pub depth: u8,
    /// The guards it runs under, along the calls that reached it.
    pub ctx: Context,
    /// Events in this range of indexes run only on other paths: the event lies in a branch
    /// that ends in `return` or `throw`, and they come after that branch in the same call of
    /// its function (empty: none). After the function returns, its caller goes on.
    pub elsewhere: (u32, u32),
    /// The number of the flow's events when the call of the function it runs in returned:
    /// later events run after that function is done (a test in a helper that returned
    /// guards them only by throwing).
    pub returns: u32,
}

impl Event {
    /// Whether the event at index `later` can run after this one, at `here`, on one path
    /// through the code.
    fn leads_to(&self, here: usize, later: usize) -> bool {
        let (lo, hi) = self.elsewhere;
        here < later && !(lo as usize <= later && later < hi as usize)
    }

    /// Whether the function this event runs in is still running at the event at `later`.
    pub fn open_at(&self, later: usize) -> bool {
        later < self.returns as usize
    }

    /// Whether this event, at `here`, comes before the one at `later`: on one path through
    /// the code when `same_path` (a rule's `same_path: true`), else anywhere earlier.
    pub fn precedes(&self, here: usize, later: usize, same_path: bool) -> bool {
        if same_path {
            self.leads_to(here, later)
        } else {
            here < later
        }
    }
}

/// What an event runs under: inside a catch block (here or in a caller, around the call
/// that reached it), and the conditions of the branches around it, outermost first, joined
/// with ` && ` (`if (expired) { cancelHold() }`: `cancelHold`'s writes run under `expired`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Context {
    pub catch: bool,
    pub conds: Option<&'static str>,
}

/// Conditions kept per event: deeper guards add little and the text must stay bounded.
const MAX_COND_BYTES: usize = 600;

impl Context {
    /// This context, entered further by `inner` (a call's or a fact's own guards).
    fn then(self, inner: Context) -> Context {
        let conds = match (self.conds, inner.conds) {
            (Some(a), Some(b)) if a.len() < MAX_COND_BYTES => Some(crate::intern::intern(
                crate::source::prefix_within(&format!("{a} && {b}"), MAX_COND_BYTES),
            )),
            (a, b) => a.or(b),
        };
        Context {
            catch: self.catch || inner.catch,
            conds,
        }
    }

    /// ` catch under=(...)` for a debug listing; empty outside every guard.
    pub fn describe(&self) -> String {
        let mut s = String::new();
        if self.catch {
            s.push_str(" catch");
        }
        if let Some(c) = self.conds {
            s.push_str(" under=");
            s.push_str(&crate::source::prefix_within(c, 80).replace('\n', " "));
        }
        s
    }
}

pub struct Flow {
    pub root: usize,
    pub events: Vec<Event>,
    pub kinds: BTreeSet<String>,
    pub side: Side,
    /// Files of the functions the flow runs through.
    pub files: BTreeSet<usize>,
}

/// A transaction scope: a byte range in one unit, optionally bound to a client parameter
/// (`$transaction(async (tx) => ...)`: only writes through `tx` are inside).
#[derive(Debug, Clone)]
pub struct Region {
    pub unit: usize,
    pub start: usize,
    pub end: usize,
    pub client: Option<String>,
    /// The callback takes no client (`runInTransaction(level, async () => ...)`): the
    /// transaction is ambient (continuation-local), so every write the callback reaches, in
    /// any function and through any client, runs in it.
    pub ambient: bool,
}

/// Indexes are `u32` and exits a range of a shared list: there is an item per fact and per
/// call edge, and their size is most of the flow builder's memory.
enum Item {
    Fact {
        fact: u32,
        tx: Option<u32>,
        held: Option<u32>,
        ctx: Context,
        exits: Exits,
    },
    Call {
        target: u32,
        tx: Option<u32>,
        held: Option<u32>,
        ctx: Context,
        exits: Exits,
        /// The call's edge: `model.calls[unit][edge]` (its argument text).
        edge: u32,
        /// One of the call's alternative targets (`Edge::alt`).
        alt: bool,
    },
    /// A lifecycle hook: the items of `unit` between `start` and `end` (its function).
    Hook {
        unit: usize,
        start: usize,
        end: usize,
        tx: Option<u32>,
    },
}

/// The branches around a position, in its unit, that end in `return` or `throw` or skip
/// other code (`Guard::skips_to`): a range of the shared list of their indexes in the file's
/// guards, outermost first.
type Exits = (u32, u32);

/// What the code around `pos` in unit `unit` runs under, and the branches around it that
/// exit, one pass over its guards. A callback nested in the unit is the unit's code, so its
/// guards count too.
fn guards_around(
    model: &RepoModel,
    unit: usize,
    pos: usize,
    pool: &mut Vec<u32>,
) -> (Context, Exits) {
    let u = &model.units[unit];
    let start = pool.len() as u32;
    let Some(code) = model.files[u.file].code.as_ref() else {
        return (Context::default(), (start, start));
    };
    let lu = &code.units[u.local];
    let mut ctx = Context::default();
    let mut conds: Vec<&str> = Vec::new();
    for (i, g) in code.guards_at(pos, lu.start, lu.end) {
        if g.exits || g.skips_to != 0 {
            pool.push(i as u32);
        }
        if g.catch {
            ctx.catch = true;
        } else if !g.cond.is_empty() && !conds.contains(&g.cond) {
            conds.push(g.cond);
        }
    }
    if !conds.is_empty() {
        ctx.conds = Some(crate::intern::intern(crate::source::prefix_within(
            &conds.join(" && "),
            MAX_COND_BYTES,
        )));
    }
    (ctx, (start, pool.len() as u32))
}

/// Items at one position run hooks first, then the fact, then the calls it makes.
fn rank(item: &Item) -> u8 {
    match item {
        Item::Hook { .. } => 0,
        Item::Fact { .. } => 1,
        Item::Call { .. } => 2,
    }
}

/// A hook's function: its unit and byte range.
#[derive(PartialEq)]
struct Hook {
    unit: usize,
    start: usize,
    end: usize,
}

/// Hooks by (the fact they run before, their entity's key).
type Hooks = HashMap<(usize, String), Vec<Hook>>;

pub fn build(model: &mut RepoModel, rules: &RuleSet) {
    let mut regions = regions(model, rules);
    regions.extend(super::tx_helpers::wrapper_regions(model, &regions));
    regions.sort_by_key(|r| (r.unit, r.start, std::cmp::Reverse(r.end)));
    let ambient: Vec<bool> = regions.iter().map(|r| r.ambient).collect();
    let mut exit_pool = Vec::new();
    let items = unit_items(model, rules, &regions, &mut exit_pool);
    let reach = reaches_facts(model, &items);
    let mut has_caller = vec![false; model.units.len()];
    for (u, edges) in model.calls.iter().enumerate() {
        if model.units[u].is_module {
            continue;
        }
        let caller_client = model.files[model.units[u].file].side == Side::Client;
        for e in edges {
            // A server action called from a component is still a server entry point.
            if caller_client && model.files[model.units[e.target].file].side == Side::Server {
                continue;
            }
            has_caller[e.target] = true;
        }
    }
    // Where requests and jobs are recognised, an export that no module imports serves none.
    let has_entries = model
        .units
        .iter()
        .any(|u| u.entry.is_some_and(|k| rules.entries.starts_flows(k)));
    let mut flows = Vec::new();
    let through = walk::through_calls(rules);
    let mut derived = Derived {
        base: model.facts.len(),
        index: HashMap::new(),
        list: Vec::new(),
    };
    for root in 0..model.units.len() {
        let is_code = model.files[model.units[root].file].code.is_some();
        if has_caller[root] || !reach[root] || !is_code {
            continue;
        }
        if has_entries && model.units[root].entry.is_none() && model.unimported[root] {
            model.unused_roots.push(root);
            continue;
        }
        // A migration's `up` runs once, outside any request or job (CHECKS.md edge case 18).
        if let Some(kind) = model.units[root].entry
            && !rules.entries.starts_flows(kind)
        {
            continue;
        }
        let mut walk = Walk {
            model,
            ambient: &ambient,
            through: &through,
            items: &items,
            exit_pool: &exit_pool,
            reach: &reach,
            stack: vec![root],
            out: Vec::new(),
            scopes: Vec::new(),
            event_calls: Vec::new(),
            scope_parents: vec![0],
            scope_calls: vec![0],
            call_ends: vec![0],
            files: BTreeSet::new(),
            followed: 0,
            derived: &mut derived,
        };
        walk.expand(Frame {
            unit: root,
            range: None,
            depth: 0,
            tx: None,
            ctx: Context::default(),
            module_only: model.units[root].is_module,
            scope: 0,
            call: 0,
            via: None,
            held: None,
            this_of: None,
        });
        walk.close_scopes();
        let Walk {
            out: events, files, ..
        } = walk;
        if events.is_empty() {
            continue;
        }
        let side = model.files[model.units[root].file].side;
        flows.push(Flow {
            root,
            events,
            kinds: BTreeSet::new(),
            side,
            files,
        });
    }
    for walk::Passed { fact, prop, value } in derived.list {
        let f = &model.facts[fact];
        let mut values = (*f.values).clone();
        values.insert(prop, value);
        values.insert(
            crate::intern::intern(&super::values::from_key(prop)),
            "call",
        );
        let rec = f.with_values(values);
        model
            .by_fact
            .entry(rec.fact)
            .or_default()
            .push(model.facts.len());
        model.facts.push(rec);
    }
    // Their kinds (create, cancel...) are conditions the engine decides: `engine::classify`.
    model.flows = flows;
    model.regions = regions;
}

fn regions(model: &RepoModel, rules: &RuleSet) -> Vec<Region> {
    let mut out = Vec::new();
    let mut file_units = None;
    for f in &model.facts {
        let Some(def) = rules.facts.get(f.fact) else {
            continue;
        };
        if def.role != Role::Transaction {
            continue;
        }
        let end = match &def.until {
            Some(until) => model
                .facts_of(until.index())
                .iter()
                .map(|&i| &model.facts[i])
                .filter(|g| g.unit == f.unit && g.start > f.start)
                .map(|g| g.start)
                .min()
                .unwrap_or_else(|| unit_end(model, f.unit)),
            None => f.scope.1,
        };
        let start = if def.until.is_some() {
            f.start
        } else {
            f.scope.0
        };
        let ambient = f.value("ambient").is_some();
        // A callback that takes no client and is not ambient (`$transaction(async () => ...)`)
        // holds only the writes that name no client.
        let client = match f.value("client") {
            None if f.value("no_client").is_some() && !ambient => Some(String::new()),
            c => c.map(String::from),
        };
        // A callback that is a function of its own (`const book = db.transaction((id) =>
        // {...})`, better-sqlite3, which the code model names `book` so that `book(id)` calls
        // it) runs whole in the transaction.
        for u in units_within(model, &mut file_units, f.unit, start, end) {
            out.push(Region {
                unit: u,
                start: 0,
                end: usize::MAX,
                client: client.clone(),
                ambient,
            });
        }
        out.push(Region {
            unit: f.unit,
            start,
            end,
            client,
            ambient,
        });
    }
    // `build` sorts them once the helpers' regions are added.
    out
}

/// Unit spans by file, `(start, end, unit)`, made in one pass over the units on first use.
type FileUnits = HashMap<usize, Vec<(usize, usize, usize)>>;

/// The units of `unit`'s file that lie within `start..end` (other than `unit`).
fn units_within(
    model: &RepoModel,
    file_units: &mut Option<FileUnits>,
    unit: usize,
    start: usize,
    end: usize,
) -> Vec<usize> {
    let by_file = file_units.get_or_insert_with(|| {
        let mut by_file = FileUnits::new();
        for (i, u) in model.units.iter().enumerate() {
            if let Some(code) = model.files[u.file].code.as_ref().filter(|_| !u.is_module) {
                let lu = &code.units[u.local];
                by_file
                    .entry(u.file)
                    .or_default()
                    .push((lu.start, lu.end, i));
            }
        }
        by_file
    });
    by_file
        .get(&model.units[unit].file)
        .into_iter()
        .flatten()
        .filter(|&&(s, e, i)| i != unit && start <= s && e <= end)
        .map(|&(_, _, i)| i)
        .collect()
}

fn unit_end(model: &RepoModel, unit: usize) -> usize {
    let u = &model.units[unit];
    model.files[u.file]
        .code
        .as_ref()
        .map(|c| c.units[u.local].end)
        .unwrap_or(usize::MAX)
}

/// The innermost region of `unit` containing `pos` that admits an access through `client`.
fn region_at(
    regions: &[Region],
    unit: usize,
    pos: usize,
    admits: impl Fn(&Region) -> bool,
) -> Option<usize> {
    let lo = regions.partition_point(|r| r.unit < unit);
    let hi = regions.partition_point(|r| r.unit <= unit);
    (lo..hi)
        .rev()
        .find(|&i| regions[i].start <= pos && pos < regions[i].end && admits(&regions[i]))
}

/// Locks taken with a callback (a fact with a `scoped` value: `redlock.using(keys, ttl,
/// fn)`): (unit, start, end, fact), sorted. What the call's callback runs holds the lock; what
/// runs after the call returns does not.
fn held_locks(model: &RepoModel) -> Vec<(usize, usize, usize, u32)> {
    let mut out: Vec<(usize, usize, usize, u32)> = model
        .facts
        .iter()
        .enumerate()
        .filter(|(_, f)| f.value("scoped").is_some())
        .map(|(i, f)| (f.unit, f.scope.0, f.scope.1, i as u32))
        .collect();
    out.sort_unstable();
    out
}

/// The innermost held lock around `pos` in `unit` (not the lock's own fact).
fn held_at(
    locks: &[(usize, usize, usize, u32)],
    unit: usize,
    pos: usize,
    fact: Option<usize>,
) -> Option<u32> {
    let lo = locks.partition_point(|l| l.0 < unit);
    let hi = locks.partition_point(|l| l.0 <= unit);
    locks[lo..hi]
        .iter()
        .rev()
        .find(|l| l.1 <= pos && pos < l.2 && Some(l.3 as usize) != fact)
        .map(|l| l.3)
}

fn unit_items(
    model: &RepoModel,
    rules: &RuleSet,
    regions: &[Region],
    pool: &mut Vec<u32>,
) -> Vec<Vec<(usize, Item)>> {
    let mut items: Vec<Vec<(usize, u8, Item)>> =
        (0..model.units.len()).map(|_| Vec::new()).collect();
    let hooks = hooks(model, rules);
    let hooked: HashSet<usize> = hooks.keys().map(|(before, _)| *before).collect();
    let locks = held_locks(model);
    for (i, f) in model.facts.iter().enumerate() {
        let client = f.value("client");
        let tx = region_at(regions, f.unit, f.start, |r| match (&r.client, client) {
            (Some(rc), Some(c)) => rc == c || c.starts_with(&format!("{rc}.")),
            _ => true,
        })
        .map(|r| r as u32);
        // The entity's hooks run before the write, inside its transaction.
        if let Some(e) = f.value("entity").filter(|_| hooked.contains(&f.fact))
            && let Some(found) = hooks.get(&(f.fact, super::entities::key(e)))
        {
            for h in found {
                if !(h.unit == f.unit && (h.start..h.end).contains(&f.start)) {
                    let item = Item::Hook {
                        unit: h.unit,
                        start: h.start,
                        end: h.end,
                        tx,
                    };
                    items[f.unit].push((f.start, rank(&item), item));
                }
            }
        }
        let (ctx, exits) = guards_around(model, f.unit, f.start, pool);
        let item = Item::Fact {
            fact: i as u32,
            tx,
            held: held_at(&locks, f.unit, f.start, Some(i)),
            ctx,
            exits,
        };
        items[f.unit].push((f.start, rank(&item), item));
    }
    for (u, edges) in model.calls.iter().enumerate() {
        for (edge, e) in edges.iter().enumerate() {
            let tx = region_at(regions, u, e.pos, |r| match &r.client {
                Some(c) => mentions(&e.args, c),
                None => true,
            })
            // A function passed to a helper runs where the helper calls it: inside the
            // helper's ambient transaction, whose callback names no client it must use.
            .or_else(|| {
                let (ru, rp) = e.runs_at?;
                region_at(regions, ru, rp, |r| r.ambient)
            })
            .map(|r| r as u32);
            let (ctx, exits) = guards_around(model, u, e.pos, pool);
            let item = Item::Call {
                target: e.target as u32,
                tx,
                held: held_at(&locks, u, e.pos, None),
                ctx,
                exits,
                edge: edge as u32,
                alt: e.alt,
            };
            items[u].push((e.pos, rank(&item), item));
        }
    }
    items
        .into_iter()
        .map(|mut list| {
            list.sort_by_key(|(p, r, _)| (*p, *r));
            list.into_iter().map(|(p, _, i)| (p, i)).collect()
        })
        .collect()
}

/// The lifecycle hooks found. A hook's entity is its fact's `entity`, else the one its
/// function or class is named after (`createBookingDefaultHooks`,
/// `class Booking { @BeforeInsert() ... }`).
fn hooks(model: &RepoModel, rules: &RuleSet) -> Hooks {
    let mut out = Hooks::new();
    for (fi, def) in rules.facts.iter().enumerate() {
        let (Role::Hook, Some(before)) = (def.role, &def.runs_before) else {
            continue;
        };
        for &i in model.facts_of(fi) {
            let f = &model.facts[i];
            let unit = &model.units[f.unit];
            let key = match f.value("entity") {
                Some(e) => Some(super::entities::key(e)),
                None => [unit.container, Some(unit.name)]
                    .into_iter()
                    .flatten()
                    .find_map(|n| entity_named_in(model, n)),
            };
            if let Some(key) = key.filter(|k| model.entity_by_key.contains_key(k)) {
                let h = Hook {
                    unit: f.unit,
                    start: f.start,
                    end: f.end,
                };
                let list = out.entry((before.index(), key)).or_default();
                if !list.contains(&h) {
                    list.push(h);
                }
            }
        }
    }
    out
}

/// The longest run of words in an identifier that is an entity's key.
fn entity_named_in(model: &RepoModel, name: &str) -> Option<String> {
    let key = super::resolve::words_key(name);
    let words: Vec<&str> = key.split(' ').collect();
    let mut best: Option<String> = None;
    for i in 0..words.len() {
        for j in i + 1..=words.len() {
            let k = super::entities::key(&words[i..j].concat());
            if model.entity_by_key.contains_key(&k)
                && best.as_ref().is_none_or(|b| k.len() > b.len())
            {
                best = Some(k);
            }
        }
    }
    best
}

fn mentions(text: &str, ident: &str) -> bool {
    text.match_indices(ident).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + ident.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
            && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Whether a unit, or anything it calls, holds a fact (calls elsewhere need not be expanded).
fn reaches_facts(model: &RepoModel, items: &[Vec<(usize, Item)>]) -> Vec<bool> {
    let mut reach: Vec<bool> = items
        .iter()
        .map(|l| l.iter().any(|(_, i)| matches!(i, Item::Fact { .. })))
        .collect();
    // Search backwards along call edges from the units that hold facts: linear in units and
    // edges, where repeating a forward pass until nothing changes is quadratic on long chains.
    let mut callers: Vec<Vec<usize>> = vec![Vec::new(); reach.len()];
    for (u, edges) in model.calls.iter().enumerate() {
        for e in edges {
            callers[e.target].push(u);
        }
    }
    for (&(u, _), d) in &model.dispatch {
        for &(_, o) in &d.overrides {
            callers[o].push(u);
        }
    }
    let mut work: Vec<usize> = (0..reach.len()).filter(|&u| reach[u]).collect();
    while let Some(u) = work.pop() {
        for &c in &callers[u] {
            if !reach[c] {
                reach[c] = true;
                work.push(c);
            }
        }
    }
    reach
}
