//! booking-audit: audits booking codebases for the 22 booking-flow checks.

pub mod audit;
pub mod baseline;
pub mod cache;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod dump;
pub mod engine;
pub mod finding;
pub mod fingerprint;
pub mod gitbase;
pub mod intern;
pub mod lang;
pub mod model;
pub mod pattern;
pub mod progress;
pub mod report;
pub mod rule_cases;
pub mod rules;
pub mod source;
pub mod suggest;
pub mod suppress;
pub mod timing;
pub mod walk;

use std::path::Path;

pub use audit::{Audit, Options, audit};

pub struct AuditOptions<'a> {
    pub include: Vec<walk::glob_lite::Glob>,
    pub exclude: Vec<walk::glob_lite::Glob>,
    pub display_root: &'a str,
}

fn walk_files(
    root: &Path,
    opts: &AuditOptions,
    rules: &rules::RuleSet,
) -> (Vec<walk::FileEntry>, Vec<diagnostic::Diagnostic>) {
    timing::phase("walk", || {
        walk::walk(
            root,
            &walk::WalkOptions {
                include: &opts.include,
                exclude: &opts.exclude,
                config_files: rules.entries.config_files(),
            },
        )
    })
}

/// The engine alone: walk, parse and extract, build the model, decide every check with these
/// rules. No config, suppression or baseline: [`audit`] applies those, as the binary does.
pub fn analyse(
    root: &Path,
    rules: &rules::RuleSet,
    opts: &AuditOptions,
) -> (report::Report, model::RepoModel) {
    audit_cached(root, rules, opts, None)
}

/// `audit`, with each file's extraction from the fact cache when it has it.
pub fn audit_cached(
    root: &Path,
    rules: &rules::RuleSet,
    opts: &AuditOptions,
    cache: Option<&cache::Cache>,
) -> (report::Report, model::RepoModel) {
    let (files, diags) = walk_files(root, opts, rules);
    let mut model = model::build_with(&files, rules, diags, |e, parser| match cache {
        Some(c) => c.extract(e, rules, parser),
        None => model::extract::extract_file(e, rules, parser),
    });
    engine::classify(&mut model, rules);
    let results = timing::phase("checks", || engine::evaluate(&model, rules));
    let mut report = report::build(
        opts.display_root,
        rules,
        results,
        files.len(),
        model.diags.clone(),
    );
    let domain = engine::Engine {
        model: &model,
        rules,
    }
    .cond(&rules.model.booking_domain);
    if !domain.ok {
        report.notes.push(report::NO_BOOKING_CODE.to_string());
    }
    let mut sources = source::Sources::new(root);
    report::quote(&mut report, &mut sources);
    fingerprint::assign(&mut report.checks, &mut sources);
    (report, model)
}
