#!/usr/bin/env python3
"""helm-check.py: does `ferry convert --helm` make a chart that renders to the same objects?

Usage: helm-check.py [--values-tests] [--pairs DIR] [--ferry-args "FLAGS"] COMPOSE_FILE...

For each compose file (converted in its own directory, as a user would):
  1. `ferry convert -o K` and `ferry convert --helm -o C` into temporary directories;
  2. Helm's engine (the helm-python-sdk package: Helm v4 as a library) lints C strictly and renders
     it with default values, as two releases (`r1` in namespace `ns-one`, `other` in `ns-two`);
  3. every rendered object is in the release's namespace; the objects of both releases are the
     same (names are never prefixed with the release, so `DB_HOST: db` resolves in both);
  4. after removing what only Helm adds (`helm.sh/chart`, `app.kubernetes.io/instance`,
     `app.kubernetes.io/managed-by: Helm`, `metadata.namespace`) and what only kustomize adds (the
     content hash it appends to the names of generated Secrets, a Namespace object), the objects
     equal `kubectl kustomize K`, field for field;
  5. the rendered objects pass validate-k8s (strict Kubernetes schema), when it is found; the
     Gateway API objects (routes, a Gateway) pass validate-crs against ../shared/crds instead.
The fixture's `args` file gives the flags of both conversions (--overlay, --expose, --gateway,
--gateway-class, --domain, --namespace, ...; not --templates, which has no chart equivalent);
--ferry-args "FLAGS" adds flags for every file (e.g. --ferry-args "--expose gateway
--gateway-class eg" to check the routes' templates over a corpus).
With --values-tests, also renders with non-default values and checks their effect, and checks that
values.schema.json rejects a wrong type and a misspelt key (on the first file).
Environments (x-ferry: {environments}, the args file's --overlay flags, or with --pairs DIR each
base + override pair of DIR/PAIRS.tsv as the environment `env`): the chart rendered with
values-NAME.yaml gives the objects of `kubectl kustomize K/overlays/NAME`, except the objects the
conversion report says values cannot express (counted in the summary).

Environment: FERRY (default target/release/ferry), KUBECTL (default kubectl), VALIDATE_K8S
(default ../shared/tools/validate-k8s when present), VALIDATE_CRS and GATEWAY_CRDS (default
../shared/tools/validate-crs and ../shared/crds/gateway-api-v1.6.1 when present: the Gateway API
objects). FERRY_ARGS: more `convert` flags for both
conversions (`--env-secrets sops --age-recipient …`, `--env-secrets external-secrets
--secret-store …`); with SOPS files, both sides are decrypted with `sops -d` first (the identity in
SOPS_AGE_KEY_FILE), as Flux decrypts the kustomization and helm-secrets the chart's secrets.yaml.
Custom resources (ExternalSecret) are left to VALIDATE_CRS with CRDS (validate-crs and its CRD
directory), when both are set. Prints one line per problem and a summary
`helm-check: N charts, P passed, F failed`; exits 1 on any problem.
"""

import base64
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml  # PyYAML, a dependency of kubernetes-validate

from json_compare import first_difference, replace_strings

try:
    import helm_python as helm
except ImportError:
    sys.stderr.write("helm-check: the helm-python-sdk package is needed: pip install helm-python-sdk\n")
    sys.exit(2)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY_ARGS = os.environ.get("FERRY_ARGS", "").split()
CORE_GROUPS = ("v1", "apps/v1", "batch/v1", "networking.k8s.io/v1", "autoscaling/v2", "policy/v1")


def sops_files(d):
    """The SOPS-encrypted YAML files under d."""
    out = []
    for root, _, files in os.walk(d):
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(".yaml") and "\nsops:\n" in open(p).read():
                out.append(p)
    return out


