#!/usr/bin/env python3
"""expose-check.py: every compose project converts under each exposure choice to valid output.

Usage: expose-check.py [--choices none,ingress,gateway] COMPOSE_FILE...

For each compose file (converted in its own directory, with the flags of a fixture's `args` file
other than the exposure flags) and each choice:
  1. `ferry convert --expose CHOICE` into a temporary directory; under `gateway`, the fixture's
     own --gateway / --gateway-class / --domain, else `--gateway-class ferry-check` (ferry writes
     the Gateway, so that every route's listener is checked too);
  2. every kustomization of the output is built with `kubectl kustomize`;
  3. the conversion report (JSON) says what became of every published port: each result of a
     `ports` key ends with `outside: …`, `inside the cluster only: …` or `no route: …`;
then, over all outputs at once:
  4. the Kubernetes objects pass `validate-k8s --semantic` (other custom resources and SOPS-encrypted
     Secrets are left to the secret modes' own check, scripts/secret-modes.sh);
  5. the Gateway API objects pass `validate-crs` (the CRDs' schemas) and `gateway-check.py` (their
     CEL rules, listeners, backends and conflicts across the objects of each output).
Prints one line per problem and `expose-check: N projects, C conversions, P passed, F failed`;
exits 1 on any problem.

Environment: FERRY (default target/release/ferry), KUBECTL (default kubectl), VALIDATE_K8S,
VALIDATE_CRS (default ../shared/tools/...), GATEWAY_CRDS (default
../shared/crds/gateway-api-v1.6.1), JOBS (default 2).
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
FERRY = os.path.abspath(os.environ.get("FERRY", os.path.join(ROOT, "target", "release", "ferry")))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
VALIDATE_K8S = os.environ.get("VALIDATE_K8S", os.path.join(SHARED, "tools", "validate-k8s"))
VALIDATE_CRS = os.environ.get("VALIDATE_CRS", os.path.join(SHARED, "tools", "validate-crs"))
CRDS = os.environ.get("GATEWAY_CRDS", os.path.join(SHARED, "crds", "gateway-api-v1.6.1"))
GATEWAY_CHECK = os.path.join(ROOT, "scripts", "gateway-check.py")
EXPOSE_FLAGS = ("--expose", "--gateway", "--gateway-class", "--domain")
CORE_GROUPS = ("apps", "batch", "networking.k8s.io", "autoscaling", "policy", "rbac.authorization.k8s.io")
MARKS = ("outside: ", "inside the cluster only: ", "no route: ")


def fixture_flags(d):
    """The args file's flags, without the exposure flags, and those apart."""
    path = os.path.join(d, "args")
    words = open(path).read().split() if os.path.exists(path) else []
    rest, expose = [], []
    i = 0
    while i < len(words):
        if words[i] in EXPOSE_FLAGS:
            if words[i] != "--expose":
                expose += words[i:i + 2]
            i += 2
            continue
        if words[i] == "--templates":
            rest += [words[i], os.path.join(d, words[i + 1])]
            i += 2
            continue
        rest.append(words[i])
        i += 1
    return rest, expose


def convert(compose, choice, out):
    """Convert, build each kustomization; (report JSON, [(kustomization dir, docs)], problems)."""
    d = os.path.dirname(os.path.abspath(compose))
    rest, expose = fixture_flags(d)
    flags = rest + ["--expose", choice]
    if choice == "gateway":
        flags += expose or ["--gateway-class", "ferry-check"]
    r = subprocess.run([FERRY, "convert", "-f", os.path.basename(compose), "-o", out,
                        "--report-format", "json"] + flags, cwd=d, capture_output=True, text=True)
    if r.returncode != 0:
        return None, [], ["ferry convert %s: exit %d: %s" % (" ".join(flags), r.returncode, r.stderr.strip()[-1500:])]
    report = json.loads(r.stdout) if r.stdout.strip() else {}
    built, problems = [], []
    for root, _, files in sorted(os.walk(out)):
        if "kustomization.yaml" not in files:
            continue
        k = subprocess.run([KUBECTL, "kustomize", root], capture_output=True, text=True)
        if k.returncode != 0:
            problems.append("kubectl kustomize %s: %s" % (os.path.relpath(root, out), k.stderr.strip()[:500]))
            continue
        built.append((os.path.relpath(root, out), [x for x in yaml.safe_load_all(k.stdout) if isinstance(x, dict)]))
    return report, built, problems


