//! Output: compare a [`Tree`] with an output directory ([`plan`]), show the difference
//! ([`diff`]), and write it there safely ([`write`]).
//!
//! The rules, in one place:
//! - Everything is decided in memory first. [`plan`] only reads; [`write`] refuses to start when
//!   the plan has a conflict, so an error leaves the directory as it was.
//! - Each file is written to a temporary file beside it and renamed into place; files whose bytes
//!   are already right are not touched. All temporary files are written before the first rename.
//!   Waiting for the disk is opt-in ([`WriteOptions::durable`]).
//! - A temporary file of ferry's found in the directory belongs to a run that was killed (a
//!   writing run holds the directory's [`lock`]): [`plan`] lists it as a change
//!   ([`OnDisk::Leftover`]) and [`write`] removes it. A signal handler removes this process's
//!   own with [`abandon_writes`].
//! - A file that does not start with [`HEADER_PREFIX`] is the user's: ferry never overwrites or
//!   removes it. Only the output directory itself is read: subdirectories (`overlays/`) are
//!   never looked at.
//! - A generated file that is no longer produced is *stale*: removed only with `prune`, and only
//!   when it still starts with the header.
//! - A symbolic link is never followed: not to compare, not to write (the rename replaces the
//!   link itself), not to remove.

pub mod diff;
pub(crate) mod redact;
pub mod seal;
mod temp;

pub use temp::abandon_writes;

use crate::error::{Error, Result};
use crate::render::{Tree, BASE_DIR, HEADER_PREFIX};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `convert` would do to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Generated, and not on disk yet.
    Added,
    /// Generated, and on disk with other bytes (or as a symbolic link).
    Changed,
    /// Generated, and on disk with exactly these bytes.
    Unchanged,
    /// On disk with ferry's header, but no longer generated (stale).
    Removed,
}

/// What is on disk at one path of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDisk {
    Missing,
    /// A regular file that starts with ferry's header.
    Generated,
    /// A regular file without ferry's header: the user's.
    HandWritten,
    /// A symbolic link (never followed; `convert` replaces the link, not its target).
    Symlink,
    /// A temporary file of ferry's (`.ferry-XXXXXX.tmp`) that a run killed while writing left
    /// behind: `convert` holds the directory's lock, so no live run of ferry is writing it.
    /// Always [`Status::Removed`]; `convert` removes it, with or without `prune`.
    Leftover,
}

/// One file of the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the output directory, `/`-separated.
    pub path: String,
    pub status: Status,
    pub on_disk: OnDisk,
    /// The bytes on disk (`None` when missing, a symbolic link, unchanged, or a leftover
    /// temporary file, which is never read: it may hold a half-written secret).
    pub old: Option<Vec<u8>>,
    /// The bytes ferry would write (`None` for a stale file, and for an unchanged one: the
    /// bytes on disk are already these).
    pub new: Option<Vec<u8>>,
    /// Secret material (a kustomize secretGenerator input): ferry's own file even without its
    /// header, and never shown in a diff.
    pub sensitive: bool,
}

impl Entry {
    /// A file at a generated path that ferry did not write: `convert` refuses to overwrite it.
    pub fn is_conflict(&self) -> bool {
        self.on_disk == OnDisk::HandWritten && self.status != Status::Removed && !self.sensitive
    }
}

/// The output directory compared with a tree: every generated path, and every stale file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub dir: PathBuf,
    /// Sorted by path.
    pub entries: Vec<Entry>,
}

impl Plan {
    /// Entries that are not [`Status::Unchanged`].
    pub fn changes(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.status != Status::Unchanged)
    }

    pub fn count(&self, status: Status) -> usize {
        self.entries.iter().filter(|e| e.status == status).count()
    }

    /// The files added, changed and removed, in words (`2 added`, `1 changed`); counts of
    /// zero left out.
    pub fn counts_in_words(&self) -> Vec<String> {
        [
            (Status::Added, "added"),
            (Status::Changed, "changed"),
            (Status::Removed, "removed"),
        ]
        .into_iter()
        .filter_map(|(status, word)| {
            let n = self.count(status);
            (n > 0).then(|| format!("{n} {word}"))
        })
        .collect()
    }

    /// The command that brings the directory up to date: `ferry convert --prune` when a file
    /// ferry no longer writes is still there, else `ferry convert`.
    pub fn update_command(&self) -> &'static str {
        let stale = self
            .changes()
            .any(|e| e.status == Status::Removed && e.on_disk != OnDisk::Leftover);
        if stale {
            "ferry convert --prune"
        } else {
            "ferry convert"
        }
    }

    /// True when `convert --prune` would change nothing.
    pub fn is_up_to_date(&self) -> bool {
        self.changes().next().is_none()
    }

    /// Files at generated paths that ferry did not write (see [`Entry::is_conflict`]).
    pub fn conflicts(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(|e| e.is_conflict())
    }
}

