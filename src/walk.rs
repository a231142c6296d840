//! Finds the files to audit: gitignore-aware, sorted, never following symlinks.

use crate::diagnostic::Diagnostic;
use crate::lang::Lang;
use crate::source::MAX_FILE_BYTES;
use ignore::WalkBuilder;
use std::path::{Path, PathBuf};

/// Directories of dependencies, build output and caches: never the application's source,
/// and left out silently.
const NOT_SOURCE_DIRS: &[&str] = &[
    "node_modules",
    ".git",
    "dist",
    "build",
    "out",
    ".next",
    ".nuxt",
    ".svelte-kit",
    ".turbo",
    ".vercel",
    ".output",
    "coverage",
    "vendor",
    "generated",
    "__generated__",
    ".cache",
    "tmp",
    "storybook-static",
];

/// Directories of source that is not an application flow (CHECKS.md edge case 18), with the
/// reason `--explain-scope` gives.
const OUT_OF_SCOPE_DIRS: &[(&str, &str)] = &[
    ("__tests__", "tests"),
    ("test", "tests"),
    ("tests", "tests"),
    ("__mocks__", "mocks"),
    ("e2e", "end-to-end tests"),
    ("cypress", "end-to-end tests"),
    ("playwright", "end-to-end tests"),
    ("fixtures", "test fixtures"),
    ("seeds", "seeds"),
    ("seeders", "seeds"),
    (".storybook", "storybook"),
];

/// Files that are tests, stories, seeds, scripts or bundles rather than application flows,
/// with the reason `--explain-scope` gives.
const OUT_OF_SCOPE_FILES: &[(&str, &str)] = &[
    (
        r"\.(test|spec|e2e|bench)\.[cm]?[jt]sx?$",
        "a test or benchmark",
    ),
    (r"\.(stories|story)\.[cm]?[jt]sx?$", "a storybook story"),
    (r"(^|/)seed[^/]*\.[cm]?[jt]s$", "a seed"),
    (r"[-._]seed(er)?s?[-._][^/]*\.[cm]?[jt]s$", "a seed"),
    // One-off maintenance scripts are run by hand, not reached by requests; SQL files there
    // (init schemas) are kept.
    (
        r"(^|/)scripts/.*\.[cm]?[jt]sx?$",
        "a one-off script (scripts/)",
    ),
    // Backup copies of the source (backup/, backups-2024/, src.bak/, routes.bak.js) are not
    // what runs.
    (r"(?i)(^|/)(backups?|bak)([-_.][^/]*)?/", "a backup copy"),
    (r"(?i)(^|/)[^/]+[-_.](backup|bak)/", "a backup copy"),
    (
        r"(?i)\.(bak|backup|orig)(\.[cm]?[jt]sx?)?$",
        "a backup copy",
    ),
    (r"\.min\.js$", "a minified bundle"),
    (r"\.bundle\.js$", "a bundle"),
];

fn is_skipped_dir(name: &str) -> bool {
    NOT_SOURCE_DIRS.contains(&name) || OUT_OF_SCOPE_DIRS.iter().any(|(d, _)| *d == name)
}

fn out_of_scope_files() -> regex::RegexSet {
    regex::RegexSet::new(OUT_OF_SCOPE_FILES.iter().map(|(p, _)| p)).expect("static patterns")
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    /// Path relative to the scanned root, `/`-separated.
    pub rel: std::sync::Arc<str>,
    pub abs: PathBuf,
    pub lang: Lang,
}

pub struct WalkOptions<'a> {
    pub include: &'a [glob_lite::Glob],
    pub exclude: &'a [glob_lite::Glob],
    /// Deployment config files the frameworks read (`vercel.json`'s cron routes), by path:
    /// walked as JSON manifests although no language claims them.
    pub config_files: Option<&'a regex::RegexSet>,
}

