//! Per-location findings: one per failing flow, each with its own primary line, roles and
//! fingerprint, so a baseline catches a new unguarded route even when its check already
//! failed (issue 27, item 1).

mod common;
use common::{audit, check, copy_fixture, json, run, schema_errors, stdout, write};
use serde_json::Value;
use std::path::Path;

fn findings(c: &Value) -> &Vec<Value> {
    c["findings"].as_array().unwrap()
}

/// The finding whose evidence names `path` (as its primary line or its flow's root).
fn finding_in<'a>(c: &'a Value, path: &str) -> Option<&'a Value> {
    findings(c).iter().find(|f| {
        f["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == path && (e["role"] == "primary" || e["role"] == "flow-root"))
    })
}

/// A knex route inserting a booking with no availability check and no lock.
fn knex_route(name: &str) -> String {
    format!(
        "const db = require(\"../db\");\n\nmodule.exports = async function {name}(fastify) {{\n  fastify.post(\"/{name}\", async (request, reply) => {{\n    const [booking] = await db(\"bookings\").insert({{ slot_id: request.body.slotId, client_email: request.body.email, status: \"pending\" }}).returning(\"*\");\n    return reply.code(201).send(booking);\n  }});\n}};\n"
    )
}

/// A Next.js route of the demo inserting a booking with no availability check and no lock.
fn demo_route(name: &str) -> String {
    format!(
        "import {{ prisma }} from \"@/lib/db\";\n\n/** {name}: books straight away. */\nexport async function POST(req: Request) {{\n  const body = await req.json();\n  const booking = await prisma.booking.create({{ data: {{ sessionId: body.sessionId, name: body.name, email: body.email, status: \"PENDING\" }} }});\n  return Response.json(booking, {{ status: 201 }});\n}}\n"
    )
}

/// The scenario: with one unguarded route in the baseline, a second one is a new
/// finding of the same, already failing, checks; the gate fails; removing the first reports
/// it fixed.
fn new_route_is_new(fixture: &str, checks: &[&str], first: (&str, String), second: (&str, String)) {
    let dir = copy_fixture(fixture);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("baseline.json");
    let f = file.to_str().unwrap();
    write(dir.path(), first.0, &first.1);
    let before = json(&audit(dir.path(), &[]));
    for id in checks {
        let c = check(&before, id);
        assert_eq!(
            c["verdict"], "fail",
            "{fixture}: {id} fails with the first route"
        );
        assert!(finding_in(c, first.0).is_some(), "{fixture}: {id}: {c:#}");
    }
    assert_eq!(
        audit(dir.path(), &["--write-baseline", f]).status.code(),
        Some(0)
    );
    let o = audit(dir.path(), &["--baseline", f]);
    assert_eq!(o.status.code(), Some(0), "{fixture}: nothing new yet");

    write(dir.path(), second.0, &second.1);
    let o = audit(dir.path(), &["--baseline", f]);
    let r = json(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{fixture}: the new route fails the gate"
    );
    assert!(schema_errors("schema/report.schema.json", &r).is_empty());
    for id in checks {
        let c = check(&r, id);
        assert_eq!(c["baseline"], "updated", "{fixture}: {id}");
        let new = finding_in(c, second.0).unwrap_or_else(|| panic!("{fixture}: {id}: {c:#}"));
        assert_eq!(new["baseline"], "new", "{fixture}: {id}");
        assert_eq!(new["evidence"][0]["role"], "primary");
        assert_eq!(
            new["evidence"][0]["path"], second.0,
            "the insert is the primary line"
        );
        let old = finding_in(c, first.0).unwrap();
        assert_eq!(old["baseline"], "unchanged", "{fixture}: {id}");
        assert_ne!(old["fingerprint"], new["fingerprint"]);
    }
    // The text report names the new location and its role.
    let text = stdout(&run(&[dir.path().to_str().unwrap(), "--baseline", f]));
    assert!(
        text.contains(&format!("{}:", second.0)) && text.contains("(new)"),
        "{text}"
    );
    assert!(
        text.contains("primary") && text.contains("flow-root"),
        "{text}"
    );

    // The first route removed: its findings are fixed, the second's still new.
    std::fs::remove_file(dir.path().join(first.0)).unwrap();
    let r = json(&audit(dir.path(), &["--baseline", f]));
    for id in checks {
        let c = check(&r, id);
        let fixed = c["fixed"]
            .as_array()
            .unwrap_or_else(|| panic!("{id}: {c:#}"));
        assert!(fixed.iter().any(|x| x["path"] == first.0), "{id}: {c:#}");
    }
}

#[test]
fn a_new_unguarded_route_is_new_on_a_fixture() {
    new_route_is_new(
        "fixtures/double-booking/knex-for-update",
        &["pessimistic-locking", "conflict-check", "customer-contact"],
        ("src/routes/walkins.js", knex_route("walkins")),
        ("src/routes/imports.js", knex_route("imports")),
    );
}

#[test]
fn a_new_unguarded_route_is_new_on_the_demo() {
    new_route_is_new(
        "fixtures/demo",
        &[
            "overbooking-prevention",
            "pessimistic-locking",
            "conflict-check",
        ],
        ("src/app/api/walkins/route.ts", demo_route("walkins")),
        ("src/app/api/partners/route.ts", demo_route("partners")),
    );
}

#[test]
fn demo_findings_have_roles_and_distinct_fingerprints() {
    let r = json(&audit(Path::new("fixtures/demo"), &[]));
    let c = check(&r, "overbooking-prevention");
    let f = &findings(c)[0];
    let roles: Vec<&str> = f["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles[0], "primary");
    assert!(
        roles.contains(&"flow-root") && roles.contains(&"guard"),
        "{roles:?}"
    );
    // The primary line is the insert, not the capacity check that guards another path.
    assert_eq!(f["evidence"][0]["path"], "src/app/admin/actions.ts");
    let pl = findings(check(&r, "pessimistic-locking"));
    assert_eq!(pl.len(), 2, "one per unlocked create flow");
    assert_ne!(pl[0]["fingerprint"], pl[1]["fingerprint"]);
    // Every failing check has findings; passing and skipped ones none.
    for c in r["checks"].as_array().unwrap() {
        assert_eq!(
            c["verdict"] == "fail",
            !findings(c).is_empty(),
            "{}",
            c["short_id"]
        );
    }
}
