"""Open a CMS report bundle: a folder named like a file, a zip, or a zip without an extension
(mssp-reports.md section 1), down to the files inside, opening inner zips that have no
extension too. A workbook is a zip as well; it is recognised by its `[Content_Types].xml` and
kept whole. Reading is in memory and bounded (depth and uncompressed size)."""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aco_pipeline.cms_reports.errors import CmsReportError

ZIP_MAGIC = b"PK\x03\x04"
MAX_DEPTH = 3
MAX_MEMBER_BYTES = 2 * 1024**3  # one uncompressed member; larger is refused, not truncated


# what zipfile raises for a damaged archive: truncated (EOFError, a negative seek's
# ValueError), corrupt data (zlib.error), a garbled name (UnicodeDecodeError, a ValueError),
# an unknown version or method (NotImplementedError), an encrypted member (RuntimeError)
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, ValueError,
              NotImplementedError, RuntimeError)


@dataclass(frozen=True, slots=True)
class Member:
    """One file of a bundle: `path` from the bundle's root (through inner zips, `/`-joined),
    `name` its base name, `data` its bytes."""

    path: str
    name: str
    data: bytes


def is_zip(data: bytes) -> bool:
    return data[:4] == ZIP_MAGIC


def is_workbook(data: bytes) -> bool:
    """An .xlsx (a zip holding `[Content_Types].xml` and `xl/`)."""
    if not is_zip(data):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except ZIP_ERRORS:
        return False  # not a readable zip: not a workbook (opening it says why)
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def members(source: Path | bytes, *, name: str | None = None) -> list[Member]:
    """Every file in a bundle folder, a zip's bytes or a path to a zip, inner zips opened.

    A plain file that is neither a zip nor a folder comes back as itself.
    """
    if isinstance(source, Path):
        if source.is_dir():
            out: list[Member] = []
            for p in sorted(q for q in source.rglob("*") if q.is_file()):
                rel = p.relative_to(source).as_posix()
                out.extend(_expand(rel, p.name, p.read_bytes(), depth=1))
            return out
        return list(_expand(source.name, source.name, source.read_bytes(), depth=0))
    label = name or "bundle"
    return list(_expand(label, label, source, depth=0))


def _read_zip(path: str, data: bytes) -> list[tuple[str, bytes]]:
    """(member path, bytes) of a zip's files, sizes checked before anything is inflated."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = sorted((i for i in z.infolist() if not i.is_dir()),
                           key=lambda i: i.filename)
            too_big = next((i for i in infos if i.file_size > MAX_MEMBER_BYTES), None)
            if too_big is None:
                return [(i.filename, z.read(i)) for i in infos]
    except ZIP_ERRORS as exc:
        raise CmsReportError(f"damaged zip ({type(exc).__name__})", file=path) from None
    raise CmsReportError(f"member larger than {MAX_MEMBER_BYTES} bytes uncompressed",
                         file=f"{path}/{too_big.filename}")


def _expand(path: str, name: str, data: bytes, *, depth: int) -> Iterator[Member]:
    if not is_zip(data) or name.lower().endswith(".xlsx") or is_workbook(data):
        yield Member(path, name, data)
        return
    if depth > MAX_DEPTH:
        raise CmsReportError(f"zips nested deeper than {MAX_DEPTH} levels", file=path)
    for filename, inner in _read_zip(path, data):
        base = filename.rsplit("/", 1)[-1]
        yield from _expand(f"{path}/{filename}", base, inner, depth=depth + 1)
