//! Errors and warnings. Every problem that comes from a user's file carries a [`Location`].

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// A place in an input file: the path as the user named it (or relative to the project
/// directory), and a 1-based line and column. Line 0 means "the file as a whole".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

/// By file name, line and column. Locations of one file share its name, so the names are
/// compared only when they are not the same string (sorting a report of 100,000 entries
/// compared file names for most of its time).
impl Ord for Location {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let file = if Arc::ptr_eq(&self.file, &other.file) {
            std::cmp::Ordering::Equal
        } else {
            self.file.cmp(&other.file)
        };
        file.then(self.line.cmp(&other.line))
            .then(self.column.cmp(&other.column))
    }
}

impl PartialOrd for Location {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Location {
    pub fn new(file: Arc<str>, line: u32, column: u32) -> Self {
        Location { file, line, column }
    }

    /// The file as a whole, with no line.
    pub fn file(file: Arc<str>) -> Self {
        Location {
            file,
            line: 0,
            column: 0,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.column)
        }
    }
}

/// Everything that can stop a conversion.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something in a user's file is wrong: where, and what was expected. `detail` adds what a
    /// terminal shows under the source line: a label there, and other places the message is
    /// about (the first definition of a duplicate key, the other name of a collision).
    #[error("{location}: {message}")]
    Invalid {
        location: Location,
        message: String,
        detail: Option<Box<Detail>>,
    },
    /// A file could not be read or written.
    #[error("{}: {message}: {source}", path.display())]
    Io {
        path: PathBuf,
        message: String,
        #[source]
        source: std::io::Error,
    },
    /// A problem that is not tied to a place in a file (no compose file found, bad flag value).
    #[error("{0}")]
    Usage(String),
    /// A template failed to render or rendered something that is not a valid object.
    #[error("template {template}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Template {
        template: String,
        line: Option<usize>,
        message: String,
    },
    /// Several independent problems, reported together.
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<Error>),
}

/// What an [`Error::Invalid`] shows beside its source line. The message itself says all of it
/// in words; this only places it, so that a plain `file:line:col: message` loses nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detail {
    /// Under the caret at the error's own location (e.g. "defined again here").
    pub label: Option<String>,
    /// Other places, each with its label (e.g. "first defined here").
    pub related: Vec<(Location, String)>,
}

impl Error {
    pub fn invalid(location: &Location, message: impl Into<String>) -> Self {
        Error::Invalid {
            location: location.clone(),
            message: message.into(),
            detail: None,
        }
    }

    fn detail_mut(&mut self) -> Option<&mut Detail> {
        match self {
            Error::Invalid { detail, .. } => Some(detail.get_or_insert_with(Default::default)),
            _ => None,
        }
    }

    /// Label the error's own place (shown under its source line); other kinds are unchanged.
    pub fn labelled(mut self, label: impl Into<String>) -> Self {
        if let Some(d) = self.detail_mut() {
            d.label = Some(label.into());
        }
        self
    }

    /// Point at another place the error is about, with a label; other kinds are unchanged.
    pub fn also_at(mut self, location: &Location, label: impl Into<String>) -> Self {
        if let Some(d) = self.detail_mut() {
            d.related.push((location.clone(), label.into()));
        }
        self
    }

    pub fn io(
        path: impl Into<PathBuf>,
        message: impl Into<String>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.into(),
            message: message.into(),
            source,
        }
    }

    /// Collapse a list of errors: one stays itself, several become [`Error::Many`].
    pub fn from_many(mut errors: Vec<Error>) -> Option<Error> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Many(errors)),
        }
    }

    /// True when the error is about how ferry was called rather than about the input.
    pub fn is_usage(&self) -> bool {
        matches!(self, Error::Usage(_))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How serious a report entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// A compose key that did not become anything in Kubernetes, although it changes what the
    /// application does (`--strict` fails on these).
    NotConverted,
    /// Converted, but something needs the user's attention.
    Warning,
    /// A compose key with nothing to do on Kubernetes (`depends_on`, `container_name`, …); the
    /// message says why.
    Ignored,
    /// A compose key and what it became (shown by `--report`).
    Converted,
}

/// One entry of the conversion report: a compose key or value and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    #[serde(serialize_with = "ser_location")]
    pub location: Option<Location>,
    /// Dotted path of the key, e.g. `services.web.ulimits`.
    pub key: String,
    /// Most messages are fixed text, kept without a copy.
    pub message: std::borrow::Cow<'static, str>,
}

fn ser_location<S: serde::Serializer>(loc: &Option<Location>, s: S) -> Result<S::Ok, S::Error> {
    match loc {
        Some(l) => s.serialize_str(&l.to_string()),
        None => s.serialize_none(),
    }
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::NotConverted => "not converted",
            Severity::Warning => "warning",
            Severity::Ignored => "ignored",
            Severity::Converted => "converted",
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = self.severity.as_str();
        match &self.location {
            Some(l) => write!(f, "{l}: {what}: {}: {}", self.key, self.message),
            None => write!(f, "{what}: {}: {}", self.key, self.message),
        }
    }
}

/// The conversion report: warnings and unconverted keys, in the order they were found.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    pub entries: Vec<Diagnostic>,
}

impl Report {
    pub fn warn(
        &mut self,
        location: Option<&Location>,
        key: impl Into<String>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.push(Severity::Warning, location, key, message);
    }

    pub fn ignored(
        &mut self,
        location: Option<&Location>,
        key: impl Into<String>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.push(Severity::Ignored, location, key, message);
    }

    pub fn converted(
        &mut self,
        location: Option<&Location>,
        key: impl Into<String>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.push(Severity::Converted, location, key, message);
    }

    pub fn not_converted(
        &mut self,
        location: Option<&Location>,
        key: impl Into<String>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.push(Severity::NotConverted, location, key, message);
    }

    pub fn push(
        &mut self,
        severity: Severity,
        location: Option<&Location>,
        key: impl Into<String>,
        message: impl Into<std::borrow::Cow<'static, str>>,
    ) {
        self.entries.push(Diagnostic {
            severity,
            location: location.cloned(),
            key: key.into(),
            message: message.into(),
        });
    }

    pub fn extend(&mut self, other: Report) {
        self.entries.extend(other.entries);
    }

    /// Order entries by file, line and column (entries without a location last); stable, so
    /// entries at one place keep the order they were found in.
    pub fn sort(&mut self) {
        self.entries
            .sort_by(|a, b| match (&a.location, &b.location) {
                (Some(x), Some(y)) => x.cmp(y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            });
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.entries
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }
}
