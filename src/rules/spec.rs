//! The YAML rule formats. Each type that holds a regex or a fact reference takes the phase
//! (`phase::Parsed` as deserialised, `phase::Compiled` by default, as `compile` makes it), so
//! that evaluation only ever sees checked regexes and resolved references.

pub use super::phase::{Compiled, FactRef, Parse, Parsed, Phase, Re, ReSrc, Text};
use crate::lang::Lang;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One regex or a list of them.
#[derive(Debug, Clone)]
pub enum Res<P: Phase = Compiled> {
    One(P::Re),
    Many(Vec<P::Re>),
}

impl<P: Phase> Res<P> {
    pub fn items(&self) -> Vec<&P::Re> {
        match self {
            Res::One(r) => vec![r],
            Res::Many(v) => v.iter().collect(),
        }
    }
}

/// `rules/facts/*.yaml`: named facts extracted from source files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactFile {
    /// Named sets of props that facts of any fact file take with `props_from` (YAML anchors
    /// do not reach across files, and one data layer's writes read statuses, times and
    /// contacts as another's do).
    #[serde(default)]
    pub prop_sets: BTreeMap<String, BTreeMap<String, PropSpec<Parsed>>>,
    #[serde(default)]
    pub facts: Vec<FactSpec<Parsed>>,
    /// Cases of the checks these facts serve, each naming its check (`check:`): an ORM
    /// adapter or a payment provider carries the idioms of its documentation with it.
    #[serde(default)]
    pub tests: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct FactSpec<P: Phase = Compiled> {
    pub id: Text,
    /// What the fact is, in a sentence (shown by `explain` and in skip details).
    pub about: String,
    pub langs: Vec<Lang>,
    /// A tree-sitter query. `@match` names the node the fact stands for.
    #[serde(default)]
    pub query: Option<Text>,
    /// Shorthand: a call whose callee text matches this regex (captures `callee`, `args`).
    #[serde(default)]
    pub call: Option<P::Re>,
    /// Shorthand: a string or template literal whose text matches this regex.
    #[serde(default)]
    pub string: Option<P::Re>,
    /// Shorthand: every match of this regex in the file's text (any language), for SQL
    /// and for SQL kept in strings; named groups become values.
    #[serde(default)]
    pub scan: Option<P::Re>,
    /// Regexes every named capture must match; named groups become values.
    #[serde(default, rename = "match")]
    pub matches: BTreeMap<String, P::Re>,
    /// Regexes no named capture may match.
    #[serde(default)]
    pub not_match: BTreeMap<String, P::Re>,
    /// Values derived from captures by regex (first group, or `value` when it matches).
    #[serde(default)]
    pub props: BTreeMap<String, PropSpec<P>>,
    /// A `prop_sets` entry (of any fact file) whose props this fact takes too; its own
    /// `props` of the same name win.
    #[serde(default)]
    pub props_from: Option<Text>,
    /// How the schema model uses the fact (entity, field, constraint, transaction).
    #[serde(default)]
    pub role: Role,
    /// For `role: transaction`: the fact that ends a region opened by this one.
    #[serde(default)]
    pub until: Option<P::FactRef>,
    /// For `role: hook`: the fact (a write) that the hook's function runs before.
    #[serde(default)]
    pub runs_before: Option<P::FactRef>,
    /// How a fact is named in details: a template over its values.
    #[serde(default)]
    pub label: Option<Text>,
    /// A catch-all form, ranked: where two variants of a fact match the same code, the one of
    /// lower rank is the fact (0, the default, for a library's own forms; then `Model.create`,
    /// then `x.save()`, then a write through any receiver that may hold a data reference).
    /// The loader orders variants by rank, then by file, so a catch-all in any file yields to
    /// every specific form.
    #[serde(default)]
    pub fallback: u8,
}

/// The text a fact's first regex reads: the callee (`call`) or the whole match (`string`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Callee,
    Text,
}

