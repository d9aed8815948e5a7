//! The difference of two objects as a JSON patch (RFC 6902), the form kustomize applies exactly:
//! an environment's overlay patches ([`crate::environments`]), and the changes a Helm values
//! file cannot express.
//!
//! Why JSON 6902 and not a strategic merge patch: a strategic merge appends new items of a keyed
//! list (a container's `env`, a Service's `ports`) at its end, and the order of those items is
//! meaning (`$(VAR)` reads only variables defined before it; the first container is the one
//! `kubectl logs` shows). A JSON patch says where every item goes, so applying it gives the new
//! object exactly.
//!
//! Readable, too: maps are compared key by key, so a patch names only what changed
//! (`/spec/replicas`, `/spec/template/spec/containers/0/image`). Lists whose items have a key
//! (`name`, `mountPath`, …) are compared by key: a variable added in the middle of `env` is one
//! `add` at its place, not a rewrite of every item after it. Before the first change to such an
//! item, a `test` operation says which item the index stands for (`…/env/3/name` is `DEBUG`):
//! a reviewer reads the name, and kustomize refuses the patch rather than change the wrong item
//! if the base was edited by hand. Any other list that changed is replaced whole.

use serde_json::{json, Map, Value as J};

/// One operation, as ferry writes them.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Fail unless the value at `path` is `value` (names the item an index stands for).
    Test {
        path: String,
        value: J,
    },
    Add {
        path: String,
        value: J,
    },
    Remove {
        path: String,
    },
    Replace {
        path: String,
        value: J,
    },
}

impl Op {
    /// The operation as a JSON object: `op`, `path`, then `value`.
    pub fn to_json(&self) -> J {
        let (op, path, value) = match self {
            Op::Test { path, value } => ("test", path, Some(value)),
            Op::Add { path, value } => ("add", path, Some(value)),
            Op::Remove { path } => ("remove", path, None),
            Op::Replace { path, value } => ("replace", path, Some(value)),
        };
        let mut m = Map::new();
        m.insert("op".into(), json!(op));
        m.insert("path".into(), json!(path));
        if let Some(v) = value {
            m.insert("value".into(), v.clone());
        }
        J::Object(m)
    }

    pub fn path(&self) -> &str {
        match self {
            Op::Test { path, .. }
            | Op::Add { path, .. }
            | Op::Remove { path }
            | Op::Replace { path, .. } => path,
        }
    }

    /// Whether the operation changes the object (every one but `test`).
    pub fn changes(&self) -> bool {
        !matches!(self, Op::Test { .. })
    }
}

/// The operations that turn `old` into `new` (none when they are equal).
pub fn diff(old: &J, new: &J) -> Vec<Op> {
    let mut out = Vec::new();
    diff_at(&mut String::new(), old, new, &mut out);
    out
}

/// The operations as a JSON list, for a patch file.
pub fn to_json(ops: &[Op]) -> J {
    J::Array(ops.iter().map(Op::to_json).collect())
}

/// Apply a JSON patch (a list of operations, as kustomize reads them) to `doc`.
pub fn apply(doc: &mut J, ops: &J) -> Result<(), String> {
    let patch: json_patch::Patch =
        serde_json::from_value(ops.clone()).map_err(|e| format!("not a JSON patch: {e}"))?;
    json_patch::patch(doc, &patch).map_err(|e| e.to_string())
}

/// A key as one JSON pointer token: `~` is `~0`, `/` is `~1` (RFC 6901).
pub(crate) fn token(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Run `f` with `path` extended by one token, then restore it.
fn below<T>(path: &mut String, token: &str, f: impl FnOnce(&mut String) -> T) -> T {
    let len = path.len();
    path.push('/');
    path.push_str(token);
    let out = f(path);
    path.truncate(len);
    out
}

fn diff_at(path: &mut String, old: &J, new: &J, out: &mut Vec<Op>) {
    if old == new {
        return;
    }
    match (old, new) {
        (J::Object(a), J::Object(b)) => diff_maps(path, a, b, out),
        (J::Array(a), J::Array(b)) => diff_lists(path, a, b, out),
        _ => out.push(Op::Replace {
            path: path.clone(),
            value: new.clone(),
        }),
    }
}

/// Keys of `old` in their order (removed or changed), then the keys only `new` has.
fn diff_maps(path: &mut String, a: &Map<String, J>, b: &Map<String, J>, out: &mut Vec<Op>) {
    for (k, va) in a {
        below(path, &token(k), |p| match b.get(k) {
            Some(vb) => diff_at(p, va, vb, out),
            None => out.push(Op::Remove { path: p.clone() }),
        });
    }
    for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
        below(path, &token(k), |p| {
            out.push(Op::Add {
                path: p.clone(),
                value: vb.clone(),
            })
        });
    }
}

