//! The commit a scanned repository is at, for the HTML report's header: read from `.git/HEAD`
//! and the ref it names (loose ref file, else `packed-refs`), read-only. Git is never run.

use std::path::{Path, PathBuf};

/// The checked-out commit: its hash and, when HEAD names a branch, the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub commit: String,
    pub branch: Option<String>,
}

/// The commit of the git repository at `root` (the root itself, or the nearest enclosing
/// directory with a `.git`), or None when there is none or it cannot be read.
pub fn head(root: &Path) -> Option<Head> {
    let root = root.canonicalize().ok()?;
    let git = root.ancestors().find_map(git_dir)?;
    let text = read_small(&git.join("HEAD"))?;
    let text = text.trim();
    if let Some(name) = text.strip_prefix("ref:") {
        let name = name.trim();
        if name.split('/').any(|p| p == ".." || p.is_empty()) {
            return None;
        }
        // A worktree's refs live in the common directory.
        let common = read_small(&git.join("commondir"))
            .map(|c| git.join(c.trim()))
            .unwrap_or_else(|| git.clone());
        let commit = [&git, &common]
            .iter()
            .find_map(|d| read_small(&d.join(name)).and_then(|t| hash(t.trim())))
            .or_else(|| packed(&common, name))?;
        let branch = name.strip_prefix("refs/heads/").unwrap_or(name).to_string();
        Some(Head {
            commit,
            branch: Some(branch),
        })
    } else {
        Some(Head {
            commit: hash(text)?,
            branch: None,
        })
    }
}

/// `dir/.git` as a git directory: the directory itself, or the one a `.git` file points to.
fn git_dir(dir: &Path) -> Option<PathBuf> {
    let dot = dir.join(".git");
    let meta = std::fs::metadata(&dot).ok()?;
    if meta.is_dir() {
        return Some(dot);
    }
    let text = read_small(&dot)?;
    let target = text.trim().strip_prefix("gitdir:")?.trim();
    Some(dir.join(target))
}

/// The hash of `name` in `packed-refs`.
fn packed(git: &Path, name: &str) -> Option<String> {
    let text = read_small(&git.join("packed-refs"))?;
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .find_map(|l| {
            let (h, r) = l.split_once(' ')?;
            (r.trim() == name).then(|| hash(h)).flatten()
        })
}

/// A full SHA-1 or SHA-256 hex hash, or None.
fn hash(s: &str) -> Option<String> {
    ((s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| s.to_ascii_lowercase())
}

/// A small regular file's text (refs are tiny; anything else is not a ref).
fn read_small(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > 1 << 20 {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn reads_loose_packed_and_detached_heads() {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        std::fs::create_dir_all(git.join("refs/heads")).unwrap();
        std::fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert_eq!(head(dir.path()), None, "a branch with no commit");
        std::fs::write(
            git.join("packed-refs"),
            format!("# pack-refs with: peeled\n{H} refs/heads/main\n"),
        )
        .unwrap();
        let want = Head {
            commit: H.into(),
            branch: Some("main".into()),
        };
        assert_eq!(head(dir.path()), Some(want.clone()));
        let loose = H.replace('0', "f");
        std::fs::write(git.join("refs/heads/main"), format!("{loose}\n")).unwrap();
        assert_eq!(
            head(dir.path()).unwrap().commit,
            loose,
            "loose beats packed"
        );
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        assert_eq!(head(&dir.path().join("sub")).unwrap().commit, loose);
        std::fs::write(git.join("HEAD"), format!("{H}\n")).unwrap();
        assert_eq!(
            head(dir.path()),
            Some(Head {
                commit: H.into(),
                branch: None
            })
        );
        std::fs::write(git.join("HEAD"), "ref: refs/../../etc\n").unwrap();
        assert_eq!(head(dir.path()), None);
    }
}
