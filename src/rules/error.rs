//! Rule and config errors as miette reports that point at the offending line.

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde_saphyr::Spanned;
use std::fmt;

#[derive(Debug)]
pub struct SpanError {
    pub message: String,
    pub help: Option<String>,
    pub src: NamedSource<String>,
    pub span: SourceSpan,
}

impl fmt::Display for SpanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpanError {}

impl Diagnostic for SpanError {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            miette::LabeledSpan::new_with_span(Some("here".into()), self.span),
        )))
    }
}

/// The text of one rule or config file, for error reports.
#[derive(Clone)]
pub struct RuleSource {
    pub path: String,
    pub text: String,
    /// Built-in rule files merge fact variants; `--rules` files override by id.
    pub builtin: bool,
    /// The same document as JSON, converted at build time for built-in files (which are
    /// validated by tests, so their values need no source positions).
    pub json: Option<&'static str>,
}

impl RuleSource {
    /// An error at a spanned value of this file.
    pub fn error_at<T>(&self, at: &Spanned<T>, message: impl Into<String>) -> miette::Report {
        self.error_at_offset(self.offset_of(at), span_len(at), message, None)
    }

    pub fn error_with_help<T>(
        &self,
        at: &Spanned<T>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> miette::Report {
        self.error_at_offset(self.offset_of(at), span_len(at), message, Some(help.into()))
    }

    /// Byte offset of a spanned value, from its 1-based line and column.
    fn offset_of<T>(&self, at: &Spanned<T>) -> usize {
        self.offset_at(
            at.referenced.line() as usize,
            at.referenced.column() as usize,
        )
    }

    /// Byte offset of a 1-based line and column (0 for line 0).
    pub fn offset_at(&self, line: usize, col: usize) -> usize {
        if line == 0 {
            return 0;
        }
        let start: usize = self
            .text
            .split_inclusive('\n')
            .take(line - 1)
            .map(str::len)
            .sum();
        let line_text = self.text[start..].lines().next().unwrap_or("");
        start
            + line_text
                .char_indices()
                .nth(col.saturating_sub(1))
                .map(|(i, _)| i)
                .unwrap_or(0)
    }

    pub fn error_at_offset(
        &self,
        offset: usize,
        len: usize,
        message: impl Into<String>,
        help: Option<String>,
    ) -> miette::Report {
        let offset = offset.min(self.text.len());
        let len = len.min(self.text.len() - offset);
        let message = format!("{}: {}", self.path, message.into());
        miette::Report::new(SpanError {
            message,
            help,
            src: NamedSource::new(&self.path, self.text.clone()),
            span: (offset, len).into(),
        })
    }

    /// A phase-one (syntax or shape) error from the YAML deserializer.
    pub fn yaml_error(&self, err: &serde_saphyr::Error) -> miette::Report {
        let options = serde_saphyr::render_options! { source_name: Some(&self.path) };
        serde_saphyr::miette::to_miette_report_with_options(err, &self.text, &self.path, options)
            .wrap_err(format!("{}: invalid rule file", self.path))
    }
}

fn span_len<T>(at: &Spanned<T>) -> usize {
    at.referenced.span().byte_len().unwrap_or(1).clamp(1, 200) as usize
}
