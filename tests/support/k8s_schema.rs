//! Strict, offline validation of rendered Kubernetes manifests for tests.
//!
//! [`validate_yaml`] parses a `---`-separated YAML stream (as fed to
//! `kubectl apply -f -`) and checks every document against the Kubernetes API
//! types of `k8s-openapi` (one Kubernetes version feature), reporting:
//!
//! * YAML errors, including duplicate mapping keys;
//! * unknown `apiVersion`/`kind` combinations;
//! * unknown fields, at any depth (reported by `serde_ignored` while
//!   deserializing, and cross-checked by serializing the typed value back to
//!   JSON and looking for input paths that did not survive the round trip);
//! * wrong types (with their path, through `serde_path_to_error`; typed
//!   checking of a document stops at its first type error);
//! * missing required fields: k8s-openapi silently defaults them, but always
//!   serializes them, so any field the round trip adds is a missing one;
//! * a few semantic rules the API server enforces and a schema cannot express
//!   (object, container, port and label naming; Service port names; workload
//!   selectors matching their pod template labels).
//!
//! Every problem is one line: `doc N Kind/name: path: message`, where `N` is
//! the 1-based index of the document among the non-empty documents of the
//! stream (YAML errors: `doc N (yaml): line L, column C: message`).
#![allow(dead_code)]

