//! Models (`models:`): under docker compose, Docker Model Runner pulls and serves each model,
//! and compose sets two variables in the containers of every service that uses one (the
//! runner's endpoint and the model's name). Nothing in a cluster does that, so nothing is
//! converted; the report names each model and each service that uses one, with the variables
//! compose would set, so that the user can serve the model and provide them.

use crate::compose::{ModelDef, ModelUse, Project};
use crate::error::Report;

/// Report every model, and every use of one by a service.
pub fn report(project: &Project, report: &mut Report) {
    let models = &project.top.models;
    for def in models.values() {
        let users: Vec<String> = project
            .services
            .values()
            .filter(|s| s.models.iter().any(|u| u.name == def.name))
            .map(|s| format!("`{}`", s.name))
            .collect();
        report.not_converted(
            Some(&def.loc),
            format!("models.{}", def.name),
            model_message(def, &users),
        );
    }
    for svc in project.services.values() {
        for u in &svc.models {
            report.not_converted(
                Some(&u.loc),
                format!("services.{}.models.{}", svc.name, u.name),
                use_message(u, models.get(&u.name)),
            );
        }
    }
}

fn model_message(def: &ModelDef, users: &[String]) -> String {
    let mut settings = Vec::new();
    if let Some(size) = def.context_size {
        settings.push(format!("context size {size}"));
    }
    if !def.runtime_flags.is_empty() {
        settings.push(format!("runtime flags `{}`", def.runtime_flags.join(" ")));
    }
    let settings = match settings.is_empty() {
        true => String::new(),
        false => format!(" ({})", settings.join(", ")),
    };
    let used = match users {
        [] => "used by no service".to_string(),
        _ => format!("used by {}", users.join(", ")),
    };
    format!(
        "docker compose has Docker Model Runner pull and serve the model `{}`{settings}, which a cluster does not have: serve it with a model server the pods can reach (Docker Model Runner's API is OpenAI-compatible); {used}",
        def.model
    )
}

fn use_message(u: &ModelUse, def: Option<&ModelDef>) -> String {
    let model = def.map_or("the model's name".to_string(), |d| format!("`{}`", d.model));
    format!(
        "docker compose sets `{}` to the model runner's endpoint and `{}` to {model} in this service's containers; ferry sets neither: add both to the service's environment, `{}` pointing at your model server",
        u.endpoint_var(),
        u.model_var(),
        u.endpoint_var(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    fn model_use(name: &str, endpoint: Option<&str>, model: Option<&str>) -> ModelUse {
        ModelUse {
            name: name.into(),
            endpoint_var: endpoint.map(Into::into),
            model_var: model.map(Into::into),
            loc: Location::file("compose.yaml".into()),
        }
    }

    /// The variables are named as docker compose names them (its `SetModelVariables`): the
    /// model's key in upper case with `-` as `_`, then `_URL` and `_MODEL`; `endpoint_var` and
    /// `model_var` replace them.
    #[test]
    fn variables_are_named_as_compose_names_them() {
        let u = model_use("embedding-model", None, None);
        assert_eq!(u.endpoint_var(), "EMBEDDING_MODEL_URL");
        assert_eq!(u.model_var(), "EMBEDDING_MODEL_MODEL");
        let u = model_use("llama3.2", None, None);
        assert_eq!(u.endpoint_var(), "LLAMA3.2_URL");
        let u = model_use("llm", Some("AI_URL"), None);
        assert_eq!(
            (u.endpoint_var(), u.model_var()),
            ("AI_URL".into(), "LLM_MODEL".into())
        );
        let u = model_use("llm", None, Some("AI_NAME"));
        assert_eq!(
            (u.endpoint_var(), u.model_var()),
            ("LLM_URL".into(), "AI_NAME".into())
        );
    }
}
