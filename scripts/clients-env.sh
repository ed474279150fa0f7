#!/usr/bin/env bash
# Installs the Node client's npm packages (clients/node/node_modules) from the
# committed lockfile, for the client tests in tests/python. Idempotent: does
# nothing when the lockfile has not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/../clients/node"
if ! command -v npm >/dev/null; then
  echo "clients-env: npm is missing; install Node.js 20 or newer (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
stamp=node_modules/.clocker-installed
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  touch "$stamp" # newer than the lockfile again, for make
  exit 0
fi
echo "clients-env: npm ci in clients/node/ (from package-lock.json)" >&2
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