use k8s_openapi::api::{
    apps::v1 as apps, autoscaling::v2 as autoscaling, batch::v1 as batch, core::v1 as core,
    networking::v1 as networking, policy::v1 as policy,
};
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Validate a stream of YAML documents (`---`-separated, as produced for
/// `kubectl apply -f -`), or a single file's content. Returns one
/// human-readable problem per line: "doc N Kind/name: path: message".
/// An empty vec means the stream is valid.
pub fn validate_yaml(text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (index, doc) in parse_stream(text).into_iter().enumerate() {
        let n = index + 1;
        match doc {
            Err(yaml) => problems.push(format!("doc {n} (yaml): {}: {}", yaml.path, yaml.message)),
            Ok(value) => {
                let header = format!("doc {n} {}/{}", kind_of(&value), name_of(&value));
                for p in validate_document(&value) {
                    problems.push(format!(
                        "{header}: {}: {}",
                        display_path(&p.path),
                        p.message
                    ));
                }
            }
        }
    }
    problems
}

/// One problem inside a document; `path` is "" for the document root.
struct Problem {
    path: String,
    message: String,
}

impl Problem {
    fn new(path: &str, message: impl Into<String>) -> Self {
        Problem {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

fn display_path(path: &str) -> &str {
    match path {
        "" => "(root)",
        _ => path,
    }
}

fn kind_of(doc: &Value) -> &str {
    doc.get("kind").and_then(Value::as_str).unwrap_or("?")
}

fn name_of(doc: &Value) -> &str {
    doc.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>")
}

// ---------------------------------------------------------------------------
// YAML parsing
// ---------------------------------------------------------------------------

fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    options.with_snippet = false;
    options
}

/// Parses the stream into one `Value` per non-empty document. When the whole
/// stream does not parse, it is split at `---` lines and each part is parsed on
/// its own, so that a YAML error is located and the other documents are still
/// validated.
fn parse_stream(text: &str) -> Vec<Result<Value, Problem>> {
    if let Ok(docs) = serde_saphyr::from_multiple_with_options::<Value>(text, yaml_options()) {
        return docs
            .into_iter()
            .filter(|doc| !doc.is_null())
            .map(Ok)
            .collect();
    }
    let mut docs = Vec::new();
    for (line_offset, chunk) in split_documents(text) {
        match serde_saphyr::from_str_with_options::<Value>(&chunk, yaml_options()) {
            Ok(Value::Null) => {}
            Ok(value) => docs.push(Ok(value)),
            Err(e) => docs.push(Err(yaml_problem(&e, line_offset))),
        }
    }
    docs
}

/// Splits a YAML stream before each `---` document marker; returns each
/// part with the number of lines that precede it.
fn split_documents(text: &str) -> Vec<(u64, String)> {
    let mut chunks = vec![(0, String::new())];
    for (line_no, line) in text.split_inclusive('\n').enumerate() {
        let marker = line
            .strip_prefix("---")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']));
        if marker {
            chunks.push((line_no as u64, String::new()));
        }
        if let Some((_, chunk)) = chunks.last_mut() {
            chunk.push_str(line);
        }
    }
    chunks
}

fn yaml_problem(e: &serde_saphyr::Error, line_offset: u64) -> Problem {
    let location = e.location().filter(|l| l.line() > 0);
    let path = match &location {
        Some(l) => format!("line {}, column {}", l.line() + line_offset, l.column()),
        None => String::from("(yaml)"),
    };
    let message = match e.without_snippet() {
        serde_saphyr::Error::DuplicateMappingKey { key, .. } => {
            format!("duplicate mapping key `{}`", key.as_deref().unwrap_or("?"))
        }
        _ => {
            let rendered = e.render_with_options(serde_saphyr::render_options! {
                line_offset: line_offset,
                snippets: serde_saphyr::SnippetMode::Off,
            });
            let suffix = format!(" at {path}");
            match rendered.strip_suffix(&suffix) {
                Some(message) => message.to_owned(),
                None => rendered,
            }
        }
    };
    Problem { path, message }
}

// ---------------------------------------------------------------------------
// Dispatch and typed (schema) validation
// ---------------------------------------------------------------------------

const KUSTOMIZE_API_VERSION: &str = "kustomize.config.k8s.io/v1beta1";

/// The (apiVersion, kind) pairs accepted; anything else is a problem.
const SUPPORTED: &[(&str, &str)] = &[
    ("v1", "ConfigMap"),
    ("v1", "Namespace"),
    ("v1", "PersistentVolume"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Pod"),
    ("v1", "Secret"),
    ("v1", "Service"),
    ("v1", "ServiceAccount"),
    ("apps/v1", "DaemonSet"),
    ("apps/v1", "Deployment"),
    ("apps/v1", "StatefulSet"),
    ("batch/v1", "CronJob"),
    ("batch/v1", "Job"),
    ("networking.k8s.io/v1", "Ingress"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("autoscaling/v2", "HorizontalPodAutoscaler"),
    ("policy/v1", "PodDisruptionBudget"),
    (KUSTOMIZE_API_VERSION, "Kustomization"),
];

fn validate_document(doc: &Value) -> Vec<Problem> {
    if !doc.is_object() {
        return vec![Problem::new("", "document is not a mapping")];
    }
    let (api_version, kind) = match (doc.get("apiVersion"), doc.get("kind")) {
        (Some(Value::String(a)), Some(Value::String(k))) => (a.as_str(), k.as_str()),
        (None, _) => return vec![Problem::new("apiVersion", "missing field `apiVersion`")],
        (_, None) => return vec![Problem::new("kind", "missing field `kind`")],
        _ => return vec![Problem::new("", "`apiVersion` and `kind` must be strings")],
    };
    let mut problems = match (api_version, kind) {
        ("v1", "ConfigMap") => check_typed::<core::ConfigMap>(doc),
        ("v1", "Namespace") => check_typed::<core::Namespace>(doc),
        ("v1", "PersistentVolume") => check_typed::<core::PersistentVolume>(doc),
        ("v1", "PersistentVolumeClaim") => check_typed::<core::PersistentVolumeClaim>(doc),
        ("v1", "Pod") => check_typed::<core::Pod>(doc),
        ("v1", "Secret") => check_typed::<core::Secret>(doc),
        ("v1", "Service") => check_typed::<core::Service>(doc),
        ("v1", "ServiceAccount") => check_typed::<core::ServiceAccount>(doc),
        ("apps/v1", "DaemonSet") => check_typed::<apps::DaemonSet>(doc),
        ("apps/v1", "Deployment") => check_typed::<apps::Deployment>(doc),
        ("apps/v1", "StatefulSet") => check_typed::<apps::StatefulSet>(doc),
        ("batch/v1", "CronJob") => check_typed::<batch::CronJob>(doc),
        ("batch/v1", "Job") => check_typed::<batch::Job>(doc),
        ("networking.k8s.io/v1", "Ingress") => check_typed::<networking::Ingress>(doc),
        ("networking.k8s.io/v1", "NetworkPolicy") => check_typed::<networking::NetworkPolicy>(doc),
        ("autoscaling/v2", "HorizontalPodAutoscaler") => {
            check_typed::<autoscaling::HorizontalPodAutoscaler>(doc)
        }
        ("policy/v1", "PodDisruptionBudget") => check_typed::<policy::PodDisruptionBudget>(doc),
        (KUSTOMIZE_API_VERSION, "Kustomization") => return check_kustomization(doc),
        (GATEWAY_API_VERSION, k) if GATEWAY_API_KINDS.contains(&k) => {
            return check_gateway_api(doc)
        }
        _ => return vec![unsupported(api_version, kind)],
    };
    problems.extend(semantic_checks(kind, doc));
    problems
}

/// The Gateway API (custom resources): k8s-openapi has no types for them. Here only their
/// frame is checked (apiVersion, metadata, a spec); `tests/gateway.rs` validates them against
/// the CRDs' schemas and evaluates their CEL rules (`scripts/gateway-check.py`).
const GATEWAY_API_VERSION: &str = "gateway.networking.k8s.io/v1";
const GATEWAY_API_KINDS: &[&str] = &["Gateway", "HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute"];

fn check_gateway_api(doc: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    for k in doc.as_object().into_iter().flat_map(|m| m.keys()) {
        if !["apiVersion", "kind", "metadata", "spec"].contains(&k.as_str()) {
            problems.push(Problem::new(k, "unknown field"));
        }
    }
    if !doc.get("spec").is_some_and(Value::is_object) {
        problems.push(Problem::new("spec", "missing field `spec`"));
    }
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    problems.extend(semantic_checks(kind, doc));
    problems
}

fn unsupported(api_version: &str, kind: &str) -> Problem {
    let versions: Vec<&str> = SUPPORTED
        .iter()
        .filter(|(_, k)| *k == kind)
        .map(|(a, _)| *a)
        .collect();
    if versions.is_empty() {
        Problem::new(
            "kind",
            format!("unknown kind `{kind}` (apiVersion `{api_version}`)"),
        )
    } else {
        Problem::new(
            "apiVersion",
            format!(
                "unsupported apiVersion `{api_version}` for kind `{kind}` (expected `{}`)",
                versions.join("` or `")
            ),
        )
    }
}

/// Deserializes `doc` into the k8s-openapi type `T`, reporting unknown fields,
/// type errors and missing required fields.
fn check_typed<T>(doc: &Value) -> Vec<Problem>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let mut unknown: Vec<String> = Vec::new();
    let mut on_ignored = |path: serde_ignored::Path<'_>| unknown.push(ignored_path(&path));
    let result: Result<T, _> =
        serde_path_to_error::deserialize(serde_ignored::Deserializer::new(doc, &mut on_ignored));

    let mut problems: Vec<Problem> = unknown
        .iter()
        .map(|path| Problem::new(path, "unknown field"))
        .collect();
    match result {
        Err(e) => problems.push(Problem::new(&error_path(e.path()), e.inner().to_string())),
        Ok(typed) => match serde_json::to_value(&typed) {
            Err(e) => problems.push(Problem::new("", format!("cannot re-serialize: {e}"))),
            Ok(round_tripped) => {
                // Belt and braces: any input field that does not survive the round
                // trip was dropped by a Deserialize impl without serde_ignored
                // noticing.
                let mut dropped = Vec::new();
                dropped_fields(doc, &round_tripped, "", &mut dropped);
                let known: BTreeSet<&str> = unknown.iter().map(String::as_str).collect();
                for path in dropped {
                    if !known.contains(path.as_str()) {
                        problems.push(Problem::new(&path, "unknown field"));
                    }
                }
                // k8s-openapi fills in missing required fields with defaults instead
                // of failing, and serializes required fields unconditionally: an
                // output field absent from the input is a missing required field.
                let mut missing = Vec::new();
                added_fields(doc, &round_tripped, "", &mut missing);
                for path in missing {
                    problems.push(Problem::new(&path, "missing required field"));
                }
            }
        },
    }
    problems
}

/// Collects the paths of non-null fields of `input` that are absent from
/// `output` (the typed value serialized back to JSON).
fn dropped_fields(input: &Value, output: &Value, path: &str, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                if value.is_null() {
                    continue;
                }
                let child = join_key(path, key);
                match b.get(key) {
                    None => out.push(child),
                    Some(other) => dropped_fields(value, other, &child, out),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                dropped_fields(x, y, &join_index(path, i), out);
            }
        }
        _ => {}
    }
}

/// Collects the paths of fields of `output` (the typed value serialized back to
/// JSON) that are absent or null in `input`: required fields that
/// k8s-openapi defaulted. `apiVersion`, `kind` and `metadata` of the document
/// and of embedded objects (`volumeClaimTemplates`, ...) are not required.
fn added_fields(input: &Value, output: &Value, path: &str, out: &mut Vec<String>) {
    match (input, output) {
        (Value::Object(a), Value::Object(b)) => {
            let embedded_object = path.is_empty()
                || ["apiVersion", "kind", "metadata"]
                    .iter()
                    .all(|key| b.contains_key(*key));
            for (key, value) in b {
                let child = join_key(path, key);
                match a.get(key) {
                    None | Some(Value::Null) => {
                        let optional = embedded_object
                            && matches!(key.as_str(), "apiVersion" | "kind" | "metadata");
                        if !optional {
                            out.push(child);
                        }
                    }
                    Some(other) => added_fields(other, value, &child, out),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                added_fields(x, y, &join_index(path, i), out);
            }
        }
        _ => {}
    }
}

fn join_key(base: &str, key: &str) -> String {
    let simple = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !simple {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"));
        format!("{base}[{quoted}]")
    } else if base.is_empty() {
        key.to_owned()
    } else {
        format!("{base}.{key}")
    }
}

fn join_index(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => join_index(&ignored_path(parent), *index),
        Path::Map { parent, key } => join_key(&ignored_path(parent), key),
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}

fn error_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .fold(String::new(), |acc, segment| match segment {
            Segment::Seq { index } => join_index(&acc, *index),
            Segment::Map { key } => join_key(&acc, key),
            Segment::Enum { variant } => join_key(&acc, variant),
            Segment::Unknown => join_key(&acc, "?"),
        })
}

// ---------------------------------------------------------------------------
// Kustomization (hand-written: not a Kubernetes API type)
// ---------------------------------------------------------------------------

const KUSTOMIZATION_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "resources",
    "namespace",
    "commonLabels",
    "labels",
    "patches",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "components",
    "namePrefix",
    "nameSuffix",
    "commonAnnotations",
];

fn check_kustomization(doc: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    let Some(map) = doc.as_object() else {
        return problems;
    };
    for key in map.keys() {
        if !KUSTOMIZATION_KEYS.contains(&key.as_str()) {
            problems.push(Problem::new(&join_key("", key), "unknown field"));
        }
    }
    match map.get("resources") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if !item.is_string() {
                    problems.push(Problem::new(
                        &join_index("resources", i),
                        format!("expected a string, found {}", type_name(item)),
                    ));
                }
            }
        }
        Some(other) => problems.push(Problem::new(
            "resources",
            format!("expected a list of strings, found {}", type_name(other)),
        )),
    }
    problems
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

