//! Host names. A compose name that cannot be a Service name (`bookstack_db`, `Web.App`) is named
//! `bookstack-db` in Kubernetes, but the other services still ask for `bookstack_db`, which
//! resolves nowhere there. References to such names as a host (the whole value, `name:port`, a
//! URL's host, a word of a command) are rewritten in environment values, env files, commands,
//! entrypoints and health checks, each rewrite reported; mounted config files that mention them
//! are reported with file and line, never rewritten.

use super::Ctx;
use crate::compose::Project;
use crate::error::{Location, Report};
use crate::names;
use std::path::Path;

/// The names other services may ask for that Kubernetes names differently: service names,
/// network aliases, link aliases and container names, as (compose name, Kubernetes name), longest
/// first (so that `my_db_replica` is not taken for `my_db`).
pub fn renames(project: &Project) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |n: &str| {
        let k8s = names::dns_label(n);
        if k8s != n && !out.iter().any(|(o, _)| o == n) {
            out.push((n.to_string(), k8s));
        }
    };
    for svc in project.services.values() {
        add(&svc.name);
        for n in &svc.networks {
            for a in &n.aliases {
                add(&a.value);
            }
        }
        for l in &svc.links {
            if let Some(a) = &l.alias {
                add(a);
            }
        }
        if let Some(c) = &svc.container_name {
            add(&c.value);
        }
    }
    out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Characters that may stand before a host name that is a word of its own.
fn left_ok(before: &str) -> bool {
    match before.chars().next_back() {
        None => true,
        Some(c) if c.is_whitespace() => true,
        Some('"' | '\'' | '=' | ',' | '(' | '[' | '{' | '@' | '`') => true,
        Some('/') => before.ends_with("://"),
        Some(_) => false,
    }
}

/// Characters that may follow a host name: the end of a word, a path, or `:port`.
fn right_ok(after: &str) -> bool {
    let mut chars = after.chars();
    match chars.next() {
        None => true,
        Some(c) if c.is_whitespace() => true,
        Some('"' | '\'' | ',' | ';' | ')' | ']' | '}' | '/' | '?' | '`' | '&' | '|') => true,
        Some(':') => chars.next().is_some_and(|c| c.is_ascii_digit() || c == '$'),
        Some(_) => false,
    }
}

/// Where `name` stands in `value` as a host (byte offsets).
fn positions(value: &str, name: &str) -> Vec<usize> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = value[from..].find(name) {
        let at = from + i;
        let end = at + name.len();
        if left_ok(&value[..at]) && right_ok(&value[end..]) {
            out.push(at);
        }
        from = end;
    }
    out
}

/// `value` with every renamed host in it written as Kubernetes names it, and the names
/// rewritten; `None` when nothing changes.
pub fn rewrite(value: &str, renames: &[(String, String)]) -> Option<(String, Vec<usize>)> {
    if renames.is_empty() {
        return None;
    }
    let mut out = value.to_string();
    let mut which = Vec::new();
    for (i, (old, new)) in renames.iter().enumerate() {
        let at = positions(&out, old);
        if at.is_empty() {
            continue;
        }
        for p in at.into_iter().rev() {
            out.replace_range(p..p + old.len(), new);
        }
        which.push(i);
    }
    (!which.is_empty()).then_some((out, which))
}

/// [`rewrite`] for one value of a service, reporting the rewrite at `loc` under `key` (`var`:
/// the variable it is the value of).
pub fn rewrite_reported(
    ctx: &Ctx<'_>,
    value: &str,
    var: Option<&str>,
    loc: &Location,
    key: &str,
    report: &mut Report,
) -> Option<String> {
    let renames = ctx.renames();
    let (out, which) = rewrite(value, renames)?;
    let what: Vec<String> = which
        .iter()
        .map(|&i| format!("`{}` → `{}`", renames[i].0, renames[i].1))
        .collect();
    report.warn(
        Some(loc),
        key.to_string(),
        format!(
            "{}host name rewritten to the Service's name: {} (not a valid Service name in Kubernetes)",
            var.map(|v| format!("{v}: ")).unwrap_or_default(),
            what.join(", ")
        ),
    );
    Some(out)
}

/// Report every line of a mounted config file that names a renamed host: the file is copied as
/// it is, so the name there must be changed by hand.
pub fn report_file_mentions(
    ctx: &Ctx<'_>,
    path: &Path,
    text: &str,
    key: &str,
    report: &mut Report,
) {
    let renames = ctx.renames();
    if renames.is_empty() {
        return;
    }
    let shown = path
        .strip_prefix(&ctx.project.dir)
        .unwrap_or(path)
        .display()
        .to_string();
    let file: std::sync::Arc<str> = shown.into();
    for (n, line) in text.lines().enumerate() {
        for (old, new) in renames {
            if let Some(&at) = positions(line, old).first() {
                let loc = Location {
                    file: file.clone(),
                    line: n as u32 + 1,
                    column: line[..at].chars().count() as u32 + 1,
                };
                report.warn(
                    Some(&loc),
                    key.to_string(),
                    format!(
                        "{file}:{}: the mounted file names the host `{old}`, which is `{new}` in Kubernetes; ferry copies the file as it is: change the name there",
                        loc.line
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: &str) -> Option<String> {
        let renames = vec![
            ("bookstack_db".to_string(), "bookstack-db".to_string()),
            ("Web.App".to_string(), "web-app".to_string()),
        ];
        rewrite(v, &renames).map(|(s, _)| s)
    }

    #[test]
    fn hosts_are_rewritten_as_whole_tokens() {
        assert_eq!(r("bookstack_db").as_deref(), Some("bookstack-db"));
        assert_eq!(r("bookstack_db:3306").as_deref(), Some("bookstack-db:3306"));
        assert_eq!(
            r("mysql://u:p@bookstack_db:3306/app").as_deref(),
            Some("mysql://u:p@bookstack-db:3306/app")
        );
        assert_eq!(r("http://Web.App/x").as_deref(), Some("http://web-app/x"));
        assert_eq!(
            r("mysqladmin ping -h bookstack_db --silent").as_deref(),
            Some("mysqladmin ping -h bookstack-db --silent")
        );
        assert_eq!(
            r("--host=bookstack_db,other").as_deref(),
            Some("--host=bookstack-db,other")
        );
        assert_eq!(
            r("bookstack_db:${PORT}").as_deref(),
            Some("bookstack-db:${PORT}")
        );
        assert_eq!(
            r("bookstack_db:$PORT").as_deref(),
            Some("bookstack-db:$PORT")
        );
    }

    #[test]
    fn other_words_are_left_alone() {
        assert_eq!(r("/var/lib/bookstack_db"), None);
        assert_eq!(r("my_bookstack_db"), None);
        assert_eq!(r("bookstack_db_replica"), None);
        assert_eq!(r("bookstack_db.sql"), None);
        assert_eq!(r("BOOKSTACK_DB"), None);
        assert_eq!(r("Web.Application"), None);
    }
}
