//! The benchmark's baseline: the audit's own walk, read and parse, on a thread pool of the
//! same size, with no rules, queries, model or checks; each tree is dropped once built. With
//! `visit`, each tree's nodes are also visited once with a cursor (reading each kind id): a
//! floor for any extraction that reads whole trees. It lives here, not in the library: the
//! benchmark re-executes itself as a child to run it, so its time and memory are measured as
//! the audit's are.

use booking_audit::{lang::Lang, model::extract, pattern, walk};
use rayon::prelude::*;
use std::path::Path;

/// What the baseline read.
pub struct Stats {
    pub files: usize,
    pub bytes: u64,
    /// Nodes visited, when the trees were walked.
    pub nodes: u64,
}

/// Walks `root` as the audit does, then reads and parses every file on the current pool.
pub fn run(root: &Path, visit: bool) -> Stats {
    let (files, _) = walk::walk(
        root,
        &walk::WalkOptions {
            include: &[],
            exclude: &[],
            config_files: None,
        },
    );
    let (bytes, nodes) = files
        .par_iter()
        .map_init(tree_sitter::Parser::new, |parser, e| {
            let Ok(text) = extract::read_text(e) else {
                return (0, 0);
            };
            let mut nodes = 0;
            if e.lang == Lang::Manifest {
                let _ = serde_json::from_str::<serde_json::Value>(&text);
            } else if let Ok(tree) = extract::parse(e, &text, parser)
                && visit
            {
                nodes = pattern::visit_all(tree.root_node());
            }
            (text.len() as u64, nodes)
        })
        .reduce(|| (0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    Stats {
        files: files.len(),
        bytes,
        nodes,
    }
}

/// The child process: `DIR [--visit-trees] [--threads N]`; prints `files N bytes B` (and
/// `nodes K` with `--visit-trees`).
#[allow(dead_code)] // the tests use `run` only
pub fn child(args: &[String]) {
    let dir = args.first().expect("a directory to parse");
    let visit = args.iter().any(|a| a == "--visit-trees");
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let stats = pool.install(|| run(Path::new(dir), visit));
    println!("files {} bytes {}", stats.files, stats.bytes);
    if visit {
        println!("nodes {}", stats.nodes);
    }
}
