"""Command-line interface: one module per command group, all registered on one app."""

from __future__ import annotations

import errno
import sys

import typer

from aco_pipeline.cli import (  # noqa: F401  (registers commands)
    audit,
    build,
    demo,
    docs,
    forecast,
    ingest,
    pull,
    report,
    report_bridge,
    report_care,
    report_completion,
    report_expenditure,
    report_providers,
    report_risk,
    report_tieout,
    report_utilization,
    run,
    serve,
    settle,
    status,
    synth,
    user,
    verify,
    watch,
    workspace,
)
from aco_pipeline.cli.app import app

EXIT_USAGE = 1  # README: 0 success, 1 usage or configuration error, 2 quarantined/rejected
EXIT_FAILED = 1  # a command that could not finish (e.g. the disk is full)

# storage failures a user fixes outside the program; anything else an OSError says is a bug
# or a problem worth its traceback
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def main() -> None:
    """The `aco` entry point: click's usage errors (unknown option, bad value) exit with 1 like
    every other usage or configuration error, not click's default 2, which the README
    reserves for a quarantined delivery or a rejected file."""
    from typer.exceptions import TyperException

    try:
        code = app(standalone_mode=False)
    except OSError as exc:
        if exc.errno not in _STORAGE_ERRNOS:
            raise
        # paths name workspace folders and CMS file names, never PHI
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"error: {exc.strerror or 'storage failure'}{where}: nothing was published "
              "half-way and what was published before is intact; make room (or fix the "
              "storage) and run the command again", file=sys.stderr)
        sys.exit(EXIT_FAILED)
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except TyperException as exc:  # click's usage errors, vendored by Typer
        show = getattr(exc, "show", None)
        if show is None:
            raise
        show()
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
