//! Phase two of loading: every regex, query, fact reference, kind and template is checked
//! and compiled, so that evaluation never meets an invalid rule.

mod conds;

use super::error::RuleSource;
use super::spec::*;
use super::template::capture_names;
use super::{Check, Fact, ID_PREFIX, RuleSet, Variant};
use crate::lang::Lang;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

pub use super::template::{Placeholder, fill_placeholders, placeholders};

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
type Out<T> = miette::Result<T>;

/// Compiles the parsed rule files (facts, the model, checks, each with the index of its
/// source) into the rule set evaluation reads, or the first error, at its place in its file.
pub fn compile(
    sources: &[RuleSource],
    facts: Vec<(FactSpec<Parsed>, usize)>,
    model: (ModelSpec<Parsed>, usize),
    checks: Vec<(CheckSpec<Parsed>, usize)>,
    fact_tests: Vec<(TestCase, usize)>,
) -> Out<RuleSet> {
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

    let new_cx = |src, named| Ctx {
        src,
        named,
        patterns: &patterns,
        fact_index: &fact_index,
        flow_kinds: &flow_kinds,
        entity_kinds: &entity_kinds,
        binds: BTreeSet::new(),
    };
    let mut named: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut compiled_facts: Vec<Fact> = Vec::new();
    let mut variant_sources: Vec<Vec<usize>> = Vec::new();
    for (spec, si) in facts {
        let mut cx = new_cx(&sources[si], named.clone());
        let idx = fact_index[&spec.id.value];
        let variant = compile_fact(&mut cx, spec)?;
        if variant_sources.len() <= idx {
            variant_sources.resize(idx + 1, Vec::new());
        }
        // Where two variants match the same code the earlier one is kept: by fallback rank,
        // then in file order.
        let rank = variant.spec.fallback;
        let at = compiled_facts.get(idx).map_or(0, |f| {
            f.variants
                .iter()
                .position(|v| v.spec.fallback > rank)
                .unwrap_or(f.variants.len())
        });
        variant_sources[idx].insert(at, si);
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
            fact.variants.insert(at, variant);
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

    let model = {
        let mut cx = new_cx(msrc, BTreeMap::new());
        let model = compile_model(&mut cx, model)?;
        named = cx.named;
        model
    };

    let mut out_checks = Vec::new();
    for (spec, si) in checks {
        let mut cx = new_cx(&sources[si], named.clone());
        let spec = compile_check(&mut cx, spec)?;
        let full_id = format!("{ID_PREFIX}.{}.{}", spec.category.value, spec.id.value);
        out_checks.push(Check {
            spec,
            full_id,
            origin: sources[si].path.clone(),
            builtin: sources[si].builtin,
        });
    }
    for (mut t, si) in fact_tests {
        let src = &sources[si];
        let Some(want) = &t.check else {
            return Err(miette::miette!(
                "{}: test `{}` needs `check:`, the check it is a case of",
                src.path,
                t.name
            ));
        };
        let Some(check) = out_checks
            .iter_mut()
            .find(|c| c.spec.id.value == want.value || c.full_id == want.value)
        else {
            return Err(src.error_at(want, format!("no check `{}`", want.value)));
        };
        check_case_shape(src, want, &t)?;
        let name = src.path.trim_end_matches(".yaml").trim_end_matches(".yml");
        let name = name.rsplit_once("facts/").map_or(name, |(_, n)| n);
        t.origin = Some(CaseOrigin {
            name: name.to_string(),
            builtin: src.builtin,
        });
        check.spec.tests.push(t);
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
        entries: Default::default(),
    })
}

