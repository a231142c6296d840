//! Rule templates and queries read by hand: `{name}` / `{name.attr}` placeholders in details
//! and labels, `@name` captures in queries.

use std::collections::BTreeSet;

/// The `@name` captures of a query (`@` then a letter or `_`, then word characters, `.`, `-`).
pub fn capture_names(query: &str) -> BTreeSet<String> {
    let b = query.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while let Some(at) = b[i..].iter().position(|&c| c == b'@').map(|p| i + p) {
        let start = at + 1;
        let end = word_end(
            b,
            start,
            |c| c.is_ascii_alphabetic() || c == b'_',
            |c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'),
        );
        if end > start {
            names.insert(query[start..end].to_string());
        }
        i = end.max(start);
    }
    names
}

/// The end of the word at `from` (a byte `first` takes, then bytes `rest` takes), or `from`
/// when none starts there. Query captures and template placeholders are scanned with it.
fn word_end(b: &[u8], from: usize, first: impl Fn(u8) -> bool, rest: impl Fn(u8) -> bool) -> usize {
    match b.get(from) {
        Some(&c) if first(c) => from + 1 + b[from + 1..].iter().take_while(|c| rest(**c)).count(),
        _ => from,
    }
}

/// One `{name}` or `{name.attr}` placeholder of a template.
pub struct Placeholder<'t> {
    pub range: std::ops::Range<usize>,
    pub name: &'t str,
    pub attr: Option<&'t str>,
}

/// A template's placeholders, in order: `{`, a name (`[a-z_][a-z0-9_]*`), optionally `.` and
/// an attribute (`[a-z_]+`), `}`. Scanned by hand: every fact label is filled this way, and a
/// check looks at thousands of facts on a large repository.
pub fn placeholders(t: &str) -> Vec<Placeholder<'_>> {
    let b = t.as_bytes();
    let lower = |c: u8| c.is_ascii_lowercase() || c == b'_';
    let lower_digit = |c: u8| lower(c) || c.is_ascii_digit();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        let name_end = word_end(b, i + 1, lower, lower_digit);
        let (attr, end) = if name_end < b.len() && b[name_end] == b'.' {
            let attr_end = word_end(b, name_end + 1, lower, lower);
            (Some(&t[name_end + 1..attr_end]), attr_end)
        } else {
            (None, name_end)
        };
        let valid = name_end > i + 1 && attr.is_none_or(|a| !a.is_empty());
        if valid && end < b.len() && b[end] == b'}' {
            out.push(Placeholder {
                range: i..end + 1,
                name: &t[i + 1..name_end],
                attr,
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The template with each placeholder replaced by `f`'s text for it.
pub fn fill_placeholders(t: &str, mut f: impl FnMut(&Placeholder) -> String) -> String {
    let mut out = String::with_capacity(t.len());
    let mut at = 0;
    for p in placeholders(t) {
        out.push_str(&t[at..p.range.start]);
        out.push_str(&f(&p));
        at = p.range.end;
    }
    out.push_str(&t[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::{capture_names, placeholders};

    /// The scanner finds what the placeholder grammar, as a regex, finds.
    #[test]
    fn placeholders_agree_with_their_regex() {
        let re = regex_lite::Regex::new(r"\{([a-z_][a-z0-9_]*)(?:\.([a-z_]+))?\}").unwrap();
        for t in [
            "",
            "{a}",
            "{a.b} and {c_1} {}",
            "{{x}} {x.} {x.y.z} {X} {1a} {_a.b_}",
            "no {braces here",
            "{flows.all}: {n} of {m} ({failing_locs})",
            "{a.b1} {a.} {.b} {ab}}",
        ] {
            let ours: Vec<_> = placeholders(t)
                .into_iter()
                .map(|p| (p.range, p.name.to_string(), p.attr.map(String::from)))
                .collect();
            let theirs: Vec<_> = re
                .captures_iter(t)
                .map(|c| {
                    let m = c.get(0).unwrap();
                    (
                        m.start()..m.end(),
                        c[1].to_string(),
                        c.get(2).map(|a| a.as_str().to_string()),
                    )
                })
                .collect();
            assert_eq!(ours, theirs, "{t}");
        }
    }

    #[test]
    fn capture_names_reads_every_at_name() {
        let q = "(call_expression function: (_) @callee.x arguments: (_) @args) @match @ @1 @_k-2";
        let names: Vec<String> = capture_names(q).into_iter().collect();
        assert_eq!(names, ["_k-2", "args", "callee.x", "match"]);
    }
}
