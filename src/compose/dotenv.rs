//! `.env` / `env_file` parsing with Docker Compose semantics.
//!
//! [`parse`] follows compose-go's `dotenv` package (the parser `docker compose`
//! uses for `.env` and for `env_file` entries without a `format`):
//!
//! * A UTF-8 BOM at the start is skipped. Lines end with `\n`; a `\r` before it
//!   is whitespace (but is kept inside quoted values, as compose-go does).
//! * Blank lines and lines whose first non-blank character is `#` are ignored.
//! * `export` followed by whitespace before a key is dropped.
//! * `KEY=VALUE` and the YAML-ish `KEY: VALUE` (the first `=` or `:` ends the
//!   key). Whitespace around the key and after the separator is ignored.
//! * Keys may hold letters, digits (also first), `_`, `.`, `-`, `[` and `]`;
//!   anything else is an error. Like compose-go, an empty key (`=value`) is
//!   accepted, and so is whitespace other than a plain space inside a key
//!   (a space is an error): callers that need portable names must check them.
//! * Unquoted values run to the end of the line; an inline comment starting at
//!   ` #` (a space, then `#`; a tab does not count) is removed, then trailing
//!   whitespace is trimmed. Backslashes are kept as they are.
//! * Single-quoted values are literal (no interpolation); only `\'` is
//!   unescaped. They may span lines.
//! * Double-quoted values may span lines; `\a \b \f \n \r \t \v \\ \"`,
//!   `\$` (a literal `$`) and `\0NNN` (three octal digits, at most `\0377`) are
//!   expanded (`\0` not followed by such digits loses its `0`), any other
//!   backslash is kept; the result is then interpolated.
//! * After a closing quote, parsing continues on the same line: a `#` starts a
//!   comment, and (compose-go quirk) anything else starts the next statement.
//! * `KEY=` gives the empty string. A bare `KEY` takes its value from `lookup`
//!   and is left out when `lookup` has none.
//! * Interpolation (unquoted and double-quoted values) uses
//!   [`crate::interpolate::interpolate`]. Variables resolve through `lookup`
//!   **first**, then through keys defined earlier in the file: compose-go gives
//!   the environment precedence (`OPTION_A=1`, `OPTION_B=$OPTION_A` gives `5`
//!   when the environment has `OPTION_A=5`).
//! * A key defined twice keeps the position of its first definition and takes
//!   the value (and line) of its last one; compose-go stores into a map, so the
//!   last value wins there too.
//!
//! Deliberate differences from compose-go:
//!
//! * A bare `KEY` on the last line without a final newline is a bare key like
//!   any other; compose-go stores it as an empty key whose value is `KEY`.
//! * Error lines/columns are computed from the error's position (compose-go's
//!   line counter drifts in some cases); an unterminated quote is reported at
//!   the opening quote; an interpolation error in a double-quoted value that
//!   contains a backslash is reported at the opening quote.
//! * "Letter" in keys is Rust's `char::is_alphabetic` (Unicode Alphabetic),
//!   slightly wider than Go's `unicode.IsLetter` (e.g. circled letters).
//! * Hardening: interpolation limits of [`crate::interpolate`] apply to each
//!   value, and [`MAX_TOTAL_BYTES`] bounds the whole file.
//!
//! [`parse_raw`] / [`parse_raw_with_lookup`] implement `format: raw`, which
//! docker compose registers with docker/cli's `kvfile` parser (the one behind
//! `docker run --env-file`); see their documentation.

use super::interpolate::interpolate;
use std::cell::Cell;
use std::collections::HashMap;
use std::fmt;

/// Most bytes [`parse`] produces as values, and most bytes of variable values
/// it looks up for interpolation, over the whole file (hardening, not in
/// compose-go: every value may be up to 1 MiB, so many short lines
/// referencing one big value could otherwise use unbounded memory or time).
pub const MAX_TOTAL_BYTES: usize = 64 << 20;

/// A parse error, with a 1-based line and a 1-based column (counted in
/// characters) inside the (BOM-stripped) source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotenvError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for DotenvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for DotenvError {}

