"""The zip container written around pre-deflated members (including the ZIP64 path)."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import pytest

from aco_pipeline.synth.bundle import _deflate, write_zip


@pytest.mark.parametrize("limit", [0xFFFFFFFF, 10])  # 10: force ZIP64 records and extras
def test_write_zip_reads_back_with_crc(tmp_path: Path, limit: int) -> None:
    parts = [b"A" * 5000 + b"\n", b"B" * 7000 + b"\n"]
    src = tmp_path / "member.z"
    src.write_bytes(b"".join(_deflate([memoryview(p) for p in parts])))
    whole = b"".join(parts)
    small = b"hello\n"
    members = [
        ("P.A9999.ACO.ZC0Y24.D240210.T0102030", zlib.crc32(small), len(small),
         _deflate([memoryview(small)])[0], None),
        ("P.A9999.ACO.ZC1Y24.D240210.T0102030", zlib.crc32(whole), len(whole), None, src),
        ("P.A9999.ACO.ZC2Y24.D240210.T0102030", 0, 0, _deflate([memoryview(b"")])[0], None),
    ]
    out = tmp_path / "P.A9999.ACO.ZCY24.D240210.T0102030"
    write_zip(out, members, ((1 << 11) | (2 << 5) | 15, ((2024 - 1980) << 9) | (2 << 5) | 10),
              zip64_limit=limit)
    with zipfile.ZipFile(out) as zf:
        assert zf.testzip() is None
        assert [i.filename for i in zf.infolist()] == [m[0] for m in members]
        assert zf.read(members[0][0]) == small
        assert zf.read(members[1][0]) == whole
        assert zf.read(members[2][0]) == b""
        assert zf.infolist()[0].date_time == (2024, 2, 10, 1, 2, 30)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in zf.infolist())
