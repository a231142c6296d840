//! `--baseline-ref REV` on a two-commit git repository made by the test: only findings new
//! since the revision fail the run, and the scanned repository is never written (issue 27,
//! item 7).

mod common;
use common::{audit, check, copy_fixture, dir_with, json, stderr, write};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn git(repo: &Path, args: &[&str]) {
    let o = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "-c",
            "user.name=booking-audit test",
            "-c",
            "user.email=test@example.com",
        ])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
}

/// Every path under `root` (the .git directory included) with its size and modification time.
fn snapshot(root: &Path) -> BTreeMap<String, (u64, std::time::SystemTime)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            if meta.is_dir() {
                stack.push(e.path());
            }
            let rel = e.path().strip_prefix(root).unwrap().display().to_string();
            out.insert(rel, (meta.len(), meta.modified().unwrap()));
        }
    }
    out
}

/// Commit 1: a guarded booking flow (a row lock and a capacity check in one transaction).
/// Commit 2: a second create route with neither.
fn two_commit_repo() -> tempfile::TempDir {
    let repo = copy_fixture("fixtures/double-booking/knex-for-update");
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "guarded booking flow"]);
    write(
        repo.path(),
        "src/routes/walkins.js",
        "const db = require(\"../db\");\n\nmodule.exports = async function walkins(fastify) {\n  fastify.post(\"/walkins\", async (request, reply) => {\n    const [booking] = await db(\"bookings\").insert({ slot_id: request.body.slotId, client_email: request.body.email, status: \"pending\" }).returning(\"*\");\n    return reply.code(201).send(booking);\n  });\n};\n",
    );
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "walk-in route"]);
    repo
}

#[test]
fn baseline_ref_reports_only_what_is_new_since_the_revision() {
    let repo = two_commit_repo();
    let before = snapshot(repo.path());

    let o = audit(repo.path(), &["--baseline-ref", "HEAD~1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let r = json(&o);
    let c = check(&r, "pessimistic-locking");
    assert_eq!(c["verdict"], "fail");
    assert_eq!(c["baseline"], "new", "the locked flow passed at HEAD~1");
    let f = &c["findings"][0];
    assert_eq!(f["baseline"], "new");
    assert_eq!(f["evidence"][0]["path"], "src/routes/walkins.js");
    // A check already failing at HEAD~1 (no contact validation) gets the route as a new
    // finding beside the known one.
    let contact = check(&r, "customer-contact");
    assert_eq!(contact["baseline"], "updated");
    let states: Vec<&str> = contact["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["baseline"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"new") && states.contains(&"unchanged"),
        "{states:?}"
    );

    let o = audit(repo.path(), &["--baseline-ref", "HEAD"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "nothing new since HEAD: {}",
        stderr(&o)
    );
    let r = json(&o);
    assert_eq!(r["summary"]["baselined"], r["summary"]["fail"]);
    for c in r["checks"].as_array().unwrap() {
        for f in c["findings"].as_array().unwrap() {
            assert_eq!(f["baseline"], "unchanged", "{}", c["short_id"]);
        }
    }
    // A subdirectory compares with the same subdirectory at the revision.
    let o = audit(&repo.path().join("src"), &["--baseline-ref", "HEAD"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    assert_eq!(
        before,
        snapshot(repo.path()),
        "the scanned repository is untouched"
    );
}

#[test]
fn baseline_ref_errors_are_clear() {
    let repo = two_commit_repo();
    let o = audit(repo.path(), &["--baseline-ref", "no-such-branch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--baseline-ref no-such-branch: no such commit"),
        "{}",
        stderr(&o)
    );
    let o = audit(repo.path(), &["--baseline-ref", "--output=x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!repo.path().join("x").exists());

    let plain = dir_with(&[("src/a.ts", "export const a = 1;\n")]);
    let o = audit(plain.path(), &["--baseline-ref", "HEAD"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("is not in a git repository"),
        "{}",
        stderr(&o)
    );

    let o = audit(
        repo.path(),
        &["--baseline-ref", "HEAD", "--baseline", "b.json"],
    );
    assert_eq!(o.status.code(), Some(2), "one baseline at a time");
}
