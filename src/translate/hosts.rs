//! Host names. A compose name that cannot be a Service name (`bookstack_db`, `Web.App`) is named
//! `bookstack-db` in Kubernetes, but the other services still ask for `bookstack_db`, which
//! resolves nowhere there. References to such names are rewritten by where the name stands (see
//! `docs/same-app.md`, "Renamed hosts"):
//!
//! - with host syntax, always: `name:port`, after `://`, after `@`;
//! - in an environment variable whose name says it holds hosts ([`VarKind::Host`]): also the whole
//!   value, or an item of a list;
//! - in a variable whose name says it holds text ([`VarKind::Text`]): nothing else;
//! - in any other variable: also the whole value, or an item of a comma-separated list, unless
//!   the rename only changes letter case (DNS ignores case, so the name resolves as written);
//! - in a command, entrypoint or health check: also a word that is the name (`-h db_1`,
//!   `--host=db_1`), unless it is prose (an `echo` argument, a quoted sentence).
//!
//! Each rewritten value is one warning. Mounted config files that mention a renamed name are
//! reported with file and line, never rewritten.

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

/// What a variable holds, by the words of its name (split at `_` and `.`, any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    /// A word says it holds hosts: `DB_HOST`, `KAFKA_BROKERS`, `DATABASE_URL`,
    /// `discovery.seed_hosts`. Wins over a text word (`WORDPRESS_DB_HOST`).
    Host,
    /// A word says it holds text: `APP_NAME`, `SITE_TITLE`, `POSTGRES_DB`, `MYSQL_USER`.
    Text,
    /// Anything else: `CLUSTER_NODE_NETWORK_NAME`, `node.name`, `cluster.initial_master_nodes`.
    Other,
}

const HOST_WORDS: &[&str] = &[
    "HOST",
    "HOSTS",
    "HOSTNAME",
    "ADDR",
    "ADDRESS",
    "SERVER",
    "SERVERS",
    "URL",
    "URI",
    "DSN",
    "ENDPOINT",
    "ENDPOINTS",
    "BROKER",
    "BROKERS",
    "UPSTREAM",
    "BACKEND",
];

const TEXT_WORDS: &[&str] = &[
    "TITLE",
    "APPNAME",
    "DESC",
    "DESCRIPTION",
    "BANNER",
    "MESSAGE",
    "TEXT",
    "LABEL",
    "PREFIX",
    "DB",
    "DBNAME",
    "DATABASE",
    "USER",
    "USERNAME",
];

/// What the variable `var` holds (see [`VarKind`]).
pub fn var_kind(var: &str) -> VarKind {
    let words: Vec<String> = var.split(['_', '.']).map(str::to_ascii_uppercase).collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    if has(HOST_WORDS) {
        VarKind::Host
    } else if has(TEXT_WORDS) || words.windows(2).any(|p| p[0] == "APP" && p[1] == "NAME") {
        VarKind::Text
    } else {
        VarKind::Other
    }
}

/// One rename to make: `len` bytes at `at` become the Kubernetes name of `renames[which]`.
#[derive(Debug, Clone, Copy)]
struct Edit {
    at: usize,
    len: usize,
    which: usize,
}

/// The edits collected for one value; an edit never overlaps another.
#[derive(Default)]
struct Edits(Vec<Edit>);

impl Edits {
    fn add(&mut self, at: usize, len: usize, which: usize) {
        let free = self
            .0
            .iter()
            .all(|e| at + len <= e.at || e.at + e.len <= at);
        if free {
            self.0.push(Edit { at, len, which });
        }
    }

    /// `value` with the edits made, and the renames used (indices, each once, in order);
    /// `None` when there is no edit.
    fn apply(mut self, value: &str, renames: &[(String, String)]) -> Option<(String, Vec<usize>)> {
        if self.0.is_empty() {
            return None;
        }
        self.0.sort_by_key(|e| e.at);
        let mut out = value.to_string();
        for e in self.0.iter().rev() {
            out.replace_range(e.at..e.at + e.len, &renames[e.which].1);
        }
        let mut which: Vec<usize> = self.0.iter().map(|e| e.which).collect();
        which.sort_unstable();
        which.dedup();
        Some((out, which))
    }
}

