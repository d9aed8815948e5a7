//! Merging compose trees (several `-f` files, `extends`), following the Compose Specification's
//! merge rules as docker compose (compose-go) applies them:
//!
//! - mappings merge key by key; a scalar in the later file replaces the earlier one; a null in the
//!   later file keeps the earlier value (use `!reset` to remove one);
//! - sequences are appended, then entries with the same identity are folded (the later entry
//!   replaces the earlier one, in the earlier one's position): ports by host IP, published port,
//!   target and protocol; volumes by target; secrets and configs by target; `KEY=VALUE` lists by
//!   key; env files by path; and so on (see [`identity`]);
//! - `command`, `entrypoint` and `healthcheck.test` are replaced, never appended;
//! - `environment`, `labels`, `annotations`, `sysctls`, `deploy.labels`, `build.args`, `env_file`,
//!   `dns*`, `tmpfs` and `extra_hosts` are first turned into sequences (a mapping becomes sorted
//!   `KEY=VALUE` entries) and appended; `depends_on` and `networks` are turned into mappings and
//!   merged; `build` as a string means `{context: …}`; `logging` options merge only when both
//!   files name the same driver (or one names none);
//! - a value tagged `!reset` removes the key; a value tagged `!override` replaces the earlier value
//!   whole instead of merging with it.

use super::{ports, volumes};
use crate::yaml::{Entry, Map, Node, Scalar, Tag, Value};

