//! The fact cache never changes a report: the same bytes without it, cold and warm, for 1 and
//! 2 threads; edits are seen; a damaged pack is ignored with a note; nothing is written into
//! the audited tree.

mod common;
#[path = "../benches/support/synth.rs"]
#[allow(dead_code)]
mod synth;
use common::{bin, copy_fixture, files_under as tree, stderr, write};
use std::path::Path;

/// One run's report (JSON) and stderr, with the cache in `dir`.
fn cached_run(repo: &Path, dir: &str) -> (String, String) {
    let o = bin()
        .args(["--format", "json", "--cache-dir", dir])
        .arg(repo)
        .output()
        .unwrap();
    (String::from_utf8_lossy(&o.stdout).into_owned(), stderr(&o))
}

/// The JSON report of one run, with its exit code.
fn report(repo: &Path, args: &[&str]) -> (String, Option<i32>) {
    let o = bin()
        .args(["--format", "json"])
        .args(args)
        .arg(repo)
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    (String::from_utf8(o.stdout).unwrap(), o.status.code())
}

#[test]
fn verdicts_are_identical_with_and_without_the_cache_cold_and_warm_for_1_and_2_threads() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    synth::generate(&repo, 200, 5).unwrap();
    let demo = copy_fixture("fixtures/demo");
    for repo in [repo.as_path(), demo.path()] {
        let before = tree(repo);
        let (expected, code) = report(repo, &["--no-cache", "-j", "1"]);
        assert!(expected.contains("\"checks\""), "{expected}");
        for threads in ["1", "2"] {
            let cache = tempfile::tempdir().unwrap();
            let dir = cache.path().to_str().unwrap();
            let uncached = report(repo, &["--no-cache", "-j", threads]);
            let cold = report(repo, &["--cache-dir", dir, "-j", threads]);
            assert!(!tree(cache.path()).is_empty(), "the cold run wrote a pack");
            let warm = report(repo, &["--cache-dir", dir, "-j", threads]);
            let other = if threads == "1" { "2" } else { "1" };
            let warm_other = report(repo, &["--cache-dir", dir, "-j", other]);
            for (name, got) in [
                ("uncached", uncached),
                ("cold", cold),
                ("warm", warm),
                ("warm, other thread count", warm_other),
            ] {
                assert!(
                    got == (expected.clone(), code),
                    "{name} run, -j {threads}: report differs"
                );
            }
        }
        assert!(tree(repo) == before, "the audited tree is unchanged");
    }
}

#[test]
fn an_edited_file_is_read_again_whatever_its_metadata() {
    let repo = copy_fixture("fixtures/demo");
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let (first, _) = report(repo.path(), &["--cache-dir", dir]);
    // The same length, written at once: only the content hash can tell (racily clean).
    let path = repo.path().join("src/lib/bookings.ts");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("\"PENDING\""));
    std::fs::write(&path, text.replace("\"PENDING\"", "\"PAYMENT\"")).unwrap();
    let (after_edit, _) = report(repo.path(), &["--cache-dir", dir]);
    let (uncached, _) = report(repo.path(), &["--no-cache"]);
    assert_eq!(after_edit, uncached);
    assert_ne!(
        after_edit, first,
        "the edit changes the initial state's evidence"
    );
    // A file added, then removed again.
    write(repo.path(), "src/lib/extra.ts", "export const x = 1;\n");
    let (added, _) = report(repo.path(), &["--cache-dir", dir]);
    assert_eq!(added, report(repo.path(), &["--no-cache"]).0);
    std::fs::remove_file(repo.path().join("src/lib/extra.ts")).unwrap();
    assert_eq!(report(repo.path(), &["--cache-dir", dir]).0, uncached);
}

#[test]
fn a_damaged_pack_is_ignored_with_a_note_and_replaced() {
    let repo = copy_fixture("fixtures/demo");
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().to_str().unwrap();
    let (expected, _) = report(repo.path(), &["--no-cache"]);
    report(repo.path(), &["--cache-dir", dir]);
    let packs = tree(cache.path());
    assert_eq!(packs.len(), 1, "one pack per tree and rule set");
    let (name, mut bytes) = packs.into_iter().next().unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(cache.path().join(name), &bytes).unwrap();
    let (report, err) = cached_run(repo.path(), dir);
    assert_eq!(report, expected);
    assert!(err.contains("ignored a damaged cache file"), "{err}");
    // The next run has a whole pack again, and no note.
    let (report, err) = cached_run(repo.path(), dir);
    assert_eq!(report, expected);
    assert!(!err.contains("cache"), "{err}");
}

#[test]
fn a_cache_dir_inside_the_audited_tree_is_refused_and_no_cache_writes_nothing() {
    let repo = copy_fixture("fixtures/demo");
    let before = tree(repo.path());
    let inside = repo.path().join(".cache/booking-audit");
    let o = bin()
        .args(["--format", "json", "--cache-dir"])
        .arg(&inside)
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(
        stderr(&o).contains("inside the audited tree"),
        "{}",
        stderr(&o)
    );
    assert!(tree(repo.path()) == before, "nothing written into the tree");
    let cache = tempfile::tempdir().unwrap();
    let o = bin()
        .env("BOOKING_AUDIT_CACHE_DIR", cache.path())
        .args(["--format", "json", "--no-cache"])
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1));
    assert!(tree(cache.path()).is_empty(), "--no-cache writes nothing");
}
