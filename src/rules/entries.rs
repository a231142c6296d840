//! Entry points as data (`rules/frameworks/*.yaml`): where a request, a message, an event or
//! a job enters the server, so that a flow can say what starts it (CHECKS.md edge cases 18
//! and 20: a read request or a scheduled job that cancels stale bookings expires them; it does
//! not cancel on a customer's behalf).
//!
//! Each framework file lists entries; the structure pass (`model::code`) asks them about every
//! call whose arguments hold a function, and every decorated method. A new framework is a
//! YAML file, not Rust.

use regex::Regex;
use serde::Deserialize;

/// `rules/frameworks/<name>.yaml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkFile {
    pub framework: String,
    #[serde(default)]
    pub about: Option<String>,
    pub entries: Vec<EntrySpec>,
    /// The framework's own cases: inline files, and the entry kind each named flow must get
    /// (`function` for a flow no entry names). Run by `tests/framework_cases.rs`.
    #[serde(default)]
    pub tests: Vec<FrameworkCase>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct FrameworkCase {
    pub name: String,
    pub files: std::collections::BTreeMap<String, String>,
    /// Flow label (as `booking-audit debug PATH --show flows` prints it) -> entry kind, or
    /// `none` when no flow may start there.
    pub flows: std::collections::BTreeMap<String, String>,
    /// Flow label -> the side it runs on (`server` or `client`), where the case says.
    #[serde(default)]
    pub sides: std::collections::BTreeMap<String, String>,
}

/// One way a function becomes an entry point.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrySpec {
    /// What the report calls it: `request`, `read`, `message`, `event`, `job`, `action`...
    pub kind: String,
    /// A call that registers its function arguments (inline or by name) as handlers:
    /// a regex on the called function's or method's name (`router.post`, `setInterval`).
    #[serde(default)]
    pub call: Option<String>,
    /// For a `call` entry: calls, by name, that give the path to the registrations chained
    /// on them (Express `router.route('/bookings').post(h)`).
    #[serde(default)]
    pub chained_path: Option<String>,
    /// A deployment config file (a regex on its path, `(^|/)vercel\.json$`) that names routes
    /// the platform calls itself: those routes' handlers are entries of this kind.
    #[serde(default)]
    pub config: Option<String>,
    /// For `config`: where the routes are in the JSON, as a pointer whose `*` steps into every
    /// element of an array (`/crons/*/path`).
    #[serde(default)]
    pub routes: Option<String>,
    /// For an `export` entry: a file carrying this directive is not one (an App Router page
    /// marked `'use client'` renders in the browser).
    #[serde(default)]
    pub not_directive: Option<String>,
    /// A method decorator that makes the method a handler (`@Post`, `@Cron`).
    #[serde(default)]
    pub decorator: Option<String>,
    /// An exported function whose name matches, in a file whose path matches `file`
    /// (Next.js route handlers: `export async function GET` in `app/**/route.ts`).
    #[serde(default)]
    pub export: Option<String>,
    /// For `export`: the files it applies to; for `directive`: none needed.
    #[serde(default)]
    pub file: Option<String>,
    /// Exported functions of a file, or functions, carrying this directive (`use server`).
    #[serde(default)]
    pub directive: Option<String>,
    /// How the handler's route is named from the registration: `verb-path` (`POST /bookings`,
    /// the first argument a path string), `name-path` (`MessagePattern booking.created`), or
    /// none (the kind only).
    #[serde(default)]
    pub label: Label,
    /// Asked only when no other entry matches (a generic `on*` event registration).
    #[serde(default)]
    pub fallback: bool,
    /// `false`: code that runs outside any request or job (a migration's `up`), so no flow
    /// starts at it; its facts still describe the schema (CHECKS.md edge case 18).
    #[serde(default = "yes")]
    pub flow: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Label {
    VerbPath,
    NamePath,
    #[default]
    None,
}

