"""atheris target: the CCLF0 reader (ingest.cclf0.parse_cclf0).

Run: `python -m tests.fuzz.fuzz_cclf0 -runs=N [corpus]` (see fuzz_main.py).
"""

from pathlib import Path

import atheris

with atheris.instrument_imports(include=["aco_pipeline"]):
    from tests.fuzz import contracts
    from tests.fuzz.fuzz_main import run


def check(data: bytes, scratch: Path) -> object:
    return contracts.check_cclf0(data)


if __name__ == "__main__":
    run(check)