/// One variable; `line` is the 1-based line of its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// Parse `src`. `lookup` resolves variables that are not defined earlier in the
/// same file (the process environment, typically). Earlier keys in the file take
/// part in interpolation of later values.
///
/// Note (compose-go): when both have a variable, `lookup` wins over an earlier
/// key of the file, and a bare `KEY` line is resolved through `lookup` only.
pub fn parse(
    src: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Entry>, DotenvError> {
    Parser {
        src: strip_bom(src),
        lookup,
        out: Collector::default(),
        lines: LineCounter::default(),
        produced: 0,
        lookup_budget: Cell::new(MAX_TOTAL_BYTES),
        over_budget: Cell::new(false),
    }
    .run()
}

/// `format: raw` without a lookup function: like [`parse_raw_with_lookup`]
/// with a lookup that knows no variable, so bare `KEY` lines are left out.
pub fn parse_raw(src: &str) -> Result<Vec<Entry>, DotenvError> {
    parse_raw_with_lookup(src, &|_| None)
}

/// `format: raw`, as docker compose implements it (docker/cli `kvfile`):
///
/// * a BOM at the start is skipped; each line loses a trailing `\r`;
/// * leading whitespace is removed; blank lines and lines starting with `#`
///   are ignored (there are no inline comments);
/// * `KEY=VALUE` splits at the first `=`; the value is kept exactly (quotes,
///   `$`, `#`, trailing whitespace); no `export`, no `:` separator, no
///   interpolation, no escapes, no multi-line values;
/// * a bare `KEY` takes its value from `lookup`, or is left out;
/// * an empty key, or a key with a space or tab, is an error; so is a line of
///   64 KiB or more (the `bufio.Scanner` limit);
/// * duplicates: first position, last value (as in [`parse`]).
///
/// docker/cli's main branch keeps quotes in raw values; an unmerged change
/// proposed stripping one matching pair, which this does not do.
pub fn parse_raw_with_lookup(
    src: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Entry>, DotenvError> {
    const MAX_LINE: usize = 64 * 1024 - 1;
    let src = strip_bom(src);
    let mut out = Collector::default();
    let mut line_start = 0;
    for (idx, raw_line) in src.split('\n').enumerate() {
        let line_no = idx + 1;
        let this_start = line_start;
        line_start += raw_line.len() + 1;
        if raw_line.len() > MAX_LINE {
            return Err(DotenvError {
                line: line_no,
                column: 1,
                message: "line is too long (64 KiB or more)".to_string(),
            });
        }
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let key_pos = this_start + (line.len() - trimmed.len());
        let (key, value) = match trimmed.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (trimmed, None),
        };
        if key.is_empty() {
            return Err(error_at(
                src,
                key_pos,
                // Not the line: what follows `=` may be a secret value.
                "no variable name before `=`".to_string(),
            ));
        }
        if let Some(ws) = key.find([' ', '\t']) {
            return Err(error_at(
                src,
                key_pos + ws,
                format!("variable '{key}' contains whitespaces"),
            ));
        }
        match value {
            Some(v) => out.set(key, v.to_string(), line_no),
            None => {
                if let Some(v) = lookup(key) {
                    out.set(key, v, line_no);
                }
            }
        }
    }
    Ok(out.entries)
}

fn strip_bom(src: &str) -> &str {
    src.strip_prefix('\u{feff}').unwrap_or(src)
}

/// 1-based line and column (in characters) of byte `pos` of `src`.
fn position(src: &str, pos: usize) -> (usize, usize) {
    let bytes = src.as_bytes();
    let before = bytes.get(..pos).unwrap_or(bytes);
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + before
        .get(line_start..)
        .unwrap_or(&[])
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count();
    (line, column)
}

fn error_at(src: &str, pos: usize, message: String) -> DotenvError {
    let (line, column) = position(src, pos);
    DotenvError {
        line,
        column,
        message,
    }
}

/// An interpolation error's message without the excerpt of the value it quotes (a value in an
/// env file may be secret; the location still points at it).
fn without_excerpt(message: String) -> String {
    const HEAD: &str = "invalid interpolation format in ";
    let Some(rest) = message.strip_prefix(HEAD) else {
        return message;
    };
    let tail = rest.find("; you may need").unwrap_or(rest.len());
    match rest[..tail].rfind("\": ") {
        Some(i) => format!("invalid interpolation format: {}", &rest[i + 3..]),
        None => message,
    }
}

/// The first line of `s`, for error messages.
fn first_line(s: &str) -> &str {
    s.split('\n').next().unwrap_or("")
}

/// Whitespace as compose-go's dotenv parser understands it inside a line
/// (its `isSpace`): no line feed.
fn is_line_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Characters compose-go accepts in a key (besides in-line whitespace).
fn is_key_char(c: char) -> bool {
    matches!(c, '_' | '.' | '-' | '[' | ']') || c.is_alphabetic() || c.is_numeric()
}

/// Entries in first-definition order, last value wins.
#[derive(Default)]
struct Collector {
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
}

impl Collector {
    fn set(&mut self, key: &str, value: String, line: usize) {
        if let Some(e) = self.index.get(key).and_then(|&i| self.entries.get_mut(i)) {
            e.value = value;
            e.line = line;
            return;
        }
        self.index.insert(key.to_string(), self.entries.len());
        self.entries.push(Entry {
            key: key.to_string(),
            value,
            line,
        });
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.index
            .get(key)
            .and_then(|&i| self.entries.get(i))
            .map(|e| e.value.as_str())
    }
}

/// Turns byte positions into line numbers, walking forward.
#[derive(Default)]
struct LineCounter {
    pos: usize,
    newlines: usize,
}

impl LineCounter {
    fn line_at(&mut self, bytes: &[u8], pos: usize) -> usize {
        if pos < self.pos {
            *self = LineCounter::default();
        }
        let seen = bytes.get(self.pos..pos).unwrap_or(&[]);
        self.newlines += seen.iter().filter(|&&b| b == b'\n').count();
        self.pos = pos;
        self.newlines + 1
    }
}

enum KeyEnd {
    /// `=` or `:` at this byte.
    Separator(usize),
    /// `\n` at this byte, or the end of input.
    Bare(usize),
}

struct Parser<'a> {
    src: &'a str,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    out: Collector,
    lines: LineCounter,
    /// Bytes of values produced so far.
    produced: usize,
    /// Bytes of variable values interpolation may still look up.
    lookup_budget: Cell<usize>,
    over_budget: Cell<bool>,
}