def sops_decrypt(path):
    r = subprocess.run(["sops", "-d", path], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("sops -d %s: %s" % (path, r.stderr.strip()))
    return r.stdout
FERRY = os.path.abspath(os.environ.get("FERRY", os.path.join(ROOT, "target", "release", "ferry")))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
VALIDATE = os.environ.get("VALIDATE_K8S", os.path.join(ROOT, "..", "shared", "tools", "validate-k8s"))
VALIDATE_CRS = os.environ.get("VALIDATE_CRS", os.path.join(ROOT, "..", "shared", "tools", "validate-crs"))
CRDS = os.environ.get("GATEWAY_CRDS", os.path.join(ROOT, "..", "shared", "crds", "gateway-api-v1.6.1"))
HELM_LABELS = ("helm.sh/chart", "app.kubernetes.io/instance")
# Flags of a fixture's args file that both conversions take, with whether each has a value.
FLAGS = {"--overlay": True, "--overlay-env-file": True, "--expose": True, "--gateway": True, "--gateway-class": True,
         "--domain": True, "--namespace": True, "--volume-size": True, "--bind-mounts": True,
         "--network-policies": False}


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[:2000]))
    return r.stdout


def docs(text):
    return [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]


def key(o):
    return (o.get("kind"), o.get("metadata", {}).get("name"))


def strip_helm(o):
    o = copy.deepcopy(o)
    md = o.get("metadata", {})
    md.pop("namespace", None)
    labels = md.get("labels") or {}
    for k in HELM_LABELS:
        labels.pop(k, None)
    if labels.get("app.kubernetes.io/managed-by") == "Helm":
        labels["app.kubernetes.io/managed-by"] = "ferry"
    return o


def decoded_secrets(o):
    """A Secret's data decoded: kustomize may wrap long base64 lines, Helm's b64enc does not."""
    if o.get("kind") == "Secret" and isinstance(o.get("data"), dict):
        o = copy.deepcopy(o)
        o["data"] = {k: base64.b64decode("".join(str(v).split())) for k, v in o["data"].items()}
    return o


def kustomize_objects(kdir):
    objs = docs(run([KUBECTL, "kustomize", kdir], kdir))
    gens = []
    # An overlay's Secrets are generated by it or by its base.
    for d in (kdir, os.path.join(kdir, "..", "..", "base")):
        kfile = os.path.join(d, "kustomization.yaml")
        if os.path.exists(kfile):
            for g in (yaml.safe_load(open(kfile)) or {}).get("secretGenerator") or []:
                gens.append(g["name"])
    # kustomize appends a content hash to generated Secrets' names (and rewrites the references).
    hashed = {}
    for o in objs:
        n = o.get("metadata", {}).get("name", "")
        for g in gens:
            if o.get("kind") == "Secret" and n.startswith(g + "-") and len(n) == len(g) + 11:
                hashed[n] = g
    objs = [replace_strings(o, hashed) for o in objs if o.get("kind") != "Namespace"]
    for o in objs:
        o.get("metadata", {}).pop("namespace", None)
    return objs


def render(chart, release, namespace, values=None):
    c = helm.Chart.load(chart)
    out = c.render(values=values, name=release, namespace=namespace)
    objs = []
    for path, text in sorted(out.items()):
        if path.endswith("NOTES.txt"):
            continue
        objs.extend(docs(text))
    return objs


def by_key(objs):
    return {key(o): decoded_secrets(o) for o in objs}


def diff(a, b, path=""):
    """First difference between two JSON-like values, as a path and both sides."""
    return first_difference(a, b, path, only_a="kustomize", only_b="helm", item="[%d]",
                            lengths="%(path)s: %(a)d items != %(b)d")


def fixture_flags(words):
    """The flags of an args file that both conversions take (FLAGS), in order."""
    out = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in FLAGS:
            out.append(w)
            if FLAGS[w] and i + 1 < len(words):
                out.append(words[i + 1])
                i += 1
        elif w == "--templates":
            i += 1
        i += 1
    return out


UNEXPRESSED = []