fn compile_fact(cx: &mut Ctx, spec: FactSpec<Parsed>) -> Out<Variant> {
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
    let mut queries = BTreeMap::new();
    let scan = cx.opt_re(spec.scan)?;
    let (call, string, matches) = if scan.is_some() {
        if !spec.matches.is_empty() {
            return Err(cx.src.error_at(
                &spec.id,
                "`scan` facts take no `match`: put the condition in the regex (`not_match` on a named group is allowed)",
            ));
        }
        (None, None, BTreeMap::new())
    } else {
        if spec.langs.contains(&Lang::Manifest) {
            return Err(cx.src.error_at(
                &spec.id,
                "manifest facts are built in (`dependency`); use a parsed language",
            ));
        }
        let call = cx.opt_re(spec.call)?;
        let string = cx.opt_re(spec.string)?;
        let matches = cx.re_map(spec.matches)?;
        for &lang in &spec.langs {
            let text = if let Some(q) = &spec.query {
                q.value.clone()
            } else if call.is_some() {
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
            let captures = (matches.iter().map(|(c, re)| (c, &re.src)))
                .chain(spec.not_match.iter().map(|(c, re)| (c, &re.src)));
            for (cap, src) in captures {
                if !known.contains(cap) {
                    return Err(cx
                        .src
                        .error_at(src, format!("capture `@{cap}` is not in the query")));
                }
            }
            // Reading the regexes' named groups builds them, so built-in rules leave this to
            // their test.
            if !cx.src.builtin {
                let first = call.iter().chain(string.iter()).chain(matches.values());
                check_prop_sources(cx, first, &spec.props, known)?;
            }
            queries.insert(lang, text);
        }
        (call, string, matches)
    };
    let not_match = cx.re_map(spec.not_match)?;
    let mut props = BTreeMap::new();
    for (name, p) in spec.props {
        let prop = PropSpec {
            from: p.from,
            regex: cx.res(p.regex)?,
            value: p.value,
            fallback_field: cx.opt_re(p.fallback_field)?,
            through_calls: p.through_calls,
            whole: p.whole,
        };
        props.insert(name, prop);
    }
    let until = match spec.until {
        Some(u) if spec.role != Role::Transaction => {
            return Err(cx
                .src
                .error_at(&u, "`until` applies to `role: transaction` facts only"));
        }
        Some(u) => Some(cx.fact_ref(u)?),
        None => None,
    };
    let runs_before = match (spec.runs_before, spec.role) {
        (Some(r), Role::Hook) => Some(cx.fact_ref(r)?),
        (Some(r), _) => {
            return Err(cx
                .src
                .error_at(&r, "`runs_before` applies to `role: hook` facts only"));
        }
        (None, Role::Hook) => {
            return Err(cx.src.error_at(
                &spec.id,
                "a `role: hook` fact needs `runs_before`: the fact its function precedes",
            ));
        }
        (None, _) => None,
    };
    // `within_call` is a capture of parsed facts; a scan has none.
    let reads_within_call = scan.is_none()
        && matches
            .keys()
            .chain(not_match.keys())
            .chain(props.values().map(|p| &p.from))
            .any(|c| c == WITHIN_CALL);
    let spec = FactSpec {
        id: spec.id,
        about: spec.about,
        langs: spec.langs,
        query: spec.query,
        call,
        string,
        scan,
        matches,
        not_match,
        props,
        props_from: spec.props_from,
        role: spec.role,
        until,
        runs_before,
        label: spec.label,
        fallback: spec.fallback,
    };
    Ok(Variant {
        spec,
        queries,
        reads_within_call,
    })
}

/// Every prop reads a capture of the query or a named group of the `call`/`string` and
/// `match` regexes (`first`).
fn check_prop_sources<'r>(
    cx: &Ctx,
    first: impl Iterator<Item = &'r Re>,
    props: &BTreeMap<String, PropSpec<Parsed>>,
    mut known: BTreeSet<String>,
) -> R {
    for re in first {
        known.extend(re.names().iter().map(|(_, n)| n.clone()));
    }
    for (name, prop) in props {
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

fn compile_check(cx: &mut Ctx, spec: CheckSpec<Parsed>) -> Out<CheckSpec> {
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
    let n = spec.decide.len();
    let mut decide = Vec::with_capacity(n);
    for (i, o) in spec.decide.into_iter().enumerate() {
        let last = i + 1 == n;
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
        let when = match o.when {
            Some(w) => Some(cx.cond(w)?),
            None => None,
        };
        decide.push(Outcome {
            verdict: o.verdict,
            when,
            detail: o.detail,
        });
    }
    for o in &decide {
        cx.template(&o.detail)?;
    }
    for t in &spec.tests {
        if let Some(c) = &t.check {
            return Err(cx.src.error_at(
                c,
                format!(
                    "test `{}`: `check:` names the check of a case in a fact file; this case is this check's",
                    t.name
                ),
            ));
        }
        check_case_shape(cx.src, &spec.id, t)?;
    }
    Ok(CheckSpec {
        id: spec.id,
        title: spec.title,
        category: spec.category,
        severity: spec.severity,
        references: spec.references,
        related: spec.related,
        why: spec.why,
        explain: spec.explain,
        remediation: spec.remediation,
        decide,
        tests: spec.tests,
    })
}

/// A case has its repository in exactly one way: a fixture directory or inline files.
fn check_case_shape(src: &RuleSource, at: &Text, t: &TestCase) -> R {
    if t.fixture.is_none() == t.files.is_empty() {
        return Err(src.error_at(
            at,
            format!(
                "test `{}` needs exactly one of `fixture` or `files`",
                t.name
            ),
        ));
    }
    Ok(())
}

/// The model's regexes and conditions; named conditions in name order, each able to use the
/// ones before it.
fn compile_model(cx: &mut Ctx, model: ModelSpec<Parsed>) -> Out<ModelSpec> {
    let mut entity_kinds = Vec::new();
    for k in model.entity_kinds {
        let name = cx.re(k.name)?;
        let referenced_by = cx.opt_re(k.referenced_by)?;
        let inserted_by = cx.opt_re(k.inserted_by)?;
        let has_field = match k.has_field {
            Some(r) => Some(cx.res(r)?),
            None => None,
        };
        let fields_like = k.fields_like.into_iter().map(|r| cx.re(r));
        entity_kinds.push(EntityKindSpec {
            kind: k.kind,
            name,
            has_field,
            fields_like: fields_like.collect::<Out<_>>()?,
            fallback: k.fallback,
            referenced_by,
            inserted_by,
        });
    }
    let server_paths = cx.re(model.server_paths)?;
    let client_paths = cx.re(model.client_paths)?;
    let frontend_packages = cx.opt_re(model.frontend_packages)?;
    let route_files = cx.re(model.route_files)?;
    let write_ops = cx.re_map(model.write_ops)?;
    let mut flow_kinds = BTreeMap::new();
    for (name, fc) in model.flow_kinds {
        flow_kinds.insert(name, cx.flow_cond(fc)?);
    }
    let mut conditions = BTreeMap::new();
    for (name, c) in model.conditions {
        cx.binds.clear();
        let c = cx.cond(c)?;
        let b = std::mem::take(&mut cx.binds);
        cx.named.insert(name.clone(), b);
        conditions.insert(name, c);
    }
    let booking_domain = cx.cond(model.booking_domain)?;
    Ok(ModelSpec {
        catalogue: model.catalogue,
        patterns: model.patterns,
        entity_kinds,
        server_paths,
        client_paths,
        frontend_packages,
        route_files,
        flow_kinds,
        write_ops,
        conditions,
        booking_domain,
        entity_names: model.entity_names,
    })
}
