//! An environment's `values-<name>.yaml` with `--helm`: the values in which its chart differs
//! from the base's.
//!
//! Both charts are made the same way from their own conversions ([`super::helm::chart`]). Where
//! an object's template is the same in both, the environment's difference is all in values, and
//! the base chart with the values file renders what the environment's own chart renders with its
//! defaults: that environment's objects. Where a template differs (a changed command, a new
//! mount), values cannot express it: the report says so, per object and field, and the kustomize
//! overlay is the one that has it. A service only some environments have is in the chart, off
//! (`enabled: false`) unless the environment's values turn it on.

use super::helm::{write_values, Chart, Template};
use super::Tree;
use crate::error::{Location, Report};
use serde_json::{json, Map, Value as J};

/// One environment's chart.
pub struct Environment<'a> {
    pub name: &'a str,
    /// Where it is declared, for the report.
    pub loc: Option<&'a Location>,
    pub tree: &'a Tree,
    pub chart: &'a Chart,
    /// The project's name, when the environment gives it another (`name:` in its file).
    pub renamed: Option<&'a str>,
    /// The Secrets whose values are the environment's own ([`crate::environments::overlay::own_secret`]):
    /// the chart reads every Secret from `files/`, never from values.
    pub own_secrets: Vec<String>,
}

/// Add each environment's values file to the base chart (and the services only environments
/// have, turned off), and report what values cannot express.
pub fn environments(
    tree: &mut Tree,
    base: &mut Chart,
    envs: &[Environment<'_>],
    report: &mut Report,
) {
    for env in envs {
        if let Some(name) = env.renamed {
            report.not_converted(
                env.loc,
                format!("environments.{}", env.name),
                format!(
                    "values-{}.yaml cannot rename the project to `{name}` (every object's labels and the chart's helpers are named after it); use the kustomize overlay",
                    env.name
                ),
            );
            write_file(tree, base, env.name, &J::Object(Map::new()));
            continue;
        }
        for secret in &env.own_secrets {
            report.not_converted(
                env.loc,
                format!("environments.{}", env.name),
                format!(
                    "values-{}.yaml cannot hold the values of Secret/{secret}: the chart reads them from files/ (git-ignored); install `{}` with its own files/ (`ferry convert --helm --environment {}` writes them)",
                    env.name, env.name, env.name
                ),
            );
        }
        add_services(tree, base, env);
        let values = difference(tree, base, env, report);
        write_file(tree, base, env.name, &values);
    }
    write_values(tree, &base.header, &base.source, &base.values);
}

fn write_file(tree: &mut Tree, base: &Chart, name: &str, values: &J) {
    let text = match values.as_object().is_some_and(|m| !m.is_empty()) {
        true => crate::yaml::emit::to_document(values),
        false => "{}\n".to_string(),
    };
    tree.files.insert(
        format!("values-{name}.yaml"),
        format!(
            "{}\n# The environment `{name}`: what it changes in values.yaml. helm install -f values-{name}.yaml\n{text}",
            base.header
        )
        .into_bytes(),
    );
}

fn services(values: &J) -> impl Iterator<Item = &String> {
    values
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| *k != "global")
}

