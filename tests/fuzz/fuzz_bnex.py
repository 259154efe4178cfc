"""atheris target: the BNEX reader (ingest.bnex.parse_bnex).

Run: `python -m tests.fuzz.fuzz_bnex -runs=N [corpus]` (see fuzz_main.py).
"""

from pathlib import Path

import atheris

with atheris.instrument_imports(include=["aco_pipeline"]):
    from tests.fuzz import contracts
    from tests.fuzz.fuzz_main import run


def check(data: bytes, scratch: Path) -> object:
    return contracts.check_bnex(data, scratch)


if __name__ == "__main__":
    run(check)
