//! An environment's `overlays/<name>/kustomization.yaml`, rendered through the `overlay.yaml`
//! template. What it holds (resources, patches, generators) is the difference of two
//! conversions, made by [`crate::environments::overlay`].

use super::templates;
use crate::error::Result;
use serde_json::{Map, Value as J};

/// The overlay's kustomization file: `kustomization` holds its fields in order (`resources`
/// first, with `../../base`). `set` is the template set the conversion renders with.
pub fn kustomization(
    set: &templates::TemplateSet,
    header: &str,
    overlay: &str,
    project: &str,
    kustomization: &Map<String, J>,
) -> Result<String> {
    let tname = set.builtin("overlay.yaml");
    let tmpl = set
        .env
        .get_template(tname)
        .map_err(|e| templates::render_error(tname, &e))?;
    let text = tmpl
        .render(minijinja::context! {
            header => header,
            overlay => overlay,
            kustomization => minijinja::Value::from(minijinja::value::Serde(kustomization)),
            project => minijinja::context! { name => project },
        })
        .map_err(|e| templates::render_error(tname, &e))?;
    super::check_rendered(tname, &text, false)?;
    Ok(text)
}
