//! How errors and report lines look on the terminal: the plain `file:line:col: message` line
//! first (editors and CI annotators parse it), then the source line it points at, with a caret
//! under the column, a label at each other place it is about, and a "did you mean" as a help
//! line. annotate-snippets (the crate rustc and cargo use) draws them; this module only picks
//! the lines.
//!
//! Only compose files are shown, as recorded by the loader ([`ferry::sources`]): a location in a
//! `.env` file, an env file or a mounted file keeps its plain line alone, so that no secret
//! value reaches the terminal. Nor is a compose line shown that may hold a secret written there:
//! a variable with a sensitive name (`DB_PASSWORD: …`, as `--env-secrets` decides) or a URL with
//! a password in it (`postgres://app:…@db/app`).

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use ferry::error::{Diagnostic, Location, Severity};
use ferry::sources::{Origin, Sources};
use ferry::Error;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

/// Lines longer than this are not shown (a one-line JSON compose file): the plain line says it.
const MAX_LINE_BYTES: usize = 4096;

/// How far up a line inside a block scalar looks for the block's key ([`Text::secret`]).
const MAX_BLOCK_LINES: usize = 10_000;

/// A compose file's text, split into lines once.
struct Text {
    text: String,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
}

impl Text {
    fn new(mut text: String) -> Self {
        // The parser reads past a byte order mark; columns on line 1 count from after it.
        if text.starts_with('\u{feff}') {
            text.drain(..3);
        }
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        if starts.len() > 1 && starts.last() == Some(&text.len()) {
            starts.pop();
        }
        Text { text, starts }
    }

    /// Whether line `n` may hold a secret written there: [`may_hold_a_secret`], or a line of a
    /// block scalar (`DB_PASSWORD: |`) under such a key. Asked only of the lines to show, so a
    /// large file is not scanned whole: the key of a block is looked for at most
    /// [`MAX_BLOCK_LINES`] lines up.
    fn secret(&self, n: usize) -> bool {
        let indent = |l: &str| l.len() - l.trim_start().len();
        let Some(line) = self.line(n) else {
            return false;
        };
        if may_hold_a_secret(line) {
            return true;
        }
        let own = indent(line);
        if line.trim().is_empty() || own == 0 {
            return false;
        }
        for up in (n.saturating_sub(MAX_BLOCK_LINES).max(1)..n).rev() {
            let l = self.line(up).unwrap_or("");
            if l.trim().is_empty() || indent(l) >= own {
                continue;
            }
            let head = l.trim_end();
            let block = ["|", ">", "|-", ">-", "|+", ">+"]
                .iter()
                .any(|b| head.ends_with(b));
            return block && may_hold_a_secret(l);
        }
        false
    }

