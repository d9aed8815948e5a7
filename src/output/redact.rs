//! Which lines of a YAML file hold Secret material, so that a diff can hide them.
//!
//! This works on lines, not on a parsed document: a hand-edited file may not be valid YAML, and a
//! diff is about lines. It errs on the side of hiding. In a document that mentions `kind: Secret`
//! anywhere (also nested, as in a `List`, or in flow style), only these top-level keys and what
//! is indented under them stay visible: `apiVersion`, `kind`, `metadata` (less its
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, which holds the whole object),
//! `type`, `immutable`, and the `data:` / `stringData:` key lines themselves when nothing follows
//! the colon. Everything else in the document is hidden: the data, and anything not understood.
//! A SOPS-encrypted document (a top-level `sops:` key, as in a Helm chart's `secrets.yaml`) is
//! treated the same whatever its kind: its ciphertext and its `sops:` block are never shown.

/// Top-level keys of a Secret whose blocks are shown.
pub(crate) const VISIBLE_KEYS: &[&str] = &["apiVersion", "kind", "metadata", "type", "immutable"];
/// Top-level keys whose key line is shown when it has no inline value; their blocks never are.
const DATA_KEYS: &[&str] = &["data", "stringData"];
/// An annotation that repeats the whole object, data included.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// For each line, whether it must be hidden.
pub fn secret_lines(lines: &[&str]) -> Vec<bool> {
    let mut hidden = vec![false; lines.len()];
    let mut start = 0;
    while start < lines.len() {
        // A document runs up to (not including) the next separator line after its first line.
        let end = (start + 1..lines.len())
            .find(|&i| is_separator(lines[i]))
            .unwrap_or(lines.len());
        let doc = &lines[start..end];
        if doc
            .iter()
            .any(|l| mentions_secret_kind(l) || top_level_key(l).is_some_and(|(k, _)| k == "sops"))
        {
            mark_document(doc, &mut hidden[start..end]);
        }
        start = end;
    }
    hidden
}

fn trim_eol(line: &str) -> &str {
    line.trim_end_matches(['\n', '\r'])
}

/// `---` or `...` at column 0, alone or followed by a space, a tab or the end of the line.
fn is_separator(line: &str) -> bool {
    let l = trim_eol(line);
    ["---", "..."].iter().any(|m| {
        l.strip_prefix(m)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    })
}

/// True when what follows a separator or a key's colon is empty or a comment.
fn is_empty_or_comment(rest: &str) -> bool {
    let r = rest.trim();
    r.is_empty() || r.starts_with('#')
}

/// `kind: Secret` in any style: block (at any indentation, also `- kind: Secret`), flow or JSON.
fn mentions_secret_kind(line: &str) -> bool {
    let l = trim_eol(line);
    let mut from = 0;
    while let Some(i) = l[from..].find("kind") {
        let at = from + i;
        from = at + 4;
        let before_ok = at == 0 || !l.as_bytes()[at - 1].is_ascii_alphanumeric();
        if !before_ok {
            continue;
        }
        let rest = l[from..].trim_start_matches(['"', '\'']).trim_start();
        let Some(value) = rest.strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start().trim_start_matches(['"', '\'']);
        if let Some(after) = value.strip_prefix("Secret") {
            if !after.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return true;
            }
        }
    }
    false
}

/// The key of a top-level (column 0) mapping line and what follows its colon.
fn top_level_key(line: &str) -> Option<(&str, &str)> {
    let l = trim_eol(line);
    let first = l.chars().next()?;
    if first.is_whitespace() || first == '#' || first == '-' {
        return None;
    }
    let (key, rest) = if let Some(q @ ('"' | '\'')) = l.chars().next() {
        let close = l[1..].find(q)? + 1;
        (&l[1..close], l[close + 1..].trim_start())
    } else {
        let colon = l.find(':')?;
        (l[..colon].trim_end(), &l[colon..])
    };
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, rest))
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches([' ', '\t']).len()
}

fn is_blank(line: &str) -> bool {
    trim_eol(line).trim().is_empty()
}

