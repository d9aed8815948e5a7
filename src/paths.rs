//! Path safety. Paths given on the command line (`-f`, `--env-file`, `--project-directory`,
//! `--templates`, `-o`) are the user's own choice and are trusted. Paths written inside compose
//! files (env files, `include`, `extends.file`, bind-mounted files, secret and config files)
//! may come from anywhere, so they must stay inside the project's [`Edge`]: the git work tree
//! that holds the project directory, else the project directory itself.

use std::path::{Component, Path, PathBuf};

/// The boundary that paths inside compose files must stay within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    /// Canonical.
    pub root: PathBuf,
    /// Whether `root` is a git work tree's root (else it is the project directory).
    pub git: bool,
}

impl Edge {
    /// The project directory itself as the edge.
    pub fn dir(project_dir: &Path) -> Edge {
        Edge {
            root: project_dir.to_path_buf(),
            git: false,
        }
    }

    /// The edge of a project in `project_dir` (canonical): the root of the git work tree that
    /// holds it, found by walking up to the nearest directory with a `.git` directory or file
    /// (git is not run), else the project directory.
    ///
    /// A work tree that holds the home directory `home` (dotfiles kept in git in `~`, or `/`
    /// itself in git) is not an edge: it would let a compose file read `~/.ssh`. Then the
    /// project directory is the edge, as outside git.
    pub fn of(project_dir: &Path, home: Option<&Path>) -> Edge {
        let Some(root) = project_dir
            .ancestors()
            .find(|d| std::fs::metadata(d.join(".git")).is_ok_and(|m| m.is_dir() || m.is_file()))
        else {
            return Edge::dir(project_dir);
        };
        let home = home.map(|h| h.canonicalize().unwrap_or_else(|_| normalize(h)));
        let holds_home = match &home {
            Some(h) => h.starts_with(root),
            // Without a home directory, at least the file system's root is never the edge.
            None => root.parent().is_none(),
        };
        if holds_home && root != project_dir {
            return Edge::dir(project_dir);
        }
        Edge {
            root: root.to_path_buf(),
            git: true,
        }
    }

    /// Whether `path` (absolute, normalised or canonical) is inside the edge.
    pub fn holds(&self, path: &Path) -> bool {
        path.starts_with(&self.root)
    }

    /// Whether `path` (inside the edge) is in a `.git` directory, which may hold credentials
    /// (CI checkouts keep a token in `.git/config`).
    pub fn in_git_dir(&self, path: &Path) -> bool {
        path.strip_prefix(&self.root)
            .is_ok_and(|rel| rel.components().any(|c| c.as_os_str() == ".git"))
    }
}

impl std::fmt::Display for Edge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.git {
            write!(
                f,
                "the git work tree {} that holds the project",
                self.root.display()
            )
        } else {
            write!(f, "the project directory")
        }
    }
}

/// Why a path named by the project cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathProblem {
    /// The file does not exist.
    Missing,
    /// It resolves (possibly through a symlink) outside the project's edge.
    Outside { path: PathBuf, edge: Edge },
    /// It names a home directory (`~`), which is never inside the project.
    Home,
    /// It is inside a `.git` directory.
    GitDir,
}

impl std::fmt::Display for PathProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PathProblem::Missing => write!(f, "does not exist"),
            PathProblem::Outside { path, edge } => write!(
                f,
                "resolves to {}, outside {edge}; ferry reads files outside it only with --allow-outside-project",
                path.display()
            ),
            PathProblem::Home => write!(f, "is in a home directory, outside the project directory"),
            PathProblem::GitDir => write!(
                f,
                "is inside a .git directory, which ferry never reads for a compose file (it may hold credentials)"
            ),
        }
    }
}

/// Where files named by a project may be read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reach {
    /// Only inside the project's [`Edge`] (the default).
    #[default]
    Project,
    /// Anywhere (`--allow-outside-project`).
    Anywhere,
}