/// True when `bytes` is a file ferry generated: it starts with [`HEADER_PREFIX`].
pub fn has_header(bytes: &[u8]) -> bool {
    crate::render::is_generated(bytes)
}

/// Temporary files are named `.ferry-XXXXXX.tmp` (six letters or digits); one found by
/// [`plan`] is a [`OnDisk::Leftover`], never a stale file.
const TEMP_PREFIX: &str = ".ferry-";
const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM: usize = 6;

fn is_temp_name(name: &str) -> bool {
    name.strip_prefix(TEMP_PREFIX)
        .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
        .is_some_and(|r| r.len() == TEMP_RANDOM && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Read one path without following a symbolic link.
fn read_on_disk(path: &Path) -> Result<(OnDisk, Option<Vec<u8>>)> {
    #[cfg(unix)]
    {
        read_on_disk_unix(path)
    }
    #[cfg(not(unix))]
    {
        read_on_disk_portable(path)
    }
}

/// [`read_on_disk`] in four system calls instead of six (open without following a link, fstat,
/// one read, close): comparing an output directory of thousands of files is mostly these calls.
#[cfg(unix)]
fn read_on_disk_unix(path: &Path) -> Result<(OnDisk, Option<Vec<u8>>)> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path);
    let mut file = match file {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((OnDisk::Missing, None)),
        // O_NOFOLLOW refuses a link with ELOOP; anything else odd is looked at as before.
        Err(_) => return read_on_disk_portable(path),
    };
    let meta = file
        .metadata()
        .map_err(|e| Error::io(path, "cannot read", e))?;
    if !meta.file_type().is_file() {
        return read_on_disk_portable(path);
    }
    // Room for one byte more than its size. Reading stops once the size fstat gave is read
    // (std's read_to_end would ask for the size again and read once more to see the end); a
    // short read before that reads on, and a file that grew past it is read to its end.
    let size = meta.len() as usize;
    let mut bytes = vec![0; size + 1];
    let mut filled = 0;
    loop {
        match file.read(&mut bytes[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, "cannot read", e)),
        }
        if filled == size {
            break;
        }
        if filled == bytes.len() {
            bytes.resize(bytes.len() * 2, 0);
        }
    }
    bytes.truncate(filled);
    let on_disk = if has_header(&bytes) {
        OnDisk::Generated
    } else {
        OnDisk::HandWritten
    };
    Ok((on_disk, Some(bytes)))
}

fn read_on_disk_portable(path: &Path) -> Result<(OnDisk, Option<Vec<u8>>)> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((OnDisk::Missing, None)),
        Err(e) => return Err(Error::io(path, "cannot read", e)),
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return Ok((OnDisk::Symlink, None));
    }
    if !kind.is_file() {
        return Err(Error::io(
            path,
            "ferry writes a file here, but this is a directory or another special file",
            std::io::Error::other("move it away, or choose another output directory"),
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, "cannot read", e))?;
    let on_disk = if has_header(&bytes) {
        OnDisk::Generated
    } else {
        OnDisk::HandWritten
    };
    Ok((on_disk, Some(bytes)))
}

/// Where ferry writes overlays: `overlays/<name>/kustomization.yaml`.
pub const OVERLAYS_DIR: &str = "overlays";

/// Where an overlay's patches are: `overlays/<name>/patches/<file>.yaml`.
pub const PATCHES_DIR: &str = "patches";