/// A character that continues a host name on its left (`x.db_1:5432` is another host).
fn joins_left(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// A character that continues a name on its right (`@db_1x` is another name; `@db_1.local` is
/// the name qualified).
fn joins_right(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-')
}

/// Every renamed name in `value` with host syntax: before `:port` (a digit, or `$` for a port
/// the shell fills in), after `://`, after `@`.
fn host_syntax(value: &str, renames: &[(String, String)], edits: &mut Edits) {
    for (which, (old, _)) in renames.iter().enumerate() {
        let mut from = 0;
        while let Some(i) = value[from..].find(old.as_str()) {
            let at = from + i;
            let end = at + old.len();
            from = end;
            let (before, after) = (&value[..at], &value[end..]);
            let url_host = (before.ends_with("://") || before.ends_with('@'))
                && !after.chars().next().is_some_and(joins_right);
            let with_port = !before.chars().next_back().is_some_and(joins_left)
                && after
                    .strip_prefix(':')
                    .is_some_and(|p| p.starts_with(|c: char| c.is_ascii_digit() || c == '$'));
            if url_host || with_port {
                edits.add(at, old.len(), which);
            }
        }
    }
}

/// The items of a list: the text between separators (`(start, end)` byte ranges).
fn items(value: &str, separator: impl Fn(char) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_sep = false;
    for (i, c) in value.char_indices() {
        match (separator(c), in_sep) {
            (true, false) => {
                out.push((start, i));
                in_sep = true;
            }
            (false, true) => {
                start = i;
                in_sep = false;
            }
            _ => {}
        }
    }
    if !in_sep {
        out.push((start, value.len()));
    }
    out
}

/// The rename whose compose name is exactly `word`.
fn named(word: &str, renames: &[(String, String)]) -> Option<usize> {
    renames.iter().position(|(old, _)| old == word)
}

/// Whether a rename only changes letter case (`Paperless` → `paperless`): DNS ignores case, so
/// the name resolves as written.
fn case_only(rename: &(String, String)) -> bool {
    rename.0.to_ascii_lowercase() == rename.1
}

/// The value of the variable `var` with renamed hosts rewritten by where they stand (see the
/// module's rules), and the renames used; `None` when nothing changes.
pub fn rewrite_env(
    value: &str,
    var: &str,
    renames: &[(String, String)],
) -> Option<(String, Vec<usize>)> {
    if renames.is_empty() {
        return None;
    }
    let mut edits = Edits::default();
    list_items(value, 0, var_kind(var), renames, &mut edits);
    host_syntax(value, renames, &mut edits);
    edits.apply(value, renames)
}

/// The whole value, or the items of a list, that are a renamed name, as a variable of `kind`
/// holds them (`offset`: where `value` starts in the string being edited).
fn list_items(
    value: &str,
    offset: usize,
    kind: VarKind,
    renames: &[(String, String)],
    edits: &mut Edits,
) {
    let list: Vec<(usize, usize)> = match kind {
        // A host list may be separated by commas, semicolons or spaces.
        VarKind::Host => items(value, |c| c == ',' || c == ';' || c.is_whitespace()),
        VarKind::Text => Vec::new(),
        // A comma- or semicolon-separated list (`es_01,es_02`); spaces make prose, not a list.
        VarKind::Other => {
            let mut spans = items(value, |c| c == ',' || c == ';');
            for (s, e) in spans.iter_mut().skip(1) {
                *s += value[*s..*e].len() - value[*s..*e].trim_start().len();
            }
            spans
        }
    };
    for (s, e) in list {
        if let Some(which) = named(&value[s..e], renames) {
            if kind == VarKind::Other && case_only(&renames[which]) {
                continue;
            }
            edits.add(offset + s, e - s, which);
        }
    }
}

/// One shell word of a command (a byte range), or an operator (`;`, `|`, `&`, a newline).
#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    /// Holds a quoted string with a space in it: a sentence, not a name.
    sentence: bool,
    operator: bool,
}

/// The shell words of `script`, as far as a host name needs: quotes keep spaces inside a word,
/// `;`, `|`, `&`, newlines and parentheses end a command.
fn shell_tokens(script: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut word: Option<Token> = None;
    let mut quote: Option<char> = None;
    let flush = |word: &mut Option<Token>, out: &mut Vec<Token>| {
        if let Some(w) = word.take() {
            out.push(w);
        }
    };
    for (i, c) in script.char_indices() {
        let next = i + c.len_utf8();
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else if c.is_whitespace() {
                if let Some(w) = &mut word {
                    w.sentence = true;
                }
            }
            if let Some(w) = &mut word {
                w.end = next;
            }
            continue;
        }
        match c {
            ';' | '|' | '&' | '\n' | '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(Token {
                    start: i,
                    end: next,
                    sentence: false,
                    operator: true,
                });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => {
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                let w = word.get_or_insert(Token {
                    start: i,
                    end: next,
                    sentence: false,
                    operator: false,
                });
                w.end = next;
            }
        }
    }
    flush(&mut word, &mut out);
    out
}

