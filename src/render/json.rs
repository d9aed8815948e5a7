//! An object's JSON as a template value, without converting it.
//!
//! Templates see `object` as a nested map, exactly as if it had been converted with
//! `Value::from_serialize` (same keys in the same order, same scalar values). But converting a
//! whole object into minijinja values, and then back to JSON in the `yaml` filter, cost more
//! than rendering itself; a [`Json`] is a path into the original tree instead, and the `yaml`
//! filter writes the original [`serde_json::Value`] straight out.

use minijinja::value::{Enumerator, Object, ObjectRepr, Value};
use serde_json::Value as JsonValue;
use std::sync::Arc;

/// One step from a container to a child.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// A map or list inside a shared JSON tree.
#[derive(Debug)]
pub struct Json {
    root: Arc<JsonValue>,
    path: Vec<Step>,
}

impl Json {
    /// The template value for a JSON value: scalars become plain values, maps and lists
    /// become [`Json`] objects.
    pub fn value(root: Arc<JsonValue>) -> Value {
        Json::wrap(root, Vec::new())
    }

    /// The template value at `keys` under `root`, if there is one.
    pub fn at(root: &Arc<JsonValue>, keys: &[&str]) -> Option<Value> {
        let mut v = &**root;
        for k in keys {
            v = v.get(k)?;
        }
        let path = keys.iter().map(|k| Step::Key(k.to_string())).collect();
        Some(Json::wrap(root.clone(), path))
    }

    fn wrap(root: Arc<JsonValue>, path: Vec<Step>) -> Value {
        let json = Json { root, path };
        match json.get() {
            JsonValue::Object(_) | JsonValue::Array(_) => Value::from_object(json),
            scalar => scalar_value(scalar),
        }
    }

    /// The JSON value this object stands for.
    pub fn get(&self) -> &JsonValue {
        let mut v = &*self.root;
        for step in &self.path {
            v = match (v, step) {
                (JsonValue::Object(m), Step::Key(k)) => &m[k],
                (JsonValue::Array(a), Step::Index(i)) => &a[*i],
                // Paths are only made from children that exist.
                _ => unreachable!("a Json path leads to an existing value"),
            };
        }
        v
    }

    fn child(&self, step: Step) -> Value {
        let mut path = Vec::with_capacity(self.path.len() + 1);
        path.extend(self.path.iter().cloned());
        path.push(step);
        Json::wrap(self.root.clone(), path)
    }
}

/// A JSON scalar as `Value::from_serialize` would make it.
fn scalar_value(v: &JsonValue) -> Value {
    match v {
        JsonValue::Null => Value::from(()),
        JsonValue::Bool(b) => Value::from(*b),
        JsonValue::Number(n) => {
            if let Some(u) = n.as_u64() {
                Value::from(u)
            } else if let Some(i) = n.as_i64() {
                Value::from(i)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        JsonValue::String(s) => Value::from(s.as_str()),
        JsonValue::Object(_) | JsonValue::Array(_) => {
            unreachable!("containers are wrapped, not converted")
        }
    }
}

impl Object for Json {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        match self.get() {
            JsonValue::Array(_) => ObjectRepr::Seq,
            _ => ObjectRepr::Map,
        }
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        match self.get() {
            JsonValue::Object(m) => {
                let k = key.as_str()?;
                m.contains_key(k)
                    .then(|| self.child(Step::Key(k.to_string())))
            }
            JsonValue::Array(a) => {
                let i = key.as_usize()?;
                (i < a.len()).then(|| self.child(Step::Index(i)))
            }
            _ => None,
        }
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<Value> {
        match self.get() {
            JsonValue::Object(m) if m.contains_key(key) => {
                Some(self.child(Step::Key(key.to_string())))
            }
            _ => None,
        }
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        match self.get() {
            JsonValue::Object(m) => {
                Enumerator::Values(m.keys().map(|k| Value::from(k.as_str())).collect())
            }
            JsonValue::Array(a) => Enumerator::Seq(a.len()),
            _ => Enumerator::Empty,
        }
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        match self.get() {
            JsonValue::Object(m) => Some(m.len()),
            JsonValue::Array(a) => Some(a.len()),
            _ => Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::Environment;
    use serde_json::json;

    /// Every template gives the same text whether `object` is converted or wrapped.
    #[test]
    fn templates_see_the_same_value() {
        let obj = json!({
            "kind": "Thing",
            "n": 3, "neg": -4, "f": 1.5, "t": true, "none": null, "s": "x: y",
            "meta": { "name": "a", "labels": { "b": "1", "a": "2" } },
            "list": [1, "two", { "three": [3] }, []],
            "empty": {},
        });
        let env = Environment::new();
        for src in [
            "{{ object }}",
            "{{ object.meta }}|{{ object.list }}|{{ object.empty }}",
            "{% for k, v in object | items %}{{ k }}={{ v }};{% endfor %}",
            "{% for k in object %}{{ k }},{% endfor %}",
            "{{ object.list[2].three[0] }} {{ object.list[-1] }} {{ object.list | length }}",
            "{{ object.meta.labels | dictsort }} {{ object.missing is defined }}",
            "{{ object.n + 1 }} {{ object.neg }} {{ object.f }} {{ object.t }} {{ object.none }}",
            "{{ object | tojson }}",
            "{{ object.list | tojson }} {{ object.meta == object.meta }}",
            "{% if object.empty %}yes{% else %}no{% endif %} {% if object.meta %}yes{% endif %}",
            "{{ object.list | first }} {{ object.list | last }} {{ object.meta | list }}",
        ] {
            let t = env.template_from_str(src).unwrap();
            let converted = t
                .render(
                    minijinja::context! { object => Value::from(minijinja::value::Serde(&obj)) },
                )
                .unwrap();
            let wrapped = t
                .render(minijinja::context! { object => Json::value(Arc::new(obj.clone())) })
                .unwrap();
            assert_eq!(converted, wrapped, "{src}");
        }
    }
}
