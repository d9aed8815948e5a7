//! Events from `saphyr-parser` to a located [`Node`] tree, with compose's YAML rules: merge keys
//! (`<<`), anchors and aliases (with an expansion budget), duplicate keys as errors, and the
//! `!reset` / `!override` tags kept on the node.

use super::{Entry, Map, Node, Scalar, Tag, Value};
use crate::error::{Error, Location, Result};
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::collections::HashMap;
use std::sync::Arc;

/// Bounds that keep hostile input (YAML bombs, deep nesting) from eating time or memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most nodes a document may have once every alias is expanded.
    pub max_nodes: usize,
    /// The deepest nesting of mappings and lists.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 1_000_000,
            max_depth: 200,
        }
    }
}

enum Pending {
    Key(String, Location),
    Merge(Location),
}

enum Item {
    Entry(String, Entry),
    Merge(Node),
}

enum Frame {
    Seq {
        items: Vec<Node>,
        loc: Location,
        tag: Option<Tag>,
        anchor: usize,
    },
    Map {
        items: Vec<Item>,
        seen: HashMap<String, Location>,
        pending: Option<Pending>,
        loc: Location,
        tag: Option<Tag>,
        anchor: usize,
    },
}

struct Builder<'a> {
    file: Arc<str>,
    limits: &'a Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    docs: Vec<Node>,
}

fn size(node: &Node) -> usize {
    match &node.value {
        Value::Scalar(_) => 1,
        Value::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Value::Map(m) => 1 + m.values().map(|e| 1 + size(&e.value)).sum::<usize>(),
    }
}

fn convert_tag(tag: Option<&saphyr_parser::Tag>) -> (Option<Tag>, bool) {
    // Returns the tag and whether it forces a string.
    match tag {
        None => (None, false),
        Some(t) if t.handle == "!" && t.suffix == "reset" => (Some(Tag::Reset), false),
        Some(t) if t.handle == "!" && t.suffix == "override" => (Some(Tag::Override), false),
        Some(t) if t.is_yaml_core_schema() => (None, t.suffix == "str"),
        Some(t) => (Some(Tag::Other(format!("{}{}", t.handle, t.suffix))), false),
    }
}