/// A directory under `dir` that holds generated files must be a real directory (or missing):
/// ferry never writes through a symbolic link.
fn check_parents(dir: &Path, rel: &str) -> Result<()> {
    let mut path = dir.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for part in &parts[..parts.len() - 1] {
        path.push(part);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(_) => {
                return Err(Error::io(
                    &path,
                    "ferry writes into this directory, but it is a symbolic link or a file",
                    std::io::Error::other(
                        "ferry never writes through a link: replace it with a directory",
                    ),
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(Error::io(&path, "cannot read", e)),
        }
    }
    Ok(())
}

/// The directories (relative, `""` for `dir` itself) where stale files are looked for: the
/// output directory, `base/`, every directory the tree writes into, and each real directory in
/// `overlays/` with its `patches/` (ferry's layouts, with and without environments). Nothing
/// else: other subdirectories are the user's.
fn scanned_dirs(tree: &Tree, dir: &Path) -> Result<std::collections::BTreeSet<String>> {
    let mut dirs = std::collections::BTreeSet::from([String::new(), BASE_DIR.to_string()]);
    for rel in tree.files.keys() {
        if let Some((parent, _)) = rel.rsplit_once('/') {
            dirs.insert(parent.to_string());
        }
    }
    for name in list_dir(&dir.join(OVERLAYS_DIR))? {
        let path = dir.join(OVERLAYS_DIR).join(&name);
        // Not following a link: a linked overlay directory is not scanned.
        if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_dir()) {
            dirs.insert(format!("{OVERLAYS_DIR}/{name}"));
            let patches = path.join(PATCHES_DIR);
            if std::fs::symlink_metadata(&patches).is_ok_and(|m| m.file_type().is_dir()) {
                dirs.insert(format!("{OVERLAYS_DIR}/{name}/{PATCHES_DIR}"));
            }
        }
    }
    Ok(dirs)
}

/// The names in a directory (none when it is missing), sorted.
fn list_dir(path: &Path) -> Result<Vec<String>> {
    let listing = match std::fs::read_dir(path) {
        Ok(l) => l,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Vec::new())
        }
        Err(e) => return Err(Error::io(path, "cannot read the directory", e)),
    };
    let mut names = Vec::new();
    for item in listing {
        let item = item.map_err(|e| Error::io(path, "cannot read the directory", e))?;
        if let Ok(name) = item.file_name().into_string() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Compare `tree` with what is in `dir` (which need not exist). Reads only.
pub fn plan(tree: &Tree, dir: &Path) -> Result<Plan> {
    // Each directory of ferry's layout is listed once: a generated path it does not list is
    // not opened (into an empty directory, none is), and what it lists may be stale. A
    // directory that is a link or a file is not listed (the files under it are looked at one
    // by one, and refused).
    let mut listed = std::collections::BTreeMap::new();
    for sub in scanned_dirs(tree, dir)? {
        if !sub.is_empty() && check_parents(dir, &format!("{sub}/x")).is_err() {
            continue;
        }
        let names = list_dir(&if sub.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&sub)
        })?;
        listed.insert(sub, names);
    }
    let mut entries = Vec::new();
    let files: Vec<(&String, &Vec<u8>)> = tree.files.iter().collect();
    let on_disk = on_two_threads(&files, |(rel, bytes)| {
        check_parents(dir, rel)?;
        let (sub, name) = rel.rsplit_once('/').unwrap_or(("", rel));
        let not_listed = listed.get(sub).is_some_and(|names: &Vec<String>| {
            names.binary_search_by(|n| n.as_str().cmp(name)).is_err()
        });
        let (on_disk, old) = if not_listed {
            (OnDisk::Missing, None)
        } else {
            read_on_disk(&dir.join(rel))?
        };
        let status = match (&old, on_disk) {
            (_, OnDisk::Missing) => Status::Added,
            (Some(old), _) if old == *bytes => Status::Unchanged,
            _ => Status::Changed,
        };
        // An unchanged file is neither written nor shown: its bytes are let go at once (two
        // copies of a large output were most of the memory of checking it).
        let old = old.filter(|_| status != Status::Unchanged);
        Ok((on_disk, old, status))
    });
    for ((rel, bytes), read) in files.into_iter().zip(on_disk) {
        let (on_disk, old, status) = read?;
        entries.push(Entry {
            path: rel.clone(),
            status,
            on_disk,
            old,
            new: (status != Status::Unchanged).then(|| bytes.clone()),
            sensitive: tree.sensitive.contains(rel),
        });
    }
    for (sub, names) in listed {
        let base = if sub.is_empty() {
            dir.to_path_buf()
        } else {
            dir.join(&sub)
        };
        for name in names {
            let rel = if sub.is_empty() {
                name.clone()
            } else {
                format!("{sub}/{name}")
            };
            let path = base.join(&name);
            if is_temp_name(&name) {
                // Only a regular file (not a link, not a directory) is a leftover.
                if std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
                    entries.push(Entry {
                        path: rel,
                        status: Status::Removed,
                        on_disk: OnDisk::Leftover,
                        old: None,
                        new: None,
                        sensitive: true,
                    });
                }
                continue;
            }
            if tree.files.contains_key(&rel) || !(name.ends_with(".yaml") || name.ends_with(".yml"))
            {
                continue;
            }
            // Only a regular file (not a link) with the header is a stale generated file.
            if let (OnDisk::Generated, Some(bytes)) = read_on_disk(&path)
                .ok()
                .filter(|(d, _)| *d != OnDisk::Symlink)
                .unwrap_or((OnDisk::Missing, None))
            {
                entries.push(Entry {
                    path: rel,
                    status: Status::Removed,
                    on_disk: OnDisk::Generated,
                    old: Some(bytes),
                    new: None,
                    sensitive: false,
                });
            }
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Plan {
        dir: dir.to_path_buf(),
        entries,
    })
}

