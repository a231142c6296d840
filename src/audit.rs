//! The audit as the command line runs it, for library users too: rules loaded, the config
//! and `--only`/`--skip` applied, the repository analysed, then suppression comments and the
//! baseline applied. The binary only parses arguments, calls [`audit`] and prints, so the
//! library and the binary give the same verdicts.

use crate::baseline::Baseline;
use crate::config::{self, Config};
use crate::report::{FailOn, Report};
use crate::rules::RuleSet;
use crate::{suppress, walk};
use std::path::{Path, PathBuf};

/// What to audit and how: the command line's audit options.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Config file; None: `PATH/.booking-audit.yml` (or `.yaml`) when there is one.
    pub config: Option<PathBuf>,
    /// Directory of extra rules that add to or override the built-in ones.
    pub rules: Option<PathBuf>,
    /// Run only these checks (ids or categories).
    pub only: Vec<String>,
    /// Do not run these checks (ids or categories).
    pub skip: Vec<String>,
    /// Globs of files to audit, added to the config's.
    pub include: Vec<String>,
    /// Globs of files to skip, added to the config's.
    pub exclude: Vec<String>,
    /// A baseline file: only findings it lacks fail the run.
    pub baseline: Option<PathBuf>,
    /// A git revision of the repository whose findings make the baseline (see `gitbase`):
    /// only findings new since it fail the run. Takes the place of `baseline`.
    pub baseline_ref: Option<String>,
    /// The root as reports name it; None: the path as given.
    pub display_root: Option<String>,
    /// Do not read or write the fact cache (`--no-cache`).
    pub no_cache: bool,
    /// Where the fact cache lives; None: the user's cache directory (the CLI fills it from
    /// `--cache-dir`, else `$BOOKING_AUDIT_CACHE_DIR`). Never inside the audited tree.
    pub cache_dir: Option<PathBuf>,
}

/// A finished audit.
pub struct Audit {
    /// Suppressions and the baseline applied, the summary counted.
    pub report: Report,
    /// The checks that ran, with the config's severities.
    pub rules: RuleSet,
    /// The config file's `fail_on`, when it sets one (the command line's wins over it).
    pub config_fail_on: Option<FailOn>,
    /// Notes about the run that are not about the code (the fact cache's).
    pub notes: Vec<String>,
}

impl Audit {
    /// The run fails at this threshold: an open finding of a failing check at or above it.
    pub fn failed(&self, fail_on: FailOn) -> bool {
        self.report.failed(fail_on)
    }
}

pub(crate) fn globs(list: &[String]) -> miette::Result<Vec<walk::glob_lite::Glob>> {
    list.iter()
        .map(|g| {
            walk::glob_lite::Glob::new(g).map_err(|e| miette::miette!("invalid glob `{g}`: {e}"))
        })
        .collect()
}

/// The rules, loaded (built-in, plus `dir`).
pub fn load_rules(dir: Option<&Path>) -> miette::Result<RuleSet> {
    crate::timing::phase("rules", || crate::rules::load(dir))
}

