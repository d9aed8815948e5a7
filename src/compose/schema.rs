//! Validation of the merged project against the official Compose Specification schema
//! (`schema/compose-spec.json`, vendored), with every error pointing at the file, line and column
//! of the offending value.

use crate::error::{Error, Location, Report};
use crate::yaml::{Node, Value};
use jsonschema::error::ValidationErrorKind;
use jsonschema::paths::LocationSegment;

/// The vendored schema, compiled into Rust code at build time (jsonschema's `macros` feature):
/// compiling it at run time cost more than a small project's whole conversion.
#[jsonschema::validator(path = "schema/compose-spec.json")]
struct ComposeSpec;

/// The node at a JSON-pointer-like path, and the path written compose's way
/// (`services.web.ports[1]`).
fn locate<'a>(
    root: &'a Node,
    segments: impl Iterator<Item = LocationSegment<'a>>,
) -> (&'a Node, String) {
    let mut node = root;
    let mut path = String::new();
    for seg in segments {
        match seg {
            LocationSegment::Property(p) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(&p);
                match node.get(&p) {
                    Some(n) => node = n,
                    None => break,
                }
            }
            LocationSegment::Index(i) => {
                path.push_str(&format!("[{i}]"));
                match node.as_seq().and_then(|s| s.get(i)) {
                    Some(n) => node = n,
                    None => break,
                }
            }
        }
    }
    (node, path)
}

/// The keys the schema defines where it found an unknown one (for "did you mean"): the
/// `properties` of the schema object whose `additionalProperties` refused it.
fn schema_keys(keyword: &jsonschema::paths::Location) -> Vec<String> {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    let schema = SCHEMA.get_or_init(|| {
        serde_json::from_str(include_str!("../../schema/compose-spec.json")).unwrap_or_default()
    });
    let pointer = keyword.as_str();
    let parent = pointer
        .strip_suffix("/additionalProperties")
        .unwrap_or(pointer);
    schema
        .pointer(parent)
        .and_then(|o| o.get("properties"))
        .and_then(|p| p.as_object())
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default()
}

fn type_names(kind: &jsonschema::error::TypeKind) -> String {
    let name = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "array" => "a list".to_string(),
        "object" => "a mapping".to_string(),
        "integer" => "a whole number".to_string(),
        "number" => "a number".to_string(),
        "boolean" => "true or false".to_string(),
        "string" => "a string".to_string(),
        "null" => "null".to_string(),
        other => other.to_string(),
    };
    match kind {
        jsonschema::error::TypeKind::Single(t) => name(t),
        jsonschema::error::TypeKind::Multiple(ts) => {
            let names: Vec<String> = ts.iter().map(|t| name(&t)).collect();
            names.join(" or ")
        }
    }
}

/// Check `doc` against the schema. Unknown keys are errors, as under docker compose (warnings
/// with `allow_unknown_keys`, unless one was already given at that place); `x-` keys are
/// extensions. Everything else is an error.
/// Errors come in file order.
pub fn validate(doc: &Node, report: &mut Report, allow_unknown_keys: bool) -> Vec<Error> {
    let none = crate::yaml::Map::default();
    explain(doc, &none, check(doc, &none), report, allow_unknown_keys)
}

