//! "Did you mean": the closest of a set of known names to a mistyped one, by edit distance.

/// The candidate closest to `word` (edit distance counting a swap of two neighbours as one edit; ties to the first), if it is close
/// enough to be a typo: at most a third of the longer name's length, and at least 1 and at
/// most 3 edits, ignoring case and `_` for `-`.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| s.to_lowercase().replace('_', "-");
    let w = norm(word);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == word {
            continue;
        }
        let n = norm(c);
        let d = strsim::osa_distance(&w, &n);
        let limit = (w.chars().count().max(n.chars().count()) / 3).clamp(1, 3);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `did you mean `x`?` when a candidate is close, else an empty string.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(word, candidates)
        .map(|c| format!("did you mean `{c}`?"))
        .unwrap_or_default()
}

/// A help line: the suggestion, if any, then `rest`.
pub fn help<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>, rest: &str) -> String {
    match closest(word, candidates) {
        Some(c) => format!("did you mean `{c}`? {rest}"),
        None => rest.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: &[&str] = &[
        "conflict-check",
        "refund-logic",
        "payment",
        "retry-mechanism",
    ];

    #[test]
    fn suggests_close_names_only() {
        let c = |w: &str| closest(w, IDS.iter().copied());
        assert_eq!(c("conflict-chek"), Some("conflict-check"));
        assert_eq!(c("refund_logic"), Some("refund-logic"));
        assert_eq!(c("Payment"), Some("payment"));
        assert_eq!(c("paymnet"), Some("payment"));
        assert_eq!(c("rfeund-logic"), Some("refund-logic"));
        assert_eq!(c("retry"), None);
        assert_eq!(c("zzz"), None);
        assert_eq!(
            c("conflict-check"),
            None,
            "an exact name needs no suggestion"
        );
        assert_eq!(did_you_mean("zzz", IDS.iter().copied()), "");
        assert_eq!(
            help("paymnt", IDS.iter().copied(), "see list"),
            "did you mean `payment`? see list"
        );
    }
}