/// Where in the tree a node sits, for the special rules: the keys from the service down,
/// e.g. `["environment"]`, `["healthcheck", "test"]`. `None` outside a service.
type ServicePath<'a> = Option<&'a [&'a str]>;

fn is_override(path: &[&str]) -> bool {
    matches!(path, ["command"] | ["entrypoint"] | ["healthcheck", "test"])
}

fn to_sequence_rule(path: &[&str]) -> bool {
    matches!(
        path,
        ["environment"]
            | ["labels"]
            | ["annotations"]
            | ["sysctls"]
            | ["deploy", "labels"]
            | ["build", "args"]
            | ["build", "labels"]
            | ["env_file"]
            | ["label_file"]
            | ["dns"]
            | ["dns_opt"]
            | ["dns_search"]
            | ["tmpfs"]
            | ["extra_hosts"]
    )
}

fn scalar_text(n: &Node) -> Option<&str> {
    match &n.value {
        Value::Scalar(s) => Some(&s.text),
        _ => None,
    }
}

/// A mapping as `KEY=VALUE` entries sorted by text (null values become a bare `KEY`), a list
/// as itself, a string as a one-entry list.
pub fn into_sequence(node: Node) -> Vec<Node> {
    match node.value {
        Value::Seq(items) => items,
        Value::Map(m) => {
            let mut out: Vec<Node> = Vec::new();
            for (k, e) in m {
                match &e.value.value {
                    Value::Seq(items) => {
                        for it in items {
                            let text = format!("{k}={}", scalar_text(it).unwrap_or_default());
                            out.push(Node::string(text, it.loc.clone()));
                        }
                    }
                    _ if e.value.is_null() => out.push(Node::string(k, e.key_loc.clone())),
                    Value::Scalar(s) => {
                        out.push(Node::string(format!("{k}={}", s.text), e.key_loc.clone()))
                    }
                    Value::Map(_) => out.push(Node::string(k, e.key_loc.clone())),
                }
            }
            out.sort_by(|a, b| scalar_text(a).cmp(&scalar_text(b)));
            out
        }
        Value::Scalar(_) if node.is_null() => Vec::new(),
        Value::Scalar(_) => vec![node],
    }
}

/// A list of names as a mapping (`[a, b]` → `{a: default, b: default}`).
fn into_mapping(node: Node, default: impl Fn(&Node) -> Node) -> Node {
    match node.value {
        Value::Seq(items) => {
            let mut m = Map::new();
            for it in items {
                if let Some(name) = scalar_text(&it) {
                    let value = default(&it);
                    m.insert(
                        name.to_string(),
                        Entry {
                            key_loc: it.loc.clone(),
                            value,
                        },
                    );
                }
            }
            Node {
                value: Value::Map(m),
                loc: node.loc,
                tag: node.tag,
            }
        }
        _ => node,
    }
}

fn null_at(n: &Node) -> Node {
    Node::new(
        Value::Scalar(Scalar {
            text: String::new(),
            plain: true,
        }),
        n.loc.clone(),
    )
}

fn depends_default(n: &Node) -> Node {
    let mut m = Map::new();
    m.insert(
        "condition".into(),
        Entry {
            key_loc: n.loc.clone(),
            value: Node::string("service_started", n.loc.clone()),
        },
    );
    m.insert(
        "required".into(),
        Entry {
            key_loc: n.loc.clone(),
            value: Node::new(
                Value::Scalar(Scalar {
                    text: "true".into(),
                    plain: true,
                }),
                n.loc.clone(),
            ),
        },
    );
    Node::new(Value::Map(m), n.loc.clone())
}

/// `build: ./dir` as `build: {context: ./dir}`.
fn build_mapping(node: Node) -> Node {
    match &node.value {
        Value::Scalar(_) if !node.is_null() => {
            let mut m = Map::new();
            m.insert(
                "context".into(),
                Entry {
                    key_loc: node.loc.clone(),
                    value: node.clone(),
                },
            );
            Node {
                value: Value::Map(m),
                loc: node.loc,
                tag: node.tag,
            }
        }
        _ => node,
    }
}

/// Merge `over` into `base` at `path` (relative to a service when `svc` is `Some`).
fn merge_node(base: &mut Node, over: Node, svc: ServicePath<'_>) {
    if over.tag == Some(Tag::Override) {
        *base = over;
        return;
    }
    if over.is_null() {
        return;
    }
    if let Some(path) = svc {
        if is_override(path) {
            *base = over;
            return;
        }
        if to_sequence_rule(path) {
            let loc = base.loc.clone();
            let mut items = into_sequence(std::mem::replace(base, null_at(&over)));
            items.extend(into_sequence(over));
            *base = Node::new(Value::Seq(items), loc);
            return;
        }
        match path {
            ["depends_on"] => {
                let b = into_mapping(std::mem::replace(base, null_at(&over)), depends_default);
                *base = b;
                return merge_node(
                    base,
                    into_mapping(over, depends_default),
                    Some(&["depends_on", "*"]),
                );
            }
            ["networks"] => {
                let b = into_mapping(std::mem::replace(base, null_at(&over)), null_at);
                *base = b;
                return merge_node(base, into_mapping(over, null_at), Some(&["networks", "*"]));
            }
            ["build"] => {
                let b = build_mapping(std::mem::replace(base, null_at(&over)));
                *base = b;
                return merge_node(base, build_mapping(over), Some(&["build", "*"]));
            }
            ["logging"] => {
                let driver = |n: &Node| n.get("driver").and_then(scalar_text).map(str::to_string);
                let (bd, od) = (driver(base), driver(&over));
                if bd.is_some() && od.is_some() && bd != od {
                    *base = over;
                    return;
                }
            }
            ["ulimits", _] => {
                *base = over;
                return;
            }
            _ => {}
        }
    }
    match (&mut base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => merge_maps(b, o, svc),
        (Value::Seq(b), Value::Seq(o)) => b.extend(o),
        (_, value) => {
            base.value = value;
            base.loc = over.loc;
            base.tag = over.tag;
        }
    }
}

fn merge_maps(base: &mut Map, over: Map, svc: ServicePath<'_>) {
    for (k, e) in over {
        if e.value.tag == Some(Tag::Reset) {
            base.shift_remove(&k);
            continue;
        }
        match base.get_mut(&k) {
            None => {
                base.insert(k, e);
            }
            Some(existing) => {
                // The key now stands where it was last written.
                existing.key_loc = e.key_loc.clone();
                let mut path: Vec<&str> = svc.map(|p| p.to_vec()).unwrap_or_default();
                let child: Option<&[&str]> = if svc.is_some() {
                    path.push(k.as_str());
                    Some(&path)
                } else {
                    None
                };
                // Paths deeper than two keys have no special rule; keep them short.
                let child = child.map(|p| if p.len() > 2 { &p[p.len() - 2..] } else { p });
                merge_node(&mut existing.value, e.value, child);
            }
        }
    }
}

/// Merge a whole compose file (`over`) into the accumulated one (`base`).
pub fn merge_files(base: &mut Node, over: Node) {
    let (Value::Map(b), Value::Map(o)) = (&mut base.value, over.value) else {
        return;
    };
    for (k, e) in o {
        if e.value.tag == Some(Tag::Reset) {
            b.shift_remove(&k);
            continue;
        }
        match (k.as_str(), b.get_mut(&k)) {
            (_, None) => {
                b.insert(k, e);
            }
            ("services", Some(existing)) => {
                if e.value.tag == Some(Tag::Override) || e.value.is_null() {
                    merge_node(&mut existing.value, e.value, None);
                    continue;
                }
                match (&mut existing.value.value, e.value.value) {
                    (Value::Map(bs), Value::Map(os)) => {
                        for (name, svc) in os {
                            match bs.get_mut(&name) {
                                Some(b) => merge_service(&mut b.value, svc.value),
                                None => {
                                    bs.insert(name, svc);
                                }
                            }
                        }
                    }
                    (_, v) => existing.value.value = v,
                }
            }
            (_, Some(existing)) => merge_node(&mut existing.value, e.value, None),
        }
    }
}

/// Merge one service definition over another (`-f` overrides and `extends`).
pub fn merge_service(base: &mut Node, over: Node) {
    if over.tag == Some(Tag::Override) || over.is_null() || base.is_null() {
        if !over.is_null() || base.is_null() {
            *base = over;
        }
        return;
    }
    match (&mut base.value, over.value) {
        (Value::Map(b), Value::Map(o)) => merge_maps(b, o, Some(&[])),
        (_, v) => base.value = v,
    }
}

/// Service keys whose sequence entries are unique by identity.
const UNIQUE_KEYS: &[&str] = &[
    "environment",
    "labels",
    "annotations",
    "sysctls",
    "cap_add",
    "cap_drop",
    "dns",
    "dns_opt",
    "dns_search",
    "links",
    "profiles",
    "tmpfs",
    "expose",
    "env_file",
    "volumes",
    "secrets",
    "configs",
    "ports",
];

/// The identity of a sequence entry for the keys whose entries are unique, or `None` when
/// entries of that key are never folded.
fn identity(key: &str, item: &Node) -> Option<String> {
    let text = scalar_text(item);
    match key {
        "environment" | "labels" | "annotations" | "sysctls" | "cap_add" | "cap_drop" | "dns"
        | "dns_opt" | "dns_search" | "links" | "profiles" | "tmpfs" => {
            text.map(|t| t.split_once('=').map_or(t, |(k, _)| k).to_string())
        }
        "expose" => text.map(str::to_string),
        "env_file" => match &item.value {
            Value::Map(_) => item.get("path").and_then(scalar_text).map(str::to_string),
            _ => text.map(str::to_string),
        },
        "volumes" => match &item.value {
            Value::Map(_) => item.get("target").and_then(scalar_text).map(str::to_string),
            _ => text
                .and_then(|t| volumes::parse_short(t).ok())
                .map(|m| m.target),
        },
        "secrets" | "configs" => match &item.value {
            Value::Map(_) => item
                .get("target")
                .and_then(scalar_text)
                .map(str::to_string)
                .or_else(|| {
                    item.get("source")
                        .and_then(scalar_text)
                        .map(|s| format!("/{s}"))
                }),
            _ => text.map(|s| format!("/{s}")),
        },
        "ports" => match &item.value {
            Value::Map(_) => {
                let f = |k: &str| {
                    item.get(k)
                        .and_then(scalar_text)
                        .unwrap_or_default()
                        .to_string()
                };
                let host = item
                    .get("host_ip")
                    .and_then(scalar_text)
                    .unwrap_or("0.0.0.0");
                let proto = item.get("protocol").and_then(scalar_text).unwrap_or("tcp");
                Some(format!("{host}:{}:{}/{proto}", f("published"), f("target")))
            }
            _ => {
                let t = text?;
                match ports::parse_short(t).ok().as_deref() {
                    Some([p]) => Some(format!(
                        "{}:{}:{}/{}",
                        p.host_ip.as_deref().unwrap_or("0.0.0.0"),
                        p.published.map(|n| n.to_string()).unwrap_or_default(),
                        p.target,
                        p.protocol.as_compose()
                    )),
                    _ => Some(t.to_string()),
                }
            }
        },
        _ => None,
    }
}

/// Fold entries with the same identity in every service's unique-entry sequences: the later
/// entry replaces the earlier one, in the earlier one's position.
pub fn enforce_unicity(doc: &mut Node) {
    let Some(services) = doc
        .as_map_mut()
        .and_then(|m| m.get_mut("services"))
        .and_then(|e| e.value.as_map_mut())
    else {
        return;
    };
    for svc in services.values_mut() {
        let Some(m) = svc.value.as_map_mut() else {
            continue;
        };
        for (key, e) in m.iter_mut() {
            let Value::Seq(items) = &mut e.value.value else {
                continue;
            };
            if items.len() < 2 || !UNIQUE_KEYS.contains(&key.as_str()) {
                continue;
            }
            let mut out: Vec<Node> = Vec::with_capacity(items.len());
            // Most lists are short: for them a scan of the identities seen is cheaper than
            // hashing them (a long list is hashed: no quadratic step).
            let short = items.len() <= 16;
            let mut scanned: Vec<(String, usize)> = Vec::new();
            let mut hashed: std::collections::HashMap<String, usize> =
                std::collections::HashMap::new();
            for item in std::mem::take(items) {
                let Some(id) = identity(key, &item) else {
                    out.push(item);
                    continue;
                };
                let first = match short {
                    true => scanned.iter().find(|(s, _)| *s == id).map(|&(_, i)| i),
                    false => hashed.get(&id).copied(),
                };
                match first {
                    Some(i) => out[i] = item,
                    None => {
                        if short {
                            scanned.push((id, out.len()));
                        } else {
                            hashed.insert(id, out.len());
                        }
                        out.push(item);
                    }
                }
            }
            *items = out;
        }
    }
}

/// Drop what is still tagged `!reset` (a reset with nothing to reset) and forget `!override`.
pub fn strip_tags(node: &mut Node) {
    if node.tag == Some(Tag::Override) {
        node.tag = None;
    }
    match &mut node.value {
        Value::Map(m) => {
            m.retain(|_, e| e.value.tag != Some(Tag::Reset));
            m.values_mut().for_each(|e| strip_tags(&mut e.value));
        }
        Value::Seq(items) => {
            items.retain(|n| n.tag != Some(Tag::Reset));
            items.iter_mut().for_each(strip_tags);
        }
        Value::Scalar(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_document, Limits};
    use std::sync::Arc;

    fn doc(src: &str) -> Node {
        parse_document(src, Arc::from("t.yaml"), &Limits::default())
            .unwrap()
            .unwrap()
    }

    fn merged(a: &str, b: &str) -> serde_json::Value {
        let mut base = doc(a);
        merge_files(&mut base, doc(b));
        enforce_unicity(&mut base);
        strip_tags(&mut base);
        base.get("services").unwrap().get("web").unwrap().to_json()
    }

    #[test]
    fn mappings_merge_and_scalars_replace() {
        let v = merged(
            "services:\n  web:\n    image: a\n    user: '1'\n",
            "services:\n  web:\n    image: b\n    working_dir: /x\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"image": "b", "user": "1", "working_dir": "/x"})
        );
    }

    /// A later entry with the same identity replaces the first in its place, in short lists
    /// (scanned) and long ones (hashed) alike.
    #[test]
    fn unicity_keeps_the_last_entry_in_the_first_place() {
        for n in [3, 40] {
            let mut env = String::new();
            for i in 0..n {
                env.push_str(&format!("      - V{i}=a\n"));
            }
            env.push_str("      - V1=b\n");
            let v = merged(
                &format!("services:\n  web:\n    image: a\n    environment:\n{env}"),
                "services:\n  web:\n    image: a\n",
            );
            let list = v["environment"].as_array().unwrap();
            assert_eq!(list.len(), n, "{n}");
            assert_eq!(list[1], "V1=b", "{n}");
            assert_eq!(list[0], "V0=a", "{n}");
            assert_eq!(list[n - 1], format!("V{}=a", n - 1), "{n}");
        }
    }

    #[test]
    fn null_in_override_keeps_base_value() {
        let v = merged(
            "services:\n  web:\n    image: a\n",
            "services:\n  web:\n    image:\n",
        );
        assert_eq!(v["image"], "a");
    }

    #[test]
    fn command_is_replaced_not_appended() {
        let v = merged(
            "services:\n  web:\n    command: [a, b]\n",
            "services:\n  web:\n    command: [c]\n",
        );
        assert_eq!(v["command"], serde_json::json!(["c"]));
    }

    #[test]
    fn healthcheck_test_is_replaced_and_other_fields_merge() {
        let v = merged(
            "services:\n  web:\n    healthcheck:\n      test: [CMD, a]\n      retries: 3\n",
            "services:\n  web:\n    healthcheck:\n      test: [CMD, b]\n",
        );
        assert_eq!(
            v["healthcheck"],
            serde_json::json!({"test": ["CMD", "b"], "retries": 3})
        );
    }

    #[test]
    fn environment_merges_by_key_across_list_and_map() {
        let v = merged(
            "services:\n  web:\n    environment:\n      - A=1\n      - B=2\n",
            "services:\n  web:\n    environment:\n      B: 3\n      C: 4\n",
        );
        assert_eq!(v["environment"], serde_json::json!(["A=1", "B=3", "C=4"]));
    }

    #[test]
    fn labels_merge_by_key() {
        let v = merged(
            "services:\n  web:\n    labels: {a: '1', b: '2'}\n",
            "services:\n  web:\n    labels: [b=3]\n",
        );
        assert_eq!(v["labels"], serde_json::json!(["a=1", "b=3"]));
    }

    #[test]
    fn ports_fold_by_full_key() {
        let v = merged(
            "services:\n  web:\n    ports: ['8080:80', '443:443']\n",
            "services:\n  web:\n    ports: ['8080:80', '9000:90']\n",
        );
        assert_eq!(
            v["ports"],
            serde_json::json!(["8080:80", "443:443", "9000:90"])
        );
    }

    #[test]
    fn volumes_fold_by_target() {
        let v = merged(
            "services:\n  web:\n    volumes: ['a:/data', 'b:/logs']\n",
            "services:\n  web:\n    volumes: ['c:/data']\n",
        );
        assert_eq!(v["volumes"], serde_json::json!(["c:/data", "b:/logs"]));
    }

    #[test]
    fn other_sequences_append() {
        let v = merged(
            "services:\n  web:\n    devices: [a]\n",
            "services:\n  web:\n    devices: [b]\n",
        );
        assert_eq!(v["devices"], serde_json::json!(["a", "b"]));
    }

    #[test]
    fn depends_on_list_and_map_merge_as_mappings() {
        let v = merged(
            "services:\n  web:\n    depends_on: [db]\n",
            "services:\n  web:\n    depends_on:\n      cache:\n        condition: service_healthy\n",
        );
        assert_eq!(
            v["depends_on"],
            serde_json::json!({"db": {"condition": "service_started", "required": true}, "cache": {"condition": "service_healthy"}})
        );
    }

    #[test]
    fn build_string_merges_with_mapping() {
        let v = merged(
            "services:\n  web:\n    build: ./app\n",
            "services:\n  web:\n    build:\n      target: prod\n",
        );
        assert_eq!(
            v["build"],
            serde_json::json!({"context": "./app", "target": "prod"})
        );
    }

    #[test]
    fn reset_tag_removes_the_key() {
        let v = merged(
            "services:\n  web:\n    image: a\n    ports: ['80']\n",
            "services:\n  web:\n    ports: !reset []\n",
        );
        assert_eq!(v, serde_json::json!({"image": "a"}));
    }

    #[test]
    fn override_tag_replaces_whole_value() {
        let v = merged(
            "services:\n  web:\n    environment: {A: '1', B: '2'}\n",
            "services:\n  web:\n    environment: !override {C: '3'}\n",
        );
        assert_eq!(v["environment"], serde_json::json!({"C": "3"}));
    }

    #[test]
    fn logging_with_other_driver_is_replaced() {
        let v = merged(
            "services:\n  web:\n    logging:\n      driver: syslog\n      options: {a: '1'}\n",
            "services:\n  web:\n    logging:\n      driver: json-file\n",
        );
        assert_eq!(v["logging"], serde_json::json!({"driver": "json-file"}));
    }

    #[test]
    fn new_services_are_added() {
        let mut base = doc("services:\n  web:\n    image: a\n");
        merge_files(&mut base, doc("services:\n  db:\n    image: b\n"));
        assert_eq!(base.get("services").unwrap().as_map().unwrap().len(), 2);
    }

    #[test]
    fn merged_values_keep_their_own_file_location() {
        let mut base = parse_document(
            "services:\n  web:\n    image: a\n",
            Arc::from("a.yaml"),
            &Limits::default(),
        )
        .unwrap()
        .unwrap();
        let over = parse_document(
            "services:\n  web:\n    image: b\n",
            Arc::from("b.yaml"),
            &Limits::default(),
        )
        .unwrap()
        .unwrap();
        merge_files(&mut base, over);
        let image = base
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(image.loc.to_string(), "b.yaml:3:12");
    }
}
