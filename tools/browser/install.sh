#!/usr/bin/env bash
# Installs a headless browser for Wikipulse's page test: Debian's Chromium (browser builds
# downloaded by test tools are not reachable from these machines). Prints the binary's path.
set -euo pipefail

for candidate in "${CHROMIUM_PATH:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: Chromium is missing; install Debian's 'chromium' package (as root: apt-get install chromium) or set CHROMIUM_PATH" >&2
  exit 1
fi
echo "install.sh: installing Debian's chromium package" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends chromium >&2
echo /usr/bin/chromium
