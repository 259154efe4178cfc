"""Benchmark of the fixed-width parser against DuckDB's raw line scan (not a test).

Generates (seeded) a CCLF5 file of the requested size, then measures, each in its own
subprocess (wall time of the work, peak RSS of the process):

* DuckDB reading every line of the file (`read_csv` with one VARCHAR column, no quoting):
  `count(*)` and `sum(length(line))`;
* `aco_pipeline.lake.fixed_width.parse_to_parquet` on the same file (optionally once per
  Parquet compression, and optionally from a zip member).

Prints a table and writes JSON to benchmarks/out/. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import zipfile
import zlib
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np

from aco_pipeline.layouts import Field, layout_for

FILE_TYPE, RECORD_LENGTH = "CCLF5", 388
SOURCE_NAME = "P.A9999.ACO.ZC5Y24.D240315.T1234567"

_ALNUM = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", dtype=np.uint8)
_POW10 = 10 ** np.arange(18, dtype=np.int64)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative int64 values as (n, width) zero-padded ASCII digits (width <= 18)."""
    pows = _POW10[:width][::-1]
    return ((values[:, None] // pows) % 10 + 48).astype(np.uint8)


def _field_rng(f: Field) -> np.random.Generator:
    """A generator fixed per field: vocabularies and blank shares stay the same per chunk."""
    return np.random.default_rng(zlib.crc32(f.name.encode()))


def _blank_share(f: Field) -> float:
    return float(_field_rng(f).choice([0.0, 0.1, 0.5, 0.9], p=[0.4, 0.3, 0.2, 0.1]))


def _left_justified(chars: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    width = chars.shape[1]
    return np.where(np.arange(width) < lengths[:, None], chars, 32).astype(np.uint8)


def _text_worst(rng: np.random.Generator, n: int, f: Field) -> np.ndarray:
    """Random characters of random length in every field: the most trimming work."""
    chars = _ALNUM[rng.integers(0, len(_ALNUM), (n, f.length))]
    lengths = rng.integers(1, f.length + 1, n)
    lengths[rng.random(n) < _blank_share(f)] = 0
    return _left_justified(chars, lengths)


def _text_realistic(rng: np.random.Generator, n: int, f: Field) -> np.ndarray:
    """Closer to CCLF columns: legacy HICN fields blank (IP v40: since 2020), short codes
    drawn from a small vocabulary, identifiers filling their width, long free-form numbers
    (control numbers) of varying length; each column with its own share of blanks."""
    if "hic" in f.name:
        return np.full((n, f.length), 32, dtype=np.uint8)
    if f.length <= 7:  # codes: a vocabulary, mostly full width (ICD-10 codes 3-7 long)
        size = 40 if f.length <= 3 else 2000
        frng = _field_rng(f)
        vocab = _ALNUM[frng.integers(0, len(_ALNUM), (size, f.length))]
        full = f.length <= 5
        lengths = np.full(size, f.length) if full else frng.integers(3, f.length + 1, size)
        picks = rng.zipf(1.5, n) % size
        out = _left_justified(vocab[picks], lengths[picks])
    elif f.length <= 12:  # identifiers (NPI, MBI, TIN): full width
        out = _ALNUM[rng.integers(0, len(_ALNUM), (n, f.length))].astype(np.uint8)
    else:
        chars = _ALNUM[rng.integers(0, len(_ALNUM), (n, f.length))]
        out = _left_justified(chars, rng.integers(10, f.length + 1, n))
    out[rng.random(n) < _blank_share(f)] = 32
    return out


def _digit_field(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    out = _digits(rng.integers(0, 10 ** min(width, 18), n, dtype=np.int64), width)
    out[rng.random(n) < 0.05] = 32
    return out


def _decimal(rng: np.random.Generator, n: int, f: Field) -> np.ndarray:
    assert f.scale is not None
    s = f.scale
    m = f.length - s - 2  # integer digits
    mag = min(m, 7)
    units = rng.integers(0, 10 ** (mag + s), n, dtype=np.int64)
    units[rng.random(n) < 0.05] = 0
    neg = rng.random(n) < 0.15
    int_part, frac = units // 10**s, units % 10**s
    out = np.empty((n, f.length), dtype=np.uint8)
    out[:, 1:1 + m] = _digits(int_part, m)
    out[:, 1 + m] = ord(".")
    out[:, 2 + m:] = _digits(frac, s)
    out[:, 0] = np.where(neg, ord("-"), 32)
    # a third of the rows space-padded with the sign floating before the first digit
    spaced = rng.random(n) < 0.33
    ndig = np.maximum(1, np.floor(np.log10(np.maximum(int_part, 1))).astype(np.int64) + 1)
    cols = np.arange(f.length)
    lead = spaced[:, None] & (cols >= 1) & (cols < (1 + m - ndig)[:, None])
    out[lead] = 32
    sign_at = np.where(spaced, m - ndig, 0)
    out[:, 0] = 32
    rows = np.flatnonzero(neg)
    out[rows, sign_at[rows]] = ord("-")
    out[rng.random(n) < 0.05] = 32
    return out


_EPOCH = np.datetime64("2015-01-01", "D")


def _date(rng: np.random.Generator, n: int) -> np.ndarray:
    days = _EPOCH + rng.integers(0, 11 * 365, n)
    y = days.astype("datetime64[Y]").astype(np.int64) + 1970
    mo = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (days - days.astype("datetime64[M]")).astype(np.int64) + 1
    out = np.empty((n, 10), dtype=np.uint8)
    out[:, 0:4] = _digits(y, 4)
    out[:, 5:7] = _digits(mo, 2)
    out[:, 8:10] = _digits(d, 2)
    out[:, [4, 7]] = ord("-")
    r = rng.random(n)
    out[r < 0.03] = np.frombuffer(b"1000-01-01", dtype=np.uint8)
    out[(r >= 0.03) & (r < 0.05)] = np.frombuffer(b"9999-12-31", dtype=np.uint8)
    out[(r >= 0.05) & (r < 0.10)] = 32
    return out


def generate_records(
    rng: np.random.Generator, n: int, file_type: str, record_length: int, profile: str
) -> bytes:
    """`n` valid, varied LF-terminated records of a layout, as bytes.

    `profile` "realistic" or "worst" (every text field of random length: most trimming).
    """
    layout = layout_for(file_type, record_length)
    block = np.full((n, record_length + 1), 32, dtype=np.uint8)
    block[:, -1] = 10
    for f in layout.fields:
        if f.name == "blank":
            continue
        if f.kind == "text":
            sub = (_text_worst if profile == "worst" else _text_realistic)(rng, n, f)
        elif f.kind == "digits":
            sub = _digit_field(rng, n, f.length)
        elif f.kind == "decimal":
            sub = _decimal(rng, n, f)
        else:
            sub = _date(rng, n)
        block[:, f.offset:f.end] = sub
    return block.tobytes()


# ---------------------------------------------------------------------------------------------
# generating the input


def data_file(workdir: Path, size_gb: float, seed: int, profile: str) -> Path:
    """The benchmark input, generated once per (size, seed, profile) and reused."""
    stride = RECORD_LENGTH + 1
    records = int(size_gb * 1e9) // stride + 1  # at least size_gb * 10**9 bytes
    path = workdir / f"cclf5-{profile}-{size_gb:g}gb-seed{seed}.txt"
    if path.exists() and path.stat().st_size == records * stride:
        return path
    workdir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    partial = path.with_suffix(".partial")
    t0 = time.perf_counter()
    with partial.open("wb") as out:
        left = records
        while left:
            n = min(left, 50_000)
            out.write(generate_records(rng, n, FILE_TYPE, RECORD_LENGTH, profile))
            left -= n
    partial.replace(path)
    print(f"generated {path} ({records:,} records) in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    return path


def zipped(path: Path) -> Path:
    """The input as the only member of a deflate zip (as CMS deliveries arrive)."""
    target = path.with_suffix(".zip")
    if not target.exists():
        partial = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED,
                             compresslevel=6) as z:
            z.write(path, SOURCE_NAME)
        partial.replace(target)
    return target


# ---------------------------------------------------------------------------------------------
# the measured work, each run in a child process (`--child`)

_READ_LINES = (
    "read_csv(?, columns={'line': 'VARCHAR'}, delim='\x1f', header=false, quote='', "
    "escape='', auto_detect=false)"
)
DUCKDB_QUERIES = {
    "duckdb count(*)": f"select count(*) from {_READ_LINES}",
    "duckdb sum(length(line))": f"select sum(length(line)) from {_READ_LINES}",
}


def child(task: str, path: Path, out: Path, compression: str | None) -> dict[str, object]:
    """Do one measured task in this process; its result and seconds as JSON-able dict."""
    if task in DUCKDB_QUERIES:
        import duckdb

        con = duckdb.connect()
        t0 = time.perf_counter()
        row = con.execute(DUCKDB_QUERIES[task], [str(path)]).fetchone()
        assert row is not None
        return {"seconds": time.perf_counter() - t0, "result": int(row[0])}
    from aco_pipeline.lake import fixed_width

    if compression:
        fixed_width.PARQUET_COMPRESSION = compression
    t0 = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if path.suffix == ".zip":
            archive = stack.enter_context(zipfile.ZipFile(path))
            stream: BinaryIO = stack.enter_context(archive.open(SOURCE_NAME))
        else:
            stream = stack.enter_context(path.open("rb"))
        result = fixed_width.parse_to_parquet(
            stream, out, file_type=FILE_TYPE, record_length=RECORD_LENGTH,
            source_file=SOURCE_NAME, delivery_date=date(2024, 3, 15),
        )
    return {
        "seconds": time.perf_counter() - t0,
        "result": result.rows,
        "output_bytes": out.stat().st_size,
        "compression": fixed_width.PARQUET_COMPRESSION,
    }


@dataclass
class Run:
    seconds: float
    process_seconds: float
    peak_rss_mb: float
    output_bytes: int | None


def run_child(task: str, path: Path, out: Path, compression: str | None,
              expected: int) -> Run:
    """Run one measurement in a fresh interpreter; its peak RSS comes from wait4()."""
    cmd = [sys.executable, __file__, "--child", task, "--child-file", str(path),
           "--child-out", str(out)]
    if compression:
        cmd += ["--child-compression", compression]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{task} failed with exit code {proc.returncode}")
    report = json.loads(output)
    if report["result"] != expected:
        raise SystemExit(f"{task}: result {report['result']}, expected {expected}")
    return Run(
        seconds=float(report["seconds"]),
        process_seconds=time.perf_counter() - t0,
        peak_rss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        output_bytes=report.get("output_bytes"),
    )


def warm_page_cache(path: Path) -> None:
    """Read the file once so that every measurement starts from the same (cached) state."""
    with path.open("rb", buffering=0) as f:
        while f.read(1 << 24):
            pass


@dataclass
class Result:
    task: str
    input: str
    compression: str | None
    runs: list[Run]
    input_bytes: int
    seconds_best: float = 0.0
    seconds_median: float = 0.0
    mb_per_s_best: float = 0.0
    mb_per_s_median: float = 0.0
    peak_rss_mb: float = 0.0
    output_mb: float | None = None
    ratio_to_duckdb_scan: float = 0.0

    def __post_init__(self) -> None:
        secs = [r.seconds for r in self.runs]
        self.seconds_best, self.seconds_median = min(secs), statistics.median(secs)
        self.mb_per_s_best = self.input_bytes / self.seconds_best / 1e6
        self.mb_per_s_median = self.input_bytes / self.seconds_median / 1e6
        self.peak_rss_mb = max(r.peak_rss_mb for r in self.runs)
        if self.runs[0].output_bytes is not None:
            self.output_mb = self.runs[0].output_bytes / 1e6


# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--workdir", type=Path, default=Path("bench-data"),
                    help="where the input (and temporary output) go (default bench-data/)")
    ap.add_argument("--size-gb", type=float, default=1.0,
                    help="input size in 10**9 bytes (default 1.0; 0.2 for a quick run)")
    ap.add_argument("--seed", type=int, default=20240315)
    ap.add_argument("--profile", choices=["realistic", "worst"], default="realistic",
                    help="text columns like CCLF's (default) or all of random length")
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    ap.add_argument("--compression", default="",
                    help="comma-separated Parquet codecs to compare (default: the module's)")
    ap.add_argument("--zip", action="store_true",
                    help="also parse from a deflate zip member (the delivery format)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "out",
                    help="directory for the JSON report (default benchmarks/out/)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-file", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--child-compression", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        print(json.dumps(child(args.child, args.child_file, args.child_out,
                               args.child_compression)))
        return 0

    path = data_file(args.workdir, args.size_gb, args.seed, args.profile)
    size = path.stat().st_size
    records = size // (RECORD_LENGTH + 1)
    output = args.workdir / "bench-output.parquet"
    codecs: list[str | None] = [c for c in args.compression.split(",") if c] or [None]
    # (label, child task, input, codec, expected result)
    tasks: list[tuple[str, str, Path, str | None, int]] = [
        ("duckdb count(*)", "duckdb count(*)", path, None, records),
        ("duckdb sum(length(line))", "duckdb sum(length(line))", path, None, size - records),
    ]
    for codec in codecs:
        label = "parse_to_parquet" + (f" [{codec}]" if codec else "")
        tasks.append((label, "parse", path, codec, records))
    if args.zip:
        tasks.append(("parse_to_parquet from zip", "parse", zipped(path), codecs[0], records))

    # rounds over all tasks (not all runs of one task, then the next): a machine whose load
    # varies over time then disturbs every task alike
    runs: dict[str, list[Run]] = {label: [] for label, *_ in tasks}
    for _ in range(args.repeat):
        for label, task, source, codec, expected in tasks:
            warm_page_cache(source)
            runs[label].append(run_child(task, source, output, codec, expected))
            output.unlink(missing_ok=True)
    # MB/s are of the uncompressed fixed-width bytes, also for the zip input
    results = [Result(label, source.name, codec, runs[label], size)
               for label, _, source, codec, _ in tasks]
    scan = max((r for r in results if r.task.startswith("duckdb")),
               key=lambda r: r.mb_per_s_best)
    for r in results:
        r.ratio_to_duckdb_scan = r.mb_per_s_best / scan.mb_per_s_best

    print(f"\n{path.name}: {size / 1e9:.3f} GB, {records:,} records of {RECORD_LENGTH} bytes "
          f"({args.profile} profile), {os.cpu_count()} CPUs, best of {args.repeat}")
    print(f"{'task':32s} {'s best':>7s} {'MB/s best':>10s} {'MB/s med':>9s} "
          f"{'x scan':>7s} {'peak RSS MB':>12s} {'output MB':>10s}")
    for r in results:
        out_mb = f"{r.output_mb:.0f}" if r.output_mb is not None else "-"
        print(f"{r.task:32s} {r.seconds_best:7.2f} {r.mb_per_s_best:10.0f} "
              f"{r.mb_per_s_median:9.0f} {r.ratio_to_duckdb_scan:7.3f} "
              f"{r.peak_rss_mb:12.0f} {out_mb:>10s}")
    print(f"(x scan: throughput relative to the fastest DuckDB line scan, {scan.task})")

    import duckdb
    import pyarrow

    from aco_pipeline.lake import fixed_width

    report = {
        "created": datetime.now().isoformat(timespec="seconds"),
        "input": {"path": str(path), "bytes": size, "records": records,
                  "record_length": RECORD_LENGTH, "file_type": FILE_TYPE,
                  "profile": args.profile, "seed": args.seed},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "pyarrow": pyarrow.__version__, "duckdb": duckdb.__version__},
        "default_compression": fixed_width.PARQUET_COMPRESSION,
        "reference_scan": scan.task,
        "results": [asdict(r) for r in results],
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = args.out / f"bench_parse-{args.profile}-{args.size_gb:g}gb-{stamp}.json"
    target.write_text(json.dumps(report, indent=2))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