/// `read` of each item, in order: the second half on another thread when there are many (most
/// of comparing or writing a large output directory is the file system's work, one file at a
/// time).
fn on_two_threads<T: Sync, R: Send>(items: &[T], read: impl Fn(&T) -> R + Sync) -> Vec<R> {
    if items.len() < 64 {
        return items.iter().map(&read).collect();
    }
    let (first, second) = items.split_at(items.len() / 2);
    let read = &read;
    std::thread::scope(|scope| {
        let other = crate::beside::start(scope, "ferry-files", || {
            second.iter().map(read).collect::<Vec<R>>()
        });
        let mut out: Vec<R> = first.iter().map(read).collect();
        out.extend(other());
        out
    })
}

/// How [`write`] treats stale files, and whether it waits for the disk.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Remove stale generated files (those that still carry ferry's header).
    pub prune: bool,
    /// Put every new file on disk before the first rename, and the directory after the last
    /// (`--fsync`): a power cut then leaves each file old or new, never empty. Without it, the
    /// renames still keep every reader from seeing a half-written file, but the system decides
    /// when the bytes reach the disk (as `git checkout`, rustfmt and kustomize do).
    pub durable: bool,
}

/// What a write changed. Paths are relative to the output directory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WriteSummary {
    pub written: Vec<String>,
    pub unchanged: Vec<String>,
    /// Stale files removed (with `prune`).
    pub removed: Vec<String>,
    /// Stale files left in place (without `prune`).
    pub stale: Vec<String>,
    /// Temporary files of an interrupted run, removed.
    pub leftovers: Vec<String>,
}

fn conflict_error(dir: &Path, e: &Entry) -> Error {
    Error::io(
        dir.join(&e.path),
        format!(
            "exists but was not generated by ferry (it does not start with `{HEADER_PREFIX}`), \
             so ferry will not overwrite it"
        ),
        std::io::Error::other(
            "move it out of the output directory, or delete it to let ferry write it",
        ),
    )
}

/// Carry out `plan`: write every added or changed file, then (with `prune`) remove stale ones.
///
/// Refuses, before touching anything, when a generated path holds a file ferry did not write.
/// All new contents go to temporary files first; only when every one is written are they renamed
/// into place, so a failure while writing (disk full, permissions) changes nothing. A rename that
/// fails part-way leaves the files renamed before it complete and new, the rest as they were.
pub fn write(plan: &Plan, opts: &WriteOptions) -> Result<WriteSummary> {
    let dir = &plan.dir;
    if let Some(err) = Error::from_many(plan.conflicts().map(|e| conflict_error(dir, e)).collect())
    {
        return Err(err);
    }
    let created_dir = !dir.exists();
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create the output directory", e))?;
    let result = write_files(plan, opts);
    if result.is_err() && created_dir {
        // Only succeeds when nothing was left in it.
        let _ = std::fs::remove_dir(dir);
    }
    result
}

