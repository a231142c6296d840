//! Phase timings on stderr when turned on (the CLI does when `BOOKING_AUDIT_TIMINGS` is set):
//! where a run spends its time, for the benchmark and for profiling without a profiler. Off,
//! it costs one atomic load.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

static ON: AtomicBool = AtomicBool::new(false);

/// Turns phase timings on or off for this process.
pub fn enable(on: bool) {
    ON.store(on, Ordering::Relaxed);
}

fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Runs `f`, and when timings are on prints how long it took under `name`.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    eprintln!(
        "timing {name:<16} {:>9.3} ms  rss {:>7} KiB  peak {:>7} KiB",
        start.elapsed().as_secs_f64() * 1e3,
        status_kib(&status, "VmRSS:"),
        status_kib(&status, "VmHWM:")
    );
    out
}

/// A memory figure from /proc/self/status (0 where there is none, as off Linux).
fn status_kib(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// When timings are on, prints a line of figures under `label` (the model's sizes, a check's
/// time).
pub fn note(label: &str, f: impl FnOnce() -> String) {
    if enabled() {
        eprintln!("{label:<6} {}", f());
    }
}

/// Per-file times, kept only when timings are on.
static FILE_TIMES: std::sync::Mutex<Vec<(u128, String)>> = std::sync::Mutex::new(Vec::new());

/// Runs `f` for one file; when timings are on, records how long it took.
pub fn per_file<T>(path: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let nanos = start.elapsed().as_nanos();
    if let Ok(mut v) = FILE_TIMES.lock() {
        v.push((nanos, path.to_string()));
    }
    out
}

/// When timings are on, prints the files that took longest to parse and extract.
pub fn slowest_files() {
    if !enabled() {
        return;
    }
    let Ok(mut v) = FILE_TIMES.lock() else { return };
    v.sort_by(|a, b| b.cmp(a));
    for (nanos, path) in v.iter().take(8) {
        eprintln!("file   {:>9.3} ms  {path}", *nanos as f64 / 1e6);
    }
    v.clear();
}
