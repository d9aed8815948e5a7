//! YAML event parsers on the same compose file (issue 17): `saphyr-parser`, which ferry uses,
//! against `yaml-rust2`, `libyaml-safer` (libyaml translated to safe Rust) and `unsafe-libyaml`
//! (libyaml translated to unsafe Rust), each reading every event with its line and column, and
//! ferry's whole parse into its located tree (`yaml::parse_stream`) for scale.
//!
//! ```sh
//! cargo bench --bench yaml_parsers                  # timings (divan), 100 and 1,000 services
//! cargo bench --bench yaml_parsers -- --once saphyr 1000   # one parse, for callgrind
//! ```
//!
//! docs/performance.md has the table and the decision.

use std::sync::Arc;

#[path = "../examples/gen/project.rs"]
#[allow(dead_code)]
mod gen;

const SIZES: &[usize] = &[100, 1000];

/// A parse of a whole text, returning something made of every event.
type Parse = fn(&str) -> usize;

/// The parsers, by the name `--once` takes.
const PARSERS: &[(&str, Parse)] = &[
    ("saphyr", saphyr),
    ("yaml_rust2", yaml_rust2),
    ("libyaml_safer", libyaml_safer),
    ("unsafe_libyaml", unsafe_libyaml),
    ("ferry_tree", ferry_tree),
    // Only makes the input: subtract its count from the others'.
    ("none", |src| src.len()),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--once") {
        let name = args.get(at + 1).expect("--once PARSER [SERVICES]");
        let n = args
            .get(at + 2)
            .map_or(1000, |n| n.parse().expect("a number"));
        let (_, parse) = PARSERS
            .iter()
            .find(|(p, _)| p == name)
            .expect("a parser name");
        let src = gen::compose_yaml(n);
        std::hint::black_box(parse(&src));
        return;
    }
    divan::Divan::default()
        .sample_count(30)
        .config_with_args()
        .main();
}

/// Sum of every event's line and column, so that no parser can skip computing them.
fn saphyr(src: &str) -> usize {
    let mut parser = saphyr_parser::Parser::new_from_str(src).keep_tags(true);
    let mut sum = 0;
    while let Some(ev) = parser.next_event() {
        let (_, span) = ev.expect("valid YAML");
        sum += span.start.line() + span.start.col();
    }
    sum
}

fn yaml_rust2(src: &str) -> usize {
    use yaml_rust2::parser::{Event, Parser};
    let mut parser = Parser::new_from_str(src).keep_tags(true);
    let mut sum = 0;
    loop {
        let (ev, mark) = parser.next_token().expect("valid YAML");
        sum += mark.line() + mark.col();
        if ev == Event::StreamEnd {
            return sum;
        }
    }
}

fn libyaml_safer(src: &str) -> usize {
    use libyaml_safer::{EventData, Parser};
    let mut input = src.as_bytes();
    let mut parser = Parser::new();
    parser.set_input_string(&mut input);
    let mut sum = 0;
    loop {
        let ev = parser.parse().expect("valid YAML");
        sum += (ev.start_mark.line + ev.start_mark.column) as usize;
        if matches!(ev.data, EventData::StreamEnd) {
            return sum;
        }
    }
}

fn unsafe_libyaml(src: &str) -> usize {
    use std::mem::MaybeUninit;
    use unsafe_libyaml::*;
    let mut sum = 0;
    // SAFETY: libyaml's documented sequence: initialize, set the input (which outlives the
    // parser), parse events until the stream ends, deleting each, then delete the parser.
    unsafe {
        let mut parser = MaybeUninit::<yaml_parser_t>::uninit();
        assert!(yaml_parser_initialize(parser.as_mut_ptr()).ok);
        let parser = parser.as_mut_ptr();
        yaml_parser_set_input_string(parser, src.as_ptr(), src.len() as u64);
        let mut event = MaybeUninit::<yaml_event_t>::uninit();
        loop {
            assert!(
                yaml_parser_parse(parser, event.as_mut_ptr()).ok,
                "valid YAML"
            );
            let ev = event.as_mut_ptr();
            sum += ((*ev).start_mark.line + (*ev).start_mark.column) as usize;
            let end = (*ev).type_ == YAML_STREAM_END_EVENT;
            yaml_event_delete(ev);
            if end {
                break;
            }
        }
        yaml_parser_delete(parser);
    }
    sum
}

/// ferry's whole parse: events to the located tree (on two threads from 64 KiB).
fn ferry_tree(src: &str) -> usize {
    let docs = ferry::yaml::parse_stream(src, Arc::from("compose.yaml"), &Default::default())
        .expect("valid YAML");
    docs.len()
}

#[divan::bench(args = SIZES)]
fn saphyr_events(b: divan::Bencher, n: usize) {
    let src = gen::compose_yaml(n);
    b.counter(divan::counter::BytesCount::of_str(&src))
        .bench(|| saphyr(&src));
}

#[divan::bench(args = SIZES)]
fn yaml_rust2_events(b: divan::Bencher, n: usize) {
    let src = gen::compose_yaml(n);
    b.counter(divan::counter::BytesCount::of_str(&src))
        .bench(|| yaml_rust2(&src));
}

#[divan::bench(args = SIZES)]
fn libyaml_safer_events(b: divan::Bencher, n: usize) {
    let src = gen::compose_yaml(n);
    b.counter(divan::counter::BytesCount::of_str(&src))
        .bench(|| libyaml_safer(&src));
}

#[divan::bench(args = SIZES)]
fn unsafe_libyaml_events(b: divan::Bencher, n: usize) {
    let src = gen::compose_yaml(n);
    b.counter(divan::counter::BytesCount::of_str(&src))
        .bench(|| unsafe_libyaml(&src));
}

#[divan::bench(args = SIZES)]
fn ferry_located_tree(b: divan::Bencher, n: usize) {
    let src = gen::compose_yaml(n);
    b.counter(divan::counter::BytesCount::of_str(&src))
        .bench(|| ferry_tree(&src));
}
