//! Port short syntax: `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/PROTOCOL]`, and `expose`.

use super::model::Protocol;

/// A port mapping as parsed from its short syntax, before it gets a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortPort {
    pub target: u16,
    pub published: Option<u16>,
    /// A host port range for a single container port (`6005-6015:80`): docker publishes the
    /// container port on one free port of the range, so there is no one published port.
    pub published_range: Option<(u16, u16)>,
    pub host_ip: Option<String>,
    pub protocol: Protocol,
}

/// The most ports one range may expand to. A Service with thousands of ports is never what a
/// user wants, and Kubernetes objects have size limits.
pub const MAX_RANGE: u32 = 1000;

pub fn parse_protocol(s: &str) -> Result<Protocol, String> {
    match s.to_ascii_lowercase().as_str() {
        "tcp" => Ok(Protocol::Tcp),
        "udp" => Ok(Protocol::Udp),
        "sctp" => Ok(Protocol::Sctp),
        _ => Err(format!(
            "unknown protocol `{s}` (expected tcp, udp or sctp)"
        )),
    }
}

fn port_number(s: &str, whole: &str) -> Result<u16, String> {
    match s.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(_) => Err(format!("port {s} in `{whole}` is out of range (1-65535)")),
        Err(_) => Err(format!(
            "`{whole}` is not a port mapping such as `8080:80`, `80`, `127.0.0.1:8080:80` or `53:53/udp`"
        )),
    }
}

/// `80` or `8000-8010`, as an inclusive range.
pub fn parse_range(s: &str, whole: &str) -> Result<(u16, u16), String> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (port_number(a, whole)?, port_number(b, whole)?),
        None => {
            let p = port_number(s, whole)?;
            (p, p)
        }
    };
    if b < a {
        return Err(format!(
            "the range `{s}` in `{whole}` ends before it starts"
        ));
    }
    if u32::from(b - a) >= MAX_RANGE {
        return Err(format!(
            "the range `{s}` in `{whole}` has more than {MAX_RANGE} ports; list the ports you need instead"
        ));
    }
    Ok((a, b))
}

/// Parse one short-syntax `ports` entry into one mapping per container port.
pub fn parse_short(spec: &str) -> Result<Vec<ShortPort>, String> {
    let whole = spec;
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, parse_protocol(p)?),
        None => (spec, Protocol::Tcp),
    };
    // An IPv6 host address is written in brackets: [::1]:8080:80
    let (host_ip, rest) = if let Some(after) = rest.strip_prefix('[') {
        let (ip, tail) = after.split_once("]:").ok_or_else(|| {
            format!("`{whole}`: an IPv6 host address must be written as `[addr]:host:container`")
        })?;
        (Some(ip.to_string()), tail)
    } else {
        (None, rest)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, published, target) = match parts.as_slice() {
        [t] => (None, None, *t),
        [p, t] => (None, Some(*p), *t),
        [ip, p, t] if host_ip.is_none() => (Some(ip.to_string()), Some(*p), *t),
        _ => {
            return Err(format!(
                "`{whole}` is not a port mapping such as `8080:80`, `80`, `127.0.0.1:8080:80` or `53:53/udp`"
            ))
        }
    };
    let host_ip = host_ip.or(ip).filter(|s| !s.is_empty());
    let (t0, t1) = parse_range(target, whole)?;
    let published = match published {
        None | Some("") => None,
        Some(p) => Some(parse_range(p, whole)?),
    };
    let count = t1 - t0;
    check_lengths(published, (t0, t1)).map_err(|why| format!("`{whole}`: {why}"))?;
    // One container port on a host range: one host port of the range, chosen by docker.
    let range = published.filter(|(p0, p1)| count == 0 && p1 != p0);
    Ok((0..=count)
        .map(|i| ShortPort {
            target: t0 + i,
            published: published.filter(|_| range.is_none()).map(|(p0, _)| p0 + i),
            published_range: range,
            host_ip: host_ip.clone(),
            protocol,
        })
        .collect())
}

