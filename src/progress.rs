//! A progress line on stderr for long runs: shown only when stderr is a terminal, the run is
//! not `--quiet`, `CI` is unset, and the audit is still going after half a second. It is
//! cleared when the audit ends, so it never mixes with the report.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

/// How long a run goes before the line appears.
const DELAY: Duration = Duration::from_millis(500);

/// Whether a progress line may be shown at all (`in_ci`: the CLI saw `CI` set).
pub fn wanted(quiet: bool, in_ci: bool) -> bool {
    !quiet && !in_ci && std::io::stderr().is_terminal()
}

/// A running progress line; dropping it (when the audit ends) clears it.
pub struct Progress {
    done: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// Starts the progress line for auditing `what`, or nothing when [`wanted`] says no.
pub fn start(what: &str, enabled: bool) -> Progress {
    if !enabled {
        return Progress {
            done: None,
            thread: None,
        };
    }
    let (tx, rx) = mpsc::channel::<()>();
    let what = what.to_string();
    let thread = std::thread::spawn(move || {
        if rx.recv_timeout(DELAY) != Err(mpsc::RecvTimeoutError::Timeout) {
            return;
        }
        let bar =
            indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} booking-audit: auditing {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar.set_message(what);
        bar.enable_steady_tick(Duration::from_millis(120));
        let _ = rx.recv();
        bar.finish_and_clear();
    });
    Progress {
        done: Some(tx),
        thread: Some(thread),
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
