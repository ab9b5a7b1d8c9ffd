#!/usr/bin/env bash
# Print the path of the newest Python >= 3.12 on this machine (Django 6 needs 3.12+).
# Looks at $AUTHQ_PYTHON if set, then python3.14/3.13/3.12/python3 on PATH, then every
# pyenv version. Each candidate is run, so a shim that fails or an old Python is skipped.
set -uo pipefail

# "major minor micro path" of a working interpreter, or nothing. Py2-safe, for old pyenv versions.
probe() {
  timeout 20 "$1" -c 'import sys; v = sys.version_info; print("%d %d %d %s" % (v[0], v[1], v[2], sys.executable))' 2>/dev/null
}

candidates() {
  if [ -n "${AUTHQ_PYTHON:-}" ]; then probe "$AUTHQ_PYTHON"; return; fi
  local name path
  for name in python3.14 python3.13 python3.12 python3; do
    path=$(command -v "$name") && probe "$path"
  done
  if command -v pyenv >/dev/null 2>&1; then
    for name in $(pyenv versions --bare 2>/dev/null); do
      path=$(PYENV_VERSION="$name" pyenv which python 2>/dev/null) && probe "$path"
    done
  fi
}

# Newest first; a stable sort keeps PATH ahead of pyenv for the same version.
best=$(candidates | awk '$1 == 3 && $2 >= 12' | sort -s -k1,1nr -k2,2nr -k3,3nr | head -n 1)
if [ -z "$best" ]; then
  where=${AUTHQ_PYTHON:+"AUTHQ_PYTHON=$AUTHQ_PYTHON"}
  echo "find-python: authq needs Python 3.12 or newer; none found in ${where:-PATH (python3.14, python3.13, python3.12, python3) or pyenv}." >&2
  echo "find-python: install one (e.g. 'pyenv install 3.13' or your system's python3.13 package)," >&2
  echo "find-python: or point AUTHQ_PYTHON at it: AUTHQ_PYTHON=/path/to/python3.13 make test" >&2
  exit 1
fi
echo "${best#* * * }"
