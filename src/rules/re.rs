//! Rule regexes, compiled on first use and shared by every rule that spells the same regex,
//! with a fast path for ASCII text. Unicode-aware classes (`\w`, `\b`, `(?i)`) make the
//! automata several times costlier to build, and building them was most of a small
//! repository's run. On ASCII text an ASCII-only automaton gives exactly the same matches:
//! Unicode `\w`, `\d`, `\s`, `\b`, `.` and case folding agree with their ASCII forms on ASCII
//! characters. Text with other characters gets the Unicode automaton.

use regex::Regex;
use regex::bytes::Regex as BytesRegex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// One regex's automata, each built when first needed.
#[derive(Debug, Clone, Default)]
pub struct Automata {
    unicode: OnceLock<Regex>,
    /// None when the regex has no ASCII-only form (it names a Unicode class).
    ascii: OnceLock<Option<BytesRegex>>,
    names: OnceLock<Vec<(usize, String)>>,
}

/// A match's groups, as byte ranges of the searched text.
pub struct Groups<'h> {
    text: &'h str,
    spans: Vec<Option<(usize, usize)>>,
}

impl<'h> Groups<'h> {
    pub fn get(&self, i: usize) -> Option<&'h str> {
        let (s, e) = (*self.spans.get(i)?)?;
        Some(&self.text[s..e])
    }

    /// Group 0's byte range.
    pub fn range(&self) -> (usize, usize) {
        self.spans[0].expect("group 0 takes part in every match")
    }
}

impl Automata {
    pub fn unicode(&self, pattern: &str) -> &Regex {
        self.unicode.get_or_init(|| shared(pattern))
    }

    fn ascii(&self, pattern: &str) -> Option<&BytesRegex> {
        self.ascii.get_or_init(|| shared_ascii(pattern)).as_ref()
    }

    /// The regex's automaton for `text`: ASCII-only when the text is ASCII.
    fn pick(&self, pattern: &str, text: &str) -> Either<'_> {
        if text.is_ascii()
            && let Some(r) = self.ascii(pattern)
        {
            return Either::Ascii(r);
        }
        Either::Unicode(self.unicode(pattern))
    }

    pub fn is_match(&self, pattern: &str, text: &str) -> bool {
        match self.pick(pattern, text) {
            Either::Ascii(r) => r.is_match(text.as_bytes()),
            Either::Unicode(r) => r.is_match(text),
        }
    }

    pub fn captures<'h>(&self, pattern: &str, text: &'h str) -> Option<Groups<'h>> {
        let spans = match self.pick(pattern, text) {
            Either::Ascii(r) => {
                let c = r.captures(text.as_bytes())?;
                c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()
            }
            Either::Unicode(r) => {
                let c = r.captures(text)?;
                c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()
            }
        };
        Some(Groups { text, spans })
    }

    /// Up to `limit` successive non-overlapping matches.
    pub fn captures_all<'h>(&self, pattern: &str, text: &'h str, limit: usize) -> Vec<Groups<'h>> {
        let spans = |c: Vec<Option<(usize, usize)>>| Groups { text, spans: c };
        match self.pick(pattern, text) {
            Either::Ascii(r) => r
                .captures_iter(text.as_bytes())
                .take(limit)
                .map(|c| spans(c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()))
                .collect(),
            Either::Unicode(r) => r
                .captures_iter(text)
                .take(limit)
                .map(|c| spans(c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect()))
                .collect(),
        }
    }

    /// The named groups, with their indexes.
    pub fn names(&self, pattern: &str) -> &[(usize, String)] {
        self.names.get_or_init(|| {
            let names: Vec<Option<&str>> = match self.ascii(pattern) {
                Some(r) => r.capture_names().collect(),
                None => self.unicode(pattern).capture_names().collect(),
            };
            names
                .into_iter()
                .enumerate()
                .filter_map(|(i, n)| Some((i, n?.to_string())))
                .collect()
        })
    }
}

enum Either<'a> {
    Ascii(&'a BytesRegex),
    Unicode(&'a Regex),
}

const SIZE_LIMIT: usize = 1 << 24;

fn shared(pattern: &str) -> Regex {
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    cached(&CACHE, pattern, || {
        regex::RegexBuilder::new(pattern)
            .size_limit(SIZE_LIMIT)
            .build()
            .expect("validated regex compiles")
    })
}

fn shared_ascii(pattern: &str) -> Option<BytesRegex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<BytesRegex>>>> = OnceLock::new();
    cached(&CACHE, pattern, || {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(false)
            .size_limit(SIZE_LIMIT)
            .build()
            .ok()
    })
}

fn cached<T: Clone>(
    cache: &'static OnceLock<Mutex<HashMap<String, T>>>,
    pattern: &str,
    build: impl FnOnce() -> T,
) -> T {
    let cache = cache.get_or_init(Default::default);
    if let Some(r) = cache.lock().expect("regex cache").get(pattern) {
        return r.clone();
    }
    let r = build();
    cache
        .lock()
        .expect("regex cache")
        .insert(pattern.to_string(), r.clone());
    r
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
                let theirs = u
                    .captures(t)
                    .map(|c| c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect());
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
}
