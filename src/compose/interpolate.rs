//! Variable interpolation with Docker Compose semantics.
//!
//! The rules follow compose-go's `template` package (the reference
//! implementation used by `docker compose`) and the Compose specification's
//! interpolation chapter:
//!
//! * `$$` is a literal `$`.
//! * `$NAME` and `${NAME}` substitute a variable. Names match
//!   `[A-Za-z_][A-Za-z0-9_]*` in both forms, so `$FOO.bar` and `$FOO-bar` stop
//!   the name at the `.`/`-`, and `${FOO.bar}` is an error.
//! * `${NAME:-default}` / `${NAME-default}`: default when unset or empty /
//!   only when unset.
//! * `${NAME:+alt}` / `${NAME+alt}`: `alt` when set and non-empty / when set,
//!   otherwise the empty string.
//! * `${NAME:?msg}` / `${NAME?msg}`: error when unset or empty / only when
//!   unset; the message reads `required variable NAME is missing a value: msg`.
//! * The text after the operator (default, alternative or message) is itself
//!   interpolated, lazily: only when it is actually used.
//! * A `$` that is followed by anything other than `$`, a name start or `{`
//!   is kept literally (`a $ b`, `^x$`, `$1`, `$}`).
//! * `${` that does not form a valid expression is an error
//!   ("invalid interpolation format").
//! * Substituted values are never re-interpolated.
//!
//! Where the closing `}` of an expression with an operator is, is decided the
//! way compose-go decides it: braces are counted from the `${` (every `{`
//! opens, and like compose-go the byte right after a `{` is not inspected for
//! counting), the first `}` that balances them closes the expression; when
//! none does, the last `}` on the same line closes it. An expression never
//! spans a newline.
//!
//! Not reproduced: Go's case-insensitive regexp also lets `K` (U+212A) and
//! `ſ` (U+017F) into names; here names are ASCII only.
//!
//! Hardening (not in compose-go): the result is capped at 1 MiB, the
//! evaluation of nested defaults at 64 levels, and the total size of the
//! variable values looked up by one call at 16 MiB.

use std::collections::HashSet;
use std::fmt;

/// Largest interpolated value, in bytes.
pub const MAX_OUTPUT: usize = 1 << 20;
/// Deepest nesting of evaluated defaults / alternatives / messages.
pub const MAX_DEPTH: usize = 64;
/// Most bytes of variable values one call may look up (`${BIG:+x}` looks a
/// value up without copying it to the output, so the output cap alone does not
/// bound the work).
pub const MAX_LOOKUP_BYTES: usize = 16 * MAX_OUTPUT;

/// Where a problem sits inside the string: byte offset of the `$` that starts
/// the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterpolateError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for InterpolateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for InterpolateError {}

/// The result of a successful interpolation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Interpolated {
    pub value: String,
    /// Names used without a default that were unset, in order of first use,
    /// deduplicated. (Compose prints a warning for each of them.)
    pub unset: Vec<String>,
}