/// Services and claims the environment has and the base chart does not: their templates,
/// secret files and values join the chart, turned off (the environment's values turn them on).
fn add_services(tree: &mut Tree, base: &mut Chart, env: &Environment<'_>) {
    let new: Vec<String> = services(&env.chart.values)
        .filter(|s| base.values.get(s.as_str()).is_none())
        .cloned()
        .collect();
    for svc in &new {
        let mut v = env.chart.values[svc.as_str()].clone();
        v["enabled"] = json!(false);
        // Its claims too: they are not under the service's `enabled`.
        if let Some(claims) = v.get_mut("persistence").and_then(J::as_object_mut) {
            for c in claims.values_mut() {
                c["enabled"] = json!(false);
            }
        }
        if let Some(m) = base.values.as_object_mut() {
            m.insert(svc.clone(), v);
        }
        let paths: Vec<String> = env
            .chart
            .templates
            .iter()
            .filter(|(_, t)| t.service.as_deref() == Some(svc.as_str()))
            .map(|(p, _)| p.clone())
            .collect();
        for path in paths {
            copy_template(tree, base, env, &path);
        }
    }
    add_claims(tree, base, env);
    // Their secret material, which the chart reads from files/ (git-ignored).
    for path in &env.tree.sensitive {
        if !tree.files.contains_key(path) {
            tree.files
                .insert(path.clone(), env.tree.files[path].clone());
            tree.sensitive.insert(path.clone());
            if let Some(ignore) = env.tree.files.get(".gitignore") {
                tree.files
                    .entry(".gitignore".into())
                    .or_insert_with(|| ignore.clone());
            }
        }
    }
}

/// Claims the environment makes and the base chart does not (a volume of a service only it has,
/// or a new one): each claim's values join its owner's, turned off, with its template. A claim
/// is made by `persistence.<claim>.enabled`, not by its owner's `enabled`.
fn add_claims(tree: &mut Tree, base: &mut Chart, env: &Environment<'_>) {
    let owners: Vec<(String, String, J)> = services(&env.chart.values)
        .flat_map(|svc| {
            env.chart.values[svc.as_str()]
                .get("persistence")
                .and_then(J::as_object)
                .into_iter()
                .flatten()
                .map(move |(claim, v)| (svc.clone(), claim.clone(), v.clone()))
        })
        .collect();
    for (svc, claim, mut v) in owners {
        let Some(mine) = base.values.get_mut(svc.as_str()) else {
            continue;
        };
        if mine.pointer(&format!("/persistence/{claim}")).is_some() {
            continue;
        }
        v["enabled"] = json!(false);
        mine["persistence"][claim.as_str()] = v;
        let path = env
            .chart
            .templates
            .iter()
            .find(|(_, t)| t.kind == "PersistentVolumeClaim" && t.name == claim)
            .map(|(p, _)| p.clone());
        if let Some(path) = path.filter(|p| !base.templates.contains_key(p)) {
            copy_template(tree, base, env, &path);
        }
    }
}

/// An environment's template file in the base chart, under the base's header.
fn copy_template(tree: &mut Tree, base: &mut Chart, env: &Environment<'_>, path: &str) {
    let text = String::from_utf8_lossy(&env.tree.files[path]);
    let body = text.split_once('\n').map(|(_, b)| b).unwrap_or_default();
    tree.files.insert(
        path.to_string(),
        format!("{}\n{body}", base.header).into_bytes(),
    );
    base.templates
        .insert(path.to_string(), env.chart.templates[path].clone());
}

/// The environment's values over the base chart's (Helm merges maps key by key, replaces lists
/// whole, and removes a default set to null); and each template values cannot make the same,
/// reported.
fn difference(tree: &Tree, base: &Chart, env: &Environment<'_>, report: &mut Report) -> J {
    let mut out = Map::new();
    for svc in services(&base.values) {
        let mine = &base.values[svc.as_str()];
        match env.chart.values.get(svc.as_str()) {
            Some(theirs) => {
                if let Some(d) = service_diff(mine, &known(mine, theirs)) {
                    out.insert(svc.clone(), d);
                }
            }
            // Not in this environment: every object of the service is off.
            None if mine["enabled"] != json!(false) => {
                out.insert(svc.clone(), json!({ "enabled": false }));
            }
            None => {}
        }
    }
    if let Some(d) = values_diff(&base.values["global"], &env.chart.values["global"]) {
        out.insert("global".into(), d);
    }
    for (path, t) in &base.templates {
        match env.chart.templates.get(path) {
            Some(_) if same_template(tree, env, path) => {}
            Some(theirs) => not_expressible(env, t, Some(theirs), report),
            None => removed(&mut out, base, env, t, report),
        }
    }
    for (path, t) in &env.chart.templates {
        if !base.templates.contains_key(path) {
            not_expressible(env, t, None, report);
        }
    }
    J::Object(out)
}

