"""The migration records' writes a move makes (db/cell/migration_records.py), on
MariaDB: create-if-absent, the status guard, the copy to another cell, hiding, purging.
The races run real concurrent transactions."""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Callable

from db.cell import migration_records
from db.cell.migration_records import MigrationRecord

BEFORE_FLIP = ("pre-migrating", "migrating")


def _race(count: int, call: Callable[[], object]) -> list[object]:
    """``call`` from ``count`` threads released at once; what each returned."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _start(url: str, instance_uuid: str, migration_uuid: str | None = None,
           **fields) -> MigrationRecord:
    record, created = migration_records.create_if_absent(
        url, migration_uuid or str(uuid.uuid4()), instance_uuid, "migration",
        "pre-migrating", source_compute="h1", **fields)
    assert created
    return record


def _listed(url: str) -> list[str]:
    return [r.uuid for r in migration_records.page(url, 100)]


def test_create_if_absent_writes_once(cell_dbs):
    url = cell_dbs["cell1"]
    instance, migration = str(uuid.uuid4()), str(uuid.uuid4())
    first = _start(url, instance, migration, old_flavor_id="1")

    again, created = migration_records.create_if_absent(
        url, migration, instance, "migration", "pre-migrating", source_compute="other")

    assert not created
    assert again == first
    assert again.source_compute == "h1" and again.old_flavor_id == "1"


def test_racing_creates_write_one_record(cell_dbs):
    url = cell_dbs["cell1"]
    instance, migration = str(uuid.uuid4()), str(uuid.uuid4())

    results = _race(8, lambda: migration_records.create_if_absent(
        url, migration, instance, "migration", "pre-migrating", source_compute="h1"))

    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert {record.id for record, _ in results} == {results[0][0].id}
    assert _listed(url) == [migration]


def test_a_create_that_loses_the_insert_race_returns_the_winner(cell_dbs, monkeypatch):
    url = cell_dbs["cell1"]
    instance, migration = str(uuid.uuid4()), str(uuid.uuid4())
    winner = _start(url, instance, migration)
    real_get = migration_records.get_by_uuid
    reads = []

    def missed_first(cell_url, migration_uuid):
        # The other writer commits between this caller's read and its insert.
        reads.append(migration_uuid)
        return None if len(reads) == 1 else real_get(cell_url, migration_uuid)

    monkeypatch.setattr(migration_records, "get_by_uuid", missed_first)
    record, created = migration_records.create_if_absent(
        url, migration, instance, "migration", "pre-migrating", source_compute="other")

    assert (record, created, len(reads)) == (winner, False, 2)
    assert _listed(url) == [migration]


def test_advance_only_from_the_expected_status(cell_dbs):
    url = cell_dbs["cell1"]
    record = _start(url, str(uuid.uuid4()))

    assert migration_records.advance(url, record.uuid, "migrating", BEFORE_FLIP,
                                     dest_compute="h2", dest_node="h2", dest_host="h2")
    # A rolled-back move: a late or redelivered step cannot bring it back.
    assert migration_records.advance(url, record.uuid, "error", BEFORE_FLIP)
    assert not migration_records.advance(url, record.uuid, "migrating", BEFORE_FLIP,
                                         dest_compute="h3")
    assert not migration_records.advance(url, record.uuid, "completed",
                                         ("post-migrating",))

    now = migration_records.get_by_uuid(url, record.uuid)
    assert (now.status, now.dest_compute, now.dest_node, now.dest_host) == (
        "error", "h2", "h2", "h2")
    assert now.updated_at is not None
    assert not migration_records.advance(url, str(uuid.uuid4()), "error", BEFORE_FLIP)


def test_racing_advances_let_one_win(cell_dbs):
    url = cell_dbs["cell1"]
    record = _start(url, str(uuid.uuid4()))
    assert migration_records.advance(url, record.uuid, "post-migrating", BEFORE_FLIP)

    won = _race(8, lambda: migration_records.advance(url, record.uuid, "completed",
                                                     ("post-migrating",)))

    assert sorted(won) == [False] * 7 + [True]
    assert migration_records.get_by_uuid(url, record.uuid).status == "completed"


def test_copy_replaces_the_targets_records_of_the_instance(cell_dbs):
    source, target = cell_dbs["cell1"], cell_dbs["cell2"]
    instance, other = str(uuid.uuid4()), str(uuid.uuid4())
    old = _start(source, instance, created_at=datetime.datetime(2024, 1, 1))
    migration_records.advance(source, old.uuid, "completed", BEFORE_FLIP)
    current = _start(source, instance)
    # A hidden copy an earlier delivery left (the move has not flipped yet).
    stale = _start(target, instance)
    migration_records.set_hidden(target, instance, True)
    unrelated = _start(target, other)

    assert migration_records.copy_for_instance(source, target, instance, hidden=True) == 2
    # A redelivered copy step copies again: still one record per uuid.
    migration_records.copy_for_instance(source, target, instance, hidden=True)

    assert _listed(target) == [unrelated.uuid]
    copies = {uuid_: migration_records.get_by_uuid(target, uuid_)
              for uuid_ in (old.uuid, current.uuid)}
    assert copies[old.uuid].status == "completed"
    assert copies[old.uuid].created_at == datetime.datetime(2024, 1, 1)
    assert copies[current.uuid].status == "pre-migrating"
    assert copies[current.uuid].source_compute == "h1"
    assert migration_records.get_by_uuid(target, stale.uuid) is None
    assert sorted(_listed(source)) == sorted([old.uuid, current.uuid])


def test_a_late_copy_leaves_a_cell_that_shows_the_records_alone(cell_dbs):
    source, target = cell_dbs["cell1"], cell_dbs["cell2"]
    instance = str(uuid.uuid4())
    record = _start(source, instance)
    migration_records.copy_for_instance(source, target, instance, hidden=True)
    # The flip's roll-forward: shown in the target, post-migrating there.
    migration_records.set_hidden(target, instance, False)
    assert migration_records.advance(target, record.uuid, "post-migrating", BEFORE_FLIP)

    # A slow delivery of the same task copies again after that.
    assert migration_records.copy_for_instance(source, target, instance, hidden=True) == 0

    assert _listed(target) == [record.uuid]
    assert migration_records.get_by_uuid(target, record.uuid).status == "post-migrating"


def test_hiding_and_purging_touch_only_the_instance(cell_dbs):
    url = cell_dbs["cell1"]
    instance, other = str(uuid.uuid4()), str(uuid.uuid4())
    mine = [_start(url, instance).uuid, _start(url, instance).uuid]
    theirs = _start(url, other).uuid

    assert migration_records.set_hidden(url, instance, True) == 2
    assert _listed(url) == [theirs]
    assert migration_records.set_hidden(url, instance, False) == 2
    assert sorted(_listed(url)) == sorted([*mine, theirs])

    migration_records.purge_instance(url, instance)
    assert _listed(url) == [theirs]
    assert all(migration_records.get_by_uuid(url, m) is None for m in mine)
