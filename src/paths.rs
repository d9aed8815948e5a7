//! Path safety: ferry reads only files inside the project directory.

use std::path::{Path, PathBuf};

/// Why a path named by the project cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// The file does not exist.
    Missing,
    /// It resolves (possibly through a symlink) outside the project directory.
    Outside(PathBuf),
    /// It names a home directory (`~`), which is never inside the project.
    Home,
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::Missing => write!(f, "does not exist"),
            PathProblem::Outside(p) => write!(
                f,
                "resolves to {}, outside the project directory; ferry reads files outside it only with --allow-outside-project",
                p.display()
            ),
            PathProblem::Home => write!(f, "is in a home directory, outside the project directory"),
        }
    }
}

/// Where files named by a project may be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Only inside the project directory (the default).
    #[default]
    Project,
    /// Anywhere (`--allow-outside-project`).
    Anywhere,
}

/// Resolve `path` (relative to `base`, or absolute): with [`Reach::Project`] it must stay inside
/// `project_dir` (canonical) after following symlinks; with [`Reach::Anywhere`] it must exist.
pub fn resolve(
    project_dir: &Path,
    base: &Path,
    path: &str,
    reach: Reach,
) -> Result<PathBuf, PathProblem> {
    match reach {
        Reach::Project => resolve_inside(project_dir, base, path),
        Reach::Anywhere => {
            let expanded = match path.strip_prefix("~/") {
                Some(rest) => match std::env::var_os("HOME") {
                    Some(h) => Path::new(&h).join(rest),
                    None => return Err(PathProblem::Home),
                },
                None => base.join(path),
            };
            expanded.canonicalize().map_err(|_| PathProblem::Missing)
        }
    }
}

/// Resolve `path` (relative to `base`, or absolute) and make sure it stays inside `project_dir`
/// (which must be canonical) after following symlinks.
pub fn resolve_inside(project_dir: &Path, base: &Path, path: &str) -> Result<PathBuf, PathProblem> {
    if path.starts_with('~') {
        return Err(PathProblem::Home);
    }
    let joined = base.join(path);
    let real = match joined.canonicalize() {
        Ok(p) => p,
        Err(_) => {
            // A missing file may still be named outside the project: say so first.
            let lexical = normalize(&joined);
            if !lexical.starts_with(project_dir) {
                return Err(PathProblem::Outside(lexical));
            }
            return Err(PathProblem::Missing);
        }
    };
    if !real.starts_with(project_dir) {
        return Err(PathProblem::Outside(real));
    }
    Ok(real)
}

/// Remove `.` and `..` components without touching the file system.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parent_escape_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("p");
        std::fs::create_dir(&proj).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        let proj = proj.canonicalize().unwrap();
        assert!(matches!(
            resolve_inside(&proj, &proj, "../secret"),
            Err(PathProblem::Outside(_))
        ));
        assert!(matches!(
            resolve_inside(&proj, &proj, "/etc/passwd"),
            Err(PathProblem::Outside(_))
        ));
        assert!(matches!(
            resolve_inside(&proj, &proj, "~/x"),
            Err(PathProblem::Home)
        ));
        assert!(matches!(
            resolve_inside(&proj, &proj, "missing"),
            Err(PathProblem::Missing)
        ));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_escape_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("p");
        std::fs::create_dir(&proj).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), proj.join("link")).unwrap();
        std::fs::write(proj.join("ok"), "x").unwrap();
        let proj = proj.canonicalize().unwrap();
        assert!(matches!(
            resolve_inside(&proj, &proj, "link"),
            Err(PathProblem::Outside(_))
        ));
        assert!(resolve_inside(&proj, &proj, "./ok").is_ok());
    }
}
