#!/usr/bin/env python3
"""deliver-secrets.py: do to a ferry output directory what the cluster's secret tooling does,
so that it can be checked as the cluster will see it.

Usage: deliver-secrets.py sops OUT
       deliver-secrets.py external-secrets OUT REPORT_JSON DEFAULT_OUT

  sops              every SOPS-encrypted file under OUT is replaced by `sops -d` of it (as Flux's
                    kustomize-controller or KSOPS decrypt them; the identity in SOPS_AGE_KEY_FILE).
  external-secrets  a secret store is filled as a user would fill it from the conversion report
                    (REPORT_JSON, `ferry convert --report-format json`: each remote key and
                    property, and the Secret key it fills), with the values of the same project
                    converted in the default mode (DEFAULT_OUT, its Secret objects and
                    secretGenerator files); then each ExternalSecret under OUT is replaced by the
                    Secret External Secrets Operator would make from that store (its target name,
                    one key per `data` entry, read by `remoteRef.key` and `.property`). A remote
                    reference the store does not hold is an error.

Prints nothing on success; exits 1 with a message otherwise.
"""
import base64
import json
import os
import subprocess
import sys

import yaml


def sops_files(d):
    for root, _, files in os.walk(d):
        for f in sorted(files):
            p = os.path.join(root, f)
            if f.endswith(".yaml") and "\nsops:\n" in open(p).read():
                yield p


def deliver_sops(out):
    for p in sops_files(out):
        r = subprocess.run(["sops", "-d", p], capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit("deliver-secrets: sops -d %s: %s" % (p, r.stderr.strip()))
        with open(p, "w") as fh:
            fh.write(r.stdout)


def default_values(d):
    """Secret name -> key -> value (bytes) of the default mode's output."""
    values = {}
    for f in sorted(os.listdir(d)):
        if f.endswith("-secret.yaml"):
            doc = yaml.safe_load(open(os.path.join(d, f)))
            values[doc["metadata"]["name"]] = {
                k: base64.b64decode(v) for k, v in (doc.get("data") or {}).items()
            }
    k = yaml.safe_load(open(os.path.join(d, "kustomization.yaml"))) or {}
    for g in k.get("secretGenerator") or []:
        data = {}
        for item in g.get("files") or []:
            key, path = item.split("=", 1)
            p = os.path.join(d, path)
            data[key] = open(p, "rb").read() if os.path.exists(p) else b""
        values[g["name"]] = data
    return values


def deliver_external(out, report, default_out):
    values = default_values(default_out)
    store = {}
    for r in json.load(open(report)).get("remote_keys") or []:
        v = values.get(r["secret"], {}).get(r["secret_key"])
        if v is None:
            sys.exit("deliver-secrets: the report names %s/%s, which the default mode does not make"
                     % (r["secret"], r["secret_key"]))
        store[(r["key"], r.get("property"))] = v
    for root, _, files in os.walk(out):
        for f in sorted(files):
            p = os.path.join(root, f)
            if not f.endswith(".yaml"):
                continue
            docs = list(yaml.safe_load_all(open(p)))
            if not any(isinstance(d, dict) and d.get("kind") == "ExternalSecret" for d in docs):
                continue
            made = []
            for d in docs:
                if not (isinstance(d, dict) and d.get("kind") == "ExternalSecret"):
                    made.append(d)
                    continue
                data = {}
                for item in d["spec"].get("data") or []:
                    ref = item["remoteRef"]
                    k = (ref["key"], ref.get("property"))
                    if k not in store:
                        sys.exit("deliver-secrets: %s reads %s, which the report does not list" % (p, k))
                    data[item["secretKey"]] = base64.b64encode(store[k]).decode()
                md = {"name": d["spec"]["target"]["name"]}
                if d["metadata"].get("namespace"):
                    md["namespace"] = d["metadata"]["namespace"]
                made.append({"apiVersion": "v1", "kind": "Secret", "metadata": md,
                             "type": "Opaque", "data": data})
            with open(p, "w") as fh:
                yaml.safe_dump_all(made, fh, sort_keys=False)


def main(argv):
    if len(argv) == 2 and argv[0] == "sops":
        deliver_sops(argv[1])
    elif len(argv) == 4 and argv[0] == "external-secrets":
        deliver_external(argv[1], argv[2], argv[3])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
