//! Stable identities for evidence: a hash of the check id, the root-relative path, the trimmed
//! text of the evidence line and its occurrence among identical lines of that file. The line
//! number is left out, so inserting or moving unrelated lines keeps every fingerprint. SARIF's
//! `partialFingerprints` and baselines both use it.

use crate::report::Report;
use crate::source::{Location, SourceText, Sources};

/// FNV-1a, 64 bits: a fixed, documented function, so fingerprints are the same across builds,
/// platforms and Rust versions (std's hasher promises none of that).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // Parts are separated by a NUL byte, which none of them contains.
    let bytes = parts
        .iter()
        .enumerate()
        .flat_map(|(i, p)| (i > 0).then_some(0u8).into_iter().chain(p.bytes()));
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The fingerprint of one evidence location of a check.
pub fn of(check_id: &str, loc: &Location, src: Option<&SourceText>) -> String {
    let (text, occurrence) = match src {
        Some(s) if loc.line >= 1 && s.line_count() >= loc.line => {
            let text = s.line(loc.line).trim();
            let occurrence = (1..loc.line).filter(|&l| s.line(l).trim() == text).count();
            (text.to_string(), occurrence)
        }
        _ => (loc.snippet.lines().next().unwrap_or("").to_string(), 0),
    };
    let occurrence = occurrence.to_string();
    format!(
        "{:016x}",
        fnv1a(&["v1", check_id, &loc.path, &text, &occurrence])
    )
}

/// The fingerprint of a failing check that quotes no evidence.
pub fn of_check(check_id: &str) -> String {
    format!("{:016x}", fnv1a(&["v1", check_id]))
}

/// Fills in the fingerprint of every evidence location in the report.
pub fn assign(report: &mut Report, sources: &mut Sources) {
    for c in &mut report.checks {
        for e in &mut c.evidence {
            e.fingerprint = of(&c.id, &e.loc, sources.get(&e.loc.path));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(line: usize) -> Location {
        Location {
            path: "src/a.ts".into(),
            line,
            column: 1,
            end_line: line,
            snippet: String::new(),
        }
    }

    #[test]
    fn inserted_lines_above_keep_the_fingerprint() {
        let before = SourceText::new("a();\nstripe.charge();\nb();\n".into());
        let after = SourceText::new("// new\n\nx();\na();\n  stripe.charge();\nb();\n".into());
        assert_eq!(
            of("c", &loc(2), Some(&before)),
            of("c", &loc(5), Some(&after))
        );
    }

    #[test]
    fn identical_lines_are_told_apart_by_occurrence() {
        let s = SourceText::new("save();\nother();\nsave();\n".into());
        assert_ne!(of("c", &loc(1), Some(&s)), of("c", &loc(3), Some(&s)));
        assert_ne!(of("c", &loc(1), Some(&s)), of("d", &loc(1), Some(&s)));
    }
}
