//! Command line: `booking-audit [PATH]`, `list`, `explain <id>`; exit codes 0/1/2.

use crate::config;
use crate::report::FailOn;
use crate::rules::{self, RuleSet};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;

/// The exit codes, at the end of `--help` (the README's table says the same).
pub const EXIT_CODES: &str = "Exit codes:
  0  no failing check at or above the fail-on threshold (suppressed and baselined failures
     do not count; also: --write-baseline, and source with no booking code unless
     --require-booking-code)
  1  a failing check at or above the threshold (or no booking code, with
     --require-booking-code)
  2  usage, configuration or rule error; a path that does not exist or is not a directory;
     nothing to audit (no TypeScript, JavaScript, Prisma or SQL file)";

#[derive(Parser, Debug)]
#[command(
    name = "booking-audit",
    version,
    about = "Audits booking codebases: 22 checks for double bookings, payments and lifecycle, with quoted evidence."
)]
#[command(args_conflicts_with_subcommands = true, after_help = EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub audit: AuditArgs,
}

#[derive(clap::Args, Debug)]
pub struct AuditArgs {
    /// Repository to audit.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Fail (exit 1) when a check of this severity or above fails [default: the config's
    /// fail_on, else low].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Config file [default: .booking-audit.yml at PATH, if any].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run only these checks (ids or categories; repeat or separate with commas).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Do not run these checks (ids or categories; repeat or separate with commas).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// Fail only on findings that this baseline file does not record.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Fail only on findings new since this git revision (e.g. origin/main): its tree is read
    /// from git into a temporary directory and audited as the baseline.
    #[arg(long, value_name = "REF", conflicts_with = "baseline")]
    pub baseline_ref: Option<String>,
    /// Record today's failures in FILE (a JSON baseline) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Directory of extra rules (checks, facts, model.yaml) that add to or override the built-in ones.
    #[arg(long, value_name = "DIR")]
    pub rules: Option<PathBuf>,
    /// Worker threads for parsing (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Only audit files matching these globs.
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Skip files matching these globs.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Exit 1 when the repository has no booking code (every check skipped); without it,
    /// such a run exits 0 with a "no booking code found" note.
    #[arg(long)]
    pub require_booking_code: bool,
    /// Write the report (in --format) to FILE; the terminal gets the one-line summary.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Text format: print only the summary line (and notes); errors still go to stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// List what the audit leaves out and why (tests, seeds, scripts, migrations, config
    /// globs), as text or `--format json`, then exit.
    #[arg(long)]
    pub explain_scope: bool,
    /// HTML format: print this date (any text, e.g. 2026-12-06) in the header; without it the
    /// page holds no timestamp, so the same input gives the same bytes.
    #[arg(long, value_name = "DATE")]
    pub html_date: Option<String>,
    /// Colour in the text report: auto, always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Do not read or write the fact cache (the report is the same either way).
    #[arg(long)]
    pub no_cache: bool,
    /// Fact cache directory, outside the audited tree [default: $BOOKING_AUDIT_CACHE_DIR, else
    /// the user cache directory, e.g. ~/.cache/booking-audit]
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List every check: id, category, severity, title.
    List {
        #[arg(long)]
        rules: Option<PathBuf>,
        /// List the facts the checks are built from instead.
        #[arg(long)]
        facts: bool,
        /// text (a table) or json (an array of objects).
        #[arg(long, short, value_enum, default_value_t = ListFormat::Text)]
        format: ListFormat,
    },
    /// Explain a check (short or full id): why it matters, pass/fail/skip, remediation.
    Explain {
        id: String,
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Write a commented starter .booking-audit.yml into the current directory (never over
    /// an existing one).
    Init {
        #[arg(long)]
        rules: Option<PathBuf>,
    },
    /// Run the test cases in the checks' YAML (built-in and --rules); exit 1 when one fails.
    Test {
        #[arg(long)]
        rules: Option<PathBuf>,
        /// Only cases whose `category/check: case name` contains this text.
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// Rule-author tools: the facts, flows and entities found in a repository.
    #[command(hide = true)]
    Debug {
        path: PathBuf,
        #[arg(long)]
        rules: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = DebugWhat::Flows)]
        show: DebugWhat,
        /// Only flows (or facts' functions, or entities) whose name contains this text.
        #[arg(long, value_name = "TEXT")]
        filter: Option<String>,
    },
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: annotations on the evidence lines.
    Github,
    /// A Markdown summary for pull-request comments and job summaries.
    Markdown,
    /// JUnit XML: one test case per check.
    Junit,
    /// One self-contained HTML page (no external resource), to read, share and print.
    Html,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Copy, Clone, Debug, ValueEnum, PartialEq, Eq)]
pub enum DebugWhat {
    Facts,
    Flows,
    Entities,
}

/// Parses the command line.
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    Cli::try_parse_from(args)
}

