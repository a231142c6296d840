//! Literals a regex cannot match without: a text that holds none of them is rejected with a
//! `memchr` scan, before any automaton is built or run.
//!
//! Most rule regexes name a call, a keyword or a status (`createTable`, `unique`, `P2002`)
//! that most texts do not contain, and building and running an automaton costs far more than
//! looking for a few bytes. The literals come from a scan of the pattern that follows
//! `regex-syntax`'s grammar and gives up (no prefilter) on anything it does not know, and
//! what it cannot prove required is dropped, so a rejected text is one the regex never
//! matches: a property test checks that on random patterns, and the rule-case tests check every
//! rejection they meet against the full automaton (`super::re::crosscheck`). A scan, not
//! `regex-syntax`'s parser: building and dropping its syntax tree cost as much as the searches
//! the prefilter saved. The literals are ASCII; texts with a non-ASCII character that folds
//! to an ASCII letter are not filtered (`decides`).

use memchr::memmem::Finder;

/// A needle shorter than this is too common to be worth a scan.
const MIN_NEEDLE: usize = 3;
/// More alternatives than this make the scan cost more than it saves.
const MAX_NEEDLES: usize = 32;
/// Groups nested deeper than this are not analysed, so a hostile rule cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// One required literal; `fold` when it matches in any ASCII case (stored lowercase).
#[derive(Debug)]
struct Needle {
    finder: Finder<'static>,
    fold: bool,
}

/// A match of the regex contains at least one of these literals.
#[derive(Debug)]
pub struct Prefilter {
    needles: Vec<Needle>,
}

impl Prefilter {
    /// The regex's required literals, or None when none are known (or worth a scan).
    pub fn of(pattern: &str) -> Option<Prefilter> {
        let mut scan = Scan {
            p: pattern.as_bytes(),
            i: 0,
            fold: false,
        };
        let lits = scan.alternation(0).ok()?;
        if scan.i != scan.p.len() {
            return None;
        }
        let lits = lits?;
        if lits.iter().any(|l| l.bytes.len() < MIN_NEEDLE) {
            return None;
        }
        let needles = lits
            .into_iter()
            .map(|l| {
                let bytes = if l.fold {
                    l.bytes.to_ascii_lowercase()
                } else {
                    l.bytes
                };
                Needle {
                    finder: Finder::new(&bytes).into_owned(),
                    fold: l.fold,
                }
            })
            .collect();
        Some(Prefilter { needles })
    }

    /// The literals, lowercase where they match in any case.
    pub fn needles(&self) -> impl Iterator<Item = &[u8]> {
        self.needles.iter().map(|n| n.finder.needle())
    }

    /// False only when the ASCII `text` holds none of the literals, so the regex cannot match.
    pub fn may_match(&self, text: &[u8]) -> bool {
        self.needles.iter().any(|n| {
            if n.fold {
                contains_folded(text, n.finder.needle())
            } else {
                n.finder.find(text).is_some()
            }
        })
    }
}

/// Whether the literals decide for `text`: the literals are ASCII, and a Unicode regex matches
/// an ASCII literal only with its own bytes, or, case-insensitively, with its ASCII case
/// variants and two other characters that fold to ASCII letters, the Kelvin sign (k) and the
/// long s (s). So they decide for any text without those two.
pub fn decides(text: &str, ascii: bool) -> bool {
    ascii || !(text.contains('\u{212A}') || text.contains('\u{17F}'))
}

/// Whether `text` contains `needle` (lowercase) in any ASCII case.
fn contains_folded(text: &[u8], needle: &[u8]) -> bool {
    let first = needle[0];
    let upper = first.to_ascii_uppercase();
    let mut from = 0;
    while let Some(i) = memchr::memchr2(first, upper, &text[from..]) {
        let at = from + i;
        match text.get(at..at + needle.len()) {
            Some(window) if window.eq_ignore_ascii_case(needle) => return true,
            Some(_) => from = at + 1,
            None => return false,
        }
    }
    false
}

