//! Compiling the parts of rules: regexes, fact references, selectors and conditions. Each
//! method checks a parsed value and returns its compiled form.

use super::Ctx;
use crate::rules::spec::*;
use std::collections::{BTreeMap, BTreeSet};

type R = miette::Result<()>;
type Out<T> = miette::Result<T>;

impl Ctx<'_> {
    fn expand(&self, re: &ReSrc) -> Out<String> {
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
    pub(super) fn re(&self, re: ReSrc) -> Out<Re> {
        let text = self.expand(&re)?;
        if !self.src.builtin && !validated(&text) {
            regex_syntax::ParserBuilder::new()
                .build()
                .parse(&text)
                .map_err(|e| self.src.error_at(&re.src, format!("invalid regex: {e}")))?;
        }
        Ok(Re::new(re.src, text))
    }

    pub(super) fn opt_re(&self, re: Option<ReSrc>) -> Out<Option<Re>> {
        re.map(|r| self.re(r)).transpose()
    }

    pub(super) fn re_map(&self, m: BTreeMap<String, ReSrc>) -> Out<BTreeMap<String, Re>> {
        m.into_iter().map(|(k, r)| Ok((k, self.re(r)?))).collect()
    }

    pub(super) fn res(&self, r: Res<Parsed>) -> Out<Res> {
        Ok(match r {
            Res::One(r) => Res::One(self.re(r)?),
            Res::Many(v) => Res::Many(v.into_iter().map(|r| self.re(r)).collect::<Out<_>>()?),
        })
    }

    pub(super) fn fact_ref(&self, name: Text) -> Out<FactRef> {
        let builtin = crate::rules::BUILTIN_FACTS
            .iter()
            .position(|b| *b == name.value);
        let index = match (self.fact_index.get(&name.value), builtin) {
            (Some(i), _) => *i,
            (None, Some(b)) => crate::rules::BUILTIN_BASE + b,
            (None, None) => {
                return Err(self.src.error_with_help(
                    &name,
                    format!("unknown fact `{}`", name.value),
                    "facts are defined in rules/facts/*.yaml; `booking-audit list --facts` lists them",
                ));
            }
        };
        Ok(FactRef::new(name, index))
    }

    fn bind(&mut self, b: &Option<Text>) {
        if let Some(b) = b {
            self.binds.insert(b.value.clone());
        }
    }

    /// A selector of repository conditions, which see facts, not a flow's events.
    fn repo_selector(&mut self, s: Selector<Parsed>) -> Out<Selector> {
        if s.in_catch.is_some() || s.under.is_some() || s.not_under.is_some() {
            let at = s.fact.items()[0].clone();
            return Err(self.src.error_with_help(
                &at,
                "`in_catch`, `under` and `not_under` describe where a flow's event runs",
                "use them in a flow condition (inside some_flow / every_flow `satisfies`, or a flow kind)",
            ));
        }
        self.selector(s)
    }

    fn selector(&mut self, s: Selector<Parsed>) -> Out<Selector> {
        let fact = match s.fact {
            FactRefs::One(f) => FactRefs::One(self.fact_ref(f)?),
            FactRefs::Many(v) => FactRefs::Many(
                v.into_iter()
                    .map(|f| self.fact_ref(f))
                    .collect::<Out<_>>()?,
            ),
        };
        let where_ = self.re_map(s.where_)?;
        let unless = self.re_map(s.unless)?;
        let entity_lacks_field = self.opt_re(s.entity_lacks_field)?;
        let entity_constraint = self.opt_re(s.entity_constraint)?;
        let fn_params = self.opt_re(s.fn_params)?;
        let under = self.opt_re(s.under)?;
        let not_under = self.opt_re(s.not_under)?;
        if let Some(k) = &s.entity {
            self.entity_kinds(k)?;
        }
        self.bind(&s.bind);
        Ok(Selector {
            fact,
            where_,
            unless,
            entity: s.entity,
            entity_lacks_field,
            entity_constraint,
            side: s.side,
            reach: s.reach,
            fn_params,
            in_catch: s.in_catch,
            under,
            not_under,
            bind: s.bind,
        })
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

    fn flow_kind(&self, k: &Text) -> R {
        if !self.flow_kinds.contains(&k.value) {
            return Err(self
                .src
                .error_at(k, format!("unknown flow kind `{}`", k.value)));
        }
        Ok(())
    }

    pub(super) fn cond(&mut self, c: Cond<Parsed>) -> Out<Cond> {
        Ok(match c {
            Cond::All(v) => Cond::All(self.conds(v)?),
            Cond::Any(v) => Cond::Any(self.conds(v)?),
            Cond::Not(c) => Cond::Not(Box::new(self.cond(*c)?)),
            Cond::Exists(s) => Cond::Exists(Box::new(self.repo_selector(*s)?)),
            Cond::Entity(e) => Cond::Entity(Box::new(self.entity(*e)?)),
            Cond::EveryFlow(q) => Cond::EveryFlow(Box::new(self.quant(*q)?)),
            Cond::SomeFlow(q) => Cond::SomeFlow(Box::new(self.quant(*q)?)),
            Cond::Always(b) => Cond::Always(b),
            Cond::Ref(name) => match self.named.get(&name.value) {
                Some(b) => {
                    self.binds.extend(b.iter().cloned());
                    Cond::Ref(name)
                }
                None => {
                    return Err(self.src.error_at(
                        &name,
                        format!(
                            "unknown condition `{}` (model.yaml `conditions`)",
                            name.value
                        ),
                    ));
                }
            },
            Cond::EveryFact(e) => {
                let e = *e;
                let of = self.repo_selector(e.of)?;
                let has = self.re_map(e.has)?;
                self.bind(&e.bind);
                Cond::EveryFact(Box::new(EveryFactSpec {
                    of,
                    has,
                    bind: e.bind,
                }))
            }
        })
    }

    fn conds(&mut self, v: Vec<Cond<Parsed>>) -> Out<Vec<Cond>> {
        v.into_iter().map(|c| self.cond(c)).collect()
    }

    fn entity(&mut self, e: EntityCond<Parsed>) -> Out<EntityCond> {
        self.entity_kinds(&e.kind)?;
        let field = self.opt_re(e.field)?;
        let default = self.opt_re(e.default)?;
        let type_ = self.opt_re(e.type_)?;
        let constraint = self.opt_re(e.constraint)?;
        let lacks_field = self.opt_re(e.lacks_field)?;
        let written_by = match e.written_by {
            Some(w) => Some(Box::new(self.repo_selector(*w)?)),
            None => None,
        };
        self.bind(&e.bind);
        Ok(EntityCond {
            kind: e.kind,
            field,
            default,
            type_,
            constraint,
            written_by,
            lacks_field,
            declared: e.declared,
            bind: e.bind,
        })
    }

    fn quant(&mut self, q: FlowQuant<Parsed>) -> Out<FlowQuant> {
        for k in q.kind.items() {
            self.flow_kind(k)?;
        }
        let where_ = match q.where_ {
            Some(w) => Some(self.flow_cond(w)?),
            None => None,
        };
        let satisfies = self.flow_cond(q.satisfies)?;
        self.bind(&q.bind);
        Ok(FlowQuant {
            kind: q.kind,
            side: q.side,
            where_,
            satisfies,
            bind: q.bind,
        })
    }

    pub(super) fn flow_cond(&mut self, c: FlowCond<Parsed>) -> Out<FlowCond> {
        let pair = |cx: &mut Self, p: Pair<Parsed>| -> Out<Box<Pair>> {
            let first = cx.selector(p.first)?;
            let then = cx.selector(p.then)?;
            let until = match p.until {
                Some(u) => Some(cx.selector(u)?),
                None => None,
            };
            Ok(Box::new(Pair {
                first,
                then,
                same_path: p.same_path,
                held: p.held,
                open: p.open,
                until,
            }))
        };
        Ok(match c {
            FlowCond::All(v) => FlowCond::All(self.flow_conds(v)?),
            FlowCond::Any(v) => FlowCond::Any(self.flow_conds(v)?),
            FlowCond::Not(c) => FlowCond::Not(Box::new(self.flow_cond(*c)?)),
            FlowCond::Has(s) => FlowCond::Has(Box::new(self.selector(*s)?)),
            FlowCond::Before(p) => FlowCond::Before(pair(self, *p)?),
            FlowCond::BeforeInTransaction(p) => FlowCond::BeforeInTransaction(pair(self, *p)?),
            FlowCond::EachPreceded(p) => FlowCond::EachPreceded(pair(self, *p)?),
            FlowCond::Named(re) => FlowCond::Named(Box::new(self.re(*re)?)),
            FlowCond::Path(re) => FlowCond::Path(Box::new(self.re(*re)?)),
            FlowCond::Entry(re) => FlowCond::Entry(Box::new(self.re(*re)?)),
            FlowCond::Always(b) => FlowCond::Always(b),
            FlowCond::WritesOutsideTransaction(w) => {
                let w = *w;
                FlowCond::WritesOutsideTransaction(Box::new(WritesSpec {
                    writes: self.selector(w.writes)?,
                    min: w.min,
                    distinct: w.distinct,
                }))
            }
            FlowCond::Kind(k) => {
                self.flow_kind(&k)?;
                FlowCond::Kind(k)
            }
        })
    }

    fn flow_conds(&mut self, v: Vec<FlowCond<Parsed>>) -> Out<Vec<FlowCond>> {
        v.into_iter().map(|c| self.flow_cond(c)).collect()
    }

    /// Placeholders `{name}` or `{name.attr}` must name a binding of the check.
    pub(super) fn template(&self, t: &Text) -> R {
        for p in crate::rules::template::placeholders(&t.value) {
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
