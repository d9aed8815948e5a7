//! What compose adds to a merged project before reading it (compose-go's `loader/normalize.go`),
//! so that the model ferry translates is the one docker compose runs.

use crate::error::Location;
use crate::yaml::{Entry, Map, Node, Scalar, Tag, Value};

/// The tag on what [`implicit_dependencies`] adds (tags of the file are gone by then).
const IMPLIED: &str = "ferry:implied";

/// Whether a node was added by [`implicit_dependencies`]: a `depends_on` compose implies.
pub fn is_implied(n: &Node) -> bool {
    matches!(&n.tag, Some(Tag::Other(t)) if t == IMPLIED)
}

fn implied_tag(mut n: Node) -> Node {
    n.tag = Some(Tag::Other(IMPLIED.to_string()));
    n
}

fn plain(text: &str, loc: &Location) -> Node {
    Node::new(
        Value::Scalar(Scalar {
            text: text.to_string(),
            plain: true,
        }),
        loc.clone(),
    )
}

fn text(n: &Node) -> Option<&str> {
    n.as_scalar()
        .filter(|_| !n.is_null())
        .map(|s| s.text.as_str())
}

/// A dependency compose adds, as a `depends_on` entry: `service_started`, required, and
/// restarted with the service it depends on (`restart`) except for `volumes_from`.
fn dependency(loc: &Location, restart: bool) -> Node {
    let mut m = Map::default();
    for (k, v) in [
        ("condition", "service_started"),
        ("restart", if restart { "true" } else { "false" }),
        ("required", "true"),
    ] {
        m.insert(
            k.to_string(),
            Entry {
                key_loc: loc.clone(),
                value: plain(v, loc),
            },
        );
    }
    implied_tag(Node::new(Value::Map(m), loc.clone()))
}

/// The services a service needs without saying so in `depends_on`: those it links to, those
/// whose network, IPC, PID, UTS or cgroup namespace it shares (`service:NAME`), and those whose
/// volumes it mounts (`volumes_from`), with whether a restart of that service restarts it.
fn implied(svc: &Node) -> Vec<(String, Location, bool)> {
    let mut out = Vec::new();
    let list = |n: &Node| -> Vec<(String, Location)> {
        match &n.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| text(i).map(|t| (t.to_string(), i.loc.clone())))
                .collect(),
            _ => Vec::new(),
        }
    };
    let Some(m) = svc.as_map() else { return out };
    // One pass over the service's keys (this runs for every service).
    let (mut links, mut from, mut namespaces) = (None, None, Vec::new());
    for (k, e) in m {
        match k.as_str() {
            "links" => links = Some(&e.value),
            "volumes_from" => from = Some(&e.value),
            "network_mode" | "ipc" | "pid" | "uts" | "cgroup" => namespaces.push(&e.value),
            _ => {}
        }
    }
    if let Some(links) = links {
        for (link, loc) in list(links) {
            let name = link.split(':').next().unwrap_or_default().to_string();
            out.push((name, loc, true));
        }
    }
    for n in namespaces {
        if let Some(other) = text(n).and_then(|t| t.strip_prefix("service:")) {
            out.push((other.to_string(), n.loc.clone(), true));
        }
    }
    if let Some(from) = from {
        for (spec, loc) in list(from) {
            if !spec.starts_with("container:") {
                let name = spec.split(':').next().unwrap_or_default().to_string();
                out.push((name, loc, false));
            }
        }
    }
    out
}