#[derive(Debug)]
struct Lit {
    bytes: Vec<u8>,
    fold: bool,
}

/// Literals one of which every match contains; None when nothing is known.
type Req = Option<Vec<Lit>>;

/// The pattern is outside what the scan knows: no prefilter.
struct Unknown;

/// What one atom of a sequence is.
enum Atom {
    /// One ASCII character, matched as itself (or in any case when folding).
    Char(u8),
    /// Matches the empty string only (`^`, `\b`, flags): the literals around it stay adjacent.
    ZeroWidth,
    /// Anything else, with what it requires.
    Other(Req),
}

/// A cursor over the pattern; `fold` is whether case folding may be on. It is turned off only
/// where a group that set it ends; a `-i` is ignored, which only widens what a needle accepts.
struct Scan<'p> {
    p: &'p [u8],
    i: usize,
    fold: bool,
}

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.p.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        self.i += usize::from(hit);
        hit
    }

    /// Branches up to the end of the pattern or of the enclosing group.
    fn alternation(&mut self, depth: usize) -> Result<Req, Unknown> {
        if depth > MAX_DEPTH {
            return Err(Unknown);
        }
        let mut all = Some(Vec::new());
        loop {
            // Every branch is scanned, so the flags it sets reach the branches after it.
            let branch = self.concat(depth)?;
            all = match (all, branch) {
                (Some(mut a), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
                _ => None,
            };
            if !self.eat(b'|') {
                break;
            }
        }
        Ok(all.filter(|a| a.len() <= MAX_NEEDLES))
    }

    /// The best literal one branch requires: a run of adjacent characters, or one atom's.
    fn concat(&mut self, depth: usize) -> Result<Req, Unknown> {
        let mut best: Req = None;
        let mut run: Option<Lit> = None;
        while let Some(b) = self.peek() {
            if b == b'|' || b == b')' {
                break;
            }
            let fold = self.fold;
            let atom = self.atom(depth)?;
            let min = self.quantifier()?;
            match (atom, min) {
                (Atom::Char(c), None) => {
                    let r = run.get_or_insert(Lit {
                        bytes: Vec::new(),
                        fold: false,
                    });
                    // One folded letter folds the whole run, which only widens it.
                    r.fold |= fold && c.is_ascii_alphabetic();
                    r.bytes.push(c);
                }
                (Atom::ZeroWidth, _) => {}
                (Atom::Char(c), Some(min)) => {
                    consider(&mut best, run.take().map(|r| vec![r]));
                    if min > 0 {
                        let fold = fold && c.is_ascii_alphabetic();
                        consider(
                            &mut best,
                            Some(vec![Lit {
                                bytes: vec![c],
                                fold,
                            }]),
                        );
                    }
                }
                (Atom::Other(req), min) => {
                    consider(&mut best, run.take().map(|r| vec![r]));
                    if min.is_none_or(|m| m > 0) {
                        consider(&mut best, req);
                    }
                }
            }
        }
        consider(&mut best, run.map(|r| vec![r]));
        Ok(best)
    }

    fn atom(&mut self, depth: usize) -> Result<Atom, Unknown> {
        let b = self.peek().ok_or(Unknown)?;
        self.i += 1;
        Ok(match b {
            b'(' => self.group(depth)?,
            b'[' => {
                self.class()?;
                Atom::Other(None)
            }
            b'\\' => self.escape()?,
            b'.' => Atom::Other(None),
            b'^' | b'$' => Atom::ZeroWidth,
            b'*' | b'+' | b'?' | b'{' | b')' => return Err(Unknown),
            b if b.is_ascii() => Atom::Char(b),
            // A multi-byte character: skip its continuation bytes.
            _ => {
                while self.peek().is_some_and(|c| c & 0xC0 == 0x80) {
                    self.i += 1;
                }
                Atom::Other(None)
            }
        })
    }

    /// After `(`: flags, or a group with its own flags and alternation.
    fn group(&mut self, depth: usize) -> Result<Atom, Unknown> {
        let saved = self.fold;
        if self.eat(b'?') {
            if self.eat(b'P') || self.peek() == Some(b'<') {
                // A named capture: `(?P<name>` or `(?<name>`.
                if !self.eat(b'<') {
                    return Err(Unknown);
                }
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_')
                {
                    self.i += 1;
                }
                if !self.eat(b'>') {
                    return Err(Unknown);
                }
            } else {
                let mut negated = false;
                loop {
                    match self.peek().ok_or(Unknown)? {
                        b'i' if !negated => self.fold = true,
                        b'-' => negated = true,
                        // Whitespace-insensitive mode changes what a literal is.
                        b'x' => return Err(Unknown),
                        b'i' | b's' | b'm' | b'U' | b'u' | b'R' => {}
                        b')' => {
                            // `(?flags)`: on until the enclosing group ends.
                            self.i += 1;
                            return Ok(Atom::ZeroWidth);
                        }
                        b':' => break,
                        _ => return Err(Unknown),
                    }
                    self.i += 1;
                }
                self.i += 1;
            }
        }
        let req = self.alternation(depth + 1)?;
        if !self.eat(b')') {
            return Err(Unknown);
        }
        self.fold = saved;
        Ok(Atom::Other(req))
    }

    /// After `[`: skips to the `]` that closes it, through nested classes and escapes.
    fn class(&mut self) -> Result<(), Unknown> {
        let mut depth = 1;
        let mut first = true;
        loop {
            let b = self.peek().ok_or(Unknown)?;
            self.i += 1;
            match b {
                b'^' if first => continue,
                b']' if first => {}
                b'\\' => self.i += 1,
                b'[' => {
                    depth += 1;
                    first = true;
                    continue;
                }
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                _ => {}
            }
            first = false;
        }
    }

    /// After a backslash.
    fn escape(&mut self) -> Result<Atom, Unknown> {
        let b = self.peek().ok_or(Unknown)?;
        self.i += 1;
        Ok(match b {
            b'n' => Atom::Char(b'\n'),
            b't' => Atom::Char(b'\t'),
            b'r' => Atom::Char(b'\r'),
            b'f' => Atom::Char(0x0C),
            b'v' => Atom::Char(0x0B),
            b'a' => Atom::Char(0x07),
            b'x' => {
                let hex: &[u8] = if self.eat(b'{') {
                    let start = self.i;
                    while self.peek().is_some_and(|c| c != b'}') {
                        self.i += 1;
                    }
                    let h = &self.p[start..self.i];
                    if !self.eat(b'}') {
                        return Err(Unknown);
                    }
                    h
                } else {
                    let h = self.p.get(self.i..self.i + 2).ok_or(Unknown)?;
                    self.i += 2;
                    h
                };
                let v = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .ok_or(Unknown)?;
                match u8::try_from(v) {
                    Ok(c) if c.is_ascii() => Atom::Char(c),
                    _ => Atom::Other(None),
                }
            }
            b'd' | b'D' | b's' | b'S' | b'w' | b'W' => Atom::Other(None),
            b'p' | b'P' => {
                if self.eat(b'{') {
                    while self.peek().is_some_and(|c| c != b'}') {
                        self.i += 1;
                    }
                    if !self.eat(b'}') {
                        return Err(Unknown);
                    }
                } else {
                    self.i += 1;
                }
                Atom::Other(None)
            }
            b'b' | b'B' | b'A' | b'z' | b'<' | b'>' => {
                if self.peek() == Some(b'{') {
                    return Err(Unknown);
                }
                Atom::ZeroWidth
            }
            c if c.is_ascii_punctuation() || c == b' ' => Atom::Char(c),
            _ => return Err(Unknown),
        })
    }

    /// After an atom: its repetition's minimum, or None when it is not repeated.
    fn quantifier(&mut self) -> Result<Option<u32>, Unknown> {
        let min = match self.peek() {
            Some(b'*' | b'?') => {
                self.i += 1;
                0
            }
            Some(b'+') => {
                self.i += 1;
                1
            }
            Some(b'{') => {
                self.i += 1;
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.i += 1;
                }
                let min = std::str::from_utf8(&self.p[start..self.i])
                    .ok()
                    .and_then(|d| d.parse().ok())
                    .ok_or(Unknown)?;
                while self.peek().is_some_and(|c| c.is_ascii_digit() || c == b',') {
                    self.i += 1;
                }
                if !self.eat(b'}') {
                    return Err(Unknown);
                }
                min
            }
            _ => return Ok(None),
        };
        // A lazy mark; a second quantifier is an error in the regex, so give up on it.
        self.eat(b'?');
        if matches!(self.peek(), Some(b'*' | b'+' | b'{')) {
            return Err(Unknown);
        }
        Ok(Some(min))
    }
}

