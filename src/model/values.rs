//! A fact's named values. There is one set per fact and tens of thousands of facts in a large
//! repository, most with a handful of values: a sorted list with interned names takes a
//! fraction of the memory of a map of owned strings (a B-tree node alone is over 500 bytes).

use crate::intern::intern;

/// Names, sorted, each with its value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(Vec<(&'static str, Box<str>)>);

impl Values {
    pub fn new() -> Self {
        Values(Vec::new())
    }

    fn find(&self, k: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(name, _)| (*name).cmp(k))
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.find(k).ok().map(|i| &*self.0[i].1)
    }

    pub fn contains_key(&self, k: &str) -> bool {
        self.find(k).is_ok()
    }

    /// Sets `k`, replacing any value it had.
    pub fn insert(&mut self, k: &str, v: impl Into<Box<str>>) {
        match self.find(k) {
            Ok(i) => self.0[i].1 = v.into(),
            Err(i) => self.0.insert(i, (intern(k), v.into())),
        }
    }

    /// Sets `k` only when it has no value yet.
    pub fn insert_if_absent(&mut self, k: &str, v: impl FnOnce() -> String) {
        if let Err(i) = self.find(k) {
            self.0.insert(i, (intern(k), v().into()));
        }
    }

    /// Names and values, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (*k, &**v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops spare capacity, for a set that is kept.
    pub fn shrink(&mut self) {
        self.0.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::Values;

    #[test]
    fn values_stay_sorted_and_the_first_insert_if_absent_wins() {
        let mut v = Values::new();
        v.insert("text", "whole");
        v.insert("entity", "Booking");
        v.insert_if_absent("entity", || "Other".into());
        v.insert_if_absent("callee", || "prisma.booking.create".into());
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
    }
}
