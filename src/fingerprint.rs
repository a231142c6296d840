//! Stable identities for evidence: a hash of the check id, the root-relative path, the trimmed
//! text of the evidence line and its occurrence among identical lines of that file. The line
//! number is left out, so inserting or moving unrelated lines keeps every fingerprint. SARIF's
//! `partialFingerprints` and baselines both use it. A finding's fingerprint hashes its primary
//! location and its flow's root, so two flows failing at one shared line stay two findings.

use crate::finding::{CheckReport, Role};
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

/// The parts of a location that identify it: path, trimmed line text, and its occurrence
/// among identical lines of the file.
fn parts(loc: &Location, src: Option<&SourceText>) -> [String; 3] {
    let (text, occurrence) = match src {
        Some(s) if loc.line >= 1 && s.line_count() >= loc.line => {
            let text = s.line(loc.line).trim();
            let occurrence = (1..loc.line).filter(|&l| s.line(l).trim() == text).count();
            (text.to_string(), occurrence)
        }
        _ => (loc.snippet.lines().next().unwrap_or("").to_string(), 0),
    };
    [loc.path.to_string(), text, occurrence.to_string()]
}

/// The fingerprint of one location of a check.
pub fn of(check_id: &str, loc: &Location, src: Option<&SourceText>) -> String {
    let [path, text, occurrence] = parts(loc, src);
    format!(
        "{:016x}",
        fnv1a(&["v1", check_id, &path, &text, &occurrence])
    )
}

/// The fingerprint of a finding: its primary location and, when it has one, its flow's root.
pub fn of_finding(
    check_id: &str,
    primary: &Location,
    root: Option<&Location>,
    sources: &mut Sources,
) -> String {
    let mut all = vec!["v2".to_string(), check_id.to_string()];
    all.extend(parts(primary, sources.get(&primary.path)));
    if let Some(r) = root {
        all.extend(parts(r, sources.get(&r.path)));
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    format!("{:016x}", fnv1a(&refs))
}

/// The fingerprint of a failing check that quotes no evidence.
pub fn of_check(check_id: &str) -> String {
    format!("{:016x}", fnv1a(&["v1", check_id]))
}

/// Fills in the fingerprint of every finding; of two findings with one fingerprint (two
/// flows of one root), the second is dropped.
pub fn assign(checks: &mut [CheckReport], sources: &mut Sources) {
    for c in checks {
        for f in &mut c.findings {
            f.fingerprint = match f.evidence.first() {
                None => of_check(&c.id),
                Some(p) => {
                    let root = f.evidence.iter().find(|e| e.role == Role::FlowRoot);
                    of_finding(&c.id, &p.loc, root.map(|e| &e.loc), sources)
                }
            };
        }
        let mut seen = std::collections::BTreeSet::new();
        c.findings.retain(|f| seen.insert(f.fingerprint.clone()));
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
