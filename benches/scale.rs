//! `cargo bench`: audits generated booking monorepos of 1k, 5k and 20k files and prints, for
//! each, the full audit against a parse-only baseline (walk, read and parse, no rules),
//! files/s, MB/s, their ratio, peak RSS and the scaling from the smallest to the largest; then
//! the end-to-end time of a 10-file repository, process start included. Audits are cold
//! (`--no-cache`), and then warm: a second run with the fact cache filled by a first. It prints
//! figures and asserts none: timings depend on the machine. `scripts/bench.sh` adds a real
//! repository and ast-grep side by side.
//!
//! A second baseline, parse + visit, also walks every tree once with a cursor and does nothing
//! else: its ratio to parse-only (`floor`) is the least any extraction that reads whole trees
//! can reach, before it matches a single pattern.
//!
//! Each figure is the median of `BENCH_RUNS` runs (default 3; 15 for the 10-file repository).
//! `BENCH_SIZES=1000,5000` picks other sizes; `BENCH_THREADS=N` passes `--threads N`;
//! `BENCH_GENERATE=DIR` only writes the repositories under DIR.

#[path = "support/parse_only.rs"]
mod parse_only;
#[path = "support/synth.rs"]
mod synth;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The first argument that makes this binary the parse-only baseline's child process
/// (support/parse_only.rs) instead of the benchmark.
const PARSE_ONLY: &str = "--parse-only-baseline";

/// One run of the binary: wall time, CPU time and peak resident memory.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

// The child is reaped by wait4 in `wait_with_usage`, which also reads its rusage.
#[allow(clippy::zombie_processes)]
fn run_once(args: &[&str]) -> Run {
    let program = if args.first() == Some(&PARSE_ONLY) {
        std::env::current_exe().expect("the benchmark's own path")
    } else {
        PathBuf::from(env!("CARGO_BIN_EXE_booking-audit"))
    };
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("booking-audit starts");
    let (cpu, peak_rss_kib) = wait_with_usage(child.id());
    Run {
        wall: start.elapsed(),
        cpu,
        peak_rss_kib,
    }
}

/// Waits for the child and reads its own resource usage (not the benchmark's).
fn wait_with_usage(pid: u32) -> (Duration, u64) {
    let mut status = 0;
    // SAFETY: rusage is plain data that wait4 fills in; pid is our unwaited child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    assert_eq!(rc, pid as libc::pid_t, "wait4 on the benchmarked child");
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    // Linux reports ru_maxrss in KiB.
    (
        tv(usage.ru_utime) + tv(usage.ru_stime),
        usage.ru_maxrss as u64,
    )
}

