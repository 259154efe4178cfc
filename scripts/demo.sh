#!/usr/bin/env bash
# One command from a fresh checkout to a running demo on the embedded default (DuckDB):
# installs into .venv, generates a synthetic ACO, ingests it, builds the warehouse, then creates
# one web login per role (passwords generated for this workspace), prints the URL and the
# logins, and serves the web app on 127.0.0.1 until Ctrl-C.
# Usage: scripts/demo.sh [WORKSPACE_DIR]   (default: ./demo-workspace)
# ACO_DEMO_NO_SERVE=1 prints the logins and exits instead of serving (tests, CI);
# ACO_DEMO_PORT picks the port (default 8000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${ACO_DEMO_NO_SERVE:-}" = "1" ]; then
  exec .venv/bin/aco demo --workspace "${1:-demo-workspace}" --logins --port "${ACO_DEMO_PORT:-8000}"
fi
exec .venv/bin/aco demo --workspace "${1:-demo-workspace}" --serve --port "${ACO_DEMO_PORT:-8000}"