/// Resolve `path` (relative to `base`, or absolute): with [`Reach::Project`] it must stay inside
/// `edge` after following symlinks; with [`Reach::Anywhere`] it must exist.
pub fn resolve(edge: &Edge, base: &Path, path: &str, reach: Reach) -> Result<PathBuf, PathProblem> {
    match reach {
        Reach::Project => resolve_inside(edge, base, path),
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

/// Resolve `path` (relative to `base`, or absolute) and make sure it stays inside `edge` after
/// following symlinks.
pub fn resolve_inside(edge: &Edge, base: &Path, path: &str) -> Result<PathBuf, PathProblem> {
    if path.starts_with('~') {
        return Err(PathProblem::Home);
    }
    let joined = base.join(path);
    let outside = |path: PathBuf| PathProblem::Outside {
        path,
        edge: edge.clone(),
    };
    let real = match joined.canonicalize() {
        Ok(p) => p,
        Err(_) => {
            // A missing file may still be named outside the project: say so first.
            let lexical = normalize(&joined);
            if !edge.holds(&lexical) {
                return Err(outside(lexical));
            }
            return Err(PathProblem::Missing);
        }
    };
    if !edge.holds(&real) {
        return Err(outside(real));
    }
    if edge.in_git_dir(&real) {
        return Err(PathProblem::GitDir);
    }
    Ok(real)
}

/// Remove `.` and `..` components without touching the file system. A relative path keeps the
/// `..` that lead above its start (`../a/../b` is `../b`).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else if !out.has_root() {
                    out.push("..");
                }
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// `to` as a relative path from the directory `from` (both absolute and normalised), e.g.
/// `../../libs/proxy` from `/r/apps/web` to `/r/libs/proxy`; empty when they are the same.
pub fn relative(from: &Path, to: &Path) -> PathBuf {
    let from: Vec<Component<'_>> = from.components().collect();
    let to: Vec<Component<'_>> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outside(r: Result<PathBuf, PathProblem>) -> bool {
        matches!(r, Err(PathProblem::Outside { .. }))
    }

    #[test]
    fn parent_escape_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("p");
        std::fs::create_dir(&proj).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        let proj = proj.canonicalize().unwrap();
        let edge = Edge::dir(&proj);
        assert!(outside(resolve_inside(&edge, &proj, "../secret")));
        assert!(outside(resolve_inside(&edge, &proj, "/etc/passwd")));
        assert!(matches!(
            resolve_inside(&edge, &proj, "~/x"),
            Err(PathProblem::Home)
        ));
        assert!(matches!(
            resolve_inside(&edge, &proj, "missing"),
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
        let edge = Edge::dir(&proj);
        assert!(outside(resolve_inside(&edge, &proj, "link")));
        assert!(resolve_inside(&edge, &proj, "./ok").is_ok());
    }

    /// A repository: `repo/.git` (a directory, or a file as in a linked work tree or a
    /// submodule), `repo/libs/common.yml`, the project in `repo/apps/web`.
    fn repository(git_file: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        let proj = repo.join("apps/web");
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::create_dir_all(repo.join("libs")).unwrap();
        std::fs::write(repo.join("libs/common.yml"), "x").unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        if git_file {
            std::fs::write(repo.join(".git"), "gitdir: /elsewhere\n").unwrap();
        } else {
            std::fs::create_dir(repo.join(".git")).unwrap();
        }
        let repo = repo.canonicalize().unwrap();
        let proj = proj.canonicalize().unwrap();
        (dir, repo, proj)
    }

    #[test]
    fn in_a_git_work_tree_the_edge_is_its_root() {
        for git_file in [false, true] {
            let (_dir, repo, proj) = repository(git_file);
            let edge = Edge::of(&proj, None);
            assert_eq!(
                edge,
                Edge {
                    root: repo.clone(),
                    git: true
                }
            );
            let found = resolve_inside(&edge, &proj, "../../libs/common.yml").unwrap();
            assert_eq!(found, repo.join("libs/common.yml"));
            // Above the work tree is still outside.
            let err = resolve_inside(&edge, &proj, "../../../secret").unwrap_err();
            assert!(matches!(&err, PathProblem::Outside { .. }));
            assert!(
                err.to_string().contains(&format!(
                    "outside the git work tree {} that holds the project; ferry reads files outside it only with --allow-outside-project",
                    repo.display()
                )),
                "{err}"
            );
            assert!(outside(resolve_inside(&edge, &proj, "/etc/passwd")));
        }
    }

    /// `.git/config` may hold a CI token: never read, from anywhere in the work tree.
    #[test]
    fn the_git_directory_is_never_read() {
        let (_dir, repo, proj) = repository(false);
        std::fs::write(repo.join(".git/config"), "[http] extraheader = token").unwrap();
        let edge = Edge::of(&proj, None);
        assert_eq!(
            resolve_inside(&edge, &proj, "../../.git/config"),
            Err(PathProblem::GitDir)
        );
        assert_eq!(
            resolve_inside(&edge, &proj, "../../.git"),
            Err(PathProblem::GitDir)
        );
        // A file merely named like it elsewhere is fine.
        std::fs::write(repo.join("libs/.gitignore"), "x").unwrap();
        assert!(resolve_inside(&edge, &proj, "../../libs/.gitignore").is_ok());
    }

    #[test]
    fn outside_git_the_edge_is_the_project_directory() {
        let dir = tempfile::tempdir().unwrap();
        let proj = dir.path().join("apps/web");
        std::fs::create_dir_all(&proj).unwrap();
        std::fs::create_dir_all(dir.path().join("libs")).unwrap();
        std::fs::write(dir.path().join("libs/common.yml"), "x").unwrap();
        let proj = proj.canonicalize().unwrap();
        let edge = Edge::of(&proj, None);
        assert_eq!(edge, Edge::dir(&proj));
        let err = resolve_inside(&edge, &proj, "../../libs/common.yml").unwrap_err();
        assert!(
            err.to_string().contains(", outside the project directory; ferry reads files outside it only with --allow-outside-project"),
            "{err}"
        );
    }

    /// A home directory kept in git (dotfiles) never becomes the edge: `~/.ssh` stays out.
    #[test]
    fn a_work_tree_holding_the_home_directory_is_not_the_edge() {
        let (_dir, repo, proj) = repository(false);
        // The work tree's root is the home directory itself, or above it.
        for home in [repo.clone(), repo.join("apps")] {
            assert_eq!(Edge::of(&proj, Some(&home)), Edge::dir(&proj), "{home:?}");
        }
        // A home elsewhere changes nothing.
        let elsewhere = repo.parent().unwrap().join("home");
        assert!(Edge::of(&proj, Some(&elsewhere)).git);
        // A project that is the home directory (and its work tree's root) keeps it.
        assert_eq!(Edge::of(&repo, Some(&repo)).root, repo);
    }

    #[test]
    fn normalize_and_relative() {
        assert_eq!(normalize(Path::new("/a/b/../c/./d")), Path::new("/a/c/d"));
        assert_eq!(normalize(Path::new("/../a")), Path::new("/a"));
        assert_eq!(normalize(Path::new("../a/../b")), Path::new("../b"));
        assert_eq!(normalize(Path::new("x/../../y")), Path::new("../y"));
        assert_eq!(
            relative(Path::new("/r/apps/web"), Path::new("/r/libs/proxy")),
            Path::new("../../libs/proxy")
        );
        assert_eq!(
            relative(Path::new("/r/a"), Path::new("/r/a/b")),
            Path::new("b")
        );
        assert_eq!(
            relative(Path::new("/r/a"), Path::new("/r/a")),
            Path::new("")
        );
    }
}
