#!/usr/bin/env bash
# ferry's benchmark suite (README "Performance", docs/performance.md):
#
#   1. the release binary end to end on generated projects of 2, 100, 1,000, 5,000 and 10,000
#      services (examples/gen), side by side in one run per size: `ferry convert --stdout`,
#      `ferry convert -o DIR` over an unchanged DIR (the CI / pre-commit case), `ferry diff`,
#      and `ferry convert -o DIR` into an empty DIR (the first conversion, a fresh checkout),
#      with and (up to 1,000 services) without --fsync, timed with hyperfine (median of several
#      runs), and peak RSS with /usr/bin/time (median of 5 runs);
#   2. how time grows: 10 times the services against the time, for 100 -> 1,000 and
#      1,000 -> 10,000;
#   3. with --instructions, instructions counted by callgrind (repeatable on a busy machine);
#   4. each stage with `cargo bench --bench pipeline` (divan: load, translate, render, stream,
#      write, convert at 10 to 5,000 services), unless --quick.
#
# Usage: scripts/bench.sh [--quick] [--instructions]
# Needs hyperfine and GNU time (installed with apt-get when run as root), and valgrind for
# --instructions. Writes its inputs and outputs under target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
instructions=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --instructions) instructions=1 ;;
    -h | --help)
      sed -n '2,20p' "$0"
      exit 0
      ;;
    *)
      echo "bench.sh: unknown argument $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench.sh: installing $2" >&2
    apt-get update -qq >/dev/null && apt-get install -y -qq "$2" >/dev/null
  fi
  command -v "$1" >/dev/null 2>&1 || {
    echo "bench.sh: $1 is required (Debian/Ubuntu: apt-get install $2)" >&2
    exit 1
  }
}
need hyperfine hyperfine
need python3 python3
[ -x /usr/bin/time ] || need /usr/bin/time time
[ "$instructions" = 0 ] || need valgrind valgrind

cargo build --release --quiet --bin ferry --example gen
ferry="$PWD/target/release/ferry"
gen="$PWD/target/release/examples/gen"
work="$PWD/target/bench"
mkdir -p "$work"

sizes=(2 100 1000 5000 10000)
runs_for() { # hyperfine runs per size
  case "$1" in
    2 | 100) echo 30 ;;
    1000) echo 20 ;;
    5000) echo 10 ;;
    *) echo 5 ;;
  esac
}

median_ms() { # median_ms HYPERFINE-JSON -> milliseconds
  python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$1"
}

peak_rss_mb() { # peak_rss_mb ARGS... (in the current directory): median of 5 runs, MB
  local i
  for i in 1 2 3 4 5; do
    /usr/bin/time -f '%M' "$ferry" "$@" 2>&1 >/dev/null | tail -1
  done | sort -n | sed -n 3p | awk '{ printf "%.1f", $1 / 1024 }'
}

declare -A stdout_ms unchanged_ms diff_ms fresh_ms fsync_ms rss_stdout rss_out
for n in "${sizes[@]}"; do
  dir="$work/$n"
  "$gen" "$n" "$dir" >/dev/null
  runs=$(runs_for "$n")
  (
    cd "$dir"
    rm -rf out
    if ! "$ferry" convert -o out 2>convert.err; then
      echo "bench.sh: ferry convert -o out failed at $n services:" >&2
      tail -3 convert.err >&2
      exit 1
    fi
    hyperfine -N --style none --warmup 3 --runs "$runs" --export-json stdout.json \
      "$ferry convert --stdout" >/dev/null
    hyperfine -N --style none --warmup 2 --runs "$runs" --export-json unchanged.json \
      "$ferry convert -o out" >/dev/null
    hyperfine -N --style none --warmup 2 --runs "$runs" --export-json diff.json \
      "$ferry diff -o out" >/dev/null
    # Into an empty directory: the previous run's output is moved aside, not removed, before
    # each run. Removing thousands of files just before (rm -rf) made the next run's file
    # creations wait seconds for the file system to finish the removal (ext4 mounted with
    # discard here), which a fresh checkout does not have. What is moved aside goes at the end.
    fresh_runs=$((runs < 10 ? runs : 10))
    rm -rf aside fresh && mkdir aside
    aside="mv $dir/fresh $dir/aside/\$(date +%s%N)"
    hyperfine -N --style none --warmup 1 --runs "$fresh_runs" --export-json fresh.json \
      --prepare "sh -c '[ ! -e $dir/fresh ] || $aside'" "$ferry convert -o fresh" >/dev/null
    if [ "$n" -le 1000 ]; then
      hyperfine -N --style none --warmup 1 --runs 5 --export-json fsync.json \
        --prepare "sh -c '[ ! -e $dir/fresh ] || $aside'" "$ferry convert --fsync -o fresh" >/dev/null
    fi
    rm -rf aside fresh
  )
  stdout_ms[$n]=$(median_ms "$dir/stdout.json")
  unchanged_ms[$n]=$(median_ms "$dir/unchanged.json")
  diff_ms[$n]=$(median_ms "$dir/diff.json")
  fresh_ms[$n]=$(median_ms "$dir/fresh.json")
  fsync_ms[$n]=—
  [ "$n" -gt 1000 ] || fsync_ms[$n]="$(median_ms "$dir/fsync.json") ms"
  rss_stdout[$n]=$(cd "$dir" && peak_rss_mb convert --stdout)
  rss_out[$n]=$(cd "$dir" && peak_rss_mb convert -o out)
  echo "measured $n services" >&2
