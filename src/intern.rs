//! Strings stored once for the whole run. Value names come from rules and identifiers repeat
//! across a repository's files (`findMany`, `prisma.booking`, `create`), so a large model
//! holds few distinct ones; storing each once saves an allocation per use.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashSet};
use std::sync::Mutex;

/// The one stored copy of `s`. Stored strings live until the process exits, like the model.
pub fn intern(s: &str) -> &'static str {
    thread_local! {
        // Each thread asks the shared table once per string.
        static LOCAL: RefCell<HashSet<&'static str, foldhash::fast::RandomState>> =
            RefCell::default();
    }
    static GLOBAL: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    LOCAL.with(|local| {
        if let Some(s) = local.borrow().get(s) {
            return *s;
        }
        let stored = {
            let mut global = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
            match global.get(s) {
                Some(stored) => *stored,
                None => {
                    let stored: &'static str = Box::leak(s.into());
                    global.insert(stored);
                    stored
                }
            }
        };
        local.borrow_mut().insert(stored);
        stored
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_copy_per_string_across_threads() {
        let a = super::intern("findMany");
        let b = std::thread::spawn(|| super::intern("findMany"))
            .join()
            .expect("thread");
        assert!(std::ptr::eq(a, b));
        assert_eq!(a, "findMany");
    }
}
