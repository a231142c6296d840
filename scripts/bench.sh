#!/usr/bin/env bash
# Speed figures (issue 30): cold and warm audits of a generated monorepo, a 10-file repository
# and a real repository, with wall time, CPU time and peak RSS, side by side with ast-grep (24
# syntax-only rules, benches/astgrep) when it is on PATH. Prints figures, asserts none.
#
# usage: scripts/bench.sh [REPO]
#   REPO            a real checkout to measure too (read only)
#   BIN             the binary [default: target/release/booking-audit, built first]
#   RUNS            runs per figure, alternating booking-audit and ast-grep [default: 5]
#   BENCH_FILES     size of the generated monorepo [default: 5000]
#   THREADS         --threads for booking-audit, --threads for ast-grep [default: all cores]
# ast-grep: npm install -g --prefix DIR @ast-grep/cli, then put DIR/bin on PATH (a plain -g
# clashes with the system `sg`).
#
# cold: --no-cache, the page cache warmed by one unmeasured run. warm: a second run with the
# fact cache (a temporary --cache-dir) filled by a first. Each figure is the median of RUNS;
# the ratio is the median of the alternating pairs' ratios, so machine load hits both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=${1:-}
RUNS=${RUNS:-5}
FILES=${BENCH_FILES:-5000}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=target/release/booking-audit
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The generator lives with the benchmarks (benches/support/synth.rs), not in the binary.
BENCH_GENERATE="$tmp/gen" BENCH_SIZES="$FILES" cargo bench --quiet --bench scale >/dev/null
repos=("$tmp/gen/repo-$FILES" "$tmp/gen/repo-10")
[ -n "$REPO" ] && repos+=("$REPO")
python3 - "$BIN" "$RUNS" "${THREADS:-}" "$tmp/cache" "$PWD/benches/astgrep/sgconfig.yml" "${repos[@]}" <<'PY'
import os, shutil, statistics, subprocess, sys, time
binary, runs, threads, cache, sgconfig, repos = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:]
astgrep = shutil.which("ast-grep")

def run(cmd):
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one run."""
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024

def med(rs):
    return tuple(statistics.median(r[i] for r in rs) for i in range(2)) + (max(r[2] for r in rs),)

def files(repo):
    n = 0
    for d, dirs, fs in os.walk(repo):
        dirs[:] = [x for x in dirs if x not in ("node_modules", ".git")]
        n += sum(f.endswith((".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")) for f in fs)
    return n

j = ["--threads", threads] if threads else []
print(f"median of {runs} runs; threads: {threads or 'all cores'}; ast-grep: {astgrep or 'not on PATH'}")
print(f"{'repository':<34} {'files':>6} | {'cold s':>7} {'cpu s':>6} {'RSS MiB':>7} | "
      f"{'warm s':>7} {'/cold':>5} {'RSS MiB':>7} | {'ast-grep s':>10} {'RSS MiB':>7} {'ratio':>5}")
for repo in repos:
    cold_cmd = [binary, "--format", "json", "--no-cache", *j, repo]
    warm_cmd = [binary, "--format", "json", "--cache-dir", cache, *j, repo]
    sg_cmd = ["ast-grep", "scan", "-c", sgconfig, "--json=stream", *j, repo]
    run(cold_cmd)  # the page cache
    if astgrep:
        run(sg_cmd)
    cold, sg, ratios = [], [], []
    for _ in range(runs):
        cold.append(run(cold_cmd))
        if astgrep:
            sg.append(run(sg_cmd))
            ratios.append(cold[-1][0] / sg[-1][0])
    run(warm_cmd)  # fills the fact cache
    warm = [run(warm_cmd) for _ in range(runs)]
    c, w = med(cold), med(warm)
    side = f"{med(sg)[0]:>10.3f} {med(sg)[2]:>7.1f} {statistics.median(ratios):>5.2f}" if astgrep else ""
    name = os.path.basename(os.path.normpath(repo))[:34]
    print(f"{name:<34} {files(repo):>6} | {c[0]:>7.3f} {c[1]:>6.2f} {c[2]:>7.1f} | "
          f"{w[0]:>7.3f} {w[0] / c[0]:>5.2f} {w[2]:>7.1f} | {side}")
PY
