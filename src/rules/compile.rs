//! Phase two of loading: every regex, query, fact reference, kind and template is checked
//! and compiled, so that evaluation never meets an invalid rule.

use super::error::RuleSource;
use super::spec::*;
use super::{Check, Fact, ID_PREFIX, RuleSet, Variant};
use crate::lang::Lang;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

struct Ctx<'a> {
    src: &'a RuleSource,
    /// Bindings each named condition introduces.
    named: BTreeMap<String, BTreeSet<String>>,
    patterns: &'a BTreeMap<String, String>,
    fact_index: &'a BTreeMap<String, usize>,
    flow_kinds: &'a BTreeSet<String>,
    entity_kinds: &'a BTreeSet<String>,
    binds: BTreeSet<String>,
}

type R = miette::Result<()>;

pub fn compile(
    sources: &[RuleSource],
    facts: Vec<(FactSpec, usize)>,
    model: (ModelSpec, usize),
    checks: Vec<(CheckSpec, usize)>,
) -> miette::Result<RuleSet> {
    let (model, model_src) = model;
    let msrc = &sources[model_src];
    let mut patterns = BTreeMap::new();
    for (name, text) in &model.patterns {
        // Built-in rules are validated by a test (`builtin_rules_pass_every_load_check`).
        if !msrc.builtin {
            Regex::new(&text.value).map_err(|e| {
                msrc.error_at(text, format!("pattern `{name}` is not a valid regex: {e}"))
            })?;
        }
        patterns.insert(name.clone(), text.value.clone());
    }
    let mut fact_index: BTreeMap<String, usize> = BTreeMap::new();
    for (f, _) in &facts {
        let n = fact_index.len();
        fact_index.entry(f.id.value.clone()).or_insert(n);
    }
    let flow_kinds: BTreeSet<String> = model.flow_kinds.keys().cloned().collect();
    let entity_kinds: BTreeSet<String> =
        model.entity_kinds.iter().map(|k| k.kind.clone()).collect();

    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut compiled_facts: Vec<Fact> = Vec::new();
    let mut variant_sources: Vec<Vec<usize>> = Vec::new();
    for (spec, si) in facts {
        let mut cx = Ctx {
            src: &sources[si],
            named: named.clone(),
            patterns: &patterns,
            fact_index: &fact_index,
            flow_kinds: &flow_kinds,
            entity_kinds: &entity_kinds,
            binds: BTreeSet::new(),
        };
        let idx = fact_index[&spec.id.value];
        let variant = compile_fact(&mut cx, spec)?;
        if variant_sources.len() <= idx {
            variant_sources.resize(idx + 1, Vec::new());
        }
        variant_sources[idx].push(si);
        if idx < compiled_facts.len() {
            let fact = &mut compiled_facts[idx];
            if variant.spec.role != fact.role {
                return Err(cx.src.error_at(
                    &variant.spec.id,
                    format!(
                        "fact `{}`: every definition must have the same role",
                        fact.id
                    ),
                ));
            }
            fact.variants.push(variant);
        } else {
            let s = &variant.spec;
            compiled_facts.push(Fact {
                id: s.id.value.clone(),
                about: s.about.clone(),
                role: s.role,
                label: s.label.clone(),
                until: s.until.clone(),
                runs_before: s.runs_before.clone(),
                variants: vec![],
            });
            compiled_facts[idx].variants.push(variant);
        }
    }

    let queries = super::queries::Queries::plan(&compiled_facts);
    // Built-in queries are checked by a test; others now, so a bad one is reported at its rule.
    if sources.iter().any(|s| !s.builtin) {
        queries.check(sources, &compiled_facts, &variant_sources)?;
    }

    {
        let mut cx = Ctx {
            src: msrc,
            named: BTreeMap::new(),
            patterns: &patterns,
            fact_index: &fact_index,
            flow_kinds: &flow_kinds,
            entity_kinds: &entity_kinds,
            binds: BTreeSet::new(),
        };
        for k in &model.entity_kinds {
            for re in [
                Some(&k.name),
                k.referenced_by.as_ref(),
                k.inserted_by.as_ref(),
            ]
            .into_iter()
            .flatten()
            .chain(k.has_field.iter().flat_map(|r| r.items()))
            .chain(&k.fields_like)
            {
                cx.re(re)?;
            }
        }
        cx.re(&model.server_paths)?;
        cx.re(&model.client_paths)?;
        if let Some(re) = &model.frontend_packages {
            cx.re(re)?;
        }
        cx.re(&model.route_files)?;
        for re in model.write_ops.values() {
            cx.re(re)?;
        }
        for fc in model.flow_kinds.values() {
            cx.flow_cond(fc)?;
        }
        for (name, c) in &model.conditions {
            cx.binds.clear();
            cx.cond(c)?;
            let b = std::mem::take(&mut cx.binds);
            cx.named.insert(name.clone(), b);
        }
        cx.cond(&model.booking_domain)?;
        named = cx.named.clone();
    }

    let mut out_checks = Vec::new();
    for (spec, si) in checks {
        let mut cx = Ctx {
            src: &sources[si],
            named: named.clone(),
            patterns: &patterns,
            fact_index: &fact_index,
            flow_kinds: &flow_kinds,
            entity_kinds: &entity_kinds,
            binds: BTreeSet::new(),
        };
        compile_check(&mut cx, &spec)?;
        let full_id = format!("{ID_PREFIX}.{}.{}", spec.category.value, spec.id.value);
        out_checks.push(Check {
            spec,
            full_id,
            origin: sources[si].path.clone(),
            builtin: sources[si].builtin,
        });
    }
    let ids: BTreeSet<String> = out_checks.iter().map(|c| c.spec.id.value.clone()).collect();
    for c in &out_checks {
        for r in &c.spec.related {
            if !ids.contains(&r.value) {
                let src = sources.iter().find(|s| s.path == c.origin).expect("origin");
                return Err(src.error_at(r, format!("related check `{}` does not exist", r.value)));
            }
        }
    }
    let order = |id: &str| {
        model
            .catalogue
            .iter()
            .position(|c| c == id)
            .unwrap_or(usize::MAX)
    };
    out_checks.sort_by(|a, b| {
        (order(a.short_id()), a.category(), a.short_id()).cmp(&(
            order(b.short_id()),
            b.category(),
            b.short_id(),
        ))
    });
    Ok(RuleSet {
        facts: compiled_facts,
        queries,
        fact_index,
        model,
        checks: out_checks,
    })
}

