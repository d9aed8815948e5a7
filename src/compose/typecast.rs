//! After interpolation, strings where compose expects a number or a boolean are read as one,
//! at the same places docker compose does (compose-go's interpolation type-cast list), so that
//! `replicas: ${N}`, `init: "true"` or `external: ${EXT}` mean what they mean under compose.
//!
//! Everywhere else an interpolated value stays a string, whatever its text: `${UNSET}` is the
//! empty string, never null. A string that does not read as the expected type is an error at its
//! location, as under compose.

use crate::error::{Error, Report};
use crate::yaml::{resolve_bool, resolve_float, resolve_int, Node, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cast {
    Int,
    Float,
    Bool,
}

/// One path segment: a mapping key, any key (`*`), or any list item (`[]`).
const ANY: &str = "*";
const ITEM: &str = "[]";

/// Paths below `services.<name>` that compose casts.
const SERVICE_CASTS: &[(&[&str], Cast)] = &[
    (&["cpu_count"], Cast::Int),
    (&["cpu_percent"], Cast::Float),
    (&["cpu_period"], Cast::Int),
    (&["cpu_quota"], Cast::Int),
    (&["cpu_rt_period"], Cast::Int),
    (&["cpu_rt_runtime"], Cast::Int),
    (&["cpus"], Cast::Float),
    (&["cpu_shares"], Cast::Int),
    (&["init"], Cast::Bool),
    (&["depends_on", ANY, "required"], Cast::Bool),
    (&["depends_on", ANY, "restart"], Cast::Bool),
    (&["deploy", "replicas"], Cast::Int),
    (&["deploy", "update_config", "parallelism"], Cast::Int),
    (
        &["deploy", "update_config", "max_failure_ratio"],
        Cast::Float,
    ),
    (&["deploy", "rollback_config", "parallelism"], Cast::Int),
    (
        &["deploy", "rollback_config", "max_failure_ratio"],
        Cast::Float,
    ),
    (&["deploy", "restart_policy", "max_attempts"], Cast::Int),
    (&["deploy", "placement", "max_replicas_per_node"], Cast::Int),
    (&["healthcheck", "retries"], Cast::Int),
    (&["healthcheck", "disable"], Cast::Bool),
    (&["oom_kill_disable"], Cast::Bool),
    (&["oom_score_adj"], Cast::Int),
    (&["pids_limit"], Cast::Int),
    (&["ports", ITEM, "target"], Cast::Int),
    (&["privileged"], Cast::Bool),
    (&["read_only"], Cast::Bool),
    (&["scale"], Cast::Int),
    (&["stdin_open"], Cast::Bool),
    (&["tty"], Cast::Bool),
    (&["ulimits", ANY], Cast::Int),
    (&["ulimits", ANY, "hard"], Cast::Int),
    (&["ulimits", ANY, "soft"], Cast::Int),
    (&["volumes", ITEM, "read_only"], Cast::Bool),
    (&["volumes", ITEM, "volume", "nocopy"], Cast::Bool),
];

/// Top-level paths that compose casts.
const TOP_CASTS: &[(&[&str], Cast)] = &[
    (&["networks", ANY, "external"], Cast::Bool),
    (&["networks", ANY, "internal"], Cast::Bool),
    (&["networks", ANY, "attachable"], Cast::Bool),
    (&["networks", ANY, "enable_ipv4"], Cast::Bool),
    (&["networks", ANY, "enable_ipv6"], Cast::Bool),
    (&["volumes", ANY, "external"], Cast::Bool),
    (&["secrets", ANY, "external"], Cast::Bool),
    (&["configs", ANY, "external"], Cast::Bool),
];

/// Cast the strings of one interpolated compose document (a whole file's tree) in place.
pub fn cast_document(doc: &mut Node, errors: &mut Vec<Error>, report: &mut Report) {
    let Some(top) = doc.as_map_mut() else { return };
    // One path buffer for the whole document: this runs on every service of every file.
    let mut shown = String::new();
    for (key, entry) in top.iter_mut() {
        if key == "services" {
            let Some(services) = entry.value.as_map_mut() else {
                continue;
            };
            for (name, svc) in services.iter_mut() {
                let Some(m) = svc.value.as_map_mut() else {
                    continue;
                };
                // Each key of the service once, against the casts that start with it.
                for (k, e) in m.iter_mut() {
                    for (path, cast) in SERVICE_CASTS.iter().filter(|(p, _)| p[0] == k) {
                        shown.clear();
                        shown.push_str("services.");
                        shown.push_str(name);
                        shown.push('.');
                        shown.push_str(k);
                        walk(&mut e.value, &path[1..], *cast, &mut shown, errors, report);
                    }
                }
            }
            continue;
        }
        for (path, cast) in TOP_CASTS.iter().filter(|(p, _)| p[0] == key) {
            shown.clear();
            shown.push_str(key);
            walk(
                &mut entry.value,
                &path[1..],
                *cast,
                &mut shown,
                errors,
                report,
            );
        }
    }
}

fn walk(
    node: &mut Node,
    path: &[&str],
    cast: Cast,
    shown: &mut String,
    errors: &mut Vec<Error>,
    report: &mut Report,
) {
    let Some((first, rest)) = path.split_first() else {
        apply(node, cast, shown, errors, report);
        return;
    };
    let len = shown.len();
    match (&mut node.value, *first) {
        (Value::Seq(items), ITEM) => {
            for (i, item) in items.iter_mut().enumerate() {
                use std::fmt::Write;
                let _ = write!(shown, "[{i}]");
                walk(item, rest, cast, shown, errors, report);
                shown.truncate(len);
            }
        }
        (Value::Map(m), ANY) => {
            for (k, e) in m.iter_mut() {
                shown.push('.');
                shown.push_str(k);
                walk(&mut e.value, rest, cast, shown, errors, report);
                shown.truncate(len);
            }
        }
        (Value::Map(m), key) if key != ITEM => {
            if let Some(e) = m.get_mut(key) {
                shown.push('.');
                shown.push_str(key);
                walk(&mut e.value, rest, cast, shown, errors, report);
                shown.truncate(len);
            }
        }
        _ => {}
    }
}

/// Whether a scalar is a string under the YAML core schema (what compose-go's YAML library
/// gives as a Go string): quoted, or plain text that is not null, a boolean or a number.
fn is_string(node: &Node) -> bool {
    match &node.value {
        Value::Scalar(s) => {
            !s.plain
                || !(node.is_null()
                    || resolve_bool(&s.text).is_some()
                    || resolve_int(&s.text).is_some()
                    || resolve_float(&s.text).is_some())
        }
        _ => false,
    }
}

fn apply(node: &mut Node, cast: Cast, shown: &str, errors: &mut Vec<Error>, report: &mut Report) {
    if !is_string(node) {
        return;
    }
    let Value::Scalar(s) = &mut node.value else {
        return;
    };
    let text = s.text.as_str();
    let result = match cast {
        Cast::Int => go_int(text)
            .map(|i| i.to_string())
            .ok_or_else(|| format!("invalid syntax for a whole number: `{text}`")),
        Cast::Float => go_float(text)
            .map(|f| f.to_string())
            .ok_or_else(|| format!("invalid syntax for a number: `{text}`")),
        Cast::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Ok("true".to_string()),
            "false" => Ok("false".to_string()),
            word @ ("y" | "yes" | "on" | "n" | "no" | "off") => {
                let yes = matches!(word, "y" | "yes" | "on");
                report.warn(
                    Some(&node.loc),
                    shown.to_string(),
                    format!(
                        "\"{text}\" for boolean is not supported by YAML 1.2, please use `{yes}`"
                    ),
                );
                Ok(yes.to_string())
            }
            _ => Err(format!("invalid boolean: `{text}`")),
        },
    };
    match result {
        Ok(t) => {
            s.text = t;
            s.plain = true;
        }
        Err(why) => errors.push(Error::invalid(
            &node.loc,
            format!("{shown}: failed to cast to expected type: {why}"),
        )),
    }
}