def port_notes(report):
    """Problems: results of `ports` keys that do not say what became of the port outside."""
    out = []
    for s in report.get("services") or []:
        for k in s.get("keys") or []:
            if k.get("key") != "ports":
                continue
            for line in k.get("results") or []:
                if "Service/" in line and not any(m in line for m in MARKS):
                    out.append("services.%s.ports: the report does not say what became of it outside: %s" % (s.get("name"), line))
    return out


def native_object(o):
    """An object validate-k8s checks: not a Gateway API object (checked against its CRDs here),
    not another custom resource nor a SOPS-encrypted Secret (the secret modes' own check,
    scripts/secret-modes.sh, decrypts and validates those)."""
    api = str(o.get("apiVersion", ""))
    group = api.split("/")[0] if "/" in api else ""
    return "sops" not in o and (group == "" or group in CORE_GROUPS)


def one(job):
    compose, choice, tmp, index = job
    out = os.path.join(tmp, "out", "%04d-%s" % (index, choice))
    report, built, problems = convert(compose, choice, out)
    if report is not None:
        problems += port_notes(report)
    files = []
    for rel, objs in built:
        tag = "%04d-%s-%s" % (index, choice, rel.replace("/", "_").replace(".", "base"))
        native = os.path.join(tmp, "native", tag)
        os.makedirs(native)
        for i, o in enumerate(x for x in objs if native_object(x)):
            with open(os.path.join(native, "%03d.yaml" % i), "w") as fh:
                yaml.safe_dump(o, fh)
        stream = os.path.join(tmp, "all", tag + ".yaml")
        with open(stream, "w") as fh:
            yaml.safe_dump_all(objs, fh)
        files.append((stream, native))
    return compose, choice, problems, files


def main(argv):
    choices = ["none", "ingress", "gateway"]
    files = []
    it = iter(argv)
    for a in it:
        if a == "--choices":
            choices = next(it, "").split(",")
        else:
            files.append(a)
    if not files:
        sys.stderr.write(__doc__)
        return 2
    for tool in (VALIDATE_K8S, VALIDATE_CRS):
        if not os.path.exists(tool):
            sys.stderr.write("expose-check: %s not found\n" % tool)
            return 2
    problems = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.makedirs(os.path.join(tmp, "all"))
        os.makedirs(os.path.join(tmp, "native"))
        jobs = [(f, c, tmp, i) for i, f in enumerate(files) for c in choices]
        streams = {}
        with concurrent.futures.ThreadPoolExecutor(int(os.environ.get("JOBS", "2"))) as pool:
            for compose, choice, found, outs in pool.map(one, jobs):
                problems.setdefault((compose, choice), []).extend(found)
                for stream, native in outs:
                    streams[stream] = (compose, choice, native)
        # The Kubernetes objects, all at once.
        r = subprocess.run([VALIDATE_K8S, "--semantic", os.path.join(tmp, "native")], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            for stream, (compose, choice, native) in streams.items():
                if native + "/" in line or line.startswith(native):
                    problems[(compose, choice)].append("validate-k8s: " + line.replace(native + "/", ""))
        if r.returncode not in (0, 1):
            print("validate-k8s failed: %s" % (r.stdout + r.stderr).strip()[-1500:])
            return 1
        k8s_summary = (r.stdout.strip().splitlines() or [""])[-1]
        # The Gateway API objects: the CRDs' schemas, then their CEL rules and cross-checks.
        all_dir = os.path.join(tmp, "all")
        crs = [os.path.join(all_dir, f) for f in sorted(os.listdir(all_dir))]
        summaries = [k8s_summary]
        for cmd in ([VALIDATE_CRS, CRDS], [sys.executable, GATEWAY_CHECK, CRDS]):
            r = subprocess.run(cmd + crs, capture_output=True, text=True)
            if r.returncode not in (0, 1):
                print("%s failed: %s" % (" ".join(cmd[:2]), (r.stdout + r.stderr).strip()[-1500:]))
                return 1
            lines = r.stdout.strip().splitlines()
            for line in lines[:-1] if lines else []:
                for stream, (compose, choice, _) in streams.items():
                    if stream in line:
                        problems[(compose, choice)].append(line.replace(stream, os.path.basename(stream)))
            summaries += [l for l in lines if l.startswith(("validate-crs:", "gateway-check:"))]
    failed = 0
    for (compose, choice), found in sorted(problems.items()):
        if found:
            failed += 1
        for p in found:
            print("%s [--expose %s]: %s" % (compose, choice, p))
    for s in summaries:
        print(s)
    total = len(problems)
    print("expose-check: %d projects, %d conversions, %d passed, %d failed" % (len(files), total, total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