/// The fields that name an item of a Kubernetes list, most telling first.
const ITEM_KEYS: &[&str] = &[
    "name",
    "mountPath",
    "devicePath",
    "secretKey",
    "ip",
    "containerPort",
    "port",
];

/// The field that names every item of both lists, each value once per list: `name` for
/// containers, env, volumes; `mountPath` for volumeMounts; …. None when the items have no such
/// field (a list of strings, of tolerations) or when it repeats (`53/TCP` and `53/UDP`).
fn item_key(a: &[J], b: &[J]) -> Option<&'static str> {
    ITEM_KEYS.iter().copied().find(|field| {
        [a, b].iter().all(|list| {
            let mut seen = std::collections::HashSet::new();
            list.iter().all(|item| {
                item.get(field)
                    .filter(|v| v.is_string() || v.is_number())
                    .is_some_and(|v| seen.insert(v.to_string()))
            })
        })
    })
}

/// One step of turning list `a` into list `b`.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Step {
    /// `a[i]` stays, as `b[j]` (perhaps changed inside).
    Keep(usize, usize),
    /// `a[i]` goes.
    Remove(usize),
    /// `b[j]` comes.
    Insert(usize),
}

/// The steps from `a` to `b` that keep the longest common subsequence of their keys, in list
/// order; at one place, removals come before insertions.
fn steps(a: &[&J], b: &[&J]) -> Vec<Step> {
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::with_capacity(n.max(m)));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            out.push(Step::Keep(i, j));
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push(Step::Remove(i));
            i += 1;
        } else {
            out.push(Step::Insert(j));
            j += 1;
        }
    }
    out
}

fn diff_lists(path: &mut String, a: &[J], b: &[J], out: &mut Vec<Op>) {
    let key = match item_key(a, b) {
        Some(key) if !a.is_empty() && !b.is_empty() => key,
        _ => {
            out.push(Op::Replace {
                path: path.clone(),
                value: J::Array(b.to_vec()),
            });
            return;
        }
    };
    let ka: Vec<&J> = a.iter().map(|v| &v[key]).collect();
    let kb: Vec<&J> = b.iter().map(|v| &v[key]).collect();
    // Where the list stands now, as the operations so far have left it.
    let mut at = 0usize;
    for step in steps(&ka, &kb) {
        below(path, &at.to_string(), |p| match step {
            Step::Keep(i, j) => {
                if a[i] != b[j] {
                    out.push(test(p, key, ka[i]));
                    diff_at(p, &a[i], &b[j], out);
                }
            }
            Step::Remove(i) => {
                out.push(test(p, key, ka[i]));
                out.push(Op::Remove { path: p.clone() });
            }
            Step::Insert(j) => out.push(Op::Add {
                path: p.clone(),
                value: b[j].clone(),
            }),
        });
        if !matches!(step, Step::Remove(_)) {
            at += 1;
        }
    }
}

