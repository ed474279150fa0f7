#!/usr/bin/env bash
# Creates (or refreshes) the Python virtualenv the interop tests and the
# benchmarks use, at .venv. Idempotent: each requirements file is installed
# only when it has changed since its last install.
#
#   bash scripts/python-env.sh         the interop tests' and benchmarks' clients
#   bash scripts/python-env.sh bench   those, and bench/plot.py's matplotlib
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv

# Installs requirements file $1 unless $2, the copy of it made by its last
# successful install, still matches it.
install() {
  local requirements=$1 stamp=$2
  if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
    return 0
  fi
  echo "python-env: installing $requirements into $venv" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$stamp"
}

install tests/python/requirements.txt "$venv/.installed"
case "${1:-}" in
  "") ;;
  bench) install bench/requirements.txt "$venv/.installed-bench" ;;
  *) echo "python-env: unknown argument '$1' (expected: bench)" >&2; exit 2 ;;
esac