fn write_files(plan: &Plan, opts: &WriteOptions) -> Result<WriteSummary> {
    let dir = &plan.dir;
    let mut summary = WriteSummary::default();
    let writing: Vec<(&Entry, &[u8])> = plan
        .entries
        .iter()
        .filter_map(|e| match (&e.new, e.status) {
            (Some(bytes), Status::Added | Status::Changed) => Some((e, bytes.as_slice())),
            _ => None,
        })
        .collect();
    // With `durable`: one syncfs for many files, an fsync each for a few (syncfs flushes the
    // whole file system, which on a busy disk costs more than a few files' fsyncs).
    let sync_once = opts.durable && SYNC_ONCE && writing.len() >= SYNC_ONCE_FROM;
    let sync_each = opts.durable && !sync_once;
    let mut made_dirs = std::collections::BTreeSet::new();
    for (entry, _) in &writing {
        if let Some((sub, _)) = entry.path.rsplit_once('/') {
            if made_dirs.insert(sub) {
                let parent = dir.join(sub);
                std::fs::create_dir_all(&parent)
                    .map_err(|e| Error::io(&parent, "cannot create", e))?;
            }
        }
    }
    // Every temporary file is listed while it exists, for a signal to remove it.
    let live = temp::Registration::new();
    // Made on two threads when there are many (most of it is the file system's work).
    let staged = on_two_threads(&writing, |&(entry, bytes)| {
        let path = dir.join(&entry.path);
        let parent = path.parent().unwrap_or(dir);
        // A replaced file keeps its mode (a file that was not there gets the usual one).
        let keep = match entry.on_disk {
            OnDisk::Missing => None,
            _ => match std::fs::symlink_metadata(&path) {
                Ok(m) if m.is_file() => Some(m.permissions()),
                _ => None,
            },
        };
        let tmp = live.make(|| {
            let mut builder = tempfile::Builder::new();
            builder
                .prefix(TEMP_PREFIX)
                .suffix(TEMP_SUFFIX)
                .rand_bytes(TEMP_RANDOM);
            // A new file gets the usual 0666 less the umask (tempfile's default is 0600).
            #[cfg(unix)]
            builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
            let mut tmp = builder.tempfile_in(parent).map_err(|e| {
                Error::io(
                    parent,
                    "cannot create a temporary file in the output directory",
                    e,
                )
            })?;
            keep.map_or(Ok(()), |p| tmp.as_file().set_permissions(p))
                .and_then(|()| tmp.write_all(bytes))
                .and_then(|()| match sync_each {
                    true => tmp.as_file().sync_all().map(|()| synced()),
                    false => Ok(()),
                })
                .map_err(|e| Error::io(tmp.path(), "cannot write", e))?;
            // Closed now, renamed below: thousands of open files would pass the limit on open
            // files (and the temporary file is still removed if anything fails first).
            let tmp = tmp.into_temp_path();
            let at = tmp.to_path_buf();
            Ok::<_, Error>((tmp, at))
        })?;
        Ok((tmp, path, entry.path.as_str()))
    })
    // The first error in path order; every temporary file made is removed as it drops.
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    if sync_once {
        sync_file_system(dir)?;
    }
    for (tmp, path, rel) in staged {
        // rename(2) replaces a symbolic link itself, never the file it points to.
        live.rename(|| tmp.persist(&path))
            .map_err(|e| Error::io(&path, "cannot write", e.error))?;
        summary.written.push(rel.to_string());
    }
    for entry in &plan.entries {
        match (entry.status, entry.on_disk) {
            (Status::Unchanged, _) => summary.unchanged.push(entry.path.clone()),
            (Status::Removed, OnDisk::Leftover) => {
                let path = dir.join(&entry.path);
                // Still a regular file (a link or directory put there since is not removed).
                if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file()) {
                    continue;
                }
                match std::fs::remove_file(&path) {
                    Ok(()) => summary.leftovers.push(entry.path.clone()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(&path, "cannot remove", e)),
                }
            }
            (Status::Removed, _) if opts.prune => {
                let path = dir.join(&entry.path);
                // Look again right before removing: only a regular file with the header goes.
                if let Ok((OnDisk::Generated, _)) = read_on_disk(&path) {
                    std::fs::remove_file(&path)
                        .map_err(|e| Error::io(&path, "cannot remove", e))?;
                    summary.removed.push(entry.path.clone());
                    // A directory of ferry's layout left empty goes too (remove_dir fails on
                    // one that is not empty).
                    if let Some((parent, _)) = entry.path.rsplit_once('/') {
                        if std::fs::remove_dir(dir.join(parent)).is_ok() {
                            if let Some((grand, _)) = parent.rsplit_once('/') {
                                let _ = std::fs::remove_dir(dir.join(grand));
                            }
                        }
                    }
                }
            }
            (Status::Removed, _) => summary.stale.push(entry.path.clone()),
            (Status::Added | Status::Changed, _) => {}
        }
    }
    if opts.durable {
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
            synced();
        }
    }
    Ok(summary)
}

/// With [`WriteOptions::durable`], every file is on disk before any is renamed into place. On
/// Linux one syncfs(2) of the output directory's file system does that for all of them;
/// elsewhere each is synced as it is written (thousands of fsync calls took seconds: 3,086
/// files, 3.3 s).
const SYNC_ONCE: bool = cfg!(target_os = "linux");

