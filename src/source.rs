//! A scanned file's text with a line index, and the evidence locations quoted from it.

use serde::Serialize;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::path::Path;

/// Files bigger than this are not read: the walk skips them with a note (generated or
/// minified, not hand-written flows), and quoting evidence never reads one.
pub const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

#[derive(Debug)]
pub struct SourceText {
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    pub fn new(text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceText { text, line_starts }
    }

    /// 1-based line and column of a byte offset; one inside a character counts as that
    /// character (a node's `end - 1` often is).
    pub fn position(&self, byte: usize) -> (usize, usize) {
        let mut byte = byte.min(self.text.len());
        while !self.text.is_char_boundary(byte) {
            byte -= 1;
        }
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let col = self.text[start..byte].chars().count() + 1;
        (line, col)
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    pub fn line(&self, line: usize) -> &str {
        let start = self
            .line_starts
            .get(line - 1)
            .copied()
            .unwrap_or(self.text.len());
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// One to three trimmed lines starting at `start`, each cut to a readable width.
    pub fn snippet(&self, start_line: usize, end_line: usize) -> String {
        let last = end_line.min(start_line + 2);
        (start_line..=last)
            .map(|l| shorten(self.line(l).trim(), 160))
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// At most `max` bytes of `s`, cut at a character boundary (no ellipsis, no copy).
pub fn prefix_within(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(3)).collect();
    format!("{cut}...")
}

/// A quoted location: the unit of evidence in every report.
///
/// The snippet is a function of the path and lines, so locations compare by position only.
/// Locations kept in bulk (every function's) are made unquoted, with an empty snippet, and
/// quoted when a report cites them (`quote`): holding a snippet for each was a twentieth of
/// the peak memory on a large repository.
#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub path: std::sync::Arc<str>,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub snippet: String,
}

impl Location {
    pub fn short(&self) -> String {
        format!("{}:{}", self.path, self.line)
    }

    fn position(&self) -> (&str, usize, usize, usize) {
        (&self.path, self.line, self.column, self.end_line)
    }

    /// Fills in the snippet of an unquoted location from its file's text.
    pub fn quote(&mut self, sources: &mut Sources) {
        if self.snippet.is_empty()
            && self.line >= 1
            && let Some(src) = sources.get(&self.path)
            && src.line_count() >= self.line
        {
            self.snippet = src.snippet(self.line, self.end_line);
        }
    }
}

impl PartialEq for Location {
    fn eq(&self, other: &Self) -> bool {
        self.position() == other.position()
    }
}

impl Eq for Location {}

impl PartialOrd for Location {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Location {
    fn cmp(&self, other: &Self) -> Ordering {
        self.position().cmp(&other.position())
    }
}

/// The evidence files of a report, read once each (read-only), by root-relative path.
pub struct Sources<'a> {
    root: &'a Path,
    files: BTreeMap<String, Option<SourceText>>,
}

impl<'a> Sources<'a> {
    pub fn new(root: &'a Path) -> Self {
        Sources {
            root,
            files: BTreeMap::new(),
        }
    }

    pub fn get(&mut self, rel: &str) -> Option<&SourceText> {
        let root = self.root;
        self.files
            .entry(rel.to_string())
            .or_insert_with(|| read(root, rel))
            .as_ref()
    }
}

/// A file under the root, read-only; None for what the walk would not have scanned (a
/// symlink, a file over its size limit, a path leaving the root).
fn read(root: &Path, rel: &str) -> Option<SourceText> {
    if rel.split('/').any(|c| c == "..") {
        return None;
    }
    let path = root.join(rel);
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(&path).ok()?;
    Some(SourceText::new(
        String::from_utf8_lossy(&bytes).into_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::{Location, SourceText, Sources};

    #[test]
    fn a_position_inside_a_character_is_that_character() {
        let src = SourceText::new("x\naé".to_string());
        assert_eq!(src.position(3), (2, 2));
        assert_eq!(src.position(4), (2, 2));
        assert_eq!(src.position(99), (2, 3));
    }

    #[test]
    fn an_unquoted_location_is_quoted_from_its_file_and_equals_its_quoted_twin() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(dir.path().join("src")).expect("mkdir");
        let text = "a();\n  function book(slot) {\n    return slot;\n  }\n";
        std::fs::write(dir.path().join("src/a.ts"), text).expect("write");
        let mut loc = Location {
            path: "src/a.ts".into(),
            line: 2,
            column: 3,
            end_line: 4,
            snippet: String::new(),
        };
        let quoted = Location {
            snippet: SourceText::new(text.into()).snippet(2, 4),
            ..loc.clone()
        };
        assert_eq!(loc, quoted, "locations compare by position");
        let mut sources = Sources::new(dir.path());
        loc.quote(&mut sources);
        assert_eq!(loc.snippet, "function book(slot) {\nreturn slot;\n}");
        assert_eq!(loc.snippet, quoted.snippet);
        // A location in a file that is gone stays unquoted.
        let mut gone = Location {
            path: "src/b.ts".into(),
            ..loc.clone()
        };
        gone.snippet.clear();
        gone.quote(&mut sources);
        assert!(gone.snippet.is_empty());
    }
}
