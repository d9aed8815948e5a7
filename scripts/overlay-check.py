#!/usr/bin/env python3
"""overlay-check.py: does every environment's overlay give exactly that environment's objects?

Usage: overlay-check.py [--pairs DIR] [COMPOSE_FILE...]

An environment is the base compose files plus its own (and its env file). Its overlay is exact
when `kubectl kustomize OUT/overlays/NAME` gives the same objects, field for field, as
`kubectl kustomize` of the plain conversion of those files merged (`ferry convert
--no-environments -f BASE -f ENV [--env-file E]`). Only the names kustomize's generators hash may differ, and only in the hash
suffix. Also checked: `OUT/base` builds to the plain conversion of the base files alone.

COMPOSE_FILE: a project whose top-level `x-ferry: {environments}` declares environments
  (converted with a bare `ferry convert` in its directory, as CI would). An environment without
  files of its own (only `x-ferry: {overlays}` settings) has no plain compose equivalent: it is
  compared with `ferry convert --environment NAME`, its conversion by itself.
--pairs DIR: a corpus of base + override pairs with a PAIRS.tsv (dir, base_file, override_file,
  ...), as ../shared/corpus/compose-overrides: each override is converted as the environment
  `env` of its base (`--overlay env=OVERRIDE`), in the base file's directory.

Environment: FERRY (default target/release/ferry), KUBECTL (default kubectl),
VALIDATE_K8S (when set, every overlay's directory is also validated with it), PARITY_CHECK (when
set, ../shared/tools/parity-check on the merged compose files must report no more findings
against the overlay than against the plain conversion; environments with an env file of their
own are left out, as parity-check reads the project's .env).
Prints one line per problem and a summary `overlay-check: N environments, P exact, F failed`;
exits 1 on any problem.
"""

import csv
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml  # PyYAML

from json_compare import first_difference, replace_strings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRY = os.path.abspath(os.environ.get("FERRY", os.path.join(ROOT, "target", "release", "ferry")))
KUBECTL = os.environ.get("KUBECTL", "kubectl")
VALIDATE = os.environ.get("VALIDATE_K8S") and os.path.abspath(os.environ["VALIDATE_K8S"])
PARITY = os.environ.get("PARITY_CHECK") and os.path.abspath(os.environ["PARITY_CHECK"])
PARITY_TOTAL = {"overlay": 0, "plain": 0}


class Failed(Exception):
    pass


