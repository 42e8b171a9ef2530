#!/usr/bin/env bash
# The system packages the tests need, checked (and installed when possible) before `npm test` and by .ci/run:
#   chromium            the browser tests drive Debian's chromium (test/browser/)
#   redis-server        the Redis broker and cluster tests start their own redis-server (test/support/redis-server.ts)
#   python3-websockets  the Python client tests (asyncio client)
#   python3-websocket   the Python client tests (websocket-client)
#   python3-certifi     the AsyncAPI generator's Python client (imports certifi)
# As root on Debian/Ubuntu: the missing ones are installed with apt-get (noninteractive). Otherwise the script stops
# at once (exit 1) printing the exact command to run. TICKWIRE_SKIP_SYSTEM_DEPS=1 skips the step (other systems,
# where you install the equivalents yourself; the tests that need a missing one then fail).
set -euo pipefail

PACKAGES=(chromium redis-server python3-websockets python3-websocket python3-certifi)

if [ "${TICKWIRE_SKIP_SYSTEM_DEPS:-}" = 1 ]; then
  echo "system packages: check skipped (TICKWIRE_SKIP_SYSTEM_DEPS=1)"
  exit 0
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system packages: this is not a Debian-based system (no dpkg-query); install the equivalents of" >&2
  echo "  ${PACKAGES[*]}" >&2
  echo "yourself, then run the tests with TICKWIRE_SKIP_SYSTEM_DEPS=1 npm test" >&2
  exit 1
fi

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]; }

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: ${PACKAGES[*]} present"
  exit 0
fi

command_line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
  echo "system packages missing: ${missing[*]}" >&2
  echo "the tests need them; install them as root, then run npm test again:" >&2
  echo "  sudo sh -c '$command_line'" >&2
  exit 1
fi

echo "system packages: installing ${missing[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
for p in "${missing[@]}"; do
  installed "$p" || { echo "system packages: $p could not be installed" >&2; exit 1; }
done
echo "system packages: installed ${missing[*]}"