/// The walk both `walk` and `out_of_scope` take: gitignore-aware, hidden files skipped,
/// sorted, symlinks not followed.
fn walker(root: &Path) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.hidden(true)
        .parents(false)
        .require_git(false)
        .git_global(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b));
    b
}

pub fn walk(root: &Path, opts: &WalkOptions) -> (Vec<FileEntry>, Vec<Diagnostic>) {
    let skipped_files = out_of_scope_files();
    let mut files = Vec::new();
    let mut diags = Vec::new();
    let root_real = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let walker = walker(root)
        .filter_entry(|e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && e.depth() > 0 && is_skipped_dir(&e.file_name().to_string_lossy()))
        })
        .build();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                diags.push(diagnostic_of_walk_error(root, &err));
                continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_symlink() {
            if let Some(d) = symlink_note(&root_real, root, entry.path(), opts) {
                diags.push(d);
            }
            continue;
        }
        if !ft.is_file() {
            continue;
        }
        let rel = relative(root, entry.path());
        let Some(lang) = Lang::from_path(entry.path()).or_else(|| {
            opts.config_files
                .is_some_and(|set| set.is_match(&rel))
                .then_some(Lang::Manifest)
        }) else {
            continue;
        };
        if skipped_files.is_match(&rel) {
            continue;
        }
        if !opts.include.is_empty() && !opts.include.iter().any(|g| g.matches(&rel)) {
            continue;
        }
        if opts.exclude.iter().any(|g| g.matches(&rel)) {
            continue;
        }
        if let Ok(meta) = entry.metadata()
            && meta.len() > MAX_FILE_BYTES
        {
            diags.push(Diagnostic::note(
                &rel,
                format!(
                    "skipped: {} bytes is over the {} byte limit (generated or minified?)",
                    meta.len(),
                    MAX_FILE_BYTES
                ),
            ));
            continue;
        }
        files.push(FileEntry {
            rel: rel.into(),
            abs: entry.path().to_path_buf(),
            lang,
        });
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    (files, diags)
}

/// A file or folder the audit leaves out, and why (`--explain-scope`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Excluded {
    /// Relative to the scanned root; a folder ends with `/`.
    pub path: String,
    pub reason: String,
}

/// What `walk` leaves out of the audit, with the reason: folders of tests, seeds and the like
/// (once each, not their files), such files elsewhere, and files the config's `include` or
/// `exclude` globs leave out. Dependencies and build output are not listed.
pub fn out_of_scope(root: &Path, opts: &WalkOptions) -> Vec<Excluded> {
    let skipped_files = out_of_scope_files();
    // The walker's filter outlives this call's borrows: it gets its own handles.
    let dirs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (seen, base) = (dirs.clone(), root.to_path_buf());
    let walker = walker(root)
        .filter_entry(move |e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            if !is_dir || e.depth() == 0 {
                return true;
            }
            let name = e.file_name().to_string_lossy();
            if let Some((_, reason)) = OUT_OF_SCOPE_DIRS.iter().find(|(d, _)| *d == name) {
                let path = format!("{}/", relative(&base, e.path()));
                if let Ok(mut d) = seen.lock() {
                    d.push(Excluded {
                        path,
                        reason: format!("{reason} folder"),
                    });
                }
            }
            !is_skipped_dir(&name)
        })
        .build();
    let mut out = Vec::new();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file())
            || Lang::from_path(entry.path()).is_none()
        {
            continue;
        }
        let rel = relative(root, entry.path());
        let reason = if let Some(i) = skipped_files.matches(&rel).iter().next() {
            OUT_OF_SCOPE_FILES[i].1.to_string()
        } else if !opts.include.is_empty() && !opts.include.iter().any(|g| g.matches(&rel)) {
            "not matched by the config's include globs".to_string()
        } else if opts.exclude.iter().any(|g| g.matches(&rel)) {
            "matched by an exclude glob".to_string()
        } else {
            continue;
        };
        out.push(Excluded { path: rel, reason });
    }
    if let Ok(mut d) = dirs.lock() {
        out.append(&mut d);
    }
    out.sort();
    out
}

