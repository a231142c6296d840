//! The YAML rule formats as plain serde types (phase one of loading).
//! Phase two (`compile`) checks their meaning: regexes, queries, references, templates.

use super::re::{Automata, Groups};
use crate::lang::Lang;
use serde::Deserialize;
use serde_saphyr::Spanned;
use std::collections::BTreeMap;
use std::sync::OnceLock;

pub type Text = Spanned<String>;

/// A scalar read as text: `email: true` in a `where` map is the regex `true`. The scalar is
/// read by type inference (the built-in rules' JSON form keeps it a boolean), so
/// `rules::yaml_options` keeps spellings such as `yes` and `1_000` strings.
pub struct ScalarText(String);

impl<'de> Deserialize<'de> for ScalarText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ScalarVisitor::<ScalarText>::new(false))? {
            ScalarOrList::Scalar(t) => Ok(t),
            ScalarOrList::List(_) => Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Seq,
                &"a string",
            )),
        }
    }
}

/// A regex from a rule file. Validation expands `$name` patterns and checks the syntax; the
/// automata are built on first use (see `super::re`).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Spanned<ScalarText>")]
pub struct Re {
    pub src: Text,
    expanded: OnceLock<String>,
    /// Shared by every `Re` that spells the same pattern (rules repeat patterns through
    /// anchors and `$name`s), so they share one search budget and one memo of results.
    automata: OnceLock<&'static Automata>,
}

impl From<Spanned<ScalarText>> for Re {
    fn from(src: Spanned<ScalarText>) -> Self {
        Re {
            src: Spanned {
                value: src.value.0,
                referenced: src.referenced,
                defined: src.defined,
            },
            expanded: OnceLock::new(),
            automata: OnceLock::new(),
        }
    }
}

impl Re {
    /// Records the validated, expanded regex text.
    pub fn set(&self, expanded: String) {
        let _ = self.expanded.set(expanded);
    }
    fn pattern(&self) -> &str {
        self.expanded.get().expect("rules are validated before use")
    }
    fn automata(&self) -> &Automata {
        self.automata
            .get_or_init(|| Automata::for_pattern(self.pattern()))
    }
    pub fn is_match(&self, text: &str) -> bool {
        self.automata().is_match(self.pattern(), text)
    }
    pub fn captures<'h>(&self, text: &'h str) -> Option<Groups<'h>> {
        self.automata().captures(self.pattern(), text)
    }
    /// Up to `limit` successive non-overlapping matches.
    pub fn captures_all<'h>(&self, text: &'h str, limit: usize) -> Vec<Groups<'h>> {
        self.automata().captures_all(self.pattern(), text, limit)
    }
    /// Literals every match contains (one at least), if the regex has any worth a scan.
    pub fn prefilter(&self) -> Option<&super::prefilter::Prefilter> {
        self.automata().prefilter(self.pattern())
    }
    /// The named groups, with their indexes.
    pub fn names(&self) -> &[(usize, String)] {
        self.automata().names(self.pattern())
    }
}

/// One regex or a list of them.
#[derive(Debug, Clone)]
pub enum Res {
    One(Re),
    Many(Vec<Re>),
}

impl Res {
    pub fn items(&self) -> Vec<&Re> {
        match self {
            Res::One(r) => vec![r],
            Res::Many(v) => v.iter().collect(),
        }
    }
}

/// A reference to a fact by id, resolved to its index during validation.
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Spanned<String>")]
pub struct FactRef {
    pub name: Text,
    index: OnceLock<usize>,
}

impl From<Spanned<String>> for FactRef {
    fn from(name: Spanned<String>) -> Self {
        FactRef {
            name,
            index: OnceLock::new(),
        }
    }
}

impl FactRef {
    pub fn set(&self, i: usize) {
        let _ = self.index.set(i);
    }
    pub fn index(&self) -> usize {
        *self.index.get().expect("rules are compiled before use")
    }
}

