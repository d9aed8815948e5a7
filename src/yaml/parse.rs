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

enum Frame {
    Seq {
        items: Vec<Node>,
        loc: Location,
        tag: Option<Tag>,
        anchor: usize,
    },
    Map {
        /// The keys written in the mapping, in order (a duplicate is an error as soon as it is
        /// read).
        map: Map,
        /// Merge keys (`<<`): how many written keys came before each, and its value. Written
        /// keys win over merged ones, so merges are applied when the mapping ends.
        merges: Vec<(usize, Node)>,
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
    /// Copy each scalar's text instead of keeping the parser's string: set when the parser runs
    /// on another thread, whose allocator would otherwise hold the whole tree's strings (and,
    /// the thread gone, not lend their memory back once the tree is dropped).
    copy_text: bool,
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
                map,
                merges,
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
                Some(Pending::Key(key, key_loc)) => match map.entry(key) {
                    indexmap::map::Entry::Occupied(first) => {
                        let at = &first.get().key_loc;
                        Err(Error::invalid(
                            &key_loc,
                            format!(
                                "duplicate key `{}` (first defined at line {}, column {})",
                                first.key(),
                                at.line,
                                at.column
                            ),
                        )
                        .labelled("defined again here")
                        .also_at(at, "first defined here"))
                    }
                    indexmap::map::Entry::Vacant(slot) => {
                        slot.insert(Entry {
                            key_loc,
                            value: node,
                        });
                        Ok(())
                    }
                },
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
                    merges.push((map.len(), node));
                    Ok(())
                }
            },
        }
    }

    /// The mapping with its merge keys applied: each merged key not written in the mapping
    /// (the first merged mapping that has it wins) goes where its `<<` was.
    fn close_map(map: Map, merges: Vec<(usize, Node)>) -> Map {
        if merges.is_empty() {
            return map;
        }
        let mut merged: Map = Map::default();
        let mut at = Vec::new();
        for (pos, node) in merges {
            let sources: Vec<Node> = match node.value {
                Value::Map(_) => vec![node],
                Value::Seq(s) => s,
                Value::Scalar(_) => Vec::new(),
            };
            for src in sources {
                if let Value::Map(m) = src.value {
                    for (k, e) in m {
                        if !map.contains_key(&k) && !merged.contains_key(&k) {
                            merged.insert(k, e);
                            at.push(pos);
                        }
                    }
                }
            }
        }
        let mut out = Map::with_capacity(map.len() + merged.len());
        let mut merged = at.into_iter().zip(merged).peekable();
        for (i, (k, e)) in map.into_iter().enumerate() {
            while let Some((_, (mk, me))) = merged.next_if(|(pos, _)| *pos <= i) {
                out.insert(mk, me);
            }
            out.insert(k, e);
        }
        for (_, (mk, me)) in merged {
            out.insert(mk, me);
        }
        out
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
                        text: match self.copy_text {
                            true => String::from(&*text),
                            false => text.into_owned(),
                        },
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
                        map: Map::default(),
                        merges: Vec::new(),
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
                    map,
                    merges,
                    loc,
                    tag,
                    anchor,
                    ..
                }) => {
                    let map = Self::close_map(map, merges);
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
    parse_stream_on(src, file, limits, src.len() >= THREADED_FROM)
}

/// [`parse_stream`], with the parser on a second thread or not.
fn parse_stream_on(
    src: &str,
    file: Arc<str>,
    limits: &Limits,
    threaded: bool,
) -> Result<Vec<Node>> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut builder = Builder {
        file: file.clone(),
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        docs: Vec::new(),
        copy_text: threaded,
    };
    let scan_error = |e: saphyr_parser::ScanError| {
        let m = e.marker();
        let loc = Location::new(
            file.clone(),
            u32::try_from(m.line()).unwrap_or(u32::MAX),
            u32::try_from(m.col() + 1).unwrap_or(u32::MAX),
        );
        Error::invalid(&loc, format!("invalid YAML: {}", e.info()))
    };
    let parser = || Parser::new_from_str(src).keep_tags(true);
    let in_turn = |mut builder: Builder<'_>| {
        let mut parser = parser();
        while let Some(ev) = parser.next_event() {
            let (ev, span) = ev.map_err(&scan_error)?;
            builder.event(ev, span)?;
        }
        Ok(builder.docs)
    };
    if !threaded {
        return in_turn(builder);
    }
    // A large file: the parser runs on a second thread and hands its events over in batches,
    // while this one builds the tree (each is about half of reading a large compose file).
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<Parsed<'_>>>(4);
        let parsing = std::thread::Builder::new()
            .name("ferry-yaml".into())
            .spawn_scoped(scope, move || {
                let mut parser = parser();
                let mut batch = Vec::with_capacity(EVENT_BATCH);
                while let Some(ev) = parser.next_event() {
                    let stop = ev.is_err();
                    batch.push(ev);
                    if stop || batch.len() == EVENT_BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(EVENT_BATCH));
                        // The receiver is gone when the tree builder stopped at an error.
                        if tx.send(full).is_err() || stop {
                            return;
                        }
                    }
                }
                let _ = tx.send(batch);
            });
        if parsing.is_err() {
            return in_turn(builder);
        }
        for ev in rx.into_iter().flatten() {
            let (ev, span) = ev.map_err(&scan_error)?;
            builder.event(ev, span)?;
        }
        Ok(builder.docs)
    })
}