fn compile_fact(cx: &mut Ctx, spec: FactSpec) -> miette::Result<Variant> {
    let shapes = [
        spec.query.is_some(),
        spec.call.is_some(),
        spec.string.is_some(),
        spec.scan.is_some(),
    ];
    if shapes.iter().filter(|b| **b).count() != 1 {
        return Err(cx.src.error_at(
            &spec.id,
            "a fact needs exactly one of `query`, `call`, `string` or `scan`",
        ));
    }
    if let Some(scan) = &spec.scan {
        cx.re(scan)?;
        if !spec.matches.is_empty() {
            return Err(cx.src.error_at(
                &spec.id,
                "`scan` facts take no `match`: put the condition in the regex (`not_match` on a named group is allowed)",
            ));
        }
        for re in spec.not_match.values() {
            cx.re(re)?;
        }
        for prop in spec.props.values() {
            for re in prop.regex.items() {
                cx.re(re)?;
            }
        }
        return Ok(Variant {
            spec,
            queries: BTreeMap::new(),
            reads_within_call: false,
        });
    }
    if spec.langs.contains(&Lang::Manifest) {
        return Err(cx.src.error_at(
            &spec.id,
            "manifest facts are built in (`dependency`); use a parsed language",
        ));
    }
    for re in [spec.call.as_ref(), spec.string.as_ref()]
        .into_iter()
        .flatten()
    {
        cx.re(re)?;
    }
    for re in spec.matches.values() {
        cx.re(re)?;
    }
    let mut queries = BTreeMap::new();
    for &lang in &spec.langs {
        let text = if let Some(q) = &spec.query {
            q.value.clone()
        } else if spec.call.is_some() {
            if !lang.is_code() {
                return Err(cx
                    .src
                    .error_at(&spec.id, "`call` facts apply to ts, tsx and js only"));
            }
            CALL_QUERY.to_string()
        } else {
            if !lang.is_code() {
                return Err(cx
                    .src
                    .error_at(&spec.id, "`string` facts apply to ts, tsx and js only"));
            }
            STRING_QUERY.to_string()
        };
        let at = spec.query.as_ref().unwrap_or(&spec.id);
        let mut known: BTreeSet<String> = capture_names(&text);
        if !known.contains("match") {
            return Err(cx
                .src
                .error_at(at, "name the fact's node `@match` in the query"));
        }
        known.insert("text".into());
        known.insert(WITHIN_CALL.into());
        for (cap, re) in spec.matches.iter().chain(spec.not_match.iter()) {
            if !known.contains(cap) {
                return Err(cx
                    .src
                    .error_at(&re.src, format!("capture `@{cap}` is not in the query")));
            }
        }
        // Reading the regexes' named groups builds them, so built-in rules leave this to their
        // test.
        if !cx.src.builtin {
            check_prop_sources(cx, &spec, known)?;
        }
        queries.insert(lang, text);
    }
    for re in spec.matches.values().chain(spec.not_match.values()) {
        cx.re(re)?;
    }
    for prop in spec.props.values() {
        for re in prop.regex.items() {
            cx.re(re)?;
        }
        if let Some(f) = &prop.fallback_field {
            cx.re(f)?;
        }
    }
    if let Some(u) = &spec.until {
        cx.fact_ref(u)?;
        if spec.role != Role::Transaction {
            return Err(cx
                .src
                .error_at(&u.name, "`until` applies to `role: transaction` facts only"));
        }
    }
    match (&spec.runs_before, spec.role) {
        (Some(r), Role::Hook) => cx.fact_ref(r)?,
        (Some(r), _) => {
            return Err(cx
                .src
                .error_at(&r.name, "`runs_before` applies to `role: hook` facts only"));
        }
        (None, Role::Hook) => {
            return Err(cx.src.error_at(
                &spec.id,
                "a `role: hook` fact needs `runs_before`: the fact its function precedes",
            ));
        }
        (None, _) => {}
    }
    let reads_within_call = spec
        .matches
        .keys()
        .chain(spec.not_match.keys())
        .chain(spec.props.values().map(|p| &p.from))
        .any(|c| c == WITHIN_CALL);
    Ok(Variant {
        spec,
        queries,
        reads_within_call,
    })
}