/// Keeps the more selective of `best` and `cand`.
fn consider(best: &mut Req, cand: Req) {
    let Some(cand) = cand else { return };
    if best.as_ref().is_none_or(|b| score(&cand) > score(b)) {
        *best = Some(cand);
    }
}

/// How selective a set of needles is: its shortest needle, then fewer needles, then exact case.
fn score(lits: &[Lit]) -> (usize, std::cmp::Reverse<usize>, bool) {
    let shortest = lits.iter().map(|l| l.bytes.len()).min().unwrap_or(0);
    (
        shortest.min(8),
        std::cmp::Reverse(lits.len()),
        lits.iter().all(|l| !l.fold),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    fn needles(p: &str) -> Option<Vec<(String, bool)>> {
        Prefilter::of(p).map(|f| {
            f.needles
                .iter()
                .map(|n| {
                    (
                        String::from_utf8_lossy(n.finder.needle()).into_owned(),
                        n.fold,
                    )
                })
                .collect()
        })
    }

    #[test]
    fn required_literals_follow_the_regex_grammar() {
        let n = |s: &str, f: bool| (s.to_string(), f);
        assert_eq!(
            needles(r"\bcreateTable\("),
            Some(vec![n("createTable(", false)])
        );
        assert_eq!(
            needles(r"(?i)\bcreate\s+table"),
            Some(vec![n("create", true)])
        );
        assert_eq!(
            needles(r"['\x22](P2002|23505|E11000)"),
            Some(vec![
                n("P2002", false),
                n("23505", false),
                n("E11000", false)
            ])
        );
        // A case-insensitive group folds only inside it; a flag outside lasts to the end.
        assert_eq!(needles(r"(?i:ab)cdef"), Some(vec![n("cdef", false)]));
        assert_eq!(needles(r"(?:xy(?i)ab)cdef"), Some(vec![n("cdef", false)]));
        assert_eq!(needles(r"ab(?i)cdef"), Some(vec![n("abcdef", true)]));
        // Classes, optional parts and short literals give nothing to look for.
        assert_eq!(needles(r"[abc|def](?:stripe)?x"), None);
        assert_eq!(needles(r"a|bcd"), None);
        assert_eq!(needles(r"abcd|"), None);
        assert_eq!(needles(r"\w+"), None);
        // A repeated literal is required once; a quantified character ends the run before it.
        assert_eq!(needles(r"(?:abc){2,}"), Some(vec![n("abc", false)]));
        assert_eq!(needles(r"abcd?e"), Some(vec![n("abc", false)]));
        // Syntax the scan does not know gives no prefilter rather than a wrong one.
        assert_eq!(needles(r"(?x) a b c d"), None);
        assert_eq!(needles(r"abc\Qdef"), None);
        assert_eq!(needles(r"abc)"), None);
    }

    #[test]
    fn folded_needles_match_any_ascii_case() {
        let f = Prefilter::of(r"(?i)stripe").expect("needle");
        assert!(f.may_match(b"await STRIPE.x"));
        assert!(f.may_match(b"sTrIpE"));
        assert!(!f.may_match(b"strip"));
        assert!(!f.may_match(b""));
        let exact = Prefilter::of(r"Stripe").expect("needle");
        assert!(!exact.may_match(b"stripe"));
        // Unicode folding also takes the Kelvin sign for k and the long s for s: the bytes lack
        // the literal, the regex matches, so such text is not decided by the literals.
        let kas = Prefilter::of(r"(?i)kas").expect("needle");
        let re = regex::Regex::new(r"(?i)kas").expect("compiles");
        for text in ["\u{212A}as", "ka\u{17F}"] {
            assert!(!kas.may_match(text.as_bytes()));
            assert!(re.is_match(text));
            assert!(!decides(text, false), "{text}");
        }
        assert!(decides("caf\u{e9}", false));
    }

    const LEAVES: &[&str] = &[
        "abc",
        "xyz",
        "ab",
        "B",
        "C",
        "a",
        r"\.",
        r"\x41",
        "[a-c]",
        "[^]a]",
        r"[\[x]",
        "[[:alpha:]-]",
        "[a[bc]]",
        r"\w",
        ".",
        r"\b",
        "^",
        "$",
        "(?i)",
        "(?-i)",
        "(?s)",
        " ",
        "-",
        "(?i:kas)",
    ];
    const GROUPS: &[&str] = &["(", "(?:", "(?i:", "(?-i:", "(?P<g>"];
    const QUANTIFIERS: &[&str] = &["*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?"];
    const TEXT: &[&str] = &[
        "abc", "ABC", "aBc", "ab", "b", "c", "xyz", "XY", "A", ".", " ", "-", "k", "S", "as", "é",
        "\u{212A}", "\u{17F}",
    ];

    /// Random well-formed patterns: literals, classes and flags under groups, alternations,
    /// sequences and quantifiers.
    fn pattern() -> impl Strategy<Value = String> {
        let leaf = (0..LEAVES.len()).prop_map(|i| LEAVES[i].to_string());
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 1..5).prop_map(|v| v.concat()),
                proptest::collection::vec(inner.clone(), 2..4).prop_map(|v| v.join("|")),
                (0..GROUPS.len(), inner.clone()).prop_map(|(g, p)| format!("{}{p})", GROUPS[g])),
                (0..GROUPS.len(), inner.clone(), 0..QUANTIFIERS.len())
                    .prop_map(|(g, p, q)| format!("{}{p}){}", GROUPS[g], QUANTIFIERS[q])),
            ]
        })
    }

    /// On random patterns, a rejected text is never matched by the regex (Unicode mode), among
    /// texts the literals decide for.
    #[test]
    fn a_rejected_text_never_matches() {
        let strategy = (
            pattern(),
            proptest::collection::vec(proptest::collection::vec(0..TEXT.len(), 0..10), 8),
        );
        let config = Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        };
        let rejected = std::cell::Cell::new(0);
        let rejected_non_ascii = std::cell::Cell::new(0);
        TestRunner::new(config)
            .run(&strategy, |(pattern, texts)| {
                let (Ok(re), Some(f)) = (regex::Regex::new(&pattern), Prefilter::of(&pattern))
                else {
                    return Ok(());
                };
                for t in texts {
                    let text: String = t.iter().map(|&i| TEXT[i]).collect();
                    if !decides(&text, text.is_ascii()) || f.may_match(text.as_bytes()) {
                        continue;
                    }
                    rejected.set(rejected.get() + 1);
                    if !text.is_ascii() {
                        rejected_non_ascii.set(rejected_non_ascii.get() + 1);
                    }
                    assert!(
                        !re.is_match(&text),
                        "{pattern:?} matches {text:?}, which its prefilter rejected"
                    );
                }
                Ok(())
            })
            .unwrap();
        // The property was put to the test, not passed by patterns without a prefilter.
        assert!(rejected.get() > 500, "only {} rejections", rejected.get());
        assert!(
            rejected_non_ascii.get() > 100,
            "only {} rejections of non-ASCII text",
            rejected_non_ascii.get()
        );
    }
}