def check_project(compose, problems, values_tests, extra_flags=()):
    d = os.path.dirname(os.path.abspath(compose))
    f = os.path.basename(compose)
    with tempfile.TemporaryDirectory() as tmp:
        k = os.path.join(tmp, "k8s")
        c = os.path.join(tmp, "chart")
        # The fixture's flags (fixtures/<case>/args): environments besides those the project
        # declares (--overlay, --overlay-env-file), and the flags that change both conversions
        # alike (--expose, --gateway, --namespace, ...).
        args_file = os.path.join(d, "args")
        words = open(args_file).read().split() if os.path.exists(args_file) else []
        flags = fixture_flags(words) + list(extra_flags)
        run([FERRY, "convert", "-q", "-f", f, "-o", k] + flags + FERRY_ARGS, d)
        report = json.loads(run([FERRY, "convert", "--helm", "--report-format", "json", "-f", f, "-o", c] + flags + FERRY_ARGS, d))
        # What the cluster sees: Flux decrypts the kustomization's SOPS files; helm-secrets passes
        # the chart's decrypted secrets.yaml as values.
        for p in sops_files(k):
            text = sops_decrypt(p)
            with open(p, "w") as fh:
                fh.write(text)
        secret_values = None
        if os.path.exists(os.path.join(c, "secrets.yaml")):
            secret_values = yaml.safe_load(sops_decrypt(os.path.join(c, "secrets.yaml")))
        found = []
        lint = helm.lint(c, strict=True)
        for m in lint.get("messages") or []:
            if m.get("severity", 0) >= 2:
                found.append("lint: %s: %s" % (m.get("path"), m.get("error")))
        for e in lint.get("errors") or []:
            found.append("lint: %s" % e)
        overlays = sorted(os.listdir(os.path.join(k, "overlays"))) if os.path.isdir(os.path.join(k, "overlays")) else []
        base = os.path.join(k, "base") if overlays else k
        want = by_key(kustomize_objects(base))
        # Each environment: the chart with values-<name>.yaml gives the kustomize overlay's
        # objects, but for those the report says values cannot express.
        for o in overlays:
            vals = yaml.safe_load(open(os.path.join(c, "values-%s.yaml" % o))) or {}
            unexpressed = set()
            for d_ in report.get("other", []):
                if d_.get("key") == "environments." + o:
                    UNEXPRESSED.append("%s: %s" % (compose, d_.get("message")))
                    m = re.search(r" ([A-Za-z]+)/([a-z0-9.-]+)", d_.get("message", ""))
                    if m:
                        unexpressed.add((m.group(1), m.group(2)))
            if any("cannot rename the project" in u for u in UNEXPRESSED if u.startswith("%s: " % compose)):
                continue  # every object's labels differ, as the report says
            ov_want = by_key(kustomize_objects(os.path.join(k, "overlays", o)))
            ov_have = by_key([strip_helm(x) for x in render(c, "r1", "ns-one", vals)])
            for kk in sorted(set(ov_want) | set(ov_have), key=str):
                if kk in unexpressed:
                    continue
                if kk not in ov_have or kk not in ov_want:
                    found.append("overlay %s: %s/%s only in %s" % ((o,) + kk + ("kustomize" if kk in ov_want else "helm",)))
                else:
                    dd = diff(ov_want[kk], ov_have[kk])
                    if dd:
                        found.append("overlay %s: %s/%s: %s" % ((o,) + kk + (dd,)))
        # A Gateway ferry writes into the namespace --gateway names stays there.
        own_ns = {(x.get("kind"), x.get("metadata", {}).get("name")): x["metadata"]["namespace"]
                  for x in docs(run([KUBECTL, "kustomize", base], base))
                  if x.get("kind") == "Gateway" and x.get("metadata", {}).get("namespace")}
        releases = {}
        for release, ns in (("r1", "ns-one"), ("other", "ns-two")):
            objs = render(c, release, ns, secret_values)
            for o in objs:
                got = o.get("metadata", {}).get("namespace")
                if own_ns.get(key(o)) == got and "--namespace" not in flags:
                    continue
                if got != ns:
                    found.append("%s/%s: namespace %r, not the release's %r" % (key(o) + (got, ns)))
            releases[release] = by_key([strip_helm(o) for o in objs])
        if releases["r1"] != releases["other"]:
            found.append("the objects depend on the release name")
        have = releases["r1"]
        for kk in sorted(set(want) | set(have), key=str):
            if kk not in have:
                found.append("%s/%s: in the kustomize output, not in the chart" % kk)
            elif kk not in want:
                found.append("%s/%s: in the chart, not in the kustomize output" % kk)
            else:
                dd = diff(want[kk], have[kk])
                if dd:
                    found.append("%s/%s: %s" % (kk + (dd,)))
        if os.path.exists(VALIDATE):
            out = os.path.join(tmp, "rendered")
            os.mkdir(out)
            crs = os.path.join(tmp, "custom")
            os.mkdir(crs)
            for i, o in enumerate(render(c, "r1", "ns-one", secret_values)):
                where = out if o.get("apiVersion") in CORE_GROUPS else crs
                with open(os.path.join(where, "%03d.yaml" % i), "w") as fh:
                    yaml.safe_dump(o, fh)
            r = subprocess.run([VALIDATE, out], capture_output=True, text=True)
            if r.returncode != 0:
                found.append("validate-k8s: %s" % (r.stdout + r.stderr).strip()[:1500])
            vcrs, crds = os.environ.get("VALIDATE_CRS"), os.environ.get("CRDS")
            if os.listdir(crs) and vcrs and crds:
                r = subprocess.run([vcrs, crds, crs], capture_output=True, text=True)
                if r.returncode != 0:
                    found.append("validate-crs: %s" % (r.stdout + r.stderr).strip()[:1500])
            # Gateway API objects (routes, a Gateway) against the Gateway API's CRDs.
            gw = [x for x in os.listdir(crs) if "gateway.networking.k8s.io" in open(os.path.join(crs, x)).read()]
            if gw and os.path.exists(VALIDATE_CRS) and os.path.isdir(CRDS):
                r = subprocess.run([VALIDATE_CRS, CRDS, crs], capture_output=True, text=True)
                if r.returncode != 0:
                    found.append("validate-crs (Gateway API): %s" % (r.stdout + r.stderr).strip()[:1500])
        if values_tests:
            found.extend(check_values(c))
        for p in found:
            problems.append("%s: %s" % (compose, p))
        return not found


