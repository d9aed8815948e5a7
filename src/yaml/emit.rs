//! Block-style YAML emitter for `serde_json::Value`.
//!
//! The output is read back as exactly the same value by YAML 1.1 readers
//! (go-yaml v2 / sigs.k8s.io/yaml as used by kubectl, PyYAML, libyaml) and by
//! YAML 1.2 readers. Object key order is kept as given (serde_json's
//! `preserve_order`).
//!
//! Layout: 2-space indentation, sequences indented under their key
//! (`key:\n  - a`), maps and lists inside list items in compact form
//! (`- name: a\n  image: b`), empty containers as `{}` / `[]`, multi-line
//! strings as literal block scalars where that is faithful, and every other
//! string plain when a plain scalar reads back as the same string under both
//! YAML 1.1 and 1.2, double-quoted otherwise.

use serde_json::{Map, Number, Value};

/// Indentation step, in spaces.
const STEP: usize = 2;

/// Simple (implicit) keys may be at most 1024 characters long in YAML; longer
/// rendered keys are written with the explicit `? key` form. Bytes are at
/// least as many as characters, so this margin is safe.
const MAX_IMPLICIT_KEY_LEN: usize = 1000;

/// A whole document: block style, 2-space indentation, sequences indented
/// under their key (`key:\n  - a`), ending with exactly one `'\n'` (a string
/// written as a `|+` literal block keeps its trailing empty lines before it).
/// An empty object is `{}\n`.
pub fn to_document(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0, false),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0, false),
        Value::String(s) => match literal_block(s, STEP, false) {
            Some(block) => out.push_str(&block),
            None => out.push_str(&scalar(s)),
        },
        other => out.push_str(&inline_value(other)),
    }
    out.push('\n');
    out
}

/// What follows `key:` for a value placed at nesting `indent` (the number of
/// spaces the key itself is indented by).
///
/// For a scalar or an empty map/list this is `" <scalar>"` / `" {}"` /
/// `" []"` on the same line; for a non-empty map or list it is `"\n"`
/// followed by its lines indented by `indent + 2`, without a trailing
/// newline. Multi-line strings written as literal blocks also start after the
/// key (`" |-\n    line"`).
pub fn after_key(v: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_after_key(&mut out, v, indent);
    out
}

/// [`after_key`], appended to `out`.
pub fn push_after_key(out: &mut String, v: &Value, indent: usize) {
    write_after_key(out, v, indent);
}

/// A scalar string in the form to write: plain when a plain scalar reads back
/// as this same string under both YAML 1.1 and 1.2, double-quoted otherwise.
pub fn scalar(s: &str) -> String {
    let mut out = String::new();
    push_scalar(&mut out, s);
    out
}

/// [`scalar`], written at the end of `out`.
fn push_scalar(out: &mut String, s: &str) {
    if needs_quotes(s) {
        out.push_str(&double_quoted(s));
    } else {
        out.push_str(s);
    }
}

/// `true` when `s` written as a plain scalar would be read as something else
/// (another type, another string) or would not parse.
pub fn needs_quotes(s: &str) -> bool {
    // The common case (names, labels, images, paths): a letter, then letters, digits and
    // `-_./`. Such a word is no indicator, number, timestamp or document marker, and holds no
    // space, `: ` or ` #`; only the reserved words (booleans, null) need quotes.
    if is_plain_word(s) {
        return is_reserved_word(s);
    }
    needs_quotes_checked(s)
}

/// A letter, then only letters, digits and `-_./` (see [`needs_quotes`]).
fn is_plain_word(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/'))
}

/// [`needs_quotes`] by every rule, without the shortcut for plain words.
fn needs_quotes_checked(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return true; // empty string reads as null
    };
    let last = s.chars().next_back().unwrap_or(first);

    // Leading/trailing whitespace is stripped from plain scalars.
    if first.is_whitespace() || last.is_whitespace() {
        return true;
    }
    // Line breaks, tabs, control and non-printable characters.
    if s.chars().any(|c| c == '\t' || c == '\n' || needs_escape(c)) {
        return true;
    }
    if is_indicator_start(s, first) {
        return true;
    }
    // `: ` starts a mapping value, ` #` a comment; a trailing `:` makes a key.
    if s.contains(": ") || s.contains(" #") || s.ends_with(':') {
        return true;
    }
    // Document markers `---` and `...` (only harmful at column 0, but a
    // top-level scalar or key sits there).
    if s.starts_with("---") || s.starts_with("...") {
        return true;
    }
    is_reserved_word(s) || looks_numeric(s) || looks_like_timestamp(s)
}

/// Writes the lines of a non-empty map; each key indented by `indent`
/// spaces, except the first when `inline_first` (compact form after `- `).
/// No trailing newline.
fn write_map(out: &mut String, m: &Map<String, Value>, indent: usize, inline_first: bool) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            push_spaces(out, indent);
        } else if !inline_first {
            push_spaces(out, indent);
        }
        let start = out.len();
        push_scalar(out, k);
        if out.len() - start > MAX_IMPLICIT_KEY_LEN {
            out.insert_str(start, "? ");
            out.push('\n');
            push_spaces(out, indent);
        }
        out.push(':');
        write_after_key(out, v, indent);
    }
}

/// Writes the lines of a non-empty list; each `-` indented by `indent`
/// spaces, except the first when `inline_first`. No trailing newline.
fn write_seq(out: &mut String, a: &[Value], indent: usize, inline_first: bool) {
    for (i, item) in a.iter().enumerate() {
        if i > 0 {
            out.push('\n');
            push_spaces(out, indent);
        } else if !inline_first {
            push_spaces(out, indent);
        }
        out.push('-');
        match item {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(out, m, indent + STEP, true);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                write_seq(out, inner, indent + STEP, true);
            }
            // A block scalar in a list item is indented relative to the `-`,
            // exactly as one after a key is relative to the key.
            other => write_after_key(out, other, indent),
        }
    }
}

fn write_after_key(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, indent + STEP, false);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, indent + STEP, false);
        }
        Value::String(s) => {
            out.push(' ');
            match literal_block(s, indent + STEP, true) {
                Some(block) => out.push_str(&block),
                None => push_scalar(out, s),
            }
        }
        other => {
            out.push(' ');
            out.push_str(&inline_value(other));
        }
    }
}

