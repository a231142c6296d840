//! The two forms of a rule: as parsed (texts with their YAML spans) and as compiled (regexes
//! expanded and checked, fact names resolved to indexes). The rule types of `spec` take the
//! phase as a parameter, so one definition serves both and the compiler (`compile`) is the
//! only way from one to the other: evaluation can only be handed a compiled rule.

use super::re::{Automata, Groups};
use super::scalar::ScalarText;
use serde::Deserialize;
use serde_saphyr::Spanned;

pub type Text = Spanned<String>;

/// What a rule's regexes and fact references are in one phase.
pub trait Phase {
    type Re: std::fmt::Debug + Clone;
    type FactRef: std::fmt::Debug + Clone;
}

/// As read from YAML: what deserialises (`Parse`).
#[derive(Debug, Clone)]
pub enum Parsed {}

/// As checked by `compile`: what the model and the engine read.
#[derive(Debug, Clone)]
pub enum Compiled {}

impl Phase for Parsed {
    type Re = ReSrc;
    type FactRef = Text;
}

impl Phase for Compiled {
    type Re = Re;
    type FactRef = FactRef;
}

/// The phase rule files deserialise into (the bound of the `spec` types' `Deserialize`).
pub trait Parse: Phase<Re = ReSrc, FactRef = Text> {}
impl Parse for Parsed {}

/// A regex as written, with its location. A scalar is read as text (`email: true` in a
/// `where` map is the regex `true`).
#[derive(Debug, Clone, Deserialize)]
#[serde(from = "Spanned<ScalarText>")]
pub struct ReSrc {
    pub src: Text,
}

impl From<Spanned<ScalarText>> for ReSrc {
    fn from(src: Spanned<ScalarText>) -> Self {
        ReSrc {
            src: Spanned::new(src.value.0, src.referenced, src.defined),
        }
    }
}

/// A checked regex: `$name` patterns expanded. Its automata are shared by every `Re` that
/// spells the same pattern (rules repeat patterns through anchors and `$name`s), so they share
/// one search budget and one memo of results; each automaton is built on first use (see
/// `super::re`).
#[derive(Debug, Clone)]
pub struct Re {
    /// As written, for messages.
    pub src: Text,
    pattern: std::sync::Arc<str>,
    automata: &'static Automata,
}

impl Re {
    /// A regex from its expanded text, which the caller has checked.
    pub(super) fn new(src: Text, pattern: String) -> Re {
        let automata = Automata::for_pattern(&pattern);
        Re {
            src,
            pattern: pattern.into(),
            automata,
        }
    }
    pub fn is_match(&self, text: &str) -> bool {
        self.automata.is_match(&self.pattern, text)
    }
    pub fn captures<'h>(&self, text: &'h str) -> Option<Groups<'h>> {
        self.automata.captures(&self.pattern, text)
    }
    /// Up to `limit` successive non-overlapping matches.
    pub fn captures_all<'h>(&self, text: &'h str, limit: usize) -> Vec<Groups<'h>> {
        self.automata.captures_all(&self.pattern, text, limit)
    }
    /// Literals every match contains (one at least), if the regex has any worth a scan.
    pub fn prefilter(&self) -> Option<&super::prefilter::Prefilter> {
        self.automata.prefilter(&self.pattern)
    }
    /// The named groups, with their indexes.
    pub fn names(&self) -> &[(usize, String)] {
        self.automata.names(&self.pattern)
    }
}

/// A fact reference resolved to its index (a built-in fact's is past every rule fact's, see
/// `BUILTIN_BASE`).
#[derive(Debug, Clone)]
pub struct FactRef {
    pub name: Text,
    index: usize,
}

impl FactRef {
    pub(super) fn new(name: Text, index: usize) -> FactRef {
        FactRef { name, index }
    }
    pub fn index(&self) -> usize {
        self.index
    }
}
