//! A service's `x-ferry: {overlays: {<environment>: {…}}}` settings: changes to the project for
//! one environment, made to the compose model before it is translated, as an override file's
//! keys would be. The overlay is then the difference of the two conversions, like every other
//! change an environment makes ([`super::overlay`]).

use crate::compose::{units, EnvVar, Located, Project, ResourceSet, Service};
use crate::error::{Error, Location, Result};
use crate::yaml::Node;

/// The settings an environment may change for a service.
pub const KEYS: &[&str] = &["replicas", "image", "resources", "env", "ingress"];

fn overlays(svc: &Service) -> Option<&Node> {
    svc.extensions
        .get("x-ferry")
        .and_then(|x| x.get("overlays"))
}

/// Where each service's settings name an environment: (service, environment, place), in
/// compose order.
pub fn named(project: &Project) -> Result<Vec<(String, String, Location)>> {
    let mut out = Vec::new();
    for svc in project.services.values() {
        let Some(node) = overlays(svc) else { continue };
        let Some(map) = node.as_map() else {
            return Err(Error::invalid(
                &node.loc,
                format!(
                    "services.{}.x-ferry.overlays: expected a mapping of environment names to settings",
                    svc.name
                ),
            ));
        };
        for (name, e) in map {
            out.push((svc.name.clone(), name.clone(), e.key_loc.clone()));
        }
    }
    Ok(out)
}

