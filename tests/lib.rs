//! Integration tests, compiled as one binary.

mod support;

mod as_compose;
#[cfg(unix)]
mod ci;
mod cli;
mod console;
mod determinism;
mod edge;
mod environments;
mod fixtures;
mod gateway;
mod generated;
mod helm;
#[cfg(unix)]
mod interrupted;
mod properties;
mod review;
mod safety;
mod same_app;
mod secrets;
mod snippets;
mod summary;
