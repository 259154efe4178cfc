"""Staging of compressed records per delivery, then one deterministic zip per delivery.

Each chunk of beneficiaries contributes one piece of records to every (delivery, file)
pair. A piece is deflated on its own in a background thread and ended with a sync flush, so
the pieces of a file concatenate into one valid deflate stream once an empty final block is
appended (the technique of pigz). Compression thus overlaps the drawing of the next chunk, no
uncompressed copy of the data is ever written, and memory holds at most one chunk's records.

At the end each delivery gets its CCLF0 with the true counts and is written as a zip named as
CMS names it (IP v40 4.2: no extension), members in file order `ZC0`..`ZC9`, `ZCA`, `ZCB`,
DEFLATE, fixed timestamps (the delivery's own D/T stamp) and ZIP64 records only when a size
or offset needs them, so one seed gives byte-identical zips.
"""

from __future__ import annotations

import itertools
import shutil
import struct
import zlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from aco_pipeline import naming
from aco_pipeline.layouts import CLAIM_FILE_TYPES, current_layout
from aco_pipeline.synth import cclf0
from aco_pipeline.synth.timeline import Delivery, Schedule

INNER_ORDER = ("CCLF0", *CLAIM_FILE_TYPES)
COMPRESS_LEVEL = 3
"""zlib level: on this data 3 deflates ~2x faster than the default 6 for ~20% larger zips,
and compression is most of the generator's CPU time."""
FINAL_BLOCK = b"\x03\x00"  # an empty final fixed-Huffman block: ends the deflate stream
ZIP64_LIMIT = 0xFFFFFFFF
MAX_PENDING = 11  # compression jobs in flight (one chunk's files)


def _deflate(pieces: list[memoryview]) -> list[bytes]:
    out = []
    for piece in pieces:
        c = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        out.append(c.compress(piece) + c.flush(zlib.Z_SYNC_FLUSH))
    return out


