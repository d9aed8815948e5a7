//! A YAML tree whose every node remembers where it came from.
//!
//! Compose files are parsed into [`Node`]s (not straight into typed structs) because the loader
//! interpolates, merges and extends before it types anything, and every later error or warning
//! must still point at the line and column the value came from. See `docs/yaml.md`.

pub mod emit;
mod parse;

pub use parse::{parse_document, parse_stream, Limits};

use crate::error::Location;
use indexmap::IndexMap;

/// A scalar as written: its text, and whether it was plain (unquoted, untagged), which decides
/// whether it may be read as a number, boolean or null.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub plain: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Map),
}

/// A mapping: keys are strings (compose has no other kind), in file order.
pub type Map = IndexMap<String, Entry>;

/// A mapping entry: where its key was written, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key_loc: Location,
    pub value: Node,
}

/// The compose merge tags (`!reset`, `!override`); other tags are kept by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    Reset,
    Override,
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub loc: Location,
    pub tag: Option<Tag>,
}

impl Node {
    pub fn new(value: Value, loc: Location) -> Self {
        Node {
            value,
            loc,
            tag: None,
        }
    }

    pub fn string(text: impl Into<String>, loc: Location) -> Self {
        Node::new(
            Value::Scalar(Scalar {
                text: text.into(),
                plain: false,
            }),
            loc,
        )
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The value of `key` when this node is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key)).map(|e| &e.value)
    }

    /// A plain `null`, `~` or empty scalar: "no value".
    pub fn is_null(&self) -> bool {
        match &self.value {
            Value::Scalar(s) => {
                s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
            }
            _ => false,
        }
    }

    /// A short name of the node's type for messages ("a string", "a list", ...).
    pub fn kind_name(&self) -> &'static str {
        match &self.value {
            Value::Map(_) => "a mapping",
            Value::Seq(_) => "a list",
            Value::Scalar(_) if self.is_null() => "null",
            Value::Scalar(s) if s.plain && resolve_bool(&s.text).is_some() => "a boolean",
            Value::Scalar(s) if s.plain && resolve_int(&s.text).is_some() => "a number",
            Value::Scalar(_) => "a string",
        }
    }

    /// Convert to JSON (plain scalars typed by the YAML 1.2 core schema). Used for
    /// `x-*` extensions handed to templates, and for tests.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Scalar(s) => {
                if !s.plain {
                    return J::String(s.text.clone());
                }
                if self.is_null() {
                    J::Null
                } else if let Some(b) = resolve_bool(&s.text) {
                    J::Bool(b)
                } else if let Some(i) = resolve_int(&s.text) {
                    J::from(i)
                } else if let Some(f) = resolve_float(&s.text) {
                    serde_json::Number::from_f64(f).map_or(J::String(s.text.clone()), J::Number)
                } else {
                    J::String(s.text.clone())
                }
            }
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(m) => J::Object(
                m.iter()
                    .map(|(k, e)| (k.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// YAML 1.2 core schema booleans (what compose-go's YAML library reads as booleans).
pub fn resolve_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// YAML 1.2 core schema integers: decimal, `0o` octal, `0x` hex.
pub fn resolve_int(text: &str) -> Option<i64> {
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let parsed = if let Some(oct) = digits.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if let Some(hex) = digits.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        digits.parse::<i64>().ok()
    } else {
        None
    };
    parsed.map(|v| if neg { -v } else { v })
}

/// YAML 1.2 core schema floats (including `.inf` and `.nan`).
pub fn resolve_float(text: &str) -> Option<f64> {
    let t = text.trim_start_matches(['+', '-']);
    let neg = text.starts_with('-');
    let v = match t {
        ".inf" | ".Inf" | ".INF" => f64::INFINITY,
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {
            let ok = !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
                && t.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit() || b == b'.');
            if !ok {
                return None;
            }
            t.parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}
