#!/usr/bin/env bash
# Run every fuzz target for SECONDS each (default 600), seeded with the fixtures and the shared
# corpus. Needs cargo-fuzz (installed if missing) and libFuzzer, which cargo-fuzz builds with the
# stable toolchain through RUSTC_BOOTSTRAP=1.
#
#   scripts/fuzz.sh            # 10 minutes per target
#   scripts/fuzz.sh 30         # a smoke run
#   scripts/fuzz.sh 60 yaml    # one target
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(yaml interpolate dotenv short_syntax convert)
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz

# Seeds: compose files and env files from the fixtures and the shared corpus.
seed() { # target, files...
  local dir="fuzz/corpus/$1"; shift
  mkdir -p "$dir"
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$dir/$(echo "$f" | tr '/' '_')"; done
}
mapfile -t compose_files < <(find fixtures ../shared/corpus -name 'compose*.y*ml' -o -name 'docker-compose*.y*ml' 2>/dev/null | sort)
mapfile -t env_files < <(find fixtures ../shared/corpus -name '*.env' -o -name '.env' 2>/dev/null | sort)
seed yaml "${compose_files[@]}"
seed convert "${compose_files[@]}"
seed dotenv "${env_files[@]}"
mkdir -p fuzz/corpus/interpolate fuzz/corpus/short_syntax
printf '%s' '${A:-${B:-x}} $$ ${C?err} $D' > fuzz/corpus/interpolate/seed1
printf '%s' '127.0.0.1:8000-8010:9000-9010/udp' > fuzz/corpus/short_syntax/seed1
printf '%s' './conf:/etc/conf:ro,z' > fuzz/corpus/short_syntax/seed2

for t in "${targets[@]}"; do
  echo "==> fuzz $t for ${seconds}s"
  (cd fuzz && cargo fuzz run -O "$t" -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536)
done
echo "fuzz: every target ran ${seconds}s without a crash"
