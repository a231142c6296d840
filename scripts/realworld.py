#!/usr/bin/env python3
"""Agreement between booking-audit and hand labels on real repositories.

Usage:
  scripts/realworld.py [CHECKOUTS_DIR] [--bin PATH] [--only CHECK,...] [--repo NAME]
  scripts/realworld.py [CHECKOUTS_DIR] --record-first-contact NAME[,NAME...] --batch N

For each tests/realworld/labels/<owner>__<name>.json whose checkout exists at
CHECKOUTS_DIR/<owner>__<name> (default: $BOOKING_AUDIT_REAL or ../real), runs the tool with
--format json and prints, per repository and overall:

- current agreement (tool verdict == label verdict);
- first-contact agreement, frozen in tests/realworld/first-contact.json (the tool's
  verdicts the first time it met the repository, against the label as first committed);
- high-confidence agreement (only verdicts the label marks `"confidence": "high"`);
- fail precision (share of the tool's fails that the label calls fail);
- skip errors (labelled pass or fail, but the tool skips);

then first-contact agreement per batch and every disagreement with the label's reason and
the tool's detail. Repositories that are not checked out are skipped, so this is a tool for
developers, not a CI test.

`--record-first-contact` appends one entry per named repository to first-contact.json with
the tool's verdicts now. It refuses a repository that already has an entry (entries are
never rewritten), a label that is not committed, or a binary that is not built from HEAD
with a clean engine (src/, rules/), so that `tool_commit` names what produced the verdicts.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = os.path.join(ROOT, "tests", "realworld", "labels")
FIRST_CONTACT = os.path.join(ROOT, "tests", "realworld", "first-contact.json")


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def run_tool(binary, checkout):
    out = subprocess.run([binary, checkout, "--format", "json", "--fail-on", "never"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"tool failed ({out.returncode}): {out.stderr[:300]}")
    return json.loads(out.stdout)


def load_first_contact():
    if not os.path.exists(FIRST_CONTACT):
        return {"repos": []}
    return json.load(open(FIRST_CONTACT))


def committed_label(repo):
    """The label as first committed (first-contact agreement is measured against it)."""
    path = f"tests/realworld/labels/{repo}.json"
    first = git("log", "--diff-filter=A", "--format=%H", "--", path).split()
    if not first:
        return None
    return json.loads(git("show", f"{first[-1]}:{path}"))


def record(args):
    status = git("status", "--porcelain", "--", "src", "rules", "Cargo.toml", "Cargo.lock", "build.rs")
    if status:
        sys.exit(f"the engine has uncommitted changes; commit them first:\n{status}")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--locked"], cwd=ROOT, check=True)
    head = git("rev-parse", "HEAD")
    fc = load_first_contact()
    have = {e["repo"] for e in fc["repos"]}
    for repo in filter(None, args.record_first_contact.split(",")):
        label = committed_label(repo)
        if label is None:
            sys.exit(f"{repo}: label not committed; commit tests/realworld/labels/{repo}.json first")
        if label["repo"] in have:
            sys.exit(f"{repo}: first contact already recorded; entries are never rewritten")
        report = run_tool(args.bin, os.path.join(args.checkouts, repo))
        verdicts = {c["short_id"]: c["verdict"] for c in report["checks"]}
        agree = sum(verdicts.get(k) == v["verdict"] for k, v in label["checks"].items())
        fc["repos"].append({
            "repo": label["repo"],
            "commit": label["commit"],
            "tool_commit": head,
            "batch": args.batch,
            "verdicts": verdicts,
            "agree": agree,
            "total": len(label["checks"]),
        })
        print(f"{repo}: first contact {agree}/{len(label['checks'])}")
    with open(FIRST_CONTACT, "w") as f:
        json.dump(fc, f, indent=2)
        f.write("\n")
    return 0


def pct(a, n):
    return f"{a}/{n} ({100.0 * a / n:5.1f}%)" if n else "-"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkouts", nargs="?", default=os.environ.get("BOOKING_AUDIT_REAL", os.path.join(ROOT, "..", "real")))
    ap.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "booking-audit"))
    ap.add_argument("--only", default="", help="comma-separated check ids")
    ap.add_argument("--repo", default="", help="only this <owner>__<name>")
    ap.add_argument("--record-first-contact", default="", help="comma-separated <owner>__<name>")
    ap.add_argument("--batch", type=int, default=0)
    args = ap.parse_args()
    if args.record_first_contact:
        return record(args)
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    only = set(filter(None, args.only.split(",")))
    fc = {e["repo"]: e for e in load_first_contact()["repos"]}
    per_check = defaultdict(lambda: [0, 0])
    tot = defaultdict(int)
    batches = defaultdict(lambda: [0, 0])
    disagreements = []
    print(f"{'repository':45} {'current':>16} {'first contact':>16} {'high-conf':>16} {'fail prec':>14} skip-err")
    for name in sorted(os.listdir(LABELS)):
        if not name.endswith(".json"):
            continue
        repo = name[:-5]
        if args.repo and repo != args.repo:
            continue
        labels = json.load(open(os.path.join(LABELS, name)))
        entry = fc.get(labels["repo"])
        if entry:
            first = committed_label(repo) or labels
            fa = sum(entry["verdicts"].get(k) == v["verdict"] for k, v in first["checks"].items())
            batches[entry.get("batch", 0)][0] += fa
            batches[entry.get("batch", 0)][1] += len(first["checks"])
            tot["fc_agree"] += fa
            tot["fc_n"] += len(first["checks"])
        checkout = os.path.join(args.checkouts, repo)
        if not os.path.isdir(checkout):
            print(f"{repo:45} skipped (no checkout at {checkout})")
            continue
        t0 = time.time()
        try:
            report = run_tool(args.bin, checkout)
        except RuntimeError as e:
            print(f"{repo:45} {e}")
            continue
        elapsed = time.time() - t0
        got = {c["short_id"]: c for c in report["checks"]}
        r = defaultdict(int)
        for check, label in labels["checks"].items():
            if only and check not in only:
                continue
            tool = got.get(check)
            if tool is None:
                continue
            ok = tool["verdict"] == label["verdict"]
            r["agree"] += ok
            r["n"] += 1
            if label.get("confidence") == "high":
                r["hc_agree"] += ok
                r["hc_n"] += 1
            if tool["verdict"] == "fail":
                r["fails"] += 1
                r["true_fails"] += label["verdict"] == "fail"
            if tool["verdict"] == "skip" and label["verdict"] != "skip":
                r["skip_err"] += 1
            per_check[check][0] += ok
            per_check[check][1] += 1
            if not ok:
                disagreements.append((repo, check, label, tool))
        for k, v in r.items():
            tot[k] += v
        fc_s = f"{entry['agree']}/{entry['total']}" if entry else "-"
        print(f"{repo:45} {pct(r['agree'], r['n']):>16} {fc_s:>16} {pct(r['hc_agree'], r['hc_n']):>16} "
              f"{pct(r['true_fails'], r['fails']):>14} {r['skip_err']:3}  {elapsed:5.2f}s")
    print()
    for check in sorted(per_check, key=lambda c: (per_check[c][0] / per_check[c][1], c)):
        a, n = per_check[check]
        print(f"  {check:32} {pct(a, n)}")
    print()
    print(f"current agreement:         {pct(tot['agree'], tot['n'])}")
    print(f"high-confidence agreement: {pct(tot['hc_agree'], tot['hc_n'])}")
    print(f"fail precision:            {pct(tot['true_fails'], tot['fails'])}")
    print(f"skip errors:               {tot['skip_err']} (labelled pass/fail, tool skip)")
    print(f"first-contact agreement:   {pct(tot['fc_agree'], tot['fc_n'])}")
    for b in sorted(batches):
        print(f"  batch {b}: {pct(*batches[b])}")
    if disagreements:
        print("\ndisagreements:")
        for repo, check, label, tool in disagreements:
            print(f"- {repo} {check}: label {label['verdict']}, tool {tool['verdict']}")
            print(f"    label: {label['why'][:300]}")
            print(f"    tool:  {tool['detail'][:300]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
