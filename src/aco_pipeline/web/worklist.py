"""Care-manager worklist item state: assigned, contacted, closed, with a short note.

The lists themselves are the canonical tables (`metric_care_*`, `metric_risk_scores`); what a
care manager does about a row is stored here, in SQLite in the workspace state folder
(`worklist.sqlite`), never in the warehouse (a build replaces the warehouse file; the state must
survive it). An item is one beneficiary on one worklist, keyed by the worklist's name and the
current MBI: the MBI stays on the server (URLs carry the opaque beneficiary token), and keying
by MBI rather than token keeps the state if the token key is ever rotated.

Every change is one transaction that updates the item and appends a row to `item_changes`
(who, when in UTC, from and to which state, assignee, note): the item's history. Each item has
a version; a change names the version it was made on, so two people editing the same item
cannot silently overwrite each other (the second gets `WorklistConflict`). The route audits
every change (`services.audit.record`); this module stores and validates only.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from aco_pipeline.errors import AcoError

FILE_NAME = "worklist.sqlite"
NOTE_MAX = 500
ASSIGNEE = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
# the worklists items can be stored for (pages/care.py shows each)
WORKLISTS = ("high_risk", "frequent_ed", "discharges_without_followup", "rising_risk",
             "top_spenders")


class WorklistError(AcoError, ValueError):
    """A change that cannot be made: unknown list or action, bad assignee or note."""


class WorklistConflict(WorklistError):
    """The item changed since the version the change was made on."""


class State(StrEnum):
    OPEN = "open"
    ASSIGNED = "assigned"
    CONTACTED = "contacted"
    CLOSED = "closed"


class Action(StrEnum):
    ASSIGN = "assign"
    CONTACTED = "contacted"
    CLOSE = "close"
    REOPEN = "reopen"


# the state each action leads to, and the states it may start from
TRANSITIONS: dict[Action, tuple[State, frozenset[State]]] = {
    Action.ASSIGN: (State.ASSIGNED, frozenset({State.OPEN, State.ASSIGNED, State.CONTACTED})),
    Action.CONTACTED: (State.CONTACTED,
                       frozenset({State.OPEN, State.ASSIGNED, State.CONTACTED})),
    Action.CLOSE: (State.CLOSED, frozenset({State.OPEN, State.ASSIGNED, State.CONTACTED})),
    Action.REOPEN: (State.OPEN, frozenset({State.CLOSED})),
}


@dataclass(frozen=True, slots=True)
class Item:
    worklist: str
    mbi: str
    state: State = State.OPEN
    assignee: str | None = None
    note: str | None = None
    version: int = 0
    updated_by: str | None = None
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    worklist: str
    mbi: str
    version: int
    from_state: State
    to_state: State
    assignee: str | None
    note: str | None
    changed_by: str
    changed_at: str


_SCHEMA = """
create table if not exists items (
    worklist text not null,
    mbi text not null,
    state text not null,
    assignee text,
    note text,
    version integer not null,
    updated_by text not null,
    updated_at text not null,
    primary key (worklist, mbi)
);
create table if not exists item_changes (
    id integer primary key autoincrement,
    worklist text not null,
    mbi text not null,
    version integer not null,
    from_state text not null,
    to_state text not null,
    assignee text,
    note text,
    changed_by text not null,
    changed_at text not null
);
create index if not exists item_changes_item on item_changes (worklist, mbi, version);
"""


def clean_note(text: str | None) -> str | None:
    """A note as stored: trimmed, control characters (but newlines) refused, at most
    NOTE_MAX characters; None when empty."""
    if text is None:
        return None
    note = text.replace("\r\n", "\n").strip()
    if not note:
        return None
    if len(note) > NOTE_MAX:
        raise WorklistError(f"the note is longer than {NOTE_MAX} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in note):
        raise WorklistError("the note contains control characters")
    return note


class WorklistStore:
    """Worklist item state in one SQLite file (created on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            if not self._ready:
                con.executescript(_SCHEMA)
                self._ready = True
            yield con
        finally:
            con.close()

    @staticmethod
    def _check_list(worklist: str) -> None:
        if worklist not in WORKLISTS:
            raise WorklistError(f"unknown worklist; one of {', '.join(WORKLISTS)}")

    def items(self, worklist: str, mbis: Iterable[str]) -> dict[str, Item]:
        """The stored state of these beneficiaries on `worklist` (open when never changed)."""
        self._check_list(worklist)
        wanted = list(dict.fromkeys(mbis))
        out = {mbi: Item(worklist, mbi) for mbi in wanted}
        with self._connect() as con:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ", ".join("?" * len(chunk))
                for row in con.execute(
                        "select mbi, state, assignee, note, version, updated_by, updated_at "
                        f"from items where worklist = ? and mbi in ({marks})",
                        [worklist, *chunk]):
                    out[row[0]] = Item(worklist, row[0], State(row[1]), row[2], row[3],
                                       row[4], row[5], row[6])
        return out

    def mbis(self, worklist: str, states: Iterable[State]) -> list[str]:
        """The beneficiaries of `worklist` whose stored item is in one of `states` (an item
        never changed is open and is not stored: ask for the others to find the open ones)."""
        self._check_list(worklist)
        wanted = [State(s).value for s in states]
        if not wanted:
            return []
        with self._connect() as con:
            found = con.execute(
                f"select mbi from items where worklist = ? and state in "
                f"({', '.join('?' * len(wanted))}) order by mbi", [worklist, *wanted])
            return [r[0] for r in found]

    def item(self, worklist: str, mbi: str) -> Item:
        return self.items(worklist, [mbi])[mbi]

    def history(self, worklist: str, mbi: str) -> list[Change]:
        """Every change of one item, oldest first."""
        self._check_list(worklist)
        with self._connect() as con:
            found = con.execute(
                "select version, from_state, to_state, assignee, note, changed_by, changed_at "
                "from item_changes where worklist = ? and mbi = ? order by version",
                [worklist, mbi]).fetchall()
        return [Change(worklist, mbi, r[0], State(r[1]), State(r[2]), r[3], r[4], r[5], r[6])
                for r in found]

    def change(self, worklist: str, mbi: str, action: str, *, by: str, version: int,
               assignee: str | None = None, note: str | None = None,
               now: datetime | None = None) -> Item:
        """Apply `action` to the item as of `version` (the version the user saw) and record
        it; the new item. Raises WorklistError for a bad request and WorklistConflict when the
        item has moved on since `version`."""
        self._check_list(worklist)
        try:
            act = Action(action)
        except ValueError:
            raise WorklistError(
                f"unknown action; one of {', '.join(a.value for a in Action)}") from None
        text = clean_note(note)
        to_state, allowed_from = TRANSITIONS[act]
        if act is Action.ASSIGN:
            if not assignee or not ASSIGNEE.match(assignee):
                raise WorklistError("assign needs an assignee (a user name)")
        elif assignee:
            raise WorklistError("only assign takes an assignee")
        stamp = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        with self._connect() as con:
            con.execute("begin immediate")
            try:
                row = con.execute(
                    "select state, assignee, version from items where worklist = ? and mbi = ?",
                    [worklist, mbi]).fetchone()
                current = State(row[0]) if row else State.OPEN
                current_version = row[2] if row else 0
                if version != current_version:
                    raise WorklistConflict("the item was changed by someone else; reload it")
                if current not in allowed_from:
                    raise WorklistError(f"cannot {act.value} an item that is {current.value}")
                keep = assignee if act is Action.ASSIGN else (row[1] if row else None)
                if act is Action.REOPEN:
                    keep = None
                new_version = current_version + 1
                con.execute(
                    "insert into items (worklist, mbi, state, assignee, note, version, "
                    "updated_by, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?) "
                    "on conflict (worklist, mbi) do update set state = excluded.state, "
                    "assignee = excluded.assignee, note = excluded.note, "
                    "version = excluded.version, updated_by = excluded.updated_by, "
                    "updated_at = excluded.updated_at",
                    [worklist, mbi, to_state.value, keep, text, new_version, by, stamp])
                con.execute(
                    "insert into item_changes (worklist, mbi, version, from_state, to_state, "
                    "assignee, note, changed_by, changed_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [worklist, mbi, new_version, current.value, to_state.value, keep, text, by,
                     stamp])
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
        return Item(worklist, mbi, to_state, keep, text, new_version, by, stamp)
