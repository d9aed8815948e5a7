#!/usr/bin/env python3
"""validate-output.py: validate-k8s for output that may hold Gateway API objects.

Usage: validate-output.py [--semantic] [-k VERSION] DIR

Without Gateway API objects in DIR this is `validate-k8s` itself. With them (validate-k8s knows
no custom resources), the kustomize build of DIR (or its YAML files) is split: the Kubernetes
objects go through `validate-k8s`, the Gateway API objects through `validate-crs` (the CRDs'
schemas) and `scripts/gateway-check.py` (their CEL rules, listeners and backends, with the
Services of the same output). Prints each tool's problems and one line in validate-k8s's form,
`validated N documents, M problems`, so that `corpus-run` can use it (VALIDATE_K8S=this).

Environment: VALIDATE_K8S, VALIDATE_CRS (default ../shared/tools/...), GATEWAY_CRDS (default
../shared/crds/gateway-api-v1.6.1), KUBECTL.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
VALIDATE_K8S = os.environ.get("VALIDATE_K8S_TOOL", os.path.join(SHARED, "tools", "validate-k8s"))
VALIDATE_CRS = os.environ.get("VALIDATE_CRS", os.path.join(SHARED, "tools", "validate-crs"))
CRDS = os.environ.get("GATEWAY_CRDS", os.path.join(SHARED, "crds", "gateway-api-v1.6.1"))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
GATEWAY_API = "gateway.networking.k8s.io/"


def objects(d):
    if os.path.exists(os.path.join(d, "kustomization.yaml")):
        r = subprocess.run([KUBECTL, "kustomize", d], capture_output=True, text=True)
        if r.returncode != 0:
            return None
        return [x for x in yaml.safe_load_all(r.stdout) if isinstance(x, dict)]
    out = []
    for root, _, files in sorted(os.walk(d)):
        for f in sorted(files):
            if f.endswith((".yaml", ".yml")):
                try:
                    with open(os.path.join(root, f)) as fh:
                        out += [x for x in yaml.safe_load_all(fh) if isinstance(x, dict)]
                except yaml.YAMLError:
                    return None
    return out


def counted(text, pattern):
    m = re.search(pattern, text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def main(argv):
    flags = [a for a in argv if a.startswith("-")]
    if "-k" in argv:
        flags.append(argv[argv.index("-k") + 1])
    dirs = [a for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] != "-k")]
    if len(dirs) != 1:
        sys.stderr.write(__doc__)
        return 2
    d = dirs[0]
    objs = objects(d)
    if objs is None or not any(str(o.get("apiVersion", "")).startswith(GATEWAY_API) for o in objs):
        return subprocess.run([VALIDATE_K8S] + flags + [d]).returncode
    docs = problems = 0
    with tempfile.TemporaryDirectory() as tmp:
        native = os.path.join(tmp, "native")
        os.mkdir(native)
        for i, o in enumerate(o for o in objs if not str(o.get("apiVersion", "")).startswith(GATEWAY_API)):
            with open(os.path.join(native, "%03d.yaml" % i), "w") as fh:
                yaml.safe_dump(o, fh)
        stream = os.path.join(tmp, "all.yaml")
        with open(stream, "w") as fh:
            yaml.safe_dump_all(objs, fh)
        runs = [
            ([VALIDATE_K8S] + flags + [native], r"validated (\d+) documents, (\d+) problems"),
            ([VALIDATE_CRS, CRDS, stream], r"validate-crs: (\d+) custom resources, \d+ valid, (\d+) invalid"),
            ([sys.executable, os.path.join(ROOT, "scripts", "gateway-check.py"), CRDS, stream],
             r"gateway-check: (\d+) custom resources, \d+ valid, (\d+) invalid"),
        ]
        for i, (cmd, pattern) in enumerate(runs):
            r = subprocess.run(cmd, capture_output=True, text=True)
            lines = r.stdout.strip().splitlines()
            n = counted(r.stdout, pattern)
            if n is None:
                print("%s: %s" % (os.path.basename(cmd[0 if i < 2 else 1]), (r.stdout + r.stderr).strip()[-1500:]))
                problems += 1
                continue
            for line in lines[:-1]:
                print(line.replace(native + "/", "").replace(stream, d))
            # The custom resources are counted once, as documents.
            docs += n[0] if i < 2 else 0
            problems += n[1]
    print("validated %d documents, %d problems" % (docs, problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