/// The command line as `--help` shows it, for completion scripts: the hidden subcommands
/// (rule-author and benchmark tools) left out, as clap_complete would otherwise offer them.
fn visible_command() -> clap::Command {
    let full = <Cli as clap::CommandFactory>::command();
    clap::Command::new("booking-audit")
        .version(env!("CARGO_PKG_VERSION"))
        .args_conflicts_with_subcommands(true)
        .args(full.get_arguments().filter(|a| !a.is_hide_set()).cloned())
        .subcommands(full.get_subcommands().filter(|c| !c.is_hide_set()).cloned())
}

/// The subcommands `--help` shows.
fn visible_subcommands() -> Vec<String> {
    <Cli as clap::CommandFactory>::command()
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| c.get_name().to_string())
        .collect()
}

/// `booking-audit lsit`: a single word that is no existing path is a mistyped command, not a
/// repository to audit.
fn unknown_command(path: &std::path::Path) -> miette::Result<()> {
    let word = path.to_string_lossy();
    let is_word = !word.is_empty()
        && !word.starts_with('.')
        && !word.contains(['/', '\\', ':'])
        && path.components().count() == 1;
    if !is_word || path.exists() {
        return Ok(());
    }
    let commands = visible_subcommands();
    let rest = format!(
        "commands: {}; to audit a directory, pass its path",
        commands.join(", ")
    );
    miette::bail!(
        help = crate::suggest::help(&word, commands.iter().map(String::as_str), &rest),
        "unknown command `{word}` (and no such directory)"
    );
}

pub fn main() -> i32 {
    process_knobs();
    let cli = match parse_from(std::env::args_os()) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(report) => {
            eprintln!("{report:?}");
            2
        }
    }
}

/// The environment variables that tune the process for developers and tests; the library
/// reads none itself.
fn process_knobs() {
    let set = |name: &str| std::env::var_os(name).is_some();
    crate::timing::enable(set("BOOKING_AUDIT_TIMINGS"));
    crate::rules::re::crosscheck(set("BOOKING_AUDIT_REGEX_CROSSCHECK"));
    if let Some(limit) = std::env::var("BOOKING_AUDIT_QUERY_WORK_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        crate::model::extract::lower_query_work_limit(limit);
    }
}

fn load_rules(dir: Option<&PathBuf>) -> miette::Result<RuleSet> {
    crate::audit::load_rules(dir.map(|p| p.as_path()))
}

pub fn run(cli: Cli) -> miette::Result<i32> {
    let mut out = std::io::stdout().lock();
    match cli.command {
        Some(Command::List {
            rules,
            facts,
            format,
        }) => {
            let set = load_rules(rules.as_ref())?;
            let _ = write!(out, "{}", list(&set, facts, format));
            Ok(0)
        }
        Some(Command::Explain { id, rules }) => {
            let set = load_rules(rules.as_ref())?;
            let Some(c) = set.check(&id) else {
                let ids = set
                    .checks
                    .iter()
                    .flat_map(|c| [c.short_id(), c.full_id.as_str()]);
                miette::bail!(
                    help =
                        crate::suggest::help(&id, ids, "`booking-audit list` shows every check id"),
                    "no check named `{id}`"
                );
            };
            let _ = write!(out, "{}", explain(&set, c));
            Ok(0)
        }
        Some(Command::Completions { shell }) => {
            clap_complete::generate(shell, &mut visible_command(), "booking-audit", &mut out);
            Ok(0)
        }
        Some(Command::Init { rules }) => {
            let set = load_rules(rules.as_ref())?;
            init(&set, &mut out)
        }
        Some(Command::Test { rules, filter }) => {
            let set = load_rules(rules.as_ref())?;
            crate::rule_cases::command(&set, filter.as_deref(), &mut out)
        }
        Some(Command::Debug {
            path,
            rules,
            show,
            filter,
        }) => {
            let set = load_rules(rules.as_ref())?;
            let opts = crate::AuditOptions {
                include: vec![],
                exclude: vec![],
                display_root: &path.to_string_lossy(),
            };
            let (_, model) = crate::analyse(&path, &set, &opts);
            let show = match show {
                DebugWhat::Facts => crate::dump::Show::Facts,
                DebugWhat::Flows => crate::dump::Show::Flows,
                DebugWhat::Entities => crate::dump::Show::Entities,
            };
            let text = crate::dump::render(&set, &model, show, filter.as_deref().unwrap_or(""));
            let _ = write!(out, "{text}");
            Ok(0)
        }
        None => {
            unknown_command(&cli.audit.path)?;
            run::audit(cli.audit, &mut out)
        }
    }
}

