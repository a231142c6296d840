//! Warnings and notes about single files (unreadable, too large, unparsable), gathered by
//! every stage and shown by the report. A leaf, so no stage needs the report to make one.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub message: String,
    pub level: Level,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Note,
}

impl Diagnostic {
    pub fn warning(path: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            level: Level::Warning,
        }
    }
    pub fn note(path: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            level: Level::Note,
        }
    }
}
