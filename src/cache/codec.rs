//! One file's extraction (`ParsedFile`) to bytes and back, for the fact cache.
//!
//! A hand-written format, not serde: the structure's names are interned `&'static str`, which
//! serde cannot give back, and an exhaustive destructuring of each struct makes a field added
//! later fail to compile here rather than vanish from cached runs. Decoding checks every length,
//! index and range it reads, so a damaged entry is refused (`None`), never a panic.

use crate::diagnostic::{Diagnostic, Level};
use crate::intern::intern;
use crate::model::code::{Call, CodeFile, Guard, Link, LocalNew, RouteRef, Unit};
use crate::model::extract::{Hit, Manifest, ParsedFile};
use crate::model::values::Values;
use crate::source::Location;
use std::sync::Arc;

/// Appends values to a byte buffer: integers as LEB128, strings with their length.
#[derive(Default)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    pub fn u(&mut self, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(b);
                return;
            }
            self.0.push(b | 0x80);
        }
    }

    fn n(&mut self, v: usize) {
        self.u(v as u64);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.n(b.len());
        self.0.extend_from_slice(b);
    }

    pub fn s(&mut self, s: &str) {
        self.bytes(s.as_bytes());
    }

    fn opt_s(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.0.push(1);
                self.s(s);
            }
            None => self.0.push(0),
        }
    }

    fn b(&mut self, v: bool) {
        self.0.push(u8::from(v));
    }
}

/// Reads what `Enc` wrote; every read fails (None) past the end or on a malformed value.
pub struct Dec<'a> {
    pub buf: &'a [u8],
    pub at: usize,
}

impl<'a> Dec<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Dec { buf, at: 0 }
    }

    pub fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.buf.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn n(&mut self) -> Option<usize> {
        usize::try_from(self.u()?).ok()
    }

    pub fn bytes(&mut self) -> Option<&'a [u8]> {
        let len = self.n()?;
        let end = self.at.checked_add(len)?;
        let b = self.buf.get(self.at..end)?;
        self.at = end;
        Some(b)
    }

    pub fn s(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.bytes()?).ok()
    }

    fn string(&mut self) -> Option<String> {
        self.s().map(str::to_string)
    }

    fn opt_s(&mut self) -> Option<Option<&'a str>> {
        match self.byte()? {
            0 => Some(None),
            1 => self.s().map(Some),
            _ => None,
        }
    }

    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.buf.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn b(&mut self) -> Option<bool> {
        match self.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }

    /// A list length, bounded by the bytes left (each element takes at least one), so a
    /// damaged length cannot ask for a huge allocation.
    fn len(&mut self) -> Option<usize> {
        let n = self.n()?;
        (n <= self.buf.len() - self.at).then_some(n)
    }

    fn list<T>(&mut self, mut f: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        let n = self.len()?;
        let mut v = Vec::with_capacity(n);
        for _ in 0..n {
            v.push(f(self)?);
        }
        Some(v)
    }
}

/// Encodes one file's extraction. Locations name the file they are in, so their path is
/// written only when it is another file's (none today).
pub fn encode(p: &ParsedFile, rel: &str, e: &mut Enc) {
    let ParsedFile {
        hits,
        code,
        unit_locs,
        manifest,
        diags,
        sql_error_line,
    } = p;
    e.n(hits.len());
    for h in hits {
        hit(h, rel, e);
    }
    match code {
        Some(c) => {
            e.b(true);
            code_file(c, e);
        }
        None => e.b(false),
    }
    e.n(unit_locs.len());
    for l in unit_locs {
        location(l, rel, e);
    }
    match manifest {
        Some(Manifest { name, entries }) => {
            e.b(true);
            e.opt_s(name.as_deref());
            e.n(entries.len());
            for s in entries {
                e.s(s);
            }
        }
        None => e.b(false),
    }
    e.n(diags.len());
    for Diagnostic {
        path,
        message,
        level,
    } in diags
    {
        e.s(path);
        e.s(message);
        e.b(*level == Level::Note);
    }
    e.u(sql_error_line.map_or(0, |l| l as u64 + 1));
}