/// `booking-audit list`: the checks (or the facts) as a table or as JSON.
pub fn list(set: &RuleSet, facts: bool, format: ListFormat) -> String {
    use serde_json::json;
    let mut o = String::new();
    match (facts, format) {
        (true, ListFormat::Text) => {
            for f in &set.facts {
                o.push_str(&format!("{:<32} {}\n", f.id, f.about));
            }
        }
        (false, ListFormat::Text) => {
            for c in &set.checks {
                o.push_str(&format!(
                    "{:<32} {:<17} {:<9} {}\n",
                    c.short_id(),
                    c.category(),
                    c.spec.severity.as_str(),
                    c.spec.title
                ));
            }
        }
        (true, ListFormat::Json) => {
            let v: Vec<_> = set
                .facts
                .iter()
                .map(|f| json!({"id": f.id, "about": f.about}))
                .collect();
            o = serde_json::to_string_pretty(&v).expect("JSON") + "\n";
        }
        (false, ListFormat::Json) => {
            let v: Vec<_> = set
                .checks
                .iter()
                .map(|c| {
                    json!({
                        "id": c.full_id,
                        "short_id": c.short_id(),
                        "category": c.category(),
                        "severity": c.spec.severity.as_str(),
                        "title": c.spec.title,
                    })
                })
                .collect();
            o = serde_json::to_string_pretty(&v).expect("JSON") + "\n";
        }
    }
    o
}

mod run;

/// `booking-audit init`: writes [`starter_config`] to `.booking-audit.yml` in the current
/// directory, never over an existing config (of either name).
fn init(set: &RuleSet, out: &mut impl Write) -> miette::Result<i32> {
    let name = config::FILE_NAMES[0];
    if let Some(existing) = config::FILE_NAMES
        .iter()
        .find(|n| std::fs::symlink_metadata(n).is_ok())
    {
        miette::bail!(
            help = "edit it, or remove it to start again",
            "{existing} already exists in the current directory; not overwritten"
        );
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(name)
        .map_err(|e| miette::miette!("{name}: {e}"))?;
    file.write_all(starter_config(set).as_bytes())
        .map_err(|e| miette::miette!("{name}: {e}"))?;
    let _ = writeln!(
        out,
        "wrote {name}: every setting is commented out; `booking-audit .` reads it"
    );
    Ok(0)
}

/// A commented starter config: every key, with the loaded rules' checks, categories and
/// entity kinds; all settings commented out, so it changes nothing until edited.
pub fn starter_config(set: &RuleSet) -> String {
    let mut o = String::from(
        "# booking-audit configuration: `booking-audit PATH` reads PATH/.booking-audit.yml.\n\
         # Every key is optional; uncomment what you need. Unknown keys and ids are errors.\n\n\
         # The lowest severity of a failing check that fails the run (exit 1): critical, high,\n\
         # medium, low (the default) or never. --fail-on on the command line wins.\n\
         # fail_on: low\n\n\
         # Per check id (short or full) or category: off (not run), or a new severity\n\
         # (critical, high, medium, low, info). A setting by id beats one by category.\n\
         # checks:\n",
    );
    let mut categories: Vec<&str> = set.checks.iter().map(|c| c.category()).collect();
    categories.dedup();
    for cat in categories {
        o.push_str(&format!(
            "#   # category {cat} (as a whole: `{cat}: high`)\n"
        ));
        for c in set.checks.iter().filter(|c| c.category() == cat) {
            o.push_str(&format!(
                "#   {}: {}\n",
                c.short_id(),
                c.spec.severity.as_str()
            ));
        }
    }
    let mut kinds: Vec<&str> = set
        .model
        .entity_kinds
        .iter()
        .map(|k| k.kind.as_str())
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    o.push_str(&format!(
        "\n# Entity names to classify as a kind when their names say nothing\n\
         # (kinds: {}).\n\
         # entities:\n\
         #   booking: [Visit, Ticket]\n\
         #   slot: [Court]\n\n\
         # Only audit, or skip, files matching these globs (the command line adds to them).\n\
         # include: ['apps/web/**']\n\
         # exclude: ['legacy/**']\n",
        kinds.join(", ")
    ));
    o
}

pub fn explain(set: &RuleSet, c: &rules::Check) -> String {
    let s = &c.spec;
    let mut o = String::new();
    o.push_str(&format!("{}\n{}\n\n", c.full_id, s.title));
    o.push_str(&format!(
        "category: {}   severity: {}\n",
        c.category(),
        s.severity.as_str()
    ));
    if !s.references.is_empty() {
        o.push_str(&format!("references: {}\n", s.references.join(", ")));
    }
    if !s.related.is_empty() {
        let rel: Vec<String> = s
            .related
            .iter()
            .map(|r| {
                set.check(&r.value)
                    .map(|c| c.full_id.clone())
                    .unwrap_or_else(|| r.value.clone())
            })
            .collect();
        o.push_str(&format!("related: {}\n", rel.join(", ")));
    }
    o.push_str(&format!("\nWhy it matters\n{}\n", indent(&s.why)));
    o.push_str(&format!("\nPass\n{}\n", indent(&s.explain.pass)));
    o.push_str(&format!("\nFail\n{}\n", indent(&s.explain.fail)));
    o.push_str(&format!("\nSkip\n{}\n", indent(&s.explain.skip)));
    o.push_str(&format!("\nRemediation\n{}\n", indent(&s.remediation)));
    o
}

fn indent(s: &str) -> String {
    s.trim()
        .lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("  {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