/// A word without the quotes around it, and where that starts in the word.
fn unquoted(word: &str) -> (&str, usize) {
    for q in ['"', '\''] {
        if word.len() >= 2 && word.starts_with(q) && word.ends_with(q) {
            return (&word[1..word.len() - 1], 1);
        }
    }
    (word, 0)
}

/// What an option holds, by its name (`--db-name`, `-Dspring.redis.host`), as a variable would.
/// The database clients' one-letter options for a database and a user (`psql -d`, `mysql -D`,
/// `pg_isready -U`) hold text.
fn option_kind(option: &str) -> VarKind {
    match option {
        "-d" | "-D" | "-u" | "-U" => VarKind::Text,
        _ => var_kind(&option.trim_start_matches('-').replace('-', "_")),
    }
}

/// Walks the words of one command, knowing whether they are prose (the arguments of `echo` or
/// `printf`) and what the option before a word holds.
#[derive(Default)]
struct CommandWords {
    prose: bool,
    option_before: Option<VarKind>,
}

impl CommandWords {
    /// Collect the edits for one word (`at`: where it starts in `text`).
    fn word(&mut self, text: &str, token: Token, renames: &[(String, String)], edits: &mut Edits) {
        let (word, inner) = unquoted(&text[token.start..token.end]);
        if token.operator || [";", "&&", "||", "|", "&"].contains(&word) {
            *self = CommandWords::default();
            return;
        }
        let option_before = self.option_before.take();
        if word == "echo" || word == "printf" {
            self.prose = true;
        }
        if self.prose || token.sentence {
            return;
        }
        let at = token.start + inner;
        if let Some((option, value)) = word.split_once('=').filter(|(o, _)| o.starts_with('-')) {
            // `--host=db_1`, `-Dspring.redis.host=redis_cache`: as a variable of that name.
            list_items(
                value,
                at + option.len() + 1,
                option_kind(option),
                renames,
                edits,
            );
        } else if word.starts_with('-') {
            self.option_before = Some(option_kind(word));
        } else if let Some(which) = named(word, renames) {
            // `-h db_1`, `ping db_1`, `["wait-for", "db_1"]`; not the value of `--title`.
            if option_before != Some(VarKind::Text) {
                edits.add(at, word.len(), which);
            }
        }
    }
}

/// A command, entrypoint or health check (its words, as the container runs them) with renamed
/// hosts rewritten: with host syntax anywhere, and a word that is a name (or an option's value)
/// unless it is prose. Returns the new words and the renames used; `None` when nothing changes.
pub fn rewrite_command(
    words: &[String],
    renames: &[(String, String)],
) -> Option<(Vec<String>, Vec<usize>)> {
    if renames.is_empty() {
        return None;
    }
    let mut state = CommandWords::default();
    let mut out = Vec::with_capacity(words.len());
    let mut used = Vec::new();
    for w in words {
        let mut edits = Edits::default();
        if w.contains(char::is_whitespace) {
            // A script (`sh -c "…"`): its own words.
            for t in shell_tokens(w) {
                state.word(w, t, renames, &mut edits);
            }
        } else {
            let t = Token {
                start: 0,
                end: w.len(),
                sentence: false,
                operator: false,
            };
            state.word(w, t, renames, &mut edits);
        }
        host_syntax(w, renames, &mut edits);
        match edits.apply(w, renames) {
            Some((new, which)) => {
                out.push(new);
                used.extend(which);
            }
            None => out.push(w.clone()),
        }
    }
    used.sort_unstable();
    used.dedup();
    (!used.is_empty()).then_some((out, used))
}

/// The warning for one rewritten value.
fn warn_rewrite(
    renames: &[(String, String)],
    which: &[usize],
    var: Option<&str>,
    loc: &Location,
    key: &str,
    report: &mut Report,
) {
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
}

/// [`rewrite_env`] for the variable `var` of a service, reporting the rewrite at `loc` under
/// `key`.
pub fn env_reported(
    ctx: &Ctx<'_>,
    value: &str,
    var: &str,
    loc: &Location,
    key: &str,
    report: &mut Report,
) -> Option<String> {
    let (out, which) = rewrite_env(value, var, ctx.renames())?;
    warn_rewrite(ctx.renames(), &which, Some(var), loc, key, report);
    Some(out)
}

