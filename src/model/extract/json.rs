//! JSON files read with serde, not tree-sitter: package.json (its dependencies, its name and
//! entry points for workspace imports) and the deployment configs frameworks name
//! (`vercel.json` cron routes).

use super::*;

/// The file as JSON, or the warning to give when it is not JSON.
fn parse_json(
    entry: &FileEntry,
    src: &SourceText,
    what: &str,
) -> Result<serde_json::Value, Diagnostic> {
    serde_json::from_str(&src.text)
        .map_err(|e| Diagnostic::warning(&entry.rel, format!("{what}: {e}")))
}

/// A file-level fact quoted at `len` bytes from `start` (a key or string in the JSON).
fn quoted(
    entry: &FileEntry,
    src: &SourceText,
    fact: usize,
    start: usize,
    len: usize,
    values: Values,
) -> Hit {
    Hit {
        fact,
        variant: 0,
        start,
        end: start + len,
        scope: (start, start),
        loc: location(entry, src, start, start + len),
        unit: 0,
        values,
    }
}

pub(super) fn manifest(entry: &FileEntry, src: &SourceText) -> ParsedFile {
    let json = match parse_json(entry, src, "malformed package.json, dependencies not read") {
        Ok(v) => v,
        Err(d) => return ParsedFile::empty(vec![d]),
    };
    let mut hits = Vec::new();
    for section in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ] {
        let Some(deps) = json.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        for name in deps.keys() {
            let needle = format!("\"{name}\"");
            let start = src
                .text
                .find(&format!("\"{section}\""))
                .and_then(|s| src.text[s..].find(&needle).map(|i| s + i))
                .unwrap_or(0);
            let mut values = Values::new();
            values.insert("name", name.as_str());
            values.insert("section", section);
            values.insert(
                "text",
                format!("{name}@{}", deps[name].as_str().unwrap_or("")),
            );
            hits.push(quoted(
                entry,
                src,
                DEPENDENCY_FACT,
                start,
                needle.len(),
                values,
            ));
        }
    }
    let mut entries = Vec::new();
    for key in ["source", "module", "main", "types"] {
        if let Some(s) = json.get(key).and_then(|v| v.as_str()) {
            entries.push(s.to_string());
        }
    }
    if let Some(s) = json.pointer("/exports/.").and_then(|v| {
        v.as_str().map(String::from).or_else(|| {
            v.get("import")
                .or(v.get("default"))
                .or(v.get("types"))
                .and_then(|x| x.as_str())
                .map(String::from)
        })
    }) {
        entries.insert(0, s);
    } else if let Some(s) = json.get("exports").and_then(|v| v.as_str()) {
        entries.insert(0, s.to_string());
    }
    let manifest = Manifest {
        name: json.get("name").and_then(|n| n.as_str()).map(String::from),
        entries,
    };
    ParsedFile {
        hits,
        code: None,
        unit_locs: vec![],
        manifest: Some(manifest),
        diags: vec![],
        sql_error_line: None,
    }
}

/// A deployment config a framework names (`vercel.json`): each route at the entry's JSON
/// pointer is a `config-route` fact, quoted at the route's string in the file.
pub(super) fn config_file(entry: &FileEntry, src: &SourceText, rules: &RuleSet) -> ParsedFile {
    let json = match parse_json(entry, src, "malformed JSON, its routes not read") {
        Ok(v) => v,
        Err(d) => return ParsedFile::empty(vec![d]),
    };
    let mut hits = Vec::new();
    for (pointer, kind) in rules.entries.config_routes(&entry.rel) {
        for route in json_strings(&json, pointer) {
            let needle = format!("\"{route}\"");
            let start = src.text.find(&needle).unwrap_or(0);
            let mut values = Values::new();
            values.insert("route", route.as_str());
            values.insert("kind", kind);
            values.insert("text", route.as_str());
            hits.push(quoted(
                entry,
                src,
                CONFIG_ROUTE_FACT,
                start,
                needle.len(),
                values,
            ));
        }
    }
    ParsedFile {
        hits,
        ..ParsedFile::empty(vec![])
    }
}

/// The strings at a JSON pointer whose `*` steps into every element of an array or object.
fn json_strings(json: &serde_json::Value, pointer: &str) -> Vec<String> {
    let mut at = vec![json];
    for step in pointer.split('/').skip(1) {
        at = at
            .into_iter()
            .flat_map(|v| -> Vec<&serde_json::Value> {
                match (step, v) {
                    ("*", serde_json::Value::Array(a)) => a.iter().collect(),
                    ("*", serde_json::Value::Object(o)) => o.values().collect(),
                    (key, serde_json::Value::Object(o)) => o.get(key).into_iter().collect(),
                    (key, serde_json::Value::Array(a)) => key
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| a.get(i))
                        .into_iter()
                        .collect(),
                    _ => vec![],
                }
            })
            .collect();
    }
    at.into_iter()
        .filter_map(|v| v.as_str().map(String::from))
        .collect()
}
