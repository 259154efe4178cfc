"""The published warehouse as the web app sees it: opened read-only for one request at a time.

`aco build` publishes by an atomic rename of `warehouse/aco.duckdb` (or, on Spark, by
replacing the `CURRENT.json` pointer to a folder of Parquet tables). The app never holds the
file open between requests: each request opens whatever is published at that moment through
`aco_pipeline.warehouse.read.connect` (the one read path) and closes it at the end, so a
request in flight keeps reading the file it opened while the next request sees the new build,
without a restart.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from aco_pipeline.config import Workspace
from aco_pipeline.warehouse import read

if TYPE_CHECKING:
    import duckdb

NOT_PUBLISHED = "none"


class WarehouseHandle:
    """The workspace's currently published warehouse."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection to the warehouse published now, closed on exit; raises
        `read.WarehouseReadError` when nothing is published."""
        with read.connect(self.workspace) as con:
            yield con

    def version(self) -> str:
        """Changes whenever a new build is published (the file's inode, size and mtime, or
        the Spark pointer's schema and build time); `"none"` before the first build."""
        if self.workspace.engine == "spark":
            from aco_pipeline.warehouse.build import spark_current

            current = spark_current(self.workspace)
            if current is None:
                return NOT_PUBLISHED
            return f"spark:{current.get('schema', '')}:{current.get('built_at', '')}"
        try:
            st = os.stat(self.workspace.warehouse_path)
        except FileNotFoundError:
            return NOT_PUBLISHED
        return f"duckdb:{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"

    @property
    def published(self) -> bool:
        return self.version() != NOT_PUBLISHED
