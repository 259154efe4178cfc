"""Which delivery counts when CMS sends a report again (mssp-reports.md sections 2-3).

- QEXPU: a re-delivery for the same quarter supersedes the earlier one.
- BNMRK: up to three deliveries per performance year (March preliminary, June, October) stand
  beside each other; all are kept and the latest is marked.
Both compare the `D…T…` stamps; a placeholder date (`D259999`) sorts before every real one,
so a sample file never outranks a real delivery.
"""

from __future__ import annotations

from collections.abc import Iterable

from aco_pipeline.cms_reports.names import ReportName


def order_key(name: ReportName) -> tuple[int, str]:
    return (0 if name.placeholder_date else 1, name.stamp)


def group_key(name: ReportName) -> tuple[str, str, int | None, str | None]:
    """QEXPU: ACO x quarter; BNMRK: ACO x performance year; others: ACO x kind x period."""
    if name.kind == "bnmrk":
        return (name.aco_id, name.kind, name.performance_year, None)
    return (name.aco_id, f"{name.kind}:{name.report_type}", name.performance_year, name.period)


def latest(names: Iterable[ReportName]) -> dict[str, bool]:
    """Each name -> whether it is the latest of its group (QEXPU: the one that stands; the
    others are superseded. BNMRK: the one marked latest; the others stand beside it)."""
    items = list(names)
    best: dict[tuple[str, str, int | None, str | None], ReportName] = {}
    for n in items:
        k = group_key(n)
        if k not in best or order_key(n) > order_key(best[k]):
            best[k] = n
    return {n.name: best[group_key(n)] is n for n in items}


def superseded(names: Iterable[ReportName]) -> set[str]:
    """QEXPU names a later delivery of the same quarter replaces (BNMRK never: all stand)."""
    return {name for name, is_latest in latest(n for n in names if n.kind == "qexpu").items()
            if not is_latest}
