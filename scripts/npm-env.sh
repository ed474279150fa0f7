#!/usr/bin/env bash
# Installs the npm packages of one folder (DIR/node_modules) from its
# committed lockfile: `scripts/npm-env.sh web`, `scripts/npm-env.sh clients/node`.
# Idempotent: does nothing when the lockfile has not changed since the last
# install (the stamp DIR/node_modules/.clocker-installed is what make checks).
set -euo pipefail
dir=${1:?usage: scripts/npm-env.sh DIR}
cd "$(dirname "$0")/../$dir"
if ! command -v npm >/dev/null; then
  echo "npm-env: npm is missing; install Node.js 20.19 or newer (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
stamp=node_modules/.clocker-installed
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  touch "$stamp" # newer than the lockfile again, for make
  exit 0
fi
echo "npm-env: npm ci in $dir/ (from package-lock.json)" >&2
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
