#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install aco-pipeline with its pinned dependencies.
# Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "error: Python 3.11 or newer is needed (found $("$PY" --version 2>&1))" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "${1:-}" = "--dev" ]; then
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  # axe-core, which the browser tests inject into each page to check accessibility
  # (tests/web/browser); from the npm registry into .cache/npm (git-ignored)
  if command -v npm >/dev/null 2>&1; then
    [ -f .cache/npm/node_modules/axe-core/axe.min.js ] \
      || npm install --silent --no-save --no-audit --no-fund --prefix .cache/npm axe-core@4.14.1
  else
    echo "note: npm is missing: the accessibility checks of tests/web/browser will skip" >&2
  fi
else
  .venv/bin/python -m pip install --quiet -e .
fi
