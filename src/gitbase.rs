//! `--baseline-ref REV`: the baseline is the audit of a git revision of the scanned
//! repository. The revision's tree is read from git objects (`git archive`, read-only) into a
//! temporary directory outside the repository, never a checkout or worktree inside it, so
//! nothing in the scanned repository is written.

use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `git -C dir args...` and returns its trimmed stdout, or its stderr as the error.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

/// The tree of revision `rev` of the git repository holding `path`, for the part of it at
/// `path` (a subdirectory audits its own subtree), written into a new temporary directory.
pub fn tree_at(path: &Path, rev: &str) -> miette::Result<tempfile::TempDir> {
    let shown = path.display();
    if git(path, &["rev-parse", "--is-inside-work-tree"]).as_deref() != Ok("true") {
        miette::bail!(
            help = "--baseline-ref compares with a commit of the repository being audited; \
                    use --baseline FILE outside git",
            "--baseline-ref {rev}: {shown} is not in a git repository"
        );
    }
    // A revision is never an option: `--output=...` would be one to git.
    let commit = if rev.starts_with('-') {
        None
    } else {
        git(
            path,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{rev}^{{commit}}"),
            ],
        )
        .ok()
    };
    let Some(commit) = commit.filter(|c| !c.is_empty()) else {
        miette::bail!(
            help = "in CI, fetch the history first (actions/checkout with fetch-depth: 0)",
            "--baseline-ref {rev}: no such commit in the repository at {shown}"
        );
    };
    let top_and_prefix = git(path, &["rev-parse", "--show-toplevel"])
        .and_then(|top| Ok((top, git(path, &["rev-parse", "--show-prefix"])?)));
    let (top, prefix) = top_and_prefix.map_err(|e| miette::miette!("--baseline-ref {rev}: {e}"))?;
    let dir = tempfile::Builder::new()
        .prefix("booking-audit-baseline-")
        .tempdir()
        .map_err(|e| miette::miette!("--baseline-ref {rev}: temporary directory: {e}"))?;
    // The subtree at the scanned path, or nothing when it did not exist at that revision.
    let tree = format!("{commit}:{}", prefix.trim_end_matches('/'));
    if git(path, &["cat-file", "-e", &tree]).is_err() {
        return Ok(dir);
    }
    // From the top: run in a subdirectory, git archive would keep only that part of the tree.
    extract(Path::new(&top), &tree, dir.path())
        .map_err(|e| miette::miette!("--baseline-ref {rev}: {e}"))?;
    Ok(dir)
}

/// `git archive TREE | tar -x -C into`.
fn extract(repo: &Path, tree: &str, into: &Path) -> Result<(), String> {
    let mut archive = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["archive", "--format=tar", tree])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let tar_in = archive.stdout.take().ok_or("git archive: no output")?;
    let tar = Command::new("tar")
        .arg("-x")
        .arg("-C")
        .arg(into)
        .stdin(tar_in)
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("cannot run tar: {e}"))?;
    let git_out = archive
        .wait_with_output()
        .map_err(|e| format!("git archive: {e}"))?;
    if !git_out.status.success() {
        return Err(format!(
            "git archive: {}",
            String::from_utf8_lossy(&git_out.stderr).trim()
        ));
    }
    if !tar.status.success() {
        return Err(format!(
            "tar: {}",
            String::from_utf8_lossy(&tar.stderr).trim()
        ));
    }
    Ok(())
}
