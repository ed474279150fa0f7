#!/usr/bin/env bash
# Makes sure headless Chromium is there for the browser tests: Debian's
# `chromium` package (playwright-core drives it; it downloads no browser of
# its own). Idempotent: does nothing when /usr/bin/chromium (or $CHROMIUM)
# already runs.
set -euo pipefail
chromium=${CHROMIUM:-/usr/bin/chromium}
if "$chromium" --version >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "browser-env: $chromium is missing; install Chromium and set CHROMIUM to its path" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo=sudo
fi
echo "browser-env: installing Debian's chromium (apt-get)" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
"$chromium" --version >&2
