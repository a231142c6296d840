//! `booking-audit [PATH]`: the library's [`crate::audit`] on the arguments, then the report
//! printed (or written with `--output`), the baseline written, and the exit code.

use super::{AuditArgs, ColorChoice, Format};
use crate::baseline::Baseline;
use crate::report::{self, FailOn};
use std::io::{IsTerminal, Write};

/// The library's options from the command line's.
fn options(args: &AuditArgs) -> crate::Options {
    crate::Options {
        config: args.config.clone(),
        rules: args.rules.clone(),
        only: args.only.clone(),
        skip: args.skip.clone(),
        include: args.include.clone(),
        exclude: args.exclude.clone(),
        baseline: args.baseline.clone(),
        baseline_ref: args.baseline_ref.clone(),
        display_root: None,
        no_cache: args.no_cache,
        cache_dir: args
            .cache_dir
            .clone()
            .or_else(|| std::env::var_os(crate::cache::DIR_ENV).map(std::path::PathBuf::from)),
    }
}

/// `--explain-scope`: what is left out of the audit, one line each, or a JSON array.
fn explain_scope(args: &AuditArgs, out: &mut impl Write) -> miette::Result<i32> {
    let excluded = crate::audit::scope(&args.path, &options(args))?;
    let text = match args.format {
        Format::Json => {
            let items: Vec<serde_json::Value> = excluded
                .iter()
                .map(|e| serde_json::json!({"path": e.path, "reason": e.reason}))
                .collect();
            format!(
                "{}\n",
                serde_json::to_string_pretty(&items).unwrap_or_default()
            )
        }
        _ => {
            let width = excluded.iter().map(|e| e.path.len()).max().unwrap_or(0);
            let mut t = String::new();
            for e in &excluded {
                t.push_str(&format!("{:width$}  {}\n", e.path, e.reason));
            }
            t.push_str(&format!(
                "{} left out of the audit (dependencies and build output not listed)\n",
                excluded.len()
            ));
            t
        }
    };
    let _ = out.write_all(text.as_bytes());
    Ok(0)
}

pub(super) fn audit(args: AuditArgs, out: &mut impl Write) -> miette::Result<i32> {
    if args.explain_scope {
        return explain_scope(&args, out);
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|e| miette::miette!("thread pool: {e}"))?;
    let display = args.path.to_string_lossy().to_string();
    let progress = crate::progress::start(
        &display,
        crate::progress::wanted(args.quiet, std::env::var_os("CI").is_some()),
    );
    let done = pool.install(|| crate::audit(&args.path, &options(&args)));
    drop(progress);
    let done = done?;
    let report = &done.report;
    let fail_on = args.fail_on.or(done.config_fail_on).unwrap_or(FailOn::Low);
    let tty = std::io::stdout().is_terminal();
    let no_color = std::env::var_os("NO_COLOR").is_some();
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        // The colour goes where the report goes: never into a file.
        ColorChoice::Auto => tty && args.output.is_none() && !no_color,
    };
    let style = report::text::Style {
        color,
        // Wrapped to the terminal only when the report is read there: piped or written to a
        // file, lines stay whole.
        width: (tty && args.output.is_none())
            .then(|| terminal_size::terminal_size().map(|(w, _)| w.0 as usize))
            .flatten(),
    };
    let text = match args.format {
        Format::Json => report::json::render(report),
        Format::Sarif => report::sarif::render(report, &done.rules),
        Format::Github => report::github::render(report),
        Format::Markdown => report::markdown::render(report, fail_on),
        Format::Junit => report::junit::render(report),
        Format::Html => report::html::render(
            report,
            &done.rules,
            &report::html::Page {
                root: &args.path,
                date: args.html_date.as_deref(),
            },
        ),
        Format::Text if args.quiet && args.output.is_none() => quiet(report, &style),
        Format::Text => report::text::render(report, &style),
    };
    match &args.output {
        Some(file) => {
            std::fs::write(file, text.as_bytes())
                .map_err(|e| miette::miette!("--output {}: {e}", file.display()))?;
            let summary = report::text::Style {
                color: matches!(args.color, ColorChoice::Always)
                    || (matches!(args.color, ColorChoice::Auto) && tty && !no_color),
                width: None,
            };
            let _ = out.write_all(quiet(report, &summary).as_bytes());
        }
        None => {
            let _ = out.write_all(text.as_bytes());
        }
    }
    let _ = out.flush();
    for n in &done.notes {
        eprintln!("booking-audit: note: {n}");
    }
    if let Some(path) = &args.write_baseline {
        let b = Baseline::of(&report.checks);
        b.write(path)?;
        if !args.quiet {
            eprintln!(
                "booking-audit: wrote {} failing checks to {}",
                b.failures.len(),
                path.display()
            );
        }
        return Ok(0);
    }
    let failed = done.failed(fail_on) || (args.require_booking_code && report.no_booking_code());
    Ok(i32::from(failed))
}

/// The short text report: the notes and the summary line.
pub(super) fn quiet(report: &report::Report, style: &report::text::Style) -> String {
    format!(
        "{}{}\n",
        report::text::notes(report, style),
        report::text::summary_line(report)
    )
}
