"""How long each incomplete delivery has waited for the rest of its files.

A CCLF delivery missing some of its twelve files is kept as incomplete until they arrive.
It waits since its first file still in raw/ was received (the ledger's `received_at`). The
caller passes the time to measure against (`as_of`), so `aco status` and `aco run` use the
clock and tests pass a fixed time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aco_pipeline.ingest.ledger import Ledger


@dataclass(frozen=True, slots=True)
class Waiting:
    delivery_id: str
    since: datetime
    hours: float
    missing: str  # "missing CCLF3, CCLF7", as the ledger says it

    def describe(self) -> str:
        return (f"{self.delivery_id}: incomplete ({self.missing}), waiting {age(self.hours)} "
                f"since {self.since.isoformat(timespec='minutes')}")


def parse_time(text: str) -> datetime:
    """A ledger time (ISO 8601, UTC) as an aware datetime."""
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def incomplete_waits(ledger: Ledger, as_of: datetime) -> list[Waiting]:
    """Every incomplete delivery with how long it has waited at `as_of`, longest first."""
    out = []
    for row in ledger.deliveries():
        if row.status != "incomplete":
            continue
        first = ledger.first_received(row.delivery_id)
        since = parse_time(first or row.updated_at)
        hours = max((as_of - since).total_seconds(), 0.0) / 3600
        out.append(Waiting(row.delivery_id, since, hours, row.detail or "files missing"))
    return sorted(out, key=lambda w: (-w.hours, w.delivery_id))


def age(hours: float) -> str:
    """`45 min`, `5.2 h`, `3 d 4 h`: short and exact enough for an operator."""
    if hours < 1:
        return f"{hours * 60:.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    days = int(hours // 24)
    return f"{days} d {int(hours - days * 24)} h"
