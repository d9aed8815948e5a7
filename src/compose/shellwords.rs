//! A `command` or `entrypoint` written as a string, split into words as docker compose splits
//! it: compose-go reads it with go-shellwords (`mattn/go-shellwords` 1.0, no variable or
//! backtick expansion), which is not a POSIX shell and not `shlex`:
//!
//! - the split **stops at the first shell operator** (`;`, `&`, `|`, `<`, `>` outside quotes) and
//!   the rest of the line is dropped: `echo a && echo b` runs `echo a`; a word of digits written
//!   right before `>` (`2>&1`) goes with it;
//! - a backslash outside single quotes escapes the next character, also inside double quotes
//!   (`"a\nb"` is `anb`);
//! - `$(…)` and backquotes are kept as written, spaces and all, inside one word; a `(` that does
//!   not follow `$`, or an unclosed quote, makes the line unreadable (compose refuses the file).
//!
//! Each rule was checked against `docker compose config` (v2.40.3).

/// The words of a command line, and what docker compose drops after the first shell operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub words: Vec<String>,
    /// The text from the first shell operator on (from the digits before a `>`, when they are
    /// dropped with it), trimmed; `None` when the whole line was read.
    pub dropped: Option<String>,
}

/// Why a line cannot be split (docker compose refuses it: "invalid command line string").
pub const UNREADABLE: &str =
    "unbalanced quotes, or a `(` or `)` outside quotes and not part of `$(…)`";

/// Split `line` as go-shellwords does; `Err` when compose cannot read it.
pub fn split(line: &str) -> Result<Split, &'static str> {
    let mut words = Vec::new();
    let mut word = String::new();
    // Whether a word has begun (a quoted empty word counts), and at which byte.
    let mut started: Option<usize> = None;
    let (mut escaped, mut single, mut double, mut backquote, mut dollar) =
        (false, false, false, false, false);
    let mut dropped = None;
    for (i, c) in line.char_indices() {
        if escaped {
            word.push(c);
            escaped = false;
            started.get_or_insert(i);
            continue;
        }
        if c == '\\' {
            if single {
                word.push(c);
            } else {
                escaped = true;
            }
            started.get_or_insert(i);
            continue;
        }
        let quoted = single || double || backquote || dollar;
        if matches!(c, ' ' | '\t' | '\r' | '\n') {
            if quoted {
                word.push(c);
            } else if started.take().is_some() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if matches!(c, ';' | '&' | '|' | '<' | '>') && !quoted {
            // Digits right before `>` (a redirected descriptor) go with the operator.
            let from = match started {
                Some(s) if c == '>' && word.starts_with(|d: char| d.is_ascii_digit()) => {
                    started = None;
                    s
                }
                _ => i,
            };
            dropped = Some(line[from..].trim().to_string());
            break;
        }
        started.get_or_insert(i);
        match c {
            '`' if !single && !double && !dollar => backquote = !backquote,
            ')' if !single && !double && !backquote => dollar = !dollar,
            '(' if !single && !double && !backquote => {
                if dollar || !word.ends_with('$') {
                    return Err(UNREADABLE);
                }
                dollar = true;
            }
            '"' if !single && !dollar => {
                double = !double;
                continue;
            }
            '\'' if !double && !dollar => {
                single = !single;
                continue;
            }
            _ => {}
        }
        word.push(c);
    }
    if dropped.is_none() && (escaped || single || double || backquote || dollar) {
        return Err(UNREADABLE);
    }
    if started.is_some() {
        words.push(word);
    }
    Ok(Split { words, dropped })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        split(line).unwrap().words
    }

    fn dropped(line: &str) -> Option<String> {
        split(line).unwrap().dropped
    }

    /// Each case is what `docker compose config` (v2.40.3) prints for `command: <line>`.
    #[test]
    fn splits_as_docker_compose() {
        assert_eq!(words("echo a && echo b"), ["echo", "a"]);
        assert_eq!(dropped("echo a && echo b").as_deref(), Some("&& echo b"));
        assert_eq!(
            words("pd-server --lease 0s > tidb.log 2>&1 &"),
            ["pd-server", "--lease", "0s"]
        );
        assert_eq!(
            words("pd-server --lease 0s 2>&1"),
            ["pd-server", "--lease", "0s"]
        );
        assert_eq!(
            dropped("pd-server --lease 0s 2>&1").as_deref(),
            Some("2>&1")
        );
        assert_eq!(words("a 2>b"), ["a"]);
        assert_eq!(words("a 0s>b"), ["a"]);
        assert_eq!(words("a;b"), ["a"]);
        assert_eq!(words("a|b"), ["a"]);
        assert_eq!(words("a<b"), ["a"]);
        assert_eq!(words("a \"b c\" d"), ["a", "b c", "d"]);
        assert_eq!(words("a \\\"b\\\" c"), ["a", "\"b\"", "c"]);
        assert_eq!(words("a \"b\\nc\""), ["a", "bnc"]);
        assert_eq!(words("a \"b\\\\c\""), ["a", "b\\c"]);
        assert_eq!(words("a $(date) b"), ["a", "$(date)", "b"]);
        assert_eq!(words("a `date x` b"), ["a", "`date x`", "b"]);
        assert_eq!(words("a \"\" b"), ["a", "", "b"]);
        assert_eq!(words("a '' b"), ["a", "", "b"]);
        assert_eq!(words("a\\tb"), ["atb"]);
        assert_eq!(
            words("sh -c \"echo $HOME; ls\""),
            ["sh", "-c", "echo $HOME; ls"]
        );
        assert_eq!(words("a#b c"), ["a#b", "c"]);
        assert_eq!(words("a 'b c' d"), ["a", "b c", "d"]);
        assert_eq!(words("a 'b\\c'"), ["a", "b\\c"]);
        assert_eq!(words("  "), Vec::<String>::new());
        assert_eq!(dropped("echo a b"), None);
    }

    #[test]
    fn unreadable_lines_are_errors_as_in_compose() {
        for line in ["a (b)", "a b)", "a \"unbalanced", "a 'open", "a \\"] {
            assert_eq!(split(line), Err(UNREADABLE), "{line}");
        }
        // What follows the operator is not read: compose accepts it.
        assert!(split("a; echo 'open").is_ok());
    }
}
