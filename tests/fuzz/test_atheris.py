"""A short, bounded coverage-guided run (atheris) of every parser's fuzz target.

Each target runs in its own process (libFuzzer ends the process when it stops) from a seed
corpus of valid files, with a fixed seed and a fixed number of inputs; any input that makes a
parser raise something other than its documented error, or put PHI in a message, fails the
test with the fuzzer's report. scripts/fuzz.sh runs the same targets for longer.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .contracts import FUZZ_TARGETS, seed_corpus
from .fuzz_main import SCRATCH_ENV

pytest.importorskip("atheris", reason="atheris (libFuzzer for Python) is not installed")

ROOT = Path(__file__).resolve().parents[2]
RUNS = {"fixed_width": 600, "cclf0": 3000, "alr": 2000, "bnex": 2000, "puf": 2000}


def fuzz(target: str, workdir: Path, runs: int, seed: int = 1) -> tuple[int, str]:
    corpus = workdir / "corpus"
    corpus.mkdir(parents=True)
    for i, data in enumerate(seed_corpus(target)):
        (corpus / f"seed-{i}").write_bytes(data)
    (workdir / "scratch").mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", f"tests.fuzz.fuzz_{target}", f"-runs={runs}", f"-seed={seed}",
         "-max_len=4096", "-print_final_stats=1", f"-artifact_prefix={workdir}/",
         str(corpus)],
        cwd=ROOT, env={**os.environ, SCRATCH_ENV: str(workdir / "scratch")},
        capture_output=True, text=True, timeout=600, check=False,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("target", FUZZ_TARGETS)
def test_bounded_fuzz_run_finds_no_crash(target: str, tmp_path: Path) -> None:
    code, log = fuzz(target, tmp_path, RUNS[target])
    assert code == 0, log[-4000:]
    m = re.search(r"stat::number_of_executed_units:\s*(\d+)", log)
    assert m and int(m.group(1)) >= RUNS[target], log[-2000:]
    assert not list(tmp_path.glob("crash-*"))
