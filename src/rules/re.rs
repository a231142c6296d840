//! Rule regexes, compiled on first use and shared by every rule that spells the same regex
//! (`Automata::for_pattern`), with two fast paths for ASCII text.
//!
//! Building automata was most of a small repository's run, and Unicode-aware classes (`\w`,
//! `\b`, `(?i)`) make them several times costlier. On ASCII text an ASCII-only automaton gives
//! exactly the same matches: Unicode `\w`, `\d`, `\s`, `\b`, `.` and case folding agree with
//! their ASCII forms on ASCII characters. Text with other characters is searched through its
//! ASCII stand-in (`StandIn`: each non-ASCII character replaced by one ASCII character of the
//! same class, offsets mapped back), so the Unicode automaton is built only for a regex that
//! spells a non-ASCII character itself.
//!
//! On ASCII text a regex starts on `regex-lite`, which builds about ten times faster than the
//! `regex` crate's automata but searches more slowly (no literal prefilters, no DFA). Once it
//! has searched `LITE_BUDGET` bytes, the regex moves to the full ASCII automaton: a small
//! repository never pays for building it, a large one gets fast searches. Both engines take
//! the same syntax with ASCII classes and leftmost-first semantics, so the switch never changes
//! a match, whatever the thread timing (the rule-case tests check every search they make on
//! both engines, see `crosscheck`).
//!
//! Results on short texts are remembered per thread: the same callee, status or path is asked
//! about by many rules and many flows.

use super::prefilter::Prefilter;
use regex::Regex;
use regex::bytes::Regex as BytesRegex;
use smallvec::SmallVec;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// Bytes of text one regex searches on `regex-lite` before it moves to the full automaton.
const LITE_BUDGET: usize = 2048;

/// When on, every `regex-lite` search is repeated on the full ASCII automaton and a difference
/// panics: the rule-case tests turn it on, so every search they make checks the two engines
/// agree. The CLI turns it on for a run when `BOOKING_AUDIT_REGEX_CROSSCHECK` is set.
static CROSSCHECK: AtomicBool = AtomicBool::new(false);

pub fn crosscheck(on: bool) {
    CROSSCHECK.store(on, Ordering::Relaxed);
}

pub(crate) fn crosschecking() -> bool {
    CROSSCHECK.load(Ordering::Relaxed)
}

/// A match's groups as byte ranges: inline and copied, because a remembered result is handed
/// out again on every hit (most rule regexes have a handful of groups; texts fit in `u32`, the
/// walk reads no file over 2 MiB).
type Spans = SmallVec<[Option<(u32, u32)>; 4]>;

fn span(start: usize, end: usize) -> (u32, u32) {
    (start as u32, end as u32)
}

fn spans_of_lite(c: regex_lite::Captures) -> Spans {
    c.iter()
        .map(|m| m.map(|m| span(m.start(), m.end())))
        .collect()
}

fn spans_of_bytes(c: regex::bytes::Captures) -> Spans {
    c.iter()
        .map(|m| m.map(|m| span(m.start(), m.end())))
        .collect()
}

fn spans_of_str(c: regex::Captures) -> Spans {
    c.iter()
        .map(|m| m.map(|m| span(m.start(), m.end())))
        .collect()
}

/// One regex's automata, each built when first needed.
#[derive(Debug)]
pub struct Automata {
    unicode: OnceLock<Regex>,
    /// None when the regex has no ASCII-only form (it names a Unicode class).
    ascii: OnceLock<Option<BytesRegex>>,
    /// None when `regex-lite` does not take the regex.
    lite: OnceLock<Option<regex_lite::Regex>>,
    /// Bytes searched on `lite` so far.
    lite_bytes: AtomicUsize,
    names: OnceLock<Vec<(usize, String)>>,
    /// Literals every match contains, looked for before any automaton runs (where they decide,
    /// `prefilter::decides`).
    prefilter: OnceLock<Option<Prefilter>>,
    /// The full ASCII automaton `crosscheck` compares `lite` with: apart from `ascii`, whose
    /// presence ends the `lite` budget.
    checker: OnceLock<Option<BytesRegex>>,
    /// Whether a non-ASCII text is searched through its stand-in (`stand_in`): decided once
    /// per regex.
    takes_stand_in: OnceLock<bool>,
    /// Names this automaton in the per-thread memo of results.
    id: u64,
}