/// Interpolate `input`, resolving variables with `lookup`.
pub fn interpolate(
    input: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Interpolated, InterpolateError> {
    let mut ctx = Ctx {
        lookup,
        looked_up: 0,
        unset: Vec::new(),
        seen: HashSet::new(),
    };
    let mut out = String::new();
    ctx.expand(input, 0, 0, &mut out)?;
    Ok(Interpolated {
        value: out,
        unset: ctx.unset,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `:-`
    DefaultIfUnsetOrEmpty,
    /// `-`
    DefaultIfUnset,
    /// `:+`
    AltIfNonEmpty,
    /// `+`
    AltIfSet,
    /// `:?`
    RequiredNonEmpty,
    /// `?`
    RequiredSet,
}

impl Op {
    fn from_bytes(colon: bool, b: u8) -> Option<Op> {
        match (colon, b) {
            (true, b'-') => Some(Op::DefaultIfUnsetOrEmpty),
            (false, b'-') => Some(Op::DefaultIfUnset),
            (true, b'+') => Some(Op::AltIfNonEmpty),
            (false, b'+') => Some(Op::AltIfSet),
            (true, b'?') => Some(Op::RequiredNonEmpty),
            (false, b'?') => Some(Op::RequiredSet),
            _ => None,
        }
    }
}

struct Ctx<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    looked_up: usize,
    unset: Vec<String>,
    seen: HashSet<String>,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `s[a..b]`, or `""` if the range is not valid (never happens for the ASCII
/// boundaries used here, but this keeps the code panic-free).
fn sub(s: &str, a: usize, b: usize) -> &str {
    s.get(a..b).unwrap_or("")
}

/// End (exclusive) of the run of name characters starting at `from`.
fn name_end(bytes: &[u8], from: usize) -> usize {
    let mut j = from;
    while bytes.get(j).copied().is_some_and(is_name_char) {
        j += 1;
    }
    j
}

/// Index of the `}` closing the expression whose `$` is at `dollar`
/// (compose-go rules, see the module documentation), or `None` if there is no
/// `}` on the same line.
fn closing_brace(bytes: &[u8], dollar: usize) -> Option<usize> {
    let mut open: usize = 0;
    let mut last_close = None;
    let mut j = dollar;
    while let Some(&b) = bytes.get(j) {
        match b {
            b'\n' => break,
            b'}' => {
                last_close = Some(j);
                open = open.saturating_sub(1);
                if open == 0 {
                    return Some(j);
                }
            }
            b'{' => {
                open += 1;
                // compose-go does not look at the byte after a `{` when
                // counting braces; it still belongs to the line, though.
                j += 1;
                match bytes.get(j) {
                    None | Some(b'\n') => break,
                    Some(b'}') => last_close = Some(j),
                    Some(_) => {}
                }
            }
            _ => {}
        }
        j += 1;
    }
    last_close
}

/// A short excerpt of `s` starting at `at`, up to the end of its line.
fn excerpt(s: &str, at: usize) -> String {
    let rest = s.get(at..).unwrap_or("");
    let line = rest.split('\n').next().unwrap_or("");
    let mut e: String = line.chars().take(40).collect();
    if e.len() < line.len() {
        e.push('…');
    }
    e
}

fn invalid(s: &str, base: usize, at: usize, reason: &str) -> InterpolateError {
    InterpolateError {
        offset: base + at,
        message: format!(
            "invalid interpolation format in {:?}: {reason}; you may need to escape any $ with another $",
            excerpt(s, at)
        ),
    }
}

fn push(out: &mut String, piece: &str, offset: usize) -> Result<(), InterpolateError> {
    if out.len().saturating_add(piece.len()) > MAX_OUTPUT {
        return Err(InterpolateError {
            offset,
            message: "interpolated value exceeds 1 MiB".to_string(),
        });
    }
    out.push_str(piece);
    Ok(())
}

impl Ctx<'_> {
    fn get(&mut self, name: &str, at: usize) -> Result<Option<String>, InterpolateError> {
        let value = (self.lookup)(name);
        if let Some(v) = &value {
            self.looked_up = self.looked_up.saturating_add(v.len());
            if self.looked_up > MAX_LOOKUP_BYTES {
                return Err(InterpolateError {
                    offset: at,
                    message: "variable values looked up exceed 16 MiB".to_string(),
                });
            }
        }
        Ok(value)
    }

    fn note_unset(&mut self, name: &str) {
        if self.seen.insert(name.to_string()) {
            self.unset.push(name.to_string());
        }
    }

    /// Interpolate `s` (which sits at byte `base` of the original input) and
    /// append the result to `out`.
    fn expand(
        &mut self,
        s: &str,
        base: usize,
        depth: usize,
        out: &mut String,
    ) -> Result<(), InterpolateError> {
        let bytes = s.as_bytes();
        let mut lit_start = 0;
        let mut i = 0;
        while let Some(rel) = bytes
            .get(i..)
            .and_then(|r| r.iter().position(|&b| b == b'$'))
        {
            let dollar = i + rel;
            push(out, sub(s, lit_start, dollar), base + lit_start)?;
            let at = base + dollar;
            match bytes.get(dollar + 1).copied() {
                Some(b'$') => {
                    push(out, "$", at)?;
                    i = dollar + 2;
                }
                Some(b) if is_name_start(b) => {
                    let end = name_end(bytes, dollar + 1);
                    self.substitute(sub(s, dollar + 1, end), at, out)?;
                    i = end;
                }
                Some(b'{') => {
                    i = self.braced(s, base, dollar, depth, out)?;
                }
                // Anything else: the `$` is literal, as in compose-go.
                _ => {
                    push(out, "$", at)?;
                    i = dollar + 1;
                }
            }
            lit_start = i;
        }
        push(out, sub(s, lit_start, s.len()), base + lit_start)
    }

    /// Plain substitution (`$NAME` / `${NAME}`).
    fn substitute(
        &mut self,
        name: &str,
        at: usize,
        out: &mut String,
    ) -> Result<(), InterpolateError> {
        match self.get(name, at)? {
            Some(v) => push(out, &v, at),
            None => {
                self.note_unset(name);
                Ok(())
            }
        }
    }

    /// Handle `${...}` starting at `dollar`; returns the index right after it.
    fn braced(
        &mut self,
        s: &str,
        base: usize,
        dollar: usize,
        depth: usize,
        out: &mut String,
    ) -> Result<usize, InterpolateError> {
        let bytes = s.as_bytes();
        let at = base + dollar;
        let name_start = dollar + 2;
        match bytes.get(name_start).copied() {
            Some(b) if is_name_start(b) => {}
            None | Some(b'\n') => return Err(invalid(s, base, dollar, "unterminated \"${\"")),
            Some(_) => {
                return Err(invalid(
                    s,
                    base,
                    dollar,
                    "expected a variable name ([A-Za-z_][A-Za-z0-9_]*) after \"${\"",
                ))
            }
        }
        let end = name_end(bytes, name_start);
        let name = sub(s, name_start, end);
        let (op, arg_start) = match bytes.get(end).copied() {
            Some(b'}') => {
                self.substitute(name, at, out)?;
                return Ok(end + 1);
            }
            Some(b':') => match bytes.get(end + 1).and_then(|&b| Op::from_bytes(true, b)) {
                Some(op) => (op, end + 2),
                None => {
                    return Err(invalid(
                        s,
                        base,
                        dollar,
                        "expected \"}\", \":-\", \":+\" or \":?\" after the variable name",
                    ))
                }
            },
            Some(b) => match Op::from_bytes(false, b) {
                Some(op) => (op, end + 1),
                None if b == b'\n' => {
                    return Err(invalid(s, base, dollar, "unterminated \"${\""));
                }
                None => {
                    return Err(invalid(
                        s,
                        base,
                        dollar,
                        "unexpected character after the variable name",
                    ))
                }
            },
            None => return Err(invalid(s, base, dollar, "unterminated \"${\"")),
        };
        let close = closing_brace(bytes, dollar).ok_or_else(|| {
            invalid(
                s,
                base,
                dollar,
                "unterminated \"${\" (no closing \"}\" on the same line)",
            )
        })?;
        let arg = sub(s, arg_start, close);
        let arg_base = base + arg_start;
        let value = self.get(name, at)?;
        let nested = |depth: usize| -> Result<usize, InterpolateError> {
            if depth >= MAX_DEPTH {
                Err(InterpolateError {
                    offset: at,
                    message: format!("interpolation nesting exceeds {MAX_DEPTH} levels"),
                })
            } else {
                Ok(depth + 1)
            }
        };
        match op {
            Op::DefaultIfUnsetOrEmpty | Op::DefaultIfUnset => match value {
                Some(v) if !(v.is_empty() && op == Op::DefaultIfUnsetOrEmpty) => push(out, &v, at)?,
                _ => self.expand(arg, arg_base, nested(depth)?, out)?,
            },
            Op::AltIfNonEmpty | Op::AltIfSet => match value {
                Some(v) if !(v.is_empty() && op == Op::AltIfNonEmpty) => {
                    self.expand(arg, arg_base, nested(depth)?, out)?
                }
                // compose-go yields the (empty or missing) value: nothing.
                _ => {}
            },
            Op::RequiredNonEmpty | Op::RequiredSet => match value {
                Some(v) if !(v.is_empty() && op == Op::RequiredNonEmpty) => push(out, &v, at)?,
                _ => {
                    let mut reason = String::new();
                    self.expand(arg, arg_base, nested(depth)?, &mut reason)?;
                    let message = if reason.is_empty() {
                        format!("required variable {name} is missing a value")
                    } else {
                        format!("required variable {name} is missing a value: {reason}")
                    };
                    return Err(InterpolateError {
                        offset: at,
                        message,
                    });
                }
            },
        }
        Ok(close + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn run(input: &str, pairs: &[(&str, &str)]) -> Result<Interpolated, InterpolateError> {
        let m = env(pairs);
        interpolate(input, &|k| m.get(k).cloned())
    }

    fn ok(input: &str, pairs: &[(&str, &str)]) -> String {
        match run(input, pairs) {
            Ok(r) => r.value,
            Err(e) => panic!("unexpected error for {input:?}: {e:?}"),
        }
    }

    fn err(input: &str, pairs: &[(&str, &str)]) -> InterpolateError {
        match run(input, pairs) {
            Ok(r) => panic!("expected an error for {input:?}, got {r:?}"),
            Err(e) => e,
        }
    }

    const STD: &[(&str, &str)] = &[("FOO", "first"), ("BAR", ""), ("JSON", r#"{"json":2}"#)];

    #[test]
    fn text_without_dollar_is_unchanged() {
        assert_eq!(ok("plain text { } :-", STD), "plain text { } :-");
        assert_eq!(ok("", STD), "");
    }

    #[test]
    fn unbraced_variable_is_substituted() {
        assert_eq!(ok("This $FOO var", STD), "This first var");
    }

    #[test]
    fn braced_variable_is_substituted() {
        assert_eq!(ok("This ${FOO} var", STD), "This first var");
        assert_eq!(ok("${FOO}${FOO}", STD), "firstfirst");
    }

    #[test]
    fn names_are_case_sensitive_and_accept_underscore_and_digits() {
        let vars = &[("_a1", "x"), ("A_1", "y"), ("a", "lower")];
        assert_eq!(ok("$_a1 ${A_1} $a", vars), "x y lower");
        assert_eq!(ok("$A", vars), "");
    }

    #[test]
    fn unbraced_name_stops_at_dot_hyphen_and_other_chars() {
        assert_eq!(ok("$FOO-bar", STD), "first-bar");
        assert_eq!(ok("$FOO.bar", STD), "first.bar");
        assert_eq!(ok("$FOO/x", STD), "first/x");
        assert_eq!(ok("$FOOé", STD), "firsté");
        assert_eq!(ok("$FOO:x", STD), "first:x");
    }

    #[test]
    fn braced_name_with_dot_or_hyphen_is_invalid() {
        let e = err("${FOO.bar}", STD);
        assert_eq!(e.offset, 0);
        assert!(
            e.message.contains("invalid interpolation format"),
            "{}",
            e.message
        );
        err("x ${A.B}", STD);
        err("${A!}", STD);
        err("${A }", STD);
        err("${A:x}", STD);
        err("${A:}", STD);
    }

    #[test]
    fn braced_name_must_start_with_letter_or_underscore() {
        err("${}", STD);
        err("${ }", STD);
        err("${ FOO}", STD);
        err("${1A}", STD);
        assert_eq!(ok("${_}", &[("_", "u")]), "u");
    }

    #[test]
    fn double_dollar_is_literal_dollar() {
        assert_eq!(ok("$$", STD), "$");
        assert_eq!(ok("$${foo}", STD), "${foo}");
        assert_eq!(ok("$$FOO", STD), "$FOO");
        assert_eq!(ok("$$$FOO", STD), "$first");
        assert_eq!(ok("$$$$", STD), "$$");
    }

    #[test]
    fn lone_dollar_not_followed_by_name_brace_or_dollar_is_literal() {
        for t in [
            "a $ string",
            "^REGEX$",
            "$}",
            "$",
            "$1",
            "$-x",
            "100$",
            "$é",
            "$:",
        ] {
            assert_eq!(ok(t, STD), t, "{t}");
        }
    }

    #[test]
    fn unset_variable_without_default_is_empty_and_recorded() {
        let r = run("This ${missing} var $other $missing", STD).unwrap();
        assert_eq!(r.value, "This  var  ");
        assert_eq!(r.unset, vec!["missing".to_string(), "other".to_string()]);
    }

    #[test]
    fn empty_variable_is_not_recorded_as_unset() {
        let r = run("This ${BAR} var", STD).unwrap();
        assert_eq!(r.value, "This  var");
        assert!(r.unset.is_empty());
    }

    #[test]
    fn colon_dash_default_applies_when_unset_or_empty() {
        assert_eq!(ok("ok ${missing:-def}", STD), "ok def");
        assert_eq!(ok("ok ${BAR:-def}", STD), "ok def");
        assert_eq!(ok("ok ${FOO:-def}", STD), "ok first");
    }

    #[test]
    fn dash_default_applies_only_when_unset() {
        assert_eq!(ok("ok ${missing-def}", STD), "ok def");
        assert_eq!(ok("ok ${BAR-def}", STD), "ok ");
        assert_eq!(ok("ok ${FOO-def}", STD), "ok first");
    }

    #[test]
    fn default_use_does_not_record_unset() {
        let r = run("${missing:-x}${missing-y}", STD).unwrap();
        assert_eq!(r.value, "xy");
        assert!(r.unset.is_empty());
    }

    #[test]
    fn empty_default_is_allowed() {
        assert_eq!(ok("a${missing:-}b${missing-}c", STD), "abc");
    }

    #[test]
    fn colon_plus_alternative_applies_when_set_and_non_empty() {
        assert_eq!(ok("ok ${FOO:+alt}", STD), "ok alt");
        assert_eq!(ok("ok ${BAR:+alt}", STD), "ok ");
        assert_eq!(ok("ok ${UNSET:+alt}", STD), "ok ");
    }

    #[test]
    fn plus_alternative_applies_when_set() {
        assert_eq!(ok("ok ${FOO+alt}", STD), "ok alt");
        assert_eq!(ok("ok ${BAR+alt}", STD), "ok alt");
        assert_eq!(ok("ok ${UNSET+alt}", STD), "ok ");
    }

    #[test]
    fn alternative_on_unset_variable_is_not_recorded_as_unset() {
        let r = run("${UNSET:+x}${UNSET+y}", STD).unwrap();
        assert!(r.unset.is_empty());
    }

    #[test]
    fn colon_question_errors_when_unset_or_empty() {
        let e = err("not ok ${UNSET_VAR:?Mandatory Variable Unset}", STD);
        assert_eq!(
            e.message,
            "required variable UNSET_VAR is missing a value: Mandatory Variable Unset"
        );
        assert_eq!(e.offset, 7);
        let e = err("${BAR:?Mandatory Variable Empty}", STD);
        assert_eq!(
            e.message,
            "required variable BAR is missing a value: Mandatory Variable Empty"
        );
        assert_eq!(ok("ok ${FOO:?err}", STD), "ok first");
    }

    #[test]
    fn question_errors_only_when_unset() {
        let e = err("${UNSET_VAR?oops}", STD);
        assert_eq!(
            e.message,
            "required variable UNSET_VAR is missing a value: oops"
        );
        assert_eq!(ok("ok ${BAR?err}", STD), "ok ");
        assert_eq!(ok("ok ${FOO?err}", STD), "ok first");
    }

    #[test]
    fn required_missing_variable_is_error_with_message() {
        let e = err("x=${DB_PASSWORD:?set it in .env}", STD);
        assert_eq!(e.offset, 2);
        assert_eq!(
            e.message,
            "required variable DB_PASSWORD is missing a value: set it in .env"
        );
    }

    #[test]
    fn required_without_message_has_short_error() {
        assert_eq!(
            err("${UNSET_VAR:?}", STD).message,
            "required variable UNSET_VAR is missing a value"
        );
        assert_eq!(
            err("${UNSET_VAR?}", STD).message,
            "required variable UNSET_VAR is missing a value"
        );
    }

    #[test]
    fn required_message_is_interpolated() {
        assert_eq!(
            err("${UNSET:?Mandatory Variable ${FOO}}", STD).message,
            "required variable UNSET is missing a value: Mandatory Variable first"
        );
        assert_eq!(
            err("${UNSET?needs $FOO}", STD).message,
            "required variable UNSET is missing a value: needs first"
        );
    }

    #[test]
    fn operator_is_the_one_right_after_the_name() {
        // `?` first: the rest is the message, even if it contains `-`.
        assert_eq!(
            err("${UNSET_VAR?bar-baz}", STD).message,
            "required variable UNSET_VAR is missing a value: bar-baz"
        );
        assert_eq!(ok("${UNSET_VAR-myerror?msg}", STD), "myerror?msg");
        assert_eq!(ok("${FOO?bar-baz}", STD), "first");
        assert_eq!(
            ok("ok ${BAR:-/non:-alphanumeric}", STD),
            "ok /non:-alphanumeric"
        );
    }

    #[test]
    fn default_is_interpolated_for_nesting() {
        assert_eq!(ok("ok ${UNSET-$FOO}", STD), "ok first");
        assert_eq!(ok("ok ${UNSET-${FOO}}", STD), "ok first");
        assert_eq!(ok("ok ${UNSET-${FOO} ${FOO}}", STD), "ok first first");
        assert_eq!(ok("ok ${BAR:-foo ${FOO} bar}", STD), "ok foo first bar");
        assert_eq!(ok("ok ${BAR+$FOO ${FOO:+second}}", STD), "ok first second");
        assert_eq!(ok("${A:-${B:-x}}", STD), "x");
        assert_eq!(ok("${A:-${B:-${C:-deep}}}!", STD), "deep!");
        assert_eq!(ok("+ok ${UNSET:-${BAR-defaultValue}}", STD), "+ok ");
    }

    #[test]
    fn nested_default_escapes_are_honoured() {
        assert_eq!(ok("${UNSET:-$$FOO}", STD), "$FOO");
    }

    #[test]
    fn default_is_evaluated_lazily() {
        // The default is not used, so its missing required variable is no error
        // and its unset variable is not recorded.
        let r = run("${FOO:-${NOPE:?boom}}${FOO:-$ALSO_NOPE}", STD).unwrap();
        assert_eq!(r.value, "firstfirst");
        assert!(r.unset.is_empty());
        let r = run("${A:+${A},}B", STD).unwrap();
        assert_eq!(r.value, "B");
        assert!(r.unset.is_empty());
        assert_eq!(
            run("${FOO?${NOPE}}", STD).unwrap(),
            Interpolated {
                value: "first".into(),
                unset: vec![]
            }
        );
    }

    #[test]
    fn unset_variable_in_used_default_is_recorded() {
        let r = run("${A:-${B}}", STD).unwrap();
        assert_eq!(r.value, "");
        assert_eq!(r.unset, vec!["B".to_string()]);
    }

    #[test]
    fn text_around_expressions_with_operator_characters_is_kept() {
        assert_eq!(ok("-ok ${BAR:-defaultValue}", STD), "-ok defaultValue");
        assert_eq!(ok(":-ok ${UNSET-defaultValue}", STD), ":-ok defaultValue");
        assert_eq!(ok(":?ok ${BAR-defaultValue}", STD), ":?ok ");
        assert_eq!(ok("?ok ${BAR:-defaultValue}", STD), "?ok defaultValue");
        assert_eq!(ok("ok ${SUB:-redis}.${FOO:?}", STD), "ok redis.first");
        assert_eq!(ok("${A:-a} and ${B:-b}", STD), "a and b");
    }

    #[test]
    fn json_default_with_balanced_braces() {
        assert_eq!(ok(r#"ok ${missing:-{"json":1}}"#, STD), r#"ok {"json":1}"#);
        assert_eq!(ok(r#"ok ${missing-{"json":1}}"#, STD), r#"ok {"json":1}"#);
        assert_eq!(ok(r#"ok ${JSON:-{"json":1}}"#, STD), r#"ok {"json":2}"#);
    }

    #[test]
    fn unbalanced_brace_in_default_closes_at_last_brace_on_line() {
        // compose-go: no balancing `}`, so the regex's greedy match wins.
        assert_eq!(ok("${A:-{x}", STD), "{x");
        assert_eq!(ok("${A:-{}", STD), "{");
    }

    #[test]
    fn byte_after_open_brace_is_not_counted_like_compose() {
        // `{}` inside a default: compose-go skips the `}` right after `{`.
        assert_eq!(ok("${A:-{}} x}", STD), "{}} x");
    }

    #[test]
    fn extra_closing_brace_after_expression_is_literal() {
        assert_eq!(ok("${A:-x}}", STD), "x}");
        assert_eq!(ok("${FOO}}", STD), "first}");
    }

    #[test]
    fn substituted_values_are_not_reinterpolated() {
        let vars = &[("A", "$B ${C:?x} $$"), ("B", "no")];
        assert_eq!(ok("$A", vars), "$B ${C:?x} $$");
        assert_eq!(ok("${U:-$A}", vars), "$B ${C:?x} $$");
    }

    #[test]
    fn unterminated_brace_is_error_with_offset() {
        for (t, off) in [
            ("${", 0),
            ("abc ${FOO", 4),
            ("abc ${FOO:-x", 4),
            ("ab ${FOO-x\n}", 3),
            ("${FOO\n}", 0),
        ] {
            let e = err(t, STD);
            assert_eq!(e.offset, off, "{t}");
            assert!(
                e.message.contains("invalid interpolation format"),
                "{}",
                e.message
            );
        }
        assert!(err("${FOO:-x", STD).message.contains("unterminated"));
    }

    #[test]
    fn expression_does_not_span_lines() {
        assert_eq!(ok("${A:-x}\n${B:-y}", STD), "x\ny");
        err("${A:-x\ny}", STD);
    }

    #[test]
    fn nested_error_offset_points_into_original_input() {
        let e = err("abc ${A:-12${B:?bad}}", STD);
        assert_eq!(e.offset, 11);
        assert_eq!(e.message, "required variable B is missing a value: bad");
        let e = err("${A:-xy${.}}", STD);
        assert_eq!(e.offset, 7);
    }

    #[test]
    fn first_error_wins() {
        let e = err("${A:?one} ${B:?two}", STD);
        assert_eq!(e.message, "required variable A is missing a value: one");
    }

    #[test]
    fn unset_list_is_deduplicated_in_first_use_order() {
        let r = run("$Z $A ${Z} $B $A", STD).unwrap();
        assert_eq!(r.unset, vec!["Z", "A", "B"]);
    }

    #[test]
    fn multibyte_text_is_preserved() {
        assert_eq!(ok("héllo ${FOO} wörld €$", STD), "héllo first wörld €$");
        assert_eq!(ok("${U:-ünïcode}", STD), "ünïcode");
    }

    #[test]
    fn output_over_one_mib_is_error() {
        let big = "x".repeat(MAX_OUTPUT / 2 + 1);
        let vars = &[("BIG", big.as_str())];
        let e = err("$BIG$BIG", vars);
        assert_eq!(e.message, "interpolated value exceeds 1 MiB");
        assert_eq!(e.offset, 4);
        assert_eq!(ok("$BIG", vars).len(), big.len());
        let huge_literal = "y".repeat(MAX_OUTPUT + 1);
        assert_eq!(
            err(&huge_literal, STD).message,
            "interpolated value exceeds 1 MiB"
        );
    }

    #[test]
    fn looking_up_over_16_mib_is_error() {
        let big = "x".repeat(MAX_OUTPUT);
        let vars = &[("BIG", big.as_str())];
        assert_eq!(ok(&"${BIG:+y}".repeat(16), vars), "y".repeat(16));
        let e = err(&"${BIG:+y}".repeat(17), vars);
        assert_eq!(e.message, "variable values looked up exceed 16 MiB");
        assert_eq!(e.offset, 16 * 9);
    }

    #[test]
    fn nesting_depth_over_64_is_error() {
        let nest = |n: usize| format!("{}x{}", "${A:-".repeat(n), "}".repeat(n));
        assert_eq!(ok(&nest(MAX_DEPTH), STD), "x");
        let e = err(&nest(MAX_DEPTH + 1), STD);
        assert!(e.message.contains("nesting exceeds 64"), "{}", e.message);
    }

    #[test]
    fn hostile_inputs_do_not_panic_and_stay_linear() {
        let inputs = [
            "${".repeat(10_000),
            "${A:-".repeat(10_000),
            "${A:-".repeat(10_000) + &"}".repeat(10_000),
            "$".repeat(100_001),
            "${A:-x}".repeat(50_000),
            "{}".repeat(10_000),
            "${A:-{".repeat(5_000) + "}",
            "$\u{feff}${\u{10ffff}}".to_string(),
            "${A:-{é}".to_string(),
            "${A:-{".to_string(),
        ];
        for i in &inputs {
            let _ = run(i, STD);
        }
        assert_eq!(ok(&"${A:-x}".repeat(50_000), STD).len(), 50_000);
    }
}
