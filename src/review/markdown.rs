//! The review as Markdown (`--format markdown`), for a pull-request comment or a CI job
//! summary: a header line with counts, the summary as a table, and one collapsible
//! `<details>` section per changed file holding its diff in a `diff` code block.
//!
//! Safe to paste, whatever the files hold:
//! - every value, name and path from the objects or the directory is Markdown code (a code
//!   span in the table, a fenced block for a diff) or, in the `<summary>` line, HTML-escaped
//!   text: nothing a compose file holds becomes HTML, a link, a mention or Markdown structure;
//! - a code span's backtick run and a diff's fence are longer than any run of backticks inside,
//!   so no value can close them; table pipes are escaped; control characters are escapes;
//! - Secret material is hidden as in the text diff and summary (see `compare` and
//!   `output::redact`).
//!
//! It stays readable when the change is large: the table shows [`MAX_ROWS`] rows, each file at
//! most [`MAX_FILE_LINES`] lines of diff, the diffs together about [`MAX_DIFF_BYTES`], and at
//! most [`MAX_FILES`] files get a section; each cut says what was left out.

use super::text::{clean, describe, environment_notes, environments, object_word, Part};
use super::Review;
use crate::names::plural;
use crate::output::diff::file_diff;
use crate::output::{Entry, OnDisk, Plan, Status};
use std::fmt::Write as _;

/// Rows of the summary table.
pub const MAX_ROWS: usize = 100;
/// Lines of one file's diff.
pub const MAX_FILE_LINES: usize = 200;
/// Bytes of all diffs together (a GitHub comment holds 65,536 characters).
pub const MAX_DIFF_BYTES: usize = 40_000;
/// Files with a section of their own.
pub const MAX_FILES: usize = 100;

/// `s` as a Markdown code span that shows exactly `s` (cleaned of control characters): a
/// backtick run longer than any inside, and spaces when it starts or ends with a backtick.
pub fn code(s: &str) -> String {
    code_span(s, false)
}

/// [`code`] for a table cell: `|` escaped too (a cell ends at a bare one, even inside code).
pub fn cell(s: &str) -> String {
    code_span(s, true)
}