    /// Line `n` (1-based) without its line break.
    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.starts.get(n.checked_sub(1)?)?;
        let end = self.starts.get(n).copied().unwrap_or(self.text.len());
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// Where a location points in its line: the byte range of the YAML scalar that starts at its
/// column (a key, a quoted string, a plain value to the end of the line or of its flow item);
/// empty at the end of the line.
fn span(line: &str, column: u32) -> std::ops::Range<usize> {
    let start = line
        .char_indices()
        .nth((column.max(1) - 1) as usize)
        .map_or(line.len(), |(i, _)| i);
    let rest = &line[start..];
    let in_flow = line[..start].trim_end().ends_with(['[', '{', ',']);
    let len = match rest.chars().next() {
        None => 0,
        Some(q @ ('"' | '\'')) => rest[1..].find(q).map_or(rest.len(), |i| i + 2),
        Some(first) => {
            let mut end = rest.len();
            let mut chars = rest.char_indices().peekable();
            let mut after_space = false;
            while let Some((i, c)) = chars.next() {
                let key_end = c == ':' && chars.peek().is_none_or(|(_, n)| n.is_whitespace());
                let comment = c == '#' && after_space;
                if key_end || comment || (in_flow && matches!(c, ',' | ']' | '}')) {
                    end = i;
                    break;
                }
                after_space = c.is_whitespace();
            }
            rest[..end].trim_end().len().max(first.len_utf8())
        }
    };
    start..start + len
}

/// Whether a compose line may hold a secret value: `NAME: value`, `- NAME=value`,
/// `{NAME: value}` or `NAME=value` with a sensitive name anywhere on it, or a URL with a user and
/// password.
fn may_hold_a_secret(line: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    let mut rest = line;
    while let Some(start) = rest.find(is_name) {
        let from = &rest[start..];
        let end = from.find(|c: char| !is_name(c)).unwrap_or(from.len());
        let (name, after) = from.split_at(end);
        let after = after.trim_start_matches(['"', '\'']);
        // A key whose value is on the lines below (`password-manager:`) holds none here.
        let value = after
            .strip_prefix(':')
            .filter(|v| v.is_empty() || v.starts_with(char::is_whitespace))
            .or_else(|| after.strip_prefix('='))
            .map(|v| v.trim_start().trim_end_matches([',', '}', ']']).trim());
        if value.is_some_and(|v| !v.is_empty() && !v.starts_with('#'))
            && ferry::translate::envsecrets::sensitive_name(name)
        {
            return true;
        }
        rest = &from[end..];
    }
    ferry::translate::envsecrets::has_url_password(line)
}

/// The places of one file as one snippet (the lines between them may show), or each on its own
/// when a line between may hold a secret.
fn apart(mut places: Vec<Place<'_>>) -> Vec<Vec<Place<'_>>> {
    places.sort_by_key(|p| (p.line, !p.primary));
    let (Some(first), Some(last)) = (places.first(), places.last()) else {
        return Vec::new();
    };
    let text = first.text.clone();
    // annotate-snippets shows a line between two places when one or two lie between; a longer
    // gap is folded (`...`), and its lines are not looked at.
    let between_is_safe =
        last.line - first.line > 3 || (first.line + 1..last.line).all(|n| !text.secret(n));
    if between_is_safe {
        vec![places]
    } else {
        places.into_iter().map(|p| vec![p]).collect()
    }
}

/// A message's "did you mean" goes on a help line of its own.
fn split_help(message: &str) -> (&str, Option<&str>) {
    match message.rfind("; did you mean `") {
        Some(i) if message.ends_with("`?") => (&message[..i], Some(&message[i + 2..])),
        _ => (message, None),
    }
}

/// Shows errors and report entries with their source lines.
pub struct Show {
    sources: Sources,
    color: bool,
    texts: RefCell<HashMap<String, Option<Rc<Text>>>>,
}

/// One place to show: its line number, the line, the span in it, and the label.
struct Place<'a> {
    line: usize,
    text: Rc<Text>,
    span: std::ops::Range<usize>,
    label: Option<&'a str>,
    primary: bool,
}

impl Show {
    /// `sources`: what the loader recorded; `color`: ANSI colours.
    pub fn new(sources: Sources, color: bool) -> Self {
        Show {
            sources,
            color,
            texts: RefCell::default(),
        }
    }

    fn renderer(&self) -> Renderer {
        if self.color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
    }

    /// The text of a compose file the loader read, unchanged since; `None` for any other file.
    fn text(&self, file: &str) -> Option<Rc<Text>> {
        if let Some(t) = self.texts.borrow().get(file) {
            return t.clone();
        }
        let text = match self.sources.origin(file) {
            Some(Origin::File(path, len)) => std::fs::read_to_string(&path)
                .ok()
                .filter(|t| t.len() as u64 == len),
            Some(Origin::Stdin(text)) => Some(text.to_string()),
            None => None,
        }
        .map(|t| Rc::new(Text::new(t)));
        self.texts
            .borrow_mut()
            .insert(file.to_string(), text.clone());
        text
    }

