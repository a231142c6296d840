//! The progress line (stderr, terminals only) never shows when stderr is piped.

mod common;
#[path = "../benches/support/synth.rs"]
#[allow(dead_code)]
mod synth;
use common::{bin, stderr};

#[test]
fn a_long_run_with_piped_stderr_prints_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    synth::generate(&repo, 1500, 1).unwrap();
    let report = dir.path().join("r.json");
    // CI unset and not --quiet: only the piped stderr keeps the line away. The run lasts
    // well over the half second after which a terminal would get the line.
    let o = bin()
        .env_remove("CI")
        .args([repo.to_str().unwrap(), "-f", "json", "-o"])
        .arg(&report)
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        !err.contains("auditing") && !err.contains('\r') && !err.contains('\u{1b}'),
        "progress on a pipe: {err:?}"
    );
    assert!(std::fs::metadata(&report).unwrap().len() > 0);
}