impl Default for Automata {
    fn default() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Automata {
            unicode: OnceLock::new(),
            ascii: OnceLock::new(),
            lite: OnceLock::new(),
            lite_bytes: AtomicUsize::new(0),
            names: OnceLock::new(),
            prefilter: OnceLock::new(),
            checker: OnceLock::new(),
            takes_stand_in: OnceLock::new(),
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }
}

thread_local! {
    /// Results on short texts already searched, per thread (a shared map made both threads
    /// queue on its lock): the same callee, status or path is asked about many times in a run.
    static MEMO: RefCell<Memos> = RefCell::new(Memos::default());
}

/// foldhash: fast on short texts, and seeded per process, so texts from the audited code
/// cannot be crafted to collide.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Each automaton's remembered results by text, indexed by automaton id (ids are dense), and
/// how many there are in all.
#[derive(Default)]
struct Memos {
    by_automaton: Vec<FastMap<Box<str>, Memo>>,
    len: usize,
}

/// What a search on one text found: whether it matched, and the groups once asked for.
#[derive(Debug, Clone)]
struct Memo {
    matched: bool,
    spans: Option<Spans>,
}

impl Memo {
    const MISS: Memo = Memo {
        matched: false,
        spans: None,
    };
}

/// Texts longer than this are not remembered.
const MEMO_TEXT: usize = 128;
/// Results one thread remembers, at most. A full memo is emptied and refilled, so it follows
/// the phase of the run (extraction asks about callees, checks about values); results are the
/// same either way.
const MEMO_ENTRIES: usize = 8 * 1024;

/// A match's groups, as byte ranges of the searched text.
pub struct Groups<'h> {
    text: &'h str,
    spans: Spans,
}

impl<'h> Groups<'h> {
    pub fn get(&self, i: usize) -> Option<&'h str> {
        let (s, e) = (*self.spans.get(i)?)?;
        Some(&self.text[s as usize..e as usize])
    }

    /// Group `i`'s byte range, when it took part in the match.
    pub fn range_of(&self, i: usize) -> Option<(usize, usize)> {
        let (s, e) = (*self.spans.get(i)?)?;
        Some((s as usize, e as usize))
    }

    /// Group 0's byte range.
    pub fn range(&self) -> (usize, usize) {
        let (s, e) = self.spans[0].expect("group 0 takes part in every match");
        (s as usize, e as usize)
    }
}

