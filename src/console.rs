//! What the terminal shows of a conversion report by default, so that what a user must act on
//! stands out (the binary prints it; `-v` shows every entry instead, `--report` the whole
//! report):
//!
//! - warnings and keys not converted stay itemised, each with its place;
//! - entries of one rule that say the same thing (the same message but for the names in it,
//!   e.g. every `${VAR}` that is not set) are one item: the first in full, the others listed
//!   by what tells them apart;
//! - ignored keys (nothing to do on Kubernetes) are counted in one line, by key
//!   (`networks ×8, container_name ×3`).

use crate::error::{Diagnostic, Report, Severity};

/// One item to show.
#[derive(Debug, Clone, PartialEq)]
pub enum Item<'a> {
    /// An entry on its own.
    One(&'a Diagnostic),
    /// Entries that say the same thing at several places: the first, and each other with what
    /// tells it from the first (a name from its message, or its key).
    Group {
        first: &'a Diagnostic,
        others: Vec<(&'a Diagnostic, String)>,
    },
}

/// What the terminal shows of a report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Console<'a> {
    /// Warnings and keys not converted (and, verbose, every other entry but the converted
    /// ones), in report order.
    pub items: Vec<Item<'a>>,
    /// Ignored keys counted by key (`networks`, `depends_on`, `networks.*.external`), most
    /// first; empty when verbose.
    pub ignored: Vec<(String, usize)>,
}

impl Console<'_> {
    /// How many ignored keys [`Console::ignored`] counts.
    pub fn ignored_total(&self) -> usize {
        self.ignored.iter().map(|(_, n)| n).sum()
    }

    /// The one line that summarises the ignored keys, if there are any:
    /// `ignored: 14 keys that need nothing on Kubernetes (networks ×8, …); --report lists them`.
    pub fn ignored_line(&self) -> Option<String> {
        let total = self.ignored_total();
        if total == 0 {
            return None;
        }
        let keys: Vec<String> = self
            .ignored
            .iter()
            .map(|(k, n)| {
                if *n == 1 {
                    k.clone()
                } else {
                    format!("{k} ×{n}")
                }
            })
            .collect();
        let (what, them) = if total == 1 {
            ("key that needs", "it")
        } else {
            ("keys that need", "them")
        };
        Some(format!(
            "ignored: {total} {what} nothing on Kubernetes ({}); --report lists {them} (and why), -v shows each",
            keys.join(", ")
        ))
    }
}

/// What to show of `report`. `services`: the project's service names, to tell a key's
/// service from the key (`services.web.networks` is `networks`). `verbose`: every entry but
/// the converted ones, each on its own, as `-v` asks.
pub fn console<'a>(report: &'a Report, services: &[&str], verbose: bool) -> Console<'a> {
    let shown = report
        .entries
        .iter()
        .filter(|d| d.severity != Severity::Converted);
    if verbose {
        return Console {
            items: shown.map(Item::One).collect(),
            ignored: Vec::new(),
        };
    }
    let mut items: Vec<Item<'a>> = Vec::new();
    // Each group by what its entries say, with where it is in `items`.
    let mut groups: std::collections::HashMap<(Severity, String, String), usize> =
        std::collections::HashMap::new();
    let mut ignored: Vec<(String, usize)> = Vec::new();
    for d in shown {
        if d.severity == Severity::Ignored {
            let k = key_kind(&d.key, services);
            match ignored.iter_mut().find(|(x, _)| *x == k) {
                Some((_, n)) => *n += 1,
                None => ignored.push((k, 1)),
            }
            continue;
        }
        let (message, _) = template(&d.message);
        let (key, _) = template(&key_kind(&d.key, services));
        let at = groups
            .entry((d.severity, key, message))
            .or_insert(items.len());
        if *at == items.len() {
            items.push(Item::One(d));
            continue;
        }
        let item = &mut items[*at];
        let first = match item {
            Item::One(first) | Item::Group { first, .. } => *first,
        };
        let label = apart(first, d);
        match item {
            Item::One(_) => {
                *item = Item::Group {
                    first,
                    others: vec![(d, label)],
                }
            }
            Item::Group { others, .. } => others.push((d, label)),
        }
    }
    // Most first; a tie keeps the order of the report.
    ignored.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    Console { items, ignored }
}

/// Top-level keys whose next part is a name of the user's.
const NAMED: &[&str] = &["networks", "volumes", "secrets", "configs", "models"];

/// A key without the names in it: `services.web.networks` → `networks`,
/// `networks.front.external` → `networks.*.external`, `services.db.networks.back.ipv4_address`
/// → `networks.*.ipv4_address`.
pub fn key_kind(key: &str, services: &[&str]) -> String {
    if let Some(rest) = key.strip_prefix("services.") {
        // The longest service name that starts the rest (a name may hold dots).
        let service = services
            .iter()
            .filter(|s| {
                rest.strip_prefix(**s)
                    .is_some_and(|r| r.is_empty() || r.starts_with('.'))
            })
            .max_by_key(|s| s.len());
        let tail = match service {
            Some(s) => rest[s.len()..].trim_start_matches('.'),
            None => rest.split_once('.').map_or("", |(_, t)| t),
        };
        if tail.is_empty() {
            return "services.*".to_string();
        }
        let mut parts: Vec<&str> = tail.split('.').collect();
        if parts.len() > 2 && NAMED.contains(&parts[0]) {
            parts[1] = "*";
        }
        return parts.join(".");
    }
    let mut parts: Vec<&str> = key.split('.').collect();
    if parts.len() > 1 && NAMED.contains(&parts[0]) {
        parts[1] = "*";
    }
    parts.join(".")
}

