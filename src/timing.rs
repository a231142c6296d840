//! Phase timings on stderr when `BOOKING_AUDIT_TIMINGS` is set: where a run spends its time,
//! for the benchmark and for profiling without a profiler. Off, it costs one env lookup.

use std::sync::OnceLock;
use std::time::Instant;

fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("BOOKING_AUDIT_TIMINGS").is_some())
}

/// Runs `f`, and when timings are on prints how long it took under `name`.
pub fn phase<T>(name: &str, f: impl FnOnce() -> T) -> T {
    if !enabled() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    eprintln!(
        "timing {name:<16} {:>9.3} ms",
        start.elapsed().as_secs_f64() * 1e3
    );
    out
}
