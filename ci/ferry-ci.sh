#!/bin/sh
# ferry in CI: install a released binary (its SHA-256 checked against the release's SHA256SUMS),
# then run `ferry convert --check`, write its summary where the CI shows it, optionally post or
# update one pull-request comment (GitHub) or merge-request note (GitLab), and exit with ferry's
# exit code. The GitHub Action (action.yml) and the GitLab template (ci/ferry.gitlab-ci.yml) both
# run this script; tests/ci.rs runs it against a fake release.
#
#   ferry-ci.sh install           download, verify and install the binary; print its path
#   ferry-ci.sh check [FLAG]...   run `ferry convert --check [FLAG]...` and report
#
# POSIX sh (the runners' sh, Git Bash on Windows, busybox on Alpine); curl or wget to download;
# curl and jq only for comments.
#
# install reads:
#   FERRY_REPO     where ferry's releases live: the repository URL (default: `repository` in the
#                  Cargo.toml beside this script, as in the Action); release files are fetched from
#                  $FERRY_REPO/releases/download/vVERSION/ (or .../releases/latest/download/).
#                  A local directory laid out the same way works too (the tests use one).
#   FERRY_VERSION  a version such as 0.2.0 (a leading v is allowed), or `latest` (default: `version`
#                  in the Cargo.toml beside this script, else latest)
#   FERRY_TARGET   the release's target triple (default: this machine's; see target())
#   FERRY_BIN_DIR  where to put the binary (default: $RUNNER_TEMP/ferry-bin or $HOME/.local/bin)
# check reads:
#   FERRY          the binary (default: `ferry` on PATH)
#   FERRY_FILES    compose files, separated by spaces or new lines (each becomes `-f FILE`)
#   FERRY_OUTPUT   the output directory (`-o DIR`)
#   FERRY_ARGS     more flags for `ferry convert --check`, separated by spaces (no quoting)
#   FERRY_FORMAT   text (the diff, default) or markdown (`--format markdown`)
#   FERRY_SUMMARY  a file the Markdown summary is appended to (default: $GITHUB_STEP_SUMMARY if set)
#   FERRY_COMMENT  github or gitlab to post or update one comment; empty (default) for none.
#                  A comment is posted when the manifests are stale or ferry fails, and an earlier
#                  one is updated on every run (so it turns green once fixed). GitHub needs
#                  GITHUB_TOKEN with pull-requests: write; GitLab needs FERRY_GITLAB_TOKEN (a
#                  token with the api scope). A comment that cannot be posted is a warning: the
#                  exit code is always ferry's.
#   FERRY_COMMENT_KEY  tells apart the comments of several checks on one pull request (default:
#                  the directory, files, output and flags)
set -eu

# Which backticks fence a diff: diff lines start with ' ', '+', '-', '@' or '\', so none of them
# closes the fence (a context line would need a YAML line with ``` in its first three columns,
# and ferry's YAML starts every such line with a key).
FENCE='```'
# GitHub takes at most 65,536 characters in a comment and 1 MiB in a step summary: the diff is cut
# at this many bytes, at a line's end, with a note that the job log holds all of it.
SUMMARY_LIMIT=${FERRY_SUMMARY_LIMIT:-60000}
here=$(cd "$(dirname "$0")" && pwd)

die() {
  printf 'ferry-ci: %s\n' "$*" >&2
  exit 2
}
warn() {
  if [ -n "${GITHUB_ACTIONS:-}" ]; then
    printf '::warning::ferry-ci: %s\n' "$*" >&2
  else
    printf 'ferry-ci: warning: %s\n' "$*" >&2
  fi
}

# The value of KEY = "..." in the [package] table of the Cargo.toml beside this script, if any.
cargo_toml() {
  [ -f "$here/../Cargo.toml" ] || return 0
  awk -v key="$1" '
    /^\[/ { in_package = ($0 == "[package]") }
    in_package && $1 == key && $2 == "=" {
      sub(/^[^"]*"/, ""); sub(/".*$/, ""); print; exit
    }' "$here/../Cargo.toml"
}

# This machine's release target: the targets .github/workflows/release.yml builds.
target() {
  case $(uname -m) in
  x86_64 | amd64) arch=x86_64 ;;
  aarch64 | arm64) arch=aarch64 ;;
  *) die "no ferry release for this machine's architecture ($(uname -m)); set FERRY_TARGET or build ferry with cargo" ;;
  esac
  case $(uname -s) in
  Linux) os=unknown-linux-musl ;;
  Darwin) os=apple-darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) os=pc-windows-msvc ;;
  *) die "no ferry release for this operating system ($(uname -s)); set FERRY_TARGET or build ferry with cargo" ;;
  esac
  if [ "$os" = pc-windows-msvc ] && [ "$arch" != x86_64 ]; then
    die "no ferry release for Windows on $arch; build ferry with cargo"
  fi
  echo "$arch-$os"
}

