//! The project config, `.booking-audit.yml` at the scanned root or `--config FILE`: turn
//! checks off, change severities, name the booking and slot entities, include and exclude
//! globs, the fail-on threshold. Parsed like the rules (serde with unknown fields denied),
//! then validated against the loaded rule set, every error pointing at its line and column.
//! `--only` and `--skip` select checks the same way `checks:` keys name them.

use crate::report::FailOn;
use crate::rules::error::RuleSource;
use crate::rules::spec::Severity;
use crate::rules::{Check, RuleSet};
use crate::walk::glob_lite::Glob;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::path::Path;

/// Config file names looked for at the scanned root, in this order.
pub const FILE_NAMES: &[&str] = &[".booking-audit.yml", ".booking-audit.yaml"];

const MAX_SIZE: u64 = 1024 * 1024;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigSpec {
    #[serde(default, alias = "fail-on")]
    fail_on: Option<FailOn>,
    /// By check id (short or full) or category: `off` or a severity.
    #[serde(default)]
    checks: HashMap<Spanned<String>, Setting>,
    /// By entity kind (booking, slot, ...): entity names to classify as that kind.
    #[serde(default)]
    entities: HashMap<Spanned<String>, Vec<String>>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Setting {
    Off,
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Setting {
    fn severity(self) -> Option<Severity> {
        match self {
            Setting::Off => None,
            Setting::Critical => Some(Severity::Critical),
            Setting::High => Some(Severity::High),
            Setting::Medium => Some(Severity::Medium),
            Setting::Low => Some(Severity::Low),
            Setting::Info => Some(Severity::Info),
        }
    }
}

/// A validated config.
#[derive(Debug, Default)]
pub struct Config {
    /// Where it was read from (None: no config file).
    pub path: Option<String>,
    pub fail_on: Option<FailOn>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    /// (check id or category, setting), in file order.
    checks: Vec<(String, Setting)>,
    /// (entity name, kind).
    entities: Vec<(String, String)>,
}

/// A config found in the scanned repository is read only if it resolves inside it: through a
/// symlink to a file elsewhere, the error report would quote that file's lines.
fn inside_root(root: &Path, config: &Path) -> miette::Result<()> {
    if let (Ok(root), Ok(target)) = (root.canonicalize(), config.canonicalize())
        && !target.starts_with(root)
    {
        miette::bail!(
            "config {}: a symlink to outside the scanned root, not followed",
            config.display()
        );
    }
    Ok(())
}

/// Does `token` (short id, full id or category) name this check? Ids before categories:
/// returns 2 for an id, 1 for a category, 0 for neither.
fn names(c: &Check, token: &str) -> u8 {
    if c.short_id() == token || c.full_id == token {
        2
    } else if c.category() == token {
        1
    } else {
        0
    }
}

fn known(set: &RuleSet, token: &str) -> bool {
    set.checks.iter().any(|c| names(c, token) > 0)
}

/// The top-level keys of a config file.
const KEYS: &[&str] = &["fail_on", "checks", "entities", "include", "exclude"];

/// An unknown top-level key, reported at its line with the closest key.
fn unknown_key(src: &RuleSource, e: &serde_saphyr::Error) -> Option<miette::Report> {
    let msg = e.to_string();
    let key = msg.split("unknown field `").nth(1)?.split('`').next()?;
    let loc = e.location()?;
    let offset = src.offset_at(loc.line() as usize, loc.column() as usize);
    Some(src.error_at_offset(
        offset,
        key.len().max(1),
        format!("unknown field `{key}`"),
        Some(crate::suggest::help(
            key,
            KEYS.iter().copied(),
            &format!("keys: {}", KEYS.join(", ")),
        )),
    ))
}

/// Every name `--only`, `--skip` and `checks:` accept: short and full ids, categories.
fn all_names(set: &RuleSet) -> Vec<&str> {
    let mut all: Vec<&str> = set
        .checks
        .iter()
        .flat_map(|c| [c.short_id(), c.category(), c.full_id.as_str()])
        .collect();
    all.dedup();
    all
}

const LIST_HELP: &str = "`booking-audit list` shows every check id and category";

/// The help for an unknown check id or category: the closest name, if any, and `list`.
pub fn unknown_check_help(set: &RuleSet, token: &str) -> String {
    crate::suggest::help(token, all_names(set), LIST_HELP)
}

impl Config {
    /// Reads `--config FILE`, else the first of [`FILE_NAMES`] at the root, else no config.
    pub fn load(explicit: Option<&Path>, root: &Path, set: &RuleSet) -> miette::Result<Config> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match FILE_NAMES
                .iter()
                .map(|n| root.join(n))
                .find(|p| p.is_file())
            {
                Some(p) => {
                    inside_root(root, &p)?;
                    p
                }
                None => return Ok(Config::default()),
            },
        };
        let meta = std::fs::metadata(&path)
            .map_err(|e| miette::miette!("config {}: {e}", path.display()))?;
        if !meta.is_file() || meta.len() > MAX_SIZE {
            miette::bail!("config {}: not a file of at most 1 MiB", path.display());
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| miette::miette!("config {}: {e}", path.display()))?;
        Config::parse(
            &RuleSource {
                path: path.to_string_lossy().replace('\\', "/"),
                text,
                builtin: false,
                json: None,
            },
            set,
        )
    }

    /// Parses and validates a config text.
    pub fn parse(src: &RuleSource, set: &RuleSet) -> miette::Result<Config> {
        let blank = src
            .text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        let spec: ConfigSpec = if blank {
            ConfigSpec::default()
        } else {
            serde_saphyr::from_str(&src.text).map_err(|e| {
                if let Some(report) = unknown_key(src, &e) {
                    return report;
                }
                let options = serde_saphyr::render_options! { source_name: Some(&src.path) };
                serde_saphyr::miette::to_miette_report_with_options(
                    &e, &src.text, &src.path, options,
                )
                .wrap_err(format!("{}: invalid config file", src.path))
            })?
        };
        // Errors in file order, so the first reported is the first in the file.
        let mut checks: Vec<(Spanned<String>, Setting)> = spec.checks.into_iter().collect();
        checks.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
        for (k, _) in &checks {
            if !known(set, &k.value) {
                return Err(src.error_with_help(
                    k,
                    format!("unknown check or category `{}`", k.value),
                    unknown_check_help(set, &k.value),
                ));
            }
        }
        let kinds: Vec<&str> = set
            .model
            .entity_kinds
            .iter()
            .map(|k| k.kind.as_str())
            .collect();
        let mut entities: Vec<(Spanned<String>, Vec<String>)> = spec.entities.into_iter().collect();
        entities.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
        for (k, _) in &entities {
            if !kinds.contains(&k.value.as_str()) {
                let mut all = kinds.clone();
                all.sort();
                all.dedup();
                return Err(src.error_with_help(
                    k,
                    format!("unknown entity kind `{}`", k.value),
                    crate::suggest::help(
                        &k.value,
                        all.iter().copied(),
                        &format!("kinds: {}", all.join(", ")),
                    ),
                ));
            }
        }
        let globs = |list: &[Spanned<String>]| -> miette::Result<Vec<String>> {
            list.iter()
                .map(|g| {
                    Glob::new(&g.value)
                        .map(|_| g.value.clone())
                        .map_err(|e| src.error_at(g, format!("invalid glob `{}`: {e}", g.value)))
                })
                .collect()
        };
        Ok(Config {
            path: Some(src.path.clone()),
            fail_on: spec.fail_on,
            include: globs(&spec.include)?,
            exclude: globs(&spec.exclude)?,
            checks: checks.into_iter().map(|(k, s)| (k.value, s)).collect(),
            entities: entities
                .into_iter()
                .flat_map(|(kind, names)| names.into_iter().map(move |n| (n, kind.value.clone())))
                .collect(),
        })
    }

    /// Applies severities, turns checks off and feeds entity names to the model.
    pub fn apply(&self, set: &mut RuleSet) {
        set.checks.retain_mut(|c| {
            // A setting by id beats one by category; among equals, the later one wins.
            let setting = self
                .checks
                .iter()
                .filter(|(t, _)| names(c, t) > 0)
                .max_by_key(|(t, _)| names(c, t))
                .map(|(_, s)| *s);
            match setting.map(Setting::severity) {
                Some(None) => false,
                Some(Some(sev)) => {
                    c.spec.severity = sev;
                    true
                }
                None => true,
            }
        });
        for (name, kind) in &self.entities {
            set.model
                .entity_names
                .insert(crate::model::entities::key(name), kind.clone());
        }
    }
}

/// `--only` and `--skip`: keep the checks some `only` token names (all when empty), minus
/// those a `skip` token names. Tokens are check ids or categories; unknown ones are errors.
pub fn select(set: &mut RuleSet, only: &[String], skip: &[String]) -> miette::Result<()> {
    for (flag, t) in only
        .iter()
        .map(|t| ("--only", t))
        .chain(skip.iter().map(|t| ("--skip", t)))
    {
        if !known(set, t) {
            miette::bail!(
                help = unknown_check_help(set, t),
                "{flag}: unknown check or category `{t}`"
            );
        }
    }
    set.checks.retain(|c| {
        (only.is_empty() || only.iter().any(|t| names(c, t) > 0))
            && !skip.iter().any(|t| names(c, t) > 0)
    });
    Ok(())
}