/// From how many files to write [`SYNC_ONCE`] applies.
const SYNC_ONCE_FROM: usize = 64;

#[cfg(target_os = "linux")]
fn sync_file_system(dir: &Path) -> Result<()> {
    use std::os::fd::AsRawFd;
    let d = std::fs::File::open(dir).map_err(|e| Error::io(dir, "cannot open", e))?;
    // SAFETY: syncfs only reads the descriptor, which `d` keeps open for the call.
    if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
        return Err(Error::io(
            dir,
            "cannot write",
            std::io::Error::last_os_error(),
        ));
    }
    synced();
    Ok(())
}

#[cfg(test)]
thread_local! {
    /// How many times this thread asked for files or the file system to reach the disk.
    static SYNCS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a sync, for the tests.
fn synced() {
    #[cfg(test)]
    SYNCS.with(|s| s.set(s.get() + 1));
}

#[cfg(not(target_os = "linux"))]
fn sync_file_system(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Write every file of the tree into `dir` (created if missing), without pruning: [`plan`] then
/// [`write`].
/// Hold the output directory for one `convert`: a second ferry writing into the same directory
/// waits until this one has written everything, then compares afresh, so two runs never leave
/// a mix of their outputs. The lock is on the directory itself (no lock file is left behind)
/// and is released when the returned handle is dropped. Creates the directory if missing.
pub fn lock(dir: &Path) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(dir, "cannot create the output directory", e))?;
    let handle = std::fs::File::open(dir)
        .map_err(|e| Error::io(dir, "cannot open the output directory", e))?;
    handle
        .lock()
        .map_err(|e| Error::io(dir, "cannot lock the output directory", e))?;
    Ok(handle)
}