# fetch URL FILE: a URL with curl or wget, or a path on this machine.
fetch() {
  case $1 in
  http://* | https://* | file://*)
    if command -v curl >/dev/null 2>&1; then
      curl -fsSL --retry 3 --proto '=https,http,file' -o "$2" "$1" || die "cannot download $1"
    elif command -v wget >/dev/null 2>&1; then
      wget -q -O "$2" "$1" || die "cannot download $1"
    else
      die "curl or wget is needed to download $1"
    fi
    ;;
  *) cp "$1" "$2" 2>/dev/null || die "cannot read $1 (no such release file)" ;;
  esac
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{ print $1 }'
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | awk '{ print $1 }'
  else
    die "sha256sum or shasum is needed to verify the download"
  fi
}

install() {
  repo=${FERRY_REPO:-$(cargo_toml repository)}
  [ -n "$repo" ] || die "FERRY_REPO is not set: the URL of the repository whose releases hold ferry"
  version=${FERRY_VERSION:-$(cargo_toml version)}
  version=${version:-latest}
  case $version in
  latest) base="${repo%/}/releases/latest/download" ;;
  *) base="${repo%/}/releases/download/v${version#v}" ;;
  esac
  tgt=${FERRY_TARGET:-$(target)}
  exe=ferry
  case $tgt in *-windows-*) exe=ferry.exe ;; esac
  asset="ferry-$tgt"
  case $tgt in *-windows-*) asset="$asset.exe" ;; esac
  if [ -n "${FERRY_BIN_DIR:-}" ]; then
    bin_dir=$FERRY_BIN_DIR
  elif [ -n "${RUNNER_TEMP:-}" ]; then
    bin_dir="$RUNNER_TEMP/ferry-bin"
  else
    bin_dir="${HOME:?}/.local/bin"
  fi
  mkdir -p "$bin_dir" || die "cannot create $bin_dir"

  work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-ci.XXXXXX")
  # shellcheck disable=SC2064 # $work is fixed now
  trap "rm -rf '$work'" EXIT
  echo "ferry-ci: $base/$asset" >&2
  fetch "$base/SHA256SUMS" "$work/SHA256SUMS"
  fetch "$base/$asset" "$work/$asset"
  # `HASH  NAME` or `HASH *NAME` (binary mode), as sha256sum writes them.
  want=$(awk -v f="$asset" '$2 == f || $2 == "*" f { print $1; exit }' "$work/SHA256SUMS")
  [ -n "$want" ] || die "$asset is not listed in $base/SHA256SUMS; refusing to install it"
  got=$(sha256 "$work/$asset")
  if [ "$(echo "$want" | tr 'A-F' 'a-f')" != "$got" ]; then
    die "checksum mismatch for $asset: SHA256SUMS says $want, the download is $got; refusing to install it"
  fi
  chmod 0755 "$work/$asset"
  # Renamed into place from the same directory: never half a binary under the final name.
  if ! { cp "$work/$asset" "$bin_dir/.$exe.tmp" && mv -f "$bin_dir/.$exe.tmp" "$bin_dir/$exe"; }; then
    die "cannot install into $bin_dir"
  fi
  "$bin_dir/$exe" --version >&2 || die "the installed $bin_dir/$exe does not run on this machine"
  if [ -n "${GITHUB_PATH:-}" ]; then
    echo "$bin_dir" >>"$GITHUB_PATH"
  fi
  echo "$bin_dir/$exe"
}

# The first N bytes of FILE, cut at a line's end; `truncated` says whether anything was left out.
cut_at() {
  if [ "$(wc -c <"$2" | tr -d ' ')" -gt "$1" ]; then
    head -c "$1" "$2" | sed '$d'
    truncated=1
  else
    cat "$2"
  fi
}

