//! Import specifiers to files: relative paths, index files, extensions, path aliases and
//! workspace packages, as Node and TypeScript resolve them (offline: only the files walked).

use super::{EXTS, Index};

impl<'a> Index<'a> {
    pub(super) fn file_exists(&self, p: &str) -> Option<usize> {
        self.by_path.get(p).copied()
    }

    pub(super) fn try_file(&self, base: &str) -> Option<usize> {
        if let Some(f) = self.file_exists(base)
            && self.model.files[f].code.is_some()
        {
            return Some(f);
        }
        let stem = base
            .strip_suffix(".js")
            .or_else(|| base.strip_suffix(".mjs"))
            .unwrap_or(base);
        for e in EXTS {
            if let Some(f) = self.file_exists(&format!("{stem}.{e}")) {
                return Some(f);
            }
        }
        for e in EXTS {
            if let Some(f) = self.file_exists(&format!("{base}/index.{e}")) {
                return Some(f);
            }
        }
        None
    }

    /// The file an import specifier names, seen from `from` (a file index), remembered per
    /// directory (the answer depends on nothing else).
    pub(super) fn module(&self, from: usize, spec: &'a str) -> Option<usize> {
        let rel: &'a str = &self.model.files[from].rel;
        let dir = rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let known = self
            .modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(dir, spec))
            .copied();
        if let Some(known) = known {
            return known;
        }
        let found = self.find_module(dir, spec);
        self.modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((dir, spec), found);
        found
    }

    pub(super) fn find_module(&self, dir: &str, spec: &str) -> Option<usize> {
        if spec.starts_with('.') {
            return self.try_file(&normalize(&join(dir, spec)));
        }
        if let Some(rest) = spec
            .strip_prefix("@/")
            .or_else(|| spec.strip_prefix("~/"))
            .or_else(|| spec.strip_prefix("#/"))
        {
            return self.in_ancestors(dir, rest);
        }
        for (name, mf) in &self.packages {
            if spec
                .strip_prefix(name.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            {
                let pdir = self.model.files[*mf]
                    .rel
                    .rsplit_once('/')
                    .map(|(d, _)| d)
                    .unwrap_or("");
                let sub = spec[name.len()..].trim_start_matches('/');
                if sub.is_empty() {
                    let m = self.model.files[*mf].manifest.as_ref()?;
                    for entry in &m.entries {
                        let p = normalize(&join(pdir, entry));
                        if let Some(f) = self.try_file(&p) {
                            return Some(f);
                        }
                        // Built output is not scanned: map dist/x.js back to src/x.ts.
                        let src = p
                            .replacen("/dist/", "/src/", 1)
                            .replacen("/lib/", "/src/", 1);
                        if let Some(f) = self.try_file(src.trim_end_matches(".d.ts")) {
                            return Some(f);
                        }
                    }
                    return self
                        .try_file(&join(pdir, "src/index"))
                        .or_else(|| self.try_file(&join(pdir, "index")));
                }
                return self
                    .try_file(&join(pdir, &format!("src/{sub}")))
                    .or_else(|| self.try_file(&join(pdir, sub)));
            }
        }
        // baseUrl-style imports such as `lib/booking` or `src/lib/booking`.
        if spec.contains('/') && !spec.starts_with('@') {
            return self.in_ancestors(dir, spec);
        }
        None
    }

    pub(super) fn in_ancestors(&self, dir: &str, rest: &str) -> Option<usize> {
        let mut d = dir.to_string();
        loop {
            for base in [join(&d, &format!("src/{rest}")), join(&d, rest)] {
                if let Some(f) = self.try_file(&base) {
                    return Some(f);
                }
            }
            if d.is_empty() {
                return None;
            }
            d = d
                .rsplit_once('/')
                .map(|(a, _)| a.to_string())
                .unwrap_or_default();
        }
    }
}

pub(super) fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

pub(super) fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}
