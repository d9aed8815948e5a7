//! The one function that turns compose names into Kubernetes names, used for every object and
//! every reference so that they always agree.

/// The longest DNS label Kubernetes accepts.
pub const MAX_LABEL: usize = 63;

/// A compose name as an RFC 1035 label (lower case `a-z`, `0-9`, `-`; starts with a letter,
/// ends with a letter or digit; at most 63 characters). Such a name is valid for every kind,
/// Services included. `bookstack_db` becomes `bookstack-db`.
pub fn dns_label(name: &str) -> String {
    // Most names are labels already (the rules below would return them unchanged).
    let b = name.as_bytes();
    if b.len() <= MAX_LABEL
        && b.first().is_some_and(u8::is_ascii_lowercase)
        && b.last() != Some(&b'-')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
    {
        return name.to_string();
    }
    dns_label_checked(name)
}

/// [`dns_label`] by every rule, without the shortcut for names that are labels already.
fn dns_label_checked(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = out.trim_matches('-');
    out = if trimmed.is_empty() {
        "x".to_string()
    } else {
        trimmed.to_string()
    };
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "n-");
    }
    truncate(&out, name, MAX_LABEL)
}

/// An RFC 1123 label with no limit on its length: lower case letters, digits and `-`,
/// starting and ending with a letter or digit.
fn is_label_text(l: &str) -> bool {
    l.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && l.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && l.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// An RFC 1123 subdomain as Kubernetes checks it (`IsDNS1123Subdomain`): what it accepts as the
/// name of most objects and as the prefix of a label key. Labels separated by dots, at most
/// 253 characters in all (Kubernetes sets no limit on one label here).
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label_text)
}

/// A DNS host name: RFC 1123 labels of at most 63 characters separated by dots, at most 253
/// characters in all.
pub fn is_host_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.')
            .all(|l| l.len() <= MAX_LABEL && is_label_text(l))
}

/// An environment's name, which becomes a directory (`overlays/<name>/`) and a Helm values file
/// (`values-<name>.yaml`): lower case letters, digits and `-`, not starting with `-`, at most 63
/// characters.
pub fn is_environment_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_LABEL
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
}

/// `n` and the word that goes with it: `1 file`, `2 files`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `a, b, c`, or the first `max` names and how many more (`a, b and 3 more`): a list that grows
/// with the project stays one readable line.
pub fn some_of<S: AsRef<str>>(names: &[S], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).map(AsRef::as_ref).collect();
    match names.len().saturating_sub(max) {
        0 => shown.join(", "),
        more => format!("{} and {more} more", shown.join(", ")),
    }
}

/// `base` cut to `max` characters, with a short hash of the original name so that two long
/// names cut to the same prefix stay different.
fn truncate(label: &str, original: &str, max: usize) -> String {
    if label.len() <= max {
        return label.to_string();
    }
    let hash = format!("{:08x}", fnv1a(original) as u32);
    let keep = max - hash.len() - 1;
    let head = label[..keep].trim_end_matches('-');
    format!("{head}-{hash}")
}

/// A derived name (`<base>-<suffix>`) that is still a valid label.
pub fn derived(base: &str, suffix: &str) -> String {
    let joined = format!("{base}-{suffix}");
    let label = dns_label(&joined);
    truncate(&label, &joined, MAX_LABEL)
}

/// `first` when `taken` does not hold it, else the first of `<base>-2`, `<base>-3`, … that it
/// does not hold.
pub fn unique(first: String, base: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut name = first;
    let mut n = 2;
    while taken(&name) {
        name = derived(base, &n.to_string());
        n += 1;
    }
    name
}

/// A label value (at most 63 characters of `[A-Za-z0-9._-]`, starting and ending alphanumeric).
pub fn label_value(s: &str) -> String {
    dns_label(s)
}

/// FNV-1a, 64 bits: a stable hash (std's hasher is seeded and may change between releases).
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    #[test]
    fn subdomains_and_host_names_follow_kubernetes() {
        for ok in ["a", "web", "shop.example.com", "1a.b-c", &"a".repeat(64)] {
            assert!(super::is_dns_subdomain(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a..b", "a_b", ".a", &"a".repeat(254)] {
            assert!(!super::is_dns_subdomain(bad), "{bad}");
        }
        assert!(super::is_host_name(&"a".repeat(63)));
        assert!(!super::is_host_name(&"a".repeat(64)));
        assert!(!super::is_host_name("a..b"));
    }

    use super::*;

    fn is_rfc1035(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= 63
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && !s.ends_with('-')
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    }

    #[test]
    fn long_lists_of_names_are_cut() {
        assert_eq!(some_of(&["a", "b"], 10), "a, b");
        let many: Vec<String> = (0..25).map(|i| format!("s{i}")).collect();
        assert_eq!(
            some_of(&many, 10),
            "s0, s1, s2, s3, s4, s5, s6, s7, s8, s9 and 15 more"
        );
        assert_eq!(some_of(&many[..10], 10).matches(", ").count(), 9);
    }

    #[test]
    fn label_shortcut_agrees_with_the_rules() {
        use proptest::prelude::*;
        proptest!(ProptestConfig::with_cases(3000), |(n in "[a-z0-9-]{1,70}")| {
            prop_assert_eq!(dns_label(&n), dns_label_checked(&n));
        });
    }

    #[test]
    fn underscore_becomes_dash() {
        assert_eq!(dns_label("bookstack_db"), "bookstack-db");
    }

    #[test]
    fn upper_case_and_dots() {
        assert_eq!(dns_label("My.Web"), "my-web");
    }

    #[test]
    fn leading_digit_gets_prefix() {
        assert_eq!(dns_label("1db"), "n-1db");
    }

    #[test]
    fn long_names_are_cut_with_hash() {
        let a = dns_label(&"a".repeat(100));
        let b = dns_label(&format!("{}b", "a".repeat(99)));
        assert!(a.len() <= 63 && is_rfc1035(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn every_output_is_valid() {
        for s in [
            "",
            "-",
            "_x_",
            "ÄÖÜ",
            "a--b",
            "9",
            "x".repeat(70).as_str(),
            "web.1",
            "--a--",
        ] {
            assert!(is_rfc1035(&dns_label(s)), "{s:?} -> {}", dns_label(s));
        }
    }

    #[test]
    fn derived_names_stay_valid() {
        let n = derived(&"w".repeat(62), "env");
        assert!(is_rfc1035(&n), "{n}");
    }
}