# The Markdown summary of one check, from ferry's exit code, stdout and stderr.
summary() { # summary RC STDOUT STDERR
  rc=$1
  truncated=0
  printf '%s\n' "$marker"
  case $format:$rc in
  markdown:0 | markdown:1)
    cut_at "$SUMMARY_LIMIT" "$2"
    ;;
  *:0)
    printf '### ferry: the Kubernetes manifests are up to date\n\n'
    sed 's/^/> /' "$3"
    ;;
  *:1)
    printf '### ferry: the Kubernetes manifests are stale\n\n'
    sed 's/^/> /' "$3"
    printf '\n<details><summary>What would change</summary>\n\n%sdiff\n' "$FENCE"
    cut_at "$SUMMARY_LIMIT" "$2"
    printf '%s\n\n</details>\n' "$FENCE"
    ;;
  *)
    case $rc in
    2) printf '### ferry: the command was wrong (exit 2)\n\n' ;;
    3) printf '### ferry: the compose project does not convert (exit 3)\n\n' ;;
    *) printf '### ferry: failed (exit %s)\n\n' "$rc" ;;
    esac
    printf '%stext\n' "$FENCE"
    cut_at "$SUMMARY_LIMIT" "$3"
    printf '%s\n' "$FENCE"
    ;;
  esac
  if [ "$truncated" = 1 ]; then
    printf '\n*Cut at %s bytes: the job log has all of it.*\n' "$SUMMARY_LIMIT"
  fi
  echo # a blank line before whatever the next step appends
}

# api METHOD URL [JSON-FILE]: one call to the forge's API, its response on stdout. The token is
# passed in a header file, never on the command line.
api() {
  if [ $# -ge 3 ]; then
    curl -fsS -X "$1" -H @"$work/headers" -H 'Content-Type: application/json' \
      --data-binary @"$3" "$2"
  else
    curl -fsS -X "$1" -H @"$work/headers" "$2"
  fi
}

# The id of the earlier comment that starts with $marker, read from PAGES of 100 at URL.
find_comment() { # find_comment URL
  page=1
  while [ "$page" -le 50 ]; do
    api GET "$1?per_page=100&page=$page" >"$work/page.json" || return 1
    id=$(jq -r --arg m "$marker" 'map(select(.body | startswith($m))) | .[0].id // empty' \
      "$work/page.json") || return 1
    if [ -n "$id" ]; then
      echo "$id"
      return 0
    fi
    [ "$(jq length "$work/page.json")" -ge 100 ] || return 0
    page=$((page + 1))
  done
}

# Post the summary as a new comment, or update the earlier one.
comment() { # comment RC SUMMARY-FILE
  for tool in curl jq; do
    command -v "$tool" >/dev/null 2>&1 || {
      warn "no comment posted: $tool is not installed"
      return 0
    }
  done
  jq -Rs '{body: .}' <"$2" >"$work/body.json"
  case $FERRY_COMMENT in
  github)
    [ -n "${GITHUB_TOKEN:-}" ] || {
      warn "no comment posted: GITHUB_TOKEN is not set"
      return 0
    }
    pr=${FERRY_PR:-}
    if [ -z "$pr" ] && [ -n "${GITHUB_EVENT_PATH:-}" ] && [ -f "$GITHUB_EVENT_PATH" ]; then
      pr=$(jq -r '.pull_request.number // empty' "$GITHUB_EVENT_PATH")
    fi
    [ -n "$pr" ] || {
      echo "ferry-ci: not a pull request: no comment" >&2
      return 0
    }
    api_url=${GITHUB_API_URL:-https://api.github.com}/repos/${GITHUB_REPOSITORY:?}
    umask 077
    printf 'Authorization: Bearer %s\nAccept: application/vnd.github+json\nX-GitHub-Api-Version: 2022-11-28\n' \
      "$GITHUB_TOKEN" >"$work/headers"
    list="$api_url/issues/$pr/comments"
    edit="$api_url/issues/comments"
    new_method=POST edit_method=PATCH what="pull request #$pr"
    ;;
  gitlab)
    [ -n "${FERRY_GITLAB_TOKEN:-}" ] || {
      warn "no note posted: FERRY_GITLAB_TOKEN is not set (a project access token with the api scope)"
      return 0
    }
    [ -n "${CI_MERGE_REQUEST_IID:-}" ] || {
      echo "ferry-ci: not a merge-request pipeline: no note" >&2
      return 0
    }
    umask 077
    printf 'PRIVATE-TOKEN: %s\n' "$FERRY_GITLAB_TOKEN" >"$work/headers"
    list="${CI_API_V4_URL:?}/projects/${CI_PROJECT_ID:?}/merge_requests/$CI_MERGE_REQUEST_IID/notes"
    edit=$list
    new_method=POST edit_method=PUT what="merge request !$CI_MERGE_REQUEST_IID"
    ;;
  *)
    warn "FERRY_COMMENT must be github or gitlab, not $FERRY_COMMENT: no comment"
    return 0
    ;;
  esac
  if ! id=$(find_comment "$list"); then
    warn "no comment posted: cannot list the comments of $what"
    return 0
  fi
  if [ -n "$id" ]; then
    if api "$edit_method" "$edit/$id" "$work/body.json" >/dev/null; then
      echo "ferry-ci: comment on $what updated" >&2
    else
      warn "cannot update the comment on $what"
    fi
  elif [ "$1" != 0 ]; then
    if api "$new_method" "$list" "$work/body.json" >/dev/null; then
      echo "ferry-ci: commented on $what" >&2
    else
      warn "cannot comment on $what"
    fi
  fi
}