impl Parser<'_> {
    fn err(&self, pos: usize, message: String) -> DotenvError {
        error_at(self.src, pos, message)
    }

    /// Stores an entry, enforcing [`MAX_TOTAL_BYTES`].
    fn set(
        &mut self,
        key: &str,
        value: String,
        line: usize,
        pos: usize,
    ) -> Result<(), DotenvError> {
        self.produced = self.produced.saturating_add(value.len());
        if self.produced > MAX_TOTAL_BYTES {
            return Err(self.err(pos, "values exceed 64 MiB in total".to_string()));
        }
        self.out.set(key, value, line);
        Ok(())
    }

    fn rest(&self, pos: usize) -> &str {
        self.src.get(pos..).unwrap_or("")
    }

    fn run(mut self) -> Result<Vec<Entry>, DotenvError> {
        let mut pos = 0;
        loop {
            pos = self.statement_start(pos);
            if pos >= self.src.len() {
                return Ok(self.out.entries);
            }
            pos = self.statement(pos)?;
        }
    }

    /// Skips whitespace (line feeds included) and `#` comment lines.
    fn statement_start(&self, mut pos: usize) -> usize {
        loop {
            let rest = self.rest(pos);
            let trimmed = rest.trim_start();
            pos += rest.len() - trimmed.len();
            if !trimmed.starts_with('#') {
                return pos;
            }
            match trimmed.find('\n') {
                Some(nl) => pos += nl,
                None => return self.src.len(),
            }
        }
    }

    /// Parses one statement starting at `pos`; returns where parsing goes on.
    fn statement(&mut self, mut pos: usize) -> Result<usize, DotenvError> {
        let rest = self.rest(pos);
        if let Some(after) = rest.strip_prefix("export") {
            // compose-go: `^export\s+` (RE2 `\s` is `[\t\n\f\r ]`).
            if after
                .bytes()
                .next()
                .is_some_and(|b| matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' '))
            {
                let trimmed = after.trim_start_matches(is_line_space);
                if trimmed.is_empty() {
                    return Err(
                        self.err(pos, "expected a variable name after \"export\"".to_string())
                    );
                }
                pos = self.src.len() - trimmed.len();
            }
        }

        let key_start = pos;
        let key_src = self.rest(key_start);
        let mut end = KeyEnd::Bare(self.src.len());
        for (off, c) in key_src.char_indices() {
            match c {
                '=' | ':' => {
                    end = KeyEnd::Separator(key_start + off);
                    break;
                }
                '\n' => {
                    end = KeyEnd::Bare(key_start + off);
                    break;
                }
                c if is_line_space(c) || is_key_char(c) => {}
                c => {
                    return Err(self.err(
                        key_start + off,
                        format!(
                            "unexpected character {:?} in variable name {:?}",
                            c.to_string(),
                            first_line(key_src)
                        ),
                    ))
                }
            }
        }
        let key_end = match end {
            KeyEnd::Separator(i) | KeyEnd::Bare(i) => i,
        };
        let key = self.src.get(key_start..key_end).unwrap_or("").trim_end();
        if let Some(sp) = key.find(' ') {
            return Err(self.err(key_start + sp, "key cannot contain a space".to_string()));
        }
        let line = self.lines.line_at(self.src.as_bytes(), key_start);

        match end {
            KeyEnd::Bare(i) => {
                // compose-go treats a bare key at the very end of the input
                // (no final newline) as an empty key whose value is the key's
                // text; here it is a bare key like on any other line.
                if let Some(v) = (self.lookup)(key) {
                    self.set(key, v, line, key_start)?;
                }
                Ok(i + 1)
            }
            KeyEnd::Separator(i) => {
                let after = self.rest(i + 1);
                let value_start = self.src.len() - after.trim_start_matches(is_line_space).len();
                let (value, next) = self.value(value_start)?;
                self.set(key, value, line, key_start)?;
                Ok(next)
            }
        }
    }

    /// Reads the value starting at `start`; returns it and where parsing goes on.
    fn value(&self, start: usize) -> Result<(String, usize), DotenvError> {
        let bytes = self.src.as_bytes();
        let quote = match bytes.get(start).copied() {
            Some(q @ (b'\'' | b'"')) => q,
            _ => return self.unquoted(start),
        };

        let mut content: Vec<u8> = Vec::new();
        let mut escaped = false;
        let mut saw_backslash = false;
        let mut j = start + 1;
        let close = loop {
            let Some(&b) = bytes.get(j) else {
                return Err(self.err(
                    start,
                    // Not the value itself, which may be secret.
                    format!("unterminated quoted value: no closing {}", quote as char),
                ));
            };
            if b == quote && !escaped {
                break j;
            }
            if b == quote {
                // `\"` in "..." or `\'` in '...': the quote alone.
                escaped = false;
                content.push(b);
            } else if b == b'\\' && !escaped {
                escaped = true;
                saw_backslash = true;
            } else {
                if escaped {
                    escaped = false;
                    content.push(b'\\');
                }
                content.push(b);
            }
            j += 1;
        };
        // Only ASCII backslashes were dropped, so this is still UTF-8.
        let content = String::from_utf8(content)
            .map_err(|_| self.err(start, "quoted value is not valid UTF-8".to_string()))?;
        if quote == b'\'' {
            return Ok((content, close + 1));
        }
        let expanded = expand_escapes(&content);
        let value = self.interpolate(&expanded, |off| {
            if saw_backslash {
                // Escapes moved things around: point at the opening quote.
                start
            } else {
                start + 1 + off
            }
        })?;
        Ok((value, close + 1))
    }

    fn unquoted(&self, start: usize) -> Result<(String, usize), DotenvError> {
        let rest = self.rest(start);
        let (line, next) = match rest.find('\n') {
            Some(nl) => (rest.get(..nl).unwrap_or(""), start + nl + 1),
            None => (rest, self.src.len()),
        };
        // compose-go cuts at the first " #" (space, hash) only.
        let line = line.split(" #").next().unwrap_or("");
        let value = line.trim_end();
        let value = self.interpolate(value, |off| start + off)?;
        Ok((value, next))
    }

    fn interpolate(
        &self,
        text: &str,
        map_offset: impl Fn(usize) -> usize,
    ) -> Result<String, DotenvError> {
        let resolve = |name: &str| -> Option<String> {
            if self.over_budget.get() {
                return None;
            }
            let value = (self.lookup)(name).or_else(|| self.out.get(name).map(str::to_string));
            let len = value.as_ref().map_or(0, String::len);
            match self.lookup_budget.get().checked_sub(len) {
                Some(left) => {
                    self.lookup_budget.set(left);
                    value
                }
                None => {
                    self.over_budget.set(true);
                    None
                }
            }
        };
        let result = interpolate(text, &resolve)
            .map(|r| r.value)
            .map_err(|e| self.err(map_offset(e.offset), without_excerpt(e.message)))?;
        if self.over_budget.get() {
            return Err(self.err(
                map_offset(0),
                "variable values looked up exceed 64 MiB in total".to_string(),
            ));
        }
        Ok(result)
    }
}