/// What the schema finds wrong with `doc`, before it is explained: [`validate`] in two steps,
/// so that the costly one can run beside reading the model.
pub struct Found(Vec<jsonschema::ValidationError<'static>>);

/// The schema's findings on `doc` (the costly step of [`validate`]).
/// `left_out` are services profiles left out of `doc`: checked too, as docker compose validates
/// them.
pub fn check(doc: &Node, left_out: &crate::yaml::Map) -> Found {
    Found(
        parts(doc)
            .chain(left_out.iter().map(|(name, e)| one_service(name, &e.value)))
            .flat_map(|json| {
                ComposeSpec::iter_errors(&json)
                    .map(|e| e.to_owned())
                    .collect::<Vec<_>>()
            })
            .collect(),
    )
}

/// [`check`]'s findings as located errors and warnings (see [`validate`]).
pub fn explain(
    doc: &Node,
    left_out: &crate::yaml::Map,
    found: Found,
    report: &mut Report,
    allow_unknown_keys: bool,
) -> Vec<Error> {
    // The services profiles left out, as a document of their own to locate findings in.
    let left_out_doc = (!left_out.is_empty()).then(|| {
        let mut m = crate::yaml::Map::default();
        m.insert(
            "services".to_string(),
            crate::yaml::Entry {
                key_loc: doc.loc.clone(),
                value: Node::new(Value::Map(left_out.clone()), doc.loc.clone()),
            },
        );
        Node::new(Value::Map(m), doc.loc.clone())
    });
    let mut errors = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let warned: std::collections::BTreeSet<Location> = report
        .entries
        .iter()
        .filter_map(|d| d.location.clone())
        .collect();
    for e in &found.0 {
        let in_left_out = {
            let mut segs = e.instance_path().segments();
            matches!(
                (segs.next(), segs.next()),
                (Some(LocationSegment::Property(s)), Some(LocationSegment::Property(name)))
                    if s == "services" && left_out.contains_key(&*name)
            )
        };
        let root = match (&left_out_doc, in_left_out) {
            (Some(l), true) => l,
            _ => doc,
        };
        let (node, path) = locate(root, e.instance_path().segments());
        // `version` is obsolete and ignored; docker compose does not type-check it either.
        if path == "version" || path.starts_with("version.") {
            continue;
        }
        match e.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                for key in unexpected {
                    let loc = node
                        .as_map()
                        .and_then(|m| m.get(key))
                        .map_or(node.loc.clone(), |en| en.key_loc.clone());
                    if warned.contains(&loc) || key.starts_with("x-") {
                        continue;
                    }
                    let full = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    let known = schema_keys(e.schema_path());
                    let known: Vec<&str> = known.iter().map(String::as_str).collect();
                    let message = crate::compose::parse::unknown_key_message(key, &known);
                    if allow_unknown_keys {
                        report.warn(Some(&loc), full, message);
                    } else if seen.insert((loc.clone(), message.clone())) {
                        errors.push((loc, format!("{full}: {message}")));
                    }
                }
            }
            kind => {
                let message = match kind {
                    ValidationErrorKind::Type { kind } => {
                        let found = match &node.value {
                            Value::Scalar(s) if !node.is_null() => format!("`{}`", s.text),
                            _ => node.kind_name().to_string(),
                        };
                        format!("expected {}, found {found}", type_names(kind))
                    }
                    _ => {
                        let mut m = e.to_string();
                        if m.len() > 300 {
                            m.truncate(300);
                            m.push('…');
                        }
                        m
                    }
                };
                let shown = if path.is_empty() {
                    "(top level)".to_string()
                } else {
                    path.clone()
                };
                if seen.insert((node.loc.clone(), message.clone())) {
                    errors.push((node.loc.clone(), format!("{shown}: {message}")));
                }
            }
        }
    }
    errors.sort_by(|a, b| a.0.cmp(&b.0));
    errors
        .into_iter()
        .map(|(loc, message)| Error::invalid(&loc, message))
        .collect()
}

/// `{services: {NAME: ...}}` as JSON: one service, for the schema.
fn one_service(name: &str, svc: &Node) -> serde_json::Value {
    use serde_json::{Map, Value as J};
    let mut one = Map::new();
    one.insert(name.to_string(), svc.to_json());
    let mut doc = Map::new();
    doc.insert("services".to_string(), J::Object(one));
    J::Object(doc)
}