fn code_span(s: &str, in_table: bool) -> String {
    let s = clean(s);
    if s.is_empty() {
        return String::new();
    }
    let ticks = "`".repeat(longest_run(&s, '`') + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') || (s.starts_with(' ') && s.ends_with(' '))
    {
        " "
    } else {
        ""
    };
    let s = if in_table { s.replace('|', "\\|") } else { s };
    format!("{ticks}{pad}{s}{pad}{ticks}")
}

/// `s` as plain Markdown text: every ASCII punctuation character backslash-escaped, so that
/// none starts a link, emphasis, HTML or a table cell.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        if c.is_ascii_punctuation() {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as HTML text (inside our own `<summary>` line).
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for x in s.chars() {
        if x == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// The whole review as Markdown, ending with a line break.
pub fn markdown(plan: &Plan, review: &Review) -> String {
    let mut out = String::new();
    let dir = code(&plan.dir.display().to_string());
    if plan.is_up_to_date() {
        let _ = writeln!(
            out,
            "### ferry: {dir} is up to date ({})",
            plural(plan.count(Status::Unchanged), "file", "files")
        );
        return out;
    }
    header(plan, review, &dir, &mut out);
    table(review, &mut out);
    files(plan, &mut out);
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

fn header(plan: &Plan, review: &Review, dir: &str, out: &mut String) {
    let changes = plan.changes().count();
    let files = plan.counts_in_words();
    let c = review.counts();
    let counts: Vec<(usize, &str)> = [
        (c.added, "new"),
        (c.changed, "changed"),
        (c.removed, "removed"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .collect();
    let total = c.added + c.changed + c.removed;
    let objects = match counts.as_slice() {
        [] => "no object changes".to_string(),
        [(_, word)] => format!("{} {word}", plural(total, "object", "objects")),
        _ => {
            let each: Vec<String> = counts.iter().map(|(n, w)| format!("{n} {w}")).collect();
            format!(
                "{} ({})",
                plural(total, "object", "objects"),
                each.join(", ")
            )
        }
    };
    let _ = writeln!(
        out,
        "### ferry: {} in {dir} would change ({}); {objects}\n",
        plural(changes, "file", "files"),
        files.join(", ")
    );
    let command = plan.update_command();
    let _ = writeln!(out, "Run `{command}` and commit the result.\n");
}

fn table(review: &Review, out: &mut String) {
    let rows = review.rows();
    let overlays = review.has_overlays();
    if !rows.is_empty() {
        if overlays {
            out.push_str("| in | object | field | change |\n| --- | --- | --- | --- |\n");
        } else {
            out.push_str("| object | field | change |\n| --- | --- | --- |\n");
        }
    }
    for (i, row) in rows.iter().take(MAX_ROWS).enumerate() {
        let env = environments(row);
        let same = i > 0 && rows[i - 1].object == row.object && environments(&rows[i - 1]) == env;
        let object = if same {
            String::new()
        } else {
            cell(&row.object.to_string())
        };
        let (field, change) = match row.field {
            None => (String::new(), object_word(row.change).to_string()),
            Some(f) => {
                let parts: Vec<String> = describe(f)
                    .into_iter()
                    .map(|p| match p {
                        Part::Word(w) => w,
                        Part::Value(v) => cell(&v),
                    })
                    .collect();
                (cell(&f.field), parts.join(" "))
            }
        };
        if overlays {
            let _ = writeln!(out, "| {} | {object} | {field} | {change} |", cell(&env));
        } else {
            let _ = writeln!(out, "| {object} | {field} | {change} |");
        }
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(
            out,
            "\n_{} not shown; `ferry diff` lists them all._",
            plural(rows.len() - MAX_ROWS, "more change", "more changes")
        );
    }
    if rows.is_empty() && review.is_empty() {
        out.push_str(
            "No object changes: the files differ only in form (comments, order, quoting).\n",
        );
    }
    let notes = environment_notes(review);
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            let _ = writeln!(out, "- {}", text(&n));
        }
    }
    out.push('\n');
}

/// What a file's `<summary>` says beside its path.
fn file_note(e: &Entry, added: usize, removed: usize) -> String {
    if e.is_conflict() {
        return "not generated by ferry (no header): `ferry convert` will not overwrite it".into();
    }
    match (e.status, e.on_disk) {
        (Status::Removed, OnDisk::Leftover) => "a temporary file left by an interrupted run".into(),
        (Status::Changed, OnDisk::Symlink) => "a symbolic link, replaced by a file".into(),
        (Status::Added, _) => format!("new, {}", plural(added, "line", "lines")),
        (Status::Removed, _) => format!("stale, {} removed", plural(removed, "line", "lines")),
        _ => format!("+{added} −{removed}"),
    }
}

fn files(plan: &Plan, out: &mut String) {
    let changes: Vec<&Entry> = plan.changes().collect();
    let mut budget = MAX_DIFF_BYTES;
    for e in changes.iter().take(MAX_FILES) {
        let d = file_diff(e, false);
        let _ = writeln!(
            out,
            "<details>\n<summary><code>{}</code>: {}</summary>\n",
            html(&e.path),
            html(&file_note(e, d.counts.added, d.counts.removed))
        );
        let lines: Vec<&str> = d.text.lines().collect();
        if lines.is_empty() {
            out.push_str("_Nothing to show._\n");
        } else if budget == 0 {
            out.push_str("_Diff not inlined: the others used the room; `ferry diff` shows it._\n");
        } else {
            let mut body = String::new();
            let mut shown = 0;
            for line in &lines {
                if shown == MAX_FILE_LINES {
                    break;
                }
                if body.len() + line.len() > budget {
                    // The room is used up: the files after this one are not inlined.
                    budget = body.len();
                    break;
                }
                body.push_str(&clean_line(line));
                body.push('\n');
                shown += 1;
            }
            budget = budget.saturating_sub(body.len());
            let fence = "`".repeat((longest_run(&body, '`') + 1).max(3));
            let _ = writeln!(out, "{fence}diff\n{body}{fence}");
            if shown < lines.len() {
                let _ = writeln!(
                    out,
                    "\n_{} of this diff not shown; `ferry diff` shows them._",
                    plural(lines.len() - shown, "more line", "more lines")
                );
            }
        }
        out.push_str("\n</details>\n\n");
    }
    if changes.len() > MAX_FILES {
        let _ = writeln!(
            out,
            "_{} not shown; `ferry diff` shows them._",
            plural(changes.len() - MAX_FILES, "more file", "more files")
        );
    }
}

/// A diff line with its control characters (other than tabs) written as escapes.
fn clean_line(line: &str) -> String {
    if line.chars().all(|c| c == '\t' || !c.is_control()) {
        line.to_string()
    } else {
        line.split('\t').map(clean).collect::<Vec<_>>().join("\t")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_hold_any_value() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x`"), "`` `x` ``");
        assert_eq!(code("a|b"), "`a|b`");
        assert_eq!(cell("a|b"), "`a\\|b`");
        assert_eq!(code("x\ny"), "`x\\ny`");
    }

    #[test]
    fn text_escapes_punctuation_and_html_escapes_markup() {
        assert_eq!(text("<b>*x*</b>"), "\\<b\\>\\*x\\*\\<\\/b\\>");
        assert_eq!(html("</summary><script>"), "&lt;/summary&gt;&lt;script&gt;");
    }
}