pub fn write_tree(tree: &Tree, dir: &Path) -> Result<WriteSummary> {
    write(&plan(tree, dir)?, &WriteOptions::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        Tree {
            files: files
                .iter()
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
                .collect(),
            ..Default::default()
        }
    }

    const A: &str = "# Generated by ferry from c.yaml.\nkind: A\n";
    const B: &str = "# Generated by ferry from c.yaml.\nkind: B\n";

    #[test]
    fn plan_of_missing_directory_adds_everything() {
        let dir = tempfile::tempdir().unwrap();
        let p = plan(&tree(&[("a.yaml", A)]), &dir.path().join("k8s")).unwrap();
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entries[0].status, Status::Added);
        assert!(!p.is_up_to_date());
    }

    #[test]
    fn stale_only_with_header_and_yaml_extension() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("old.yaml"), B).unwrap();
        std::fs::write(d.join("mine.yaml"), "kind: Mine\n").unwrap();
        std::fs::write(d.join("notes.txt"), B).unwrap();
        std::fs::write(d.join(".ferry-abc.tmp"), B).unwrap();
        std::fs::create_dir(d.join("overlays")).unwrap();
        std::fs::write(d.join("overlays/x.yaml"), B).unwrap();
        let p = plan(&tree(&[("a.yaml", A)]), d).unwrap();
        let got: Vec<(&str, Status)> = p
            .entries
            .iter()
            .map(|e| (e.path.as_str(), e.status))
            .collect();
        assert_eq!(
            got,
            [("a.yaml", Status::Added), ("old.yaml", Status::Removed)]
        );
    }

    #[test]
    fn write_refuses_to_overwrite_a_hand_written_file_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("b.yaml"), "kind: Mine\n").unwrap();
        let p = plan(&tree(&[("a.yaml", A), ("b.yaml", B)]), d).unwrap();
        assert_eq!(p.conflicts().count(), 1);
        let e = write(&p, &WriteOptions::default()).unwrap_err();
        assert!(e.to_string().contains("not generated by ferry"), "{e}");
        assert!(!d.join("a.yaml").exists());
        assert_eq!(
            std::fs::read_to_string(d.join("b.yaml")).unwrap(),
            "kind: Mine\n"
        );
    }

    /// Many files are read on two threads; each keeps its own status, in path order, and the
    /// first error in path order is the one returned.
    #[test]
    fn many_files_are_planned_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let names: Vec<String> = (0..200).map(|i| format!("f{i:03}.yaml")).collect();
        let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), A)).collect();
        for (i, n) in names.iter().enumerate() {
            match i % 3 {
                0 => std::fs::write(d.join(n), A).unwrap(),
                1 => std::fs::write(d.join(n), B).unwrap(),
                _ => {}
            }
        }
        let p = plan(&tree(&files), d).unwrap();
        let statuses: Vec<Status> = p.entries.iter().map(|e| e.status).collect();
        let want: Vec<Status> = (0..200)
            .map(|i| match i % 3 {
                0 => Status::Unchanged,
                1 => Status::Changed,
                _ => Status::Added,
            })
            .collect();
        assert_eq!(statuses, want);
        // Unchanged files keep no bytes; the others keep what a diff shows.
        for e in &p.entries {
            let unchanged = e.status == Status::Unchanged;
            assert_eq!(e.new.is_none(), unchanged, "{}", e.path);
            assert_eq!(e.old.is_none(), e.status != Status::Changed, "{}", e.path);
        }
        std::fs::create_dir(d.join("f152.yaml")).unwrap();
        std::fs::create_dir(d.join("f020.yaml")).unwrap();
        let e = plan(&tree(&files), d).unwrap_err().to_string();
        assert!(e.contains("f020.yaml"), "{e}");
    }

    /// What is on disk where a file goes, read in four system calls: each kind of thing there,
    /// the same as the portable way reads it.
    #[cfg(unix)]
    #[test]
    fn read_on_disk_tells_each_kind_apart() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let big = format!(
            "{}\n{}",
            crate::render::header("x"),
            "a: b\n".repeat(20_000)
        );
        std::fs::write(d.join("gen.yaml"), &big).unwrap();
        std::fs::write(d.join("mine.yaml"), "kind: Mine\n").unwrap();
        std::fs::write(d.join("empty.yaml"), "").unwrap();
        std::fs::create_dir(d.join("dir.yaml")).unwrap();
        std::os::unix::fs::symlink(d.join("mine.yaml"), d.join("link.yaml")).unwrap();
        let fifo = std::ffi::CString::new(d.join("fifo.yaml").to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node there.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let read = |name: &str| {
            let p = d.join(name);
            let fast = read_on_disk_unix(&p).map_err(|e| e.to_string());
            let slow = read_on_disk_portable(&p).map_err(|e| e.to_string());
            assert_eq!(fast, slow, "{name}");
            fast
        };
        assert_eq!(
            read("gen.yaml").unwrap(),
            (OnDisk::Generated, Some(big.into_bytes()))
        );
        assert_eq!(
            read("mine.yaml").unwrap(),
            (OnDisk::HandWritten, Some(b"kind: Mine\n".to_vec()))
        );
        assert_eq!(
            read("empty.yaml").unwrap(),
            (OnDisk::HandWritten, Some(Vec::new()))
        );
        assert_eq!(read("none.yaml").unwrap(), (OnDisk::Missing, None));
        assert_eq!(read("link.yaml").unwrap(), (OnDisk::Symlink, None));
        assert!(read("dir.yaml").unwrap_err().contains("special file"));
        // A named pipe is refused without waiting for a writer.
        assert!(read("fifo.yaml").unwrap_err().contains("special file"));
    }

    #[cfg(unix)]
    #[test]
    fn symlink_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("k8s");
        std::fs::create_dir(&d).unwrap();
        let target = dir.path().join("target.yaml");
        std::fs::write(&target, "precious\n").unwrap();
        std::os::unix::fs::symlink(&target, d.join("a.yaml")).unwrap();
        // A stale-looking symlink is never removed either.
        std::os::unix::fs::symlink(&target, d.join("old.yaml")).unwrap();
        let p = plan(&tree(&[("a.yaml", A)]), &d).unwrap();
        assert_eq!(p.entries.len(), 1);
        assert_eq!(p.entries[0].on_disk, OnDisk::Symlink);
        assert_eq!(p.entries[0].status, Status::Changed);
        write(
            &p,
            &WriteOptions {
                prune: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
        assert!(!std::fs::symlink_metadata(d.join("a.yaml"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read_to_string(d.join("a.yaml")).unwrap(), A);
        assert!(std::fs::symlink_metadata(d.join("old.yaml")).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_usual_mode_and_replaced_files_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("b.yaml"), A).unwrap();
        std::fs::set_permissions(d.join("b.yaml"), std::fs::Permissions::from_mode(0o640)).unwrap();
        std::fs::write(d.join("plain"), "").unwrap(); // created as 0666 less the umask
        write_tree(&tree(&[("a.yaml", A), ("b.yaml", B)]), d).unwrap();
        let mode = |p: &str| std::fs::metadata(d.join(p)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("a.yaml"), mode("plain"));
        assert_eq!(mode("b.yaml"), 0o640);
    }

    /// Only with `durable` does a write wait for the disk: an fsync per file and one for the
    /// directory for a few files, one syncfs (Linux) and the directory's for many.
    #[test]
    fn durable_writes_sync_and_others_do_not() {
        let syncs = |n: usize, durable: bool| {
            let dir = tempfile::tempdir().unwrap();
            let names: Vec<String> = (0..n).map(|i| format!("f{i:03}.yaml")).collect();
            let files: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), A)).collect();
            let t = tree(&files);
            let before = SYNCS.with(|s| s.get());
            let opts = WriteOptions {
                durable,
                ..Default::default()
            };
            let s = write(&plan(&t, dir.path()).unwrap(), &opts).unwrap();
            assert_eq!(s.written.len(), n);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), n);
            SYNCS.with(|s| s.get()) - before
        };
        assert_eq!(syncs(3, false), 0);
        assert_eq!(syncs(3, true), 4);
        assert_eq!(syncs(100, false), 0);
        // Elsewhere each file is fsynced, half of them on the second thread (not counted here).
        if SYNC_ONCE {
            assert_eq!(syncs(100, true), 2);
        }
    }

    /// A temporary file of a killed run is a change (`diff`, `--check`) and `convert` removes it,
    /// with or without prune; only a regular file named as ferry names them is one.
    #[test]
    fn leftover_temporary_files_are_changes_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let t = tree(&[("a.yaml", A), ("base/b.yaml", B)]);
        write_tree(&t, d).unwrap();
        assert!(plan(&t, d).unwrap().is_up_to_date());
        std::fs::write(d.join(".ferry-Ab12cD.tmp"), "# Generated by ferry, half").unwrap();
        std::fs::write(d.join("base/.ferry-zzzzzz.tmp"), "").unwrap();
        // Not ferry's: another name, a directory, a link.
        std::fs::write(d.join(".ferry-notes.tmp"), "mine").unwrap();
        std::fs::create_dir(d.join(".ferry-dir123.tmp")).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(d.join("a.yaml"), d.join(".ferry-link12.tmp")).unwrap();
        let p = plan(&t, d).unwrap();
        assert!(!p.is_up_to_date());
        let got: Vec<(&str, Status, OnDisk, bool)> = p
            .changes()
            .map(|e| (e.path.as_str(), e.status, e.on_disk, e.sensitive))
            .collect();
        assert_eq!(
            got,
            [
                (".ferry-Ab12cD.tmp", Status::Removed, OnDisk::Leftover, true),
                (
                    "base/.ferry-zzzzzz.tmp",
                    Status::Removed,
                    OnDisk::Leftover,
                    true
                ),
            ]
        );
        // Never read: a leftover may hold half a secret.
        assert!(p.changes().all(|e| e.old.is_none() && e.new.is_none()));
        let s = write(&p, &WriteOptions::default()).unwrap();
        assert_eq!(s.leftovers, [".ferry-Ab12cD.tmp", "base/.ferry-zzzzzz.tmp"]);
        assert!(s.stale.is_empty() && s.removed.is_empty());
        assert!(!d.join(".ferry-Ab12cD.tmp").exists());
        assert!(!d.join("base/.ferry-zzzzzz.tmp").exists());
        assert!(d.join(".ferry-notes.tmp").exists());
        assert!(d.join(".ferry-dir123.tmp").is_dir());
        assert!(plan(&t, d).unwrap().is_up_to_date());
    }

    #[test]
    fn prune_removes_only_stale_files_with_header() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("old.yaml"), B).unwrap();
        std::fs::write(d.join("mine.yaml"), "kind: Mine\n").unwrap();
        let t = tree(&[("a.yaml", A)]);
        let s = write(&plan(&t, d).unwrap(), &WriteOptions::default()).unwrap();
        assert_eq!(s.stale, ["old.yaml"]);
        assert!(d.join("old.yaml").exists());
        let s = write(
            &plan(&t, d).unwrap(),
            &WriteOptions {
                prune: true,
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.removed, ["old.yaml"]);
        assert_eq!(s.unchanged, ["a.yaml"]);
        assert!(!d.join("old.yaml").exists());
        assert!(d.join("mine.yaml").exists());
        assert!(plan(&t, d).unwrap().is_up_to_date());
    }
}
