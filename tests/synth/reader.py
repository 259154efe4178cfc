"""An independent reader for the generator's output, used only by the tests.

It slices records by the layouts' field positions (never tokenises), so the tests check the
written bytes, not the generator's in-memory arrays.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from aco_pipeline import naming
from aco_pipeline.layouts import current_layout


@dataclass
class Delivery:
    path: Path
    name: str
    runout: bool
    created: str
    files: dict[str, bytes]  # CCLF0..CCLFB -> raw bytes


def deliveries(folder: Path) -> list[Delivery]:
    out = []
    for p in sorted((folder / "deliveries").iterdir()):
        if not p.is_file():
            continue
        info = naming.parse_name(p.name) if ".ACO.ZC" in p.name else None
        if info is None or info.kind != "cclf_bundle":
            continue
        with zipfile.ZipFile(p) as zf:
            files = {}
            for member in zf.infolist():
                inner = naming.parse_name(member.filename)
                assert inner.file_type is not None
                files[inner.file_type] = zf.read(member)
        out.append(Delivery(p, p.name, info.run == "runout", info.stamp, files))
    out.sort(key=lambda d: (d.created, d.runout))
    return out


def records(data: bytes, width: int) -> np.ndarray:
    """(n, width) uint8 view of LF-terminated fixed-width records (asserts the shape)."""
    if not data:
        return np.empty((0, width), np.uint8)
    arr = np.frombuffer(data, np.uint8)
    assert arr.shape[0] % (width + 1) == 0, "file is not a whole number of records"
    block = arr.reshape(-1, width + 1)
    assert (block[:, width] == 10).all(), "record not terminated by LF at its length"
    return block[:, :width]


def column(block: np.ndarray, file_type: str, field: str) -> np.ndarray:
    f = current_layout(file_type).field(field)
    if not block.shape[0]:
        return np.empty(0, f"S{f.length}")
    raw = np.ascontiguousarray(block[:, f.offset:f.end]).view(f"S{f.length}").ravel()
    return np.char.strip(raw)


def amount(block: np.ndarray, file_type: str, field: str) -> np.ndarray:
    """Signed explicit-decimal amounts -> integer minor units."""
    f = current_layout(file_type).field(field)
    if not block.shape[0]:
        return np.empty(0, np.int64)
    raw = np.ascontiguousarray(block[:, f.offset:f.end]).view(f"S{f.length}").ravel()
    txt = np.char.strip(raw)
    neg = np.char.startswith(txt, b"-")
    digits = np.char.replace(np.char.lstrip(txt, b"-"), b".", b"")
    val = digits.astype(np.int64)
    return np.where(neg, -val, val)


def iter_files(folder: Path) -> Iterator[tuple[str, str, bytes]]:
    for d in deliveries(folder):
        for ft, data in d.files.items():
            yield d.name, ft, data