/// Every prop reads a capture of the query or a named group of the `call`/`string` and
/// `match` regexes.
fn check_prop_sources(cx: &Ctx, spec: &FactSpec, mut known: BTreeSet<String>) -> R {
    for re in spec
        .call
        .iter()
        .chain(spec.string.iter())
        .chain(spec.matches.values())
    {
        known.extend(re.names().iter().map(|(_, n)| n.clone()));
    }
    for (name, prop) in &spec.props {
        if !known.contains(&prop.from) {
            return Err(cx.src.error_at(
                &prop.regex.items()[0].src,
                format!(
                    "prop `{name}` reads capture `@{}`, which is not in the query",
                    prop.from
                ),
            ));
        }
    }
    Ok(())
}

/// Pseudo-capture: the callee of the call whose arguments hold the match (nearest enclosing
/// call, within the same function), so a fact can tell a payment's metadata from a refund's.
pub const WITHIN_CALL: &str = "within_call";

const CALL_QUERY: &str = "(call_expression function: (_) @callee arguments: (_) @args) @match";
const STRING_QUERY: &str = "[(string) (template_string)] @match";

/// The `@name` captures of a query (`@` then a letter or `_`, then word characters, `.`, `-`).
fn capture_names(query: &str) -> BTreeSet<String> {
    let b = query.as_bytes();
    let mut names = BTreeSet::new();
    let mut i = 0;
    while let Some(at) = b[i..].iter().position(|&c| c == b'@').map(|p| i + p) {
        let start = at + 1;
        let end = word_end(
            b,
            start,
            |c| c.is_ascii_alphabetic() || c == b'_',
            |c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'),
        );
        if end > start {
            names.insert(query[start..end].to_string());
        }
        i = end.max(start);
    }
    names
}

