//! Reads SQL statements, one JSON string per line on stdin, and prints for each a JSON line
//! `[tree_sitter_sequel, sqlparser_postgres, sqlparser_mysql]`: whether that parser parses the
//! statement without error.
use sqlparser::dialect::{MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;
use std::io::{BufRead, Write};

fn main() {
    let mut ts = tree_sitter::Parser::new();
    ts.set_language(&tree_sitter_sequel::LANGUAGE.into())
        .expect("grammar");
    let stdin = std::io::stdin();
    let mut out = std::io::BufWriter::new(std::io::stdout());
    for line in stdin.lock().lines() {
        let stmt: String = serde_json::from_str(&line.expect("line")).expect("JSON string");
        let sequel = ts
            .parse(&stmt, None)
            .is_some_and(|t| !t.root_node().has_error());
        let pg = Parser::parse_sql(&PostgreSqlDialect {}, &stmt).is_ok();
        let my = Parser::parse_sql(&MySqlDialect {}, &stmt).is_ok();
        writeln!(out, "[{sequel},{pg},{my}]").expect("write");
    }
}