// ---------------------------------------------------------------------------
// Semantic checks (API-server validation that the schema cannot express)
// ---------------------------------------------------------------------------

fn semantic_checks(kind: &str, doc: &Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_object_name(kind, doc, &mut problems);
    check_label_maps(doc, "", false, &mut problems);

    let spec = doc.get("spec").filter(|spec| !spec.is_null());
    // `spec` is optional in the schema (so k8s-openapi accepts its absence), but
    // these kinds' specs have required fields.
    let spec_required = matches!(
        kind,
        "Deployment"
            | "StatefulSet"
            | "DaemonSet"
            | "Job"
            | "CronJob"
            | "Pod"
            | "HorizontalPodAutoscaler"
    );
    if spec_required && spec.is_none() {
        problems.push(Problem::new("spec", "missing required field"));
    }
    match kind {
        "Deployment" | "StatefulSet" | "DaemonSet" => {
            check_pod_spec(
                doc.pointer("/spec/template/spec"),
                "spec.template.spec",
                &mut problems,
            );
            check_selector_matches_template(doc, &mut problems);
        }
        "Job" => check_pod_spec(
            doc.pointer("/spec/template/spec"),
            "spec.template.spec",
            &mut problems,
        ),
        "CronJob" => check_pod_spec(
            doc.pointer("/spec/jobTemplate/spec/template/spec"),
            "spec.jobTemplate.spec.template.spec",
            &mut problems,
        ),
        "Pod" => check_pod_spec(spec, "spec", &mut problems),
        "Service" => check_service_spec(spec, &mut problems),
        _ => {}
    }
    problems
}

