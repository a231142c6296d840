#!/usr/bin/env python3
"""Parse rate of SQL parsers on the migration files of real repositories.

Usage:
  scripts/sql-parsers.py [CHECKOUTS_DIR] [--markdown]

Splits every .sql file under each repository of CHECKOUTS_DIR (default: $BOOKING_AUDIT_REAL
or ../real; node_modules and .git skipped) into statements (quotes, dollar quotes, comments
and COPY ... FROM stdin data respected; psql meta-commands such as `\\connect` are not SQL and
not counted), then parses each statement alone with:

- tree-sitter-sequel (the grammar booking-audit uses): no ERROR or MISSING node;
- sqlparser-rs, PostgreSQL and MySQL dialects: Parser::parse_sql succeeds;
- pg_query (libpg_query, PostgreSQL's own parser) through the pglast Python package;
- pg_query, else sqlparser-rs MySQL (a combination for repositories of either dialect).

tree-sitter-sequel and sqlparser-rs run in scripts/sql-parsers/, a throwaway Rust program
built on first use (cargo build --release; not part of booking-audit). pglast must be
importable: `python3 -m venv /tmp/pgvenv && /tmp/pgvenv/bin/pip install pglast`, then run
this script with /tmp/pgvenv/bin/python. Prints files, statements and the parsed share per
parser, per repository and in total (--markdown: as the table of docs/sql-parsers.md).
"""
import argparse
import json
import os
import re
import subprocess
import sys

import pglast

PARSERS = ["tree-sitter-sequel", "sqlparser (PostgreSQL)", "sqlparser (MySQL)", "pg_query",
           "pg_query or sqlparser (MySQL)"]


def split_statements(text):
    """Statements of a SQL file, each without its `;`."""
    out = []
    i, n, start = 0, len(text), 0
    at_line_start = True

    def flush(end):
        s = text[start:end]
        if strip_comments(s).strip():
            out.append(s.strip())

    while i < n:
        c = text[i]
        if at_line_start and not strip_comments(text[start:i]).strip() and c == "\\":
            # psql meta-command: to the end of the line, not SQL.
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
            start = i
            continue
        at_line_start = c == "\n"
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c in "'\"`":
            escapes = c == "'" and i > 0 and text[i - 1] in "eE"
            i += 1
            while i < n:
                if escapes and text[i] == "\\":
                    i += 2
                    continue
                if text[i] == c:
                    if text.startswith(c * 2, i):
                        i += 2
                        continue
                    break
                i += 1
            i += 1
        elif c == "$":
            m = re.compile(r"\$([A-Za-z_]\w*)?\$").match(text, i)
            if m and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
                j = text.find(m.group(0), m.end())
                i = n if j < 0 else j + len(m.group(0))
            else:
                i += 1
        elif c == ";":
            stmt = text[start:i]
            flush(i)
            i += 1
            if re.search(r"(?is)\bcopy\b.*\bfrom\s+stdin\b", strip_comments(stmt)):
                j = text.find("\n\\.", i)
                i = n if j < 0 else j + 3
            start = i
            at_line_start = False
        else:
            i += 1
    flush(n)
    return out


def strip_comments(s):
    return re.sub(r"--[^\n]*|/\*.*?\*/", "", s, flags=re.S)


def pg_query_parses(stmt):
    try:
        pglast.parser.parse_sql_json(stmt)
        return True
    except Exception:
        return False


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("checkouts", nargs="?",
                    default=os.environ.get("BOOKING_AUDIT_REAL", os.path.join(here, "..", "..", "real")))
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    tool_dir = os.path.join(here, "sql-parsers")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=tool_dir, check=True)
    tool = os.path.join(tool_dir, "target", "release", "sql-parsers")
    if os.environ.get("CARGO_TARGET_DIR"):
        tool = os.path.join(os.environ["CARGO_TARGET_DIR"], "release", "sql-parsers")

    rows = []
    for name in sorted(os.listdir(a.checkouts)):
        repo = os.path.join(a.checkouts, name)
        files = []
        for d, dirs, fs in os.walk(repo):
            dirs[:] = sorted(x for x in dirs if x not in ("node_modules", ".git"))
            files += [os.path.join(d, f) for f in sorted(fs) if f.endswith(".sql")]
        if not files:
            continue
        stmts = []
        for f in files:
            with open(f, encoding="utf-8", errors="replace") as fh:
                stmts += split_statements(fh.read())
        feed = "".join(json.dumps(s + ";") + "\n" for s in stmts)
        res = subprocess.run([tool], input=feed, capture_output=True, text=True, check=True)
        rust = [json.loads(l) for l in res.stdout.splitlines()]
        counts = [0] * len(PARSERS)
        for s, r in zip(stmts, rust):
            pg = pg_query_parses(s + ";")
            for k, ok in enumerate(r + [pg, pg or r[2]]):
                counts[k] += ok
        rows.append((name, len(files), len(stmts), counts))

    total = ("total", sum(r[1] for r in rows), sum(r[2] for r in rows),
             [sum(r[3][k] for r in rows) for k in range(len(PARSERS))])
    pct = lambda c, s: f"{100 * c / s:.1f}%" if s else "-"
    if a.markdown:
        print("| repository | files | statements | " + " | ".join(PARSERS) + " |")
        print("|---|---:|---:|" + "---:|" * len(PARSERS))
        for name, nf, ns, c in rows + [total]:
            name = f"**{name}**" if name == "total" else f"`{name}`"
            print(f"| {name} | {nf} | {ns} | " + " | ".join(pct(x, ns) for x in c) + " |")
    else:
        print(f"{'repository':50} {'files':>5} {'stmts':>6} " + " ".join(f"{p[:22]:>22}" for p in PARSERS))
        for name, nf, ns, c in rows + [total]:
            print(f"{name:50} {nf:5} {ns:6} " + " ".join(f"{pct(x, ns):>22}" for x in c))


if __name__ == "__main__":
    sys.exit(main())
