#!/usr/bin/env bash
# Longer coverage-guided fuzzing (atheris) of every CMS parser; the test suite runs a short,
# bounded version of the same targets (tests/fuzz/test_atheris.py).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     default: 300 s, every target
#
# Each target starts from the seed corpus of valid files (tests/fuzz/contracts.py) kept in
# .cache/fuzz/<target>/corpus, which grows between runs. An input that breaks a parser's
# contract is saved as .cache/fuzz/<target>/crash-*; the script then exits non-zero.
# Reproduce one with: .venv/bin/python -m tests.fuzz.fuzz_<target> <crash file>
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(fixed_width cclf0 alr bnex puf)
fi
py=.venv/bin/python
status=0
for t in "${targets[@]}"; do
    dir=".cache/fuzz/$t"
    mkdir -p "$dir/corpus" "$dir/scratch"
    "$py" -c "
import sys; from pathlib import Path
from tests.fuzz.contracts import seed_corpus
for i, data in enumerate(seed_corpus(sys.argv[1])):
    Path(sys.argv[2], f'seed-{i}').write_bytes(data)
" "$t" "$dir/corpus"
    echo "== $t: ${seconds} s"
    if ACO_FUZZ_SCRATCH="$dir/scratch" "$py" -m "tests.fuzz.fuzz_$t" \
            -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
            -artifact_prefix="$dir/" "$dir/corpus" 2>"$dir/log"; then
        grep -E "stat::number_of_executed_units|stat::new_units_added" "$dir/log" || true
    else
        status=1
        echo "$t: crash, see $dir/log and $dir/crash-*"
        grep -A30 "Uncaught Python exception" "$dir/log" | head -40 || true
    fi
    rm -rf "$dir/scratch"
done
exit $status