def label_name(service):
    return "".join(c if c.isalnum() else "-" for c in service.lower()).strip("-")


def check_values(chart):
    """Non-default values change exactly what they say; the schema refuses bad values."""
    found = []
    values = helm.Chart.load(chart).values
    svcs = [s for s, v in values.items() if s != "global" and isinstance(v, dict) and "image" in v]
    if not svcs:
        return ["--values-tests: no service with an image"]
    base = by_key(render(chart, "r1", "ns-one"))
    pick = lambda k: next((x for x in svcs if k in values[x]), None)
    s_img, s_rep, s_ing, s_per = svcs[0], pick("replicas"), pick("ingress"), pick("persistence")
    s_gw = next((x for x in svcs if any("hostnames" in r for r in values[x].get("gateway", {}).get("routes", {}).values())), None)
    used = {s_img, s_rep, s_ing, s_per, s_gw}
    s_off = next((x for x in svcs if x not in used), None)
    over = {}
    over.setdefault(s_img, {})["image"] = {"tag": "9.9.9"}
    if s_rep:
        over.setdefault(s_rep, {})["replicas"] = 3
    if s_ing:
        port = values[s_ing]["ingress"]["hosts"][0]["paths"][0]["port"]
        over.setdefault(s_ing, {})["ingress"] = {"enabled": True, "hosts": [{"host": "x.example.com", "paths": [{"path": "/", "pathType": "Prefix", "port": port}]}]}
    claim = next(iter(values[s_per]["persistence"]), None) if s_per else None
    if claim:
        over.setdefault(s_per, {})["persistence"] = {claim: {"size": "7Gi"}}
    route = None
    if s_gw:
        route = next(n for n, r in values[s_gw]["gateway"]["routes"].items() if "hostnames" in r)
        over.setdefault(s_gw, {})["gateway"] = {"routes": {route: {"hostnames": ["y.example.com"]}}}
    if s_off:
        over[s_off] = {"enabled": False}
    got = by_key(render(chart, "r1", "ns-one", over))
    if route and not any(kk[0] in ("HTTPRoute", "GRPCRoute") and kk[1] == route and o["spec"].get("hostnames") == ["y.example.com"] for kk, o in got.items()):
        found.append("values: %s.gateway.routes.%s.hostnames did not change the route's host names" % (s_gw, route))

    def workload(svc):
        return next((o for kk, o in got.items() if kk[0] in ("Deployment", "StatefulSet", "DaemonSet") and o["metadata"].get("labels", {}).get("app.kubernetes.io/name") == label_name(svc)), None)

    w = workload(s_img)
    images = [x["image"] for x in w["spec"]["template"]["spec"]["containers"]] if w else []
    if not any(i.endswith(":9.9.9") for i in images):
        found.append("values: %s.image.tag did not change the image: %s" % (s_img, images))
    if s_rep and (workload(s_rep) or {}).get("spec", {}).get("replicas") != 3:
        found.append("values: %s.replicas did not change the replicas" % s_rep)
    if s_ing and not any(kk[0] == "Ingress" and "x.example.com" in json.dumps(o) for kk, o in got.items()):
        found.append("values: %s.ingress made no Ingress for x.example.com" % s_ing)
    if claim and got.get(("PersistentVolumeClaim", claim), {}).get("spec", {}).get("resources", {}).get("requests", {}).get("storage") != "7Gi":
        found.append("values: %s.persistence.size did not change the claim %s" % (s_per, claim))
    if s_off:
        left = [kk for kk, o in got.items() if o.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/name") == label_name(s_off)]
        if left:
            found.append("values: %s.enabled=false left %s" % (s_off, left))
    # Objects of no changed setting stay as they were.
    touched = {label_name(x) for x in over}
    for kk, o in base.items():
        owner = o.get("metadata", {}).get("labels", {}).get("app.kubernetes.io/name")
        if kk in got and owner not in touched and kk[0] != "PersistentVolumeClaim" and got[kk] != o:
            found.append("values: %s/%s changed though no value of it did" % kk)
    # The schema refuses a wrong type and a misspelt key, naming the key.
    c = helm.Chart.load(chart)
    target = s_rep or s_img
    bads = [({target: {"replicas": "three"}}, "replicas"), ({target: {"replica": 2}}, "replica")]
    if route:
        bads.append(({s_gw: {"gateway": {"routes": {route: {"hostnames": ["Not A Host"]}}}}}, "hostnames"))
        bads.append(({s_gw: {"gateway": {"routes": {route: {"parentRef": []}}}}}, "parentRef"))
    for bad, word in bads:
        try:
            c.validate_schema(bad)
            found.append("schema: accepted %s" % json.dumps(bad))
        except helm.HelmError as e:
            if word not in str(e):
                found.append("schema: the error does not name %s: %s" % (word, e))
    return found


def pairs(corpus):
    """(base file, flags) of every base + override pair of a PAIRS.tsv: the override as the
    environment `env`."""
    import csv
    out = []
    with open(os.path.join(corpus, "PAIRS.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            base = os.path.join(corpus, row["dir"], row["base_file"])
            override = os.path.relpath(os.path.join(corpus, row["dir"], row["override_file"]), os.path.dirname(base))
            out.append((base, ["--overlay", "env=" + override]))
    return out


def main(argv):
    values_tests = False
    files = []
    extra = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--values-tests":
            values_tests = True
        elif a == "--pairs":
            files += pairs(args.pop(0))
        elif a == "--ferry-args":
            extra = args.pop(0).split()
        else:
            files.append((a, []))
    if not files:
        sys.stderr.write(__doc__)
        return 2
    problems = []
    passed = 0
    for i, (f, flags) in enumerate(files):
        try:
            if check_project(f, problems, values_tests and i == 0, flags + extra):
                passed += 1
        except Exception as e:  # a failed conversion or render is a finding, not a crash
            problems.append("%s: %s" % (f, e))
    for p in problems:
        print(p)
    if UNEXPRESSED:
        print("\n".join("not in values: " + u for u in UNEXPRESSED))
    print("helm-check: %d charts, %d passed, %d failed; %d environment differences values cannot express (reported)" % (len(files), passed, len(files) - passed, len(UNEXPRESSED)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