/// The end of the word at `from` (a byte `first` takes, then bytes `rest` takes), or `from`
/// when none starts there. Query captures and template placeholders are scanned with it.
fn word_end(b: &[u8], from: usize, first: impl Fn(u8) -> bool, rest: impl Fn(u8) -> bool) -> usize {
    match b.get(from) {
        Some(&c) if first(c) => from + 1 + b[from + 1..].iter().take_while(|c| rest(**c)).count(),
        _ => from,
    }
}

fn compile_check(cx: &mut Ctx, spec: &CheckSpec) -> R {
    let id = &spec.id.value;
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(cx
            .src
            .error_at(&spec.id, "check ids are lowercase words joined by `-`"));
    }
    if spec.decide.is_empty() {
        return Err(cx
            .src
            .error_at(&spec.id, "`decide` needs at least one outcome"));
    }
    for (i, o) in spec.decide.iter().enumerate() {
        let last = i + 1 == spec.decide.len();
        match (&o.when, last) {
            (None, false) => {
                return Err(cx
                    .src
                    .error_at(&o.detail, "only the last outcome may omit `when`"));
            }
            (Some(_), true) => {
                return Err(cx.src.error_at(
                    &o.detail,
                    "the last outcome must omit `when`: it is the default",
                ));
            }
            _ => {}
        }
        if let Some(w) = &o.when {
            cx.cond(w)?;
        }
    }
    for o in &spec.decide {
        cx.template(&o.detail)?;
    }
    for t in &spec.tests {
        if t.fixture.is_none() == t.files.is_empty() {
            return Err(cx.src.error_at(
                &spec.id,
                format!(
                    "test `{}` needs exactly one of `fixture` or `files`",
                    t.name
                ),
            ));
        }
    }
    Ok(())
}

