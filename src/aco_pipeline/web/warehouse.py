"""The published warehouse as the web app sees it: opened read-only for one request at a time.

`aco build` publishes by an atomic rename of `warehouse/aco.duckdb` (or, on Spark, by
replacing the `CURRENT.json` pointer to a folder of Parquet tables). The app never holds the
file open between requests: each request opens whatever is published at that moment and
closes it at the end, so a request in flight keeps reading the file it opened while the next
request sees the new build, without a restart.

DuckDB engine: `duckdb.connect(path)` shares one database instance per path within a process
(its instance cache), so while any request still holds the previous file open, a new
`connect` to the same path would be handed the *previous* file, and under steady load the app
might never switch. Each request therefore ATTACHes the published file read-only into its own
in-memory database, under the file's own catalog name (dbt's view definitions name it), which
opens the file the path names now. Spark engine: `aco_pipeline.warehouse.read.connect` (views
over the published Parquet folders, opened fresh per call).
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
        if self.workspace.engine == "spark":
            with read.connect(self.workspace) as con:
                yield con
            return
        import duckdb

        path = self.workspace.warehouse_path
        if not path.is_file():
            raise read.WarehouseReadError(f"no warehouse at {path}; build it with `aco build`")
        con = duckdb.connect()
        try:
            catalog = path.stem.replace('"', '""')
            location = str(path).replace("'", "''")
            try:
                con.execute(f"attach '{location}' as \"{catalog}\" (read_only)")
            except duckdb.IOException as exc:  # renamed away between the check and the open
                raise read.WarehouseReadError(f"the warehouse at {path} could not be opened "
                                              f"({type(exc).__name__}); retry") from None
            con.execute(f'use "{catalog}"')
            yield con
        finally:
            con.close()

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
