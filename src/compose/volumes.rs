//! Volume short syntax: `[SOURCE:]TARGET[:MODE]`.

use super::model::MountKind;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortMount {
    pub kind: MountKind,
    pub source: Option<String>,
    pub target: String,
    pub read_only: bool,
}

/// A source that starts like a path is a bind mount; anything else names a volume.
pub fn is_path(source: &str) -> bool {
    source.starts_with('.') || source.starts_with('/') || source.starts_with('~')
}

const MODES: &[&str] = &[
    "ro",
    "rw",
    "z",
    "Z",
    "nocopy",
    "shared",
    "rshared",
    "slave",
    "rslave",
    "private",
    "rprivate",
    "cached",
    "delegated",
    "consistent",
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
    let mut read_only = false;
    if let Some(mode) = mode {
        for m in mode.split(',') {
            if !MODES.contains(&m) {
                return Err(format!(
                    "`{spec}`: unknown mount option `{m}` (expected ro, rw, z, Z, nocopy or a propagation mode)"
                ));
            }
            read_only |= m == "ro";
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
    })
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

    #[test]
    fn unknown_mode_is_error() {
        assert!(parse_short("data:/data:rox").is_err());
    }

    #[test]
    fn selinux_and_ro_together() {
        assert!(parse_short("./a:/a:ro,z").unwrap().read_only);
    }
}