impl FactSpec {
    /// The regex a match must pass first, and the text it reads.
    pub fn first_regex(&self) -> Option<(Target, &Re)> {
        match (&self.call, &self.string) {
            (Some(re), _) => Some((Target::Callee, re)),
            (None, Some(re)) => Some((Target::Text, re)),
            (None, None) => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct PropSpec<P: Phase = Compiled> {
    #[serde(default = "default_from")]
    pub from: String,
    /// Tried in order; the first that matches gives the value.
    pub regex: Res<P>,
    #[serde(default)]
    pub value: Option<String>,
    /// When no capture yields the value: the schema default of the written entity's field
    /// whose name matches this regex.
    #[serde(default)]
    pub fallback_field: Option<P::Re>,
    /// The value names a variable of the fact's function (`data: { status }`): a flow whose
    /// call passes a literal for it sees the fact with this prop set to that literal (and
    /// `<prop>_from: call`).
    #[serde(default)]
    pub through_calls: Option<String>,
    /// With `through_calls`: the variable is the whole argument (`Reservation.create(props)`),
    /// so a caller's object literal gives the prop by a key named like it (`paymentStatus:
    /// 'unpaid'` for `status`), and a write that passes it may still omit the value.
    #[serde(default)]
    pub whole: bool,
}

fn default_from() -> String {
    "match".into()
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Fact,
    Entity,
    Field,
    Constraint,
    Transaction,
    /// A lifecycle hook (Payload `beforeValidate`, TypeORM `@BeforeInsert`, Mongoose
    /// `pre('save')`): its function runs before every `runs_before` fact on its entity.
    Hook,
}

/// `rules/model.yaml`: the domain vocabulary the checks share.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct ModelSpec<P: Phase = Compiled> {
    /// Short check ids in report order; checks not listed follow, sorted by id.
    pub catalogue: Vec<String>,
    /// Named regexes, usable anywhere a regex is expected as `$name`.
    #[serde(default)]
    pub patterns: BTreeMap<String, Text>,
    /// Ordered: the first kind whose rule accepts an entity name decides its kind.
    pub entity_kinds: Vec<EntityKindSpec<P>>,
    /// Paths of files that always run on the server / in the browser.
    pub server_paths: P::Re,
    pub client_paths: P::Re,
    /// Dependencies that make a package a front end. In a package with none of them,
    /// `client_paths` folders (a Koa API's `src/components/`) hold server code.
    #[serde(default)]
    pub frontend_packages: Option<P::Re>,
    /// Files whose path names the route their handlers serve (Next.js and similar).
    pub route_files: P::Re,
    pub flow_kinds: BTreeMap<String, FlowCond<P>>,
    /// Normalized write kinds (insert, update, delete, upsert) by regex on a write's `op`.
    /// A fact with `entity` and `op` values is a write and gets a `write` value.
    pub write_ops: BTreeMap<String, P::Re>,
    /// Named conditions checks can reuse with `ref: NAME`.
    #[serde(default)]
    pub conditions: BTreeMap<String, Cond<P>>,
    /// When this is false, every check is skipped: "no booking domain found".
    pub booking_domain: Cond<P>,
    /// Entity keys forced to a kind before `entity_kinds` is consulted. Set from the user's
    /// config (`entities:`), never from rule files.
    #[serde(skip)]
    pub entity_names: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct EntityKindSpec<P: Phase = Compiled> {
    pub kind: String,
    pub name: P::Re,
    /// The entity must have a field whose name matches; with a list, one field for each regex
    /// (a structure: who books, and what and when, rather than a name).
    #[serde(default)]
    pub has_field: Option<Res<P>>,
    /// When the entity's fields are known, one of them must match one of these (a booking
    /// named so but holding photos or tokens is not one); an entity with no known fields
    /// passes.
    #[serde(default)]
    pub fields_like: Vec<P::Re>,
    /// Applies only when no entity takes this kind from the other rules.
    #[serde(default)]
    pub fallback: bool,
    /// Another entity whose name matches must have a field naming this one.
    #[serde(default)]
    pub referenced_by: Option<P::Re>,
    /// Or: the entity is inserted by a function whose name matches (overrides the name).
    #[serde(default)]
    pub inserted_by: Option<P::Re>,
}

/// `rules/<category>/<check>.yaml`: one check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct CheckSpec<P: Phase = Compiled> {
    pub id: Text,
    pub title: String,
    pub category: Text,
    pub severity: Severity,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub related: Vec<Text>,
    pub why: String,
    pub explain: ExplainSpec,
    pub remediation: String,
    pub decide: Vec<Outcome<P>>,
    #[serde(default)]
    pub tests: Vec<TestCase>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainSpec {
    pub pass: String,
    pub fail: String,
    pub skip: String,
}

#[derive(
    Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn weight(self) -> f64 {
        match self {
            Severity::Critical => 10.0,
            Severity::High => 5.0,
            Severity::Medium => 3.0,
            Severity::Low => 1.0,
            Severity::Info => 0.5,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

#[derive(
    Debug, Deserialize, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Skip,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Skip => "skip",
        }
    }
}

/// One ordered outcome: the first whose `when` holds decides the verdict.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct Outcome<P: Phase = Compiled> {
    pub verdict: Verdict,
    #[serde(default)]
    pub when: Option<Cond<P>>,
    pub detail: Text,
}

/// A condition on the whole repository model.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub enum Cond<P: Phase = Compiled> {
    All(Vec<Cond<P>>),
    Any(Vec<Cond<P>>),
    Not(Box<Cond<P>>),
    /// Some fact matches.
    Exists(Box<Selector<P>>),
    /// Some entity of a kind (with a field, a default, a constraint) exists.
    Entity(Box<EntityCond<P>>),
    /// Every flow of the kinds satisfies the flow condition (vacuously true when none).
    EveryFlow(Box<FlowQuant<P>>),
    /// At least one flow of the kinds satisfies the flow condition.
    SomeFlow(Box<FlowQuant<P>>),
    /// Always true; binds nothing. Useful as an explicit default.
    Always(bool),
    /// A named condition from model.yaml's `conditions`.
    Ref(Text),
    /// Every fact the selector matches has values matching `has` (vacuously true when none);
    /// binds n (matching) of m (selected).
    EveryFact(Box<EveryFactSpec<P>>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct EveryFactSpec<P: Phase = Compiled> {
    pub of: Selector<P>,
    pub has: BTreeMap<String, P::Re>,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct Selector<P: Phase = Compiled> {
    pub fact: FactRefs<P>,
    /// Regexes on the fact's values; a missing value never matches.
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, P::Re>,
    /// Regexes on the fact's values that exclude it when they match.
    #[serde(default)]
    pub unless: BTreeMap<String, P::Re>,
    /// The fact's `entity` value must name an entity of one of these kinds.
    #[serde(default)]
    pub entity: Option<OneOrMany>,
    /// The fact's entity must have no field matching (an insert of the event that
    /// carries the capacity is not an insert of a booking into it).
    #[serde(default)]
    pub entity_lacks_field: Option<P::Re>,
    /// The fact's entity must have a unique or exclusion constraint with a column matching
    /// (a slot row's insert claims the slot only where its table refuses a second one).
    #[serde(default)]
    pub entity_constraint: Option<P::Re>,
    #[serde(default)]
    pub side: Side,
    /// In flow conditions: also look in the flow's files and the files they import,
    /// not only inside the flow's functions (for validation schemas declared beside a handler).
    #[serde(default)]
    pub reach: Reach,
    /// The parameters of the function holding the fact, joined with `, ` (`err, req, res,
    /// next`: Express's error middleware), must match.
    #[serde(default)]
    pub fn_params: Option<P::Re>,
    /// In flow conditions: the event runs inside a catch block (`true`) or outside every one
    /// (`false`), in its function or around a call that reached it.
    #[serde(default)]
    pub in_catch: Option<bool>,
    /// In flow conditions: a condition of a branch around the event (or around a call that
    /// reached it) matches: `if (hold.expiresAt < new Date()) { ... }`.
    #[serde(default)]
    pub under: Option<P::Re>,
    /// In flow conditions: no condition of a branch around the event matches.
    #[serde(default)]
    pub not_under: Option<P::Re>,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

#[derive(Debug, Clone)]
pub enum FactRefs<P: Phase = Compiled> {
    One(P::FactRef),
    Many(Vec<P::FactRef>),
}

impl<P: Phase> FactRefs<P> {
    pub fn items(&self) -> Vec<&P::FactRef> {
        match self {
            FactRefs::One(t) => vec![t],
            FactRefs::Many(v) => v.iter().collect(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum OneOrMany {
    One(Text),
    Many(Vec<Text>),
}

impl OneOrMany {
    pub fn items(&self) -> Vec<&Text> {
        match self {
            OneOrMany::One(t) => vec![t],
            OneOrMany::Many(v) => v.iter().collect(),
        }
    }
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    #[default]
    Server,
    Client,
    Any,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Reach {
    #[default]
    Flow,
    /// Also the module-level code of the flow's own files (an object of handlers beside the
    /// function that dispatches through it).
    Files,
    Imports,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct EntityCond<P: Phase = Compiled> {
    pub kind: OneOrMany,
    /// A field whose name matches.
    #[serde(default)]
    pub field: Option<P::Re>,
    /// ...whose schema default matches.
    #[serde(default)]
    pub default: Option<P::Re>,
    /// ...whose type matches.
    #[serde(default, rename = "type")]
    pub type_: Option<P::Re>,
    /// A unique or exclusion constraint with a column matching this regex.
    #[serde(default)]
    pub constraint: Option<P::Re>,
    /// Only entities that a fact matching this selector writes.
    #[serde(default)]
    pub written_by: Option<Box<Selector<P>>>,
    /// Only entities with no field matching this regex (a hold that has a `user_id`).
    #[serde(default)]
    pub lacks_field: Option<P::Re>,
    /// Only entities a schema declares (a model, table or collection definition), not names
    /// known only from the queries that read or write them.
    #[serde(default)]
    pub declared: bool,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct FlowQuant<P: Phase = Compiled> {
    pub kind: OneOrMany,
    #[serde(default)]
    pub side: Side,
    /// Only flows that also satisfy this.
    #[serde(default, rename = "where")]
    pub where_: Option<FlowCond<P>>,
    pub satisfies: FlowCond<P>,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

/// A condition on one flow: a root function and the repo functions it calls, in order.
#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub enum FlowCond<P: Phase = Compiled> {
    All(Vec<FlowCond<P>>),
    Any(Vec<FlowCond<P>>),
    Not(Box<FlowCond<P>>),
    Has(Box<Selector<P>>),
    /// `first` occurs before `then` (an earlier event in the flow's order; with `same_path`,
    /// on one path through the code).
    Before(Box<Pair<P>>),
    /// `first` occurs before `then`, and both in one transaction.
    BeforeInTransaction(Box<Pair<P>>),
    /// Every `then` event is preceded in the flow by a `first` event.
    EachPreceded(Box<Pair<P>>),
    /// The flow's root function name, or the route it serves, matches.
    Named(Box<P::Re>),
    /// The flow's root file path matches.
    Path(Box<P::Re>),
    /// The kind of entry point the flow's root is (`rules/frameworks/*.yaml`: `read`,
    /// `request`, `job`...) matches; a root no entry names is `function`.
    Entry(Box<P::Re>),
    /// Writes matching the selector that are not all inside one transaction scope.
    /// Holds when the flow has at least `min` such writes (to `distinct` entities if set).
    WritesOutsideTransaction(Box<WritesSpec<P>>),
    /// Flow is also of another kind.
    Kind(Text),
    /// Constant (`always: true` selects every flow of the kind).
    Always(bool),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct Pair<P: Phase = Compiled> {
    pub first: Selector<P>,
    pub then: Selector<P>,
    /// `then` must be able to run after `first` on one path: not after a branch that holds
    /// `first` and ends in `return` or `throw` (`if (free) { insertConfirmed(); return }`,
    /// then `charge()`). Off for a refusal that precedes what it guards (`if (clash) return
    /// 409` before the insert), which is on the other path by design.
    #[serde(default)]
    pub same_path: bool,
    /// When `first` is a lock taken with a callback (a `scoped` value: `redlock.using(keys,
    /// ttl, fn)`), `then` must run in that callback: the lock is released when the call
    /// returns. A lock that stays taken (`acquire`, `SET NX PX`) asks nothing more.
    #[serde(default)]
    pub held: bool,
    /// No event matching this comes between `first` and `then` (a lock released before the
    /// insert: `acquireLock(key)`, `releaseLock(key)`, then `insert`).
    #[serde(default)]
    pub until: Option<Selector<P>>,
    /// The function `first` runs in is still running at `then`: a test in a helper that
    /// returned before (`statusIcon(b)` switching on the status) guards nothing after it.
    #[serde(default)]
    pub open: bool,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "P: Parse"))]
pub struct WritesSpec<P: Phase = Compiled> {
    pub writes: Selector<P>,
    #[serde(default = "two")]
    pub min: usize,
    #[serde(default)]
    pub distinct: bool,
}

fn two() -> usize {
    2
}

/// Where a case written in a fact file came from: its label names the file, and its fixture
/// is found where that file's fixtures are (the source checkout, or the current directory
/// for a `--rules` file).
#[derive(Debug, Clone)]
pub struct CaseOrigin {
    /// `orm/prisma` for `rules/facts/orm/prisma.yaml`.
    pub name: String,
    pub builtin: bool,
}

/// A check's own test: a fixture directory or inline files, and the verdict expected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
    /// In a fact file: the check the case is for (short or full id).
    #[serde(default)]
    pub check: Option<Text>,
    /// The fact file a case came from, when it did not come from its check's file.
    #[serde(skip)]
    pub origin: Option<CaseOrigin>,
    pub expect: Verdict,
    /// A directory relative to the repository root.
    #[serde(default)]
    pub fixture: Option<String>,
    /// Inline files: path -> content.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// Substring the detail line must contain.
    #[serde(default)]
    pub detail_contains: Option<String>,
}