enum Either<'a> {
    Lite(&'a regex_lite::Regex),
    Ascii(&'a BytesRegex),
    Unicode(&'a Regex),
}

impl Automata {
    /// The one `Automata` of a pattern, for the whole run.
    pub fn for_pattern(pattern: &str) -> &'static Automata {
        static ALL: OnceLock<Mutex<HashMap<String, &'static Automata>>> = OnceLock::new();
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        all.entry(pattern.to_string())
            .or_insert_with(|| Box::leak(Box::default()))
    }

    pub fn unicode(&self, pattern: &str) -> &Regex {
        self.unicode.get_or_init(|| build_unicode(pattern))
    }

    fn ascii(&self, pattern: &str) -> Option<&BytesRegex> {
        self.ascii.get_or_init(|| build_ascii(pattern)).as_ref()
    }

    fn lite(&self, pattern: &str) -> Option<&regex_lite::Regex> {
        self.lite.get_or_init(|| build_lite(pattern)).as_ref()
    }

    /// The regex's automaton for `text`: on ASCII text, `regex-lite` within its budget, then
    /// the ASCII-only automaton.
    fn pick(&self, pattern: &str, text: &str, ascii: bool) -> Either<'_> {
        if !ascii {
            return Either::Unicode(self.unicode(pattern));
        }
        if self.ascii.get().is_none()
            && self.lite_bytes.fetch_add(text.len(), Ordering::Relaxed) + text.len() <= LITE_BUDGET
            && let Some(r) = self.lite(pattern)
        {
            return Either::Lite(r);
        }
        match self.ascii(pattern) {
            Some(r) => Either::Ascii(r),
            None => Either::Unicode(self.unicode(pattern)),
        }
    }

    /// False when `text` lacks every literal the regex requires, so it cannot match. Asked after
    /// the memo: with many needles the scan costs more than a lookup.
    fn may_match(&self, pattern: &str, text: &str, ascii: bool) -> bool {
        let Some(f) = self.prefilter(pattern) else {
            return true;
        };
        if !super::prefilter::decides(text, ascii) {
            return true;
        }
        let may = f.may_match(text.as_bytes());
        if !may && crosschecking() {
            assert!(
                !self.unicode(pattern).is_match(text),
                "the prefilter rejected {text:?}, which {pattern:?} matches"
            );
        }
        may
    }

    /// The regex's required literals, if it has any worth a scan.
    pub fn prefilter(&self, pattern: &str) -> Option<&Prefilter> {
        self.prefilter
            .get_or_init(|| Prefilter::of(pattern))
            .as_ref()
    }

    fn recall(&self, text: &str) -> Option<Memo> {
        if text.len() > MEMO_TEXT {
            return None;
        }
        MEMO.with_borrow(|m| m.by_automaton.get(self.id as usize)?.get(text).cloned())
    }

    fn remember(&self, text: &str, memo: Memo) {
        if text.len() > MEMO_TEXT {
            return;
        }
        MEMO.with_borrow_mut(|m| {
            if m.len >= MEMO_ENTRIES {
                m.by_automaton.clear();
                m.len = 0;
            }
            let id = self.id as usize;
            if m.by_automaton.len() <= id {
                m.by_automaton.resize_with(id + 1, FastMap::default);
            }
            let texts = &mut m.by_automaton[id];
            if texts.insert(text.into(), memo).is_none() {
                m.len += 1;
            }
        });
    }

    pub fn is_match(&self, pattern: &str, text: &str) -> bool {
        if let Some(m) = self.recall(text) {
            return m.matched;
        }
        let matched = if !self.may_match(pattern, text, text.is_ascii()) {
            false
        } else {
            self.search(
                pattern,
                text,
                |t, ascii| self.is_match_in(pattern, t, ascii),
                |found, _| found,
                |u| u.is_match(text),
            )
        };
        self.remember(
            text,
            Memo {
                matched,
                spans: None,
            },
        );
        matched
    }

    fn is_match_in(&self, pattern: &str, text: &str, ascii: bool) -> bool {
        match self.pick(pattern, text, ascii) {
            Either::Lite(r) => {
                let found = r.is_match(text);
                self.verify(pattern, text, &found, |a| a.is_match(text.as_bytes()));
                found
            }
            Either::Ascii(r) => r.is_match(text.as_bytes()),
            Either::Unicode(r) => r.is_match(text),
        }
    }

    pub fn captures<'h>(&self, pattern: &str, text: &'h str) -> Option<Groups<'h>> {
        let known = self.recall(text);
        if let Some(Memo { matched: false, .. }) = known {
            return None;
        }
        if let Some(Memo {
            spans: Some(spans), ..
        }) = known
        {
            return Some(Groups { text, spans });
        }
        if known.is_none() && !self.may_match(pattern, text, text.is_ascii()) {
            self.remember(text, Memo::MISS);
            return None;
        }
        let spans = self.search(
            pattern,
            text,
            |t, ascii| self.captures_in(pattern, t, ascii),
            |spans, stand_in| spans.map(|s| stand_in.original(s)),
            |u| u.captures(text).map(spans_of_str),
        );
        self.remember(
            text,
            Memo {
                matched: spans.is_some(),
                spans: spans.clone(),
            },
        );
        Some(Groups {
            text,
            spans: spans?,
        })
    }

    fn captures_in(&self, pattern: &str, text: &str, ascii: bool) -> Option<Spans> {
        match self.pick(pattern, text, ascii) {
            Either::Lite(r) => {
                let spans = r.captures(text).map(spans_of_lite);
                self.verify(pattern, text, &spans, |a| {
                    a.captures(text.as_bytes()).map(spans_of_bytes)
                });
                spans
            }
            Either::Ascii(r) => r.captures(text.as_bytes()).map(spans_of_bytes),
            Either::Unicode(r) => r.captures(text).map(spans_of_str),
        }
    }

    /// Up to `limit` successive non-overlapping matches.
    pub fn captures_all<'h>(&self, pattern: &str, text: &'h str, limit: usize) -> Vec<Groups<'h>> {
        if !self.may_match(pattern, text, text.is_ascii()) {
            return Vec::new();
        }
        let all = self.search(
            pattern,
            text,
            |t, ascii| self.captures_all_in(pattern, t, ascii, limit),
            |all, stand_in| all.into_iter().map(|s| stand_in.original(s)).collect(),
            |u| {
                u.captures_iter(text)
                    .take(limit)
                    .map(spans_of_str)
                    .collect()
            },
        );
        all.into_iter()
            .map(|spans| Groups { text, spans })
            .collect()
    }

    fn captures_all_in(&self, pattern: &str, text: &str, ascii: bool, limit: usize) -> Vec<Spans> {
        match self.pick(pattern, text, ascii) {
            Either::Lite(r) => {
                let all: Vec<Spans> = r
                    .captures_iter(text)
                    .take(limit)
                    .map(spans_of_lite)
                    .collect();
                self.verify(pattern, text, &all, |a| {
                    a.captures_iter(text.as_bytes())
                        .take(limit)
                        .map(spans_of_bytes)
                        .collect()
                });
                all
            }
            Either::Ascii(r) => r
                .captures_iter(text.as_bytes())
                .take(limit)
                .map(spans_of_bytes)
                .collect(),
            Either::Unicode(r) => r
                .captures_iter(text)
                .take(limit)
                .map(spans_of_str)
                .collect(),
        }
    }

    /// One search: `run` on the text, or, for a non-ASCII text the regex takes a stand-in for,
    /// on its ASCII stand-in with the result mapped `back` to the text's offsets (under the
    /// crosscheck compared with what the Unicode automaton finds on the text).
    fn search<T: PartialEq + std::fmt::Debug>(
        &self,
        pattern: &str,
        text: &str,
        run: impl Fn(&str, bool) -> T,
        back: impl FnOnce(T, &StandIn) -> T,
        unicode: impl FnOnce(&Regex) -> T,
    ) -> T {
        let ascii = text.is_ascii();
        let Some(stand_in) = (!ascii).then(|| self.stand_in(pattern, text)).flatten() else {
            return run(text, ascii);
        };
        let found = back(run(&stand_in.text, true), &stand_in);
        if crosschecking() {
            let expected = unicode(self.unicode(pattern));
            agree(
                "the ASCII stand-in and the Unicode automaton",
                pattern,
                text,
                &found,
                &expected,
            );
        }
        found
    }

    /// The ASCII text a regex without non-ASCII characters searches instead of a non-ASCII
    /// `text` (`StandIn`); None when the regex spells a non-ASCII character or class, which only
    /// the Unicode automaton reads, or the text holds a character that folds to ASCII.
    fn stand_in(&self, pattern: &str, text: &str) -> Option<Rc<StandIn>> {
        let takes = *self.takes_stand_in.get_or_init(|| {
            spells_ascii_only(pattern)
                && (self.lite(pattern).is_some() || self.ascii(pattern).is_some())
        });
        takes.then(|| StandIn::cached(text)).flatten()
    }

    /// Under `crosscheck`, panics unless the full ASCII automaton finds what `regex-lite` found.
    fn verify<T: PartialEq + std::fmt::Debug>(
        &self,
        pattern: &str,
        text: &str,
        lite: &T,
        full: impl FnOnce(&BytesRegex) -> T,
    ) {
        if !crosschecking() {
            return;
        }
        if let Some(a) = self.checker.get_or_init(|| build_ascii(pattern)) {
            agree("regex-lite and regex", pattern, text, lite, &full(a));
        }
    }

    /// The named groups, with their indexes, from the cheapest automaton that takes the regex.
    pub fn names(&self, pattern: &str) -> &[(usize, String)] {
        self.names.get_or_init(|| {
            let names: Vec<Option<&str>> = if let Some(r) = self.lite(pattern) {
                r.capture_names().collect()
            } else if let Some(r) = self.ascii(pattern) {
                r.capture_names().collect()
            } else {
                self.unicode(pattern).capture_names().collect()
            };
            names
                .into_iter()
                .enumerate()
                .filter_map(|(i, n)| Some((i, n?.to_string())))
                .collect()
        })
    }
}