impl Ctx<'_> {
    fn expand(&self, re: &Re) -> miette::Result<String> {
        let src = &re.src.value;
        if let Some(name) = src.strip_prefix('$')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            return self.patterns.get(name).cloned().ok_or_else(|| {
                self.src
                    .error_at(&re.src, format!("unknown pattern `${name}`"))
            });
        }
        if !src.contains("${") {
            return Ok(src.clone());
        }
        static VAR: std::sync::OnceLock<regex_lite::Regex> = std::sync::OnceLock::new();
        let var = VAR.get_or_init(|| regex_lite::Regex::new(r"\$\{(\w+)\}").expect("static"));
        let mut out = String::new();
        let mut last = 0;
        for c in var.captures_iter(src) {
            let m = c.get(0).expect("group 0");
            out.push_str(&src[last..m.start()]);
            let pat = self.patterns.get(&c[1]).ok_or_else(|| {
                self.src
                    .error_at(&re.src, format!("unknown pattern `${{{}}}`", &c[1]))
            })?;
            out.push_str(&format!("(?:{pat})"));
            last = m.end();
        }
        out.push_str(&src[last..]);
        Ok(out)
    }

    /// Expands a regex and, outside the built-in rules (which a test validates), checks it.
    fn re(&self, re: &Re) -> R {
        let text = self.expand(re)?;
        if !self.src.builtin && !validated(&text) {
            regex_syntax::ParserBuilder::new()
                .build()
                .parse(&text)
                .map_err(|e| self.src.error_at(&re.src, format!("invalid regex: {e}")))?;
        }
        re.set(text);
        Ok(())
    }

    fn fact_ref(&self, f: &FactRef) -> R {
        let builtin = crate::model::BUILTIN_FACTS
            .iter()
            .position(|b| *b == f.name.value);
        match (self.fact_index.get(&f.name.value), builtin) {
            (Some(i), _) => f.set(*i),
            (None, Some(b)) => f.set(crate::model::BUILTIN_BASE + b),
            (None, None) => {
                return Err(self.src.error_with_help(
                    &f.name,
                    format!("unknown fact `{}`", f.name.value),
                    "facts are defined in rules/facts/*.yaml; `booking-audit list --facts` lists them",
                ));
            }
        }
        Ok(())
    }

    fn bind(&mut self, b: &Option<Text>) {
        if let Some(b) = b {
            self.binds.insert(b.value.clone());
        }
    }

    fn selector(&mut self, s: &Selector) -> R {
        for f in s.fact.items() {
            self.fact_ref(f)?;
        }
        for re in s.where_.values().chain(s.unless.values()) {
            self.re(re)?;
        }
        if let Some(re) = &s.entity_lacks_field {
            self.re(re)?;
        }
        if let Some(k) = &s.entity {
            self.entity_kinds(k)?;
        }
        self.bind(&s.bind);
        Ok(())
    }

    fn entity_kinds(&self, k: &OneOrMany) -> R {
        for name in k.items() {
            if !self.entity_kinds.contains(&name.value) {
                return Err(self
                    .src
                    .error_at(name, format!("unknown entity kind `{}`", name.value)));
            }
        }
        Ok(())
    }

    fn cond(&mut self, c: &Cond) -> R {
        match c {
            Cond::All(v) | Cond::Any(v) => v.iter().try_for_each(|c| self.cond(c)),
            Cond::Not(c) => self.cond(c),
            Cond::Exists(s) => self.selector(s),
            Cond::Entity(e) => {
                self.entity_kinds(&e.kind)?;
                for re in [
                    &e.field,
                    &e.default,
                    &e.type_,
                    &e.constraint,
                    &e.lacks_field,
                ]
                .into_iter()
                .flatten()
                {
                    self.re(re)?;
                }
                if let Some(w) = &e.written_by {
                    self.selector(w)?;
                }
                self.bind(&e.bind);
                Ok(())
            }
            Cond::EveryFlow(q) | Cond::SomeFlow(q) => {
                for k in q.kind.items() {
                    if !self.flow_kinds.contains(&k.value) {
                        return Err(self
                            .src
                            .error_at(k, format!("unknown flow kind `{}`", k.value)));
                    }
                }
                if let Some(w) = &q.where_ {
                    self.flow_cond(w)?;
                }
                self.flow_cond(&q.satisfies)?;
                self.bind(&q.bind);
                Ok(())
            }
            Cond::Always(_) => Ok(()),
            Cond::Ref(name) => match self.named.get(&name.value) {
                Some(b) => {
                    self.binds.extend(b.iter().cloned());
                    Ok(())
                }
                None => Err(self.src.error_at(
                    name,
                    format!(
                        "unknown condition `{}` (model.yaml `conditions`)",
                        name.value
                    ),
                )),
            },
            Cond::EveryFact(e) => {
                self.selector(&e.of)?;
                for re in e.has.values() {
                    self.re(re)?;
                }
                self.bind(&e.bind);
                Ok(())
            }
        }
    }

    fn flow_cond(&mut self, c: &FlowCond) -> R {
        match c {
            FlowCond::All(v) | FlowCond::Any(v) => v.iter().try_for_each(|c| self.flow_cond(c)),
            FlowCond::Not(c) => self.flow_cond(c),
            FlowCond::Has(s) => self.selector(s),
            FlowCond::Before(p) | FlowCond::BeforeInTransaction(p) | FlowCond::EachPreceded(p) => {
                self.selector(&p.first)?;
                self.selector(&p.then)
            }
            FlowCond::Named(re) | FlowCond::Path(re) => self.re(re),
            FlowCond::Always(_) => Ok(()),
            FlowCond::WritesOutsideTransaction(w) => self.selector(&w.writes),
            FlowCond::Kind(k) => {
                if !self.flow_kinds.contains(&k.value) {
                    return Err(self
                        .src
                        .error_at(k, format!("unknown flow kind `{}`", k.value)));
                }
                Ok(())
            }
        }
    }

    /// Placeholders `{name}` or `{name.attr}` must name a binding of the check.
    fn template(&self, t: &Text) -> R {
        for p in placeholders(&t.value) {
            let name = p.name;
            if !self.binds.contains(name) {
                return Err(self.src.error_with_help(
                    t,
                    format!("placeholder `{{{name}}}` names no binding"),
                    "bind a value with `as: NAME` on a selector, entity or flow condition of this check",
                ));
            }
        }
        Ok(())
    }
}