    fn place<'a>(&self, at: &Location, label: Option<&'a str>, primary: bool) -> Option<Place<'a>> {
        if at.line == 0 {
            return None;
        }
        let text = self.text(&at.file)?;
        let mut line = at.line as usize;
        let mut column = at.column;
        // An error at the end of the file (after its last line break) points past the last line.
        if line > text.starts.len() {
            line = text.starts.len();
            column = u32::MAX;
        }
        let source = text.line(line)?;
        if source.len() > MAX_LINE_BYTES || text.secret(line) {
            return None;
        }
        Some(Place {
            line,
            span: span(source, column),
            text,
            label,
            primary,
        })
    }

    /// A snippet of one file holding `places` (all of it), from the first place's line to the
    /// last's; the lines between are folded away.
    fn snippet<'a>(
        places: &'a [Place<'a>],
        path: Option<&'a str>,
    ) -> Snippet<'a, annotate_snippets::Annotation<'a>> {
        let first = places.iter().map(|p| p.line).min().unwrap_or(1);
        let last = places.iter().map(|p| p.line).max().unwrap_or(1);
        let text = &places[0].text;
        let start = text.starts[first - 1];
        // The last line as `Text::line` gives it, so that every span stays inside.
        let end = text.starts[last - 1] + text.line(last).map_or(0, str::len);
        let source = &text.text[start..end];
        let mut snippet = Snippet::source(source).line_start(first);
        if let Some(p) = path {
            snippet = snippet.path(p);
        }
        for p in places {
            let offset = text.starts[p.line - 1] - start;
            let kind = if p.primary {
                AnnotationKind::Primary
            } else {
                AnnotationKind::Context
            };
            let mut a = kind.span(offset + p.span.start..offset + p.span.end);
            if let Some(l) = p.label {
                a = a.label(l);
            }
            snippet = snippet.annotation(a);
        }
        snippet
    }

    /// An error as the terminal shows it (several errors one after the other), ending with a
    /// line break.
    pub fn error(&self, e: &Error) -> String {
        match e {
            Error::Many(list) => list.iter().map(|e| self.error(e)).collect(),
            Error::Invalid {
                location,
                message,
                detail,
            } => {
                let (message, help) = split_help(message);
                let label = detail.as_ref().and_then(|d| d.label.as_deref());
                let Some(primary) = self.place(location, label, true) else {
                    return format!("error: {e}\n");
                };
                // The error's own file first (its name is in the title), then each other file
                // with its name.
                let mut here = vec![primary];
                let mut others: Vec<(&str, Vec<Place<'_>>)> = Vec::new();
                for (at, label) in detail.iter().flat_map(|d| &d.related) {
                    let Some(p) = self.place(at, Some(label), false) else {
                        continue;
                    };
                    if at.file == location.file {
                        here.push(p);
                    } else if let Some((_, list)) = others.iter_mut().find(|(f, _)| *f == &*at.file)
                    {
                        list.push(p);
                    } else {
                        others.push((&at.file, vec![p]));
                    }
                }
                let title = format!("{location}: {message}");
                let here = apart(here);
                let others: Vec<_> = others.into_iter().map(|(f, p)| (f, apart(p))).collect();
                let mut group = Group::with_title(Level::ERROR.primary_title(&title));
                for (i, places) in here.iter().enumerate() {
                    // The title names the first; a later part names its file again.
                    let path = (i > 0).then_some(&*location.file);
                    group = group.element(Self::snippet(places, path));
                }
                for (file, parts) in &others {
                    for places in parts {
                        group = group.element(Self::snippet(places, Some(file)));
                    }
                }
                if let Some(h) = help {
                    group = group.element(Level::HELP.message(h));
                }
                format!("{}\n\n", self.renderer().render(&[group]))
            }
            e => format!("error: {e}\n"),
        }
    }

    /// A report entry in the compact form: its plain line, then the source line with a caret
    /// (and a help line for a "did you mean"); ends with a line break.
    pub fn entry(&self, d: &Diagnostic) -> String {
        self.entry_with_note(d, None)
    }

    /// An item of the console's view of a report (see [`ferry::console`]): an entry, or a
    /// group of entries that say the same thing, shown as its first entry with a note that
    /// lists the others, each with its place.
    pub fn item(&self, item: &ferry::console::Item<'_>) -> String {
        match item {
            ferry::console::Item::One(d) => self.entry(d),
            ferry::console::Item::Group { first, others } => {
                let mut note = format!(
                    "the same at {} more {}:",
                    others.len(),
                    if others.len() == 1 { "place" } else { "places" }
                );
                for (d, label) in others {
                    match &d.location {
                        Some(at) => note.push_str(&format!("\n{at}: {label}")),
                        None => note.push_str(&format!("\n{label}")),
                    }
                }
                self.entry_with_note(first, Some(&note))
            }
        }
    }

    fn entry_with_note(&self, d: &Diagnostic, note: Option<&str>) -> String {
        let (message, help) = split_help(&d.message);
        // Compact: a "did you mean" goes under the caret.
        let label = help.map(|h| format!("help: {h}"));
        let Some((at, place)) = d
            .location
            .as_ref()
            .and_then(|l| Some((l, self.place(l, label.as_deref(), true)?)))
        else {
            return match note {
                Some(n) => format!("{d}\n  = note: {}\n", n.replace('\n', "\n          ")),
                None => format!("{d}\n"),
            };
        };
        let title = format!("{at}: {}: {}: {message}", d.severity.as_str(), d.key);
        let level = match d.severity {
            Severity::Ignored | Severity::Converted => Level::NOTE,
            Severity::Warning | Severity::NotConverted => Level::WARNING,
        };
        let places = [place];
        let mut group: Group<'_> = level
            .no_name()
            .primary_title(&title)
            .element(Self::snippet(&places, None));
        if let Some(n) = note {
            group = group.element(Level::NOTE.message(n));
        }
        format!("{}\n", self.renderer().render(&[group]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_covers_the_word_at_the_column() {
        let line = "    command: echo one";
        assert_eq!(&line[span(line, 5)], "command");
        assert_eq!(&line[span(line, 14)], "echo one");
        let line = "    image: nginx:${TAG:?TAG must be set}  # pinned";
        assert_eq!(&line[span(line, 12)], "nginx:${TAG:?TAG must be set}");
        let line = "    - x # a:b";
        assert_eq!(&line[span(line, 7)], "x");
        let line = "    image: \"nginx:1.27\" # pinned";
        assert_eq!(&line[span(line, 12)], "\"nginx:1.27\"");
        let line = "    ports: [80, 443]";
        assert_eq!(&line[span(line, 13)], "80");
        assert_eq!(&line[span(line, 99)], "");
        let line = "    A: ${B:-x";
        assert_eq!(&line[span(line, 8)], "${B:-x");
        // Columns count characters, not bytes.
        let line = "  é: ü";
        assert_eq!(&line[span(line, 6)], "ü");
    }

    proptest::proptest! {
        /// Any line and column (a file may have changed, a column may point past the end): the
        /// span stays in the line, on character boundaries.
        #[test]
        fn a_span_is_always_inside_its_line(line in "[^\n]{0,40}", column in 0u32..60) {
            let s = span(&line, column);
            proptest::prop_assert!(s.start <= s.end && s.end <= line.len());
            proptest::prop_assert!(line.is_char_boundary(s.start) && line.is_char_boundary(s.end));
        }

        /// Any text and location renders (or falls back to the plain line) without panicking.
        #[test]
        fn any_location_renders(text in "(?s).{0,200}|[ -~\n\t\r:#'\"é]{0,200}", line in 0u32..20, column in 0u32..30) {
            let show = Show::new(Sources::default(), false);
            let t = Rc::new(Text::new(text));
            show.texts.borrow_mut().insert("f".into(), Some(t));
            let at = Location::new("f".into(), line, column);
            let e = Error::invalid(&at, "m").also_at(&Location::new("f".into(), line / 2, 1), "x");
            let out = show.error(&e);
            proptest::prop_assert!(out.starts_with(&format!("error: {at}: m")), "{}", out);
        }
    }

    #[test]
    fn lines_without_their_breaks() {
        let t = Text::new("\u{feff}a: 1\r\nb: 2\n".to_string());
        assert_eq!(t.line(1), Some("a: 1"));
        assert_eq!(t.line(2), Some("b: 2"));
        assert_eq!(t.line(3), None);
        assert_eq!(t.starts.len(), 2);
    }

    #[test]
    fn lines_that_may_hold_a_secret() {
        for line in [
            "      DB_PASSWORD: hunter2",
            "      - DB_PASSWORD=hunter2",
            "      - \"API_TOKEN=x\"",
            "      stripeSecretKey: x",
            "      DATABASE_URL: postgres://app:hunter2@db:5432/app",
            "    environment: {TZ: UTC, DB_PASSWORD: hunter2}",
            "    environment: [\"TZ=UTC\", \"DB_PASSWORD=hunter2\"]",
            "    command: [\"curl\", \"https://u:p@example.com/x\"]",
        ] {
            assert!(may_hold_a_secret(line), "{line}");
        }
        for line in [
            "    image: nginx:1.27",
            "      DB_PASSWORD_FILE: /run/secrets/db",
            "      DATABASE_URL: postgres://db:5432/app",
            "      GIT: git@github.com:org/repo.git",
            "    command: echo one",
            "  password-manager:",
            "    environment: {TZ: UTC, PASSWORD_FILE: /run/secrets/db}",
            "    image: registry.example.com:5000/token-service:1.2",
        ] {
            assert!(!may_hold_a_secret(line), "{line}");
        }
    }

    /// Two places with a secret between them: each is shown alone, the secret line never.
    #[test]
    fn a_secret_between_two_places_is_not_shown() {
        let show = Show::new(Sources::default(), false);
        let text = "services:\n  web:\n    image: a\n    environment:\n      DB_PASSWORD: hunter2\n    image: b\n";
        show.texts
            .borrow_mut()
            .insert("f".into(), Some(Rc::new(Text::new(text.into()))));
        let e = Error::invalid(&Location::new("f".into(), 6, 5), "duplicate key `image`")
            .labelled("defined again here")
            .also_at(&Location::new("f".into(), 3, 5), "first defined here");
        let out = show.error(&e);
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("3 |     image: a"), "{out}");
        assert!(out.contains("6 |     image: b"), "{out}");
        assert_eq!(
            out,
            "error: f:6:5: duplicate key `image`\n  |\n3 |     image: a\n  |     ----- first defined here\n  |\n ::: f:6:5\n  |\n6 |     image: b\n  |     ^^^^^ defined again here\n\n"
        );
        // A line between that holds no secret may show (annotate-snippets shows a gap of one).
        let text = "services:\n  web:\n    image: a\n    DB_PASSWORD: hunter2\n    image: b\n";
        show.texts
            .borrow_mut()
            .insert("f".into(), Some(Rc::new(Text::new(text.into()))));
        let e = Error::invalid(&Location::new("f".into(), 5, 5), "duplicate key `image`")
            .also_at(&Location::new("f".into(), 3, 5), "first defined here");
        assert!(!show.error(&e).contains("hunter2"), "{}", show.error(&e));
        let text = text.replace("DB_PASSWORD: hunter2", "TZ: UTC");
        show.texts
            .borrow_mut()
            .insert("f".into(), Some(Rc::new(Text::new(text))));
        assert!(
            show.error(&e).contains("4 |     TZ: UTC"),
            "{}",
            show.error(&e)
        );
        // A longer gap is folded: whatever is in it, it is not shown.
        for gap in 2..12 {
            let mut text = String::from("services:\n  web:\n    image: a\n");
            for i in 0..gap {
                text.push_str(&format!("    DB_PASSWORD: hunter{i}\n"));
            }
            text.push_str("    image: b\n");
            show.texts
                .borrow_mut()
                .insert("f".into(), Some(Rc::new(Text::new(text))));
            let e = Error::invalid(&Location::new("f".into(), 4 + gap as u32, 5), "dup")
                .also_at(&Location::new("f".into(), 3, 5), "first");
            let out = show.error(&e);
            assert!(!out.contains("hunter"), "{gap}: {out}");
            assert!(out.contains("image: b"), "{gap}: {out}");
        }
    }

    /// The lines of a block scalar under a sensitive name are secret too.
    #[test]
    fn block_scalars_under_a_sensitive_name_are_secret() {
        let t = Text::new(
            "x:\n  PRIVATE_KEY: |\n    -----BEGIN-----\n\n    abc\n  TZ: UTC\n  AUTH_TOKEN: >-\n    t\n".into(),
        );
        let secret: Vec<bool> = (1..=8).map(|n| t.secret(n)).collect();
        assert_eq!(secret, [false, true, true, false, true, false, true, true]);
    }

    #[test]
    fn did_you_mean_becomes_a_help_line() {
        assert_eq!(
            split_help("unknown key `enviroment`; did you mean `environment`?"),
            (
                "unknown key `enviroment`",
                Some("did you mean `environment`?")
            )
        );
        assert_eq!(split_help("unknown key `x`"), ("unknown key `x`", None));
    }
}