main() {
  case ${1:-} in
  install) install ;;
  check)
    shift
    run_check "$@"
    ;;
  *) die "usage: ferry-ci.sh install | ferry-ci.sh check [FLAG]..." ;;
  esac
}

# `ferry convert --check` with FERRY_FILES, FERRY_OUTPUT, FERRY_ARGS, the format, then ARGS.
run_check() {
  ferry=${FERRY:-ferry}
  format=${FERRY_FORMAT:-text}
  case $format in text | markdown) ;; *) die "FERRY_FORMAT must be text or markdown, not $format" ;; esac
  FERRY_COMMENT=${FERRY_COMMENT:-}
  work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-ci.XXXXXX")
  # shellcheck disable=SC2064 # $work is fixed now
  trap "rm -rf '$work'" EXIT

  # The command line: -f for each of FERRY_FILES, -o FERRY_OUTPUT, FERRY_ARGS (split at white
  # space, no globbing), then this script's arguments, in that order.
  n=$#
  set -f
  for f in ${FERRY_FILES:-}; do
    set -- "$@" -f "$f"
  done
  if [ -n "${FERRY_OUTPUT:-}" ]; then
    set -- "$@" -o "$FERRY_OUTPUT"
  fi
  for arg in ${FERRY_ARGS:-}; do
    set -- "$@" "$arg"
  done
  set +f
  while [ "$n" -gt 0 ]; do # move this script's arguments to the end
    arg=$1
    shift
    set -- "$@" "$arg"
    n=$((n - 1))
  done

  # One comment per check: the marker that starts it names the directory and the flags.
  key=${FERRY_COMMENT_KEY:-"${PWD#"${GITHUB_WORKSPACE:-${CI_PROJECT_DIR:-}}"} $*"}
  marker="<!-- ferry-ci $(printf '%s' "$key" | { sha256sum 2>/dev/null || shasum -a 256; } | cut -c1-16) -->"
  if [ "$format" = markdown ]; then
    set -- "$@" --format markdown
  fi

  echo "ferry-ci: $ferry convert --check $*" >&2
  set +e
  "$ferry" convert --check "$@" >"$work/stdout" 2>"$work/stderr"
  rc=$?
  set -e
  # The job log shows everything, as the command would have.
  cat "$work/stdout"
  cat "$work/stderr" >&2

  summary "$rc" "$work/stdout" "$work/stderr" >"$work/summary.md"
  out=${FERRY_SUMMARY:-${GITHUB_STEP_SUMMARY:-}}
  if [ -n "$out" ]; then
    cat "$work/summary.md" >>"$out" || warn "cannot write the summary to $out"
  fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    up=false
    [ "$rc" = 0 ] && up=true
    printf 'exit-code=%s\nup-to-date=%s\n' "$rc" "$up" >>"$GITHUB_OUTPUT"
  fi
  [ -z "$FERRY_COMMENT" ] || comment "$rc" "$work/summary.md"
  exit "$rc"
}

main "$@"
