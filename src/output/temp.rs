//! The temporary files a write of this process has made and not yet renamed, so that a signal
//! (Ctrl-C, SIGTERM) can remove them before the process ends ([`abandon_writes`]).
//!
//! A write makes, fills and closes each temporary file, and renames it, while holding the
//! gate open (shared: the two writing threads, and other writes, go on side by side);
//! [`abandon_writes`] shuts the gate (which waits for those in progress), removes every file
//! listed and never opens it again. So once it has run, no write of this process makes or
//! renames another file, and none it made is left behind (a file already renamed into place is
//! new and whole).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock};

/// Held shared while a temporary file is made or renamed, and for good by [`abandon_writes`].
static GATE: RwLock<()> = RwLock::new(());

/// Per write in progress (several may run at once in one process, as the tests do): the paths
/// of the temporary files it made. A renamed one may stay listed: removing it again finds
/// nothing.
struct Live {
    next_id: u64,
    writes: BTreeMap<u64, Vec<PathBuf>>,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    next_id: 0,
    writes: BTreeMap::new(),
});

fn live() -> MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One write's place in the registry; its files leave the registry when it is dropped.
pub(crate) struct Registration {
    id: u64,
}

impl Registration {
    pub(crate) fn new() -> Self {
        let mut live = live();
        let id = live.next_id;
        live.next_id += 1;
        live.writes.insert(id, Vec::new());
        Registration { id }
    }

    /// Run `make` (which creates, fills and closes one temporary file and returns its path)
    /// with the gate open, and list the file it made.
    pub(crate) fn make<T, E>(
        &self,
        make: impl FnOnce() -> Result<(T, PathBuf), E>,
    ) -> Result<T, E> {
        let _open = GATE.read().unwrap_or_else(PoisonError::into_inner);
        let (made, path) = make()?;
        if let Some(paths) = live().writes.get_mut(&self.id) {
            paths.push(path);
        }
        Ok(made)
    }

    /// Run `rename` with the gate open, so that no signal removes its file half-way.
    pub(crate) fn rename<T>(&self, rename: impl FnOnce() -> T) -> T {
        let _open = GATE.read().unwrap_or_else(PoisonError::into_inner);
        rename()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        live().writes.remove(&self.id);
    }
}

/// Remove every temporary file that a write of this process has made and not renamed, and
/// stop every write of this process from making or renaming another (they wait for ever): for
/// a signal handler, right before the process ends. Returns how many files it removed.
pub fn abandon_writes() -> usize {
    let shut = GATE.write().unwrap_or_else(PoisonError::into_inner);
    // Held until the process ends.
    std::mem::forget(shut);
    let live = live();
    let mut removed = 0;
    for path in live.writes.values().flatten() {
        if std::fs::remove_file(path).is_ok() {
            removed += 1;
        }
    }
    removed
}