/// [`rewrite_command`] for a command of a service, reporting the rewrite (once for the whole
/// command) at `loc` under `key`.
pub fn command_reported(
    ctx: &Ctx<'_>,
    words: &[String],
    loc: &Location,
    key: &str,
    report: &mut Report,
) -> Option<Vec<String>> {
    let (out, which) = rewrite_command(words, ctx.renames())?;
    warn_rewrite(ctx.renames(), &which, None, loc, key, report);
    Some(out)
}

/// Characters that may stand before a name that a config file line mentions.
fn left_ok(before: &str) -> bool {
    match before.chars().next_back() {
        None => true,
        Some(c) if c.is_whitespace() => true,
        Some('"' | '\'' | '=' | ',' | '(' | '[' | '{' | '@' | '`') => true,
        Some('/') => before.ends_with("://"),
        Some(_) => false,
    }
}

/// Characters that may follow a name that a config file line mentions: the end of a word, a
/// path, or `:port`.
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

/// Where `name` stands as a word of a config file line (byte offset of the first).
fn mention(line: &str, name: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = line[from..].find(name) {
        let at = from + i;
        let end = at + name.len();
        if left_ok(&line[..at]) && right_ok(&line[end..]) {
            return Some(at);
        }
        from = end;
    }
    None
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
            if let Some(at) = mention(line, old) {
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

    fn renames() -> Vec<(String, String)> {
        let mut r = vec![
            ("bookstack_db".to_string(), "bookstack-db".to_string()),
            ("Web.App".to_string(), "web-app".to_string()),
            ("Paperless".to_string(), "paperless".to_string()),
            ("node1.search".to_string(), "node1-search".to_string()),
            ("wiki_db".to_string(), "wiki-db".to_string()),
        ];
        r.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        r
    }

    fn env(var: &str, v: &str) -> Option<String> {
        rewrite_env(v, var, &renames()).map(|(s, _)| s)
    }

    fn cmd(words: &[&str]) -> Option<Vec<String>> {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        rewrite_command(&words, &renames()).map(|(s, _)| s)
    }

    #[test]
    fn variable_names_say_what_they_hold() {
        for v in [
            "DB_HOST",
            "WORDPRESS_DB_HOST",
            "KAFKA_BROKERS",
            "DATABASE_URL",
            "discovery.seed_hosts",
            "redis_addr",
            "UPSTREAM",
            "SENTRY_DSN",
        ] {
            assert_eq!(var_kind(v), VarKind::Host, "{v}");
        }
        for v in [
            "APP_NAME",
            "APPNAME",
            "SITE_TITLE",
            "POSTGRES_DB",
            "MYSQL_DATABASE",
            "DB_NAME",
            "MYSQL_USER",
            "BANNER",
            "cert.label",
        ] {
            assert_eq!(var_kind(v), VarKind::Text, "{v}");
        }
        for v in [
            "CLUSTER_NODE_NETWORK_NAME",
            "node.name",
            "cluster.initial_master_nodes",
            "GHOST",
            "HOSTED",
            "DEBUG",
        ] {
            assert_eq!(var_kind(v), VarKind::Other, "{v}");
        }
    }

    #[test]
    fn host_syntax_is_rewritten_in_every_variable() {
        for var in ["DB_HOST", "POSTGRES_DB", "CONNECTION"] {
            assert_eq!(
                env(var, "bookstack_db:3306").as_deref(),
                Some("bookstack-db:3306")
            );
            assert_eq!(
                env(var, "mysql://u:p@bookstack_db:3306/app").as_deref(),
                Some("mysql://u:p@bookstack-db:3306/app")
            );
            assert_eq!(
                env(var, "http://Web.App/x").as_deref(),
                Some("http://web-app/x")
            );
            assert_eq!(
                env(var, "amqp://guest@bookstack_db").as_deref(),
                Some("amqp://guest@bookstack-db")
            );
            assert_eq!(
                env(var, "bookstack_db:$PORT").as_deref(),
                Some("bookstack-db:$PORT")
            );
        }
    }

    #[test]
    fn host_variables_rewrite_the_whole_value_and_list_items() {
        assert_eq!(
            env("DB_HOST", "bookstack_db").as_deref(),
            Some("bookstack-db")
        );
        assert_eq!(
            env("APP_HOSTNAME", "Paperless").as_deref(),
            Some("paperless")
        );
        assert_eq!(
            env("discovery.seed_hosts", "wiki_db,node1.search").as_deref(),
            Some("wiki-db,node1-search")
        );
        assert_eq!(
            env("KAFKA_BROKERS", "wiki_db node1.search").as_deref(),
            Some("wiki-db node1-search")
        );
    }

    #[test]
    fn text_variables_keep_their_words() {
        assert_eq!(env("APP_NAME", "Paperless"), None);
        assert_eq!(env("POSTGRES_DB", "wiki_db"), None);
        assert_eq!(env("MYSQL_USER", "bookstack_db"), None);
        assert_eq!(env("SITE_TITLE", "Demo site for Paperless Latest"), None);
        // Host syntax still is a host.
        assert_eq!(
            env("POSTGRES_DB", "wiki_db:5432").as_deref(),
            Some("wiki-db:5432")
        );
    }

    #[test]
    fn other_variables_rewrite_whole_names_unless_only_the_case_differs() {
        assert_eq!(
            env("node.name", "node1.search").as_deref(),
            Some("node1-search")
        );
        assert_eq!(
            env("cluster.initial_master_nodes", "node1.search, wiki_db").as_deref(),
            Some("node1-search, wiki-db")
        );
        assert_eq!(env("INSTANCE", "Paperless"), None);
        // Prose, a query string, a certificate subject.
        assert_eq!(env("GREETING", "Demo site for Paperless Latest"), None);
        assert_eq!(env("NOTE", "the wiki_db service"), None);
        assert_eq!(
            env("CONN", "postgres://u@wiki_db:5432/x?d=wiki_db").as_deref(),
            Some("postgres://u@wiki-db:5432/x?d=wiki_db")
        );
        assert_eq!(env("CERT_SUBJECT", "CN=node1.search,OU=search"), None);
        assert_eq!(env("SUBJECT_SERVER", "CN=node1.search,OU=search"), None);
    }

    #[test]
    fn other_words_are_left_alone() {
        for v in [
            "/var/lib/bookstack_db",
            "my_bookstack_db",
            "bookstack_db_replica",
            "bookstack_db.sql",
            "BOOKSTACK_DB",
            "Web.Application",
            "x.bookstack_db:3306",
        ] {
            assert_eq!(env("DB_HOST", v), None, "{v}");
        }
    }

    #[test]
    fn commands_rewrite_words_that_stand_as_hosts() {
        assert_eq!(
            cmd(&["/wait-for", "bookstack_db:3306", "--"]),
            Some(vec![
                "/wait-for".into(),
                "bookstack-db:3306".into(),
                "--".into()
            ])
        );
        assert_eq!(
            cmd(&["mysqladmin", "ping", "-h", "bookstack_db"]).unwrap()[3],
            "bookstack-db"
        );
        assert_eq!(
            cmd(&["sh", "-c", "mysqladmin ping -h bookstack_db --silent"]).unwrap()[2],
            "mysqladmin ping -h bookstack-db --silent"
        );
        assert_eq!(
            cmd(&["--host=bookstack_db,Web.App"]).unwrap()[0],
            "--host=bookstack-db,web-app"
        );
        assert_eq!(
            cmd(&["-Dspring.redis.host=wiki_db"]).unwrap()[0],
            "-Dspring.redis.host=wiki-db"
        );
        assert_eq!(
            cmd(&["sh", "-c", "ping -c 1 'wiki_db' && echo ok"]).unwrap()[2],
            "ping -c 1 'wiki-db' && echo ok"
        );
    }

    #[test]
    fn commands_keep_prose_and_text_options() {
        assert_eq!(cmd(&["echo", "Paperless"]), None);
        assert_eq!(cmd(&["sh", "-c", "echo starting Paperless now"]), None);
        assert_eq!(cmd(&["notify", "\"Welcome to Paperless\""]), None);
        assert_eq!(
            cmd(&["sh", "-c", "notify 'Welcome to Paperless' && run"]),
            None
        );
        assert_eq!(cmd(&["app", "--title", "Paperless"]), None);
        assert_eq!(cmd(&["app", "--db-name=wiki_db"]), None);
        assert_eq!(
            cmd(&[
                "pg_isready",
                "-h",
                "wiki_db",
                "-U",
                "wiki_db",
                "-d",
                "wiki_db"
            ])
            .unwrap(),
            [
                "pg_isready",
                "-h",
                "wiki-db",
                "-U",
                "wiki_db",
                "-d",
                "wiki_db"
            ]
        );
        assert_eq!(
            cmd(&["openssl", "req", "-subj", "/CN=node1.search/OU=x"]),
            None
        );
        // After the prose, a new command.
        assert_eq!(
            cmd(&["sh", "-c", "echo Paperless; nc -z wiki_db 5432"]).unwrap()[2],
            "echo Paperless; nc -z wiki-db 5432"
        );
    }
}