/// Audits the repository at `path` as `booking-audit PATH` does. Errors: rules or config
/// that do not load, a path that is not a directory, nothing to audit (no TypeScript,
/// JavaScript, Prisma or SQL file), a baseline file that cannot be read, a `baseline_ref`
/// that is not a commit of the git repository holding `path`. Runs on the caller's rayon
/// pool.
pub fn audit(path: &Path, opts: &Options) -> miette::Result<Audit> {
    let mut set = load_rules(opts.rules.as_deref())?;
    let meta = std::fs::metadata(path).map_err(|e| miette::miette!("{}: {e}", path.display()))?;
    if !meta.is_dir() {
        miette::bail!(
            help = "pass the repository's root directory",
            "{}: not a directory",
            path.display()
        );
    }
    let config = Config::load(opts.config.as_deref(), path, &set)?;
    // Every check id, before any is turned off: a suppression of a check that does not run
    // is not unknown.
    let known = suppress::known_ids(&set);
    config::select(&mut set, &opts.only, &opts.skip)?;
    config.apply(&mut set);
    let mut baseline = opts.baseline.as_deref().map(Baseline::read).transpose()?;
    // The revision's tree is read before the audit, so a bad revision fails fast.
    let base_tree = opts
        .baseline_ref
        .as_deref()
        .map(|rev| crate::gitbase::tree_at(path, rev))
        .transpose()?;
    let display = opts
        .display_root
        .clone()
        .unwrap_or_else(|| path.to_string_lossy().to_string());
    let include = globs(&[config.include.as_slice(), &opts.include].concat())?;
    let exclude = globs(&[config.exclude.as_slice(), &opts.exclude].concat())?;
    let analysis = crate::AuditOptions {
        include,
        exclude,
        display_root: &display,
    };
    let (cache, mut notes) = if opts.no_cache {
        (None, vec![])
    } else {
        crate::cache::Cache::open(&crate::cache::Settings {
            dir: opts.cache_dir.clone(),
            root: path,
            rules: opts.rules.as_deref(),
        })
    };
    let (mut report, model) = crate::audit_cached(path, &set, &analysis, cache.as_ref());
    if let Some(c) = cache {
        notes.extend(std::mem::take(
            &mut *c.notes.lock().unwrap_or_else(|e| e.into_inner()),
        ));
        c.finish();
    }
    if !model
        .files
        .iter()
        .any(|f| f.lang != crate::lang::Lang::Manifest)
    {
        miette::bail!(
            help = "booking-audit reads TypeScript and JavaScript (.ts .tsx .js .jsx .mjs .cjs), \
                    Prisma and SQL files, honouring .gitignore, --include and --exclude; \
                    pass the repository's root directory",
            "{}: nothing to audit: no TypeScript, JavaScript, Prisma or SQL file found",
            path.display()
        );
    }
    let found = suppress::scan(path, model.files.iter().map(|f| &*f.rel));
    report.suppressions = suppress::apply(&mut report.checks, found, &known);
    drop(model);
    if let Some(tree) = &base_tree {
        // Audited with today's rules and config, so its fingerprints compare with today's.
        let (mut then, model) = crate::analyse(tree.path(), &set, &analysis);
        let found = suppress::scan(tree.path(), model.files.iter().map(|f| &*f.rel));
        suppress::apply(&mut then.checks, found, &known);
        baseline = Some(Baseline::of(&then.checks));
    }
    if let Some(b) = &baseline {
        b.apply(&mut report.checks);
    }
    report.summarize();
    Ok(Audit {
        report,
        rules: set,
        config_fail_on: config.fail_on,
        notes,
    })
}

/// What the audit of `path` leaves out, and why (`--explain-scope`): folders and files of
/// tests, seeds, scripts and the like, files the config's globs leave out, and files that are
/// read for the schema but where no flow starts (migrations), and exported functions no module
/// imports. Sorted by path.
pub fn scope(path: &Path, opts: &Options) -> miette::Result<Vec<walk::Excluded>> {
    let set = load_rules(opts.rules.as_deref())?;
    if !path.is_dir() {
        miette::bail!("{}: not a directory", path.display());
    }
    let config = Config::load(opts.config.as_deref(), path, &set)?;
    let include = globs(&[config.include.as_slice(), &opts.include].concat())?;
    let exclude = globs(&[config.exclude.as_slice(), &opts.exclude].concat())?;
    let walk_opts = walk::WalkOptions {
        include: &include,
        exclude: &exclude,
        config_files: None,
    };
    let mut out = walk::out_of_scope(path, &walk_opts);
    // The model's files are the walked ones; it also knows the functions that reach booking
    // facts but that no request or job can run.
    let analysis = crate::AuditOptions {
        include,
        exclude,
        display_root: &path.to_string_lossy(),
    };
    let (_, model) = crate::analyse(path, &set, &analysis);
    for f in &model.files {
        if let Some(e) = set.entries.not_flow_file(&f.rel) {
            out.push(walk::Excluded {
                path: f.rel.to_string(),
                reason: format!(
                    "{} ({}): read for the schema; no flow starts here",
                    e.kind, e.framework
                ),
            });
        }
    }
    for &u in &model.unused_roots {
        let unit = &model.units[u];
        out.push(walk::Excluded {
            path: format!(
                "{}:{} {}",
                model.files[unit.file].rel,
                unit.loc.line,
                unit.label()
            ),
            reason: "exported, imported by no module: no request or job runs it".into(),
        });
    }
    out.sort();
    Ok(out)
}
