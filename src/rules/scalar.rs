//! Scalars and one-or-many fields of rule files, read in one pass so that errors keep their
//! YAML locations.

use super::phase::{Parse, ReSrc, Text};
use super::spec::{FactRefs, OneOrMany, Res};
use serde::Deserialize;
use serde_saphyr::Spanned;

/// A scalar read as text: `email: true` in a `where` map is the regex `true`. The scalar is
/// read by type inference (the built-in rules' JSON form keeps it a boolean), so
/// `rules::yaml_options` keeps spellings such as `yes` and `1_000` strings.
pub struct ScalarText(pub String);

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

impl<'de, P: Parse> Deserialize<'de> for Res<P> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d, |s| Res::One(ReSrc::from(s)), Res::Many)
    }
}

impl<'de, P: Parse> Deserialize<'de> for FactRefs<P> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d, |s| FactRefs::One(text_of(s)), FactRefs::Many)
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        one_or_many(d, |s| OneOrMany::One(text_of(s)), OneOrMany::Many)
    }
}