/// Add the implicit dependencies to every service's `depends_on` (a list becomes its mapping
/// form first); an explicit entry for the same service wins.
pub fn implicit_dependencies(doc: &mut Node) {
    let Some(services) = doc
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|e| e.value.as_map_mut())
    else {
        return;
    };
    for entry in services.values_mut() {
        let svc = &mut entry.value;
        let extra = implied(svc);
        if extra.is_empty() {
            continue;
        }
        let Some(m) = svc.as_map_mut() else { continue };
        let first = extra[0].1.clone();
        let deps = m.entry("depends_on".to_string()).or_insert_with(|| Entry {
            key_loc: first.clone(),
            value: implied_tag(Node::new(Value::Map(Map::default()), first.clone())),
        });
        if let Value::Seq(items) = &deps.value.value {
            let mut as_map = Map::default();
            for i in items {
                if let Some(t) = text(i) {
                    let mut d = Map::default();
                    d.insert(
                        "condition".into(),
                        Entry {
                            key_loc: i.loc.clone(),
                            value: plain("service_started", &i.loc),
                        },
                    );
                    d.insert(
                        "required".into(),
                        Entry {
                            key_loc: i.loc.clone(),
                            value: plain("true", &i.loc),
                        },
                    );
                    as_map.insert(
                        t.to_string(),
                        Entry {
                            key_loc: i.loc.clone(),
                            value: Node::new(Value::Map(d), i.loc.clone()),
                        },
                    );
                }
            }
            deps.value.value = Value::Map(as_map);
        }
        if deps.value.is_null() {
            deps.value.value = Value::Map(Map::default());
        }
        let Some(dm) = deps.value.as_map_mut() else {
            continue;
        };
        for (name, loc, restart) in extra {
            dm.entry(name).or_insert_with(|| Entry {
                key_loc: loc.clone(),
                value: dependency(&loc, restart),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_document, Limits};
    use serde_json::json;
    use std::sync::Arc;

    fn normalized(src: &str) -> serde_json::Value {
        let mut doc = parse_document(src, Arc::from("c.yaml"), &Limits::default())
            .unwrap()
            .unwrap();
        implicit_dependencies(&mut doc);
        doc.to_json()
    }

    /// compose-go `Normalize`: links and `service:` namespaces add a dependency restarted with
    /// its service; `volumes_from` one that is not; an explicit entry wins.
    #[test]
    fn links_namespaces_and_volumes_from_add_dependencies() {
        let j = normalized(concat!(
            "services:\n  web:\n    image: a\n    links: ['db:database', cache]\n",
            "    network_mode: service:proxy\n    ipc: 'service:db'\n",
            "    volumes_from: ['data:ro', 'container:abc']\n",
            "    depends_on: [cache]\n"
        ));
        let started = |restart: bool| json!({"condition": "service_started", "restart": restart, "required": true});
        assert_eq!(
            j["services"]["web"]["depends_on"],
            json!({
                "cache": {"condition": "service_started", "required": true},
                "db": started(true),
                "proxy": started(true),
                "data": started(false),
            })
        );
    }

    /// The case of compose-go's `TestNormalizeImplicitDependencies`: every shared namespace,
    /// `volumes_from` and `links` add a dependency; the explicit one on `foo` is kept as written.
    #[test]
    fn compose_go_implicit_dependencies_case() {
        let j = normalized(concat!(
            "services:\n  test:\n    ipc: service:foo\n    cgroup: service:bar\n",
            "    uts: service:baz\n    pid: service:qux\n    volumes_from: [quux]\n",
            "    links: [corge]\n    depends_on:\n      foo:\n        condition: service_healthy\n"
        ));
        let started = |restart: bool| json!({"condition": "service_started", "restart": restart, "required": true});
        assert_eq!(
            j["services"]["test"]["depends_on"],
            json!({
                "foo": {"condition": "service_healthy"},
                "bar": started(true),
                "baz": started(true),
                "qux": started(true),
                "quux": started(false),
                "corge": started(true),
            })
        );
    }

    #[test]
    fn a_service_without_such_keys_is_unchanged() {
        let src = "services:\n  web:\n    image: a\n    depends_on: [db]\n  db:\n    image: b\n";
        let j = normalized(src);
        assert_eq!(j["services"]["web"]["depends_on"], json!(["db"]));
        assert!(j["services"]["db"].get("depends_on").is_none());
    }
}