fn check_object_name(kind: &str, doc: &Value, problems: &mut Vec<Problem>) {
    let name = doc.pointer("/metadata/name").and_then(Value::as_str);
    let generate_name = doc
        .pointer("/metadata/generateName")
        .and_then(Value::as_str);
    match name {
        None | Some("") if generate_name.is_none_or(str::is_empty) => {
            problems.push(Problem::new("metadata.name", "required value"));
        }
        None | Some("") => {}
        Some(name) => {
            let error = match kind {
                "Service" => rfc1035_label(name),
                "Namespace" => rfc1123_label(name),
                _ => rfc1123_subdomain(name),
            };
            if let Some(error) = error {
                problems.push(Problem::new(
                    "metadata.name",
                    format!("invalid name {name:?}: {error}"),
                ));
            }
        }
    }
    if let Some(namespace) = doc.pointer("/metadata/namespace").and_then(Value::as_str) {
        check_format(
            problems,
            "metadata.namespace",
            "namespace",
            namespace,
            rfc1123_label,
        );
    }
}

/// Reports `value` at `path` when `validator` rejects it.
fn check_format(
    problems: &mut Vec<Problem>,
    path: &str,
    what: &str,
    value: &str,
    validator: fn(&str) -> Option<String>,
) {
    if let Some(error) = validator(value) {
        problems.push(Problem::new(
            path,
            format!("invalid {what} {value:?}: {error}"),
        ));
    }
}

/// Reports a port number at `path` outside 1..=65535.
fn check_port_number(problems: &mut Vec<Problem>, path: &str, number: Option<&Value>) {
    if let Some(number) = number
        .and_then(Value::as_i64)
        .filter(|n| !(1..=65535).contains(n))
    {
        problems.push(Problem::new(
            path,
            format!("{number} must be between 1 and 65535, inclusive"),
        ));
    }
}

/// Walks the whole document and validates every label map (`labels` inside a
/// `metadata` mapping, and every `matchLabels`) and annotation keys.
fn check_label_maps(value: &Value, path: &str, in_metadata: bool, problems: &mut Vec<Problem>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let child_path = join_key(path, key);
                match (in_metadata, key.as_str(), child) {
                    (true, "labels", Value::Object(labels))
                    | (_, "matchLabels", Value::Object(labels)) => {
                        check_labels(labels, &child_path, problems);
                    }
                    (true, "annotations", Value::Object(annotations)) => {
                        for name in annotations.keys() {
                            if let Some(error) = qualified_name(name) {
                                problems.push(Problem::new(
                                    &join_key(&child_path, name),
                                    format!("invalid annotation key: {error}"),
                                ));
                            }
                        }
                    }
                    _ => check_label_maps(child, &child_path, key == "metadata", problems),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_label_maps(item, &join_index(path, i), false, problems);
            }
        }
        _ => {}
    }
}

fn check_labels(labels: &Map<String, Value>, path: &str, problems: &mut Vec<Problem>) {
    for (key, value) in labels {
        let key_path = join_key(path, key);
        if let Some(error) = qualified_name(key) {
            problems.push(Problem::new(
                &key_path,
                format!("invalid label key: {error}"),
            ));
        }
        if let Some(value) = value.as_str() {
            check_format(problems, &key_path, "label value", value, label_value);
        }
    }
}

fn check_pod_spec(pod_spec: Option<&Value>, path: &str, problems: &mut Vec<Problem>) {
    let Some(pod_spec) = pod_spec else {
        return;
    };
    let mut container_names = BTreeSet::new();
    for list in ["initContainers", "containers", "ephemeralContainers"] {
        let Some(containers) = pod_spec.get(list).and_then(Value::as_array) else {
            continue;
        };
        for (i, container) in containers.iter().enumerate() {
            let container_path = join_index(&join_key(path, list), i);
            if let Some(name) = container.get("name").and_then(Value::as_str) {
                if let Some(error) = rfc1123_label(name) {
                    problems.push(Problem::new(
                        &join_key(&container_path, "name"),
                        format!("invalid container name {name:?}: {error}"),
                    ));
                } else if !container_names.insert(name.to_owned()) {
                    problems.push(Problem::new(
                        &join_key(&container_path, "name"),
                        format!("duplicate container name {name:?}"),
                    ));
                }
            }
            check_container_ports(container, &container_path, problems);
        }
    }
}

fn check_container_ports(container: &Value, path: &str, problems: &mut Vec<Problem>) {
    let Some(ports) = container.get("ports").and_then(Value::as_array) else {
        return;
    };
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let port_path = join_index(&join_key(path, "ports"), i);
        check_port_number(
            problems,
            &join_key(&port_path, "containerPort"),
            port.get("containerPort"),
        );
        if let Some(name) = port.get("name").and_then(Value::as_str) {
            if let Some(error) = iana_svc_name(name) {
                problems.push(Problem::new(
                    &join_key(&port_path, "name"),
                    format!("invalid port name {name:?}: {error}"),
                ));
            } else if !names.insert(name.to_owned()) {
                problems.push(Problem::new(
                    &join_key(&port_path, "name"),
                    format!("duplicate port name {name:?}"),
                ));
            }
        }
    }
}

