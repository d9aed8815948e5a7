#!/usr/bin/env python3
"""gateway-check.py: what validate-crs cannot check in Gateway API output, offline.

Usage: gateway-check.py CRD_DIR SRC...
  CRD_DIR  the Gateway API CRDs (../shared/crds/gateway-api-v1.6.1)
  SRC      a kustomize directory (built with `kubectl kustomize`), a directory of YAML files, or
           a file

1. Every CEL rule (x-kubernetes-validations) of the CRDs that applies to an object is evaluated,
   as the API server does on create: on the object after the schema's defaults are applied, with
   CEL's reserved words escaped (`namespace` is `__namespace__`). Rules on `oldSelf` (updates
   only) are skipped. Lists of type `map` and `set` must have unique keys / items.
2. What the API server admits but a Gateway would not accept, across objects of the output:
   - a route's parentRef to a Gateway in the output names a listener it has (sectionName, port),
     whose protocol takes the route's kind, whose hostname matches one of the route's, and
     whose allowedRoutes admit the route's namespace;
   - a route's backendRef to a Service names a Service of the output with that port, of the
     protocol the route carries (UDP for a UDPRoute, TCP otherwise);
   - listeners are distinct: a TCP listener shares its port with no HTTP, HTTPS or TLS one;
   - routes on one listener do not match the same requests: two TCPRoutes or UDPRoutes on one
     listener, or HTTP/gRPC routes with a host name in common (or none) and the same match.

Prints one line per problem, then
  gateway-check: N custom resources, K valid, F invalid (R CEL rules evaluated)
Exit 0 when every object passes, 1 otherwise, 2 on a usage error. Needs PyYAML and cel-python
(pip install pyyaml cel-python).
"""
import copy
import os
import subprocess
import sys

import yaml

try:
    import celpy
    from celpy import celtypes
except ImportError:
    sys.stderr.write("gateway-check: the cel-python package is needed: pip install cel-python\n")
    sys.exit(2)

GROUP = "gateway.networking.k8s.io"
ROUTES = {"HTTPRoute", "GRPCRoute", "TCPRoute", "UDPRoute", "TLSRoute"}
ACCEPTS = {
    "HTTPRoute": {"HTTP", "HTTPS"},
    "GRPCRoute": {"HTTP", "HTTPS"},
    "TCPRoute": {"TCP"},
    "UDPRoute": {"UDP"},
    "TLSRoute": {"TLS"},
}
RESERVED = {
    "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function",
    "if", "import", "let", "loop", "package", "namespace", "return", "var", "void", "while",
}


def docs_of(src):
    if os.path.isdir(src):
        for k in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
            if os.path.exists(os.path.join(src, k)):
                out = subprocess.run(["kubectl", "kustomize", src], capture_output=True, text=True)
                if out.returncode != 0:
                    sys.exit("gateway-check: kubectl kustomize %s failed: %s" % (src, out.stderr.strip()))
                return [d for d in yaml.safe_load_all(out.stdout) if isinstance(d, dict)]
        docs = []
        for root, _, files in sorted(os.walk(src)):
            for f in sorted(files):
                if f.endswith((".yaml", ".yml")):
                    with open(os.path.join(root, f)) as fh:
                        docs += [d for d in yaml.safe_load_all(fh) if isinstance(d, dict)]
        return docs
    with open(src) as fh:
        return [d for d in yaml.safe_load_all(fh) if isinstance(d, dict)]


def load_crds(crd_dir):
    """(apiVersion, kind) → openAPIV3Schema of every served version."""
    out = {}
    for f in sorted(os.listdir(crd_dir)):
        if not f.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(crd_dir, f)) as fh:
            for d in yaml.safe_load_all(fh):
                if not isinstance(d, dict) or d.get("kind") != "CustomResourceDefinition":
                    continue
                spec = d["spec"]
                for v in spec["versions"]:
                    if v.get("served"):
                        out[("%s/%s" % (spec["group"], v["name"]), spec["names"]["kind"])] = v["schema"]["openAPIV3Schema"]
    return out


