"""Fault-suite fixtures: one small synthetic ACO, split into a first and a second batch."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from aco_pipeline.naming import parse_name
from aco_pipeline.synth import generate
from tests.arrival.servers import aws_env, moto_endpoint  # noqa: F401  (S3 fixtures)
from tests.ingest.helpers import ACO, deliveries_in

SEED = int(os.environ.get("ACO_FAULT_SEED", "20260412"))
"""The schedule's seed (the long run takes --seed; a failing point is reproduced with it)."""


@dataclass(frozen=True)
class Inbox:
    all: list[Path]
    first: list[Path]  # the earliest deliveries (created on the first delivery date)
    rest: list[Path]


def split_inbox(deliveries: list[Path]) -> Inbox:
    created = {p: parse_name(p.name).created for p in deliveries}
    first_day = min(d for d in created.values() if d is not None)
    first = [p for p in deliveries if created[p] == first_day]
    return Inbox(deliveries, first, [p for p in deliveries if p not in first])


@pytest.fixture(scope="session")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Inbox:
    """40 beneficiaries, two monthly CCLF deliveries, a quarterly ALR, two BNEX files."""
    out = tmp_path_factory.mktemp("fault-inbox")
    generate(out, beneficiaries=40, start="2024-01", months=2, seed=3, aco_id=ACO)
    return split_inbox(deliveries_in(out / "deliveries"))


def tmpfs_missing_reason() -> str | None:
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root (CAP_SYS_ADMIN); the injected-ENOSPC tests " \
               "cover disk full without it"
    return None


@contextmanager
def small_disk(path: Path, size_kib: int) -> Iterator[Path]:
    """A tmpfs of `size_kib` KiB mounted at `path` for the duration (root only)."""
    path.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs",
                           str(path)], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def resize_disk(path: Path, size_kib: int) -> None:
    """Give the tmpfs at `path` more room ("space is back")."""
    subprocess.run(["mount", "-o", f"remount,size={size_kib}k", str(path)], check=True)
