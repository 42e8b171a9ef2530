#!/usr/bin/env bash
# The fresh-machine proof (issue 14): clone this repository's current commit into a temporary folder and run the
# README's Quick start commands there, `npm install` then `npm test`, with an empty npm cache and no node_modules,
# exactly as a newcomer would. System packages are installed by `npm test` itself (scripts/system-deps.sh).
#
#   scripts/fresh-clone-check.sh [commit]     default: HEAD (commit first: uncommitted changes are not cloned)
#
# Takes ~10 minutes (a full install and the whole test suite). The last line is mocha's "N passed, N failed" (or
# "0 passed, 1 failed" when install or setup fails); the exit status is npm test's. KEEP=1 keeps the folder.
set -uo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
commit="$(git -C "$repo" rev-parse "${1:-HEAD}")" || { echo "0 passed, 1 failed"; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/tickwire-fresh.XXXXXX")"
cleanup() { if [ "${KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

log() { printf '\n== %s\n' "$*"; }
log "clone $commit into $work/tickwire"
git clone --quiet --no-hardlinks "$repo" "$work/tickwire" && git -C "$work/tickwire" checkout --quiet --detach "$commit" \
  || { echo "0 passed, 1 failed"; exit 1; }
cd "$work/tickwire"

# An empty npm cache: every package comes from the registry, as on a machine that never installed anything.
export npm_config_cache="$work/npm-cache"
mkdir -p "$npm_config_cache"

log "npm install (empty cache: $npm_config_cache)"
npm install --no-audit --no-fund || { echo "npm install failed"; echo "0 passed, 1 failed"; exit 1; }

log "npm test"
report="$work/summary"
TICKWIRE_MOCHA_SUMMARY="$report" npm test
status=$?
if [ -s "$report" ]; then cat "$report"; else echo "0 passed, 1 failed"; [ $status -eq 0 ] && status=1; fi
exit $status
