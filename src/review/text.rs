//! The review summary as text, one line per change, for `ferry diff` and `convert --check`:
//!
//! ```text
//! Deployment/web  image  example/web:1.4 → example/web:1.5
//!                 env    + FEATURE_X=on
//! Service/web     ports  − 9000/TCP
//! ConfigMap/web-nginx-conf  new
//! ```
//!
//! With overlays each line starts with the environments it is seen in (`base, dev`, `prod`).
//! Every value is made safe for a terminal ([`clean`]): control characters and direction
//! overrides are written as escapes, so a value cannot move the cursor or hide text.

use super::compare::{Change, FieldChange, Row, Step, HIDDEN};
use super::Review;
use serde_json::Value as J;

/// The longest value shown; longer ones are cut with `…`.
pub const MAX_VALUE: usize = 80;

/// A piece of a change's description: a word of ferry's, or a value from the objects (which
/// Markdown sets as code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Word(String),
    Value(String),
}

/// `s` with control characters, and characters that change the direction of text, written as
/// escapes (`\n`, `\t`, `\u{1b}`).
pub fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control()
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') =>
            {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// `s` cut to `max` characters, with `…` when cut.
fn cut(s: String, max: usize) -> String {
    if s.chars().count() <= max {
        return s;
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// How many lines a string holds, when it holds more than one.
fn lines(v: &J) -> Option<usize> {
    let s = v.as_str()?;
    let body = s.strip_suffix('\n').unwrap_or(s);
    body.contains('\n').then(|| body.lines().count())
}

/// A value on one line: a scalar as it is, a map or list in flow style (`{cpu: 500m}`),
/// cleaned ([`clean`]) and cut to [`MAX_VALUE`].
pub fn value(v: &J) -> String {
    fn flow(v: &J, out: &mut String) {
        match v {
            J::String(s) => out.push_str(s),
            J::Object(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(k);
                    out.push_str(": ");
                    flow(v, out);
                }
                out.push('}');
            }
            J::Array(a) => {
                out.push('[');
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    flow(v, out);
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    if let Some(n) = lines(v) {
        return format!("({n} lines)");
    }
    match v {
        J::String(s) if s.is_empty() => out.push_str("\"\""),
        _ => flow(v, &mut out),
    }
    cut(clean(&out), MAX_VALUE)
}

/// An item added to or removed from a named list, as a reviewer knows it: a variable as
/// `NAME=value` (or where its value comes from), a container with its image, else its name.
fn item(field: &FieldChange, v: Option<&J>) -> String {
    let name = field.item.clone().unwrap_or_default();
    let list = match field.path.iter().rev().nth(1) {
        Some(Step::Key(k)) => k.as_str(),
        _ => "",
    };
    let Some(v) = v else {
        return cut(clean(&name), MAX_VALUE);
    };
    let text = match list {
        "env" => match (v.get("value"), v.get("valueFrom")) {
            (Some(J::String(s)), _) if s == HIDDEN => format!("{name}={HIDDEN}"),
            (Some(val), _) if lines(val).is_none() => {
                format!(
                    "{name}={}",
                    val.as_str().map_or_else(|| val.to_string(), str::to_string)
                )
            }
            (Some(val), _) => format!("{name}=({} lines)", lines(val).unwrap_or(0)),
            (None, Some(from)) => {
                let source = [("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")]
                    .iter()
                    .find_map(|(k, kind)| {
                        let r = from.get(k)?;
                        Some(format!(
                            "{kind}/{} key {}",
                            r.get("name")?.as_str()?,
                            r.get("key")?.as_str()?
                        ))
                    })
                    .or_else(|| {
                        Some(
                            from.get("fieldRef")?
                                .get("fieldPath")?
                                .as_str()?
                                .to_string(),
                        )
                    })
                    .unwrap_or_else(|| "elsewhere".into());
                format!("{name} from {source}")
            }
            (None, None) => format!("{name}=\"\""),
        },
        "containers" | "initContainers" | "ephemeralContainers" => {
            match v.get("image").and_then(J::as_str) {
                Some(image) => format!("{name} ({image})"),
                None => name,
            }
        }
        _ => name,
    };
    cut(clean(&text), MAX_VALUE)
}

fn word(s: &str) -> Part {
    Part::Word(s.to_string())
}

/// What a field change says, in parts: `old → new`, `+ value`, `− value`, or `changed` for a
/// hidden value.
pub fn describe(f: &FieldChange) -> Vec<Part> {
    if f.hidden {
        return vec![word(match f.change {
            Change::Added => "added",
            Change::Removed => "removed",
            Change::Changed => "changed",
        })];
    }
    if f.item.is_some() {
        let (sign, v) = match f.change {
            Change::Removed => ("−", f.old.as_ref()),
            _ => ("+", f.new.as_ref()),
        };
        return vec![word(sign), Part::Value(item(f, v))];
    }
    match (f.change, &f.old, &f.new) {
        (Change::Changed, Some(o), Some(n)) => match (lines(o), lines(n)) {
            (None, None) => vec![Part::Value(value(o)), word("→"), Part::Value(value(n))],
            (a, b) => vec![word(&format!(
                "changed ({} → {})",
                crate::names::plural(a.unwrap_or(1), "line", "lines"),
                crate::names::plural(b.unwrap_or(1), "line", "lines")
            ))],
        },
        (Change::Added, _, Some(n)) => vec![word("+"), Part::Value(value(n))],
        (Change::Removed, Some(o), _) => vec![word("−"), Part::Value(value(o))],
        _ => vec![word("changed")],
    }
}

/// What a row says of an object with no field: `new`, `removed`, `changed`.
pub fn object_word(change: Change) -> &'static str {
    match change {
        Change::Added => "new",
        Change::Removed => "removed",
        Change::Changed => "changed",
    }
}

/// The environments of a row: `base` for the base.
pub fn environments(row: &Row<'_>) -> String {
    row.environments
        .iter()
        .map(|e| clean(e.unwrap_or("base")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the summary says of environments it could not compare, or that are new or removed
/// whole.
pub fn environment_notes(review: &Review) -> Vec<String> {
    let mut out = Vec::new();
    for env in &review.environments {
        let name = clean(env.label.as_deref().unwrap_or("base"));
        if let Some(why) = &env.not_compared {
            out.push(format!("{name}: not compared: {}", clean(why)));
        }
        if let Some((change, n)) = env.whole {
            let what = if change == Change::Added {
                "new"
            } else {
                "removed"
            };
            out.push(format!(
                "{name}: {what} ({n} {})",
                if n == 1 { "object" } else { "objects" }
            ));
        }
    }
    out
}

/// Colours for the terminal.
const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";

/// Widest object and field columns; longer names push the rest of their line along.
const MAX_OBJECT_COLUMN: usize = 40;
const MAX_FIELD_COLUMN: usize = 30;

/// The summary as text, ending with a line break; empty when nothing changes. `color`: ANSI
/// colours (object names bold, additions green, removals red).
pub fn summary(review: &Review, color: bool) -> String {
    let rows = review.rows();
    let overlays = review.has_overlays();
    let envs: Vec<String> = rows.iter().map(environments).collect();
    let width = |it: &mut dyn Iterator<Item = usize>, max: usize| it.max().unwrap_or(0).min(max);
    let env_w = width(&mut envs.iter().map(|e| e.chars().count()), 30);
    let objects: Vec<String> = rows.iter().map(|r| clean(&r.object.to_string())).collect();
    let obj_w = width(
        &mut objects.iter().map(|o| o.chars().count()),
        MAX_OBJECT_COLUMN,
    );
    let fields: Vec<String> = rows
        .iter()
        .map(|r| r.field.map(|f| clean(&f.field)).unwrap_or_default())
        .collect();
    let field_w = width(
        &mut fields.iter().map(|f| f.chars().count()),
        MAX_FIELD_COLUMN,
    );
    let paint = |text: &str, code: &str| {
        if color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_string()
        }
    };
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        if overlays {
            line.push_str(&pad(&envs[i], env_w));
            line.push_str("  ");
        }
        let same_as_before = i > 0 && rows[i - 1].object == row.object && envs[i - 1] == envs[i];
        let object = if same_as_before {
            String::new()
        } else {
            objects[i].clone()
        };
        let padded = pad(&object, obj_w);
        line.push_str(&if object.is_empty() {
            padded
        } else {
            paint(&padded, BOLD)
        });
        line.push_str("  ");
        match row.field {
            None => {
                let w = object_word(row.change);
                line.push_str(&match row.change {
                    Change::Added => paint(w, GREEN),
                    Change::Removed => paint(w, RED),
                    Change::Changed => w.to_string(),
                });
            }
            Some(f) => {
                line.push_str(&pad(&fields[i], field_w));
                line.push_str("  ");
                let parts: Vec<String> = describe(f)
                    .into_iter()
                    .map(|p| match p {
                        Part::Word(w) if w == "+" => paint(&w, GREEN),
                        Part::Word(w) if w == "−" => paint(&w, RED),
                        Part::Word(w) | Part::Value(w) => w,
                    })
                    .collect();
                line.push_str(&parts.join(" "));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for note in environment_notes(review) {
        out.push_str(&note);
        out.push('\n');
    }
    out
}

fn pad(s: &str, width: usize) -> String {
    let n = s.chars().count();
    if n >= width {
        s.to_string()
    } else {
        format!("{s}{}", " ".repeat(width - n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_cleaned_and_cut() {
        assert_eq!(value(&json!("a\u{1b}[31mb")), "a\\u{1b}[31mb");
        assert_eq!(value(&json!("x\u{202e}y")), "x\\u{202e}y");
        assert_eq!(value(&json!("one\ntwo\nthree\n")), "(3 lines)");
        assert_eq!(value(&json!({"cpu": "500m", "n": 2})), "{cpu: 500m, n: 2}");
        assert_eq!(value(&json!("")), "\"\"");
        let long = "x".repeat(200);
        let v = value(&json!(long));
        assert_eq!(v.chars().count(), MAX_VALUE);
        assert!(v.ends_with('…'));
    }
}