/// Scalars other than strings, and empty containers.
fn inline_value(v: &Value) -> String {
    match v {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number(n),
        Value::String(s) => scalar(s),
        Value::Array(_) => "[]".to_string(),
        Value::Object(_) => "{}".to_string(),
    }
}

/// Numbers print as JSON does, except that a float in exponent form gets a
/// `.0` mantissa and a signed exponent (`1e300` → `1.0e+300`), the form the
/// YAML 1.1 float pattern requires.
fn number(n: &Number) -> String {
    let text = n.to_string();
    if !n.is_f64() {
        return text;
    }
    match text.find(['e', 'E']) {
        Some(pos) => {
            let (mantissa, exp) = text.split_at(pos);
            let digits = exp.get(1..).unwrap_or("");
            let mut out = mantissa.to_string();
            if !mantissa.contains('.') {
                out.push_str(".0");
            }
            out.push('e');
            if !digits.starts_with(['+', '-']) {
                out.push('+');
            }
            out.push_str(digits);
            out
        }
        None if !text.contains('.') => text + ".0",
        None => text,
    }
}

/// A literal block scalar (`|`, `|-`, `|+`, with `2` indentation indicator
/// when needed) for a multi-line string, or `None` when the string has no
/// line break or cannot be written faithfully as a literal block. The result
/// starts with `|` and has no trailing newline; non-empty content lines are
/// indented by `content_indent` spaces. `allow_indicator` is false at the top
/// level, where readers disagree on what the indicator is relative to.
fn literal_block(s: &str, content_indent: usize, allow_indicator: bool) -> Option<String> {
    if !s.contains('\n') || s.trim().is_empty() {
        return None;
    }
    // No escapes exist in literal blocks; CR, NEL, LS, PS would be read as
    // line breaks, other control characters cannot appear at all.
    if s.chars().any(|c| c != '\t' && c != '\n' && needs_escape(c)) {
        return None;
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let (content, chomp) = match trailing {
        0 => (s, "-"),
        1 => (s.get(..s.len() - 1)?, ""),
        _ => (s.get(..s.len() - 1)?, "+"),
    };
    // A tab right after the indentation is taken for indentation by some
    // readers (libyaml while it detects the indentation).
    if content.split('\n').any(|line| line.starts_with('\t')) {
        return None;
    }
    // Indentation is detected from the first non-empty line: if that starts
    // with a space, the indentation must be given explicitly.
    let needs_indicator = content
        .split('\n')
        .find(|line| !line.is_empty())
        .is_some_and(|line| line.starts_with(' '));
    if needs_indicator && !allow_indicator {
        return None;
    }

    let mut out = String::with_capacity(s.len() + 16);
    out.push('|');
    if needs_indicator {
        out.push_str(&STEP.to_string());
    }
    out.push_str(chomp);
    for line in content.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            push_spaces(&mut out, content_indent);
            out.push_str(line);
        }
    }
    Some(out)
}

/// A double-quoted scalar: escapes `"`, `\`, line breaks, tabs, control and
/// non-printable characters; other Unicode is kept as is.
fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let code = u32::from(c);
                let escaped = if code <= 0xFF {
                    format!("\\x{code:02X}")
                } else if code <= 0xFFFF {
                    format!("\\u{code:04X}")
                } else {
                    format!("\\U{code:08X}")
                };
                out.push_str(&escaped);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Characters that may not appear raw in a scalar (other than `\t`/`\n`
/// where a style allows them): C0/C1 controls, DEL, the Unicode line and
/// paragraph separators (line breaks in YAML 1.1), the byte order mark, and
/// the non-characters U+FFFE/U+FFFF (outside YAML's printable set).
fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1F}'
            | '\u{7F}'..='\u{9F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{FEFF}'
            | '\u{FFFE}'
            | '\u{FFFF}'
    )
}

/// Whether the first character is a YAML indicator that a plain scalar
/// cannot start with (in either version, in any context).
fn is_indicator_start(s: &str, first: char) -> bool {
    match first {
        ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%'
        | '@' | '`' | '?' | ':' => true,
        // `-x` is a fine plain scalar (`--flag=value`); `-` alone or `- x`
        // is a sequence entry.
        '-' => s.chars().nth(1).is_none_or(char::is_whitespace),
        _ => false,
    }
}

/// Null, booleans (YAML 1.1 and 1.2, in any letter case), the YAML 1.1 merge
/// key `<<` and value key `=`.
fn is_reserved_word(s: &str) -> bool {
    const WORDS: [&str; 12] = [
        "~", "null", "y", "yes", "n", "no", "true", "false", "on", "off", "<<", "=",
    ];
    WORDS.iter().any(|w| w.eq_ignore_ascii_case(s))
}