def run(cmd, cwd):
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        raise Failed("%s: exit %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()[-3000:]))
    return r.stdout


def generator_names(out_dir):
    """The names of every secretGenerator / configMapGenerator under out_dir."""
    names = set()
    for dirpath, _, files in os.walk(out_dir):
        if "kustomization.yaml" in files:
            with open(os.path.join(dirpath, "kustomization.yaml")) as f:
                k = yaml.safe_load(f) or {}
            for field in ("secretGenerator", "configMapGenerator"):
                for g in k.get(field) or []:
                    names.add(g["name"])
    return names


def built(kustomization_dir, generators):
    """`kubectl kustomize DIR` as {(kind, namespace, name): object}, hash suffixes removed."""
    text = run([KUBECTL, "kustomize", kustomization_dir], ROOT)
    objs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    hashed = {}
    for o in objs:
        name = o.get("metadata", {}).get("name", "")
        m = re.match(r"^(.*)-[a-z0-9]{10}$", name)
        if o.get("kind") in ("Secret", "ConfigMap") and m and m.group(1) in generators:
            hashed[name] = m.group(1)
    out = {}
    for o in objs:
        o = replace_strings(o, hashed)
        md = o.get("metadata", {})
        out[(o.get("kind"), md.get("namespace", ""), md.get("name"))] = o
    return out


def compare(label, got, want):
    problems = []
    for k in sorted(set(got) | set(want), key=str):
        name = "%s/%s" % (k[0], k[2])
        if k not in want:
            problems.append("%s: %s is only in the overlay" % (label, name))
        elif k not in got:
            problems.append("%s: %s is only in the plain conversion" % (label, name))
        else:
            d = first_difference(got[k], want[k], only_a="the overlay",
                                 only_b="the plain conversion")
            if d:
                problems.append("%s: %s differs at %s" % (label, name, d))
    return problems


def parity(cwd, compose_files, out_dir):
    """parity-check's findings for the compose files against out_dir."""
    env = dict(os.environ, FERRY=FERRY)
    r = subprocess.run([PARITY, "--json"] + compose_files + [out_dir], cwd=cwd, capture_output=True, text=True, env=env)
    try:
        return json.loads(r.stdout)["findings"]
    except (ValueError, KeyError):
        raise Failed("parity-check %s %s: exit %d: %s" % (" ".join(compose_files), out_dir, r.returncode, (r.stdout + r.stderr)[-1500:]))


def compose_files(args):
    """The -f files of a plain conversion's arguments."""
    return [args[i + 1] for i, a in enumerate(args[:-1]) if a == "-f"]


def check(label, cwd, convert_args, flat_runs):
    """convert_args: the `ferry convert` arguments that write base/ and overlays/;
    flat_runs: {environment: ferry convert arguments of its plain conversion}.
    Returns {environment: [problem, ...]}."""
    problems = {env: [] for env in flat_runs}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        run([FERRY, "convert", "-q"] + convert_args + ["-o", out], cwd)
        gens = generator_names(out)
        for env, args in sorted(flat_runs.items()):
            where = "%s: %s" % (label, env)
            try:
                flat = os.path.join(tmp, "flat-" + env)
                plain = [] if "--environment" in args else ["--no-environments"]
                run([FERRY, "convert", "-q"] + plain + args + ["-o", flat], cwd)
                overlay = os.path.join(out, "overlays", env)
                if not os.path.isdir(overlay):
                    problems[env].append("%s: no overlays/%s was written" % (where, env))
                    continue
                got = built(overlay, gens)
                want = built(flat, generator_names(flat))
                problems[env] += compare(where, got, want)
                files = compose_files(args)
                if PARITY and files and "--env-file" not in args:
                    # The same app as docker compose runs from the merged files: no more
                    # parity-check findings against the overlay than against the plain conversion.
                    got_findings, want_findings = parity(cwd, files, overlay), parity(cwd, files, flat)
                    PARITY_TOTAL["overlay"] += got_findings
                    PARITY_TOTAL["plain"] += want_findings
                    if got_findings > want_findings:
                        problems[env].append("%s: parity-check: %d findings against the overlay, %d against the plain conversion" % (where, got_findings, want_findings))
                if VALIDATE:
                    r = subprocess.run([VALIDATE, overlay], capture_output=True, text=True)
                    if r.returncode != 0:
                        problems[env].append("%s: validate-k8s: %s" % (where, (r.stdout + r.stderr).strip()[-2000:]))
            except Failed as e:
                problems[env].append("%s: %s" % (where, e))
    return problems


def declared_environments(compose_file):
    """{name: (files, env files)} from the top-level x-ferry: {environments} of a compose file."""
    with open(compose_file) as f:
        doc = yaml.safe_load(f) or {}
    envs = ((doc.get("x-ferry") or {}).get("environments")) or {}
    out = {}
    for name, v in envs.items():
        files, env_files = [], []
        if isinstance(v, str):
            files = [v]
        elif isinstance(v, list):
            files = v
        elif isinstance(v, dict):
            files = v.get("files") or []
            files = [files] if isinstance(files, str) else files
            env_files = v.get("envFile") or []
            env_files = [env_files] if isinstance(env_files, str) else env_files
        out[name] = (files, env_files)
    return out


OVERRIDES = ("compose.override.yaml", "compose.override.yml",
             "docker-compose.override.yml", "docker-compose.override.yaml")


def project_cases(compose_file, empty_env):
    """A project converted bare in its directory, as CI runs it. An environment with files of its
    own is compared with the plain conversion of the base files and its own (the override file
    docker compose adds is a base file unless an environment names it); one with only x-ferry
    settings with `ferry convert --environment NAME`."""
    cwd = os.path.dirname(os.path.abspath(compose_file))
    envs = declared_environments(compose_file)
    # A fixture's flags (fixtures/<case>/args): --overlay NAME[=FILE,...], --overlay-env-file.
    flags = []
    args_file = os.path.join(cwd, "args")
    if os.path.exists(args_file):
        words = open(args_file).read().split()
        for i, w in enumerate(words[:-1]):
            if w == "--overlay":
                name, _, files = words[i + 1].partition("=")
                old = envs.get(name, ([], []))
                envs[name] = ([f for f in files.split(",") if f] or old[0], old[1])
                flags += [w, words[i + 1]]
            elif w == "--overlay-env-file":
                name, _, env_file = words[i + 1].partition("=")
                old = envs.get(name, ([], []))
                envs[name] = (old[0], [env_file])
                flags += [w, words[i + 1]]
    named = {os.path.normpath(f) for files, _ in envs.values() for f in files}
    base = [os.path.basename(compose_file)]
    base += [o for o in OVERRIDES if os.path.exists(os.path.join(cwd, o)) and o not in named][:1]
    runs = {}
    for name, (files, env_files) in envs.items():
        if not files:
            runs[name] = flags + ["--environment", name]
            continue
        args = []
        for f in base + files:
            args += ["-f", f]
        found = [e for e in env_files if os.path.exists(os.path.join(cwd, e))]
        if env_files and not found:
            found = [empty_env]  # declared but not here: the environment reads no .env
        for e in found:
            args += ["--env-file", e]
        runs[name] = args
    return [(os.path.relpath(compose_file, ROOT), cwd, flags, runs)]


def pair_cases(corpus):
    cases = []
    with open(os.path.join(corpus, "PAIRS.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            base = os.path.join(corpus, row["dir"], row["base_file"])
            cwd = os.path.dirname(base)
            override = os.path.relpath(os.path.join(corpus, row["dir"], row["override_file"]), cwd)
            name = os.path.basename(base)
            cases.append((
                row["dir"],
                cwd,
                ["-f", name, "--overlay", "env=" + override],
                {"env": ["-f", name, "-f", override]},
            ))
    return cases


def main(argv):
    cases = []
    args = list(argv)
    empty = tempfile.NamedTemporaryFile(prefix="empty-", suffix=".env")
    while args:
        a = args.pop(0)
        if a == "--pairs":
            cases += pair_cases(args.pop(0))
        elif a.startswith("-"):
            sys.stderr.write(__doc__)
            return 2
        else:
            cases += project_cases(a, empty.name)
    total = exact = 0
    for label, cwd, convert_args, runs in cases:
        total += len(runs)
        try:
            problems = check(label, cwd, convert_args, runs)
        except Failed as e:
            problems = {env: ["%s: %s" % (label, e)] for env in runs}
        for env in sorted(problems):
            for p in problems[env]:
                print(p)
            exact += not problems[env]
    if PARITY:
        print("overlay-check: parity-check findings: %d against the overlays, %d against the plain conversions" % (PARITY_TOTAL["overlay"], PARITY_TOTAL["plain"]))
    print("overlay-check: %d environments, %d exact, %d failed" % (total, exact, total - exact))
    return 0 if exact == total else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