def with_defaults(value, schema):
    """The value with the schema's defaults filled in, as the API server does before validating."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and "properties" in schema:
        value = dict(value)
        for k, s in schema["properties"].items():
            if k not in value and isinstance(s, dict) and "default" in s:
                value[k] = copy.deepcopy(s["default"])
            if k in value:
                value[k] = with_defaults(value[k], s)
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        value = {k: with_defaults(v, schema["additionalProperties"]) for k, v in value.items()}
    elif isinstance(value, list) and "items" in schema:
        value = [with_defaults(v, schema["items"]) for v in value]
    return value


def escaped(value, schema):
    """The value as CEL sees it: property names that are CEL reserved words escaped."""
    if isinstance(value, dict) and isinstance(schema, dict) and "properties" in schema:
        return {("__%s__" % k if k in RESERVED else k): escaped(v, schema["properties"].get(k, {})) for k, v in value.items()}
    if isinstance(value, dict) and isinstance(schema, dict) and isinstance(schema.get("additionalProperties"), dict):
        return {k: escaped(v, schema["additionalProperties"]) for k, v in value.items()}
    if isinstance(value, list) and isinstance(schema, dict) and "items" in schema:
        return [escaped(v, schema["items"]) for v in value]
    return value


ENV = celpy.Environment()
PROGRAMS = {}


def program(rule):
    if rule not in PROGRAMS:
        PROGRAMS[rule] = ENV.program(ENV.compile(rule))
    return PROGRAMS[rule]


class Checker:
    def __init__(self):
        self.rules = 0

    def walk(self, value, schema, path, problems):
        if not isinstance(schema, dict):
            return
        for r in schema.get("x-kubernetes-validations") or []:
            if "oldSelf" in r["rule"]:
                continue
            self.rules += 1
            try:
                ok = program(r["rule"]).evaluate({"self": celpy.json_to_cel(escaped(value, schema))})
            except Exception as e:  # an evaluation error is a rejection, as on the API server
                ok = "error: %s" % e
            if ok is not True and ok != celtypes.BoolType(True):
                problems.append("%s: CEL rule failed: %s (%s)" % (path or "(root)", r.get("message", r["rule"]), ok))
        if isinstance(value, dict):
            for k, v in value.items():
                if "properties" in schema and k in schema["properties"]:
                    self.walk(v, schema["properties"][k], "%s.%s" % (path, k), problems)
                elif isinstance(schema.get("additionalProperties"), dict):
                    self.walk(v, schema["additionalProperties"], "%s.%s" % (path, k), problems)
        elif isinstance(value, list) and isinstance(schema.get("items"), dict):
            kind = schema.get("x-kubernetes-list-type")
            keys = schema.get("x-kubernetes-list-map-keys") or []
            seen = set()
            for i, v in enumerate(value):
                if kind == "map" and isinstance(v, dict):
                    key = tuple(repr(v.get(k)) for k in keys)
                    if key in seen:
                        problems.append("%s[%d]: duplicate key %s in a list of type map" % (path, i, dict(zip(keys, key))))
                    seen.add(key)
                elif kind == "set":
                    key = repr(v)
                    if key in seen:
                        problems.append("%s[%d]: duplicate item in a list of type set" % (path, i))
                    seen.add(key)
                self.walk(v, schema["items"], "%s[%d]" % (path, i), problems)


def ns_of(o):
    return (o.get("metadata") or {}).get("namespace")


def name_of(o):
    return (o.get("metadata") or {}).get("name")


def host_matches(listener_host, route_hosts):
    if not listener_host or not route_hosts:
        return True
    for h in route_hosts:
        if h == listener_host:
            return True
        if listener_host.startswith("*.") and h.endswith(listener_host[1:]):
            return True
        if h.startswith("*.") and listener_host.endswith(h[1:]):
            return True
    return False


def cross_checks(objs, problems_of):
    gateways = {(ns_of(o), name_of(o)): o for o in objs if o.get("kind") == "Gateway" and str(o.get("apiVersion", "")).startswith(GROUP)}
    services = {(ns_of(o), name_of(o)): o for o in objs if o.get("kind") == "Service" and o.get("apiVersion") == "v1"}
    # Listener distinctness.
    for (ns, name), g in gateways.items():
        listeners = (g.get("spec") or {}).get("listeners") or []
        by_port = {}
        for l in listeners:
            by_port.setdefault(l.get("port"), set()).add(l.get("protocol"))
        for port, protos in sorted(by_port.items(), key=lambda x: str(x[0])):
            if "TCP" in protos and protos & {"HTTP", "HTTPS", "TLS"}:
                problems_of(g).append("spec.listeners: port %s has a TCP listener and an %s one: they are not distinct" % (port, "/".join(sorted(protos & {"HTTP", "HTTPS", "TLS"}))))
    attached = {}  # (gateway key, listener name) → [(route, match keys)]
    for r in objs:
        kind = r.get("kind")
        if kind not in ROUTES or not str(r.get("apiVersion", "")).startswith(GROUP):
            continue
        spec = r.get("spec") or {}
        rns = ns_of(r)
        hosts = spec.get("hostnames") or []
        for i, p in enumerate(spec.get("parentRefs") or []):
            if p.get("kind", "Gateway") != "Gateway" or p.get("group", GROUP) != GROUP:
                continue
            gkey = (p.get("namespace", rns), p.get("name"))
            g = gateways.get(gkey)
            if g is None:
                continue  # a Gateway outside the output: nothing to compare with
            listeners = (g.get("spec") or {}).get("listeners") or []
            cands = [l for l in listeners
                     if ("sectionName" not in p or l.get("name") == p["sectionName"])
                     and ("port" not in p or l.get("port") == p["port"])]
            where = "spec.parentRefs[%d]" % i
            if not cands:
                problems_of(r).append("%s: Gateway %s has no listener %s" % (where, gkey[1], p.get("sectionName") or "on port %s" % p.get("port")))
                continue
            ok = [l for l in cands if l.get("protocol") in ACCEPTS[kind] and host_matches(l.get("hostname"), hosts)]
            if not ok:
                problems_of(r).append("%s: no listener of Gateway %s takes a %s with these host names" % (where, gkey[1], kind))
            for l in ok:
                frm = (((l.get("allowedRoutes") or {}).get("namespaces") or {}).get("from")) or "Same"
                if frm == "Same" and (rns or None) != (gkey[0] or None):
                    problems_of(r).append("%s: listener %s of Gateway %s admits routes of its own namespace only" % (where, l.get("name"), gkey[1]))
                matches = []
                for rule in spec.get("rules") or []:
                    ms = rule.get("matches") or [None]
                    matches += [yaml.safe_dump(m, sort_keys=True) for m in ms]
                attached.setdefault((gkey, l.get("name")), []).append((r, kind, hosts, matches))
        for i, rule in enumerate(spec.get("rules") or []):
            for j, b in enumerate(rule.get("backendRefs") or []):
                if b.get("kind", "Service") != "Service" or b.get("group", "") != "":
                    continue
                s = services.get((b.get("namespace", rns), b.get("name")))
                where = "spec.rules[%d].backendRefs[%d]" % (i, j)
                if s is None:
                    problems_of(r).append("%s: no Service %s in the output" % (where, b.get("name")))
                    continue
                want = "UDP" if kind == "UDPRoute" else "TCP"
                ports = [(sp.get("port"), sp.get("protocol", "TCP")) for sp in (s.get("spec") or {}).get("ports") or []]
                if (b.get("port"), want) not in ports:
                    problems_of(r).append("%s: Service %s has no %s port %s (its ports: %s)" % (where, b.get("name"), want, b.get("port"), ports))
    # Routes that match the same requests on one listener.
    for (gkey, lname), items in sorted(attached.items(), key=lambda x: str(x[0])):
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                ra, ka, ha, ma = items[a]
                rb, kb, hb, mb = items[b]
                if ka in ("TCPRoute", "UDPRoute") and ka == kb:
                    problems_of(rb).append("listener %s of Gateway %s also has %s/%s: two %ss on one listener" % (lname, gkey[1], ka, name_of(ra), kb))
                    continue
                if ka in ("HTTPRoute", "GRPCRoute") and kb in ("HTTPRoute", "GRPCRoute"):
                    same_hosts = (not ha and not hb) or bool(set(ha) & set(hb))
                    if same_hosts and (ka != kb or set(ma) & set(mb)):
                        problems_of(rb).append("listener %s of Gateway %s: %s/%s matches the same requests" % (lname, gkey[1], ka, name_of(ra)))


def main(argv):
    if len(argv) < 2 or argv[0] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    crds = load_crds(argv[0])
    checker = Checker()
    total = valid = 0
    lines = []
    for src in argv[1:]:
        objs = docs_of(src)
        found = {}

        def problems_of(o):
            return found.setdefault(id(o), (o, []))[1]

        for o in objs:
            schema = crds.get((o.get("apiVersion"), o.get("kind")))
            if schema is None:
                continue
            total += 1
            problems_of(o)
            checker.walk(with_defaults(o, schema), schema, "", problems_of(o))
        cross_checks(objs, problems_of)
        for o, ps in found.values():
            if str(o.get("apiVersion", "")).split("/")[0] not in [a.split("/")[0] for a, _ in crds]:
                continue
            if ps:
                for p in ps:
                    lines.append("%s: %s %s/%s: %s" % (src, o.get("kind"), ns_of(o) or "", name_of(o), p))
            else:
                valid += 1
    for l in lines:
        print(l)
    print("gateway-check: %d custom resources, %d valid, %d invalid (%d CEL rules evaluated)" % (total, valid, total - valid, checker.rules))
    return 1 if lines else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