impl Builder<'_> {
    fn loc(&self, span: &Span) -> Location {
        Location::new(
            self.file.clone(),
            u32::try_from(span.start.line()).unwrap_or(u32::MAX),
            u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX),
        )
    }

    fn count(&mut self, n: usize, loc: &Location) -> Result<()> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(Error::invalid(
                loc,
                format!(
                    "the document expands to more than {} nodes (are aliases nested too deep?); refusing to read it",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame, loc: &Location) -> Result<()> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(Error::invalid(
                loc,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn complete(&mut self, node: Node, anchor: usize) -> Result<()> {
        if anchor != 0 {
            let n = size(&node);
            self.anchors.insert(anchor, (node.clone(), n));
        }
        self.push_value(node)
    }

    fn push_value(&mut self, node: Node) -> Result<()> {
        match self.stack.last_mut() {
            None => {
                self.docs.push(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                items,
                seen,
                pending,
                ..
            }) => match pending.take() {
                None => {
                    let key = match &node.value {
                        Value::Scalar(s) if !node.is_null() || !s.plain => s.text.clone(),
                        _ => {
                            return Err(Error::invalid(
                                &node.loc,
                                format!("mapping keys must be strings, found {}", node.kind_name()),
                            ))
                        }
                    };
                    let plain = matches!(&node.value, Value::Scalar(s) if s.plain);
                    *pending = Some(if key == "<<" && plain {
                        Pending::Merge(node.loc)
                    } else {
                        Pending::Key(key, node.loc)
                    });
                    Ok(())
                }
                Some(Pending::Key(key, key_loc)) => {
                    if let Some(first) = seen.get(&key) {
                        return Err(Error::invalid(
                            &key_loc,
                            format!(
                                "duplicate key `{key}` (first defined at line {}, column {})",
                                first.line, first.column
                            ),
                        ));
                    }
                    seen.insert(key.clone(), key_loc.clone());
                    items.push(Item::Entry(
                        key,
                        Entry {
                            key_loc,
                            value: node,
                        },
                    ));
                    Ok(())
                }
                Some(Pending::Merge(loc)) => {
                    let ok = match &node.value {
                        Value::Map(_) => true,
                        Value::Seq(s) => s.iter().all(|n| n.as_map().is_some()),
                        Value::Scalar(_) => false,
                    };
                    if !ok {
                        return Err(Error::invalid(
                            &loc,
                            "a merge key `<<` takes a mapping or a list of mappings (usually aliases such as `<<: *defaults`)",
                        ));
                    }
                    items.push(Item::Merge(node));
                    Ok(())
                }
            },
        }
    }

    fn close_map(items: Vec<Item>, seen: &HashMap<String, Location>) -> Map {
        let mut map = Map::with_capacity(items.len());
        for item in items {
            match item {
                Item::Entry(k, e) => {
                    map.insert(k, e);
                }
                Item::Merge(node) => {
                    // Explicit keys win over merged ones; among several merged mappings the
                    // first one that has a key wins.
                    let sources: Vec<Node> = match node.value {
                        Value::Map(_) => vec![node],
                        Value::Seq(s) => s,
                        Value::Scalar(_) => Vec::new(),
                    };
                    for src in sources {
                        if let Value::Map(m) = src.value {
                            for (k, e) in m {
                                if !seen.contains_key(&k) && !map.contains_key(&k) {
                                    map.insert(k, e);
                                }
                            }
                        }
                    }
                }
            }
        }
        map
    }

    fn event(&mut self, ev: Event<'_>, span: Span) -> Result<()> {
        match ev {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(_) => {
                self.anchors.clear();
                Ok(())
            }
            Event::Alias(id) => {
                let loc = self.loc(&span);
                let Some((node, n)) = self.anchors.get(&id) else {
                    return Err(Error::invalid(&loc, "alias to an unknown anchor"));
                };
                let (node, n) = (node.clone(), *n);
                self.count(n, &loc)?;
                self.push_value(node)
            }
            Event::Scalar(text, style, anchor, tag) => {
                let loc = self.loc(&span);
                self.count(1, &loc)?;
                let (tag, force_str) = convert_tag(tag.as_deref());
                let plain = matches!(style, ScalarStyle::Plain) && !force_str;
                let node = Node {
                    value: Value::Scalar(Scalar {
                        text: text.into_owned(),
                        plain,
                    }),
                    loc,
                    tag,
                };
                self.complete(node, anchor)
            }
            Event::SequenceStart(anchor, tag) => {
                let loc = self.loc(&span);
                self.count(1, &loc)?;
                let (tag, _) = convert_tag(tag.as_deref());
                self.open(
                    Frame::Seq {
                        items: Vec::new(),
                        loc: loc.clone(),
                        tag,
                        anchor,
                    },
                    &loc,
                )
            }
            Event::MappingStart(anchor, tag) => {
                let loc = self.loc(&span);
                self.count(1, &loc)?;
                let (tag, _) = convert_tag(tag.as_deref());
                self.open(
                    Frame::Map {
                        items: Vec::new(),
                        seen: HashMap::new(),
                        pending: None,
                        loc: loc.clone(),
                        tag,
                        anchor,
                    },
                    &loc,
                )
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq {
                    items,
                    loc,
                    tag,
                    anchor,
                }) => self.complete(
                    Node {
                        value: Value::Seq(items),
                        loc,
                        tag,
                    },
                    anchor,
                ),
                _ => Err(Error::invalid(&self.loc(&span), "unbalanced YAML events")),
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map {
                    items,
                    seen,
                    loc,
                    tag,
                    anchor,
                    ..
                }) => {
                    let map = Self::close_map(items, &seen);
                    self.complete(
                        Node {
                            value: Value::Map(map),
                            loc,
                            tag,
                        },
                        anchor,
                    )
                }
                _ => Err(Error::invalid(&self.loc(&span), "unbalanced YAML events")),
            },
        }
    }
}

/// Parse every document of a YAML stream.
pub fn parse_stream(src: &str, file: Arc<str>, limits: &Limits) -> Result<Vec<Node>> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut builder = Builder {
        file: file.clone(),
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        docs: Vec::new(),
    };
    let mut parser = Parser::new_from_str(src).keep_tags(true);
    while let Some(ev) = parser.next_event() {
        match ev {
            Ok((ev, span)) => builder.event(ev, span)?,
            Err(e) => {
                let m = e.marker();
                let loc = Location::new(
                    file,
                    u32::try_from(m.line()).unwrap_or(u32::MAX),
                    u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
                );
                return Err(Error::invalid(&loc, format!("invalid YAML: {}", e.info())));
            }
        }
    }
    Ok(builder.docs)
}

