#!/usr/bin/env bash
# One command from a fresh checkout to a passing test suite: installs the system programs the
# tests use (scripts/system-deps.sh: as root; otherwise it names the tests that will skip),
# installs into .venv with the dev tools, lints, and runs every test.  Extra arguments go to
# pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
scripts/setup.sh --dev
.venv/bin/ruff check src tests benchmarks scripts
exec .venv/bin/python -m pytest -n 2 "$@"