/// `doc` as JSON for the schema, in parts: everything but the services (with an empty
/// `services`), then one document per service (`{services: {NAME: ...}}`). The schema says
/// nothing across services, so the errors are those of the whole document, at the same paths,
/// but only one service's copy is alive at a time (the whole copy was a third of the peak
/// memory of loading thousands of services).
fn parts(doc: &Node) -> Box<dyn Iterator<Item = serde_json::Value> + '_> {
    use serde_json::{Map, Value as J};
    let Some((top, services)) = doc.as_map().and_then(|m| {
        m.get("services")
            .and_then(|e| e.value.as_map())
            .map(|s| (m, s))
    }) else {
        return Box::new(std::iter::once(doc.to_json()));
    };
    let rest = top
        .iter()
        .map(|(k, e)| {
            let v = if k == "services" {
                J::Object(Map::new())
            } else {
                e.value.to_json()
            };
            (k.clone(), v)
        })
        .collect();
    let one = services.iter().map(|(name, e)| one_service(name, &e.value));
    Box::new(std::iter::once(J::Object(rest)).chain(one))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_document, Limits};
    use std::sync::Arc;

    fn check(src: &str) -> (Vec<String>, Report) {
        let doc = parse_document(src, Arc::from("c.yaml"), &Limits::default())
            .unwrap()
            .unwrap();
        let mut report = Report::default();
        let errors = validate(&doc, &mut report, false)
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        (errors, report)
    }

    #[test]
    fn valid_file_passes() {
        let (e, r) = check("services:\n  web:\n    image: nginx\n    ports: ['80:80']\n    ulimits:\n      nofile: {soft: 1, hard: 2}\n");
        assert!(e.is_empty(), "{e:?}");
        assert!(r.entries.is_empty());
    }

    #[test]
    fn wrong_type_in_unconverted_key_is_located() {
        let (e, _) = check("services:\n  web:\n    image: nginx\n    cap_add: NET_ADMIN\n");
        assert_eq!(
            e,
            ["c.yaml:4:14: services.web.cap_add: expected a list, found `NET_ADMIN`"]
        );
    }

    #[test]
    fn user_must_be_a_string() {
        let (e, _) = check("services:\n  web:\n    image: nginx\n    user: 1000\n");
        assert_eq!(
            e,
            ["c.yaml:4:11: services.web.user: expected a string, found `1000`"]
        );
    }

    #[test]
    fn unknown_nested_key_is_an_error_with_a_suggestion() {
        let (e, r) =
            check("services:\n  web:\n    image: nginx\n    logging:\n      drivr: syslog\n      x-mine: 1\n");
        assert_eq!(
            e,
            ["c.yaml:5:7: services.web.logging.drivr: unknown key `drivr`; did you mean `driver`?"]
        );
        assert!(r.entries.is_empty());
    }

    #[test]
    fn unknown_key_is_a_warning_when_allowed() {
        let doc = parse_document(
            "services:\n  web:\n    image: nginx\n    logging:\n      zzz: 1\n",
            Arc::from("c.yaml"),
            &Limits::default(),
        )
        .unwrap()
        .unwrap();
        let mut report = Report::default();
        assert!(validate(&doc, &mut report, true).is_empty());
        assert_eq!(
            report.entries[0].to_string(),
            "c.yaml:5:7: warning: services.web.logging.zzz: unknown key `zzz`; it is not part of the Compose Specification"
        );
    }

    /// Checking the services one at a time finds what checking the whole document finds.
    #[test]
    fn parts_find_the_errors_of_the_whole_document() {
        let src = "volumes:\n  data:\n    external: maybe\n    bogus: 1\nservices:\n  a:\n    image: nginx\n    cap_add: X\n  b c:\n    image: 3\n    ports: {}\n  d:\n    image: nginx\n    user: 1\nnetworks:\n  n:\n    labels: 5\n    bogus: 2\nx-any: 1\nother: 2\n";
        let doc = parse_document(src, Arc::from("c.yaml"), &Limits::default())
            .unwrap()
            .unwrap();
        let paths = |json: &serde_json::Value| -> Vec<String> {
            ComposeSpec::iter_errors(json)
                .map(|e| format!("{} {}", e.instance_path(), e))
                .collect()
        };
        let mut whole = paths(&doc.to_json());
        let mut split: Vec<String> = parts(&doc).flat_map(|j| paths(&j)).collect();
        whole.sort();
        split.sort();
        assert!(whole.len() >= 7, "{whole:?}");
        assert_eq!(split, whole);
    }

    #[test]
    fn errors_come_in_file_order() {
        let (e, _) = check("services:\n  a:\n    image: nginx\n    cap_add: X\n  b:\n    image: nginx\n    user: 1\nvolumes:\n  data:\n    labels: 5\n");
        assert_eq!(
            e,
            [
                "c.yaml:4:14: services.a.cap_add: expected a list, found `X`",
                "c.yaml:7:11: services.b.user: expected a string, found `1`",
                "c.yaml:10:13: volumes.data.labels: 5 is not valid under any of the schemas listed in the 'oneOf' keyword",
            ]
        );
    }

    #[test]
    fn obsolete_version_is_not_type_checked() {
        let (e, _) = check("version: 3.8\nservices:\n  web:\n    image: nginx\n");
        assert!(e.is_empty(), "{e:?}");
    }
}