/// One compiled entry.
#[derive(Debug)]
pub struct Entry {
    pub kind: &'static str,
    pub label: Label,
    pub fallback: bool,
    pub framework: String,
    /// Whether a flow may start here.
    pub flow: bool,
    on: On,
    chained_path: Option<Regex>,
    not_directive: Option<Regex>,
}

#[derive(Debug)]
enum On {
    Call(Regex),
    Decorator(Regex),
    Export {
        name: Regex,
        file: Regex,
    },
    Directive(Regex),
    /// Routes a config file names (`vercel.json` crons): the file, and the JSON pointer.
    Config {
        file: Regex,
        routes: String,
    },
}

/// Every framework's entries, in the order they are asked: specific ones first, then
/// fallbacks, each group in file order.
#[derive(Debug, Default)]
pub struct Entries {
    entries: Vec<Entry>,
    /// Each framework file's cases, with the file's path.
    pub cases: Vec<(String, FrameworkCase)>,
    /// Every `config` entry's file pattern, for the walk.
    config_files: Option<regex::RegexSet>,
}

impl Entries {
    /// Compiles the framework files; an error names the file, the entry and the regex.
    pub fn compile(files: Vec<(String, FrameworkFile)>) -> Result<Entries, String> {
        let mut entries = Vec::new();
        let mut cases = Vec::new();
        let mut config_files: Vec<String> = Vec::new();
        for (path, f) in files {
            cases.extend(f.tests.iter().map(|c| (path.clone(), c.clone())));
            for (i, e) in f.entries.into_iter().enumerate() {
                let re = |what: &str, s: &str| {
                    Regex::new(s).map_err(|err| {
                        format!("{path}: entries[{i}].{what}: invalid regex {s:?}: {err}")
                    })
                };
                let on = match (&e.call, &e.decorator, &e.export, &e.directive, &e.config) {
                    (Some(c), None, None, None, None) => On::Call(re("call", c)?),
                    (None, Some(d), None, None, None) => On::Decorator(re("decorator", d)?),
                    (None, None, Some(x), None, None) => On::Export {
                        name: re("export", x)?,
                        file: re("file", e.file.as_deref().unwrap_or("."))?,
                    },
                    (None, None, None, Some(d), None) => On::Directive(re("directive", d)?),
                    (None, None, None, None, Some(c)) => {
                        let file = re("config", c)?;
                        config_files.push(c.clone());
                        let Some(routes) = e.routes.clone().filter(|r| r.starts_with('/')) else {
                            return Err(format!(
                                "{path}: entries[{i}].routes: a config entry needs a JSON pointer to its routes (`/crons/*/path`)"
                            ));
                        };
                        On::Config { file, routes }
                    }
                    _ => {
                        return Err(format!(
                            "{path}: entries[{i}]: give exactly one of call, decorator, export, directive, config"
                        ));
                    }
                };
                if e.chained_path.is_some() && e.call.is_none() {
                    return Err(format!(
                        "{path}: entries[{i}].chained_path: only a call entry has one"
                    ));
                }
                if e.not_directive.is_some() && e.export.is_none() {
                    return Err(format!(
                        "{path}: entries[{i}].not_directive: only an export entry has one"
                    ));
                }
                let not_directive = e
                    .not_directive
                    .as_deref()
                    .map(|d| re("not_directive", d))
                    .transpose()?;
                let chained_path = e
                    .chained_path
                    .as_deref()
                    .map(|c| re("chained_path", c))
                    .transpose()?;
                if e.kind.trim().is_empty() {
                    return Err(format!("{path}: entries[{i}].kind: empty"));
                }
                entries.push(Entry {
                    kind: crate::intern::intern(&e.kind),
                    label: e.label,
                    fallback: e.fallback,
                    framework: f.framework.clone(),
                    flow: e.flow,
                    chained_path,
                    not_directive,
                    on,
                });
            }
        }
        entries.sort_by_key(|e| e.fallback);
        let config_files = (!config_files.is_empty())
            .then(|| regex::RegexSet::new(&config_files))
            .transpose()
            .map_err(|err| format!("config files: {err}"))?;
        Ok(Entries {
            entries,
            cases,
            config_files,
        })
    }