/// Whether a regex text was already validated (rules repeat props through YAML anchors).
fn validated(text: &str) -> bool {
    use std::sync::Mutex;
    static SEEN: std::sync::OnceLock<Mutex<BTreeSet<String>>> = std::sync::OnceLock::new();
    !SEEN
        .get_or_init(Default::default)
        .lock()
        .expect("regex set")
        .insert(text.to_string())
}

/// One `{name}` or `{name.attr}` placeholder of a template.
pub struct Placeholder<'t> {
    pub range: std::ops::Range<usize>,
    pub name: &'t str,
    pub attr: Option<&'t str>,
}

/// A template's placeholders, in order: `{`, a name (`[a-z_][a-z0-9_]*`), optionally `.` and
/// an attribute (`[a-z_]+`), `}`. Scanned by hand: every fact label is filled this way, and a
/// check looks at thousands of facts on a large repository.
pub fn placeholders(t: &str) -> Vec<Placeholder<'_>> {
    let b = t.as_bytes();
    let lower = |c: u8| c.is_ascii_lowercase() || c == b'_';
    let lower_digit = |c: u8| lower(c) || c.is_ascii_digit();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'{' {
            i += 1;
            continue;
        }
        let name_end = word_end(b, i + 1, lower, lower_digit);
        let (attr, end) = if name_end < b.len() && b[name_end] == b'.' {
            let attr_end = word_end(b, name_end + 1, lower, lower);
            (Some(&t[name_end + 1..attr_end]), attr_end)
        } else {
            (None, name_end)
        };
        let valid = name_end > i + 1 && attr.is_none_or(|a| !a.is_empty());
        if valid && end < b.len() && b[end] == b'}' {
            out.push(Placeholder {
                range: i..end + 1,
                name: &t[i + 1..name_end],
                attr,
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

/// The template with each placeholder replaced by `f`'s text for it.
pub fn fill_placeholders(t: &str, mut f: impl FnMut(&Placeholder) -> String) -> String {
    let mut out = String::with_capacity(t.len());
    let mut at = 0;
    for p in placeholders(t) {
        out.push_str(&t[at..p.range.start]);
        out.push_str(&f(&p));
        at = p.range.end;
    }
    out.push_str(&t[at..]);
    out
}

#[cfg(test)]
mod tests {
    use super::capture_names;

    /// The scanner finds what the placeholder grammar, as a regex, finds.
    #[test]
    fn placeholders_agree_with_their_regex() {
        let re = regex_lite::Regex::new(r"\{([a-z_][a-z0-9_]*)(?:\.([a-z_]+))?\}").unwrap();
        for t in [
            "",
            "{a}",
            "{a.b} and {c_1} {}",
            "{{x}} {x.} {x.y.z} {X} {1a} {_a.b_}",
            "no {braces here",
            "{flows.all}: {n} of {m} ({failing_locs})",
            "{a.b1} {a.} {.b} {ab}}",
        ] {
            let ours: Vec<_> = super::placeholders(t)
                .into_iter()
                .map(|p| (p.range, p.name.to_string(), p.attr.map(String::from)))
                .collect();
            let theirs: Vec<_> = re
                .captures_iter(t)
                .map(|c| {
                    let m = c.get(0).unwrap();
                    (
                        m.start()..m.end(),
                        c[1].to_string(),
                        c.get(2).map(|a| a.as_str().to_string()),
                    )
                })
                .collect();
            assert_eq!(ours, theirs, "{t}");
        }
    }

    #[test]
    fn capture_names_reads_every_at_name() {
        let q = "(call_expression function: (_) @callee.x arguments: (_) @args) @match @ @1 @_k-2";
        let names: Vec<String> = capture_names(q).into_iter().collect();
        assert_eq!(names, ["_k-2", "args", "callee.x", "match"]);
    }
}
