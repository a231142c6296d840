//! Embeds every file under rules/ into the binary as the default rule set: each file's YAML
//! text (for error reports and `explain`) and the same document as JSON, which loads faster.
use std::path::{Path, PathBuf};

include!("src/rules/yaml_options.rs");

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "yaml") {
            out.push(p);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut files = Vec::new();
    collect(&root.join("rules"), &mut files);
    files.sort();
    let mut code = String::from("pub static EMBEDDED_RULES: &[(&str, &str, &str)] = &[\n");
    for f in &files {
        let rel = f
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let yaml = std::fs::read_to_string(f).unwrap();
        // A built-in file that is not valid YAML fails here, at build time.
        let doc: serde_json::Value = serde_saphyr::from_str_with_options(&yaml, yaml_options())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let json = serde_json::to_string(&doc).unwrap();
        code.push_str(&format!(
            "    ({rel:?}, include_str!({:?}), {json:?}),\n",
            f.to_string_lossy()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded_rules.rs");
    std::fs::write(out, code).unwrap();
    println!("cargo:rerun-if-changed=rules");
    println!("cargo:rerun-if-changed=src/rules/yaml_options.rs");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
}
