#!/usr/bin/env bash
# One command from a fresh checkout to a running demo on the embedded default (DuckDB):
# installs into .venv, generates a synthetic ACO, ingests it and shows the workspace status.
# Usage: scripts/demo.sh [WORKSPACE_DIR]   (default: ./demo-workspace)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/aco demo --workspace "${1:-demo-workspace}"
