//! The library's `booking_audit::audit` applies the config, suppression comments and the
//! baseline as the binary does: same report, byte for byte (issue 28, item 4).

mod common;
use common::{audit, copy_fixture, json, stdout, write};
use std::path::Path;

const ROUTE: &str = "src/app/api/bookings/route.ts";

fn insert_at(root: &Path, rel: &str, line: usize, text: &str) {
    let p = root.join(rel);
    let t = std::fs::read_to_string(&p).unwrap();
    let mut lines: Vec<&str> = t.lines().collect();
    lines.insert(line - 1, text);
    std::fs::write(p, lines.join("\n") + "\n").unwrap();
}

#[test]
fn library_audit_gives_the_binarys_report() {
    let dir = copy_fixture("fixtures/demo");
    // A suppression comment, a config that changes a severity, and a baseline written
    // before a new route was added.
    insert_at(
        dir.path(),
        ROUTE,
        22,
        "  // booking-audit-ignore retry-mechanism: the client retries with the same PaymentIntent",
    );
    write(
        dir.path(),
        ".booking-audit.yml",
        "checks:\n  waitlist-handling: medium\n",
    );
    let out = tempfile::tempdir().unwrap();
    let baseline = out.path().join("baseline.json");
    let o = audit(
        dir.path(),
        &["--write-baseline", baseline.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0));
    write(
        dir.path(),
        "src/app/api/walkins/route.ts",
        "import { prisma } from \"@/lib/db\";\nexport async function POST(req: Request) {\n  const body = await req.json();\n  return Response.json(await prisma.booking.create({ data: { sessionId: body.sessionId, name: body.name, email: body.email } }));\n}\n",
    );

    let binary = audit(dir.path(), &["--baseline", baseline.to_str().unwrap()]);
    let opts = booking_audit::Options {
        baseline: Some(baseline.clone()),
        ..Default::default()
    };
    let lib = booking_audit::audit(dir.path(), &opts).expect("audits");
    assert_eq!(
        booking_audit::report::json::render(&lib.report),
        stdout(&binary),
        "the library's report is the binary's"
    );
    // What the comparison covers: a suppressed check, baseline states, a config severity.
    let r = json(&binary);
    let check = |id: &str| common::check(&r, id).clone();
    assert_eq!(check("retry-mechanism")["suppressed"], true);
    assert_eq!(check("pessimistic-locking")["baseline"], "updated");
    assert_eq!(check("history-tracking")["baseline"], "unchanged");
    assert_eq!(check("waitlist-handling")["severity"], "medium");
    let code = binary.status.code().unwrap();
    assert_eq!(code, 1);
    assert_eq!(lib.failed(booking_audit::report::FailOn::Low), code == 1);
}

#[test]
fn library_audit_reports_what_the_binary_reports_as_errors() {
    let empty = tempfile::tempdir().unwrap();
    let err = booking_audit::audit(empty.path(), &booking_audit::Options::default())
        .err()
        .expect("nothing to audit is an error");
    assert!(err.to_string().contains("nothing to audit"), "{err}");
    let cfg = booking_audit::Options {
        only: vec!["conflict-chek".into()],
        ..Default::default()
    };
    assert!(booking_audit::audit(Path::new("fixtures/demo"), &cfg).is_err());
}