/// A message with its names (`` `…` ``, `"…"`, `${…}`) taken out, and the names.
fn template(message: &str) -> (String, Vec<&str>) {
    let mut out = String::with_capacity(message.len());
    let mut names = Vec::new();
    let mut rest = message;
    loop {
        let next = ["`", "\"", "${"]
            .iter()
            .filter_map(|open| rest.find(open).map(|i| (i, *open)))
            .min();
        let Some((i, open)) = next else {
            out.push_str(rest);
            break;
        };
        let close = if open == "${" { "}" } else { open };
        let body = &rest[i + open.len()..];
        let Some(end) = body.find(close) else {
            out.push_str(rest);
            break;
        };
        out.push_str(&rest[..i]);
        out.push_str(open);
        out.push('…');
        out.push_str(close);
        names.push(&rest[i..i + open.len() + end + close.len()]);
        rest = &body[end + close.len()..];
    }
    (out, names)
}

/// What tells `other` from `first` when they say the same thing: its key when the keys differ,
/// and the first name in its message that differs (unless the key already holds it).
fn apart(first: &Diagnostic, other: &Diagnostic) -> String {
    let (_, a) = template(&first.message);
    let (_, b) = template(&other.message);
    let name = b
        .iter()
        .enumerate()
        .find(|(i, n)| a.get(*i) != Some(*n))
        .map(|(_, n)| *n);
    let key = (other.key != first.key).then_some(other.key.as_str());
    match (key, name) {
        (Some(k), Some(n)) if !k.contains(n.trim_matches(['`', '"', '$', '{', '}'])) => {
            format!("{k}: {n}")
        }
        (Some(k), _) => k.to_string(),
        (None, Some(n)) => n.to_string(),
        (None, None) => other.key.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    fn report(entries: &[(Severity, &str, &str, u32)]) -> Report {
        let mut r = Report::default();
        for (sev, key, message, line) in entries {
            let at = Location::new("compose.yaml".into(), *line, 5);
            r.push(*sev, Some(&at), key.to_string(), message.to_string());
        }
        r
    }

    #[test]
    fn ignored_keys_are_counted_by_key_most_first() {
        let r = report(&[
            (Severity::Ignored, "services.web.container_name", "names", 1),
            (Severity::Ignored, "services.web.networks", "flat", 2),
            (Severity::Ignored, "services.db.networks", "flat", 3),
            (Severity::Ignored, "networks.front", "flat", 4),
            (Severity::Ignored, "networks.front.external", "none", 5),
            (Severity::Ignored, "services.my.app.networks", "flat", 6),
        ]);
        let c = console(&r, &["web", "db", "my.app", "my"], false);
        assert!(c.items.is_empty());
        assert_eq!(
            c.ignored_line().unwrap(),
            "ignored: 6 keys that need nothing on Kubernetes (networks ×3, container_name, \
             networks.*, networks.*.external); --report lists them (and why), -v shows each"
        );
        let v = console(&r, &["web", "db"], true);
        assert_eq!(v.items.len(), 6);
        assert_eq!(v.ignored_line(), None);
    }

    #[test]
    fn entries_that_say_the_same_thing_are_one_item() {
        let unset =
            |v: &str| format!("The \"{v}\" variable is not set. Defaulting to a blank string.");
        let (a, b, c) = (unset("A"), unset("B"), unset("C"));
        let r = report(&[
            (Severity::Warning, "${A}", &a, 1),
            (
                Severity::NotConverted,
                "services.web.ulimits",
                "no ulimits",
                2,
            ),
            (Severity::Warning, "${B}", &b, 3),
            (
                Severity::Warning,
                "services.web.volumes",
                "hostPath at /etc/localtime",
                4,
            ),
            (
                Severity::Warning,
                "services.web.volumes",
                "hostPath at /etc/timezone",
                5,
            ),
            (Severity::Warning, "${C}", &c, 6),
            (
                Severity::NotConverted,
                "services.db.networks.x.ipv4_address",
                "no addresses",
                7,
            ),
            (
                Severity::NotConverted,
                "services.web.networks.y.ipv4_address",
                "no addresses",
                8,
            ),
        ]);
        let c = console(&r, &["web", "db"], false);
        let shown: Vec<String> = c
            .items
            .iter()
            .map(|i| match i {
                Item::One(d) => d.key.clone(),
                Item::Group { first, others } => format!(
                    "{} + {}",
                    first.key,
                    others
                        .iter()
                        .map(|(_, l)| l.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
            .collect();
        assert_eq!(
            shown,
            [
                "${A} + ${B}, ${C}",
                "services.web.ulimits",
                // Different paths: they do not say the same thing.
                "services.web.volumes",
                "services.web.volumes",
                "services.db.networks.x.ipv4_address + services.web.networks.y.ipv4_address",
            ]
        );
    }

    #[test]
    fn templates_take_the_names_out() {
        assert_eq!(
            template("`./a` is mounted from \"x\" and ${V} stays"),
            (
                "`…` is mounted from \"…\" and ${…} stays".to_string(),
                vec!["`./a`", "\"x\"", "${V}"]
            )
        );
        assert_eq!(template("unclosed `x").0, "unclosed `x");
        assert_eq!(key_kind("${TAG}", &[]), "${TAG}");
    }
}