/// Parse a YAML stream that must hold at most one document; `None` for an empty file.
pub fn parse_document(src: &str, file: Arc<str>, limits: &Limits) -> Result<Option<Node>> {
    let mut docs = parse_stream(src, file, limits)?;
    if docs.len() > 1 {
        return Err(Error::invalid(
            &docs[1].loc,
            "expected a single YAML document, found a second one",
        ));
    }
    Ok(docs.pop())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<Node> {
        parse_document(src, Arc::from("t.yaml"), &Limits::default()).map(|d| d.unwrap())
    }

    #[test]
    fn nodes_carry_line_and_column() {
        let n = parse("services:\n  web:\n    image: nginx\n").unwrap();
        let image = n
            .get("services")
            .unwrap()
            .get("web")
            .unwrap()
            .get("image")
            .unwrap();
        assert_eq!(image.loc.to_string(), "t.yaml:3:12");
        let entry = &n.get("services").unwrap().as_map().unwrap()["web"];
        assert_eq!(entry.key_loc.to_string(), "t.yaml:2:3");
    }

    #[test]
    fn duplicate_key_is_error_naming_both_places() {
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err().to_string();
        assert_eq!(
            e,
            "t.yaml:3:1: duplicate key `a` (first defined at line 1, column 1)"
        );
    }

    #[test]
    fn merge_key_explicit_keys_win() {
        let n = parse("x: &d {a: 1, b: 2}\ny:\n  <<: *d\n  b: 3\n").unwrap();
        let y = n.get("y").unwrap().to_json();
        assert_eq!(y, serde_json::json!({"a": 1, "b": 3}));
    }

    #[test]
    fn merge_key_list_first_source_wins() {
        let n = parse("p: &p {a: 1}\nq: &q {a: 2, c: 3}\nr:\n  <<: [*p, *q]\n").unwrap();
        assert_eq!(
            n.get("r").unwrap().to_json(),
            serde_json::json!({"a": 1, "c": 3})
        );
    }

    #[test]
    fn merge_key_of_scalar_is_error() {
        let e = parse("a:\n  <<: 3\n").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:2:3: a merge key"), "{e}");
    }

    #[test]
    fn quoted_merge_key_is_ordinary_key() {
        let n = parse("a:\n  '<<': 3\n").unwrap();
        assert_eq!(n.get("a").unwrap().to_json(), serde_json::json!({"<<": 3}));
    }

    #[test]
    fn alias_bomb_is_refused() {
        let mut src = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            src.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse(&src).unwrap_err().to_string();
        assert!(e.contains("expands to more than"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        // Flow style: the scanner's own limit answers first.
        let src = "[".repeat(1000) + &"]".repeat(1000);
        let e = parse(&src).unwrap_err().to_string();
        assert!(e.contains("recursion limit"), "{e}");
        // Block style: ours.
        let mut src = String::new();
        for i in 0..300 {
            src.push_str(&" ".repeat(i));
            src.push_str("a:\n");
        }
        let e = parse(&src).unwrap_err().to_string();
        assert!(e.contains("nesting deeper than 200"), "{e}");
    }

    #[test]
    fn reset_and_override_tags_are_kept() {
        let n = parse("a: !reset []\nb: !override {x: 1}\n").unwrap();
        assert_eq!(n.get("a").unwrap().tag, Some(Tag::Reset));
        assert_eq!(n.get("b").unwrap().tag, Some(Tag::Override));
    }

    #[test]
    fn quoted_scalars_are_not_plain() {
        let n = parse("a: '80'\nb: 80\nc: !!str 80\n").unwrap();
        assert_eq!(
            n.to_json(),
            serde_json::json!({"a": "80", "b": 80, "c": "80"})
        );
    }

    #[test]
    fn syntax_error_has_location() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err().to_string();
        assert!(e.starts_with("t.yaml:"), "{e}");
        assert!(e.contains("invalid YAML"), "{e}");
    }

    #[test]
    fn empty_file_is_no_document() {
        let d = parse_document("# nothing\n", Arc::from("t.yaml"), &Limits::default()).unwrap();
        assert!(d.is_none());
    }

    #[test]
    fn bom_is_skipped() {
        let n = parse("\u{feff}a: 1\n").unwrap();
        assert_eq!(n.to_json(), serde_json::json!({"a": 1}));
    }

    #[test]
    fn second_document_is_error() {
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err().to_string();
        assert!(e.contains("single YAML document"), "{e}");
    }
}
