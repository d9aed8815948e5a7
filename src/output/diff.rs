//! Show a [`Plan`]: a unified diff (optionally coloured), a JSON summary, per-file line counts.
//! Secret material is redacted everywhere (see [`super::redact`]).

use super::redact::secret_lines;
use super::{Entry, Plan, Status};
use crate::names::plural;
use crate::review::compare::path_text;
use crate::review::{Change, Review};
use serde::Serialize;
use similar::udiff::UnifiedHunkHeader;
use similar::{ChangeTag, TextDiff};
use std::ffi::OsStr;
use std::fmt::Write as _;

/// Lines of context around each change, as `diff -u`.
pub const CONTEXT: usize = 3;

/// When to colour a diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    /// When the output is a terminal and `NO_COLOR` is unset or empty.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Decide: `always` and `never` win; `auto` colours a terminal unless `NO_COLOR` is set to a
    /// non-empty value (<https://no-color.org>).
    pub fn enabled(self, is_terminal: bool, no_color: Option<&OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";

/// Lines added and removed in one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineCounts {
    pub added: usize,
    pub removed: usize,
}

/// One file's unified diff (empty when unchanged) and its line counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub text: String,
    pub counts: LineCounts,
}

fn lines(bytes: Option<&[u8]>) -> String {
    bytes
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// A line as printed in the diff: without its line break, and with a marker when it had none.
fn push_line(out: &mut String, color: Option<&str>, sign: char, line: &str) {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let body = body.strip_suffix('\r').unwrap_or(body);
    match color {
        Some(c) => {
            let _ = writeln!(out, "{c}{sign}{body}{RESET}");
        }
        None => {
            let _ = writeln!(out, "{sign}{body}");
        }
    }
    if !line.ends_with('\n') {
        out.push_str("\\ No newline at end of file\n");
    }
}

/// The unified diff of one entry, with `a/<path>` and `b/<path>` headers (`/dev/null` for the
/// side that does not exist), Secret lines redacted.
pub fn file_diff(entry: &Entry, color: bool) -> FileDiff {
    let old_text = lines(entry.old.as_deref());
    let new_text = lines(entry.new.as_deref());
    let old: Vec<&str> = old_text.split_inclusive('\n').collect();
    let new: Vec<&str> = new_text.split_inclusive('\n').collect();
    let diff = TextDiff::from_slices(&old, &new);
    // A secret file is hidden whole; in YAML, the data of Secret objects.
    let (old_hidden, new_hidden) = if entry.sensitive {
        (vec![true; old.len()], vec![true; new.len()])
    } else {
        (secret_lines(&old), secret_lines(&new))
    };
    let mut counts = LineCounts::default();
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => counts.added += 1,
            ChangeTag::Delete => counts.removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let mut text = String::new();
    let groups = diff.grouped_ops(CONTEXT);
    if groups.is_empty() && entry.status == Status::Unchanged {
        return FileDiff { text, counts };
    }
    let paint = |c: &'static str| color.then_some(c);
    let a = match entry.status {
        Status::Added => "/dev/null".to_string(),
        _ => format!("a/{}", entry.path),
    };
    let b = match entry.status {
        Status::Removed => "/dev/null".to_string(),
        _ => format!("b/{}", entry.path),
    };
    let (bold, reset) = if color { (BOLD, RESET) } else { ("", "") };
    let _ = writeln!(text, "{bold}--- {a}{reset}");
    let _ = writeln!(text, "{bold}+++ {b}{reset}");
    for group in &groups {
        let header = UnifiedHunkHeader::new(group);
        match paint(CYAN) {
            Some(c) => {
                let _ = writeln!(text, "{c}{header}{RESET}");
            }
            None => {
                let _ = writeln!(text, "{header}");
            }
        }
        // Hidden lines in a row become one `<redacted: …>` line.
        let mut run_changed = 0usize;
        let mut run_len = 0usize;
        let flush = |text: &mut String, run_changed: &mut usize, run_len: &mut usize| {
            if *run_len == 0 {
                return;
            }
            let what = if *run_changed > 0 {
                format!(
                    "<redacted: {} changed>",
                    plural(*run_changed, "line", "lines")
                )
            } else {
                format!(
                    "<redacted: {} unchanged>",
                    plural(*run_len, "line", "lines")
                )
            };
            push_line(text, paint(YELLOW), ' ', &format!("{what}\n"));
            *run_changed = 0;
            *run_len = 0;
        };
        for op in group {
            for change in diff.iter_changes(op) {
                let hidden = change.old_index().is_some_and(|i| old_hidden[i])
                    || change.new_index().is_some_and(|i| new_hidden[i]);
                if hidden {
                    run_len += 1;
                    if change.tag() != ChangeTag::Equal {
                        run_changed += 1;
                    }
                    continue;
                }
                flush(&mut text, &mut run_changed, &mut run_len);
                let (sign, c) = match change.tag() {
                    ChangeTag::Delete => ('-', paint(RED)),
                    ChangeTag::Insert => ('+', paint(GREEN)),
                    ChangeTag::Equal => (' ', None),
                };
                push_line(&mut text, c, sign, change.value());
            }
        }
        flush(&mut text, &mut run_changed, &mut run_len);
    }
    FileDiff { text, counts }
}

/// The whole plan as one unified diff, files in path order. Empty when up to date.
pub fn unified(plan: &Plan, color: bool) -> String {
    plan.changes().map(|e| file_diff(e, color).text).collect()
}

/// One file in the JSON report.
#[derive(Debug, Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    lines_added: usize,
    lines_removed: usize,
}

