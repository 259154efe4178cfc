"""Runs one parser contract (contracts.py) under atheris, libFuzzer's engine for Python.

Each `fuzz_<parser>.py` target imports the package under `atheris.instrument_imports`, so
the fuzzer sees which branches of aco_pipeline an input reaches, and calls `run` with its
check. libFuzzer's own flags pass through (`-runs=N`, `-seed=N`, `-max_total_time=S`,
`-artifact_prefix=DIR/`, corpus folders). An input that makes a check raise anything but the
parser's documented error is a crash: libFuzzer prints the traceback, saves the input under
the artifact prefix and exits non-zero.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

SCRATCH_ENV = "ACO_FUZZ_SCRATCH"


def run(check: Callable[[bytes, Path], object]) -> None:
    """Fuzz `check(data, scratch_dir)` until libFuzzer stops (it exits the process)."""
    import atheris

    base = os.environ.get(SCRATCH_ENV)
    scratch = Path(tempfile.mkdtemp(prefix="aco-fuzz-", dir=base))

    def one_input(data: bytes) -> None:
        for p in scratch.iterdir():
            if p.is_dir():
                shutil.rmtree(p)
            else:
                p.unlink()
        check(data, scratch)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()