/// A base template the environment's chart does not have: off with its service, or with its
/// claim's `persistence.<claim>.enabled`; anything else values cannot remove.
fn removed(
    out: &mut Map<String, J>,
    base: &Chart,
    env: &Environment<'_>,
    t: &Template,
    report: &mut Report,
) {
    let service_gone = t
        .service
        .as_deref()
        .is_some_and(|s| env.chart.values.get(s).is_none());
    if service_gone {
        return;
    }
    if t.kind == "PersistentVolumeClaim" {
        let owner = services(&base.values)
            .find(|s| {
                base.values[s.as_str()]
                    .pointer(&format!("/persistence/{}", t.name))
                    .is_some()
            })
            .cloned();
        if let Some(owner) = owner {
            let entry = out.entry(owner).or_insert_with(|| json!({}));
            entry["persistence"][&t.name]["enabled"] = json!(false);
            return;
        }
    }
    report.not_converted(
        env.loc,
        format!("environments.{}", env.name),
        format!(
            "values-{}.yaml cannot remove {}/{}: installed with it, the chart still makes it (the kustomize overlay deletes it)",
            env.name, t.kind, t.name
        ),
    );
}

/// The template is the same in both charts, but for its header line. (Text, not the objects:
/// a marker's template text can hold what the object fixes, such as the names of its variables.)
fn same_template(tree: &Tree, env: &Environment<'_>, path: &str) -> bool {
    let body = |t: &Tree| {
        t.files.get(path).map(|b| {
            b.splitn(2, |c| *c == b'\n')
                .nth(1)
                .unwrap_or_default()
                .to_vec()
        })
    };
    body(tree) == body(env.tree)
}

/// Report what values cannot make of one template: the fields where the environment's object
/// differs outside the values' reach, or the whole object when it is new.
fn not_expressible(
    env: &Environment<'_>,
    t: &Template,
    theirs: Option<&Template>,
    report: &mut Report,
) {
    let what = match (theirs, &t.shape, theirs.and_then(|x| x.shape.as_ref())) {
        (None, _, _) => format!(
            "values-{}.yaml cannot add {}/{}: the chart does not make it (the kustomize overlay has it)",
            env.name, t.kind, t.name
        ),
        (Some(_), Some(mine), Some(their)) => {
            let fields = fixed_fields(mine, their);
            format!(
                "values-{}.yaml cannot express what changes in {}/{}{}: installed with it, the chart keeps the base's there (the kustomize overlay has the change)",
                env.name,
                t.kind,
                t.name,
                if fields.is_empty() { String::new() } else { format!(" at {}", crate::names::some_of(&fields, 6)) }
            )
        }
        (Some(_), _, _) => format!(
            "values-{}.yaml cannot express what changes in {}/{}: installed with it, the chart keeps the base's (the kustomize overlay has the change)",
            env.name, t.kind, t.name
        ),
    };
    report.not_converted(env.loc, format!("environments.{}", env.name), what);
}

/// Where two objects differ outside the fields values control (those hold a marker in both).
fn fixed_fields(mine: &J, theirs: &J) -> Vec<String> {
    let marker = |v: Option<&J>| {
        v.and_then(J::as_str)
            .is_some_and(|s| s.starts_with("ferrymark"))
    };
    let mut out: Vec<String> = crate::patch::diff(mine, theirs)
        .into_iter()
        .filter(|op| op.changes())
        .filter(|op| {
            let new = match op {
                crate::patch::Op::Replace { value, .. } => Some(value),
                _ => None,
            };
            !(marker(mine.pointer(op.path())) && marker(new))
        })
        .map(|op| op.path().to_string())
        .collect();
    out.dedup();
    out
}

