"""The worklist item store: states, notes, history, versions (web/worklist.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from aco_pipeline.errors import AcoError
from aco_pipeline.web.worklist import (
    NOTE_MAX,
    State,
    WorklistConflict,
    WorklistError,
    WorklistStore,
)

MBI = "1EG4TE5MK73"
OTHER = "2EG4TE5MK74"


@pytest.fixture
def store(tmp_path: Path) -> WorklistStore:
    return WorklistStore(tmp_path / "state" / "worklist.sqlite")


def test_an_untouched_item_is_open_at_version_0(store: WorklistStore) -> None:
    item = store.item("frequent_ed", MBI)
    assert (item.state, item.version, item.assignee, item.note) == (State.OPEN, 0, None, None)
    assert store.history("frequent_ed", MBI) == []


def test_assign_contact_close_reopen_is_stored_with_its_history(
        store: WorklistStore, tmp_path: Path) -> None:
    at = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    a = store.change("frequent_ed", MBI, "assign", by="cm1", version=0, assignee="cm2",
                     note="  call on Monday ", now=at)
    assert (a.state, a.assignee, a.note, a.version) == (State.ASSIGNED, "cm2", "call on Monday", 1)
    b = store.change("frequent_ed", MBI, "contacted", by="cm2", version=1, note="reached")
    assert (b.state, b.assignee) == (State.CONTACTED, "cm2")  # the assignee stays
    c = store.change("frequent_ed", MBI, "close", by="cm2", version=2, note="PCP booked")
    assert c.state is State.CLOSED
    d = store.change("frequent_ed", MBI, "reopen", by="cm1", version=3)
    assert (d.state, d.assignee, d.version) == (State.OPEN, None, 4)

    # a fresh store on the same file sees the same state (it is stored, not cached)
    again = WorklistStore(tmp_path / "state" / "worklist.sqlite")
    assert again.item("frequent_ed", MBI) == d
    history = again.history("frequent_ed", MBI)
    assert [(h.from_state, h.to_state, h.changed_by) for h in history] == [
        (State.OPEN, State.ASSIGNED, "cm1"), (State.ASSIGNED, State.CONTACTED, "cm2"),
        (State.CONTACTED, State.CLOSED, "cm2"), (State.CLOSED, State.OPEN, "cm1")]
    assert history[0].changed_at == "2025-03-01T12:00:00+00:00"
    assert history[2].note == "PCP booked"


def test_items_are_per_list_and_beneficiary(store: WorklistStore) -> None:
    store.change("top_spenders", MBI, "close", by="cm1", version=0)
    found = store.items("top_spenders", [MBI, OTHER])
    assert found[MBI].state is State.CLOSED and found[OTHER].state is State.OPEN
    assert store.item("frequent_ed", MBI).state is State.OPEN


def test_a_stale_version_is_refused_and_changes_nothing(store: WorklistStore) -> None:
    store.change("rising_risk", MBI, "contacted", by="cm1", version=0)
    with pytest.raises(WorklistConflict):
        store.change("rising_risk", MBI, "close", by="cm2", version=0)
    assert store.item("rising_risk", MBI).state is State.CONTACTED
    assert len(store.history("rising_risk", MBI)) == 1


@pytest.mark.parametrize(("worklist", "action", "kwargs"), [
    ("no_such_list", "close", {}),
    ("high_risk", "delete", {}),
    ("high_risk", "assign", {}),                                  # no assignee
    ("high_risk", "assign", {"assignee": "bad name; drop"}),
    ("high_risk", "close", {"assignee": "cm2"}),                  # only assign takes one
    ("high_risk", "close", {"note": "x" * (NOTE_MAX + 1)}),
    ("high_risk", "close", {"note": "bell\x07"}),
    ("high_risk", "reopen", {}),                                  # an open item
])
def test_bad_changes_are_refused_without_a_trace(store: WorklistStore, worklist: str,
                                                 action: str, kwargs: dict[str, str]) -> None:
    with pytest.raises(WorklistError) as err:
        store.change(worklist, MBI, action, by="cm1", version=0, **kwargs)
    assert isinstance(err.value, AcoError) and isinstance(err.value, ValueError)
    assert MBI not in str(err.value)
    assert store.item("high_risk", MBI).version == 0
    assert store.history("high_risk", MBI) == []


def test_a_note_of_the_maximum_length_is_kept(store: WorklistStore) -> None:
    note = "n" * NOTE_MAX
    assert store.change("high_risk", MBI, "close", by="cm1", version=0, note=note).note == note