class Stage:
    def __init__(self, root: Path, schedule: Schedule, workers: int = 2) -> None:
        self.root = root
        self.schedule = schedule
        n = len(schedule.deliveries)
        self.counts = np.zeros((n, len(CLAIM_FILE_TYPES)), np.int64)
        self.crc = [[0] * len(CLAIM_FILE_TYPES) for _ in range(n)]
        self.raw = [[0] * len(CLAIM_FILE_TYPES) for _ in range(n)]
        root.mkdir(parents=True, exist_ok=True)
        for d in schedule.deliveries:
            (root / str(d.index)).mkdir(exist_ok=True)
            for t in CLAIM_FILE_TYPES:
                (root / str(d.index) / t).write_bytes(b"")
        self.pool = ThreadPoolExecutor(max_workers=max(workers, 1))
        self.pending: deque[tuple[int, list[int], list[memoryview], Future[list[bytes]]]] = (
            deque())

    def append(self, file_type: str, block: np.ndarray, delivery: np.ndarray) -> None:
        """Queue encoded rows (`block`, rows ordered by `delivery`) for each delivery's file."""
        if not block.shape[0]:
            return
        col = CLAIM_FILE_TYPES.index(file_type)
        cuts = np.flatnonzero(np.diff(delivery)) + 1
        bounds = np.concatenate([[0], cuts, [delivery.shape[0]]]).tolist()
        targets: list[int] = []
        pieces: list[memoryview] = []
        for a, b in itertools.pairwise(bounds):
            d = int(delivery[a])
            targets.append(d)
            pieces.append(memoryview(np.ascontiguousarray(block[a:b])).cast("B"))
            self.counts[d, col] += b - a
        self.pending.append((col, targets, pieces, self.pool.submit(_deflate, pieces)))
        while len(self.pending) > MAX_PENDING:
            self._write_oldest()

    def _write_oldest(self) -> None:
        col, targets, pieces, future = self.pending.popleft()
        ft = CLAIM_FILE_TYPES[col]
        for d, raw, packed in zip(targets, pieces, future.result(), strict=True):
            self.crc[d][col] = zlib.crc32(raw, self.crc[d][col])
            self.raw[d][col] += raw.nbytes
            with open(self.root / str(d) / ft, "ab") as fh:
                fh.write(packed)

    def close(self) -> None:
        while self.pending:
            self._write_oldest()
        self.pool.shutdown()

    def abort(self) -> None:
        """Stop compressing and remove the staging folder (after an error)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pending.clear()
        shutil.rmtree(self.root, ignore_errors=True)

    def finish(self, out_dir: Path, progress: Callable[[int], None] | None = None) -> list[Path]:
        self.close()
        lengths = {t: current_layout(t).record_length for t in CLAIM_FILE_TYPES}
        out: list[Path] = []
        for d in self.schedule.deliveries:
            counts = {t: int(self.counts[d.index, i]) for i, t in enumerate(CLAIM_FILE_TYPES)}
            summary = cclf0.render(counts, lengths)
            members = [(naming.cclf_inner_name(d.bundle_name, "CCLF0"), zlib.crc32(summary),
                        len(summary), _deflate([memoryview(summary)])[0], None)]
            folder = self.root / str(d.index)
            for i, t in enumerate(CLAIM_FILE_TYPES):
                members.append((naming.cclf_inner_name(d.bundle_name, t), self.crc[d.index][i],
                                self.raw[d.index][i], None, folder / t))
            path = out_dir / d.bundle_name
            write_zip(path, members, _dos_stamp(d))
            shutil.rmtree(folder)
            out.append(path)
            if progress:
                progress(1)
        shutil.rmtree(self.root, ignore_errors=True)
        return out


def _dos_stamp(d: Delivery) -> tuple[int, int]:
    c = d.created
    hh, mm, ss = int(d.time[0:2]), int(d.time[2:4]), int(d.time[4:6])
    return (hh << 11) | (mm << 5) | (ss // 2), ((c.year - 1980) << 9) | (c.month << 5) | c.day


Member = tuple[str, int, int, bytes | None, Path | None]
"""(name, crc32, uncompressed size, deflated bytes or None, file of deflated pieces or None)."""


def write_zip(path: Path, members: list[Member], stamp: tuple[int, int],
              zip64_limit: int = ZIP64_LIMIT) -> None:
    """A zip of pre-deflated members (APPNOTE 6.3: local headers, central directory, ZIP64
    extra fields / end records only where a value does not fit 32 bits)."""
    dos_time, dos_date = stamp
    central: list[bytes] = []
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as fh:
        for name, crc, size, data, src in members:
            comp = (len(data) if data is not None else src.stat().st_size) + len(FINAL_BLOCK)
            offset = fh.tell()
            big = size >= zip64_limit or comp >= zip64_limit
            raw_name = name.encode("ascii")
            extra = struct.pack("<HHQQ", 1, 16, size, comp) if big else b""
            version = 45 if big else 20
            fh.write(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", version, 0, 0, 8, dos_time,
                                 dos_date, crc, ZIP64_LIMIT if big else comp,
                                 ZIP64_LIMIT if big else size, len(raw_name), len(extra)))
            fh.write(raw_name + extra)
            if data is not None:
                fh.write(data)
            else:
                assert src is not None
                with open(src, "rb") as s:
                    shutil.copyfileobj(s, fh, 1 << 22)
            fh.write(FINAL_BLOCK)
            c_extra_vals = []
            if big:
                c_extra_vals += [size, comp]
            if offset >= zip64_limit:
                c_extra_vals.append(offset)
            c_extra = (struct.pack(f"<HH{len(c_extra_vals)}Q", 1, 8 * len(c_extra_vals),
                                   *c_extra_vals) if c_extra_vals else b"")
            c_version = 45 if c_extra_vals else 20
            central.append(struct.pack(
                "<4s4B4HL2L5H2L", b"PK\x01\x02", c_version, 3, c_version, 0, 0, 8, dos_time,
                dos_date, crc, ZIP64_LIMIT if big else comp, ZIP64_LIMIT if big else size,
                len(raw_name), len(c_extra), 0, 0, 0, 0o100644 << 16,
                ZIP64_LIMIT if offset >= zip64_limit else offset) + raw_name + c_extra)
        cd_offset = fh.tell()
        cd = b"".join(central)
        fh.write(cd)
        n = len(members)
        if cd_offset >= zip64_limit or n >= 0xFFFF:
            eocd64 = fh.tell()
            fh.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(cd),
                                 cd_offset))
            fh.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd64, 1))
            fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF),
                                 min(n, 0xFFFF), len(cd), ZIP64_LIMIT, 0))
        else:
            fh.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(cd), cd_offset, 0))
    tmp.replace(path)