/// The JSON report; field order is the output's key order.
#[derive(Debug, Serialize)]
struct JsonReport<'a> {
    output: String,
    up_to_date: bool,
    added: Vec<JsonFile<'a>>,
    changed: Vec<JsonFile<'a>>,
    removed: Vec<JsonFile<'a>>,
    unchanged: usize,
    not_generated: Vec<&'a str>,
    /// The review summary: each object that changes, per environment.
    objects: Vec<JsonObject<'a>>,
    /// Environments the summary could not compare, or that are new or removed whole.
    environments: Vec<JsonEnvironment<'a>>,
}

/// One object of the review summary.
#[derive(Debug, Serialize)]
struct JsonObject<'a> {
    /// `null` for the base, else the overlay.
    environment: Option<&'a str>,
    /// `Kind/name`, or the path of a file that holds no object.
    object: String,
    /// `null` for a file that holds no object.
    kind: Option<&'a str>,
    name: &'a str,
    change: Change,
    fields: Vec<JsonField<'a>>,
}

/// One field of an object of the review summary.
#[derive(Debug, Serialize)]
struct JsonField<'a> {
    path: String,
    field: &'a str,
    change: Change,
    #[serde(skip_serializing_if = "Option::is_none")]
    item: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    old: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new: Option<&'a serde_json::Value>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    hidden: bool,
}

/// An environment the summary says something of as a whole.
#[derive(Debug, Serialize)]
struct JsonEnvironment<'a> {
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_compared: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<Change>,
    #[serde(skip_serializing_if = "Option::is_none")]
    objects: Option<usize>,
}

fn json_objects(review: &Review) -> (Vec<JsonObject<'_>>, Vec<JsonEnvironment<'_>>) {
    let mut objects = Vec::new();
    let mut environments = Vec::new();
    for env in &review.environments {
        let label = env.label.as_deref();
        for o in &env.objects {
            objects.push(JsonObject {
                environment: label,
                object: o.id.to_string(),
                kind: (!o.id.is_file()).then_some(o.id.kind.as_str()),
                name: &o.id.name,
                change: o.change,
                fields: o
                    .fields
                    .iter()
                    .map(|f| JsonField {
                        path: path_text(&f.path),
                        field: &f.field,
                        change: f.change,
                        item: f.item.as_deref(),
                        old: f.old.as_ref(),
                        new: f.new.as_ref(),
                        hidden: f.hidden,
                    })
                    .collect(),
            });
        }
        if env.not_compared.is_some() || env.whole.is_some() {
            environments.push(JsonEnvironment {
                name: label,
                not_compared: env.not_compared.as_deref(),
                change: env.whole.map(|(c, _)| c),
                objects: env.whole.map(|(_, n)| n),
            });
        }
    }
    (objects, environments)
}

