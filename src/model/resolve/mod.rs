//! Resolves calls to the repository's own functions: through imports (relative paths,
//! `@/`/`~/` aliases, workspace packages, re-exports), `this.method()`, injected services
//! named after their class, and as a last resort a name that is unique in the repository.

use super::RepoModel;
use std::collections::{HashMap, HashSet};

mod callbacks;
pub(crate) use callbacks::split_args;
mod modules;
mod usage;

/// A resolved call: the call's position in its unit, and the unit it reaches.
#[derive(Debug, Clone)]
pub struct Edge {
    pub pos: usize,
    /// Where the call ends.
    pub end: usize,
    pub target: usize,
    pub args: Box<str>,
    /// One of several functions the call may run, only one of which does (a call through an
    /// object of handlers): the others' code is not on its path.
    pub alt: bool,
    /// For a function passed to a helper that calls it: where the helper (or one it hands
    /// the function on to) calls it, as (unit, position), so the flow knows the transaction
    /// it runs in.
    pub runs_at: Option<(usize, usize)>,
}

/// What decides, at run time, which function a call runs: the class of its object. Kept for
/// the few calls where it matters, by (calling unit, edge) in `RepoModel::dispatch`.
#[derive(Debug, Clone, Default)]
pub struct Dispatch {
    /// The call is on a local built with `new` in the caller (`svc.prepare()` after `svc =
    /// new ManualCheckout(...)`): the classes whose objects reach this edge's target, each
    /// with where it was built. A flow that skips every one of those constructions (a branch
    /// its arguments rule out) skips the call, and in the target `this` is these classes.
    pub classes: Vec<(&'static str, usize)>,
    /// The call is on `this` (or `super`) in a class with subclasses: `this` stays the
    /// object the caller ran on.
    pub this_call: bool,
    /// For `this.m()`: each subclass whose objects run another `m` (its own or an
    /// intermediate class's override), with that method. An override stays a root of its
    /// own as well: a flow that does not know the object's class (an injected service) runs
    /// the base method, and the override's code is still judged.
    pub overrides: Vec<(&'static str, usize)>,
}

/// `RepoModel::dispatch`: by (calling unit, edge).
pub type Dispatches = HashMap<(usize, usize), Dispatch>;

const EXTS: &[&str] = &["ts", "tsx", "js", "jsx", "mjs", "cjs", "mts", "cts"];

/// Names too common to link by uniqueness alone.
const COMMON: &[&str] = &[
    "create",
    "update",
    "delete",
    "remove",
    "find",
    "findOne",
    "findMany",
    "findFirst",
    "findUnique",
    "save",
    "insert",
    "upsert",
    "query",
    "execute",
    "handle",
    "handler",
    "process",
    "run",
    "get",
    "set",
    "send",
    "init",
    "start",
    "stop",
    "validate",
    "parse",
    "format",
    "main",
    "default",
    "then",
    "catch",
    "call",
    "apply",
    "count",
    "exec",
    "list",
    "load",
    "fetch",
    "post",
    "patch",
    "put",
    "use",
    "map",
    "filter",
    "reduce",
    "toString",
];

struct Index<'a> {
    model: &'a RepoModel,
    by_path: HashMap<&'a str, usize>,
    packages: Vec<(String, usize)>,
    by_name: HashMap<&'a str, Vec<usize>>,
    /// (words key of a class name, method) -> the units defining it. Keyed by method too: a
    /// monorepo may hold thousands of classes of one name, and filtering them per call was
    /// quadratic.
    classes: HashMap<(String, &'a str), Vec<usize>>,
    /// Class name -> the classes it extends, and the reverse.
    bases: HashMap<&'a str, Vec<&'a str>>,
    subclasses: HashMap<&'a str, Vec<&'a str>>,
    /// (class, method) -> the units defining it.
    methods: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Words key of a class name -> the classes (with a base or a subclass) so called.
    class_names: HashMap<String, Vec<&'a str>>,
    /// (directory, import specifier) -> the file it names: every call through an import
    /// resolves it, and trying the candidate paths was a tenth of a run.
    modules: std::sync::Mutex<HashMap<(&'a str, &'a str), Option<usize>>>,
}

/// How many overriding methods an abstract call may reach before it is left unresolved.
const MAX_OVERRIDES: usize = 8;

pub fn resolve_calls(model: &mut RepoModel) {
    // One index for calls, route handlers and imports (it reads nothing they change), so the
    // import specifiers it resolves are resolved once.
    let ix = Index::new(model);
    let (mut edges, dispatch) = call_edges(model, &ix);
    callbacks::add_edges(model, &ix, &mut edges);
    let routes = route_handlers(model, &ix);
    let imported = imported_files(model, &ix);
    let unimported = usage::unimported_exports(model, &ix);
    drop(ix);
    for (t, r, kind) in routes {
        let u = &mut model.units[t];
        if u.route.is_none()
            && let Some(r) = r
        {
            u.route = Some(crate::intern::intern(&r));
        }
        u.entry.get_or_insert(kind);
    }
    model.calls = edges;
    model.dispatch = dispatch;
    model.imports = imported;
    model.unimported = unimported;
}

/// Each unit's resolved calls, resolved per file in parallel and then placed in file order:
/// the same edges, in the same order, whatever the thread count.
fn call_edges(model: &RepoModel, ix: &Index) -> (Vec<Vec<Edge>>, Dispatches) {
    use rayon::prelude::*;
    type Out = Vec<(usize, Edge, Option<Dispatch>)>;
    let per_file: Vec<Out> = model
        .files
        .par_iter()
        .enumerate()
        .map(|(fi, file)| {
            let Some(code) = &file.code else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for call in &code.calls {
                let caller = file.unit_base + call.unit;
                let edge = |target, alt| Edge {
                    pos: call.pos,
                    end: call.end,
                    target,
                    args: code.args(call).into(),
                    alt,
                    runs_at: None,
                };
                let built = ix.by_construction(code, call);
                if !built.is_empty() {
                    let alt = built.len() > 1;
                    for (target, classes) in built {
                        if target != caller {
                            let d = Dispatch {
                                classes,
                                ..Dispatch::default()
                            };
                            out.push((caller, edge(target, alt), Some(d)));
                        }
                    }
                    continue;
                }
                let alt = call.receiver.is_none() && handler_map(code, call.name).is_some();
                let on_this = ix.on_this(code, call);
                for target in ix.targets(fi, call) {
                    if target != caller {
                        out.push((caller, edge(target, alt), on_this.clone()));
                    }
                }
            }
            out
        })
        .collect();
    let mut edges: Vec<Vec<Edge>> = vec![Vec::new(); model.units.len()];
    let mut dispatch = HashMap::new();
    for (caller, e, d) in per_file.into_iter().flatten() {
        if let Some(d) = d {
            dispatch.insert((caller, edges[caller].len()), d);
        }
        edges[caller].push(e);
    }
    (edges, dispatch)
}

/// Routes registered by reference name their handler: (handler unit, route).
/// Handlers registered by name in another function's file: (unit, route, entry kind).
fn route_handlers(model: &RepoModel, ix: &Index) -> Vec<(usize, Option<String>, &'static str)> {
    let mut routes = Vec::new();
    for (fi, file) in model.files.iter().enumerate() {
        let Some(code) = &file.code else { continue };
        for r in &code.route_refs {
            let (recv, name) = match r.target.rsplit_once('.') {
                Some((a, b)) => (Some(crate::intern::intern(a)), b),
                None => (None, r.target.as_str()),
            };
            let call = super::code::Call {
                unit: 0,
                pos: 0,
                end: 0,
                name: crate::intern::intern(name),
                receiver: recv,
                args: 0..0,
            };
            if let Some(t) = ix.resolve_call(fi, &call) {
                routes.push((t, r.route.clone(), r.kind));
            }
        }
    }
    routes
}

/// The files each file imports or re-exports from, inside the repository.
fn imported_files(model: &RepoModel, ix: &Index) -> Vec<Vec<usize>> {
    model
        .files
        .iter()
        .enumerate()
        .map(|(fi, f)| {
            let Some(code) = &f.code else { return vec![] };
            let mut v: Vec<usize> = code
                .imports
                .iter()
                .map(|i| i.source)
                .chain(code.reexports.iter().map(|r| r.source))
                .filter_map(|s| ix.module(fi, s))
                .collect();
            v.sort();
            v.dedup();
            v
        })
        .collect()
}

/// Words of an identifier, singular and lowercase: `bookingsService` -> `booking service`.
pub fn words_key(name: &str) -> String {
    let name = name.trim_start_matches('_');
    let mut words = Vec::new();
    let mut cur = String::new();
    for c in name.chars() {
        if (c.is_uppercase() && !cur.is_empty()) || c == '_' || c == '-' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            if c == '_' || c == '-' {
                continue;
            }
        }
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
        .iter()
        // `this.bookingRepo` holds a `BookingRepository`.
        .map(|w| match w.as_str() {
            "repo" | "repos" => "repository".to_string(),
            "svc" | "srv" => "service".to_string(),
            "ctrl" => "controller".to_string(),
            "mgr" => "manager".to_string(),
            _ => super::entities::singular(w),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl<'a> Index<'a> {
    fn new(model: &'a RepoModel) -> Self {
        let by_path = model
            .files
            .iter()
            .enumerate()
            .map(|(i, f)| (&*f.rel, i))
            .collect();
        let mut packages = Vec::new();
        for (i, f) in model.files.iter().enumerate() {
            if let Some(m) = &f.manifest
                && let Some(n) = &m.name
            {
                packages.push((n.clone(), i));
            }
        }
        packages.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut classes: HashMap<(String, &str), Vec<usize>> = HashMap::new();
        let mut methods: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, u) in model.units.iter().enumerate() {
            if u.is_module {
                continue;
            }
            // A method of an object held in a local variable of another function (`const res
            // = { status: (c) => ... }` inside a helper) is local to it: no other file can
            // call it, so neither the repository-wide unique name nor a receiver named like
            // its object reaches it. A nested function with no object (a factory's
            // `function refundPayment` that it returns) may be handed out, and stays.
            let nested = u.container.is_some()
                && model.files[u.file]
                    .code
                    .as_ref()
                    .and_then(|c| c.parents.get(u.local))
                    .is_some_and(|&p| p != 0);
            if !nested {
                by_name.entry(u.name).or_default().push(i);
            }
            if let Some(c) = &u.container {
                if !nested {
                    classes.entry((words_key(c), u.name)).or_default().push(i);
                }
                methods.entry((c, u.name)).or_default().push(i);
            }
        }
        let mut bases: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut subclasses: HashMap<&str, Vec<&str>> = HashMap::new();
        for f in &model.files {
            let Some(code) = &f.code else { continue };
            for (name, base) in &code.classes {
                let Some(base) = base else { continue };
                let b = bases.entry(name.as_str()).or_default();
                if !b.contains(&base.as_str()) {
                    b.push(base.as_str());
                }
                let s = subclasses.entry(base.as_str()).or_default();
                if !s.contains(&name.as_str()) {
                    s.push(name.as_str());
                }
            }
        }
        let mut class_names: HashMap<String, Vec<&str>> = HashMap::new();
        for name in bases.keys().chain(subclasses.keys()) {
            let v = class_names.entry(words_key(name)).or_default();
            if !v.contains(name) {
                v.push(name);
            }
        }
        Index {
            model,
            by_path,
            packages,
            by_name,
            classes,
            class_names,
            bases,
            subclasses,
            methods,
            modules: Default::default(),
        }
    }

    /// A top-level function exported (or defined) as `name` by a file, following re-exports.
    fn export(
        &self,
        file: usize,
        name: &str,
        member: Option<&str>,
        depth: usize,
        seen: &mut HashSet<usize>,
    ) -> Option<usize> {
        if depth > 6 || !seen.insert(file) {
            return None;
        }
        let info = &self.model.files[file];
        let code = info.code.as_ref()?;
        let base = info.unit_base;
        let find_local = |n: &str| -> Option<usize> {
            match member {
                Some(m) => member_of(code, n, m),
                None => code
                    .units
                    .iter()
                    .position(|u| !u.is_module && u.container.is_none() && u.name == n),
            }
        };
        if name == "default" || name == "*" {
            if let Some(m) = member
                && name == "*"
                && let Some(i) = code.units.iter().position(|u| !u.is_module && u.name == m)
            {
                return Some(base + i);
            }
            if name == "default" {
                if let Some(i) = code.units.iter().position(|u| u.default_export) {
                    return Some(
                        base + member
                            .and_then(|m| code.units.iter().position(|u| u.name == m))
                            .unwrap_or(i),
                    );
                }
                if let Some(dn) = &code.default_export_name
                    && let Some(i) = find_local(dn)
                {
                    return Some(base + i);
                }
                if let Some(m) = member
                    && let Some(i) = code.units.iter().position(|u| !u.is_module && u.name == m)
                {
                    return Some(base + i);
                }
            }
        } else if let Some(i) = find_local(name) {
            return Some(base + i);
        } else if member.is_none()
            && let Some(dn) = &code.default_export_name
            && let Some(i) = code
                .units
                .iter()
                .position(|u| u.container == Some(dn.as_str()) && u.name == name)
        {
            // `const { getBooking } = require('./booking-manager')` where the module exports
            // a class of static methods.
            return Some(base + i);
        }
        for re in &code.reexports {
            if re.name == name || re.name == "*" {
                let inner = if re.name == "*" { name } else { re.imported };
                if let Some(m) = self.module(file, re.source)
                    && let Some(u) = self.export(m, inner, member, depth + 1, seen)
                {
                    return Some(u);
                }
            }
        }
        // An imported-then-exported binding: `import { x } from './a'; export { x }`.
        if let Some(imp) = code.imports.iter().find(|i| i.name == name)
            && let Some(m) = self.module(file, imp.source)
        {
            return self.export(m, imp.imported, member, depth + 1, seen);
        }
        None
    }

    /// The units a call reaches: the one `resolve_call` names or, for a method its class
    /// inherits or leaves abstract, the ancestor's method or every override.
    fn targets(&self, file: usize, call: &super::code::Call) -> Vec<usize> {
        let Some(code) = self.model.files[file].code.as_ref() else {
            return vec![];
        };
        // `super.m()` in an override is the parent's `m`, never the override itself.
        if call.receiver == Some("super")
            && let Some(c) = code.units[call.unit].container
            && let Some(defs) = self.ancestor_defs(c, call.name)
            && defs.len() == 1
        {
            return defs;
        }
        if call.receiver.is_none()
            && let Some(fns) = handler_map(code, call.name)
        {
            let mut out: Vec<usize> = Vec::new();
            for f in fns {
                let one = super::code::Call {
                    name: crate::intern::intern(f),
                    ..call.clone()
                };
                if let Some(t) = self.resolve_call(file, &one)
                    && !out.contains(&t)
                {
                    out.push(t);
                }
            }
            return out;
        }
        if let Some(t) = self.resolve_call(file, call) {
            return vec![t];
        }
        match call.receiver {
            Some("this") | Some("super") => match this_class(code, call.unit) {
                Some(c) => self.dispatch(c, call.name),
                None => vec![],
            },
            // `this.bookingValidator.validate()`: the class named after the receiver.
            Some(recv) => {
                let last = recv.rsplit('.').next().unwrap_or(recv);
                match self.class_names.get(&words_key(last)).map(Vec::as_slice) {
                    Some([c]) => self.dispatch(c, call.name),
                    _ => vec![],
                }
            }
            None => vec![],
        }
    }

    /// `svc.m()` where `svc` is a local the caller (or a function around it) built with `new`:
    /// the method each class runs, grouped by target, with the classes (and where each was
    /// built) that run it. Empty when the receiver is no such local or no class has `m`.
    fn by_construction(
        &self,
        code: &super::code::CodeFile,
        call: &super::code::Call,
    ) -> Vec<(usize, Vec<(&'static str, usize)>)> {
        let Some(recv) = call.receiver else {
            return vec![];
        };
        if code.local_news.is_empty() || recv.contains(['.', '(', '[']) {
            return vec![];
        }
        let Some(built) = code.enclosing(call.unit).find_map(|scope| {
            let v: Vec<_> = code
                .local_news
                .iter()
                .filter(|l| l.unit == scope && l.name == recv)
                .collect();
            (!v.is_empty()).then_some(v)
        }) else {
            return vec![];
        };
        let mut out: Vec<(usize, Vec<(&'static str, usize)>)> = Vec::new();
        for l in built {
            let Some(t) = self.class_method(l.class, call.name) else {
                continue;
            };
            match out.iter_mut().find(|(u, _)| *u == t) {
                Some((_, v)) => v.push((l.class, l.pos)),
                None => out.push((t, vec![(l.class, l.pos)])),
            }
        }
        out
    }

    /// The method `m` an object of class `c` runs: its own, else its nearest ancestor's
    /// (none when classes of that name define it in several places).
    fn class_method(&self, c: &str, m: &str) -> Option<usize> {
        let defs = match self.methods.get(&(c, m)) {
            Some(d) => d.clone(),
            None => self.ancestor_defs(c, m)?,
        };
        (defs.len() == 1).then(|| defs[0])
    }

    /// For a call on `this` (or `super`) in a class that has subclasses: the object is the
    /// caller's, and for `this.m()` the subclasses that run another `m`.
    fn on_this(&self, code: &super::code::CodeFile, call: &super::code::Call) -> Option<Dispatch> {
        let recv = call.receiver?;
        if recv != "this" && recv != "super" {
            return None;
        }
        let c = this_class(code, call.unit)?;
        let subs = self.subclasses.get(c)?;
        let mut overrides = Vec::new();
        if recv == "this" {
            let mut seen: HashSet<&str> = HashSet::from([c]);
            let mut down: Vec<(&str, Option<usize>)> = subs.iter().map(|s| (*s, None)).collect();
            while let Some((s, inherited)) = down.pop() {
                if !seen.insert(s) || seen.len() > 64 {
                    continue;
                }
                let own = match self.methods.get(&(s, call.name)).map(Vec::as_slice) {
                    Some([u]) => Some(*u),
                    _ => inherited,
                };
                if let Some(u) = own {
                    overrides.push((crate::intern::intern(s), u));
                }
                down.extend(
                    self.subclasses
                        .get(s)
                        .into_iter()
                        .flatten()
                        .map(|sub| (*sub, own)),
                );
            }
            overrides.sort_unstable();
        }
        Some(Dispatch {
            classes: vec![],
            this_call: true,
            overrides,
        })
    }

    /// `this.m()` in class `c` that defines no `m`: the nearest ancestor's `m`, else the
    /// overrides in its subclasses (an abstract method called from a template method).
    fn dispatch(&self, c: &str, m: &str) -> Vec<usize> {
        if let Some(defs) = self.ancestor_defs(c, m) {
            // Classes of the same name in several places: which one is meant is unknown.
            return if defs.len() == 1 { defs } else { vec![] };
        }
        let mut out = Vec::new();
        let mut down: Vec<&str> = self.subclasses.get(c).cloned().unwrap_or_default();
        let mut seen: HashSet<&str> = HashSet::from([c]);
        while let Some(s) = down.pop() {
            if !seen.insert(s) {
                continue;
            }
            match self.methods.get(&(s, m)) {
                Some(units) => out.extend(units.iter().copied()),
                None => down.extend(self.subclasses.get(s).into_iter().flatten().copied()),
            }
        }
        out.sort_unstable();
        out.dedup();
        if out.len() > MAX_OVERRIDES {
            out.clear();
        }
        out
    }

    /// The definitions of `m` in the nearest ancestor of class `c` that has any.
    fn ancestor_defs(&self, c: &str, m: &str) -> Option<Vec<usize>> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut up: Vec<&str> = self.bases.get(c).cloned().unwrap_or_default();
        while let Some(b) = up.pop() {
            if !seen.insert(b) {
                continue;
            }
            if let Some(units) = self.methods.get(&(b, m)) {
                return Some(units.clone());
            }
            up.extend(self.bases.get(b).into_iter().flatten().copied());
        }
        None
    }

    fn resolve_call(&self, file: usize, call: &super::code::Call) -> Option<usize> {
        let info = &self.model.files[file];
        let code = info.code.as_ref()?;
        let base = info.unit_base;
        match call.receiver {
            None => {
                // A function declared in the caller or a function around it (`const save =
                // () => ...` in this method) before one of the same name elsewhere in the file.
                if let Some(i) = local_function(code, call.unit, call.name).or_else(|| {
                    code.units
                        .iter()
                        .position(|u| !u.is_module && u.container.is_none() && u.name == call.name)
                }) {
                    return Some(base + i);
                }
                if let Some(imp) = code.imports.iter().find(|i| i.name == call.name) {
                    let m = self.module(file, imp.source)?;
                    return self.export(m, imp.imported, None, 0, &mut HashSet::new());
                }
                self.unique(call.name)
            }
            Some("this") | Some("super") => {
                let c = this_class(code, call.unit);
                code.units
                    .iter()
                    .position(|u| !u.is_module && u.container == c && u.name == call.name)
                    .map(|i| base + i)
                    .or_else(|| self.by_class(c.unwrap_or(""), call.name))
            }
            Some(recv) => {
                let root = recv.split(['.', '(', '[']).next().unwrap_or(recv);
                if root == recv
                    && let Some(imp) = code.imports.iter().find(|i| i.name == root)
                {
                    let m = self.module(file, imp.source)?;
                    let mut seen = HashSet::new();
                    return match imp.imported {
                        "*" | "default" => self
                            .export(m, imp.imported, Some(call.name), 0, &mut seen)
                            .or_else(|| self.export(m, call.name, None, 0, &mut HashSet::new())),
                        name => self
                            .export(m, name, Some(call.name), 0, &mut seen)
                            .or_else(|| self.by_class(name, call.name)),
                    };
                }
                // Same-file object literal or class instance: `bookingService.create()`.
                if let Some(i) = member_of(code, recv, call.name) {
                    return Some(base + i);
                }
                let last = recv.rsplit('.').next().unwrap_or(recv);
                self.by_class(last, call.name)
                    .or_else(|| self.unique(call.name))
            }
        }
    }

    /// `this.bookingsService.create()` reaches `BookingsService.create` (or `BookingService`).
    fn by_class(&self, receiver: &str, method: &str) -> Option<usize> {
        if receiver.is_empty() {
            return None;
        }
        let hits = self.classes.get(&(words_key(receiver), method))?;
        (hits.len() == 1).then(|| hits[0])
    }

    fn unique(&self, name: &str) -> Option<usize> {
        if name.len() < 6 || COMMON.contains(&name) {
            return None;
        }
        let units = self.by_name.get(name)?;
        (units.len() == 1).then(|| units[0])
    }
}

/// The method `m` of the object literal or class `n`, or of the class that the
/// module-level instance `n` was constructed from.
fn member_of(code: &super::code::CodeFile, n: &str, m: &str) -> Option<usize> {
    let of = |c: &str| {
        code.units
            .iter()
            .position(|u| u.container == Some(c) && u.name == m)
    };
    of(n).or_else(|| {
        code.instances
            .iter()
            .find(|(name, _)| name == n)
            .and_then(|(_, class)| of(class))
    })
}

/// The functions a call may reach through an object of functions of its file: the call names
/// the object (`HANDLERS[type](ctx)`) or a local taken out of it (`handler(ctx)` after `const
/// handler = HANDLERS[type]`).
fn handler_map<'c>(code: &'c super::code::CodeFile, name: &str) -> Option<&'c [String]> {
    // Asked for every call of every file: most files have no such object.
    if code.handler_maps.is_empty() {
        return None;
    }
    let object = code
        .map_lookups
        .iter()
        .find(|(local, _)| local == name)
        .map_or(name, |(_, o)| o.as_str());
    code.handler_maps
        .iter()
        .find(|(m, _)| m == object)
        .map(|(_, fns)| fns.as_slice())
}

/// The class `this` names in a unit: its own, else that of the method it is nested in (an
/// arrow function keeps the `this` of the function around it).
fn this_class(code: &super::code::CodeFile, unit: usize) -> Option<&'static str> {
    code.enclosing(unit)
        .find_map(|u| code.units[u].container)
        .or(code.units.get(unit)?.container)
}

/// A function named `name` declared directly in `unit` or in a function around it, nearest
/// first.
fn local_function(code: &super::code::CodeFile, unit: usize, name: &str) -> Option<usize> {
    let named: Vec<usize> = (1..code.units.len())
        .filter(|&i| code.units[i].name == name && code.units[i].container.is_none())
        .collect();
    if named.is_empty() {
        return None;
    }
    code.enclosing(unit).find_map(|scope| {
        named
            .iter()
            .copied()
            .find(|&i| code.parents.get(i) == Some(&scope))
    })
}
