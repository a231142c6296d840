#!/usr/bin/env python3
"""Syntax warnings on real repositories, checked against TypeScript's own parser.

Usage:
  scripts/syntax-warnings.py [CHECKOUTS_DIR] [--bin PATH] [--tsc-dir DIR]

Runs the tool (--format json) on every repository directory under CHECKOUTS_DIR (default:
$BOOKING_AUDIT_REAL or ../real), collects each file reported with a syntax warning, and parses
those files with TypeScript (`ts.createSourceFile`, then `parseDiagnostics`). Prints each file
as `accepted` (TypeScript finds no syntax error: a false warning of ours) or `rejected` (with
TypeScript's first error), and the totals. Exits 1 if TypeScript accepts any reported file.

TypeScript 5 must be installed with npm outside the repositories, e.g.
`mkdir -p /tmp/tsc && cd /tmp/tsc && npm install typescript@5`, then `--tsc-dir /tmp/tsc`
(the 7.x package is the native compiler without the JavaScript API).
"""
import argparse
import json
import os
import subprocess
import sys

CHECK_JS = r"""
const ts = require(process.argv[1]);
const fs = require('fs');
for (const f of process.argv.slice(2)) {
  const text = fs.readFileSync(f, 'utf8');
  const kind = f.endsWith('.tsx') ? ts.ScriptKind.TSX
    : /\.(jsx|js|mjs|cjs)$/.test(f) ? ts.ScriptKind.JSX : ts.ScriptKind.TS;
  const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true, kind);
  const d = sf.parseDiagnostics;
  if (d.length === 0) { console.log(JSON.stringify([f, null])); continue; }
  const p = sf.getLineAndCharacterOfPosition(d[0].start);
  console.log(JSON.stringify([f, (p.line + 1) + ': ' + ts.flattenDiagnosticMessageText(d[0].messageText, ' ')]));
}
"""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("checkouts", nargs="?",
                    default=os.environ.get("BOOKING_AUDIT_REAL", os.path.join(here, "..", "..", "real")))
    ap.add_argument("--bin", default=os.path.join(here, "..", "target", "release", "booking-audit"))
    ap.add_argument("--tsc-dir", default="/tmp/tsc")
    a = ap.parse_args()
    ts_module = os.path.join(os.path.abspath(a.tsc_dir), "node_modules", "typescript")
    reported = []
    for name in sorted(os.listdir(a.checkouts)):
        repo = os.path.join(a.checkouts, name)
        if not os.path.isdir(repo):
            continue
        out = subprocess.run([a.bin, repo, "--format", "json", "--fail-on", "never"],
                             capture_output=True, text=True)
        report = json.loads(out.stdout)
        for e in report["errors"]:
            if e["message"].startswith("syntax errors") and not e["path"].endswith(".prisma"):
                reported.append(os.path.join(repo, e["path"]))
    accepted = 0
    if reported:
        res = subprocess.run(["node", "-e", CHECK_JS, ts_module] + reported,
                             capture_output=True, text=True, check=True)
        for line in res.stdout.splitlines():
            path, err = json.loads(line)
            rel = os.path.relpath(path, a.checkouts)
            if err is None:
                accepted += 1
                print(f"accepted  {rel}")
            else:
                print(f"rejected  {rel}  (TypeScript: {err})")
    print(f"{len(reported)} files with syntax warnings; TypeScript accepts {accepted}, "
          f"rejects {len(reported) - accepted}")
    sys.exit(1 if accepted else 0)


if __name__ == "__main__":
    main()