/// Expands the escapes compose-go recognises in double-quoted values:
/// `\a \b \f \n \r \t \v \\ \"`, `\$` (to `$$`, which interpolation turns into
/// a literal `$`) and `\0` followed by three octal digits (value at most 255,
/// giving that code point). When `\0` and its digits (up to three) do not
/// form such an escape, compose-go drops the `0` and keeps the rest (`\0` gives
/// `\`, `\012` gives `\12`). Every other backslash is kept as written.
fn expand_escapes(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut lit = 0;
    let mut i = 0;
    while let Some(rel) = bytes
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'\\'))
    {
        let bs = i + rel;
        let simple = match bytes.get(bs + 1).copied() {
            Some(b'a') => Some("\u{7}"),
            Some(b'b') => Some("\u{8}"),
            Some(b'f') => Some("\u{c}"),
            Some(b'n') => Some("\n"),
            Some(b'r') => Some("\r"),
            Some(b't') => Some("\t"),
            Some(b'v') => Some("\u{b}"),
            Some(b'\\') => Some("\\"),
            Some(b'"') => Some("\""),
            Some(b'$') => Some("$$"),
            _ => None,
        };
        if let Some(rep) = simple {
            out.push_str(s.get(lit..bs).unwrap_or(""));
            out.push_str(rep);
            i = bs + 2;
            lit = i;
            continue;
        }
        if bytes.get(bs + 1) == Some(&b'0') {
            // `\0` and up to three digits form one unit: converted, or written
            // back without the `0`.
            let digits: Vec<u8> = bytes
                .get(bs + 2..)
                .unwrap_or(&[])
                .iter()
                .take(3)
                .take_while(|b| b.is_ascii_digit())
                .copied()
                .collect();
            let end = bs + 2 + digits.len();
            let octal = (digits.len() == 3 && digits.iter().all(|d| (b'0'..=b'7').contains(d)))
                .then(|| {
                    digits
                        .iter()
                        .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'))
                })
                .filter(|&v| v <= 0xFF)
                .and_then(char::from_u32);
            out.push_str(s.get(lit..bs).unwrap_or(""));
            match octal {
                Some(c) => out.push(c),
                None => {
                    out.push('\\');
                    out.push_str(s.get(bs + 2..end).unwrap_or(""));
                }
            }
            i = end;
            lit = end;
            continue;
        }
        i = bs + 1;
    }
    out.push_str(s.get(lit..).unwrap_or(""));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn parse_with(src: &str, env: &[(&str, &str)]) -> Result<Vec<Entry>, DotenvError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(src, &|k| env.get(k).cloned())
    }

    fn pairs(entries: &[Entry]) -> Vec<(&str, &str)> {
        entries
            .iter()
            .map(|e| (e.key.as_str(), e.value.as_str()))
            .collect()
    }

    /// Value of `key` after parsing `src` with an empty environment.
    fn value(src: &str, key: &str) -> String {
        let entries = match parse(src, &no_env) {
            Ok(e) => e,
            Err(e) => panic!("parse error for {src:?}: {e}"),
        };
        match entries.into_iter().find(|e| e.key == key) {
            Some(e) => e.value,
            None => panic!("{key:?} not found in {src:?}"),
        }
    }

    fn error(src: &str) -> DotenvError {
        match parse(src, &no_env) {
            Ok(e) => panic!("expected an error for {src:?}, got {e:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn blank_lines_and_comment_lines_are_ignored() {
        let src = "\n# comment\n   \n\t # indented comment\nA=1\n\n#B=2\n\r\n";
        assert_eq!(pairs(&parse(src, &no_env).unwrap()), vec![("A", "1")]);
        assert!(parse("", &no_env).unwrap().is_empty());
        assert!(parse("# only a comment", &no_env).unwrap().is_empty());
        assert!(parse("\t\t ", &no_env).unwrap().is_empty());
    }

    #[test]
    fn export_prefix_is_stripped() {
        assert_eq!(value("export OPTION_A=2", "OPTION_A"), "2");
        assert_eq!(value("export\tOPTION_A=2", "OPTION_A"), "2");
        assert_eq!(value("  export OPTION_A=2", "OPTION_A"), "2");
        assert_eq!(value("export exportFoo=2", "exportFoo"), "2");
        assert_eq!(
            value(r#"export OPTION_A="export A""#, "OPTION_A"),
            "export A"
        );
    }

    #[test]
    fn export_without_whitespace_is_part_of_the_key() {
        assert_eq!(value("exportFOO=2", "exportFOO"), "2");
        assert_eq!(value("export_FOO =2", "export_FOO"), "2");
        assert_eq!(value("export.FOO= 2", "export.FOO"), "2");
        assert_eq!(value("export=1", "export"), "1");
    }

    #[test]
    fn export_followed_by_nothing_is_error() {
        let e = error("A=1\nexport ");
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn equals_separates_key_and_value() {
        assert_eq!(value("FOO=bar", "FOO"), "bar");
        assert_eq!(value("FOO=foobar=", "FOO"), "foobar=");
        assert_eq!(value("OPTION_A=1:B", "OPTION_A"), "1:B");
    }

    #[test]
    fn colon_yaml_style_separator_is_accepted() {
        assert_eq!(value("OPTION_A: 1", "OPTION_A"), "1");
        assert_eq!(value("OPTION_A: Foo=bar", "OPTION_A"), "Foo=bar");
        assert_eq!(value("OPTION_A:x", "OPTION_A"), "x");
    }

    #[test]
    fn whitespace_around_key_and_separator_is_ignored() {
        assert_eq!(value("FOO =bar", "FOO"), "bar");
        assert_eq!(value("FOO= bar", "FOO"), "bar");
        assert_eq!(value(" KEY =value", "KEY"), "value");
        assert_eq!(value("\tKEY\t=\tvalue", "KEY"), "value");
        assert_eq!(value("THREE = \"3\"", "THREE"), "3");
    }

    #[test]
    fn unquoted_value_is_trimmed() {
        assert_eq!(value("FOO=bar ", "FOO"), "bar");
        assert_eq!(value("FOO= my string \t", "FOO"), "my string");
    }

    #[test]
    fn inline_comment_after_space_is_removed() {
        assert_eq!(value("FOO=bar # this is foo", "FOO"), "bar");
        assert_eq!(value("FOO=bar #this is foo", "FOO"), "bar");
        assert_eq!(value("FOO=bar #", "FOO"), "bar");
        assert_eq!(value("FOO=a #b #c", "FOO"), "a");
    }

    #[test]
    fn hash_without_preceding_space_is_kept() {
        assert_eq!(
            value("FOO=123#not-an-inline-comment", "FOO"),
            "123#not-an-inline-comment"
        );
        // compose-go only recognises " #": a tab before `#` does not count.
        assert_eq!(value("FOO=bar\t# x", "FOO"), "bar\t# x");
    }

    #[test]
    fn value_starting_with_hash_is_kept() {
        // Whitespace after `=` is skipped before the comment check.
        assert_eq!(value("FOO=#bar", "FOO"), "#bar");
        assert_eq!(value("FOO= # not a comment", "FOO"), "# not a comment");
    }

    #[test]
    fn unquoted_value_keeps_backslashes_and_inner_quotes() {
        assert_eq!(value(r"FOO=a\tb", "FOO"), r"a\tb");
        assert_eq!(value(r#"FOO=bar"baz""#, "FOO"), r#"bar"baz""#);
        assert_eq!(value("FOO=it's", "FOO"), "it's");
    }

    #[test]
    fn empty_value_is_empty_string() {
        let got = parse("A=\nB:\nC= \nD=\"\"\nE=''\nF=", &no_env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("A", ""),
                ("B", ""),
                ("C", ""),
                ("D", ""),
                ("E", ""),
                ("F", "")
            ]
        );
    }

    #[test]
    fn single_quoted_value_is_literal() {
        assert_eq!(value(r"FOO='a\nb'", "FOO"), r"a\nb");
        assert_eq!(
            value("FOO='quote $BAR ${X:?boom}'", "FOO"),
            "quote $BAR ${X:?boom}"
        );
        assert_eq!(value(r"FOO='a\\b'", "FOO"), r"a\\b");
        assert_eq!(value(r#"FOO='a\"b'"#, "FOO"), r#"a\"b"#);
        assert_eq!(value("FOO='echo \"asd\"'", "FOO"), "echo \"asd\"");
    }

    #[test]
    fn single_quoted_value_unescapes_single_quote() {
        assert_eq!(value(r"OPTION_K='Let\'s go!'", "OPTION_K"), "Let's go!");
    }

    #[test]
    fn single_quoted_value_may_span_lines() {
        let src = "OPTION_J = 'first line\nsecond line\nthird line\nand so on'\nNEXT=1";
        let got = parse(src, &no_env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("OPTION_J", "first line\nsecond line\nthird line\nand so on"),
                ("NEXT", "1")
            ]
        );
        assert_eq!(got[1].line, 5);
    }

    #[test]
    fn double_quoted_value_expands_escapes() {
        assert_eq!(
            value(r#"KEY="Z\aZ\bZ\fZ\nZ\rZ\tZ\vZ\\Z\0123Z""#, "KEY"),
            "Z\u{7}Z\u{8}Z\u{c}Z\nZ\rZ\tZ\u{b}Z\\ZSZ"
        );
        assert_eq!(value(r#"FOO="escaped\"bar""#, "FOO"), "escaped\"bar");
        assert_eq!(value(r#"FOO="\"quoted\"""#, "FOO"), "\"quoted\"");
        assert_eq!(value(r#"FOO="bar\\\n\ b\az""#, "FOO"), "bar\\\n\\ b\u{7}z");
        assert_eq!(value(r#"FOO="bar\\r\ b\az""#, "FOO"), "bar\\r\\ b\u{7}z");
        assert_eq!(value(r#"FOO="bar\nbaz\\""#, "FOO"), "bar\nbaz\\");
    }

    #[test]
    fn double_quoted_value_keeps_unknown_escapes() {
        assert_eq!(value(r#"KEY="\x07""#, "KEY"), r"\x07");
        assert_eq!(value(r#"KEY="\u12e4""#, "KEY"), r"\u12e4");
        assert_eq!(value(r#"KEY="\U00101234""#, "KEY"), r"\U00101234");
        assert_eq!(value(r#"KEY="\c\q\'""#, "KEY"), r"\c\q\'");
        assert_eq!(value(r#"KEY="a\ b""#, "KEY"), r"a\ b");
    }

    #[test]
    fn double_quoted_octal_escape_needs_three_octal_digits() {
        assert_eq!(value(r#"KEY="\0123""#, "KEY"), "S");
        assert_eq!(value(r#"KEY="\01234""#, "KEY"), "S4");
        assert_eq!(value(r#"KEY="\0012""#, "KEY"), "\n");
        assert_eq!(value(r#"KEY="\0377""#, "KEY"), "\u{ff}");
        // Not an escape: compose-go drops the `0` and keeps the rest.
        assert_eq!(value(r#"KEY="\0""#, "KEY"), r"\");
        assert_eq!(value(r#"KEY="\0x""#, "KEY"), r"\x");
        assert_eq!(value(r#"KEY="\012""#, "KEY"), r"\12");
        assert_eq!(value(r#"KEY="\0128""#, "KEY"), r"\128");
        assert_eq!(value(r#"KEY="\0400""#, "KEY"), r"\400");
        assert_eq!(value(r#"KEY="\0\n""#, "KEY"), "\\\n");
    }

    #[test]
    fn double_quoted_escaped_dollar_is_not_interpolated() {
        let env = &[("BAR", "x"), ("FOO", "test")];
        let got = parse_with(r#"A="foo\$BAR""#, env).unwrap();
        assert_eq!(got[0].value, "foo$BAR");
        let got = parse_with(r#"A="foo\${BAR}""#, env).unwrap();
        assert_eq!(got[0].value, "foo${BAR}");
        let got = parse_with("BAR=\"foo\\${FOO} ${FOO}\"", env).unwrap();
        assert_eq!(got[0].value, "foo${FOO} test");
        // `$$` is the other way to write a literal `$`.
        assert_eq!(value("A=$$HOME", "A"), "$HOME");
    }

    #[test]
    fn double_quoted_value_may_span_lines() {
        let src = "TEST_URLS=\"stratum+tcp://a:3333\nstratum+tcp://b:443\"\nX=1";
        let got = parse(src, &no_env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("TEST_URLS", "stratum+tcp://a:3333\nstratum+tcp://b:443"),
                ("X", "1")
            ]
        );
        assert_eq!((got[0].line, got[1].line), (1, 3));
    }

    #[test]
    fn quoted_value_may_contain_hash_and_other_quote() {
        assert_eq!(value(r#"FOO="bar#baz""#, "FOO"), "bar#baz");
        assert_eq!(value("FOO='ba#r'", "FOO"), "ba#r");
        assert_eq!(value(r#"FOO="'d'""#, "FOO"), "'d'");
        assert_eq!(value(r#"FOO="bar #baz""#, "FOO"), "bar #baz");
    }

    #[test]
    fn comment_after_closing_quote_is_ignored() {
        assert_eq!(value(r#"FOO="bar#baz" # comment"#, "FOO"), "bar#baz");
        assert_eq!(value(r##"FOO="bar#baz"#"##, "FOO"), "bar#baz");
        assert_eq!(value("FOO='bar#baz' # comment", "FOO"), "bar#baz");
        assert_eq!(
            value("OPTION_I = \"echo 'asd'\" # Inline comment", "OPTION_I"),
            "echo 'asd'"
        );
    }

    #[test]
    fn text_after_closing_quote_starts_a_new_statement() {
        // compose-go quirk: the rest of the line is parsed as another statement.
        let got = parse(r#"A="x" B=y"#, &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", "x"), ("B", "y")]);
        let e = error("A='x' 'y'");
        assert_eq!((e.line, e.column), (1, 7));
    }

    #[test]
    fn unterminated_quote_is_error_with_line_and_column() {
        for src in [
            r#"KEY=""#,
            r#"KEY="value"#,
            r#"KEY="value\""#,
            r#"KEY="value'"#,
            "KEY='",
            "KEY='value",
            r"KEY='value\'",
            r#"KEY='value""#,
        ] {
            let e = error(src);
            assert!(
                e.message.starts_with("unterminated quoted value"),
                "{src}: {e}"
            );
            assert_eq!((e.line, e.column), (1, 5), "{src}");
        }
        let e = error("A=1\n  B = \"never\nclosed\n");
        assert_eq!((e.line, e.column), (2, 7));
        assert_eq!(e.message, "unterminated quoted value: no closing \"");
    }

    #[test]
    fn unquoted_value_is_interpolated() {
        let got = parse_with("A=${X}-$X-${Y:-dflt}", &[("X", "ex")]).unwrap();
        assert_eq!(got[0].value, "ex-ex-dflt");
    }

    #[test]
    fn double_quoted_value_is_interpolated() {
        let got = parse_with("FOO=test\nBAR=\"quote $FOO ${NOPE:-d}\"", &[]).unwrap();
        assert_eq!(got[1].value, "quote test d");
    }

    #[test]
    fn earlier_keys_take_part_in_interpolation() {
        let src = "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_C=$OPTION_B\nOPTION_D=${OPTION_A}_${OPTION_B}\nOPTION_E=${OPTION_NOT_DEFINED}";
        let got = parse(src, &no_env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("OPTION_A", "1"),
                ("OPTION_B", "1"),
                ("OPTION_C", "1"),
                ("OPTION_D", "1_1"),
                ("OPTION_E", "")
            ]
        );
    }

    #[test]
    fn lookup_takes_precedence_over_earlier_keys_in_interpolation() {
        // compose-go TestSubstitutionsWithEnvFilePrecedence.
        let src = "OPTION_A=1\nOPTION_B=${OPTION_A}\nOPTION_D=${OPTION_A}_${OPTION_B}";
        let got = parse_with(src, &[("OPTION_A", "5")]).unwrap();
        assert_eq!(
            pairs(&got),
            vec![("OPTION_A", "1"), ("OPTION_B", "5"), ("OPTION_D", "5_5")]
        );
        let src = "OPTION_A=${OPTION_A:-1}\nOPTION_B=${OPTION_A}";
        let got = parse_with(src, &[("OPTION_A", "5")]).unwrap();
        assert_eq!(pairs(&got), vec![("OPTION_A", "5"), ("OPTION_B", "5")]);
        let got = parse(src, &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("OPTION_A", "1"), ("OPTION_B", "1")]);
    }

    #[test]
    fn later_keys_are_not_visible_to_earlier_values() {
        let got = parse("A=$B\nB=1", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", ""), ("B", "1")]);
    }

    #[test]
    fn single_quoted_earlier_key_is_used_verbatim_in_interpolation() {
        let got = parse("A='$x'\nB=${A}", &no_env).unwrap();
        assert_eq!(got[1].value, "$x");
    }

    #[test]
    fn interpolation_error_reports_line_and_column_of_dollar() {
        let e = error("A=1\nB=x ${NOPE:?please set NOPE}\n");
        assert_eq!((e.line, e.column), (2, 5));
        assert_eq!(
            e.message,
            "required variable NOPE is missing a value: please set NOPE"
        );
        let e = error("A=1\nB=\"x ${NOPE:?m}\"");
        assert_eq!((e.line, e.column), (2, 6));
        let e = error("A=1\nB=\"\\t ${NOPE:?m}\"");
        assert_eq!(
            (e.line, e.column),
            (2, 3),
            "after escapes: the opening quote"
        );
        let e = error("A=${B.C}");
        assert_eq!((e.line, e.column), (1, 3));
        assert!(e.message.contains("invalid interpolation format"));
    }

    /// A value may be secret: an interpolation error says why, not what the value holds.
    #[test]
    fn interpolation_error_does_not_quote_the_value() {
        let e = error("PASSWORD=${X:-hunter2\n");
        assert_eq!(
            e.message,
            "invalid interpolation format: unterminated \"${\" (no closing \"}\" on the same line); you may need to escape any $ with another $"
        );
        let e = error("A=${B.C\": x}");
        assert!(
            e.message.starts_with("invalid interpolation format: "),
            "{e}"
        );
        assert!(!e.message.contains("B.C"), "{e}");
    }

    #[test]
    fn inline_comment_is_removed_before_interpolation() {
        // So a " #" inside an expression cuts it (as in compose-go).
        assert_eq!(value("A=${X:-a} # c", "A"), "a");
        let e = error("A=${X:-a #b}");
        assert!(e.message.contains("invalid interpolation format"));
    }

    #[test]
    fn bare_key_takes_value_from_lookup() {
        let env = &[("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE")];
        let got = parse_with("foo=bar\nVAR_TO_BE_LOADED_FROM_OS_ENV\nbar=baz\n", env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("foo", "bar"),
                ("VAR_TO_BE_LOADED_FROM_OS_ENV", "SOME_RANDOM_VALUE"),
                ("bar", "baz")
            ]
        );
        assert_eq!(got[1].line, 2);
    }

    #[test]
    fn bare_key_missing_from_lookup_is_left_out() {
        let got = parse("VARIABLE_NOT_FOUND\nA=1\n", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", "1")]);
    }

    #[test]
    fn bare_key_is_resolved_by_lookup_only() {
        // An earlier key of the file does not count for a bare key.
        let got = parse("A=1\nA\n", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", "1")]);
        let got = parse_with("A=1\nA\n", &[("A", "env")]).unwrap();
        assert_eq!(pairs(&got), vec![("A", "env")]);
    }

    #[test]
    fn bare_key_at_end_of_file_uses_lookup() {
        // Deviation: compose-go would store key "" with value "LAST".
        let got = parse_with("A=1\nLAST", &[("LAST", "v")]).unwrap();
        assert_eq!(pairs(&got), vec![("A", "1"), ("LAST", "v")]);
        let got = parse("A=1\nLAST  ", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", "1")]);
    }

    #[test]
    fn key_with_space_is_error() {
        let e =
            error("# some comments\nfoo=\"\n  a\n  multine\n  value\n\"\nINVALID LINE\nzot=qix");
        assert_eq!(e.message, "key cannot contain a space");
        assert_eq!((e.line, e.column), (7, 8));
        let e = error("MY KEY=1");
        assert_eq!((e.line, e.column), (1, 3));
    }

    #[test]
    fn invalid_key_character_is_error_with_line_and_column() {
        let e = error("lol$wut");
        assert_eq!((e.line, e.column), (1, 4));
        assert_eq!(
            e.message,
            r#"unexpected character "$" in variable name "lol$wut""#
        );
        let e = error("A=1\n\n%!(EXTRA string)=foo");
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(
            e.message,
            r#"unexpected character "%" in variable name "%!(EXTRA string)=foo""#
        );
        // A comment after a bare key is not allowed either.
        let e = error("FOO # comment\n");
        assert_eq!((e.line, e.column), (1, 5));
        let e = error("'A'=1");
        assert_eq!((e.line, e.column), (1, 1));
    }

    #[test]
    fn keys_may_contain_dots_hyphens_brackets_digits_and_unicode() {
        let src = "a=b\na[1]=c\na.propertyKey=d\nárvíztűrő-TÜKÖRFÚRÓGÉP=ÁRVÍZTŰRŐ-tükörfúrógép\nVAR-WITH-DASHES=dashes\n456 = ABC\n";
        let got = parse(src, &no_env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("a", "b"),
                ("a[1]", "c"),
                ("a.propertyKey", "d"),
                ("árvíztűrő-TÜKÖRFÚRÓGÉP", "ÁRVÍZTŰRŐ-tükörfúrógép"),
                ("VAR-WITH-DASHES", "dashes"),
                ("456", "ABC")
            ]
        );
    }

    #[test]
    fn empty_key_is_accepted_like_compose() {
        assert_eq!(value(r#"="value""#, ""), "value");
    }

    #[test]
    fn duplicate_key_keeps_first_position_and_last_value() {
        let got = parse("A=1\nB=2\nA=3\n", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", "3"), ("B", "2")]);
        assert_eq!(got[0].line, 3);
        // The earlier value is what later lines see until it is redefined.
        let got = parse("A=1\nB=$A\nA=2\nC=$A", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("A", "2"), ("B", "1"), ("C", "2")]);
    }

    #[test]
    fn bom_is_skipped() {
        let got = parse("\u{feff}OPTION_A=1\nOPTION_B=2", &no_env).unwrap();
        assert_eq!(pairs(&got), vec![("OPTION_A", "1"), ("OPTION_B", "2")]);
        let e = error("\u{feff}A$=1");
        assert_eq!((e.line, e.column), (1, 2));
    }

    #[test]
    fn crlf_line_endings_are_accepted() {
        let src = "A=1\r\nB = two \r\nC=\"3\"\r\n# c\r\nD='4' # x\r\nE\r\nF=\r\n";
        let got = parse_with(src, &[("E", "e")]).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("A", "1"),
                ("B", "two"),
                ("C", "3"),
                ("D", "4"),
                ("E", "e"),
                ("F", "")
            ]
        );
        let lines: Vec<usize> = got.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![1, 2, 3, 5, 6, 7]);
    }

    #[test]
    fn crlf_inside_quoted_value_is_kept() {
        assert_eq!(value("A=\"x\r\ny\"\r\n", "A"), "x\r\ny");
    }

    #[test]
    fn entries_come_back_in_file_order_with_line_numbers() {
        let src = "OPTION_A=1\nOPTION_B=2\nOPTION_C= 3\nOPTION_D =4\nOPTION_E = 5\nOPTION_F = \nOPTION_G=\nOPTION_H = my string # Inline comment\n";
        let got = parse(src, &no_env).unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("OPTION_A", "1"),
                ("OPTION_B", "2"),
                ("OPTION_C", "3"),
                ("OPTION_D", "4"),
                ("OPTION_E", "5"),
                ("OPTION_F", ""),
                ("OPTION_G", ""),
                ("OPTION_H", "my string")
            ]
        );
        let lines: Vec<usize> = got.iter().map(|e| e.line).collect();
        assert_eq!(lines, (1..=8).collect::<Vec<_>>());
        assert_eq!(parse(src, &no_env), parse(src, &no_env));
    }

    #[test]
    fn error_display_includes_line_and_column() {
        let e = error("A=1\nB C=2");
        assert_eq!(
            e.to_string(),
            "line 2, column 2: key cannot contain a space"
        );
    }

    #[test]
    fn values_over_64_mib_in_total_are_error() {
        let big = format!("BIG='{}'\n", "x".repeat(1 << 20));
        let src = big.clone() + &"K=$BIG\n".repeat(63);
        assert_eq!(parse(&src, &no_env).unwrap().len(), 2);
        let src = big.clone() + &(0..64).map(|i| format!("K{i}=$BIG\n")).collect::<String>();
        let e = parse(&src, &no_env).unwrap_err();
        assert_eq!(e.message, "values exceed 64 MiB in total");
        assert_eq!(e.line, 65);
    }

    #[test]
    fn lookups_over_64_mib_in_total_are_error() {
        let big = format!("BIG='{}'\n", "x".repeat(1 << 20));
        let src = big + &"K=${BIG:+y}${BIG:+y}\n".repeat(40);
        let e = parse(&src, &no_env).unwrap_err();
        assert_eq!(
            e.message,
            "variable values looked up exceed 64 MiB in total"
        );
        // 64 lookups of 1 MiB fit (lines 2 to 33); line 34 goes over.
        assert_eq!((e.line, e.column), (34, 3));
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let inputs = [
            "=".repeat(10_000),
            "\"".repeat(10_001),
            "'\\".repeat(5_000),
            "A=\"".to_string() + &"\\".repeat(10_001),
            "A=".to_string() + &"${".repeat(10_000),
            "export".repeat(1_000),
            "export \n".repeat(1_000),
            "A=\"\\0".to_string(),
            "A=\"\\07\"".to_string(),
            "\u{feff}\u{feff}=1".to_string(),
            "é=\"\\0é\"\nü".to_string(),
            "\r\r\r=\r".to_string(),
            "A:B:C=D\nE".to_string(),
        ];
        for i in &inputs {
            let _ = parse(i, &no_env);
            let _ = parse_raw(i);
        }
        let many: String = (0..20_000)
            .map(|i| format!("K{i}=${{K{}}}x\n", i / 2))
            .collect();
        assert_eq!(parse(&many, &no_env).unwrap().len(), 20_000);
    }

    // ---- format: raw ----

    fn raw(src: &str) -> Vec<(String, String)> {
        match parse_raw(src) {
            Ok(e) => e.into_iter().map(|e| (e.key, e.value)).collect(),
            Err(e) => panic!("raw parse error for {src:?}: {e}"),
        }
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn raw_value_is_taken_literally() {
        assert_eq!(
            raw("A=\"quoted\"\nB='single'\nC=$HOME ${X:?no}\nD=a # not a comment\nE=trailing  \nF=x=y\nG=\\n"),
            kv(&[
                ("A", "\"quoted\""),
                ("B", "'single'"),
                ("C", "$HOME ${X:?no}"),
                ("D", "a # not a comment"),
                ("E", "trailing  "),
                ("F", "x=y"),
                ("G", "\\n")
            ])
        );
    }

    #[test]
    fn raw_skips_blank_and_comment_lines_and_leading_whitespace() {
        assert_eq!(
            raw("foo=bar\n    baz=quux\n# comment\n\n_foobar=foobaz\nwith.dots=working\nand_underscore=working too\n\n    \t  "),
            kv(&[
                ("foo", "bar"),
                ("baz", "quux"),
                ("_foobar", "foobaz"),
                ("with.dots", "working"),
                ("and_underscore", "working too")
            ])
        );
        assert!(raw("").is_empty());
    }

    #[test]
    fn raw_value_keeps_leading_whitespace_after_equals() {
        assert_eq!(raw("A= x"), kv(&[("A", " x")]));
    }

    #[test]
    fn raw_bare_key_uses_lookup_or_is_left_out() {
        let src = "# comment=\nVAR=VAR_VALUE\nEMPTY_VAR=\nUNDEFINED_VAR\nDEFINED_VAR\n";
        let got = parse_raw_with_lookup(src, &|k| {
            (k == "DEFINED_VAR").then(|| "defined-value".to_string())
        })
        .unwrap();
        assert_eq!(
            pairs(&got),
            vec![
                ("VAR", "VAR_VALUE"),
                ("EMPTY_VAR", ""),
                ("DEFINED_VAR", "defined-value")
            ]
        );
        assert_eq!(got[2].line, 5);
        assert_eq!(raw("UNDEFINED_VAR"), kv(&[]));
    }

    #[test]
    fn raw_key_with_whitespace_is_error() {
        let e = parse_raw("foo=bar\n    f   =quux\n").unwrap_err();
        assert_eq!(e.message, "variable 'f   ' contains whitespaces");
        assert_eq!((e.line, e.column), (2, 6));
        let e = parse_raw("first line\nanother invalid line").unwrap_err();
        assert_eq!(e.message, "variable 'first line' contains whitespaces");
        // `export` is not special in raw files.
        assert!(parse_raw("export A=1").is_err());
    }

    #[test]
    fn raw_empty_key_is_error() {
        let e = parse_raw("# comment=\n=blank variable names are an error case\n").unwrap_err();
        // compose-go quotes the line; ferry does not, as what follows `=` may be secret.
        assert_eq!(e.message, "no variable name before `=`");
        assert_eq!((e.line, e.column), (2, 1));
    }

    #[test]
    fn raw_colon_is_part_of_the_key() {
        assert_eq!(raw("A:1=x"), kv(&[("A:1", "x")]));
    }

    #[test]
    fn raw_bom_and_crlf_are_accepted() {
        assert_eq!(
            raw("\u{feff}A=1\r\nB=2 \r\n\r\nC=\"q\"\r\n"),
            kv(&[("A", "1"), ("B", "2 "), ("C", "\"q\"")])
        );
    }

    #[test]
    fn raw_duplicate_key_keeps_first_position_and_last_value() {
        assert_eq!(raw("A=1\nB=2\nA=3"), kv(&[("A", "3"), ("B", "2")]));
    }

    #[test]
    fn raw_line_of_64_kib_or_more_is_error() {
        let ok_line = format!("A={}", "x".repeat(64 * 1024 - 3));
        assert_eq!(parse_raw(&ok_line).unwrap().len(), 1);
        let long = format!("A={}", "x".repeat(64 * 1024 - 2));
        let e = parse_raw(&format!("B=1\n{long}\n")).unwrap_err();
        assert_eq!(e.line, 2);
    }
}
