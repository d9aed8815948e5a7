//! Property tests over generated compose projects: conversion is deterministic, every output is
//! valid Kubernetes (names included), and `ferry config` output loads back to itself.

use crate::support::k8s_schema::validate_yaml;
use ferry::compose::LoadOptions;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// Values that YAML and Kubernetes like to misread.
fn tricky_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("yes".to_string()),
        Just("no".to_string()),
        Just("on".to_string()),
        Just("0123".to_string()),
        Just("1.0".to_string()),
        Just("12:30".to_string()),
        Just("~".to_string()),
        Just("".to_string()),
        Just("$(HOME) and $$".to_string()),
        Just("a: b # c".to_string()),
        Just("line one\nline two\n".to_string()),
        "[ -~]{0,20}",
    ]
}

#[derive(Debug, Clone)]
struct Svc {
    name: String,
    ports: Vec<(Option<u16>, u16, bool)>,
    env: Vec<(String, String)>,
    volumes: Vec<u8>,
    replicas: Option<u8>,
    restart: u8,
}

fn service() -> impl Strategy<Value = Svc> {
    (
        "[a-zA-Z0-9][a-zA-Z0-9._-]{0,70}",
        prop::collection::vec(
            (prop::option::of(1u16..65535), 1u16..65535, any::<bool>()),
            0..4,
        ),
        prop::collection::vec(("[A-Z_][A-Z0-9_]{0,8}", tricky_value()), 0..5),
        prop::collection::vec(0u8..4, 0..3),
        prop::option::of(0u8..5),
        0u8..4,
    )
        .prop_map(|(name, ports, env, volumes, replicas, restart)| Svc {
            name,
            ports,
            env,
            volumes,
            replicas,
            restart,
        })
}

fn compose(services: &[Svc]) -> Value {
    let mut svcs = Map::new();
    for s in services {
        let mut m = Map::new();
        m.insert("image".into(), json!("example/app:1"));
        if !s.ports.is_empty() {
            let ports: Vec<Value> = s
                .ports
                .iter()
                .map(|(p, t, udp)| {
                    let proto = if *udp { "/udp" } else { "" };
                    match p {
                        Some(p) => json!(format!("{p}:{t}{proto}")),
                        None => json!(format!("{t}{proto}")),
                    }
                })
                .collect();
            m.insert("ports".into(), Value::Array(ports));
        }
        if !s.env.is_empty() {
            let env: Map<String, Value> = s
                .env
                .iter()
                .map(|(k, v)| (k.clone(), json!(v.replace('$', "$$"))))
                .collect();
            m.insert("environment".into(), Value::Object(env));
        }
        let vols: Vec<Value> = s
            .volumes
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                0 => json!(format!("shared:/data{i}")),
                1 => json!(format!("/anon{i}")),
                2 => json!({"type": "tmpfs", "target": format!("/tmp{i}")}),
                _ => json!(format!("other_vol:/other{i}")),
            })
            .collect();
        if !vols.is_empty() {
            m.insert("volumes".into(), Value::Array(vols));
        }
        if let Some(r) = s.replicas {
            m.insert("deploy".into(), json!({ "replicas": r }));
        }
        match s.restart {
            1 => {
                m.insert("restart".into(), json!("no"));
            }
            2 => {
                m.insert("restart".into(), json!("on-failure:2"));
            }
            3 => {
                m.insert("restart".into(), json!("always"));
            }
            _ => {}
        }
        svcs.insert(s.name.clone(), Value::Object(m));
    }
    json!({ "services": svcs, "volumes": { "shared": null, "other_vol": null } })
}

fn convert(dir: &std::path::Path) -> Result<ferry::Conversion, ferry::Error> {
    let opts = LoadOptions {
        working_dir: dir.to_path_buf(),
        project_name: Some("prop".into()),
        ..LoadOptions::default()
    };
    ferry::convert(&opts, &Default::default(), &Default::default())
}

fn unique_names(services: &[Svc]) -> bool {
    let mut seen = std::collections::BTreeSet::new();
    services
        .iter()
        .all(|s| seen.insert(ferry::names::dns_label(&s.name)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn conversion_is_deterministic_valid_and_config_round_trips(
        services in prop::collection::vec(service(), 1..5).prop_filter("names unique in Kubernetes", |s| unique_names(s))
    ) {
        let dir = tempfile::tempdir().unwrap();
        let text = ferry::yaml::emit::to_document(&compose(&services));
        std::fs::write(dir.path().join("compose.yaml"), &text).unwrap();
        let first = convert(dir.path()).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let second = convert(dir.path()).unwrap();
        prop_assert_eq!(&first.tree, &second.tree);
        let problems = validate_yaml(&first.tree.to_stream());
        prop_assert!(problems.is_empty(), "{}\n{}", problems.join("\n"), text);

        let opts = LoadOptions { working_dir: dir.path().to_path_buf(), ..LoadOptions::default() };
        let (loaded, project, _) = ferry::compose::load_all(&opts).unwrap();
        let printed = ferry::yaml::emit::to_document(&ferry::compose::config::canonical(&loaded, &project));
        std::fs::write(dir.path().join("compose.yaml"), &printed).unwrap();
        let (loaded2, project2, _) = ferry::compose::load_all(&opts).unwrap();
        let again = ferry::yaml::emit::to_document(&ferry::compose::config::canonical(&loaded2, &project2));
        prop_assert_eq!(printed, again);
    }

    #[test]
    fn names_are_always_valid_labels(name in "\\PC{0,80}") {
        let n = ferry::names::dns_label(&name);
        prop_assert!(!n.is_empty() && n.len() <= 63, "{n}");
        prop_assert!(n.starts_with(|c: char| c.is_ascii_lowercase()), "{n}");
        prop_assert!(!n.ends_with('-'), "{n}");
        prop_assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'), "{n}");
    }
}