/// Whether the regex names ASCII characters only: no non-ASCII character written out, nor one
/// written as an escape (`\x{e9}`, `\xE9`, `\u00E9`, `\U000000E9`), which the stand-in would
/// never match.
fn spells_ascii_only(pattern: &str) -> bool {
    if !pattern.is_ascii() {
        return false;
    }
    let b = pattern.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match b[i + 1] {
            b'u' | b'U' => return false,
            b'x' if b
                .get(i + 2)
                .is_some_and(|&c| c == b'{' || (c as char).is_ascii_hexdigit() && c > b'7') =>
            {
                return false;
            }
            _ => {}
        }
        i += 2;
    }
    true
}

/// A crosscheck's verdict: two engines' results on one search must be equal.
fn agree<T: PartialEq + std::fmt::Debug>(engines: &str, pattern: &str, text: &str, a: &T, b: &T) {
    assert_eq!(
        a, b,
        "{engines} disagree: pattern {pattern:?} on text {text:?}"
    );
}

/// The two non-ASCII characters that case-insensitive matching folds to ASCII letters (the
/// Kelvin sign to `k`, the long s to `s`): a text with one keeps the Unicode automaton.
const FOLDS_TO_ASCII: [char; 2] = ['\u{212A}', '\u{17F}'];

/// A text with non-ASCII characters as ASCII-only automata read it: each non-ASCII character
/// replaced by one ASCII character of the same class for the regex, `_` for a word character
/// (Unicode `\w`: `\w` and `\b` read `_` as they read the letter, and no rule regex's letters
/// match it), a space for whitespace, DEL for anything else (matched by `.` and negated
/// classes only). One character for one, so `.` and bounded repetitions count as before, and
/// `offsets` maps each byte back to the original. A non-ASCII decimal digit becomes `_`,
/// which Unicode `\d` would have matched: rule regexes' digits are ASCII.
///
/// The Unicode automata of rule regexes were most of a large repository's peak memory, built
/// for the first file with an em dash in a comment.
struct StandIn {
    text: String,
    /// The original byte offset of each byte of `text`, and of its end.
    offsets: Vec<u32>,
}

