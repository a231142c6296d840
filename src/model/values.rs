//! A fact's named values. There is one set per fact and tens of thousands of facts in a large
//! repository, most with a handful of values: a sorted list with interned names takes a
//! fraction of the memory of a map of owned strings (a B-tree node alone is over 500 bytes),
//! and the values share one string, so a set costs two allocations rather than one per value.

use crate::intern::intern;

/// Names, sorted, each with the end of its value in `text`, where the values follow each other
/// in the names' order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    names: Vec<(&'static str, usize)>,
    text: String,
}

impl Values {
    pub fn new() -> Self {
        Values::default()
    }

    fn find(&self, k: &str) -> Result<usize, usize> {
        self.names.binary_search_by(|(name, _)| (*name).cmp(k))
    }

    /// The byte range of the `i`th value in `text`.
    fn span(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.names[i - 1].1 };
        start..self.names[i].1
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.find(k).ok().map(|i| &self.text[self.span(i)])
    }

    pub fn contains_key(&self, k: &str) -> bool {
        self.find(k).is_ok()
    }

    /// Sets `k`, replacing any value it had.
    pub fn insert(&mut self, k: &str, v: impl AsRef<str>) {
        let v = v.as_ref();
        match self.find(k) {
            Ok(i) => {
                let span = self.span(i);
                let old = span.len();
                self.text.replace_range(span, v);
                for (_, end) in &mut self.names[i..] {
                    *end = *end + v.len() - old;
                }
            }
            Err(i) => self.insert_at(i, k, v),
        }
    }

    /// Sets `k` only when it has no value yet.
    pub fn insert_if_absent(&mut self, k: &str, v: &str) {
        if let Err(i) = self.find(k) {
            self.insert_at(i, k, v);
        }
    }

    fn insert_at(&mut self, i: usize, k: &str, v: &str) {
        let at = if i == 0 { 0 } else { self.names[i - 1].1 };
        self.text.insert_str(at, v);
        for (_, end) in &mut self.names[i..] {
            *end += v.len();
        }
        self.names.insert(i, (intern(k), at + v.len()));
    }

    /// Names and values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        (0..self.names.len()).map(|i| (self.names[i].0, &self.text[self.span(i)]))
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Drops spare capacity, for a set that is kept.
    pub fn shrink(&mut self) {
        self.names.shrink_to_fit();
        self.text.shrink_to_fit();
    }
}

/// The value saying where `prop`'s value came from when the model, not the code, set it:
/// `status_from` is `default` (the schema default) or `call` (a literal a caller passed).
pub fn from_key(prop: &str) -> String {
    format!("{prop}_from")
}

#[cfg(test)]
mod tests {
    use super::Values;

    #[test]
    fn values_stay_sorted_and_the_first_insert_if_absent_wins() {
        let mut v = Values::new();
        v.insert("text", "whole");
        v.insert("entity", "Booking");
        v.insert_if_absent("entity", "Other");
        v.insert_if_absent("callee", "prisma.booking.create");
        v.insert("text", "replaced");
        let all: Vec<_> = v.iter().collect();
        assert_eq!(
            all,
            [
                ("callee", "prisma.booking.create"),
                ("entity", "Booking"),
                ("text", "replaced")
            ]
        );
        assert_eq!(v.get("entity"), Some("Booking"));
        assert!(!v.contains_key("op"));
        assert_eq!(v.len(), 3);
        // A shorter and a longer replacement keep every other value in place.
        v.insert("callee", "x");
        v.insert("entity", "BookingSlot");
        assert_eq!(v.get("callee"), Some("x"));
        assert_eq!(v.get("entity"), Some("BookingSlot"));
        assert_eq!(v.get("text"), Some("replaced"));
        v.insert("a", "");
        assert_eq!(v.get("a"), Some(""));
        assert_eq!(
            v.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            ["a", "callee", "entity", "text"]
        );
    }
}