done

echo
echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)," \
  "$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo); load average" \
  "$(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC'); ferry $(git describe --always --dirty 2>/dev/null || echo '?')"
echo
echo "| services | compose.yaml | output | --stdout | -o DIR, unchanged | diff, unchanged | -o DIR, empty (x --stdout) | empty, --fsync | peak RSS (--stdout / -o) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in "${sizes[@]}"; do
  dir="$work/$n"
  in_kb=$(( $(wc -c <"$dir/compose.yaml") / 1024 ))
  files=$(find "$dir/out" -type f | wc -l)
  out_kb=$(( $(find "$dir/out" -type f -exec cat {} + | wc -c) / 1024 ))
  ratio=$(python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) / float(sys.argv[2])))' "${fresh_ms[$n]}" "${stdout_ms[$n]}")
  echo "| $n | ${in_kb} KB | $files files, ${out_kb} KB | ${stdout_ms[$n]} ms | ${unchanged_ms[$n]} ms | ${diff_ms[$n]} ms | ${fresh_ms[$n]} ms (${ratio}x) | ${fsync_ms[$n]} | ${rss_stdout[$n]} / ${rss_out[$n]} MB |"
done

echo
echo "Growth (time for 10x the services; at most 11x is linear enough):"
for pair in "100 1000" "1000 10000"; do
  set -- $pair
  python3 -c '
import sys
a, b = sys.argv[1], sys.argv[2]
rows = [("--stdout", float(sys.argv[3]), float(sys.argv[4])),
        ("-o DIR, unchanged", float(sys.argv[5]), float(sys.argv[6])),
        ("-o DIR, empty", float(sys.argv[7]), float(sys.argv[8]))]
for name, x, y in rows:
    print("  %s -> %s services, %s: %.1fx" % (a, b, name, y / x))
' "$1" "$2" "${stdout_ms[$1]}" "${stdout_ms[$2]}" "${unchanged_ms[$1]}" "${unchanged_ms[$2]}" \
    "${fresh_ms[$1]}" "${fresh_ms[$2]}"
done

if [ "$instructions" = 1 ]; then
  echo
  echo "Instructions (callgrind, ferry convert --stdout):"
  for n in "${sizes[@]}"; do
    [ "$n" -le 5000 ] || continue
    count=$(cd "$work/$n" && valgrind --tool=callgrind --callgrind-out-file=/dev/null \
      "$ferry" convert --stdout 2>&1 >/dev/null | awk '/Collected/ { print $4 }')
    echo "  $n services: $((count / 1000000)) M"
  done
  echo
  echo "Instructions (callgrind) of the YAML event parsers on the 1,000-service compose.yaml,"
  echo "less the instructions that make the input:"
  parsers=$(cargo bench --bench yaml_parsers --no-run 2>&1 | sed -n 's/.*Executable .*(\(.*\))/\1/p')
  count_of() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$parsers" --once "$1" 1000 2>&1 |
      awk '/Collected/ { print $4 }'
  }
  none=$(count_of none)
  for p in saphyr yaml_rust2 libyaml_safer unsafe_libyaml ferry_tree; do
    echo "  $p: $(( ($(count_of "$p") - none) / 1000000 )) M"
  done
fi

if [ "$quick" = 0 ]; then
  echo
  echo "Stages (cargo bench --bench pipeline):"
  cargo bench --quiet --bench pipeline
  echo
  echo "YAML event parsers on the same input (cargo bench --bench yaml_parsers):"
  cargo bench --quiet --bench yaml_parsers
fi