thread_local! {
    /// The last long text's stand-in (None: the text keeps the Unicode automaton), per thread: a
    /// file's text is searched by every scan regex in turn.
    static LAST_STAND_IN: RefCell<Option<LastStandIn>> = const { RefCell::new(None) };
}

/// A text and its stand-in.
type LastStandIn = (Box<str>, Option<Rc<StandIn>>);

/// Texts shorter than this get a new stand-in each time (and a memo entry per regex).
const CACHED_STAND_IN: usize = 256;

impl StandIn {
    /// `text`'s stand-in, None when it has a character that folds to ASCII.
    fn cached(text: &str) -> Option<Rc<StandIn>> {
        let make = || (!text.contains(FOLDS_TO_ASCII)).then(|| Rc::new(StandIn::of(text)));
        if text.len() < CACHED_STAND_IN {
            return make();
        }
        LAST_STAND_IN.with_borrow_mut(|last| match last {
            Some((t, s)) if **t == *text => s.clone(),
            _ => {
                let s = make();
                *last = Some((text.into(), s.clone()));
                s
            }
        })
    }

    fn of(original: &str) -> StandIn {
        let mut text = String::with_capacity(original.len());
        let mut offsets = Vec::with_capacity(original.len() + 1);
        for (i, c) in original.char_indices() {
            text.push(if c.is_ascii() {
                c
            } else if regex_syntax::is_word_character(c) {
                '_'
            } else if c.is_whitespace() {
                ' '
            } else {
                '\u{7f}'
            });
            offsets.push(i as u32);
        }
        offsets.push(original.len() as u32);
        StandIn { text, offsets }
    }

    /// Groups found in the stand-in, as byte ranges of the original.
    fn original(&self, mut spans: Spans) -> Spans {
        for (s, e) in spans.iter_mut().flatten() {
            (*s, *e) = (self.offsets[*s as usize], self.offsets[*e as usize]);
        }
        spans
    }
}

const SIZE_LIMIT: usize = 1 << 24;
/// Each regex's lazy DFA cache, per thread: hundreds of rule regexes at the default 2 MiB
/// each were a large part of a big repository's peak memory, and rule regexes need far less.
const DFA_CACHE: usize = 1 << 18;

fn build_unicode(pattern: &str) -> Regex {
    regex::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_CACHE)
        .build()
        .expect("validated regex compiles")
}

fn build_ascii(pattern: &str) -> Option<BytesRegex> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(SIZE_LIMIT)
        .dfa_size_limit(DFA_CACHE)
        .build()
        .ok()
}