/// A note for a symlink the walk would otherwise have scanned (a directory or a source file);
/// `None` for other links. Resolving a link reads no file content.
fn symlink_note(
    root_real: &Path,
    root: &Path,
    link: &Path,
    opts: &WalkOptions,
) -> Option<Diagnostic> {
    let rel = relative(root, link);
    let name = link.file_name()?.to_string_lossy();
    let included = opts.include.is_empty() || opts.include.iter().any(|g| g.matches(&rel));
    if !included || opts.exclude.iter().any(|g| g.matches(&rel)) || is_skipped_dir(&name) {
        return None;
    }
    let source_name = Lang::from_path(link).is_some();
    let why = match link.canonicalize() {
        Err(e) if source_name || link.extension().is_none() => {
            format!("it cannot be resolved: {}", os_error(&e))
        }
        Err(_) => return None,
        Ok(target) if !target.starts_with(root_real) => {
            "it points outside the scanned root".to_string()
        }
        Ok(target)
            if link
                .parent()
                .and_then(|p| p.canonicalize().ok())
                .is_some_and(|p| p.starts_with(&target)) =>
        {
            "a loop: it points to a directory that contains it".to_string()
        }
        Ok(target) if target.is_dir() || source_name || Lang::from_path(&target).is_some() => {
            format!("its target is {}", relative(root_real, &target))
        }
        Ok(_) => return None,
    };
    Some(Diagnostic::note(
        &rel,
        format!("skipped: symlink not followed ({why})"),
    ))
}

/// An I/O error as the OS words it, without the path the walker wraps around it (the report
/// names the file already).
fn os_error(e: &std::io::Error) -> String {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(code) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.raw_os_error())
        {
            return std::io::Error::from_raw_os_error(code).to_string();
        }
        cur = match err.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    e.to_string()
}

pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

fn diagnostic_of_walk_error(root: &Path, err: &ignore::Error) -> Diagnostic {
    let path = walk_error_path(err)
        .map(|p| relative(root, p))
        .unwrap_or_default();
    let message = match err.io_error() {
        Some(io) => format!("skipped: could not read: {}", os_error(io)),
        None => {
            let text = err.to_string();
            if text.contains("loop") {
                format!("symlink loop, not followed: {text}")
            } else {
                text
            }
        }
    };
    Diagnostic::warning(&path, message)
}

fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

/// Minimal glob matching (`*`, `**`, `?`) for include/exclude options, compiled to a regex.
pub mod glob_lite {
    #[derive(Debug, Clone)]
    pub struct Glob {
        pub source: String,
        re: regex::Regex,
    }

    impl Glob {
        pub fn new(pattern: &str) -> Result<Glob, String> {
            let mut re = String::from("^");
            let p = pattern.trim_start_matches("./");
            let chars: Vec<char> = p.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                match chars[i] {
                    '*' if chars.get(i + 1) == Some(&'*') => {
                        if chars.get(i + 2) == Some(&'/') {
                            re.push_str("(?:.*/)?");
                            i += 3;
                        } else {
                            re.push_str(".*");
                            i += 2;
                        }
                        continue;
                    }
                    '*' => re.push_str("[^/]*"),
                    '?' => re.push_str("[^/]"),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
                i += 1;
            }
            // A pattern without a slash matches at any depth, like gitignore.
            let re = if p.contains('/') {
                format!("{re}(?:/.*)?$")
            } else {
                format!("^(?:.*/)?{}(?:/.*)?$", &re[1..])
            };
            regex::Regex::new(&re)
                .map(|re| Glob {
                    source: pattern.to_string(),
                    re,
                })
                .map_err(|e| e.to_string())
        }

        pub fn matches(&self, path: &str) -> bool {
            self.re.is_match(path)
        }
    }
}
