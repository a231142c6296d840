//! A scanned file's text with a line index, and the evidence locations quoted from it.

use serde::Serialize;

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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
}

#[cfg(test)]
mod tests {
    use super::SourceText;

    #[test]
    fn a_position_inside_a_character_is_that_character() {
        let src = SourceText::new("x\naé".to_string());
        assert_eq!(src.position(3), (2, 2));
        assert_eq!(src.position(4), (2, 2));
        assert_eq!(src.position(99), (2, 3));
    }
}
