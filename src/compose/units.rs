//! Compose's value formats: durations (`1m30s`), byte sizes (`512m`), CPU counts (`0.5`).

/// A Go-style duration (`10s`, `1m30s`, `1.5h`, `500ms`) in milliseconds, rounded up.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    parse_duration_ns(s).map(|ns| ns.div_ceil(1_000_000))
}

/// A duration as Go's `time.Duration` prints it, as `docker compose config` does: `1m0s`,
/// `1h30m0s`, `1.5s`, `500ms`, `0s`.
pub fn go_duration(ns: u64) -> String {
    /// `v / unit` with the remainder as decimals, trailing zeros removed.
    fn frac(v: u64, unit: u64, digits: usize) -> String {
        let (int, rest) = (v / unit, v % unit);
        if rest == 0 {
            return int.to_string();
        }
        let decimals = format!("{rest:0digits$}");
        format!("{int}.{}", decimals.trim_end_matches('0'))
    }
    const S: u64 = 1_000_000_000;
    match ns {
        0 => "0s".into(),
        n if n < 1_000 => format!("{n}ns"),
        n if n < 1_000_000 => format!("{}µs", frac(n, 1_000, 3)),
        n if n < S => format!("{}ms", frac(n, 1_000_000, 6)),
        n => {
            let (h, rest) = (n / (3600 * S), n % (3600 * S));
            let (m, rest) = (rest / (60 * S), rest % (60 * S));
            let secs = frac(rest, S, 9);
            match (h, m) {
                (0, 0) => format!("{secs}s"),
                (0, m) => format!("{m}m{secs}s"),
                (h, m) => format!("{h}h{m}m{secs}s"),
            }
        }
    }
}

/// A Go-style duration in nanoseconds.
pub fn parse_duration_ns(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("an empty duration".into());
    }
    if s == "0" {
        return Ok(0);
    }
    let mut rest = s;
    let mut total_ns: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("`{s}` is not a duration such as `30s` or `1m30s`"));
        }
        let n: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("`{s}` is not a duration such as `30s` or `1m30s`"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => {
                return Err(format!(
                    "`{s}` has a number without a unit (use s, m, h or ms)"
                ))
            }
            u => {
                return Err(format!(
                    "`{s}` has an unknown unit `{u}` (use ns, us, ms, s, m or h)"
                ))
            }
        };
        total_ns += n * factor;
        rest = &rest[unit_len..];
    }
    if !total_ns.is_finite() || total_ns > 1e18 {
        return Err(format!("`{s}` is too long a duration"));
    }
    Ok(total_ns.round() as u64)
}

/// Milliseconds to whole seconds for a probe field: rounded up, at least `min`.
pub fn ms_to_secs(ms: u64, min: u64) -> u64 {
    ms.div_ceil(1000).max(min)
}

/// A docker byte size (`512m`, `1g`, `1.5gb`, `1024`, units base 1024) as bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a size such as `512m` or `1g`"))?;
    let mult: f64 = match unit.trim() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024f64.powi(4),
        "p" | "pb" | "pib" => 1024f64.powi(5),
        u => {
            return Err(format!(
                "`{s}` has an unknown unit `{u}` (use b, k, m, g, t or p)"
            ))
        }
    };
    let v = n * mult;
    if !v.is_finite() || v > 9.0e18 {
        return Err(format!("`{s}` is too large"));
    }
    Ok(v as u64)
}

/// Bytes as a Kubernetes quantity, with the largest binary suffix that keeps it exact.
pub fn bytes_quantity(b: u64) -> String {
    const UNITS: [(&str, u64); 5] = [
        ("Pi", 1 << 50),
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    for (suffix, size) in UNITS {
        if b >= size && b.is_multiple_of(size) {
            return format!("{}{}", b / size, suffix);
        }
    }
    b.to_string()
}

/// A CPU count (`0.5`, `2`) as a Kubernetes quantity (`500m`, `2`); `None` for zero.
pub fn cpus_quantity(s: &str) -> Result<Option<String>, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of CPUs such as `0.5` or `2`"))?;
    if !v.is_finite() || !(0.0..=1e6).contains(&v) {
        return Err(format!(
            "`{s}` is not a number of CPUs such as `0.5` or `2`"
        ));
    }
    let milli = (v * 1000.0).round() as u64;
    Ok(match milli {
        0 => None,
        m if m.is_multiple_of(1000) => Some((m / 1000).to_string()),
        m => Some(format!("{m}m")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_forms() {
        assert_eq!(parse_duration_ms("30s"), Ok(30_000));
        assert_eq!(parse_duration_ms("1m30s"), Ok(90_000));
        assert_eq!(parse_duration_ms("1.5h"), Ok(5_400_000));
        assert_eq!(parse_duration_ms("500ms"), Ok(500));
        assert_eq!(parse_duration_ms("0"), Ok(0));
        assert!(parse_duration_ms("10").is_err());
        assert!(parse_duration_ms("10x").is_err());
        assert!(parse_duration_ms("").is_err());
    }

    #[test]
    fn probe_seconds_round_up() {
        assert_eq!(ms_to_secs(500, 1), 1);
        assert_eq!(ms_to_secs(1500, 1), 2);
        assert_eq!(ms_to_secs(0, 1), 1);
        assert_eq!(ms_to_secs(0, 0), 0);
    }

    #[test]
    fn byte_sizes_are_base_1024() {
        assert_eq!(parse_bytes("512m"), Ok(512 << 20));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5g"), Ok(3 << 29));
        assert_eq!(parse_bytes("100"), Ok(100));
        assert_eq!(parse_bytes("64kb"), Ok(64 << 10));
        assert!(parse_bytes("lots").is_err());
    }

    #[test]
    fn quantities_keep_exact_values() {
        assert_eq!(bytes_quantity(512 << 20), "512Mi");
        assert_eq!(bytes_quantity(3 << 29), "1536Mi");
        assert_eq!(bytes_quantity(1 << 30), "1Gi");
        assert_eq!(bytes_quantity(1000), "1000");
    }

    #[test]
    fn cpus_to_millicores() {
        assert_eq!(cpus_quantity("0.5"), Ok(Some("500m".into())));
        assert_eq!(cpus_quantity("2"), Ok(Some("2".into())));
        assert_eq!(cpus_quantity("0.25"), Ok(Some("250m".into())));
        assert_eq!(cpus_quantity("0"), Ok(None));
        assert!(cpus_quantity("-1").is_err());
        assert!(cpus_quantity("many").is_err());
    }

    /// Go's `time.Duration.String`, which `docker compose config` prints.
    #[test]
    fn durations_print_as_go_does() {
        let go = |s: &str| go_duration(parse_duration_ns(s).unwrap());
        assert_eq!(go("1m"), "1m0s");
        assert_eq!(go("2m"), "2m0s");
        assert_eq!(go("30s"), "30s");
        assert_eq!(go("90s"), "1m30s");
        assert_eq!(go("1h"), "1h0m0s");
        assert_eq!(go("1.5h"), "1h30m0s");
        assert_eq!(go("1500ms"), "1.5s");
        assert_eq!(go("500ms"), "500ms");
        assert_eq!(go("0"), "0s");
        assert_eq!(go("0s"), "0s");
        assert_eq!(go("1us"), "1µs");
        assert_eq!(go("1h0m0.25s"), "1h0m0.25s");
        assert_eq!(parse_duration_ms("1ns"), Ok(1));
    }
}
