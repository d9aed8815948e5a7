//! Output: write a [`Tree`] to a directory, safely.

use crate::error::{Error, Result};
use crate::render::Tree;
use std::io::Write;
use std::path::Path;

/// What a write changed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
}

/// Write every file of the tree into `dir` (created if missing). Each file is written to a
/// temporary file in the same directory and renamed into place, so a reader never sees half a
/// file; files whose bytes are already right are not touched.
pub fn write_tree(tree: &Tree, dir: &Path) -> Result<WriteSummary> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create the output directory", e))?;
    let mut summary = WriteSummary::default();
    for (rel, bytes) in &tree.files {
        let path = dir.join(rel);
        if std::fs::read(&path).is_ok_and(|old| &old == bytes) {
            summary.unchanged.push(rel.clone());
            continue;
        }
        // Some files live in a subdirectory (secrets/ for kustomize's secretGenerator).
        let parent = path.parent().unwrap_or(dir);
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::io(parent, "cannot create the output directory", e))?;
        let mut tmp = tempfile::NamedTempFile::new_in(parent).map_err(|e| {
            Error::io(
                dir,
                "cannot create a temporary file in the output directory",
                e,
            )
        })?;
        tmp.write_all(bytes)
            .map_err(|e| Error::io(tmp.path(), "cannot write", e))?;
        tmp.as_file().sync_all().ok();
        tmp.persist(&path)
            .map_err(|e| Error::io(&path, "cannot write", e.error))?;
        summary.written.push(rel.clone());
    }
    Ok(summary)
}