/// `rules/facts/*.yaml`: named facts extracted from source files.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactFile {
    pub facts: Vec<FactSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactSpec {
    pub id: Text,
    /// What the fact is, in a sentence (shown by `explain` and in skip details).
    pub about: String,
    pub langs: Vec<Lang>,
    /// A tree-sitter query. `@match` names the node the fact stands for.
    #[serde(default)]
    pub query: Option<Text>,
    /// Shorthand: a call whose callee text matches this regex (captures `callee`, `args`).
    #[serde(default)]
    pub call: Option<Re>,
    /// Shorthand: a string or template literal whose text matches this regex.
    #[serde(default)]
    pub string: Option<Re>,
    /// Shorthand: every match of this regex in the file's text (any language), for SQL
    /// and for SQL kept in strings; named groups become values.
    #[serde(default)]
    pub scan: Option<Re>,
    /// Regexes every named capture must match; named groups become values.
    #[serde(default, rename = "match")]
    pub matches: BTreeMap<String, Re>,
    /// Regexes no named capture may match.
    #[serde(default)]
    pub not_match: BTreeMap<String, Re>,
    /// Values derived from captures by regex (first group, or `value` when it matches).
    #[serde(default)]
    pub props: BTreeMap<String, PropSpec>,
    /// How the schema model uses the fact (entity, field, constraint, transaction).
    #[serde(default)]
    pub role: Role,
    /// For `role: transaction`: the fact that ends a region opened by this one.
    #[serde(default)]
    pub until: Option<FactRef>,
    /// For `role: hook`: the fact (a write) that the hook's function runs before.
    #[serde(default)]
    pub runs_before: Option<FactRef>,
    /// How a fact is named in details: a template over its values.
    #[serde(default)]
    pub label: Option<Text>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PropSpec {
    #[serde(default = "default_from")]
    pub from: String,
    /// Tried in order; the first that matches gives the value.
    pub regex: Res,
    #[serde(default)]
    pub value: Option<String>,
    /// When no capture yields the value: the schema default of the written entity's field
    /// whose name matches this regex.
    #[serde(default)]
    pub fallback_field: Option<Re>,
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
pub struct ModelSpec {
    /// Short check ids in report order; checks not listed follow, sorted by id.
    pub catalogue: Vec<String>,
    /// Named regexes, usable anywhere a regex is expected as `$name`.
    #[serde(default)]
    pub patterns: BTreeMap<String, Text>,
    /// Ordered: the first kind whose rule accepts an entity name decides its kind.
    pub entity_kinds: Vec<EntityKindSpec>,
    /// Paths of files that always run on the server / in the browser.
    pub server_paths: Re,
    pub client_paths: Re,
    /// Dependencies that make a package a front end. In a package with none of them,
    /// `client_paths` folders (a Koa API's `src/components/`) hold server code.
    #[serde(default)]
    pub frontend_packages: Option<Re>,
    /// Files whose path names the route their handlers serve (Next.js and similar).
    pub route_files: Re,
    pub flow_kinds: BTreeMap<String, FlowCond>,
    /// Normalized write kinds (insert, update, delete, upsert) by regex on a write's `op`.
    /// A fact with `entity` and `op` values is a write and gets a `write` value.
    pub write_ops: BTreeMap<String, Re>,
    /// Named conditions checks can reuse with `ref: NAME`.
    #[serde(default)]
    pub conditions: BTreeMap<String, Cond>,
    /// When this is false, every check is skipped: "no booking domain found".
    pub booking_domain: Cond,
    /// Entity keys forced to a kind before `entity_kinds` is consulted. Set from the user's
    /// config (`entities:`), never from rule files.
    #[serde(skip)]
    pub entity_names: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityKindSpec {
    pub kind: String,
    pub name: Re,
    /// The entity must have a field whose name matches; with a list, one field for each regex
    /// (a structure: who books, and what and when, rather than a name).
    #[serde(default)]
    pub has_field: Option<Res>,
    /// When the entity's fields are known, one of them must match one of these (a booking
    /// named so but holding photos or tokens is not one); an entity with no known fields
    /// passes.
    #[serde(default)]
    pub fields_like: Vec<Re>,
    /// Applies only when no entity takes this kind from the other rules.
    #[serde(default)]
    pub fallback: bool,
    /// Another entity whose name matches must have a field naming this one.
    #[serde(default)]
    pub referenced_by: Option<Re>,
    /// Or: the entity is inserted by a function whose name matches (overrides the name).
    #[serde(default)]
    pub inserted_by: Option<Re>,
}

/// `rules/<category>/<check>.yaml`: one check.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
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
    pub decide: Vec<Outcome>,
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
pub struct Outcome {
    pub verdict: Verdict,
    #[serde(default)]
    pub when: Option<Cond>,
    pub detail: Text,
}

/// A condition on the whole repository model.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    /// Some fact matches.
    Exists(Box<Selector>),
    /// Some entity of a kind (with a field, a default, a constraint) exists.
    Entity(Box<EntityCond>),
    /// Every flow of the kinds satisfies the flow condition (vacuously true when none).
    EveryFlow(Box<FlowQuant>),
    /// At least one flow of the kinds satisfies the flow condition.
    SomeFlow(Box<FlowQuant>),
    /// Always true; binds nothing. Useful as an explicit default.
    Always(bool),
    /// A named condition from model.yaml's `conditions`.
    Ref(Text),
    /// Every fact the selector matches has values matching `has` (vacuously true when none);
    /// binds n (matching) of m (selected).
    EveryFact(Box<EveryFactSpec>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EveryFactSpec {
    pub of: Selector,
    pub has: BTreeMap<String, Re>,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    pub fact: FactRefs,
    /// Regexes on the fact's values; a missing value never matches.
    #[serde(default, rename = "where")]
    pub where_: BTreeMap<String, Re>,
    /// Regexes on the fact's values that exclude it when they match.
    #[serde(default)]
    pub unless: BTreeMap<String, Re>,
    /// The fact's `entity` value must name an entity of one of these kinds.
    #[serde(default)]
    pub entity: Option<OneOrMany>,
    /// The fact's entity must have no field matching (an insert of the event that
    /// carries the capacity is not an insert of a booking into it).
    #[serde(default)]
    pub entity_lacks_field: Option<Re>,
    #[serde(default)]
    pub side: Side,
    /// In flow conditions: also look in the flow's files and the files they import,
    /// not only inside the flow's functions (for validation schemas declared beside a handler).
    #[serde(default)]
    pub reach: Reach,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

#[derive(Debug, Clone)]
pub enum FactRefs {
    One(FactRef),
    Many(Vec<FactRef>),
}

impl FactRefs {
    pub fn items(&self) -> Vec<&FactRef> {
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
    Imports,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct EntityCond {
    pub kind: OneOrMany,
    /// A field whose name matches.
    #[serde(default)]
    pub field: Option<Re>,
    /// ...whose schema default matches.
    #[serde(default)]
    pub default: Option<Re>,
    /// ...whose type matches.
    #[serde(default, rename = "type")]
    pub type_: Option<Re>,
    /// A unique or exclusion constraint with a column matching this regex.
    #[serde(default)]
    pub constraint: Option<Re>,
    /// Only entities that a fact matching this selector writes.
    #[serde(default)]
    pub written_by: Option<Box<Selector>>,
    /// Only entities with no field matching this regex (a hold that has a `user_id`).
    #[serde(default)]
    pub lacks_field: Option<Re>,
    /// Only entities a schema declares (a model, table or collection definition), not names
    /// known only from the queries that read or write them.
    #[serde(default)]
    pub declared: bool,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowQuant {
    pub kind: OneOrMany,
    #[serde(default)]
    pub side: Side,
    /// Only flows that also satisfy this.
    #[serde(default, rename = "where")]
    pub where_: Option<FlowCond>,
    pub satisfies: FlowCond,
    #[serde(rename = "as", default)]
    pub bind: Option<Text>,
}

/// A condition on one flow: a root function and the repo functions it calls, in order.
#[derive(Debug, Deserialize, Clone)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum FlowCond {
    All(Vec<FlowCond>),
    Any(Vec<FlowCond>),
    Not(Box<FlowCond>),
    Has(Box<Selector>),
    /// `first` occurs before `then` (an earlier event in the flow's order).
    Before(Box<Pair>),
    /// `first` occurs before `then`, and both in one transaction.
    BeforeInTransaction(Box<Pair>),
    /// Every `then` event is preceded in the flow by a `first` event.
    EachPreceded(Box<Pair>),
    /// The flow's root function name, or the route it serves, matches.
    Named(Box<Re>),
    /// The flow's root file path matches.
    Path(Box<Re>),
    /// The kind of entry point the flow's root is (`rules/frameworks/*.yaml`: `read`,
    /// `request`, `job`...) matches; a root no entry names is `function`.
    Entry(Box<Re>),
    /// Writes matching the selector that are not all inside one transaction scope.
    /// Holds when the flow has at least `min` such writes (to `distinct` entities if set).
    WritesOutsideTransaction(Box<WritesSpec>),
    /// Flow is also of another kind.
    Kind(Text),
    /// Constant (`always: true` selects every flow of the kind).
    Always(bool),
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    pub first: Selector,
    pub then: Selector,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct WritesSpec {
    pub writes: Selector,
    #[serde(default = "two")]
    pub min: usize,
    #[serde(default)]
    pub distinct: bool,
}

fn two() -> usize {
    2
}

/// A check's own test: a fixture directory or inline files, and the verdict expected.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestCase {
    pub name: String,
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

/// A scalar or a list, read in one pass. serde's `untagged` enums buffer their input and so
/// drop the YAML locations that errors point at (a bad regex in a one-or-many field was
/// reported at line 1).
enum ScalarOrList<T> {
    Scalar(ScalarText),
    List(Vec<T>),
}

/// Reads a scalar as text, and when `lists` is set a list of `T` instead. Lists are refused
/// at once otherwise, so an aliased list of lists is never expanded where text is expected.
struct ScalarVisitor<T> {
    lists: bool,
    item: std::marker::PhantomData<T>,
}

impl<T> ScalarVisitor<T> {
    fn new(lists: bool) -> Self {
        ScalarVisitor {
            lists,
            item: std::marker::PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ScalarVisitor<T> {
    type Value = ScalarOrList<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(if self.lists {
            "a string or a list of strings"
        } else {
            "a string"
        })
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(ScalarOrList::Scalar(ScalarText(v.to_string())))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(ScalarOrList::Scalar(ScalarText(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(ScalarOrList::Scalar(ScalarText(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(ScalarOrList::Scalar(ScalarText(v.to_string())))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        if !self.lists {
            return Err(serde::de::Error::invalid_type(
                serde::de::Unexpected::Seq,
                &self,
            ));
        }
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(ScalarOrList::List(items))
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ScalarOrList<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor::new(true))
    }
}

/// Reads a one-or-many field: `one` makes the single item from the scalar and its location.
fn one_or_many<'de, D, T, R>(
    d: D,
    one: impl FnOnce(Spanned<ScalarText>) -> R,
    many: impl FnOnce(Vec<T>) -> R,
) -> Result<R, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    let s = Spanned::<ScalarOrList<T>>::deserialize(d)?;
    Ok(match s.value {
        ScalarOrList::Scalar(t) => one(Spanned::new(t, s.referenced, s.defined)),
        ScalarOrList::List(items) => many(items),
    })
}

fn text_of(s: Spanned<ScalarText>) -> Text {
    Spanned::new(s.value.0, s.referenced, s.defined)
}

impl<'de> Deserialize<'de> for Res {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d, |s| Res::One(Re::from(s)), Res::Many)
    }
}

impl<'de> Deserialize<'de> for FactRefs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(
            d,
            |s| FactRefs::One(FactRef::from(text_of(s))),
            FactRefs::Many,
        )
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d, |s| OneOrMany::One(text_of(s)), OneOrMany::Many)
    }
}
