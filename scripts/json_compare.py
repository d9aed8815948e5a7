"""What the check scripts share: comparing JSON-like values (Kubernetes objects as PyYAML reads
them) and undoing the names kustomize's generators give. Imported by overlay-check.py and
helm-check.py, which sit beside it."""


def replace_strings(v, names):
    """`v` with every string that is a key of `names` replaced by its value (a generated
    Secret's hashed name by the generator's name, in the object and every reference to it)."""
    if isinstance(v, dict):
        return {k: replace_strings(x, names) for k, x in v.items()}
    if isinstance(v, list):
        return [replace_strings(x, names) for x in v]
    if isinstance(v, str) and v in names:
        return names[v]
    return v


def first_difference(a, b, path="", only_a="the first", only_b="the second", item="/%d",
                     lengths="%(path)s: %(a)d items in %(only_a)s, %(b)d in %(only_b)s"):
    """The first difference between `a` and `b`, as a path and both sides, or None. `only_a`
    and `only_b` name the sides in "only in …"; `item` formats a list index into the path;
    `lengths` says that two lists differ in length (`path`, `a` and `b` their lengths,
    `only_a`, `only_b`)."""
    def walk(a, b, path):
        if type(a) is not type(b):
            return "%s: %r != %r" % (path or "/", a, b)
        if isinstance(a, dict):
            for k in sorted(set(a) | set(b)):
                if k not in a or k not in b:
                    return "%s/%s: only in %s" % (path, k, only_a if k in a else only_b)
                d = walk(a[k], b[k], "%s/%s" % (path, k))
                if d:
                    return d
            return None
        if isinstance(a, list):
            if len(a) != len(b):
                return lengths % {"path": path, "a": len(a), "b": len(b),
                                  "only_a": only_a, "only_b": only_b}
            for i, (x, y) in enumerate(zip(a, b)):
                d = walk(x, y, path + item % i)
                if d:
                    return d
            return None
        return None if a == b else "%s: %r != %r" % (path or "/", a, b)

    return walk(a, b, path)
