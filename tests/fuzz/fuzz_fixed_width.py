"""atheris target: the fixed-width CCLF parser (lake.fixed_width.parse_to_parquet).

The first byte picks the file type (CCLF1, 5, 8 or 9), the rest is the file; small chunks
exercise the chunk boundaries. Run: `python -m tests.fuzz.fuzz_fixed_width -runs=N [corpus]`.
"""

from pathlib import Path

import atheris

with atheris.instrument_imports(include=["aco_pipeline"]):
    from tests.fuzz import contracts
    from tests.fuzz.fuzz_main import run


def check(data: bytes, scratch: Path) -> object:
    if not data:
        return None
    file_type = contracts.FIXED_WIDTH_TYPES[data[0] % len(contracts.FIXED_WIDTH_TYPES)]
    return contracts.check_fixed_width(data[1:], file_type, scratch, chunk_bytes=512)


if __name__ == "__main__":
    run(check)
