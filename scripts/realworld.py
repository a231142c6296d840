#!/usr/bin/env python3
"""Agreement between booking-audit and hand labels on real repositories.

Usage: scripts/realworld.py [CHECKOUTS_DIR] [--bin PATH] [--only CHECK,...] [--repo NAME]

For each tests/realworld/labels/<owner>__<name>.json whose checkout exists at
CHECKOUTS_DIR/<owner>__<name> (default: $BOOKING_AUDIT_REAL or ../real), runs the tool with
--format json and prints agreement per repository, per check and overall, then every
disagreement with the label's reason and the tool's detail. Repositories that are not
present are skipped, so this is a tool for developers, not a CI test.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkouts", nargs="?", default=os.environ.get("BOOKING_AUDIT_REAL", os.path.join(ROOT, "..", "real")))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "booking-audit"))
    ap.add_argument("--only", default="", help="comma-separated check ids")
    ap.add_argument("--repo", default="", help="only this <owner>__<name>")
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    only = set(filter(None, args.only.split(",")))
    labels_dir = os.path.join(ROOT, "tests", "realworld", "labels")
    per_check = defaultdict(lambda: [0, 0])
    total = [0, 0]
    disagreements = []
    for name in sorted(os.listdir(labels_dir)):
        if not name.endswith(".json"):
            continue
        repo = name[:-5]
        if args.repo and repo != args.repo:
            continue
        checkout = os.path.join(args.checkouts, repo)
        if not os.path.isdir(checkout):
            print(f"{repo:45} skipped (no checkout at {checkout})")
            continue
        labels = json.load(open(os.path.join(labels_dir, name)))
        t0 = time.time()
        out = subprocess.run([args.bin, checkout, "--format", "json", "--fail-on", "never"], capture_output=True, text=True)
        elapsed = time.time() - t0
        if out.returncode != 0:
            print(f"{repo:45} tool failed ({out.returncode}): {out.stderr[:300]}")
            continue
        report = json.loads(out.stdout)
        got = {c["short_id"]: c for c in report["checks"]}
        agree = n = 0
        for check, label in labels["checks"].items():
            if only and check not in only:
                continue
            tool = got.get(check)
            if tool is None:
                continue
            n += 1
            ok = tool["verdict"] == label["verdict"]
            agree += ok
            per_check[check][0] += ok
            per_check[check][1] += 1
            if not ok:
                disagreements.append((repo, check, label, tool))
        total[0] += agree
        total[1] += n
        pct = 100.0 * agree / n if n else 0.0
        print(f"{repo:45} {agree:2}/{n:2} ({pct:5.1f}%)  {elapsed:5.2f}s  {report['summary']['files_scanned']} files")
    print()
    for check in sorted(per_check, key=lambda c: (per_check[c][0] / per_check[c][1], c)):
        a, n = per_check[check]
        print(f"  {check:32} {a}/{n} ({100.0 * a / n:5.1f}%)")
    if total[1]:
        print(f"\noverall: {total[0]}/{total[1]} ({100.0 * total[0] / total[1]:.1f}%)")
    if disagreements:
        print("\ndisagreements:")
        for repo, check, label, tool in disagreements:
            print(f"- {repo} {check}: label {label['verdict']}, tool {tool['verdict']}")
            print(f"    label: {label['why'][:300]}")
            print(f"    tool:  {tool['detail'][:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