/// What the parser yields: an event and where it is, or why the text is not YAML.
type Parsed<'a> = std::result::Result<(Event<'a>, Span), saphyr_parser::ScanError>;

/// Texts from this size on are parsed on a second thread (below it, starting one costs more
/// than it saves).
const THREADED_FROM: usize = 64 * 1024;

/// How many events go to the tree builder at a time.
const EVENT_BATCH: usize = 512;

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
    use serde_json::json;

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

    /// Merged keys go where their `<<` is written, between the keys around it; a key written
    /// later still wins over a merged one, and of two merges the first that has a key wins.
    #[test]
    fn merged_keys_keep_the_place_of_their_merge_key() {
        let keys = |src: &str| -> Vec<String> {
            let n = parse(src).unwrap();
            n.get("m")
                .unwrap()
                .as_map()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        let src = "b: &b {y: 1, x: 9, z: 2}\nc: &c {v: 1, y: 2}\nm:\n  x: 1\n  <<: *b\n  w: 2\n  <<: *c\n  z: 3\n";
        assert_eq!(keys(src), ["x", "y", "w", "v", "z"]);
        let src = "b: &b {y: 1, x: 9, z: 2}\nc: &c {v: 1, y: 2}\nm:\n  x: 1\n  <<: [*b, *c]\n  w: 2\n  z: 3\n";
        assert_eq!(keys(src), ["x", "y", "v", "w", "z"]);
        let n = parse(src).unwrap();
        let m = n.get("m").unwrap().to_json();
        assert_eq!(
            m,
            serde_json::json!({"x": 1, "y": 1, "v": 1, "w": 2, "z": 3})
        );
        assert_eq!(keys("b: &b {y: 1}\nm:\n  <<: *b\n  a: 1\n"), ["y", "a"]);
        assert_eq!(keys("b: &b {y: 1}\nm:\n  a: 1\n  <<: *b\n"), ["a", "y"]);
    }

    /// A large file (parsed on a second thread) reads as it does in turn, and its errors are
    /// the same: a scanner error at the end, a tree error at the start (the parser thread then
    /// stops), and a tree error after the scanner's own.
    #[test]
    fn threaded_parse_reads_and_fails_as_in_turn() {
        let mut big = String::from("# big\nx-anchor: &a {k: v}\nservices:\n");
        for i in 0..3000 {
            big.push_str(&format!(
                "  s{i}:\n    image: \"img:{i}\"\n    <<: *a\n    ports: [\"{i}:80\"]\n"
            ));
        }
        assert!(big.len() > THREADED_FROM);
        let both = |src: &str| {
            let f = Arc::<str>::from("t.yaml");
            let threaded = parse_stream_on(src, f.clone(), &Limits::default(), true);
            let in_turn = parse_stream_on(src, f, &Limits::default(), false);
            (threaded, in_turn)
        };
        let (t, i) = both(&big);
        let (t, i) = (t.unwrap(), i.unwrap());
        assert_eq!(t, i);
        assert_eq!(t[0].get("services").unwrap().as_map().unwrap().len(), 3000);
        for bad in [
            format!("{big}  broken: [\n"),
            format!("a: 1\na: 2\n{big}"),
            format!("{big}services: 2\n"),
            format!("{big}  tab:\t- x\n  s0: {{}}\n"),
        ] {
            let (t, i) = both(&bad);
            let (t, i) = (t.unwrap_err().to_string(), i.unwrap_err().to_string());
            assert_eq!(t, i);
        }
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

    /// What go-yaml (docker compose's YAML library) reads where YAML 1.2 is stricter: each
    /// case is one patch of `vendor/saphyr-parser` (FERRY-PATCHES.md), checked against
    /// `docker compose config`.
    fn go_yaml_reads(src: &str, expected: serde_json::Value) {
        let n = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        assert_eq!(n.to_json(), expected, "{src:?}");
    }

    /// P1: indentation is not checked inside a flow collection.
    #[test]
    fn go_yaml_leniency_flow_collection_indentation() {
        // The closing bracket at the key's column (opentelemetry-demo's `command: [`).
        go_yaml_reads(
            "s:\n  command: [\n    \"start\"\n  ]\n  next: 1\n",
            json!({"s": {"command": ["start"], "next": 1}}),
        );
        go_yaml_reads(
            "s:\n  labels: {\n  a: b,\n  c: d\n  }\n",
            json!({"s": {"labels": {"a": "b", "c": "d"}}}),
        );
        // Entries, anchors, tags and multi-line plain scalars at column 1.
        go_yaml_reads(
            "s:\n  c: [\n&x a, *x,\n!!str 1, b\nc]\n",
            json!({"s": {"c": ["a", "a", "1", "b c"]}}),
        );
        go_yaml_reads(
            "services: {\na: {image: x}\n}\n",
            json!({"services": {"a": {"image": "x"}}}),
        );
        // Block indentation still counts outside flow collections.
        assert!(parse("a:\n  b: 1\n c: 2\n").is_err());
    }

    /// P2: a quoted scalar's continuation lines may start at any column, also with a tab.
    #[test]
    fn go_yaml_leniency_quoted_scalar_continuation_lines() {
        go_yaml_reads(
            "s:\n  command: \"sh -c 'a\nb'\"\n",
            json!({"s": {"command": "sh -c 'a b'"}}),
        );
        go_yaml_reads("s:\n  c: 'a\n\n b'\n", json!({"s": {"c": "a\nb"}}));
        go_yaml_reads("s:\n  c: \"a\n\tb\"\n", json!({"s": {"c": "a b"}}));
        go_yaml_reads("s:\n  c: \"a\\\n b\"\n", json!({"s": {"c": "ab"}}));
    }

    /// P3: inside a flow collection a tab is white space, also at the start of a line.
    #[test]
    fn go_yaml_leniency_tabs_in_flow_collections() {
        go_yaml_reads("s:\n  c: [a,\n\tb]\n", json!({"s": {"c": ["a", "b"]}}));
        go_yaml_reads("s: {a:\tb,\n\tc: d}\n", json!({"s": {"a": "b", "c": "d"}}));
        // Tabs as block indentation stay an error, as in go-yaml.
        assert!(parse("s:\n\ta: b\n").is_err());
    }

    /// P4: tabs alone may separate a block mapping value from its `:`.
    #[test]
    fn go_yaml_leniency_tab_after_colon() {
        go_yaml_reads("a:\tb\nc:\t-1\n", json!({"a": "b", "c": -1}));
        // A block sequence entry after the tab is refused, as go-yaml refuses it.
        assert!(parse("a:\t- b\n").is_err());
    }

    /// P5: a `#` right after a token begins a comment; inside a plain scalar it is text.
    #[test]
    fn go_yaml_leniency_comment_right_after_a_token() {
        go_yaml_reads(
            "a: [x]#c\nb: \"y\"#c\nc: 'z'#c\nd: {k: v}#c\ne: [#c\n  p,#c\n  q]\nf: |#c\n  t\ng: a#b\n",
            json!({"a": ["x"], "b": "y", "c": "z", "d": {"k": "v"}, "e": ["p", "q"], "f": "t\n", "g": "a#b"}),
        );
    }

    /// P6: in a flow collection a lone `-` before `,`, `]` or `}` is the string `-`.
    #[test]
    fn go_yaml_leniency_lone_dash_in_flow_collection() {
        go_yaml_reads(
            "a: [-, x]\nb: {k: -}\nc: [-]\n",
            json!({"a": ["-", "x"], "b": {"k": "-"}, "c": ["-"]}),
        );
    }

    /// P7: in a flow collection a `:` before `,`, `]` or `}` belongs to the plain scalar, as
    /// go-yaml reads it (YAML 1.2 would read the key `c` with an empty value).
    #[test]
    fn go_yaml_leniency_colon_before_flow_indicator_is_text() {
        go_yaml_reads(
            "a: {k: v, c:}\nb: [x:, y]\nc: {\"q\":}\nd: {k:v}\n",
            json!({"a": {"k": "v", "c:": null}, "b": ["x:", "y"], "c": {"q": null}, "d": {"k:v": null}}),
        );
        // `:` before an opening bracket is an error in both.
        assert!(parse("a: {k:[v]}\n").is_err());
    }

    /// The leniencies keep every value's location.
    #[test]
    fn go_yaml_leniencies_keep_locations() {
        let n = parse("s:\n  c: [\n\"a\",\n  b\n]\n").unwrap();
        let c = n.get("s").unwrap().get("c").unwrap();
        let Value::Seq(items) = &c.value else {
            panic!("{c:?}")
        };
        assert_eq!(c.loc.to_string(), "t.yaml:2:6");
        assert_eq!(items[0].loc.to_string(), "t.yaml:3:1");
        assert_eq!(items[1].loc.to_string(), "t.yaml:4:3");
    }

    #[test]
    fn second_document_is_error() {
        let e = parse("a: 1\n---\nb: 2\n").unwrap_err().to_string();
        assert!(e.contains("single YAML document"), "{e}");
    }
}