/// Whether `s` could be read as an int or float by some YAML 1.1 or 1.2
/// reader, or would make one fail. Deliberately generous: digit-group
/// separators (`_`, and `,` as some 1.1 readers allow) may appear anywhere,
/// even alone (`-_` crashes ruamel, `0x_` PyYAML), one sign is allowed
/// everywhere, letter case is ignored, and the YAML 1.1 float pattern
/// `[-+]?([0-9][0-9_]*)?\.[0-9.]*` is honoured (so `1.2.3` is quoted).
fn looks_numeric(s: &str) -> bool {
    fn only(t: &str, f: fn(char) -> bool) -> bool {
        t.chars().all(f)
    }
    fn digit(c: char) -> bool {
        c.is_ascii_digit() || c == '_' || c == ','
    }
    fn hex(c: char) -> bool {
        c.is_ascii_hexdigit() || c == '_' || c == ','
    }
    fn mantissa_char(c: char) -> bool {
        digit(c) || c == '.'
    }

    let lower = s.to_ascii_lowercase();
    let u = lower.strip_prefix(['+', '-']).unwrap_or(lower.as_str());
    if u.is_empty() {
        return false;
    }
    // Decimal, YAML 1.1 octal `0123`.
    if only(u, digit) {
        return true;
    }
    // Prefixed ints: hex, octal (1.2), binary; either letter case, as Go's
    // strconv accepts.
    if let Some(rest) = u.strip_prefix("0x") {
        if only(rest, hex) {
            return true;
        }
    }
    if let Some(rest) = u.strip_prefix("0o").or_else(|| u.strip_prefix("0b")) {
        if only(rest, digit) {
            return true;
        }
    }
    // Infinity and not-a-number.
    if u == ".inf" || u == ".nan" {
        return true;
    }
    // Floats: mantissa of digits and dots, optional exponent.
    let (mantissa, exponent) = match u.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (u, None),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && only(digits, digit)
    });
    if !mantissa.is_empty()
        && only(mantissa, mantissa_char)
        && exponent_ok
        && (mantissa.contains('.')
            || (exponent.is_some() && mantissa.contains(|c: char| c.is_ascii_digit())))
    {
        return true;
    }
    // YAML 1.1 sexagesimal: `12:30`, `1:20:30`, `190:20:30.15`.
    if let Some((init, last)) = u.rsplit_once(':') {
        let last_ok = match last.split_once('.') {
            Some((whole, frac)) => !whole.is_empty() && only(whole, digit) && only(frac, digit),
            None => !last.is_empty() && only(last, digit),
        };
        if last_ok && init.split(':').all(|p| !p.is_empty() && only(p, digit)) {
            return true;
        }
    }
    false
}

