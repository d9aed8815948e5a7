#!/bin/sh
# Before a release: the tag must be v + the version in Cargo.toml, and Cargo.toml's `repository`
# must be the repository being released from (the Action, cargo binstall and the GitLab template
# find the release files there). Prints the version.
#
#   ci/release-check.sh TAG [REPOSITORY-URL]
#
# .github/workflows/release.yml runs it with $GITHUB_REF_NAME and
# $GITHUB_SERVER_URL/$GITHUB_REPOSITORY; tests/ci.rs runs it here.
set -eu
cd "$(dirname "$0")/.."

die() {
  printf 'release-check: %s\n' "$*" >&2
  exit 1
}

[ $# -ge 1 ] || die "usage: ci/release-check.sh TAG [REPOSITORY-URL]"
tag=$1
# Cargo's own reading of Cargo.toml, not a pattern over its text.
meta=$(cargo metadata --no-deps --offline --format-version 1) || die "cargo metadata failed"
version=$(printf '%s' "$meta" | jq -r '.packages[] | select(.name == "ferry") | .version')
repository=$(printf '%s' "$meta" | jq -r '.packages[] | select(.name == "ferry") | .repository // ""')
[ -n "$version" ] || die "no version for the ferry package in Cargo.toml"

if [ "$tag" != "v$version" ]; then
  die "tag $tag does not match Cargo.toml's version $version: tag v$version, or change the version first"
fi
if [ $# -ge 2 ] && [ "${repository%/}" != "${2%/}" ]; then
  die "Cargo.toml's repository is '$repository', but this release is made in $2: set repository = \"$2\" (the Action and cargo binstall download the binaries from there)"
fi
echo "$version"
