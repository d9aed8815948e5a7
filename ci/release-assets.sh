#!/bin/sh
# Complete a release's files in DIST, which holds the binaries the release workflow built
# (ferry-TARGET, ferry-TARGET.exe): add the CI script, the GitLab template with this release's
# version and repository written in, and SHA256SUMS over all of them. Refuses a DIST that misses a
# target, so a release never ships without one of its platforms.
#
#   ci/release-assets.sh DIST VERSION REPOSITORY-URL
set -eu
here=$(cd "$(dirname "$0")" && pwd)

die() {
  printf 'release-assets: %s\n' "$*" >&2
  exit 1
}

[ $# -eq 3 ] || die "usage: ci/release-assets.sh DIST VERSION REPOSITORY-URL"
dist=$1 version=$2 repo=$3

# The targets .github/workflows/release.yml builds; ferry-ci.sh picks one of them by uname.
for asset in ferry-x86_64-unknown-linux-musl ferry-aarch64-unknown-linux-musl \
  ferry-x86_64-apple-darwin ferry-aarch64-apple-darwin ferry-x86_64-pc-windows-msvc.exe; do
  [ -s "$dist/$asset" ] || die "$dist/$asset is missing"
done

cp "$here/ferry-ci.sh" "$dist/ferry-ci.sh"
# The template as published pins this release: its two variables' default values are written in.
awk -v version="$version" -v repo="$repo" '
  /^    FERRY_VERSION: / { print "    FERRY_VERSION: \"" version "\""; v++; next }
  /^    FERRY_REPO: / { print "    FERRY_REPO: \"" repo "\""; r++; next }
  { print }
  END { if (v != 1 || r != 1) exit 1 }' "$here/ferry.gitlab-ci.yml" >"$dist/ferry.gitlab-ci.yml" ||
  die "ci/ferry.gitlab-ci.yml must set FERRY_VERSION and FERRY_REPO once each"

(
  cd "$dist"
  rm -f SHA256SUMS
  # Every file but SHA256SUMS itself, in a fixed order; `HASH  NAME` lines as sha256sum -c reads.
  find . -maxdepth 1 -type f ! -name 'SHA256SUMS*' | sed 's|^\./||' | LC_ALL=C sort |
    while IFS= read -r f; do sha256sum "$f"; done >SHA256SUMS.tmp
  mv SHA256SUMS.tmp SHA256SUMS
  sha256sum -c --quiet SHA256SUMS
)
cat "$dist/SHA256SUMS"