    /// The entry a call named `name` makes of its function arguments; `has_path` says whether
    /// its first argument is a string (a labelled entry needs one).
    pub fn call(&self, name: &str, has_path: bool) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            matches!(&e.on, On::Call(re) if re.is_match(name))
                && (e.label == Label::None || has_path)
        })
    }

    /// The config files the walk must read (`vercel.json`), if any framework names one.
    pub fn config_files(&self) -> Option<&regex::RegexSet> {
        self.config_files.as_ref()
    }

    /// The route lists of a config file at `path`: (JSON pointer, entry kind) of each entry
    /// whose `config` names it.
    pub fn config_routes(&self, path: &str) -> Vec<(&str, &'static str)> {
        self.entries
            .iter()
            .filter_map(|e| match &e.on {
                On::Config { file, routes } if file.is_match(path) => {
                    Some((routes.as_str(), e.kind))
                }
                _ => None,
            })
            .collect()
    }

    /// Whether a call named `name` gives the path to the registrations chained on it.
    pub fn gives_path(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.chained_path.as_ref().is_some_and(|re| re.is_match(name)))
    }

    /// The entry a method decorator (its name, without `@` and arguments) makes.
    pub fn decorator(&self, name: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| matches!(&e.on, On::Decorator(re) if re.is_match(name)))
    }

    /// The entry an exported function named `name` (`default` for a default export) in the
    /// file at `path`, whose directive is `directive` ("" for none), is.
    pub fn export(&self, name: &str, path: &str, directive: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| {
            matches!(&e.on, On::Export { name: n, file } if n.is_match(name) && file.is_match(path))
                && !e
                    .not_directive
                    .as_ref()
                    .is_some_and(|d| !directive.is_empty() && d.is_match(directive))
        })
    }

    /// The entry the functions of a file (or a function) with this directive are.
    pub fn directive(&self, directive: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| matches!(&e.on, On::Directive(re) if re.is_match(directive)))
    }

    /// Whether a flow may start at a root of this entry kind (`function` and unknown kinds
    /// may).
    pub fn starts_flows(&self, kind: &str) -> bool {
        !self.entries.iter().any(|e| e.kind == kind && !e.flow)
    }

    /// The entry that keeps flows out of the file at `path` (an `export` entry with
    /// `flow: false` whose `file` matches), for `--explain-scope`.
    pub fn not_flow_file(&self, path: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| !e.flow && matches!(&e.on, On::Export { file, .. } if file.is_match(path)))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(yaml: &str) -> Result<Entries, String> {
        let f: FrameworkFile = serde_saphyr::from_str(yaml).map_err(|e| e.to_string())?;
        Entries::compile(vec![("t.yaml".into(), f)])
    }

    #[test]
    fn specific_entries_are_asked_before_fallbacks() {
        let e = compile(
            "framework: t\nentries:\n  - {kind: event, call: '(?i)^on', label: verb-path, fallback: true}\n  - {kind: job, call: '^onSchedule$', label: verb-path}\n",
        )
        .unwrap();
        assert_eq!(e.call("onSchedule", true).unwrap().kind, "job");
        assert_eq!(e.call("onCreate", true).unwrap().kind, "event");
        // A labelled entry needs the path string.
        assert!(e.call("onCreate", false).is_none());
    }

    #[test]
    fn an_entry_with_two_triggers_or_a_bad_regex_is_refused() {
        let two = compile("framework: t\nentries:\n  - {kind: a, call: x, decorator: y}\n");
        assert!(two.unwrap_err().contains("exactly one"));
        let bad = compile("framework: t\nentries:\n  - {kind: a, call: '('}\n");
        assert!(bad.unwrap_err().contains("invalid regex"));
    }
}
