"""atheris target: the ALR reader (ingest.alr.parse_alr, table 1-1).

Run: `python -m tests.fuzz.fuzz_alr -runs=N [corpus]` (see fuzz_main.py).
"""

from pathlib import Path

import atheris

with atheris.instrument_imports(include=["aco_pipeline"]):
    from tests.fuzz import contracts
    from tests.fuzz.fuzz_main import run


def check(data: bytes, scratch: Path) -> object:
    return contracts.check_alr(data, scratch)


if __name__ == "__main__":
    run(check)