/// A decimal integer as Go's `strconv.Atoi` reads one: an optional sign and digits.
fn go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<i64>().ok()
}

/// A decimal number as Go's `strconv.ParseFloat` reads one (`inf` and `nan` are not numbers a
/// compose key takes, and are refused).
fn go_float(text: &str) -> Option<f64> {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !t.bytes().any(|b| b.is_ascii_digit())
        || !t
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse_document, Limits};
    use std::sync::Arc;

    fn cast(src: &str) -> (serde_json::Value, Vec<String>, Report) {
        let mut doc = parse_document(src, Arc::from("c.yaml"), &Limits::default())
            .unwrap()
            .unwrap();
        let mut errors = Vec::new();
        let mut report = Report::default();
        cast_document(&mut doc, &mut errors, &mut report);
        (
            doc.to_json(),
            errors.iter().map(ToString::to_string).collect(),
            report,
        )
    }

    #[test]
    fn strings_at_typed_places_become_numbers_and_booleans() {
        let (j, e, r) = cast(concat!(
            "services:\n  web:\n    init: 'true'\n    scale: '02'\n    cpus: '0.5'\n",
            "    deploy: {replicas: '3'}\n    ports: [{target: '80'}]\n",
            "    ulimits: {nofile: {soft: '1', hard: '2'}, nproc: '5'}\n",
            "    depends_on: {db: {condition: service_started, required: 'false'}}\n",
            "    image: '3'\n    user: '1000'\n",
            "volumes:\n  v:\n    external: 'true'\n"
        ));
        assert!(e.is_empty(), "{e:?}");
        assert!(r.entries.is_empty());
        let web = &j["services"]["web"];
        assert_eq!(web["init"], true);
        assert_eq!(web["scale"], 2);
        assert_eq!(web["cpus"], 0.5);
        assert_eq!(web["deploy"]["replicas"], 3);
        assert_eq!(web["ports"][0]["target"], 80);
        assert_eq!(web["ulimits"]["nofile"]["hard"], 2);
        assert_eq!(web["ulimits"]["nproc"], 5);
        assert_eq!(web["depends_on"]["db"]["required"], false);
        // Elsewhere a string stays a string.
        assert_eq!(web["image"], "3");
        assert_eq!(web["user"], "1000");
        assert_eq!(j["volumes"]["v"]["external"], true);
    }

    #[test]
    fn an_empty_string_where_a_number_is_expected_is_a_located_error() {
        let (_, e, _) = cast("services:\n  web:\n    deploy:\n      replicas: ''\n");
        assert_eq!(
            e,
            ["c.yaml:4:17: services.web.deploy.replicas: failed to cast to expected type: invalid syntax for a whole number: ``"]
        );
        let (_, e, _) = cast("networks:\n  n:\n    external: maybe\n");
        assert_eq!(
            e,
            ["c.yaml:3:15: networks.n.external: failed to cast to expected type: invalid boolean: `maybe`"]
        );
    }

    #[test]
    fn yaml_1_1_booleans_are_read_with_a_warning() {
        let (j, e, mut r) = cast("services:\n  web:\n    tty: yes\n    privileged: 'off'\n");
        assert!(e.is_empty());
        r.sort();
        assert_eq!(j["services"]["web"]["tty"], true);
        assert_eq!(j["services"]["web"]["privileged"], false);
        assert_eq!(r.entries.len(), 2);
        assert_eq!(
            r.entries[0].to_string(),
            "c.yaml:3:10: warning: services.web.tty: \"yes\" for boolean is not supported by YAML 1.2, please use `true`"
        );
    }

    #[test]
    fn values_already_typed_are_left_alone() {
        let (j, e, _) = cast("services:\n  web:\n    scale: 0x10\n    tty: true\n");
        assert!(e.is_empty());
        assert_eq!(j["services"]["web"]["scale"], 16);
        assert_eq!(j["services"]["web"]["tty"], true);
    }
}
