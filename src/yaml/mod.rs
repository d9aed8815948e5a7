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

/// Integers as compose-go's YAML library (go-yaml v3) reads a plain scalar: underscores left
/// out, then Go's integer syntax: decimal, `0x` hex, `0o` or a leading `0` octal (YAML 1.1's
/// `0777`, still read for compatibility), `0b` binary.
pub fn resolve_int(text: &str) -> Option<i64> {
    if !text
        .as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_digit() || matches!(b, b'+' | b'-'))
    {
        return None;
    }
    let owned;
    let text = if text.contains('_') {
        owned = text.replace('_', "");
        owned.as_str()
    } else {
        text
    };
    let (neg, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let radix = |prefixes: [&str; 2]| prefixes.iter().find_map(|p| digits.strip_prefix(p));
    let (radix, body) = if let Some(h) = radix(["0x", "0X"]) {
        (16, h)
    } else if let Some(o) = radix(["0o", "0O"]) {
        (8, o)
    } else if let Some(b) = radix(["0b", "0B"]) {
        (2, b)
    } else if digits.len() > 1 && digits.starts_with('0') {
        (8, &digits[1..])
    } else {
        (10, digits)
    };
    // from_str_radix takes a sign of its own: the body must be digits only.
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let v = i64::from_str_radix(body, radix).ok()?;
    Some(if neg { -v } else { v })
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

#[cfg(test)]
mod tests {
    use super::resolve_int;

    /// go-yaml v3's reading of plain integers, which compose-go uses (`mode: 01777` is 1023 under
    /// docker compose).
    #[test]
    fn integers_are_read_as_go_yaml_v3_reads_them() {
        assert_eq!(resolve_int("1777"), Some(1777));
        assert_eq!(resolve_int("01777"), Some(0o1777));
        assert_eq!(resolve_int("0o17"), Some(0o17));
        assert_eq!(resolve_int("0x1F"), Some(31));
        assert_eq!(resolve_int("0b101"), Some(5));
        assert_eq!(resolve_int("1_000"), Some(1000));
        assert_eq!(resolve_int("-12"), Some(-12));
        assert_eq!(resolve_int("+0"), Some(0));
        assert_eq!(resolve_int("0"), Some(0));
        for s in ["08", "_1", "1.5", "", "-", "0x", "12ab", "--1", "1e3"] {
            assert_eq!(resolve_int(s), None, "{s}");
        }
    }
}