/// The median run by wall time; the peak RSS is the largest seen.
fn median(args: &[&str], runs: usize) -> Run {
    let mut all: Vec<Run> = (0..runs).map(|_| run_once(args)).collect();
    let peak = all.iter().map(|r| r.peak_rss_kib).max().unwrap_or(0);
    all.sort_by_key(|r| r.wall);
    Run {
        peak_rss_kib: peak,
        ..all[all.len() / 2]
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(PARSE_ONLY) {
        parse_only::child(&args[2..]);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too, so a plain
    // test run does nothing.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    // `BENCH_GENERATE=DIR` writes the repositories (repo-10 and one per size) under DIR and
    // stops: for profiling one of them by hand.
    let generate_only = std::env::var_os("BENCH_GENERATE");
    let sizes: Vec<usize> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "1000,5000,20000".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if let Some(dir) = generate_only {
        let dir = Path::new(&dir);
        for n in std::iter::once(10).chain(sizes.iter().copied()) {
            let d = dir.join(format!("repo-{n}"));
            let stats = synth::generate(&d, n, 1).expect("generate repository");
            println!("{}: {} files", d.display(), stats.files);
        }
        return;
    }
    let runs = env_usize("BENCH_RUNS", 3).max(1);
    let threads = std::env::var("BENCH_THREADS").ok();
    let tmp = tempfile::tempdir().expect("temp dir");
    let with_threads = |mut a: Vec<String>| {
        if let Some(t) = &threads {
            a.extend(["--threads".to_string(), t.clone()]);
        }
        a
    };
    println!(
        "booking-audit scale benchmark: median of {runs} runs, threads: {}",
        threads.as_deref().unwrap_or("all cores")
    );
    println!(
        "{:>7} {:>8} | {:>10} {:>9} | {:>8} | {:>10} {:>9} {:>8} {:>9} | {:>6} {:>6} {:>10} | {:>8} {:>5}",
        "files",
        "MB",
        "parse ms",
        "parse cpu",
        "visit ms",
        "audit ms",
        "audit cpu",
        "files/s",
        "MB/s",
        "ratio",
        "floor",
        "peak RSS",
        "warm ms",
        "/cold"
    );
    let mut audits = Vec::new();
    for &n in &sizes {
        let dir = tmp.path().join(format!("repo-{n}"));
        let stats = synth::generate(&dir, n, 1).expect("generate repository");
        let d = dir.to_string_lossy().to_string();
        let parse_args = with_threads(vec![PARSE_ONLY.into(), d.clone()]);
        let visit_args = with_threads(vec![PARSE_ONLY.into(), d.clone(), "--visit-trees".into()]);
        let audit_args = with_threads(vec![
            d.clone(),
            "--format".into(),
            "json".into(),
            "--no-cache".into(),
        ]);
        let cache = tmp.path().join("cache").to_string_lossy().to_string();
        let warm_args = with_threads(vec![
            d.clone(),
            "--format".into(),
            "json".into(),
            "--cache-dir".into(),
            cache,
        ]);
        // One unmeasured run warms the page cache for all three.
        run_once(&strs(&audit_args));
        let parse = median(&strs(&parse_args), runs);
        let visit = median(&strs(&visit_args), runs);
        let audit = median(&strs(&audit_args), runs);
        run_once(&strs(&warm_args));
        let warm = median(&strs(&warm_args), runs);
        let mb = stats.bytes as f64 / 1e6;
        println!(
            "{:>7} {:>8.1} | {:>10.0} {:>9.0} | {:>8.0} | {:>10.0} {:>9.0} {:>8.0} {:>9.2} | {:>6.2} {:>6.2} {:>6.1} MiB | {:>8.0} {:>5.2}",
            stats.files,
            mb,
            ms(parse.wall),
            ms(parse.cpu),
            ms(visit.wall),
            ms(audit.wall),
            ms(audit.cpu),
            stats.files as f64 / audit.wall.as_secs_f64(),
            mb / audit.wall.as_secs_f64(),
            audit.wall.as_secs_f64() / parse.wall.as_secs_f64(),
            visit.wall.as_secs_f64() / parse.wall.as_secs_f64(),
            audit.peak_rss_kib as f64 / 1024.0,
            ms(warm.wall),
            warm.wall.as_secs_f64() / audit.wall.as_secs_f64(),
        );
        audits.push((n, audit));
        let _ = std::fs::remove_dir_all(&dir);
    }
    if let (Some((n0, a0)), Some((n1, a1))) = (audits.first(), audits.last())
        && n1 > n0
    {
        println!(
            "scaling {n0} -> {n1} files ({}x the files): audit time x{:.2}, CPU x{:.2}",
            n1 / n0,
            a1.wall.as_secs_f64() / a0.wall.as_secs_f64(),
            a1.cpu.as_secs_f64() / a0.cpu.as_secs_f64()
        );
    }
    small_repo(tmp.path(), &with_threads);
}

/// A pre-commit-sized repository: end to end, process start included.
fn small_repo(tmp: &Path, with_threads: &dyn Fn(Vec<String>) -> Vec<String>) {
    let dir = tmp.join("repo-10");
    let stats = synth::generate(&dir, 10, 1).expect("generate repository");
    let args = with_threads(vec![
        dir.to_string_lossy().to_string(),
        "--format".into(),
        "json".into(),
        "--no-cache".into(),
    ]);
    let args = strs(&args);
    run_once(&args);
    let runs = env_usize("BENCH_RUNS_SMALL", 15).max(1);
    let r = median(&args, runs);
    println!(
        "{}-file repository, end to end: {:.1} ms (median of {runs}), CPU {:.1} ms, peak RSS {:.1} MiB",
        stats.files,
        ms(r.wall),
        ms(r.cpu),
        r.peak_rss_kib as f64 / 1024.0
    );
}
