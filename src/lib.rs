//! booking-audit: audits booking codebases for the 22 booking-flow checks.

pub mod baseline;
pub mod catalogue;
pub mod cli;
pub mod config;
pub mod engine;
pub mod fingerprint;
pub mod lang;
pub mod model;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod walk;

use std::path::Path;

pub struct AuditOptions<'a> {
    pub include: Vec<walk::glob_lite::Glob>,
    pub exclude: Vec<walk::glob_lite::Glob>,
    pub display_root: &'a str,
}

/// Audits a repository: walk, parse and extract, build the model, decide every check.
pub fn audit(
    root: &Path,
    rules: &rules::RuleSet,
    opts: &AuditOptions,
) -> (report::Report, model::RepoModel) {
    let (files, diags) = walk::walk(
        root,
        &walk::WalkOptions {
            include: &opts.include,
            exclude: &opts.exclude,
        },
    );
    let model = model::build(&files, rules, diags);
    let results = engine::evaluate(&model, rules);
    let mut report = report::build(
        opts.display_root,
        rules,
        results,
        files.len(),
        model.diags.clone(),
    );
    fingerprint::assign(&mut report, root);
    (report, model)
}
