#!/usr/bin/env bash
# Creates (or refreshes) the Python virtualenv the interop tests and the
# benchmarks use, at .venv. Idempotent: does nothing when the requirements
# have not changed since the last install.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv
requirements=tests/python/requirements.txt
stamp=$venv/.installed
if [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi
echo "python-env: installing $requirements into $venv" >&2
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