fn check_service_spec(spec: Option<&Value>, problems: &mut Vec<Problem>) {
    let Some(spec) = spec else {
        return;
    };
    if let Some(Value::Object(selector)) = spec.get("selector") {
        check_labels(selector, "spec.selector", problems);
    }
    let Some(ports) = spec.get("ports").and_then(Value::as_array) else {
        return;
    };
    let mut names = BTreeSet::new();
    for (i, port) in ports.iter().enumerate() {
        let port_path = join_index("spec.ports", i);
        match port.get("name").and_then(Value::as_str) {
            None | Some("") if ports.len() > 1 => problems.push(Problem::new(
                &join_key(&port_path, "name"),
                "required value: a Service with more than one port must name every port",
            )),
            None | Some("") => {}
            Some(name) => {
                if let Some(error) = rfc1123_label(name) {
                    problems.push(Problem::new(
                        &join_key(&port_path, "name"),
                        format!("invalid port name {name:?}: {error}"),
                    ));
                } else if !names.insert(name.to_owned()) {
                    problems.push(Problem::new(
                        &join_key(&port_path, "name"),
                        format!("duplicate port name {name:?}"),
                    ));
                }
            }
        }
        for field in ["port", "targetPort", "nodePort"] {
            check_port_number(problems, &join_key(&port_path, field), port.get(field));
        }
        if let Some(name) = port.get("targetPort").and_then(Value::as_str) {
            let path = join_key(&port_path, "targetPort");
            check_format(problems, &path, "named port", name, iana_svc_name);
        }
    }
}