/// Decodes what `encode` wrote for the file `rel`; None when the bytes are not a whole,
/// consistent entry.
pub fn decode(buf: &[u8], rel: &Arc<str>) -> Option<ParsedFile> {
    let d = &mut Dec::new(buf);
    let mut hits = d.list(|d| dec_hit(d, rel))?;
    hits.shrink_to_fit();
    let code = if d.b()? { Some(dec_code(d)?) } else { None };
    let unit_locs = d.list(|d| dec_location(d, rel))?;
    let manifest = if d.b()? {
        Some(Manifest {
            name: d.opt_s()?.map(str::to_string),
            entries: d.list(Dec::string)?,
        })
    } else {
        None
    };
    let diags = d.list(|d| {
        Some(Diagnostic {
            path: d.string()?,
            message: d.string()?,
            level: if d.b()? { Level::Note } else { Level::Warning },
        })
    })?;
    let sql_error_line = d.n()?.checked_sub(1);
    // The model indexes units with these: they must name units the file has.
    let units = code.as_ref().map_or(1, |c| c.units.len());
    if d.at != buf.len() || hits.iter().any(|h| h.unit >= units) {
        return None;
    }
    if code.is_some() && unit_locs.len() != units {
        return None;
    }
    Some(ParsedFile {
        hits,
        code,
        unit_locs,
        manifest,
        diags,
        sql_error_line,
    })
}

fn hit(h: &Hit, rel: &str, e: &mut Enc) {
    let Hit {
        fact,
        variant,
        start,
        end,
        scope,
        loc,
        unit,
        values,
    } = h;
    for v in [*fact, *variant, *start, *end, scope.0, scope.1, *unit] {
        e.n(v);
    }
    location(loc, rel, e);
    e.n(values.len());
    for (k, v) in values.iter() {
        e.s(k);
        e.s(v);
    }
}

fn dec_hit(d: &mut Dec, rel: &Arc<str>) -> Option<Hit> {
    let (fact, variant, start, end) = (d.n()?, d.n()?, d.n()?, d.n()?);
    let scope = (d.n()?, d.n()?);
    let unit = d.n()?;
    let loc = dec_location(d, rel)?;
    let mut values = Values::new();
    for _ in 0..d.len()? {
        let (k, v) = (d.s()?, d.s()?);
        values.insert(k, v);
    }
    values.shrink();
    Some(Hit {
        fact,
        variant,
        start,
        end,
        scope,
        loc,
        unit,
        values,
    })
}

fn location(l: &Location, rel: &str, e: &mut Enc) {
    let Location {
        path,
        line,
        column,
        end_line,
        snippet,
    } = l;
    e.opt_s((**path != *rel).then_some(&**path));
    e.n(*line);
    e.n(*column);
    e.n(*end_line);
    e.s(snippet);
}

fn dec_location(d: &mut Dec, rel: &Arc<str>) -> Option<Location> {
    let path = match d.opt_s()? {
        Some(p) => Arc::from(p),
        None => rel.clone(),
    };
    Some(Location {
        path,
        line: d.n()?,
        column: d.n()?,
        end_line: d.n()?,
        snippet: d.string()?,
    })
}

fn code_file(c: &CodeFile, e: &mut Enc) {
    let CodeFile {
        units,
        calls,
        imports,
        reexports,
        route_refs,
        default_export_name,
        instances,
        local_news,
        classes,
        use_client,
        use_server,
        call_args,
        parents,
        guards,
        export_aliases,
        handler_maps,
        map_lookups,
    } = c;
    e.n(units.len());
    for u in units {
        let Unit {
            name,
            container,
            route,
            start,
            end,
            line,
            params,
            is_module,
            default_export,
            named_export,
            entry,
        } = u;
        e.s(name);
        e.opt_s(*container);
        e.opt_s(*route);
        e.n(*start);
        e.n(*end);
        e.n(*line);
        e.n(params.len());
        for p in params {
            e.s(p);
        }
        e.b(*is_module);
        e.b(*default_export);
        e.b(*named_export);
        e.opt_s(*entry);
    }
    e.n(calls.len());
    for Call {
        unit,
        pos,
        end,
        name,
        receiver,
        args,
    } in calls
    {
        e.n(*unit);
        e.n(*pos);
        e.n(*end);
        e.s(name);
        e.opt_s(*receiver);
        e.u(args.start.into());
        e.u(args.end.into());
    }
    for links in [imports, reexports] {
        e.n(links.len());
        for Link {
            name,
            imported,
            source,
        } in links
        {
            e.s(name);
            e.s(imported);
            e.s(source);
        }
    }
    e.n(route_refs.len());
    for RouteRef {
        route,
        target,
        kind,
    } in route_refs
    {
        e.opt_s(route.as_deref());
        e.s(target);
        e.s(kind);
    }
    e.opt_s(default_export_name.as_deref());
    e.n(instances.len());
    for (a, b) in instances {
        e.s(a);
        e.s(b);
    }
    e.n(local_news.len());
    for LocalNew {
        unit,
        pos,
        name,
        class,
    } in local_news
    {
        e.n(*unit);
        e.n(*pos);
        e.s(name);
        e.s(class);
    }
    e.n(classes.len());
    for (a, b) in classes {
        e.s(a);
        e.opt_s(b.as_deref());
    }
    e.b(*use_client);
    e.b(*use_server);
    e.s(call_args);
    e.n(parents.len());
    for p in parents {
        e.n(*p);
    }
    e.n(guards.len());
    for Guard {
        start,
        end,
        cond,
        catch,
        exits,
        skips_to,
        negated,
    } in guards
    {
        e.n(*start);
        e.n(*end);
        e.s(cond);
        e.b(*catch);
        e.b(*exits);
        e.n(*skips_to);
        e.b(*negated);
    }
    e.n(export_aliases.len());
    for (a, b) in export_aliases {
        e.s(a);
        e.s(b);
    }
    e.n(handler_maps.len());
    for (m, fns) in handler_maps {
        e.s(m);
        e.n(fns.len());
        for f in fns {
            e.s(f);
        }
    }
    e.n(map_lookups.len());
    for (a, b) in map_lookups {
        e.s(a);
        e.s(b);
    }
}