/// A service's values as far as the base chart knows them: a value the base chart has no key
/// for (a Service's ports where the base has none, a claim it does not make) has no template to
/// read it there, and `values.schema.json` refuses it; what it stands for is reported with its
/// template.
fn known(base: &J, env: &J) -> J {
    let mut out = Map::new();
    for (k, v) in env.as_object().into_iter().flatten() {
        let Some(b) = base.get(k) else { continue };
        let v = match (k.as_str(), b, v) {
            ("persistence", J::Object(claims), J::Object(theirs)) => J::Object(
                theirs
                    .iter()
                    .filter(|(c, _)| claims.contains_key(*c))
                    .map(|(c, x)| (c.clone(), x.clone()))
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    J::Object(out)
}

/// [`values_diff`] of one service's values, but for keys the environment lacks: a template
/// reads each of the service's keys, and one set to null would fail it (what the key stood for is
/// then a template of its own that differs, and reported).
fn service_diff(base: &J, env: &J) -> Option<J> {
    let mut out = Map::new();
    for (k, ev) in env.as_object().into_iter().flatten() {
        if let Some(d) = base.get(k).and_then(|bv| values_diff(bv, ev)) {
            out.insert(k.clone(), d);
        }
    }
    (!out.is_empty()).then_some(J::Object(out))
}

/// The values that turn `base` into `env`: maps key by key (a key `env` lacks is null, which
/// Helm removes), anything else whole.
fn values_diff(base: &J, env: &J) -> Option<J> {
    match (base, env) {
        (J::Object(b), J::Object(e)) => {
            let mut out = Map::new();
            for (k, ev) in e {
                match b.get(k) {
                    Some(bv) => {
                        if let Some(d) = values_diff(bv, ev) {
                            out.insert(k.clone(), d);
                        }
                    }
                    None => {
                        out.insert(k.clone(), ev.clone());
                    }
                }
            }
            for k in b.keys().filter(|k| !e.contains_key(*k)) {
                out.insert(k.clone(), J::Null);
            }
            (!out.is_empty()).then_some(J::Object(out))
        }
        _ if base == env => None,
        _ => Some(env.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Helm's merge of a values file over the defaults: maps key by key, null removes.
    fn merged(base: &J, over: &J) -> J {
        match (base, over) {
            (J::Object(b), J::Object(o)) => {
                let mut out = b.clone();
                for (k, v) in o {
                    if v.is_null() {
                        out.remove(k);
                    } else {
                        let m = b.get(k).map_or(v.clone(), |bv| merged(bv, v));
                        out.insert(k.clone(), m);
                    }
                }
                J::Object(out)
            }
            (_, v) => v.clone(),
        }
    }

    #[test]
    fn the_values_file_merges_to_the_environments_values() {
        let base = json!({
            "replicas": 1,
            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
            "env": {"A": "1", "B": "2"},
            "nodeSelector": {},
        });
        let env = json!({
            "replicas": 3,
            "resources": {"limits": {"memory": "2Gi"}},
            "env": {"A": "1", "B": "3"},
            "nodeSelector": {},
        });
        let d = values_diff(&base, &env).unwrap();
        assert_eq!(
            d,
            json!({"replicas": 3, "resources": {"limits": {"cpu": null, "memory": "2Gi"}}, "env": {"B": "3"}})
        );
        assert_eq!(merged(&base, &d), env);
        assert_eq!(values_diff(&base, &base), None);
    }

    #[test]
    fn a_services_keys_are_never_removed_nor_new() {
        // The environment's Service is headless (no `service` values) and it mounts a claim the
        // base does not make: neither reaches the file (their templates differ, and are reported).
        let base = json!({"replicas": 1, "service": {"type": "ClusterIP"}, "persistence": {"a": {"size": "1Gi"}}});
        let env = json!({"replicas": 2, "persistence": {"a": {"size": "2Gi"}, "b": {"size": "1Gi"}}, "ingress": {}});
        assert_eq!(
            service_diff(&base, &known(&base, &env)),
            Some(json!({"replicas": 2, "persistence": {"a": {"size": "2Gi"}}}))
        );
    }
}
