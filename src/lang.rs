//! Source languages the auditor understands and their tree-sitter grammars.

use serde::Deserialize;
use std::path::Path;

/// A language a file is parsed as. `Manifest` is package.json, read with serde, not tree-sitter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ts,
    Tsx,
    Js,
    Prisma,
    Sql,
    Manifest,
}

impl Lang {
    pub fn from_path(path: &Path) -> Option<Lang> {
        let name = path.file_name()?.to_str()?;
        if name == "package.json" {
            return Some(Lang::Manifest);
        }
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "ts" | "mts" | "cts" => {
                if name.ends_with(".d.ts") {
                    return None;
                }
                Lang::Ts
            }
            "tsx" => Lang::Tsx,
            "js" | "jsx" | "mjs" | "cjs" => Lang::Js,
            "prisma" => Lang::Prisma,
            "sql" => Lang::Sql,
            _ => return None,
        })
    }

    pub fn grammar(self) -> Option<tree_sitter::Language> {
        Some(match self {
            Lang::Ts => tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into(),
            Lang::Tsx => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Lang::Js => tree_sitter_javascript::LANGUAGE.into(),
            Lang::Prisma => tree_sitter_prisma::LANGUAGE.into(),
            Lang::Sql => tree_sitter_sequel::LANGUAGE.into(),
            Lang::Manifest => return None,
        })
    }

    /// TS, TSX and JS share the code model (functions, calls, imports).
    pub fn is_code(self) -> bool {
        matches!(self, Lang::Ts | Lang::Tsx | Lang::Js)
    }

    pub const PARSED: [Lang; 5] = [Lang::Ts, Lang::Tsx, Lang::Js, Lang::Prisma, Lang::Sql];

    pub fn name(self) -> &'static str {
        match self {
            Lang::Ts => "ts",
            Lang::Tsx => "tsx",
            Lang::Js => "js",
            Lang::Prisma => "prisma",
            Lang::Sql => "sql",
            Lang::Manifest => "manifest",
        }
    }
}
