//! Which of the variants sharing a tree pattern may pass their first regex, found by one scan.
//!
//! Many fact variants share one tree pattern (every call, every string) and differ by the regex
//! their callee or text must match, and most of those regexes name a literal the text lacks.
//! Asking each variant's regex in turn (a memo lookup, then a literal scan) was a fifth of a
//! run; one Aho-Corasick scan for the required literals of all of them answers every variant
//! at once. A variant it rejects is one whose regex cannot match (see `super::prefilter`); the
//! others are asked as before. Texts are filtered where the prefilter's literals decide.

use super::Variant;
pub use super::spec::Target;
use aho_corasick::{AhoCorasick, MatchKind};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Fewer variants than this with literals to look for are asked one by one.
const MIN_FILTERED: usize = 2;
/// Matches of a pattern before its scan is built: building the automata of every pattern cost
/// a small repository a fifth of its run, more than the scans would save it.
const BUILD_AFTER: usize = 256;

/// A pattern's scan, built after `BUILD_AFTER` matches. Which variants are asked changes
/// nothing but the time taken (a rejected variant could not match), so results do not
/// depend on when, or on which thread, it is built.
#[derive(Default)]
pub struct Lazy {
    uses: AtomicUsize,
    built: OnceLock<Dispatch>,
}

impl Lazy {
    pub fn get(&self, build: impl FnOnce() -> Dispatch) -> Option<&Dispatch> {
        if let Some(d) = self.built.get() {
            return Some(d);
        }
        // Under the regex crosscheck it is built at once, so the tests check its every rejection.
        if self.uses.fetch_add(1, Ordering::Relaxed) < BUILD_AFTER && !super::re::crosschecking() {
            return None;
        }
        Some(self.built.get_or_init(build))
    }
}

/// The literals of one target, each variant's as ids into them.
struct Scan {
    automaton: AhoCorasick,
    count: usize,
}

/// One tree pattern's variants, in the pattern's order.
pub struct Dispatch {
    callee: Option<Scan>,
    text: Option<Scan>,
    /// Per variant: its target and its literal ids (it may match when any is present), or
    /// None when it is always asked.
    slots: Vec<Option<(Target, Vec<u32>)>>,
    /// Whether any slot is filtered (else every variant is asked).
    filters: bool,
}

/// Buffers reused across matches.
#[derive(Default)]
pub struct Scratch {
    callee: Vec<bool>,
    text: Vec<bool>,
    pub may: Vec<bool>,
}

impl Scratch {
    /// Marks all `n` variants to be asked (no scan built yet).
    pub fn ask_all(&mut self, n: usize) {
        self.may.clear();
        self.may.resize(n, true);
    }
}

impl Dispatch {
    pub fn new<'a>(variants: impl Iterator<Item = &'a Variant>) -> Dispatch {
        let mut ids: [BTreeMap<Vec<u8>, u32>; 2] = Default::default();
        let mut slots = Vec::new();
        for v in variants {
            let slot = v.spec.first_regex().and_then(|(target, re)| {
                let f = re.prefilter()?;
                let known = &mut ids[target as usize];
                let lits: Vec<u32> = f
                    .needles()
                    .map(|n| {
                        let n = n.to_ascii_lowercase();
                        let next = known.len() as u32;
                        *known.entry(n).or_insert(next)
                    })
                    .collect();
                (!lits.is_empty()).then_some((target, lits))
            });
            slots.push(slot);
        }
        if slots.iter().flatten().count() < MIN_FILTERED {
            slots.iter_mut().for_each(|s| *s = None);
        }
        let [callee, text] = ids.map(|known| {
            let mut needles: Vec<(u32, Vec<u8>)> = known.into_iter().map(|(n, i)| (i, n)).collect();
            needles.sort();
            let count = needles.len();
            if count == 0 {
                return None;
            }
            let automaton = aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(needles.into_iter().map(|(_, n)| n))
                .ok()?;
            Some(Scan { automaton, count })
        });
        // A target whose automaton could not be built asks its variants one by one.
        for s in &mut slots {
            if let Some((t, _)) = s {
                let built = match t {
                    Target::Callee => callee.is_some(),
                    Target::Text => text.is_some(),
                };
                if !built {
                    *s = None;
                }
            }
        }
        let filters = slots.iter().any(Option::is_some);
        Dispatch {
            callee,
            text,
            slots,
            filters,
        }
    }

    /// Sets `scratch.may[i]` to false when variant `i`'s first regex cannot match its target,
    /// true when it may.
    pub fn candidates(&self, callee: &str, text: &str, scratch: &mut Scratch) {
        scratch.ask_all(self.slots.len());
        if !self.filters {
            return;
        }
        let callee_scanned = present(self.callee.as_ref(), callee, &mut scratch.callee);
        let text_scanned = present(self.text.as_ref(), text, &mut scratch.text);
        for (slot, may) in self.slots.iter().zip(scratch.may.iter_mut()) {
            let Some((target, lits)) = slot else { continue };
            let (scanned, found) = match target {
                Target::Callee => (callee_scanned, &scratch.callee),
                Target::Text => (text_scanned, &scratch.text),
            };
            if scanned {
                *may = lits.iter().any(|&i| found[i as usize]);
            }
        }
    }
}

/// Marks the literals present in `hay`; false (nothing known) for a text the literals do not
/// decide for (`prefilter::decides`).
fn present(scan: Option<&Scan>, hay: &str, found: &mut Vec<bool>) -> bool {
    let Some(scan) = scan else { return false };
    if !super::prefilter::decides(hay, hay.is_ascii()) {
        return false;
    }
    found.clear();
    found.resize(scan.count, false);
    for m in scan.automaton.find_overlapping_iter(hay) {
        found[m.pattern().as_usize()] = true;
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::lang::Lang;

    /// On the built-in rules: the scan rejects many variants of shared patterns for a callee
    /// they do not name, and never one whose regex matches.
    #[test]
    fn the_scan_keeps_every_variant_whose_regex_matches_and_rejects_others() {
        let rules = super::super::load(None).expect("built-in rules load");
        let q = rules.queries.get(Lang::Ts).expect("a TypeScript query");
        let callees = [
            "prisma.booking.create",
            "stripe.paymentIntents.create",
            "db.transaction",
            "console.log",
            "fetchAvailability",
        ];
        let mut scratch = super::Scratch::default();
        let (mut rejected, mut kept) = (0, 0);
        for p in 0..q.patterns.len() {
            let d = (0..)
                .find_map(|_| q.dispatch(p, &rules.facts))
                .expect("built after enough matches");
            for callee in callees {
                d.candidates(callee, callee, &mut scratch);
                for (slot, &(fi, vi)) in q.patterns[p].iter().enumerate() {
                    let first = rules.facts[fi].variants[vi].spec.first_regex();
                    let matches = first.is_some_and(|(_, re)| re.captures(callee).is_some());
                    if scratch.may[slot] {
                        kept += 1;
                    } else {
                        assert!(!matches, "rejected {callee:?}, which fact {fi} matches");
                        rejected += 1;
                    }
                }
            }
        }
        // 348 of 840 at the time of writing; a scan that rejects nothing fails here.
        assert!(
            rejected >= 100,
            "the scan rejects too few: {rejected} of {}",
            rejected + kept
        );
    }
}