/// The plan and its review summary as JSON for bots (see the README for the shape),
/// pretty-printed, ending in a newline.
pub fn json(plan: &Plan, review: &Review) -> String {
    let (objects, environments) = json_objects(review);
    let mut report = JsonReport {
        output: plan.dir.display().to_string(),
        up_to_date: plan.is_up_to_date(),
        added: Vec::new(),
        changed: Vec::new(),
        removed: Vec::new(),
        unchanged: plan.count(Status::Unchanged),
        not_generated: plan.conflicts().map(|e| e.path.as_str()).collect(),
        objects,
        environments,
    };
    for entry in plan.changes() {
        let counts = file_diff(entry, false).counts;
        let file = JsonFile {
            path: &entry.path,
            lines_added: counts.added,
            lines_removed: counts.removed,
        };
        match entry.status {
            Status::Added => report.added.push(file),
            Status::Changed => report.changed.push(file),
            Status::Removed => report.removed.push(file),
            Status::Unchanged => {}
        }
    }
    let mut out = serde_json::to_string_pretty(&report).expect("the report serialises");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::OnDisk;

    fn entry(status: Status, old: Option<&str>, new: Option<&str>) -> Entry {
        Entry {
            path: "x.yaml".into(),
            status,
            on_disk: if old.is_some() {
                OnDisk::Generated
            } else {
                OnDisk::Missing
            },
            old: old.map(|s| s.as_bytes().to_vec()),
            new: new.map(|s| s.as_bytes().to_vec()),
            sensitive: false,
        }
    }

    #[test]
    fn changed_file_has_a_and_b_headers_and_counts() {
        let e = entry(Status::Changed, Some("a\nb\nc\n"), Some("a\nB\nc\nd\n"));
        let d = file_diff(&e, false);
        assert_eq!(
            d.text,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"
        );
        assert_eq!(
            d.counts,
            LineCounts {
                added: 2,
                removed: 1
            }
        );
    }

    #[test]
    fn added_and_removed_files_use_dev_null() {
        let d = file_diff(&entry(Status::Added, None, Some("a\n")), false);
        assert_eq!(d.text, "--- /dev/null\n+++ b/x.yaml\n@@ -0,0 +1 @@\n+a\n");
        let d = file_diff(&entry(Status::Removed, Some("a\n"), None), false);
        assert_eq!(d.text, "--- a/x.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n");
    }

    #[test]
    fn missing_newline_is_marked() {
        let e = entry(Status::Changed, Some("a"), Some("a\n"));
        assert_eq!(
            file_diff(&e, false).text,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n"
        );
    }

    #[test]
    fn secret_values_are_redacted_but_counted() {
        let old =
            "kind: Secret\nmetadata:\n  name: db\ndata:\n  password: b2xk\n  user: dXNlcg==\n";
        let new =
            "kind: Secret\nmetadata:\n  name: db\ndata:\n  password: bmV3\n  user: dXNlcg==\n";
        let d = file_diff(&entry(Status::Changed, Some(old), Some(new)), false);
        assert_eq!(
            d.text,
            "--- a/x.yaml\n+++ b/x.yaml\n@@ -2,5 +2,5 @@\n metadata:\n   name: db\n data:\n <redacted: 2 lines changed>\n"
        );
        assert!(!d.text.contains("b2xk") && !d.text.contains("bmV3"));
        assert_eq!(
            d.counts,
            LineCounts {
                added: 1,
                removed: 1
            }
        );
    }

    #[test]
    fn secret_file_is_hidden_whole() {
        let mut e = entry(Status::Changed, Some("hunter2\n"), Some("swordfish\n"));
        e.sensitive = true;
        let d = file_diff(&e, false);
        assert!(
            !d.text.contains("hunter2") && !d.text.contains("swordfish"),
            "{}",
            d.text
        );
        assert!(d.text.contains("<redacted"), "{}", d.text);
    }

    #[test]
    fn colour_codes_only_when_asked() {
        let e = entry(Status::Changed, Some("a\n"), Some("b\n"));
        assert!(!file_diff(&e, false).text.contains('\x1b'));
        let c = file_diff(&e, true).text;
        assert!(
            c.contains("\x1b[31m-a\x1b[0m") && c.contains("\x1b[32m+b\x1b[0m"),
            "{c:?}"
        );
    }

    #[test]
    fn color_choice() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(ColorChoice::Auto.enabled(true, None));
        assert!(ColorChoice::Auto.enabled(true, empty));
        assert!(!ColorChoice::Auto.enabled(true, set));
        assert!(!ColorChoice::Auto.enabled(false, None));
        assert!(ColorChoice::Always.enabled(false, set));
        assert!(!ColorChoice::Never.enabled(true, None));
    }
}