fn test(item: &str, key: &str, value: &J) -> Op {
    Op::Test {
        path: format!("{item}/{}", token(key)),
        value: value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `diff` of the two, applied to `old`, gives `new`; returns the operations.
    fn exact(old: J, new: J) -> Vec<J> {
        let ops = diff(&old, &new);
        let mut doc = old.clone();
        apply(&mut doc, &to_json(&ops)).unwrap();
        assert_eq!(doc, new, "ops: {ops:#?}");
        ops.iter().map(Op::to_json).collect()
    }

    #[test]
    fn equal_objects_need_nothing() {
        assert!(diff(&json!({"a": [1, {"b": 2}]}), &json!({"a": [1, {"b": 2}]})).is_empty());
    }

    #[test]
    fn maps_are_changed_key_by_key() {
        let ops = exact(
            json!({"spec": {"replicas": 1, "paused": true, "keep": "x"}}),
            json!({"spec": {"replicas": 3, "keep": "x", "minReadySeconds": 5}}),
        );
        assert_eq!(
            ops,
            [
                json!({"op": "replace", "path": "/spec/replicas", "value": 3}),
                json!({"op": "remove", "path": "/spec/paused"}),
                json!({"op": "add", "path": "/spec/minReadySeconds", "value": 5}),
            ]
        );
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped() {
        let ops = exact(
            json!({"metadata": {"annotations": {"a/b~c": "1"}}}),
            json!({"metadata": {"annotations": {"a/b~c": "2"}}}),
        );
        assert_eq!(ops[0]["path"], "/metadata/annotations/a~1b~0c");
    }

    #[test]
    fn a_variable_added_in_the_middle_is_added_at_its_place() {
        let ops = exact(
            json!({"env": [{"name": "A", "value": "1"}, {"name": "C", "value": "$(A)"}]}),
            json!({"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}, {"name": "C", "value": "$(A)"}]}),
        );
        assert_eq!(
            ops,
            [json!({"op": "add", "path": "/env/1", "value": {"name": "B", "value": "2"}})]
        );
    }

    #[test]
    fn a_changed_item_is_named_by_a_test_before_it_changes() {
        let ops = exact(
            json!({"containers": [{"name": "web", "image": "a:1"}, {"name": "side", "image": "s"}]}),
            json!({"containers": [{"name": "web", "image": "a:1"}, {"name": "side", "image": "s:2"}]}),
        );
        assert_eq!(
            ops,
            [
                json!({"op": "test", "path": "/containers/1/name", "value": "side"}),
                json!({"op": "replace", "path": "/containers/1/image", "value": "s:2"}),
            ]
        );
    }

    #[test]
    fn removed_items_are_named_and_later_indices_follow() {
        let ops = exact(
            json!({"ports": [{"name": "a", "port": 1}, {"name": "b", "port": 2}, {"name": "c", "port": 3}, {"name": "d", "port": 4}]}),
            json!({"ports": [{"name": "b", "port": 2}, {"name": "d", "port": 40}]}),
        );
        assert_eq!(
            ops,
            [
                json!({"op": "test", "path": "/ports/0/name", "value": "a"}),
                json!({"op": "remove", "path": "/ports/0"}),
                json!({"op": "test", "path": "/ports/1/name", "value": "c"}),
                json!({"op": "remove", "path": "/ports/1"}),
                json!({"op": "test", "path": "/ports/1/name", "value": "d"}),
                json!({"op": "replace", "path": "/ports/1/port", "value": 40}),
            ]
        );
    }

    #[test]
    fn a_moved_item_is_removed_and_added_in_order() {
        exact(
            json!({"env": [{"name": "A"}, {"name": "B"}, {"name": "C"}]}),
            json!({"env": [{"name": "C"}, {"name": "A"}, {"name": "B", "value": "x"}]}),
        );
    }

    #[test]
    fn lists_without_item_names_are_replaced_whole() {
        let ops = exact(json!({"args": ["a", "b"]}), json!({"args": ["a", "c"]}));
        assert_eq!(
            ops,
            [json!({"op": "replace", "path": "/args", "value": ["a", "c"]})]
        );
        // Repeated keys (one port for TCP and UDP) are not names either.
        let ops = exact(
            json!({"ports": [{"port": 53, "protocol": "TCP"}, {"port": 53, "protocol": "UDP"}]}),
            json!({"ports": [{"port": 53, "protocol": "UDP"}]}),
        );
        assert_eq!(ops.len(), 1);
    }

    #[test]
    fn types_that_change_are_replaced() {
        exact(json!({"a": {"b": 1}}), json!({"a": [1]}));
        exact(json!({"a": "1"}), json!({"a": 1}));
        exact(json!({"a": null}), json!({"a": {"b": 1}}));
    }

    use proptest::prelude::*;

    /// JSON of a few levels, with lists of named items (as Kubernetes objects have) among them.
    fn value() -> impl Strategy<Value = J> {
        let leaf = prop_oneof![
            Just(J::Null),
            any::<bool>().prop_map(J::Bool),
            (0i64..5).prop_map(|n| json!(n)),
            "[a-c/~]{0,2}".prop_map(J::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(J::Array),
                prop::collection::btree_map("[a-d/~]{1,2}", inner.clone(), 0..5)
                    .prop_map(|m| J::Object(m.into_iter().collect())),
                // Named items, names unique, in any order.
                prop::collection::btree_map("[a-f]", inner, 0..5)
                    .prop_map(|items| {
                        items
                            .into_iter()
                            .map(|(name, v)| json!({ "name": name, "value": v }))
                            .collect::<Vec<J>>()
                    })
                    .prop_shuffle()
                    .prop_map(J::Array),
            ]
        })
    }

    proptest! {
        /// Whatever the two objects, the patch turns one into the other.
        #[test]
        fn the_patch_turns_old_into_new(old in value(), new in value()) {
            let ops = diff(&old, &new);
            let mut doc = old.clone();
            apply(&mut doc, &to_json(&ops)).map_err(TestCaseError::fail)?;
            prop_assert_eq!(doc, new);
        }
    }

    #[test]
    fn a_wrong_base_fails_the_test() {
        let old = json!({"env": [{"name": "A", "value": "1"}]});
        let ops = diff(&old, &json!({"env": [{"name": "A", "value": "2"}]}));
        let mut edited = json!({"env": [{"name": "Z", "value": "1"}]});
        assert!(apply(&mut edited, &to_json(&ops)).is_err());
    }
}