/// A YAML 1.1 timestamp starts `YYYY-M-D` (one or two digits for month and
/// day); quote anything with such a prefix.
fn looks_like_timestamp(s: &str) -> bool {
    let mut parts = s.splitn(3, '-');
    let (Some(year), Some(month), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    let day_len = rest.chars().take_while(char::is_ascii_digit).count();
    year.len() == 4
        && digits(year)
        && (1..=2).contains(&month.len())
        && digits(month)
        && (1..=2).contains(&day_len)
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

#[cfg(test)]
mod tests {
    use super::*;
    use saphyr_parser::{Event, Parser, ScalarStyle};
    use serde_json::json;

    // ---------------------------------------------------------------------
    // A tiny anchored regex matcher, so the test resolver below can use the
    // YAML 1.1 / 1.2 type patterns verbatim, independently of the emitter's
    // hand-written checks. Supports literals, `\x` escapes, `[...]` classes
    // with ranges, `(a|b)` groups and the `?`, `*`, `+` quantifiers.
    // ---------------------------------------------------------------------

    enum Re {
        Char(char),
        Class(Vec<(char, char)>),
        Group(Vec<Vec<Re>>),
        Repeat(Box<Re>, usize, bool), // min, unbounded
    }

    fn parse_alts(p: &[char], i: &mut usize) -> Vec<Vec<Re>> {
        let mut alts = vec![Vec::new()];
        while let Some(&c) = p.get(*i) {
            *i += 1;
            let atom = match c {
                '|' => {
                    alts.push(Vec::new());
                    continue;
                }
                ')' => return alts,
                '(' => Re::Group(parse_alts(p, i)),
                '[' => {
                    let mut ranges = Vec::new();
                    while let Some(&lo) = p.get(*i) {
                        *i += 1;
                        if lo == ']' {
                            break;
                        }
                        if p.get(*i) == Some(&'-') && p.get(*i + 1).is_some_and(|&c| c != ']') {
                            ranges.push((lo, p[*i + 1]));
                            *i += 2;
                        } else {
                            ranges.push((lo, lo));
                        }
                    }
                    Re::Class(ranges)
                }
                '\\' => {
                    *i += 1;
                    Re::Char(p[*i - 1])
                }
                c => Re::Char(c),
            };
            let atom = match p.get(*i) {
                Some('?') => Re::Group(vec![vec![atom], vec![]]),
                Some('*') => Re::Repeat(Box::new(atom), 0, true),
                Some('+') => Re::Repeat(Box::new(atom), 1, true),
                _ => {
                    alts.last_mut().unwrap().push(atom);
                    continue;
                }
            };
            *i += 1;
            alts.last_mut().unwrap().push(atom);
        }
        alts
    }

    fn match_seq(items: &[Re], s: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match items.split_first() {
            None => k(pos),
            Some((first, rest)) => {
                match_one(first, s, pos, &mut |p| match_seq(rest, s, p, &mut *k))
            }
        }
    }

    fn match_one(re: &Re, s: &[char], pos: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
        match re {
            Re::Char(c) => s.get(pos) == Some(c) && k(pos + 1),
            Re::Class(ranges) => {
                s.get(pos)
                    .is_some_and(|c| ranges.iter().any(|(lo, hi)| lo <= c && c <= hi))
                    && k(pos + 1)
            }
            Re::Group(alts) => alts.iter().any(|alt| match_seq(alt, s, pos, &mut *k)),
            Re::Repeat(inner, min, _) => {
                if match_one(inner, s, pos, &mut |p| {
                    p != pos
                        && match_one(
                            &Re::Repeat(Box::new(clone_re(inner)), min.saturating_sub(1), true),
                            s,
                            p,
                            &mut *k,
                        )
                }) {
                    return true;
                }
                *min == 0 && k(pos)
            }
        }
    }

    fn clone_re(re: &Re) -> Re {
        match re {
            Re::Char(c) => Re::Char(*c),
            Re::Class(r) => Re::Class(r.clone()),
            Re::Group(alts) => Re::Group(
                alts.iter()
                    .map(|a| a.iter().map(clone_re).collect())
                    .collect(),
            ),
            Re::Repeat(inner, min, u) => Re::Repeat(Box::new(clone_re(inner)), *min, *u),
        }
    }

    fn full_match(pattern: &str, s: &str) -> bool {
        let p: Vec<char> = pattern.chars().collect();
        let items = parse_alts(&p, &mut 0);
        let s: Vec<char> = s.chars().collect();
        let n = s.len();
        Re::Group(items).matches(&s, n)
    }

    impl Re {
        fn matches(&self, s: &[char], n: usize) -> bool {
            match_one(self, s, 0, &mut |p| p == n)
        }
    }

    // ---------------------------------------------------------------------
    // Test resolver: how a plain scalar is typed by a YAML 1.1 reader (the
    // 1.1 type repository patterns), or by a YAML 1.2 core-schema reader.
    // Anything either would not read as a string becomes a non-string, so a
    // wrongly unquoted trap shows up as a type change.
    // ---------------------------------------------------------------------

    const NULL: &str = "~|null|Null|NULL|";
    const BOOL_TRUE: &str = "y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON";
    const BOOL_FALSE: &str = "n|N|no|No|NO|false|False|FALSE|off|Off|OFF";
    const INT_DEC: &str = "[-+]?(0|[1-9][0-9]*)";
    const INT_OTHER: &[&str] = &[
        // YAML 1.1
        "[-+]?0b[0-1_]+",
        "[-+]?0[0-7_]+",
        "[-+]?(0|[1-9][0-9_]*)",
        "[-+]?0x[0-9a-fA-F_]+",
        "[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+",
        // YAML 1.2 core
        "[-+]?[0-9]+",
        "0o[0-7]+",
        "0x[0-9a-fA-F]+",
    ];
    const FLOAT_DEC: &str =
        "[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+";
    const FLOAT_OTHER: &[&str] = &[
        // YAML 1.1
        "[-+]?([0-9][0-9_]*)?\\.[0-9.]*([eE][-+][0-9]+)?",
        "[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*",
        "[-+]?\\.(inf|Inf|INF)",
        "\\.(nan|NaN|NAN)",
        // YAML 1.2 core
        "[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?",
    ];
    const TIMESTAMP: &[&str] = &[
        "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]",
        "[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?(([ \t]*)Z|[-+][0-9][0-9]?(:[0-9][0-9])?)?",
    ];

    fn tagged(tag: &str, s: &str) -> Value {
        json!({ "!!non-string": tag, "text": s })
    }

    fn resolve_plain(s: &str) -> Value {
        if full_match(NULL, s) {
            return Value::Null;
        }
        if full_match(BOOL_TRUE, s) {
            return Value::Bool(true);
        }
        if full_match(BOOL_FALSE, s) {
            return Value::Bool(false);
        }
        if full_match(INT_DEC, s) {
            if let Ok(i) = s.parse::<i64>() {
                return Value::from(i);
            }
            if let Ok(u) = s.parse::<u64>() {
                return Value::from(u);
            }
            return tagged("int", s);
        }
        if INT_OTHER.iter().any(|p| full_match(p, s)) {
            return tagged("int", s);
        }
        if full_match(FLOAT_DEC, s) {
            if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
                return Value::Number(n);
            }
            return tagged("float", s);
        }
        if FLOAT_OTHER.iter().any(|p| full_match(p, s)) {
            return tagged("float", s);
        }
        if TIMESTAMP.iter().any(|p| full_match(p, s)) {
            return tagged("timestamp", s);
        }
        if s == "<<" {
            return tagged("merge", s);
        }
        if s == "=" {
            return tagged("value", s);
        }
        Value::String(s.to_string())
    }

    enum Frame {
        Seq(Vec<Value>),
        Map(Map<String, Value>, Option<String>),
    }

    /// Parses a single YAML document with saphyr-parser's event API into a
    /// JSON value, typing plain scalars with [`resolve_plain`].
    fn parse(text: &str) -> Result<Value, String> {
        let mut parser = Parser::new_from_str(text);
        let mut stack: Vec<Frame> = Vec::new();
        let mut docs: Vec<Value> = Vec::new();
        while let Some(event) = parser.next_event() {
            let (event, _) = event.map_err(|e| format!("{e}"))?;
            let done = match event {
                Event::Scalar(value, style, anchor, tag) => {
                    if anchor != 0 || tag.is_some() {
                        return Err(format!("unexpected anchor/tag on {value:?}"));
                    }
                    Some(match style {
                        ScalarStyle::Plain => resolve_plain(&value),
                        _ => Value::String(value.into_owned()),
                    })
                }
                Event::SequenceStart(..) => {
                    stack.push(Frame::Seq(Vec::new()));
                    None
                }
                Event::MappingStart(..) => {
                    stack.push(Frame::Map(Map::new(), None));
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                    Some(Frame::Seq(items)) => Some(Value::Array(items)),
                    Some(Frame::Map(m, None)) => Some(Value::Object(m)),
                    _ => return Err("unbalanced collection end".into()),
                },
                Event::Alias(_) => return Err("unexpected alias".into()),
                _ => None,
            };
            let Some(node) = done else { continue };
            match stack.last_mut() {
                None => docs.push(node),
                Some(Frame::Seq(items)) => items.push(node),
                Some(Frame::Map(m, pending)) => match pending.take() {
                    None => match node {
                        Value::String(k) => *pending = Some(k),
                        other => *pending = Some(format!("<non-string key {other}>")),
                    },
                    Some(k) => {
                        if m.insert(k.clone(), node).is_some() {
                            return Err(format!("duplicate key {k:?}"));
                        }
                    }
                },
            }
        }
        match docs.len() {
            1 => Ok(docs.remove(0)),
            n => Err(format!("expected one document, got {n}")),
        }
    }

    #[test]
    fn plain_word_shortcut_agrees_on_tricky_words() {
        for w in [
            "y", "Y", "yes", "No", "ON", "off", "true", "False", "null", "NULL", "e", "E1", "e10",
            "inf", "Inf", "nan", "NaN", "Infinity", "x1.5", "a.b.c", "v1", "b_1", "o-1", "a/b",
            "latest", "x",
        ] {
            assert!(is_plain_word(w), "{w}");
            assert_eq!(needs_quotes(w), needs_quotes_checked(w), "{w}");
        }
    }

    fn assert_roundtrip(v: &Value) {
        let text = to_document(v);
        assert!(text.ends_with('\n'), "no final newline: {text:?}");
        let back = parse(&text).unwrap_or_else(|e| panic!("parse error {e} in\n{text}"));
        assert_eq!(&back, v, "round-trip mismatch for\n{text}");
        // Key order too (serde_json's Value equality ignores it).
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            serde_json::to_string(v).unwrap(),
            "key order changed for\n{text}"
        );
    }

    /// A string trap must come back as the same string as a value, a key,
    /// a list item, and a whole document.
    fn assert_string_roundtrips(s: &str) {
        let value = Value::String(s.to_string());
        assert_roundtrip(&value);
        assert_roundtrip(&json!({ "k": s }));
        assert_roundtrip(&json!([s, s]));
        let mut m = Map::new();
        m.insert(s.to_string(), json!(s));
        m.insert("after".into(), json!(1));
        assert_roundtrip(&Value::Object(m));
        assert_eq!(parse(&scalar(s)).unwrap(), value, "scalar({s:?})");
    }

    macro_rules! quotes {
        ($($name:ident: $input:expr;)*) => {$(
            #[test]
            fn $name() {
                let s: &str = $input;
                assert!(needs_quotes(s), "{s:?} should need quotes");
                assert!(scalar(s).starts_with('"'), "{s:?} -> {}", scalar(s));
                // Written plain, the trap would not read back as this string.
                assert_ne!(parse(s).ok(), Some(Value::String(s.to_string())), "{s:?}");
                assert_string_roundtrips(s);
            }
        )*};
    }

    macro_rules! quotes_defensively {
        ($($name:ident: $input:expr;)*) => {$(
            #[test]
            fn $name() {
                let s: &str = $input;
                assert!(needs_quotes(s), "{s:?} should need quotes");
                assert!(scalar(s).starts_with('"'), "{s:?} -> {}", scalar(s));
                assert_string_roundtrips(s);
            }
        )*};
    }

    macro_rules! keeps_plain {
        ($($name:ident: $input:expr;)*) => {$(
            #[test]
            fn $name() {
                let s: &str = $input;
                assert!(!needs_quotes(s), "{s:?} should stay plain");
                assert_eq!(scalar(s), s);
                assert_string_roundtrips(s);
            }
        )*};
    }

    quotes! {
        quotes_empty_string: "";
        quotes_null_tilde: "~";
        quotes_null_lower: "null";
        quotes_null_title: "Null";
        quotes_null_upper: "NULL";
        quotes_yaml11_boolean_y: "y";
        quotes_yaml11_boolean_y_upper: "Y";
        quotes_yaml11_boolean_yes: "yes";
        quotes_yaml11_boolean_yes_title: "Yes";
        quotes_yaml11_boolean_yes_upper: "YES";
        quotes_yaml11_boolean_n: "n";
        quotes_yaml11_boolean_n_upper: "N";
        quotes_yaml11_boolean_no: "no";
        quotes_yaml11_boolean_no_title: "No";
        quotes_yaml11_boolean_no_upper: "NO";
        quotes_boolean_true: "true";
        quotes_boolean_true_title: "True";
        quotes_boolean_true_upper: "TRUE";
        quotes_boolean_false: "false";
        quotes_boolean_false_title: "False";
        quotes_boolean_false_upper: "FALSE";
        quotes_yaml11_boolean_on: "on";
        quotes_yaml11_boolean_on_title: "On";
        quotes_yaml11_boolean_on_upper: "ON";
        quotes_yaml11_boolean_off: "off";
        quotes_yaml11_boolean_off_title: "Off";
        quotes_yaml11_boolean_off_upper: "OFF";
        quotes_int_1: "1";
        quotes_int_negative_1: "-1";
        quotes_int_plus_1: "+1";
        quotes_int_port_8080: "8080";
        quotes_octal_looking_0123: "0123";
        quotes_octal_0o17: "0o17";
        quotes_hex_0x1f: "0x1F";
        quotes_binary_0b101: "0b101";
        quotes_underscored_int_1_000: "1_000";
        quotes_float_1_0: "1.0";
        quotes_float_dot_5: ".5";
        quotes_float_1e3: "1e3";
        quotes_float_1_5e_minus_3: "1.5e-3";
        quotes_float_inf: ".inf";
        quotes_float_negative_inf: "-.Inf";
        quotes_float_nan: ".nan";
        quotes_float_nan_mixed_case: ".NaN";
        quotes_float_version_like_1_2_3: "1.2.3";
        quotes_float_trailing_dot_1: "1.";
        quotes_sexagesimal_12_30: "12:30";
        quotes_sexagesimal_1_20_30: "1:20:30";
        quotes_sexagesimal_float_190_20_30_15: "190:20:30.15";
        quotes_sexagesimal_port_mapping_22_22: "22:22";
        quotes_timestamp_2001_12_14: "2001-12-14";
        quotes_timestamp_with_time: "2001-12-14t21:59:43.10-05:00";
        quotes_indicator_dash_alone: "-";
        quotes_indicator_dash_space: "- a";
        quotes_indicator_question_alone: "?";
        quotes_indicator_question_space: "? a";
        quotes_indicator_colon_alone: ":";
        quotes_indicator_colon_space: ": a";
        quotes_indicator_comma: ",a";
        quotes_indicator_open_bracket: "[a]";
        quotes_indicator_open_brace: "{a: b}";
        quotes_indicator_hash: "#a";
        quotes_indicator_ampersand: "&a";
        quotes_indicator_star: "*a";
        quotes_indicator_bang: "!a";
        quotes_indicator_pipe: "|a";
        quotes_indicator_greater: ">a";
        quotes_indicator_single_quote: "'a'";
        quotes_indicator_double_quote: "\"a\"";
        quotes_indicator_percent: "%a";
        quotes_indicator_at: "@a";
        quotes_indicator_backtick: "`a";
        quotes_contains_colon_space: "a: b";
        quotes_contains_space_hash: "a #b";
        quotes_ends_with_colon: "a:";
        quotes_leading_space: " a";
        quotes_trailing_space: "a ";
        quotes_only_spaces: "   ";
        quotes_newline_in_scalar: "a\nb";
        quotes_merge_key: "<<";
        quotes_document_start_marker: "---";
        quotes_document_end_marker: "...";
    }

    quotes_defensively! {
        quotes_indicator_close_bracket: "]";
        quotes_indicator_close_brace: "}";
        quotes_yaml11_value_key_equals: "=";
        quotes_tab: "a\tb";
        quotes_leading_nbsp: "\u{A0}a";
        quotes_control_char_bell: "a\u{7}b";
        quotes_control_char_nul: "a\0b";
        quotes_carriage_return: "a\rb";
        quotes_del: "a\u{7F}b";
        quotes_c1_next_line: "a\u{85}b";
        quotes_line_separator: "a\u{2028}b";
        quotes_paragraph_separator: "a\u{2029}b";
        quotes_byte_order_mark: "\u{FEFF}a";
        quotes_noncharacter_fffe: "a\u{FFFE}";
        quotes_bool_odd_case: "yEs";
        quotes_hex_upper_prefix: "0X1F";
        quotes_signed_hex: "-0x1F";
        quotes_comma_grouped_int: "1,000";
        quotes_exponent_no_dot_upper: "1E+3";
        quotes_dot_alone: ".";
        quotes_sign_underscore: "-_";
        quotes_hex_prefix_underscore: "0x_";
        quotes_dot_underscore: "._";
        quotes_underscore_alone: "_";
        quotes_signed_underscored_int: "-_1";
        quotes_question_word: "?a";
        quotes_colon_word: ":a";
        quotes_timestamp_short_fields: "2001-1-2";
        quotes_document_start_with_text: "--- a";
    }

    keeps_plain! {
        keeps_image_tag_plain: "nginx:1.25";
        keeps_label_key_plain: "app.kubernetes.io/name";
        keeps_path_plain: "/var/lib/mysql";
        keeps_double_dash_flag_plain: "--default-authentication-plugin=mysql_native_password";
        keeps_url_plain: "http://x:80/path";
        keeps_word_plain: "mysql";
        keeps_inner_space_plain: "a b";
        keeps_dash_word_plain: "-v";
        keeps_version_suffix_plain: "1.25-alpine";
        keeps_hash_without_space_plain: "a#b";
        keeps_colon_without_space_plain: "a:b";
        keeps_unicode_plain: "héllo wörld ✓ 日本";
        keeps_yes_prefix_plain: "yesterday";
        keeps_on_prefix_plain: "online";
        keeps_equals_in_word_plain: "a=b";
        keeps_year_month_plain: "2024-01";
        keeps_cpu_quantity_plain: "500m";
        keeps_memory_quantity_plain: "512Mi";
        keeps_brackets_inside_plain: "a[0]{x},y";
        keeps_ampersand_inside_plain: "a&b*c!d";
        keeps_env_reference_plain: "${DB_HOST}";
        keeps_shell_command_plain: "echo hello && sleep 10";
        keeps_inf_word_plain: "inf";
        keeps_e_word_plain: "e3";
        keeps_underscore_word_plain: "_a";
    }

    #[test]
    fn quotes_key_yes() {
        let v = json!({ "yes": 1, "on": "off" });
        assert_eq!(to_document(&v), "\"yes\": 1\n\"on\": \"off\"\n");
        assert_roundtrip(&v);
    }

    #[test]
    fn quotes_key_80() {
        let v = json!({ "80": "http", "443": "https" });
        assert_eq!(to_document(&v), "\"80\": http\n\"443\": https\n");
        assert_roundtrip(&v);
    }

    #[test]
    fn escapes_quote_and_backslash() {
        assert_eq!(scalar("\"a\\b\""), r#""\"a\\b\"""#);
        assert_eq!(scalar("'x'"), r#""'x'""#);
    }

    #[test]
    fn escapes_control_characters() {
        assert_eq!(
            scalar("a\nb\tc\rd\0e\u{7}f\u{1B}"),
            r#""a\nb\tc\rd\0e\x07f\x1B""#
        );
        assert_eq!(scalar("\u{85}\u{2028}\u{FEFF}"), r#""\x85\u2028\uFEFF""#);
    }

    #[test]
    fn keeps_unicode_in_double_quotes() {
        assert_eq!(scalar(" héllo ✓ 日本 😀"), "\" héllo ✓ 日本 😀\"");
    }

    #[test]
    fn prints_numbers_as_json_does() {
        let v = json!({ "i": 80, "neg": -3, "big": u64::MAX, "f": 0.5, "one": 1.0 });
        assert_eq!(
            to_document(&v),
            "i: 80\nneg: -3\nbig: 18446744073709551615\nf: 0.5\none: 1.0\n"
        );
        assert_roundtrip(&v);
    }

    #[test]
    fn prints_exponent_floats_with_dot_and_sign() {
        let v = json!([1e300, 1.5e-7, -2e-10, 1e21]);
        assert_eq!(
            to_document(&v),
            "- 1.0e+300\n- 1.5e-7\n- -2.0e-10\n- 1.0e+21\n"
        );
        assert_roundtrip(&v);
    }

    #[test]
    fn prints_bool_and_null() {
        let v = json!({ "t": true, "f": false, "n": null });
        assert_eq!(to_document(&v), "t: true\nf: false\n\"n\": null\n");
        assert_roundtrip(&v);
    }

    #[test]
    fn empty_containers() {
        assert_eq!(to_document(&json!({})), "{}\n");
        assert_eq!(to_document(&json!([])), "[]\n");
        let v = json!({ "m": {}, "l": [], "x": [{}, []] });
        assert_eq!(to_document(&v), "m: {}\nl: []\nx:\n  - {}\n  - []\n");
        assert_roundtrip(&v);
    }

    #[test]
    fn top_level_scalars() {
        assert_eq!(to_document(&json!("yes")), "\"yes\"\n");
        assert_eq!(to_document(&json!(null)), "null\n");
        assert_eq!(to_document(&json!("a\nb\n")), "|\n  a\n  b\n");
        // Indentation indicators are avoided at the top level.
        assert_eq!(to_document(&json!(" a\nb")), "\" a\\nb\"\n");
        for s in ["yes", "a\nb\n", " a\nb", "x"] {
            assert_roundtrip(&json!(s));
        }
    }

    #[test]
    fn after_key_scalars_and_empty_containers() {
        assert_eq!(after_key(&json!("nginx:1.25"), 4), " nginx:1.25");
        assert_eq!(after_key(&json!("on"), 4), " \"on\"");
        assert_eq!(after_key(&json!(3), 0), " 3");
        assert_eq!(after_key(&json!({}), 2), " {}");
        assert_eq!(after_key(&json!([]), 2), " []");
    }

    #[test]
    fn after_key_nested_map_and_list() {
        let spec = json!({ "replicas": 1, "ports": [80, { "name": "x" }] });
        assert_eq!(
            after_key(&spec, 2),
            "\n    replicas: 1\n    ports:\n      - 80\n      - name: x"
        );
        let text = format!("kind: A\nbody:\n  spec:{}\nafter: 1\n", after_key(&spec, 2));
        assert_eq!(
            parse(&text).unwrap(),
            json!({ "kind": "A", "body": { "spec": spec }, "after": 1 })
        );
    }

    #[test]
    fn after_key_literal_block() {
        let v = json!("line one\n  indented\n");
        assert_eq!(after_key(&v, 2), " |\n    line one\n      indented");
        let text = format!("a:\n  b:{}\nc: 1\n", after_key(&v, 2));
        assert_eq!(parse(&text).unwrap(), json!({ "a": { "b": v }, "c": 1 }));
    }

    #[test]
    fn literal_block_strip_clip_keep() {
        assert_eq!(after_key(&json!("a\nb"), 0), " |-\n  a\n  b");
        assert_eq!(after_key(&json!("a\nb\n"), 0), " |\n  a\n  b");
        assert_eq!(after_key(&json!("a\nb\n\n"), 0), " |+\n  a\n  b\n");
        assert_eq!(after_key(&json!("a\n\nb\n"), 0), " |\n  a\n\n  b");
        for s in [
            "a\nb",
            "a\nb\n",
            "a\nb\n\n",
            "a\nb\n\n\n",
            "a\n\n\nb",
            "\n\na\n",
        ] {
            assert_roundtrip(&json!({ "k": s, "next": "x" }));
            assert_roundtrip(&json!({ "k": s }));
            assert_roundtrip(&json!([s, s]));
        }
    }

    #[test]
    fn literal_block_indentation_indicator() {
        assert_eq!(after_key(&json!("  a\nb"), 0), " |2-\n    a\n  b");
        assert_eq!(after_key(&json!("\n  a\n"), 2), " |2\n\n      a");
        for s in ["  a\nb", " a\n", "\n  a\n", "   \nx", "  a\n  b\n\n"] {
            assert_roundtrip(&json!({ "k": s, "next": "x" }));
            assert_roundtrip(&json!({ "m": [s, { "k": s }] }));
        }
    }

    #[test]
    fn literal_block_keeps_trailing_spaces() {
        let s = "a  \nb \n  \nc\n";
        assert!(after_key(&json!(s), 0).starts_with(" |\n"));
        assert_roundtrip(&json!({ "k": s, "next": "x" }));
    }

    #[test]
    fn literal_block_keeps_inner_tabs_and_yaml_lookalikes() {
        let s = "a:\tb\n# not a comment\n- not a list\n---\n...\nkey: \"v\"\n";
        assert!(after_key(&json!(s), 0).starts_with(" |\n"));
        assert_roundtrip(&json!({ "k": s, "next": "x" }));
        assert_roundtrip(&json!(s));
    }

    #[test]
    fn literal_block_falls_back_to_double_quotes() {
        // Carriage return, tab at line start, control chars, nothing but
        // line breaks.
        assert_eq!(after_key(&json!("a\r\nb\r\n"), 0), " \"a\\r\\nb\\r\\n\"");
        assert_eq!(after_key(&json!("a\n\tb"), 0), " \"a\\n\\tb\"");
        assert_eq!(after_key(&json!("a\n\u{7}"), 0), " \"a\\n\\x07\"");
        assert_eq!(after_key(&json!("\n\n"), 0), " \"\\n\\n\"");
        assert_eq!(after_key(&json!(" \n "), 0), " \" \\n \"");
        for s in ["a\r\nb\r\n", "a\n\tb", "a\n\u{7}", "\n\n", "\n", " \n "] {
            assert_roundtrip(&json!({ "k": s, "next": "x" }));
        }
    }

    #[test]
    fn literal_block_in_sequence() {
        let v = json!({ "args": ["-c", "set -e\necho hi\n"] });
        assert_eq!(
            to_document(&v),
            "args:\n  - -c\n  - |\n    set -e\n    echo hi\n"
        );
        assert_roundtrip(&v);
    }

    #[test]
    fn nested_lists_compact() {
        let v = json!([[1, [2, 3]], [{ "a": [] }], { "b": [{ "c": 1, "d": 2 }] }]);
        assert_eq!(
            to_document(&v),
            "- - 1\n  - - 2\n    - 3\n- - a: []\n- b:\n    - c: 1\n      d: 2\n"
        );
        assert_roundtrip(&v);
    }

    #[test]
    fn long_key_uses_explicit_form() {
        let long = "k".repeat(1500);
        let v = json!({ long.clone(): { "a": 1 }, "short": [{ long.clone(): "x" }] });
        let text = to_document(&v);
        assert!(text.starts_with("? kkk"), "{text}");
        assert_roundtrip(&v);
        let quoted_long = format!("yes {}", "k".repeat(1200));
        assert_roundtrip(&json!({ quoted_long: "v", "z": ["a\nb"] }));
    }

    #[test]
    fn golden_deployment() {
        let v = json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "db",
                "labels": { "app.kubernetes.io/name": "db", "io.kompose.service": "db" }
            },
            "spec": {
                "replicas": 1,
                "selector": { "matchLabels": { "app.kubernetes.io/name": "db" } },
                "template": {
                    "metadata": { "labels": { "app.kubernetes.io/name": "db" } },
                    "spec": {
                        "containers": [{
                            "name": "db",
                            "image": "mysql:8.0",
                            "args": ["--default-authentication-plugin=mysql_native_password"],
                            "env": [
                                { "name": "MYSQL_ALLOW_EMPTY_PASSWORD", "value": "yes" },
                                { "name": "MYSQL_PORT", "value": "3306" },
                                { "name": "EMPTY", "value": "" }
                            ],
                            "ports": [{ "containerPort": 3306, "protocol": "TCP" }],
                            "resources": {},
                            "volumeMounts": [{ "mountPath": "/var/lib/mysql", "name": "data" }]
                        }],
                        "volumes": []
                    }
                }
            }
        });
        let expected = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: db
  labels:
    app.kubernetes.io/name: db
    io.kompose.service: db
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: db
  template:
    metadata:
      labels:
        app.kubernetes.io/name: db
    spec:
      containers:
        - name: db
          image: mysql:8.0
          args:
            - --default-authentication-plugin=mysql_native_password
          env:
            - name: MYSQL_ALLOW_EMPTY_PASSWORD
              value: \"yes\"
            - name: MYSQL_PORT
              value: \"3306\"
            - name: EMPTY
              value: \"\"
          ports:
            - containerPort: 3306
              protocol: TCP
          resources: {}
          volumeMounts:
            - mountPath: /var/lib/mysql
              name: data
      volumes: []
";
        assert_eq!(to_document(&v), expected);
        assert_roundtrip(&v);
    }

    #[test]
    fn golden_configmap_with_literal_blocks() {
        let v = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": "conf" },
            "data": {
                "nginx.conf": "server {\n  listen 80;\n}\n",
                "motd": "  indented first line\nsecond",
                "crlf.txt": "a\r\nb\r\n"
            }
        });
        let expected = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
