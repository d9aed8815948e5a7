//! Which files the locations of errors and report entries point into, so that the command line
//! can show the line (the library never prints: it only records where each file was read from).
//!
//! Only compose files are recorded: the lines of `.env` files, env files, secret, config and
//! bind-mounted files may hold secret values, so a location in one of them is shown as
//! `file:line:col` alone.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where a compose file was read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A file, and its length when it was read (a file that changed since is not shown).
    File(PathBuf, u64),
    /// Standard input (`-f -`), which cannot be read again: its text.
    Stdin(Arc<str>),
}

/// The compose files a load read, by the name their locations carry. Cloning shares the record;
/// [`Sources::default`] records nothing (for callers that show no source lines).
#[derive(Debug, Clone, Default)]
pub struct Sources(Option<Arc<Record>>);

/// Each file's shown name and origin, in the order read.
type Record = Mutex<Vec<(Arc<str>, Origin)>>;

impl Sources {
    /// A record to fill while loading.
    pub fn recording() -> Self {
        Sources(Some(Arc::default()))
    }

    /// Note that the compose file shown as `name` was read from `origin`.
    pub fn record(&self, name: &Arc<str>, origin: impl FnOnce() -> Origin) {
        let Some(list) = &self.0 else { return };
        let mut list = list.lock().unwrap_or_else(|e| e.into_inner());
        if !list.iter().any(|(n, _)| n == name) {
            list.push((name.clone(), origin()));
        }
    }

    /// Where the compose file shown as `name` was read from; `None` for any other file.
    pub fn origin(&self, name: &str) -> Option<Origin> {
        let list = self.0.as_ref()?.lock().unwrap_or_else(|e| e.into_inner());
        list.iter()
            .find(|(n, _)| &**n == name)
            .map(|(_, o)| o.clone())
    }
}

/// The origin of a file read from `path` with `len` bytes.
pub fn file(path: &Path, len: usize) -> Origin {
    Origin::File(path.to_path_buf(), len as u64)
}
