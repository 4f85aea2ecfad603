//! Turning one JSON object into a row: nested objects flatten into dotted column names (down to a
//! depth limit), arrays stay JSON text, null is empty; columns keep their order of first appearance.

use std::collections::HashMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Object nesting below which values are kept as JSON text rather than flattened further.
const MAX_FLATTEN_DEPTH: usize = 8;

/// Columns seen so far (in order of first appearance) and the current row's values.
#[derive(Default)]
pub(super) struct RowBuilder {
    pub(super) columns: Vec<String>,
    index: HashMap<String, usize>,
    pub(super) values: Vec<String>,
}

impl RowBuilder {
    pub(super) fn clear(&mut self) {
        self.values.clear();
    }

    pub(super) fn set(&mut self, key: String, value: String) {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.columns.push(key.clone());
                self.index.insert(key, self.columns.len() - 1);
                self.columns.len() - 1
            }
        };
        if self.values.len() <= i {
            self.values.resize(i + 1, String::new());
        }
        self.values[i] = value;
    }
}

pub(super) fn scalar_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Flattens one JSON Lines object straight into the row, without building a tree first.
pub(super) struct FlattenObject<'r> {
    pub(super) row: &'r mut RowBuilder,
    pub(super) prefix: String,
    pub(super) depth: usize,
}

impl<'de> DeserializeSeed<'de> for FlattenObject<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FlattenObject<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            let key = super::sink::without_nul(&key);
            let key = if self.prefix.is_empty() { key.into_owned() } else { format!("{}.{key}", self.prefix) };
            map.next_value_seed(FlattenValue { row: &mut *self.row, key, depth: self.depth + 1 })?;
        }
        Ok(())
    }
}

struct FlattenValue<'r> {
    row: &'r mut RowBuilder,
    key: String,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for FlattenValue<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FlattenValue<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<(), A::Error> {
        if self.depth >= MAX_FLATTEN_DEPTH {
            let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
            self.row.set(self.key, v.to_string());
            return Ok(());
        }
        FlattenObject { row: self.row, prefix: self.key, depth: self.depth }.visit_map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> std::result::Result<(), A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.row.set(self.key, v.to_string());
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<(), E> {
        self.row.set(self.key, v.to_string());
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<(), E> {
        self.row.set(self.key, v.to_string());
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<(), E> {
        self.row.set(self.key, v.to_string());
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<(), E> {
        self.row.set(self.key, serde_json::Value::from(v).to_string());
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.row.set(self.key, v.to_string());
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<(), E> {
        self.row.set(self.key, v);
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        Ok(())
    }
}