/// Make environment `name`'s settings in `project`. Every problem is an error at its place.
pub fn apply(project: &mut Project, name: &str) -> Result<()> {
    let mut errors = Vec::new();
    for svc in project.services.values_mut() {
        let Some(node) = overlays(svc).and_then(|o| o.get(name)).cloned() else {
            continue;
        };
        let path = format!("services.{}.x-ferry.overlays.{name}", svc.name);
        if let Err(e) = apply_service(svc, &path, &node) {
            errors.push(e);
        }
    }
    match Error::from_many(errors) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn text(n: &Node) -> Option<String> {
    n.as_scalar()
        .filter(|_| !n.is_null())
        .map(|s| s.text.clone())
}

fn apply_service(svc: &mut Service, path: &str, node: &Node) -> Result<()> {
    let Some(settings) = node.as_map() else {
        return Err(Error::invalid(
            &node.loc,
            format!(
                "{path}: expected a mapping of settings ({})",
                KEYS.join(", ")
            ),
        ));
    };
    for (key, e) in settings {
        let v = &e.value;
        let kp = format!("{path}.{key}");
        match key.as_str() {
            "replicas" => {
                let n = text(v).and_then(|t| t.parse::<u32>().ok()).ok_or_else(|| {
                    Error::invalid(&v.loc, format!("{kp}: expected a whole number"))
                })?;
                // `scale` and `deploy.replicas` agree, as the loader makes them.
                svc.replicas = Some(Located::new(n, v.loc.clone()));
                if svc.scale.is_some() {
                    svc.scale = Some(Located::new(n, v.loc.clone()));
                }
            }
            "image" => {
                let img = text(v).ok_or_else(|| {
                    Error::invalid(&v.loc, format!("{kp}: expected an image reference"))
                })?;
                svc.image = Some(Located::new(img, v.loc.clone()));
            }
            "resources" => resources(svc, &kp, v)?,
            "env" => env(svc, &kp, v)?,
            "ingress" => ingress_host(svc, &kp, v)?,
            other => {
                let hint = crate::compose::parse::did_you_mean(other, KEYS)
                    .map(|s| format!("; did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(Error::invalid(
                    &e.key_loc,
                    format!(
                        "{path}: unknown overlay setting `{other}`{hint} (expected {})",
                        KEYS.join(", ")
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `resources: {limits: {cpus, memory}, reservations: {cpus, memory}}`, compose's
/// `deploy.resources` shape: each value given replaces the service's.
fn resources(svc: &mut Service, path: &str, v: &Node) -> Result<()> {
    let Some(rm) = v.as_map() else {
        return Err(Error::invalid(
            &v.loc,
            format!("{path}: expected limits and/or reservations"),
        ));
    };
    for (rk, re) in rm {
        let set = match rk.as_str() {
            "limits" => &mut svc.resources.limits,
            "reservations" => &mut svc.resources.reservations,
            other => {
                return Err(Error::invalid(
                    &re.key_loc,
                    format!("{path}: unknown key `{other}` (expected limits or reservations)"),
                ))
            }
        };
        resource_set(set, &re.value, &format!("{path}.{rk}"))?;
    }
    Ok(())
}

fn resource_set(set: &mut ResourceSet, n: &Node, path: &str) -> Result<()> {
    let Some(m) = n.as_map() else {
        return Err(Error::invalid(
            &n.loc,
            format!("{path}: expected a mapping with cpus and memory"),
        ));
    };
    for (k, e) in m {
        let loc = &e.value.loc;
        let v = text(&e.value)
            .ok_or_else(|| Error::invalid(loc, format!("{path}.{k}: expected a value")))?;
        match k.as_str() {
            "cpus" => {
                set.cpus = units::cpus_quantity(&v)
                    .map_err(|m| Error::invalid(loc, format!("{path}.cpus: {m}")))?
                    .map(|q| Located::new(q, loc.clone()));
            }
            "memory" => {
                let b = units::parse_bytes(&v)
                    .map_err(|m| Error::invalid(loc, format!("{path}.memory: {m}")))?;
                set.memory = Some(Located::new(units::bytes_quantity(b), loc.clone()));
            }
            other => {
                return Err(Error::invalid(
                    &e.key_loc,
                    format!("{path}: unknown key `{other}` (expected cpus or memory)"),
                ));
            }
        }
    }
    Ok(())
}

/// `env: {NAME: value}`: a variable the service has gets the value in its place; a new one is
/// added after the others, as an override file's `environment` does.
fn env(svc: &mut Service, path: &str, v: &Node) -> Result<()> {
    let Some(em) = v.as_map() else {
        return Err(Error::invalid(
            &v.loc,
            format!("{path}: expected a mapping of variables"),
        ));
    };
    for (name, ev) in em {
        let var = EnvVar {
            name: name.clone(),
            value: Some(text(&ev.value).unwrap_or_default()),
            loc: ev.value.loc.clone(),
            sources: Vec::new(),
        };
        match svc.environment.iter_mut().find(|e| &e.name == name) {
            Some(e) => *e = var,
            None => svc.environment.push(var),
        }
    }
    Ok(())
}

/// `ingress: {host}`: the host of the service's first Ingress rule, from `x-ferry: {ingress}`
/// or the `kompose.service.expose` label.
fn ingress_host(svc: &mut Service, path: &str, v: &Node) -> Result<()> {
    let host = v
        .get("host")
        .and_then(text)
        .ok_or_else(|| Error::invalid(&v.loc, format!("{path}: expected `host`")))?;
    if let Some(first) = svc.ferry.ingress.first_mut() {
        first.host = Some(host);
        return Ok(());
    }
    let label = svc
        .labels
        .iter_mut()
        .find(|kv| kv.key == "kompose.service.expose")
        .filter(|kv| !kv.value.trim().eq_ignore_ascii_case("false"));
    let Some(label) = label else {
        return Err(Error::invalid(
            &v.loc,
            format!(
                "{path}: the service has no Ingress to change (give it `x-ferry: {{ingress}}`)"
            ),
        ));
    };
    // `host[/path],…`: the first entry's host is replaced, its path kept.
    let mut entries: Vec<String> = label.value.split(',').map(str::to_string).collect();
    let first = entries[0].trim();
    let rest = first.find('/').map(|i| &first[i..]).unwrap_or("");
    entries[0] = format!("{host}{rest}");
    label.value = entries.join(",");
    Ok(())
}
