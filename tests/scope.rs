//! `--explain-scope`: what the audit leaves out, each with its reason (CHECKS.md edge case 18).

mod common;
use common::*;

fn repo() -> tempfile::TempDir {
    dir_with(&[
        (
            "package.json",
            r#"{"name": "scope", "dependencies": {"@prisma/client": "^5.0.0", "express": "^4.19.0"}}"#,
        ),
        (
            "src/routes.js",
            "const r = require('express').Router();\nr.post('/bookings', async (req, res) => res.json(await prisma.booking.create({ data: req.body })));\nmodule.exports = r;\n",
        ),
        ("src/routes.test.js", "test('x', () => {});\n"),
        ("tests/e2e.js", "run();\n"),
        (
            "prisma/seeds/bookings.js",
            "prisma.booking.create({ data: {} });\n",
        ),
        (
            "scripts/backfill.js",
            "prisma.booking.updateMany({ data: {} });\n",
        ),
        (
            "src/db/migrations/001-bookings.js",
            "exports.up = (knex) => knex.schema.createTable('bookings', (t) => t.increments());\n",
        ),
        ("node_modules/x/index.js", "module.exports = 1;\n"),
        ("legacy/old.js", "module.exports = 2;\n"),
    ])
}

#[test]
fn explain_scope_lists_each_left_out_path_with_its_reason() {
    let dir = repo();
    let out = run(&[
        dir.path().to_str().unwrap(),
        "--explain-scope",
        "--exclude",
        "legacy/**",
        "--no-cache",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for (path, reason) in [
        ("src/routes.test.js", "a test"),
        ("tests/", "tests folder"),
        ("prisma/seeds/", "seeds folder"),
        ("scripts/backfill.js", "one-off script"),
        ("src/db/migrations/001-bookings.js", "no flow starts here"),
        ("legacy/old.js", "exclude glob"),
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(path))
            .unwrap_or_else(|| panic!("{path} not listed:\n{text}"));
        assert!(line.contains(reason), "{path}: {line}");
    }
    // Dependencies are not listed; the audited route is not either.
    assert!(!text.contains("node_modules"), "{text}");
    assert!(!text.contains("src/routes.js "), "{text}");
    assert!(text.contains("6 left out of the audit"), "{text}");
}

#[test]
fn explain_scope_as_json() {
    let dir = repo();
    let out = run(&[
        dir.path().to_str().unwrap(),
        "--explain-scope",
        "--format",
        "json",
        "--no-cache",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    let items = v.as_array().expect("an array");
    assert_eq!(items.len(), 5, "{v}");
    assert!(
        items
            .iter()
            .all(|i| i["path"].is_string() && i["reason"].is_string())
    );
}

#[test]
fn explain_scope_lists_an_export_no_module_imports() {
    let dir = dir_with(&[
        (
            "package.json",
            r#"{"name": "unused-export", "dependencies": {"@prisma/client": "^5.0.0", "express": "^4.19.0"}}"#,
        ),
        (
            "src/repo.ts",
            "import { PrismaClient } from '@prisma/client';\nconst prisma = new PrismaClient();\nexport async function insertBooking(data: any) { return prisma.booking.create({ data }); }\nexport async function legacyBook(data: any) { return prisma.booking.create({ data }); }\n",
        ),
        (
            "src/routes.ts",
            "import express from 'express';\nimport { insertBooking } from './repo';\nexport const r = express.Router();\nr.post('/bookings', async (req, res) => res.json(await insertBooking(req.body)));\n",
        ),
    ]);
    let out = run(&[
        dir.path().to_str().unwrap(),
        "--explain-scope",
        "--no-cache",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.starts_with("src/repo.ts:4 legacyBook"))
        .unwrap_or_else(|| panic!("legacyBook not listed:\n{text}"));
    assert!(line.contains("imported by no module"), "{line}");
    // The imported export is judged, so it is not listed.
    assert!(!text.contains("insertBooking"), "{text}");
}