fn mark_document(doc: &[&str], hidden: &mut [bool]) {
    // Whether lines of the current top-level block are hidden. Before the first key (comments,
    // the separator) nothing is hidden.
    let mut block_hidden = false;
    let mut in_metadata = false;
    // Inside metadata: hide lines indented deeper than this (the last-applied annotation).
    let mut hide_deeper_than: Option<usize> = None;
    for (i, line) in doc.iter().enumerate() {
        if i == 0 && is_separator(line) {
            // Content after `--- ` belongs to the document: hide it.
            let rest = &trim_eol(line)[3..];
            hidden[i] = !is_empty_or_comment(rest);
            continue;
        }
        if let Some((key, rest)) = top_level_key(line) {
            hide_deeper_than = None;
            in_metadata = key == "metadata";
            if VISIBLE_KEYS.contains(&key) {
                block_hidden = false;
                // `kind: Secret`, `type: Opaque`: short values, shown; a flow mapping is not.
                hidden[i] = rest.trim_start().starts_with(['{', '[']);
            } else if DATA_KEYS.contains(&key) {
                block_hidden = true;
                hidden[i] = !is_empty_or_comment(rest);
            } else {
                block_hidden = true;
                hidden[i] = true;
            }
            continue;
        }
        let first = trim_eol(line).chars().next();
        let top_level_other = matches!(first, Some(c) if !c.is_whitespace() && c != '#');
        if top_level_other {
            // A column-0 line that is not a `key:` (a list item, a flow collection): not
            // understood, so hidden, and so is everything after it until the next key.
            block_hidden = true;
            in_metadata = false;
            hidden[i] = true;
            continue;
        }
        if block_hidden {
            hidden[i] = true;
            continue;
        }
        if in_metadata && !is_blank(line) && !trim_eol(line).trim_start().starts_with('#') {
            let indent = indentation(line);
            match hide_deeper_than {
                Some(limit) if indent > limit => {
                    hidden[i] = true;
                    continue;
                }
                _ => hide_deeper_than = None,
            }
            if line.contains(LAST_APPLIED) {
                hidden[i] = true;
                hide_deeper_than = Some(indent);
            }
        } else if hide_deeper_than.is_some() {
            hidden[i] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hidden_text(text: &str) -> String {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let marks = secret_lines(&lines);
        lines
            .iter()
            .zip(marks)
            .map(|(l, h)| {
                if h {
                    "XXX\n".to_string()
                } else {
                    l.to_string()
                }
            })
            .collect()
    }

    #[test]
    fn data_and_string_data_of_a_secret_are_hidden() {
        let text = "# Generated by ferry\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    a: b\ntype: Opaque\ndata:\n  password: cGFzcw==\n\n  user: dXNlcg==\nstringData:\n  token: |\n    abc\n    def\nimmutable: true\n";
        assert_eq!(
            hidden_text(text),
            "# Generated by ferry\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  labels:\n    a: b\ntype: Opaque\ndata:\nXXX\nXXX\nXXX\nstringData:\nXXX\nXXX\nXXX\nimmutable: true\n"
        );
    }

    #[test]
    fn kind_after_data_and_quoted_kind_still_count() {
        let text = "data:\n  k: v\n\"kind\": 'Secret'\n";
        assert_eq!(hidden_text(text), "data:\nXXX\n\"kind\": 'Secret'\n");
    }

    #[test]
    fn other_kinds_are_shown_and_documents_are_separate() {
        let text = "kind: ConfigMap\ndata:\n  k: v\n---\nkind: Secret\ndata:\n  k: v\n---\nkind: SecretStore\ndata:\n  k: v\n";
        assert_eq!(
            hidden_text(text),
            "kind: ConfigMap\ndata:\n  k: v\n---\nkind: Secret\ndata:\nXXX\n---\nkind: SecretStore\ndata:\n  k: v\n"
        );
    }

    #[test]
    fn inline_and_flow_data_and_unknown_keys_are_hidden() {
        let text = "kind: Secret\ndata: {k: v}\nextra: value\n  more: x\n- item\n";
        assert_eq!(hidden_text(text), "kind: Secret\nXXX\nXXX\nXXX\nXXX\n");
        let json = "{\"kind\": \"Secret\", \"data\": {\"k\": \"v\"}}\n";
        assert_eq!(hidden_text(json), "XXX\n");
        let list = "kind: List\nitems:\n- kind: Secret\n  data:\n    k: v\n";
        assert_eq!(hidden_text(list), "kind: List\nXXX\nXXX\nXXX\nXXX\n");
        let after_separator = "--- {kind: Secret, data: {k: v}}\n";
        assert_eq!(hidden_text(after_separator), "XXX\n");
    }

    #[test]
    fn a_sops_file_of_any_kind_is_hidden() {
        let text =
            "# h\nsecrets:\n  app-env:\n    K: ENC[AES256_GCM,data:x]\nsops:\n  mac: ENC[y]\n";
        assert_eq!(hidden_text(text), "# h\nXXX\nXXX\nXXX\nXXX\nXXX\n");
    }

    #[test]
    fn last_applied_annotation_is_hidden() {
        let text = "kind: Secret\nmetadata:\n  annotations:\n    kubectl.kubernetes.io/last-applied-configuration: |\n      {\"data\":{\"k\":\"v\"}}\n    other: x\n  name: s\n";
        assert_eq!(
            hidden_text(text),
            "kind: Secret\nmetadata:\n  annotations:\nXXX\nXXX\n    other: x\n  name: s\n"
        );
    }
}
