//! Volume short syntax: `[SOURCE:]TARGET[:MODE]`.

use super::model::MountKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortMount {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
    /// The options after the second colon that compose reads (`nocopy`, SELinux, propagation).
    pub options: MountOptions,
    /// Options docker compose does not know (`roz`, a typo for `ro,z`): it ignores them, and so
    /// does ferry, with a warning.
    pub ignored: Vec<String>,
}

/// The options of a short volume syntax that are not `ro`/`rw`, as compose-go's `ParseVolume`
/// reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MountOptions {
    pub nocopy: bool,
    /// `z` or `Z`.
    pub selinux: Option<String>,
    /// `private`, `rprivate`, `shared`, `rshared`, `slave` or `rslave`.
    pub propagation: Option<String>,
}

/// A source that starts like a path is a bind mount; anything else names a volume.
pub fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

const PROPAGATIONS: &[&str] = &[
    "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

/// Every option compose reads after the second colon.
const KNOWN: &[&str] = &[
    "ro", "rw", "nocopy", "z", "Z", "shared", "rshared", "slave", "rslave", "private", "rprivate",
];

pub fn parse_short(spec: &str) -> Result<ShortMount, String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let (source, target, mode) = match parts.as_slice() {
        [t] => (None, *t, None),
        [s, t] => (Some(*s), *t, None),
        [s, t, m] => (Some(*s), *t, Some(*m)),
        _ => {
            return Err(format!(
                "`{spec}` is not a volume such as `data:/var/lib/data`, `./conf:/etc/conf:ro` or `/tmp/cache`"
            ))
        }
    };
    if target.is_empty() || !target.starts_with('/') {
        return Err(format!(
            "`{spec}`: the mount point `{target}` must be an absolute path inside the container"
        ));
    }
    // As compose-go: options in order, the last of `ro`/`rw` wins, unknown ones are ignored.
    let mut read_only = false;
    let mut options = MountOptions::default();
    let mut ignored = Vec::new();
    for m in mode.into_iter().flat_map(|m| m.split(',')) {
        match m {
            "ro" => read_only = true,
            "rw" => read_only = false,
            "nocopy" => options.nocopy = true,
            "z" | "Z" => options.selinux = Some(m.to_string()),
            _ if PROPAGATIONS.contains(&m) => options.propagation = Some(m.to_string()),
            // Docker Desktop's old file-sharing consistency: no effect, not worth a warning.
            "" | "cached" | "delegated" | "consistent" => {}
            _ => ignored.push(m.to_string()),
        }
    }
    let source = source.filter(|s| !s.is_empty());
    let kind = match source {
        None => MountKind::Volume,
        Some(s) if is_path(s) => MountKind::Bind,
        Some(_) => MountKind::Volume,
    };
    Ok(ShortMount {
        kind,
        source: source.map(str::to_string),
        target: target.to_string(),
        read_only,
        options,
        ignored,
    })
}

/// Why an unknown mount option is ignored, for a warning: docker compose ignores it too, and
/// what it may have meant when it is two known options run together (`roz`: `ro,z`).
pub fn ignored_option_message(option: &str, read_only: bool) -> String {
    let meant = (1..option.len())
        .filter(|&i| option.is_char_boundary(i))
        .map(|i| option.split_at(i))
        .find(|(a, b)| KNOWN.contains(a) && KNOWN.contains(b))
        .map(|(a, b)| format!(" (did you mean `{a},{b}`?)"))
        .unwrap_or_default();
    let so = if read_only {
        ""
    } else {
        ", so the mount is read-write"
    };
    format!("docker compose ignores the unknown mount option `{option}`{meant}{so}; ferry ignores it too")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_volume() {
        let m = parse_short("db_data:/var/lib/mysql").unwrap();
        assert_eq!(m.kind, MountKind::Volume);
        assert_eq!(m.source.as_deref(), Some("db_data"));
        assert!(!m.read_only);
    }

    #[test]
    fn anonymous_volume() {
        let m = parse_short("/var/cache").unwrap();
        assert_eq!((m.kind, m.source), (MountKind::Volume, None));
    }

    #[test]
    fn relative_bind_read_only() {
        let m = parse_short("./nginx.conf:/etc/nginx/nginx.conf:ro").unwrap();
        assert_eq!(m.kind, MountKind::Bind);
        assert!(m.read_only);
    }

    #[test]
    fn absolute_and_home_paths_are_binds() {
        assert_eq!(
            parse_short("/var/run/docker.sock:/var/run/docker.sock")
                .unwrap()
                .kind,
            MountKind::Bind
        );
        assert_eq!(parse_short("~/data:/data").unwrap().kind, MountKind::Bind);
    }

    #[test]
    fn relative_target_is_error() {
        assert!(parse_short("data:var/lib").is_err());
    }

    /// docker compose ignores options it does not know and mounts the volume read-write.
    #[test]
    fn unknown_option_is_ignored_as_compose_ignores_it() {
        let m = parse_short("./data:/data:roz").unwrap();
        assert!(!m.read_only);
        assert_eq!(m.ignored, ["roz"]);
        assert_eq!(
            ignored_option_message("roz", m.read_only),
            "docker compose ignores the unknown mount option `roz` (did you mean `ro,z`?), so the mount is read-write; ferry ignores it too"
        );
        let m = parse_short("data:/data:foo,ro,cached").unwrap();
        assert!(m.read_only);
        assert_eq!(m.ignored, ["foo"]);
        assert!(!ignored_option_message("foo", true).contains("did you mean"));
    }

    /// The last of `ro` and `rw` wins, as in compose-go.
    #[test]
    fn last_of_ro_and_rw_wins() {
        assert!(!parse_short("./a:/a:ro,rw").unwrap().read_only);
        assert!(parse_short("./a:/a:rw,ro").unwrap().read_only);
    }

    #[test]
    fn options_are_read() {
        let m = parse_short("v:/v:nocopy,Z,rshared").unwrap();
        assert_eq!(
            m.options,
            MountOptions {
                nocopy: true,
                selinux: Some("Z".into()),
                propagation: Some("rshared".into()),
            }
        );
        assert!(m.ignored.is_empty());
    }

    #[test]
    fn selinux_and_ro_together() {
        assert!(parse_short("./a:/a:ro,z").unwrap().read_only);
    }
}