fn dec_code(d: &mut Dec) -> Option<CodeFile> {
    let units = d.list(|d| {
        Some(Unit {
            name: intern(d.s()?),
            container: d.opt_s()?.map(intern),
            route: d.opt_s()?.map(intern),
            start: d.n()?,
            end: d.n()?,
            line: d.n()?,
            params: d.list(|d| d.s().map(intern))?,
            is_module: d.b()?,
            default_export: d.b()?,
            named_export: d.b()?,
            entry: d.opt_s()?.map(intern),
        })
    })?;
    let calls = d.list(|d| {
        Some(Call {
            unit: d.n()?,
            pos: d.n()?,
            end: d.n()?,
            name: intern(d.s()?),
            receiver: d.opt_s()?.map(intern),
            args: u32::try_from(d.u()?).ok()?..u32::try_from(d.u()?).ok()?,
        })
    })?;
    let link = |d: &mut Dec| {
        Some(Link {
            name: intern(d.s()?),
            imported: intern(d.s()?),
            source: intern(d.s()?),
        })
    };
    let imports = d.list(link)?;
    let reexports = d.list(link)?;
    let route_refs = d.list(|d| {
        Some(RouteRef {
            route: d.opt_s()?.map(str::to_string),
            target: d.string()?,
            kind: intern(d.s()?),
        })
    })?;
    let default_export_name = d.opt_s()?.map(str::to_string);
    let instances = d.list(|d| Some((d.string()?, d.string()?)))?;
    let local_news = d.list(|d| {
        Some(LocalNew {
            unit: d.n()?,
            pos: d.n()?,
            name: intern(d.s()?),
            class: intern(d.s()?),
        })
    })?;
    let classes = d.list(|d| Some((d.string()?, d.opt_s()?.map(str::to_string))))?;
    let (use_client, use_server) = (d.b()?, d.b()?);
    let call_args = d.string()?;
    let parents = d.list(Dec::n)?;
    let guards = d.list(|d| {
        Some(Guard {
            start: d.n()?,
            end: d.n()?,
            cond: intern(d.s()?),
            catch: d.b()?,
            exits: d.b()?,
            skips_to: d.n()?,
            negated: d.b()?,
        })
    })?;
    let export_aliases = d.list(|d| Some((d.string()?, d.string()?)))?;
    let handler_maps = d.list(|d| Some((d.string()?, d.list(|d| d.string())?)))?;
    let map_lookups = d.list(|d| Some((d.string()?, d.string()?)))?;
    // What the model indexes or slices with must lie inside the file's own lists and text.
    let n = units.len();
    let args_ok = |c: &Call| {
        let r = c.args.start as usize..c.args.end as usize;
        r.start <= r.end && call_args.get(r).is_some()
    };
    if n == 0
        || calls.iter().any(|c| c.unit >= n || !args_ok(c))
        || parents.iter().any(|&p| p >= n)
        || local_news.iter().any(|l| l.unit >= n)
    {
        return None;
    }
    Some(CodeFile {
        units,
        calls,
        imports,
        reexports,
        route_refs,
        default_export_name,
        instances,
        local_news,
        classes,
        use_client,
        use_server,
        call_args,
        parents,
        guards,
        export_aliases,
        handler_maps,
        map_lookups,
    })
}