/// A published range must be as long as the container range, unless there is one container
/// port, which docker then publishes on one port of the host range (as docker's own port parser
/// does).
pub fn check_lengths(published: Option<(u16, u16)>, (t0, t1): (u16, u16)) -> Result<(), String> {
    match published {
        Some((p0, p1)) if t1 != t0 && p1 - p0 != t1 - t0 => Err(if p0 == p1 {
            format!("one published port ({p0}) for the container range {t0}-{t1}; give a published range as long")
        } else {
            format!("the published range {p0}-{p1} and the container range {t0}-{t1} have different lengths")
        }),
        _ => Ok(()),
    }
}

/// An `expose` entry: `3000`, `3000-3005`, `3000/udp`.
pub fn parse_expose(spec: &str) -> Result<Vec<(u16, Protocol)>, String> {
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, parse_protocol(p)?),
        None => (spec, Protocol::Tcp),
    };
    let (a, b) = parse_range(rest, spec)?;
    Ok((a..=b).map(|p| (p, protocol)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> ShortPort {
        let mut v = parse_short(s).unwrap();
        assert_eq!(v.len(), 1);
        v.remove(0)
    }

    #[test]
    fn container_port_only() {
        let p = one("3000");
        assert_eq!((p.target, p.published), (3000, None));
    }

    #[test]
    fn host_and_container_port() {
        let p = one("8080:80");
        assert_eq!(
            (p.target, p.published, p.protocol),
            (80, Some(8080), Protocol::Tcp)
        );
    }

    #[test]
    fn host_ip_is_kept() {
        let p = one("127.0.0.1:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(p.published, Some(8080));
    }

    #[test]
    fn host_ip_with_random_host_port() {
        let p = one("127.0.0.1::80");
        assert_eq!((p.target, p.published), (80, None));
    }

    #[test]
    fn ipv6_host_ip_in_brackets() {
        let p = one("[::1]:8080:80");
        assert_eq!(p.host_ip.as_deref(), Some("::1"));
        assert_eq!((p.target, p.published), (80, Some(8080)));
    }

    #[test]
    fn udp_protocol_suffix() {
        assert_eq!(one("53:53/udp").protocol, Protocol::Udp);
    }

    #[test]
    fn ranges_expand_pairwise() {
        let v = parse_short("8000-8002:9000-9002").unwrap();
        let pairs: Vec<_> = v.iter().map(|p| (p.published, p.target)).collect();
        assert_eq!(
            pairs,
            [(Some(8000), 9000), (Some(8001), 9001), (Some(8002), 9002)]
        );
    }

    #[test]
    fn mismatched_ranges_are_errors() {
        assert!(parse_short("8000-8001:9000-9002").is_err());
        // One host port for a container range: docker's port parser refuses it too.
        assert_eq!(
            parse_short("8080:9000-9002").unwrap_err(),
            "`8080:9000-9002`: one published port (8080) for the container range 9000-9002; give a published range as long"
        );
    }

    /// `6005-6015:80`: docker publishes the container port on one free port of the host range.
    #[test]
    fn one_container_port_on_a_host_range() {
        let p = one("127.0.0.1:6005-6015:80/udp");
        assert_eq!(p.target, 80);
        assert_eq!(p.published, None);
        assert_eq!(p.published_range, Some((6005, 6015)));
        assert_eq!(p.protocol, Protocol::Udp);
    }

    #[test]
    fn out_of_range_port_is_error() {
        let e = parse_short("70000:80").unwrap_err();
        assert!(e.contains("out of range"), "{e}");
    }

    #[test]
    fn garbage_is_error() {
        assert!(parse_short("eighty").is_err());
        assert!(parse_short("1:2:3:4").is_err());
        assert!(parse_short("80/xyz").is_err());
    }

    #[test]
    fn huge_range_is_refused() {
        let e = parse_short("1-60000").unwrap_err();
        assert!(e.contains("more than"), "{e}");
    }

    #[test]
    fn expose_forms() {
        assert_eq!(parse_expose("3000").unwrap(), [(3000, Protocol::Tcp)]);
        assert_eq!(parse_expose("53/udp").unwrap(), [(53, Protocol::Udp)]);
        assert_eq!(parse_expose("1-2").unwrap().len(), 2);
    }
}
