"""The one exception root of aco-pipeline.

Every error the package raises on purpose derives from `AcoError`, so a caller (the CLI, the
web app, a scheduler) catches one type and prints its message; anything else is a bug and is
left to surface with its traceback. Each subpackage keeps its specific classes beside its code
(e.g. `ingest.cclf0.Cclf0Error`, `warehouse.read.WarehouseReadError`); they also keep the
built-in base they always had (`ValueError` for bad input, `RuntimeError` for a state that
cannot be worked with), so existing handlers keep working.

Messages name the file, line and field where there is one, and never carry PHI (no MBI, name
or date of birth).
"""

from __future__ import annotations


class AcoError(Exception):
    """Root of every error aco-pipeline raises on purpose."""
