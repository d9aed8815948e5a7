//! Integration tests, compiled as one binary.

mod support;

mod cli;
mod determinism;
mod edge;
mod fixtures;
mod gateway;
mod generated;
mod helm;
#[cfg(unix)]
mod interrupted;
mod properties;
mod review;
mod safety;
mod snippets;