fn build_lite(pattern: &str) -> Option<regex_lite::Regex> {
    regex_lite::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On ASCII text both automata agree, group by group; other text uses the Unicode one.
    #[test]
    fn ascii_and_unicode_automata_agree_on_ascii_text() {
        let patterns = [
            r"(?i)\b(?P<w>stripe\w*|K)\b",
            r"(?s)^(?P<a>[\w$]+)\.(?P<b>\w+)\s*\(.*\)$",
            r"(?i)^['\x22]?(start|end)_?at['\x22]?$",
            r"[^\]]+",
        ];
        let texts = [
            "stripeCheckout.create(x)",
            "KELVIN k",
            "'start_at'",
            "a.b (\n)",
            "ends_at",
            "x]y",
        ];
        for p in patterns {
            let a = Automata::default();
            assert!(a.ascii(p).is_some(), "{p} has an ASCII form");
            let u = Regex::new(p).expect("compiles");
            for t in texts {
                let ours = a.captures(p, t).map(|g| g.spans);
                let theirs = u.captures(t).map(spans_of_str);
                assert_eq!(ours, theirs, "{p} on {t}");
            }
        }
        // The Kelvin sign folds to k only in Unicode mode: non-ASCII text takes that path.
        assert!(Automata::default().is_match(r"(?i)^k$", "\u{212A}"));
        // A Unicode class has no ASCII form; its regex still works on ASCII text.
        let greek = r"\p{Greek}|x";
        let a = Automata::default();
        assert!(a.ascii(greek).is_none());
        assert!(a.is_match(greek, "x"));
    }

    /// On text with non-ASCII characters, an ASCII regex searches the stand-in and finds what
    /// the Unicode automaton finds, groups on whole characters; a regex that spells a
    /// non-ASCII character keeps the Unicode automaton.
    #[test]
    fn non_ascii_text_is_searched_through_its_ascii_stand_in() {
        let cases: [(&str, &str); 9] = [
            (r"(?i)\b(?P<w>cancel\w*)", "status = 'cancelação' // — ok"),
            (r"\bstatus\b", "statusé status"),
            (r"(?P<a>\w+)\s+(?P<b>\w+)", "Horário\u{a0}indisponível"),
            (r"'([^']*)'", "msg('Sem vagas 😀 hoje')"),
            (r"(?s)a.b", "a😀b a\nb"),
            (r"(?i)^(status|estado|situacao)$", "situação"),
            (r"[^\w\s]+", "a — b"),
            (r"\w+", "x\u{301}y"), // a combining accent is a word character
            (r"^.{3}(?P<rest>.*)$", "é😀\u{a0}tail"),
        ];
        for (p, t) in cases {
            let a = Automata::default();
            assert!(a.stand_in(p, t).is_some(), "{p} on {t} uses the stand-in");
            let u = Regex::new(p).expect("compiles");
            let ours: Vec<Spans> = a
                .captures_all(p, t, 10)
                .into_iter()
                .map(|g| g.spans)
                .collect();
            let theirs: Vec<Spans> = u.captures_iter(t).map(spans_of_str).collect();
            assert_eq!(ours, theirs, "{p} on {t}");
            assert_eq!(a.is_match(p, t), u.is_match(t), "{p} on {t}");
        }
        let a = Automata::default();
        let g = a.captures(r"^.{2}", "aé!").expect("matches");
        assert_eq!(g.get(0), Some("aé"));
        // A regex with a non-ASCII letter, or a text with a character that folds to ASCII,
        // keeps the Unicode automaton (one `Automata` per regex, as `for_pattern` gives).
        let a = Automata::default();
        assert!(a.stand_in(r"hor[aá]rio", "horário").is_none());
        assert!(a.is_match(r"hor[aá]rio", "o horário"));
        let k = Automata::default();
        assert!(k.stand_in(r"(?i)^k$", "\u{212A}").is_none());
        assert!(k.stand_in(r"(?i)^k$", "é").is_some());
        assert!(k.is_match(r"(?i)^k$", "\u{212A}"));
        for p in [r"\x{e9}", r"caf\xE9", r"\u00e9", r"[\U000000e9]"] {
            let a = Automata::default();
            assert!(a.stand_in(p, "café").is_none(), "{p}");
            assert!(a.is_match(p, "café"), "{p}");
        }
        // Escaped backslashes and ASCII escapes keep the stand-in.
        assert!(spells_ascii_only(r"\\u\x41\x7F"));
    }

    #[test]
    fn the_stand_in_keeps_characters_classes_and_offsets() {
        let t = "é\u{a0}—x";
        let s = StandIn::of(t);
        assert_eq!(s.text, "_ \u{7f}x");
        assert_eq!(s.offsets, [0, 2, 4, 7, 8]);
    }
}
