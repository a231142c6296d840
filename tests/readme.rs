//! README's check table is generated from rules/; this fails when it is stale.
//! `UPDATE_README=1 cargo test --test readme` rewrites it.

use booking_audit::catalogue::{END, START, check_table};

#[test]
fn readme_check_table_is_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let set = booking_audit::rules::load(None).expect("rules");
    let table = check_table(&set);
    let (Some(s), Some(e)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the {START} ... {END} markers");
    };
    let current = &readme[s + START.len()..e];
    let wanted = format!("\n{table}");
    if current != wanted {
        if std::env::var_os("UPDATE_README").is_some() {
            let updated = format!("{}{wanted}{}", &readme[..s + START.len()], &readme[e..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            panic!(
                "README.md's check table is stale: run `UPDATE_README=1 cargo test --test readme`"
            );
        }
    }
}

#[test]
fn readme_documents_every_output_format() {
    use clap::ValueEnum;
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("README.md");
    let section = &readme[readme
        .find("### Output formats")
        .expect("an output-format section")..];
    for f in booking_audit::cli::Format::value_variants() {
        let name = f.to_possible_value().unwrap().get_name().to_string();
        assert!(
            section.contains(&format!("- `{name}`")),
            "README's output formats lack `{name}`"
        );
    }
}