/// Deployment/StatefulSet/DaemonSet: the selector must be non-empty and match
/// the pod template's labels.
fn check_selector_matches_template(doc: &Value, problems: &mut Vec<Problem>) {
    let Some(selector) = doc.pointer("/spec/selector").and_then(Value::as_object) else {
        return; // missing selector: reported by the typed check
    };
    let empty = Map::new();
    let labels = doc
        .pointer("/spec/template/metadata/labels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let match_labels = selector.get("matchLabels").and_then(Value::as_object);
    let expressions = selector.get("matchExpressions").and_then(Value::as_array);
    if match_labels.is_none_or(Map::is_empty) && expressions.is_none_or(Vec::is_empty) {
        problems.push(Problem::new(
            "spec.selector",
            "empty selector is invalid for this workload",
        ));
        return;
    }
    for (key, value) in match_labels.unwrap_or(&empty) {
        if labels.get(key) != Some(value) {
            problems.push(Problem::new(
                &join_key("spec.selector.matchLabels", key),
                format!(
                    "selector does not match template labels: spec.template.metadata.labels has {}",
                    match labels.get(key) {
                        Some(actual) => format!("{key}={actual}"),
                        None => format!("no label {key:?}"),
                    }
                ),
            ));
        }
    }
    for (i, expression) in expressions.into_iter().flatten().enumerate() {
        if !expression_matches(expression, labels) {
            problems.push(Problem::new(
                &join_index("spec.selector.matchExpressions", i),
                "selector does not match template labels (spec.template.metadata.labels)",
            ));
        }
    }
}

fn expression_matches(expression: &Value, labels: &Map<String, Value>) -> bool {
    let key = expression.get("key").and_then(Value::as_str).unwrap_or("");
    let values: Vec<&str> = expression
        .get("values")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let actual = labels.get(key).and_then(Value::as_str);
    match expression.get("operator").and_then(Value::as_str) {
        Some("In") => actual.is_some_and(|a| values.contains(&a)),
        Some("NotIn") => actual.is_none_or(|a| !values.contains(&a)),
        Some("Exists") => actual.is_some(),
        Some("DoesNotExist") => actual.is_none(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Name formats (mirroring k8s.io/apimachinery/pkg/util/validation)
// ---------------------------------------------------------------------------

fn is_lower_alnum(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without a length limit.
fn label_chars_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| is_lower_alnum(c) || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn rfc1123_label(s: &str) -> Option<String> {
    if s.len() > 63 {
        Some(format!(
            "must be no more than 63 characters (is {})",
            s.len()
        ))
    } else if !label_chars_ok(s) {
        Some(String::from(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', \
             and must start and end with an alphanumeric character",
        ))
    } else {
        None
    }
}

fn rfc1035_label(s: &str) -> Option<String> {
    if s.len() > 63 {
        Some(format!(
            "must be no more than 63 characters (is {})",
            s.len()
        ))
    } else if !label_chars_ok(s) || !s.starts_with(|c: char| c.is_ascii_lowercase()) {
        Some(String::from(
            "a DNS-1035 label must consist of lower case alphanumeric characters or '-', \
             start with an alphabetic character, and end with an alphanumeric character",
        ))
    } else {
        None
    }
}

fn rfc1123_subdomain(s: &str) -> Option<String> {
    if s.len() > 253 {
        Some(format!(
            "must be no more than 253 characters (is {})",
            s.len()
        ))
    } else if !s.split('.').all(label_chars_ok) {
        Some(String::from(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \
             '-' or '.', and must start and end with an alphanumeric character",
        ))
    } else {
        None
    }
}

/// IANA_SVC_NAME: at most 15 characters, `[-a-z0-9]`, at least one letter,
/// no `--`, not starting or ending with `-`.
fn iana_svc_name(s: &str) -> Option<String> {
    if s.len() > 15 {
        Some(format!(
            "must be no more than 15 characters (is {})",
            s.len()
        ))
    } else if !label_chars_ok(s) {
        Some(String::from(
            "must contain only lowercase alphanumeric characters or '-', \
             and must start and end with an alphanumeric character",
        ))
    } else if s.contains("--") {
        Some(String::from("must not contain consecutive hyphens"))
    } else if !s.chars().any(|c| c.is_ascii_lowercase()) {
        Some(String::from("must contain at least one letter"))
    } else {
        None
    }
}

/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, non-empty.
fn qualified_name_part_ok(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Label and annotation keys: `[prefix/]name`, prefix a DNS subdomain, name at
/// most 63 characters.
fn qualified_name(key: &str) -> Option<String> {
    let (prefix, name) = match key.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        if prefix.is_empty() {
            return Some(String::from("prefix part must be non-empty"));
        }
        if let Some(error) = rfc1123_subdomain(prefix) {
            return Some(format!("prefix part {error}"));
        }
    }
    if name.len() > 63 {
        Some(format!(
            "name part must be no more than 63 characters (is {})",
            name.len()
        ))
    } else if !qualified_name_part_ok(name) {
        Some(String::from(
            "name part must consist of alphanumeric characters, '-', '_' or '.', \
             and must start and end with an alphanumeric character",
        ))
    } else {
        None
    }
}

fn label_value(value: &str) -> Option<String> {
    if value.len() > 63 {
        Some(format!(
            "must be no more than 63 characters (is {})",
            value.len()
        ))
    } else if !value.is_empty() && !qualified_name_part_ok(value) {
        Some(String::from(
            "a valid label value must be empty or consist of alphanumeric characters, '-', '_' \
             or '.', and must start and end with an alphanumeric character",
        ))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: bookstack
  labels:
    app.kubernetes.io/name: bookstack
    app.kubernetes.io/part-of: ferry
  annotations:
    ferry.dev/source: compose.yaml
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: bookstack
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app.kubernetes.io/name: bookstack
        app.kubernetes.io/part-of: ferry
    spec:
      containers:
        - name: bookstack
          image: lscr.io/linuxserver/bookstack:24.05
          args: ["--verbose"]
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
          env:
            - name: DB_HOST
              value: bookstack-db
            - name: DB_PASS
              valueFrom:
                secretKeyRef:
                  name: bookstack-secrets
                  key: DB_PASS
          resources:
            requests:
              cpu: 250m
              memory: 256Mi
            limits:
              cpu: 1
              memory: 1Gi
          readinessProbe:
            httpGet:
              path: /
              port: http
          volumeMounts:
            - name: config
              mountPath: /config
      volumes:
        - name: config
          persistentVolumeClaim:
            claimName: bookstack-config
"#;

    const SERVICE: &str = r#"apiVersion: v1
kind: Service
metadata:
  name: bookstack
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: bookstack
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: https
      port: 443
      targetPort: 8443
"#;

    const PVC: &str = r#"apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: bookstack-config
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
"#;

    fn valid_stream() -> String {
        format!("---\n{DEPLOYMENT}---\n{SERVICE}---\n{PVC}")
    }

    /// Exactly one problem, naming `path` and containing `message`.
    #[track_caller]
    fn assert_single_problem(yaml: &str, path: &str, message: &str) {
        let problems = validate_yaml(yaml);
        assert_eq!(problems.len(), 1, "expected one problem, got {problems:#?}");
        let problem = &problems[0];
        assert!(
            problem.contains(&format!(": {path}: ")),
            "problem does not name path {path:?}: {problem}"
        );
        assert!(
            problem.contains(message),
            "problem does not mention {message:?}: {problem}"
        );
    }

    #[test]
    fn valid_deployment_service_pvc_stream_passes() {
        assert_eq!(validate_yaml(&valid_stream()), Vec::<String>::new());
    }

    #[test]
    fn valid_single_document_passes() {
        assert_eq!(validate_yaml(PVC), Vec::<String>::new());
    }

    #[test]
    fn empty_documents_and_comments_are_skipped() {
        let yaml = format!("# generated\n---\n---\n{PVC}---\n# trailing\n");
        assert_eq!(validate_yaml(&yaml), Vec::<String>::new());
    }

    #[test]
    fn all_supported_kinds_pass() {
        let yaml = r#"
apiVersion: v1
kind: Namespace
metadata: {name: ferry}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: ferry}
data: {APP_ENV: production, "nginx.conf": "server {}"}
---
apiVersion: v1
kind: Secret
metadata: {name: app-secrets}
type: Opaque
stringData: {PASSWORD: hunter2}
data: {TOKEN: aHVudGVyMg==}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: app}
automountServiceAccountToken: false
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  containers: [{name: debug, image: busybox, command: [sleep, "3600"]}]
---
apiVersion: v1
kind: PersistentVolume
metadata: {name: data-pv}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce]
  hostPath: {path: /data}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
        - name: mariadb
          image: mariadb:11
          ports: [{name: mysql, containerPort: 3306}]
  volumeClaimTemplates:
    - metadata: {name: data}
      spec:
        accessModes: [ReadWriteOnce]
        resources: {requests: {storage: 1Gi}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector:
    matchExpressions: [{key: app, operator: In, values: [agent]}]
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: agent:1}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: app:1}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: backup, image: app:1}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  ingressClassName: nginx
  rules:
    - host: example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend: {service: {name: web, port: {number: 80}}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress:
    - from: [{podSelector: {matchLabels: {app: web}}}]
      ports: [{port: 3306, protocol: TCP}]
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: ferry
resources: [deployment.yaml, service.yaml]
commonLabels: {app.kubernetes.io/managed-by: ferry}
"#;
        assert_eq!(validate_yaml(yaml), Vec::<String>::new());
    }

    #[test]
    fn unknown_field_at_top_level_fails() {
        let yaml = format!("{PVC}extra: true\n");
        assert_single_problem(&yaml, "extra", "unknown field");
    }

    #[test]
    fn unknown_field_deep_in_container_fails() {
        let yaml = DEPLOYMENT.replace(
            "          image: lscr.io",
            "          foo: bar\n          image: lscr.io",
        );
        assert_single_problem(
            &yaml,
            "spec.template.spec.containers[0].foo",
            "unknown field",
        );
    }

    #[test]
    fn misspelled_field_in_service_port_fails() {
        let yaml = SERVICE.replace("targetPort: 8443", "targetport: 8443");
        assert_single_problem(&yaml, "spec.ports[1].targetport", "unknown field");
    }

    #[test]
    fn wrong_type_replicas_string_fails() {
        let yaml = DEPLOYMENT.replace("replicas: 2", "replicas: \"two\"");
        assert_single_problem(&yaml, "spec.replicas", "invalid type: string \"two\"");
    }

    #[test]
    fn wrong_type_container_port_string_fails() {
        let yaml = DEPLOYMENT.replace("containerPort: 80", "containerPort: \"80\"");
        assert_single_problem(
            &yaml,
            "spec.template.spec.containers[0].ports[0].containerPort",
            "invalid type: string \"80\"",
        );
    }

    #[test]
    fn missing_container_name_fails() {
        let yaml = DEPLOYMENT.replace(
            "        - name: bookstack\n          image",
            "        - image",
        );
        assert_single_problem(
            &yaml,
            "spec.template.spec.containers[0].name",
            "missing required field",
        );
    }

    #[test]
    fn missing_deployment_selector_fails() {
        let yaml = DEPLOYMENT.replace(
            "  selector:\n    matchLabels:\n      app.kubernetes.io/name: bookstack\n",
            "",
        );
        assert_ne!(yaml, DEPLOYMENT);
        assert_single_problem(&yaml, "spec.selector", "missing required field");
    }

    #[test]
    fn deployment_without_spec_fails() {
        let yaml = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n";
        assert_single_problem(yaml, "spec", "missing required field");
    }

    #[test]
    fn bad_service_name_fails() {
        let yaml = SERVICE.replace("name: bookstack\n", "name: bookstack_db\n");
        assert_single_problem(&yaml, "metadata.name", "invalid name \"bookstack_db\"");
    }

    #[test]
    fn container_port_name_longer_than_15_chars_fails() {
        let yaml = DEPLOYMENT.replace("- name: http\n", "- name: http-metrics-port\n");
        assert_single_problem(
            &yaml,
            "spec.template.spec.containers[0].ports[0].name",
            "no more than 15 characters",
        );
    }

    #[test]
    fn selector_not_matching_template_labels_fails() {
        let yaml = DEPLOYMENT.replace(
            "    matchLabels:\n      app.kubernetes.io/name: bookstack",
            "    matchLabels:\n      app.kubernetes.io/name: bookstack-db",
        );
        assert_single_problem(
            &yaml,
            "spec.selector.matchLabels[\"app.kubernetes.io/name\"]",
            "selector does not match template labels",
        );
    }

    #[test]
    fn duplicate_mapping_key_fails() {
        let yaml = format!("{PVC}---\n{SERVICE}  type: NodePort\n");
        let problems = validate_yaml(&yaml);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        // The 9-line PVC, `---`, then the 16-line Service: the duplicate is line 26.
        assert_eq!(
            problems[0],
            "doc 2 (yaml): line 26, column 3: duplicate mapping key `type`"
        );
    }

    #[test]
    fn duplicate_key_in_one_document_does_not_hide_problems_in_others() {
        let bad_service = SERVICE.replace("name: bookstack\n", "name: Bookstack\n");
        let yaml = format!(
            "{PVC}---\n{PVC}  storageClassName: a\n  storageClassName: b\n---\n{bad_service}"
        );
        let problems = validate_yaml(&yaml);
        assert_eq!(problems.len(), 2, "{problems:#?}");
        assert!(
            problems[0].starts_with("doc 2 (yaml): line "),
            "{problems:#?}"
        );
        assert!(problems[0].contains("duplicate mapping key `storageClassName`"));
        assert!(
            problems[1].starts_with("doc 3 Service/Bookstack: metadata.name: invalid name"),
            "{problems:#?}"
        );
    }

    #[test]
    fn unknown_kind_fails() {
        let yaml = "apiVersion: v1\nkind: Frobnicator\nmetadata:\n  name: x\n";
        assert_single_problem(yaml, "kind", "unknown kind `Frobnicator`");
    }

    #[test]
    fn wrong_api_version_for_known_kind_fails() {
        let yaml = DEPLOYMENT.replace("apiVersion: apps/v1", "apiVersion: extensions/v1beta1");
        assert_single_problem(&yaml, "apiVersion", "expected `apps/v1`");
    }

    #[test]
    fn missing_kind_fails() {
        assert_single_problem(
            "apiVersion: v1\nmetadata: {name: x}\n",
            "kind",
            "missing field `kind`",
        );
    }

    #[test]
    fn problem_line_format_names_document_kind_and_name() {
        let bad = SERVICE.replace("name: bookstack\n", "name: bookstack_db\n");
        let yaml = format!("{PVC}---\n{bad}");
        let problems = validate_yaml(&yaml);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].starts_with("doc 2 Service/bookstack_db: metadata.name: invalid name"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn service_with_unnamed_ports_fails() {
        let yaml = SERVICE.replace("    - name: https\n      port: 443", "    - port: 443");
        assert_single_problem(&yaml, "spec.ports[1].name", "more than one port");
    }

    #[test]
    fn service_port_name_must_be_rfc1123_label() {
        let yaml = SERVICE.replace("- name: https", "- name: HTTPS");
        assert_single_problem(&yaml, "spec.ports[1].name", "invalid port name");
    }

    #[test]
    fn invalid_container_name_fails() {
        let yaml = DEPLOYMENT.replace("- name: bookstack\n", "- name: Book_Stack\n");
        assert_single_problem(
            &yaml,
            "spec.template.spec.containers[0].name",
            "invalid container name",
        );
    }

    #[test]
    fn label_value_too_long_fails() {
        let long = "x".repeat(64);
        let yaml = PVC.replace(
            "  name: bookstack-config\n",
            &format!("  name: bookstack-config\n  labels:\n    tier: {long}\n"),
        );
        assert_single_problem(&yaml, "metadata.labels.tier", "no more than 63 characters");
    }

    #[test]
    fn label_value_must_be_a_string() {
        let yaml = PVC.replace(
            "  name: bookstack-config\n",
            "  name: bookstack-config\n  labels:\n    enabled: true\n",
        );
        assert_single_problem(&yaml, "metadata.labels.enabled", "invalid type: boolean");
    }

    #[test]
    fn namespace_name_must_be_label() {
        let yaml = "apiVersion: v1\nkind: Namespace\nmetadata: {name: my.namespace}\n";
        assert_single_problem(yaml, "metadata.name", "RFC 1123 label");
    }

    #[test]
    fn missing_metadata_name_fails() {
        let yaml = PVC.replace("  name: bookstack-config\n", "  labels: {a: b}\n");
        assert_single_problem(&yaml, "metadata.name", "required value");
    }

    #[test]
    fn kustomization_unknown_key_fails() {
        let yaml = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\nbases: [../base]\n";
        assert_single_problem(yaml, "bases", "unknown field");
    }

    #[test]
    fn kustomization_resources_must_be_strings() {
        let yaml = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - a.yaml\n  - {path: b.yaml}\n";
        assert_single_problem(yaml, "resources[1]", "expected a string");
    }

    #[test]
    fn round_trip_diff_reports_dropped_fields() {
        let input: Value = serde_json::json!({
            "spec": {"keep": 1, "gone": {"x": 1}, "nullable": null, "list": [{"a": 1, "b": 2}]}
        });
        let output: Value = serde_json::json!({
            "spec": {"keep": 1, "list": [{"a": 1}]}
        });
        let mut dropped = Vec::new();
        dropped_fields(&input, &output, "", &mut dropped);
        assert_eq!(dropped, vec!["spec.gone", "spec.list[0].b"]);
    }

    #[test]
    fn round_trip_diff_reports_defaulted_required_fields() {
        let input: Value = serde_json::json!({
            "spec": {"keep": 1, "nullable": null, "embedded": [{"spec": {}}]}
        });
        let output: Value = serde_json::json!({
            "apiVersion": "v1",
            "kind": "X",
            "spec": {
                "keep": 1,
                "nullable": 0,
                "required": "",
                "embedded": [{"apiVersion": "v1", "kind": "Y", "metadata": {}, "spec": {"r": false}}],
                "reference": {"kind": ""}
            }
        });
        let mut added = Vec::new();
        added_fields(&input, &output, "", &mut added);
        assert_eq!(
            added,
            vec![
                "spec.nullable",
                "spec.required",
                "spec.embedded[0].spec.r",
                "spec.reference"
            ]
        );
    }

    #[test]
    fn missing_required_fields_in_other_kinds_fail() {
        let service = SERVICE.replace("      port: 443\n", "");
        assert_single_problem(&service, "spec.ports[1].port", "missing required field");
        let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {name: web}\n  maxReplicas: 3\n";
        assert_single_problem(hpa, "spec.scaleTargetRef.kind", "missing required field");
        let job = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: j}\nspec: {}\n";
        assert_single_problem(job, "spec.template", "missing required field");
    }

    #[test]
    fn name_format_helpers() {
        assert!(iana_svc_name("http").is_none());
        assert!(iana_svc_name("web-8080").is_none());
        assert!(iana_svc_name("8080").is_some());
        assert!(iana_svc_name("a--b").is_some());
        assert!(iana_svc_name("-http").is_some());
        assert!(iana_svc_name("sixteen-chars-xx").is_some());
        assert!(rfc1035_label("1web").is_some());
        assert!(rfc1123_label("1web").is_none());
        assert!(rfc1123_subdomain("a.b-c.d").is_none());
        assert!(rfc1123_subdomain("a..b").is_some());
        assert!(qualified_name("app.kubernetes.io/name").is_none());
        assert!(qualified_name("a/b/c").is_some());
        assert!(qualified_name("/b").is_some());
        assert!(label_value("").is_none());
        assert!(label_value("v1.2_3-x").is_none());
        assert!(label_value("-x").is_some());
    }
}
