#!/usr/bin/env bash
# parity.sh [-a] CORPUS_DIR: convert every compose project under CORPUS_DIR with
# target/release/ferry and check each output with ../shared/tools/parity-check (does it run the
# same app as docker compose would?). Prints every finding and the totals; exits 1 when a project
# has a finding or fails to convert. -a: also count, but do not fail on, findings (a report).
# SECRET_MODE=sops or external-secrets converts with that --env-secrets mode and first does what
# the cluster does (scripts/deliver-secrets.py: sops -d with SOPS_AGE_KEY_FILE, or the Secrets
# External Secrets Operator makes from a store filled as the report says), so the pods must read
# the same Secret names and keys as in the default mode.
set -uo pipefail
report_only=0
if [ "${1:-}" = "-a" ]; then report_only=1; shift; fi
corpus="${1:?usage: parity.sh [-a] CORPUS_DIR}"
root="$(cd "$(dirname "$0")/.." && pwd)"
ferry="${FERRY:-$root/target/release/ferry}"
check="${PARITY_CHECK:-$root/../shared/tools/parity-check}"
# Absolute: each project is checked from its own directory.
check="$(cd "$(dirname "$check")" && pwd)/$(basename "$check")"
corpus="$(cd "$corpus" && pwd)"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
mode="${SECRET_MODE:-}"
case "$mode" in
  "") mode_args=() ;;
  sops) mode_args=(--env-secrets sops --age-recipient "${AGE_RECIPIENT:?SECRET_MODE=sops needs AGE_RECIPIENT}") ;;
  external-secrets) mode_args=(--env-secrets external-secrets --secret-store ClusterSecretStore/parity) ;;
  *) echo "parity.sh: SECRET_MODE must be sops or external-secrets" >&2; exit 2 ;;
esac
deliver="$root/scripts/deliver-secrets.py"
services=0 passed=0 findings=0 failed=0 n=0
while IFS= read -r f; do
  n=$((n + 1))
  dir="$(dirname "$f")"
  o="$out/$n"
  # The JSON report names what the external-secrets delivery must create.
  if ! (cd "$dir" && "$ferry" convert -q -f "$(basename "$f")" -o "$o" ${mode_args[@]+"${mode_args[@]}"} \
    --report-format json >"$o.report.json" 2>"$o.err"); then
    failed=$((failed + 1))
    echo "${f#"$corpus"/}: convert failed: $(head -n 1 "$o.err")"
    continue
  fi
  delivered=1
  case "$mode" in
    sops) python3 "$deliver" sops "$o" >"$o.err" 2>&1 || delivered=0 ;;
    external-secrets)
      (cd "$dir" && "$ferry" convert -q -f "$(basename "$f")" -o "$o.default" 2>/dev/null) \
        && python3 "$deliver" external-secrets "$o" "$o.report.json" "$o.default" >"$o.err" 2>&1 || delivered=0 ;;
  esac
  if [ "$delivered" = 0 ]; then
    failed=$((failed + 1))
    echo "${f#"$corpus"/}: $mode delivery failed: $(head -n 1 "$o.err")"
    continue
  fi
  res="$(cd "$dir" && FERRY="$ferry" "$check" "$(basename "$f")" "$o" 2>&1)"
  line="$(grep '^parity:' <<<"$res")"
  grep -v '^parity:' <<<"$res" | sed "s|^|${f#"$corpus"/}: |"
  if [[ "$line" =~ ^parity:\ ([0-9]+)\ services,\ ([0-9]+)\ passed.*\ ([0-9]+)\ findings ]]; then
    services=$((services + BASH_REMATCH[1]))
    passed=$((passed + BASH_REMATCH[2]))
    findings=$((findings + BASH_REMATCH[3]))
  else
    failed=$((failed + 1))
  fi
done < <(find "$corpus" \( -iname 'compose*.y*ml' -o -iname 'docker-compose*.y*ml' \) \
  ! -iname '*.override.y*ml' | sort)
echo "parity-total: $n files, $failed failed, $services services, $passed passed all checks, $findings findings"
[ "$report_only" = 1 ] || [ $((findings + failed)) -eq 0 ]