data:
  nginx.conf: |
    server {
      listen 80;
    }
  motd: |2-
      indented first line
    second
  crlf.txt: \"a\\r\\nb\\r\\n\"
";
        assert_eq!(to_document(&v), expected);
        assert_roundtrip(&v);
    }

    #[test]
    fn roundtrip_wide_set() {
        let traps = [
            "",
            "~",
            "null",
            "y",
            "Y",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "False",
            "1",
            "-1",
            "+1",
            "0123",
            "0o17",
            "0x1F",
            "0b101",
            "1_000",
            "1.0",
            ".5",
            "1e3",
            "1.5e-3",
            ".inf",
            "-.Inf",
            ".nan",
            "12:30",
            "1:20:30",
            "190:20:30.15",
            "2001-12-14",
            "-",
            "- a",
            "?",
            ":",
            ",",
            "[",
            "]",
            "{",
            "}",
            "#",
            "&",
            "*",
            "!",
            "|",
            ">",
            "'",
            "\"",
            "%",
            "@",
            "`",
            "a: b",
            "a #b",
            "a:",
            " a",
            "a ",
            "\t",
            "<<",
            "=",
            "nginx:1.25",
            "app.kubernetes.io/name",
            "/var/lib/mysql",
            "http://x:80/path",
            "a b",
            "é",
        ];
        let mut obj = Map::new();
        for (i, t) in traps.iter().enumerate() {
            obj.insert((*t).to_string(), json!({ "value": t, "list": [t, i] }));
        }
        assert_roundtrip(&Value::Object(obj));
        assert_roundtrip(&json!(traps.to_vec()));

        let v = json!({
            "zeta": 1, "alpha": 2, "mid": 3,
            "nested": { "deeper": { "deepest": [[[]], [{}], [[{ "x": [1, [2, { "y": null }]] }]]] } },
            "multi": ["line1\nline2", "  lead\n", "trail\n\n\n", "uni ✓\n日本\n", "x\n y\n  z"],
            "mixed": [true, false, null, 0, -0.25, 1e-5, "", {}, []],
            "unicode": { "ключ": "значение", "😀": "emoji ok", "日本": "\u{3000}wide space" },
            "escapes": "tab\there \"quoted\" back\\slash \u{1}",
        });
        assert_roundtrip(&v);
    }

    #[test]
    fn needs_quotes_is_consistent_with_scalar() {
        for s in ["a", "yes", "", "a\nb", "nginx:1.25"] {
            assert_eq!(needs_quotes(s), scalar(s) != s);
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        fn interesting_string() -> impl Strategy<Value = String> {
            let pieces = prop::sample::select(vec![
                " ",
                "  ",
                "\n",
                "\t",
                "\r",
                ":",
                ": ",
                "#",
                " #",
                "-",
                "- ",
                "?",
                ",",
                "[",
                "]",
                "{",
                "}",
                "&",
                "*",
                "!",
                "|",
                ">",
                "'",
                "\"",
                "%",
                "@",
                "`",
                "\\",
                "0",
                "1",
                "7",
                "12",
                ".",
                "e",
                "E",
                "+",
                "_",
                "x",
                "b",
                "o",
                "a",
                "yes",
                "no",
                "on",
                "Off",
                "true",
                "null",
                "~",
                "<<",
                "=",
                ".inf",
                ".nan",
                "2001-12-14",
                "---",
                "...",
                "é",
                "日本",
                "😀",
                "\u{0}",
                "\u{7}",
                "\u{1B}",
                "\u{7F}",
                "\u{85}",
                "\u{A0}",
                "\u{2028}",
                "\u{FEFF}",
                "\u{FFFE}",
            ]);
            prop::collection::vec(pieces, 0..8).prop_map(|v| v.concat())
        }

        fn any_string() -> impl Strategy<Value = String> {
            prop_oneof![interesting_string(), any::<String>()]
        }

        fn any_value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<f64>()
                    .prop_filter_map("finite", Number::from_f64)
                    .prop_map(Value::Number),
                any_string().prop_map(Value::String),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                    prop::collection::vec((any_string(), inner), 0..6)
                        .prop_map(|kv| Value::Object(kv.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn prop_plain_word_shortcut_agrees(s in "[a-zA-Z][a-zA-Z0-9._/-]{0,12}") {
                prop_assert!(is_plain_word(&s));
                prop_assert_eq!(needs_quotes(&s), needs_quotes_checked(&s), "{:?}", s);
            }

            #[test]
            fn prop_scalar_roundtrips(s in any_string()) {
                let text = scalar(&s);
                prop_assert_eq!(parse(&text), Ok(Value::String(s.clone())), "{}", text);
                let quoted = text.starts_with('"');
                prop_assert_eq!(quoted, needs_quotes(&s));
            }

            #[test]
            fn prop_string_in_structures_roundtrips(s in any_string()) {
                assert_string_roundtrips(&s);
            }

            #[test]
            fn prop_value_roundtrips(v in any_value()) {
                assert_roundtrip(&v);
            }
        }
    }
}
